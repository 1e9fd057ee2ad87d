//! The client through real proxy servers: tinyproxy (HTTP `CONNECT`) and
//! microsocks (SOCKS5), with and without credentials, to `ws://` and
//! `wss://` echo servers on 127.0.0.1; wrong credentials, an unreachable
//! destination and a proxy that never answers.
//!
//! They need `tinyproxy` and `microsocks` (Debian packages), so they are
//! ignored by a plain `cargo test`; `scripts/proxy-tests.sh` installs
//! both and runs them.
#![cfg(feature = "tls")]

use barews::close::CloseCode;
use barews::proxy::{HttpConnectError, ProxyError, ReplyCode, Socks5Error};
use barews_std::{ClientOptions, End, Error, Message, Proxy, ProxyChoice, ProxyKind, tls};
use barews_testkit::proxies::{ProxyServer, closed_port, silent_proxy};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::net::TcpListener;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

const USER: &str = "alice";
// tinyproxy's configuration cannot hold a space in a password.
const PASSWORD: &str = "open-sesame";

/// An echo server on 127.0.0.1 for every connection, over TLS when
/// `tls` is given; returns its port.
fn echo_server(tls: Option<Arc<rustls::ServerConfig>>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let tls = tls.clone();
            thread::spawn(move || -> Result<(), Error> {
                match tls {
                    Some(config) => echo(tls::server_stream(config, tcp)?),
                    None => echo(tcp),
                }
            });
        }
    });
    port
}

/// Echoes every message on `stream` until the connection ends.
fn echo<T: barews_std::Stream>(stream: T) -> Result<(), Error> {
    let mut socket = barews_std::accept(stream)?;
    loop {
        match socket.read()? {
            Message::Text(text) => socket.send_text(&text)?,
            Message::Binary(data) => socket.send_binary(&data)?,
            _ => {}
        }
    }
}

