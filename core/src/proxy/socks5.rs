//! SOCKS5 (RFC 1928) with username/password authentication (RFC 1929):
//! the client's three messages and the proxy's three replies, each reply
//! parsed to its exact length, one byte at a time.
//!
//! The exchange is strictly one message, then its reply:
//!
//! 1. greeting: `05`, the number of methods, the methods: `00` (no
//!    authentication), and `02` (username/password) when credentials are
//!    set; reply `05 METHOD`, `FF` when none is acceptable.
//! 2. only if the proxy chose `02`: `01 ULEN UNAME PLEN PASSWD` (RFC 1929
//!    section 2); reply `01 STATUS`, 0 for success.
//! 3. `05 01 00 ATYP DST.ADDR DST.PORT`, a CONNECT (command 1) to an IPv4
//!    address (ATYP 1, 4 bytes), a domain name (ATYP 3, a length byte and
//!    1 to 255 bytes) or an IPv6 address (ATYP 4, 16 bytes), the port in
//!    network order; reply `05 REP 00 ATYP BND.ADDR BND.PORT`, whose
//!    bound address has the same three forms. `REP` 0 opens the tunnel.
//!
//! The greeting and the CONNECT are not sent together even without
//! credentials: some proxies drop what arrives before they have answered
//! the greeting, and the saved round trip is not worth a tunnel that works
//! only with some of them.

use super::{Credentials, Destination, Progress, ProxyError, ReplyCode, Socks5Error};
use crate::BufferTooSmall;
use core::net::IpAddr;

/// The protocol version, first byte of every message but RFC 1929's.
const VERSION: u8 = 5;
/// Method `00`: no authentication required.
const NO_AUTHENTICATION: u8 = 0x00;
/// Method `02`: username/password (RFC 1929).
const USERNAME_PASSWORD: u8 = 0x02;
/// The method selection that refuses every offered method.
const NO_ACCEPTABLE_METHOD: u8 = 0xFF;
/// The version of RFC 1929's sub-negotiation.
const AUTH_VERSION: u8 = 1;
/// The CONNECT command.
const CONNECT: u8 = 1;
/// Address types.
const ATYP_IPV4: u8 = 1;
const ATYP_DOMAIN: u8 = 3;
const ATYP_IPV6: u8 = 4;

/// Whether RFC 1929 can carry these credentials: each 1 to 255 bytes.
pub(super) fn are_valid_credentials(credentials: &Credentials<'_>) -> bool {
    let fits = |text: &str| (1..=255).contains(&text.len());
    fits(credentials.user) && fits(credentials.password)
}

/// Writes `bytes` whole into `out`, or reports the room it needs.
fn put(out: &mut [u8], parts: &[&[u8]]) -> Result<usize, BufferTooSmall> {
    let required = parts.iter().map(|part| part.len()).sum();
    let Some(out) = out.get_mut(..required) else {
        return Err(BufferTooSmall { required });
    };
    let mut at = 0;
    for part in parts {
        if let Some(dst) = out.get_mut(at..at + part.len()) {
            dst.copy_from_slice(part);
        }
        at += part.len();
    }
    Ok(required)
}

/// A byte count known to be at most 255 (checked by the caller), as the
/// length byte that precedes it.
fn len_byte(text: &[u8]) -> u8 {
    u8::try_from(text.len()).unwrap_or(u8::MAX)
}

/// The greeting: the methods offered (RFC 1928 section 3).
pub(super) fn write_greeting(with_password: bool, out: &mut [u8]) -> Result<usize, BufferTooSmall> {
    if with_password {
        put(out, &[&[VERSION, 2, NO_AUTHENTICATION, USERNAME_PASSWORD]])
    } else {
        put(out, &[&[VERSION, 1, NO_AUTHENTICATION]])
    }
}

/// The username/password request (RFC 1929 section 2), for credentials
/// already checked with [`are_valid_credentials`].
pub(super) fn write_auth(
    credentials: &Credentials<'_>,
    out: &mut [u8],
) -> Result<usize, BufferTooSmall> {
    let (user, password) = (credentials.user.as_bytes(), credentials.password.as_bytes());
    put(out, &[&[AUTH_VERSION, len_byte(user)], user, &[len_byte(password)], password])
}

