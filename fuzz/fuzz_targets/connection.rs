//! A client and a server wired together in memory, driven by an arbitrary
//! sequence of operations: sends (whole and fragmented), pings, closes,
//! partial deliveries in either direction, and time passing.
//!
//! Checks: neither side ever sees a protocol error from the other (so
//! neither ever writes a frame the RFC forbids); every message arrives
//! exactly as sent, in order; and once either side starts the closing
//! handshake and everything is delivered, both are closed.
#![no_main]

#[path = "common.rs"]
mod common;

use arbitrary::Arbitrary;
use barews::close::CloseCode;
use barews::config::Config;
use barews::connection::{Connection, DataKind, Event, SendError, Side};
use barews::time::{Duration, Instant};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Op {
    Send { from_client: bool, text: bool, payload: Vec<u8> },
    Fragment { from_client: bool, text: bool, payload: Vec<u8>, fin: bool },
    Ping { from_client: bool, payload: Vec<u8> },
    Close { from_client: bool, code: u16, reason: String },
    Deliver { to_server: bool, bytes: u16 },
    Advance { millis: u16 },
}

/// One end: its connection, the bytes it wrote that the peer has not read
/// yet, and what it has received.
struct End<S> {
    conn: Connection<S>,
    outbox: Vec<u8>,
    inbox: Vec<u8>,
    received: Vec<(DataKind, Vec<u8>)>,
    partial: Option<(DataKind, Vec<u8>)>,
    sent: Vec<(DataKind, Vec<u8>)>,
    sending: Option<(DataKind, Vec<u8>)>,
}

impl<S: Side> End<S> {
    fn new(conn: Connection<S>) -> Self {
        End { conn, outbox: Vec::new(), inbox: Vec::new(), received: Vec::new(), partial: None, sent: Vec::new(), sending: None }
    }

    fn flush(&mut self) {
        let mut out = [0u8; 131];
        loop {
            let n = self.conn.poll_transmit(&mut out).unwrap();
            if n == 0 {
                break;
            }
            self.outbox.extend_from_slice(&out[..n]);
        }
    }

    fn send(&mut self, kind: DataKind, payload: &[u8]) {
        let mut out = vec![0u8; payload.len() + 14];
        match self.conn.send(kind, payload, &mut out) {
            Ok(n) => {
                self.outbox.extend_from_slice(&out[..n]);
                self.sent.push((kind, payload.to_vec()));
            }
            Err(SendError::Closed | SendError::MessageInProgress | SendError::InvalidUtf8) => {}
            Err(other) => panic!("send failed: {other}"),
        }
        self.flush();
    }

    fn fragment(&mut self, kind: DataKind, payload: &[u8], fin: bool) {
        let mut out = vec![0u8; payload.len() + 14];
        match self.conn.send_fragment(kind, payload, fin, &mut out) {
            Ok(n) => {
                self.outbox.extend_from_slice(&out[..n]);
                let message = self.sending.get_or_insert((kind, Vec::new()));
                message.1.extend_from_slice(payload);
                if fin {
                    self.sent.push(self.sending.take().unwrap());
                }
            }
            Err(SendError::Closed | SendError::KindMismatch | SendError::InvalidUtf8) => {}
            Err(other) => panic!("send_fragment failed: {other}"),
        }
        self.flush();
    }

    /// Reads what arrived; the peer is barews too, so any protocol error
    /// means one side broke the RFC.
    fn receive(&mut self) {
        loop {
            let received = match self.conn.receive(&mut self.inbox) {
                Ok(received) => received,
                Err(error) => panic!("protocol error between two barews ends: {error}"),
            };
            let consumed = received.consumed;
            let event = received.event.is_some();
            if let Some(Event::Data { kind, payload, last, .. }) = received.event {
                self.partial.get_or_insert((kind, Vec::new())).1.extend_from_slice(payload);
                if last {
                    self.received.push(self.partial.take().unwrap());
                }
            }
            self.inbox.drain(..consumed);
            self.flush();
            if consumed == 0 && !event {
                break;
            }
        }
    }
}

