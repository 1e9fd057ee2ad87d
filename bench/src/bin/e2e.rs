//! End-to-end loopback benchmark: echo servers (barews-std, tungstenite,
//! tokio-tungstenite, fastwebsockets, raw TCP) in this process on
//! `127.0.0.1:0`, driven by the pipelined load client of
//! `barews_bench::load`.
//!
//! ```sh
//! cargo run --release -p barews-bench --bin e2e                 # the full matrix (~10 min)
//! cargo run --release -p barews-bench --bin e2e -- --quick      # a smoke run (~20 s)
//! cargo run --release -p barews-bench --bin e2e -- --pin        # servers on CPU 0, client on CPU 1
//! cargo run --release -p barews-bench --bin e2e -- --help
//! ```
//!
//! `--pin` pins every thread of the echo servers (tokio workers through
//! the runtime's `on_thread_start`) to CPU 0 and every thread of the load
//! client to CPU 1: the servers share one core and the client has the
//! other, so a server cannot borrow the client's core, and the numbers
//! compare with measurements made that way. It needs CPUs 0 and 1 in the
//! process's affinity mask.
//!
//! Prints a Markdown table per configuration as it completes, then a
//! summary of messages per second with each implementation's ratio to
//! barews.

use barews_bench::load::{self, LoadConfig, LoadResult};
use barews_bench::servers::Impl;
use barews_bench::stats::{as_f64, median, min_max, percentile};
use barews_bench::{affinity, cpu_time};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

const HELP: &str = "\
e2e: loopback echo benchmark (barews-std vs tungstenite vs tokio-tungstenite vs
fastwebsockets vs raw TCP)

options:
  --quick               1 run of 0.25 s per configuration (smoke test)
  --runs N              runs per configuration, median reported (default 5)
  --secs S              sending time of a throughput run (default 2)
  --latency-secs S      sending time of a latency run (default 1)
  --warmup S            unmeasured run per implementation before each case (default 0.25)
  --messages N          stop each connection after N messages (and at the time limit)
  --sizes A,B,..        payload sizes in bytes (default 16,1024,65536,1048576)
  --conns A,B,..        connection counts for throughput (default 1,8)
  --window N            messages in flight per connection (default 64)
  --impls A,B,..        barews, barews-stream, barews-rb256k, barews-tokio, barews-tokio-rb256,
                        tungstenite, tokio-tungstenite, tokio-websockets,
                        fastwebsockets, raw-tcp, raw-tcp-tokio (default: barews, tungstenite,
                        tokio-tungstenite, fastwebsockets, raw-tcp)
  --mode M              throughput, latency or all (default all)
  --pin                 pin the echo servers' threads to CPU 0 and the load client's
                        threads to CPU 1 (servers share one core, the client has the other)
  --versus NAME         also report each implementation's ratio to NAME round by round
                        (median and range of the rounds' ratios; NAME must be in --impls)
";

struct Options {
    runs: usize,
    secs: f64,
    latency_secs: f64,
    warmup: f64,
    messages: Option<usize>,
    sizes: Vec<usize>,
    conns: Vec<usize>,
    window: usize,
    impls: Vec<Impl>,
    throughput: bool,
    latency: bool,
    pin: bool,
    /// The implementation the per-round ratios are taken against.
    versus: Option<Impl>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            runs: 5,
            secs: 2.0,
            latency_secs: 1.0,
            warmup: 0.25,
            messages: None,
            sizes: vec![16, 1024, 64 * 1024, 1024 * 1024],
            conns: vec![1, 8],
            window: 64,
            impls: vec![
                Impl::Barews,
                Impl::Tungstenite,
                Impl::TokioTungstenite,
                Impl::Fastwebsockets,
                Impl::RawTcp,
            ],
            throughput: true,
            latency: true,
            pin: false,
            versus: None,
        }
    }
}

fn list<T: std::str::FromStr>(value: &str) -> Result<Vec<T>, String> {
    value.split(',').map(|v| v.trim().parse().map_err(|_| format!("bad list item: {v}"))).collect()
}

