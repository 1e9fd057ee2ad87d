//! The client side: the extended CONNECT request's header fields, and the
//! check of the answer.

use super::{PROTOCOL, STATUS_OK, Scheme};
use crate::BufferTooSmall;
use crate::handshake::client::{
    ClientRequest, RequestError, ResponseError, check_extensions, check_protocol,
};
use crate::handshake::head::{HeaderName, are_valid_extra_headers, list_elements_str, trim_ows};
use crate::handshake::writer::write_all_or_nothing;
use crate::handshake::{MAX_LIST_LINES, WEBSOCKET_VERSION};
use core::cell::Cell;
use heapless::Vec;

/// The client's half of the extended CONNECT handshake (RFC 8441 section
/// 5), for a request described as for HTTP/1.1.
///
/// The [`ClientRequest`] gives the scheme ([`with_secure`]: `https`, else
/// `http`), the authority (host, and port unless it is the scheme's
/// default), the path, and what is offered. No nonce: HTTP/2 has no
/// `Sec-WebSocket-Key` (RFC 8441 section 5).
///
/// [`with_secure`]: ClientRequest::with_secure
#[derive(Debug, Clone, Copy)]
pub struct ConnectHandshake<'r> {
    request: ClientRequest<'r>,
}

impl<'r> ConnectHandshake<'r> {
    /// Checks `request` as [`ClientHandshake::new`] does, and that no extra
    /// header is one HTTP/2 forbids (`keep-alive`, `proxy-connection`,
    /// `transfer-encoding`, `te`; RFC 9113 section 8.2.2).
    ///
    /// [`ClientHandshake::new`]: crate::handshake::client::ClientHandshake::new
    pub fn new(request: ClientRequest<'r>) -> Result<Self, RequestError> {
        request.validate()?;
        if !are_valid_extra_headers(request.headers(), RESERVED_H2_REQUEST_HEADERS) {
            return Err(RequestError::InvalidHeader);
        }
        Ok(ConnectHandshake { request })
    }

    /// The request this handshake sends.
    pub const fn request(&self) -> &ClientRequest<'r> {
        &self.request
    }

    /// The request's `:scheme`.
    pub const fn scheme(&self) -> Scheme {
        if self.request.is_secure() { Scheme::Https } else { Scheme::Http }
    }

    /// The request's header fields. `scratch` holds the two values that
    /// are made rather than borrowed: `:authority` (host, and port unless
    /// it is the default) and the offered subprotocols joined as one list;
    /// a few dozen bytes are usually enough. On [`BufferTooSmall`] it is
    /// left untouched.
    pub fn headers<'b>(
        &'b self,
        scratch: &'b mut [u8],
    ) -> Result<RequestHeaders<'b>, BufferTooSmall> {
        let request = &self.request;
        let authority_len = Cell::new(0);
        let written = write_all_or_nothing(scratch, |e| {
            request.write_host(e);
            authority_len.set(e.written());
            for (i, protocol) in request.protocols().iter().enumerate() {
                if i > 0 {
                    e.str(", ");
                }
                e.str(protocol);
            }
        })?;
        let scratch: &'b [u8] = scratch;
        let (authority, protocols) = scratch
            .get(..written)
            .and_then(|made| made.split_at_checked(authority_len.get()))
            .unwrap_or_default();
        // Both were checked to be ASCII by `new`.
        let text = |bytes| core::str::from_utf8(bytes).unwrap_or_default();
        Ok(RequestHeaders {
            scheme: self.scheme(),
            path: request.path(),
            authority: text(authority),
            origin: request.origin(),
            protocols: if protocols.is_empty() { None } else { Some(text(protocols)) },
            extensions: request.extensions(),
            extra: request.headers(),
        })
    }

    /// Checks the server's answer: its `:status` and its header fields,
    /// the pseudo-header `:status` not among them (any pseudo-header field
    /// there is refused as [`ResponseError::MalformedHead`]).
    ///
    /// The status must be [`STATUS_OK`], `200`; any other fails with
    /// [`ResponseError::UnexpectedStatus`], before the fields are read.
    /// Then, as over HTTP/1.1, by the same code: at most one
    /// `sec-websocket-protocol`, naming an offered subprotocol; every
    /// accepted extension well formed and offered. There is no
    /// `sec-websocket-accept` to check (RFC 8441 section 5).
    ///
    /// With the `deflate` feature, [`ConnectResponse::deflate`] then
    /// negotiates permessage-deflate.
    pub fn check_response<'a, I>(
        &self,
        status: u16,
        fields: I,
    ) -> Result<ConnectResponse<'a>, ResponseError>
    where
        I: IntoIterator<Item = (&'a str, &'a [u8])>,
    {
        if status != STATUS_OK {
            return Err(ResponseError::UnexpectedStatus(status));
        }
        let mut protocol = None;
        let mut extension_lines = Vec::new();
        for (name, value) in fields {
            let value = trim_ows(value);
            if name.starts_with(':') {
                return Err(ResponseError::MalformedHead);
            } else if name.eq_ignore_ascii_case("sec-websocket-protocol") {
                if protocol.replace(value).is_some() {
                    return Err(ResponseError::DuplicateHeader(HeaderName::SecWebSocketProtocol));
                }
            } else if name.eq_ignore_ascii_case("sec-websocket-extensions") {
                // Repeated lines form one list, of at most MAX_LIST_LINES
                // lines (as over HTTP/1.1).
                extension_lines.push(value).map_err(|_| ResponseError::TooManyHeaders)?;
                check_extensions(&self.request, value)?;
            }
        }
        let protocol = match protocol {
            None => None,
            Some(selected) => Some(check_protocol(&self.request, selected)?),
        };
        Ok(ConnectResponse { protocol, extension_lines })
    }
}

