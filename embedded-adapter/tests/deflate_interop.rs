//! permessage-deflate between the embedded adapter (memory lent, small
//! windows) and the std adapter over loopback TCP, in both roles: what is
//! agreed, that messages are compressed both ways (RSV1 and the sizes on
//! the wire, read from what the embedded socket wrote and read), and that
//! context is kept or reset as agreed.

#![cfg(feature = "deflate")]

mod common;

use barews_embedded::deflate::{Context, Deflate, DeflateConfig, compressor_size, window_size};
use barews_embedded::{
    Acceptor, ClientRequest, CloseCode, Connector, DataKind, End, Error, Event, WebSocket,
};
use barews_std::{ClientOptions, Message, ServerOptions};
use common::{Tcp, serve_once, test_keys};
use std::cell::RefCell;
use std::io;
use std::rc::Rc;

/// A TCP transport that keeps a copy of every byte it wrote and read.
struct Recorded {
    tcp: Tcp,
    wire: Rc<RefCell<Wire>>,
}

#[derive(Default)]
struct Wire {
    written: Vec<u8>,
    read: Vec<u8>,
}

impl Recorded {
    fn new(tcp: Tcp) -> (Self, Rc<RefCell<Wire>>) {
        let wire = Rc::new(RefCell::new(Wire::default()));
        (Recorded { tcp, wire: wire.clone() }, wire)
    }
}

impl embedded_io::ErrorType for Recorded {
    type Error = io::Error;
}

impl embedded_io::Read for Recorded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = embedded_io::Read::read(&mut self.tcp, buf)?;
        self.wire.borrow_mut().read.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

impl embedded_io::Write for Recorded {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = embedded_io::Write::write(&mut self.tcp, buf)?;
        self.wire.borrow_mut().written.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        embedded_io::Write::flush(&mut self.tcp)
    }
}

#[cfg(feature = "async")]
impl embedded_io_async::Read for Recorded {
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        embedded_io::Read::read(self, buf)
    }
}

#[cfg(feature = "async")]
impl embedded_io_async::Write for Recorded {
    async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        embedded_io::Write::write(self, buf)
    }

    async fn flush(&mut self) -> io::Result<()> {
        embedded_io::Write::flush(self)
    }
}

/// Checks two sendings of the same text, as recorded: compressed (RSV1),
/// shorter than `len`, the second less than half as long (context kept;
/// `len` fits the window, so the whole first sending is within reach).
#[cfg(feature = "async")]
fn check_repeated(wire: &[u8], len: usize) {
    let messages = messages(wire);
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages.iter().all(|m| m.compressed && m.len < len), "{messages:?}");
    assert!(messages[1].len * 2 < messages[0].len, "{messages:?}");
}

/// A data message as it crossed the wire: whether its first frame had
/// RSV1 (compressed), and the payload bytes of its frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct OnWire {
    compressed: bool,
    len: usize,
}

/// The data messages in `bytes`: an HTTP head, then whole frames.
fn messages(bytes: &[u8]) -> Vec<OnWire> {
    let head = bytes.windows(4).position(|w| w == b"\r\n\r\n").expect("a head") + 4;
    let mut rest = &bytes[head..];
    let mut messages = Vec::new();
    while rest.len() >= 2 {
        let (first, second) = (rest[0], rest[1]);
        let (mut len, mut at) = (usize::from(second & 0x7f), 2);
        if len == 126 {
            len = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
            at = 4;
        } else if len == 127 {
            len = usize::try_from(u64::from_be_bytes(rest[2..10].try_into().unwrap())).unwrap();
            at = 10;
        }
        if second & 0x80 != 0 {
            at += 4;
        }
        match first & 0x0f {
            0x1 | 0x2 => messages.push(OnWire { compressed: first & 0x40 != 0, len }),
            0x0 => messages.last_mut().expect("a message to continue").len += len,
            _ => assert_eq!(first & 0x40, 0, "RSV1 on a control frame"),
        }
        rest = &rest[at + len..];
    }
    assert!(rest.is_empty(), "the recording ends inside a frame");
    messages
}

