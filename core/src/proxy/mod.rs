//! The client side of a proxy exchange, sans-IO: HTTP `CONNECT` (RFC 9110
//! section 9.3.6, with optional Basic authentication, RFC 7617) and SOCKS5
//! (RFC 1928, with optional username/password authentication, RFC 1929).
//!
//! A [`Tunnel`] writes the messages a client sends to a proxy and parses
//! the proxy's answers until the proxy has opened a byte stream to the
//! [`Destination`]. From then on the connection to the proxy carries the
//! destination's bytes: a TLS handshake for `wss://`, then the WebSocket
//! opening handshake ([`handshake::client`](crate::handshake::client)).
//!
//! # Driving a tunnel
//!
//! The caller does the I/O, in one loop for both protocols:
//!
//! 1. [`write_next`](Tunnel::write_next) writes the message that is due
//!    into the caller's buffer; send all of it. It writes nothing (returns
//!    0) while the tunnel waits for an answer.
//! 2. [`read`](Tunnel::read) takes the bytes read from the proxy and not
//!    consumed yet, and says how many it consumed and whether the tunnel is
//!    open. It consumes only the answer it waits for: bytes after the end
//!    of that answer stay where they are.
//! 3. If the tunnel is open, the bytes left over are the destination's
//!    first bytes: keep them for the next layer. If the call consumed
//!    bytes, go back to 1: the answer it finished may have made a message
//!    due (SOCKS5's request follows the method selection), and bytes left
//!    over wait for that message to be sent. Read more from the proxy
//!    only when `write_next` wrote nothing and `read` consumed nothing,
//!    then go back to 1. (Reading more after an answer that made a message
//!    due would wait forever: the proxy waits for that message.)
//!
//! A read that finds the end of the stream before the tunnel opens is
//! [`ProxyError::Closed`]; the time allowed for the whole exchange is the
//! caller's to bound. The bytes may arrive in pieces of any size: the
//! outcome and the bytes consumed do not depend on it.
//!
//! Here with an in-memory SOCKS5 proxy that needs no authentication and
//! sends the destination's first bytes (`hi`) right behind its last
//! answer:
//!
//! ```
//! use barews::proxy::{Destination, SOCKS5_MAX_MESSAGE_LEN, Tunnel};
//!
//! // The proxy's answer to each message it receives, and what it has sent
//! // that the client has not read yet.
//! let replies: [&[u8]; 2] = [&[5, 0], &[5, 0, 0, 1, 10, 0, 0, 1, 0x0f, 0xa0, b'h', b'i']];
//! let mut answers = replies.into_iter();
//! let mut in_flight = Vec::new();
//! let mut sent = Vec::new();
//!
//! let mut tunnel = Tunnel::socks5(Destination::Name("example.com", 443));
//! let mut out = [0u8; SOCKS5_MAX_MESSAGE_LEN];
//! let mut buf = Vec::new(); // read from the proxy, not consumed yet
//! loop {
//!     // 1. Send what is due.
//!     let n = tunnel.write_next(&mut out)?;
//!     if n > 0 {
//!         sent.extend_from_slice(&out[..n]);
//!         in_flight.extend_from_slice(answers.next().unwrap()); // the proxy answers
//!     }
//!     // 2. Hand over what has been read.
//!     let progress = tunnel.read(&buf)?;
//!     buf.drain(..progress.consumed);
//!     if progress.open {
//!         break;
//!     }
//!     // 3. Read more only when nothing moved.
//!     if n == 0 && progress.consumed == 0 {
//!         let got = in_flight.len().min(4); // a read of up to 4 bytes
//!         buf.extend(in_flight.drain(..got));
//!     }
//! }
//! assert_eq!(sent, b"\x05\x01\x00\x05\x01\x00\x03\x0bexample.com\x01\xbb");
//! assert_eq!(buf, b"hi"); // the destination's bytes, for the next layer
//! # Ok::<(), barews::proxy::ProxyError>(())
//! ```
//!
//! # What it does and does not do
//!
//! It checks everything it sends before sending anything (a host name of
//! 1 to 255 bytes, credentials that the protocol can carry) and every byte
//! of the answers: exact SOCKS5 reply layouts, HTTP/1.x syntax, bounded
//! HTTP heads. It allocates nothing, stores nothing of the answers but the
//! few bytes of state a byte-at-a-time parser needs, and never reads past
//! the answer.
//!
//! It does not open connections, resolve names, run TLS (to the proxy or
//! through it), keep time, read proxy URLs or environment variables (the
//! adapters do). It speaks neither SOCKS4 nor SOCKS5's BIND and UDP
//! ASSOCIATE commands nor GSSAPI, nor HTTP proxy authentication schemes
//! other than Basic (Digest, NTLM, Negotiate); it keeps none of the
//! answer's headers (such as a 407's `Proxy-Authenticate`) or the SOCKS5
//! bound address, and a refusal's body is left unread.
//!
//! How the HTTP answer is read (interim 1xx, a 2xx's `Content-Length`) is
//! told in [`Tunnel::http_connect`].

