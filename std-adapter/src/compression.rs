//! Which compressor a connection's outgoing messages go through: none, one
//! of its own (permessage-deflate with context takeover), or the one its
//! thread shares among every connection that agreed to no context
//! takeover for what it sends.

use barews::connection::{Connection, DataKind, SendError, Side};
use barews::driver::{Output, Queued};

/// The compressor behind a connection's sending side, chosen from what
/// its handshake agreed: with permessage-deflate and context takeover the
/// connection has a compressor of its own (a hash table and a history of
/// up to the window: 16 KiB at level 1, see
/// [`Compressor::memory_size`](barews::deflate::Compressor::memory_size));
/// with no context takeover for this end it holds none, and its messages
/// are compressed by one compressor per thread and level, shared by every
/// such connection on the thread. barews-tokio uses it too.
#[derive(Debug)]
pub struct Compression {
    #[cfg(feature = "deflate")]
    own: Option<Box<barews::deflate::Compressor<Vec<u8>>>>,
    /// The level of the thread's shared compressor, when it serves.
    #[cfg(feature = "deflate")]
    shared_level: Option<u8>,
}

#[cfg(feature = "deflate")]
thread_local! {
    /// The thread's compressors that keep no context, one per level in
    /// use.
    static SHARED: std::cell::RefCell<Vec<barews::deflate::Compressor<Vec<u8>>>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

impl Compression {
    /// The compressor `conn` needs.
    pub fn for_connection<S: Side>(conn: &Connection<S>) -> Self {
        #[cfg(feature = "deflate")]
        {
            let own = conn.own_compressor().map(Box::new);
            let shared_level = if own.is_none() { conn.compression_level() } else { None };
            Compression { own, shared_level }
        }
        #[cfg(not(feature = "deflate"))]
        {
            let _ = conn;
            Compression {}
        }
    }

    /// Whether the connection sends through the thread's shared
    /// compressor.
    pub fn is_shared(&self) -> bool {
        #[cfg(feature = "deflate")]
        return self.shared_level.is_some();
        #[cfg(not(feature = "deflate"))]
        false
    }

    /// Queues data of an outgoing message into `output`, as
    /// [`Output::send`] does (`whole`: as [`Output::send_message`]), a
    /// whole message compressed when the connection compresses it.
    pub fn send<S: Side>(
        &mut self,
        output: &mut Output<Vec<u8>>,
        conn: &mut Connection<S>,
        kind: DataKind,
        payload: &[u8],
        piece: Piece,
    ) -> Result<Queued, SendError> {
        #[cfg(feature = "deflate")]
        if let Some(own) = self.own.as_deref_mut() {
            return match piece {
                Piece::Whole => output.send_message_with(conn, kind, payload, own),
                Piece::Fragment { fin } => output.send_with(conn, kind, payload, fin, own),
            };
        } else if let Some(level) = self.shared_level {
            return with_shared(level, |shared| match piece {
                Piece::Whole => output.send_message_with(conn, kind, payload, shared),
                Piece::Fragment { fin } => output.send_with(conn, kind, payload, fin, shared),
            });
        }
        match piece {
            Piece::Whole => output.send_message(conn, kind, payload),
            Piece::Fragment { fin } => output.send(conn, kind, payload, fin),
        }
    }
}

/// What a call to the core's writer carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece {
    /// A whole message.
    Whole,
    /// A fragment of one; `fin` ends the message.
    Fragment {
        /// This fragment is the message's last.
        fin: bool,
    },
}

/// Runs `f` with the thread's shared compressor for `level`, made on first
/// use.
#[cfg(feature = "deflate")]
fn with_shared<R>(level: u8, f: impl FnOnce(&mut barews::deflate::Compressor<Vec<u8>>) -> R) -> R {
    use barews::deflate::{Compressor, Context};
    SHARED.with(|shared| {
        let mut shared = shared.borrow_mut();
        let at = shared.iter().position(|c| c.level() == level).unwrap_or_else(|| {
            // The window is applied per message, so one compressor made
            // for the largest serves every connection.
            shared.push(Compressor::new(15, level, Context::Reset));
            shared.len() - 1
        });
        f(&mut shared[at])
    })
}
