//! Close codes and Close frame payloads (RFC 6455 sections 5.5.1 and 7.4).

use crate::error::ProtocolError;
use core::fmt;

/// A close status code: an open newtype, so codes this crate has no name
/// for (such as application codes 4000-4999) are still representable.
///
/// ```
/// use barews::close::CloseCode;
///
/// assert!(CloseCode::NORMAL.is_valid_on_wire());
/// assert!(CloseCode(4001).is_valid_on_wire());
/// assert!(!CloseCode::NO_STATUS.is_valid_on_wire()); // 1005 is never sent
/// assert_eq!(u16::from(CloseCode::PROTOCOL_ERROR), 1002);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000: the purpose of the connection has been fulfilled.
    pub const NORMAL: CloseCode = CloseCode(1000);
    /// 1001: the endpoint is going away (server shutdown, page closed).
    pub const GOING_AWAY: CloseCode = CloseCode(1001);
    /// 1002: the peer broke the protocol.
    pub const PROTOCOL_ERROR: CloseCode = CloseCode(1002);
    /// 1003: the endpoint cannot accept this type of data.
    pub const UNSUPPORTED_DATA: CloseCode = CloseCode(1003);
    /// 1005: no code was present. Reported locally, never sent.
    pub const NO_STATUS: CloseCode = CloseCode(1005);
    /// 1006: the connection dropped without a Close. Reported locally,
    /// never sent.
    pub const ABNORMAL: CloseCode = CloseCode(1006);
    /// 1007: a message's data did not match its type (invalid UTF-8 in a
    /// text message).
    pub const INVALID_PAYLOAD: CloseCode = CloseCode(1007);
    /// 1008: a message violated the endpoint's policy.
    pub const POLICY_VIOLATION: CloseCode = CloseCode(1008);
    /// 1009: a message was too big to process.
    pub const MESSAGE_TOO_BIG: CloseCode = CloseCode(1009);
    /// 1010: the client expected the server to negotiate an extension.
    pub const MANDATORY_EXTENSION: CloseCode = CloseCode(1010);
    /// 1011: the server met an unexpected condition.
    pub const INTERNAL_ERROR: CloseCode = CloseCode(1011);
    /// 1012: the service is restarting (IANA registry).
    pub const SERVICE_RESTART: CloseCode = CloseCode(1012);
    /// 1013: try again later (IANA registry).
    pub const TRY_AGAIN_LATER: CloseCode = CloseCode(1013);
    /// 1014: a gateway or proxy got an invalid response (IANA registry).
    pub const BAD_GATEWAY: CloseCode = CloseCode(1014);
    /// 1015: the TLS handshake failed. Reported locally, never sent.
    pub const TLS_HANDSHAKE: CloseCode = CloseCode(1015);

    /// Whether the code may appear in a Close frame: 1000-1003, 1007-1014,
    /// and 3000-4999 (registered libraries and frameworks, then private
    /// use).
    ///
    /// 1012-1014 were registered with IANA after RFC 6455 and are in
    /// common use, so they are accepted. 1004 is reserved; 1005, 1006 and
    /// 1015 are for local reporting only; 1016-2999 are unassigned.
    pub const fn is_valid_on_wire(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> Self {
        CloseCode(code)
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> Self {
        code.0
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// The longest reason a Close frame can carry: 125 payload bytes less the
/// 2-byte code.
pub const MAX_REASON_LEN: usize = 123;

/// A received Close frame's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseFrame<'a> {
    /// The status code, or `None` when the frame had an empty payload
    /// (reported to users as [`CloseCode::NO_STATUS`]).
    pub code: Option<CloseCode>,
    /// The reason, valid UTF-8, possibly empty.
    pub reason: &'a str,
}

impl<'a> CloseFrame<'a> {
    /// Validates a Close frame's (unmasked) payload: empty, or a valid
    /// code followed by a UTF-8 reason (RFC 6455 section 5.5.1).
    ///
    /// ```
    /// use barews::close::{CloseCode, CloseFrame};
    ///
    /// let frame = CloseFrame::parse(b"\x03\xe8bye").unwrap();
    /// assert_eq!(frame.code, Some(CloseCode::NORMAL));
    /// assert_eq!(frame.reason, "bye");
    /// assert!(CloseFrame::parse(b"\x03").is_err()); // one byte: no room for a code
    /// ```
    pub fn parse(payload: &'a [u8]) -> Result<Self, ProtocolError> {
        let (code, reason) = match payload {
            [] => return Ok(CloseFrame { code: None, reason: "" }),
            [_] => return Err(ProtocolError::InvalidClosePayload),
            [high, low, reason @ ..] => (CloseCode(u16::from_be_bytes([*high, *low])), reason),
        };
        if !code.is_valid_on_wire() {
            return Err(ProtocolError::InvalidCloseCode);
        }
        let reason = core::str::from_utf8(reason).map_err(|_| ProtocolError::InvalidCloseReason)?;
        Ok(CloseFrame { code: Some(code), reason })
    }

    /// The code to report: the one sent, or [`CloseCode::NO_STATUS`].
    pub fn code_or_no_status(&self) -> CloseCode {
        self.code.unwrap_or(CloseCode::NO_STATUS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_validity_follows_the_registry() {
        let valid = |code: u16| CloseCode(code).is_valid_on_wire();
        for code in [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014] {
            assert!(valid(code), "{code}");
        }
        for code in [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535] {
            assert!(!valid(code), "{code}");
        }
        assert!(valid(3000) && valid(3999) && valid(4000) && valid(4999));
    }

    #[test]
    fn close_payloads_are_validated() {
        assert_eq!(CloseFrame::parse(b""), Ok(CloseFrame { code: None, reason: "" }));
        assert_eq!(CloseFrame::parse(b"\x03"), Err(ProtocolError::InvalidClosePayload));
        assert_eq!(CloseFrame::parse(b"\x03\xed"), Err(ProtocolError::InvalidCloseCode));
        assert_eq!(CloseFrame::parse(b"\x03\xe8\xff"), Err(ProtocolError::InvalidCloseReason));
        let mut payload = std::vec![0x0f, 0xa0];
        payload.extend_from_slice("κόσμε".as_bytes());
        let frame = CloseFrame::parse(&payload).unwrap();
        assert_eq!((frame.code, frame.reason), (Some(CloseCode(4000)), "κόσμε"));
        assert_eq!(CloseFrame::parse(b"").unwrap().code_or_no_status(), CloseCode::NO_STATUS);
    }
}
