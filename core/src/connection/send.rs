//! Encoding outgoing data frames into the caller's buffer.

use super::{Connection, DataKind, Role, SendError, Side};
use crate::BufferTooSmall;
use crate::frame::{FrameHeader, OpCode, apply_mask};
use crate::utf8::{self, Utf8Validator};

/// The masking a payload written after [`Connection::encode_header`] needs.
///
/// A client must mask the payload with the key in the header; apply this
/// to the payload bytes in order, in as many pieces as you like. For a
/// server it does nothing.
///
/// ```
/// use barews::config::Config;
/// use barews::connection::{Connection, DataKind};
///
/// let mut client = Connection::client(Config::new(), || [0x37, 0xfa, 0x21, 0x3d]);
/// let mut out = [0u8; 14];
/// let (len, mut mask) = client.encode_header(DataKind::Text, 5, true, &mut out).unwrap();
/// let mut payload = *b"Hello";
/// mask.apply(&mut payload[..2]);
/// mask.apply(&mut payload[2..]);
/// // RFC 6455 section 5.7's masked "Hello".
/// assert_eq!(&out[..len], [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d]);
/// assert_eq!(payload, [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayloadMask {
    key: Option<[u8; 4]>,
    /// Where in the key the next byte starts (0 to 3).
    offset: u8,
}

impl PayloadMask {
    /// Masks the next `chunk` of the payload in place.
    pub fn apply(&mut self, chunk: &mut [u8]) {
        if let Some(key) = self.key {
            apply_mask(chunk, key, usize::from(self.offset));
            // `len % 4` is below 4, so the sum's remainder fits.
            let moved = u8::try_from(chunk.len() % 4).unwrap_or(0);
            self.offset = (self.offset + moved) % 4;
        }
    }

    /// The key, for a client; `None` for a server.
    pub const fn key(&self) -> Option<[u8; 4]> {
        self.key
    }
}

