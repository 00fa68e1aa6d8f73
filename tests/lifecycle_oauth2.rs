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
