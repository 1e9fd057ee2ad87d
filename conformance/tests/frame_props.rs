//! Property tests of the frame codec and the connection's data path: header
//! encoding, masking, messages sent by one side and received by the other
//! in any fragmentation and any chunking, and arbitrary bytes fed to a
//! receiver.

use barews::ProtocolError;
use barews::close::CloseCode;
use barews::config::Config;
use barews::connection::{Client, Connection, DataKind, Role, SendError, Server, Side};
use barews::frame::{FrameHeader, MAX_HEADER_LEN, OpCode, apply_mask};
use barews_testkit::transcript::{self, Seen, Transcript};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

// ---------------------------------------------------------------------------
// Helpers shared by the properties.
// ---------------------------------------------------------------------------

/// Turns any displayable error into a test failure.
fn fail(error: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(error.to_string())
}

/// A deterministic source of mask keys (xorshift64), so that a failing case
/// replays with the same keys.
fn keys(seed: u64) -> impl FnMut() -> [u8; 4] {
    let mut state = seed | 1;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let bytes = state.to_le_bytes();
        [bytes[0], bytes[1], bytes[2], bytes[3]]
    }
}

/// Cut points that split up to `len` bytes into pieces, sorted (repeats
/// give empty pieces). Points past the end of shorter input are ignored.
fn cuts(len: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0..=len, 0..24).prop_map(|mut cuts| {
        cuts.sort_unstable();
        cuts
    })
}

/// How the network delivers input: in chunks cut at points anywhere in
/// it (as fractions of its length), or one byte at a time.
#[derive(Debug, Clone)]
enum Delivery {
    Cuts(Vec<prop::sample::Index>),
    ByteByByte,
}

fn delivery() -> impl Strategy<Value = Delivery> {
    prop_oneof![
        9 => prop::collection::vec(any::<prop::sample::Index>(), 0..32).prop_map(Delivery::Cuts),
        1 => Just(Delivery::ByteByByte),
    ]
}

impl Delivery {
    /// The sorted cut points for `len` bytes of input.
    fn cuts(&self, len: usize) -> Vec<usize> {
        match self {
            Delivery::Cuts(indices) => {
                let mut cuts: Vec<usize> =
                    indices.iter().map(|index| index.index(len + 1)).collect();
                cuts.sort_unstable();
                cuts
            }
            Delivery::ByteByByte => (0..len).collect(),
        }
    }
}

/// Splits `bytes` at the cut points that fall inside it.
fn split(bytes: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let bounds: Vec<usize> = std::iter::once(0)
        .chain(cuts.iter().copied().filter(|&cut| cut <= bytes.len()))
        .chain([bytes.len()])
        .collect();
    bounds.windows(2).map(|window| bytes[window[0]..window[1]].to_vec()).collect()
}

// The reader harness (`Seen`, `Transcript`, `read`, `drain`, `frames`) is
// shared with the core's connection tests through barews-testkit; these
// wrappers turn its failures into proptest failures.

/// [`transcript::read`]: `wire` fed to `conn` through a `capacity`-byte
/// reader buffer, delivered up to each cut in turn, the `receive` contract
/// checked on the way.
fn read<S: Side>(
    conn: &mut Connection<S>,
    wire: &[u8],
    cuts: &[usize],
    capacity: usize,
) -> Result<Transcript, TestCaseError> {
    transcript::read(conn, wire, cuts, capacity).map_err(fail)
}

/// [`transcript::drain`]: every byte `poll_transmit` has, into `sent`.
fn drain<S: Side>(conn: &mut Connection<S>, sent: &mut Vec<u8>) -> Result<(), TestCaseError> {
    transcript::drain(conn, sent).map_err(fail)
}

/// [`transcript::frames`]: bytes written by a connection as frames with
/// unmasked payloads.
fn frames(bytes: &[u8]) -> Result<Vec<(FrameHeader, Vec<u8>)>, TestCaseError> {
    transcript::frames(bytes).map_err(fail)
}

// ---------------------------------------------------------------------------
// Messages sent through the public API.
// ---------------------------------------------------------------------------

/// One thing a sender sends.
#[derive(Debug, Clone)]
enum Message {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
}

impl Message {
    fn seen(&self) -> Seen {
        match self {
            Message::Text(text) => Seen::Text(text.clone()),
            Message::Binary(bytes) => Seen::Binary(bytes.clone()),
            Message::Ping(payload) => Seen::Ping(payload.clone()),
        }
    }
}

/// Text of fewer than `max_chars` arbitrary characters (up to 4 bytes
/// each).
fn text(max_chars: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..max_chars).prop_map(String::from_iter)
}

