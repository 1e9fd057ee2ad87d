//! The reading side of a socket: the core driver's receive buffer, the
//! message being collected, and the loop that does what the driver asks
//! (read, write, wait for a timer, end the transport).

use crate::collect::Collector;
use crate::error::{Error, is_timeout};
use crate::message::Message;
use crate::options::{MIN_READ_BUFFER, SocketOptions};
use crate::shared::Shared;
use crate::stream::Stream;
use barews::connection::{Event, Side};
use barews::driver::{Action, EventAt, Input};
use barews::frame::MAX_HEADER_LEN;
use std::io;
use std::time::{Duration, Instant};

/// Access to the shared writing side and to a handle to read from: the
/// same stream for a whole socket, a second handle for a split reader.
pub(crate) trait Link<T, S> {
    /// Runs `f` on the shared state (taking the lock, for split halves).
    fn with_shared<R>(&mut self, f: impl FnOnce(&mut Shared<T, S>) -> R) -> R;
    /// Reads from the transport, waiting at most `timeout`.
    fn read(&mut self, buf: &mut [u8], timeout: Option<Duration>) -> io::Result<usize>;
}

/// Payloads from this size up are read straight into the message being
/// collected rather than through the read buffer.
const DIRECT_READ: usize = 16 * 1024;

/// The read buffer and the message being assembled.
pub(crate) struct Inbox {
    input: Input<Vec<u8>>,
    /// The message being read into a whole [`Message`].
    collector: Collector,
    /// The last whole message was large: the next one probably is too, so
    /// with the read buffer empty, the first read for it takes only a
    /// frame header's worth of bytes and the payload goes straight to the
    /// message.
    expect_large: bool,
}

impl Inbox {
    /// The read buffer of a socket, holding `leftover` (bytes read past
    /// the handshake) first.
    pub(crate) fn new(mut input: Input<Vec<u8>>, leftover: &[u8]) -> Self {
        let mut rest = leftover;
        while !rest.is_empty() {
            let spare = input.spare();
            let n = spare.len().min(rest.len());
            spare[..n].copy_from_slice(&rest[..n]);
            input.filled(n);
            rest = &rest[n..];
            if n == 0 {
                break;
            }
        }
        Inbox { input, collector: Collector::new(), expect_large: false }
    }

    /// The receive buffer's storage for a socket with `options`, large
    /// enough for `leftover` bytes.
    pub(crate) fn buffer(options: &SocketOptions, leftover: usize) -> Vec<u8> {
        vec![0u8; options.read_buffer_size.max(MIN_READ_BUFFER).max(leftover)]
    }

