//! Streaming decompression into the caller's wrapping window.

use crate::error::ProtocolError;
use core::ops::Range;
use miniz_oxide::inflate::TINFLStatus;
use miniz_oxide::inflate::core::{DecompressorOxide, decompress_with_limit, inflate_flags};

/// The bytes RFC 7692 section 7.2.2 appends to a message's compressed
/// payload before inflating it.
pub(crate) const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// Where the decompressor's state is kept: on the heap (made when a
/// compressed message starts, given back when the peer's context ends)
/// with an allocator, inline without one.
#[cfg(feature = "alloc")]
type Held = alloc::boxed::Box<DecompressorOxide>;
#[cfg(not(feature = "alloc"))]
type Held = DecompressorOxide;

/// Fresh decompressor state.
fn fresh() -> Held {
    Held::default()
}

/// The decompressor of one connection, the caller's like the inflate
/// window it writes into, and lent with it to each
/// [`Connection::receive_inflating`](crate::connection::Connection::receive_inflating).
///
/// The window is the LZ77 history, so both must stay with the connection
/// while the peer's context lasts: for the whole connection with context
/// takeover, for one message when the peer resets after each
/// ([`Connection::inflater_idle`](crate::connection::Connection::inflater_idle)
/// says when they may be given back or reused by another connection). It
/// holds about 10 KiB of state while in use (boxed with the `alloc`
/// feature, and then nothing while idle).
#[derive(Default)]
pub struct Inflater {
    state: Option<Held>,
    /// Where the next output goes in the window.
    pos: usize,
}

impl core::fmt::Debug for Inflater {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Inflater")
            .field("active", &self.state.is_some())
            .field("pos", &self.pos)
            .finish()
    }
}

/// One decompression step.
pub(crate) struct Step {
    /// Input bytes used.
    pub(crate) used: usize,
    /// Where the new output lies in the window.
    pub(crate) output: Range<usize>,
    /// The decompressor holds more output for the same input.
    pub(crate) more_output: bool,
}

impl Inflater {
    /// An inflater holding no state yet.
    pub const fn new() -> Self {
        Inflater { state: None, pos: 0 }
    }

    /// Whether it holds decompressor state (a message or the peer's
    /// context is in it).
    pub const fn is_active(&self) -> bool {
        self.state.is_some()
    }

    /// Forgets everything: the state is given back (with an allocator)
    /// and the next message starts with no history.
    pub fn release(&mut self) {
        self.state = None;
        self.pos = 0;
    }

    /// Decompresses from `input` into `window`, contiguously from the
    /// current position (the next call continues at the window's start
    /// when this one reaches its end).
    pub(crate) fn inflate(
        &mut self,
        input: &[u8],
        window: &mut [u8],
    ) -> Result<Step, ProtocolError> {
        if !window.len().is_power_of_two() || self.pos >= window.len() {
            return Err(ProtocolError::InflateWindow);
        }
        let state = self.state.get_or_insert_with(fresh);
        let room = window.len() - self.pos;
        let flags = inflate_flags::TINFL_FLAG_HAS_MORE_INPUT;
        let (status, used, written) =
            decompress_with_limit(state, input, window, self.pos, room, flags);
        let output = self.pos..self.pos + written;
        self.pos = (self.pos + written) % window.len();
        let more_output = match status {
            TINFLStatus::NeedsMoreInput => false,
            TINFLStatus::HasMoreOutput => true,
            // The peer ended its DEFLATE stream (a final block). What
            // follows starts a new stream over the same history.
            TINFLStatus::Done => {
                *state = fresh();
                false
            }
            _ => return Err(ProtocolError::InvalidCompressedData),
        };
        Ok(Step { used, output, more_output })
    }
}
