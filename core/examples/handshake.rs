//! A full opening handshake in memory: a client writes its request, a
//! server parses and accepts it, and the client checks the answer. Both
//! heads are printed.
//!
//! Run with `cargo run -p barews --example handshake`.

use barews::handshake::client::{ClientHandshake, ClientRequest, ResponseStatus};
use barews::handshake::server::{AcceptOptions, RequestStatus, ServerConfig, ServerHandshake};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A real client draws the nonce from the OS random source for every
    // connection; this example uses RFC 6455's sample nonce.
    let request = ClientRequest::new("server.example.com", "/chat")
        .with_origin(Some("http://example.com"))
        .with_protocols(&["chat", "superchat"]);
    let mut client = ClientHandshake::new(request, *b"the sample nonce")?;
    let mut request_bytes = [0u8; 512];
    let request_len = client.write_request(&mut request_bytes)?;
    let request_bytes = &request_bytes[..request_len];
    println!("client -> server ({request_len} bytes)\n{}", String::from_utf8_lossy(request_bytes));

    // The server receives the request in pieces, as a socket would deliver it.
    let mut server = ServerHandshake::new(ServerConfig::new());
    let mut received = 0;
    let request = loop {
        received = (received + 16).min(request_bytes.len());
        if let RequestStatus::Complete { request, .. } =
            server.receive(&request_bytes[..received])?
        {
            break request;
        }
    };
    let protocol = request.protocols().next();
    let mut answer = [0u8; 512];
    let answer_len = request.accept(&AcceptOptions::new().with_protocol(protocol), &mut answer)?;
    let answer = &answer[..answer_len];
    println!("server -> client ({answer_len} bytes)\n{}", String::from_utf8_lossy(answer));

    match client.receive(answer)? {
        ResponseStatus::Complete { response, consumed } => {
            println!(
                "handshake complete: {consumed} bytes, subprotocol {:?}",
                response.protocol().unwrap_or("(none)")
            );
            Ok(())
        }
        ResponseStatus::Partial => Err("the answer was cut short".into()),
    }
}
