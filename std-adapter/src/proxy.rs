//! Proxies a client reaches its server through: their URLs
//! (`http://`, `socks5://`, `socks5h://`), the conventional environment
//! variables (read only when asked), and the choice between them. The
//! exchange with the proxy itself is the core's
//! ([`barews::proxy`]); the clients run it over their connection.

use crate::error::Error;
use crate::url::{WsUrl, split_host_port};
use barews::proxy::{Destination, Tunnel};
use std::fmt;
use std::net::IpAddr;

/// How a proxy is spoken to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProxyKind {
    /// An HTTP proxy, asked for a tunnel with `CONNECT host:port`
    /// (`http://` URLs). The proxy resolves the host.
    Http,
    /// A SOCKS5 proxy given the server's address, resolved here
    /// (`socks5://` URLs).
    Socks5,
    /// A SOCKS5 proxy given the server's host name, which the proxy
    /// resolves (`socks5h://` URLs): what a client that cannot resolve
    /// names itself needs.
    Socks5h,
}

impl ProxyKind {
    /// The port a proxy URL without one means.
    fn default_port(self) -> u16 {
        match self {
            ProxyKind::Http => 80,
            ProxyKind::Socks5 | ProxyKind::Socks5h => 1080,
        }
    }
}

/// A proxy: its kind, its address and, optionally, the credentials it
/// asks for (HTTP Basic for [`ProxyKind::Http`], RFC 1929 username and
/// password for SOCKS5). `Debug` leaves the password out.
///
/// ```
/// use barews_std::{Proxy, ProxyKind};
///
/// let proxy = Proxy::parse("http://alice:s%40cret@proxy.example:3128").unwrap();
/// assert_eq!((proxy.kind, proxy.host.as_str(), proxy.port), (ProxyKind::Http, "proxy.example", 3128));
/// assert_eq!(proxy.credentials, Some(("alice".to_owned(), "s@cret".to_owned())));
/// assert_eq!(Proxy::parse("socks5h://127.0.0.1").unwrap().port, 1080);
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Proxy {
    /// How it is spoken to.
    pub kind: ProxyKind,
    /// Its host name or IP address, without brackets.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// The user name and password it asks for, if any.
    pub credentials: Option<(String, String)>,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("kind", &self.kind)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .finish_non_exhaustive()
    }
}

/// Why a proxy URL cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProxyUrlError {
    /// The scheme is not `http`, `socks5` or `socks5h` (`https` proxies,
    /// spoken to over TLS, are not supported).
    Scheme,
    /// The host is missing or malformed.
    Host,
    /// The port is not a number from 1 to 65535.
    Port,
    /// The user name or password is not valid percent-encoded UTF-8, or
    /// one is empty.
    Credentials,
    /// The URL holds spaces or control characters, or a path other than
    /// `/`.
    Invalid,
}

impl fmt::Display for ProxyUrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProxyUrlError::Scheme => "proxy URL scheme must be http, socks5 or socks5h",
            ProxyUrlError::Host => "proxy URL host is missing or malformed",
            ProxyUrlError::Port => "proxy URL port is invalid",
            ProxyUrlError::Credentials => "proxy URL credentials are malformed",
            ProxyUrlError::Invalid => "proxy URL has a path or invalid characters",
        })
    }
}

impl std::error::Error for ProxyUrlError {}

impl Proxy {
    /// A proxy of `kind` at `host:port`, without credentials.
    pub fn new(kind: ProxyKind, host: impl Into<String>, port: u16) -> Self {
        Proxy { kind, host: host.into(), port, credentials: None }
    }

    /// The same proxy, logging in as `user` with `password`.
    #[must_use]
    pub fn with_credentials(
        mut self,
        user: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.credentials = Some((user.into(), password.into()));
        self
    }

