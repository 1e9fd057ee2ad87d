//! `Sec-WebSocket-Key` and `Sec-WebSocket-Accept` (RFC 6455 section 4.2.2).

use super::base64;
use core::fmt;

/// The GUID that RFC 6455 appends to the key before hashing it.
const GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// A valid `Sec-WebSocket-Key`: the base64 form of exactly 16 bytes.
///
/// ```
/// use barews::handshake::SecKey;
///
/// let key = SecKey::parse(b"dGhlIHNhbXBsZSBub25jZQ==").unwrap();
/// assert_eq!(key.accept().as_str(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
/// assert!(SecKey::parse(b"c2hvcnQ=").is_none()); // 5 bytes, not 16
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SecKey([u8; 24]);

impl SecKey {
    /// Encodes a 16-byte nonce. The nonce must be freshly random for each
    /// connection (RFC 6455 section 4.1); the caller supplies it.
    pub fn from_nonce(nonce: [u8; 16]) -> Self {
        let mut text = [0u8; 24];
        base64::encode(&nonce, &mut text);
        SecKey(text)
    }

    /// Checks that `text` is the canonical, padded base64 form of exactly
    /// 16 bytes.
    pub fn parse(text: &[u8]) -> Option<Self> {
        let text: [u8; 24] = text.try_into().ok()?;
        base64::is_16_bytes(&text).then_some(SecKey(text))
    }

    /// The key as it appears on the wire.
    pub fn as_str(&self) -> &str {
        ascii_str(&self.0)
    }

    /// The key's bytes, for writers that need no `&str` (and so no UTF-8
    /// check).
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The `Sec-WebSocket-Accept` value that answers this key:
    /// base64(SHA-1(key + GUID)).
    pub fn accept(&self) -> AcceptKey {
        let mut text = [0u8; 28];
        base64::encode(&sha1(&self.0, GUID), &mut text);
        AcceptKey(text)
    }
}

impl fmt::Debug for SecKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SecKey").field(&self.as_str()).finish()
    }
}

/// A `Sec-WebSocket-Accept` value, computed by [`SecKey::accept`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AcceptKey([u8; 28]);

impl AcceptKey {
    /// The value as it appears on the wire.
    pub fn as_str(&self) -> &str {
        ascii_str(&self.0)
    }

    /// Whether a received header value equals this key. The comparison is
    /// exact, byte for byte.
    pub fn matches(&self, value: &[u8]) -> bool {
        super::head::same(&self.0, value)
    }
}

impl fmt::Debug for AcceptKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AcceptKey").field(&self.as_str()).finish()
    }
}

/// SHA-1 of `a` followed by `b`: the compact implementation with the
/// `compact-sha1` feature, `sha1_smol` (faster, larger) without.
fn sha1(a: &[u8], b: &[u8]) -> [u8; 20] {
    #[cfg(feature = "compact-sha1")]
    {
        super::sha1::digest(a, b)
    }
    #[cfg(not(feature = "compact-sha1"))]
    {
        let mut sha = sha1_smol::Sha1::new();
        sha.update(a);
        sha.update(b);
        sha.digest().bytes()
    }
}

/// Base64 output is always ASCII, so the fallback is never taken.
fn ascii_str(bytes: &[u8]) -> &str {
    core::str::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6455_sample_key_gives_the_sample_accept() {
        // RFC 6455 section 1.3.
        let key = SecKey::parse(b"dGhlIHNhbXBsZSBub25jZQ==").unwrap();
        assert_eq!(key.accept().as_str(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert!(key.accept().matches(b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
        assert!(!key.accept().matches(b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo"));
    }

    #[test]
    fn nonce_round_trips_through_the_key() {
        // RFC 6455 section 4.1's example nonce is "the sample nonce".
        let key = SecKey::from_nonce(*b"the sample nonce");
        assert_eq!(key.as_str(), "dGhlIHNhbXBsZSBub25jZQ==");
        assert_eq!(SecKey::parse(key.as_str().as_bytes()), Some(key));
    }

    #[test]
    fn keys_of_the_wrong_length_or_alphabet_are_refused() {
        assert!(SecKey::parse(b"").is_none());
        assert!(SecKey::parse(b"dGhlIHNhbXBsZSBub25jZQ=").is_none());
        assert!(SecKey::parse(b"dGhlIHNhbXBsZSBub25jZQ===").is_none());
        // 24 characters, but 17 bytes' worth with no padding.
        assert!(SecKey::parse(b"dGhlIHNhbXBsZSBub25jZQAA").is_none());
        // Characters outside the base64 alphabet.
        assert!(SecKey::parse(b"dGhlIHNhbXBsZSBub25jZ!==").is_none());
        // URL-safe alphabet is not the one RFC 6455 uses.
        assert!(SecKey::parse(b"______________________==").is_none());
    }

    #[test]
    fn non_canonical_trailing_bits_are_refused() {
        // "Q==" carries bits below the last full byte; "R==" sets one.
        assert!(SecKey::parse(b"dGhlIHNhbXBsZSBub25jZR==").is_none());
    }
}
