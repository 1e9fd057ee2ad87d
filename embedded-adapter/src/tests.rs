//! The blocking socket over a scripted in-memory transport: every read
//! chunking, the buffer limits, handshake refusals, protocol errors,
//! timers, and what each case writes on the wire (decoded by the core).

use crate::{
    AcceptOptions, Acceptor, ClientRequest, CloseCode, Config, Connector, DataKind, End, Error,
    Event, Instant, MIN_BUFFER, ServerConfig,
};
use barews::ProtocolError;
use barews::connection::{Connection, Expired, MaskKeys, SendError, Side};
use barews::handshake::Failure;
use barews::handshake::client::ResponseError;
use barews::handshake::server::HandshakeError;
use barews::time::Duration;
use core::cell::Cell;
use embedded_io::ErrorKind;
use std::string::String;
use std::vec::Vec;

const REQUEST: &[u8] = b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
    Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Sec-WebSocket-Version: 13\r\n\r\n";
const RESPONSE: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
    Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
const NONCE: [u8; 16] = *b"the sample nonce";
const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A transport that plays `input` in reads of at most `read_chunk` bytes,
/// takes writes of at most `write_chunk` bytes, and at the end of the
/// input reports EOF, or a timeout when `timeout_at_end` is set.
struct Script {
    input: Vec<u8>,
    pos: usize,
    read_chunk: usize,
    write_chunk: usize,
    timeout_at_end: bool,
    output: Vec<u8>,
}

impl Script {
    fn new(input: Vec<u8>) -> Self {
        Script {
            input,
            pos: 0,
            read_chunk: usize::MAX,
            write_chunk: usize::MAX,
            timeout_at_end: false,
            output: Vec::new(),
        }
    }

    fn chunks(mut self, read: usize, write: usize) -> Self {
        self.read_chunk = read;
        self.write_chunk = write;
        self
    }

    fn timeout_at_end(mut self) -> Self {
        self.timeout_at_end = true;
        self
    }
}

impl embedded_io::ErrorType for Script {
    type Error = ErrorKind;
}