mod error;
mod http;
mod socks5;
#[cfg(test)]
mod tests;

pub use error::{HttpConnectError, ProxyError, ReplyCode, Socks5Error};

use core::fmt;
use core::net::{IpAddr, Ipv6Addr, SocketAddr};

/// The longest message a SOCKS5 tunnel writes: the username/password
/// request with a 255-byte user name and a 255-byte password
/// (`1 + 1 + 255 + 1 + 255`). An output buffer this large never gets
/// [`ProxyError::BufferTooSmall`] from a SOCKS5 tunnel. (An HTTP
/// `CONNECT` request's length depends on the host name and the
/// credentials; the error says how much it needs.)
pub const SOCKS5_MAX_MESSAGE_LEN: usize = 513;

/// Where the tunnel leads: a host name or an IP address, and a port.
///
/// A [`Name`](Destination::Name) is resolved by the proxy (what
/// `socks5h://` asks for); it must be 1 to 255 bytes of the characters
/// RFC 3986 allows in a host name (letters, digits, `-._~!$&'()*+,;=%`;
/// an internationalized name in its `xn--` form), else the tunnel fails
/// with [`ProxyError::InvalidDestination`] before sending anything.
///
/// ```
/// use barews::proxy::Destination;
/// use core::net::{IpAddr, Ipv6Addr};
///
/// assert_eq!(Destination::from_host("example.com", 443), Destination::Name("example.com", 443));
/// let ip = Destination::from_host("[::1]", 8080);
/// assert_eq!(ip, Destination::Ip(IpAddr::V6(Ipv6Addr::LOCALHOST), 8080));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination<'a> {
    /// A host name and a port.
    Name(&'a str, u16),
    /// An IP address and a port.
    Ip(IpAddr, u16),
}

impl<'a> Destination<'a> {
    /// The destination of a URL's host and port: an IPv4 address
    /// (`192.0.2.1`) or an IPv6 address, bracketed (`[2001:db8::1]`) or
    /// not, becomes [`Ip`](Destination::Ip), anything else
    /// [`Name`](Destination::Name).
    pub fn from_host(host: &'a str, port: u16) -> Self {
        let bracketed = host.strip_prefix('[').and_then(|inner| inner.strip_suffix(']'));
        let ip = match bracketed {
            Some(inner) => inner.parse::<Ipv6Addr>().ok().map(IpAddr::V6),
            None => host.parse::<IpAddr>().ok(),
        };
        match ip {
            Some(ip) => Destination::Ip(ip, port),
            None => Destination::Name(host, port),
        }
    }

    /// The destination's port.
    pub const fn port(&self) -> u16 {
        match *self {
            Destination::Name(_, port) | Destination::Ip(_, port) => port,
        }
    }

    /// Whether the destination can be sent (see [`Destination`]).
    fn is_valid(&self) -> bool {
        match self {
            Destination::Ip(..) => true,
            Destination::Name(name, _) => {
                (1..=255).contains(&name.len()) && name.bytes().all(is_host_name_byte)
            }
        }
    }
}

impl From<SocketAddr> for Destination<'_> {
    fn from(address: SocketAddr) -> Self {
        Destination::Ip(address.ip(), address.port())
    }
}

/// Whether `byte` may appear in a host name: RFC 3986's `reg-name`
/// (unreserved, sub-delims and the `%` of percent-encoding). So no space,
/// no control byte, no `:`, `/`, `@` or brackets can reach a request.
fn is_host_name_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric()
        || matches!(
            byte,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b'%'
        )
}

/// A user name and password, whose `Debug` hides the password.
#[derive(Clone, Copy)]
struct Credentials<'a> {
    user: &'a str,
    password: &'a str,
}

impl fmt::Debug for Credentials<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials").field("user", &self.user).finish_non_exhaustive()
    }
}

