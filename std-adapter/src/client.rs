//! Connecting to a WebSocket server.

use crate::error::Error;
use crate::handshake_io::read_more;
use crate::opening::ClientOffer;
use crate::options::ClientOptions;
use crate::proxy::check_tunnel_leftover;
use crate::socket::ClientSocket;
use crate::stream::{Stream, TryClone};
use crate::url::WsUrl;
use barews::proxy::{Destination, ProxyError, SOCKS5_MAX_MESSAGE_LEN, Tunnel};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// What the server selected in its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseInfo {
    /// The selected subprotocol, one of those offered.
    pub protocol: Option<String>,
    /// The accepted extensions, with their parameters.
    pub extensions: Vec<String>,
}

/// The stream [`connect`] opens: plain TCP for `ws://`, TLS over TCP for
/// `wss://` (with the `tls` feature).
#[non_exhaustive]
pub enum MaybeTlsStream {
    /// A `ws://` connection.
    Plain(TcpStream),
    /// A `wss://` connection.
    #[cfg(feature = "tls")]
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl MaybeTlsStream {
    /// The TCP connection underneath (for its addresses and socket
    /// options), under TLS or not.
    pub fn tcp(&self) -> &TcpStream {
        match self {
            MaybeTlsStream::Plain(tcp) => tcp,
            #[cfg(feature = "tls")]
            MaybeTlsStream::Tls(tls) => &tls.sock,
        }
    }
}

impl Read for MaybeTlsStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            MaybeTlsStream::Plain(tcp) => tcp.read(buf),
            #[cfg(feature = "tls")]
            MaybeTlsStream::Tls(tls) => tls.read(buf),
        }
    }
}

impl Write for MaybeTlsStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            MaybeTlsStream::Plain(tcp) => tcp.write(buf),
            #[cfg(feature = "tls")]
            MaybeTlsStream::Tls(tls) => tls.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            MaybeTlsStream::Plain(tcp) => tcp.flush(),
            #[cfg(feature = "tls")]
            MaybeTlsStream::Tls(tls) => tls.flush(),
        }
    }
}

impl Stream for MaybeTlsStream {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.tcp().set_read_timeout(timeout)
    }

    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.tcp().set_write_timeout(timeout)
    }

    fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.tcp().set_nodelay(nodelay)
    }

    fn shutdown(&mut self) -> io::Result<()> {
        match self {
            MaybeTlsStream::Plain(tcp) => Stream::shutdown(tcp),
            #[cfg(feature = "tls")]
            MaybeTlsStream::Tls(tls) => Stream::shutdown(tls.as_mut()),
        }
    }
}

impl TryClone for MaybeTlsStream {
    /// Plain TCP only: a TLS session cannot be driven from two handles.
    fn try_clone(&self) -> io::Result<Self> {
        match self {
            MaybeTlsStream::Plain(tcp) => tcp.try_clone().map(MaybeTlsStream::Plain),
            #[cfg(feature = "tls")]
            MaybeTlsStream::Tls(_) => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "a TLS stream cannot be split into two handles",
            )),
        }
    }
}

impl std::fmt::Debug for MaybeTlsStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MaybeTlsStream::Plain(_) => f.write_str("MaybeTlsStream::Plain"),
            #[cfg(feature = "tls")]
            MaybeTlsStream::Tls(_) => f.write_str("MaybeTlsStream::Tls"),
        }
    }
}

/// Connects to `url` (`ws://…` or `wss://…`) with the default options.
///
/// ```no_run
/// let (mut socket, _) = barews_std::connect("ws://127.0.0.1:9001/")?;
/// socket.send_text("hello")?;
/// println!("{:?}", socket.read()?);
/// # Ok::<(), barews_std::Error>(())
/// ```
pub fn connect(url: &str) -> Result<(ClientSocket<MaybeTlsStream>, ResponseInfo), Error> {
    connect_with(url, &ClientOptions::default())
}

