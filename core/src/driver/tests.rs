use super::*;
use crate::close::CloseCode;
use crate::config::Config;
use crate::connection::Server;
use crate::time::Duration;
use barews_testkit::client_frame;
use std::vec;
use std::vec::Vec;

/// An event with its bytes copied out.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Owned {
    Data { kind: DataKind, payload: Vec<u8>, first: bool, last: bool },
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(Option<CloseCode>, Vec<u8>),
}

fn own(event: Event<'_>) -> Owned {
    match event {
        Event::Data { kind, payload, first, last } => {
            Owned::Data { kind, payload: payload.to_vec(), first, last }
        }
        Event::Ping(p) => Owned::Ping(p.to_vec()),
        Event::Pong(p) => Owned::Pong(p.to_vec()),
        Event::Close(frame) => Owned::Close(frame.code, frame.reason.as_bytes().to_vec()),
    }
}

/// What a driver did with a scripted transport.
#[derive(Debug, Default, PartialEq, Eq)]
struct Transcript {
    events: Vec<Owned>,
    written: Vec<u8>,
    /// Bytes written before each shutdown, and how many shutdowns.
    shutdown_at: Vec<usize>,
    end: Option<End>,
}

/// Runs `driver` over `input`, read at most `read` bytes at a time and
/// written at most `write` bytes at a time, until it ends. `on_event`
/// may send through the driver.
fn run<S: Side, B: Buffer>(
    driver: &mut Driver<S, B>,
    mut input: &[u8],
    read: usize,
    write: usize,
    mut on_event: impl FnMut(&mut Driver<S, B>, &Owned, &mut Vec<u8>),
) -> Transcript {
    let mut t = Transcript::default();
    for _ in 0..100_000 {
        match driver.poll(&mut || Instant::ZERO) {
            Ok(Action::Event(at)) => {
                let event = own(driver.event(at));
                on_event(driver, &event, &mut t.written);
                t.events.push(event);
            }
            Ok(Action::Write) => {
                let n = driver.pending().len().min(write);
                t.written.extend_from_slice(&driver.pending()[..n]);
                driver.wrote(n);
            }
            Ok(Action::Read { .. }) => {
                let spare = driver.spare();
                let n = input.len().min(spare.len()).min(read);
                spare[..n].copy_from_slice(&input[..n]);
                input = &input[n..];
                if n == 0 {
                    driver.ended();
                } else {
                    driver.filled(n);
                }
            }
            Ok(Action::Shutdown) => t.shutdown_at.push(t.written.len()),
            Err(end) => {
                t.end = Some(end);
                return t;
            }
        }
    }
    panic!("the driver did not finish: {t:?}");
}

fn server(rx: usize, tx: usize) -> Driver<Server, Vec<u8>> {
    server_with(Config::new(), rx, tx)
}

fn server_with(config: Config, rx: usize, tx: usize) -> Driver<Server, Vec<u8>> {
    Driver::with_limits(
        Connection::server(config),
        vec![0; rx],
        vec![0; tx],
        Vec::new(),
        Limits::new(rx, tx),
    )
    .unwrap()
}

#[test]
fn buffers_under_a_control_frame_are_refused() {
    let (mut rx, mut tx) = ([0u8; MIN_BUFFER - 1], [0u8; MIN_BUFFER]);
    let made = Driver::new(Connection::server(Config::new()), &mut rx[..], &mut tx[..]);
    assert_eq!(made.err(), Some(BufferTooSmall { required: MIN_BUFFER }));
}

#[test]
fn a_server_writes_the_close_reply_then_ends_the_transport_before_handing_out_the_close() {
    let mut input = client_frame(0x81, b"hi");
    input.extend(client_frame(0x88, &[0x03, 0xe8, b'b', b'y', b'e']));
    let mut driver = server(256, 256);
    let t = run(&mut driver, &input, usize::MAX, usize::MAX, |_, _, _| {});
    assert_eq!(
        t.events,
        [
            Owned::Data { kind: DataKind::Text, payload: b"hi".to_vec(), first: true, last: true },
            Owned::Close(Some(CloseCode::NORMAL), b"bye".to_vec()),
        ]
    );
    assert_eq!(t.written, [0x88, 0x02, 0x03, 0xe8]);
    // Shut once, after the reply was written, and before the Close event
    // was handed out (the transcript records it before the end).
    assert_eq!(t.shutdown_at, [4]);
    assert_eq!(t.end, Some(End::Closed));
}

