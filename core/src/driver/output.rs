//! The sending side of a driver: the send buffer, the frames the protocol
//! owes, and the one writer every data message goes through.

use super::buffer::Buffer;
use crate::connection::{Connection, DataKind, PayloadMask, Role, SendError, Side};
use crate::frame::MAX_CONTROL_PAYLOAD;

/// The largest control frame with its header.
const MAX_CONTROL_FRAME: usize = MAX_CONTROL_PAYLOAD + 6;

/// How much of a [`send`](Output::send) call's data is in the send buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Queued {
    /// Bytes of the payload taken, from its front.
    pub taken: usize,
    /// All of it is queued, frames and all. Otherwise write out
    /// [`pending`](Output::pending) and call again with the rest.
    pub complete: bool,
}

/// A piece of data being written as frames: checked already, framed
/// (fragment by fragment) as room allows.
#[derive(Debug, Clone, Copy)]
struct Streaming {
    kind: DataKind,
    /// The piece ends its message.
    fin: bool,
    /// Bytes not yet announced by a frame header (`usize`, as they are
    /// in the caller's slice: no 8-byte fields, which would link
    /// `memcpy8` and `memclr8` on 32-bit targets).
    unframed: usize,
    /// Bytes of the current frame's payload still to copy.
    frame_left: usize,
    /// The current frame's masking.
    mask: Option<PayloadMask>,
}

/// The send buffer: bytes waiting for the transport in
/// `buf[start..end]`.
pub struct Output<B> {
    buf: B,
    start: usize,
    end: usize,
    /// How large a growable buffer stays once it is written out (after
    /// a burst past twice this size).
    keep: usize,
    streaming: Option<Streaming>,
    /// The transport has been shut down: nothing more is written.
    shut: bool,
}

impl<B: Buffer> Output<B> {
    /// A send buffer over `buf`. A growable buffer grows to hold what is
    /// queued and shrinks back to `keep` bytes once written out, when it
    /// had grown past twice that.
    pub(super) fn new(buf: B, keep: usize) -> Self {
        Output { buf, start: 0, end: 0, keep, streaming: None, shut: false }
    }

    /// The bytes waiting for the transport, oldest first. Empty once the
    /// transport is shut.
    pub fn pending(&self) -> &[u8] {
        self.buf.as_ref().get(self.start..self.end).unwrap_or_default()
    }

