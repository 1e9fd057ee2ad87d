//! Tests of the server handshake: every rejection with its response bytes,
//! every success fed whole and one byte at a time.

use super::*;
use crate::handshake::HeaderName;
use std::string::{String, ToString};
use std::vec::Vec;

/// RFC 6455 section 1.2's sample request.
const RFC_REQUEST: &[u8] = b"GET /chat HTTP/1.1\r\n\
Host: server.example.com\r\n\
Upgrade: websocket\r\n\
Connection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Origin: http://example.com\r\n\
Sec-WebSocket-Protocol: chat, superchat\r\n\
Sec-WebSocket-Version: 13\r\n\r\n";

/// The parts of a parsed request a test compares.
#[derive(Debug, PartialEq)]
struct Summary {
    path: String,
    host: String,
    origin: Option<String>,
    protocols: Vec<String>,
    extensions: Vec<String>,
    consumed: usize,
}

fn summarize(status: RequestStatus<'_>) -> Option<Summary> {
    match status {
        RequestStatus::Partial => None,
        RequestStatus::Complete { request, consumed } => Some(Summary {
            path: request.path().to_string(),
            host: request.host().to_string(),
            origin: request.origin().map(ToString::to_string),
            protocols: request.protocols().map(ToString::to_string).collect(),
            extensions: request.extensions().map(ToString::to_string).collect(),
            consumed,
        }),
    }
}

/// Parses `bytes` in one call with `config`.
fn parse_whole(config: ServerConfig, bytes: &[u8]) -> Result<Option<Summary>, HandshakeError> {
    ServerHandshake::new(config).receive(bytes).map(summarize)
}

/// Feeds `bytes` one more byte per call and checks that every call before
/// the last one that succeeds is `Partial`; returns the first error or the
/// final result.
fn parse_bytewise(config: ServerConfig, bytes: &[u8]) -> Result<Option<Summary>, HandshakeError> {
    let mut handshake = ServerHandshake::new(config);
    let mut last = None;
    for end in 1..=bytes.len() {
        let summary = summarize(handshake.receive(&bytes[..end])?);
        if end < bytes.len() && summary.is_some() {
            // Complete early: the rest is frame data, so stop here.
            return Ok(summary);
        }
        last = summary;
    }
    Ok(last)
}

/// Parses in both ways and checks they agree.
fn parse(config: ServerConfig, bytes: &[u8]) -> Result<Option<Summary>, HandshakeError> {
    let whole = parse_whole(config, bytes);
    assert_eq!(whole, parse_bytewise(config, bytes), "whole and byte-by-byte parses differ");
    whole
}

/// A valid request with `extra` header lines added before the blank line,
/// and the lines named in `without` left out.
fn request_with(without: &[&str], extra: &str) -> Vec<u8> {
    let mut head = String::from("GET /ws HTTP/1.1\r\n");
    for line in [
        "Host: example.com",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
    ] {
        if !without.iter().any(|name| line.starts_with(name)) {
            head.push_str(line);
            head.push_str("\r\n");
        }
    }
    head.push_str(extra);
    head.push_str("\r\n");
    head.into_bytes()
}

fn response_text(error: HandshakeError) -> String {
    let mut out = [0u8; 512];
    let len = error.write_response(&mut out).unwrap();
    String::from_utf8(out[..len].to_vec()).unwrap()
}

/// Checks the error, then the response the error writes: status line,
/// extra header, a body that explains the error and a matching length.
fn assert_rejected(
    config: ServerConfig,
    bytes: &[u8],
    expected: HandshakeError,
    status_line: &str,
    extra_header: Option<&str>,
) {
    assert_eq!(parse(config, bytes), Err(expected));
    let text = response_text(expected);
    let status_line = as_sent(status_line);
    assert!(text.starts_with(&std::format!("{status_line}\r\n")), "{text}");
    if let Some(header) = extra_header {
        assert!(text.contains(&std::format!("\r\n{header}\r\n")), "{text}");
    }
    let body = if cfg!(feature = "detailed-errors") { expected.to_string() } else { String::new() };
    assert!(text.ends_with(&std::format!("\r\n\r\n{body}")), "{text}");
    assert!(text.contains(&std::format!("\r\nContent-Length: {}\r\n", body.len())), "{text}");
    assert!(text.contains("\r\nConnection: close\r\n"), "{text}");
}

