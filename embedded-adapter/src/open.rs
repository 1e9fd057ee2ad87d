//! The opening handshake's settings ([`Connector`], [`Acceptor`]) and its steps
//! that do no I/O, shared by the blocking and the async sockets.

use crate::error::Error;
use crate::{Clock, NoClock};
use barews::config::Config;
use barews::connection::{self, Connection, MaskKeys};
use barews::driver::Driver;
use barews::handshake::Failure;
use barews::handshake::client::{ClientHandshake, ClientRequest, ResponseError, ResponseStatus};
use barews::handshake::server::{
    AcceptOptions, HandshakeError, Request, RequestStatus, ServerConfig, ServerHandshake,
};

/// Opens client connections: the mask-key source, the connection's
/// [`Config`] and the [`Clock`].
///
/// [`connect`](Connector::connect) (blocking, over `embedded_io`) or
/// `connect_async` (over `embedded_io_async`, feature `async`) runs the
/// opening handshake and returns the socket.
///
/// Mask keys must be unpredictable to the peer (RFC 6455 section 10.3):
/// take them from a hardware RNG or a CSPRNG seeded from one. Any
/// `FnMut() -> [u8; 4]` is a key source.
///
/// ```
/// use barews_embedded::{Connector, Config};
/// use barews_embedded::barews::time::{Duration, Instant};
///
/// # fn hardware_rng() -> u32 { 4 }
/// # fn millis_since_boot() -> u64 { 0 }
/// let client = Connector::new(|| hardware_rng().to_ne_bytes())
///     .with_config(Config::new().with_keepalive(Some(Duration::from_secs(30))))
///     .with_clock(|| Instant::from_millis(millis_since_boot()));
/// # let _ = client;
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Connector<K, C = NoClock> {
    keys: K,
    config: Config,
    clock: C,
}

impl<K: MaskKeys> Connector<K> {
    /// A client masking frames with keys from `keys`, with the default
    /// [`Config`] and no clock.
    pub const fn new(keys: K) -> Self {
        Connector { keys, config: Config::new(), clock: NoClock }
    }
}

impl<K: MaskKeys, C: Clock> Connector<K, C> {
    /// Sets the connection's limits and behaviour (message size limits,
    /// automatic replies, keepalive, close timeout, outgoing fragment
    /// size).
    #[must_use]
    pub fn with_config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Sets the clock that drives keepalive and the close timeout.
    pub fn with_clock<D: Clock>(self, clock: D) -> Connector<K, D> {
        Connector { keys: self.keys, config: self.config, clock }
    }

    /// Checks the request and writes it at the front of `tx` (where the
    /// driver's send buffer will start): the handshake that checks the
    /// answer, and the request's length.
    pub(crate) fn request<'b, E>(
        request: ClientRequest<'b>,
        nonce: [u8; 16],
        tx: &mut [u8],
    ) -> Result<(ClientHandshake<'b>, usize), Error<E>> {
        let handshake = ClientHandshake::new(request, nonce)
            .map_err(|e| Error::Handshake(Failure::Request(e)))?;
        let len = handshake.write_request(tx)?;
        Ok((handshake, len))
    }

    /// The client's connection, and the clock.
    pub(crate) fn into_parts(self) -> (Connection<connection::Client<K>>, C) {
        (Connection::client(self.config, self.keys), self.clock)
    }
}

/// Looks at the response bytes read so far: `None` while the head is
/// incomplete, else the subprotocol the server selected (as offered) or
/// why it failed. On success the head is consumed and the bytes after it
/// stay for the frame layer.
pub(crate) fn check_response<'r, K: MaskKeys, E>(
    driver: &mut Driver<connection::Client<K>, &mut [u8]>,
    handshake: &mut ClientHandshake<'r>,
) -> Option<Result<Option<&'r str>, Error<E>>> {
    let full = driver.input().is_full();
    let offered = handshake.request().protocols();
    let (protocol, consumed) = match handshake.receive(driver.input().unread()) {
        Ok(ResponseStatus::Complete { response, consumed }) => {
            // The same text as in the request, which outlives the buffer.
            let protocol = response
                .protocol()
                .and_then(|p| offered.iter().copied().find(|o| o.bytes().eq(p.bytes())));
            (protocol, consumed)
        }
        Ok(ResponseStatus::Partial) if full => {
            return Some(Err(Error::Handshake(Failure::Response(ResponseError::HeadTooLarge))));
        }
        Ok(ResponseStatus::Partial) => return None,
        Err(error) => return Some(Err(Error::Handshake(Failure::Response(error)))),
    };
    driver.input_mut().consume(consumed);
    Some(Ok(protocol))
}

