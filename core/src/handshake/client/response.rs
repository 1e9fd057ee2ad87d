//! Checking the server's answer to an upgrade request.

use super::ClientRequest;
use super::parse;
use crate::handshake::head::{
    HeaderName, extension_name, is_safe_value, is_token, is_valid_extension, list_elements,
    list_has_token, same, trim_ows,
};
use crate::handshake::{AcceptKey, MAX_LIST_LINES};
use core::fmt;

/// A server's valid `101 Switching Protocols` answer: what it selected.
#[derive(Debug, Clone)]
pub struct Response<'a> {
    protocol: Option<&'a str>,
    /// The head's header lines, checked already: the accepted extensions
    /// are read from them again when asked for, so nothing is stored.
    fields: &'a [u8],
}

/// The header that lists the accepted extensions.
const EXTENSIONS: &str = "Sec-WebSocket-Extensions";

/// The response headers the checks read, in the order `validate` matches
/// their positions.
const NAMES: [&str; 5] =
    ["Upgrade", "Connection", "Sec-WebSocket-Accept", "Sec-WebSocket-Protocol", EXTENSIONS];

// The positions in `NAMES` of the headers checked one by one (the rest
// are extension lines).
const UPGRADE: usize = 0;
const CONNECTION: usize = 1;
const ACCEPT: usize = 2;
const PROTOCOL: usize = 3;

impl<'a> Response<'a> {
    /// The subprotocol the server selected, one of those offered.
    pub fn protocol(&self) -> Option<&'a str> {
        self.protocol
    }

    /// The extensions the server accepted, one element per extension with
    /// its parameters, in the order the server lists them.
    pub fn extensions<'s>(&'s self) -> impl Iterator<Item = &'a str> + 's {
        parse::fields(self.fields)
            .filter(|(name, _)| name.eq_ignore_ascii_case(EXTENSIONS.as_bytes()))
            .flat_map(|(_, line)| list_elements(line))
            .filter_map(|element| core::str::from_utf8(element).ok())
    }

    /// Applies RFC 6455 section 4.1's checks of the server's response
    /// header lines `fields` (the status was checked already).
    pub(super) fn validate(
        request: &ClientRequest<'_>,
        expected_accept: &AcceptKey,
        fields: &'a [u8],
    ) -> Result<Self, ResponseError> {
        let mut upgrade = false;
        let mut connection = false;
        let mut accept = None;
        let mut protocol = None;
        let mut extension_lines = 0;
        for (name, value) in parse::fields(fields) {
            let value = trim_ows(value);
            // One search of the names instead of a comparison per header.
            let known = NAMES.iter().position(|known| name.eq_ignore_ascii_case(known.as_bytes()));
            match known {
                Some(UPGRADE) => upgrade |= list_has_token(value, "websocket"),
                Some(CONNECTION) => connection |= list_has_token(value, "upgrade"),
                Some(ACCEPT) if accept.is_some() => {
                    return Err(ResponseError::DuplicateHeader(HeaderName::SecWebSocketAccept));
                }
                Some(ACCEPT) => accept = Some(value),
                Some(PROTOCOL) if protocol.is_some() => {
                    return Err(ResponseError::DuplicateHeader(HeaderName::SecWebSocketProtocol));
                }
                Some(PROTOCOL) => protocol = Some(value),
                Some(_) => {
                    // Repeated lines form one list, of at most
                    // MAX_LIST_LINES lines (as in a request).
                    extension_lines += 1;
                    if extension_lines > MAX_LIST_LINES {
                        return Err(ResponseError::TooManyHeaders);
                    }
                    check_extensions(request, value)?;
                }
                None => {}
            }
        }
        if !upgrade {
            return Err(ResponseError::MissingUpgrade);
        }
        if !connection {
            return Err(ResponseError::MissingConnectionUpgrade);
        }
        let accept = accept.ok_or(ResponseError::MissingAccept)?;
        if !expected_accept.matches(accept) {
            return Err(ResponseError::AcceptMismatch);
        }
        let protocol = match protocol {
            None => None,
            Some(selected) => Some(check_protocol(request, selected)?),
        };
        Ok(Response { protocol, fields })
    }

    /// The permessage-deflate parameters agreed, when the server accepted
    /// the extension: [`DeflateConfig::accept_response_among`] on
    /// [`extensions`](Self::extensions), with `ours` the configuration
    /// whose offer the request carried.
    ///
    /// [`DeflateConfig::accept_response_among`]: crate::deflate::DeflateConfig::accept_response_among
    #[cfg(feature = "deflate")]
    pub fn deflate(
        &self,
        ours: &crate::deflate::DeflateConfig,
    ) -> Result<Option<crate::deflate::DeflateParams>, crate::deflate::NegotiationError> {
        ours.accept_response_among(self.extensions())
    }
}

