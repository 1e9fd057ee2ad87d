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
/// `None` where `/proc/stat` cannot be read or has no such CPU.
pub fn busy(cpu: usize) -> Option<Duration> {
    busy_in(&std::fs::read_to_string("/proc/stat").ok()?, cpu)
}

/// [`busy`], from the text of `/proc/stat`.
fn busy_in(stat: &str, cpu: usize) -> Option<Duration> {
    let label = format!("cpu{cpu}");
    let line = stat.lines().find(|line| line.split_whitespace().next() == Some(&label))?;
    let ticks: Vec<u64> = line.split_whitespace().skip(1).map_while(|t| t.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal ...
    let busy: u64 = [0, 1, 2, 5, 6].iter().map(|&i| ticks.get(i).copied().unwrap_or(0)).sum();
    Some(Duration::from_millis(busy * 1000 / TICKS_PER_SEC))
}

#[cfg(test)]
mod tests {
    use super::{busy, busy_in};
    use std::time::Duration;

    const STAT: &str = "cpu  900 90 300 5000 40 30 20 10 0 0\n\
                        cpu0 400 40 100 2500 20 10 5 7 0 0\n\
                        cpu1 500 50 200 2500 20 20 15 3 0 0\n\
                        intr 12345 0 0\n";

    #[test]
    fn busy_time_counts_user_nice_system_irq_and_softirq_of_that_cpu_only() {
        // cpu1: 500 + 50 + 200 + 20 + 15 ticks, not its idle, I/O wait or
        // stolen time, and not the summary line's.
        assert_eq!(busy_in(STAT, 1), Some(Duration::from_millis(7850)));
        assert_eq!(busy_in(STAT, 0), Some(Duration::from_millis(5550)));
    }

    #[test]
    fn a_cpu_that_is_not_listed_has_no_busy_time() {
        assert_eq!(busy_in(STAT, 2), None);
        assert_eq!(busy(usize::MAX), None);
    }
}