fn deliver<A: Side, B: Side>(from: &mut End<A>, to: &mut End<B>, bytes: usize) {
    let n = bytes.min(from.outbox.len());
    to.inbox.extend(from.outbox.drain(..n));
    to.receive();
}

fuzz_target!(|ops: Vec<Op>| {
    let config = Config::new()
        .with_keepalive(Some(Duration::from_millis(1000)))
        .with_keepalive_timeout(Duration::from_millis(500))
        .with_close_timeout(Duration::from_millis(2000));
    let mut client = End::new(Connection::client(config, || [7, 7, 7, 7]));
    let mut server = End::new(Connection::server(config));
    let mut now = 0u64;
    let mut closing = false;
    for op in ops.into_iter().take(200) {
        match op {
            Op::Send { from_client, text, payload } => {
                let (kind, payload) = data(text, payload);
                if from_client { client.send(kind, &payload) } else { server.send(kind, &payload) }
            }
            Op::Fragment { from_client, text, payload, fin } => {
                let kind = if text { DataKind::Text } else { DataKind::Binary };
                if from_client { client.fragment(kind, &payload, fin) } else { server.fragment(kind, &payload, fin) }
            }
            Op::Ping { from_client, payload } => {
                let payload = &payload[..payload.len().min(125)];
                let end_ok = if from_client { client.conn.ping(payload) } else { server.conn.ping(payload) };
                if end_ok.is_ok() {
                    if from_client { client.flush() } else { server.flush() }
                }
            }
            Op::Close { from_client, code, reason } => {
                let reason = &reason[..floor_char_boundary(&reason, 123)];
                let result = if from_client {
                    client.conn.close(CloseCode(code), reason)
                } else {
                    server.conn.close(CloseCode(code), reason)
                };
                if result.is_ok() {
                    closing = true;
                    client.flush();
                    server.flush();
                }
            }
            Op::Deliver { to_server, bytes } => {
                if to_server {
                    deliver(&mut client, &mut server, usize::from(bytes));
                } else {
                    deliver(&mut server, &mut client, usize::from(bytes));
                }
            }
            Op::Advance { millis } => {
                now += u64::from(millis);
                // Expiry is allowed here (deliveries may stall); it is
                // checked at the end.
                let _ = client.conn.handle_timeout(Instant::from_millis(now));
                let _ = server.conn.handle_timeout(Instant::from_millis(now));
                client.flush();
                server.flush();
            }
        }
    }
    // Deliver everything, both ways, until nothing moves.
    for _ in 0..8 {
        deliver(&mut client, &mut server, usize::MAX);
        deliver(&mut server, &mut client, usize::MAX);
    }
    assert!(client.outbox.is_empty() && server.outbox.is_empty());
    // Every message arrived as sent, in order (a side that closed or timed
    // out may have stopped reading, so compare prefixes).
    assert!(server.received.len() <= client.sent.len() && client.received.len() <= server.sent.len());
    assert_eq!(&client.sent[..server.received.len()], &server.received[..]);
    assert_eq!(&server.sent[..client.received.len()], &client.received[..]);
    let timed_out = client.conn.expired().is_some() || server.conn.expired().is_some();
    if !timed_out {
        assert_eq!(server.received, client.sent, "everything the client sent arrived");
        assert_eq!(client.received, server.sent, "everything the server sent arrived");
        if closing {
            assert!(client.conn.is_closed() && server.conn.is_closed(), "the closing handshake completes");
        }
    }
});

fn data(text: bool, payload: Vec<u8>) -> (DataKind, Vec<u8>) {
    if text {
        (DataKind::Text, String::from_utf8_lossy(&payload).into_owned().into_bytes())
    } else {
        (DataKind::Binary, payload)
    }
}

fn floor_char_boundary(text: &str, max: usize) -> usize {
    (0..=max.min(text.len())).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0)
}
