//! Compressing outgoing messages: LZ77 over a history no larger than the
//! negotiated window, written with DEFLATE's fixed Huffman code, or as
//! stored blocks when that is smaller.
//!
//! The [`Compressor`] is the caller's: it lives in memory the caller gives
//! it and is lent to each send. One that keeps context belongs to one
//! connection; one that does not ([`Context::Reset`]) can serve every
//! connection of a thread, whatever each negotiated, since an end may
//! always compress a message on its own (context takeover is allowed,
//! never required) and the window is applied per message.

mod block;
mod encode;
#[cfg(any(feature = "alloc", test))]
mod huffman;
mod matcher;

use crate::BufferTooSmall;
use block::{FixedSink, token_area};
use encode::{stored_len, write_stored};
use matcher::{Behind, Effort, Heads, find_symbols};

/// Whether a [`Compressor`] remembers earlier messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// It keeps the end of what it sent as history for the next message
    /// (context takeover): better ratio on similar messages, and memory
    /// for the history held by each connection.
    Kept,
    /// Each message is compressed on its own: no history is held, so one
    /// compressor can be shared by many connections.
    Reset,
}

/// Sizes and effort for a level.
#[derive(Debug, Clone, Copy)]
struct Tuning {
    /// Bits of the hash table (2 bytes per bucket).
    hash_bits: u8,
    /// The most history kept, in bits (capped by the window).
    history_bits: u8,
    effort: Effort,
}

/// The level's tuning for windows of `window_bits` and `context`: a
/// compressor shared by many connections (one that keeps no context) gets
/// a four times larger hash table, as it is paid for once per thread; no
/// table has more than two buckets per position of the largest window.
const fn tuning(level: u8, window_bits: u8, context: Context) -> Tuning {
    let mut tuning = level_tuning(level);
    if let Context::Reset = context {
        tuning.hash_bits += 2;
    }
    let cap = clamp_bits(window_bits) + 1;
    if tuning.hash_bits > cap {
        tuning.hash_bits = cap;
    }
    tuning
}

const fn level_tuning(level: u8) -> Tuning {
    match level {
        0..=3 => Tuning {
            hash_bits: 11,
            history_bits: 13,
            effort: Effort { skip_on_misses: true, index_inside_matches: false },
        },
        4..=6 => Tuning {
            hash_bits: 12,
            history_bits: 14,
            effort: Effort { skip_on_misses: false, index_inside_matches: true },
        },
        _ => Tuning {
            hash_bits: 13,
            history_bits: 15,
            effort: Effort { skip_on_misses: false, index_inside_matches: true },
        },
    }
}

/// A permessage-deflate compressor in memory the caller provides: a hash
/// table sized by the level and, when it keeps context, a history of at
/// most 2^window bits bytes (less at low levels). See
/// [`memory_size`](Self::memory_size).
///
/// ```
/// use barews::deflate::{Compressor, Context};
///
/// // Memory for 9-bit windows at level 1, keeping context: 2.5 KiB.
/// let mut memory = [0u8; Compressor::<&mut [u8]>::memory_size(9, 1, Context::Kept)];
/// let mut compressor = Compressor::in_memory(&mut memory[..], 9, 1, Context::Kept)?;
/// let mut out = [0u8; Compressor::<&mut [u8]>::bound(12)];
/// let n = compressor.compress(b"Hello Hello!", &mut out, 9)?;
/// assert!(n < 12);
/// # Ok::<(), barews::BufferTooSmall>(())
/// ```
#[derive(Debug)]
pub struct Compressor<M> {
    memory: M,
    level: u8,
    context: Context,
    tuning: Tuning,
    /// How much history the memory holds at most.
    history_cap: usize,
    /// How much history it holds now.
    history_len: usize,
    /// The stream position of the next byte (wrapping).
    position: u32,
}

