//! A validated upgrade request and the server's answer to it.

use super::{HandshakeError, ServerConfig};
use crate::BufferTooSmall;
use crate::handshake::head::{
    HeaderName, are_valid_extra_headers, extension_name, is_safe_value, is_token,
    is_valid_extension, list_elements, list_has_token, trim_ows,
};
use crate::handshake::writer::{Emitter, write_all_or_nothing, write_error_response};
use crate::handshake::{AcceptKey, HttpVersion, MAX_LIST_LINES, SecKey, WEBSOCKET_VERSION};
use core::fmt;
use heapless::Vec;

/// A valid WebSocket upgrade request, waiting for the server's decision.
///
/// It borrows the caller's buffer. Call [`accept`](Self::accept) to write
/// the `101 Switching Protocols` response or [`reject`](Self::reject) to
/// write an HTTP error.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    path: &'a str,
    host: &'a str,
    origin: Option<&'a str>,
    key: SecKey,
    protocol_lines: Vec<&'a [u8], MAX_LIST_LINES>,
    extension_lines: Vec<&'a [u8], MAX_LIST_LINES>,
}

impl<'a> Request<'a> {
    /// Validates a request head that another HTTP server has already
    /// parsed: the "hijack" entry point. Header names compare without
    /// regard to ASCII case; values may carry surrounding whitespace.
    ///
    /// After accepting, the server hands the raw stream to the frame layer,
    /// together with any bytes it read past the head.
    ///
    /// ```
    /// use barews::handshake::HttpVersion;
    /// use barews::handshake::server::{Request, ServerConfig};
    ///
    /// let headers: [(&str, &[u8]); 5] = [
    ///     ("host", b"example.com"),
    ///     ("upgrade", b"websocket"),
    ///     ("connection", b"keep-alive, Upgrade"),
    ///     ("sec-websocket-key", b"dGhlIHNhbXBsZSBub25jZQ=="),
    ///     ("sec-websocket-version", b"13"),
    /// ];
    /// let request = Request::from_parts(
    ///     &ServerConfig::new(), "GET", HttpVersion::Http11, "/ws", headers,
    /// ).unwrap();
    /// assert_eq!(request.host(), "example.com");
    /// ```
    pub fn from_parts<I>(
        config: &ServerConfig,
        method: &str,
        version: HttpVersion,
        path: &'a str,
        headers: I,
    ) -> Result<Self, HandshakeError>
    where
        I: IntoIterator<Item = (&'a str, &'a [u8])>,
    {
        // RFC 6455 section 4.2.1, items 1 and 2.
        if method != "GET" {
            return Err(HandshakeError::MethodNotAllowed);
        }
        if version != HttpVersion::Http11 {
            return Err(HandshakeError::HttpVersionTooOld);
        }
        let mut fields = Fields::default();
        for (name, value) in headers {
            fields.add(name, trim_ows(value))?;
        }
        fields.into_request(config, path)
    }

