//! `check()` end to end against small fake Jiras on loopback: a healthy instance, a wrong context
//! path, a non-Jira server, rejected credentials, base URL mismatch, clock skew, insecure TLS.

mod client_support;

use client_support::{serve, Canned, Seen, MYSELF};
use jiralink::check::{check, StepStatus};
use jiralink::jira::{Auth, ClientOptions, Code, OAuth1Auth, OAuthToken};
use rsa::pkcs8::DecodePrivateKey;
use secrecy::SecretString;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use url::Url;

fn basic() -> Auth {
    Auth::Basic {
        username: "svc-link".into(),
        password: SecretString::from("pw"),
    }
}

fn opts(base: &Url, auth: Auth) -> ClientOptions {
    let mut o = ClientOptions::new(base.clone(), auth);
    o.timeout = Duration::from_secs(5);
    o.retry.max_retries = 1;
    o.retry.base_delay = Duration::from_millis(10);
    o
}

/// A fake Jira living under `/jira`; `reported` is the base URL it believes it has.
fn jira(reported: Option<String>, skew_secs: i64) -> impl Fn(&Seen, usize) -> Canned + Send + Sync {
    move |r, _| {
        let host = r.header("host").unwrap_or_default();
        let base = reported
            .clone()
            .unwrap_or_else(|| format!("http://{host}/jira"));
        let now = SystemTime::now();
        let at = if skew_secs >= 0 {
            now + Duration::from_secs(skew_secs as u64)
        } else {
            now - Duration::from_secs(skew_secs.unsigned_abs())
        };
        let date = httpdate::fmt_http_date(at);
        let c = match r.path.as_str() {
            "/jira/rest/api/2/serverInfo" => Canned::json(
                200,
                &format!(
                    r#"{{"baseUrl":"{base}","version":"10.3.19","versionNumbers":[10,3,19],"deploymentType":"Server","buildNumber":10030019,"serverTitle":"ACME Jira"}}"#
                ),
            ),
            "/jira/rest/applinks/1.0/manifest" => Canned::json(
                200,
                &format!(
                    r#"{{"id":"8835b6b9","name":"ACME Jira","typeId":"jira","version":"10.3.19","buildNumber":10030019,"applinksVersion":"10.0.4","url":"{base}","inboundAuthenticationTypes":["com.atlassian.applinks.api.auth.types.OAuthAuthenticationProvider"]}}"#
                ),
            ),
            "/jira/rest/api/2/myself" => {
                if r.header("authorization").as_deref() == Some("Basic c3ZjLWxpbms6d3Jvbmc=") {
                    Canned::json(401, r#"{"message":"Client must be authenticated to access this resource.","status-code":401}"#)
                        .header("x-seraph-loginreason", "AUTHENTICATED_FAILED")
                } else {
                    Canned::json(200, MYSELF)
                }
            }
            "/jira/rest/api/2/mypermissions" => Canned::json(
                200,
                r#"{"permissions":{"BROWSE_PROJECTS":{"id":"10","key":"BROWSE_PROJECTS","havePermission":true}}}"#,
            ),
            _ => Canned::new(
                404,
                "<html><head><title>404 Not Found</title></head></html>",
            )
            .header("content-type", "text/html"),
        };
        c.header("date", &date)
    }
}

fn step(r: &jiralink::check::CheckResult, name: &str) -> StepStatus {
    r.steps
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no step {name}: {:?}", r.steps))
        .status
}

#[tokio::test]
async fn healthy_instance() {
    let s = serve(jira(None, 0)).await;
    let r = check("acme", opts(&s.base, basic())).await;
    assert!(r.ok, "{r:#?}");
    assert_eq!(r.diagnosis, None, "{r:#?}");
    assert!(r.warnings.is_empty());
    assert_eq!(r.user.as_deref(), Some("svc-link"));
    let server = r.server.clone().unwrap();
    assert_eq!(server.version.as_deref(), Some("10.3.19"));
    assert_eq!(server.title.as_deref(), Some("ACME Jira"));
    for n in ["server_info", "manifest", "auth", "myself"] {
        assert_eq!(step(&r, n), StepStatus::Ok);
    }
    assert_eq!(step(&r, "signed_call"), StepStatus::Skipped);
    assert!(r.clock_skew_secs.unwrap().abs() <= 2);
    // The anonymous probes carried no credentials.
    for q in s.requests().iter().filter(|q| !q.path.ends_with("/myself")) {
        assert_eq!(q.header("authorization"), None, "{}", q.path);
    }
}

#[tokio::test]
async fn oauth_instance_makes_a_signed_call() {
    let s = serve(jira(None, 0)).await;
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(include_str!("data/test_key.pem")).unwrap();
    let auth = Auth::OAuth1(OAuth1Auth {
        consumer_key: "jiralink-test".into(),
        private_key: Arc::new(key),
        token: Some(OAuthToken {
            token: SecretString::from("tok"),
            secret: SecretString::from("sec"),
        }),
    });
    let r = check("acme", opts(&s.base, auth)).await;
    assert!(r.ok, "{r:#?}");
    assert_eq!(step(&r, "signed_call"), StepStatus::Ok);
    assert!(s
        .requests()
        .iter()
        .any(|q| q.path.ends_with("/mypermissions")
            && q.header("authorization")
                .unwrap_or_default()
                .starts_with("OAuth ")));
}

#[tokio::test]
async fn base_url_mismatch_is_a_warning() {
    let s = serve(jira(Some("https://jira.example.com/jira".into()), 0)).await;
    let r = check("acme", opts(&s.base, basic())).await;
    assert!(r.ok);
    let d = r.diagnosis.clone().unwrap();
    assert_eq!(d.code, Code::BaseUrlMismatch);
    assert!(!d.is_error());
    assert!(d.summary.contains("https://jira.example.com/jira"));
    assert!(d.detail.contains("OAuth"));
}

#[tokio::test]
async fn wrong_context_path_names_the_working_url() {
    let s = serve(jira(None, 0)).await;
    let r = check("acme", opts(&s.root, basic())).await;
    assert!(!r.ok);
    let d = r.diagnosis.clone().unwrap();
    assert_eq!(d.code, Code::WrongBaseUrl, "{d}");
    assert!(d.fix.contains(&format!("{}jira", s.root)), "{d}");
    assert_eq!(step(&r, "auth"), StepStatus::Skipped);
}

#[tokio::test]
async fn a_server_that_is_not_jira() {
    let s = serve(|_, _| {
        Canned::new(
            404,
            "<html><head><title>Welcome to nginx</title></head></html>",
        )
        .header("content-type", "text/html")
    })
    .await;
    let r = check("web", opts(&s.base, basic())).await;
    assert!(!r.ok);
    let d = r.diagnosis.clone().unwrap();
    assert_eq!(d.code, Code::NotJira, "{d}");
    assert_eq!(step(&r, "server_info"), StepStatus::Fail);
    assert_eq!(step(&r, "manifest"), StepStatus::Fail);
}

#[tokio::test]
async fn rejected_password() {
    let s = serve(jira(None, 0)).await;
    let auth = Auth::Basic {
        username: "svc-link".into(),
        password: SecretString::from("wrong"),
    };
    let r = check("acme", opts(&s.base, auth)).await;
    assert!(!r.ok);
    assert_eq!(r.diagnosis.clone().unwrap().code, Code::AuthFailed);
    assert_eq!(step(&r, "server_info"), StepStatus::Ok);
    assert_eq!(step(&r, "auth"), StepStatus::Fail);
    assert_eq!(step(&r, "myself"), StepStatus::Skipped);
    assert_eq!(r.user, None);
}

#[tokio::test]
async fn clock_skew_warning_and_error() {
    let s = serve(jira(None, 120)).await;
    let r = check("acme", opts(&s.base, basic())).await;
    assert!(r.ok);
    let d = r.diagnosis.clone().unwrap();
    assert_eq!(d.code, Code::ClockSkew);
    assert!(!d.is_error());
    assert!(d.fix.contains("timedatectl set-ntp true"));

    let s = serve(jira(None, -400)).await;
    let r = check("acme", opts(&s.base, basic())).await;
    assert!(!r.ok);
    let d = r.diagnosis.clone().unwrap();
    assert_eq!(d.code, Code::ClockSkew);
    assert!(d.is_error());
    assert!(d.summary.contains("behind"));
}

#[tokio::test]
async fn insecure_tls_is_flagged() {
    let s = serve(jira(None, 0)).await;
    let mut o = opts(&s.base, basic());
    o.insecure = true;
    let r = check("acme", o).await;
    assert!(r.ok);
    assert!(r.warnings.iter().any(|w| w.code == Code::InsecureTls));
}

#[tokio::test]
async fn unreachable_server_skips_the_rest() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    let url = Url::parse(&format!("http://127.0.0.1:{port}/jira")).unwrap();
    let r = check("gone", opts(&url, basic())).await;
    assert!(!r.ok);
    assert_eq!(r.diagnosis.clone().unwrap().code, Code::ConnectionRefused);
    assert_eq!(step(&r, "auth"), StepStatus::Skipped);
    let json = serde_json::to_value(&r.steps).unwrap();
    assert_eq!(json[0]["status"], "fail");
}

