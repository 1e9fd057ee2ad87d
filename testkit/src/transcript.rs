//! A reader harness for a [`Connection`]: it feeds received bytes through a
//! bounded reader buffer in any chunking, as an adapter would, checks the
//! `receive` contract on the way, and records what came out as a
//! [`Transcript`] that compares equal however the bytes were cut.

use barews::ProtocolError;
use barews::close::CloseFrame;
use barews::connection::{Connection, DataKind, Event, Received, Role, Side, State};
use barews::frame::{FrameHeader, OpCode, apply_mask};

/// The smallest reader buffer the harness accepts: a whole control frame
/// (125 bytes of payload, a 2-byte header and a 4-byte mask).
pub const MIN_CAPACITY: usize = 131;

/// What came out of a connection, with data chunks merged into messages so
/// that transcripts of different chunkings compare equal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// A complete text message.
    Text(String),
    /// A complete binary message.
    Binary(Vec<u8>),
    /// A Ping and its payload.
    Ping(Vec<u8>),
    /// A Pong and its payload.
    Pong(Vec<u8>),
    /// A Close: its code, if any, and its reason.
    Close(Option<u16>, String),
    /// `receive` failed with this error (the last entry of a transcript).
    Error(ProtocolError),
}

/// Everything a receiving connection did with some input.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Transcript {
    /// The events, in order.
    pub seen: Vec<Seen>,
    /// Every byte `poll_transmit` produced.
    pub sent: Vec<u8>,
}

/// An event copied out of the reader buffer.
enum Owned {
    Data { kind: DataKind, payload: Vec<u8>, first: bool, last: bool },
    Other(Seen),
}

fn owned(event: Event<'_>) -> Owned {
    match event {
        Event::Data { kind, payload, first, last } => {
            Owned::Data { kind, payload: payload.to_vec(), first, last }
        }
        Event::Ping(payload) => Owned::Other(Seen::Ping(payload.to_vec())),
        Event::Pong(payload) => Owned::Other(Seen::Pong(payload.to_vec())),
        Event::Close(close) => {
            Owned::Other(Seen::Close(close.code.map(u16::from), close.reason.to_owned()))
        }
    }
}

/// The cut points that deliver `len` bytes `chunk` bytes at a time.
pub fn every(chunk: usize, len: usize) -> Vec<usize> {
    let chunk = chunk.max(1);
    (chunk..len).step_by(chunk).collect()
}

/// Feeds `wire` to `conn` as a reader would. The network delivers the
/// bytes up to each of the sorted `cuts` in turn (then the rest); the
/// reader copies what has arrived into a buffer of `capacity` bytes (at
/// least [`MIN_CAPACITY`]), calls `receive` until it needs more, drops the
/// consumed bytes and drains `poll_transmit` after every call.
///
/// Along the way it checks the `receive` contract, and fails with what
/// broke: `consumed` stays within the buffer and is not zero for an
/// event, `first`/`last`/`kind` of data chunks are consistent, a completed
/// text message is valid UTF-8, and after an error the connection is
/// closed, has queued exactly the Close the error calls for (see
/// [`check_failure`]) and keeps returning the error.
pub fn read<S: Side>(
    conn: &mut Connection<S>,
    wire: &[u8],
    cuts: &[usize],
    capacity: usize,
) -> Result<Transcript, String> {
    if capacity < MIN_CAPACITY {
        return Err(format!("a reader buffer of {capacity} bytes cannot hold a control frame"));
    }
    let mut transcript = Transcript::default();
    let mut buf = vec![0u8; capacity];
    let (mut filled, mut read, mut arrived) = (0, 0, 0);
    let mut ends = cuts.iter().copied().filter(|&cut| cut <= wire.len()).chain([wire.len()]);
    let mut message: Option<(DataKind, Vec<u8>)> = None;
    loop {
        // Read: wait for the network if everything that arrived is already
        // in the buffer.
        while read == arrived {
            match ends.next() {
                Some(end) => arrived = end,
                None => return Ok(transcript),
            }
        }
        let n = (arrived - read).min(capacity - filled);
        if n == 0 {
            return Err("the reader buffer is full and receive makes no progress".into());
        }
        buf[filled..filled + n].copy_from_slice(&wire[read..read + n]);
        filled += n;
        read += n;
        // Call `receive` until it needs more bytes.
        loop {
            let (consumed, event) = match conn.receive(&mut buf[..filled]) {
                Ok(Received { consumed, event }) => (consumed, event.map(owned)),
                Err(error) => {
                    check_failure(conn, error, &mut transcript.sent, &mut buf[..filled])?;
                    transcript.seen.push(Seen::Error(error));
                    return Ok(transcript);
                }
            };
            if consumed > filled {
                return Err(format!("consumed {consumed} of {filled} bytes"));
            }
            // Otherwise the reader loop would see the same event forever.
            if consumed == 0 && event.is_some() {
                return Err("an event consumed no bytes".into());
            }
            drain(conn, &mut transcript.sent)?;
            buf.copy_within(consumed..filled, 0);
            filled -= consumed;
            match event {
                Some(Owned::Data { kind, payload, first, last }) => {
                    if first != message.is_none() {
                        return Err(format!("first flag {first} inside a message: {message:?}"));
                    }
                    let (started, bytes) = message.get_or_insert((kind, Vec::new()));
                    if *started != kind {
                        return Err(format!(
                            "kind changed inside a message: {started:?} to {kind:?}"
                        ));
                    }
                    bytes.extend_from_slice(&payload);
                    if last {
                        transcript.seen.push(match message.take() {
                            Some((DataKind::Text, bytes)) => Seen::Text(
                                String::from_utf8(bytes)
                                    .map_err(|error| format!("text message: {error}"))?,
                            ),
                            Some((DataKind::Binary, bytes)) => Seen::Binary(bytes),
                            None => unreachable!("the message was just inserted"),
                        });
                    }
                }
                Some(Owned::Other(seen)) => transcript.seen.push(seen),
                None if consumed == 0 => break,
                None => {}
            }
        }
    }
}