impl embedded_io::Read for Script {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        let left = self.input.len() - self.pos;
        if left == 0 && self.timeout_at_end {
            return Err(ErrorKind::TimedOut);
        }
        let n = left.min(buf.len()).min(self.read_chunk);
        buf[..n].copy_from_slice(&self.input[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl embedded_io::Write for Script {
    fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
        let n = buf.len().min(self.write_chunk);
        self.output.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> Result<(), ErrorKind> {
        Ok(())
    }
}

/// A frame as the peer would send it, encoded by the core: masked when
/// the peer is a client.
fn frame<S: Side>(peer: &mut Connection<S>, kind: DataKind, payload: &[u8]) -> Vec<u8> {
    let mut out = std::vec![0u8; payload.len() + 14];
    let n = peer.send(kind, payload, &mut out).unwrap();
    out.truncate(n);
    out
}

/// Control frames queued on `peer`, encoded.
fn owed<S: Side>(peer: &mut Connection<S>) -> Vec<u8> {
    let mut all = Vec::new();
    let mut out = [0u8; 131];
    loop {
        let n = peer.poll_transmit(&mut out).unwrap();
        if n == 0 {
            return all;
        }
        all.extend_from_slice(&out[..n]);
    }
}

fn client_peer() -> Connection<barews::connection::Client<impl MaskKeys>> {
    Connection::client(Config::new(), || KEY)
}

/// What the peer saw: each message, Ping, Pong and Close, in order.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(Option<u16>),
}

/// Decodes `wire` with the core on the peer's side, also returning the
/// frames' count.
fn decode<S: Side>(mut peer: Connection<S>, wire: &[u8]) -> (Vec<Seen>, usize) {
    let mut buf = wire.to_vec();
    let mut start = 0;
    let mut seen = Vec::new();
    let mut message = Vec::new();
    let mut frames = 0;
    loop {
        let received = peer.receive(&mut buf[start..]).expect("valid frames");
        start += received.consumed;
        match received.event {
            Some(Event::Data { kind, payload, first, last }) => {
                if first {
                    message.clear();
                }
                message.extend_from_slice(payload);
                if last {
                    seen.push(match kind {
                        DataKind::Text => Seen::Text(String::from_utf8(message.clone()).unwrap()),
                        DataKind::Binary => Seen::Binary(message.clone()),
                    });
                }
            }
            Some(Event::Ping(p)) => seen.push(Seen::Ping(p.to_vec())),
            Some(Event::Pong(p)) => seen.push(Seen::Pong(p.to_vec())),
            Some(Event::Close(f)) => seen.push(Seen::Close(f.code.map(u16::from))),
            None if received.consumed == 0 => break,
            None => {}
        }
        frames += 1;
    }
    assert_eq!(start, wire.len(), "trailing bytes");
    (seen, frames)
}

/// Splits what was written into the HTTP head and the frames after it.
fn split_head(output: &[u8]) -> (&[u8], &[u8]) {
    let end = output.windows(4).position(|w| w == b"\r\n\r\n").expect("a head") + 4;
    output.split_at(end)
}

/// Reads events until the connection is over, returning them as seen and
/// the error that ended it.
fn read_all<T: embedded_io::Read + embedded_io::Write, S: Side, C: crate::Clock>(
    ws: &mut crate::WebSocket<'_, T, S, C>,
) -> (Vec<Seen>, Error<T::Error>) {
    let mut seen = Vec::new();
    let mut message = Vec::new();
    loop {
        match ws.read() {
            Ok(Event::Data { kind, payload, first, last }) => {
                assert!(payload.len() <= 4096);
                if first {
                    message.clear();
                }
                message.extend_from_slice(payload);
                if last {
                    seen.push(match kind {
                        DataKind::Text => Seen::Text(String::from_utf8(message.clone()).unwrap()),
                        DataKind::Binary => Seen::Binary(message.clone()),
                    });
                }
            }
            Ok(Event::Ping(p)) => seen.push(Seen::Ping(p.to_vec())),
            Ok(Event::Pong(p)) => seen.push(Seen::Pong(p.to_vec())),
            Ok(Event::Close(f)) => seen.push(Seen::Close(f.code.map(u16::from))),
            Err(error) => return (seen, error),
        }
    }
}

#[test]
fn server_transcript_is_the_same_at_every_read_chunking() {
    let mut peer = client_peer();
    let mut input = REQUEST.to_vec();
    input.extend(frame(&mut peer, DataKind::Text, b"Hello"));
    peer.ping(b"are you there").unwrap();
    // Written before the Close is queued, which would replace it.
    input.extend(owed(&mut peer));
    peer.close(CloseCode::NORMAL, "bye").unwrap();
    input.extend(owed(&mut peer));
    let mut transcripts = Vec::new();
    for read in [1, 2, 3, 5, 7, 13, 64, 1000] {
        for write in [1, 3, usize::MAX] {
            let script = Script::new(input.clone()).chunks(read, write);
            let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
            let mut ws = Acceptor::new().accept(script, &mut rx, &mut tx).unwrap();
            let (seen, end) = read_all(&mut ws);
            assert_eq!(end, Error::Ended(End::Closed));
            assert_eq!(
                seen,
                [
                    Seen::Text("Hello".into()),
                    Seen::Ping(b"are you there".to_vec()),
                    Seen::Close(Some(1000))
                ]
            );
            transcripts.push(ws.into_inner().output);
        }
    }
    let (head, frames) = split_head(&transcripts[0]);
    assert!(head.starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"));
    let (seen, _) = decode(client_peer(), frames);
    assert_eq!(seen, [Seen::Pong(b"are you there".to_vec()), Seen::Close(Some(1000))]);
    assert!(transcripts.iter().all(|t| *t == transcripts[0]));
}

#[test]
fn client_gets_frames_that_arrived_with_the_101_and_masks_what_it_sends() {
    let mut server = Connection::server(Config::new());
    let mut input = RESPONSE.to_vec();
    input.extend(frame(&mut server, DataKind::Text, b"Hi"));
    server.close(CloseCode::GOING_AWAY, "").unwrap();
    input.extend(owed(&mut server));
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 256]);
    let request = ClientRequest::new("example.com", "/chat");
    let mut ws = Connector::new(|| KEY)
        .connect(Script::new(input), request, NONCE, &mut rx, &mut tx)
        .unwrap();
    assert_eq!(ws.protocol(), None);
    ws.send_text("Hello").unwrap();
    let (seen, end) = read_all(&mut ws);
    assert_eq!(seen, [Seen::Text("Hi".into()), Seen::Close(Some(1001))]);
    assert_eq!(end, Error::Ended(End::Closed));
    let output = ws.into_inner().output;
    let (head, frames) = split_head(&output);
    assert!(head.starts_with(b"GET /chat HTTP/1.1\r\nHost: example.com\r\n"));
    assert!(frames.starts_with(&[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d]));
    let (seen, _) = decode(Connection::server(Config::new()), frames);
    assert_eq!(seen, [Seen::Text("Hello".into()), Seen::Close(Some(1001))]);
}

#[test]
fn client_reports_the_selected_subprotocol_as_offered() {
    let response = String::from_utf8(RESPONSE.to_vec())
        .unwrap()
        .replace("\r\n\r\n", "\r\nSec-WebSocket-Protocol: v2\r\n\r\n");
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 256]);
    let offered = ["v1", "v2"];
    let request = ClientRequest::new("example.com", "/").with_protocols(&offered);
    let script = Script::new(response.into_bytes());
    let ws = Connector::new(|| KEY).connect(script, request, NONCE, &mut rx, &mut tx).unwrap();
    assert_eq!(ws.protocol(), Some("v2"));
}

