//! permessage-deflate on a connection: negotiated parameters from the
//! input (context takeover on or off each way, window bits 8 to 15, a
//! small message limit), then three kinds of traffic into a receiving end
//! that inflates into a window of exactly the negotiated size:
//!
//! - frames built from the input (FIN, RSV1, opcode, arbitrary payloads
//!   that claim to be compressed), masked as the role requires, plus
//!   arbitrary trailing bytes;
//! - a round trip: messages compressed by the other end, which must arrive
//!   exactly as sent;
//! - the same compressed stream with bytes flipped, which may fail but
//!   must fail cleanly.
//!
//! Every stream is delivered in chunks the input chooses. Checks: no
//! panic; no message (compressed or not) grows past `max_message_len`
//! before the connection fails with an error; errors are sticky.
#![no_main]

use arbitrary::Arbitrary;
use barews::ProtocolError;
use barews::config::Config;
use barews::connection::{Connection, DataKind, Event, SendError, Side};
use barews::deflate::{DeflateConfig, DeflateParams};
use barews::frame::{FrameHeader, OpCode, RSV1};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Frame {
    fin: bool,
    rsv1: bool,
    opcode: u8,
    payload: Vec<u8>,
}

#[derive(Arbitrary, Debug)]
struct Input {
    /// The receiving end is the client (it reads unmasked frames).
    client_receives: bool,
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_bits: u8,
    client_bits: u8,
    level: u8,
    min_size: u8,
    fragment: Option<u16>,
    max_message_len: u16,
    chunks: Vec<u16>,
    frames: Vec<Frame>,
    trailing: Vec<u8>,
    messages: Vec<(bool, Vec<u8>)>,
    flips: Vec<(u16, u8)>,
}

fn params(input: &Input) -> DeflateParams {
    let config = DeflateConfig::new()
        .with_server_no_context_takeover(input.server_no_context_takeover)
        .with_client_no_context_takeover(input.client_no_context_takeover)
        .with_server_max_window_bits(8 + input.server_bits % 8)
        .with_client_max_window_bits(Some(8 + input.client_bits % 8))
        .with_level(input.level % 10)
        .with_min_size(usize::from(input.min_size));
    let mut offer = String::new();
    config.write_offer(&mut offer).unwrap();
    let params = config.accept_offer([offer.as_str()]).expect("a server accepts its own offer");
    let mut response = String::new();
    params.write_response(&mut response).unwrap();
    let client = config.accept_response(&response).expect("a client accepts the answer to its offer");
    assert_eq!(client.server_max_window_bits, params.server_max_window_bits);
    assert_eq!(client.client_max_window_bits, params.client_max_window_bits);
    params
}

/// Masks for the sending client (the receiving server checks them).
fn keys() -> impl FnMut() -> [u8; 4] {
    let mut n = 0u8;
    move || {
        n = n.wrapping_add(37);
        [n, n ^ 0x5a, 3, n.wrapping_mul(7)]
    }
}

/// What a receiving end saw.
#[derive(Default)]
struct Seen {
    messages: Vec<(DataKind, Vec<u8>)>,
    error: Option<ProtocolError>,
}

/// Feeds `stream` to `conn` in chunks of the input's sizes, inflating
/// into a window of exactly the size it asks for; checks the message
/// limit on every chunk handed out.
fn receive<S: Side>(conn: &mut Connection<S>, stream: &[u8], chunks: &[u16], limit: u64) -> Seen {
    let mut window = vec![0u8; conn.inflate_window_size()];
    let mut seen = Seen::default();
    let mut buf = Vec::new();
    let mut current: Option<(DataKind, Vec<u8>)> = None;
    let mut at = 0;
    let mut sizes = chunks.iter().map(|&n| usize::from(n)).chain(std::iter::repeat(4096));
    while at < stream.len() || !buf.is_empty() {
        let n = sizes.next().unwrap().min(stream.len() - at);
        buf.extend_from_slice(&stream[at..at + n]);
        at += n;
        loop {
            let received = match conn.receive_with_window(&mut buf, &mut window) {
                Ok(received) => received,
                Err(error) => {
                    // Sticky: the same error again, nothing else.
                    assert_eq!(conn.receive_with_window(&mut buf, &mut window).err(), Some(error));
                    assert_eq!(conn.failure(), Some(error));
                    seen.error = Some(error);
                    return seen;
                }
            };
            let consumed = received.consumed;
            let event = received.event.is_some();
            if let Some(Event::Data { kind, payload, first, last }) = received.event {
                assert_eq!(first, current.is_none());
                let message = current.get_or_insert_with(|| (kind, Vec::new()));
                message.1.extend_from_slice(payload);
                assert!(
                    message.1.len() as u64 <= limit,
                    "a {}-byte message got through a {limit}-byte limit",
                    message.1.len()
                );
                if kind == DataKind::Text && last {
                    assert!(std::str::from_utf8(&message.1).is_ok(), "invalid UTF-8 handed out");
                }
                if last {
                    seen.messages.push(current.take().unwrap());
                }
            }
            assert!(consumed <= buf.len());
            buf.drain(..consumed);
            if consumed == 0 && !event {
                break;
            }
        }
        if n == 0 && at == stream.len() {
            // Nothing more will come: what is left is an incomplete frame.
            break;
        }
    }
    seen
}

