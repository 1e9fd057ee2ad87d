//! The flows against each other on the host, over a Unix socket pair:
//! the client's script, every echo and the closing handshake, in both
//! I/O flavours, before any of it runs on the emulated board.

extern crate std;

use super::flows::{self, Failure};
use crate::{RX_LEN, Rng, SEED, TX_LEN};
use barews_embedded::Instant;
use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, Waker};
use std::io::{Read as _, Write as _};
use std::os::unix::net::UnixStream;
use std::string::{String, ToString};
use std::thread;

/// A blocking socket as an `embedded-io` transport, and as an async one
/// whose calls are ready at once (they block the thread instead).
struct Pipe(UnixStream);

impl embedded_io::ErrorType for Pipe {
    type Error = std::io::Error;
}

impl embedded_io::Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

impl embedded_io::Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl embedded_io_async::Read for Pipe {
    async fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

impl embedded_io_async::Write for Pipe {
    async fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs a future whose awaits never pend (the `Pipe`'s) to its end.
fn run<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1_000_000 {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
    panic!("the future kept pending");
}

fn clock() -> Instant {
    Instant::ZERO
}

fn quiet(_: core::fmt::Arguments<'_>) {}

/// Serves one connection on `stream` in a thread, with either flow.
fn serve(stream: UnixStream, asynchronous: bool) -> thread::JoinHandle<Result<u32, String>> {
    thread::spawn(move || {
        let (mut rx, mut tx) = ([0u8; RX_LEN], [0u8; TX_LEN]);
        let io = Pipe(stream);
        let served = if asynchronous {
            run(flows::server_async(io, clock, &mut rx, &mut tx, &mut quiet))
        } else {
            flows::server(io, clock, &mut rx, &mut tx, &mut quiet)
        };
        served.map_err(|failure| failure.to_string())
    })
}

fn client(stream: UnixStream, asynchronous: bool) -> Result<(), Failure<std::io::Error>> {
    let (mut rx, mut tx) = ([0u8; RX_LEN], [0u8; TX_LEN]);
    let mut rng = Rng::new(SEED);
    let nonce = rng.nonce();
    let io = Pipe(stream);
    let mut steps = std::vec::Vec::new();
    let mut log = |line: core::fmt::Arguments<'_>| steps.push(std::format!("{line}"));
    if asynchronous {
        run(flows::client_async(io, rng, clock, nonce, &mut rx, &mut tx, &mut log))
    } else {
        flows::client(io, rng, clock, nonce, &mut rx, &mut tx, &mut log)
    }?;
    assert_eq!(steps.first().map(String::as_str), Some("connected"));
    assert_eq!(steps.last().map(String::as_str), Some("closed with 1000"));
    Ok(())
}

#[test]
fn the_client_script_passes_against_the_echo_server_in_every_flavour() {
    for (client_async, server_async) in [(false, false), (true, false), (false, true), (true, true)]
    {
        let (near, far) = UnixStream::pair().unwrap();
        let server = serve(far, server_async);
        client(near, client_async).unwrap();
        // Five texts, the binary message.
        assert_eq!(server.join().unwrap(), Ok(6), "client async {client_async}");
    }
}

/// A peer that echoes a changed byte is caught, at that byte.
#[test]
fn a_changed_echo_fails_the_client() {
    let (near, far) = UnixStream::pair().unwrap();
    let peer = thread::spawn(move || {
        let (mut rx, mut tx) = ([0u8; RX_LEN], [0u8; TX_LEN]);
        let mut ws = barews_embedded::Acceptor::new().accept(Pipe(far), &mut rx, &mut tx)?;
        // Answer the first text (empty) as the client expects, then send
        // the 1-byte text back as another byte.
        ws.send_text("")?;
        ws.send_text("b")?;
        loop {
            ws.read()?;
        }
    });
    let failure = client(near, false).unwrap_err();
    assert!(
        matches!(
            failure,
            Failure::Echo { len: 1, mismatch: super::script::Mismatch::Byte { offset: 0, .. } }
        ),
        "{failure}"
    );
    drop(failure);
    let _: Result<(), barews_embedded::Error<std::io::Error>> = peer.join().unwrap();
}
