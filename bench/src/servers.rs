//! Echo servers for the end-to-end benchmark, each listening on
//! `127.0.0.1:0` in threads of this process.
//!
//! Every server sets `TCP_NODELAY` on its connections and echoes whole
//! messages with each library's ordinary API and default settings:
//!
//! - barews-std: `accept`, then `read` → `queue_binary` / `queue_text`
//!   (the socket writes queued echoes in one call before a read waits),
//!   one thread per connection;
//! - barews-std streaming (optional): `read_event` → `send_fragment`;
//! - barews-std with a 256 KiB read buffer (optional, diagnostic);
//! - tungstenite: `accept`, then `read` → `send`, one thread per
//!   connection;
//! - fastwebsockets: a multi-threaded tokio runtime (one worker per core),
//!   one task per connection; the opening handshake is done by hand (it
//!   is not measured), then `WebSocket::after_handshake` on the
//!   `TcpStream`, wrapped in a `FragmentCollector` for whole messages:
//!   `read_frame` → `write_frame`;
//! - tokio-tungstenite: the same tokio runtime shape as fastwebsockets,
//!   one task per connection, written as its README's echo server:
//!   `accept_async`, `split`, then the read half, filtered to text and
//!   binary messages, `forward`ed into the write half (`forward` feeds
//!   the sink while input is ready and flushes when the stream is
//!   pending, so echoes are batched like barews' queued ones);
//! - raw TCP: copies every byte back (the masked frames included), the
//!   upper bound for any WebSocket echo, one thread per connection;
//! - raw TCP on tokio: the same echo as a task on the tokio servers'
//!   runtime shape, the upper bound for a WebSocket echo on tokio.
//!
//! [`Impl::start`] takes an optional CPU: every thread of the server
//! (acceptor, connection threads, tokio workers) then pins itself to it
//! (`e2e --pin`, see [`crate::affinity`]).

use crate::affinity;
use barews::connection::Event;
use barews::handshake::server::{AcceptOptions, RequestStatus, ServerConfig, ServerHandshake};
use barews_std::MIN_READ_BUFFER;
use std::future::Future;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;

/// An echo server implementation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Impl {
    /// barews-std, whole messages.
    Barews,
    /// barews-std, streamed chunks echoed as fragments.
    BarewsStream,
    /// barews-std, whole messages, with a 256 KiB read buffer instead of
    /// the default 4 KiB (a diagnostic variant).
    BarewsBigBuffer,
    /// barews-tokio, whole messages queued and written before each wait.
    BarewsTokio,
    /// barews-tokio with the smallest read buffer (256 bytes, growing while
    /// reads fill it), as for servers with many idle connections.
    BarewsTokioSmall,
    /// tungstenite, blocking.
    Tungstenite,
    /// fastwebsockets on tokio.
    Fastwebsockets,
    /// tokio-tungstenite: `split` + `forward`.
    TokioTungstenite,
    /// tokio-websockets: its example echo server.
    TokioWebsockets,
    /// A raw TCP echo.
    RawTcp,
    /// A raw TCP echo on tokio.
    RawTcpTokio,
}

impl Impl {
    /// Every implementation, in table order.
    pub const ALL: [Impl; 11] = [
        Impl::Barews,
        Impl::BarewsStream,
        Impl::BarewsBigBuffer,
        Impl::BarewsTokio,
        Impl::BarewsTokioSmall,
        Impl::Tungstenite,
        Impl::TokioTungstenite,
        Impl::TokioWebsockets,
        Impl::Fastwebsockets,
        Impl::RawTcp,
        Impl::RawTcpTokio,
    ];

