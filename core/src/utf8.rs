//! Incremental UTF-8 validation for text messages.
//!
//! RFC 6455 section 8.1 requires text messages to be valid UTF-8, and an
//! endpoint should fail the connection as soon as it sees invalid data,
//! even when a code point is split across frames. [`Utf8Validator`] checks
//! a message chunk by chunk; [`validate`] checks a complete text such as a
//! close reason.
//!
//! Both use the rules of [`core::str::from_utf8`]: no overlong forms, no
//! surrogates (U+D800 to U+DFFF) and nothing above U+10FFFF.

use core::fmt;
use core::str;

/// Invalid UTF-8 found (the connection maps this to close code 1007).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Utf8Error;

impl fmt::Display for Utf8Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid UTF-8 in text data")
    }
}

impl core::error::Error for Utf8Error {}

/// Chunks up to this length are tried as ASCII first.
const SHORT: usize = 64;

/// Where validation stopped in bytes that are not valid UTF-8.
#[derive(Debug, Clone, Copy)]
struct Stop {
    /// The length of the valid prefix.
    valid_up_to: usize,
    /// The bytes after it cannot start valid UTF-8 (rather than being a
    /// valid but incomplete code point at the end).
    invalid: bool,
}

/// Validates `bytes` with the rules of `core::str::from_utf8`.
#[cfg(not(feature = "simdutf8"))]
fn check(bytes: &[u8]) -> Result<(), Stop> {
    str::from_utf8(bytes)
        .map(|_| ())
        .map_err(|e| Stop { valid_up_to: e.valid_up_to(), invalid: e.error_len().is_some() })
}

/// Validates `bytes` with the rules of `core::str::from_utf8`, with SIMD
/// (the `simdutf8` crate's validator that reports positions).
#[cfg(feature = "simdutf8")]
fn check(bytes: &[u8]) -> Result<(), Stop> {
    simdutf8::compat::from_utf8(bytes)
        .map(|_| ())
        .map_err(|e| Stop { valid_up_to: e.valid_up_to(), invalid: e.error_len().is_some() })
}

/// Validates a text message's UTF-8 as it arrives in chunks (frames and
/// reads of any size).
///
/// An error is reported by the call that receives the first byte which
/// cannot be part of valid UTF-8, even if the code point it belongs to
/// started in an earlier chunk. A code point that is still incomplete at
/// the end of a chunk is carried to the next call, and [`finish`] reports
/// it if the message ends there.
///
/// [`finish`]: Utf8Validator::finish
///
/// # Example
///
/// ```
/// use barews::utf8::Utf8Validator;
///
/// // "€" is E2 82 AC; here it is split across two frames.
/// let mut validator = Utf8Validator::new();
/// validator.feed(b"price: \xE2\x82").unwrap();
/// assert!(!validator.is_boundary());
/// validator.feed(b"\xAC 5").unwrap();
/// validator.finish().unwrap();
///
/// // A surrogate fails as soon as its second byte arrives.
/// validator.feed(b"\xED").unwrap();
/// assert!(validator.feed(b"\xA0\x80").is_err());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Utf8Validator {
    /// The carried bytes of an incomplete code point, in `buf[..len]`.
    /// Between calls `len` is at most 3; while a code point is completed
    /// it may reach 4.
    buf: [u8; 4],
    /// How many bytes of `buf` are in use.
    len: usize,
}

impl Utf8Validator {
    /// Creates a validator for a new message.
    pub const fn new() -> Self {
        Self { buf: [0; 4], len: 0 }
    }

