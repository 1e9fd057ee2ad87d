//! The flows whose code size the firmware measures, over a scripted
//! in-memory "device" instead of a network: the peer's bytes are static
//! scripts read through `core::hint::black_box`, so nothing can be
//! computed at build time and every parser, check and error path stays in
//! the binary, as it would with a real TCP stack.
//!
//! - [`barews_client`] / [`ews_client`]: write the upgrade request, parse
//!   and check the `101`, send a masked text message, read a frame,
//!   close and wait for the peer's Close.
//! - [`barews_server`] / [`ews_server`]: parse the request, write the
//!   `101`, read a masked frame, answer it, close and wait for the peer's
//!   Close.
//! - `barews_client_deflate` (feature `deflate`): the client flow with
//!   permessage-deflate in 9-bit windows agreed, so that compressing,
//!   inflating and negotiating are in the binary: it sends a text
//!   compressed and reads one the server compressed.
//!
//! The binaries in `src/bin` call one flow each on buffers in static RAM;
//! `cargo test --lib --target <host triple>` runs every flow to the end.
//!
//! With the `qemu` feature, [`qemu`] holds the firmware that runs on an
//! emulated board against real peers (binaries `qemu_client`,
//! `qemu_client_async` and `qemu_server`).
#![no_std]
// Only the board support of `qemu` touches hardware registers, and says
// so where it does.
#![deny(unsafe_code)]

#[cfg(feature = "qemu")]
pub mod qemu;

use core::hint::black_box;

use barews_embedded::{Acceptor, ClientRequest, CloseCode, Connector, Event};
use embedded_io::ErrorKind;

/// Receive (read) buffer size in every flow.
pub const RX_LEN: usize = 1024;
/// Send (write) buffer size in every flow.
pub const TX_LEN: usize = 512;
/// embedded-websocket's `Framer::read` copies each message out of the read
/// buffer into a frame buffer of its own; barews hands out chunks in place.
pub const EWS_FRAME_LEN: usize = 512;

/// The seed of the stand-in RNG. A real device reads a hardware RNG.
pub const SEED: u32 = 0x2545_f491;

/// A stand-in for a hardware RNG (xorshift32): the mask keys and the
/// handshake nonce of both libraries' clients come from it, so both send
/// the same `Sec-WebSocket-Key` and the scripted `101` answers both.
pub struct Rng(u32);

impl Rng {
    /// An RNG seeded with `seed`.
    pub fn new(seed: u32) -> Self {
        Rng(seed)
    }

    fn next(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }

    fn fill(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(4) {
            let bytes = self.next().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }

    /// Sixteen bytes for the handshake nonce.
    pub fn nonce(&mut self) -> [u8; 16] {
        let mut nonce = [0; 16];
        self.fill(&mut nonce);
        nonce
    }

    /// A mask key.
    pub fn mask(&mut self) -> [u8; 4] {
        self.next().to_le_bytes()
    }
}

impl rand_core::RngCore for Rng {
    fn next_u32(&mut self) -> u32 {
        self.next()
    }

    fn next_u64(&mut self) -> u64 {
        u64::from(self.next()) << 32 | u64::from(self.next())
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.fill(dest);
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill(dest);
        Ok(())
    }
}

/// The scripted peer: each read returns bytes of the current segment (a
/// TCP segment, say) only, and writes are swallowed by `black_box`.
pub struct Device {
    segments: &'static [&'static [u8]],
    segment: usize,
    offset: usize,
}

impl Device {
    /// A device that plays `segments`, then reports the end of the stream.
    pub fn new(segments: &'static [&'static [u8]]) -> Self {
        Device { segments, segment: 0, offset: 0 }
    }
}

impl embedded_io::ErrorType for Device {
    type Error = ErrorKind;
}

impl embedded_io::Read for Device {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        // As a real transport can fail, so may this one, as far as the
        // compiler can tell.
        if black_box(false) {
            return Err(ErrorKind::ConnectionReset);
        }
        let segments = black_box(self.segments);
        let Some(segment) = segments.get(self.segment) else { return Ok(0) };
        let rest = segment.get(self.offset..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.offset += n;
        if self.offset == segment.len() {
            self.segment += 1;
            self.offset = 0;
        }
        Ok(n)
    }
}

impl embedded_io::Write for Device {
    fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
        if black_box(false) {
            return Err(ErrorKind::BrokenPipe);
        }
        black_box(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> Result<(), ErrorKind> {
        Ok(())
    }
}

impl embedded_websocket::framer::Stream<ErrorKind> for Device {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        embedded_io::Read::read(self, buf)
    }

