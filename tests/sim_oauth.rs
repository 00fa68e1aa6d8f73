//! The simulator's OAuth 1.0a provider, driven directly (no HTTP): requests are signed by an
//! independent implementation (oauth1-request's RSA-SHA1), so the provider's own base-string and
//! verification code is checked against someone else's.

use std::num::NonZeroU64;
use std::sync::Arc;

use jiralink::sim::oauth::base_string::{percent_decode, signature_base_string};
use jiralink::sim::oauth::{HttpReply, OAuthProvider, SignedRequest, INVALID_PUBLIC_KEY};
use oauth1_request::{Builder, Credentials, ParameterList, Rsa09Sha1};
use rsa::pkcs8::DecodePrivateKey;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use sha1::{Digest, Sha1};

const PRIVATE_KEY: &str = include_str!("data/test_key.pem");
const PUBLIC_KEY: &str = include_str!("data/test_key_pub.pem");
const PUBLIC_KEY_PKCS1: &str = include_str!("data/test_key_pub_pkcs1.pem");

const BASE: &str = "http://jira.example.com:8080/jira";
const CONSUMER: &str = "jiralink-consumer";
const NOW: i64 = 1_700_000_000;

fn private_key() -> RsaPrivateKey {
    RsaPrivateKey::from_pkcs8_pem(PRIVATE_KEY).unwrap()
}

/// A consumer signing with oauth1-request, independent of the provider's code.
struct Client {
    key: RsaPrivateKey,
    consumer: String,
    nonce: u32,
}

/// One request to sign: what the client puts where.
#[derive(Default)]
struct Call<'a> {
    method: &'a str,
    url: &'a str,
    query: Vec<(&'a str, &'a str)>,
    form: Vec<(&'a str, &'a str)>,
    token: Option<(&'a str, &'a str)>,
    callback: Option<&'a str>,
    verifier: Option<&'a str>,
    timestamp: Option<i64>,
}

impl Client {
    fn new() -> Self {
        Self {
            key: private_key(),
            consumer: CONSUMER.to_string(),
            nonce: 0,
        }
    }

    fn next_nonce(&mut self) -> String {
        self.nonce += 1;
        format!("nonce{}", self.nonce)
    }

    /// The `Authorization` header oauth1-request produces for `call`.
    fn authorization(&mut self, call: &Call<'_>, nonce: &str) -> String {
        let mut b = Builder::<_, _, &str>::new(
            Credentials::new(self.consumer.clone(), String::new()),
            Rsa09Sha1::new(self.key.clone()),
        );
        if let Some((t, s)) = call.token {
            b.token(Credentials::new(t, s));
        }
        b.callback(call.callback)
            .verifier(call.verifier)
            .nonce(nonce)
            .timestamp(NonZeroU64::new(call.timestamp.unwrap_or(NOW) as u64));
        // oauth1-request percent-encodes values but writes keys into the base string verbatim
        // (its serializer docs say so), so keys here stay in the unreserved set; reserved
        // characters in keys are covered by the RFC 5849 example tests below.
        let mut all: Vec<(&str, &str)> = call.query.clone();
        all.extend(call.form.iter().copied());
        b.authorize(call.method, call.url, &ParameterList::new(all))
    }

    fn sign(&mut self, call: &Call<'_>) -> SignedRequest {
        let nonce = self.next_nonce();
        let auth = self.authorization(call, &nonce);
        request(call, Some(auth))
    }
}

fn request(call: &Call<'_>, authorization: Option<String>) -> SignedRequest {
    let own = |v: &[(&str, &str)]| {
        v.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    SignedRequest {
        method: call.method.to_string(),
        url: call.url.to_string(),
        query: own(&call.query),
        form: own(&call.form),
        authorization,
    }
}

fn provider() -> OAuthProvider {
    let p = OAuthProvider::new();
    p.register_consumer(CONSUMER, "jiralink", PUBLIC_KEY, None)
        .unwrap();
    p.set_base_url(BASE);
    p
}

/// Parses a form-encoded body into pairs.
fn form(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k).unwrap(), percent_decode(v).unwrap())
        })
        .collect()
}

fn field(body: &str, name: &str) -> Option<String> {
    form(body)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn problem(reply: &HttpReply) -> String {
    field(&reply.body, "oauth_problem").unwrap_or_default()
}

fn rt_url() -> String {
    format!("{BASE}/plugins/servlet/oauth/request-token")
}
fn at_url() -> String {
    format!("{BASE}/plugins/servlet/oauth/access-token")
}
fn myself_url() -> String {
    format!("{BASE}/rest/api/2/myself")
}

/// request-token → (token, secret).
fn get_request_token(p: &OAuthProvider, c: &mut Client, now: i64) -> (String, String) {
    let url = rt_url();
    let req = c.sign(&Call {
        method: "POST",
        url: &url,
        callback: Some("oob"),
        timestamp: Some(now),
        ..Call::default()
    });
    let r = p.request_token(&req, now);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        field(&r.body, "oauth_callback_confirmed").as_deref(),
        Some("true")
    );
    (
        field(&r.body, "oauth_token").unwrap(),
        field(&r.body, "oauth_token_secret").unwrap(),
    )
}

