//! The writing side of a socket: the protocol core, the transport's write
//! handle and the encoding buffer. A whole socket owns one; split halves
//! share one behind a mutex.

use crate::clock::Clock;
use crate::error::{Error, is_timeout};
use crate::options::SocketOptions;
use crate::stream::Stream;
use barews::connection::{Connection, DataKind, Role, Side};
use barews::frame::MAX_HEADER_LEN;
use std::io::{self, IoSlice, Write};
use std::time::Instant;

/// Payloads up to this size are copied into the output buffer next to
/// their header; larger ones are written straight from the caller's buffer
/// by a server (a client must mask a copy, in pieces of this size).
pub(crate) const COPY_LIMIT: usize = 16 * 1024;

/// Queued output is written once it reaches this size, even before a
/// flush.
const OUT_LIMIT: usize = 64 * 1024;

/// The largest control frame with its header.
const MAX_CONTROL_FRAME: usize = 131;

pub(crate) struct Shared<T, S> {
    pub(crate) stream: T,
    pub(crate) conn: Connection<S>,
    pub(crate) clock: Clock,
    pub(crate) options: SocketOptions,
    /// Encoded frames not written yet: replies the core owes and queued
    /// messages, written together by one call.
    out: Vec<u8>,
    /// The transport has been shut down.
    shut: bool,
    // `None`: never set; `Some(t)`: `t` (itself maybe `None`) was set.
    #[allow(clippy::option_option)]
    /// The read timeout last set on `stream`, if any was.
    pub(crate) read_timeout: Option<Option<std::time::Duration>>,
}

impl<T: Stream, S: Side> Shared<T, S> {
    pub(crate) fn new(stream: T, conn: Connection<S>, options: SocketOptions) -> io::Result<Self> {
        stream.set_write_timeout(options.write_timeout)?;
        stream.set_nodelay(options.nodelay)?;
        Ok(Shared {
            stream,
            conn,
            clock: Clock::new(),
            options,
            out: Vec::new(),
            shut: false,
            read_timeout: None,
        })
    }

    /// Queues every frame the protocol owes (Pong, Close, keepalive Ping).
    /// A connection that is over is written out and its transport ended
    /// at once, if this end should close it first.
    pub(crate) fn queue_owed(&mut self) -> Result<(), Error> {
        while self.conn.has_pending_transmit() {
            let start = self.out.len();
            self.out.resize(start + MAX_CONTROL_FRAME, 0);
            let len = self.conn.poll_transmit(&mut self.out[start..]).unwrap_or(0);
            self.out.truncate(start + len);
            if len == 0 {
                break;
            }
        }
        if self.conn.is_closed() {
            self.write_pending()?;
            // RFC 6455 section 7.1.1: the server closes TCP first; either
            // end drops a failed connection at once.
            let failed = self.conn.failure().is_some() || self.conn.expired().is_some();
            if S::ROLE == Role::Server || failed {
                self.shutdown();
            }
        } else if self.out.len() >= OUT_LIMIT {
            self.write_out(&[])?;
        }
        Ok(())
    }

    /// Writes everything queued, owed replies included, and flushes the
    /// transport.
    pub(crate) fn flush(&mut self) -> Result<(), Error> {
        self.queue_owed()?;
        self.write_pending()
    }

    fn write_pending(&mut self) -> Result<(), Error> {
        if !self.out.is_empty() && !self.shut {
            self.write_out(&[])?;
            self.stream.flush()?;
        }
        Ok(())
    }

    /// Ends the transport (once).
    pub(crate) fn shutdown(&mut self) {
        if !self.shut {
            self.shut = true;
            self.out.clear();
            let _ = self.stream.shutdown();
        }
    }

    pub(crate) fn is_shut(&self) -> bool {
        self.shut
    }

    /// Queues a whole message, split into frames of the configured
    /// fragment size; `flush` writes it now.
    pub(crate) fn send_message(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        flush: bool,
    ) -> Result<(), Error> {
        self.queue_owed()?;
        if self.conn.is_sending_message() {
            return Err(Error::Send(barews::connection::SendError::MessageInProgress));
        }
        if self.conn.deflate_enabled() {
            // The core compresses (or not, below its size threshold) and
            // fragments the message itself.
            self.push_message(kind, payload)?;
            return if flush { self.flush() } else { Ok(()) };
        }
        let size = self.options.config.get_fragment_size().unwrap_or(usize::MAX).max(1);
        let mut pieces = payload.chunks(size).peekable();
        if pieces.peek().is_none() {
            self.push_frame(kind, &[], true)?;
        }
        while let Some(piece) = pieces.next() {
            self.push_frame(kind, piece, pieces.peek().is_none())?;
        }
        if flush { self.flush() } else { Ok(()) }
    }