    fn write_all(&mut self, mut buf: &[u8]) -> Result<(), ErrorKind> {
        while !buf.is_empty() {
            let n = embedded_io::Write::write(self, buf)?;
            buf = &buf[n..];
        }
        Ok(())
    }
}

// ---- the scripts ----

/// A client frame (masked with `key`) of a payload under 126 bytes, built
/// at compile time.
const fn masked<const N: usize>(first: u8, payload: &[u8], key: [u8; 4]) -> [u8; N] {
    let mut frame = [0u8; N];
    frame[0] = first;
    frame[1] = 0x80 | payload.len() as u8;
    let mut i = 0;
    while i < 4 {
        frame[2 + i] = key[i];
        i += 1;
    }
    let mut i = 0;
    while i < payload.len() {
        frame[6 + i] = payload[i] ^ key[i % 4];
        i += 1;
    }
    frame
}

/// A server frame (unmasked) of a payload under 126 bytes.
const fn unmasked<const N: usize>(first: u8, payload: &[u8]) -> [u8; N] {
    let mut frame = [0u8; N];
    frame[0] = first;
    frame[1] = payload.len() as u8;
    let mut i = 0;
    while i < payload.len() {
        frame[2 + i] = payload[i];
        i += 1;
    }
    frame
}

const CLIENT_TEXT: &[u8] = b"hello from the client";
const SERVER_TEXT: &[u8] = b"hello from the server";
const CLOSE_1000: &[u8] = &[0x03, 0xe8];

/// The answer to the request the clients send: the `Sec-WebSocket-Key`
/// is the base64 of the first 16 bytes of `Rng::new(SEED)`,
/// `OrYk4at0mouss+FkJkYXAA==`.
pub const RESPONSE: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
    Connection: Upgrade\r\nSec-WebSocket-Accept: 6+qttGsc/7cIRihCD/ryJ+XKSv4=\r\n\r\n";

/// What the server sends to a client: the `101`, a text message, and the
/// reply to the client's Close.
pub static CLIENT_SCRIPT: [&[u8]; 3] = [
    RESPONSE,
    &unmasked::<{ 2 + SERVER_TEXT.len() }>(0x81, SERVER_TEXT),
    &unmasked::<4>(0x88, CLOSE_1000),
];

/// A browser-like upgrade request (RFC 6455's sample key).
pub const REQUEST: &[u8] = b"GET /ws HTTP/1.1\r\nHost: 192.168.1.10\r\nUpgrade: websocket\r\n\
    Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Origin: http://192.168.1.10\r\nSec-WebSocket-Version: 13\r\n\r\n";

const KEY_A: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
const KEY_B: [u8; 4] = [0x11, 0x22, 0x33, 0x44];

/// What a client sends to a server: the request, a masked text message,
/// and the masked reply to the server's Close.
pub static SERVER_SCRIPT: [&[u8]; 3] = [
    REQUEST,
    &masked::<{ 6 + CLIENT_TEXT.len() }>(0x81, CLIENT_TEXT, KEY_A),
    &masked::<8>(0x88, CLOSE_1000, KEY_B),
];

/// What a flow saw: the length of the message it read, and whether the
/// closing handshake completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Bytes of the message read.
    pub received: usize,
    /// The peer's Close arrived and the connection ended cleanly.
    pub closed: bool,
}

/// Why a flow stopped early (the error value itself is kept opaque).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failed;

fn fail<E>(error: E) -> Failed {
    black_box(&error);
    Failed
}

// ---- barews-embedded ----

/// The client flow with barews-embedded.
pub fn barews_client(device: Device, rx: &mut [u8], tx: &mut [u8]) -> Result<Outcome, Failed> {
    let mut rng = Rng::new(black_box(SEED));
    let nonce = rng.nonce();
    let request = ClientRequest::new("192.168.1.10", "/ws");
    // The socket (about 600 bytes) is used where `connect` returned it:
    // moving it out of the `Result` would copy it.
    let mut connected = Connector::new(move || rng.mask()).connect(device, request, nonce, rx, tx);
    let ws = match &mut connected {
        Ok(ws) => ws,
        Err(error) => return Err(fail(error)),
    };
    ws.send_text("hello from the device").map_err(fail)?;
    let mut received = 0;
    loop {
        match ws.read().map_err(fail)? {
            Event::Data { payload, last, .. } => {
                received += black_box(payload).len();
                if last {
                    break;
                }
            }
            _ => continue,
        }
    }
    ws.close(CloseCode::NORMAL, "").map_err(fail)?;
    let closed = finish(|| ws.read().map(|event| matches!(event, Event::Close(_))));
    Ok(Outcome { received, closed })
}