/// The CONNECT request (RFC 1928 sections 4 and 5), for a destination
/// already checked with [`Destination::is_valid`].
pub(super) fn write_connect(
    destination: &Destination<'_>,
    out: &mut [u8],
) -> Result<usize, BufferTooSmall> {
    let head = [VERSION, CONNECT, 0];
    let port = destination.port().to_be_bytes();
    match destination {
        Destination::Ip(IpAddr::V4(ip), _) => put(out, &[&head, &[ATYP_IPV4], &ip.octets(), &port]),
        Destination::Ip(IpAddr::V6(ip), _) => put(out, &[&head, &[ATYP_IPV6], &ip.octets(), &port]),
        Destination::Name(name, _) => {
            let name = name.as_bytes();
            put(out, &[&head, &[ATYP_DOMAIN, len_byte(name)], name, &port])
        }
    }
}

/// Where the exchange stands: a message due, or the bytes of a reply read
/// so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// The greeting is due.
    Greeting,
    /// Awaiting the method selection: how many of its 2 bytes are in.
    Method(u8),
    /// The username/password request is due.
    Auth,
    /// Awaiting its status: how many of its 2 bytes are in.
    AuthStatus(u8),
    /// The CONNECT request is due.
    Connect,
    /// Awaiting the reply: how many bytes are in, and its length once the
    /// address type (and for a domain, its length byte) is known; 0 before.
    Reply { at: u16, len: u16 },
    /// The tunnel is open.
    Open,
}

/// The client's side of the SOCKS5 exchange.
#[derive(Debug, Clone, Copy)]
pub(super) struct Exchange {
    step: Step,
}

impl Exchange {
    pub(super) const fn new() -> Self {
        Exchange { step: Step::Greeting }
    }

    pub(super) fn is_open(self) -> bool {
        self.step == Step::Open
    }

    pub(super) fn write_next(
        &mut self,
        destination: &Destination<'_>,
        credentials: Option<&Credentials<'_>>,
        out: &mut [u8],
    ) -> Result<usize, ProxyError> {
        let (len, next) = match self.step {
            Step::Greeting => {
                // Everything is checked before the first byte goes out.
                if !destination.is_valid() {
                    return Err(ProxyError::InvalidDestination);
                }
                if credentials.is_some_and(|c| !are_valid_credentials(c)) {
                    return Err(ProxyError::InvalidCredentials);
                }
                (write_greeting(credentials.is_some(), out)?, Step::Method(0))
            }
            Step::Auth => {
                // Only chosen when credentials were offered.
                let Some(credentials) = credentials else { return Ok(0) };
                (write_auth(credentials, out)?, Step::AuthStatus(0))
            }
            Step::Connect => (write_connect(destination, out)?, Step::Reply { at: 0, len: 0 }),
            _ => return Ok(0),
        };
        self.step = next;
        Ok(len)
    }

    pub(super) fn read(
        &mut self,
        input: &[u8],
        with_password: bool,
    ) -> Result<Progress, ProxyError> {
        let mut consumed = 0;
        for &byte in input {
            self.step = match self.step {
                Step::Method(at) => method(at, byte, with_password)?,
                Step::AuthStatus(at) => auth_status(at, byte)?,
                Step::Reply { at, len } => reply(at, len, byte)?,
                // A message is due, or the tunnel is open: the rest is not
                // part of an answer awaited now.
                Step::Greeting | Step::Auth | Step::Connect | Step::Open => break,
            };
            consumed += 1;
        }
        Ok(Progress { consumed, open: self.is_open() })
    }
}

/// Byte `at` of the method selection (RFC 1928 section 3).
fn method(at: u8, byte: u8, with_password: bool) -> Result<Step, Socks5Error> {
    match (at, byte) {
        (0, VERSION) => Ok(Step::Method(1)),
        (0, _) => Err(Socks5Error::UnexpectedVersion(byte)),
        (_, NO_AUTHENTICATION) => Ok(Step::Connect),
        (_, USERNAME_PASSWORD) if with_password => Ok(Step::Auth),
        (_, NO_ACCEPTABLE_METHOD) => Err(Socks5Error::NoAcceptableMethod),
        (_, _) => Err(Socks5Error::UnexpectedMethod(byte)),
    }
}

/// Byte `at` of the username/password status (RFC 1929 section 2).
fn auth_status(at: u8, byte: u8) -> Result<Step, Socks5Error> {
    match (at, byte) {
        (0, AUTH_VERSION) => Ok(Step::AuthStatus(1)),
        (0, _) => Err(Socks5Error::UnexpectedAuthVersion(byte)),
        (_, 0) => Ok(Step::Connect),
        (_, _) => Err(Socks5Error::AuthenticationFailed(byte)),
    }
}

