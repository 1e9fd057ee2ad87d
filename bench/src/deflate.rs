//! permessage-deflate comparisons: barews with and without the extension
//! against ratchet (`ratchet_rs` with `ratchet_deflate`), in memory.
//!
//! - [`messages`] builds distinct messages of one size: JSON-like records
//!   with varied values (compressible, as real traffic is), or random
//!   bytes (incompressible). Distinct, because with context takeover a
//!   message repeated verbatim compresses to a few back-references.
//! - [`barews_client_stream`] is what a barews client sends for them
//!   (masked, compressed or not): the input every decoder reads.
//! - [`BarewsDecoder`] and [`RatchetDecoder`] read such an input from a
//!   fresh connection per pass (a compressed stream with context takeover
//!   only decodes from the start, with a fresh decompressor).
//! - [`ratchet_server`] builds a ratchet server over a [`SendStream`] (ratchet
//!   wants `Send + 'static` streams, which [`crate::mem::MemStream`] is not).
//!
//! Both sides use context takeover in both directions, 15-bit windows and
//! compression level 1 (barews' default; ratchet's default is
//! `Compression::fast()`, level 1 too, with zlib).

use barews::config::Config;
use barews::connection::{Connection, DataKind, Event, Server, Side};
use barews::deflate::{Compressor, Context as History, DeflateConfig, DeflateParams, Inflater};
use bytes::BytesMut;
use ratchet_rs::deflate::{Deflate, DeflateConfig as RatchetConfig, DeflateExtProvider};
use ratchet_rs::{ExtensionProvider, HeaderMap, HeaderValue, Message, NoExt, Role, WebSocket};
use std::fmt::Write as _;
use std::hint::black_box;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::frames::{Kind, binary_payload};

/// What a message holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// JSON-like text records with varied values: compressible.
    Json,
    /// Random bytes: incompressible.
    Random,
}

impl Content {
    /// A short name for benchmark ids.
    pub const fn name(self) -> &'static str {
        match self {
            Content::Json => "json",
            Content::Random => "random",
        }
    }

    /// The message type it travels as.
    pub const fn kind(self) -> Kind {
        match self {
            Content::Json => Kind::Text,
            Content::Random => Kind::Binary,
        }
    }

    /// The barews message type.
    pub const fn data_kind(self) -> DataKind {
        match self {
            Content::Json => DataKind::Text,
            Content::Random => DataKind::Binary,
        }
    }
}

/// A small deterministic generator (`SplitMix64`).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[usize::try_from(self.below(from.len() as u64)).unwrap_or(0)]
    }
}

/// `len` bytes of JSON-like ASCII: an array of event records whose ids,
/// timestamps, names, prices and tags vary, truncated to the length.
pub fn json_text(len: usize, seed: u64) -> Vec<u8> {
    const USERS: &[&str] =
        &["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"];
    const ACTIONS: &[&str] = &["update", "create", "delete", "subscribe", "quote", "trade"];
    const SYMBOLS: &[&str] = &["BTC-USD", "ETH-USD", "SOL-EUR", "AAPL", "MSFT", "EURUSD"];
    const TAGS: &[&str] = &["fast", "retry", "mobile", "beta", "eu-west", "us-east", "bulk"];
    let mut rng = Rng(seed);
    let mut out = String::with_capacity(len + 256);
    out.push('[');
    while out.len() < len {
        let ms = 1_700_000_000_000 + rng.below(86_400_000);
        let _ = write!(
            out,
            "{{\"id\":{},\"ts\":{ms},\"user\":\"{}\",\"action\":\"{}\",\"symbol\":\"{}\",\
             \"price\":{}.{:02},\"qty\":{},\"tags\":[\"{}\",\"{}\"],\"ok\":{}}},",
            rng.below(10_000_000),
            rng.pick(USERS),
            rng.pick(ACTIONS),
            rng.pick(SYMBOLS),
            rng.below(100_000),
            rng.below(100),
            rng.below(1000),
            rng.pick(TAGS),
            rng.pick(TAGS),
            rng.below(8) != 0,
        );
    }
    let mut bytes = out.into_bytes();
    bytes.truncate(len);
    bytes
}

