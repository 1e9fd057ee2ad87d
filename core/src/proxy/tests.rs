//! Tests of whole tunnels: the bytes each writes, every error, every
//! answer fed in every chunk size, and the bytes after the answer left
//! alone.

use super::*;
use crate::BufferTooSmall;
use core::net::{Ipv4Addr, Ipv6Addr};
use std::string::{String, ToString};
use std::vec::Vec;

/// What a tunnel did against a proxy that answers message `k` with
/// `answers[k]`.
#[derive(Debug, PartialEq)]
struct Run {
    /// The messages written, one per `write_next` that wrote something.
    sent: Vec<Vec<u8>>,
    /// The bytes left once open (`Ok(Some)`), still waiting (`Ok(None)`),
    /// or the error.
    outcome: Result<Option<Vec<u8>>, ProxyError>,
    /// The bytes `read` consumed in all; `None` after an error (the call
    /// that fails reports no count).
    consumed: Option<usize>,
}

/// Drives `tunnel` as an adapter would, reading at most `chunk` bytes at a
/// time; the proxy's answer to a message is available once it is sent.
fn run(mut tunnel: Tunnel<'_>, answers: &[&[u8]], chunk: usize) -> Run {
    let mut answers = answers.iter();
    let mut in_flight: Vec<u8> = Vec::new();
    let mut buf: Vec<u8> = Vec::new();
    let mut sent = Vec::new();
    let mut consumed = 0;
    let mut out = [0u8; 1024];
    let outcome = loop {
        let n = match tunnel.write_next(&mut out) {
            Ok(n) => n,
            Err(error) => break Err(error),
        };
        if n > 0 {
            sent.push(out[..n].to_vec());
            in_flight.extend_from_slice(answers.next().copied().unwrap_or_default());
        }
        let progress = match tunnel.read(&buf) {
            Ok(progress) => progress,
            Err(error) => break Err(error),
        };
        assert!(progress.consumed <= buf.len(), "consumed more than given");
        assert_eq!(progress.open, tunnel.is_open());
        consumed += progress.consumed;
        buf.drain(..progress.consumed);
        if progress.open {
            buf.append(&mut in_flight);
            break Ok(Some(buf));
        }
        assert!(n > 0 || progress.consumed > 0 || buf.is_empty(), "stuck: bytes left, nothing due");
        if buf.is_empty() {
            if in_flight.is_empty() {
                if n == 0 && progress.consumed == 0 {
                    break Ok(None);
                }
                continue;
            }
            let got = in_flight.len().min(chunk);
            buf.extend(in_flight.drain(..got));
        }
    };
    let consumed = outcome.is_ok().then_some(consumed);
    Run { sent, outcome, consumed }
}

/// Runs the exchange at every chunk size up to the answers' length (and
/// once with everything at once); all must agree. Returns the run.
fn run_chunked(tunnel: &Tunnel<'_>, answers: &[&[u8]]) -> Run {
    let total: usize = answers.iter().map(|a| a.len()).sum();
    let whole = run(tunnel.clone(), answers, usize::MAX);
    for chunk in 1..=total.max(1) {
        assert_eq!(run(tunnel.clone(), answers, chunk), whole, "chunk size {chunk}");
    }
    // The whole answer stream available before anything is sent: bytes
    // are still consumed only when their answer is awaited.
    let stream: Vec<u8> = answers.concat();
    assert_eq!(run(tunnel.clone(), &[&stream], usize::MAX).outcome, whole.outcome);
    whole
}

fn opened(run: &Run) -> &[u8] {
    match &run.outcome {
        Ok(Some(rest)) => rest,
        other => panic!("the tunnel did not open: {other:?}"),
    }
}

