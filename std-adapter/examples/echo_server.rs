//! An echo server: every text or binary message comes back unchanged.
//! One thread per connection.
//!
//! ```sh
//! cargo run --release -p barews-std --example echo_server -- 127.0.0.1:9001
//! cargo run --release -p barews-std --example echo_server -- 127.0.0.1:9002 --stream 512
//! ```
//!
//! `--stream N` reads through an N-byte buffer and echoes each chunk as a
//! fragment as soon as it arrives, never assembling a message: the
//! allocation-free path. Without it, whole messages are read and sent.
//! Built with the `deflate` feature, it accepts permessage-deflate: with
//! context takeover and a compressor per connection, or, with
//! `--deflate-shared`, without context takeover either way (which it
//! requires), compressing with one compressor per thread and holding
//! inflate state only while a message arrives.

use barews::connection::Event;
use barews_std::{End, Error, Message, ServerOptions};
use std::net::{TcpListener, TcpStream};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:9001".to_owned());
    let (mut stream_buffer, mut shared) = (None, false);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--stream" => {
                let size = args.next().and_then(|v| v.parse::<usize>().ok());
                stream_buffer = Some(size.unwrap_or_else(|| usage()));
            }
            "--deflate-shared" if cfg!(feature = "deflate") => shared = true,
            _ => usage(),
        }
    }
    let listener = TcpListener::bind(&addr)?;
    println!("echo server listening on ws://{}", listener.local_addr()?);
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        std::thread::spawn(move || {
            if let Err(error) = serve(stream, stream_buffer, shared) {
                match error {
                    // Normal ends, peers that break the protocol, and port
                    // probes that connect and leave.
                    Error::Ended(End::Closed | End::Protocol(_) | End::AbnormalClosure) => {}
                    Error::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {}
                    other => eprintln!("connection ended: {other}"),
                }
            }
        });
    }
    Ok(())
}

fn usage() -> ! {
    eprintln!("usage: echo_server ADDR [--stream BYTES] [--deflate-shared]");
    std::process::exit(2);
}

fn serve(stream: TcpStream, stream_buffer: Option<usize>, shared: bool) -> Result<(), Error> {
    stream.set_nodelay(true)?;
    let mut options = ServerOptions::default();
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
    }
    let (mut socket, _) = barews_std::accept_with(stream, &options)?;
    if let Some(size) = stream_buffer {
        // Each chunk goes straight back as a fragment of the same message.
        // The copy buffer is allocated once; no message is ever assembled.
        let mut chunk = Vec::with_capacity(size);
        loop {
            if let Event::Data { kind, payload, last, .. } = socket.read_event()? {
                chunk.clear();
                chunk.extend_from_slice(payload);
                socket.queue_fragment(kind, &chunk, last)?;
            }
        }
    }
    loop {
        match socket.read()? {
            // Queued: the answers to a batch of input leave in one write,
            // just before the socket waits for more.
            Message::Text(text) => socket.queue_text(&text)?,
            Message::Binary(bytes) => socket.queue_binary(&bytes)?,
            _ => {}
        }
    }
}