/// The server flow with barews-embedded.
pub fn barews_server(device: Device, rx: &mut [u8], tx: &mut [u8]) -> Result<Outcome, Failed> {
    // Used in place, as in `barews_client`.
    let mut accepted = Acceptor::new().accept(device, rx, tx);
    let ws = match &mut accepted {
        Ok(ws) => ws,
        Err(error) => return Err(fail(error)),
    };
    let mut answer = [0u8; 64];
    let mut received = 0;
    loop {
        match ws.read().map_err(fail)? {
            Event::Data { payload, last, .. } => {
                let n = payload.len().min(answer.len() - received);
                answer[received..received + n].copy_from_slice(&payload[..n]);
                received += n;
                if last {
                    break;
                }
            }
            _ => continue,
        }
    }
    ws.send_binary(&answer[..received]).map_err(fail)?;
    ws.close(CloseCode::NORMAL, "").map_err(fail)?;
    let closed = finish(|| ws.read().map(|event| matches!(event, Event::Close(_))));
    Ok(Outcome { received, closed })
}

/// Reads until the connection ends; whether the peer's Close came first
/// and the end was the clean one.
fn finish<E>(mut read: impl FnMut() -> Result<bool, barews_embedded::Error<E>>) -> bool {
    let mut saw_close = false;
    loop {
        match read() {
            Ok(close) => saw_close |= close,
            Err(barews_embedded::Error::Ended(barews_embedded::End::Closed)) => return saw_close,
            Err(error) => {
                black_box(&error);
                return false;
            }
        }
    }
}

// ---- barews-embedded with permessage-deflate ----

/// The inflate window of the deflate flow: 9-bit windows (512 bytes).
#[cfg(feature = "deflate")]
pub const DEFLATE_WINDOW_LEN: usize = barews_embedded::deflate::window_size(9);

/// The deflate flow's compressor memory: 9-bit windows, level 1, context
/// kept (2 KiB of hash table and 512 bytes of history).
#[cfg(feature = "deflate")]
pub const DEFLATE_COMPRESSOR_LEN: usize =
    barews_embedded::deflate::compressor_size(9, 1, barews_embedded::deflate::Context::Kept);

/// What the server sends the deflate flow, compressed.
#[cfg(all(feature = "deflate", test))]
const DEFLATE_SERVER_TEXT: &[u8] = b"hello from the server, hello from the server";

/// "hello from the server, hello from the server" (44 bytes) as RFC 7692
/// section 7.2.1 compresses it: raw
/// DEFLATE in a 9-bit window ending with a sync flush whose `00 00 ff ff`
/// is dropped. Made by zlib (Python's `zlib.compressobj(6, DEFLATED, -9)`,
/// then `Z_SYNC_FLUSH`); the host test checks it inflates to the text.
#[cfg(feature = "deflate")]
const DEFLATE_SERVER_TEXT_COMPRESSED: [u8; 28] = [
    0xca, 0x48, 0xcd, 0xc9, 0xc9, 0x57, 0x48, 0x2b, 0xca, 0xcf, 0x55, 0x28, 0xc9, 0x48, 0x55, 0x28,
    0x4e, 0x2d, 0x2a, 0x4b, 0x2d, 0xd2, 0x51, 0xc8, 0xc0, 0x26, 0x0c, 0x00,
];

/// The answer to the deflate flow's request (the same key as
/// [`RESPONSE`]), accepting permessage-deflate in 9-bit windows.
#[cfg(feature = "deflate")]
pub const DEFLATE_RESPONSE: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
    Connection: Upgrade\r\nSec-WebSocket-Accept: 6+qttGsc/7cIRihCD/ryJ+XKSv4=\r\n\
    Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=9; \
    client_max_window_bits=9\r\n\r\n";

/// What the server sends to the deflate flow: the `101`, a compressed
/// text message (RSV1), and the reply to the client's Close.
#[cfg(feature = "deflate")]
pub static DEFLATE_CLIENT_SCRIPT: [&[u8]; 3] = [
    DEFLATE_RESPONSE,
    &unmasked::<{ 2 + DEFLATE_SERVER_TEXT_COMPRESSED.len() }>(
        0xc1,
        &DEFLATE_SERVER_TEXT_COMPRESSED,
    ),
    &unmasked::<4>(0x88, CLOSE_1000),
];