#[test]
fn a_client_waits_for_the_server_to_end_the_transport_after_the_closing_handshake() {
    let mut conn = Connection::client(Config::new(), || [9, 9, 9, 9]);
    conn.close(CloseCode::NORMAL, "").unwrap();
    let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
    let mut driver = Driver::new(conn, &mut rx[..], &mut tx[..]).unwrap();
    // The server's Close, then bytes it should not have sent, then EOF.
    let input = [0x88, 0x02, 0x03, 0xe8, 0x81, 0x01, b'x'];
    let t = run(&mut driver, &input, 3, usize::MAX, |_, _, _| {});
    assert_eq!(t.events, [Owned::Close(Some(CloseCode::NORMAL), Vec::new())]);
    // The Close went out masked; the client shut down only after EOF.
    assert_eq!(&t.written[..2], [0x88, 0x82]);
    assert_eq!(t.shutdown_at, [t.written.len()]);
    assert_eq!(t.end, Some(End::Closed));
    assert!(driver.input().is_ended());
}

#[test]
fn a_client_gives_up_waiting_for_the_server_after_the_close_timeout() {
    let config = Config::new().with_close_timeout(Duration::from_millis(500));
    let mut conn = Connection::client(config, || [0; 4]);
    conn.close(CloseCode::NORMAL, "").unwrap();
    let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
    let mut driver = Driver::new(conn, &mut rx[..], &mut tx[..]).unwrap();
    let mut wrote = 0;
    let mut reads = 0;
    let mut now = Instant::from_millis(1000);
    let end = loop {
        match driver.poll(&mut || now) {
            Ok(Action::Write) => {
                wrote += driver.pending().len();
                driver.wrote(wrote);
            }
            Ok(Action::Read { deadline }) if reads == 0 => {
                // The server's Close arrives.
                reads += 1;
                assert!(deadline.is_some());
                driver.spare()[..4].copy_from_slice(&[0x88, 0x02, 0x03, 0xe8]);
                driver.filled(4);
            }
            Ok(Action::Read { deadline }) => {
                // Then nothing: the caller wakes up at the deadline.
                reads += 1;
                let deadline = deadline.expect("a close deadline");
                assert_eq!(deadline, Instant::from_millis(1500));
                now = deadline;
            }
            Ok(Action::Shutdown) => assert_eq!(now, Instant::from_millis(1500)),
            Ok(_) => {}
            Err(end) => break end,
        }
        assert!(reads < 10, "no end");
    };
    assert_eq!(end, End::Closed);
}

#[test]
fn a_protocol_error_writes_its_close_ends_the_transport_and_stays() {
    // An unmasked frame from a client.
    let input = [0x81, 0x02, b'h', b'i'];
    let mut driver = server(256, 256);
    let t = run(&mut driver, &input, usize::MAX, usize::MAX, |_, _, _| {});
    assert!(t.events.is_empty());
    assert_eq!(&t.written[..4], [0x88, t.written[1], 0x03, 0xea]);
    assert_eq!(t.shutdown_at, [t.written.len()]);
    let end = Some(End::Protocol(ProtocolError::UnmaskedFrame));
    assert_eq!(t.end, end);
    assert_eq!(driver.poll(&mut crate::time::NoClock).err(), end);
    assert_eq!(driver.send(DataKind::Text, b"late", true), Err(SendError::Closed));
}

#[test]
fn the_transport_ending_before_the_closing_handshake_is_an_abnormal_closure() {
    // A whole message, then half a frame.
    let mut input = client_frame(0x82, b"ok");
    input.extend(&client_frame(0x82, b"cut")[..4]);
    let mut driver = server(256, 256);
    let t = run(&mut driver, &input, usize::MAX, usize::MAX, |_, _, _| {});
    assert_eq!(t.events.len(), 1);
    assert_eq!(t.shutdown_at.len(), 1);
    assert_eq!(t.end, Some(End::AbnormalClosure));
}

