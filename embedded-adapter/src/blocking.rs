//! The blocking socket, over `embedded_io::{Read, Write}`.

use crate::Clock;
use crate::engine::{Engine, Step};
use crate::error::Error;
use crate::open::{Answer, Client, Opened, Server, answer_request, check_response};
use barews::close::CloseCode;
use barews::connection::{self, Connection, DataKind, Event, MaskKeys, Side, State};
use barews::handshake::client::{ClientHandshake, ClientRequest};
use barews::handshake::server::{AcceptOptions, Request};
use barews::time::Instant;
use embedded_io::{Read, Write};

/// A WebSocket over a blocking `embedded-io` transport `T` (a TCP socket,
/// a TLS session, a UART…), for one side `S`, with the caller's receive
/// and send buffers and clock `C`.
///
/// Made by [`Client::connect`] or [`Server::accept`]. It adds I/O and
/// nothing of the protocol: the core checks every frame, answers Pings and
/// Closes, and runs the timers.
///
/// - [`read`](Self::read) returns the next [`Event`]: a chunk of a data
///   message as it arrives (borrowed from the receive buffer, so a message
///   of any size passes through it), a Ping, a Pong or the peer's Close.
/// - [`send_text`](Self::send_text), [`send_binary`](Self::send_binary)
///   and [`send`](Self::send) write messages and fragments through the send
///   buffer, in pieces if they are larger than it.
/// - [`ping`](Self::ping), [`pong`](Self::pong), [`close`](Self::close)
///   write control frames.
///
/// Every method writes what it produced before it returns, and the frames
/// the protocol owes (a Pong, the Close reply) go out before `read` waits
/// for the peer. After an I/O error the transport may hold half a frame:
/// drop the connection.
pub struct WebSocket<'b, T, S, C = crate::NoClock> {
    io: T,
    engine: Engine<'b, S, C>,
    /// The subprotocol the server selected (a client's socket only).
    protocol: Option<&'b str>,
}

/// A client's blocking socket, masking with keys from `K`.
pub type ClientSocket<'b, T, K, C = crate::NoClock> = WebSocket<'b, T, connection::Client<K>, C>;

/// A server's blocking socket.
pub type ServerSocket<'b, T, C = crate::NoClock> = WebSocket<'b, T, connection::Server, C>;

impl<K: MaskKeys, C: Clock> Client<K, C> {
    /// Runs the opening handshake over `io` and returns the socket
    /// ([`protocol`](WebSocket::protocol) tells the subprotocol the server
    /// selected, if any).
    ///
    /// `nonce` must be 16 fresh random bytes (RFC 6455 section 4.1). The
    /// request is written from `tx`, which must hold it (about 150 bytes
    /// plus the host, path and extra headers); the response head is read
    /// into `rx`, which must hold it. Both buffers need at least
    /// [`MIN_BUFFER`](crate::MIN_BUFFER) bytes. Bytes the server sent
    /// after its head stay in `rx` for the first [`read`](WebSocket::read).
    ///
    /// ```
    /// use barews_embedded::{Client, ClientRequest, Event};
    /// # use barews_embedded::barews::close::CloseCode;
    /// # struct Script<'a> { input: &'a [u8], output: Vec<u8> }
    /// # impl embedded_io::ErrorType for Script<'_> { type Error = core::convert::Infallible; }
    /// # impl embedded_io::Read for Script<'_> {
    /// #     fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
    /// #         let n = buf.len().min(self.input.len());
    /// #         buf[..n].copy_from_slice(&self.input[..n]);
    /// #         self.input = &self.input[n..];
    /// #         Ok(n)
    /// #     }
    /// # }
    /// # impl embedded_io::Write for Script<'_> {
    /// #     fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> { self.output.extend_from_slice(buf); Ok(buf.len()) }
    /// #     fn flush(&mut self) -> Result<(), Self::Error> { Ok(()) }
    /// # }
    /// // What a server answers to the nonce below (RFC 6455's sample), then
    /// // an unmasked "Hi" and its Close.
    /// let mut peer = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
    ///     Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n".to_vec();
    /// peer.extend([0x81, 0x02, b'H', b'i', 0x88, 0x02, 0x03, 0xe8]);
    /// let socket = Script { input: &peer, output: Vec::new() };
    ///
    /// let (mut rx, mut tx) = ([0u8; 512], [0u8; 256]);
    /// # fn hardware_rng() -> [u8; 4] { [1, 2, 3, 4] }
    /// let mut ws = Client::new(hardware_rng)
    ///     .connect(socket, ClientRequest::new("example.com", "/"), *b"the sample nonce", &mut rx, &mut tx)?;
    /// assert_eq!(ws.protocol(), None);
    /// ws.send_text("Hello")?;
    /// match ws.read()? {
    ///     Event::Data { payload, last: true, .. } => assert_eq!(payload, b"Hi"),
    ///     other => panic!("{other:?}"),
    /// }
    /// assert!(matches!(ws.read()?, Event::Close(frame) if frame.code == Some(CloseCode::NORMAL)));
    /// # Ok::<(), barews_embedded::Error<core::convert::Infallible>>(())
    /// ```
    pub fn connect<'b, T: Read + Write>(
        self,
        io: T,
        request: ClientRequest<'b>,
        nonce: [u8; 16],
        rx: &'b mut [u8],
        tx: &'b mut [u8],
    ) -> Result<ClientSocket<'b, T, K, C>, Error<T::Error>> {
        let (engine, mut handshake) = self.open(request, nonce, rx, tx)?;
        // The socket is made where it is returned from, and the handshake
        // runs on it there: returning a socket made elsewhere would copy
        // it (about 600 bytes).
        let mut socket = Ok(WebSocket { io, engine, protocol: None });
        if let Ok(ws) = &mut socket {
            if let Err(error) = ws.run_client_handshake(&mut handshake) {
                socket = Err(error);
            }
        }
        socket
    }
}

