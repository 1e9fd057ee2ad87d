//! The opening handshake's settings ([`Client`], [`Server`]) and its steps
//! that do no I/O, shared by the blocking and the async sockets.

use crate::engine::Engine;
use crate::error::Error;
use crate::{Clock, MIN_BUFFER, NoClock};
use barews::config::Config;
use barews::connection::{self, Connection, MaskKeys};
use barews::handshake::client::{ClientHandshake, ClientRequest, ResponseError, ResponseStatus};
use barews::handshake::server::{
    AcceptError, AcceptOptions, HandshakeError, Request, RequestStatus, ServerConfig,
    ServerHandshake,
};

/// Opens client connections: the mask-key source, the connection's
/// [`Config`] and the [`Clock`].
///
/// [`connect`](Client::connect) (blocking, over `embedded_io`) or
/// `connect_async` (over `embedded_io_async`, feature `async`) runs the
/// opening handshake and returns the socket.
///
/// Mask keys must be unpredictable to the peer (RFC 6455 section 10.3):
/// take them from a hardware RNG or a CSPRNG seeded from one. Any
/// `FnMut() -> [u8; 4]` is a key source.
///
/// ```
/// use barews_embedded::{Client, Config};
/// use barews_embedded::barews::time::{Duration, Instant};
///
/// # fn hardware_rng() -> u32 { 4 }
/// # fn millis_since_boot() -> u64 { 0 }
/// let client = Client::new(|| hardware_rng().to_ne_bytes())
///     .config(Config::new().keepalive(Some(Duration::from_secs(30))))
///     .clock(|| Instant::from_millis(millis_since_boot()));
/// # let _ = client;
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Client<K, C = NoClock> {
    keys: K,
    config: Config,
    clock: C,
}

impl<K: MaskKeys> Client<K> {
    /// A client masking frames with keys from `keys`, with the default
    /// [`Config`] and no clock.
    pub const fn new(keys: K) -> Self {
        Client { keys, config: Config::new(), clock: NoClock }
    }
}

impl<K: MaskKeys, C: Clock> Client<K, C> {
    /// Sets the connection's limits and behaviour (message size limits,
    /// automatic replies, keepalive, close timeout, outgoing fragment
    /// size).
    #[must_use]
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Sets the clock that drives keepalive and the close timeout.
    pub fn clock<D: Clock>(self, clock: D) -> Client<K, D> {
        Client { keys: self.keys, config: self.config, clock }
    }

    /// Checks the buffers and the request, and writes the request into the
    /// send buffer of a new engine.
    pub(crate) fn open<'b, E>(
        self,
        request: ClientRequest<'b>,
        nonce: [u8; 16],
        rx: &'b mut [u8],
        tx: &'b mut [u8],
    ) -> Result<ClientOpening<'b, K, C>, Error<E>> {
        check_buffers(rx, tx)?;
        let handshake = ClientHandshake::new(request, nonce).map_err(Error::Request)?;
        let conn = Connection::client(self.config, self.keys);
        let mut engine = Engine::new(conn, self.clock, rx, tx);
        let (_, out) = engine.unread_and_output();
        let len = handshake
            .write_request(out)
            .map_err(|e| Error::BufferTooSmall { required: e.required })?;
        engine.commit(len);
        Ok((engine, handshake))
    }
}

/// A client's engine with its request written, and the handshake that
/// checks the answer.
pub(crate) type ClientOpening<'b, K, C> =
    (Engine<'b, connection::Client<K>, C>, ClientHandshake<'b>);

/// Where the client handshake stands.
pub(crate) enum Opened<'r> {
    /// The response head is not complete: read more.
    Partial,
    /// The server accepted; the subprotocol it selected, as offered.
    Done(Option<&'r str>),
}

