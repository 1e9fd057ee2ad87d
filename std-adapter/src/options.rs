//! Settings for sockets, servers and clients.

use barews::config::Config;
use barews::driver::Limits;
use barews::handshake::server::ServerConfig;
use std::time::Duration;

/// The default read buffer: 4 KiB. Messages of any size stream through it.
pub const DEFAULT_READ_BUFFER: usize = 4096;

/// The default limit of the read buffer's growth: 128 KiB. A connection
/// that receives large messages back to back reads up to eight 16 KiB
/// ones per system call (measured in docs/performance.md, "Issue 14").
pub const DEFAULT_MAX_READ_BUFFER: usize = 128 * 1024;

/// The default write buffer size: 64 KiB.
pub const DEFAULT_WRITE_BUFFER: usize = 64 * 1024;

/// The smallest read buffer accepted: a whole control frame must fit.
pub const MIN_READ_BUFFER: usize = 256;

/// The default time allowed for an opening handshake: 10 s.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Settings for an open WebSocket, in either role.
///
/// ```
/// use barews_std::SocketOptions;
/// use std::time::Duration;
///
/// let mut options = SocketOptions::default();
/// options.read_timeout = Some(Duration::from_secs(30));
/// options.config = options.config.with_max_message_len(1 << 20);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SocketOptions {
    /// The protocol core's settings: limits, automatic replies, keepalive,
    /// close timeout, outgoing fragment size.
    pub config: Config,
    /// The read buffer's initial size (at least [`MIN_READ_BUFFER`]).
    pub read_buffer_size: usize,
    /// The size the read buffer may double up to, each time a read fills
    /// it completely (a peer sending in bulk). Idle and request/response
    /// connections keep the initial size; set this to `read_buffer_size`
    /// for a buffer that never grows.
    pub max_read_buffer_size: usize,
    /// Queued frames are written out once they reach this many bytes, even
    /// before a flush (an async socket's `queue_*` then waits for the
    /// transport: backpressure). Between bursts the send buffer keeps this
    /// much memory, or [`max_read_buffer_size`](Self::max_read_buffer_size)
    /// if that is larger: an echo of one full read then fits without
    /// growing the buffer again. A single message larger than it still
    /// goes out whole.
    pub write_buffer_size: usize,
    /// How long a read may wait for a message before returning
    /// [`Error::Timeout`](crate::Error::Timeout); `None` waits forever.
    pub read_timeout: Option<Duration>,
    /// How long a write may block; a write that times out breaks the
    /// connection (a frame may be half written).
    pub write_timeout: Option<Duration>,
    /// Sets `TCP_NODELAY` on the transport (see [`Stream::set_nodelay`]),
    /// on by default: the socket already gathers its frames into as few
    /// writes as it can, so Nagle's algorithm would only delay them.
    ///
    /// [`Stream::set_nodelay`]: crate::Stream::set_nodelay
    pub nodelay: bool,
}

impl SocketOptions {
    /// The core driver's buffer limits for a socket whose receive buffer
    /// starts at `rx_len` bytes: it grows up to `max_read_buffer_size`
    /// (or stays at `rx_len`, if that is larger), and the send buffer
    /// keeps the larger of `write_buffer_size` and that limit between
    /// bursts. Both adapters build their drivers with these.
    pub fn driver_limits(&self, rx_len: usize) -> Limits {
        let max_rx = self.max_read_buffer_size.max(rx_len);
        Limits::new(max_rx, self.write_buffer_size.max(max_rx))
    }
}

impl Default for SocketOptions {
    fn default() -> Self {
        SocketOptions {
            config: Config::new(),
            read_buffer_size: DEFAULT_READ_BUFFER,
            max_read_buffer_size: DEFAULT_MAX_READ_BUFFER,
            write_buffer_size: DEFAULT_WRITE_BUFFER,
            read_timeout: None,
            write_timeout: None,
            nodelay: true,
        }
    }
}

/// Settings for accepting connections.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerOptions {
    /// Settings for the accepted socket.
    pub socket: SocketOptions,
    /// Request limits and the Origin policy.
    pub handshake: ServerConfig,
    /// How long a client has to send its complete request head.
    pub handshake_timeout: Duration,
    /// Subprotocols this server speaks, most preferred first; the first
    /// one the client also offers is selected.
    pub protocols: Vec<String>,
    /// Extra headers for the `101` response.
    pub headers: Vec<(String, String)>,
    /// permessage-deflate: accepted when a client offers it and this is
    /// set (feature `deflate`).
    #[cfg(feature = "deflate")]
    pub deflate: Option<barews::deflate::DeflateConfig>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            socket: SocketOptions::default(),
            handshake: ServerConfig::new(),
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            protocols: Vec::new(),
            headers: Vec::new(),
            #[cfg(feature = "deflate")]
            deflate: None,
        }
    }
}

/// Settings for connecting.
#[derive(Clone)]
#[non_exhaustive]
pub struct ClientOptions {
    /// Settings for the connected socket.
    pub socket: SocketOptions,
    /// How long to wait for the TCP connection; `None` uses the system's.
    pub connect_timeout: Option<Duration>,
    /// How long the server has to answer the upgrade request.
    pub handshake_timeout: Duration,
    /// Subprotocols to offer, most preferred first.
    pub protocols: Vec<String>,
    /// The `Origin` header to send, if any.
    pub origin: Option<String>,
    /// The `Sec-WebSocket-Extensions` offer, if any.
    pub extensions: Option<String>,
    /// Extra request headers (`Authorization`, `Cookie`…).
    pub headers: Vec<(String, String)>,
    /// Whether to reach the server through a proxy: none by default; the
    /// environment variables only when this says
    /// [`ProxyChoice::FromEnvironment`](crate::ProxyChoice::FromEnvironment).
    pub proxy: crate::ProxyChoice,
    /// permessage-deflate: offered when set (feature `deflate`).
    #[cfg(feature = "deflate")]
    pub deflate: Option<barews::deflate::DeflateConfig>,
    /// The TLS configuration for `wss://`; `None` uses the webpki root
    /// store.
    #[cfg(feature = "tls")]
    pub tls: Option<std::sync::Arc<rustls::ClientConfig>>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            socket: SocketOptions::default(),
            connect_timeout: Some(Duration::from_secs(10)),
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            protocols: Vec::new(),
            origin: None,
            extensions: None,
            headers: Vec::new(),
            proxy: crate::ProxyChoice::Direct,
            #[cfg(feature = "deflate")]
            deflate: None,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientOptions")
            .field("socket", &self.socket)
            .field("connect_timeout", &self.connect_timeout)
            .field("handshake_timeout", &self.handshake_timeout)
            .field("protocols", &self.protocols)
            .field("origin", &self.origin)
            .field("extensions", &self.extensions)
            .field("headers", &self.headers)
            .field("proxy", &self.proxy)
            .finish_non_exhaustive()
    }
}
