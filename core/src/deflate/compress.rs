//! Compressing outgoing messages.

use crate::BufferTooSmall;
use alloc::boxed::Box;
use miniz_oxide::deflate::core::{
    CompressorOxide, TDEFLFlush, TDEFLStatus, compress, create_comp_flags_from_zip_params,
};

use super::inflate::TAIL;

/// The compressor of this end: created on the first compressed message.
pub(crate) struct Compressor {
    state: Option<Box<CompressorOxide>>,
    level: u8,
    /// Reset after each message (no context takeover).
    reset_each_message: bool,
    /// The largest window this end may use, in bits.
    window_bits: u8,
}

impl Compressor {
    pub(crate) fn new(level: u8, reset_each_message: bool, window_bits: u8) -> Self {
        Compressor { state: None, level, reset_each_message, window_bits }
    }

    /// Input is compressed in segments of this size, the dictionary reset
    /// between them, so that no back-reference reaches farther than an
    /// agreed window smaller than DEFLATE's 32 KiB.
    fn segment(&self) -> usize {
        if self.window_bits < 15 { 1 << self.window_bits } else { usize::MAX }
    }

    /// An upper bound on the compressed size of `len` bytes.
    pub(crate) fn bound(&self, len: usize) -> usize {
        // Stored blocks cost 5 bytes per 64 KiB; each flush adds an empty
        // stored block; a segment may add a block header and padding.
        let segments = len / self.segment().min(len.max(1)) + 1;
        len + len / 16_384 * 5 + segments * 16 + 64
    }

    /// Compresses a whole message into `out`, without the final
    /// `00 00 ff ff` (RFC 7692 section 7.2.1), and returns the length.
    /// `out` must hold [`bound`](Self::bound) bytes; nothing changes when
    /// it does not.
    pub(crate) fn compress_message(
        &mut self,
        payload: &[u8],
        out: &mut [u8],
    ) -> Result<usize, BufferTooSmall> {
        let required = self.bound(payload.len());
        if out.len() < required {
            return Err(BufferTooSmall { required });
        }
        let level = i32::from(self.level);
        let segment = self.segment();
        let state = self.state.get_or_insert_with(|| {
            // Negative window bits: raw DEFLATE, no zlib header.
            let flags = create_comp_flags_from_zip_params(level, -15, 0);
            Box::new(CompressorOxide::new(flags))
        });
        // A full flush also resets the dictionary: needed between segments
        // and after the message when the window is limited.
        let flush = if self.window_bits < 15 { TDEFLFlush::Full } else { TDEFLFlush::Sync };
        let mut written = 0;
        let mut pieces = payload.chunks(segment).peekable();
        let empty: &[u8] = &[];
        let mut first = if payload.is_empty() { Some(empty) } else { None };
        while let Some(piece) = first.take().or_else(|| pieces.next()) {
            let mut input = piece;
            loop {
                let (status, used, produced) =
                    compress(state, input, &mut out[written..required], flush);
                written += produced;
                input = &input[used..];
                if status != TDEFLStatus::Okay || input.is_empty() {
                    break;
                }
            }
        }
        if self.reset_each_message {
            state.reset();
        }
        if out[..written].ends_with(&TAIL) {
            written -= TAIL.len();
        }
        Ok(written)
    }
}
