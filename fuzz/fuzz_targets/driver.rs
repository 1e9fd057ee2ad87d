//! The core driver (`barews::driver`) as a server, fed frames built from
//! arbitrary parts (masked or not, any opcode, any flags, garbage between)
//! through receive and send buffers of arbitrary sizes, read and written
//! in arbitrary pieces, echoing every data chunk as it arrives.
//!
//! Checks: no panic, and an end within a bounded number of steps; every
//! byte written is a sequence of valid, unmasked server frames whose data
//! frames are exactly the echoes; a connection that ended with `Closed`
//! wrote a Close last, one that failed wrote a Close with the error's
//! code; and the transport is shut before the end is reported.
#![no_main]

#[path = "common.rs"]
mod common;

use arbitrary::Arbitrary;
use barews_testkit::frame;
use barews::config::Config;
use barews::connection::{Connection, Event, Server};
use barews::driver::{Action, Driver, End, MIN_BUFFER};
use barews::frame::OpCode;
use barews::time::NoClock;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Part {
    /// A frame: first byte as given, masked with `key` when there is one.
    Frame { first: u8, key: Option<[u8; 4]>, payload: Vec<u8> },
    /// Bytes as they are.
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
struct Case {
    rx: u16,
    tx: u16,
    fragment: Option<u8>,
    reads: Vec<u8>,
    writes: Vec<u8>,
    parts: Vec<Part>,
}

/// The next size from `sizes`, cycling; at least 1.
fn next(sizes: &[u8], at: &mut usize) -> usize {
    let size = if sizes.is_empty() { usize::MAX } else { usize::from(sizes[*at % sizes.len()]) };
    *at += 1;
    size.max(1)
}

fuzz_target!(|case: Case| {
    let mut input = Vec::new();
    for part in &case.parts {
        match part {
            Part::Frame { first, key, payload } => input.extend(frame(*first, payload, *key)),
            Part::Raw(bytes) => input.extend_from_slice(bytes),
        }
    }
    let mut rx = vec![0u8; MIN_BUFFER + usize::from(case.rx % 2048)];
    let mut tx = vec![0u8; MIN_BUFFER + usize::from(case.tx % 2048)];
    let config = Config::new().with_fragment_size(case.fragment.map(|f| usize::from(f) + 1));
    let mut driver = Driver::new(Connection::server(config), &mut rx[..], &mut tx[..]).unwrap();
    let (mut read_at, mut write_at) = (0, 0);
    let mut rest = &input[..];
    let mut written = Vec::new();
    let mut echoed = Vec::new();
    let mut shut = false;
    let mut write = |driver: &mut Driver<Server, &mut [u8]>, written: &mut Vec<u8>| {
        let n = driver.pending().len().min(next(&case.writes, &mut write_at));
        written.extend_from_slice(&driver.pending()[..n]);
        driver.wrote(n);
    };
    // Every step consumes input, writes output or ends; the bound is far
    // above what any input needs.
    let bound = 64 + 8 * (input.len() + 1) * 4;
    let mut end = None;
    for _ in 0..bound {
        match driver.poll(&mut NoClock) {
            Ok(Action::Event(at)) => {
                if let Event::Data { kind, payload, last, .. } = driver.event(at) {
                    let chunk = payload.to_vec();
                    echoed.extend_from_slice(&chunk);
                    let mut piece = &chunk[..];
                    loop {
                        let queued = driver.send(kind, piece, last).expect("an echo is valid");
                        piece = &piece[queued.taken..];
                        if queued.complete {
                            break;
                        }
                        write(&mut driver, &mut written);
                    }
                }
            }
            Ok(Action::Write) => write(&mut driver, &mut written),
            Ok(Action::Read { .. }) => {
                let spare = driver.spare();
                let n = spare.len().min(rest.len()).min(next(&case.reads, &mut read_at));
                spare[..n].copy_from_slice(&rest[..n]);
                rest = &rest[n..];
                if n == 0 { driver.ended() } else { driver.filled(n) }
            }
            Ok(Action::Shutdown) => shut = true,
            Ok(_) => {}
            Err(ended) => {
                end = Some(ended);
                break;
            }
        }
    }
    let end = end.expect("the driver reached an end within the bound");
    assert!(shut, "the end was reported before the transport was shut");
    let frames = common::frames(&written);
    let mut data = Vec::new();
    for frame in &frames {
        assert!(!frame.masked, "a server masked a frame");
        if matches!(frame.opcode, OpCode::Text | OpCode::Binary | OpCode::Continuation) {
            data.extend_from_slice(&frame.payload);
        }
    }
    assert_eq!(data, echoed, "the data written is not the echoes");
    let last = frames.last();
    match end {
        End::Closed => {
            let close = last.expect("a closing handshake with nothing written");
            common::close_code(close);
        }
        End::Protocol(error) => {
            let close = last.expect("a failure with no Close written");
            assert_eq!(common::close_code(close), Some(error.close_code()));
        }
        End::AbnormalClosure | End::Expired(_) => {}
    }
});