/// A text or binary message of up to 2 KiB, or a Ping.
fn message() -> impl Strategy<Value = Message> {
    prop_oneof![
        4 => text(512).prop_map(Message::Text),
        4 => prop::collection::vec(any::<u8>(), 0..2048).prop_map(Message::Binary),
        1 => prop::collection::vec(any::<u8>(), 0..=125).prop_map(Message::Ping),
    ]
}

/// A close code that may be sent.
fn wire_code() -> impl Strategy<Value = u16> {
    prop_oneof![1000..=1003u16, 1007..=1014u16, 3000..=4999u16]
}

/// An optional closing Close: a valid code and a reason of at most 30
/// characters (at most 120 bytes).
fn closing() -> impl Strategy<Value = Option<(u16, String)>> {
    prop::option::weighted(0.3, (wire_code(), text(30)))
}

/// The outgoing fragment size: `None`, or a small one (0 means 1).
fn fragment_size() -> impl Strategy<Value = Option<usize>> {
    prop::option::weighted(0.7, 0..300usize)
}

/// Sends `messages` (then the Close, if any) from `conn`, draining
/// `poll_transmit` after every command, and returns the bytes written.
fn transmit<S: Side>(
    conn: &mut Connection<S>,
    messages: &[Message],
    close: Option<&(u16, String)>,
) -> Result<Vec<u8>, TestCaseError> {
    let mut wire = Vec::new();
    for message in messages {
        let (kind, payload) = match message {
            Message::Text(text) => (DataKind::Text, text.as_bytes()),
            Message::Binary(bytes) => (DataKind::Binary, bytes.as_slice()),
            Message::Ping(payload) => {
                conn.ping(payload).map_err(fail)?;
                drain(conn, &mut wire)?;
                continue;
            }
        };
        // Ask for the size first: an empty buffer is always too small.
        let required = match conn.send(kind, payload, &mut []) {
            Err(SendError::BufferTooSmall { required }) => required,
            other => return Err(fail(format_args!("send into no room: {other:?}"))),
        };
        let mut out = vec![0u8; required];
        let written = conn.send(kind, payload, &mut out).map_err(fail)?;
        prop_assert_eq!(written, required);
        wire.extend_from_slice(&out);
        drain(conn, &mut wire)?;
    }
    if let Some((code, reason)) = close {
        conn.close(CloseCode(*code), reason).map_err(fail)?;
        drain(conn, &mut wire)?;
    }
    Ok(wire)
}

/// The transcript a receiver must produce for what `transmit` sent.
fn expected(messages: &[Message], close: Option<&(u16, String)>) -> Vec<Seen> {
    let mut seen: Vec<Seen> = messages.iter().map(Message::seen).collect();
    if let Some((code, reason)) = close {
        seen.push(Seen::Close(Some(*code), reason.clone()));
    }
    seen
}

/// The frames a receiver must send back: a Pong per Ping, then the echo of
/// the Close.
fn expected_replies(messages: &[Message], close: Option<&(u16, String)>) -> Vec<(OpCode, Vec<u8>)> {
    let mut replies: Vec<(OpCode, Vec<u8>)> = messages
        .iter()
        .filter_map(|message| match message {
            Message::Ping(payload) => Some((OpCode::Pong, payload.clone())),
            _ => None,
        })
        .collect();
    if let Some((code, _)) = close {
        replies.push((OpCode::Close, code.to_be_bytes().to_vec()));
    }
    replies
}

/// Checks the frames a sender wrote: masked exactly when it is a client,
/// data frames no longer than the fragment size.
fn check_sent_frames(
    wire: &[u8],
    masked: bool,
    fragment_size: Option<usize>,
) -> Result<Vec<(OpCode, Vec<u8>)>, TestCaseError> {
    let mut out = Vec::new();
    for (header, payload) in frames(wire)? {
        prop_assert_eq!(header.mask.is_some(), masked, "masking of {:?}", header);
        prop_assert_eq!(header.rsv, 0);
        if let (false, Some(size)) = (header.opcode.is_control(), fragment_size) {
            prop_assert!(
                payload.len() <= size.max(1),
                "{} > fragment size {}",
                payload.len(),
                size
            );
        }
        out.push((header.opcode, payload));
    }
    Ok(out)
}

/// Checks that a receiver's output is exactly `replies`, masked exactly
/// when the receiver is a client.
fn check_replies(
    sent: &[u8],
    masked: bool,
    replies: &[(OpCode, Vec<u8>)],
) -> Result<(), TestCaseError> {
    let got = check_sent_frames(sent, masked, None)?;
    prop_assert_eq!(got.as_slice(), replies);
    Ok(())
}

/// A client with `fragment_size` and keys from `seed`.
fn client(fragment_size: Option<usize>, seed: u64) -> Connection<Client<impl FnMut() -> [u8; 4]>> {
    Connection::client(Config::new().with_fragment_size(fragment_size), keys(seed))
}

