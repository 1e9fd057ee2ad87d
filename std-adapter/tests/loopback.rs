//! The std adapter over real loopback TCP: echo, handshake refusals and
//! deadlines, read timeouts, keepalive, split halves, subprotocols.

use barews::close::CloseCode;
use barews::connection::Expired;
use barews::handshake::Failure;
use barews::handshake::server::{HandshakeError, OriginPolicy, ServerConfig};
use barews::time::Duration as CoreDuration;
use barews_std::{ClientOptions, End, Error, Message, ServerOptions};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Starts a server that accepts one connection and runs `serve` on it.
fn server<R: Send + 'static>(
    serve: impl FnOnce(TcpStream) -> R + Send + 'static,
) -> (SocketAddr, JoinHandle<R>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        serve(stream)
    });
    (addr, handle)
}

/// Echoes messages until the connection ends; returns how it ended.
fn echo(stream: TcpStream, options: &ServerOptions) -> Error {
    let (mut socket, _) = match barews_std::accept_with(stream, options) {
        Ok(accepted) => accepted,
        Err(error) => return error,
    };
    loop {
        let result = match socket.read() {
            Ok(Message::Text(text)) => socket.send_text(&text),
            Ok(Message::Binary(bytes)) => socket.send_binary(&bytes),
            Ok(_) => Ok(()),
            Err(error) => return error,
        };
        if let Err(error) = result {
            return error;
        }
    }
}

fn url(addr: SocketAddr) -> String {
    format!("ws://{addr}/echo")
}

const UPGRADE: &str = "GET /echo HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n\
    Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";

#[test]
fn messages_echo_and_the_close_handshake_completes() {
    let (addr, handle) = server(|stream| echo(stream, &ServerOptions::default()));
    let (mut socket, _) = barews_std::connect(&url(addr)).unwrap();
    socket.send_text("hello").unwrap();
    assert_eq!(socket.read().unwrap(), Message::text("hello"));
    let big: Vec<u8> = (0..1_000_000u32).map(|i| (i % 253) as u8).collect();
    socket.send_binary(&big).unwrap();
    assert_eq!(socket.read().unwrap(), Message::Binary(big));
    socket.ping(b"p").unwrap();
    assert_eq!(socket.read().unwrap(), Message::Pong(b"p".to_vec()));
    socket.close(CloseCode::NORMAL, "done").unwrap();
    assert!(matches!(socket.read(), Err(Error::Ended(End::Closed))));
    assert!(matches!(handle.join().unwrap(), Error::Ended(End::Closed)));
}

#[test]
fn the_server_gets_the_close_and_the_client_sees_the_end() {
    let (addr, handle) = server(|stream| {
        let mut socket = barews_std::accept(stream).unwrap();
        socket.close(CloseCode::GOING_AWAY, "bye")
    });
    let (mut socket, _) = barews_std::connect(&url(addr)).unwrap();
    let close = socket.read().unwrap();
    assert_eq!(
        close,
        Message::Close(Some(barews_std::CloseInfo {
            code: CloseCode::GOING_AWAY,
            reason: "bye".into()
        }))
    );
    assert!(matches!(socket.read(), Err(Error::Ended(End::Closed))));
    handle.join().unwrap().unwrap();
}

#[test]
fn an_invalid_request_gets_its_http_error() {
    let (addr, handle) = server(|stream| echo(stream, &ServerOptions::default()));
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.write_all(format!("{UPGRADE}Sec-WebSocket-Version: 8\r\n\r\n").as_bytes()).unwrap();
    let mut response = String::new();
    tcp.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 426 Upgrade Required\r\n"), "{response}");
    assert!(response.contains("\r\nSec-WebSocket-Version: 13\r\n"));
    assert!(matches!(
        handle.join().unwrap(),
        Error::Handshake(Failure::Rejected(HandshakeError::UnsupportedVersion))
    ));
}

