//! Accepting WebSocket connections: from a raw stream, or from a request
//! another HTTP server already parsed.

use crate::client::read_more;
use crate::socket::ServerSocket;
use barews::handshake::server::Request;
use barews_std::opening::{self, Answer, ServerOpening};
use barews_std::{Accepted, Error, RequestParts, ServerOptions};
use std::future::Future;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

/// Accepts a WebSocket on `stream` with the default options: reads the
/// upgrade request (within 10 s), answers it, and returns the socket. The
/// future is one pointer, as [`accept_with`]'s.
pub fn accept<T: AsyncRead + AsyncWrite + Unpin>(
    stream: T,
) -> impl Future<Output = Result<ServerSocket<T>, Error>> {
    Box::pin(async move {
        let options = ServerOptions::default();
        let accepted = accept_inner(stream, &options, |_| Ok(())).await;
        accepted.map(|(socket, _)| socket)
    })
}

/// Accepts a WebSocket on `stream` with `options`. An invalid request gets
/// the core's HTTP error response and fails with [`Error::Handshake`]; a
/// client that does not send its whole request within the handshake
/// timeout fails with [`Error::HandshakeTimeout`].
///
/// The handshake's state lives on the heap while it runs (the future is
/// one pointer): a task that accepts and then serves the connection keeps
/// only the socket, not room for the handshake, for the connection's life.
pub fn accept_with<'a, T: AsyncRead + AsyncWrite + Unpin + 'a>(
    stream: T,
    options: &'a ServerOptions,
) -> impl Future<Output = Result<(ServerSocket<T>, Accepted), Error>> + 'a {
    accept_with_callback(stream, options, |_| Ok(()))
}

/// Like [`accept_with`], asking `decide` about each valid request first
/// (authentication, routing on the path): `Err(status)` refuses it with
/// that HTTP status (400-599).
/// The future is one pointer, as [`accept_with`]'s.
pub fn accept_with_callback<'a, T: AsyncRead + AsyncWrite + Unpin + 'a>(
    stream: T,
    options: &'a ServerOptions,
    decide: impl FnOnce(&Request<'_>) -> Result<(), u16> + 'a,
) -> impl Future<Output = Result<(ServerSocket<T>, Accepted), Error>> + 'a {
    Box::pin(accept_inner(stream, options, decide))
}

async fn accept_inner<T: AsyncRead + AsyncWrite + Unpin>(
    mut stream: T,
    options: &ServerOptions,
    decide: impl FnOnce(&Request<'_>) -> Result<(), u16>,
) -> Result<(ServerSocket<T>, Accepted), Error> {
    let mut opening = ServerOpening::new(options, decide);
    let read_request = async {
        let mut head = Vec::with_capacity(1024);
        loop {
            if let Some((answer, consumed)) = opening.request(&head) {
                return Ok::<_, Error>((answer, consumed, head));
            }
            read_more(&mut stream, &mut head).await?;
        }
    };
    let (answer, consumed, head) = tokio::time::timeout(options.handshake_timeout, read_request)
        .await
        .map_err(|_| Error::HandshakeTimeout)??;
    open(stream, answer, &head[consumed..], options).await
}

/// Takes over a stream whose upgrade request an existing HTTP server has
/// already parsed: validates the request, writes the `101` (or the HTTP
/// error) on `stream`, and returns the socket. `already_read` holds any
/// bytes that server read past the request head; they are the first
/// WebSocket bytes.
/// The future is one pointer, as [`accept_with`]'s.
pub fn from_upgraded<'a, T: AsyncRead + AsyncWrite + Unpin + 'a>(
    stream: T,
    already_read: &'a [u8],
    parts: RequestParts<'_>,
    options: &'a ServerOptions,
) -> impl Future<Output = Result<(ServerSocket<T>, Accepted), Error>> + 'a {
    let answer = opening::answer_parts(parts, options);
    Box::pin(open(stream, answer, already_read, options))
}

/// Writes `answer`'s response (within the handshake timeout) and makes
/// the socket it agreed to, with `leftover` as its first input.
async fn open<T: AsyncRead + AsyncWrite + Unpin>(
    mut stream: T,
    answer: Answer,
    leftover: &[u8],
    options: &ServerOptions,
) -> Result<(ServerSocket<T>, Accepted), Error> {
    let write = async {
        stream.write_all(&answer.response).await?;
        stream.flush().await
    };
    let written = match tokio::time::timeout(options.handshake_timeout, write).await {
        Ok(written) => written.map_err(Error::Io),
        Err(_) => Err(Error::HandshakeTimeout),
    };
    let (conn, accepted) = answer.finish(written)?;
    let socket = ServerSocket::from_parts(stream, conn, leftover, &options.socket)?;
    Ok((socket, accepted))
}
