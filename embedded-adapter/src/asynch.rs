//! The async socket, over `embedded_io_async::{Read, Write}` (feature
//! `async`, on by default): the same core calls as the blocking
//! [`WebSocket`](crate::WebSocket), awaited. It runs on any executor
//! (Embassy, RTIC, a `block_on`), allocates nothing and needs no timer of
//! its own.
//!
//! # Timers and cancellation
//!
//! [`read`](WebSocket::read) acts on due timers whenever it is called. To
//! wake up for them while the peer is silent, race it against a timer at
//! [`next_deadline`](WebSocket::next_deadline) and call `read` again when
//! the timer wins:
//!
//! ```no_run
//! use barews_embedded::asynch::ServerSocket;
//! use barews_embedded::{Clock, Error, Event, Instant};
//! use embassy_futures::select::{Either, select};
//! use embedded_io_async::{Read, Write};
//!
//! # async fn sleep_until(_at: Instant) {}
//! async fn serve<T: Read + Write, C: Clock>(ws: &mut ServerSocket<'_, T, C>) -> Result<(), Error<T::Error>> {
//!     loop {
//!         let event = match ws.next_deadline() {
//!             // `sleep_until`: your timer, e.g. embassy_time::Timer::at.
//!             Some(at) => match select(ws.read(), sleep_until(at)).await {
//!                 Either::First(event) => event?,
//!                 Either::Second(()) => continue, // read again: it sends the keepalive Ping
//!             },
//!             None => ws.read().await?,
//!         };
//!         if let Event::Data { payload, .. } = event {
//!             let _ = payload; // use the chunk
//!         }
//!     }
//! }
//! ```
//!
//! `read` may be cancelled (dropped before it completes) without losing
//! bytes or events, as long as the transport's `read` and `write` may be:
//! it records every byte the transport took or gave as it goes, and an
//! event is handed out without awaiting anything after it was decoded.
//! The one exception is the peer's Close, whose reply `read` writes before
//! returning it: cancelled there, the next `read` finishes the reply and
//! returns [`Error::Closed`] instead. Cancelling a
//! send (`send_*`, `ping`, `close`…) can leave half a frame on the wire:
//! drop the connection then.

use crate::Clock;
use crate::blocking::too_small;
use crate::engine::{Engine, Step};
use crate::error::Error;
use crate::open::{Answer, Client, Opened, Server, answer_request, check_response};
use barews::close::CloseCode;
use barews::connection::{self, Connection, DataKind, Event, MaskKeys, Side, State};
use barews::handshake::client::ClientRequest;
use barews::handshake::server::{AcceptOptions, Request};
use barews::time::Instant;
use embedded_io_async::{Read, Write};

/// A WebSocket over an async `embedded-io-async` transport `T`: the async
/// twin of [`crate::WebSocket`], with the same methods, awaited.
///
/// Made by [`Client::connect_async`] or [`Server::accept_async`].
pub struct WebSocket<'b, T, S, C = crate::NoClock> {
    io: T,
    engine: Engine<'b, S, C>,
    /// The subprotocol the server selected (a client's socket only).
    protocol: Option<&'b str>,
}

/// A client's async socket, masking with keys from `K`.
pub type ClientSocket<'b, T, K, C = crate::NoClock> = WebSocket<'b, T, connection::Client<K>, C>;

/// A server's async socket.
pub type ServerSocket<'b, T, C = crate::NoClock> = WebSocket<'b, T, connection::Server, C>;

