//! The OAuth dance and the link driver against the in-process simulator over loopback: the full
//! wizard run (create the link with an admin connection, authorize, save, verify), each OAuth
//! failure and its diagnosis, key permissions, and an interrupted token save.

use jiralink::config::{Config, ConfigError};
use jiralink::jira::diagnose::Code;
use jiralink::jira::error::ErrorKind;
use jiralink::jira::oauth_dance::{self, Stage};
use jiralink::jira::{Auth, JiraClient, JiraError};
use jiralink::link::{self, LinkContext, Stop};
use jiralink::paths::Paths;
use jiralink::sim::{Scenario, Sim, SimConfig};
use jiralink::wizard::{ExportFormat, Input, Step, Wizard};
use secrecy::ExposeSecret;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

const CONSUMER: &str = "jiralink-test";

struct Env {
    _dir: tempfile::TempDir,
    sim: Sim,
    paths: Paths,
    key: PathBuf,
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn copy_test_key(dir: &Path) -> PathBuf {
    let key = dir.join("test_key.pem");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/test_key.pem"),
        &key,
    )
    .unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    key
}

async fn setup() -> Env {
    let sim = Sim::start(SimConfig {
        projects: 6,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let key = copy_test_key(dir.path());
    let paths = Paths {
        config_file: dir.path().join("config.toml"),
        data_dir: dir.path().join("data"),
        state_dir: dir.path().join("state"),
        log_file: dir.path().join("state/jiralink.log"),
    };
    let base = sim.base_url().as_str().trim_end_matches('/').to_string();
    let admin_pw = sim.password("admin").unwrap();
    std::fs::write(
        &paths.config_file,
        format!(
            "[[connection]]\nname = \"j\"\nurl = \"{base}\"\nauth = \"oauth1\"\nconsumer_key = \"{CONSUMER}\"\nprivate_key = \"{}\"\n\n\
             [[connection]]\nname = \"admin\"\nurl = \"{base}\"\nauth = \"basic\"\nusername = \"admin\"\npassword = \"{admin_pw}\"\n",
            key.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&paths.config_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    Env {
        _dir: dir,
        sim,
        paths,
        key,
    }
}

impl Env {
    fn ctx(&self) -> LinkContext {
        LinkContext::new(
            self.paths.clone(),
            Config::load(&self.paths.config_file).unwrap(),
        )
    }

    fn base(&self) -> String {
        self.sim
            .base_url()
            .as_str()
            .trim_end_matches('/')
            .to_string()
    }

    fn register(&self) {
        let key = jiralink::keys::load_private_key(&self.key).unwrap();
        let public = jiralink::keys::public_key_for_jira_form(&key.to_public_key());
        self.sim
            .oauth()
            .register_consumer(CONSUMER, "jiralink", &public, None)
            .unwrap();
    }

    async fn client(&self) -> JiraClient {
        self.ctx()
            .oauth_client(&self.base(), CONSUMER, &self.key, None)
            .await
            .unwrap()
    }

    async fn wizard(&self) -> Wizard {
        let ctx = self.ctx();
        let conn = ctx.config.connection("j").unwrap().clone();
        link::wizard_for_connection(&ctx, &conn).await.unwrap()
    }
}

fn nothing() -> impl FnMut(&Wizard, &Input) -> Result<(), jiralink::jira::Diagnosis> + Send {
    |_, _| Ok(())
}

#[tokio::test]
async fn full_dance_for_a_link_created_through_the_api() {
    let env = setup().await;
    let ctx = env.ctx();
    let mut w = env.wizard().await;
    link::advance_to(&ctx, &mut w, Step::Create).await.unwrap();
    assert!(w.probe_info().is_some_and(|p| p.version.is_some()));
    link::drive(
        &ctx,
        &mut w,
        Input::SetAdmin(Some("admin".into())),
        &mut nothing(),
    )
    .await
    .unwrap();
    assert!(!env.sim.oauth().has_consumer(CONSUMER));
    link::drive(&ctx, &mut w, Input::ConfirmCreate, &mut nothing())
        .await
        .unwrap();
    assert!(w.link_created());
    assert!(env.sim.oauth().has_consumer(CONSUMER));

    // Next enters Authorize, which asks Jira for a request token at once.
    link::drive(&ctx, &mut w, Input::Next, &mut nothing())
        .await
        .unwrap();
    assert_eq!(w.step(), Step::Authorize);
    let url = w.authorize_url().unwrap();
    let token = w.request_token().unwrap().token.clone();
    assert!(url.starts_with(&format!(
        "{}/plugins/servlet/oauth/authorize?oauth_token=",
        env.base()
    )));
    let verifier = env.sim.oauth().approve(&token, "alice", now()).unwrap();
    link::drive(
        &ctx,
        &mut w,
        Input::SetVerifier(verifier.verifier),
        &mut nothing(),
    )
    .await
    .unwrap();
    let paths = env.paths.clone();
    let mut saved = None;
    let mut save = |_: &Wizard, i: &Input| {
        if let Input::AccessTokenResult(Ok(a)) = i {
            saved = Some(link::save_access_token(&paths, "j", a).map_err(|e| e.diagnosis())?);
        }
        Ok(())
    };
    link::drive(&ctx, &mut w, Input::SubmitVerifier, &mut save)
        .await
        .unwrap();
    let saved = saved.expect("token saved before verification");
    let v = w.verify_info().unwrap();
    assert_eq!(v.user, "alice");
    assert!(v.project_count > 0);
    // The expiry is what Jira said (the simulator's access-token lifetime), not an assumption.
    let exp = time::OffsetDateTime::parse(
        saved.expires_at.as_deref().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let ttl = exp.unix_timestamp() - now();
    let expected = env.sim.oauth().access_token_ttl_secs;
    assert!((ttl - expected).abs() < 60, "ttl {ttl} vs {expected}");

    // The saved connection works on its own, as `jiralink check` would use it.
    let cfg = Config::load(&env.paths.config_file).unwrap();
    let conn = cfg.connection("j").unwrap();
    let client = JiraClient::new(conn.client_options(&cfg.defaults).unwrap()).unwrap();
    assert_eq!(client.myself().await.unwrap().login(), "alice");

    // Export from the wizard and from the saved connection are the same text.
    for f in ExportFormat::ALL {
        let a = w.export(f).unwrap();
        let b = link::export_connection(conn, f).unwrap();
        assert_eq!(a.expose_secret(), b.expose_secret(), "{f:?}");
    }
    // The driver's Export effect writes the file 0600.
    let out = env.paths.data_dir.join("export.env");
    link::drive(
        &ctx,
        &mut w,
        Input::Export {
            format: ExportFormat::Env,
            path: out.clone(),
        },
        &mut nothing(),
    )
    .await
    .unwrap();
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[tokio::test]
async fn create_refusals_are_diagnosed() {
    let env = setup().await;
    // A non-admin (basic auth as bob) is refused with 401 by the applinks admin resource.
    let bob_pw = env.sim.password("bob").unwrap();
    let text = std::fs::read_to_string(&env.paths.config_file).unwrap();
    std::fs::write(
        &env.paths.config_file,
        format!(
            "{text}\n[[connection]]\nname = \"bob\"\nurl = \"{}\"\nauth = \"basic\"\nusername = \"bob\"\npassword = \"{bob_pw}\"\n",
            env.base()
        ),
    )
    .unwrap();
    let ctx = env.ctx();
    let mut w = env.wizard().await;
    link::advance_to(&ctx, &mut w, Step::Create).await.unwrap();
    link::drive(
        &ctx,
        &mut w,
        Input::SetAdmin(Some("bob".into())),
        &mut nothing(),
    )
    .await
    .unwrap();
    let Err(Stop::Failed(d)) =
        link::drive(&ctx, &mut w, Input::ConfirmCreate, &mut nothing()).await
    else {
        panic!("a non-admin must not create links");
    };
    // bob's login worked (Seraph says OK and names him): a missing permission, not bad credentials.
    assert_eq!(d.code, Code::Forbidden, "{d}");
    assert!(d.fix.contains("administrator"), "{d}");

    // An invalid public key comes back as applinks' error key and is explained.
    let admin = JiraClient::new(
        ctx.config
            .connection("admin")
            .unwrap()
            .client_options(&ctx.config.defaults)
            .unwrap(),
    )
    .unwrap();
    let mut plan = w.create_plan().unwrap();
    plan.requests[1].body["publicKey"] =
        serde_json::json!("-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----");
    let d = jiralink::jira::applinks::create_link(&admin, &plan, false)
        .await
        .unwrap_err();
    assert_eq!(d.code, Code::KeyError, "{d}");
    assert!(d.fix.contains("BEGIN PUBLIC KEY"), "{d}");
}

#[tokio::test]
async fn request_token_failures_are_diagnosed() {
    let env = setup().await;
    // Unknown consumer: nothing registered yet.
    let d = oauth_dance::request_token(&env.client().await)
        .await
        .unwrap_err();
    assert_eq!(d.code, Code::OauthConsumerUnknown, "{d}");

    // Wrong key: Jira holds another public key than the one we sign with.
    let other = jiralink::keys::generate(2048).unwrap();
    env.sim
        .oauth()
        .register_consumer(
            CONSUMER,
            "jiralink",
            &jiralink::keys::public_key_for_jira_form(&other.to_public_key()),
            None,
        )
        .unwrap();
    let d = oauth_dance::request_token(&env.client().await)
        .await
        .unwrap_err();
    assert_eq!(d.code, Code::OauthSignatureInvalid, "{d}");
    assert!(d.detail.contains("public key"), "{d}");

    env.register();
    // Clock skew beyond Jira's window.
    env.sim.set_scenario(Scenario::ClockSkew { secs: 3600 });
    let d = oauth_dance::request_token(&env.client().await)
        .await
        .unwrap_err();
    assert_eq!(d.code, Code::OauthTimestampRefused, "{d}");

    // A proxy that rewrites the URL: Jira verifies against its own base URL.
    env.sim.set_scenario(Scenario::ProxyMismatch);
    let d = oauth_dance::request_token(&env.client().await)
        .await
        .unwrap_err();
    assert_eq!(d.code, Code::OauthSignatureInvalid, "{d}");
    assert!(d.detail.contains("URL"), "{d}");

    env.sim.set_scenario(Scenario::Normal);
    assert!(oauth_dance::request_token(&env.client().await)
        .await
        .is_ok());
}

#[tokio::test]
async fn access_token_failures_are_diagnosed() {
    let env = setup().await;
    env.register();
    let client = env.client().await;
    let fresh = || async { oauth_dance::request_token(&client).await.unwrap().token };

    // Not approved yet.
    let t = fresh().await;
    let d = oauth_dance::access_token(&client, &t, "ABC123")
        .await
        .unwrap_err();
    assert_eq!(d.code, Code::OauthPermissionUnknown, "{d}");
    assert!(d.fix.contains("Allow"), "{d}");

    // Denied in the browser.
    let t = fresh().await;
    env.sim.oauth().deny(&t).unwrap();
    let d = oauth_dance::access_token(&client, &t, "ABC123")
        .await
        .unwrap_err();
    assert_eq!(d.code, Code::OauthPermissionDenied, "{d}");
    assert!(d.fix.contains("Start over"), "{d}");

    // Wrong verifier (Jira answers token_rejected).
    let t = fresh().await;
    env.sim.oauth().approve(&t, "alice", now()).unwrap();
    let d = oauth_dance::access_token(&client, &t, "WRONG1")
        .await
        .unwrap_err();
    assert_eq!(d.code, Code::OauthTokenRejected, "{d}");
    assert!(d.summary.contains("verification code"), "{d}");

    // Expired: approved, but exchanged after Jira's 10 minutes (server clock moved on).
    let t = fresh().await;
    let v = env.sim.oauth().approve(&t, "alice", now()).unwrap();
    env.sim.set_scenario(Scenario::ClockSkew { secs: 11 * 60 });
    let d = oauth_dance::access_token(&client, &t, &v.verifier)
        .await
        .unwrap_err();
    assert_eq!(d.code, Code::OauthTokenExpired, "{d}");
    assert!(d.summary.contains("request token expired"), "{d}");
    assert!(d.fix.contains("Start over"), "{d}");
    env.sim.set_scenario(Scenario::Normal);

    // And the happy path through the same functions.
    let t = fresh().await;
    let v = env.sim.oauth().approve(&t, "bob", now()).unwrap();
    let a = oauth_dance::access_token(&client, &t, &v.verifier)
        .await
        .unwrap();
    assert!(a.expires_at.is_some() && a.session_handle.is_some());
    assert_eq!(
        env.sim
            .oauth()
            .token_secret(a.token.expose_secret())
            .as_deref(),
        Some(a.secret.expose_secret())
    );
}

/// HMAC-SHA1 (RFC 2104) over SHA-1, so the test needs no extra crate.
fn hmac_sha1(key: &[u8], msg: &[u8]) -> [u8; 20] {
    use sha1::{Digest, Sha1};
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..20].copy_from_slice(&Sha1::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha1::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(msg);
    let mut outer = Sha1::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

#[tokio::test]
async fn hmac_signature_is_rejected_and_explained() {
    use base64::Engine as _;
    let env = setup().await;
    env.register();
    let url = url::Url::parse(&format!(
        "{}{}",
        env.base(),
        oauth_dance::REQUEST_TOKEN_PATH
    ))
    .unwrap();
    let params: Vec<(String, String)> = [
        ("oauth_callback", "oob"),
        ("oauth_consumer_key", CONSUMER),
        ("oauth_nonce", "hmacnonce1"),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", &now().to_string()),
        ("oauth_version", "1.0"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let base = jiralink::jira::oauth::signature_base_string("POST", &url, &params);
    let sig = base64::engine::general_purpose::STANDARD
        .encode(hmac_sha1(b"consumer-secret&", base.as_bytes()));
    let mut header = String::from("OAuth ");
    for (k, v) in params
        .iter()
        .chain([("oauth_signature".to_string(), sig)].iter())
    {
        header.push_str(&format!("{k}=\"{}\", ", jiralink::jira::oauth::encode(v)));
    }
    let header = header.trim_end_matches(", ").to_string();
    let resp = reqwest::Client::new()
        .post(url.clone())
        .header("Authorization", header)
        .send()
        .await
        .unwrap();
    // The OAuth Problem Reporting extension (wiki.oauth.net/ProblemReporting) pairs
    // signature_method_rejected with 400 Bad Request.
    assert_eq!(resp.status().as_u16(), 400);
    let www = resp
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = resp.text().await.unwrap();
    let problem = jiralink::jira::oauth::parse_oauth_problem(www.as_deref(), &body).unwrap();
    let err = JiraError::new(
        ErrorKind::OAuth {
            problem,
            our_base_string: None,
            clock_skew_secs: None,
        },
        "POST",
        url.as_str(),
    );
    let d = oauth_dance::dance_diagnosis(Stage::RequestToken, &err);
    assert_eq!(d.code, Code::OauthSignatureMethodRejected, "{d}");
    assert!(d.fix.contains("RSA-SHA1"), "{d}");
}

#[tokio::test]
async fn a_key_readable_by_others_is_refused() {
    let env = setup().await;
    std::fs::set_permissions(&env.key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let ctx = env.ctx();
    let conn = ctx.config.connection("j").unwrap().clone();
    let Err(Stop::Failed(d)) = link::wizard_for_connection(&ctx, &conn).await else {
        panic!("a group/world-readable key must be refused");
    };
    assert_eq!(d.code, Code::KeyError);
    assert!(d.detail.contains("chmod 600"), "{d}");
    let e = ctx
        .oauth_client(&env.base(), CONSUMER, &env.key, None)
        .await
        .unwrap_err();
    assert_eq!(e.code, Code::KeyError);
}

#[tokio::test]
async fn interrupted_token_save_keeps_the_working_config() {
    let env = setup().await;
    env.register();
    let client = env.client().await;
    let dance = || async {
        let t = oauth_dance::request_token(&client).await.unwrap().token;
        let v = env.sim.oauth().approve(&t, "alice", now()).unwrap();
        let a = oauth_dance::access_token(&client, &t, &v.verifier)
            .await
            .unwrap();
        jiralink::wizard::AccessInfo {
            expires_at: a.expires_at_rfc3339(),
            token: a.token,
            secret: a.secret,
        }
    };
    let first = dance().await;
    link::save_access_token(&env.paths, "j", &first).unwrap();
    let before = std::fs::read_to_string(&env.paths.config_file).unwrap();

    let second = dance().await;
    let e = link::save_access_token_with(&env.paths, "j", &second, |_| {
        Err(ConfigError::Write {
            path: env.paths.config_file.clone(),
            message: "disk full (simulated)".into(),
        })
    })
    .unwrap_err();
    assert!(e.to_string().contains("disk full"));
    assert_eq!(
        std::fs::read_to_string(&env.paths.config_file).unwrap(),
        before
    );
    // The old token still authenticates through the untouched config.
    let cfg = Config::load(&env.paths.config_file).unwrap();
    let opts = cfg
        .connection("j")
        .unwrap()
        .client_options(&cfg.defaults)
        .unwrap();
    assert!(matches!(opts.auth, Auth::OAuth1(_)));
    let me = JiraClient::new(opts).unwrap().myself().await.unwrap();
    assert_eq!(me.login(), "alice");
}
