//! Tests of the HTTP/2 handshake: RFC 8441 section 5.1's exchange, every
//! rule refused with its status, agreement in both directions, and the
//! client's check of the answer.

use super::*;
use crate::handshake::client::{ClientRequest, RequestError, ResponseError};
use crate::handshake::server::{
    AcceptError, AcceptOptions, HandshakeError, OriginPolicy, ServerConfig,
};
use crate::handshake::{HeaderName, HttpVersion};
use std::string::{String, ToString};
use std::vec::Vec;

/// RFC 8441 section 5.1's request, as its header fields.
const RFC_REQUEST: [(&str, &str); 9] = [
    (":method", "CONNECT"),
    (":protocol", "websocket"),
    (":scheme", "https"),
    (":path", "/chat"),
    (":authority", "server.example.com"),
    ("sec-websocket-protocol", "chat, superchat"),
    ("sec-websocket-extensions", "permessage-deflate"),
    ("sec-websocket-version", "13"),
    ("origin", "http://www.example.com"),
];

/// Pairs of text as the pairs of bytes the checks take.
fn as_bytes<'a>(pairs: &'a [(&'a str, &'a str)]) -> Vec<(&'a str, &'a [u8])> {
    pairs.iter().map(|&(name, value)| (name, value.as_bytes())).collect()
}

/// RFC 8441's request with the fields named in `without` left out and
/// `extra` added at the end.
fn request_with<'a>(without: &[&str], extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    RFC_REQUEST
        .iter()
        .copied()
        .filter(|(name, _)| !without.contains(name))
        .chain(extra.iter().copied())
        .collect()
}

fn check(config: &ServerConfig, pairs: &[(&str, &str)]) -> Result<Summary, HandshakeError> {
    ExtendedConnect::from_headers(config, as_bytes(pairs)).map(|connect| Summary::of(&connect))
}

/// What a test compares of an accepted request.
#[derive(Debug, PartialEq)]
struct Summary {
    scheme: Scheme,
    path: String,
    authority: String,
    origin: Option<String>,
    protocols: Vec<String>,
    extensions: Vec<String>,
}

impl Summary {
    fn of(connect: &ExtendedConnect<'_>) -> Self {
        Summary {
            scheme: connect.scheme(),
            path: connect.path().to_string(),
            authority: connect.authority().to_string(),
            origin: connect.origin().map(ToString::to_string),
            protocols: connect.protocols().map(ToString::to_string).collect(),
            extensions: connect.extensions().map(ToString::to_string).collect(),
        }
    }
}

/// Refused with `expected`, whose HTTP/2 answer has `status` and `header`.
fn refused(
    pairs: &[(&str, &str)],
    expected: HandshakeError,
    status: u16,
    header: Option<(&str, &str)>,
) {
    refused_with(&ServerConfig::new(), pairs, expected, status, header);
}

fn refused_with(
    config: &ServerConfig,
    pairs: &[(&str, &str)],
    expected: HandshakeError,
    status: u16,
    header: Option<(&str, &str)>,
) {
    assert_eq!(check(config, pairs), Err(expected), "{pairs:?}");
    let answer = ResponseHeaders::for_error(expected);
    assert_eq!(answer.status(), status, "{expected:?}");
    assert!(!answer.is_accepted());
    assert_eq!(answer.iter().collect::<Vec<_>>(), header.into_iter().collect::<Vec<_>>());
    assert_eq!(ResponseHeaders::from(expected), answer);
}

fn rfc_client_request() -> ClientRequest<'static> {
    ClientRequest::new("server.example.com", "/chat")
        .with_secure(true)
        .with_origin(Some("http://www.example.com"))
        .with_protocols(&["chat", "superchat"])
        .with_extensions(Some("permessage-deflate"))
}

