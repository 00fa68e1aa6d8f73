//! RFC 5849 plumbing for the simulator's OAuth provider: percent-encoding, the `Authorization: OAuth`
//! header parser and the signature base string (§3.4.1). Written independently of the client's
//! signer (`src/jira/`) on purpose, so a bug in one cannot hide in the other.

use std::fmt::Write as _;

/// Percent-encodes `s` as RFC 5849 §3.6 demands: UTF-8 bytes, everything but the RFC 3986
/// unreserved set (`A-Z a-z 0-9 - . _ ~`) becomes `%XX` with upper-case hex.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Decodes `%XX` escapes (no `+` → space: OAuth header values never use form encoding).
/// Err when an escape is malformed or the bytes are not UTF-8.
pub fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad percent escape at byte {i}"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "percent-decoded value is not UTF-8".to_string())
}

/// Encodes name/value pairs as an `application/x-www-form-urlencoded` body the way Jira's OAuth
/// servlets do (net.oauth `OAuth.formEncode`: RFC 3986 percent-encoding, `&`-joined).
pub fn form_encode<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                percent_encode(k.as_ref()),
                percent_encode(v.as_ref())
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Parses an `Authorization: OAuth k="v", …` header into percent-decoded (name, value) pairs,
/// `realm` included (the caller drops it from the base string, RFC 5849 §3.4.1.3.1).
/// Tolerates any whitespace around `,` and `=`, unquoted values and a case-insensitive scheme.
/// Ok(None) when the header uses another scheme (Basic, Bearer …).
pub fn parse_authorization(header: &str) -> Result<Option<Vec<(String, String)>>, String> {
    let header = header.trim();
    let (scheme, rest) = match header.find(|c: char| c.is_ascii_whitespace()) {
        Some(i) => (&header[..i], &header[i..]),
        None => (header, ""),
    };
    if !scheme.eq_ignore_ascii_case("OAuth") {
        return Ok(None);
    }
    let mut params = Vec::new();
    let mut rest = rest.trim_start();
    while !rest.is_empty() {
        let eq = rest.find('=').ok_or_else(|| {
            format!(
                "parameter without '=' in OAuth header near {:?}",
                clip(rest)
            )
        })?;
        let name = rest[..eq].trim();
        if name.is_empty() || name.contains(|c: char| c.is_ascii_whitespace() || c == ',') {
            return Err(format!(
                "bad parameter name in OAuth header near {:?}",
                clip(rest)
            ));
        }
        rest = rest[eq + 1..].trim_start();
        let raw_value;
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted
                .find('"')
                .ok_or_else(|| format!("unterminated quote for {name} in OAuth header"))?;
            raw_value = &quoted[..end];
            rest = quoted[end + 1..].trim_start();
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            raw_value = rest[..end].trim_end();
            rest = &rest[end..];
        }
        match rest.strip_prefix(',') {
            Some(after) => rest = after.trim_start(),
            None if rest.is_empty() => {}
            None => {
                return Err(format!(
                    "expected ',' after {name} in OAuth header near {:?}",
                    clip(rest)
                ))
            }
        }
        params.push((percent_decode(name)?, percent_decode(raw_value)?));
    }
    Ok(Some(params))
}

/// Keeps error messages short and free of long header tails (which may carry signatures).
fn clip(s: &str) -> String {
    s.chars().take(24).collect()
}

/// The base string URI of RFC 5849 §3.4.1.2: lower-case scheme and host, the port only when it is
/// not the scheme's default, the path exactly as given (context path and all; `/` when empty),
/// no query or fragment, no user info.
pub fn normalize_url(url: &str) -> Result<String, String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("not an absolute URL: {url:?}"))?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(format!("unsupported URL scheme {scheme:?}"));
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let after = &rest[authority_end..];
    let path_end = after.find(['?', '#']).unwrap_or(after.len());
    let path = if path_end == 0 {
        "/"
    } else {
        &after[..path_end]
    };
    // Drop user info: it is never part of the signed URI.
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    // An IPv6 literal keeps its brackets; its colons are not a port separator.
    let (host, port) = if host_port.starts_with('[') {
        let close = host_port
            .find(']')
            .ok_or_else(|| format!("bad IPv6 host in {url:?}"))?;
        let port = host_port[close + 1..].strip_prefix(':');
        (&host_port[..=close], port)
    } else {
        match host_port.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        }
    };
    if host.is_empty() {
        return Err(format!("URL without host: {url:?}"));
    }
    let default_port = if scheme == "http" { 80 } else { 443 };
    let port = match port {
        None | Some("") => None,
        Some(p) => {
            let n: u16 = p.parse().map_err(|_| format!("bad port {p:?} in URL"))?;
            (n != default_port).then_some(n)
        }
    };
    let mut out = format!("{scheme}://{}", host.to_ascii_lowercase());
    if let Some(p) = port {
        let _ = write!(out, ":{p}");
    }
    out.push_str(path);
    Ok(out)
}

