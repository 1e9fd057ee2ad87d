//! Events by position: what [`Input::poll`](super::Input::poll) found,
//! kept as places in the driver's buffers so that it outlives the borrow
//! the core's `receive` made, and lent again by
//! [`Input::event`](super::Input::event).

use crate::close::{CloseCode, CloseFrame};
use crate::connection::{DataKind, Event};
use core::ops::Range;

/// An event without its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Data { kind: DataKind, first: bool, last: bool },
    Ping,
    Pong,
    Close(Option<CloseCode>),
}

/// Where an event's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// In the receive buffer (unmasked in place).
    Input,
    /// In the inflate window (a chunk of a compressed message).
    Window,
}

/// An event found by [`Input::poll`](super::Input::poll), by position:
/// [`Input::event`](super::Input::event) lends it until the next call
/// that reads or polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventAt {
    shape: Shape,
    place: Place,
    start: usize,
    end: usize,
}

impl EventAt {
    /// Records `event`, whose bytes lie in `input` or in `window` (given
    /// as address ranges, taken before the core borrowed the buffers).
    ///
    /// Only addresses are compared, and only to tell the two buffers
    /// apart; nothing is dereferenced. An empty payload may point
    /// anywhere (an empty Close reason is a static `""`): it is recorded
    /// as empty.
    #[inline]
    pub(super) fn locate(input: &Range<usize>, window: &Range<usize>, event: &Event<'_>) -> Self {
        let (shape, bytes) = match *event {
            Event::Data { kind, payload, first, last } => {
                (Shape::Data { kind, first, last }, payload)
            }
            Event::Ping(payload) => (Shape::Ping, payload),
            Event::Pong(payload) => (Shape::Pong, payload),
            Event::Close(frame) => (Shape::Close(frame.code), frame.reason.as_bytes()),
        };
        let start = bytes.as_ptr().addr();
        let end = start.saturating_add(bytes.len());
        let inside = |area: &Range<usize>| start >= area.start && end <= area.end;
        let (place, base) = if bytes.is_empty() {
            (Place::Input, None)
        } else if inside(input) {
            (Place::Input, Some(input.start))
        } else if cfg!(feature = "deflate") && inside(window) {
            // Only permessage-deflate hands out bytes of the window.
            (Place::Window, Some(window.start))
        } else {
            // Cannot happen: the core hands out bytes of the buffers it
            // was given, nothing else.
            (Place::Input, None)
        };
        match base {
            Some(base) => EventAt { shape, place, start: start - base, end: end - base },
            None => EventAt { shape, place, start: 0, end: 0 },
        }
    }

    /// The event, borrowing its bytes from `input` or `window` (the
    /// buffers it was located in, unchanged since).
    #[inline]
    pub(super) fn resolve<'a>(&self, input: &'a [u8], window: &'a [u8]) -> Event<'a> {
        let source = match self.place {
            Place::Input => input,
            Place::Window => window,
        };
        let bytes = source.get(self.start..self.end).unwrap_or_default();
        match self.shape {
            Shape::Data { kind, first, last } => Event::Data { kind, payload: bytes, first, last },
            Shape::Ping => Event::Ping(bytes),
            Shape::Pong => Event::Pong(bytes),
            // The core validated the reason where it lies.
            Shape::Close(code) => Event::Close(CloseFrame {
                code,
                reason: core::str::from_utf8(bytes).unwrap_or_default(),
            }),
        }
    }
}
