//! The hyper path end to end: a hyper 1 HTTP server hands `/ws` to
//! barews-tokio through `upgrade::upgrade`; a tokio-tungstenite client talks
//! to it, and a request the core refuses gets its HTTP error through hyper.

use barews_tokio::upgrade::upgrade;
use barews_tokio::{End, Error, Message, ServerOptions};
use futures_util::{SinkExt, StreamExt};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite;

/// A hyper server for one connection: `/ws` is upgraded and echoed, every
/// other path gets a 404. Each WebSocket's end is sent on `ended`.
async fn serve(listener: TcpListener, ended: mpsc::UnboundedSender<Error>) {
    let (stream, _) = listener.accept().await.unwrap();
    let service = service_fn(move |mut request: http::Request<Incoming>| {
        let ended = ended.clone();
        async move {
            if request.uri().path() != "/ws" {
                let mut response = http::Response::new(String::from("not here"));
                *response.status_mut() = http::StatusCode::NOT_FOUND;
                return Ok::<_, Infallible>(response);
            }
            let mut options = ServerOptions::default();
            options.protocols = vec!["echo".into()];
            let (response, pending) = upgrade(&mut request, &options);
            if let Some(pending) = pending {
                assert_eq!(pending.accepted().protocol.as_deref(), Some("echo"));
                tokio::spawn(async move {
                    let (mut socket, _) = pending.socket().await.unwrap();
                    let end = loop {
                        let echoed = match socket.read().await {
                            Ok(Message::Text(text)) => socket.send_text(&text).await,
                            Ok(Message::Binary(bytes)) => socket.send_binary(&bytes).await,
                            Ok(_) => Ok(()),
                            Err(error) => break error,
                        };
                        if let Err(error) = echoed {
                            break error;
                        }
                    };
                    let _ = ended.send(end);
                });
            }
            Ok(response)
        }
    });
    http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_hyper_server_hands_an_upgraded_connection_to_barews() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (ended, mut ends) = mpsc::unbounded_channel();
    let server = tokio::spawn(serve(listener, ended));
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut request =
        tungstenite::client::IntoClientRequest::into_client_request(format!("ws://{addr}/ws"))
            .unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", "chat, echo".parse().unwrap());
    let (mut peer, response) = tokio_tungstenite::client_async(request, tcp).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "echo");
    let text = "über hyper ".repeat(1000);
    peer.send(tungstenite::Message::text(text.clone())).await.unwrap();
    assert_eq!(peer.next().await.unwrap().unwrap(), tungstenite::Message::text(text));
    peer.send(tungstenite::Message::binary(vec![1u8; 70_000])).await.unwrap();
    assert_eq!(
        peer.next().await.unwrap().unwrap(),
        tungstenite::Message::binary(vec![1u8; 70_000])
    );
    peer.close(None).await.unwrap();
    while peer.next().await.is_some() {}
    assert!(matches!(ends.recv().await.unwrap(), Error::Ended(End::Closed)));
    server.await.unwrap();
}

#[tokio::test]
async fn a_request_the_core_refuses_gets_its_http_error_through_hyper() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (ended, _ends) = mpsc::unbounded_channel();
    let server = tokio::spawn(serve(listener, ended));
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    // Version 8 is not 13: 426 with the version the server speaks.
    tcp.write_all(
        b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
    )
    .await
    .unwrap();
    let mut response = Vec::new();
    tcp.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8(response).unwrap().to_ascii_lowercase();
    assert!(response.starts_with("http/1.1 426"), "{response}");
    assert!(response.contains("sec-websocket-version: 13"), "{response}");
    server.await.unwrap();
}
