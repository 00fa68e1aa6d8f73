//! OAuth 1.0a for Jira application links: RSA-SHA1 `Authorization` headers signed over our RFC 5849
//! base string (the same one compared with what Jira reports), and parsing of
//! `oauth_problem` answers from both the `WWW-Authenticate` header and form-encoded bodies.

use super::auth::{OAuth1Auth, OAuthToken};
use oauth1_request::signature_method::rsa_sha1_09::RsaSha1;
use oauth1_request::signature_method::{Sign as _, SignatureMethod as _};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use rand::Rng as _;
use secrecy::ExposeSecret;
use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};
use url::Url;

/// RFC 5849 §3.6: everything except the unreserved set `ALPHA / DIGIT / - . _ ~` is encoded.
const OAUTH_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encode one value the way RFC 5849 §3.6 requires (upper-case hex, UTF-8).
pub fn encode(s: &str) -> String {
    utf8_percent_encode(s, OAUTH_ENCODE).to_string()
}

/// The base string URI of RFC 5849 §3.4.1.2: lower-case scheme and host, default port dropped,
/// path kept, query and fragment removed. `Url` already lower-cases and drops default ports.
pub fn base_string_uri(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!("{}://{}{}{}", url.scheme(), host, port, url.path())
}

/// RFC 5849 §3.4.1 signature base string: what [`authorization_header`] signs.
///
/// `params` are the OAuth protocol parameters (without `oauth_signature`) plus any form-encoded
/// body parameters, all *decoded*; the URL's query parameters are added here, because Jira puts
/// them into its own base string too.
pub fn signature_base_string(method: &str, url: &Url, params: &[(String, String)]) -> String {
    let normalized = normalized_parameters(url, params)
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        encode(&base_string_uri(url)),
        encode(&normalized)
    )
}

/// RFC 5849 §3.4.1.3.2: the query parameters of `url` plus `params` (without `oauth_signature`
/// and `realm`), each name and value percent-encoded, sorted by encoded name then encoded value.
fn normalized_parameters(url: &Url, params: &[(String, String)]) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (encode(&k), encode(&v)))
        .collect();
    all.extend(
        params
            .iter()
            .filter(|(k, _)| k != "oauth_signature" && k != "realm")
            .map(|(k, v)| (encode(k), encode(v))),
    );
    all.sort();
    all
}

