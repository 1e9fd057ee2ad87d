//! Property tests of permessage-deflate (RFC 7692) between connections.
//!
//! A connection keeps only the agreed parameters: the compressor and the
//! inflater are the caller's, lent to each call. Messages here go out
//! through both kinds of compressor:
//!
//! - one per connection that keeps context ([`Context::Kept`]), sized for
//!   any window (the connection resets it when it agreed to no context
//!   takeover);
//! - one that resets ([`Context::Reset`]), shared by several connections
//!   with different windows and takeover, their messages interleaved;
//!
//! and come in through inflaters lent four ways ([`Lending`]): one held for
//! the whole connection; one released or replaced, with a fresh window,
//! whenever the connection says it is idle; one made only when
//! `needs_inflater` asks for it and given back when idle; one shared by
//! several receivers, lent message by message.
//!
//! A fixed grid runs every window size 8..=15 in both directions at every
//! level 0..=9 in both modes; random negotiations, messages (text and
//! binary, empty to larger than any window, repeating inside and beyond
//! the window, repeating the previous message) and chunkings run on top.
//! Every message must arrive exactly as sent, and every compressed message
//! on the wire goes through an independent DEFLATE decoder
//! ([`deflate_ref`]): RSV1 exactly where `send_with` must compress, the
//! payload inflates to the message, no back-reference reaches farther
//! than the agreed window, and none reaches into an earlier message
//! unless the sender keeps context.

mod deflate_ref;

use barews::ProtocolError;
use barews::close::CloseCode;
use barews::config::Config;
use barews::connection::{Connection, DataKind, Event, Received, SendError, Side};
use barews::deflate::{Compressor, Context, DeflateConfig, DeflateParams, Inflater};
use barews::frame::{FrameHeader, OpCode, RSV1, apply_mask};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::ops::Range;

/// The bytes RFC 7692 section 7.2.2 puts back before inflating.
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// The largest window, in bytes.
const MAX_WINDOW: usize = 1 << 15;

/// Compressor memory on the heap.
type Memory = Vec<u8>;

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
        usize::try_from(self.next() % u64::try_from(n.max(1)).unwrap()).unwrap()
    }
}

/// Mask keys for a client, from a seed.
fn keys(seed: u64) -> impl FnMut() -> [u8; 4] + 'static {
    let mut rng = Rng(seed);
    move || {
        let bytes = rng.next().to_le_bytes();
        [bytes[0], bytes[1], bytes[2], bytes[3]]
    }
}

/// The connection methods the tests use, so that clients and servers
/// (different types) can sit side by side.
trait End {
    fn send(&mut self, kind: DataKind, payload: &[u8], out: &mut [u8]) -> Result<usize, SendError>;
    fn send_with(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        out: &mut [u8],
        compressor: &mut Compressor<Memory>,
    ) -> Result<usize, SendError>;
    fn send_fragment(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        fin: bool,
        out: &mut [u8],
    ) -> Result<usize, SendError>;
    fn receive<'b>(&mut self, buf: &'b mut [u8]) -> Result<Received<'b>, ProtocolError>;
    fn receive_inflating<'b>(
        &mut self,
        buf: &'b mut [u8],
        inflater: &mut Inflater,
        window: &'b mut [u8],
    ) -> Result<Received<'b>, ProtocolError>;
    fn needs_inflater(&self, buf: &[u8]) -> bool;
    fn inflater_idle(&self) -> bool;
    fn inflate_window_size(&self) -> usize;
    fn compression_window(&self) -> Option<(u8, bool)>;
    fn compression_level(&self) -> Option<u8>;
    fn own_compressor(&self) -> Option<Compressor<Memory>>;
    fn poll_transmit(&mut self, out: &mut [u8]) -> usize;
    fn failure(&self) -> Option<ProtocolError>;
}

impl<S: Side> End for Connection<S> {
    fn send(&mut self, kind: DataKind, payload: &[u8], out: &mut [u8]) -> Result<usize, SendError> {
        Connection::send(self, kind, payload, out)
    }
    fn send_with(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        out: &mut [u8],
        compressor: &mut Compressor<Memory>,
    ) -> Result<usize, SendError> {
        Connection::send_with(self, kind, payload, out, compressor)
    }
    fn send_fragment(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        fin: bool,
        out: &mut [u8],
    ) -> Result<usize, SendError> {
        Connection::send_fragment(self, kind, payload, fin, out)
    }
    fn receive<'b>(&mut self, buf: &'b mut [u8]) -> Result<Received<'b>, ProtocolError> {
        Connection::receive(self, buf)
    }
    fn receive_inflating<'b>(
        &mut self,
        buf: &'b mut [u8],
        inflater: &mut Inflater,
        window: &'b mut [u8],
    ) -> Result<Received<'b>, ProtocolError> {
        Connection::receive_inflating(self, buf, inflater, window)
    }
    fn needs_inflater(&self, buf: &[u8]) -> bool {
        Connection::needs_inflater(self, buf)
    }
    fn inflater_idle(&self) -> bool {
        Connection::inflater_idle(self)
    }
    fn inflate_window_size(&self) -> usize {
        Connection::inflate_window_size(self)
    }
    fn compression_window(&self) -> Option<(u8, bool)> {
        Connection::compression_window(self)
    }
    fn compression_level(&self) -> Option<u8> {
        Connection::compression_level(self)
    }
    fn own_compressor(&self) -> Option<Compressor<Memory>> {
        Connection::own_compressor(self)
    }
    fn poll_transmit(&mut self, out: &mut [u8]) -> usize {
        Connection::poll_transmit(self, out).expect("131 bytes hold any control frame")
    }
    fn failure(&self) -> Option<ProtocolError> {
        Connection::failure(self)
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
    /// The fragment size the sender uses, if any.
    fragment: Option<usize>,
}

