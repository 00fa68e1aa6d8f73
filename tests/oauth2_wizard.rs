//! The link wizard's OAuth 2.0 path over real loopback HTTP against the simulator (9.12.3, where
//! OAuth 2.0 is the default kind): the TUI wizard with only the keyboard (Create with the admin
//! connection, approve on the simulator's consent page as a browser would, type the redirect URL
//! back, verify as alice, export), then a green check, also after the access token expired (a new
//! refresh token saved); the core wizard by hand (pasted client id and secret): a wrong secret, a
//! Deny and a reused code each end in their diagnosis; Jira < 8.22 offers only OAuth 1.0a.

mod tui_support;

use crossterm::event::KeyCode;
use jiralink::cli::demo::{Demo, DEMO_ADMIN};
use jiralink::config::{AuthKind, Config};
use jiralink::jira::diagnose::Code;
use jiralink::link::{run_effect, LinkContext};
use jiralink::paths::Paths;
use jiralink::tui::action::{Action, Effect};
use jiralink::tui::app::App;
use jiralink::tui::effects::EffectRunner;
use jiralink::tui::panes::wizard::{Item, WizardField, WizardPane};
use jiralink::tui::theme::Theme;
use jiralink::wizard::{self, Input, LinkKind, O2Input, O2Step, ProbeInfo, Step, Wizard};
use secrecy::SecretString;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;
use tui_support::{code, key, render};