    /// Parses `SCHEME://[user:password@]host[:port][/]`, with `http`,
    /// `socks5` or `socks5h` as the scheme; the user name and password
    /// may be percent-encoded. A URL without a scheme is taken as
    /// `http://`, as the environment variables are usually written.
    pub fn parse(url: &str) -> Result<Self, ProxyUrlError> {
        if url.is_empty() || !url.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ProxyUrlError::Invalid);
        }
        let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
        let kind = match scheme.to_ascii_lowercase().as_str() {
            "http" => ProxyKind::Http,
            "socks5" => ProxyKind::Socks5,
            "socks5h" => ProxyKind::Socks5h,
            _ => return Err(ProxyUrlError::Scheme),
        };
        let authority = match rest.find(['/', '?', '#']) {
            Some(at) if &rest[at..] == "/" => &rest[..at],
            Some(_) => return Err(ProxyUrlError::Invalid),
            None => rest,
        };
        let (credentials, host_port) = match authority.rsplit_once('@') {
            Some((userinfo, host_port)) => {
                let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
                let user = percent_decode(user).ok_or(ProxyUrlError::Credentials)?;
                let password = percent_decode(password).ok_or(ProxyUrlError::Credentials)?;
                if user.is_empty() {
                    return Err(ProxyUrlError::Credentials);
                }
                (Some((user, password)), host_port)
            }
            None => (None, authority),
        };
        let (host, port) = split_host_port(host_port).ok_or(ProxyUrlError::Host)?;
        let port = match port {
            None => kind.default_port(),
            Some(text) => {
                text.parse::<u16>().ok().filter(|&p| p != 0).ok_or(ProxyUrlError::Port)?
            }
        };
        if host.is_empty() {
            return Err(ProxyUrlError::Host);
        }
        Ok(Proxy { kind, host: host.to_owned(), port, credentials })
    }

    /// Whether the client resolves the server's name itself and gives
    /// the proxy an address ([`ProxyKind::Socks5`]).
    pub fn resolves_locally(&self) -> bool {
        self.kind == ProxyKind::Socks5
    }

    /// The core's exchange with this proxy, leading to `destination`
    /// (the server's host and port, or its address when
    /// [`resolves_locally`](Self::resolves_locally)), with the
    /// credentials.
    pub fn tunnel<'a>(&'a self, destination: Destination<'a>) -> Tunnel<'a> {
        let tunnel = match self.kind {
            ProxyKind::Http => Tunnel::http_connect(destination),
            ProxyKind::Socks5 | ProxyKind::Socks5h => Tunnel::socks5(destination),
        };
        match (&self.credentials, self.kind) {
            (None, _) => tunnel,
            (Some((user, password)), ProxyKind::Http) => tunnel.with_basic_auth(user, password),
            (Some((user, password)), _) => tunnel.with_password(user, password),
        }
    }

    /// The proxy the conventional environment variables name for `url`,
    /// or `None` for a direct connection: `https_proxy` / `HTTPS_PROXY`
    /// for `wss://`, `http_proxy` / `HTTP_PROXY` for `ws://`, else
    /// `all_proxy` / `ALL_PROXY` (the lower-case name first; empty values
    /// count as unset), unless `no_proxy` / `NO_PROXY` covers the host
    /// (see [`no_proxy_covers`]). Only a client whose options say
    /// [`ProxyChoice::FromEnvironment`] reads them.
    pub fn from_environment(url: &WsUrl) -> Result<Option<Self>, ProxyUrlError> {
        Proxy::from_variables(url, |name| std::env::var(name).ok())
    }

    /// [`from_environment`](Self::from_environment) with the variables
    /// read through `var`.
    pub fn from_variables(
        url: &WsUrl,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, ProxyUrlError> {
        let lookup = |lower: &str| {
            [lower.to_owned(), lower.to_ascii_uppercase()]
                .into_iter()
                .find_map(|name| var(&name).filter(|value| !value.trim().is_empty()))
        };
        if let Some(list) = lookup("no_proxy") {
            if no_proxy_covers(&list, &url.host, url.port) {
                return Ok(None);
            }
        }
        let scheme_variable = if url.secure { "https_proxy" } else { "http_proxy" };
        match lookup(scheme_variable).or_else(|| lookup("all_proxy")) {
            Some(value) => Proxy::parse(value.trim()).map(Some),
            None => Ok(None),
        }
    }
}

/// Whether the `no_proxy` list `list` covers `host` on `port`: entries
/// separated by commas (or spaces); `*` covers every host; a name covers
/// itself and its subdomains (a leading `.` changes nothing); an IP
/// address covers itself, `ADDRESS/BITS` a network; `ENTRY:PORT` covers
/// that port only. Names compare without regard to case.
pub fn no_proxy_covers(list: &str, host: &str, port: u16) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    let host_ip: Option<IpAddr> = host.parse().ok();
    list.split([',', ' ', '\t']).map(str::trim).filter(|entry| !entry.is_empty()).any(|entry| {
        if entry == "*" {
            return true;
        }
        let (name, entry_port) = split_entry_port(entry);
        if entry_port.is_some_and(|entry_port| entry_port != port) {
            return false;
        }
        let name = name.to_ascii_lowercase();
        if let Some(ip) = host_ip {
            return ip_matches(&name, ip);
        }
        let name = name.trim_start_matches('.');
        !name.is_empty()
            && (host == name || host.strip_suffix(name).is_some_and(|prefix| prefix.ends_with('.')))
    })
}