fn end_config() -> impl Strategy<Value = EndConfig> {
    (
        any::<bool>(),
        any::<bool>(),
        8u8..=15,
        prop::option::of(8u8..=15),
        0u8..=9,
        prop_oneof![Just(0usize), 1usize..64],
        prop::option::of(prop_oneof![1 => 1usize..16, 4 => 16usize..4096]),
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
    /// Wishes for `bits`-bit windows both ways, context takeover allowed.
    fn both_ways(bits: u8, level: u8, fragment: Option<usize>) -> Self {
        EndConfig {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_bits: bits,
            client_bits: Some(bits),
            level,
            min_size: 0,
            fragment,
        }
    }

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

/// The negotiated parameters, compared by what the wire depends on.
fn agreed(params: &DeflateParams) -> (bool, bool, u8, u8) {
    (
        params.server_no_context_takeover,
        params.client_no_context_takeover,
        params.server_max_window_bits,
        params.client_max_window_bits,
    )
}

/// Negotiates as a client with `client`'s wishes offering to a server with
/// `server`'s, checks that both ends agree and that each got what it
/// asked for, and returns the client's parameters and the server's.
fn negotiate(
    client: &EndConfig,
    server: &EndConfig,
) -> Result<(DeflateParams, DeflateParams), TestCaseError> {
    let mut offer = String::new();
    client.deflate().write_offer(&mut offer).map_err(fail)?;
    let server_params = server
        .deflate()
        .accept_offer([offer.as_str()])
        .ok_or_else(|| fail(format!("server declined {offer}")))?;
    let mut response = String::new();
    server_params.write_response(&mut response).map_err(fail)?;
    let client_params = client.deflate().accept_response(&response).map_err(fail)?;
    prop_assert_eq!(agreed(&client_params), agreed(&server_params), "{} / {}", offer, response);
    let (server_nct, client_nct, server_bits, client_bits) = agreed(&server_params);
    prop_assert!(server_nct >= client.server_no_context_takeover);
    prop_assert!(server_nct >= server.server_no_context_takeover);
    prop_assert!(client_nct >= client.client_no_context_takeover);
    prop_assert!(client_nct >= server.client_no_context_takeover);
    prop_assert!(server_bits <= client.server_bits && server_bits <= server.server_bits);
    prop_assert!(client.client_bits.is_none_or(|bits| client_bits <= bits));
    prop_assert!((8..=15).contains(&server_bits) && (8..=15).contains(&client_bits));
    Ok((client_params, server_params))
}

/// A connected pair: the client's end, the server's, and the parameters
/// they agreed.
type Pair = (Box<dyn End>, Box<dyn End>, DeflateParams);

/// Connects a client with `client`'s wishes to a server with `server`'s.
fn connect(client: &EndConfig, server: &EndConfig, key_seed: u64) -> Result<Pair, TestCaseError> {
    let (client_params, server_params) = negotiate(client, server)?;
    let client_end =
        Connection::client(client.config(), keys(key_seed)).with_deflate(client_params);
    let server_end = Connection::server(server.config()).with_deflate(server_params);
    // Each end compresses with its own window and inflates with the
    // other's, and no more.
    let (server_nct, client_nct, server_bits, client_bits) = agreed(&server_params);
    prop_assert_eq!(client_end.compression_window(), Some((client_bits, client_nct)));
    prop_assert_eq!(server_end.compression_window(), Some((server_bits, server_nct)));
    prop_assert_eq!(server_end.inflate_window_size(), 1usize << client_bits);
    prop_assert_eq!(client_end.inflate_window_size(), 1usize << server_bits);
    prop_assert_eq!(client_end.compression_level(), Some(client.level));
    prop_assert_eq!(server_end.compression_level(), Some(server.level));
    Ok((Box::new(client_end), Box::new(server_end), server_params))
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
    /// The previous message of the same sender again (empty when there is
    /// none): a back-reference into it is there for the taking.
    Again,
}

/// How the sender sends a message.
#[derive(Debug, Clone)]
enum Sending {
    /// `send_with`: compressed when at least the minimum size, fragmented
    /// by the configured fragment size.
    Compressing,
    /// `send`: never compressed.
    Plain,
    /// `send_fragment` at these cut points: uncompressed frames (RFC 7692
    /// lets an end leave any message uncompressed).
    Fragments(Vec<u64>),
}

#[derive(Debug, Clone)]
struct MessageSpec {
    kind: DataKind,
    len: usize,
    shape: Shape,
    seed: u64,
    sending: Sending,
    /// The output buffer the first attempt gets: too small ones must be
    /// refused with nothing changed.
    out_len: usize,
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
        2 => (1usize..300).prop_map(|period| Shape::Repeated { period }),
        2 => (300usize..2500).prop_map(|period| Shape::Repeated { period }),
        1 => (2500usize..40_000).prop_map(|period| Shape::Repeated { period }),
        1 => Just(Shape::Random),
        1 => Just(Shape::Again),
    ];
    let sending = prop_oneof![
        6 => Just(Sending::Compressing),
        1 => Just(Sending::Plain),
        1 => prop::collection::vec(any::<u64>(), 0..6).prop_map(Sending::Fragments),
    ];
    (any::<bool>(), len, shape, any::<u64>(), sending, 0usize..4096).prop_map(
        |(text, len, shape, seed, sending, out_len)| MessageSpec {
            kind: if text { DataKind::Text } else { DataKind::Binary },
            len,
            shape,
            seed,
            sending,
            out_len,
        },
    )
}

impl MessageSpec {
    /// A message compressed with `send_with`, tried first with no output
    /// buffer at all.
    fn compressing(kind: DataKind, len: usize, shape: Shape, seed: u64) -> Self {
        MessageSpec { kind, len, shape, seed, sending: Sending::Compressing, out_len: 0 }
    }

    /// The payload: about `len` bytes (text stops at a character
    /// boundary), valid UTF-8 for text. [`Shape::Again`] is the sender's
    /// to resolve.
    fn payload(&self) -> Vec<u8> {
        const CHARS: [char; 12] = ['a', 'b', 'c', ' ', '{', '"', ':', '1', 'é', 'Ж', '中', '🦀'];
        let mut rng = Rng(self.seed);
        let period = match self.shape {
            Shape::Repeated { period } => period,
            Shape::Random | Shape::Again => self.len.max(1),
        };
        match self.kind {
            DataKind::Binary => {
                let phrase: Vec<u8> =
                    (0..period.min(self.len)).map(|_| rng.next().to_le_bytes()[0]).collect();
                let mut out: Vec<u8> = phrase.iter().copied().cycle().take(self.len).collect();
                for _ in 0..self.len / 512 {
                    let at = rng.below(out.len());
                    out[at] ^= 0x5a;
                }
                out
            }
            DataKind::Text => {
                let phrase: Vec<char> =
                    (0..period.min(self.len)).map(|_| CHARS[rng.below(CHARS.len())]).collect();
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

/// How the network delivers a byte stream.
#[derive(Debug, Clone)]
enum Delivery {
    /// Cut at these points, each taken modulo the length plus one.
    Cuts(Vec<u64>),
    /// In chunks of 1 to `max` bytes, sized by a generator.
    Chunks { seed: u64, max: usize },
}

fn delivery() -> impl Strategy<Value = Delivery> {
    prop_oneof![
        3 => prop::collection::vec(any::<u64>(), 0..40).prop_map(Delivery::Cuts),
        1 => (any::<u64>(), 1usize..200).prop_map(|(seed, max)| Delivery::Chunks { seed, max }),
    ]
}

impl Delivery {
    fn pieces<'a>(&self, bytes: &'a [u8]) -> Vec<&'a [u8]> {
        match self {
            Delivery::Cuts(cuts) => split(bytes, cuts),
            Delivery::Chunks { seed, max } => {
                let mut rng = Rng(*seed);
                let mut pieces = Vec::new();
                let mut rest = bytes;
                while !rest.is_empty() {
                    let (piece, tail) = rest.split_at((1 + rng.below(*max)).min(rest.len()));
                    pieces.push(piece);
                    rest = tail;
                }
                pieces
            }
        }
    }
}

/// `bytes` cut at `cuts`, each taken modulo the length plus one.
fn split<'a>(bytes: &'a [u8], cuts: &[u64]) -> Vec<&'a [u8]> {
    let modulus = u64::try_from(bytes.len()).unwrap() + 1;
    let mut points: Vec<usize> =
        cuts.iter().map(|&cut| usize::try_from(cut % modulus).unwrap()).collect();
    points.sort_unstable();
    let mut pieces = Vec::new();
    let mut start = 0;
    for point in points.into_iter().chain(std::iter::once(bytes.len())) {
        pieces.push(&bytes[start..point]);
        start = point;
    }
    pieces
}

/// A message as sent.
struct Sent {
    kind: DataKind,
    payload: Vec<u8>,
    /// Sent with `send_with` at least the minimum size: RSV1 expected.
    compressed: bool,
    /// Where its frames lie in the sender's wire bytes.
    frames: Range<usize>,
}

/// One direction's sending side: what went on the wire.
#[derive(Default)]
struct Sender {
    min_size: usize,
    wire: Vec<u8>,
    sent: Vec<Sent>,
    out: Vec<u8>,
}

impl Sender {
    fn new(min_size: usize) -> Self {
        Sender { min_size, ..Sender::default() }
    }

    /// Sends one message as `spec` says, compressing with `compressor`
    /// when it is sent with `send_with`.
    fn send(
        &mut self,
        conn: &mut dyn End,
        spec: &MessageSpec,
        compressor: &mut Compressor<Memory>,
    ) -> Result<(), TestCaseError> {
        let (kind, payload) = match spec.shape {
            Shape::Again => {
                self.sent.last().map_or((spec.kind, Vec::new()), |m| (m.kind, m.payload.clone()))
            }
            _ => (spec.kind, spec.payload()),
        };
        let start = self.wire.len();
        match &spec.sending {
            sending @ (Sending::Compressing | Sending::Plain) => {
                const UNTOUCHED: u8 = 0xa5;
                let compressing = matches!(sending, Sending::Compressing);
                let mut attempt = |out: &mut [u8]| {
                    if compressing {
                        conn.send_with(kind, &payload, out, compressor)
                    } else {
                        conn.send(kind, &payload, out)
                    }
                };
                self.out.clear();
                self.out.resize(spec.out_len, UNTOUCHED);
                let n = match attempt(&mut self.out) {
                    Ok(n) => n,
                    Err(SendError::BufferTooSmall { required }) => {
                        prop_assert!(required > spec.out_len, "{} bytes refused", spec.out_len);
                        prop_assert!(
                            self.out.iter().all(|&b| b == UNTOUCHED),
                            "a refused send wrote into the buffer"
                        );
                        self.out.resize(required, UNTOUCHED);
                        // The size asked for is enough, and the refused
                        // attempt changed nothing (the compressor's
                        // history included: the reference decoder would
                        // see it).
                        attempt(&mut self.out).map_err(fail)?
                    }
                    Err(error) => return Err(fail(error)),
                };
                self.wire.extend_from_slice(&self.out[..n]);
            }
            Sending::Fragments(cuts) => {
                let pieces = split(&payload, cuts);
                for (i, piece) in pieces.iter().enumerate() {
                    let fin = i + 1 == pieces.len();
                    self.out.resize(piece.len() + 14, 0);
                    let n = conn.send_fragment(kind, piece, fin, &mut self.out).map_err(fail)?;
                    self.wire.extend_from_slice(&self.out[..n]);
                }
            }
        }
        let compressed =
            matches!(spec.sending, Sending::Compressing) && payload.len() >= self.min_size;
        self.sent.push(Sent { kind, payload, compressed, frames: start..self.wire.len() });
        Ok(())
    }

    /// What a receiver must end up with.
    fn expected(&self) -> Vec<(DataKind, Vec<u8>)> {
        self.sent.iter().map(|m| (m.kind, m.payload.clone())).collect()
    }

    fn compressed(&self) -> Vec<bool> {
        self.sent.iter().map(|m| m.compressed).collect()
    }
}

/// How a receiver holds its inflater and window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lending {
    /// One inflater and window for the whole connection.
    Kept,
    /// Released (or replaced by a new one), with a fresh window full of
    /// other bytes, whenever the connection says it is idle.
    Released,
    /// Made only when `needs_inflater` asks for it, given back when the
    /// connection is idle; plain `receive` while there is none.
    Lazy,
    /// The pool's, shared with other receivers, lent message by message.
    Shared,
}

