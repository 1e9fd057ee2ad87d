//! The Autobahn testsuite runner: the echo servers of the std adapter
//! (whole messages, and a 512-byte streaming variant), of the tokio
//! adapter and of the embedded adapter (blocking and async, firmware-sized
//! buffers) against `wstest -m fuzzingclient`, and the three adapters'
//! Autobahn clients against `wstest -m fuzzingserver`, with reports,
//! per-section summaries and a strict gate.
//!
//! `wstest` runs in a Docker container (the official image, or the
//! project's own built on the spot where none can be pulled) or natively;
//! see [`Choice`], [`docker::OFFICIAL_IMAGE`] and [`docker::LOCAL_IMAGE`].
//! The reports go to `autobahn/` in cargo's target directory.

mod cargo;
pub mod docker;
mod process;
pub mod report;
mod testsuite;

use cargo::{Build, Programs};
use process::{Guard, free_port, wait_for_port};
use report::{Results, differences, normalise, read_index, summary, violations};
use std::fmt::Write as _;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
pub use testsuite::Choice;
use testsuite::{Scripts, Testsuite};

/// The agent name the reports use.
const AGENT: &str = "barews";

/// Which runs to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Roles {
    /// The server runs.
    Server,
    /// The client runs.
    Client,
    /// Both.
    All,
}

/// What to run and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// Which roles.
    pub roles: Roles,
    /// Docker, native, or whichever is available.
    pub testsuite: Choice,
    /// The Docker image to use instead of the default ones.
    pub image: Option<String>,
    /// Runs (by name: `server`, `server-stream`, `client`,
    /// `tokio-server`, `tokio-client`, `embedded-server`,
    /// `embedded-server-async`, `embedded-client`, `embedded-client-async`)
    /// that use the native testsuite whatever `testsuite` says, so that one
    /// invocation can exercise both ways.
    pub native_runs: Vec<String>,
    /// Only these runs, by name (every run of the roles when empty).
    pub only: Vec<String>,
    /// The case patterns (`["*"]` for all).
    pub cases: Vec<String>,
    /// Write the results as the new expected results instead of comparing.
    pub update_expected: bool,
    /// The longest a single run may take.
    pub run_timeout: Duration,
    /// permessage-deflate's mode for every run whose adapter has it, in
    /// place of each run's own.
    pub deflate_mode: Option<DeflateMode>,
    /// Run every permessage-deflate case in runs that sample them.
    pub full_deflate: bool,
}

/// How the programs under test use permessage-deflate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeflateMode {
    /// Context takeover, a compressor per connection.
    PerConnection,
    /// No context takeover: compressors shared per thread, inflate state
    /// held only during a message (the programs' `--deflate-shared`).
    Shared,
}

impl DeflateMode {
    /// The mode named `name` (`per-connection` or `shared`).
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "per-connection" => Some(DeflateMode::PerConnection),
            "shared" => Some(DeflateMode::Shared),
            _ => None,
        }
    }
}

/// Which adapter a run tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Adapter {
    /// barews-std, blocking.
    Std,
    /// barews-tokio, async.
    Tokio,
    /// barews-embedded, blocking or async (an argument of its examples),
    /// on the host over std's `TcpStream`.
    Embedded,
}

impl Adapter {
    /// What to build for it.
    fn build(self) -> Build {
        match self {
            Adapter::Std => {
                Build { package: "barews-std", server: "echo_server", features: &["deflate"] }
            }
            Adapter::Tokio => {
                Build { package: "barews-tokio", server: "echo_server", features: &["deflate"] }
            }
            // It has no permessage-deflate.
            Adapter::Embedded => {
                Build { package: "barews-embedded", server: "autobahn_server", features: &[] }
            }
        }
    }
}

/// Which side of the connection a run tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The adapter's echo server, under `wstest -m fuzzingclient`.
    Server,
    /// The adapter's Autobahn client, against `wstest -m fuzzingserver`.
    Client,
}

/// One run: a role, a variant, and where its results go.
struct Run {
    name: &'static str,
    title: &'static str,
    adapter: Adapter,
    role: Role,
    /// Arguments for the program under test: the echo server's after its
    /// address, the client's after the testsuite's URL and the agent.
    args: &'static [&'static str],
    /// Case patterns this run leaves out.
    exclude: &'static [&'static str],
    /// Its permessage-deflate mode, unless the options name one (`None`:
    /// the adapter has no compression).
    deflate: Option<DeflateMode>,
}