#[test]
fn the_rfc_request_is_accepted_and_answered_as_the_rfc_shows() {
    let pairs = as_bytes(&RFC_REQUEST);
    let connect =
        ExtendedConnect::from_headers(&ServerConfig::new(), pairs.iter().copied()).unwrap();
    assert_eq!(
        Summary::of(&connect),
        Summary {
            scheme: Scheme::Https,
            path: "/chat".into(),
            authority: "server.example.com".into(),
            origin: Some("http://www.example.com".into()),
            protocols: std::vec!["chat".into(), "superchat".into()],
            extensions: std::vec!["permessage-deflate".into()],
        }
    );
    let offer = connect.offer();
    assert_eq!((offer.host(), offer.path()), ("server.example.com", "/chat"));
    // The RFC's answer: `:status = 200`, `sec-websocket-protocol = chat`.
    let answer = connect.accept(&AcceptOptions::new().with_protocol(Some("chat"))).unwrap();
    assert_eq!(answer.status(), 200);
    assert!(answer.is_accepted());
    assert_eq!(answer.iter().collect::<Vec<_>>(), [("sec-websocket-protocol", "chat")]);
    assert_eq!((answer.protocol(), answer.extensions()), (Some("chat"), None));
}

#[test]
fn the_client_writes_the_rfc_request_and_accepts_the_rfc_answer() {
    let client = ConnectHandshake::new(rfc_client_request()).unwrap();
    let mut scratch = [0u8; 64];
    let headers = client.headers(&mut scratch).unwrap();
    let written: Vec<(&str, &str)> = headers.iter().collect();
    // The pseudo-header fields first, in the RFC's order; the regular
    // fields are the RFC's, in an order of their own.
    assert_eq!(written[..5], RFC_REQUEST[..5]);
    let mut regular = written[5..].to_vec();
    let mut expected = RFC_REQUEST[5..].to_vec();
    regular.sort_unstable();
    expected.sort_unstable();
    assert_eq!(regular, expected);
    assert_eq!(headers.fields().collect::<Vec<_>>(), written[5..]);
    assert_eq!(
        (headers.scheme(), headers.authority(), headers.path()),
        (Scheme::Https, "server.example.com", "/chat")
    );

    let response = client.check_response(200, [("sec-websocket-protocol", &b"chat"[..])]).unwrap();
    assert_eq!(response.protocol(), Some("chat"));
    assert_eq!(response.extensions().count(), 0);
}

#[test]
fn pseudo_headers_are_checked_in_order_with_their_statuses() {
    let allow = Some(("allow", "CONNECT"));
    refused(&request_with(&[":method"], &[]), HandshakeError::MethodNotConnect, 405, allow);
    let mut get = request_with(&[], &[]);
    get[0] = (":method", "GET");
    refused(&get, HandshakeError::MethodNotConnect, 405, allow);
    // Methods are case-sensitive.
    get[0] = (":method", "connect");
    refused(&get, HandshakeError::MethodNotConnect, 405, allow);

    refused(&request_with(&[":protocol"], &[]), HandshakeError::MissingProtocol, 400, None);
    let mut other = request_with(&[], &[]);
    other[1] = (":protocol", "connect-udp");
    refused(&other, HandshakeError::UnsupportedProtocol, 501, None);

    refused(&request_with(&[":scheme"], &[]), HandshakeError::InvalidScheme, 400, None);
    let mut ftp = request_with(&[], &[]);
    ftp[2] = (":scheme", "ftp");
    refused(&ftp, HandshakeError::InvalidScheme, 400, None);

    refused(&request_with(&[":path"], &[]), HandshakeError::InvalidPath, 400, None);
    for bad in ["", "chat", "/a b", "/\u{e9}", "*"] {
        let mut path = request_with(&[], &[]);
        path[3] = (":path", bad);
        refused(&path, HandshakeError::InvalidPath, 400, None);
    }

    refused(&request_with(&[":authority"], &[]), HandshakeError::MissingAuthority, 400, None);
    for bad in ["", "a b.example", "\u{e9}.example"] {
        let mut authority = request_with(&[], &[]);
        authority[4] = (":authority", bad);
        refused(&authority, HandshakeError::InvalidAuthority, 400, None);
    }
}

#[test]
fn the_checks_run_in_order() {
    // A GET without `:protocol`: the method is reported first.
    let mut pairs = request_with(&[":protocol", "sec-websocket-version"], &[]);
    pairs[0] = (":method", "GET");
    assert_eq!(check(&ServerConfig::new(), &pairs), Err(HandshakeError::MethodNotConnect));
    // Pseudo-header fields before the version, the version before the lists.
    let pairs = request_with(&[":path", "sec-websocket-version"], &[]);
    assert_eq!(check(&ServerConfig::new(), &pairs), Err(HandshakeError::InvalidPath));
    let pairs = request_with(
        &["sec-websocket-version", "sec-websocket-protocol"],
        &[("sec-websocket-protocol", "a b")],
    );
    assert_eq!(check(&ServerConfig::new(), &pairs), Err(HandshakeError::MissingVersion));
}

