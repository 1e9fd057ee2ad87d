//! The socket type both transports share: the transport, the core's
//! driver over the caller's two buffers, and the clock. Its I/O methods
//! are written once (in `io.rs`) and made blocking in `blocking.rs` and
//! async in `asynch.rs`; everything else is here.

use crate::Clock;
use barews::connection::{self, Connection, DataKind, SendError, Side, State};
use barews::driver::{Driver, Queued};
use barews::time::Instant;
use core::marker::PhantomData;

/// Marks a [`Socket`] over a blocking `embedded-io` transport
/// ([`crate::WebSocket`]).
#[derive(Debug, Clone, Copy)]
pub struct Blocking;

/// Marks a [`Socket`] over an async `embedded-io-async` transport
/// ([`crate::asynch::WebSocket`]).
#[derive(Debug, Clone, Copy)]
pub struct Async;

/// A WebSocket over the transport `T`, for one side `S`, with the
/// caller's receive and send buffers and clock `C`; `M` says whether its
/// I/O is [`Blocking`] or [`Async`]. Use it through
/// [`WebSocket`](crate::WebSocket) (blocking) or
/// [`asynch::WebSocket`](crate::asynch::WebSocket).
///
/// It adds I/O and nothing of the protocol: the core's
/// [driver](barews::driver) checks every frame, answers Pings and Closes,
/// fragments and masks what is sent, runs the timers and decides when the
/// transport is done.
///
/// - `read` returns the next [`Event`](crate::Event): a chunk of a data
///   message as it arrives (borrowed from the receive buffer, so a message
///   of any size passes through it), a Ping, a Pong or the peer's Close.
/// - `send_text`, `send_binary` and `send` write messages and fragments
///   through the send buffer, in pieces if they are larger than it. When
///   permessage-deflate was agreed (feature `deflate`), a whole message
///   (`send_text`, `send_binary`, or `send` with `fin` for a message's
///   only piece) is compressed if its compressed form fits the send
///   buffer, and sent as it is otherwise.
/// - `ping`, `pong`, `close` write control frames.
///
/// Every method writes what it produced before it returns, and the frames
/// the protocol owes (a Pong, the Close reply) go out before `read` waits
/// for the peer. After an I/O error the transport may hold half a frame:
/// drop the connection.
pub struct Socket<'b, T, S, C, M> {
    pub(crate) io: T,
    pub(crate) driver: Driver<S, &'b mut [u8]>,
    pub(crate) clock: C,
    /// The subprotocol the server selected (a client's socket only).
    pub(crate) protocol: Option<&'b str>,
    /// The compressor of permessage-deflate, in the caller's memory, when
    /// the extension was agreed and memory was lent for it.
    #[cfg(feature = "deflate")]
    pub(crate) compressor: Option<barews::deflate::Compressor<&'b mut [u8]>>,
    mode: PhantomData<M>,
}

impl<'b, T, S: Side, C: Clock, M> Socket<'b, T, S, C, M> {
    pub(crate) fn new(io: T, driver: Driver<S, &'b mut [u8]>, clock: C) -> Self {
        Socket {
            io,
            driver,
            clock,
            protocol: None,
            #[cfg(feature = "deflate")]
            compressor: None,
            mode: PhantomData,
        }
    }

    /// Queues what fits of a message's data into the send buffer: a
    /// whole message (`fin` `None`) or a piece of one. With a compressor,
    /// through the driver's compressing writer, which compresses whole
    /// messages that fit the send buffer compressed and sends the rest as
    /// [`send`](Driver::send) does.
    pub(crate) fn queue_some(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        fin: Option<bool>,
    ) -> Result<Queued, SendError> {
        #[cfg(feature = "deflate")]
        if let Some(compressor) = self.compressor.as_mut() {
            return match fin {
                None => self.driver.send_message_with(kind, payload, compressor),
                Some(fin) => self.driver.send_with(kind, payload, fin, compressor),
            };
        }
        match fin {
            None => self.driver.send_message(kind, payload),
            Some(fin) => self.driver.send(kind, payload, fin),
        }
    }
}

impl<'b, T, K, C, M> Socket<'b, T, connection::Client<K>, C, M> {
    /// The subprotocol the server selected: one of those the request
    /// offered, or `None`.
    pub fn protocol(&self) -> Option<&'b str> {
        self.protocol
    }
}

impl<T, S: Side, C, M> Socket<'_, T, S, C, M> {
    /// Where the closing handshake stands.
    pub fn state(&self) -> State {
        self.driver.conn().state()
    }

    /// The core's connection, for its getters
    /// ([`failure`](Connection::failure), [`config`](Connection::config),
    /// with the `deflate` feature
    /// [`deflate_enabled`](Connection::deflate_enabled)…).
    pub fn connection(&self) -> &Connection<S> {
        self.driver.conn()
    }

    /// The next time a timer is due, on the caller's clock: keepalive, or
    /// the close timeout. `read` acts on timers when it is called and
    /// before it waits, but a blocking read cannot wake up for them: with
    /// keepalive on, use a transport whose reads time out (and call `read`
    /// again after the timeout error) or the async socket, racing `read`
    /// against a timer at this deadline.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.driver.conn().poll_timeout()
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

impl<T, S, C, M> core::fmt::Debug for Socket<'_, T, S, C, M> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("WebSocket").finish_non_exhaustive()
    }
}
