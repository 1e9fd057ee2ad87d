//! What a client offers in its opening handshake, whatever the HTTP version
//! that carried it, and the rules both versions check it by: the HTTP/1.1
//! upgrade ([`Request`](super::Request)) and the HTTP/2 extended CONNECT
//! ([`ExtendedConnect`](crate::handshake::h2::ExtendedConnect)) gather these
//! headers with [`OfferFields`] and answer through [`Offer::check_answer`].

use super::{AcceptError, AcceptOptions, HandshakeError, ServerConfig};
use crate::handshake::head::{
    HeaderName, are_valid_extra_headers, extension_name, is_safe_value, is_token,
    is_valid_extension, list_elements, list_elements_str,
};
use crate::handshake::{MAX_LIST_LINES, WEBSOCKET_VERSION};
use heapless::Vec;

/// What a client asks for in a valid opening handshake: the resource, the
/// host, the page it comes from, and the subprotocols and extensions it
/// offers.
///
/// Both HTTP versions give one: [`Request::offer`](super::Request::offer)
/// for an HTTP/1.1 upgrade and
/// [`ExtendedConnect::offer`](crate::handshake::h2::ExtendedConnect::offer)
/// for an HTTP/2 extended CONNECT. An application that decides what to
/// accept from an `&Offer` decides the same way for both.
///
/// ```
/// use barews::handshake::server::{AcceptOptions, Offer};
///
/// /// One decision for HTTP/1.1 and HTTP/2 alike.
/// fn decide<'o>(offer: &Offer<'o>) -> AcceptOptions<'o> {
///     let chat = offer.protocols().find(|p| p.starts_with("chat"));
///     AcceptOptions::new().with_protocol(chat)
/// }
/// # let _ = decide;
/// ```
#[derive(Debug, Clone)]
pub struct Offer<'a> {
    path: &'a str,
    host: &'a str,
    origin: Option<&'a str>,
    protocol_lines: Vec<&'a [u8], MAX_LIST_LINES>,
    extension_lines: Vec<&'a [u8], MAX_LIST_LINES>,
}

impl<'a> Offer<'a> {
    /// The request target (path and query), as sent: the request line's
    /// target over HTTP/1.1, `:path` over HTTP/2.
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// The host the request is for: the `Host` header over HTTP/1.1,
    /// `:authority` over HTTP/2.
    pub fn host(&self) -> &'a str {
        self.host
    }

    /// The `Origin` header, if the client sent one (browsers always do).
    pub fn origin(&self) -> Option<&'a str> {
        self.origin
    }

    /// The offered subprotocols, in the client's order of preference, from
    /// all `Sec-WebSocket-Protocol` lines.
    pub fn protocols<'s>(&'s self) -> impl Iterator<Item = &'a str> + 's {
        list_elements_str(&self.protocol_lines)
    }

    /// The offered extensions, one element per offer with its parameters
    /// (such as `permessage-deflate; client_max_window_bits`), from all
    /// `Sec-WebSocket-Extensions` lines.
    pub fn extensions<'s>(&'s self) -> impl Iterator<Item = &'a str> + 's {
        list_elements_str(&self.extension_lines)
    }

    /// Checks a server's answer against this offer: the subprotocol must
    /// have been offered, every accepted extension must be well formed and
    /// must have been offered (RFC 6455 section 9.1), and the extra headers
    /// must be safe to write and none of `reserved`, the headers the
    /// answer writes itself.
    pub(crate) fn check_answer(
        &self,
        options: &AcceptOptions<'_>,
        reserved: &[&str],
    ) -> Result<(), AcceptError> {
        if let Some(protocol) = options.protocol() {
            if !self.protocols().any(|offered| offered == protocol) {
                return Err(AcceptError::ProtocolNotOffered);
            }
        }
        if let Some(extensions) = options.extensions() {
            self.check_extension_response(extensions)?;
        }
        if !are_valid_extra_headers(options.headers(), reserved) {
            return Err(AcceptError::InvalidHeader);
        }
        Ok(())
    }

    fn check_extension_response(&self, response: &str) -> Result<(), AcceptError> {
        if !is_safe_value(response.as_bytes()) {
            return Err(AcceptError::InvalidExtension);
        }
        for element in list_elements(response.as_bytes()) {
            if !is_valid_extension(element) {
                return Err(AcceptError::InvalidExtension);
            }
            let name = extension_name(element);
            let offered = self
                .extensions()
                .any(|offer| extension_name(offer.as_bytes()).eq_ignore_ascii_case(name));
            if !offered {
                return Err(AcceptError::ExtensionNotOffered);
            }
        }
        Ok(())
    }
}