fn failed(run: &Run) -> ProxyError {
    match run.outcome {
        Err(error) => error,
        ref other => panic!("no error: {other:?}"),
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

const OK: &[u8] = b"HTTP/1.1 200 Connection established\r\n\r\n";

mod http_connect {
    use super::*;

    fn request(tunnel: Tunnel<'_>) -> String {
        text(&run(tunnel, &[OK], usize::MAX).sent[0])
    }

    #[test]
    fn requests_by_name_ipv4_and_ipv6() {
        assert_eq!(
            request(Tunnel::http_connect(Destination::Name("example.com", 443))),
            "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"
        );
        let v4 = Destination::Ip(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 80);
        assert_eq!(
            request(Tunnel::http_connect(v4)),
            "CONNECT 192.0.2.1:80 HTTP/1.1\r\nHost: 192.0.2.1:80\r\n\r\n"
        );
        let v6 = Destination::Ip(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)), 8443);
        assert_eq!(
            request(Tunnel::http_connect(v6)),
            "CONNECT [2001:db8::1]:8443 HTTP/1.1\r\nHost: [2001:db8::1]:8443\r\n\r\n"
        );
    }

    #[test]
    fn basic_authentication_of_rfc_7617() {
        // RFC 7617 section 2: "Aladdin" and "open sesame". By hand:
        // "Ala" 41 6c 61 -> QWxh, "ddi" -> ZGRp, "n:o" -> bjpv, "pen" ->
        // cGVu, " se" -> IHNl, "sam" -> c2Ft, "e" 65 -> ZQ==.
        let tunnel = Tunnel::http_connect(Destination::Name("example.com", 443))
            .with_basic_auth("Aladdin", "open sesame");
        assert_eq!(
            request(tunnel),
            "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\
             Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n"
        );
        // RFC 7617 section 2.1: "test" and "123£" in UTF-8.
        let tunnel =
            Tunnel::http_connect(Destination::Name("h", 1)).with_basic_auth("test", "123\u{a3}");
        assert!(request(tunnel).contains("\r\nProxy-Authorization: Basic dGVzdDoxMjPCow==\r\n"));
    }

    #[test]
    fn a_2xx_opens_the_tunnel_and_leaves_the_bytes_after_it() {
        let tunnel = Tunnel::http_connect(Destination::Name("example.com", 443));
        let mut answer = OK.to_vec();
        answer.extend_from_slice(b"\x16\x03\x01 a TLS record");
        let run = run_chunked(&tunnel, &[&answer]);
        assert_eq!(opened(&run), b"\x16\x03\x01 a TLS record");
        assert_eq!(run.consumed, Some(OK.len()));
        // tinyproxy's answer, HTTP/1.0 with a header.
        let tinyproxy =
            b"HTTP/1.0 200 Connection established\r\nProxy-agent: tinyproxy/1.11.1\r\n\r\n";
        assert_eq!(run_chunked(&tunnel, &[tinyproxy]).consumed, Some(tinyproxy.len()));
    }

    #[test]
    fn content_length_and_transfer_encoding_in_a_2xx_are_ignored() {
        // RFC 9110 section 9.3.6: the client must ignore them; the tunnel
        // starts right after the head.
        let answer =
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nhello";
        let run = run_chunked(&Tunnel::http_connect(Destination::Name("h", 1)), &[answer]);
        assert_eq!(opened(&run), b"hello");
    }

    #[test]
    fn interim_answers_are_skipped() {
        let answer = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n!";
        let run = run_chunked(&Tunnel::http_connect(Destination::Name("h", 1)), &[answer]);
        assert_eq!(opened(&run), b"!");
        let answer = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
        let run = run_chunked(&Tunnel::http_connect(Destination::Name("h", 1)), &[answer]);
        assert_eq!(failed(&run), ProxyError::Http(HttpConnectError::SwitchingProtocols));
    }

    #[test]
    fn refusals_carry_the_status_and_its_standard_reason() {
        let tunnel = Tunnel::http_connect(Destination::Name("h", 1));
        for (answer, display) in [
            (
                &b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n"
                    [..],
                "proxy refused: 407 Proxy Authentication Required",
            ),
            (b"HTTP/1.1 502 whatever the proxy says\r\n", "proxy refused: 502 Bad Gateway"),
            (b"HTTP/1.0 403 Forbidden\r\n\r\n", "proxy refused: 403 Forbidden"),
            (b"HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\n", "proxy refused: 302 Found"),
            (b"HTTP/1.1 599 Custom\r\n\r\n", "proxy refused: 599"),
        ] {
            let error = failed(&run_chunked(&tunnel, &[answer]));
            assert!(matches!(error, ProxyError::Http(HttpConnectError::Refused(_))));
            assert_eq!(error.to_string(), display);
        }
    }

    #[test]
    fn limits_on_the_head() {
        let answer = b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n";
        let tunnel = Tunnel::http_connect(Destination::Name("h", 1));
        assert_eq!(
            run_chunked(&tunnel.clone().with_max_head_len(answer.len()), &[answer]).consumed,
            Some(answer.len())
        );
        let small = tunnel.clone().with_max_head_len(answer.len() - 1);
        assert_eq!(failed(&run_chunked(&small, &[answer])), HttpConnectError::HeadTooLarge.into());
        let few = tunnel.clone().with_max_headers(1);
        assert_eq!(failed(&run_chunked(&few, &[answer])), HttpConnectError::TooManyHeaders.into());
        // The default: 8 KiB, then no more.
        let mut huge = b"HTTP/1.1 200 OK\r\nX: ".to_vec();
        huge.resize(9000, b'x');
        assert_eq!(
            failed(&run(tunnel.clone(), &[&huge], 1000)),
            HttpConnectError::HeadTooLarge.into()
        );
    }

    #[test]
    fn malformed_answers() {
        let tunnel = Tunnel::http_connect(Destination::Name("h", 1));
        for answer in [&b"\x05\x00"[..], b"HTTP/1.1 OK\r\n", b"SSH-2.0-OpenSSH_9.6\r\n"] {
            assert_eq!(
                failed(&run_chunked(&tunnel, &[answer])),
                HttpConnectError::MalformedStatusLine.into()
            );
        }
        let answer = b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n";
        assert_eq!(
            failed(&run_chunked(&tunnel, &[answer])),
            HttpConnectError::MalformedHeader.into()
        );
    }

    #[test]
    fn an_incomplete_answer_waits() {
        let run = run_chunked(
            &Tunnel::http_connect(Destination::Name("h", 1)),
            &[b"HTTP/1.1 200 OK\r\n"],
        );
        assert_eq!(run.outcome, Ok(None));
        assert_eq!(run.consumed, Some(17));
    }
}

