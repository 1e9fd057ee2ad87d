//! The opening handshake (RFC 6455 section 4), for both roles.
//!
//! Both sides follow the push-parser model of `httparse`: the caller keeps
//! the bytes it has read so far in its own buffer and passes the whole
//! buffer on every call. The parser answers `Partial` until the head is
//! complete, then the parsed head and how many bytes it took. Any bytes
//! after that count already belong to the frame layer.
//!
//! - [`server`]: parse and validate a request, then accept or reject it.
//! - [`client`]: write a request, then check the server's response.
//! - [`h2`]: the same handshake over HTTP/2 (RFC 8441), as checks of
//!   header fields and lists of header fields to send, for both roles.

pub(crate) mod base64;
pub mod client;
mod failure;
pub mod h2;
pub(crate) mod head;
mod key;
pub mod server;
#[cfg(any(feature = "compact-sha1", test))]
mod sha1;
pub(crate) mod writer;

pub use failure::Failure;
pub use head::HeaderName;
pub use key::{AcceptKey, SecKey};

/// The only WebSocket protocol version this crate speaks (RFC 6455
/// section 4.1): the value of `Sec-WebSocket-Version`.
pub const WEBSOCKET_VERSION: &str = "13";

/// Default limit on the size of an HTTP head, in bytes.
///
/// Browsers send upgrade requests of a few hundred bytes; large cookies
/// can push that to a few KiB.
pub const DEFAULT_MAX_HEAD_LEN: usize = 8 * 1024;

/// Default limit on the number of header lines in a head. It is the default
/// value of the `MAX_HEADERS` parameter of
/// [`ServerHandshake`](server::ServerHandshake) and
/// [`ClientHandshake`](client::ClientHandshake).
pub const DEFAULT_MAX_HEADERS: usize = 32;

/// How many times a list header (`Sec-WebSocket-Protocol`,
/// `Sec-WebSocket-Extensions`) may repeat in one head. The lines are
/// merged as one list (RFC 7230 section 3.2.2); more lines than this are
/// refused as too many headers.
pub const MAX_LIST_LINES: usize = 8;

/// The HTTP version of a request head handed over by another HTTP server
/// (see [`Request::from_parts`](server::Request::from_parts)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpVersion {
    /// HTTP/1.0, which cannot carry a WebSocket upgrade.
    Http10,
    /// HTTP/1.1.
    Http11,
}
