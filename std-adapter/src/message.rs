//! Whole messages, for callers that want them rather than chunks.

use barews::close::CloseCode;

/// A complete message or control frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Vec<u8>),
    /// A Ping (its Pong has already been sent).
    Ping(Vec<u8>),
    /// A Pong.
    Pong(Vec<u8>),
    /// The peer's Close: its code and reason, or `None` for an empty Close.
    /// The reply has already been sent.
    Close(Option<CloseInfo>),
}

/// The content of a Close frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseInfo {
    /// The status code.
    pub code: CloseCode,
    /// The reason, possibly empty.
    pub reason: String,
}

impl Message {
    /// A text message.
    pub fn text(text: impl Into<String>) -> Self {
        Message::Text(text.into())
    }

    /// A binary message.
    pub fn binary(bytes: impl Into<Vec<u8>>) -> Self {
        Message::Binary(bytes.into())
    }
}
