//! The writing side of a socket: the protocol core, the core driver's send
//! buffer and the transport's write handle. A whole socket owns one; split
//! halves share one behind a mutex.

use crate::clock::Clock;
use crate::compression::{Compression, Piece};
use crate::error::{Error, is_timeout};
use crate::options::SocketOptions;
use crate::stream::Stream;
use barews::connection::{Connection, DataKind, Side};
use barews::driver::End;
use barews::driver::Output;
use std::io::{self, IoSlice, Write};
use std::time::Instant;

/// Payloads from this size up are written from the caller's buffer when
/// the core allows it (a server's frames are not masked), in one vectored
/// write with what is queued, instead of being copied into the send
/// buffer.
const IN_PLACE: usize = 16 * 1024;

pub(crate) struct Shared<T, S> {
    pub(crate) stream: T,
    pub(crate) conn: Connection<S>,
    /// Encoded frames not written yet: replies the core owes and queued
    /// messages, written together by one call.
    pub(crate) output: Output<Vec<u8>>,
    /// The compressor whole messages go through, if any.
    pub(crate) compression: Compression,
    pub(crate) clock: Clock,
    pub(crate) options: SocketOptions,
    // `None`: never set; `Some(t)`: `t` (itself maybe `None`) was set.
    #[allow(clippy::option_option)]
    /// The read timeout last set on `stream`, if any was.
    pub(crate) read_timeout: Option<Option<std::time::Duration>>,
}

impl<T: Stream, S: Side> Shared<T, S> {
    pub(crate) fn new(
        stream: T,
        conn: Connection<S>,
        output: Output<Vec<u8>>,
        options: SocketOptions,
    ) -> io::Result<Self> {
        stream.set_write_timeout(options.write_timeout)?;
        stream.set_nodelay(options.nodelay)?;
        let compression = Compression::for_connection(&conn);
        Ok(Shared {
            stream,
            conn,
            output,
            compression,
            clock: Clock::new(),
            options,
            read_timeout: None,
        })
    }

    /// Queues a whole message (the core checks, fragments, compresses and
    /// masks it); `flush` writes it now, else it goes with the next write
    /// or once the queue reaches the write buffer size.
    pub(crate) fn send_message(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        flush: bool,
    ) -> Result<(), Error> {
        if payload.len() >= IN_PLACE
            && self.output.send_message_in_place(&mut self.conn, kind, payload)?
        {
            return self.write_pending_then(payload);
        }
        let mut rest = payload;
        loop {
            let queued = self.compression.send(
                &mut self.output,
                &mut self.conn,
                kind,
                rest,
                Piece::Whole,
            )?;
            rest = rest.get(queued.taken..).unwrap_or_default();
            if queued.complete {
                break;
            }
            self.write_pending()?;
        }
        self.after_send(flush)
    }

    /// Queues one fragment of a message; `flush` writes it now.
    pub(crate) fn send_fragment(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        fin: bool,
        flush: bool,
    ) -> Result<(), Error> {
        if payload.len() >= IN_PLACE
            && self.output.send_in_place(&mut self.conn, kind, payload, fin)?
        {
            return self.write_pending_then(payload);
        }
        let mut rest = payload;
        loop {
            let piece = Piece::Fragment { fin };
            let queued =
                self.compression.send(&mut self.output, &mut self.conn, kind, rest, piece)?;
            rest = rest.get(queued.taken..).unwrap_or_default();
            if queued.complete {
                break;
            }
            self.write_pending()?;
        }
        self.after_send(flush)
    }

    fn after_send(&mut self, flush: bool) -> Result<(), Error> {
        if flush || self.output.pending().len() >= self.options.write_buffer_size {
            self.flush()
        } else {
            Ok(())
        }
    }

    /// Writes everything queued, the frames the core owes included, and
    /// flushes the transport.
    pub(crate) fn flush(&mut self) -> Result<(), Error> {
        self.output.queue_owed(&mut self.conn);
        self.write_pending()
    }

    /// Writes the pending bytes and flushes the transport. A write that
    /// stops part-way leaves a broken frame behind: the transport is shut.
    pub(crate) fn write_pending(&mut self) -> Result<(), Error> {
        if self.output.pending().is_empty() && !self.output.is_shut() {
            return Ok(());
        }
        self.write_pending_then(&[])
    }

    /// Writes the pending bytes, then `tail` (a payload sent in place), in
    /// vectored writes, and flushes the transport.
    fn write_pending_then(&mut self, tail: &[u8]) -> Result<(), Error> {
        if self.output.is_shut() {
            return Err(Error::Ended(End::Closed));
        }
        let result = write_all_vectored(&mut self.stream, self.output.pending(), tail)
            .and_then(|()| self.stream.flush());
        match result {
            Ok(()) => {
                let n = self.output.pending().len();
                self.output.wrote(n);
                Ok(())
            }
            Err(e) => {
                self.shutdown();
                Err(if is_timeout(&e) {
                    Error::Io(io::Error::new(io::ErrorKind::TimedOut, e))
                } else {
                    Error::Io(e)
                })
            }
        }
    }

    /// Ends the transport (once).
    pub(crate) fn shutdown(&mut self) {
        self.output.shut();
        let _ = self.stream.shutdown();
    }

    /// When the core's next timer fires, on the std clock.
    pub(crate) fn to_std(&self, at: barews::time::Instant) -> Instant {
        self.clock.to_std(at)
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
