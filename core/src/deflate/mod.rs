//! permessage-deflate (RFC 7692), behind the `deflate` feature.
//!
//! - Negotiation: [`DeflateConfig`] writes a client's offer, picks among a
//!   client's offers as a server ([`DeflateConfig::accept_offer`]), and
//!   checks a server's response as a client
//!   ([`DeflateConfig::accept_response`]); both give [`DeflateParams`].
//! - Data: [`Connection::with_deflate`](crate::connection::Connection::with_deflate)
//!   turns the extension on. The connection keeps only the agreed
//!   parameters; the state that costs memory is the caller's and is lent
//!   to each call, like the buffers:
//!   - a [`Compressor`] for [`send_with`](crate::connection::Connection::send_with),
//!     per connection when it keeps context ([`Context::Kept`]), or one
//!     per thread shared by many connections ([`Context::Reset`]);
//!   - an [`Inflater`] and its window for
//!     [`receive_inflating`](crate::connection::Connection::receive_inflating):
//!     decompressed chunks are handed out from the window without a copy,
//!     and the decompressed size counts against the message limit (a
//!     compression bomb ends in 1009).
//!
//! Memory: see [`Compressor::memory_size`] (a hash table, plus a history of
//! at most the window when it keeps context), the inflater's state (about
//! 10 KiB, only while the peer's context lasts) and the inflate window
//! (2^bits of the peer's window: 32 KiB for 15 bits).

mod compress;
mod inflate;
mod negotiate;

pub use compress::{Compressor, Context};
pub use inflate::Inflater;
pub(crate) use inflate::TAIL;
pub use negotiate::{DeflateConfig, DeflateParams, NAME, NegotiationError};

/// The size of inflate window a peer compressing with `bits`-bit windows
/// needs.
pub const fn window_size(bits: u8) -> usize {
    1 << bits
}

/// What a connection keeps for the extension: the agreed parameters as
/// they apply to this end.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deflate {
    /// Messages shorter than this are sent uncompressed.
    pub(crate) min_size: usize,
    /// The window this end may compress with, in bits.
    pub(crate) own_window_bits: u8,
    /// This end must not take context over from one message to the next.
    pub(crate) own_resets: bool,
    /// The window the peer compresses with, in bits.
    pub(crate) peer_window_bits: u8,
    /// The peer starts each message with no history.
    pub(crate) peer_resets: bool,
    /// The compression level this end asked for.
    pub(crate) level: u8,
}

#[cfg(test)]
mod tests;
