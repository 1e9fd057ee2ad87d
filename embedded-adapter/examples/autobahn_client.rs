//! The client side of the Autobahn testsuite for barews-embedded, on the
//! host: asks the testsuite's fuzzing server how many cases it has, runs
//! each one over std's `TcpStream` seen through `embedded-io` with
//! firmware-sized buffers, echoing every message, then asks it to write
//! its report.
//!
//! ```sh
//! wstest -m fuzzingserver -s spec.json &     # listens on 9001
//! cargo run --release -p barews-embedded --example autobahn_client -- ws://127.0.0.1:9001 barews-embedded
//! cargo run --release -p barews-embedded --example autobahn_client -- ws://127.0.0.1:9001 barews-embedded --async
//! ```
//!
//! As the server example does, it gives each connection a receive buffer
//! of 1024 bytes and a send buffer of 512 (`--rx N`, `--tx N` change
//! them) and sends every data chunk straight back as a piece of the same
//! message, so no message is ever assembled. A case that stays silent
//! (or stops reading) for 60 s is given up: the `TcpStream`'s read and
//! write timeouts end it with an I/O error.
//!
//! The handshake nonces and mask keys come from the operating system's
//! random source, through barews-std's `OsMasks` (a fresh one per
//! connection; the nonce is its first 16 bytes, the keys the rest).
//!
//! `--async` runs every connection on the async socket
//! (`Connector::connect_async`) over the same stream, driven by
//! `embassy_futures::block_on`.

mod shared;

use barews_embedded::{ClientRequest, CloseCode, Connector, Error, MaskKeys};
use barews_std::{OsMasks, WsUrl};
use shared::{Ending, Flags, Tcp, echo};
use std::io;
use std::net::TcpStream;
use std::time::Duration;

/// The longest a case may stay silent, or leave a write unread, before
/// the client gives up on it.
const CASE_TIMEOUT: Duration = Duration::from_secs(60);

const USAGE: &str =
    "usage: autobahn_client ws://HOST:PORT AGENT [--async] [--rx BYTES] [--tx BYTES]";

/// Where the testsuite listens, and the buffer sizes to use.
struct Target {
    host: String,
    port: u16,
    rx: usize,
    tx: usize,
}

impl Target {
    /// A TCP connection to the testsuite with the case timeouts set, the
    /// client's nonce and its mask-key source.
    fn dial(&self) -> Result<(Tcp, [u8; 16], OsMasks), Error<io::Error>> {
        let stream = TcpStream::connect((self.host.as_str(), self.port)).map_err(Error::Io)?;
        stream.set_nodelay(true).map_err(Error::Io)?;
        stream.set_read_timeout(Some(CASE_TIMEOUT)).map_err(Error::Io)?;
        stream.set_write_timeout(Some(CASE_TIMEOUT)).map_err(Error::Io)?;
        let mut keys = OsMasks::new().map_err(Error::Io)?;
        let mut nonce = [0; 16];
        for piece in nonce.chunks_mut(4) {
            piece.copy_from_slice(&keys.next_mask());
        }
        Ok((Tcp(stream), nonce, keys))
    }

    /// The opening request for `path` on the testsuite.
    fn request<'a>(&'a self, path: &'a str) -> ClientRequest<'a> {
        ClientRequest::new(&self.host, path).with_port(self.port)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(agent)) = (args.next(), args.next()) else {
        eprintln!("{USAGE}");
        std::process::exit(2);
    };
    let flags = Flags::parse(args).unwrap_or_else(|problem| {
        eprintln!("{problem}\n{USAGE}");
        std::process::exit(2);
    });
    let url = WsUrl::parse(&url)?;
    if url.secure {
        return Err("the testsuite's fuzzing server speaks ws://, not wss://".into());
    }
    let target = Target { host: url.host, port: url.port, rx: flags.rx, tx: flags.tx };
    #[cfg(feature = "async")]
    if flags.asynchronous {
        return embassy_futures::block_on(asynch::run(&target, &agent));
    }
    blocking::run(&target, &agent)
}

