//! SHA-1 (FIPS 180-4 section 6.1), for `Sec-WebSocket-Accept` only.
//!
//! RFC 6455 uses SHA-1 as a checksum of the key, not for security, and
//! hashes 60 bytes per handshake. This is the plain textbook form, one
//! call over the whole message and one loop of 80 rounds over a 16-word
//! rolling schedule: about 0.5 KiB of Cortex-M code, padding included,
//! against 2.4 KiB for `sha1_smol`, which is about twice as fast on a
//! desktop CPU.
//! The `compact-sha1` feature selects it; the tests always check it
//! against `sha1_smol` and the FIPS 180 examples.

/// The initial hash value (section 5.3.1).
const INITIAL: [u32; 5] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0];

/// The SHA-1 digest of `a` followed by `b`, in one call.
///
/// The padded message (section 5.1.1) is read a byte at a time straight
/// from the two parts into each block's words: no streaming state, no
/// copy of the message, no padding table. The accept key hashes 60 bytes,
/// two blocks.
pub(crate) fn digest(a: &[u8], b: &[u8]) -> [u8; 20] {
    let len = a.len() + b.len();
    // The message, the 0x80 byte and the 8-byte length, in whole blocks.
    let blocks = (len + 8) / 64 + 1;
    let bits = (len as u64).wrapping_mul(8).to_be_bytes();
    let mut state = INITIAL;
    for n in 0..blocks {
        let mut w = [0u32; 16];
        for i in 0..64 {
            let at = n * 64 + i;
            let byte = match a.get(at).or_else(|| b.get(at.wrapping_sub(a.len()))) {
                Some(&byte) => byte,
                None if at == len => 0x80,
                None if n + 1 == blocks => bits.get(i.wrapping_sub(56)).copied().unwrap_or(0),
                None => 0,
            };
            if let Some(word) = w.get_mut(i / 4) {
                *word = *word << 8 | u32::from(byte);
            }
        }
        compress(&mut state, w);
    }
    let mut digest = [0; 20];
    for (i, out) in digest.iter_mut().enumerate() {
        let word = state.get(i / 4).copied().unwrap_or(0);
        *out = word.to_be_bytes().get(i % 4).copied().unwrap_or(0);
    }
    digest
}

/// Hashes one block, given as its 16 big-endian words, into `state`
/// (section 6.1.2).
// The names are those of FIPS 180-4.
#[allow(clippy::many_single_char_names)]
fn compress(state: &mut [u32; 5], mut w: [u32; 16]) {
    // `w` becomes the message schedule, its last 16 words.
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
        digest(data, b"")
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
                    let (a, b) = message.split_at(split);
                    assert_eq!(digest(a, b), expected, "length {len} split {split}");
                }
            }
        }
    }
}
