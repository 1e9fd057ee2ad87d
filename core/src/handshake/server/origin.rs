//! Which `Origin` values a server accepts (RFC 6455 section 10.2).

/// Decides whether a request's `Origin` header is acceptable.
///
/// Browsers always send `Origin`; other clients usually do not. The
/// built-in policies therefore accept a request without one: Origin checks
/// protect browser users from cross-site pages, and a client that is not a
/// browser can write any Origin it likes anyway. Use
/// [`Custom`](OriginPolicy::Custom) to require the header.
///
/// Comparisons ignore ASCII case.
///
/// ```
/// use barews::handshake::server::OriginPolicy;
///
/// let policy = OriginPolicy::SameHost;
/// assert!(policy.allows(Some("https://example.com"), "example.com"));
/// assert!(!policy.allows(Some("https://evil.example"), "example.com"));
/// assert!(policy.allows(None, "example.com"));
///
/// let strict = OriginPolicy::Custom(|origin, _host| origin == Some("https://app.example"));
/// assert!(!strict.allows(None, "example.com"));
/// ```
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub enum OriginPolicy {
    /// Accept every request, whatever its Origin. The default.
    #[default]
    AllowAny,
    /// Accept an Origin whose `host[:port]` equals the `Host` header. An
    /// Origin that spells out a default port (`:443`) the Host header
    /// leaves out does not match.
    SameHost,
    /// Accept an Origin equal to one of these serialized origins, such as
    /// `"https://example.com"` or `"http://localhost:8080"`.
    AllowList(&'static [&'static str]),
    /// Ask a function, given the Origin (if any) and the Host header.
    Custom(fn(origin: Option<&str>, host: &str) -> bool),
}

impl OriginPolicy {
    /// Whether a request with this `Origin` and `Host` is acceptable.
    pub fn allows(&self, origin: Option<&str>, host: &str) -> bool {
        match (*self, origin) {
            (OriginPolicy::AllowAny, _)
            | (OriginPolicy::SameHost | OriginPolicy::AllowList(_), None) => true,
            (OriginPolicy::SameHost, Some(origin)) => origin
                .split_once("://")
                .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host)),
            (OriginPolicy::AllowList(list), Some(origin)) => {
                list.iter().any(|allowed| allowed.eq_ignore_ascii_case(origin))
            }
            (OriginPolicy::Custom(decide), origin) => decide(origin, host),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_host_compares_the_origin_authority_with_host() {
        let policy = OriginPolicy::SameHost;
        assert!(policy.allows(Some("http://Example.COM:8080"), "example.com:8080"));
        assert!(!policy.allows(Some("http://example.com"), "example.com:8080"));
        assert!(!policy.allows(Some("null"), "example.com"));
    }

    #[test]
    fn allow_list_matches_whole_origins() {
        let policy = OriginPolicy::AllowList(&["https://a.example", "http://localhost:3000"]);
        assert!(policy.allows(Some("https://A.example"), "x"));
        assert!(policy.allows(Some("http://localhost:3000"), "x"));
        assert!(!policy.allows(Some("https://a.example.evil"), "x"));
        assert!(!policy.allows(Some("http://a.example"), "x"));
    }
}
