//! The async socket: an async client and an async server over an
//! in-memory pipe small enough to make every read and write wait, on a
//! one-thread executor (`embassy_futures::block_on`); an async client
//! against the std adapter over loopback TCP; and cancelled reads that
//! lose nothing.

#![cfg(feature = "async")]

mod common;

use barews_embedded::barews::config::Config;
use barews_embedded::barews::connection::Connection;
use barews_embedded::{Acceptor, ClientRequest, CloseCode, Connector, DataKind, End, Error, Event};
use common::{Tcp, pattern, serve_once, test_keys};
use core::convert::Infallible;
use core::future::{Future, poll_fn};
use core::pin::pin;
use core::task::{Poll, Waker};
use embassy_futures::block_on;
use embassy_futures::join::join;
use embassy_futures::select::{Either, select};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

/// One direction of the pipe: at most `capacity` bytes in flight.
struct Channel {
    bytes: VecDeque<u8>,
    capacity: usize,
    closed: bool,
    reader: Option<Waker>,
    writer: Option<Waker>,
}

/// One end of an in-memory duplex pipe.
struct PipeEnd {
    inbound: Rc<RefCell<Channel>>,
    outbound: Rc<RefCell<Channel>>,
}

fn pipe(capacity: usize) -> (PipeEnd, PipeEnd) {
    let channel = || {
        Rc::new(RefCell::new(Channel {
            bytes: VecDeque::new(),
            capacity,
            closed: false,
            reader: None,
            writer: None,
        }))
    };
    let (a, b) = (channel(), channel());
    (PipeEnd { inbound: a.clone(), outbound: b.clone() }, PipeEnd { inbound: b, outbound: a })
}

impl Drop for PipeEnd {
    fn drop(&mut self) {
        let mut out = self.outbound.borrow_mut();
        out.closed = true;
        if let Some(waker) = out.reader.take() {
            waker.wake();
        }
    }
}

impl embedded_io_async::ErrorType for PipeEnd {
    type Error = Infallible;
}

impl embedded_io_async::Read for PipeEnd {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        poll_fn(|cx| {
            let mut channel = self.inbound.borrow_mut();
            if channel.bytes.is_empty() {
                if channel.closed {
                    return Poll::Ready(Ok(0));
                }
                channel.reader = Some(cx.waker().clone());
                return Poll::Pending;
            }
            let n = buf.len().min(channel.bytes.len());
            for (slot, byte) in buf.iter_mut().zip(channel.bytes.drain(..n)) {
                *slot = byte;
            }
            if let Some(waker) = channel.writer.take() {
                waker.wake();
            }
            Poll::Ready(Ok(n))
        })
        .await
    }
}

impl embedded_io_async::Write for PipeEnd {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        poll_fn(|cx| {
            let mut channel = self.outbound.borrow_mut();
            let room = channel.capacity - channel.bytes.len();
            if room == 0 {
                channel.writer = Some(cx.waker().clone());
                return Poll::Pending;
            }
            let n = buf.len().min(room);
            channel.bytes.extend(&buf[..n]);
            if let Some(waker) = channel.reader.take() {
                waker.wake();
            }
            Poll::Ready(Ok(n))
        })
        .await
    }

    async fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

impl PipeEnd {
    /// Puts bytes in the pipe as the peer would (unbounded).
    fn push(&self, bytes: &[u8]) {
        let mut out = self.outbound.borrow_mut();
        out.bytes.extend(bytes);
        if let Some(waker) = out.reader.take() {
            waker.wake();
        }
    }

    /// Takes everything the other end wrote.
    fn take(&self) -> Vec<u8> {
        self.inbound.borrow_mut().bytes.drain(..).collect()
    }
}