    /// Queues one fragment of a message (text fragments are checked as one
    /// UTF-8 stream by the core); `flush` writes it now.
    pub(crate) fn send_fragment(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        fin: bool,
        flush: bool,
    ) -> Result<(), Error> {
        self.queue_owed()?;
        if kind == DataKind::Text {
            // The core validates text only when it sees the payload.
            let start = self.out.len();
            self.out.resize(start + payload.len() + MAX_HEADER_LEN, 0);
            let result = self.conn.send_fragment(kind, payload, fin, &mut self.out[start..]);
            self.out.truncate(start + *result.as_ref().unwrap_or(&0));
            result?;
        } else {
            self.push_frame(kind, payload, fin)?;
        }
        if flush { self.flush() } else { Ok(()) }
    }

    /// Queues a whole message encoded by the core's `send`, growing the
    /// output buffer to the size the core asks for.
    fn push_message(&mut self, kind: DataKind, payload: &[u8]) -> Result<(), Error> {
        let start = self.out.len();
        let mut room = payload.len() + 2 * MAX_HEADER_LEN;
        loop {
            self.out.resize(start + room, 0);
            match self.conn.send(kind, payload, &mut self.out[start..]) {
                Ok(len) => {
                    self.out.truncate(start + len);
                    break;
                }
                Err(barews::connection::SendError::BufferTooSmall { required })
                    if required > room =>
                {
                    room = required;
                }
                Err(error) => {
                    self.out.truncate(start);
                    return Err(Error::Send(error));
                }
            }
        }
        if self.out.len() >= OUT_LIMIT {
            self.write_out(&[])?;
        }
        Ok(())
    }

    /// Queues one frame: header from the core, payload masked for a
    /// client. A server's large payload is written at once, together with
    /// what is queued, straight from the caller's buffer.
    fn push_frame(&mut self, kind: DataKind, payload: &[u8], fin: bool) -> Result<(), Error> {
        if self.shut {
            return Err(Error::ConnectionClosed);
        }
        let mut header = [0u8; MAX_HEADER_LEN];
        let len = u64::try_from(payload.len()).unwrap_or(u64::MAX);
        let (header_len, mut mask) = self.conn.encode_header(kind, len, fin, &mut header)?;
        self.out.extend_from_slice(&header[..header_len]);
        if payload.len() > COPY_LIMIT && mask.key().is_none() {
            return self.write_out(payload);
        }
        for piece in payload.chunks(COPY_LIMIT) {
            let start = self.out.len();
            self.out.extend_from_slice(piece);
            mask.apply(&mut self.out[start..]);
            if self.out.len() >= OUT_LIMIT {
                self.write_out(&[])?;
            }
        }
        Ok(())
    }

    /// Writes the queued bytes followed by `tail`, in one vectored call
    /// where the transport allows.
    fn write_out(&mut self, tail: &[u8]) -> Result<(), Error> {
        if self.shut {
            return Err(Error::ConnectionClosed);
        }
        let result = write_all_vectored(&mut self.stream, &self.out, tail);
        self.out.clear();
        if self.out.capacity() > 4 * OUT_LIMIT {
            self.out.shrink_to(OUT_LIMIT);
        }
        result.map_err(|e| {
            // A write that stopped part-way leaves a broken frame behind.
            self.shutdown();
            if is_timeout(&e) {
                Error::Io(io::Error::new(io::ErrorKind::TimedOut, e))
            } else {
                Error::Io(e)
            }
        })
    }

    /// When the core's next timer fires, on the std clock.
    pub(crate) fn timer_deadline(&self) -> Option<Instant> {
        self.conn.poll_timeout().map(|at| self.clock.to_std(at))
    }

    /// Lets the core act on its timers; writes what they queue.
    pub(crate) fn fire_timers(&mut self) -> Result<(), Error> {
        let expired = self.conn.handle_timeout(self.clock.now());
        self.flush()?;
        match expired {
            Some(expired) => {
                self.shutdown();
                Err(Error::Expired(expired))
            }
            None => Ok(()),
        }
    }

    /// The error that describes a connection that is over.
    pub(crate) fn closed_error(&self) -> Error {
        if let Some(error) = self.conn.failure() {
            Error::Protocol(error)
        } else if let Some(expired) = self.conn.expired() {
            Error::Expired(expired)
        } else {
            Error::ConnectionClosed
        }
    }
}

/// Writes `head` then `tail` completely, with vectored writes.
fn write_all_vectored(stream: &mut impl Write, head: &[u8], tail: &[u8]) -> io::Result<()> {
    let mut slices = [IoSlice::new(head), IoSlice::new(tail)];
    let mut slices = &mut slices[..];
    // Drops the empty slices in front.
    IoSlice::advance_slices(&mut slices, 0);
    while slices.iter().any(|slice| !slice.is_empty()) {
        match stream.write_vectored(slices) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "the transport accepted nothing",
                ));
            }
            Ok(n) => IoSlice::advance_slices(&mut slices, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