/// The client's steps for one kind of socket: `client!([] [] connect)`
/// for the blocking one, `client!([async] [await] connect_async)` for the
/// async one.
macro_rules! client {
    ([$($async:tt)?] [$($aw:tt)?] $connect:ident) => {
        /// Runs every case, then has the report written.
        pub(crate) $($async)? fn run(
            target: &Target,
            agent: &str,
        ) -> Result<(), Box<dyn std::error::Error>> {
            let count = case_count(target) $(.$aw)??;
            println!("{count} cases");
            for case in 1..=count {
                let path = format!("/runCase?case={case}&agent={agent}");
                let ending = run_case(target, &path) $(.$aw)?;
                if !ending.is_ordinary() {
                    eprintln!("case {case}: {}", ending.error);
                }
            }
            update_reports(target, &format!("/updateReports?agent={agent}")) $(.$aw)??;
            println!("reports updated");
            Ok(())
        }

        /// Asks the testsuite how many cases it has.
        $($async)? fn case_count(target: &Target) -> Result<u32, Error<io::Error>> {
            let (io, nonce, keys) = target.dial()?;
            let (mut rx, mut tx) = (vec![0; target.rx], vec![0; target.tx]);
            let request = target.request("/getCaseCount");
            let mut ws =
                Connector::new(keys).$connect(io, request, nonce, &mut rx, &mut tx) $(.$aw)??;
            let mut text = Vec::new();
            loop {
                if let barews_embedded::Event::Data { payload, last, .. } = ws.read() $(.$aw)?? {
                    text.extend_from_slice(payload);
                    if last {
                        break;
                    }
                }
            }
            close(&mut ws) $(.$aw)?;
            std::str::from_utf8(&text)
                .ok()
                .and_then(|text| text.trim().parse().ok())
                .ok_or_else(|| Error::Io(io::Error::other("the case count is not a number")))
        }

        /// Runs one case: echoes until the connection ends, and returns
        /// how it ended.
        $($async)? fn run_case(target: &Target, path: &str) -> Ending {
            let (io, nonce, keys) = match target.dial() {
                Ok(dialled) => dialled,
                Err(error) => return Ending::early(error),
            };
            let (mut rx, mut tx, mut scratch) =
                (vec![0; target.rx], vec![0; target.tx], vec![0; target.rx]);
            let request = target.request(path);
            let mut ws = match Connector::new(keys)
                .$connect(io, request, nonce, &mut rx, &mut tx) $(.$aw)?
            {
                Ok(ws) => ws,
                Err(error) => return Ending::early(error),
            };
            let error = echo!(ws, scratch $(, $aw)?);
            let state = ws.state();
            ws.into_inner().shut();
            Ending { error, state }
        }

        /// Asks the testsuite to write its report, and waits until it
        /// has closed the connection.
        $($async)? fn update_reports(target: &Target, path: &str) -> Result<(), Error<io::Error>> {
            let (io, nonce, keys) = target.dial()?;
            let (mut rx, mut tx) = (vec![0; target.rx], vec![0; target.tx]);
            let request = target.request(path);
            let mut ws =
                Connector::new(keys).$connect(io, request, nonce, &mut rx, &mut tx) $(.$aw)??;
            let ending = close(&mut ws) $(.$aw)?;
            if ending.is_ordinary() { Ok(()) } else { Err(ending.error) }
        }

        /// Closes with 1000 and reads until the connection is over;
        /// returns how it ended.
        $($async)? fn close(ws: &mut ClientSocket<'_>) -> Ending {
            let error = match ws.close(CloseCode::NORMAL, "") $(.$aw)? {
                Ok(()) => loop {
                    if let Err(error) = ws.read() $(.$aw)? {
                        break error;
                    }
                },
                Err(error) => error,
            };
            Ending { error, state: ws.state() }
        }
    };
}

mod blocking {
    use super::{CloseCode, Connector, Ending, Error, OsMasks, Target, Tcp, echo, io};

    /// The blocking client socket this example uses.
    type ClientSocket<'b> = barews_embedded::ClientSocket<'b, Tcp, OsMasks>;

    client!([] [] connect);
}

#[cfg(feature = "async")]
mod asynch {
    use super::{CloseCode, Connector, Ending, Error, OsMasks, Target, Tcp, echo, io};

    /// The async client socket this example uses.
    type ClientSocket<'b> = barews_embedded::asynch::ClientSocket<'b, Tcp, OsMasks>;

    client!([async] [await] connect_async);
}