/// `count` distinct messages of `len` bytes of `content`.
pub fn messages(content: Content, len: usize, count: usize) -> Vec<Vec<u8>> {
    (0..count as u64)
        .map(|i| match content {
            Content::Json => json_text(len, 0x5eed ^ i),
            Content::Random => binary_payload(len, 0xbad ^ i),
        })
        .collect()
}

/// The parameters both barews ends agree on for the plain default offer:
/// context takeover both ways, 15-bit windows, level 1, compressing every
/// message of 32 bytes and more.
/// # Panics
///
/// Never: barews accepts its own default offer and response.
pub fn barews_params(server: bool) -> DeflateParams {
    let config = DeflateConfig::new();
    if server {
        config.accept_offer(["permessage-deflate; client_max_window_bits"]).expect("offer")
    } else {
        config.accept_response("permessage-deflate").expect("response")
    }
}

/// How barews runs in a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarewsMode {
    /// The extension off.
    Off,
    /// Context takeover both ways, a compressor per connection.
    PerConnection,
    /// No context takeover either way: a compressor that keeps nothing
    /// between messages, which a server shares among its connections.
    Shared,
}

impl BarewsMode {
    /// A short name for benchmark ids and tables.
    pub const fn name(self) -> &'static str {
        match self {
            BarewsMode::Off => "barews",
            BarewsMode::PerConnection => "barews-deflate",
            BarewsMode::Shared => "barews-deflate-shared",
        }
    }

    /// The parameters a barews server agrees to with a browser-like offer.
    /// # Panics
    ///
    /// Never: the offer is valid.
    pub fn server_params(self) -> Option<DeflateParams> {
        let config = match self {
            BarewsMode::Off => return None,
            BarewsMode::PerConnection => DeflateConfig::new(),
            BarewsMode::Shared => DeflateConfig::without_context_takeover(),
        };
        Some(config.accept_offer(["permessage-deflate; client_max_window_bits"]).expect("offer"))
    }

    /// A server connection in this mode and the compressor it sends with.
    pub fn server(self) -> (Connection<Server>, Option<Compressor<Vec<u8>>>) {
        let mut conn = Connection::server(Config::new());
        if let Some(params) = self.server_params() {
            conn = conn.with_deflate(params);
        }
        let compressor = compressor_for(&conn);
        (conn, compressor)
    }
}

/// The compressor `conn` sends with: its own when it keeps context, else
/// one that keeps none (what a thread shares); `None` without the
/// extension.
pub fn compressor_for<S: Side>(conn: &Connection<S>) -> Option<Compressor<Vec<u8>>> {
    conn.own_compressor().or_else(|| {
        conn.compression_level().map(|level| Compressor::new(15, level, History::Reset))
    })
}

/// The output room a whole message of `len` bytes is given: what the
/// compressor works best with (the driver of a growable buffer gives it
/// that much), and a frame header.
pub const fn send_room(len: usize) -> usize {
    Compressor::<Vec<u8>>::preferred_room(len) + 16
}

/// Sends one whole message with `compressor` when given.
/// # Panics
///
/// If barews refuses the message or `out` is too small.
pub fn send<S: Side>(
    conn: &mut Connection<S>,
    compressor: Option<&mut Compressor<Vec<u8>>>,
    kind: DataKind,
    payload: &[u8],
    out: &mut [u8],
) -> usize {
    match compressor {
        Some(compressor) => conn.send_with(kind, payload, out, compressor),
        None => conn.send(kind, payload, out),
    }
    .expect("fits")
}

/// Deterministic mask keys for a client that only builds test input.
fn keys() -> impl FnMut() -> [u8; 4] {
    let mut i = 0;
    move || {
        i += 1;
        crate::frames::mask_key(i)
    }
}