    /// Records that the transport took the first `n` pending bytes.
    pub fn wrote(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            // Memory goes back only after a burst well past the size to
            // keep, not after every message a little larger than it.
            if self.buf.as_ref().len() / 2 > self.keep {
                self.buf.shrink(self.keep);
            }
        }
    }

    /// Swaps the send buffer's storage for `buf` and returns the old
    /// storage, while nothing is pending; gives `buf` back untouched
    /// otherwise, or if it is fixed storage shorter than
    /// [`MIN_BUFFER`](super::MIN_BUFFER). See
    /// [`Input::replace_buffer`](super::Input::replace_buffer): the same,
    /// for the send side. Growable storage swapped in empty grows when
    /// something is queued ([`free`](Self::free) stays empty until then).
    pub fn replace_buffer(&mut self, buf: B) -> Result<B, B> {
        if self.start != self.end || (!B::GROWS && buf.as_ref().len() < super::MIN_BUFFER) {
            return Err(buf);
        }
        self.start = 0;
        self.end = 0;
        Ok(core::mem::replace(&mut self.buf, buf))
    }

    /// The transport has been shut down (by [`Action::Shutdown`](super::Action::Shutdown)
    /// or by the caller): pending bytes are dropped and sends fail.
    pub fn shut(&mut self) {
        self.shut = true;
        self.wrote(usize::MAX);
    }

    /// Whether the transport has been shut down.
    pub const fn is_shut(&self) -> bool {
        self.shut
    }

    /// Whether a piece of data is part-way out: its frame must be finished
    /// (call [`send`](Self::send) with the rest) before anything else.
    pub const fn is_streaming(&self) -> bool {
        self.streaming.is_some()
    }

    /// Free room at the end, at least `want` bytes if the storage can
    /// grow that far. Pending bytes stay where they are: the transport
    /// takes them all before the buffer is used from its start again.
    fn room(&mut self, want: usize) -> &mut [u8] {
        if self.buf.as_ref().len() - self.end < want {
            let len = self.end.saturating_add(want);
            self.buf.grow(len);
        }
        self.buf.as_mut().get_mut(self.end..).unwrap_or_default()
    }

    /// The free end of the send buffer, for bytes written without the
    /// connection (an opening handshake's request or answer); report them
    /// with [`commit`](Self::commit).
    pub fn free(&mut self) -> &mut [u8] {
        self.room(0)
    }

    /// Records that `n` bytes were written into [`free`](Self::free).
    pub fn commit(&mut self, n: usize) {
        self.end = (self.end + n).min(self.buf.as_ref().len());
    }

    /// Moves the control frames the connection owes (Pong, Ping, Close)
    /// into the send buffer while they fit; the rest stay queued in the
    /// connection. Never inside a data frame.
    #[inline]
    pub fn queue_owed<S: Side>(&mut self, conn: &mut Connection<S>) {
        if conn.has_pending_transmit() {
            self.move_owed(conn);
        }
    }

    fn move_owed<S: Side>(&mut self, conn: &mut Connection<S>) {
        if self.shut || self.streaming.is_some_and(|s| s.frame_left > 0) {
            return;
        }
        while conn.has_pending_transmit() {
            let room = self.room(MAX_CONTROL_FRAME);
            match conn.poll_transmit(room) {
                Ok(n) if n > 0 => self.end += n,
                _ => break,
            }
        }
    }

    /// Queues `payload` as data of the outgoing message of type `kind`: a
    /// new message, or more of the one in progress. `fin` ends the message
    /// with the payload's last byte; a whole message is one call with
    /// `fin`, and a message may be fed in any number of pieces.
    ///
    /// Every piece goes through the same rules, however it is fed: text
    /// is checked as UTF-8 (a piece may end inside a character, the last
    /// may not) before any byte of the piece is queued; frames are cut at
    /// the configured [`fragment_size`](crate::config::Config::fragment_size);
    /// a client masks with a fresh key per frame. Control frames the
    /// connection owes go out between frames. Nothing is compressed here
    /// (see `send_with`, feature `deflate`).
    ///
    /// When the buffer fills, the call takes what fits and says so
    /// ([`Queued::complete`] false): write out [`pending`](Self::pending)
    /// and call again with the rest of the same payload (same `kind` and
    /// `fin`). On error nothing of the piece is queued.
    pub fn send<S: Side>(
        &mut self,
        conn: &mut Connection<S>,
        kind: DataKind,
        payload: &[u8],
        fin: bool,
    ) -> Result<Queued, SendError> {
        if self.shut {
            return Err(SendError::Closed);
        }
        if self.streaming.is_none() {
            conn.check_data(kind, payload, fin)?;
            if B::GROWS && payload.len() <= fragment_size(conn) {
                // Where speed counts more than code size: a piece that is
                // one frame is written in one step.
                return self.send_frame(conn, kind, payload, fin);
            }
            let unframed = payload.len();
            self.streaming = Some(Streaming { kind, fin, unframed, frame_left: 0, mask: None });
        }
        self.stream(conn, payload)
    }

    /// Like [`send`](Self::send), compressing with `compressor` a whole
    /// message (or a message's only piece) when permessage-deflate is on
    /// and the message reaches the configured minimum size (see
    /// [`Connection::send_with`] for which compressor may serve which
    /// connections). A compressed message is queued all at once or not at
    /// all; one that even an empty buffer of fixed storage cannot hold is
    /// sent uncompressed instead, in pieces as [`send`](Self::send) does.
    /// Pieces of a message sent one by one go uncompressed.
    #[cfg(feature = "deflate")]
    pub fn send_with<S: Side, M: AsRef<[u8]> + AsMut<[u8]>>(
        &mut self,
        conn: &mut Connection<S>,
        kind: DataKind,
        payload: &[u8],
        fin: bool,
        compressor: &mut crate::deflate::Compressor<M>,
    ) -> Result<Queued, SendError> {
        let whole = fin && self.streaming.is_none() && !conn.is_sending_message();
        if self.shut || !whole || !conn.compresses(payload.len()) {
            return self.send(conn, kind, payload, fin);
        }
        // Growable storage gives the compressor the room it works best in.
        let room = if B::GROWS {
            crate::deflate::Compressor::<M>::preferred_room(payload.len())
        } else {
            payload.len()
        };
        let mut want = room.saturating_add(crate::frame::MAX_HEADER_LEN);
        let len_before = self.buf.as_ref().len();
        loop {
            match conn.send_with(kind, payload, self.room(want), compressor) {
                Ok(n) => {
                    self.end += n;
                    // The compressor's working room beyond the frames is
                    // given back: the buffer keeps the size it had.
                    if B::GROWS {
                        self.buf.shrink(self.end.max(len_before));
                    }
                    return Ok(Queued { taken: payload.len(), complete: true });
                }
                // Growable storage makes room for what the encoder asks.
                Err(SendError::BufferTooSmall { required }) if required > want => want = required,
                // Storage that cannot grow sends what does not fit
                // compressed as it is (the extension allows it), in pieces.
                Err(SendError::BufferTooSmall { .. }) if !B::GROWS && self.pending().is_empty() => {
                    return self.send(conn, kind, payload, fin);
                }
                Err(SendError::BufferTooSmall { required }) => {
                    return if self.pending().is_empty() {
                        Err(SendError::BufferTooSmall { required })
                    } else {
                        Ok(Queued { taken: 0, complete: false })
                    };
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Queues a whole message compressed with `compressor`:
    /// [`send_with`](Self::send_with) with `fin`, refused as
    /// [`send_message`](Self::send_message) is.
    #[cfg(feature = "deflate")]
    pub fn send_message_with<S: Side, M: AsRef<[u8]> + AsMut<[u8]>>(
        &mut self,
        conn: &mut Connection<S>,
        kind: DataKind,
        payload: &[u8],
        compressor: &mut crate::deflate::Compressor<M>,
    ) -> Result<Queued, SendError> {
        self.check_no_message_in_progress(conn)?;
        self.send_with(conn, kind, payload, true, compressor)
    }

    /// Queues a whole message: [`send`](Self::send) with `fin`, refused
    /// with [`SendError::MessageInProgress`] while a fragmented message
    /// sent piece by piece is unfinished. Call it again with the rest
    /// while [`Queued::complete`] is false.
    pub fn send_message<S: Side>(
        &mut self,
        conn: &mut Connection<S>,
        kind: DataKind,
        payload: &[u8],
    ) -> Result<Queued, SendError> {
        self.check_no_message_in_progress(conn)?;
        self.send(conn, kind, payload, true)
    }

    /// Like [`send`](Self::send), for a payload the caller writes itself,
    /// straight from where it is: when this end is a server (which does
    /// not mask), the piece is not compressed and fits one frame, only the
    /// frame's header is queued and the answer is `true`. Then write out
    /// [`pending`](Self::pending) and the whole payload right after it,
    /// before anything else is queued (one vectored write), and report the
    /// pending bytes with [`wrote`](Self::wrote). `false`: nothing was
    /// queued; use [`send`](Self::send).
    pub fn send_in_place<S: Side>(
        &mut self,
        conn: &mut Connection<S>,
        kind: DataKind,
        payload: &[u8],
        fin: bool,
    ) -> Result<bool, SendError> {
        if self.shut {
            return Err(SendError::Closed);
        }
        let len = payload.len();
        let whole = fin && !conn.is_sending_message();
        if S::ROLE != Role::Server
            || self.streaming.is_some()
            || (whole && conn.compresses(len))
            || len > fragment_size(conn)
        {
            return Ok(false);
        }
        conn.check_data(kind, payload, fin)?;
        self.queue_owed(conn);
        let room = self.room(crate::frame::MAX_HEADER_LEN);
        let len64 = u64::try_from(len).unwrap_or(u64::MAX);
        let (n, _unmasked) = conn.data_header(kind, len64, fin, room)?;
        self.end += n;
        Ok(true)
    }

    /// [`send_in_place`](Self::send_in_place) for a whole message, refused
    /// with [`SendError::MessageInProgress`] as
    /// [`send_message`](Self::send_message) is.
    pub fn send_message_in_place<S: Side>(
        &mut self,
        conn: &mut Connection<S>,
        kind: DataKind,
        payload: &[u8],
    ) -> Result<bool, SendError> {
        self.check_no_message_in_progress(conn)?;
        self.send_in_place(conn, kind, payload, true)
    }

    /// A whole message may not start while one sent piece by piece is
    /// unfinished (a piece of this driver's own in progress is its rest).
    fn check_no_message_in_progress<S: Side>(&self, conn: &Connection<S>) -> Result<(), SendError> {
        if self.streaming.is_none() && conn.is_sending_message() {
            Err(SendError::MessageInProgress)
        } else {
            Ok(())
        }
    }

    /// Writes a checked piece as one whole frame, the header and the
    /// (masked) payload together, after the control frames owed.
    fn send_frame<S: Side>(
        &mut self,
        conn: &mut Connection<S>,
        kind: DataKind,
        payload: &[u8],
        fin: bool,
    ) -> Result<Queued, SendError> {
        self.queue_owed(conn);
        let len = payload.len();
        let room = self.room(len.saturating_add(crate::frame::MAX_HEADER_LEN));
        let len64 = u64::try_from(len).unwrap_or(u64::MAX);
        let (n, mut mask) = conn.data_header(kind, len64, fin, room)?;
        if let Some(body) = room.get_mut(n..n + len) {
            body.copy_from_slice(payload);
            mask.apply(body);
        }
        self.end += n + len;
        Ok(Queued { taken: len, complete: true })
    }

    /// Frames and copies the checked piece in progress while room allows.
    fn stream<S: Side>(
        &mut self,
        conn: &mut Connection<S>,
        payload: &[u8],
    ) -> Result<Queued, SendError> {
        let fragment = fragment_size(conn);
        let mut taken = 0;
        while let Some(mut streaming) = self.streaming {
            if streaming.frame_left > 0 {
                let rest = payload.get(taken..).unwrap_or_default();
                let want = streaming.frame_left.min(rest.len());
                let room = self.room(want);
                let n = want.min(room.len());
                if let (Some(dst), Some(src)) = (room.get_mut(..n), rest.get(..n)) {
                    dst.copy_from_slice(src);
                    if let Some(mask) = streaming.mask.as_mut() {
                        mask.apply(dst);
                    }
                }
                self.end += n;
                taken += n;
                streaming.frame_left -= n;
                self.streaming = Some(streaming);
                if streaming.frame_left > 0 {
                    return Ok(Queued { taken, complete: false });
                }
                if streaming.unframed == 0 {
                    self.streaming = None;
                }
                continue;
            }
            // Between frames: what the protocol owes goes first.
            self.queue_owed(conn);
            let len = streaming.unframed.min(fragment);
            let fin = streaming.fin && len == streaming.unframed;
            let room = self.room(crate::frame::MAX_HEADER_LEN);
            let len64 = u64::try_from(len).unwrap_or(u64::MAX);
            match conn.data_header(streaming.kind, len64, fin, room) {
                Ok((n, mask)) => {
                    self.end += n;
                    streaming.unframed -= len;
                    streaming.frame_left = len;
                    streaming.mask = Some(mask);
                    self.streaming = if len == 0 { None } else { Some(streaming) };
                }
                Err(SendError::BufferTooSmall { required }) => {
                    return if self.pending().is_empty() {
                        Err(SendError::BufferTooSmall { required })
                    } else {
                        Ok(Queued { taken, complete: false })
                    };
                }
                Err(error) => {
                    self.streaming = None;
                    return Err(error);
                }
            }
        }
        Ok(Queued { taken, complete: true })
    }
}

/// The largest frame payload the configuration allows.
fn fragment_size<S: Side>(conn: &Connection<S>) -> usize {
    conn.config().fragment_size().map_or(usize::MAX, |size| size.max(1))
}

impl<B> core::fmt::Debug for Output<B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Output")
            .field("pending", &(self.end - self.start))
            .field("shut", &self.shut)
            .finish_non_exhaustive()
    }
}
