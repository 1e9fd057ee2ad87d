//! Tests of the client handshake: the request bytes, every response check,
//! and every success fed whole and one byte at a time.

use super::*;
use crate::handshake::HeaderName;
use std::string::{String, ToString};
use std::vec::Vec;

const RFC_NONCE: [u8; 16] = *b"the sample nonce";
const RFC_ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
const OFFERED: &[&str] = &["chat", "superchat"];

fn rfc_handshake() -> ClientHandshake<'static> {
    let request = ClientRequest::new("server.example.com", "/chat")
        .with_origin(Some("http://example.com"))
        .with_protocols(OFFERED)
        .with_extensions(Some("x-foo; a=1, x-bar"));
    ClientHandshake::new(request, RFC_NONCE).unwrap()
}

fn written(handshake: &ClientHandshake<'_>) -> String {
    let mut out = [0u8; 512];
    let len = handshake.write_request(&mut out).unwrap();
    String::from_utf8(out[..len].to_vec()).unwrap()
}

/// A 101 response for the RFC nonce with `extra` header lines.
fn response_with(extra: &str) -> Vec<u8> {
    std::format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {RFC_ACCEPT}\r\n{extra}\r\n"
    )
    .into_bytes()
}

#[derive(Debug, PartialEq)]
struct Summary {
    protocol: Option<String>,
    extensions: Vec<String>,
    consumed: usize,
}

fn summarize(status: ResponseStatus<'_>) -> Option<Summary> {
    match status {
        ResponseStatus::Partial => None,
        ResponseStatus::Complete { response, consumed } => Some(Summary {
            protocol: response.protocol().map(ToString::to_string),
            extensions: response.extensions().map(ToString::to_string).collect(),
            consumed,
        }),
    }
}

/// Parses `bytes` whole and one byte more per call; both must agree.
fn parse(bytes: &[u8]) -> Result<Option<Summary>, ResponseError> {
    let whole = rfc_handshake().receive(bytes).map(summarize);
    let mut handshake = rfc_handshake();
    let mut bytewise = Ok(None);
    for end in 1..=bytes.len() {
        bytewise = handshake.receive(&bytes[..end]).map(summarize);
        if !matches!(bytewise, Ok(None)) {
            break;
        }
    }
    assert_eq!(whole, bytewise, "whole and byte-by-byte parses differ");
    whole
}

#[test]
fn request_for_the_rfc_sample_is_exact() {
    assert_eq!(
        written(&rfc_handshake()),
        "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\nOrigin: http://example.com\r\n\
         Sec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Extensions: x-foo; a=1, x-bar\r\n\r\n"
    );
}

#[test]
fn host_header_names_the_port_only_when_not_default() {
    let host_line = |request: ClientRequest<'_>| {
        let text = written(&ClientHandshake::new(request, RFC_NONCE).unwrap());
        text.lines().nth(1).unwrap().to_string()
    };
    let base = ClientRequest::new("example.com", "/");
    assert_eq!(host_line(base.with_port(80)), "Host: example.com");
    assert_eq!(host_line(base.with_port(443)), "Host: example.com:443");
    assert_eq!(host_line(base.with_secure(true).with_port(443)), "Host: example.com");
    assert_eq!(host_line(base.with_secure(true).with_port(80)), "Host: example.com:80");
    assert_eq!(host_line(base.with_port(9001)), "Host: example.com:9001");
    assert_eq!(host_line(ClientRequest::new("::1", "/").with_port(9001)), "Host: [::1]:9001");
    assert_eq!(host_line(ClientRequest::new("[::1]", "/")), "Host: [::1]");
}

#[test]
fn extra_headers_are_written_after_the_handshake_headers() {
    let request =
        ClientRequest::new("a.example", "/").with_headers(&[("Authorization", "Bearer x")]);
    let text = written(&ClientHandshake::new(request, RFC_NONCE).unwrap());
    assert!(text.ends_with("Sec-WebSocket-Version: 13\r\nAuthorization: Bearer x\r\n\r\n"));
}

#[test]
fn write_request_leaves_a_small_buffer_untouched() {
    let handshake = rfc_handshake();
    let needed = written(&handshake).len();
    let mut out = std::vec![0x33u8; needed - 1];
    assert_eq!(handshake.write_request(&mut out), Err(BufferTooSmall { required: needed }));
    assert!(out.iter().all(|&b| b == 0x33));
}

