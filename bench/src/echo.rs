//! Server-side drivers that read a buffer of client frames in memory and
//! optionally echo every message, one per implementation.
//!
//! Every driver reads the same bytes through the same kind of transport
//! (a [`MemStream`], or for the barews core a copy into its working
//! buffer, which is what a socket read does) and writes its echoes into a
//! [`MemStream`]'s sink. [`Driver::pass`] processes the whole input once;
//! the next call starts over, with the library's state (buffers, the
//! connection) kept, as on a long-lived connection.

use crate::mem::{MemStream, Rewind, runtime};
use barews::assemble::{Assembled, Assembler};
use barews::config::Config;
use barews::connection::{Connection, DataKind, Event};
use barews_std::{Message as StdMessage, ServerSocket, SocketOptions, WebSocket as StdWebSocket};
use std::hint::black_box;
use std::io::Write;

/// What one pass saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Whole data messages received.
    pub messages: usize,
    /// Payload bytes received.
    pub bytes: usize,
}

/// One implementation's server reading (and maybe echoing) a fixed input.
pub trait Driver {
    /// Processes the whole input once, from its start.
    fn pass(&mut self) -> Tally;
}

/// The implementations with an in-memory server driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemServer {
    /// The barews core: `Connection::receive` on a buffer holding every
    /// frame; echoes with `send_fragment` into a reused buffer. Assembles
    /// nothing.
    BarewsCore,
    /// The barews core plus an `Assembler<Vec<u8>>` building whole
    /// messages, as a caller wanting messages would.
    BarewsCoreAssembled,
    /// barews-std: `WebSocket::read` (whole messages) and `send_binary` /
    /// `send_text`.
    BarewsStd,
    /// barews-std streaming: `read_event` and `send_fragment`.
    BarewsStdStream,
    /// barews-tokio: `WebSocket::read` and `queue_binary` / `queue_text`.
    BarewsTokio,
    /// barews-tokio streaming: `read_event` and `queue_fragment`.
    BarewsTokioStream,
    /// tungstenite: `WebSocket::read` and `send`.
    Tungstenite,
    /// fastwebsockets: `WebSocket::read_frame` and `write_frame`.
    Fastwebsockets,
    /// fastwebsockets with its `FragmentCollector` (whole messages).
    FastwebsocketsCollector,
}

impl MemServer {
    /// Every driver.
    pub const ALL: [MemServer; 9] = [
        MemServer::BarewsCore,
        MemServer::BarewsCoreAssembled,
        MemServer::BarewsStd,
        MemServer::BarewsStdStream,
        MemServer::BarewsTokio,
        MemServer::BarewsTokioStream,
        MemServer::Tungstenite,
        MemServer::Fastwebsockets,
        MemServer::FastwebsocketsCollector,
    ];

    /// A short name for tables and benchmark ids.
    pub const fn name(self) -> &'static str {
        match self {
            MemServer::BarewsCore => "barews",
            MemServer::BarewsCoreAssembled => "barews+assembler",
            MemServer::BarewsStd => "barews-std",
            MemServer::BarewsStdStream => "barews-std-stream",
            MemServer::BarewsTokio => "barews-tokio",
            MemServer::BarewsTokioStream => "barews-tokio-stream",
            MemServer::Tungstenite => "tungstenite",
            MemServer::Fastwebsockets => "fastwebsockets",
            MemServer::FastwebsocketsCollector => "fastwebsockets-collector",
        }
    }

    /// A driver over `input`, which holds `messages` whole messages.
    pub fn driver(self, input: &[u8], messages: usize, echo: bool) -> Box<dyn Driver> {
        match self {
            MemServer::BarewsCore => Box::new(CoreDriver::new(input, messages, echo, false)),
            MemServer::BarewsCoreAssembled => {
                Box::new(CoreDriver::new(input, messages, echo, true))
            }
            MemServer::BarewsStd => Box::new(StdDriver::new(input, messages, echo, false)),
            MemServer::BarewsStdStream => Box::new(StdDriver::new(input, messages, echo, true)),
            MemServer::BarewsTokio => Box::new(TokioDriver::new(input, messages, echo, false)),
            MemServer::BarewsTokioStream => Box::new(TokioDriver::new(input, messages, echo, true)),
            MemServer::Tungstenite => Box::new(TungsteniteDriver::new(input, messages, echo)),
            MemServer::Fastwebsockets => Box::new(FastDriver::new(input, messages, echo)),
            MemServer::FastwebsocketsCollector => {
                Box::new(FastCollectorDriver::new(input, messages, echo))
            }
        }
    }
}