#[test]
fn protocol_and_scheme_ignore_case_and_values_are_trimmed() {
    let pairs = [
        (":method", "CONNECT"),
        (":protocol", "WebSocket"),
        (":scheme", "HTTP"),
        (":path", " /ws?x=1 "),
        (":authority", "\texample.com:8080"),
        ("Sec-WebSocket-Version", "13 "),
        ("SEC-WEBSOCKET-PROTOCOL", "a,b"),
    ];
    let summary = check(&ServerConfig::new(), &pairs).unwrap();
    assert_eq!(summary.scheme, Scheme::Http);
    assert_eq!(
        (summary.path.as_str(), summary.authority.as_str()),
        ("/ws?x=1", "example.com:8080")
    );
    assert_eq!(summary.protocols, ["a", "b"]);
}

#[test]
fn host_may_stand_for_the_authority_and_must_agree_with_it() {
    let config = ServerConfig::new();
    let host_only = request_with(&[":authority"], &[("host", "server.example.com")]);
    assert_eq!(check(&config, &host_only).unwrap().authority, "server.example.com");
    let both = request_with(&[], &[("host", "SERVER.example.com")]);
    assert!(check(&config, &both).is_ok());
    let other = request_with(&[], &[("host", "evil.example")]);
    refused(&other, HandshakeError::HostMismatch, 400, None);
    let bad_host = request_with(&[":authority"], &[("host", "a b")]);
    refused(&bad_host, HandshakeError::InvalidHost, 400, None);
    let twice =
        request_with(&[], &[("host", "server.example.com"), ("host", "server.example.com")]);
    refused(&twice, HandshakeError::DuplicateHeader(HeaderName::Host), 400, None);
}

#[test]
fn connection_specific_headers_are_refused() {
    for (name, value) in [
        ("connection", "Upgrade"),
        ("upgrade", "websocket"),
        ("Keep-Alive", "timeout=5"),
        ("proxy-connection", "keep-alive"),
        ("transfer-encoding", "chunked"),
        ("te", "gzip"),
    ] {
        let pairs = request_with(&[], &[(name, value)]);
        refused(&pairs, HandshakeError::ConnectionSpecificHeader, 400, None);
    }
    // `te: trailers` is the one exception (RFC 9113 section 8.2.2).
    assert!(check(&ServerConfig::new(), &request_with(&[], &[("te", "trailers")])).is_ok());
}

#[test]
fn pseudo_headers_a_request_cannot_carry_or_repeated_are_refused() {
    for name in [":status", ":foo", ":"] {
        let pairs = request_with(&[], &[(name, "200")]);
        refused(&pairs, HandshakeError::InvalidPseudoHeader, 400, None);
    }
    for (name, header) in [
        (":method", HeaderName::Method),
        (":protocol", HeaderName::Protocol),
        (":scheme", HeaderName::Scheme),
        (":path", HeaderName::Path),
        (":authority", HeaderName::Authority),
        ("origin", HeaderName::Origin),
        ("sec-websocket-version", HeaderName::SecWebSocketVersion),
    ] {
        let value = RFC_REQUEST.iter().find(|(n, _)| *n == name).unwrap().1;
        let pairs = request_with(&[], &[(name, value)]);
        refused(&pairs, HandshakeError::DuplicateHeader(header), 400, None);
    }
    assert_eq!(HeaderName::Authority.to_string(), ":authority");
}

#[test]
fn version_errors_are_400_with_the_version_header() {
    let version = Some(("sec-websocket-version", "13"));
    let missing = request_with(&["sec-websocket-version"], &[]);
    refused(&missing, HandshakeError::MissingVersion, 400, version);
    let old = request_with(&["sec-websocket-version"], &[("sec-websocket-version", "8")]);
    refused(&old, HandshakeError::UnsupportedVersion, 400, version);
    // Over HTTP/1.1 the same error is a 426.
    assert_eq!(HandshakeError::UnsupportedVersion.status(), 426);
}