fn parse_args() -> Result<Option<Options>, String> {
    let mut options = Options::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--quick" => {
                options.runs = 1;
                options.secs = 0.25;
                options.latency_secs = 0.25;
                options.warmup = 0.0;
            }
            "--runs" => options.runs = value()?.parse().map_err(|_| "bad --runs")?,
            "--secs" => options.secs = value()?.parse().map_err(|_| "bad --secs")?,
            "--latency-secs" => {
                options.latency_secs = value()?.parse().map_err(|_| "bad --latency-secs")?;
            }
            "--warmup" => options.warmup = value()?.parse().map_err(|_| "bad --warmup")?,
            "--messages" => {
                options.messages = Some(value()?.parse().map_err(|_| "bad --messages")?);
            }
            "--sizes" => options.sizes = list(&value()?)?,
            "--conns" => options.conns = list(&value()?)?,
            "--window" => options.window = value()?.parse().map_err(|_| "bad --window")?,
            "--impls" => {
                options.impls = value()?
                    .split(',')
                    .map(|name| Impl::from_name(name.trim()).ok_or(format!("unknown impl {name}")))
                    .collect::<Result<_, _>>()?;
            }
            "--mode" => match value()?.as_str() {
                "throughput" => (options.throughput, options.latency) = (true, false),
                "latency" => (options.throughput, options.latency) = (false, true),
                "all" => (options.throughput, options.latency) = (true, true),
                other => return Err(format!("unknown mode {other}")),
            },
            "--pin" => options.pin = true,
            "--versus" => {
                let name = value()?;
                options.versus =
                    Some(Impl::from_name(name.trim()).ok_or(format!("unknown impl {name}"))?);
            }
            other => return Err(format!("unknown option {other} (see --help)")),
        }
    }
    if options.runs == 0 || options.window == 0 || options.impls.is_empty() {
        return Err("runs, window and impls must not be empty".into());
    }
    if options.versus.is_some_and(|versus| !options.impls.contains(&versus)) {
        return Err("--versus names an implementation not in --impls".into());
    }
    Ok(Some(options))
}

/// One configuration of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Case {
    latency: bool,
    size: usize,
    conns: usize,
}

impl Case {
    fn title(self) -> String {
        if self.latency {
            format!("latency, {} payload, 1 connection, 1 in flight", size_name(self.size))
        } else {
            format!(
                "throughput, {} payload, {} connection{}",
                size_name(self.size),
                self.conns,
                if self.conns == 1 { "" } else { "s" }
            )
        }
    }
}

fn size_name(size: usize) -> String {
    if size >= 1 << 20 && size.is_multiple_of(1 << 20) {
        format!("{} MiB", size >> 20)
    } else if size >= 1024 && size.is_multiple_of(1024) {
        format!("{} KiB", size >> 10)
    } else {
        format!("{size} B")
    }
}

/// The medians of one implementation's runs in one case.
#[derive(Debug, Clone, Copy)]
struct Summary {
    msgs: f64,
    msgs_min: f64,
    msgs_max: f64,
    mib: f64,
    p50_us: f64,
    p99_us: f64,
    /// Under `--versus`: the median, least and greatest of the ratios of
    /// this implementation's messages per second to the other's, taken
    /// round by round (the two ran back to back in each round, so drift
    /// in the machine's state between rounds cancels out).
    versus: Option<(f64, f64, f64)>,
    /// Under `--pin`: the medians of the servers' CPU's and the client's
    /// CPU's busy microseconds per message echoed.
    cpu_us: Option<(f64, f64)>,
}

/// One round: each implementation's messages per second (absent if its
/// run failed).
type Round = HashMap<Impl, f64>;