impl Run {
    /// The mode this run uses with `options`.
    fn deflate_mode(&self, options: &Options) -> Option<DeflateMode> {
        self.deflate.map(|own| options.deflate_mode.unwrap_or(own))
    }

    /// The run's title with the compression mode it runs in and, when
    /// lifted, without its sampling.
    fn heading(&self, options: &Options) -> String {
        let mode = match self.deflate_mode(options) {
            Some(DeflateMode::PerConnection) => ", compression per connection",
            Some(DeflateMode::Shared) => ", shared compression",
            None => "",
        };
        let full = if self.excluded(options) == self.exclude { "" } else { ", 12/13 in full" };
        format!("{}{mode}{full}", self.title)
    }

    /// The case patterns this run leaves out with `options`.
    fn excluded(&self, options: &Options) -> &'static [&'static str] {
        if options.full_deflate && self.exclude == DEFLATE_SAMPLE { &[] } else { self.exclude }
    }

    /// The program's arguments: the run's, and the mode's flag.
    fn program_args(&self, options: &Options) -> Vec<&'static str> {
        let mut args = self.args.to_vec();
        if self.deflate_mode(options) == Some(DeflateMode::Shared) {
            args.push("--deflate-shared");
        }
        args
    }
}

/// permessage-deflate's cases but a sample (12.1.* and 13.1.*: every
/// message size once, with and without context takeover), for runs whose
/// compression code a full run of another already covers.
const DEFLATE_SAMPLE: &[&str] = &[
    "12.2.*", "12.3.*", "12.4.*", "12.5.*", "13.2.*", "13.3.*", "13.4.*", "13.5.*", "13.6.*",
    "13.7.*",
];

/// permessage-deflate's sections, for runs of an adapter without it.
const NO_DEFLATE: &[&str] = &["12.*", "13.*"];

const RUNS: [Run; 9] = [
    Run {
        name: "server",
        title: "server (whole messages)",
        adapter: Adapter::Std,
        role: Role::Server,
        args: &[],
        exclude: &[],
        deflate: Some(DeflateMode::PerConnection),
    },
    Run {
        name: "server-stream",
        title: "server (512-byte buffer, chunks echoed as fragments)",
        adapter: Adapter::Std,
        role: Role::Server,
        args: &["--stream", "512"],
        // permessage-deflate is covered by the other two runs: echoed as
        // 512-byte fragments, its 216 cases keep the Python testsuite busy
        // for over half an hour.
        exclude: NO_DEFLATE,
        deflate: Some(DeflateMode::PerConnection),
    },
    Run {
        name: "client",
        title: "client",
        adapter: Adapter::Std,
        role: Role::Client,
        args: &[],
        exclude: &[],
        deflate: Some(DeflateMode::PerConnection),
    },
    Run {
        name: "tokio-server",
        title: "barews-tokio server (whole messages, queued echoes)",
        adapter: Adapter::Tokio,
        role: Role::Server,
        args: &[],
        exclude: &[],
        deflate: Some(DeflateMode::Shared),
    },
    Run {
        name: "tokio-client",
        title: "barews-tokio client (permessage-deflate sampled)",
        adapter: Adapter::Tokio,
        role: Role::Client,
        args: &[],
        // Its compression is the core's and barews-std's handshake code,
        // which the std client's full run covers.
        exclude: DEFLATE_SAMPLE,
        deflate: Some(DeflateMode::Shared),
    },
    Run {
        name: "embedded-server",
        title: "barews-embedded server (1024/512-byte buffers, chunks echoed as fragments)",
        adapter: Adapter::Embedded,
        role: Role::Server,
        args: &[],
        exclude: NO_DEFLATE,
        deflate: None,
    },
    Run {
        name: "embedded-server-async",
        title: "barews-embedded async server (1024/512-byte buffers, chunks echoed as fragments)",
        adapter: Adapter::Embedded,
        role: Role::Server,
        args: &["--async"],
        exclude: NO_DEFLATE,
        deflate: None,
    },
    Run {
        name: "embedded-client",
        title: "barews-embedded client (1024/512-byte buffers, chunks echoed as fragments)",
        adapter: Adapter::Embedded,
        role: Role::Client,
        args: &[],
        exclude: NO_DEFLATE,
        deflate: None,
    },
    Run {
        name: "embedded-client-async",
        title: "barews-embedded async client (1024/512-byte buffers, chunks echoed as fragments)",
        adapter: Adapter::Embedded,
        role: Role::Client,
        args: &["--async"],
        exclude: NO_DEFLATE,
        deflate: None,
    },
];

