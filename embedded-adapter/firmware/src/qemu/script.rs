//! What the emulated client sends and expects back: the messages, made on
//! the fly so that none has to fit in RAM whole, and the check of each
//! echo as its chunks arrive.

use barews_embedded::DataKind;

/// The lengths in bytes of the text messages, in the order sent: empty,
/// one byte, the largest 7-bit length (125), the smallest 16-bit one
/// (126), and a message larger than both buffers.
pub const TEXT_LENS: [usize; 5] = [0, 1, 125, 126, 3000];

/// The largest text message, which [`text`] writes into a buffer of this
/// size.
pub const MAX_TEXT_LEN: usize = 3000;

/// The length of the binary message: larger than both buffers and than
/// 64 KiB, so it takes the 64-bit length form and streams out and back
/// in pieces.
pub const BINARY_LEN: usize = 70_000;

/// The Ping's payload, which the Pong must carry back unchanged.
pub const PING: &[u8] = b"ping from a Cortex-M4 over a UART";

/// The characters the texts repeat: one of each UTF-8 length (1 to 4
/// bytes), so that chunk and fragment edges fall inside characters.
const CHARACTERS: [char; 4] = ['a', '\u{e9}', '\u{20ac}', '\u{1f600}'];

/// Writes the text message of `len` bytes into `buf` and returns it:
/// [`CHARACTERS`] in turn while the next one fits, then `a` up to `len`.
///
/// # Panics
///
/// When `buf` is shorter than `len`.
pub fn text(len: usize, buf: &mut [u8]) -> &str {
    let buf = &mut buf[..len];
    let mut at = 0;
    for c in CHARACTERS.iter().cycle() {
        if at + c.len_utf8() > len {
            break;
        }
        at += c.encode_utf8(&mut buf[at..]).len();
    }
    buf[at..].fill(b'a');
    // Whole characters and ASCII only, so this cannot fail.
    core::str::from_utf8(buf).unwrap_or_default()
}

/// Byte `index` of the binary message: every value occurs, and a chunk
/// that came back shifted or repeated does not match.
pub fn binary_byte(index: usize) -> u8 {
    // Truncation is the point: the low bits of a position-dependent mix.
    #[allow(clippy::cast_possible_truncation)]
    let byte = (index ^ (index >> 8) ^ (index >> 16).wrapping_mul(0x9d)) as u8;
    byte
}

/// Fills `buf` with the binary message's bytes from `offset` on.
pub fn binary_piece(offset: usize, buf: &mut [u8]) {
    for (i, byte) in buf.iter_mut().enumerate() {
        *byte = binary_byte(offset + i);
    }
}

/// Where an echo stopped matching what was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mismatch {
    /// The echo is a message of the other kind.
    Kind {
        /// The kind sent.
        sent: DataKind,
    },
    /// The byte at `offset` differs.
    Byte {
        /// Its position in the message.
        offset: usize,
        /// The byte sent there.
        sent: u8,
        /// The byte that came back.
        echoed: u8,
    },
    /// The echo ended at `echoed` bytes, or went past the `sent` ones.
    Length {
        /// The message's length.
        sent: usize,
        /// Bytes echoed when it ended or overran.
        echoed: usize,
    },
}

impl core::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Mismatch::Kind { sent } => write!(f, "a {sent:?} message came back as the other kind"),
            Mismatch::Byte { offset, sent, echoed } => {
                write!(f, "byte {offset} came back as {echoed:#04x}, sent {sent:#04x}")
            }
            Mismatch::Length { sent, echoed } => {
                write!(f, "the echo of a {sent}-byte message had {echoed} bytes")
            }
        }
    }
}

/// The check of one echoed message, fed its chunks as they arrive.
#[derive(Debug)]
pub struct Echo<F> {
    kind: DataKind,
    len: usize,
    byte_at: F,
    seen: usize,
}

impl<F: Fn(usize) -> u8> Echo<F> {
    /// Expects a message of `kind` and `len` bytes whose byte `i` is
    /// `byte_at(i)`.
    pub fn new(kind: DataKind, len: usize, byte_at: F) -> Self {
        Echo { kind, len, byte_at, seen: 0 }
    }

    /// Checks the next chunk; `Ok(true)` once the message is whole.
    pub fn chunk(&mut self, kind: DataKind, payload: &[u8], last: bool) -> Result<bool, Mismatch> {
        if kind != self.kind {
            return Err(Mismatch::Kind { sent: self.kind });
        }
        let echoed = self.seen + payload.len();
        if echoed > self.len || (last && echoed != self.len) {
            return Err(Mismatch::Length { sent: self.len, echoed });
        }
        for (i, &byte) in payload.iter().enumerate() {
            let sent = (self.byte_at)(self.seen + i);
            if byte != sent {
                return Err(Mismatch::Byte { offset: self.seen + i, sent, echoed: byte });
            }
        }
        self.seen = echoed;
        Ok(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_has_its_length_and_multi_byte_characters() {
        let mut buf = [0u8; MAX_TEXT_LEN];
        for len in TEXT_LENS {
            let text = text(len, &mut buf);
            assert_eq!(text.len(), len);
            if len >= 10 {
                for c in CHARACTERS {
                    assert!(text.contains(c), "{len}: no {c:?}");
                }
            }
        }
        assert_eq!(text(125, &mut buf).chars().count(), 12 * 4 + 2 + 2);
    }

    #[test]
    fn the_binary_message_is_not_periodic_within_a_buffer() {
        let mut piece = [0u8; 1024];
        binary_piece(0, &mut piece);
        let mut later = [0u8; 1024];
        binary_piece(1024, &mut later);
        assert_ne!(piece, later);
        assert_eq!(later[5], binary_byte(1029));
        let distinct = (0..BINARY_LEN).map(binary_byte).fold([false; 256], |mut seen, b| {
            seen[usize::from(b)] = true;
            seen
        });
        assert!(distinct.iter().all(|&seen| seen));
    }

    #[test]
    fn an_echo_in_chunks_matches_and_a_changed_byte_does_not() {
        let mut check = Echo::new(DataKind::Binary, 10, binary_byte);
        let mut sent = [0u8; 10];
        binary_piece(0, &mut sent);
        assert_eq!(check.chunk(DataKind::Binary, &sent[..4], false), Ok(false));
        assert_eq!(check.chunk(DataKind::Binary, &sent[4..], true), Ok(true));

        let mut check = Echo::new(DataKind::Binary, 10, binary_byte);
        sent[7] ^= 1;
        assert_eq!(
            check.chunk(DataKind::Binary, &sent, true),
            Err(Mismatch::Byte { offset: 7, sent: binary_byte(7), echoed: sent[7] })
        );
        let mut check = Echo::new(DataKind::Binary, 10, binary_byte);
        assert_eq!(
            check.chunk(DataKind::Binary, &sent[..9], true),
            Err(Mismatch::Length { sent: 10, echoed: 9 })
        );
        let mut check = Echo::new(DataKind::Text, 0, |_| 0);
        assert_eq!(
            check.chunk(DataKind::Binary, &[], true),
            Err(Mismatch::Kind { sent: DataKind::Text })
        );
    }
}
