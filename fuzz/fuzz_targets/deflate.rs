//! permessage-deflate on a connection: negotiated parameters from the
//! input (context takeover on or off each way, window bits 8 to 15, level
//! 0 to 9, a small message limit), a receiving end that holds its
//! inflater as the input says (for the whole connection, released between
//! messages whenever the connection is idle, or made only when
//! `needs_inflater` asks for it), with a window of exactly the negotiated
//! size, and three kinds of traffic into it:
//!
//! - frames built from the input (FIN, RSV1, opcode, arbitrary payloads
//!   that claim to be compressed), masked as the role requires, plus
//!   arbitrary trailing bytes;
//! - a round trip: messages compressed by the other end, with a
//!   compressor of its own that keeps context (sized for any window), or
//!   with one that resets, shared with a second connection of its own
//!   parameters, the two connections' messages interleaved; every message
//!   must arrive exactly as sent, on both connections;
//! - the same compressed stream with bytes flipped, which may fail but
//!   must fail cleanly.
//!
//! Every stream is delivered in chunks the input chooses. Checks: no
//! panic; no message (compressed or not) grows past `max_message_len`
//! before the connection fails with an error; completed text is valid
//! UTF-8; errors are sticky; the receiver, lending its inflater as the
//! connection asks, never fails for want of one (1011).
#![no_main]

use arbitrary::Arbitrary;
use barews::ProtocolError;
use barews::config::Config;
use barews::connection::{Connection, DataKind, Event, Received, SendError, Side};
use barews::deflate::{Compressor, Context, DeflateConfig, DeflateParams, Inflater};
use barews::frame::{FrameHeader, OpCode, RSV1};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Frame {
    fin: bool,
    rsv1: bool,
    opcode: u8,
    payload: Vec<u8>,
}

/// What both ends of a connection wish for (window bits taken as
/// `8 + bits % 8`, the level as `level % 10`).
#[derive(Arbitrary, Debug)]
struct Wishes {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_bits: u8,
    client_bits: u8,
    level: u8,
    min_size: u8,
}

/// How the sender compresses.
#[derive(Arbitrary, Debug)]
enum Mode {
    /// With a compressor of its own that keeps context, made for windows
    /// of up to `8 + bits % 8` (smaller or larger than the negotiated
    /// one).
    Kept { bits: u8 },
    /// With a compressor that resets (made for `8 + bits % 8` bits, at
    /// `level % 10`), shared with a second connection negotiated from
    /// `other`; `turns` says which of the two sends each next message.
    Shared { bits: u8, level: u8, other: Wishes, turns: Vec<bool> },
}

/// How the receiver holds its inflater and window.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
enum Lending {
    /// For the whole connection.
    Kept,
    /// Released, with a fresh window, whenever the connection is idle.
    Released,
    /// Made when `needs_inflater` asks, given back when idle.
    Lazy,
}

#[derive(Arbitrary, Debug)]
struct Input {
    /// The receiving end is the client (it reads unmasked frames).
    client_receives: bool,
    wishes: Wishes,
    fragment: Option<u16>,
    max_message_len: u16,
    lending: Lending,
    chunks: Vec<u16>,
    frames: Vec<Frame>,
    trailing: Vec<u8>,
    mode: Mode,
    messages: Vec<(bool, Vec<u8>)>,
    flips: Vec<(u16, u8)>,
}

