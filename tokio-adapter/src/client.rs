//! Connecting to a WebSocket server.

use crate::socket::ClientSocket;
use crate::stream::MaybeTlsStream;
use barews::proxy::{Destination, ProxyError, SOCKS5_MAX_MESSAGE_LEN, Tunnel};
use barews_std::opening::ClientOffer;
use barews_std::{ClientOptions, Error, ResponseInfo, WsUrl, check_tunnel_leftover};
use std::io;
use std::net::SocketAddr;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// Connects to `url` (`ws://…`, or `wss://…` with the `tls` feature) with
/// the default options.
///
/// ```no_run
/// # async fn run() -> Result<(), barews_tokio::Error> {
/// let (mut socket, _) = barews_tokio::connect("ws://127.0.0.1:9001/").await?;
/// socket.send_text("hello").await?;
/// println!("{:?}", socket.read().await?);
/// # Ok(()) }
/// ```
pub async fn connect(url: &str) -> Result<(ClientSocket<MaybeTlsStream>, ResponseInfo), Error> {
    connect_with(url, &ClientOptions::default()).await
}

/// Connects to `url` with `options`: resolves the host, opens TCP (within
/// the connect timeout) to it or to the proxy `options.proxy` names and
/// has the proxy open a tunnel to the host (within the handshake
/// timeout), sets up TLS for `wss://` (with the `tls` feature; the
/// configuration in `options.tls`, or the webpki roots) and runs the
/// opening handshake (TLS's and the WebSocket's each within the handshake
/// timeout).
pub async fn connect_with(
    url: &str,
    options: &ClientOptions,
) -> Result<(ClientSocket<MaybeTlsStream>, ResponseInfo), Error> {
    let url = WsUrl::parse(url)?;
    let tcp = match options.proxy.resolve(&url)? {
        None => open_tcp(&url.host, url.port, options).await?,
        Some(proxy) => {
            let mut tcp = open_tcp(&proxy.host, proxy.port, options).await?;
            let address;
            let destination = if proxy.resolves_locally() {
                address = resolve(&url.host, url.port).await?;
                Destination::from(address)
            } else {
                Destination::from_host(&url.host, url.port)
            };
            let tunnel = open_tunnel(&mut tcp, proxy.tunnel(destination));
            tokio::time::timeout(options.handshake_timeout, tunnel)
                .await
                .map_err(|_| Error::HandshakeTimeout)??;
            tcp
        }
    };
    let stream =
        if url.secure { tls(tcp, &url, options).await? } else { MaybeTlsStream::Plain(tcp) };
    client(stream, &url, options).await
}

/// TCP to `host:port`, within the connect timeout.
async fn open_tcp(host: &str, port: u16, options: &ClientOptions) -> Result<TcpStream, Error> {
    let open = TcpStream::connect((host, port));
    let tcp = match options.connect_timeout {
        Some(timeout) => tokio::time::timeout(timeout, open).await.unwrap_or_else(|_| {
            Err(io::Error::new(io::ErrorKind::TimedOut, "TCP connect timed out"))
        })?,
        None => open.await?,
    };
    tcp.set_nodelay(options.socket.nodelay)?;
    Ok(tcp)
}

/// The first address of `host`, for a proxy that wants one.
async fn resolve(host: &str, port: u16) -> Result<SocketAddr, Error> {
    tokio::net::lookup_host((host, port)).await?.next().ok_or_else(|| {
        Error::Io(io::Error::new(io::ErrorKind::NotFound, "the host has no address"))
    })
}