fn lending() -> impl Strategy<Value = Lending> {
    prop_oneof![
        Just(Lending::Kept),
        Just(Lending::Released),
        Just(Lending::Lazy),
        Just(Lending::Shared),
    ]
}

impl Lending {
    /// This lending, or [`Lending::Kept`] for a shared inflater when the
    /// peer keeps context (which ties the inflater to one connection).
    fn given(self, peer_resets: bool) -> Self {
        if self == Lending::Shared && !peer_resets { Lending::Kept } else { self }
    }
}

/// An inflater and window shared by receivers whose peers reset.
struct Pool {
    inflater: Inflater,
    window: Vec<u8>,
}

impl Pool {
    fn new() -> Self {
        Pool { inflater: Inflater::new(), window: vec![0x5c; MAX_WINDOW] }
    }
}

/// One direction's receiving side.
struct Receiver {
    lending: Lending,
    /// The peer starts each message afresh (it agreed to no context
    /// takeover).
    peer_resets: bool,
    own: Option<(Inflater, Vec<u8>)>,
    buf: Vec<u8>,
    current: Option<(DataKind, Vec<u8>)>,
    messages: Vec<(DataKind, Vec<u8>)>,
    /// Which of the messages to come are compressed, in order.
    compressed: Vec<bool>,
    /// How often the inflater was released or replaced.
    releases: usize,
    /// What fresh windows are filled with.
    fill: u8,
}

