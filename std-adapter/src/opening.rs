//! The opening handshakes with this crate's options, without I/O: the bytes
//! to send, and what the peer's head means. barews-std's blocking functions
//! and barews-tokio's async ones run these same steps; an adapter over
//! other I/O can too.
//!
//! A client makes a [`ClientOffer`] (the request's parts, owned), opens it
//! into a [`ClientOpening`], writes [`request`](ClientOpening::request) and
//! feeds the answer's bytes to [`response`](ClientOpening::response) until
//! it is complete. A server feeds the request's bytes to a
//! [`ServerOpening`] until it has an [`Answer`] (a request another HTTP
//! server parsed goes to [`answer`] or [`refusal`] directly): bytes to
//! write, then the connection to run or the error.

use crate::client::ResponseInfo;
use crate::error::Error;
use crate::options::{ClientOptions, ServerOptions};
use crate::rng::{OsMasks, nonce};
use crate::server::{Accepted, RequestParts};
use crate::url::WsUrl;
use barews::BufferTooSmall;
use barews::connection::{Client, Connection, Server};
use barews::handshake::Failure;
use barews::handshake::client::{ClientHandshake, ClientRequest, ResponseStatus};
use barews::handshake::h2::{ConnectHandshake, ExtendedConnect, ResponseHeaders};
use barews::handshake::server::{
    AcceptError, AcceptOptions, HandshakeError, Request, RequestStatus, ServerHandshake,
};
use std::io;

/// A client's request, its parts gathered from the URL and the options.
#[derive(Debug)]
pub struct ClientOffer<'a> {
    url: &'a WsUrl,
    options: &'a ClientOptions,
    protocols: Vec<&'a str>,
    headers: Vec<(&'a str, &'a str)>,
    extensions: Option<String>,
}

impl<'a> ClientOffer<'a> {
    /// The request for `url` with `options`: its subprotocols, headers and
    /// extension offer (permessage-deflate's too, when configured).
    pub fn new(url: &'a WsUrl, options: &'a ClientOptions) -> Self {
        ClientOffer {
            url,
            options,
            protocols: options.protocols.iter().map(String::as_str).collect(),
            headers: options.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect(),
            extensions: extension_offer(options),
        }
    }

    /// The core's request for this offer.
    fn request(&self) -> ClientRequest<'_> {
        ClientRequest::new(&self.url.host, &self.url.path)
            .with_port(self.url.port)
            .with_secure(self.url.secure)
            .with_origin(self.options.origin.as_deref())
            .with_protocols(&self.protocols)
            .with_extensions(self.extensions.as_deref())
            .with_headers(&self.headers)
    }

    /// The handshake for this request, with a fresh random key.
    pub fn open(&self) -> Result<ClientOpening<'_>, Error> {
        let handshake = ClientHandshake::new(self.request(), nonce()?)
            .map_err(|e| Error::Handshake(Failure::Request(e)))?;
        Ok(ClientOpening { options: self.options, handshake })
    }

    /// The handshake for this request as an extended CONNECT on an HTTP/2
    /// connection (RFC 8441).
    pub fn open_h2(&self) -> Result<H2Opening<'_>, Error> {
        let handshake = ConnectHandshake::new(self.request())
            .map_err(|e| Error::Handshake(Failure::Request(e)))?;
        Ok(H2Opening { options: self.options, handshake })
    }
}

/// Header fields as owned pairs.
fn owned_fields<'f>(fields: impl Iterator<Item = (&'f str, &'f str)>) -> Vec<(String, String)> {
    fields.map(|(name, value)| (name.to_owned(), value.to_owned())).collect()
}

/// A client's extended CONNECT (RFC 8441) under way: the fields to send on
/// a new HTTP/2 stream, then the check of the answer.
#[derive(Debug)]
pub struct H2Opening<'o> {
    options: &'o ClientOptions,
    handshake: ConnectHandshake<'o>,
}

