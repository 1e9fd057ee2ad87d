//! The writing side of a socket: the protocol core, the driver's send
//! buffer and the transport's write handle. A whole socket owns one; split
//! halves share one behind an async mutex.

use barews::close::CloseCode;
use barews::connection::{Connection, DataKind, Side};
use barews::driver::{End, Output};
use barews_std::compression::Compression;
pub(crate) use barews_std::compression::Piece;
use barews_std::{Error, Message, SocketOptions};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::AsyncWrite;
use tokio::time::{Instant, Sleep};

pub(crate) struct Shared<W, S> {
    /// The transport (whole, or its write half).
    pub(crate) io: W,
    pub(crate) conn: Connection<S>,
    /// Encoded frames not written yet: the replies the core owes and
    /// queued messages, written together.
    pub(crate) output: Output<Vec<u8>>,
    /// The compressor whole messages go through, if any.
    pub(crate) compression: Compression,
    /// How long a write may wait for the transport.
    write_timeout: Option<Duration>,
    /// Queued bytes are written out once they reach this many (a `u32`
    /// beside the flags below: every byte of a socket is paid per idle
    /// connection).
    write_buffer_size: u32,
    /// The write timeout's timer, made the first time a write waits with
    /// one and reset after.
    write_timer: Option<Pin<Box<Sleep>>>,
    /// A write is waiting for the transport, since the write timer's
    /// deadline less the timeout.
    write_waiting: bool,
    /// The transport's writing side is being ended.
    ending: bool,
}

impl<W, S> Shared<W, S> {
    pub(crate) fn new(
        io: W,
        conn: Connection<S>,
        output: Output<Vec<u8>>,
        compression: Compression,
        options: &SocketOptions,
    ) -> Self {
        Shared {
            io,
            conn,
            output,
            compression,
            write_timeout: options.write_timeout,
            write_buffer_size: u32::try_from(options.write_buffer_size).unwrap_or(u32::MAX),
            write_timer: None,
            write_waiting: false,
            ending: false,
        }
    }

    /// The same writing side over another transport, made from this one's
    /// by `split` (which also returns a part to keep apart).
    pub(crate) fn split_io<R, V>(self, split: impl FnOnce(W) -> (R, V)) -> (R, Shared<V, S>) {
        let (apart, io) = split(self.io);
        let shared = Shared {
            io,
            conn: self.conn,
            output: self.output,
            compression: self.compression,
            write_timeout: self.write_timeout,
            write_buffer_size: self.write_buffer_size,
            write_timer: None,
            write_waiting: false,
            ending: false,
        };
        (apart, shared)
    }

    /// How long a write may wait for the transport.
    pub(crate) fn write_timeout(&self) -> Option<Duration> {
        self.write_timeout
    }
}

/// A message, or a piece of one, on its way into the send buffer.
struct Queueing<'a> {
    /// What is still to be queued; `None` once all of it is.
    rest: Option<&'a [u8]>,
    kind: DataKind,
    piece: Piece,
    /// The first poll checked that the transport is not shut.
    started: bool,
    /// The send buffer is being written out: before more is queued (it
    /// was full), or because the queue reached the write buffer size.
    draining: bool,
}

impl<W: AsyncWrite + Unpin, S: Side> Shared<W, S> {
    /// Sends a whole message and flushes.
    pub(crate) async fn send(&mut self, message: Message) -> Result<(), Error> {
        self.queue_message(message).await?;
        self.flush().await
    }

    /// Queues a whole message: data through the core's writer, control
    /// frames through the connection's owed frames, moved into the send
    /// buffer at once (in order with what is queued next; and a Close
    /// queued next does not replace a Ping still in the connection).
    pub(crate) async fn queue_message(&mut self, message: Message) -> Result<(), Error> {
        match message {
            Message::Text(text) => {
                self.queue(DataKind::Text, text.as_bytes(), Piece::Whole).await?;
            }
            Message::Binary(bytes) => self.queue(DataKind::Binary, &bytes, Piece::Whole).await?,
            Message::Ping(payload) => self.conn.ping(&payload)?,
            Message::Pong(payload) => self.conn.pong(&payload)?,
            Message::Close(close) => {
                let (code, reason) =
                    close.map_or((CloseCode::NORMAL, String::new()), |c| (c.code, c.reason));
                self.conn.close(code, &reason)?;
            }
        }
        self.output.queue_owed(&mut self.conn);
        Ok(())
    }

