//! # barews
//!
//! A `#![no_std]`, sans-IO implementation of the WebSocket protocol
//! (RFC 6455). The crate never touches a socket, a clock or a random
//! number generator, and without the `alloc` feature never allocates: the
//! caller passes the bytes it has read, and barews answers with what it
//! parsed and with bytes to write into buffers the caller owns. (With
//! `alloc`, the driver's buffers may be growable `Vec`s, and
//! permessage-deflate's decompressor state is boxed while in use.)
//!
//! The crate has four layers:
//!
//! - [`handshake`]: the opening handshake. [`handshake::server`] parses and
//!   validates a client's upgrade request, then writes the
//!   `101 Switching Protocols` answer or an HTTP error;
//!   [`handshake::client`] writes the request and checks the answer,
//!   including `Sec-WebSocket-Accept`; [`handshake::h2`] does both over
//!   HTTP/2 (RFC 8441, extended CONNECT) as checks of header fields.
//! - [`frame`], [`utf8`], [`close`]: the codec's building blocks.
//! - [`connection`]: the state machine after the handshake, one per side.
//!   It unmasks payloads in the caller's buffer, hands out events that
//!   borrow it, enforces every rule of RFC 6455 and every configured limit,
//!   and queues the frames the protocol owes (Pong, Close).
//! - [`driver`]: the connection with its receive and send buffers, the
//!   layer every adapter sits on. It says what the transport must do next
//!   (read, write, wait, end it), hands out events by position, and sends
//!   every message through one writer.
//!
//! [`assemble`] turns streamed chunks into whole messages for callers that
//! want them. [`proxy`] opens a tunnel through an HTTP `CONNECT` or SOCKS5
//! proxy before the handshake, for clients that must cross one.
//!
//! # A complete handshake in memory
//!
//! ```
//! use barews::handshake::client::{ClientHandshake, ClientRequest, ResponseStatus};
//! use barews::handshake::server::{AcceptOptions, RequestStatus, ServerConfig, ServerHandshake};
//!
//! // The client writes its request. The nonce must come from a good
//! // random source; the core has none of its own.
//! let offered = ["chat"];
//! let request = ClientRequest::new("example.com", "/chat").with_protocols(&offered);
//! let mut client = ClientHandshake::new(request, [7; 16]).unwrap();
//! let mut wire = [0u8; 512];
//! let len = client.write_request(&mut wire).unwrap();
//!
//! // The server parses it, here one byte at a time.
//! let mut server = ServerHandshake::new(ServerConfig::new());
//! let mut status = RequestStatus::Partial;
//! for end in 1..=len {
//!     status = server.receive(&wire[..end]).unwrap();
//! }
//! let RequestStatus::Complete { request, consumed } = status else { panic!("partial") };
//! assert_eq!(consumed, len);
//! assert_eq!(request.path(), "/chat");
//!
//! // The server accepts, choosing the subprotocol, and writes the 101.
//! let mut answer = [0u8; 256];
//! let options = AcceptOptions::new().with_protocol(Some("chat"));
//! let answer_len = request.accept(&options, &mut answer).unwrap();
//!
//! // The client checks the answer.
//! let ResponseStatus::Complete { response, consumed } =
//!     client.receive(&answer[..answer_len]).unwrap() else { panic!("partial") };
//! assert_eq!(consumed, answer_len);
//! assert_eq!(response.protocol(), Some("chat"));
//! ```
//!
//! # Driving a connection
//!
//! One rule: **after any input or command, drain
//! [`poll_transmit`](connection::Connection::poll_transmit) until it writes
//! nothing; then wait for I/O or for the
//! [`poll_timeout`](connection::Connection::poll_timeout) deadline**, and
//! call [`handle_timeout`](connection::Connection::handle_timeout) when it
//! passes. A `receive` call consumes some bytes and reports at most one
//! event; keep the bytes it did not consume and call again until it makes
//! no progress. Here a server echoes every message, over an in-memory
//! "socket":
//!
//! ```
//! use barews::config::Config;
//! use barews::connection::{Connection, Event};
//! use barews::time::Instant;
//!
//! // What a client sent: a masked "Hello" and a masked Close 1000.
//! let mut socket_in: Vec<u8> = vec![0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
//! socket_in.extend([0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xe8 ^ 2]);
//! let mut socket_out = Vec::new();
//!
//! let mut conn = Connection::server(Config::new());
//! let mut buf = [0u8; 4096]; // any size of at least 131 bytes
//! let mut filled = 0;
//! let mut out = [0u8; 4096];
//! while !conn.is_closed() {
//!     // Wait for I/O or the deadline; here the "socket" has it all.
//!     if conn.poll_timeout().is_some() {
//!         conn.handle_timeout(Instant::from_millis(0)); // your monotonic clock
//!     }
//!     let n = socket_in.len().min(buf.len() - filled);
//!     buf[filled..filled + n].copy_from_slice(&socket_in.drain(..n).collect::<Vec<_>>());
//!     filled += n;
//!     loop {
//!         let received = conn.receive(&mut buf[..filled]).expect("a valid stream");
//!         let consumed = received.consumed;
//!         let mut reply = 0;
//!         if let Some(Event::Data { kind, payload, last, .. }) = received.event {
//!             // Echo each chunk as a fragment of the same message.
//!             reply = conn.send_fragment(kind, payload, last, &mut out).unwrap();
//!         }
//!         socket_out.extend_from_slice(&out[..reply]);
//!         // The rule: drain what the protocol owes after every call.
//!         loop {
//!             let owed = conn.poll_transmit(&mut out).unwrap();
//!             if owed == 0 { break }
//!             socket_out.extend_from_slice(&out[..owed]);
//!         }
//!         buf.copy_within(consumed..filled, 0);
//!         filled -= consumed;
//!         if consumed == 0 { break } // need more bytes
//!     }
//! }
//! // The echo, then the Close reply.
//! assert_eq!(socket_out, [0x81, 0x05, b'H', b'e', b'l', b'l', b'o', 0x88, 0x02, 0x03, 0xe8]);
//! ```
//!
//! # Features
//!
//! None is on by default.
//!
//! - `alloc`: growable `Vec<u8>` storage for the [`driver`]'s buffers
//!   ([`driver::Buffer`]). The protocol itself never needs it.
//! - `std`: implies `alloc` and `detailed-errors`. Every error type
//!   implements [`core::error::Error`], which is `std::error::Error`,
//!   without it.
//! - `detailed-errors`: errors described on the wire: the Close sent for a
//!   protocol error carries the error's description as its reason, and a
//!   server's HTTP error answers carry a reason phrase and a plain-text
//!   body. Without it the Close carries its code alone and the answers are
//!   bodiless, written without `core::fmt` (about 4 KiB less code on a
//!   microcontroller).
//! - `deflate`: permessage-deflate (RFC 7692), in the `deflate` module;
//!   its compressor works in memory the caller lends and needs no
//!   allocator.
//! - `simdutf8`: SIMD validation of received text, same verdicts.
//! - `compact-sha1`: a smaller, slower SHA-1 for `Sec-WebSocket-Accept`.
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(any(feature = "alloc", test))]
extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod assemble;
pub mod close;
pub mod config;
pub mod connection;
#[cfg(feature = "deflate")]
pub mod deflate;
pub mod driver;
mod error;
pub mod frame;
pub mod handshake;
pub mod proxy;
pub mod time;
pub mod utf8;

pub use error::{BufferTooSmall, ProtocolError};