/// The subprotocol a server selected must be a single token, one the
/// client offered (RFC 6455 section 4.1, item 6 of the response checks;
/// RFC 8441 section 5 keeps the rule).
// `inline`: with two callers (HTTP/1.1 and HTTP/2), a build using only one
// keeps it inlined there: 8 bytes less on the firmware's client.
#[inline]
pub(crate) fn check_protocol<'a>(
    request: &ClientRequest<'_>,
    selected: &'a [u8],
) -> Result<&'a str, ResponseError> {
    // An offered subprotocol is a token: only a value matching none is
    // looked at further (and a client offering none needs no UTF-8 check).
    if !request.protocols().iter().any(|p| same(p.as_bytes(), selected)) {
        return Err(if is_token(selected) {
            ResponseError::ProtocolNotOffered
        } else {
            ResponseError::InvalidProtocol
        });
    }
    core::str::from_utf8(selected).map_err(|_| ResponseError::InvalidProtocol)
}

/// Every extension of a `Sec-WebSocket-Extensions` line must be well formed
/// and must have been offered (RFC 6455 section 4.1, item 5 of the
/// response checks; RFC 8441 section 5 keeps the rule).
#[inline]
pub(crate) fn check_extensions(
    request: &ClientRequest<'_>,
    line: &[u8],
) -> Result<(), ResponseError> {
    let offers = request.extensions().unwrap_or_default().as_bytes();
    if !is_safe_value(line) {
        return Err(ResponseError::InvalidExtension);
    }
    for element in list_elements(line) {
        if offers.is_empty() {
            // Nothing was offered: whatever its form, this extension was
            // not (and a client offering none skips the checks below).
            return Err(ResponseError::ExtensionNotOffered);
        }
        if !is_valid_extension(element) {
            return Err(ResponseError::InvalidExtension);
        }
        let name = extension_name(element);
        if !list_elements(offers).any(|offer| extension_name(offer).eq_ignore_ascii_case(name)) {
            return Err(ResponseError::ExtensionNotOffered);
        }
    }
    Ok(())
}

/// Why a client refuses the server's answer (RFC 6455 section 4.1: the
/// client must then fail the WebSocket connection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponseError {
    /// The head is longer than the configured limit.
    HeadTooLarge,
    /// The head has more header lines than the configured limit.
    TooManyHeaders,
    /// The bytes are not an HTTP/1.x response head; over HTTP/2, a
    /// pseudo-header field among the response's header fields.
    MalformedHead,
    /// The response is older than HTTP/1.1.
    HttpVersionTooOld,
    /// The status is not the handshake's success status
    /// (`101 Switching Protocols` over HTTP/1.1, `200` over HTTP/2); it is
    /// carried here. The server refused the handshake or wants something
    /// first, such as authentication (401) or a redirect (3xx).
    UnexpectedStatus(u16),
    /// A header that may appear only once appears more often.
    DuplicateHeader(HeaderName),
    /// `Upgrade` is missing or lacks the `websocket` token.
    MissingUpgrade,
    /// `Connection` is missing or lacks the `upgrade` token.
    MissingConnectionUpgrade,
    /// There is no `Sec-WebSocket-Accept` header.
    MissingAccept,
    /// `Sec-WebSocket-Accept` does not answer the key that was sent.
    AcceptMismatch,
    /// `Sec-WebSocket-Protocol` is not a single token.
    InvalidProtocol,
    /// The selected subprotocol was not offered.
    ProtocolNotOffered,
    /// `Sec-WebSocket-Extensions` is not a well-formed extension list.
    InvalidExtension,
    /// An accepted extension was not offered. When the request offered
    /// none, any extension in the response is reported so, well formed or
    /// not.
    ExtensionNotOffered,
}

impl fmt::Display for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponseError::HeadTooLarge => f.write_str("response head too large"),
            ResponseError::TooManyHeaders => f.write_str("too many header lines"),
            ResponseError::MalformedHead => f.write_str("malformed HTTP response head"),
            ResponseError::HttpVersionTooOld => f.write_str("response older than HTTP/1.1"),
            ResponseError::UnexpectedStatus(status) => {
                write!(f, "server answered {status}, not the handshake's success status")
            }
            ResponseError::DuplicateHeader(name) => write!(f, "duplicate {name} header"),
            ResponseError::MissingUpgrade => {
                f.write_str("the Upgrade header lacks the websocket token")
            }
            ResponseError::MissingConnectionUpgrade => {
                f.write_str("the Connection header lacks the upgrade token")
            }
            ResponseError::MissingAccept => f.write_str("missing Sec-WebSocket-Accept header"),
            ResponseError::AcceptMismatch => {
                f.write_str("Sec-WebSocket-Accept does not match the key sent")
            }
            ResponseError::InvalidProtocol => f.write_str("invalid Sec-WebSocket-Protocol"),
            ResponseError::ProtocolNotOffered => {
                f.write_str("server selected a subprotocol that was not offered")
            }
            ResponseError::InvalidExtension => f.write_str("invalid Sec-WebSocket-Extensions"),
            ResponseError::ExtensionNotOffered => {
                f.write_str("server accepted an extension that was not offered")
            }
        }
    }
}

impl core::error::Error for ResponseError {}
