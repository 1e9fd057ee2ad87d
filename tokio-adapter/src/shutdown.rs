//! A server-wide graceful shutdown: every socket that watches the signal
//! closes with 1001 (going away) and finishes its closing handshake.

use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The signal for a graceful shutdown, for rolling restarts. Give it to
/// each socket with [`WebSocket::watch_shutdown`](crate::WebSocket::watch_shutdown);
/// [`trigger`](Self::trigger) makes every one of them send a Close with
/// code 1001 (going away) the next time it reads or while it waits, finish
/// the closing handshake (within the close timeout) and end its `read` with
/// the connection's end. [`wait`](Self::wait) waits until they have all
/// ended, up to a deadline. Clones share the signal.
#[derive(Debug, Clone)]
pub struct Shutdown {
    sender: Arc<watch::Sender<bool>>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shutdown {
    /// A signal not triggered yet.
    pub fn new() -> Self {
        Shutdown { sender: Arc::new(watch::Sender::new(false)) }
    }

    /// Asks every watching socket to close.
    pub fn trigger(&self) {
        self.sender.send_replace(true);
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
    pub(crate) fn watch(&self) -> watch::Receiver<bool> {
        self.sender.subscribe()
    }
}
