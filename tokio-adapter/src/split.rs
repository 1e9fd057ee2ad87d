//! A socket split into halves for two tasks.

use crate::inbox::{Inbox, Link};
use crate::shared::{Piece, Shared};
use barews::close::CloseCode;
use barews::connection::{DataKind, Event, Side, State};
use barews_std::{Error, Message};
use std::io;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadHalf, WriteHalf};
use tokio::sync::{Mutex, MutexGuard};
use tokio::time::Instant;

/// The writing side the halves share.
type Locked<T, S> = Mutex<Shared<WriteHalf<T>, S>>;

/// The reading half of a split socket. It waits for input on its own half
/// of the stream, without holding the writing side.
pub struct Reader<T, S> {
    read: ReadHalf<T>,
    inbox: Inbox,
    shared: Arc<Locked<T, S>>,
    /// The socket's read timeout.
    read_timeout: Option<Duration>,
}

/// The reader as a [`Link`]: its own half to read from, the lock for the
/// rest.
struct Halves<'a, T, S> {
    read: &'a mut ReadHalf<T>,
    shared: &'a Locked<T, S>,
}

impl<T: AsyncRead + AsyncWrite, S: Side> Link<S> for Halves<'_, T, S> {
    type Write = WriteHalf<T>;

    async fn shared(&mut self) -> impl std::ops::DerefMut<Target = Shared<WriteHalf<T>, S>> {
        self.shared.lock().await
    }

    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read.read(buf).await
    }
}

impl<T: AsyncRead + AsyncWrite, S: Side> Reader<T, S> {
    pub(crate) fn new(
        read: ReadHalf<T>,
        inbox: Inbox,
        shared: Arc<Locked<T, S>>,
        read_timeout: Option<Duration>,
    ) -> Self {
        Reader { read, inbox, shared, read_timeout }
    }

    /// When a read called now gives up, from the read timeout.
    fn deadline(&self) -> Option<Instant> {
        self.read_timeout.map(|timeout| Instant::now() + timeout)
    }

    /// Reads the next whole message; see
    /// [`WebSocket::read`](crate::WebSocket::read). Cancel-safe.
    pub async fn read(&mut self) -> Result<Message, Error> {
        let deadline = self.deadline();
        let mut link = Halves { read: &mut self.read, shared: &self.shared };
        self.inbox.message(&mut link, deadline).await
    }

    /// Reads the next event as it arrives; see
    /// [`WebSocket::read_event`](crate::WebSocket::read_event).
    /// Cancel-safe.
    pub async fn read_event(&mut self) -> Result<Event<'_>, Error> {
        let deadline = self.deadline();
        let mut link = Halves { read: &mut self.read, shared: &self.shared };
        self.inbox.event(&mut link, deadline).await
    }
}

/// The writing half of a split socket. Clones share it: each call sends
/// its message whole, whichever task calls. Its methods are cancel-safe
/// as [`WebSocket`](crate::WebSocket)'s are: a cancelled send may have
/// queued its message, which the next write or flush sends.
pub struct Writer<T, S> {
    shared: Arc<Locked<T, S>>,
}

impl<T, S> Clone for Writer<T, S> {
    fn clone(&self) -> Self {
        Writer { shared: Arc::clone(&self.shared) }
    }
}

impl<T: AsyncRead + AsyncWrite, S: Side> Writer<T, S> {
    pub(crate) fn new(shared: Arc<Locked<T, S>>) -> Self {
        Writer { shared }
    }

    async fn lock(&self) -> MutexGuard<'_, Shared<WriteHalf<T>, S>> {
        self.shared.lock().await
    }

    /// Sends a whole message; see [`WebSocket::send`](crate::WebSocket::send).
    pub async fn send(&self, message: Message) -> Result<(), Error> {
        self.lock().await.send(message).await
    }

    /// Queues a whole message; see
    /// [`WebSocket::queue`](crate::WebSocket::queue).
    pub async fn queue(&self, message: Message) -> Result<(), Error> {
        self.lock().await.queue_message(message).await
    }

    /// Sends a text message and flushes.
    pub async fn send_text(&self, text: &str) -> Result<(), Error> {
        self.send_piece(DataKind::Text, text.as_bytes(), Piece::Whole).await
    }

    /// Sends a binary message and flushes.
    pub async fn send_binary(&self, bytes: &[u8]) -> Result<(), Error> {
        self.send_piece(DataKind::Binary, bytes, Piece::Whole).await
    }

    /// Queues a text message; see
    /// [`WebSocket::queue_text`](crate::WebSocket::queue_text).
    pub async fn queue_text(&self, text: &str) -> Result<(), Error> {
        self.lock().await.queue(DataKind::Text, text.as_bytes(), Piece::Whole).await
    }

    /// Queues a binary message; see
    /// [`WebSocket::queue_text`](crate::WebSocket::queue_text).
    pub async fn queue_binary(&self, bytes: &[u8]) -> Result<(), Error> {
        self.lock().await.queue(DataKind::Binary, bytes, Piece::Whole).await
    }

    /// Sends one fragment of a message and flushes; see
    /// [`WebSocket::send_fragment`](crate::WebSocket::send_fragment).
    pub async fn send_fragment(
        &self,
        kind: DataKind,
        payload: &[u8],
        fin: bool,
    ) -> Result<(), Error> {
        self.send_piece(kind, payload, Piece::Fragment { fin }).await
    }

    async fn send_piece(&self, kind: DataKind, payload: &[u8], piece: Piece) -> Result<(), Error> {
        let mut shared = self.lock().await;
        shared.queue(kind, payload, piece).await?;
        shared.flush().await
    }

    /// Writes everything queued and flushes the transport.
    pub async fn flush(&self) -> Result<(), Error> {
        self.lock().await.flush().await
    }

    /// Sends a Close; the reader then sees the peer's Close and the end
    /// of the connection, which completes the closing handshake.
    pub async fn close(&self, code: CloseCode, reason: &str) -> Result<(), Error> {
        let mut shared = self.lock().await;
        if matches!(shared.conn.state(), State::Open | State::CloseReceived) {
            shared.conn.close(code, reason)?;
        }
        shared.flush().await
    }

    /// Where the closing handshake stands.
    pub async fn state(&self) -> State {
        self.lock().await.conn.state()
    }
}

impl<T, S> std::fmt::Debug for Reader<T, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader").field("input", &self.inbox.input).finish_non_exhaustive()
    }
}

impl<T, S> std::fmt::Debug for Writer<T, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").finish_non_exhaustive()
    }
}
