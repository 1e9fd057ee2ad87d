//! Accepting WebSocket connections: from a raw stream, or from a request
//! another HTTP server already parsed (the hijack case).

use crate::error::Error;
use crate::handshake_io::{read_more, write_grown};
use crate::options::ServerOptions;
use crate::socket::ServerSocket;
use crate::stream::Stream;
use barews::connection::{Connection, Server};
use barews::handshake::server::{
    AcceptError, AcceptOptions, Request, RequestStatus, ServerHandshake,
};
use barews::handshake::{Failure, HttpVersion};
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
    let mut handshake = ServerHandshake::new(options.handshake);
    let mut head = Vec::with_capacity(1024);
    loop {
        match handshake.receive(&head) {
            Ok(RequestStatus::Partial) => {}
            Ok(RequestStatus::Complete { request, consumed }) => {
                let (accepted, conn) = answer(&mut stream, &request, options, decide)?;
                let socket = ServerSocket::from_parts(
                    stream,
                    conn,
                    &head[consumed..],
                    options.socket.clone(),
                )?;
                return Ok((socket, accepted));
            }
            Err(error) => {
                let response =
                    write_grown(512, |out| error.write_response(out), |e| Some(e.required));
                if let Ok(response) = response {
                    let _ = stream.write_all(&response).and_then(|()| stream.flush());
                }
                return Err(Error::Handshake(Failure::Rejected(error)));
            }
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
    mut stream: T,
    already_read: &[u8],
    parts: RequestParts<'_>,
    options: &ServerOptions,
) -> Result<(ServerSocket<T>, Accepted), Error> {
    let headers = parts.headers.iter().copied();
    let request =
        Request::from_parts(&options.handshake, parts.method, parts.version, parts.path, headers);
    let request = match request {
        Ok(request) => request,
        Err(error) => {
            let response = write_grown(512, |out| error.write_response(out), |e| Some(e.required));
            if let Ok(response) = response {
                let _ = stream.write_all(&response).and_then(|()| stream.flush());
            }
            return Err(Error::Handshake(Failure::Rejected(error)));
        }
    };
    let (accepted, conn) = answer(&mut stream, &request, options, |_| Ok(()))?;
    let socket = ServerSocket::from_parts(stream, conn, already_read, options.socket.clone())?;
    Ok((socket, accepted))
}

/// Writes the answer to a valid request: a refusal if `decide` says so,
/// else the `101` with the first of our subprotocols the client offers
/// (and permessage-deflate when configured and offered); returns what was
/// agreed and the connection to run.
fn answer<T: Stream>(
    stream: &mut T,
    request: &Request<'_>,
    options: &ServerOptions,
    decide: impl FnOnce(&Request<'_>) -> Result<(), u16>,
) -> Result<(Accepted, Connection<Server>), Error> {
    let required = |e: &AcceptError| match e {
        AcceptError::BufferTooSmall { required } => Some(*required),
        _ => None,
    };
    if let Err(status) = decide(request) {
        let response = write_grown(256, |out| request.reject(status, out), required)
            .map_err(|e| Error::Handshake(Failure::Accept(e)))?;
        stream.write_all(&response)?;
        stream.flush()?;
        return Err(Error::Handshake(Failure::Refused { status }));
    }
    let protocol = options
        .protocols
        .iter()
        .find(|ours| request.protocols().any(|offered| offered == ours.as_str()));
    let headers: Vec<(&str, &str)> =
        options.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let (conn, extensions) = negotiate_extensions(request, options);
    let accept = AcceptOptions::new()
        .with_protocol(protocol.map(String::as_str))
        .with_extensions(extensions.as_deref())
        .with_headers(&headers);
    let response = write_grown(256, |out| request.accept(&accept, out), required)
        .map_err(|e| Error::Handshake(Failure::Accept(e)))?;
    stream.write_all(&response)?;
    stream.flush()?;
    let accepted = Accepted {
        path: request.path().to_owned(),
        host: request.host().to_owned(),
        origin: request.origin().map(str::to_owned),
        protocol: protocol.cloned(),
        extensions,
    };
    Ok((accepted, conn))
}

/// The server's connection, with permessage-deflate when it is configured
/// and the client offers it acceptably, and the extension response.
#[cfg(feature = "deflate")]
fn negotiate_extensions(
    request: &Request<'_>,
    options: &ServerOptions,
) -> (Connection<Server>, Option<String>) {
    let conn = Connection::server(options.socket.config);
    match options.deflate.and_then(|ours| ours.accept_offer(request.extensions())) {
        Some(params) => {
            let mut response = String::new();
            let _ = params.write_response(&mut response);
            (conn.with_deflate(params), Some(response))
        }
        None => (conn, None),
    }
}

/// The server's connection; no extension is built in.
#[cfg(not(feature = "deflate"))]
fn negotiate_extensions(
    _: &Request<'_>,
    options: &ServerOptions,
) -> (Connection<Server>, Option<String>) {
    (Connection::server(options.socket.config), None)
}
