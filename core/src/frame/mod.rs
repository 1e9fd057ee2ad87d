//! The frame codec (RFC 6455 section 5): headers, opcodes and masking.
//!
//! These are the building blocks; [`Connection`](crate::connection::Connection)
//! applies them with the rules that depend on the role and on the state of
//! the conversation.

mod header;
pub mod mask;
mod opcode;

pub use header::{FrameHeader, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN, RSV1, RSV2, RSV3};
pub use mask::apply_mask;
pub use opcode::OpCode;