/// A status line as the server writes it: with its reason phrase only
/// with the `detailed-errors` feature ("HTTP/1.1 400 " without).
fn as_sent(status_line: &str) -> &str {
    if cfg!(feature = "detailed-errors") { status_line } else { &status_line[..13] }
}

fn rejected(bytes: &[u8], expected: HandshakeError, status_line: &str) {
    assert_rejected(ServerConfig::new(), bytes, expected, status_line, None);
}

const BAD_REQUEST: &str = "HTTP/1.1 400 Bad Request";

#[test]
fn rfc_sample_request_parses_whole_and_byte_by_byte() {
    let summary = parse(ServerConfig::new(), RFC_REQUEST).unwrap().unwrap();
    assert_eq!(
        summary,
        Summary {
            path: "/chat".into(),
            host: "server.example.com".into(),
            origin: Some("http://example.com".into()),
            protocols: std::vec!["chat".into(), "superchat".into()],
            extensions: Vec::new(),
            consumed: RFC_REQUEST.len(),
        }
    );
}

#[test]
fn bytes_after_the_head_are_left_for_the_frame_layer() {
    let mut bytes = RFC_REQUEST.to_vec();
    bytes.extend_from_slice(&[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f]);
    let summary = parse(ServerConfig::new(), &bytes).unwrap().unwrap();
    assert_eq!(summary.consumed, RFC_REQUEST.len());
}

#[test]
fn connection_token_lists_and_header_case_are_accepted() {
    let head = b"GET / HTTP/1.1\r\nhost: a.example\r\nUPGRADE: WebSocket\r\n\
        connection: keep-alive, Upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
        SEC-WEBSOCKET-VERSION: 13\r\n\r\n";
    assert!(parse(ServerConfig::new(), head).unwrap().is_some());
}

#[test]
fn upgrade_and_connection_may_be_split_over_several_lines() {
    let head = b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\nUpgrade: websocket\r\n\
        Connection: keep-alive\r\nConnection: upgrade\r\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    assert!(parse(ServerConfig::new(), head).unwrap().is_some());
}

#[test]
fn repeated_protocol_and_extension_lines_merge_into_one_list() {
    let head = request_with(
        &[],
        "Sec-WebSocket-Protocol: a, b\r\nSec-WebSocket-Protocol: c\r\n\
         Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\
         Sec-WebSocket-Extensions: x-foo, x-bar; q=\"1\"\r\n",
    );
    let summary = parse(ServerConfig::new(), &head).unwrap().unwrap();
    assert_eq!(summary.protocols, ["a", "b", "c"]);
    assert_eq!(
        summary.extensions,
        ["permessage-deflate; client_max_window_bits", "x-foo", "x-bar; q=\"1\""]
    );
}

#[test]
fn bare_lf_line_endings_are_accepted() {
    let head = b"GET / HTTP/1.1\nHost: a\nUpgrade: websocket\nConnection: Upgrade\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\nSec-WebSocket-Version: 13\n\n";
    assert_eq!(parse(ServerConfig::new(), head).unwrap().unwrap().consumed, head.len());
}

#[test]
fn non_get_methods_get_405_with_allow() {
    let head = b"POST /ws HTTP/1.1\r\nHost: a\r\n\r\n";
    assert_rejected(
        ServerConfig::new(),
        head,
        HandshakeError::MethodNotAllowed,
        "HTTP/1.1 405 Method Not Allowed",
        Some("Allow: GET"),
    );
}

#[test]
fn http_1_0_is_refused() {
    let head = String::from_utf8(request_with(&[], "")).unwrap().replace("HTTP/1.1", "HTTP/1.0");
    rejected(head.as_bytes(), HandshakeError::HttpVersionTooOld, BAD_REQUEST);
}

#[test]
fn host_must_be_present_once_and_valid() {
    rejected(&request_with(&["Host"], ""), HandshakeError::MissingHost, BAD_REQUEST);
    rejected(
        &request_with(&[], "Host: b.example\r\n"),
        HandshakeError::DuplicateHeader(HeaderName::Host),
        BAD_REQUEST,
    );
    rejected(&request_with(&["Host"], "Host: \r\n"), HandshakeError::InvalidHost, BAD_REQUEST);
    rejected(&request_with(&["Host"], "Host: a b\r\n"), HandshakeError::InvalidHost, BAD_REQUEST);
}

