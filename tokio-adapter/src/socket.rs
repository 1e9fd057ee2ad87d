//! An open WebSocket over an async stream.

use crate::inbox::Inbox;
use crate::shared::{Piece, Shared};
use crate::shutdown::Shutdown;
use crate::split::{Reader, Writer};
use barews::close::CloseCode;
use barews::config::Config;
use barews::connection::{Client, Connection, DataKind, Event, Server, Side, State};
use barews::driver::{Driver, End, EventAt};
use barews_std::compression::Compression;
use barews_std::{Error, MIN_READ_BUFFER, Message, OsMasks, SocketOptions};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
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

impl<T: AsyncRead + AsyncWrite + Unpin> WebSocket<T, Server> {
    /// Wraps a stream whose opening handshake is complete, as a server.
    /// `leftover` holds bytes already read past the handshake.
    pub fn server_from_raw(io: T, leftover: &[u8], options: &SocketOptions) -> Result<Self, Error> {
        let conn = Connection::server(options.config);
        Self::from_parts(io, conn, leftover, options)
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> WebSocket<T, Client<OsMasks>> {
    /// Wraps a stream whose opening handshake is complete, as a client
    /// masking with keys from the OS. `leftover` holds bytes already read
    /// past the handshake.
    pub fn client_from_raw(io: T, leftover: &[u8], options: &SocketOptions) -> Result<Self, Error> {
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
        options: &SocketOptions,
    ) -> Result<Self, Error> {
        let rx_len = options.read_buffer_size.max(MIN_READ_BUFFER);
        let rx = vec![0u8; rx_len.max(leftover.len())];
        let limits = options.driver_limits(rx.len());
        let mut driver = Driver::with_limits(conn, rx, Vec::new(), Vec::new(), limits)
            .map_err(|e| Error::Io(std::io::Error::other(e)))?;
        let spare = driver.spare();
        spare[..leftover.len()].copy_from_slice(leftover);
        driver.filled(leftover.len());
        let (conn, input, output) = driver.into_parts();
        let inbox = Inbox::new(input, rx_len, options);
        let compression = Compression::for_connection(&conn);
        Ok(WebSocket { shared: Shared::new(io, conn, output, compression, options), inbox })
    }

    /// Reads the next whole message, or control frame (the Pong for a Ping
    /// and the reply to a Close are sent for you).
    ///
    /// Fails with [`Error::Timeout`] when the read timeout passes first
    /// (read again to keep waiting), and with [`Error::Ended`] once the
    /// connection is over ([`End::Closed`] after a complete closing
    /// handshake). Cancel-safe: a message gathered in part is kept.
    pub fn read(&mut self) -> impl Future<Output = Result<Message, Error>> + '_ {
        let deadline = self.inbox.read_deadline();
        let (inbox, shared) = (&mut self.inbox, &mut self.shared);
        std::future::poll_fn(move |cx| inbox.poll_message(cx, shared, deadline))
    }

    /// Reads the next event as it arrives: a chunk of a data message
    /// (`first`/`last` mark its ends), a Ping, a Pong or the peer's Close.
    /// The chunk borrows the read buffer until the next call; nothing is
    /// copied or allocated. Cancel-safe.
    pub async fn read_event(&mut self) -> Result<Event<'_>, Error> {
        let deadline = self.inbox.read_deadline();
        self.inbox.abandon_message();
        let at = self.poll_events(deadline).await?;
        Ok(self.inbox.input.event(at))
    }

    /// The next event's place, giving up at `deadline`.
    async fn poll_events(&mut self, deadline: Option<Instant>) -> Result<EventAt, Error> {
        let (inbox, shared) = (&mut self.inbox, &mut self.shared);
        std::future::poll_fn(|cx| inbox.poll_event(cx, shared, deadline)).await
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
    pub fn queue_text<'a>(
        &'a mut self,
        text: &'a str,
    ) -> impl Future<Output = Result<(), Error>> + 'a {
        self.shared.queue(DataKind::Text, text.as_bytes(), Piece::Whole)
    }

    /// Queues a binary message; see [`queue_text`](Self::queue_text).
    pub fn queue_binary<'a>(
        &'a mut self,
        bytes: &'a [u8],
    ) -> impl Future<Output = Result<(), Error>> + 'a {
        self.shared.queue(DataKind::Binary, bytes, Piece::Whole)
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
        self.inbox.abandon_message();
        loop {
            match self.poll_events(None).await {
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

    /// The protocol configuration the socket runs with. (The socket keeps
    /// only the options it uses once open: the read and write timeouts
    /// below and the write buffer size; the buffer sizes shaped its
    /// buffers when it was made.)
    pub fn config(&self) -> &Config {
        self.shared.conn.config()
    }

    /// How long a read waits for input before failing with
    /// [`Error::Timeout`].
    pub fn read_timeout(&self) -> Option<Duration> {
        self.inbox.read_timeout()
    }

    /// How long a write waits for the transport before failing.
    pub fn write_timeout(&self) -> Option<Duration> {
        self.shared.write_timeout()
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
        self.inbox.shutdown = Some(Box::new(shutdown.watch()));
    }

    /// Splits the socket into a [`Reader`] and a [`Writer`] that two tasks
    /// can own. The reader waits for input without holding anything the
    /// writer needs; the frames the protocol owes (Pongs, the Close reply)
    /// go out through whichever half gets to the shared writing side
    /// first.
    pub fn split(self) -> (Reader<T, S>, Writer<T, S>) {
        let (read, shared) = self.shared.split_io(tokio::io::split);
        let shared = Arc::new(Mutex::new(shared));
        (Reader::new(read, self.inbox, Arc::clone(&shared)), Writer::new(shared))
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

#[cfg(test)]
mod tests {
    use super::ServerSocket;
    use crate::pool::Pool;
    use barews_std::{Message, SocketOptions};
    use barews_testkit::client_frame;
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Waker};
    use tokio::io::AsyncWriteExt;

    #[tokio::test(flavor = "current_thread")]
    async fn a_waiting_socket_lends_its_buffers_to_the_thread_and_takes_them_back_for_input() {
        let (server_end, mut client_end) = tokio::io::duplex(4096);
        let mut options = SocketOptions::default();
        options.read_buffer_size = 1000;
        let mut socket = ServerSocket::server_from_raw(server_end, &[], &options).unwrap();
        // Drain what earlier tests on this thread left in the pools.
        while Pool::Receive.take_largest().capacity() > 0 {}
        while Pool::Send.take_largest().capacity() > 0 {}

        {
            let mut read = pin!(socket.read());
            let mut cx = Context::from_waker(Waker::noop());
            assert!(read.as_mut().poll(&mut cx).is_pending(), "nothing to read yet");
        }
        let lent = Pool::Receive.take_largest();
        assert_eq!(lent.len(), 1000, "the waiting socket's receive buffer is in the pool");
        Pool::Receive.give(lent);
        assert!(Pool::Send.take_largest().capacity() > 0, "and so is its send buffer");

        client_end.write_all(&client_frame(0x81, b"back from the pool")).await.unwrap();
        let message = socket.read().await.unwrap();
        assert_eq!(message, Message::Text("back from the pool".into()));
        assert_eq!(Pool::Receive.take_largest().capacity(), 0, "the socket took the buffer back");
        socket.send_text("and answered").await.unwrap();
    }
}
