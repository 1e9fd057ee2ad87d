//! Buffers a worker thread lends to its connections.
//!
//! A connection waiting for input holds no receive or send buffer: when
//! its read finds nothing to read and nothing of a frame is kept, its
//! receive buffer goes back to the thread's pool, and so does its send
//! buffer once written out; both come back from the pool when input
//! arrives. Ten thousand idle connections then cost their state, not ten
//! thousand buffers, and a busy connection takes and gives back buffers
//! without the allocator.

use std::cell::RefCell;

/// Buffers a thread keeps for each side, at most.
const KEPT: usize = 32;

/// Buffers with more room than this are freed, not kept: the memory a
/// large message needed goes back. A receive buffer grown to the default
/// limit is kept.
const LARGEST_KEPT: usize = barews_std::DEFAULT_MAX_READ_BUFFER;

/// Which buffers: receive buffers are all of one length (the configured
/// initial size), send buffers any length.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Pool {
    Receive,
    Send,
}

thread_local! {
    static RECEIVE: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
    static SEND: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

impl Pool {
    fn with<R>(self, f: impl FnOnce(&mut Vec<Vec<u8>>) -> R) -> R {
        let pool = match self {
            Pool::Receive => &RECEIVE,
            Pool::Send => &SEND,
        };
        pool.with_borrow_mut(f)
    }

    /// The pool's largest buffer (empty storage if the pool is empty): for
    /// a send buffer, whose size the next messages decide, the one least
    /// likely to grow (and zero its new room) before they fit.
    pub(crate) fn take_largest(self) -> Vec<u8> {
        let found = self.with(|kept| {
            let largest =
                kept.iter().enumerate().max_by_key(|(_, buf)| buf.len()).map(|(at, _)| at);
            largest.map(|at| kept.remove(at))
        });
        found.unwrap_or_default()
    }

    /// A buffer of exactly `len` bytes, from the pool if it has one: the
    /// most recently given one at least that long (cut to `len`), else the
    /// most recent one lengthened (its new bytes zeroed: a few kilobytes to
    /// write, which a buffer long enough does not cost).
    pub(crate) fn take_len(self, len: usize) -> Vec<u8> {
        let found = self.with(|kept| match kept.iter().rposition(|buf| buf.len() >= len) {
            Some(at) => Some(kept.remove(at)),
            None => kept.pop(),
        });
        let mut buf = found.unwrap_or_default();
        buf.resize(len, 0);
        buf
    }

    /// Lends a waiting socket's buffer to the pool: `swap` puts empty
    /// storage in its place and returns the buffer (or refuses, when
    /// something in it still matters). A buffer larger than the pool keeps
    /// is swapped back: the socket keeps it rather than allocate it again.
    /// Returns the length of the buffer lent, if the socket holds empty
    /// storage now.
    pub(crate) fn lend(
        self,
        mut swap: impl FnMut(Vec<u8>) -> Result<Vec<u8>, Vec<u8>>,
    ) -> Option<usize> {
        let buf = swap(Vec::new()).ok()?;
        if buf.capacity() > LARGEST_KEPT {
            // Empty storage goes in and out: nothing can refuse it.
            let _ = swap(buf);
            return None;
        }
        let len = buf.len();
        self.give(buf);
        Some(len)
    }

    /// Gives a socket that lent its buffer a buffer from the pool, `buf`,
    /// in place of its empty storage: `swap` puts it in and returns what
    /// was there. Storage that grew meanwhile (a writer sent) is kept, and
    /// `buf` goes back to the pool.
    pub(crate) fn restore(
        self,
        buf: Vec<u8>,
        mut swap: impl FnMut(Vec<u8>) -> Result<Vec<u8>, Vec<u8>>,
    ) {
        match swap(buf) {
            Ok(old) if old.capacity() == 0 => {}
            Ok(grown) => {
                if let Ok(buf) = swap(grown) {
                    self.give(buf);
                }
            }
            Err(buf) => self.give(buf),
        }
    }

    /// Gives `buf` back to the pool, or frees it (the pool is full, or it
    /// is larger than a pool keeps).
    pub(crate) fn give(self, buf: Vec<u8>) {
        if buf.capacity() == 0 || buf.capacity() > LARGEST_KEPT {
            return;
        }
        self.with(|kept| {
            if kept.len() < KEPT {
                kept.push(buf);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::{KEPT, LARGEST_KEPT, Pool};

    #[test]
    fn a_buffer_given_back_is_lent_again_at_the_length_asked_for() {
        let buf = vec![7u8; 100];
        let at = buf.as_ptr();
        Pool::Receive.give(buf);
        let again = Pool::Receive.take_len(50);
        assert_eq!((again.as_ptr(), again.len()), (at, 50), "the same storage, cut to 50");
        let empty = Pool::Receive.take_largest();
        assert_eq!(empty.capacity(), 0, "an empty pool lends empty storage");
    }

    #[test]
    fn the_pool_keeps_a_bounded_number_of_small_buffers() {
        Pool::Send.give(vec![0; LARGEST_KEPT + 1]);
        assert_eq!(Pool::Send.take_largest().capacity(), 0, "a large buffer is freed");
        for _ in 0..KEPT + 5 {
            Pool::Send.give(vec![0; 64]);
        }
        let kept = std::iter::from_fn(|| Some(Pool::Send.take_largest()))
            .take_while(|buf| buf.capacity() > 0)
            .count();
        assert_eq!(kept, KEPT);
    }

    #[test]
    fn a_buffer_too_large_to_keep_stays_with_its_socket_and_a_small_one_is_lent() {
        let mut socket_storage = vec![0u8; LARGEST_KEPT + 1];
        let at = socket_storage.as_ptr();
        let lent = Pool::Receive.lend(|buf| Ok(std::mem::replace(&mut socket_storage, buf)));
        assert_eq!(lent, None);
        assert_eq!(socket_storage.as_ptr(), at, "the same storage, not a copy");

        let mut socket_storage = vec![0u8; 4096];
        let lent = Pool::Receive.lend(|buf| Ok(std::mem::replace(&mut socket_storage, buf)));
        assert_eq!(lent, Some(4096));
        assert_eq!(socket_storage.capacity(), 0, "the socket holds empty storage");
        assert_eq!(Pool::Receive.take_largest().len(), 4096);
    }

    #[test]
    fn a_buffer_long_enough_is_lent_before_a_more_recent_short_one() {
        while Pool::Receive.take_largest().capacity() > 0 {}
        let long = vec![0u8; 8192];
        let at = long.as_ptr();
        Pool::Receive.give(long);
        Pool::Receive.give(vec![0u8; 1024]);
        let taken = Pool::Receive.take_len(4096);
        assert_eq!((taken.as_ptr(), taken.len()), (at, 4096), "no short buffer lengthened");
        assert_eq!(Pool::Receive.take_len(4096).len(), 4096, "the short one, lengthened");
        assert_eq!(Pool::Receive.take_largest().capacity(), 0, "both were lent");
    }
}