#[tokio::test]
async fn bad_ca_file_is_a_config_error() {
    let mut o = opts(&Url::parse("https://jira.example.com").unwrap(), basic());
    o.ca_file = Some("/nonexistent/ca.pem".into());
    let r = check("acme", o).await;
    assert!(!r.ok);
    let d = r.diagnosis.clone().unwrap();
    assert_eq!(d.code, Code::ConfigError);
    assert!(d.detail.contains("/nonexistent/ca.pem"));
}

#[tokio::test]
async fn anonymous_refused_then_authenticated_server_info_works() {
    let inner = jira(None, 0);
    let s = serve(move |r, n| {
        if r.header("authorization").is_none() {
            Canned::json(401, r#"{"message":"Client must be authenticated to access this resource.","status-code":401}"#)
        } else {
            inner(r, n)
        }
    })
    .await;
    let r = check("locked", opts(&s.base, basic())).await;
    assert!(r.ok, "{r:#?}");
    assert_eq!(step(&r, "server_info"), StepStatus::Ok);
    assert_eq!(step(&r, "manifest"), StepStatus::Warn);
    assert_eq!(r.user.as_deref(), Some("svc-link"));
}

#[tokio::test]
async fn sso_login_page_everywhere_is_not_called_not_jira() {
    let s = serve(|_, _| {
        Canned::new(
            200,
            "<html><head><title>Sign in to your account</title></head></html>",
        )
        .header("content-type", "text/html")
    })
    .await;
    let r = check("sso", opts(&s.base, basic())).await;
    assert!(!r.ok);
    assert_eq!(r.diagnosis.clone().unwrap().code, Code::HtmlInsteadOfJson);
}

/// Issue 14 §4: `/myself` answering `{}` (a proxy, a garbage token behind a broken plugin) names
/// no user; it is a diagnosis and never a green check "as ?".
#[tokio::test]
async fn empty_identity_is_not_ok() {
    let inner = jira(None, 0);
    let s = serve(move |r, n| {
        if r.path == "/jira/rest/api/2/myself" {
            Canned::json(200, "{}")
        } else {
            inner(r, n)
        }
    })
    .await;
    let r = check("acme", opts(&s.base, basic())).await;
    assert!(!r.ok, "{r:?}");
    let d = r.diagnosis.clone().unwrap();
    assert_eq!(d.code, Code::InvalidResponse);
    assert!(d.detail.contains("names no user"), "{d:?}");
    assert_eq!(step(&r, "auth"), StepStatus::Fail);
    assert_eq!(r.user, None);
}