    /// The request target (path and query), as sent.
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// The `Host` header.
    pub fn host(&self) -> &'a str {
        self.host
    }

    /// The `Origin` header, if the client sent one (browsers always do).
    pub fn origin(&self) -> Option<&'a str> {
        self.origin
    }

    /// The validated `Sec-WebSocket-Key`.
    pub fn key(&self) -> SecKey {
        self.key
    }

    /// The offered subprotocols, in the client's order of preference, from
    /// all `Sec-WebSocket-Protocol` lines.
    pub fn protocols<'s>(&'s self) -> impl Iterator<Item = &'a str> + 's {
        elements_as_str(&self.protocol_lines)
    }

    /// The offered extensions, one element per offer with its parameters
    /// (such as `permessage-deflate; client_max_window_bits`), from all
    /// `Sec-WebSocket-Extensions` lines.
    pub fn extensions<'s>(&'s self) -> impl Iterator<Item = &'a str> + 's {
        elements_as_str(&self.extension_lines)
    }

    /// Accepts the request: writes the `101 Switching Protocols` response
    /// with the `Sec-WebSocket-Accept` for this request's key into `out`,
    /// and returns its length.
    ///
    /// Fails, leaving `out` untouched, when the chosen subprotocol or an
    /// accepted extension was not offered, when an extra header is not
    /// safe to write, or when `out` is too small.
    pub fn accept(
        &self,
        options: &AcceptOptions<'_>,
        out: &mut [u8],
    ) -> Result<usize, AcceptError> {
        if let Some(protocol) = options.protocol {
            if !self.protocols().any(|offered| offered == protocol) {
                return Err(AcceptError::ProtocolNotOffered);
            }
        }
        if let Some(extensions) = options.extensions {
            self.check_extension_response(extensions)?;
        }
        if !are_valid_extra_headers(options.headers, RESERVED_RESPONSE_HEADERS) {
            return Err(AcceptError::InvalidHeader);
        }
        let accept = self.key.accept();
        let written = write_all_or_nothing(out, |e| write_101(e, &accept, options))?;
        Ok(written)
    }

    /// Refuses the request with an HTTP error `status` (400 to 599): writes
    /// a complete response that closes the connection into `out` and
    /// returns its length. `out` is left untouched on error.
    ///
    /// ```
    /// # use barews::handshake::HttpVersion;
    /// # use barews::handshake::server::{Request, ServerConfig};
    /// # let headers: [(&str, &[u8]); 5] = [("Host", b"a"), ("Upgrade", b"websocket"),
    /// #     ("Connection", b"Upgrade"), ("Sec-WebSocket-Key", b"dGhlIHNhbXBsZSBub25jZQ=="),
    /// #     ("Sec-WebSocket-Version", b"13")];
    /// # let request = Request::from_parts(&ServerConfig::new(), "GET", HttpVersion::Http11, "/", headers).unwrap();
    /// let mut out = [0u8; 256];
    /// let len = request.reject(404, &mut out).unwrap();
    /// assert!(out[..len].starts_with(b"HTTP/1.1 404 "));
    /// ```
    pub fn reject(&self, status: u16, out: &mut [u8]) -> Result<usize, AcceptError> {
        if !(400..=599).contains(&status) {
            return Err(AcceptError::InvalidStatus);
        }
        Ok(write_error_response(out, status, &[], &"WebSocket upgrade refused")?)
    }

    /// Each accepted extension must be well formed and must have been
    /// offered (RFC 6455 section 9.1).
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

/// The headers [`Request::accept`] writes itself; extra headers may not
/// repeat them.
const RESERVED_RESPONSE_HEADERS: &[&str] = &[
    "Upgrade",
    "Connection",
    "Sec-WebSocket-Accept",
    "Sec-WebSocket-Protocol",
    "Sec-WebSocket-Extensions",
];

/// Writes the `101` of [`Request::accept`]. Not inlined: the options of a
/// server are rarely known where it runs, and this is shorter called than
/// copied into the caller.
#[inline(never)]
fn write_101(e: &mut Emitter<'_>, accept: &AcceptKey, options: &AcceptOptions<'_>) {
    e.str("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n");
    e.header("Sec-WebSocket-Accept", accept.as_str());
    if let Some(protocol) = options.protocol {
        e.header("Sec-WebSocket-Protocol", protocol);
    }
    if let Some(extensions) = options.extensions {
        e.header("Sec-WebSocket-Extensions", extensions);
    }
    for (name, value) in options.headers {
        e.header(name, value);
    }
    e.str("\r\n");
}

/// The list elements of several header lines, as text. The lines were
/// checked to be ASCII when the request was validated.
fn elements_as_str<'s, 'a>(lines: &'s [&'a [u8]]) -> impl Iterator<Item = &'a str> + 's {
    lines
        .iter()
        .flat_map(|line| list_elements(line))
        .filter_map(|element| core::str::from_utf8(element).ok())
}

/// The header values the handshake reads, gathered in one pass.
#[derive(Default)]
struct Fields<'a> {
    host: Option<&'a [u8]>,
    origin: Option<&'a [u8]>,
    key: Option<&'a [u8]>,
    version: Option<&'a [u8]>,
    upgrade_websocket: bool,
    connection_upgrade: bool,
    protocol_lines: Vec<&'a [u8], MAX_LIST_LINES>,
    extension_lines: Vec<&'a [u8], MAX_LIST_LINES>,
}

