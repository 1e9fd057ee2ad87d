//! Why a server refuses an upgrade request, and the HTTP answer for each.

use crate::BufferTooSmall;
use crate::handshake::head::HeaderName;
use crate::handshake::writer::write_error_response;
use core::fmt;

/// A request the server must refuse. Each variant names one rule of
/// RFC 6455 section 4.2.1, of RFC 8441 (the WebSocket protocol over
/// HTTP/2) or of HTTP, and maps to the HTTP status that
/// [`write_response`](Self::write_response) sends over HTTP/1.1
/// ([`status`](Self::status)) and that
/// [`ResponseHeaders::for_error`](crate::handshake::h2::ResponseHeaders::for_error)
/// gives over HTTP/2 ([`h2_status`](Self::h2_status)).
///
/// The variants from [`MethodNotConnect`](Self::MethodNotConnect) on arise
/// only from an HTTP/2 extended CONNECT; the status each names is its
/// [`h2_status`](Self::h2_status).
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
    /// HTTP/2: `:method` is missing or not `CONNECT` (RFC 8441 section 4).
    /// 405, with `allow: CONNECT`.
    MethodNotConnect,
    /// HTTP/2: a `CONNECT` without `:protocol`, which asks for a plain
    /// tunnel, not a WebSocket (RFC 8441 section 5). 400.
    MissingProtocol,
    /// HTTP/2: `:protocol` names a protocol other than `websocket`. 501, as
    /// RFC 9220 section 3 advises for the same extended CONNECT over
    /// HTTP/3.
    UnsupportedProtocol,
    /// HTTP/2: `:scheme` is missing or neither `http` nor `https` (RFC 8441
    /// sections 4 and 5). 400.
    InvalidScheme,
    /// HTTP/2: `:path` is missing, or not a `/` followed by visible ASCII
    /// (RFC 8441 section 4, RFC 9113 section 8.3.1). 400.
    InvalidPath,
    /// HTTP/2: neither `:authority` nor `host` is present (RFC 9113
    /// section 8.3.1). 400.
    MissingAuthority,
    /// HTTP/2: `:authority` is empty or holds characters a host cannot.
    /// 400.
    InvalidAuthority,
    /// HTTP/2: `host` names another host than `:authority` (RFC 9113
    /// section 8.3.1). 400.
    HostMismatch,
    /// HTTP/2: a connection-specific header (`connection`, `upgrade`,
    /// `keep-alive`, `proxy-connection`, `transfer-encoding`, or `te` with
    /// another value than `trailers`), which HTTP/2 forbids (RFC 9113
    /// section 8.2.2) and RFC 8441 section 5 names for `connection` and
    /// `upgrade`. 400.
    ConnectionSpecificHeader,
    /// HTTP/2: a pseudo-header field a request cannot carry, such as
    /// `:status` (RFC 9113 section 8.3). 400.
    InvalidPseudoHeader,
}

impl HandshakeError {
    /// The HTTP status code of the response for this error over HTTP/1.1.
    /// The variants of HTTP/2 alone never arise there; they give 400 (their
    /// own statuses are for HTTP/2, in [`h2_status`](Self::h2_status), and
    /// cost an HTTP/1.1-only build nothing).
    pub const fn status(self) -> u16 {
        match self {
            HandshakeError::HeadTooLarge | HandshakeError::TooManyHeaders => 431,
            HandshakeError::MethodNotAllowed => 405,
            HandshakeError::MissingVersion | HandshakeError::UnsupportedVersion => 426,
            HandshakeError::OriginRejected => 403,
            _ => 400,
        }
    }

    /// The HTTP status code of the response for this error over HTTP/2.
    ///
    /// It is [`status`](Self::status), except for the variants of HTTP/2
    /// alone (each names its status) and for a missing or wrong
    /// `Sec-WebSocket-Version`: 400 instead of 426. A 426 must carry an
    /// `Upgrade` header (RFC 9110 section 15.5.22), which HTTP/2 forbids
    /// (RFC 9113 section 8.2.2), and RFC 6455 section 4.4 asks only for
    /// "an appropriate HTTP error code" beside `Sec-WebSocket-Version`.
    ///
    /// ```
    /// use barews::handshake::server::HandshakeError;
    ///
    /// assert_eq!(HandshakeError::UnsupportedVersion.status(), 426);
    /// assert_eq!(HandshakeError::UnsupportedVersion.h2_status(), 400);
    /// assert_eq!(HandshakeError::OriginRejected.h2_status(), 403);
    /// ```
    pub const fn h2_status(self) -> u16 {
        match self {
            HandshakeError::MissingVersion | HandshakeError::UnsupportedVersion => 400,
            HandshakeError::MethodNotConnect => 405,
            HandshakeError::UnsupportedProtocol => 501,
            _ => self.status(),
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
            HandshakeError::MethodNotConnect => {
                f.write_str("a WebSocket over HTTP/2 must use the CONNECT method")
            }
            HandshakeError::MissingProtocol => {
                f.write_str("a CONNECT without :protocol is not a WebSocket request")
            }
            HandshakeError::UnsupportedProtocol => f.write_str(":protocol must be websocket"),
            HandshakeError::InvalidScheme => f.write_str(":scheme must be http or https"),
            HandshakeError::InvalidPath => f.write_str("missing or invalid :path"),
            HandshakeError::MissingAuthority => f.write_str("missing :authority"),
            HandshakeError::InvalidAuthority => f.write_str("invalid :authority"),
            HandshakeError::HostMismatch => f.write_str("the host header differs from :authority"),
            HandshakeError::ConnectionSpecificHeader => {
                f.write_str("connection-specific header in an HTTP/2 request")
            }
            HandshakeError::InvalidPseudoHeader => {
                f.write_str("pseudo-header field a request cannot carry")
            }
        }
    }
}

impl core::error::Error for HandshakeError {}
