//! Links and credentials over time, OAuth 2.0 side, end to end against the simulator over
//! loopback HTTP: OAuth 2.0 incoming links in the `links` inventory (matched to connections by
//! client id, never showing a secret), a link with incoming OAuth on and no consumer, `links`
//! through the Cloud gateway URL form, and `connections rotate` for OAuth 2.0 connections.

mod common;

use assert_cmd::Command;
use jiralink::config::{AuthKind, ConfigFile, Connection};
use jiralink::jira::{Code, JiraClient};
use jiralink::lifecycle::links::inventory;
use jiralink::paths::Paths;
use jiralink::secret::{SecretRef, SecretString};
use jiralink::sim::{Scenario, Sim};
use std::path::Path;

fn paths(dir: &Path) -> Paths {
    Paths {
        config_file: dir.join("config.toml"),
        data_dir: dir.join("data"),
        state_dir: dir.join("state"),
        log_file: dir.join("state/jiralink.log"),
    }
}

fn plain(s: &str) -> Option<SecretRef> {
    Some(SecretRef::Plain(SecretString::from(s.to_string())))
}

fn write_config(p: &Paths, conns: &[Connection]) {
    let mut f = ConfigFile::open(&p.config_file).unwrap();
    for c in conns {
        f.upsert_connection(c).unwrap();
    }
    f.save().unwrap();
}

fn admin(sim: &Sim) -> Connection {
    let mut c = Connection::new("admin", sim.base_url().as_str(), AuthKind::Basic);
    c.username = Some("admin".into());
    c.password = plain("admin");
    c
}

fn jiralink(p: &Paths) -> Command {
    let mut c = Command::cargo_bin("jiralink").unwrap();
    c.env("JIRALINK_CONFIG", &p.config_file)
        .env("JIRALINK_DATA", &p.data_dir)
        .env("JIRALINK_STATE", &p.state_dir)
        .env("NO_COLOR", "1")
        .arg("--ascii");
    c
}

/// An `auth = "oauth2"` connection naming `client_id` (no tokens: `links` only matches ids).
fn oauth2_conn(sim: &Sim, name: &str, client_id: &str) -> Connection {
    let mut c = Connection::new(name, sim.base_url().as_str(), AuthKind::Oauth2);
    c.client_id = Some(client_id.into());
    c.client_secret = plain("not-the-real-one");
    c.redirect_uri = Some("https://ci.example.com/cb".into());
    c.scopes = vec!["WRITE".into()];
    c
}

