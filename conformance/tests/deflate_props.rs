//! Property tests of permessage-deflate (RFC 7692) on a connection pair:
//! the two ends negotiate from random configurations (context takeover on
//! or off in each direction, window bits 9 to 15, levels, minimum sizes),
//! then exchange random message sequences (text and binary, empty to
//! larger than any window, whole or fragmented by the sender, delivered
//! in random chunks). Each end must receive exactly what the other sent,
//! inflating into a window of exactly the negotiated size; and an
//! independent DEFLATE decoder ([`deflate_ref`]) checks each compressed
//! message on the wire: RSV1 where it belongs, the payload inflates to the
//! message, and no back-reference reaches farther than the agreed window.

mod deflate_ref;

use barews::ProtocolError;
use barews::config::Config;
use barews::connection::{Connection, DataKind, Event, SendError, Side};
use barews::deflate::{DeflateConfig, DeflateParams};
use barews::frame::{FrameHeader, OpCode, RSV1, apply_mask};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;

/// The bytes RFC 7692 section 7.2.2 puts back before inflating.
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

fn fail(error: impl std::fmt::Debug) -> TestCaseError {
    TestCaseError::fail(format!("{error:?}"))
}

/// A deterministic generator (`SplitMix64`), so that payloads are a seed
/// and a few numbers in the test case, not megabytes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n.max(1) as u64).unwrap()
    }
}

/// One end's wishes.
#[derive(Debug, Clone)]
struct EndConfig {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_bits: u8,
    client_bits: Option<u8>,
    level: u8,
    min_size: usize,
    /// The fragment size `send` uses, if any.
    fragment: Option<usize>,
}

fn end_config() -> impl Strategy<Value = EndConfig> {
    (
        any::<bool>(),
        any::<bool>(),
        9u8..=15,
        prop::option::of(9u8..=15),
        0u8..=9,
        prop_oneof![Just(0usize), 1usize..64],
        prop::option::of(16usize..4096),
    )
        .prop_map(|(snct, cnct, server_bits, client_bits, level, min_size, fragment)| {
            EndConfig {
                server_no_context_takeover: snct,
                client_no_context_takeover: cnct,
                server_bits,
                client_bits,
                level,
                min_size,
                fragment,
            }
        })
}

impl EndConfig {
    fn deflate(&self) -> DeflateConfig {
        DeflateConfig::new()
            .with_server_no_context_takeover(self.server_no_context_takeover)
            .with_client_no_context_takeover(self.client_no_context_takeover)
            .with_server_max_window_bits(self.server_bits)
            .with_client_max_window_bits(self.client_bits)
            .with_level(self.level)
            .with_min_size(self.min_size)
    }

    fn config(&self) -> Config {
        Config::new().with_fragment_size(self.fragment).with_max_message_len(1 << 20)
    }
}

/// What a payload looks like.
#[derive(Debug, Clone, Copy)]
enum Shape {
    /// A phrase of `period` bytes (or characters) repeated, with a byte
    /// changed now and then: back-references at that distance are there
    /// for the taking, inside the window or beyond it.
    Repeated { period: usize },
    /// No repetition to speak of.
    Random,
}

/// How the sender sends a message.
#[derive(Debug, Clone)]
enum Sending {
    /// `send`: compressed when at least the minimum size, fragmented by
    /// the configured fragment size.
    Whole,
    /// `send_fragment` at these cut points: uncompressed frames (RFC 7692
    /// lets an end leave any message uncompressed).
    Fragments(Vec<Index>),
}

#[derive(Debug, Clone)]
struct MessageSpec {
    kind: DataKind,
    len: usize,
    shape: Shape,
    seed: u64,
    sending: Sending,
}

fn message_spec() -> impl Strategy<Value = MessageSpec> {
    let len = prop_oneof![
        2 => 0usize..64,
        5 => 64usize..3000,
        2 => 3000usize..20_000,
        // Larger than the largest window.
        1 => 33_000usize..70_000,
    ];
    let shape = prop_oneof![
        3 => (1usize..2500).prop_map(|period| Shape::Repeated { period }),
        1 => Just(Shape::Random),
    ];
    let sending = prop_oneof![
        4 => Just(Sending::Whole),
        1 => prop::collection::vec(any::<Index>(), 0..6).prop_map(Sending::Fragments),
    ];
    (any::<bool>(), len, shape, any::<u64>(), sending).prop_map(
        |(text, len, shape, seed, sending)| MessageSpec {
            kind: if text { DataKind::Text } else { DataKind::Binary },
            len,
            shape,
            seed,
            sending,
        },
    )
}