/// Negotiates `wishes` between a client and a server of the same wishes.
fn negotiate(wishes: &Wishes) -> DeflateParams {
    let config = DeflateConfig::new()
        .with_server_no_context_takeover(wishes.server_no_context_takeover)
        .with_client_no_context_takeover(wishes.client_no_context_takeover)
        .with_server_max_window_bits(8 + wishes.server_bits % 8)
        .with_client_max_window_bits(Some(8 + wishes.client_bits % 8))
        .with_level(wishes.level % 10)
        .with_min_size(usize::from(wishes.min_size));
    let mut offer = String::new();
    config.write_offer(&mut offer).unwrap();
    let params = config.accept_offer([offer.as_str()]).expect("a server accepts its own offer");
    let mut response = String::new();
    params.write_response(&mut response).unwrap();
    let client =
        config.accept_response(&response).expect("a client accepts the answer to its offer");
    assert_eq!(client.server_max_window_bits, params.server_max_window_bits);
    assert_eq!(client.client_max_window_bits, params.client_max_window_bits);
    assert_eq!(client.server_max_window_bits, 8 + wishes.server_bits % 8);
    assert_eq!(client.client_max_window_bits, 8 + wishes.client_bits % 8);
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

/// The receiving end's inflater and window, as its lending says.
struct Lent {
    lending: Lending,
    held: Option<(Inflater, Vec<u8>)>,
    fresh: u8,
}

impl Lent {
    fn new(lending: Lending) -> Self {
        Lent { lending, held: None, fresh: 0 }
    }

    /// Receives from `buf`, lending the inflater if there is one (made
    /// first, unless it is made only on demand and `conn` does not ask).
    fn receive<'b, S: Side>(
        &'b mut self,
        conn: &mut Connection<S>,
        buf: &'b mut [u8],
    ) -> Result<Received<'b>, ProtocolError> {
        let wanted = self.lending != Lending::Lazy || conn.needs_inflater(buf);
        if self.held.is_none() && wanted {
            // A window with none of the bytes of the last.
            self.fresh = self.fresh.wrapping_add(0x3b);
            self.held = Some((Inflater::new(), vec![self.fresh; conn.inflate_window_size()]));
        }
        match &mut self.held {
            Some((inflater, window)) => conn.receive_inflating(buf, inflater, window),
            None => conn.receive(buf),
        }
    }

    /// Between messages: gives the inflater back when the connection
    /// says it holds nothing it needs.
    fn between_messages<S: Side>(&mut self, conn: &Connection<S>) {
        if !conn.inflater_idle() {
            return;
        }
        match self.lending {
            Lending::Kept => {}
            Lending::Released => {
                if let Some((inflater, window)) = &mut self.held {
                    inflater.release();
                    self.fresh = self.fresh.wrapping_add(0x3b);
                    window.fill(self.fresh);
                }
            }
            Lending::Lazy => self.held = None,
        }
    }
}

/// Feeds `stream` to `conn` in chunks of the input's sizes, lending the
/// inflater as `lending` says; checks the message limit on every chunk
/// handed out.
fn receive<S: Side>(
    conn: &mut Connection<S>,
    lending: Lending,
    stream: &[u8],
    chunks: &[u16],
    limit: u64,
) -> Seen {
    let mut lent = Lent::new(lending);
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
            let received = match lent.receive(conn, &mut buf) {
                Ok(received) => received,
                Err(error) => {
                    // The inflater was lent whenever the connection asked.
                    assert_ne!(error, ProtocolError::InflateWindow, "needs_inflater misled");
                    // Sticky: the same error again, nothing else.
                    assert_eq!(lent.receive(conn, &mut buf).err(), Some(error));
                    assert_eq!(conn.failure(), Some(error));
                    seen.error = Some(error);
                    return seen;
                }
            };
            let consumed = received.consumed;
            let event = received.event.is_some();
            let mut ended = false;
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
                    ended = true;
                }
            }
            assert!(consumed <= buf.len());
            buf.drain(..consumed);
            if ended {
                lent.between_messages(conn);
            }
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
        let payload = if opcode.is_control() {
            &frame.payload[..frame.payload.len().min(125)]
        } else {
            &frame.payload[..]
        };
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

/// One sending connection: its wire and the messages that went out.
struct Sending<T: Side> {
    conn: Connection<T>,
    wire: Vec<u8>,
    sent: Vec<(DataKind, Vec<u8>)>,
    out: Vec<u8>,
}

impl<T: Side> Sending<T> {
    fn new(conn: Connection<T>) -> Self {
        Sending { conn, wire: Vec::new(), sent: Vec::new(), out: Vec::new() }
    }

