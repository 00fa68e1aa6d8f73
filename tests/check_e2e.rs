//! `check` end to end against the simulator over real loopback HTTP: every auth kind succeeds,
//! and every diagnosis code of issue 2 is produced by a scenario that really causes it. Then the
//! CLI (`jiralink sim` as a child, `connections add`, `check`, `check --json`, exit codes) and the
//! generated list of codes in `docs/diagnoses.md`.

mod common;

use common::*;
use jiralink::check::{check, CheckResult, StepStatus};
use jiralink::jira::oauth::{authorization_header, parse_oauth_problem};
use jiralink::jira::{Auth, Code, ErrorKind, Flavor, JiraClient, JiraError, OAuth1Auth, Severity};
use jiralink::sim::oauth::OAuthProvider;
use jiralink::sim::{Scenario, Sim, SimConfig};
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

fn step(r: &CheckResult, name: &str) -> StepStatus {
    r.steps
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no step {name}: {r:#?}"))
        .status
}

/// A healthy result: no diagnosis at all, the server described, the user known (by name on
/// Server/DC; Cloud has no user names, so there it is the accountId).
fn assert_healthy(r: &CheckResult, user: Option<&str>, deployment: &str) {
    assert!(r.ok, "{r:#?}");
    assert_eq!(r.diagnosis, None, "{r:#?}");
    match user {
        Some(u) => assert_eq!(r.user.as_deref(), Some(u)),
        None => assert!(r.user.as_deref().is_some_and(|u| !u.is_empty()), "{r:#?}"),
    }
    let s = r.server.as_ref().unwrap();
    assert_eq!(s.version.as_deref(), Some("9.12.3"));
    assert_eq!(s.deployment_type.as_deref(), Some(deployment));
    assert!(r.clock_skew_secs.unwrap().abs() <= 2, "{r:#?}");
    assert_eq!(step(r, "auth"), StepStatus::Ok);
    assert_eq!(step(r, "myself"), StepStatus::Ok);
}

// ---------------------------------------------------------------- every auth kind succeeds

#[tokio::test]
async fn basic_auth_succeeds() {
    let sim = sim(Scenario::Normal).await;
    let r = check("prod", opts(sim.base_url(), basic("alice", "alice"))).await;
    assert_healthy(&r, Some("alice"), "Server");
    assert_eq!(step(&r, "server_info"), StepStatus::Ok);
    assert_eq!(step(&r, "manifest"), StepStatus::Ok);
    assert_eq!(step(&r, "signed_call"), StepStatus::Skipped);
}

#[tokio::test]
async fn pat_succeeds() {
    let sim = sim(Scenario::Normal).await;
    let token = sim.pat("admin").unwrap();
    let r = check("prod", opts(sim.base_url(), pat(&token))).await;
    assert_healthy(&r, Some("admin"), "Server");
}

#[tokio::test]
async fn cloud_token_succeeds_against_cloud_mode() {
    let sim = Sim::start(SimConfig {
        projects: 3,
        cloud: true,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let auth = Auth::CloudToken {
        email: sim.email("alice").unwrap(),
        token: SecretString::from(sim.api_token("alice").unwrap()),
    };
    let mut o = opts(sim.base_url(), auth);
    o.flavor = Flavor::Cloud;
    let r = check("cloud", o.clone()).await;
    assert_healthy(&r, None, "Cloud");
    // The password is not the API token on Cloud.
    o.auth = Auth::CloudToken {
        email: sim.email("alice").unwrap(),
        token: SecretString::from("alice"),
    };
    let r = check("cloud", o).await;
    let d = diagnosis(&r, Code::AuthFailed);
    contains(&d, &d.fix, "id.atlassian.com");
}

#[tokio::test]
async fn oauth1_succeeds_with_a_signed_call() {
    let sim = sim(Scenario::Normal).await;
    let at = dance(&sim, "alice").await;
    let r = check("link", opts(sim.base_url(), oauth(CONSUMER, Some(at)))).await;
    assert_healthy(&r, Some("alice"), "Server");
    assert_eq!(step(&r, "signed_call"), StepStatus::Ok, "{r:#?}");
}

// ---------------------------------------------------------------- reaching the server

#[tokio::test]
async fn dns_failed() {
    let url = Url::parse("http://jiralink-e2e-no-such-host.invalid/jira").unwrap();
    let r = check("x", opts(&url, basic("alice", "alice"))).await;
    let d = diagnosis(&r, Code::DnsFailed);
    contains(&d, &d.summary, "jiralink-e2e-no-such-host.invalid");
    assert_eq!(step(&r, "myself"), StepStatus::Skipped);
}

#[tokio::test]
async fn connection_refused() {
    // A port that was just free: bind, note it, close it.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let url = Url::parse(&format!("http://{addr}/jira")).unwrap();
    let r = check("x", opts(&url, basic("alice", "alice"))).await;
    let d = diagnosis(&r, Code::ConnectionRefused);
    contains(&d, &d.summary, &addr.port().to_string());
    assert!(!r.ok);
}

#[tokio::test]
async fn timeout_on_a_slow_server() {
    let sim = sim(Scenario::Slow { latency_ms: 2_000 }).await;
    let mut o = opts(sim.base_url(), basic("alice", "alice"));
    o.timeout = Duration::from_millis(300);
    let started = std::time::Instant::now();
    let r = check("slow", o).await;
    let d = diagnosis(&r, Code::Timeout);
    contains(&d, &d.fix, "timeout_secs");
    assert!(started.elapsed() < Duration::from_millis(1_900), "{r:#?}");
}

#[tokio::test]
async fn tls_untrusted_names_the_issuer_then_ca_file_fixes_it() {
    let sim = sim(Scenario::Normal).await;
    let front = tls_front(sim.addr(), [127, 0, 0, 1]).await;
    let url = Url::parse(&format!("https://127.0.0.1:{}/jira", front.port())).unwrap();
    let r = check("tls", opts(&url, basic("alice", "alice"))).await;
    let d = diagnosis(&r, Code::TlsUntrusted);
    contains(&d, &d.detail, "CN=jiralink Test Internal CA");
    contains(&d, &d.fix, "ca_file");
    // With the internal CA added, the same URL works end to end (the proxy's URL differs from
    // Jira's base URL, which is only a warning).
    let mut o = opts(&url, basic("alice", "alice"));
    o.ca_file = Some(data("test_ca.pem"));
    let r = check("tls", o).await;
    assert!(r.ok, "{r:#?}");
    assert_eq!(r.user.as_deref(), Some("alice"));
    assert_eq!(diagnosis_code(&r), Some(Code::BaseUrlMismatch));
}

fn diagnosis_code(r: &CheckResult) -> Option<Code> {
    r.diagnosis.as_ref().map(|d| d.code)
}

#[tokio::test]
async fn tls_error_when_the_name_is_not_in_the_certificate() {
    let sim = sim(Scenario::Normal).await;
    // The certificate is for localhost / 127.0.0.1; 127.0.0.2 is the same machine by another
    // name, and the CA is trusted, so only the name check fails.
    let front = tls_front(sim.addr(), [127, 0, 0, 2]).await;
    let url = Url::parse(&format!("https://127.0.0.2:{}/jira", front.port())).unwrap();
    let mut o = opts(&url, basic("alice", "alice"));
    o.ca_file = Some(data("test_ca.pem"));
    let r = check("tls", o).await;
    let d = diagnosis(&r, Code::TlsError);
    contains(&d, &d.fix, "host name matches the certificate");
}

#[tokio::test]
async fn tls_error_when_https_meets_a_plain_http_port() {
    let sim = sim(Scenario::Normal).await;
    let url = Url::parse(&format!("https://{}/jira", sim.addr())).unwrap();
    let r = check("tls", opts(&url, basic("alice", "alice"))).await;
    let d = diagnosis(&r, Code::TlsError);
    contains(&d, &d.fix, "http://");
}

// ---------------------------------------------------------------- is it Jira, at this URL?

#[tokio::test]
async fn not_jira() {
    let sim = sim(Scenario::NotJira).await;
    let r = check("web", opts(sim.base_url(), basic("alice", "alice"))).await;
    let d = diagnosis(&r, Code::NotJira);
    // It says what was tried, so the admin does not have to.
    contains(&d, &d.detail, sim.base_url().as_str().trim_end_matches('/'));
    contains(&d, &d.detail, "Also tried");
    contains(&d, &d.fix, "Base URL");
}

#[tokio::test]
async fn wrong_base_url_names_the_working_url() {
    let sim = sim(Scenario::Normal).await;
    // The context path is missing.
    let url = Url::parse(&format!("http://{}/", sim.addr())).unwrap();
    let r = check("ctx", opts(&url, basic("alice", "alice"))).await;
    let d = diagnosis(&r, Code::WrongBaseUrl);
    let working = sim.base_url().as_str().trim_end_matches('/').to_string();
    contains(&d, &d.summary, &working);
    contains(&d, &d.fix, &format!("`{working}`"));
}

#[tokio::test]
async fn base_url_mismatch_behind_a_proxy_is_a_warning() {
    let sim = sim(Scenario::ProxyMismatch).await;
    let r = check("proxy", opts(sim.base_url(), basic("alice", "alice"))).await;
    assert!(r.ok, "{r:#?}");
    let d = diagnosis(&r, Code::BaseUrlMismatch);
    assert_eq!(d.severity, Severity::Warning);
    contains(&d, &d.summary, "https://jira.example.com/jira");
    contains(&d, &d.detail, "OAuth");
    contains(&d, &d.fix, "url = \"https://jira.example.com/jira\"");
}

#[tokio::test]
async fn html_login_page_instead_of_json() {
    let sim = sim(Scenario::HtmlLogin).await;
    let r = check("html", opts(sim.base_url(), basic("alice", "alice"))).await;
    let d = diagnosis(&r, Code::HtmlInsteadOfJson);
    contains(&d, &d.summary, "login page");
    contains(&d, &d.detail, "Log in - Jira");
    contains(&d, &d.detail, "/rest/api/2/myself");
}

#[tokio::test]
async fn sso_redirect() {
    let sim = sim(Scenario::SsoRedirect).await;
    let r = check("sso", opts(sim.base_url(), basic("alice", "alice"))).await;
    let d = diagnosis(&r, Code::SsoRedirect);
    contains(&d, &d.detail, "/idp/saml/login");
    contains(&d, &d.fix, "Personal Access Token");
}

// ---------------------------------------------------------------- credentials

#[tokio::test]
async fn auth_failed_on_a_wrong_password() {
    let sim = sim(Scenario::Normal).await;
    let r = check("pw", opts(sim.base_url(), basic("alice", "wrong"))).await;
    let d = diagnosis(&r, Code::AuthFailed);
    contains(&d, &d.detail, "AUTHENTICATED_FAILED");
    assert_eq!(step(&r, "auth"), StepStatus::Fail);
    assert_eq!(r.user, None);
}

#[tokio::test]
async fn captcha_after_three_bad_passwords_even_with_the_right_one() {
    let sim = sim(Scenario::Normal).await;
    for _ in 0..3 {
        let r = check("pw", opts(sim.base_url(), basic("alice", "wrong"))).await;
        diagnosis(&r, Code::AuthFailed);
    }
    let r = check("pw", opts(sim.base_url(), basic("alice", "alice"))).await;
    let d = diagnosis(&r, Code::CaptchaRequired);
    let login = format!(
        "{}/login.jsp",
        sim.base_url().as_str().trim_end_matches('/')
    );
    contains(&d, &d.fix, &login);
    contains(&d, &d.fix, "browser");
    // Solving it (a browser login) lets the same credentials through again.
    sim.clear_captcha("alice");
    let r = check("pw", opts(sim.base_url(), basic("alice", "alice"))).await;
    assert!(r.ok, "{r:#?}");
}

#[tokio::test]
async fn anonymous_fallback_when_credentials_are_ignored() {
    let sim = sim(Scenario::Anonymous).await;
    let r = check("anon", opts(sim.base_url(), basic("alice", "alice"))).await;
    let d = diagnosis(&r, Code::AnonymousFallback);
    contains(&d, &d.detail, "X-AUSERNAME: anonymous");
    contains(&d, &d.fix, "Authorization header");
}

#[tokio::test]
async fn ignored_pat_is_rejected_with_a_hint_at_the_proxy() {
    // A stripped Bearer header and a bad token look alike (401, no login reason), so the code
    // stays token_rejected, but the fix names both causes.
    let sim = sim(Scenario::Anonymous).await;
    let r = check("pat", opts(sim.base_url(), pat(&sim.pat("alice").unwrap()))).await;
    let d = diagnosis(&r, Code::TokenRejected);
    contains(&d, &d.fix, "strips the Authorization header");
}

#[tokio::test]
async fn token_rejected_for_a_bad_pat() {
    let sim = sim(Scenario::Normal).await;
    let r = check("pat", opts(sim.base_url(), pat("not-a-real-token"))).await;
    let d = diagnosis(&r, Code::TokenRejected);
    contains(&d, &d.fix, "Personal Access Tokens");
    contains(&d, &d.detail, "AUTHENTICATED_FAILED");
    assert!(!d.fix.contains("strips"), "{d}");
    assert!(!d.detail.contains("not-a-real-token"), "{d}");
}

#[tokio::test]
async fn basic_auth_disabled_but_pat_still_works() {
    let sim = sim(Scenario::BasicDisabled).await;
    let r = check("basic", opts(sim.base_url(), basic("alice", "alice"))).await;
    let d = diagnosis(&r, Code::BasicAuthDisabled);
    contains(&d, &d.detail, "Basic Authentication has been disabled");
    contains(&d, &d.fix, "auth = \"pat\"");
    let r = check("pat", opts(sim.base_url(), pat(&sim.pat("alice").unwrap()))).await;
    assert!(r.ok, "{r:#?}");
}

#[tokio::test]
async fn forbidden_for_an_integration_user_reading_schemes() {
    // `check` only calls what every user may call; the audit reads permission schemes, which
    // need 'Administer Jira' (DC contract: 403 for non-admins).
    let sim = sim(Scenario::Normal).await;
    let alice = JiraClient::new(opts(sim.base_url(), basic("alice", "alice"))).unwrap();
    let e = alice.permission_schemes().await.unwrap_err();
    let d = e.diagnose();
    assert_eq!(d.code, Code::Forbidden, "{d}");
    assert_specific(&d);
    contains(&d, &d.detail, "not authorized to view permission schemes");
    contains(&d, &d.fix, "Administer Jira");
    let admin = JiraClient::new(opts(sim.base_url(), basic("admin", "admin"))).unwrap();
    assert!(!admin.permission_schemes().await.unwrap().is_empty());
}

// ---------------------------------------------------------------- an unhappy server

#[tokio::test]
async fn rate_limited_beyond_the_retry_budget() {
    let sim = sim(Scenario::RateLimited {
        every: 1,
        retry_after_secs: 30,
    })
    .await;
    let started = std::time::Instant::now();
    let r = check("rl", opts(sim.base_url(), basic("alice", "alice"))).await;
    let d = diagnosis(&r, Code::RateLimited);
    contains(&d, &d.detail, "Retry-After: 30");
    contains(&d, &d.fix, "Wait 30 s");
    // 30 s is beyond what we may wait (max_delay 2 s): no sleeping through it.
    assert!(started.elapsed() < Duration::from_secs(2), "{r:#?}");
}

#[tokio::test]
async fn rate_limit_within_the_budget_is_ridden_out() {
    // Every 2nd REST call is refused with Retry-After: 1; one retry each gets through.
    let sim = sim(Scenario::RateLimited {
        every: 2,
        retry_after_secs: 1,
    })
    .await;
    let r = check("rl", opts(sim.base_url(), basic("alice", "alice"))).await;
    assert!(r.ok, "{r:#?}");
}

#[tokio::test]
async fn server_error_and_flaky_503() {
    let sim = sim(Scenario::ServerError).await;
    let r = check("500", opts(sim.base_url(), basic("alice", "alice"))).await;
    let d = diagnosis(&r, Code::ServerError);
    contains(&d, &d.summary, "500");
    contains(&d, &d.fix, "atlassian-jira.log");
    sim.set_scenario(Scenario::Flaky { percent: 100 });
    let r = check("503", opts(sim.base_url(), basic("alice", "alice"))).await;
    let d = diagnosis(&r, Code::ServerError);
    contains(&d, &d.summary, "503");
    // One retry allowed: two attempts.
    contains(&d, &d.detail, "after 2 attempts");
}

#[tokio::test]
async fn clock_skew_warns_then_fails() {
    let sim = sim(Scenario::ClockSkew { secs: 120 }).await;
    let r = check("skew", opts(sim.base_url(), basic("alice", "alice"))).await;
    assert!(r.ok, "{r:#?}");
    let skew = r.clock_skew_secs.unwrap();
    assert!((118..=122).contains(&skew), "{skew}");
    let d = diagnosis(&r, Code::ClockSkew);
    assert_eq!(d.severity, Severity::Warning);
    contains(&d, &d.summary, "ahead of");
    contains(&d, &d.fix, "NTP");
    sim.set_scenario(Scenario::ClockSkew { secs: 400 });
    let r = check("skew", opts(sim.base_url(), basic("alice", "alice"))).await;
    assert!(!r.ok, "{r:#?}");
    let d = diagnosis(&r, Code::ClockSkew);
    assert_eq!(d.severity, Severity::Error);
    contains(&d, &d.summary, "ahead of");
    sim.set_scenario(Scenario::ClockSkew { secs: -400 });
    let r = check("skew", opts(sim.base_url(), basic("alice", "alice"))).await;
    assert!(!r.ok, "{r:#?}");
    let d = diagnosis(&r, Code::ClockSkew);
    assert_eq!(d.severity, Severity::Error);
    contains(&d, &d.summary, "behind");
    // Basic auth itself worked: the user is still known.
    assert_eq!(r.user.as_deref(), Some("alice"));
}

// ---------------------------------------------------------------- OAuth through `check`

#[tokio::test]
async fn oauth_consumer_unknown() {
    let sim = sim(Scenario::Normal).await;
    let r = check("link", opts(sim.base_url(), oauth("nobody-knows-me", None))).await;
    let d = diagnosis(&r, Code::OauthConsumerUnknown);
    contains(&d, &d.detail, "consumer_key_unknown");
    contains(&d, &d.fix, "incoming application link");
    // The template names the value, not a placeholder ("with consumer key the configured
    // consumer key" was printed before).
    contains(&d, &d.fix, "consumer key `nobody-knows-me`");
    assert!(!d.fix.contains("the configured consumer key"), "{d}");
    // The provider's request-token endpoint says the same.
    let c = JiraClient::new(opts(sim.base_url(), oauth("nobody-knows-me", None))).unwrap();
    let e = c
        .oauth_post(
            "/plugins/servlet/oauth/request-token",
            &[("oauth_callback", "oob")],
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::OauthConsumerUnknown, "{}", e.diagnose());
}

#[tokio::test]
async fn oauth_signature_invalid_with_the_wrong_key_blames_the_key() {
    let sim = sim(Scenario::Normal).await;
    let at = dance(&sim, "alice").await;
    let other = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 1024).unwrap();
    let r = check(
        "link",
        opts(sim.base_url(), oauth_with(CONSUMER, other, Some(at))),
    )
    .await;
    let d = diagnosis(&r, Code::OauthSignatureInvalid);
    contains(&d, &d.detail, "the key differs");
    contains(&d, &d.fix, "public key");
}

#[tokio::test]
async fn oauth_signature_invalid_behind_a_proxy_says_the_url_differs() {
    let sim = sim(Scenario::Normal).await;
    let at = dance(&sim, "alice").await;
    sim.set_scenario(Scenario::ProxyMismatch);
    let r = check("link", opts(sim.base_url(), oauth(CONSUMER, Some(at)))).await;
    let d = diagnosis(&r, Code::OauthSignatureInvalid);
    contains(&d, &d.detail, "The URL's");
    contains(
        &d,
        &d.detail,
        "Jira verified https://jira.example.com/jira/rest/api/2/myself",
    );
    // The warning that predicted it is kept too.
    assert!(
        r.warnings.iter().any(|w| w.code == Code::BaseUrlMismatch),
        "{r:#?}"
    );
    // No secret leaks into what is shown.
    let shown = format!("{r:?}");
    assert!(!shown.contains("BEGIN PRIVATE KEY"));
}

#[tokio::test]
async fn oauth_timestamp_refused_on_a_skewed_clock() {
    let sim = sim(Scenario::Normal).await;
    let at = dance(&sim, "alice").await;
    sim.set_scenario(Scenario::ClockSkew { secs: 400 });
    let r = check("link", opts(sim.base_url(), oauth(CONSUMER, Some(at)))).await;
    let d = diagnosis(&r, Code::OauthTimestampRefused);
    contains(&d, &d.detail, "timestamp_refused");
    contains(&d, &d.detail, "The server clock differs from ours by");
    contains(&d, &d.fix, "NTP");
    // The clock itself is reported as well.
    assert!(
        r.warnings.iter().any(|w| w.code == Code::ClockSkew),
        "{r:#?}"
    );
}

#[tokio::test]
async fn oauth_token_rejected() {
    let sim = sim(Scenario::Normal).await;
    register(&sim);
    let r = check(
        "link",
        opts(
            sim.base_url(),
            oauth(CONSUMER, Some(token("no-such-token", "x"))),
        ),
    )
    .await;
    let d = diagnosis(&r, Code::OauthTokenRejected);
    contains(&d, &d.fix, "jiralink link authorize");
    assert!(!d.detail.contains("no-such-token"), "{d}");
}

#[tokio::test]
async fn oauth_token_expired_after_the_providers_ttl() {
    let mut provider = OAuthProvider::new();
    provider.access_token_ttl_secs = 60;
    let sim = Sim::start_with_oauth(
        SimConfig {
            projects: 3,
            ..SimConfig::default()
        },
        provider,
    )
    .await
    .unwrap();
    let at = dance(&sim, "alice").await;
    let o = opts(sim.base_url(), oauth(CONSUMER, Some(at)));
    let r = check("link", o.clone()).await;
    assert!(r.ok, "{r:#?}");
    // Two minutes pass on the server: the 60 s token has expired (Jira checks the token's age
    // before the request's timestamp, so the moved clock is not what gets refused).
    sim.set_scenario(Scenario::ClockSkew { secs: 120 });
    let r = check("link", o).await;
    let d = diagnosis(&r, Code::OauthTokenExpired);
    contains(&d, &d.detail, "token_expired");
    contains(&d, &d.fix, "jiralink link authorize");
}

#[tokio::test]
async fn oauth_parameter_absent_without_an_access_token() {
    // The consumer is known but no dance happened yet, and the simulated link does not allow
    // 2-legged OAuth: Jira misses the token.
    let sim = sim(Scenario::Normal).await;
    register(&sim);
    let r = check("link", opts(sim.base_url(), oauth(CONSUMER, None))).await;
    let d = diagnosis(&r, Code::OauthParameterAbsent);
    contains(&d, &d.detail, "oauth_token");
}

#[tokio::test]
async fn oauth_nonce_used_when_a_signed_request_is_replayed() {
    let sim = sim(Scenario::Normal).await;
    let at = dance(&sim, "alice").await;
    let url = Url::parse(&format!("{}/rest/api/2/myself", sim.base_url())).unwrap();
    let consumer = OAuth1Auth {
        consumer_key: CONSUMER.into(),
        private_key: Arc::new(test_key()),
        token: None,
    };
    let header = authorization_header("GET", &url, &[], &consumer, Some(&at), None, None);
    let http = reqwest::Client::new();
    let send = || {
        http.get(url.clone())
            .header("Authorization", header.clone())
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), 200);
    // The very same bytes again, as a retrying proxy would send them.
    let again = send().await.unwrap();
    assert_eq!(again.status(), 401);
    let d = diagnose_answer(again, &url).await;
    assert_eq!(d.code, Code::OauthNonceUsed, "{d}");
    assert_specific(&d);
    contains(&d, &d.fix, "proxy");
}

/// Turn a hand-sent request's OAuth refusal into the client's diagnosis.
async fn diagnose_answer(resp: reqwest::Response, url: &Url) -> jiralink::jira::Diagnosis {
    let challenge = resp
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = resp.text().await.unwrap();
    let problem = parse_oauth_problem(challenge.as_deref(), &body)
        .unwrap_or_else(|| panic!("no oauth_problem in {challenge:?} / {body}"));
    JiraError::new(
        ErrorKind::OAuth {
            problem,
            our_base_string: None,
            clock_skew_secs: None,
        },
        "POST",
        url.as_str(),
    )
    .diagnose()
}

#[tokio::test]
async fn oauth_permission_unknown_then_denied() {
    let sim = sim(Scenario::Normal).await;
    register(&sim);
    let c = JiraClient::new(opts(sim.base_url(), oauth(CONSUMER, None))).unwrap();
    let access = "/plugins/servlet/oauth/access-token";
    // Nobody clicked Allow yet.
    let rt = request_token(&c).await;
    let e = c
        .oauth_post(access, &[("oauth_verifier", "abcdef")], Some(&rt))
        .await
        .unwrap_err();
    let d = e.diagnose();
    assert_eq!(d.code, Code::OauthPermissionUnknown, "{d}");
    assert_specific(&d);
    contains(&d, &d.fix, "Allow");
    // The user clicked Deny.
    sim.oauth().deny(secret(&rt.token)).unwrap();
    let e = c
        .oauth_post(access, &[("oauth_verifier", "abcdef")], Some(&rt))
        .await
        .unwrap_err();
    let d = e.diagnose();
    assert_eq!(d.code, Code::OauthPermissionDenied, "{d}");
    assert_specific(&d);
    contains(&d, &d.fix, "Deny");
}

#[tokio::test]
async fn oauth_signature_method_rejected_and_parameter_absent_by_hand() {
    let sim = sim(Scenario::Normal).await;
    register(&sim);
    let url = Url::parse(&format!(
        "{}/plugins/servlet/oauth/request-token",
        sim.base_url()
    ))
    .unwrap();
    let http = reqwest::Client::new();
    let ts = now().to_string();
    // HMAC-SHA1, which application links do not accept.
    let hmac = format!(
        "OAuth oauth_consumer_key=\"{CONSUMER}\", oauth_signature_method=\"HMAC-SHA1\", \
         oauth_timestamp=\"{ts}\", oauth_nonce=\"e2e-hmac\", oauth_version=\"1.0\", \
         oauth_callback=\"oob\", oauth_signature=\"c2lnbmF0dXJl\""
    );
    let resp = http
        .post(url.clone())
        .header("Authorization", hmac)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let d = diagnose_answer(resp, &url).await;
    assert_eq!(d.code, Code::OauthSignatureMethodRejected, "{d}");
    assert_specific(&d);
    contains(&d, &d.fix, "RSA-SHA1");
    // No nonce, timestamp or signature at all (a proxy that truncates the header).
    let bare = format!("OAuth oauth_consumer_key=\"{CONSUMER}\", oauth_callback=\"oob\"");
    let resp = http
        .post(url.clone())
        .header("Authorization", bare)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let d = diagnose_answer(resp, &url).await;
    assert_eq!(d.code, Code::OauthParameterAbsent, "{d}");
    assert_specific(&d);
    contains(&d, &d.detail, "oauth_parameters_absent");
    contains(&d, &d.fix, "Authorization header");
}

// ---------------------------------------------------------------- docs/diagnoses.md

/// The list of codes, generated from `Code::ALL`.
fn diagnoses_markdown() -> String {
    let mut s = String::from(
        "# Diagnosis codes\n\n\
         <!-- Generated from `Code::ALL` by the test `diagnoses_doc_is_up_to_date` in \
         tests/check_e2e.rs; run it with JIRALINK_BLESS=1 to rewrite this file. -->\n\n\
         `jiralink check` (and the TUI's connections pane) explain every problem as a diagnosis: \
         a stable code, what happened, why, and the fix. `check --json` puts the code in \
         `connections[].diagnosis.code`. Codes are never renamed.\n\n",
    );
    for c in Code::ALL {
        s += &format!("- `{}`: {}\n", c.as_str(), c.description());
    }
    s
}

#[test]
fn diagnoses_doc_is_up_to_date() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/diagnoses.md");
    let want = diagnoses_markdown();
    if std::env::var_os("JIRALINK_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/diagnoses.md is out of date; run `JIRALINK_BLESS=1 cargo test --test check_e2e diagnoses_doc` and commit it"
    );
    // Every code the issue asks for is listed.
    for code in [
        "dns_failed",
        "connection_refused",
        "timeout",
        "tls_untrusted",
        "tls_error",
        "not_jira",
        "wrong_base_url",
        "base_url_mismatch",
        "html_instead_of_json",
        "sso_redirect",
        "auth_failed",
        "captcha_required",
        "anonymous_fallback",
        "token_rejected",
        "basic_auth_disabled",
        "forbidden",
        "rate_limited",
        "server_error",
        "clock_skew",
        "oauth_consumer_unknown",
        "oauth_signature_invalid",
        "oauth_timestamp_refused",
        "oauth_nonce_used",
        "oauth_token_rejected",
        "oauth_token_expired",
        "oauth_permission_unknown",
        "oauth_permission_denied",
        "oauth_signature_method_rejected",
        "oauth_parameter_absent",
    ] {
        assert!(have.contains(&format!("- `{code}`: ")), "{code}");
    }
}

