//! Limits and behaviour of a [`Connection`](crate::connection::Connection).

use crate::time::Duration;
use core::num::NonZeroUsize;

/// Settings for a connection, built with `const fn` methods.
///
/// ```
/// use barews::config::Config;
/// use barews::time::Duration;
///
/// const CONFIG: Config = Config::new()
///     .with_max_message_len(1 << 20)
///     .with_keepalive(Some(Duration::from_secs(30)))
///     .with_fragment_size(Some(4096));
/// assert_eq!(CONFIG.max_message_len(), 1 << 20);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
// 4-byte aligned on 32-bit targets, as `Instant` and `Duration` are.
#[cfg_attr(not(target_pointer_width = "64"), repr(packed(4)))]
pub struct Config {
    max_frame_len: u64,
    max_message_len: u64,
    auto_pong: bool,
    auto_close: bool,
    /// The keepalive interval; [`KEEPALIVE_OFF`] when keepalive is off
    /// (one word, not an `Option`'s two).
    keepalive: Duration,
    keepalive_timeout: Duration,
    close_timeout: Duration,
    fragment_size: Option<NonZeroUsize>,
}

/// The keepalive interval that stands for none: an interval this long
/// never ends.
const KEEPALIVE_OFF: Duration = Duration::from_millis(u64::MAX);

impl Config {
    /// Default [`max_frame_len`](Self::max_frame_len): 16 MiB.
    pub const DEFAULT_MAX_FRAME_LEN: u64 = 16 << 20;
    /// Default [`max_message_len`](Self::max_message_len): 64 MiB.
    pub const DEFAULT_MAX_MESSAGE_LEN: u64 = 64 << 20;
    /// Default [`keepalive_timeout`](Self::keepalive_timeout): 20 s.
    pub const DEFAULT_KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(20);
    /// Default [`close_timeout`](Self::close_timeout): 5 s.
    pub const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

    /// The defaults: 16 MiB frames, 64 MiB messages, automatic Pong and
    /// Close replies, no keepalive, a 5 s close handshake, no outgoing
    /// fragmentation.
    pub const fn new() -> Self {
        Config {
            max_frame_len: Self::DEFAULT_MAX_FRAME_LEN,
            max_message_len: Self::DEFAULT_MAX_MESSAGE_LEN,
            auto_pong: true,
            auto_close: true,
            keepalive: KEEPALIVE_OFF,
            keepalive_timeout: Self::DEFAULT_KEEPALIVE_TIMEOUT,
            close_timeout: Self::DEFAULT_CLOSE_TIMEOUT,
            fragment_size: None,
        }
    }

    /// The largest payload a received frame may announce. A larger one
    /// fails the connection with 1009 as soon as its header arrives,
    /// before any payload is read.
    #[must_use]
    pub const fn with_max_frame_len(mut self, bytes: u64) -> Self {
        self.max_frame_len = bytes;
        self
    }

    /// The largest received message, summed over its fragments. Checked
    /// from each frame's header; exceeding it fails with 1009.
    #[must_use]
    pub const fn with_max_message_len(mut self, bytes: u64) -> Self {
        self.max_message_len = bytes;
        self
    }

    /// Whether a received Ping queues a Pong with the same payload.
    #[must_use]
    pub const fn with_auto_pong(mut self, on: bool) -> Self {
        self.auto_pong = on;
        self
    }

    /// Whether a received Close queues the Close reply (echoing the code).
    /// When off, call [`close`](crate::connection::Connection::close)
    /// yourself.
    #[must_use]
    pub const fn with_auto_close(mut self, on: bool) -> Self {
        self.auto_close = on;
        self
    }

    /// Send a Ping when nothing has been received for a whole interval of
    /// this length; `None` turns keepalive off (as does an interval of
    /// `u64::MAX` milliseconds, which never ends).
    #[must_use]
    pub const fn with_keepalive(mut self, interval: Option<Duration>) -> Self {
        self.keepalive = match interval {
            Some(interval) => interval,
            None => KEEPALIVE_OFF,
        };
        self
    }

    /// How long after a keepalive Ping the peer has to send anything
    /// before the connection is given up.
    #[must_use]
    pub const fn with_keepalive_timeout(mut self, timeout: Duration) -> Self {
        self.keepalive_timeout = timeout;
        self
    }

    /// How long to wait for the peer's Close after sending ours.
    #[must_use]
    pub const fn with_close_timeout(mut self, timeout: Duration) -> Self {
        self.close_timeout = timeout;
        self
    }

    /// Split outgoing messages sent with
    /// [`send`](crate::connection::Connection::send) into frames of at most
    /// this many payload bytes; `None` sends each message as one frame.
    /// Zero is treated as one.
    #[must_use]
    pub const fn with_fragment_size(mut self, bytes: Option<usize>) -> Self {
        self.fragment_size = match bytes {
            Some(bytes) => NonZeroUsize::new(if bytes == 0 { 1 } else { bytes }),
            None => None,
        };
        self
    }

    /// The received-frame payload limit.
    pub const fn max_frame_len(&self) -> u64 {
        self.max_frame_len
    }

    /// The received-message size limit.
    pub const fn max_message_len(&self) -> u64 {
        self.max_message_len
    }

    /// Whether Pongs are queued automatically.
    pub const fn auto_pong(&self) -> bool {
        self.auto_pong
    }

    /// Whether the Close reply is queued automatically.
    pub const fn auto_close(&self) -> bool {
        self.auto_close
    }

    /// The keepalive interval, if keepalive is on.
    pub const fn keepalive(&self) -> Option<Duration> {
        if self.keepalive.as_millis() == KEEPALIVE_OFF.as_millis() {
            None
        } else {
            Some(self.keepalive)
        }
    }

    /// The keepalive timeout.
    pub const fn keepalive_timeout(&self) -> Duration {
        self.keepalive_timeout
    }

    /// The close-handshake timeout.
    pub const fn close_timeout(&self) -> Duration {
        self.close_timeout
    }

    /// The outgoing fragment size, if messages are split.
    pub const fn fragment_size(&self) -> Option<usize> {
        match self.fragment_size {
            Some(size) => Some(size.get()),
            None => None,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self::new()
    }
}