impl<'b, T: Read + Write, K: MaskKeys, C: Clock> ClientSocket<'b, T, K, C> {
    /// Writes the request and reads the response until it is checked.
    fn run_client_handshake(
        &mut self,
        handshake: &mut ClientHandshake<'b>,
    ) -> Result<(), Error<T::Error>> {
        self.write_pending()?;
        loop {
            self.fill()?;
            if let Opened::Done(protocol) = check_response(&mut self.engine, handshake)? {
                self.protocol = protocol;
                return Ok(());
            }
        }
    }
}

impl<'o, C: Clock> Server<'o, C> {
    /// Runs the opening handshake over `io`: reads the request into `rx`,
    /// answers every valid one with the configured
    /// [`AcceptOptions`](crate::AcceptOptions), and returns the socket.
    ///
    /// An invalid request gets its HTTP error (400, 403, 405, 426 or 431,
    /// when it fits `tx`) and fails with [`Error::Rejected`]. A head
    /// larger than `rx` is refused with 431. Both buffers need at least
    /// [`MIN_BUFFER`](crate::MIN_BUFFER) bytes; the `101` needs about 130
    /// bytes of `tx`, plus any subprotocol and extra headers.
    ///
    /// ```
    /// use barews_embedded::{DataKind, Event, Server};
    /// # struct Script<'a> { input: &'a [u8], output: Vec<u8> }
    /// # impl embedded_io::ErrorType for Script<'_> { type Error = core::convert::Infallible; }
    /// # impl embedded_io::Read for Script<'_> {
    /// #     fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
    /// #         let n = buf.len().min(self.input.len());
    /// #         buf[..n].copy_from_slice(&self.input[..n]);
    /// #         self.input = &self.input[n..];
    /// #         Ok(n)
    /// #     }
    /// # }
    /// # impl embedded_io::Write for Script<'_> {
    /// #     fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> { self.output.extend_from_slice(buf); Ok(buf.len()) }
    /// #     fn flush(&mut self) -> Result<(), Self::Error> { Ok(()) }
    /// # }
    /// // A client's request, then a masked "Hello" (RFC 6455 section 5.7).
    /// let mut peer = b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
    ///     Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    ///     Sec-WebSocket-Version: 13\r\n\r\n".to_vec();
    /// peer.extend([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    /// let socket = Script { input: &peer, output: Vec::new() };
    ///
    /// let (mut rx, mut tx) = ([0u8; 512], [0u8; 256]);
    /// let mut ws = Server::new().accept(socket, &mut rx, &mut tx)?;
    /// let Event::Data { kind: DataKind::Text, payload, .. } = ws.read()? else { panic!() };
    /// assert_eq!(payload, b"Hello");
    /// let echo = payload.to_vec();
    /// ws.send_binary(&echo)?;
    /// let written = ws.into_inner().output;
    /// assert!(written.starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"));
    /// assert!(written.ends_with(&[0x82, 0x05, b'H', b'e', b'l', b'l', b'o']));
    /// # Ok::<(), barews_embedded::Error<core::convert::Infallible>>(())
    /// ```
    pub fn accept<'b, T: Read + Write>(
        self,
        io: T,
        rx: &'b mut [u8],
        tx: &'b mut [u8],
    ) -> Result<ServerSocket<'b, T, C>, Error<T::Error>> {
        let options = self.accept_options();
        self.accept_with(io, rx, tx, |_| Ok(options))
    }

    /// Like [`accept`](Self::accept), asking `decide` about each valid
    /// request first (routing on the path, checking a token, choosing a
    /// subprotocol): it returns the [`AcceptOptions`] of the `101`, or the
    /// HTTP status (400-599) to refuse with, which fails with
    /// [`Error::Refused`].
    ///
    /// ```no_run
    /// # fn demo<T: embedded_io::Read + embedded_io::Write>(socket: T) -> Result<(), barews_embedded::Error<T::Error>> {
    /// use barews_embedded::{AcceptOptions, Server};
    ///
    /// let (mut rx, mut tx) = ([0u8; 1024], [0u8; 512]);
    /// let ws = Server::new().accept_with(socket, &mut rx, &mut tx, |request| {
    ///     if request.path() != "/ws" {
    ///         return Err(404);
    ///     }
    ///     let chat = request.protocols().any(|offered| offered == "chat");
    ///     Ok(AcceptOptions::new().protocol(chat.then_some("chat")))
    /// })?;
    /// # let _ = ws; Ok(()) }
    /// ```
    pub fn accept_with<'b, T, F>(
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
            ws.fill()?;
            match answer_request(&mut ws.engine, &mut handshake, &mut decide) {
                Answer::Partial => {}
                Answer::Accepted => {
                    ws.write_pending()?;
                    return Ok(ws);
                }
                Answer::Refused(error) => {
                    let _ = ws.write_pending();
                    return Err(error);
                }
            }
        }
    }
}