    /// The next event, borrowing the read buffer. `deadline` bounds the
    /// wait for it.
    pub(crate) fn next_event<T: Stream, S: Side>(
        &mut self,
        link: &mut impl Link<T, S>,
        deadline: Option<Instant>,
    ) -> Result<Event<'_>, Error> {
        // Events go to the caller: a message `next_message` was collecting
        // is abandoned.
        self.collector.abandon();
        let at = self.next_event_at(link, deadline, false)?;
        // Without `direct` there is always an event.
        let at = at.ok_or_else(|| Error::Io(io::Error::other("no event")))?;
        Ok(self.input.event(at))
    }

    /// The next whole message (control frames count as messages).
    ///
    /// A message's chunks are appended to a `Vec` that becomes the
    /// message, so its bytes are copied once, out of the read buffer; the
    /// core has already bounded its size by the configured maximum.
    pub(crate) fn next_message<T: Stream, S: Side>(
        &mut self,
        link: &mut impl Link<T, S>,
        deadline: Option<Instant>,
    ) -> Result<Message, Error> {
        loop {
            if let Some(message) = self.read_payload_direct(link, deadline)? {
                return Ok(message);
            }
            let Some(at) = self.next_event_at(link, deadline, true)? else { continue };
            let announced = || link.with_shared(|shared| shared.conn.receiving_message_len());
            if let Some(message) = self.collector.take(self.input.event(at), announced)? {
                if let Message::Text(_) | Message::Binary(_) = message {
                    self.expect_large = message_len(&message) >= DIRECT_READ;
                }
                return Ok(message);
            }
        }
    }

    /// Does what the driver asks until it has an event. With `direct`,
    /// returns `None` instead of reading into the buffer when what comes
    /// next is a payload large enough for
    /// [`read_payload_direct`](Self::read_payload_direct).
    fn next_event_at<T: Stream, S: Side>(
        &mut self,
        link: &mut impl Link<T, S>,
        deadline: Option<Instant>,
        direct: bool,
    ) -> Result<Option<EventAt>, Error> {
        let mut header_only = direct && self.expect_large && !self.collector.is_collecting();
        loop {
            let input = &mut self.input;
            let action = link.with_shared(|shared| {
                input.poll(&mut shared.conn, &mut shared.output, &mut shared.clock)
            });
            match action {
                Ok(Action::Event(at)) => return Ok(Some(at)),
                Ok(Action::Write) => link.with_shared(Shared::write_pending)?,
                Ok(Action::Read { deadline: timer }) => {
                    let empty = self.input.unread().is_empty();
                    let (remaining, timer) = link.with_shared(|shared| {
                        (shared.conn.payload_remaining(), timer.map(|at| shared.to_std(at)))
                    });
                    if direct && empty && remaining >= DIRECT_READ as u64 {
                        return Ok(None);
                    }
                    let spare = self.input.spare();
                    let room = if header_only && empty {
                        let len = spare.len().min(MAX_HEADER_LEN);
                        &mut spare[..len]
                    } else {
                        spare
                    };
                    header_only = false;
                    match read_waiting(link, room, timer, deadline)? {
                        Some(0) => self.input.ended(),
                        Some(n) => self.input.filled(n),
                        None => {} // a timer is due: the next poll runs it
                    }
                }
                Ok(Action::Shutdown) => link.with_shared(Shared::shutdown),
                Ok(_) => {}
                Err(end) => return Err(end.into()),
            }
        }
    }

    /// With the read buffer empty and more of a data frame's payload to
    /// come than the buffer holds, reads that payload straight into the
    /// message being collected, where the core unmasks and checks it: one
    /// copy fewer, and reads as large as the payload. Returns the message
    /// if its last byte arrived.
    fn read_payload_direct<T: Stream, S: Side>(
        &mut self,
        link: &mut impl Link<T, S>,
        deadline: Option<Instant>,
    ) -> Result<Option<Message>, Error> {
        if !self.input.unread().is_empty() {
            return Ok(None);
        }
        let (remaining, announced) = link.with_shared(|shared| {
            (shared.conn.payload_remaining(), shared.conn.receiving_message_len())
        });
        let remaining = usize::try_from(remaining).unwrap_or(usize::MAX);
        if remaining < DIRECT_READ {
            return Ok(None);
        }
        if !self.collector.is_collecting() {
            // The message starts here: its header was all the buffer held.
            self.collector.start(announced);
        }
        let message = self.collector.bytes_mut();
        // The core admitted the frame under the message size limit. Memory
        // is committed as the payload arrives (doubling), not all at once
        // on the peer's word.
        let mut filled = message.len();
        let frame_end = filled.saturating_add(remaining);
        let mut done = None;
        let result = loop {
            if filled == frame_end {
                break Ok(());
            }
            if filled == message.len() {
                let grow = (frame_end - filled).min(filled.max(4 * DIRECT_READ));
                message.resize(filled + grow, 0);
            }
            // What is queued (echoes, Pongs) goes before the wait.
            if let Err(error) = link.with_shared(Shared::flush) {
                break Err(error);
            }
            let n = match read_waiting(link, &mut message[filled..], None, deadline) {
                Ok(Some(0)) => {
                    self.input.ended();
                    break Ok(());
                }
                Ok(Some(n)) => n,
                Ok(None) => continue,
                Err(error) => break Err(error),
            };
            let region = &mut message[filled..filled + n];
            let outcome = link.with_shared(|shared| {
                let received = shared.conn.receive(region);
                shared.output.queue_owed(&mut shared.conn);
                received.map(|received| match received.event {
                    Some(Event::Data { kind, last, .. }) => last.then_some(kind),
                    _ => None,
                })
            });
            match outcome {
                // The connection failed: the driver reports it next.
                Err(_) => break Ok(()),
                Ok(last) => {
                    // Payload bytes are consumed whole, as promised by
                    // `payload_remaining`.
                    filled += n;
                    if last.is_some() {
                        done = last;
                        break Ok(());
                    }
                }
            }
        };
        message.truncate(filled);
        result?;
        let Some(kind) = done else { return Ok(None) };
        self.expect_large = true;
        Ok(Some(self.collector.finish(kind)?))
    }

    /// The read buffer's current size.
    #[cfg(test)]
    pub(crate) fn buffer_len(&mut self) -> usize {
        self.input.unread().len() + self.input.spare().len()
    }
}

/// The payload length of a data message.
fn message_len(message: &Message) -> usize {
    match message {
        Message::Text(text) => text.len(),
        Message::Binary(bytes) => bytes.len(),
        _ => 0,
    }
}

/// Reads from the transport into `target`, waiting until the core's
/// `timer` at most (then `None`: poll the driver, which runs it), and
/// failing with [`Error::Timeout`] at the caller's `deadline`. `Some(0)`:
/// the transport's input ended.
fn read_waiting<T: Stream, S: Side>(
    link: &mut impl Link<T, S>,
    target: &mut [u8],
    timer: Option<Instant>,
    deadline: Option<Instant>,
) -> Result<Option<usize>, Error> {
    loop {
        let now = Instant::now();
        if timer.is_some_and(|at| at <= now) {
            return Ok(None);
        }
        if deadline.is_some_and(|at| at <= now) {
            return Err(Error::Timeout);
        }
        let wake = [timer, deadline].into_iter().flatten().min();
        let wait = wake.map(|at| at.saturating_duration_since(now).max(Duration::from_millis(1)));
        match link.read(target, wait) {
            Ok(n) => return Ok(Some(n)),
            Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                link.with_shared(Shared::shutdown);
                return Err(Error::Io(e));
            }
        }
    }
}
