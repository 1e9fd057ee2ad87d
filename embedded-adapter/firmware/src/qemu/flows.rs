//! The flows the emulated board runs, over any byte stream: the client
//! script against an echo server, and an echo server. Written once by
//! [`flows!`] and made blocking ([`client`], [`server`]) and async
//! ([`client_async`], [`server_async`]), as the adapter's sockets are.

use super::script::{self, BINARY_LEN, Echo, MAX_TEXT_LEN, Mismatch, PING, TEXT_LENS};
use crate::RX_LEN;
use barews_embedded::{
    Acceptor, ClientRequest, Clock, CloseCode, Connector, DataKind, End, Error, Event, MaskKeys,
};
use core::fmt;

/// The `Host` header and path of the client's request.
pub const HOST: &str = "127.0.0.1";
/// See [`HOST`].
pub const PATH: &str = "/";

/// The size of the pieces the client writes the binary message in.
pub const PIECE_LEN: usize = 256;

/// Why a flow failed.
#[derive(Debug)]
pub enum Failure<E> {
    /// The socket failed: the transport (a silent peer included), the
    /// handshake, or the protocol.
    WebSocket(Error<E>),
    /// The echo of the message of `len` bytes differs from it.
    Echo {
        /// The length of the message sent.
        len: usize,
        /// How it differs.
        mismatch: Mismatch,
    },
    /// The peer sent `got` while the flow waited for `expected`.
    Unexpected {
        /// What the flow waited for.
        expected: &'static str,
        /// What came.
        got: &'static str,
    },
    /// The peer's Close carried this code, not 1000.
    CloseCode(Option<CloseCode>),
}

impl<E> From<Error<E>> for Failure<E> {
    fn from(error: Error<E>) -> Self {
        Failure::WebSocket(error)
    }
}

impl<E: fmt::Display> fmt::Display for Failure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::WebSocket(error) => write!(f, "{error}"),
            Failure::Echo { len, mismatch } => {
                write!(f, "echo of the {len}-byte message: {mismatch}")
            }
            Failure::Unexpected { expected, got } => write!(f, "waited for {expected}, got {got}"),
            Failure::CloseCode(code) => write!(f, "the peer closed with {code:?}, not 1000"),
        }
    }
}