#[test]
fn the_origin_policy_refuses_with_403() {
    let mut options = ServerOptions::default();
    options.handshake =
        ServerConfig::new().with_origin_policy(OriginPolicy::AllowList(&["https://good.example"]));
    let (addr, handle) = server(move |stream| echo(stream, &options));
    let mut client = ClientOptions::default();
    client.origin = Some("https://evil.example".into());
    let error = barews_std::connect_with(&url(addr), &client).unwrap_err();
    assert!(matches!(
        error,
        Error::Handshake(Failure::Response(
            barews::handshake::client::ResponseError::UnexpectedStatus(403)
        ))
    ));
    assert!(matches!(
        handle.join().unwrap(),
        Error::Handshake(Failure::Rejected(HandshakeError::OriginRejected))
    ));
}

#[test]
fn a_silent_or_slow_client_is_dropped_at_the_handshake_deadline() {
    let mut options = ServerOptions::default();
    options.handshake_timeout = Duration::from_millis(300);
    let (addr, handle) = server(move |stream| {
        let start = Instant::now();
        (echo(stream, &options), start.elapsed())
    });
    // One byte every 50 ms: always something, never a complete head.
    let mut tcp = TcpStream::connect(addr).unwrap();
    for byte in UPGRADE.bytes().take(20) {
        if tcp.write_all(&[byte]).is_err() {
            break;
        }
        thread::sleep(Duration::from_millis(50));
    }
    let (error, elapsed) = handle.join().unwrap();
    assert!(matches!(error, Error::HandshakeTimeout), "{error:?}");
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
}

#[test]
fn a_client_gives_up_on_a_server_that_never_answers() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut options = ClientOptions::default();
    options.handshake_timeout = Duration::from_millis(200);
    let error = barews_std::connect_with(&url(addr), &options).unwrap_err();
    assert!(matches!(error, Error::HandshakeTimeout), "{error:?}");
    drop(listener);
}

#[test]
fn a_read_timeout_is_recoverable() {
    let (addr, handle) = server(|stream| {
        let mut options = ServerOptions::default();
        options.socket.read_timeout = Some(Duration::from_millis(100));
        let (mut socket, _) = barews_std::accept_with(stream, &options).unwrap();
        let mut timeouts = 0;
        loop {
            match socket.read() {
                Err(Error::Timeout) if timeouts < 50 => timeouts += 1,
                other => return (timeouts, other.unwrap()),
            }
        }
    });
    let (mut socket, _) = barews_std::connect(&url(addr)).unwrap();
    thread::sleep(Duration::from_millis(300));
    socket.send_text("late but fine").unwrap();
    let (timeouts, message) = handle.join().unwrap();
    assert!(timeouts >= 1, "the first reads time out");
    assert_eq!(message, Message::text("late but fine"));
}

#[test]
fn keepalive_pings_and_drops_a_silent_peer() {
    let (addr, handle) = server(|stream| {
        let mut options = ServerOptions::default();
        options.socket.config = options
            .socket
            .config
            .with_keepalive(Some(CoreDuration::from_millis(100)))
            .with_keepalive_timeout(CoreDuration::from_millis(200));
        let (mut socket, _) = barews_std::accept_with(stream, &options).unwrap();
        socket.read()
    });
    // A raw client: completes the handshake, then never answers anything.
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.write_all(format!("{UPGRADE}Sec-WebSocket-Version: 13\r\n\r\n").as_bytes()).unwrap();
    let result = handle.join().unwrap();
    assert!(matches!(result, Err(Error::Ended(End::Expired(Expired::Keepalive)))), "{result:?}");
    let mut received = Vec::new();
    tcp.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let _ = tcp.read_to_end(&mut received);
    let head_end = received.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(&received[head_end..head_end + 2], [0x89, 0x00], "an empty keepalive Ping");
}

