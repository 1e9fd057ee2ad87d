//! A WebSocket over a blocking stream.

use crate::error::Error;
use crate::inbox::{Inbox, Link};
use crate::message::Message;
use crate::options::SocketOptions;
use crate::rng::OsMasks;
use crate::shared::Shared;
use crate::split::{Reader, Writer};
use crate::stream::{Stream, TryClone};
use barews::close::CloseCode;
use barews::connection::{Client, Connection, DataKind, Event, Server, Side, State};
use barews::driver::{Driver, End};
use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A server's socket.
pub type ServerSocket<T> = WebSocket<T, Server>;
/// A client's socket (masking with keys from the OS).
pub type ClientSocket<T> = WebSocket<T, Client<OsMasks>>;

/// An open WebSocket over a blocking stream `T`, for one side `S`.
///
/// Reads return whole [`Message`]s ([`read`](Self::read)) or, for
/// messages larger than memory, chunks as they arrive
/// ([`read_event`](Self::read_event)). Pongs and the Close reply are sent
/// by the socket itself while it reads; keepalive Pings and the close
/// timeout follow the core's timers.
///
/// Memory: the read buffer ([`SocketOptions::read_buffer_size`], 4 KiB by
/// default, growing up to [`SocketOptions::max_read_buffer_size`] while
/// reads keep filling it), the message being assembled (up to the
/// configured maximum), an output buffer for queued frames (written out
/// once it holds 64 KiB), and the core's state (a few hundred bytes, see
/// the crate docs).
pub struct WebSocket<T, S> {
    shared: Shared<T, S>,
    inbox: Inbox,
}

/// The whole socket as a [`Link`]: it reads from its own stream.
struct Direct<'a, T, S>(&'a mut Shared<T, S>);

impl<T: Stream, S: Side> Link<T, S> for Direct<'_, T, S> {
    fn with_shared<R>(&mut self, f: impl FnOnce(&mut Shared<T, S>) -> R) -> R {
        f(self.0)
    }

    fn read(&mut self, buf: &mut [u8], timeout: Option<Duration>) -> io::Result<usize> {
        // A system call saved on every read that waits as long as the last.
        if self.0.read_timeout != Some(timeout) {
            self.0.stream.set_read_timeout(timeout)?;
            self.0.read_timeout = Some(timeout);
        }
        self.0.stream.read(buf)
    }
}

impl<T: Stream> WebSocket<T, Server> {
    /// Wraps a stream whose opening handshake is complete, as a server.
    /// `leftover` holds bytes already read past the handshake.
    pub fn server_from_raw(stream: T, leftover: &[u8], options: SocketOptions) -> io::Result<Self> {
        let conn = Connection::server(options.config);
        Self::from_parts(stream, conn, leftover, options)
    }
}

impl<T: Stream> WebSocket<T, Client<OsMasks>> {
    /// Wraps a stream whose opening handshake is complete, as a client
    /// masking with keys from the OS. `leftover` holds bytes already read
    /// past the handshake.
    pub fn client_from_raw(stream: T, leftover: &[u8], options: SocketOptions) -> io::Result<Self> {
        let conn = Connection::client(options.config, OsMasks::new()?);
        Self::from_parts(stream, conn, leftover, options)
    }
}

impl<T: Stream, S: Side> WebSocket<T, S> {
    pub(crate) fn from_parts(
        stream: T,
        conn: Connection<S>,
        leftover: &[u8],
        options: SocketOptions,
    ) -> io::Result<Self> {
        let rx = Inbox::buffer(&options, leftover.len());
        let limits = options.driver_limits(rx.len());
        let driver = Driver::with_limits(conn, rx, Vec::new(), Vec::new(), limits)
            .map_err(io::Error::other)?;
        let (conn, input, output) = driver.into_parts();
        let inbox = Inbox::new(input, leftover);
        Ok(WebSocket { shared: Shared::new(stream, conn, output, options)?, inbox })
    }

    fn read_deadline(&self) -> Option<Instant> {
        self.shared.options.read_timeout.map(|timeout| Instant::now() + timeout)
    }

