//! # barews-std
//!
//! The blocking `std` adapter for [`barews`]: WebSocket clients and
//! servers over `std::net::TcpStream` (or any [`Stream`]), built only on
//! the core's public API. It adds I/O and nothing of the protocol: every
//! rule lives in the core.
//!
//! - Client: [`connect`] / [`connect_with`] (`ws://`, and `wss://` with the
//!   `tls` feature), or [`client`] over a stream you opened.
//! - Server: [`accept`] / [`accept_with`] / [`accept_with_callback`] on an
//!   accepted stream, or [`from_upgraded`] for a request an existing HTTP
//!   server already parsed (see `examples/http_hijack.rs`).
//! - [`WebSocket`]: whole [`Message`]s or streamed chunks, read timeouts
//!   that are recoverable, keepalive and close timers from the core,
//!   graceful [`close`](WebSocket::close), and [`split`](WebSocket::split)
//!   into a [`Reader`] and a [`Writer`] for two threads.
//!
//! ```no_run
//! use std::net::TcpListener;
//!
//! // An echo server, one thread per connection.
//! let listener = TcpListener::bind("127.0.0.1:9001")?;
//! for stream in listener.incoming() {
//!     std::thread::spawn(move || -> Result<(), barews_std::Error> {
//!         let mut socket = barews_std::accept(stream?)?;
//!         loop {
//!             match socket.read()? {
//!                 barews_std::Message::Text(text) => socket.send_text(&text)?,
//!                 barews_std::Message::Binary(bytes) => socket.send_binary(&bytes)?,
//!                 _ => {} // Pongs and the Close reply are sent for you.
//!             }
//!         }
//!     });
//! }
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! ## Memory per connection
//!
//! A socket holds the core's connection state (472 bytes for a server and
//! 744 for a client on x86-64, 16 more each with `deflate`; the client's
//! includes a 256-byte pool of mask keys; the `footprint` test prints and
//! bounds them; most of the rest is two 125-byte control-frame slots), a
//! read buffer ([`SocketOptions::read_buffer_size`],
//! 4 KiB by default, doubling up to
//! [`SocketOptions::max_read_buffer_size`], 128 KiB, while reads keep
//! filling it), an output buffer for queued frames (written out once it
//! holds 64 KiB; a server writes large payloads from the caller's buffer),
//! and, for [`WebSocket::read`], the message being assembled (bounded by
//! the core's `max_message_len`).
//! [`WebSocket::read_event`] assembles nothing.

pub use barews;
pub use barews::driver::End;

mod client;
mod clock;
pub mod collect;
pub mod compression;
mod error;
mod handshake_io;
mod inbox;
mod message;
pub mod opening;
mod options;
mod proxy;
mod rng;
mod server;
mod shared;
mod socket;
mod split;
mod stream;
#[cfg(feature = "tls")]
pub mod tls;
mod url;

pub use client::{MaybeTlsStream, ResponseInfo, client, connect, connect_with};
pub use error::Error;
pub use message::{CloseInfo, Message};
pub use options::{
    ClientOptions, DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MAX_READ_BUFFER, DEFAULT_READ_BUFFER,
    DEFAULT_WRITE_BUFFER, MIN_READ_BUFFER, ServerOptions, SocketOptions,
};
pub use proxy::{
    Proxy, ProxyChoice, ProxyKind, ProxyUrlError, check_tunnel_leftover, no_proxy_covers,
};
pub use rng::OsMasks;
pub use server::{
    Accepted, RequestParts, accept, accept_with, accept_with_callback, from_upgraded,
};
pub use socket::{ClientSocket, ServerSocket, WebSocket};
pub use split::{Reader, Writer};
pub use stream::{Stream, TryClone};
pub use url::{UrlError, WsUrl};
