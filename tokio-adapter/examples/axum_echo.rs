//! An axum app: `/` serves a page whose script opens a WebSocket to `/ws`,
//! sends what you type and shows what comes back; `/ws` is upgraded by
//! barews and echoes text and binary messages.
//!
//! ```sh
//! cargo run --release -p barews-tokio --features http2,tls --example axum_echo -- 127.0.0.1:3000
//! cargo run --release -p barews-tokio --features http2,tls --example axum_echo -- 127.0.0.1:3443 --tls-self-signed
//! cargo run --release -p barews-tokio --features http2,tls --example axum_echo -- 127.0.0.1:3443 --tls CERT.pem KEY.pem
//! ```
//!
//! One port serves HTTP/1.1 (the WebSocket opened by an upgrade) and
//! HTTP/2 (the WebSocket opened by an extended CONNECT, RFC 8441):
//! cleartext HTTP/2 with prior knowledge without `--tls`, and with it TLS
//! whose ALPN offers `h2` and `http/1.1` (browsers speak HTTP/2 only over
//! TLS). Each WebSocket logs the HTTP version it came over.
//!
//! Then open `http://127.0.0.1:3000/` in a browser. A headless check:
//!
//! ```sh
//! chromium --headless --no-sandbox --virtual-time-budget=3000 \
//!     --dump-dom 'http://127.0.0.1:3000/?send=hello'     # the log shows "echo: hello"
//! ```

use axum::Router;
use axum::extract::Request;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{any, get};
use barews_tokio::upgrade::upgrade;
use barews_tokio::{End, Error, Message, ServerOptions, tls};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};

const PAGE: &str = r#"<!doctype html>
<meta charset="utf-8">
<title>barews echo</title>
<input id="text" value="hello" autofocus> <button id="send">send</button>
<pre id="log"></pre>
<script>
  const log = (line) => document.getElementById("log").textContent += line + "\n";
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/ws`);
  // `/?send=TEXT` sends TEXT as soon as the socket opens (for a headless
  // browser check).
  const auto = new URLSearchParams(location.search).get("send");
  socket.onopen = () => { log("open"); if (auto) socket.send(auto); };
  socket.onmessage = (event) => log("echo: " + event.data);
  socket.onclose = (event) => log("closed " + event.code);
  document.getElementById("send").onclick = () => socket.send(document.getElementById("text").value);
</script>
"#;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let addr = args.first().cloned().unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    let tls = match args.iter().skip(1).map(String::as_str).collect::<Vec<_>>().as_slice() {
        [] => None,
        ["--tls-self-signed"] => Some(self_signed()?),
        ["--tls", cert, key] => Some(from_files(cert, key)?),
        _ => return Err("usage: axum_echo ADDR [--tls-self-signed | --tls CERT KEY]".into()),
    };
    let app = Router::new().route("/", get(|| async { Html(PAGE) })).route("/ws", any(ws));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("axum echo listening on {scheme}://{}", listener.local_addr()?);
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    loop {
        let (tcp, _) = listener.accept().await?;
        let (app, acceptor) = (app.clone(), acceptor.clone());
        tokio::spawn(async move {
            match acceptor {
                Some(acceptor) => match acceptor.accept(tcp).await {
                    Ok(stream) => serve(stream, app).await,
                    Err(error) => eprintln!("TLS handshake failed: {error}"),
                },
                None => serve(tcp, app).await,
            }
        });
    }
}

/// Serves HTTP/1.1 and HTTP/2 (extended CONNECT enabled) on one
/// connection.
async fn serve<T>(io: T, app: Router)
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http2().enable_connect_protocol();
    let service = TowerToHyperService::new(app);
    if let Err(error) = builder.serve_connection_with_upgrades(TokioIo::new(io), service).await {
        eprintln!("connection ended: {error}");
    }
}

/// A certificate for `localhost` and 127.0.0.1 made now, with ALPN.
fn self_signed() -> Result<Arc<rustls::ServerConfig>, Box<dyn std::error::Error>> {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let certified = rcgen::generate_simple_self_signed(names)?;
    let key = PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der());
    with_alpn(vec![certified.cert.der().clone()], PrivateKeyDer::Pkcs8(key))
}

/// The certificate chain and key in PEM files.
fn from_files(
    cert: &str,
    key: &str,
) -> Result<Arc<rustls::ServerConfig>, Box<dyn std::error::Error>> {
    let chain = CertificateDer::pem_file_iter(cert)?.collect::<Result<Vec<_>, _>>()?;
    with_alpn(chain, PrivateKeyDer::from_pem_file(key)?)
}

/// barews-std's TLS server configuration, offering `h2` then `http/1.1`.
fn with_alpn(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<rustls::ServerConfig>, Box<dyn std::error::Error>> {
    let mut config = tls::server_config(chain, key)?;
    Arc::get_mut(&mut config).ok_or("a fresh configuration is not shared")?.alpn_protocols =
        vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// `/ws`: the core validates the upgrade (HTTP/1.1) or the extended
/// CONNECT (HTTP/2); the socket echoes in a task of its own once the
/// answer is sent.
async fn ws(mut request: Request) -> Response {
    let version = request.version();
    let (response, pending) = upgrade(&mut request, &ServerOptions::default());
    if let Some(pending) = pending {
        tokio::spawn(async move {
            let result = async {
                let (mut socket, _) = pending.socket().await?;
                println!("websocket over {version:?}");
                loop {
                    match socket.read().await? {
                        Message::Text(text) => socket.send_text(&text).await?,
                        Message::Binary(bytes) => socket.send_binary(&bytes).await?,
                        _ => {}
                    }
                }
            };
            match result.await {
                Ok(()) | Err(Error::Ended(End::Closed | End::AbnormalClosure)) => {}
                Err(error) => eprintln!("websocket ended: {error}"),
            }
        });
    }
    response.into_response()
}
