//! The server side: checking an extended CONNECT request, and the answer.

use super::{PROTOCOL, STATUS_OK, Scheme};
use crate::handshake::WEBSOCKET_VERSION;
use crate::handshake::head::{HeaderName, is_origin_form, trim_ows};
use crate::handshake::server::{
    AcceptError, AcceptOptions, HandshakeError, Offer, OfferFields, ServerConfig, visible_ascii,
};

/// A valid extended CONNECT request for a WebSocket (RFC 8441 section 5),
/// waiting for the server's decision.
///
/// It borrows the caller's header fields. [`accept`](Self::accept) gives
/// the `200` answer, [`reject`](Self::reject) an error answer; either way
/// the HTTP/2 library sends it.
#[derive(Debug, Clone)]
pub struct ExtendedConnect<'a> {
    offer: Offer<'a>,
    scheme: Scheme,
}

impl<'a> ExtendedConnect<'a> {
    /// Checks a request given as its header fields, pseudo-header fields
    /// included (see [the module docs](super#header-fields-in) for the
    /// shape of `headers`).
    ///
    /// The checks, in order: the fields themselves (no pseudo-header field
    /// twice or unknown to requests, no connection-specific header, at most
    /// [`MAX_LIST_LINES`](crate::handshake::MAX_LIST_LINES) lines of each
    /// list header); `:method` `CONNECT` (405); `:protocol` present (400)
    /// and `websocket` (501); `:scheme` `http` or `https`; `:path`; the
    /// authority; then, as over HTTP/1.1, `sec-websocket-version` 13 (400
    /// here, with `sec-websocket-version: 13`), the subprotocol and
    /// extension lists, and the `origin` under the configured policy
    /// (403). The error's [`h2_status`](HandshakeError::h2_status) is the
    /// status to answer with, and [`ResponseHeaders::for_error`] the whole
    /// answer.
    ///
    /// ```
    /// use barews::handshake::h2::ExtendedConnect;
    /// use barews::handshake::server::{HandshakeError, ServerConfig};
    ///
    /// let mut headers: Vec<(&str, &[u8])> = vec![
    ///     (":method", b"CONNECT"),
    ///     (":protocol", b"websocket"),
    ///     (":scheme", b"https"),
    ///     (":path", b"/chat"),
    ///     (":authority", b"server.example.com"),
    ///     ("sec-websocket-version", b"13"),
    /// ];
    /// let connect = ExtendedConnect::from_headers(&ServerConfig::new(), headers.clone()).unwrap();
    /// assert_eq!(connect.authority(), "server.example.com");
    ///
    /// headers[0] = (":method", b"GET");
    /// let refused = ExtendedConnect::from_headers(&ServerConfig::new(), headers).unwrap_err();
    /// assert_eq!(refused, HandshakeError::MethodNotConnect);
    /// assert_eq!(refused.h2_status(), 405);
    /// ```
    pub fn from_headers<I>(config: &ServerConfig, headers: I) -> Result<Self, HandshakeError>
    where
        I: IntoIterator<Item = (&'a str, &'a [u8])>,
    {
        let mut fields = ConnectFields::default();
        for (name, value) in headers {
            fields.add(name, trim_ows(value))?;
        }
        fields.into_request(config)
    }

    /// What the client offers: path, host (the authority), origin,
    /// subprotocols and extensions, as an HTTP/1.1 upgrade gives them too.
    pub fn offer(&self) -> &Offer<'a> {
        &self.offer
    }

    /// `:scheme`: [`Https`](Scheme::Https) for a `wss` URI, which the
    /// server should only accept over TLS.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// `:path`: the request target (path and query), as sent.
    pub fn path(&self) -> &'a str {
        self.offer.path()
    }

    /// `:authority` (or `host`, when the request gave only that).
    pub fn authority(&self) -> &'a str {
        self.offer.host()
    }

    /// The `origin` header, if the client sent one (browsers always do).
    pub fn origin(&self) -> Option<&'a str> {
        self.offer.origin()
    }

    /// The offered subprotocols, in the client's order of preference, from
    /// all `sec-websocket-protocol` fields.
    pub fn protocols<'s>(&'s self) -> impl Iterator<Item = &'a str> + 's {
        self.offer.protocols()
    }

    /// The offered extensions, one element per offer with its parameters,
    /// from all `sec-websocket-extensions` fields.
    pub fn extensions<'s>(&'s self) -> impl Iterator<Item = &'a str> + 's {
        self.offer.extensions()
    }

    /// Accepts the request: the `200` answer with the chosen subprotocol,
    /// the accepted extensions and the extra headers of `options`.
    ///
    /// Fails when the subprotocol or an accepted extension was not
    /// offered, or when an extra header is not safe to send, repeats one
    /// the answer writes itself, or is one a `200` answer to CONNECT may
    /// not carry (connection-specific headers, RFC 9113 section 8.2.2;
    /// `content-length` and `transfer-encoding`, RFC 9110 section 9.3.6),
    /// the same checks as [`Request::accept`](crate::handshake::server::Request::accept)
    /// makes. Extra header names are listed as given: HTTP/2 sends them in
    /// lower case (RFC 9113 section 8.2.1), which `http::HeaderName` does.
    pub fn accept<'o>(
        &self,
        options: &AcceptOptions<'o>,
    ) -> Result<ResponseHeaders<'o>, AcceptError> {
        self.offer.check_answer(options, RESERVED_RESPONSE_HEADERS)?;
        Ok(ResponseHeaders {
            status: STATUS_OK,
            required: None,
            protocol: options.protocol(),
            extensions: options.extensions(),
            extra: options.headers(),
        })
    }

    /// Refuses the request with an HTTP error `status` (400 to 599). The
    /// answer lists no header fields; a body, if any, is the caller's.
    pub fn reject(&self, status: u16) -> Result<ResponseHeaders<'static>, AcceptError> {
        if !(400..=599).contains(&status) {
            return Err(AcceptError::InvalidStatus);
        }
        Ok(ResponseHeaders { status, required: None, protocol: None, extensions: None, extra: &[] })
    }
}