/// The client flow with barews-embedded and permessage-deflate: the steps
/// of [`barews_client`], offering the extension with `window` (a 512-byte
/// inflate window) and `compressor` ([`DEFLATE_COMPRESSOR_LEN`] bytes)
/// lent, and sending a text long enough to be compressed.
#[cfg(feature = "deflate")]
pub fn barews_client_deflate(
    device: Device,
    rx: &mut [u8],
    tx: &mut [u8],
    window: &mut [u8],
    compressor: &mut [u8],
) -> Result<Outcome, Failed> {
    use barews_embedded::deflate::Deflate;
    let mut rng = Rng::new(black_box(SEED));
    let nonce = rng.nonce();
    let request = ClientRequest::new("192.168.1.10", "/ws");
    let mut connected = Connector::new(move || rng.mask())
        .with_deflate(Deflate::new(window, compressor))
        .connect(device, request, nonce, rx, tx);
    let ws = match &mut connected {
        Ok(ws) => ws,
        Err(error) => return Err(fail(error)),
    };
    ws.send_text(black_box("hello from the device, hello from the device")).map_err(fail)?;
    let mut received = 0;
    loop {
        match ws.read().map_err(fail)? {
            Event::Data { payload, last, .. } => {
                received += black_box(payload).len();
                if last {
                    break;
                }
            }
            _ => continue,
        }
    }
    ws.close(CloseCode::NORMAL, "").map_err(fail)?;
    let closed = finish(|| ws.read().map(|event| matches!(event, Event::Close(_))));
    Ok(Outcome { received, closed })
}

// ---- embedded-websocket 0.9 ----

use embedded_websocket::framer::{Framer, ReadResult};
use embedded_websocket::{
    WebSocketClient, WebSocketCloseStatusCode, WebSocketOptions, WebSocketSendMessageType,
    WebSocketServer,
};

/// The client flow with embedded-websocket's `Framer`, its stream adapter.
pub fn ews_client(
    mut device: Device,
    read_buf: &mut [u8],
    write_buf: &mut [u8],
    frame_buf: &mut [u8],
) -> Result<Outcome, Failed> {
    let mut ws = WebSocketClient::new_client(Rng::new(black_box(SEED)));
    let mut cursor = 0;
    let mut framer = Framer::new(read_buf, &mut cursor, write_buf, &mut ws);
    let options = WebSocketOptions {
        path: "/ws",
        host: "192.168.1.10",
        origin: "",
        sub_protocols: None,
        additional_headers: None,
    };
    framer.connect(&mut device, &options).map_err(fail)?;
    framer
        .write(&mut device, WebSocketSendMessageType::Text, true, b"hello from the device")
        .map_err(fail)?;
    let received = match framer.read(&mut device, frame_buf).map_err(fail)? {
        ReadResult::Text(text) => black_box(text).len(),
        ReadResult::Binary(bytes) => black_box(bytes).len(),
        _ => 0,
    };
    framer.close(&mut device, WebSocketCloseStatusCode::NormalClosure, None).map_err(fail)?;
    let closed = loop {
        match framer.read(&mut device, frame_buf) {
            Ok(ReadResult::Closed) => break true,
            Ok(_) => {}
            Err(error) => {
                black_box(&error);
                break false;
            }
        }
    };
    Ok(Outcome { received, closed })
}

/// The server flow with embedded-websocket: the caller parses the HTTP
/// request itself (httparse, as the crate's examples do), then the
/// `Framer` answers it.
pub fn ews_server(
    mut device: Device,
    read_buf: &mut [u8],
    write_buf: &mut [u8],
    frame_buf: &mut [u8],
) -> Result<Outcome, Failed> {
    use embedded_websocket::framer::Stream;
    let mut len = 0;
    let context = loop {
        let n = device.read(&mut read_buf[len..]).map_err(fail)?;
        if n == 0 {
            return Err(Failed);
        }
        len += n;
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut request = httparse::Request::new(&mut headers);
        if request.parse(&read_buf[..len]).map_err(fail)?.is_complete() {
            let headers = request.headers.iter().map(|h| (h.name, h.value));
            match embedded_websocket::read_http_header(headers).map_err(fail)? {
                Some(context) => break context,
                None => return Err(Failed),
            }
        }
    };
    let mut ws = WebSocketServer::new_server();
    let mut cursor = 0;
    let mut framer = Framer::new(read_buf, &mut cursor, write_buf, &mut ws);
    framer.accept(&mut device, &context).map_err(fail)?;
    let mut answer = [0u8; 64];
    let received = match framer.read(&mut device, frame_buf).map_err(fail)? {
        ReadResult::Text(text) => {
            let n = text.len().min(answer.len());
            answer[..n].copy_from_slice(&text.as_bytes()[..n]);
            n
        }
        _ => 0,
    };
    framer
        .write(&mut device, WebSocketSendMessageType::Binary, true, &answer[..received])
        .map_err(fail)?;
    framer.close(&mut device, WebSocketCloseStatusCode::NormalClosure, None).map_err(fail)?;
    let closed = loop {
        match framer.read(&mut device, frame_buf) {
            Ok(ReadResult::Closed) => break true,
            Ok(_) => {}
            Err(error) => {
                black_box(&error);
                break false;
            }
        }
    };
    Ok(Outcome { received, closed })
}

