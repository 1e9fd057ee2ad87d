//! Server memory per connection with permessage-deflate agreed and used:
//! a server in a process of its own accepts N connections, each of which
//! agrees to the extension, sends one compressed ~1 KiB JSON-like text
//! message and reads its compressed echo, then stays open and idle. The
//! server's resident set size grows by what they cost. Afterwards every
//! connection must still echo one more message.
//!
//! ```sh
//! cargo build --release -p barews-tokio --example echo_server --features deflate
//! cargo run --release -p barews-bench --bin deflate_conns -- --conns 5000,10000
//! cargo run --release -p barews-bench --bin deflate_conns -- --servers ratchet --conns 1000
//! ```
//!
//! The servers, each with one worker thread:
//!
//! - `barews-tokio`: barews-tokio's `echo_server` example (built with the
//!   `deflate` feature, found next to this binary in `examples/` unless
//!   `--echo-server` names it), run with `--threads 1`: tokio's
//!   current-thread runtime, one task per connection, a compressor and
//!   decompressor per connection;
//! - `barews-tokio-shared`: the same with `--deflate-shared` (no context
//!   takeover either way: a compressor per thread, inflate state only
//!   while a message arrives); an `echo_server` without that flag exits
//!   with a usage error, which the table reports instead of numbers;
//! - `barews-before` (with `--before-server PATH`): an earlier build of
//!   that `echo_server`, run as `barews-tokio` is, to compare a change
//!   with what it replaces;
//! - `ratchet`: `ratchet_rs` with its deflate extension, context takeover
//!   both ways and 15-bit windows (as in `src/deflate.rs`), in this binary
//!   (`--serve-ratchet ADDR`) on tokio's current-thread runtime, one task
//!   per connection, reading each message into a `BytesMut` of its own and
//!   writing it back.
//!
//! The client connections come from source addresses spread over
//! 127.0.0.10-127.0.0.59 so that no (address, port) pair runs short. Each
//! process may hold 20,000 open files here, so one server holds at most
//! about 19,000 connections. The client is [`barews_bench::conns::Conn`]:
//! it checks that the server's 101 agrees to permessage-deflate and that
//! each echo came back compressed (RSV1) and inflates to what was sent.

use barews_bench::conns::{Conn, Echo, Outgoing, ServerProcess};
use barews_bench::deflate::json_text;
use barews_bench::stats::as_f64;
use bytes::BytesMut;
use ratchet_rs::deflate::{DeflateConfig as RatchetConfig, DeflateExtProvider};
use ratchet_rs::{Message, PayloadType, SubprotocolRegistry, WebSocketConfig};
use std::future::Future;
use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

const HELP: &str = "\
deflate_conns: server memory per connection with permessage-deflate agreed and used

options:
  --servers A,B,..     barews-tokio, barews-tokio-shared, ratchet, barews-before
                       (default: the first three, and barews-before with --before-server)
  --conns A,B,..       connection counts, each at most 19000 (default: 5000,10000)
  --before-server PATH an earlier barews-tokio echo_server (built with --features deflate),
                       measured as barews-before
  --read-buffer N      barews-tokio's read buffer starts at N bytes (its --read-buffer)
  --echo-server PATH   barews-tokio's echo_server example built with --features deflate
                       (default: examples/echo_server next to this binary)
  --serve-ratchet ADDR (internal) run the ratchet echo server on ADDR";

/// The most connections one server process may hold (20,000 open files).
const MAX_CONNS: usize = 19_000;
/// How many connections are being opened at once.
const CONCURRENT: usize = 256;
/// After this many failed connections, no more are opened.
const MAX_FAILURES: usize = 20;
/// The uncompressed size of each message.
const MESSAGE_LEN: usize = 1024;
/// How many distinct messages each phase cycles through.
const DISTINCT: usize = 64;
/// The time a server has to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// The time a connection has to connect, agree and echo its first message.
const OPEN_TIMEOUT: Duration = Duration::from_secs(20);
/// The time one later echo may take.
const ECHO_TIMEOUT: Duration = Duration::from_secs(10);
/// The time the connections stay idle before the second RSS reading.
const IDLE: Duration = Duration::from_secs(2);

/// A server under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Server {
    /// barews-tokio's `echo_server`, a compressor per connection.
    BarewsTokio,
    /// barews-tokio's `echo_server --deflate-shared`.
    BarewsTokioShared,
    /// ratchet with its deflate extension.
    Ratchet,
    /// An earlier barews-tokio's `echo_server` (`--before-server`), to
    /// compare a change with what it replaces.
    BarewsBefore,
}

