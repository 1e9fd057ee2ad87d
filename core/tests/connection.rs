//! Scenario tests of the connection: RFC 6455's examples, every protocol
//! violation with the Close it queues, the closing handshake, sending, and
//! timers. Every received scenario is also fed one byte at a time and in
//! several other chunk sizes, and must give the same transcript.

use barews::close::CloseCode;
use barews::config::Config;
use barews::connection::*;
use barews::frame::{FrameHeader, OpCode, apply_mask};
use barews::time::{Duration, Instant};
use barews::{BufferTooSmall, ProtocolError};

use barews_testkit::transcript::{self, Seen, Transcript, every, read};
use barews_testkit::{KEY, client_frame, frame};

/// Feeds `input` to `conn` `chunk` bytes per read through a reader buffer
/// of `buf_len` bytes, checking the `receive` contract on the way.
fn feed_with<S: Side>(
    conn: &mut Connection<S>,
    input: &[u8],
    chunk: usize,
    buf_len: usize,
) -> Transcript {
    read(conn, input, &every(chunk, input.len()), buf_len).unwrap()
}

fn feed<S: Side>(conn: &mut Connection<S>, input: &[u8]) -> Transcript {
    feed_with(conn, input, usize::MAX, 1 << 20)
}

fn drain<S: Side>(conn: &mut Connection<S>, sent: &mut Vec<u8>) {
    transcript::drain(conn, sent).unwrap();
}

/// Runs the same input through fresh connections at every chunking of
/// interest and checks the transcripts agree; returns it.
fn transcript<S: Side>(make: impl Fn() -> Connection<S>, input: &[u8]) -> Transcript {
    let whole = feed(&mut make(), input);
    for chunk in [1, 2, 3, 5, 7, 13, 64] {
        assert_eq!(feed_with(&mut make(), input, chunk, 1 << 20), whole, "chunk size {chunk}");
    }
    // A small reader buffer (the control-frame minimum) streams data too.
    assert_eq!(feed_with(&mut make(), input, 4096, 131), whole, "131-byte buffer");
    whole
}

fn server() -> Connection<Server> {
    Connection::server(Config::new())
}

fn client() -> Connection<Client<impl FnMut() -> [u8; 4]>> {
    Connection::client(Config::new(), || KEY)
}

/// The Close frames' codes in the bytes a connection sent.
fn close_code_sent(sent: &[u8]) -> Option<u16> {
    close_sent(sent).map(|(code, _)| code)
}

/// The code and reason of the Close at the start of `sent`.
fn close_sent(sent: &[u8]) -> Option<(u16, Vec<u8>)> {
    let (header, len) = FrameHeader::decode(sent).ok()??;
    let mut payload = sent.get(len..len + usize::try_from(header.payload_len).ok()?)?.to_vec();
    if let Some(key) = header.mask {
        apply_mask(&mut payload, key, 0);
    }
    (header.opcode == OpCode::Close && payload.len() >= 2)
        .then(|| (u16::from_be_bytes([payload[0], payload[1]]), payload[2..].to_vec()))
}

// RFC 6455 section 5.7's examples.

#[test]
fn rfc_masked_hello_reaches_a_server() {
    let input = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
    assert_eq!(transcript(server, &input).seen, [Seen::Text("Hello".into())]);
}

#[test]
fn rfc_unmasked_hello_and_fragments_reach_a_client() {
    let single = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    assert_eq!(transcript(client, &single).seen, [Seen::Text("Hello".into())]);
    let fragmented = [0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f];
    assert_eq!(transcript(client, &fragmented).seen, [Seen::Text("Hello".into())]);
}