impl Receiver {
    fn new(lending: Lending, peer_resets: bool) -> Self {
        Receiver {
            lending,
            peer_resets,
            own: None,
            buf: Vec::new(),
            current: None,
            messages: Vec::new(),
            compressed: Vec::new(),
            releases: 0,
            fill: 0x33,
        }
    }

    /// A window of `size` bytes holding none of the bytes of the last.
    fn fresh_window(&mut self, size: usize) -> Vec<u8> {
        self.fill = self.fill.wrapping_add(0x3b);
        vec![self.fill; size]
    }

    /// Appends `chunk` to the buffer and drains events as a reader would.
    fn feed(
        &mut self,
        conn: &mut dyn End,
        chunk: &[u8],
        pool: &mut Pool,
    ) -> Result<(), ProtocolError> {
        self.buf.extend_from_slice(chunk);
        loop {
            let size = conn.inflate_window_size();
            let wanted = match self.lending {
                Lending::Kept | Lending::Released => true,
                Lending::Lazy => conn.needs_inflater(&self.buf),
                Lending::Shared => false,
            };
            if self.own.is_none() && wanted {
                let window = self.fresh_window(size);
                self.own = Some((Inflater::new(), window));
            }
            let received = match (self.lending, &mut self.own) {
                (Lending::Shared, _) => conn.receive_inflating(
                    &mut self.buf,
                    &mut pool.inflater,
                    &mut pool.window[..size],
                ),
                (_, Some((inflater, window))) => {
                    conn.receive_inflating(&mut self.buf, inflater, window)
                }
                (_, None) => conn.receive(&mut self.buf),
            }?;
            let consumed = received.consumed;
            let event = received.event.is_some();
            let mut ended = false;
            match received.event {
                Some(Event::Data { kind, payload, first, last }) => {
                    assert_eq!(first, self.current.is_none(), "first flag out of step");
                    let message = self.current.get_or_insert_with(|| (kind, Vec::new()));
                    assert_eq!(message.0, kind, "kind changed inside a message");
                    message.1.extend_from_slice(payload);
                    ended = last;
                }
                Some(other) => panic!("unexpected event {other:?}"),
                None => {}
            }
            self.buf.drain(..consumed);
            if ended {
                self.message_ended(&*conn, pool);
            } else if self.current.is_some()
                && self.compressed.get(self.messages.len()) == Some(&true)
            {
                assert!(!conn.inflater_idle(), "idle inside a compressed message");
                assert!(conn.needs_inflater(&self.buf), "no inflater inside a compressed message");
            }
            if consumed == 0 && !event {
                return Ok(());
            }
        }
    }

    /// After a message's last chunk: checks what the connection says of
    /// the inflater, and gives it back as the lending says.
    fn message_ended(&mut self, conn: &dyn End, pool: &Pool) {
        let message = self.current.take().unwrap();
        self.messages.push(message);
        let idle = conn.inflater_idle();
        // Between messages, only the peer's context holds the inflater.
        assert_eq!(idle, self.peer_resets, "inflater_idle between messages");
        if self.peer_resets {
            // The connection gave the decompressor's state back.
            let held = self.own.as_ref().is_some_and(|(inflater, _)| inflater.is_active());
            assert!(!held && !pool.inflater.is_active(), "inflater state kept after a message");
        }
        if !idle {
            return;
        }
        match self.lending {
            Lending::Released => {
                let size = conn.inflate_window_size();
                let window = self.fresh_window(size);
                if let Some((inflater, old)) = &mut self.own {
                    if self.releases.is_multiple_of(2) {
                        inflater.release();
                    } else {
                        *inflater = Inflater::new();
                    }
                    *old = window;
                }
                self.releases += 1;
            }
            Lending::Lazy => self.own = None,
            Lending::Kept | Lending::Shared => {}
        }
    }

    /// Checks that nothing was left half-read.
    fn finish(&self) -> Result<(), TestCaseError> {
        prop_assert!(self.buf.is_empty(), "{} bytes left unread", self.buf.len());
        prop_assert!(self.current.is_none(), "a message was left unfinished");
        Ok(())
    }
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
        prop_assert_eq!(header.rsv & !RSV1, 0, "RSV2 or RSV3 set");
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
    prop_assert!(current.is_none(), "the last message is unfinished");
    Ok(messages)
}

/// The farthest back-reference of each message: `None` for one sent
/// uncompressed.
type Distances = Vec<Option<usize>>;

