//! permessage-deflate over loopback TCP: negotiation and compressed
//! messages both ways, whole and streamed.
#![cfg(feature = "deflate")]

use barews::close::CloseCode;
use barews::connection::Event;
use barews::deflate::DeflateConfig;
use barews_std::{ClientOptions, End, Error, Message, ServerOptions};
use std::net::TcpListener;
use std::thread;

fn deflate_server(
    config: DeflateConfig,
    stream_events: bool,
) -> (String, thread::JoinHandle<Option<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    let handle = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut options = ServerOptions::default();
        options.deflate = Some(config);
        let (mut socket, accepted) = barews_std::accept_with(stream, &options).unwrap();
        let mut chunk = Vec::new();
        loop {
            let result = if stream_events {
                match socket.read_event() {
                    Ok(Event::Data { kind, payload, last, .. }) => {
                        chunk.clear();
                        chunk.extend_from_slice(payload);
                        socket.queue_fragment(kind, &chunk, last)
                    }
                    Ok(_) => Ok(()),
                    Err(error) => Err(error),
                }
            } else {
                match socket.read() {
                    Ok(Message::Text(text)) => socket.queue_text(&text),
                    Ok(Message::Binary(bytes)) => socket.queue_binary(&bytes),
                    Ok(_) => Ok(()),
                    Err(error) => Err(error),
                }
            };
            match result {
                Ok(()) => {}
                Err(Error::Ended(End::Closed)) => return accepted.extensions,
                Err(error) => panic!("server: {error}"),
            }
        }
    });
    (url, handle)
}

fn exchange(server: DeflateConfig, client: DeflateConfig, stream_events: bool) {
    let (url, handle) = deflate_server(server, stream_events);
    let mut options = ClientOptions::default();
    options.deflate = Some(client);
    let (mut socket, info) = barews_std::connect_with(&url, &options).unwrap();
    assert!(info.extensions.iter().any(|e| e.starts_with("permessage-deflate")), "{info:?}");
    let text = "a compressible sentence, said again and again. ".repeat(2000);
    let binary: Vec<u8> = (0..300_000u32).map(|i| (i % 7) as u8).collect();
    for _ in 0..3 {
        socket.send_text(&text).unwrap();
        assert_eq!(socket.read().unwrap(), Message::Text(text.clone()));
        socket.send_binary(&binary).unwrap();
        assert_eq!(socket.read().unwrap(), Message::Binary(binary.clone()));
        socket.send_text("tiny").unwrap();
        assert_eq!(socket.read().unwrap(), Message::text("tiny"));
    }
    socket.close(CloseCode::NORMAL, "").unwrap();
    assert!(handle.join().unwrap().is_some_and(|e| e.starts_with("permessage-deflate")));
}

#[test]
fn compressed_messages_echo_with_context_takeover() {
    exchange(DeflateConfig::new(), DeflateConfig::new(), false);
}

#[test]
fn compressed_messages_echo_without_context_takeover_and_small_windows() {
    let server = DeflateConfig::new()
        .with_server_no_context_takeover(true)
        .with_client_max_window_bits(Some(9));
    let client =
        DeflateConfig::new().with_client_no_context_takeover(true).with_server_max_window_bits(10);
    exchange(server, client, false);
}

#[test]
fn inflated_chunks_stream_through_read_event() {
    exchange(DeflateConfig::new(), DeflateConfig::new(), true);
}

#[test]
fn a_client_without_deflate_gets_plain_messages() {
    let (url, handle) = deflate_server(DeflateConfig::new(), false);
    let (mut socket, info) = barews_std::connect(&url).unwrap();
    assert!(info.extensions.is_empty());
    socket.send_text("plain").unwrap();
    assert_eq!(socket.read().unwrap(), Message::text("plain"));
    socket.close(CloseCode::NORMAL, "").unwrap();
    assert_eq!(handle.join().unwrap(), None);
}

/// Opens a WebSocket by hand over `stream`, offering permessage-deflate,
/// and returns the parameters the server's answer agreed to.
fn open_by_hand(stream: &mut std::net::TcpStream) -> barews::deflate::DeflateParams {
    use std::io::{Read, Write};
    stream
        .write_all(
            b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
              Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n",
        )
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let element = head
        .lines()
        .find_map(|line| line.strip_prefix("Sec-WebSocket-Extensions: "))
        .expect("the server accepted an extension");
    DeflateConfig::new().accept_response(element).unwrap()
}

/// Sends the same compressible text three times through a barews server
/// configured with `config` and returns the sizes of the echoes' frames
/// on the wire, checking each is compressed (RSV1) and echoes intact.
fn wire_sizes_of_echoes(config: DeflateConfig) -> Vec<usize> {
    use barews::config::Config;
    use barews::connection::{Connection, DataKind};
    use barews::deflate::{Compressor, Context, Inflater};
    use std::io::{Read, Write};
    let (url, handle) = deflate_server(config, false);
    let addr = url.trim_start_matches("ws://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    let params = open_by_hand(&mut stream);
    let mut client = Connection::client(Config::new(), || [1, 2, 3, 4]).with_deflate(params);
    let mut compressor = Compressor::new(15, 1, Context::Reset);
    let text = r#"{"user":"someone","action":"update","fields":["a","b","c"]}"#.repeat(20);
    let (mut inflater, mut window) = (Inflater::new(), vec![0u8; client.inflate_window_size()]);
    let mut sizes = Vec::new();
    for _ in 0..3 {
        let mut out = vec![0u8; 4096];
        let n =
            client.send_with(DataKind::Text, text.as_bytes(), &mut out, &mut compressor).unwrap();
        stream.write_all(&out[..n]).unwrap();
        // The echo: one frame of the server's, read whole.
        let mut header = [0u8; 2];
        stream.read_exact(&mut header).unwrap();
        assert_ne!(header[0] & 0x40, 0, "the echo is compressed (RSV1)");
        let len = usize::from(header[1] & 0x7f);
        assert!(len < 126, "the echo compresses to under 126 bytes");
        let mut frame = header.to_vec();
        frame.resize(2 + len, 0);
        stream.read_exact(&mut frame[2..]).unwrap();
        sizes.push(frame.len());
        let mut echoed = Vec::new();
        let mut at = 0;
        loop {
            let received =
                client.receive_inflating(&mut frame[at..], &mut inflater, &mut window).unwrap();
            at += received.consumed;
            if let Some(Event::Data { payload, last, .. }) = received.event {
                echoed.extend_from_slice(payload);
                if last {
                    break;
                }
            }
        }
        assert_eq!(echoed, text.as_bytes());
    }
    client.close(CloseCode::NORMAL, "").unwrap();
    let mut close = [0u8; 16];
    let n = client.poll_transmit(&mut close).unwrap();
    stream.write_all(&close[..n]).unwrap();
    assert!(handle.join().unwrap().is_some());
    sizes
}

#[test]
fn a_server_with_context_takeover_compresses_repeats_to_back_references() {
    let sizes = wire_sizes_of_echoes(DeflateConfig::new());
    assert!(sizes[1] < sizes[0] / 2, "the repeat refers to the first: {sizes:?}");
}

#[test]
fn a_server_without_context_takeover_compresses_each_message_alone() {
    let sizes = wire_sizes_of_echoes(DeflateConfig::without_context_takeover());
    assert_eq!(sizes[0], sizes[1], "each message on its own: {sizes:?}");
    assert_eq!(sizes[1], sizes[2]);
}
