//! # barews-embedded
//!
//! The embedded adapter for [`barews`]: WebSocket clients and servers over
//! any [`embedded-io`](embedded_io) byte stream (blocking) or
//! [`embedded-io-async`](embedded_io_async) stream (async, feature
//! `async`), on `#![no_std]` without an allocator.
//!
//! Everything the adapter needs comes from the caller:
//!
//! - **buffers**: a receive buffer and a send buffer, slices you size (at
//!   least [`MIN_BUFFER`] bytes each; see "Sizing the buffers" below);
//! - **randomness**: the 16-byte handshake nonce, and a mask-key source
//!   for a client ([`MaskKeys`], which any `FnMut() -> [u8; 4]` is);
//! - **time**: a [`Clock`] (any `FnMut() -> Instant`) when keepalive or
//!   the close timeout should run; [`NoClock`] otherwise, which leaves the
//!   timer code out of the binary.
//!
//! The adapter adds I/O and nothing of the protocol: the core checks every
//! frame and every handshake, answers Pings and Closes, and keeps time.
//!
//! ```
//! use barews_embedded::{CloseCode, DataKind, Event, Acceptor};
//! # struct Script<'a> { input: &'a [u8], output: Vec<u8> }
//! # impl embedded_io::ErrorType for Script<'_> { type Error = core::convert::Infallible; }
//! # impl embedded_io::Read for Script<'_> {
//! #     fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
//! #         let n = buf.len().min(self.input.len());
//! #         buf[..n].copy_from_slice(&self.input[..n]);
//! #         self.input = &self.input[n..];
//! #         Ok(n)
//! #     }
//! # }
//! # impl embedded_io::Write for Script<'_> {
//! #     fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> { self.output.extend_from_slice(buf); Ok(buf.len()) }
//! #     fn flush(&mut self) -> Result<(), Self::Error> { Ok(()) }
//! # }
//! # let mut peer = b"GET / HTTP/1.1\r\nHost: device.local\r\nUpgrade: websocket\r\n\
//! #     Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
//! #     Sec-WebSocket-Version: 13\r\n\r\n".to_vec();
//! # peer.extend([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
//! # peer.extend([0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xe8 ^ 2]);
//! # let socket = Script { input: &peer, output: Vec::new() };
//! // An echo server on one accepted TCP socket (any embedded_io::Read + Write).
//! let mut rx = [0u8; 1024]; // holds the request head, then frames as they arrive
//! let mut tx = [0u8; 512]; // holds the 101, then frames to send
//! let mut ws = Acceptor::new().accept(socket, &mut rx, &mut tx)?;
//! let mut kind = DataKind::Binary;
//! let mut echo = [0u8; 128];
//! let mut len = 0;
//! loop {
//!     match ws.read() {
//!         Ok(Event::Data { kind: k, payload, first, last }) => {
//!             // Chunks borrow `rx`; collect the message (up to 128 bytes here).
//!             if first { kind = k; len = 0; }
//!             let take = payload.len().min(echo.len() - len);
//!             echo[len..len + take].copy_from_slice(&payload[..take]);
//!             len += take;
//!             if last { ws.send(kind, &echo[..len], true)?; }
//!         }
//!         Ok(Event::Close(frame)) => assert_eq!(frame.code, Some(CloseCode::NORMAL)),
//!         Ok(_) => {} // Pongs and the Close reply are sent for you.
//!         Err(barews_embedded::Error::Ended(barews_embedded::End::Closed)) => break, // the closing handshake is done
//!         Err(error) => return Err(error),
//!     }
//! }
//! # Ok::<(), barews_embedded::Error<core::convert::Infallible>>(())
//! ```
//!
//! # Sizing the buffers
//!
//! - **Receive buffer**: at least [`MIN_BUFFER`] (131) bytes, because the
//!   core hands out control frames whole (125 bytes of payload and up to 6
//!   of header). Data messages stream through it in chunks, so it does not
//!   bound the message size ([`Config::max_message_len`] does). During the
//!   handshake it must hold the whole HTTP head of the peer: a `101` answer
//!   is about 130 bytes; a browser's request is 400-600 bytes, more with
//!   cookies. A head larger than the buffer fails (a server answers 431).
//!   A larger buffer also means fewer, larger chunks.
//! - **Send buffer**: at least [`MIN_BUFFER`] bytes, so that any control
//!   frame the protocol owes fits. A client's request is written from it
//!   (about 150 bytes plus host, path, subprotocols and extra headers) and
//!   a server's `101` (about 130 bytes plus subprotocol and headers).
//!   Messages pass through it in pieces, so it does not bound their size
//!   either; each piece is one `write` to the transport. Pieces of a
//!   message sent with [`WebSocket::send`] may be larger than it too
//!   (text included: the core checks a text piece's UTF-8 whole before
//!   any of it is written), so a chunk from a 1024-byte receive buffer
//!   can be echoed through a 512-byte send buffer.
//!
//! The sockets hold no other buffers: a [`WebSocket`] is the transport,
//! the core's connection state (three 125-byte control-frame slots, the
//! configuration, timers and progress) and four cursors; with the
//! `deflate` feature, also the inflater's state (about 10 KiB) and a
//! handle on the memory lent for permessage-deflate.
//!
//! # Features
//!
//! - `async` (default): [`asynch::WebSocket`], [`Connector::connect_async`],
//!   [`Acceptor::accept_async`], over `embedded-io-async`. Without it the
//!   crate does not depend on `embedded-io-async`. Either way, only the
//!   functions a program calls end up in its binary.
//! - `detailed-errors` (default): errors described on the wire (the
//!   core's feature of the same name).
//! - `deflate`: permessage-deflate (RFC 7692) with windows as small as
//!   the memory you lend, no allocator: `Connector::with_deflate`,
//!   `Acceptor::with_deflate` and the `deflate` module. It puts the
//!   inflater's state (about 10 KiB) in every socket, so leave it off
//!   unless a connection compresses.
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(test)]
extern crate std;

pub use barews;
pub use embedded_io;
#[cfg(feature = "async")]
pub use embedded_io_async;

#[cfg(feature = "async")]
pub mod asynch;
mod blocking;
#[cfg(feature = "deflate")]
pub mod deflate;
mod error;
mod io;
mod open;
mod socket;

pub use barews::close::CloseCode;
pub use barews::config::Config;
pub use barews::connection::{DataKind, Event, MaskKeys, State};
pub use barews::driver::End;
pub use barews::handshake::client::ClientRequest;
pub use barews::handshake::server::{AcceptOptions, Request, ServerConfig};
pub use barews::time::{Clock, Instant, NoClock};
pub use blocking::{ClientSocket, ServerSocket, WebSocket};
pub use error::Error;
pub use open::{Acceptor, Connector, DeflateSetting, NoDeflate};
pub use socket::{Async, Blocking, Socket};

/// The smallest receive and send buffers a socket accepts: a whole control
/// frame (125 bytes of payload and a header of up to 6 bytes) must fit in
/// each.
pub const MIN_BUFFER: usize = barews::driver::MIN_BUFFER;

#[cfg(test)]
mod tests;
