//! `wss://` end to end over loopback: a tokio-rustls server with a
//! self-signed certificate and a barews-tokio client that trusts it.

use barews::close::CloseCode;
use barews_tokio::{ClientOptions, End, Error, Message, tls};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;

fn certificate() -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der()));
    (certified.cert.der().clone(), key)
}

#[tokio::test]
async fn wss_echo_round_trips_through_tls() {
    let (cert, key) = certificate();
    let acceptor =
        tokio_rustls::TlsAcceptor::from(tls::server_config(vec![cert.clone()], key).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let stream = acceptor.accept(tcp).await.unwrap();
        let mut socket = barews_tokio::accept(stream).await.unwrap();
        loop {
            match socket.read().await {
                Ok(Message::Text(text)) => socket.send_text(&text).await.unwrap(),
                Ok(_) => {}
                Err(error) => return error,
            }
        }
    });
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let mut options = ClientOptions::default();
    options.tls = Some(tls::client_config_with_roots(roots).unwrap());
    let url = format!("wss://localhost:{port}/secure");
    let (mut socket, _) = barews_tokio::connect_with(&url, &options).await.unwrap();
    assert!(matches!(socket.get_ref(), barews_tokio::MaybeTlsStream::Tls(_)));
    socket.send_text("over TLS").await.unwrap();
    assert_eq!(socket.read().await.unwrap(), Message::text("over TLS"));
    socket.close(CloseCode::NORMAL, "").await.unwrap();
    assert!(matches!(server.await.unwrap(), Error::Ended(End::Closed)));
}

#[tokio::test]
async fn an_untrusted_certificate_fails_the_connection() {
    let (cert, key) = certificate();
    let acceptor = tokio_rustls::TlsAcceptor::from(tls::server_config(vec![cert], key).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        acceptor.accept(tcp).await.map(|_| ())
    });
    // The default configuration trusts only the public roots.
    let result = barews_tokio::connect(&format!("wss://localhost:{port}/")).await;
    assert!(matches!(result, Err(Error::Io(_))), "{:?}", result.map(|_| ()));
    assert!(server.await.unwrap().is_err());
}