#[test]
fn requests_that_would_break_the_head_are_refused() {
    let check = |request: ClientRequest<'_>, error| {
        assert_eq!(ClientHandshake::new(request, RFC_NONCE).unwrap_err(), error);
    };
    let ok = ClientRequest::new("a.example", "/");
    check(ClientRequest::new("", "/"), RequestError::InvalidHost);
    check(ClientRequest::new("a.example\r\nX: 1", "/"), RequestError::InvalidHost);
    check(ClientRequest::new("user@a.example", "/"), RequestError::InvalidHost);
    check(ClientRequest::new("a.example", "chat"), RequestError::InvalidPath);
    check(ClientRequest::new("a.example", "/a b"), RequestError::InvalidPath);
    check(ok.with_origin(Some("")), RequestError::InvalidOrigin);
    check(ok.with_origin(Some("http://a\r\n")), RequestError::InvalidOrigin);
    check(ok.with_protocols(&["chat", "chat"]), RequestError::InvalidProtocol);
    check(ok.with_protocols(&["a,b"]), RequestError::InvalidProtocol);
    check(ok.with_extensions(Some("a b")), RequestError::InvalidExtension);
    check(ok.with_headers(&[("Sec-WebSocket-Key", "x")]), RequestError::InvalidHeader);
    check(ok.with_headers(&[("X", "a\nb")]), RequestError::InvalidHeader);
}

#[test]
fn rfc_sample_response_is_accepted_whole_and_byte_by_byte() {
    let bytes = response_with("Sec-WebSocket-Protocol: chat\r\n");
    assert_eq!(
        parse(&bytes),
        Ok(Some(Summary {
            protocol: Some("chat".into()),
            extensions: Vec::new(),
            consumed: bytes.len(),
        }))
    );
}

#[test]
fn bytes_after_the_response_head_are_left_for_the_frame_layer() {
    let head = response_with("");
    let mut bytes = head.clone();
    bytes.extend_from_slice(&[0x81, 0x05, b'H', b'e', b'l', b'l', b'o']);
    let summary = parse(&bytes).unwrap().unwrap();
    assert_eq!(summary.consumed, head.len());
    assert_eq!(&bytes[summary.consumed..], b"\x81\x05Hello");
}

#[test]
fn accepted_extensions_are_reported() {
    let bytes = response_with(
        "Sec-WebSocket-Extensions: x-bar\r\nSec-WebSocket-Extensions: X-Foo; a=1\r\n",
    );
    assert_eq!(parse(&bytes).unwrap().unwrap().extensions, ["x-bar", "X-Foo; a=1"]);
}

#[test]
fn a_status_other_than_101_is_an_error_carrying_it() {
    let bytes = b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n";
    assert_eq!(parse(bytes), Err(ResponseError::UnexpectedStatus(401)));
    let bytes = b"HTTP/1.1 200 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
    assert_eq!(parse(bytes), Err(ResponseError::UnexpectedStatus(200)));
}

#[test]
fn the_101_must_carry_upgrade_and_connection() {
    let without = |name: &str| {
        let text = String::from_utf8(response_with("")).unwrap();
        let kept: Vec<&str> = text.split("\r\n").filter(|line| !line.starts_with(name)).collect();
        kept.join("\r\n").into_bytes()
    };
    assert_eq!(parse(&without("Upgrade")), Err(ResponseError::MissingUpgrade));
    assert_eq!(parse(&without("Connection")), Err(ResponseError::MissingConnectionUpgrade));
    assert_eq!(parse(&without("Sec-WebSocket-Accept")), Err(ResponseError::MissingAccept));
}

#[test]
fn a_wrong_or_repeated_accept_key_is_refused() {
    let wrong =
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
        Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOp=\r\n\r\n";
    assert_eq!(parse(wrong), Err(ResponseError::AcceptMismatch));
    let repeated = response_with(&std::format!("Sec-WebSocket-Accept: {RFC_ACCEPT}\r\n"));
    assert_eq!(
        parse(&repeated),
        Err(ResponseError::DuplicateHeader(HeaderName::SecWebSocketAccept))
    );
}

#[test]
fn the_selected_subprotocol_must_be_a_single_offered_one() {
    assert_eq!(
        parse(&response_with("Sec-WebSocket-Protocol: mqtt\r\n")),
        Err(ResponseError::ProtocolNotOffered)
    );
    assert_eq!(
        parse(&response_with("Sec-WebSocket-Protocol: chat, superchat\r\n")),
        Err(ResponseError::InvalidProtocol)
    );
    assert_eq!(
        parse(&response_with("Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: chat\r\n")),
        Err(ResponseError::DuplicateHeader(HeaderName::SecWebSocketProtocol))
    );
    // With nothing offered, any selection is refused.
    let request = ClientRequest::new("server.example.com", "/chat");
    let mut handshake = ClientHandshake::new(request, RFC_NONCE).unwrap();
    assert_eq!(
        handshake.receive(&response_with("Sec-WebSocket-Protocol: chat\r\n")).unwrap_err(),
        ResponseError::ProtocolNotOffered
    );
}

