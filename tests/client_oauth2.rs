//! The OAuth 2.0 client against the simulator's provider over loopback HTTP: concurrent requests
//! share one refresh (the rotating refresh token is spent once), the renewed tokens reach the
//! sink before any request uses them, a failing sink stops their use, and a READ token's write
//! is `oauth2_insufficient_scope`.

mod common;

use jiralink::jira::diagnose::Code;
use jiralink::jira::oauth2::{self, Grant, OAuth2Session, Pkce, TokenSink, Tokens};
use jiralink::jira::{Auth, JiraClient};
use jiralink::sim::Scenario;
use secrecy::{ExposeSecret, SecretString};
use std::sync::{Arc, Mutex};

const REDIRECT: &str = "https://app.invalid/cb";

/// Records every save; optionally refuses them.
#[derive(Default)]
struct Sink {
    saved: Mutex<Vec<String>>,
    fail: bool,
}

impl TokenSink for Sink {
    fn save(&self, t: &Tokens) -> Result<(), String> {
        if self.fail {
            return Err("disk full".into());
        }
        self.saved.lock().unwrap().push(
            t.refresh
                .as_ref()
                .map(|r| r.expose_secret().to_owned())
                .unwrap_or_default(),
        );
        Ok(())
    }
}

/// A link with `scope`, authorized as alice through the provider (consent without a browser),
/// and the tokens the real exchange returned.
async fn authorized(sim: &jiralink::sim::Sim, scope: &str) -> (String, String, Tokens) {
    let c = sim
        .oauth2()
        .create_client("app", &[REDIRECT.to_string()], scope)
        .unwrap();
    let pkce = Pkce::generate();
    let url = oauth2::authorize_url(
        sim.base_url().as_str(),
        &c.id,
        REDIRECT,
        &[scope.to_string()],
        "st",
        &pkce.challenge,
    );
    let params: Vec<(String, String)> = url::Url::parse(&url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    let id = sim.oauth2().authorize(&params).unwrap();
    let target = sim
        .oauth2()
        .approve_for_test(&id, "alice", common::now())
        .unwrap();
    let oauth2::Pasted::Code { code, state } = oauth2::read_pasted(&target) else {
        panic!("{target}")
    };
    oauth2::check_state("st", state.as_deref()).unwrap();
    let client = JiraClient::new(common::opts(sim.base_url(), Auth::None)).unwrap();
    let secret = SecretString::from(c.secret.clone());
    let tokens = oauth2::exchange_code(&client, &c.id, &secret, &code, REDIRECT, &pkce.verifier)
        .await
        .unwrap();
    (c.id, c.secret, tokens)
}

fn session(id: &str, secret: &str, tokens: Tokens, sink: Arc<Sink>) -> Arc<OAuth2Session> {
    Arc::new(OAuth2Session::new(
        id.to_string(),
        SecretString::from(secret.to_string()),
        Grant::AuthorizationCode {
            redirect_uri: REDIRECT.to_string(),
        },
        vec!["READ".into()],
        tokens,
        Some(sink),
    ))
}

#[tokio::test]
async fn concurrent_requests_share_one_refresh() {
    let sim = common::sim(Scenario::Normal).await;
    let (id, secret, tokens) = authorized(&sim, "READ").await;
    let sink = Arc::new(Sink::default());
    let s = session(&id, &secret, tokens, sink.clone());
    let client = JiraClient::new(common::opts(sim.base_url(), Auth::OAuth2(s.clone()))).unwrap();
    assert_eq!(client.myself().await.unwrap().login(), "alice");
    assert_eq!(s.renewals(), 0);
    assert_eq!(sim.oauth2().expire_access_tokens(common::now()), 1);
    let calls = (0..8).map(|_| {
        let c = client.clone();
        async move { c.myself().await.map(|u| u.login().to_string()) }
    });
    for r in futures::future::join_all(calls).await {
        assert_eq!(r.unwrap(), "alice");
    }
    // One refresh for eight requests: a second would have spent the rotated-away token.
    assert_eq!(s.renewals(), 1);
    assert_eq!(sim.oauth2().refresh_token_count(), 1);
    let saved = sink.saved.lock().unwrap().clone();
    assert_eq!(saved.len(), 1);
    let now = s.tokens().await;
    assert_eq!(saved[0], now.refresh.unwrap().expose_secret());
}

#[tokio::test]
async fn renewed_tokens_that_cannot_be_saved_are_not_used() {
    let sim = common::sim(Scenario::Normal).await;
    let (id, secret, tokens) = authorized(&sim, "READ").await;
    let sink = Arc::new(Sink {
        fail: true,
        ..Sink::default()
    });
    let s = session(&id, &secret, tokens, sink);
    let client = JiraClient::new(common::opts(sim.base_url(), Auth::OAuth2(s.clone()))).unwrap();
    sim.oauth2().expire_access_tokens(common::now());
    let e = client.myself().await.unwrap_err();
    let d = e.diagnose();
    assert_eq!(d.code, Code::ConfigError, "{d}");
    assert!(d.detail.contains("disk full"), "{d}");
    assert_eq!(s.renewals(), 0);
}

#[tokio::test]
async fn a_write_with_read_is_insufficient_scope() {
    let sim = common::sim(Scenario::Normal).await;
    let (id, secret, tokens) = authorized(&sim, "READ").await;
    let s = session(&id, &secret, tokens, Arc::new(Sink::default()));
    let client = JiraClient::new(common::opts(sim.base_url(), Auth::OAuth2(s))).unwrap();
    let e = client
        .send_json::<_, serde_json::Value>(
            reqwest::Method::POST,
            "/rest/api/2/issue",
            &serde_json::json!({"fields": {}}),
        )
        .await
        .unwrap_err();
    assert_eq!(e.status, Some(403));
    let d = e.diagnose();
    assert_eq!(d.code, Code::Oauth2InsufficientScope, "{d}");
    assert!(d.detail.contains("WRITE"), "{d}");
}

#[tokio::test]
async fn a_refresh_without_the_redirect_uri_is_refused_by_jira() {
    let sim = common::sim(Scenario::Normal).await;
    let (id, secret, tokens) = authorized(&sim, "READ").await;
    let client = JiraClient::new(common::opts(sim.base_url(), Auth::None)).unwrap();
    let refresh = tokens.refresh.clone().unwrap();
    let secret = SecretString::from(secret);
    let wrong = oauth2::refresh_tokens(&client, &id, &secret, &refresh, "https://other.invalid/cb")
        .await
        .unwrap_err()
        .diagnose();
    assert_eq!(wrong.code, Code::Oauth2InvalidGrant);
    assert!(wrong.detail.contains("redirect_uri"), "{wrong}");
    let ok = oauth2::refresh_tokens(&client, &id, &secret, &refresh, REDIRECT)
        .await
        .unwrap();
    // Rotated: the old refresh token is dead now.
    let again = oauth2::refresh_tokens(&client, &id, &secret, &refresh, REDIRECT)
        .await
        .unwrap_err()
        .diagnose();
    assert!(again.detail.contains("rotated away"), "{again}");
    assert!(ok.refresh.is_some());
}