    /// The name used in tables and on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Impl::Barews => "barews",
            Impl::BarewsStream => "barews-stream",
            Impl::BarewsBigBuffer => "barews-rb256k",
            Impl::BarewsTokio => "barews-tokio",
            Impl::BarewsTokioSmall => "barews-tokio-rb256",
            Impl::Tungstenite => "tungstenite",
            Impl::Fastwebsockets => "fastwebsockets",
            Impl::TokioTungstenite => "tokio-tungstenite",
            Impl::TokioWebsockets => "tokio-websockets",
            Impl::RawTcp => "raw-tcp",
            Impl::RawTcpTokio => "raw-tcp-tokio",
        }
    }

    /// The implementation called `name`.
    pub fn from_name(name: &str) -> Option<Impl> {
        Impl::ALL.into_iter().find(|i| i.name() == name)
    }

    /// Whether the server speaks WebSocket (it echoes unmasked frames);
    /// the raw TCP echo sends the client's bytes back unchanged.
    pub const fn is_websocket(self) -> bool {
        !matches!(self, Impl::RawTcp | Impl::RawTcpTokio)
    }

    /// Starts the server on `127.0.0.1:0` and returns its address. Its
    /// threads run until the process ends; with `cpu`, each of them pins
    /// itself to that CPU.
    pub fn start(self, cpu: Option<usize>) -> io::Result<SocketAddr> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        match self {
            Impl::Barews => spawn_threaded(listener, cpu, |s| report(barews_echo(s, false, 0))),
            Impl::BarewsStream => {
                spawn_threaded(listener, cpu, |s| report(barews_echo(s, true, 0)));
            }
            Impl::BarewsBigBuffer => {
                spawn_threaded(listener, cpu, |s| report(barews_echo(s, false, 256 * 1024)));
            }
            Impl::Tungstenite => spawn_threaded(listener, cpu, |s| report(tungstenite_echo(s))),
            Impl::RawTcp => spawn_threaded(listener, cpu, |s| report(raw_echo(s))),
            Impl::RawTcpTokio => spawn_tokio(listener, cpu, raw_tokio_echo)?,
            Impl::Fastwebsockets => spawn_tokio(listener, cpu, fastwebsockets_echo)?,
            Impl::TokioTungstenite => spawn_tokio(listener, cpu, tokio_tungstenite_echo)?,
            Impl::TokioWebsockets => spawn_tokio(listener, cpu, tokio_websockets_echo)?,
            Impl::BarewsTokio => {
                let options = barews_tokio_options(0);
                spawn_tokio(listener, cpu, move |s| barews_tokio_echo(s, Arc::clone(&options)))?;
            }
            Impl::BarewsTokioSmall => {
                let options = barews_tokio_options(MIN_READ_BUFFER);
                spawn_tokio(listener, cpu, move |s| barews_tokio_echo(s, Arc::clone(&options)))?;
            }
        }
        Ok(addr)
    }
}

/// Prints a server-side error that is not an ordinary end of connection.
fn report(result: Result<(), String>) {
    if let Err(error) = result {
        eprintln!("echo server: {error}");
    }
}

/// Accepts on `listener` in a thread, one more thread per connection,
/// each pinned to `cpu` if given.
fn spawn_threaded(listener: TcpListener, cpu: Option<usize>, serve: fn(TcpStream)) {
    thread::spawn(move || {
        affinity::pin_current(cpu);
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let _ = stream.set_nodelay(true);
            thread::spawn(move || {
                affinity::pin_current(cpu);
                serve(stream);
            });
        }
    });
}

/// `read_buffer` 0 keeps the default read buffer size.
fn barews_echo(stream: TcpStream, streaming: bool, read_buffer: usize) -> Result<(), String> {
    use barews_std::{End, Error, Message, ServerOptions};
    let ended = |error: Error| match error {
        Error::Ended(End::Closed | End::AbnormalClosure) => Ok(()),
        Error::Io(e) if is_disconnect(&e) => Ok(()),
        other => Err(format!("barews: {other}")),
    };
    let mut options = ServerOptions::default();
    if read_buffer > 0 {
        options.socket.read_buffer_size = read_buffer;
    }
    let (mut socket, _) =
        barews_std::accept_with(stream, &options).map_err(|e| format!("barews accept: {e}"))?;
    if streaming {
        let mut chunk = Vec::with_capacity(4096);
        loop {
            match socket.read_event() {
                Ok(Event::Data { kind, payload, last, .. }) => {
                    chunk.clear();
                    chunk.extend_from_slice(payload);
                    if let Err(error) = socket.send_fragment(kind, &chunk, last) {
                        return ended(error);
                    }
                }
                Ok(_) => {}
                Err(error) => return ended(error),
            }
        }
    }
    loop {
        let sent = match socket.read() {
            Ok(Message::Binary(bytes)) => socket.queue_binary(&bytes),
            Ok(Message::Text(text)) => socket.queue_text(&text),
            Ok(_) => Ok(()),
            Err(error) => return ended(error),
        };
        if let Err(error) = sent {
            return ended(error);
        }
    }
}