/// Checks what a sender wrote with the reference decoder: RSV1 exactly on
/// the messages that must be compressed, each inflating to what was sent
/// within the compressor's bound, with no back-reference farther than
/// `2^bits` bytes, and into earlier messages only when `keeps_context`.
/// Returns the farthest back-reference of each compressed message.
fn check_wire(
    sender: &Sender,
    bits: u8,
    keeps_context: bool,
    level: u8,
) -> Result<Distances, TestCaseError> {
    let messages = wire_messages(&sender.wire)?;
    prop_assert_eq!(messages.len(), sender.sent.len());
    let mut history = Vec::new();
    let mut distances = vec![None; messages.len()];
    for (i, ((compressed, payload), sent)) in messages.into_iter().zip(&sender.sent).enumerate() {
        prop_assert_eq!(
            compressed,
            sent.compressed,
            "RSV1 of a {}-byte message",
            sent.payload.len()
        );
        if !compressed {
            prop_assert_eq!(&payload, &sent.payload);
            continue;
        }
        prop_assert!(payload.len() <= Compressor::<Memory>::bound(sent.payload.len()));
        if !keeps_context {
            history.clear();
        }
        let start = history.len();
        let mut data = payload.clone();
        data.extend_from_slice(&TAIL);
        let decoded = deflate_ref::inflate(&data, &mut history)
            .map_err(|error| fail(format!("{error:?} in a {bits}-bit window at level {level}")))?;
        prop_assert!(
            history[start..] == sent.payload[..],
            "reference inflate differs from the {}-byte message",
            sent.payload.len()
        );
        prop_assert!(
            decoded.max_distance <= 1 << bits,
            "back-reference of {} bytes with a {}-bit window at level {}",
            decoded.max_distance,
            bits,
            level
        );
        if level == 0 {
            prop_assert_eq!(decoded.max_distance, 0, "level 0 must only store");
        }
        distances[i] = Some(decoded.max_distance);
        // Something that repeats every few bytes must shrink.
        if level > 0 && sent.payload.len() >= 2048 && is_periodic(&sent.payload, 64) {
            prop_assert!(
                payload.len() < sent.payload.len() / 2,
                "{} bytes compressed to {} at level {}",
                sent.payload.len(),
                payload.len(),
                level
            );
        }
        // Keep the history as long as the farthest reference needs.
        if history.len() > 2 * MAX_WINDOW {
            history.drain(..history.len() - MAX_WINDOW);
        }
    }
    Ok(distances)
}

/// Whether `bytes` mostly repeat with a period of at most `max`.
fn is_periodic(bytes: &[u8], max: usize) -> bool {
    let bytes = &bytes[..bytes.len().min(1024)];
    (1..=max).any(|p| {
        let same = bytes.iter().zip(&bytes[p..]).filter(|(a, b)| a == b).count();
        same * 10 >= (bytes.len() - p) * 9
    })
}

/// A per-connection compressor that keeps context, for windows of up to
/// `bits`: the connection's own when `bits` is `None`.
fn kept_compressor(conn: &dyn End, bits: Option<u8>) -> Result<Compressor<Memory>, TestCaseError> {
    let level = conn.compression_level().ok_or_else(|| fail("no deflate"))?;
    let (own_bits, resets) = conn.compression_window().ok_or_else(|| fail("no deflate"))?;
    let compressor = match (bits, conn.own_compressor()) {
        (None, Some(own)) => {
            prop_assert!(!resets, "an own compressor though the connection resets");
            prop_assert_eq!(
                own.memory().len(),
                Compressor::<Memory>::memory_size(own_bits, level, Context::Kept)
            );
            own
        }
        (None, None) => {
            prop_assert!(resets, "no own compressor though the connection keeps context");
            Compressor::new(own_bits, level, Context::Kept)
        }
        (Some(bits), _) => Compressor::new(bits, level, Context::Kept),
    };
    prop_assert_eq!(compressor.context(), Context::Kept);
    prop_assert_eq!(compressor.level(), level);
    Ok(compressor)
}

/// Both directions of a connected pair, each sender with a compressor of
/// its own that keeps context: sends everything, delivers it as `up` and
/// `down` say, and checks what arrived and what went on the wire.
struct KeptRun<'a> {
    client: &'a EndConfig,
    server: &'a EndConfig,
    to_server: &'a [MessageSpec],
    to_client: &'a [MessageSpec],
    up: &'a Delivery,
    down: &'a Delivery,
    /// The windows the compressors are sized for (client's, server's):
    /// `None` for the connection's `own_compressor`.
    compressor_bits: (Option<u8>, Option<u8>),
    /// How the server and the client hold their inflaters.
    lending: (Lending, Lending),
    key_seed: u64,
}

impl KeptRun<'_> {
    /// Returns the farthest back-reference of each compressed message,
    /// client to server and server to client.
    fn run(&self) -> Result<(Distances, Distances), TestCaseError> {
        let (mut client, mut server, params) = connect(self.client, self.server, self.key_seed)?;
        let (server_nct, client_nct, server_bits, client_bits) = agreed(&params);
        let mut client_compressor = kept_compressor(&*client, self.compressor_bits.0)?;
        let mut server_compressor = kept_compressor(&*server, self.compressor_bits.1)?;

        let mut up = Sender::new(self.client.min_size);
        let mut down = Sender::new(self.server.min_size);
        for spec in self.to_server {
            up.send(&mut *client, spec, &mut client_compressor)?;
        }
        for spec in self.to_client {
            down.send(&mut *server, spec, &mut server_compressor)?;
        }

        let mut pool = Pool::new();
        let mut at_server = Receiver::new(self.lending.0, client_nct);
        at_server.compressed = up.compressed();
        let mut at_client = Receiver::new(self.lending.1, server_nct);
        at_client.compressed = down.compressed();
        for chunk in self.up.pieces(&up.wire) {
            at_server.feed(&mut *server, chunk, &mut pool).map_err(fail)?;
        }
        for chunk in self.down.pieces(&down.wire) {
            at_client.feed(&mut *client, chunk, &mut pool).map_err(fail)?;
        }
        at_server.finish()?;
        at_client.finish()?;
        prop_assert!(at_server.messages == up.expected(), "client to server: messages differ");
        prop_assert!(at_client.messages == down.expected(), "server to client: messages differ");

        let up = check_wire(&up, client_bits, !client_nct, self.client.level)?;
        let down = check_wire(&down, server_bits, !server_nct, self.server.level)?;
        Ok((up, down))
    }
}

