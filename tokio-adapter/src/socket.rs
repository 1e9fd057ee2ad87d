//! An open WebSocket over an async stream.

use crate::inbox::{Inbox, Link};
use crate::shared::{Piece, Shared};
use crate::shutdown::Shutdown;
use crate::split::{Reader, Writer};
use barews::close::CloseCode;
use barews::connection::{Client, Connection, DataKind, Event, Server, Side, State};
use barews::driver::{Driver, End, Limits};
use barews_std::compression::Compression;
use barews_std::{Error, MIN_READ_BUFFER, Message, OsMasks, SocketOptions};
use std::io;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::sync::Mutex;
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
    shared: Shared<T, S>,
    inbox: Inbox,
}

/// A whole socket as its reading side's [`Link`]: the writing side owned,
/// the same stream read.
struct Direct<'a, T, S>(&'a mut Shared<T, S>);

impl<T: AsyncRead + AsyncWrite + Unpin, S: Side> Link<S> for Direct<'_, T, S> {
    type Write = T;

    async fn shared(&mut self) -> impl std::ops::DerefMut<Target = Shared<T, S>> {
        &mut *self.0
    }

    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.io.read(buf).await
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> WebSocket<T, Server> {
    /// Wraps a stream whose opening handshake is complete, as a server.
    /// `leftover` holds bytes already read past the handshake.
    pub fn server_from_raw(io: T, leftover: &[u8], options: SocketOptions) -> Result<Self, Error> {
        let conn = Connection::server(options.config);
        Self::from_parts(io, conn, leftover, options)
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> WebSocket<T, Client<OsMasks>> {
    /// Wraps a stream whose opening handshake is complete, as a client
    /// masking with keys from the OS. `leftover` holds bytes already read
    /// past the handshake.
    pub fn client_from_raw(io: T, leftover: &[u8], options: SocketOptions) -> Result<Self, Error> {
        let conn = Connection::client(options.config, OsMasks::new()?);
        Self::from_parts(io, conn, leftover, options)
    }
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
        let rx = vec![0u8; options.read_buffer_size.max(MIN_READ_BUFFER).max(leftover.len())];
        let limits =
            Limits::new(options.max_read_buffer_size.max(rx.len()), options.write_buffer_size);
        let mut driver = Driver::with_limits(conn, rx, Vec::new(), Vec::new(), limits)
            .map_err(|e| Error::Io(io::Error::other(e)))?;
        let spare = driver.spare();
        spare[..leftover.len()].copy_from_slice(leftover);
        driver.filled(leftover.len());
        let (conn, input, output) = driver.into_parts();
        let inbox = Inbox::new(input, options.config.max_message_len());
        let compression = Compression::for_connection(&conn);
        Ok(WebSocket { shared: Shared { io, conn, output, compression, options }, inbox })
    }

    /// When a read called now gives up, from the read timeout.
    fn read_deadline(&self) -> Option<Instant> {
        self.shared.options.read_timeout.map(|timeout| Instant::now() + timeout)
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
        self.inbox.message(&mut Direct(&mut self.shared), deadline).await
    }

    /// Reads the next event as it arrives: a chunk of a data message
    /// (`first`/`last` mark its ends), a Ping, a Pong or the peer's Close.
    /// The chunk borrows the read buffer until the next call; nothing is
    /// copied or allocated. Cancel-safe.
    pub async fn read_event(&mut self) -> Result<Event<'_>, Error> {
        let deadline = self.read_deadline();
        self.inbox.event(&mut Direct(&mut self.shared), deadline).await
    }

    /// Sends a whole message: text, binary, a Ping, a Pong, or a Close
    /// (see [`close`](Self::close) for the whole closing handshake), and
    /// flushes.
    pub async fn send(&mut self, message: Message) -> Result<(), Error> {
        self.shared.send(message).await
    }

    /// Queues a whole message (control frames included): it is written
    /// with the next flush, read or send, or when the queue is full; see
    /// [`queue_text`](Self::queue_text).
    pub async fn queue(&mut self, message: Message) -> Result<(), Error> {
        self.shared.queue_message(message).await
    }

    /// Sends a text message and flushes.
    pub async fn send_text(&mut self, text: &str) -> Result<(), Error> {
        self.shared.queue(DataKind::Text, text.as_bytes(), Piece::Whole).await?;
        self.shared.flush().await
    }

    /// Sends a binary message and flushes.
    pub async fn send_binary(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.shared.queue(DataKind::Binary, bytes, Piece::Whole).await?;
        self.shared.flush().await
    }

    /// Queues a text message: it is written with the next flush, read or
    /// send, or at once when the queue reaches
    /// [`SocketOptions::write_buffer_size`] (then this waits for the
    /// transport: backpressure on a peer that reads slowly).
    pub async fn queue_text(&mut self, text: &str) -> Result<(), Error> {
        self.shared.queue(DataKind::Text, text.as_bytes(), Piece::Whole).await
    }

    /// Queues a binary message; see [`queue_text`](Self::queue_text).
    pub async fn queue_binary(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.shared.queue(DataKind::Binary, bytes, Piece::Whole).await
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
        self.shared.queue(kind, payload, Piece::Fragment { fin }).await?;
        self.shared.flush().await
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
        self.shared.queue(kind, payload, Piece::Fragment { fin }).await
    }

    /// Sends a Ping (at most 125 bytes) and flushes.
    pub async fn ping(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.send(Message::Ping(payload.to_vec())).await
    }

    /// Sends an unsolicited Pong (at most 125 bytes) and flushes.
    pub async fn pong(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.send(Message::Pong(payload.to_vec())).await
    }

    /// Writes everything queued, the frames the core owes included, and
    /// flushes the transport.
    pub async fn flush(&mut self) -> Result<(), Error> {
        self.shared.flush().await
    }

    /// Closes gracefully: sends a Close, reads and drops what is still in
    /// flight until the peer's Close arrives, then ends the transport in
    /// RFC 6455's order (a server first; a client waits for the server, up
    /// to the configured close timeout). `Ok` once the closing handshake
    /// completed.
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        if matches!(self.state(), State::Open | State::CloseReceived) {
            self.shared.conn.close(code, reason)?;
        }
        loop {
            match self.inbox.event(&mut Direct(&mut self.shared), None).await {
                Ok(_) => {}
                Err(Error::Ended(End::Closed)) => return Ok(()),
                Err(error) => return Err(error),
            }
        }
    }

    /// Where the closing handshake stands.
    pub fn state(&self) -> State {
        self.shared.conn.state()
    }

    /// The socket's options.
    pub fn options(&self) -> &SocketOptions {
        &self.shared.options
    }

    /// The stream underneath.
    pub fn get_ref(&self) -> &T {
        &self.shared.io
    }

    /// The stream underneath, mutably (reading or writing it directly
    /// breaks the WebSocket's framing).
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.shared.io
    }

    /// Watches the server-wide `shutdown` signal: once it is triggered, the
    /// socket sends a Close with 1001 (going away) the next time it reads,
    /// or at once if it is waiting for input, and finishes the closing
    /// handshake; its reads then end with the connection's end.
    pub fn watch_shutdown(&mut self, shutdown: &Shutdown) {
        self.inbox.shutdown = Some(shutdown.watch());
    }

    /// Splits the socket into a [`Reader`] and a [`Writer`] that two tasks
    /// can own. The reader waits for input without holding anything the
    /// writer needs; the frames the protocol owes (Pongs, the Close reply)
    /// go out through whichever half gets to the shared writing side
    /// first.
    pub fn split(self) -> (Reader<T, S>, Writer<T, S>) {
        let Shared { io, conn, output, compression, options } = self.shared;
        let read_timeout = options.read_timeout;
        let (read, write) = tokio::io::split(io);
        let shared = Arc::new(Mutex::new(Shared { io: write, conn, output, compression, options }));
        (Reader::new(read, self.inbox, Arc::clone(&shared), read_timeout), Writer::new(shared))
    }
}

impl<T, S> std::fmt::Debug for WebSocket<T, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocket")
            .field("conn", &self.shared.conn)
            .field("input", &self.inbox.input)
            .finish_non_exhaustive()
    }
}
