//! # barews-tokio
//!
//! The tokio adapter for [`barews`]: WebSocket clients and servers over
//! tokio's `TcpStream` or any `AsyncRead + AsyncWrite` stream. It adds
//! async I/O and nothing of the protocol: every rule lives in the core,
//! driven by its [`driver`](barews::driver), and the options, messages,
//! errors and opening handshakes are barews-std's (re-exported here), so
//! the blocking and the async adapter speak one vocabulary.
//!
//! - Client: [`connect`] / [`connect_with`] (`ws://`, and `wss://` with
//!   the `tls` feature), or [`client`] over a stream you opened (a tunnel,
//!   your own TLS).
//! - Server: [`accept`] / [`accept_with`] / [`accept_with_callback`] on an
//!   accepted stream, [`from_upgraded`] for a request an HTTP server
//!   already parsed, and (feature `hyper`) `upgrade::upgrade` inside a
//!   hyper 1 service or an axum handler.
//! - [`WebSocket`]: whole [`Message`]s ([`read`](WebSocket::read)) or
//!   chunks without copies ([`read_event`](WebSocket::read_event)),
//!   queued sends with backpressure, the core's keepalive and close
//!   timers on tokio's clock, a graceful [`close`](WebSocket::close).
//!   Every waiting method is cancel-safe (see [`WebSocket`]).
//! - [`split`](WebSocket::split) into a [`Reader`] and a [`Writer`] for
//!   two tasks, and from them a futures [`MessageStream`] and
//!   [`MessageSink`].
//! - [`Shutdown`]: a server-wide graceful shutdown (every watching socket
//!   closes with 1001 and finishes its closing handshake).
//!
//! Features: `hyper` (on by default: `upgrade`), `tls` (`wss://` through
//! tokio-rustls), `deflate` (permessage-deflate, negotiated when the
//! options ask for it).
//!
//! ```no_run
//! use barews_tokio::Message;
//! use tokio::net::TcpListener;
//!
//! # async fn run() -> std::io::Result<()> {
//! // An echo server, one task per connection.
//! let listener = TcpListener::bind("127.0.0.1:9001").await?;
//! loop {
//!     let (stream, _) = listener.accept().await?;
//!     tokio::spawn(async move {
//!         let mut socket = barews_tokio::accept(stream).await?;
//!         loop {
//!             match socket.read().await? {
//!                 Message::Text(text) => socket.send_text(&text).await?,
//!                 Message::Binary(bytes) => socket.send_binary(&bytes).await?,
//!                 _ => {} // Pongs and the Close reply are sent for you.
//!             }
//!         }
//!         #[allow(unreachable_code)]
//!         Ok::<(), barews_tokio::Error>(())
//!     });
//! }
//! # }
//! ```
//!
//! The sockets run the handshake timeout and the core's timers on tokio's
//! clock: the runtime needs its time driver (`enable_all`, or
//! `enable_time`, on the runtime builder; `#[tokio::main]` has it).
//!
//! ## Memory per connection
//!
//! A socket holds the core's connection state, a read buffer
//! ([`SocketOptions::read_buffer_size`], 4 KiB by default, doubling up to
//! [`SocketOptions::max_read_buffer_size`] while reads keep filling it), a
//! send buffer that is empty until something is sent and shrinks back to
//! the larger of [`SocketOptions::write_buffer_size`] and the read
//! buffer's limit after a burst (see [`SocketOptions::driver_limits`]),
//! and, for [`WebSocket::read`], the message being gathered.

pub use barews;
pub use barews::driver::End;
pub use barews_std::opening;
#[cfg(feature = "tls")]
pub use barews_std::tls;
pub use barews_std::{
    Accepted, ClientOptions, CloseInfo, Error, Message, Proxy, ProxyChoice, ProxyKind,
    ProxyUrlError, RequestParts, ResponseInfo, ServerOptions, SocketOptions, UrlError, WsUrl,
};

mod client;
mod clock;
mod compose;
#[cfg(feature = "http2")]
pub mod h2;
mod inbox;
mod pool;
mod server;
mod shared;
mod shutdown;
mod socket;
mod split;
mod stream;
#[cfg(feature = "hyper")]
pub mod upgrade;

pub use client::{client, connect, connect_with};
pub use compose::{MessageSink, MessageStream};
pub use server::{accept, accept_with, accept_with_callback, from_upgraded};
pub use shutdown::Shutdown;
pub use socket::{ClientSocket, ServerSocket, WebSocket};
pub use split::{Reader, Writer};
pub use stream::MaybeTlsStream;