/// Splits `ENTRY[:PORT]`, `[IPV6][:PORT]` or a bare IPv6 address.
fn split_entry_port(entry: &str) -> (&str, Option<u16>) {
    if let Some(rest) = entry.strip_prefix('[') {
        if let Some((address, after)) = rest.split_once(']') {
            return (address, after.strip_prefix(':').and_then(|port| port.parse().ok()));
        }
    }
    match entry.rsplit_once(':') {
        // One colon: a port. More: an IPv6 address (perhaps with /BITS).
        Some((name, port)) if !name.contains(':') => (name, port.parse().ok()),
        _ => (entry, None),
    }
}

/// Whether `entry` (an address, or `ADDRESS/BITS`) covers `ip`.
fn ip_matches(entry: &str, ip: IpAddr) -> bool {
    let (address, bits) = match entry.split_once('/') {
        Some((address, bits)) => match bits.parse::<u32>() {
            Ok(bits) => (address, Some(bits)),
            Err(_) => return false,
        },
        None => (entry, None),
    };
    let Ok(network) = address.parse::<IpAddr>() else { return false };
    match (network, ip) {
        (IpAddr::V4(network), IpAddr::V4(ip)) => {
            prefix_matches(&network.octets(), &ip.octets(), bits.unwrap_or(32))
        }
        (IpAddr::V6(network), IpAddr::V6(ip)) => {
            prefix_matches(&network.octets(), &ip.octets(), bits.unwrap_or(128))
        }
        _ => false,
    }
}

/// Whether the first `bits` bits of `a` and `b` are equal (`bits` at
/// most the addresses' length; more never matches).
fn prefix_matches(a: &[u8], b: &[u8], bits: u32) -> bool {
    let Ok(bits) = usize::try_from(bits) else { return false };
    if bits > a.len() * 8 {
        return false;
    }
    let (whole, rest) = (bits / 8, bits % 8);
    if a[..whole] != b[..whole] {
        return false;
    }
    rest == 0 || {
        let mask = 0xffu8 << (8 - rest);
        a[whole] & mask == b[whole] & mask
    }
}

/// Decodes `%XX` escapes; `None` when one is malformed or the result is
/// not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%' {
            let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(byte);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

/// Checks what a proxy left unread once its tunnel opened
/// ([`Progress::open`](barews::proxy::Progress::open)): nothing, as a
/// WebSocket or TLS server speaks only after the client, so bytes already
/// there came from the proxy, not the server. The std and tokio clients
/// call it after their exchange.
pub fn check_tunnel_leftover(leftover: &[u8]) -> Result<(), Error> {
    if leftover.is_empty() {
        return Ok(());
    }
    Err(Error::Io(std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        "the proxy sent bytes past its answer before the server could speak",
    )))
}

/// Whether and how a client goes through a proxy
/// ([`ClientOptions::proxy`](crate::ClientOptions::proxy)).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProxyChoice {
    /// Straight to the server (the default: the environment is not read).
    #[default]
    Direct,
    /// Through this proxy.
    Through(Proxy),
    /// Through the proxy the environment variables name for the URL, if
    /// any ([`Proxy::from_environment`]).
    FromEnvironment,
}

