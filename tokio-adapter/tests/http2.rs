//! WebSocket connections over HTTP/2 (RFC 8441) end to end: a hyper HTTP/2 server
//! (extended CONNECT enabled) hands each WebSocket stream to
//! `upgrade::upgrade`; barews-tokio's `H2Client`, on hyper's HTTP/2
//! client, opens several WebSocket connections on one, over cleartext
//! (h2c) and over TLS with ALPN `h2`; a malformed extended CONNECT gets
//! the core's error status through hyper.

use barews::close::CloseCode;
use barews_tokio::h2::H2Client;
use barews_tokio::upgrade::upgrade;
use barews_tokio::{ClientOptions, End, Error, Message, ServerOptions, WsUrl, tls};
use hyper::body::Incoming;
use hyper::server::conn::http2;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};

/// Serves HTTP/2 on every connection `listener` accepts, over TLS when
/// `tls` is given: each extended CONNECT is upgraded and echoed, and
/// counted in `sockets`.
async fn serve(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    sockets: Arc<AtomicUsize>,
) {
    while let Ok((tcp, _)) = listener.accept().await {
        let (tls, sockets) = (tls.clone(), Arc::clone(&sockets));
        tokio::spawn(async move {
            match tls {
                Some(config) => {
                    let stream = tokio_rustls::TlsAcceptor::from(config).accept(tcp).await.unwrap();
                    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
                    serve_connection(stream, sockets).await;
                }
                None => serve_connection(tcp, sockets).await,
            }
        });
    }
}

async fn serve_connection<T>(io: T, sockets: Arc<AtomicUsize>)
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |mut request: http::Request<Incoming>| {
        let sockets = Arc::clone(&sockets);
        async move {
            assert_eq!(request.version(), http::Version::HTTP_2);
            let mut options = ServerOptions::default();
            options.protocols = vec!["echo".into()];
            let (response, pending) = upgrade(&mut request, &options);
            if let Some(pending) = pending {
                sockets.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let Ok((mut socket, _)) = pending.socket().await else { return };
                    // Echo until the connection ends (the client closes).
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
        }
    });
    let _ = http2::Builder::new(TokioExecutor::new())
        .enable_connect_protocol()
        .serve_connection(TokioIo::new(io), service)
        .await;
}

/// Opens three WebSocket connections on `client`, interleaves their messages and
/// closes each cleanly.
async fn three_sockets_on_one_connection(client: &H2Client, url: &str) {
    let url = WsUrl::parse(url).unwrap();
    let mut options = ClientOptions::default();
    options.protocols = vec!["echo".into()];
    let mut sockets = Vec::new();
    for _ in 0..3 {
        let (socket, info) = client.connect(&url, &options).await.unwrap();
        assert_eq!(info.protocol.as_deref(), Some("echo"));
        sockets.push(socket);
    }
    for round in 0..3 {
        for (i, socket) in sockets.iter_mut().enumerate() {
            socket.send_text(&format!("socket {i}, round {round}")).await.unwrap();
        }
        for (i, socket) in sockets.iter_mut().enumerate() {
            let expected = format!("socket {i}, round {round}");
            assert_eq!(socket.read().await.unwrap(), Message::text(expected));
        }
    }
    let large = vec![7u8; 200_000];
    sockets[1].send_binary(&large).await.unwrap();
    assert_eq!(sockets[1].read().await.unwrap(), Message::Binary(large));
    for mut socket in sockets {
        socket.close(CloseCode::NORMAL, "").await.unwrap();
        loop {
            match socket.read().await {
                Ok(_) => {}
                Err(Error::Ended(End::Closed)) => break,
                Err(error) => panic!("closing: {error}"),
            }
        }
    }
}

#[tokio::test]
async fn websockets_share_one_cleartext_http2_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let sockets = Arc::new(AtomicUsize::new(0));
    tokio::spawn(serve(listener, None, Arc::clone(&sockets)));
    let client =
        H2Client::handshake(TcpStream::connect(("127.0.0.1", port)).await.unwrap()).await.unwrap();
    three_sockets_on_one_connection(&client, &format!("ws://127.0.0.1:{port}/chat")).await;
    assert_eq!(sockets.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn websockets_share_one_http2_connection_over_tls() {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert: CertificateDer<'static> = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der()));
    let mut server_config = tls::server_config(vec![cert.clone()], key).unwrap();
    Arc::get_mut(&mut server_config).unwrap().alpn_protocols = vec![b"h2".to_vec()];
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let sockets = Arc::new(AtomicUsize::new(0));
    tokio::spawn(serve(listener, Some(server_config), Arc::clone(&sockets)));

    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let mut client_config = (*tls::client_config_with_roots(roots).unwrap()).clone();
    client_config.alpn_protocols = vec![b"h2".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client_config));
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let stream = connector.connect(name, tcp).await.unwrap();
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let client = H2Client::handshake(stream).await.unwrap();
    three_sockets_on_one_connection(&client, &format!("wss://localhost:{port}/secure")).await;
    assert_eq!(sockets.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_bad_extended_connect_gets_the_cores_error_status() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let sockets = Arc::new(AtomicUsize::new(0));
    tokio::spawn(serve(listener, None, Arc::clone(&sockets)));
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let (mut send, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
            .await
            .unwrap();
    tokio::spawn(connection);
    // hyper's own client, without barews: a CONNECT for version 8.
    let mut request = http::Request::builder()
        .method(http::Method::CONNECT)
        .uri(format!("http://127.0.0.1:{port}/chat"))
        .version(http::Version::HTTP_2)
        .header("sec-websocket-version", "8")
        .body(String::new())
        .unwrap();
    request.extensions_mut().insert(hyper::ext::Protocol::from_static("websocket"));
    let response = send.send_request(request).await.unwrap();
    assert_eq!(response.status(), http::StatusCode::BAD_REQUEST);
    assert_eq!(response.headers()["sec-websocket-version"], "13");
    assert_eq!(sockets.load(Ordering::SeqCst), 0);
}
