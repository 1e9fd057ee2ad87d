//! Property tests of the HTTP/2 opening handshake (RFC 8441, extended
//! CONNECT) in `barews::handshake::h2`:
//!
//! - every request the server side accepts, our client's or a random one,
//!   has an answer the client side accepts, with the same subprotocol,
//!   the same extensions and the same permessage-deflate parameters;
//! - arbitrary header lists, statuses and client requests never panic,
//!   and every refusal has an HTTP/2 answer with an error status;
//! - the same rules as HTTP/1.1: requests and answers that differ only in
//!   form (an HTTP/1.1 head, or HTTP/2 header fields) carrying the same
//!   subprotocols, extensions, origin and version are accepted or refused
//!   alike, with the same error, and agree on the same selection.

use barews::deflate::{DeflateConfig, DeflateParams};
use barews::handshake::client::{ClientHandshake, ClientRequest, ResponseStatus};
use barews::handshake::h2::{ConnectHandshake, ExtendedConnect, ResponseHeaders};
use barews::handshake::server::{
    AcceptOptions, HandshakeError, Offer, OriginPolicy, RequestStatus, ServerConfig,
    ServerHandshake,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;

fn fail(error: impl std::fmt::Debug) -> TestCaseError {
    TestCaseError::fail(format!("{error:?}"))
}

/// The nonce whose key is RFC 6455's sample, `dGhlIHNhbXBsZSBub25jZQ==`.
const NONCE: [u8; 16] = *b"the sample nonce";

fn token() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9!#$%&'*+.^_`|~-]{1,10}"
}

/// A permessage-deflate configuration, for either end.
fn deflate_config() -> impl Strategy<Value = DeflateConfig> {
    (any::<bool>(), any::<bool>(), 8u8..=15, prop::option::of(8u8..=15)).prop_map(
        |(server_nct, client_nct, server_bits, client_bits)| {
            DeflateConfig::new()
                .with_server_no_context_takeover(server_nct)
                .with_client_no_context_takeover(client_nct)
                .with_server_max_window_bits(server_bits)
                .with_client_max_window_bits(client_bits)
        },
    )
}

/// The parameters both ends act on.
fn agreed(params: &DeflateParams) -> (bool, bool, u8, u8) {
    (
        params.server_no_context_takeover,
        params.client_no_context_takeover,
        params.server_max_window_bits,
        params.client_max_window_bits,
    )
}

fn policy(choice: u8) -> OriginPolicy {
    match choice % 3 {
        0 => OriginPolicy::AllowAny,
        1 => OriginPolicy::SameHost,
        _ => OriginPolicy::AllowList(&["https://h.example", "http://localhost:8080"]),
    }
}

/// What a client offers, described freely.
#[derive(Debug, Clone)]
struct ClientSpec {
    host: &'static str,
    port: Option<u16>,
    secure: bool,
    path: String,
    origin: Option<&'static str>,
    protocols: Vec<String>,
    deflate: Option<DeflateConfig>,
    other_extensions: Vec<&'static str>,
}

fn client_spec() -> impl Strategy<Value = ClientSpec> {
    (
        prop::sample::select(vec!["h.example", "localhost", "127.0.0.1", "::1"]),
        prop::option::of(prop::sample::select(vec![80u16, 443, 8080])),
        any::<bool>(),
        "/[a-z0-9/?=&.-]{0,16}",
        prop::option::of(prop::sample::select(vec![
            "https://h.example",
            "http://localhost:8080",
            "http://other.example",
            "null",
        ])),
        prop::collection::btree_set(token(), 0..5),
        prop::option::of(deflate_config()),
        prop::collection::vec(prop::sample::select(vec!["x-foo", "x-bar; q=1", "x-baz"]), 0..3),
    )
        .prop_map(
            |(host, port, secure, path, origin, protocols, deflate, other_extensions)| ClientSpec {
                host,
                port,
                secure,
                path,
                origin,
                protocols: protocols.into_iter().collect(),
                deflate,
                other_extensions,
            },
        )
}

impl ClientSpec {
    fn extension_offer(&self) -> Option<String> {
        let mut elements: Vec<String> =
            self.other_extensions.iter().map(|element| (*element).to_owned()).collect();
        if let Some(config) = &self.deflate {
            let mut offer = String::new();
            config.write_offer(&mut offer).unwrap();
            elements.insert(0, offer);
        }
        (!elements.is_empty()).then(|| elements.join(", "))
    }
}