/// The `Authorization: OAuth …` header for one request, RSA-SHA1-signed with a fresh nonce and
/// timestamp. Query parameters of `url` and the decoded `form` body are part of the signature;
/// the caller must send exactly this `url` afterwards.
///
/// Signed by `oauth1-request`'s RSA-SHA1 over exactly [`signature_base_string`] (see the comment
/// inside for why its `Builder` is not used; found by the OAuth property test).
pub fn authorization_header(
    method: &str,
    url: &Url,
    form: &[(String, String)],
    consumer: &OAuth1Auth,
    token: Option<&OAuthToken>,
    callback: Option<&str>,
    verifier: Option<&str>,
) -> String {
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let nonce: String = rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(32)
        .map(char::from)
        .collect();
    // RSA-SHA1 never uses the consumer or token secret (RFC 5849 §3.4.3): only the token itself
    // is a protocol parameter.
    let mut oauth: Vec<(String, String)> = vec![
        ("oauth_consumer_key".into(), consumer.consumer_key.clone()),
        ("oauth_nonce".into(), nonce),
        ("oauth_signature_method".into(), "RSA-SHA1".into()),
        ("oauth_timestamp".into(), timestamp.to_string()),
    ];
    if let Some(t) = token {
        oauth.push(("oauth_token".into(), t.token.expose_secret().to_string()));
    }
    if let Some(c) = callback {
        oauth.push(("oauth_callback".into(), c.to_string()));
    }
    if let Some(v) = verifier {
        oauth.push(("oauth_verifier".into(), v.to_string()));
    }
    oauth.sort();
    let mut signed = oauth.clone();
    signed.extend(form.iter().cloned());
    // oauth1-request's RSA-SHA1 signer, fed our own RFC 5849 base string piece by piece: its
    // `Builder` writes parameter *names* unencoded and sorts by raw text, so a query parameter named
    // e.g. `本` or `a b` would get a signature Jira (net.oauth encodes names, RFC 5849 §3.4.1.3.2)
    // rejects. Driving its `Sign` directly keeps the crate's signing with a correct base string.
    // `Sign::parameter` expects each piece already encoded for the base string (the encoded pair,
    // encoded again), as `format!("{key}%3D{value}")` of the final base string.
    let key: &RsaSha1 = consumer.private_key.as_ref().as_ref();
    let mut sign = key.sign_with("", None);
    sign.request_method(&method.to_ascii_uppercase());
    sign.uri(encode(&base_string_uri(url)));
    for (i, (k, v)) in normalized_parameters(url, &signed).iter().enumerate() {
        if i > 0 {
            sign.delimiter();
        }
        sign.parameter(&encode(k), encode(v));
    }
    // The signature's Display is already percent-encoded for the header.
    let signature = percent_decode_str(&sign.end().to_string())
        .decode_utf8_lossy()
        .into_owned();
    oauth.push(("oauth_signature".into(), signature));
    let fields = oauth
        .iter()
        .map(|(k, v)| format!("{}=\"{}\"", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join(", ");
    format!("OAuth {fields}")
}

/// Parameters of an `Authorization` / `WWW-Authenticate` OAuth header, decoded.
pub fn parse_auth_header_params(value: &str) -> Vec<(String, String)> {
    let rest = value.trim();
    let rest = rest
        .strip_prefix("OAuth ")
        .or_else(|| rest.strip_prefix("oauth "))
        .unwrap_or(rest);
    let mut out = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        while matches!(chars.peek(), Some(c) if *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ',' {
                break;
            }
            key.push(c);
            chars.next();
        }
        if key.is_empty() {
            break;
        }
        let mut val = String::new();
        if chars.peek() == Some(&'=') {
            chars.next();
            if chars.peek() == Some(&'"') {
                chars.next();
                for c in chars.by_ref() {
                    if c == '"' {
                        break;
                    }
                    val.push(c);
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c == ',' {
                        break;
                    }
                    val.push(c);
                    chars.next();
                }
            }
        }
        out.push((key.trim().to_string(), decode(val.trim())));
    }
    out
}

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// An `oauth_problem` answer (RFC 5849 problem reporting extension, as Jira sends it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthProblem {
    /// `oauth_problem`, e.g. `signature_invalid`.
    pub problem: String,
    /// Every other parameter Jira sent along (`oauth_signature_base_string`,
    /// `oauth_acceptable_timestamps`, `oauth_parameters_absent`, …), decoded.
    pub params: BTreeMap<String, String>,
}

impl OAuthProblem {
    /// One parameter Jira sent along.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params.get(key).map(String::as_str)
    }

    /// Jira's `oauth_signature_base_string`, when it reported one.
    pub fn their_base_string(&self) -> Option<&str> {
        self.param("oauth_signature_base_string")
    }
}

/// Find `oauth_problem` and friends in a `WWW-Authenticate: OAuth …` value and/or a form-encoded
/// body (Jira uses both; the header wins on conflicts, the body fills in the rest).
pub fn parse_oauth_problem(headers_value: Option<&str>, body: &str) -> Option<OAuthProblem> {
    let mut params = BTreeMap::new();
    let body = body.trim();
    // A JSON or HTML body is never a form answer; only parse what looks like `k=v&k=v`.
    if !body.is_empty() && !body.starts_with(['{', '[', '<']) && body.contains("oauth_problem=") {
        for (k, v) in url::form_urlencoded::parse(body.as_bytes()) {
            params.insert(k.into_owned(), v.into_owned());
        }
    }
    if let Some(h) = headers_value {
        if h.contains("oauth_problem") {
            for (k, v) in parse_auth_header_params(h) {
                params.insert(k, v);
            }
        }
    }
    let problem = params.remove("oauth_problem")?;
    Some(OAuthProblem { problem, params })
}

/// Where two base strings differ, in words an admin can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseStringDiff {
    /// Identical: the signature itself (the key) is what Jira rejects.
    Same,
    /// The HTTP method differs.
    Method { ours: String, theirs: String },
    /// The URL differs in `part` (scheme, host, port or path).
    Url {
        part: &'static str,
        ours: String,
        theirs: String,
    },
    /// The parameter lists differ; names (values of tokens redacted) only on one side.
    Params {
        only_ours: Vec<String>,
        only_theirs: Vec<String>,
    },
    /// Jira's base string could not be read.
    Unparsable,
}