impl Server {
    /// Every server, in table order.
    const ALL: [Server; 4] =
        [Server::BarewsTokio, Server::BarewsTokioShared, Server::Ratchet, Server::BarewsBefore];

    /// The name on the command line.
    const fn name(self) -> &'static str {
        match self {
            Server::BarewsTokio => "barews-tokio",
            Server::BarewsTokioShared => "barews-tokio-shared",
            Server::Ratchet => "ratchet",
            Server::BarewsBefore => "barews-before",
        }
    }

    /// The server column and the mode column of the table.
    const fn columns(self) -> (&'static str, &'static str) {
        match self {
            Server::BarewsTokio => ("barews-tokio", "per-connection"),
            Server::BarewsTokioShared => ("barews-tokio", "shared"),
            Server::Ratchet => ("ratchet", "per-connection"),
            Server::BarewsBefore => ("barews-tokio (before)", "per-connection"),
        }
    }

    /// The server called `name`.
    fn from_name(name: &str) -> Option<Server> {
        Server::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Starts a fresh server process listening on a port of 127.0.0.1.
    fn start(
        self,
        echo_server: &Path,
        before: &Path,
        read_buffer: Option<&str>,
    ) -> Result<ServerProcess, String> {
        let (program, mut args) = match self {
            Server::Ratchet => (
                std::env::current_exe().map_err(|e| e.to_string())?,
                vec!["--serve-ratchet", "127.0.0.1:0"],
            ),
            Server::BarewsTokio | Server::BarewsTokioShared => {
                if !echo_server.is_file() {
                    return Err(format!(
                        "{} not found: build it with `cargo build --release -p barews-tokio \
                         --example echo_server --features deflate` or pass --echo-server PATH",
                        echo_server.display()
                    ));
                }
                (echo_server.to_path_buf(), vec!["127.0.0.1:0", "--threads", "1"])
            }
            Server::BarewsBefore => {
                if !before.is_file() {
                    return Err("pass the earlier echo_server with --before-server PATH".into());
                }
                (before.to_path_buf(), vec!["127.0.0.1:0", "--threads", "1"])
            }
        };
        if self == Server::BarewsTokioShared {
            args.push("--deflate-shared");
        }
        if let (Some(size), Server::BarewsTokio | Server::BarewsTokioShared) = (read_buffer, self) {
            args.extend(["--read-buffer", size]);
        }
        ServerProcess::start(&program, &args, START_TIMEOUT)
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut servers = Server::ALL[..3].to_vec();
    let mut before = PathBuf::new();
    let mut read_buffer: Option<String> = None;
    let mut counts = vec![5_000, 10_000];
    let mut echo_server = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join("examples").join("echo_server")))
        .unwrap_or_default();
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).map(String::as_str).unwrap_or_default();
        let parsed = match args[i].as_str() {
            "--serve-ratchet" => return serve_ratchet(value),
            "--servers" => value
                .split(',')
                .map(Server::from_name)
                .collect::<Option<Vec<_>>>()
                .map(|s| servers = s),
            "--conns" => value
                .split(',')
                .map(|n| n.parse().ok())
                .collect::<Option<Vec<_>>>()
                .map(|c| counts = c),
            "--echo-server" => {
                echo_server = PathBuf::from(value);
                Some(())
            }
            "--read-buffer" => {
                value.parse::<usize>().ok().map(|_| read_buffer = Some(value.into()))
            }
            "--before-server" => {
                before = PathBuf::from(value);
                if !servers.contains(&Server::BarewsBefore) {
                    servers.push(Server::BarewsBefore);
                }
                Some(())
            }
            _ => None,
        };
        if parsed.is_none() || value.is_empty() || counts.iter().any(|&n| n == 0 || n > MAX_CONNS) {
            eprintln!("{HELP}");
            return ExitCode::from(2);
        }
        i += 2;
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
    let Ok(runtime) = runtime else { return ExitCode::FAILURE };
    println!(
        "| server | mode | connections | RSS before | RSS after | per connection | echoes OK/N | notes |"
    );
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |");
    let mut all_ok = true;
    for &server in &servers {
        for &count in &counts {
            let (server_name, mode) = server.columns();
            let started = server.start(&echo_server, &before, read_buffer.as_deref());
            let row = runtime.block_on(measure(server, count, started));
            all_ok &= row.ok;
            println!("| {server_name} | {mode} | {count} | {} |", row.cells);
            let _ = std::io::stdout().flush();
        }
    }
    if all_ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// A measured (or failed) row: the cells after the first three, and
