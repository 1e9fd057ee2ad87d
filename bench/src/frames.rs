//! Builders for payloads and wire frames, written independently of every
//! library under test so that all of them decode the very same bytes.

/// Opcode of a continuation frame.
pub const OP_CONTINUATION: u8 = 0x0;
/// Opcode of a text frame.
pub const OP_TEXT: u8 = 0x1;
/// Opcode of a binary frame.
pub const OP_BINARY: u8 = 0x2;
/// Opcode of a Close frame.
pub const OP_CLOSE: u8 = 0x8;

/// The kind of a data message in a benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A text message (ASCII, JSON-like content unless stated otherwise).
    Text,
    /// A binary message.
    Binary,
}

impl Kind {
    /// The opcode of the first frame of such a message.
    pub const fn opcode(self) -> u8 {
        match self {
            Kind::Text => OP_TEXT,
            Kind::Binary => OP_BINARY,
        }
    }

    /// A short lowercase name for benchmark ids.
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Binary => "binary",
        }
    }

    /// A payload of `len` bytes of this kind: ASCII text or varied bytes.
    pub fn payload(self, len: usize, seed: u64) -> Vec<u8> {
        match self {
            Kind::Text => ascii_text(len),
            Kind::Binary => binary_payload(len, seed),
        }
    }
}

/// The length of a frame header with a `payload_len`-byte payload.
pub const fn header_len(payload_len: usize, masked: bool) -> usize {
    let base = if payload_len < 126 {
        2
    } else if payload_len <= 0xffff {
        4
    } else {
        10
    };
    if masked { base + 4 } else { base }
}

/// The length of a whole frame with a `payload_len`-byte payload.
pub const fn frame_len(payload_len: usize, masked: bool) -> usize {
    header_len(payload_len, masked) + payload_len
}

/// Appends one frame to `out`: the header with the minimal length
/// encoding, then the payload, masked with `mask` when given.
pub fn push_frame(out: &mut Vec<u8>, fin: bool, opcode: u8, payload: &[u8], mask: Option<[u8; 4]>) {
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    out.push(if fin { 0x80 } else { 0 } | opcode);
    let len = payload.len();
    if len < 126 {
        // Fits in seven bits.
        out.push(mask_bit | u8::try_from(len).unwrap_or(0));
    } else if let Ok(len) = u16::try_from(len) {
        out.push(mask_bit | 0x7e);
        out.extend_from_slice(&len.to_be_bytes());
    } else {
        out.push(mask_bit | 0x7f);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    match mask {
        Some(key) => {
            out.extend_from_slice(&key);
            out.extend(payload.iter().enumerate().map(|(i, byte)| byte ^ key[i % 4]));
        }
        None => out.extend_from_slice(payload),
    }
}

/// The `i`th mask key of a deterministic, varied sequence (never all
/// zero, so masking always changes the bytes).
pub fn mask_key(i: usize) -> [u8; 4] {
    let mut x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    x ^= x >> 29;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 32;
    let bytes = x.to_le_bytes();
    [bytes[0] | 1, bytes[1], bytes[2], bytes[3]]
}

/// `count` client frames (masked, each with its own key), each a whole
/// message of type `kind` carrying `payload`, back to back.
pub fn client_messages(kind: Kind, payload: &[u8], count: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(count * frame_len(payload.len(), true));
    for i in 0..count {
        push_frame(&mut out, true, kind.opcode(), payload, Some(mask_key(i)));
    }
    out
}

/// `count` client messages of type `kind`, each carrying `payload` split
/// into fragments of `fragment` bytes (the last may be shorter).
pub fn client_fragmented_messages(
    kind: Kind,
    payload: &[u8],
    fragment: usize,
    count: usize,
) -> Vec<u8> {
    let pieces: Vec<&[u8]> = payload.chunks(fragment.max(1)).collect();
    let mut out = Vec::new();
    let mut key = 0;
    for _ in 0..count {
        for (i, piece) in pieces.iter().enumerate() {
            let opcode = if i == 0 { kind.opcode() } else { OP_CONTINUATION };
            push_frame(&mut out, i + 1 == pieces.len(), opcode, piece, Some(mask_key(key)));
            key += 1;
        }
    }
    out
}

/// A masked Close frame with code 1000 and no reason.
pub fn client_close() -> Vec<u8> {
    let mut out = Vec::new();
    push_frame(&mut out, true, OP_CLOSE, &1000u16.to_be_bytes(), Some(mask_key(usize::MAX)));
    out
}

/// `len` pseudo-random bytes from `seed` (`SplitMix64`).
pub fn binary_payload(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// `len` bytes of ASCII text that looks like JSON records.
pub fn ascii_text(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 64);
    let mut i = 0u32;
    while out.len() < len {
        out.extend_from_slice(
            format!(
                "{{\"id\":{i},\"user\":\"user{i}\",\"event\":\"update\",\"value\":{}}},",
                i * 7
            )
            .as_bytes(),
        );
        i += 1;
    }
    out.truncate(len);
    out
}

/// `len` bytes of valid UTF-8 mixing ASCII with 2-, 3- and 4-byte
/// sequences (Greek, Cyrillic, CJK, emoji), padded with ASCII to the exact
/// length.
pub fn mixed_text(len: usize) -> Vec<u8> {
    const SAMPLE: &str = "Hello, κόσμε! Привет, мир. こんにちは世界 🌍🚀 naïve café — ";
    let mut out = String::with_capacity(len + SAMPLE.len());
    while out.len() + SAMPLE.len() <= len {
        out.push_str(SAMPLE);
    }
    for ch in SAMPLE.chars() {
        if out.len() + ch.len_utf8() > len {
            break;
        }
        out.push(ch);
    }
    while out.len() < len {
        out.push('.');
    }
    out.into_bytes()
}

/// How many messages of `size` bytes make about `target` payload bytes
/// (at least one).
pub const fn count_for(size: usize, target: usize) -> usize {
    let count = target / if size == 0 { 1 } else { size };
    if count == 0 { 1 } else { count }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lengths_are_minimal() {
        for (len, masked, expected) in
            [(0, false, 2), (125, true, 6), (126, false, 4), (65535, true, 8), (65536, false, 10)]
        {
            let mut out = Vec::new();
            let payload = vec![0u8; len];
            push_frame(&mut out, true, OP_BINARY, &payload, masked.then_some([1, 2, 3, 4]));
            assert_eq!(out.len(), expected + len);
            assert_eq!(header_len(len, masked), expected);
        }
    }

    #[test]
    fn texts_are_valid_utf8_of_exact_length() {
        for len in [0, 1, 16, 125, 1024, 65536] {
            assert_eq!(ascii_text(len).len(), len);
            let mixed = mixed_text(len);
            assert_eq!(mixed.len(), len);
            assert!(std::str::from_utf8(&mixed).is_ok());
        }
        assert!(mixed_text(1024).iter().filter(|b| !b.is_ascii()).count() > 256);
    }

    #[test]
    fn masked_frame_matches_rfc_example() {
        let mut out = Vec::new();
        push_frame(&mut out, true, OP_TEXT, b"Hello", Some([0x37, 0xfa, 0x21, 0x3d]));
        assert_eq!(out, [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    }
}
