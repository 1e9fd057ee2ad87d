//! HTTP `CONNECT` (RFC 9110 section 9.3.6): the request, and a push
//! parser for the proxy's answer that takes one byte at a time and keeps
//! nothing of the head but its status.
//!
//! The answer is read up to the blank line that ends its head and not one
//! byte further:
//!
//! - A 2xx turns the connection into the tunnel right after that blank
//!   line (RFC 9112 section 6.3, item 2). A client must ignore
//!   `Content-Length` and `Transfer-Encoding` in it (RFC 9110 section
//!   9.3.6), so they are: a 2xx has no body, whatever its headers say,
//!   and no "body where none may be" error exists.
//! - An interim 1xx (100 Continue, 102, 103 Early Hints...) is skipped:
//!   RFC 9110 section 15.2 requires a client to parse 1xx answers before
//!   the final one, even unasked, and allows it to ignore them. 1xx heads
//!   end at their blank line and have no body. They count toward the
//!   head-size limit, so a proxy cannot send them forever.
//! - `101 Switching Protocols` answers only a request that asked for an
//!   upgrade (RFC 9110 section 15.2.2), which a `CONNECT` does not: an
//!   error.
//! - Any other status refuses the tunnel: the error carries it as soon as
//!   the status line is complete. The rest of that answer (headers, an
//!   error page) is not read; the connection is of no further use.
//!
//! The syntax is that of RFC 9112 sections 4 and 5, as the handshake's
//! response parser checks it: `HTTP/1.0` or `HTTP/1.1` (many proxies
//! answer `HTTP/1.0 200 Connection established`), a three-digit status,
//! an optional reason phrase, `token ":" value` header lines, CRLF or a
//! bare LF (RFC 9112 section 2.2) to end a line, no line folding.

use super::{Credentials, Destination, HttpConnectError, Progress, ProxyError};
use crate::BufferTooSmall;
use crate::handshake::base64;
use crate::handshake::head::is_tchar;
use crate::handshake::writer::{Emitter, write_all_or_nothing};

/// Writes `CONNECT authority HTTP/1.1` with its `Host` and, with
/// credentials, `Proxy-Authorization: Basic` (RFC 7617: the base64 form of
/// `user:password`, UTF-8).
pub(super) fn write_request(
    destination: &Destination<'_>,
    credentials: Option<&Credentials<'_>>,
    out: &mut [u8],
) -> Result<usize, BufferTooSmall> {
    write_all_or_nothing(out, |e| {
        e.str("CONNECT ");
        authority(e, destination);
        e.str(" HTTP/1.1\r\nHost: ");
        authority(e, destination);
        e.str("\r\n");
        if let Some(credentials) = credentials {
            e.str("Proxy-Authorization: Basic ");
            let user_pass =
                credentials.user.bytes().chain([b':']).chain(credentials.password.bytes());
            base64::encode_with(user_pass, |c| e.bytes(&[c]));
            e.str("\r\n");
        }
        e.str("\r\n");
    })
}

/// `host:port`, an IPv6 address in brackets (RFC 9110 section 9.3.6 and
/// RFC 3986 section 3.2.2).
fn authority(e: &mut Emitter<'_>, destination: &Destination<'_>) {
    match destination {
        Destination::Name(name, _) => e.str(name),
        Destination::Ip(core::net::IpAddr::V4(ip), _) => {
            let _ = core::fmt::write(e, format_args!("{ip}"));
        }
        Destination::Ip(core::net::IpAddr::V6(ip), _) => {
            let _ = core::fmt::write(e, format_args!("[{ip}]"));
        }
    }
    e.str(":");
    e.decimal(usize::from(destination.port()));
}

/// Whether Basic authentication can carry these credentials (RFC 7617
/// section 2): no `:` in the user name, no control character in either.
pub(super) fn are_valid_credentials(credentials: &Credentials<'_>) -> bool {
    let no_control = |text: &str| !text.bytes().any(|b| b < b' ' || b == 0x7F);
    !credentials.user.bytes().any(|b| b == b':')
        && no_control(credentials.user)
        && no_control(credentials.password)
}

/// The client's side of the `CONNECT` exchange.
#[derive(Debug, Clone, Copy)]
pub(super) struct Exchange {
    /// Whether the request has been written.
    sent: bool,
    response: ResponseParser,
}

impl Exchange {
    pub(super) const fn new() -> Self {
        Exchange { sent: false, response: ResponseParser::new() }
    }

    pub(super) fn is_open(&self) -> bool {
        self.response.state == State::Done
    }

