//! Links and credentials over time, end to end against the simulator over loopback HTTP (and
//! real TLS for client certificates): the application-link inventory, PAT expiry in `check`,
//! PAT rotation interrupted at every step and run while `check` keeps polling, and mutual TLS.

mod common;

use assert_cmd::Command;
use jiralink::check::check_connection;
use jiralink::config::{AuthKind, Config, ConfigFile, Connection, Defaults};
use jiralink::jira::applinks_status::Health;
use jiralink::jira::{Code, JiraClient};
use jiralink::lifecycle::links::inventory;
use jiralink::lifecycle::rotate::{rotate_pat, RotateOptions, RotateStep};
use jiralink::paths::Paths;
use jiralink::secret::{SecretRef, SecretString};
use jiralink::sim::{Scenario, Sim, SimConfig};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

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

/// Write connections into a fresh 0600 config file.
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

fn alice_pat(sim: &Sim) -> Connection {
    let mut c = Connection::new("alice-pat", sim.base_url().as_str(), AuthKind::Pat);
    c.token = plain(&sim.pat("alice").unwrap());
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

// ------------------------------------------------------------------------------ links

#[tokio::test]
async fn links_lists_every_link_with_its_health_and_flags_oauth1() {
    let sim = common::sim(Scenario::Normal).await;
    let client = JiraClient::new(common::opts(
        sim.base_url(),
        common::basic("admin", "admin"),
    ))
    .unwrap();
    let mut conf = Connection::new("conf", sim.base_url().as_str(), AuthKind::Oauth1);
    conf.consumer_key = Some("confluence:7a1c5e2b90".into());
    conf.private_key = Some("/nonexistent.pem".into());
    let mut orphan = conf.clone();
    orphan.name = "orphan".into();
    orphan.consumer_key = Some("nobody-has-this".into());
    let inv = inventory(&client, &[conf, orphan]).await.unwrap();
    let by = |n: &str| inv.links.iter().find(|r| r.link.name == n).unwrap();
    assert_eq!(inv.links.len(), 4, "{inv:#?}");
    let c = by("Confluence");
    assert_eq!(c.status.as_ref().unwrap().health, Health::Working);
    assert!(c.migrate_to_oauth2.is_some());
    assert_eq!(c.connections, vec!["conf".to_string()]);
    assert_eq!(c.consumer_key.as_deref(), Some("confluence:7a1c5e2b90"));
    assert_eq!(
        by("Bitbucket").status.as_ref().unwrap().health,
        Health::NetworkError
    );
    assert!(by("Bitbucket").migrate_to_oauth2.is_none());
    assert_eq!(
        by("Bamboo").status.as_ref().unwrap().health,
        Health::AccessDenied
    );
    assert_eq!(
        by("Jira (old instance)").status.as_ref().unwrap().health,
        Health::ConfigError
    );
    assert_eq!(inv.unmatched_connections, vec!["orphan".to_string()]);

    // Not an admin: a clear refusal, not an empty list.
    let alice = client.with_auth(common::basic("alice", "alice"));
    let d = inventory(&alice, &[]).await.unwrap_err();
    assert!(d.fix.contains("administrator"), "{d}");
    // Her password worked (Seraph: OK, X-AUSERNAME: alice): a missing permission, not auth_failed.
    assert_eq!(d.code, Code::Forbidden, "{d}");
}

#[tokio::test]
async fn links_cli_shows_status_and_the_migration_then_json() {
    let sim = common::sim(Scenario::Normal).await;
    let dir = tempfile::tempdir().unwrap();
    let p = paths(dir.path());
    write_config(&p, &[admin(&sim)]);
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
    assert!(text.contains("[ok] Confluence (confluence)"), "{text}");
    assert!(text.contains("network error (NETWORK_ERROR"), "{text}");
    assert!(text.contains("migrate to OAuth 2.0"), "{text}");
    assert!(
        text.contains("4 link(s): 3 not working, 2 with incoming OAuth 1.0a"),
        "{text}"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.1.stdout).unwrap();
    assert_eq!(v["links"].as_array().unwrap().len(), 4);
    assert_eq!(v["links"][0]["status"]["health"], "working");
}

// ----------------------------------------------------------------------------- expiry

#[tokio::test]
async fn a_pat_expiring_in_three_days_makes_check_warn_and_exit_1() {
    let sim = common::sim(Scenario::Normal).await;
    let conn = alice_pat(&sim);
    let fine = check_connection(&conn, &Defaults::default()).await;
    assert!(fine.ok && !fine.credential_expiring(), "{fine:#?}");
    assert!(fine.expires_at.is_some(), "the seeded token has an expiry");

    assert_eq!(sim.set_pat_expiry("alice", Some(3)), 1);
    let r = check_connection(&conn, &Defaults::default()).await;
    assert!(r.ok, "the token still works: {r:#?}");
    assert!(r.credential_expiring());
    let d = r.diagnosis.as_ref().unwrap();
    assert_eq!(d.code, Code::CredentialExpiring);
    assert!(d.summary.contains("3 day"), "{d}");
    assert!(d.fix.contains("connections rotate alice-pat"), "{d}");
    // The connections pane's badge says when, at a glance.
    use jiralink::tui::widgets::badge::{badge_text, verdict, CheckState, Verdict};
    let state = CheckState::Done(Box::new(r.clone()));
    assert_eq!(verdict(&state), Verdict::Warn);
    assert!(
        badge_text(&state).contains("(in 3 days)"),
        "{}",
        badge_text(&state)
    );
    let narrow = Defaults {
        warn_expiry_days: 2,
        ..Defaults::default()
    };
    assert!(!check_connection(&conn, &narrow).await.credential_expiring());

    let dir = tempfile::tempdir().unwrap();
    let p = paths(dir.path());
    write_config(&p, &[conn]);
    let out = tokio::task::spawn_blocking(move || {
        jiralink(&p)
            .args(["check", "alice-pat", "--format", "json"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = &v["connections"][0];
    assert_eq!(c["ok"], true);
    assert_eq!(c["diagnosis"]["code"], "credential_expiring");
    assert!(c["expires_at"].as_str().unwrap().ends_with('Z'), "{c}");
}

#[tokio::test]
async fn an_expired_pat_is_refused_like_an_unknown_one() {
    let sim = common::sim(Scenario::Normal).await;
    sim.set_pat_expiry("alice", Some(-1));
    let r = check_connection(&alice_pat(&sim), &Defaults::default()).await;
    assert!(!r.ok);
    assert_eq!(r.diagnosis.unwrap().code, Code::TokenRejected);
}

#[tokio::test]
async fn a_cloud_token_with_a_recorded_date_warns_before_it() {
    let sim = Sim::start(SimConfig {
        projects: 3,
        cloud: true,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let mut c = Connection::new("cloud", sim.base_url().as_str(), AuthKind::CloudToken);
    c.email = sim.email("alice");
    c.token = plain(&sim.api_token("alice").unwrap());
    let unrecorded = check_connection(&c, &Defaults::default()).await;
    assert!(!unrecorded.credential_expiring());
    let step = unrecorded
        .steps
        .iter()
        .find(|s| s.name == "credential")
        .unwrap();
    assert!(step.detail.contains("within 365 days"), "{step:?}");
    let soon = time::OffsetDateTime::now_utc() + time::Duration::days(5);
    c.expires_at = Some(soon.date().to_string());
    let r = check_connection(&c, &Defaults::default()).await;
    assert!(r.credential_expiring(), "{r:#?}");
}

// ----------------------------------------------------------------------------- rotate

async fn rotation_fixture() -> (Sim, tempfile::TempDir, Paths) {
    let sim = common::sim(Scenario::Normal).await;
    let dir = tempfile::tempdir().unwrap();
    let p = paths(dir.path());
    write_config(&p, &[alice_pat(&sim)]);
    (sim, dir, p)
}

async fn check_from_config(p: &Paths) -> jiralink::check::CheckResult {
    let cfg = Config::load(&p.config_file).unwrap();
    check_connection(cfg.connection("alice-pat").unwrap(), &cfg.defaults).await
}

#[tokio::test]
async fn an_interrupted_rotation_leaves_a_working_connection_at_every_step() {
    for step in [
        RotateStep::FindOld,
        RotateStep::Create,
        RotateStep::Verify,
        RotateStep::Switch,
        RotateStep::Recheck,
        RotateStep::Revoke,
    ] {
        let (sim, _dir, p) = rotation_fixture().await;
        let opts = RotateOptions {
            interrupt_before: Some(step),
            ..RotateOptions::default()
        };
        let e = rotate_pat(&p, "alice-pat", &opts, |_| true)
            .await
            .unwrap_err();
        assert_eq!(e.step, step);
        let r = check_from_config(&p).await;
        assert!(r.ok, "after an interruption before {step:?}: {r:#?}");
        let tokens = sim.pat_tokens("alice");
        if step <= RotateStep::Switch {
            // Nothing switched: the old token only; a created one was revoked again.
            assert_eq!(tokens.len(), 1, "{step:?}: {tokens:?}");
            assert!(e.state.contains("still uses its old token"), "{e}");
        } else {
            // Switched, old not revoked: both exist and the config names the new one.
            assert_eq!(tokens.len(), 2, "{step:?}: {tokens:?}");
            let cfg = Config::load(&p.config_file).unwrap();
            assert!(cfg.connection("alice-pat").unwrap().token_id.is_some());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_replaces_the_pat_and_revokes_the_old_one_with_no_failed_check_between() {
    let (sim, _dir, p) = rotation_fixture().await;
    let old_raw = sim.pat("alice").unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let (checks, failures) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let poller = {
        let (p, done, checks, failures) =
            (p.clone(), done.clone(), checks.clone(), failures.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::SeqCst) {
                let r = check_from_config(&p).await;
                checks.fetch_add(1, Ordering::SeqCst);
                if !r.ok {
                    failures.fetch_add(1, Ordering::SeqCst);
                    eprintln!("failed check during rotation: {r:#?}");
                }
            }
        })
    };
    let out = rotate_pat(&p, "alice-pat", &RotateOptions::default(), |_| true)
        .await
        .unwrap();
    done.store(true, Ordering::SeqCst);
    poller.await.unwrap();
    assert!(checks.load(Ordering::SeqCst) >= 2, "the poller ran");
    assert_eq!(failures.load(Ordering::SeqCst), 0);
    assert!(out.revoked_old);
    // The old token is gone from Jira and refused; the config holds the new one in a 0600 file.
    let tokens = sim.pat_tokens("alice");
    assert_eq!(tokens, vec![(out.new.id, out.new.name.clone())]);
    let old = JiraClient::new(common::opts(sim.base_url(), common::pat(&old_raw))).unwrap();
    assert_eq!(old.myself().await.unwrap_err().code(), Code::TokenRejected);
    let cfg = Config::load(&p.config_file).unwrap();
    let c = cfg.connection("alice-pat").unwrap();
    assert_eq!(c.token_id, Some(out.new.id));
    assert!(matches!(&c.token, Some(SecretRef::File(f)) if f == &out.token_file));
    assert!(jiralink::paths::check_private_perms(&out.token_file).is_ok());
    assert!(c.expires_at.is_some());
    assert!(check_from_config(&p).await.ok);
    // A second rotation finds the token by its recorded id even with several tokens around.
    let again = rotate_pat(&p, "alice-pat", &RotateOptions::default(), |_| false)
        .await
        .unwrap();
    assert!(!again.revoked_old);
    assert_eq!(again.old.id, out.new.id);
    assert_eq!(sim.pat_tokens("alice").len(), 2);
    assert!(
        !out.token_file.exists(),
        "the superseded token file is removed"
    );
}

#[tokio::test]
async fn connections_rotate_on_the_command_line_replaces_and_revokes() {
    let (sim, _dir, p) = rotation_fixture().await;
    let old_raw = sim.pat("alice").unwrap();
    let p2 = p.clone();
    let out = tokio::task::spawn_blocking(move || {
        jiralink(&p2)
            .args([
                "connections",
                "rotate",
                "alice-pat",
                "--days",
                "30",
                "--yes",
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("Rotated \"alice-pat\""), "{text}");
    assert!(text.contains("revoked"), "{text}");
    // The secret is never printed.
    assert!(!text.contains(&old_raw));
    let tokens = sim.pat_tokens("alice");
    assert_eq!(tokens.len(), 1, "{tokens:?}");
    let r = check_from_config(&p).await;
    assert!(r.ok && !r.credential_expiring(), "{r:#?}");
    let left = r.credential.unwrap().expires_at.unwrap() - time::OffsetDateTime::now_utc();
    assert!((29..=30).contains(&left.whole_days()), "{left}");
}

#[tokio::test]
async fn rotating_a_basic_connection_is_refused_with_the_reason() {
    let sim = common::sim(Scenario::Normal).await;
    let dir = tempfile::tempdir().unwrap();
    let p = paths(dir.path());
    write_config(&p, &[admin(&sim)]);
    let e = rotate_pat(&p, "admin", &RotateOptions::default(), |_| true)
        .await
        .unwrap_err();
    assert_eq!(e.diagnosis.code, Code::ConfigError);
    assert!(
        e.diagnosis.summary.contains("not a Personal Access Token"),
        "{e}"
    );
}

#[tokio::test]
async fn rotating_an_unknown_connection_says_there_is_none() {
    let sim = common::sim(Scenario::Normal).await;
    let dir = tempfile::tempdir().unwrap();
    let p = paths(dir.path());
    write_config(&p, &[admin(&sim)]);
    let before = std::fs::read(&p.config_file).unwrap();
    let out = jiralink(&p)
        .args(["connections", "rotate", "nosuch", "--yes"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no connection named \"nosuch\""), "{err}");
    assert!(!err.contains("finding the token in use"), "{err}");
    assert_eq!(std::fs::read(&p.config_file).unwrap(), before);
}

// ------------------------------------------------------------------------------- mTLS

struct Pki {
    ca_pem: String,
    server_cert: String,
    server_key: String,
    client_cert: String,
    client_key: String,
}

fn pki(ca_name: &str) -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let ca = |cn: &str| {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, cn);
        let cert = params.self_signed(&key).unwrap();
        (cert.pem(), Issuer::new(params, key))
    };
    let (ca_pem, issuer) = ca(ca_name);
    let leaf = |names: Vec<String>, issuer: &Issuer<'_, KeyPair>| {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(names)
            .unwrap()
            .signed_by(&key, issuer)
            .unwrap();
        (cert.pem(), key.serialize_pem())
    };
    let (server_cert, server_key) = leaf(vec!["127.0.0.1".into()], &issuer);
    let (client_cert, client_key) = leaf(vec!["jiralink-client".into()], &issuer);
    Pki {
        ca_pem,
        server_cert,
        server_key,
        client_cert,
        client_key,
    }
}

fn write_0600(path: &Path, text: &str) {
    jiralink::paths::write_secret_file(path, text.as_bytes()).unwrap();
}

#[tokio::test]
async fn a_client_certificate_passes_a_front_that_requires_one_and_its_absence_is_diagnosed() {
    let sim = common::sim(Scenario::Normal).await;
    let pki = pki("jiralink test proxy CA");
    let cfg = jiralink::sim::tls_front::TlsFrontConfig {
        cert_pem: pki.server_cert.clone().into_bytes(),
        key_pem: pki.server_key.clone().into_bytes(),
        client_ca_pem: Some(pki.ca_pem.clone().into_bytes()),
    };
    let (addr, front) =
        jiralink::sim::tls_front::start("127.0.0.1:0".parse().unwrap(), sim.addr(), &cfg)
            .await
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_0600(&d.join("ca.pem"), &pki.ca_pem);
    write_0600(&d.join("client.pem"), &pki.client_cert);
    write_0600(&d.join("client.key"), &pki.client_key);
    let mut c = Connection::new(
        "mtls",
        format!("https://127.0.0.1:{}/jira", addr.port()),
        AuthKind::Basic,
    );
    c.username = Some("alice".into());
    c.password = plain("alice");
    c.ca_file = Some(d.join("ca.pem"));

    // Without a certificate: the proxy's alert, named, with the fix.
    let r = check_connection(&c, &Defaults::default()).await;
    assert!(!r.ok);
    let diag = r.diagnosis.clone().unwrap();
    assert_eq!(diag.code, Code::ClientCertMissing, "{r:#?}");
    assert!(diag.detail.contains("CertificateRequired"), "{diag}");
    assert!(diag.fix.contains("client_cert"), "{diag}");

    // With one the proxy's CA issued: the whole check passes.
    c.client_cert = Some(d.join("client.pem"));
    c.client_key = Some(d.join("client.key"));
    let r = check_connection(&c, &Defaults::default()).await;
    assert!(r.ok, "{r:#?}");
    assert_eq!(r.user.as_deref(), Some("alice"));

    // A certificate from another CA is refused, and said so.
    let other = self::pki("some other CA");
    write_0600(&d.join("other.pem"), &other.client_cert);
    write_0600(&d.join("other.key"), &other.client_key);
    c.client_cert = Some(d.join("other.pem"));
    c.client_key = Some(d.join("other.key"));
    let r = check_connection(&c, &Defaults::default()).await;
    let diag = r.diagnosis.clone().unwrap();
    assert_eq!(diag.code, Code::ClientCertRejected, "{r:#?}");
    assert!(diag.summary.contains("UnknownCA"), "{diag}");

    // A key readable by others is refused before anything is sent.
    c.client_cert = Some(d.join("client.pem"));
    c.client_key = Some(d.join("client.key"));
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(d.join("client.key"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let r = check_connection(&c, &Defaults::default()).await;
    let diag = r.diagnosis.unwrap();
    assert_eq!(diag.code, Code::ConfigError);
    assert!(
        diag.detail.contains("client_key") || diag.summary.contains("client_key"),
        "{diag}"
    );
    front.abort();
}

// ------------------------------------------------------------------ Cloud scoped tokens

async fn cloud_sim() -> Sim {
    Sim::start(SimConfig {
        projects: 3,
        cloud: true,
        context_path: String::new(),
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

fn scoped_conn(sim: &Sim, url: &str) -> Connection {
    let mut c = Connection::new("scoped", url, AuthKind::CloudToken);
    c.email = sim.email("alice");
    c.token = plain(&sim.scoped_api_token("alice").unwrap());
    c
}

#[tokio::test]
async fn a_scoped_token_on_the_site_url_is_diagnosed_with_the_gateway_url() {
    let sim = cloud_sim().await;
    let site = scoped_conn(&sim, sim.base_url().as_str());
    // The site refuses it; asking the site for its cloud id and the gateway for `myself` names
    // the URL that works.
    let client = JiraClient::new(
        site.client_options_async(&Defaults::default())
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(
        client.myself().await.is_err(),
        "the site must refuse a scoped token"
    );
    assert_eq!(
        jiralink::lifecycle::scoped::cloud_id(&client)
            .await
            .as_deref(),
        Some(sim.cloud_id().as_str())
    );
    let d = jiralink::lifecycle::scoped::diagnose_wrong_host("scoped", &client, &sim.origin())
        .await
        .expect("the gateway accepts the token");
    assert_eq!(d.code, Code::CloudScopedTokenWrongHost);
    let want = sim.gateway_url().as_str().trim_end_matches('/').to_string();
    assert!(d.summary.contains(&want), "{d}");
    assert!(d.fix.contains(&format!("url = \"{want}\"")), "{d}");

    // A classic token that is simply wrong is not called scoped: the site's diagnosis stands.
    let wrong = client.with_auth(jiralink::jira::Auth::CloudToken {
        email: sim.email("alice").unwrap(),
        token: SecretString::from("not-a-token".to_string()),
    });
    assert!(
        jiralink::lifecycle::scoped::diagnose_wrong_host("scoped", &wrong, &sim.origin())
            .await
            .is_none()
    );

    // `jiralink check` does the same on its own (gateway pointed at the simulator) and exits 1.
    let dir = tempfile::tempdir().unwrap();
    let p = paths(dir.path());
    write_config(&p, &[site]);
    let origin = sim.origin();
    let out = tokio::task::spawn_blocking(move || {
        jiralink(&p)
            .env("JIRALINK_CLOUD_GATEWAY", origin)
            .args(["check", "scoped", "--format", "json"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = &v["connections"][0];
    assert_eq!(out.status.code(), Some(1), "{c}");
    assert_eq!(
        c["diagnosis"]["code"], "cloud_scoped_token_wrong_host",
        "{c}"
    );
}

#[tokio::test]
async fn the_gateway_url_form_works_for_check_and_audit() {
    let sim = cloud_sim().await;
    let gw = scoped_conn(&sim, sim.gateway_url().as_str());
    let r = check_connection(&gw, &Defaults::default()).await;
    assert!(r.ok, "{r:#?}");
    assert_eq!(
        r.server.as_ref().unwrap().deployment_type.as_deref(),
        Some("Cloud")
    );

    let dir = tempfile::tempdir().unwrap();
    let p = paths(dir.path());
    write_config(&p, &[gw]);
    let out = tokio::task::spawn_blocking(move || {
        jiralink(&p)
            .args(["audit", "scoped", "--format", "json"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!v["projects"].as_array().unwrap().is_empty(), "{v}");
}

// ------------------------------------------------------------- OAuth 1.0a re-authorization

/// An OAuth 1.0a connection for `user`, authorized through a real dance against the simulator,
/// with the committed test key copied 0600 into `dir`.
async fn oauth1_fixture(user: &str) -> (Sim, tempfile::TempDir, Paths) {
    let sim = common::sim(Scenario::Normal).await;
    let at = common::dance(&sim, user).await;
    let dir = tempfile::tempdir().unwrap();
    let p = paths(dir.path());
    let key = dir.path().join("consumer.pem");
    write_0600(
        &key,
        &std::fs::read_to_string(common::data("test_key.pem")).unwrap(),
    );
    let mut c = Connection::new("app", sim.base_url().as_str(), AuthKind::Oauth1);
    c.consumer_key = Some(common::CONSUMER.into());
    c.private_key = Some(key);
    c.access_token = plain(common::secret(&at.token));
    c.token_secret = plain(common::secret(&at.secret));
    write_config(&p, &[c]);
    (sim, dir, p)
}

/// Approve the request token in `url` as `user` through the simulator's provider, answering
/// with the verification code the way a user would type it.
fn approve_as(sim: &Sim, user: &str, url: &url::Url) -> Option<String> {
    let token = url
        .query_pairs()
        .find(|(k, _)| k == "oauth_token")
        .map(|(_, v)| v.into_owned())?;
    let a = sim.oauth().approve(&token, user, common::now()).ok()?;
    Some(format!("{}\n", a.verifier))
}

fn access_token_of(p: &Paths) -> String {
    use jiralink::secret::ExposeSecret;
    let cfg = Config::load(&p.config_file).unwrap();
    match &cfg.connection("app").unwrap().access_token {
        Some(SecretRef::Plain(s)) => s.expose_secret().to_string(),
        Some(SecretRef::File(f)) => format!("file {}", f.display()),
        other => format!("{other:?}"),
    }
}

#[tokio::test]
async fn reauthorizing_oauth1_switches_only_after_the_new_token_works() {
    use jiralink::lifecycle::reauth::rotate_oauth1;
    // Interrupted before any step: the old token is still configured and still works.
    for step in [
        RotateStep::FindOld,
        RotateStep::Create,
        RotateStep::Verify,
        RotateStep::Switch,
    ] {
        let (sim, _dir, p) = oauth1_fixture("alice").await;
        let before = access_token_of(&p);
        let e = rotate_oauth1(&p, "app", Some(step), |u| {
            let v = approve_as(&sim, "alice", &u);
            async move { v }
        })
        .await
        .unwrap_err();
        assert_eq!(e.step, step);
        assert_eq!(access_token_of(&p), before, "{step:?}");
        let cfg = Config::load(&p.config_file).unwrap();
        let r = check_connection(cfg.connection("app").unwrap(), &cfg.defaults).await;
        assert!(r.ok, "{step:?}: {r:#?}");
    }

    // Approved as someone else: refused before the switch.
    let (sim, _dir, p) = oauth1_fixture("alice").await;
    let before = access_token_of(&p);
    let e = rotate_oauth1(&p, "app", None, |u| {
        let v = approve_as(&sim, "bob", &u);
        async move { v }
    })
    .await
    .unwrap_err();
    assert_eq!(e.step, RotateStep::Verify);
    assert!(e.diagnosis.summary.contains("another user"), "{e}");
    assert_eq!(access_token_of(&p), before);

    // No code typed: nothing changes.
    let e = rotate_oauth1(&p, "app", None, |_| async { None })
        .await
        .unwrap_err();
    assert_eq!(e.diagnosis.code, Code::Cancelled);
    assert_eq!(access_token_of(&p), before);

    // Approved as the same user: the config switches to a new token that works.
    let out = rotate_oauth1(&p, "app", None, |u| {
        let v = approve_as(&sim, "alice", &u);
        async move { v }
    })
    .await
    .unwrap();
    assert_eq!(out.user.as_deref(), Some("alice"));
    assert_ne!(access_token_of(&p), before);
    assert!(out.recheck.ok);
    assert!(jiralink::paths::check_private_perms(&out.access_token_file).is_ok());
    let cfg = Config::load(&p.config_file).unwrap();
    let c = cfg.connection("app").unwrap();
    assert!(matches!(&c.access_token, Some(SecretRef::File(f)) if f == &out.access_token_file));
    assert_eq!(c.token_expires_at, out.expires_at);
}

/// `jiralink sim --tls-cert … --tls-key … --client-ca …`, as a new user would start it: the TLS
/// front's URL from its stderr, then `check` with and without the client certificate.
#[tokio::test]
async fn the_sim_command_serves_a_tls_front_that_requires_a_client_certificate() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pki = pki("jiralink sim CLI CA");
    for (f, text) in [
        ("ca.pem", &pki.ca_pem),
        ("server.pem", &pki.server_cert),
        ("server.key", &pki.server_key),
        ("client.pem", &pki.client_cert),
        ("client.key", &pki.client_key),
    ] {
        write_0600(&d.join(f), text);
    }
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("jiralink"))
        .args(["sim", "--projects", "3", "--tls-cert"])
        .arg(d.join("server.pem"))
        .arg("--tls-key")
        .arg(d.join("server.key"))
        .arg("--client-ca")
        .arg(d.join("ca.pem"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    // Keep reading stderr to the end: a closed pipe would make the child's next line fail.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(u) = l
                .strip_prefix("TLS front: ")
                .and_then(|r| r.split_whitespace().next())
            {
                let _ = tx.send(u.to_owned());
            }
        }
    });
    let url = tokio::task::spawn_blocking(move || {
        rx.recv_timeout(std::time::Duration::from_secs(60)).ok()
    })
    .await
    .unwrap()
    .expect("the sim prints its TLS front");
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let mut c = Connection::new("front", &url, AuthKind::Basic);
    c.username = Some("alice".into());
    c.password = plain("alice");
    c.ca_file = Some(d.join("ca.pem"));
    let without = check_connection(&c, &Defaults::default()).await;
    c.client_cert = Some(d.join("client.pem"));
    c.client_key = Some(d.join("client.key"));
    let with = check_connection(&c, &Defaults::default()).await;
    // Stop the child before any assertion can panic.
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        without.diagnosis.as_ref().map(|d| d.code),
        Some(Code::ClientCertMissing),
        "{without:#?}"
    );
    assert!(with.ok, "{with:#?}");
}
