//! What a client asks for in its upgrade request.

use crate::handshake::head::{
    are_valid_extra_headers, is_origin_form, is_safe_value, is_token, is_valid_extension,
    list_elements, same,
};
use crate::handshake::writer::Emitter;
use core::fmt;

/// The upgrade request a client sends: where to, and what it offers.
///
/// ```
/// use barews::handshake::client::ClientRequest;
///
/// let request = ClientRequest::new("example.com", "/ws")
///     .with_secure(true)
///     .with_origin(Some("https://example.com"))
///     .with_protocols(&["chat.v2", "chat.v1"])
///     .with_headers(&[("Authorization", "Bearer t0ken")]);
/// assert_eq!(request.path(), "/ws");
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ClientRequest<'a> {
    host: &'a str,
    port: Option<u16>,
    secure: bool,
    path: &'a str,
    origin: Option<&'a str>,
    protocols: &'a [&'a str],
    extensions: Option<&'a str>,
    headers: &'a [(&'a str, &'a str)],
}

impl<'a> ClientRequest<'a> {
    /// A request for `path` (with its query, if any) on `host`, on the
    /// scheme's default port, over plain `ws://`.
    pub const fn new(host: &'a str, path: &'a str) -> Self {
        ClientRequest {
            host,
            port: None,
            secure: false,
            path,
            origin: None,
            protocols: &[],
            extensions: None,
            headers: &[],
        }
    }

    /// The server's port. The `Host` header names it unless it is the
    /// scheme's default (80 for `ws://`, 443 for `wss://`).
    #[must_use]
    pub const fn with_port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Whether the connection runs over TLS (`wss://`). Only the default
    /// port depends on it here.
    #[must_use]
    pub const fn with_secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// The `Origin` header to send (browsers always send one).
    #[must_use]
    pub const fn with_origin(mut self, origin: Option<&'a str>) -> Self {
        self.origin = origin;
        self
    }

    /// The subprotocols to offer, most preferred first.
    #[must_use]
    pub const fn with_protocols(mut self, protocols: &'a [&'a str]) -> Self {
        self.protocols = protocols;
        self
    }

    /// The `Sec-WebSocket-Extensions` offer, such as
    /// `"permessage-deflate; client_max_window_bits"`.
    #[must_use]
    pub const fn with_extensions(mut self, extensions: Option<&'a str>) -> Self {
        self.extensions = extensions;
        self
    }

    /// Extra request headers, such as `Authorization` or `Cookie`. They
    /// may not repeat the headers the handshake writes itself.
    #[must_use]
    pub const fn with_headers(mut self, headers: &'a [(&'a str, &'a str)]) -> Self {
        self.headers = headers;
        self
    }

    /// The host, as given.
    pub const fn host(&self) -> &'a str {
        self.host
    }

    /// The port the `Host` header names: the explicit one, else the
    /// scheme's default.
    pub const fn port(&self) -> u16 {
        match self.port {
            Some(port) => port,
            None => self.default_port(),
        }
    }

    /// The request target.
    pub const fn path(&self) -> &'a str {
        self.path
    }

    /// The Origin, if any.
    pub const fn origin(&self) -> Option<&'a str> {
        self.origin
    }

    /// The offered subprotocols.
    pub const fn protocols(&self) -> &'a [&'a str] {
        self.protocols
    }

    /// The extension offer, if any.
    pub const fn extensions(&self) -> Option<&'a str> {
        self.extensions
    }

    /// The extra headers.
    pub const fn headers(&self) -> &'a [(&'a str, &'a str)] {
        self.headers
    }

    /// Whether the connection runs over TLS (`wss://`).
    pub const fn is_secure(&self) -> bool {
        self.secure
    }

    const fn default_port(&self) -> u16 {
        if self.secure { 443 } else { 80 }
    }

    /// Writes the `Host` value: brackets around an IPv6 literal, and the
    /// port unless it is the default.
    pub(crate) fn write_host(&self, e: &mut Emitter<'_>) {
        // Byte loops rather than `str::contains`, which links `memchr`.
        let ipv6 =
            self.host.bytes().any(|b| b == b':') && self.host.as_bytes().first() != Some(&b'[');
        if ipv6 {
            e.str("[");
        }
        e.str(self.host);
        if ipv6 {
            e.str("]");
        }
        let port = self.port();
        if port != self.default_port() {
            e.str(":");
            e.decimal(usize::from(port));
        }
    }

    /// Checks every part that is written into the head, so nothing can
    /// inject a line or produce a request a server must refuse.
    pub(crate) fn validate(&self) -> Result<(), RequestError> {
        let host = self.host.as_bytes();
        let host_ok = !host.is_empty()
            && host
                .iter()
                .all(|&b| b.is_ascii_graphic() && !matches!(b, b'/' | b'?' | b'#' | b'@'));
        if !host_ok {
            return Err(RequestError::InvalidHost);
        }
        if !is_origin_form(self.path.as_bytes()) {
            return Err(RequestError::InvalidPath);
        }
        if self.origin.is_some_and(|o| o.is_empty() || !o.bytes().all(|b| b.is_ascii_graphic())) {
            return Err(RequestError::InvalidOrigin);
        }
        let protocols = self.protocols;
        let distinct =
            |i: usize, p: &str| !protocols[..i].iter().any(|o| same(o.as_bytes(), p.as_bytes()));
        let protocols_ok =
            protocols.iter().enumerate().all(|(i, p)| is_token(p.as_bytes()) && distinct(i, p));
        if !protocols_ok {
            return Err(RequestError::InvalidProtocol);
        }
        if let Some(extensions) = self.extensions {
            let ok = is_safe_value(extensions.as_bytes())
                && list_elements(extensions.as_bytes()).all(is_valid_extension);
            if !ok {
                return Err(RequestError::InvalidExtension);
            }
        }
        if !are_valid_extra_headers(self.headers, RESERVED_REQUEST_HEADERS) {
            return Err(RequestError::InvalidHeader);
        }
        Ok(())
    }
}

/// The headers the client handshake writes itself.
const RESERVED_REQUEST_HEADERS: &[&str] = &[
    "Host",
    "Upgrade",
    "Connection",
    "Origin",
    "Sec-WebSocket-Key",
    "Sec-WebSocket-Version",
    "Sec-WebSocket-Protocol",
    "Sec-WebSocket-Extensions",
];

/// A [`ClientRequest`] that cannot be written as a valid upgrade request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// The host is empty or holds characters a host cannot.
    InvalidHost,
    /// The path does not start with `/` or holds spaces or control bytes.
    InvalidPath,
    /// The Origin is empty or holds spaces or control bytes.
    InvalidOrigin,
    /// A subprotocol is not a token, or is offered twice (RFC 6455
    /// section 4.1).
    InvalidProtocol,
    /// The extension offer is not a well-formed extension list.
    InvalidExtension,
    /// An extra header has an invalid name or value, or repeats a header
    /// the handshake writes itself.
    InvalidHeader,
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RequestError::InvalidHost => "invalid host",
            RequestError::InvalidPath => "invalid request path",
            RequestError::InvalidOrigin => "invalid Origin",
            RequestError::InvalidProtocol => "invalid or repeated subprotocol",
            RequestError::InvalidExtension => "malformed extension offer",
            RequestError::InvalidHeader => "invalid extra header",
        })
    }
}

impl core::error::Error for RequestError {}