/// The headers the `200` answer writes itself, those HTTP/2 forbids
/// (RFC 9113 section 8.2.2), and those a `200` answer to CONNECT may not
/// carry (RFC 9110 section 9.3.6): extra headers may be none of them.
const RESERVED_RESPONSE_HEADERS: &[&str] = &[
    "sec-websocket-protocol",
    "sec-websocket-extensions",
    "connection",
    "upgrade",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "content-length",
];

/// Connection-specific headers, which an HTTP/2 request may not carry
/// (RFC 9113 section 8.2.2; RFC 8441 section 5 for `connection` and
/// `upgrade`). `te` is allowed with the value `trailers` only.
const CONNECTION_SPECIFIC: [&str; 5] =
    ["connection", "upgrade", "keep-alive", "proxy-connection", "transfer-encoding"];

/// The header fields an extended CONNECT is checked by, gathered in one
/// pass: the pseudo-header fields, `host`, and those of the [`Offer`].
#[derive(Default)]
struct ConnectFields<'a> {
    offer: OfferFields<'a>,
    method: Option<&'a [u8]>,
    protocol: Option<&'a [u8]>,
    scheme: Option<&'a [u8]>,
    path: Option<&'a [u8]>,
    authority: Option<&'a [u8]>,
    host: Option<&'a [u8]>,
}

impl<'a> ConnectFields<'a> {
    fn add(&mut self, name: &str, value: &'a [u8]) -> Result<(), HandshakeError> {
        let is = |expected: &str| name.eq_ignore_ascii_case(expected);
        let (slot, header) = if is(":method") {
            (&mut self.method, HeaderName::Method)
        } else if is(":protocol") {
            (&mut self.protocol, HeaderName::Protocol)
        } else if is(":scheme") {
            (&mut self.scheme, HeaderName::Scheme)
        } else if is(":path") {
            (&mut self.path, HeaderName::Path)
        } else if is(":authority") {
            (&mut self.authority, HeaderName::Authority)
        } else if name.starts_with(':') {
            // RFC 9113 section 8.3: no other pseudo-header in a request.
            return Err(HandshakeError::InvalidPseudoHeader);
        } else if is("host") {
            (&mut self.host, HeaderName::Host)
        } else if CONNECTION_SPECIFIC.iter().any(|forbidden| is(forbidden))
            || (is("te") && !value.eq_ignore_ascii_case(b"trailers"))
        {
            return Err(HandshakeError::ConnectionSpecificHeader);
        } else {
            // The headers of the offer, read as over HTTP/1.1; any other,
            // `sec-websocket-key` included (RFC 8441 section 5 leaves the
            // key unprocessed), is ignored.
            return self.offer.add(name, value);
        };
        if slot.replace(value).is_some() {
            return Err(HandshakeError::DuplicateHeader(header));
        }
        Ok(())
    }

