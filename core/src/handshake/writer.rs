//! Writing HTTP heads into a caller's buffer, all or nothing.

use crate::BufferTooSmall;
use core::fmt;

/// A sink that either counts bytes or writes them.
///
/// [`write_all_or_nothing`] runs the same emitting closure twice: once to
/// count, then, if the output fits, to write. So a buffer that is too small
/// is never touched.
pub(crate) struct Emitter<'a> {
    out: &'a mut [u8],
    len: usize,
    counting: bool,
}

impl Emitter<'_> {
    /// Appends raw bytes.
    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        if !self.counting {
            if let Some(dst) = self.out.get_mut(self.len..self.len + bytes.len()) {
                dst.copy_from_slice(bytes);
            }
        }
        self.len += bytes.len();
    }

    /// How many bytes have been appended so far.
    pub(crate) fn written(&self) -> usize {
        self.len
    }

    /// Appends a string.
    pub(crate) fn str(&mut self, text: &str) {
        self.bytes(text.as_bytes());
    }

    /// Appends `name: value\r\n`.
    pub(crate) fn header(&mut self, name: &str, value: &str) {
        self.str(name);
        self.str(": ");
        self.str(value);
        self.str("\r\n");
    }

    /// Appends a number in decimal.
    pub(crate) fn decimal(&mut self, mut value: usize) {
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        loop {
            start -= 1;
            // `value % 10` is below 10, so the cast cannot truncate.
            #[allow(clippy::cast_possible_truncation)]
            let digit = (value % 10) as u8;
            digits[start] = b'0' + digit;
            value /= 10;
            if value == 0 {
                break;
            }
        }
        self.bytes(&digits[start..]);
    }
}

impl fmt::Write for Emitter<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.str(text);
        Ok(())
    }
}

/// Runs `emit` to size the output, then again to write it into `out` if it
/// fits. Returns the number of bytes written.
pub(crate) fn write_all_or_nothing(
    out: &mut [u8],
    emit: impl Fn(&mut Emitter<'_>),
) -> Result<usize, BufferTooSmall> {
    let mut counting = true;
    // Both passes through one call of `emit`: called once, it is inlined
    // into its caller, where what it writes is often known (a client's
    // request without subprotocols or extra headers loses those loops).
    loop {
        let mut e = Emitter { out: &mut *out, len: 0, counting };
        emit(&mut e);
        let len = e.len;
        if !counting {
            return Ok(len);
        }
        if len > out.len() {
            return Err(BufferTooSmall { required: len });
        }
        counting = false;
    }
}

/// The length `value` has when formatted with `Display`.
#[cfg(feature = "detailed-errors")]
pub(crate) fn display_len(value: &dyn fmt::Display) -> usize {
    let mut counter = Emitter { out: &mut [], len: 0, counting: true };
    let _ = fmt::write(&mut counter, format_args!("{value}"));
    counter.len
}

/// Writes a complete HTTP error response: the status line, `extra`
/// headers, and `body` as a plain-text body. The response closes the
/// connection, as an upgrade that failed leaves nothing to keep open.
///
/// Without the `detailed-errors` feature the response is bodiless and has
/// no reason phrase, and is written without `core::fmt`.
pub(crate) fn write_error_response(
    out: &mut [u8],
    status: u16,
    extra: &[(&str, &str)],
    body: &dyn fmt::Display,
) -> Result<usize, BufferTooSmall> {
    #[cfg(feature = "detailed-errors")]
    let (phrase, body_len) = (reason_phrase(status), display_len(body));
    #[cfg(not(feature = "detailed-errors"))]
    let (phrase, body_len) = {
        let _ = body;
        ("", 0)
    };
    write_all_or_nothing(out, |e| {
        e.str("HTTP/1.1 ");
        e.decimal(usize::from(status));
        e.str(" ");
        e.str(phrase);
        e.str("\r\n");
        for (name, value) in extra {
            e.header(name, value);
        }
        if body_len > 0 {
            e.str("Content-Type: text/plain; charset=utf-8\r\n");
        }
        e.str("Content-Length: ");
        e.decimal(body_len);
        e.str("\r\nConnection: close\r\n\r\n");
        #[cfg(feature = "detailed-errors")]
        let _ = fmt::write(e, format_args!("{body}"));
    })
}

/// The usual reason phrase for the statuses a handshake sends. Others get
/// an empty phrase, which HTTP allows.
#[cfg(feature = "detailed-errors")]
pub(crate) fn reason_phrase(status: u16) -> &'static str {
    match status {
        101 => "Switching Protocols",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_when_the_output_fits() {
        let mut out = [0u8; 16];
        let n = write_all_or_nothing(&mut out, |e| {
            e.str("n=");
            e.decimal(1009);
        })
        .unwrap();
        assert_eq!(&out[..n], b"n=1009");
    }

    #[test]
    fn leaves_a_small_buffer_untouched_and_reports_the_size_needed() {
        let mut out = [0xAAu8; 4];
        let err = write_all_or_nothing(&mut out, |e| e.header("Host", "example.com")).unwrap_err();
        assert_eq!(err, BufferTooSmall { required: 19 });
        assert_eq!(out, [0xAA; 4]);
    }

    #[test]
    fn decimal_writes_zero_and_large_numbers() {
        let mut out = [0u8; 32];
        let n = write_all_or_nothing(&mut out, |e| {
            e.decimal(0);
            e.str(" ");
            e.decimal(usize::MAX);
        })
        .unwrap();
        assert_eq!(core::str::from_utf8(&out[..n]).unwrap(), std::format!("0 {}", usize::MAX));
    }
}