/// Looks at the response bytes read so far. On success the head is
/// consumed and the bytes after it stay for the frame layer.
pub(crate) fn check_response<'r, K: MaskKeys, C: Clock, E>(
    engine: &mut Engine<'_, connection::Client<K>, C>,
    handshake: &mut ClientHandshake<'r>,
) -> Result<Opened<'r>, Error<E>> {
    let full = engine.rx_full();
    let offered = handshake.request().get_protocols();
    let (protocol, consumed) = match handshake.receive(engine.unread()) {
        Ok(ResponseStatus::Complete { response, consumed }) => {
            // The same text as in the request, which outlives the buffer.
            (
                response
                    .protocol()
                    .and_then(|p| offered.iter().copied().find(|o| o.bytes().eq(p.bytes()))),
                consumed,
            )
        }
        Ok(ResponseStatus::Partial) if full => {
            return Err(Error::Response(ResponseError::HeadTooLarge));
        }
        Ok(ResponseStatus::Partial) => return Ok(Opened::Partial),
        Err(error) => return Err(Error::Response(error)),
    };
    engine.consume(consumed);
    Ok(Opened::Done(protocol))
}

/// Accepts server connections: the connection's [`Config`], the
/// handshake's [`ServerConfig`] (head size limit, Origin policy), the
/// [`AcceptOptions`] of the `101` (subprotocol, extra headers) and the
/// [`Clock`].
///
/// [`accept`](Server::accept) / [`accept_with`](Server::accept_with)
/// (blocking) or `accept_async` / `accept_with_async` (feature `async`)
/// run the opening handshake and return the socket.
///
/// ```
/// use barews_embedded::{AcceptOptions, Server, ServerConfig};
///
/// let server = Server::new()
///     .handshake(ServerConfig::new().max_head_len(1024))
///     .options(AcceptOptions::new().headers(&[("Server", "my-device")]));
/// # let _ = server;
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Server<'o, C = NoClock> {
    config: Config,
    handshake: ServerConfig,
    options: AcceptOptions<'o>,
    clock: C,
}

impl Server<'static> {
    /// A server with the default settings and no clock.
    pub const fn new() -> Self {
        Server {
            config: Config::new(),
            handshake: ServerConfig::new(),
            options: AcceptOptions::new(),
            clock: NoClock,
        }
    }
}

impl Default for Server<'static> {
    fn default() -> Self {
        Server::new()
    }
}

impl<'o, C: Clock> Server<'o, C> {
    /// Sets the connection's limits and behaviour.
    #[must_use]
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Sets the handshake's limits and Origin policy. The head must also
    /// fit the receive buffer: a longer one is refused with 431.
    #[must_use]
    pub fn handshake(mut self, handshake: ServerConfig) -> Self {
        self.handshake = handshake;
        self
    }

    /// Sets what [`accept`](Self::accept) answers every valid request
    /// with.
    pub fn options(self, options: AcceptOptions<'_>) -> Server<'_, C> {
        Server { config: self.config, handshake: self.handshake, options, clock: self.clock }
    }

    /// Sets the clock that drives keepalive and the close timeout.
    pub fn clock<D: Clock>(self, clock: D) -> Server<'o, D> {
        Server { config: self.config, handshake: self.handshake, options: self.options, clock }
    }

    /// The accept options, for `accept` to answer with.
    pub(crate) fn accept_options(&self) -> AcceptOptions<'o> {
        self.options
    }

    /// Checks the buffers and makes the engine and the handshake.
    pub(crate) fn open<'b, E>(
        self,
        rx: &'b mut [u8],
        tx: &'b mut [u8],
    ) -> Result<(Engine<'b, connection::Server, C>, ServerHandshake), Error<E>> {
        check_buffers(rx, tx)?;
        let engine = Engine::new(Connection::server(self.config), self.clock, rx, tx);
        Ok((engine, ServerHandshake::new(self.handshake)))
    }
}

/// Where the server handshake stands. In the last two cases the answer
/// (if it fit) is in the send buffer.
pub(crate) enum Answer<E> {
    /// The request head is not complete: read more.
    Partial,
    /// The `101` is written and the head consumed.
    Accepted,
    /// The request was refused.
    Refused(Error<E>),
}