impl H2Opening<'_> {
    /// The request's fields: the pseudo-header fields (`:method`,
    /// `:protocol`, `:scheme`, `:authority`, `:path`) first, then the
    /// header fields.
    pub fn fields(&self) -> Result<Vec<(String, String)>, Error> {
        let mut scratch = vec![0u8; 256];
        let required = match self.handshake.headers(&mut scratch) {
            Ok(fields) => return Ok(owned_fields(fields.iter())),
            Err(too_small) => too_small.required,
        };
        // Told the size it needs, once.
        scratch.resize(required, 0);
        match self.handshake.headers(&mut scratch) {
            Ok(fields) => Ok(owned_fields(fields.iter())),
            Err(too_small) => Err(Error::Io(io::Error::other(too_small.to_string()))),
        }
    }

    /// Checks the answer (its `:status` and header fields): the
    /// connection to run on the stream, and what the server selected.
    pub fn response<'a>(
        &self,
        status: u16,
        fields: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> Result<(Connection<Client<OsMasks>>, ResponseInfo), Error> {
        let response = self
            .handshake
            .check_response(status, fields)
            .map_err(|e| Error::Handshake(Failure::Response(e)))?;
        let info = ResponseInfo {
            protocol: response.protocol().map(str::to_owned),
            extensions: response.extensions().map(str::to_owned).collect(),
        };
        let conn = client_connection(self.options, &info.extensions)?;
        Ok((conn, info))
    }
}

/// A client's opening handshake under way.
#[derive(Debug)]
pub struct ClientOpening<'o> {
    options: &'o ClientOptions,
    handshake: ClientHandshake<'o>,
}

/// A client handshake that completed.
#[derive(Debug)]
#[non_exhaustive]
pub struct ClientOpened {
    /// The connection to run, with permessage-deflate when the server
    /// accepted it.
    pub conn: Connection<Client<OsMasks>>,
    /// What the server selected.
    pub info: ResponseInfo,
    /// The bytes of the response head; those after it are the first
    /// frames.
    pub consumed: usize,
}

impl ClientOpening<'_> {
    /// The request head to write.
    pub fn request(&self) -> Result<Vec<u8>, Error> {
        grown(512, |out| self.handshake.write_request(out), |e: &BufferTooSmall| Some(e.required))
            .map_err(|e| Error::Io(io::Error::other(e.to_string())))
    }

    /// Looks at the response bytes read so far: `None` while the head is
    /// incomplete, then the connection to run.
    pub fn response(&mut self, head: &[u8]) -> Result<Option<ClientOpened>, Error> {
        match self.handshake.receive(head) {
            Ok(ResponseStatus::Partial) => Ok(None),
            Ok(ResponseStatus::Complete { response, consumed }) => {
                let info = ResponseInfo {
                    protocol: response.protocol().map(str::to_owned),
                    extensions: response.extensions().map(str::to_owned).collect(),
                };
                let conn = client_connection(self.options, &info.extensions)?;
                Ok(Some(ClientOpened { conn, info, consumed }))
            }
            Err(error) => Err(Error::Handshake(Failure::Response(error))),
        }
    }
}

/// The `Sec-WebSocket-Extensions` offer: the caller's, plus
/// permessage-deflate when configured.
fn extension_offer(options: &ClientOptions) -> Option<String> {
    #[cfg(feature = "deflate")]
    if let Some(deflate) = options.deflate {
        let mut offer = options.extensions.clone().map(|e| e + ", ").unwrap_or_default();
        let _ = deflate.write_offer(&mut offer);
        return Some(offer);
    }
    options.extensions.clone()
}

/// The client's connection, with permessage-deflate if the server accepted
/// it (its parameters checked against the offer).
fn client_connection(
    options: &ClientOptions,
    accepted: &[String],
) -> Result<Connection<Client<OsMasks>>, Error> {
    let conn = Connection::client(options.socket.config, OsMasks::new()?);
    #[cfg(feature = "deflate")]
    if let Some(ours) = options.deflate {
        let accepted = accepted.iter().map(String::as_str);
        if let Some(params) = ours.accept_response_among(accepted).map_err(Error::Deflate)? {
            return Ok(conn.with_deflate(params));
        }
    }
    let _ = accepted;
    Ok(conn)
}

/// A server's opening handshake under way: the request head is read into
/// one buffer, fed here after every read until it is complete, and
/// answered.
pub struct ServerOpening<'a, F> {
    options: &'a ServerOptions,
    handshake: ServerHandshake,
    decide: Option<F>,
}

