//! Reading and judging Jira's answers: the body under a size cap, `Retry-After`, and the checks run
//! on every response (CAPTCHA, Seraph login reasons, `oauth_problem`, SSO redirects, anonymous
//! fallback, HTML where JSON was expected, the three JSON error body shapes).

use super::error::{ErrorKind, JiraError};
use super::model::{ErrorBody, Manifest};
use super::oauth;
use super::transport;
use bytes::Bytes;
use reqwest::header::HeaderMap;
use serde::de::{DeserializeOwned, DeserializeSeed};
use std::time::{Duration, SystemTime};
use url::Url;

/// Headers worth keeping in an error for the diagnosis (none of them carries a secret).
const RELEVANT_HEADERS: &[&str] = &[
    "x-seraph-loginreason",
    "x-authentication-denied-reason",
    "x-ausername",
    "location",
    "retry-after",
    "x-ratelimit-remaining",
    "www-authenticate",
    "content-type",
];

/// A response read to the end (within the cap).
#[derive(Debug, Clone)]
pub struct Raw {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub method: String,
    pub url: Url,
    /// How many attempts the request took (retries included).
    pub attempts: u32,
}

impl Raw {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as (lossy) text.
    pub fn text(&self) -> String {
        lossy(&self.body).into_owned()
    }

    /// An error of `kind` carrying this response's status, relevant headers and body summary.
    pub fn error(&self, kind: ErrorKind) -> JiraError {
        let mut headers = Vec::new();
        for name in RELEVANT_HEADERS {
            if let Some(v) = self.header(name) {
                let v = if *name == "www-authenticate" && v.contains("oauth_") {
                    // Jira echoes the base string (with our token) here: keep the problem only.
                    match oauth::parse_oauth_problem(Some(v), "") {
                        Some(p) => format!("OAuth oauth_problem={}", p.problem),
                        None => "OAuth".to_string(),
                    }
                } else {
                    v.to_string()
                };
                headers.push((name.to_string(), v));
            }
        }
        JiraError {
            kind: Box::new(kind),
            method: self.method.clone(),
            url: self.url.to_string(),
            status: Some(self.status),
            headers,
            body_summary: body_summary(&self.body),
        }
    }
}

/// A body as text, borrowed when it is valid UTF-8 (Jira's always are).
///
/// `String::from_utf8_lossy` walks the bytes chunk by chunk without the word-at-a-time ASCII
/// path of `str::from_utf8`: in a callgrind profile of a 2,000-project audit its three calls per
/// response were 51 % of all instructions (bench/NOTES.md). The fast check first, the lossy copy
/// only for a body that really is broken.
pub fn lossy(body: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(body) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(body),
    }
}

/// A short, single-line, secret-free summary of a body.
pub fn body_summary(body: &[u8]) -> Option<String> {
    let text = lossy(body);
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(e) = serde_json::from_str::<ErrorBody>(t) {
        if let Some(s) = e.summary() {
            return Some(s);
        }
    }
    if looks_html(t) {
        return Some(format!(
            "HTML page \"{}\"",
            html_title(t).unwrap_or_else(|| "(no title)".into())
        ));
    }
    if let Some(p) = oauth::parse_oauth_problem(None, t) {
        return Some(format!("oauth_problem={}", p.problem));
    }
    Some(snippet(body))
}

/// The first 200 characters of a body on one line.
pub fn snippet(body: &[u8]) -> String {
    let text = lossy(body);
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut s: String = one.chars().take(200).collect();
    if one.chars().count() > 200 {
        s.push('…');
    }
    s
}

fn looks_html(t: &str) -> bool {
    let start: String = t.chars().take(100).collect::<String>().to_ascii_lowercase();
    start.starts_with("<!doctype html") || start.starts_with("<html") || start.contains("<head")
}

/// The `<title>` of an HTML page, whitespace collapsed and common entities decoded.
pub fn html_title(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start + lower[start..].find("</title")?;
    let raw = html.get(start..end)?;
    let t = raw
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'");
    (!t.is_empty()).then_some(t)
}

/// Jira's login page is titled "Log in - <instance title>" (older: "Log In"); SSO pages say
/// "Sign in".
pub fn is_login_title(title: &str) -> bool {
    let t = title.to_ascii_lowercase();
    t.contains("log in") || t.contains("login") || t.contains("sign in") || t.contains("sign-in")
}

