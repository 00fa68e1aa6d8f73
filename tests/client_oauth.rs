//! OAuth 1.0a RSA-SHA1 signing checked against an independent computation: the test rebuilds the
//! RFC 5849 base string from what the server received and verifies the signature with the public
//! key; plus the OAuth dance POSTs and the `oauth_problem` diagnoses.

mod client_support;

use base64::Engine;
use client_support::{serve, Canned, Seen, MYSELF};
use jiralink::jira::{
    oauth, Auth, ClientOptions, Code, JiraClient, OAuth1Auth, OAuthToken, RetryPolicy,
};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use rsa::pkcs8::DecodePrivateKey;
use rsa::{Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use secrecy::SecretString;
use sha1::{Digest, Sha1};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use url::Url;

const TEST_KEY: &str = include_str!("data/test_key.pem");

/// RFC 5849 §3.6, written out here rather than borrowed from the crate under test.
const UNRESERVED_ONLY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn enc(s: &str) -> String {
    utf8_percent_encode(s, UNRESERVED_ONLY).to_string()
}

fn key() -> RsaPrivateKey {
    RsaPrivateKey::from_pkcs8_pem(TEST_KEY).unwrap()
}

fn consumer(token: Option<(&str, &str)>) -> OAuth1Auth {
    OAuth1Auth {
        consumer_key: "jiralink-test".into(),
        private_key: Arc::new(key()),
        token: token.map(|(t, s)| OAuthToken {
            token: SecretString::from(t.to_string()),
            secret: SecretString::from(s.to_string()),
        }),
    }
}

fn client(base: &Url, auth: OAuth1Auth) -> JiraClient {
    let mut o = ClientOptions::new(base.clone(), Auth::OAuth1(auth));
    o.timeout = Duration::from_secs(5);
    o.retry = RetryPolicy {
        max_retries: 2,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_secs(2),
    };
    JiraClient::new(o).unwrap()
}

/// The `Authorization: OAuth k="v", …` header, parsed by hand.
fn header_params(h: &str) -> Vec<(String, String)> {
    let rest = h.strip_prefix("OAuth ").expect("OAuth scheme");
    rest.split(',')
        .map(|kv| {
            let (k, v) = kv.trim().split_once('=').unwrap();
            let v = v.trim_matches('"');
            (
                k.to_string(),
                percent_decode_str(v).decode_utf8().unwrap().into_owned(),
            )
        })
        .collect()
}

/// RFC 5849 §3.4.1 from the request as received: method, scheme://host:port/path, and the
/// decoded query + body + header parameters minus `oauth_signature` and `realm`.
fn independent_base_string(r: &Seen, port: u16, form: &[(String, String)]) -> String {
    let auth = r.header("authorization").unwrap();
    let mut params: Vec<(String, String)> = header_params(&auth)
        .into_iter()
        .filter(|(k, _)| k != "oauth_signature" && k != "realm")
        .collect();
    if let Some(q) = &r.query {
        params.extend(url::form_urlencoded::parse(q.as_bytes()).into_owned());
    }
    params.extend(form.iter().cloned());
    let mut encoded: Vec<(String, String)> = params.iter().map(|(k, v)| (enc(k), enc(v))).collect();
    encoded.sort();
    let norm = encoded
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let uri = format!("http://127.0.0.1:{port}{}", r.path);
    format!("{}&{}&{}", r.method, enc(&uri), enc(&norm))
}

fn verify(r: &Seen, port: u16, form: &[(String, String)]) -> String {
    let auth = r.header("authorization").unwrap();
    let params = header_params(&auth);
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(get("oauth_signature_method").as_deref(), Some("RSA-SHA1"));
    assert_eq!(get("oauth_consumer_key").as_deref(), Some("jiralink-test"));
    let sig = base64::engine::general_purpose::STANDARD
        .decode(get("oauth_signature").unwrap())
        .unwrap();
    let base = independent_base_string(r, port, form);
    let public = RsaPublicKey::from(&key());
    public
        .verify(
            Pkcs1v15Sign::new::<Sha1>(),
            &Sha1::digest(base.as_bytes()),
            &sig,
        )
        .unwrap_or_else(|e| panic!("signature does not verify over {base}: {e}"));
    get("oauth_nonce").unwrap()
}

#[tokio::test]
async fn signature_over_query_context_path_port_and_unicode_verifies() {
    let s = serve(|_, _| Canned::json(200, r#"{"issues":[]}"#)).await;
    let port = s.base.port().unwrap();
    assert_ne!(port, 80);
    let c = client(&s.base, consumer(Some(("tök-en", "secret"))));
    let _: serde_json::Value = c
        .get_json(
            "/rest/api/2/search",
            &[
                ("jql", "project = ÄÖÜ AND summary ~ \"a b+c\" ORDER BY key"),
                ("maxResults", "5"),
                ("fields", "summary,status"),
            ],
        )
        .await
        .unwrap();
    let r = &s.requests()[0];
    assert_eq!(r.path, "/jira/rest/api/2/search");
    verify(r, port, &[]);
    let params = header_params(&r.header("authorization").unwrap());
    assert!(params
        .iter()
        .any(|(k, v)| k == "oauth_token" && v == "tök-en"));

    // The crate's own base string agrees with the independent one for the same request.
    let url = Url::parse(&format!(
        "http://127.0.0.1:{port}{}?{}",
        r.path,
        r.query.clone().unwrap()
    ))
    .unwrap();
    let oauth_params: Vec<(String, String)> = params
        .into_iter()
        .filter(|(k, _)| k != "oauth_signature")
        .collect();
    assert_eq!(
        oauth::signature_base_string("GET", &url, &oauth_params),
        independent_base_string(r, port, &[])
    );
}

#[tokio::test]
async fn every_attempt_gets_a_fresh_nonce_and_valid_signature() {
    let s = serve(|_, n| {
        if n < 2 {
            Canned::json(503, "{}")
        } else {
            Canned::json(200, MYSELF)
        }
    })
    .await;
    let port = s.base.port().unwrap();
    let c = client(&s.base, consumer(Some(("tok", "sec"))));
    c.myself().await.unwrap();
    let r = s.requests();
    assert_eq!(r.len(), 3);
    let nonces: Vec<String> = r.iter().map(|r| verify(r, port, &[])).collect();
    assert_ne!(nonces[0], nonces[1]);
    assert_ne!(nonces[1], nonces[2]);
    assert_ne!(nonces[0], nonces[2]);
}

#[tokio::test]
async fn authorization_header_with_callback_verifier_and_form() {
    let url = Url::parse(
        "https://jira.example.com:8443/ctx/plugins/servlet/oauth/access-token?x=%E2%9C%93",
    )
    .unwrap();
    let form = vec![("extra".to_string(), "a b&c".to_string())];
    let token = OAuthToken {
        token: SecretString::from("req-token"),
        secret: SecretString::from("req-secret"),
    };
    let h = oauth::authorization_header(
        "post",
        &url,
        &form,
        &consumer(None),
        Some(&token),
        Some("oob"),
        Some("v3r1f"),
    );
    let params = header_params(&h);
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(get("oauth_callback").as_deref(), Some("oob"));
    assert_eq!(get("oauth_verifier").as_deref(), Some("v3r1f"));
    assert_eq!(get("oauth_token").as_deref(), Some("req-token"));
    let mut all: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "oauth_signature")
        .cloned()
        .collect();
    all.push(("x".into(), "✓".into()));
    all.extend(form.iter().cloned());
    let mut e: Vec<(String, String)> = all.iter().map(|(k, v)| (enc(k), enc(v))).collect();
    e.sort();
    let norm = e
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let base = format!(
        "POST&{}&{}",
        enc("https://jira.example.com:8443/ctx/plugins/servlet/oauth/access-token"),
        enc(&norm)
    );
    let sig = base64::engine::general_purpose::STANDARD
        .decode(get("oauth_signature").unwrap())
        .unwrap();
    RsaPublicKey::from(&key())
        .verify(
            Pkcs1v15Sign::new::<Sha1>(),
            &Sha1::digest(base.as_bytes()),
            &sig,
        )
        .unwrap();
}

#[tokio::test]
async fn oauth_post_request_and_access_token() {
    let s = serve(|r, _| {
        if r.path.ends_with("/request-token") {
            Canned::new(200, "oauth_token=req123&oauth_token_secret=s3cr3t")
        } else {
            Canned::new(
                200,
                "oauth_token=acc456&oauth_token_secret=s3&oauth_expires_in=157680000",
            )
        }
    })
    .await;
    let port = s.base.port().unwrap();
    let c = client(&s.base, consumer(None));
    let m = c
        .oauth_post(
            "/plugins/servlet/oauth/request-token",
            &[("oauth_callback", "oob")],
            None,
        )
        .await
        .unwrap();
    assert_eq!(m.get("oauth_token").map(String::as_str), Some("req123"));
    let req = OAuthToken {
        token: SecretString::from("req123"),
        secret: SecretString::from("s3cr3t"),
    };
    let m = c
        .oauth_post(
            "/plugins/servlet/oauth/access-token",
            &[("oauth_verifier", "AbC123")],
            Some(&req),
        )
        .await
        .unwrap();
    assert_eq!(m.get("oauth_token").map(String::as_str), Some("acc456"));
    let r = s.requests();
    assert_eq!(r[0].method, "POST");
    assert_eq!(r[0].path, "/jira/plugins/servlet/oauth/request-token");
    verify(&r[0], port, &[]);
    verify(&r[1], port, &[]);
    let p0 = header_params(&r[0].header("authorization").unwrap());
    assert!(p0.iter().any(|(k, v)| k == "oauth_callback" && v == "oob"));
    assert!(!p0.iter().any(|(k, _)| k == "oauth_token"));
    let p1 = header_params(&r[1].header("authorization").unwrap());
    assert!(p1.iter().any(|(k, v)| k == "oauth_token" && v == "req123"));
    assert!(p1
        .iter()
        .any(|(k, v)| k == "oauth_verifier" && v == "AbC123"));
}

#[tokio::test]
async fn oauth_post_needs_an_oauth_connection() {
    let s = serve(|_, _| Canned::new(200, "")).await;
    let c = JiraClient::new(ClientOptions::new(s.base.clone(), Auth::None)).unwrap();
    let e = c
        .oauth_post("/plugins/servlet/oauth/request-token", &[], None)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::ConfigError);
    assert!(s.requests().is_empty());
}

#[tokio::test]
async fn oauth_problems_from_header_and_body() {
    let s = serve(|r, _| match r.path.as_str() {
        "/jira/rest/api/2/myself" => Canned::new(401, "").header(
            "www-authenticate",
            "OAuth realm=\"http%3A%2F%2Fjira\", oauth_problem=\"consumer_key_unknown\"",
        ),
        "/jira/plugins/servlet/oauth/access-token" => {
            Canned::new(401, "oauth_problem=token_expired")
        }
        "/jira/plugins/servlet/oauth/request-token" => {
            Canned::new(400, "oauth_problem=verifier_invalid")
        }
        _ => Canned::new(401, "oauth_problem=permission_unknown"),
    })
    .await;
    let c = client(&s.base, consumer(Some(("tok", "sec"))));
    let e = c.myself().await.unwrap_err();
    assert_eq!(e.code(), Code::OauthConsumerUnknown);
    assert!(e.diagnose().fix.contains("jiralink link fields"));
    let e = c
        .oauth_post("/plugins/servlet/oauth/access-token", &[], None)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::OauthTokenExpired);
    let e = c
        .oauth_post("/plugins/servlet/oauth/request-token", &[], None)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::OauthVerifierInvalid);
    let e = c.projects().await.unwrap_err();
    assert_eq!(e.code(), Code::OauthPermissionUnknown);
}

