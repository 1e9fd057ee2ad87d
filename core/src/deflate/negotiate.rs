//! Negotiating permessage-deflate (RFC 7692 section 7.1): offers,
//! responses, and the parameters both ends then use.

use crate::handshake::head::{extension_name, is_valid_extension, trim_ows};
use core::fmt;

/// The extension's registered name.
pub const NAME: &str = "permessage-deflate";

/// What this end wants from permessage-deflate.
///
/// ```
/// use barews::deflate::DeflateConfig;
///
/// // A server that keeps no compression context between messages it
/// // sends, saving memory on idle connections.
/// let config = DeflateConfig::new().with_server_no_context_takeover(true);
/// # let _ = config;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeflateConfig {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: u8,
    client_max_window_bits: Option<u8>,
    level: u8,
    min_size: usize,
}

impl DeflateConfig {
    /// Context takeover both ways, 15-bit windows, compression level 1,
    /// messages from 32 bytes up compressed.
    pub const fn new() -> Self {
        DeflateConfig {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: 15,
            client_max_window_bits: None,
            level: 1,
            min_size: 32,
        }
    }

    /// No context takeover either way ([`new`](Self::new) otherwise): a
    /// server decides it for both ends, a client asks for it. No
    /// compression state then outlives a message on either end, so a
    /// connection holds none while idle: its messages are compressed by a
    /// compressor shared with other connections
    /// ([`Context::Reset`](super::Context::Reset)), and the inflater and
    /// its window are needed only while a message arrives. The price is
    /// the ratio on similar messages, which context takeover exploits.
    /// The pick for a server with many connections.
    pub const fn without_context_takeover() -> Self {
        Self::new().with_server_no_context_takeover(true).with_client_no_context_takeover(true)
    }

    /// Ask (or, as a server, decide) that the server resets its compressor
    /// after every message.
    #[must_use]
    pub const fn with_server_no_context_takeover(mut self, on: bool) -> Self {
        self.server_no_context_takeover = on;
        self
    }

    /// Ask (or, as a server, decide) that the client resets its compressor
    /// after every message.
    #[must_use]
    pub const fn with_client_no_context_takeover(mut self, on: bool) -> Self {
        self.client_no_context_takeover = on;
        self
    }

    /// The largest window (8-15 bits) the server may compress with.
    #[must_use]
    pub const fn with_server_max_window_bits(mut self, bits: u8) -> Self {
        self.server_max_window_bits = clamp_bits(bits);
        self
    }

    /// As a client: offer `client_max_window_bits` with this value (or
    /// without one for `None`); as a server: the largest window the client
    /// may compress with. A server given a value under 15 declines offers
    /// without the parameter, whose client would use 15 bits (RFC 7692
    /// section 7.1.2.2): its inflate window is sized for the value.
    #[must_use]
    pub const fn with_client_max_window_bits(mut self, bits: Option<u8>) -> Self {
        self.client_max_window_bits = match bits {
            Some(bits) => Some(clamp_bits(bits)),
            None => None,
        };
        self
    }

    /// The compression level, 0 (store) to 9 (smallest, slowest).
    #[must_use]
    pub const fn with_level(mut self, level: u8) -> Self {
        self.level = if level > 9 { 9 } else { level };
        self
    }

    /// Messages shorter than this are sent uncompressed.
    #[must_use]
    pub const fn with_min_size(mut self, bytes: usize) -> Self {
        self.min_size = bytes;
        self
    }

    /// The compression level.
    pub const fn level(&self) -> u8 {
        self.level
    }

    /// The largest window the server may compress with, in bits.
    pub const fn server_max_window_bits(&self) -> u8 {
        self.server_max_window_bits
    }

    /// The client window bits to offer (a client) or the largest client
    /// window to accept (a server); `None`: not limited.
    pub const fn client_max_window_bits(&self) -> Option<u8> {
        self.client_max_window_bits
    }

    /// Whether no context takeover is asked for (or decided) for the
    /// server, and for the client.
    pub const fn no_context_takeover(&self) -> (bool, bool) {
        (self.server_no_context_takeover, self.client_no_context_takeover)
    }

    /// The size below which messages are sent uncompressed.
    pub const fn min_size(&self) -> usize {
        self.min_size
    }

    /// Writes the offer a client sends, for `Sec-WebSocket-Extensions`,
    /// into `out` and returns it.
    ///
    /// ```
    /// use barews::deflate::DeflateConfig;
    ///
    /// let mut out = String::new();
    /// DeflateConfig::new().write_offer(&mut out).unwrap();
    /// assert_eq!(out, "permessage-deflate; client_max_window_bits");
    /// ```
    pub fn write_offer(&self, out: &mut impl fmt::Write) -> fmt::Result {
        out.write_str(NAME)?;
        if self.server_no_context_takeover {
            out.write_str("; server_no_context_takeover")?;
        }
        if self.client_no_context_takeover {
            out.write_str("; client_no_context_takeover")?;
        }
        if self.server_max_window_bits < 15 {
            write!(out, "; server_max_window_bits={}", self.server_max_window_bits)?;
        }
        match self.client_max_window_bits {
            Some(bits) => write!(out, "; client_max_window_bits={bits}"),
            None => out.write_str("; client_max_window_bits"),
        }
    }