    /// Feeds the next chunk of the message.
    ///
    /// Fails at the first byte that makes the text invalid, even when the
    /// invalid sequence started in an earlier chunk. A valid but
    /// incomplete code point at the end of `chunk` is carried to the next
    /// call. After an error the validator is reset.
    ///
    /// # Example
    ///
    /// ```
    /// use barews::utf8::Utf8Validator;
    ///
    /// let mut validator = Utf8Validator::new();
    /// // F4 90 would start U+110000, above the last code point.
    /// validator.feed(b"ok \xF4").unwrap();
    /// assert!(validator.feed(b"\x90").is_err());
    /// ```
    #[cfg_attr(target_pointer_width = "64", inline)]
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), Utf8Error> {
        if cfg!(target_pointer_width = "64")
            && self.len == 0
            && chunk.len() <= SHORT
            && chunk.is_ascii()
        {
            // Short ASCII chunks (most chat and JSON messages) skip the
            // general validator's call and setup.
            return Ok(());
        }
        let result = self.feed_inner(chunk);
        if result.is_err() {
            self.reset();
        }
        result
    }

    fn feed_inner(&mut self, chunk: &[u8]) -> Result<(), Utf8Error> {
        let mut rest = chunk;
        // First complete the carried code point, one byte at a time.
        while self.len > 0 {
            let Some((&byte, tail)) = rest.split_first() else {
                // The chunk ended before the code point did.
                return Ok(());
            };
            rest = tail;
            *self.buf.get_mut(self.len).ok_or(Utf8Error)? = byte;
            self.len += 1;
            match str::from_utf8(self.buf.get(..self.len).ok_or(Utf8Error)?) {
                Ok(_) => self.len = 0,
                Err(e) if e.error_len().is_some() => return Err(Utf8Error),
                // Still a valid prefix: take the next byte.
                Err(_) => {}
            }
        }
        match check(rest) {
            Ok(()) => Ok(()),
            Err(stop) if stop.invalid => Err(Utf8Error),
            Err(stop) => {
                // The chunk ends inside a valid prefix of a code point,
                // which is at most three bytes long.
                let partial = rest.get(stop.valid_up_to..).ok_or(Utf8Error)?;
                self.buf.get_mut(..partial.len()).ok_or(Utf8Error)?.copy_from_slice(partial);
                self.len = partial.len();
                Ok(())
            }
        }
    }

    /// Ends the message: fails if an incomplete code point is still
    /// carried. Resets the validator for the next message either way.
    ///
    /// # Example
    ///
    /// ```
    /// use barews::utf8::Utf8Validator;
    ///
    /// let mut validator = Utf8Validator::new();
    /// validator.feed(b"caf\xC3").unwrap();
    /// assert!(validator.finish().is_err());
    /// // The validator is ready for the next message.
    /// validator.feed(b"caf\xC3\xA9").unwrap();
    /// assert!(validator.finish().is_ok());
    /// ```
    pub fn finish(&mut self) -> Result<(), Utf8Error> {
        let complete = self.is_boundary();
        self.reset();
        if complete { Ok(()) } else { Err(Utf8Error) }
    }

    /// Whether no incomplete code point is carried (the text so far ends
    /// on a code point boundary).
    pub fn is_boundary(&self) -> bool {
        self.len == 0
    }

    /// Forgets any carried bytes, ready for a new message.
    pub fn reset(&mut self) {
        *self = Self::new();
    }
}

/// Validates a complete text in one go (for example a close reason), with
/// the same rules as [`Utf8Validator`].
///
/// # Example
///
/// ```
/// use barews::utf8::validate;
///
/// assert!(validate("κόσμε".as_bytes()).is_ok());
/// assert!(validate(b"\xC0\xAF").is_err()); // overlong '/'
/// assert!(validate(b"\xE2\x82").is_err()); // incomplete '€'
/// ```
pub fn validate(text: &[u8]) -> Result<(), Utf8Error> {
    check(text).map_err(|_| Utf8Error)
}

#[cfg(test)]
mod tests {
    use super::{Utf8Error, Utf8Validator, validate};
    use std::vec::Vec;

    const VALID: [&str; 5] = [
        "plain ASCII text",
        "κόσμε",
        "Hello-µ@ßöäüàá-UTF-8!!",
        "𝄞 and €",
        "\u{7F}\u{80}\u{7FF}\u{800}\u{FFFF}\u{10000}\u{10FFFF}",
    ];

    /// Feeds `bytes` one byte per call; returns the index of the byte
    /// whose call failed, if any, without calling `finish`.
    fn failing_byte(bytes: &[u8]) -> Option<usize> {
        let mut validator = Utf8Validator::new();
        (0..bytes.len()).find(|&i| validator.feed(&bytes[i..=i]).is_err())
    }

    fn feed_chunks(chunks: &[&[u8]]) -> Result<(), Utf8Error> {
        let mut validator = Utf8Validator::new();
        for chunk in chunks {
            validator.feed(chunk)?;
        }
        validator.finish()
    }

    #[test]
    fn accepts_valid_text_fed_whole() {
        for text in VALID {
            assert_eq!(feed_chunks(&[text.as_bytes()]), Ok(()), "{text}");
            assert_eq!(validate(text.as_bytes()), Ok(()), "{text}");
        }
    }

    #[test]
    fn accepts_valid_text_fed_byte_by_byte() {
        for text in VALID {
            let mut validator = Utf8Validator::new();
            for (i, byte) in text.bytes().enumerate() {
                assert_eq!(validator.feed(&[byte]), Ok(()), "{text}");
                assert_eq!(validator.is_boundary(), text.is_char_boundary(i + 1));
            }
            assert_eq!(validator.finish(), Ok(()), "{text}");
        }
    }

    #[test]
    fn accepts_valid_text_split_at_every_position() {
        for text in VALID {
            let bytes = text.as_bytes();
            for split in 0..=bytes.len() {
                let (head, tail) = bytes.split_at(split);
                assert_eq!(feed_chunks(&[head, tail]), Ok(()), "{text} at {split}");
            }
        }
    }

    /// Each case: invalid bytes and the index of the byte that must fail.
    const FAIL_FAST: [(&[u8], usize); 6] = [
        (b"\xF4\x90\x80\x80", 1), // above U+10FFFF
        (b"\xED\xA0\x80", 1),     // surrogate U+D800
        (b"\xC0\xAF", 0),         // overlong, C0 is never valid
        (b"\xE0\x80\xAF", 1),     // overlong three-byte form
        (b"\xF5\x80\x80\x80", 0), // F5 is never valid
        (b"a\x80", 1),            // lone continuation byte
    ];