impl<'a, F: FnOnce(&Request<'_>) -> Result<(), u16>> ServerOpening<'a, F> {
    /// A handshake with `options`, asking `decide` about the request once
    /// it is complete and valid (see [`answer`]).
    pub fn new(options: &'a ServerOptions, decide: F) -> Self {
        ServerOpening {
            options,
            handshake: ServerHandshake::new(options.handshake),
            decide: Some(decide),
        }
    }

    /// Looks at the request bytes read so far: `None` while the head is
    /// incomplete (read more), then the answer and the length of the head
    /// (the bytes after it are the first frames).
    pub fn request(&mut self, head: &[u8]) -> Option<(Answer, usize)> {
        match self.handshake.receive(head) {
            Ok(RequestStatus::Partial) => None,
            Ok(RequestStatus::Complete { request, consumed }) => {
                let answer = match self.decide.take() {
                    Some(decide) => answer(&request, self.options, decide),
                    // Asked again after the answer: the same refusal as
                    // for a request nobody could decide on.
                    None => answer(&request, self.options, |_| Err(500)),
                };
                Some((answer, consumed))
            }
            Err(error) => Some((refusal(error), 0)),
        }
    }
}

impl<F> std::fmt::Debug for ServerOpening<'_, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerOpening").field("handshake", &self.handshake).finish_non_exhaustive()
    }
}

/// A server's answer to an upgrade request: the bytes to write (a `101`,
/// or an HTTP error), then the connection to run or why there is none.
#[derive(Debug)]
#[non_exhaustive]
pub struct Answer {
    /// The response head (and body, for an error) to write. Empty when not
    /// even an error response could be written.
    pub response: Vec<u8>,
    /// The connection and what was agreed, or the handshake's failure.
    pub result: Result<(Connection<Server>, Accepted), Error>,
}

impl Answer {
    /// What the handshake came to once the response was written (or not:
    /// `written`). A refusal's own error says more than a failed write of
    /// it, so it wins.
    pub fn finish(
        self,
        written: Result<(), Error>,
    ) -> Result<(Connection<Server>, Accepted), Error> {
        let agreed = self.result?;
        written?;
        Ok(agreed)
    }
}

/// The answer to a request another HTTP server already parsed, from its
/// parts: [`answer`] for a valid one (no `decide` step: that server routed
/// it), [`refusal`] for an invalid one.
pub fn answer_parts(parts: RequestParts<'_>, options: &ServerOptions) -> Answer {
    let headers = parts.headers.iter().copied();
    let request =
        Request::from_parts(&options.handshake, parts.method, parts.version, parts.path, headers);
    match request {
        Ok(request) => answer(&request, options, |_| Ok(())),
        Err(error) => refusal(error),
    }
}

/// The answer to an invalid request: the core's HTTP error response for
/// `error` (400, 403, 405, 426 with the version header, 431…).
pub fn refusal(error: HandshakeError) -> Answer {
    let response = grown(512, |out| error.write_response(out), |e| Some(e.required));
    Answer {
        response: response.unwrap_or_default(),
        result: Err(Error::Handshake(Failure::Rejected(error))),
    }
}