/// whether everything in it went as expected.
struct Row {
    cells: String,
    ok: bool,
}

impl Row {
    /// A row for a server that could not be measured.
    fn not_measured(why: &str) -> Row {
        eprintln!("deflate_conns: {why}");
        Row { cells: format!("- | - | - | - | not measured: {}", why.replace('|', "/")), ok: false }
    }
}

/// Tallies of one phase: echoes that matched (compressed or not) and
/// connections that failed, with the first failure.
#[derive(Default)]
struct Tally {
    compressed: usize,
    plain: usize,
    failed: usize,
    first_error: Option<String>,
}

impl Tally {
    /// Counts one connection's outcome.
    fn add(&mut self, outcome: Result<Echo, String>) {
        match outcome {
            Ok(Echo::Compressed) => self.compressed += 1,
            Ok(Echo::Plain) => self.plain += 1,
            Err(error) => {
                self.failed += 1;
                self.first_error.get_or_insert(error);
            }
        }
    }
}

/// Starts a fresh `server`, opens `count` connections that each echo
/// one compressed message, reads the server's RSS before and after, and
/// checks that every connection still echoes.
async fn measure(server: Server, count: usize, started: Result<ServerProcess, String>) -> Row {
    let (first, again) = match (phase_messages(0), phase_messages(1_000)) {
        (Ok(first), Ok(again)) => (first, again),
        (Err(error), _) | (_, Err(error)) => return Row::not_measured(&error),
    };
    let mut process = match started {
        Ok(process) => process,
        Err(error) => return Row::not_measured(&format!("{}: {error}", server.name())),
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = match process.rss() {
        Ok(rss) => rss,
        Err(error) => return Row::not_measured(&error),
    };
    let started = Instant::now();
    let (conns, opened) = run_all(open_tasks(process.addr(), count, first), MAX_FAILURES).await;
    let opening = started.elapsed();
    tokio::time::sleep(IDLE).await;
    let after = process.rss();
    let agreed = conns.iter().filter(|c| c.deflate()).count();
    let response = conns.first().map(|c| c.agreed().to_owned()).unwrap_or_default();
    let check = conns.into_iter().enumerate().map(|(i, mut conn)| {
        let message = Arc::clone(&again);
        async move {
            let echoed =
                tokio::time::timeout(ECHO_TIMEOUT, conn.echo(&message[i % DISTINCT])).await;
            let outcome = echoed.unwrap_or_else(|_| Err("echo timed out".into()));
            (Some(conn), outcome)
        }
    });
    let (conns, checked) = run_all(check, usize::MAX).await;
    let stderr = process.stderr_summary();
    // The server goes first: its connections then end without the
    // client side lingering in TIME_WAIT.
    drop(process);
    drop(conns);

    let held = opened.compressed + opened.plain;
    let mut notes = vec![format!("opened in {:.1} s", opening.as_secs_f64())];
    notes.push(format!("agreed: `{response}`"));
    if agreed < held {
        notes.push(format!(
            "permessage-deflate agreed on {agreed} of {held} (built with --features deflate?)"
        ));
    }
    if opened.plain + checked.plain > 0 {
        notes.push(format!("{} echoes came back uncompressed", opened.plain + checked.plain));
    }
    if let Some(error) = &opened.first_error {
        notes.push(format!("{} of {count} failed to open, first: {error}", opened.failed));
    }
    if let Some(error) = &checked.first_error {
        notes.push(format!("{} failed the last echo, first: {error}", checked.failed));
    }
    notes.extend(stderr.map(|s| format!("server: {s}")));
    let notes = notes.join("; ").replace('|', "/");
    let ok = held == count && agreed == count && opened.plain == 0 && checked.compressed == count;
    let after = match after {
        Ok(after) => after,
        Err(error) => {
            let cells = format!(
                "{} | - | - | {}/{count} | {notes}; {error}",
                mib(before),
                checked.compressed
            );
            return Row { cells, ok: false };
        }
    };
    let per =
        as_f64(after.saturating_sub(before)) / as_f64(u64::try_from(held.max(1)).unwrap_or(1));
    Row {
        cells: format!(
            "{} | {} | {per:.0} B = {:.1} KiB | {}/{count} | {notes}",
            mib(before),
            mib(after),
            per / 1024.0,
            checked.compressed,
        ),
        ok,
    }
}

/// Bytes as MiB with one decimal.
fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", as_f64(bytes) / (1024.0 * 1024.0))
}

