//! The two ways symbols become DEFLATE blocks: straight out with the fixed
//! codes ([`FixedSink`]), or gathered in a token area and written as
//! blocks with codes made for them (dynamic Huffman, RFC 1951 section
//! 3.2.7), or fixed when that is smaller ([`BlockSink`]).

use super::encode::{BitWriter, FIXED, back_reference, literal};
#[cfg(any(feature = "alloc", test))]
use super::encode::{Codes, distance_code, length_code};
#[cfg(any(feature = "alloc", test))]
use super::huffman::{canonical, code_lengths};
use super::matcher::Sink;

/// Writes symbols as they come with the fixed codes, in one block.
pub(super) struct FixedSink<'a> {
    pub(super) w: BitWriter<'a>,
    /// Give up past this many bytes.
    pub(super) limit: usize,
}

impl<'a> FixedSink<'a> {
    /// Starts the block.
    pub(super) fn new(out: &'a mut [u8], limit: usize) -> Self {
        let mut w = BitWriter::new(out);
        // BFINAL 0, BTYPE 01.
        w.put(0b010, 3);
        FixedSink { w, limit }
    }

    /// Ends the block and the message (see [`end_message`]); the length,
    /// `None` if it gave up.
    pub(super) fn finish(mut self) -> Option<usize> {
        // End of block: seven zero bits in the fixed code.
        self.w.put(0, 7);
        end_message(&mut self.w);
        self.w.finish().filter(|&n| n <= self.limit)
    }
}

impl Sink for FixedSink<'_> {
    #[inline]
    fn literal(&mut self, byte: u8) {
        literal(&mut self.w, &FIXED, byte);
    }

    #[inline]
    fn back_reference(&mut self, len: usize, distance: usize) {
        back_reference(&mut self.w, &FIXED, len, distance);
    }

    #[inline]
    fn gave_up(&self) -> bool {
        self.w.exceeds(self.limit)
    }
}

/// Writes the header of an empty stored block (BFINAL 0, BTYPE 00): with
/// the padding to a byte, all of it that RFC 7692 leaves of the block once
/// its `00 00 ff ff` is removed.
fn end_message(w: &mut BitWriter<'_>) {
    w.put(0, 3);
}

/// Bytes per token in the token area.
const TOKEN: usize = 3;

/// The most tokens in one block: their counts fit 16 bits.
const MAX_BLOCK_TOKENS: usize = 16 * 1024;

/// The token area for `len` bytes of input: room for a block of tokens
/// (one per input byte at most).
pub(super) const fn token_area(len: usize) -> usize {
    let tokens = if len < MAX_BLOCK_TOKENS { len } else { MAX_BLOCK_TOKENS };
    (tokens + 1) * TOKEN
}

#[cfg(any(feature = "alloc", test))]
/// Gathers symbols as tokens and their frequencies, and writes them a
/// block at a time, each with the smaller of its own codes and the fixed
/// ones.
pub(super) struct BlockSink<'a, 't> {
    w: BitWriter<'a>,
    limit: usize,
    /// Three bytes per token: a literal byte, or 256 plus the length less
    /// 3 (shifted by 15) and the distance less 1.
    tokens: &'t mut [u8],
    count: usize,
    /// The most tokens a block holds here.
    capacity: usize,
    litlen_freq: [u16; 286],
    dist_freq: [u16; 30],
}

#[cfg(any(feature = "alloc", test))]
impl<'a, 't> BlockSink<'a, 't> {
    /// A sink writing into `out` and gathering tokens in `tokens` (at
    /// least three bytes).
    pub(super) fn new(out: &'a mut [u8], limit: usize, tokens: &'t mut [u8]) -> Self {
        let capacity = (tokens.len() / TOKEN).clamp(1, MAX_BLOCK_TOKENS);
        BlockSink {
            w: BitWriter::new(out),
            limit,
            tokens,
            count: 0,
            capacity,
            litlen_freq: [0; 286],
            dist_freq: [0; 30],
        }
    }

