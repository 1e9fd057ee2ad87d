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
//! The peer's Close is held back until its reply is written: cancelled
//! there, the next `read` finishes the reply and returns the Close. Cancelling a
//! send (`send_*`, `ping`, `close`…) can leave half a frame on the wire:
//! drop the connection then.

use crate::Clock;
use crate::error::Error;
use crate::io::{socket_io, socket_open};
use crate::open::{Acceptor, Connector, answer_request, check_response};
use crate::socket::{Async, Socket};
use barews::close::CloseCode;
use barews::connection::{self, Connection, DataKind, Event, MaskKeys, Side};
use barews::driver::{Action, Driver};
use barews::handshake::client::ClientRequest;
use barews::handshake::server::{AcceptOptions, Request};
use embedded_io_async::{Read, Write};

/// A WebSocket over an async `embedded-io-async` transport `T`: the async
/// twin of [`crate::WebSocket`], with the same methods, awaited (see
/// [`Socket`]).
///
/// Made by [`Connector::connect_async`] or [`Acceptor::accept_async`].
pub type WebSocket<'b, T, S, C = crate::NoClock> = Socket<'b, T, S, C, Async>;

/// A client's async socket, masking with keys from `K`.
pub type ClientSocket<'b, T, K, C = crate::NoClock> = WebSocket<'b, T, connection::Client<K>, C>;

/// A server's async socket.
pub type ServerSocket<'b, T, C = crate::NoClock> = WebSocket<'b, T, connection::Server, C>;

socket_open! {
    [async] [await]
    /// Runs the opening handshake over the async transport `io`; see
    /// [`connect`](Connector::connect) for the buffers and the result.
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
    /// use barews_embedded::{Connector, ClientRequest, Event};
    ///
    /// # embassy_futures::block_on(async {
    /// let peer = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
    ///     Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\
    ///     \x81\x02Hi";
    /// let socket = Script { input: peer, output: Vec::new() };
    /// let (mut rx, mut tx) = ([0u8; 512], [0u8; 256]);
    /// # fn hardware_rng() -> [u8; 4] { [1, 2, 3, 4] }
    /// let mut ws = Connector::new(hardware_rng)
    ///     .connect_async(socket, ClientRequest::new("example.com", "/"), *b"the sample nonce", &mut rx, &mut tx)
    ///     .await?;
    /// ws.send_text("Hello").await?;
    /// let Event::Data { payload, .. } = ws.read().await? else { panic!() };
    /// assert_eq!(payload, b"Hi");
    /// # Ok::<(), barews_embedded::Error<core::convert::Infallible>>(())
    /// # }).unwrap();
    /// ```
    connect: connect_async,
    /// Runs the opening handshake over the async transport `io`; see
    /// [`accept`](Acceptor::accept).
    accept: accept_async,
    /// Runs the opening handshake over the async transport `io`, asking
    /// `decide` about each valid request; see
    /// [`accept_with`](Acceptor::accept_with).
    accept_with: accept_with_async,
}

/// The async I/O methods: the blocking ones, awaited.
impl<T: Read + Write, S: Side, C: Clock> WebSocket<'_, T, S, C> {
    socket_io!([async] [await]);
}
