//! permessage-deflate over the scripted transport: negotiation in both
//! roles, the memory checks, compressed messages at every read chunking,
//! and what is sent uncompressed.

use super::{KEY, NONCE, REQUEST, RESPONSE, Script, Seen, read_all, split_head};
use crate::deflate::{Context, Deflate, DeflateConfig, compressor_size, window_size};
use crate::{AcceptOptions, Acceptor, ClientRequest, Config, Connector, DataKind, End, Error};
use barews::connection::{Connection, Event, SendError, Side};
use barews::deflate::{Compressor, DeflateParams, Inflater};
use std::string::String;
use std::vec::Vec;

/// A request offering `extensions`.
fn request_offering(extensions: &str) -> Vec<u8> {
    let request = String::from_utf8(REQUEST.to_vec()).unwrap();
    request
        .replace("\r\n\r\n", &std::format!("\r\nSec-WebSocket-Extensions: {extensions}\r\n\r\n"))
        .into_bytes()
}

/// A `101` to the scripted request accepting `extensions`.
fn response_accepting(extensions: &str) -> Vec<u8> {
    let response = String::from_utf8(RESPONSE.to_vec()).unwrap();
    response
        .replace("\r\n\r\n", &std::format!("\r\nSec-WebSocket-Extensions: {extensions}\r\n\r\n"))
        .into_bytes()
}

/// The `Sec-WebSocket-Extensions` value of the head `output` starts with.
fn extensions_answered(output: &[u8]) -> Option<String> {
    let head = String::from_utf8(split_head(output).0.to_vec()).unwrap();
    head.lines().find_map(|line| line.strip_prefix("Sec-WebSocket-Extensions: ")).map(String::from)
}

/// Lent memory for `bits`-bit windows, keeping context or not.
fn memory(bits: u8, context: Context) -> (Vec<u8>, Vec<u8>) {
    (std::vec![0; window_size(bits)], std::vec![0; compressor_size(bits, 1, context)])
}

/// What a server with a `window`-byte inflate window answers to a
/// request offering `extensions`, if it accepted permessage-deflate.
fn answer(window: usize, extensions: &str) -> Option<String> {
    answer_with(DeflateConfig::new(), window, extensions)
}

/// [`answer`] with the server's `config`.
fn answer_with(config: DeflateConfig, window: usize, extensions: &str) -> Option<String> {
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
    let (mut window, mut compressor) = (std::vec![0; window], Vec::new());
    let script = Script::new(request_offering(extensions));
    let ws = Acceptor::new()
        .with_deflate(Deflate::new(&mut window, &mut compressor).with_config(config))
        .accept(script, &mut rx, &mut tx)
        .unwrap();
    let agreed = ws.connection().deflate_enabled();
    let answered = extensions_answered(&ws.into_inner().output);
    assert_eq!(agreed, answered.is_some());
    answered
}

#[test]
fn a_server_accepts_an_offer_only_if_the_clients_window_fits_its_own() {
    // A client without `client_max_window_bits` compresses with 15 bits.
    assert_eq!(answer(512, "permessage-deflate"), None);
    assert_eq!(answer(32768, "permessage-deflate").as_deref(), Some("permessage-deflate"));
    // The first offer that fits wins; the server caps both windows.
    assert_eq!(
        answer(512, "permessage-deflate, permessage-deflate; client_max_window_bits").as_deref(),
        Some("permessage-deflate; server_max_window_bits=9; client_max_window_bits=9")
    );
    assert_eq!(
        answer(1024, "permessage-deflate; client_max_window_bits=8; server_max_window_bits=12")
            .as_deref(),
        Some("permessage-deflate; server_max_window_bits=10; client_max_window_bits=8")
    );
    // Offers the core declines stay declined.
    assert_eq!(answer(512, "permessage-deflate; client_max_window_bits=9; mystery"), None);
    assert_eq!(answer(512, "x-other"), None);
}