/// Frames built from the input, masked when a server reads them.
fn build_frames(frames: &[Frame], masked: bool, trailing: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut key = keys();
    for frame in frames.iter().take(64) {
        let Ok(opcode) = OpCode::from_bits(frame.opcode & 0x0f) else { continue };
        let payload = if opcode.is_control() { &frame.payload[..frame.payload.len().min(125)] } else { &frame.payload[..] };
        let header = FrameHeader {
            fin: frame.fin || opcode.is_control(),
            rsv: if frame.rsv1 { RSV1 } else { 0 },
            opcode,
            mask: masked.then(&mut key),
            payload_len: payload.len() as u64,
        };
        let mut head = [0u8; 14];
        let n = header.encode(&mut head).unwrap();
        out.extend_from_slice(&head[..n]);
        let start = out.len();
        out.extend_from_slice(payload);
        if let Some(mask) = header.mask {
            barews::frame::apply_mask(&mut out[start..], mask, 0);
        }
    }
    out.extend_from_slice(trailing);
    out
}

/// Sends `messages` with `send`; returns the wire and what went out.
fn send_all<S: Side>(conn: &mut Connection<S>, messages: &[(bool, Vec<u8>)]) -> (Vec<u8>, Vec<(DataKind, Vec<u8>)>) {
    let mut wire = Vec::new();
    let mut sent = Vec::new();
    let mut out = Vec::new();
    for (text, payload) in messages.iter().take(16) {
        let kind = if *text { DataKind::Text } else { DataKind::Binary };
        out.resize(payload.len() * 2 + 256, 0);
        loop {
            match conn.send(kind, payload, &mut out) {
                Ok(n) => {
                    wire.extend_from_slice(&out[..n]);
                    sent.push((kind, payload.clone()));
                    break;
                }
                Err(SendError::BufferTooSmall { required }) => out.resize(required, 0),
                Err(SendError::InvalidUtf8) => break,
                Err(other) => panic!("send failed: {other}"),
            }
        }
    }
    (wire, sent)
}

fn run<R: Side, T: Side>(input: &Input, receiver: impl Fn(Config) -> Connection<R>, sender: impl Fn(Config) -> Connection<T>, masked: bool) {
    let params = params(input);
    let limit = u64::from(input.max_message_len);
    let small = Config::new().with_max_message_len(limit);

    // Arbitrary frames.
    let stream = build_frames(&input.frames, masked, &input.trailing);
    receive(&mut receiver(small).with_deflate(params), &stream, &input.chunks, limit);

    // A round trip, with a limit every message fits in.
    let fragment = input.fragment.map(|n| usize::from(n).max(1));
    let mut from = sender(Config::new().with_fragment_size(fragment)).with_deflate(params);
    let (wire, sent) = send_all(&mut from, &input.messages);
    let roomy = Config::new().with_max_message_len(1 << 24);
    let seen = receive(&mut receiver(roomy).with_deflate(params), &wire, &input.chunks, 1 << 24);
    assert_eq!(seen.error, None);
    assert!(seen.messages == sent, "round trip changed the messages");

    // The same stream, corrupted, under the small limit.
    if !input.flips.is_empty() && !wire.is_empty() {
        let mut bad = wire;
        for &(at, xor) in &input.flips {
            let at = usize::from(at) % bad.len();
            bad[at] ^= xor;
        }
        receive(&mut receiver(small).with_deflate(params), &bad, &input.chunks, limit);
    }
}

fuzz_target!(|input: Input| {
    if input.client_receives {
        run(&input, |config| Connection::client(config, keys()), Connection::server, false);
    } else {
        run(&input, Connection::server, |config| Connection::client(config, keys()), true);
    }
});
