//! The writing side of a socket: the protocol core, the driver's send
//! buffer and the transport's write handle. A whole socket owns one; split
//! halves share one behind an async mutex.

use barews::close::CloseCode;
use barews::connection::{Connection, DataKind, Side};
use barews::driver::{End, Output};
use barews_std::compression::Compression;
pub(crate) use barews_std::compression::Piece;
use barews_std::{Error, Message, SocketOptions};
use std::io;
use tokio::io::{AsyncWrite, AsyncWriteExt};

pub(crate) struct Shared<W, S> {
    /// The transport (whole, or its write half).
    pub(crate) io: W,
    pub(crate) conn: Connection<S>,
    /// Encoded frames not written yet: the replies the core owes and
    /// queued messages, written together.
    pub(crate) output: Output<Vec<u8>>,
    /// The compressor whole messages go through, if any.
    pub(crate) compression: Compression,
    pub(crate) options: SocketOptions,
}

impl<W: AsyncWrite + Unpin, S: Side> Shared<W, S> {
    /// Sends a whole message and flushes.
    pub(crate) async fn send(&mut self, message: Message) -> Result<(), Error> {
        self.queue_message(message).await?;
        self.flush().await
    }

    /// Queues a whole message: data through the core's writer, control
    /// frames as the connection's owed frames.
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
        Ok(())
    }

    /// Queues a whole message, or a fragment of one, through the core's
    /// writer (which checks, fragments, compresses and masks), writing out
    /// when the queue reaches the write buffer size.
    pub(crate) async fn queue(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        piece: Piece,
    ) -> Result<(), Error> {
        if self.output.is_shut() {
            return Err(Error::Ended(End::Closed));
        }
        let mut rest = payload;
        loop {
            let queued =
                self.compression.send(&mut self.output, &mut self.conn, kind, rest, piece)?;
            rest = rest.get(queued.taken..).unwrap_or_default();
            if queued.complete {
                break;
            }
            self.write_pending().await?;
        }
        if self.output.pending().len() >= self.options.write_buffer_size {
            self.write_pending().await?;
        }
        Ok(())
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
        while !self.output.pending().is_empty() {
            match self.write_some().await {
                Ok(0) => {
                    let e = io::Error::new(io::ErrorKind::WriteZero, "the transport took no bytes");
                    return Err(self.broken(e));
                }
                Ok(n) => self.output.wrote(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.broken(e)),
            }
        }
        if let Err(e) = self.io.flush().await {
            return Err(self.broken(e));
        }
        Ok(())
    }

    /// One write of pending bytes, within the write timeout.
    async fn write_some(&mut self) -> io::Result<usize> {
        let write = self.io.write(self.output.pending());
        match self.options.write_timeout {
            None => write.await,
            Some(timeout) => tokio::time::timeout(timeout, write).await.unwrap_or_else(|_| {
                Err(io::Error::new(io::ErrorKind::TimedOut, "write timed out"))
            }),
        }
    }

    /// A transport error: nothing more is written.
    pub(crate) fn broken(&mut self, error: io::Error) -> Error {
        self.output.shut();
        Error::Io(error)
    }

    /// Ends the transport's writing side (the driver asked, in RFC 6455
    /// section 7.1.1's order); it may already be gone.
    pub(crate) async fn shutdown(&mut self) {
        self.output.shut();
        let _ = self.io.shutdown().await;
    }
}