#[test]
fn the_configs_window_bits_lower_those_of_the_window_lent() {
    let offer = "permessage-deflate; client_max_window_bits";
    let config = DeflateConfig::new();
    assert_eq!(
        answer_with(config.with_client_max_window_bits(Some(8)), 1024, offer).as_deref(),
        Some("permessage-deflate; server_max_window_bits=10; client_max_window_bits=8")
    );
    assert_eq!(
        answer_with(config.with_server_max_window_bits(9), 1024, offer).as_deref(),
        Some("permessage-deflate; server_max_window_bits=9; client_max_window_bits=10")
    );
    // Never more than the window holds.
    assert_eq!(
        answer_with(config.with_client_max_window_bits(Some(12)), 1024, offer).as_deref(),
        Some("permessage-deflate; server_max_window_bits=10; client_max_window_bits=10")
    );
    // A client: the offer, after the request's own extensions, and the
    // answer checked against it.
    let offered = "permessage-deflate; server_max_window_bits=8; client_max_window_bits=9";
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
    let (mut window, mut memory) = memory(10, Context::Kept);
    let config = config.with_server_max_window_bits(8).with_client_max_window_bits(Some(9));
    let ws = Connector::new(|| KEY)
        .with_deflate(Deflate::new(&mut window, &mut memory).with_config(config))
        .connect(
            Script::new(response_accepting(offered)),
            ClientRequest::new("example.com", "/").with_extensions(Some("x-other")),
            NONCE,
            &mut rx,
            &mut tx,
        )
        .unwrap();
    assert_eq!(ws.connection().compression_window(), Some((9, false)));
    let request = extensions_answered(&ws.into_inner().output);
    assert_eq!(request, Some(std::format!("x-other, {offered}")));
    let mut window = std::vec![0; 1024];
    let result = Connector::new(|| KEY)
        .with_deflate(Deflate::new(&mut window, &mut []).with_config(config))
        .connect(
            Script::new(response_accepting("permessage-deflate; server_max_window_bits=10")),
            ClientRequest::new("example.com", "/"),
            NONCE,
            &mut rx,
            &mut tx,
        );
    assert_eq!(
        result.unwrap_err(),
        Error::Deflate(barews::deflate::NegotiationError::BadWindowBits)
    );
}

#[test]
fn a_server_adds_deflate_to_the_extensions_its_callback_accepted() {
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
    let (mut window, mut compressor) = memory(9, Context::Kept);
    let offer = "x-other, permessage-deflate; client_max_window_bits";
    let long = std::format!("x-other; p=\"{}\"", "v".repeat(150));
    for (ours, expected) in [
        (
            "x-other",
            "x-other, permessage-deflate; server_max_window_bits=9; client_max_window_bits=9",
        ),
        // Too long to join with the element: permessage-deflate is
        // declined, the callback's answer kept.
        (long.as_str(), long.as_str()),
    ] {
        let script = Script::new(request_offering(offer));
        let ws = Acceptor::new()
            .with_deflate(Deflate::new(&mut window, &mut compressor))
            .accept_with(script, &mut rx, &mut tx, |_| {
                Ok(AcceptOptions::new().with_extensions(Some(ours)))
            })
            .unwrap();
        assert_eq!(ws.connection().deflate_enabled(), expected != ours);
        assert_eq!(extensions_answered(&ws.into_inner().output).as_deref(), Some(expected));
    }
}

#[test]
fn lent_memory_is_checked_before_anything_is_sent() {
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
    let mut transport = Script::new(RESPONSE.to_vec());
    let (mut small_window, mut compressor) = (std::vec![0; 255], Vec::new());
    let result = Connector::new(|| KEY)
        .with_deflate(Deflate::new(&mut small_window, &mut compressor))
        .connect(&mut transport, ClientRequest::new("a", "/"), NONCE, &mut rx, &mut tx);
    assert_eq!(result.unwrap_err(), Error::BufferTooSmall { required: 256 });
    // Compressor memory, when lent, holds at least the hash table: 2 KiB
    // for 9-bit windows at level 1.
    let required = compressor_size(9, 1, Context::Reset);
    assert_eq!(required, 2048);
    let (mut window, mut short) = (std::vec![0; 512], std::vec![0; required - 1]);
    let result = Connector::new(|| KEY)
        .with_deflate(Deflate::new(&mut window, &mut short))
        .connect(&mut transport, ClientRequest::new("a", "/"), NONCE, &mut rx, &mut tx);
    assert_eq!(result.unwrap_err(), Error::BufferTooSmall { required });
    let result = Acceptor::new().with_deflate(Deflate::new(&mut window, &mut short)).accept(
        &mut transport,
        &mut rx,
        &mut tx,
    );
    assert_eq!(result.unwrap_err(), Error::BufferTooSmall { required });
    // And the buffers as without the extension.
    let mut tiny = [0u8; 100];
    let result = Connector::new(|| KEY).with_deflate(Deflate::new(&mut window, &mut [])).connect(
        &mut transport,
        ClientRequest::new("a", "/"),
        NONCE,
        &mut tiny,
        &mut tx,
    );
    assert_eq!(result.unwrap_err(), Error::BufferTooSmall { required: crate::MIN_BUFFER });
    // The request's own extensions and the offer share the handshake's
    // `EXTENSIONS_LEN` bytes.
    let theirs = std::format!("x-other; p=\"{}\"", "v".repeat(110));
    let offer = "permessage-deflate; server_max_window_bits=9; client_max_window_bits=9";
    let required = theirs.len() + 2 + offer.len();
    assert!(required > crate::deflate::EXTENSIONS_LEN);
    let result = Connector::new(|| KEY).with_deflate(Deflate::new(&mut window, &mut [])).connect(
        &mut transport,
        ClientRequest::new("a", "/").with_extensions(Some(&theirs)),
        NONCE,
        &mut rx,
        &mut tx,
    );
    assert_eq!(result.unwrap_err(), Error::BufferTooSmall { required });
    assert!(transport.output.is_empty());
}

