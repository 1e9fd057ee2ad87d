//! Time as the caller tells it: whole milliseconds on a monotonic clock.
//!
//! The core never reads a clock. The caller passes the current [`Instant`]
//! to [`Connection::handle_timeout`](crate::connection::Connection::handle_timeout),
//! and the core answers with its next deadline. Where the milliseconds
//! count from is the caller's choice; only differences matter.

use core::fmt;

/// A point in time, in milliseconds since an origin the caller chooses.
// 4-byte aligned on 32-bit targets: 8-byte alignment links `memcpy8`
// and `memclr8` next to their 4-byte twins on Cortex-M, and a 32-bit CPU
// reads a `u64` as two words anyway.
#[cfg_attr(not(target_pointer_width = "64"), repr(packed(4)))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(u64);

impl Instant {
    /// The origin.
    pub const ZERO: Instant = Instant(0);

    /// The instant `millis` milliseconds after the origin.
    pub const fn from_millis(millis: u64) -> Self {
        Instant(millis)
    }

    /// Milliseconds since the origin.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// The instant `duration` later, saturating at the end of time.
    #[must_use]
    pub const fn saturating_add(self, duration: Duration) -> Self {
        Instant(self.0.saturating_add(duration.0))
    }

    /// The time from `earlier` to `self`, or zero if `earlier` is later.
    pub const fn saturating_since(self, earlier: Instant) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
}

/// A span of time in whole milliseconds.
// 4-byte aligned on 32-bit targets, as `Instant` is.
#[cfg_attr(not(target_pointer_width = "64"), repr(packed(4)))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(u64);

impl Duration {
    /// No time at all.
    pub const ZERO: Duration = Duration(0);

    /// `millis` milliseconds.
    pub const fn from_millis(millis: u64) -> Self {
        Duration(millis)
    }

    /// `secs` seconds.
    pub const fn from_secs(secs: u64) -> Self {
        Duration(secs.saturating_mul(1000))
    }

    /// The length in milliseconds.
    pub const fn as_millis(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = self.0;
        write!(f, "{millis} ms")
    }
}

/// The caller's monotonic clock, in milliseconds from an origin of its
/// choosing: it drives keepalive and the close timeout
/// ([`Config::keepalive`](crate::config::Config::keepalive),
/// [`Config::close_timeout`](crate::config::Config::close_timeout)), through
/// [`Driver::poll`](crate::driver::Driver::poll).
///
/// Any `FnMut() -> Instant` is a clock:
///
/// ```
/// use barews::time::{Clock, Instant};
///
/// # fn systick_millis() -> u64 { 42 }
/// let mut clock = || Instant::from_millis(systick_millis());
/// assert_eq!(clock.now(), Instant::from_millis(42));
/// ```
pub trait Clock {
    /// Whether the clock tells the time. [`NoClock`] does not: the timers
    /// never run, and their code is left out of the binary.
    const TICKS: bool = true;

    /// The current time.
    fn now(&mut self) -> Instant;
}

impl<F: FnMut() -> Instant> Clock for F {
    fn now(&mut self) -> Instant {
        self()
    }
}

/// No clock: keepalive and the close timeout never fire (a closing
/// handshake then waits for the peer as long as the transport does). The
/// default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoClock;

impl Clock for NoClock {
    const TICKS: bool = false;

    fn now(&mut self) -> Instant {
        Instant::ZERO
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates_instead_of_overflowing() {
        let late = Instant::from_millis(u64::MAX - 1);
        assert_eq!(late.saturating_add(Duration::from_secs(5)).as_millis(), u64::MAX);
        assert_eq!(Instant::ZERO.saturating_since(late), Duration::ZERO);
        assert_eq!(Duration::from_secs(u64::MAX).as_millis(), u64::MAX);
        assert_eq!(
            Instant::from_millis(1500).saturating_since(Instant::from_millis(500)),
            Duration::from_secs(1)
        );
    }
}