#[test]
fn upgrade_must_name_websocket() {
    rejected(&request_with(&["Upgrade"], ""), HandshakeError::MissingUpgrade, BAD_REQUEST);
    rejected(
        &request_with(&["Upgrade"], "Upgrade: websocket2, h2c\r\n"),
        HandshakeError::MissingUpgrade,
        BAD_REQUEST,
    );
}

#[test]
fn connection_must_name_upgrade() {
    rejected(
        &request_with(&["Connection"], ""),
        HandshakeError::MissingConnectionUpgrade,
        BAD_REQUEST,
    );
    rejected(
        &request_with(&["Connection"], "Connection: keep-alive\r\n"),
        HandshakeError::MissingConnectionUpgrade,
        BAD_REQUEST,
    );
}

#[test]
fn version_other_than_13_gets_426_naming_13() {
    for (head, error) in [
        (request_with(&["Sec-WebSocket-Version"], ""), HandshakeError::MissingVersion),
        (
            request_with(&["Sec-WebSocket-Version"], "Sec-WebSocket-Version: 8\r\n"),
            HandshakeError::UnsupportedVersion,
        ),
    ] {
        assert_rejected(
            ServerConfig::new(),
            &head,
            error,
            "HTTP/1.1 426 Upgrade Required",
            Some("Sec-WebSocket-Version: 13"),
        );
    }
    rejected(
        &request_with(&[], "Sec-WebSocket-Version: 13\r\n"),
        HandshakeError::DuplicateHeader(HeaderName::SecWebSocketVersion),
        BAD_REQUEST,
    );
}