/// Create a Generic Application link through REST as the admin, then switch its incoming
/// OAuth 1.0a on without registering a consumer (what an interrupted admin script leaves).
async fn link_with_oauth_and_no_consumer(sim: &Sim) -> String {
    let http = reqwest::Client::new();
    let base = sim.base_url().as_str().trim_end_matches('/').to_string();
    let created = http
        .put(format!("{base}/rest/applinks/3.0/applicationlink"))
        .basic_auth("admin", Some("admin"))
        .header("Accept", "application/json")
        .json(&serde_json::json!({"name": "Half-made", "rpcUrl": "https://half.example.com", "displayUrl": "https://half.example.com", "typeId": "generic"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let v: serde_json::Value = created.json().await.unwrap();
    let href = v["resources-created"][0]["href"].as_str().unwrap();
    let id = href.rsplit('/').next().unwrap().to_string();
    let put = http
        .put(format!("{base}/rest/applinks/3.0/status/{id}/oauth"))
        .basic_auth("admin", Some("admin"))
        .json(&serde_json::json!({"incoming": {"enabled": true, "twoLoEnabled": false, "twoLoImpersonationEnabled": false}}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 204);
    id
}

// ------------------------------------------------------------------ OAuth 2.0 inventory

#[tokio::test]
async fn links_lists_oauth2_incoming_links_matched_by_client_id_and_flags_a_link_without_consumer()
{
    let sim = common::sim(Scenario::Normal).await;
    let ci = sim
        .oauth2()
        .create_client("CI bot", &["https://ci.example.com/cb".into()], "WRITE")
        .unwrap();
    let _other = sim
        .oauth2()
        .create_client("Reporting", &["https://rep.example.com/cb".into()], "READ")
        .unwrap();
    let half = link_with_oauth_and_no_consumer(&sim).await;
    let client = JiraClient::new(common::opts(
        sim.base_url(),
        common::basic("admin", "admin"),
    ))
    .unwrap();
    let conns = [
        oauth2_conn(&sim, "ci", &ci.id),
        oauth2_conn(&sim, "gone", "a-deleted-client-id"),
    ];
    let inv = inventory(&client, &conns).await.unwrap();

    assert_eq!(inv.oauth2_clients.len(), 2, "{inv:#?}");
    assert!(inv.oauth2_note.is_none(), "{inv:#?}");
    let row = inv
        .oauth2_clients
        .iter()
        .find(|r| r.client.client_id == ci.id)
        .unwrap();
    assert_eq!(row.client.name, "CI bot");
    assert_eq!(row.client.redirects, vec!["https://ci.example.com/cb"]);
    assert_eq!(row.client.scope, "WRITE");
    assert_eq!(row.connections, vec!["ci".to_string()]);
    assert_eq!(inv.unmatched_oauth2_connections, vec!["gone".to_string()]);

    // The half-made link is flagged with its own code; the seeded ones with consumers are not.
    let flagged: Vec<_> = inv
        .links
        .iter()
        .filter(|r| r.missing_consumer.is_some())
        .collect();
    assert_eq!(flagged.len(), 1, "{inv:#?}");
    assert_eq!(flagged[0].link.id, half);
    let d = flagged[0].missing_consumer.as_ref().unwrap();
    assert_eq!(d.code, Code::ApplinkOauthNoConsumer);
    assert!(d.detail.contains("consumer_key_unknown"), "{d}");
    assert!(d.fix.contains("Incoming authentication"), "{d}");
    assert!(!flagged[0].is_sound());

    // Not an admin: the clients are not listed, and the note says why.
    let alice = client.with_auth(common::basic("alice", "alice"));
    let got = jiralink::jira::applinks_status::list_oauth2_clients(&alice).await;
    assert!(
        matches!(got, Err(ref e) if e.status() == Some(403)),
        "{got:?}"
    );
}

#[tokio::test]
async fn links_cli_prints_oauth2_clients_without_their_secret_and_the_no_consumer_flag() {
    let sim = common::sim(Scenario::Normal).await;
    let ci = sim
        .oauth2()
        .create_client("CI bot", &["https://ci.example.com/cb".into()], "WRITE")
        .unwrap();
    link_with_oauth_and_no_consumer(&sim).await;
    let dir = tempfile::tempdir().unwrap();
    let p = paths(dir.path());
    write_config(&p, &[admin(&sim), oauth2_conn(&sim, "ci", &ci.id)]);
    let out = tokio::task::spawn_blocking(move || {
        let table = jiralink(&p).args(["links", "admin"]).output().unwrap();
        let json = jiralink(&p)
            .args(["links", "admin", "--format", "json"])
            .output()
            .unwrap();
        (table, json)
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.0.stdout);
    assert_eq!(out.0.status.code(), Some(1), "{text}");
    assert!(text.contains("OAuth 2.0 incoming links"), "{text}");
    assert!(
        text.contains(&format!("CI bot  client id {}", ci.id)),
        "{text}"
    );
    assert!(
        text.contains("redirect:  https://ci.example.com/cb"),
        "{text}"
    );
    assert!(text.contains("scope:     WRITE"), "{text}");
    assert!(text.contains("used by:   ci"), "{text}");
    assert!(text.contains("[applink_oauth_no_consumer]"), "{text}");
    assert!(text.contains("1 with OAuth on and no consumer"), "{text}");
    assert!(text.contains("1 OAuth 2.0 incoming link(s)"), "{text}");
    let json = String::from_utf8_lossy(&out.1.stdout);
    for (what, s) in [("table", &text), ("json", &json)] {
        assert!(!s.contains(&ci.secret), "{what} shows the client secret");
        assert!(!s.contains("clientSecret"), "{what}: {s}");
    }
    let v: serde_json::Value = serde_json::from_slice(&out.1.stdout).unwrap();
    assert_eq!(v["oauth2_clients"][0]["client"]["clientId"], ci.id.as_str());
    assert_eq!(v["oauth2_clients"][0]["connections"][0], "ci");
    let flagged = v["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| !l["missing_consumer"].is_null())
        .unwrap();
    assert_eq!(
        flagged["missing_consumer"]["code"],
        "applink_oauth_no_consumer"
    );
}

// ------------------------------------------------------------------ OAuth 2.0 rotation

use jiralink::check::check_connection;
use jiralink::config::Config;
use jiralink::lifecycle::reauth_oauth2::rotate_oauth2;
use jiralink::lifecycle::rotate::RotateStep;

const REDIRECT: &str = "https://app.example.com/cb";

/// What a browser does with the authorize URL as `user`: log in, Allow on the consent page.
/// Answers the URL the browser is sent to (`REDIRECT?code=…&state=…`).
async fn browser_allows(sim: &Sim, user: &str, authorize_url: &str) -> String {
    let base = sim.base_url().as_str().trim_end_matches('/').to_string();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = http
        .post(format!("{base}/login.jsp"))
        .form(&[("os_username", user), ("os_password", user)])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 302, "login as {user}");
    let cookie = login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let r = http.get(authorize_url).send().await.unwrap();
    assert_eq!(r.status(), 302, "authorize redirects to the consent page");
    let consent = r.headers()["location"].to_str().unwrap().to_string();
    let page = http
        .get(&consent)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let id = page
        .split("name=\"request_id\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    let r = http
        .post(format!("{base}/plugins/servlet/oauth2/consent"))
        .header("cookie", &cookie)
        .form(&[("request_id", id.as_str()), ("decision", "Allow")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    r.headers()["location"].to_str().unwrap().to_string()
}

/// A simulator with an OAuth 2.0 incoming link and a config whose `app` connection was
/// authorized as alice through `rotate_oauth2` itself (a connection without tokens yet).
async fn oauth2_fixture() -> (Sim, tempfile::TempDir, Paths) {
    let sim = common::sim(Scenario::Normal).await;
    let c = sim
        .oauth2()
        .create_client("app", &[REDIRECT.into()], "WRITE")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = paths(dir.path());
    let mut app = Connection::new("app", sim.base_url().as_str(), AuthKind::Oauth2);
    app.client_id = Some(c.id.clone());
    app.client_secret = plain(&c.secret);
    app.redirect_uri = Some(REDIRECT.into());
    app.scopes = vec!["WRITE".into()];
    write_config(&p, &[app]);
    let first = rotate_oauth2(&p, "app", None, as_user(&sim, "alice")).await;
    assert_eq!(first.unwrap().user.as_deref(), Some("alice"));
    (sim, dir, p)
}

/// An `approve` that lets `user` Allow in a browser and pastes the redirect URL back.
fn as_user<'a>(
    sim: &'a Sim,
    user: &'a str,
) -> impl FnOnce(url::Url) -> std::pin::Pin<Box<dyn std::future::Future<Output = Option<String>> + 'a>>
{
    move |u: url::Url| Box::pin(async move { Some(browser_allows(sim, user, u.as_str()).await) })
}

fn access_token_of(p: &Paths) -> String {
    use jiralink::secret::ExposeSecret;
    let cfg = Config::load(&p.config_file).unwrap();
    let r = cfg.connection("app").unwrap().access_token.clone().unwrap();
    r.resolve().unwrap().expose_secret().to_string()
}

async fn check_app(p: &Paths) -> jiralink::check::CheckResult {
    let cfg = Config::load(&p.config_file).unwrap();
    check_connection(cfg.connection("app").unwrap(), &cfg.defaults).await
}

/// The `state` of an authorize URL.
fn state_of(u: &url::Url) -> String {
    u.query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap()
}

#[tokio::test]
async fn an_interrupted_oauth2_reauthorization_leaves_the_old_tokens_working_at_every_step() {
    let (sim, _dir, p) = oauth2_fixture().await;
    let before = access_token_of(&p);
    for step in [
        RotateStep::FindOld,
        RotateStep::Create,
        RotateStep::Verify,
        RotateStep::Switch,
    ] {
        let e = rotate_oauth2(&p, "app", Some(step), as_user(&sim, "alice"))
            .await
            .unwrap_err();
        assert_eq!(e.step, step);
        assert_eq!(e.diagnosis.code, Code::Cancelled);
        assert!(e.state.contains("Nothing changed"), "{e}");
        assert_eq!(
            access_token_of(&p),
            before,
            "before {step:?}: config untouched"
        );
        let r = check_app(&p).await;
        assert!(r.ok, "after an interruption before {step:?}: {r:?}");
        assert_eq!(r.user.as_deref(), Some("alice"));
    }
    // Interrupted after the switch: the new tokens are in place and work.
    let e = rotate_oauth2(&p, "app", Some(RotateStep::Recheck), as_user(&sim, "alice"))
        .await
        .unwrap_err();
    assert_eq!(e.step, RotateStep::Recheck);
    assert!(e.state.contains("now uses the new"), "{e}");
    assert_ne!(access_token_of(&p), before);
    assert!(check_app(&p).await.ok);
}

#[tokio::test]
async fn oauth2_reauthorization_refuses_another_user_a_bad_code_and_a_broken_jira_keeping_the_old()
{
    let (sim, _dir, p) = oauth2_fixture().await;
    let before = access_token_of(&p);
    let still_works = |what: &'static str| {
        let p = p.clone();
        let before = before.clone();
        async move {
            assert_eq!(access_token_of(&p), before, "{what}: config untouched");
            let r = check_app(&p).await;
            assert!(r.ok, "{what}: the old connection must still work: {r:?}");
            assert_eq!(r.user.as_deref(), Some("alice"), "{what}");
        }
    };

    // Approved as bob: checked, refused, nothing switched.
    let e = rotate_oauth2(&p, "app", None, as_user(&sim, "bob"))
        .await
        .unwrap_err();
    assert_eq!(e.step, RotateStep::Verify, "{e}");
    assert!(e.diagnosis.summary.contains("another user"), "{e}");
    still_works("another user").await;

    // A made-up code with the right state: Jira refuses the grant.
    let e = rotate_oauth2(&p, "app", None, |u: url::Url| async move {
        Some(format!("{REDIRECT}?code=not-a-code&state={}", state_of(&u)))
    })
    .await
    .unwrap_err();
    assert_eq!(e.step, RotateStep::Create, "{e}");
    assert_eq!(e.diagnosis.code, Code::Oauth2InvalidGrant, "{e}");
    still_works("bad code").await;

    // A redirect URL from another attempt (state differs).
    let e = rotate_oauth2(&p, "app", None, |_u: url::Url| async move {
        Some(format!("{REDIRECT}?code=whatever&state=someone-elses"))
    })
    .await
    .unwrap_err();
    assert_eq!(e.diagnosis.code, Code::Oauth2StateMismatch, "{e}");
    still_works("state mismatch").await;

    // Nothing pasted.
    let e = rotate_oauth2(&p, "app", None, |_u: url::Url| async move { None })
        .await
        .unwrap_err();
    assert_eq!(e.diagnosis.code, Code::Cancelled, "{e}");
    still_works("nothing pasted").await;

    // Jira breaks between the approval and the exchange (every REST call answers 500).
    let s = &sim;
    let e = rotate_oauth2(&p, "app", None, move |u: url::Url| async move {
        let back = browser_allows(s, "alice", u.as_str()).await;
        s.set_scenario(Scenario::ServerError);
        Some(back)
    })
    .await
    .unwrap_err();
    sim.set_scenario(Scenario::Normal);
    assert_eq!(e.step, RotateStep::Create, "{e}");
    still_works("server error").await;

    // And a clean run switches: new tokens, 0600, old file gone, the same user.
    let old_file = match &Config::load(&p.config_file)
        .unwrap()
        .connection("app")
        .unwrap()
        .access_token
    {
        Some(SecretRef::File(f)) => f.clone(),
        other => panic!("{other:?}"),
    };
    let o = rotate_oauth2(&p, "app", None, as_user(&sim, "alice"))
        .await
        .unwrap();
    assert_eq!(o.user.as_deref(), Some("alice"));
    assert!(o.recheck.ok);
    assert_ne!(access_token_of(&p), before);
    assert!(
        !old_file.exists(),
        "the old token file is removed after the switch"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&o.access_token_file)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[tokio::test]
async fn connections_rotate_on_the_command_line_reauthorizes_oauth2_from_a_pasted_url() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let (sim, _dir, p) = oauth2_fixture().await;
    let before = access_token_of(&p);
    let secret = {
        use jiralink::secret::ExposeSecret;
        let cfg = Config::load(&p.config_file).unwrap();
        let c = cfg
            .connection("app")
            .unwrap()
            .client_secret
            .clone()
            .unwrap();
        c.resolve().unwrap().expose_secret().to_string()
    };
    let mut child = tokio::process::Command::new(assert_cmd::cargo::cargo_bin("jiralink"))
        .env("JIRALINK_CONFIG", &p.config_file)
        .env("JIRALINK_DATA", &p.data_dir)
        .env("JIRALINK_STATE", &p.state_dir)
        .env("NO_COLOR", "1")
        .args(["--ascii", "connections", "rotate", "app"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = tokio::io::BufReader::new(child.stdout.take().unwrap());
    let mut url = String::new();
    out.read_line(&mut url).await.unwrap();
    assert!(url.contains("/rest/oauth2/latest/authorize?"), "{url}");
    assert!(url.contains("code_challenge_method=S256"), "{url}");
    let back = browser_allows(&sim, "alice", url.trim()).await;
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{back}\n").as_bytes())
        .await
        .unwrap();
    drop(stdin);
    let mut rest = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut out, &mut rest)
        .await
        .unwrap();
    let mut err = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut child.stderr.take().unwrap(), &mut err)
        .await
        .unwrap();
    let status = child.wait().await.unwrap();
    assert_eq!(status.code(), Some(0), "{rest}\n{err}");
    assert!(rest.contains("Re-authorized \"app\""), "{rest}");
    assert!(rest.contains("act as alice"), "{rest}");
    let now = access_token_of(&p);
    assert_ne!(now, before);
    for s in [&rest, &err] {
        assert!(
            !s.contains(&now) && !s.contains(&before) && !s.contains(&secret),
            "a secret was printed: {s}"
        );
    }
    assert!(check_app(&p).await.ok);
}

#[tokio::test]
async fn rotating_a_client_credentials_connection_verifies_the_secret_and_says_where_a_new_one_is_made(
) {
    let sim = common::sim(Scenario::Normal).await;
    let origin = sim.origin();
    let sa: serde_json::Value = reqwest::Client::new()
        .post(format!("{origin}/__sim/oauth2/service-account"))
        .json(&serde_json::json!({"name": "svc-reports", "scope": "READ"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = paths(dir.path());
    let secret_file = dir.path().join("svc.secret");
    std::fs::write(&secret_file, sa["client_secret"].as_str().unwrap()).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&secret_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut svc = Connection::new(
        "svc",
        sim.base_url().as_str(),
        AuthKind::Oauth2ClientCredentials,
    );
    svc.client_id = Some(sa["client_id"].as_str().unwrap().into());
    svc.client_secret = Some(SecretRef::File(secret_file.clone()));
    svc.scopes = vec!["READ".into()];
    write_config(&p, &[svc]);
    let (p2, f2) = (p.clone(), secret_file.clone());
    let (ok, bad) = tokio::task::spawn_blocking(move || {
        let ok = jiralink(&p2)
            .args(["connections", "rotate", "svc"])
            .output()
            .unwrap();
        // The secret source now holds a secret Jira never made.
        std::fs::write(&f2, "not-the-secret").unwrap();
        let bad = jiralink(&p2)
            .args(["connections", "rotate", "svc"])
            .output()
            .unwrap();
        (ok, bad)
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&ok.stdout);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(text.contains("there is no token to rotate"), "{text}");
    assert!(text.contains("works as"), "{text}");
    assert!(
        text.contains("makes a new one in Jira on the service account"),
        "{text}"
    );
    assert!(!text.contains(sa["client_secret"].as_str().unwrap()));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(1), "{err}");
    assert!(err.contains("oauth2_invalid_client"), "{err}");
    assert!(err.contains("jiralink cannot make one"), "{err}");
}

// ------------------------------------------------------------ links through the Cloud gateway

async fn cloud_sim() -> Sim {
    Sim::start(jiralink::sim::SimConfig {
        projects: 3,
        cloud: true,
        context_path: String::new(),
        ..jiralink::sim::SimConfig::default()
    })
    .await
    .unwrap()
}

/// The site admin's scoped API token, as a connection to `url`.
fn scoped_admin(sim: &Sim, url: &str) -> Connection {
    let mut c = Connection::new("cloud-admin", url, AuthKind::CloudToken);
    c.email = sim.email("admin");
    c.token = plain(&sim.scoped_api_token("admin").unwrap());
    c
}

#[tokio::test]
async fn links_through_the_cloud_gateway_url_reaches_cloud_and_explains_it_has_no_applinks_api() {
    let sim = cloud_sim().await;
    let gw = scoped_admin(&sim, sim.gateway_url().as_str());
    let client = JiraClient::new(
        gw.client_options_async(&jiralink::config::Defaults::default())
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(jiralink::lifecycle::links::is_cloud(&client));
    // The token authenticates through the gateway form (myself works there) ...
    let me = client.myself().await.unwrap();
    assert!(!me.login().is_empty(), "{me:?}");
    // ... and the links listing answers as Cloud does: no application-link API.
    let d = inventory(&client, &[]).await.unwrap_err();
    assert_eq!(d.code, Code::NotFound, "{d}");
    assert!(d.summary.contains("Jira Cloud"), "{d}");
    assert!(d.detail.contains("/ex/jira/"), "{d}");
    assert!(d.fix.contains("Application links"), "{d}");

    // The CLI says the same and exits 3 (could not list); on the site URL the same scoped token
    // is refused (401) instead: what made the difference is the gateway form.
    let dir = tempfile::tempdir().unwrap();
    let p = paths(dir.path());
    let mut site = scoped_admin(&sim, sim.base_url().as_str());
    site.name = "cloud-site".into();
    write_config(&p, &[gw, site]);
    let (via_gw, via_site) = tokio::task::spawn_blocking(move || {
        (
            jiralink(&p)
                .args(["links", "cloud-admin"])
                .output()
                .unwrap(),
            jiralink(&p).args(["links", "cloud-site"]).output().unwrap(),
        )
    })
    .await
    .unwrap();
    let err = String::from_utf8_lossy(&via_gw.stderr);
    assert_eq!(via_gw.status.code(), Some(3), "{err}");
    assert!(
        err.contains("Jira Cloud publishes no REST API for application links"),
        "{err}"
    );
    assert!(
        err.contains("Settings > Products > Application links"),
        "{err}"
    );
    let site_err = String::from_utf8_lossy(&via_site.stderr);
    assert_eq!(via_site.status.code(), Some(3), "{site_err}");
    assert!(!site_err.contains("publishes no REST API"), "{site_err}");
    assert!(
        site_err.contains("401") || site_err.contains("auth"),
        "{site_err}"
    );
}