#[test]
fn messages_of_any_size_pass_through_minimum_buffers() {
    let big: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
    let mut server = Connection::server(Config::new());
    let mut input = RESPONSE.to_vec();
    input.extend(frame(&mut server, DataKind::Binary, &big));
    let text = "é".repeat(700);
    input.extend(frame(&mut server, DataKind::Text, text.as_bytes()));
    for config in [Config::new(), Config::new().with_fragment_size(Some(1000))] {
        // The smallest request (host "a", path "/") is 140 bytes.
        let (mut rx, mut tx) = ([0u8; MIN_BUFFER], [0u8; 140]);
        let script = Script::new(input.clone()).chunks(usize::MAX, 50);
        let mut ws = Connector::new(|| KEY)
            .with_config(config)
            .connect(script, ClientRequest::new("a", "/"), NONCE, &mut rx, &mut tx)
            .unwrap();
        ws.send_binary(&big).unwrap();
        ws.send_text(&text).unwrap();
        let (seen, end) = read_all(&mut ws);
        assert_eq!(seen, [Seen::Binary(big.clone()), Seen::Text(text.clone())]);
        assert_eq!(end, Error::Ended(End::AbnormalClosure));
        let output = ws.into_inner().output;
        let (seen, frames) = decode(Connection::server(Config::new()), split_head(&output).1);
        assert_eq!(seen, [Seen::Binary(big.clone()), Seen::Text(text.clone())]);
        let expected = if config.fragment_size().is_some() { 5 + 2 } else { 2 };
        assert_eq!(frames, expected);
    }
}

