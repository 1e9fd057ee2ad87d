//! permessage-deflate on a connection: RFC 7692's examples byte for byte,
//! context takeover, window limits, the compression-bomb limit, RSV1 rules,
//! and round trips in both roles at every chunking.

use super::*;
use crate::ProtocolError;
use crate::config::Config;
use crate::connection::{Connection, DataKind, Event, Side};
use std::vec;
use std::vec::Vec;

fn params(config: DeflateConfig) -> DeflateParams {
    config.accept_offer(["permessage-deflate; client_max_window_bits"]).unwrap()
}

/// Feeds `input` `chunk` bytes at a time; returns the whole messages, or
/// the error.
fn receive_all<S: Side>(
    conn: &mut Connection<S>,
    input: &[u8],
    chunk: usize,
) -> Result<Vec<(DataKind, Vec<u8>)>, ProtocolError> {
    let mut window = vec![0u8; 1 << 15];
    let mut inflater = Inflater::new();
    let mut buf = Vec::new();
    let mut read = 0;
    let mut messages = Vec::new();
    let mut current: Option<(DataKind, Vec<u8>)> = None;
    loop {
        let n = chunk.min(input.len() - read);
        buf.extend_from_slice(&input[read..read + n]);
        read += n;
        loop {
            let received = conn.receive_inflating(&mut buf, &mut inflater, &mut window)?;
            let consumed = received.consumed;
            let event = received.event.is_some();
            if let Some(Event::Data { kind, payload, first, last }) = received.event {
                assert_eq!(first, current.is_none());
                current.get_or_insert((kind, Vec::new())).1.extend_from_slice(payload);
                if last {
                    messages.push(current.take().unwrap());
                }
            }
            buf.drain(..consumed);
            if consumed == 0 && !event {
                break;
            }
        }
        if read == input.len() {
            return Ok(messages);
        }
    }
}

fn client() -> Connection<crate::connection::Client<impl FnMut() -> [u8; 4]>> {
    Connection::client(Config::new(), || [1, 2, 3, 4]).with_deflate(params(DeflateConfig::new()))
}

/// A compressor that keeps context, for one connection.
fn own() -> Compressor<Vec<u8>> {
    Compressor::new(15, 1, Context::Kept)
}

fn hello() -> Vec<(DataKind, Vec<u8>)> {
    vec![(DataKind::Text, b"Hello".to_vec())]
}

#[test]
fn rfc7692_examples_inflate_to_hello() {
    let examples: [&[u8]; 5] = [
        // 7.2.3.1: "Hello" compressed in one frame.
        &[0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00],
        // 7.2.3.1: the same, fragmented.
        &[0x41, 0x03, 0xf2, 0x48, 0xcd, 0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00],
        // 7.2.3.3: a stored (uncompressed) DEFLATE block.
        &[0xc1, 0x0b, 0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00],
        // 7.2.3.4: a block with BFINAL set.
        &[0xc1, 0x08, 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00],
        // 7.2.3.5: two DEFLATE blocks in one message.
        &[0xc1, 0x0d, 0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00],
    ];
    for example in examples {
        for chunk in [1, 2, 3, 64] {
            assert_eq!(
                receive_all(&mut client(), example, chunk),
                Ok(hello()),
                "{example:02x?} / {chunk}"
            );
        }
    }
}

#[test]
fn rfc7692_context_takeover_shares_history_across_messages() {
    // 7.2.3.2: the second "Hello" refers back into the first.
    let input = [
        0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00,
        0x00,
    ];
    let both = vec![(DataKind::Text, b"Hello".to_vec()), (DataKind::Text, b"Hello".to_vec())];
    for chunk in [1, 5, 64] {
        assert_eq!(receive_all(&mut client(), &input, chunk), Ok(both.clone()));
    }
}

