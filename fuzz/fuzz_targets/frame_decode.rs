//! Arbitrary bytes, in arbitrary chunkings, fed to a connection in either
//! role through a 512-byte reader buffer, as an adapter would.
//!
//! Checks: no panic; no hang (every call makes progress or asks for more
//! input, and the buffer never fills up without progress); `consumed`
//! never exceeds the buffer; memory stays bounded by the configured
//! limits; every completed text message is valid UTF-8; the connection
//! only ever writes valid control frames, masked exactly when it is a
//! client, at most one Close, and each Pong echoes a received Ping; a
//! failure comes with a Close carrying the error's code (unless a Close
//! was already sent) and is sticky.
#![no_main]

#[path = "common.rs"]
mod common;

use arbitrary::Arbitrary;
use barews::config::Config;
use barews::connection::{Connection, DataKind, Event, Side};
use barews::frame::OpCode;
use libfuzzer_sys::fuzz_target;

const MAX_FRAME: u64 = 4096;
const MAX_MESSAGE: u64 = 16 * 1024;

#[derive(Arbitrary, Debug)]
struct Input {
    client: bool,
    auto_pong: bool,
    auto_close: bool,
    chunks: Vec<u8>,
    bytes: Vec<u8>,
}

fuzz_target!(|input: Input| {
    let config = Config::new()
        .with_max_frame_len(MAX_FRAME)
        .with_max_message_len(MAX_MESSAGE)
        .with_auto_pong(input.auto_pong)
        .with_auto_close(input.auto_close);
    if input.client {
        drive(Connection::client(config, || [0x11, 0x22, 0x33, 0x44]), &input, true);
    } else {
        drive(Connection::server(config), &input, false);
    }
});

fn drive<S: Side>(mut conn: Connection<S>, input: &Input, client: bool) {
    let mut buf = [0u8; 512];
    let mut filled = 0;
    let mut read = 0;
    let mut chunk_sizes = input.chunks.iter().cycle();
    let mut message: Option<(DataKind, Vec<u8>)> = None;
    let mut pings: Vec<Vec<u8>> = Vec::new();
    let mut written = Vec::new();
    let mut out = [0u8; 131];
    loop {
        let chunk = chunk_sizes.next().map_or(512, |&c| usize::from(c).max(1));
        let n = chunk.min(buf.len() - filled).min(input.bytes.len() - read);
        buf[filled..filled + n].copy_from_slice(&input.bytes[read..read + n]);
        filled += n;
        read += n;
        loop {
            let result = conn.receive(&mut buf[..filled]);
            let consumed = match result {
                Err(error) => {
                    let closes_before = count_closes(&written);
                    drain(&mut conn, &mut out, &mut written);
                    let frames = common::frames(&written);
                    let closes: Vec<_> = frames.iter().filter(|f| f.opcode == OpCode::Close).collect();
                    if closes_before == 0 {
                        assert_eq!(closes.len(), 1, "a failure queues one Close");
                        assert_eq!(common::close_code(closes[0]), Some(error.close_code()));
                    }
                    assert_eq!(conn.receive(&mut buf[..filled]), Err(error), "errors are sticky");
                    assert!(conn.is_closed());
                    check_written(&written, &pings, client);
                    return;
                }
                Ok(received) => {
                    assert!(received.consumed <= filled);
                    match received.event {
                        Some(Event::Data { kind, payload, first, last }) => {
                            assert_eq!(first, message.is_none(), "first flag");
                            let (current, bytes) = message.get_or_insert((kind, Vec::new()));
                            assert_eq!(*current, kind);
                            bytes.extend_from_slice(payload);
                            assert!(bytes.len() as u64 <= MAX_MESSAGE, "message limit");
                            if last {
                                let (kind, bytes) = message.take().unwrap();
                                if kind == DataKind::Text {
                                    assert!(std::str::from_utf8(&bytes).is_ok(), "text is UTF-8");
                                }
                            }
                        }
                        Some(Event::Ping(payload)) => {
                            assert!(payload.len() <= 125);
                            pings.push(payload.to_vec());
                        }
                        Some(Event::Pong(payload)) => assert!(payload.len() <= 125),
                        Some(Event::Close(frame)) => {
                            if let Some(code) = frame.code {
                                assert!(code.is_valid_on_wire());
                            }
                        }
                        None => {}
                    }
                    drain(&mut conn, &mut out, &mut written);
                    let progressed = received.consumed > 0 || received.event.is_some();
                    if !progressed {
                        break;
                    }
                    received.consumed
                }
            };
            buf.copy_within(consumed..filled, 0);
            filled -= consumed;
        }
        assert!(filled < buf.len(), "the reader buffer filled up without progress");
        if read == input.bytes.len() {
            break;
        }
    }
    check_written(&written, &pings, client);
}

fn drain<S: Side>(conn: &mut Connection<S>, out: &mut [u8; 131], written: &mut Vec<u8>) {
    loop {
        let n = conn.poll_transmit(out).expect("131 bytes always suffice");
        if n == 0 {
            break;
        }
        written.extend_from_slice(&out[..n]);
    }
}

fn count_closes(written: &[u8]) -> usize {
    common::frames(written).iter().filter(|f| f.opcode == OpCode::Close).count()
}

/// Everything written is control frames, masked exactly for a client, at
/// most one Close and nothing after it, Pongs echoing Pings.
fn check_written(written: &[u8], pings: &[Vec<u8>], client: bool) {
    let frames = common::frames(written);
    let mut closed = false;
    for frame in &frames {
        assert!(!closed, "a frame was written after the Close");
        assert_eq!(frame.masked, client, "masking must match the role");
        assert!(frame.fin);
        match frame.opcode {
            OpCode::Pong => assert!(pings.contains(&frame.payload), "a Pong echoes a Ping"),
            OpCode::Close => {
                common::close_code(frame);
                closed = true;
            }
            other => panic!("the connection wrote {other:?} on its own"),
        }
    }
}
