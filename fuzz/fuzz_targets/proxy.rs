//! Arbitrary bytes as a proxy's answer, cut into arbitrary pieces, fed to
//! both proxy tunnels (`barews::proxy`: HTTP CONNECT and SOCKS5), each
//! with and without credentials.
//!
//! Input: a first byte `k` (taken mod 8), then `k` piece sizes (cycled; a
//! 0 counts as 1; with none, one byte at a time), then the proxy's bytes.
//!
//! Checks: no panic and an end within a bounded number of steps; `read`
//! never consumes more than it is given, and leaves bytes only when the
//! tunnel is open or a message is due; an open tunnel takes and writes
//! nothing more; failures are sticky; every message fits its buffer
//! (`SOCKS5_MAX_MESSAGE_LEN` for SOCKS5); and the messages written, the
//! bytes consumed and the outcome are the same as with the answer given
//! whole.
#![no_main]

use barews::proxy::{Destination, ProxyError, SOCKS5_MAX_MESSAGE_LEN, Tunnel};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, PartialEq)]
enum Outcome {
    /// Open after this many bytes.
    Open(usize),
    /// The bytes ran out after this many were consumed.
    Waiting(usize),
    Failed(ProxyError),
}

/// Drives `tunnel` as an adapter would: write what is due, hand over the
/// bytes not consumed yet, read the next piece only when all are.
fn drive(
    mut tunnel: Tunnel<'_>,
    limit: usize,
    bytes: &[u8],
    sizes: &[usize],
) -> (Vec<Vec<u8>>, Outcome) {
    let mut out = [0u8; 1024];
    let (mut delivered, mut consumed, mut piece) = (0, 0, 0);
    let mut buf: Vec<u8> = Vec::new();
    let mut sent = Vec::new();
    // Each step writes a message, consumes a byte or reads a piece.
    let mut steps = 0;
    let outcome = loop {
        steps += 1;
        assert!(steps <= 3 * bytes.len() + 16, "no progress");
        let n = match tunnel.write_next(&mut out[..limit]) {
            Ok(n) => n,
            Err(error) => {
                assert!(!matches!(error, ProxyError::BufferTooSmall(_)), "a message did not fit");
                assert_eq!(tunnel.write_next(&mut out), Err(error), "not sticky");
                break Outcome::Failed(error);
            }
        };
        if n > 0 {
            sent.push(out[..n].to_vec());
        }
        let progress = match tunnel.read(&buf) {
            Ok(progress) => progress,
            Err(error) => {
                assert_eq!(tunnel.read(&buf), Err(error), "not sticky");
                assert_eq!(tunnel.write_next(&mut out), Err(error), "not sticky");
                break Outcome::Failed(error);
            }
        };
        assert!(progress.consumed <= buf.len(), "consumed more than given");
        assert_eq!(progress.open, tunnel.is_open());
        consumed += progress.consumed;
        buf.drain(..progress.consumed);
        if progress.open {
            // Open: nothing more is taken or written.
            let more = tunnel.read(&bytes[delivered..]).unwrap();
            assert_eq!((more.consumed, more.open), (0, true));
            assert_eq!(tunnel.write_next(&mut out), Ok(0));
            break Outcome::Open(consumed);
        }
        if !buf.is_empty() {
            assert!(n > 0 || progress.consumed > 0, "bytes left and nothing due");
            continue;
        }
        if delivered == bytes.len() {
            if n == 0 && progress.consumed == 0 {
                break Outcome::Waiting(consumed);
            }
            continue;
        }
        let size = if sizes.is_empty() { 1 } else { sizes[piece % sizes.len()] };
        piece += 1;
        let end = delivered.saturating_add(size.max(1)).min(bytes.len());
        buf.extend_from_slice(&bytes[delivered..end]);
        delivered = end;
    };
    (sent, outcome)
}

fuzz_target!(|input: &[u8]| {
    let Some((&k, rest)) = input.split_first() else { return };
    let k = usize::from(k % 8).min(rest.len());
    let (sizes, bytes) = rest.split_at(k);
    let sizes: Vec<usize> = sizes.iter().map(|&size| usize::from(size)).collect();
    let destination = Destination::Name("example.com", 443);
    // Each with the buffer its messages must fit: 1 KiB for HTTP (its
    // requests here are short), SOCKS5_MAX_MESSAGE_LEN for SOCKS5.
    for (tunnel, limit) in [
        (Tunnel::http_connect(destination), 1024),
        (Tunnel::http_connect(destination).with_basic_auth("Aladdin", "open sesame"), 1024),
        (Tunnel::socks5(destination), SOCKS5_MAX_MESSAGE_LEN),
        (Tunnel::socks5(destination).with_password("user", "pass"), SOCKS5_MAX_MESSAGE_LEN),
    ] {
        let pieces = drive(tunnel.clone(), limit, bytes, &sizes);
        let whole = drive(tunnel, limit, bytes, &[usize::MAX]);
        assert_eq!(pieces, whole, "the pieces changed the result");
    }
});
