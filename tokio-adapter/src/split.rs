//! A socket split into halves for two tasks.

use crate::inbox::{Inbox, Step};
use crate::shared::{Piece, Shared};
use barews::close::CloseCode;
use barews::connection::{DataKind, Event, Side, State};
use barews::driver::EventAt;
use barews_std::{Error, Message};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite, ReadHalf, WriteHalf};
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
}

impl<T: AsyncRead + AsyncWrite, S: Side> Reader<T, S> {
    pub(crate) fn new(read: ReadHalf<T>, inbox: Inbox, shared: Arc<Locked<T, S>>) -> Self {
        Reader { read, inbox, shared }
    }

    /// Reads the next whole message; see
    /// [`WebSocket::read`](crate::WebSocket::read). Cancel-safe.
    pub async fn read(&mut self) -> Result<Message, Error> {
        let deadline = self.inbox.read_deadline();
        loop {
            let at = self.next_event(deadline).await?;
            // The lock only for a message in pieces, not for every event.
            let announced = if self.inbox.starts_in_pieces(at) {
                self.shared.lock().await.conn.receiving_message_len()
            } else {
                None
            };
            if let Some(message) = self.inbox.gather(at, announced)? {
                return Ok(message);
            }
        }
    }

    /// Reads the next event as it arrives; see
    /// [`WebSocket::read_event`](crate::WebSocket::read_event).
    /// Cancel-safe.
    pub async fn read_event(&mut self) -> Result<Event<'_>, Error> {
        let deadline = self.inbox.read_deadline();
        self.inbox.abandon_message();
        let at = self.next_event(deadline).await?;
        Ok(self.inbox.input.event(at))
    }

    /// Steps with the writing side locked, and waits for input without
    /// it, until there is an event; gives up at `deadline`.
    async fn next_event(&mut self, deadline: Option<Instant>) -> Result<EventAt, Error> {
        let inbox = &mut self.inbox;
        loop {
            let step = {
                let mut shared = self.shared.lock().await;
                std::future::poll_fn(|cx| inbox.poll_step(cx, &mut shared, deadline)).await?
            };
            if let Step::Event(at) = step {
                return Ok(at);
            }
            let read = &mut self.read;
            if let Err(error) =
                std::future::poll_fn(|cx| inbox.poll_input(cx, read, deadline)).await
            {
                return Err(error.into_error(&mut *self.shared.lock().await));
            }
        }
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
