//! Control frames this end owes or was asked to send (Pong, Ping, Close),
//! queued in fixed slots and drained by `poll_transmit`.

use super::{Connection, SendError, Side};
use crate::BufferTooSmall;
use crate::close::{CloseCode, MAX_REASON_LEN};
use crate::frame::{MAX_CONTROL_PAYLOAD, OpCode};

/// One control frame's slot: whether it is queued, and its payload.
///
/// Slots are filled in place (no 125-byte temporaries on the stack, no
/// zeroing) and encoded from where they are.
#[derive(Clone, Copy)]
struct Slot {
    queued: bool,
    /// At most 125, so a byte holds it.
    len: u8,
    payload: [u8; MAX_CONTROL_PAYLOAD],
}

impl Slot {
    const EMPTY: Slot = Slot { queued: false, len: 0, payload: [0; MAX_CONTROL_PAYLOAD] };

    /// Queues `parts` one after the other, cut at 125 bytes.
    fn fill(&mut self, parts: &[&[u8]]) {
        let mut len = 0;
        for part in parts {
            let take = part.len().min(MAX_CONTROL_PAYLOAD - len);
            if let (Some(to), Some(from)) =
                (self.payload.get_mut(len..len + take), part.get(..take))
            {
                to.copy_from_slice(from);
            }
            len += take;
        }
        self.len = u8::try_from(len).unwrap_or(u8::MAX);
        self.queued = true;
    }

    fn bytes(&self) -> &[u8] {
        self.payload.get(..usize::from(self.len)).unwrap_or_default()
    }
}

/// The queued control frames, sent in the order Pong, then Ping or Close.
/// A new Pong replaces an unsent one (RFC 6455 section 5.5.3 allows
/// answering only the latest Ping), and so does a new Ping.
///
/// This end's Ping and its Close share a slot: a Close replaces a Ping not
/// yet written, since no Ping may follow a Close and the Pong a Ping asks
/// for would not be waited for once this end closes. That keeps a
/// connection's state one 125-byte payload smaller than a slot each.
pub(super) struct Outbox {
    pong: Slot,
    ping_or_close: Slot,
    /// `ping_or_close` holds this end's Close (queued or written).
    closing: bool,
}

impl Outbox {
    pub(super) const fn new() -> Self {
        Outbox { pong: Slot::EMPTY, ping_or_close: Slot::EMPTY, closing: false }
    }

    pub(super) fn queue_pong(&mut self, payload: &[u8]) {
        self.pong.fill(&[payload]);
    }

    /// Queues a Ping, unless this end's Close is queued already.
    pub(super) fn queue_ping(&mut self, payload: &[u8]) {
        if !self.closing {
            self.ping_or_close.fill(&[payload]);
        }
    }

    pub(super) fn has_ping(&self) -> bool {
        self.ping_or_close.queued && !self.closing
    }

    /// Whether this end's Close is queued but not yet written.
    pub(super) fn has_close(&self) -> bool {
        self.ping_or_close.queued && self.closing
    }

    /// Queues a Close: the code and reason, or an empty payload. An unsent
    /// Ping is dropped.
    pub(super) fn queue_close(&mut self, code: Option<CloseCode>, reason: &[u8]) {
        self.closing = true;
        match code {
            Some(code) => {
                let reason = reason.get(..MAX_REASON_LEN).unwrap_or(reason);
                self.ping_or_close.fill(&[&code.0.to_be_bytes(), reason]);
            }
            None => self.ping_or_close.fill(&[]),
        }
    }

    pub(super) fn drop_pings_and_pongs(&mut self) {
        self.pong.queued = false;
        if !self.closing {
            self.ping_or_close.queued = false;
        }
    }

    /// The next frame to send and its slot.
    fn next(&mut self) -> Option<(OpCode, &mut Slot)> {
        if self.pong.queued {
            Some((OpCode::Pong, &mut self.pong))
        } else if self.ping_or_close.queued {
            let opcode = if self.closing { OpCode::Close } else { OpCode::Ping };
            Some((opcode, &mut self.ping_or_close))
        } else {
            None
        }
    }

    fn is_empty(&self) -> bool {
        !(self.pong.queued || self.ping_or_close.queued)
    }
}

impl<S: Side> Connection<S> {
    /// Writes the next control frame this end owes into `out` and returns
    /// its length, or 0 when nothing is waiting. Call it until it returns
    /// 0 after every input and command.
    ///
    /// Write its output between frames, never inside a frame whose payload
    /// you are still writing after [`encode_header`](Self::encode_header).
    /// A buffer of 131 bytes always suffices. On [`BufferTooSmall`] `out`
    /// is left untouched and the frame stays queued.
    pub fn poll_transmit(&mut self, out: &mut [u8]) -> Result<usize, BufferTooSmall> {
        let Some((opcode, slot)) = self.outbox.next() else { return Ok(0) };
        let written = Self::encode_frame(&mut self.side, out, opcode, true, slot.bytes())?;
        slot.queued = false;
        Ok(written)
    }

    /// Whether [`poll_transmit`](Self::poll_transmit) has a frame to write.
    pub fn has_pending_transmit(&self) -> bool {
        !self.outbox.is_empty()
    }

    /// Queues a Ping with `payload` (at most 125 bytes), replacing an
    /// unsent one. The peer answers with a Pong. A Close queued before the
    /// Ping is written drops it.
    pub fn ping(&mut self, payload: &[u8]) -> Result<(), SendError> {
        self.check_control(payload)?;
        self.outbox.queue_ping(payload);
        Ok(())
    }

    /// Queues an unsolicited Pong (a one-way heartbeat), or the answer to a
    /// Ping when automatic Pongs are off. Replaces an unsent Pong.
    pub fn pong(&mut self, payload: &[u8]) -> Result<(), SendError> {
        self.check_control(payload)?;
        self.outbox.queue_pong(payload);
        Ok(())
    }

    /// Starts the closing handshake, or answers the peer's Close when
    /// automatic replies are off: queues a Close with `code` and `reason`
    /// (at most 123 bytes of UTF-8).
    ///
    /// After it, nothing more may be sent. Received messages are still
    /// delivered until the peer's Close arrives; if it does not arrive
    /// within the configured close timeout,
    /// [`handle_timeout`](Self::handle_timeout) gives up.
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), SendError> {
        if self.close_sent || self.is_closed() {
            return Err(SendError::Closed);
        }
        if !code.is_valid_on_wire() {
            return Err(SendError::InvalidCloseCode);
        }
        if reason.len() > MAX_REASON_LEN {
            return Err(SendError::ControlTooLong);
        }
        self.queue_close(Some(code), reason.as_bytes());
        if !self.close_received {
            self.timers.start_close_timer();
        }
        Ok(())
    }

    fn check_control(&self, payload: &[u8]) -> Result<(), SendError> {
        if self.close_sent || self.is_closed() {
            return Err(SendError::Closed);
        }
        if payload.len() > MAX_CONTROL_PAYLOAD {
            return Err(SendError::ControlTooLong);
        }
        Ok(())
    }
}
