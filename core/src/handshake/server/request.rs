//! A validated upgrade request and the server's answer to it.

use super::offer::{Offer, OfferFields, visible_ascii};
use super::{HandshakeError, ServerConfig};
use crate::BufferTooSmall;
use crate::handshake::head::{HeaderName, list_has_token, trim_ows};
use crate::handshake::writer::{Emitter, write_all_or_nothing, write_error_response};
use crate::handshake::{AcceptKey, HttpVersion, SecKey};
use core::fmt;

/// A valid WebSocket upgrade request, waiting for the server's decision.
///
/// It borrows the caller's buffer. Call [`accept`](Self::accept) to write
/// the `101 Switching Protocols` response or [`reject`](Self::reject) to
/// write an HTTP error.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    offer: Offer<'a>,
    key: SecKey,
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

    /// What the client offers: path, host, origin, subprotocols and
    /// extensions, as an HTTP/2 extended CONNECT gives them too.
    pub fn offer(&self) -> &Offer<'a> {
        &self.offer
    }

    /// The request target (path and query), as sent.
    pub fn path(&self) -> &'a str {
        self.offer.path()
    }

    /// The `Host` header.
    pub fn host(&self) -> &'a str {
        self.offer.host()
    }

    /// The `Origin` header, if the client sent one (browsers always do).
    pub fn origin(&self) -> Option<&'a str> {
        self.offer.origin()
    }

    /// The validated `Sec-WebSocket-Key`.
    pub fn key(&self) -> SecKey {
        self.key
    }

    /// The offered subprotocols, in the client's order of preference, from
    /// all `Sec-WebSocket-Protocol` lines.
    pub fn protocols<'s>(&'s self) -> impl Iterator<Item = &'a str> + 's {
        self.offer.protocols()
    }

    /// The offered extensions, one element per offer with its parameters
    /// (such as `permessage-deflate; client_max_window_bits`), from all
    /// `Sec-WebSocket-Extensions` lines.
    pub fn extensions<'s>(&'s self) -> impl Iterator<Item = &'a str> + 's {
        self.offer.extensions()
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
        self.offer.check_answer(options, RESERVED_RESPONSE_HEADERS)?;
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

/// The header values the HTTP/1.1 handshake reads, gathered in one pass:
/// those of the [`Offer`], and the four only an upgrade has.
#[derive(Default)]
struct Fields<'a> {
    offer: OfferFields<'a>,
    host: Option<&'a [u8]>,
    key: Option<&'a [u8]>,
    upgrade_websocket: bool,
    connection_upgrade: bool,
}

impl<'a> Fields<'a> {
    fn add(&mut self, name: &str, value: &'a [u8]) -> Result<(), HandshakeError> {
        let is = |expected: &str| name.eq_ignore_ascii_case(expected);
        if is("Upgrade") {
            // Several lines form one list (RFC 7230 section 3.2.2).
            self.upgrade_websocket |= list_has_token(value, "websocket");
        } else if is("Connection") {
            self.connection_upgrade |= list_has_token(value, "upgrade");
        } else {
            let (slot, header) = if is("Host") {
                (&mut self.host, HeaderName::Host)
            } else if is("Sec-WebSocket-Key") {
                (&mut self.key, HeaderName::SecWebSocketKey)
            } else {
                return self.offer.add(name, value);
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
        self.offer.check_version()?;
        let key = self.key.ok_or(HandshakeError::MissingKey)?;
        let key = SecKey::parse(key).ok_or(HandshakeError::InvalidKey)?;
        let origin = self.offer.check(config, host)?;
        Ok(Request { offer: self.offer.into_offer(path, host, origin), key })
    }
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

    /// The subprotocol to select, if any.
    pub const fn protocol(&self) -> Option<&'o str> {
        self.protocol
    }

    /// The `Sec-WebSocket-Extensions` value to answer with, if any.
    pub const fn extensions(&self) -> Option<&'o str> {
        self.extensions
    }

    /// The extra response headers.
    pub const fn headers(&self) -> &'o [(&'o str, &'o str)] {
        self.headers
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
