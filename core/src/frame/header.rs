//! Frame headers (RFC 6455 section 5.2): decoding with every check the
//! header alone can make, and encoding.

use super::OpCode;
use crate::BufferTooSmall;
use crate::error::ProtocolError;

/// The longest header: 2 bytes, an 8-byte length and a 4-byte mask key.
pub const MAX_HEADER_LEN: usize = 14;

/// The longest payload a control frame may carry (section 5.5).
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// The RSV1 bit of [`FrameHeader::rsv`] (claimed by permessage-deflate).
pub const RSV1: u8 = 0b100;
/// The RSV2 bit of [`FrameHeader::rsv`].
pub const RSV2: u8 = 0b010;
/// The RSV3 bit of [`FrameHeader::rsv`].
pub const RSV3: u8 = 0b001;

/// The 7-bit length value announcing a 16-bit length.
const LEN_16: u8 = 0x7E;
/// The 7-bit length value announcing a 64-bit length.
const LEN_64: u8 = 0x7F;

/// A decoded frame header.
///
/// [`decode`](Self::decode) guarantees: the opcode is not reserved, a
/// control frame has FIN set and at most 125 payload bytes, and the length
/// was minimally encoded and below 2^63. Reserved bits and masking depend
/// on the connection (extensions, role) and are checked there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// FIN: this is the last frame of its message.
    pub fin: bool,
    /// RSV1-3 as the three low bits (see [`RSV1`], [`RSV2`], [`RSV3`]).
    pub rsv: u8,
    /// The opcode.
    pub opcode: OpCode,
    /// The masking key, when the frame is masked.
    pub mask: Option<[u8; 4]>,
    /// The payload length.
    pub payload_len: u64,
}

impl FrameHeader {
    /// Decodes the header at the start of `buf`.
    ///
    /// Returns `Ok(None)` when more bytes are needed, or the header and its
    /// length. An error is reported as soon as the bytes that prove it are
    /// present (a reserved opcode from the first byte alone).
    ///
    /// ```
    /// use barews::frame::{FrameHeader, OpCode};
    ///
    /// // RFC 6455 section 5.7: a masked "Hello" from a client.
    /// let frame = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
    /// let (header, len) = FrameHeader::decode(&frame).unwrap().unwrap();
    /// assert_eq!(len, 6);
    /// assert_eq!(header.opcode, OpCode::Text);
    /// assert_eq!(header.mask, Some([0x37, 0xfa, 0x21, 0x3d]));
    /// assert_eq!(header.payload_len, 5);
    /// assert_eq!(FrameHeader::decode(&frame[..1]), Ok(None));
    /// ```
    #[cfg_attr(target_pointer_width = "64", inline)]
    pub fn decode(buf: &[u8]) -> Result<Option<(FrameHeader, usize)>, ProtocolError> {
        let Some(&first) = buf.first() else { return Ok(None) };
        let opcode = OpCode::from_bits(first & 0x0F)?;
        let fin = first & 0x80 != 0;
        if opcode.is_control() && !fin {
            return Err(ProtocolError::FragmentedControl);
        }
        let Some(&second) = buf.get(1) else { return Ok(None) };
        let masked = second & 0x80 != 0;
        let short_len = second & 0x7F;
        if opcode.is_control() && usize::from(short_len) > MAX_CONTROL_PAYLOAD {
            return Err(ProtocolError::ControlTooLong);
        }
        let (payload_len, mut pos) = match short_len {
            LEN_16 => {
                let Some(bytes) = buf.get(2..4) else { return Ok(None) };
                let len = u16::from_be_bytes([bytes[0], bytes[1]]);
                if len < 126 {
                    return Err(ProtocolError::NonMinimalLength);
                }
                (u64::from(len), 4)
            }
            LEN_64 => {
                let Some(bytes) = buf.get(2..10) else { return Ok(None) };
                let mut be = [0u8; 8];
                be.copy_from_slice(bytes);
                let len = u64::from_be_bytes(be);
                if len >> 63 != 0 {
                    return Err(ProtocolError::InvalidLength);
                }
                if u16::try_from(len).is_ok() {
                    return Err(ProtocolError::NonMinimalLength);
                }
                (len, 10)
            }
            len => (u64::from(len), 2),
        };
        let mask = if masked {
            let Some(bytes) = buf.get(pos..pos + 4) else { return Ok(None) };
            pos += 4;
            Some([bytes[0], bytes[1], bytes[2], bytes[3]])
        } else {
            None
        };
        let header = FrameHeader { fin, rsv: (first >> 4) & 0b111, opcode, mask, payload_len };
        Ok(Some((header, pos)))
    }

    /// The number of bytes [`encode`](Self::encode) writes.
    pub const fn encoded_len(&self) -> usize {
        let len_bytes = match self.payload_len {
            0..=125 => 0,
            126..=0xFFFF => 2,
            _ => 8,
        };
        2 + len_bytes + if self.mask.is_some() { 4 } else { 0 }
    }