impl<M: AsRef<[u8]> + AsMut<[u8]>> Compressor<M> {
    /// The memory a compressor needs for windows of up to `window_bits`
    /// (8-15), `level` (0-9) and `context`. When it keeps context: a hash
    /// table of 4 KiB at levels 1-3 (8 KiB at 4-6, 16 KiB at 7-9) and a
    /// history of 2^`window_bits` bytes, at most 8 KiB at levels 1-3
    /// (16 KiB at 4-6): 12 KiB at level 1 and 15 bits. When it keeps none
    /// (shared by a thread): only the hash table, four times as large. No
    /// table exceeds 4 bytes per byte of window (2 KiB for 9 bits). Level
    /// 0 stores and needs none.
    pub const fn memory_size(window_bits: u8, level: u8, context: Context) -> usize {
        if level == 0 {
            return 0;
        }
        let tuning = tuning(level, window_bits, context);
        let history = match context {
            Context::Kept => history_cap(window_bits, tuning.history_bits),
            Context::Reset => 0,
        };
        (2usize << tuning.hash_bits) + history
    }

    /// A compressor over `memory`, which must hold
    /// [`memory_size`](Self::memory_size) bytes (zeroed or not: any
    /// content is safe).
    pub fn in_memory(
        memory: M,
        window_bits: u8,
        level: u8,
        context: Context,
    ) -> Result<Self, BufferTooSmall> {
        let required = Self::memory_size(window_bits, level, context);
        if memory.as_ref().len() < required {
            return Err(BufferTooSmall { required });
        }
        Ok(Self::over(memory, window_bits, level, context))
    }

    /// A compressor over `memory`, already checked to be large enough.
    fn over(memory: M, window_bits: u8, level: u8, context: Context) -> Self {
        let tuning = tuning(level, window_bits, context);
        let history_cap = match context {
            Context::Kept if level > 0 => history_cap(window_bits, tuning.history_bits),
            _ => 0,
        };
        Compressor {
            memory,
            level: if level > 9 { 9 } else { level },
            context,
            tuning,
            history_cap,
            history_len: 0,
            position: 0,
        }
    }

    /// The memory it works in.
    pub fn memory(&self) -> &M {
        &self.memory
    }

    /// Whether it keeps context between messages.
    pub const fn context(&self) -> Context {
        self.context
    }

    /// The compression level (0-9).
    pub const fn level(&self) -> u8 {
        self.level
    }

    /// The most bytes [`compress`](Self::compress) writes for a `len`-byte
    /// message: the size of `len` bytes in stored blocks.
    pub const fn bound(len: usize) -> usize {
        stored_len(len)
    }

    /// The room [`compress`](Self::compress) works best with for a
    /// `len`-byte message: [`bound`](Self::bound) and, behind it, room to
    /// gather a block of symbols (3 bytes per input byte, at most 48 KiB)
    /// so that blocks get Huffman codes made for them (with the `alloc`
    /// feature). With only `bound` bytes it writes the fixed codes.
    pub const fn preferred_room(len: usize) -> usize {
        stored_len(len) + token_area(len)
    }

    /// Forgets earlier messages: the next one is compressed on its own.
    pub fn reset(&mut self) {
        self.history_len = 0;
    }

    /// Compresses a whole message into `out` as RFC 7692 section 7.2.1
    /// asks: raw DEFLATE ending at a byte boundary with the `00 00 ff ff`
    /// of the final empty block removed. No back-reference reaches more
    /// than 2^`window_bits` bytes back (8-15; the window the receiver
    /// agreed to). `out` must hold [`bound`](Self::bound) bytes; nothing
    /// changes when it does not. With
    /// [`preferred_room`](Self::preferred_room) bytes (and the `alloc`
    /// feature), each block gets the smaller of Huffman codes made for it
    /// and the fixed ones; otherwise the fixed codes. The output is at
    /// the start of `out`.
    pub fn compress(
        &mut self,
        payload: &[u8],
        out: &mut [u8],
        window_bits: u8,
    ) -> Result<usize, BufferTooSmall> {
        let required = Self::bound(payload.len());
        if out.len() < required {
            return Err(BufferTooSmall { required });
        }
        let (out, tokens) = out.split_at_mut(required);
        let written =
            if self.level == 0 { None } else { self.encode(payload, out, tokens, window_bits) };
        let written = match written {
            Some(n) => n,
            None => write_stored(payload, out),
        };
        self.remember(payload);
        Ok(written)
    }