/// Read the body with a cap: stop as soon as it grows past `max` bytes.
pub async fn read(
    mut resp: reqwest::Response,
    method: &str,
    url: &Url,
    max: usize,
    attempts: u32,
    timeout: Duration,
) -> Result<Raw, JiraError> {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let too_large = |headers: &HeaderMap| {
        let mut e = JiraError::new(ErrorKind::TooLarge { limit: max }, method, url.as_str());
        e.status = Some(status);
        if let Some(ct) = headers.get("content-type").and_then(|v| v.to_str().ok()) {
            e.headers.push(("content-type".into(), ct.to_string()));
        }
        e
    };
    if resp.content_length().is_some_and(|n| n > max as u64) {
        return Err(too_large(&headers));
    }
    // A body that arrives as one chunk (most Jira answers: hyper hands out a slice of its read
    // buffer) is kept as it is, without a copy; only a second chunk starts a buffer, allocated
    // once when the length is announced (capped, so a lying header cannot make us reserve more
    // than we would ever read).
    let announced = resp.content_length().unwrap_or(0).min(max as u64) as usize;
    let mut first: Option<Bytes> = None;
    let mut buf: Vec<u8> = Vec::new();
    let mut total = 0usize;
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                total += chunk.len();
                if total > max {
                    return Err(too_large(&headers));
                }
                if total == chunk.len() {
                    first = Some(chunk);
                    continue;
                }
                if let Some(f) = first.take() {
                    buf.reserve(announced.max(total));
                    buf.extend_from_slice(&f);
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => return Err(transport::classify(&e, method, url, timeout)),
        }
    }
    Ok(Raw {
        status,
        headers,
        body: first.unwrap_or_else(|| Bytes::from(buf)),
        method: method.to_string(),
        url: url.clone(),
        attempts,
    })
}

/// `Retry-After` as a positive delay: delta-seconds or an HTTP date (RFC 9110 §10.2.3). Zero,
/// negative, past dates and garbage give None, so the caller backs off instead of hammering.
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let v = headers.get("retry-after")?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<i64>() {
        return (secs > 0).then(|| Duration::from_secs(secs as u64));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    at.duration_since(now)
        .ok()
        .filter(|d| !d.is_zero())
        // HTTP dates have second resolution; round up so we never come back early.
        .map(|d| Duration::from_secs(d.as_secs() + u64::from(d.subsec_nanos() > 0)))
}

/// Paths and hosts of login pages and identity providers a redirect may point at.
fn is_login_location(loc: &Url) -> bool {
    let s = format!(
        "{}{}?{}",
        loc.host_str().unwrap_or_default(),
        loc.path(),
        loc.query().unwrap_or_default()
    )
    .to_ascii_lowercase();
    [
        "login",
        "signin",
        "sign-in",
        "saml",
        "sso",
        "oauth2/authorize",
        "adfs",
        "/idp/",
        "openid",
        "auth/realms",
        "okta",
        "/cas/",
        "authorize",
    ]
    .iter()
    .any(|needle| s.contains(needle))
}

/// Where the same resource lives according to a redirect: the Location minus the part of the
/// path that follows the configured context path.
fn base_from_location(raw: &Raw, base_url: &Url, loc: &Url) -> String {
    let rest = raw
        .url
        .path()
        .strip_prefix(base_url.path().trim_end_matches('/'))
        .unwrap_or("");
    let lp = loc.path();
    let mut base = loc.clone();
    base.set_query(None);
    base.set_fragment(None);
    for suffix in [rest.to_string(), format!("{rest}/")] {
        if !rest.is_empty() && lp.ends_with(&suffix) {
            let p = lp[..lp.len() - suffix.len()].to_string();
            base.set_path(&p);
            return base.as_str().trim_end_matches('/').to_string();
        }
    }
    loc.to_string()
}

