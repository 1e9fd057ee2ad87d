//! Why a server refuses an upgrade request, and the HTTP answer for each.

use crate::BufferTooSmall;
use crate::handshake::head::HeaderName;
use crate::handshake::writer::write_error_response;
use core::fmt;

/// A request the server must refuse. Each variant names one rule of
/// RFC 6455 section 4.2.1 (or of HTTP) and maps to the HTTP status that
/// [`write_response`](Self::write_response) sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The head is longer than the configured limit. 431.
    HeadTooLarge,
    /// The head has more header lines than the configured limit, or a
    /// list header repeats more than
    /// [`MAX_LIST_LINES`](crate::handshake::MAX_LIST_LINES) times. 431.
    TooManyHeaders,
    /// The bytes are not an HTTP/1.x request head. 400.
    MalformedHead,
    /// The method is not `GET`. 405, with `Allow: GET`.
    MethodNotAllowed,
    /// The request is older than HTTP/1.1. 400.
    HttpVersionTooOld,
    /// A header that may appear only once appears more often. 400.
    DuplicateHeader(HeaderName),
    /// There is no `Host` header. 400.
    MissingHost,
    /// `Host` is empty or holds characters a host cannot. 400.
    InvalidHost,
    /// `Upgrade` is missing or lacks the `websocket` token. 400.
    MissingUpgrade,
    /// `Connection` is missing or lacks the `upgrade` token. 400.
    MissingConnectionUpgrade,
    /// There is no `Sec-WebSocket-Version` header. 426, with
    /// `Sec-WebSocket-Version: 13`.
    MissingVersion,
    /// `Sec-WebSocket-Version` is not 13. 426, with
    /// `Sec-WebSocket-Version: 13`.
    UnsupportedVersion,
    /// There is no `Sec-WebSocket-Key` header. 400.
    MissingKey,
    /// `Sec-WebSocket-Key` is not the base64 form of 16 bytes. 400.
    InvalidKey,
    /// `Sec-WebSocket-Protocol` holds something other than tokens. 400.
    InvalidProtocol,
    /// `Sec-WebSocket-Extensions` is not a well-formed offer list. 400.
    InvalidExtension,
    /// `Origin` holds characters an origin cannot. 400.
    InvalidOrigin,
    /// The configured [`OriginPolicy`](super::OriginPolicy) refused the
    /// `Origin`. 403.
    OriginRejected,
}

impl HandshakeError {
    /// The HTTP status code of the response for this error.
    pub const fn status(self) -> u16 {
        match self {
            HandshakeError::HeadTooLarge | HandshakeError::TooManyHeaders => 431,
            HandshakeError::MethodNotAllowed => 405,
            HandshakeError::MissingVersion | HandshakeError::UnsupportedVersion => 426,
            HandshakeError::OriginRejected => 403,
            _ => 400,
        }
    }

    /// Writes the complete HTTP response for this error into `out` and
    /// returns its length. The body is this error's description in plain
    /// text, and the response asks the client to close the connection.
    ///
    /// On [`BufferTooSmall`] `out` is left untouched.
    ///
    /// ```
    /// use barews::handshake::server::HandshakeError;
    ///
    /// let mut out = [0u8; 256];
    /// let len = HandshakeError::UnsupportedVersion.write_response(&mut out).unwrap();
    /// let text = core::str::from_utf8(&out[..len]).unwrap();
    /// assert!(text.starts_with("HTTP/1.1 426 ")); // "Upgrade Required" with `detailed-errors`
    /// assert!(text.contains("\r\nSec-WebSocket-Version: 13\r\n"));
    /// ```
    pub fn write_response(self, out: &mut [u8]) -> Result<usize, BufferTooSmall> {
        let extra: &[(&str, &str)] = match self {
            HandshakeError::MethodNotAllowed => &[("Allow", "GET")],
            HandshakeError::MissingVersion | HandshakeError::UnsupportedVersion => {
                &[("Sec-WebSocket-Version", crate::handshake::WEBSOCKET_VERSION)]
            }
            _ => &[],
        };
        write_error_response(out, self.status(), extra, &self)
    }
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandshakeError::HeadTooLarge => f.write_str("request head too large"),
            HandshakeError::TooManyHeaders => f.write_str("too many header lines"),
            HandshakeError::MalformedHead => f.write_str("malformed HTTP request head"),
            HandshakeError::MethodNotAllowed => f.write_str("a WebSocket upgrade must use GET"),
            HandshakeError::HttpVersionTooOld => {
                f.write_str("a WebSocket upgrade needs HTTP/1.1 or later")
            }
            HandshakeError::DuplicateHeader(name) => write!(f, "duplicate {name} header"),
            HandshakeError::MissingHost => f.write_str("missing Host header"),
            HandshakeError::InvalidHost => f.write_str("invalid Host header"),
            HandshakeError::MissingUpgrade => {
                f.write_str("the Upgrade header lacks the websocket token")
            }
            HandshakeError::MissingConnectionUpgrade => {
                f.write_str("the Connection header lacks the upgrade token")
            }
            HandshakeError::MissingVersion => f.write_str("missing Sec-WebSocket-Version header"),
            HandshakeError::UnsupportedVersion => f.write_str("Sec-WebSocket-Version must be 13"),
            HandshakeError::MissingKey => f.write_str("missing Sec-WebSocket-Key header"),
            HandshakeError::InvalidKey => {
                f.write_str("Sec-WebSocket-Key must be the base64 form of 16 bytes")
            }
            HandshakeError::InvalidProtocol => f.write_str("invalid Sec-WebSocket-Protocol list"),
            HandshakeError::InvalidExtension => {
                f.write_str("invalid Sec-WebSocket-Extensions list")
            }
            HandshakeError::InvalidOrigin => f.write_str("invalid Origin header"),
            HandshakeError::OriginRejected => f.write_str("Origin not allowed"),
        }
    }
}

impl core::error::Error for HandshakeError {}