/// What a barews client sends for `messages`, one frame each, compressed
/// with `deflate` when given.
/// # Panics
///
/// If barews refuses a message (text that is not UTF-8).
pub fn barews_client_stream(
    messages: &[Vec<u8>],
    kind: DataKind,
    deflate: Option<DeflateParams>,
) -> Vec<u8> {
    let mut client = Connection::client(Config::new(), keys());
    if let Some(params) = deflate {
        client = client.with_deflate(params);
    }
    let mut compressor = compressor_for(&client);
    let mut wire = Vec::new();
    let mut out = Vec::new();
    for message in messages {
        out.resize(send_room(message.len()), 0);
        let n = send(&mut client, compressor.as_mut(), kind, message, &mut out);
        wire.extend_from_slice(&out[..n]);
    }
    wire
}

/// A barews server reading a whole input from the start on each pass: the
/// bytes are copied into a working buffer (as a socket read copies them),
/// unmasked in place, inflated into the caller's window when compressed,
/// and text is validated as UTF-8 by the core.
pub struct BarewsDecoder {
    input: Vec<u8>,
    work: Vec<u8>,
    window: Vec<u8>,
    deflate: bool,
    inflater: Inflater,
}

impl BarewsDecoder {
    /// A decoder for `input`, with the extension on or off.
    pub fn new(input: Vec<u8>, deflate: bool) -> Self {
        let work = vec![0; input.len()];
        BarewsDecoder { input, work, window: vec![0; 1 << 15], deflate, inflater: Inflater::new() }
    }

    fn connection(&self) -> Connection<Server> {
        let conn = Connection::server(Config::new());
        if self.deflate { conn.with_deflate(barews_params(true)) } else { conn }
    }

    /// Reads every message; returns the message count and payload bytes.
    /// # Panics
    ///
    /// If the input is not a valid stream of messages.
    pub fn pass(&mut self) -> (usize, usize) {
        let mut conn = self.connection();
        self.inflater.release();
        self.work.copy_from_slice(&self.input);
        let mut at = 0;
        let (mut messages, mut bytes) = (0, 0);
        // Until a call uses nothing and reports nothing: the end of a
        // compressed message may be reported after its last byte was used.
        loop {
            let received = conn
                .receive_inflating(&mut self.work[at..], &mut self.inflater, &mut self.window)
                .expect("valid input");
            at += received.consumed;
            let Some(event) = received.event else {
                if received.consumed == 0 {
                    break;
                }
                continue;
            };
            if let Event::Data { payload, last, .. } = event {
                bytes += black_box(payload).len();
                messages += usize::from(last);
            }
        }
        (messages, bytes)
    }
}

/// A stream that is `Send + 'static`, for ratchet: reads return a shared
/// input once, writes are copied into a small scratch area and dropped.
pub struct SendStream {
    input: Arc<[u8]>,
    pos: usize,
    scratch: Box<[u8]>,
    written: Arc<AtomicUsize>,
}

impl SendStream {
    /// A stream whose reads return `input`, then end of stream.
    pub fn new(input: Arc<[u8]>) -> Self {
        let scratch = vec![0; 64 * 1024].into_boxed_slice();
        SendStream { input, pos: 0, scratch, written: Arc::default() }
    }

    /// A counter of the bytes written to this stream, readable after the
    /// stream moved into a library.
    pub fn written(&self) -> Arc<AtomicUsize> {
        Arc::clone(&self.written)
    }

    fn take(&mut self, mut bytes: &[u8]) -> usize {
        let total = bytes.len();
        while !bytes.is_empty() {
            let n = bytes.len().min(self.scratch.len());
            self.scratch[..n].copy_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
        }
        black_box(&self.scratch);
        self.written.fetch_add(total, Ordering::Relaxed);
        total
    }
}

