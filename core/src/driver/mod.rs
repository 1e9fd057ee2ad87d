//! The driver: the one place where a [`Connection`] meets the caller's
//! receive and send buffers, and the layer every adapter sits on.
//!
//! A [`Driver`] owns the connection, a receive buffer ([`Input`]) and a
//! send buffer ([`Output`]) in storage the caller provides: slices
//! (`&mut [u8]`, no allocator) or, with the `alloc` feature, `Vec<u8>`s
//! that grow within set limits (see [`Buffer`]). It does no I/O. Asked
//! what comes next ([`poll`](Driver::poll)), it answers with an
//! [`Action`]:
//!
//! - [`Event`](Action::Event): something arrived; [`event`](Driver::event)
//!   lends it, borrowed from the buffers, until the next read or poll;
//! - [`Write`](Action::Write): write out [`pending`](Driver::pending) and
//!   report it with [`wrote`](Driver::wrote);
//! - [`Read`](Action::Read): read into [`spare`](Driver::spare) and report
//!   it with [`filled`](Driver::filled) (or [`ended`](Driver::ended) when
//!   the transport's input ends), waking up at the deadline if one is
//!   given;
//! - [`Shutdown`](Action::Shutdown): end the transport now (RFC 6455
//!   section 7.1.1 says which end goes first; the driver knows);
//!
//! and, once the connection is over, with the [`End`] that says why.
//! Sending goes through [`send`](Driver::send): one writer for every
//! message, whole or in pieces, that checks, fragments, compresses and
//! masks. The frames the protocol owes (Pong, Close, keepalive Ping) are
//! moved into the send buffer by the driver itself.
//!
//! An adapter is then one loop, the same for blocking and async I/O:
//!
//! ```
//! use barews::config::Config;
//! use barews::connection::{Connection, Event};
//! use barews::driver::{Action, Driver, End};
//! use barews::time::NoClock;
//!
//! // What a client sent: a masked "Hello" and a masked Close 1000.
//! let mut socket_in: &[u8] = &[
//!     0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
//!     0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xe8 ^ 2,
//! ];
//! let mut socket_out = Vec::new();
//! let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
//! let mut driver = Driver::new(Connection::server(Config::new()), &mut rx[..], &mut tx[..])?;
//! let end = loop {
//!     match driver.poll(&mut NoClock) {
//!         Ok(Action::Event(at)) => {
//!             if let Event::Data { kind, payload, last: true, .. } = driver.event(at) {
//!                 let payload = payload.to_vec(); // a one-frame message here
//!                 let queued = driver.send(kind, &payload, true)?;
//!                 assert!(queued.complete);
//!             }
//!         }
//!         Ok(Action::Write) => {
//!             socket_out.extend_from_slice(driver.pending());
//!             let n = driver.pending().len();
//!             driver.wrote(n);
//!         }
//!         Ok(Action::Read { .. }) => {
//!             let spare = driver.spare();
//!             let n = socket_in.len().min(spare.len());
//!             spare[..n].copy_from_slice(&socket_in[..n]);
//!             socket_in = &socket_in[n..];
//!             if n == 0 { driver.ended() } else { driver.filled(n) }
//!         }
//!         Ok(Action::Shutdown) => {} // close the socket here
//!         Ok(_) => {}
//!         Err(end) => break end,
//!     }
//! };
//! assert_eq!(end, End::Closed);
//! // The echo, then the Close reply.
//! assert_eq!(socket_out, [0x81, 0x05, b'H', b'e', b'l', b'l', b'o', 0x88, 0x02, 0x03, 0xe8]);
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```
//!
//! Adapters whose reading and writing run apart (two threads sharing the
//! connection behind a lock) use the halves, [`Input`] and [`Output`],
//! directly: [`Input::poll`] takes the connection and the output it
//! shares.

mod buffer;
mod event;
mod input;
mod output;

pub use buffer::Buffer;
pub use event::EventAt;
pub use input::Input;
pub use output::{Output, Queued};

use crate::BufferTooSmall;
use crate::ProtocolError;
use crate::connection::{Connection, DataKind, Event, Expired, SendError, Side};
use crate::time::{Clock, Instant};
use core::fmt;

/// The smallest receive and send buffers a driver accepts: a whole control
/// frame (125 bytes of payload and a header of up to 6 bytes) must fit in
/// each, as the connection hands them out and owes them whole.
pub const MIN_BUFFER: usize = crate::frame::MAX_CONTROL_PAYLOAD + 6;

/// What the transport must do next for the connection to make progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// An event arrived: [`Driver::event`] (or [`Input::event`]) lends it
    /// until the next read or poll.
    Event(EventAt),
    /// Write out the pending bytes ([`Driver::pending`]), report how many
    /// went with [`Driver::wrote`], and poll again. Flush the transport
    /// once nothing is pending.
    Write,
    /// Read into [`Driver::spare`] and report it with [`Driver::filled`],
    /// or with [`Driver::ended`] when the transport's input ended. If
    /// `deadline` is given (only with a clock that ticks), stop waiting
    /// then and poll again: a timer is due.
    Read {
        /// When to poll again even if nothing arrived.
        deadline: Option<Instant>,
    },
    /// End the transport now, both directions, then poll again. The
    /// driver writes nothing more.
    Shutdown,
}

/// Why a connection is over: the last answer of [`Driver::poll`], every
/// time it is asked again. The list is complete, so adapters map it
/// exhaustively onto their errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The closing handshake completed.
    Closed,
    /// The transport ended before the closing handshake did (what RFC
    /// 6455 reports as close code 1006).
    AbnormalClosure,
    /// The peer broke the protocol; a Close with the matching code was
    /// sent.
    Protocol(ProtocolError),
    /// A timer gave up on the peer (no keepalive answer, or no Close
    /// reply).
    Expired(Expired),
}

impl End {
    /// Why `conn`, which is over, ended.
    fn of<S: Side>(conn: &Connection<S>) -> End {
        if let Some(error) = conn.failure() {
            End::Protocol(error)
        } else if let Some(expired) = conn.expired() {
            End::Expired(expired)
        } else {
            End::Closed
        }
    }
}

impl fmt::Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            End::Closed => f.write_str("connection closed"),
            End::AbnormalClosure => f.write_str("the transport ended without a closing handshake"),
            End::Protocol(error) => write!(f, "protocol error: {error}"),
            End::Expired(expired) => write!(f, "{expired}"),
        }
    }
}

impl core::error::Error for End {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            End::Protocol(error) => Some(error),
            _ => None,
        }
    }
}

/// A connection with its receive and send buffers: see the
/// [module documentation](self).
pub struct Driver<S, B> {
    conn: Connection<S>,
    input: Input<B>,
    output: Output<B>,
}

impl<S: Side, B: Buffer> Driver<S, B> {
    /// A driver over fixed buffers: `rx` and `tx` keep their size. Both
    /// need at least [`MIN_BUFFER`] bytes.
    pub fn new(conn: Connection<S>, rx: B, tx: B) -> Result<Self, BufferTooSmall>
    where
        B: Default,
    {
        Self::with_limits(conn, rx, tx, B::default(), Limits::FIXED)
    }

    /// A driver over `rx` and `tx` (at least [`MIN_BUFFER`] bytes each),
    /// with the inflate `window` permessage-deflate needs (see
    /// [`Connection::inflate_window_size`]; growable storage may start
    /// empty: it grows when a compressed message arrives, and is given
    /// back between messages when the peer resets its context) and the
    /// growth [`Limits`] of growable storage.
    pub fn with_limits(
        conn: Connection<S>,
        rx: B,
        tx: B,
        window: B,
        limits: Limits,
    ) -> Result<Self, BufferTooSmall> {
        let required = MIN_BUFFER;
        let mut rx = rx;
        let mut tx = tx;
        if !rx.grow(required) || !tx.grow(required) {
            return Err(BufferTooSmall { required });
        }
        Ok(Driver {
            conn,
            input: Input::new(rx, limits.max_rx, window),
            output: Output::new(tx, limits.keep_tx),
        })
    }

    /// The connection, for its getters and control frames
    /// ([`ping`](Connection::ping), [`close`](Connection::close)…).
    pub const fn conn(&self) -> &Connection<S> {
        &self.conn
    }

    /// The connection, to queue control frames; they are moved into the
    /// send buffer by the next [`poll`](Self::poll) or
    /// [`queue_owed`](Self::queue_owed).
    pub fn conn_mut(&mut self) -> &mut Connection<S> {
        &mut self.conn
    }

    /// The three parts, for an adapter that runs reading and writing
    /// apart.
    pub fn into_parts(self) -> (Connection<S>, Input<B>, Output<B>) {
        (self.conn, self.input, self.output)
    }

    /// The receive side.
    pub const fn input(&self) -> &Input<B> {
        &self.input
    }

    /// The receive side, to consume a handshake head or read into it.
    pub fn input_mut(&mut self) -> &mut Input<B> {
        &mut self.input
    }

    /// The send side.
    pub const fn output(&self) -> &Output<B> {
        &self.output
    }

    /// The send side, to commit a handshake's bytes or send in place.
    pub fn output_mut(&mut self) -> &mut Output<B> {
        &mut self.output
    }

    /// For an opening handshake run over the driver's buffers: the bytes
    /// read so far and the free end of the send buffer, together (a server
    /// writes its answer while the request still borrows the head). Report
    /// what was used with [`Input::consume`] and [`Output::commit`].
    pub fn handshake_buffers(&mut self) -> (&[u8], &mut [u8]) {
        (self.input.unread(), self.output.free())
    }

    /// What the transport must do next, on the caller's `clock`; see
    /// [`Input::poll`].
    pub fn poll<C: Clock>(&mut self, clock: &mut C) -> Result<Action, End> {
        self.input.poll(&mut self.conn, &mut self.output, clock)
    }

    /// The event [`poll`](Self::poll) found.
    pub fn event(&self, at: EventAt) -> Event<'_> {
        self.input.event(at)
    }

    /// The free end of the receive buffer to read into.
    pub fn spare(&mut self) -> &mut [u8] {
        self.input.spare()
    }

    /// Records `n` bytes read into [`spare`](Self::spare).
    pub fn filled(&mut self, n: usize) {
        self.input.filled(n);
    }

    /// Records that the transport's input ended.
    pub fn ended(&mut self) {
        self.input.ended();
    }

    /// The bytes waiting for the transport.
    pub fn pending(&self) -> &[u8] {
        self.output.pending()
    }

    /// Records that the transport took `n` pending bytes.
    pub fn wrote(&mut self, n: usize) {
        self.output.wrote(n);
    }

    /// Moves the control frames the connection owes into the send buffer
    /// (after [`ping`](Connection::ping), [`close`](Connection::close)…),
    /// for a flush.
    pub fn queue_owed(&mut self) {
        self.output.queue_owed(&mut self.conn);
    }

    /// Queues data of an outgoing message; see [`Output::send`].
    pub fn send(&mut self, kind: DataKind, payload: &[u8], fin: bool) -> Result<Queued, SendError> {
        self.output.send(&mut self.conn, kind, payload, fin)
    }

    /// Queues data of an outgoing message, compressing a whole one with
    /// `compressor`; see [`Output::send_with`].
    #[cfg(feature = "deflate")]
    pub fn send_with<M: AsRef<[u8]> + AsMut<[u8]>>(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        fin: bool,
        compressor: &mut crate::deflate::Compressor<M>,
    ) -> Result<Queued, SendError> {
        self.output.send_with(&mut self.conn, kind, payload, fin, compressor)
    }

    /// Queues a whole message, compressed with `compressor`; see
    /// [`Output::send_message_with`].
    #[cfg(feature = "deflate")]
    pub fn send_message_with<M: AsRef<[u8]> + AsMut<[u8]>>(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        compressor: &mut crate::deflate::Compressor<M>,
    ) -> Result<Queued, SendError> {
        self.output.send_message_with(&mut self.conn, kind, payload, compressor)
    }

    /// Queues a whole message; see [`Output::send_message`].
    pub fn send_message(&mut self, kind: DataKind, payload: &[u8]) -> Result<Queued, SendError> {
        self.output.send_message(&mut self.conn, kind, payload)
    }
}

impl<S, B> fmt::Debug for Driver<S, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver")
            .field("conn", &self.conn)
            .field("input", &self.input)
            .field("output", &self.output)
            .finish()
    }
}

/// How far growable buffers may grow, and how much of the send buffer is
/// kept between bursts. Fixed buffers (slices) ignore them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The largest the receive buffer grows to while reads keep filling
    /// it.
    pub max_rx: usize,
    /// The send buffer gives back memory beyond this size once written
    /// out after a burst that grew it past twice this size.
    pub keep_tx: usize,
}

impl Limits {
    /// No growth: the buffers stay as given.
    pub const FIXED: Limits = Limits { max_rx: 0, keep_tx: usize::MAX };

    /// Receive buffer growth up to `max_rx` bytes; send buffer kept up to
    /// `keep_tx` bytes.
    pub const fn new(max_rx: usize, keep_tx: usize) -> Self {
        Limits { max_rx, keep_tx }
    }
}

#[cfg(test)]
mod tests;
