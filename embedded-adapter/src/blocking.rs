//! The blocking socket, over `embedded_io::{Read, Write}`.

use crate::Clock;
use crate::error::Error;
use crate::io::{socket_io, socket_open};
use crate::open::{Acceptor, Connector, answer_request, check_response};
use crate::socket::{Blocking, Socket};
use barews::close::CloseCode;
use barews::connection::{self, Connection, DataKind, Event, MaskKeys, Side};
use barews::driver::{Action, Driver};
use barews::handshake::client::ClientRequest;
use barews::handshake::server::{AcceptOptions, Request};
use embedded_io::{Read, Write};

/// A WebSocket over a blocking `embedded-io` transport `T` (a TCP socket,
/// a TLS session, a UART…), for one side `S`, with the caller's receive
/// and send buffers and clock `C`: see [`Socket`] for its methods.
///
/// Made by [`Connector::connect`] or [`Acceptor::accept`].
pub type WebSocket<'b, T, S, C = crate::NoClock> = Socket<'b, T, S, C, Blocking>;

/// A client's blocking socket, masking with keys from `K`.
pub type ClientSocket<'b, T, K, C = crate::NoClock> = WebSocket<'b, T, connection::Client<K>, C>;

/// A server's blocking socket.
pub type ServerSocket<'b, T, C = crate::NoClock> = WebSocket<'b, T, connection::Server, C>;

socket_open! {
    [] []
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
    /// use barews_embedded::{Connector, ClientRequest, Event};
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
    /// let mut ws = Connector::new(hardware_rng)
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
    connect: connect,
    /// Runs the opening handshake over `io`: reads the request into `rx`,
    /// answers every valid one with the configured
    /// [`AcceptOptions`](crate::AcceptOptions), and returns the socket.
    ///
    /// An invalid request gets its HTTP error (400, 403, 405, 426 or 431,
    /// when it fits `tx`) and fails with [`Error::Handshake`]`(`[`Failure::Rejected`](barews::handshake::Failure::Rejected)`)`. A head
    /// larger than `rx` is refused with 431. Both buffers need at least
    /// [`MIN_BUFFER`](crate::MIN_BUFFER) bytes; the `101` needs about 130
    /// bytes of `tx`, plus any subprotocol and extra headers.
    ///
    /// ```
    /// use barews_embedded::{DataKind, Event, Acceptor};
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
    /// let mut ws = Acceptor::new().accept(socket, &mut rx, &mut tx)?;
    /// let Event::Data { kind: DataKind::Text, payload, .. } = ws.read()? else { panic!() };
    /// assert_eq!(payload, b"Hello");
    /// let echo = payload.to_vec();
    /// ws.send_binary(&echo)?;
    /// let written = ws.into_inner().output;
    /// assert!(written.starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"));
    /// assert!(written.ends_with(&[0x82, 0x05, b'H', b'e', b'l', b'l', b'o']));
    /// # Ok::<(), barews_embedded::Error<core::convert::Infallible>>(())
    /// ```
    accept: accept,
    /// Like [`accept`](Self::accept), asking `decide` about each valid
    /// request first (routing on the path, checking a token, choosing a
    /// subprotocol): it returns the [`AcceptOptions`] of the `101`, or the
    /// HTTP status (400-599) to refuse with, which fails with
    /// [`Error::Handshake`]`(`[`Failure::Refused`](barews::handshake::Failure::Refused)`)`.
    ///
    /// ```no_run
    /// # fn demo<T: embedded_io::Read + embedded_io::Write>(socket: T) -> Result<(), barews_embedded::Error<T::Error>> {
    /// use barews_embedded::{AcceptOptions, Acceptor};
    ///
    /// let (mut rx, mut tx) = ([0u8; 1024], [0u8; 512]);
    /// let ws = Acceptor::new().accept_with(socket, &mut rx, &mut tx, |request| {
    ///     if request.path() != "/ws" {
    ///         return Err(404);
    ///     }
    ///     let chat = request.protocols().any(|offered| offered == "chat");
    ///     Ok(AcceptOptions::new().with_protocol(chat.then_some("chat")))
    /// })?;
    /// # let _ = ws; Ok(()) }
    /// ```
    accept_with: accept_with,
}

/// The blocking I/O methods.
impl<T: Read + Write, S: Side, C: Clock> WebSocket<'_, T, S, C> {
    socket_io!([] []);
}