/// Runs `tunnel`'s exchange with the proxy over `tcp` until the tunnel is
/// open.
async fn open_tunnel(tcp: &mut TcpStream, mut tunnel: Tunnel<'_>) -> Result<(), Error> {
    let mut out = vec![0u8; SOCKS5_MAX_MESSAGE_LEN];
    let mut received = Vec::new();
    loop {
        let due = match tunnel.write_next(&mut out) {
            Err(ProxyError::BufferTooSmall(needed)) => {
                out.resize(needed.required, 0);
                continue;
            }
            due => due?,
        };
        tcp.write_all(&out[..due]).await?;
        let progress = tunnel.read(&received)?;
        received.drain(..progress.consumed);
        if progress.open {
            return check_tunnel_leftover(&received);
        }
        // Read more only when nothing moved: an answer consumed may have
        // made a message due, which the next turn writes.
        if due == 0 && progress.consumed == 0 && tcp.read_buf(&mut received).await? == 0 {
            return Err(Error::Proxy(ProxyError::Closed));
        }
    }
}

/// TLS as a client of `url`'s host over `tcp`, within the handshake
/// timeout.
#[cfg(feature = "tls")]
async fn tls(
    tcp: TcpStream,
    url: &WsUrl,
    options: &ClientOptions,
) -> Result<MaybeTlsStream, Error> {
    use barews_std::UrlError;
    use tokio_rustls::rustls::pki_types::ServerName;
    let config = match &options.tls {
        Some(config) => std::sync::Arc::clone(config),
        None => barews_std::tls::default_client_config()?,
    };
    let name = ServerName::try_from(url.host.clone()).map_err(|_| Error::Url(UrlError::Host))?;
    let connect = tokio_rustls::TlsConnector::from(config).connect(name, tcp);
    let tls = tokio::time::timeout(options.handshake_timeout, connect)
        .await
        .map_err(|_| Error::HandshakeTimeout)??;
    Ok(MaybeTlsStream::Tls(Box::new(tls)))
}

/// Without the `tls` feature, `wss://` is refused with the reason.
#[cfg(not(feature = "tls"))]
fn tls(
    _: TcpStream,
    _: &WsUrl,
    _: &ClientOptions,
) -> std::future::Ready<Result<MaybeTlsStream, Error>> {
    std::future::ready(Err(Error::Io(io::Error::new(
        io::ErrorKind::Unsupported,
        "wss:// needs the `tls` feature of barews-tokio",
    ))))
}

/// Runs the client handshake for `url` over a stream you opened yourself
/// (TLS, a proxy tunnel…), within the handshake timeout.
pub async fn client<T: AsyncRead + AsyncWrite + Unpin>(
    stream: T,
    url: &WsUrl,
    options: &ClientOptions,
) -> Result<(ClientSocket<T>, ResponseInfo), Error> {
    // On the heap while it runs: the task keeps only the socket afterwards.
    Box::pin(client_inner(stream, url, options)).await
}

async fn client_inner<T: AsyncRead + AsyncWrite + Unpin>(
    mut stream: T,
    url: &WsUrl,
    options: &ClientOptions,
) -> Result<(ClientSocket<T>, ResponseInfo), Error> {
    let offer = ClientOffer::new(url, options);
    let mut opening = offer.open()?;
    let handshake = async {
        stream.write_all(&opening.request()?).await?;
        stream.flush().await?;
        let mut head = Vec::with_capacity(512);
        loop {
            if let Some(opened) = opening.response(&head)? {
                return Ok::<_, Error>((opened, head));
            }
            read_more(&mut stream, &mut head).await?;
        }
    };
    let (opened, head) = tokio::time::timeout(options.handshake_timeout, handshake)
        .await
        .map_err(|_| Error::HandshakeTimeout)??;
    let leftover = &head[opened.consumed..];
    let socket = ClientSocket::from_parts(stream, opened.conn, leftover, &options.socket)?;
    Ok((socket, opened.info))
}

/// Reads more bytes of an HTTP head onto the end of `head` (the core's
/// handshake bounds its size); the end of the stream is an error there.
pub(crate) async fn read_more<T: AsyncRead + Unpin>(
    stream: &mut T,
    head: &mut Vec<u8>,
) -> Result<(), Error> {
    head.reserve(1024);
    if stream.read_buf(head).await? == 0 {
        return Err(Error::Io(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed during the opening handshake",
        )));
    }
    Ok(())
}
