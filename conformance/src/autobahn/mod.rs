//! The Autobahn testsuite runner: the std adapter's echo server (whole
//! messages, and a 512-byte streaming variant) against `wstest
//! -m fuzzingclient`, and its Autobahn client against `wstest -m
//! fuzzingserver`, with reports, per-section summaries and a strict gate.

mod process;
pub mod report;
mod testsuite;

use process::{Guard, free_port, wait_for_port};
use report::{Results, differences, normalise, read_index, summary, violations};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
pub use testsuite::Choice;
use testsuite::Testsuite;

/// The agent name the reports use.
const AGENT: &str = "barews";

/// Which runs to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Roles {
    /// The two server runs.
    Server,
    /// The client run.
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
    /// The case patterns (`["*"]` for all).
    pub cases: Vec<String>,
    /// Write the results as the new expected results instead of comparing.
    pub update_expected: bool,
    /// The longest a single run may take.
    pub run_timeout: Duration,
}

/// One run: a role, a variant, and where its results go.
struct Run {
    name: &'static str,
    title: &'static str,
    /// Arguments for the echo server after the address; `None` for the
    /// client run.
    server_args: Option<&'static [&'static str]>,
    /// Case patterns this run leaves out.
    exclude: &'static [&'static str],
}

const RUNS: [Run; 3] = [
    Run { name: "server", title: "server (whole messages)", server_args: Some(&[]), exclude: &[] },
    Run {
        name: "server-stream",
        title: "server (512-byte buffer, chunks echoed as fragments)",
        server_args: Some(&["--stream", "512"]),
        // permessage-deflate is covered by the other two runs: echoed as
        // 512-byte fragments, its 216 cases keep the Python testsuite busy
        // for over half an hour.
        exclude: &["12.*", "13.*"],
    },
    Run { name: "client", title: "client", server_args: None, exclude: &[] },
];

/// The workspace root (this crate sits one level below it).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Runs the testsuite and returns whether every gate passed.
pub fn run(options: &Options) -> io::Result<bool> {
    let root = workspace_root();
    let work = root.join("target").join("autobahn");
    fs::create_dir_all(&work)?;
    let examples = build_examples(&root)?;
    let testsuite =
        Testsuite::prepare(options.testsuite, &root.join("conformance/autobahn/setup-native.sh"))?;
    println!("testsuite: {}", testsuite.describe());

    let wanted: Vec<&Run> = RUNS
        .iter()
        .filter(|run| match options.roles {
            Roles::All => true,
            Roles::Server => run.server_args.is_some(),
            Roles::Client => run.server_args.is_none(),
        })
        .collect();
    // The runs are independent (own ports, own report folders) and the
    // testsuite is single-threaded, so they run side by side.
    println!(
        "running {} in parallel",
        wanted.iter().map(|run| run.name).collect::<Vec<_>>().join(", ")
    );
    let outcomes: Vec<io::Result<Results>> = std::thread::scope(|scope| {
        let handles: Vec<_> = wanted
            .iter()
            .map(|run| {
                let (testsuite, examples, work) = (&testsuite, &examples, &work);
                scope.spawn(move || {
                    let outdir = work.join(run.name);
                    let _ = fs::remove_dir_all(&outdir);
                    fs::create_dir_all(&outdir)?;
                    match run.server_args {
                        Some(_) => run_server(testsuite, examples, run, work, &outdir, options),
                        None => run_client(testsuite, examples, work, &outdir, options),
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap_or_else(|_| Err(io::Error::other("a run panicked"))))
            .collect()
    });
    let mut passed = true;
    let mut summaries = String::from("# Autobahn testsuite results\n\n");
    for (run, outcome) in wanted.iter().zip(outcomes) {
        println!("\n== {} ==", run.title);
        let results = match outcome {
            Ok(results) => results,
            Err(error) => {
                println!("FAIL {}: {error}", run.name);
                passed = false;
                continue;
            }
        };
        let table = summary(run.title, &results);
        println!("{table}");
        summaries.push_str(&table);
        summaries.push('\n');
        passed &= gate(run, &results, &root, options)?;
    }
    fs::write(work.join("summary.md"), &summaries)?;
    println!("reports and summary.md under {}", work.display());
    Ok(passed)
}

/// Builds the echo server and the Autobahn client in release mode.
fn build_examples(root: &Path) -> io::Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .current_dir(root)
        .args([
            "build",
            "--release",
            "-p",
            "barews-std",
            "--features",
            "deflate",
            "--example",
            "echo_server",
            "--example",
            "autobahn_client",
        ])
        .status()?;
    if !status.success() {
        return Err(io::Error::other("building the examples failed"));
    }
    Ok(root.join("target/release/examples"))
}

/// Tests the echo server with `wstest -m fuzzingclient`.
fn run_server(
    testsuite: &Testsuite,
    examples: &Path,
    run: &Run,
    work: &Path,
    outdir: &Path,
    options: &Options,
) -> io::Result<Results> {
    let port = free_port()?;
    let _server = Guard::spawn(
        "echo_server",
        Command::new(examples.join("echo_server"))
            .arg(format!("127.0.0.1:{port}"))
            .args(run.server_args.unwrap_or_default())
            .stdout(Stdio::null()),
    )?;
    wait_for_port(port, Duration::from_secs(30))?;
    let spec = serde_json::json!({
        "outdir": outdir,
        "servers": [{ "agent": AGENT, "url": format!("ws://127.0.0.1:{port}") }],
        "cases": options.cases,
        "exclude-cases": run.exclude,
        "exclude-agent-cases": {},
    });
    let spec_path = outdir.join("spec.json");
    fs::write(&spec_path, spec.to_string())?;
    let log = fs::File::create(outdir.join("wstest.log"))?;
    let wstest = Guard::spawn(
        "wstest fuzzingclient",
        testsuite.command("fuzzingclient", &spec_path, work).stdout(log.try_clone()?).stderr(log),
    )?;
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
    examples: &Path,
    work: &Path,
    outdir: &Path,
    options: &Options,
) -> io::Result<Results> {
    let port = free_port()?;
    let spec = serde_json::json!({
        "url": format!("ws://127.0.0.1:{port}"),
        "outdir": outdir,
        "cases": options.cases,
        "exclude-cases": [],
        "exclude-agent-cases": {},
    });
    let spec_path = outdir.join("spec.json");
    fs::write(&spec_path, spec.to_string())?;
    let log = fs::File::create(outdir.join("wstest.log"))?;
    let _wstest = Guard::spawn(
        "wstest fuzzingserver",
        testsuite.command("fuzzingserver", &spec_path, work).stdout(log.try_clone()?).stderr(log),
    )?;
    wait_for_port(port, Duration::from_secs(60))?;
    let client_log = fs::File::create(outdir.join("client.log"))?;
    let client = Guard::spawn(
        "autobahn_client",
        Command::new(examples.join("autobahn_client"))
            .args([format!("ws://127.0.0.1:{port}"), AGENT.to_owned()])
            .stdout(client_log.try_clone()?)
            .stderr(client_log),
    )?;
    let status = client.wait_for(options.run_timeout)?;
    if !status.success() {
        return Err(io::Error::other(format!("autobahn_client exited with {status}")));
    }
    read_index(outdir, AGENT)
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
