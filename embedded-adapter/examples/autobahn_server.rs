//! The server side of the Autobahn testsuite for barews-embedded, on the
//! host: an echo server over std's `TcpStream` seen through `embedded-io`,
//! with firmware-sized buffers, one thread per connection.
//!
//! ```sh
//! cargo run --release -p barews-embedded --example autobahn_server -- 127.0.0.1:9001
//! cargo run --release -p barews-embedded --example autobahn_server -- 127.0.0.1:9001 --async
//! cargo run --release -p barews-embedded --example autobahn_server -- 127.0.0.1:9001 --rx 300 --tx 160
//! wstest -m fuzzingclient -s spec.json    # spec.json names ws://127.0.0.1:9001
//! ```
//!
//! It prints `echo server listening on ws://ADDR` with the address it
//! bound (so `127.0.0.1:0` picks a free port), as the other adapters'
//! echo servers do.
//!
//! Each connection gets a receive buffer of 1024 bytes and a send buffer
//! of 512 (`--rx N`, `--tx N` change them), the sizes a small device
//! would spare. Every data chunk the socket reads is sent straight back
//! as a piece of the same message with `send(kind, chunk, last)`: nothing
//! is assembled, so a 16 MiB message passes through the 1024-byte buffer.
//! The core does the protocol's part (Pongs, the Close reply, UTF-8 and
//! close-code checks); the example only echoes data and ends the TCP
//! connection when the socket says it is over.
//!
//! `--async` serves with the async socket (`Acceptor::accept_async`,
//! `barews_embedded::asynch::WebSocket`) over the same stream, each
//! connection driven by `embassy_futures::block_on`.

mod shared;

use barews_embedded::{Acceptor, Error};
use shared::{Ending, Flags, Tcp, echo};
use std::io;
use std::net::{TcpListener, TcpStream};

const USAGE: &str = "usage: autobahn_server ADDR [--async] [--rx BYTES] [--tx BYTES]";

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().filter(|a| !a.starts_with("--")).unwrap_or_else(|| {
        eprintln!("{USAGE}");
        std::process::exit(2);
    });
    let flags = Flags::parse(args).unwrap_or_else(|problem| {
        eprintln!("{problem}\n{USAGE}");
        std::process::exit(2);
    });
    let listener = TcpListener::bind(&addr)?;
    println!("echo server listening on ws://{}", listener.local_addr()?);
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let Flags { asynchronous, rx, tx } = flags;
        std::thread::spawn(move || {
            let ending = match asynchronous {
                #[cfg(feature = "async")]
                true => embassy_futures::block_on(asynch::serve(stream, rx, tx)),
                _ => blocking::serve(stream, rx, tx),
            };
            if !ending.is_ordinary() {
                eprintln!("connection ended: {}", ending.error);
            }
        });
    }
    Ok(())
}

/// The connection's body for one kind of socket: `serve!([] [] accept)`
/// for the blocking one, `serve!([async] [await] accept_async)` for the
/// async one.
macro_rules! serve {
    ([$($async:tt)?] [$($aw:tt)?] $accept:ident) => {
        /// Accepts the WebSocket on `stream` and echoes until it ends;
        /// returns how it ended.
        pub(crate) $($async)? fn serve(stream: TcpStream, rx: usize, tx: usize) -> Ending {
            if let Err(error) = stream.set_nodelay(true) {
                return Ending::early(Error::Io(error));
            }
            let (mut rx, mut tx, mut scratch) = (vec![0; rx], vec![0; tx], vec![0; rx]);
            let mut ws = match Acceptor::new().$accept(Tcp(stream), &mut rx, &mut tx) $(.$aw)? {
                Ok(ws) => ws,
                Err(error) => return Ending::early(error),
            };
            let error = echo!(ws, scratch $(, $aw)?);
            let state = ws.state();
            ws.into_inner().shut();
            Ending { error, state }
        }
    };
}

mod blocking {
    use super::{Acceptor, Ending, Error, Tcp, TcpStream, echo};
    serve!([] [] accept);
}

#[cfg(feature = "async")]
mod asynch {
    use super::{Acceptor, Ending, Error, Tcp, TcpStream, echo};
    serve!([async] [await] accept_async);
}