/// access-token exchange; returns the raw reply.
fn exchange(
    p: &OAuthProvider,
    c: &mut Client,
    token: (&str, &str),
    verifier: Option<&str>,
    now: i64,
) -> HttpReply {
    let url = at_url();
    let req = c.sign(&Call {
        method: "POST",
        url: &url,
        token: Some(token),
        verifier,
        timestamp: Some(now),
        ..Call::default()
    });
    p.access_token(&req, now)
}

/// The whole dance → (access token, secret).
fn dance(p: &OAuthProvider, c: &mut Client) -> (String, String) {
    let (rt, rs) = get_request_token(p, c, NOW);
    let approval = p.approve(&rt, "alice", NOW + 5).unwrap();
    let r = exchange(p, c, (&rt, &rs), Some(&approval.verifier), NOW + 10);
    assert_eq!(r.status, 200, "{}", r.body);
    (
        field(&r.body, "oauth_token").unwrap(),
        field(&r.body, "oauth_token_secret").unwrap(),
    )
}

#[test]
fn full_flow_request_token_approve_access_token_authenticate() {
    let p = provider();
    let mut c = Client::new();
    let (rt, rs) = get_request_token(&p, &mut c, NOW);
    assert_eq!(rt.len(), 32);
    assert_eq!(p.token_secret(&rt).as_deref(), Some(rs.as_str()));

    // The browser part: log in first, then Allow.
    let login = p.authorize_page(&rt, None, BASE);
    assert!(
        login
            .body
            .contains("/jira/login.jsp?permissionViolation=true&amp;os_destination="),
        "{}",
        login.body
    );
    let page = p.authorize_page(&rt, Some("alice"), BASE);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("jiralink"));
    assert!(page.body.contains("value=\"Allow\"") && page.body.contains("value=\"Deny\""));
    assert!(page.body.contains(&format!(
        "action=\"{BASE}/plugins/servlet/oauth/authorize\""
    )));

    let approved = p.allow_page(&rt, "alice");
    assert_eq!(approved.status, 200);
    assert!(approved.body.contains("Access Approved"));
    let marker = "Your verification code is '<span id=\"verifier\">";
    let start = approved.body.find(marker).expect("verification code shown") + marker.len();
    let verifier = &approved.body[start..start + 6];
    assert!(verifier.chars().all(|ch| ch.is_ascii_alphanumeric()));
    assert_eq!(&approved.body[start + 6..start + 14], "</span>'");

    let r = exchange(&p, &mut c, (&rt, &rs), Some(verifier), NOW + 30);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.content_type, "text/plain;charset=UTF-8");
    let names: Vec<String> = form(&r.body).into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        names,
        [
            "oauth_token",
            "oauth_token_secret",
            "oauth_expires_in",
            "oauth_session_handle",
            "oauth_authorization_expires_in"
        ]
    );
    assert_eq!(
        field(&r.body, "oauth_expires_in").as_deref(),
        Some("157680000")
    );
    assert_eq!(
        field(&r.body, "oauth_authorization_expires_in").as_deref(),
        Some("160272000")
    );
    let at = field(&r.body, "oauth_token").unwrap();
    let ats = field(&r.body, "oauth_token_secret").unwrap();
    assert_ne!(at, rt);

    let url = myself_url();
    let req = c.sign(&Call {
        method: "GET",
        url: &url,
        token: Some((&at, &ats)),
        timestamp: Some(NOW + 60),
        ..Call::default()
    });
    assert_eq!(
        p.authenticate(&req, NOW + 60),
        Ok(Some("alice".to_string()))
    );

    // The request token was used up.
    let again = exchange(&p, &mut c, (&rt, &rs), Some(verifier), NOW + 40);
    assert_eq!(
        (again.status, problem(&again)),
        (401, "token_rejected".to_string())
    );
}

#[test]
fn no_oauth_header_is_not_an_oauth_request() {
    let p = provider();
    let url = myself_url();
    let call = Call {
        method: "GET",
        url: &url,
        ..Call::default()
    };
    assert_eq!(p.authenticate(&request(&call, None), NOW), Ok(None));
    let basic = request(&call, Some("Basic YWxpY2U6c2VjcmV0".to_string()));
    assert_eq!(p.authenticate(&basic, NOW), Ok(None));
}

