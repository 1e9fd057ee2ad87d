//! A server-wide graceful shutdown: every socket that watches the signal
//! closes with 1001 (going away) and finishes its closing handshake.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::futures::OwnedNotified;
use tokio::sync::{Notify, watch};

/// The signal for a graceful shutdown, for rolling restarts. Give it to
/// each socket with [`WebSocket::watch_shutdown`](crate::WebSocket::watch_shutdown);
/// [`trigger`](Self::trigger) makes every one of them send a Close with
/// code 1001 (going away) the next time it reads or while it waits, finish
/// the closing handshake (within the close timeout) and end its `read` with
/// the connection's end. [`wait`](Self::wait) waits until they have all
/// ended, up to a deadline. Clones share the signal.
#[derive(Debug, Clone)]
pub struct Shutdown {
    /// The signal's state; its receivers count the watching sockets.
    sender: Arc<watch::Sender<bool>>,
    /// Wakes the watching sockets that wait for input.
    wake: Arc<Notify>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shutdown {
    /// A signal not triggered yet.
    pub fn new() -> Self {
        Shutdown { sender: Arc::new(watch::Sender::new(false)), wake: Arc::new(Notify::new()) }
    }

    /// Asks every watching socket to close.
    pub fn trigger(&self) {
        self.sender.send_replace(true);
        self.wake.notify_waiters();
    }

    /// Whether the shutdown was triggered.
    pub fn is_triggered(&self) -> bool {
        *self.sender.borrow()
    }

    /// How many sockets are watching (they stop when dropped).
    pub fn watching(&self) -> usize {
        self.sender.receiver_count()
    }

    /// Waits until no socket watches any more, or `timeout` passes;
    /// returns whether they all ended in time.
    pub async fn wait(&self, timeout: Duration) -> bool {
        tokio::time::timeout(timeout, self.sender.closed()).await.is_ok()
    }

    /// A watch for one socket.
    pub(crate) fn watch(&self) -> Watch {
        Watch {
            receiver: self.sender.subscribe(),
            wake: Box::pin(Arc::clone(&self.wake).notified_owned()),
        }
    }
}

/// One socket's watch on the signal. Its waiter stays registered from one
/// read to the next, and lives on the heap: a socket that watches no
/// signal carries a pointer, not a waiter.
#[derive(Debug)]
pub(crate) struct Watch {
    /// Counted by [`Shutdown::watching`] until the socket is dropped.
    receiver: watch::Receiver<bool>,
    wake: Pin<Box<OwnedNotified>>,
}

impl Watch {
    /// Whether the shutdown was triggered.
    pub(crate) fn is_triggered(&self) -> bool {
        *self.receiver.borrow()
    }

    /// Ready once the shutdown is triggered (a trigger after this watch was
    /// made counts, whether or not it was being polled then).
    pub(crate) fn poll_triggered(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.is_triggered() {
            return Poll::Ready(());
        }
        self.wake.as_mut().poll(cx)
    }
}