impl MessageSpec {
    /// The payload: about `len` bytes (text stops at a character
    /// boundary), valid UTF-8 for text.
    fn payload(&self) -> Vec<u8> {
        const CHARS: [char; 12] = ['a', 'b', 'c', ' ', '{', '"', ':', '1', 'é', 'Ж', '中', '🦀'];
        let mut rng = Rng(self.seed);
        let period = match self.shape {
            Shape::Repeated { period } => period,
            Shape::Random => self.len.max(1),
        };
        match self.kind {
            DataKind::Binary => {
                let phrase: Vec<u8> =
                    (0..period).map(|_| u8::try_from(rng.next() & 0xff).unwrap()).collect();
                let mut out: Vec<u8> = phrase.iter().copied().cycle().take(self.len).collect();
                for _ in 0..self.len / 512 {
                    let at = rng.below(out.len());
                    out[at] ^= 0x5a;
                }
                out
            }
            DataKind::Text => {
                let phrase: Vec<char> =
                    (0..period).map(|_| CHARS[rng.below(CHARS.len())]).collect();
                let mut out = String::new();
                for (i, &ch) in phrase.iter().cycle().enumerate() {
                    let ch = if i % 700 == 699 { CHARS[rng.below(CHARS.len())] } else { ch };
                    if out.len() + ch.len_utf8() > self.len {
                        break;
                    }
                    out.push(ch);
                }
                out.into_bytes()
            }
        }
    }
}

/// How the network delivers a byte stream: chunks cut at random points.
fn delivery() -> impl Strategy<Value = Vec<Index>> {
    prop::collection::vec(any::<Index>(), 0..40)
}

fn split<'a>(bytes: &'a [u8], cuts: &[Index]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts.iter().map(|cut| cut.index(bytes.len() + 1)).collect();
    points.sort_unstable();
    let mut pieces = Vec::new();
    let mut start = 0;
    for point in points.into_iter().chain(std::iter::once(bytes.len())) {
        pieces.push(&bytes[start..point]);
        start = point;
    }
    pieces
}

/// A message as sent, and how it went on the wire.
struct Sent {
    kind: DataKind,
    payload: Vec<u8>,
    /// Sent with `send` and at least the minimum size: must be compressed.
    compressible: bool,
}

/// Sends `specs` from `conn` and returns the wire bytes and what was sent.
fn send_all<S: Side>(
    conn: &mut Connection<S>,
    specs: &[MessageSpec],
    min_size: usize,
) -> Result<(Vec<u8>, Vec<Sent>), TestCaseError> {
    let mut wire = Vec::new();
    let mut sent = Vec::new();
    let mut out = vec![0u8; 1024];
    for spec in specs {
        let payload = spec.payload();
        match &spec.sending {
            Sending::Whole => {
                let n = loop {
                    match conn.send(spec.kind, &payload, &mut out) {
                        Ok(n) => break n,
                        Err(SendError::BufferTooSmall { required }) => out.resize(required, 0),
                        Err(error) => return Err(fail(error)),
                    }
                };
                wire.extend_from_slice(&out[..n]);
            }
            Sending::Fragments(cuts) => {
                let pieces = split(&payload, cuts);
                for (i, piece) in pieces.iter().enumerate() {
                    let fin = i + 1 == pieces.len();
                    out.resize(piece.len() + 14, 0);
                    let n = conn.send_fragment(spec.kind, piece, fin, &mut out).map_err(fail)?;
                    wire.extend_from_slice(&out[..n]);
                }
            }
        }
        let compressible = matches!(spec.sending, Sending::Whole) && payload.len() >= min_size;
        sent.push(Sent { kind: spec.kind, payload, compressible });
    }
    Ok((wire, sent))
}

/// Feeds `chunks` to `conn` as a reader would (appending each chunk to
/// its buffer and draining events), inflating into a window of exactly
/// `window_len` bytes; returns the whole messages received.
fn receive_all<S: Side>(
    conn: &mut Connection<S>,
    chunks: &[&[u8]],
    window_len: usize,
) -> Result<Vec<(DataKind, Vec<u8>)>, ProtocolError> {
    let mut window = vec![0u8; window_len];
    let mut buf = Vec::new();
    let mut messages = Vec::new();
    let mut current: Option<(DataKind, Vec<u8>)> = None;
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            let received = conn.receive_with_window(&mut buf, &mut window)?;
            let consumed = received.consumed;
            let event = received.event.is_some();
            match received.event {
                Some(Event::Data { kind, payload, first, last }) => {
                    assert_eq!(first, current.is_none(), "first flag out of step");
                    let message = current.get_or_insert_with(|| (kind, Vec::new()));
                    assert_eq!(message.0, kind, "kind changed inside a message");
                    message.1.extend_from_slice(payload);
                    if last {
                        messages.push(current.take().unwrap());
                    }
                }
                Some(other) => panic!("unexpected event {other:?}"),
                None => {}
            }
            buf.drain(..consumed);
            if consumed == 0 && !event {
                break;
            }
        }
    }
    assert!(buf.is_empty(), "{} bytes left unread", buf.len());
    assert!(current.is_none(), "a message was left unfinished");
    Ok(messages)
}

