//! The blocking embedded adapter against the std adapter (`barews-std`)
//! over loopback TCP, in both directions: embedded client with std server,
//! std client with embedded server.

mod common;

use barews_embedded::barews::handshake::Failure;
use barews_embedded::{
    AcceptOptions, Acceptor, ClientRequest, CloseCode, Connector, DataKind, End, Error, Event,
    WebSocket,
};
use barews_std::{ClientOptions, Message, ServerOptions};
use common::{Tcp, pattern, serve_once, test_keys};

/// A message read through the embedded socket, chunks joined.
#[derive(Debug, PartialEq, Eq)]
enum Got {
    Text(String),
    Binary(Vec<u8>),
    Pong(Vec<u8>),
    Close(Option<u16>),
}

/// Reads one whole message (or control frame), checking that no chunk is
/// larger than the receive buffer.
fn next<T, S, C>(ws: &mut WebSocket<'_, T, S, C>, rx_len: usize) -> Result<Got, Error<T::Error>>
where
    T: embedded_io::Read + embedded_io::Write,
    S: barews_embedded::barews::connection::Side,
    C: barews_embedded::Clock,
{
    let mut message = Vec::new();
    loop {
        match ws.read()? {
            Event::Data { kind, payload, last, .. } => {
                assert!(payload.len() <= rx_len);
                message.extend_from_slice(payload);
                if last {
                    return Ok(match kind {
                        DataKind::Text => Got::Text(String::from_utf8(message).unwrap()),
                        DataKind::Binary => Got::Binary(message),
                    });
                }
            }
            Event::Ping(_) => {}
            Event::Pong(payload) => return Ok(Got::Pong(payload.to_vec())),
            Event::Close(frame) => return Ok(Got::Close(frame.code.map(u16::from))),
        }
    }
}

#[test]
fn embedded_client_with_std_server() {
    let (addr, server) = serve_once(|stream| {
        let mut options = ServerOptions::default();
        options.protocols = vec!["chat".into()];
        let (mut socket, accepted) = barews_std::accept_with(stream, &options).unwrap();
        assert_eq!(accepted.path, "/echo?x=1");
        loop {
            let result = match socket.read() {
                Ok(Message::Text(text)) => socket.send_text(&text),
                Ok(Message::Binary(bytes)) => socket.send_binary(&bytes),
                Ok(_) => Ok(()),
                Err(error) => return error,
            };
            result.unwrap();
        }
    });

    let (mut rx, mut tx) = ([0u8; 256], [0u8; 200]);
    let offered = ["v1", "chat"];
    let request = ClientRequest::new("127.0.0.1", "/echo?x=1")
        .with_port(addr.port())
        .with_protocols(&offered);
    let nonce = *b"0123456789abcdef";
    let mut ws = Connector::new(test_keys())
        .connect(Tcp::connect(addr), request, nonce, &mut rx, &mut tx)
        .unwrap();
    assert_eq!(ws.protocol(), Some("chat"));

    ws.send_text("hello from the device").unwrap();
    assert_eq!(next(&mut ws, 256).unwrap(), Got::Text("hello from the device".into()));

    // Larger than both buffers, both ways.
    let big = pattern(100_000);
    ws.send_binary(&big).unwrap();
    assert_eq!(next(&mut ws, 256).unwrap(), Got::Binary(big));

    // A fragmented text message split inside a character.
    ws.send(DataKind::Text, "gr\u{fc}".as_bytes().split_at(3).0, false).unwrap();
    ws.send(DataKind::Text, "gr\u{fc}\u{df}e".as_bytes().split_at(3).1, true).unwrap();
    assert_eq!(next(&mut ws, 256).unwrap(), Got::Text("grüße".into()));

    ws.ping(b"ping!").unwrap();
    assert_eq!(next(&mut ws, 256).unwrap(), Got::Pong(b"ping!".to_vec()));

    ws.close(CloseCode::NORMAL, "bye").unwrap();
    assert_eq!(next(&mut ws, 256).unwrap(), Got::Close(Some(1000)));
    assert_eq!(ws.read().unwrap_err().to_string(), "connection closed");
    drop(ws);

    let ended = server.join().unwrap();
    assert!(matches!(ended, barews_std::Error::Ended(barews_std::End::Closed)), "{ended}");
}

#[test]
fn std_client_with_embedded_server() {
    let (addr, server) = serve_once(|stream| {
        let (mut rx, mut tx) = ([0u8; 512], [0u8; 256]);
        let mut ws = Acceptor::new()
            .accept_with(Tcp(stream), &mut rx, &mut tx, |request| {
                assert_eq!(request.path(), "/device");
                let chat = request.protocols().any(|p| p == "chat");
                Ok(AcceptOptions::new().with_protocol(chat.then_some("chat")))
            })
            .unwrap();
        let mut echoed = 0;
        loop {
            match next(&mut ws, 512) {
                Ok(Got::Text(text)) => ws.send_text(&text).unwrap(),
                Ok(Got::Binary(bytes)) => ws.send_binary(&bytes).unwrap(),
                Ok(Got::Pong(_)) => continue,
                Ok(Got::Close(code)) => {
                    assert_eq!(code, Some(4001));
                    continue;
                }
                Err(Error::Ended(End::Closed)) => return echoed,
                Err(error) => panic!("{error}"),
            }
            echoed += 1;
        }
    });

    let mut options = ClientOptions::default();
    options.protocols = vec!["chat".into()];
    let (mut socket, info) =
        barews_std::connect_with(&format!("ws://{addr}/device"), &options).unwrap();
    assert_eq!(info.protocol.as_deref(), Some("chat"));

    socket.send_text("hello device").unwrap();
    assert_eq!(socket.read().unwrap(), Message::text("hello device"));
    let big = pattern(70_000);
    socket.send_binary(&big).unwrap();
    assert_eq!(socket.read().unwrap(), Message::Binary(big));
    socket.send_binary(&[]).unwrap();
    assert_eq!(socket.read().unwrap(), Message::Binary(Vec::new()));
    socket.ping(b"anyone?").unwrap();
    assert_eq!(socket.read().unwrap(), Message::Pong(b"anyone?".to_vec()));

    // The std close waits for the embedded server's reply itself.
    socket.close(CloseCode(4001), "done").unwrap();
    assert!(matches!(socket.read(), Err(barews_std::Error::Ended(barews_std::End::Closed))));
    assert_eq!(server.join().unwrap(), 3);
}

#[test]
fn std_client_refused_by_embedded_server() {
    let (addr, server) = serve_once(|stream| {
        let (mut rx, mut tx) = ([0u8; 512], [0u8; 256]);
        Acceptor::new().accept_with(Tcp(stream), &mut rx, &mut tx, |_| Err(403)).map(|_| ())
    });
    let error = barews_std::connect(&format!("ws://{addr}/")).unwrap_err();
    assert!(error.to_string().contains("403"), "{error}");
    assert!(matches!(
        server.join().unwrap(),
        Err(Error::Handshake(Failure::Refused { status: 403 }))
    ));
}
