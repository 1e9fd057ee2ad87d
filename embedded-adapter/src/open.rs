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
/// [`Config`], the [`Clock`] and, with the `deflate` feature,
/// permessage-deflate (`with_deflate`).
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
pub struct Connector<K, C = NoClock, D = NoDeflate> {
    keys: K,
    config: Config,
    clock: C,
    deflate: D,
}

impl<K: MaskKeys> Connector<K> {
    /// A client masking frames with keys from `keys`, with the default
    /// [`Config`], no clock and no compression.
    pub const fn new(keys: K) -> Self {
        Connector { keys, config: Config::new(), clock: NoClock, deflate: NoDeflate }
    }
}

impl<K: MaskKeys, C: Clock, D> Connector<K, C, D> {
    /// Sets the connection's limits and behaviour (message size limits,
    /// automatic replies, keepalive, close timeout, outgoing fragment
    /// size).
    #[must_use]
    pub fn with_config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Sets the clock that drives keepalive and the close timeout.
    pub fn with_clock<E: Clock>(self, clock: E) -> Connector<K, E, D> {
        Connector { keys: self.keys, config: self.config, clock, deflate: self.deflate }
    }

    /// Offers permessage-deflate (RFC 7692) with windows no larger than
    /// the inflate window `deflate` lends, and compresses what is sent
    /// with the compressor memory it lends, if any; see
    /// [`Deflate`](crate::deflate::Deflate).
    #[cfg(feature = "deflate")]
    pub fn with_deflate(
        self,
        deflate: crate::deflate::Deflate<'_>,
    ) -> Connector<K, C, crate::deflate::Deflate<'_>> {
        Connector { keys: self.keys, config: self.config, clock: self.clock, deflate }
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

    /// The client's settings: the mask keys, the connection's
    /// configuration, the clock and permessage-deflate's.
    pub(crate) fn into_parts(self) -> (K, Config, C, D) {
        (self.keys, self.config, self.clock, self.deflate)
    }
}

/// Looks at the response bytes read so far: `None` while the head is
/// incomplete, else the subprotocol the server selected (one of
/// `offered`) or why it failed. On success the head is consumed, the
/// bytes after it stay for the frame layer, and permessage-deflate is on
/// if the server agreed to `deflate`'s offer (feature `deflate`).
pub(crate) fn check_response<'r, K: MaskKeys, E>(
    driver: &mut Driver<connection::Client<K>, &mut [u8]>,
    handshake: &mut ClientHandshake<'_>,
    offered: &'r [&'r str],
    #[cfg(feature = "deflate")] deflate: Option<&crate::deflate::Negotiation<'_>>,
) -> Option<Result<Option<&'r str>, Error<E>>> {
    let full = driver.input().is_full();
    #[cfg(feature = "deflate")]
    let mut agreed = None;
    let (protocol, consumed) = match handshake.receive(driver.input().unread()) {
        Ok(ResponseStatus::Complete { response, consumed }) => {
            #[cfg(feature = "deflate")]
            if let Some(deflate) = deflate {
                match deflate.agreed(&response) {
                    Ok(params) => agreed = params,
                    Err(error) => return Some(Err(error)),
                }
            }
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
    #[cfg(feature = "deflate")]
    if let Some(params) = agreed {
        driver.conn_mut().enable_deflate(params);
    }
    Some(Ok(protocol))
}

/// Accepts server connections: the connection's [`Config`], the
/// handshake's [`ServerConfig`] (head size limit, Origin policy), the
/// [`AcceptOptions`] of the `101` (subprotocol, extra headers), the
/// [`Clock`] and, with the `deflate` feature, permessage-deflate
/// (`with_deflate`).
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
pub struct Acceptor<'o, C = NoClock, D = NoDeflate> {
    config: Config,
    handshake: ServerConfig,
    options: AcceptOptions<'o>,
    clock: C,
    deflate: D,
}

impl Acceptor<'static> {
    /// A server with the default settings and no clock.
    pub const fn new() -> Self {
        Acceptor {
            config: Config::new(),
            handshake: ServerConfig::new(),
            options: AcceptOptions::new(),
            clock: NoClock,
            deflate: NoDeflate,
        }
    }
}

impl Default for Acceptor<'static> {
    fn default() -> Self {
        Acceptor::new()
    }
}