#[test]
fn text_fragments_are_checked_as_one_stream() {
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 200]);
    let script = Script::new(RESPONSE.to_vec());
    let mut ws = Connector::new(|| KEY)
        .connect(script, ClientRequest::new("a", "/"), NONCE, &mut rx, &mut tx)
        .unwrap();
    // "é" split inside the character, with a Ping between the fragments.
    ws.send(DataKind::Text, b"caf\xc3", false).unwrap();
    ws.ping(b"mid").unwrap();
    ws.send(DataKind::Text, b"\xa9", true).unwrap();
    assert_eq!(ws.send(DataKind::Text, b"\xff", true), Err(Error::Send(SendError::InvalidUtf8)));
    // Text and binary pieces larger than the send buffer stream through
    // it; a text piece is checked whole before any of it goes out.
    let long = [b'a'; 300];
    let mut bad = long;
    bad[299] = 0xff;
    assert_eq!(ws.send(DataKind::Text, &bad, true), Err(Error::Send(SendError::InvalidUtf8)));
    ws.send(DataKind::Text, &long, true).unwrap();
    ws.send(DataKind::Binary, &long, false).unwrap();
    assert_eq!(ws.send(DataKind::Text, b"x", true), Err(Error::Send(SendError::KindMismatch)));
    assert_eq!(ws.send_binary(b"x"), Err(Error::Send(SendError::MessageInProgress)));
    ws.send(DataKind::Binary, b"", true).unwrap();
    let output = ws.into_inner().output;
    let (seen, _) = decode(Connection::server(Config::new()), split_head(&output).1);
    assert_eq!(
        seen,
        [
            Seen::Ping(b"mid".to_vec()),
            Seen::Text("café".into()),
            Seen::Text("a".repeat(300)),
            Seen::Binary(long.to_vec())
        ]
    );
}

#[test]
fn a_protocol_error_sends_its_close_and_sticks() {
    let mut input = REQUEST.to_vec();
    // An unmasked frame from a client.
    input.extend([0x81, 0x02, b'h', b'i']);
    let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
    let mut ws = Acceptor::new().accept(Script::new(input), &mut rx, &mut tx).unwrap();
    assert_eq!(ws.read().unwrap_err(), Error::Ended(End::Protocol(ProtocolError::UnmaskedFrame)));
    assert_eq!(ws.read().unwrap_err(), Error::Ended(End::Protocol(ProtocolError::UnmaskedFrame)));
    assert_eq!(ws.send_text("x"), Err(Error::Send(SendError::Closed)));
    let output = ws.into_inner().output;
    let (seen, _) = decode(client_peer(), split_head(&output).1);
    assert_eq!(seen, [Seen::Close(Some(1002))]);
}

#[test]
fn invalid_requests_get_their_http_error() {
    let old = String::from_utf8(REQUEST.to_vec()).unwrap().replace("Version: 13", "Version: 8");
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
    let mut script = Script::new(old.into_bytes());
    let Err(error) = Acceptor::new().accept(&mut script, &mut rx, &mut tx) else {
        panic!("accepted")
    };
    assert_eq!(error, Error::Handshake(Failure::Rejected(HandshakeError::UnsupportedVersion)));
    // RFC 6455 section 4.4: a 426 names the version this server speaks.
    let text = String::from_utf8(script.output).unwrap();
    assert!(text.starts_with("HTTP/1.1 426 "), "{text}");
    assert!(text.contains("\r\nSec-WebSocket-Version: 13\r\n"), "{text}");
    // A head larger than the receive buffer is refused with 431.
    let (mut rx, mut tx) = ([0u8; MIN_BUFFER], [0u8; 512]);
    let script = Script::new(REQUEST.to_vec()).chunks(10, usize::MAX);
    let Err(error) = Acceptor::new().accept(script, &mut rx, &mut tx) else { panic!("accepted") };
    assert_eq!(error, Error::Handshake(Failure::Rejected(HandshakeError::HeadTooLarge)));
}