impl ProxyChoice {
    /// The proxy to use for `url`, if any.
    pub fn resolve(&self, url: &WsUrl) -> Result<Option<Proxy>, ProxyUrlError> {
        match self {
            ProxyChoice::Direct => Ok(None),
            ProxyChoice::Through(proxy) => Ok(Some(proxy.clone())),
            ProxyChoice::FromEnvironment => Proxy::from_environment(url),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls_parse_into_their_parts() {
        let proxy = Proxy::parse("socks5://bob:p%3Ass@[::1]:1081/").unwrap();
        assert_eq!(
            proxy,
            Proxy::new(ProxyKind::Socks5, "::1", 1081).with_credentials("bob", "p:ss")
        );
        assert_eq!(
            Proxy::parse("proxy.corp:3128").unwrap(),
            Proxy::new(ProxyKind::Http, "proxy.corp", 3128)
        );
        assert_eq!(Proxy::parse("HTTP://h").unwrap().port, 80);
        assert_eq!(Proxy::parse("socks5h://h").unwrap().kind, ProxyKind::Socks5h);
        // The password may be empty, the user name may not.
        assert_eq!(
            Proxy::parse("http://u@h:1").unwrap().credentials,
            Some(("u".into(), String::new()))
        );
        assert_eq!(Proxy::parse("http://:pw@h:1"), Err(ProxyUrlError::Credentials));
    }

    #[test]
    fn bad_proxy_urls_are_refused() {
        assert_eq!(Proxy::parse("https://h:1"), Err(ProxyUrlError::Scheme));
        assert_eq!(Proxy::parse("socks4://h:1"), Err(ProxyUrlError::Scheme));
        assert_eq!(Proxy::parse("http://h:0"), Err(ProxyUrlError::Port));
        assert_eq!(Proxy::parse("http://h:x"), Err(ProxyUrlError::Port));
        assert_eq!(Proxy::parse("http://:1"), Err(ProxyUrlError::Host));
        assert_eq!(Proxy::parse("http://h/path"), Err(ProxyUrlError::Invalid));
        assert_eq!(Proxy::parse("http://h h"), Err(ProxyUrlError::Invalid));
        assert_eq!(Proxy::parse("http://u:%zz@h"), Err(ProxyUrlError::Credentials));
        assert_eq!(Proxy::parse("http://u:%ff@h"), Err(ProxyUrlError::Credentials));
    }

    #[test]
    fn debug_output_leaves_the_password_out() {
        let proxy = Proxy::new(ProxyKind::Http, "h", 1).with_credentials("alice", "hunter2");
        let shown = format!("{proxy:?}");
        assert!(shown.contains("alice") && !shown.contains("hunter2"), "{shown}");
    }

    fn variables<'a>(set: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| set.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned())
    }

    #[test]
    fn the_environment_picks_the_variable_of_the_scheme_then_all_proxy() {
        let ws = WsUrl::parse("ws://example.com/").unwrap();
        let wss = WsUrl::parse("wss://example.com/").unwrap();
        let set = [
            ("http_proxy", "http://plain:1"),
            ("HTTP_PROXY", "http://upper:1"),
            ("HTTPS_PROXY", "http://secure:1"),
            ("ALL_PROXY", "socks5h://all:1"),
        ];
        let host = |url: &WsUrl, set: &[(&str, &str)]| {
            Proxy::from_variables(url, variables(set)).unwrap().map(|proxy| proxy.host)
        };
        assert_eq!(host(&ws, &set).as_deref(), Some("plain"));
        assert_eq!(host(&wss, &set).as_deref(), Some("secure"));
        assert_eq!(host(&wss, &set[..1]), None);
        assert_eq!(host(&wss, &[("all_proxy", "socks5h://all:1")]).as_deref(), Some("all"));
        // Empty counts as unset.
        assert_eq!(host(&ws, &[("http_proxy", ""), ("ALL_PROXY", "h2:1")]).as_deref(), Some("h2"));
        assert_eq!(host(&ws, &[]), None);
        assert_eq!(
            Proxy::from_variables(&ws, variables(&[("http_proxy", "ftp://x")])),
            Err(ProxyUrlError::Scheme)
        );
    }

    #[test]
    fn no_proxy_exempts_names_domains_addresses_networks_and_ports() {
        let list = "localhost, .internal.example,10.0.0.0/8 ,::1, [fd00::1]:8443, api.example:9000";
        assert!(no_proxy_covers(list, "localhost", 80));
        assert!(no_proxy_covers(list, "LOCALHOST", 80));
        assert!(no_proxy_covers(list, "internal.example", 80));
        assert!(no_proxy_covers(list, "a.b.internal.example", 80));
        assert!(!no_proxy_covers(list, "notinternal.example", 80));
        assert!(no_proxy_covers(list, "10.200.3.4", 80));
        assert!(!no_proxy_covers(list, "11.0.0.1", 80));
        assert!(no_proxy_covers(list, "::1", 80));
        assert!(no_proxy_covers(list, "fd00::1", 8443));
        assert!(!no_proxy_covers(list, "fd00::1", 443));
        assert!(no_proxy_covers(list, "api.example", 9000));
        assert!(!no_proxy_covers(list, "api.example", 9001));
        assert!(!no_proxy_covers(list, "example.com", 80));
        assert!(no_proxy_covers("*", "anything", 1));
        assert!(no_proxy_covers("192.168.1.0/23", "192.168.0.9", 1));
        assert!(!no_proxy_covers("192.168.1.0/24", "192.168.0.9", 1));
        assert!(!no_proxy_covers("10.0.0.0/40", "10.0.0.1", 1));

        let url = WsUrl::parse("ws://localhost:9000/").unwrap();
        let set = [("http_proxy", "http://proxy:1"), ("NO_PROXY", "localhost")];
        assert_eq!(Proxy::from_variables(&url, variables(&set)), Ok(None));
    }

    #[test]
    fn only_the_environment_choice_reads_the_environment() {
        let url = WsUrl::parse("ws://example.com/").unwrap();
        assert_eq!(ProxyChoice::default().resolve(&url), Ok(None));
        let proxy = Proxy::new(ProxyKind::Socks5, "s", 1080);
        assert_eq!(ProxyChoice::Through(proxy.clone()).resolve(&url), Ok(Some(proxy)));
    }
}
