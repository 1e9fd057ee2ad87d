//! Where `wstest` comes from: a Docker image (see [`super::docker`] for
//! which one) or a native Python 2.7 environment, and why.

use super::docker;
use super::process::{Guard, LIFELINE};
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// How long the native install may take (a few minutes on a fresh
/// machine; the script bounds each of its steps too).
const SETUP_LIMIT: Duration = Duration::from_secs(40 * 60);

/// Which testsuite to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// The Docker image when an engine answers and an image can be had,
    /// else the native environment (saying why).
    Auto,
    /// The Docker image; an error when none can be had.
    Docker,
    /// The native Python 2.7 environment.
    Native,
}

/// The scripts that get a testsuite.
pub(crate) struct Scripts {
    /// Installs the native environment; prints wstest's path last.
    pub(crate) setup_native: PathBuf,
    /// Builds the local Docker image.
    pub(crate) build_image: PathBuf,
}

/// How to run `wstest`.
#[derive(Debug, Clone)]
enum Kind {
    /// `docker run` of this image.
    Docker(String),
    /// A native `wstest` executable.
    Native(PathBuf),
}

/// A ready testsuite and the reason it was chosen.
#[derive(Debug, Clone)]
pub(crate) struct Testsuite {
    kind: Kind,
    why: String,
}

impl Testsuite {
    /// Gets the chosen testsuite. `image` names a Docker image to use
    /// instead of the default ones. In `Auto`, a Docker failure of any
    /// kind (no engine, no image) falls back to the native environment,
    /// and the reason is kept for the summary.
    pub(crate) fn prepare(
        choice: Choice,
        image: Option<&str>,
        scripts: &Scripts,
        work: &Path,
    ) -> io::Result<Self> {
        match choice {
            Choice::Native => Testsuite::native(scripts, work, "asked for"),
            Choice::Docker => match docker::resolve(image, &scripts.build_image) {
                Ok((image, why)) => Ok(Testsuite { kind: Kind::Docker(image), why }),
                Err(reason) => Err(io::Error::other(format!(
                    "the Docker testsuite is not available: {reason} (--native runs without Docker)"
                ))),
            },
            Choice::Auto => match docker::resolve(image, &scripts.build_image) {
                Ok((image, why)) => Ok(Testsuite { kind: Kind::Docker(image), why }),
                Err(reason) => {
                    println!("not using Docker: {reason}; falling back to the native testsuite");
                    Testsuite::native(scripts, work, &format!("Docker not used: {reason}"))
                }
            },
        }
    }

    /// The native environment, installed once and cached by the setup
    /// script.
    pub(crate) fn native(scripts: &Scripts, work: &Path, why: &str) -> io::Result<Self> {
        let out_path = work.join("setup-native.out");
        let mut command = Command::new("bash");
        command.arg(&scripts.setup_native).stdout(File::create(&out_path)?);
        let status = Guard::spawn("setup-native.sh", &mut command)?.wait_for(SETUP_LIMIT)?;
        if !status.success() {
            return Err(io::Error::other(format!(
                "installing the native testsuite failed ({status}; its messages are above)"
            )));
        }
        let stdout = fs::read_to_string(&out_path)?;
        let _ = fs::remove_file(&out_path);
        let path = stdout.lines().last().unwrap_or_default().trim();
        if path.is_empty() {
            return Err(io::Error::other("the setup script printed no wstest path"));
        }
        Ok(Testsuite { kind: Kind::Native(PathBuf::from(path)), why: why.to_owned() })
    }

    /// Starts `wstest -m mode -s spec` for run `run`, whose reports go
    /// under `work` (mounted as is under Docker), with its output to `log`.
    /// The guard stops it, and removes its container, on every exit path.
    pub(crate) fn spawn(
        &self,
        run: &str,
        mode: &str,
        spec: &Path,
        work: &Path,
        log: &File,
    ) -> io::Result<Guard> {
        let label = format!("wstest {mode}");
        let spec = spec.to_string_lossy();
        let mut args = vec!["-m", mode, "-s", &spec];
        if mode == "fuzzingserver" {
            // No embedded web server for the reports (it would listen on
            // 8080, which a second client run side by side also wants).
            args.extend(["--webport", "0"]);
        }
        // wstest runs under a lifeline, so that it stops (and its container
        // goes) even if the runner is killed before its guards can act.
        match &self.kind {
            Kind::Native(wstest) => {
                let mut command = Command::new("sh");
                command.args(["-c", LIFELINE]).arg(wstest).args(&args).current_dir(work);
                command.stdin(Stdio::piped()).stdout(log.try_clone()?).stderr(log.try_clone()?);
                Guard::spawn(&label, &mut command)
            }
            Kind::Docker(image) => {
                let container = format!("barews-autobahn-{}-{run}", std::process::id());
                let mut wstest = vec!["sh", "-c", LIFELINE, "wstest"];
                wstest.extend(&args);
                let mut command = docker::run_command(image, &container, work, &wstest);
                command.stdin(Stdio::piped()).stdout(log.try_clone()?).stderr(log.try_clone()?);
                Guard::spawn_container(&label, &container, &mut command)
            }
        }
    }

    /// What runs `wstest`, for the log and the summary.
    pub(crate) fn describe(&self) -> String {
        match &self.kind {
            Kind::Docker(image) => format!("Docker image `{image}`"),
            Kind::Native(path) => format!("native wstest at `{}`", path.display()),
        }
    }

    /// Why this testsuite was chosen.
    pub(crate) fn why(&self) -> &str {
        &self.why
    }

    /// Whether this is the native environment.
    pub(crate) fn is_native(&self) -> bool {
        matches!(self.kind, Kind::Native(_))
    }
}
