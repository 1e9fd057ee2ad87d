//! Why a tunnel did not open: one error type for both protocols, each
//! failure described for the person who has to act on it.

use crate::BufferTooSmall;
use core::fmt;

/// Why a [`Tunnel`](super::Tunnel) did not open.
///
/// Errors are sticky: after [`Tunnel::read`](super::Tunnel::read) or
/// [`Tunnel::write_next`](super::Tunnel::write_next) fails, both return
/// the same error again, except for
/// [`BufferTooSmall`](ProxyError::BufferTooSmall), after which the caller
/// may retry with a larger buffer. Whatever the error, the connection to
/// the proxy is of no further use: close it.
///
/// ```
/// use barews::proxy::{HttpConnectError, ProxyError, ReplyCode, Socks5Error};
///
/// let refused = ProxyError::Http(HttpConnectError::Refused(407));
/// assert_eq!(refused.to_string(), "proxy refused: 407 Proxy Authentication Required");
/// let refused = ProxyError::Socks5(Socks5Error::Rejected(ReplyCode::CONNECTION_REFUSED));
/// assert_eq!(refused.to_string(), "SOCKS5: connection refused by destination");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProxyError {
    /// The output buffer cannot hold the next message. It is left
    /// untouched and the message stays due: call again with at least
    /// `required` bytes. The only error that is not sticky.
    BufferTooSmall(BufferTooSmall),
    /// The destination cannot be sent: a [`Name`](super::Destination::Name)
    /// that is empty, longer than 255 bytes, or holds a character other
    /// than those RFC 3986 allows in a host name (letters, digits and
    /// `-._~!$&'()*+,;=%`). Reported before anything is written.
    InvalidDestination,
    /// The credentials cannot be sent. For SOCKS5 (RFC 1929) the user name
    /// and the password must each be 1 to 255 bytes; for HTTP Basic
    /// (RFC 7617) the user name may not contain `:` and neither may
    /// contain a control character. Reported before anything is written.
    InvalidCredentials,
    /// The proxy closed the connection before the tunnel opened. The
    /// tunnel never reports it itself (it sees no I/O); adapters return it
    /// when a read finds the end of the stream.
    Closed,
    /// The HTTP proxy refused the `CONNECT` or sent an unusable answer.
    Http(HttpConnectError),
    /// The SOCKS5 proxy refused or sent an unusable answer.
    Socks5(Socks5Error),
}

impl From<BufferTooSmall> for ProxyError {
    fn from(error: BufferTooSmall) -> Self {
        ProxyError::BufferTooSmall(error)
    }
}

impl From<HttpConnectError> for ProxyError {
    fn from(error: HttpConnectError) -> Self {
        ProxyError::Http(error)
    }
}

impl From<Socks5Error> for ProxyError {
    fn from(error: Socks5Error) -> Self {
        ProxyError::Socks5(error)
    }
}

impl fmt::Display for ProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The nested errors describe themselves in full, so `source` is
        // left at `None` rather than telling the same thing twice.
        match self {
            ProxyError::BufferTooSmall(e) => e.fmt(f),
            ProxyError::InvalidDestination => f.write_str(
                "invalid proxy destination: a host name must be 1 to 255 bytes of letters, \
                 digits and -._~!$&'()*+,;=%",
            ),
            ProxyError::InvalidCredentials => f.write_str(
                "invalid proxy credentials: SOCKS5 needs a user name and a password of 1 to \
                 255 bytes each, HTTP Basic a user name without ':' and no control characters",
            ),
            ProxyError::Closed => {
                f.write_str("the proxy closed the connection before the tunnel opened")
            }
            ProxyError::Http(e) => e.fmt(f),
            ProxyError::Socks5(e) => e.fmt(f),
        }
    }
}

impl core::error::Error for ProxyError {}

/// Why an HTTP proxy's answer to `CONNECT` does not open a tunnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpConnectError {
    /// The final status is not 2xx: the proxy refused, the status code is
    /// carried here. 407 asks for (other) credentials; 502, 503 and 504
    /// usually mean the proxy could not reach the destination; 403 that
    /// its rules forbid it.
    Refused(u16),
    /// The proxy answered `101 Switching Protocols`, which only answers a
    /// request that asks for an upgrade (RFC 9110 section 15.2.2); a
    /// `CONNECT` does not.
    SwitchingProtocols,
    /// The answer is longer than the configured limit
    /// ([`Tunnel::with_max_head_len`](super::Tunnel::with_max_head_len)),
    /// interim 1xx heads included.
    HeadTooLarge,
    /// A head of the answer has more header lines than the configured
    /// limit ([`Tunnel::with_max_headers`](super::Tunnel::with_max_headers)).
    TooManyHeaders,
    /// The answer does not start with an HTTP/1.x status line
    /// (`HTTP/1.1 200 Connection established`): not an HTTP proxy, or not
    /// HTTP/1.x.
    MalformedStatusLine,
    /// A header line is not `name: value` (RFC 9112 section 5), or a CR is
    /// not followed by LF.
    MalformedHeader,
}

impl fmt::Display for HttpConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            HttpConnectError::Refused(status) => match reason_phrase(status) {
                Some(phrase) => write!(f, "proxy refused: {status} {phrase}"),
                None => write!(f, "proxy refused: {status}"),
            },
            HttpConnectError::SwitchingProtocols => {
                f.write_str("proxy answered CONNECT with 101 Switching Protocols")
            }
            HttpConnectError::HeadTooLarge => {
                f.write_str("HTTP proxy: the answer's head is larger than the limit")
            }
            HttpConnectError::TooManyHeaders => {
                f.write_str("HTTP proxy: the answer has too many header lines")
            }
            HttpConnectError::MalformedStatusLine => {
                f.write_str("HTTP proxy: the answer does not start with an HTTP/1.x status line")
            }
            HttpConnectError::MalformedHeader => {
                f.write_str("HTTP proxy: the answer has a malformed header line")
            }
        }
    }
}