    /// As a server: picks the first acceptable `permessage-deflate` offer
    /// among `offers` (the request's extension elements) and returns the
    /// parameters both ends will use. Offers with unknown, repeated or
    /// out-of-range parameters are declined (RFC 7692 section 5).
    ///
    /// ```
    /// use barews::deflate::DeflateConfig;
    ///
    /// let offers = ["x-other", "permessage-deflate; client_max_window_bits"];
    /// let params = DeflateConfig::new().accept_offer(offers).unwrap();
    /// let mut response = String::new();
    /// params.write_response(&mut response).unwrap();
    /// assert_eq!(response, "permessage-deflate");
    /// ```
    pub fn accept_offer<'a>(
        &self,
        offers: impl IntoIterator<Item = &'a str>,
    ) -> Option<DeflateParams> {
        offers.into_iter().find_map(|offer| {
            let offer = parse(offer.as_bytes())?;
            let server_bits = match offer.server_max_window_bits {
                Bits::Value(bits) => bits.min(self.server_max_window_bits),
                // A value is required when the client offers it (7.1.2.1).
                Bits::NoValue => return None,
                Bits::Absent => self.server_max_window_bits,
            };
            let ours = self.client_max_window_bits.unwrap_or(15);
            let client_bits = match offer.client_max_window_bits {
                // The client would compress with 15 bits.
                Bits::Absent if ours < 15 => return None,
                Bits::Absent => 15,
                Bits::NoValue => ours,
                Bits::Value(bits) => bits.min(ours),
            };
            Some(DeflateParams {
                server_no_context_takeover: offer.server_no_context_takeover
                    || self.server_no_context_takeover,
                client_no_context_takeover: offer.client_no_context_takeover
                    || self.client_no_context_takeover,
                server_max_window_bits: server_bits,
                client_max_window_bits: client_bits,
                client_bits_in_response: offer.client_max_window_bits != Bits::Absent
                    && client_bits < 15,
                level: self.level,
                min_size: self.min_size,
            })
        })
    }

    /// As a client: finds permessage-deflate among the extensions the
    /// server accepted (the elements
    /// [`Response::extensions`](crate::handshake::client::Response::extensions)
    /// lists) and checks it as [`accept_response`](Self::accept_response)
    /// does. `Ok(None)` when the server did not accept it.
    pub fn accept_response_among<'a>(
        &self,
        accepted: impl IntoIterator<Item = &'a str>,
    ) -> Result<Option<DeflateParams>, NegotiationError> {
        accepted
            .into_iter()
            .find(|element| {
                extension_name(element.as_bytes()).eq_ignore_ascii_case(NAME.as_bytes())
            })
            .map(|element| self.accept_response(element))
            .transpose()
    }

    /// As a client: checks the server's accepted element (RFC 7692 section
    /// 7.1) against what this configuration offered and returns the
    /// parameters both ends will use.
    pub fn accept_response(&self, element: &str) -> Result<DeflateParams, NegotiationError> {
        let response = parse(element.as_bytes()).ok_or(NegotiationError::Malformed)?;
        let server_bits = match response.server_max_window_bits {
            Bits::Value(bits) if bits <= self.server_max_window_bits => bits,
            Bits::Value(_) | Bits::NoValue => return Err(NegotiationError::BadWindowBits),
            Bits::Absent if self.server_max_window_bits < 15 => {
                return Err(NegotiationError::BadWindowBits);
            }
            Bits::Absent => 15,
        };
        let client_bits = match response.client_max_window_bits {
            Bits::Value(bits)
                if self.client_max_window_bits.is_none_or(|offered| bits <= offered) =>
            {
                bits
            }
            // A server must give a value (RFC 7692 section 7.1.2.2), no
            // larger than the one offered.
            Bits::Value(_) | Bits::NoValue => return Err(NegotiationError::BadWindowBits),
            Bits::Absent => self.client_max_window_bits.unwrap_or(15),
        };
        if self.server_no_context_takeover && !response.server_no_context_takeover {
            return Err(NegotiationError::ContextTakeover);
        }
        Ok(DeflateParams {
            server_no_context_takeover: response.server_no_context_takeover,
            client_no_context_takeover: response.client_no_context_takeover
                || self.client_no_context_takeover,
            server_max_window_bits: server_bits,
            client_max_window_bits: client_bits,
            client_bits_in_response: response.client_max_window_bits != Bits::Absent,
            level: self.level,
            min_size: self.min_size,
        })
    }
}

