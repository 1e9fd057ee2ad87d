//! What the two Autobahn examples share: a std `TcpStream` seen as an
//! `embedded-io` transport (blocking, and async whose calls block, for a
//! one-thread executor), the firmware-sized buffer defaults, and the echo
//! loop, written once for both sockets.

use barews_embedded::{End, Error, State};
use std::io;
use std::net::{Shutdown, TcpStream};

/// The receive buffer's default size: what a small device would give it.
pub(crate) const DEFAULT_RX: usize = 1024;
/// The send buffer's default size.
pub(crate) const DEFAULT_TX: usize = 512;

/// A `TcpStream` as an `embedded-io` transport. Its async methods block
/// the thread, which suits the one-thread executor (`block_on`) each
/// connection runs on.
pub(crate) struct Tcp(pub(crate) TcpStream);

impl Tcp {
    /// Ends the TCP connection in both directions, as barews-std does when
    /// the driver says the transport is done. It may already be gone.
    pub(crate) fn shut(self) {
        let _ = self.0.shutdown(Shutdown::Both);
    }
}

impl embedded_io::ErrorType for Tcp {
    type Error = io::Error;
}

impl embedded_io::Read for Tcp {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        io::Read::read(&mut self.0, buf)
    }
}

impl embedded_io::Write for Tcp {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        io::Write::write(&mut self.0, buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        io::Write::flush(&mut self.0)
    }
}

#[cfg(feature = "async")]
impl embedded_io_async::Read for Tcp {
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        io::Read::read(&mut self.0, buf)
    }
}

#[cfg(feature = "async")]
impl embedded_io_async::Write for Tcp {
    async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        io::Write::write(&mut self.0, buf)
    }

    async fn flush(&mut self) -> io::Result<()> {
        io::Write::flush(&mut self.0)
    }
}

/// Echoes what the socket `$ws` reads until the connection ends, and
/// evaluates to the error that ended it: each data chunk is copied to
/// `$scratch` (at least as large as the receive buffer) and sent back at
/// once as a piece of the same message, the last chunk ending it, so no
/// message is ever assembled. Everything else (Pings, Pongs, the Close)
/// the socket answers itself. `echo!(ws, scratch)` for a blocking socket,
/// `echo!(ws, scratch, await)` for an async one.
macro_rules! echo {
    ($ws:expr, $scratch:expr $(, $aw:tt)?) => {
        loop {
            let echoed = match $ws.read() $(.$aw)? {
                Ok(barews_embedded::Event::Data { kind, payload, last, .. }) => {
                    let chunk = &mut $scratch[..payload.len()];
                    chunk.copy_from_slice(payload);
                    $ws.send(kind, chunk, last) $(.$aw)?
                }
                Ok(_) => Ok(()),
                Err(error) => Err(error),
            };
            if let Err(error) = echoed {
                break error;
            }
        }
    };
}

pub(crate) use echo;

/// How a connection ended: the error that ended it, and where the
/// closing handshake stood then.
pub(crate) struct Ending {
    /// What ended it.
    pub(crate) error: Error<io::Error>,
    /// The connection's state at the end ([`State::Open`] when the
    /// opening handshake failed).
    pub(crate) state: State,
}

impl Ending {
    /// An end before the WebSocket was open, or without a socket.
    pub(crate) fn early(error: Error<io::Error>) -> Self {
        Ending { error, state: State::Open }
    }

    /// Whether this is an ordinary end of an Autobahn connection: the
    /// closing handshake done; the peer breaking the protocol on purpose
    /// (a Close with the matching code was sent); the peer dropping the
    /// connection (as the runner's port probe does, and some cases); or
    /// any failure of the transport once both Closes were exchanged (the
    /// testsuite's server resets the TCP connection after the closing
    /// handshake it started, instead of closing it).
    pub(crate) fn is_ordinary(&self) -> bool {
        match &self.error {
            Error::Ended(End::Closed | End::Protocol(_) | End::AbnormalClosure) => true,
            Error::Io(_) if self.state == State::Closed => true,
            Error::Io(e) => e.kind() == io::ErrorKind::UnexpectedEof,
            _ => false,
        }
    }
}

/// Reads `--rx N` and `--tx N` (and `--async`) from the arguments after
/// the positional ones.
pub(crate) struct Flags {
    /// `--async`: the async socket.
    pub(crate) asynchronous: bool,
    /// The receive buffer's size.
    pub(crate) rx: usize,
    /// The send buffer's size.
    pub(crate) tx: usize,
}

impl Flags {
    /// Parses the flags, or says what is wrong with them.
    pub(crate) fn parse(mut args: impl Iterator<Item = String>) -> Result<Flags, String> {
        let mut flags = Flags { asynchronous: false, rx: DEFAULT_RX, tx: DEFAULT_TX };
        while let Some(flag) = args.next() {
            let mut size = || {
                args.next()
                    .and_then(|n| n.parse::<usize>().ok())
                    .ok_or_else(|| format!("{flag} takes a size in bytes"))
            };
            match flag.as_str() {
                "--async" => flags.asynchronous = true,
                "--rx" => flags.rx = size()?,
                "--tx" => flags.tx = size()?,
                _ => return Err(format!("unknown argument {flag}")),
            }
        }
        if cfg!(not(feature = "async")) && flags.asynchronous {
            return Err("--async needs the `async` feature".to_owned());
        }
        Ok(flags)
    }
}