mod socks5 {
    use super::*;

    const NO_AUTH: &[u8] = &[5, 0];
    const PASSWORD: &[u8] = &[5, 2];
    const AUTH_OK: &[u8] = &[1, 0];
    const BOUND_V4: &[u8] = &[5, 0, 0, 1, 10, 0, 0, 1, 0x1F, 0x90];

    #[test]
    fn without_credentials_by_name() {
        let tunnel = Tunnel::socks5(Destination::Name("example.com", 443));
        let mut reply = BOUND_V4.to_vec();
        reply.extend_from_slice(b"after");
        let run = run_chunked(&tunnel, &[NO_AUTH, &reply]);
        let mut connect = std::vec![5, 1, 0, 3, 11];
        connect.extend_from_slice(b"example.com");
        connect.extend_from_slice(&[1, 0xBB]);
        assert_eq!(run.sent, [std::vec![5, 1, 0], connect]);
        assert_eq!(opened(&run), b"after");
        assert_eq!(run.consumed, Some(2 + BOUND_V4.len()));
    }

    #[test]
    fn with_credentials_by_address() {
        let v6 = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x42);
        let tunnel =
            Tunnel::socks5(Destination::Ip(IpAddr::V6(v6), 80)).with_password("user", "pass");
        let run = run_chunked(&tunnel, &[PASSWORD, AUTH_OK, BOUND_V4]);
        let mut connect = std::vec![5, 1, 0, 4];
        connect.extend_from_slice(&v6.octets());
        connect.extend_from_slice(&[0, 80]);
        assert_eq!(run.sent, [std::vec![5, 2, 0, 2], b"\x01\x04user\x04pass".to_vec(), connect]);
        assert_eq!(opened(&run), b"");
        // The proxy may choose "no authentication" though a password was
        // offered: no username/password request then.
        let run = run_chunked(&tunnel, &[NO_AUTH, BOUND_V4]);
        assert_eq!(run.sent.len(), 2);
        assert_eq!(opened(&run), b"");
        // IPv4.
        let v4 = Tunnel::socks5(Destination::from_host("192.0.2.9", 7));
        let run = run_chunked(&v4, &[NO_AUTH, BOUND_V4]);
        assert_eq!(run.sent[1], [5, 1, 0, 1, 192, 0, 2, 9, 0, 7]);
    }

    #[test]
    fn bound_addresses_of_every_type_and_length() {
        let tunnel = Tunnel::socks5(Destination::Name("example.com", 443));
        let mut v6 = std::vec![5, 0, 0, 4];
        v6.extend([0xAB; 18]);
        let mut name = std::vec![5, 0, 0, 3, 5];
        name.extend(b"a.lan\x00\x50");
        for reply in [BOUND_V4, &v6, &name, &[5, 0, 0, 3, 0, 0, 0]] {
            let mut answer = reply.to_vec();
            answer.extend_from_slice(b"\x05\x00rest");
            let run = run_chunked(&tunnel, &[NO_AUTH, &answer]);
            assert_eq!(opened(&run), b"\x05\x00rest", "{reply:?}");
            assert_eq!(run.consumed, Some(2 + reply.len()));
        }
    }

    #[test]
    fn every_reply_code_is_an_error_with_its_description() {
        let tunnel = Tunnel::socks5(Destination::Name("example.com", 443));
        for (code, display) in [
            (1, "SOCKS5: general failure"),
            (2, "SOCKS5: connection not allowed by ruleset"),
            (3, "SOCKS5: network unreachable"),
            (4, "SOCKS5: host unreachable"),
            (5, "SOCKS5: connection refused by destination"),
            (6, "SOCKS5: TTL expired"),
            (7, "SOCKS5: command not supported"),
            (8, "SOCKS5: address type not supported"),
            (9, "SOCKS5: unknown reply code 9"),
            (0xFF, "SOCKS5: unknown reply code 255"),
        ] {
            let reply = [5, code, 0, 1, 0, 0, 0, 0, 0, 0];
            let error = failed(&run_chunked(&tunnel, &[NO_AUTH, &reply]));
            assert_eq!(error, ProxyError::Socks5(Socks5Error::Rejected(ReplyCode(code))));
            assert_eq!(error.to_string(), display);
        }
        assert_eq!(ReplyCode::CONNECTION_REFUSED, ReplyCode(5));
        assert_eq!(ReplyCode::SUCCEEDED.description(), Some("succeeded"));
    }

    #[test]
    fn negotiation_errors() {
        let plain = Tunnel::socks5(Destination::Name("example.com", 443));
        let with_password = plain.clone().with_password("user", "wrong");
        let cases: [(&Tunnel<'_>, &[&[u8]], Socks5Error, &str); 8] = [
            (
                &plain,
                &[&[5, 0xFF]],
                Socks5Error::NoAcceptableMethod,
                "SOCKS5: no acceptable authentication method",
            ),
            (
                &plain,
                &[PASSWORD],
                Socks5Error::UnexpectedMethod(2),
                "SOCKS5: the proxy chose authentication method 0x02, which was not offered",
            ),
            (
                &with_password,
                &[&[5, 1]],
                Socks5Error::UnexpectedMethod(1),
                "SOCKS5: the proxy chose authentication method 0x01, which was not offered",
            ),
            (
                &with_password,
                &[PASSWORD, &[1, 1]],
                Socks5Error::AuthenticationFailed(1),
                "SOCKS5: authentication failed",
            ),
            (
                &with_password,
                &[PASSWORD, &[5, 0]],
                Socks5Error::UnexpectedAuthVersion(5),
                "SOCKS5: the username/password reply has version 5, not 1",
            ),
            (
                &plain,
                &[&[4, 0]],
                Socks5Error::UnexpectedVersion(4),
                "SOCKS5: the proxy answered with version 4, not 5",
            ),
            (
                &plain,
                &[NO_AUTH, &[4, 0, 0, 1]],
                Socks5Error::UnexpectedVersion(4),
                "SOCKS5: the proxy answered with version 4, not 5",
            ),
            (
                &plain,
                &[b"HTTP/1.1 400 Bad Request\r\n\r\n"],
                Socks5Error::UnexpectedVersion(b'H'),
                "SOCKS5: the proxy answered like an HTTP server, not SOCKS version 5",
            ),
        ];
        for (tunnel, answers, error, display) in cases {
            let got = failed(&run_chunked(tunnel, answers));
            assert_eq!(got, ProxyError::Socks5(error));
            assert_eq!(got.to_string(), display);
        }
        let malformed: [(&[u8], Socks5Error); 2] = [
            (&[5, 0, 1, 1], Socks5Error::NonZeroReserved(1)),
            (&[5, 0, 0, 2], Socks5Error::UnknownAddressType(2)),
        ];
        for (reply, error) in malformed {
            assert_eq!(failed(&run_chunked(&plain, &[NO_AUTH, reply])), ProxyError::Socks5(error));
        }
    }

    #[test]
    fn bytes_of_a_later_answer_wait_for_the_message_they_answer() {
        // A proxy that sends everything at once: after the method reply
        // the tunnel stops, leaving the rest until the next message is
        // out.
        let mut tunnel = Tunnel::socks5(Destination::Name("h", 1)).with_password("u", "p");
        let mut out = [0u8; SOCKS5_MAX_MESSAGE_LEN];
        let everything = [5, 2, 1, 0, 5, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        assert_eq!(tunnel.read(&everything), Ok(Progress { consumed: 0, open: false }));
        assert_eq!(tunnel.write_next(&mut out), Ok(4));
        assert_eq!(tunnel.write_next(&mut out), Ok(0));
        assert_eq!(tunnel.read(&everything), Ok(Progress { consumed: 2, open: false }));
        assert_eq!(tunnel.read(&everything[2..]), Ok(Progress { consumed: 0, open: false }));
        assert_eq!(tunnel.write_next(&mut out), Ok(5));
        assert_eq!(tunnel.read(&everything[2..]), Ok(Progress { consumed: 2, open: false }));
        assert_eq!(tunnel.write_next(&mut out), Ok(8));
        assert_eq!(tunnel.read(&everything[4..]), Ok(Progress { consumed: 10, open: true }));
        assert!(tunnel.is_open());
        assert_eq!(tunnel.write_next(&mut out), Ok(0));
        assert_eq!(tunnel.read(b"more"), Ok(Progress { consumed: 0, open: true }));
    }
}

mod checks_before_sending {
    use super::*;

    #[test]
    fn invalid_names_are_refused_before_anything_is_written() {
        let long = "a".repeat(256);
        let longest = "a".repeat(255);
        for name in
            ["", long.as_str(), "a b", "a\r\nX: y", "a:1", "a/b", "user@host", "[::1]", "h\u{e9}"]
        {
            for mut tunnel in [
                Tunnel::http_connect(Destination::Name(name, 1)),
                Tunnel::socks5(Destination::Name(name, 1)),
            ] {
                let mut out = [0xAA; 1024];
                assert_eq!(
                    tunnel.write_next(&mut out),
                    Err(ProxyError::InvalidDestination),
                    "{name:?}"
                );
                assert_eq!(out, [0xAA; 1024]);
                // Sticky.
                assert_eq!(tunnel.write_next(&mut out), Err(ProxyError::InvalidDestination));
                assert_eq!(tunnel.read(b"x"), Err(ProxyError::InvalidDestination));
            }
        }
        for name in [longest.as_str(), "xn--bcher-kva.example", "a-b_c.d~!$&'()*+,;=%20"] {
            let mut out = [0u8; 1024];
            assert!(Tunnel::http_connect(Destination::Name(name, 1)).write_next(&mut out).is_ok());
            assert!(Tunnel::socks5(Destination::Name(name, 1)).write_next(&mut out).is_ok());
        }
    }

    #[test]
    fn socks5_credentials_of_0_or_256_bytes_are_refused_before_anything_is_written() {
        let long = "x".repeat(256);
        let longest = "x".repeat(255);
        for (user, password) in [("", "p"), ("u", ""), (long.as_str(), "p"), ("u", long.as_str())] {
            let mut tunnel =
                Tunnel::socks5(Destination::Name("h", 1)).with_password(user, password);
            let mut out = [0xAA; 16];
            assert_eq!(tunnel.write_next(&mut out), Err(ProxyError::InvalidCredentials));
            assert_eq!(out, [0xAA; 16]);
        }
        let tunnel = Tunnel::socks5(Destination::Name("h", 1)).with_password(&longest, &longest);
        let run = run(tunnel, &[&[5, 2], &[1, 0]], 1);
        assert_eq!(run.sent[1].len(), SOCKS5_MAX_MESSAGE_LEN);
    }

    #[test]
    fn basic_credentials_that_cannot_be_sent_are_refused() {
        for (user, password) in [("a:b", "p"), ("a\n", "p"), ("a", "p\r\nX: y"), ("a", "\x7f")] {
            let mut tunnel =
                Tunnel::http_connect(Destination::Name("h", 1)).with_basic_auth(user, password);
            assert_eq!(tunnel.write_next(&mut [0; 256]), Err(ProxyError::InvalidCredentials));
        }
        // A password may hold ':' and non-ASCII text.
        let mut tunnel =
            Tunnel::http_connect(Destination::Name("h", 1)).with_basic_auth("", "a:\u{e9}");
        assert!(tunnel.write_next(&mut [0; 256]).is_ok());
    }

    #[test]
    fn a_small_buffer_is_left_untouched_and_the_message_stays_due() {
        let mut tunnel = Tunnel::http_connect(Destination::Name("example.com", 443));
        let mut small = [0xAA; 10];
        let required = "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n".len();
        assert_eq!(
            tunnel.write_next(&mut small),
            Err(ProxyError::BufferTooSmall(BufferTooSmall { required }))
        );
        assert_eq!(small, [0xAA; 10]);
        let mut out = [0u8; 64];
        assert_eq!(tunnel.write_next(&mut out), Ok(required));
        let mut tunnel = Tunnel::socks5(Destination::Name("h", 1));
        assert_eq!(
            tunnel.write_next(&mut small[..2]),
            Err(ProxyError::BufferTooSmall(BufferTooSmall { required: 3 }))
        );
        assert_eq!(tunnel.write_next(&mut small), Ok(3));
    }
}

#[test]
fn errors_are_sticky() {
    let mut tunnel = Tunnel::socks5(Destination::Name("h", 1));
    let mut out = [0u8; 16];
    tunnel.write_next(&mut out).unwrap();
    let error = ProxyError::Socks5(Socks5Error::NoAcceptableMethod);
    assert_eq!(tunnel.read(&[5, 0xFF]), Err(error));
    assert_eq!(tunnel.read(&[5, 0]), Err(error));
    assert_eq!(tunnel.write_next(&mut out), Err(error));
}

#[test]
fn destinations_from_url_hosts() {
    fn ip(text: &str) -> Destination<'_> {
        Destination::from_host(text, 1)
    }
    assert_eq!(ip("192.0.2.1"), Destination::Ip(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 1));
    assert_eq!(ip("[::1]"), Destination::Ip(IpAddr::V6(Ipv6Addr::LOCALHOST), 1));
    assert_eq!(ip("::1"), Destination::Ip(IpAddr::V6(Ipv6Addr::LOCALHOST), 1));
    for name in ["localhost", "[localhost]", "192.0.2", "[192.0.2.1]", "1.2.3.4.5"] {
        assert_eq!(ip(name), Destination::Name(name, 1));
    }
    let socket: SocketAddr = "[::1]:443".parse().unwrap();
    assert_eq!(Destination::from(socket), Destination::Ip(IpAddr::V6(Ipv6Addr::LOCALHOST), 443));
    assert_eq!(Destination::Name("x", 9).port(), 9);
}

