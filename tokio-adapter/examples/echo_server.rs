//! An echo server: every text or binary message comes back unchanged.
//! One task per connection.
//!
//! ```sh
//! cargo run --release -p barews-tokio --example echo_server -- 127.0.0.1:9001
//! cargo run --release -p barews-tokio --example echo_server -- 127.0.0.1:9001 --threads 1
//! cargo run --release -p barews-tokio --example echo_server -- 127.0.0.1:9002 --stream 512
//! ```
//!
//! `--threads N` runs N worker threads (`1`: tokio's current-thread
//! runtime); the default is tokio's multi-thread runtime with one worker
//! per CPU. `--stream N` reads through an N-byte buffer and echoes each
//! chunk as a fragment as soon as it arrives, never assembling a message.
//! `--read-buffer N` starts each connection's read buffer at N bytes (it
//! still doubles while reads fill it).
//! Built with the `deflate` feature, it accepts permessage-deflate: with
//! context takeover and a compressor per connection, or, with
//! `--deflate-shared`, without context takeover either way (which it
//! requires), compressing with one compressor per thread and holding
//! inflate state only while a message arrives.
//!
//! Ctrl-C shuts it down gracefully: it stops accepting, every connection
//! closes with 1001 (going away) and finishes its closing handshake, and
//! the server exits once they have all ended (10 s at most).

use barews::connection::Event;
use barews_tokio::{End, Error, Message, ServerOptions, Shutdown};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:9001".to_owned());
    let (mut threads, mut stream_buffer, mut read_buffer, mut shared) = (None, None, None, false);
    while let Some(flag) = args.next() {
        let mut number =
            || args.next().and_then(|v| v.parse::<usize>().ok()).unwrap_or_else(|| usage());
        match flag.as_str() {
            "--threads" => threads = Some(number()),
            "--stream" => stream_buffer = Some(number()),
            "--read-buffer" => read_buffer = Some(number()),
            "--deflate-shared" if cfg!(feature = "deflate") => shared = true,
            _ => usage(),
        }
    }
    let runtime = match threads {
        Some(1) => tokio::runtime::Builder::new_current_thread().enable_all().build()?,
        Some(n) => {
            tokio::runtime::Builder::new_multi_thread().worker_threads(n).enable_all().build()?
        }
        None => tokio::runtime::Builder::new_multi_thread().enable_all().build()?,
    };
    // Made once and shared by every connection (not a copy per task).
    let options =
        Arc::new(server_options(Serving { stream_buffer, read_buffer, deflate_shared: shared }));
    let streaming = stream_buffer.is_some();
    runtime.block_on(async move {
        let listener = TcpListener::bind(&addr).await?;
        println!("echo server listening on ws://{}", listener.local_addr()?);
        let shutdown = Shutdown::new();
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = tokio::signal::ctrl_c() => break,
            };
            let Ok((stream, _)) = accepted else { continue };
            let (options, shutdown) = (Arc::clone(&options), shutdown.clone());
            tokio::spawn(async move {
                if let Err(error) = serve(stream, &options, streaming, &shutdown).await {
                    match error {
                        // Normal ends, peers that break the protocol, and
                        // port probes that connect and leave.
                        Error::Ended(End::Closed | End::Protocol(_) | End::AbnormalClosure) => {}
                        Error::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {}
                        other => eprintln!("connection ended: {other}"),
                    }
                }
            });
        }
        println!("shutting down {} connections", shutdown.watching());
        shutdown.trigger();
        if !shutdown.wait(Duration::from_secs(10)).await {
            println!("{} connections did not close in time", shutdown.watching());
        }
        Ok(())
    })
}

fn usage() -> ! {
    eprintln!(
        "usage: echo_server ADDR [--threads N] [--stream BYTES] [--read-buffer BYTES] [--deflate-shared]"
    );
    std::process::exit(2);
}

/// How connections are served, from the command line.
#[derive(Debug, Clone, Copy)]
struct Serving {
    /// Echo chunks as they arrive through a buffer of this size.
    stream_buffer: Option<usize>,
    /// The read buffer's initial size.
    read_buffer: Option<usize>,
    /// permessage-deflate without context takeover.
    deflate_shared: bool,
}

/// The options every connection is accepted with.
fn server_options(serving: Serving) -> ServerOptions {
    let Serving { stream_buffer, read_buffer, deflate_shared: shared } = serving;
    let mut options = ServerOptions::default();
    if let Some(size) = read_buffer {
        options.socket.read_buffer_size = size;
    }
    #[cfg(feature = "deflate")]
    {
        use barews::deflate::DeflateConfig;
        options.deflate = Some(if shared {
            DeflateConfig::without_context_takeover()
        } else {
            DeflateConfig::new()
        });
    }
    #[cfg(not(feature = "deflate"))]
    let _ = shared;
    if let Some(size) = stream_buffer {
        options.socket.read_buffer_size = size;
        options.socket.max_read_buffer_size = size;
    }
    options
}

/// Serves one connection: echoes whole messages, or with `streaming` each
/// chunk as it arrives.
async fn serve(
    stream: TcpStream,
    options: &ServerOptions,
    streaming: bool,
    shutdown: &Shutdown,
) -> Result<(), Error> {
    stream.set_nodelay(true)?;
    let (mut socket, _) = barews_tokio::accept_with(stream, options).await?;
    socket.watch_shutdown(shutdown);
    if streaming {
        // Each chunk goes straight back as a fragment of the same message.
        let mut chunk = Vec::new();
        loop {
            if let Event::Data { kind, payload, last, .. } = socket.read_event().await? {
                chunk.clear();
                chunk.extend_from_slice(payload);
                socket.queue_fragment(kind, &chunk, last).await?;
            }
        }
    }
    loop {
        match socket.read().await? {
            // Queued: the answers to a batch of input leave in one write,
            // before the socket waits for more.
            Message::Text(text) => socket.queue_text(&text).await?,
            Message::Binary(bytes) => socket.queue_binary(&bytes).await?,
            _ => {}
        }
    }
}