/// A server with `fragment_size`.
fn server(fragment_size: Option<usize>) -> Connection<Server> {
    Connection::server(Config::new().with_fragment_size(fragment_size))
}

// ---------------------------------------------------------------------------
// Hostile input for the robustness property.
// ---------------------------------------------------------------------------

/// Encodes a frame by hand, independently of the encoder under test:
/// `first_byte`, the length announced (`announced`, or the payload's) in the
/// form `length_form` picks (0 shortest, 1 16-bit, 2 64-bit), the mask key
/// if `mask`, then the payload, masked.
fn raw(
    first_byte: u8,
    payload: &[u8],
    mask: Option<[u8; 4]>,
    announced: Option<u64>,
    length_form: u8,
) -> Vec<u8> {
    let mut out = vec![first_byte];
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    let len = announced.unwrap_or(payload.len() as u64);
    match (length_form, len) {
        (0, 0..=125) => out.push(mask_bit | u8::try_from(len).unwrap_or(0)),
        (0 | 1, 0..=0xFFFF) => {
            out.push(mask_bit | 0x7E);
            out.extend_from_slice(&u16::try_from(len).unwrap_or(0).to_be_bytes());
        }
        _ => {
            out.push(mask_bit | 0x7F);
            out.extend_from_slice(&len.to_be_bytes());
        }
    }
    let start = out.len();
    out.extend_from_slice(payload);
    if let Some(key) = mask {
        apply_mask(&mut out[start..], key, 0);
        out.splice(start..start, key);
    }
    out
}

/// A frame that may be invalid in any way.
#[derive(Debug, Clone)]
struct RawFrame {
    first_byte: u8,
    payload: Vec<u8>,
    /// The length announced: the payload's, or a lie.
    announced: Option<u64>,
    /// 0: shortest length form; 1: 16-bit form; 2: 64-bit form.
    length_form: u8,
}

/// A control frame: opcode 0x8-0xA and its payload (at most 125 bytes).
type Control = (u8, Vec<u8>);

/// One piece of hostile input.
#[derive(Debug, Clone)]
enum Piece {
    /// A data message in well-formed frames (its payload may still be
    /// invalid UTF-8 or too large): the first frame's opcode, the
    /// fragments, and control frames to send after each fragment.
    Message { opcode: u8, fragments: Vec<Vec<u8>>, between: Vec<Option<Control>> },
    /// A well-formed control frame.
    Control(Control),
    /// A frame that may be invalid in any way.
    Frame(RawFrame),
    /// Bytes that need not be a frame at all.
    Junk(Vec<u8>),
}

/// A piece with the way it is masked: `role_correct` says whether its
/// frames are masked as the receiving role expects, `key` is the mask key.
type MaskedPiece = (Piece, bool, [u8; 4]);

fn control() -> impl Strategy<Value = Control> {
    let close_payload = prop_oneof![
        1 => Just(Vec::new()),
        4 => (wire_code(), text(20)).prop_map(|(code, reason)| {
            let mut payload = code.to_be_bytes().to_vec();
            payload.extend_from_slice(reason.as_bytes());
            payload
        }),
        2 => prop::collection::vec(any::<u8>(), 0..=125),
    ];
    prop_oneof![
        2 => prop::collection::vec(any::<u8>(), 0..=125).prop_map(|payload| (0x9, payload)),
        1 => prop::collection::vec(any::<u8>(), 0..=125).prop_map(|payload| (0xA, payload)),
        1 => close_payload.prop_map(|payload| (0x8, payload)),
    ]
}

fn data_message() -> impl Strategy<Value = Piece> {
    let payload = prop_oneof![
        // Valid text, possibly cut inside characters.
        3 => (text(200), cuts(800)).prop_map(|(text, cuts)| (0x1, split(text.as_bytes(), &cuts))),
        // Text that may end inside a character.
        1 => (text(50), 1..4usize, cuts(200)).prop_map(|(text, drop, cuts)| {
            let mut bytes = text.into_bytes();
            bytes.truncate(bytes.len().saturating_sub(drop));
            (0x1, split(&bytes, &cuts))
        }),
        // Text that is most likely invalid.
        1 => (prop::collection::vec(any::<u8>(), 0..100), cuts(100))
            .prop_map(|(bytes, cuts)| (0x1, split(&bytes, &cuts))),
        3 => (prop::collection::vec(any::<u8>(), 0..1100), cuts(1100))
            .prop_map(|(bytes, cuts)| (0x2, split(&bytes, &cuts))),
        // Large enough to cross the frame or message limit.
        2 => (prop::collection::vec(any::<u8>(), 3000..6000), cuts(6000))
            .prop_map(|(bytes, cuts)| (0x2, split(&bytes, &cuts))),
    ];
    let between = prop::collection::vec(prop::option::weighted(0.15, control()), 25);
    (payload, between).prop_map(|((opcode, fragments), between)| Piece::Message {
        opcode,
        fragments,
        between,
    })
}

