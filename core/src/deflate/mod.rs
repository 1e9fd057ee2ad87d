//! permessage-deflate (RFC 7692), behind the `deflate` feature.
//!
//! - Negotiation: [`DeflateConfig`] writes a client's offer, picks among a
//!   client's offers as a server ([`DeflateConfig::accept_offer`]), and
//!   checks a server's response as a client
//!   ([`DeflateConfig::accept_response`]); both give [`DeflateParams`].
//! - Data: [`Connection::with_deflate`](crate::connection::Connection::with_deflate)
//!   turns the extension on. Messages with RSV1 set on their first frame
//!   are inflated into a window the caller owns and passes to
//!   [`Connection::receive_with_window`](crate::connection::Connection::receive_with_window),
//!   so decompressed chunks are handed out without a copy; the
//!   decompressed size counts against the message limit (a compression
//!   bomb ends in 1009). [`send`](crate::connection::Connection::send)
//!   compresses messages of at least the configured size.
//!
//! Memory per connection: the decompressor state (about 10 KiB, boxed),
//! the compressor state (about 312 KiB with its buffers, boxed, created on
//! the first compressed send), and the caller's inflate window (32 KiB for
//! a peer using 15-bit windows).

mod compress;
mod inflate;
mod negotiate;

pub(crate) use compress::Compressor;
pub(crate) use inflate::{Inflater, TAIL};
pub use negotiate::{DeflateConfig, DeflateParams, NAME, NegotiationError};

/// The size of inflate window a peer compressing with `bits`-bit windows
/// needs.
pub const fn window_size(bits: u8) -> usize {
    1 << bits
}

/// What a connection keeps for the extension.
pub(crate) struct Deflate {
    pub(crate) inflater: Inflater,
    pub(crate) compressor: Compressor,
    /// Messages shorter than this are sent uncompressed.
    pub(crate) min_size: usize,
    /// The window the peer compresses with, in bits.
    pub(crate) peer_window_bits: u8,
}

#[cfg(test)]
mod tests;
