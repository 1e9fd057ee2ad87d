//! Streaming decompression into the caller's wrapping window.

use crate::error::ProtocolError;
use alloc::boxed::Box;
use core::ops::Range;
use miniz_oxide::inflate::TINFLStatus;
use miniz_oxide::inflate::core::{DecompressorOxide, decompress_with_limit, inflate_flags};

/// The bytes RFC 7692 section 7.2.2 appends to a message's compressed
/// payload before inflating it.
pub(crate) const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// The inflater of one direction: the decompressor's state and where its
/// next output goes in the caller's window. The window itself is the LZ77
/// history, so it must be the same bytes on every call.
pub(crate) struct Inflater {
    state: Box<DecompressorOxide>,
    pos: usize,
    /// The peer resets its compressor after each message.
    reset_each_message: bool,
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
    pub(crate) fn new(reset_each_message: bool) -> Self {
        Inflater { state: Box::default(), pos: 0, reset_each_message }
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
        let room = window.len() - self.pos;
        let flags = inflate_flags::TINFL_FLAG_HAS_MORE_INPUT;
        let (status, used, written) =
            decompress_with_limit(&mut self.state, input, window, self.pos, room, flags);
        let output = self.pos..self.pos + written;
        self.pos = (self.pos + written) % window.len();
        let more_output = match status {
            TINFLStatus::NeedsMoreInput => false,
            TINFLStatus::HasMoreOutput => true,
            // The peer ended its DEFLATE stream (a final block). What
            // follows starts a new stream over the same history.
            TINFLStatus::Done => {
                *self.state = DecompressorOxide::new();
                false
            }
            _ => return Err(ProtocolError::InvalidCompressedData),
        };
        Ok(Step { used, output, more_output })
    }

    /// A message ended: without context takeover, the next one starts
    /// with no history.
    pub(crate) fn end_message(&mut self) {
        if self.reset_each_message {
            *self.state = DecompressorOxide::new();
            self.pos = 0;
        }
    }
}