/// Text that compresses a little on its own (words picked by a
/// pseudo-random walk) and to almost nothing when it is sent again with
/// its first sending as history.
fn words(len: usize, seed: u32) -> String {
    const WORDS: [&str; 16] = [
        "sensor",
        "reading",
        "alpha",
        "bravo",
        "charlie",
        "delta",
        "temperature",
        "humidity",
        "pressure",
        "voltage",
        "current",
        "device",
        "status",
        "ok",
        "error",
        "value",
    ];
    let mut state = seed;
    let mut text = String::new();
    while text.len() < len {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        text.push_str(WORDS[(state % 16) as usize]);
        text.push(if state & 0x100 == 0 { ' ' } else { ',' });
    }
    text.truncate(len);
    text
}

/// Reads one whole message through the embedded socket.
fn next<T, S, C>(ws: &mut WebSocket<'_, T, S, C>) -> Result<(DataKind, Vec<u8>), Error<T::Error>>
where
    T: embedded_io::Read + embedded_io::Write,
    S: barews_embedded::barews::connection::Side,
    C: barews_embedded::Clock,
{
    let mut message = Vec::new();
    loop {
        if let Event::Data { kind, payload, last, .. } = ws.read()? {
            message.extend_from_slice(payload);
            if last {
                return Ok((kind, message));
            }
        }
    }
}

/// The messages each test sends, each echoed back: a compressible text
/// twice (the second sending shows whether context is kept), a binary
/// message larger than the windows, a short text (under the minimum
/// size: never compressed) and a text too large for the embedded send
/// buffer compressed (sent as it is by the embedded end).
fn script() -> Vec<(DataKind, Vec<u8>)> {
    let text = words(300, 7).into_bytes();
    let binary: Vec<u8> = words(1500, 11).bytes().rev().collect();
    vec![
        (DataKind::Text, text.clone()),
        (DataKind::Text, text),
        (DataKind::Binary, binary),
        (DataKind::Text, b"tiny".to_vec()),
        (DataKind::Text, words(5000, 3).into_bytes()),
    ]
}

/// Checks the messages the embedded end sent (`sent`) and received
/// (`received`), both echoes of [`script`], given whether each end keeps
/// its compression context: the first three compressed and smaller than
/// they are, the repeated text much smaller the second time with context
/// and the same size without, the short one never compressed, and the
/// large one compressed only by the std end.
fn check_wire(sent: &[OnWire], received: &[OnWire], embedded_keeps: bool, std_keeps: bool) {
    let lens: Vec<usize> = script().iter().map(|(_, m)| m.len()).collect();
    assert_eq!(sent.len(), lens.len(), "{sent:?}");
    assert_eq!(received.len(), lens.len(), "{received:?}");
    for (wire, keeps, large_compressed) in
        [(sent, embedded_keeps, false), (received, std_keeps, true)]
    {
        for (message, len) in wire.iter().zip(&lens).take(3) {
            assert!(message.compressed, "{wire:?}");
            assert!(message.len < *len, "{wire:?}");
        }
        if keeps {
            assert!(wire[1].len * 4 < wire[0].len, "context kept: {wire:?}");
        } else {
            assert_eq!(wire[1].len, wire[0].len, "no context: {wire:?}");
        }
        assert_eq!(wire[3], OnWire { compressed: false, len: 4 });
        assert_eq!(wire[4].compressed, large_compressed, "{wire:?}");
    }
}

/// The embedded server's memory: a window of 2^`bits` bytes and a
/// compressor that keeps context (`keeps`) or not.
struct Memory {
    window: Vec<u8>,
    compressor: Vec<u8>,
}

impl Memory {
    fn new(bits: u8, keeps: bool) -> Self {
        let context = if keeps { Context::Kept } else { Context::Reset };
        Memory {
            window: vec![0; window_size(bits)],
            compressor: vec![0; compressor_size(bits, 1, context)],
        }
    }

    fn deflate(&mut self) -> Deflate<'_> {
        Deflate::new(&mut self.window, &mut self.compressor)
    }
}