/// Judge one response; Ok only for a 2xx that passed every silent-failure check.
pub fn classify(
    raw: Raw,
    auth_kind: &'static str,
    our_base_string: Option<String>,
    clock_skew_secs: Option<i64>,
    base_url: &Url,
) -> Result<Raw, JiraError> {
    let creds = auth_kind != "none";
    let seraph = raw.header("x-seraph-loginreason").unwrap_or_default();
    let denied = raw
        .header("x-authentication-denied-reason")
        .unwrap_or_default();
    // Seraph sends `X-Authentication-Denied-Reason: CAPTCHA_CHALLENGE; login-url=<url>` with
    // `X-Seraph-LoginReason: AUTHENTICATION_DENIED` once too many logins failed.
    if denied.to_ascii_uppercase().contains("CAPTCHA") {
        let login_url = denied.split(';').find_map(|part| {
            part.trim()
                .strip_prefix("login-url=")
                .map(|u| u.trim().to_string())
        });
        return Err(raw.error(ErrorKind::Captcha { login_url }));
    }
    let success = (200..300).contains(&raw.status) && !seraph.contains("AUTHENTICATED_FAILED");
    // A successful JSON answer is neither an `oauth_problem` form nor an HTML page, and no
    // message is read from it: its text is not needed at all (most of an audit's bytes).
    // Otherwise borrowed when the body is valid UTF-8 (it always is from Jira).
    let text = if success && json_like(&raw.body) {
        std::borrow::Cow::Borrowed("")
    } else {
        lossy(&raw.body)
    };
    if let Some(mut problem) = oauth::parse_oauth_problem(raw.header("www-authenticate"), &text) {
        // Jira echoes our token inside its base string: keep only a redacted copy.
        if let Some(b) = problem.params.get_mut("oauth_signature_base_string") {
            *b = oauth::redact_base_string(b);
        }
        if let Some(t) = problem.params.get_mut("oauth_token") {
            *t = "[redacted]".to_string();
        }
        return Err(raw.error(ErrorKind::OAuth {
            problem,
            our_base_string,
            clock_skew_secs,
        }));
    }
    if (300..400).contains(&raw.status) {
        let location = raw.header("location").unwrap_or_default().to_string();
        let loc = raw.url.join(&location).ok();
        return Err(match loc {
            Some(l) if is_login_location(&l) => raw.error(ErrorKind::SsoRedirect {
                location: l.to_string(),
            }),
            Some(l) => raw.error(ErrorKind::WrongBaseUrl {
                location: base_from_location(&raw, base_url, &l),
            }),
            None => raw.error(ErrorKind::UnexpectedStatus {
                message: Some(format!(
                    "redirect without a usable Location header ({location:?})"
                )),
            }),
        });
    }
    // Jira's error message is only read on the way to an error: parsing every successful body a
    // second time as an ErrorBody was a full extra JSON pass per response (profile of a 2,000
    // project audit: ~1,500 mypermissions answers of 13 KB each).
    let message = if success {
        None
    } else {
        serde_json::from_str::<ErrorBody>(text.trim())
            .ok()
            .as_ref()
            .and_then(ErrorBody::summary)
    };
    if creds && seraph.contains("AUTHENTICATED_FAILED") {
        return Err(raw.error(ErrorKind::AuthFailed {
            auth_kind,
            login_reason: Some(seraph.to_string()),
            message,
        }));
    }
    if (raw.status == 401 || raw.status == 403) && matches!(auth_kind, "basic" | "cloud-token") {
        let m = message
            .clone()
            .unwrap_or_else(|| text.to_string())
            .to_ascii_lowercase();
        // DC 8.16+: 403 `{"message":"Basic Authentication has been disabled on this instance."}`
        // (codeclou.io, "Disabling Basic Auth in Jira Data Center", 2021); Cloud: 401 "Basic
        // authentication with passwords is deprecated".
        if m.contains("basic auth") && (m.contains("disabled") || m.contains("deprecated")) {
            return Err(raw.error(ErrorKind::BasicAuthDisabled {
                message: message.unwrap_or_else(|| snippet(&raw.body)),
            }));
        }
    }
    // The OAuth dance's token servlets act for no user yet (the request token is what the
    // user approves later), so Jira rightly answers them as `X-AUSERNAME: anonymous`; that is
    // not a fallback.
    let token_servlet = raw.url.path().contains("/plugins/servlet/oauth/");
    let anonymous = !token_servlet
        && raw
            .header("x-ausername")
            .is_some_and(|u| u.trim().eq_ignore_ascii_case("anonymous"));
    if creds && anonymous && (200..300).contains(&raw.status) {
        return Err(raw.error(ErrorKind::AnonymousFallback { auth_kind }));
    }
    // Credentials that never reached Jira's authenticator (a proxy stripped the Authorization
    // header): an endpoint that needs a user answers 401 "Client must be authenticated" for
    // `X-AUSERNAME: anonymous` with no Seraph login reason at all. A wrong password carries
    // `X-Seraph-LoginReason: AUTHENTICATED_FAILED` and a refused OAuth request an
    // `oauth_problem` (both handled above). PATs are left to `token_rejected`: whether Jira sends
    // a login reason for a bad token is not documented, and calling a bad token "ignored" would
    // send the admin hunting for a proxy.
    if creds
        && anonymous
        && raw.status == 401
        && seraph.is_empty()
        && matches!(auth_kind, "basic" | "oauth1")
    {
        return Err(raw.error(ErrorKind::AnonymousFallback { auth_kind }));
    }
    let html_title = if looks_html(text.trim_start()) {
        html_title(&text)
    } else {
        None
    };
    // Seraph reports the login as OK and names the user, yet the call is 401: Jira's
    // `RestUtil.unauthorized` answers a permission check this way (the applinks admin resources
    // for a non-admin, src/sim/applinks.rs `not_admin`). The credentials worked; a permission is
    // missing, so this is no "wrong password".
    let logged_in = seraph.trim().eq_ignore_ascii_case("OK")
        && raw.header("x-ausername").is_some_and(|u| {
            let u = u.trim();
            !u.is_empty() && !u.eq_ignore_ascii_case("anonymous")
        });
    match raw.status {
        200..=299 => Ok(raw),
        401 if creds && logged_in => Err(raw.error(ErrorKind::Forbidden {
            message: message.or(html_title),
        })),
        401 => Err(raw.error(ErrorKind::AuthFailed {
            auth_kind,
            login_reason: (!seraph.is_empty()).then(|| seraph.to_string()),
            message: message.or(html_title),
        })),
        403 => Err(raw.error(ErrorKind::Forbidden {
            message: message.or(html_title),
        })),
        404 => Err(raw.error(ErrorKind::NotFound {
            message,
            title: html_title,
        })),
        429 => {
            let retry_after_secs =
                retry_after(&raw.headers, SystemTime::now()).map(|d| d.as_secs());
            let attempts = raw.attempts;
            Err(raw.error(ErrorKind::RateLimited {
                retry_after_secs,
                attempts,
            }))
        }
        500..=599 => {
            let attempts = raw.attempts;
            Err(raw.error(ErrorKind::ServerError {
                attempts,
                message: message.or(html_title),
            }))
        }
        _ => Err(raw.error(ErrorKind::UnexpectedStatus {
            message: message.or(html_title),
        })),
    }
}

