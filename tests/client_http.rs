//! The Jira client over real loopback HTTP: auth headers, every status/header mapping, retries,
//! body cap, and transport failures.

mod client_support;

use client_support::{serve, Canned, MYSELF};
use jiralink::jira::model::{Project, ServerInfo, User};
use jiralink::jira::{Auth, ClientOptions, Code, ErrorKind, Flavor, JiraClient, RetryPolicy};
use secrecy::SecretString;
use std::time::{Duration, Instant, SystemTime};
use url::Url;

fn basic() -> Auth {
    Auth::Basic {
        username: "svc-link".into(),
        password: SecretString::from("hunter2-secret"),
    }
}

fn pat() -> Auth {
    Auth::Pat {
        token: SecretString::from("NzIxODM1-pat-secret"),
    }
}

fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 2,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_secs(3),
    }
}

fn client(base: &Url, auth: Auth) -> JiraClient {
    let mut o = ClientOptions::new(base.clone(), auth);
    o.timeout = Duration::from_secs(5);
    o.retry = fast_retry();
    JiraClient::new(o).unwrap()
}

#[tokio::test]
async fn basic_auth_headers_user_agent_and_context_path() {
    let s = serve(|_, _| Canned::json(200, MYSELF)).await;
    let c = client(&s.base, basic());
    let u = c.myself().await.unwrap();
    assert_eq!(u.login(), "svc-link");
    assert_eq!(u.group_names(), vec!["jira-software-users".to_string()]);
    let r = &s.requests()[0];
    assert_eq!(r.path, "/jira/rest/api/2/myself");
    assert_eq!(r.query.as_deref(), Some("expand=groups%2CapplicationRoles"));
    // base64("svc-link:hunter2-secret")
    assert_eq!(
        r.header("authorization").as_deref(),
        Some("Basic c3ZjLWxpbms6aHVudGVyMi1zZWNyZXQ=")
    );
    assert_eq!(
        r.header("user-agent"),
        Some(format!("jiralink/{}", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(r.header("accept").as_deref(), Some("application/json"));
    assert_eq!(c.request_counter(), 1);
}

#[tokio::test]
async fn pat_and_cloud_token_headers() {
    let s = serve(|_, _| Canned::json(200, MYSELF)).await;
    client(&s.base, pat()).myself().await.unwrap();
    let cloud = Auth::CloudToken {
        email: "ops@example.com".into(),
        token: SecretString::from("ATATT-token"),
    };
    client(&s.base, cloud).myself().await.unwrap();
    client(&s.base, Auth::None).myself().await.unwrap();
    let r = s.requests();
    assert_eq!(
        r[0].header("authorization").as_deref(),
        Some("Bearer NzIxODM1-pat-secret")
    );
    // base64("ops@example.com:ATATT-token")
    assert_eq!(
        r[1].header("authorization").as_deref(),
        Some("Basic b3BzQGV4YW1wbGUuY29tOkFUQVRULXRva2Vu")
    );
    assert_eq!(r[2].header("authorization"), None);
}

#[tokio::test]
async fn secrets_never_in_debug_or_errors() {
    let s = serve(|_, _| {
        Canned::json(401, r#"{"message":"Client must be authenticated to access this resource.","status-code":401}"#)
    })
    .await;
    let c = client(&s.base, basic());
    assert!(!format!("{c:?}").contains("hunter2"));
    let e = c.myself().await.unwrap_err();
    let all = format!("{e:?} {e} {}", e.diagnose());
    assert!(!all.contains("hunter2"), "{all}");
    assert!(!all.contains("c3ZjLWxpbms6"), "{all}");
    assert_eq!(e.code(), Code::AuthFailed);
    assert!(e.diagnose().detail.contains("Client must be authenticated"));
}

#[tokio::test]
async fn retry_after_seconds_is_honoured() {
    let s = serve(|_, n| {
        if n == 0 {
            Canned::json(429, "{}").header("retry-after", "1")
        } else {
            Canned::json(200, MYSELF)
        }
    })
    .await;
    let c = client(&s.base, basic());
    let t = Instant::now();
    c.myself().await.unwrap();
    let r = s.requests();
    assert_eq!(r.len(), 2);
    assert!(r[1].at - r[0].at >= Duration::from_millis(950));
    assert!(t.elapsed() < Duration::from_secs(3));
    assert_eq!(c.request_counter(), 2);
}

#[tokio::test]
async fn retry_after_http_date_is_honoured() {
    let s = serve(|_, n| {
        if n == 0 {
            let at = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
            Canned::json(503, "{}").header("retry-after", &at)
        } else {
            Canned::json(200, MYSELF)
        }
    })
    .await;
    client(&s.base, basic()).myself().await.unwrap();
    let r = s.requests();
    assert_eq!(r.len(), 2);
    // HTTP dates have 1 s resolution: the wait is between 1 and 3 s.
    let gap = r[1].at - r[0].at;
    assert!(gap >= Duration::from_millis(900), "{gap:?}");
    assert!(gap <= Duration::from_millis(3100), "{gap:?}");
}

#[tokio::test]
async fn retry_after_zero_backs_off_and_is_bounded() {
    let s = serve(|_, _| Canned::json(429, "{}").header("retry-after", "0")).await;
    let c = client(&s.base, basic());
    let e = c.myself().await.unwrap_err();
    assert_eq!(e.code(), Code::RateLimited);
    let r = s.requests();
    // max_retries = 2: three attempts, then give up.
    assert_eq!(r.len(), 3);
    for w in r.windows(2) {
        // Never immediately: backoff has a 10 ms floor even when Retry-After says 0.
        assert!(w[1].at - w[0].at >= Duration::from_millis(9));
    }
    match *e.kind {
        ErrorKind::RateLimited { attempts, .. } => assert_eq!(attempts, 3),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn retry_after_longer_than_policy_fails_fast_with_wait_time() {
    let s = serve(|_, _| Canned::json(429, "{}").header("retry-after", "3600")).await;
    let c = client(&s.base, basic());
    let t = Instant::now();
    let e = c.myself().await.unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(2));
    assert_eq!(s.requests().len(), 1);
    assert_eq!(e.code(), Code::RateLimited);
    assert!(e.diagnose().fix.contains("3600"), "{}", e.diagnose().fix);
}

#[tokio::test]
async fn persistent_503_is_server_error_after_retries() {
    let s = serve(|_, _| Canned::new(503, "<html><title>Service Unavailable</title></html>")).await;
    let e = client(&s.base, basic()).myself().await.unwrap_err();
    assert_eq!(e.code(), Code::ServerError);
    assert_eq!(e.status(), Some(503));
    assert_eq!(s.requests().len(), 3);
    assert!(e.diagnose().detail.contains("Service Unavailable"));
}

#[tokio::test]
async fn html_login_page_instead_of_json() {
    let s = serve(|_, _| {
        Canned::new(
            200,
            "<!DOCTYPE html>\n<html><head>\n<title>Log in - ACME Jira</title></head><body>form</body></html>",
        )
        .header("content-type", "text/html;charset=UTF-8")
    })
    .await;
    let e = client(&s.base, basic()).myself().await.unwrap_err();
    assert_eq!(e.code(), Code::HtmlInsteadOfJson);
    match &*e.kind {
        ErrorKind::Html { title, login_page } => {
            assert_eq!(title.as_deref(), Some("Log in - ACME Jira"));
            assert!(login_page);
        }
        other => panic!("{other:?}"),
    }
    let d = e.diagnose();
    assert!(d.summary.contains("login page"), "{d}");
    assert!(d.detail.contains("Log in - ACME Jira"), "{d}");
}

#[tokio::test]
async fn html_portal_page_is_not_a_login_page() {
    let s = serve(|_, _| {
        Canned::new(
            200,
            "<html><head><title>Intranet Portal</title></head></html>",
        )
    })
    .await;
    let e = client(&s.base, basic()).server_info().await.unwrap_err();
    assert_eq!(e.code(), Code::HtmlInsteadOfJson);
    assert!(matches!(
        *e.kind,
        ErrorKind::Html {
            login_page: false,
            ..
        }
    ));
}

#[tokio::test]
async fn redirects_to_login_and_idp_are_sso() {
    let s = serve(|_, n| match n {
        0 => Canned::new(302, "").header(
            "location",
            "/jira/login.jsp?os_destination=%2Frest%2Fapi%2F2%2Fmyself",
        ),
        _ => Canned::new(302, "").header(
            "location",
            "https://idp.example.com/adfs/ls/?SAMLRequest=abc",
        ),
    })
    .await;
    let c = client(&s.base, basic());
    let e = c.myself().await.unwrap_err();
    assert_eq!(e.code(), Code::SsoRedirect);
    assert!(e.diagnose().detail.contains("login.jsp"));
    let e = c.myself().await.unwrap_err();
    assert_eq!(e.code(), Code::SsoRedirect);
    assert!(e.diagnose().detail.contains("idp.example.com"));
    // Redirects are never followed.
    assert_eq!(s.requests().len(), 2);
}

#[tokio::test]
async fn redirect_to_https_is_wrong_base_url_with_location() {
    let s = serve(|r, _| {
        let loc = format!("https://jira.example.com{}", r.path);
        Canned::new(301, "").header("location", &loc)
    })
    .await;
    let e = client(&s.base, basic()).server_info().await.unwrap_err();
    assert_eq!(e.code(), Code::WrongBaseUrl);
    match &*e.kind {
        ErrorKind::WrongBaseUrl { location } => {
            assert_eq!(location, "https://jira.example.com/jira")
        }
        other => panic!("{other:?}"),
    }
    // Another host than the configured one: named, but never suggested as the new url (issue
    // 14 §7: only the same host or its https upgrade is safe advice).
    let fix = e.diagnose().fix;
    assert!(fix.contains("jira.example.com"), "{fix}");
    assert!(!fix.contains("`https://jira.example.com/jira`"), "{fix}");
}

#[tokio::test]
async fn anonymous_fallback_is_detected_only_with_credentials() {
    let s = serve(|_, _| {
        Canned::json(200, r#"[{"id":"1","key":"PUB","name":"Public"}]"#)
            .header("x-ausername", "anonymous")
    })
    .await;
    let e = client(&s.base, basic()).projects().await.unwrap_err();
    assert_eq!(e.code(), Code::AnonymousFallback);
    assert!(e.diagnose().detail.contains("X-AUSERNAME: anonymous"));
    let p = client(&s.base, Auth::None).projects().await.unwrap();
    assert_eq!(p.len(), 1);
}

#[tokio::test]
async fn seraph_authenticated_failed_maps_per_auth_kind() {
    let s =
        serve(|_, _| Canned::new(401, "").header("x-seraph-loginreason", "AUTHENTICATED_FAILED"))
            .await;
    let e = client(&s.base, basic()).myself().await.unwrap_err();
    assert_eq!(e.code(), Code::AuthFailed);
    assert!(e.diagnose().detail.contains("AUTHENTICATED_FAILED"));
    let e = client(&s.base, pat()).myself().await.unwrap_err();
    assert_eq!(e.code(), Code::TokenRejected);
    assert!(e.diagnose().fix.contains("Personal Access Token"));
}

#[tokio::test]
async fn captcha_challenge_names_the_login_url() {
    let s = serve(|_, _| {
        Canned::json(403, r#"{"errorMessages":["CAPTCHA_CHALLENGE"]}"#)
            .header("x-seraph-loginreason", "AUTHENTICATION_DENIED")
            .header(
                "x-authentication-denied-reason",
                "CAPTCHA_CHALLENGE; login-url=https://jira.example.com/login.jsp",
            )
    })
    .await;
    let e = client(&s.base, basic()).myself().await.unwrap_err();
    assert_eq!(e.code(), Code::CaptchaRequired);
    let d = e.diagnose();
    assert!(d.fix.contains("https://jira.example.com/login.jsp"), "{d}");
}

#[tokio::test]
async fn basic_auth_disabled_suggests_pat() {
    let s = serve(|_, _| {
        Canned::json(
            403,
            r#"{"message":"Basic Authentication has been disabled on this instance."}"#,
        )
    })
    .await;
    let e = client(&s.base, basic()).myself().await.unwrap_err();
    assert_eq!(e.code(), Code::BasicAuthDisabled);
    assert!(e.diagnose().fix.contains("auth = \"pat\""));
    // The same 403 for a PAT is a plain permission problem.
    let e = client(&s.base, pat()).myself().await.unwrap_err();
    assert_eq!(e.code(), Code::Forbidden);
}

#[tokio::test]
async fn the_three_error_body_shapes() {
    let s = serve(|r, _| match r.path.as_str() {
        "/jira/rest/api/2/permissionscheme/101001" => Canned::json(
            404,
            r#"{"errorMessages":["Permission scheme 101001 does not exist"],"errors":{}}"#,
        ),
        "/jira/rest/api/2/project/NOPE/role" => Canned::json(400, r#"{"errorMessage":"Edge says no"}"#),
        _ => Canned::json(
            401,
            r#"{"message":"Client must be authenticated to access this resource.","status-code":401}"#,
        ),
    })
    .await;
    let c = client(&s.base, basic());
    let e = c.permission_scheme("101001").await.unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    assert!(e
        .diagnose()
        .detail
        .contains("Permission scheme 101001 does not exist"));
    let e = c.project_roles("NOPE").await.unwrap_err();
    assert_eq!(e.code(), Code::Other);
    assert!(e.diagnose().detail.contains("Edge says no"));
    let e = c.myself().await.unwrap_err();
    assert_eq!(e.code(), Code::AuthFailed);
    assert!(e.diagnose().detail.contains("Client must be authenticated"));
}

#[tokio::test]
async fn body_cap_with_and_without_content_length() {
    let big = format!(
        "[{}]",
        vec![r#"{"id":"1","key":"K","name":"x"}"#; 200].join(",")
    );
    let big2 = big.clone();
    let s = serve(move |_, n| {
        if n == 0 {
            Canned::json(200, &big2)
        } else {
            Canned::json(200, &big2).chunked(20)
        }
    })
    .await;
    let mut o = ClientOptions::new(s.base.clone(), basic());
    o.max_body_bytes = 1000;
    let c = JiraClient::new(o).unwrap();
    for _ in 0..2 {
        let e = c.projects().await.unwrap_err();
        assert_eq!(e.code(), Code::ResponseTooLarge);
    }
    // Under the cap, the same body is fine.
    let c = client(&s.base, basic());
    let p: Vec<Project> = c.projects().await.unwrap();
    assert_eq!(p.len(), 200);
}

#[tokio::test]
async fn dns_failure() {
    let mut o = ClientOptions::new(
        Url::parse("http://nonexistent.invalid/jira").unwrap(),
        basic(),
    );
    o.timeout = Duration::from_secs(10);
    let e = JiraClient::new(o).unwrap().server_info().await.unwrap_err();
    assert_eq!(e.code(), Code::DnsFailed, "{e:?}");
    assert!(e.diagnose().summary.contains("nonexistent.invalid"));
}

#[tokio::test]
async fn connection_refused() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    let url = Url::parse(&format!("http://127.0.0.1:{port}/jira")).unwrap();
    let e = client(&url, basic()).server_info().await.unwrap_err();
    assert_eq!(e.code(), Code::ConnectionRefused, "{e:?}");
    assert!(e.diagnose().summary.contains(&port.to_string()));
}

#[tokio::test]
async fn timeout_on_a_server_that_never_answers() {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = l.accept().await {
            held.push(sock);
        }
    });
    let mut o = ClientOptions::new(Url::parse(&format!("http://{addr}/jira")).unwrap(), basic());
    o.timeout = Duration::from_millis(300);
    let t = Instant::now();
    let e = JiraClient::new(o).unwrap().server_info().await.unwrap_err();
    assert_eq!(e.code(), Code::Timeout, "{e:?}");
    assert!(t.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn wrong_shape_is_invalid_response_with_snippet() {
    let s = serve(|_, _| Canned::json(200, r#"{"projects":"not a list"}"#)).await;
    let e = client(&s.base, basic()).projects().await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidResponse);
    assert!(e.diagnose().detail.contains("not a list"));
}

#[tokio::test]
async fn rate_limit_remaining_and_clock_skew_are_recorded() {
    let s = serve(|_, _| {
        let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
        Canned::json(200, r#"{"baseUrl":"http://x","version":"10.3.19"}"#)
            .header("x-ratelimit-remaining", "42")
            .header("date", &date)
    })
    .await;
    let c = client(&s.base, Auth::None);
    assert_eq!(c.rate_limit_remaining(), None);
    assert_eq!(c.clock_skew_secs(), None);
    let si: ServerInfo = c.server_info().await.unwrap();
    assert_eq!(si.version.as_deref(), Some("10.3.19"));
    assert_eq!(c.rate_limit_remaining(), Some(42));
    let skew = c.clock_skew_secs().unwrap();
    assert!((118..=121).contains(&skew), "{skew}");
    // Siblings share the pool and the counters.
    let sib = c.with_auth(basic());
    assert_eq!(sib.rate_limit_remaining(), Some(42));
    assert_eq!(sib.auth().kind(), "basic");
}

#[tokio::test]
async fn cloud_projects_are_paged_until_is_last() {
    let s = serve(|r, _| {
        let q = r.query.clone().unwrap_or_default();
        if q.contains("startAt=0") {
            Canned::json(
                200,
                r#"{"startAt":0,"maxResults":2,"total":3,"isLast":false,"values":[{"id":10000,"key":"A","name":"a"},{"id":10001,"key":"B","name":"b"}]}"#,
            )
        } else {
            Canned::json(
                200,
                r#"{"startAt":2,"maxResults":2,"total":3,"isLast":true,"values":[{"id":10002,"key":"C","name":"c"}]}"#,
            )
        }
    })
    .await;
    let mut o = ClientOptions::new(s.base.clone(), basic());
    o.flavor = Flavor::Cloud;
    let c = JiraClient::new(o).unwrap();
    assert_eq!(c.flavor(), Flavor::Cloud);
    let p = c.projects().await.unwrap();
    assert_eq!(
        p.iter().map(|p| p.key.as_str()).collect::<Vec<_>>(),
        vec!["A", "B", "C"]
    );
    let r = s.requests();
    assert_eq!(r.len(), 2);
    assert!(r
        .iter()
        .all(|r| r.path == "/jira/rest/api/3/project/search"));
    assert!(r[1].query.as_deref().unwrap().contains("startAt=2"));
}

#[tokio::test]
async fn dc_projects_and_permissions_queries() {
    let s = serve(|r, _| match r.path.as_str() {
        "/jira/rest/api/2/project" => Canned::json(200, r#"[{"id":"10000","key":"ABC","name":"Abc","lead":{"name":"boss"}}]"#),
        _ => Canned::json(
            200,
            r#"{"permissions":{"BROWSE":{"id":"10","key":"BROWSE","havePermission":true,"deprecatedKey":true},"BROWSE_PROJECTS":{"id":"10","key":"BROWSE_PROJECTS","havePermission":true}}}"#,
        ),
    })
    .await;
    let c = client(&s.base, basic());
    let p = c.projects().await.unwrap();
    assert_eq!(p[0].lead.as_ref().unwrap().name.as_deref(), Some("boss"));
    let perms = c
        .my_permissions(Some("ABC"), &["BROWSE_PROJECTS".to_string()])
        .await
        .unwrap();
    assert_eq!(perms.permissions.len(), 1);
    assert_eq!(perms.has("BROWSE_PROJECTS"), Some(true));
    let r = s.requests();
    assert_eq!(r[0].query.as_deref(), Some("expand=lead"));
    assert_eq!(
        r[1].query.as_deref(),
        Some("projectKey=ABC&permissions=BROWSE_PROJECTS")
    );
}

#[tokio::test]
async fn send_json_puts_a_body_and_accepts_204() {
    let s = serve(|_, _| Canned::new(204, "")).await;
    let c = client(&s.base, basic());
    let _: () = c
        .send_json(
            reqwest::Method::PUT,
            "/rest/applinks/1.0/applicationlink/abc",
            &serde_json::json!({"name": "x"}),
        )
        .await
        .unwrap();
    let r = &s.requests()[0];
    assert_eq!(r.method, "PUT");
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(r.body, r#"{"name":"x"}"#);
}

#[tokio::test]
async fn user_lookup_uses_username_on_server() {
    let s = serve(|_, _| Canned::json(200, MYSELF)).await;
    let u: User = client(&s.base, basic()).user("svc link").await.unwrap();
    assert_eq!(u.login(), "svc-link");
    let q = s.requests()[0].query.clone().unwrap();
    assert!(q.starts_with("username=svc+link&expand="), "{q}");
}

#[tokio::test]
async fn explicit_proxy_is_used() {
    // The loopback server plays an HTTP forward proxy: it receives the absolute-form request.
    let s = serve(|_, _| {
        Canned::json(
            200,
            r#"{"baseUrl":"http://jira.example.invalid/jira","version":"9.12.3"}"#,
        )
    })
    .await;
    let mut o = ClientOptions::new(
        Url::parse("http://jira.example.invalid/jira").unwrap(),
        Auth::None,
    );
    o.proxy = Some(s.root.to_string());
    o.timeout = Duration::from_secs(5);
    let si = JiraClient::new(o).unwrap().server_info().await.unwrap();
    assert_eq!(si.version.as_deref(), Some("9.12.3"));
    let r = &s.requests()[0];
    assert_eq!(r.path, "/jira/rest/api/2/serverInfo");
    assert_eq!(r.header("host").as_deref(), Some("jira.example.invalid"));
}

#[tokio::test]
async fn invalid_proxy_is_a_config_error() {
    let mut o = ClientOptions::new(
        Url::parse("http://jira.example.invalid/jira").unwrap(),
        Auth::None,
    );
    o.proxy = Some("http://[::1".into());
    let e = JiraClient::new(o).unwrap_err();
    assert_eq!(e.code(), Code::ConfigError);
}