    /// Queues a whole message, or a fragment of one, through the core's
    /// writer (which checks, fragments, compresses and masks), writing out
    /// when the queue reaches the write buffer size.
    pub(crate) fn queue<'a>(
        &'a mut self,
        kind: DataKind,
        payload: &'a [u8],
        piece: Piece,
    ) -> impl Future<Output = Result<(), Error>> + 'a {
        let mut queueing =
            Queueing { rest: Some(payload), kind, piece, started: false, draining: false };
        std::future::poll_fn(move |cx| self.poll_queue(cx, &mut queueing))
    }

    /// [`queue`](Self::queue), polled.
    fn poll_queue(
        &mut self,
        cx: &mut Context<'_>,
        q: &mut Queueing<'_>,
    ) -> Poll<Result<(), Error>> {
        if !q.started {
            if self.output.is_shut() {
                return Poll::Ready(Err(Error::Ended(End::Closed)));
            }
            q.started = true;
            self.write_waiting = false;
        }
        while let Some(bytes) = q.rest {
            if q.draining {
                ready!(self.poll_write_pending(cx))?;
                q.draining = false;
            }
            let queued =
                self.compression.send(&mut self.output, &mut self.conn, q.kind, bytes, q.piece)?;
            q.rest = (!queued.complete).then(|| bytes.get(queued.taken..).unwrap_or_default());
            q.draining = q.rest.is_some();
        }
        // A queue that reached the write buffer size is written out
        // whole (across polls, once started).
        let full = u32::try_from(self.output.pending().len()).unwrap_or(u32::MAX);
        if q.draining || full >= self.write_buffer_size {
            q.draining = true;
            ready!(self.poll_write_pending(cx))?;
        }
        Poll::Ready(Ok(()))
    }

    /// Writes everything queued, the frames the core owes included, and
    /// flushes the transport.
    pub(crate) async fn flush(&mut self) -> Result<(), Error> {
        self.output.queue_owed(&mut self.conn);
        self.write_pending().await
    }

    /// Writes out everything pending and flushes the transport. A write
    /// that fails part-way leaves half a frame behind: the transport is
    /// given up.
    pub(crate) async fn write_pending(&mut self) -> Result<(), Error> {
        self.write_waiting = false;
        std::future::poll_fn(|cx| self.poll_write_pending(cx)).await
    }

    /// [`write_pending`](Self::write_pending), polled.
    pub(crate) fn poll_write_pending(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        while !self.output.pending().is_empty() {
            match Pin::new(&mut self.io).poll_write(cx, self.output.pending()) {
                Poll::Ready(Ok(0)) => {
                    let e = io::Error::new(io::ErrorKind::WriteZero, "the transport took no bytes");
                    return Poll::Ready(Err(self.broken(e)));
                }
                Poll::Ready(Ok(n)) => {
                    self.output.wrote(n);
                    self.write_waiting = false;
                }
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(self.broken(e))),
                Poll::Pending => return self.poll_write_timeout(cx),
            }
        }
        match Pin::new(&mut self.io).poll_flush(cx) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(())),
            Poll::Ready(Err(e)) => Poll::Ready(Err(self.broken(e))),
            Poll::Pending => self.poll_write_timeout(cx),
        }
    }

    /// A write waits for the transport: pending, or a timeout error once
    /// it has waited the write timeout without progress.
    fn poll_write_timeout(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let Some(timeout) = self.write_timeout else { return Poll::Pending };
        let timer = if self.write_waiting {
            self.write_timer.as_mut()
        } else {
            self.write_waiting = true;
            let at = Instant::now() + timeout;
            match &mut self.write_timer {
                Some(timer) => {
                    timer.as_mut().reset(at);
                    Some(timer)
                }
                slot @ None => Some(slot.insert(Box::pin(tokio::time::sleep_until(at)))),
            }
        };
        match timer.map(|timer| timer.as_mut().poll(cx)) {
            Some(Poll::Ready(())) => {
                let e = io::Error::new(io::ErrorKind::TimedOut, "write timed out");
                Poll::Ready(Err(self.broken(e)))
            }
            _ => Poll::Pending,
        }
    }

    /// A transport error: nothing more is written.
    pub(crate) fn broken(&mut self, error: io::Error) -> Error {
        self.output.shut();
        Error::Io(error)
    }

    /// Ends the transport's writing side (the driver asked, in RFC 6455
    /// section 7.1.1's order); it may already be gone. Once started, the
    /// end is finished by [`poll_ending`](Self::poll_ending) if this call
    /// is not polled again.
    pub(crate) fn poll_end_transport(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.output.shut();
        self.ending = true;
        self.poll_ending(cx)
    }

    /// Finishes ending the transport, if that was started.
    pub(crate) fn poll_ending(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.ending {
            // Its error changes nothing: the transport is given up.
            let _ = ready!(Pin::new(&mut self.io).poll_shutdown(cx));
            self.ending = false;
        }
        Poll::Ready(())
    }
}