#[test]
fn lists_and_origin_follow_the_http1_rules() {
    let bad_protocols =
        request_with(&["sec-websocket-protocol"], &[("sec-websocket-protocol", "a b")]);
    refused(&bad_protocols, HandshakeError::InvalidProtocol, 400, None);
    let bad_extensions =
        request_with(&["sec-websocket-extensions"], &[("sec-websocket-extensions", "x; =1")]);
    refused(&bad_extensions, HandshakeError::InvalidExtension, 400, None);
    let bad_origin = request_with(&["origin"], &[("origin", "http://a b")]);
    refused(&bad_origin, HandshakeError::InvalidOrigin, 400, None);
    let lines = [("sec-websocket-protocol", "p"); crate::handshake::MAX_LIST_LINES];
    let too_many = request_with(&[], &lines);
    refused(&too_many, HandshakeError::TooManyHeaders, 431, None);

    // The origin policy compares the origin with the authority.
    let same_host = ServerConfig::new().with_origin_policy(OriginPolicy::SameHost);
    refused_with(&same_host, &RFC_REQUEST, HandshakeError::OriginRejected, 403, None);
    let pairs = request_with(&["origin"], &[("origin", "https://server.example.com")]);
    assert!(check(&same_host, &pairs).is_ok());
    let listed = ServerConfig::new()
        .with_origin_policy(OriginPolicy::AllowList(&["http://www.example.com"]));
    assert!(check(&listed, &RFC_REQUEST).is_ok());
}

#[test]
fn the_same_rules_give_the_same_errors_as_http1() {
    // Each case: extra (name, value) fields on a minimal request, over
    // both HTTP versions.
    let cases: [&[(&str, &str)]; 7] = [
        &[("sec-websocket-protocol", "chat, x y")],
        &[("sec-websocket-extensions", "permessage-deflate; a=\"b c\"")],
        &[("origin", "null")],
        &[("origin", "https://other.example")],
        &[("origin", "a"), ("origin", "a")],
        &[("sec-websocket-protocol", "chat"), ("sec-websocket-extensions", "x, y; z=1")],
        &[("sec-websocket-version", "13"), ("sec-websocket-version", "13")],
    ];
    let config = ServerConfig::new().with_origin_policy(OriginPolicy::SameHost);
    for extra in cases {
        let mut h2 = std::vec![
            (":method", "CONNECT"),
            (":protocol", "websocket"),
            (":scheme", "http"),
            (":path", "/"),
            (":authority", "h.example"),
        ];
        let mut h1 = std::vec![
            ("host", "h.example"),
            ("upgrade", "websocket"),
            ("connection", "upgrade"),
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ];
        if !extra.iter().any(|(name, _)| *name == "sec-websocket-version") {
            h2.push(("sec-websocket-version", "13"));
            h1.push(("sec-websocket-version", "13"));
        }
        h2.extend_from_slice(extra);
        h1.extend_from_slice(extra);
        let over_h2 = ExtendedConnect::from_headers(&config, as_bytes(&h2));
        let over_h1 = crate::handshake::server::Request::from_parts(
            &config,
            "GET",
            HttpVersion::Http11,
            "/",
            as_bytes(&h1),
        );
        match (over_h2, over_h1) {
            (Ok(h2), Ok(h1)) => {
                let (a, b) = (h2.offer(), h1.offer());
                assert!(a.protocols().eq(b.protocols()), "{extra:?}");
                assert!(a.extensions().eq(b.extensions()), "{extra:?}");
                assert_eq!(a.origin(), b.origin());
            }
            (h2, h1) => assert_eq!(h2.err(), h1.err(), "{extra:?}"),
        }
    }
}

#[test]
fn a_sent_key_is_ignored() {
    let pairs = request_with(&[], &[("sec-websocket-key", "not base64 at all")]);
    assert!(check(&ServerConfig::new(), &pairs).is_ok());
}

