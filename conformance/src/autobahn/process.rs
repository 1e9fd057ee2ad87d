//! Child processes that are stopped on every exit path, and short commands
//! run with a time limit.

use std::io::{self, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// How long `docker rm -f` may take when a container is cleaned up.
const REMOVE_LIMIT: Duration = Duration::from_secs(60);

/// A `sh -c` script that runs `"$0" "$@"` and stops it when its standard
/// input ends. The runner holds the other end of that pipe, so however
/// the runner ends, even killed outright with no chance to clean up, the
/// program goes too (in a container, `docker run --interactive` closes
/// the container's input when its client goes). Ends with the program's
/// exit status. (An asynchronous command's input is `/dev/null` in a
/// non-interactive shell, hence the copy on descriptor 3.)
pub(crate) const LIFELINE: &str = r#"exec 3<&0
"$0" "$@" 3<&- &
program=$!
{ while read -r _ <&3; do :; done; kill "$program" 2>/dev/null; } &
watcher=$!
wait "$program"
status=$?
kill "$watcher" 2>/dev/null
exit "$status""#;

/// A child process killed when dropped, so that no server outlives the
/// run, whatever way it ends. When the child is a `docker run`, killing
/// the client would leave the container running, so the guard also
/// removes the container by name.
pub(crate) struct Guard {
    name: String,
    child: Option<Child>,
    container: Option<String>,
}

impl Guard {
    pub(crate) fn spawn(name: &str, command: &mut Command) -> io::Result<Self> {
        let child = command
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("starting {name}: {e}")))?;
        Ok(Guard { name: name.to_owned(), child: Some(child), container: None })
    }

    /// Like [`Guard::spawn`] for a `docker run --name container ...`
    /// command: the container is removed on drop too.
    pub(crate) fn spawn_container(
        name: &str,
        container: &str,
        command: &mut Command,
    ) -> io::Result<Self> {
        let mut guard = Guard::spawn(name, command)?;
        guard.container = Some(container.to_owned());
        Ok(guard)
    }

    /// Reads the child's standard output (spawned piped) until a line
    /// names the `ws://` address it listens on, and returns that port;
    /// the rest of the output is drained in a thread. A program that
    /// binds port 0 and says where it landed cannot collide with another
    /// run's ports, as a port picked beforehand can.
    pub(crate) fn listening_port(&mut self, limit: Duration) -> io::Result<u16> {
        let stdout =
            self.child.as_mut().and_then(|child| child.stdout.take()).ok_or_else(|| {
                io::Error::other(format!("{}: no standard output to read", self.name))
            })?;
        let (sender, receiver) = std::sync::mpsc::channel();
        thread::spawn(move || {
            let mut lines = io::BufRead::lines(io::BufReader::new(stdout));
            for line in lines.by_ref().map_while(Result::ok) {
                if let Some(port) = port_of_listening_line(&line) {
                    let _ = sender.send(port);
                    break;
                }
            }
            // Keep the pipe from filling up.
            lines.for_each(drop);
        });
        receiver.recv_timeout(limit).map_err(|_| {
            io::Error::new(
                io::ErrorKind::TimedOut,
                format!("{} said no `ws://` address it listens on", self.name),
            )
        })
    }

    /// The child's exit status if it has exited already.
    pub(crate) fn exited(&mut self) -> Option<ExitStatus> {
        self.child.as_mut().and_then(|child| child.try_wait().ok().flatten())
    }

    /// Waits for the child to exit, killing it (and removing its
    /// container) after `limit`.
    pub(crate) fn wait_for(mut self, limit: Duration) -> io::Result<ExitStatus> {
        let start = Instant::now();
        let Some(child) = self.child.as_mut() else { return Err(io::Error::other("no child")) };
        loop {
            if let Some(status) = child.try_wait()? {
                self.child = None;
                // `docker run --rm` returns once the container is gone.
                if status.success() {
                    self.container = None;
                }
                return Ok(status);
            }
            if start.elapsed() > limit {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("{} still running after {} s; stopped", self.name, limit.as_secs()),
                ));
            }
            thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Ends a lifeline's input first (see LIFELINE).
            drop(child.stdin.take());
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(container) = self.container.take() {
            // Fails harmlessly when `--rm` already removed it.
            let _ = output_within(
                Command::new("docker").args(["rm", "--force", &container]),
                REMOVE_LIMIT,
            );
        }
    }
}