/// One sending connection and the one receiving from it.
struct Link {
    sender: Box<dyn End>,
    receiver: Box<dyn End>,
    tx: Sender,
    rx: Receiver,
    /// The sender's window, in bits.
    bits: u8,
}

#[derive(Debug, Clone)]
struct LinkSpec {
    client: EndConfig,
    server: EndConfig,
    /// The client sends and the server receives (else the other way).
    client_sends: bool,
    lending: Lending,
    key_seed: u64,
}

fn link_spec() -> impl Strategy<Value = LinkSpec> {
    (end_config(), end_config(), any::<bool>(), lending(), any::<u64>()).prop_map(
        |(client, server, client_sends, lending, key_seed)| LinkSpec {
            client,
            server,
            client_sends,
            lending,
            key_seed,
        },
    )
}

impl Link {
    /// Connects the pair; a receiver sharing the pool's inflater needs a
    /// sender that resets, so the sender asks for it then.
    fn new(spec: &LinkSpec) -> Result<Link, TestCaseError> {
        let (mut client, mut server) = (spec.client.clone(), spec.server.clone());
        if spec.lending == Lending::Shared {
            if spec.client_sends {
                client.client_no_context_takeover = true;
            } else {
                server.server_no_context_takeover = true;
            }
        }
        let (client_end, server_end, _) = connect(&client, &server, spec.key_seed)?;
        let (sender, receiver, min_size) = if spec.client_sends {
            (client_end, server_end, client.min_size)
        } else {
            (server_end, client_end, server.min_size)
        };
        let (bits, resets) = sender.compression_window().ok_or_else(|| fail("no deflate"))?;
        Ok(Link {
            sender,
            receiver,
            tx: Sender::new(min_size),
            rx: Receiver::new(spec.lending, resets),
            bits,
        })
    }
}

/// Sends `schedule` (link picked modulo the count, message, delivery)
/// through `links`, every message compressed by the one shared
/// `compressor`, in that order; then delivers each message in the same
/// order, as the schedule says; checks each receiver got its messages
/// and each sender's wire.
fn run_shared(
    links: &mut [Link],
    compressor: &mut Compressor<Memory>,
    schedule: &[(u64, MessageSpec, Delivery)],
) -> Result<(), TestCaseError> {
    prop_assert_eq!(compressor.context(), Context::Reset);
    let count = u64::try_from(links.len()).unwrap();
    let pick = |n: u64| usize::try_from(n % count).unwrap();
    for (n, spec, _) in schedule {
        let link = &mut links[pick(*n)];
        link.tx.send(&mut *link.sender, spec, compressor)?;
    }
    for link in links.iter_mut() {
        link.rx.compressed = link.tx.compressed();
    }
    let mut pool = Pool::new();
    let mut next = vec![0usize; links.len()];
    for (n, _, delivery) in schedule {
        let i = pick(*n);
        let link = &mut links[i];
        let frames = link.tx.sent[next[i]].frames.clone();
        next[i] += 1;
        for chunk in delivery.pieces(&link.tx.wire[frames]) {
            link.rx.feed(&mut *link.receiver, chunk, &mut pool).map_err(fail)?;
        }
        // Whole messages were delivered: nothing is left in the buffer.
        prop_assert!(link.rx.buf.is_empty() && link.rx.current.is_none());
    }
    for link in links.iter() {
        link.rx.finish()?;
        prop_assert!(link.rx.messages == link.tx.expected(), "a receiver's messages differ");
        // A compressor that resets carries nothing from one message (or
        // connection) to the next, whatever the connection allows.
        let distances = check_wire(&link.tx, link.bits, false, compressor.level())?;
        prop_assert_eq!(distances.len(), link.tx.sent.len());
    }
    Ok(())
}

/// Which of [`grid_messages`] repeats the five bytes before it.
const SHORT_AGAIN: usize = 4;

/// The messages of the fixed grid for a `bits`-bit window: repeats just
/// inside the window, the same message again (whose start lies more than
/// a window back), repeats just beyond the window, five bytes twice (the
/// second time a back-reference into the first with context takeover:
/// [`SHORT_AGAIN`]), random bytes, text, and an empty message.
fn grid_messages(bits: u8, seed: u64) -> Vec<MessageSpec> {
    use DataKind::{Binary, Text};
    let w = 1usize << bits;
    let message = MessageSpec::compressing;
    vec![
        message(Binary, 2 * w + 50, Shape::Repeated { period: w - 3 }, seed),
        message(Binary, 0, Shape::Again, seed),
        message(Binary, w + w / 2, Shape::Repeated { period: w + 5 }, seed + 1),
        message(Binary, 5, Shape::Random, seed + 2),
        message(Binary, 0, Shape::Again, seed),
        message(Binary, w.min(4096) + 1000, Shape::Random, seed + 3),
        message(Text, 3000, Shape::Repeated { period: 40 }, seed + 4),
        message(Binary, 0, Shape::Random, seed + 5),
    ]
}

