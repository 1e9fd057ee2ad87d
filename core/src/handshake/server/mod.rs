//! The server side of the opening handshake (RFC 6455 section 4.2).
//!
//! Feed the bytes read so far to [`ServerHandshake::receive`] until it
//! returns [`RequestStatus::Complete`]. The [`Request`] it hands back is a
//! decision still to be made: [`Request::accept`] writes the
//! `101 Switching Protocols` response, [`Request::reject`] writes an HTTP
//! error. When the request is invalid, `receive` returns a
//! [`HandshakeError`] that knows the HTTP response to send
//! ([`HandshakeError::write_response`]).
//!
//! Servers that already parse HTTP themselves hand the parsed head to
//! [`Request::from_parts`] instead.
//!
//! ```
//! use barews::handshake::server::{AcceptOptions, RequestStatus, ServerConfig, ServerHandshake};
//!
//! let head = b"GET /chat HTTP/1.1\r\n\
//!     Host: server.example.com\r\n\
//!     Upgrade: websocket\r\n\
//!     Connection: Upgrade\r\n\
//!     Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
//!     Sec-WebSocket-Version: 13\r\n\r\n";
//! let mut handshake = ServerHandshake::new(ServerConfig::new());
//! let RequestStatus::Complete { request, consumed } = handshake.receive(head)? else {
//!     unreachable!("the head is complete")
//! };
//! assert_eq!(consumed, head.len());
//!
//! let mut out = [0u8; 256];
//! let len = request.accept(&AcceptOptions::new(), &mut out)?;
//! assert!(out[..len].starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"));
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```

mod error;
mod offer;
mod origin;
mod request;

pub use error::HandshakeError;
pub use offer::Offer;
pub(crate) use offer::{OfferFields, visible_ascii};
pub use origin::OriginPolicy;
pub use request::{AcceptError, AcceptOptions, Request};

use super::head::{HeadScanner, Scan};
use super::{DEFAULT_MAX_HEAD_LEN, DEFAULT_MAX_HEADERS, HttpVersion};

/// Limits and policy for the server handshake.
///
/// ```
/// use barews::handshake::server::{OriginPolicy, ServerConfig};
///
/// const CONFIG: ServerConfig = ServerConfig::new()
///     .with_max_head_len(4096)
///     .with_origin_policy(OriginPolicy::AllowList(&["https://example.com"]));
/// assert_eq!(CONFIG.max_head_len(), 4096);
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ServerConfig {
    max_head_len: usize,
    origin_policy: OriginPolicy,
}

impl ServerConfig {
    /// The defaults: heads up to [`DEFAULT_MAX_HEAD_LEN`] bytes, any Origin.
    pub const fn new() -> Self {
        ServerConfig { max_head_len: DEFAULT_MAX_HEAD_LEN, origin_policy: OriginPolicy::AllowAny }
    }

    /// The largest request head accepted, in bytes, blank line included.
    /// A longer head fails with [`HandshakeError::HeadTooLarge`] (431).
    #[must_use]
    pub const fn with_max_head_len(mut self, bytes: usize) -> Self {
        self.max_head_len = bytes;
        self
    }

    /// Which `Origin` values are accepted. A refused one fails with
    /// [`HandshakeError::OriginRejected`] (403).
    #[must_use]
    pub const fn with_origin_policy(mut self, policy: OriginPolicy) -> Self {
        self.origin_policy = policy;
        self
    }

    /// The configured head size limit.
    pub const fn max_head_len(&self) -> usize {
        self.max_head_len
    }

    /// The configured Origin policy.
    pub const fn origin_policy(&self) -> OriginPolicy {
        self.origin_policy
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self::new()
    }
}

/// What [`ServerHandshake::receive`] found.
// Without an allocator there is no box to shrink `Complete` with; the value
// only lives on the caller's stack until it accepts or rejects.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum RequestStatus<'a> {
    /// The head is not complete yet: read more and call again with the
    /// longer buffer.
    Partial,
    /// The head is complete and valid.
    Complete {
        /// The parsed request, waiting for [`Request::accept`] or
        /// [`Request::reject`].
        request: Request<'a>,
        /// The length of the head. Bytes after it belong to the frame
        /// layer.
        consumed: usize,
    },
}

/// Parses and validates a client's upgrade request as its bytes arrive.
///
/// `MAX_HEADERS` limits the number of header lines; parsing needs that
/// many 32-byte slots (on 64-bit targets) on the stack, only while
/// [`receive`](Self::receive) runs. More lines fail with
/// [`HandshakeError::TooManyHeaders`] (431).
///
/// Errors are sticky: once `receive` has failed, it returns the same error
/// on every later call.
#[derive(Debug, Clone)]
pub struct ServerHandshake<const MAX_HEADERS: usize = DEFAULT_MAX_HEADERS> {
    config: ServerConfig,
    scanner: HeadScanner,
    failure: Option<HandshakeError>,
}

impl ServerHandshake {
    /// A handshake waiting for the first bytes of a request, accepting up to
    /// [`DEFAULT_MAX_HEADERS`] header lines;
    /// [`with_max_headers`](ServerHandshake::with_max_headers) sets another
    /// limit.
    pub const fn new(config: ServerConfig) -> Self {
        Self::with_max_headers(config)
    }
}

impl<const MAX_HEADERS: usize> ServerHandshake<MAX_HEADERS> {
    /// Like [`new`](ServerHandshake::new), with a header-count limit of
    /// `MAX_HEADERS`: `ServerHandshake::<64>::with_max_headers(config)`.
    pub const fn with_max_headers(config: ServerConfig) -> Self {
        ServerHandshake { config, scanner: HeadScanner::new(), failure: None }
    }

    /// The configuration this handshake validates against.
    pub const fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Parses the bytes received so far.
    ///
    /// `buf` holds everything read since the connection opened: each call
    /// passes the previous buffer plus whatever arrived since. The work per
    /// call is proportional to the new bytes until the head is complete.
    pub fn receive<'a>(&mut self, buf: &'a [u8]) -> Result<RequestStatus<'a>, HandshakeError> {
        if let Some(error) = self.failure {
            return Err(error);
        }
        let result = self.parse(buf);
        if let Err(error) = result {
            self.failure = Some(error);
        }
        result
    }

    fn parse<'a>(&mut self, buf: &'a [u8]) -> Result<RequestStatus<'a>, HandshakeError> {
        let max = self.config.max_head_len;
        // Until a line ends there is nothing new for the parser to judge.
        if self.scanner.scan(buf) == Scan::Nothing {
            return if buf.len() > max {
                Err(HandshakeError::HeadTooLarge)
            } else {
                Ok(RequestStatus::Partial)
            };
        }
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Request::new(&mut headers);
        match parsed.parse(buf) {
            Ok(httparse::Status::Complete(consumed)) if consumed <= max => {
                let version = match parsed.version {
                    Some(1) => HttpVersion::Http11,
                    _ => HttpVersion::Http10,
                };
                let request = Request::from_parts(
                    &self.config,
                    parsed.method.unwrap_or_default(),
                    version,
                    parsed.path.unwrap_or_default(),
                    parsed.headers.iter().map(|h| (h.name, h.value)),
                )?;
                Ok(RequestStatus::Complete { request, consumed })
            }
            Ok(httparse::Status::Partial) if buf.len() <= max => Ok(RequestStatus::Partial),
            Ok(_) => Err(HandshakeError::HeadTooLarge),
            Err(httparse::Error::TooManyHeaders) => Err(HandshakeError::TooManyHeaders),
            Err(_) => Err(HandshakeError::MalformedHead),
        }
    }
}

#[cfg(test)]
mod tests;
