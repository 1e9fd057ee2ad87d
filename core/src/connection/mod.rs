//! The connection after the handshake: one state machine per side.
//!
//! Methods are grouped by direction:
//!
//! - input: [`receive`](Connection::receive) (bytes read from the peer) and
//!   [`handle_timeout`](Connection::handle_timeout) (the time has come);
//! - commands: [`send`](Connection::send),
//!   [`send_fragment`](Connection::send_fragment),
//!   [`encode_header`](Connection::encode_header),
//!   [`ping`](Connection::ping), [`pong`](Connection::pong),
//!   [`close`](Connection::close);
//! - output: [`poll_transmit`](Connection::poll_transmit) (frames the
//!   protocol owes: Pong, Close, keepalive Ping) and
//!   [`poll_timeout`](Connection::poll_timeout) (the next deadline);
//! - getters: [`state`](Connection::state), [`role`](Connection::role),
//!   [`is_closed`](Connection::is_closed)…
//!
//! The rule: after any input or command, drain `poll_transmit` until it
//! writes nothing, then wait for I/O or for the `poll_timeout` deadline.
//! See the crate documentation for the whole loop.

mod control;
mod receive;
mod send;
mod timers;

pub use send::PayloadMask;

use crate::close::{CloseCode, CloseFrame};
use crate::config::Config;
use crate::error::ProtocolError;
use crate::utf8::Utf8Validator;
use control::Outbox;
use core::fmt;
use receive::Inbound;
use timers::Timers;

/// Which end of the connection this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The end that opened the connection: masks every frame it sends.
    Client,
    /// The end that accepted it: never masks.
    Server,
}

/// A source of masking keys for a client (RFC 6455 section 5.3): each key
/// must be fresh and unpredictable, drawn from a strong random source. The
/// core has none; the caller provides it.
///
/// Any `FnMut() -> [u8; 4]` is a source:
///
/// ```
/// use barews::config::Config;
/// use barews::connection::Connection;
///
/// # fn hardware_rng() -> u32 { 0x1234_5678 }
/// let client = Connection::client(Config::new(), || hardware_rng().to_ne_bytes());
/// # let _ = client;
/// ```
pub trait MaskKeys {
    /// The key for the next frame.
    fn next_mask(&mut self) -> [u8; 4];
}

impl<F: FnMut() -> [u8; 4]> MaskKeys for F {
    fn next_mask(&mut self) -> [u8; 4] {
        self()
    }
}

mod sealed {
    pub trait Sealed {}
}

/// The two sides a [`Connection`] can be: [`Server`] or [`Client`]. The
/// type decides whether frames are masked, so a server cannot be given
/// mask keys and a client cannot be made without them.
pub trait Side: sealed::Sealed {
    /// The role of this side.
    const ROLE: Role;
    /// The key for the next frame sent: `None` for a server.
    #[doc(hidden)]
    fn next_mask(&mut self) -> Option<[u8; 4]>;
}

/// The server side: receives masked frames, sends unmasked ones.
#[derive(Debug, Clone, Copy, Default)]
pub struct Server;

impl sealed::Sealed for Server {}

impl Side for Server {
    const ROLE: Role = Role::Server;
    fn next_mask(&mut self) -> Option<[u8; 4]> {
        None
    }
}

/// The client side: receives unmasked frames, sends frames masked with
/// keys from `K`.
#[derive(Clone, Copy)]
pub struct Client<K>(K);

impl<K> fmt::Debug for Client<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Client")
    }
}

impl<K> sealed::Sealed for Client<K> {}

impl<K: MaskKeys> Side for Client<K> {
    const ROLE: Role = Role::Client;
    fn next_mask(&mut self) -> Option<[u8; 4]> {
        Some(self.0.next_mask())
    }
}

