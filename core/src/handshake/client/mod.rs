//! The client side of the opening handshake (RFC 6455 section 4.1).
//!
//! Describe the request with a [`ClientRequest`], start a
//! [`ClientHandshake`] with a fresh random nonce, write the request with
//! [`ClientHandshake::write_request`], then feed the server's answer to
//! [`ClientHandshake::receive`] until it returns
//! [`ResponseStatus::Complete`]. Bytes after the response head belong to
//! the frame layer.
//!
//! ```
//! use barews::handshake::client::{ClientHandshake, ClientRequest, ResponseStatus};
//!
//! let request = ClientRequest::new("example.com", "/chat?room=1").with_port(8080);
//! let handshake = ClientHandshake::new(request, *b"the sample nonce")?;
//! let mut out = [0u8; 256];
//! let len = handshake.write_request(&mut out)?;
//! assert!(out[..len].starts_with(b"GET /chat?room=1 HTTP/1.1\r\nHost: example.com:8080\r\n"));
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```

mod parse;
mod request;
mod response;

pub use request::{ClientRequest, RequestError};
pub use response::{Response, ResponseError};
pub(crate) use response::{check_extensions, check_protocol};

use super::head::{HeadScanner, Scan};
use super::writer::write_all_or_nothing;
use super::{DEFAULT_MAX_HEAD_LEN, DEFAULT_MAX_HEADERS, SecKey};
use crate::BufferTooSmall;

/// What [`ClientHandshake::receive`] found.
#[derive(Debug, Clone)]
pub enum ResponseStatus<'a> {
    /// The head is not complete yet: read more and call again with the
    /// longer buffer.
    Partial,
    /// The server accepted the upgrade.
    Complete {
        /// What the server selected.
        response: Response<'a>,
        /// The length of the response head. Bytes after it are the first
        /// bytes of the WebSocket stream.
        consumed: usize,
    },
}

/// The client's half of the opening handshake.
///
/// `MAX_HEADERS` limits the number of header lines in the response
/// (parsing stores none of them: the limit costs no memory).
///
/// Errors from `receive` are sticky: after a failure, later calls return
/// the same error.
#[derive(Debug, Clone)]
pub struct ClientHandshake<'r, const MAX_HEADERS: usize = DEFAULT_MAX_HEADERS> {
    request: ClientRequest<'r>,
    /// The nonce: the key, and the accept value expected back, are
    /// derived from it when they are needed (smaller than keeping both,
    /// 52 bytes).
    nonce: [u8; 16],
    max_head_len: usize,
    scanner: HeadScanner,
    failure: Option<ResponseError>,
}

impl<'r> ClientHandshake<'r> {
    /// Checks `request` and derives `Sec-WebSocket-Key` from `nonce`, which
    /// must be 16 bytes from a good random source, fresh for each
    /// connection (RFC 6455 section 4.1).
    ///
    /// The response may hold up to [`DEFAULT_MAX_HEADERS`] header lines;
    /// [`with_max_headers`](ClientHandshake::with_max_headers) sets another
    /// limit.
    pub fn new(request: ClientRequest<'r>, nonce: [u8; 16]) -> Result<Self, RequestError> {
        Self::with_max_headers(request, nonce)
    }
}

impl<'r, const MAX_HEADERS: usize> ClientHandshake<'r, MAX_HEADERS> {
    /// Like [`new`](ClientHandshake::new), with a response header-count
    /// limit of `MAX_HEADERS`:
    /// `ClientHandshake::<'_, 64>::with_max_headers(request, nonce)`.
    pub fn with_max_headers(
        request: ClientRequest<'r>,
        nonce: [u8; 16],
    ) -> Result<Self, RequestError> {
        request.validate()?;
        Ok(ClientHandshake {
            request,
            nonce,
            max_head_len: DEFAULT_MAX_HEAD_LEN,
            scanner: HeadScanner::new(),
            failure: None,
        })
    }

    /// Sets the largest response head accepted, in bytes (default
    /// [`DEFAULT_MAX_HEAD_LEN`]).
    #[must_use]
    pub fn with_max_head_len(mut self, bytes: usize) -> Self {
        self.max_head_len = bytes;
        self
    }

    /// The `Sec-WebSocket-Key` this handshake sends.
    pub fn key(&self) -> SecKey {
        SecKey::from_nonce(self.nonce)
    }

    /// The request this handshake sends.
    pub fn request(&self) -> &ClientRequest<'r> {
        &self.request
    }

    /// Writes the upgrade request into `out` and returns its length. On
    /// [`BufferTooSmall`] `out` is left untouched.
    pub fn write_request(&self, out: &mut [u8]) -> Result<usize, BufferTooSmall> {
        let request = &self.request;
        let key = self.key();
        write_all_or_nothing(out, |e| {
            e.str("GET ");
            e.str(request.path());
            e.str(" HTTP/1.1\r\nHost: ");
            request.write_host(e);
            // Adjacent literals as one piece: each call costs code.
            e.str("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ");
            e.bytes(key.as_bytes());
            e.str("\r\nSec-WebSocket-Version: 13\r\n");
            if let Some(origin) = request.origin() {
                e.header("Origin", origin);
            }
            if !request.protocols().is_empty() {
                e.str("Sec-WebSocket-Protocol: ");
                for (i, protocol) in request.protocols().iter().enumerate() {
                    if i > 0 {
                        e.str(", ");
                    }
                    e.str(protocol);
                }
                e.str("\r\n");
            }
            if let Some(extensions) = request.extensions() {
                e.header("Sec-WebSocket-Extensions", extensions);
            }
            for (name, value) in request.headers() {
                e.header(name, value);
            }
            e.str("\r\n");
        })
    }

    /// Parses the response bytes received so far.
    ///
    /// `buf` holds everything read since the request was sent: each call
    /// passes the previous buffer plus whatever arrived since.
    pub fn receive<'a>(&mut self, buf: &'a [u8]) -> Result<ResponseStatus<'a>, ResponseError> {
        if let Some(error) = self.failure {
            return Err(error);
        }
        let result = self.parse(buf);
        if let Err(error) = result {
            self.failure = Some(error);
        }
        result
    }

    fn parse<'a>(&mut self, buf: &'a [u8]) -> Result<ResponseStatus<'a>, ResponseError> {
        let max = self.max_head_len;
        if self.scanner.scan(buf) == Scan::Nothing {
            return if buf.len() > max {
                Err(ResponseError::HeadTooLarge)
            } else {
                Ok(ResponseStatus::Partial)
            };
        }
        match parse::parse_head(buf, MAX_HEADERS) {
            Ok(Some(head)) if head.len <= max => {
                if head.minor_version != 1 {
                    return Err(ResponseError::HttpVersionTooOld);
                }
                if head.status != 101 {
                    return Err(ResponseError::UnexpectedStatus(head.status));
                }
                let expected_accept = self.key().accept();
                let response = Response::validate(&self.request, &expected_accept, head.lines)?;
                Ok(ResponseStatus::Complete { response, consumed: head.len })
            }
            Ok(None) if buf.len() <= max => Ok(ResponseStatus::Partial),
            Ok(_) => Err(ResponseError::HeadTooLarge),
            Err(parse::SyntaxError::TooManyHeaders) => Err(ResponseError::TooManyHeaders),
            Err(parse::SyntaxError::Malformed) => Err(ResponseError::MalformedHead),
        }
    }
}

#[cfg(test)]
mod tests;
