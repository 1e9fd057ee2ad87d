//! WebSocket connections over HTTP/2 as a client (RFC 8441, feature `http2`): one
//! HTTP/2 connection, opened with hyper's client, carries any number of
//! WebSocket connections, each on a stream of its own opened by an extended CONNECT.
//!
//! The server must advertise `SETTINGS_ENABLE_CONNECT_PROTOCOL`; hyper
//! waits for the server's SETTINGS before it sends the first CONNECT and
//! refuses it if the setting is missing. The core builds the request's
//! fields and checks the answer, by the same rules as over HTTP/1.1; the
//! socket then runs RFC 6455 framing on the stream, masking as a client
//! does. A stream's end (`END_STREAM`) reaches the socket as the end of
//! its transport, and a reset (`RST_STREAM`) as a transport error: the
//! closing rules are those of a TCP connection.
//!
//! ```no_run
//! # async fn run() -> Result<(), barews_tokio::Error> {
//! use barews_tokio::{ClientOptions, WsUrl};
//! use barews_tokio::h2::H2Client;
//!
//! let tcp = tokio::net::TcpStream::connect("127.0.0.1:9001").await?;
//! let client = H2Client::handshake(tcp).await?; // HTTP/2 with prior knowledge (h2c)
//! let url = WsUrl::parse("ws://127.0.0.1:9001/chat")?;
//! let (mut first, _) = client.connect(&url, &ClientOptions::default()).await?;
//! let (mut second, _) = client.connect(&url, &ClientOptions::default()).await?;
//! first.send_text("one").await?;
//! second.send_text("two").await?;
//! # Ok(()) }
//! ```

use crate::socket::ClientSocket;
use barews::handshake::h2::PROTOCOL;
use barews_std::opening::ClientOffer;
use barews_std::{ClientOptions, Error, ResponseInfo, WsUrl};
use hyper::client::conn::http2::{self, SendRequest};
use hyper::upgrade::Upgraded;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::io;
use tokio::io::{AsyncRead, AsyncWrite};

/// A client socket on a stream of an HTTP/2 connection.
pub type H2Socket = ClientSocket<TokioIo<Upgraded>>;

/// An HTTP/2 connection on which WebSocket connections are opened. Clones share the
/// connection; it closes when every clone and every socket is gone.
#[derive(Debug, Clone)]
pub struct H2Client {
    send: SendRequest<String>,
}

fn io_error(error: hyper::Error) -> Error {
    Error::Io(io::Error::other(error))
}

impl H2Client {
    /// Starts HTTP/2 over `io`: a TCP stream (HTTP/2 with prior
    /// knowledge, "h2c") or a TLS stream whose ALPN chose `h2`. The
    /// connection runs on a task of its own.
    pub async fn handshake<T>(io: T) -> Result<Self, Error>
    where
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (send, connection) =
            http2::handshake(TokioExecutor::new(), TokioIo::new(io)).await.map_err(io_error)?;
        tokio::spawn(connection);
        Ok(H2Client { send })
    }

    /// Opens a WebSocket to `url` on a new stream: the extended CONNECT
    /// with the subprotocols, origin, extensions and headers of
    /// `options`, within its handshake timeout. `url`'s scheme gives the
    /// request's `:scheme` (`https` for `wss`).
    pub async fn connect(
        &self,
        url: &WsUrl,
        options: &ClientOptions,
    ) -> Result<(H2Socket, ResponseInfo), Error> {
        let offer = ClientOffer::new(url, options);
        let opening = offer.open_h2()?;
        let mut target = String::new();
        let mut request = http::Request::builder().method(http::Method::CONNECT);
        let fields = opening.fields()?;
        let pseudo = |name: &str| {
            fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap_or_default()
        };
        target.push_str(pseudo(":scheme"));
        target.push_str("://");
        target.push_str(pseudo(":authority"));
        target.push_str(pseudo(":path"));
        request = request.uri(target).version(http::Version::HTTP_2);
        for (name, value) in fields.iter().filter(|(name, _)| !name.starts_with(':')) {
            request = request.header(name, value);
        }
        let mut request = request
            .body(String::new())
            .map_err(|e| Error::Io(io::Error::new(io::ErrorKind::InvalidInput, e)))?;
        request.extensions_mut().insert(hyper::ext::Protocol::from_static(PROTOCOL));
        let mut send = self.send.clone();
        let exchange = async {
            let mut response = send.send_request(request).await.map_err(io_error)?;
            let status = response.status().as_u16();
            let fields: Vec<(&str, &[u8])> = response
                .headers()
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_bytes()))
                .collect();
            let (conn, info) = opening.response(status, fields)?;
            let upgraded = hyper::upgrade::on(&mut response).await.map_err(io_error)?;
            Ok::<_, Error>((conn, info, upgraded))
        };
        let (conn, info, upgraded) = tokio::time::timeout(options.handshake_timeout, exchange)
            .await
            .map_err(|_| Error::HandshakeTimeout)??;
        let socket = ClientSocket::from_parts(TokioIo::new(upgraded), conn, &[], &options.socket)?;
        Ok((socket, info))
    }
}