/// The programs built for the adapters of the wanted runs.
struct Examples(Vec<(Adapter, Programs)>);

impl Examples {
    /// Builds the programs of every adapter `runs` test, each once.
    fn build(root: &Path, runs: &[&Run]) -> io::Result<Examples> {
        let mut built: Vec<(Adapter, Programs)> = Vec::new();
        for run in runs {
            if !built.iter().any(|(adapter, _)| *adapter == run.adapter) {
                built.push((run.adapter, cargo::build_programs(root, &run.adapter.build())?));
            }
        }
        Ok(Examples(built))
    }

    /// The programs of `adapter`.
    fn of(&self, adapter: Adapter) -> io::Result<&Programs> {
        self.0
            .iter()
            .find(|(built, _)| *built == adapter)
            .map(|(_, programs)| programs)
            .ok_or_else(|| io::Error::other(format!("the programs of {adapter:?} were not built")))
    }
}

/// The workspace root (this crate sits one level below it).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// The names of the runs, for `--native-runs`.
pub fn run_names() -> impl Iterator<Item = &'static str> {
    RUNS.iter().map(|run| run.name)
}

/// Runs the testsuite and returns whether every gate passed.
pub fn run(options: &Options) -> io::Result<bool> {
    let named = options.native_runs.iter().chain(&options.only);
    if let Some(unknown) = named.into_iter().find(|name| !run_names().any(|n| n == *name)) {
        return Err(io::Error::other(format!(
            "no run is called {unknown} (runs: {})",
            run_names().collect::<Vec<_>>().join(", ")
        )));
    }
    let wanted = wanted_runs(options);
    if wanted.is_empty() {
        return Err(io::Error::other("no run has a case to run"));
    }
    let root = workspace_root();
    let work = cargo::target_directory(&root)?.join("autobahn");
    fs::create_dir_all(&work)?;
    let examples = Examples::build(&root, &wanted)?;
    let testsuites = prepare_testsuites(&wanted, &root, &work, options)?;
    let mut heading = String::new();
    for (testsuite, runs) in &testsuites {
        let line = format!(
            "Testsuite for {}: {} ({}).",
            runs.join(", "),
            testsuite.describe(),
            testsuite.why()
        );
        println!("{line}");
        heading.push_str(&line);
        heading.push_str("\n\n");
    }
    let plan: Vec<(&Run, Option<&Testsuite>)> = wanted
        .iter()
        .map(|run| {
            let testsuite = testsuites.iter().find(|(_, runs)| runs.contains(&run.name));
            (*run, testsuite.map(|(testsuite, _)| testsuite))
        })
        .collect();
    let outcomes = run_side_by_side(&plan, &examples, &work, options);
    let mut passed = true;
    let mut summaries = format!("# Autobahn testsuite results\n\n{heading}");
    for (&(run, testsuite), (outcome, took)) in plan.iter().zip(outcomes) {
        let title = run.heading(options);
        println!("\n== {title} ({} s) ==", took.as_secs());
        let results = match outcome {
            Ok(results) => {
                let rerun = Rerun { run, testsuite, examples: &examples, work: &work, root: &root };
                rerun.suspects(results, options, &mut summaries)
            }
            Err(error) => {
                println!("FAIL {}: {error}", run.name);
                let _ = write!(summaries, "### {title}\n\nFAILED: {error}\n\n");
                passed = false;
                continue;
            }
        };
        let table = summary(&title, &results);
        println!("{table}");
        summaries.push_str(&table);
        let _ = write!(summaries, "\n{} cases in {} s.\n\n", results.len(), took.as_secs());
        passed &= gate(run, &results, &root, options)?;
    }
    publish(&work, &summaries)?;
    Ok(passed)
}

