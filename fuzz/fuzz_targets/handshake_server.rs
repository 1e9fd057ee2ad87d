//! Arbitrary request bytes, cut at arbitrary points, fed to the server
//! handshake. Checks: no panic; `consumed` never exceeds the input; a
//! parsed request accepts into a 101 that a client-side parser can read
//! back; a refusal writes a well-formed HTTP error response.
#![no_main]

use barews::handshake::server::{AcceptOptions, RequestStatus, ServerConfig, ServerHandshake};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    // The first byte picks the chunk size; the rest is the request.
    let Some((&chunk, bytes)) = input.split_first() else { return };
    let chunk = usize::from(chunk).max(1);
    let mut server = ServerHandshake::new(ServerConfig::new().max_head_len(4096));
    let mut end = 0;
    while end < bytes.len() {
        end = (end + chunk).min(bytes.len());
        match server.receive(&bytes[..end]) {
            Ok(RequestStatus::Partial) => {}
            Ok(RequestStatus::Complete { request, consumed }) => {
                assert!(consumed <= end);
                let mut out = [0u8; 8192];
                let options = AcceptOptions::new().protocol(request.protocols().next());
                let len = request.accept(&options, &mut out).expect("an offered protocol is accepted");
                let mut headers = [httparse::EMPTY_HEADER; 16];
                let mut response = httparse::Response::new(&mut headers);
                let status = response.parse(&out[..len]).expect("the 101 parses");
                assert!(status.is_complete());
                assert_eq!(response.code, Some(101));
                return;
            }
            Err(error) => {
                let mut out = [0u8; 1024];
                let len = error.write_response(&mut out).expect("error responses are small");
                let text = core::str::from_utf8(&out[..len]).expect("responses are ASCII");
                assert!(text.starts_with("HTTP/1.1 4"));
                assert!(text.contains("\r\n\r\n"));
                return;
            }
        }
    }
});