#[test]
fn from_11_bit_windows_on_the_memory_of_a_compressor_with_context_is_the_least_and_serves_all() {
    // A compressor without context takes a larger hash table there.
    let (kept, reset) =
        (compressor_size(15, 1, Context::Kept), compressor_size(15, 1, Context::Reset));
    assert_eq!((kept, reset), (12 * 1024, 16 * 1024));
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
    let mut window = std::vec![0; window_size(15)];
    let mut short = std::vec![0; kept - 1];
    let script = Script::new(REQUEST.to_vec());
    let result = Acceptor::new()
        .with_deflate(Deflate::new(&mut window, &mut short))
        .accept(script, &mut rx, &mut tx);
    assert_eq!(result.unwrap_err(), Error::BufferTooSmall { required: kept });
    // A client that asks the server to reset gets compressed messages,
    // each on its own, from that memory.
    let answer = "permessage-deflate; server_no_context_takeover";
    let mut memory = std::vec![0; kept];
    let script = Script::new(request_offering(answer));
    let mut ws = Acceptor::new()
        .with_deflate(Deflate::new(&mut window, &mut memory))
        .accept(script, &mut rx, &mut tx)
        .unwrap();
    assert_eq!(ws.connection().compression_window(), Some((15, true)));
    let text = "compress me, compress me, compress me, compress me";
    ws.send_text(text).unwrap();
    ws.send_text(text).unwrap();
    let output = ws.into_inner().output;
    assert_eq!(extensions_answered(&output).as_deref(), Some(answer));
    let frames = split_head(&output).1;
    let (first, second) = frames.split_at(frames.len() / 2);
    assert_eq!((first[0], first), (0xc1, second), "compressed, the same twice: reset between");
    let params = DeflateConfig::new().with_server_no_context_takeover(true).accept_response(answer);
    let client = Connection::client(Config::new(), || KEY).with_deflate(params.unwrap());
    assert_eq!(
        decode_inflating(client, frames),
        [Seen::Text(text.into()), Seen::Text(text.into())]
    );
}

/// The parameters a 9-bit offer and its answer agree to.
fn params_9_bits(answer: &str) -> DeflateParams {
    DeflateConfig::new()
        .with_server_max_window_bits(9)
        .with_client_max_window_bits(Some(9))
        .accept_response(answer)
        .unwrap()
}

/// Decodes `wire` as the peer `conn` (with permessage-deflate) sees it.
fn decode_inflating<S: Side>(mut conn: Connection<S>, wire: &[u8]) -> Vec<Seen> {
    let mut buf = wire.to_vec();
    let (mut inflater, mut window) = (Inflater::new(), std::vec![0; conn.inflate_window_size()]);
    let (mut start, mut seen, mut message) = (0, Vec::new(), Vec::new());
    loop {
        let received =
            conn.receive_inflating(&mut buf[start..], &mut inflater, &mut window).unwrap();
        start += received.consumed;
        match received.event {
            Some(Event::Data { kind, payload, last, .. }) => {
                message.extend_from_slice(payload);
                if last {
                    let message = core::mem::take(&mut message);
                    seen.push(match kind {
                        DataKind::Text => Seen::Text(String::from_utf8(message).unwrap()),
                        DataKind::Binary => Seen::Binary(message),
                    });
                }
            }
            Some(Event::Close(frame)) => seen.push(Seen::Close(frame.code.map(u16::from))),
            None if received.consumed == 0 => break,
            Some(_) | None => {}
        }
    }
    assert_eq!(start, wire.len());
    seen
}