#[tokio::test]
async fn signature_invalid_says_which_part_differs_without_the_token() {
    // Jira behind a TLS-terminating proxy: it verifies against https://jira.example.com/jira.
    let s = serve(|r, _| {
        let theirs = format!(
            "GET&{}&{}",
            enc(&format!("https://jira.example.com{}", r.path)),
            enc("expand=groups%2CapplicationRoles&oauth_consumer_key=jiralink-test&oauth_nonce=1&oauth_signature_method=RSA-SHA1&oauth_timestamp=1&oauth_token=SECRET-TOKEN&oauth_version=1.0")
        );
        let body = format!(
            "oauth_problem=signature_invalid&oauth_signature=abc&oauth_signature_base_string={}&oauth_signature_method=RSA-SHA1",
            enc(&theirs)
        );
        Canned::new(401, &body)
    })
    .await;
    let c = client(&s.base, consumer(Some(("SECRET-TOKEN", "sec"))));
    let e = c.myself().await.unwrap_err();
    assert_eq!(e.code(), Code::OauthSignatureInvalid);
    let d = e.diagnose();
    assert!(d.detail.contains("scheme"), "{d}");
    let all = format!("{d} {e:?}");
    assert!(!all.contains("SECRET-TOKEN"), "{all}");
}

#[tokio::test]
async fn signature_invalid_with_equal_base_strings_blames_the_key() {
    let s = serve(|r, _| {
        let auth = r.header("authorization").unwrap();
        let mut p: Vec<(String, String)> = header_params(&auth)
            .into_iter()
            .filter(|(k, _)| k != "oauth_signature")
            .collect();
        p.extend(
            url::form_urlencoded::parse(r.query.clone().unwrap_or_default().as_bytes())
                .into_owned(),
        );
        let mut e: Vec<(String, String)> = p.iter().map(|(k, v)| (enc(k), enc(v))).collect();
        e.sort();
        let norm = e
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let host = r.header("host").unwrap();
        let theirs = format!(
            "GET&{}&{}",
            enc(&format!("http://{host}{}", r.path)),
            enc(&norm)
        );
        Canned::new(
            401,
            &format!(
                "oauth_problem=signature_invalid&oauth_signature_base_string={}",
                enc(&theirs)
            ),
        )
    })
    .await;
    let c = client(&s.base, consumer(Some(("tok", "sec"))));
    let d = c.myself().await.unwrap_err().diagnose();
    assert_eq!(d.code, Code::OauthSignatureInvalid);
    assert!(d.detail.contains("public key"), "{d}");
}

#[tokio::test]
async fn timestamp_refused_mentions_skew_and_ntp() {
    let s = serve(|_, _| {
        let date = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(1000));
        Canned::new(401, "")
            .header("date", &date)
            .header(
                "www-authenticate",
                "OAuth realm=\"x\", oauth_problem=\"timestamp_refused\", oauth_acceptable_timestamps=\"1-2\"",
            )
    })
    .await;
    let c = client(&s.base, consumer(Some(("tok", "sec"))));
    let d = c.myself().await.unwrap_err().diagnose();
    assert_eq!(d.code, Code::OauthTimestampRefused);
    assert!(d.detail.contains("-100"), "{d}");
    assert!(d.detail.contains("oauth_acceptable_timestamps=1-2"), "{d}");
    assert!(d.fix.contains("timedatectl set-ntp true"));
}