fn raw_frame() -> impl Strategy<Value = RawFrame> {
    let opcode = prop_oneof![3 => 0..=2u8, 2 => 8..=10u8, 1 => 0..16u8];
    let rsv = prop_oneof![3 => Just(0u8), 1 => 0..8u8];
    let payload = prop_oneof![
        3 => prop::collection::vec(any::<u8>(), 0..200),
        2 => text(60).prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..1200),
    ];
    let announced = prop::option::weighted(0.1, any::<u64>());
    let length_form = prop_oneof![8 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)];
    (opcode, prop::bool::weighted(0.8), rsv, payload, announced, length_form).prop_map(
        |(opcode, fin, rsv, payload, announced, length_form)| RawFrame {
            first_byte: u8::from(fin) << 7 | rsv << 4 | opcode,
            payload,
            announced,
            length_form,
        },
    )
}

fn piece() -> impl Strategy<Value = MaskedPiece> {
    let piece = prop_oneof![
        6 => data_message(),
        3 => control().prop_map(Piece::Control),
        1 => raw_frame().prop_map(Piece::Frame),
        1 => prop::collection::vec(any::<u8>(), 0..16).prop_map(Piece::Junk),
    ];
    (piece, prop::bool::weighted(0.97), any::<[u8; 4]>())
}

/// A receive limit: fixed, or near one of the values it is compared with
/// (a frame's length, or a message's length so far) so that the boundary
/// itself is tried.
#[derive(Debug, Clone)]
enum Limit {
    Fixed(u64),
    Near(prop::sample::Index, i8),
}

fn limit(max: u64) -> impl Strategy<Value = Limit> {
    prop_oneof![
        2 => (0..max).prop_map(Limit::Fixed),
        1 => Just(Limit::Fixed(u64::MAX)),
        2 => (any::<prop::sample::Index>(), -1..=1i8).prop_map(|(index, delta)| Limit::Near(index, delta)),
    ]
}

impl Limit {
    fn resolve(&self, values: &[u64]) -> u64 {
        match self {
            Limit::Fixed(limit) => *limit,
            Limit::Near(index, delta) => {
                let value = *index.get(values);
                value.saturating_add_signed(i64::from(*delta))
            }
        }
    }
}

/// The bytes of `piece` for a server (`to_server`) or a client.
fn encode_piece((piece, role_correct, key): &MaskedPiece, to_server: bool) -> Vec<u8> {
    let mask = (*role_correct == to_server).then_some(*key);
    let control = |(opcode, payload): &Control| raw(0x80 | opcode, payload, mask, None, 0);
    match piece {
        Piece::Message { opcode, fragments, between } => {
            let mut out = Vec::new();
            for (i, fragment) in fragments.iter().enumerate() {
                let fin = if i + 1 == fragments.len() { 0x80 } else { 0 };
                let opcode = if i == 0 { *opcode } else { 0 };
                out.extend(raw(fin | opcode, fragment, mask, None, 0));
                if let (0, Some(Some(frame))) = (fin, between.get(i)) {
                    out.extend(control(frame));
                }
            }
            out
        }
        Piece::Control(frame) => control(frame),
        Piece::Frame(frame) => {
            raw(frame.first_byte, &frame.payload, mask, frame.announced, frame.length_form)
        }
        Piece::Junk(bytes) => bytes.clone(),
    }
}

/// Hostile input as the bytes for a server and the bytes for a client:
/// either arbitrary bytes, or a sequence of pieces, mostly well-formed
/// frames (so that deep states are reached) with invalid frames and junk
/// mixed in.
fn hostile() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..4096).prop_map(|bytes| (bytes.clone(), bytes)),
        2 => prop::collection::vec(piece(), 0..12).prop_map(|pieces| {
            let to_server = pieces.iter().flat_map(|piece| encode_piece(piece, true)).collect();
            let to_client = pieces.iter().flat_map(|piece| encode_piece(piece, false)).collect();
            (to_server, to_client)
        }),
    ]
}

/// Small receive limits, so that hostile input reaches them.
fn limited() -> Config {
    Config::new().with_max_frame_len(1024).with_max_message_len(4096)
}

// ---------------------------------------------------------------------------
// Frame headers and masking.
// ---------------------------------------------------------------------------