/// `len` as a frame length.
fn len64(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

const fn opcode_of(kind: DataKind) -> OpCode {
    match kind {
        DataKind::Text => OpCode::Text,
        DataKind::Binary => OpCode::Binary,
    }
}

impl<S: Side> Connection<S> {
    /// Encodes a whole message into `out` and returns the bytes written:
    /// one frame, or several of at most the configured
    /// [`fragment_size`](crate::config::Config::fragment_size). A client's
    /// frames are masked with fresh keys.
    ///
    /// Text must be valid UTF-8. On error nothing is written and the
    /// connection is unchanged. The message goes uncompressed even with
    /// permessage-deflate on (which the extension allows): see
    /// [`send_with`](Self::send_with).
    ///
    /// ```
    /// use barews::config::Config;
    /// use barews::connection::{Connection, DataKind};
    ///
    /// let mut server = Connection::server(Config::new());
    /// let mut out = [0u8; 16];
    /// let len = server.send(DataKind::Text, b"Hello", &mut out).unwrap();
    /// // RFC 6455 section 5.7's unmasked "Hello".
    /// assert_eq!(&out[..len], [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
    /// ```
    pub fn send(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        out: &mut [u8],
    ) -> Result<usize, SendError> {
        self.check_whole_message(kind, payload)?;
        let fragment = self.config.fragment_size().map_or(payload.len(), |size| size.max(1));
        let frames = || {
            let count = payload.len().div_ceil(fragment.max(1)).max(1);
            (0..count).map(move |i| {
                let start = (i * fragment).min(payload.len());
                let end = (start + fragment).min(payload.len());
                (i, &payload[start..end], i + 1 == count)
            })
        };
        // Checked: with tiny fragments the headers can outgrow `usize` on
        // 32-bit targets.
        let required = frames()
            .try_fold(0usize, |sum, (_, chunk, _)| sum.checked_add(Self::frame_len(chunk.len())))
            .ok_or(SendError::FrameTooLong)?;
        if out.len() < required {
            return Err(SendError::BufferTooSmall { required });
        }
        let mut written = 0;
        for (i, chunk, fin) in frames() {
            let opcode = if i == 0 { opcode_of(kind) } else { OpCode::Continuation };
            written += self.write_frame(&mut out[written..], opcode, fin, chunk)?;
        }
        Ok(written)
    }

    /// Like [`send`](Self::send), compressing the message with
    /// `compressor` when permessage-deflate is on and the message is at
    /// least the configured minimum size: the frames (at most the fragment
    /// size each) carry RSV1 on the first.
    ///
    /// The compressor keeps to this connection's agreed window, and is
    /// reset after the message when this end agreed to no context
    /// takeover. One that keeps context ([`Context::Kept`]) must serve
    /// this connection only; one that does not ([`Context::Reset`]) can
    /// serve any number.
    ///
    /// [`Context::Kept`]: crate::deflate::Context::Kept
    /// [`Context::Reset`]: crate::deflate::Context::Reset
    #[cfg(feature = "deflate")]
    pub fn send_with<M: AsRef<[u8]> + AsMut<[u8]>>(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        out: &mut [u8],
        compressor: &mut crate::deflate::Compressor<M>,
    ) -> Result<usize, SendError> {
        if !self.compresses(payload.len()) {
            return self.send(kind, payload, out);
        }
        self.check_whole_message(kind, payload)?;
        self.send_compressed(kind, payload, out, compressor)
    }

    /// Whether a whole message of type `kind` may be sent now: the
    /// connection is open for sending, no fragmented message is under way,
    /// and text is valid UTF-8.
    fn check_whole_message(&self, kind: DataKind, payload: &[u8]) -> Result<(), SendError> {
        self.check_can_send()?;
        if self.sending.is_some() {
            return Err(SendError::MessageInProgress);
        }
        if kind == DataKind::Text && utf8::validate(payload).is_err() {
            return Err(SendError::InvalidUtf8);
        }
        Ok(())
    }

    /// Compresses a whole message (permessage-deflate) and writes it as
    /// frames of at most the fragment size, RSV1 on the first. The
    /// compressed bytes are produced at the end of `out` and moved into
    /// place behind their headers.
    #[cfg(feature = "deflate")]
    fn send_compressed<M: AsRef<[u8]> + AsMut<[u8]>>(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        out: &mut [u8],
        compressor: &mut crate::deflate::Compressor<M>,
    ) -> Result<usize, SendError> {
        let Some(deflate) = self.deflate else { return Err(SendError::Closed) };
        let bound = crate::deflate::Compressor::<M>::bound(payload.len());
        let fragment = self.config.fragment_size().unwrap_or(usize::MAX).max(1);
        let max_header = Self::frame_len(usize::MAX >> 1) - (usize::MAX >> 1);
        let required = bound
            .div_ceil(fragment)
            .max(1)
            .checked_mul(max_header)
            .and_then(|headers| headers.checked_add(bound))
            .ok_or(SendError::FrameTooLong)?;
        if out.len() < required {
            return Err(SendError::BufferTooSmall { required });
        }
        // With room to spare, the compressor gathers blocks and gives them
        // codes of their own.
        let preferred = crate::deflate::Compressor::<M>::preferred_room(payload.len());
        let area_len = if out.len() - required >= preferred - bound { preferred } else { bound };
        let area = out.len() - area_len;
        let compressed = compressor.compress(payload, &mut out[area..], deflate.own_window_bits)?;
        if deflate.own_resets {
            compressor.reset();
        }
        let count = compressed.div_ceil(fragment).max(1);
        let mut written = 0;
        let mut source = area;
        for i in 0..count {
            let len = fragment.min(area + compressed - source);
            let header = FrameHeader {
                fin: i + 1 == count,
                rsv: if i == 0 { crate::frame::RSV1 } else { 0 },
                opcode: if i == 0 { opcode_of(kind) } else { OpCode::Continuation },
                mask: self.side.next_mask(),
                payload_len: len64(len),
            };
            written += header.encode(&mut out[written..])?;
            out.copy_within(source..source + len, written);
            if let Some(key) = header.mask {
                apply_mask(&mut out[written..written + len], key, 0);
            }
            written += len;
            source += len;
        }
        Ok(written)
    }

    /// Encodes one fragment of a message into `out`: the first fragment
    /// starts a message of type `kind`, later ones continue it, and the one
    /// with `fin` set ends it. Control frames may still be sent in between
    /// (drain [`poll_transmit`](Self::poll_transmit) between fragments).
    ///
    /// Text fragments are checked as one UTF-8 stream: a fragment may end
    /// inside a character, the final one may not.
    pub fn send_fragment(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        fin: bool,
        out: &mut [u8],
    ) -> Result<usize, SendError> {
        let opcode = self.next_opcode(kind)?;
        let mut validator = match self.sending {
            None => Some(Utf8Validator::new()),
            Some(_) => self.sending_utf8,
        };
        if let (DataKind::Text, Some(validator)) = (kind, validator.as_mut()) {
            validator.feed(payload).map_err(|_| SendError::InvalidUtf8)?;
            if fin {
                validator.finish().map_err(|_| SendError::InvalidUtf8)?;
            }
        }
        let written = self.write_frame(out, opcode, fin, payload)?;
        self.sending_utf8 = validator;
        self.sending = if fin { None } else { Some(kind) };
        Ok(written)
    }

    /// Encodes only the header of a frame with a `payload_len`-byte
    /// payload, for payloads too large to copy: write the header, then the
    /// payload itself, masked with the returned [`PayloadMask`]. Sequencing
    /// is as for [`send_fragment`](Self::send_fragment).
    ///
    /// The core never sees this payload, so a text payload's UTF-8 is the
    /// caller's to guarantee.
    pub fn encode_header(
        &mut self,
        kind: DataKind,
        payload_len: u64,
        fin: bool,
        out: &mut [u8],
    ) -> Result<(usize, PayloadMask), SendError> {
        let opcode = self.next_opcode(kind)?;
        if payload_len >> 63 != 0 {
            return Err(SendError::FrameTooLong);
        }
        let mut header =
            FrameHeader { fin, rsv: 0, opcode, mask: Self::mask_placeholder(), payload_len };
        let required = header.encoded_len();
        if out.len() < required {
            return Err(SendError::BufferTooSmall { required });
        }
        header.mask = self.side.next_mask();
        let written = header.encode(out)?;
        self.sending_utf8 = None;
        self.sending = if fin { None } else { Some(kind) };
        Ok((written, PayloadMask { key: header.mask, offset: 0 }))
    }

    /// Checks the next `payload` of the outgoing message of type `kind`
    /// before any of it is encoded: the message sequence, and for text the
    /// UTF-8 of the whole message so far (`fin`: it ends here). The bytes
    /// then go out through [`data_header`](Self::data_header), in frames
    /// of any size; each byte must be checked once, in order.
    pub(crate) fn check_data(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        fin: bool,
    ) -> Result<(), SendError> {
        self.next_opcode(kind)?;
        let mut validator = match self.sending {
            None => Some(Utf8Validator::new()),
            Some(_) => self.sending_utf8,
        };
        if let (DataKind::Text, Some(validator)) = (kind, validator.as_mut()) {
            validator.feed(payload).map_err(|_| SendError::InvalidUtf8)?;
            if fin {
                validator.finish().map_err(|_| SendError::InvalidUtf8)?;
            }
        }
        self.sending_utf8 = validator;
        Ok(())
    }

    /// Encodes the header of a data frame whose payload
    /// [`check_data`](Self::check_data) has checked, and advances the
    /// message sequence. `out` is untouched on error.
    pub(crate) fn data_header(
        &mut self,
        kind: DataKind,
        payload_len: u64,
        fin: bool,
        out: &mut [u8],
    ) -> Result<(usize, PayloadMask), SendError> {
        let opcode = self.next_opcode(kind)?;
        let mut header =
            FrameHeader { fin, rsv: 0, opcode, mask: Self::mask_placeholder(), payload_len };
        let required = header.encoded_len();
        if out.len() < required {
            return Err(SendError::BufferTooSmall { required });
        }
        header.mask = self.side.next_mask();
        let written = header.encode(out)?;
        self.sending = if fin { None } else { Some(kind) };
        Ok((written, PayloadMask { key: header.mask, offset: 0 }))
    }

    /// Whether [`send_with`](Self::send_with) would compress a `len`-byte
    /// message.
    pub(crate) fn compresses(&self, len: usize) -> bool {
        #[cfg(feature = "deflate")]
        return self.deflate.as_ref().is_some_and(|d| len >= d.min_size);
        #[cfg(not(feature = "deflate"))]
        {
            let _ = (self, len);
            false
        }
    }

    /// The opcode of the next data frame of type `kind`.
    fn next_opcode(&self, kind: DataKind) -> Result<OpCode, SendError> {
        self.check_can_send()?;
        match self.sending {
            None => Ok(opcode_of(kind)),
            Some(current) if current == kind => Ok(OpCode::Continuation),
            Some(_) => Err(SendError::KindMismatch),
        }
    }

    fn check_can_send(&self) -> Result<(), SendError> {
        if self.close_sent || self.is_closed() { Err(SendError::Closed) } else { Ok(()) }
    }

    /// A stand-in key with which to size a header before drawing the real
    /// one (only its presence matters for the size).
    const fn mask_placeholder() -> Option<[u8; 4]> {
        match S::ROLE {
            Role::Client => Some([0; 4]),
            Role::Server => None,
        }
    }

    /// The size of a whole frame with a `payload_len`-byte payload.
    fn frame_len(payload_len: usize) -> usize {
        let header = FrameHeader {
            fin: true,
            rsv: 0,
            opcode: OpCode::Binary,
            mask: Self::mask_placeholder(),
            payload_len: len64(payload_len),
        };
        header.encoded_len() + payload_len
    }

    /// Writes one complete frame: the header, then the payload, masked
    /// with a fresh key for a client. `out` is untouched on error.
    pub(super) fn write_frame(
        &mut self,
        out: &mut [u8],
        opcode: OpCode,
        fin: bool,
        payload: &[u8],
    ) -> Result<usize, BufferTooSmall> {
        Self::encode_frame(&mut self.side, out, opcode, fin, payload)
    }

    /// [`write_frame`](Self::write_frame) with the side alone borrowed, so
    /// that the payload may be part of the connection (a queued control
    /// frame).
    pub(super) fn encode_frame(
        side: &mut S,
        out: &mut [u8],
        opcode: OpCode,
        fin: bool,
        payload: &[u8],
    ) -> Result<usize, BufferTooSmall> {
        let required = Self::frame_len(payload.len());
        let Some(out) = out.get_mut(..required) else {
            return Err(BufferTooSmall { required });
        };
        let header = FrameHeader {
            fin,
            rsv: 0,
            opcode,
            mask: side.next_mask(),
            payload_len: len64(payload.len()),
        };
        let header_len = header.encode(out)?;
        if let Some(body) = out.get_mut(header_len..) {
            body.copy_from_slice(payload);
            if let Some(key) = header.mask {
                apply_mask(body, key, 0);
            }
        }
        Ok(required)
    }
}
