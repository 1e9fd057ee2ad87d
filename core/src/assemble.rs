//! Whole messages from the chunks a [`Connection`](crate::connection::Connection)
//! hands out, for callers that want messages rather than streams.
//!
//! [`Assembler`] collects the chunks of a message into storage of a fixed
//! capacity: a caller's slice, or (with the `alloc` feature) a `Vec` that
//! grows up to a limit.

use crate::connection::{DataKind, Event};
use core::fmt;

/// A complete message, borrowed from the assembler's storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assembled<'a> {
    /// A text message.
    Text(&'a str),
    /// A binary message.
    Binary(&'a [u8]),
}

/// Why a message could not be assembled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AssembleError {
    /// The message does not fit the storage; the rest of it is skipped.
    TooLarge {
        /// The storage's capacity in bytes.
        capacity: usize,
    },
    /// A text message is not valid UTF-8 (only possible when the chunks
    /// did not come from a `Connection`, which validates text).
    InvalidUtf8,
}

impl fmt::Display for AssembleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AssembleError::TooLarge { capacity } => {
                write!(f, "message larger than the {capacity}-byte buffer")
            }
            AssembleError::InvalidUtf8 => f.write_str("text message is not valid UTF-8"),
        }
    }
}

impl core::error::Error for AssembleError {}

mod sealed {
    pub trait Sealed {}
}

/// Where an [`Assembler`] keeps a message: `&mut [u8]`, or `Vec<u8>` with
/// the `alloc` feature.
pub trait Storage: sealed::Sealed {
    /// Writes `bytes` at `offset`, growing if the storage can; `false` if
    /// they do not fit within `limit` bytes.
    #[doc(hidden)]
    fn put(&mut self, offset: usize, bytes: &[u8], limit: usize) -> bool;
    /// The first `len` bytes.
    #[doc(hidden)]
    fn prefix(&self, len: usize) -> &[u8];
}

impl sealed::Sealed for &mut [u8] {}

impl Storage for &mut [u8] {
    fn put(&mut self, offset: usize, bytes: &[u8], limit: usize) -> bool {
        let end = offset.saturating_add(bytes.len());
        match self.get_mut(offset..end) {
            Some(dst) if end <= limit => {
                dst.copy_from_slice(bytes);
                true
            }
            _ => false,
        }
    }

    fn prefix(&self, len: usize) -> &[u8] {
        &self[..len.min(self.len())]
    }
}

#[cfg(feature = "alloc")]
impl sealed::Sealed for alloc::vec::Vec<u8> {}

#[cfg(feature = "alloc")]
impl Storage for alloc::vec::Vec<u8> {
    fn put(&mut self, offset: usize, bytes: &[u8], limit: usize) -> bool {
        let end = offset.saturating_add(bytes.len());
        if end > limit {
            return false;
        }
        self.truncate(offset);
        self.extend_from_slice(bytes);
        true
    }

    fn prefix(&self, len: usize) -> &[u8] {
        &self[..len.min(self.len())]
    }
}

/// Collects message chunks until a message is complete.
///
/// ```
/// use barews::assemble::{Assembler, Assembled};
/// use barews::connection::{DataKind, Event};
///
/// let mut storage = [0u8; 64];
/// let mut assembler = Assembler::new(&mut storage[..]);
/// let first = Event::Data { kind: DataKind::Text, payload: b"Hel", first: true, last: false };
/// let last = Event::Data { kind: DataKind::Text, payload: b"lo", first: false, last: true };
/// assert_eq!(assembler.push(&first), Ok(None));
/// assert_eq!(assembler.push(&last), Ok(Some(Assembled::Text("Hello"))));
/// ```
#[derive(Debug)]
pub struct Assembler<B> {
    storage: B,
    limit: usize,
    len: usize,
    kind: DataKind,
    /// The current message overflowed; its remaining chunks are dropped.
    skipping: bool,
}

impl<'a> Assembler<&'a mut [u8]> {
    /// An assembler for messages of up to `storage.len()` bytes, kept in
    /// `storage`. Nothing is allocated.
    pub fn new(storage: &'a mut [u8]) -> Self {
        let limit = storage.len();
        Assembler { storage, limit, len: 0, kind: DataKind::Binary, skipping: false }
    }
}

