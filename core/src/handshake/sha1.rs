//! SHA-1 (FIPS 180-4 section 6.1), for `Sec-WebSocket-Accept` only.
//!
//! RFC 6455 uses SHA-1 as a checksum of the key, not for security, and
//! hashes 60 bytes per handshake. This is the plain textbook form, one
//! loop of 80 rounds over a 16-word rolling schedule: about 0.4 KiB of
//! Cortex-M code against 2.4 KiB for `sha1_smol`, which is about twice as
//! fast on a desktop CPU.
//! The `compact-sha1` feature selects it; the tests always check it
//! against `sha1_smol` and the FIPS 180 examples.

/// The initial hash value (section 5.3.1).
const INITIAL: [u32; 5] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0];

/// A running SHA-1 computation.
#[derive(Clone)]
pub(crate) struct Sha1 {
    state: [u32; 5],
    /// The current block, `filled` bytes of it so far.
    block: [u8; 64],
    filled: usize,
    /// Bytes hashed in all.
    total: u64,
}

impl Sha1 {
    pub(crate) const fn new() -> Self {
        Sha1 { state: INITIAL, block: [0; 64], filled: 0, total: 0 }
    }

    /// Appends `data` to the message.
    pub(crate) fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let take = (64 - self.filled).min(data.len());
            let (head, rest) = data.split_at(take);
            if let Some(to) = self.block.get_mut(self.filled..self.filled + take) {
                to.copy_from_slice(head);
            }
            self.filled += take;
            self.total = self.total.wrapping_add(take as u64);
            data = rest;
            if self.filled == 64 {
                compress(&mut self.state, &self.block);
                self.filled = 0;
            }
        }
    }

    /// Pads the message (section 5.1.1) and returns its digest.
    pub(crate) fn finish(mut self) -> [u8; 20] {
        let bits = self.total.wrapping_mul(8);
        // 0x80, then zeros up to 8 bytes short of a block boundary.
        let zeros = (119 - self.filled) % 64;
        self.update(PADDING.get(..=zeros).unwrap_or_default());
        self.update(&bits.to_be_bytes());
        let mut digest = [0; 20];
        for (out, word) in digest.chunks_exact_mut(4).zip(self.state) {
            out.copy_from_slice(&word.to_be_bytes());
        }
        digest
    }
}

/// The padding's bytes: a one bit, then zeros.
const PADDING: [u8; 64] = {
    let mut padding = [0; 64];
    padding[0] = 0x80;
    padding
};

/// Hashes one 64-byte block into `state` (section 6.1.2).
// The names are those of FIPS 180-4.
#[allow(clippy::many_single_char_names)]
fn compress(state: &mut [u32; 5], block: &[u8; 64]) {
    // The message schedule, its last 16 words.
    let mut w = [0u32; 16];
    for (word, bytes) in w.iter_mut().zip(block.chunks_exact(4)) {
        *word = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    }
    let [mut a, mut b, mut c, mut d, mut e] = *state;
    for t in 0..80 {
        if t >= 16 {
            let x = w[(t + 13) & 15] ^ w[(t + 8) & 15] ^ w[(t + 2) & 15] ^ w[t & 15];
            w[t & 15] = x.rotate_left(1);
        }
        // The function (section 4.1.1) and constant (section 4.2.1) of
        // rounds 0-19, 20-39, 40-59 and 60-79.
        let (f, k) = match t / 20 {
            0 => ((b & c) | (!b & d), 0x5A82_7999),
            2 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
            1 => (b ^ c ^ d, 0x6ED9_EBA1),
            _ => (b ^ c ^ d, 0xCA62_C1D6),
        };
        let temp = a
            .rotate_left(5)
            .wrapping_add(f)
            .wrapping_add(e)
            .wrapping_add(k)
            .wrapping_add(w[t & 15]);
        e = d;
        d = c;
        c = b.rotate_left(30);
        b = a;
        a = temp;
    }
    for (s, v) in state.iter_mut().zip([a, b, c, d, e]) {
        *s = s.wrapping_add(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn hex(digest: [u8; 20]) -> std::string::String {
        use core::fmt::Write;
        let mut text = std::string::String::new();
        for byte in digest {
            let _ = write!(text, "{byte:02x}");
        }
        text
    }

    fn sha1(data: &[u8]) -> [u8; 20] {
        let mut sha = Sha1::new();
        sha.update(data);
        sha.finish()
    }

    #[test]
    fn fips_180_examples() {
        // FIPS 180-2 appendix A and the empty message.
        assert_eq!(hex(sha1(b"abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(
            hex(sha1(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        assert_eq!(hex(sha1(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        let million = std::vec![b'a'; 1_000_000];
        assert_eq!(hex(sha1(&million)), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    }

    #[test]
    fn agrees_with_sha1_smol_at_every_length_and_split() {
        // Lengths around the one- and two-block padding boundaries, fed
        // whole and in two parts split everywhere.
        let data: Vec<u8> =
            (0..300u32).map(|i| i.wrapping_mul(2_654_435_761).to_be_bytes()[1]).collect();
        for len in 0..=data.len() {
            let message = &data[..len];
            let expected = sha1_smol::Sha1::from(message).digest().bytes();
            assert_eq!(sha1(message), expected, "length {len}");
            if len <= 130 {
                for split in 0..=len {
                    let mut sha = Sha1::new();
                    sha.update(&message[..split]);
                    sha.update(&message[split..]);
                    assert_eq!(sha.finish(), expected, "length {len} split {split}");
                }
            }
        }
    }
}
