//! Child processes that are stopped on every exit path.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, ExitStatus};
use std::thread;
use std::time::{Duration, Instant};

/// A child process killed when dropped, so that no server outlives the
/// run, whatever way it ends.
pub(crate) struct Guard {
    name: String,
    child: Option<Child>,
}

impl Guard {
    pub(crate) fn spawn(name: &str, command: &mut Command) -> io::Result<Self> {
        let child = command
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("starting {name}: {e}")))?;
        Ok(Guard { name: name.to_owned(), child: Some(child) })
    }

    /// Waits for the child to exit, killing it after `limit`.
    pub(crate) fn wait_for(mut self, limit: Duration) -> io::Result<ExitStatus> {
        let start = Instant::now();
        let Some(child) = self.child.as_mut() else { return Err(io::Error::other("no child")) };
        loop {
            if let Some(status) = child.try_wait()? {
                self.child = None;
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
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A free loopback port (bound, then released for the child to take).
pub(crate) fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits until something accepts connections on `port`.
pub(crate) fn wait_for_port(port: u16, limit: Duration) -> io::Result<()> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let start = Instant::now();
    while start.elapsed() < limit {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        thread::sleep(Duration::from_millis(100));
    }
    Err(io::Error::new(io::ErrorKind::TimedOut, format!("nothing listens on port {port}")))
}