/// Splits a direction's wire bytes into messages: whether the first frame
/// had RSV1, and the unmasked payload of all its frames.
fn wire_messages(wire: &[u8]) -> Result<Vec<(bool, Vec<u8>)>, TestCaseError> {
    let mut at = 0;
    let mut messages = Vec::new();
    let mut current: Option<(bool, Vec<u8>)> = None;
    while at < wire.len() {
        let (header, len) =
            FrameHeader::decode(&wire[at..]).map_err(fail)?.ok_or_else(|| fail("cut frame"))?;
        let start = at + len;
        let end = start + usize::try_from(header.payload_len).unwrap();
        let mut payload = wire[start..end].to_vec();
        if let Some(key) = header.mask {
            apply_mask(&mut payload, key, 0);
        }
        let rsv1 = header.rsv & RSV1 != 0;
        if header.opcode == OpCode::Continuation {
            prop_assert!(!rsv1, "RSV1 on a continuation frame");
            current.as_mut().ok_or_else(|| fail("stray continuation"))?.1.extend(payload);
        } else {
            prop_assert!(current.is_none(), "a new message inside another");
            current = Some((rsv1, payload));
        }
        if header.fin {
            messages.push(current.take().unwrap());
        }
        at = end;
    }
    Ok(messages)
}

/// Checks one direction on the wire with the reference decoder: RSV1
/// exactly on compressed messages, each inflating to what was sent, with
/// no back-reference farther than `2^bits` bytes, and the history kept
/// between messages only with context takeover.
fn check_wire(
    wire: &[u8],
    sent: &[Sent],
    bits: u8,
    takeover: bool,
    level: u8,
) -> Result<(), TestCaseError> {
    let messages = wire_messages(wire)?;
    prop_assert_eq!(messages.len(), sent.len());
    let mut history = Vec::new();
    for ((compressed, payload), sent) in messages.into_iter().zip(sent) {
        prop_assert_eq!(
            compressed,
            sent.compressible,
            "RSV1 of a {}-byte message",
            sent.payload.len()
        );
        if !compressed {
            prop_assert_eq!(&payload, &sent.payload);
            continue;
        }
        if !takeover {
            history.clear();
        }
        let start = history.len();
        let mut data = payload.clone();
        data.extend_from_slice(&TAIL);
        let decoded = deflate_ref::inflate(&data, &mut history).map_err(fail)?;
        prop_assert!(
            history[start..] == sent.payload[..],
            "reference inflate differs from the {}-byte message",
            sent.payload.len()
        );
        prop_assert!(
            decoded.max_distance <= 1 << bits,
            "back-reference of {} bytes with a {}-bit window",
            decoded.max_distance,
            bits
        );
        // Something that repeats every few bytes must shrink.
        if level > 0 && sent.payload.len() >= 2048 && is_periodic(&sent.payload, 64) {
            prop_assert!(
                payload.len() < sent.payload.len() / 2,
                "{} bytes compressed to {}",
                sent.payload.len(),
                payload.len()
            );
        }
    }
    Ok(())
}

/// Whether `bytes` mostly repeat with a period of at most `max`.
fn is_periodic(bytes: &[u8], max: usize) -> bool {
    let bytes = &bytes[..bytes.len().min(4096)];
    (1..=max).any(|p| {
        let same = bytes.iter().zip(&bytes[p..]).filter(|(a, b)| a == b).count();
        same * 10 >= (bytes.len() - p) * 9
    })
}

/// The negotiated parameters, compared by what the wire depends on.
fn agreed(params: &DeflateParams) -> (bool, bool, u8, u8) {
    (
        params.server_no_context_takeover,
        params.client_no_context_takeover,
        params.server_max_window_bits,
        params.client_max_window_bits,
    )
}

