//! The writing side of a socket: the protocol core, the transport's write
//! handle and the encoding buffer. A whole socket owns one; split halves
//! share one behind a mutex.

use crate::clock::Clock;
use crate::error::{Error, is_timeout};
use crate::options::SocketOptions;
use crate::stream::Stream;
use barews::connection::{Connection, DataKind, Role, Side};
use barews::frame::MAX_HEADER_LEN;
use std::io;
use std::time::Instant;

/// Payloads up to this size are copied next to their header and written
/// in one call; larger ones are written in pieces (a server writes them
/// straight from the caller's buffer).
pub(crate) const COPY_LIMIT: usize = 16 * 1024;

/// The largest control frame with its header.
const MAX_CONTROL_FRAME: usize = 131;

pub(crate) struct Shared<T, S> {
    pub(crate) stream: T,
    pub(crate) conn: Connection<S>,
    pub(crate) clock: Clock,
    pub(crate) options: SocketOptions,
    scratch: Vec<u8>,
    /// The transport has been shut down.
    shut: bool,
}

impl<T: Stream, S: Side> Shared<T, S> {
    pub(crate) fn new(stream: T, conn: Connection<S>, options: SocketOptions) -> io::Result<Self> {
        stream.set_write_timeout(options.write_timeout)?;
        Ok(Shared { stream, conn, clock: Clock::new(), options, scratch: Vec::new(), shut: false })
    }

    /// Writes every frame the protocol owes (Pong, Close, keepalive Ping),
    /// then ends the transport if the connection is over and this end
    /// should close it first.
    pub(crate) fn flush_owed(&mut self) -> Result<(), Error> {
        let mut frame = [0u8; MAX_CONTROL_FRAME];
        let mut wrote = false;
        loop {
            let len = self
                .conn
                .poll_transmit(&mut frame)
                .map_err(|_| io::Error::other("control frame overflow"))?;
            if len == 0 {
                break;
            }
            if !self.shut {
                self.write_all(&frame[..len])?;
                wrote = true;
            }
        }
        if wrote {
            self.stream.flush()?;
        }
        // RFC 6455 section 7.1.1: the server closes TCP first; either end
        // drops a failed connection at once.
        let failed = self.conn.failure().is_some() || self.conn.expired().is_some();
        if self.conn.is_closed() && (S::ROLE == Role::Server || failed) {
            self.shutdown();
        }
        Ok(())
    }

    /// Ends the transport (once).
    pub(crate) fn shutdown(&mut self) {
        if !self.shut {
            self.shut = true;
            let _ = self.stream.shutdown();
        }
    }

    pub(crate) fn is_shut(&self) -> bool {
        self.shut
    }

    /// Sends a whole message, split into frames of the configured
    /// fragment size.
    pub(crate) fn send_message(&mut self, kind: DataKind, payload: &[u8]) -> Result<(), Error> {
        self.flush_owed()?;
        if self.conn.is_sending_message() {
            return Err(Error::Send(barews::connection::SendError::MessageInProgress));
        }
        let size = self.options.config.get_fragment_size().unwrap_or(usize::MAX).max(1);
        let mut pieces = payload.chunks(size).peekable();
        if pieces.peek().is_none() {
            self.write_frame(kind, &[], true)?;
        }
        while let Some(piece) = pieces.next() {
            self.write_frame(kind, piece, pieces.peek().is_none())?;
        }
        self.stream.flush()?;
        Ok(())
    }

    /// Sends one fragment of a message (text fragments are checked as one
    /// UTF-8 stream by the core).
    pub(crate) fn send_fragment(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        fin: bool,
    ) -> Result<(), Error> {
        self.flush_owed()?;
        if kind == DataKind::Text {
            // The core validates text only when it sees the payload.
            self.scratch.resize(payload.len() + MAX_HEADER_LEN, 0);
            let len = self.conn.send_fragment(kind, payload, fin, &mut self.scratch)?;
            let frame = std::mem::take(&mut self.scratch);
            let result = self.write_all(&frame[..len]);
            self.scratch = frame;
            self.shrink_scratch();
            result?;
        } else {
            self.write_frame(kind, payload, fin)?;
        }
        self.stream.flush()?;
        Ok(())
    }

    /// Writes one frame: header from the core, payload masked for a client.
    fn write_frame(&mut self, kind: DataKind, payload: &[u8], fin: bool) -> Result<(), Error> {
        let mut header = [0u8; MAX_HEADER_LEN];
        let len = u64::try_from(payload.len()).unwrap_or(u64::MAX);
        let (header_len, mut mask) = self.conn.encode_header(kind, len, fin, &mut header)?;
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        scratch.extend_from_slice(&header[..header_len]);
        let result = if payload.len() <= COPY_LIMIT {
            scratch.extend_from_slice(payload);
            mask.apply(&mut scratch[header_len..]);
            self.write_all(&scratch)
        } else if mask.key().is_none() {
            // A server's payload goes out untouched, without a copy.
            self.write_all(&scratch).and_then(|()| self.write_all(payload))
        } else {
            self.write_all(&scratch).and_then(|()| {
                for piece in payload.chunks(COPY_LIMIT) {
                    scratch.clear();
                    scratch.extend_from_slice(piece);
                    mask.apply(&mut scratch);
                    self.write_all(&scratch)?;
                }
                Ok(())
            })
        };
        self.scratch = scratch;
        self.shrink_scratch();
        result
    }

    /// Keeps the encoding buffer modest after an unusually large frame.
    fn shrink_scratch(&mut self) {
        if self.scratch.capacity() > 2 * COPY_LIMIT {
            self.scratch = Vec::new();
        }
    }

    fn write_all(&mut self, bytes: &[u8]) -> Result<(), Error> {
        if self.shut {
            return Err(Error::ConnectionClosed);
        }
        self.stream.write_all(bytes).map_err(|e| {
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
        self.flush_owed()?;
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