/// The runs the options ask for, less those left with no case: wstest
/// waits forever when it has none to run.
fn wanted_runs(options: &Options) -> Vec<&'static Run> {
    RUNS.iter()
        .filter(|run| match options.roles {
            Roles::All => true,
            Roles::Server => run.role == Role::Server,
            Roles::Client => run.role == Role::Client,
        })
        .filter(|run| options.only.is_empty() || options.only.iter().any(|name| name == run.name))
        .filter(|run| {
            let empty = left_out(&options.cases, run.excluded(options));
            if empty {
                println!("skipping {}: every case asked for is left out of this run", run.name);
            }
            !empty
        })
        .collect()
}

/// Makes the runs, each with its testsuite, and returns each one's
/// results and duration. The runs are independent (own ports, own report
/// folders) and the testsuite is single-threaded, so they go side by side.
fn run_side_by_side(
    plan: &[(&Run, Option<&Testsuite>)],
    examples: &Examples,
    work: &Path,
    options: &Options,
) -> Vec<(io::Result<Results>, Duration)> {
    println!(
        "running {} in parallel",
        plan.iter().map(|(run, _)| run.name).collect::<Vec<_>>().join(", ")
    );
    std::thread::scope(|scope| {
        let handles: Vec<_> = plan
            .iter()
            .map(|&(run, testsuite)| {
                scope.spawn(move || {
                    let start = Instant::now();
                    let outcome = (|| {
                        let testsuite =
                            testsuite.ok_or_else(|| io::Error::other("no testsuite"))?;
                        let outdir = work.join(run.name);
                        let _ = fs::remove_dir_all(&outdir);
                        fs::create_dir_all(&outdir)?;
                        match run.role {
                            Role::Server => {
                                run_server(testsuite, examples, run, work, &outdir, options)
                            }
                            Role::Client => {
                                run_client(testsuite, examples, run, work, &outdir, options)
                            }
                        }
                    })();
                    (outcome, start.elapsed())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|_| (Err(io::Error::other("a run panicked")), Duration::ZERO))
            })
            .collect()
    })
}

/// Writes `summary.md` beside the reports and, in a GitHub Actions step
/// (`GITHUB_STEP_SUMMARY` set), appends it to the job summary, which
/// other steps may write to as well.
fn publish(work: &Path, summaries: &str) -> io::Result<()> {
    fs::write(work.join("summary.md"), summaries)?;
    println!("reports and summary.md under {}", work.display());
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)?
            .write_all(summaries.as_bytes())?;
    }
    Ok(())
}

/// Whether every case pattern in `cases` falls under a pattern in
/// `exclude` (`12.*` covers `12.2.*` and `12.2.1`).
fn left_out(cases: &[String], exclude: &[&str]) -> bool {
    let covers = |exclude: &str, case: &str| match exclude.strip_suffix('*') {
        Some(prefix) => case.starts_with(prefix),
        None => exclude == case,
    };
    cases.iter().all(|case| exclude.iter().any(|pattern| covers(pattern, case)))
}

