//! An open WebSocket over an async stream: the core driver's buffers and
//! the loop that does what the driver asks (read, write, wait for a timer,
//! end the transport), with `.await` at each transport call.

use crate::clock::Clock;
use barews::close::CloseCode;
use barews::connection::{Client, Connection, DataKind, Event, Server, Side, State};
use barews::driver::{Action, Driver, End, EventAt, Limits};
use barews_std::collect::Collector;
use barews_std::{Error, MIN_READ_BUFFER, Message, OsMasks, SocketOptions};
use std::io;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;

/// A server's socket.
pub type ServerSocket<T> = WebSocket<T, Server>;
/// A client's socket.
pub type ClientSocket<T> = WebSocket<T, Client<OsMasks>>;

/// An open WebSocket over an async stream `T` (a `TcpStream`, a TLS
/// stream, an upgraded HTTP connection…), in the role `S`.
///
/// Every method that waits is **cancel-safe**: dropping its future (a
/// `tokio::select!` branch that lost) loses no data. Bytes enter the read
/// buffer only once a read completes, the part of a message [`read`]
/// gathered stays in the socket for the next call, and queued bytes leave
/// the send buffer only once the transport took them. A cancelled
/// [`send_text`](Self::send_text) may have queued its message; the next
/// write or [`flush`](Self::flush) sends it.
///
/// [`read`]: Self::read
pub struct WebSocket<T, S> {
    io: T,
    driver: Driver<S, Vec<u8>>,
    clock: Clock,
    collector: Collector,
    options: SocketOptions,
}

impl<T: AsyncRead + AsyncWrite + Unpin, S: Side> WebSocket<T, S> {
    /// A socket running `conn` over `io`, whose first received bytes are
    /// `leftover` (read past the opening handshake).
    pub(crate) fn from_parts(
        io: T,
        conn: Connection<S>,
        leftover: &[u8],
        options: SocketOptions,
    ) -> Result<Self, Error> {
        let window = vec![0u8; conn.inflate_window_size()];
        let rx = vec![0u8; options.read_buffer_size.max(MIN_READ_BUFFER).max(leftover.len())];
        let limits =
            Limits::new(options.max_read_buffer_size.max(rx.len()), options.write_buffer_size);
        let mut driver = Driver::with_limits(conn, rx, Vec::new(), window, limits)
            .map_err(|e| Error::Io(io::Error::other(e)))?;
        let spare = driver.spare();
        spare[..leftover.len()].copy_from_slice(leftover);
        driver.filled(leftover.len());
        let collector = Collector::new(options.config.max_message_len());
        Ok(WebSocket { io, driver, clock: Clock::new(), collector, options })
    }

    /// When a read called now gives up, from the read timeout.
    fn read_deadline(&self) -> Option<Instant> {
        self.options.read_timeout.map(|timeout| Instant::now() + timeout)
    }

    /// Reads the next whole message, or control frame (the Pong for a Ping
    /// and the reply to a Close are sent for you).
    ///
    /// Fails with [`Error::Timeout`] when the read timeout passes first
    /// (read again to keep waiting), and with [`Error::Ended`] once the
    /// connection is over ([`End::Closed`] after a complete closing
    /// handshake). Cancel-safe: a message gathered in part is kept.
    pub async fn read(&mut self) -> Result<Message, Error> {
        let deadline = self.read_deadline();
        loop {
            let at = self.next_event(deadline).await?;
            let conn = self.driver.conn();
            let event = self.driver.event(at);
            if let Some(message) = self.collector.take(event, || conn.receiving_message_len())? {
                return Ok(message);
            }
        }
    }

