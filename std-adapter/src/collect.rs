//! Whole messages out of a connection's events, for `read()`: the chunks
//! of a data message are gathered into one `Vec` (each byte copied once,
//! out of the read buffer), control frames become messages at once.

use crate::error::Error;
use crate::message::{CloseInfo, Message};
use barews::ProtocolError;
use barews::connection::{DataKind, Event};
use barews::driver::End;

/// The data message being gathered from its chunks. Adapters keep one per
/// socket, so a `read()` that is cancelled (an async one, dropped in a
/// `select!`) resumes the message where it stopped.
#[derive(Debug, Default)]
pub struct Collector {
    message: Vec<u8>,
    /// `message` holds the start of a message whose rest is to come.
    collecting: bool,
}

impl Collector {
    /// An empty collector. What it reserves ahead for a message is what
    /// the message's frames announced so far, which the core never lets
    /// past `Config::max_message_len` (it fails the connection on the
    /// header that would).
    pub const fn new() -> Self {
        Collector { message: Vec::new(), collecting: false }
    }

    /// Whether a message has started and its rest is to come.
    pub fn is_collecting(&self) -> bool {
        self.collecting
    }

    /// Forgets the message being gathered (its chunks went to a caller of
    /// `read_event` instead).
    pub fn abandon(&mut self) {
        self.collecting = false;
    }

    /// Takes one event: the whole message once it is complete, `None`
    /// while a data message has more to come. `announced` gives the size
    /// announced so far by the message's frames
    /// (`Connection::receiving_message_len`), asked only when a message
    /// starts in more than one chunk, to reserve room for it.
    pub fn take(
        &mut self,
        event: Event<'_>,
        announced: impl FnOnce() -> Option<u64>,
    ) -> Result<Option<Message>, Error> {
        let message = match event {
            // A message in one chunk becomes a `Vec` of its own size.
            Event::Data { kind, payload, first: true, last: true } => {
                self.collecting = false;
                whole(kind, payload.to_vec())?
            }
            Event::Data { kind, payload, first, last } => {
                if first {
                    self.start(announced());
                }
                self.message.extend_from_slice(payload);
                if !last {
                    return Ok(None);
                }
                self.finish(kind)?
            }
            Event::Ping(payload) => Message::Ping(payload.to_vec()),
            Event::Pong(payload) => Message::Pong(payload.to_vec()),
            Event::Close(frame) => Message::Close(
                frame.code.map(|code| CloseInfo { code, reason: frame.reason.to_owned() }),
            ),
        };
        Ok(Some(message))
    }

    /// Starts a message whose frames announced `announced` bytes so far.
    pub fn start(&mut self, announced: Option<u64>) {
        self.message.clear();
        let hint = usize::try_from(announced.unwrap_or(0)).unwrap_or(usize::MAX);
        self.message.reserve(hint);
        self.collecting = true;
    }

    /// The bytes gathered so far, for an adapter that reads payloads
    /// straight into them.
    pub fn bytes_mut(&mut self) -> &mut Vec<u8> {
        &mut self.message
    }

    /// The gathered message, complete, as a message of `kind`.
    pub fn finish(&mut self, kind: DataKind) -> Result<Message, Error> {
        self.collecting = false;
        whole(kind, std::mem::take(&mut self.message))
    }
}

/// A complete message of `kind` made of `bytes`.
#[inline]
fn whole(kind: DataKind, bytes: Vec<u8>) -> Result<Message, Error> {
    match kind {
        DataKind::Binary => Ok(Message::Binary(bytes)),
        // The core validated the text as it arrived.
        DataKind::Text => String::from_utf8(bytes)
            .map(Message::Text)
            .map_err(|_| Error::Ended(End::Protocol(ProtocolError::InvalidUtf8))),
    }
}
