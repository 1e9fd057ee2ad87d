//! `ws://` and `wss://` URLs (RFC 6455 section 3).

use std::fmt;

/// A parsed WebSocket URL.
///
/// ```
/// use barews_std::WsUrl;
///
/// let url = WsUrl::parse("wss://[::1]:9443/chat?room=7").unwrap();
/// assert!(url.secure);
/// assert_eq!((url.host.as_str(), url.port, url.path.as_str()), ("::1", 9443, "/chat?room=7"));
/// assert_eq!(WsUrl::parse("ws://example.com").unwrap().path, "/");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WsUrl {
    /// `wss://`: the connection runs over TLS.
    pub secure: bool,
    /// The host name or IP address, without brackets.
    pub host: String,
    /// The port, explicit or the scheme's default (80 or 443).
    pub port: u16,
    /// The path and query, starting with `/`.
    pub path: String,
}

/// Why a URL cannot name a WebSocket endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UrlError {
    /// The scheme is not `ws` or `wss`.
    Scheme,
    /// The host is missing or malformed.
    Host,
    /// The port is not a number from 1 to 65535.
    Port,
    /// The URL has a fragment (`#…`), which RFC 6455 forbids, or holds
    /// spaces or control characters.
    Invalid,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UrlError::Scheme => "URL scheme must be ws or wss",
            UrlError::Host => "URL host is missing or malformed",
            UrlError::Port => "URL port is invalid",
            UrlError::Invalid => "URL has a fragment or invalid characters",
        })
    }
}

impl std::error::Error for UrlError {}

impl WsUrl {
    /// Parses `ws://host[:port][/path][?query]` or the `wss` form.
    pub fn parse(url: &str) -> Result<Self, UrlError> {
        if url.contains('#') || !url.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(UrlError::Invalid);
        }
        let (scheme, rest) = url.split_once("://").ok_or(UrlError::Scheme)?;
        let secure = match scheme.to_ascii_lowercase().as_str() {
            "ws" => false,
            "wss" => true,
            _ => return Err(UrlError::Scheme),
        };
        let path_start = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(path_start);
        let path = match path {
            "" => "/".to_owned(),
            p if p.starts_with('?') => format!("/{p}"),
            p => p.to_owned(),
        };
        if authority.contains('@') {
            return Err(UrlError::Host);
        }
        let (host, port) = split_host_port(authority).ok_or(UrlError::Host)?;
        let port = match port {
            None => {
                if secure {
                    443
                } else {
                    80
                }
            }
            Some(text) => text.parse::<u16>().ok().filter(|&p| p != 0).ok_or(UrlError::Port)?,
        };
        if host.is_empty() {
            return Err(UrlError::Host);
        }
        Ok(WsUrl { secure, host: host.to_owned(), port, path })
    }
}

/// Splits `host[:port]` or `[ipv6][:port]`; `None` when the brackets or
/// colons are misplaced. The proxy URLs' parser shares it.
pub(crate) fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return match after {
            "" => Some((host, None)),
            _ => after.strip_prefix(':').map(|port| (host, Some(port))),
        };
    }
    match authority.split_once(':') {
        Some((_, port)) if port.contains(':') => None,
        Some((host, port)) => Some((host, Some(port))),
        None => Some((authority, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_into_their_parts() {
        let url = WsUrl::parse("ws://example.com:9001/a/b?c=d").unwrap();
        assert_eq!(
            url,
            WsUrl {
                secure: false,
                host: "example.com".into(),
                port: 9001,
                path: "/a/b?c=d".into()
            }
        );
        assert_eq!(WsUrl::parse("WSS://example.com").unwrap().port, 443);
        assert_eq!(WsUrl::parse("ws://h?x=1").unwrap().path, "/?x=1");
        assert_eq!(WsUrl::parse("ws://[::1]/").unwrap().host, "::1");
    }

    #[test]
    fn bad_urls_are_refused() {
        assert_eq!(WsUrl::parse("http://example.com"), Err(UrlError::Scheme));
        assert_eq!(WsUrl::parse("example.com"), Err(UrlError::Scheme));
        assert_eq!(WsUrl::parse("ws://example.com/#frag"), Err(UrlError::Invalid));
        assert_eq!(WsUrl::parse("ws://exa mple.com"), Err(UrlError::Invalid));
        assert_eq!(WsUrl::parse("ws://:80/"), Err(UrlError::Host));
        assert_eq!(WsUrl::parse("ws://user@h/"), Err(UrlError::Host));
        assert_eq!(WsUrl::parse("ws://h:0/"), Err(UrlError::Port));
        assert_eq!(WsUrl::parse("ws://h:99999/"), Err(UrlError::Port));
        assert_eq!(WsUrl::parse("ws://::1/"), Err(UrlError::Host));
        assert_eq!(WsUrl::parse("ws://[::1/"), Err(UrlError::Host));
    }
}