impl core::error::Error for HttpConnectError {}

/// The standard reason phrase (RFC 9110 section 15, RFC 6585 for 428,
/// 429, 431 and 511) of the statuses a proxy may refuse a `CONNECT` with.
fn reason_phrase(status: u16) -> Option<&'static str> {
    Some(match status {
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        305 => "Use Proxy",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        410 => "Gone",
        411 => "Length Required",
        413 => "Content Too Large",
        414 => "URI Too Long",
        421 => "Misdirected Request",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        511 => "Network Authentication Required",
        _ => return None,
    })
}

/// Why a SOCKS5 proxy's answer does not open a tunnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Socks5Error {
    /// A reply's version byte is not 5 (the byte is carried). A `0x48`
    /// (`H`) is the start of an HTTP answer: the proxy speaks HTTP.
    UnexpectedVersion(u8),
    /// The proxy accepts none of the offered authentication methods
    /// (method `0xFF`, RFC 1928 section 3). Without credentials only "no
    /// authentication" is offered: the proxy may want a user name and
    /// password.
    NoAcceptableMethod,
    /// The proxy selected an authentication method that was not offered
    /// (the method is carried).
    UnexpectedMethod(u8),
    /// The username/password reply's version byte is not 1 (RFC 1929; the
    /// byte is carried).
    UnexpectedAuthVersion(u8),
    /// The proxy refused the user name and password (RFC 1929; its
    /// non-zero status is carried).
    AuthenticationFailed(u8),
    /// The proxy could not or would not connect to the destination; its
    /// reply code is carried.
    Rejected(ReplyCode),
    /// The reply's reserved byte is not zero (the byte is carried).
    NonZeroReserved(u8),
    /// The reply's bound address has an address type other than IPv4 (1),
    /// domain name (3) or IPv6 (4); the type is carried.
    UnknownAddressType(u8),
}

impl fmt::Display for Socks5Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SOCKS5: ")?;
        match *self {
            Socks5Error::UnexpectedVersion(b'H') => {
                f.write_str("the proxy answered like an HTTP server, not SOCKS version 5")
            }
            Socks5Error::UnexpectedVersion(version) => {
                write!(f, "the proxy answered with version {version}, not 5")
            }
            Socks5Error::NoAcceptableMethod => f.write_str("no acceptable authentication method"),
            Socks5Error::UnexpectedMethod(method) => {
                write!(
                    f,
                    "the proxy chose authentication method {method:#04x}, which was not offered"
                )
            }
            Socks5Error::UnexpectedAuthVersion(version) => {
                write!(f, "the username/password reply has version {version}, not 1")
            }
            Socks5Error::AuthenticationFailed(_) => f.write_str("authentication failed"),
            Socks5Error::Rejected(code) => code.fmt(f),
            Socks5Error::NonZeroReserved(byte) => {
                write!(f, "the reply's reserved byte is {byte:#04x}, not 0")
            }
            Socks5Error::UnknownAddressType(atyp) => {
                write!(f, "the reply has unknown address type {atyp}")
            }
        }
    }
}

impl core::error::Error for Socks5Error {}

/// A SOCKS5 reply code, the `REP` field of RFC 1928 section 6: an open
/// set, with a named constant for each code the RFC assigns (codes from 9
/// up are unassigned).
///
/// ```
/// use barews::proxy::ReplyCode;
///
/// assert_eq!(ReplyCode(5), ReplyCode::CONNECTION_REFUSED);
/// assert_eq!(ReplyCode::TTL_EXPIRED.to_string(), "TTL expired");
/// assert_eq!(ReplyCode(42).to_string(), "unknown reply code 42");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReplyCode(pub u8);

impl ReplyCode {
    /// 0: succeeded; the tunnel is open.
    pub const SUCCEEDED: ReplyCode = ReplyCode(0);
    /// 1: general SOCKS server failure.
    pub const GENERAL_FAILURE: ReplyCode = ReplyCode(1);
    /// 2: connection not allowed by the proxy's ruleset.
    pub const NOT_ALLOWED: ReplyCode = ReplyCode(2);
    /// 3: network unreachable.
    pub const NETWORK_UNREACHABLE: ReplyCode = ReplyCode(3);
    /// 4: host unreachable (a name that does not resolve often ends here).
    pub const HOST_UNREACHABLE: ReplyCode = ReplyCode(4);
    /// 5: the destination refused the connection.
    pub const CONNECTION_REFUSED: ReplyCode = ReplyCode(5);
    /// 6: TTL expired.
    pub const TTL_EXPIRED: ReplyCode = ReplyCode(6);
    /// 7: command not supported.
    pub const COMMAND_NOT_SUPPORTED: ReplyCode = ReplyCode(7);
    /// 8: address type not supported.
    pub const ADDRESS_TYPE_NOT_SUPPORTED: ReplyCode = ReplyCode(8);

    /// What the code means, for the codes RFC 1928 assigns.
    pub const fn description(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "succeeded",
            1 => "general failure",
            2 => "connection not allowed by ruleset",
            3 => "network unreachable",
            4 => "host unreachable",
            5 => "connection refused by destination",
            6 => "TTL expired",
            7 => "command not supported",
            8 => "address type not supported",
            _ => return None,
        })
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.description() {
            Some(text) => f.write_str(text),
            None => write!(f, "unknown reply code {}", self.0),
        }
    }
}
