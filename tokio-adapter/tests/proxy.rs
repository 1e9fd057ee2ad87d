//! The async client through real proxy servers: tinyproxy (HTTP
//! `CONNECT`) and microsocks (SOCKS5), with and without credentials, to
//! `ws://` and `wss://` echo servers on 127.0.0.1; wrong credentials, an
//! unreachable destination and a proxy that never answers.
//!
//! They need `tinyproxy` and `microsocks` (Debian packages), so they are
//! ignored by a plain `cargo test`; `scripts/proxy-tests.sh` installs
//! both and runs them.
#![cfg(feature = "tls")]

use barews::close::CloseCode;
use barews::proxy::{HttpConnectError, ProxyError, ReplyCode, Socks5Error};
use barews_testkit::proxies::{ProxyServer, closed_port, silent_proxy};
use barews_tokio::{ClientOptions, End, Error, Message, Proxy, ProxyChoice, ProxyKind, tls};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

const USER: &str = "alice";
// tinyproxy's configuration cannot hold a space in a password.
const PASSWORD: &str = "open-sesame";

/// An echo server on 127.0.0.1 for every connection, over TLS when
/// `tls` is given; returns its port.
async fn echo_server(tls: Option<Arc<rustls::ServerConfig>>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let tls = tls.clone();
            tokio::spawn(async move {
                let result = match tls {
                    Some(config) => {
                        let acceptor = tokio_rustls::TlsAcceptor::from(config);
                        match acceptor.accept(tcp).await {
                            Ok(stream) => echo(stream).await,
                            Err(error) => Err(Error::Io(error)),
                        }
                    }
                    None => echo(tcp).await,
                };
                drop(result);
            });
        }
    });
    port
}

/// Echoes every message on `stream` until the connection ends.
async fn echo<T>(stream: T) -> Result<(), Error>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let mut socket = barews_tokio::accept(stream).await?;
    loop {
        match socket.read().await? {
            Message::Text(text) => socket.send_text(&text).await?,
            Message::Binary(data) => socket.send_binary(&data).await?,
            _ => {}
        }
    }
}

/// A TLS echo server whose certificate names 127.0.0.1, and the client
/// options that trust it.
async fn tls_echo_server() -> (u16, ClientOptions) {
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let cert: CertificateDer<'static> = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der()));
    let port = echo_server(Some(tls::server_config(vec![cert.clone()], key).unwrap())).await;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let mut options = ClientOptions::default();
    options.tls = Some(tls::client_config_with_roots(roots).unwrap());
    (port, options)
}

fn through(mut options: ClientOptions, proxy: Proxy) -> ClientOptions {
    options.proxy = ProxyChoice::Through(proxy);
    options.handshake_timeout = Duration::from_secs(10);
    options
}

/// Connects to `url` with `options`, checks one echo and closes.
async fn echo_through(url: &str, options: &ClientOptions) {
    let (mut socket, _) = barews_tokio::connect_with(url, options)
        .await
        .unwrap_or_else(|error| panic!("{url} through {:?}: {error}", options.proxy));
    socket.send_text("through the proxy").await.unwrap();
    assert_eq!(socket.read().await.unwrap(), Message::text("through the proxy"));
    socket.close(CloseCode::NORMAL, "").await.unwrap();
    loop {
        match socket.read().await {
            Ok(_) => {}
            Err(Error::Ended(End::Closed)) => break,
            Err(error) => panic!("closing: {error}"),
        }
    }
}

fn proxy(kind: ProxyKind, server: &ProxyServer, credentials: bool) -> Proxy {
    let proxy = Proxy::new(kind, "127.0.0.1", server.port());
    if credentials { proxy.with_credentials(USER, PASSWORD) } else { proxy }
}

async fn refusal(url: &str, proxy: Proxy) -> Error {
    match barews_tokio::connect_with(url, &through(ClientOptions::default(), proxy)).await {
        Ok(_) => panic!("{url}: connected"),
        Err(error) => error,
    }
}

#[tokio::test]
#[ignore = "needs tinyproxy and microsocks: scripts/proxy-tests.sh"]
async fn ws_and_wss_through_every_proxy_with_and_without_credentials() {
    let plain = echo_server(None).await;
    let (secure, tls_options) = tls_echo_server().await;
    for credentials in [false, true] {
        let login = credentials.then_some((USER, PASSWORD));
        let http = ProxyServer::tinyproxy(login).unwrap();
        let socks = ProxyServer::microsocks(login).unwrap();
        for (kind, server) in
            [(ProxyKind::Http, &http), (ProxyKind::Socks5, &socks), (ProxyKind::Socks5h, &socks)]
        {
            let proxy = proxy(kind, server, credentials);
            let plain_url = format!("ws://localhost:{plain}/");
            echo_through(&plain_url, &through(ClientOptions::default(), proxy.clone())).await;
            let secure_url = format!("wss://127.0.0.1:{secure}/");
            echo_through(&secure_url, &through(tls_options.clone(), proxy)).await;
        }
    }
}

#[tokio::test]
#[ignore = "needs tinyproxy and microsocks: scripts/proxy-tests.sh"]
async fn refusals_carry_the_proxys_answer() {
    let url = format!("ws://127.0.0.1:{}/", echo_server(None).await);
    let http = ProxyServer::tinyproxy(Some((USER, PASSWORD))).unwrap();
    let none = Proxy::new(ProxyKind::Http, "127.0.0.1", http.port());
    let error = refusal(&url, none).await;
    assert!(
        matches!(error, Error::Proxy(ProxyError::Http(HttpConnectError::Refused(407)))),
        "{error}"
    );
    let socks = ProxyServer::microsocks(Some((USER, PASSWORD))).unwrap();
    let wrong =
        Proxy::new(ProxyKind::Socks5h, "127.0.0.1", socks.port()).with_credentials(USER, "nope");
    let error = refusal(&url, wrong).await;
    assert!(
        matches!(error, Error::Proxy(ProxyError::Socks5(Socks5Error::AuthenticationFailed(_)))),
        "{error}"
    );

    let unreachable = format!("ws://127.0.0.1:{}/", closed_port().unwrap());
    let open_socks = ProxyServer::microsocks(None).unwrap();
    let error =
        refusal(&unreachable, Proxy::new(ProxyKind::Socks5, "127.0.0.1", open_socks.port())).await;
    assert!(
        matches!(
            error,
            Error::Proxy(ProxyError::Socks5(Socks5Error::Rejected(ReplyCode::CONNECTION_REFUSED)))
        ),
        "{error}"
    );
}

#[tokio::test]
async fn a_proxy_that_never_answers_is_cut_off_by_the_handshake_timeout() {
    let silent = silent_proxy().unwrap();
    for kind in [ProxyKind::Http, ProxyKind::Socks5h] {
        let mut options = through(ClientOptions::default(), Proxy::new(kind, "127.0.0.1", silent));
        options.handshake_timeout = Duration::from_millis(300);
        let start = Instant::now();
        let error = barews_tokio::connect_with("ws://example.invalid/", &options).await.err();
        assert!(matches!(error, Some(Error::HandshakeTimeout)), "{kind:?}: {error:?}");
        assert!(start.elapsed() < Duration::from_secs(5), "{kind:?}: {:?}", start.elapsed());
    }
}
