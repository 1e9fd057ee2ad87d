//! Why an opening handshake did not complete, for either role: the one
//! vocabulary every adapter reports handshake failures in.

use super::client::{RequestError, ResponseError};
use super::server::{AcceptError, HandshakeError};
use core::fmt;

/// An opening handshake that did not complete. The client side fails with
/// [`Request`](Failure::Request) or [`Response`](Failure::Response), the
/// server side with the other three; each server failure names the HTTP
/// status that was (or should have been) written back.
///
/// ```
/// use barews::handshake::Failure;
/// use barews::handshake::server::HandshakeError;
///
/// let failure = Failure::Rejected(HandshakeError::UnsupportedVersion);
/// assert_eq!(failure.status(), Some(426));
/// assert_eq!(Failure::Refused { status: 403 }.status(), Some(403));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// Client: the request cannot be written (an invalid host, path,
    /// subprotocol or header, or a buffer too small for it).
    Request(RequestError),
    /// Client: the server's answer is not a valid acceptance of the
    /// request.
    Response(ResponseError),
    /// Server: the client's request is invalid; the HTTP error answer for
    /// it ([`HandshakeError::status`]) is due.
    Rejected(HandshakeError),
    /// Server: the application refused the request with this status.
    Refused {
        /// The HTTP status (400-599) of the refusal.
        status: u16,
    },
    /// Server: the answer cannot be written (a subprotocol that was not
    /// offered, an invalid extra header, a refusal status outside
    /// 400-599, a buffer too small); a `500` is due instead.
    Accept(AcceptError),
}

impl Failure {
    /// The HTTP status a server sends back for this failure over HTTP/1.1;
    /// `None` on the client side. Over HTTP/2 a rejection's status is
    /// [`HandshakeError::h2_status`], which differs for a version error.
    pub const fn status(&self) -> Option<u16> {
        match self {
            Failure::Request(_) | Failure::Response(_) => None,
            Failure::Rejected(error) => Some(error.status()),
            Failure::Refused { status } => Some(*status),
            Failure::Accept(_) => Some(500),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Request(e) => write!(f, "invalid request: {e}"),
            Failure::Response(e) => write!(f, "upgrade failed: {e}"),
            Failure::Rejected(e) => write!(f, "upgrade request refused: {e}"),
            Failure::Refused { status } => write!(f, "upgrade request refused with {status}"),
            Failure::Accept(e) => write!(f, "cannot answer the upgrade request: {e}"),
        }
    }
}

impl core::error::Error for Failure {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Failure::Request(e) => Some(e),
            Failure::Response(e) => Some(e),
            Failure::Rejected(e) => Some(e),
            Failure::Refused { .. } => None,
            Failure::Accept(e) => Some(e),
        }
    }
}
