//! Memory per idle connection: an echo server in a process of its own
//! holds N open, idle WebSocket connections; its resident set size grows
//! by what they cost. Afterwards every connection must still echo.
//!
//! ```sh
//! cargo run --release -p barews-bench --bin idle -- --conns 10000,19000
//! cargo run --release -p barews-bench --bin idle -- --impls barews-tokio --conns 1000
//! ```
//!
//! The client connections come from source addresses spread over
//! 127.0.0.10-127.0.0.59 so that no (address, port) pair runs short. Each
//! process may hold 20,000 open files here, so one server holds at most
//! about 19,000 connections.

use barews_bench::servers::Impl;
use barews_bench::stats::as_f64;
use barews_tokio::{ClientOptions, Message, WsUrl};
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};
use tokio::net::TcpSocket;

const HELP: &str = "\
idle: server memory per idle WebSocket connection (its RSS before and after)

options:
  --impls A,B,..   servers (default: barews-tokio,barews-tokio-rb256,tokio-tungstenite)
  --conns A,B,..   connection counts (default: 10000,19000)
  --serve IMPL     (internal) run the server IMPL and print its address";

/// How many handshakes run at once while connecting.
const CONCURRENT: usize = 256;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut impls = vec![Impl::BarewsTokio, Impl::BarewsTokioSmall, Impl::TokioTungstenite];
    let mut counts = vec![10_000, 19_000];
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).map(String::as_str).unwrap_or_default();
        match args[i].as_str() {
            "--serve" => return serve(value),
            "--impls" => impls = value.split(',').filter_map(Impl::from_name).collect(),
            "--conns" => counts = value.split(',').filter_map(|n| n.parse().ok()).collect(),
            _ => {
                eprintln!("{HELP}");
                return ExitCode::from(2);
            }
        }
        i += 2;
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
    let Ok(runtime) = runtime else { return ExitCode::FAILURE };
    println!("| server | connections | RSS before | RSS after | per connection | all echo |");
    println!("| --- | ---: | ---: | ---: | ---: | --- |");
    let mut failed = false;
    for &implementation in &impls {
        for &count in &counts {
            match runtime.block_on(measure(implementation, count)) {
                Ok(row) => println!("{row}"),
                Err(error) => {
                    eprintln!("idle: {} with {count} connections: {error}", implementation.name());
                    failed = true;
                }
            }
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

/// The server process: starts `name`'s echo server, prints its address,
/// and runs until its input closes.
fn serve(name: &str) -> ExitCode {
    let Some(implementation) = Impl::from_name(name) else { return ExitCode::from(2) };
    match implementation.start(None) {
        Ok(addr) => println!("{addr}"),
        Err(error) => {
            eprintln!("idle: cannot start {name}: {error}");
            return ExitCode::FAILURE;
        }
    }
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    ExitCode::SUCCESS
}

/// The server child and the address it listens on.
fn spawn_server(implementation: Impl) -> Result<(Child, SocketAddr), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .args(["--serve", implementation.name()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("server process: {e}"))?;
    let stdout = child.stdout.take().ok_or("no server stdout")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).map_err(|e| e.to_string())?;
    let addr = line.trim().parse().map_err(|_| format!("server said {line:?}"))?;
    Ok((child, addr))
}

/// The resident set size of process `pid`, in bytes.
fn rss(pid: u32) -> Result<u64, String> {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| e.to_string())?;
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .ok_or("no VmRSS")?;
    Ok(kib * 1024)
}

async fn measure(implementation: Impl, count: usize) -> Result<String, String> {
    let (mut child, addr) = spawn_server(implementation)?;
    let result = measure_with(&child, addr, implementation, count).await;
    // Closing its input ends the server.
    drop(child.stdin.take());
    let _ = child.kill();
    let _ = child.wait();
    result
}

async fn measure_with(
    child: &Child,
    addr: SocketAddr,
    implementation: Impl,
    count: usize,
) -> Result<String, String> {
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = rss(child.id())?;
    let started = Instant::now();
    let url = WsUrl::parse(&format!("ws://{addr}/")).map_err(|e| e.to_string())?;
    let mut sockets = Vec::with_capacity(count);
    let mut pending = Vec::with_capacity(CONCURRENT);
    for i in 0..count {
        pending.push(tokio::spawn(open(addr, url.clone(), i)));
        if pending.len() == CONCURRENT || i + 1 == count {
            for task in pending.drain(..) {
                sockets.push(task.await.map_err(|e| e.to_string())??);
            }
        }
    }
    // Idle: nothing is sent for a while.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss(child.id())?;
    let opened = started.elapsed();
    let mut echoed = 0;
    for (i, socket) in sockets.iter_mut().enumerate() {
        let text = format!("still there {i}");
        socket.send_text(&text).await.map_err(|e| format!("echo {i}: {e}"))?;
        match socket.read().await {
            Ok(Message::Text(back)) if back == text => echoed += 1,
            other => return Err(format!("echo {i}: {other:?}")),
        }
    }
    let count64 = u64::try_from(count).unwrap_or(u64::MAX);
    let per = as_f64(after.saturating_sub(before)) / as_f64(count64);
    Ok(format!(
        "| {} | {count} | {:.1} MB | {:.1} MB | {:.0} B | {} ({} opened in {:.1} s) |",
        implementation.name(),
        as_f64(before) / 1e6,
        as_f64(after) / 1e6,
        per,
        if echoed == count { "yes" } else { "no" },
        echoed,
        opened.as_secs_f64(),
    ))
}

/// Opens connection `i` from a source address of its own range.
async fn open(
    addr: SocketAddr,
    url: WsUrl,
    i: usize,
) -> Result<barews_tokio::ClientSocket<tokio::net::TcpStream>, String> {
    let source = Ipv4Addr::new(127, 0, 0, 10 + u8::try_from(i % 50).unwrap_or(0));
    let socket = TcpSocket::new_v4().map_err(|e| e.to_string())?;
    socket.bind(SocketAddr::from((source, 0))).map_err(|e| format!("bind {source}: {e}"))?;
    let stream = socket.connect(addr).await.map_err(|e| format!("connect: {e}"))?;
    let (socket, _) = barews_tokio::client(stream, &url, &ClientOptions::default())
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    Ok(socket)
}