    /// Writes `payload`'s symbols into `out` (whose length is what stored
    /// blocks would take): in blocks with codes of their own when
    /// `tokens` has room to gather them (with the `alloc` feature), else
    /// with the fixed codes. `None` if that came out larger than `out`.
    fn encode(
        &mut self,
        payload: &[u8],
        out: &mut [u8],
        tokens: &mut [u8],
        window_bits: u8,
    ) -> Option<usize> {
        let limit = out.len();
        let heads_len = 2usize << self.tuning.hash_bits;
        let (heads, history) = self.memory.as_mut().split_at_mut(heads_len);
        let mut heads = Heads { bytes: heads, bits: self.tuning.hash_bits };
        let behind = Behind {
            history: &history[..self.history_len],
            position: self.position,
            max_distance: 1usize << clamp_bits(window_bits),
        };
        let effort = self.tuning.effort;
        // Gathering blocks links code a microcontroller's fixed send
        // buffer never has room to use (7 KB of flash, 10 KB of stack).
        #[cfg(any(feature = "alloc", test))]
        if tokens.len() >= block::token_area(payload.len()) {
            let mut sink = block::BlockSink::new(out, limit, tokens);
            find_symbols(&mut sink, &mut heads, &behind, payload, effort);
            return sink.finish();
        }
        let _ = tokens;
        let mut sink = FixedSink::new(out, limit);
        find_symbols(&mut sink, &mut heads, &behind, payload, effort);
        sink.finish()
    }

    /// Keeps the end of what was just compressed as history, and moves
    /// the stream position past it.
    // Stream positions wrap by design.
    #[allow(clippy::cast_possible_truncation)]
    fn remember(&mut self, payload: &[u8]) {
        self.position = self.position.wrapping_add(payload.len() as u32);
        if self.history_cap == 0 {
            return;
        }
        let heads_len = 2usize << self.tuning.hash_bits;
        let history = &mut self.memory.as_mut()[heads_len..heads_len + self.history_cap];
        let cap = self.history_cap;
        if payload.len() >= cap {
            history.copy_from_slice(&payload[payload.len() - cap..]);
            self.history_len = cap;
        } else {
            let keep = (cap - payload.len()).min(self.history_len);
            history.copy_within(self.history_len - keep..self.history_len, 0);
            history[keep..keep + payload.len()].copy_from_slice(payload);
            self.history_len = keep + payload.len();
        }
    }
}

// Also in the core's own tests, whatever the features.
#[cfg(any(feature = "alloc", test))]
impl Compressor<alloc::vec::Vec<u8>> {
    /// A compressor in memory of its own (zeroed, on the heap): see
    /// [`memory_size`](Self::memory_size).
    pub fn new(window_bits: u8, level: u8, context: Context) -> Self {
        let memory = alloc::vec![0; Self::memory_size(window_bits, level, context)];
        Self::over(memory, window_bits, level, context)
    }
}

/// History bytes for a window and a level's cap.
const fn history_cap(window_bits: u8, level_bits: u8) -> usize {
    let bits = clamp_bits(window_bits);
    1 << if bits < level_bits { bits } else { level_bits }
}

/// Window bits within DEFLATE's 8-15.
const fn clamp_bits(bits: u8) -> u8 {
    if bits < 8 {
        8
    } else if bits > 15 {
        15
    } else {
        bits
    }
}

#[cfg(test)]
mod tests;