/// A future that is ready on its `polls`-th poll: a stand-in for a timer.
fn ready_after(polls: usize) -> impl Future<Output = ()> {
    let mut left = polls;
    poll_fn(move |cx| {
        left = left.saturating_sub(1);
        if left == 0 {
            Poll::Ready(())
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
}

#[test]
fn async_client_and_async_server_through_a_seven_byte_pipe() {
    let (client_end, server_end) = pipe(7);
    let big = pattern(20_000);
    let server = async {
        let (mut rx, mut tx) = ([0u8; 300], [0u8; 200]);
        let mut ws = Acceptor::new().accept_async(server_end, &mut rx, &mut tx).await.unwrap();
        let mut message = Vec::new();
        let mut seen = Vec::new();
        loop {
            match ws.read().await {
                Ok(Event::Data { kind, payload, first, last }) => {
                    if first {
                        message.clear();
                    }
                    message.extend_from_slice(payload);
                    if last {
                        ws.send(kind, &message, true).await.unwrap();
                        seen.push(message.len());
                    }
                }
                Ok(_) => {}
                Err(Error::Ended(End::Closed)) => return seen,
                Err(error) => panic!("server: {error:?}"),
            }
        }
    };
    let client = async {
        let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
        let mut ws = Connector::new(test_keys())
            .connect_async(client_end, ClientRequest::new("pipe", "/"), [9; 16], &mut rx, &mut tx)
            .await
            .unwrap();
        let mut echoed = Vec::new();
        for (kind, payload) in [(DataKind::Text, &b"small"[..]), (DataKind::Binary, &big[..])] {
            match kind {
                DataKind::Text => ws.send_text(core::str::from_utf8(payload).unwrap()).await,
                DataKind::Binary => ws.send_binary(payload).await,
            }
            .unwrap();
            let mut message = Vec::new();
            loop {
                match ws.read().await.unwrap() {
                    Event::Data { kind: got, payload, last, .. } => {
                        assert_eq!(got, kind);
                        message.extend_from_slice(payload);
                        if last {
                            break;
                        }
                    }
                    other => panic!("client: {other:?}"),
                }
            }
            echoed.push(message);
        }
        ws.ping(b"still there?").await.unwrap();
        assert_eq!(ws.read().await.unwrap(), Event::Pong(b"still there?"));
        ws.close(CloseCode::NORMAL, "").await.unwrap();
        assert!(matches!(ws.read().await.unwrap(), Event::Close(_)));
        assert_eq!(ws.read().await.unwrap_err(), Error::Ended(End::Closed));
        echoed
    };
    let (seen, echoed) = block_on(join(server, client));
    assert_eq!(seen, [5, 20_000]);
    assert_eq!(echoed, [b"small".to_vec(), big]);
}

#[test]
fn async_client_with_std_server() {
    let (addr, server) = serve_once(|stream| {
        let mut socket = barews_std::accept(stream).unwrap();
        let message = socket.read().unwrap();
        socket.send(message).unwrap();
        socket.close(CloseCode::GOING_AWAY, "shutting down")
    });
    block_on(async {
        let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
        let request = ClientRequest::new("127.0.0.1", "/").with_port(addr.port());
        let mut ws = Connector::new(test_keys())
            .connect_async(Tcp::connect(addr), request, [1; 16], &mut rx, &mut tx)
            .await
            .unwrap();
        let text = "ünïcödé ".repeat(200);
        ws.send_text(&text).await.unwrap();
        let mut echoed = Vec::new();
        loop {
            match ws.read().await.unwrap() {
                Event::Data { payload, last, .. } => {
                    echoed.extend_from_slice(payload);
                    if last {
                        break;
                    }
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(String::from_utf8(echoed).unwrap(), text);
        match ws.read().await.unwrap() {
            Event::Close(frame) => {
                assert_eq!(frame.code, Some(CloseCode::GOING_AWAY));
                assert_eq!(frame.reason, "shutting down");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(ws.read().await.unwrap_err().to_string(), "connection closed");
    });
    server.join().unwrap().unwrap();
}

#[test]
fn a_cancelled_read_loses_no_bytes() {
    let (device, peer) = pipe(1 << 20);
    peer.push(
        b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    let mut encoder = Connection::client(Config::new(), || [1, 2, 3, 4]);
    let mut frame = [0u8; 64];
    let len = encoder.send(DataKind::Text, b"cancel me not", &mut frame).unwrap();
    block_on(async {
        let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
        let mut ws = Acceptor::new().accept_async(device, &mut rx, &mut tx).await.unwrap();
        assert!(peer.take().starts_with(b"HTTP/1.1 101"));
        // Nothing to read: the "timer" wins and the read is dropped.
        assert!(matches!(select(ws.read(), ready_after(3)).await, Either::Second(())));
        // Half a frame arrives and is read into the buffer, then the read
        // is dropped again while it waits for the rest.
        peer.push(&frame[..5]);
        assert!(matches!(select(ws.read(), ready_after(3)).await, Either::Second(())));
        peer.push(&frame[5..len]);
        let read = pin!(ws.read());
        match read.await.unwrap() {
            Event::Data { payload, first: true, last: true, .. } => {
                assert_eq!(payload, b"cancel me not");
            }
            other => panic!("{other:?}"),
        }
    });
}

#[test]
fn a_ping_is_answered_before_the_next_wait() {
    let (device, peer) = pipe(1 << 20);
    peer.push(
        b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    let mut encoder = Connection::client(Config::new(), || [1, 2, 3, 4]);
    encoder.ping(b"hb").unwrap();
    let mut ping = [0u8; 64];
    let len = encoder.poll_transmit(&mut ping).unwrap();
    block_on(async {
        let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
        let mut ws = Acceptor::new().accept_async(device, &mut rx, &mut tx).await.unwrap();
        peer.take();
        peer.push(&ping[..len]);
        assert_eq!(ws.read().await.unwrap(), Event::Ping(b"hb"));
        // The Pong goes out when the socket next waits for input.
        assert!(matches!(select(ws.read(), ready_after(3)).await, Either::Second(())));
        assert_eq!(peer.take(), [0x8a, 0x02, b'h', b'b']);
    });
}