/// How the server decides, given an offer.
#[derive(Debug, Clone)]
struct Choice {
    protocol: Option<Index>,
    deflate: Option<DeflateConfig>,
    others: bool,
}

fn choice() -> impl Strategy<Value = Choice> {
    (prop::option::of(any::<Index>()), prop::option::of(deflate_config()), any::<bool>())
        .prop_map(|(protocol, deflate, others)| Choice { protocol, deflate, others })
}

/// The server's decision from an offer: the subprotocol, and the
/// `Sec-WebSocket-Extensions` answer (permessage-deflate as negotiated,
/// then the other offered extensions if it takes them), with the
/// permessage-deflate parameters. One decision for both HTTP versions.
fn decide(
    offer: &Offer<'_>,
    choice: &Choice,
) -> (Option<String>, Option<String>, Option<DeflateParams>) {
    let protocols: Vec<&str> = offer.protocols().collect();
    let protocol = choice
        .protocol
        .filter(|_| !protocols.is_empty())
        .map(|index| index.get(&protocols).to_string());
    let params = choice.deflate.and_then(|config| config.accept_offer(offer.extensions()));
    let mut answer = Vec::new();
    if let Some(params) = &params {
        let mut element = String::new();
        params.write_response(&mut element).unwrap();
        answer.push(element);
    }
    if choice.others {
        for element in offer.extensions() {
            if !element.starts_with("permessage-deflate") && !answer.iter().any(|a| a == element) {
                answer.push(element.to_owned());
            }
        }
    }
    (protocol, (!answer.is_empty()).then(|| answer.join(", ")), params)
}

/// A client request offering what `offer` holds, for checking an answer to
/// it (the host and path do not matter to that check).
fn request_for<'a>(protocols: &'a [&'a str], extensions: Option<&'a str>) -> ClientRequest<'a> {
    ClientRequest::new("h.example", "/").with_protocols(protocols).with_extensions(extensions)
}

/// What a client ended up with: the subprotocol, the extension elements,
/// and the permessage-deflate parameters if it negotiated them.
type Agreement = (Option<String>, Vec<String>, Option<(bool, bool, u8, u8)>);

/// Text pairs as the byte pairs the checks take.
fn as_bytes<'a>(pairs: &'a [(&'a str, &'a str)]) -> Vec<(&'a str, &'a [u8])> {
    pairs.iter().map(|&(name, value)| (name, value.as_bytes())).collect()
}

/// Answers an accepted extended CONNECT as `choice` decides, checks the
/// answer with a client that offered what the request offered, and
/// returns what each end agreed on: the server's choice and the client's
/// reading of it, which must be equal.
///
/// No client configuration made a random request's deflate offers; the
/// client checks the answer with the default one, which asks nothing of
/// the server and so accepts every answer RFC 7692 allows.
fn answer_and_check(
    connect: &ExtendedConnect<'_>,
    choice: &Choice,
) -> Result<Agreement, TestCaseError> {
    let (protocol, extensions, params) = decide(connect.offer(), choice);
    let options = AcceptOptions::new()
        .with_protocol(protocol.as_deref())
        .with_extensions(extensions.as_deref());
    let answer = connect.accept(&options).map_err(fail)?;
    prop_assert_eq!(answer.status(), 200);
    let fields: Vec<(&str, &str)> = answer.iter().collect();

    let mut offered: Vec<&str> = Vec::new();
    for protocol in connect.protocols() {
        if !offered.contains(&protocol) {
            offered.push(protocol);
        }
    }
    let offered_extensions: Vec<&str> = connect.extensions().collect();
    let offered_extensions = offered_extensions.join(", ");
    let request =
        request_for(&offered, Some(offered_extensions.as_str()).filter(|offer| !offer.is_empty()));
    let client = ConnectHandshake::new(request).map_err(fail)?;
    let response = client.check_response(answer.status(), as_bytes(&fields)).map_err(fail)?;
    let negotiated = response.deflate(&DeflateConfig::new()).map_err(fail)?;
    let agreement: Agreement = (
        response.protocol().map(String::from),
        response.extensions().map(String::from).collect(),
        negotiated.as_ref().map(agreed),
    );
    let expected_extensions: Vec<String> = extensions
        .as_deref()
        .map(|list| list.split(", ").map(String::from).collect())
        .unwrap_or_default();
    prop_assert_eq!(&agreement.0, &protocol);
    prop_assert_eq!(&agreement.1, &expected_extensions);
    prop_assert_eq!(agreement.2, params.as_ref().map(agreed));
    Ok(agreement)
}