/// Gets the testsuites the wanted runs need: the chosen one for most, the
/// native one for those named in `native_runs`. Returns each with the
/// names of its runs.
fn prepare_testsuites(
    wanted: &[&Run],
    root: &Path,
    work: &Path,
    options: &Options,
) -> io::Result<Vec<(Testsuite, Vec<&'static str>)>> {
    let scripts = Scripts {
        setup_native: root.join("conformance/autobahn/setup-native.sh"),
        build_image: root.join("conformance/autobahn/docker/build-image.sh"),
    };
    let (native, chosen): (Vec<&'static str>, Vec<&'static str>) = wanted
        .iter()
        .map(|run| run.name)
        .partition(|name| options.native_runs.iter().any(|n| n == name));
    let mut testsuites: Vec<(Testsuite, Vec<&'static str>)> = Vec::new();
    if !chosen.is_empty() {
        let testsuite =
            Testsuite::prepare(options.testsuite, options.image.as_deref(), &scripts, work)?;
        testsuites.push((testsuite, chosen));
    }
    if !native.is_empty() {
        match testsuites.first_mut() {
            Some((testsuite, runs)) if testsuite.is_native() => runs.extend(native),
            _ => {
                let testsuite = Testsuite::native(&scripts, work, "asked for with --native-runs")?;
                testsuites.push((testsuite, native));
            }
        }
    }
    Ok(testsuites)
}

/// Tests the echo server with `wstest -m fuzzingclient`.
fn run_server(
    testsuite: &Testsuite,
    examples: &Examples,
    run: &Run,
    work: &Path,
    outdir: &Path,
    options: &Options,
) -> io::Result<Results> {
    // Port 0: the server binds a port nothing else holds and says which.
    let mut server = Guard::spawn(
        "echo_server",
        Command::new(&examples.of(run.adapter)?.echo_server)
            .arg("127.0.0.1:0")
            .args(run.program_args(options))
            .stdout(Stdio::piped()),
    )?;
    let port = server.listening_port(Duration::from_secs(30))?;
    let spec = serde_json::json!({
        "outdir": outdir,
        "servers": [{ "agent": AGENT, "url": format!("ws://127.0.0.1:{port}") }],
        "cases": options.cases,
        "exclude-cases": run.excluded(options),
        "exclude-agent-cases": {},
    });
    let spec_path = outdir.join("spec.json");
    fs::write(&spec_path, spec.to_string())?;
    let log = fs::File::create(outdir.join("wstest.log"))?;
    let wstest = testsuite.spawn(run.name, "fuzzingclient", &spec_path, work, &log)?;
    let status = wstest.wait_for(options.run_timeout)?;
    if !status.success() {
        return Err(io::Error::other(format!(
            "wstest exited with {status}; see {}",
            outdir.join("wstest.log").display()
        )));
    }
    read_index(outdir, AGENT)
}

/// Tests the Autobahn client against `wstest -m fuzzingserver`.
fn run_client(
    testsuite: &Testsuite,
    examples: &Examples,
    run: &Run,
    work: &Path,
    outdir: &Path,
    options: &Options,
) -> io::Result<Results> {
    let port = free_port()?;
    let spec = serde_json::json!({
        "url": format!("ws://127.0.0.1:{port}"),
        "outdir": outdir,
        "cases": options.cases,
        "exclude-cases": run.excluded(options),
        "exclude-agent-cases": {},
    });
    let spec_path = outdir.join("spec.json");
    fs::write(&spec_path, spec.to_string())?;
    let log = fs::File::create(outdir.join("wstest.log"))?;
    let mut wstest = testsuite.spawn(run.name, "fuzzingserver", &spec_path, work, &log)?;
    if let Err(error) = wait_for_port(port, Duration::from_secs(60)) {
        return Err(match wstest.exited() {
            Some(status) => io::Error::other(format!(
                "wstest fuzzingserver ended ({status}) before it listened; see {}",
                outdir.join("wstest.log").display()
            )),
            None => error,
        });
    }
    let client_log = fs::File::create(outdir.join("client.log"))?;
    let client = Guard::spawn(
        "autobahn_client",
        Command::new(&examples.of(run.adapter)?.autobahn_client)
            .args([format!("ws://127.0.0.1:{port}"), AGENT.to_owned()])
            .args(run.program_args(options))
            .stdout(client_log.try_clone()?)
            .stderr(client_log),
    )?;
    let status = client.wait_for(options.run_timeout)?;
    if !status.success() {
        let testsuite_end = match wstest.exited() {
            Some(wstest_status) => format!(
                "; the testsuite had stopped ({wstest_status}), see {}",
                outdir.join("wstest.log").display()
            ),
            None => String::new(),
        };
        return Err(io::Error::other(format!(
            "autobahn_client exited with {status}{testsuite_end}"
        )));
    }
    read_index(outdir, AGENT)
}

/// At most this many cases a run failed are run again alone; more failures
/// than that are not the testsuite's timing.
const MOST_RERUN: usize = 8;

/// What running a run's failed cases again needs.
struct Rerun<'a> {
    run: &'a Run,
    testsuite: Option<&'a Testsuite>,
    examples: &'a Examples,
    work: &'a Path,
    root: &'a Path,
}