/// The answer to a valid request: a refusal if `decide` says so, else the
/// `101` with the first of our subprotocols the client offers (and
/// permessage-deflate when configured and offered).
pub fn answer(
    request: &Request<'_>,
    options: &ServerOptions,
    decide: impl FnOnce(&Request<'_>) -> Result<(), u16>,
) -> Answer {
    let required = |e: &AcceptError| match e {
        AcceptError::BufferTooSmall { required } => Some(*required),
        _ => None,
    };
    let failed = |error| Answer {
        response: Vec::new(),
        result: Err(Error::Handshake(Failure::Accept(error))),
    };
    if let Err(status) = decide(request) {
        return match grown(256, |out| request.reject(status, out), required) {
            Ok(response) => {
                Answer { response, result: Err(Error::Handshake(Failure::Refused { status })) }
            }
            Err(error) => failed(error),
        };
    }
    let protocol = options
        .protocols
        .iter()
        .find(|ours| request.protocols().any(|offered| offered == ours.as_str()));
    let headers: Vec<(&str, &str)> =
        options.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let (conn, extensions) = negotiate_extensions(request.extensions(), options);
    let accept = AcceptOptions::new()
        .with_protocol(protocol.map(String::as_str))
        .with_extensions(extensions.as_deref())
        .with_headers(&headers);
    match grown(256, |out| request.accept(&accept, out), required) {
        Ok(response) => {
            let accepted = Accepted {
                path: request.path().to_owned(),
                host: request.host().to_owned(),
                origin: request.origin().map(str::to_owned),
                protocol: protocol.cloned(),
                extensions,
            };
            Answer { response, result: Ok((conn, accepted)) }
        }
        Err(error) => failed(error),
    }
}

/// The answer to a WebSocket opened over HTTP/2 (RFC 8441): the status
/// and header fields to send on the stream, and the connection to run on
/// it once they are sent, or the handshake's failure.
#[derive(Debug)]
pub struct H2Answer {
    /// The `:status`: 200 for an accepted request.
    pub status: u16,
    /// The header fields to send with it (lower-case names).
    pub headers: Vec<(String, String)>,
    /// The connection and what was agreed, or the handshake's failure.
    pub result: Result<(Connection<Server>, Accepted), Error>,
}

/// The answer to an extended CONNECT an HTTP/2 server received, from its
/// header fields with the pseudo-header fields among them (`:method`,
/// `:protocol`, `:scheme`, `:path`, `:authority`; see
/// [`barews::handshake::h2`]): the core checks it by the same rules as an
/// HTTP/1.1 upgrade, and it is answered as [`answer`] answers one (the
/// first of our subprotocols the client offers, permessage-deflate when
/// configured and offered), or with the core's error status.
pub fn answer_h2<'a>(
    fields: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    options: &ServerOptions,
) -> H2Answer {
    let owned = |headers: ResponseHeaders<'_>| owned_fields(headers.iter());
    let request = match ExtendedConnect::from_headers(&options.handshake, fields) {
        Ok(request) => request,
        Err(error) => {
            let answer = ResponseHeaders::for_error(error);
            return H2Answer {
                status: answer.status(),
                headers: owned(answer),
                result: Err(Error::Handshake(Failure::Rejected(error))),
            };
        }
    };
    let protocol = options
        .protocols
        .iter()
        .find(|ours| request.protocols().any(|offered| offered == ours.as_str()));
    let extra: Vec<(&str, &str)> =
        options.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let (conn, extensions) = negotiate_extensions(request.extensions(), options);
    let accept = AcceptOptions::new()
        .with_protocol(protocol.map(String::as_str))
        .with_extensions(extensions.as_deref())
        .with_headers(&extra);
    let answered = request.accept(&accept).map(|answer| (answer.status(), owned(answer)));
    match answered {
        Ok((status, headers)) => {
            let accepted = Accepted {
                path: request.path().to_owned(),
                host: request.authority().to_owned(),
                origin: request.origin().map(str::to_owned),
                protocol: protocol.cloned(),
                extensions,
            };
            H2Answer { status, headers, result: Ok((conn, accepted)) }
        }
        Err(error) => H2Answer {
            status: 500,
            headers: Vec::new(),
            result: Err(Error::Handshake(Failure::Accept(error))),
        },
    }
}

/// The server's connection, with permessage-deflate when it is configured
/// and the client offers it acceptably among the `offered` extensions,
/// and the extension response.
#[cfg(feature = "deflate")]
fn negotiate_extensions<'a>(
    offered: impl Iterator<Item = &'a str>,
    options: &ServerOptions,
) -> (Connection<Server>, Option<String>) {
    let conn = Connection::server(options.socket.config);
    match options.deflate.and_then(|ours| ours.accept_offer(offered)) {
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
fn negotiate_extensions<'a>(
    _: impl Iterator<Item = &'a str>,
    options: &ServerOptions,
) -> (Connection<Server>, Option<String>) {
    (Connection::server(options.socket.config), None)
}

/// Runs a writer that reports the size it needs until the buffer fits.
fn grown<E>(
    initial: usize,
    mut write: impl FnMut(&mut [u8]) -> Result<usize, E>,
    required: impl Fn(&E) -> Option<usize>,
) -> Result<Vec<u8>, E> {
    let mut out = vec![0u8; initial];
    loop {
        match write(&mut out) {
            Ok(len) => {
                out.truncate(len);
                return Ok(out);
            }
            Err(error) => match required(&error) {
                Some(size) if size > out.len() => out.resize(size, 0),
                _ => return Err(error),
            },
        }
    }
}
