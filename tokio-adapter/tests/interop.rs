//! barews-tokio against itself and against tokio-tungstenite, in both
//! roles, over loopback TCP: messages of every size, control frames and
//! the closing handshake.

use barews_tokio::{ClientOptions, End, Error, Message, ServerOptions};
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite;

/// Text with multi-byte characters, and binary data larger than the read
/// buffer (so it streams through it in chunks).
fn payloads() -> (String, Vec<u8>) {
    let text = "héllo wörld ✓ ".repeat(500);
    let binary = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    (text, binary)
}

async fn listener() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/chat", listener.local_addr().unwrap());
    (listener, url)
}

/// A barews-tokio echo server for one connection; returns how it ended.
async fn barews_echo(listener: TcpListener) -> Error {
    let (stream, _) = listener.accept().await.unwrap();
    let mut socket = barews_tokio::accept(stream).await.unwrap();
    loop {
        let echoed = match socket.read().await {
            Ok(Message::Text(text)) => socket.send_text(&text).await,
            Ok(Message::Binary(bytes)) => socket.send_binary(&bytes).await,
            Ok(_) => Ok(()),
            Err(error) => return error,
        };
        if let Err(error) = echoed {
            return error;
        }
    }
}

#[tokio::test]
async fn tokio_tungstenite_client_gets_its_messages_echoed_by_a_barews_server() {
    let (listener, url) = listener().await;
    let server = tokio::spawn(barews_echo(listener));
    let tcp = TcpStream::connect(url.trim_start_matches("ws://").trim_end_matches("/chat"))
        .await
        .unwrap();
    let (mut peer, _) = tokio_tungstenite::client_async(&url, tcp).await.unwrap();
    let (text, binary) = payloads();
    peer.send(tungstenite::Message::text(text.clone())).await.unwrap();
    assert_eq!(peer.next().await.unwrap().unwrap(), tungstenite::Message::text(text));
    peer.send(tungstenite::Message::binary(binary.clone())).await.unwrap();
    assert_eq!(peer.next().await.unwrap().unwrap(), tungstenite::Message::binary(binary));
    peer.send(tungstenite::Message::Ping(b"are you there".to_vec().into())).await.unwrap();
    assert_eq!(
        peer.next().await.unwrap().unwrap(),
        tungstenite::Message::Pong(b"are you there".to_vec().into())
    );
    peer.close(None).await.unwrap();
    // The peer sees the end of the stream after the server's Close reply.
    while let Some(message) = peer.next().await {
        assert!(matches!(message, Ok(tungstenite::Message::Close(_))), "{message:?}");
    }
    assert!(matches!(server.await.unwrap(), Error::Ended(End::Closed)));
}

#[tokio::test]
async fn barews_client_talks_to_a_tokio_tungstenite_echo_server_and_closes() {
    let (listener, url) = listener().await;
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut peer = tokio_tungstenite::accept_async(stream).await.unwrap();
        let mut close_code = None;
        // After the Close, polling on sends tungstenite's reply; then the
        // stream ends.
        while let Some(message) = peer.next().await {
            match message.unwrap() {
                message @ (tungstenite::Message::Text(_) | tungstenite::Message::Binary(_)) => {
                    peer.send(message).await.unwrap();
                }
                tungstenite::Message::Close(frame) => close_code = frame.map(|f| u16::from(f.code)),
                _ => {}
            }
        }
        close_code
    });
    let (mut socket, _) = barews_tokio::connect(&url).await.unwrap();
    let (text, binary) = payloads();
    socket.send_text(&text).await.unwrap();
    assert_eq!(socket.read().await.unwrap(), Message::Text(text));
    socket.send_binary(&binary).await.unwrap();
    assert_eq!(socket.read().await.unwrap(), Message::Binary(binary));
    socket.send_binary(&[]).await.unwrap();
    assert_eq!(socket.read().await.unwrap(), Message::Binary(Vec::new()));
    socket.close(barews::close::CloseCode::NORMAL, "done").await.unwrap();
    assert_eq!(server.await.unwrap(), Some(1000));
    assert!(matches!(socket.read().await, Err(Error::Ended(End::Closed))));
}

