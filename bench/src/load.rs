//! The load client of the end-to-end benchmark: plain blocking
//! `TcpStream`s, its own opening handshake (written and checked with
//! `barews::handshake::client`) and pre-built masked binary frames.
//!
//! Throughput mode pipelines: per connection, a writer thread keeps up to
//! `window` messages in flight, writing as many ready frames as the window
//! allows in one call, while a reader thread checks every echo byte for
//! byte against the frame the server must send back and returns credit
//! to the writer. Latency mode sends one message, waits for its echo, and
//! repeats, on one thread per connection.
//!
//! The echo expected from a WebSocket server is an unmasked binary message
//! (in one frame or several) carrying the payload sent; the raw TCP echo
//! returns the masked frame unchanged.

use crate::affinity;
use crate::frames::{
    OP_BINARY, OP_CONTINUATION, binary_payload, client_close, frame_len, mask_key, push_frame,
};
use crate::stats::as_f64;
use barews::handshake::client::{ClientHandshake, ClientRequest, ResponseStatus};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// What one connection measured: messages verified, when the last one
/// was (from the start), and every round-trip time in nanoseconds.
type Outcome = Result<(usize, Duration, Vec<u64>), String>;
use std::sync::{Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// What to run.
#[derive(Debug, Clone, Copy)]
pub struct LoadConfig {
    /// Payload bytes per message.
    pub payload: usize,
    /// Connections, each with its own threads.
    pub connections: usize,
    /// Messages in flight per connection: 1 is latency mode.
    pub window: usize,
    /// How long writers keep sending (echoes in flight are then drained).
    pub duration: Duration,
    /// At most this many messages per connection, if set.
    pub max_messages: Option<usize>,
    /// The CPU every thread of the load pins itself to, if set (the
    /// thread that calls [`run`] is the caller's to pin).
    pub cpu: Option<usize>,
}

/// What a run measured.
#[derive(Debug, Clone, Default)]
pub struct LoadResult {
    /// Messages echoed and verified, over all connections.
    pub messages: usize,
    /// Payload bytes of those messages (one way).
    pub payload_bytes: usize,
    /// From the start to the last verified echo.
    pub elapsed: Duration,
    /// Round-trip time of every message in nanoseconds, sorted: from just
    /// before its frame was written to when its echo was verified.
    pub latencies_ns: Vec<u64>,
}

impl LoadResult {
    /// Messages per second.
    pub fn messages_per_sec(&self) -> f64 {
        as_f64(self.messages as u64) / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Payload MiB per second, one way.
    pub fn mib_per_sec(&self) -> f64 {
        as_f64(self.payload_bytes as u64) / (1024.0 * 1024.0) / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// The frames sent and the payloads expected back, `slots` of each back
/// to back; message `n` uses slot `n % slots`.
struct Traffic {
    send: Vec<u8>,
    payloads: Vec<u8>,
    send_len: usize,
    payload_len: usize,
    slots: usize,
    /// The server is a WebSocket server (it echoes frames of its own); the
    /// raw TCP echo returns the sent bytes unchanged.
    websocket: bool,
}

impl Traffic {
    fn new(payload: usize, window: usize, websocket: bool) -> Self {
        // Distinct payloads and keys, bounded to about 8 MiB of frames.
        let send_len = frame_len(payload, true);
        let slots = window.clamp(1, 64).min((8 << 20) / send_len).max(1);
        let mut send = Vec::with_capacity(slots * send_len);
        let mut payloads = Vec::with_capacity(slots * payload);
        for slot in 0..slots {
            let bytes = binary_payload(payload, slot as u64 + 1);
            push_frame(&mut send, true, OP_BINARY, &bytes, Some(mask_key(slot)));
            payloads.extend_from_slice(&bytes);
        }
        Traffic { send, payloads, send_len, payload_len: payload, slots, websocket }
    }

    fn slot(&self, seq: usize) -> usize {
        seq % self.slots
    }

    fn frame(&self, seq: usize) -> &[u8] {
        let slot = self.slot(seq);
        &self.send[slot * self.send_len..(slot + 1) * self.send_len]
    }

    fn payload(&self, seq: usize) -> &[u8] {
        let slot = self.slot(seq);
        &self.payloads[slot * self.payload_len..(slot + 1) * self.payload_len]
    }
}

/// Checks the bytes a server sends back, message by message, byte for
/// byte.
///
/// From a WebSocket server it parses frames: each echo must be a binary
/// message, unmasked, in one frame or several (continuations), whose
/// payloads together equal the payload sent. From the raw TCP echo it
/// expects the sent frames themselves.
#[derive(Debug, Default)]
struct Checker {
    /// Messages completely received.
    seq: usize,
    /// Bytes of the current message checked so far: payload bytes for a
    /// WebSocket server, frame bytes for the raw echo.
    offset: usize,
    /// The header being read, and how many of its bytes are in.
    header: [u8; 10],
    header_have: usize,
    /// Payload bytes left in the current frame, once its header is in.
    frame_left: Option<u64>,
    /// The current frame ends its message.
    fin: bool,
}

impl Checker {
    /// Whether the bytes so far end exactly after a whole message.
    fn at_boundary(&self) -> bool {
        self.offset == 0 && self.header_have == 0 && self.frame_left.is_none()
    }

    /// Checks `data`; calls `done(seq)` for each message completed.
    fn feed(
        &mut self,
        traffic: &Traffic,
        mut data: &[u8],
        mut done: impl FnMut(usize),
    ) -> Result<(), String> {
        while !data.is_empty() {
            if !traffic.websocket {
                self.compare(traffic.frame(self.seq), &mut data)?;
                if self.offset == traffic.send_len {
                    self.complete(&mut done);
                }
                continue;
            }
            match self.frame_left {
                None => {
                    self.read_header(&mut data)?;
                    if self.frame_left == Some(0) {
                        // An empty frame: nothing of it is left to read.
                        self.end_frame(traffic, &mut done)?;
                    }
                }
                Some(left) => {
                    let available = data.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    let expected = traffic.payload(self.seq);
                    if self.offset + available > expected.len() {
                        return Err(format!("echo of message {} is too long", self.seq));
                    }
                    let mut piece = &data[..available];
                    self.compare(expected, &mut piece)?;
                    data = &data[available..];
                    let left = left - available as u64;
                    self.frame_left = Some(left);
                    if left == 0 {
                        self.end_frame(traffic, &mut done)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Compares the front of `data` with `expected[offset..]` and
    /// consumes what matched.
    fn compare(&mut self, expected: &[u8], data: &mut &[u8]) -> Result<(), String> {
        let expected = &expected[self.offset..];
        let take = expected.len().min(data.len());
        if data[..take] != expected[..take] {
            let at = data[..take].iter().zip(expected).position(|(a, b)| a != b).unwrap_or(0);
            return Err(format!(
                "echo of message {} differs at byte {}: got {:#04x}, expected {:#04x}",
                self.seq,
                self.offset + at,
                data[at],
                expected[at]
            ));
        }
        *data = &data[take..];
        self.offset += take;
        Ok(())
    }

    fn read_header(&mut self, data: &mut &[u8]) -> Result<(), String> {
        let need = |header: &[u8; 10], have: usize| match (have, header[1] & 0x7f) {
            (0 | 1, _) => 2,
            (_, 126) => 4,
            (_, 127) => 10,
            _ => 2,
        };
        while self.header_have < need(&self.header, self.header_have) {
            let Some((&byte, rest)) = data.split_first() else { return Ok(()) };
            self.header[self.header_have] = byte;
            self.header_have += 1;
            *data = rest;
        }
        let [first, second, ..] = self.header;
        let expected_opcode = if self.offset == 0 { OP_BINARY } else { OP_CONTINUATION };
        if first & 0x70 != 0 || first & 0x0f != expected_opcode || second & 0x80 != 0 {
            return Err(format!(
                "echo of message {}: unexpected frame header {first:#04x} {second:#04x}",
                self.seq
            ));
        }
        let len = match second & 0x7f {
            126 => u64::from(u16::from_be_bytes([self.header[2], self.header[3]])),
            127 => u64::from_be_bytes(self.header[2..10].try_into().unwrap_or_default()),
            short => u64::from(short),
        };
        self.fin = first & 0x80 != 0;
        self.header_have = 0;
        self.frame_left = Some(len);
        Ok(())
    }

    fn end_frame(&mut self, traffic: &Traffic, done: &mut impl FnMut(usize)) -> Result<(), String> {
        self.frame_left = None;
        if self.fin {
            if self.offset != traffic.payload_len {
                return Err(format!("echo of message {} is too short", self.seq));
            }
            self.complete(done);
        }
        Ok(())
    }

    fn complete(&mut self, done: &mut impl FnMut(usize)) {
        done(self.seq);
        self.seq += 1;
        self.offset = 0;
    }
}

/// Connections opened so far, times four: seeds the handshake nonces.
static CONNECTIONS: AtomicUsize = AtomicUsize::new(0);

/// Opens a connection to `addr`, with the opening handshake for a
/// WebSocket server.
pub fn open(addr: SocketAddr, websocket: bool) -> Result<TcpStream, String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    if !websocket {
        return Ok(stream);
    }
    let host = addr.ip().to_string();
    let request = ClientRequest::new(&host, "/").with_port(addr.port());
    // The nonce only needs to differ between connections here.
    let nonce_seed = CONNECTIONS.fetch_add(4, Ordering::Relaxed);
    let mut nonce = [0u8; 16];
    for (i, chunk) in nonce.chunks_mut(4).enumerate() {
        chunk.copy_from_slice(&mask_key(nonce_seed.wrapping_add(i)));
    }
    let mut handshake =
        ClientHandshake::new(request, nonce).map_err(|e| format!("handshake request: {e}"))?;
    let mut out = [0u8; 512];
    let len = handshake.write_request(&mut out).map_err(|e| e.to_string())?;
    stream.write_all(&out[..len]).map_err(|e| format!("handshake write: {e}"))?;
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0u8; 512];
    stream.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
    loop {
        let n = stream.read(&mut chunk).map_err(|e| format!("handshake read: {e}"))?;
        if n == 0 {
            return Err("server closed during the handshake".into());
        }
        head.extend_from_slice(&chunk[..n]);
        match handshake.receive(&head) {
            Ok(ResponseStatus::Partial) => {}
            Ok(ResponseStatus::Complete { consumed, .. }) if consumed == head.len() => {
                return Ok(stream);
            }
            Ok(ResponseStatus::Complete { .. }) => {
                return Err("server sent bytes after its 101".into());
            }
            Err(error) => return Err(format!("handshake response: {error}")),
        }
    }
}

/// Ends a connection: a Close for a WebSocket server, then the end of
/// our sending side, then whatever the server still sends until it closes
/// (at most two seconds).
fn close(mut stream: TcpStream, websocket: bool) {
    if websocket {
        let _ = stream.write_all(&client_close());
    }
    let _ = stream.shutdown(Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let until = Instant::now() + Duration::from_secs(2);
    let mut sink = [0u8; 4096];
    while Instant::now() < until {
        match stream.read(&mut sink) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if is_timeout(&e) => {}
            Err(_) => break,
        }
    }
}

fn is_timeout(error: &io::Error) -> bool {
    matches!(error.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)
}

/// Runs the load against the server at `addr` and returns the measures.
pub fn run(addr: SocketAddr, websocket: bool, config: &LoadConfig) -> Result<LoadResult, String> {
    let traffic = Traffic::new(config.payload, config.window, websocket);
    let streams: Vec<TcpStream> =
        (0..config.connections).map(|_| open(addr, websocket)).collect::<Result<_, _>>()?;
    let start = Instant::now();
    let deadline = start + config.duration;
    let cap = config.max_messages.unwrap_or(usize::MAX);
    let outcomes: Vec<Outcome> = thread::scope(|scope| {
        let handles: Vec<_> = streams
            .iter()
            .map(|stream| {
                let traffic = &traffic;
                let stream = stream.try_clone().map_err(|e| e.to_string());
                scope.spawn(move || {
                    affinity::pin_current(config.cpu);
                    let stream = stream?;
                    if config.window <= 1 {
                        ping_pong(stream, traffic, start, deadline, cap)
                    } else {
                        pipelined(stream, traffic, config, start, deadline, cap)
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("panicked".into()))).collect()
    });
    for stream in streams {
        close(stream, websocket);
    }
    let mut result = LoadResult::default();
    for outcome in outcomes {
        let (messages, last, latencies) = outcome?;
        result.messages += messages;
        result.elapsed = result.elapsed.max(last);
        result.latencies_ns.extend(latencies);
    }
    result.payload_bytes = result.messages * config.payload;
    result.latencies_ns.sort_unstable();
    Ok(result)
}

/// Nanoseconds from `start` to `now`.
fn nanos_since(start: Instant, now: Instant) -> u64 {
    u64::try_from(now.duration_since(start).as_nanos()).unwrap_or(u64::MAX)
}

/// One message at a time: write, wait for the echo, repeat.
fn ping_pong(
    mut stream: TcpStream,
    traffic: &Traffic,
    start: Instant,
    deadline: Instant,
    cap: usize,
) -> Outcome {
    stream.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; traffic.send_len.clamp(4096, 256 * 1024)];
    let mut latencies = Vec::new();
    let mut checker = Checker::default();
    let mut last = Duration::ZERO;
    while checker.seq < cap && Instant::now() < deadline {
        let seq = checker.seq;
        let sent_at = Instant::now();
        stream.write_all(traffic.frame(seq)).map_err(|e| format!("write: {e}"))?;
        while checker.seq == seq {
            let n = stream.read(&mut buf).map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                return Err("server closed the connection".into());
            }
            checker.feed(traffic, &buf[..n], |_| {})?;
        }
        if checker.seq != seq + 1 || !checker.at_boundary() {
            return Err("server sent more than one echo".into());
        }
        let now = Instant::now();
        latencies.push(nanos_since(sent_at, now));
        last = now.duration_since(start);
    }
    Ok((checker.seq, last, latencies))
}

/// Credit shared by a connection's writer and reader.
struct Flow {
    /// Messages whose echo was verified.
    acked: Mutex<usize>,
    credit: Condvar,
    /// Messages written.
    sent: AtomicUsize,
    /// The writer has stopped.
    done: AtomicBool,
    /// The reader failed: the writer stops too.
    failed: AtomicBool,
    /// When each message in flight was written (nanoseconds from the
    /// start), at index `seq % window`.
    stamps: Vec<AtomicU64>,
}

/// A writer and a reader with at most `window` messages in flight.
fn pipelined(
    stream: TcpStream,
    traffic: &Traffic,
    config: &LoadConfig,
    start: Instant,
    deadline: Instant,
    cap: usize,
) -> Outcome {
    let window = config.window;
    let flow = Flow {
        acked: Mutex::new(0),
        credit: Condvar::new(),
        sent: AtomicUsize::new(0),
        done: AtomicBool::new(false),
        failed: AtomicBool::new(false),
        stamps: (0..window).map(|_| AtomicU64::new(0)).collect(),
    };
    let write_half = stream.try_clone().map_err(|e| e.to_string())?;
    thread::scope(|scope| {
        let writer = scope.spawn(|| {
            affinity::pin_current(config.cpu);
            let result = write_loop(write_half, traffic, &flow, window, start, deadline, cap);
            flow.done.store(true, Ordering::Release);
            result
        });
        let read = read_loop(stream, traffic, &flow, window, start);
        if read.is_err() {
            flow.failed.store(true, Ordering::Release);
            flow.credit.notify_all();
        }
        let write = writer.join().unwrap_or_else(|_| Err("writer panicked".into()));
        let read = read?;
        write?;
        Ok(read)
    })
}

fn write_loop(
    mut stream: TcpStream,
    traffic: &Traffic,
    flow: &Flow,
    window: usize,
    start: Instant,
    deadline: Instant,
    cap: usize,
) -> Result<(), String> {
    let mut sent = 0;
    while sent < cap && Instant::now() < deadline {
        let acked = {
            let mut acked = flow.acked.lock().map_err(|_| "poisoned")?;
            while sent - *acked >= window {
                if flow.failed.load(Ordering::Acquire) || Instant::now() >= deadline {
                    return Ok(());
                }
                acked = flow
                    .credit
                    .wait_timeout(acked, Duration::from_millis(50))
                    .map_err(|_| "poisoned")?
                    .0;
            }
            *acked
        };
        let slot = traffic.slot(sent);
        let credit = window - (sent - acked);
        let count = credit.min(cap - sent).min(traffic.slots - slot);
        let stamp = nanos_since(start, Instant::now());
        for seq in sent..sent + count {
            flow.stamps[seq % window].store(stamp, Ordering::Release);
        }
        let bytes = &traffic.send[slot * traffic.send_len..(slot + count) * traffic.send_len];
        stream.write_all(bytes).map_err(|e| format!("write: {e}"))?;
        sent += count;
        flow.sent.store(sent, Ordering::Release);
    }
    Ok(())
}

fn read_loop(
    mut stream: TcpStream,
    traffic: &Traffic,
    flow: &Flow,
    window: usize,
    start: Instant,
) -> Outcome {
    stream.set_read_timeout(Some(Duration::from_millis(100))).map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut latencies = Vec::with_capacity(1 << 16);
    let mut checker = Checker::default();
    let mut last = Duration::ZERO;
    let mut progress_at = Instant::now();
    loop {
        if flow.done.load(Ordering::Acquire) && checker.seq == flow.sent.load(Ordering::Acquire) {
            break;
        }
        let n = match stream.read(&mut buf) {
            Ok(0) => return Err("server closed the connection".into()),
            Ok(n) => n,
            Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => {
                if progress_at.elapsed() > Duration::from_secs(10) {
                    return Err(format!("no echo for 10 s after message {}", checker.seq));
                }
                continue;
            }
            Err(e) => return Err(format!("read: {e}")),
        };
        let now = Instant::now();
        progress_at = now;
        let now_ns = nanos_since(start, now);
        let before = checker.seq;
        checker.feed(traffic, &buf[..n], |done| {
            let sent_at = flow.stamps[done % window].load(Ordering::Acquire);
            latencies.push(now_ns.saturating_sub(sent_at));
        })?;
        if checker.seq > before {
            last = now.duration_since(start);
            *flow.acked.lock().map_err(|_| "poisoned")? = checker.seq;
            flow.credit.notify_one();
        }
    }
    Ok((checker.seq, last, latencies))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_all(traffic: &Traffic, bytes: &[u8], chunk: usize) -> Result<Vec<usize>, String> {
        let mut checker = Checker::default();
        let mut done = Vec::new();
        for piece in bytes.chunks(chunk) {
            checker.feed(traffic, piece, |seq| done.push(seq))?;
        }
        assert!(checker.at_boundary());
        Ok(done)
    }

    #[test]
    fn accepts_whole_and_fragmented_echoes_in_any_chunking() {
        for size in [0, 5, 125, 126, 70_000] {
            let traffic = Traffic::new(size, 4, true);
            let mut whole = Vec::new();
            let mut fragmented = Vec::new();
            for seq in 0..6 {
                let payload = traffic.payload(seq);
                push_frame(&mut whole, true, OP_BINARY, payload, None);
                let pieces: Vec<&[u8]> = payload.chunks(1000).collect();
                if pieces.is_empty() {
                    push_frame(&mut fragmented, true, OP_BINARY, &[], None);
                }
                for (i, piece) in pieces.iter().enumerate() {
                    let opcode = if i == 0 { OP_BINARY } else { OP_CONTINUATION };
                    push_frame(&mut fragmented, i + 1 == pieces.len(), opcode, piece, None);
                }
            }
            for chunk in [1, 3, 7, 4096, usize::MAX] {
                assert_eq!(feed_all(&traffic, &whole, chunk).unwrap(), (0..6).collect::<Vec<_>>());
                assert_eq!(feed_all(&traffic, &fragmented, chunk).unwrap().len(), 6);
            }
        }
    }

    #[test]
    fn rejects_wrong_payloads_and_raw_mode_compares_frames() {
        let traffic = Traffic::new(16, 4, true);
        let mut wrong = Vec::new();
        push_frame(&mut wrong, true, OP_BINARY, traffic.payload(1), None);
        assert!(feed_all(&traffic, &wrong, 64).is_err());
        let raw = Traffic::new(16, 4, false);
        let frames: Vec<u8> = (0..5).flat_map(|seq| raw.frame(seq).to_vec()).collect();
        assert_eq!(feed_all(&raw, &frames, 5).unwrap().len(), 5);
    }
}
