//! The part of a socket that does no I/O, shared by the blocking and the
//! async sockets: the core's connection, the caller's two buffers and the
//! cursors into them. The sockets only move bytes between these buffers
//! and the transport.

use crate::Clock;
use crate::error::Error;
use barews::ProtocolError;
use barews::close::{CloseCode, CloseFrame};
use barews::connection::{Connection, DataKind, Event, Expired, PayloadMask, SendError, Side};

/// An [`Event`] without its bytes.
#[derive(Clone, Copy)]
enum Shape {
    Data { kind: DataKind, first: bool, last: bool },
    Ping,
    Pong,
    Close(Option<CloseCode>),
}

/// An [`Event`] with its bytes given by position rather than borrowed.
///
/// A loop that borrows the buffer for an event in one pass and mutates it
/// in the next cannot return that borrow (the borrow checker cannot tell
/// the passes apart), so the event found is recorded by position and
/// rebuilt from the buffer after the loop.
///
/// An event's bytes (a data chunk, a control payload, a Close reason) are
/// always the last ones the core consumed for it, so their end and
/// length place them.
#[derive(Clone, Copy)]
pub(crate) struct Located {
    shape: Shape,
    /// Where the event's bytes end in the receive buffer.
    end: usize,
    len: usize,
}

impl Located {
    fn new(end: usize, event: &Event<'_>) -> Located {
        let (shape, bytes) = match *event {
            Event::Data { kind, payload, first, last } => {
                (Shape::Data { kind, first, last }, payload)
            }
            Event::Ping(payload) => (Shape::Ping, payload),
            Event::Pong(payload) => (Shape::Pong, payload),
            Event::Close(frame) => (Shape::Close(frame.code), frame.reason.as_bytes()),
        };
        Located { shape, end, len: bytes.len() }
    }
}

/// What one pass over the received bytes gave.
pub(crate) enum Step {
    /// An event; its bytes are consumed already.
    Event(Located),
    /// Bytes were consumed without an event: call again.
    Progress,
    /// Nothing more can be done with the bytes at hand: read more.
    NeedInput,
}

/// The connection and its buffers.
///
/// The receive buffer holds unread bytes in `rx[rx_start..rx_end]`; the
/// send buffer holds bytes waiting for the transport in
/// `tx[tx_sent..tx_len]`, and is empty (both cursors 0) once they are all
/// written. Frames the core owes (Pong, Close, keepalive Ping) are moved
/// into the send buffer as space allows; until then the core keeps them.
pub(crate) struct Engine<'b, S, C> {
    pub(crate) conn: Connection<S>,
    clock: C,
    rx: &'b mut [u8],
    rx_start: usize,
    rx_end: usize,
    tx: &'b mut [u8],
    tx_sent: usize,
    tx_len: usize,
}

impl<'b, S: Side, C: Clock> Engine<'b, S, C> {
    pub(crate) fn new(conn: Connection<S>, clock: C, rx: &'b mut [u8], tx: &'b mut [u8]) -> Self {
        Engine { conn, clock, rx, rx_start: 0, rx_end: 0, tx, tx_sent: 0, tx_len: 0 }
    }

    // ---- receiving ----

    /// Hands the unread bytes to the core once, then moves what it owes
    /// into the send buffer.
    pub(crate) fn step(&mut self) -> Result<Step, ProtocolError> {
        let buf = self.rx.get_mut(self.rx_start..self.rx_end).unwrap_or_default();
        let step = match self.conn.receive(buf) {
            Ok(received) => {
                self.rx_start += received.consumed;
                match received.event {
                    Some(event) => Ok(Step::Event(Located::new(self.rx_start, &event))),
                    None if received.consumed > 0 => Ok(Step::Progress),
                    None => Ok(Step::NeedInput),
                }
            }
            Err(error) => Err(error),
        };
        if self.rx_start == self.rx_end {
            self.rx_start = 0;
            self.rx_end = 0;
        }
        self.queue_owed();
        step
    }