    /// Writes the last block and ends the message; the length, `None` if
    /// it gave up.
    pub(super) fn finish(mut self) -> Option<usize> {
        self.write_block();
        end_message(&mut self.w);
        self.w.finish().filter(|&n| n <= self.limit)
    }

    /// Stores a token; the block is written first when it is full (so the
    /// token and its frequencies go to the next one).
    fn push(&mut self, value: u32, litlen_symbol: usize, dist_symbol: Option<usize>) {
        if self.count == self.capacity {
            self.write_block();
        }
        let at = self.count * TOKEN;
        if let Some(slot) = self.tokens.get_mut(at..at + TOKEN) {
            slot.copy_from_slice(&value.to_le_bytes()[..TOKEN]);
            self.count += 1;
            self.litlen_freq[litlen_symbol] += 1;
            if let Some(symbol) = dist_symbol {
                self.dist_freq[symbol] += 1;
            }
        }
    }

    /// Writes the tokens gathered as one block, and starts the next.
    fn write_block(&mut self) {
        if self.count == 0 || self.w.exceeds(self.limit) {
            self.count = 0;
            return;
        }
        self.litlen_freq[256] = 1;
        let mut dynamic = Dynamic::new();
        let fits = dynamic.plan(&self.litlen_freq, &self.dist_freq);
        let fixed_bits = 3 + cost(&self.litlen_freq, &self.dist_freq, &FIXED);
        let codes = if fits && dynamic.bits(&self.litlen_freq, &self.dist_freq) < fixed_bits {
            dynamic.write_header(&mut self.w);
            &dynamic.codes
        } else {
            self.w.put(0b010, 3);
            &FIXED
        };
        for token in self.tokens.chunks_exact(TOKEN).take(self.count) {
            let value = u32::from_le_bytes([token[0], token[1], token[2], 0]);
            if value < 256 {
                literal(&mut self.w, codes, value.to_le_bytes()[0]);
            } else {
                let packed = value - 256;
                let len = (packed >> 15) as usize + 3;
                let distance = (packed & 0x7fff) as usize + 1;
                back_reference(&mut self.w, codes, len, distance);
            }
        }
        let (eob, eob_len) = codes.litlen[256];
        self.w.put(u32::from(eob), u32::from(eob_len));
        self.count = 0;
        self.litlen_freq = [0; 286];
        self.dist_freq = [0; 30];
    }
}

#[cfg(any(feature = "alloc", test))]
impl Sink for BlockSink<'_, '_> {
    #[inline]
    fn literal(&mut self, byte: u8) {
        self.push(u32::from(byte), usize::from(byte), None);
    }

    #[inline]
    fn back_reference(&mut self, len: usize, distance: usize) {
        let (symbol, _, _) = length_code(len);
        let (dsymbol, _, _) = distance_code(distance);
        // `len` is at most 258 and `distance` at most 32768: 23 bits.
        let packed = (u32::try_from(len - 3).unwrap_or_default() << 15)
            | u32::try_from(distance - 1).unwrap_or_default();
        self.push(256 + packed, symbol, Some(dsymbol as usize));
    }

    #[inline]
    fn gave_up(&self) -> bool {
        self.w.exceeds(self.limit)
    }
}

#[cfg(any(feature = "alloc", test))]
/// The bits the symbols counted in `litlen` and `dist` take with `codes`,
/// extra bits left out (they are the same with any codes).
fn cost(litlen: &[u16; 286], dist: &[u16; 30], codes: &Codes) -> usize {
    let litlen_bits: usize =
        litlen.iter().zip(&codes.litlen).map(|(&f, &(_, l))| usize::from(f) * usize::from(l)).sum();
    let dist_bits: usize =
        dist.iter().zip(&codes.dist).map(|(&f, &(_, l))| usize::from(f) * usize::from(l)).sum();
    litlen_bits + dist_bits
}

#[cfg(any(feature = "alloc", test))]
/// The order code-length code lengths are sent in (RFC 1951 section
/// 3.2.7).
const CL_ORDER: [usize; 19] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