/// True when a body starts (after whitespace) like a JSON object or array.
fn json_like(body: &[u8]) -> bool {
    matches!(body.trim_ascii_start().first(), Some(b'{' | b'['))
}

/// An `html_instead_of_json` error when a 2xx body is an HTML page (its title extracted).
pub fn html_error(raw: &Raw) -> Option<JiraError> {
    // Only the start of the body decides (a JSON object or array never is a page, even with
    // "<head" in a string); the whole of it is read for an HTML page's title.
    let ct_html = raw
        .header("content-type")
        .is_some_and(|c| c.to_ascii_lowercase().contains("text/html"));
    let is_html = ct_html || {
        let start = raw.body.trim_ascii_start();
        !json_like(start) && looks_html(&lossy(&start[..start.len().min(512)]))
    };
    if !is_html {
        return None;
    }
    let text = lossy(&raw.body);
    let title = html_title(text.trim());
    let login_page = title.as_deref().is_some_and(is_login_title);
    Some(raw.error(ErrorKind::Html { title, login_page }))
}

/// Decode a 2xx body as JSON; HTML gets its title extracted, anything else a body snippet.
pub fn decode_json<T: DeserializeOwned>(raw: &Raw) -> Result<T, JiraError> {
    decode_json_seed(raw, std::marker::PhantomData::<T>)
}

/// [`decode_json`] with a seed, for answers of which only a part is kept (see
/// `JiraClient::my_permissions`): the rest is skipped without being built.
pub fn decode_json_seed<T>(
    raw: &Raw,
    seed: impl for<'de> DeserializeSeed<'de, Value = T>,
) -> Result<T, JiraError> {
    let t = raw.body.trim_ascii();
    if t.is_empty() {
        return seed.deserialize(serde_json::Value::Null).map_err(|e| {
            raw.error(ErrorKind::Decode {
                message: format!("empty body where JSON was expected ({e})"),
                snippet: String::new(),
            })
        });
    }
    if let Some(e) = html_error(raw) {
        return Err(e);
    }
    // Jira's bodies are UTF-8; a broken one is read with U+FFFD in place of the bad bytes rather
    // than failing the whole answer over one project name.
    let text = lossy(t);
    let mut de = serde_json::Deserializer::from_str(&text);
    seed.deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| {
            raw.error(ErrorKind::Decode {
                message: e.to_string(),
                snippet: snippet(&raw.body),
            })
        })
}

