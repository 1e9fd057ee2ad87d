//! The reading side of a socket: the read buffer, and the loop that turns
//! transport bytes into core events, waking for the core's timers.

use crate::error::{Error, is_timeout};
use crate::message::{CloseInfo, Message};
use crate::options::{MIN_READ_BUFFER, SocketOptions};
use crate::shared::Shared;
use crate::stream::Stream;
use barews::close::CloseFrame;
use barews::connection::{DataKind, Event, Role, Side};
use barews::frame::MAX_HEADER_LEN;
use std::io;
use std::ops::Range;
use std::time::{Duration, Instant};

/// Access to the shared writing side and to a handle to read from: the
/// same stream for a whole socket, a second handle for a split reader.
pub(crate) trait Link<T, S> {
    /// Runs `f` on the shared state (taking the lock, for split halves).
    fn with_shared<R>(&mut self, f: impl FnOnce(&mut Shared<T, S>) -> R) -> R;
    /// Reads from the transport, waiting at most `timeout`.
    fn read(&mut self, buf: &mut [u8], timeout: Option<Duration>) -> io::Result<usize>;
}

/// Where an event's bytes lie in the read buffer: events are located
/// while the core has the buffer borrowed, then re-borrowed to hand out.
#[derive(Debug, Clone)]
enum EventAt {
    Data { kind: DataKind, payload: Range<usize>, inflated: bool, first: bool, last: bool },
    Ping(Range<usize>),
    Pong(Range<usize>),
    Close { code: Option<barews::close::CloseCode>, reason: Range<usize> },
}

/// The range `part` occupies inside the buffer that starts at address
/// `base`. Only addresses are compared; nothing is dereferenced.
fn range_in(base: usize, part: &[u8]) -> Range<usize> {
    if part.is_empty() {
        // An empty slice may point anywhere (an empty Close reason is a
        // static `""`); any empty range stands for it.
        return 0..0;
    }
    let start = part.as_ptr().addr().wrapping_sub(base);
    start..start + part.len()
}

impl EventAt {
    /// Locates `event` in the read buffer at address `base`, or (an
    /// inflated chunk) in the inflate window at `window`.
    fn locate(base: usize, window: Range<usize>, event: &Event<'_>) -> Self {
        match *event {
            Event::Data { kind, payload, first, last } => {
                let inflated = !payload.is_empty() && window.contains(&payload.as_ptr().addr());
                let from = if inflated { window.start } else { base };
                EventAt::Data { kind, payload: range_in(from, payload), inflated, first, last }
            }
            Event::Ping(payload) => EventAt::Ping(range_in(base, payload)),
            Event::Pong(payload) => EventAt::Pong(range_in(base, payload)),
            Event::Close(frame) => {
                EventAt::Close { code: frame.code, reason: range_in(base, frame.reason.as_bytes()) }
            }
        }
    }

    fn resolve<'a>(self, buf: &'a [u8], window: &'a [u8]) -> Event<'a> {
        match self {
            EventAt::Data { kind, payload, inflated, first, last } => {
                let source = if inflated { window } else { buf };
                Event::Data { kind, payload: &source[payload], first, last }
            }
            EventAt::Ping(range) => Event::Ping(&buf[range]),
            EventAt::Pong(range) => Event::Pong(&buf[range]),
            EventAt::Close { code, reason } => {
                // The core validated the reason as UTF-8 in this very buffer.
                let reason = std::str::from_utf8(&buf[reason]).unwrap_or_default();
                Event::Close(CloseFrame { code, reason })
            }
        }
    }
}

/// Hands bytes to the core, with the inflate window when the `deflate`
/// feature is on.
fn receive<'b, S: Side>(
    conn: &mut barews::connection::Connection<S>,
    buf: &'b mut [u8],
    window: &'b mut [u8],
) -> Result<barews::connection::Received<'b>, barews::ProtocolError> {
    #[cfg(feature = "deflate")]
    return conn.receive_with_window(buf, window);
    #[cfg(not(feature = "deflate"))]
    {
        let _ = window;
        conn.receive(buf)
    }
}

