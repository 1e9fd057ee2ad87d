//! Differential: barews and tungstenite (crates.io) decode the same frame
//! header bytes.
//!
//! Checks: whenever barews accepts a header, tungstenite accepts it with
//! the same FIN, RSV bits, opcode, mask and length, after the same number
//! of bytes; and whenever tungstenite accepts a header that breaks none of
//! the rules barews enforces at the header level (reserved opcodes,
//! fragmented or long control frames, non-minimal or 2^63+ lengths; rules
//! tungstenite applies later or not at all), barews accepts it too. When
//! barews needs more bytes, tungstenite must not have decoded a header.
#![no_main]

use barews::frame::{FrameHeader, OpCode};
use libfuzzer_sys::fuzz_target;
use std::io::Cursor;
use tungstenite::protocol::frame::FrameHeader as TFrameHeader;
use tungstenite::protocol::frame::coding::{Control, Data, OpCode as TOpCode};

fuzz_target!(|bytes: &[u8]| {
    let ours = FrameHeader::decode(bytes);
    let mut cursor = Cursor::new(bytes);
    let theirs = TFrameHeader::parse(&mut cursor);
    let consumed = usize::try_from(cursor.position()).unwrap();
    match (ours, theirs) {
        (Ok(Some((header, len))), Ok(Some((their, their_len)))) => {
            assert_eq!(len, consumed, "header length");
            assert_eq!(header.payload_len, their_len, "payload length");
            assert_eq!(header.fin, their.is_final, "FIN");
            assert_eq!(header.rsv, u8::from(their.rsv1) << 2 | u8::from(their.rsv2) << 1 | u8::from(their.rsv3));
            assert_eq!(header.mask, their.mask, "mask");
            assert_eq!(Some(header.opcode), map(their.opcode), "opcode");
        }
        (Ok(Some(_)), theirs) => panic!("barews accepted, tungstenite: {theirs:?}"),
        (Ok(None), Ok(Some((their, len)))) => {
            panic!("barews wants more bytes, tungstenite decoded {their:?} ({len})")
        }
        (Ok(None), _) => {}
        (Err(_), Ok(Some((their, len)))) => {
            // tungstenite accepted what barews refuses: it must be one of
            // the header rules barews applies and tungstenite leaves to
            // later stages or does not apply.
            let opcode = map(their.opcode);
            let control = opcode.is_some_and(OpCode::is_control);
            let short_len = bytes[1] & 0x7F;
            let non_minimal = match short_len {
                126 => len < 126,
                127 => len <= 0xFFFF,
                _ => false,
            };
            let explained = opcode.is_none()
                || control && (!their.is_final || len > 125)
                || non_minimal
                || len >> 63 != 0;
            assert!(explained, "barews refused {their:?} ({len}) for no header rule");
        }
        (Err(_), _) => {}
    }
});

fn map(opcode: TOpCode) -> Option<OpCode> {
    Some(match opcode {
        TOpCode::Data(Data::Continue) => OpCode::Continuation,
        TOpCode::Data(Data::Text) => OpCode::Text,
        TOpCode::Data(Data::Binary) => OpCode::Binary,
        TOpCode::Control(Control::Close) => OpCode::Close,
        TOpCode::Control(Control::Ping) => OpCode::Ping,
        TOpCode::Control(Control::Pong) => OpCode::Pong,
        _ => return None,
    })
}
