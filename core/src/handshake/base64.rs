//! The base64 of the handshake keys (RFC 4648 section 4, padded, standard
//! alphabet): encoding the nonce and the accept digest, and checking a
//! received `Sec-WebSocket-Key`.
//!
//! Both keys travel in the clear, so nothing here needs to be
//! constant-time.

/// The character of the standard alphabet for the low six bits of
/// `bits`: computed, shorter than a 64-byte table.
fn char_of(bits: u32) -> u8 {
    // Masked to six bits, so the cast cannot truncate.
    #[allow(clippy::cast_possible_truncation)]
    let v = (bits & 63) as u8;
    match v {
        0..=25 => b'A' + v,
        26..=51 => b'a' + (v - 26),
        52..=61 => b'0' + (v - 52),
        62 => b'+',
        _ => b'/',
    }
}

/// Encodes `input` into `out`, padded with `=`. `out` holds exactly
/// `4 * ceil(input.len() / 3)` bytes (24 for 16 bytes, 28 for 20).
pub(crate) fn encode(input: &[u8], out: &mut [u8]) {
    let mut out = out.iter_mut();
    encode_with(input.iter().copied(), |c| {
        if let Some(slot) = out.next() {
            *slot = c;
        }
    });
}

/// Encodes the bytes of `input`, padded with `=`, handing each character
/// to `put`: for input that is not one slice (`user:password` for HTTP
/// Basic authentication), with no buffer for it.
pub(crate) fn encode_with(input: impl IntoIterator<Item = u8>, mut put: impl FnMut(u8)) {
    // Bits not yet written, the newest in the low end: `pending` of them.
    let mut bits = 0u32;
    let mut pending = 0;
    for byte in input {
        bits = bits << 8 | u32::from(byte);
        pending += 8;
        while pending >= 6 {
            pending -= 6;
            put(char_of(bits >> pending));
        }
    }
    // 2 bits left over after a length of 3n + 1 bytes, 4 after 3n + 2:
    // the last character, then 2 or 1 `=` up to a multiple of 4.
    if pending > 0 {
        put(char_of(bits << (6 - pending)));
        for _ in 0..(6 - pending) / 2 {
            put(b'=');
        }
    }
}

/// The 6-bit value of a character of the standard alphabet.
fn value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Whether `text` is the canonical padded base64 form of exactly 16
/// bytes: 22 characters of the standard alphabet, the last of which
/// carries no bits beyond the 128th, then `==`.
pub(crate) fn is_16_bytes(text: &[u8; 24]) -> bool {
    let (chars, padding) = text.split_at(22);
    padding == b"=="
        && chars.iter().all(|&c| value(c).is_some())
        && chars.last().and_then(|&c| value(c)).is_some_and(|last| last.trailing_zeros() >= 4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64ct::{Base64, Encoding};

    #[test]
    fn rfc_4648_examples() {
        let encoded = |input: &[u8]| {
            let mut out = std::vec![0u8; input.len().div_ceil(3) * 4];
            encode(input, &mut out);
            std::string::String::from_utf8(out).unwrap()
        };
        // RFC 4648 section 10.
        for (input, output) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(encoded(input.as_bytes()), output);
        }
    }

    #[test]
    fn agrees_with_base64ct() {
        let mut input = [0u8; 20];
        for seed in 0..2000u32 {
            let mut x = seed.wrapping_mul(2_654_435_761) | 1;
            for byte in &mut input {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                *byte = x.to_le_bytes()[0];
            }
            let mut ours = [0u8; 28];
            encode(&input, &mut ours);
            let mut theirs = [0u8; 28];
            Base64::encode(&input, &mut theirs).unwrap();
            assert_eq!(ours, theirs);
            let mut key = [0u8; 24];
            encode(&input[..16], &mut key);
            assert!(is_16_bytes(&key));
        }
    }

    #[test]
    fn key_check_matches_a_strict_decoder() {
        // Every character at the last data position and in the padding:
        // accepted exactly when base64ct decodes 16 bytes from it.
        let base = *b"dGhlIHNhbXBsZSBub25jZQ==";
        for position in [0, 20, 21, 22, 23] {
            for c in 0..=255u8 {
                let mut text = base;
                text[position] = c;
                let mut decoded = [0u8; 16];
                let strict = matches!(Base64::decode(text, &mut decoded), Ok(d) if d.len() == 16);
                assert_eq!(is_16_bytes(&text), strict, "{:?}", core::str::from_utf8(&text));
            }
        }
    }
}