impl<'o, C: Clock, D> Acceptor<'o, C, D> {
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
    pub fn with_options(self, options: AcceptOptions<'_>) -> Acceptor<'_, C, D> {
        let Acceptor { config, handshake, clock, deflate, .. } = self;
        Acceptor { config, handshake, options, clock, deflate }
    }

    /// Sets the clock that drives keepalive and the close timeout.
    pub fn with_clock<E: Clock>(self, clock: E) -> Acceptor<'o, E, D> {
        let Acceptor { config, handshake, options, deflate, .. } = self;
        Acceptor { config, handshake, options, clock, deflate }
    }

    /// Accepts permessage-deflate (RFC 7692) when a client offers it with
    /// windows that fit the inflate window `deflate` lends, and compresses
    /// what is sent with the compressor memory it lends, if any; see
    /// [`Deflate`](crate::deflate::Deflate). The extension is added to
    /// the `101`'s other extensions (those of the
    /// [`AcceptOptions`], if any).
    #[cfg(feature = "deflate")]
    pub fn with_deflate(
        self,
        deflate: crate::deflate::Deflate<'_>,
    ) -> Acceptor<'o, C, crate::deflate::Deflate<'_>> {
        let Acceptor { config, handshake, options, clock, .. } = self;
        Acceptor { config, handshake, options, clock, deflate }
    }

    /// The accept options, for `accept` to answer with.
    pub(crate) fn accept_options(&self) -> AcceptOptions<'o> {
        self.options
    }

    /// Checks the buffers (and the memory lent for permessage-deflate)
    /// and makes the driver and the handshake.
    pub(crate) fn open<'b, E>(
        self,
        rx: &'b mut [u8],
        tx: &'b mut [u8],
    ) -> Result<ServerOpening<'b, C>, Error<E>>
    where
        D: DeflateSetting<'b>,
    {
        #[cfg(feature = "deflate")]
        let (window, deflate) = crate::deflate::lent(self.deflate)?;
        #[cfg(feature = "deflate")]
        let driver = Driver::with_limits(
            Connection::server(self.config),
            rx,
            tx,
            window,
            barews::driver::Limits::FIXED,
        )?;
        #[cfg(not(feature = "deflate"))]
        let driver = Driver::new(Connection::server(self.config), rx, tx)?;
        Ok(ServerOpening {
            driver,
            handshake: ServerHandshake::new(self.handshake),
            clock: self.clock,
            #[cfg(feature = "deflate")]
            deflate,
        })
    }
}

/// A server's driver, the handshake that reads the request, the clock,
/// and what permessage-deflate negotiates with.
pub(crate) struct ServerOpening<'b, C> {
    pub(crate) driver: Driver<connection::Server, &'b mut [u8]>,
    pub(crate) handshake: ServerHandshake,
    pub(crate) clock: C,
    #[cfg(feature = "deflate")]
    pub(crate) deflate: Option<crate::deflate::Negotiation<'b>>,
}

/// The default of a [`Connector`] and an [`Acceptor`]: permessage-deflate
/// is neither offered nor accepted, and no memory is set aside for it.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoDeflate;

mod sealed {
    pub trait Sealed {}
}

/// What a [`Connector`] or an [`Acceptor`] does about permessage-deflate
/// for a socket whose buffers live for `'b`: nothing ([`NoDeflate`], the
/// default), or, with the `deflate` feature, negotiate it with the memory
/// a `deflate::Deflate` lends (which must live as long
/// as the buffers).
pub trait DeflateSetting<'b>: sealed::Sealed {
    /// The settings and memory, if any.
    #[cfg(feature = "deflate")]
    #[doc(hidden)]
    fn into_deflate(self) -> Option<crate::deflate::Deflate<'b>>;
}

impl sealed::Sealed for NoDeflate {}

// The lifetime is named for the method the `deflate` feature adds.
#[cfg_attr(not(feature = "deflate"), allow(clippy::elidable_lifetime_names))]
impl<'b> DeflateSetting<'b> for NoDeflate {
    #[cfg(feature = "deflate")]
    fn into_deflate(self) -> Option<crate::deflate::Deflate<'b>> {
        None
    }
}

#[cfg(feature = "deflate")]
impl sealed::Sealed for crate::deflate::Deflate<'_> {}

#[cfg(feature = "deflate")]
impl<'b, 'm: 'b> DeflateSetting<'b> for crate::deflate::Deflate<'m> {
    fn into_deflate(self) -> Option<crate::deflate::Deflate<'b>> {
        Some(self)
    }
}

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
