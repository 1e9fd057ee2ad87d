//! Shared pieces of the barews benchmarks.
//!
//! The crate compares barews with `tungstenite` and `fastwebsockets` (and,
//! end to end, `tokio-tungstenite`):
//!
//! - `benches/codec.rs` (criterion): decoding client frames as a server
//!   receives them, encoding server and client frames, fragmented messages
//!   and the server's opening handshake, all in memory;
//! - `benches/primitives.rs` (criterion): masking and UTF-8 validation;
//! - `benches/deflate.rs` (criterion): permessage-deflate, barews with and
//!   without it against ratchet, in memory ([`deflate`]);
//! - `src/bin/e2e.rs`: echo servers over loopback TCP driven by a
//!   pipelined load client ([`load`]), with a raw TCP echo as the upper
//!   bound;
//! - `src/bin/allocs.rs`: heap allocations per echoed message, counted by
//!   [`alloc_count::CountingAlloc`];
//! - `src/bin/deflate_conns.rs`: server memory per connection with
//!   permessage-deflate agreed and used, thousands of connections to a
//!   server process, through the raw client of [`conns`].
//!
//! This library holds what they share: frame and payload builders
//! ([`frames`]), in-memory streams ([`mem`]), the in-memory echo drivers
//! ([`echo`]), the echo servers ([`servers`]), the load client ([`load`]),
//! small statistics helpers ([`stats`]) and CPU pinning for `e2e --pin`
//! ([`affinity`]).

pub mod affinity;
pub mod alloc_count;
pub mod conns;
pub mod cpu_time;
pub mod deflate;
pub mod echo;
pub mod frames;
pub mod load;
pub mod mem;
pub mod servers;
pub mod stats;