/// A data frame's payload length: each length form, and its boundaries.
fn data_len() -> impl Strategy<Value = u64> {
    prop_oneof![
        0..=125u64,
        126..=0xFFFFu64,
        0x1_0000..=u64::MAX >> 1,
        prop::sample::select(vec![0, 125, 126, 127, 0xFFFF, 0x1_0000, u64::MAX >> 1]),
    ]
}

/// Any header `decode` may produce: a non-reserved opcode, control frames
/// final and at most 125 bytes long.
fn header() -> impl Strategy<Value = FrameHeader> {
    let data = (
        prop::sample::select(vec![OpCode::Continuation, OpCode::Text, OpCode::Binary]),
        any::<bool>(),
        data_len(),
    );
    let control = (
        prop::sample::select(vec![OpCode::Close, OpCode::Ping, OpCode::Pong]),
        Just(true),
        0..=125u64,
    );
    (prop_oneof![data, control], 0..8u8, any::<Option<[u8; 4]>>()).prop_map(
        |((opcode, fin, payload_len), rsv, mask)| FrameHeader {
            fin,
            rsv,
            opcode,
            mask,
            payload_len,
        },
    )
}

/// 14 bytes (the longest header), mostly shaped like a header: any first
/// byte (valid opcodes favoured), any mask bit, and a length in each form
/// with values near every boundary (125/126, 0xFFFF/0x10000, 2^63), or
/// arbitrary bytes.
fn header_bytes() -> impl Strategy<Value = [u8; MAX_HEADER_LEN]> {
    let opcode = prop_oneof![3 => prop::sample::select(vec![0u8, 1, 2, 8, 9, 10]), 1 => 0..16u8];
    let first = (any::<bool>(), prop_oneof![3 => Just(0u8), 1 => 0..8u8], opcode)
        .prop_map(|(fin, rsv, opcode)| u8::from(fin) << 7 | rsv << 4 | opcode);
    let len16 = prop_oneof![0..=130u16, 0xFFF0..=0xFFFFu16, any::<u16>()]
        .prop_map(|len| len.to_be_bytes().to_vec());
    let len64 = prop_oneof![
        0..=130u64,
        0xFFF0..=0x1_0010u64,
        (u64::MAX >> 1) - 4..=(u64::MAX >> 1) + 4,
        any::<u64>(),
    ]
    .prop_map(|len| len.to_be_bytes().to_vec());
    let length =
        prop_oneof![(0..=125u8, Just(Vec::new())), (Just(126u8), len16), (Just(127u8), len64)];
    let shaped = (first, any::<bool>(), length, any::<[u8; MAX_HEADER_LEN]>()).prop_map(
        |(first, masked, (short_len, extended), mut bytes)| {
            bytes[0] = first;
            bytes[1] = short_len | if masked { 0x80 } else { 0 };
            bytes[2..2 + extended.len()].copy_from_slice(&extended);
            bytes
        },
    );
    prop_oneof![4 => shaped, 1 => any::<[u8; MAX_HEADER_LEN]>()]
}

/// Masks byte by byte, the definition in RFC 6455 section 5.3.
fn reference_mask(data: &mut [u8], key: [u8; 4], offset: usize) {
    for (i, byte) in data.iter_mut().enumerate() {
        // `offset % 4 + i` is `offset + i` modulo 4, without overflow.
        *byte ^= key[(offset % 4 + i) % 4];
    }
}

// ---------------------------------------------------------------------------
// Fragments sent one by one.
// ---------------------------------------------------------------------------

/// How the fragments of a message are written.
#[derive(Debug, Clone, Copy)]
enum Mode {
    /// Every fragment with `send_fragment`.
    SendFragment,
    /// Every fragment with `encode_header`, the payload masked separately.
    EncodeHeader,
    /// Each fragment one way or the other.
    Mixed,
}