impl<K: MaskKeys, C: Clock> Client<K, C> {
    /// Runs the opening handshake over the async transport `io`; see
    /// [`connect`](Client::connect) for the buffers and the result.
    ///
    /// ```
    /// # struct Script<'a> { input: &'a [u8], output: Vec<u8> }
    /// # impl embedded_io_async::ErrorType for Script<'_> { type Error = core::convert::Infallible; }
    /// # impl embedded_io_async::Read for Script<'_> {
    /// #     async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
    /// #         let n = buf.len().min(self.input.len());
    /// #         buf[..n].copy_from_slice(&self.input[..n]);
    /// #         self.input = &self.input[n..];
    /// #         Ok(n)
    /// #     }
    /// # }
    /// # impl embedded_io_async::Write for Script<'_> {
    /// #     async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> { self.output.extend_from_slice(buf); Ok(buf.len()) }
    /// #     async fn flush(&mut self) -> Result<(), Self::Error> { Ok(()) }
    /// # }
    /// use barews_embedded::{Client, ClientRequest, Event};
    ///
    /// # embassy_futures::block_on(async {
    /// let peer = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
    ///     Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\
    ///     \x81\x02Hi";
    /// let socket = Script { input: peer, output: Vec::new() };
    /// let (mut rx, mut tx) = ([0u8; 512], [0u8; 256]);
    /// # fn hardware_rng() -> [u8; 4] { [1, 2, 3, 4] }
    /// let mut ws = Client::new(hardware_rng)
    ///     .connect_async(socket, ClientRequest::new("example.com", "/"), *b"the sample nonce", &mut rx, &mut tx)
    ///     .await?;
    /// ws.send_text("Hello").await?;
    /// let Event::Data { payload, .. } = ws.read().await? else { panic!() };
    /// assert_eq!(payload, b"Hi");
    /// # Ok::<(), barews_embedded::Error<core::convert::Infallible>>(())
    /// # }).unwrap();
    /// ```
    pub async fn connect_async<'b, T: Read + Write>(
        self,
        io: T,
        request: ClientRequest<'b>,
        nonce: [u8; 16],
        rx: &'b mut [u8],
        tx: &'b mut [u8],
    ) -> Result<ClientSocket<'b, T, K, C>, Error<T::Error>> {
        let (engine, mut handshake) = self.open(request, nonce, rx, tx)?;
        let mut ws = WebSocket { io, engine, protocol: None };
        ws.write_pending().await?;
        loop {
            ws.fill().await?;
            if let Opened::Done(protocol) = check_response(&mut ws.engine, &mut handshake)? {
                ws.protocol = protocol;
                return Ok(ws);
            }
        }
    }
}

impl<'o, C: Clock> Server<'o, C> {
    /// Runs the opening handshake over the async transport `io`; see
    /// [`accept`](Server::accept).
    pub async fn accept_async<'b, T: Read + Write>(
        self,
        io: T,
        rx: &'b mut [u8],
        tx: &'b mut [u8],
    ) -> Result<ServerSocket<'b, T, C>, Error<T::Error>> {
        let options = self.accept_options();
        self.accept_with_async(io, rx, tx, |_| Ok(options)).await
    }

    /// Runs the opening handshake over the async transport `io`, asking
    /// `decide` about each valid request; see
    /// [`accept_with`](Server::accept_with).
    pub async fn accept_with_async<'b, T, F>(
        self,
        io: T,
        rx: &'b mut [u8],
        tx: &'b mut [u8],
        decide: F,
    ) -> Result<ServerSocket<'b, T, C>, Error<T::Error>>
    where
        T: Read + Write,
        F: FnOnce(&Request<'_>) -> Result<AcceptOptions<'o>, u16>,
    {
        let (engine, mut handshake) = self.open(rx, tx)?;
        let mut ws = WebSocket { io, engine, protocol: None };
        let mut decide = Some(decide);
        loop {
            ws.fill().await?;
            match answer_request(&mut ws.engine, &mut handshake, &mut decide) {
                Answer::Partial => {}
                Answer::Accepted => {
                    ws.write_pending().await?;
                    return Ok(ws);
                }
                Answer::Refused(error) => {
                    let _ = ws.write_pending().await;
                    return Err(error);
                }
            }
        }
    }
}