/// Accepts server connections: the connection's [`Config`], the
/// handshake's [`ServerConfig`] (head size limit, Origin policy), the
/// [`AcceptOptions`] of the `101` (subprotocol, extra headers) and the
/// [`Clock`].
///
/// [`accept`](Acceptor::accept) / [`accept_with`](Acceptor::accept_with)
/// (blocking) or `accept_async` / `accept_with_async` (feature `async`)
/// run the opening handshake and return the socket.
///
/// ```
/// use barews_embedded::{AcceptOptions, Acceptor, ServerConfig};
///
/// let server = Acceptor::new()
///     .with_handshake(ServerConfig::new().with_max_head_len(1024))
///     .with_options(AcceptOptions::new().with_headers(&[("Server", "my-device")]));
/// # let _ = server;
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Acceptor<'o, C = NoClock> {
    config: Config,
    handshake: ServerConfig,
    options: AcceptOptions<'o>,
    clock: C,
}

impl Acceptor<'static> {
    /// A server with the default settings and no clock.
    pub const fn new() -> Self {
        Acceptor {
            config: Config::new(),
            handshake: ServerConfig::new(),
            options: AcceptOptions::new(),
            clock: NoClock,
        }
    }
}

impl Default for Acceptor<'static> {
    fn default() -> Self {
        Acceptor::new()
    }
}

impl<'o, C: Clock> Acceptor<'o, C> {
    /// Sets the connection's limits and behaviour.
    #[must_use]
    pub fn with_config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Sets the handshake's limits and Origin policy. The head must also
    /// fit the receive buffer: a longer one is refused with 431.
    #[must_use]
    pub fn with_handshake(mut self, handshake: ServerConfig) -> Self {
        self.handshake = handshake;
        self
    }

    /// Sets what [`accept`](Self::accept) answers every valid request
    /// with.
    pub fn with_options(self, options: AcceptOptions<'_>) -> Acceptor<'_, C> {
        Acceptor { config: self.config, handshake: self.handshake, options, clock: self.clock }
    }

    /// Sets the clock that drives keepalive and the close timeout.
    pub fn with_clock<D: Clock>(self, clock: D) -> Acceptor<'o, D> {
        Acceptor { config: self.config, handshake: self.handshake, options: self.options, clock }
    }

    /// The accept options, for `accept` to answer with.
    pub(crate) fn accept_options(&self) -> AcceptOptions<'o> {
        self.options
    }

    /// Checks the buffers and makes the driver and the handshake.
    pub(crate) fn open<'b, E>(
        self,
        rx: &'b mut [u8],
        tx: &'b mut [u8],
    ) -> Result<ServerOpening<'b, C>, Error<E>> {
        let driver = Driver::new(Connection::server(self.config), rx, tx)?;
        Ok((driver, ServerHandshake::new(self.handshake), self.clock))
    }
}

/// A server's driver, the handshake that reads the request, and the
/// clock.
pub(crate) type ServerOpening<'b, C> =
    (Driver<connection::Server, &'b mut [u8]>, ServerHandshake, C);

/// Looks at the request bytes read so far: `None` while the head is
/// incomplete. Once it is complete, asks `decide` and writes the answer
/// (the `101`, or the HTTP error the core writes for a refusal) into the
/// send buffer, if it fits.
pub(crate) fn answer_request<'o, E, F>(
    driver: &mut Driver<connection::Server, &mut [u8]>,
    handshake: &mut ServerHandshake,
    decide: &mut Option<F>,
) -> Option<Result<(), Error<E>>>
where
    F: FnOnce(&Request<'_>) -> Result<AcceptOptions<'o>, u16>,
{
    let full = driver.input().is_full();
    let (head, out) = driver.handshake_buffers();
    let (answer, written, consumed) = match handshake.receive(head) {
        Ok(RequestStatus::Partial) if !full => return None,
        Ok(RequestStatus::Partial) => refuse(HandshakeError::HeadTooLarge, out),
        Ok(RequestStatus::Complete { request, consumed }) => {
            let decision = decide.take().map_or(Err(500), |decide| decide(&request));
            let (answer, written) = match decision {
                Ok(options) => match request.accept(&options, out) {
                    Ok(len) => (Ok(()), len),
                    Err(error) => {
                        (Err(Error::Handshake(Failure::Accept(error))), reject(&request, 500, out))
                    }
                },
                Err(status) => match request.reject(status, out) {
                    Ok(len) => (Err(Error::Handshake(Failure::Refused { status })), len),
                    Err(error) => {
                        (Err(Error::Handshake(Failure::Accept(error))), reject(&request, 500, out))
                    }
                },
            };
            (answer, written, consumed)
        }
        Err(error) => refuse(error, out),
    };
    driver.output_mut().commit(written);
    driver.input_mut().consume(consumed);
    Some(answer)
}

/// An invalid request's answer: the core's HTTP error for it, when it
/// fits.
fn refuse<E>(error: HandshakeError, out: &mut [u8]) -> (Result<(), Error<E>>, usize, usize) {
    let written = error.write_response(out).unwrap_or(0);
    (Err(Error::Handshake(Failure::Rejected(error))), written, 0)
}

/// Writes a refusal with `status`, or nothing when it does not fit.
fn reject(request: &Request<'_>, status: u16, out: &mut [u8]) -> usize {
    request.reject(status, out).unwrap_or(0)
}