    pub(super) fn write_next(
        &mut self,
        destination: &Destination<'_>,
        credentials: Option<&Credentials<'_>>,
        out: &mut [u8],
    ) -> Result<usize, ProxyError> {
        if self.sent {
            return Ok(0);
        }
        if !destination.is_valid() {
            return Err(ProxyError::InvalidDestination);
        }
        if credentials.is_some_and(|c| !are_valid_credentials(c)) {
            return Err(ProxyError::InvalidCredentials);
        }
        let len = write_request(destination, credentials, out)?;
        self.sent = true;
        Ok(len)
    }

    pub(super) fn read(&mut self, input: &[u8], limits: Limits) -> Result<Progress, ProxyError> {
        if self.is_open() {
            return Ok(Progress { consumed: 0, open: true });
        }
        if !self.sent {
            // The request is due first.
            return Ok(Progress { consumed: 0, open: false });
        }
        for (at, &byte) in input.iter().enumerate() {
            if self.response.push(byte, limits)? {
                return Ok(Progress { consumed: at + 1, open: true });
            }
        }
        Ok(Progress { consumed: input.len(), open: false })
    }
}

/// The limits on the proxy's answer.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    /// The most bytes the answer may have, interim heads included.
    pub(super) max_head_len: usize,
    /// The most header lines one head may have.
    pub(super) max_headers: usize,
}

/// Where the parser is in the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// In `HTTP/1.`: how many of its bytes have matched.
    Version(u8),
    /// Expecting the minor version, `0` or `1`.
    Minor,
    /// Expecting the space before the status code.
    BeforeStatus,
    /// In the status code: how many digits have been read.
    Status(u8),
    /// After the status code: a space, or the end of the line.
    AfterStatus,
    /// In the reason phrase.
    Reason,
    /// After the status line's CR: LF must follow.
    StatusCr,
    /// At the start of a header line or of the blank line.
    LineStart,
    /// In a header name.
    Name,
    /// In a header value.
    Value,
    /// After a header line's CR.
    ValueCr,
    /// After the blank line's CR.
    BlankCr,
    /// A 2xx head has ended: the tunnel is open.
    Done,
}

/// The proxy's answer, one byte at a time.
#[derive(Debug, Clone, Copy)]
pub(super) struct ResponseParser {
    state: State,
    /// The status code of the current head, as far as read.
    status: u16,
    /// Bytes of the answer so far, every head included.
    len: usize,
    /// Header lines of the current head so far.
    headers: usize,
}

impl ResponseParser {
    pub(super) const fn new() -> Self {
        ResponseParser { state: State::Version(0), status: 0, len: 0, headers: 0 }
    }

    /// Takes the answer's next byte: `Ok(true)` when it ended the head of
    /// a 2xx, the last byte of the answer.
    pub(super) fn push(&mut self, byte: u8, limits: Limits) -> Result<bool, HttpConnectError> {
        use HttpConnectError::{MalformedHeader, MalformedStatusLine};
        if self.state == State::Done {
            return Ok(true);
        }
        if self.len >= limits.max_head_len {
            return Err(HttpConnectError::HeadTooLarge);
        }
        self.len += 1;
        self.state = match (self.state, byte) {
            (State::Version(matched), _) => {
                let expected = b"HTTP/1.".get(usize::from(matched)).copied();
                if expected != Some(byte) {
                    return Err(MalformedStatusLine);
                }
                if matched == 6 { State::Minor } else { State::Version(matched + 1) }
            }
            (State::Minor, b'0' | b'1') => State::BeforeStatus,
            (State::BeforeStatus, b' ') => State::Status(0),
            (State::Status(digits), b'0'..=b'9') => {
                self.status = self.status * 10 + u16::from(byte - b'0');
                if digits == 2 { State::AfterStatus } else { State::Status(digits + 1) }
            }
            (State::AfterStatus, b' ') => State::Reason,
            (State::AfterStatus | State::Reason, b'\r') => State::StatusCr,
            (State::AfterStatus | State::Reason | State::StatusCr, b'\n') => {
                self.status_line_ended()?
            }
            (State::Reason, _) if is_field_text(byte) => State::Reason,
            (
                State::Minor
                | State::BeforeStatus
                | State::Status(_)
                | State::AfterStatus
                | State::Reason
                | State::StatusCr,
                _,
            ) => {
                return Err(MalformedStatusLine);
            }
            (State::LineStart, b'\r') => State::BlankCr,
            (State::LineStart | State::BlankCr, b'\n') => return Ok(self.head_ended()),
            (State::LineStart, _) if is_tchar(byte) => {
                // RFC 9112 section 5: no whitespace before a name, so no
                // folded lines either.
                if self.headers >= limits.max_headers {
                    return Err(HttpConnectError::TooManyHeaders);
                }
                self.headers += 1;
                State::Name
            }
            (State::Name, b':') => State::Value,
            (State::Name, _) if is_tchar(byte) => State::Name,
            (State::Value, b'\r') => State::ValueCr,
            (State::Value | State::ValueCr, b'\n') => State::LineStart,
            (State::Value, _) if is_field_text(byte) => State::Value,
            (
                State::LineStart | State::BlankCr | State::Name | State::Value | State::ValueCr,
                _,
            ) => {
                return Err(MalformedHeader);
            }
            (State::Done, _) => State::Done,
        };
        Ok(false)
    }