/// A barews-embedded server with permessage-deflate in `bits`-bit
/// windows echoing for a barews-std client configured with `client`:
/// returns the `101`'s extension as the client saw it and the wire as
/// the embedded server saw it.
fn embedded_server_with_std_client(
    bits: u8,
    embedded_keeps: bool,
    client: DeflateConfig,
) -> (Vec<String>, Vec<OnWire>, Vec<OnWire>) {
    let (addr, server) = serve_once(move |stream| {
        let (transport, wire) = Recorded::new(Tcp(stream));
        let mut memory = Memory::new(bits, embedded_keeps);
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 2048]);
        let mut ws = Acceptor::new()
            .with_deflate(memory.deflate())
            .accept(transport, &mut rx, &mut tx)
            .unwrap();
        assert!(ws.connection().deflate_enabled());
        loop {
            match next(&mut ws) {
                Ok((DataKind::Text, text)) => ws.send_text(std::str::from_utf8(&text).unwrap()),
                Ok((DataKind::Binary, bytes)) => ws.send_binary(&bytes),
                Err(Error::Ended(End::Closed)) => break,
                Err(error) => panic!("embedded server: {error}"),
            }
            .unwrap();
        }
        drop(ws);
        let wire = wire.borrow();
        (messages(&wire.written), messages(&wire.read))
    });

    let mut options = ClientOptions::default();
    options.deflate = Some(client);
    let (mut socket, info) = barews_std::connect_with(&format!("ws://{addr}/"), &options).unwrap();
    for (kind, message) in script() {
        match kind {
            DataKind::Text => {
                let text = String::from_utf8(message).unwrap();
                socket.send_text(&text).unwrap();
                assert_eq!(socket.read().unwrap(), Message::Text(text));
            }
            DataKind::Binary => {
                socket.send_binary(&message).unwrap();
                assert_eq!(socket.read().unwrap(), Message::Binary(message));
            }
        }
    }
    socket.close(CloseCode::NORMAL, "").unwrap();
    assert!(matches!(socket.read(), Err(barews_std::Error::Ended(barews_std::End::Closed))));
    let (sent, received) = server.join().unwrap();
    (info.extensions, sent, received)
}

#[test]
fn embedded_server_compresses_both_ways_in_9_bit_windows_with_context_takeover() {
    let (agreed, sent, received) = embedded_server_with_std_client(9, true, DeflateConfig::new());
    // The std client offered `client_max_window_bits` without a value:
    // the server caps both windows at its own 9 bits.
    assert_eq!(agreed, ["permessage-deflate; server_max_window_bits=9; client_max_window_bits=9"]);
    check_wire(&sent, &received, true, true);
}