/// A TLS echo server whose certificate names 127.0.0.1, and the client
/// options that trust it.
fn tls_echo_server() -> (u16, ClientOptions) {
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let cert: CertificateDer<'static> = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der()));
    let port = echo_server(Some(tls::server_config(vec![cert.clone()], key).unwrap()));
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
fn echo_through(url: &str, options: &ClientOptions) {
    let (mut socket, _) = barews_std::connect_with(url, options)
        .unwrap_or_else(|error| panic!("{url} through {:?}: {error}", options.proxy));
    socket.send_text("through the proxy").unwrap();
    assert_eq!(socket.read().unwrap(), Message::text("through the proxy"));
    socket.close(CloseCode::NORMAL, "").unwrap();
    loop {
        match socket.read() {
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

#[test]
#[ignore = "needs tinyproxy: scripts/proxy-tests.sh"]
fn ws_and_wss_through_tinyproxy_with_and_without_basic_auth() {
    let plain = echo_server(None);
    let (secure, tls_options) = tls_echo_server();
    for credentials in [false, true] {
        let server = ProxyServer::tinyproxy(credentials.then_some((USER, PASSWORD))).unwrap();
        let proxy = proxy(ProxyKind::Http, &server, credentials);
        echo_through(
            &format!("ws://127.0.0.1:{plain}/"),
            &through(ClientOptions::default(), proxy.clone()),
        );
        echo_through(&format!("wss://127.0.0.1:{secure}/"), &through(tls_options.clone(), proxy));
    }
}

#[test]
#[ignore = "needs microsocks: scripts/proxy-tests.sh"]
fn ws_and_wss_through_microsocks_with_and_without_a_password() {
    let plain = echo_server(None);
    let (secure, tls_options) = tls_echo_server();
    for credentials in [false, true] {
        let server = ProxyServer::microsocks(credentials.then_some((USER, PASSWORD))).unwrap();
        for kind in [ProxyKind::Socks5, ProxyKind::Socks5h] {
            let proxy = proxy(kind, &server, credentials);
            echo_through(
                &format!("ws://localhost:{plain}/"),
                &through(ClientOptions::default(), proxy.clone()),
            );
            echo_through(
                &format!("wss://127.0.0.1:{secure}/"),
                &through(tls_options.clone(), proxy),
            );
        }
    }
}

fn refusal(url: &str, proxy: Proxy) -> Error {
    match barews_std::connect_with(url, &through(ClientOptions::default(), proxy)) {
        Ok(_) => panic!("{url}: connected"),
        Err(error) => error,
    }
}

#[test]
#[ignore = "needs tinyproxy and microsocks: scripts/proxy-tests.sh"]
fn wrong_credentials_are_refused_with_the_proxys_answer() {
    let url = format!("ws://127.0.0.1:{}/", echo_server(None));
    let http = ProxyServer::tinyproxy(Some((USER, PASSWORD))).unwrap();
    let wrong =
        Proxy::new(ProxyKind::Http, "127.0.0.1", http.port()).with_credentials(USER, "nope");
    // tinyproxy answers wrong credentials with 401, missing ones with 407.
    let error = refusal(&url, wrong);
    assert!(
        matches!(error, Error::Proxy(ProxyError::Http(HttpConnectError::Refused(401)))),
        "{error}"
    );
    let none = Proxy::new(ProxyKind::Http, "127.0.0.1", http.port());
    let error = refusal(&url, none);
    assert!(
        matches!(error, Error::Proxy(ProxyError::Http(HttpConnectError::Refused(407)))),
        "{error}"
    );
    assert_eq!(error.to_string(), "proxy refused: 407 Proxy Authentication Required");

    let socks = ProxyServer::microsocks(Some((USER, PASSWORD))).unwrap();
    let wrong =
        Proxy::new(ProxyKind::Socks5h, "127.0.0.1", socks.port()).with_credentials(USER, "nope");
    let error = refusal(&url, wrong);
    assert!(
        matches!(error, Error::Proxy(ProxyError::Socks5(Socks5Error::AuthenticationFailed(_)))),
        "{error}"
    );
    let none = Proxy::new(ProxyKind::Socks5h, "127.0.0.1", socks.port());
    let error = refusal(&url, none);
    assert!(
        matches!(error, Error::Proxy(ProxyError::Socks5(Socks5Error::NoAcceptableMethod))),
        "{error}"
    );
}

#[test]
#[ignore = "needs tinyproxy and microsocks: scripts/proxy-tests.sh"]
fn an_unreachable_destination_is_reported_by_each_proxy() {
    let url = format!("ws://127.0.0.1:{}/", closed_port().unwrap());
    let http = ProxyServer::tinyproxy(None).unwrap();
    let error = refusal(&url, Proxy::new(ProxyKind::Http, "127.0.0.1", http.port()));
    // tinyproxy answers "500 Unable to connect".
    assert!(
        matches!(error, Error::Proxy(ProxyError::Http(HttpConnectError::Refused(500)))),
        "{error}"
    );

    let socks = ProxyServer::microsocks(None).unwrap();
    let error = refusal(&url, Proxy::new(ProxyKind::Socks5, "127.0.0.1", socks.port()));
    assert!(
        matches!(
            error,
            Error::Proxy(ProxyError::Socks5(Socks5Error::Rejected(ReplyCode::CONNECTION_REFUSED)))
        ),
        "{error}"
    );
    assert_eq!(error.to_string(), "SOCKS5: connection refused by destination");
}

#[test]
fn a_proxy_that_never_answers_is_cut_off_by_the_handshake_timeout() {
    let silent = silent_proxy().unwrap();
    for kind in [ProxyKind::Http, ProxyKind::Socks5h] {
        let mut options = through(ClientOptions::default(), Proxy::new(kind, "127.0.0.1", silent));
        options.handshake_timeout = Duration::from_millis(300);
        let start = Instant::now();
        let error = barews_std::connect_with("ws://example.invalid/", &options).err();
        assert!(matches!(error, Some(Error::HandshakeTimeout)), "{kind:?}: {error:?}");
        assert!(start.elapsed() < Duration::from_secs(5), "{kind:?}: {:?}", start.elapsed());
    }
}

#[test]
fn a_proxy_that_closes_before_answering_is_reported() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        // Read the whole request, so that closing sends a FIN, not a reset.
        let (mut tcp, _) = listener.accept().unwrap();
        let mut request = Vec::new();
        let mut byte = [0u8; 1];
        while !request.ends_with(b"\r\n\r\n")
            && std::io::Read::read(&mut tcp, &mut byte).unwrap() == 1
        {
            request.push(byte[0]);
        }
    });
    let options = through(ClientOptions::default(), Proxy::new(ProxyKind::Http, "127.0.0.1", port));
    let error = barews_std::connect_with("ws://example.invalid/", &options).err();
    assert!(matches!(error, Some(Error::Proxy(ProxyError::Closed))), "{error:?}");
}