enum Step {
    Event(EventAt),
    Progress,
    NeedInput,
}

/// The read buffer and the message being assembled.
pub(crate) struct Inbox {
    buf: Box<[u8]>,
    /// How large `buf` may grow while reads keep filling it.
    max_buf: usize,
    start: usize,
    end: usize,
    /// The chunks of the message being read into a whole [`Message`].
    message: Vec<u8>,
    /// `message` holds the start of a message whose rest is to come.
    collecting: bool,
    /// The last whole message was large: the next one probably is too, so
    /// with the read buffer empty, the first read for it takes only a
    /// frame header's worth of bytes and the payload goes straight to the
    /// message.
    expect_large: bool,
    /// The configured maximum message size, capping what is reserved
    /// ahead.
    max_message: usize,
    /// The inflate window for permessage-deflate (empty without it):
    /// inflated chunks are handed out from here.
    window: Box<[u8]>,
    /// The transport reported end of stream.
    eof: bool,
}

impl Inbox {
    /// A read buffer of `options.read_buffer_size` bytes (growing up to
    /// `options.max_read_buffer_size`) holding `leftover` (bytes read past
    /// the handshake) first.
    pub(crate) fn new(options: &SocketOptions, leftover: &[u8], window: usize) -> Self {
        let size = options.read_buffer_size.max(MIN_READ_BUFFER).max(leftover.len());
        let mut buf = vec![0u8; size].into_boxed_slice();
        buf[..leftover.len()].copy_from_slice(leftover);
        Inbox {
            buf,
            max_buf: options.max_read_buffer_size.max(size),
            start: 0,
            end: leftover.len(),
            message: Vec::new(),
            collecting: false,
            expect_large: false,
            max_message: usize::try_from(options.config.get_max_message_len())
                .unwrap_or(usize::MAX),
            window: vec![0u8; window].into_boxed_slice(),
            eof: false,
        }
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
        self.collecting = false;
        let at = self.next_event_at(link, deadline, false)?;
        // Without `direct` there is always an event.
        let at = at.ok_or_else(|| Error::Io(io::Error::other("no event")))?;
        Ok(at.resolve(&self.buf, &self.window))
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
            let event = at.resolve(&self.buf, &self.window);
            let message = match event {
                Event::Data { kind, payload, first, last } => {
                    self.collecting = !last;
                    if first {
                        self.message.clear();
                        if !last {
                            // Room for the frames announced so far.
                            let announced = link.with_shared(|shared| {
                                shared.conn.receiving_message_len().unwrap_or(0)
                            });
                            let hint = usize::try_from(announced).unwrap_or(usize::MAX);
                            self.message.reserve(hint.min(self.max_message));
                        }
                    }
                    self.message.extend_from_slice(payload);
                    if !last {
                        continue;
                    }
                    self.expect_large = self.message.len() >= DIRECT_READ;
                    whole(kind, std::mem::take(&mut self.message))?
                }
                Event::Ping(payload) => Message::Ping(payload.to_vec()),
                Event::Pong(payload) => Message::Pong(payload.to_vec()),
                Event::Close(frame) => Message::Close(
                    frame.code.map(|code| CloseInfo { code, reason: frame.reason.to_owned() }),
                ),
            };
            return Ok(message);
        }
    }

    /// The next event. With `direct`, returns `None` instead of reading
    /// into the buffer when what comes next is a payload large enough for
    /// [`read_payload_direct`](Self::read_payload_direct).
    fn next_event_at<T: Stream, S: Side>(
        &mut self,
        link: &mut impl Link<T, S>,
        deadline: Option<Instant>,
        direct: bool,
    ) -> Result<Option<EventAt>, Error> {
        let mut header_only = direct && self.expect_large && !self.collecting;
        loop {
            match self.step(link)? {
                Step::Event(at) => return Ok(Some(at)),
                Step::Progress => continue,
                Step::NeedInput => {}
            }
            let (closed, remaining) = link
                .with_shared(|shared| (shared.conn.is_closed(), shared.conn.payload_remaining()));
            if closed {
                return Err(self.finish_closed(link));
            }
            if direct && self.start == self.end && remaining >= DIRECT_READ as u64 {
                return Ok(None);
            }
            self.fill(link, deadline, header_only)?;
            header_only = false;
        }
    }

    /// Hands the buffered bytes to the core once.
    fn step<T: Stream, S: Side>(&mut self, link: &mut impl Link<T, S>) -> Result<Step, Error> {
        let (start, end) = (self.start, self.end);
        let buf = &mut self.buf;
        let window = &mut self.window;
        let (consumed, step) = link.with_shared(|shared| {
            let base = buf.as_ptr().addr();
            let window_range = window.as_ptr().addr()..window.as_ptr().addr() + window.len();
            let received = receive(&mut shared.conn, &mut buf[start..end], window);
            let outcome = match received {
                Ok(received) => {
                    let at = received
                        .event
                        .as_ref()
                        .map(|event| EventAt::locate(base, window_range.clone(), event));
                    let step = match at {
                        Some(at) => Step::Event(at),
                        None if received.consumed > 0 => Step::Progress,
                        None => Step::NeedInput,
                    };
                    Ok((received.consumed, step))
                }
                Err(error) => Err(Error::Protocol(error)),
            };
            let flushed = shared.queue_owed();
            match (outcome, flushed) {
                (Err(error), _) | (Ok(_), Err(error)) => (0, Err(error)),
                (Ok((consumed, step)), Ok(())) => (consumed, Ok(step)),
            }
        });
        self.start += consumed;
        step
    }

    /// Reads more bytes into the read buffer (at most a frame header's
    /// worth into an empty buffer with `header_only`); see
    /// [`read_waiting`].
    fn fill<T: Stream, S: Side>(
        &mut self,
        link: &mut impl Link<T, S>,
        deadline: Option<Instant>,
        header_only: bool,
    ) -> Result<(), Error> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            // Cannot happen: the core always consumes data, and a control
            // frame fits the minimum buffer.
            return Err(Error::Io(io::Error::other("read buffer full")));
        }
        let room = if header_only && self.start == self.end {
            &mut self.buf[self.end..self.end + MAX_HEADER_LEN]
        } else {
            &mut self.buf[self.end..]
        };
        let n = read_waiting(link, deadline, room, &mut self.eof)?;
        self.end += n;
        if self.end == self.buf.len() {
            self.grow();
        }
        Ok(())
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
        let remaining = link.with_shared(|shared| shared.conn.payload_remaining());
        let remaining = usize::try_from(remaining).unwrap_or(usize::MAX);
        if self.start != self.end || remaining < DIRECT_READ {
            return Ok(None);
        }
        if !self.collecting {
            // The message starts here: its header was all the buffer held.
            self.message.clear();
            let announced = link.with_shared(|shared| shared.conn.receiving_message_len());
            let announced = usize::try_from(announced.unwrap_or(0)).unwrap_or(usize::MAX);
            self.message.reserve(announced.min(self.max_message));
            self.collecting = true;
        }
        // The core admitted the frame under the message size limit. Memory
        // is committed as the payload arrives (doubling), not all at once
        // on the peer's word.
        let mut filled = self.message.len();
        let frame_end = filled.saturating_add(remaining);
        let mut done = None;
        let result = loop {
            if filled == frame_end {
                break Ok(());
            }
            if filled == self.message.len() {
                let grow = (frame_end - filled).min(filled.max(4 * DIRECT_READ));
                self.message.resize(filled + grow, 0);
            }
            let n = match read_waiting(link, deadline, &mut self.message[filled..], &mut self.eof) {
                Ok(n) => n,
                Err(error) => break Err(error),
            };
            let region = &mut self.message[filled..filled + n];
            let outcome = link.with_shared(|shared| {
                let received = shared.conn.receive(region).map(|received| match received.event {
                    Some(Event::Data { kind, last, .. }) => {
                        (received.consumed, last.then_some(kind))
                    }
                    _ => (received.consumed, None),
                });
                (received, shared.queue_owed())
            });
            match outcome {
                (Err(error), _) => break Err(Error::Protocol(error)),
                (Ok(_), Err(error)) => break Err(error),
                (Ok((consumed, last)), Ok(())) => {
                    // Payload bytes are consumed whole, as promised by
                    // `payload_remaining`.
                    debug_assert_eq!(consumed, n);
                    filled += n;
                    if last.is_some() {
                        done = last;
                        break Ok(());
                    }
                }
            }
        };
        self.message.truncate(filled);
        result?;
        let Some(kind) = done else { return Ok(None) };
        self.collecting = false;
        self.expect_large = true;
        let bytes = std::mem::take(&mut self.message);
        Ok(Some(whole(kind, bytes)?))
    }

    /// The read buffer's current size.
    #[cfg(test)]
    pub(crate) fn buffer_len(&self) -> usize {
        self.buf.len()
    }

    /// Doubles the read buffer (up to its maximum) after a read filled it:
    /// the peer is sending faster than one buffer per read, and fewer,
    /// larger reads cost fewer system calls.
    fn grow(&mut self) {
        let size = self.buf.len().saturating_mul(2).min(self.max_buf);
        if size > self.buf.len() {
            let mut buf = vec![0u8; size].into_boxed_slice();
            buf[..self.end].copy_from_slice(&self.buf[..self.end]);
            self.buf = buf;
        }
    }

    /// The connection is over: a client waits (up to the close timeout)
    /// for the server to end the transport first, as RFC 6455 section
    /// 7.1.1 asks, then ends it.
    fn finish_closed<T: Stream, S: Side>(&mut self, link: &mut impl Link<T, S>) -> Error {
        let (error, waiting) = link.with_shared(|shared| {
            let waiting = S::ROLE == Role::Client && !shared.is_shut();
            (shared.closed_error(), waiting.then(|| shared.options.config.get_close_timeout()))
        });
        if let Some(timeout) = waiting {
            let until = Instant::now() + Duration::from_millis(timeout.as_millis());
            let mut sink = [0u8; 256];
            while !self.eof {
                let left = until.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                match link.read(&mut sink, Some(left)) {
                    Ok(0) => self.eof = true,
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            link.with_shared(Shared::shutdown);
        }
        error
    }
}

/// Payloads from this size up are read straight into the message being
/// collected rather than through the read buffer.
const DIRECT_READ: usize = 16 * 1024;

/// A complete message of `kind` made of `bytes`.
fn whole(kind: DataKind, bytes: Vec<u8>) -> Result<Message, Error> {
    match kind {
        DataKind::Binary => Ok(Message::Binary(bytes)),
        // The core validated the text as it arrived.
        DataKind::Text => String::from_utf8(bytes)
            .map(Message::Text)
            .map_err(|_| Error::Protocol(barews::ProtocolError::InvalidUtf8)),
    }
}

/// Writes out everything queued, then reads from the transport into
/// `target`, waking up for the core's timers and giving up at `deadline`.
/// Replies and queued messages thus leave in one write per batch of input.
fn read_waiting<T: Stream, S: Side>(
    link: &mut impl Link<T, S>,
    deadline: Option<Instant>,
    target: &mut [u8],
    eof: &mut bool,
) -> Result<usize, Error> {
    link.with_shared(Shared::flush)?;
    loop {
        let now = Instant::now();
        let timer = link.with_shared(|shared| shared.timer_deadline());
        if timer.is_some_and(|at| at <= now) {
            link.with_shared(Shared::fire_timers)?;
            continue;
        }
        if deadline.is_some_and(|at| at <= now) {
            return Err(Error::Timeout);
        }
        let wake = [timer, deadline].into_iter().flatten().min();
        let wait = wake.map(|at| at.saturating_duration_since(now).max(Duration::from_millis(1)));
        match link.read(target, wait) {
            Ok(0) => {
                *eof = true;
                return Err(link.with_shared(|shared| {
                    shared.shutdown();
                    if shared.conn.is_closed() {
                        shared.closed_error()
                    } else {
                        Error::AbnormalClosure
                    }
                }));
            }
            Ok(n) => return Ok(n),
            Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                link.with_shared(Shared::shutdown);
                return Err(Error::Io(e));
            }
        }
    }
}