    /// The event recorded by [`step`](Self::step), borrowing the buffer
    /// again. Its bytes stay in place until the next read.
    pub(crate) fn event(&self, at: Located) -> Event<'_> {
        let bytes = at.end.checked_sub(at.len).and_then(|start| self.rx.get(start..at.end));
        let bytes = bytes.unwrap_or_default();
        match at.shape {
            Shape::Data { kind, first, last } => Event::Data { kind, payload: bytes, first, last },
            Shape::Ping => Event::Ping(bytes),
            Shape::Pong => Event::Pong(bytes),
            Shape::Close(code) => Event::Close(CloseFrame {
                code,
                // The core validated it already.
                reason: core::str::from_utf8(bytes).unwrap_or_default(),
            }),
        }
    }

    /// The unread bytes (during the handshake: the head read so far).
    pub(crate) fn unread(&self) -> &[u8] {
        self.rx.get(self.rx_start..self.rx_end).unwrap_or_default()
    }

    /// Marks the first `n` unread bytes as used.
    pub(crate) fn consume(&mut self, n: usize) {
        self.rx_start = (self.rx_start + n).min(self.rx_end);
    }

    /// Whether the receive buffer is full of unread bytes.
    pub(crate) fn rx_full(&self) -> bool {
        self.rx_start == 0 && self.rx_end == self.rx.len()
    }

    /// The free end of the receive buffer, after moving the unread bytes
    /// to its front. Empty only when the buffer is full.
    pub(crate) fn input_space(&mut self) -> &mut [u8] {
        let gap = self.rx_start;
        if gap > 0 {
            let len = self.rx_end - gap;
            if cfg!(target_pointer_width = "64") {
                // Moved in pieces no longer than the gap, which never
                // overlap, with `memcpy` (`copy_within` would add a
                // `memmove` of about 1.5 KiB on Cortex-M).
                let mut done = 0;
                while done < len {
                    let n = (len - done).min(gap);
                    let (front, back) = self.rx.split_at_mut(done + gap);
                    if let (Some(to), Some(from)) = (front.get_mut(done..done + n), back.get(..n)) {
                        to.copy_from_slice(from);
                    }
                    done += n;
                }
            } else {
                // One byte at a time, front to back, which is safe for a
                // move towards the front: the shortest code, and the move
                // is rare (a frame cut at the end of the buffer) and
                // shorter than the buffer.
                for i in 0..len {
                    if let Some(&byte) = self.rx.get(gap + i) {
                        if let Some(slot) = self.rx.get_mut(i) {
                            *slot = byte;
                        }
                    }
                }
            }
            self.rx_end = len;
            self.rx_start = 0;
        }
        self.rx.get_mut(self.rx_end..).unwrap_or_default()
    }

    /// Records that the transport put `n` bytes into the input space.
    pub(crate) fn filled(&mut self, n: usize) {
        self.rx_end = (self.rx_end + n).min(self.rx.len());
    }

    /// The unread bytes and the free end of the send buffer, together: a
    /// server writes its answer while the request still borrows the head.
    pub(crate) fn unread_and_output(&mut self) -> (&[u8], &mut [u8]) {
        let unread = self.rx.get(self.rx_start..self.rx_end).unwrap_or_default();
        let free = self.tx.get_mut(self.tx_len..).unwrap_or_default();
        (unread, free)
    }

    // ---- sending ----

    /// Bytes waiting for the transport.
    pub(crate) fn pending(&self) -> &[u8] {
        self.tx.get(self.tx_sent..self.tx_len).unwrap_or_default()
    }

    /// Records that the transport took `n` pending bytes.
    pub(crate) fn sent(&mut self, n: usize) {
        self.tx_sent = (self.tx_sent + n).min(self.tx_len);
        if self.tx_sent == self.tx_len {
            self.tx_sent = 0;
            self.tx_len = 0;
        }
    }

    /// The free end of the send buffer.
    fn output(&mut self) -> &mut [u8] {
        self.tx.get_mut(self.tx_len..).unwrap_or_default()
    }

    /// Records that `n` bytes were written into [`output`](Self::output)
    /// (or the free part handed out by `unread_and_output`).
    pub(crate) fn commit(&mut self, n: usize) {
        self.tx_len = (self.tx_len + n).min(self.tx.len());
    }

    /// Moves the frames the core owes into the send buffer while they fit;
    /// the rest stay queued in the core for the next call.
    pub(crate) fn queue_owed(&mut self) {
        loop {
            let free = self.tx.get_mut(self.tx_len..).unwrap_or_default();
            match self.conn.poll_transmit(free) {
                Ok(n) if n > 0 => self.tx_len += n,
                _ => break,
            }
        }
    }

    /// Whether the send buffer or the core's queue holds anything.
    pub(crate) fn has_output(&self) -> bool {
        self.tx_len > 0 || self.conn.has_pending_transmit()
    }

    /// Encodes a data frame header for a `len`-byte payload. `Ok(None)`:
    /// the send buffer must be written out first.
    pub(crate) fn push_header(
        &mut self,
        kind: DataKind,
        len: usize,
        fin: bool,
    ) -> Result<Option<PayloadMask>, SendError> {
        let len = u64::try_from(len).unwrap_or(u64::MAX);
        let pending = self.tx_len > 0;
        let out = self.tx.get_mut(self.tx_len..).unwrap_or_default();
        match self.conn.encode_header(kind, len, fin, out) {
            Ok((n, mask)) => {
                self.tx_len += n;
                Ok(Some(mask))
            }
            Err(SendError::BufferTooSmall { .. }) if pending => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Copies as much of `payload` as fits into the send buffer, masked,
    /// and returns how much that was (0 when the buffer is full).
    pub(crate) fn push_payload(&mut self, payload: &[u8], mask: &mut PayloadMask) -> usize {
        let out = self.output();
        let n = payload.len().min(out.len());
        if let (Some(out), Some(payload)) = (out.get_mut(..n), payload.get(..n)) {
            out.copy_from_slice(payload);
            mask.apply(out);
        }
        self.tx_len += n;
        n
    }

    /// Encodes a whole text fragment through the core, which checks its
    /// UTF-8. `Ok(false)`: the send buffer must be written out first.
    pub(crate) fn push_text_fragment(
        &mut self,
        payload: &[u8],
        fin: bool,
    ) -> Result<bool, SendError> {
        let pending = self.tx_len > 0;
        let out = self.tx.get_mut(self.tx_len..).unwrap_or_default();
        match self.conn.send_fragment(DataKind::Text, payload, fin, out) {
            Ok(n) => {
                self.tx_len += n;
                Ok(true)
            }
            Err(SendError::BufferTooSmall { .. }) if pending => Ok(false),
            Err(error) => Err(error),
        }
    }

    // ---- time and the end ----

    /// Lets the core act on its timers when one is due. A clock that does
    /// not tick ([`NoClock`](crate::NoClock)) compiles this away.
    pub(crate) fn tick(&mut self) -> Result<(), Expired> {
        if !C::TICKS {
            return Ok(());
        }
        if let Some(at) = self.conn.poll_timeout() {
            let now = self.clock.now();
            if at <= now {
                let expired = self.conn.handle_timeout(now);
                self.queue_owed();
                if let Some(expired) = expired {
                    return Err(expired);
                }
            }
        }
        Ok(())
    }

    /// The error that describes a connection that is over.
    pub(crate) fn closed_error<E>(&self) -> Error<E> {
        if let Some(error) = self.conn.failure() {
            Error::Protocol(error)
        } else if let Some(expired) = self.conn.expired() {
            Error::Expired(expired)
        } else {
            Error::Closed
        }
    }
}
