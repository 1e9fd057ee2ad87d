//! Decoding what the peer sent: frame by frame, payload chunk by payload
//! chunk, unmasked in the caller's buffer.

use super::{Connection, DataKind, Event, Received, Role, Side};
use crate::close::CloseFrame;
use crate::error::ProtocolError;
use crate::frame::{FrameHeader, OpCode, apply_mask};
use crate::utf8::Utf8Validator;

/// The data frame whose payload is being delivered.
#[derive(Debug, Clone, Copy)]
struct FrameProgress {
    remaining: u64,
    mask: Option<[u8; 4]>,
    /// Payload bytes delivered so far, modulo 4: where in the mask key the
    /// next byte falls.
    mask_offset: usize,
    fin: bool,
}

/// The message whose frames are arriving.
#[derive(Debug, Clone, Copy)]
struct MessageProgress {
    kind: DataKind,
    /// The sum of the payload lengths announced so far.
    len: u64,
    utf8: Utf8Validator,
    /// A chunk of it has been handed out already.
    started: bool,
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

/// Whether a frame with `len` more bytes takes `total` past `limit`.
fn exceeds(total: u64, len: u64, limit: u64) -> bool {
    total.checked_add(len).is_none_or(|sum| sum > limit)
}

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
        if let Some(error) = self.failure {
            return Err(error);
        }
        if self.expired.is_some() {
            return Ok(nothing(0));
        }
        self.receive_inner(buf).map_err(|error| self.fail(error))
    }

    fn receive_inner<'b>(&mut self, buf: &'b mut [u8]) -> Result<Received<'b>, ProtocolError> {
        if self.close_received {
            // RFC 6455 section 1.4: after the peer's Close, whatever else
            // arrives is discarded.
            return Ok(nothing(buf.len()));
        }
        if let Some(frame) = self.inbound.frame {
            return self.deliver(buf, 0, frame);
        }
        let Some((header, header_len)) = FrameHeader::decode(buf)? else {
            return Ok(nothing(0));
        };
        Self::check_reserved_bits(&header)?;
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
        self.deliver(buf, header_len, frame)
    }

    /// RSV1-3 must be clear (RFC 6455 section 5.2) unless a negotiated
    /// extension gives them a meaning. None is negotiated yet; this is the
    /// one place where one (permessage-deflate's RSV1 on a message's first
    /// frame) will be allowed.
    fn check_reserved_bits(header: &FrameHeader) -> Result<(), ProtocolError> {
        if header.rsv == 0 { Ok(()) } else { Err(ProtocolError::ReservedBits) }
    }

    /// Checks a data frame against the message sequence (section 5.4) and
    /// the size limits, before any of its payload is looked at.
    fn start_data_frame(&mut self, header: &FrameHeader) -> Result<FrameProgress, ProtocolError> {
        let len = header.payload_len;
        if len > self.config.get_max_frame_len() {
            return Err(ProtocolError::FrameTooLarge);
        }
        let message = match (header.opcode, self.inbound.message.as_mut()) {
            (OpCode::Continuation, Some(message)) => message,
            (OpCode::Continuation, None) => return Err(ProtocolError::UnexpectedContinuation),
            (_, Some(_)) => return Err(ProtocolError::ExpectedContinuation),
            (opcode, None) => {
                let kind = if opcode == OpCode::Text { DataKind::Text } else { DataKind::Binary };
                let new =
                    MessageProgress { kind, len: 0, utf8: Utf8Validator::new(), started: false };
                self.inbound.message.insert(new)
            }
        };
        if exceeds(message.len, len, self.config.get_max_message_len()) {
            return Err(ProtocolError::MessageTooLarge);
        }
        message.len += len;
        Ok(FrameProgress { remaining: len, mask: header.mask, mask_offset: 0, fin: header.fin })
    }

    /// Hands out the payload bytes of the current data frame that are in
    /// `buf[start..]`.
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
        let chunk = &mut buf[start..start + take];
        if let Some(key) = frame.mask {
            apply_mask(chunk, key, frame.mask_offset);
        }
        if take > 0 {
            // Payload arriving proves the peer alive, even inside one
            // long frame.
            self.timers.saw_traffic();
        }
        frame.remaining -= u64::try_from(take).unwrap_or(u64::MAX);
        frame.mask_offset = (frame.mask_offset + take % 4) % 4;
        let frame_done = frame.remaining == 0;
        let last = frame_done && frame.fin;
        if message.kind == DataKind::Text {
            message.utf8.feed(chunk).map_err(|_| ProtocolError::InvalidUtf8)?;
            if last {
                message.utf8.finish().map_err(|_| ProtocolError::InvalidUtf8)?;
            }
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
        let payload = &mut frame[header_len..];
        if let Some(key) = header.mask {
            apply_mask(payload, key, 0);
        }
        let payload: &'b [u8] = payload;
        let event = match header.opcode {
            OpCode::Ping => {
                // RFC 6455 section 5.5.2: answer unless the peer closed
                // (it cannot have: nothing is read after its Close). The
                // Pong must still go out before this end's Close.
                if self.config.get_auto_pong() && (!self.close_sent || self.outbox.has_close()) {
                    self.outbox.queue_pong(payload);
                }
                Event::Ping(payload)
            }
            OpCode::Pong => Event::Pong(payload),
            _ => {
                let close = CloseFrame::parse(payload)?;
                self.close_received = true;
                if self.config.get_auto_close() && !self.close_sent {
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