impl Rerun<'_> {
    /// Runs the few cases a run failed once more, alone, and takes their
    /// second verdicts. With nine testsuites on two cores a case now and
    /// then fails on the testsuite's timing (a close it waits for half a
    /// second, a frame it expects within a deadline) and passes on an idle
    /// machine; a real failure fails again. The summary names the cases
    /// run again and both verdicts.
    fn suspects(&self, mut results: Results, options: &Options, summary: &mut String) -> Results {
        let name = self.run.name;
        let expected = if options.cases == ["*"] && !options.update_expected {
            let path = self.root.join("conformance/autobahn/expected").join(format!("{name}.txt"));
            fs::read_to_string(path).ok()
        } else {
            None
        };
        let suspects = report::suspects(&results, expected.as_deref());
        if suspects.is_empty() || suspects.len() > MOST_RERUN || options.update_expected {
            return results;
        }
        let ids: Vec<String> = suspects.iter().map(ToString::to_string).collect();
        println!("RERUN {name}: {} again, alone", ids.join(", "));
        let mut again = options.clone();
        again.cases.clone_from(&ids);
        let work = self.work.join("rerun");
        let plan = [(self.run, self.testsuite)];
        let outcome = fs::create_dir_all(&work)
            .and_then(|()| run_side_by_side(&plan, self.examples, &work, &again).remove(0).0);
        match outcome {
            Ok(rerun) => {
                for id in &suspects {
                    let first =
                        results.get(id).map(|o| format!("{} {}", o.behavior, o.behavior_close));
                    let second =
                        rerun.get(id).map(|o| format!("{} {}", o.behavior, o.behavior_close));
                    let line = format!(
                        "{name} {id}: `{}` in the side-by-side run, `{}` alone",
                        first.unwrap_or_default(),
                        second.as_deref().unwrap_or("not run")
                    );
                    println!("RERUN {line}");
                    let _ = writeln!(summary, "Run again: {line}.\n");
                }
                results.extend(rerun);
            }
            Err(error) => println!("RERUN {name}: could not run again: {error}"),
        }
        results
    }
}

/// Applies the gate to one run: no refused verdicts, at least one case,
/// and (for full runs) the same results as the checked-in expectation.
fn gate(run: &Run, results: &Results, root: &Path, options: &Options) -> io::Result<bool> {
    let mut ok = true;
    if results.is_empty() {
        println!("FAIL {}: no case ran", run.name);
        ok = false;
    }
    for violation in violations(results) {
        println!("FAIL {}: {violation}", run.name);
        ok = false;
    }
    let full = options.cases == ["*"];
    let expected_path =
        root.join("conformance/autobahn/expected").join(format!("{}.txt", run.name));
    let actual = normalise(results);
    if options.update_expected {
        if full {
            fs::create_dir_all(expected_path.parent().unwrap_or(root))?;
            fs::write(&expected_path, &actual)?;
            println!("wrote {}", expected_path.display());
        } else {
            println!("not updating {}: only a full run may", expected_path.display());
        }
    } else if full {
        match fs::read_to_string(&expected_path) {
            Ok(expected) => {
                for difference in differences(&expected, &actual) {
                    println!("FAIL {}: {difference}", run.name);
                    ok = false;
                }
            }
            Err(e) => {
                println!("FAIL {}: cannot read {}: {e}", run.name, expected_path.display());
                ok = false;
            }
        }
    }
    if ok {
        println!("PASS {}: {} cases", run.name, results.len());
    }
    Ok(ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_whose_exclusions_cover_every_case_asked_for_is_left_out() {
        let cases = |list: &[&str]| list.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
        let exclude = &["12.*", "13.*"];
        assert!(left_out(&cases(&["12.2.*", "13.1.1"]), exclude));
        assert!(!left_out(&cases(&["*"]), exclude));
        assert!(!left_out(&cases(&["12.2.*", "1.*"]), exclude));
        assert!(!left_out(&cases(&["1.1.1"]), &[]));
    }

    #[test]
    fn runs_have_distinct_names_and_an_adapter_without_deflate_runs_no_deflate_case() {
        for (i, run) in RUNS.iter().enumerate() {
            assert!(RUNS[..i].iter().all(|other| other.name != run.name), "{}", run.name);
            if run.adapter.build().features.is_empty() {
                let deflate = ["12.*".to_owned(), "13.*".to_owned()];
                assert!(left_out(&deflate, run.exclude), "{} runs 12/13", run.name);
            }
        }
        let embedded = |role| {
            RUNS.iter().filter(move |run| run.adapter == Adapter::Embedded && run.role == role)
        };
        // Each role once blocking and once async.
        for role in [Role::Server, Role::Client] {
            let args: Vec<_> = embedded(role).map(|run| run.args).collect();
            assert_eq!(args, [&[][..], &["--async"][..]]);
        }
    }
}