#[cfg(any(feature = "alloc", test))]
/// A dynamic block's codes and the header that describes them.
struct Dynamic {
    codes: Codes,
    /// How many literal/length and distance code lengths are sent.
    litlen_count: usize,
    dist_count: usize,
    /// The code lengths, run-length coded: (code-length symbol, extra).
    runs: [(u8, u8); 286 + 30],
    run_count: usize,
    cl_codes: [(u16, u8); 19],
    /// How many code-length code lengths are sent.
    cl_count: usize,
}

#[cfg(any(feature = "alloc", test))]
impl Dynamic {
    fn new() -> Self {
        Dynamic {
            codes: Codes { litlen: [(0, 0); 288], dist: [(0, 0); 30] },
            litlen_count: 257,
            dist_count: 1,
            runs: [(0, 0); 286 + 30],
            run_count: 0,
            cl_codes: [(0, 0); 19],
            cl_count: 4,
        }
    }

    /// Makes the codes for these frequencies and the header's runs;
    /// `false` if a code could not be kept within DEFLATE's limits.
    fn plan(&mut self, litlen_freq: &[u16; 286], dist_freq: &[u16; 30]) -> bool {
        let mut litlen_len = [0u8; 286];
        let mut dist_len = [0u8; 30];
        if !code_lengths(litlen_freq, 15, &mut litlen_len)
            || !code_lengths(dist_freq, 15, &mut dist_len)
        {
            return false;
        }
        canonical(&litlen_len, &mut self.codes.litlen);
        canonical(&dist_len, &mut self.codes.dist);
        self.litlen_count = 257.max(last_used(&litlen_len));
        self.dist_count = 1.max(last_used(&dist_len));
        let mut lengths = [0u8; 286 + 30];
        lengths[..self.litlen_count].copy_from_slice(&litlen_len[..self.litlen_count]);
        let all = self.litlen_count + self.dist_count;
        lengths[self.litlen_count..all].copy_from_slice(&dist_len[..self.dist_count]);
        self.run_count = run_lengths(&lengths[..all], &mut self.runs);
        let mut cl_freq = [0u16; 19];
        for &(symbol, _) in &self.runs[..self.run_count] {
            cl_freq[usize::from(symbol)] += 1;
        }
        let mut cl_len = [0u8; 19];
        if !code_lengths(&cl_freq, 7, &mut cl_len) {
            return false;
        }
        canonical(&cl_len, &mut self.cl_codes);
        self.cl_count = 4.max(CL_ORDER.iter().rposition(|&s| cl_len[s] > 0).map_or(0, |i| i + 1));
        true
    }

    /// The bits the block takes with these codes, extra bits of matches
    /// left out.
    fn bits(&self, litlen_freq: &[u16; 286], dist_freq: &[u16; 30]) -> usize {
        let runs: usize = self.runs[..self.run_count]
            .iter()
            .map(|&(symbol, _)| {
                usize::from(self.cl_codes[usize::from(symbol)].1) + run_extra(symbol)
            })
            .sum();
        3 + 5 + 5 + 4 + 3 * self.cl_count + runs + cost(litlen_freq, dist_freq, &self.codes)
    }

    /// Writes the block's header: type, counts, the code-length code and
    /// the run-length coded code lengths.
    fn write_header(&self, w: &mut BitWriter<'_>) {
        // BFINAL 0, BTYPE 10.
        w.put(0b100, 3);
        let counts = [self.litlen_count - 257, self.dist_count - 1, self.cl_count - 4];
        for (count, bits) in counts.into_iter().zip([5, 5, 4]) {
            w.put(u32::try_from(count).unwrap_or_default(), bits);
        }
        for &symbol in &CL_ORDER[..self.cl_count] {
            w.put(u32::from(self.cl_codes[symbol].1), 3);
        }
        for &(symbol, extra) in &self.runs[..self.run_count] {
            let (code, len) = self.cl_codes[usize::from(symbol)];
            w.put(u32::from(code), u32::from(len));
            let extra_bits = u32::try_from(run_extra(symbol)).unwrap_or_default();
            if extra_bits > 0 {
                w.put(u32::from(extra), extra_bits);
            }
        }
    }
}

