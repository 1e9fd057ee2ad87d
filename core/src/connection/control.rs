//! Control frames this end owes or was asked to send (Pong, Ping, Close),
//! queued in fixed slots and drained by `poll_transmit`.

use super::{Connection, SendError, Side};
use crate::BufferTooSmall;
use crate::close::{CloseCode, MAX_REASON_LEN};
use crate::frame::{MAX_CONTROL_PAYLOAD, OpCode};

/// One queued control frame's payload.
#[derive(Clone, Copy)]
struct Slot {
    /// At most 125, so a byte holds it.
    len: u8,
    payload: [u8; MAX_CONTROL_PAYLOAD],
}

impl Slot {
    /// A slot holding `parts` one after the other, cut at 125 bytes.
    fn new(parts: &[&[u8]]) -> Self {
        let mut payload = [0; MAX_CONTROL_PAYLOAD];
        let mut len = 0;
        for part in parts {
            let take = part.len().min(MAX_CONTROL_PAYLOAD - len);
            payload[len..len + take].copy_from_slice(&part[..take]);
            len += take;
        }
        Slot { len: u8::try_from(len).unwrap_or(u8::MAX), payload }
    }

    fn bytes(&self) -> &[u8] {
        &self.payload[..usize::from(self.len)]
    }
}

/// The queued control frames, sent in the order Pong, Ping, Close. A new
/// Pong replaces an unsent one (RFC 6455 section 5.5.3 allows answering
/// only the latest Ping).
pub(super) struct Outbox {
    pong: Option<Slot>,
    ping: Option<Slot>,
    close: Option<Slot>,
}

impl Outbox {
    pub(super) const fn new() -> Self {
        Outbox { pong: None, ping: None, close: None }
    }

    pub(super) fn queue_pong(&mut self, payload: &[u8]) {
        self.pong = Some(Slot::new(&[payload]));
    }

    pub(super) fn queue_ping(&mut self, payload: &[u8]) {
        self.ping = Some(Slot::new(&[payload]));
    }

    pub(super) fn has_ping(&self) -> bool {
        self.ping.is_some()
    }

    /// Whether this end's Close is queued but not yet written.
    pub(super) fn has_close(&self) -> bool {
        self.close.is_some()
    }

    /// Queues a Close: the code and reason, or an empty payload.
    pub(super) fn queue_close(&mut self, code: Option<CloseCode>, reason: &[u8]) {
        self.close = Some(match code {
            Some(code) => {
                let reason = &reason[..reason.len().min(MAX_REASON_LEN)];
                Slot::new(&[&code.0.to_be_bytes(), reason])
            }
            None => Slot::new(&[]),
        });
    }

    pub(super) fn drop_pings_and_pongs(&mut self) {
        self.pong = None;
        self.ping = None;
    }

    fn next(&self) -> Option<(OpCode, &Slot)> {
        [(OpCode::Pong, &self.pong), (OpCode::Ping, &self.ping), (OpCode::Close, &self.close)]
            .into_iter()
            .find_map(|(opcode, slot)| slot.as_ref().map(|slot| (opcode, slot)))
    }

    fn remove(&mut self, opcode: OpCode) {
        match opcode {
            OpCode::Pong => self.pong = None,
            OpCode::Ping => self.ping = None,
            _ => self.close = None,
        }
    }

    fn is_empty(&self) -> bool {
        self.next().is_none()
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
        let slot = *slot;
        let written = self.write_frame(out, opcode, true, slot.bytes())?;
        self.outbox.remove(opcode);
        Ok(written)
    }

    /// Whether [`poll_transmit`](Self::poll_transmit) has a frame to write.
    pub fn has_pending_transmit(&self) -> bool {
        !self.outbox.is_empty()
    }

    /// Queues a Ping with `payload` (at most 125 bytes), replacing an
    /// unsent one. The peer answers with a Pong.
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