#[test]
fn accepted_extensions_must_have_been_offered_and_well_formed() {
    assert_eq!(
        parse(&response_with("Sec-WebSocket-Extensions: permessage-deflate\r\n")),
        Err(ResponseError::ExtensionNotOffered)
    );
    assert_eq!(
        parse(&response_with("Sec-WebSocket-Extensions: x-foo; a=\"b c\"\r\n")),
        Err(ResponseError::InvalidExtension)
    );
}

#[test]
fn old_or_malformed_responses_are_refused() {
    let old = String::from_utf8(response_with("")).unwrap().replace("HTTP/1.1", "HTTP/1.0");
    assert_eq!(parse(old.as_bytes()), Err(ResponseError::HttpVersionTooOld));
    assert_eq!(parse(b"HTTP/1.1 abc\r\n\r\n"), Err(ResponseError::MalformedHead));
    assert_eq!(parse(b"SSH-2.0-OpenSSH_9.6\r\n"), Err(ResponseError::MalformedHead));
}

#[test]
fn response_limits_are_enforced() {
    let mut small = rfc_handshake().with_max_head_len(32);
    assert_eq!(small.receive(&response_with("")).unwrap_err(), ResponseError::HeadTooLarge);
    let request = ClientRequest::new("a", "/");
    let mut few = ClientHandshake::<'_, 3>::with_max_headers(request, RFC_NONCE).unwrap();
    assert_eq!(
        few.receive(&response_with("Server: x\r\n")).unwrap_err(),
        ResponseError::TooManyHeaders
    );
}

#[test]
fn response_errors_are_sticky() {
    let mut handshake = rfc_handshake();
    assert!(handshake.receive(b"HTTP/1.1 500 Oops\r\n\r\n").is_err());
    assert_eq!(
        handshake.receive(&response_with("")).unwrap_err(),
        ResponseError::UnexpectedStatus(500)
    );
}

#[test]
fn repeated_extension_lines_are_limited_as_in_a_request() {
    let line = "Sec-WebSocket-Extensions: x-bar\r\n";
    let allowed = response_with(&line.repeat(crate::handshake::MAX_LIST_LINES));
    assert_eq!(parse(&allowed).unwrap().unwrap().extensions.len(), 8);
    let many = response_with(&line.repeat(crate::handshake::MAX_LIST_LINES + 1));
    assert_eq!(parse(&many), Err(ResponseError::TooManyHeaders));
}

#[test]
fn without_an_offer_any_accepted_extension_is_refused() {
    let request = ClientRequest::new("server.example.com", "/chat");
    for line in ["permessage-deflate", "x-foo; a=\"b c\"", "not a token"] {
        let mut handshake = ClientHandshake::new(request, RFC_NONCE).unwrap();
        let bytes = response_with(&std::format!("Sec-WebSocket-Extensions: {line}\r\n"));
        assert_eq!(handshake.receive(&bytes).unwrap_err(), ResponseError::ExtensionNotOffered);
    }
    // An empty list accepts nothing, and a value that could break the
    // head is refused as such.
    let mut handshake = ClientHandshake::new(request, RFC_NONCE).unwrap();
    assert!(handshake.receive(&response_with("Sec-WebSocket-Extensions: ,\r\n")).is_ok());
    let mut handshake = ClientHandshake::new(request, RFC_NONCE).unwrap();
    assert_eq!(
        handshake.receive(&response_with("Sec-WebSocket-Extensions: a\u{80}\r\n")).unwrap_err(),
        ResponseError::InvalidExtension
    );
}

#[test]
fn a_selected_subprotocol_that_is_no_token_is_invalid_whatever_was_offered() {
    let request = ClientRequest::new("server.example.com", "/chat");
    let mut handshake = ClientHandshake::new(request, RFC_NONCE).unwrap();
    assert_eq!(
        handshake.receive(&response_with("Sec-WebSocket-Protocol: a b\r\n")).unwrap_err(),
        ResponseError::InvalidProtocol
    );
    assert_eq!(
        parse(&response_with("Sec-WebSocket-Protocol: chat\u{80}\r\n")),
        Err(ResponseError::InvalidProtocol)
    );
}
