//! The Docker side of the runner: whether an engine answers, which image
//! to run (found, pulled, or built here), and the `docker run` command.
//!
//! Every container runs on the host network (nothing of ours gets an
//! address on a private bridge), mounts the reports directory at the same
//! path, writes as the user who owns that directory, and carries a name,
//! so that the runner can remove it on every exit path.

use super::process::{Guard, last_line, output_within};
use std::io;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// The official image, pinned by digest: `AutobahnTestSuite` 0.8.2 on
/// Python 2.7, the release the expected results were made with. (The
/// `latest` tag has since moved to other releases.)
pub const OFFICIAL_IMAGE: &str = "crossbario/autobahn-testsuite@sha256:5d4ba3aa7d6ab2fdbf6606f3f4ecbe4b66f205ce1cbc176d6cdf650157e52242";

/// The project's own equivalent, built by `conformance/autobahn/docker/
/// build-image.sh` where the official image cannot be had: the same
/// packages, pinned alike, on Debian bullseye.
pub const LOCAL_IMAGE: &str = "barews/autobahn-testsuite:0.8.2";

/// How long `docker info` and `docker image inspect` may take.
const QUERY_LIMIT: Duration = Duration::from_secs(30);
/// How long a pull may take (the image is a few hundred megabytes).
const PULL_LIMIT: Duration = Duration::from_secs(10 * 60);
/// How long building the local image may take (about a minute and a
/// half where it was measured; the script bounds each of its steps too).
const BUILD_LIMIT: Duration = Duration::from_secs(40 * 60);

/// Whether a Docker engine answers; the reason when not.
pub(crate) fn engine_answers() -> Result<(), String> {
    match output_within(Command::new("docker").arg("info"), QUERY_LIMIT) {
        Ok(output) if output.status.success() => Ok(()),
        Ok(output) => Err(format!("`docker info` failed: {}", last_line(&output.stderr))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            Err("no `docker` command on PATH".to_owned())
        }
        Err(e) => Err(format!("`docker info`: {e}")),
    }
}

/// Whether the engine holds `image`.
fn present(image: &str) -> bool {
    output_within(Command::new("docker").args(["image", "inspect", image]), QUERY_LIMIT)
        .is_ok_and(|output| output.status.success())
}

/// Pulls `image`; the reason when that fails.
fn pull(image: &str) -> Result<(), String> {
    println!("pulling {image}");
    match output_within(Command::new("docker").args(["pull", "--quiet", image]), PULL_LIMIT) {
        Ok(output) if output.status.success() => Ok(()),
        Ok(output) => Err(last_line(&output.stderr)),
        Err(e) => Err(e.to_string()),
    }
}

/// Builds [`LOCAL_IMAGE`] with the build script, whose progress goes to
/// the terminal.
fn build(script: &Path) -> Result<(), String> {
    println!("building {LOCAL_IMAGE} with {} (once per machine)", script.display());
    let mut command = Command::new("bash");
    command.arg(script).arg(LOCAL_IMAGE);
    let status = Guard::spawn("build-image.sh", &mut command)
        .and_then(|guard| guard.wait_for(BUILD_LIMIT))
        .map_err(|e| e.to_string())?;
    if status.success() && present(LOCAL_IMAGE) {
        Ok(())
    } else {
        Err(format!("build-image.sh {status} (its messages are above)"))
    }
}

/// The image to run and why it was chosen, in this order: the one the
/// caller named (found or pulled); the official image if the engine holds
/// it; the local build if this machine made it before; the official image
/// pulled; the local image built now. A cached local build comes before a
/// pull so that, where no registry answers (or one drops packets until a
/// timeout), reruns cost no network wait; both images carry the same
/// testsuite release. A failed pull is only a reason for the next step.
pub(crate) fn resolve(
    requested: Option<&str>,
    build_script: &Path,
) -> Result<(String, String), String> {
    engine_answers().map_err(|reason| format!("no Docker engine answers ({reason})"))?;
    if let Some(image) = requested {
        if present(image) {
            return Ok((image.to_owned(), "named with --image, present".to_owned()));
        }
        return match pull(image) {
            Ok(()) => Ok((image.to_owned(), "named with --image, pulled".to_owned())),
            Err(reason) => Err(format!(
                "{image} (named with --image) is not here and pulling it failed: {reason}"
            )),
        };
    }
    if present(OFFICIAL_IMAGE) {
        return Ok((OFFICIAL_IMAGE.to_owned(), "the official image, present".to_owned()));
    }
    if present(LOCAL_IMAGE) {
        return Ok((
            LOCAL_IMAGE.to_owned(),
            "built on this machine by an earlier run; the official image is not here".to_owned(),
        ));
    }
    let pull_failure = match pull(OFFICIAL_IMAGE) {
        Ok(()) => return Ok((OFFICIAL_IMAGE.to_owned(), "the official image, pulled".to_owned())),
        Err(reason) => reason,
    };
    println!("pulling the official image failed ({pull_failure})");
    match build(build_script) {
        Ok(()) => Ok((
            LOCAL_IMAGE.to_owned(),
            format!("built here, as the official image could not be pulled: {pull_failure}"),
        )),
        Err(reason) => Err(format!(
            "the official image could not be pulled ({pull_failure}) and building {LOCAL_IMAGE} failed: {reason}"
        )),
    }
}

/// `docker run` of `image` with `args`, as container `name`: host network,
/// standard input attached, `work` mounted at the same path and used as
/// the working directory, files written as the owner of `work`.
pub(crate) fn run_command(image: &str, name: &str, work: &Path, args: &[&str]) -> Command {
    let mut command = Command::new("docker");
    // --interactive: the container's input is the caller's, and closes
    // when this client goes (see process::LIFELINE).
    command.args(["run", "--rm", "--interactive", "--name", name, "--network", "host"]);
    // Python 2 buffers a redirected stdout: the log would lose its end
    // when a container is stopped.
    command.args(["--env", "PYTHONUNBUFFERED=1"]);
    if let Some(user) = owner(work) {
        // HOME is set because the invoking user need not exist in the image.
        command.args(["--user", &user, "--env", "HOME=/tmp"]);
    }
    command
        .arg("--volume")
        .arg(format!("{0}:{0}", work.display()))
        .arg("--workdir")
        .arg(work)
        .arg(image)
        .args(args);
    command
}

/// `uid:gid` of the owner of `path` (the invoking user, who just made it).
#[cfg(unix)]
fn owner(path: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| format!("{}:{}", m.uid(), m.gid()))
}

/// Elsewhere the engine's default user writes the reports.
#[cfg(not(unix))]
fn owner(_path: &Path) -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_run_on_the_host_network_with_the_reports_mounted() {
        let work = std::env::temp_dir();
        let command = run_command("img", "barews-autobahn-1-server", &work, &["wstest", "-a"]);
        let args: Vec<String> =
            command.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        let joined = args.join(" ");
        assert!(
            joined.starts_with(
                "run --rm --interactive --name barews-autobahn-1-server --network host"
            ),
            "{joined}"
        );
        assert!(joined.contains(&format!("--volume {0}:{0}", work.display())), "{joined}");
        assert!(joined.ends_with("img wstest -a"), "{joined}");
        #[cfg(unix)]
        assert!(args.iter().any(|a| a == "--user"), "{joined}");
    }
}