impl<'a> Fields<'a> {
    fn add(&mut self, name: &str, value: &'a [u8]) -> Result<(), HandshakeError> {
        let is = |expected: &str| name.eq_ignore_ascii_case(expected);
        if is("Upgrade") {
            // Several lines form one list (RFC 7230 section 3.2.2).
            self.upgrade_websocket |= list_has_token(value, "websocket");
        } else if is("Connection") {
            self.connection_upgrade |= list_has_token(value, "upgrade");
        } else if is("Sec-WebSocket-Protocol") {
            self.protocol_lines.push(value).map_err(|_| HandshakeError::TooManyHeaders)?;
        } else if is("Sec-WebSocket-Extensions") {
            self.extension_lines.push(value).map_err(|_| HandshakeError::TooManyHeaders)?;
        } else {
            let (slot, header) = if is("Host") {
                (&mut self.host, HeaderName::Host)
            } else if is("Origin") {
                (&mut self.origin, HeaderName::Origin)
            } else if is("Sec-WebSocket-Key") {
                (&mut self.key, HeaderName::SecWebSocketKey)
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

    /// Applies RFC 6455 section 4.2.1, items 2 to 10, in order.
    fn into_request(
        self,
        config: &ServerConfig,
        path: &'a str,
    ) -> Result<Request<'a>, HandshakeError> {
        let host = self.host.ok_or(HandshakeError::MissingHost)?;
        let host = visible_ascii(host).ok_or(HandshakeError::InvalidHost)?;
        if !self.upgrade_websocket {
            return Err(HandshakeError::MissingUpgrade);
        }
        if !self.connection_upgrade {
            return Err(HandshakeError::MissingConnectionUpgrade);
        }
        let version = self.version.ok_or(HandshakeError::MissingVersion)?;
        if version != WEBSOCKET_VERSION.as_bytes() {
            return Err(HandshakeError::UnsupportedVersion);
        }
        let key = self.key.ok_or(HandshakeError::MissingKey)?;
        let key = SecKey::parse(key).ok_or(HandshakeError::InvalidKey)?;
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
        Ok(Request {
            path,
            host,
            origin,
            key,
            protocol_lines: self.protocol_lines,
            extension_lines: self.extension_lines,
        })
    }
}

/// `value` as text if it is non-empty, visible ASCII (no spaces).
fn visible_ascii(value: &[u8]) -> Option<&str> {
    let visible = !value.is_empty() && value.iter().all(|&b| b.is_ascii_graphic());
    if visible { core::str::from_utf8(value).ok() } else { None }
}

/// What the server sends along with its `101` response.
///
/// ```
/// use barews::handshake::server::AcceptOptions;
///
/// let options = AcceptOptions::new()
///     .with_protocol(Some("chat"))
///     .with_headers(&[("Server", "barews")]);
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct AcceptOptions<'o> {
    protocol: Option<&'o str>,
    extensions: Option<&'o str>,
    headers: &'o [(&'o str, &'o str)],
}

impl<'o> AcceptOptions<'o> {
    /// No subprotocol, no extensions, no extra headers.
    pub const fn new() -> Self {
        AcceptOptions { protocol: None, extensions: None, headers: &[] }
    }

    /// The subprotocol to select; it must be one the client offered.
    #[must_use]
    pub const fn with_protocol(mut self, protocol: Option<&'o str>) -> Self {
        self.protocol = protocol;
        self
    }

    /// The `Sec-WebSocket-Extensions` value to answer with; every extension
    /// named in it must have been offered.
    #[must_use]
    pub const fn with_extensions(mut self, extensions: Option<&'o str>) -> Self {
        self.extensions = extensions;
        self
    }

    /// Extra response headers, such as `Set-Cookie` or `Server`.
    #[must_use]
    pub const fn with_headers(mut self, headers: &'o [(&'o str, &'o str)]) -> Self {
        self.headers = headers;
        self
    }
}

/// Why the server's answer could not be written. These are mistakes of the
/// calling code, not of the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AcceptError {
    /// The chosen subprotocol is not one the client offered.
    ProtocolNotOffered,
    /// The extension response names an extension the client did not offer.
    ExtensionNotOffered,
    /// The extension response is not a well-formed extension list.
    InvalidExtension,
    /// An extra header has an invalid name or value, or repeats a header
    /// the handshake writes itself.
    InvalidHeader,
    /// A rejection status is outside 400 to 599.
    InvalidStatus,
    /// The output buffer is too small; it was left untouched.
    BufferTooSmall {
        /// Bytes the response needs.
        required: usize,
    },
}

impl From<BufferTooSmall> for AcceptError {
    fn from(error: BufferTooSmall) -> Self {
        AcceptError::BufferTooSmall { required: error.required }
    }
}

impl fmt::Display for AcceptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AcceptError::ProtocolNotOffered => f.write_str("subprotocol was not offered"),
            AcceptError::ExtensionNotOffered => f.write_str("extension was not offered"),
            AcceptError::InvalidExtension => f.write_str("malformed extension response"),
            AcceptError::InvalidHeader => f.write_str("invalid extra header"),
            AcceptError::InvalidStatus => f.write_str("rejection status must be 400 to 599"),
            AcceptError::BufferTooSmall { required } => {
                write!(f, "output buffer too small: {required} bytes required")
            }
        }
    }
}

impl core::error::Error for AcceptError {}