/// `Ok` for the ways a tungstenite connection ordinarily ends, the error
/// (labelled `who`) otherwise.
fn tungstenite_ended(who: &str, error: tungstenite::Error) -> Result<(), String> {
    use tungstenite::Error;
    match error {
        Error::ConnectionClosed
        | Error::AlreadyClosed
        | Error::Protocol(tungstenite::error::ProtocolError::ResetWithoutClosingHandshake) => {
            Ok(())
        }
        Error::Io(e) if is_disconnect(&e) => Ok(()),
        other => Err(format!("{who}: {other}")),
    }
}

fn tungstenite_echo(stream: TcpStream) -> Result<(), String> {
    use tungstenite::Message;
    let ended = |error| tungstenite_ended("tungstenite", error);
    let mut socket = tungstenite::accept(stream).map_err(|e| format!("tungstenite accept: {e}"))?;
    loop {
        match socket.read() {
            Ok(message @ (Message::Binary(_) | Message::Text(_))) => {
                if let Err(error) = socket.send(message) {
                    return ended(error);
                }
            }
            Ok(_) => {}
            Err(error) => return ended(error),
        }
    }
}

fn raw_echo(mut stream: TcpStream) -> Result<(), String> {
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if is_disconnect(&e) => return Ok(()),
            Err(e) => return Err(format!("raw: {e}")),
        };
        if let Err(e) = stream.write_all(&buf[..n]) {
            return if is_disconnect(&e) { Ok(()) } else { Err(format!("raw: {e}")) };
        }
    }
}

/// [`raw_echo`] as a tokio task, with the same buffer.
async fn raw_tokio_echo(mut stream: tokio::net::TcpStream) -> Result<(), String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if is_disconnect(&e) => return Ok(()),
            Err(e) => return Err(format!("raw tokio: {e}")),
        };
        if let Err(e) = stream.write_all(&buf[..n]).await {
            return if is_disconnect(&e) { Ok(()) } else { Err(format!("raw tokio: {e}")) };
        }
    }
}

fn is_disconnect(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::NotConnected
    )
}

/// Runs a tokio server (fastwebsockets, tokio-tungstenite) on a runtime
/// of its own, accepting in a thread of its own and serving each
/// connection in a task.
///
/// The runtime is the multi-threaded one with its default of one worker
/// per core: what an async server ordinarily runs on, and the fair match
/// for the threaded servers, whose connections may also run on every
/// core. Both tokio servers get the same shape, so they compare with each
/// other as well. With `cpu` (`--pin`) the workers pin themselves to it
/// in `on_thread_start`, and the accepting thread when it starts: they
/// share that core as the threaded servers' threads do.
fn spawn_tokio<F, Fut>(listener: TcpListener, cpu: Option<usize>, serve: F) -> io::Result<()>
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    listener.set_nonblocking(true)?;
    // I/O and timers for every tokio server alike (barews-tokio runs the
    // handshake timeout and the core's timers on tokio's clock).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .on_thread_start(move || affinity::pin_current(cpu))
        .build()?;
    thread::spawn(move || {
        affinity::pin_current(cpu);
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let _ = stream.set_nodelay(true);
                // `map`, not an `async` block around the future: a block
                // would hold the future twice (as its capture and as what
                // it awaits).
                tokio::spawn(futures_util::FutureExt::map(serve(stream), report));
            }
        });
    });
    Ok(())
}

/// barews-tokio's server options, made once and shared by the
/// connections (as a server keeps its configuration): `read_buffer` 0
/// keeps the default read buffer size.
fn barews_tokio_options(read_buffer: usize) -> Arc<barews_tokio::ServerOptions> {
    let mut options = barews_tokio::ServerOptions::default();
    if read_buffer > 0 {
        options.socket.read_buffer_size = read_buffer;
    }
    Arc::new(options)
}

/// barews-tokio's echo: whole messages queued, written together before the
/// socket waits for more input (as its `echo_server` example does).
async fn barews_tokio_echo(
    stream: tokio::net::TcpStream,
    options: Arc<barews_tokio::ServerOptions>,
) -> Result<(), String> {
    use barews_tokio::{End, Error, Message};
    let ended = |error: Error| match error {
        Error::Ended(End::Closed | End::AbnormalClosure) => Ok(()),
        Error::Io(e) if is_disconnect(&e) => Ok(()),
        other => Err(format!("barews-tokio: {other}")),
    };
    let (mut socket, _) = barews_tokio::accept_with(stream, &options)
        .await
        .map_err(|e| format!("barews-tokio accept: {e}"))?;
    loop {
        let queued = match socket.read().await {
            Ok(Message::Text(text)) => socket.queue_text(&text).await,
            Ok(Message::Binary(bytes)) => socket.queue_binary(&bytes).await,
            Ok(_) => Ok(()),
            Err(error) => return ended(error),
        };
        if let Err(error) = queued {
            return ended(error);
        }
    }
}

