//! Decoding what the peer sent: frame by frame, payload chunk by payload
//! chunk, unmasked in the caller's buffer.

use super::{Connection, DataKind, Event, Received, Role, Side};
use crate::close::CloseFrame;
use crate::error::ProtocolError;
use crate::frame::mask::apply_mask_ascii;
use crate::frame::{FrameHeader, OpCode, apply_mask};
use crate::utf8::Utf8Validator;

/// The data frame whose payload is being delivered.
// 4-byte aligned on 32-bit targets, as `Config` is.
#[cfg_attr(not(target_pointer_width = "64"), repr(packed(4)))]
#[derive(Debug, Clone, Copy)]
struct FrameProgress {
    remaining: u64,
    /// The mask key, rotated so that its first byte applies to the next
    /// payload byte; all zeros for an unmasked frame (XOR with zero
    /// changes nothing, so a zero key is skipped whether sent or not).
    key: [u8; 4],
    fin: bool,
}

/// The message whose frames are arriving.
#[cfg_attr(not(target_pointer_width = "64"), repr(packed(4)))]
#[derive(Debug, Clone, Copy)]
struct MessageProgress {
    kind: DataKind,
    /// The sum of the payload lengths announced so far.
    len: u64,
    utf8: Utf8Validator,
    /// A chunk of it has been handed out already.
    started: bool,
    /// Its first frame had RSV1 set: permessage-deflate compressed it.
    compressed: bool,
    /// Bytes of the RFC 7692 tail fed to the inflater at its end.
    #[cfg_attr(not(feature = "deflate"), allow(dead_code))]
    tail_fed: usize,
    /// Decompressed bytes so far.
    #[cfg_attr(not(feature = "deflate"), allow(dead_code))]
    inflated: u64,
}

/// The receiving half's state between calls.
#[derive(Debug, Clone, Copy)]
pub(super) struct Inbound {
    frame: Option<FrameProgress>,
    message: Option<MessageProgress>,
}

impl Inbound {
    pub(super) const fn new() -> Self {
        Inbound { frame: None, message: None }
    }
}

/// Nothing to report yet: `consumed` bytes were used up.
const fn nothing<'b>(consumed: usize) -> Received<'b> {
    Received { consumed, event: None }
}

/// Text is unmasked and validated in blocks of this size, each small
/// enough to stay in a level-1 data cache between the two passes.
const TEXT_BLOCK: usize = 8 * 1024;

/// Unmasks `chunk` with `key` (skipped when it is all zeros) and rotates
/// the key for the bytes that follow.
#[cfg_attr(target_pointer_width = "64", inline)]
fn unmask(chunk: &mut [u8], key: &mut [u8; 4]) {
    if *key != [0; 4] {
        apply_mask(chunk, *key, 0);
        *key = rotate(*key, chunk.len());
    }
}

/// `key` rotated to apply to the byte `len` bytes further on.
#[cfg_attr(target_pointer_width = "64", inline)]
fn rotate(key: [u8; 4], len: usize) -> [u8; 4] {
    // Byte 0 of the little-endian word is key byte 0: moving the key left
    // by one byte moves the word right by eight bits.
    let bits = u32::try_from(len % 4).unwrap_or(0) * 8;
    u32::from_le_bytes(key).rotate_right(bits).to_le_bytes()
}

/// Unmasks a chunk of a text message and feeds it to its validator.
///
/// On 64-bit targets the chunk goes in blocks small enough to stay in the
/// CPU cache between unmasking and validation, and a block the unmasking
/// pass found all ASCII needs no second look. Smaller targets take the
/// shortest code: unmask, then validate.
#[cfg_attr(target_pointer_width = "64", inline)]
fn unmask_text(
    chunk: &mut [u8],
    key: &mut [u8; 4],
    utf8: &mut Utf8Validator,
) -> Result<(), ProtocolError> {
    if cfg!(target_pointer_width = "64") && *key != [0; 4] {
        for block in chunk.chunks_mut(TEXT_BLOCK) {
            let ascii = apply_mask_ascii(block, *key, 0);
            *key = rotate(*key, block.len());
            if !(ascii && utf8.is_boundary()) {
                utf8.feed(block).map_err(|_| ProtocolError::InvalidUtf8)?;
            }
        }
        return Ok(());
    }
    unmask(chunk, key);
    utf8.feed(chunk).map_err(|_| ProtocolError::InvalidUtf8)
}