/// The normalized request parameters of RFC 5849 §3.4.1.3.2: every pair except `oauth_signature`,
/// names and values percent-encoded, sorted by encoded name then encoded value, `name=value`
/// joined with `&`. The caller passes header (without `realm`), query and form parameters.
pub fn normalize_parameters(params: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "oauth_signature")
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .collect();
    encoded.sort();
    encoded
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The signature base string of RFC 5849 §3.4.1.1: `METHOD&enc(base URI)&enc(parameters)`.
pub fn signature_base_string(
    method: &str,
    url: &str,
    params: &[(String, String)],
) -> Result<String, String> {
    Ok(format!(
        "{}&{}&{}",
        percent_encode(&method.to_ascii_uppercase()),
        percent_encode(&normalize_url(url)?),
        percent_encode(&normalize_parameters(params))
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_only_unreserved_as_is() {
        assert_eq!(
            percent_encode("Ladies + Gentlemen"),
            "Ladies%20%2B%20Gentlemen"
        );
        assert_eq!(
            percent_encode("An encoded string!"),
            "An%20encoded%20string%21"
        );
        assert_eq!(
            percent_encode("Dogs, Cats & Mice"),
            "Dogs%2C%20Cats%20%26%20Mice"
        );
        assert_eq!(percent_encode("☃"), "%E2%98%83");
        assert_eq!(percent_encode("-._~aZ09"), "-._~aZ09");
        assert_eq!(percent_encode("*'()/:"), "%2A%27%28%29%2F%3A");
    }

    #[test]
    fn decode_roundtrips_and_rejects_garbage() {
        for s in ["a b&c=d/é☃", "", "%", "100%"] {
            assert_eq!(percent_decode(&percent_encode(s)).unwrap(), s);
        }
        assert!(percent_decode("%4").is_err());
        assert!(percent_decode("%zz").is_err());
        assert!(percent_decode("%FF").is_err());
        assert_eq!(percent_decode("a+b").unwrap(), "a+b");
    }

    #[test]
    fn parses_header_with_odd_spacing_and_escapes() {
        let h = "oauth   realm=\"http%3A%2F%2Fx\" ,oauth_consumer_key = \"key%20one\",\
                 oauth_nonce=abc ,  oauth_signature=\"a%2Bb%3D\"";
        let p = parse_authorization(h).unwrap().unwrap();
        assert_eq!(
            p,
            vec![
                ("realm".to_string(), "http://x".to_string()),
                ("oauth_consumer_key".to_string(), "key one".to_string()),
                ("oauth_nonce".to_string(), "abc".to_string()),
                ("oauth_signature".to_string(), "a+b=".to_string()),
            ]
        );
        assert_eq!(parse_authorization("Basic Zm9vOmJhcg==").unwrap(), None);
        assert_eq!(parse_authorization("OAuth").unwrap(), Some(vec![]));
        assert!(parse_authorization("OAuth a=\"b").is_err());
        assert!(parse_authorization("OAuth a=\"b\" c=\"d\"").is_err());
        assert!(parse_authorization("OAuth novalue").is_err());
    }

    #[test]
    fn normalizes_urls() {
        let n = |u: &str| normalize_url(u).unwrap();
        assert_eq!(
            n("HTTP://Example.COM:80/r%20v/X?id=123"),
            "http://example.com/r%20v/X"
        );
        assert_eq!(
            n("https://www.example.net:8080/?q=1"),
            "https://www.example.net:8080/"
        );
        assert_eq!(
            n("https://jira.example.com:443/jira/rest"),
            "https://jira.example.com/jira/rest"
        );
        assert_eq!(
            n("http://jira.example.com:443/x"),
            "http://jira.example.com:443/x"
        );
        assert_eq!(n("http://u:p@h.example/x#frag"), "http://h.example/x");
        assert_eq!(n("http://h.example"), "http://h.example/");
        assert_eq!(n("http://[::1]:8080/a"), "http://[::1]:8080/a");
        assert_eq!(n("http://[::1]/a"), "http://[::1]/a");
        assert!(normalize_url("ftp://x/").is_err());
        assert!(normalize_url("/relative").is_err());
        assert!(normalize_url("http://h:99999/").is_err());
    }

    #[test]
    fn sorts_by_encoded_name_then_value() {
        let p = |k: &str, v: &str| (k.to_string(), v.to_string());
        let params = vec![
            p("b", "2"),
            p("a", "z"),
            p("a", "a b"),
            p("a", "a"),
            p("oauth_signature", "x"),
        ];
        assert_eq!(normalize_parameters(&params), "a=a&a=a%20b&a=z&b=2");
        // Sorting happens after encoding: `c%40` < `c2` because '%' < '2', and non-ASCII keys
        // (all `%XX`) come before letters.
        let params = vec![p("c2", ""), p("c@", ""), p("ключ", "☃"), p("~", "")];
        assert_eq!(
            normalize_parameters(&params),
            "%D0%BA%D0%BB%D1%8E%D1%87=%E2%98%83&c%40=&c2=&~="
        );
    }
}
