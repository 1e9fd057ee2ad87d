//! Arbitrary response bytes, cut at arbitrary points, fed to the client
//! handshake. Checks: no panic; `consumed` never exceeds the input; an
//! accepted response selected only what was offered.
#![no_main]

use barews::handshake::client::{ClientHandshake, ClientRequest, ResponseStatus};
use libfuzzer_sys::fuzz_target;

const OFFERED: &[&str] = &["chat", "superchat"];

fuzz_target!(|input: &[u8]| {
    let Some((&chunk, bytes)) = input.split_first() else { return };
    let chunk = usize::from(chunk).max(1);
    let request = ClientRequest::new("server.example.com", "/chat")
        .with_protocols(OFFERED)
        .with_extensions(Some("x-foo"));
    // RFC 6455's sample nonce, so the corpus can hold responses that pass.
    let mut client = ClientHandshake::new(request, *b"the sample nonce").unwrap();
    let mut end = 0;
    while end < bytes.len() {
        end = (end + chunk).min(bytes.len());
        match client.receive(&bytes[..end]) {
            Ok(ResponseStatus::Partial) => {}
            Ok(ResponseStatus::Complete { response, consumed }) => {
                assert!(consumed <= end);
                if let Some(protocol) = response.protocol() {
                    assert!(OFFERED.contains(&protocol));
                }
                return;
            }
            Err(_) => return,
        }
    }
});