/// The ratios of `implementation` to `versus` in the rounds where both ran.
fn round_ratios(rounds: &[Round], implementation: Impl, versus: Impl) -> Option<(f64, f64, f64)> {
    let ratios: Vec<f64> = rounds
        .iter()
        .filter_map(|round| Some(round.get(&implementation)? / round.get(&versus)?))
        .filter(|ratio| ratio.is_finite())
        .collect();
    if ratios.is_empty() {
        return None;
    }
    let (least, greatest) = min_max(&ratios);
    Some((median(&ratios), least, greatest))
}

fn summarize(runs: &[LoadResult]) -> Summary {
    let msgs: Vec<f64> = runs.iter().map(LoadResult::messages_per_sec).collect();
    let mib: Vec<f64> = runs.iter().map(LoadResult::mib_per_sec).collect();
    let p50: Vec<f64> =
        runs.iter().map(|r| as_f64(percentile(&r.latencies_ns, 50.0)) / 1000.0).collect();
    let p99: Vec<f64> =
        runs.iter().map(|r| as_f64(percentile(&r.latencies_ns, 99.0)) / 1000.0).collect();
    let (msgs_min, msgs_max) = min_max(&msgs);
    Summary {
        msgs: median(&msgs),
        msgs_min,
        msgs_max,
        mib: median(&mib),
        p50_us: median(&p50),
        p99_us: median(&p99),
        versus: None,
        cpu_us: None,
    }
}

/// The CPUs whose busy time is measured: the servers' and the client's
/// (only under `--pin`, where each side has its own).
fn measured_cpus(options: &Options) -> Option<[usize; 2]> {
    options.pin.then_some([affinity::SERVER_CPU, affinity::CLIENT_CPU])
}

/// Each CPU's busy time now.
fn busy_now(cpus: [usize; 2]) -> Option<[Duration; 2]> {
    Some([cpu_time::busy(cpus[0])?, cpu_time::busy(cpus[1])?])
}

/// Busy microseconds per message on each CPU, between `before` and now.
fn cpu_per_message(cpus: [usize; 2], before: [Duration; 2], messages: usize) -> Option<(f64, f64)> {
    let after = busy_now(cpus)?;
    let per_message = |i: usize| {
        after[i].saturating_sub(before[i]).as_secs_f64() * 1e6 / as_f64(messages.max(1) as u64)
    };
    Some((per_message(0), per_message(1)))
}

fn fmt_rate(value: f64) -> String {
    if value >= 100_000.0 {
        format!("{:.0}k", value / 1000.0)
    } else if value >= 10_000.0 {
        format!("{:.1}k", value / 1000.0)
    } else {
        format!("{value:.0}")
    }
}

fn fmt_us(value: f64) -> String {
    if value >= 1000.0 { format!("{:.2} ms", value / 1000.0) } else { format!("{value:.0} µs") }
}

fn ratio(value: f64, base: Option<f64>) -> String {
    match base {
        Some(base) if base > 0.0 => format!("{:.2}×", value / base),
        _ => "–".into(),
    }
}

fn case_table(case: Case, rows: &[(Impl, Summary)], versus: Option<Impl>) -> String {
    let base = rows.iter().find(|(i, _)| *i == Impl::Barews).map(|(_, s)| s.msgs);
    let mut out = format!("\n### {}\n\n", case.title());
    out.push_str("| impl | msg/s (median) | min–max | MiB/s | p50 RTT | p99 RTT | vs barews |");
    if let Some(versus) = versus {
        let _ = write!(out, " per round vs {} (min–max) |", versus.name());
    }
    let cpu = rows.iter().any(|(_, s)| s.cpu_us.is_some());
    if cpu {
        out.push_str(" server CPU µs/msg | client CPU µs/msg |");
    }
    out.push_str("\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    if versus.is_some() {
        out.push_str(" ---: |");
    }
    out.push_str(if cpu { " ---: | ---: |\n" } else { "\n" });
    for (implementation, s) in rows {
        let _ = write!(
            out,
            "| {} | {} | {}–{} | {:.1} | {} | {} | {} |",
            implementation.name(),
            fmt_rate(s.msgs),
            fmt_rate(s.msgs_min),
            fmt_rate(s.msgs_max),
            s.mib,
            fmt_us(s.p50_us),
            fmt_us(s.p99_us),
            ratio(s.msgs, base),
        );
        match (versus, s.versus) {
            (None, _) => {}
            (Some(_), Some((median, least, greatest))) => {
                let _ = write!(out, " {median:.2}× ({least:.2}–{greatest:.2}) |");
            }
            (Some(_), None) => out.push_str(" – |"),
        }
        match (cpu, s.cpu_us) {
            (false, _) => {}
            (true, Some((server, client))) => {
                let _ = write!(out, " {server:.2} | {client:.2} |");
            }
            (true, None) => out.push_str(" – | – |"),
        }
        out.push('\n');
    }
    out
}