/// Every window size 8..=15, in both directions, at every level 0..=9,
/// with a compressor per connection that keeps context: every message
/// arrives intact, and the reference decoder finds each compressed one
/// within its window, back-references into the previous message
/// included.
#[test]
fn every_window_and_level_round_trips_with_kept_context() -> Result<(), TestCaseError> {
    let mut rng = Rng(7692);
    for bits in 8u8..=15 {
        for level in 0u8..=9 {
            let fragment = (level % 2 == 1).then_some(1000);
            let end = EndConfig::both_ways(bits, level, fragment);
            let messages = grid_messages(bits, rng.next());
            prop_assert!(matches!(messages[SHORT_AGAIN].shape, Shape::Again));
            prop_assert_eq!(messages[SHORT_AGAIN - 1].len, 5);
            let up = Delivery::Chunks { seed: rng.next(), max: 3000 };
            let down = Delivery::Chunks { seed: rng.next(), max: 3000 };
            let run = KeptRun {
                client: &end,
                server: &end,
                to_server: &messages,
                to_client: &messages,
                up: &up,
                down: &down,
                compressor_bits: (None, None),
                lending: (Lending::Kept, Lending::Lazy),
                key_seed: rng.next(),
            };
            let context = |error| fail(format!("{bits} bits, level {level}: {error}"));
            let (up, down) = run.run().map_err(context)?;
            // Context takeover is used: the repeated five bytes are one
            // back-reference into the message before.
            if level > 0 {
                let expected = Some(Some(5));
                prop_assert_eq!(
                    up.get(SHORT_AGAIN),
                    expected.as_ref(),
                    "{} bits, level {}",
                    bits,
                    level
                );
                prop_assert_eq!(
                    down.get(SHORT_AGAIN),
                    expected.as_ref(),
                    "{} bits, level {}",
                    bits,
                    level
                );
            }
        }
    }
    Ok(())
}

/// At every level 0..=9, one compressor that resets serves sixteen
/// connections at once, a client and a server sending with each window
/// size 8..=15 (half of them agreed to no context takeover), their
/// messages interleaved: every receiver gets its own intact, and no
/// compressed message refers to anything before its start.
#[test]
fn every_window_and_level_round_trips_through_one_shared_reset_compressor()
-> Result<(), TestCaseError> {
    let mut rng = Rng(1951);
    for level in 0u8..=9 {
        let mut links = Vec::new();
        let mut lists = Vec::new();
        for bits in 8u8..=15 {
            for client_sends in [true, false] {
                let mut end = EndConfig::both_ways(bits, level, None);
                let resets = bits % 2 == 0;
                end.client_no_context_takeover = resets && client_sends;
                end.server_no_context_takeover = resets && !client_sends;
                let lending = if resets { Lending::Shared } else { Lending::Kept };
                let spec = LinkSpec {
                    client: end.clone(),
                    server: end,
                    client_sends,
                    lending,
                    key_seed: rng.next(),
                };
                links.push(Link::new(&spec)?);
                lists.push(grid_messages(bits, rng.next()));
            }
        }
        // Round robin: the first message of each connection, then the
        // second of each...
        let mut schedule = Vec::new();
        for i in 0..lists[0].len() {
            for (n, list) in lists.iter().enumerate() {
                let delivery = Delivery::Chunks { seed: rng.next(), max: 2000 };
                schedule.push((u64::try_from(n).unwrap(), list[i].clone(), delivery));
            }
        }
        // Made for the smallest window (its hash table is then the
        // smallest): a compressor that resets holds no history, and takes
        // each connection's window per call, up to 15 bits.
        let mut shared = Compressor::new(8, level, Context::Reset);
        prop_assert_eq!(
            shared.memory().len(),
            Compressor::<Memory>::memory_size(8, level, Context::Reset)
        );
        run_shared(&mut links, &mut shared, &schedule)
            .map_err(|error| fail(format!("level {level}: {error}")))?;
    }
    Ok(())
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config(256))]

    /// What the client sends the server receives identically, and the
    /// other way round, whatever was negotiated (windows 8 to 15 each
    /// way, takeover or not, levels 0 to 9), whichever size each
    /// per-connection compressor was made for, however the sender
    /// fragments, however the network cuts the stream and however the
    /// receiver holds its inflater; and every compressed message keeps to
    /// its window.
    #[test]
    fn kept_context_compressors_round_trip(
        client_end in end_config(),
        server_end in end_config(),
        to_server in prop::collection::vec(message_spec(), 0..6),
        to_client in prop::collection::vec(message_spec(), 0..6),
        up in delivery(),
        down in delivery(),
        compressor_bits in (prop::option::of(8u8..=15), prop::option::of(8u8..=15)),
        lendings in (lending(), lending()),
        key_seed in any::<u64>(),
    ) {
        let (client_params, _) = negotiate(&client_end, &server_end)?;
        let lending = (
            lendings.0.given(client_params.client_no_context_takeover),
            lendings.1.given(client_params.server_no_context_takeover),
        );
        KeptRun {
            client: &client_end,
            server: &server_end,
            to_server: &to_server,
            to_client: &to_client,
            up: &up,
            down: &down,
            compressor_bits,
            lending,
            key_seed,
        }
        .run()?;
    }
}