#[test]
fn debug_hides_the_password() {
    let tunnel = Tunnel::socks5(Destination::Name("h", 1)).with_password("alice", "s3cret");
    let debug = std::format!("{tunnel:?}");
    assert!(debug.contains("alice"));
    assert!(!debug.contains("s3cret"));
}

#[test]
fn displays() {
    for error in [
        ProxyError::BufferTooSmall(BufferTooSmall { required: 9 }),
        ProxyError::InvalidDestination,
        ProxyError::InvalidCredentials,
        ProxyError::Closed,
        HttpConnectError::SwitchingProtocols.into(),
        HttpConnectError::HeadTooLarge.into(),
        HttpConnectError::TooManyHeaders.into(),
        HttpConnectError::MalformedStatusLine.into(),
        HttpConnectError::MalformedHeader.into(),
        Socks5Error::NonZeroReserved(3).into(),
        Socks5Error::UnknownAddressType(7).into(),
    ] {
        let shown = error.to_string();
        assert!(!shown.is_empty() && !shown.ends_with('.'), "{shown}");
    }
    assert_eq!(
        ProxyError::Closed.to_string(),
        "the proxy closed the connection before the tunnel opened"
    );
    let _: &dyn core::error::Error = &ProxyError::Closed;
    let _ = ToString::to_string(&ReplyCode(1));
}