/// A [`MemStream`] with an empty input, used only as a write sink.
fn sink() -> MemStream {
    MemStream::new(Vec::new()).0
}

/// The barews core over a working buffer.
pub struct CoreDriver {
    input: Box<[u8]>,
    buf: Box<[u8]>,
    out: Box<[u8]>,
    sink: MemStream,
    assembler: Option<Assembler<Vec<u8>>>,
    messages: usize,
    echo: bool,
}

impl CoreDriver {
    /// A driver for `input`; `assemble` builds whole messages too.
    pub fn new(input: &[u8], messages: usize, echo: bool, assemble: bool) -> Self {
        CoreDriver {
            input: input.into(),
            buf: vec![0u8; input.len()].into_boxed_slice(),
            // Echoed chunks are never larger than the input.
            out: vec![0u8; input.len() + 16].into_boxed_slice(),
            sink: sink(),
            assembler: assemble.then(|| {
                let mut assembler = Assembler::with_limit(64 << 20);
                // Warm the storage up once, as a long-lived connection would.
                let _ = assembler.push(&Event::Data {
                    kind: DataKind::Binary,
                    payload: &vec![0u8; input.len().min(2 << 20)],
                    first: true,
                    last: true,
                });
                assembler
            }),
            messages,
            echo,
        }
    }
}

impl CoreDriver {
    /// The socket read: the masked bytes land in the working buffer.
    pub fn load(&mut self) {
        self.buf.copy_from_slice(&self.input);
    }

    /// Decodes (and echoes, if asked) what [`load`](Self::load) put in
    /// the working buffer: the work a server does on bytes already read.
    ///
    /// # Panics
    ///
    /// If the input is not a sequence of valid client frames.
    pub fn decode_loaded(&mut self) -> Tally {
        let mut conn = Connection::server(Config::new());
        let mut tally = Tally::default();
        let mut pos = 0;
        while pos < self.buf.len() {
            let received = conn.receive(&mut self.buf[pos..]).expect("valid frames");
            pos += received.consumed;
            let Some(event) = received.event else {
                assert!(received.consumed > 0, "stalled");
                continue;
            };
            if let Event::Data { kind, payload, last, .. } = event {
                tally.bytes += payload.len();
                if let Some(assembler) = self.assembler.as_mut() {
                    match assembler.push(&event).expect("fits") {
                        Some(Assembled::Binary(bytes)) => {
                            black_box(bytes);
                        }
                        Some(Assembled::Text(text)) => {
                            black_box(text);
                        }
                        None => {}
                    }
                } else {
                    black_box(payload);
                }
                if self.echo {
                    let n = conn.send_fragment(kind, payload, last, &mut self.out).expect("fits");
                    self.sink.write_all(&self.out[..n]).expect("sink");
                }
                if last {
                    tally.messages += 1;
                }
            }
        }
        debug_assert_eq!(tally.messages, self.messages);
        tally
    }
}

impl Driver for CoreDriver {
    fn pass(&mut self) -> Tally {
        self.load();
        self.decode_loaded()
    }
}

/// barews-std over a [`MemStream`].
pub struct StdDriver {
    ws: ServerSocket<MemStream>,
    rewind: Rewind,
    chunk: Vec<u8>,
    messages: usize,
    echo: bool,
    streaming: bool,
}

impl StdDriver {
    /// A driver for `input`; `streaming` uses `read_event` and
    /// `send_fragment` instead of `read` and `send_binary`.
    ///
    /// # Panics
    ///
    /// If the socket cannot be set up.
    pub fn new(input: &[u8], messages: usize, echo: bool, streaming: bool) -> Self {
        let (stream, rewind) = MemStream::new(input.to_vec());
        let ws = StdWebSocket::server_from_raw(stream, &[], SocketOptions::default())
            .expect("in-memory socket");
        StdDriver { ws, rewind, chunk: Vec::with_capacity(64 * 1024), messages, echo, streaming }
    }
}