/// The name of an event, for [`Failure::Unexpected`].
fn name(event: &Event<'_>) -> &'static str {
    match event {
        Event::Data { .. } => "data",
        Event::Ping(_) => "a Ping",
        Event::Pong(_) => "a Pong",
        Event::Close(_) => "a Close",
    }
}

/// Reads the echo of the `len`-byte message that `echo` checks, chunk
/// by chunk (Pings pass), in a flow whose awaits are `[$aw]`; the value
/// is the number of chunks. Returns from the flow on a mismatch or
/// another event.
macro_rules! read_echo {
    ($ws:ident, $echo:ident, $len:expr, [$($aw:tt)?]) => {{
        let mut chunks = 0u32;
        loop {
            match $ws.read() $(.$aw)? ? {
                Event::Data { kind, payload, last, .. } => {
                    chunks += 1;
                    let whole = $echo
                        .chunk(kind, payload, last)
                        .map_err(|mismatch| Failure::Echo { len: $len, mismatch })?;
                    if whole {
                        break chunks;
                    }
                }
                Event::Ping(_) => {}
                other => {
                    let got = name(&other);
                    return Err(Failure::Unexpected { expected: "an echo", got });
                }
            }
        }
    }};
}

/// The client and server flows for one kind of transport: `[]` and
/// `[]` for blocking ones, `[async]` and `[await]` for async ones, with
/// the transport's traits, the functions' names and the adapter's
/// opening functions.
macro_rules! flows {
    (
        [$($async:tt)?] [$($aw:tt)?]
        io: $($io:path),+;
        client: $client:ident, $connect:ident;
        server: $server:ident, $accept:ident;
    ) => {
        /// Connects over `io` (the request names [`HOST`] and [`PATH`]),
        /// sends every text message of [`TEXT_LENS`], the binary message
        /// of [`BINARY_LEN`] bytes in [`PIECE_LEN`]-byte pieces and a Ping
        /// of [`PING`], checks each echo and the Pong byte for byte as
        /// they arrive, then closes with 1000 and waits for the server's
        /// Close. `log` hears of each step.
        ///
        /// # Errors
        ///
        /// The first failure: the socket's, an echo that differs, an
        /// unexpected event, a Close that is not 1000.
        #[allow(clippy::too_many_arguments)]
        pub $($async)? fn $client<T: $($io +)+, K: MaskKeys, C: Clock>(
            io: T,
            keys: K,
            clock: C,
            nonce: [u8; 16],
            rx: &mut [u8],
            tx: &mut [u8],
            log: &mut dyn FnMut(fmt::Arguments<'_>),
        ) -> Result<(), Failure<T::Error>> {
            let request = ClientRequest::new(HOST, PATH);
            let mut ws = Connector::new(keys)
                .with_clock(clock)
                .$connect(io, request, nonce, rx, tx)
                $(.$aw)? ?;
            log(format_args!("connected"));

            let mut text = [0u8; MAX_TEXT_LEN];
            for len in TEXT_LENS {
                let sent = script::text(len, &mut text);
                ws.send_text(sent) $(.$aw)? ?;
                let sent = sent.as_bytes();
                let mut echo = Echo::new(DataKind::Text, len, |i| sent[i]);
                read_echo!(ws, echo, len, [$($aw)?]);
                log(format_args!("text of {len} bytes echoed"));
            }

            let mut piece = [0u8; PIECE_LEN];
            let mut offset = 0;
            while offset < BINARY_LEN {
                let n = PIECE_LEN.min(BINARY_LEN - offset);
                script::binary_piece(offset, &mut piece[..n]);
                offset += n;
                ws.send(DataKind::Binary, &piece[..n], offset == BINARY_LEN) $(.$aw)? ?;
            }
            let len = BINARY_LEN;
            let mut echo = Echo::new(DataKind::Binary, len, script::binary_byte);
            let chunks = read_echo!(ws, echo, len, [$($aw)?]);
            log(format_args!("binary of {len} bytes echoed, read in {chunks} chunks"));

            ws.ping(PING) $(.$aw)? ?;
            loop {
                match ws.read() $(.$aw)? ? {
                    Event::Pong(payload) if payload == PING => break,
                    Event::Ping(_) => {}
                    other => {
                        let got = name(&other);
                        return Err(Failure::Unexpected { expected: "the Pong", got });
                    }
                }
            }
            log(format_args!("Pong of {} bytes", PING.len()));

            ws.close(CloseCode::NORMAL, "") $(.$aw)? ?;
            // The peer's Close ends the closing handshake. A client waits
            // for the server to end the transport next (RFC 6455 section
            // 7.1.1), but a UART has no end to report: the client stops
            // here, as a client on TCP would at its close timeout.
            loop {
                match ws.read() $(.$aw)? ? {
                    Event::Close(frame) if frame.code == Some(CloseCode::NORMAL) => {
                        log(format_args!("closed with 1000"));
                        return Ok(());
                    }
                    Event::Close(frame) => return Err(Failure::CloseCode(frame.code)),
                    Event::Ping(_) => {}
                    other => {
                        let got = name(&other);
                        return Err(Failure::Unexpected { expected: "the Close", got });
                    }
                }
            }
        }

        /// Answers the upgrade request read from `io` and echoes every
        /// message as it arrives, in fragments of [`RX_LEN`] bytes or
        /// more, until the closing handshake completes. Returns the
        /// number of messages echoed. `log` hears of each step.
        ///
        /// # Errors
        ///
        /// The socket's first failure, or a client's Close that is not
        /// 1000.
        pub $($async)? fn $server<T: $($io +)+, C: Clock>(
            io: T,
            clock: C,
            rx: &mut [u8; RX_LEN],
            tx: &mut [u8],
            log: &mut dyn FnMut(fmt::Arguments<'_>),
        ) -> Result<u32, Failure<T::Error>> {
            let mut ws = Acceptor::new().with_clock(clock).$accept(io, &mut rx[..], tx) $(.$aw)? ?;
            log(format_args!("accepted"));
            // Chunks are as small as the transport's reads (a UART gives
            // a few bytes at a time): they are gathered into `pending` and
            // leave as fragments of at least RX_LEN bytes, so that a
            // message is not cut into thousands of frames (Python's
            // `websockets`, for one, refuses more than 4096). A chunk is
            // never larger than the receive buffer, so `pending` always
            // has room for the next one.
            let mut pending = [0u8; 2 * RX_LEN];
            let mut held = 0;
            let mut messages = 0;
            let mut code = None;
            loop {
                match ws.read() $(.$aw)? {
                    Ok(Event::Data { kind, payload, last, .. }) => {
                        pending[held..held + payload.len()].copy_from_slice(payload);
                        held += payload.len();
                        if last || held >= RX_LEN {
                            ws.send(kind, &pending[..held], last) $(.$aw)? ?;
                            held = 0;
                            messages += u32::from(last);
                        }
                    }
                    Ok(Event::Close(frame)) => code = Some(frame.code),
                    Ok(_) => {}
                    Err(Error::Ended(End::Closed)) => {
                        log(format_args!("closed after {messages} messages"));
                        return match code {
                            Some(Some(CloseCode::NORMAL)) => Ok(messages),
                            Some(code) => Err(Failure::CloseCode(code)),
                            None => Err(Failure::Unexpected { expected: "a Close", got: "the end" }),
                        };
                    }
                    Err(error) => return Err(error.into()),
                }
            }
        }
    };
}

flows! {
    [] []
    io: embedded_io::Read, embedded_io::Write;
    client: client, connect;
    server: server, accept;
}

flows! {
    [async] [await]
    io: embedded_io_async::Read, embedded_io_async::Write;
    client: client_async, connect_async;
    server: server_async, accept_async;
}