impl AsyncRead for SendStream {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let n = buf.remaining().min(this.input.len() - this.pos);
        buf.put_slice(&this.input[this.pos..this.pos + n]);
        this.pos += n;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for SendStream {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(self.get_mut().take(buf)))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// ratchet's permessage-deflate as a server accepting the offer a browser
/// makes, with context takeover both ways (ratchet's default configuration
/// asks for none).
/// # Panics
///
/// If ratchet declines the offer or asks for no context takeover.
pub fn ratchet_deflate() -> Deflate {
    let config = RatchetConfig {
        request_server_no_context_takeover: false,
        request_client_no_context_takeover: false,
        ..RatchetConfig::default()
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        "sec-websocket-extensions",
        HeaderValue::from_static("permessage-deflate; client_max_window_bits"),
    );
    let (deflate, response) = DeflateExtProvider::with_config(config)
        .negotiate_server(&headers)
        .expect("negotiation")
        .expect("accepted");
    let response = response.to_str().unwrap_or_default();
    assert!(!response.contains("no_context_takeover"), "{response}");
    deflate
}

/// A ratchet server over `stream`, the extension on when given.
pub fn ratchet_server<E: ratchet_rs::Extension>(
    stream: SendStream,
    extension: Option<E>,
) -> WebSocket<SendStream, E> {
    WebSocket::from_upgraded(
        ratchet_rs::WebSocketConfig::default(),
        stream,
        extension,
        BytesMut::new(),
        Role::Server,
    )
}

/// A ratchet server reading a whole input from the start on each pass,
/// with a fresh connection (and decompressor): messages are read into one
/// reused buffer and text is validated as UTF-8 here, as ratchet leaves
/// that to its caller.
pub struct RatchetDecoder {
    input: Arc<[u8]>,
    count: usize,
    deflate: bool,
    buf: BytesMut,
}

impl RatchetDecoder {
    /// A decoder for `input`, which holds `count` messages.
    pub fn new(input: Vec<u8>, count: usize, deflate: bool) -> Self {
        RatchetDecoder { input: input.into(), count, deflate, buf: BytesMut::new() }
    }

    /// Reads every message; returns the message count and payload bytes.
    pub async fn pass(&mut self) -> (usize, usize) {
        let stream = SendStream::new(Arc::clone(&self.input));
        if self.deflate {
            let ws = ratchet_server(stream, Some(ratchet_deflate()));
            read_all(ws, self.count, &mut self.buf).await
        } else {
            read_all(ratchet_server::<NoExt>(stream, None), self.count, &mut self.buf).await
        }
    }
}

async fn read_all<E: ratchet_rs::Extension>(
    mut ws: WebSocket<SendStream, E>,
    count: usize,
    buf: &mut BytesMut,
) -> (usize, usize) {
    let mut bytes = 0;
    for _ in 0..count {
        buf.clear();
        match ws.read(buf).await.expect("valid input") {
            Message::Text => {
                let text = std::str::from_utf8(buf).expect("UTF-8");
                bytes += black_box(text).len();
            }
            Message::Binary => bytes += black_box(&buf[..]).len(),
            other => panic!("unexpected {other:?}"),
        }
    }
    (count, bytes)
}

/// Bytes a ratchet server writes for `messages`, from a fresh connection.
/// # Panics
///
/// If ratchet fails to write a message.
pub async fn ratchet_wire_len(messages: &[Vec<u8>], content: Content, deflate: bool) -> usize {
    let kind = match content {
        Content::Json => ratchet_rs::PayloadType::Text,
        Content::Random => ratchet_rs::PayloadType::Binary,
    };
    let stream = SendStream::new(Arc::from(&[][..]));
    let written = stream.written();
    if deflate {
        let mut ws = ratchet_server(stream, Some(ratchet_deflate()));
        for message in messages {
            ws.write(message, kind).await.expect("write");
        }
    } else {
        let mut ws = ratchet_server::<NoExt>(stream, None);
        for message in messages {
            ws.write(message, kind).await.expect("write");
        }
    }
    written.load(Ordering::Relaxed)
}

/// Bytes a barews server writes for `messages`, from a fresh connection.
/// # Panics
///
/// If barews refuses a message (text that is not UTF-8).
pub fn barews_wire_len(messages: &[Vec<u8>], kind: DataKind, mode: BarewsMode) -> usize {
    let (mut server, mut compressor) = mode.server();
    let mut out = Vec::new();
    let mut total = 0;
    for message in messages {
        out.resize(send_room(message.len()), 0);
        total += send(&mut server, compressor.as_mut(), kind, message, &mut out);
    }
    total
}
