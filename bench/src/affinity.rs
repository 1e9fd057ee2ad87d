//! CPU pinning for `e2e --pin`: the echo servers' threads on one CPU, the
//! load client's on another, so that the servers share one core and the
//! client has the other.
//!
//! A thread pins itself when it starts ([`pin_current`]); tokio runtimes
//! pin their workers in `on_thread_start`. On Linux a new thread inherits
//! its parent's mask, but every thread here pins itself explicitly so
//! that nothing depends on which thread spawned it.

/// The CPU of the echo servers' threads under `--pin`.
pub const SERVER_CPU: usize = 0;

/// The CPU of the load client's threads under `--pin`.
pub const CLIENT_CPU: usize = 1;

/// Whether this process may run on every CPU in `cpus` (a CPU outside the
/// process's mask, or one the machine lacks, cannot be pinned to).
pub fn available(cpus: &[usize]) -> bool {
    let ids = core_affinity::get_core_ids().unwrap_or_default();
    cpus.iter().all(|&cpu| ids.iter().any(|id| id.id == cpu))
}

/// Pins the calling thread to `cpu`, if one is given; prints a warning if
/// the system refuses.
pub fn pin_current(cpu: Option<usize>) {
    let Some(cpu) = cpu else { return };
    if !core_affinity::set_for_current(core_affinity::CoreId { id: cpu }) {
        eprintln!("warning: could not pin a thread to CPU {cpu}");
    }
}
