//! What the runner asks of cargo: where the target directory is (so
//! reports land where `CARGO_TARGET_DIR` or the cargo configuration put it)
//! and where the examples it builds end up (cargo says so in its JSON
//! messages, whatever the target directory or build target).

use super::process::{last_line, output_within};
use serde_json::Value;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// One adapter's two programs under test.
pub(crate) struct Programs {
    /// Its echo server.
    pub(crate) echo_server: PathBuf,
    /// Its Autobahn client.
    pub(crate) autobahn_client: PathBuf,
}

/// How to build one adapter's programs.
pub(crate) struct Build {
    /// The adapter's package.
    pub(crate) package: &'static str,
    /// Its echo server's example (its Autobahn client's is
    /// `autobahn_client`).
    pub(crate) server: &'static str,
    /// The package features to build with (`deflate` where there is one).
    pub(crate) features: &'static [&'static str],
}

/// The cargo the runner was started by, else the one on `PATH`.
fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// The workspace's target directory, from `cargo metadata`.
pub(crate) fn target_directory(root: &Path) -> io::Result<PathBuf> {
    let output = output_within(
        cargo().current_dir(root).args(["metadata", "--format-version", "1", "--no-deps"]),
        Duration::from_secs(120),
    )
    .map_err(|e| io::Error::new(e.kind(), format!("cargo metadata: {e}")))?;
    if !output.status.success() {
        return Err(io::Error::other(format!(
            "cargo metadata failed: {}",
            last_line(&output.stderr)
        )));
    }
    let json: Value = serde_json::from_slice(&output.stdout).map_err(io::Error::other)?;
    json.get("target_directory")
        .and_then(Value::as_str)
        .map(PathBuf::from)
        .ok_or_else(|| io::Error::other("cargo metadata named no target_directory"))
}

/// Builds an adapter's echo server and Autobahn client in release mode
/// (with its features) and returns the executables cargo reports.
pub(crate) fn build_programs(root: &Path, build: &Build) -> io::Result<Programs> {
    let Build { package, server, features } = *build;
    let mut command = cargo();
    command
        .current_dir(root)
        .args(["build", "--release", "--message-format=json-render-diagnostics", "-p", package])
        .args(["--example", server, "--example", "autobahn_client"]);
    if !features.is_empty() {
        command.args(["--features", &features.join(",")]);
    }
    let output = command.stdin(Stdio::null()).stderr(Stdio::inherit()).output()?;
    if !output.status.success() {
        return Err(io::Error::other(format!("building the examples of {package} failed")));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let find = |name: &str| {
        executable(&text, name).ok_or_else(|| {
            io::Error::other(format!("cargo built {package} but reported no {name} executable"))
        })
    };
    Ok(Programs {
        echo_server: keep(&find(server)?, package)?,
        autobahn_client: keep(&find("autobahn_client")?, package)?,
    })
}

/// A copy of `executable` in a folder of `package`'s own beside it. The
/// adapters' examples share names (`autobahn_client`), and cargo puts an
/// example at the same path whatever its package, so the next adapter's
/// build would replace the one just built (the std and tokio client runs
/// once ran the embedded client that way, without compression).
fn keep(executable: &Path, package: &str) -> io::Result<PathBuf> {
    let name = executable
        .file_name()
        .ok_or_else(|| io::Error::other(format!("{} names no file", executable.display())))?;
    let folder = executable.parent().unwrap_or_else(|| Path::new(".")).join(package);
    fs::create_dir_all(&folder)?;
    let kept = folder.join(name);
    fs::copy(executable, &kept)?;
    Ok(kept)
}

/// The executable of example `name` in cargo's JSON messages, one per line.
fn executable(messages: &str, name: &str) -> Option<PathBuf> {
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .filter(|message| message["target"]["name"] == name)
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_executable_comes_from_the_artifact_message() {
        let messages = concat!(
            r#"{"reason":"compiler-artifact","target":{"name":"barews","kind":["lib"]},"executable":null}"#,
            "\nnot json\n",
            r#"{"reason":"compiler-artifact","target":{"name":"echo_server","kind":["example"]},"executable":"/t/release/examples/echo_server"}"#,
            "\n",
            r#"{"reason":"build-finished","success":true}"#,
        );
        assert_eq!(
            executable(messages, "echo_server"),
            Some(PathBuf::from("/t/release/examples/echo_server"))
        );
        assert_eq!(executable(messages, "barews"), None);
        assert_eq!(executable(messages, "autobahn_client"), None);
    }

    #[test]
    fn each_package_keeps_its_own_copy_of_a_shared_example_name() {
        let dir = std::env::temp_dir().join(format!("barews-keep-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let shared = dir.join("autobahn_client");
        fs::write(&shared, "std's client").unwrap();
        let std_copy = keep(&shared, "barews-std").unwrap();
        fs::write(&shared, "the embedded client").unwrap();
        let embedded_copy = keep(&shared, "barews-embedded").unwrap();
        assert_eq!(std_copy, dir.join("barews-std").join("autobahn_client"));
        assert_eq!(fs::read_to_string(&std_copy).unwrap(), "std's client");
        assert_eq!(fs::read_to_string(&embedded_copy).unwrap(), "the embedded client");
        fs::remove_dir_all(&dir).unwrap();
    }
}