#[test]
fn consumer_key_unknown() {
    let p = provider();
    let mut c = Client::new();
    c.consumer = "someone-else".to_string();
    let url = rt_url();
    let r = p.request_token(
        &c.sign(&Call {
            method: "POST",
            url: &url,
            callback: Some("oob"),
            ..Call::default()
        }),
        NOW,
    );
    assert_eq!(r.status, 401);
    assert_eq!(r.body, "oauth_problem=consumer_key_unknown");
    assert_eq!(
        r.header("WWW-Authenticate"),
        Some(
            "OAuth realm=\"http%3A%2F%2Fjira.example.com%3A8080%2Fjira%2Fplugins%2Fservlet%2Foauth%2Frequest-token\", \
             oauth_problem=\"consumer_key_unknown\""
        )
    );
}

#[test]
fn signature_invalid_reports_the_providers_base_string() {
    let p = provider();
    let mut c = Client::new();
    let (at, ats) = dance(&p, &mut c);
    // The client signs the URL it used; Jira believes it was called on its public base URL
    // (the proxy / wrong base URL case).
    let client_url = "http://10.0.0.5:8080/jira/rest/api/2/myself";
    let mut req = c.sign(&Call {
        method: "GET",
        url: client_url,
        token: Some((&at, &ats)),
        timestamp: Some(NOW + 20),
        ..Call::default()
    });
    req.url = "https://jira.example.com/jira/rest/api/2/myself".to_string();
    let r = p.authenticate(&req, NOW + 20).unwrap_err();
    assert_eq!(r.status, 401);
    assert_eq!(problem(&r), "signature_invalid");
    let base = field(&r.body, "oauth_signature_base_string").unwrap();
    assert!(
        base.starts_with("GET&https%3A%2F%2Fjira.example.com%2Fjira%2Frest%2Fapi%2F2%2Fmyself&"),
        "{base}"
    );
    assert!(base.contains(&format!("oauth_token%3D{at}")));
    assert_eq!(
        field(&r.body, "oauth_signature_method").as_deref(),
        Some("RSA-SHA1")
    );
    assert!(field(&r.body, "oauth_signature").is_some());
    let header = r.header("WWW-Authenticate").unwrap();
    assert!(
        header.starts_with(
            "OAuth realm=\"http%3A%2F%2Fjira.example.com%3A8080%2Fjira\", oauth_problem=\"signature_invalid\""
        ),
        "{header}"
    );
    assert!(
        header.contains("oauth_signature_base_string=\"GET%26https%253A"),
        "{header}"
    );

    // A key that is not the registered one fails the same way.
    let other = RsaPrivateKey::new(&mut rand::thread_rng(), 1024).unwrap();
    let mut c2 = Client {
        key: other,
        consumer: CONSUMER.to_string(),
        nonce: 100,
    };
    let url = rt_url();
    let r = p.request_token(
        &c2.sign(&Call {
            method: "POST",
            url: &url,
            callback: Some("oob"),
            ..Call::default()
        }),
        NOW,
    );
    assert_eq!(
        (r.status, problem(&r)),
        (401, "signature_invalid".to_string())
    );
}

#[test]
fn timestamp_refused_beyond_five_minutes() {
    let p = provider();
    let mut c = Client::new();
    let url = rt_url();
    for (offset, ok) in [(-300, true), (300, true), (-301, false), (301, false)] {
        let r = p.request_token(
            &c.sign(&Call {
                method: "POST",
                url: &url,
                callback: Some("oob"),
                timestamp: Some(NOW + offset),
                ..Call::default()
            }),
            NOW,
        );
        if ok {
            assert_eq!(r.status, 200, "offset {offset}: {}", r.body);
        } else {
            assert_eq!(r.status, 400, "offset {offset}");
            assert_eq!(problem(&r), "timestamp_refused");
            assert_eq!(
                field(&r.body, "oauth_acceptable_timestamps"),
                Some(format!("{}-{}", NOW - 300, NOW + 300))
            );
            assert!(r.header("WWW-Authenticate").unwrap().contains(&format!(
                "oauth_acceptable_timestamps=\"{}-{}\"",
                NOW - 300,
                NOW + 300
            )));
        }
    }
}

