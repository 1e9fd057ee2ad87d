//! The response head's syntax (RFC 9112 sections 2-5), checked line by
//! line without `httparse`: a client needs only the status line and the
//! header fields, and this is a fraction of the code on a microcontroller.
//!
//! It accepts what `httparse` accepts for a response (the tests compare
//! the two), except empty lines before the status line, which a server
//! has no reason to send.

use crate::handshake::head::{is_token, strip};

/// A complete response head, its syntax checked.
pub(super) struct Head<'a> {
    /// The digit after `HTTP/1.`: 0 or 1.
    pub(super) minor_version: u8,
    /// The three-digit status code.
    pub(super) status: u16,
    /// The header lines, each ended by LF or CRLF, without the blank line.
    pub(super) lines: &'a [u8],
    /// The length of the head, blank line included.
    pub(super) len: usize,
}

/// Why a head is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SyntaxError {
    /// Not an HTTP/1.x response head.
    Malformed,
    /// More header lines than allowed.
    TooManyHeaders,
}

/// Parses the head at the start of `buf`: `Ok(None)` until its blank line
/// has arrived. An invalid line fails as soon as it is complete.
pub(super) fn parse_head(buf: &[u8], max_headers: usize) -> Result<Option<Head<'_>>, SyntaxError> {
    let mut lines = Lines { buf, at: 0 };
    let Some(first) = lines.next() else { return Ok(None) };
    let (minor_version, status) = status_line(first).ok_or(SyntaxError::Malformed)?;
    let fields_start = lines.at;
    let mut count = 0;
    loop {
        let fields_end = lines.at;
        let Some(line) = lines.next() else { return Ok(None) };
        if line.is_empty() {
            let fields = buf.get(fields_start..fields_end).unwrap_or_default();
            return Ok(Some(Head { minor_version, status, lines: fields, len: lines.at }));
        }
        field(line).ok_or(SyntaxError::Malformed)?;
        count += 1;
        if count > max_headers {
            return Err(SyntaxError::TooManyHeaders);
        }
    }
}

#[cfg(test)]
impl<'a> Head<'a> {
    /// The header fields, as `(name, value)`; the value is untrimmed.
    pub(super) fn fields(&self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> {
        fields(self.lines)
    }
}

/// The header fields of the checked header lines `lines` (a [`Head`]'s),
/// as `(name, value)`; the value is untrimmed.
pub(super) fn fields(lines: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    Lines { buf: lines, at: 0 }.filter_map(field)
}

/// The lines of `buf` from `at` that are complete, without their line
/// ending (LF, or CRLF).
struct Lines<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.buf.get(self.at..)?;
        let end = rest.iter().position(|&b| b == b'\n')?;
        self.at += end + 1;
        let line = rest.get(..end)?;
        Some(strip_suffix_cr(line))
    }
}

/// The status line's minor version and status code:
/// `HTTP/1.x SP 3DIGIT [SP reason-phrase]`.
/// `line` without a final CR.
fn strip_suffix_cr(line: &[u8]) -> &[u8] {
    match line.split_last() {
        Some((b'\r', head)) => head,
        _ => line,
    }
}

fn status_line(line: &[u8]) -> Option<(u8, u16)> {
    let rest = strip(line, b"HTTP/1.")?;
    let (&minor, rest) = rest.split_first()?;
    if minor != b'0' && minor != b'1' {
        return None;
    }
    let rest = strip(rest, b" ")?;
    let (code, reason) = rest.split_at_checked(3)?;
    let mut status = 0;
    for &digit in code {
        if !digit.is_ascii_digit() {
            return None;
        }
        status = status * 10 + u16::from(digit - b'0');
    }
    // The reason phrase may be absent; after its space, it is text.
    if let Some(reason) = strip(reason, b" ") {
        if !is_field_text(reason) {
            return None;
        }
    } else if !reason.is_empty() {
        return None;
    }
    Some((minor - b'0', status))
}

/// A header line's name and trimmed value: `token ":" OWS value OWS`,
/// with no whitespace before the colon (RFC 9112 section 5.1).
fn field(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = line.iter().position(|&b| b == b':')?;
    let (name, value) = (line.get(..colon)?, line.get(colon + 1..)?);
    (is_token(name) && is_field_text(value)).then_some((name, value))
}

