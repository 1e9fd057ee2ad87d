//! A WebSocket over a blocking stream.

use crate::error::Error;
use crate::inbox::{Inbox, Link};
use crate::message::Message;
use crate::options::SocketOptions;
use crate::rng::OsMasks;
use crate::shared::Shared;
use crate::split::{Reader, Writer};
use crate::stream::{Stream, TryClone};
use barews::close::CloseCode;
use barews::connection::{Client, Connection, DataKind, Event, Server, Side, State};
use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A server's socket.
pub type ServerSocket<T> = WebSocket<T, Server>;
/// A client's socket (masking with keys from the OS).
pub type ClientSocket<T> = WebSocket<T, Client<OsMasks>>;

/// An open WebSocket over a blocking stream `T`, for one side `S`.
///
/// Reads return whole [`Message`]s ([`read`](Self::read)) or, for
/// messages larger than memory, chunks as they arrive
/// ([`read_event`](Self::read_event)). Pongs and the Close reply are sent
/// by the socket itself while it reads; keepalive Pings and the close
/// timeout follow the core's timers.
///
/// Memory: the read buffer ([`SocketOptions::read_buffer_size`], 4 KiB by
/// default), the message being assembled (up to the configured maximum),
/// an encoding buffer that grows to at most 16 KiB plus a header, and the
/// core's state (a few hundred bytes, see the crate docs).
pub struct WebSocket<T, S> {
    shared: Shared<T, S>,
    inbox: Inbox,
}

/// The whole socket as a [`Link`]: it reads from its own stream.
struct Direct<'a, T, S>(&'a mut Shared<T, S>);

impl<T: Stream, S: Side> Link<T, S> for Direct<'_, T, S> {
    fn with_shared<R>(&mut self, f: impl FnOnce(&mut Shared<T, S>) -> R) -> R {
        f(self.0)
    }

    fn read(&mut self, buf: &mut [u8], timeout: Option<Duration>) -> io::Result<usize> {
        // A system call saved on every read that waits as long as the last.
        if self.0.read_timeout != Some(timeout) {
            self.0.stream.set_read_timeout(timeout)?;
            self.0.read_timeout = Some(timeout);
        }
        self.0.stream.read(buf)
    }
}

impl<T: Stream> WebSocket<T, Server> {
    /// Wraps a stream whose opening handshake is complete, as a server.
    /// `leftover` holds bytes already read past the handshake.
    pub fn server_from_raw(stream: T, leftover: &[u8], options: SocketOptions) -> io::Result<Self> {
        let conn = Connection::server(options.config);
        Self::from_parts(stream, conn, leftover, options)
    }
}

impl<T: Stream> WebSocket<T, Client<OsMasks>> {
    /// Wraps a stream whose opening handshake is complete, as a client
    /// masking with keys from the OS. `leftover` holds bytes already read
    /// past the handshake.
    pub fn client_from_raw(stream: T, leftover: &[u8], options: SocketOptions) -> io::Result<Self> {
        let conn = Connection::client(options.config, OsMasks::new()?);
        Self::from_parts(stream, conn, leftover, options)
    }
}

impl<T: Stream, S: Side> WebSocket<T, S> {
    pub(crate) fn from_parts(
        stream: T,
        conn: Connection<S>,
        leftover: &[u8],
        options: SocketOptions,
    ) -> io::Result<Self> {
        let inbox = Inbox::new(
            options.read_buffer_size,
            leftover,
            options.config.get_max_message_len(),
            conn.inflate_window_size(),
        );
        Ok(WebSocket { shared: Shared::new(stream, conn, options)?, inbox })
    }

    fn read_deadline(&self) -> Option<Instant> {
        self.shared.options.read_timeout.map(|timeout| Instant::now() + timeout)
    }

    /// Reads the next whole message, or control frame.
    ///
    /// Fails with [`Error::Timeout`] when the read timeout passes first
    /// (read again to keep waiting), and with [`Error::ConnectionClosed`]
    /// once the closing handshake is over.
    pub fn read(&mut self) -> Result<Message, Error> {
        let deadline = self.read_deadline();
        self.inbox.next_message(&mut Direct(&mut self.shared), deadline)
    }