#[test]
fn pongs_are_written_before_the_driver_waits_for_more_input() {
    let mut input = client_frame(0x89, b"p1");
    input.extend(client_frame(0x82, b"data"));
    let mut driver = server(256, 256);
    let t = run(&mut driver, &input, usize::MAX, usize::MAX, |_, _, _| {});
    assert_eq!(t.events[0], Owned::Ping(b"p1".to_vec()));
    assert_eq!(&t.written[..4], [0x8a, 0x02, b'p', b'1']);
    assert_eq!(t.end, Some(End::AbnormalClosure));
}

/// Sends `payload` as a whole message, writing pending bytes out (into
/// `wire`) whenever the send buffer fills.
fn send_all<S: Side, B: Buffer>(
    driver: &mut Driver<S, B>,
    kind: DataKind,
    payload: &[u8],
    wire: &mut Vec<u8>,
) {
    let mut rest = payload;
    loop {
        let queued = driver.send(kind, rest, true).unwrap();
        rest = &rest[queued.taken..];
        if queued.complete {
            return;
        }
        wire.extend_from_slice(driver.pending());
        let n = driver.pending().len();
        driver.wrote(n);
    }
}

#[test]
fn a_message_larger_than_the_send_buffer_streams_through_it_in_frames() {
    let text = "große Grüße ".repeat(400);
    let config = Config::new().with_fragment_size(Some(1000));
    let mut server = server_with(config, 256, 256);
    let mut wire = Vec::new();
    let mut rest = text.as_bytes();
    loop {
        let queued = server.send(DataKind::Text, rest, true).unwrap();
        rest = &rest[queued.taken..];
        wire.extend_from_slice(server.pending());
        let n = server.pending().len();
        server.wrote(n);
        if queued.complete {
            break;
        }
    }
    // Read back by a client: frames of 1000 bytes, one text message.
    let mut client = Driver::with_limits(
        Connection::client(Config::new(), || [0; 4]),
        vec![0; 4096],
        vec![0; 256],
        Vec::new(),
        Limits::new(4096, 256),
    )
    .unwrap();
    let t = run(&mut client, &wire, 4096, usize::MAX, |_, _, _| {});
    let mut message = Vec::new();
    for event in &t.events {
        let Owned::Data { kind: DataKind::Text, payload, .. } = event else { panic!() };
        message.extend_from_slice(payload);
    }
    assert_eq!(message, text.as_bytes());
    assert_eq!(wire[0], 0x01, "the first frame is a non-final text frame");
    assert_eq!(u16::from_be_bytes([wire[2], wire[3]]), 1000);
}

#[test]
fn invalid_text_is_refused_before_any_of_it_is_queued() {
    let mut driver = server(256, 256);
    let mut bad = "é".repeat(300).into_bytes();
    bad[599] = b'x';
    assert_eq!(driver.send(DataKind::Text, &bad, true), Err(SendError::InvalidUtf8));
    assert!(driver.pending().is_empty());
    // A piece may end inside a character; the message's end may not.
    let queued = driver.send(DataKind::Text, &[0xc3], false).unwrap();
    assert!(queued.complete);
    assert_eq!(driver.send(DataKind::Text, &[], true), Err(SendError::InvalidUtf8));
    assert_eq!(driver.send(DataKind::Text, &[0xa9], true).map(|q| q.complete), Ok(true));
    assert_eq!(driver.pending(), [0x01, 0x01, 0xc3, 0x80, 0x01, 0xa9]);
}