#[cfg(any(feature = "alloc", test))]
/// One past the last symbol with a code.
fn last_used(lengths: &[u8]) -> usize {
    lengths.iter().rposition(|&l| l > 0).map_or(0, |i| i + 1)
}

#[cfg(any(feature = "alloc", test))]
/// The extra bits after a code-length symbol: 2 for 16 (repeat the last
/// 3-6 times), 3 for 17 (3-10 zeros), 7 for 18 (11-138 zeros).
fn run_extra(symbol: u8) -> usize {
    match symbol {
        16 => 2,
        17 => 3,
        18 => 7,
        _ => 0,
    }
}

#[cfg(any(feature = "alloc", test))]
/// Run-length codes `lengths` with the code-length alphabet into `runs`;
/// returns how many.
fn run_lengths(lengths: &[u8], runs: &mut [(u8, u8); 286 + 30]) -> usize {
    let mut count = 0;
    let mut push = |symbol: u8, extra: u8| {
        if let Some(slot) = runs.get_mut(count) {
            *slot = (symbol, extra);
            count += 1;
        }
    };
    let mut at = 0;
    while at < lengths.len() {
        let value = lengths[at];
        let run = lengths[at..].iter().take_while(|&&l| l == value).count();
        let mut left = run;
        if value == 0 {
            while left >= 11 {
                let n = left.min(138);
                push(18, u8::try_from(n - 11).unwrap_or_default());
                left -= n;
            }
            if left >= 3 {
                push(17, u8::try_from(left - 3).unwrap_or_default());
                left = 0;
            }
        } else {
            push(value, 0);
            left -= 1;
            while left >= 3 {
                let n = left.min(6);
                push(16, u8::try_from(n - 3).unwrap_or_default());
                left -= n;
            }
        }
        for _ in 0..left {
            push(value, 0);
        }
        at += run;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inflates raw DEFLATE `data` ending like a permessage-deflate
    /// message (RFC 7692's tail appended).
    fn inflate(data: &[u8]) -> std::vec::Vec<u8> {
        use miniz_oxide::inflate::core::{DecompressorOxide, decompress, inflate_flags};
        let mut input = data.to_vec();
        input.extend_from_slice(&[0, 0, 0xff, 0xff]);
        let mut out = std::vec![0u8; 1024];
        let flags = inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF
            | inflate_flags::TINFL_FLAG_HAS_MORE_INPUT;
        let (_, _, written) = decompress(&mut DecompressorOxide::new(), &input, &mut out, 0, flags);
        out.truncate(written);
        out
    }

    #[test]
    fn a_symbol_first_seen_by_a_new_block_gets_a_code_in_it() {
        // Four tokens a block: the fifth starts the second block, with a
        // byte the first never had.
        let mut out = [0u8; 256];
        let mut tokens = [0u8; 4 * TOKEN];
        let mut sink = BlockSink::new(&mut out, 256, &mut tokens);
        for &byte in b"aaaaz" {
            sink.literal(byte);
        }
        sink.back_reference(4, 5);
        let n = sink.finish().unwrap();
        assert_eq!(inflate(&out[..n]), b"aaaazaaaa");
    }

    #[test]
    fn runs_of_code_lengths_use_the_repeat_symbols() {
        let mut lengths = [0u8; 40];
        lengths[..8].fill(5);
        lengths[8] = 3;
        // lengths[9..40]: 31 zeros.
        let mut runs = [(0u8, 0u8); 286 + 30];
        let n = run_lengths(&lengths, &mut runs);
        // 5, then 16 (x6: 3 + 3), 16 (x1 left: plain 5), 3, then 18 (31 - 11).
        assert_eq!(&runs[..n], &[(5, 0), (16, 3), (5, 0), (3, 0), (18, 20)]);
    }
}