#[test]
fn embedded_server_compresses_both_ways_in_10_bit_windows_without_context_takeover() {
    let (agreed, sent, received) =
        embedded_server_with_std_client(10, true, DeflateConfig::without_context_takeover());
    assert_eq!(
        agreed,
        ["permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
          server_max_window_bits=10; client_max_window_bits=10"]
    );
    check_wire(&sent, &received, false, false);
}

#[test]
fn embedded_server_lent_only_a_hash_table_declares_no_context_takeover_for_itself() {
    let (agreed, sent, received) = embedded_server_with_std_client(9, false, DeflateConfig::new());
    assert_eq!(
        agreed,
        ["permessage-deflate; server_no_context_takeover; server_max_window_bits=9; \
          client_max_window_bits=9"]
    );
    check_wire(&sent, &received, false, true);
}

#[test]
fn embedded_server_declines_a_client_that_does_not_cap_its_window() {
    // Without `client_max_window_bits` the client compresses with 15-bit
    // windows (RFC 7692 section 7.1.2.2): a 512-byte window cannot hold
    // them, so the server answers without the extension.
    let (addr, server) = serve_once(|stream| {
        let mut memory = Memory::new(9, true);
        let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
        let mut ws = Acceptor::new()
            .with_deflate(memory.deflate())
            .accept(Tcp(stream), &mut rx, &mut tx)
            .unwrap();
        assert!(!ws.connection().deflate_enabled());
        let (_, text) = next(&mut ws).unwrap();
        ws.send_text(std::str::from_utf8(&text).unwrap()).unwrap();
        assert!(matches!(next(&mut ws), Err(Error::Ended(End::Closed))));
    });
    let mut options = ClientOptions::default();
    options.extensions = Some("permessage-deflate; server_max_window_bits=9".into());
    let (mut socket, info) = barews_std::connect_with(&format!("ws://{addr}/"), &options).unwrap();
    assert!(info.extensions.is_empty(), "{info:?}");
    let text = words(300, 1);
    socket.send_text(&text).unwrap();
    assert_eq!(socket.read().unwrap(), Message::Text(text));
    socket.close(CloseCode::NORMAL, "").unwrap();
    assert!(socket.read().is_err());
    server.join().unwrap();
}

/// A barews-embedded client with permessage-deflate in `bits`-bit
/// windows, against a barews-std echo server configured with `server`:
/// returns the extension the embedded client agreed to and the wire as
/// it saw it.
fn embedded_client_with_std_server(
    bits: u8,
    embedded_keeps: bool,
    server: DeflateConfig,
) -> (Vec<OnWire>, Vec<OnWire>) {
    let (addr, handle) = serve_once(move |stream| {
        let mut options = ServerOptions::default();
        options.deflate = Some(server);
        let (mut socket, accepted) = barews_std::accept_with(stream, &options).unwrap();
        loop {
            let result = match socket.read() {
                Ok(Message::Text(text)) => socket.send_text(&text),
                Ok(Message::Binary(bytes)) => socket.send_binary(&bytes),
                Ok(_) => Ok(()),
                Err(barews_std::Error::Ended(barews_std::End::Closed)) => {
                    return accepted.extensions;
                }
                Err(error) => panic!("std server: {error}"),
            };
            result.unwrap();
        }
    });

    let (transport, wire) = Recorded::new(Tcp::connect(addr));
    let mut memory = Memory::new(bits, embedded_keeps);
    let (mut rx, mut tx) = ([0u8; 1024], [0u8; 2048]);
    let request = ClientRequest::new("127.0.0.1", "/").with_port(addr.port());
    let mut ws = Connector::new(test_keys())
        .with_deflate(memory.deflate())
        .connect(transport, request, *b"0123456789abcdef", &mut rx, &mut tx)
        .unwrap();
    assert!(ws.connection().deflate_enabled());
    for (kind, message) in script() {
        match kind {
            DataKind::Text => ws.send_text(std::str::from_utf8(&message).unwrap()).unwrap(),
            DataKind::Binary => ws.send_binary(&message).unwrap(),
        }
        assert_eq!(next(&mut ws).unwrap(), (kind, message));
    }
    ws.close(CloseCode::NORMAL, "").unwrap();
    assert!(matches!(ws.read(), Ok(Event::Close(_))));
    assert!(matches!(ws.read(), Err(Error::Ended(End::Closed))));
    drop(ws);
    let agreed = handle.join().unwrap().expect("the std server accepted the extension");
    let wire = wire.borrow();
    let request = String::from_utf8_lossy(&wire.written);
    let offer = format!(
        "\r\nSec-WebSocket-Extensions: permessage-deflate; {}server_max_window_bits={bits}; \
         client_max_window_bits={bits}\r\n",
        if embedded_keeps { "" } else { "client_no_context_takeover; " }
    );
    assert!(request.contains(&offer), "{request}");
    let answer = String::from_utf8_lossy(&wire.read);
    assert!(answer.contains(&format!("Sec-WebSocket-Extensions: {agreed}\r\n")), "{answer}");
    (messages(&wire.written), messages(&wire.read))
}

#[test]
fn embedded_client_compresses_both_ways_in_9_bit_windows_with_context_takeover() {
    let (sent, received) = embedded_client_with_std_server(9, true, DeflateConfig::new());
    check_wire(&sent, &received, true, true);
}

#[test]
fn embedded_client_compresses_both_ways_in_10_bit_windows_without_context_takeover() {
    let (sent, received) =
        embedded_client_with_std_server(10, true, DeflateConfig::without_context_takeover());
    check_wire(&sent, &received, false, false);
}

#[test]
fn embedded_client_lent_only_a_hash_table_asks_for_no_context_takeover_for_itself() {
    let (sent, received) = embedded_client_with_std_server(10, false, DeflateConfig::new());
    check_wire(&sent, &received, false, true);
}

#[test]
fn embedded_client_refuses_a_server_window_larger_than_offered() {
    // A server answering with a larger window than offered would send
    // what the 512-byte window cannot inflate: the client fails.
    let (addr, server) = serve_once(|stream| {
        use std::io::{Read, Write};
        let mut stream = stream;
        let mut head = Vec::new();
        let mut byte = [0u8];
        while !head.ends_with(b"\r\n\r\n") {
            stream.read_exact(&mut byte).unwrap();
            head.push(byte[0]);
        }
        let key = String::from_utf8(head)
            .unwrap()
            .lines()
            .find_map(|line| line.strip_prefix("Sec-WebSocket-Key: ").map(str::to_owned))
            .unwrap();
        let accept = barews_embedded::barews::handshake::SecKey::parse(key.as_bytes())
            .map(|key| key.accept().as_str().to_owned());
        let response = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {}\r\n\
             Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=12\r\n\r\n",
            accept.unwrap()
        );
        stream.write_all(response.as_bytes()).unwrap();
    });
    let mut memory = Memory::new(9, true);
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
    let request = ClientRequest::new("127.0.0.1", "/");
    let result = Connector::new(test_keys()).with_deflate(memory.deflate()).connect(
        Tcp::connect(addr),
        request,
        *b"0123456789abcdef",
        &mut rx,
        &mut tx,
    );
    assert!(
        matches!(
            result,
            Err(Error::Deflate(barews_embedded::deflate::NegotiationError::BadWindowBits))
        ),
        "{result:?}"
    );
    server.join().unwrap();
}

