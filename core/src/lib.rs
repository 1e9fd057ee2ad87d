//! # barews
//!
//! A `#![no_std]`, sans-IO implementation of the WebSocket protocol
//! (RFC 6455). The crate never touches a socket, a clock, a random number
//! generator or an allocator: the caller passes the bytes it has read, and
//! barews answers with what it parsed and with bytes to write into buffers
//! the caller owns.
//!
//! This release holds the opening handshake for both roles:
//!
//! - [`handshake::server`]: parse and validate a client's upgrade request,
//!   then write the `101 Switching Protocols` answer or an HTTP error.
//! - [`handshake::client`]: write the upgrade request and check the
//!   server's answer, including `Sec-WebSocket-Accept`.
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
//! let request = ClientRequest::new("example.com", "/chat").protocols(&offered);
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
//! let options = AcceptOptions::new().protocol(Some("chat"));
//! let answer_len = request.accept(&options, &mut answer).unwrap();
//!
//! // The client checks the answer.
//! let ResponseStatus::Complete { response, consumed } =
//!     client.receive(&answer[..answer_len]).unwrap() else { panic!("partial") };
//! assert_eq!(consumed, answer_len);
//! assert_eq!(response.protocol(), Some("chat"));
//! ```
//!
//! # Features
//!
//! - `alloc`: reserved for helpers that return owned buffers. The protocol
//!   core never needs it.
//! - `std`: reserved for conveniences tied to `std` (it implies `alloc`).
//!   Every error type implements [`core::error::Error`], which is
//!   `std::error::Error`, without it.
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(test)]
extern crate std;

pub mod close;
pub mod config;
pub mod connection;
mod error;
pub mod frame;
pub mod handshake;
pub mod time;
pub mod utf8;

pub use error::{BufferTooSmall, ProtocolError};
