//! Where `wstest` comes from: the Docker image when a Docker engine
//! answers, else a native Python 2.7 environment.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The official image.
const IMAGE: &str = "crossbario/autobahn-testsuite";

/// How to run `wstest`.
#[derive(Debug, Clone)]
pub(crate) enum Testsuite {
    /// `docker run` with host networking; reports and specs are mounted.
    Docker,
    /// A native `wstest` executable.
    Native(PathBuf),
}

/// Which testsuite to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Docker when `docker info` answers, else native.
    Auto,
    /// The Docker image.
    Docker,
    /// The native Python 2.7 environment.
    Native,
}

impl Testsuite {
    /// Sets up the chosen testsuite: Docker if asked for or, in `Auto`,
    /// if `docker info` answers; otherwise the native environment,
    /// installed once and cached.
    pub(crate) fn prepare(choice: Choice, setup_script: &Path) -> io::Result<Self> {
        let docker = match choice {
            Choice::Docker => true,
            Choice::Native => false,
            Choice::Auto => docker_answers(),
        };
        if docker {
            let status = Command::new("docker").args(["pull", "-q", IMAGE]).status()?;
            if !status.success() {
                return Err(io::Error::other("docker pull failed"));
            }
            return Ok(Testsuite::Docker);
        }
        let output = Command::new("bash").arg(setup_script).stderr(Stdio::inherit()).output()?;
        if !output.status.success() {
            return Err(io::Error::other("installing the native testsuite failed"));
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let path = stdout.lines().last().unwrap_or_default().trim();
        if path.is_empty() {
            return Err(io::Error::other("the setup script printed no wstest path"));
        }
        Ok(Testsuite::Native(PathBuf::from(path)))
    }

    /// A `wstest` command in `mode` with the spec at `spec`, whose
    /// `outdir` lies under `work` (mounted as is under Docker).
    pub(crate) fn command(&self, mode: &str, spec: &Path, work: &Path) -> Command {
        match self {
            Testsuite::Native(wstest) => {
                let mut command = Command::new(wstest);
                command.args(["-m", mode, "-s"]).arg(spec).current_dir(work);
                command
            }
            Testsuite::Docker => {
                let mut command = Command::new("docker");
                let mount = format!("{}:{}", work.display(), work.display());
                command
                    .args(["run", "--rm", "--network", "host", "-v", &mount, "-w"])
                    .arg(work)
                    .args([IMAGE, "wstest", "-m", mode, "-s"])
                    .arg(spec);
                command
            }
        }
    }

    /// A short name for the summary.
    pub(crate) fn describe(&self) -> String {
        match self {
            Testsuite::Docker => format!("Docker image {IMAGE}"),
            Testsuite::Native(path) => format!("native wstest at {}", path.display()),
        }
    }
}

fn docker_answers() -> bool {
    Command::new("docker")
        .arg("info")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}