/// Byte `at` of the reply (RFC 1928 section 6), whose length `len` is
/// known from byte 3 on (byte 4 for a domain), 0 before.
fn reply(at: u16, len: u16, byte: u8) -> Result<Step, Socks5Error> {
    let len = match at {
        0 if byte != VERSION => return Err(Socks5Error::UnexpectedVersion(byte)),
        1 if byte != 0 => return Err(Socks5Error::Rejected(ReplyCode(byte))),
        2 if byte != 0 => return Err(Socks5Error::NonZeroReserved(byte)),
        // The length of the whole reply: header, address, port.
        3 => match byte {
            ATYP_IPV4 => 4 + 4 + 2,
            ATYP_IPV6 => 4 + 16 + 2,
            // Known at the next byte, the name's length.
            ATYP_DOMAIN => 0,
            _ => return Err(Socks5Error::UnknownAddressType(byte)),
        },
        // A domain's length byte. The RFC sets no lower bound for a bound
        // address, so an empty name is taken as it comes.
        4 if len == 0 => 4 + 1 + u16::from(byte) + 2,
        _ => len,
    };
    let at = at + 1;
    Ok(if at == len { Step::Open } else { Step::Reply { at, len } })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::SOCKS5_MAX_MESSAGE_LEN as MAX_MESSAGE_LEN;
    use core::net::{Ipv4Addr, Ipv6Addr};
    use std::vec::Vec;

    fn written(write: impl Fn(&mut [u8]) -> Result<usize, BufferTooSmall>) -> Vec<u8> {
        let mut out = [0u8; MAX_MESSAGE_LEN];
        let len = write(&mut out).unwrap();
        out[..len].to_vec()
    }

    #[test]
    fn greetings() {
        assert_eq!(written(|out| write_greeting(false, out)), [5, 1, 0]);
        assert_eq!(written(|out| write_greeting(true, out)), [5, 2, 0, 2]);
    }

    #[test]
    fn connect_requests_in_the_three_layouts_of_rfc_1928_section_4() {
        // +----+-----+-------+------+----------+----------+
        // |VER | CMD |  RSV  | ATYP | DST.ADDR | DST.PORT |
        // +----+-----+-------+------+----------+----------+
        let v4 = Destination::Ip(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)), 443);
        assert_eq!(written(|out| write_connect(&v4, out)), [5, 1, 0, 1, 192, 0, 2, 7, 0x01, 0xBB]);
        let v6 = Destination::Ip(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)), 8080);
        let mut expected = std::vec![5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8];
        expected.extend([0; 11]);
        expected.extend([1, 0x1F, 0x90]);
        assert_eq!(written(|out| write_connect(&v6, out)), expected);
        let name = Destination::Name("example.com", 80);
        let mut expected = std::vec![5, 1, 0, 3, 11];
        expected.extend(b"example.com");
        expected.extend([0, 80]);
        assert_eq!(written(|out| write_connect(&name, out)), expected);
        // The longest name: 262 bytes.
        let long = "a".repeat(255);
        let name = Destination::Name(&long, 1);
        let request = written(|out| write_connect(&name, out));
        assert_eq!(
            (request.len(), request[4], request[260..].to_vec()),
            (262, 255, std::vec![0, 1])
        );
    }

    #[test]
    fn username_password_request_of_rfc_1929() {
        // +----+------+----------+------+----------+
        // |VER | ULEN |  UNAME   | PLEN |  PASSWD  |
        // +----+------+----------+------+----------+
        let credentials = Credentials { user: "Aladdin", password: "open sesame" };
        let mut expected = std::vec![1, 7];
        expected.extend(b"Aladdin");
        expected.push(11);
        expected.extend(b"open sesame");
        assert_eq!(written(|out| write_auth(&credentials, out)), expected);
        let (user, password) = ("u".repeat(255), "p".repeat(255));
        let longest = Credentials { user: &user, password: &password };
        assert!(are_valid_credentials(&longest));
        assert_eq!(written(|out| write_auth(&longest, out)).len(), MAX_MESSAGE_LEN);
    }

    #[test]
    fn credentials_of_0_or_256_bytes_are_refused() {
        let long = "x".repeat(256);
        for (user, password) in [("", "p"), ("u", ""), (long.as_str(), "p"), ("u", long.as_str())] {
            assert!(!are_valid_credentials(&Credentials { user, password }));
        }
    }

    #[test]
    fn a_short_buffer_is_left_untouched() {
        let mut out = [0xAA; 4];
        let name = Destination::Name("example.com", 80);
        assert_eq!(write_connect(&name, &mut out), Err(BufferTooSmall { required: 18 }));
        assert_eq!(out, [0xAA; 4]);
        assert_eq!(write_greeting(true, &mut out[..3]), Err(BufferTooSmall { required: 4 }));
        assert_eq!(out, [0xAA; 4]);
    }

    /// Feeds a reply to `reply` byte by byte: its length when complete.
    fn reply_len(bytes: &[u8]) -> Result<Option<usize>, Socks5Error> {
        let mut step = Step::Reply { at: 0, len: 0 };
        for (i, &byte) in bytes.iter().enumerate() {
            let Step::Reply { at, len } = step else { unreachable!() };
            step = reply(at, len, byte)?;
            if step == Step::Open {
                return Ok(Some(i + 1));
            }
        }
        Ok(None)
    }

    #[test]
    fn replies_end_where_their_bound_address_ends() {
        let v4 = [5, 0, 0, 1, 10, 0, 0, 1, 0x1F, 0x90];
        assert_eq!(reply_len(&v4), Ok(Some(10)));
        assert_eq!(reply_len(&v4[..9]), Ok(None));
        let mut v6 = std::vec![5, 0, 0, 4];
        v6.extend([0; 18]);
        assert_eq!(reply_len(&v6), Ok(Some(22)));
        assert_eq!(reply_len(&v6[..21]), Ok(None));
        let mut name = std::vec![5, 0, 0, 3, 9];
        name.extend(b"proxy.lan");
        name.extend([0, 80]);
        assert_eq!(reply_len(&name), Ok(Some(16)));
        assert_eq!(reply_len(&name[..15]), Ok(None));
        assert_eq!(reply_len(&[5, 0, 0, 3, 0, 0, 80]), Ok(Some(7)));
        let mut longest = std::vec![5, 0, 0, 3, 255];
        longest.extend([b'a'; 255]);
        longest.extend([0, 80]);
        assert_eq!(reply_len(&longest), Ok(Some(262)));
    }

    #[test]
    fn reply_errors() {
        assert_eq!(reply_len(&[4, 0]), Err(Socks5Error::UnexpectedVersion(4)));
        assert_eq!(reply_len(b"HTTP/1.1 400"), Err(Socks5Error::UnexpectedVersion(b'H')));
        for code in 1..=255 {
            assert_eq!(reply_len(&[5, code, 0]), Err(Socks5Error::Rejected(ReplyCode(code))));
        }
        assert_eq!(reply_len(&[5, 0, 1, 1]), Err(Socks5Error::NonZeroReserved(1)));
        for atyp in [0, 2, 5, 0xFF] {
            assert_eq!(reply_len(&[5, 0, 0, atyp]), Err(Socks5Error::UnknownAddressType(atyp)));
        }
    }

    #[test]
    fn method_and_status_replies() {
        assert_eq!(method(0, 5, false), Ok(Step::Method(1)));
        assert_eq!(method(0, 4, false), Err(Socks5Error::UnexpectedVersion(4)));
        assert_eq!(method(1, 0, false), Ok(Step::Connect));
        assert_eq!(method(1, 0, true), Ok(Step::Connect));
        assert_eq!(method(1, 2, true), Ok(Step::Auth));
        assert_eq!(method(1, 2, false), Err(Socks5Error::UnexpectedMethod(2)));
        assert_eq!(method(1, 1, true), Err(Socks5Error::UnexpectedMethod(1)));
        assert_eq!(method(1, 0xFF, true), Err(Socks5Error::NoAcceptableMethod));
        assert_eq!(auth_status(0, 1), Ok(Step::AuthStatus(1)));
        assert_eq!(auth_status(0, 5), Err(Socks5Error::UnexpectedAuthVersion(5)));
        assert_eq!(auth_status(1, 0), Ok(Step::Connect));
        assert_eq!(auth_status(1, 1), Err(Socks5Error::AuthenticationFailed(1)));
        assert_eq!(auth_status(1, 0xFF), Err(Socks5Error::AuthenticationFailed(0xFF)));
    }
}