impl<T: Read + Write, S: Side, C: Clock> WebSocket<'_, T, S, C> {
    /// Reads the next event: a chunk of a data message, a Ping, a Pong or
    /// the peer's Close. It borrows the receive buffer until the next call.
    ///
    /// Data arrives as it comes: each chunk is the part of a frame's
    /// payload that was in the buffer, with `first`/`last` marking the
    /// message's ends (join them, or use
    /// [`barews::assemble`](barews::assemble) with a buffer of your own).
    /// With the default [`Config`](crate::Config) the Pong for a Ping and
    /// the reply to a Close are sent for you.
    ///
    /// After the peer's Close, and once this end's Close is answered, it
    /// returns [`Error::Closed`]. When the transport ends first it returns
    /// [`Error::Eof`].
    pub fn read(&mut self) -> Result<Event<'_>, Error<T::Error>> {
        self.engine.tick()?;
        loop {
            let step = self.engine.step();
            let at = match step {
                Ok(Step::Event(at)) => at,
                Ok(Step::Progress) => continue,
                Ok(Step::NeedInput) => {
                    self.wait_for_input()?;
                    continue;
                }
                Err(error) => {
                    // The Close for the error is queued; send it.
                    let _ = self.write_out();
                    return Err(Error::Protocol(error));
                }
            };
            if self.engine.conn.is_closed() {
                // The Close reply goes out with the peer's Close.
                self.write_out()?;
            }
            return Ok(self.engine.event(at));
        }
    }

    /// Writes what is owed, then reads more bytes; fails once the
    /// connection is over.
    fn wait_for_input(&mut self) -> Result<(), Error<T::Error>> {
        if self.engine.conn.is_closed() {
            let _ = self.write_out();
            return Err(self.engine.closed_error());
        }
        self.write_out()?;
        self.engine.tick()?;
        self.fill()
    }

    /// Reads once into the free end of the receive buffer.
    fn fill(&mut self) -> Result<(), Error<T::Error>> {
        let space = self.engine.input_space();
        if space.is_empty() {
            // The core always consumes from a buffer of MIN_BUFFER bytes.
            return Err(Error::BufferTooSmall { required: crate::MIN_BUFFER });
        }
        match self.io.read(space) {
            Ok(0) => Err(Error::Eof),
            Ok(n) => {
                self.engine.filled(n);
                Ok(())
            }
            Err(e) => Err(Error::Io(e)),
        }
    }

    /// Sends a text message, split at the configured
    /// [`fragment_size`](crate::Config::fragment_size). The text passes
    /// through the send buffer in pieces, so it may be larger than it.
    pub fn send_text(&mut self, text: &str) -> Result<(), Error<T::Error>> {
        self.send_message(DataKind::Text, text.as_bytes())
    }

    /// Sends a binary message; see [`send_text`](Self::send_text).
    pub fn send_binary(&mut self, data: &[u8]) -> Result<(), Error<T::Error>> {
        self.send_message(DataKind::Binary, data)
    }

    fn send_message(&mut self, kind: DataKind, payload: &[u8]) -> Result<(), Error<T::Error>> {
        if self.engine.conn.is_sending_message() {
            return Err(Error::Send(barews::connection::SendError::MessageInProgress));
        }
        let size = self.engine.conn.config().get_fragment_size().unwrap_or(usize::MAX).max(1);
        let mut pieces = payload.chunks(size);
        let mut piece = pieces.next().unwrap_or_default();
        loop {
            let next = pieces.next();
            self.push_frame(kind, piece, next.is_none())?;
            match next {
                Some(next) => piece = next,
                None => return self.write_out(),
            }
        }
    }

    /// Sends one fragment of a message: the first starts a message of type
    /// `kind`, later ones continue it, and the one with `fin` set ends it
    /// (a single call with `fin` sends a whole one-frame message). Pings,
    /// Pongs and a Close may be sent between fragments.
    ///
    /// Binary fragments stream through the send buffer. A text fragment
    /// is checked by the core as part of one UTF-8 stream (it may end
    /// inside a character, the last one may not), which needs the whole
    /// frame in the send buffer: up to 14 bytes of header plus the
    /// payload, or [`Error::BufferTooSmall`].
    pub fn send(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        fin: bool,
    ) -> Result<(), Error<T::Error>> {
        if kind == DataKind::Text {
            while !self.engine.push_text_fragment(payload, fin).map_err(too_small)? {
                self.write_pending()?;
            }
        } else {
            self.push_frame(kind, payload, fin)?;
        }
        self.write_out()
    }

    /// Encodes one frame into the send buffer, writing it out whenever it
    /// fills up.
    fn push_frame(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        fin: bool,
    ) -> Result<(), Error<T::Error>> {
        let mut mask = loop {
            match self.engine.push_header(kind, payload.len(), fin)? {
                Some(mask) => break mask,
                None => self.write_pending()?,
            }
        };
        let mut rest = payload;
        while !rest.is_empty() {
            let n = self.engine.push_payload(rest, &mut mask);
            rest = rest.get(n..).unwrap_or_default();
            if n == 0 || !rest.is_empty() {
                self.write_pending()?;
            }
        }
        Ok(())
    }

    /// Sends a Ping with `payload` (at most 125 bytes); the peer answers
    /// with a Pong, which [`read`](Self::read) returns.
    pub fn ping(&mut self, payload: &[u8]) -> Result<(), Error<T::Error>> {
        self.engine.conn.ping(payload)?;
        self.write_out()
    }

    /// Sends an unsolicited Pong (a one-way heartbeat), or the answer to a
    /// Ping when automatic Pongs are off.
    pub fn pong(&mut self, payload: &[u8]) -> Result<(), Error<T::Error>> {
        self.engine.conn.pong(payload)?;
        self.write_out()
    }

    /// Starts the closing handshake: sends a Close with `code` and
    /// `reason` (at most 123 bytes). Keep calling [`read`](Self::read):
    /// it returns what the peer still sends, then its Close, then
    /// [`Error::Closed`]. With a clock, the close timeout applies.
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error<T::Error>> {
        self.engine.conn.close(code, reason)?;
        self.write_out()
    }

    /// Writes everything waiting (frames the protocol owes included) and
    /// flushes the transport. The other methods do this themselves.
    pub fn flush(&mut self) -> Result<(), Error<T::Error>> {
        self.write_out()
    }

    /// Writes the send buffer and everything the core owes, then flushes
    /// the transport.
    fn write_out(&mut self) -> Result<(), Error<T::Error>> {
        while self.engine.has_output() {
            self.engine.queue_owed();
            self.write_pending()?;
        }
        self.io.flush().map_err(Error::Io)
    }

    /// Writes the send buffer's pending bytes.
    fn write_pending(&mut self) -> Result<(), Error<T::Error>> {
        loop {
            let pending = self.engine.pending();
            if pending.is_empty() {
                return Ok(());
            }
            match self.io.write(pending) {
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

    /// The core's connection, for its getters
    /// ([`failure`](Connection::failure), [`config`](Connection::config)…).
    pub fn connection(&self) -> &Connection<S> {
        &self.engine.conn
    }

    /// The next time a timer is due, on the caller's clock: keepalive, or
    /// the close timeout. [`read`](Self::read) acts on timers when it is
    /// called and before it waits, but a blocking read cannot wake up for
    /// them: with keepalive on, use a transport whose reads time out (and
    /// call `read` again after the timeout error) or the async socket.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.engine.conn.poll_timeout()
    }

    /// The transport.
    pub fn get_ref(&self) -> &T {
        &self.io
    }

    /// Gives the transport back, to close it. Whatever is still unread or
    /// unsent is dropped.
    pub fn into_inner(self) -> T {
        self.io
    }
}

impl<T, S, C> core::fmt::Debug for WebSocket<'_, T, S, C> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("WebSocket").finish_non_exhaustive()
    }
}

/// A text fragment that does not fit an empty send buffer.
pub(crate) fn too_small<E>(error: barews::connection::SendError) -> Error<E> {
    match error {
        barews::connection::SendError::BufferTooSmall { required } => {
            Error::BufferTooSmall { required }
        }
        other => Error::Send(other),
    }
}