fn summary_table(
    cases: &[Case],
    impls: &[Impl],
    results: &HashMap<(Case, Impl), Summary>,
) -> String {
    let mut out = String::from(
        "\n## Summary: messages/s (median), ratio to barews; latency rows: p50 / p99 RTT\n\n| case |",
    );
    for implementation in impls {
        let _ = write!(out, " {} |", implementation.name());
    }
    out.push_str("\n| --- |");
    for _ in impls {
        out.push_str(" ---: |");
    }
    for &case in cases {
        let base = results.get(&(case, Impl::Barews)).map(|s| s.msgs);
        let label = if case.latency {
            format!("latency {}", size_name(case.size))
        } else {
            format!("{} × {} conn", size_name(case.size), case.conns)
        };
        let _ = write!(out, "\n| {label} |");
        for &implementation in impls {
            match results.get(&(case, implementation)) {
                Some(s) if case.latency => {
                    let _ = write!(out, " {} / {} |", fmt_us(s.p50_us), fmt_us(s.p99_us));
                }
                Some(s) => {
                    let _ = write!(out, " {} ({}) |", fmt_rate(s.msgs), ratio(s.msgs, base));
                }
                None => out.push_str(" – |"),
            }
        }
    }
    out.push('\n');
    out
}

/// The running echo servers and their addresses, in `--impls` order.
type Servers = Vec<(Impl, SocketAddr)>;

/// Starts the servers of `options.impls`, pinned to the server CPU under
/// `--pin`, then pins this thread, which opens and closes the load's
/// connections, to the client CPU. Returns the servers' addresses and
/// the CPU for the load's threads.
fn start_servers(options: &Options) -> Result<(Servers, Option<usize>), String> {
    let (server_cpu, client_cpu) = if options.pin {
        if !affinity::available(&[affinity::SERVER_CPU, affinity::CLIENT_CPU]) {
            return Err(format!(
                "--pin needs CPUs {} and {} in this process's affinity mask",
                affinity::SERVER_CPU,
                affinity::CLIENT_CPU
            ));
        }
        (Some(affinity::SERVER_CPU), Some(affinity::CLIENT_CPU))
    } else {
        (None, None)
    };
    let mut servers = Vec::new();
    for &implementation in &options.impls {
        let addr = implementation
            .start(server_cpu)
            .map_err(|error| format!("starting {}: {error}", implementation.name()))?;
        servers.push((implementation, addr));
    }
    affinity::pin_current(client_cpu);
    Ok((servers, client_cpu))
}