    /// Reads the next event as it arrives: a chunk of a data message (with
    /// first/last flags), or a control frame. Nothing is assembled, so a
    /// message of any size passes through the read buffer.
    pub fn read_event(&mut self) -> Result<Event<'_>, Error> {
        let deadline = self.read_deadline();
        self.inbox.next_event(&mut Direct(&mut self.shared), deadline)
    }

    /// Sends a message. Ping, Pong and Close are sent as control frames
    /// (Close with its code, or 1000 when it has none) .
    pub fn send(&mut self, message: Message) -> Result<(), Error> {
        match message {
            Message::Text(text) => self.send_text(&text),
            Message::Binary(bytes) => self.send_binary(&bytes),
            Message::Ping(payload) => self.ping(&payload),
            Message::Pong(payload) => self.pong(&payload),
            Message::Close(info) => {
                let (code, reason) = info
                    .map_or((CloseCode::NORMAL, String::new()), |info| (info.code, info.reason));
                self.close(code, &reason)
            }
        }
    }

    /// Sends a text message now.
    pub fn send_text(&mut self, text: &str) -> Result<(), Error> {
        self.shared.send_message(DataKind::Text, text.as_bytes(), true)
    }

    /// Sends a binary message now.
    pub fn send_binary(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.shared.send_message(DataKind::Binary, bytes, true)
    }

    /// Queues a text message. Queued frames go out together, in as few
    /// writes as possible: on [`flush`](Self::flush), with the next
    /// `send_*`, when the queue passes 64 KiB, and before a read waits for
    /// the peer. An echo or request/response server that queues its
    /// answers writes one batch per batch of input.
    pub fn queue_text(&mut self, text: &str) -> Result<(), Error> {
        self.shared.send_message(DataKind::Text, text.as_bytes(), false)
    }

    /// Queues a binary message; see [`queue_text`](Self::queue_text).
    pub fn queue_binary(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.shared.send_message(DataKind::Binary, bytes, false)
    }

    /// Sends one fragment of a message now; the one with `fin` set ends
    /// it. Streams a message larger than memory.
    pub fn send_fragment(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        fin: bool,
    ) -> Result<(), Error> {
        self.shared.send_fragment(kind, payload, fin, true)
    }

    /// Queues one fragment of a message; see
    /// [`queue_text`](Self::queue_text) for when it is written.
    pub fn queue_fragment(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        fin: bool,
    ) -> Result<(), Error> {
        self.shared.send_fragment(kind, payload, fin, false)
    }

    /// Sends a Ping (at most 125 bytes).
    pub fn ping(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.shared.conn.ping(payload)?;
        self.shared.flush()
    }

    /// Sends an unsolicited Pong (at most 125 bytes).
    pub fn pong(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.shared.conn.pong(payload)?;
        self.shared.flush()
    }

    /// Writes everything queued and flushes the transport.
    pub fn flush(&mut self) -> Result<(), Error> {
        self.shared.flush()
    }

    /// Closes gracefully: sends a Close, waits for the peer's (reading and
    /// dropping any messages still in flight) up to the configured close
    /// timeout, then ends the transport. Returns `Ok` when the closing
    /// handshake completed.
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        if self.shared.conn.state() == State::Open
            || self.shared.conn.state() == State::CloseReceived
        {
            self.shared.conn.close(code, reason)?;
        }
        self.shared.flush()?;
        loop {
            match self.inbox.next_event(&mut Direct(&mut self.shared), None) {
                Ok(_) => {}
                Err(Error::ConnectionClosed) => return Ok(()),
                Err(error) => {
                    self.shared.shutdown();
                    return Err(error);
                }
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

    /// The underlying stream.
    pub fn get_ref(&self) -> &T {
        &self.shared.stream
    }

    /// Splits the socket into a reader and a writer that can be used from
    /// two threads. Replies the reader owes (Pong, Close) are written under
    /// the same lock as the writer's messages, so frames never interleave.
    /// When either side finishes the closing handshake or fails, the
    /// transport is shut down and the other side's calls end.
    pub fn split(self) -> io::Result<(Reader<T, S>, Writer<T, S>)>
    where
        T: TryClone,
    {
        let read_stream = self.shared.stream.try_clone()?;
        let shared = Arc::new(Mutex::new(self.shared));
        Ok((Reader::new(read_stream, self.inbox, Arc::clone(&shared)), Writer::new(shared)))
    }
}

impl<T, S> std::fmt::Debug for WebSocket<T, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocket").finish_non_exhaustive()
    }
}