proptest! {
    #![proptest_config(config(192))]

    /// One compressor that resets, shared by two to four connections
    /// (clients and servers, each with its own negotiated windows and
    /// takeover), their messages interleaved: each receiver gets exactly
    /// its own messages, and each compressed message stands alone within
    /// its connection's window, whatever window the compressor was made
    /// for.
    #[test]
    fn a_shared_reset_compressor_serves_interleaved_connections(
        specs in prop::collection::vec(link_spec(), 2..=4),
        compressor_bits in 8u8..=15,
        level in 0u8..=9,
        schedule in prop::collection::vec((any::<u64>(), message_spec(), delivery()), 1..12),
    ) {
        let mut links = specs.iter().map(Link::new).collect::<Result<Vec<_>, _>>()?;
        let mut shared = Compressor::new(compressor_bits, level, Context::Reset);
        run_shared(&mut links, &mut shared, &schedule)?;
    }

    /// When the peer agreed to no context takeover, a receiver may drop
    /// its decompressor between messages: released (or replaced by a new
    /// one) with a fresh window after every message, or made only when a
    /// compressed message starts, it still decodes everything, even when
    /// the sender's compressor would keep context (the connection resets
    /// it) and messages repeat the one before.
    #[test]
    fn a_receiver_may_release_its_inflater_when_the_peer_resets(
        mut client_end in end_config(),
        mut server_end in end_config(),
        client_sends in any::<bool>(),
        asked_by_server in any::<bool>(),
        specs in prop::collection::vec(message_spec(), 1..8),
        delivery in delivery(),
        released in any::<bool>(),
        compressor_bits in prop::option::of(8u8..=15),
        key_seed in any::<u64>(),
    ) {
        // One end or the other asks for the sender to reset.
        let asked = if asked_by_server { &mut server_end } else { &mut client_end };
        if client_sends {
            asked.client_no_context_takeover = true;
        } else {
            asked.server_no_context_takeover = true;
        }
        let (client, server, _) = connect(&client_end, &server_end, key_seed)?;
        let (mut sender, mut receiver, min_size) = if client_sends {
            (client, server, client_end.min_size)
        } else {
            (server, client, server_end.min_size)
        };
        let (bits, resets) = sender.compression_window().ok_or_else(|| fail("no deflate"))?;
        prop_assert!(resets);
        prop_assert!(receiver.inflater_idle(), "busy before anything arrived");
        let level = sender.compression_level().unwrap_or_default();
        let mut compressor = kept_compressor(&*sender, compressor_bits)?;
        let mut tx = Sender::new(min_size);
        for spec in &specs {
            tx.send(&mut *sender, spec, &mut compressor)?;
        }
        let lending = if released { Lending::Released } else { Lending::Lazy };
        let mut rx = Receiver::new(lending, true);
        rx.compressed = tx.compressed();
        let mut pool = Pool::new();
        for chunk in delivery.pieces(&tx.wire) {
            rx.feed(&mut *receiver, chunk, &mut pool).map_err(fail)?;
        }
        rx.finish()?;
        prop_assert!(rx.messages == tx.expected(), "messages differ");
        if released {
            // It really was dropped after every message.
            prop_assert_eq!(rx.releases, specs.len());
        } else {
            prop_assert!(rx.own.is_none(), "the lazy inflater was kept after the last message");
        }
        check_wire(&tx, bits, false, level)?;
    }
}

proptest! {
    #![proptest_config(config(48))]

    /// A compressed stream read one byte at a time gives the same
    /// messages as read whole.
    #[test]
    fn byte_by_byte_delivery_changes_nothing(
        end in end_config(),
        specs in prop::collection::vec(message_spec(), 1..4),
        lending in lending(),
    ) {
        let params = end
            .deflate()
            .accept_offer(["permessage-deflate; client_max_window_bits"])
            .ok_or_else(|| fail("declined"))?;
        let mut server: Box<dyn End> = Box::new(Connection::server(end.config()).with_deflate(params));
        let specs: Vec<_> = specs.into_iter().map(|mut s| { s.len = s.len.min(4000); s }).collect();
        let mut compressor = kept_compressor(&*server, None)?;
        let mut tx = Sender::new(end.min_size);
        for spec in &specs {
            tx.send(&mut *server, spec, &mut compressor)?;
        }
        let lending = lending.given(params.server_no_context_takeover);
        let mut pool = Pool::new();
        let mut seen = Vec::new();
        for bytes in [vec![&tx.wire[..]], tx.wire.chunks(1).collect()] {
            let mut client: Box<dyn End> =
                Box::new(Connection::client(Config::new(), || [9, 8, 7, 6]).with_deflate(params));
            let mut rx = Receiver::new(lending, params.server_no_context_takeover);
            rx.compressed = tx.compressed();
            for chunk in bytes {
                rx.feed(&mut *client, chunk, &mut pool).map_err(fail)?;
            }
            rx.finish()?;
            seen.push(rx.messages);
        }
        prop_assert!(seen[0] == tx.expected());
        prop_assert!(seen[1] == tx.expected());
    }

    /// A compressed message received without an inflater, or with a
    /// window shorter than the negotiated one, fails the connection with
    /// 1011 (the calling code's error, not the peer's): the Close goes
    /// out with that code, and the failure is sticky.
    #[test]
    fn a_compressed_message_needs_the_whole_negotiated_window(
        bits in 8u8..=15,
        short in any::<u64>(),
        plain in any::<bool>(),
        spec in message_spec(),
    ) {
        let end = EndConfig::both_ways(bits, 6, None);
        let (mut client, mut server, _) = connect(&end, &end, 1)?;
        let mut compressor = kept_compressor(&*server, None)?;
        let mut tx = Sender::new(0);
        let spec = MessageSpec { sending: Sending::Compressing, shape: Shape::Random, ..spec };
        tx.send(&mut *server, &spec, &mut compressor)?;
        prop_assert!(tx.sent[0].compressed);
        prop_assert!(client.needs_inflater(&tx.wire));
        let size = client.inflate_window_size();
        let mut window = vec![0u8; usize::try_from(short % u64::try_from(size).unwrap()).unwrap()];
        let mut inflater = Inflater::new();
        let mut buf = tx.wire.clone();
        let mut outcome = |client: &mut Box<dyn End>, buf: &mut Vec<u8>| {
            if plain {
                client.receive(buf).map(|r| r.consumed)
            } else {
                client.receive_inflating(buf, &mut inflater, &mut window).map(|r| r.consumed)
            }
        };
        prop_assert_eq!(outcome(&mut client, &mut buf), Err(ProtocolError::InflateWindow));
        prop_assert_eq!(outcome(&mut client, &mut buf), Err(ProtocolError::InflateWindow));
        prop_assert_eq!(client.failure(), Some(ProtocolError::InflateWindow));
        // The Close it queued: masked, as a client's, with 1011.
        let mut out = [0u8; 131];
        let n = client.poll_transmit(&mut out);
        let (header, len) = FrameHeader::decode(&out[..n]).map_err(fail)?.ok_or_else(|| fail("no Close"))?;
        prop_assert_eq!(header.opcode, OpCode::Close);
        let mut payload = out[len..n].to_vec();
        apply_mask(&mut payload, header.mask.ok_or_else(|| fail("unmasked"))?, 0);
        prop_assert_eq!(
            CloseCode(u16::from_be_bytes([payload[0], payload[1]])),
            CloseCode::INTERNAL_ERROR
        );
    }
}