    /// Reads the next event as it arrives: a chunk of a data message
    /// (`first`/`last` mark its ends), a Ping, a Pong or the peer's Close.
    /// The chunk borrows the read buffer until the next call; nothing is
    /// copied or allocated. Cancel-safe.
    pub async fn read_event(&mut self) -> Result<Event<'_>, Error> {
        // The chunks go to the caller: a message `read` was gathering is
        // abandoned.
        self.collector.abandon();
        let deadline = self.read_deadline();
        let at = self.next_event(deadline).await?;
        Ok(self.driver.event(at))
    }

    /// Does what the driver asks until it has an event, giving up at
    /// `deadline` (the caller's) with [`Error::Timeout`].
    async fn next_event(&mut self, deadline: Option<Instant>) -> Result<EventAt, Error> {
        loop {
            match self.driver.poll(&mut self.clock) {
                Ok(Action::Event(at)) => return Ok(at),
                Ok(Action::Write) => self.write_pending().await?,
                Ok(Action::Read { deadline: timer }) => {
                    let timer = timer.map(|at| self.clock.to_tokio(at));
                    let wake = [timer, deadline].into_iter().flatten().min();
                    let read = self.io.read(self.driver.spare());
                    let result = match wake {
                        None => read.await,
                        Some(at) => match tokio::time::timeout_at(at, read).await {
                            Ok(result) => result,
                            // The caller's deadline, or a timer of the
                            // core's that the next poll runs.
                            Err(_) if deadline.is_some_and(|d| d <= Instant::now()) => {
                                return Err(Error::Timeout);
                            }
                            Err(_) => continue,
                        },
                    };
                    match result {
                        Ok(0) => self.driver.ended(),
                        Ok(n) => self.driver.filled(n),
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(self.broken(e)),
                    }
                }
                Ok(Action::Shutdown) => {
                    // The driver writes nothing more; the transport may
                    // already be gone.
                    let _ = self.io.shutdown().await;
                }
                Ok(_) => {}
                Err(end) => return Err(end.into()),
            }
        }
    }

    /// Writes out everything pending and flushes the transport.
    async fn write_pending(&mut self) -> Result<(), Error> {
        while !self.driver.pending().is_empty() {
            match self.write_some().await {
                Ok(0) => {
                    let e = io::Error::new(io::ErrorKind::WriteZero, "the transport took no bytes");
                    return Err(self.broken(e));
                }
                Ok(n) => self.driver.wrote(n),
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
        let write = self.io.write(self.driver.pending());
        match self.options.write_timeout {
            None => write.await,
            Some(timeout) => tokio::time::timeout(timeout, write).await.unwrap_or_else(|_| {
                Err(io::Error::new(io::ErrorKind::TimedOut, "write timed out"))
            }),
        }
    }

    /// A transport error: a frame may be half written or read, so the
    /// transport is given up.
    fn broken(&mut self, error: io::Error) -> Error {
        self.driver.output_mut().shut();
        Error::Io(error)
    }

    /// Sends a whole message: text, binary, a Ping, a Pong, or a Close
    /// (see [`close`](Self::close) for the whole closing handshake).
    pub async fn send(&mut self, message: Message) -> Result<(), Error> {
        match message {
            Message::Text(text) => self.send_text(&text).await,
            Message::Binary(bytes) => self.send_binary(&bytes).await,
            Message::Ping(payload) => self.ping(&payload).await,
            Message::Pong(payload) => self.pong(&payload).await,
            Message::Close(close) => {
                let (code, reason) =
                    close.map_or((CloseCode::NORMAL, String::new()), |c| (c.code, c.reason));
                self.driver.conn_mut().close(code, &reason)?;
                self.flush().await
            }
        }
    }

    /// Sends a text message and flushes.
    pub async fn send_text(&mut self, text: &str) -> Result<(), Error> {
        self.queue(DataKind::Text, text.as_bytes(), Piece::Whole).await?;
        self.flush().await
    }

    /// Sends a binary message and flushes.
    pub async fn send_binary(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.queue(DataKind::Binary, bytes, Piece::Whole).await?;
        self.flush().await
    }

    /// Queues a text message: it is written with the next flush, read or
    /// send, or at once when the queue reaches
    /// [`SocketOptions::write_buffer_size`] (then this waits for the
    /// transport: backpressure on a peer that reads slowly).
    pub async fn queue_text(&mut self, text: &str) -> Result<(), Error> {
        self.queue(DataKind::Text, text.as_bytes(), Piece::Whole).await
    }

    /// Queues a binary message; see [`queue_text`](Self::queue_text).
    pub async fn queue_binary(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.queue(DataKind::Binary, bytes, Piece::Whole).await
    }

    /// Sends one fragment of a message of `kind` (`fin` ends it) and
    /// flushes; the core checks the sequence and, for text, that the
    /// fragments join into valid UTF-8.
    pub async fn send_fragment(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        fin: bool,
    ) -> Result<(), Error> {
        self.queue(kind, payload, Piece::Fragment { fin }).await?;
        self.flush().await
    }

    /// Queues one fragment of a message; see
    /// [`send_fragment`](Self::send_fragment) and
    /// [`queue_text`](Self::queue_text).
    pub async fn queue_fragment(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        fin: bool,
    ) -> Result<(), Error> {
        self.queue(kind, payload, Piece::Fragment { fin }).await
    }

    /// Queues a whole message, or a fragment of one, through the core's
    /// writer, writing out when the queue is full.
    async fn queue(&mut self, kind: DataKind, payload: &[u8], piece: Piece) -> Result<(), Error> {
        if self.driver.output().is_shut() {
            return Err(Error::Ended(End::Closed));
        }
        let mut rest = payload;
        loop {
            let queued = match piece {
                Piece::Whole => self.driver.send_message(kind, rest)?,
                Piece::Fragment { fin } => self.driver.send(kind, rest, fin)?,
            };
            rest = rest.get(queued.taken..).unwrap_or_default();
            if queued.complete {
                break;
            }
            self.write_pending().await?;
        }
        if self.driver.pending().len() >= self.options.write_buffer_size {
            self.write_pending().await?;
        }
        Ok(())
    }

    /// Sends a Ping (at most 125 bytes) and flushes.
    pub async fn ping(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.driver.conn_mut().ping(payload)?;
        self.flush().await
    }

    /// Sends an unsolicited Pong (at most 125 bytes) and flushes.
    pub async fn pong(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.driver.conn_mut().pong(payload)?;
        self.flush().await
    }

    /// Writes everything queued, the frames the core owes included, and
    /// flushes the transport.
    pub async fn flush(&mut self) -> Result<(), Error> {
        self.driver.queue_owed();
        self.write_pending().await
    }

    /// Closes gracefully: sends a Close, reads and drops what is still in
    /// flight until the peer's Close arrives, then ends the transport in
    /// RFC 6455's order (a server first; a client waits for the server, up
    /// to the configured close timeout). `Ok` once the closing handshake
    /// completed.
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        if matches!(self.state(), State::Open | State::CloseReceived) {
            self.driver.conn_mut().close(code, reason)?;
        }
        self.collector.abandon();
        loop {
            match self.next_event(None).await {
                Ok(_) => {}
                Err(Error::Ended(End::Closed)) => return Ok(()),
                Err(error) => return Err(error),
            }
        }
    }

    /// Where the closing handshake stands.
    pub fn state(&self) -> State {
        self.driver.conn().state()
    }

    /// The socket's options.
    pub fn options(&self) -> &SocketOptions {
        &self.options
    }

    /// The stream underneath.
    pub fn get_ref(&self) -> &T {
        &self.io
    }

    /// The stream underneath, mutably (reading or writing it directly
    /// breaks the WebSocket's framing).
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.io
    }
}

/// What a call to the core's writer carries.
#[derive(Debug, Clone, Copy)]
enum Piece {
    /// A whole message.
    Whole,
    /// A fragment; `fin` ends its message.
    Fragment { fin: bool },
}

impl<T, S> std::fmt::Debug for WebSocket<T, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocket").field("driver", &self.driver).finish_non_exhaustive()
    }
}