#[cfg(feature = "alloc")]
impl Assembler<alloc::vec::Vec<u8>> {
    /// An assembler for messages of up to `limit` bytes, kept in a `Vec`
    /// that grows as needed and is reused from message to message.
    pub fn with_limit(limit: usize) -> Self {
        Assembler {
            storage: alloc::vec::Vec::new(),
            limit,
            len: 0,
            kind: DataKind::Binary,
            skipping: false,
        }
    }
}

impl<B: Storage> Assembler<B> {
    /// Adds a [`Event::Data`] chunk and returns the message its last chunk
    /// completes. Other events are ignored (`Ok(None)`).
    ///
    /// A message larger than the storage fails once with
    /// [`AssembleError::TooLarge`]; its later chunks are dropped and the
    /// next message is assembled normally.
    pub fn push(&mut self, event: &Event<'_>) -> Result<Option<Assembled<'_>>, AssembleError> {
        let Event::Data { kind, payload, first, last } = *event else { return Ok(None) };
        if first {
            self.len = 0;
            self.kind = kind;
            self.skipping = false;
        }
        if self.skipping {
            return Ok(None);
        }
        if !self.storage.put(self.len, payload, self.limit) {
            self.skipping = !last;
            return Err(AssembleError::TooLarge { capacity: self.limit });
        }
        self.len += payload.len();
        if !last {
            return Ok(None);
        }
        let bytes = self.storage.prefix(self.len);
        Ok(Some(match self.kind {
            DataKind::Text => Assembled::Text(
                core::str::from_utf8(bytes).map_err(|_| AssembleError::InvalidUtf8)?,
            ),
            DataKind::Binary => Assembled::Binary(bytes),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(payload: &[u8], first: bool, last: bool) -> Event<'_> {
        Event::Data { kind: DataKind::Binary, payload, first, last }
    }

    #[test]
    fn messages_assemble_in_a_slice_and_the_slice_is_reused() {
        let mut storage = [0u8; 8];
        let mut assembler = Assembler::new(&mut storage[..]);
        assert_eq!(assembler.push(&data(b"ab", true, false)), Ok(None));
        assert_eq!(assembler.push(&Event::Ping(b"x")), Ok(None));
        assert_eq!(assembler.push(&data(b"cd", false, true)), Ok(Some(Assembled::Binary(b"abcd"))));
        assert_eq!(assembler.push(&data(b"", true, true)), Ok(Some(Assembled::Binary(b""))));
    }

    #[test]
    fn an_oversized_message_fails_once_and_the_next_one_assembles() {
        let mut storage = [0u8; 4];
        let mut assembler = Assembler::new(&mut storage[..]);
        assert_eq!(assembler.push(&data(b"abc", true, false)), Ok(None));
        assert_eq!(
            assembler.push(&data(b"de", false, false)),
            Err(AssembleError::TooLarge { capacity: 4 })
        );
        assert_eq!(assembler.push(&data(b"f", false, true)), Ok(None));
        assert_eq!(
            assembler.push(&data(b"wxyz", true, true)),
            Ok(Some(Assembled::Binary(b"wxyz")))
        );
    }

    #[test]
    fn text_must_be_utf8() {
        let mut storage = [0u8; 4];
        let mut assembler = Assembler::new(&mut storage[..]);
        let bad = Event::Data { kind: DataKind::Text, payload: b"\xff", first: true, last: true };
        assert_eq!(assembler.push(&bad), Err(AssembleError::InvalidUtf8));
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn a_vec_grows_up_to_its_limit() {
        let mut assembler = Assembler::with_limit(5);
        assert_eq!(assembler.push(&data(b"abc", true, false)), Ok(None));
        assert_eq!(
            assembler.push(&data(b"de", false, true)),
            Ok(Some(Assembled::Binary(b"abcde")))
        );
        assert_eq!(
            assembler.push(&data(b"abcdef", true, true)),
            Err(AssembleError::TooLarge { capacity: 5 })
        );
    }
}
