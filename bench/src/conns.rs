//! Many client connections with permessage-deflate against a server in a
//! process of its own, for `src/bin/deflate_conns.rs`.
//!
//! - [`ServerProcess`] starts a server, reads its address from the line it
//!   prints (`... listening on ws://ADDR`), drains its output, reads its
//!   resident set size, and kills it when dropped.
//! - [`Conn`] is a raw client connection: a hand-written opening handshake
//!   that offers `permessage-deflate; client_max_window_bits`, and frames
//!   built and read here. A library client would hide what the benchmark
//!   must check: the parameters the server agreed to and the RSV1 bit of
//!   each echo (set: the server compressed it).
//!
//! Each message the client sends is compressed on its own ([`Outgoing`]):
//! a fresh raw DEFLATE stream ended by a sync flush, whose trailing
//! `00 00 ff ff` is removed (RFC 7692, section 7.2.1). A message that never
//! refers back to earlier ones is valid whatever context takeover was
//! agreed, and the client needs no compressor per connection. The echoes
//! are checked by inflating everything the server compressed on that
//! connection from its start: with context takeover an echo may refer back
//! into earlier ones, and keeping those few hundred bytes per connection
//! costs the client far less than a decompressor per connection.

use miniz_oxide::deflate::CompressionLevel;
use miniz_oxide::deflate::core::CompressorOxide;
use miniz_oxide::inflate::stream::InflateState;
use miniz_oxide::{DataFormat, MZError, MZFlush};
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// What a sync flush ends with: RFC 7692 removes it from each compressed
/// message, and the receiver puts it back before inflating.
const TAIL: [u8; 4] = [0, 0, 0xff, 0xff];

/// The key of RFC 6455's example handshake (section 1.3) and the accept
/// value it yields: every connection sends this key, and the server's
/// answer proves it computed the value.
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
/// `Sec-WebSocket-Accept` for [`KEY`].
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// The longest HTTP head or message payload the client accepts.
const MAX_READ: usize = 1 << 20;

/// The MASK bit of a frame's second byte (RFC 6455, section 5.2).
const MASK_BIT: u8 = 0x80;
/// The 7-bit length that says a 16-bit length follows.
const LEN_16: u8 = 126;
/// The 7-bit length that says a 64-bit length follows.
const LEN_64: u8 = 127;

/// The line a server prints once it listens; the address follows it.
const LISTENING: &str = "listening on ws://";

/// How many lines of the server's standard error are kept for reports.
const KEPT_LINES: usize = 5;

/// A server running in a child process. Dropping it kills the process.
pub struct ServerProcess {
    child: Child,
    addr: SocketAddr,
    stderr: Arc<Mutex<Output>>,
}

/// What a server printed on standard error: the first lines and a count.
#[derive(Default)]
struct Output {
    first: Vec<String>,
    lines: usize,
}