#[test]
fn a_pong_owed_while_a_message_streams_out_goes_between_its_frames() {
    let config = Config::new().with_fragment_size(Some(200));
    let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
    let mut driver = Driver::new(Connection::server(config), &mut rx[..], &mut tx[..]).unwrap();
    let payload = vec![7u8; 600];
    let first = driver.send(DataKind::Binary, &payload, true).unwrap();
    assert!(!first.complete);
    let mut wire = driver.pending().to_vec();
    let n = driver.pending().len();
    driver.wrote(n);
    // A Ping arrives while the message is part-way out.
    let ping = client_frame(0x89, b"?");
    driver.spare()[..ping.len()].copy_from_slice(&ping);
    driver.filled(ping.len());
    assert!(matches!(driver.poll(&mut crate::time::NoClock), Ok(Action::Event(_))));
    let mut rest = &payload[first.taken..];
    loop {
        let queued = driver.send(DataKind::Binary, rest, true).unwrap();
        rest = &rest[queued.taken..];
        wire.extend_from_slice(driver.pending());
        let n = driver.pending().len();
        driver.wrote(n);
        if queued.complete {
            break;
        }
    }
    // Frames: 200 bytes (binary), Pong, 200, 200: the Pong sits between
    // whole frames.
    let at = wire.windows(3).position(|w| w == [0x8a, 0x01, b'?']).expect("a Pong");
    assert_eq!(at % 204, 0, "the Pong starts where a frame ended");
    assert_eq!(wire.len(), 3 * 204 + 3);
}