#[test]
fn accept_checks_the_answer_as_http1_does() {
    let pairs = as_bytes(&RFC_REQUEST);
    let connect =
        ExtendedConnect::from_headers(&ServerConfig::new(), pairs.iter().copied()).unwrap();
    let accept = |options: AcceptOptions<'_>| connect.accept(&options).map(|_| ());
    assert_eq!(
        accept(AcceptOptions::new().with_protocol(Some("other"))),
        Err(AcceptError::ProtocolNotOffered)
    );
    assert_eq!(
        accept(AcceptOptions::new().with_extensions(Some("x-other"))),
        Err(AcceptError::ExtensionNotOffered)
    );
    assert_eq!(
        accept(AcceptOptions::new().with_extensions(Some("permessage-deflate;"))),
        Err(AcceptError::InvalidExtension)
    );
    for name in [
        "Sec-WebSocket-Protocol",
        "sec-websocket-extensions",
        "connection",
        "upgrade",
        "keep-alive",
        "proxy-connection",
        "Transfer-Encoding",
        "content-length",
        ":status",
        "bad name",
    ] {
        let headers = [(name, "1")];
        assert_eq!(
            accept(AcceptOptions::new().with_headers(&headers)),
            Err(AcceptError::InvalidHeader),
            "{name}"
        );
    }
    let headers = [("server", "barews"), ("set-cookie", "a=b")];
    let options = AcceptOptions::new()
        .with_protocol(Some("superchat"))
        .with_extensions(Some("permessage-deflate"))
        .with_headers(&headers);
    let answer = connect.accept(&options).unwrap();
    assert_eq!(
        answer.iter().collect::<Vec<_>>(),
        [
            ("sec-websocket-protocol", "superchat"),
            ("sec-websocket-extensions", "permessage-deflate"),
            ("server", "barews"),
            ("set-cookie", "a=b"),
        ]
    );
}

#[test]
fn reject_answers_any_error_status() {
    let pairs = as_bytes(&RFC_REQUEST);
    let connect =
        ExtendedConnect::from_headers(&ServerConfig::new(), pairs.iter().copied()).unwrap();
    let answer = connect.reject(404).unwrap();
    assert_eq!((answer.status(), answer.iter().count()), (404, 0));
    assert_eq!(connect.reject(200), Err(AcceptError::InvalidStatus));
    assert_eq!(connect.reject(600), Err(AcceptError::InvalidStatus));
}

#[test]
fn every_error_answers_with_its_http2_status() {
    use HandshakeError as E;
    let all = [
        E::HeadTooLarge,
        E::TooManyHeaders,
        E::MalformedHead,
        E::MethodNotAllowed,
        E::HttpVersionTooOld,
        E::DuplicateHeader(HeaderName::Path),
        E::MissingHost,
        E::InvalidHost,
        E::MissingUpgrade,
        E::MissingConnectionUpgrade,
        E::MissingVersion,
        E::UnsupportedVersion,
        E::MissingKey,
        E::InvalidKey,
        E::InvalidProtocol,
        E::InvalidExtension,
        E::InvalidOrigin,
        E::OriginRejected,
        E::MethodNotConnect,
        E::MissingProtocol,
        E::UnsupportedProtocol,
        E::InvalidScheme,
        E::InvalidPath,
        E::MissingAuthority,
        E::InvalidAuthority,
        E::HostMismatch,
        E::ConnectionSpecificHeader,
        E::InvalidPseudoHeader,
    ];
    for error in all {
        let answer = ResponseHeaders::for_error(error);
        assert_eq!(answer.status(), error.h2_status());
        assert!((400..=599).contains(&answer.status()), "{error:?}");
        assert!(!error.to_string().is_empty());
        let names: Vec<&str> = answer.iter().map(|(name, _)| name).collect();
        let expected: &[&str] = match error {
            E::MissingVersion | E::UnsupportedVersion => &["sec-websocket-version"],
            E::MethodNotConnect => &["allow"],
            _ => &[],
        };
        assert_eq!(names, expected, "{error:?}");
        // The HTTP/1.1 answer of an HTTP/2 error is still well formed.
        let mut out = [0u8; 512];
        let len = error.write_response(&mut out).unwrap();
        assert!(out[..len].starts_with(std::format!("HTTP/1.1 {} ", error.status()).as_bytes()));
    }
}

#[test]
fn the_client_headers_name_port_ipv6_and_extras() {
    let extra = [("authorization", "Bearer t"), ("cookie", "a=b")];
    let request = ClientRequest::new("::1", "/ws?room=1").with_port(8080).with_headers(&extra);
    let client = ConnectHandshake::new(request).unwrap();
    assert_eq!(client.scheme(), Scheme::Http);
    let mut scratch = [0u8; 32];
    let headers = client.headers(&mut scratch).unwrap();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        [
            (":method", "CONNECT"),
            (":protocol", "websocket"),
            (":scheme", "http"),
            (":path", "/ws?room=1"),
            (":authority", "[::1]:8080"),
            ("sec-websocket-version", "13"),
            ("authorization", "Bearer t"),
            ("cookie", "a=b"),
        ]
    );
    // The default port of the scheme is left out.
    let secure = ClientRequest::new("example.com", "/").with_secure(true).with_port(443);
    let client = ConnectHandshake::new(secure).unwrap();
    let mut scratch = [0u8; 32];
    assert_eq!(client.headers(&mut scratch).unwrap().authority(), "example.com");
}

