//! `wss://` end to end over loopback: a rustls server with a self-signed
//! certificate and a client that trusts it.
#![cfg(feature = "tls")]

use barews::close::CloseCode;
use barews_std::{ClientOptions, End, Error, Message, tls};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::net::TcpListener;
use std::thread;

#[test]
fn wss_echo_round_trips_through_tls() {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_der: CertificateDer<'static> = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der()));
    let server_config = tls::server_config(vec![cert_der.clone()], key).unwrap();

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = thread::spawn(move || -> Result<(), Error> {
        let (tcp, _) = listener.accept()?;
        let mut socket = barews_std::accept(tls::server_stream(server_config, tcp)?)?;
        loop {
            match socket.read() {
                Ok(Message::Text(text)) => socket.send_text(&text)?,
                Ok(_) => {}
                Err(Error::Ended(End::Closed)) => return Ok(()),
                Err(error) => return Err(error),
            }
        }
    });

    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert_der).unwrap();
    let mut options = ClientOptions::default();
    options.tls = Some(tls::client_config_with_roots(roots).unwrap());
    let (mut socket, _) =
        barews_std::connect_with(&format!("wss://localhost:{port}/secure"), &options).unwrap();
    socket.send_text("over TLS").unwrap();
    assert_eq!(socket.read().unwrap(), Message::text("over TLS"));
    socket.close(CloseCode::NORMAL, "").unwrap();
    server.join().unwrap().unwrap();
}

#[test]
fn an_untrusted_certificate_fails_the_connection() {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_der: CertificateDer<'static> = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der()));
    let server_config = tls::server_config(vec![cert_der], key).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        barews_std::accept(tls::server_stream(server_config, tcp).unwrap()).map(|_| ())
    });
    // The default configuration trusts only the public roots.
    let result = barews_std::connect(&format!("wss://localhost:{port}/"));
    assert!(result.is_err());
    assert!(server.join().unwrap().is_err());
}