    /// Reads the next whole message, or control frame.
    ///
    /// Fails with [`Error::Timeout`] when the read timeout passes first
    /// (read again to keep waiting), and with [`Error::Ended`]`(`[`End::Closed`]`)`
    /// once the closing handshake is over.
    pub fn read(&mut self) -> Result<Message, Error> {
        let deadline = self.read_deadline();
        self.inbox.next_message(&mut Direct(&mut self.shared), deadline)
    }

    /// Reads the next event as it arrives: a chunk of a data message (with
    /// first/last flags), or a control frame. Nothing is assembled, so a
    /// message of any size passes through the read buffer.
    pub fn read_event(&mut self) -> Result<Event<'_>, Error> {
        let deadline = self.read_deadline();
        self.inbox.next_event(&mut Direct(&mut self.shared), deadline)
    }

    /// Sends a message. Ping, Pong and Close are sent as control frames
    /// (Close with its code, or 1000 when it has none) .
    pub fn send(&mut self, message: Message) -> Result<(), Error> {
        match message {
            Message::Text(text) => self.send_text(&text),
            Message::Binary(bytes) => self.send_binary(&bytes),
            Message::Ping(payload) => self.ping(&payload),
            Message::Pong(payload) => self.pong(&payload),
            Message::Close(info) => {
                let (code, reason) = info
                    .map_or((CloseCode::NORMAL, String::new()), |info| (info.code, info.reason));
                self.close(code, &reason)
            }
        }
    }

    /// Sends a text message now.
    pub fn send_text(&mut self, text: &str) -> Result<(), Error> {
        self.shared.send_message(DataKind::Text, text.as_bytes(), true)
    }

    /// Sends a binary message now.
    pub fn send_binary(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.shared.send_message(DataKind::Binary, bytes, true)
    }

    /// Queues a text message. Queued frames go out together, in as few
    /// writes as possible: on [`flush`](Self::flush), with the next
    /// `send_*`, when the queue passes 64 KiB, and before a read waits for
    /// the peer. An echo or request/response server that queues its
    /// answers writes one batch per batch of input.
    pub fn queue_text(&mut self, text: &str) -> Result<(), Error> {
        self.shared.send_message(DataKind::Text, text.as_bytes(), false)
    }

    /// Queues a binary message; see [`queue_text`](Self::queue_text).
    pub fn queue_binary(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.shared.send_message(DataKind::Binary, bytes, false)
    }

    /// Sends one fragment of a message now; the one with `fin` set ends
    /// it. Streams a message larger than memory.
    pub fn send_fragment(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        fin: bool,
    ) -> Result<(), Error> {
        self.shared.send_fragment(kind, payload, fin, true)
    }

    /// Queues one fragment of a message; see
    /// [`queue_text`](Self::queue_text) for when it is written.
    pub fn queue_fragment(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        fin: bool,
    ) -> Result<(), Error> {
        self.shared.send_fragment(kind, payload, fin, false)
    }

    /// Sends a Ping (at most 125 bytes).
    pub fn ping(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.shared.conn.ping(payload)?;
        self.shared.flush()
    }

    /// Sends an unsolicited Pong (at most 125 bytes).
    pub fn pong(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.shared.conn.pong(payload)?;
        self.shared.flush()
    }

    /// Writes everything queued and flushes the transport.
    pub fn flush(&mut self) -> Result<(), Error> {
        self.shared.flush()
    }

    /// Closes gracefully: sends a Close, waits for the peer's (reading and
    /// dropping any messages still in flight) up to the configured close
    /// timeout, then ends the transport. Returns `Ok` when the closing
    /// handshake completed.
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        if self.shared.conn.state() == State::Open
            || self.shared.conn.state() == State::CloseReceived
        {
            self.shared.conn.close(code, reason)?;
        }
        self.shared.flush()?;
        loop {
            match self.inbox.next_event(&mut Direct(&mut self.shared), None) {
                Ok(_) => {}
                Err(Error::Ended(End::Closed)) => return Ok(()),
                Err(error) => {
                    self.shared.shutdown();
                    return Err(error);
                }
            }
        }
    }

    /// Where the closing handshake stands.
    pub fn state(&self) -> State {
        self.shared.conn.state()
    }

    /// The socket's options.
    pub fn options(&self) -> &SocketOptions {
        &self.shared.options
    }

    /// The underlying stream.
    pub fn get_ref(&self) -> &T {
        &self.shared.stream
    }

    /// Splits the socket into a reader and a writer that can be used from
    /// two threads. Replies the reader owes (Pong, Close) are written under
    /// the same lock as the writer's messages, so frames never interleave.
    /// When either side finishes the closing handshake or fails, the
    /// transport is shut down and the other side's calls end.
    pub fn split(self) -> io::Result<(Reader<T, S>, Writer<T, S>)>
    where
        T: TryClone,
    {
        let read_stream = self.shared.stream.try_clone()?;
        let shared = Arc::new(Mutex::new(self.shared));
        Ok((Reader::new(read_stream, self.inbox, Arc::clone(&shared)), Writer::new(shared)))
    }
}

