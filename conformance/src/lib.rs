//! # barews-conformance
//!
//! The evidence that barews conforms to RFC 6455:
//!
//! - property-test suites under `tests/` (proptest), run by `cargo test`;
//! - the Autobahn testsuite runner ([`autobahn`]), run as
//!   `cargo run --release -p barews-conformance -- autobahn [server|client|all]`.

pub mod autobahn;