/// Runs `case` `options.runs` times on every server, in rounds, and
/// summarizes each server's runs. Also returns whether every run
/// succeeded.
fn measure(
    options: &Options,
    servers: &Servers,
    case: Case,
    config: &LoadConfig,
) -> (Vec<(Impl, Summary)>, bool) {
    let mut failed = false;
    let mut runs: HashMap<Impl, Vec<LoadResult>> = HashMap::new();
    let mut rounds: Vec<Round> = Vec::new();
    let cpus = measured_cpus(options);
    let mut cpu_costs: HashMap<Impl, Vec<(f64, f64)>> = HashMap::new();
    // Implementations take turns within each round, so that drift in
    // the machine's state affects them alike.
    for _ in 0..options.runs {
        let mut round = Round::new();
        for &(implementation, addr) in servers {
            let before = cpus.and_then(busy_now);
            match load::run(addr, implementation.is_websocket(), config) {
                Ok(result) => {
                    let cost = cpus
                        .zip(before)
                        .and_then(|(cpus, before)| cpu_per_message(cpus, before, result.messages));
                    if let Some(cost) = cost {
                        cpu_costs.entry(implementation).or_default().push(cost);
                    }
                    round.insert(implementation, result.messages_per_sec());
                    runs.entry(implementation).or_default().push(result);
                }
                Err(error) => {
                    eprintln!("e2e: {} ({}): {error}", implementation.name(), case.title());
                    failed = true;
                }
            }
        }
        rounds.push(round);
    }
    let summary = |implementation: Impl, runs: &[LoadResult]| Summary {
        versus: options
            .versus
            .filter(|&versus| versus != implementation)
            .and_then(|versus| round_ratios(&rounds, implementation, versus)),
        cpu_us: cpu_costs.get(&implementation).map(|costs| {
            let server: Vec<f64> = costs.iter().map(|c| c.0).collect();
            let client: Vec<f64> = costs.iter().map(|c| c.1).collect();
            (median(&server), median(&client))
        }),
        ..summarize(runs)
    };
    let rows: Vec<(Impl, Summary)> =
        servers.iter().filter_map(|(i, _)| runs.get(i).map(|r| (*i, summary(*i, r)))).collect();
    (rows, !failed)
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(Some(options)) => options,
        Ok(None) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("e2e: {error}");
            return ExitCode::FAILURE;
        }
    };
    let (servers, client_cpu) = match start_servers(&options) {
        Ok(started) => started,
        Err(error) => {
            eprintln!("e2e: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut cases = Vec::new();
    for &size in &options.sizes {
        if options.throughput {
            cases.extend(options.conns.iter().map(|&conns| Case { latency: false, size, conns }));
        }
    }
    if options.latency {
        cases.extend(options.sizes.iter().map(|&size| Case { latency: true, size, conns: 1 }));
    }
    println!(
        "# barews e2e loopback echo\n\n{} run(s) per case, {} s per throughput run, {} s per latency run{}; window {} messages per connection in throughput runs; RTT is from just before a frame is written to its verified echo (in throughput runs it includes queueing behind the window).{}",
        options.runs,
        options.secs,
        options.latency_secs,
        options
            .messages
            .map(|n| format!(", at most {n} messages per connection"))
            .unwrap_or_default(),
        options.window,
        if options.pin {
            format!(
                " Servers pinned to CPU {}, load client to CPU {}.",
                affinity::SERVER_CPU,
                affinity::CLIENT_CPU
            )
        } else {
            String::new()
        }
    );
    let mut results: HashMap<(Case, Impl), Summary> = HashMap::new();
    let mut failed = false;
    for &case in &cases {
        let config = LoadConfig {
            payload: case.size,
            connections: case.conns,
            window: if case.latency { 1 } else { options.window },
            duration: Duration::from_secs_f64(if case.latency {
                options.latency_secs
            } else {
                options.secs
            }),
            max_messages: options.messages,
            cpu: client_cpu,
        };
        if options.warmup > 0.0 {
            let warmup = LoadConfig { duration: Duration::from_secs_f64(options.warmup), ..config };
            for &(implementation, addr) in &servers {
                if let Err(error) = load::run(addr, implementation.is_websocket(), &warmup) {
                    eprintln!("e2e: {} warm-up ({}): {error}", implementation.name(), case.title());
                }
            }
        }
        let (rows, complete) = measure(&options, &servers, case, &config);
        failed |= !complete;
        for &(implementation, summary) in &rows {
            results.insert((case, implementation), summary);
        }
        println!("{}", case_table(case, &rows, options.versus));
    }
    let impls: Vec<Impl> = servers.iter().map(|(i, _)| *i).collect();
    println!("{}", summary_table(&cases, &impls, &results));
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