/// Where a connection is in its closing handshake (RFC 6455 section 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Messages flow both ways.
    Open,
    /// This end has sent (or queued) its Close and waits for the peer's.
    /// Received messages are still delivered. Whatever arrives after the
    /// peer's Close is discarded (RFC 6455 section 1.4).
    CloseSent,
    /// The peer's Close arrived and this end has not answered yet (only
    /// when automatic Close replies are off). Call
    /// [`Connection::close`].
    CloseReceived,
    /// Both Closes were exchanged, the connection failed, or a timer gave
    /// up. Drain [`Connection::poll_transmit`], then close the transport.
    Closed,
}

/// The type of a data message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataKind {
    /// UTF-8 text.
    Text,
    /// Arbitrary bytes.
    Binary,
}

/// What one call to [`Connection::receive`] produced.
#[derive(Debug, PartialEq, Eq)]
pub struct Received<'b> {
    /// How many bytes at the front of the buffer were used. Drop them
    /// before the next call and keep the rest.
    pub consumed: usize,
    /// What they meant, if anything is complete yet.
    pub event: Option<Event<'b>>,
}

/// Something the peer sent, borrowing the caller's (unmasked) buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'b> {
    /// A chunk of a text or binary message. A message arrives as one or
    /// more chunks; their concatenation is the message. A text chunk may
    /// end inside a UTF-8 sequence; the whole message is valid UTF-8.
    Data {
        /// The message's type.
        kind: DataKind,
        /// The chunk's bytes.
        payload: &'b [u8],
        /// This is the message's first chunk.
        first: bool,
        /// This is the message's last chunk.
        last: bool,
    },
    /// A Ping and its payload. With automatic replies on, the Pong is
    /// already queued (unless this end's Close has already been written).
    Ping(&'b [u8]),
    /// A Pong and its payload.
    Pong(&'b [u8]),
    /// The peer's Close. With automatic replies on, the answer is already
    /// queued.
    Close(CloseFrame<'b>),
}

/// A timer ran out and the connection gave up: close the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expired {
    /// A keepalive Ping got no answer (nothing at all arrived) in time.
    Keepalive,
    /// The peer did not answer this end's Close in time.
    CloseHandshake,
}

impl fmt::Display for Expired {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Expired::Keepalive => "peer stopped answering keepalives",
            Expired::CloseHandshake => "peer did not answer the Close",
        })
    }
}

/// Why a command could not be carried out. The connection is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendError {
    /// The output buffer is too small; it was left untouched.
    BufferTooSmall {
        /// Bytes the output needs.
        required: usize,
    },
    /// This end has already sent its Close, or the connection is closed:
    /// nothing more may be sent.
    Closed,
    /// A whole message was sent while a fragmented one is unfinished.
    MessageInProgress,
    /// A fragment's type differs from the message it continues.
    KindMismatch,
    /// Text to send is not valid UTF-8.
    InvalidUtf8,
    /// A Ping or Pong payload is longer than 125 bytes, or a Close reason
    /// longer than 123.
    ControlTooLong,
    /// The close code may not be sent (see
    /// [`CloseCode::is_valid_on_wire`]).
    InvalidCloseCode,
    /// A frame length of 2^63 bytes or more, or a message whose encoding
    /// would not fit in memory, cannot be encoded.
    FrameTooLong,
}

impl From<crate::BufferTooSmall> for SendError {
    fn from(error: crate::BufferTooSmall) -> Self {
        SendError::BufferTooSmall { required: error.required }
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::BufferTooSmall { required } => {
                write!(f, "output buffer too small: {required} bytes required")
            }
            SendError::Closed => f.write_str("the connection is closing or closed"),
            SendError::MessageInProgress => f.write_str("a fragmented message is unfinished"),
            SendError::KindMismatch => f.write_str("fragment type differs from its message"),
            SendError::InvalidUtf8 => f.write_str("text is not valid UTF-8"),
            SendError::ControlTooLong => f.write_str("control payload too long"),
            SendError::InvalidCloseCode => f.write_str("close code may not be sent"),
            SendError::FrameTooLong => f.write_str("frame length too large to encode"),
        }
    }
}

impl core::error::Error for SendError {}

