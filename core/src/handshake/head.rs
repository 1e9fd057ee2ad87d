//! HTTP/1.1 head helpers shared by both roles: finding the end of a head,
//! header-list tokens (RFC 7230 section 7) and the header names the
//! handshake reads.

use core::fmt;

/// The headers whose validation the handshake reports by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderName {
    /// `Host`.
    Host,
    /// `Origin`.
    Origin,
    /// `Sec-WebSocket-Key`.
    SecWebSocketKey,
    /// `Sec-WebSocket-Version`.
    SecWebSocketVersion,
    /// `Sec-WebSocket-Accept`.
    SecWebSocketAccept,
    /// `Sec-WebSocket-Protocol`.
    SecWebSocketProtocol,
    /// The HTTP/2 pseudo-header `:method`.
    Method,
    /// The HTTP/2 pseudo-header `:protocol` (RFC 8441 section 4).
    Protocol,
    /// The HTTP/2 pseudo-header `:scheme`.
    Scheme,
    /// The HTTP/2 pseudo-header `:path`.
    Path,
    /// The HTTP/2 pseudo-header `:authority`.
    Authority,
}

impl HeaderName {
    /// The header's name in its usual spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            HeaderName::Host => "Host",
            HeaderName::Origin => "Origin",
            HeaderName::SecWebSocketKey => "Sec-WebSocket-Key",
            HeaderName::SecWebSocketVersion => "Sec-WebSocket-Version",
            HeaderName::SecWebSocketAccept => "Sec-WebSocket-Accept",
            HeaderName::SecWebSocketProtocol => "Sec-WebSocket-Protocol",
            HeaderName::Method => ":method",
            HeaderName::Protocol => ":protocol",
            HeaderName::Scheme => ":scheme",
            HeaderName::Path => ":path",
            HeaderName::Authority => ":authority",
        }
    }
}

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Finds where a head ends without rescanning bytes it has already seen,
/// so feeding a head one byte at a time stays linear.
///
/// It only says when a parse is worth trying; the parser decides what the
/// head is.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct HeadScanner {
    scanned: usize,
}

impl HeadScanner {
    /// A scanner that has seen nothing yet.
    pub(crate) const fn new() -> Self {
        HeadScanner { scanned: 0 }
    }

    /// What the bytes of `buf` not scanned before hold. `buf` is expected
    /// to extend the previous buffer; a shorter one restarts the scan.
    pub(crate) fn scan(&mut self, buf: &[u8]) -> Scan {
        if self.scanned > buf.len() {
            self.scanned = 0;
        }
        let start = self.scanned;
        self.scanned = buf.len();
        let mut found = Scan::Nothing;
        for end in start..buf.len() {
            // The bytes up to this one, as a slice: the look back at the
            // line before is a slice pattern, with no index to check.
            let Some([before @ .., b'\n']) = buf.get(..=end) else { continue };
            found = Scan::LineEnd;
            if let [.., b'\n'] | [.., b'\n', b'\r'] = before {
                return Scan::BlankLine;
            }
        }
        found
    }
}

/// What [`HeadScanner::scan`] found in the new bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scan {
    /// No line ended.
    Nothing,
    /// At least one line ended, none of them blank.
    LineEnd,
    /// A blank line ended: the head may be complete.
    BlankLine,
}

/// Whether `byte` may appear in an RFC 7230 token.
pub(crate) fn is_tchar(byte: u8) -> bool {
    // One bit per ASCII byte, looked up: shorter than a search of the
    // symbol list (`contains` on bytes links `memchr`) or a `match`.
    let word = TCHARS.get(usize::from(byte / 32)).copied().unwrap_or(0);
    word >> (byte % 32) & 1 != 0
}

/// The `tchar` set of RFC 9110 section 5.6.2 as a 128-bit map, bit
/// `b % 32` of word `b / 32` for byte `b`.
const TCHARS: [u32; 4] = {
    let mut map = [0u32; 4];
    let mut b = 0u8;
    while b < 128 {
        let symbol = matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        );
        if b.is_ascii_alphanumeric() || symbol {
            map[(b / 32) as usize] |= 1 << (b % 32);
        }
        b += 1;
    }
    map
};

