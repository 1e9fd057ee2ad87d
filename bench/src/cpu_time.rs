//! How long a CPU was busy, from `/proc/stat`. Under `e2e --pin` the echo
//! servers have one CPU and the load client the other, so a CPU's busy
//! time over a run, divided by the messages echoed, is what one message
//! cost that side: its own code, its system calls and the loopback's
//! packet processing (which runs on the sending CPU) alike.

use std::time::Duration;

/// `/proc/stat` counts in `USER_HZ` ticks, which Linux fixes at 100 per
/// second for user space on the architectures this runs on.
const TICKS_PER_SEC: u64 = 100;

/// The time `cpu` has spent busy since boot (user, nice, system, irq and
/// softirq; not idle, I/O wait or time stolen by the hypervisor), or
/// `None` where `/proc/stat` cannot be read.
pub fn busy(cpu: usize) -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let label = format!("cpu{cpu}");
    let line = stat.lines().find(|line| line.split_whitespace().next() == Some(&label))?;
    let ticks: Vec<u64> = line.split_whitespace().skip(1).map_while(|t| t.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal ...
    let busy: u64 = [0, 1, 2, 5, 6].iter().map(|&i| ticks.get(i).copied().unwrap_or(0)).sum();
    Some(Duration::from_millis(busy * 1000 / TICKS_PER_SEC))
}

#[cfg(test)]
mod tests {
    use super::busy;
    use std::time::Duration;

    #[test]
    fn cpu0_has_been_busy_and_its_time_never_goes_back() {
        let before = busy(0).expect("/proc/stat has cpu0");
        // Spin a little so that at least the reading itself is counted.
        let mut x = 0u64;
        for i in 0..10_000_000u64 {
            x = x.wrapping_add(i * i);
        }
        std::hint::black_box(x);
        let after = busy(0).expect("/proc/stat has cpu0");
        assert!(before > Duration::ZERO, "cpu0 has run something since boot");
        assert!(after >= before, "busy time only grows");
    }

    #[test]
    fn a_cpu_the_machine_lacks_has_no_busy_time() {
        assert_eq!(busy(usize::MAX), None);
    }
}