impl Driver for StdDriver {
    fn pass(&mut self) -> Tally {
        self.rewind.rewind();
        let mut tally = Tally::default();
        while tally.messages < self.messages {
            if self.streaming {
                let event = self.ws.read_event().expect("valid frames");
                let Event::Data { kind, payload, last, .. } = event else { continue };
                tally.bytes += payload.len();
                if last {
                    tally.messages += 1;
                }
                if self.echo {
                    self.chunk.clear();
                    self.chunk.extend_from_slice(payload);
                    self.ws.send_fragment(kind, &self.chunk, last).expect("echo");
                } else {
                    black_box(payload);
                }
            } else {
                match self.ws.read().expect("valid frames") {
                    StdMessage::Binary(bytes) => {
                        tally.bytes += bytes.len();
                        tally.messages += 1;
                        if self.echo {
                            self.ws.send_binary(&bytes).expect("echo");
                        }
                        black_box(bytes);
                    }
                    StdMessage::Text(text) => {
                        tally.bytes += text.len();
                        tally.messages += 1;
                        if self.echo {
                            self.ws.send_text(&text).expect("echo");
                        }
                        black_box(text);
                    }
                    _ => {}
                }
            }
        }
        debug_assert!(self.rewind.at_end());
        tally
    }
}

/// barews-tokio over a [`MemStream`], on a current-thread runtime.
pub struct TokioDriver {
    runtime: tokio::runtime::Runtime,
    ws: barews_tokio::ServerSocket<MemStream>,
    rewind: Rewind,
    chunk: Vec<u8>,
    messages: usize,
    echo: bool,
    streaming: bool,
}

impl TokioDriver {
    /// A driver for `input`; `streaming` uses `read_event` and
    /// `queue_fragment` instead of `read` and `queue_binary`.
    ///
    /// # Panics
    ///
    /// If the runtime or the socket cannot be set up.
    pub fn new(input: &[u8], messages: usize, echo: bool, streaming: bool) -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let (stream, rewind) = MemStream::new(input.to_vec());
        let ws = barews_tokio::ServerSocket::server_from_raw(
            stream,
            &[],
            &barews_tokio::SocketOptions::default(),
        )
        .expect("in-memory socket");
        let chunk = Vec::with_capacity(64 * 1024);
        TokioDriver { runtime, ws, rewind, chunk, messages, echo, streaming }
    }
}

impl Driver for TokioDriver {
    fn pass(&mut self) -> Tally {
        self.rewind.rewind();
        let TokioDriver { runtime, ws, chunk, messages, echo, streaming, .. } = self;
        runtime.block_on(async {
            let mut tally = Tally::default();
            while tally.messages < *messages {
                if *streaming {
                    let event = ws.read_event().await.expect("valid frames");
                    let Event::Data { kind, payload, last, .. } = event else { continue };
                    tally.bytes += payload.len();
                    if last {
                        tally.messages += 1;
                    }
                    if *echo {
                        chunk.clear();
                        chunk.extend_from_slice(payload);
                        ws.queue_fragment(kind, chunk, last).await.expect("echo");
                    } else {
                        black_box(payload);
                    }
                } else {
                    match ws.read().await.expect("valid frames") {
                        StdMessage::Binary(bytes) => {
                            tally.bytes += bytes.len();
                            tally.messages += 1;
                            if *echo {
                                ws.queue_binary(&bytes).await.expect("echo");
                            }
                            black_box(bytes);
                        }
                        StdMessage::Text(text) => {
                            tally.bytes += text.len();
                            tally.messages += 1;
                            if *echo {
                                ws.queue_text(&text).await.expect("echo");
                            }
                            black_box(text);
                        }
                        _ => {}
                    }
                }
            }
            ws.flush().await.expect("echo");
            tally
        })
    }
}

/// tungstenite over a [`MemStream`].
pub struct TungsteniteDriver {
    ws: tungstenite::WebSocket<MemStream>,
    rewind: Rewind,
    messages: usize,
    echo: bool,
}

impl TungsteniteDriver {
    /// A driver for `input`, with tungstenite's default configuration.
    pub fn new(input: &[u8], messages: usize, echo: bool) -> Self {
        let (stream, rewind) = MemStream::new(input.to_vec());
        let ws = tungstenite::WebSocket::from_raw_socket(
            stream,
            tungstenite::protocol::Role::Server,
            None,
        );
        TungsteniteDriver { ws, rewind, messages, echo }
    }
}

impl Driver for TungsteniteDriver {
    fn pass(&mut self) -> Tally {
        self.rewind.rewind();
        let mut tally = Tally::default();
        while tally.messages < self.messages {
            let message = self.ws.read().expect("valid frames");
            match &message {
                tungstenite::Message::Binary(bytes) => tally.bytes += bytes.len(),
                tungstenite::Message::Text(text) => tally.bytes += text.len(),
                _ => continue,
            }
            tally.messages += 1;
            if self.echo {
                self.ws.send(message).expect("echo");
            } else {
                black_box(message);
            }
        }
        debug_assert!(self.rewind.at_end());
        tally
    }
}

