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
