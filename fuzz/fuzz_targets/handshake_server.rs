//! Arbitrary request bytes, cut at arbitrary points, fed to the server
//! handshake. Checks: no panic; `consumed` never exceeds the input; an
//! accepted request re-validates through the hijack entry point
//! (`Request::from_parts`) with the same result; it accepts into a 101
//! that an HTTP parser reads back; a refusal writes a well-formed HTTP
//! error response.
#![no_main]

use barews::handshake::HttpVersion;
use barews::handshake::server::{
    AcceptOptions, Request, RequestStatus, ServerConfig, ServerHandshake,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    // The first byte picks the chunk size; the rest is the request.
    let Some((&chunk, bytes)) = input.split_first() else { return };
    let chunk = usize::from(chunk).max(1);
    let config = ServerConfig::new().with_max_head_len(4096);
    let mut server = ServerHandshake::new(config);
    let mut end = 0;
    while end < bytes.len() {
        end = (end + chunk).min(bytes.len());
        match server.receive(&bytes[..end]) {
            Ok(RequestStatus::Partial) => {}
            Ok(RequestStatus::Complete { request, consumed }) => {
                assert!(consumed <= end);
                // The same head through the hijack entry point.
                let mut slots = [httparse::EMPTY_HEADER; 32];
                let mut parsed = httparse::Request::new(&mut slots);
                assert!(parsed.parse(&bytes[..consumed]).expect("the head parses").is_complete());
                let again = Request::from_parts(
                    &config,
                    parsed.method.unwrap(),
                    HttpVersion::Http11,
                    parsed.path.unwrap(),
                    parsed.headers.iter().map(|h| (h.name, h.value)),
                )
                .expect("an accepted request re-validates");
                assert_eq!(again.path(), request.path());
                assert_eq!(again.host(), request.host());
                assert_eq!(again.key(), request.key());
                assert!(again.protocols().eq(request.protocols()));
                let mut out = [0u8; 8192];
                let options = AcceptOptions::new().with_protocol(request.protocols().next());
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
