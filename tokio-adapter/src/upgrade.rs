//! Taking over a connection an HTTP server upgraded (feature `hyper`):
//! hyper 1, and axum, which runs on it.
//!
//! In a request handler, [`upgrade`] validates the request with the core
//! and gives the response to return (the `101`, or the core's HTTP error)
//! and, for a `101`, a [`PendingUpgrade`]: once the server has sent the
//! response and handed the connection over, [`PendingUpgrade::socket`]
//! gives the WebSocket. Nothing here depends on axum, so axum handlers and
//! plain hyper services use it alike.
//!
//! ```no_run
//! use barews_tokio::{Message, ServerOptions};
//! use barews_tokio::upgrade::upgrade;
//!
//! // An axum handler (`axum::extract::Request` is an `http::Request`), or
//! // the body of a hyper `service_fn`.
//! async fn ws(mut request: http::Request<hyper::body::Incoming>) -> http::Response<String> {
//!     let (response, pending) = upgrade(&mut request, &ServerOptions::default());
//!     if let Some(pending) = pending {
//!         tokio::spawn(async move {
//!             let (mut socket, _) = pending.socket().await?;
//!             while let Message::Text(text) = socket.read().await? {
//!                 socket.send_text(&text).await?;
//!             }
//!             Ok::<(), barews_tokio::Error>(())
//!         });
//!     }
//!     response
//! }
//! ```

use crate::socket::ServerSocket;
use barews::connection::{Connection, Server};
use barews::handshake::HttpVersion;
use barews_std::opening::{self, Answer};
use barews_std::{Accepted, Error, RequestParts, ServerOptions, SocketOptions};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use std::io;

/// The socket over a connection hyper upgraded.
pub type UpgradedSocket = ServerSocket<TokioIo<Upgraded>>;

/// An accepted upgrade: the connection hyper hands over once the `101` is
/// sent.
pub struct PendingUpgrade {
    on_upgrade: OnUpgrade,
    conn: Connection<Server>,
    accepted: Accepted,
    options: SocketOptions,
}

/// Answers the WebSocket upgrade `request`: the core validates it (method,
/// version, Upgrade and Connection tokens, key, Origin policy) and, for a
/// valid one, picks the subprotocol and permessage-deflate as
/// [`accept_with`](crate::accept_with) does. Returns the response to send:
/// the `101` with a [`PendingUpgrade`], or the core's HTTP error (400,
/// 403, 405, 426 with `Sec-WebSocket-Version`…) with `None`.
///
/// With the `http2` feature, an HTTP/2 request is taken as an extended
/// CONNECT (RFC 8441): the core checks it by the same rules, and the
/// answer is a `200` on the stream (or the core's error status), after
/// which the stream carries the WebSocket. The hyper server must be built
/// with `http2().enable_connect_protocol()` for clients to send one.
/// Without the feature, a request over HTTP/2 is refused as an HTTP/1.x
/// upgrade would be.
pub fn upgrade<B>(
    request: &mut http::Request<B>,
    options: &ServerOptions,
) -> (http::Response<String>, Option<PendingUpgrade>) {
    #[cfg(feature = "http2")]
    if request.version() == http::Version::HTTP_2 {
        return upgrade_h2(request, options);
    }
    let Answer { response, result, .. } = answer(request, options);
    let response = to_response(&response);
    match result {
        Ok((conn, accepted)) => {
            let on_upgrade = hyper::upgrade::on(request);
            let options = options.socket.clone();
            (response, Some(PendingUpgrade { on_upgrade, conn, accepted, options }))
        }
        Err(_) => (response, None),
    }
}