#[test]
fn hello_compresses_to_the_rfc_bytes_then_to_a_shorter_back_reference() {
    let mut server = Connection::server(Config::new())
        .with_deflate(params(DeflateConfig::new().with_min_size(0)));
    let mut out = [0u8; 128];
    let mut compressor = own();
    let n = server.send_with(DataKind::Text, b"Hello", &mut out, &mut compressor).unwrap();
    assert_eq!(&out[..n], [0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
    let mut wire = out[..n].to_vec();
    // The second is a back-reference into the first: shorter than the
    // first, whatever exact bits the compressor picks (RFC 7692's example
    // uses 5 payload bytes).
    let n = server.send_with(DataKind::Text, b"Hello", &mut out, &mut compressor).unwrap();
    assert!(n <= 7, "{:02x?}", &out[..n]);
    wire.extend_from_slice(&out[..n]);
    let both = vec![(DataKind::Text, b"Hello".to_vec()), (DataKind::Text, b"Hello".to_vec())];
    assert_eq!(receive_all(&mut client(), &wire, 1), Ok(both));
}

#[test]
fn rsv1_is_refused_on_continuations_and_control_frames_and_without_deflate() {
    let continuation = [0x01, 0x01, b'a', 0xc0, 0x01, b'b'];
    assert_eq!(receive_all(&mut client(), &continuation, 64), Err(ProtocolError::ReservedBits));
    let ping = [0xc9, 0x00];
    assert_eq!(receive_all(&mut client(), &ping, 64), Err(ProtocolError::ReservedBits));
    let rsv2 = [0xa1, 0x00];
    assert_eq!(receive_all(&mut client(), &rsv2, 64), Err(ProtocolError::ReservedBits));
    let mut plain = Connection::client(Config::new(), || [0; 4]);
    let compressed = [0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    assert_eq!(receive_all(&mut plain, &compressed, 64), Err(ProtocolError::ReservedBits));
    // Uncompressed messages still pass on a deflate connection.
    assert_eq!(receive_all(&mut client(), b"\x81\x05Hello", 64), Ok(hello()));
}

#[test]
fn a_compression_bomb_ends_in_1009_with_bounded_memory() {
    // 4 MiB of zeros compress more than 200 to 1.
    let mut sender = Connection::server(Config::new()).with_deflate(params(DeflateConfig::new()));
    let zeros = vec![0u8; 4 << 20];
    let mut out = vec![0u8; (4 << 20) + 4096];
    let n = sender.send_with(DataKind::Binary, &zeros, &mut out, &mut own()).unwrap();
    assert!(n < zeros.len() / 100, "compressed to {n} bytes");
    let mut receiver = Connection::client(Config::new().with_max_message_len(64 * 1024), || [0; 4])
        .with_deflate(params(DeflateConfig::new()));
    assert_eq!(receive_all(&mut receiver, &out[..n], 4096), Err(ProtocolError::MessageTooLarge));
    assert_eq!(ProtocolError::MessageTooLarge.close_code().0, 1009);
}

#[test]
fn corrupt_data_fails_with_1007_and_a_missing_window_with_1011() {
    // BTYPE=11 is reserved in DEFLATE.
    let corrupt = [0xc1, 0x01, 0xff];
    assert_eq!(receive_all(&mut client(), &corrupt, 64), Err(ProtocolError::InvalidCompressedData));
    assert_eq!(ProtocolError::InvalidCompressedData.close_code().0, 1007);
    let mut conn = client();
    let mut frame = [0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    assert_eq!(conn.receive(&mut frame), Err(ProtocolError::InflateWindow));
    assert_eq!(ProtocolError::InflateWindow.close_code().0, 1011);
}

#[test]
fn invalid_utf8_inside_compressed_text_fails_with_1007() {
    let mut sender = Connection::server(Config::new()).with_deflate(params(DeflateConfig::new()));
    let mut out = [0u8; 256];
    // Binary on the wire, then the opcode is switched to text.
    let bad = b"valid prefix then \xff bad byte";
    let n = sender.send_with(DataKind::Binary, bad, &mut out, &mut own()).unwrap();
    out[0] = (out[0] & 0xF0) | 0x1;
    assert_eq!(receive_all(&mut client(), &out[..n], 3), Err(ProtocolError::InvalidUtf8));
}

/// Messages sent with `sender` arrive intact at `receiver`, at every
/// chunking, compressed with a compressor of each kind: one per
/// connection that keeps context, and one shared by both directions that
/// does not.
fn round_trip(sender_config: DeflateConfig, fragment: Option<usize>) {
    for context in [Context::Kept, Context::Reset] {
        round_trip_with(sender_config, fragment, context);
    }
}

fn round_trip_with(sender_config: DeflateConfig, fragment: Option<usize>, context: Context) {
    let mut shared = Compressor::new(15, 1, Context::Reset);
    let messages: Vec<(DataKind, Vec<u8>)> = vec![
        (DataKind::Text, "κόσμε, ".repeat(200).into_bytes()),
        (DataKind::Binary, (0..70_000u32).map(|i| (i * 7 % 251) as u8).collect()),
        (DataKind::Text, b"short".to_vec()),
        (DataKind::Binary, Vec::new()),
        (DataKind::Text, "κόσμε, ".repeat(200).into_bytes()),
    ];
    let agreed =
        sender_config.accept_offer(["permessage-deflate; client_max_window_bits"]).unwrap();
    // Client to server.
    let mut client =
        Connection::client(Config::new().with_fragment_size(fragment), || [9, 8, 7, 6])
            .with_deflate(agreed);
    let (bits, _) = client.compression_window().unwrap();
    let mut compressor = Compressor::new(bits, 1, context);
    let compressor = if context == Context::Kept { &mut compressor } else { &mut shared };
    let mut wire = Vec::new();
    for (kind, payload) in &messages {
        let mut out = vec![0u8; payload.len() * 2 + 1024];
        let n = client.send_with(*kind, payload, &mut out, compressor).unwrap();
        wire.extend_from_slice(&out[..n]);
    }
    for chunk in [1, 7, 1000, usize::MAX] {
        let mut server = Connection::server(Config::new()).with_deflate(agreed);
        assert_eq!(
            receive_all(&mut server, &wire, chunk).unwrap(),
            messages,
            "client to server, chunk {chunk}"
        );
    }
    // Server to client.
    let mut server =
        Connection::server(Config::new().with_fragment_size(fragment)).with_deflate(agreed);
    let (bits, _) = server.compression_window().unwrap();
    let mut compressor = Compressor::new(bits, 1, context);
    let compressor = if context == Context::Kept { &mut compressor } else { &mut shared };
    let mut wire = Vec::new();
    for (kind, payload) in &messages {
        let mut out = vec![0u8; payload.len() * 2 + 1024];
        let n = server.send_with(*kind, payload, &mut out, compressor).unwrap();
        wire.extend_from_slice(&out[..n]);
    }
    for chunk in [1, 13, usize::MAX] {
        let mut client = Connection::client(Config::new(), || [0; 4]).with_deflate(agreed);
        assert_eq!(
            receive_all(&mut client, &wire, chunk).unwrap(),
            messages,
            "server to client, chunk {chunk}"
        );
    }
}

#[test]
fn messages_round_trip_with_context_takeover() {
    round_trip(DeflateConfig::new(), None);
    round_trip(DeflateConfig::new(), Some(100));
}

#[test]
fn messages_round_trip_without_context_takeover() {
    round_trip(
        DeflateConfig::new()
            .with_server_no_context_takeover(true)
            .with_client_no_context_takeover(true),
        None,
    );
}

#[test]
fn messages_round_trip_with_small_windows() {
    round_trip(
        DeflateConfig::new().with_server_max_window_bits(9).with_client_max_window_bits(Some(8)),
        Some(4096),
    );
}

#[test]
fn the_send_buffer_check_leaves_everything_unchanged() {
    let mut server = Connection::server(Config::new()).with_deflate(params(DeflateConfig::new()));
    let mut small = [0xAAu8; 16];
    let payload = vec![b'x'; 1000];
    let Err(crate::connection::SendError::BufferTooSmall { required }) =
        server.send_with(DataKind::Binary, &payload, &mut small, &mut own())
    else {
        panic!("expected BufferTooSmall")
    };
    assert!(required > 16);
    assert_eq!(small, [0xAA; 16]);
    let mut out = vec![0u8; required];
    assert!(server.send_with(DataKind::Binary, &payload, &mut out, &mut own()).is_ok());
}