impl<T: Read + Write, S: Side, C: Clock> WebSocket<'_, T, S, C> {
    /// Reads the next event; see [`crate::WebSocket::read`]. Cancel-safe
    /// (see the [module documentation](self)).
    pub async fn read(&mut self) -> Result<Event<'_>, Error<T::Error>> {
        self.engine.tick()?;
        loop {
            let step = self.engine.step();
            let at = match step {
                Ok(Step::Event(at)) => at,
                Ok(Step::Progress) => continue,
                Ok(Step::NeedInput) => {
                    self.wait_for_input().await?;
                    continue;
                }
                Err(error) => {
                    let _ = self.write_out().await;
                    return Err(Error::Protocol(error));
                }
            };
            if self.engine.conn.is_closed() {
                self.write_out().await?;
            }
            return Ok(self.engine.event(at));
        }
    }

    async fn wait_for_input(&mut self) -> Result<(), Error<T::Error>> {
        if self.engine.conn.is_closed() {
            let _ = self.write_out().await;
            return Err(self.engine.closed_error());
        }
        self.write_out().await?;
        self.engine.tick()?;
        self.fill().await
    }

    async fn fill(&mut self) -> Result<(), Error<T::Error>> {
        let space = self.engine.input_space();
        if space.is_empty() {
            return Err(Error::BufferTooSmall { required: crate::MIN_BUFFER });
        }
        match self.io.read(space).await {
            Ok(0) => Err(Error::Eof),
            Ok(n) => {
                self.engine.filled(n);
                Ok(())
            }
            Err(e) => Err(Error::Io(e)),
        }
    }

    /// Sends a text message; see [`crate::WebSocket::send_text`].
    pub async fn send_text(&mut self, text: &str) -> Result<(), Error<T::Error>> {
        self.send_message(DataKind::Text, text.as_bytes()).await
    }

    /// Sends a binary message; see [`crate::WebSocket::send_binary`].
    pub async fn send_binary(&mut self, data: &[u8]) -> Result<(), Error<T::Error>> {
        self.send_message(DataKind::Binary, data).await
    }

    async fn send_message(
        &mut self,
        kind: DataKind,
        payload: &[u8],
    ) -> Result<(), Error<T::Error>> {
        if self.engine.conn.is_sending_message() {
            return Err(Error::Send(barews::connection::SendError::MessageInProgress));
        }
        let size = self.engine.conn.config().get_fragment_size().unwrap_or(usize::MAX).max(1);
        let mut pieces = payload.chunks(size);
        let mut piece = pieces.next().unwrap_or_default();
        loop {
            let next = pieces.next();
            self.push_frame(kind, piece, next.is_none()).await?;
            match next {
                Some(next) => piece = next,
                None => return self.write_out().await,
            }
        }
    }

    /// Sends one fragment of a message; see [`crate::WebSocket::send`].
    pub async fn send(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        fin: bool,
    ) -> Result<(), Error<T::Error>> {
        if kind == DataKind::Text {
            while !self.engine.push_text_fragment(payload, fin).map_err(too_small)? {
                self.write_pending().await?;
            }
        } else {
            self.push_frame(kind, payload, fin).await?;
        }
        self.write_out().await
    }

    async fn push_frame(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        fin: bool,
    ) -> Result<(), Error<T::Error>> {
        let mut mask = loop {
            match self.engine.push_header(kind, payload.len(), fin)? {
                Some(mask) => break mask,
                None => self.write_pending().await?,
            }
        };
        let mut rest = payload;
        while !rest.is_empty() {
            let n = self.engine.push_payload(rest, &mut mask);
            rest = rest.get(n..).unwrap_or_default();
            if n == 0 || !rest.is_empty() {
                self.write_pending().await?;
            }
        }
        Ok(())
    }

    /// Sends a Ping; see [`crate::WebSocket::ping`].
    pub async fn ping(&mut self, payload: &[u8]) -> Result<(), Error<T::Error>> {
        self.engine.conn.ping(payload)?;
        self.write_out().await
    }

    /// Sends a Pong; see [`crate::WebSocket::pong`].
    pub async fn pong(&mut self, payload: &[u8]) -> Result<(), Error<T::Error>> {
        self.engine.conn.pong(payload)?;
        self.write_out().await
    }

    /// Starts the closing handshake; see [`crate::WebSocket::close`].
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error<T::Error>> {
        self.engine.conn.close(code, reason)?;
        self.write_out().await
    }

    /// Writes everything waiting and flushes the transport.
    pub async fn flush(&mut self) -> Result<(), Error<T::Error>> {
        self.write_out().await
    }

    async fn write_out(&mut self) -> Result<(), Error<T::Error>> {
        while self.engine.has_output() {
            self.engine.queue_owed();
            self.write_pending().await?;
        }
        self.io.flush().await.map_err(Error::Io)
    }

    async fn write_pending(&mut self) -> Result<(), Error<T::Error>> {
        loop {
            let pending = self.engine.pending();
            if pending.is_empty() {
                return Ok(());
            }
            match self.io.write(pending).await {
                Ok(0) => return Err(Error::WriteZero),
                Ok(n) => self.engine.sent(n),
                Err(e) => return Err(Error::Io(e)),
            }
        }
    }
}

impl<'b, T, K, C> ClientSocket<'b, T, K, C> {
    /// The subprotocol the server selected: one of those the request
    /// offered, or `None`.
    pub fn protocol(&self) -> Option<&'b str> {
        self.protocol
    }
}

impl<T, S: Side, C> WebSocket<'_, T, S, C> {
    /// Where the closing handshake stands.
    pub fn state(&self) -> State {
        self.engine.conn.state()
    }

    /// The core's connection, for its getters.
    pub fn connection(&self) -> &Connection<S> {
        &self.engine.conn
    }

    /// The next time a timer is due, on the caller's clock: race
    /// [`read`](Self::read) against it (see the module documentation).
    pub fn next_deadline(&self) -> Option<Instant> {
        self.engine.conn.poll_timeout()
    }

    /// The transport.
    pub fn get_ref(&self) -> &T {
        &self.io
    }

    /// Gives the transport back, to close it.
    pub fn into_inner(self) -> T {
        self.io
    }
}

impl<T, S, C> core::fmt::Debug for WebSocket<'_, T, S, C> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("asynch::WebSocket").finish_non_exhaustive()
    }
}