#[test]
fn a_growable_receive_buffer_doubles_up_to_its_limit_while_reads_fill_it() {
    let message = vec![5u8; 3000];
    let input = client_frame(0x82, &message);
    let mut driver = Driver::with_limits(
        Connection::server(Config::new()),
        vec![0; 200],
        vec![0; 200],
        Vec::new(),
        Limits::new(800, 200),
    )
    .unwrap();
    let t = run(&mut driver, &input, usize::MAX, usize::MAX, |_, _, _| {});
    let got: usize = t
        .events
        .iter()
        .map(|e| match e {
            Owned::Data { payload, .. } => payload.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(got, 3000);
    assert_eq!(driver.input_mut().spare().len() + driver.input().unread().len(), 800);
}

#[test]
fn echoing_through_slices_writes_the_same_bytes_at_every_read_and_write_size() {
    let mut input = client_frame(0x01, "Grü".as_bytes());
    input.extend(client_frame(0x89, b"ping"));
    input.extend(client_frame(0x80, "ße".as_bytes()));
    input.extend(client_frame(0x82, &[1u8; 300]));
    input.extend(client_frame(0x88, &[0x03, 0xe8]));
    let mut expected: Option<Transcript> = None;
    for read in [1, 2, 7, 64, usize::MAX] {
        for write in [1, 5, usize::MAX] {
            let (mut rx, mut tx) = ([0u8; 140], [0u8; 140]);
            let mut driver =
                Driver::new(Connection::server(Config::new()), &mut rx[..], &mut tx[..]).unwrap();
            // Echo each whole message, writing out what fills the send
            // buffer on the way.
            let mut message = Vec::new();
            let t = run(&mut driver, &input, read, write, |driver, event, wire| {
                if let Owned::Data { kind, payload, last, .. } = event {
                    message.extend_from_slice(payload);
                    if *last {
                        send_all(driver, *kind, &message, wire);
                        message.clear();
                    }
                }
            });
            match &expected {
                None => expected = Some(t),
                Some(first) => {
                    assert_eq!(t.written, first.written, "read {read} write {write}");
                    assert_eq!(t.end, first.end);
                }
            }
        }
    }
    let t = expected.unwrap();
    assert_eq!(t.end, Some(End::Closed));
    // The Pong, the two echoes and the Close reply, with no frame cut.
    let mut wire = vec![0x8a, 0x04];
    wire.extend_from_slice(b"ping");
    wire.extend_from_slice(&[0x81, 0x07]);
    wire.extend_from_slice("Grüße".as_bytes());
    wire.extend_from_slice(&[0x82, 0x7e, 0x01, 0x2c]);
    wire.extend_from_slice(&[1u8; 300]);
    wire.extend_from_slice(&[0x88, 0x02, 0x03, 0xe8]);
    assert_eq!(t.written, wire);
}

#[cfg(feature = "deflate")]
#[test]
fn an_inflated_chunk_is_lent_from_the_window() {
    use crate::deflate::DeflateConfig;
    let params =
        DeflateConfig::new().accept_offer(["permessage-deflate; client_max_window_bits"]).unwrap();
    let mut sender = Connection::client(Config::new(), || [3; 4]).with_deflate(params);
    let text = "compress me ".repeat(50);
    let mut wire = vec![0u8; 1024];
    let mut compressor = crate::deflate::Compressor::new(15, 1, crate::deflate::Context::Kept);
    let n = sender.send_with(DataKind::Text, text.as_bytes(), &mut wire, &mut compressor).unwrap();
    wire.truncate(n);
    assert_ne!(wire[0] & 0x40, 0, "RSV1: compressed");
    let conn = Connection::server(Config::new()).with_deflate(params);
    let window = vec![0u8; conn.inflate_window_size()];
    let mut driver =
        Driver::with_limits(conn, vec![0; 256], vec![0; 256], window, Limits::FIXED).unwrap();
    let t = run(&mut driver, &wire, usize::MAX, usize::MAX, |_, _, _| {});
    let mut message = Vec::new();
    for event in &t.events {
        let Owned::Data { payload, .. } = event else { panic!() };
        message.extend_from_slice(payload);
    }
    assert_eq!(message, text.as_bytes());
}

#[cfg(feature = "deflate")]
#[test]
fn the_inflate_window_is_held_only_while_the_peers_context_lasts() {
    use crate::deflate::{Compressor, Context, DeflateConfig};
    for peer_resets in [false, true] {
        let offer = "permessage-deflate; client_max_window_bits";
        let config = DeflateConfig::new().with_client_no_context_takeover(peer_resets);
        let params = config.accept_offer([offer]).unwrap();
        let mut sender = Connection::client(Config::new(), || [3; 4]).with_deflate(params);
        let mut compressor = Compressor::new(15, 1, Context::Reset);
        let text = "compress me ".repeat(50);
        let mut wire = vec![0u8; 1024];
        let n =
            sender.send_with(DataKind::Text, text.as_bytes(), &mut wire, &mut compressor).unwrap();
        wire.truncate(n);
        let conn = Connection::server(Config::new()).with_deflate(params);
        // Growable storage, empty to start with.
        let mut driver =
            Driver::with_limits(conn, vec![0; 256], vec![0; 256], Vec::new(), Limits::FIXED)
                .unwrap();
        assert!(!driver.input().holds_inflate_state());
        // One compressed message, then a plain one that makes the driver
        // poll again after the first is handed out.
        wire.extend_from_slice(&[0x81, 0x80, 0, 0, 0, 0]);
        let t = run(&mut driver, &wire, usize::MAX, usize::MAX, |_, _, _| {});
        let mut received = Vec::new();
        for event in &t.events {
            let Owned::Data { payload, .. } = event else { panic!() };
            received.extend_from_slice(payload);
        }
        assert_eq!(received, text.as_bytes());
        assert_eq!(
            driver.input().holds_inflate_state(),
            !peer_resets,
            "peer resets: {peer_resets}"
        );
    }
}

#[test]
fn a_server_sends_a_payload_in_place_behind_a_queued_header_and_a_client_does_not() {
    let mut driver = server(256, 256);
    driver.conn_mut().ping(b"p").unwrap();
    let payload = vec![9u8; 1000];
    let output = &mut driver.output;
    assert_eq!(
        output.send_message_in_place(&mut driver.conn, DataKind::Binary, &payload),
        Ok(true)
    );
    // The owed Ping, then only the header: the payload is the caller's to
    // write right after it.
    assert_eq!(driver.pending(), [0x89, 0x01, b'p', 0x82, 0x7E, 0x03, 0xE8]);
    // Text is still checked first.
    let output = &mut driver.output;
    let bad = [0xFFu8; 20];
    assert_eq!(
        output.send_in_place(&mut driver.conn, DataKind::Text, &bad, true),
        Err(SendError::InvalidUtf8)
    );
    // A client masks: its payloads are never sent in place.
    let mut client = Driver::with_limits(
        Connection::client(Config::new(), || [1, 2, 3, 4]),
        vec![0; 256],
        vec![0; 256],
        Vec::new(),
        Limits::new(256, 256),
    )
    .unwrap();
    let output = &mut client.output;
    assert_eq!(output.send_in_place(&mut client.conn, DataKind::Binary, &payload, true), Ok(false));
    assert!(client.pending().is_empty());
}

#[cfg(feature = "deflate")]
#[test]
fn a_compressed_message_too_large_for_fixed_storage_goes_uncompressed_in_pieces() {
    use crate::deflate::{Compressor, Context, DeflateConfig};
    let params =
        DeflateConfig::new().accept_offer(["permessage-deflate; client_max_window_bits"]).unwrap();
    let conn = Connection::server(Config::new()).with_deflate(params);
    let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
    let mut driver = Driver::new(conn, &mut rx[..], &mut tx[..]).unwrap();
    let mut compressor = Compressor::new(15, 1, Context::Kept);
    // Random bytes do not compress; 600 of them cannot fit 256 bytes.
    let mut seed = 7u32;
    let payload: Vec<u8> = (0..600)
        .map(|_| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            seed.to_le_bytes()[2]
        })
        .collect();
    let mut wire = Vec::new();
    let mut rest = &payload[..];
    loop {
        let queued = driver.send_with(DataKind::Binary, rest, true, &mut compressor).unwrap();
        rest = &rest[queued.taken..];
        wire.extend_from_slice(driver.pending());
        let n = driver.pending().len();
        driver.wrote(n);
        if queued.complete {
            break;
        }
    }
    assert_eq!(wire[0] & 0x40, 0, "not compressed: no RSV1");
    let mut client = Connection::client(Config::new(), || [0; 4]).with_deflate(params);
    let mut received = Vec::new();
    let mut at = 0;
    while at < wire.len() {
        let r = client.receive(&mut wire[at..]).unwrap();
        at += r.consumed;
        if let Some(Event::Data { payload, .. }) = r.event {
            received.extend_from_slice(payload);
        }
    }
    assert_eq!(received, payload);
}

/// Large messages through a growable send buffer (the compressor gets room
/// for blocks of their own codes) arrive intact, message after message.
#[cfg(feature = "deflate")]
#[test]
fn large_compressed_messages_through_a_growable_buffer_round_trip() {
    use crate::deflate::{Compressor, Context, DeflateConfig, Inflater};
    let params =
        DeflateConfig::new().accept_offer(["permessage-deflate; client_max_window_bits"]).unwrap();
    let conn = Connection::server(Config::new()).with_deflate(params);
    let mut driver = Driver::with_limits(
        conn,
        vec![0; 4096],
        Vec::new(),
        Vec::new(),
        Limits::new(1 << 20, 64 * 1024),
    )
    .unwrap();
    let mut compressor = Compressor::new(15, 1, Context::Kept);
    let mut client = Connection::client(Config::new(), || [0; 4]).with_deflate(params);
    let (mut inflater, mut window) = (Inflater::new(), vec![0u8; 1 << 15]);
    let mut seed = 5u32;
    for round in 0..60 {
        let len = 65536;
        let payload: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                b"abcdefgh ijklmn"[seed as usize % 15]
            })
            .collect();
        let q = driver.send_message_with(DataKind::Binary, &payload, &mut compressor).unwrap();
        assert!(q.complete);
        let mut wire = driver.pending().to_vec();
        let n = wire.len();
        driver.wrote(n);
        let mut got = Vec::new();
        let mut at = 0;
        loop {
            let r = client.receive_inflating(&mut wire[at..], &mut inflater, &mut window).unwrap();
            at += r.consumed;
            if let Some(Event::Data { payload, last, .. }) = r.event {
                got.extend_from_slice(payload);
                if last {
                    break;
                }
            } else if r.consumed == 0 {
                break;
            }
        }
        assert_eq!(got.len(), payload.len(), "round {round}");
        assert!(got == payload, "round {round}");
    }
}