/// What [`Tunnel::read`] did with the bytes it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// How many of the bytes, from the start, belonged to the answer the
    /// tunnel waited for. The bytes after them are the destination's when
    /// the tunnel is [`open`](Self::open), otherwise the start of an answer
    /// to a message that is due first (see [`Tunnel::write_next`]).
    pub consumed: usize,
    /// Whether the tunnel is open: the proxy's last answer has been read
    /// and the connection now leads to the destination.
    pub open: bool,
}

/// The exchange of one protocol.
#[derive(Debug, Clone, Copy)]
enum Exchange {
    Http(http::Exchange),
    Socks5(socks5::Exchange),
}

/// The client side of one proxy exchange, HTTP `CONNECT` or SOCKS5, from
/// the first message to the open tunnel. See the [module docs](self) for
/// the driving loop.
///
/// It borrows the destination's name and the credentials and allocates
/// nothing: 120 bytes on a 64-bit target, borrowed slices included.
///
/// Errors are sticky: once [`read`](Self::read) or
/// [`write_next`](Self::write_next) has failed, both return the same
/// error (except [`ProxyError::BufferTooSmall`], which only asks for a
/// larger buffer).
#[derive(Debug, Clone)]
pub struct Tunnel<'a> {
    destination: Destination<'a>,
    credentials: Option<Credentials<'a>>,
    max_head_len: usize,
    max_headers: usize,
    exchange: Exchange,
    failure: Option<ProxyError>,
}

impl<'a> Tunnel<'a> {
    /// An HTTP `CONNECT` tunnel to `destination`.
    ///
    /// The request is `CONNECT host:port HTTP/1.1` with a `Host` header of
    /// the same `host:port` (an IPv6 address in brackets), and with
    /// [`with_basic_auth`](Self::with_basic_auth), a
    /// `Proxy-Authorization: Basic` header.
    ///
    /// How the answer is read:
    ///
    /// - Any 2xx opens the tunnel right after the blank line that ends its
    ///   head (RFC 9112 section 6.3). RFC 9110 section 9.3.6 requires a
    ///   client to ignore `Content-Length` and `Transfer-Encoding` in it, so
    ///   they are ignored: a 2xx to `CONNECT` has no body, and the bytes
    ///   after its head are the destination's, whatever its headers say.
    /// - Interim 1xx answers (such as `100 Continue`) are read and skipped,
    ///   as RFC 9110 section 15.2 has a client do; they have no body. But
    ///   `101 Switching Protocols` is an error
    ///   ([`HttpConnectError::SwitchingProtocols`]): it only answers a
    ///   request that asked to upgrade (section 15.2.2).
    /// - Any other status refuses the tunnel, with
    ///   [`HttpConnectError::Refused`] carrying it as soon as the status
    ///   line is complete; the rest of that answer is not read.
    /// - The answer, interim heads included, may be at most
    ///   [`DEFAULT_MAX_HEAD_LEN`](crate::handshake::DEFAULT_MAX_HEAD_LEN)
    ///   (8 KiB) long, each head at most
    ///   [`DEFAULT_MAX_HEADERS`](crate::handshake::DEFAULT_MAX_HEADERS) (32)
    ///   header lines; [`with_max_head_len`](Self::with_max_head_len) and
    ///   [`with_max_headers`](Self::with_max_headers) change them. Nothing of
    ///   the head is stored, so neither costs memory.
    pub const fn http_connect(destination: Destination<'a>) -> Self {
        Self::new(destination, Exchange::Http(http::Exchange::new()))
    }

    /// A SOCKS5 tunnel to `destination`: a CONNECT by domain name
    /// (address type 3) for a [`Name`](Destination::Name), by IPv4 or IPv6
    /// address (types 1 and 4) for an [`Ip`](Destination::Ip).
    ///
    /// The greeting offers "no authentication" and, with
    /// [`with_password`](Self::with_password), username/password; each
    /// message waits for the answer to the one before.
    pub const fn socks5(destination: Destination<'a>) -> Self {
        Self::new(destination, Exchange::Socks5(socks5::Exchange::new()))
    }

    const fn new(destination: Destination<'a>, exchange: Exchange) -> Self {
        Tunnel {
            destination,
            credentials: None,
            max_head_len: crate::handshake::DEFAULT_MAX_HEAD_LEN,
            max_headers: crate::handshake::DEFAULT_MAX_HEADERS,
            exchange,
            failure: None,
        }
    }

