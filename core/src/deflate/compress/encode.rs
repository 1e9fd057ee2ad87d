//! Writing DEFLATE (RFC 1951 section 3.2): a bit writer, Huffman codes
//! (the fixed ones, or a block's own), symbols, and stored blocks.

/// Writes bits least significant first into a byte slice, refusing to go
/// past its end (the caller then falls back to stored blocks).
pub(super) struct BitWriter<'a> {
    out: &'a mut [u8],
    /// Bytes written out so far.
    len: usize,
    /// Bits not yet written out, the oldest lowest.
    acc: u64,
    /// How many bits `acc` holds (under 8 after each flush).
    bits: u32,
    /// The output did not fit.
    overflowed: bool,
}

impl<'a> BitWriter<'a> {
    pub(super) fn new(out: &'a mut [u8]) -> Self {
        BitWriter { out, len: 0, acc: 0, bits: 0, overflowed: false }
    }

    /// Appends the low `count` bits of `value` (`count` at most 32).
    #[inline]
    pub(super) fn put(&mut self, value: u32, count: u32) {
        self.acc |= u64::from(value) << self.bits;
        self.bits += count;
        if self.bits >= 32 {
            self.flush_whole_bytes();
        }
    }

    /// Moves the whole bytes of the accumulator into the output.
    fn flush_whole_bytes(&mut self) {
        let whole_bits = self.bits / 8 * 8;
        let whole = (whole_bits / 8) as usize;
        let bytes = self.acc.to_le_bytes();
        match self.out.get_mut(self.len..self.len + whole) {
            Some(dst) => {
                dst.copy_from_slice(&bytes[..whole]);
                self.len += whole;
            }
            None => self.overflowed = true,
        }
        self.acc = if whole == 8 { 0 } else { self.acc >> whole_bits };
        self.bits -= whole_bits;
    }

    /// Pads with zero bits to a byte boundary and writes everything out;
    /// returns the length, or `None` if the output did not fit.
    pub(super) fn finish(mut self) -> Option<usize> {
        self.bits = self.bits.next_multiple_of(8);
        self.flush_whole_bytes();
        if self.overflowed { None } else { Some(self.len) }
    }

    /// Whether more than `limit` bytes are out already.
    pub(super) fn exceeds(&self, limit: usize) -> bool {
        self.overflowed || self.len > limit
    }
}

/// Reverses the low `count` bits of `code`: Huffman codes go out most
/// significant bit first inside the least-significant-first stream.
const fn reverse(code: u16, count: u32) -> u16 {
    code.reverse_bits() >> (16 - count)
}

/// A Huffman code for each literal/length symbol and each distance
/// symbol: bit-reversed code and length.
#[derive(Clone)]
pub(super) struct Codes {
    pub(super) litlen: [(u16, u8); 288],
    pub(super) dist: [(u16, u8); 30],
}

/// The fixed codes (RFC 1951 section 3.2.6).
// Symbols are under 288 and lengths under 10: the casts are exact.
#[allow(clippy::cast_possible_truncation)]
pub(super) const FIXED: Codes = {
    let mut litlen = [(0u16, 0u8); 288];
    let mut symbol = 0;
    while symbol < 288 {
        let (code, len) = match symbol {
            0..=143 => (0x30 + symbol as u16, 8),
            144..=255 => (0x190 + (symbol - 144) as u16, 9),
            256..=279 => ((symbol - 256) as u16, 7),
            _ => (0xc0 + (symbol - 280) as u16, 8),
        };
        litlen[symbol] = (reverse(code, len), len as u8);
        symbol += 1;
    }
    let mut dist = [(0u16, 0u8); 30];
    let mut symbol = 0;
    while symbol < 30 {
        dist[symbol] = (reverse(symbol as u16, 5), 5);
        symbol += 1;
    }
    Codes { litlen, dist }
};

/// The length code (257-285) of a match of `len` bytes (3-258), its extra
/// bits and their count.
// `len` is at most 258: the cast is exact.
#[allow(clippy::cast_possible_truncation)]
#[inline]
pub(super) fn length_code(len: usize) -> (usize, u32, u32) {
    let l = (len - 3) as u32;
    if l < 8 {
        (257 + l as usize, 0, 0)
    } else if l == 255 {
        (285, 0, 0)
    } else {
        let top = l.ilog2();
        let extra = top - 2;
        let code = 257 + 4 * (top - 1) + ((l >> extra) & 3);
        (code as usize, l & ((1 << extra) - 1), extra)
    }
}

