//! Frame codec (RFC 6455 section 5).

pub mod mask;
