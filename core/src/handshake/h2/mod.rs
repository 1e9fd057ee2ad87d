//! The WebSocket protocol over HTTP/2 (RFC 8441): the opening handshake
//! as an extended CONNECT, for both roles, as pure functions over header
//! fields.
//!
//! Over HTTP/2 a WebSocket is one stream of a connection that also carries
//! other requests. Its opening handshake is a `CONNECT` request with the
//! `:protocol` pseudo-header `websocket` (RFC 8441 sections 4 and 5) and a
//! `200` answer; then both ends speak RFC 6455 framing unchanged over the
//! stream's DATA frames, as if the stream were the TCP connection (RFC 8441
//! section 5). So after the handshake a
//! [`Connection`](crate::connection::Connection) runs exactly as over
//! HTTP/1.1: a client still masks what it sends, a server still refuses
//! unmasked frames.
//!
//! - Server: [`ExtendedConnect::from_headers`] checks a request's header
//!   fields; [`ExtendedConnect::accept`] and [`ExtendedConnect::reject`]
//!   give the answer as [`ResponseHeaders`], a status and the fields to
//!   send; a refused request's [`HandshakeError`] gives its own
//!   ([`ResponseHeaders::for_error`]).
//! - Client: [`ConnectHandshake::headers`] lists the request's fields as
//!   [`RequestHeaders`]; [`ConnectHandshake::check_response`] checks the
//!   answer and says what was agreed ([`ConnectResponse`]).
//!
//! # What it does not do
//!
//! There is no HTTP/2 here: no frames, no HPACK, no SETTINGS, no streams,
//! no flow control. That is the job of the caller's HTTP/2 library (such
//! as `h2` or `hyper`), which must also:
//!
//! - as a server, advertise `SETTINGS_ENABLE_CONNECT_PROTOCOL` (0x8) with
//!   the value 1 ([`SETTINGS_ENABLE_CONNECT_PROTOCOL`]); as a client, send
//!   no extended CONNECT until the server's SETTINGS carried it (RFC 8441
//!   section 3);
//! - refuse malformed messages (RFC 9113 section 8.1.1): pseudo-header
//!   fields after regular ones, upper-case names, and so on;
//! - map the stream's end onto the connection's: `END_STREAM` is the
//!   TCP FIN of RFC 6455, a stream reset (`RST_STREAM`, `CANCEL`) its
//!   abrupt close (RFC 8441 section 5).
//!
//! # Header fields in
//!
//! Both checks take the fields as HTTP/2 libraries hand them: an iterator
//! of `(name, value)` pairs of type `(&str, &[u8])`, the same shape as
//! [`Request::from_parts`](crate::handshake::server::Request::from_parts).
//! The server's pairs include the request's pseudo-header fields, as
//! pairs such as `(":method", b"CONNECT")`, anywhere in the list. Names
//! compare without regard to ASCII case (HTTP/2 sends them in lower case,
//! RFC 9113 section 8.2.1) and values are trimmed of spaces and tabs.
//! With `hyper` or `h2`, whose requests carry the pseudo-header fields as
//! the method, the URI and the `h2::ext::Protocol` extension, make the
//! pairs from `method().as_str()`, the protocol's `as_str()`, the URI's
//! `scheme_str()`, `path_and_query()` and `authority()`, then each of
//! `headers()` as `(name.as_str(), value.as_bytes())`.
//!
//! # Header fields out
//!
//! [`ResponseHeaders`] and [`RequestHeaders`] borrow what they list and
//! never allocate. Their pairs are `(&str, &str)`; the names this module
//! writes are in lower case, as HTTP/2 requires; extra headers an
//! application adds are listed as it spelled them (`http::HeaderName`
//! lowers them). Each type also has getters for libraries that build
//! requests from a URI (`scheme://authority/path`) and a status.
//!
//! # What differs from HTTP/1.1
//!
//! Everything RFC 6455 checks of the subprotocols, the extensions, the
//! `Origin` (under the same [`OriginPolicy`]) and `Sec-WebSocket-Version`
//! is checked here by the same code as over HTTP/1.1, with the same
//! errors. Only the framing of the request differs:
//!
//! - `:method` is `CONNECT` and `:protocol` is `websocket`, compared
//!   without regard to case (RFC 9110 section 7.8 for upgrade tokens, the
//!   registry RFC 8441 section 4 draws `:protocol` from), instead of `GET`
//!   with `Upgrade` and `Connection`, which HTTP/2 forbids (RFC 8441
//!   section 5);
//! - `:scheme` (`https` for `wss`, `http` for `ws`), `:path` and
//!   `:authority` instead of the request line and `Host` (RFC 8441 section
//!   5); a request may give `host` alone, and when it gives both they must
//!   agree (RFC 9113 section 8.3.1);
//! - no `Sec-WebSocket-Key` and no `Sec-WebSocket-Accept`: the `:protocol`
//!   pseudo-header does their work (RFC 8441 section 5), so a key sent
//!   anyway is ignored;
//! - success is `200` ([`STATUS_OK`]), not `101`, and a wrong version is
//!   answered with `400` and `sec-websocket-version: 13` instead of `426`
//!   ([`HandshakeError::h2_status`] says why).
//!
//! # The exchange of RFC 8441 section 5.1
//!
//! ```
//! use barews::handshake::client::ClientRequest;
//! use barews::handshake::h2::{ConnectHandshake, ExtendedConnect};
//! use barews::handshake::server::{AcceptOptions, ServerConfig};
//!
//! // The client's request.
//! let offered = ["chat", "superchat"];
//! let request = ClientRequest::new("server.example.com", "/chat")
//!     .with_secure(true)
//!     .with_origin(Some("http://www.example.com"))
//!     .with_protocols(&offered)
//!     .with_extensions(Some("permessage-deflate"));
//! let client = ConnectHandshake::new(request)?;
//! let mut scratch = [0u8; 64];
//! let headers = client.headers(&mut scratch)?;
//! assert_eq!(headers.iter().next(), Some((":method", "CONNECT")));
//!
//! // Over the HTTP/2 connection to the server, which checks it.
//! let received: Vec<(&str, &[u8])> =
//!     headers.iter().map(|(name, value)| (name, value.as_bytes())).collect();
//! let connect = ExtendedConnect::from_headers(&ServerConfig::new(), received)?;
//! assert_eq!((connect.authority(), connect.path()), ("server.example.com", "/chat"));
//!
//! // The server selects `chat` and answers `200`.
//! let answer = connect.accept(&AcceptOptions::new().with_protocol(Some("chat")))?;
//! assert_eq!(answer.status(), 200);
//! assert_eq!(answer.iter().collect::<Vec<_>>(), [("sec-websocket-protocol", "chat")]);
//!
//! // Back at the client.
//! let fields = answer.iter().map(|(name, value)| (name, value.as_bytes()));
//! let response = client.check_response(answer.status(), fields)?;
//! assert_eq!(response.protocol(), Some("chat"));
//! // Both ends now run a `Connection` over the stream.
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```
//!
//! [`HandshakeError`]: crate::handshake::server::HandshakeError
//! [`HandshakeError::h2_status`]: crate::handshake::server::HandshakeError::h2_status
//! [`OriginPolicy`]: crate::handshake::server::OriginPolicy

mod client;
mod server;

pub use client::{ConnectHandshake, ConnectResponse, RequestHeaders};
pub use server::{ExtendedConnect, ResponseHeaders};

/// The value of the `:protocol` pseudo-header that asks for a WebSocket
/// (RFC 8441 section 5).
pub const PROTOCOL: &str = "websocket";

/// The identifier of the HTTP/2 setting a server sends with the value 1 to
/// allow extended CONNECT requests (RFC 8441 section 3).
pub const SETTINGS_ENABLE_CONNECT_PROTOCOL: u16 = 0x8;

/// The status of a server's acceptance: `200`, as in the exchange of
/// RFC 8441 section 5.1. CONNECT itself treats any 2xx as the start of
/// the tunnel (RFC 9110 section 9.3.6); this module sends `200` and
/// accepts nothing else, as RFC 6455 accepts nothing but `101`.
pub const STATUS_OK: u16 = 200;

/// The `:scheme` of a WebSocket over HTTP/2: `https` for a `wss` URI,
/// `http` for a `ws` URI (RFC 8441 section 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `http`, for `ws://` (cleartext HTTP/2, "h2c").
    Http,
    /// `https`, for `wss://` (HTTP/2 over TLS).
    Https,
}

impl Scheme {
    /// The scheme as `:scheme` carries it, in lower case.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    /// The scheme of a `:scheme` value, compared without regard to ASCII
    /// case (RFC 3986 section 3.1); `None` for any other scheme.
    pub fn parse(value: &[u8]) -> Option<Scheme> {
        if value.eq_ignore_ascii_case(b"https") {
            Some(Scheme::Https)
        } else if value.eq_ignore_ascii_case(b"http") {
            Some(Scheme::Http)
        } else {
            None
        }
    }
}

impl core::fmt::Display for Scheme {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests;