#[test]
fn nonce_used_on_replay() {
    let p = provider();
    let mut c = Client::new();
    let (at, ats) = dance(&p, &mut c);
    let url = myself_url();
    let req = c.sign(&Call {
        method: "GET",
        url: &url,
        token: Some((&at, &ats)),
        timestamp: Some(NOW + 20),
        ..Call::default()
    });
    assert_eq!(
        p.authenticate(&req, NOW + 20),
        Ok(Some("alice".to_string()))
    );
    let r = p.authenticate(&req, NOW + 21).unwrap_err();
    assert_eq!((r.status, problem(&r)), (401, "nonce_used".to_string()));
    // Same nonce, different timestamp: a different request.
    let call = Call {
        method: "GET",
        url: &url,
        token: Some((&at, &ats)),
        timestamp: Some(NOW + 22),
        ..Call::default()
    };
    let nonce = format!("nonce{}", c.nonce);
    let auth = c.authorization(&call, &nonce);
    assert_eq!(
        p.authenticate(&request(&call, Some(auth)), NOW + 22),
        Ok(Some("alice".to_string()))
    );
}

#[test]
fn token_rejected_for_unknown_or_request_tokens() {
    let p = provider();
    let mut c = Client::new();
    let url = myself_url();
    let req = c.sign(&Call {
        method: "GET",
        url: &url,
        token: Some(("nosuchtoken", "x")),
        ..Call::default()
    });
    let r = p.authenticate(&req, NOW).unwrap_err();
    assert_eq!((r.status, problem(&r)), (401, "token_rejected".to_string()));

    // A request token cannot call REST.
    let (rt, rs) = get_request_token(&p, &mut c, NOW);
    let req = c.sign(&Call {
        method: "GET",
        url: &url,
        token: Some((&rt, &rs)),
        ..Call::default()
    });
    let r = p.authenticate(&req, NOW).unwrap_err();
    assert_eq!(problem(&r), "token_rejected");

    let r = exchange(&p, &mut c, ("nosuchtoken", "x"), Some("abcdef"), NOW);
    assert_eq!((r.status, problem(&r)), (401, "token_rejected".to_string()));
}

#[test]
fn token_expired_for_old_request_and_access_tokens() {
    let mut p = OAuthProvider::new();
    p.access_token_ttl_secs = 3600;
    p.register_consumer(CONSUMER, "jiralink", PUBLIC_KEY, None)
        .unwrap();
    let mut c = Client::new();

    // Request token: 10 minutes.
    let (rt, rs) = get_request_token(&p, &mut c, NOW);
    let v = p.approve(&rt, "alice", NOW + 60).unwrap();
    let r = exchange(&p, &mut c, (&rt, &rs), Some(&v.verifier), NOW + 601);
    assert_eq!((r.status, problem(&r)), (401, "token_expired".to_string()));
    assert_eq!(
        p.approve(&rt, "alice", NOW + 601),
        Err("token_expired".to_string())
    );
    let page = p.authorize_page_at(&rt, Some("alice"), BASE, NOW + 601);
    assert!(page.body.contains("token_expired"));

    // Access token: the (shortened) lifetime.
    let (rt, rs) = get_request_token(&p, &mut c, NOW);
    let v = p.approve(&rt, "alice", NOW).unwrap();
    let r = exchange(&p, &mut c, (&rt, &rs), Some(&v.verifier), NOW + 1);
    assert_eq!(field(&r.body, "oauth_expires_in").as_deref(), Some("3600"));
    let at = field(&r.body, "oauth_token").unwrap();
    let ats = field(&r.body, "oauth_token_secret").unwrap();
    let url = myself_url();
    let mut call = Call {
        method: "GET",
        url: &url,
        token: Some((&at, &ats)),
        timestamp: Some(NOW + 3601),
        ..Call::default()
    };
    assert_eq!(
        p.authenticate(&c.sign(&call), NOW + 3601),
        Ok(Some("alice".to_string()))
    );
    call.timestamp = Some(NOW + 3602);
    let r = p.authenticate(&c.sign(&call), NOW + 3602).unwrap_err();
    assert_eq!((r.status, problem(&r)), (401, "token_expired".to_string()));
}

#[test]
fn permission_unknown_before_approval_and_denied_after_deny() {
    let p = provider();
    let mut c = Client::new();
    let (rt, rs) = get_request_token(&p, &mut c, NOW);
    let r = exchange(&p, &mut c, (&rt, &rs), Some("abcdef"), NOW + 1);
    assert_eq!(
        (r.status, problem(&r)),
        (401, "permission_unknown".to_string())
    );

    let denied = p.deny_page(&rt);
    assert!(denied.body.contains("Access Denied"));
    let r = exchange(&p, &mut c, (&rt, &rs), Some("abcdef"), NOW + 2);
    assert_eq!(
        (r.status, problem(&r)),
        (401, "permission_denied".to_string())
    );
    assert_eq!(
        p.approve(&rt, "alice", NOW + 3),
        Err("permission_denied".to_string())
    );
    assert!(p
        .authorize_page(&rt, Some("alice"), BASE)
        .body
        .contains("permission_denied"));
    assert_eq!(p.deny("nosuchtoken"), Err("token_rejected".to_string()));
}

