//! `jiralink demo`'s Link wizard on the OAuth 2.0 path with nothing but the keyboard: the demo
//! starts on OAuth 1.0a, Space picks OAuth 2.0, Create makes the link with the admin connection,
//! and `A` sends the demo's browser through the simulator's real authorize redirect, login page and
//! consent page over loopback HTTP; the address it is sent to after Allow lands in the paste field
//! and Enter finishes the link (verified as alice, checked green). A browser that cannot log in
//! says so and fills in nothing; a new attempt hides the old answer.

mod tui_support;

use crossterm::event::KeyCode;
use jiralink::cli::demo::{ConsentBrowser, Demo, DEMO_OAUTH};
use jiralink::config::{AuthKind, Config};
use jiralink::tui::action::{Action, Effect};
use jiralink::tui::app::App;
use jiralink::tui::effects::EffectRunner;
use jiralink::tui::keymap::WizardCmd;
use jiralink::tui::panes::wizard::{Item, WizardField, WizardPane};
use jiralink::tui::theme::Theme;
use jiralink::wizard::{LinkKind, O2Step};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;
use tui_support::{code, key, render};

/// The demo's app with its effect runner and the channel results come back on.
struct Harness {
    demo: Demo,
    app: App,
    runner: EffectRunner,
    rx: UnboundedReceiver<Action>,
}

impl Harness {
    /// The demo exactly as `jiralink demo` sets it up, except the browser's password when given.
    async fn start(browser_password: Option<&str>) -> Harness {
        let demo = Demo::start(3).await.unwrap();
        let mut opts = demo.app_options();
        opts.theme = Theme::plain();
        opts.task_timeout = Duration::from_secs(30);
        if let Some(pw) = browser_password {
            opts.browser = Some(Arc::new(ConsentBrowser::new("alice", pw)));
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

    fn o2_step(&self) -> Option<O2Step> {
        self.wiz().wizard().oauth2().map(|f| f.step())
    }

    /// Link wizard → OAuth 2.0 (Space on the kind row) → Settings → Register → Create with the
    /// demo's admin connection → Authorize.
    async fn walk_to_authorize(&mut self) {
        self.send(key('2'));
        self.until("the probe", Duration::from_secs(30), |a| {
            a.panes.wizard.wizard().probe_info().is_some()
        })
        .await;
        // The demo starts on the OAuth 1.0a link its seeded integrations use...
        assert_eq!(self.wiz().wizard().link_kind(), LinkKind::OAuth1);
        // ... and OAuth 2.0 is one key away.
        self.focus(Item::Kind);
        self.send(key(' '));
        assert_eq!(self.wiz().wizard().link_kind(), LinkKind::OAuth2);
        self.send(key('n'));
        assert_eq!(self.o2_step(), Some(O2Step::Settings));
        self.send(key('n'));
        assert_eq!(self.o2_step(), Some(O2Step::Register));
        self.focus(Item::Action(WizardCmd::Create));
        self.send(code(KeyCode::Enter));
        self.send(key('y'));
        self.until("the link to be created", Duration::from_secs(30), |a| {
            a.panes
                .wizard
                .wizard()
                .oauth2()
                .is_some_and(|f| f.step() == O2Step::Authorize)
        })
        .await;
        self.idle().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_approves_the_oauth2_authorization_and_enter_finishes_the_link() {
    let mut h = Harness::start(None).await;
    h.walk_to_authorize().await;
    assert!(h.wiz().items().contains(&Item::Action(WizardCmd::Approve)));
    let screen = render(&h.app, 100, 30);
    assert!(
        screen.contains("Demo: click Allow in the simulated Jira (A)"),
        "{screen}"
    );
    let url = h.wiz().wizard().oauth2().unwrap().authorize_url().unwrap();
    let state = url::Url::parse(&url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();

    // A: the browser goes through the authorize redirect, the login page and the consent page.
    h.send(key('A'));
    h.until("the simulated Allow", Duration::from_secs(30), |a| {
        a.panes.wizard.simulated_code().is_some()
    })
    .await;
    let address = h.wiz().simulated_code().unwrap().to_string();
    let u = url::Url::parse(&address).unwrap();
    assert_eq!(
        format!("{}://{}{}", u.scheme(), u.host_str().unwrap(), u.path()),
        jiralink::jira::oauth2::DEFAULT_REDIRECT_URI,
        "{address}"
    );
    let q: std::collections::HashMap<_, _> = u.query_pairs().into_owned().collect();
    assert!(q.get("code").is_some_and(|c| !c.is_empty()), "{address}");
    assert_eq!(q.get("state"), Some(&state), "{address}");
    // Filled in as if pasted, focused and being edited: Enter submits it.
    assert_eq!(h.wiz().text(WizardField::Pasted), address);
    assert_eq!(h.wiz().focused(), Some(Item::Text(WizardField::Pasted)));
    assert!(h.wiz().editing());
    let screen = render(&h.app, 100, 30);
    assert!(
        screen.contains("Simulated browser (demo) after clicking Allow went to:"),
        "{screen}"
    );
    h.send(code(KeyCode::Enter));
    h.until("the saved connection", Duration::from_secs(30), |a| {
        a.panes.wizard.saved_connection().is_some()
    })
    .await;
    h.idle().await;
    let v = h.wiz().wizard().oauth2().unwrap().verify_info().unwrap();
    assert_eq!(v.user, "alice", "the demo's browser approved as alice");

    // The demo's OAuth connection is now an OAuth 2.0 one, and it checks green.
    let cfg = Config::load(&h.demo.config_path).unwrap();
    let c = cfg.connection(DEMO_OAUTH).unwrap();
    assert_eq!(c.auth, AuthKind::Oauth2);
    assert!(c.refresh_token.is_some() && c.access_token.is_some());
    h.send(key('1'));
    h.until("demo-oauth checked green", Duration::from_secs(30), |a| {
        render(a, 100, 30)
            .lines()
            .any(|l| l.contains(DEMO_OAUTH) && l.contains("[ok] Jira 9.12.3 as alice"))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_that_cannot_log_in_says_so_and_a_new_attempt_hides_old_answers() {
    let mut h = Harness::start(Some("not-alices-password")).await;
    h.walk_to_authorize().await;
    h.send(key('A'));
    h.until(
        "the simulated Allow to fail",
        Duration::from_secs(30),
        |a| a.busy() == 0 && render(a, 100, 30).contains("Simulated Allow failed"),
    )
    .await;
    let screen = render(&h.app, 100, 30);
    assert!(screen.contains("logging in as alice failed"), "{screen}");
    assert_eq!(h.wiz().simulated_code(), None);
    assert_eq!(h.wiz().text(WizardField::Pasted), "");
    assert_eq!(h.o2_step(), Some(O2Step::Authorize));

    // r: a new attempt (fresh URL, state, verifier): the old answer is no longer shown.
    let before = h.wiz().wizard().oauth2().unwrap().authorize_url();
    h.focus(Item::Action(WizardCmd::NewToken));
    h.send(code(KeyCode::Enter));
    assert_ne!(h.wiz().wizard().oauth2().unwrap().authorize_url(), before);
    let screen = render(&h.app, 100, 30);
    assert!(!screen.contains("Simulated Allow failed"), "{screen}");
}