#[test]
fn a_client_inflates_at_every_read_chunking_and_compresses_what_fits_its_send_buffer() {
    let answer = "permessage-deflate; server_max_window_bits=9; client_max_window_bits=9";
    let params = params_9_bits(answer);
    let mut server = Connection::server(Config::new()).with_deflate(params);
    let mut compressor = Compressor::new(9, 1, Context::Kept);
    let texts = ["abcdefgh".repeat(100), "the same again, the same again. ".repeat(40)];
    let mut input = response_accepting(answer);
    for text in &texts {
        let mut out = std::vec![0; text.len() + 64];
        let n =
            server.send_with(DataKind::Text, text.as_bytes(), &mut out, &mut compressor).unwrap();
        assert_eq!(out[0], 0xc1, "compressed by the peer");
        input.extend_from_slice(&out[..n]);
    }
    let mut transcripts = Vec::new();
    for read in [1, 2, 3, 7, 64, 1000] {
        let script = Script::new(input.clone()).chunks(read, usize::MAX);
        let (mut rx, mut tx) = ([0u8; 256], [0u8; 300]);
        let (mut window, mut memory) = memory(9, Context::Kept);
        let mut ws = Connector::new(|| KEY)
            .with_deflate(Deflate::new(&mut window, &mut memory))
            .connect(script, ClientRequest::new("example.com", "/"), NONCE, &mut rx, &mut tx)
            .unwrap();
        // Compressed into the 300-byte send buffer, then one too large
        // for it compressed, sent as it is.
        ws.send_text(&"compress me ".repeat(20)).unwrap();
        ws.send_binary(&[7; 400]).unwrap();
        let (seen, end) = read_all(&mut ws);
        assert_eq!(seen, [Seen::Text(texts[0].clone()), Seen::Text(texts[1].clone())]);
        assert_eq!(end, Error::Ended(End::AbnormalClosure));
        transcripts.push(ws.into_inner().output);
    }
    assert!(transcripts.iter().all(|t| *t == transcripts[0]));
    let frames = split_head(&transcripts[0]).1;
    let first = barews::frame::FrameHeader::decode(frames).unwrap().unwrap().0;
    assert_eq!((first.rsv, first.payload_len < 240), (barews::frame::RSV1, true));
    let peer = Connection::server(Config::new()).with_deflate(params);
    assert_eq!(
        decode_inflating(peer, frames),
        [Seen::Text("compress me ".repeat(20)), Seen::Binary(std::vec![7; 400])]
    );
    // The binary message went as it is: 400 bytes after a 4-byte mask.
    assert_eq!(frames[frames.len() - 408..][..2], [0x82, 0x80 | 0x7e]);
}

#[test]
fn a_whole_message_is_refused_while_one_sent_in_pieces_is_unfinished() {
    let answer = "permessage-deflate; server_max_window_bits=9; client_max_window_bits=9";
    let input = response_accepting(answer);
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
    let (mut window, mut memory) = memory(9, Context::Kept);
    let mut ws = Connector::new(|| KEY)
        .with_deflate(Deflate::new(&mut window, &mut memory))
        .connect(
            Script::new(input),
            ClientRequest::new("example.com", "/"),
            NONCE,
            &mut rx,
            &mut tx,
        )
        .unwrap();
    let long = "a piece of a message, long enough to be compressed";
    ws.send(DataKind::Text, long.as_bytes(), false).unwrap();
    assert_eq!(ws.send_text(long), Err(Error::Send(SendError::MessageInProgress)));
    // Pieces go uncompressed, and the last ends the message.
    ws.send(DataKind::Text, long.as_bytes(), true).unwrap();
    ws.send_text(long).unwrap();
    let output = ws.into_inner().output;
    let peer = Connection::server(Config::new()).with_deflate(params_9_bits(answer));
    assert_eq!(
        decode_inflating(peer, split_head(&output).1),
        [Seen::Text(std::format!("{long}{long}")), Seen::Text(long.into())]
    );
}

#[test]
fn a_server_without_compressor_memory_receives_compressed_and_sends_plain() {
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
    let mut window = std::vec![0; 1024];
    let params = DeflateConfig::new()
        .with_client_max_window_bits(Some(10))
        .accept_response("permessage-deflate; server_max_window_bits=10; client_max_window_bits=10")
        .unwrap();
    let mut client = Connection::client(Config::new(), || KEY).with_deflate(params);
    let mut compressor = Compressor::new(10, 1, Context::Kept);
    let text = "ping ping ping ping ping ping ping ping ping ping";
    let mut input = request_offering("permessage-deflate; client_max_window_bits");
    let mut out = [0u8; 128];
    let n = client.send_with(DataKind::Text, text.as_bytes(), &mut out, &mut compressor).unwrap();
    input.extend_from_slice(&out[..n]);
    let mut ws = Acceptor::new()
        .with_deflate(Deflate::new(&mut window, &mut []))
        .accept(Script::new(input), &mut rx, &mut tx)
        .unwrap();
    let Event::Data { payload, .. } = ws.read().unwrap() else { panic!() };
    let echo = payload.to_vec();
    ws.send_text(core::str::from_utf8(&echo).unwrap()).unwrap();
    let output = ws.into_inner().output;
    assert_eq!(
        extensions_answered(&output).as_deref(),
        Some("permessage-deflate; server_max_window_bits=10; client_max_window_bits=10")
    );
    let frames = split_head(&output).1;
    assert_eq!(frames[..2], [0x81, 49]);
    assert_eq!(decode_inflating(client, frames), [Seen::Text(text.into())]);
}
