//! Reading an HTTP head from a stream within a deadline.

use crate::error::{Error, is_timeout};
use crate::stream::Stream;
use std::io;
use std::time::Instant;

/// Reads more bytes of a head into `head`, waiting until `deadline` at
/// most: a peer that sends nothing, or one byte a minute, is dropped when
/// the deadline passes.
pub(crate) fn read_more<T: Stream>(
    stream: &mut T,
    head: &mut Vec<u8>,
    deadline: Instant,
) -> Result<(), Error> {
    let mut chunk = [0u8; 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Error::HandshakeTimeout);
        }
        stream.set_read_timeout(Some(left))?;
        match stream.read(&mut chunk) {
            Ok(0) => {
                return Err(Error::Io(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "connection closed during the opening handshake",
                )));
            }
            Ok(n) => {
                head.extend_from_slice(&chunk[..n]);
                return Ok(());
            }
            Err(e) if is_timeout(&e) => return Err(Error::HandshakeTimeout),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::Io(e)),
        }
    }
}