#[test]
fn a_small_scratch_buffer_is_left_untouched() {
    let client = ConnectHandshake::new(rfc_client_request()).unwrap();
    // "server.example.com" and "chat, superchat".
    let mut scratch = [0xAAu8; 32];
    let error = client.headers(&mut scratch).unwrap_err();
    assert_eq!(error.required, 18 + 15);
    assert_eq!(scratch, [0xAA; 32]);
    let mut exact = [0u8; 33];
    assert!(client.headers(&mut exact).is_ok());
}

#[test]
fn the_client_request_is_checked_as_for_http1_and_for_http2() {
    let check = |request: ClientRequest<'_>| ConnectHandshake::new(request).map(|_| ());
    assert_eq!(check(ClientRequest::new("", "/")), Err(RequestError::InvalidHost));
    assert_eq!(check(ClientRequest::new("a", "ws")), Err(RequestError::InvalidPath));
    assert_eq!(
        check(ClientRequest::new("a", "/").with_protocols(&["a", "a"])),
        Err(RequestError::InvalidProtocol)
    );
    for name in ["Host", "upgrade", "Connection", "sec-websocket-key", "te", "Keep-Alive"] {
        let headers = [(name, "x")];
        assert_eq!(
            check(ClientRequest::new("a", "/").with_headers(&headers)),
            Err(RequestError::InvalidHeader),
            "{name}"
        );
    }
}

#[test]
fn the_client_checks_the_answer() {
    let client = ConnectHandshake::new(rfc_client_request()).unwrap();
    let check = |status: u16, fields: &[(&str, &str)]| {
        client.check_response(status, as_bytes(fields)).map(|response| {
            let protocol = response.protocol().map(String::from);
            (protocol, response.extensions().map(String::from).collect::<Vec<_>>())
        })
    };
    // The status comes first, whatever the fields hold.
    assert_eq!(
        check(403, &[("sec-websocket-protocol", "a b")]),
        Err(ResponseError::UnexpectedStatus(403))
    );
    for status in [101, 201, 204, 302] {
        assert_eq!(check(status, &[]), Err(ResponseError::UnexpectedStatus(status)));
    }
    assert_eq!(check(200, &[(":status", "200")]), Err(ResponseError::MalformedHead));
    assert_eq!(check(200, &[]), Ok((None, Vec::new())));
    assert_eq!(
        check(200, &[("sec-websocket-protocol", "other")]),
        Err(ResponseError::ProtocolNotOffered)
    );
    assert_eq!(
        check(200, &[("sec-websocket-protocol", "chat, superchat")]),
        Err(ResponseError::InvalidProtocol)
    );
    assert_eq!(
        check(200, &[("sec-websocket-protocol", "chat"), ("Sec-WebSocket-Protocol", "chat")]),
        Err(ResponseError::DuplicateHeader(HeaderName::SecWebSocketProtocol))
    );
    assert_eq!(
        check(200, &[("sec-websocket-extensions", "x-other")]),
        Err(ResponseError::ExtensionNotOffered)
    );
    assert_eq!(
        check(200, &[("sec-websocket-extensions", "permessage-deflate; a=\"b c\"")]),
        Err(ResponseError::InvalidExtension)
    );
    let lines = [("sec-websocket-extensions", "permessage-deflate"); 9];
    assert_eq!(check(200, &lines), Err(ResponseError::TooManyHeaders));
    // Extension lines form one list; a `sec-websocket-accept` is ignored.
    assert_eq!(
        check(
            200,
            &[
                ("sec-websocket-extensions", " permessage-deflate; server_no_context_takeover "),
                ("sec-websocket-accept", "anything"),
                ("SEC-WEBSOCKET-PROTOCOL", "superchat "),
                ("sec-websocket-extensions", "permessage-deflate"),
            ]
        ),
        Ok((
            Some("superchat".into()),
            std::vec![
                "permessage-deflate; server_no_context_takeover".into(),
                "permessage-deflate".into()
            ]
        ))
    );
    // A client that offered no extension accepts none.
    let bare = ConnectHandshake::new(ClientRequest::new("a", "/")).unwrap();
    assert_eq!(
        bare.check_response(200, [("sec-websocket-extensions", &b"x"[..])]).map(|_| ()),
        Err(ResponseError::ExtensionNotOffered)
    );
}