fn config() -> ProptestConfig {
    ProptestConfig { cases: 96, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config())]

    /// What the client sends the server receives identically, and the
    /// other way round, whatever was negotiated, however the sender
    /// fragments and however the network cuts the stream; and every
    /// compressed message keeps to its window.
    #[test]
    fn round_trips_with_deflate(
        client_end in end_config(),
        server_end in end_config(),
        to_server in prop::collection::vec(message_spec(), 0..6),
        to_client in prop::collection::vec(message_spec(), 0..6),
        cuts_up in delivery(),
        cuts_down in delivery(),
        key_seed in any::<u64>(),
    ) {
        // Negotiation: offer, response, and both ends agree.
        let mut offer = String::new();
        client_end.deflate().write_offer(&mut offer).map_err(fail)?;
        let server_params = server_end
            .deflate()
            .accept_offer([offer.as_str()])
            .ok_or_else(|| fail(format!("server declined {offer}")))?;
        let mut response = String::new();
        server_params.write_response(&mut response).map_err(fail)?;
        let client_params = client_end.deflate().accept_response(&response).map_err(fail)?;
        prop_assert_eq!(agreed(&client_params), agreed(&server_params), "{} / {}", offer, response);
        let (server_nct, client_nct, server_bits, client_bits) = agreed(&server_params);
        // What either end asked for, it got.
        prop_assert!(server_nct >= client_end.server_no_context_takeover);
        prop_assert!(server_nct >= server_end.server_no_context_takeover);
        prop_assert!(client_nct >= client_end.client_no_context_takeover);
        prop_assert!(client_nct >= server_end.client_no_context_takeover);
        prop_assert!(server_bits <= client_end.server_bits && server_bits <= server_end.server_bits);
        prop_assert!(client_end.client_bits.is_none_or(|bits| client_bits <= bits));
        prop_assert!((9..=15).contains(&server_bits) && (9..=15).contains(&client_bits));

        let mut rng = Rng(key_seed);
        let keys = move || {
            let bytes = rng.next().to_le_bytes();
            [bytes[0], bytes[1], bytes[2], bytes[3]]
        };
        let mut client = Connection::client(client_end.config(), keys).with_deflate(client_params);
        let mut server = Connection::server(server_end.config()).with_deflate(server_params);
        prop_assert!(client.deflate_enabled() && server.deflate_enabled());
        // Each end inflates with the other's window, and no more.
        prop_assert_eq!(server.inflate_window_size(), 1usize << client_bits);
        prop_assert_eq!(client.inflate_window_size(), 1usize << server_bits);

        let (up, sent_up) = send_all(&mut client, &to_server, client_end.min_size)?;
        let (down, sent_down) = send_all(&mut server, &to_client, server_end.min_size)?;

        let received = receive_all(&mut server, &split(&up, &cuts_up), 1 << client_bits)
            .map_err(fail)?;
        let expected: Vec<_> = sent_up.iter().map(|m| (m.kind, m.payload.clone())).collect();
        prop_assert!(received == expected, "client to server: messages differ");
        let received = receive_all(&mut client, &split(&down, &cuts_down), 1 << server_bits)
            .map_err(fail)?;
        let expected: Vec<_> = sent_down.iter().map(|m| (m.kind, m.payload.clone())).collect();
        prop_assert!(received == expected, "server to client: messages differ");

        check_wire(&up, &sent_up, client_bits, !client_nct, client_end.level)?;
        check_wire(&down, &sent_down, server_bits, !server_nct, server_end.level)?;
    }

    /// A compressed stream read one byte at a time gives the same
    /// messages as read whole.
    #[test]
    fn byte_by_byte_delivery_changes_nothing(
        end in end_config(),
        specs in prop::collection::vec(message_spec(), 1..4),
    ) {
        let params = end
            .deflate()
            .accept_offer(["permessage-deflate; client_max_window_bits"])
            .ok_or_else(|| fail("declined"))?;
        let mut server = Connection::server(end.config()).with_deflate(params);
        let specs: Vec<_> = specs.into_iter().map(|mut s| { s.len = s.len.min(4000); s }).collect();
        let (wire, sent) = send_all(&mut server, &specs, end.min_size)?;
        let bits = params.server_max_window_bits;
        let whole = receive_all(
            &mut Connection::client(Config::new(), || [9, 8, 7, 6]).with_deflate(params),
            &[&wire],
            1 << bits,
        )
        .map_err(fail)?;
        let bytes: Vec<&[u8]> = wire.chunks(1).collect();
        let one_by_one = receive_all(
            &mut Connection::client(Config::new(), || [9, 8, 7, 6]).with_deflate(params),
            &bytes,
            1 << bits,
        )
        .map_err(fail)?;
        let expected: Vec<_> = sent.iter().map(|m| (m.kind, m.payload.clone())).collect();
        prop_assert!(whole == expected);
        prop_assert!(one_by_one == expected);
    }
}
