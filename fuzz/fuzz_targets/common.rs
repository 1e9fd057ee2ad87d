//! Helpers shared by the fuzz targets: reading back the frames a
//! connection wrote.

#![allow(dead_code)]

use barews::close::CloseCode;
use barews::frame::{FrameHeader, OpCode, apply_mask};

/// One frame a connection wrote, unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub opcode: OpCode,
    pub fin: bool,
    pub masked: bool,
    pub payload: Vec<u8>,
}

/// Splits bytes a connection wrote into frames. Panics if they are not a
/// sequence of complete, valid frames: a connection must never write
/// anything else.
pub fn frames(mut bytes: &[u8]) -> Vec<Written> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let (header, len) = FrameHeader::decode(bytes)
            .expect("a connection wrote an invalid frame header")
            .expect("a connection wrote a truncated frame header");
        assert_eq!(header.rsv, 0, "reserved bits written");
        let payload_len = usize::try_from(header.payload_len).unwrap();
        let mut payload = bytes[len..len + payload_len].to_vec();
        if let Some(key) = header.mask {
            apply_mask(&mut payload, key, 0);
        }
        out.push(Written { opcode: header.opcode, fin: header.fin, masked: header.mask.is_some(), payload });
        bytes = &bytes[len + payload_len..];
    }
    out
}

/// The code of a written Close frame, checked to be valid on the wire.
pub fn close_code(frame: &Written) -> Option<CloseCode> {
    assert_eq!(frame.opcode, OpCode::Close);
    assert_ne!(frame.payload.len(), 1, "a 1-byte Close payload was written");
    if frame.payload.is_empty() {
        return None;
    }
    let code = CloseCode(u16::from_be_bytes([frame.payload[0], frame.payload[1]]));
    assert!(code.is_valid_on_wire(), "close code {code} written");
    assert!(std::str::from_utf8(&frame.payload[2..]).is_ok(), "invalid close reason written");
    Some(code)
}