    /// Sends a message with `send_with`; invalid UTF-8 is refused.
    fn send(&mut self, text: bool, payload: &[u8], compressor: &mut Compressor<Vec<u8>>) {
        let kind = if text { DataKind::Text } else { DataKind::Binary };
        self.out.resize(payload.len() / 2 + 16, 0);
        loop {
            match self.conn.send_with(kind, payload, &mut self.out, compressor) {
                Ok(n) => {
                    self.wire.extend_from_slice(&self.out[..n]);
                    self.sent.push((kind, payload.to_vec()));
                    return;
                }
                Err(SendError::BufferTooSmall { required }) => {
                    assert!(required > self.out.len(), "refused a buffer of the size asked");
                    self.out.resize(required, 0);
                }
                Err(SendError::InvalidUtf8) => {
                    assert!(text && std::str::from_utf8(payload).is_err());
                    return;
                }
                Err(other) => panic!("send failed: {other}"),
            }
        }
    }
}

fn run<R: Side, T: Side>(
    input: &Input,
    receiver: impl Fn(Config) -> Connection<R>,
    sender: impl Fn(Config) -> Connection<T>,
    masked: bool,
) {
    let params = negotiate(&input.wishes);
    let limit = u64::from(input.max_message_len);
    let small = Config::new().with_max_message_len(limit);
    let roomy_limit = 1 << 24;
    let roomy = Config::new().with_max_message_len(roomy_limit);
    let lending = input.lending;

    // Arbitrary frames.
    let stream = build_frames(&input.frames, masked, &input.trailing);
    receive(&mut receiver(small).with_deflate(params), lending, &stream, &input.chunks, limit);

    // A round trip, with a limit every message fits in.
    let fragment = input.fragment.map(|n| usize::from(n).max(1));
    let config = Config::new().with_fragment_size(fragment);
    let mut from = Sending::new(sender(config).with_deflate(params));
    let level = params.level();
    let messages = input.messages.iter().take(16);
    match &input.mode {
        Mode::Kept { bits } => {
            let mut compressor = Compressor::new(8 + bits % 8, level, Context::Kept);
            for (text, payload) in messages {
                from.send(*text, payload, &mut compressor);
            }
        }
        Mode::Shared { bits, level, other, turns } => {
            let mut shared = Compressor::new(8 + bits % 8, level % 10, Context::Reset);
            let other_params = negotiate(other);
            let mut second = Sending::new(sender(config).with_deflate(other_params));
            let mut turns = turns.iter().copied().chain(std::iter::repeat(false));
            for (text, payload) in messages {
                let sending = if turns.next().unwrap() { &mut second } else { &mut from };
                sending.send(*text, payload, &mut shared);
            }
            let mut to = receiver(roomy).with_deflate(other_params);
            let seen = receive(&mut to, lending, &second.wire, &input.chunks, roomy_limit);
            assert_eq!(seen.error, None);
            assert!(seen.messages == second.sent, "round trip changed the other's messages");
        }
    }
    let seen = receive(
        &mut receiver(roomy).with_deflate(params),
        lending,
        &from.wire,
        &input.chunks,
        roomy_limit,
    );
    assert_eq!(seen.error, None);
    assert!(seen.messages == from.sent, "round trip changed the messages");

    // The same stream, corrupted, under the small limit.
    if !input.flips.is_empty() && !from.wire.is_empty() {
        let mut bad = from.wire;
        for &(at, xor) in &input.flips {
            let at = usize::from(at) % bad.len();
            bad[at] ^= xor;
        }
        receive(&mut receiver(small).with_deflate(params), lending, &bad, &input.chunks, limit);
    }
}

fuzz_target!(|input: Input| {
    if input.client_receives {
        run(&input, |config| Connection::client(config, keys()), Connection::server, false);
    } else {
        run(&input, Connection::server, |config| Connection::client(config, keys()), true);
    }
});