/// Sends `payload` as a message of `kind` cut at `cuts`, written as `mode`
/// says (`choices` picks per fragment for [`Mode::Mixed`]); masks payloads
/// written after `encode_header` in pieces of `piece` bytes; after fragment
/// `i` (not the last) sends the Ping `pings[i]` if there is one. Returns
/// the bytes written and the transcript the receiver must produce.
#[allow(clippy::too_many_arguments)]
fn send_fragments<S: Side>(
    conn: &mut Connection<S>,
    kind: DataKind,
    payload: &[u8],
    cuts: &[usize],
    mode: Mode,
    choices: &[bool],
    piece: usize,
    pings: &[Option<Vec<u8>>],
) -> Result<(Vec<u8>, Vec<Seen>), TestCaseError> {
    let fragments = split(payload, cuts);
    let count = fragments.len();
    let mut wire = Vec::new();
    let mut seen = Vec::new();
    for (i, fragment) in fragments.iter().enumerate() {
        let fin = i + 1 == count;
        let with_header = match mode {
            Mode::SendFragment => false,
            Mode::EncodeHeader => true,
            Mode::Mixed => choices.get(i).copied().unwrap_or(i % 2 == 0),
        };
        if with_header {
            let mut head = [0u8; MAX_HEADER_LEN];
            let (len, mut mask) =
                conn.encode_header(kind, fragment.len() as u64, fin, &mut head).map_err(fail)?;
            wire.extend_from_slice(&head[..len]);
            prop_assert_eq!(mask.key().is_some(), conn.role() == Role::Client);
            let mut body = fragment.clone();
            mask.apply(&mut []);
            for chunk in body.chunks_mut(piece.max(1)) {
                mask.apply(chunk);
            }
            wire.extend_from_slice(&body);
        } else {
            let mut out = vec![0u8; fragment.len() + MAX_HEADER_LEN];
            let len = conn.send_fragment(kind, fragment, fin, &mut out).map_err(fail)?;
            wire.extend_from_slice(&out[..len]);
        }
        prop_assert_eq!(conn.is_sending_message(), !fin);
        drain(conn, &mut wire)?;
        if let (false, Some(Some(ping))) = (fin, pings.get(i)) {
            conn.ping(ping).map_err(fail)?;
            drain(conn, &mut wire)?;
            seen.push(Seen::Ping(ping.clone()));
        }
    }
    seen.push(match kind {
        DataKind::Text => Seen::Text(String::from_utf8(payload.to_vec()).map_err(fail)?),
        DataKind::Binary => Seen::Binary(payload.to_vec()),
    });
    Ok((wire, seen))
}

/// A message to send in fragments: its type and bytes (text is UTF-8).
fn fragmented_message() -> impl Strategy<Value = (DataKind, Vec<u8>)> {
    prop_oneof![
        text(300).prop_map(|text| (DataKind::Text, text.into_bytes())),
        prop::collection::vec(any::<u8>(), 0..1200).prop_map(|bytes| (DataKind::Binary, bytes)),
    ]
}

fn mode() -> impl Strategy<Value = Mode> {
    prop_oneof![Just(Mode::SendFragment), Just(Mode::EncodeHeader), Just(Mode::Mixed)]
}

