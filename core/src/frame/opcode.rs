//! Frame opcodes (RFC 6455 section 5.2).

use crate::error::ProtocolError;

/// What a frame carries.
// The discriminants are the wire values, so converting either way is a
// range check at most (no lookup table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum OpCode {
    /// 0x0: the next fragment of a message.
    Continuation = 0x0,
    /// 0x1: the first frame of a text message.
    Text = 0x1,
    /// 0x2: the first frame of a binary message.
    Binary = 0x2,
    /// 0x8: Close.
    Close = 0x8,
    /// 0x9: Ping.
    Ping = 0x9,
    /// 0xA: Pong.
    Pong = 0xA,
}

impl OpCode {
    /// Decodes the low four bits of a frame's first byte; reserved opcodes
    /// are a protocol error.
    pub const fn from_bits(bits: u8) -> Result<Self, ProtocolError> {
        match bits {
            0x0 => Ok(OpCode::Continuation),
            0x1 => Ok(OpCode::Text),
            0x2 => Ok(OpCode::Binary),
            0x8 => Ok(OpCode::Close),
            0x9 => Ok(OpCode::Ping),
            0xA => Ok(OpCode::Pong),
            _ => Err(ProtocolError::ReservedOpcode),
        }
    }

    /// The opcode's four bits.
    pub const fn bits(self) -> u8 {
        self as u8
    }

    /// Whether this is a control frame (Close, Ping, Pong): at most 125
    /// payload bytes, never fragmented, allowed between fragments.
    pub const fn is_control(self) -> bool {
        self.bits() & 0x8 != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_nibble_is_either_an_opcode_or_reserved() {
        for bits in 0..16u8 {
            match OpCode::from_bits(bits) {
                Ok(op) => assert_eq!(op.bits(), bits),
                Err(e) => {
                    assert_eq!(e, ProtocolError::ReservedOpcode);
                    assert!(matches!(bits, 0x3..=0x7 | 0xB..=0xF), "{bits:#x}");
                }
            }
        }
        assert!(OpCode::Ping.is_control() && !OpCode::Binary.is_control());
    }
}