/// The distance code (0-29) of a distance (1-32768), its extra bits and
/// their count.
// `distance` is at most 32768: the cast is exact.
#[allow(clippy::cast_possible_truncation)]
#[inline]
pub(super) fn distance_code(distance: usize) -> (u32, u32, u32) {
    let d = (distance - 1) as u32;
    if d < 4 {
        (d, 0, 0)
    } else {
        let top = d.ilog2();
        let extra = top - 1;
        (2 * top + ((d >> extra) & 1), d & ((1 << extra) - 1), extra)
    }
}

/// Writes one literal byte with `codes`.
#[inline]
pub(super) fn literal(w: &mut BitWriter<'_>, codes: &Codes, byte: u8) {
    let (code, len) = codes.litlen[usize::from(byte)];
    w.put(u32::from(code), u32::from(len));
}

/// Writes a match (`len` 3-258, `distance` 1-32768) with `codes`.
#[inline]
pub(super) fn back_reference(w: &mut BitWriter<'_>, codes: &Codes, len: usize, distance: usize) {
    let (symbol, extra, extra_bits) = length_code(len);
    let (code, code_len) = codes.litlen[symbol];
    w.put(u32::from(code) | (extra << code_len), u32::from(code_len) + extra_bits);
    let (dsymbol, dextra, dextra_bits) = distance_code(distance);
    let (dcode, dcode_len) = codes.dist[dsymbol as usize];
    w.put(u32::from(dcode) | (dextra << dcode_len), u32::from(dcode_len) + dextra_bits);
}

/// The longest payload of one stored block.
const STORED_MAX: usize = 65_535;

/// The size of [`write_stored`]'s output for `len` bytes.
pub(super) const fn stored_len(len: usize) -> usize {
    let blocks = if len == 0 { 0 } else { len.div_ceil(STORED_MAX) };
    len + blocks * 5 + 1
}

/// Writes `payload` as stored blocks followed by the first byte of an
/// empty stored block (RFC 7692 removes the rest); returns the length.
/// `out` must hold [`stored_len`] bytes.
pub(super) fn write_stored(payload: &[u8], out: &mut [u8]) -> usize {
    let mut at = 0;
    for piece in payload.chunks(STORED_MAX) {
        // At most `STORED_MAX`, which is `u16::MAX`.
        let len = u16::try_from(piece.len()).unwrap_or(u16::MAX);
        out[at] = 0;
        out[at + 1..at + 3].copy_from_slice(&len.to_le_bytes());
        out[at + 3..at + 5].copy_from_slice(&(!len).to_le_bytes());
        out[at + 5..at + 5 + piece.len()].copy_from_slice(piece);
        at += 5 + piece.len();
    }
    out[at] = 0;
    at + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_codes_follow_rfc_1951_table() {
        // RFC 1951 section 3.2.5: code, extra bits, first length.
        assert_eq!(length_code(3), (257, 0, 0));
        assert_eq!(length_code(10), (264, 0, 0));
        assert_eq!(length_code(11), (265, 0, 1));
        assert_eq!(length_code(12), (265, 1, 1));
        assert_eq!(length_code(19), (269, 0, 2));
        assert_eq!(length_code(35), (273, 0, 3));
        assert_eq!(length_code(67), (277, 0, 4));
        assert_eq!(length_code(131), (281, 0, 5));
        assert_eq!(length_code(257), (284, 30, 5));
        assert_eq!(length_code(258), (285, 0, 0));
    }

    #[test]
    fn distance_codes_follow_rfc_1951_table() {
        assert_eq!(distance_code(1), (0, 0, 0));
        assert_eq!(distance_code(4), (3, 0, 0));
        assert_eq!(distance_code(5), (4, 0, 1));
        assert_eq!(distance_code(6), (4, 1, 1));
        assert_eq!(distance_code(7), (5, 0, 1));
        assert_eq!(distance_code(9), (6, 0, 2));
        assert_eq!(distance_code(24_577), (29, 0, 13));
        assert_eq!(distance_code(32_768), (29, 8191, 13));
    }

    #[test]
    fn stored_blocks_carry_len_and_its_complement() {
        let mut out = [0xaa; 16];
        let n = write_stored(b"abc", &mut out);
        assert_eq!(&out[..n], &[0, 3, 0, 0xfc, 0xff, b'a', b'b', b'c', 0]);
        assert_eq!(n, stored_len(3));
        assert_eq!(write_stored(b"", &mut out), stored_len(0));
    }
}