/// Whether `text` is a non-empty RFC 7230 token.
/// Byte-slice equality as a plain loop: `==` on slices links `memcmp`
/// (about 0.3 KiB on Cortex-M with its callers' helpers), for texts of a
/// few dozen bytes.
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// `text` without `prefix`, if it starts with it (see [`same`]).
pub(crate) fn strip<'a>(text: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    let (head, rest) = text.split_at_checked(prefix.len())?;
    same(head, prefix).then_some(rest)
}

pub(crate) fn is_token(text: &[u8]) -> bool {
    !text.is_empty() && text.iter().all(|&b| is_tchar(b))
}

/// Whether `text` may be written as a header value: visible ASCII, space
/// and tab only, so it cannot break the head (no CR, LF or NUL).
pub(crate) fn is_safe_value(text: &[u8]) -> bool {
    text.iter().all(|&b| b == b'\t' || (b' '..=b'~').contains(&b))
}

/// Removes optional whitespace (space, tab) at both ends.
pub(crate) fn trim_ows(mut text: &[u8]) -> &[u8] {
    // Slice patterns: no index, so no bounds check or panic path.
    while let [b' ' | b'\t', rest @ ..] = text {
        text = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = text {
        text = rest;
    }
    text
}

/// The non-empty elements of a comma-separated header list, trimmed.
/// Commas inside quoted strings do not split elements.
pub(crate) fn list_elements(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = value;
    core::iter::from_fn(move || {
        loop {
            if rest.is_empty() {
                return None;
            }
            let end = element_end(rest);
            let element = trim_ows(rest.get(..end).unwrap_or(rest));
            rest = rest.get(end + 1..).unwrap_or_default();
            if !element.is_empty() {
                return Some(element);
            }
        }
    })
}

/// The index of the comma that ends the first list element of `value`, or
/// its length when there is none.
fn element_end(value: &[u8]) -> usize {
    let mut quoted = false;
    let mut escaped = false;
    for (i, &b) in value.iter().enumerate() {
        if escaped {
            escaped = false;
        } else if quoted && b == b'\\' {
            escaped = true;
        } else if b == b'"' {
            quoted = !quoted;
        } else if b == b',' && !quoted {
            return i;
        }
    }
    value.len()
}

/// The list elements of several header lines, as text. The lines must
/// have been checked to be ASCII; an element that is not UTF-8 is skipped.
pub(crate) fn list_elements_str<'s, 'a>(
    lines: &'s [&'a [u8]],
) -> impl Iterator<Item = &'a str> + 's {
    lines
        .iter()
        .flat_map(|line| list_elements(line))
        .filter_map(|element| core::str::from_utf8(element).ok())
}

/// Whether `path` is a request target in origin form a handshake accepts:
/// a `/`, then visible ASCII only (no spaces or control bytes).
pub(crate) fn is_origin_form(path: &[u8]) -> bool {
    path.first() == Some(&b'/') && path.iter().all(u8::is_ascii_graphic)
}

/// Whether a comma-separated header list holds `token`, compared without
/// regard to ASCII case (as `Upgrade` and `Connection` require).
pub(crate) fn list_has_token(value: &[u8], token: &str) -> bool {
    list_elements(value).any(|element| element.eq_ignore_ascii_case(token.as_bytes()))
}

/// The name of an extension offer or response element: the token before
/// its first `;` parameter.
pub(crate) fn extension_name(element: &[u8]) -> &[u8] {
    let end = element.iter().position(|&b| b == b';').unwrap_or(element.len());
    trim_ows(element.get(..end).unwrap_or(element))
}

/// Checks an extension list element: a token name, then `; name` or
/// `; name=value` parameters whose values are tokens or quoted strings
/// (RFC 6455 section 9.1).
pub(crate) fn is_valid_extension(element: &[u8]) -> bool {
    let mut parts = split_params(element);
    let Some(name) = parts.next() else { return false };
    if !is_token(trim_ows(name)) {
        return false;
    }
    parts.all(|param| {
        let param = trim_ows(param);
        match param.iter().position(|&b| b == b'=') {
            None => is_token(param),
            Some(eq) => {
                let value = trim_ows(param.get(eq + 1..).unwrap_or_default());
                let name = trim_ows(param.get(..eq).unwrap_or_default());
                is_token(name) && (is_token(value) || is_quoted_token(value))
            }
        }
    })
}