impl<T, S> std::fmt::Debug for WebSocket<T, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocket").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;
    use barews_testkit::client_frame;
    use std::cell::Cell;
    use std::io::{Read, Write};

    /// A transport that hands out scripted input in reads of at most
    /// `max_read` bytes, times out once when it reaches `stall_at` (after
    /// waiting out its read timeout, as a socket does), and keeps its
    /// output.
    struct Scripted {
        input: Vec<u8>,
        at: usize,
        max_read: usize,
        stall_at: Option<usize>,
        read_timeout: Cell<Option<Duration>>,
        output: Vec<u8>,
        reads: usize,
    }

    impl Read for Scripted {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.stall_at == Some(self.at) {
                self.stall_at = None;
                std::thread::sleep(self.read_timeout.get().unwrap_or_default());
                return Err(io::ErrorKind::TimedOut.into());
            }
            self.reads += 1;
            let mut n = buf.len().min(self.input.len() - self.at).min(self.max_read);
            if let Some(stall) = self.stall_at {
                n = n.min(stall - self.at);
            }
            buf[..n].copy_from_slice(&self.input[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    impl Write for Scripted {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.output.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Stream for Scripted {
        fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
            self.read_timeout.set(timeout);
            Ok(())
        }
        fn set_write_timeout(&self, _: Option<Duration>) -> io::Result<()> {
            Ok(())
        }
        fn shutdown(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn server(input: Vec<u8>, initial: usize, max: usize) -> WebSocket<Scripted, Server> {
        let options = SocketOptions {
            read_buffer_size: initial,
            max_read_buffer_size: max,
            ..SocketOptions::default()
        };
        let stream = Scripted {
            input,
            at: 0,
            max_read: usize::MAX,
            stall_at: None,
            read_timeout: Cell::new(None),
            output: Vec::new(),
            reads: 0,
        };
        WebSocket::server_from_raw(stream, &[], options).unwrap()
    }

    /// `text` as a message of masked frames of `frame_len` bytes each.
    fn text_frames(text: &str, frame_len: usize) -> Vec<u8> {
        let mut input = Vec::new();
        let mut pieces = text.as_bytes().chunks(frame_len).peekable();
        let mut opcode = 0x1;
        while let Some(piece) = pieces.next() {
            let fin = if pieces.peek().is_none() { 0x80 } else { 0 };
            input.extend(client_frame(opcode | fin, piece));
            opcode = 0x0;
        }
        input
    }

    /// About 300 KB of text with two- and three-byte characters, so frame
    /// and read boundaries fall inside characters.
    fn long_text() -> String {
        "Grüße, 世界! 0123456789 ".repeat(10_000)
    }

    #[test]
    fn large_frames_read_straight_into_the_message_arrive_whole() {
        let text = long_text();
        for (frame_len, max_read) in [(100_000, usize::MAX), (70_001, 999), (text.len(), 4096)] {
            let mut input = text_frames(&text, frame_len);
            input.extend(client_frame(0x82, b"next"));
            let mut socket = server(input, 512, 512);
            socket.shared.stream.max_read = max_read;
            assert_eq!(socket.read().unwrap(), Message::Text(text.clone()), "{frame_len}");
            assert_eq!(socket.read().unwrap(), Message::Binary(b"next".to_vec()));
            if max_read == usize::MAX {
                // Through the 512-byte read buffer this would take over 600
                // reads; read straight into the message, a few per frame.
                let reads = socket.shared.stream.reads;
                assert!(reads <= 4 * text.len().div_ceil(frame_len), "{reads} reads");
            }
        }
    }

    #[test]
    fn after_a_large_message_only_one_read_is_cut_to_a_header() {
        let large = vec![7u8; 100_000];
        let medium = vec![9u8; 10_000];
        let mut input = client_frame(0x82, &large);
        input.extend(client_frame(0x82, &medium));
        let mut socket = server(input, 4096, 64 * 1024);
        assert_eq!(socket.read().unwrap(), Message::Binary(large));
        let before = socket.shared.stream.reads;
        assert_eq!(socket.read().unwrap(), Message::Binary(medium));
        // One header-sized read, then reads as large as the buffer.
        let reads = socket.shared.stream.reads - before;
        assert!(reads <= 4, "{reads} reads for a 10 KB message");
    }

    #[test]
    fn invalid_utf8_deep_in_a_directly_read_frame_fails_with_1007() {
        let mut bytes = long_text().into_bytes();
        bytes[200_000] = 0xFF;
        let mut input = client_frame(0x81, &bytes);
        input.extend(client_frame(0x82, b"never read"));
        let mut socket = server(input, 512, 512);
        assert!(matches!(
            socket.read(),
            Err(Error::Ended(End::Protocol(barews::ProtocolError::InvalidUtf8)))
        ));
        // The Close went out with code 1007 (0x03EF), unmasked.
        let output = &socket.shared.stream.output;
        assert_eq!(output[0], 0x88);
        assert_eq!(output[2..4], [0x03, 0xEF]);
    }

    #[test]
    fn a_timeout_in_the_middle_of_a_direct_read_loses_nothing() {
        let text = long_text();
        let input = text_frames(&text, text.len());
        let mut socket = server(input, 512, 512);
        socket.shared.stream.stall_at = Some(150_001);
        // Long enough for any build to reach the stall within it (the
        // stall then waits the rest out), so that the read times out
        // there, halfway through the frame's payload.
        socket.shared.options.read_timeout = Some(Duration::from_secs(1));
        assert!(matches!(socket.read(), Err(Error::Timeout)));
        assert_eq!(socket.shared.stream.stall_at, None, "the read timed out at the stall");
        // Plenty of time for the rest, even for a slow test build.
        socket.shared.options.read_timeout = Some(Duration::from_secs(60));
        assert_eq!(socket.read().unwrap(), Message::Text(text));
    }

    #[test]
    fn the_read_buffer_doubles_up_to_its_maximum_while_reads_fill_it() {
        let message: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let mut input = Vec::new();
        let mut pieces = message.chunks(70_000).peekable();
        let mut opcode = 0x2;
        while let Some(piece) = pieces.next() {
            let fin = if pieces.peek().is_none() { 0x80 } else { 0 };
            input.extend(client_frame(opcode | fin, piece));
            opcode = 0x0;
        }
        input.extend(client_frame(0x82, b"after"));
        let mut socket = server(input, 256, 1024);
        assert_eq!(socket.read().unwrap(), Message::Binary(message));
        assert_eq!(socket.read().unwrap(), Message::Binary(b"after".to_vec()));
        assert_eq!(socket.inbox.buffer_len(), 1024);
    }

    #[test]
    fn the_read_buffer_keeps_its_size_when_reads_do_not_fill_it() {
        let mut input = client_frame(0x01, "héllo ".as_bytes());
        input.extend(client_frame(0x80, "wörld".as_bytes()));
        let mut socket = server(input, 512, 64 * 1024);
        assert_eq!(socket.read().unwrap(), Message::Text("héllo wörld".to_owned()));
        assert_eq!(socket.inbox.buffer_len(), 512);
    }
}