/// Compare our base string with Jira's `oauth_signature_base_string`.
pub fn compare_base_strings(ours: &str, theirs: &str) -> BaseStringDiff {
    if ours == theirs {
        return BaseStringDiff::Same;
    }
    let split = |s: &str| -> Option<(String, String, String)> {
        let mut it = s.splitn(3, '&');
        Some((
            it.next()?.to_string(),
            decode(it.next()?),
            decode(it.next()?),
        ))
    };
    let (Some((om, ou, op)), Some((tm, tu, tp))) = (split(ours), split(theirs)) else {
        return BaseStringDiff::Unparsable;
    };
    if !om.eq_ignore_ascii_case(&tm) {
        return BaseStringDiff::Method {
            ours: om,
            theirs: tm,
        };
    }
    if ou != tu {
        return match (Url::parse(&ou), Url::parse(&tu)) {
            (Ok(a), Ok(b)) => {
                let (part, x, y) = if a.scheme() != b.scheme() {
                    ("scheme", a.scheme().to_string(), b.scheme().to_string())
                } else if a.host_str() != b.host_str() {
                    (
                        "host",
                        a.host_str().unwrap_or_default().to_string(),
                        b.host_str().unwrap_or_default().to_string(),
                    )
                } else if a.port_or_known_default() != b.port_or_known_default() {
                    (
                        "port",
                        a.port_or_known_default()
                            .map(|p| p.to_string())
                            .unwrap_or_default(),
                        b.port_or_known_default()
                            .map(|p| p.to_string())
                            .unwrap_or_default(),
                    )
                } else {
                    ("path", a.path().to_string(), b.path().to_string())
                };
                BaseStringDiff::Url {
                    part,
                    ours: x,
                    theirs: y,
                }
            }
            _ => BaseStringDiff::Url {
                part: "url",
                ours: ou,
                theirs: tu,
            },
        };
    }
    // Nonce, timestamp and signature differ per request by design; compare everything else.
    let volatile = ["oauth_nonce", "oauth_timestamp", "oauth_signature"];
    let norm = |p: &str| -> Vec<String> {
        let mut v: Vec<String> = p
            .split('&')
            .filter(|kv| !kv.is_empty())
            .filter(|kv| !volatile.iter().any(|n| kv.starts_with(&format!("{n}="))))
            .map(redact_param)
            .collect();
        v.sort();
        v
    };
    let (a, b) = (norm(&op), norm(&tp));
    if a == b {
        return BaseStringDiff::Same;
    }
    BaseStringDiff::Params {
        only_ours: a.iter().filter(|x| !b.contains(x)).cloned().collect(),
        only_theirs: b.iter().filter(|x| !a.contains(x)).cloned().collect(),
    }
}

/// Hide token values in an encoded `name=value` pair before it is shown anywhere.
fn redact_param(kv: &str) -> String {
    match kv.split_once('=') {
        Some((k, _)) if k == "oauth_token" || k == "oauth_verifier" => {
            format!("{k}=[redacted]")
        }
        _ => kv.to_string(),
    }
}

/// The `oauth_consumer_key` inside a signature base string (RFC 5849 §3.4.1: the third part is
/// the percent-encoded, `&`-joined parameters).
pub fn consumer_key_in_base_string(base: &str) -> Option<String> {
    let params = decode(base.splitn(3, '&').nth(2)?);
    params.split('&').find_map(|kv| {
        kv.strip_prefix("oauth_consumer_key=")
            .map(decode)
            .filter(|k| !k.is_empty())
    })
}