/// The echo server of tokio-tungstenite's README and `examples/echo-server.rs`.
async fn tokio_tungstenite_echo(stream: tokio::net::TcpStream) -> Result<(), String> {
    use futures_util::{StreamExt, TryStreamExt, future};
    let ws = tokio_tungstenite::accept_async(stream)
        .await
        .map_err(|e| format!("tokio-tungstenite accept: {e}"))?;
    let (write, read) = ws.split();
    // Only text and binary messages are echoed; tungstenite answers pings
    // and the closing handshake itself.
    match read.try_filter(|m| future::ready(m.is_text() || m.is_binary())).forward(write).await {
        Ok(()) => Ok(()),
        Err(error) => tungstenite_ended("tokio-tungstenite", error),
    }
}

/// The echo server of tokio-websockets' `examples/echo_server.rs`: its
/// configuration (no outgoing fragmentation, no limits), each message sent
/// (and flushed) as it comes, in an unconstrained task.
async fn tokio_websockets_echo(stream: tokio::net::TcpStream) -> Result<(), String> {
    use futures_util::{SinkExt, StreamExt};
    use tokio_websockets::{Config, Limits, ServerBuilder};
    tokio::task::unconstrained(async move {
        let (_request, mut server) = ServerBuilder::new()
            .config(Config::default().frame_size(usize::MAX))
            .limits(Limits::unlimited())
            .accept(stream)
            .await
            .map_err(|e| format!("tokio-websockets accept: {e}"))?;
        while let Some(Ok(item)) = server.next().await {
            if item.is_text() || item.is_binary() {
                if let Err(error) = server.send(item).await {
                    return Err(format!("tokio-websockets: {error}"));
                }
            }
        }
        Ok(())
    })
    .await
}

async fn fastwebsockets_echo(mut stream: tokio::net::TcpStream) -> Result<(), String> {
    use fastwebsockets::{FragmentCollector, OpCode, Role, WebSocket, WebSocketError};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // The opening handshake, by hand: fastwebsockets leaves it to hyper.
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let mut handshake = ServerHandshake::new(ServerConfig::new());
    let response = loop {
        let n = stream.read(&mut chunk).await.map_err(|e| format!("fastwebsockets: {e}"))?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&chunk[..n]);
        match handshake.receive(&head) {
            Ok(RequestStatus::Partial) => {}
            Ok(RequestStatus::Complete { request, consumed }) => {
                if consumed != head.len() {
                    return Err("fastwebsockets: client sent frames before the 101".into());
                }
                let mut out = [0u8; 512];
                let len =
                    request.accept(&AcceptOptions::new(), &mut out).map_err(|e| e.to_string())?;
                break out[..len].to_vec();
            }
            Err(error) => return Err(format!("fastwebsockets handshake: {error}")),
        }
    };
    stream.write_all(&response).await.map_err(|e| format!("fastwebsockets: {e}"))?;
    let mut ws = WebSocket::after_handshake(stream, Role::Server);
    ws.set_auto_close(true);
    ws.set_auto_pong(true);
    let mut ws = FragmentCollector::new(ws);
    loop {
        let frame = match ws.read_frame().await {
            Ok(frame) => frame,
            Err(WebSocketError::UnexpectedEOF | WebSocketError::ConnectionClosed) => return Ok(()),
            Err(WebSocketError::IoError(e)) if is_disconnect(&e) => return Ok(()),
            Err(error) => return Err(format!("fastwebsockets: {error}")),
        };
        match frame.opcode {
            OpCode::Close => return Ok(()),
            OpCode::Text | OpCode::Binary => {
                if let Err(error) = ws.write_frame(frame).await {
                    return match error {
                        WebSocketError::IoError(e) if is_disconnect(&e) => Ok(()),
                        other => Err(format!("fastwebsockets: {other}")),
                    };
                }
            }
            _ => {}
        }
    }
}