    /// Writes the header, with the length in its shortest form, and returns
    /// its length. On [`BufferTooSmall`] `out` is left untouched.
    ///
    /// ```
    /// use barews::frame::{FrameHeader, OpCode};
    ///
    /// // RFC 6455 section 5.7: a 256-byte unmasked binary frame.
    /// let header = FrameHeader { fin: true, rsv: 0, opcode: OpCode::Binary, mask: None, payload_len: 256 };
    /// let mut out = [0u8; 14];
    /// let len = header.encode(&mut out).unwrap();
    /// assert_eq!(&out[..len], [0x82, 0x7E, 0x01, 0x00]);
    /// ```
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, BufferTooSmall> {
        let required = self.encoded_len();
        let Some(out) = out.get_mut(..required) else {
            return Err(BufferTooSmall { required });
        };
        // `out` holds exactly the header: split into its fields, with no
        // index that could panic.
        let [first, second, rest @ ..] = out else { return Err(BufferTooSmall { required }) };
        *first = u8::from(self.fin) << 7 | (self.rsv & 0b111) << 4 | self.opcode.bits();
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        let (code, key_slot) = match self.payload_len {
            // Each arm's range makes the narrowing exact.
            #[allow(clippy::cast_possible_truncation)]
            len @ 0..=125 => (len as u8, rest),
            #[allow(clippy::cast_possible_truncation)]
            len @ 126..=0xFFFF => match rest.split_first_chunk_mut() {
                Some((extended, key_slot)) => {
                    *extended = (len as u16).to_be_bytes();
                    (LEN_16, key_slot)
                }
                None => (LEN_16, rest),
            },
            len => match rest.split_first_chunk_mut() {
                Some((extended, key_slot)) => {
                    *extended = len.to_be_bytes();
                    (LEN_64, key_slot)
                }
                None => (LEN_64, rest),
            },
        };
        *second = mask_bit | code;
        if let (Some(key), Ok(slot)) = (self.mask, <&mut [u8; 4]>::try_from(key_slot)) {
            *slot = key;
        }
        Ok(required)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> Result<Option<(FrameHeader, usize)>, ProtocolError> {
        FrameHeader::decode(bytes)
    }

    fn header(opcode: OpCode, payload_len: u64, mask: Option<[u8; 4]>) -> FrameHeader {
        FrameHeader { fin: true, rsv: 0, opcode, mask, payload_len }
    }

    #[test]
    fn rfc_examples_decode() {
        // Section 5.7: unmasked "Hello", a Ping "Hello", the 256-byte and
        // 64 KiB binary headers.
        assert_eq!(decode(&[0x81, 0x05]), Ok(Some((header(OpCode::Text, 5, None), 2))));
        assert_eq!(decode(&[0x89, 0x05]), Ok(Some((header(OpCode::Ping, 5, None), 2))));
        assert_eq!(
            decode(&[0x82, 0x7E, 0x01, 0x00]),
            Ok(Some((header(OpCode::Binary, 256, None), 4)))
        );
        assert_eq!(
            decode(&[0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0]),
            Ok(Some((header(OpCode::Binary, 65536, None), 10)))
        );
        // Fragmented "Hel" + "lo": FIN clear on the first, continuation next.
        let (first, _) = decode(&[0x01, 0x03]).unwrap().unwrap();
        assert!(!first.fin && first.opcode == OpCode::Text);
        let (second, _) = decode(&[0x80, 0x02]).unwrap().unwrap();
        assert!(second.fin && second.opcode == OpCode::Continuation);
    }

    #[test]
    fn encode_then_decode_round_trips_at_length_boundaries() {
        for len in [0, 1, 125, 126, 127, 0xFFFF, 0x1_0000, u64::MAX >> 1] {
            for mask in [None, Some([1, 2, 3, 4])] {
                for rsv in [0, RSV1, RSV1 | RSV2 | RSV3] {
                    let original = FrameHeader { rsv, ..header(OpCode::Binary, len, mask) };
                    let mut out = [0u8; MAX_HEADER_LEN];
                    let written = original.encode(&mut out).unwrap();
                    assert_eq!(written, original.encoded_len());
                    assert_eq!(decode(&out[..written]), Ok(Some((original, written))));
                    // Every shorter prefix asks for more bytes.
                    for end in 0..written {
                        assert_eq!(decode(&out[..end]), Ok(None), "len {len} prefix {end}");
                    }
                }
            }
        }
    }

    #[test]
    fn reserved_opcodes_fail_on_the_first_byte() {
        for bits in (0x3..=0x7).chain(0xB..=0xF) {
            assert_eq!(decode(&[0x80 | bits]), Err(ProtocolError::ReservedOpcode));
        }
    }

    #[test]
    fn control_frames_must_be_final_and_short() {
        assert_eq!(decode(&[0x09]), Err(ProtocolError::FragmentedControl));
        assert_eq!(decode(&[0x89, 126]), Err(ProtocolError::ControlTooLong));
        assert_eq!(decode(&[0x88, 0xFE]), Err(ProtocolError::ControlTooLong));
        assert!(decode(&[0x8A, 125]).unwrap().is_some());
    }

    #[test]
    fn lengths_must_be_minimal_and_below_2_pow_63() {
        assert_eq!(decode(&[0x82, 126, 0, 125]), Err(ProtocolError::NonMinimalLength));
        assert_eq!(
            decode(&[0x82, 127, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]),
            Err(ProtocolError::NonMinimalLength)
        );
        assert_eq!(
            decode(&[0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0]),
            Err(ProtocolError::InvalidLength)
        );
    }

    #[test]
    fn encode_leaves_a_small_buffer_untouched() {
        let mut out = [0xEE; 9];
        let big = header(OpCode::Binary, 70_000, Some([9; 4]));
        assert_eq!(big.encode(&mut out), Err(BufferTooSmall { required: 14 }));
        assert_eq!(out, [0xEE; 9]);
    }

    #[test]
    fn reserved_bits_are_reported_not_judged() {
        let (h, _) = decode(&[0xC1, 0x00]).unwrap().unwrap();
        assert_eq!(h.rsv, RSV1);
        let (h, _) = decode(&[0xB2, 0x00]).unwrap().unwrap();
        assert_eq!(h.rsv, RSV2 | RSV3);
    }
}
