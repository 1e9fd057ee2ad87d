//! The receiving side of a driver: the receive buffer, the inflate window,
//! and the loop that turns transport bytes into events and says what the
//! transport must do next.

use super::buffer::{Buffer, move_to_front};
use super::event::EventAt;
use super::output::Output;
use super::{Action, End, MIN_BUFFER};
use crate::connection::{Connection, Event, Role, Side};
use crate::time::{Clock, Instant};
use core::ops::Range;

/// The receive buffer: unread bytes in `buf[start..end]`.
pub struct Input<B> {
    buf: B,
    start: usize,
    end: usize,
    /// How large a growable buffer may grow while reads keep filling it.
    max_len: usize,
    /// The inflate window for permessage-deflate (empty without it, and,
    /// when growable, while the peer's context is empty).
    window: B,
    /// The decompressor writing into `window`.
    #[cfg(feature = "deflate")]
    inflater: crate::deflate::Inflater,
    /// An event found but held back until the frames owed before it
    /// (the Close reply) are written.
    ready: Option<EventAt>,
    /// The transport reported the end of its input.
    eof: bool,
    /// When a client started waiting for the server to end the transport
    /// (RFC 6455 section 7.1.1), on the caller's clock.
    closing_since: Option<Instant>,
    /// The last answer was `Read`: time may have passed, so the timers
    /// are looked at (and not on every step of a busy connection).
    waited: bool,
}

/// The address range of `bytes`, to tell which buffer an event lies in.
fn span(bytes: &[u8]) -> Range<usize> {
    let start = bytes.as_ptr().addr();
    start..start + bytes.len()
}

impl<B: Buffer> Input<B> {
    /// A receive buffer over `buf`, growing (if it can) up to `max_len`
    /// bytes while reads keep filling it, with the inflate `window`.
    pub(super) fn new(buf: B, max_len: usize, window: B) -> Self {
        Input {
            buf,
            start: 0,
            end: 0,
            max_len,
            window,
            #[cfg(feature = "deflate")]
            inflater: crate::deflate::Inflater::new(),
            ready: None,
            eof: false,
            closing_since: None,
            waited: true,
        }
    }

    /// The unread bytes (during an opening handshake: the head so far).
    pub fn unread(&self) -> &[u8] {
        self.buf.as_ref().get(self.start..self.end).unwrap_or_default()
    }

