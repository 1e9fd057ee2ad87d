//! Errors shared by every part of the core.

use core::fmt;

/// The caller's output buffer cannot hold what the core has to write.
///
/// The buffer is left untouched; call again with at least `required`
/// bytes of room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferTooSmall {
    /// Bytes the output needs.
    pub required: usize,
}

impl fmt::Display for BufferTooSmall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "output buffer too small: {} bytes required", self.required)
    }
}

impl core::error::Error for BufferTooSmall {}