/// Text of the first `<tag>…</tag>` in a flat XML document.
fn xml_tag(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    Some(
        xml[start..end]
            .trim()
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">"),
    )
}

/// The applinks manifest in its XML form (applinks answers XML unless it honours `Accept`).
pub fn manifest_from_xml(xml: &str) -> Option<Manifest> {
    let all = |tag: &str| -> Vec<String> {
        let open = format!("<{tag}>");
        xml.match_indices(&open)
            .filter_map(|(i, _)| xml_tag(&xml[i..], tag))
            .collect()
    };
    let m = Manifest {
        id: xml_tag(xml, "id"),
        name: xml_tag(xml, "name"),
        type_id: xml_tag(xml, "typeId"),
        version: xml_tag(xml, "version"),
        build_number: xml_tag(xml, "buildNumber"),
        applinks_version: xml_tag(xml, "applinksVersion"),
        url: xml_tag(xml, "url"),
        public_signup: xml_tag(xml, "publicSignup").map(|v| v == "true"),
        inbound_authentication_types: all("inboundAuthenticationTypes"),
        outbound_authentication_types: all("outboundAuthenticationTypes"),
    };
    (m.id.is_some() || m.type_id.is_some()).then_some(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("3"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(3)));
        h.insert("retry-after", HeaderValue::from_static("0"));
        assert_eq!(retry_after(&h, now), None);
        h.insert("retry-after", HeaderValue::from_static("-5"));
        assert_eq!(retry_after(&h, now), None);
        let later = httpdate::fmt_http_date(now + Duration::from_secs(7));
        h.insert("retry-after", HeaderValue::from_str(&later).unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(7)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(7));
        h.insert("retry-after", HeaderValue::from_str(&earlier).unwrap());
        assert_eq!(retry_after(&h, now), None);
    }

    fn answer(status: u16, path: &str, headers: &[(&'static str, &'static str)]) -> Raw {
        let mut h = HeaderMap::new();
        for (k, v) in headers {
            h.insert(*k, HeaderValue::from_static(v));
        }
        Raw {
            status,
            headers: h,
            body: Bytes::from_static(b"{\"message\":\"Client must be authenticated to access this resource.\",\"status-code\":401}"),
            method: "GET".into(),
            url: Url::parse(&format!("https://h.example/jira{path}")).unwrap(),
            attempts: 1,
        }
    }

    fn code(raw: Raw, auth_kind: &'static str) -> Option<super::super::Code> {
        let base = Url::parse("https://h.example/jira").unwrap();
        classify(raw, auth_kind, None, None, &base)
            .err()
            .map(|e| e.code())
    }

    #[test]
    fn captcha_lockout_is_a_403_with_seraph_headers() {
        // Jira's answer (jira-answers.md § "Login failures"; pycontribs/jira#733): 403 with the
        // two Seraph headers. It must not read as a missing permission.
        use super::super::Code;
        let raw = answer(
            403,
            "/rest/api/2/myself",
            &[
                ("x-seraph-loginreason", "AUTHENTICATION_DENIED"),
                (
                    "x-authentication-denied-reason",
                    "CAPTCHA_CHALLENGE; login-url=https://h.example/jira/login.jsp",
                ),
                ("x-ausername", "anonymous"),
            ],
        );
        let base = Url::parse("https://h.example/jira").unwrap();
        let e = classify(raw, "basic", None, None, &base).unwrap_err();
        assert_eq!(e.code(), Code::CaptchaRequired);
        match e.kind() {
            ErrorKind::Captcha { login_url } => assert_eq!(
                login_url.as_deref(),
                Some("https://h.example/jira/login.jsp")
            ),
            k => panic!("{k:?}"),
        }
    }

    #[test]
    fn anonymous_401_without_login_reason_means_ignored_credentials() {
        use super::super::Code;
        let me = "/rest/api/2/myself";
        let anon = [("x-ausername", "anonymous")];
        assert_eq!(
            code(answer(401, me, &anon), "basic"),
            Some(Code::AnonymousFallback)
        );
        assert_eq!(
            code(answer(401, me, &anon), "oauth1"),
            Some(Code::AnonymousFallback)
        );
        // A wrong password carries Seraph's reason; a PAT stays token_rejected.
        let failed = [
            ("x-ausername", "anonymous"),
            ("x-seraph-loginreason", "AUTHENTICATED_FAILED"),
        ];
        assert_eq!(
            code(answer(401, me, &failed), "basic"),
            Some(Code::AuthFailed)
        );
        assert_eq!(
            code(answer(401, me, &anon), "pat"),
            Some(Code::TokenRejected)
        );
        // Without credentials a 401 is just "log in".
        assert_eq!(code(answer(401, me, &anon), "none"), Some(Code::AuthFailed));
    }

    #[test]
    fn a_401_for_a_logged_in_user_is_a_missing_permission() {
        // Jira's applinks admin resources answer a non-admin with 401 (`RestUtil.unauthorized`)
        // while Seraph reports the login as OK and names the user: the credentials were fine.
        use super::super::Code;
        let links = "/rest/applinks/3.0/applinks";
        let ok_alice = [("x-ausername", "alice"), ("x-seraph-loginreason", "OK")];
        for kind in ["basic", "pat", "oauth1"] {
            assert_eq!(
                code(answer(401, links, &ok_alice), kind),
                Some(Code::Forbidden),
                "{kind}"
            );
        }
        // Seraph's OK alone, or an anonymous user, is no proof of a login.
        let ok_anon = [("x-ausername", "anonymous"), ("x-seraph-loginreason", "OK")];
        assert_eq!(
            code(answer(401, links, &ok_anon), "basic"),
            Some(Code::AuthFailed)
        );
        let ok_only = [("x-seraph-loginreason", "OK")];
        assert_eq!(
            code(answer(401, links, &ok_only), "basic"),
            Some(Code::AuthFailed)
        );
    }

    #[test]
    fn oauth_token_servlets_answer_as_anonymous_by_design() {
        use super::super::Code;
        let anon = [("x-ausername", "anonymous")];
        let rt = "/plugins/servlet/oauth/request-token";
        assert_eq!(code(answer(200, rt, &anon), "oauth1"), None);
        assert_eq!(
            code(answer(200, "/rest/api/2/serverInfo", &anon), "oauth1"),
            Some(Code::AnonymousFallback)
        );
    }

    #[test]
    fn titles() {
        let html = "<!DOCTYPE html><html><head><TITLE>\n Log in -  Jira &amp; Co\n</TITLE></head>";
        let t = html_title(html).unwrap();
        assert_eq!(t, "Log in - Jira & Co");
        assert!(is_login_title(&t));
        assert!(!is_login_title("502 Bad Gateway"));
        assert_eq!(html_title("<html><body>x</body></html>"), None);
    }

    #[test]
    fn manifest_xml() {
        let xml = "<?xml version=\"1.0\"?><manifest><id>abc</id><name>Jira</name><typeId>jira</typeId>\
<version>10.3.19</version><buildNumber>10030019</buildNumber><applinksVersion>10.0.4</applinksVersion>\
<inboundAuthenticationTypes>com.atlassian.applinks.api.auth.types.OAuthAuthenticationProvider</inboundAuthenticationTypes>\
<inboundAuthenticationTypes>com.atlassian.applinks.api.auth.types.BasicAuthenticationProvider</inboundAuthenticationTypes>\
<url>https://jira.example.com</url></manifest>";
        let m = manifest_from_xml(xml).unwrap();
        assert_eq!(m.type_id.as_deref(), Some("jira"));
        assert_eq!(m.url.as_deref(), Some("https://jira.example.com"));
        assert_eq!(m.inbound_authentication_types.len(), 2);
        assert!(manifest_from_xml("<html></html>").is_none());
    }

    #[test]
    fn summaries_keep_secrets_out() {
        let b = b"oauth_problem=signature_invalid&oauth_signature_base_string=GET%26x%26oauth_token%253Dsecret";
        assert_eq!(
            body_summary(b).as_deref(),
            Some("oauth_problem=signature_invalid")
        );
        let b = br#"{"errorMessages":["No project"],"errors":{}}"#;
        assert_eq!(body_summary(b).as_deref(), Some("No project"));
    }
}
