//! Errors shared by every part of the core.

use crate::close::CloseCode;
use core::fmt;

/// The caller's output buffer cannot hold what the core has to write.
///
/// The buffer is left untouched; call again with at least `required`
/// bytes of room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferTooSmall {
    /// Bytes the output needs.
    pub required: usize,
}

impl fmt::Display for BufferTooSmall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "output buffer too small: {} bytes required", self.required)
    }
}

impl core::error::Error for BufferTooSmall {}

/// A violation of RFC 6455 by the peer, or a configured limit it crossed.
///
/// Each maps to the close code RFC 6455 names for it
/// ([`close_code`](Self::close_code)). When a connection reports one, it
/// has already queued a Close frame with that code; drain
/// [`poll_transmit`](crate::connection::Connection::poll_transmit), then
/// close the transport. Errors are sticky: later input returns the same
/// error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// RSV1, RSV2 or RSV3 is set and no extension claims it (section 5.2).
    ReservedBits,
    /// The opcode is one of the reserved 0x3-0x7 or 0xB-0xF (section 5.2).
    ReservedOpcode,
    /// A control frame has FIN clear (section 5.5).
    FragmentedControl,
    /// A control frame's payload is longer than 125 bytes (section 5.5).
    ControlTooLong,
    /// A 64-bit payload length has its most significant bit set
    /// (section 5.2).
    InvalidLength,
    /// A payload length is not in its shortest encoding (section 5.2).
    NonMinimalLength,
    /// A continuation frame arrived with no fragmented message in progress
    /// (section 5.4).
    UnexpectedContinuation,
    /// A new text or binary frame arrived while a fragmented message was
    /// still in progress (section 5.4).
    ExpectedContinuation,
    /// A server received an unmasked frame (section 5.1).
    UnmaskedFrame,
    /// A client received a masked frame (section 5.1).
    MaskedFrame,
    /// A text message is not valid UTF-8 (section 8.1).
    InvalidUtf8,
    /// A Close frame has a 1-byte payload (section 5.5.1).
    InvalidClosePayload,
    /// A Close frame carries a code that may not be sent (section 7.4).
    InvalidCloseCode,
    /// A Close frame's reason is not valid UTF-8 (section 5.5.1).
    InvalidCloseReason,
    /// A compressed message is not valid DEFLATE data (RFC 7692 section
    /// 7.2.2).
    InvalidCompressedData,
    /// A compressed message arrived but the caller lent no inflater or no
    /// window of the negotiated size (see
    /// `Connection::receive_inflating`): an error of the calling code,
    /// closed with 1011.
    InflateWindow,
    /// A frame's payload is longer than the configured maximum.
    FrameTooLarge,
    /// A message is longer than the configured maximum.
    MessageTooLarge,
}

impl ProtocolError {
    /// The close code for this error: 1007 for invalid text or compressed
    /// data, 1009 for exceeded limits, 1011 for a missing inflate window,
    /// 1002 for everything else.
    pub const fn close_code(self) -> CloseCode {
        match self {
            ProtocolError::InvalidUtf8
            | ProtocolError::InvalidCloseReason
            | ProtocolError::InvalidCompressedData => CloseCode::INVALID_PAYLOAD,
            ProtocolError::InflateWindow => CloseCode::INTERNAL_ERROR,
            ProtocolError::FrameTooLarge | ProtocolError::MessageTooLarge => {
                CloseCode::MESSAGE_TOO_BIG
            }
            _ => CloseCode::PROTOCOL_ERROR,
        }
    }

    /// A short description, also sent as the reason of the Close frame
    /// with the `detailed-errors` feature (on with `std`).
    pub const fn as_str(self) -> &'static str {
        match self {
            ProtocolError::ReservedBits => "reserved bits set",
            ProtocolError::ReservedOpcode => "reserved opcode",
            ProtocolError::FragmentedControl => "fragmented control frame",
            ProtocolError::ControlTooLong => "control frame longer than 125 bytes",
            ProtocolError::InvalidLength => "payload length has its top bit set",
            ProtocolError::NonMinimalLength => "payload length not minimally encoded",
            ProtocolError::UnexpectedContinuation => "continuation frame without a message",
            ProtocolError::ExpectedContinuation => "new message inside a fragmented message",
            ProtocolError::UnmaskedFrame => "unmasked frame from a client",
            ProtocolError::MaskedFrame => "masked frame from a server",
            ProtocolError::InvalidUtf8 => "invalid UTF-8 in a text message",
            ProtocolError::InvalidClosePayload => "close frame with a 1-byte payload",
            ProtocolError::InvalidCloseCode => "invalid close code",
            ProtocolError::InvalidCloseReason => "invalid UTF-8 in a close reason",
            ProtocolError::InvalidCompressedData => "invalid compressed data",
            ProtocolError::InflateWindow => "no inflate window",
            ProtocolError::FrameTooLarge => "frame too large",
            ProtocolError::MessageTooLarge => "message too large",
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (close code {})", self.as_str(), self.close_code())
    }
}

impl core::error::Error for ProtocolError {}
