//! # barews-conformance
//!
//! The evidence that barews conforms to RFC 6455: property-test suites
//! under `tests/`, run by `cargo test`. The Autobahn testsuite runner joins
//! them later.
