//! Every failure scenario of the simulator, over real loopback HTTP, switched live.
use jiralink::sim::{Scenario, Sim, SimConfig};
use serde_json::Value;
use std::time::{Duration, Instant, SystemTime};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn myself(sim: &Sim) -> reqwest::Response {
    client()
        .get(format!("{}/rest/api/2/myself", sim.base_url()))
        .basic_auth("alice", Some("alice"))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn slow_delays_responses() {
    let sim = Sim::start(SimConfig {
        scenario: "slow:300".parse().unwrap(),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let t = Instant::now();
    assert_eq!(myself(&sim).await.status(), 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
    sim.set_scenario(Scenario::Normal);
    let t = Instant::now();
    assert_eq!(myself(&sim).await.status(), 200);
    assert!(t.elapsed() < Duration::from_millis(300));
}

#[tokio::test]
async fn flaky_fails_a_share_with_retry_after() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    sim.set_scenario(Scenario::Flaky { percent: 50 });
    let mut failed = 0;
    for _ in 0..40 {
        let r = myself(&sim).await;
        if r.status() == 503 {
            assert_eq!(r.headers()["retry-after"], "1");
            failed += 1;
        } else {
            assert_eq!(r.status(), 200);
        }
    }
    assert!((8..=32).contains(&failed), "{failed} of 40 failed");
    sim.set_scenario(Scenario::Flaky { percent: 0 });
    assert_eq!(myself(&sim).await.status(), 200);
}

#[tokio::test]
async fn rate_limited_every_nth_request() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    sim.set_scenario(Scenario::RateLimited {
        every: 3,
        retry_after_secs: 7,
    });
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let r = myself(&sim).await;
        assert!(r.headers().contains_key("x-ratelimit-limit"));
        assert!(r.headers().contains_key("x-ratelimit-remaining"));
        // DC sends no X-RateLimit-Reset (Atlassian's DC header table; that header is Cloud's).
        assert!(!r.headers().contains_key("x-ratelimit-reset"));
        let status = r.status().as_u16();
        if status == 429 {
            assert_eq!(r.headers()["retry-after"], "7");
            assert_eq!(r.headers()["x-ratelimit-remaining"], "0");
            // DC's 429 body is Tomcat's status page (ahungry/org-jira#365), not JSON.
            assert!(r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"));
            let body = r.text().await.unwrap();
            assert!(body.contains("HTTP Status 429"), "{body}");
            assert!(body.contains("Rate limit exceeded."), "{body}");
        }
        statuses.push(status);
    }
    assert_eq!(statuses, [200, 200, 429, 200, 200, 429]);
}

#[tokio::test]
async fn sso_redirect_to_idp() {
    let sim = Sim::start(SimConfig {
        scenario: Scenario::SsoRedirect,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let r = myself(&sim).await;
    assert_eq!(r.status(), 302);
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(loc.contains("/idp/saml/login?SAMLRequest="), "{loc}");
    let r = client()
        .get(format!("{}/login.jsp", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let page = client().get(&loc).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(page.text().await.unwrap().contains("Sign in"));
}

#[tokio::test]
async fn html_login_instead_of_json() {
    let sim = Sim::start(SimConfig {
        scenario: Scenario::HtmlLogin,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let r = myself(&sim).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("<title>Log in - Jira</title>"));
    // serverInfo still answers JSON, so a client can tell it is Jira.
    let r = client()
        .get(format!("{}/rest/api/2/serverInfo", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
}

#[tokio::test]
async fn clock_skew_shifts_date_and_server_time() {
    let sim = Sim::start(SimConfig {
        scenario: Scenario::ClockSkew { secs: 400 },
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let r = myself(&sim).await;
    let date = httpdate::parse_http_date(r.headers()["date"].to_str().unwrap()).unwrap();
    let ahead = date.duration_since(SystemTime::now()).unwrap();
    assert!(
        ahead >= Duration::from_secs(395) && ahead <= Duration::from_secs(405),
        "{ahead:?}"
    );
}

#[tokio::test]
async fn proxy_mismatch_reports_public_base() {
    let sim = Sim::start(SimConfig {
        scenario: Scenario::ProxyMismatch,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let v: Value = client()
        .get(format!("{}/rest/api/2/serverInfo", sim.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["baseUrl"], "https://jira.example.com/jira");
    let xml = client()
        .get(format!("{}/rest/applinks/1.0/manifest", sim.base_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(xml.contains("<url>https://jira.example.com/jira</url>"));
}

#[tokio::test]
async fn basic_disabled_but_pat_works() {
    let sim = Sim::start(SimConfig {
        scenario: Scenario::BasicDisabled,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let r = myself(&sim).await;
    assert_eq!(r.status(), 403);
    let v: Value = r.json().await.unwrap();
    assert!(v["errorMessages"][0]
        .as_str()
        .unwrap()
        .contains("Basic Authentication has been disabled"));
    let r = client()
        .get(format!("{}/rest/api/2/myself", sim.base_url()))
        .bearer_auth(sim.pat("alice").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn anonymous_ignores_credentials() {
    let sim = Sim::start(SimConfig {
        scenario: Scenario::Anonymous,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let r = myself(&sim).await;
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["x-ausername"], "anonymous");
}

#[tokio::test]
async fn server_error_is_500_json() {
    let sim = Sim::start(SimConfig {
        scenario: Scenario::ServerError,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let r = myself(&sim).await;
    assert_eq!(r.status(), 500);
    let v: Value = r.json().await.unwrap();
    assert!(v["errorMessages"][0].is_string());
}

#[tokio::test]
async fn not_jira_serves_nginx() {
    let sim = Sim::start(SimConfig {
        scenario: Scenario::NotJira,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let r = myself(&sim).await;
    assert_eq!(r.status(), 404);
    assert!(!r.headers().contains_key("x-ausername"));
    assert_eq!(r.headers()["server"], "nginx/1.24.0");
    let origin = sim.base_url().origin().ascii_serialization();
    let r = client().get(format!("{origin}/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Welcome to nginx!"));
    // The control API still works and switches back.
    let r = client()
        .post(format!("{origin}/__sim/scenario"))
        .json(&serde_json::json!({"name": "normal"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(myself(&sim).await.status(), 200);
}

#[tokio::test]
async fn root_context_path_and_outside_paths() {
    let sim = Sim::start(SimConfig {
        context_path: "/".into(),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    // url::Url cannot drop the root slash, so a root context path shows as `/`.
    assert_eq!(sim.base_url().path(), "/");
    let origin = sim.base_url().origin().ascii_serialization();
    let r = client()
        .get(format!("{origin}/rest/api/2/serverInfo"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let sim2 = Sim::start(SimConfig::default()).await.unwrap();
    let origin2 = sim2.base_url().origin().ascii_serialization();
    // Without the context path it is Tomcat's 404, the classic wrong-context-path symptom.
    let r = client()
        .get(format!("{origin2}/rest/api/2/serverInfo"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
}