#[test]
fn rfc_ping_gets_the_exact_pong() {
    // Unmasked Ping "Hello" to a client: its Pong is masked.
    let ping = [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    let t = transcript(client, &ping);
    assert_eq!(t.seen, [Seen::Ping(b"Hello".to_vec())]);
    assert_eq!(t.sent, [0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    // Masked Ping to a server: its Pong is RFC 6455's unmasked Pong.
    let t = transcript(server, &client_frame(0x89, b"Hello"));
    assert_eq!(t.sent, [0x8a, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
}

#[test]
fn rfc_256_byte_and_64_kib_binary_headers_are_sent() {
    let mut out = vec![0u8; 70_000];
    let payload = vec![0xAB; 65536];
    let n = server().send(DataKind::Binary, &payload[..256], &mut out).unwrap();
    assert_eq!((&out[..4], n), (&[0x82, 0x7E, 0x01, 0x00][..], 260));
    let n = server().send(DataKind::Binary, &payload, &mut out).unwrap();
    assert_eq!(&out[..10], [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0]);
    assert_eq!(n, 65546);
    // And they decode.
    let t = transcript(client, &out[..n]);
    assert_eq!(t.seen, [Seen::Binary(payload)]);
}

#[test]
fn control_frames_between_fragments_are_handed_out_in_order() {
    let mut input = client_frame(0x01, b"fragment one, ");
    input.extend(client_frame(0x89, b"p1"));
    input.extend(client_frame(0x00, b"two, "));
    input.extend(client_frame(0x8A, b"unsolicited"));
    input.extend(client_frame(0x80, "three ✓".as_bytes()));
    input.extend(client_frame(0x82, &[1, 2, 3]));
    let t = transcript(server, &input);
    assert_eq!(
        t.seen,
        [
            Seen::Ping(b"p1".to_vec()),
            Seen::Pong(b"unsolicited".to_vec()),
            Seen::Text("fragment one, two, three ✓".into()),
            Seen::Binary(vec![1, 2, 3]),
        ]
    );
    assert_eq!(t.sent, [0x8a, 0x02, b'p', b'1']);
}

#[test]
fn empty_messages_and_empty_fragments_are_delivered() {
    let mut input = client_frame(0x81, b"");
    input.extend(client_frame(0x02, b""));
    input.extend(client_frame(0x00, b""));
    input.extend(client_frame(0x80, b"x"));
    input.extend(client_frame(0x01, b"y"));
    input.extend(client_frame(0x80, b""));
    let t = transcript(server, &input);
    assert_eq!(
        t.seen,
        [Seen::Text(String::new()), Seen::Binary(b"x".to_vec()), Seen::Text("y".into())]
    );
}

#[test]
fn a_large_message_streams_through_a_small_buffer() {
    let payload: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let input = client_frame(0x82, &payload);
    let mut conn = server();
    let t = feed_with(&mut conn, &input, 4096, 4096);
    assert_eq!(t.seen, [Seen::Binary(payload)]);
}

/// 20 000 bytes of ASCII text with `tail` written at `at`.
fn long_text_with(at: usize, tail: &[u8]) -> Vec<u8> {
    let mut text: Vec<u8> = (0..20_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    text[at..at + tail.len()].copy_from_slice(tail);
    text
}

#[test]
fn large_text_frames_validate_across_internal_block_boundaries() {
    // Code points straddling the 8 KiB blocks text is unmasked and
    // checked in, with pure ASCII before and after them.
    for at in [8190, 8191, 8192, 16_382, 16_383] {
        let text = long_text_with(at, "€".as_bytes());
        let expected = String::from_utf8(text.clone()).unwrap();
        for chunk in [usize::MAX, 5000, 8193] {
            let t = feed_with(&mut server(), &client_frame(0x81, &text), chunk, 1 << 16);
            assert_eq!(t.seen, [Seen::Text(expected.clone())], "at {at} chunk {chunk}");
        }
    }
}

#[test]
fn a_block_of_ascii_after_a_cut_code_point_still_fails_with_1007() {
    // The block before 8192 ends with the lead byte of "€"; the next block
    // is all ASCII, so the code point never completes.
    for (at, tail) in [(8191, &b"\xE2"[..]), (8190, &b"\xE2\x82"[..]), (8191, &b"\xF0"[..])] {
        let text = long_text_with(at, tail);
        for chunk in [usize::MAX, 8192 + 6] {
            let t = feed_with(&mut server(), &client_frame(0x81, &text), chunk, 1 << 16);
            assert_eq!(t.seen, [Seen::Error(ProtocolError::InvalidUtf8)], "at {at}");
            assert_eq!(close_code_sent(&t.sent), Some(1007));
        }
    }
    // A lead byte ending one block, an ASCII block, then continuation
    // bytes opening the next: they must not be taken to complete it.
    let mut text = long_text_with(8191, b"\xE2");
    text[16_384..16_386].copy_from_slice(b"\x82\xAC");
    let t = feed(&mut server(), &client_frame(0x81, &text));
    assert_eq!(t.seen, [Seen::Error(ProtocolError::InvalidUtf8)]);
    // And an invalid byte deep in the third block.
    let t = feed(&mut server(), &client_frame(0x81, &long_text_with(17_000, b"\xFF")));
    assert_eq!(t.seen, [Seen::Error(ProtocolError::InvalidUtf8)]);
}

// Every violation: the error, the Close queued with its code, and
// stickiness.

fn violation<S: Side>(make: impl Fn() -> Connection<S>, input: &[u8], error: ProtocolError) {
    let t = transcript(&make, input);
    assert_eq!(t.seen.last(), Some(&Seen::Error(error)), "{t:?}");
    let code = error.close_code().0;
    assert_eq!(close_code_sent(&t.sent), Some(code), "close code queued for {error:?}");
    // The reason is the error's description with `detailed-errors`, else
    // empty.
    let reason = if cfg!(feature = "detailed-errors") { error.as_str().as_bytes() } else { b"" };
    assert_eq!(close_sent(&t.sent).map(|(_, r)| r), Some(reason.to_vec()));
    let mut conn = make();
    let _ = feed(&mut conn, input);
    assert_eq!(conn.state(), State::Closed);
    assert_eq!(conn.failure(), Some(error));
    // Sticky: any later input gives the same error.
    assert_eq!(conn.receive(&mut client_frame(0x81, b"ok")), Err(error));
    assert_eq!(conn.send(DataKind::Text, b"x", &mut [0; 64]), Err(SendError::Closed));
}

#[test]
fn reserved_bits_without_an_extension_fail_with_1002() {
    for first in [0xC1, 0xA1, 0x91] {
        violation(server, &client_frame(first, b"x"), ProtocolError::ReservedBits);
    }
}

#[test]
fn reserved_opcodes_fail_with_1002() {
    for op in (0x3..=0x7).chain(0xB..=0xF) {
        violation(server, &client_frame(0x80 | op, b""), ProtocolError::ReservedOpcode);
    }
}

#[test]
fn bad_control_frames_fail_with_1002() {
    violation(server, &client_frame(0x09, b"x"), ProtocolError::FragmentedControl);
    violation(server, &client_frame(0x89, &[0; 126]), ProtocolError::ControlTooLong);
}

#[test]
fn bad_lengths_fail_with_1002() {
    violation(server, &[0x82, 0xFE, 0x00, 0x05, 1, 2, 3, 4], ProtocolError::NonMinimalLength);
    violation(
        server,
        &[0x82, 0xFF, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 1, 2, 3, 4],
        ProtocolError::NonMinimalLength,
    );
    violation(
        server,
        &[0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4],
        ProtocolError::InvalidLength,
    );
}

#[test]
fn broken_fragment_sequences_fail_with_1002() {
    violation(server, &client_frame(0x80, b"x"), ProtocolError::UnexpectedContinuation);
    let mut input = client_frame(0x01, b"a");
    input.extend(client_frame(0x81, b"b"));
    violation(server, &input, ProtocolError::ExpectedContinuation);
}

#[test]
fn masking_must_match_the_role() {
    violation(server, &frame(0x81, b"x", None), ProtocolError::UnmaskedFrame);
    violation(client, &client_frame(0x81, b"x"), ProtocolError::MaskedFrame);
}

#[test]
fn invalid_utf8_fails_fast_with_1007() {
    violation(server, &client_frame(0x81, b"ok\xff"), ProtocolError::InvalidUtf8);
    // Incomplete at the end of the message.
    violation(server, &client_frame(0x81, b"caf\xc3"), ProtocolError::InvalidUtf8);
    // Split across fragments: the surrogate's second byte is in frame two.
    let mut input = client_frame(0x01, b"\xed");
    input.extend(client_frame(0x80, b"\xa0\x80"));
    violation(server, &input, ProtocolError::InvalidUtf8);
}

#[test]
fn invalid_utf8_fails_before_the_rest_of_the_frame_arrives() {
    // The frame announces 100 bytes; the invalid byte is the 3rd.
    let mut payload = vec![b'a'; 100];
    payload[2] = 0xff;
    let input = client_frame(0x81, &payload);
    let mut conn = server();
    let mut buf = input[..6 + 3].to_vec();
    // The header (6 bytes) is consumed with no payload...
    let mut consumed = 0;
    let mut result = Ok(Received { consumed: 0, event: None });
    for _ in 0..3 {
        result = conn.receive(&mut buf[consumed..]).map(|r| {
            consumed += r.consumed;
            Received { consumed: r.consumed, event: None }
        });
        if result.is_err() {
            break;
        }
    }
    assert_eq!(result, Err(ProtocolError::InvalidUtf8));
}

#[test]
fn bad_close_frames_fail() {
    violation(server, &client_frame(0x88, b"\x03"), ProtocolError::InvalidClosePayload);
    for code in [0u16, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000] {
        violation(
            server,
            &client_frame(0x88, &code.to_be_bytes()),
            ProtocolError::InvalidCloseCode,
        );
    }
    violation(server, &client_frame(0x88, b"\x03\xe8\xc0\xaf"), ProtocolError::InvalidCloseReason);
}

#[test]
fn frames_after_the_peers_close_are_discarded() {
    let mut input = client_frame(0x88, b"\x03\xe8");
    input.extend(client_frame(0x81, b"late"));
    input.extend(client_frame(0x89, b"late ping"));
    input.extend([0xFF, 0xFF]); // not even a valid frame
    let t = transcript(server, &input);
    assert_eq!(t.seen, [Seen::Close(Some(1000), String::new())]);
    // The echo went out, and nothing after it.
    assert_eq!(t.sent, [0x88, 0x02, 0x03, 0xe8]);
    // Without automatic replies the caller can still answer.
    let mut conn = Connection::server(Config::new().with_auto_close(false));
    feed(&mut conn, &input);
    assert_eq!(conn.state(), State::CloseReceived);
    conn.close(CloseCode::NORMAL, "bye").unwrap();
    assert!(conn.is_closed());
}

#[test]
fn a_ping_after_our_unsent_close_is_answered_first() {
    let mut conn = server();
    conn.close(CloseCode::NORMAL, "").unwrap();
    let t = feed(&mut conn, &client_frame(0x89, b"hi"));
    assert_eq!(t.sent, b"\x8a\x02hi\x88\x02\x03\xe8");
}

#[test]
fn a_close_replaces_our_unsent_ping_and_a_pong_owed_still_goes_first() {
    let mut conn = server();
    let mut sent = Vec::new();
    conn.ping(b"are you there").unwrap();
    drain(&mut conn, &mut sent);
    assert_eq!(sent, b"\x89\x0dare you there", "a Ping alone goes out");
    sent.clear();
    conn.ping(b"unsent").unwrap();
    // The peer pings (a Pong is owed), then this end closes before writing.
    let mut input = client_frame(0x89, b"hi");
    assert!(conn.receive(&mut input).unwrap().event.is_some());
    conn.close(CloseCode::NORMAL, "bye").unwrap();
    drain(&mut conn, &mut sent);
    assert_eq!(sent, b"\x8a\x02hi\x88\x05\x03\xe8bye", "the Pong, then the Close; no Ping");
    assert_eq!(conn.ping(b"late"), Err(SendError::Closed));
}

#[test]
fn payload_inside_one_long_frame_keeps_the_keepalive_quiet() {
    let config = Config::new()
        .with_keepalive(Some(Duration::from_secs(10)))
        .with_keepalive_timeout(Duration::from_secs(5));
    let mut conn = Connection::server(config);
    conn.handle_timeout(Instant::ZERO);
    let mut input = client_frame(0x82, &vec![0u8; 100_000]);
    // 1000 bytes per simulated second: one frame for 100 s.
    let mut pos = 0;
    for second in 1..=60u64 {
        let end = (pos + 1000).min(input.len());
        pos += conn.receive(&mut input[pos..end]).unwrap().consumed;
        assert_eq!(conn.handle_timeout(Instant::from_millis(second * 1000)), None, "{second} s");
    }
    assert!(!conn.has_pending_transmit(), "no Ping while payload flows");
}

#[test]
fn limits_fail_with_1009_from_the_header_alone() {
    let small =
        || Connection::server(Config::new().with_max_frame_len(1000).with_max_message_len(1500));
    // Only the header of a 2000-byte frame is given.
    let header = &client_frame(0x82, &[0; 2000])[..8];
    violation(small, header, ProtocolError::FrameTooLarge);
    let mut input = client_frame(0x02, &[0; 1000]);
    input.extend_from_slice(&client_frame(0x80, &[0; 600])[..8]);
    violation(small, &input, ProtocolError::MessageTooLarge);
    // Exactly at the limits is fine.
    let mut input = client_frame(0x02, &[0; 1000]);
    input.extend(client_frame(0x80, &[0; 500]));
    assert_eq!(transcript(small, &input).seen, [Seen::Binary(vec![0; 1500])]);
}

// The closing handshake.

#[test]
fn a_peer_close_is_echoed_and_closes() {
    let t = transcript(server, &client_frame(0x88, b"\x03\xe8bye"));
    assert_eq!(t.seen, [Seen::Close(Some(1000), "bye".into())]);
    assert_eq!(t.sent, [0x88, 0x02, 0x03, 0xe8]);
    let mut conn = server();
    feed(&mut conn, &client_frame(0x88, b""));
    assert_eq!(conn.state(), State::Closed);
    // An empty Close is answered with an empty Close.
    let t = transcript(server, &client_frame(0x88, b""));
    assert_eq!(t.sent, [0x88, 0x00]);
}

#[test]
fn closing_first_waits_for_the_peer_and_still_delivers_data() {
    let mut conn = server();
    conn.close(CloseCode::GOING_AWAY, "restart").unwrap();
    assert_eq!(conn.state(), State::CloseSent);
    let mut sent = Vec::new();
    drain(&mut conn, &mut sent);
    assert_eq!(sent, b"\x88\x09\x03\xe9restart");
    let mut input = client_frame(0x81, b"in flight");
    input.extend(client_frame(0x89, b"no pong now"));
    input.extend(client_frame(0x88, b"\x03\xe9"));
    let t = feed(&mut conn, &input);
    assert_eq!(
        t.seen,
        [
            Seen::Text("in flight".into()),
            Seen::Ping(b"no pong now".to_vec()),
            Seen::Close(Some(1001), String::new())
        ]
    );
    assert!(t.sent.is_empty(), "nothing is sent after our Close");
    assert!(conn.is_closed());
}

#[test]
fn without_auto_close_the_caller_answers() {
    let mut conn = Connection::server(Config::new().with_auto_close(false));
    let t = feed(&mut conn, &client_frame(0x88, b"\x0f\xa0"));
    assert_eq!(t.sent, b"");
    assert_eq!(conn.state(), State::CloseReceived);
    // Data may still be sent before answering.
    assert!(conn.send(DataKind::Text, b"last words", &mut [0; 32]).is_ok());
    conn.close(CloseCode(4000), "").unwrap();
    assert_eq!(conn.state(), State::Closed);
    assert_eq!(conn.close(CloseCode::NORMAL, ""), Err(SendError::Closed));
}

#[test]
fn without_auto_pong_no_pong_is_queued() {
    let mut conn = Connection::server(Config::new().with_auto_pong(false));
    let t = feed(&mut conn, &client_frame(0x89, b"x"));
    assert_eq!((t.seen, t.sent), (vec![Seen::Ping(b"x".to_vec())], vec![]));
    conn.pong(b"x").unwrap();
    assert!(conn.has_pending_transmit());
}

#[test]
fn a_second_ping_replaces_an_unsent_pong() {
    let mut conn = server();
    let mut buf = client_frame(0x89, b"old");
    buf.extend(client_frame(0x89, b"new"));
    let first = conn.receive(&mut buf).unwrap().consumed;
    conn.receive(&mut buf[first..]).unwrap();
    let mut sent = Vec::new();
    drain(&mut conn, &mut sent);
    assert_eq!(sent, b"\x8a\x03new");
}

// Sending.

#[test]
fn client_frames_are_masked_with_a_fresh_key_each() {
    let mut keys = [[1, 2, 3, 4], [5, 6, 7, 8]].into_iter();
    let mut conn = Connection::client(Config::new(), move || keys.next().unwrap());
    let mut out = [0u8; 64];
    let n = conn.send(DataKind::Binary, &[0, 0, 0, 0, 0], &mut out).unwrap();
    assert_eq!(&out[..n], [0x82, 0x85, 1, 2, 3, 4, 1, 2, 3, 4, 1]);
    let n = conn.send(DataKind::Binary, &[0xFF], &mut out).unwrap();
    assert_eq!(&out[..n], [0x82, 0x81, 5, 6, 7, 8, 0xFA]);
}

#[test]
fn messages_are_fragmented_at_the_configured_size() {
    let mut conn = Connection::server(Config::new().with_fragment_size(Some(4)));
    let mut out = [0u8; 64];
    let n = conn.send(DataKind::Text, b"abcdefghij", &mut out).unwrap();
    assert_eq!(&out[..n], b"\x01\x04abcd\x00\x04efgh\x80\x02ij".as_slice(),);
    let n = conn.send(DataKind::Binary, b"", &mut out).unwrap();
    assert_eq!(&out[..n], [0x82, 0x00]);
}

#[test]
fn fragments_follow_the_message_sequence() {
    let mut conn = server();
    let mut out = [0u8; 64];
    let n = conn
        .send_fragment(DataKind::Text, "h\u{e9}".as_bytes()[..2].as_ref(), false, &mut out)
        .unwrap();
    assert_eq!(&out[..n], b"\x01\x02h\xc3");
    assert_eq!(conn.send(DataKind::Text, b"x", &mut out), Err(SendError::MessageInProgress));
    assert_eq!(
        conn.send_fragment(DataKind::Binary, b"x", true, &mut out),
        Err(SendError::KindMismatch)
    );
    // A control frame may go out between fragments.
    conn.ping(b"between").unwrap();
    assert!(conn.poll_transmit(&mut out).unwrap() > 0);
    let n = conn.send_fragment(DataKind::Text, b"\xa9!", true, &mut out).unwrap();
    assert_eq!(&out[..n], b"\x80\x02\xa9!");
    assert!(!conn.is_sending_message());
}

#[test]
fn invalid_text_is_never_sent() {
    let mut conn = server();
    let mut out = [0u8; 64];
    assert_eq!(conn.send(DataKind::Text, b"\xff", &mut out), Err(SendError::InvalidUtf8));
    conn.send_fragment(DataKind::Text, b"\xe2\x82", false, &mut out).unwrap();
    assert_eq!(
        conn.send_fragment(DataKind::Text, b"", true, &mut out),
        Err(SendError::InvalidUtf8)
    );
    assert_eq!(
        conn.send_fragment(DataKind::Text, b"\xac", true, &mut out).map(|n| out[n - 1]),
        Ok(0xac)
    );
}

#[test]
fn a_small_output_buffer_is_untouched_and_nothing_changes() {
    let mut conn = Connection::client(Config::new(), || KEY);
    let mut out = [0xEEu8; 8];
    assert_eq!(
        conn.send(DataKind::Text, b"Hello", &mut out),
        Err(SendError::BufferTooSmall { required: 11 })
    );
    assert_eq!(
        conn.send_fragment(DataKind::Text, b"Hello", false, &mut out),
        Err(SendError::BufferTooSmall { required: 11 })
    );
    assert_eq!(out, [0xEE; 8]);
    assert!(!conn.is_sending_message());
    conn.ping(b"0123456789").unwrap();
    assert_eq!(conn.poll_transmit(&mut out), Err(BufferTooSmall { required: 16 }));
    assert!(conn.has_pending_transmit());
}

#[test]
fn control_commands_check_their_payloads() {
    let mut conn = server();
    assert_eq!(conn.ping(&[0; 126]), Err(SendError::ControlTooLong));
    assert_eq!(conn.close(CloseCode::NO_STATUS, ""), Err(SendError::InvalidCloseCode));
    assert_eq!(conn.close(CloseCode::NORMAL, &"x".repeat(124)), Err(SendError::ControlTooLong));
    conn.close(CloseCode::NORMAL, &"x".repeat(123)).unwrap();
    assert_eq!(conn.ping(b""), Err(SendError::Closed));
    assert_eq!(conn.send(DataKind::Binary, b"", &mut [0; 8]), Err(SendError::Closed));
}

#[test]
fn header_only_encoding_lets_the_caller_write_the_payload() {
    let mut conn = Connection::client(Config::new(), || KEY);
    let mut out = [0u8; 14];
    let (n, mut mask) = conn.encode_header(DataKind::Binary, 70_000, true, &mut out).unwrap();
    assert_eq!(n, 14);
    let mut payload = vec![7u8; 70_000];
    for piece in payload.chunks_mut(999) {
        mask.apply(piece);
    }
    let mut wire = out[..n].to_vec();
    wire.extend(payload);
    assert_eq!(transcript(server, &wire).seen, [Seen::Binary(vec![7; 70_000])]);
    assert_eq!(
        conn.encode_header(DataKind::Binary, 1 << 63, true, &mut out),
        Err(SendError::FrameTooLong)
    );
}

#[test]
fn what_one_side_sends_the_other_receives() {
    let mut alice = Connection::client(Config::new().with_fragment_size(Some(7)), || [9, 8, 7, 6]);
    let mut bob = server();
    let mut wire = vec![0u8; 4096];
    let mut len = 0;
    len += alice.send(DataKind::Text, "κόσμε, fragmented".as_bytes(), &mut wire[len..]).unwrap();
    len += alice.send(DataKind::Binary, &[0, 255, 1], &mut wire[len..]).unwrap();
    alice.ping(b"are you there").unwrap();
    len += alice.poll_transmit(&mut wire[len..]).unwrap();
    alice.close(CloseCode::NORMAL, "done").unwrap();
    len += alice.poll_transmit(&mut wire[len..]).unwrap();
    let t = transcript(server, &wire[..len]);
    assert_eq!(
        t.seen,
        [
            Seen::Text("κόσμε, fragmented".into()),
            Seen::Binary(vec![0, 255, 1]),
            Seen::Ping(b"are you there".to_vec()),
            Seen::Close(Some(1000), "done".into()),
        ]
    );
    // Bob's answers reach Alice and finish her close handshake.
    let answers = feed(&mut bob, &wire[..len]).sent;
    let t = feed(&mut alice, &answers);
    assert_eq!(
        t.seen,
        [Seen::Pong(b"are you there".to_vec()), Seen::Close(Some(1000), String::new())]
    );
    assert!(alice.is_closed() && bob.is_closed());
}

// Timers.

#[test]
fn no_timer_runs_by_default() {
    let mut conn = server();
    assert_eq!(conn.poll_timeout(), None);
    assert_eq!(conn.handle_timeout(Instant::from_millis(1 << 40)), None);
    assert!(!conn.has_pending_transmit());
}

#[test]
fn keepalive_pings_after_a_silent_interval_and_gives_up_without_an_answer() {
    let config = Config::new()
        .with_keepalive(Some(Duration::from_secs(10)))
        .with_keepalive_timeout(Duration::from_secs(5));
    let mut conn = Connection::server(config);
    // Due at once, to learn the time.
    assert_eq!(conn.poll_timeout(), Some(Instant::ZERO));
    assert_eq!(conn.handle_timeout(Instant::from_millis(1000)), None);
    assert_eq!(conn.poll_timeout(), Some(Instant::from_millis(11_000)));
    // Traffic during the interval: no Ping.
    feed(&mut conn, &client_frame(0x8A, b""));
    assert_eq!(conn.handle_timeout(Instant::from_millis(11_000)), None);
    assert!(!conn.has_pending_transmit());
    // A silent interval: a Ping, and a deadline for the answer.
    assert_eq!(conn.handle_timeout(Instant::from_millis(21_000)), None);
    let mut sent = Vec::new();
    drain(&mut conn, &mut sent);
    assert_eq!(sent, [0x89, 0x00]);
    assert_eq!(conn.poll_timeout(), Some(Instant::from_millis(26_000)));
    assert_eq!(conn.handle_timeout(Instant::from_millis(25_999)), None);
    assert_eq!(conn.handle_timeout(Instant::from_millis(26_000)), Some(Expired::Keepalive));
    assert!(conn.is_closed());
    assert_eq!(conn.expired(), Some(Expired::Keepalive));
    assert_eq!(conn.poll_timeout(), None);
}

#[test]
fn an_answer_to_the_keepalive_ping_keeps_the_connection() {
    let config = Config::new()
        .with_keepalive(Some(Duration::from_secs(10)))
        .with_keepalive_timeout(Duration::from_secs(5));
    let mut conn = Connection::server(config);
    conn.handle_timeout(Instant::ZERO);
    conn.handle_timeout(Instant::from_millis(10_000));
    assert!(conn.has_pending_transmit());
    feed(&mut conn, &client_frame(0x8A, b""));
    assert_eq!(conn.handle_timeout(Instant::from_millis(15_000)), None);
    assert_eq!(conn.state(), State::Open);
    assert_eq!(conn.poll_timeout(), Some(Instant::from_millis(20_000)));
}

#[test]
fn the_close_handshake_times_out() {
    let mut conn = Connection::server(Config::new().with_close_timeout(Duration::from_millis(500)));
    conn.close(CloseCode::NORMAL, "").unwrap();
    assert_eq!(conn.poll_timeout(), Some(Instant::ZERO));
    assert_eq!(conn.handle_timeout(Instant::from_millis(100)), None);
    assert_eq!(conn.poll_timeout(), Some(Instant::from_millis(600)));
    assert_eq!(conn.handle_timeout(Instant::from_millis(600)), Some(Expired::CloseHandshake));
    assert!(conn.is_closed());
    // Late input is ignored.
    assert_eq!(
        conn.receive(&mut client_frame(0x88, b"")),
        Ok(Received { consumed: 0, event: None })
    );
}
