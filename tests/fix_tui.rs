//! The checker's fix flow, whole app on `TestBackend` with the real core (`LiveCore`) against the
//! simulator over loopback: in an invisible project's explanation `f` shows the plan (changes as
//! REST calls, exact gains, alternatives), `y` asks, `y` applies with progress and re-audits so the
//! row turns ✓ and the change log shows it; `u` undoes and the row turns back. The simulator's
//! truth diff equals the plan's gains, and undo restores it exactly.

mod tui_support;

use crossterm::event::KeyCode;
use jiralink::audit::fix::Plan;
use jiralink::cli::demo::Demo;
use jiralink::config::{AuthKind, Config, Defaults};
use jiralink::secret::{SecretRef, SecretString};
use jiralink::sim::{Sim, SimConfig};
use jiralink::tui::action::ConnectionsMsg;
use jiralink::tui::action::{Action, Effect};
use jiralink::tui::app::App;
use jiralink::tui::effects::{EffectRunner, LiveCore};
use jiralink::tui::panes::checker::fix::FixState;
use jiralink::tui::panes::checker::CheckerMode as Mode;
use jiralink::tui::theme::Theme;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;
use tui_support::*;

const PERMS: [&str; 3] = ["BROWSE_PROJECTS", "CREATE_ISSUES", "ADMINISTER_PROJECTS"];

fn sim_config(sim: &Sim) -> Config {
    let url = sim.base_url().to_string();
    let user = |name: &str| {
        let mut c = connection(name, &url, AuthKind::Basic);
        c.username = Some(name.into());
        c.password = Some(SecretRef::Plain(SecretString::from(
            sim.password(name).unwrap(),
        )));
        c
    };
    Config {
        defaults: Defaults {
            timeout_secs: 20,
            concurrency: 8,
            required_permissions: vec!["BROWSE_PROJECTS".into()],
            ..Defaults::default()
        },
        connections: vec![user("alice"), user("admin")],
        ..Default::default()
    }
}

struct Harness {
    app: App,
    runner: EffectRunner,
    rx: UnboundedReceiver<Action>,
    _state: Option<tempfile::TempDir>,
}

impl Harness {
    async fn new(sim: &Sim) -> Self {
        let state = tempfile::tempdir().unwrap();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let runner = EffectRunner::new(Arc::new(LiveCore), tx, Duration::from_secs(60));
        let mut opts = options(Theme::default());
        opts.state_dir = state.path().to_path_buf();
        let (mut app, effects) = App::new(&opts, Instant::now());
        let _ = app.update(Action::Connections(ConnectionsMsg::ConfigLoaded {
            req: load_req(&effects),
            result: Ok(sim_config(sim)),
        }));
        Harness {
            app,
            runner,
            rx,
            _state: Some(state),
        }
    }

    /// The app `jiralink demo` opens: its config (loaded for real), core, state dir.
    fn demo(demo: &Demo) -> Self {
        let mut opts = demo.app_options();
        opts.theme = Theme::plain();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let runner = EffectRunner::for_app(&opts, tx);
        let (app, effects) = App::new(&opts, Instant::now());
        let mut h = Harness {
            app,
            runner,
            rx,
            _state: None,
        };
        h.run(effects);
        h
    }

    fn run(&mut self, effects: Vec<Effect>) {
        for e in effects {
            match e {
                Effect::Copy(_) | Effect::Suspend | Effect::Quit => {}
                other => self.runner.spawn(other),
            }
        }
    }

    fn send(&mut self, a: Action) {
        let effects = self.app.update(a);
        self.run(effects);
    }

    fn keys(&mut self, keys: &str) {
        for c in keys.chars() {
            self.send(key(c));
        }
    }

    async fn pump_until(&mut self, what: &str, done: impl Fn(&App) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while !done(&self.app) {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(a)) => self.send(a),
                _ => panic!(
                    "timed out waiting for {what}\n{}",
                    render(&self.app, 100, 30)
                ),
            }
        }
    }

    /// Wait until nothing runs in the checker (audit, fix).
    async fn settle(&mut self, what: &str) {
        self.pump_until(what, |a| {
            a.panes.checker.running().is_none()
                && a.panes
                    .checker
                    .fix_state()
                    .is_none_or(|f| f.running().is_none())
        })
        .await;
    }

    fn screen(&self) -> String {
        render(&self.app, 100, 30)
    }

    fn row_ok(&self, key: &str) -> bool {
        self.app
            .panes
            .checker
            .report()
            .and_then(|r| r.row(key))
            .unwrap()
            .ok
    }
}