/// Names a random header list draws from: every name the handshake reads,
/// some it refuses, and random ones.
fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            ":method",
            ":protocol",
            ":scheme",
            ":path",
            ":authority",
            ":status",
            "host",
            "origin",
            "sec-websocket-version",
            "sec-websocket-protocol",
            "sec-websocket-extensions",
            "sec-websocket-key",
            "connection",
            "upgrade",
            "te",
        ])
        .prop_map(String::from),
        "[:a-zA-Z-]{0,12}",
    ]
}

fn header_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::sample::select(vec![
            "CONNECT",
            "websocket",
            "https",
            "http",
            "/",
            "h.example",
            "13",
            "chat, superchat",
            "permessage-deflate; client_max_window_bits",
            "trailers",
        ])
        .prop_map(|value| value.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..24),
    ]
}

/// A request of valid pseudo-header fields followed by random list and
/// origin fields, some valid, some not.
fn request_shaped() -> impl Strategy<Value = Vec<(String, String)>> {
    let field = prop_oneof![
        (
            Just("sec-websocket-protocol"),
            prop::collection::vec(token(), 1..4).prop_map(|t| t.join(", "))
        ),
        (Just("sec-websocket-protocol"), "[ -~]{0,12}"),
        (
            Just("sec-websocket-extensions"),
            prop_oneof![
                deflate_config().prop_map(|config| {
                    let mut offer = String::new();
                    config.write_offer(&mut offer).unwrap();
                    offer
                }),
                Just("x-foo; a=1, x-bar".to_owned()),
                "permessage-deflate(; [a-z_]{1,24}(=[0-9]{1,2})?){0,3}",
            ]
        ),
        (Just("sec-websocket-extensions"), "[ -~]{0,12}"),
        (
            Just("origin"),
            prop::sample::select(vec!["https://h.example", "null", "a b"]).prop_map(String::from)
        ),
    ];
    prop::collection::vec(field.prop_map(|(name, value)| (name.to_owned(), value)), 0..6).prop_map(
        |fields| {
            let mut pairs: Vec<(String, String)> = [
                (":method", "CONNECT"),
                (":protocol", "websocket"),
                (":scheme", "https"),
                (":path", "/chat"),
                (":authority", "h.example"),
                ("sec-websocket-version", "13"),
            ]
            .iter()
            .map(|&(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
            pairs.extend(fields);
            pairs
        },
    )
}

/// The fields both HTTP versions carry alike: each `(name, value)` goes
/// into an HTTP/1.1 head as a header line and into HTTP/2 header fields.
#[derive(Debug, Clone)]
struct Shared {
    version: Option<String>,
    origin: Option<String>,
    protocol_lines: Vec<String>,
    extension_lines: Vec<String>,
}

fn shared() -> impl Strategy<Value = Shared> {
    let list_line = |valid: BoxedStrategy<String>| prop_oneof![6 => valid, 1 => "[ -~]{0,14}", 1 => Just(String::new())];
    let protocols = prop::collection::vec(token(), 1..4).prop_map(|t| t.join(", ")).boxed();
    let extensions = prop_oneof![
        deflate_config().prop_map(|config| {
            let mut offer = String::new();
            config.write_offer(&mut offer).unwrap();
            offer
        }),
        Just("x-foo; a=1, x-bar".to_owned()),
        Just("permessage-deflate; server_max_window_bits=16".to_owned()),
    ]
    .boxed();
    (
        prop_oneof![
            8 => Just(Some("13".to_owned())),
            1 => Just(None),
            1 => "[0-9]{1,2}".prop_map(Some),
            1 => "[ -~]{0,4}".prop_map(Some),
        ],
        prop::option::of(prop_oneof![
            6 => prop::sample::select(vec![
                "https://h.example",
                "http://localhost:8080",
                "http://evil.example",
                "null",
            ])
            .prop_map(String::from),
            1 => "[ -~]{0,12}",
        ]),
        prop::collection::vec(list_line(protocols), 0..3),
        prop::collection::vec(list_line(extensions), 0..3),
    )
        .prop_map(|(version, origin, protocol_lines, extension_lines)| Shared {
            version,
            origin,
            protocol_lines,
            extension_lines,
        })
}

impl Shared {
    fn fields(&self) -> Vec<(&'static str, &str)> {
        let mut fields = Vec::new();
        if let Some(version) = &self.version {
            fields.push(("sec-websocket-version", version.as_str()));
        }
        if let Some(origin) = &self.origin {
            fields.push(("origin", origin.as_str()));
        }
        fields.extend(
            self.protocol_lines.iter().map(|line| ("sec-websocket-protocol", line.as_str())),
        );
        fields.extend(
            self.extension_lines.iter().map(|line| ("sec-websocket-extensions", line.as_str())),
        );
        fields
    }

    fn http1_head(&self) -> String {
        let mut head = String::from(
            "GET /chat?x=1 HTTP/1.1\r\nHost: h.example\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
        );
        for (name, value) in self.fields() {
            head.extend([name, ": ", value, "\r\n"]);
        }
        head + "\r\n"
    }

    fn h2_fields(&self) -> Vec<(&str, &str)> {
        let mut pairs = vec![
            (":method", "CONNECT"),
            (":protocol", "websocket"),
            (":scheme", "https"),
            (":path", "/chat?x=1"),
            (":authority", "h.example"),
        ];
        pairs.extend(self.fields());
        pairs
    }
}

/// What a server saw in an accepted request.
fn seen(offer: &Offer<'_>) -> (String, String, Option<String>, Vec<String>, Vec<String>) {
    (
        offer.path().to_owned(),
        offer.host().to_owned(),
        offer.origin().map(String::from),
        offer.protocols().map(String::from).collect(),
        offer.extensions().map(String::from).collect(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Every request our client lists is accepted (unless the origin
    /// policy refuses its Origin), the server sees what was offered, and
    /// the answer passes the client's check with the same agreement.
    #[test]
    fn our_requests_are_accepted_and_answered_in_agreement(
        spec in client_spec(),
        choice in choice(),
        policy_choice in any::<u8>(),
    ) {
        let protocols: Vec<&str> = spec.protocols.iter().map(String::as_str).collect();
        let extensions = spec.extension_offer();
        let mut request = ClientRequest::new(spec.host, &spec.path)
            .with_secure(spec.secure)
            .with_origin(spec.origin)
            .with_protocols(&protocols)
            .with_extensions(extensions.as_deref());
        if let Some(port) = spec.port {
            request = request.with_port(port);
        }
        let client = ConnectHandshake::new(request).map_err(fail)?;
        let mut scratch = [0u8; 256];
        let headers = client.headers(&mut scratch).map_err(fail)?;
        let sent: Vec<(&str, &str)> = headers.iter().collect();

        let config = ServerConfig::new().with_origin_policy(policy(policy_choice));
        let outcome = ExtendedConnect::from_headers(&config, as_bytes(&sent));
        if !policy(policy_choice).allows(spec.origin, headers.authority()) {
            prop_assert_eq!(outcome.err(), Some(HandshakeError::OriginRejected));
            return Ok(());
        }
        let connect = outcome.map_err(fail)?;
        prop_assert_eq!(connect.scheme(), headers.scheme());
        prop_assert_eq!(connect.path(), spec.path.as_str());
        prop_assert_eq!(connect.authority(), headers.authority());
        prop_assert_eq!(connect.origin(), spec.origin);
        prop_assert_eq!(connect.protocols().collect::<Vec<_>>(), protocols.clone());
        let offered: Vec<String> = extensions
            .as_deref()
            .map(|offer| offer.split(", ").map(String::from).collect())
            .unwrap_or_default();
        prop_assert_eq!(connect.extensions().map(String::from).collect::<Vec<_>>(), offered);

        // The server's decision, answered and checked by the same client.
        let (protocol, accepted, params) = decide(connect.offer(), &choice);
        let options = AcceptOptions::new()
            .with_protocol(protocol.as_deref())
            .with_extensions(accepted.as_deref());
        let answer = connect.accept(&options).map_err(fail)?;
        let fields: Vec<(&str, &str)> = answer.iter().collect();
        let response = client.check_response(answer.status(), as_bytes(&fields)).map_err(fail)?;
        prop_assert_eq!(response.protocol(), protocol.as_deref());
        let ours = spec.deflate.unwrap_or_default();
        let negotiated = response.deflate(&ours).map_err(fail)?;
        prop_assert_eq!(negotiated.as_ref().map(agreed), params.as_ref().map(agreed));
        if spec.deflate.is_none() {
            prop_assert!(params.is_none());
        }
    }

    /// Any request-shaped header list the server accepts has an answer a
    /// client offering the same accepts, with the same agreement.
    #[test]
    fn whatever_the_server_accepts_the_client_agrees_with(
        pairs in request_shaped(),
        choice in choice(),
    ) {
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        if let Ok(connect) = ExtendedConnect::from_headers(&ServerConfig::new(), as_bytes(&pairs)) {
            answer_and_check(&connect, &choice)?;
        }
    }

    /// Arbitrary header lists never panic either side; every refusal has
    /// an HTTP/2 answer with an error status, and every acceptance can be
    /// answered.
    #[test]
    fn arbitrary_header_lists_never_panic(
        list in prop::collection::vec((header_name(), header_value()), 0..20),
        status in any::<u16>(),
        policy_choice in any::<u8>(),
    ) {
        let pairs: Vec<(&str, &[u8])> = list.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
        let config = ServerConfig::new().with_origin_policy(policy(policy_choice));
        match ExtendedConnect::from_headers(&config, pairs.iter().copied()) {
            Ok(connect) => {
                let answer = connect.accept(&AcceptOptions::new()).map_err(fail)?;
                prop_assert_eq!((answer.status(), answer.iter().count()), (200, 0));
                prop_assert!(connect.reject(400).is_ok());
                let _ = (connect.protocols().count(), connect.extensions().count());
            }
            Err(error) => {
                let answer = ResponseHeaders::for_error(error);
                prop_assert!((400..=599).contains(&answer.status()));
                prop_assert!(answer.iter().count() <= 1);
                prop_assert!(!error.to_string().is_empty());
            }
        }
        let client = ConnectHandshake::new(
            ClientRequest::new("h.example", "/")
                .with_protocols(&["chat"])
                .with_extensions(Some("permessage-deflate")),
        )
        .map_err(fail)?;
        if let Ok(response) = client.check_response(status, pairs.iter().copied()) {
            prop_assert_eq!(status, 200);
            let _ = response.deflate(&DeflateConfig::new());
            let _ = response.extensions().count();
        }
    }

    /// Arbitrary client requests are refused or listed, never panic; a
    /// scratch buffer too small is reported with the size needed and left
    /// untouched.
    #[test]
    fn arbitrary_client_requests_never_panic(
        host in "[ -~]{0,12}",
        path in "[ -~]{0,12}",
        origin in prop::option::of("[ -~]{0,12}"),
        protocols in prop::collection::vec("[ -~]{0,6}", 0..4),
        extensions in prop::option::of("[ -~]{0,16}"),
        port in any::<u16>(),
        scratch_len in 0usize..48,
    ) {
        let protocols: Vec<&str> = protocols.iter().map(String::as_str).collect();
        let request = ClientRequest::new(&host, &path)
            .with_port(port)
            .with_origin(origin.as_deref())
            .with_protocols(&protocols)
            .with_extensions(extensions.as_deref());
        if let Ok(client) = ConnectHandshake::new(request) {
            let mut scratch = vec![0xA5u8; scratch_len];
            match client.headers(&mut scratch) {
                Ok(headers) => prop_assert_eq!(headers.iter().count() >= 6, true),
                Err(error) => {
                    prop_assert!(error.required > scratch_len);
                    prop_assert!(scratch.iter().all(|&b| b == 0xA5));
                }
            }
        }
    }

    /// The server's rules are HTTP/1.1's: the same fields as an HTTP/1.1
    /// head and as HTTP/2 header fields are accepted or refused alike,
    /// with the same error, the same offer seen, and the same agreement at
    /// each version's client.
    #[test]
    fn both_versions_apply_the_same_server_rules(
        shared in shared(),
        choice in choice(),
        policy_choice in any::<u8>(),
    ) {
        let config = ServerConfig::new().with_origin_policy(policy(policy_choice));
        let head = shared.http1_head();
        let over_h1 = ServerHandshake::new(config).receive(head.as_bytes()).map(|status| match status {
            RequestStatus::Complete { request, .. } => Some(request),
            RequestStatus::Partial => None,
        });
        let h2_fields = shared.h2_fields();
        let over_h2 = ExtendedConnect::from_headers(&config, as_bytes(&h2_fields));
        let (request, connect) = match (over_h1, over_h2) {
            (Ok(Some(request)), Ok(connect)) => (request, connect),
            (Ok(None), _) => return Err(fail("the HTTP/1.1 head is complete")),
            (h1, h2) => {
                prop_assert_eq!(h1.err(), h2.err());
                return Ok(());
            }
        };
        prop_assert_eq!(seen(request.offer()), seen(connect.offer()));

        // One decision; each version answers it and its client checks it.
        let (protocol, accepted, _) = decide(request.offer(), &choice);
        let options = AcceptOptions::new()
            .with_protocol(protocol.as_deref())
            .with_extensions(accepted.as_deref());
        let mut out = [0u8; 1024];
        let len = request.accept(&options, &mut out).map_err(fail)?;
        let mut offered: Vec<&str> = Vec::new();
        for protocol in request.protocols() {
            if !offered.contains(&protocol) {
                offered.push(protocol);
            }
        }
        let offered_extensions = request.extensions().collect::<Vec<_>>().join(", ");
        let offer = Some(offered_extensions.as_str()).filter(|offer| !offer.is_empty());
        let mut h1_client = ClientHandshake::new(request_for(&offered, offer), NONCE).map_err(fail)?;
        let ResponseStatus::Complete { response, .. } = h1_client.receive(&out[..len]).map_err(fail)? else {
            return Err(fail("the 101 is complete"));
        };
        let h1_agreement: Agreement = (
            response.protocol().map(String::from),
            response.extensions().map(String::from).collect(),
            response.deflate(&DeflateConfig::new()).map_err(fail)?.as_ref().map(agreed),
        );
        let h2_agreement = answer_and_check(&connect, &choice)?;
        prop_assert_eq!(h1_agreement, h2_agreement);
    }

    /// The client's rules are HTTP/1.1's: the same subprotocol and
    /// extension fields in a `101` and in a `200` are accepted or refused
    /// alike, with the same error and the same selection.
    #[test]
    fn both_versions_apply_the_same_client_rules(
        offered in prop::collection::btree_set(token(), 0..4),
        ours in prop_oneof![4 => deflate_config().prop_map(Some), 1 => Just(None)],
        protocol_lines in prop_oneof![
            8 => prop::collection::vec(
                prop_oneof![4 => Just("chat".to_owned()), 1 => token(), 1 => "[ -~]{0,8}"],
                0..2,
            ),
            1 => prop::collection::vec(Just("chat".to_owned()), 2..3),
        ],
        extension_lines in prop::collection::vec(
            prop_oneof![
                4 => Just("permessage-deflate".to_owned()),
                4 => "permessage-deflate(; (server|client)_(no_context_takeover|max_window_bits(=[0-9]{1,2})?)){0,2}",
                1 => Just("x-foo".to_owned()),
                1 => "[ -~]{0,12}",
            ],
            0..3,
        ),
    ) {
        let mut offered: Vec<String> = offered.into_iter().collect();
        if !offered.iter().any(|protocol| protocol == "chat") {
            offered.push("chat".to_owned());
        }
        let protocols: Vec<&str> = offered.iter().map(String::as_str).collect();
        let offer = ours.map(|config| {
            let mut offer = String::new();
            config.write_offer(&mut offer).unwrap();
            offer
        });
        let request = request_for(&protocols, offer.as_deref());

        let mut fields: Vec<(&str, &str)> = Vec::new();
        fields.extend(protocol_lines.iter().map(|line| ("sec-websocket-protocol", line.as_str())));
        fields.extend(extension_lines.iter().map(|line| ("sec-websocket-extensions", line.as_str())));

        let mut h1_client = ClientHandshake::new(request, NONCE).map_err(fail)?;
        let mut head = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {}\r\n",
            h1_client.key().accept().as_str()
        );
        for (name, value) in &fields {
            head.extend([name, ": ", value, "\r\n"]);
        }
        head += "\r\n";
        let ours = ours.unwrap_or_default();
        let over_h1 = h1_client.receive(head.as_bytes()).map(|status| match status {
            ResponseStatus::Complete { response, .. } => Some((
                response.protocol().map(String::from),
                response.extensions().map(String::from).collect::<Vec<_>>(),
                response.deflate(&ours).map(|params| params.as_ref().map(agreed)),
            )),
            ResponseStatus::Partial => None,
        });
        let h2_client = ConnectHandshake::new(request).map_err(fail)?;
        let over_h2 = h2_client.check_response(200, as_bytes(&fields)).map(|response| {
            Some((
                response.protocol().map(String::from),
                response.extensions().map(String::from).collect::<Vec<_>>(),
                response.deflate(&ours).map(|params| params.as_ref().map(agreed)),
            ))
        });
        prop_assert_eq!(over_h1, over_h2);
    }
}