/// Drains `poll_transmit` into `sent`, through a [`MIN_CAPACITY`]-byte
/// buffer (which the core documents as always sufficient).
pub fn drain<S: Side>(conn: &mut Connection<S>, sent: &mut Vec<u8>) -> Result<(), String> {
    let mut out = [0u8; MIN_CAPACITY];
    loop {
        let written = conn.poll_transmit(&mut out).map_err(|error| error.to_string())?;
        if written == 0 {
            return Ok(());
        }
        sent.extend_from_slice(&out[..written]);
    }
}

/// Splits bytes written by a connection into frames: headers and unmasked
/// payloads. Every byte must belong to a complete, valid frame.
pub fn frames(mut bytes: &[u8]) -> Result<Vec<(FrameHeader, Vec<u8>)>, String> {
    let mut frames = Vec::new();
    while !bytes.is_empty() {
        let Some((header, header_len)) =
            FrameHeader::decode(bytes).map_err(|error| error.to_string())?
        else {
            return Err("output ends inside a frame header".into());
        };
        let len = usize::try_from(header.payload_len).map_err(|error| error.to_string())?;
        let Some(payload) = bytes.get(header_len..header_len + len) else {
            return Err("output ends inside a frame payload".into());
        };
        let mut payload = payload.to_vec();
        if let Some(key) = header.mask {
            apply_mask(&mut payload, key, 0);
        }
        frames.push((header, payload));
        bytes = &bytes[header_len + len..];
    }
    Ok(frames)
}

/// After `receive` returned `error`: the connection is closed and owes
/// exactly one Close frame (none if `sent` already holds one), masked as
/// its role requires, carrying `error`'s close code and, as its reason,
/// `error`'s description (empty when the core was built without
/// `detailed-errors`); later input, none or fresh, gives the same error.
/// The owed Close is appended to `sent`.
pub fn check_failure<S: Side>(
    conn: &mut Connection<S>,
    error: ProtocolError,
    sent: &mut Vec<u8>,
    rest: &mut [u8],
) -> Result<(), String> {
    let close_already_sent = frames(sent)?.iter().any(|(header, _)| header.opcode == OpCode::Close);
    let mut owed = Vec::new();
    drain(conn, &mut owed)?;
    let owed_frames = frames(&owed)?;
    if close_already_sent {
        if !owed_frames.is_empty() {
            return Err(format!("frames after our Close: {owed_frames:?}"));
        }
    } else {
        let [(header, payload)] = owed_frames.as_slice() else {
            return Err(format!("expected one Close, got {owed_frames:?}"));
        };
        if header.opcode != OpCode::Close {
            return Err(format!("expected a Close, got {header:?}"));
        }
        if header.mask.is_some() != matches!(conn.role(), Role::Client) {
            return Err(format!("a {:?} sent mask {:?}", conn.role(), header.mask));
        }
        let close = CloseFrame::parse(payload).map_err(|error| error.to_string())?;
        let code = close.code.ok_or("a Close without a code")?;
        if code != error.close_code() || !code.is_valid_on_wire() {
            return Err(format!("Close code {code:?} for {error:?}"));
        }
        if !(close.reason == error.as_str() || close.reason.is_empty()) {
            return Err(format!("Close reason {:?} for {error:?}", close.reason));
        }
    }
    sent.extend_from_slice(&owed);
    if conn.state() != State::Closed || conn.failure() != Some(error) {
        return Err(format!("after {error:?}: {:?}, failure {:?}", conn.state(), conn.failure()));
    }
    let mut fresh = [0x82, 0x80, 1, 2, 3, 4];
    let again = [
        ("the same bytes", conn.receive(rest).map(|received| received.consumed)),
        ("no bytes", conn.receive(&mut []).map(|received| received.consumed)),
        ("fresh bytes", conn.receive(&mut fresh).map(|received| received.consumed)),
    ];
    for (what, result) in again {
        if result != Err(error) {
            return Err(format!("{what} after {error:?} gave {result:?}"));
        }
    }
    if conn.has_pending_transmit() {
        return Err(format!("bytes to send after {error:?} and its Close"));
    }
    Ok(())
}