#[test]
fn wrong_or_missing_verifier() {
    let p = provider();
    let mut c = Client::new();
    let (rt, rs) = get_request_token(&p, &mut c, NOW);
    let v = p.approve(&rt, "alice", NOW).unwrap();
    assert_eq!(v.verifier.len(), 6);
    let wrong = if v.verifier == "AAAAAA" {
        "BBBBBB"
    } else {
        "AAAAAA"
    };
    // Jira answers a wrong verifier with token_rejected (its AccessTokenServlet).
    let r = exchange(&p, &mut c, (&rt, &rs), Some(wrong), NOW + 1);
    assert_eq!((r.status, problem(&r)), (401, "token_rejected".to_string()));
    let r = exchange(&p, &mut c, (&rt, &rs), None, NOW + 2);
    assert_eq!(
        (r.status, problem(&r)),
        (400, "parameter_absent".to_string())
    );
    assert_eq!(
        field(&r.body, "oauth_parameters_absent").as_deref(),
        Some("oauth_verifier")
    );
    // The failed attempts did not use the token up.
    let r = exchange(&p, &mut c, (&rt, &rs), Some(&v.verifier), NOW + 3);
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn signature_method_rejected_for_hmac() {
    let p = provider();
    let url = rt_url();
    let call = Call {
        method: "POST",
        url: &url,
        ..Call::default()
    };
    let auth = format!(
        "OAuth oauth_consumer_key=\"{CONSUMER}\", oauth_signature_method=\"HMAC-SHA1\", \
         oauth_timestamp=\"{NOW}\", oauth_nonce=\"n1\", oauth_callback=\"oob\", \
         oauth_signature=\"bYT5CMsGcbgUdFHObYMEfcx6bsw%3D\""
    );
    let r = p.request_token(&request(&call, Some(auth)), NOW);
    assert_eq!(
        (r.status, problem(&r)),
        (400, "signature_method_rejected".to_string())
    );
    assert_eq!(
        field(&r.body, "oauth_acceptable_signature_methods").as_deref(),
        Some("RSA-SHA1")
    );
}

#[test]
fn parameter_absent_lists_the_missing_names() {
    let p = provider();
    let mut c = Client::new();
    let url = rt_url();
    // No oauth_callback: required by OAuth 1.0a.
    let r = p.request_token(
        &c.sign(&Call {
            method: "POST",
            url: &url,
            ..Call::default()
        }),
        NOW,
    );
    assert_eq!(
        (r.status, problem(&r)),
        (400, "parameter_absent".to_string())
    );
    assert_eq!(
        field(&r.body, "oauth_parameters_absent").as_deref(),
        Some("oauth_callback")
    );

    let call = Call {
        method: "POST",
        url: &url,
        ..Call::default()
    };
    let auth =
        format!("OAuth oauth_consumer_key=\"{CONSUMER}\", oauth_signature_method=\"RSA-SHA1\"");
    let r = p.request_token(&request(&call, Some(auth)), NOW);
    assert_eq!(problem(&r), "parameter_absent");
    assert_eq!(
        field(&r.body, "oauth_parameters_absent").as_deref(),
        Some("oauth_timestamp&oauth_nonce")
    );
    let r = p.request_token(&request(&call, None), NOW);
    assert_eq!(
        field(&r.body, "oauth_parameters_absent").as_deref(),
        Some("oauth_consumer_key")
    );
}

#[test]
fn callback_url_consumer_gets_a_redirect_instead_of_the_code() {
    let p = provider();
    p.register_consumer(
        CONSUMER,
        "jiralink",
        PUBLIC_KEY,
        Some("https://app.example.com/oauth/callback".to_string()),
    )
    .unwrap();
    let mut c = Client::new();
    let (rt, _) = get_request_token(&p, &mut c, NOW);
    let r = p.allow_page_at(&rt, "alice", NOW + 5);
    assert_eq!(r.status, 302);
    let location = r.header("Location").unwrap();
    let prefix = format!("https://app.example.com/oauth/callback?oauth_token={rt}&oauth_verifier=");
    assert!(location.starts_with(&prefix), "{location}");
    assert_eq!(location.len(), prefix.len() + 6);
    assert!(!r.body.contains("verification code"));
}

#[test]
fn public_key_formats_jira_accepts() {
    let p = OAuthProvider::new();
    // SPKI PEM and the bare base64 body of it (what people paste into Jira's form).
    p.register_consumer("a", "A", PUBLIC_KEY, None).unwrap();
    let body: String = PUBLIC_KEY
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .join("\n");
    p.register_consumer("b", "B", &body, None).unwrap();
    assert!(p.has_consumer("a") && p.has_consumer("b"));
    // PKCS#1 "RSA PUBLIC KEY" is refused, as Jira refuses it.
    assert_eq!(
        p.register_consumer("c", "C", PUBLIC_KEY_PKCS1, None),
        Err(INVALID_PUBLIC_KEY.to_string())
    );
    assert_eq!(
        p.register_consumer("d", "D", PRIVATE_KEY, None),
        Err(INVALID_PUBLIC_KEY.to_string())
    );
    assert!(!p.has_consumer("c") && !p.has_consumer("d"));

    // A consumer registered from the bare body verifies signatures like the PEM one.
    let mut c = Client::new();
    c.consumer = "b".to_string();
    let url = rt_url();
    let r = p.request_token(
        &c.sign(&Call {
            method: "POST",
            url: &url,
            callback: Some("oob"),
            ..Call::default()
        }),
        NOW,
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn replacing_a_consumer_revokes_its_tokens() {
    let p = provider();
    let mut c = Client::new();
    let (at, ats) = dance(&p, &mut c);
    p.register_consumer(CONSUMER, "jiralink", PUBLIC_KEY, None)
        .unwrap();
    let url = myself_url();
    let req = c.sign(&Call {
        method: "GET",
        url: &url,
        token: Some((&at, &ats)),
        timestamp: Some(NOW + 20),
        ..Call::default()
    });
    assert_eq!(
        problem(&p.authenticate(&req, NOW + 20).unwrap_err()),
        "token_rejected"
    );
}

/// RFC 5849 §3.4.1.1's example, with the HMAC-SHA1 method name replaced by RSA-SHA1.
const RFC_BASE_STRING: &str = "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q\
    %26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2\
    %26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DRSA-SHA1%26oauth_timestamp%3D137131201\
    %26oauth_token%3Dkkk9d7dh3k39sjv7";

/// The RFC example request: query `b5=%3D%253D&a3=a&c%40=&a2=r%20b`, body `c2&a3=2+q`,
/// decoded the way the HTTP layer hands them over.
fn rfc_request(signature: &str) -> SignedRequest {
    SignedRequest {
        method: "POST".to_string(),
        url: "http://example.com/request".to_string(),
        query: vec![
            ("b5".to_string(), "=%3D".to_string()),
            ("a3".to_string(), "a".to_string()),
            ("c@".to_string(), String::new()),
            ("a2".to_string(), "r b".to_string()),
        ],
        form: vec![
            ("c2".to_string(), String::new()),
            ("a3".to_string(), "2 q".to_string()),
        ],
        authorization: Some(format!(
            "OAuth realm=\"Example\",\n               oauth_consumer_key=\"9djdj82h48djs9d2\",\n\
             \x20              oauth_token=\"kkk9d7dh3k39sjv7\",\n\
             \x20              oauth_signature_method=\"RSA-SHA1\",\n\
             \x20              oauth_timestamp=\"137131201\",\n\
             \x20              oauth_nonce=\"7d8f3e4a\",\n\
             \x20              oauth_signature=\"{signature}\""
        )),
    }
}

#[test]
fn rfc5849_example_base_string() {
    let req = rfc_request("x");
    let mut params: Vec<(String, String)> = jiralink::sim::oauth::base_string::parse_authorization(
        req.authorization.as_deref().unwrap(),
    )
    .unwrap()
    .unwrap()
    .into_iter()
    .filter(|(k, _)| k != "realm")
    .collect();
    params.extend(req.query.clone());
    params.extend(req.form.clone());
    assert_eq!(
        signature_base_string("POST", &req.url, &params).unwrap(),
        RFC_BASE_STRING
    );
    // Scheme/host case and the default port do not change it.
    assert_eq!(
        signature_base_string("post", "HTTP://EXAMPLE.COM:80/request", &params).unwrap(),
        RFC_BASE_STRING
    );
}

#[test]
fn rfc5849_example_verified_end_to_end() {
    let p = OAuthProvider::new();
    p.register_consumer("9djdj82h48djs9d2", "rfc", PUBLIC_KEY, None)
        .unwrap();
    // Signed here straight from the RFC text, not from the provider's base string.
    let digest = Sha1::digest(RFC_BASE_STRING.as_bytes());
    let sig = private_key()
        .sign(Pkcs1v15Sign::new::<Sha1>(), &digest)
        .unwrap();
    use base64::Engine;
    let sig = base64::engine::general_purpose::STANDARD.encode(sig);
    let encoded = jiralink::sim::oauth::base_string::percent_encode(&sig);
    // The signature verifies, so the provider gets as far as the missing oauth_callback.
    let r = p.request_token(&rfc_request(&encoded), 137_131_201);
    assert_eq!(
        (r.status, problem(&r)),
        (400, "parameter_absent".to_string()),
        "{}",
        r.body
    );
    assert_eq!(
        field(&r.body, "oauth_parameters_absent").as_deref(),
        Some("oauth_callback")
    );

    // A bad signature reports exactly the RFC base string.
    let p = OAuthProvider::new();
    p.register_consumer("9djdj82h48djs9d2", "rfc", PUBLIC_KEY, None)
        .unwrap();
    let r = p.request_token(&rfc_request("AAAA"), 137_131_201);
    assert_eq!(problem(&r), "signature_invalid");
    assert_eq!(
        field(&r.body, "oauth_signature_base_string").as_deref(),
        Some(RFC_BASE_STRING)
    );
}

#[test]
fn percent_encoding_edge_cases_verify_against_an_independent_signer() {
    let p = provider();
    let mut c = Client::new();
    let (at, ats) = dance(&p, &mut c);
    let context = "http://jira.example.com:8080/my%20jira/rest/api/2/search";
    let cases: Vec<Call<'_>> = vec![
        // Unicode and reserved characters in names and values.
        Call {
            method: "GET",
            url: context,
            query: vec![
                ("jql", "project = \"ÄÖÜ\" AND text ~ '☃ & 🦀'"),
                ("fields", "*all,-comment"),
            ],
            ..Call::default()
        },
        // Repeated parameters and a value that looks pre-encoded.
        Call {
            method: "GET",
            url: context,
            query: vec![
                ("expand", "b"),
                ("expand", "a"),
                ("expand", "a%20b"),
                ("sum", "1+1=2"),
            ],
            ..Call::default()
        },
        // Query and form together on a POST, plus an empty value.
        Call {
            method: "POST",
            url: context,
            query: vec![("a", "1"), ("empty", "")],
            form: vec![("a", "0"), ("comment", "line1\nline2 ~!*'();:@&=+$,/?#[]")],
            ..Call::default()
        },
        // Non-default port kept, default port dropped by both sides.
        Call {
            method: "GET",
            url: "http://jira.example.com:8443/rest/api/2/myself",
            ..Call::default()
        },
    ];
    for (i, mut call) in cases.into_iter().enumerate() {
        call.token = Some((&at, &ats));
        let req = c.sign(&call);
        assert_eq!(
            p.authenticate(&req, NOW),
            Ok(Some("alice".to_string())),
            "case {i} ({})",
            call.url
        );
    }

    // Jira (net.oauth `normalizeUrl`) drops the default port and lower-cases scheme and host
    // before building the base string. oauth1-request signs the URI verbatim, so a correct
    // client must do that normalization itself: signing the normalized URL is accepted even when
    // Jira saw `:443` and upper case …
    let call = Call {
        method: "GET",
        url: "https://jira.example.com/jira/rest/api/2/search",
        query: vec![("startAt", "0")],
        token: Some((&at, &ats)),
        ..Call::default()
    };
    let mut req = c.sign(&call);
    req.url = "HTTPS://Jira.Example.com:443/jira/rest/api/2/search".to_string();
    assert_eq!(p.authenticate(&req, NOW), Ok(Some("alice".to_string())));
    // … and signing the `:443` form verbatim is refused, as by Jira.
    let verbatim = Call {
        url: "https://jira.example.com:443/jira/rest/api/2/search",
        ..call
    };
    let r = p.authenticate(&c.sign(&verbatim), NOW).unwrap_err();
    assert_eq!(problem(&r), "signature_invalid");
}

#[test]
fn header_parsing_is_robust_to_spacing_and_case() {
    let p = provider();
    let mut c = Client::new();
    let (at, ats) = dance(&p, &mut c);
    let url = myself_url();
    let call = Call {
        method: "GET",
        url: &url,
        token: Some((&at, &ats)),
        ..Call::default()
    };
    let auth = c.authorization(&call, "spaced");
    // Re-space the header the way other clients write it, and add a realm.
    let spaced = auth
        .replacen("OAuth ", "oauth   realm=\"ignored\" ,  ", 1)
        .replace("\",", "\" ,\n  ");
    assert_eq!(
        p.authenticate(&request(&call, Some(spaced)), NOW),
        Ok(Some("alice".to_string()))
    );
    let broken = request(&call, Some("OAuth oauth_token=\"unterminated".to_string()));
    let r = p.authenticate(&broken, NOW).unwrap_err();
    assert_eq!(
        (r.status, problem(&r)),
        (400, "parameter_rejected".to_string())
    );
}

#[test]
fn concurrent_requests_are_safe() {
    let p = Arc::new(provider());
    let mut c = Client::new();
    let (at, ats) = dance(&p, &mut c);
    let url = myself_url();
    let requests: Vec<SignedRequest> = (0..16)
        .map(|_| {
            c.sign(&Call {
                method: "GET",
                url: &url,
                token: Some((&at, &ats)),
                ..Call::default()
            })
        })
        .collect();
    let handles: Vec<_> = requests
        .into_iter()
        .map(|req| {
            let p = Arc::clone(&p);
            std::thread::spawn(move || p.authenticate(&req, NOW))
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), Ok(Some("alice".to_string())));
    }
}

#[test]
fn access_token_renewal_with_the_session_handle() {
    let p = provider();
    let mut c = Client::new();
    let (rt, rs) = get_request_token(&p, &mut c, NOW);
    let v = p.approve(&rt, "alice", NOW).unwrap();
    let first = exchange(&p, &mut c, (&rt, &rs), Some(&v.verifier), NOW + 1);
    let at = field(&first.body, "oauth_token").unwrap();
    let ats = field(&first.body, "oauth_token_secret").unwrap();
    let handle = field(&first.body, "oauth_session_handle").unwrap();

    let url = at_url();
    let mut call = Call {
        method: "POST",
        url: &url,
        token: Some((&at, &ats)),
        timestamp: Some(NOW + 100),
        ..Call::default()
    };
    // Without the handle: parameter_absent; with a wrong one: token_rejected.
    let r = p.access_token(&c.sign(&call), NOW + 100);
    assert_eq!(
        field(&r.body, "oauth_parameters_absent").as_deref(),
        Some("oauth_session_handle")
    );
    call.form = vec![("oauth_session_handle", "wrong")];
    let r = p.access_token(&c.sign(&call), NOW + 100);
    assert_eq!((r.status, problem(&r)), (401, "token_rejected".to_string()));

    call.form = vec![("oauth_session_handle", &handle)];
    let r = p.access_token(&c.sign(&call), NOW + 100);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(field(&r.body, "oauth_session_handle"), Some(handle.clone()));
    assert_eq!(
        field(&r.body, "oauth_authorization_expires_in").as_deref(),
        Some("160271901")
    );
    let renewed = field(&r.body, "oauth_token").unwrap();
    assert_ne!(renewed, at);
    // The old access token is gone.
    let rest = myself_url();
    let old = c.sign(&Call {
        method: "GET",
        url: &rest,
        token: Some((&at, &ats)),
        timestamp: Some(NOW + 101),
        ..Call::default()
    });
    assert_eq!(
        problem(&p.authenticate(&old, NOW + 101).unwrap_err()),
        "token_rejected"
    );
}

#[test]
fn rejected_parameters_version_and_callback() {
    let p = provider();
    let mut c = Client::new();
    let url = rt_url();
    // A callback that is neither `oob` nor an absolute URL.
    let r = p.request_token(
        &c.sign(&Call {
            method: "POST",
            url: &url,
            callback: Some("not a url"),
            ..Call::default()
        }),
        NOW,
    );
    assert_eq!(
        (r.status, problem(&r)),
        (400, "parameter_rejected".to_string())
    );
    assert_eq!(
        field(&r.body, "oauth_parameters_rejected").as_deref(),
        Some("oauth_callback")
    );

    // A protocol parameter sent twice (header and query).
    let call = Call {
        method: "POST",
        url: &url,
        query: vec![("oauth_nonce", "again")],
        callback: Some("oob"),
        ..Call::default()
    };
    let r = p.request_token(&c.sign(&call), NOW);
    assert_eq!(
        (r.status, problem(&r)),
        (400, "parameter_rejected".to_string())
    );
    assert_eq!(
        field(&r.body, "oauth_parameters_rejected").as_deref(),
        Some("oauth_nonce")
    );

    // Only OAuth 1.0 is spoken.
    let call = Call {
        method: "POST",
        url: &url,
        ..Call::default()
    };
    let auth = format!(
        "OAuth oauth_consumer_key=\"{CONSUMER}\", oauth_version=\"2.0\", oauth_timestamp=\"{NOW}\""
    );
    let r = p.request_token(&request(&call, Some(auth)), NOW);
    assert_eq!(
        (r.status, problem(&r)),
        (400, "version_rejected".to_string())
    );
    assert_eq!(
        field(&r.body, "oauth_acceptable_versions").as_deref(),
        Some("1.0-1.0")
    );
}
