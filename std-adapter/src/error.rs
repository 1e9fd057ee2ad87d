//! The adapter's error type.

use crate::proxy::ProxyUrlError;
use crate::url::UrlError;
use barews::connection::SendError;
use barews::driver::End;
use barews::handshake::Failure;
use std::{fmt, io};

/// Everything that can go wrong on a WebSocket.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The transport failed.
    Io(io::Error),
    /// No message arrived within the read timeout. The connection is
    /// intact: read again to keep waiting.
    Timeout,
    /// The opening handshake did not complete within its deadline.
    HandshakeTimeout,
    /// The URL cannot name a WebSocket endpoint.
    Url(UrlError),
    /// The proxy URL (given, or read from the environment) cannot be
    /// used.
    ProxyUrl(ProxyUrlError),
    /// The proxy refused the tunnel or broke its protocol (an HTTP
    /// status such as `407 Proxy Authentication Required`, a SOCKS5
    /// reply such as "connection refused by destination"), or closed the
    /// connection before the tunnel opened.
    Proxy(barews::proxy::ProxyError),
    /// The opening handshake failed: on a client, the request cannot be
    /// written or the server's answer is not an acceptance; on a server,
    /// the request was refused and the HTTP answer with
    /// [`Failure::status`] has been written.
    Handshake(Failure),
    /// A message could not be sent (closing, or an invalid payload).
    Send(SendError),
    /// The connection is over, and [`End`] says how: the closing handshake
    /// completed ([`End::Closed`]), the peer dropped the transport without
    /// one ([`End::AbnormalClosure`]), the peer broke the protocol and a
    /// Close with the matching code was sent ([`End::Protocol`]), or a
    /// timer gave up on the peer ([`End::Expired`]). There is nothing more
    /// to read or send.
    Ended(End),
    /// The server's permessage-deflate response does not match the offer.
    #[cfg(feature = "deflate")]
    Deflate(barews::deflate::NegotiationError),
    /// A TLS failure.
    #[cfg(feature = "tls")]
    Tls(rustls::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "I/O error: {e}"),
            Error::Timeout => f.write_str("read timed out"),
            Error::HandshakeTimeout => f.write_str("opening handshake timed out"),
            Error::Url(e) => write!(f, "{e}"),
            Error::ProxyUrl(e) => write!(f, "{e}"),
            Error::Proxy(e) => write!(f, "{e}"),
            Error::Handshake(failure) => failure.fmt(f),
            Error::Send(e) => write!(f, "cannot send: {e}"),
            Error::Ended(end) => end.fmt(f),
            #[cfg(feature = "deflate")]
            Error::Deflate(e) => write!(f, "{e}"),
            #[cfg(feature = "tls")]
            Error::Tls(e) => write!(f, "TLS error: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            Error::Ended(end) => end.source(),
            Error::Handshake(failure) => Some(failure),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

impl From<SendError> for Error {
    fn from(e: SendError) -> Self {
        Error::Send(e)
    }
}

impl From<Failure> for Error {
    fn from(failure: Failure) -> Self {
        Error::Handshake(failure)
    }
}

impl From<End> for Error {
    fn from(end: End) -> Self {
        Error::Ended(end)
    }
}

impl From<UrlError> for Error {
    fn from(e: UrlError) -> Self {
        Error::Url(e)
    }
}

impl From<barews::proxy::ProxyError> for Error {
    fn from(e: barews::proxy::ProxyError) -> Self {
        Error::Proxy(e)
    }
}

impl From<ProxyUrlError> for Error {
    fn from(e: ProxyUrlError) -> Self {
        Error::ProxyUrl(e)
    }
}

/// Whether an I/O error is a socket timeout.
pub(crate) fn is_timeout(error: &io::Error) -> bool {
    matches!(error.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)
}
