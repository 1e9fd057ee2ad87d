//! The firmware that runs on QEMU's `mps2-an386` board (a Cortex-M4F),
//! feature `qemu`: the flows and their script work over any byte stream
//! (and run on the host in the tests below), the board support only on
//! the target.
//!
//! - [`flows::client`] / [`flows::client_async`] (binaries `qemu_client`
//!   and `qemu_client_async`): the client script of [`script`] against
//!   an echo server, checking every echo.
//! - [`flows::server`] (binary `qemu_server`): an echo server.
//!
//! scripts/qemu-firmware.sh runs the three binaries against peers
//! written by others; docs/embedded.md has the commands.

#[cfg(target_os = "none")]
pub mod board;
pub mod flows;
pub mod script;

#[cfg(test)]
mod tests;