/// A WebSocket connection after the opening handshake: a sans-IO state
/// machine for one side, `Connection<Server>` or `Connection<Client<K>>`.
///
/// It holds no buffers for message data: received payloads are unmasked
/// in the caller's buffer and handed back as borrowed [`Event`]s, and
/// outgoing frames are written into buffers the caller passes. The only
/// bytes it keeps are the control frames it owes (at most one Pong, one
/// Ping and one Close, 125 bytes each).
pub struct Connection<S> {
    side: S,
    config: Config,
    inbound: Inbound,
    /// The type of the outgoing fragmented message in progress.
    sending: Option<DataKind>,
    /// UTF-8 state of the outgoing text message in progress; `None` once
    /// part of it was sent with `encode_header`, whose payload the core
    /// never sees.
    sending_utf8: Option<Utf8Validator>,
    outbox: Outbox,
    timers: Timers,
    /// A Close from this end has been queued (and maybe written).
    close_sent: bool,
    /// The peer's Close has arrived.
    close_received: bool,
    /// The first protocol error; every later input returns it.
    failure: Option<ProtocolError>,
    /// A timer gave up on the peer.
    expired: Option<Expired>,
    /// permessage-deflate, when negotiated.
    #[cfg(feature = "deflate")]
    deflate: Option<crate::deflate::Deflate>,
}

impl Connection<Server> {
    /// A server's connection, open and ready.
    pub const fn server(config: Config) -> Self {
        Connection::with_side(Server, config)
    }
}

impl<K: MaskKeys> Connection<Client<K>> {
    /// A client's connection, taking mask keys from `keys`.
    pub const fn client(config: Config, keys: K) -> Self {
        Connection::with_side(Client(keys), config)
    }
}

impl<S: Side> Connection<S> {
    const fn with_side(side: S, config: Config) -> Self {
        Connection {
            side,
            config,
            inbound: Inbound::new(),
            sending: None,
            sending_utf8: None,
            outbox: Outbox::new(),
            timers: Timers::new(&config),
            close_sent: false,
            close_received: false,
            failure: None,
            expired: None,
            #[cfg(feature = "deflate")]
            deflate: None,
        }
    }

    /// Turns on permessage-deflate with the parameters the handshake
    /// agreed (see [`crate::deflate`]). Compressed messages are sent with
    /// [`send_with`](Self::send_with) and received with
    /// [`receive_inflating`](Self::receive_inflating).
    #[cfg(feature = "deflate")]
    #[must_use]
    pub fn with_deflate(mut self, params: crate::deflate::DeflateParams) -> Self {
        self.enable_deflate(params);
        self
    }

    /// [`with_deflate`](Self::with_deflate) on a connection in place: for
    /// a caller that made the connection (and the driver around it) before
    /// its opening handshake agreed to the extension. Call it before any
    /// frame is sent or received.
    #[cfg(feature = "deflate")]
    pub fn enable_deflate(&mut self, params: crate::deflate::DeflateParams) {
        // Each end compresses with its own parameters and inflates with
        // the peer's.
        let (own_resets, own_window_bits, peer_resets, peer_window_bits) = match S::ROLE {
            Role::Server => (
                params.server_no_context_takeover,
                params.server_max_window_bits,
                params.client_no_context_takeover,
                params.client_max_window_bits,
            ),
            Role::Client => (
                params.client_no_context_takeover,
                params.client_max_window_bits,
                params.server_no_context_takeover,
                params.server_max_window_bits,
            ),
        };
        self.deflate = Some(crate::deflate::Deflate {
            min_size: params.min_size(),
            own_window_bits,
            own_resets,
            peer_window_bits,
            peer_resets,
            level: params.level(),
        });
    }

    /// The inflate window [`receive_inflating`](Self::receive_inflating)
    /// needs, in bytes: 0 without permessage-deflate.
    pub fn inflate_window_size(&self) -> usize {
        #[cfg(feature = "deflate")]
        if let Some(deflate) = &self.deflate {
            return crate::deflate::window_size(deflate.peer_window_bits);
        }
        0
    }

