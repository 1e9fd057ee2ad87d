//! A socket split into halves for two threads.

use crate::error::Error;
use crate::inbox::{Inbox, Link};
use crate::message::Message;
use crate::shared::Shared;
use crate::stream::Stream;
use barews::close::CloseCode;
use barews::connection::{DataKind, Event, Side, State};
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

fn lock<T, S>(shared: &Mutex<Shared<T, S>>) -> MutexGuard<'_, Shared<T, S>> {
    // A panic elsewhere cannot leave the core half-updated in a way that
    // matters here: its methods check their input before changing state.
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The reading half of a split socket. It reads on its own handle to the
/// transport, without holding the lock while it waits.
pub struct Reader<T, S> {
    stream: T,
    // `None`: never set; `Some(t)`: `t` (itself maybe `None`) was set.
    #[allow(clippy::option_option)]
    /// The read timeout last set on `stream`, if any was.
    timeout: Option<Option<Duration>>,
    inbox: Inbox,
    shared: Arc<Mutex<Shared<T, S>>>,
}

/// The reader as a [`Link`]: its own handle for reading, the lock for the
/// rest.
struct Locked<'a, T, S> {
    stream: &'a mut T,
    shared: &'a Mutex<Shared<T, S>>,
    #[allow(clippy::option_option)]
    timeout: &'a mut Option<Option<Duration>>,
}

impl<T: Stream, S: Side> Link<T, S> for Locked<'_, T, S> {
    fn with_shared<R>(&mut self, f: impl FnOnce(&mut Shared<T, S>) -> R) -> R {
        f(&mut lock(self.shared))
    }

    fn read(&mut self, buf: &mut [u8], timeout: Option<Duration>) -> io::Result<usize> {
        if *self.timeout != Some(timeout) {
            self.stream.set_read_timeout(timeout)?;
            *self.timeout = Some(timeout);
        }
        self.stream.read(buf)
    }
}

impl<T: Stream, S: Side> Reader<T, S> {
    pub(crate) fn new(stream: T, inbox: Inbox, shared: Arc<Mutex<Shared<T, S>>>) -> Self {
        Reader { stream, timeout: None, inbox, shared }
    }

    fn deadline(&self) -> Option<Instant> {
        lock(&self.shared).options.read_timeout.map(|timeout| Instant::now() + timeout)
    }

    /// Reads the next whole message; see
    /// [`WebSocket::read`](crate::WebSocket::read).
    pub fn read(&mut self) -> Result<Message, Error> {
        let deadline = self.deadline();
        let mut link =
            Locked { stream: &mut self.stream, shared: &self.shared, timeout: &mut self.timeout };
        self.inbox.next_message(&mut link, deadline)
    }

    /// Reads the next event as it arrives; see
    /// [`WebSocket::read_event`](crate::WebSocket::read_event).
    pub fn read_event(&mut self) -> Result<Event<'_>, Error> {
        let deadline = self.deadline();
        let mut link =
            Locked { stream: &mut self.stream, shared: &self.shared, timeout: &mut self.timeout };
        self.inbox.next_event(&mut link, deadline)
    }
}

/// The writing half of a split socket; it can be cloned into more
/// writers that share the lock.
pub struct Writer<T, S> {
    shared: Arc<Mutex<Shared<T, S>>>,
}

impl<T, S> Clone for Writer<T, S> {
    fn clone(&self) -> Self {
        Writer { shared: Arc::clone(&self.shared) }
    }
}

impl<T: Stream, S: Side> Writer<T, S> {
    pub(crate) fn new(shared: Arc<Mutex<Shared<T, S>>>) -> Self {
        Writer { shared }
    }

    /// Sends a text message.
    pub fn send_text(&self, text: &str) -> Result<(), Error> {
        lock(&self.shared).send_message(DataKind::Text, text.as_bytes(), true)
    }

    /// Sends a binary message.
    pub fn send_binary(&self, bytes: &[u8]) -> Result<(), Error> {
        lock(&self.shared).send_message(DataKind::Binary, bytes, true)
    }

    /// Sends one fragment of a message.
    pub fn send_fragment(&self, kind: DataKind, payload: &[u8], fin: bool) -> Result<(), Error> {
        lock(&self.shared).send_fragment(kind, payload, fin, true)
    }

    /// Sends a Ping.
    pub fn ping(&self, payload: &[u8]) -> Result<(), Error> {
        let mut shared = lock(&self.shared);
        shared.conn.ping(payload)?;
        shared.flush()
    }

    /// Starts the closing handshake: sends a Close. The reader then
    /// receives the peer's Close and ends with
    /// [`Error::Ended`](crate::Error::Ended)`(`[`End::Closed`](crate::End::Closed)`)`; keep it
    /// reading. If the reader is not reading, call
    /// [`shutdown`](Self::shutdown) after a while.
    pub fn close(&self, code: CloseCode, reason: &str) -> Result<(), Error> {
        let mut shared = lock(&self.shared);
        if matches!(shared.conn.state(), State::Open | State::CloseReceived) {
            shared.conn.close(code, reason)?;
        }
        shared.flush()
    }

    /// Ends the transport at once, without a closing handshake; a reader
    /// blocked on it wakes up.
    pub fn shutdown(&self) {
        lock(&self.shared).shutdown();
    }

    /// Where the closing handshake stands.
    pub fn state(&self) -> State {
        lock(&self.shared).conn.state()
    }
}

impl<T, S> std::fmt::Debug for Reader<T, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader").finish_non_exhaustive()
    }
}

impl<T, S> std::fmt::Debug for Writer<T, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").finish_non_exhaustive()
    }
}
