//! Real proxy servers for the clients' proxy tests: tinyproxy (HTTP
//! `CONNECT`) and microsocks (SOCKS5), from Debian's packages, each
//! started on 127.0.0.1 for one test and stopped when dropped; and a
//! proxy that accepts and then says nothing, for the timeouts.
//!
//! The programs must be installed (`scripts/proxy-tests.sh` installs
//! them); a missing one fails the test with the package to install.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// A proxy server running for a test.
#[derive(Debug)]
pub struct ProxyServer {
    child: Child,
    port: u16,
    config: Option<PathBuf>,
}

impl ProxyServer {
    /// tinyproxy, an HTTP proxy that tunnels with `CONNECT` to any port,
    /// asking for HTTP Basic `credentials` when given.
    pub fn tinyproxy(credentials: Option<(&str, &str)>) -> io::Result<ProxyServer> {
        let port = free_port()?;
        let config = std::env::temp_dir()
            .join(format!("barews-tinyproxy-{}-{port}.conf", std::process::id()));
        let login = match credentials {
            Some((user, password)) => format!("BasicAuth {user} {password}\n"),
            None => String::new(),
        };
        let text = format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 30\nMaxClients 50\nAllow 127.0.0.1\n\
             LogLevel Critical\nDisableViaHeader Yes\n{login}"
        );
        std::fs::write(&config, text)?;
        let mut command = Command::new("tinyproxy");
        command.arg("-d").arg("-c").arg(&config);
        ProxyServer::start(command, port, Some(config), "tinyproxy")
    }

    /// microsocks, a SOCKS5 proxy, asking for the RFC 1929 user name and
    /// password `credentials` when given.
    pub fn microsocks(credentials: Option<(&str, &str)>) -> io::Result<ProxyServer> {
        let port = free_port()?;
        let mut command = Command::new("microsocks");
        command.args(["-i", "127.0.0.1", "-p", &port.to_string()]);
        if let Some((user, password)) = credentials {
            command.args(["-u", user, "-P", password]);
        }
        ProxyServer::start(command, port, None, "microsocks")
    }

    fn start(
        mut command: Command,
        port: u16,
        config: Option<PathBuf>,
        package: &str,
    ) -> io::Result<ProxyServer> {
        let child = command.stdin(Stdio::null()).stdout(Stdio::null()).spawn().map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot run {package} (apt-get install {package}): {e}"),
            )
        })?;
        let mut server = ProxyServer { child, port, config };
        server.wait_for_listener(Duration::from_secs(10))?;
        Ok(server)
    }

    /// The port it listens on, on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for ProxyServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(config) = &self.config {
            let _ = std::fs::remove_file(config);
        }
    }
}

/// A "proxy" on 127.0.0.1 that accepts connections, reads what comes and
/// never answers: a client talking to it must give up at its timeout.
/// Returns the port; the listener lives as long as the test process.
pub fn silent_proxy() -> io::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten().take(64) {
            held.push(stream);
        }
    });
    Ok(port)
}

/// A port on 127.0.0.1 with nothing listening (for an unreachable
/// destination): bound and released at once.
pub fn closed_port() -> io::Result<u16> {
    free_port()
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl ProxyServer {
    /// Waits until the server listens. A probe whose own port is the
    /// server's connected to itself, not to a listener, and does not
    /// count; a server that exited (a bad configuration) fails at once.
    fn wait_for_listener(&mut self, limit: Duration) -> io::Result<()> {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(status) = self.child.try_wait()? {
                return Err(io::Error::other(format!("the proxy server exited: {status}")));
            }
            if let Ok(stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
                if stream.local_addr().ok() != Some(addr) {
                    return Ok(());
                }
            }
            thread::sleep(Duration::from_millis(50));
        }
        Err(io::Error::new(io::ErrorKind::TimedOut, format!("no proxy listens on {addr}")))
    }
}