impl ServerProcess {
    /// Starts `program` with `args` and waits up to `timeout` for the line
    /// with its address. Its standard input stays open (a server may exit
    /// when it closes); its output is drained by two threads, so it never
    /// blocks on a full pipe.
    ///
    /// The error says how the server ended when it exits first (its exit
    /// status and first lines of standard error, such as a usage message).
    pub fn start(program: &Path, args: &[&str], timeout: Duration) -> Result<Self, String> {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
        let stdout = child.stdout.take().ok_or("no server stdout")?;
        let stderr = child.stderr.take().ok_or("no server stderr")?;
        let kept = Arc::new(Mutex::new(Output::default()));
        let into = Arc::clone(&kept);
        let stderr_thread = thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let Ok(mut output) = into.lock() else { break };
                output.lines += 1;
                if output.first.len() < KEPT_LINES {
                    output.first.push(line);
                }
            }
        });
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some((_, addr)) = line.split_once(LISTENING) {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(addr.trim().to_owned());
                    }
                }
            }
        });
        let mut server =
            ServerProcess { child, addr: SocketAddr::from(([0, 0, 0, 0], 0)), stderr: kept };
        match rx.recv_timeout(timeout) {
            Ok(addr) => {
                server.addr =
                    addr.parse().map_err(|_| format!("server printed address {addr:?}"))?;
                Ok(server)
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                Err(format!("the server printed no address within {} s", timeout.as_secs()))
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                // Its output closed: it exited (or is exiting) before
                // listening. Its standard error ends with it.
                let status = server.wait_exit(Duration::from_secs(5));
                let _ = stderr_thread.join();
                Err(format!("the server exited before listening ({status}){}", server.said()))
            }
        }
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's resident set size in bytes (`VmRSS`), or how it ended
    /// if it is no longer running.
    pub fn rss(&mut self) -> Result<u64, String> {
        if let Some(ended) = self.ended() {
            return Err(ended);
        }
        let path = format!("/proc/{}/status", self.child.id());
        let status = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        let kib = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .ok_or_else(|| format!("no VmRSS in {path}"))?;
        Ok(kib * 1024)
    }

    /// `None` while the server runs; how it ended once it has exited.
    pub fn ended(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(None) => None,
            Ok(Some(status)) => Some(format!("the server exited ({status}){}", self.said())),
            Err(e) => Some(format!("cannot wait for the server: {e}")),
        }
    }

    /// How many lines the server printed on standard error, and the first.
    pub fn stderr_summary(&self) -> Option<String> {
        let output = self.stderr.lock().ok()?;
        let first = output.first.first()?;
        Some(format!("{} line(s) on stderr, first: {first}", output.lines))
    }

    /// `": "` and the first lines of standard error, or nothing.
    fn said(&self) -> String {
        match self.stderr.lock() {
            Ok(output) if !output.first.is_empty() => format!(": {}", output.first.join(" / ")),
            _ => String::new(),
        }
    }

    /// Waits up to `limit` for the process to exit; its status, described.
    fn wait_exit(&mut self, limit: Duration) -> String {
        let start = Instant::now();
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return status.to_string(),
                Ok(None) if start.elapsed() < limit => thread::sleep(Duration::from_millis(20)),
                Ok(None) => return "still running".into(),
                Err(e) => return e.to_string(),
            }
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A text message a client sends: its bytes, and its payload compressed
/// alone (see the module documentation).
pub struct Outgoing {
    text: Vec<u8>,
    compressed: Vec<u8>,
}

impl Outgoing {
    /// Compresses `text` (which must be UTF-8: it travels as text).
    pub fn new(text: Vec<u8>) -> Result<Self, String> {
        std::str::from_utf8(&text).map_err(|e| format!("message is not UTF-8: {e}"))?;
        let compressed = deflate_message(&text)?;
        Ok(Outgoing { text, compressed })
    }

    /// The uncompressed length.
    pub fn len(&self) -> usize {
        self.text.len()
    }

    /// Whether the message is empty.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

/// `plain` as the payload of one compressed message: a raw DEFLATE stream
/// of its own ended by a sync flush, the flush's tail removed.
pub fn deflate_message(plain: &[u8]) -> Result<Vec<u8>, String> {
    let mut compressor =
        CompressorOxide::with_format_and_level(DataFormat::Raw, CompressionLevel::DefaultLevel);
    // Incompressible input grows by a few bytes per 16 KiB block at most.
    let mut out = vec![0u8; plain.len() + plain.len() / 8 + 64];
    let result =
        miniz_oxide::deflate::stream::deflate(&mut compressor, plain, &mut out, MZFlush::Sync);
    result.status.map_err(|e| format!("deflate: {e:?}"))?;
    if result.bytes_consumed != plain.len() {
        return Err("deflate: output buffer too small".into());
    }
    out.truncate(result.bytes_written);
    // RFC 7692, section 7.2.1: the sync flush's empty block is removed.
    if !out.ends_with(&TAIL) {
        return Err("deflate: the sync flush did not end with 00 00 ff ff".into());
    }
    out.truncate(out.len() - TAIL.len());
    Ok(out)
}

/// Inflates a raw DEFLATE stream (its messages' tails put back) from its
/// start; at most `limit` bytes out. Every input byte must be used.
pub fn inflate_raw(input: &[u8], limit: usize) -> Result<Vec<u8>, String> {
    let mut state = InflateState::new_boxed(DataFormat::Raw);
    let mut out = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    let mut at = 0;
    loop {
        let result = miniz_oxide::inflate::stream::inflate(
            &mut state,
            &input[at..],
            &mut chunk,
            MZFlush::None,
        );
        at += result.bytes_consumed;
        out.extend_from_slice(&chunk[..result.bytes_written]);
        if out.len() > limit {
            return Err(format!("inflate: more than {limit} bytes"));
        }
        match result.status {
            Ok(_) => {}
            // No input left and nothing more to give: done.
            Err(MZError::Buf) if at == input.len() => break,
            Err(e) => return Err(format!("inflate: {e:?} at byte {at} of {}", input.len())),
        }
        if result.bytes_consumed == 0 && result.bytes_written == 0 {
            break;
        }
    }
    if at != input.len() {
        return Err(format!("inflate: stopped at byte {at} of {}", input.len()));
    }
    Ok(out)
}

/// How an echo came back, once it matched what was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Echo {
    /// RSV1 set: the server compressed it.
    Compressed,
    /// RSV1 clear: sent as it is.
    Plain,
}