    /// The status line is complete: decide what its status means.
    fn status_line_ended(&mut self) -> Result<State, HttpConnectError> {
        match self.status {
            101 => Err(HttpConnectError::SwitchingProtocols),
            100..=299 => Ok(State::LineStart),
            // RFC 9110 section 15: a status below 100 is invalid.
            0..=99 => Err(HttpConnectError::MalformedStatusLine),
            status => Err(HttpConnectError::Refused(status)),
        }
    }

    /// A head's blank line has ended: the tunnel is open after a 2xx;
    /// after an interim 1xx, the next head starts. Returns whether the
    /// tunnel is open.
    fn head_ended(&mut self) -> bool {
        if self.status >= 200 {
            self.state = State::Done;
            return true;
        }
        *self = ResponseParser { len: self.len, ..ResponseParser::new() };
        false
    }
}

/// Whether `byte` may appear in a field value or a reason phrase: HTAB,
/// SP, visible ASCII and obs-text (RFC 9110 section 5.5).
fn is_field_text(byte: u8) -> bool {
    byte == b'\t' || (byte >= b' ' && byte != 0x7F)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    const LIMITS: Limits = Limits { max_head_len: 8192, max_headers: 32 };

    /// Feeds `answer` whole: the number of bytes of a 2xx answer, `None`
    /// when it is not complete.
    fn parse(answer: &[u8], limits: Limits) -> Result<Option<usize>, HttpConnectError> {
        let mut parser = ResponseParser::new();
        for (at, &byte) in answer.iter().enumerate() {
            if parser.push(byte, limits)? {
                return Ok(Some(at + 1));
            }
        }
        Ok(None)
    }

    #[test]
    fn status_lines_and_their_outcomes() {
        // `None`: a 2xx that opens the tunnel after its last byte.
        let cases: &[(&[u8], Option<HttpConnectError>)] = &[
            (b"HTTP/1.1 200 Connection established\r\n\r\n", None),
            (b"HTTP/1.0 200 Connection established\r\n\r\n", None),
            (b"HTTP/1.1 200\r\n\r\n", None),
            (b"HTTP/1.1 200 \r\n\r\n", None),
            (b"HTTP/1.1 204 No Content\n\n", None),
            (b"HTTP/1.1 299 \xe9t\xe9\r\n\r\n", None),
            (
                b"HTTP/1.1 407 Proxy Authentication Required\r\n",
                Some(HttpConnectError::Refused(407)),
            ),
            (b"HTTP/1.1 300\n", Some(HttpConnectError::Refused(300))),
            (b"HTTP/1.1 999 x\r\n", Some(HttpConnectError::Refused(999))),
            (b"HTTP/1.1 101 Switching Protocols\r\n", Some(HttpConnectError::SwitchingProtocols)),
            (b"HTTP/1.1 099 x\r\n", Some(HttpConnectError::MalformedStatusLine)),
            (b"HTTP/1.2 200 x\r\n", Some(HttpConnectError::MalformedStatusLine)),
            (b"HTTP/2 200\r\n", Some(HttpConnectError::MalformedStatusLine)),
            (b"http/1.1 200 x\r\n", Some(HttpConnectError::MalformedStatusLine)),
            (b"HTTP/1.1  200 x\r\n", Some(HttpConnectError::MalformedStatusLine)),
            (b"HTTP/1.1 20 x\r\n", Some(HttpConnectError::MalformedStatusLine)),
            (b"HTTP/1.1 2000\r\n", Some(HttpConnectError::MalformedStatusLine)),
            (b"HTTP/1.1 200 x\ry\r\n", Some(HttpConnectError::MalformedStatusLine)),
            (b"HTTP/1.1 200 a\x7fb\r\n", Some(HttpConnectError::MalformedStatusLine)),
            (b"\r\nHTTP/1.1 200 OK\r\n\r\n", Some(HttpConnectError::MalformedStatusLine)),
            (b"\x05\x00", Some(HttpConnectError::MalformedStatusLine)),
        ];
        for (answer, expected) in cases {
            let expected = expected.map_or(Ok(Some(answer.len())), Err);
            assert_eq!(parse(answer, LIMITS), expected, "{}", answer.escape_ascii());
        }
    }

    #[test]
    fn header_lines() {
        let with = |lines: &str| {
            let mut answer = b"HTTP/1.1 200 OK\r\n".to_vec();
            answer.extend_from_slice(lines.as_bytes());
            answer.extend_from_slice(b"\r\n");
            (answer.len(), parse(&answer, LIMITS))
        };
        for ok in [
            "Via: 1.1 proxy\r\n",
            "X-Empty:\r\nX-Tab:\tv\t\r\n",
            "Proxy-Agent: tinyproxy/1.11.1\nServer: x\n",
            "Content-Length: 100\r\nTransfer-Encoding: chunked\r\n",
            "X-Odd: \u{e9}\"quoted\" (comment) a=b; c\r\n",
        ] {
            let (len, parsed) = with(ok);
            assert_eq!(parsed, Ok(Some(len)), "{ok:?}");
        }
        for bad in [
            " Via: x\r\n",
            "\tVia: x\r\n",
            "Via : x\r\n",
            "Via\r\n",
            ": x\r\n",
            "V(a: x\r\n",
            "Via: a\rb\r\n",
            "Via: a\0b\r\n",
            "Via: a\x7f\r\n",
            "Via: x\r\n\rx",
        ] {
            assert_eq!(with(bad).1, Err(HttpConnectError::MalformedHeader), "{bad:?}");
        }
    }

    #[test]
    fn interim_answers_are_skipped_and_count_toward_the_limit() {
        let answer = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n\
            HTTP/1.1 200 OK\r\n\r\n";
        assert_eq!(parse(answer, LIMITS), Ok(Some(answer.len())));
        let tight = Limits { max_head_len: answer.len() - 1, ..LIMITS };
        assert_eq!(parse(answer, tight), Err(HttpConnectError::HeadTooLarge));
        let exact = Limits { max_head_len: answer.len(), ..LIMITS };
        assert_eq!(parse(answer, exact), Ok(Some(answer.len())));
        // A 1xx then a refusal.
        assert_eq!(
            parse(b"HTTP/1.1 100 Continue\n\nHTTP/1.1 502 Bad Gateway\n", LIMITS),
            Err(HttpConnectError::Refused(502))
        );
    }

    #[test]
    fn the_header_count_is_per_head() {
        let head = |count: usize| {
            let mut head = b"HTTP/1.1 100 Continue\r\n".to_vec();
            for i in 0..count {
                head.extend_from_slice(std::format!("X-{i}: {i}\r\n").as_bytes());
            }
            head.extend_from_slice(b"\r\n");
            head
        };
        let limits = Limits { max_head_len: 8192, max_headers: 3 };
        let mut answer: Vec<u8> = head(3);
        answer.extend(head(3));
        answer.extend_from_slice(b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n");
        assert_eq!(parse(&answer, limits), Ok(Some(answer.len())));
        let mut answer = head(4);
        answer.extend_from_slice(b"HTTP/1.1 200 OK\r\n\r\n");
        assert_eq!(parse(&answer, limits), Err(HttpConnectError::TooManyHeaders));
        let none = Limits { max_head_len: 8192, max_headers: 0 };
        assert_eq!(parse(b"HTTP/1.1 200 OK\r\n\r\n", none), Ok(Some(19)));
        assert_eq!(
            parse(b"HTTP/1.1 200 OK\r\nA: 1\r\n\r\n", none),
            Err(HttpConnectError::TooManyHeaders)
        );
    }

    #[test]
    fn the_head_may_be_exactly_the_limit() {
        let answer = b"HTTP/1.1 200 OK\r\n\r\n";
        let limits = |max_head_len| Limits { max_head_len, max_headers: 32 };
        assert_eq!(parse(answer, limits(answer.len())), Ok(Some(answer.len())));
        assert_eq!(parse(answer, limits(answer.len() - 1)), Err(HttpConnectError::HeadTooLarge));
        assert_eq!(parse(answer, limits(0)), Err(HttpConnectError::HeadTooLarge));
    }

    #[test]
    fn basic_credentials_follow_rfc_7617() {
        let valid = |user, password| are_valid_credentials(&Credentials { user, password });
        assert!(valid("Aladdin", "open sesame"));
        assert!(valid("", ""));
        assert!(valid("t\u{e9}st", "p:a:ss"));
        assert!(!valid("a:b", "x"));
        assert!(!valid("a\r\n", "x"));
        assert!(!valid("a", "x\ny"));
        assert!(!valid("a", "x\x7f"));
    }
}