    /// The credentials for an HTTP proxy: `Proxy-Authorization: Basic`
    /// with the base64 form of `user:password` (RFC 7617, UTF-8). The user
    /// name may not contain `:`, and neither may contain a control
    /// character ([`ProxyError::InvalidCredentials`] otherwise).
    ///
    /// The same credentials as [`with_password`](Self::with_password),
    /// named for HTTP's term: on a SOCKS5 tunnel it offers them as
    /// username/password, so an adapter can set what a proxy URL's
    /// `user:password@` holds whatever its scheme.
    #[must_use]
    pub const fn with_basic_auth(self, user: &'a str, password: &'a str) -> Self {
        self.with_password(user, password)
    }

    /// The credentials for a SOCKS5 proxy: the greeting also offers
    /// username/password authentication (RFC 1929), used if the proxy
    /// chooses it. The user name and the password must each be 1 to 255
    /// bytes ([`ProxyError::InvalidCredentials`] otherwise).
    ///
    /// The same credentials as [`with_basic_auth`](Self::with_basic_auth):
    /// on an HTTP tunnel they are sent as Basic authentication.
    #[must_use]
    pub const fn with_password(mut self, user: &'a str, password: &'a str) -> Self {
        self.credentials = Some(Credentials { user, password });
        self
    }

    /// Sets the longest HTTP answer accepted, in bytes, interim 1xx heads
    /// included (default
    /// [`DEFAULT_MAX_HEAD_LEN`](crate::handshake::DEFAULT_MAX_HEAD_LEN),
    /// 8 KiB). SOCKS5 replies have a fixed layout of at most 262 bytes and
    /// ignore it.
    #[must_use]
    pub const fn with_max_head_len(mut self, bytes: usize) -> Self {
        self.max_head_len = bytes;
        self
    }

    /// Sets the most header lines one head of an HTTP answer may have
    /// (default [`DEFAULT_MAX_HEADERS`](crate::handshake::DEFAULT_MAX_HEADERS),
    /// 32). SOCKS5 ignores it.
    #[must_use]
    pub const fn with_max_headers(mut self, count: usize) -> Self {
        self.max_headers = count;
        self
    }

    /// Where the tunnel leads.
    pub const fn destination(&self) -> Destination<'a> {
        self.destination
    }

    /// Whether the tunnel is open: the proxy's last answer has been read.
    pub fn is_open(&self) -> bool {
        match &self.exchange {
            Exchange::Http(exchange) => exchange.is_open(),
            Exchange::Socks5(exchange) => exchange.is_open(),
        }
    }

    /// Writes the next message for the proxy into `out` and returns its
    /// length: send all of it before reading the answer. Returns 0 when
    /// nothing is due: the tunnel waits for an answer, or is open.
    ///
    /// The first call checks the destination and the credentials and
    /// fails with [`ProxyError::InvalidDestination`] or
    /// [`ProxyError::InvalidCredentials`] before anything is written.
    /// When `out` is too small it fails with
    /// [`ProxyError::BufferTooSmall`], leaves `out` untouched and keeps
    /// the message due. [`SOCKS5_MAX_MESSAGE_LEN`] bytes always suffice for
    /// SOCKS5.
    pub fn write_next(&mut self, out: &mut [u8]) -> Result<usize, ProxyError> {
        if let Some(error) = self.failure {
            return Err(error);
        }
        let credentials = self.credentials.as_ref();
        let result = match &mut self.exchange {
            Exchange::Http(exchange) => exchange.write_next(&self.destination, credentials, out),
            Exchange::Socks5(exchange) => exchange.write_next(&self.destination, credentials, out),
        };
        if let Err(error) = result {
            if !matches!(error, ProxyError::BufferTooSmall(_)) {
                self.failure = Some(error);
            }
        }
        result
    }

    /// Takes the bytes received from the proxy and not consumed yet, and
    /// consumes those of the answer the tunnel waits for, up to its end
    /// and no further.
    ///
    /// When the call opens the tunnel, the bytes after `consumed` are the
    /// destination's. When it leaves bytes and the tunnel is not open, a
    /// message is due first: send what [`write_next`](Self::write_next)
    /// writes, then pass them again. The outcome does not depend on how
    /// the bytes were split between calls.
    pub fn read(&mut self, input: &[u8]) -> Result<Progress, ProxyError> {
        if let Some(error) = self.failure {
            return Err(error);
        }
        let result = match &mut self.exchange {
            Exchange::Http(exchange) => {
                let limits =
                    http::Limits { max_head_len: self.max_head_len, max_headers: self.max_headers };
                exchange.read(input, limits)
            }
            Exchange::Socks5(exchange) => exchange.read(input, self.credentials.is_some()),
        };
        if let Err(error) = result {
            self.failure = Some(error);
        }
        result
    }
}