#[test]
#[cfg(feature = "detailed-errors")]
fn the_full_426_response_is_exact() {
    let body = "Sec-WebSocket-Version must be 13";
    let expected = std::format!(
        "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    assert_eq!(response_text(HandshakeError::UnsupportedVersion), expected);
}

#[test]
#[cfg(not(feature = "detailed-errors"))]
fn the_bodiless_426_response_is_exact() {
    assert_eq!(
        response_text(HandshakeError::UnsupportedVersion),
        "HTTP/1.1 426 \r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\
         Connection: close\r\n\r\n"
    );
}

#[test]
fn key_must_be_base64_of_16_bytes() {
    rejected(&request_with(&["Sec-WebSocket-Key"], ""), HandshakeError::MissingKey, BAD_REQUEST);
    for bad in [
        "c2hvcnQ=",
        "dGhlIHNhbXBsZSBub25jZQ",
        "dGhlIHNhbXBsZSBub25jZQ==x",
        "!!!!!!!!!!!!!!!!!!!!!!==",
    ] {
        let line = std::format!("Sec-WebSocket-Key: {bad}\r\n");
        rejected(
            &request_with(&["Sec-WebSocket-Key"], &line),
            HandshakeError::InvalidKey,
            BAD_REQUEST,
        );
    }
    rejected(
        &request_with(&[], "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n"),
        HandshakeError::DuplicateHeader(HeaderName::SecWebSocketKey),
        BAD_REQUEST,
    );
}

#[test]
fn subprotocols_and_extensions_must_be_well_formed() {
    rejected(
        &request_with(&[], "Sec-WebSocket-Protocol: chat, super chat\r\n"),
        HandshakeError::InvalidProtocol,
        BAD_REQUEST,
    );
    rejected(
        &request_with(&[], "Sec-WebSocket-Extensions: permessage deflate\r\n"),
        HandshakeError::InvalidExtension,
        BAD_REQUEST,
    );
}

#[test]
fn origin_policy_refusal_gets_403() {
    const CONFIG: ServerConfig =
        ServerConfig::new().with_origin_policy(OriginPolicy::AllowList(&["https://good.example"]));
    let evil = request_with(&[], "Origin: https://evil.example\r\n");
    assert_rejected(CONFIG, &evil, HandshakeError::OriginRejected, "HTTP/1.1 403 Forbidden", None);
    let good = request_with(&[], "Origin: https://good.example\r\n");
    let summary = parse(CONFIG, &good).unwrap().unwrap();
    assert_eq!(summary.origin.as_deref(), Some("https://good.example"));
    rejected(&request_with(&[], "Origin: a\x01b\r\n"), HandshakeError::MalformedHead, BAD_REQUEST);
    rejected(&request_with(&[], "Origin: a b\r\n"), HandshakeError::InvalidOrigin, BAD_REQUEST);
}

#[test]
fn heads_over_the_size_limit_get_431() {
    let config = ServerConfig::new().with_max_head_len(64);
    let too_large = "HTTP/1.1 431 Request Header Fields Too Large";
    // The head completes, but past the limit.
    assert_rejected(config, &request_with(&[], ""), HandshakeError::HeadTooLarge, too_large, None);
    // The head never completes: refused once the limit is passed, without
    // waiting for more.
    let endless = [b'a'; 200];
    let mut head = b"GET / HTTP/1.1\r\nX: ".to_vec();
    head.extend_from_slice(&endless);
    let mut handshake = ServerHandshake::new(config);
    assert!(matches!(handshake.receive(&head[..64]), Ok(RequestStatus::Partial)));
    assert_eq!(handshake.receive(&head[..65]).unwrap_err(), HandshakeError::HeadTooLarge);
}

#[test]
fn too_many_header_lines_get_431() {
    let mut handshake = ServerHandshake::<4>::with_max_headers(ServerConfig::new());
    assert_eq!(
        handshake.receive(&request_with(&[], "")).unwrap_err(),
        HandshakeError::TooManyHeaders
    );
    assert_eq!(
        response_text(HandshakeError::TooManyHeaders).lines().next(),
        Some(as_sent("HTTP/1.1 431 Request Header Fields Too Large"))
    );
    let many = "Sec-WebSocket-Protocol: p\r\n".repeat(9);
    rejected(
        &request_with(&[], &many),
        HandshakeError::TooManyHeaders,
        "HTTP/1.1 431 Request Header Fields Too Large",
    );
}

#[test]
fn malformed_heads_get_400() {
    rejected(b"GET / HTTP/1.1\r\nHost a\r\n\r\n", HandshakeError::MalformedHead, BAD_REQUEST);
    rejected(b"GET / HTTP/2.0\r\n\r\n", HandshakeError::MalformedHead, BAD_REQUEST);
}

#[test]
fn garbage_fails_as_soon_as_a_line_ends() {
    // A TLS ClientHello sent to a plain port: refused on its first line
    // end, without waiting for a blank line that never comes.
    let mut handshake = ServerHandshake::new(ServerConfig::new());
    assert!(matches!(handshake.receive(b"\x16\x03\x01\x02"), Ok(RequestStatus::Partial)));
    assert_eq!(
        handshake.receive(b"\x16\x03\x01\x02\n").unwrap_err(),
        HandshakeError::MalformedHead
    );
}

#[test]
fn errors_are_sticky() {
    let mut handshake = ServerHandshake::new(ServerConfig::new());
    assert!(handshake.receive(b"PUT / HTTP/1.1\r\n\r\n").is_err());
    assert_eq!(handshake.receive(RFC_REQUEST).unwrap_err(), HandshakeError::MethodNotAllowed);
}

fn rfc_request() -> Request<'static> {
    match ServerHandshake::new(ServerConfig::new()).receive(RFC_REQUEST).unwrap() {
        RequestStatus::Complete { request, .. } => request,
        RequestStatus::Partial => panic!("the sample request is complete"),
    }
}

#[test]
fn accept_writes_the_exact_101_response() {
    let mut out = [0u8; 256];
    let options = AcceptOptions::new().with_protocol(Some("chat"));
    let len = rfc_request().accept(&options, &mut out).unwrap();
    assert_eq!(
        core::str::from_utf8(&out[..len]).unwrap(),
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n"
    );
}

#[test]
fn accept_writes_extensions_and_extra_headers() {
    let head = request_with(&[], "Sec-WebSocket-Extensions: x-foo; a=1, x-bar\r\n");
    let mut handshake = ServerHandshake::new(ServerConfig::new());
    let RequestStatus::Complete { request, .. } = handshake.receive(&head).unwrap() else {
        panic!("complete")
    };
    let mut out = [0u8; 256];
    let options =
        AcceptOptions::new().with_extensions(Some("x-bar")).with_headers(&[("Server", "barews")]);
    let len = request.accept(&options, &mut out).unwrap();
    let text = core::str::from_utf8(&out[..len]).unwrap();
    assert!(
        text.ends_with("\r\nSec-WebSocket-Extensions: x-bar\r\nServer: barews\r\n\r\n"),
        "{text}"
    );
}

