//! Property tests of the proxy tunnels (`barews::proxy`): the same answer
//! split into any pieces gives the same outcome and consumes the same
//! bytes; valid answers open the tunnel exactly at their end; arbitrary
//! bytes never panic and never claim more than given.

use barews::proxy::{Destination, ProxyError, Tunnel};
use core::fmt::Write as _;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use proptest::prelude::*;

/// How an exchange ended.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    /// The tunnel opened after `consumed` bytes; `rest` was left.
    Open { consumed: usize, rest: Vec<u8> },
    /// The input ran out first, after `consumed` bytes were taken.
    Waiting { consumed: usize },
    /// The tunnel failed.
    Failed(ProxyError),
}

/// Drives `tunnel` as an adapter would against a proxy whose whole answer
/// is `stream`, delivered in the pieces `cuts` makes of it (a new piece
/// is read only when every byte read before has been consumed). Returns
/// the messages written and the outcome.
fn drive(mut tunnel: Tunnel<'_>, stream: &[u8], cuts: &[usize]) -> (Vec<Vec<u8>>, Outcome) {
    let mut ends = cuts.iter().copied().filter(|&c| c <= stream.len()).collect::<Vec<_>>();
    ends.sort_unstable();
    ends.push(stream.len());
    let mut ends = ends.into_iter();
    let (mut delivered, mut consumed) = (0, 0);
    let mut buf: Vec<u8> = Vec::new();
    let mut sent = Vec::new();
    let mut out = [0u8; 1024];
    let outcome = loop {
        let n = match tunnel.write_next(&mut out) {
            Ok(n) => n,
            Err(error) => break Outcome::Failed(error),
        };
        if n > 0 {
            sent.push(out[..n].to_vec());
        }
        let progress = match tunnel.read(&buf) {
            Ok(progress) => progress,
            Err(error) => break Outcome::Failed(error),
        };
        assert!(progress.consumed <= buf.len(), "consumed more than was given");
        assert_eq!(progress.open, tunnel.is_open());
        consumed += progress.consumed;
        buf.drain(..progress.consumed);
        if progress.open {
            buf.extend_from_slice(&stream[delivered..]);
            break Outcome::Open { consumed, rest: buf };
        }
        if !buf.is_empty() {
            // Left bytes with the tunnel closed: a message must be due.
            assert!(n > 0 || progress.consumed > 0, "bytes left and nothing due");
            continue;
        }
        match ends.next() {
            Some(end) => {
                buf.extend_from_slice(&stream[delivered..end]);
                delivered = end;
            }
            None if n == 0 && progress.consumed == 0 => break Outcome::Waiting { consumed },
            None => {}
        }
    };
    (sent, outcome)
}

/// Cut points anywhere in the first `len` bytes.
fn cuts(len: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0..=len, 0..16)
}

fn destination() -> impl Strategy<Value = Destination<'static>> {
    prop_oneof![
        (
            prop::sample::select(&["example.com", "a", "xn--bcher-kva.example", ""][..]),
            any::<u16>()
        )
            .prop_map(|(name, port)| Destination::Name(name, port)),
        (any::<u32>(), any::<u16>())
            .prop_map(|(ip, port)| Destination::Ip(IpAddr::V4(Ipv4Addr::from(ip)), port)),
        (any::<u128>(), any::<u16>())
            .prop_map(|(ip, port)| Destination::Ip(IpAddr::V6(Ipv6Addr::from(ip)), port)),
    ]
}

/// Credentials, or none; some that neither protocol can send.
fn credentials() -> impl Strategy<Value = Option<(&'static str, &'static str)>> {
    prop::option::of(prop::sample::select(
        &[("user", "pass"), ("Aladdin", "open sesame"), ("", "p"), ("a:b", "c")][..],
    ))
}

fn with(
    tunnel: Tunnel<'static>,
    credentials: Option<(&'static str, &'static str)>,
) -> Tunnel<'static> {
    match credentials {
        Some((user, password)) => tunnel.with_password(user, password),
        None => tunnel,
    }
}

/// One HTTP head: a status line and header lines, `eol` ending each line.
fn head(status: u16, headers: &[(String, String)], eol: &str) -> String {
    let mut head = format!("HTTP/1.1 {status} Reason{eol}");
    for (name, value) in headers {
        let _ = write!(head, "{name}: {value}{eol}");
    }
    head + eol
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(("[a-zA-Z0-9!#$%&'*+.^_`|~-]{1,12}", "[ -~]{0,24}"), 0..5)
}

/// A proxy's answer to CONNECT: a few interim 1xx heads, then a final
/// head (any status), then bytes of the tunnel.
fn http_answer() -> impl Strategy<Value = (String, bool, Vec<u8>)> {
    (
        prop::collection::vec((prop::sample::select(&[100u16, 102, 103][..]), headers()), 0..3),
        prop_oneof![3 => 200u16..=299, 1 => 100u16..=999],
        headers(),
        prop::sample::select(&["\r\n", "\n"][..]),
        prop::collection::vec(any::<u8>(), 0..16),
    )
        .prop_map(|(interim, status, final_headers, eol, after)| {
            let mut answer = String::new();
            for (code, lines) in &interim {
                answer += &head(*code, lines, eol);
            }
            answer += &head(status, &final_headers, eol);
            (answer, (200..=299).contains(&status), after)
        })
}