fn restricted_project(sim: &Sim) -> String {
    sim.project_keys()
        .into_iter()
        .find(|k| sim.project_scheme(k).as_deref() == Some("Restricted Scheme"))
        .expect("the simulator has a restricted project")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f_plans_y_applies_and_the_row_turns_green_u_undoes() {
    let sim = Sim::start(SimConfig {
        projects: 60,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    sim.add_broad_users(40);
    let prj = restricted_project(&sim);
    let before: BTreeSet<_> = sim.truth(&PERMS);
    let roles_before = sim.role_names();
    let mut h = Harness::new(&sim).await;
    h.keys("3");
    assert_eq!(h.app.panes.checker.mode(), &Mode::Setup);
    // Subject alice (the default), admin: none → admin (admin connections are offered first).
    h.send(key('j'));
    h.send(key(' '));
    assert_eq!(h.app.panes.checker.setup().admin.as_deref(), Some("admin"));
    h.keys("r");
    h.settle("the admin-assisted audit").await;
    h.keys("/");
    h.keys(&prj.to_lowercase());
    h.send(code(KeyCode::Enter));
    assert_eq!(h.app.panes.checker.shown_keys(), vec![prj.clone()]);
    assert!(!h.row_ok(&prj));
    h.send(code(KeyCode::Enter));
    assert!(matches!(h.app.panes.checker.mode(), Mode::Explain { .. }));

    // y before f: nothing happens but a hint.
    h.send(key('y'));
    assert!(h.app.panes.checker.fix_state().is_none());
    // u with nothing applied: a hint, nothing runs.
    h.send(key('u'));
    assert!(h.app.panes.checker.fix_state().is_none());

    // f: the plan, as REST calls, with exact gains and the alternatives.
    h.send(key('f'));
    assert!(matches!(
        h.app.panes.checker.fix_state(),
        Some(FixState::Planning { .. })
    ));
    h.settle("the plan").await;
    let plan: Plan = match h.app.panes.checker.fix_state() {
        Some(FixState::Planned { plan, .. }) => (**plan).clone(),
        other => panic!("expected a plan, got {other:?}\n{}", h.screen()),
    };
    assert!(!plan.changes.is_empty());
    assert!(!plan.admin_class);
    let screen = h.screen();
    for needle in [
        "Fix for",
        "POST /rest/api/2/",
        "nobody else gains anything",
        "y applies it",
    ] {
        assert!(screen.contains(needle), "missing {needle:?} in\n{screen}");
    }
    // Nothing changed yet.
    assert_eq!(sim.truth(&PERMS), before);

    // y asks; Esc cancels; nothing changed.
    h.send(key('y'));
    assert!(h.screen().contains("apply these"), "{}", h.screen());
    h.send(code(KeyCode::Esc));
    assert!(matches!(
        h.app.panes.checker.fix_state(),
        Some(FixState::Planned { confirm: false, .. })
    ));
    assert!(matches!(h.app.panes.checker.mode(), Mode::Explain { .. }));
    assert_eq!(sim.truth(&PERMS), before);

    // y, y: applied, re-audited, the row turns ✓; the change log records it.
    h.send(key('y'));
    h.send(key('y'));
    assert!(matches!(
        h.app.panes.checker.fix_state(),
        Some(FixState::Applying { .. })
    ));
    h.settle("the fix and the re-audit").await;
    match h.app.panes.checker.fix_state() {
        Some(FixState::Applied { steps, .. }) => {
            assert_eq!(steps.len(), plan.changes.len(), "{steps:?}")
        }
        other => panic!("expected applied, got {other:?}\n{}", h.screen()),
    }
    assert!(h.row_ok(&prj), "{}", h.screen());
    assert!(sim.has_permission(Some("alice"), &prj, "BROWSE_PROJECTS"));
    let screen = h.screen();
    assert!(screen.contains("u undoes it"), "{screen}");
    assert!(
        h.app
            .panes
            .checker
            .change_log()
            .iter()
            .any(|e| e.line.contains(&prj)),
        "{:?}",
        h.app.panes.checker.change_log()
    );
    let after = sim.truth(&PERMS);
    let diff: BTreeSet<_> = after.difference(&before).cloned().collect();
    let stated: BTreeSet<_> = plan
        .gains
        .triples
        .iter()
        .map(|t| (t.user.clone(), t.project.clone(), t.permission.clone()))
        .collect();
    assert_eq!(stated, diff, "gains == truth diff");
    assert!(diff.iter().all(|(u, _, _)| u == "alice"));
    let journal = h.app.panes.checker.last_fix().unwrap().journal.clone();

    // u asks first; Esc keeps the fix; u u undoes, re-audits, the row turns back; the truth is
    // exactly as before.
    h.send(key('u'));
    assert!(h.screen().contains("u = undo"), "{}", h.screen());
    h.send(code(KeyCode::Esc));
    assert!(h.row_ok(&prj), "{}", h.screen());
    assert!(h.app.panes.checker.last_fix().is_some());
    h.send(key('u'));
    h.send(key('u'));
    h.settle("the undo and the re-audit").await;
    assert!(
        matches!(
            h.app.panes.checker.fix_state(),
            Some(FixState::Undone { journal: j, .. }) if *j == journal
        ),
        "{}",
        h.screen()
    );
    assert!(!h.row_ok(&prj));
    assert_eq!(sim.truth(&PERMS), before);
    assert_eq!(sim.role_names(), roles_before);
    assert!(h.app.panes.checker.last_fix().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f_without_an_admin_connection_says_so_and_runs_nothing() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let mut h = Harness::new(&sim).await;
    h.keys("3");
    h.keys("r");
    h.settle("the audit").await;
    h.send(code(KeyCode::Enter));
    assert!(matches!(h.app.panes.checker.mode(), Mode::Explain { .. }));
    h.send(key('f'));
    assert!(h.app.panes.checker.fix_state().is_none());
    let screen = h.screen();
    assert!(screen.contains("needs an admin connection"), "{screen}");
}

/// As a new user would in `jiralink demo`: pane 3, choose the demo's admin connection, run, open
/// an invisible project, `f`, `y`, `y` → ✓; `u` → back to ✗. The journal stays in the demo's
/// temp dir.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_the_demo_an_invisible_project_turns_green_after_f_y_and_back_after_u() {
    let demo = Demo::start(40).await.unwrap();
    let prj = restricted_project(&demo.sim);
    let mut h = Harness::demo(&demo);
    h.pump_until("the demo config", |a| {
        a.panes.checker.setup().subject.is_some()
    })
    .await;
    h.keys("3");
    h.send(key('j'));
    h.send(key(' ')); // admin connections are offered first
    assert_eq!(
        h.app.panes.checker.setup().admin.as_deref(),
        Some("demo-admin")
    );
    h.keys("r");
    h.settle("the audit").await;
    h.keys("/");
    h.keys(&prj.to_lowercase());
    h.send(code(KeyCode::Enter));
    assert!(!h.row_ok(&prj));
    assert!(h.screen().contains("MISSING"), "{}", h.screen());
    h.send(code(KeyCode::Enter));
    h.send(key('f'));
    h.settle("the plan").await;
    h.send(key('y'));
    h.send(key('y'));
    h.settle("the fix and the re-audit").await;
    assert!(h.row_ok(&prj), "{}", h.screen());
    h.send(code(KeyCode::Esc));
    assert!(!h.screen().contains("MISSING"), "{}", h.screen());
    let journals = std::fs::read_dir(demo.dir().join("data").join("fixes"))
        .unwrap()
        .count();
    assert_eq!(journals, 1);
    h.send(code(KeyCode::Enter));
    h.send(key('u'));
    h.send(key('u'));
    h.settle("the undo and the re-audit").await;
    assert!(!h.row_ok(&prj), "{}", h.screen());
}