/// The request headers both HTTP versions read alike (RFC 6455 section
/// 4.2.1, items 6 to 10; RFC 8441 section 5 keeps them as they are),
/// gathered in one pass over the headers.
#[derive(Default)]
pub(crate) struct OfferFields<'a> {
    origin: Option<&'a [u8]>,
    version: Option<&'a [u8]>,
    protocol_lines: Vec<&'a [u8], MAX_LIST_LINES>,
    extension_lines: Vec<&'a [u8], MAX_LIST_LINES>,
}

impl<'a> OfferFields<'a> {
    /// Takes the header `name: value` if it is one of the four read here,
    /// and ignores it otherwise. Names compare without regard to ASCII
    /// case; `value` is trimmed already.
    pub(crate) fn add(&mut self, name: &str, value: &'a [u8]) -> Result<(), HandshakeError> {
        let is = |expected: &str| name.eq_ignore_ascii_case(expected);
        if is("Sec-WebSocket-Protocol") {
            // Several lines form one list (RFC 7230 section 3.2.2).
            self.protocol_lines.push(value).map_err(|_| HandshakeError::TooManyHeaders)?;
        } else if is("Sec-WebSocket-Extensions") {
            self.extension_lines.push(value).map_err(|_| HandshakeError::TooManyHeaders)?;
        } else {
            let (slot, header) = if is("Origin") {
                (&mut self.origin, HeaderName::Origin)
            } else if is("Sec-WebSocket-Version") {
                (&mut self.version, HeaderName::SecWebSocketVersion)
            } else {
                return Ok(());
            };
            if slot.replace(value).is_some() {
                return Err(HandshakeError::DuplicateHeader(header));
            }
        }
        Ok(())
    }

    /// `Sec-WebSocket-Version` must be 13 (RFC 6455 section 4.2.1, item 6).
    pub(crate) fn check_version(&self) -> Result<(), HandshakeError> {
        let version = self.version.ok_or(HandshakeError::MissingVersion)?;
        if version != WEBSOCKET_VERSION.as_bytes() {
            return Err(HandshakeError::UnsupportedVersion);
        }
        Ok(())
    }

    /// Checks the subprotocol and extension lists, then the `Origin` under
    /// the configured policy against `host` (RFC 6455 section 4.2.1, items
    /// 7 to 10, and section 10.2); returns the `Origin`.
    pub(crate) fn check(
        &self,
        config: &ServerConfig,
        host: &str,
    ) -> Result<Option<&'a str>, HandshakeError> {
        let protocols_ok = self
            .protocol_lines
            .iter()
            .all(|line| is_safe_value(line) && list_elements(line).all(is_token));
        if !protocols_ok {
            return Err(HandshakeError::InvalidProtocol);
        }
        let extensions_ok = self
            .extension_lines
            .iter()
            .all(|line| is_safe_value(line) && list_elements(line).all(is_valid_extension));
        if !extensions_ok {
            return Err(HandshakeError::InvalidExtension);
        }
        let origin = match self.origin {
            Some(origin) => Some(visible_ascii(origin).ok_or(HandshakeError::InvalidOrigin)?),
            None => None,
        };
        if !config.origin_policy().allows(origin, host) {
            return Err(HandshakeError::OriginRejected);
        }
        Ok(origin)
    }

    /// The [`Offer`] of fields that passed [`check`](Self::check).
    pub(crate) fn into_offer(
        self,
        path: &'a str,
        host: &'a str,
        origin: Option<&'a str>,
    ) -> Offer<'a> {
        Offer {
            path,
            host,
            origin,
            protocol_lines: self.protocol_lines,
            extension_lines: self.extension_lines,
        }
    }
}

/// `value` as text if it is non-empty, visible ASCII (no spaces): the rule
/// for a host (`Host`, `:authority`) and an `Origin`.
pub(crate) fn visible_ascii(value: &[u8]) -> Option<&str> {
    let visible = !value.is_empty() && value.iter().all(|&b| b.is_ascii_graphic());
    if visible { core::str::from_utf8(value).ok() } else { None }
}