/// Whether a frame with `len` more bytes takes `total` past `limit`.
fn exceeds(total: u64, len: u64, limit: u64) -> bool {
    total.checked_add(len).is_none_or(|sum| sum > limit)
}

/// The decompressor and window lent to one receive call.
#[cfg(feature = "deflate")]
type Inflate<'b, 'i> = Option<(&'i mut crate::deflate::Inflater, &'b mut [u8])>;
/// Nothing to inflate with, without the `deflate` feature.
#[cfg(not(feature = "deflate"))]
type Inflate<'b, 'i> = core::marker::PhantomData<(&'b mut [u8], &'i ())>;

impl<S: Side> Connection<S> {
    /// Processes bytes read from the peer.
    ///
    /// `buf` holds the bytes not yet consumed, oldest first. The core
    /// unmasks payload bytes in place and returns how many bytes it used
    /// and at most one [`Event`] that borrows `buf`. Drop the consumed
    /// bytes, keep the rest, and call again; when a call consumes nothing
    /// and reports nothing, read more bytes first.
    ///
    /// Data messages arrive as chunks of whatever payload is in `buf`, so
    /// a buffer of any size streams a message of any size. Control frames
    /// (at most 131 bytes with their header) are handed out whole, so
    /// `buf` must be able to hold 131 bytes.
    ///
    /// On a protocol violation the connection fails: a Close with the
    /// matching code is queued for [`poll_transmit`](Self::poll_transmit)
    /// and this and every later call return the error.
    pub fn receive<'b>(&mut self, buf: &'b mut [u8]) -> Result<Received<'b>, ProtocolError> {
        self.receive_lent(buf, Inflate::default())
    }

    /// Like [`receive`](Self::receive), with permessage-deflate: compressed
    /// messages are inflated by `inflater` into `window`, and their chunks
    /// borrow the window.
    ///
    /// Both are the decompressor's memory: lend the same ones on every
    /// call while the peer's context lasts (see
    /// [`inflater_idle`](Self::inflater_idle)), with the window
    /// [`inflate_window_size`](Self::inflate_window_size) long (a power of
    /// two). A compressed message received with a smaller window fails the
    /// connection with 1011.
    #[cfg(feature = "deflate")]
    pub fn receive_inflating<'b>(
        &mut self,
        buf: &'b mut [u8],
        inflater: &mut crate::deflate::Inflater,
        window: &'b mut [u8],
    ) -> Result<Received<'b>, ProtocolError> {
        self.receive_lent(buf, Some((inflater, window)))
    }

    /// Whether the next [`receive_inflating`](Self::receive_inflating)
    /// on `buf` (the unread bytes) may inflate: a compressed message is in
    /// progress, or `buf` starts with a frame that has RSV1 set. Callers
    /// that give the inflate window back between messages make it ready
    /// when this says so.
    pub fn needs_inflater(&self, buf: &[u8]) -> bool {
        if !self.deflate_enabled() {
            return false;
        }
        if self.inbound.message.is_some_and(|m| m.compressed) {
            return true;
        }
        // Between frames, RSV1 is the first byte's bit 6.
        self.inbound.frame.is_none()
            && buf.first().is_some_and(|b| b & crate::frame::RSV1 << 4 != 0)
    }

    /// Whether the inflater and its window hold nothing the connection
    /// still needs: no compressed message is in progress and the peer
    /// starts each message afresh (or the extension is off). The caller
    /// may then give them back, or lend them to another connection.
    pub fn inflater_idle(&self) -> bool {
        #[cfg(feature = "deflate")]
        if let Some(deflate) = &self.deflate {
            return deflate.peer_resets && !self.inbound.message.is_some_and(|m| m.compressed);
        }
        true
    }

    fn receive_lent<'b>(
        &mut self,
        buf: &'b mut [u8],
        inflate: Inflate<'b, '_>,
    ) -> Result<Received<'b>, ProtocolError> {
        if let Some(error) = self.failure {
            return Err(error);
        }
        if self.expired.is_some() {
            return Ok(nothing(0));
        }
        self.receive_inner(buf, inflate).map_err(|error| self.fail(error))
    }

    fn receive_inner<'b>(
        &mut self,
        buf: &'b mut [u8],
        inflate: Inflate<'b, '_>,
    ) -> Result<Received<'b>, ProtocolError> {
        if self.close_received {
            // RFC 6455 section 1.4: after the peer's Close, whatever else
            // arrives is discarded.
            return Ok(nothing(buf.len()));
        }
        if let Some(frame) = self.inbound.frame {
            return self.deliver_any(buf, inflate, 0, frame);
        }
        let Some((header, header_len)) = FrameHeader::decode(buf)? else {
            return Ok(nothing(0));
        };
        self.check_reserved_bits(&header)?;
        match (S::ROLE, header.mask.is_some()) {
            (Role::Server, false) => return Err(ProtocolError::UnmaskedFrame),
            (Role::Client, true) => return Err(ProtocolError::MaskedFrame),
            _ => {}
        }
        self.timers.saw_traffic();
        if header.opcode.is_control() {
            return self.receive_control(buf, &header, header_len);
        }
        let frame = self.start_data_frame(&header)?;
        self.deliver_any(buf, inflate, header_len, frame)
    }

    /// Hands out payload: inflated for a compressed message, else as is.
    fn deliver_any<'b>(
        &mut self,
        buf: &'b mut [u8],
        inflate: Inflate<'b, '_>,
        start: usize,
        frame: FrameProgress,
    ) -> Result<Received<'b>, ProtocolError> {
        #[cfg(feature = "deflate")]
        if self.inbound.message.is_some_and(|m| m.compressed) {
            let Some((inflater, window)) = inflate else {
                return Err(ProtocolError::InflateWindow);
            };
            return self.deliver_inflated(buf, inflater, window, start, frame);
        }
        let _ = inflate;
        self.deliver(buf, start, frame)
    }

    /// RSV1-3 must be clear (RFC 6455 section 5.2), except RSV1 on the
    /// first frame of a message when permessage-deflate is on (RFC 7692
    /// section 6): never on a continuation or a control frame.
    fn check_reserved_bits(&self, header: &FrameHeader) -> Result<(), ProtocolError> {
        let starts_message = matches!(header.opcode, OpCode::Text | OpCode::Binary);
        let allowed = if self.deflate_enabled() && starts_message { crate::frame::RSV1 } else { 0 };
        if header.rsv & !allowed == 0 { Ok(()) } else { Err(ProtocolError::ReservedBits) }
    }

    /// Whether permessage-deflate is on.
    pub fn deflate_enabled(&self) -> bool {
        #[cfg(feature = "deflate")]
        return self.deflate.is_some();
        #[cfg(not(feature = "deflate"))]
        false
    }

    /// The payload length announced so far by the frames of the message
    /// being received (its compressed length, for a compressed message),
    /// at most `Config::max_message_len`, or `None` between messages. A
    /// caller collecting whole messages can reserve this much when the
    /// first chunk arrives. (Uncompressed frames announcing more fail the
    /// connection; a compressed message is limited by what it inflates
    /// to, so its frames may announce more, and the cap keeps a
    /// reservation within the limit.)
    ///
    /// ```
    /// use barews::config::Config;
    /// use barews::connection::Connection;
    ///
    /// let mut conn = Connection::server(Config::new());
    /// // A masked binary frame announcing 4 bytes, of which 2 arrived.
    /// let mut buf = [0x82, 0x84, 0, 0, 0, 0, b'a', b'b'];
    /// conn.receive(&mut buf).unwrap();
    /// assert_eq!(conn.receiving_message_len(), Some(4));
    /// ```
    pub const fn receiving_message_len(&self) -> Option<u64> {
        match &self.inbound.message {
            Some(message) => {
                let max = self.config.max_message_len();
                Some(if message.len < max { message.len } else { max })
            }
            None => None,
        }
    }

    /// How many of the next bytes from the peer are payload of the current
    /// data frame, to be handed out as they are: 0 between frames, inside
    /// a compressed message (its bytes are inflated elsewhere) and once
    /// the connection has failed or the peer's Close arrived.
    ///
    /// While it is `n > 0`, the next `n` bytes carry no header, and
    /// [`receive`](Self::receive) called on them unmasks (and checks) them
    /// where they are and hands them out as one chunk. A caller collecting
    /// whole messages can therefore read them straight into the message's
    /// storage and call `receive` on that region, skipping the copy out of
    /// a read buffer.
    ///
    /// ```
    /// use barews::config::Config;
    /// use barews::connection::{Connection, Event};
    ///
    /// let mut conn = Connection::server(Config::new());
    /// // A masked binary frame announcing 6 bytes (key 0), 2 of them here.
    /// let mut buf = [0x82, 0x86, 0, 0, 0, 0, b'a', b'b'];
    /// conn.receive(&mut buf).unwrap();
    /// assert_eq!(conn.payload_remaining(), 4);
    /// // The next 4 bytes, wherever the caller put them, are payload.
    /// let mut rest = *b"cdef";
    /// let received = conn.receive(&mut rest).unwrap();
    /// assert!(matches!(received.event, Some(Event::Data { payload: b"cdef", last: true, .. })));
    /// assert_eq!(conn.payload_remaining(), 0);
    /// ```
    pub fn payload_remaining(&self) -> u64 {
        let compressed = self.inbound.message.is_some_and(|message| message.compressed);
        match self.inbound.frame {
            Some(frame)
                if !compressed
                    && self.failure.is_none()
                    && self.expired.is_none()
                    && !self.close_received =>
            {
                frame.remaining
            }
            _ => 0,
        }
    }

    /// Checks a data frame against the message sequence (section 5.4) and
    /// the size limits, before any of its payload is looked at.
    #[cfg_attr(target_pointer_width = "64", inline)]
    fn start_data_frame(&mut self, header: &FrameHeader) -> Result<FrameProgress, ProtocolError> {
        let len = header.payload_len;
        if len > self.config.max_frame_len() {
            return Err(ProtocolError::FrameTooLarge);
        }
        let message = match (header.opcode, self.inbound.message.as_mut()) {
            (OpCode::Continuation, Some(message)) => message,
            (OpCode::Continuation, None) => return Err(ProtocolError::UnexpectedContinuation),
            (_, Some(_)) => return Err(ProtocolError::ExpectedContinuation),
            (opcode, None) => {
                let kind = if opcode == OpCode::Text { DataKind::Text } else { DataKind::Binary };
                let new = MessageProgress {
                    kind,
                    len: 0,
                    utf8: Utf8Validator::new(),
                    started: false,
                    compressed: header.rsv & crate::frame::RSV1 != 0,
                    tail_fed: 0,
                    inflated: 0,
                };
                self.inbound.message.insert(new)
            }
        };
        // A compressed message is measured by what it inflates to.
        if !message.compressed && exceeds(message.len, len, self.config.max_message_len()) {
            return Err(ProtocolError::MessageTooLarge);
        }
        message.len += len;
        let key = header.mask.unwrap_or_default();
        Ok(FrameProgress { remaining: len, key, fin: header.fin })
    }

    /// Hands out the payload bytes of the current data frame that are in
    /// `buf[start..]`.
    #[cfg_attr(target_pointer_width = "64", inline)]
    fn deliver<'b>(
        &mut self,
        buf: &'b mut [u8],
        start: usize,
        mut frame: FrameProgress,
    ) -> Result<Received<'b>, ProtocolError> {
        let available = buf.len().saturating_sub(start);
        let take = usize::try_from(frame.remaining).map_or(available, |r| r.min(available));
        if take == 0 && frame.remaining > 0 {
            self.inbound.frame = Some(frame);
            return Ok(nothing(start));
        }
        let Some(message) = self.inbound.message.as_mut() else {
            // A frame in progress always belongs to a message.
            return Err(ProtocolError::UnexpectedContinuation);
        };
        let chunk = buf.get_mut(start..start + take).unwrap_or_default();
        frame.remaining -= u64::try_from(take).unwrap_or(u64::MAX);
        let frame_done = frame.remaining == 0;
        let last = frame_done && frame.fin;
        if message.kind == DataKind::Text {
            unmask_text(chunk, &mut frame.key, &mut message.utf8)?;
            if last {
                message.utf8.finish().map_err(|_| ProtocolError::InvalidUtf8)?;
            }
        } else {
            unmask(chunk, &mut frame.key);
        }
        if take > 0 {
            // Payload arriving proves the peer alive, even inside one
            // long frame.
            self.timers.saw_traffic();
        }
        let first = !message.started;
        message.started = true;
        let kind = message.kind;
        self.inbound.frame = if frame_done { None } else { Some(frame) };
        if last {
            self.inbound.message = None;
        }
        let consumed = start + take;
        if take == 0 && !first && !last {
            // An empty frame in the middle of a message says nothing.
            return Ok(nothing(consumed));
        }
        let payload: &'b [u8] = chunk;
        Ok(Received { consumed, event: Some(Event::Data { kind, payload, first, last }) })
    }

    /// Feeds the current compressed frame's payload in `buf[start..]` (or,
    /// at the message's end, the RFC 7692 tail) to the inflater and hands
    /// out what comes out, borrowed from `window`.
    #[cfg(feature = "deflate")]
    fn deliver_inflated<'b>(
        &mut self,
        buf: &'b mut [u8],
        inflater: &mut crate::deflate::Inflater,
        window: &'b mut [u8],
        start: usize,
        mut frame: FrameProgress,
    ) -> Result<Received<'b>, ProtocolError> {
        use crate::deflate::{TAIL, window_size};
        let Some(deflate) = self.deflate else { return Err(ProtocolError::InflateWindow) };
        let Some(message) = self.inbound.message.as_mut() else {
            return Err(ProtocolError::UnexpectedContinuation);
        };
        if window.len() < window_size(deflate.peer_window_bits) {
            return Err(ProtocolError::InflateWindow);
        }
        let available = buf.len().saturating_sub(start);
        let take = usize::try_from(frame.remaining).map_or(available, |r| r.min(available));
        let chunk = &mut buf[start..start + take];
        let key = frame.key;
        unmask(chunk, &mut frame.key);
        let at_tail = frame.remaining == 0 && frame.fin;
        let input: &[u8] = if at_tail { &TAIL[message.tail_fed.min(4)..] } else { chunk };
        if input.is_empty() && !at_tail {
            // No payload here yet, or an empty non-final frame.
            self.inbound.frame = if frame.remaining == 0 { None } else { Some(frame) };
            return Ok(nothing(start));
        }
        let step = inflater.inflate(input, window)?;
        let mut consumed = start;
        if at_tail {
            message.tail_fed += step.used;
        } else {
            // Bytes the inflater did not take go back to their masked form
            // and stay in the caller's buffer.
            apply_mask(&mut chunk[step.used..], key, step.used);
            frame.key = rotate(key, step.used);
            frame.remaining -= u64::try_from(step.used).unwrap_or(u64::MAX);
            consumed += step.used;
            self.timers.saw_traffic();
        }
        let complete = at_tail && message.tail_fed >= TAIL.len() && !step.more_output;
        let produced = step.output.len();
        message.inflated =
            message.inflated.saturating_add(u64::try_from(produced).unwrap_or(u64::MAX));
        if message.inflated > self.config.max_message_len() {
            return Err(ProtocolError::MessageTooLarge);
        }
        let output: &'b [u8] = &window[step.output];
        if message.kind == DataKind::Text {
            message.utf8.feed(output).map_err(|_| ProtocolError::InvalidUtf8)?;
            if complete {
                message.utf8.finish().map_err(|_| ProtocolError::InvalidUtf8)?;
            }
        }
        let first = !message.started;
        let kind = message.kind;
        if produced > 0 || complete {
            message.started = true;
        }
        let frame_over = complete || (frame.remaining == 0 && !frame.fin);
        self.inbound.frame = if frame_over { None } else { Some(frame) };
        if complete {
            self.inbound.message = None;
            if deflate.peer_resets {
                inflater.release();
            }
        }
        if produced == 0 && !complete {
            return Ok(nothing(consumed));
        }
        let event = Event::Data { kind, payload: output, first, last: complete };
        Ok(Received { consumed, event: Some(event) })
    }

    /// Handles a whole control frame, once all of it is in `buf`.
    fn receive_control<'b>(
        &mut self,
        buf: &'b mut [u8],
        header: &FrameHeader,
        header_len: usize,
    ) -> Result<Received<'b>, ProtocolError> {
        // Decoding guaranteed at most 125 bytes.
        let len = usize::try_from(header.payload_len).unwrap_or(usize::MAX);
        let total = header_len.saturating_add(len);
        let Some(frame) = buf.get_mut(..total) else { return Ok(nothing(0)) };
        let payload = frame.get_mut(header_len..).unwrap_or_default();
        if let Some(key) = header.mask {
            apply_mask(payload, key, 0);
        }
        let payload: &'b [u8] = payload;
        let event = match header.opcode {
            OpCode::Ping => {
                // RFC 6455 section 5.5.2: answer unless the peer closed
                // (it cannot have: nothing is read after its Close). The
                // Pong must still go out before this end's Close.
                if self.config.auto_pong() && (!self.close_sent || self.outbox.has_close()) {
                    self.outbox.queue_pong(payload);
                }
                Event::Ping(payload)
            }
            OpCode::Pong => Event::Pong(payload),
            _ => {
                let close = CloseFrame::parse(payload)?;
                self.close_received = true;
                if self.config.auto_close() && !self.close_sent {
                    // Echo the code (RFC 6455 section 5.5.1), without the
                    // reason.
                    self.queue_close(close.code, b"");
                }
                Event::Close(close)
            }
        };
        Ok(Received { consumed: total, event: Some(event) })
    }
}
