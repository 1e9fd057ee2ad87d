//! # barews-std
//!
//! The std adapter for [`barews`]: it will connect the sans-IO core to
//! `std::net::TcpStream` and any `Read + Write` stream (blocking client and
//! server, deadlines, split halves, TLS). It holds no protocol logic of its
//! own; everything it does is built on the core's public API, which it
//! re-exports.
//!
//! The socket layer is not written yet; until it is, this crate offers the
//! core only.

pub use barews;