#[test]
fn storage_swapped_out_between_reads_changes_no_event() {
    // Two whole frames, then one cut across reads: the buffer is swapped
    // for empty storage whenever it is drained, as a server with a buffer
    // pool does before each wait.
    let mut input = client_frame(0x81, b"first");
    input.extend(client_frame(0x82, &[7; 40]));
    input.extend(client_frame(0x81, "third, cut across reads".as_bytes()));
    let plain = run(&mut server(256, 256), &input, 7, usize::MAX, |_, _, _| {});

    let mut driver = server(256, 256);
    let (mut swapped, mut refused) = (0, 0);
    let mut rest = &input[..];
    let mut events = Vec::new();
    for _ in 0..1000 {
        match driver.poll(&mut || Instant::ZERO) {
            Ok(Action::Event(at)) => events.push(own(driver.event(at))),
            Ok(Action::Read { .. }) => {
                let drained = driver.input().is_drained();
                let replaced = driver.input_mut().replace_buffer(Vec::new());
                assert_eq!(replaced.is_ok(), drained);
                if replaced.is_ok() {
                    swapped += 1;
                } else {
                    refused += 1;
                }
                let spare = driver.spare();
                assert!(!spare.is_empty(), "empty storage grows for the read");
                let n = rest.len().min(spare.len()).min(7);
                spare[..n].copy_from_slice(&rest[..n]);
                rest = &rest[n..];
                if n == 0 {
                    driver.ended();
                } else {
                    driver.filled(n);
                }
            }
            Ok(Action::Write) => {
                let n = driver.pending().len();
                driver.wrote(n);
            }
            Ok(Action::Shutdown) => {}
            Err(_) => break,
        }
    }
    assert_eq!(events, plain.events);
    // Reads of 7 bytes cut frame heads (kept) as well as payloads (handed
    // out as chunks, so the buffer is drained).
    assert!(swapped >= 3, "swapped {swapped} times");
    assert!(refused > 0, "a read that cut a frame's head kept its storage");
}