    /// The window this end may compress with, in bits, and whether it must
    /// reset its compressor after each message (no context takeover):
    /// what a [`Compressor`](crate::deflate::Compressor) made for this
    /// connection should be sized for. `None` without permessage-deflate.
    #[cfg(feature = "deflate")]
    pub fn compression_window(&self) -> Option<(u8, bool)> {
        self.deflate.map(|d| (d.own_window_bits, d.own_resets))
    }

    /// The compression level this end configured; `None` without
    /// permessage-deflate.
    #[cfg(feature = "deflate")]
    pub fn compression_level(&self) -> Option<u8> {
        self.deflate.map(|d| d.level)
    }

    /// A compressor of its own for this connection, sized for the window
    /// it agreed to, when it is one that keeps context. `None` without
    /// permessage-deflate, or when this end agreed to no context takeover:
    /// then nothing outlives a message, and a compressor shared by the
    /// thread ([`Context::Reset`](crate::deflate::Context::Reset), at
    /// [`compression_level`](Self::compression_level)) serves it.
    #[cfg(all(feature = "deflate", any(feature = "alloc", test)))]
    pub fn own_compressor(&self) -> Option<crate::deflate::Compressor<alloc::vec::Vec<u8>>> {
        use crate::deflate::{Compressor, Context};
        let deflate = self.deflate.filter(|d| !d.own_resets)?;
        Some(Compressor::new(deflate.own_window_bits, deflate.level, Context::Kept))
    }

    /// Which end this is.
    pub const fn role(&self) -> Role {
        S::ROLE
    }

    /// The settings in force.
    pub const fn config(&self) -> &Config {
        &self.config
    }

    /// Where the closing handshake stands.
    pub const fn state(&self) -> State {
        if self.failure.is_some() || self.expired.is_some() {
            return State::Closed;
        }
        match (self.close_sent, self.close_received) {
            (false, false) => State::Open,
            (true, false) => State::CloseSent,
            (false, true) => State::CloseReceived,
            (true, true) => State::Closed,
        }
    }

    /// Whether the connection is over: drain
    /// [`poll_transmit`](Self::poll_transmit), then close the transport.
    pub const fn is_closed(&self) -> bool {
        matches!(self.state(), State::Closed)
    }

    /// The protocol error that failed the connection, if one did.
    pub const fn failure(&self) -> Option<ProtocolError> {
        self.failure
    }

    /// The timer that gave up on the peer, if one did.
    pub const fn expired(&self) -> Option<Expired> {
        self.expired
    }

    /// Whether a fragmented message is being sent (its final fragment is
    /// still to come).
    pub const fn is_sending_message(&self) -> bool {
        self.sending.is_some()
    }

    /// Fails the connection: remembers the error and queues a Close with
    /// its code (and, with the `detailed-errors` feature, its description as
    /// the reason), unless this end already sent one.
    fn fail(&mut self, error: ProtocolError) -> ProtocolError {
        if self.failure.is_none() {
            self.failure = Some(error);
            self.outbox.drop_pings_and_pongs();
            if !self.close_sent {
                // The description costs about 0.7 KiB of text and table:
                // only with the `detailed-errors` feature.
                let reason = if cfg!(feature = "detailed-errors") { error.as_str() } else { "" };
                self.queue_close(Some(error.close_code()), reason.as_bytes());
            }
        }
        error
    }

    /// Queues a Close from this end (an answer or the first word). A Pong
    /// already queued still goes out first; a Ping not yet written is
    /// dropped (see `Outbox`).
    fn queue_close(&mut self, code: Option<CloseCode>, reason: &[u8]) {
        self.outbox.queue_close(code, reason);
        self.close_sent = true;
    }
}

impl<S> fmt::Debug for Connection<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("config", &self.config)
            .field("close_sent", &self.close_sent)
            .field("close_received", &self.close_received)
            .field("failure", &self.failure)
            .field("expired", &self.expired)
            .finish_non_exhaustive()
    }
}