/// fastwebsockets over a [`MemStream`], one frame at a time.
pub struct FastDriver {
    ws: fastwebsockets::WebSocket<MemStream>,
    rt: tokio::runtime::Runtime,
    rewind: Rewind,
    messages: usize,
    echo: bool,
}

impl FastDriver {
    /// A driver for `input` (whole-message frames only: it counts frames
    /// with FIN set), with automatic Close and Pong replies on.
    pub fn new(input: &[u8], messages: usize, echo: bool) -> Self {
        let (stream, rewind) = MemStream::new(input.to_vec());
        let mut ws =
            fastwebsockets::WebSocket::after_handshake(stream, fastwebsockets::Role::Server);
        ws.set_auto_close(true);
        ws.set_auto_pong(true);
        FastDriver { ws, rt: runtime(), rewind, messages, echo }
    }
}

impl Driver for FastDriver {
    fn pass(&mut self) -> Tally {
        self.rewind.rewind();
        let FastDriver { ws, rt, messages, echo, .. } = self;
        let tally = rt.block_on(async {
            let mut tally = Tally::default();
            while tally.messages < *messages {
                let frame = ws.read_frame().await.expect("valid frames");
                if !matches!(
                    frame.opcode,
                    fastwebsockets::OpCode::Binary
                        | fastwebsockets::OpCode::Text
                        | fastwebsockets::OpCode::Continuation
                ) {
                    continue;
                }
                tally.bytes += frame.payload.len();
                if frame.fin {
                    tally.messages += 1;
                }
                if *echo {
                    ws.write_frame(frame).await.expect("echo");
                } else {
                    black_box(&frame.payload);
                }
            }
            tally
        });
        debug_assert!(self.rewind.at_end());
        tally
    }
}

/// fastwebsockets over a [`MemStream`] through its `FragmentCollector`.
pub struct FastCollectorDriver {
    ws: fastwebsockets::FragmentCollector<MemStream>,
    rt: tokio::runtime::Runtime,
    rewind: Rewind,
    messages: usize,
    echo: bool,
}

impl FastCollectorDriver {
    /// A driver for `input`, with automatic Close and Pong replies on.
    pub fn new(input: &[u8], messages: usize, echo: bool) -> Self {
        let (stream, rewind) = MemStream::new(input.to_vec());
        let mut ws =
            fastwebsockets::WebSocket::after_handshake(stream, fastwebsockets::Role::Server);
        ws.set_auto_close(true);
        ws.set_auto_pong(true);
        let ws = fastwebsockets::FragmentCollector::new(ws);
        FastCollectorDriver { ws, rt: runtime(), rewind, messages, echo }
    }
}

impl Driver for FastCollectorDriver {
    fn pass(&mut self) -> Tally {
        self.rewind.rewind();
        let FastCollectorDriver { ws, rt, messages, echo, .. } = self;
        let tally = rt.block_on(async {
            let mut tally = Tally::default();
            while tally.messages < *messages {
                let frame = ws.read_frame().await.expect("valid frames");
                if !matches!(
                    frame.opcode,
                    fastwebsockets::OpCode::Binary | fastwebsockets::OpCode::Text
                ) {
                    continue;
                }
                tally.bytes += frame.payload.len();
                tally.messages += 1;
                if *echo {
                    ws.write_frame(frame).await.expect("echo");
                } else {
                    black_box(&frame.payload);
                }
            }
            tally
        });
        debug_assert!(self.rewind.at_end());
        tally
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frames::{Kind, client_fragmented_messages, client_messages};

    #[test]
    fn every_driver_sees_every_message_and_echoes_it() {
        for kind in [Kind::Text, Kind::Binary] {
            for size in [0, 16, 125, 126, 5000, 70_000] {
                let payload = kind.payload(size, 1);
                let input = client_messages(kind, &payload, 5);
                for server in MemServer::ALL {
                    for echo in [false, true] {
                        let mut driver = server.driver(&input, 5, echo);
                        for _ in 0..2 {
                            let tally = driver.pass();
                            assert_eq!(tally, Tally { messages: 5, bytes: 5 * size }, "{server:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn fragmented_messages_are_counted_whole() {
        let payload = Kind::Text.payload(4096, 0);
        let input = client_fragmented_messages(Kind::Text, &payload, 1000, 3);
        for server in MemServer::ALL {
            let mut driver = server.driver(&input, 3, true);
            assert_eq!(driver.pass(), Tally { messages: 3, bytes: 3 * 4096 }, "{server:?}");
        }
    }
}
