//! The adapter's error type.

use barews::BufferTooSmall;
use barews::connection::SendError;
use barews::driver::End;
use barews::handshake::Failure;
use core::fmt;

/// Everything that can go wrong on a WebSocket, generic over the
/// transport's error type `E` (`T::Error` of an `embedded-io` transport
/// `T`).
///
/// After [`Io`](Error::Io), [`Ended`](Error::Ended)`(`[`End::AbnormalClosure`]`)`
/// or [`WriteZero`](Error::WriteZero) the transport may hold half a frame:
/// drop the connection. The other errors leave the connection in a defined
/// state ([`Ended`](Error::Ended) means it is over; [`Send`](Error::Send)
/// and [`BufferTooSmall`](Error::BufferTooSmall) change nothing).
///
/// ```
/// use barews_embedded::{End, Error};
/// use barews_embedded::barews::ProtocolError;
///
/// let error: Error<core::convert::Infallible> = Error::Ended(End::Protocol(ProtocolError::InvalidUtf8));
/// assert_eq!(error.to_string(), "protocol error: invalid UTF-8 in a text message (close code 1007)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error<E> {
    /// The transport failed.
    Io(E),
    /// The transport accepted no bytes of a write.
    WriteZero,
    /// A buffer is too small: a receive or send buffer under
    /// [`MIN_BUFFER`](crate::MIN_BUFFER) bytes, a client request that
    /// does not fit the send buffer, or memory lent for permessage-deflate
    /// that is too small (feature `deflate`; see `deflate::Deflate`), or a
    /// request whose own extensions leave no room for permessage-deflate's
    /// offer (`deflate::EXTENSIONS_LEN`). Nothing was sent.
    BufferTooSmall {
        /// The bytes the buffer needs.
        required: usize,
    },
    /// The opening handshake failed. On a client: the request cannot be
    /// written ([`Failure::Request`]) or the server's answer is not a
    /// valid acceptance ([`Failure::Response`]; its
    /// [`HeadTooLarge`](barews::handshake::client::ResponseError::HeadTooLarge)
    /// when the answer does not fit the receive buffer). On a server: the
    /// request was refused, and the answer with [`Failure::status`] was
    /// written when it fit the send buffer (a `101` larger than the send
    /// buffer is [`Failure::Accept`], answered with a `500`).
    Handshake(Failure),
    /// A message or control frame could not be sent (the connection is
    /// closing, a fragment sequence error, invalid text, a control payload
    /// over 125 bytes…). Nothing was sent.
    Send(SendError),
    /// The connection is over, and [`End`] says how: the closing handshake
    /// completed ([`End::Closed`]: close the transport), the transport
    /// ended (a read returned 0) before it did ([`End::AbnormalClosure`],
    /// close code 1006), the peer broke the protocol and a Close with the
    /// matching code was sent, or queued if the write failed
    /// ([`End::Protocol`]), or a timer gave up on the peer
    /// ([`End::Expired`]). There is nothing more to read or send.
    Ended(End),
    /// Client: the server's permessage-deflate answer does not match the
    /// offer (feature `deflate`), which fails the connection (RFC 7692
    /// section 5).
    #[cfg(feature = "deflate")]
    Deflate(barews::deflate::NegotiationError),
}

impl<E: fmt::Display> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "I/O error: {e}"),
            Error::WriteZero => f.write_str("the transport accepted no bytes"),
            Error::BufferTooSmall { required } => {
                write!(f, "buffer too small: {required} bytes required")
            }
            Error::Handshake(failure) => failure.fmt(f),
            Error::Send(e) => write!(f, "cannot send: {e}"),
            Error::Ended(end) => end.fmt(f),
            #[cfg(feature = "deflate")]
            Error::Deflate(e) => write!(f, "permessage-deflate refused: {e}"),
        }
    }
}

impl<E: core::error::Error + 'static> core::error::Error for Error<E> {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            Error::Handshake(failure) => Some(failure),
            Error::Ended(end) => end.source(),
            Error::Send(e) => Some(e),
            #[cfg(feature = "deflate")]
            Error::Deflate(e) => Some(e),
            _ => None,
        }
    }
}

impl<E> From<SendError> for Error<E> {
    fn from(error: SendError) -> Self {
        Error::Send(error)
    }
}

impl<E> From<BufferTooSmall> for Error<E> {
    fn from(error: BufferTooSmall) -> Self {
        Error::BufferTooSmall { required: error.required }
    }
}

impl<E> From<Failure> for Error<E> {
    fn from(failure: Failure) -> Self {
        Error::Handshake(failure)
    }
}

impl<E> From<End> for Error<E> {
    fn from(end: End) -> Self {
        Error::Ended(end)
    }
}

impl<E> Error<E> {
    /// A send the driver refused: a buffer that cannot hold even one
    /// frame's header is [`BufferTooSmall`](Error::BufferTooSmall), the
    /// rest [`Send`](Error::Send).
    pub(crate) fn from_send(error: SendError) -> Self {
        match error {
            SendError::BufferTooSmall { required } => Error::BufferTooSmall { required },
            other => Error::Send(other),
        }
    }
}
