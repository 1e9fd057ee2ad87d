//! Masking of frame payloads (RFC 6455 section 5.3).
//!
//! A client masks every payload it sends by XOR-ing it with a 4-byte key
//! that repeats over the payload; the server applies the same operation to
//! unmask it. Since XOR is its own inverse, [`apply_mask`] both masks and
//! unmasks.

/// XORs `data` in place with the repeating 4-byte mask `key`, as if `data`
/// began at byte `offset` of the masked payload.
///
/// Byte `i` of `data` is XOR-ed with `key[(offset + i) % 4]`, so `offset`
/// lets a payload be processed in pieces (for example as it arrives from
/// the network): pass the number of payload bytes already processed.
/// Applying the same mask twice restores the data.
///
/// Works for any length and any alignment of `data`; most of the work is
/// done eight bytes at a time.
///
/// # Example
///
/// ```
/// use barews::frame::mask::apply_mask;
///
/// // The masked "Hello" from RFC 6455 section 5.7.
/// let key = [0x37, 0xfa, 0x21, 0x3d];
/// let mut payload = [0x7f, 0x9f, 0x4d, 0x51, 0x58];
///
/// // Unmask it in two pieces: the second starts at payload byte 2.
/// let (head, tail) = payload.split_at_mut(2);
/// apply_mask(head, key, 0);
/// apply_mask(tail, key, 2);
/// assert_eq!(&payload, b"Hello");
///
/// // Masking again gives back the bytes on the wire.
/// apply_mask(&mut payload, key, 0);
/// assert_eq!(payload, [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
/// ```
pub fn apply_mask(data: &mut [u8], key: [u8; 4], offset: usize) {
    // Rotate the key so that its first byte is the one for `data[0]`.
    let k = match offset % 4 {
        0 => key,
        1 => [key[1], key[2], key[3], key[0]],
        2 => [key[2], key[3], key[0], key[1]],
        _ => [key[3], key[0], key[1], key[2]],
    };
    // Eight is a multiple of four, so every 8-byte chunk (and the tail
    // after the last one) starts with key byte `k[0]`.
    let wide = [k[0], k[1], k[2], k[3], k[0], k[1], k[2], k[3]];
    let word = u64::from_ne_bytes(wide);

    let mut chunks = data.chunks_exact_mut(8);
    for chunk in &mut chunks {
        // `chunks_exact_mut(8)` only yields 8-byte chunks, so this always
        // matches; the conversion just avoids a panicking path.
        if let Ok(bytes) = <&mut [u8; 8]>::try_from(chunk) {
            *bytes = (u64::from_ne_bytes(*bytes) ^ word).to_ne_bytes();
        }
    }
    for (byte, k) in chunks.into_remainder().iter_mut().zip(wide) {
        *byte ^= k;
    }
}

#[cfg(test)]
mod tests {
    use super::apply_mask;
    use std::vec::Vec;

    const KEYS: [[u8; 4]; 3] =
        [[0x37, 0xfa, 0x21, 0x3d], [0x01, 0x02, 0x04, 0x08], [0xff, 0x00, 0xa5, 0x5a]];

    fn reference(data: &mut [u8], key: [u8; 4], offset: usize) {
        for (i, byte) in data.iter_mut().enumerate() {
            *byte ^= key[(offset + i) % 4];
        }
    }

    fn sample(len: usize) -> Vec<u8> {
        (0..len).map(|i| u8::try_from((i * 31 + 7) % 251).unwrap()).collect()
    }

    #[test]
    fn matches_bytewise_reference_for_all_lengths_offsets_and_alignments() {
        let original = sample(120);
        for key in KEYS {
            for start in 0..=7 {
                for len in 0..=100 {
                    for offset in 0..=7 {
                        let mut fast = original.clone();
                        let mut slow = original.clone();
                        apply_mask(&mut fast[start..start + len], key, offset);
                        reference(&mut slow[start..start + len], key, offset);
                        assert_eq!(fast, slow, "start {start} len {len} offset {offset}");
                    }
                }
            }
        }
    }

    #[test]
    fn large_offsets_use_offset_modulo_four() {
        let original = sample(29);
        for offset in [usize::MAX - 4, usize::MAX - 1, usize::MAX] {
            let mut fast = original.clone();
            let mut slow = original.clone();
            apply_mask(&mut fast, KEYS[0], offset);
            let rotated = offset % 4;
            reference(&mut slow, KEYS[0], rotated);
            assert_eq!(fast, slow, "offset {offset}");
        }
    }

    #[test]
    fn unmasks_rfc6455_hello_example() {
        let mut payload = [0x7f, 0x9f, 0x4d, 0x51, 0x58];
        apply_mask(&mut payload, [0x37, 0xfa, 0x21, 0x3d], 0);
        assert_eq!(&payload, b"Hello");
    }

    #[test]
    fn applying_twice_restores_data() {
        let original = sample(77);
        for key in KEYS {
            for offset in 0..4 {
                let mut data = original.clone();
                apply_mask(&mut data, key, offset);
                assert_ne!(data, original);
                apply_mask(&mut data, key, offset);
                assert_eq!(data, original);
            }
        }
    }

    #[test]
    fn masking_in_two_pieces_equals_masking_at_once() {
        let original = sample(37);
        for key in KEYS {
            let mut whole = original.clone();
            apply_mask(&mut whole, key, 0);
            for split in 0..=original.len() {
                let mut pieces = original.clone();
                let (head, tail) = pieces.split_at_mut(split);
                apply_mask(head, key, 0);
                apply_mask(tail, key, split);
                assert_eq!(pieces, whole, "split at {split}");
            }
        }
    }
}