// ---------------------------------------------------------------------------
// The properties.
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// Any header `decode` can produce encodes in `encoded_len` bytes and
    /// decodes to itself with that length (also with bytes after it), and
    /// every strict prefix of the encoding asks for more bytes.
    #[test]
    fn header_round_trip(header in header(), trailing in prop::collection::vec(any::<u8>(), 0..4)) {
        let mut out = [0u8; MAX_HEADER_LEN + 4];
        let written = header.encode(&mut out).map_err(fail)?;
        prop_assert_eq!(written, header.encoded_len());
        prop_assert_eq!(FrameHeader::decode(&out[..written]), Ok(Some((header, written))));
        out[written..written + trailing.len()].copy_from_slice(&trailing);
        prop_assert_eq!(
            FrameHeader::decode(&out[..written + trailing.len()]),
            Ok(Some((header, written)))
        );
        for end in 0..written {
            prop_assert_eq!(FrameHeader::decode(&out[..end]), Ok(None), "prefix of {} bytes", end);
        }
    }

    /// `apply_mask` equals the byte-wise definition `data[i] ^ key[(offset
    /// + i) % 4]` for any length, key, offset (up to `usize::MAX`) and
    /// alignment of the slice, touches no byte outside it, and masking in
    /// two pieces (the second's offset advanced by the first's length)
    /// equals masking at once.
    #[test]
    fn masking_matches_bytewise_xor(
        data in prop::collection::vec(any::<u8>(), 0..600),
        key in any::<[u8; 4]>(),
        offset in prop_oneof![0..16usize, any::<usize>(), (usize::MAX - 8)..=usize::MAX],
        start in 0..8usize,
        split in any::<prop::sample::Index>(),
    ) {
        // The data sits at `start` in a larger buffer, between guard bytes.
        let mut original = vec![0xA5u8; start];
        original.extend_from_slice(&data);
        original.extend_from_slice(&[0x5A; 9]);
        let range = start..start + data.len();

        let mut fast = original.clone();
        apply_mask(&mut fast[range.clone()], key, offset);
        let mut slow = original.clone();
        reference_mask(&mut slow[range.clone()], key, offset);
        prop_assert_eq!(&fast, &slow);

        let split = split.index(data.len() + 1);
        let mut pieces = original.clone();
        let (head, tail) = pieces[range].split_at_mut(split);
        apply_mask(head, key, offset);
        apply_mask(tail, key, offset.wrapping_add(split));
        prop_assert_eq!(&pieces, &slow);

        // Masking again restores the data.
        apply_mask(&mut fast[start..start + data.len()], key, offset);
        prop_assert_eq!(fast, original);
    }

    /// Decoding is decided by the bytes alone and never revised: as a
    /// buffer grows, `decode` asks for more bytes until its answer, then
    /// gives that same answer (error or header) for every longer buffer,
    /// and 14 bytes always suffice. A header it accepts obeys the rules
    /// (control frames final and short, length below 2^63) and re-encodes
    /// to exactly the bytes it was decoded from, so only the shortest
    /// length form is accepted.
    #[test]
    fn decode_accepts_only_canonical_headers(bytes in header_bytes()) {
        let mut answer = None;
        for end in 0..=bytes.len() {
            let result = FrameHeader::decode(&bytes[..end]);
            match (&answer, result) {
                (None, Ok(None)) => {}
                (None, result) => answer = Some(result),
                (Some(first), result) => {
                    prop_assert_eq!(first, &result, "answer changed at {} bytes", end);
                }
            }
        }
        let Some(answer) = answer else {
            return Err(TestCaseError::fail("14 bytes did not decide"));
        };
        if let Ok(Some((header, len))) = answer {
            if header.opcode.is_control() {
                prop_assert!(header.fin && header.payload_len <= 125, "{:?}", header);
            }
            prop_assert!(header.payload_len >> 63 == 0);
            prop_assert!(header.rsv < 8);
            let mut out = [0u8; MAX_HEADER_LEN];
            let written = header.encode(&mut out).map_err(fail)?;
            prop_assert_eq!(&out[..written], &bytes[..len]);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Messages (text, binary, Pings, optionally a closing Close) sent by a
    /// client with any mask keys and any fragment size arrive at a server
    /// as exactly those messages in order, and the server answers with a
    /// Pong per Ping and the Close echo; the same from server to client.
    /// The senders' frames are masked exactly when a client sent them and
    /// respect the fragment size.
    #[test]
    fn messages_round_trip_both_directions(
        messages in prop::collection::vec(message(), 0..8),
        close in closing(),
        fragment_size in fragment_size(),
        seed in any::<u64>(),
    ) {
        let want = expected(&messages, close.as_ref());
        let replies = expected_replies(&messages, close.as_ref());

        let mut sender = client(fragment_size, seed);
        let wire = transmit(&mut sender, &messages, close.as_ref())?;
        check_sent_frames(&wire, true, fragment_size)?;
        let mut receiver = server(None);
        let got = read(&mut receiver, &wire, &[], wire.len() + 131)?;
        prop_assert_eq!(&got.seen, &want);
        check_replies(&got.sent, false, &replies)?;

        let mut sender = server(fragment_size);
        let wire = transmit(&mut sender, &messages, close.as_ref())?;
        check_sent_frames(&wire, false, fragment_size)?;
        let mut receiver = client(None, seed.rotate_left(17));
        let got = read(&mut receiver, &wire, &[], wire.len() + 131)?;
        prop_assert_eq!(&got.seen, &want);
        check_replies(&got.sent, true, &replies)?;
    }

    /// The wire bytes of the round trip, delivered in any chunks and read
    /// through a reader buffer of any size from 131 bytes, give the same
    /// messages and the same `poll_transmit` bytes as delivered whole.
    #[test]
    fn chunking_does_not_change_events(
        messages in prop::collection::vec(message(), 0..6),
        close in closing(),
        fragment_size in fragment_size(),
        seed in any::<u64>(),
        delivery in delivery(),
        capacity in prop_oneof![131..300usize, 300..20_000usize],
    ) {
        let want = expected(&messages, close.as_ref());

        let wire = transmit(&mut client(fragment_size, seed), &messages, close.as_ref())?;
        let whole = read(&mut server(None), &wire, &[], wire.len() + 131)?;
        prop_assert_eq!(&whole.seen, &want);
        let chunked = read(&mut server(None), &wire, &delivery.cuts(wire.len()), capacity)?;
        prop_assert_eq!(&chunked, &whole);

        let wire = transmit(&mut server(fragment_size), &messages, close.as_ref())?;
        let receiver_seed = seed ^ 0x9E37_79B9_7F4A_7C15;
        let whole = read(&mut client(None, receiver_seed), &wire, &[], wire.len() + 131)?;
        prop_assert_eq!(&whole.seen, &want);
        let cuts = delivery.cuts(wire.len());
        let chunked = read(&mut client(None, receiver_seed), &wire, &cuts, capacity)?;
        prop_assert_eq!(&chunked, &whole);
    }

    /// A message cut into any fragments, written with `send_fragment`, with
    /// `encode_header` plus `PayloadMask` (applied in pieces of any size),
    /// or a mix of both, with Pings between fragments, arrives as the same
    /// message after those Pings; both from client to server and from
    /// server to client.
    #[test]
    fn send_fragment_sequences_round_trip(
        (kind, payload) in fragmented_message(),
        cuts in cuts(1200),
        mode in mode(),
        choices in prop::collection::vec(any::<bool>(), 25),
        piece in 1..20usize,
        pings in prop::collection::vec(
            prop::option::weighted(0.2, prop::collection::vec(any::<u8>(), 0..=125)),
            25,
        ),
        seed in any::<u64>(),
    ) {
        let mut sender = client(None, seed);
        let (wire, want) =
            send_fragments(&mut sender, kind, &payload, &cuts, mode, &choices, piece, &pings)?;
        check_sent_frames(&wire, true, None)?;
        let got = read(&mut server(None), &wire, &[], wire.len() + 131)?;
        prop_assert_eq!(&got.seen, &want);

        let mut sender = server(None);
        let (wire, want) =
            send_fragments(&mut sender, kind, &payload, &cuts, mode, &choices, piece, &pings)?;
        check_sent_frames(&wire, false, None)?;
        let got = read(&mut client(None, seed), &wire, &[], wire.len() + 131)?;
        prop_assert_eq!(&got.seen, &want);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Hostile bytes (arbitrary, or frame sequences with invalid frames and
    /// junk mixed in) fed to a server and to a client with small limits, in
    /// any chunking: no panic; `consumed` stays within the buffer; every
    /// completed text message is valid UTF-8; on an error, draining
    /// `poll_transmit` yields exactly one Close carrying the error's close
    /// code (valid on the wire), unless a Close was already sent, and later
    /// calls return the same error. The outcome does not depend on the
    /// chunking.
    #[test]
    fn arbitrary_bytes_never_panic_and_failures_queue_a_valid_close(
        (to_server, to_client) in hostile(),
        delivery in delivery(),
        capacity in prop_oneof![131..300usize, 300..10_000usize],
        seed in any::<u64>(),
    ) {
        let whole = read(&mut Connection::server(limited()), &to_server, &[], to_server.len() + 131)?;
        let cuts = delivery.cuts(to_server.len());
        let chunked = read(&mut Connection::server(limited()), &to_server, &cuts, capacity)?;
        prop_assert_eq!(chunked, whole);

        let make = || Connection::client(limited(), keys(seed));
        let whole = read(&mut make(), &to_client, &[], to_client.len() + 131)?;
        let cuts = delivery.cuts(to_client.len());
        let chunked = read(&mut make(), &to_client, &cuts, capacity)?;
        prop_assert_eq!(chunked, whole);
    }

    /// The receive limits are exact: a binary message whose frames are all
    /// at most `max_frame_len` long and whose total is at most
    /// `max_message_len` arrives whole; otherwise the first frame that is
    /// too long fails the connection with `FrameTooLarge`, or the first
    /// frame that takes the total past the limit with `MessageTooLarge`
    /// (with the Close that goes with it), whatever the chunking.
    #[test]
    fn limits_are_enforced_exactly(
        frame_limit in limit(300),
        message_limit in limit(1000),
        sizes in prop::collection::vec(prop_oneof![0..400usize, 0..4usize], 1..8),
        key in any::<[u8; 4]>(),
        delivery in delivery(),
        capacity in 131..2000usize,
    ) {
        let lens: Vec<u64> = sizes.iter().map(|&size| size as u64).collect();
        let totals: Vec<u64> = lens.iter().scan(0, |total, len| {
            *total += len;
            Some(*total)
        }).collect();
        let max_frame_len = frame_limit.resolve(&lens);
        let max_message_len = message_limit.resolve(&totals);
        let mut wire = Vec::new();
        let mut message = Vec::new();
        let mut total = 0u64;
        let mut error = None;
        for (i, &size) in sizes.iter().enumerate() {
            let payload = vec![u8::try_from(i).unwrap_or(0); size];
            let fin = if i + 1 == sizes.len() { 0x80 } else { 0 };
            let opcode = if i == 0 { 0x2 } else { 0x0 };
            wire.extend(raw(fin | opcode, &payload, Some(key), None, 0));
            message.extend_from_slice(&payload);
            let len = size as u64;
            if error.is_none() {
                if len > max_frame_len {
                    error = Some(ProtocolError::FrameTooLarge);
                } else if total + len > max_message_len {
                    error = Some(ProtocolError::MessageTooLarge);
                }
            }
            total += len;
        }
        let want = vec![error.map_or(Seen::Binary(message), Seen::Error)];
        let config = Config::new().with_max_frame_len(max_frame_len).with_max_message_len(max_message_len);
        let cuts = delivery.cuts(wire.len());
        let got = read(&mut Connection::server(config), &wire, &cuts, capacity)?;
        prop_assert_eq!(got.seen, want);
    }
}
