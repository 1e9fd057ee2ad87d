//! The bridge from `std::time` to the core's millisecond clock.

use barews::time::Instant as CoreInstant;
use std::time::{Duration, Instant};

/// A monotonic clock counting milliseconds from its creation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    origin: Instant,
}

impl Clock {
    pub(crate) fn new() -> Self {
        Clock { origin: Instant::now() }
    }

    /// The current time on the core's clock.
    pub(crate) fn now(self) -> CoreInstant {
        let millis = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        CoreInstant::from_millis(millis)
    }

    /// The std instant matching a core instant.
    pub(crate) fn to_std(self, at: CoreInstant) -> Instant {
        self.origin + Duration::from_millis(at.as_millis())
    }
}

impl barews::time::Clock for Clock {
    fn now(&mut self) -> CoreInstant {
        Clock::now(*self)
    }
}