#[test]
fn storage_is_kept_while_a_frame_head_is_cut() {
    let frame = client_frame(0x82, &[3; 20]);
    let mut driver = server(256, 256);
    assert!(matches!(driver.poll(&mut || Instant::ZERO), Ok(Action::Read { .. })));
    // Three of the head's six bytes.
    driver.spare()[..3].copy_from_slice(&frame[..3]);
    driver.filled(3);
    assert!(matches!(driver.poll(&mut || Instant::ZERO), Ok(Action::Read { .. })));
    assert!(!driver.input().is_drained());
    let given = driver.input_mut().replace_buffer(vec![0; 300]);
    assert_eq!(given.map_err(|b| b.len()), Err(300), "the new storage comes back");
    driver.spare()[..frame.len() - 3].copy_from_slice(&frame[3..]);
    driver.filled(frame.len() - 3);
    let Ok(Action::Event(at)) = driver.poll(&mut || Instant::ZERO) else { panic!() };
    assert_eq!(
        own(driver.event(at)),
        own(Event::Data { kind: DataKind::Binary, payload: &[3; 20], first: true, last: true })
    );
}

#[test]
fn fixed_storage_too_small_for_a_control_frame_is_not_swapped_in() {
    let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
    let (mut small_rx, mut small_tx) = ([0u8; MIN_BUFFER - 1], [0u8; MIN_BUFFER - 1]);
    let mut driver =
        Driver::new(Connection::server(Config::new()), &mut rx[..], &mut tx[..]).unwrap();
    assert!(driver.input_mut().replace_buffer(&mut small_rx[..]).is_err());
    assert!(driver.output_mut().replace_buffer(&mut small_tx[..]).is_err());
}

#[test]
fn send_storage_swaps_only_when_written_out_and_grows_from_empty() {
    let mut driver = server(256, 256);
    assert!(driver.send_message(DataKind::Text, b"queued").unwrap().complete);
    assert!(driver.output_mut().replace_buffer(Vec::new()).is_err(), "bytes are pending");
    let n = driver.pending().len();
    driver.wrote(n);
    let old = driver.output_mut().replace_buffer(Vec::new()).unwrap();
    assert_eq!(old.len(), 256);
    assert!(driver.send_message(DataKind::Text, b"after the swap").unwrap().complete);
    assert_eq!(driver.pending(), &[&[0x81, 14][..], b"after the swap"].concat()[..]);
}