    /// Checks the pseudo-header fields (RFC 8441 sections 4 and 5), then
    /// the rest as over HTTP/1.1.
    fn into_request(self, config: &ServerConfig) -> Result<ExtendedConnect<'a>, HandshakeError> {
        // Methods are case-sensitive (RFC 9110 section 9.1).
        if self.method != Some(b"CONNECT".as_slice()) {
            return Err(HandshakeError::MethodNotConnect);
        }
        let protocol = self.protocol.ok_or(HandshakeError::MissingProtocol)?;
        // An upgrade token, compared without regard to case (RFC 9110
        // section 7.8), as RFC 6455 compares the `Upgrade` token.
        if !protocol.eq_ignore_ascii_case(PROTOCOL.as_bytes()) {
            return Err(HandshakeError::UnsupportedProtocol);
        }
        let scheme = self.scheme.and_then(Scheme::parse).ok_or(HandshakeError::InvalidScheme)?;
        let path = self
            .path
            .filter(|path| is_origin_form(path))
            .and_then(visible_ascii)
            .ok_or(HandshakeError::InvalidPath)?;
        let authority = match (self.authority, self.host) {
            (Some(authority), host) => {
                let authority = visible_ascii(authority).ok_or(HandshakeError::InvalidAuthority)?;
                if host.is_some_and(|host| !host.eq_ignore_ascii_case(authority.as_bytes())) {
                    return Err(HandshakeError::HostMismatch);
                }
                authority
            }
            // RFC 9113 section 8.3.1: `host` may stand for `:authority`.
            (None, Some(host)) => visible_ascii(host).ok_or(HandshakeError::InvalidHost)?,
            (None, None) => return Err(HandshakeError::MissingAuthority),
        };
        self.offer.check_version()?;
        let origin = self.offer.check(config, authority)?;
        Ok(ExtendedConnect { offer: self.offer.into_offer(path, authority, origin), scheme })
    }
}

/// A server's answer to an extended CONNECT: a status and the header
/// fields to send with it, borrowed from the [`AcceptOptions`] it was made
/// from. Hand both to the HTTP/2 library; send no DATA before it when
/// accepting.
///
/// The fields listed are, in this order: `sec-websocket-version: 13` when a
/// version error calls for it, or `allow: CONNECT` for a 405; the selected
/// `sec-websocket-protocol`; the accepted `sec-websocket-extensions`; the
/// extra headers. There is no `sec-websocket-accept`, `upgrade` or
/// `connection` (RFC 8441 section 5), and no `content-length` on a `200`
/// (RFC 9110 section 9.3.6).
///
/// ```
/// use barews::handshake::h2::ResponseHeaders;
/// use barews::handshake::server::HandshakeError;
///
/// let answer = ResponseHeaders::for_error(HandshakeError::UnsupportedVersion);
/// assert_eq!(answer.status(), 400);
/// assert_eq!(answer.iter().collect::<Vec<_>>(), [("sec-websocket-version", "13")]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseHeaders<'h> {
    status: u16,
    required: Option<(&'static str, &'static str)>,
    protocol: Option<&'h str>,
    extensions: Option<&'h str>,
    extra: &'h [(&'h str, &'h str)],
}

impl<'h> ResponseHeaders<'h> {
    /// The answer to a request refused with `error`: its
    /// [`h2_status`](HandshakeError::h2_status) and the header it calls
    /// for. A body is up to the caller; the error's `Display` text is one.
    pub const fn for_error(error: HandshakeError) -> ResponseHeaders<'static> {
        let required = match error {
            HandshakeError::MissingVersion | HandshakeError::UnsupportedVersion => {
                Some(("sec-websocket-version", WEBSOCKET_VERSION))
            }
            HandshakeError::MethodNotConnect => Some(("allow", "CONNECT")),
            _ => None,
        };
        ResponseHeaders {
            status: error.h2_status(),
            required,
            protocol: None,
            extensions: None,
            extra: &[],
        }
    }

    /// The `:status` to send: [`STATUS_OK`] when accepting.
    pub const fn status(&self) -> u16 {
        self.status
    }

    /// Whether this answer accepts the WebSocket (status `200`).
    pub const fn is_accepted(&self) -> bool {
        self.status == STATUS_OK
    }

    /// The selected subprotocol, the value of `sec-websocket-protocol`.
    pub const fn protocol(&self) -> Option<&'h str> {
        self.protocol
    }

    /// The accepted extensions, the value of `sec-websocket-extensions`.
    pub const fn extensions(&self) -> Option<&'h str> {
        self.extensions
    }

    /// The header fields to send, as `(name, value)`, pseudo-header
    /// `:status` not included.
    pub fn iter(&self) -> impl Iterator<Item = (&'h str, &'h str)> + use<'h> {
        let this = *self;
        this.required
            .into_iter()
            .chain(this.protocol.map(|protocol| ("sec-websocket-protocol", protocol)))
            .chain(this.extensions.map(|extensions| ("sec-websocket-extensions", extensions)))
            .chain(this.extra.iter().copied())
    }
}

impl From<HandshakeError> for ResponseHeaders<'static> {
    fn from(error: HandshakeError) -> Self {
        ResponseHeaders::for_error(error)
    }
}
