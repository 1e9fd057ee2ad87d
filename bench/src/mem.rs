//! In-memory streams standing in for a socket, blocking (`Read + Write`,
//! and barews-std's [`Stream`]) and async (tokio's `AsyncRead +
//! AsyncWrite`), so every library reads and writes through the same kind
//! of transport.
//!
//! Reads copy from a fixed byte string, the way a socket read copies from
//! the kernel; [`Rewind`] moves back to its start between benchmark
//! iterations. Writes are copied into a fixed 64 KiB scratch area and
//! dropped, the way a socket write copies into the kernel, without growing
//! memory or allocating.

use barews_std::Stream;
use std::cell::Cell;
use std::io::{self, IoSlice, Read, Write};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Where writes are copied: a fixed scratch area, overwritten round robin.
struct Sink {
    scratch: Box<[u8]>,
    written: Rc<Cell<u64>>,
}

impl Sink {
    const SIZE: usize = 64 * 1024;

    fn new(written: Rc<Cell<u64>>) -> Self {
        Sink { scratch: vec![0u8; Self::SIZE].into_boxed_slice(), written }
    }

    fn take(&mut self, mut bytes: &[u8]) -> usize {
        let total = bytes.len();
        while !bytes.is_empty() {
            let n = bytes.len().min(Self::SIZE);
            self.scratch[..n].copy_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
        }
        std::hint::black_box(&self.scratch);
        self.written.set(self.written.get() + total as u64);
        total
    }
}

/// A stream that reads a fixed byte string and swallows what is written.
pub struct MemStream {
    input: Rc<[u8]>,
    pos: Rc<Cell<usize>>,
    sink: Sink,
}

/// A handle on a [`MemStream`]'s position, kept outside the library that
/// owns the stream: rewinds it and tells how much was read and written.
#[derive(Clone)]
pub struct Rewind {
    pos: Rc<Cell<usize>>,
    written: Rc<Cell<u64>>,
    len: usize,
}

impl MemStream {
    /// A stream whose reads return `input`, then end of stream.
    pub fn new(input: impl Into<Rc<[u8]>>) -> (Self, Rewind) {
        let input = input.into();
        let pos = Rc::new(Cell::new(0));
        let written = Rc::new(Cell::new(0));
        let rewind =
            Rewind { pos: Rc::clone(&pos), written: Rc::clone(&written), len: input.len() };
        (MemStream { input, pos, sink: Sink::new(written) }, rewind)
    }

    fn read_into(&mut self, buf: &mut [u8]) -> usize {
        let pos = self.pos.get();
        let n = buf.len().min(self.input.len() - pos);
        buf[..n].copy_from_slice(&self.input[pos..pos + n]);
        self.pos.set(pos + n);
        n
    }
}

impl Rewind {
    /// Starts reading the input from its beginning again.
    pub fn rewind(&self) {
        self.pos.set(0);
    }

    /// Whether all of the input has been read.
    pub fn at_end(&self) -> bool {
        self.pos.get() == self.len
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written.get()
    }
}

impl Read for MemStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.read_into(buf))
    }
}

impl Write for MemStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(self.sink.take(buf))
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        Ok(bufs.iter().map(|buf| self.sink.take(buf)).sum())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Stream for MemStream {
    fn set_read_timeout(&self, _timeout: Option<Duration>) -> io::Result<()> {
        Ok(())
    }

    fn set_write_timeout(&self, _timeout: Option<Duration>) -> io::Result<()> {
        Ok(())
    }

    fn shutdown(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl AsyncRead for MemStream {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let pos = this.pos.get();
        let n = buf.remaining().min(this.input.len() - pos);
        buf.put_slice(&this.input[pos..pos + n]);
        this.pos.set(pos + n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for MemStream {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(self.get_mut().sink.take(buf)))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        Poll::Ready(Ok(bufs.iter().map(|buf| this.sink.take(buf)).sum()))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// A current-thread tokio runtime for driving async libraries in memory.
///
/// # Panics
///
/// If tokio cannot build it.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().build().expect("a current-thread runtime")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_then_rewinds() {
        let (mut stream, rewind) = MemStream::new(b"abcdef".to_vec());
        let mut buf = [0u8; 4];
        assert_eq!(stream.read(&mut buf).unwrap(), 4);
        assert_eq!(stream.read(&mut buf).unwrap(), 2);
        assert!(rewind.at_end());
        assert_eq!(stream.read(&mut buf).unwrap(), 0);
        rewind.rewind();
        assert_eq!(stream.read(&mut buf).unwrap(), 4);
        assert_eq!(&buf, b"abcd");
        stream.write_all(&vec![7u8; 100_000]).unwrap();
        assert_eq!(rewind.written(), 100_000);
    }
}