    /// Marks the first `n` unread bytes as used (a handshake head).
    pub fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
    }

    /// Whether the buffer is full of unread bytes and cannot grow.
    pub fn is_full(&self) -> bool {
        self.start == 0 && self.end == self.buf.as_ref().len() && self.end >= self.max_len
    }

    /// The free end of the buffer to read into, after moving the unread
    /// bytes to its front. Empty only when [`is_full`](Self::is_full).
    pub fn spare(&mut self) -> &mut [u8] {
        if self.start > 0 {
            move_to_front(self.buf.as_mut(), self.start, self.end);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.as_ref().len() {
            self.grow();
        }
        self.buf.as_mut().get_mut(self.end..).unwrap_or_default()
    }

    /// Records that the transport put `n` bytes into [`spare`](Self::spare).
    /// A read that filled the buffer makes a growable one twice as large
    /// (up to its maximum): the peer sends faster than one buffer per read,
    /// and fewer, larger reads cost fewer system calls.
    pub fn filled(&mut self, n: usize) {
        self.end = (self.end + n).min(self.buf.as_ref().len());
        if n > 0 && self.end == self.buf.as_ref().len() {
            self.grow();
        }
    }

    fn grow(&mut self) {
        let len = self.buf.as_ref().len();
        // Storage swapped in empty grows to the least a driver works with.
        let target = len.saturating_mul(2).max(MIN_BUFFER).min(self.max_len.max(MIN_BUFFER));
        if target > len {
            self.buf.grow(target);
        }
    }

    /// Whether every byte read has gone to the connection and no event is
    /// held back: nothing in the storage matters until the next read.
    pub fn is_drained(&self) -> bool {
        self.start == self.end && self.ready.is_none()
    }

    /// Swaps the receive buffer's storage for `buf` and returns the old
    /// storage, while the buffer is [drained](Self::is_drained); gives
    /// `buf` back untouched otherwise, or if it is fixed storage shorter
    /// than [`MIN_BUFFER`]. Positions of events found before no longer
    /// resolve.
    ///
    /// A server with many connections that mostly wait holds no receive
    /// buffer per waiting connection this way: it swaps empty storage in
    /// before a connection waits, and a buffer of its own pool in when
    /// input arrives. Growable storage swapped in empty grows to
    /// [`MIN_BUFFER`] bytes when a read needs room.
    pub fn replace_buffer(&mut self, buf: B) -> Result<B, B> {
        if !self.is_drained() || (!B::GROWS && buf.as_ref().len() < MIN_BUFFER) {
            return Err(buf);
        }
        self.start = 0;
        self.end = 0;
        Ok(core::mem::replace(&mut self.buf, buf))
    }

    /// Records that the transport's input ended (a read returned 0).
    pub fn ended(&mut self) {
        self.eof = true;
    }

    /// Whether permessage-deflate state is held: decompressor state or a
    /// non-empty inflate window.
    pub fn holds_inflate_state(&self) -> bool {
        #[cfg(feature = "deflate")]
        if self.inflater.is_active() {
            return true;
        }
        !self.window.as_ref().is_empty()
    }

    /// Whether the transport's input has ended.
    pub const fn is_ended(&self) -> bool {
        self.eof
    }

    /// The event [`poll`](Self::poll) found, borrowing the buffers until
    /// the next call to `poll` or [`spare`](Self::spare).
    pub fn event(&self, at: EventAt) -> Event<'_> {
        at.resolve(self.buf.as_ref(), self.window.as_ref())
    }

    /// Hands the unread bytes to the connection until it reports an event
    /// or needs more, and says what the transport must do next; see
    /// [`Action`]. The frames the connection owes are moved into `output`
    /// on the way.
    ///
    /// `clock` is the caller's: timers that are due fire, and a client
    /// waits for the server to close the transport no longer than the
    /// configured close timeout. With [`NoClock`](crate::time::NoClock)
    /// timers never fire (their code is left out) and that wait lasts as
    /// long as the transport's.
    ///
    /// Once the connection is over (and its last frames are written and
    /// the transport shut down as RFC 6455 section 7.1.1 orders), it
    /// returns why, every time.
    pub fn poll<S: Side, O: Buffer, C: Clock>(
        &mut self,
        conn: &mut Connection<S>,
        output: &mut Output<O>,
        clock: &mut C,
    ) -> Result<Action, End> {
        // Timers are looked at after a wait (where time passes; a timer a
        // command started is due at once, so the wait is none), and the
        // clock is read only when one runs.
        let timer = if C::TICKS && self.waited { conn.poll_timeout() } else { None };
        self.waited = false;
        if let Some(at) = timer {
            let now = clock.now();
            if at <= now {
                conn.handle_timeout(now);
            }
        }
        loop {
            if conn.is_closed() {
                // The last frames go out and the transport ends in the
                // order of RFC 6455 section 7.1.1 before the peer's Close
                // is handed out (a server's) or after it (a client's).
                if let Some(action) = self.closing(conn, output, clock) {
                    return Ok(action);
                }
                if let Some(at) = self.ready.take() {
                    return Ok(Action::Event(at));
                }
                return Err(End::of(conn));
            }
            // A control frame owed but not yet in the send buffer (it was
            // full) goes out before more input is read: a Pong is not
            // replaced by the next one for want of room.
            output.queue_owed(conn);
            if conn.has_pending_transmit() && !output.pending().is_empty() {
                return Ok(Action::Write);
            }
            #[cfg(feature = "deflate")]
            self.prepare_inflater(conn);
            let input = span(self.buf.as_ref());
            let window = span(self.window.as_ref());
            let bytes = self.buf.as_mut().get_mut(self.start..self.end).unwrap_or_default();
            #[cfg(feature = "deflate")]
            let received = conn.receive_inflating(bytes, &mut self.inflater, self.window.as_mut());
            #[cfg(not(feature = "deflate"))]
            let received = conn.receive(bytes);
            let Ok(received) = received else {
                // The connection failed; its Close is queued.
                continue;
            };
            self.start += received.consumed;
            if let Some(event) = received.event {
                let at = EventAt::locate(&input, &window, &event);
                if conn.is_closed() {
                    self.ready = Some(at);
                    continue;
                }
                // A Pong for a Ping goes ahead of anything sent next.
                output.queue_owed(conn);
                return Ok(Action::Event(at));
            }
            if received.consumed > 0 {
                continue;
            }
            // Nothing more in the bytes at hand.
            if self.start == self.end {
                self.start = 0;
                self.end = 0;
            }
            if output.is_shut() {
                return Err(End::AbnormalClosure);
            }
            if !output.pending().is_empty() {
                return Ok(Action::Write);
            }
            if self.eof {
                output.shut();
                return Ok(Action::Shutdown);
            }
            let deadline = if C::TICKS { conn.poll_timeout() } else { None };
            self.waited = true;
            return Ok(Action::Read { deadline });
        }
    }

    /// Gives the decompressor and a growable window back while the peer's
    /// context is empty (it starts each message afresh and no compressed
    /// message is in progress), and makes the window ready when the next
    /// frame may need it.
    #[cfg(feature = "deflate")]
    fn prepare_inflater<S: Side>(&mut self, conn: &Connection<S>) {
        if !conn.deflate_enabled() {
            return;
        }
        if conn.inflater_idle() && !self.window.as_ref().is_empty() {
            // The connection gave the decompressor's state back already.
            self.window.shrink(0);
        }
        let size = conn.inflate_window_size();
        if self.window.as_ref().len() < size && conn.needs_inflater(self.unread()) {
            self.window.grow(size);
        }
    }

    /// What a connection that is over still needs from the transport:
    /// its last frames written, then the transport ended (the server
    /// first; a client waits for it, up to the close timeout, after
    /// handing out the peer's Close; either end at once after a failure).
    /// `None` once the transport is shut, or while a client's event is
    /// still to be handed out.
    fn closing<S: Side, O: Buffer, C: Clock>(
        &mut self,
        conn: &mut Connection<S>,
        output: &mut Output<O>,
        clock: &mut C,
    ) -> Option<Action> {
        if output.is_shut() {
            return None;
        }
        output.queue_owed(conn);
        if !output.pending().is_empty() {
            return Some(Action::Write);
        }
        if !closes_first(conn) {
            if self.ready.is_some() {
                return None;
            }
            if !self.eof {
                // Whatever still arrives after the Close is read and
                // dropped.
                self.start = 0;
                self.end = 0;
                let timeout = conn.config().close_timeout();
                let now = if C::TICKS { Some(clock.now()) } else { None };
                let deadline =
                    now.map(|now| self.closing_since.get_or_insert(now).saturating_add(timeout));
                if deadline.is_none_or(|at| now.is_none_or(|now| now < at)) {
                    self.waited = true;
                    return Some(Action::Read { deadline });
                }
            }
        }
        output.shut();
        Some(Action::Shutdown)
    }
}

/// Whether this end ends the transport of a connection that is over
/// without waiting for the peer: a server, or either end after a failure
/// or a timer gave up (RFC 6455 section 7.1.1).
fn closes_first<S: Side>(conn: &Connection<S>) -> bool {
    S::ROLE == Role::Server || conn.failure().is_some() || conn.expired().is_some()
}

impl<B> core::fmt::Debug for Input<B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Input")
            .field("unread", &(self.end - self.start))
            .field("eof", &self.eof)
            .finish_non_exhaustive()
    }
}