/// One data message as read: whether its first frame had RSV1 set, and
/// its payload (joined over continuation frames).
struct Incoming {
    rsv1: bool,
    payload: Vec<u8>,
}

/// A raw client connection, opened with [`Conn::open`].
pub struct Conn {
    stream: TcpStream,
    /// Bytes read past the 101 head or the last frame.
    pending: Vec<u8>,
    /// The server's `Sec-WebSocket-Extensions` ("" for none).
    agreed: String,
    /// Whether the server agreed to permessage-deflate.
    deflate: bool,
    /// The window the server allows this client's compressor (bits).
    client_window_bits: u8,
    /// Everything the server compressed on this connection, each message
    /// followed by [`TAIL`]: its compression stream so far.
    server_stream: Vec<u8>,
    /// What `server_stream` inflates to, in bytes.
    server_plain: usize,
    /// The mask key of the next frame.
    mask: u32,
}

impl Conn {
    /// Connects to `server` from `source` (port chosen by the system) and
    /// completes the opening handshake, offering permessage-deflate. The
    /// server must answer 101 with the right `Sec-WebSocket-Accept`;
    /// whether it agreed to the extension is [`Conn::deflate`]. `seed`
    /// varies the mask keys. Not bounded in time: the caller wraps it in a
    /// timeout.
    pub async fn open(server: SocketAddr, source: Ipv4Addr, seed: u32) -> Result<Conn, String> {
        let socket = TcpSocket::new_v4().map_err(|e| format!("socket: {e}"))?;
        socket.bind(SocketAddr::from((source, 0))).map_err(|e| format!("bind {source}: {e}"))?;
        let mut stream = socket.connect(server).await.map_err(|e| format!("connect: {e}"))?;
        stream.set_nodelay(true).map_err(|e| format!("nodelay: {e}"))?;
        let request = format!(
            "GET / HTTP/1.1\r\nHost: {server}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.map_err(|e| format!("request: {e}"))?;
        let mut pending = Vec::new();
        let head_len = loop {
            if let Some(at) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            if pending.len() > MAX_READ {
                return Err("response head too long".into());
            }
            read_more(&mut stream, &mut pending).await?;
        };
        let head = String::from_utf8_lossy(&pending[..head_len]).into_owned();
        pending.drain(..head_len);
        let (agreed, accept) = parse_response(&head)?;
        if accept != ACCEPT {
            return Err(format!("Sec-WebSocket-Accept {accept:?}, expected {ACCEPT:?}"));
        }
        let params = agreed.split(',').next().unwrap_or_default();
        let deflate = params.split(';').next().is_some_and(|n| n.trim() == "permessage-deflate");
        // RFC 7692, section 7.1.2.2: the server may shorten the client's
        // window; no value (or none named) leaves it at 15 bits.
        let client_window_bits = params
            .split(';')
            .filter_map(|p| p.trim().strip_prefix("client_max_window_bits="))
            .find_map(|v| v.trim_matches('"').parse().ok())
            .unwrap_or(15);
        Ok(Conn {
            stream,
            pending,
            agreed,
            deflate,
            client_window_bits,
            server_stream: Vec::new(),
            server_plain: 0,
            mask: seed.wrapping_mul(0x9E37_79B9) | 1,
        })
    }

    /// The server's `Sec-WebSocket-Extensions` response ("" for none).
    pub fn agreed(&self) -> &str {
        &self.agreed
    }

    /// Whether the server agreed to permessage-deflate.
    pub fn deflate(&self) -> bool {
        self.deflate
    }

    /// Sends `message` (compressed if the extension was agreed) and reads
    /// its echo, which must be the same text; with the extension, a
    /// compressed echo is inflated together with the server's earlier ones
    /// (its context). Not bounded in time: the caller wraps it in a timeout.
    pub async fn echo(&mut self, message: &Outgoing) -> Result<Echo, String> {
        if self.deflate && message.len() > 1 << self.client_window_bits {
            // The message is compressed alone, so it refers back at most
            // its own length: more than the window the server allows.
            return Err(format!(
                "the server limits the client window to {} bits, shorter than the message",
                self.client_window_bits
            ));
        }
        let payload = if self.deflate { &message.compressed } else { &message.text };
        let frame = client_frame(payload, self.deflate, self.mask.to_be_bytes());
        self.mask = self.mask.rotate_left(7).wrapping_add(0x6D2B_79F5);
        self.stream.write_all(&frame).await.map_err(|e| format!("send: {e}"))?;
        let incoming = self.read_message().await?;
        if !incoming.rsv1 {
            return if incoming.payload == message.text {
                Ok(Echo::Plain)
            } else {
                Err("the echo differs from the message".into())
            };
        }
        if !self.deflate {
            return Err("RSV1 set without permessage-deflate".into());
        }
        let mut stream = Vec::with_capacity(self.server_stream.len() + incoming.payload.len() + 4);
        stream.extend_from_slice(&self.server_stream);
        stream.extend_from_slice(&incoming.payload);
        stream.extend_from_slice(&TAIL);
        let plain = inflate_raw(&stream, self.server_plain + message.len())?;
        if plain.get(self.server_plain..) != Some(&message.text[..]) {
            return Err("the inflated echo differs from the message".into());
        }
        self.server_stream = stream;
        self.server_plain = plain.len();
        Ok(Echo::Compressed)
    }

    /// Reads one text or binary message, skipping pings and pongs.
    async fn read_message(&mut self) -> Result<Incoming, String> {
        let mut message: Option<Incoming> = None;
        loop {
            let (header, len) = loop {
                if let Some(parsed) = parse_header(&self.pending)? {
                    if self.pending.len() >= parsed.0 + parsed.1 {
                        break parsed;
                    }
                }
                read_more(&mut self.stream, &mut self.pending).await?;
            };
            let (first, second) = (self.pending[0], self.pending[1]);
            let payload: Vec<u8> = self.pending.drain(..header + len).skip(header).collect();
            let (fin, rsv1, opcode) = (first & 0x80 != 0, first & 0x40 != 0, first & 0x0f);
            if second & MASK_BIT != 0 {
                return Err("the server masked a frame".into());
            }
            match (opcode, &mut message) {
                (0x1 | 0x2, None) => message = Some(Incoming { rsv1, payload }),
                (0x0, Some(started)) => started.payload.extend_from_slice(&payload),
                (0x8, _) => {
                    let code = payload.get(..2).map(|c| u16::from_be_bytes([c[0], c[1]]));
                    return Err(format!("the server closed the connection (code {code:?})"));
                }
                (0x9 | 0xA, _) => continue,
                _ => return Err(format!("unexpected frame, opcode {opcode:#x}")),
            }
            if fin {
                return message.ok_or_else(|| "no message".to_owned());
            }
            if message.as_ref().is_some_and(|m| m.payload.len() > MAX_READ) {
                return Err("message too long".into());
            }
        }
    }
}

/// Reads what the socket has into `pending`; an error at end of stream.
async fn read_more(stream: &mut TcpStream, pending: &mut Vec<u8>) -> Result<(), String> {
    let mut chunk = [0u8; 4096];
    match stream.read(&mut chunk).await {
        Ok(0) => Err("the server closed the connection".into()),
        Ok(n) => {
            pending.extend_from_slice(&chunk[..n]);
            Ok(())
        }
        Err(e) => Err(format!("read: {e}")),
    }
}

/// The `Sec-WebSocket-Extensions` (all such headers joined) and
/// `Sec-WebSocket-Accept` of a 101 response head.
fn parse_response(head: &str) -> Result<(String, String), String> {
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or_default();
    if !status.starts_with("HTTP/1.1 101") {
        return Err(format!("the server answered {status:?}"));
    }
    let mut extensions = Vec::new();
    let mut accept = String::new();
    for line in lines {
        let Some((name, value)) = line.split_once(':') else { continue };
        if name.trim().eq_ignore_ascii_case("sec-websocket-extensions") {
            extensions.push(value.trim());
        } else if name.trim().eq_ignore_ascii_case("sec-websocket-accept") {
            value.trim().clone_into(&mut accept);
        }
    }
    Ok((extensions.join(", "), accept))
}

/// The header length and payload length of the frame `bytes` start with,
/// once its header is complete (RFC 6455, section 5.2).
fn parse_header(bytes: &[u8]) -> Result<Option<(usize, usize)>, String> {
    let Some(&second) = bytes.get(1) else { return Ok(None) };
    let (header, len) = match second & 0x7f {
        LEN_16 => match bytes.get(2..4) {
            Some(b) => (4, u64::from(u16::from_be_bytes([b[0], b[1]]))),
            None => return Ok(None),
        },
        LEN_64 => match bytes.get(2..10).and_then(|b| <[u8; 8]>::try_from(b).ok()) {
            Some(b) => (10, u64::from_be_bytes(b)),
            None => return Ok(None),
        },
        short => (2, u64::from(short)),
    };
    let header = if second & MASK_BIT != 0 { header + 4 } else { header };
    match usize::try_from(len) {
        Ok(len) if len <= MAX_READ => Ok(Some((header, len))),
        _ => Err(format!("frame of {len} bytes")),
    }
}

/// A masked text frame holding all of `payload`, RSV1 set if `compressed`
/// (RFC 6455, section 5.2; RFC 7692, section 6).
fn client_frame(payload: &[u8], compressed: bool, key: [u8; 4]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(payload.len() + 14);
    frame.push(if compressed { 0xC1 } else { 0x81 });
    let len = payload.len();
    match (u8::try_from(len), u16::try_from(len)) {
        (Ok(short), _) if short < LEN_16 => frame.push(MASK_BIT | short),
        (_, Ok(medium)) => {
            frame.push(MASK_BIT | LEN_16);
            frame.extend_from_slice(&medium.to_be_bytes());
        }
        _ => {
            frame.push(MASK_BIT | LEN_64);
            frame.extend_from_slice(&u64::try_from(len).unwrap_or(u64::MAX).to_be_bytes());
        }
    }
    frame.extend_from_slice(&key);
    frame.extend(payload.iter().zip(key.iter().cycle()).map(|(byte, k)| byte ^ k));
    frame
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Proves the client's compression and the echo check agree with each
    /// other across messages: two messages compressed alone, joined with
    /// their tails put back, inflate to both texts in order (what
    /// [`Conn::echo`] relies on when it inflates a server's stream from
    /// its start).
    #[test]
    fn messages_compressed_alone_inflate_as_one_stream() {
        let first = crate::deflate::json_text(1024, 1);
        let second = crate::deflate::json_text(1024, 2);
        let mut stream = deflate_message(&first).expect("deflate");
        assert!(stream.len() < first.len() / 2, "JSON-like text compresses");
        stream.extend_from_slice(&TAIL);
        stream.extend_from_slice(&deflate_message(&second).expect("deflate"));
        stream.extend_from_slice(&TAIL);
        let plain = inflate_raw(&stream, 4096).expect("inflate");
        assert_eq!(plain, [first, second].concat());
    }

    /// Proves frames the client builds have the length forms and mask of
    /// RFC 6455: unmasking gives the payload back, at each length form.
    #[test]
    fn client_frames_unmask_to_their_payload() {
        for len in [0, 125, 126, 65_535, 65_536] {
            let payload: Vec<u8> =
                (0..len).map(|i| u8::try_from(i % 251).expect("small")).collect();
            let frame = client_frame(&payload, true, [1, 2, 3, 4]);
            assert_eq!(frame[0], 0xC1, "FIN, RSV1, text");
            let (header, parsed) = parse_header(&frame).expect("valid").expect("complete");
            assert_eq!((parsed, frame.len()), (len, header + len));
            let key = &frame[header - 4..header];
            let unmasked: Vec<u8> =
                frame[header..].iter().zip(key.iter().cycle()).map(|(b, k)| b ^ k).collect();
            assert_eq!(unmasked, payload);
        }
    }
}