/// Connects to `url` with `options`: resolves the host, opens TCP (within
/// the connect timeout) to it or to the proxy `options.proxy` names and
/// has the proxy open a tunnel to the host, sets up TLS for `wss://`, and
/// runs the opening handshake. The proxy exchange and the handshake
/// together have the handshake timeout.
pub fn connect_with(
    url: &str,
    options: &ClientOptions,
) -> Result<(ClientSocket<MaybeTlsStream>, ResponseInfo), Error> {
    let url = WsUrl::parse(url)?;
    let deadline = Instant::now() + options.handshake_timeout;
    let tcp = match options.proxy.resolve(&url)? {
        None => open_tcp(&url.host, url.port, options.connect_timeout)?,
        Some(proxy) => {
            let mut tcp = open_tcp(&proxy.host, proxy.port, options.connect_timeout)?;
            let address;
            let destination = if proxy.resolves_locally() {
                address = resolve(&url.host, url.port)?;
                Destination::from(address)
            } else {
                Destination::from_host(&url.host, url.port)
            };
            open_tunnel(&mut tcp, proxy.tunnel(destination), deadline)?;
            tcp
        }
    };
    let stream = if url.secure {
        #[cfg(feature = "tls")]
        {
            MaybeTlsStream::Tls(Box::new(crate::tls::client_stream(
                &url.host,
                tcp,
                options.tls.clone(),
            )?))
        }
        #[cfg(not(feature = "tls"))]
        {
            return Err(Error::Io(io::Error::new(
                io::ErrorKind::Unsupported,
                "wss:// needs the `tls` feature of barews-std",
            )));
        }
    } else {
        MaybeTlsStream::Plain(tcp)
    };
    handshake(stream, &url, options, deadline)
}

fn open_tcp(host: &str, port: u16, timeout: Option<Duration>) -> Result<TcpStream, Error> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, "the host has no address");
    for addr in (host, port).to_socket_addrs()? {
        let result = match timeout {
            Some(timeout) => TcpStream::connect_timeout(&addr, timeout),
            None => TcpStream::connect(addr),
        };
        match result {
            Ok(tcp) => return Ok(tcp),
            Err(e) => last = e,
        }
    }
    Err(Error::Io(last))
}

/// The first address of `host`, for a proxy that wants one.
fn resolve(host: &str, port: u16) -> Result<SocketAddr, Error> {
    (host, port).to_socket_addrs()?.next().ok_or_else(|| {
        Error::Io(io::Error::new(io::ErrorKind::NotFound, "the host has no address"))
    })
}

/// Runs `tunnel`'s exchange with the proxy over `tcp` until the tunnel is
/// open, by `deadline`.
fn open_tunnel(
    tcp: &mut TcpStream,
    mut tunnel: Tunnel<'_>,
    deadline: Instant,
) -> Result<(), Error> {
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
        if due > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::HandshakeTimeout);
            }
            tcp.set_write_timeout(Some(left))?;
            tcp.write_all(&out[..due])?;
        }
        let progress = tunnel.read(&received)?;
        received.drain(..progress.consumed);
        if progress.open {
            return check_tunnel_leftover(&received);
        }
        // Read more only when nothing moved: an answer consumed may have
        // made a message due, which the next turn writes.
        if due == 0 && progress.consumed == 0 {
            match read_more(tcp, &mut received, deadline) {
                Err(Error::Io(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    return Err(Error::Proxy(ProxyError::Closed));
                }
                read => read?,
            }
        }
    }
}

/// Runs the client handshake for `url` over a stream you opened yourself
/// (a custom TLS setup, a proxy tunnel…).
pub fn client<T: Stream>(
    stream: T,
    url: &WsUrl,
    options: &ClientOptions,
) -> Result<(ClientSocket<T>, ResponseInfo), Error> {
    handshake(stream, url, options, Instant::now() + options.handshake_timeout)
}

/// The client handshake over `stream`, by `deadline`.
fn handshake<T: Stream>(
    mut stream: T,
    url: &WsUrl,
    options: &ClientOptions,
    deadline: Instant,
) -> Result<(ClientSocket<T>, ResponseInfo), Error> {
    let offer = ClientOffer::new(url, options);
    let mut opening = offer.open()?;
    stream.set_write_timeout(Some(options.handshake_timeout))?;
    stream.write_all(&opening.request()?)?;
    stream.flush()?;
    let mut head = Vec::with_capacity(512);
    loop {
        if let Some(opened) = opening.response(&head)? {
            let leftover = &head[opened.consumed..];
            let socket =
                ClientSocket::from_parts(stream, opened.conn, leftover, options.socket.clone())?;
            return Ok((socket, opened.info));
        }
        read_more(&mut stream, &mut head, deadline)?;
    }
}