/// The distinct messages of one phase, their seeds from `seed` on.
fn phase_messages(seed: u64) -> Result<Arc<Vec<Outgoing>>, String> {
    (seed..seed + DISTINCT as u64)
        .map(|s| Outgoing::new(json_text(MESSAGE_LEN, s)))
        .collect::<Result<_, _>>()
        .map(Arc::new)
}

/// One task per connection: connect from a source address of its own
/// range, agree, echo one message of `messages`; bounded by [`OPEN_TIMEOUT`].
fn open_tasks(
    addr: SocketAddr,
    count: usize,
    messages: Arc<Vec<Outgoing>>,
) -> impl Iterator<Item = impl Future<Output = (Option<Conn>, Result<Echo, String>)>> {
    (0..count).map(move |i| {
        let messages = Arc::clone(&messages);
        async move {
            let source = Ipv4Addr::new(127, 0, 0, 10 + u8::try_from(i % 50).unwrap_or(0));
            let seed = u32::try_from(i).unwrap_or(u32::MAX);
            let opened = tokio::time::timeout(OPEN_TIMEOUT, async {
                let mut conn = Conn::open(addr, source, seed).await?;
                let echo = conn.echo(&messages[i % DISTINCT]).await?;
                Ok::<_, String>((conn, echo))
            })
            .await;
            match opened {
                Ok(Ok((conn, echo))) => (Some(conn), Ok(echo)),
                Ok(Err(error)) => (None, Err(error)),
                Err(_) => (None, Err("timed out".into())),
            }
        }
    })
}

/// Runs `tasks`, [`CONCURRENT`] at a time, until they are done or
/// `max_failures` failed; returns the connections they hand back and the
/// tally of their outcomes.
async fn run_all<F>(tasks: impl Iterator<Item = F>, max_failures: usize) -> (Vec<Conn>, Tally)
where
    F: Future<Output = (Option<Conn>, Result<Echo, String>)> + Send + 'static,
{
    let mut tasks = tasks;
    let mut running = JoinSet::new();
    let mut conns = Vec::new();
    let mut tally = Tally::default();
    loop {
        while running.len() < CONCURRENT && tally.failed < max_failures {
            let Some(task) = tasks.next() else { break };
            running.spawn(task);
        }
        let Some(joined) = running.join_next().await else { break };
        match joined {
            Ok((conn, outcome)) => {
                conns.extend(conn);
                tally.add(outcome);
            }
            Err(error) => tally.add(Err(format!("task: {error}"))),
        }
    }
    (conns, tally)
}

/// The ratchet server process: listens on `addr`, prints the address, and
/// echoes on one thread until its standard input closes.
fn serve_ratchet(addr: &str) -> ExitCode {
    std::thread::spawn(|| {
        let mut line = String::new();
        while std::io::stdin().read_line(&mut line).is_ok_and(|n| n > 0) {}
        std::process::exit(0);
    });
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
    let Ok(runtime) = runtime else { return ExitCode::FAILURE };
    let served: std::io::Result<()> = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        println!("ratchet echo server listening on ws://{}", listener.local_addr()?);
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            tokio::spawn(async move {
                if let Err(error) = ratchet_echo(stream).await {
                    eprintln!("ratchet connection: {error}");
                }
            });
        }
    });
    if let Err(error) = served {
        eprintln!("ratchet server: {error}");
    }
    ExitCode::FAILURE
}

/// One ratchet connection: the deflate extension with context takeover
/// both ways and 15-bit windows, whole messages read and written back;
/// text is checked as UTF-8 here, as ratchet leaves that to its caller.
async fn ratchet_echo(stream: tokio::net::TcpStream) -> Result<(), ratchet_rs::Error> {
    stream.set_nodelay(true)?;
    let config = RatchetConfig {
        request_server_no_context_takeover: false,
        request_client_no_context_takeover: false,
        ..RatchetConfig::default()
    };
    let mut ws = ratchet_rs::accept_with(
        stream,
        WebSocketConfig::default(),
        DeflateExtProvider::with_config(config),
        SubprotocolRegistry::default(),
    )
    .await?
    .upgrade()
    .await?
    .websocket;
    let mut buf = BytesMut::new();
    loop {
        match ws.read(&mut buf).await? {
            Message::Text => {
                if std::str::from_utf8(&buf).is_err() {
                    return Ok(());
                }
                ws.write(&buf, PayloadType::Text).await?;
            }
            Message::Binary => ws.write(&buf, PayloadType::Binary).await?,
            Message::Close(_) => return Ok(()),
            Message::Ping(_) | Message::Pong(_) => {}
        }
        buf.clear();
    }
}
