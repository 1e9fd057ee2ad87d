//! The bridge from tokio's clock to the core's millisecond clock. tokio's
//! `Instant` follows a paused test clock, so the core's timers do too.

use barews::time::Instant as CoreInstant;
use std::time::Duration;
use tokio::time::Instant;

/// A monotonic clock counting milliseconds from its creation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    origin: Instant,
}

impl Clock {
    pub(crate) fn new() -> Self {
        Clock { origin: Instant::now() }
    }

    /// The tokio instant matching a core instant.
    pub(crate) fn to_tokio(self, at: CoreInstant) -> Instant {
        self.origin + Duration::from_millis(at.as_millis())
    }
}

impl barews::time::Clock for Clock {
    fn now(&mut self) -> CoreInstant {
        let millis = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        CoreInstant::from_millis(millis)
    }
}
