//! Accepting WebSocket connections: from a raw stream, or from a request
//! another HTTP server already parsed (the hijack case).

use crate::error::Error;
use crate::handshake_io::read_more;
use crate::opening::{self, Answer, ServerOpening};
use crate::options::ServerOptions;
use crate::socket::ServerSocket;
use crate::stream::Stream;
use barews::handshake::HttpVersion;
use barews::handshake::server::Request;
use std::time::Instant;

/// What the server agreed to in the opening handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Accepted {
    /// The request target (path and query).
    pub path: String,
    /// The `Host` header.
    pub host: String,
    /// The `Origin` header, if the client sent one.
    pub origin: Option<String>,
    /// The selected subprotocol.
    pub protocol: Option<String>,
    /// The `Sec-WebSocket-Extensions` response sent (permessage-deflate),
    /// if any.
    pub extensions: Option<String>,
}

/// A request head an HTTP server has already parsed, for
/// [`from_upgraded`].
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// The method (must be `GET`).
    pub method: &'a str,
    /// The HTTP version.
    pub version: HttpVersion,
    /// The request target.
    pub path: &'a str,
    /// The header lines, names and values as received.
    pub headers: &'a [(&'a str, &'a [u8])],
}

/// Accepts a WebSocket on `stream` with the default options: reads the
/// upgrade request (within 10 s), answers it, and returns the socket.
pub fn accept<T: Stream>(stream: T) -> Result<ServerSocket<T>, Error> {
    accept_with(stream, &ServerOptions::default()).map(|(socket, _)| socket)
}

/// Accepts a WebSocket on `stream` with `options`. An invalid request gets
/// its HTTP error response and fails with [`Error::Handshake`]`(`[`Failure::Rejected`](barews::handshake::Failure::Rejected)`)`.
pub fn accept_with<T: Stream>(
    stream: T,
    options: &ServerOptions,
) -> Result<(ServerSocket<T>, Accepted), Error> {
    accept_with_callback(stream, options, |_| Ok(()))
}

/// Like [`accept_with`], asking `decide` about each valid request first
/// (authentication, routing on the path): `Err(status)` refuses it with
/// that HTTP status (400-599) and fails with [`Error::Handshake`]`(`[`Failure::Refused`](barews::handshake::Failure::Refused)`)`.
pub fn accept_with_callback<T: Stream>(
    mut stream: T,
    options: &ServerOptions,
    decide: impl FnOnce(&Request<'_>) -> Result<(), u16>,
) -> Result<(ServerSocket<T>, Accepted), Error> {
    let deadline = Instant::now() + options.handshake_timeout;
    let mut opening = ServerOpening::new(options, decide);
    let mut head = Vec::with_capacity(1024);
    loop {
        if let Some((answer, consumed)) = opening.request(&head) {
            return open(stream, answer, &head[consumed..], options);
        }
        read_more(&mut stream, &mut head, deadline)?;
    }
}

/// Takes over a stream whose upgrade request an existing HTTP server has
/// already parsed: validates the request, writes the `101` (or the HTTP
/// error) on `stream`, and returns the socket. `already_read` holds any
/// bytes that server read past the request head; they are the first
/// WebSocket bytes.
pub fn from_upgraded<T: Stream>(
    stream: T,
    already_read: &[u8],
    parts: RequestParts<'_>,
    options: &ServerOptions,
) -> Result<(ServerSocket<T>, Accepted), Error> {
    open(stream, opening::answer_parts(parts, options), already_read, options)
}

/// Writes `answer`'s response and makes the socket it agreed to, with
/// `leftover` (bytes read past the request head) as its first input.
fn open<T: Stream>(
    mut stream: T,
    answer: Answer,
    leftover: &[u8],
    options: &ServerOptions,
) -> Result<(ServerSocket<T>, Accepted), Error> {
    let written = stream.write_all(&answer.response).and_then(|()| stream.flush());
    let (conn, accepted) = answer.finish(written.map_err(Error::Io))?;
    let socket = ServerSocket::from_parts(stream, conn, leftover, options.socket.clone())?;
    Ok((socket, accepted))
}