#[test]
fn refusals_are_written_to_the_client() {
    let mut transport = Script::new(REQUEST.to_vec());
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
    let result = Acceptor::new().accept_with(&mut transport, &mut rx, &mut tx, |request| {
        assert_eq!(request.path(), "/chat");
        Err(404)
    });
    assert_eq!(result.unwrap_err(), Error::Handshake(Failure::Refused { status: 404 }));
    // The core's answer: with a reason phrase and a body only with
    // `detailed-errors` (which the std adapter among the dev-dependencies
    // turns on in the core whatever this crate's features).
    let text = core::str::from_utf8(&transport.output).unwrap();
    assert!(text.starts_with("HTTP/1.1 404 "), "{text}");
    assert!(text.contains("\r\nConnection: close\r\n"), "{text}");
    // Choosing a subprotocol the client did not offer is the server's
    // mistake: the client gets a 500.
    let mut transport = Script::new(REQUEST.to_vec());
    let result = Acceptor::new().accept_with(&mut transport, &mut rx, &mut tx, |_| {
        Ok(AcceptOptions::new().with_protocol(Some("chat")))
    });
    assert!(matches!(result.unwrap_err(), Error::Handshake(Failure::Accept(_))));
    assert!(transport.output.starts_with(b"HTTP/1.1 500 "));
}

#[test]
fn the_server_answers_with_the_configured_options() {
    let offering = String::from_utf8(REQUEST.to_vec())
        .unwrap()
        .replace("\r\n\r\n", "\r\nSec-WebSocket-Protocol: chat, superchat\r\n\r\n");
    let mut transport = Script::new(offering.into_bytes());
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
    let headers = [("Server", "device")];
    let server = Acceptor::new()
        .with_handshake(ServerConfig::new().with_max_head_len(400))
        .with_options(AcceptOptions::new().with_protocol(Some("superchat")).with_headers(&headers));
    server.accept(&mut transport, &mut rx, &mut tx).unwrap();
    let text = String::from_utf8(transport.output).unwrap();
    assert!(text.contains("\r\nSec-WebSocket-Protocol: superchat\r\n"), "{text}");
    assert!(text.contains("\r\nServer: device\r\n"), "{text}");
}

#[test]
fn client_refuses_bad_answers_and_heads_larger_than_its_buffer() {
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
    let wrong = String::from_utf8(RESPONSE.to_vec()).unwrap().replace("s3pP", "AAAA");
    let script = Script::new(wrong.into_bytes());
    let result = Connector::new(|| KEY).connect(
        script,
        ClientRequest::new("a", "/"),
        NONCE,
        &mut rx,
        &mut tx,
    );
    assert_eq!(
        result.unwrap_err(),
        Error::Handshake(Failure::Response(ResponseError::AcceptMismatch))
    );
    let (mut rx, mut tx) = ([0u8; MIN_BUFFER], [0u8; 512]);
    let mut long = RESPONSE.to_vec();
    long.splice(
        34..34,
        b"X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".iter().copied(),
    );
    let script = Script::new(long);
    let result = Connector::new(|| KEY).connect(
        script,
        ClientRequest::new("a", "/"),
        NONCE,
        &mut rx,
        &mut tx,
    );
    assert_eq!(
        result.unwrap_err(),
        Error::Handshake(Failure::Response(ResponseError::HeadTooLarge))
    );
}

#[test]
fn buffers_are_checked_before_anything_is_sent() {
    let (mut small, mut big) = ([0u8; MIN_BUFFER - 1], [0u8; 512]);
    let mut transport = Script::new(RESPONSE.to_vec());
    let result = Connector::new(|| KEY).connect(
        &mut transport,
        ClientRequest::new("a", "/"),
        NONCE,
        &mut small,
        &mut big,
    );
    assert_eq!(result.unwrap_err(), Error::BufferTooSmall { required: MIN_BUFFER });
    let result = Acceptor::new().accept(&mut transport, &mut big, &mut small);
    assert_eq!(result.unwrap_err(), Error::BufferTooSmall { required: MIN_BUFFER });
    assert!(transport.output.is_empty());
    // A request larger than the send buffer.
    let (mut rx, mut tx) = ([0u8; 512], [0u8; MIN_BUFFER]);
    let path = "/a-rather-long-path/that/does/not/fit/with/the/rest/of/the/request";
    let result = Connector::new(|| KEY).connect(
        &mut transport,
        ClientRequest::new("a", path),
        NONCE,
        &mut rx,
        &mut tx,
    );
    assert!(
        matches!(result.unwrap_err(), Error::BufferTooSmall { required } if required > MIN_BUFFER)
    );
    assert!(transport.output.is_empty());
}

