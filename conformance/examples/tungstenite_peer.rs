//! A peer for the QEMU firmware flows (scripts/qemu-firmware.sh), on
//! tungstenite: an echo server for one client, or a client that runs the
//! firmware's script against an echo server. Exits 0 when the other side
//! did everything right, 1 otherwise.
//!
//! ```sh
//! cargo run -p barews-conformance --example tungstenite_peer -- echo-server PORTFILE
//! cargo run -p barews-conformance --example tungstenite_peer -- client ws://127.0.0.1:PORT/
//! ```
//!
//! The echo server listens on 127.0.0.1, any port, and writes the port to
//! PORTFILE. The client sends what the firmware's client sends
//! (embedded-adapter/firmware/src/qemu/script.rs): texts of 0, 1, 125, 126
//! and 3000 bytes with characters of every UTF-8 length, a 70,000-byte
//! binary message and a Ping; it checks each echo and the Pong, then
//! closes with 1000. Every wait is bounded (30 s of silence).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::time::Duration;
use tungstenite::protocol::CloseFrame;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::{Bytes, Message, WebSocket};

const SILENCE: Duration = Duration::from_secs(30);
const TEXT_LENS: [usize; 5] = [0, 1, 125, 126, 3000];
const BINARY_LEN: usize = 70_000;
const PING: &[u8] = b"ping from the tungstenite peer";

type Outcome = Result<String, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["echo-server", portfile] => echo_server(portfile),
        ["client", url] => client(url),
        _ => Err("usage: tungstenite_peer echo-server PORTFILE | client URL".to_owned()),
    };
    match outcome {
        Ok(summary) => {
            println!("tungstenite {}: {summary}", args[0]);
            ExitCode::SUCCESS
        }
        Err(failure) => {
            println!("tungstenite {}: FAILED: {failure}", args[0]);
            ExitCode::FAILURE
        }
    }
}

fn text(len: usize) -> String {
    let mut text = String::new();
    for c in ['a', '\u{e9}', '\u{20ac}', '\u{1f600}'].iter().cycle() {
        if text.len() + c.len_utf8() > len {
            break;
        }
        text.push(*c);
    }
    while text.len() < len {
        text.push('a');
    }
    text
}

fn binary() -> Vec<u8> {
    // The low bits of a position-dependent mix.
    #[allow(clippy::cast_possible_truncation)]
    (0..BINARY_LEN).map(|i| (i * 11 + (i >> 9)) as u8).collect()
}

/// Echoes every message of one client; succeeds when it closed with 1000.
fn echo_server(portfile: &str) -> Outcome {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    std::fs::write(portfile, port.to_string()).map_err(|e| e.to_string())?;
    let (stream, _) = listener.accept().map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(SILENCE)).map_err(|e| e.to_string())?;
    let mut ws = tungstenite::accept(HeadFirst::new(stream)).map_err(|e| e.to_string())?;
    let mut echoed = 0;
    loop {
        match ws.read() {
            Ok(message @ (Message::Text(_) | Message::Binary(_))) => {
                ws.send(message).map_err(|e| e.to_string())?;
                echoed += 1;
            }
            Ok(Message::Close(frame)) => {
                let code = frame.map(|frame| frame.code);
                // Reading on flushes the reply and ends when the client has it.
                while ws.read().is_ok() {}
                return if code == Some(CloseCode::Normal) {
                    Ok(format!("{echoed} messages echoed, the client closed with 1000"))
                } else {
                    Err(format!("the client closed with {code:?} after {echoed} messages"))
                };
            }
            Ok(_) => {}
            Err(error) => return Err(format!("after {echoed} messages: {error}")),
        }
    }
}

/// A TCP stream whose first read returns the peer's whole HTTP head.
///
/// The emulated UART hands bytes over a few at a time, and tungstenite
/// takes a head that arrives in more than 64 reads averaging under 128
/// bytes for a slow-loris attack (its `AttackAttempt`): so the head is
/// read here, byte by byte up to its blank line (8 KiB at most), and
/// handed over in one piece.
struct HeadFirst {
    head: Option<std::io::Cursor<Vec<u8>>>,
    stream: TcpStream,
}

impl HeadFirst {
    fn new(stream: TcpStream) -> Self {
        HeadFirst { head: None, stream }
    }
}

impl Read for HeadFirst {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.head.is_none() {
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && head.len() <= 8192 {
                if self.stream.read(&mut byte)? == 0 {
                    break;
                }
                head.push(byte[0]);
            }
            self.head = Some(std::io::Cursor::new(head));
        }
        let Some(head) = &mut self.head else { return Ok(0) };
        match head.read(buf)? {
            0 => self.stream.read(buf),
            n => Ok(n),
        }
    }
}

impl Write for HeadFirst {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.stream.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.stream.flush()
    }
}

/// Runs the script against an echo server at `url`.
fn client(url: &str) -> Outcome {
    let authority = url
        .strip_prefix("ws://")
        .and_then(|rest| rest.split('/').next())
        .ok_or_else(|| format!("not a ws:// URL: {url}"))?;
    let stream = TcpStream::connect(authority).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(SILENCE)).map_err(|e| e.to_string())?;
    let (mut ws, _) =
        tungstenite::client(url, HeadFirst::new(stream)).map_err(|e| e.to_string())?;
    for len in TEXT_LENS {
        let sent = text(len);
        ws.send(Message::text(sent.clone())).map_err(|e| e.to_string())?;
        match next(&mut ws)? {
            Message::Text(echo) if echo.as_str() == sent => {}
            other => return Err(format!("the echo of the {len}-byte text differs: {other:?}")),
        }
    }
    let sent = binary();
    ws.send(Message::binary(sent.clone())).map_err(|e| e.to_string())?;
    match next(&mut ws)? {
        Message::Binary(echo) if echo == sent => {}
        _ => return Err("the echo of the binary message differs".to_owned()),
    }
    ws.send(Message::Ping(Bytes::from_static(PING))).map_err(|e| e.to_string())?;
    match next(&mut ws)? {
        Message::Pong(payload) if payload == PING => {}
        other => return Err(format!("waited for the Pong, got {other:?}")),
    }
    ws.close(Some(CloseFrame { code: CloseCode::Normal, reason: "".into() }))
        .map_err(|e| e.to_string())?;
    let code = loop {
        match ws.read() {
            Ok(Message::Close(frame)) => break frame.map(|frame| frame.code),
            Ok(_) => {}
            Err(error) => return Err(format!("waited for the Close: {error}")),
        }
    };
    while ws.read().is_ok() {}
    if code == Some(CloseCode::Normal) {
        Ok(format!(
            "{} echoes and the Pong checked, the server closed with 1000",
            TEXT_LENS.len() + 1
        ))
    } else {
        Err(format!("the server closed with {code:?}"))
    }
}

/// The next message that is not a Ping (tungstenite answers those).
fn next(ws: &mut WebSocket<HeadFirst>) -> Result<Message, String> {
    loop {
        match ws.read().map_err(|e| e.to_string())? {
            Message::Ping(_) => {}
            message => return Ok(message),
        }
    }
}