// ---- state sizes ----

impl barews_embedded::MaskKeys for Rng {
    fn next_mask(&mut self) -> [u8; 4] {
        self.mask()
    }
}

/// The types whose `size_of` the `type_sizes` binary records, in order.
pub const TYPE_SIZE_NAMES: [&str; TYPE_SIZE_COUNT] = [
    "barews_embedded::ClientSocket (whole client socket: connection + cursors + transport)",
    "barews_embedded::ServerSocket (whole server socket)",
    "barews::connection::Connection<Client<_>> (core state, client)",
    "barews::connection::Connection<Server> (core state, server)",
    "barews::handshake::client::ClientHandshake (during connect only)",
    "barews::handshake::server::ServerHandshake (during accept only)",
    "embedded_websocket::WebSocketClient",
    "embedded_websocket::WebSocketServer",
    "embedded_websocket::framer::Framer (client)",
];

/// How many types [`type_sizes`] records.
pub const TYPE_SIZE_COUNT: usize = 9;

/// `size_of` of each type of [`TYPE_SIZE_NAMES`], on the target built for.
pub const fn type_sizes() -> [u32; TYPE_SIZE_COUNT] {
    use barews_embedded::barews::connection::{self, Connection};
    use barews_embedded::barews::handshake::client::ClientHandshake;
    use barews_embedded::barews::handshake::server::ServerHandshake;
    use core::mem::size_of;
    [
        size_of::<barews_embedded::ClientSocket<'static, Device, Rng>>() as u32,
        size_of::<barews_embedded::ServerSocket<'static, Device>>() as u32,
        size_of::<Connection<connection::Client<Rng>>>() as u32,
        size_of::<Connection<connection::Server>>() as u32,
        size_of::<ClientHandshake<'static>>() as u32,
        size_of::<ServerHandshake>() as u32,
        size_of::<WebSocketClient<Rng>>() as u32,
        size_of::<WebSocketServer>() as u32,
        size_of::<Framer<'static, Rng, embedded_websocket::Client>>() as u32,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "deflate")]
    #[test]
    fn the_deflate_flow_runs_to_the_end() {
        let (mut rx, mut tx) = ([0u8; RX_LEN], [0u8; TX_LEN]);
        let mut window = [0u8; DEFLATE_WINDOW_LEN];
        let mut compressor = [0u8; DEFLATE_COMPRESSOR_LEN];
        let device = Device::new(&DEFLATE_CLIENT_SCRIPT);
        let outcome = barews_client_deflate(device, &mut rx, &mut tx, &mut window, &mut compressor);
        // The compressed text inflated whole (a wrong byte would end the
        // connection with 1007 instead).
        assert_eq!(outcome, Ok(Outcome { received: DEFLATE_SERVER_TEXT.len(), closed: true }));
    }

    #[test]
    fn every_flow_runs_to_the_end() {
        let (mut rx, mut tx, mut frame) = ([0u8; RX_LEN], [0u8; TX_LEN], [0u8; EWS_FRAME_LEN]);
        let client = Outcome { received: SERVER_TEXT.len(), closed: true };
        let server = Outcome { received: CLIENT_TEXT.len(), closed: true };
        assert_eq!(barews_client(Device::new(&CLIENT_SCRIPT), &mut rx, &mut tx), Ok(client));
        assert_eq!(barews_server(Device::new(&SERVER_SCRIPT), &mut rx, &mut tx), Ok(server));
        let device = Device::new(&CLIENT_SCRIPT);
        assert_eq!(ews_client(device, &mut rx, &mut tx, &mut frame), Ok(client));
        let device = Device::new(&SERVER_SCRIPT);
        assert_eq!(ews_server(device, &mut rx, &mut tx, &mut frame), Ok(server));
    }
}