#[test]
fn split_halves_work_from_two_threads() {
    let (addr, handle) = server(|stream| echo(stream, &ServerOptions::default()));
    let (socket, _) = barews_std::connect(&url(addr)).unwrap();
    let (mut reader, writer) = socket.split().unwrap();
    let sender = {
        let writer = writer.clone();
        thread::spawn(move || {
            for i in 0..200 {
                writer.send_text(&format!("message {i}")).unwrap();
            }
        })
    };
    for i in 0..200 {
        assert_eq!(reader.read().unwrap(), Message::Text(format!("message {i}")));
    }
    sender.join().unwrap();
    writer.close(CloseCode::NORMAL, "").unwrap();
    // The reader sees the server's Close reply, then the end.
    assert!(matches!(reader.read().unwrap(), Message::Close(Some(_))));
    assert!(matches!(reader.read(), Err(Error::Ended(End::Closed))));
    assert!(matches!(handle.join().unwrap(), Error::Ended(End::Closed)));
}

#[test]
fn shutting_down_the_writer_wakes_a_blocked_reader() {
    let (addr, handle) = server(|stream| echo(stream, &ServerOptions::default()));
    let (socket, _) = barews_std::connect(&url(addr)).unwrap();
    let (mut reader, writer) = socket.split().unwrap();
    let blocked = thread::spawn(move || reader.read());
    thread::sleep(Duration::from_millis(100));
    writer.shutdown();
    let result = blocked.join().unwrap();
    assert!(result.is_err());
    drop(handle);
}

#[test]
fn the_first_shared_subprotocol_is_selected() {
    let mut options = ServerOptions::default();
    options.protocols = vec!["v3".into(), "v2".into()];
    let (addr, handle) = server(move |stream| {
        let (_, accepted) = barews_std::accept_with(stream, &options).unwrap();
        accepted
    });
    let mut client = ClientOptions::default();
    client.protocols = vec!["v1".into(), "v2".into(), "v3".into()];
    let (_, info) = barews_std::connect_with(&url(addr), &client).unwrap();
    assert_eq!(info.protocol.as_deref(), Some("v3"));
    assert_eq!(handle.join().unwrap().protocol.as_deref(), Some("v3"));
}

#[test]
fn a_protocol_violation_closes_with_1002() {
    let (addr, handle) = server(|stream| echo(stream, &ServerOptions::default()));
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.write_all(format!("{UPGRADE}Sec-WebSocket-Version: 13\r\n\r\n").as_bytes()).unwrap();
    // An unmasked frame from a client.
    tcp.write_all(&[0x81, 0x02, b'h', b'i']).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut received = Vec::new();
    let _ = tcp.read_to_end(&mut received);
    let head_end = received.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(&received[head_end..head_end + 4], [0x88, 0x1E, 0x03, 0xEA]);
    assert!(matches!(
        handle.join().unwrap(),
        Error::Ended(End::Protocol(barews::ProtocolError::UnmaskedFrame))
    ));
}