// ---------------------------------------------------------------- the CLI

mod cli {
    use super::*;
    use assert_cmd::Command;
    use serde_json::Value;
    use std::io::{BufRead, BufReader};
    use std::process::{Child, Stdio};

    /// `jiralink sim` as a child process; killed on drop.
    struct SimProcess {
        child: Child,
        base: String,
    }

    impl Drop for SimProcess {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    fn spawn_sim() -> SimProcess {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("jiralink"))
            .args(["sim", "--projects", "3"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .trim_end()
            .strip_prefix("LISTENING ")
            .unwrap_or_else(|| panic!("first line was {line:?}"))
            .to_owned();
        SimProcess { child, base }
    }

    fn jiralink(config: &std::path::Path) -> Command {
        let mut c = Command::cargo_bin("jiralink").unwrap();
        c.env("JIRALINK_CONFIG", config)
            .env("NO_COLOR", "1")
            .env("E2E_ALICE_PW", "alice")
            .env("E2E_WRONG_PW", "not-the-password");
        c
    }

    fn add(config: &std::path::Path, args: &[&str]) {
        jiralink(config)
            .args(["connections", "add"])
            .args(args)
            .assert()
            .code(0);
    }

    /// The documented shape of one `check --json` entry.
    fn assert_shape(c: &Value) {
        let obj = c.as_object().unwrap();
        for k in [
            "name",
            "url",
            "ok",
            "server",
            "user",
            "clock_skew_secs",
            "diagnosis",
        ] {
            assert!(obj.contains_key(k), "{k} missing in {c}");
        }
        assert!(c["name"].is_string() && c["url"].is_string() && c["ok"].is_boolean());
        assert!(c["user"].is_string() || c["user"].is_null());
        assert!(c["clock_skew_secs"].is_i64() || c["clock_skew_secs"].is_null());
        match &c["server"] {
            Value::Null => {}
            s => {
                for k in ["version", "deployment_type", "title"] {
                    assert!(s.get(k).is_some(), "server.{k} missing in {c}");
                }
            }
        }
        match &c["diagnosis"] {
            Value::Null => {}
            d => {
                for k in ["code", "summary", "detail", "fix"] {
                    assert!(d[k].is_string(), "diagnosis.{k} missing in {c}");
                }
            }
        }
    }

    #[tokio::test]
    async fn check_against_a_sim_process_with_exit_codes_and_json() {
        let sim = spawn_sim();
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        // The PAT is printed at start-up and in the control API's state.
        let origin = sim.base.trim_end_matches("/jira").to_string();
        let state: Value = reqwest::get(format!("{origin}/__sim/state"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let pat = state["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["name"] == "admin")
            .unwrap()["pat"]
            .as_str()
            .unwrap()
            .to_owned();
        let pat_file = dir.path().join("pat");
        std::fs::write(&pat_file, &pat).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&pat_file, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let url = sim.base.as_str();
        add(
            &config,
            &[
                "basic-ok",
                "--url",
                url,
                "--auth",
                "basic",
                "--username",
                "alice",
                "--password-env",
                "E2E_ALICE_PW",
                "--timeout-secs",
                "5",
            ],
        );
        add(
            &config,
            &[
                "pat-ok",
                "--url",
                url,
                "--auth",
                "pat",
                "--token-file",
                pat_file.to_str().unwrap(),
            ],
        );
        // admin, not alice: its failed logins must not lock alice behind a CAPTCHA.
        add(
            &config,
            &[
                "bad-pw",
                "--url",
                url,
                "--auth",
                "basic",
                "--username",
                "admin",
                "--password-env",
                "E2E_WRONG_PW",
            ],
        );
        // Healthy connections only: exit 0, one status line each with version and user.
        let out = jiralink(&config)
            .args(["check", "basic-ok", "pat-ok"])
            .assert()
            .code(0)
            .get_output()
            .stdout
            .clone();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("basic-ok") && text.contains("as alice"),
            "{text}"
        );
        assert!(
            text.contains("pat-ok") && text.contains("as admin"),
            "{text}"
        );
        assert!(text.contains("9.12.3"), "{text}");
        assert!(!text.contains(&pat), "the PAT leaked: {text}");
        // All of them: one has a problem, exit 1, and the line explains it.
        let out = jiralink(&config).arg("check").assert().code(1);
        let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        assert!(text.contains("[auth_failed]"), "{text}");
        assert!(text.contains("fix:"), "{text}");
        assert!(!text.contains("not-the-password"), "{text}");
        // JSON: the documented shape.
        let out = jiralink(&config).args(["check", "--json"]).assert().code(1);
        let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        let conns = doc["connections"].as_array().unwrap();
        assert_eq!(conns.len(), 3, "{doc}");
        for c in conns {
            assert_shape(c);
        }
        let by = |n: &str| conns.iter().find(|c| c["name"] == n).unwrap();
        assert_eq!(by("basic-ok")["ok"], true);
        assert_eq!(by("basic-ok")["user"], "alice");
        assert_eq!(by("basic-ok")["diagnosis"], Value::Null);
        assert_eq!(by("basic-ok")["server"]["version"], "9.12.3");
        assert_eq!(by("basic-ok")["server"]["deployment_type"], "Server");
        assert_eq!(by("pat-ok")["user"], "admin");
        assert_eq!(by("bad-pw")["ok"], false);
        assert_eq!(by("bad-pw")["user"], Value::Null);
        assert_eq!(by("bad-pw")["diagnosis"]["code"], "auth_failed");
        assert_eq!(by("bad-pw")["url"], url);
        // Usage errors: exit 2.
        jiralink(&config)
            .args(["check", "no-such-connection"])
            .assert()
            .code(2);
        let empty = dir.path().join("empty.toml");
        jiralink(&empty).arg("check").assert().code(2);
    }

    #[tokio::test]
    async fn check_an_oauth_connection_against_a_sim_process() {
        let sim = spawn_sim();
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        let base = Url::parse(&sim.base).unwrap();
        // Create the incoming link the way an admin's browser does: applinks REST as admin.
        let http = reqwest::Client::new();
        let link: Value = http
            .put(format!("{}/rest/applinks/3.0/applicationlink", sim.base))
            .basic_auth("admin", Some("admin"))
            .header("Accept", "application/json")
            .json(
                &serde_json::json!({"name": "jiralink", "rpcUrl": "https://jiralink.invalid",
                "displayUrl": "https://jiralink.invalid", "typeId": "generic"}),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        // 201 `{"resources-created":[{"href":".../applicationlink/<id>"}]}` (jira-answers.md).
        let id = link["resources-created"][0]["href"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap();
        let public = std::fs::read_to_string(data("test_key_pub.pem")).unwrap();
        let r = http
            .put(format!(
                "{}/rest/applinks-oauth/1.0/applicationlink/{id}/authentication/consumer",
                sim.base
            ))
            .basic_auth("admin", Some("admin"))
            .json(
                &serde_json::json!({"key": CONSUMER, "name": "jiralink", "publicKey": public,
                "outgoing": false, "twoLOAllowed": false}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        // The dance through the client; Allow through the simulator's control API.
        let c = JiraClient::new(opts(&base, oauth(CONSUMER, None))).unwrap();
        let rt = request_token(&c).await;
        let origin = sim.base.trim_end_matches("/jira").to_string();
        let v: Value = http
            .post(format!("{origin}/__sim/approve"))
            .json(&serde_json::json!({"token": secret(&rt.token), "user": "alice"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let verifier = v["verifier"].as_str().unwrap();
        let at = c
            .oauth_post(
                "/plugins/servlet/oauth/access-token",
                &[("oauth_verifier", verifier)],
                Some(&rt),
            )
            .await
            .unwrap();
        // jiralink refuses a private key others can read: use a 0600 copy.
        let key = dir.path().join("link.pem");
        std::fs::copy(data("test_key.pem"), &key).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        add(
            &config,
            &[
                "link",
                "--url",
                &sim.base,
                "--auth",
                "oauth1",
                "--consumer-key",
                CONSUMER,
                "--private-key",
                key.to_str().unwrap(),
            ],
        );
        // What the dance writes: the access token, here from the environment.
        let mut toml = std::fs::read_to_string(&config).unwrap();
        toml += "access_token = { env = \"E2E_ACCESS_TOKEN\" }\n";
        std::fs::write(&config, toml).unwrap();
        let out = jiralink(&config)
            .env("E2E_ACCESS_TOKEN", &at["oauth_token"])
            .args(["check", "--json", "link"])
            .assert()
            .code(0);
        let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        let c = &doc["connections"][0];
        assert_shape(c);
        assert_eq!(c["ok"], true, "{doc}");
        assert_eq!(c["user"], "alice", "{doc}");
        // A token Jira never issued: exit 1 with the OAuth code.
        let out = jiralink(&config)
            .env("E2E_ACCESS_TOKEN", "never-issued")
            .args(["check", "--json", "link"])
            .assert()
            .code(1);
        let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        assert_eq!(
            doc["connections"][0]["diagnosis"]["code"], "oauth_token_rejected",
            "{doc}"
        );
    }
}