impl Default for DeflateConfig {
    fn default() -> Self {
        Self::new()
    }
}

const fn clamp_bits(bits: u8) -> u8 {
    if bits < 8 {
        8
    } else if bits > 15 {
        15
    } else {
        bits
    }
}

/// The agreed parameters of a permessage-deflate connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeflateParams {
    /// The server resets its compressor after each message.
    pub server_no_context_takeover: bool,
    /// The client resets its compressor after each message.
    pub client_no_context_takeover: bool,
    /// The largest window the server compresses with.
    pub server_max_window_bits: u8,
    /// The largest window the client compresses with.
    pub client_max_window_bits: u8,
    client_bits_in_response: bool,
    level: u8,
    min_size: usize,
}

impl DeflateParams {
    /// Writes the server's response element for `Sec-WebSocket-Extensions`.
    pub fn write_response(&self, out: &mut impl fmt::Write) -> fmt::Result {
        out.write_str(NAME)?;
        if self.server_no_context_takeover {
            out.write_str("; server_no_context_takeover")?;
        }
        if self.client_no_context_takeover {
            out.write_str("; client_no_context_takeover")?;
        }
        if self.server_max_window_bits < 15 {
            write!(out, "; server_max_window_bits={}", self.server_max_window_bits)?;
        }
        if self.client_bits_in_response {
            write!(out, "; client_max_window_bits={}", self.client_max_window_bits)?;
        }
        Ok(())
    }

    /// The compression level to use.
    pub const fn level(&self) -> u8 {
        self.level
    }

    /// Messages shorter than this are sent uncompressed.
    pub const fn min_size(&self) -> usize {
        self.min_size
    }
}

/// A server response a client cannot accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NegotiationError {
    /// Not a well-formed permessage-deflate element, or one with unknown
    /// or repeated parameters.
    Malformed,
    /// A window-bits parameter is out of range, valueless where a value is
    /// needed, larger than offered, or not offered at all.
    BadWindowBits,
    /// The server ignored a requested `server_no_context_takeover`.
    ContextTakeover,
}

impl fmt::Display for NegotiationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NegotiationError::Malformed => "malformed permessage-deflate response",
            NegotiationError::BadWindowBits => "invalid window bits in permessage-deflate response",
            NegotiationError::ContextTakeover => "server refused server_no_context_takeover",
        })
    }
}

impl core::error::Error for NegotiationError {}

/// A window-bits parameter as it appeared.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Bits {
    #[default]
    Absent,
    NoValue,
    Value(u8),
}

/// The parameters of one offer or response element.
#[derive(Debug, Default)]
struct Parsed {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Bits,
    client_max_window_bits: Bits,
}

/// Parses a `permessage-deflate` element; `None` if it is another
/// extension or breaks a rule of RFC 7692 section 7.1.
fn parse(element: &[u8]) -> Option<Parsed> {
    if !is_valid_extension(element)
        || !extension_name(element).eq_ignore_ascii_case(NAME.as_bytes())
    {
        return None;
    }
    let mut parsed = Parsed::default();
    for param in element.split(|&b| b == b';').skip(1) {
        let param = trim_ows(param);
        let (name, value) = match param.iter().position(|&b| b == b'=') {
            Some(eq) => (trim_ows(&param[..eq]), Some(unquote(trim_ows(&param[eq + 1..])))),
            None => (param, None),
        };
        let flag = |slot: &mut bool| {
            if *slot || value.is_some() {
                None
            } else {
                *slot = true;
                Some(())
            }
        };
        let bits = |slot: &mut Bits| {
            if *slot != Bits::Absent {
                return None;
            }
            *slot = match value {
                None => Bits::NoValue,
                Some(text) => Bits::Value(window_bits(text)?),
            };
            Some(())
        };
        match name {
            b"server_no_context_takeover" => flag(&mut parsed.server_no_context_takeover)?,
            b"client_no_context_takeover" => flag(&mut parsed.client_no_context_takeover)?,
            b"server_max_window_bits" => bits(&mut parsed.server_max_window_bits)?,
            b"client_max_window_bits" => bits(&mut parsed.client_max_window_bits)?,
            _ => return None,
        }
    }
    Some(parsed)
}

/// A window-bits value: 8 to 15 in decimal, without leading zeros.
fn window_bits(text: &[u8]) -> Option<u8> {
    match text {
        [d @ b'8'..=b'9'] => Some(d - b'0'),
        [b'1', d @ b'0'..=b'5'] => Some(10 + d - b'0'),
        _ => None,
    }
}