/// What a browser does with the authorize URL: log in on /login.jsp as `user`, follow the
/// authorize redirect to the consent page, press `decision` (allow / deny) on its form, and
/// return where Jira sends the browser then (the redirect URL with `code` or `error`).
async fn browser(
    base: &str,
    authorize_url: &str,
    user: &str,
    password: &str,
    decision: &str,
) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = http
        .post(format!("{base}/login.jsp"))
        .form(&[("os_username", user), ("os_password", password)])
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
    let r = http
        .get(authorize_url)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
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
    assert!(page.contains("Allow") && page.contains("Deny"), "{page}");
    let id = page
        .split("name=\"request_id\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    let r = http
        .post(format!("{base}/plugins/servlet/oauth2/consent"))
        .header("cookie", &cookie)
        .form(&[("request_id", id.as_str()), ("decision", decision)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    r.headers()["location"].to_str().unwrap().to_string()
}

fn base_of(demo: &Demo) -> String {
    demo.sim
        .base_url()
        .to_string()
        .trim_end_matches('/')
        .to_string()
}

async fn sim_control(demo: &Demo, path: &str, body: serde_json::Value) -> serde_json::Value {
    let origin = demo.sim.base_url().origin().ascii_serialization();
    reqwest::Client::new()
        .post(format!("{origin}/__sim/{path}"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The app, its effect runner and the channel results come back on, like the real event loop.
struct Harness {
    demo: Demo,
    app: App,
    runner: EffectRunner,
    rx: UnboundedReceiver<Action>,
}

impl Harness {
    /// The demo's app, with the wizard offering both kinds (no kind preset).
    async fn start() -> Harness {
        let demo = Demo::start(3).await.unwrap();
        let mut opts = demo.app_options();
        opts.theme = Theme::plain();
        opts.task_timeout = Duration::from_secs(30);
        if let Some(p) = opts.link_preset.as_mut() {
            p.kind = None;
            p.connection_name = "app2".into();
        }
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let runner = EffectRunner::for_app(&opts, tx);
        let (app, effects) = App::new(&opts, Instant::now());
        let mut h = Harness {
            demo,
            app,
            runner,
            rx,
        };
        h.run(effects);
        h
    }

    fn run(&mut self, effects: Vec<Effect>) {
        for e in effects {
            match e {
                Effect::Copy(_) | Effect::Quit | Effect::Suspend => {}
                other => self.runner.spawn(other),
            }
        }
    }

    fn send(&mut self, a: Action) {
        let effects = self.app.update(a);
        self.run(effects);
    }

    fn keys(&mut self, text: &str) {
        for c in text.chars() {
            self.send(key(c));
        }
    }

    fn wiz(&self) -> &WizardPane {
        &self.app.panes.wizard
    }

    async fn until(&mut self, what: &str, limit: Duration, done: impl Fn(&App) -> bool) {
        let end = Instant::now() + limit;
        while !done(&self.app) {
            assert!(
                Instant::now() < end,
                "timed out waiting for {what}:\n{}",
                render(&self.app, 100, 30)
            );
            match tokio::time::timeout(Duration::from_millis(50), self.rx.recv()).await {
                Ok(Some(a)) => self.send(a),
                Ok(None) => panic!("channel closed"),
                Err(_) => self.send(Action::Tick(Instant::now())),
            }
        }
    }

    async fn idle(&mut self) {
        self.until("the app to be idle", Duration::from_secs(30), |a| {
            a.busy() == 0
        })
        .await;
    }

    fn focus(&mut self, item: Item) {
        for _ in 0..20 {
            if self.wiz().focused() == Some(item) {
                return;
            }
            self.send(code(KeyCode::Down));
        }
        panic!("no row {item:?} on {:?}", self.wiz().items());
    }

    fn edit(&mut self, id: WizardField) {
        self.focus(Item::Text(id));
        if !self.wiz().editing() {
            self.send(code(KeyCode::Enter));
        }
        assert!(self.wiz().editing());
    }

    fn o2_step(&self) -> Option<O2Step> {
        self.wiz().wizard().oauth2().map(|f| f.step())
    }
}

fn saved_refresh(config: &std::path::Path, name: &str) -> (String, String) {
    let cfg = Config::load(config).unwrap();
    let c = cfg.connection(name).unwrap();
    let file = |r: &Option<jiralink::secret::SecretRef>| match r {
        Some(jiralink::secret::SecretRef::File(p)) => {
            let mode = std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", p.display());
            std::fs::read_to_string(p).unwrap()
        }
        other => panic!("expected a token file, got {other:?}"),
    };
    (file(&c.refresh_token), file(&c.access_token))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tui_wizard_links_oauth2_with_only_the_keyboard() {
    let mut h = Harness::start().await;
    h.send(key('2')); // the Link wizard pane
                      // Target: the preset URL is probed; 9.12.3 offers OAuth 2.0 first.
    h.until("the probe", Duration::from_secs(30), |a| {
        a.panes.wizard.wizard().probe_info().is_some()
    })
    .await;
    assert_eq!(h.wiz().wizard().link_kind(), LinkKind::OAuth2);
    assert!(h.wiz().items().contains(&Item::Kind));
    let screen = render(&h.app, 100, 30);
    assert!(
        screen.contains("OAuth 2.0 (External application)"),
        "{screen}"
    );

    // Settings: keep the defaults (the .invalid redirect URL, READ).
    h.send(key('n'));
    assert_eq!(
        h.o2_step(),
        Some(O2Step::Settings),
        "{:?}",
        h.wiz().wizard().error()
    );
    assert_eq!(h.wiz().wizard().step(), Step::Keys);
    let screen = render(&h.app, 100, 30);
    assert!(
        screen.contains("[Settings]") && screen.contains("Redirect URL"),
        "{screen}"
    );
    h.send(key('n'));
    assert_eq!(h.o2_step(), Some(O2Step::Register));

    // Register: Create with the admin connection (preset), confirm with y.
    assert_eq!(h.wiz().wizard().admin(), Some(DEMO_ADMIN));
    h.focus(Item::Action(jiralink::tui::keymap::WizardCmd::Create));
    h.send(code(KeyCode::Enter));
    h.send(key('y'));
    h.until("the link to be created", Duration::from_secs(30), |a| {
        a.panes
            .wizard
            .wizard()
            .oauth2()
            .is_some_and(|f| f.step() == O2Step::Authorize)
    })
    .await;
    let flow = h.wiz().wizard().oauth2().unwrap().clone();
    let url = flow.authorize_url().unwrap();
    let screen = render(&h.app, 100, 30);
    assert!(screen.contains("Authorize URL"), "{screen}");

    // The user approves in a browser as alice and types the address-bar URL back.
    let base = base_of(&h.demo);
    let pw = h.demo.sim.password("alice").unwrap();
    let redirect = browser(&base, &url, "alice", &pw, "allow").await;
    assert!(redirect.contains("code="), "{redirect}");
    h.edit(WizardField::Pasted);
    h.keys(&redirect);
    h.send(code(KeyCode::Enter));
    h.until("the saved connection", Duration::from_secs(30), |a| {
        a.panes.wizard.saved_connection().is_some()
    })
    .await;
    h.idle().await;
    let v = h
        .wiz()
        .wizard()
        .oauth2()
        .unwrap()
        .verify_info()
        .unwrap()
        .clone();
    assert_eq!(v.user, "alice");
    let screen = render(&h.app, 100, 30);
    assert!(
        screen.contains("Acts as") && screen.contains("alice"),
        "{screen}"
    );

    // Saved: auth = "oauth2", client secret and tokens in 0600 files, never in the config.
    let cfg_text = std::fs::read_to_string(&h.demo.config_path).unwrap();
    let cfg = Config::load(&h.demo.config_path).unwrap();
    let c = cfg.connection("app2").unwrap();
    assert_eq!(c.auth, AuthKind::Oauth2);
    assert_eq!(c.scopes, ["READ"]);
    let (refresh1, access1) = saved_refresh(&h.demo.config_path, "app2");
    assert!(!cfg_text.contains(&refresh1) && !cfg_text.contains(&access1));

    // Export with x: 0600, client id, token endpoint, tokens.
    h.send(key('x'));
    h.idle().await;
    let export = h.demo.data_dir.join("app2-export.toml");
    let mode = std::fs::metadata(&export).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&export).unwrap();
    assert!(
        text.contains("auth = \"oauth2\"") && text.contains(&refresh1),
        "{text}"
    );

    // check is green as alice; after the access token expired it still is, and a new refresh
    // token was saved.
    let r = jiralink::check::check_connection(c, &cfg.defaults).await;
    assert!(r.ok, "{:?}", r.diagnosis);
    assert_eq!(r.user.as_deref(), Some("alice"));
    let expired = sim_control(&h.demo, "oauth2/expire", serde_json::json!({})).await;
    assert!(expired["expired"].as_u64().unwrap() >= 1, "{expired}");
    let cfg = Config::load(&h.demo.config_path).unwrap();
    let r = jiralink::check::check_connection(cfg.connection("app2").unwrap(), &cfg.defaults).await;
    assert!(r.ok, "{:?}", r.diagnosis);
    let (refresh2, access2) = saved_refresh(&h.demo.config_path, "app2");
    assert_ne!(refresh1, refresh2, "the rotated refresh token is saved");
    assert_ne!(access1, access2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tui_wizard_shows_the_deny_diagnosis() {
    let mut h = Harness::start().await;
    h.send(key('2'));
    h.until("the probe", Duration::from_secs(30), |a| {
        a.panes.wizard.wizard().probe_info().is_some()
    })
    .await;
    h.send(key('n'));
    h.send(key('n'));
    h.focus(Item::Action(jiralink::tui::keymap::WizardCmd::Create));
    h.send(code(KeyCode::Enter));
    h.send(key('y'));
    h.until("the link to be created", Duration::from_secs(30), |a| {
        a.panes
            .wizard
            .wizard()
            .oauth2()
            .is_some_and(|f| f.step() == O2Step::Authorize)
    })
    .await;
    let url = h.wiz().wizard().oauth2().unwrap().authorize_url().unwrap();
    let pw = h.demo.sim.password("alice").unwrap();
    let redirect = browser(&base_of(&h.demo), &url, "alice", &pw, "deny").await;
    assert!(redirect.contains("error=access_denied"), "{redirect}");
    h.edit(WizardField::Pasted);
    h.keys(&redirect);
    h.send(code(KeyCode::Enter));
    let view = h.wiz().wizard().view();
    assert_eq!(
        view.diagnosis.as_ref().map(|d| d.code),
        Some(Code::Oauth2AccessDenied),
        "{view:?}"
    );
    // The fix speaks of the wizard, not of `jiralink link authorize`.
    let fix = &view.diagnosis.as_ref().unwrap().fix;
    assert!(
        fix.contains("new authorize URL") && !fix.contains("jiralink link"),
        "{fix}"
    );
    let screen = render(&h.app, 100, 30);
    assert!(screen.contains("Access was denied"), "{screen}");
    // A new attempt was made: a fresh URL.
    let again = h.wiz().wizard().oauth2().unwrap().authorize_url().unwrap();
    assert_ne!(url, again);
}

/// Drive the core wizard as a front end does: apply, run the effects, feed results back.
async fn drive(ctx: &LinkContext, w: &mut Wizard, input: Input) {
    let mut queue: std::collections::VecDeque<wizard::WizardEffect> = w.apply(input).into();
    while let Some(e) = queue.pop_front() {
        let r = run_effect(ctx, w, e).await;
        queue.extend(w.apply(r));
    }
}

fn o2(i: O2Input) -> Input {
    Input::OAuth2(i)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn core_wizard_pasted_credentials_wrong_secret_and_reused_code() {
    let demo = Demo::start(2).await.unwrap();
    let paths = Paths {
        config_file: demo.config_path.clone(),
        data_dir: demo.data_dir.clone(),
        state_dir: demo.data_dir.clone(),
        log_file: demo.data_dir.join("jiralink.log"),
    };
    let ctx = LinkContext::new(paths, Config::load(&demo.config_path).unwrap());
    let base = base_of(&demo);
    // A link registered in Jira's UI (the simulator's control endpoint stands in for the admin).
    let created = sim_control(
        &demo,
        "oauth2/client",
        serde_json::json!({"name": "by hand", "redirects": ["https://jiralink.invalid/oauth2/callback"], "scope": "READ"}),
    )
    .await;
    let id = created["client_id"].as_str().unwrap().to_string();
    let secret = created["client_secret"].as_str().unwrap().to_string();

    let mut w = Wizard::offering_kinds(&demo.data_dir);
    drive(&ctx, &mut w, Input::SetUrl(base.clone())).await;
    drive(&ctx, &mut w, Input::SetConnectionName("byhand".into())).await;
    drive(&ctx, &mut w, Input::Next).await; // probe
    drive(&ctx, &mut w, Input::Next).await;
    assert_eq!(w.oauth2().map(|f| f.step()), Some(O2Step::Settings));
    drive(&ctx, &mut w, o2(O2Input::SetScopes("read".into()))).await;
    drive(&ctx, &mut w, Input::Next).await;
    // Register: the wrong secret is accepted here; Jira refuses it at the exchange.
    drive(&ctx, &mut w, o2(O2Input::SetClientId(id.clone()))).await;
    drive(
        &ctx,
        &mut w,
        o2(O2Input::SetClientSecret(SecretString::from(
            "wrong".to_string(),
        ))),
    )
    .await;
    drive(&ctx, &mut w, o2(O2Input::UseCredentials)).await;
    assert_eq!(w.step(), Step::Authorize);
    let pw = demo.sim.password("alice").unwrap();
    let url = w.oauth2().unwrap().authorize_url().unwrap();
    let redirect = browser(&base, &url, "alice", &pw, "allow").await;
    drive(&ctx, &mut w, o2(O2Input::SetPasted(redirect))).await;
    drive(&ctx, &mut w, o2(O2Input::SubmitPasted)).await;
    let d = w.view().diagnosis.expect("a diagnosis");
    assert_eq!(d.code, Code::Oauth2InvalidClient, "{d}");
    assert!(d.fix.contains("Register"), "{d}");
    // Nothing was saved for a failed exchange.
    let cfg = Config::load(&demo.config_path).unwrap();
    assert!(cfg.connection("byhand").is_none());

    // Back to Register, the right secret, a new attempt: linked as alice.
    drive(&ctx, &mut w, Input::Back).await;
    drive(
        &ctx,
        &mut w,
        o2(O2Input::SetClientSecret(SecretString::from(secret))),
    )
    .await;
    drive(&ctx, &mut w, o2(O2Input::UseCredentials)).await;
    let url = w.oauth2().unwrap().authorize_url().unwrap();
    let redirect = browser(&base, &url, "alice", &pw, "allow").await;
    let code_only = url::Url::parse(&redirect)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    drive(&ctx, &mut w, o2(O2Input::SetPasted(redirect))).await;
    drive(&ctx, &mut w, o2(O2Input::SubmitPasted)).await;
    let f = w.oauth2().unwrap();
    assert_eq!(f.step(), O2Step::Verify, "{:?}", w.view().errors);
    assert_eq!(f.verify_info().unwrap().user, "alice");
    let cfg = Config::load(&demo.config_path).unwrap();
    let c = cfg.connection("byhand").unwrap();
    assert_eq!(
        (c.auth, c.client_id.as_deref()),
        (AuthKind::Oauth2, Some(id.as_str()))
    );
    let saved = saved_refresh(&demo.config_path, "byhand");

    // The same code pasted again (bare): Jira refuses a reused code; the saved link is kept.
    drive(&ctx, &mut w, Input::Back).await;
    assert_eq!(w.step(), Step::Authorize);
    drive(&ctx, &mut w, o2(O2Input::SetPasted(code_only))).await;
    drive(&ctx, &mut w, o2(O2Input::SubmitPasted)).await;
    let d = w.view().diagnosis.expect("a diagnosis");
    assert_eq!(d.code, Code::Oauth2InvalidGrant, "{d}");
    assert!(d.detail.contains("already used"), "{d}");
    assert_eq!(saved_refresh(&demo.config_path, "byhand"), saved);
}

#[test]
fn jira_before_8_22_offers_only_oauth1() {
    let mut w = Wizard::offering_kinds("/keys");
    w.apply(Input::SetUrl("https://jira.example.com".into()));
    let effects = w.apply(Input::Next);
    assert!(matches!(&effects[..], [wizard::WizardEffect::Probe { .. }]));
    let probe = |v: &str, t| ProbeInfo {
        version: Some(v.into()),
        version_tuple: Some(t),
        deployment_type: Some("Server".into()),
        ..ProbeInfo::default()
    };
    w.apply(Input::ProbeResult(Ok(probe("8.20.10", (8, 20, 10)))));
    assert_eq!(w.offered_kinds(), [LinkKind::OAuth1]);
    assert_eq!(w.link_kind(), LinkKind::OAuth1);
    w.apply(Input::SetKind(LinkKind::OAuth2));
    assert!(
        w.error().unwrap().contains("no OAuth 2.0 provider"),
        "{:?}",
        w.error()
    );
    w.apply(Input::Next);
    assert_eq!(w.step(), Step::Target, "refused, not entered");
    assert!(w.oauth2().is_none());
    w.apply(Input::SetKind(LinkKind::OAuth1));
    w.apply(Input::Next);
    assert_eq!(w.step(), Step::Keys);
    assert!(w.oauth2().is_none(), "the OAuth 1.0a path");
}