/// Extra request headers HTTP/2 forbids beyond those
/// [`ClientRequest`] reserves already (`upgrade`, `connection`, `host`).
const RESERVED_H2_REQUEST_HEADERS: &[&str] =
    &["keep-alive", "proxy-connection", "transfer-encoding", "te"];

/// The header fields of an extended CONNECT request, as
/// [`ConnectHandshake::headers`] makes them.
///
/// [`iter`](Self::iter) lists them as `(name, value)` pairs for a library
/// that takes pairs: the pseudo-header fields first (RFC 9113 section
/// 8.3), in the order of RFC 8441 section 5.1, then `sec-websocket-version:
/// 13`, `origin`, `sec-websocket-protocol`, `sec-websocket-extensions` and
/// the extra headers. [`fields`](Self::fields) lists the regular fields
/// alone, for a library that takes the pseudo-header fields as a method,
/// a URI (`scheme://authority/path`) and a protocol.
#[derive(Debug, Clone, Copy)]
pub struct RequestHeaders<'b> {
    scheme: Scheme,
    path: &'b str,
    authority: &'b str,
    origin: Option<&'b str>,
    protocols: Option<&'b str>,
    extensions: Option<&'b str>,
    extra: &'b [(&'b str, &'b str)],
}

impl<'b> RequestHeaders<'b> {
    /// `:scheme`.
    pub const fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// `:authority`: the host, with its port unless it is the scheme's
    /// default, in brackets if it is an IPv6 address.
    pub const fn authority(&self) -> &'b str {
        self.authority
    }

    /// `:path`: path and query.
    pub const fn path(&self) -> &'b str {
        self.path
    }

    /// Every field, pseudo-header fields first.
    pub fn iter(&self) -> impl Iterator<Item = (&'b str, &'b str)> + use<'b> {
        let pseudo = [
            (":method", "CONNECT"),
            (":protocol", PROTOCOL),
            (":scheme", self.scheme.as_str()),
            (":path", self.path),
            (":authority", self.authority),
        ];
        pseudo.into_iter().chain(self.fields())
    }

    /// The regular fields, without the pseudo-header fields.
    pub fn fields(&self) -> impl Iterator<Item = (&'b str, &'b str)> + use<'b> {
        let this = *self;
        [("sec-websocket-version", WEBSOCKET_VERSION)]
            .into_iter()
            .chain(this.origin.map(|origin| ("origin", origin)))
            .chain(this.protocols.map(|protocols| ("sec-websocket-protocol", protocols)))
            .chain(this.extensions.map(|extensions| ("sec-websocket-extensions", extensions)))
            .chain(this.extra.iter().copied())
    }
}

/// A server's valid `200` answer to an extended CONNECT: what it selected,
/// as the HTTP/1.1 [`Response`](crate::handshake::client::Response) says
/// it. Build the client [`Connection`](crate::connection::Connection) from
/// it as over HTTP/1.1; it masks what it sends (RFC 8441 section 5 keeps
/// RFC 6455 framing).
#[derive(Debug, Clone)]
pub struct ConnectResponse<'a> {
    protocol: Option<&'a str>,
    extension_lines: Vec<&'a [u8], MAX_LIST_LINES>,
}

impl<'a> ConnectResponse<'a> {
    /// The subprotocol the server selected, one of those offered.
    pub fn protocol(&self) -> Option<&'a str> {
        self.protocol
    }

    /// The extensions the server accepted, one element per extension with
    /// its parameters, in the order the server lists them.
    pub fn extensions<'s>(&'s self) -> impl Iterator<Item = &'a str> + 's {
        list_elements_str(&self.extension_lines)
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