#[test]
fn the_end_of_the_transport_is_reported() {
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
    let script = Script::new(REQUEST[..40].to_vec());
    assert_eq!(
        Acceptor::new().accept(script, &mut rx, &mut tx).unwrap_err(),
        Error::Ended(End::AbnormalClosure)
    );
    let mut ws = Acceptor::new().accept(Script::new(REQUEST.to_vec()), &mut rx, &mut tx).unwrap();
    assert_eq!(ws.read().unwrap_err(), Error::Ended(End::AbnormalClosure));
}

#[test]
fn keepalive_and_the_close_timeout_run_on_the_callers_clock() {
    let now = Cell::new(0u64);
    let clock = || Instant::from_millis(now.get());
    let config = Config::new()
        .with_keepalive(Some(Duration::from_millis(1000)))
        .with_keepalive_timeout(Duration::from_millis(500));
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
    let script = Script::new(REQUEST.to_vec()).timeout_at_end();
    let mut ws = Acceptor::new()
        .with_config(config)
        .with_clock(clock)
        .accept(script, &mut rx, &mut tx)
        .unwrap();
    assert_eq!(ws.next_deadline(), Some(Instant::ZERO));
    // The transport's read timeout brings control back; each read acts on
    // the timers first.
    assert_eq!(ws.read().unwrap_err(), Error::Io(ErrorKind::TimedOut));
    assert_eq!(ws.next_deadline(), Some(Instant::from_millis(1000)));
    now.set(1000);
    assert_eq!(ws.read().unwrap_err(), Error::Io(ErrorKind::TimedOut));
    now.set(1600);
    assert_eq!(ws.read().unwrap_err(), Error::Ended(End::Expired(Expired::Keepalive)));
    assert_eq!(ws.read().unwrap_err(), Error::Ended(End::Expired(Expired::Keepalive)));
    let output = ws.into_inner().output;
    let (seen, _) = decode(client_peer(), split_head(&output).1);
    assert_eq!(seen, [Seen::Ping(Vec::new())]);

    // The close timeout.
    now.set(0);
    let script = Script::new(REQUEST.to_vec()).timeout_at_end();
    let mut ws = Acceptor::new().with_clock(clock).accept(script, &mut rx, &mut tx).unwrap();
    ws.close(CloseCode::NORMAL, "done").unwrap();
    assert_eq!(ws.read().unwrap_err(), Error::Io(ErrorKind::TimedOut));
    now.set(5000);
    assert_eq!(ws.read().unwrap_err(), Error::Ended(End::Expired(Expired::CloseHandshake)));
}

#[test]
fn without_a_clock_no_timer_runs() {
    let config = Config::new().with_keepalive(Some(Duration::from_millis(1)));
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
    let script = Script::new(REQUEST.to_vec()).timeout_at_end();
    let mut ws = Acceptor::new().with_config(config).accept(script, &mut rx, &mut tx).unwrap();
    for _ in 0..3 {
        assert_eq!(ws.read().unwrap_err(), Error::Io(ErrorKind::TimedOut));
    }
    let output = ws.into_inner().output;
    assert!(split_head(&output).1.is_empty());
}