fn unquote(value: &[u8]) -> &[u8] {
    match value {
        [b'"', inner @ .., b'"'] => inner,
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;

    fn response(config: &DeflateConfig, offers: &[&str]) -> Option<String> {
        let params = config.accept_offer(offers.iter().copied())?;
        let mut out = String::new();
        params.write_response(&mut out).unwrap();
        Some(out)
    }

    #[test]
    fn offers_are_accepted_with_matching_parameters() {
        let ours = DeflateConfig::new();
        assert_eq!(response(&ours, &["permessage-deflate"]).as_deref(), Some("permessage-deflate"));
        assert_eq!(
            response(
                &ours,
                &["permessage-deflate; server_no_context_takeover; client_no_context_takeover"]
            )
            .as_deref(),
            Some("permessage-deflate; server_no_context_takeover; client_no_context_takeover")
        );
        assert_eq!(
            response(&ours, &["permessage-deflate; server_max_window_bits=10"]).as_deref(),
            Some("permessage-deflate; server_max_window_bits=10")
        );
        assert_eq!(
            response(&ours, &["permessage-deflate; client_max_window_bits=9"]).as_deref(),
            Some("permessage-deflate; client_max_window_bits=9")
        );
        let limited = DeflateConfig::new().with_client_max_window_bits(Some(10));
        assert_eq!(
            response(&limited, &["permessage-deflate; client_max_window_bits"]).as_deref(),
            Some("permessage-deflate; client_max_window_bits=10")
        );
    }

    #[test]
    fn a_server_that_caps_the_clients_window_declines_a_client_that_cannot_be_capped() {
        let limited = DeflateConfig::new().with_client_max_window_bits(Some(9));
        // Without the parameter the client compresses with 15 bits.
        assert_eq!(response(&limited, &["permessage-deflate"]), None);
        assert_eq!(
            response(
                &limited,
                &["permessage-deflate", "permessage-deflate; client_max_window_bits"]
            )
            .as_deref(),
            Some("permessage-deflate; client_max_window_bits=9")
        );
        let shared = DeflateConfig::without_context_takeover();
        assert_eq!(shared.no_context_takeover(), (true, true));
        assert_eq!(limited.client_max_window_bits(), Some(9));
        assert_eq!(limited.server_max_window_bits(), 15);
    }

    #[test]
    fn invalid_offers_are_declined_and_the_next_one_is_tried() {
        let ours = DeflateConfig::new();
        for bad in [
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; server_max_window_bits=7",
            "permessage-deflate; server_max_window_bits=08",
            "permessage-deflate; server_max_window_bits",
            "permessage-deflate; client_max_window_bits=abc",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate; client_max_window_bits=10; client_max_window_bits=11",
            "permessage-deflate; server_no_context_takeover=1",
            "permessage-deflate; unknown_param",
        ] {
            assert_eq!(response(&ours, &[bad]), None, "{bad}");
        }
        assert_eq!(
            response(
                &ours,
                &[
                    "permessage-deflate; mystery",
                    "permessage-deflate; server_max_window_bits=\"12\""
                ]
            )
            .as_deref(),
            Some("permessage-deflate; server_max_window_bits=12")
        );
    }

    #[test]
    fn client_checks_the_response_against_its_offer() {
        let ours = DeflateConfig::new();
        let params = ours.accept_response("permessage-deflate; server_max_window_bits=11").unwrap();
        assert_eq!((params.server_max_window_bits, params.client_max_window_bits), (11, 15));
        let params = ours.accept_response("permessage-deflate; client_max_window_bits=9").unwrap();
        assert_eq!(params.client_max_window_bits, 9);
        assert_eq!(
            ours.accept_response("permessage-deflate; client_max_window_bits"),
            Err(NegotiationError::BadWindowBits)
        );
        assert_eq!(
            ours.accept_response("permessage-deflate; foo"),
            Err(NegotiationError::Malformed)
        );
        let strict = DeflateConfig::new().with_server_no_context_takeover(true);
        assert_eq!(
            strict.accept_response("permessage-deflate"),
            Err(NegotiationError::ContextTakeover)
        );
        let small = DeflateConfig::new().with_server_max_window_bits(10);
        assert_eq!(
            small.accept_response("permessage-deflate"),
            Err(NegotiationError::BadWindowBits)
        );
        assert_eq!(
            small.accept_response("permessage-deflate; server_max_window_bits=12"),
            Err(NegotiationError::BadWindowBits)
        );
    }

    #[test]
    fn the_default_offer_and_a_full_offer_are_written() {
        let mut out = String::new();
        DeflateConfig::new()
            .with_server_no_context_takeover(true)
            .with_client_no_context_takeover(true)
            .with_server_max_window_bits(10)
            .with_client_max_window_bits(Some(12))
            .write_offer(&mut out)
            .unwrap();
        assert_eq!(
            out,
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=10; client_max_window_bits=12"
        );
    }
}
