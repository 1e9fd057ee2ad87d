//! A client and a server complete handshakes with each other in memory,
//! with their bytes cut into chunks of every size.

use barews::handshake::client::{ClientHandshake, ClientRequest, ResponseStatus};
use barews::handshake::server::{AcceptOptions, RequestStatus, ServerConfig, ServerHandshake};

/// The outcome of a handshake: what each side ended up agreeing on.
#[derive(Debug, PartialEq)]
struct Agreement {
    server_saw_protocols: Vec<String>,
    server_saw_extensions: Vec<String>,
    client_protocol: Option<String>,
    client_extensions: Vec<String>,
    leftover_at_server: Vec<u8>,
    leftover_at_client: Vec<u8>,
}

/// Runs a handshake, delivering each side's bytes `chunk` bytes at a time,
/// with `trailer` bytes sent right after each head (the first frame bytes).
fn handshake(chunk: usize, trailer: &[u8]) -> Agreement {
    let offered = ["v2.chat", "v1.chat"];
    let request = ClientRequest::new("127.0.0.1", "/room/7?user=a")
        .with_port(9001)
        .with_origin(Some("http://127.0.0.1:9001"))
        .with_protocols(&offered)
        .with_extensions(Some("x-test; level=3, x-other"));
    let mut client = ClientHandshake::new(request, [0x5a; 16]).unwrap();
    let mut wire = [0u8; 1024];
    let request_len = client.write_request(&mut wire).unwrap();
    wire[request_len..request_len + trailer.len()].copy_from_slice(trailer);
    let wire = &wire[..request_len + trailer.len()];

    let mut server = ServerHandshake::new(ServerConfig::new());
    let mut received = 0;
    let (request, consumed) = loop {
        received = (received + chunk).min(wire.len());
        match server.receive(&wire[..received]).unwrap() {
            RequestStatus::Complete { request, consumed } => break (request, consumed),
            RequestStatus::Partial => assert!(received < wire.len(), "head never completed"),
        }
    };
    let mut answer = [0u8; 1024];
    let choice = request.protocols().last();
    let options =
        AcceptOptions::new().with_protocol(choice).with_extensions(Some("x-test; level=3"));
    let answer_len = request.accept(&options, &mut answer).unwrap();
    answer[answer_len..answer_len + trailer.len()].copy_from_slice(trailer);
    let answer = &answer[..answer_len + trailer.len()];

    let mut received_answer = 0;
    let (response, answer_consumed) = loop {
        received_answer = (received_answer + chunk).min(answer.len());
        match client.receive(&answer[..received_answer]).unwrap() {
            ResponseStatus::Complete { response, consumed } => break (response, consumed),
            ResponseStatus::Partial => assert!(received_answer < answer.len()),
        }
    };
    Agreement {
        server_saw_protocols: request.protocols().map(String::from).collect(),
        server_saw_extensions: request.extensions().map(String::from).collect(),
        client_protocol: response.protocol().map(String::from),
        client_extensions: response.extensions().map(String::from).collect(),
        leftover_at_server: wire[consumed..received].to_vec(),
        leftover_at_client: answer[answer_consumed..received_answer].to_vec(),
    }
}

#[test]
fn client_and_server_agree_at_every_chunk_size() {
    let expected = Agreement {
        server_saw_protocols: vec!["v2.chat".into(), "v1.chat".into()],
        server_saw_extensions: vec!["x-test; level=3".into(), "x-other".into()],
        client_protocol: Some("v1.chat".into()),
        client_extensions: vec!["x-test; level=3".into()],
        leftover_at_server: Vec::new(),
        leftover_at_client: Vec::new(),
    };
    for chunk in 1..=300 {
        assert_eq!(handshake(chunk, b""), expected, "chunk size {chunk}");
    }
}

#[test]
fn bytes_that_follow_each_head_are_handed_back_untouched() {
    let frame = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
    for chunk in [1, 7, 64, 4096] {
        let agreement = handshake(chunk, &frame);
        // Whatever arrived with the head's last chunk is still there.
        assert!(frame.starts_with(&agreement.leftover_at_server), "chunk {chunk}");
        assert!(frame.starts_with(&agreement.leftover_at_client), "chunk {chunk}");
    }
    let agreement = handshake(4096, &frame);
    assert_eq!(agreement.leftover_at_server, frame);
    assert_eq!(agreement.leftover_at_client, frame);
}
