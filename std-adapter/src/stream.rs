//! What a WebSocket runs over: a byte stream whose timeouts can be set.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

/// A byte stream a WebSocket can run over: `TcpStream`, a TLS stream over
/// one, or your own type.
///
/// Timeouts let the socket wake up for keepalive and deadlines; a stream
/// that cannot time out may implement them as no-ops and lose those
/// features.
pub trait Stream: Read + Write {
    /// Bounds the next reads; `None` blocks forever.
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()>;
    /// Bounds the next writes; `None` blocks forever.
    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()>;
    /// Ends the connection in both directions, so that a reader blocked on
    /// another handle of it wakes up.
    fn shutdown(&mut self) -> io::Result<()>;
    /// Sends small writes at once rather than waiting to coalesce them
    /// (TCP's `TCP_NODELAY`). A socket batches its own writes, so waiting
    /// only adds latency. Streams without such a setting keep this no-op.
    fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        let _ = nodelay;
        Ok(())
    }
}

impl Stream for TcpStream {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        TcpStream::set_read_timeout(self, timeout)
    }

    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        TcpStream::set_write_timeout(self, timeout)
    }

    fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        TcpStream::set_nodelay(self, nodelay)
    }

    fn shutdown(&mut self) -> io::Result<()> {
        match TcpStream::shutdown(self, Shutdown::Both) {
            // Already closed by the peer: nothing left to end.
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            other => other,
        }
    }
}

/// A stream that can hand out a second handle to itself, so a socket can
/// be split into a reader and a writer used from two threads.
pub trait TryClone: Sized {
    /// A second handle to the same connection.
    fn try_clone(&self) -> io::Result<Self>;
}

impl TryClone for TcpStream {
    fn try_clone(&self) -> io::Result<Self> {
        TcpStream::try_clone(self)
    }
}