    #[test]
    fn fails_fast_when_fed_whole() {
        for (bytes, _) in FAIL_FAST {
            let mut validator = Utf8Validator::new();
            assert_eq!(validator.feed(bytes), Err(Utf8Error), "{bytes:x?}");
        }
    }

    #[test]
    fn fails_fast_on_the_first_invalid_byte_fed_byte_by_byte() {
        for (bytes, at) in FAIL_FAST {
            assert_eq!(failing_byte(bytes), Some(at), "{bytes:x?}");
        }
    }

    #[test]
    fn fails_fast_when_invalid_sequence_is_split_across_chunks() {
        for (first, second) in [(0xF4, 0x90), (0xED, 0xA0), (0xE0, 0x80)] {
            let mut validator = Utf8Validator::new();
            assert_eq!(validator.feed(&[first]), Ok(()));
            assert_eq!(validator.feed(&[second]), Err(Utf8Error));
        }
        assert_eq!(Utf8Validator::new().feed(&[0xC0]), Err(Utf8Error));
    }

    #[test]
    fn incomplete_code_point_fails_at_finish_not_at_feed() {
        for bytes in [&b"ab\xC3"[..], b"\xE2\x82", b"\xF0\x9D\x84"] {
            let mut validator = Utf8Validator::new();
            assert_eq!(validator.feed(bytes), Ok(()));
            assert!(!validator.is_boundary());
            assert_eq!(validator.finish(), Err(Utf8Error));
            assert!(validator.is_boundary());
            assert_eq!(validator, Utf8Validator::new());
        }
    }

    #[test]
    fn finish_resets_for_the_next_message() {
        let mut validator = Utf8Validator::new();
        validator.feed(b"\xE2\x82").unwrap();
        assert_eq!(validator.finish(), Err(Utf8Error));
        // A continuation byte now starts a new message, so it is invalid.
        assert_eq!(validator.feed(b"\xAC"), Err(Utf8Error));
        validator.feed(b"ok").unwrap();
        assert_eq!(validator.finish(), Ok(()));
    }

    #[test]
    fn reset_forgets_carried_bytes() {
        let mut validator = Utf8Validator::new();
        validator.feed(b"\xF0\x9D").unwrap();
        validator.reset();
        assert!(validator.is_boundary());
        assert_eq!(validator.feed(b"\x84\x9E"), Err(Utf8Error));
    }

    #[test]
    fn autobahn_6_x_surrogate_after_valid_text_fails_at_a0() {
        let text = "\u{03BA}\u{1F79}\u{03C3}\u{03BC}\u{03B5}".as_bytes();
        let mut message = Vec::from(text);
        message.extend_from_slice(b"\xED\xA0\x80edited");
        assert_eq!(failing_byte(&message), Some(text.len() + 1));

        let mut validator = Utf8Validator::new();
        assert_eq!(validator.feed(text), Ok(()));
        assert_eq!(validator.feed(b"\xED"), Ok(()));
        assert_eq!(validator.feed(b"\xA0\x80"), Err(Utf8Error));
        assert_eq!(feed_chunks(&[text, b"\xED\xA0\x80", b"edited"]), Err(Utf8Error));
    }

    #[test]
    fn byte_by_byte_matches_std_for_all_short_sequences() {
        const BYTES: [u8; 16] = [
            0x00, 0x41, 0x7F, 0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4,
            0xF5, 0xFF,
        ];
        let mut sequences: Vec<Vec<u8>> = Vec::new();
        for &a in &BYTES {
            sequences.push(std::vec![a]);
            for &b in &BYTES {
                sequences.push(std::vec![a, b]);
                for &c in &BYTES {
                    sequences.push(std::vec![a, b, c]);
                }
            }
        }
        for seq in &sequences {
            let std_verdict = core::str::from_utf8(seq);
            // The first byte after which the text can no longer be valid.
            let expected = (0..seq.len()).find(|&i| {
                core::str::from_utf8(&seq[..=i]).is_err_and(|e| e.error_len().is_some())
            });
            assert_eq!(failing_byte(seq), expected, "{seq:x?}");
            assert_eq!(feed_chunks(&[seq]).is_ok(), std_verdict.is_ok(), "{seq:x?}");
            assert_eq!(validate(seq).is_ok(), std_verdict.is_ok(), "{seq:x?}");
            for split in 0..=seq.len() {
                let (head, tail) = seq.split_at(split);
                assert_eq!(feed_chunks(&[head, tail]).is_ok(), std_verdict.is_ok());
            }
            match std_verdict {
                Ok(_) => assert_eq!(expected, None),
                Err(e) => match e.error_len() {
                    // Incomplete at the end: only `finish` fails.
                    None => {
                        assert_eq!(expected, None, "{seq:x?}");
                        let mut validator = Utf8Validator::new();
                        for byte in seq {
                            validator.feed(&[*byte]).unwrap();
                        }
                        assert_eq!(validator.finish(), Err(Utf8Error), "{seq:x?}");
                    }
                    Some(len) => {
                        let at = expected.unwrap();
                        assert!(at >= e.valid_up_to() && at <= e.valid_up_to() + len);
                    }
                },
            }
        }
    }
}
