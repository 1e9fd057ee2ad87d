//! Keepalive and close-handshake timers, driven by the caller's clock.
//!
//! A timer started by a command (a Close sent) or by construction (the
//! keepalive) does not know the time yet: it is due at once, and the
//! `handle_timeout` call it prompts anchors it to the caller's `now`.

use super::{Connection, Expired, Side, State};
use crate::config::Config;
use crate::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    Off,
    /// Started, waiting for the caller's `now` to anchor it.
    Due,
    At(Instant),
}

impl Timer {
    /// When it fires, given the latest known time.
    fn deadline(self, now: Instant) -> Option<Instant> {
        match self {
            Timer::Off => None,
            Timer::Due => Some(now),
            Timer::At(at) => Some(at),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Timers {
    /// The latest time the caller passed.
    now: Instant,
    /// The next keepalive check.
    keepalive: Timer,
    /// When a keepalive Ping counts as unanswered.
    keepalive_deadline: Timer,
    /// When this end stops waiting for the peer's Close.
    close_deadline: Timer,
    /// A frame arrived since the last keepalive check.
    traffic: bool,
}

impl Timers {
    pub(super) const fn new(config: &Config) -> Self {
        Timers {
            now: Instant::ZERO,
            keepalive: if config.keepalive().is_some() { Timer::Due } else { Timer::Off },
            keepalive_deadline: Timer::Off,
            close_deadline: Timer::Off,
            traffic: false,
        }
    }

    /// A frame arrived: the peer is alive.
    pub(super) fn saw_traffic(&mut self) {
        self.traffic = true;
        self.keepalive_deadline = Timer::Off;
    }

    pub(super) fn start_close_timer(&mut self) {
        self.close_deadline = Timer::Due;
    }
}

impl<S: Side> Connection<S> {
    /// The next time [`handle_timeout`](Self::handle_timeout) must be
    /// called, or `None` when no timer runs. A deadline at or before the
    /// current time means "call it now" (a timer just started and needs
    /// the time).
    pub fn poll_timeout(&self) -> Option<Instant> {
        let t = &self.timers;
        let candidates = match self.state() {
            State::Open => [t.keepalive, t.keepalive_deadline, Timer::Off],
            State::CloseSent => [Timer::Off, Timer::Off, t.close_deadline],
            State::CloseReceived | State::Closed => return None,
        };
        candidates.iter().filter_map(|timer| timer.deadline(t.now)).min()
    }

    /// Tells the connection the time, a monotonic count of milliseconds.
    ///
    /// It sends a keepalive Ping (queued for
    /// [`poll_transmit`](Self::poll_transmit)) when nothing has been
    /// received for a whole keepalive interval, and gives up when the peer
    /// stays silent past the keepalive timeout or does not answer this
    /// end's Close in time: then it returns [`Expired`] and the connection
    /// is closed; close the transport.
    pub fn handle_timeout(&mut self, now: Instant) -> Option<Expired> {
        let state = self.state();
        let t = &mut self.timers;
        t.now = t.now.max(now);
        let now = t.now;
        let expired = match state {
            State::CloseSent => match t.close_deadline {
                Timer::Due => {
                    t.close_deadline = Timer::At(now.saturating_add(self.config.close_timeout()));
                    None
                }
                Timer::At(at) if now >= at => Some(Expired::CloseHandshake),
                _ => None,
            },
            State::Open => self.keepalive_tick(now),
            State::CloseReceived | State::Closed => None,
        };
        if expired.is_some() {
            self.expired = expired;
            self.outbox.drop_pings_and_pongs();
        }
        expired
    }

    fn keepalive_tick(&mut self, now: Instant) -> Option<Expired> {
        let interval = self.config.keepalive()?;
        let t = &mut self.timers;
        if let Timer::At(at) = t.keepalive_deadline {
            if now >= at {
                return Some(Expired::Keepalive);
            }
        }
        match t.keepalive {
            Timer::Due => {
                t.traffic = false;
                t.keepalive = Timer::At(now.saturating_add(interval));
            }
            Timer::At(at) if now >= at => {
                if !t.traffic && t.keepalive_deadline == Timer::Off && !self.outbox.has_ping() {
                    self.outbox.queue_ping(b"");
                    let timeout = self.config.keepalive_timeout();
                    t.keepalive_deadline = Timer::At(now.saturating_add(timeout));
                }
                t.traffic = false;
                t.keepalive = Timer::At(now.saturating_add(interval));
            }
            _ => {}
        }
        None
    }
}