/// A base string with token and verifier values hidden, safe for logs and messages.
pub fn redact_base_string(base: &str) -> String {
    let mut parts = base.splitn(3, '&');
    let (Some(m), Some(u), Some(p)) = (parts.next(), parts.next(), parts.next()) else {
        return "[unparsable base string]".to_string();
    };
    let params = decode(p)
        .split('&')
        .map(redact_param)
        .collect::<Vec<_>>()
        .join("&");
    format!("{m}&{u}&{}", encode(&params))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consumer_key_from_a_base_string() {
        let base =
            "POST&https%3A%2F%2Fj%2Frest&oauth_consumer_key%3Djiralink-x%2By%26oauth_nonce%3Dn";
        assert_eq!(
            consumer_key_in_base_string(base).as_deref(),
            Some("jiralink-x+y")
        );
        assert_eq!(consumer_key_in_base_string("POST&u&oauth_nonce%3Dn"), None);
    }

    #[test]
    fn rfc5849_example_base_string() {
        // RFC 5849 §3.4.1.1 example (HMAC there, but the base string is method independent).
        let url = Url::parse("http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b").unwrap();
        let params: Vec<(String, String)> = [
            ("oauth_consumer_key", "9djdj82h48djs9d2"),
            ("oauth_token", "kkk9d7dh3k39sjv7"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "137131201"),
            ("oauth_nonce", "7d8f3e4a"),
            ("c2", ""),
            ("a3", "2 q"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let expected = "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q\
%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9dj\
dj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1\
%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7";
        assert_eq!(signature_base_string("post", &url, &params), expected);
    }

    #[test]
    fn base_string_uri_normalises() {
        let u = Url::parse("HTTPS://Jira.Example.COM:443/jira/rest/api/2/myself?x=1#f").unwrap();
        assert_eq!(
            base_string_uri(&u),
            "https://jira.example.com/jira/rest/api/2/myself"
        );
        let u = Url::parse("http://jira:8080/ctx/a").unwrap();
        assert_eq!(base_string_uri(&u), "http://jira:8080/ctx/a");
    }

    #[test]
    fn problem_from_header_and_body() {
        let h = r#"OAuth realm="https%3A%2F%2Fjira.example.com", oauth_problem="timestamp_refused", oauth_acceptable_timestamps="100-200""#;
        let p = parse_oauth_problem(Some(h), "").unwrap();
        assert_eq!(p.problem, "timestamp_refused");
        assert_eq!(p.param("oauth_acceptable_timestamps"), Some("100-200"));
        assert_eq!(p.param("realm"), Some("https://jira.example.com"));

        let body = "oauth_problem=signature_invalid&oauth_signature_base_string=GET%26https%253A%252F%252Fj%252Fx%26a%253Db";
        let p = parse_oauth_problem(None, body).unwrap();
        assert_eq!(p.problem, "signature_invalid");
        assert_eq!(p.their_base_string(), Some("GET&https%3A%2F%2Fj%2Fx&a%3Db"));
        assert!(parse_oauth_problem(None, r#"{"oauth_problem=":1}"#).is_none());
        assert!(parse_oauth_problem(Some("Basic realm=\"x\""), "").is_none());
    }

    #[test]
    fn base_string_diffs() {
        let u1 = Url::parse("https://jira.example.com/jira/rest/api/2/myself").unwrap();
        let u2 = Url::parse("http://jira.example.com/jira/rest/api/2/myself").unwrap();
        let u3 = Url::parse("https://jira.example.com:8443/jira/rest/api/2/myself").unwrap();
        let u4 = Url::parse("https://jira.example.com/rest/api/2/myself").unwrap();
        let p = vec![("oauth_token".to_string(), "secret-token".to_string())];
        let a = signature_base_string("GET", &u1, &p);
        assert_eq!(compare_base_strings(&a, &a), BaseStringDiff::Same);
        let diff = |u: &Url| compare_base_strings(&a, &signature_base_string("GET", u, &p));
        assert!(matches!(
            diff(&u2),
            BaseStringDiff::Url { part: "scheme", .. }
        ));
        assert!(matches!(
            diff(&u3),
            BaseStringDiff::Url { part: "port", .. }
        ));
        assert!(matches!(
            diff(&u4),
            BaseStringDiff::Url { part: "path", .. }
        ));
        let mut u5 = u1.clone();
        u5.set_query(Some("expand=groups"));
        match compare_base_strings(&a, &signature_base_string("GET", &u5, &p)) {
            BaseStringDiff::Params {
                only_ours,
                only_theirs,
            } => {
                assert!(only_ours.is_empty());
                assert_eq!(only_theirs, vec!["expand=groups".to_string()]);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(!redact_base_string(&a).contains("secret-token"));
    }
}