/// A SOCKS5 reply to CONNECT: `05 REP 00 ATYP BND.ADDR BND.PORT`, any
/// code, each address type.
fn socks5_reply() -> impl Strategy<Value = Vec<u8>> {
    let address = prop_oneof![
        any::<[u8; 4]>().prop_map(|ip| [&[1u8][..], &ip].concat()),
        any::<[u8; 16]>().prop_map(|ip| [&[4u8][..], &ip].concat()),
        prop::collection::vec(any::<u8>(), 0..=255).prop_map(|name| [
            &[3u8, u8::try_from(name.len()).unwrap()][..],
            &name
        ]
        .concat()),
    ];
    (prop_oneof![4 => Just(0u8), 1 => any::<u8>()], address, any::<[u8; 2]>())
        .prop_map(|(rep, address, port)| [&[5, rep, 0][..], &address, &port].concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// An HTTP answer, possibly with one byte changed, gives the same
    /// messages and outcome in any pieces; unchanged, it opens the tunnel
    /// exactly at the end of the final 2xx head, or fails.
    #[test]
    fn http_outcome_does_not_depend_on_chunking(
        destination in destination(),
        credentials in credentials(),
        (answer, success, after) in http_answer(),
        change in prop::option::of((any::<prop::sample::Index>(), any::<u8>())),
        cuts in cuts(1024),
    ) {
        let tunnel = with(Tunnel::http_connect(destination), credentials);
        let mut stream = answer.clone().into_bytes();
        stream.extend_from_slice(&after);
        if let Some((at, byte)) = change {
            let at = at.index(stream.len());
            stream[at] = byte;
        }
        let whole = drive(tunnel.clone(), &stream, &[]);
        prop_assert_eq!(&drive(tunnel, &stream, &cuts), &whole);
        // Unchanged and sent (the destination and credentials may be
        // invalid): opened exactly at the end of the head, or refused.
        let answered =
            matches!(whole.1, Outcome::Open { .. } | Outcome::Failed(ProxyError::Http(_)));
        if change.is_none() && answered {
            if success {
                prop_assert_eq!(whole.1, Outcome::Open { consumed: answer.len(), rest: after });
            } else {
                prop_assert!(matches!(whole.1, Outcome::Failed(_)));
            }
        }
    }

    /// A SOCKS5 exchange (method, optional RFC 1929 status, reply), with
    /// valid or random bytes and possibly one byte changed, gives the same
    /// messages and outcome in any pieces; a valid one opens the tunnel
    /// exactly at the end of the reply.
    #[test]
    fn socks5_outcome_does_not_depend_on_chunking(
        destination in destination(),
        credentials in credentials(),
        method in prop_oneof![3 => Just(None), 1 => any::<u8>().prop_map(Some)],
        status in prop_oneof![3 => Just(0u8), 1 => any::<u8>()],
        reply in socks5_reply(),
        after in prop::collection::vec(any::<u8>(), 0..16),
        change in prop::option::of((any::<prop::sample::Index>(), any::<u8>())),
        cuts in cuts(400),
    ) {
        let tunnel = with(Tunnel::socks5(destination), credentials);
        // By default the method the credentials call for.
        let chosen = method.unwrap_or(if credentials.is_some() { 2 } else { 0 });
        let mut stream = vec![5, chosen];
        if chosen == 2 {
            stream.extend([1, status]);
        }
        let answer_len = stream.len() + reply.len();
        stream.extend_from_slice(&reply);
        stream.extend_from_slice(&after);
        if let Some((at, byte)) = change {
            let at = at.index(stream.len());
            stream[at] = byte;
        }
        let whole = drive(tunnel.clone(), &stream, &[]);
        prop_assert_eq!(&drive(tunnel, &stream, &cuts), &whole);
        // Sent (the destination and credentials may be invalid) and
        // unchanged, with the expected method, a successful RFC 1929
        // status and reply code 0: opened exactly at the end of the reply.
        let sent = !whole.0.is_empty();
        let accepted = method.is_none() && (chosen == 0 || status == 0) && reply[1] == 0;
        if sent && change.is_none() && accepted {
            prop_assert_eq!(whole.1, Outcome::Open { consumed: answer_len, rest: after });
        }
    }

    /// Arbitrary bytes, in arbitrary pieces, to both tunnels with and
    /// without credentials: no panic, nothing consumed beyond what was
    /// given (checked in `drive`), and whatever pieces, the same outcome.
    #[test]
    fn any_bytes_are_survived(
        bytes in prop::collection::vec(any::<u8>(), 0..700),
        credentials in credentials(),
        cuts in cuts(700),
    ) {
        for tunnel in [
            Tunnel::http_connect(Destination::Name("example.com", 443)),
            Tunnel::socks5(Destination::Name("example.com", 443)),
        ] {
            let tunnel = with(tunnel, credentials);
            let whole = drive(tunnel.clone(), &bytes, &[]);
            prop_assert_eq!(drive(tunnel, &bytes, &cuts), whole);
        }
    }

    /// Answers fed one byte at a time agree with answers fed whole.
    #[test]
    fn one_byte_at_a_time(
        (answer, _, after) in http_answer(),
        reply in socks5_reply(),
    ) {
        let mut http = answer.into_bytes();
        http.extend_from_slice(&after);
        let tunnel = Tunnel::http_connect(Destination::Name("h", 1));
        let each: Vec<usize> = (0..http.len()).collect();
        prop_assert_eq!(drive(tunnel.clone(), &http, &each), drive(tunnel, &http, &[]));
        let socks = [&[5u8, 0][..], &reply].concat();
        let tunnel = Tunnel::socks5(Destination::Name("h", 1));
        let each: Vec<usize> = (0..socks.len()).collect();
        prop_assert_eq!(drive(tunnel.clone(), &socks, &each), drive(tunnel, &socks, &[]));
    }
}