/// Looks at the request bytes read so far; once the head is complete,
/// asks `decide` and writes the answer.
pub(crate) fn answer_request<'o, C: Clock, E, F>(
    engine: &mut Engine<'_, connection::Server, C>,
    handshake: &mut ServerHandshake,
    decide: &mut Option<F>,
) -> Answer<E>
where
    F: FnOnce(&Request<'_>) -> Result<AcceptOptions<'o>, u16>,
{
    let full = engine.rx_full();
    let (head, out) = engine.unread_and_output();
    let (answer, written, consumed) = match handshake.receive(head) {
        Ok(RequestStatus::Partial) if !full => return Answer::Partial,
        Ok(RequestStatus::Partial) => refuse(HandshakeError::HeadTooLarge, out),
        Ok(RequestStatus::Complete { request, consumed }) => {
            let decision = decide.take().map_or(Err(500), |decide| decide(&request));
            let (answer, written) = match decision {
                Ok(options) => match request.accept(&options, out) {
                    Ok(len) => (Answer::Accepted, len),
                    Err(error) => {
                        (Answer::Refused(Error::Accept(error)), reject(&request, 500, out))
                    }
                },
                Err(status) => match refusal(&request, status, out) {
                    Ok(len) => (Answer::Refused(Error::Refused { status }), len),
                    Err(error) => {
                        (Answer::Refused(Error::Accept(error)), reject(&request, 500, out))
                    }
                },
            };
            (answer, written, consumed)
        }
        Err(error) => refuse(error, out),
    };
    engine.commit(written);
    engine.consume(consumed);
    answer
}

/// An invalid request's answer: its HTTP error, when it fits.
fn refuse<E>(error: HandshakeError, out: &mut [u8]) -> (Answer<E>, usize, usize) {
    #[cfg(feature = "detailed-errors")]
    let written = error.write_response(out).unwrap_or(0);
    #[cfg(not(feature = "detailed-errors"))]
    let written = compact_response(error.status(), out);
    (Answer::Refused(Error::Rejected(error)), written, 0)
}

/// Writes a refusal with `status`, or nothing when it does not fit.
fn reject(request: &Request<'_>, status: u16, out: &mut [u8]) -> usize {
    refusal(request, status, out).unwrap_or(0)
}

/// Writes a refusal with `status` (400-599).
fn refusal(request: &Request<'_>, status: u16, out: &mut [u8]) -> Result<usize, AcceptError> {
    #[cfg(feature = "detailed-errors")]
    return request.reject(status, out);
    #[cfg(not(feature = "detailed-errors"))]
    {
        let _ = request;
        if !(400..=599).contains(&status) {
            return Err(AcceptError::InvalidStatus);
        }
        Ok(compact_response(status, out))
    }
}

/// An HTTP error response without a body or reason phrase, with the
/// header RFC 6455 requires for 426 (and HTTP for 405), written without
/// `core::fmt`; 0 when it does not fit.
#[cfg(not(feature = "detailed-errors"))]
fn compact_response(status: u16, out: &mut [u8]) -> usize {
    let extra: &[u8] = match status {
        405 => b"Allow: GET\r\n",
        426 => b"Sec-WebSocket-Version: 13\r\n",
        _ => b"",
    };
    let digit = |place: u16| b'0' + u8::try_from(status / place % 10).unwrap_or(0);
    let code = [digit(100), digit(10), digit(1)];
    let parts: [&[u8]; 5] =
        [b"HTTP/1.1 ", &code, b" \r\n", extra, b"Connection: close\r\nContent-Length: 0\r\n\r\n"];
    let len = parts.iter().map(|part| part.len()).sum();
    let Some(out) = out.get_mut(..len) else { return 0 };
    let mut at = 0;
    for part in parts {
        if let Some(slot) = out.get_mut(at..at + part.len()) {
            slot.copy_from_slice(part);
        }
        at += part.len();
    }
    len
}

fn check_buffers<E>(rx: &[u8], tx: &[u8]) -> Result<(), Error<E>> {
    if rx.len() < MIN_BUFFER || tx.len() < MIN_BUFFER {
        return Err(Error::BufferTooSmall { required: MIN_BUFFER });
    }
    Ok(())
}