/// Runs `command` to completion with its output captured, killing it
/// after `limit`. Meant for short commands without children of their own
/// (`docker info`, `docker pull`, `cargo metadata`): the output pipes close
/// when the command dies.
pub(crate) fn output_within(command: &mut Command, limit: Duration) -> io::Result<Output> {
    let mut child =
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no answer within {} s", limit.as_secs()),
            ));
        }
        thread::sleep(Duration::from_millis(20));
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    Ok(Output { status, stdout, stderr })
}

/// Reads a child's pipe to its end on a thread of its own.
fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}

/// The last non-empty line a failed command wrote to stderr, for an
/// error message.
pub(crate) fn last_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.lines().rev().map(str::trim).find(|line| !line.is_empty()).unwrap_or("").to_owned()
}

/// A free loopback port (bound, then released for the child to take).
/// The port of a line such as `echo server listening on ws://127.0.0.1:PORT`.
fn port_of_listening_line(line: &str) -> Option<u16> {
    let address = line.split("ws://").nth(1)?;
    let port = address.rsplit_once(':')?.1;
    port.trim_end_matches(|c: char| !c.is_ascii_digit()).parse().ok()
}

pub(crate) fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits until something accepts connections on `port`.
pub(crate) fn wait_for_port(port: u16, limit: Duration) -> io::Result<()> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Ok(stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            // A probe whose ephemeral port happens to be `port` connects to
            // itself (TCP simultaneous open) while nothing listens, and
            // then holds the port the server is about to bind.
            if stream.local_addr().ok() != Some(addr) {
                return Ok(());
            }
        }
        thread::sleep(Duration::from_millis(100));
    }
    Err(io::Error::new(io::ErrorKind::TimedOut, format!("nothing listens on port {port}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_captured_and_a_slow_command_is_stopped() {
        let mut command = Command::new("sh");
        command.args(["-c", "echo out; echo err >&2"]);
        let output = output_within(&mut command, Duration::from_secs(10)).unwrap();
        assert!(output.status.success());
        assert_eq!(output.stdout, b"out\n");
        assert_eq!(last_line(&output.stderr), "err");

        let start = Instant::now();
        let error =
            output_within(Command::new("sleep").arg("30"), Duration::from_millis(300)).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn a_lifeline_passes_the_status_on_and_stops_the_program_when_its_input_ends() {
        let mut command = Command::new("sh");
        command.args(["-c", LIFELINE, "sh", "-c", "exit 3"]).stdin(Stdio::piped());
        let status = Guard::spawn("exit 3", &mut command)
            .unwrap()
            .wait_for(Duration::from_secs(10))
            .unwrap();
        assert_eq!(status.code(), Some(3));

        let mut command = Command::new("sh");
        command.args(["-c", LIFELINE, "sleep", "30"]).stdin(Stdio::piped());
        let mut guard = Guard::spawn("sleep", &mut command).unwrap();
        let start = Instant::now();
        drop(guard.child.as_mut().and_then(|child| child.stdin.take()));
        let status = guard.wait_for(Duration::from_secs(10)).unwrap();
        // Stopped by the watcher's SIGTERM: sh reports 128 + 15.
        assert_eq!(status.code(), Some(143));
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn the_port_comes_from_the_listening_line() {
        assert_eq!(
            port_of_listening_line("echo server listening on ws://127.0.0.1:40123"),
            Some(40123)
        );
        assert_eq!(port_of_listening_line("listening on ws://[::1]:9001/"), Some(9001));
        assert_eq!(port_of_listening_line("starting"), None);
    }
}