#[test]
fn after_the_closing_handshake_nothing_more_goes() {
    let mut server = Connection::server(Config::new());
    server.close(CloseCode::NORMAL, "").unwrap();
    let mut input = RESPONSE.to_vec();
    input.extend(owed(&mut server));
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 256]);
    let script = Script::new(input);
    let mut ws = Connector::new(|| KEY)
        .connect(script, ClientRequest::new("a", "/"), NONCE, &mut rx, &mut tx)
        .unwrap();
    ws.close(CloseCode::NORMAL, "").unwrap();
    assert_eq!(ws.state(), barews::connection::State::CloseSent);
    assert!(matches!(ws.read().unwrap(), Event::Close(_)));
    assert_eq!(ws.state(), barews::connection::State::Closed);
    assert_eq!(ws.read().unwrap_err(), Error::Ended(End::Closed));
    assert_eq!(ws.send_text("late"), Err(Error::Send(SendError::Closed)));
    assert_eq!(ws.close(CloseCode::NORMAL, ""), Err(Error::Send(SendError::Closed)));
}

#[test]
fn errors_describe_themselves() {
    let error: Error<ErrorKind> = Error::Io(ErrorKind::TimedOut);
    assert_eq!(std::format!("{error}"), "I/O error: TimedOut");
    let error: Error<ErrorKind> = Error::Handshake(Failure::Rejected(HandshakeError::MissingKey));
    assert!(std::format!("{error}").starts_with("upgrade request refused: "));
    assert!(core::error::Error::source(&error).is_some());
}

#[test]
fn unread_bytes_move_to_the_front_in_pieces() {
    // Many small frames arrive in one read; each event consumes a few
    // bytes, so the unread rest overlaps where it moves to.
    let mut peer = client_peer();
    let mut input = REQUEST.to_vec();
    let mut expected = Vec::new();
    for i in 0..60u8 {
        let text = std::format!("message {i}");
        input.extend(frame(&mut peer, DataKind::Text, text.as_bytes()));
        expected.push(Seen::Text(text));
    }
    for read in [7, 100, 1000] {
        let (mut rx, mut tx) = ([0u8; 200], [0u8; 200]);
        let script = Script::new(input.clone()).chunks(read, usize::MAX);
        let mut ws = Acceptor::new().accept(script, &mut rx, &mut tx).unwrap();
        let (seen, end) = read_all(&mut ws);
        assert_eq!(end, Error::Ended(End::AbnormalClosure));
        assert_eq!(seen, expected);
    }
}

#[test]
fn events_borrow_the_right_bytes_at_every_read_chunking() {
    // Each event's bytes are found again by position after the read loop:
    // a data chunk, a Ping payload and a Close reason, whatever the reads.
    let mut peer = client_peer();
    let mut input = REQUEST.to_vec();
    input.extend(frame(&mut peer, DataKind::Binary, b"abc"));
    peer.ping(b"ping!").unwrap();
    peer.pong(b"").unwrap();
    // Written before the Close is queued, which would replace the Ping.
    input.extend(owed(&mut peer));
    peer.close(CloseCode::NORMAL, "bye now").unwrap();
    input.extend(owed(&mut peer));
    for read in [1, 2, 5, 1000] {
        let script = Script::new(input.clone()).chunks(read, usize::MAX);
        let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
        let mut ws = Acceptor::new().accept(script, &mut rx, &mut tx).unwrap();
        let mut data = Vec::new();
        loop {
            match ws.read().unwrap() {
                Event::Data { payload, last, .. } => {
                    data.extend_from_slice(payload);
                    if last {
                        break;
                    }
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(data, b"abc");
        assert_eq!(ws.read().unwrap(), Event::Pong(b""));
        assert_eq!(ws.read().unwrap(), Event::Ping(b"ping!"));
        match ws.read().unwrap() {
            Event::Close(frame) => {
                assert_eq!(frame.code, Some(CloseCode::NORMAL));
                assert_eq!(frame.reason, "bye now");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[cfg(feature = "deflate")]
mod deflate;