/// [`upgrade`] for a request that came over HTTP/2.
#[cfg(feature = "http2")]
fn upgrade_h2<B>(
    request: &mut http::Request<B>,
    options: &ServerOptions,
) -> (http::Response<String>, Option<PendingUpgrade>) {
    // hyper carries the pseudo-header fields as the method, the URI and
    // the `:protocol` extension; the core takes them as fields.
    let protocol =
        request.extensions().get::<hyper::ext::Protocol>().map(|p| p.as_str().to_owned());
    let uri = request.uri();
    let mut fields: Vec<(&str, &[u8])> = vec![(":method", request.method().as_str().as_bytes())];
    if let Some(protocol) = &protocol {
        fields.push((":protocol", protocol.as_bytes()));
    }
    if let Some(scheme) = uri.scheme_str() {
        fields.push((":scheme", scheme.as_bytes()));
    }
    if let Some(path) = uri.path_and_query() {
        fields.push((":path", path.as_str().as_bytes()));
    }
    if let Some(authority) = uri.authority() {
        fields.push((":authority", authority.as_str().as_bytes()));
    }
    fields.extend(request.headers().iter().map(|(name, value)| (name.as_str(), value.as_bytes())));
    let answer = opening::answer_h2(fields, options);
    let mut response = http::Response::builder().status(answer.status);
    for (name, value) in &answer.headers {
        response = response.header(name, value);
    }
    let response = response.body(String::new()).unwrap_or_else(|_| internal_error());
    match answer.result {
        Ok((conn, accepted)) => {
            let on_upgrade = hyper::upgrade::on(request);
            let options = options.socket.clone();
            (response, Some(PendingUpgrade { on_upgrade, conn, accepted, options }))
        }
        Err(_) => (response, None),
    }
}

/// The core's answer to the request's parts.
fn answer<B>(request: &http::Request<B>, options: &ServerOptions) -> Answer {
    let version = if request.version() == http::Version::HTTP_11 {
        HttpVersion::Http11
    } else {
        HttpVersion::Http10
    };
    let headers: Vec<(&str, &[u8])> =
        request.headers().iter().map(|(name, value)| (name.as_str(), value.as_bytes())).collect();
    let parts = RequestParts {
        method: request.method().as_str(),
        version,
        path: request.uri().path_and_query().map_or("/", http::uri::PathAndQuery::as_str),
        headers: &headers,
    };
    opening::answer_parts(parts, options)
}

impl PendingUpgrade {
    /// What was agreed in the handshake.
    pub fn accepted(&self) -> &Accepted {
        &self.accepted
    }

    /// Waits until the server has sent the `101` (over HTTP/2: the `200`)
    /// and handed the connection (the stream) over, then runs the
    /// WebSocket on it.
    pub async fn socket(self) -> Result<(UpgradedSocket, Accepted), Error> {
        let upgraded = self.on_upgrade.await.map_err(|e| Error::Io(io::Error::other(e)))?;
        // Bytes hyper read past the request head come first out of
        // `Upgraded` itself.
        let socket =
            ServerSocket::from_parts(TokioIo::new(upgraded), self.conn, &[], &self.options)?;
        Ok((socket, self.accepted))
    }
}

impl std::fmt::Debug for PendingUpgrade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingUpgrade").field("accepted", &self.accepted).finish_non_exhaustive()
    }
}

/// The response the core wrote (status line, headers, body) as hyper's
/// type. The head is the core's own, so it always parses; a `500` stands
/// in if it ever did not.
fn to_response(bytes: &[u8]) -> http::Response<String> {
    // One header a line at most.
    let lines = bytes.windows(2).filter(|pair| pair == b"\r\n").count();
    let mut headers = vec![httparse::EMPTY_HEADER; lines];
    let mut head = httparse::Response::new(&mut headers);
    let (Ok(httparse::Status::Complete(len)), Some(code)) = (head.parse(bytes), head.code) else {
        return internal_error();
    };
    let mut response = http::Response::builder().status(code);
    for header in head.headers.iter() {
        response = response.header(header.name, header.value);
    }
    let body = String::from_utf8_lossy(bytes.get(len..).unwrap_or_default()).into_owned();
    response.body(body).unwrap_or_else(|_| internal_error())
}

fn internal_error() -> http::Response<String> {
    let mut response = http::Response::new(String::new());
    *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
    response
}