#[test]
fn a_connection_runs_unchanged_after_the_handshake() {
    use crate::config::Config;
    use crate::connection::{Connection, DataKind, Event};

    let client = ConnectHandshake::new(rfc_client_request()).unwrap();
    let mut scratch = [0u8; 64];
    let sent: Vec<(&str, &str)> = client.headers(&mut scratch).unwrap().iter().collect();
    let connect = ExtendedConnect::from_headers(&ServerConfig::new(), as_bytes(&sent)).unwrap();
    let answer = connect.accept(&AcceptOptions::new()).unwrap();
    client.check_response(answer.status(), answer.iter().map(|(n, v)| (n, v.as_bytes()))).unwrap();

    // The client masks what it sends over the stream; the server reads it.
    let mut client_conn = Connection::client(Config::new(), || [0x37, 0xfa, 0x21, 0x3d]);
    let mut server_conn = Connection::server(Config::new());
    let mut stream = [0u8; 32];
    let len = client_conn.send(DataKind::Text, b"Hello", &mut stream).unwrap();
    // RFC 6455 section 5.7's masked "Hello".
    assert_eq!(stream[..len], [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    let received = server_conn.receive(&mut stream[..len]).unwrap();
    assert!(matches!(received.event, Some(Event::Data { payload: b"Hello", .. })));
}

#[cfg(feature = "deflate")]
#[test]
fn permessage_deflate_is_negotiated_as_over_http1() {
    use crate::deflate::{DeflateConfig, NegotiationError};

    let ours = DeflateConfig::new().with_client_max_window_bits(Some(12));
    let mut offer = String::new();
    ours.write_offer(&mut offer).unwrap();
    let request = ClientRequest::new("example.com", "/").with_extensions(Some(&offer));
    let client = ConnectHandshake::new(request).unwrap();
    let mut scratch = [0u8; 64];
    let sent: Vec<(&str, &str)> = client.headers(&mut scratch).unwrap().iter().collect();
    let connect = ExtendedConnect::from_headers(&ServerConfig::new(), as_bytes(&sent)).unwrap();

    let server_side = DeflateConfig::new().with_server_no_context_takeover(true);
    let params = server_side.accept_offer(connect.extensions()).unwrap();
    let mut accepted = String::new();
    params.write_response(&mut accepted).unwrap();
    let answer = connect.accept(&AcceptOptions::new().with_extensions(Some(&accepted))).unwrap();
    let fields: Vec<(&str, &[u8])> = answer.iter().map(|(n, v)| (n, v.as_bytes())).collect();
    let response = client.check_response(answer.status(), fields).unwrap();
    let agreed = response.deflate(&ours).unwrap().unwrap();
    assert!(agreed.server_no_context_takeover);
    assert_eq!(
        (agreed.server_max_window_bits, agreed.client_max_window_bits),
        (params.server_max_window_bits, params.client_max_window_bits)
    );
    assert_eq!(agreed.client_max_window_bits, 12);

    // A response the offer does not allow fails its negotiation.
    let bad = [("sec-websocket-extensions", &b"permessage-deflate; client_max_window_bits=14"[..])];
    let response = client.check_response(200, bad).unwrap();
    assert_eq!(response.deflate(&ours), Err(NegotiationError::BadWindowBits));
    // No permessage-deflate accepted: nothing negotiated.
    let response = client.check_response(200, []).unwrap();
    assert_eq!(response.deflate(&ours), Ok(None));
}

#[test]
fn scheme_text() {
    assert_eq!(Scheme::parse(b"HTTPS"), Some(Scheme::Https));
    assert_eq!(Scheme::parse(b"ws"), None);
    assert_eq!(Scheme::Http.to_string(), "http");
    assert_eq!(SETTINGS_ENABLE_CONNECT_PROTOCOL, 8);
}