#[tokio::test]
async fn barews_client_and_server_exchange_queued_messages_and_fragments() {
    let (listener, url) = listener().await;
    let server = tokio::spawn(barews_echo(listener));
    let (mut socket, _) = barews_tokio::connect(&url).await.unwrap();
    for i in 0..100u32 {
        socket.queue_text(&format!("message {i}")).await.unwrap();
    }
    socket.flush().await.unwrap();
    for i in 0..100u32 {
        assert_eq!(socket.read().await.unwrap(), Message::Text(format!("message {i}")));
    }
    let kind = barews::connection::DataKind::Text;
    socket.send_fragment(kind, "frag".as_bytes(), false).await.unwrap();
    socket.send_fragment(kind, "ment".as_bytes(), true).await.unwrap();
    assert_eq!(socket.read().await.unwrap(), Message::Text("fragment".into()));
    socket.close(barews::close::CloseCode::NORMAL, "").await.unwrap();
    assert!(matches!(server.await.unwrap(), Error::Ended(End::Closed)));
}

#[tokio::test]
async fn read_event_hands_out_chunks_of_a_message_larger_than_the_read_buffer() {
    let (listener, url) = listener().await;
    let server = tokio::spawn(barews_echo(listener));
    let mut options = ClientOptions::default();
    options.socket.read_buffer_size = 1024;
    options.socket.max_read_buffer_size = 1024;
    let (mut socket, _) = barews_tokio::connect_with(&url, &options).await.unwrap();
    let (_, binary) = payloads();
    socket.send_binary(&binary).await.unwrap();
    let (mut received, mut chunks) = (Vec::new(), 0);
    loop {
        match socket.read_event().await.unwrap() {
            barews::connection::Event::Data { payload, last, .. } => {
                assert!(payload.len() <= 1024);
                received.extend_from_slice(payload);
                chunks += 1;
                if last {
                    break;
                }
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(received, binary);
    assert!(chunks >= binary.len() / 1024, "{chunks} chunks");
    socket.close(barews::close::CloseCode::NORMAL, "").await.unwrap();
    server.await.unwrap();
}

#[tokio::test]
async fn an_invalid_upgrade_request_gets_the_cores_http_error() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (listener, _) = listener().await;
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        barews_tokio::accept_with(stream, &ServerOptions::default()).await.map(|_| ())
    });
    let mut peer = TcpStream::connect(addr).await.unwrap();
    // No Sec-WebSocket-Version: 426 with the version the server speaks.
    peer.write_all(
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    )
    .await
    .unwrap();
    let mut response = Vec::new();
    peer.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8(response).unwrap();
    assert!(response.starts_with("HTTP/1.1 426"), "{response}");
    assert!(response.to_ascii_lowercase().contains("sec-websocket-version: 13"), "{response}");
    let error = server.await.unwrap().unwrap_err();
    assert!(matches!(error, Error::Handshake(failure) if failure.status() == Some(426)));
}

#[tokio::test]
async fn a_stream_forwarded_into_a_sink_echoes_for_a_tokio_tungstenite_client() {
    use futures_util::TryStreamExt;
    let (listener, url) = listener().await;
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let socket = barews_tokio::accept(stream).await.unwrap();
        let (reader, writer) = socket.split();
        // Data messages back out through the sink; control frames are the
        // reader's business (their answers are sent already).
        reader
            .into_stream()
            .try_filter(|message| {
                std::future::ready(matches!(message, Message::Text(_) | Message::Binary(_)))
            })
            .forward(writer.into_sink())
            .await
    });
    let tcp = TcpStream::connect(url.trim_start_matches("ws://").trim_end_matches("/chat"))
        .await
        .unwrap();
    let (mut peer, _) = tokio_tungstenite::client_async(&url, tcp).await.unwrap();
    for i in 0..200 {
        peer.feed(tungstenite::Message::text(format!("m{i}"))).await.unwrap();
    }
    peer.flush().await.unwrap();
    for i in 0..200 {
        assert_eq!(
            peer.next().await.unwrap().unwrap(),
            tungstenite::Message::text(format!("m{i}"))
        );
    }
    peer.close(None).await.unwrap();
    while peer.next().await.is_some() {}
    // The stream ends with the closing handshake, and so does forward.
    server.await.unwrap().unwrap();
}