#[test]
fn a_hijacked_stream_keeps_the_bytes_read_past_the_head() {
    use barews::handshake::HttpVersion;
    let (addr, handle) = server(|mut stream| {
        // The host server reads the head and more in one read.
        let mut buf = vec![0u8; 4096];
        let mut len = 0;
        let (head_len, headers) = loop {
            len += stream.read(&mut buf[len..]).unwrap();
            let mut slots = [httparse::EMPTY_HEADER; 16];
            let mut request = httparse::Request::new(&mut slots);
            if let httparse::Status::Complete(head_len) = request.parse(&buf[..len]).unwrap() {
                let headers: Vec<(String, Vec<u8>)> =
                    request.headers.iter().map(|h| (h.name.to_owned(), h.value.to_vec())).collect();
                break (head_len, headers);
            }
        };
        let headers: Vec<(&str, &[u8])> =
            headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
        let parts = barews_std::RequestParts {
            method: "GET",
            version: HttpVersion::Http11,
            path: "/echo",
            headers: &headers,
        };
        let (mut socket, _) = barews_std::from_upgraded(
            stream,
            &buf[head_len..len],
            parts,
            &ServerOptions::default(),
        )
        .unwrap();
        socket.read().unwrap()
    });
    // The request head and a first masked frame ("Hello") in one write.
    let mut bytes = format!("{UPGRADE}Sec-WebSocket-Version: 13\r\n\r\n").into_bytes();
    bytes.extend_from_slice(&[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.write_all(&bytes).unwrap();
    assert_eq!(handle.join().unwrap(), Message::text("Hello"));
    let mut response = [0u8; 12];
    tcp.read_exact(&mut response).unwrap();
    assert_eq!(&response, b"HTTP/1.1 101");
}

#[test]
fn a_close_the_peer_never_answers_times_out() {
    let (addr, handle) = server(|stream| {
        let mut options = ServerOptions::default();
        options.socket.config =
            options.socket.config.with_close_timeout(CoreDuration::from_millis(200));
        let (mut socket, _) = barews_std::accept_with(stream, &options).unwrap();
        let start = Instant::now();
        (socket.close(CloseCode::NORMAL, "bye"), start.elapsed())
    });
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.write_all(format!("{UPGRADE}Sec-WebSocket-Version: 13\r\n\r\n").as_bytes()).unwrap();
    let (result, elapsed) = handle.join().unwrap();
    assert!(
        matches!(result, Err(Error::Ended(End::Expired(Expired::CloseHandshake)))),
        "{result:?}"
    );
    assert!(
        elapsed >= Duration::from_millis(200) && elapsed < Duration::from_secs(2),
        "{elapsed:?}"
    );
}

#[test]
fn a_dropped_transport_is_an_abnormal_closure() {
    let (addr, handle) = server(|stream| echo(stream, &ServerOptions::default()));
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.write_all(format!("{UPGRADE}Sec-WebSocket-Version: 13\r\n\r\n").as_bytes()).unwrap();
    let mut response = [0u8; 12];
    tcp.read_exact(&mut response).unwrap();
    drop(tcp);
    assert!(matches!(handle.join().unwrap(), Error::Ended(End::AbnormalClosure) | Error::Io(_)));
}

#[test]
fn an_empty_close_reaches_the_reader() {
    let (addr, handle) = server(|stream| {
        let mut socket = barews_std::accept(stream).unwrap();
        socket.read()
    });
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.write_all(format!("{UPGRADE}Sec-WebSocket-Version: 13\r\n\r\n").as_bytes()).unwrap();
    // A masked Close with an empty payload.
    tcp.write_all(&[0x88, 0x80, 1, 2, 3, 4]).unwrap();
    assert_eq!(handle.join().unwrap().unwrap(), Message::Close(None));
}

#[test]
fn queued_messages_leave_before_a_read_waits() {
    let (addr, handle) = server(|stream| echo(stream, &ServerOptions::default()));
    let (mut socket, _) = barews_std::connect(&url(addr)).unwrap();
    for i in 0..100u32 {
        socket.queue_binary(&i.to_be_bytes()).unwrap();
    }
    // Nothing was flushed explicitly: the read writes the queue first.
    for i in 0..100u32 {
        assert_eq!(socket.read().unwrap(), Message::Binary(i.to_be_bytes().to_vec()));
    }
    socket.queue_text("last").unwrap();
    socket.flush().unwrap();
    assert_eq!(socket.read().unwrap(), Message::text("last"));
    socket.close(CloseCode::NORMAL, "").unwrap();
    assert!(matches!(handle.join().unwrap(), Error::Ended(End::Closed)));
}

#[test]
fn both_ends_send_without_nagle_delay_by_default_and_can_opt_out() {
    let (addr, handle) = server(|stream| {
        let (socket, _) = barews_std::accept_with(stream, &ServerOptions::default()).unwrap();
        socket.get_ref().nodelay().unwrap()
    });
    let (socket, _) = barews_std::connect(&url(addr)).unwrap();
    assert!(socket.get_ref().tcp().nodelay().unwrap());
    assert!(handle.join().unwrap());

    let mut options = ServerOptions::default();
    options.socket.nodelay = false;
    let (addr, handle) = server(move |stream| {
        let (socket, _) = barews_std::accept_with(stream, &options).unwrap();
        socket.get_ref().nodelay().unwrap()
    });
    let _client = barews_std::connect(&url(addr)).unwrap();
    assert!(!handle.join().unwrap());
}