/// Whether every byte may appear in a field value or reason phrase:
/// HTAB, SP, visible ASCII and obs-text (RFC 9110 section 5.5).
fn is_field_text(text: &[u8]) -> bool {
    text.iter().all(|&b| b == b'\t' || (b >= b' ' && b != 0x7F))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handshake::head::trim_ows;
    use std::vec::Vec;

    const RESPONSE: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
        Connection: Upgrade\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81";

    /// What a parser made of a buffer, in terms both can express.
    #[derive(Debug, PartialEq)]
    enum Verdict<'a> {
        Partial,
        Complete { len: usize, minor: u8, status: u16, fields: Vec<(&'a [u8], &'a [u8])> },
        TooManyHeaders,
        Malformed,
    }

    fn ours(buf: &[u8], max: usize) -> Verdict<'_> {
        match parse_head(buf, max) {
            Ok(None) => Verdict::Partial,
            Ok(Some(head)) => Verdict::Complete {
                len: head.len,
                minor: head.minor_version,
                status: head.status,
                fields: head.fields().map(|(n, v)| (n, trim_ows(v))).collect(),
            },
            Err(SyntaxError::TooManyHeaders) => Verdict::TooManyHeaders,
            Err(SyntaxError::Malformed) => Verdict::Malformed,
        }
    }

    fn httparse(buf: &[u8], max: usize) -> Verdict<'_> {
        let mut slots = std::vec![httparse::EMPTY_HEADER; max];
        let mut response = httparse::Response::new(&mut slots);
        match response.parse(buf) {
            Ok(httparse::Status::Partial) => Verdict::Partial,
            Ok(httparse::Status::Complete(len)) => Verdict::Complete {
                len,
                minor: response.version.unwrap_or(9),
                status: response.code.unwrap_or(0),
                fields: response.headers.iter().map(|h| (h.name.as_bytes(), h.value)).collect(),
            },
            Err(httparse::Error::TooManyHeaders) => Verdict::TooManyHeaders,
            Err(_) => Verdict::Malformed,
        }
    }

    /// Both parsers on `buf`, when it holds a blank line (before one,
    /// httparse also judges the incomplete line, which this parser leaves
    /// for later).
    fn compare(buf: &[u8]) {
        if buf.starts_with(b"\n") || buf.starts_with(b"\r") {
            return; // empty lines before the status line: refused here
        }
        let complete =
            buf.windows(2).any(|w| w == b"\n\n") || buf.windows(3).any(|w| w == b"\n\r\n");
        for max in [2, 3, 32] {
            let (ours, theirs) = (ours(buf, max), httparse(buf, max));
            if complete || theirs != Verdict::Malformed {
                assert_eq!(ours, theirs, "max {max}: {}", buf.escape_ascii());
            }
        }
    }

    #[test]
    fn agrees_with_httparse_on_every_single_byte_change() {
        let interesting = b"\r\n \t:a0/2-\x7f\x80\x00\x01\"(";
        compare(RESPONSE);
        for at in 0..RESPONSE.len() {
            let mut deleted = RESPONSE.to_vec();
            deleted.remove(at);
            compare(&deleted);
            for &byte in interesting {
                let mut changed = RESPONSE.to_vec();
                changed[at] = byte;
                compare(&changed);
                let mut inserted = RESPONSE.to_vec();
                inserted.insert(at, byte);
                compare(&inserted);
            }
        }
    }

    #[test]
    fn status_lines() {
        let status = |line: &[u8]| status_line(line);
        assert_eq!(status(b"HTTP/1.1 101 Switching Protocols"), Some((1, 101)));
        assert_eq!(status(b"HTTP/1.1 101"), Some((1, 101)));
        assert_eq!(status(b"HTTP/1.1 101 "), Some((1, 101)));
        assert_eq!(status(b"HTTP/1.0 200 OK"), Some((0, 200)));
        for bad in [
            &b"HTTP/1.2 101 x"[..],
            b"HTTP/2 101",
            b"HTTP/1.1  101 x",
            b"HTTP/1.1 1010 x",
            b"HTTP/1.1 10 x",
            b"http/1.1 101 x",
            b"HTTP/1.1 101 x\ry",
        ] {
            assert_eq!(status(bad), None, "{:?}", bad.escape_ascii());
        }
    }

    #[test]
    fn the_head_ends_at_its_blank_line() {
        let head = parse_head(RESPONSE, 32).unwrap().unwrap();
        assert_eq!(&RESPONSE[head.len..], b"\x81");
        assert_eq!(head.fields().count(), 3);
        for end in 0..head.len {
            assert!(parse_head(&RESPONSE[..end], 32).unwrap().is_none(), "{end}");
        }
        assert_eq!(parse_head(b"\r\nHTTP/1.1 101\r\n\r\n", 32).err(), Some(SyntaxError::Malformed));
    }
}