#[cfg(feature = "async")]
#[test]
fn async_embedded_client_compresses_both_ways() {
    let (addr, handle) = serve_once(|stream| {
        let mut options = ServerOptions::default();
        options.deflate = Some(DeflateConfig::new());
        let (mut socket, _) = barews_std::accept_with(stream, &options).unwrap();
        loop {
            match socket.read() {
                Ok(Message::Text(text)) => socket.send_text(&text).unwrap(),
                Ok(_) => {}
                Err(error) => return error,
            }
        }
    });
    let (transport, wire) = Recorded::new(Tcp::connect(addr));
    let text = words(400, 5);
    embassy_futures::block_on(async {
        let mut memory = Memory::new(9, true);
        let (mut rx, mut tx) = ([0u8; 512], [0u8; 1024]);
        let request = ClientRequest::new("127.0.0.1", "/").with_port(addr.port());
        let mut ws = Connector::new(test_keys())
            .with_deflate(memory.deflate())
            .connect_async(transport, request, *b"0123456789abcdef", &mut rx, &mut tx)
            .await
            .unwrap();
        assert!(ws.connection().deflate_enabled());
        for _ in 0..2 {
            ws.send_text(&text).await.unwrap();
            let mut echo = Vec::new();
            loop {
                let Event::Data { payload, last, .. } = ws.read().await.unwrap() else { continue };
                assert!(payload.len() <= 512, "inflated chunks come from the 512-byte window");
                echo.extend_from_slice(payload);
                if last {
                    break;
                }
            }
            assert_eq!(echo, text.as_bytes());
        }
        ws.close(CloseCode::NORMAL, "").await.unwrap();
        while ws.read().await.is_ok() {}
    });
    let ended = handle.join().unwrap();
    assert!(matches!(ended, barews_std::Error::Ended(barews_std::End::Closed)), "{ended}");
    let wire = wire.borrow();
    check_repeated(&wire.written, text.len());
    check_repeated(&wire.read, text.len());
}

#[cfg(feature = "async")]
#[test]
fn async_embedded_server_compresses_both_ways() {
    let text = words(900, 9);
    let len = text.len();
    let (addr, server) = serve_once(move |stream| {
        let (transport, wire) = Recorded::new(Tcp(stream));
        let ended = embassy_futures::block_on(async {
            let mut memory = Memory::new(10, true);
            let (mut rx, mut tx) = ([0u8; 512], [0u8; 1024]);
            let mut ws = Acceptor::new()
                .with_deflate(memory.deflate())
                .accept_async(transport, &mut rx, &mut tx)
                .await
                .unwrap();
            assert!(ws.connection().deflate_enabled());
            let mut message = Vec::new();
            loop {
                match ws.read().await {
                    Ok(Event::Data { payload, last, .. }) => {
                        message.extend_from_slice(payload);
                        if last {
                            let text = String::from_utf8(std::mem::take(&mut message)).unwrap();
                            ws.send_text(&text).await.unwrap();
                        }
                    }
                    Ok(_) => {}
                    Err(error) => return error,
                }
            }
        });
        let wire = wire.borrow();
        check_repeated(&wire.written, len);
        check_repeated(&wire.read, len);
        ended
    });
    let mut options = ClientOptions::default();
    options.deflate = Some(DeflateConfig::new());
    let (mut socket, info) = barews_std::connect_with(&format!("ws://{addr}/"), &options).unwrap();
    assert_eq!(
        info.extensions,
        ["permessage-deflate; server_max_window_bits=10; client_max_window_bits=10"]
    );
    for _ in 0..2 {
        socket.send_text(&text).unwrap();
        assert_eq!(socket.read().unwrap(), Message::Text(text.clone()));
    }
    socket.close(CloseCode::NORMAL, "").unwrap();
    assert!(matches!(socket.read(), Err(barews_std::Error::Ended(barews_std::End::Closed))));
    let ended = server.join().unwrap();
    assert!(matches!(ended, Error::Ended(End::Closed)), "{ended}");
}
