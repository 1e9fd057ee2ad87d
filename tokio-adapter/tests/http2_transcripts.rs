//! The same WebSocket transcripts over an HTTP/2 stream and over TCP
//! (RFC 8441 section 5: the framing is RFC 6455's, unchanged): random
//! sequences of text and binary messages of random sizes, sent by a
//! barews-tokio client through a barews-tokio echo server once over an
//! extended CONNECT stream and once over an HTTP/1.1 upgrade on TCP, come
//! back the same, in the same order, through both.

use barews::close::CloseCode;
use barews_tokio::h2::H2Client;
use barews_tokio::upgrade::upgrade;
use barews_tokio::{ClientOptions, End, Error, Message, ServerOptions, WsUrl};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use proptest::prelude::*;
use std::convert::Infallible;
use tokio::net::{TcpListener, TcpStream};

/// An echo server speaking HTTP/1.1 and HTTP/2 (extended CONNECT
/// enabled) on every connection, like the `axum_echo` example.
async fn echo_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = service_fn(|mut request: http::Request<Incoming>| async move {
                    let (response, pending) = upgrade(&mut request, &ServerOptions::default());
                    if let Some(pending) = pending {
                        tokio::spawn(async move {
                            let Ok((mut socket, _)) = pending.socket().await else { return };
                            while let Ok(message) = socket.read().await {
                                let echoed = match message {
                                    Message::Text(text) => socket.send_text(&text).await,
                                    Message::Binary(bytes) => socket.send_binary(&bytes).await,
                                    _ => Ok(()),
                                };
                                if echoed.is_err() {
                                    break;
                                }
                            }
                        });
                    }
                    Ok::<_, Infallible>(response)
                });
                let mut builder = auto::Builder::new(TokioExecutor::new());
                builder.http2().enable_connect_protocol();
                let _ = builder.serve_connection_with_upgrades(TokioIo::new(tcp), service).await;
            });
        }
    });
    port
}

/// Sends `messages` over `socket` one at a time, collecting each echo,
/// then closes cleanly.
async fn transcript<T>(
    mut socket: barews_tokio::ClientSocket<T>,
    messages: &[Message],
) -> Vec<Message>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut echoes = Vec::new();
    for message in messages {
        match message {
            Message::Text(text) => socket.send_text(text).await.unwrap(),
            Message::Binary(bytes) => socket.send_binary(bytes).await.unwrap(),
            other => panic!("not a data message: {other:?}"),
        }
        echoes.push(socket.read().await.unwrap());
    }
    socket.close(CloseCode::NORMAL, "").await.unwrap();
    loop {
        match socket.read().await {
            Ok(_) => {}
            Err(Error::Ended(End::Closed)) => break,
            Err(error) => panic!("closing: {error}"),
        }
    }
    echoes
}

fn message() -> impl Strategy<Value = Message> {
    prop_oneof![
        ".{0,300}".prop_map(Message::text),
        prop::collection::vec(any::<u8>(), 0..70_000).prop_map(Message::Binary),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn the_same_messages_come_back_over_http2_and_over_tcp(
        messages in prop::collection::vec(message(), 1..8),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (over_h2, over_tcp) = runtime.block_on(async {
            let port = echo_server().await;
            let address = format!("ws://127.0.0.1:{port}/");
            let url = WsUrl::parse(&address).unwrap();
            let options = ClientOptions::default();
            let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            let client = H2Client::handshake(tcp).await.unwrap();
            let (socket, _) = client.connect(&url, &options).await.unwrap();
            let over_h2 = transcript(socket, &messages).await;
            let (socket, _) = barews_tokio::connect_with(&address, &options).await.unwrap();
            let over_tcp = transcript(socket, &messages).await;
            (over_h2, over_tcp)
        });
        prop_assert_eq!(&over_h2, &messages);
        prop_assert_eq!(&over_tcp, &over_h2);
    }
}