/// Whether every `(name, value)` pair may be written as an extra header:
/// the name is a token that is none of `reserved` (the headers the
/// handshake writes itself) and the value cannot break the head.
pub(crate) fn are_valid_extra_headers(headers: &[(&str, &str)], reserved: &[&str]) -> bool {
    headers.iter().all(|(name, value)| {
        is_token(name.as_bytes())
            && is_safe_value(value.as_bytes())
            && !reserved.iter().any(|r| r.eq_ignore_ascii_case(name))
    })
}

/// Splits an extension element on `;` outside quoted strings.
fn split_params(element: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(element);
    core::iter::from_fn(move || {
        let current = rest?;
        let mut quoted = false;
        for (i, &b) in current.iter().enumerate() {
            if b == b'"' {
                quoted = !quoted;
            } else if b == b';' && !quoted {
                rest = current.get(i + 1..);
                return current.get(..i);
            }
        }
        rest = None;
        Some(current)
    })
}

/// RFC 6455 section 9.1: a quoted parameter value must still be a token
/// once unquoted.
fn is_quoted_token(value: &[u8]) -> bool {
    matches!(value, [b'"', inner @ .., b'"'] if is_token(inner))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn tchar_map_matches_the_rfc_list() {
        for b in 0..=255u8 {
            let expected = b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
            assert_eq!(is_tchar(b), expected, "{b:#x}");
        }
    }

    #[test]
    fn scanner_finds_crlf_and_bare_lf_blank_lines() {
        let scan = |buf: &[u8]| HeadScanner::default().scan(buf);
        assert_eq!(scan(b"GET / HTTP/1.1\r\n\r\n"), Scan::BlankLine);
        assert_eq!(scan(b"GET / HTTP/1.1\n\n"), Scan::BlankLine);
        assert_eq!(scan(b"GET / HTTP/1.1\r\nHost: a\r\n"), Scan::LineEnd);
        assert_eq!(scan(b"GET / HTTP/1.1"), Scan::Nothing);
    }

    #[test]
    fn scanner_finds_a_blank_line_split_across_calls() {
        let head = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
        let mut scanner = HeadScanner::default();
        let found: Vec<usize> =
            (1..=head.len()).filter(|&end| scanner.scan(&head[..end]) == Scan::BlankLine).collect();
        assert_eq!(found, [head.len()]);
    }

    #[test]
    fn scanner_restarts_when_given_a_shorter_buffer() {
        let mut scanner = HeadScanner::default();
        assert_eq!(scanner.scan(b"GET / HTTP/1.1\r\nHost: abcdef\r\n"), Scan::LineEnd);
        assert_eq!(scanner.scan(b"G\r\n\r\n"), Scan::BlankLine);
    }

    #[test]
    fn list_elements_trim_skip_empties_and_respect_quotes() {
        let elements: Vec<&[u8]> = list_elements(b" a ,, b;x=\"1,2\" ,\tc\t,").collect();
        assert_eq!(elements, [&b"a"[..], b"b;x=\"1,2\"", b"c"]);
        assert_eq!(list_elements(b" , ,").count(), 0);
    }

    #[test]
    fn tokens_match_without_regard_to_case() {
        assert!(list_has_token(b"keep-alive, Upgrade", "upgrade"));
        assert!(list_has_token(b"WebSocket", "websocket"));
        assert!(!list_has_token(b"upgrade-insecure", "upgrade"));
        assert!(!list_has_token(b"", "upgrade"));
    }

    #[test]
    fn extension_elements_are_checked_for_shape() {
        assert!(is_valid_extension(b"permessage-deflate"));
        assert!(is_valid_extension(b"permessage-deflate; client_max_window_bits"));
        assert!(is_valid_extension(b"permessage-deflate; client_max_window_bits=\"10\""));
        assert!(!is_valid_extension(b"permessage deflate"));
        assert!(!is_valid_extension(b"x; a=\"two words\""));
        assert!(!is_valid_extension(b"; a"));
        assert!(!is_valid_extension(b"x; =1"));
        assert_eq!(extension_name(b"foo ; bar=1"), b"foo");
    }

    #[test]
    fn safe_values_exclude_line_breaks() {
        assert!(is_safe_value(b"a b\tc"));
        assert!(!is_safe_value(b"a\r\nInjected: 1"));
        assert!(!is_safe_value(b"a\0"));
    }
}
