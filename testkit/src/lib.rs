//! Test support for the barews crates.
//!
//! - WebSocket frames built by hand, byte by byte from RFC 6455 section
//!   5.2, without the encoder the tests check ([`frame`], [`client_frame`],
//!   [`server_frame`]). They use no barews type, so the core's own unit
//!   tests can use them as well as the adapters' and the conformance
//!   tests.
//! - [`transcript`]: a reader harness that drives a barews `Connection`
//!   through any chunking and buffer size and records what came out, for
//!   the core's connection tests and the conformance property tests.
//! - [`proxies`]: real proxy servers (tinyproxy, microsocks) started for
//!   the clients' proxy tests.

pub mod proxies;
pub mod transcript;

/// The masking key of RFC 6455 section 5.7's examples, used by
/// [`client_frame`].
pub const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A frame: `first_byte` (FIN, RSV1-3 and the opcode, e.g. `0x81` for a
/// final text frame), the shortest length encoding of `payload`, and the
/// payload, masked with `mask` when one is given.
pub fn frame(first_byte: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    let mut out = vec![first_byte];
    match payload.len() {
        len @ 0..=125 => out.push(mask_bit | u8::try_from(len).unwrap_or(0)),
        len @ 126..=0xFFFF => {
            out.push(mask_bit | 0x7E);
            out.extend_from_slice(&u16::try_from(len).unwrap_or(0).to_be_bytes());
        }
        len => {
            out.push(mask_bit | 0x7F);
            out.extend_from_slice(&u64::try_from(len).unwrap_or(0).to_be_bytes());
        }
    }
    match mask {
        Some(key) => {
            out.extend_from_slice(&key);
            out.extend(payload.iter().zip(key.iter().cycle()).map(|(byte, k)| byte ^ k));
        }
        None => out.extend_from_slice(payload),
    }
    out
}

/// A frame as a client sends it: masked with [`KEY`].
pub fn client_frame(first_byte: u8, payload: &[u8]) -> Vec<u8> {
    frame(first_byte, payload, Some(KEY))
}

/// A frame as a server sends it: unmasked.
pub fn server_frame(first_byte: u8, payload: &[u8]) -> Vec<u8> {
    frame(first_byte, payload, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6455_section_5_7_examples() {
        assert_eq!(server_frame(0x81, b"Hello"), [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
        assert_eq!(
            client_frame(0x81, b"Hello"),
            [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
        );
        assert_eq!(server_frame(0x82, &[0; 256])[..4], [0x82, 0x7E, 0x01, 0x00]);
        assert_eq!(server_frame(0x82, &vec![0; 65536])[..10], [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0]);
    }
}