#[test]
fn accept_refuses_choices_the_client_did_not_offer() {
    let request = rfc_request();
    let mut out = [0u8; 256];
    let accept = |options: AcceptOptions<'_>, out: &mut [u8]| request.accept(&options, out);
    assert_eq!(
        accept(AcceptOptions::new().with_protocol(Some("Chat")), &mut out),
        Err(AcceptError::ProtocolNotOffered)
    );
    assert_eq!(
        accept(AcceptOptions::new().with_extensions(Some("permessage-deflate")), &mut out),
        Err(AcceptError::ExtensionNotOffered)
    );
    assert_eq!(
        accept(AcceptOptions::new().with_extensions(Some("a b")), &mut out),
        Err(AcceptError::InvalidExtension)
    );
    for headers in [
        &[("X-Evil", "a\r\nSet-Cookie: b")][..],
        &[("Bad Name", "v")],
        &[("sec-websocket-accept", "forged")],
    ] {
        assert_eq!(
            accept(AcceptOptions::new().with_headers(headers), &mut out),
            Err(AcceptError::InvalidHeader)
        );
    }
}

#[test]
fn accept_leaves_a_small_buffer_untouched() {
    let mut out = [0x55u8; 64];
    let needed = 129; // The 101 with the accept key and no options.
    assert_eq!(
        rfc_request().accept(&AcceptOptions::new(), &mut out),
        Err(AcceptError::BufferTooSmall { required: needed })
    );
    assert_eq!(out, [0x55; 64]);
    let mut exact = [0u8; 129];
    assert_eq!(rfc_request().accept(&AcceptOptions::new(), &mut exact), Ok(needed));
}

#[test]
fn reject_writes_the_status_and_refuses_non_errors() {
    let mut out = [0u8; 256];
    let len = rfc_request().reject(401, &mut out).unwrap();
    let text = core::str::from_utf8(&out[..len]).unwrap();
    assert!(text.starts_with(&std::format!("{}\r\n", as_sent("HTTP/1.1 401 Unauthorized"))));
    let body = if cfg!(feature = "detailed-errors") { "WebSocket upgrade refused" } else { "" };
    assert!(text.ends_with(&std::format!("\r\n\r\n{body}")), "{text}");
    let len = rfc_request().reject(599, &mut out).unwrap();
    assert!(out[..len].starts_with(b"HTTP/1.1 599 \r\n"));
    assert_eq!(rfc_request().reject(200, &mut out), Err(AcceptError::InvalidStatus));
    assert_eq!(rfc_request().reject(101, &mut out), Err(AcceptError::InvalidStatus));
}

#[test]
fn hijacked_requests_validate_like_parsed_ones() {
    let headers: [(&str, &[u8]); 5] = [
        ("host", b" example.com "),
        ("upgrade", b"websocket"),
        ("connection", b"Upgrade"),
        ("sec-websocket-key", b"dGhlIHNhbXBsZSBub25jZQ=="),
        ("sec-websocket-version", b"13"),
    ];
    let config = ServerConfig::new();
    let request = Request::from_parts(&config, "GET", HttpVersion::Http11, "/ws", headers).unwrap();
    assert_eq!((request.host(), request.path()), ("example.com", "/ws"));
    assert_eq!(
        Request::from_parts(&config, "POST", HttpVersion::Http11, "/ws", headers).unwrap_err(),
        HandshakeError::MethodNotAllowed
    );
    assert_eq!(
        Request::from_parts(&config, "GET", HttpVersion::Http10, "/ws", headers).unwrap_err(),
        HandshakeError::HttpVersionTooOld
    );
    assert_eq!(
        Request::from_parts(
            &config,
            "GET",
            HttpVersion::Http11,
            "/ws",
            headers[..4].iter().copied()
        )
        .unwrap_err(),
        HandshakeError::MissingVersion
    );
}
