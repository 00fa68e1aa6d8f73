//! The Checker pane, whole app on `TestBackend`: scripted keys, the real core (`LiveCore`) against
//! the simulator over loopback. Run, filter, explain, fix a grant through the simulator with live
//! mode on and watch the row turn green; export; snapshots; a 10,000-project table.

mod tui_support;

use crossterm::event::KeyCode;
use jiralink::audit::{
    JiraInfo, Mode as AuditMode, ProjectRow, Report, SchemeProjects, SchemeRef, Summary, UserInfo,
};
use jiralink::config::{AuthKind, Config, Defaults};
use jiralink::secret::{SecretRef, SecretString};
use jiralink::sim::{Sim, SimConfig};
use jiralink::tui::action::{Action, Effect};
use jiralink::tui::action::{CheckerMsg, ConnectionsMsg};
use jiralink::tui::app::App;
use jiralink::tui::effects::{EffectRunner, LiveCore};
use jiralink::tui::panes::checker::CheckerMode;
use jiralink::tui::panes::Pane;
use jiralink::tui::theme::Theme;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;
use tui_support::*;

/// A config pointing at the simulator: alice (the integration user, basic auth) and admin.
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

/// The app, the real effect runner and the channel the results come back on.
struct Harness {
    app: App,
    runner: EffectRunner,
    rx: UnboundedReceiver<Action>,
    copied: Vec<String>,
}

impl Harness {
    /// An app whose config (pointing at `sim`) is loaded; connection checks run for real.
    async fn new(sim: &Sim) -> Self {
        Self::with_config(sim_config(sim)).await
    }

    /// An app with `config` loaded.
    async fn with_config(config: Config) -> Self {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let runner = EffectRunner::new(Arc::new(LiveCore), tx, Duration::from_secs(60));
        let (mut app, effects) = App::new(&options(Theme::default()), Instant::now());
        let mut h = Harness {
            runner,
            rx,
            copied: vec![],
            app: {
                // The config comes from the test rather than a file.
                let req = load_req(&effects);
                let _ = app.update(Action::Connections(ConnectionsMsg::ConfigLoaded {
                    req,
                    result: Ok(config),
                }));
                app
            },
        };
        // Re-issue the checks the load asked for, so the status line settles.
        let checks = h.app.update(key('R'));
        h.run(checks);
        h.pump_until("connection checks", |a| a.busy() == 0).await;
        h
    }

    fn run(&mut self, effects: Vec<Effect>) {
        for e in effects {
            match e {
                Effect::Copy(t) => self.copied.push(t),
                Effect::Suspend | Effect::Quit => {}
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

    /// Feed results back until `done` holds (30 s at most).
    async fn pump_until(&mut self, what: &str, done: impl Fn(&App) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
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

    async fn wait_for_audit(&mut self) {
        self.pump_until("the audit", |a| a.panes.checker.running().is_none())
            .await;
    }
}

async fn sim() -> Sim {
    Sim::start(SimConfig::default()).await.unwrap()
}

/// A project alice cannot browse: one on the Restricted Scheme.
fn restricted_project(sim: &Sim) -> String {
    sim.project_keys()
        .into_iter()
        .find(|k| sim.project_scheme(k).as_deref() == Some("Restricted Scheme"))
        .expect("the simulator has a restricted project")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_filter_explain_then_fix_the_grant_live_and_see_it_turn_green() {
    let sim = sim().await;
    let prj = restricted_project(&sim);
    let mut h = Harness::new(&sim).await;
    h.keys("3");
    assert_eq!(h.app.panes.checker.mode(), &CheckerMode::Setup);
    // Subject alice (the default), admin: none → admin (admin connections are offered first).
    h.send(key('j'));
    h.send(key(' '));
    assert_eq!(h.app.panes.checker.setup().admin.as_deref(), Some("admin"));
    h.keys("r");
    assert!(h.app.panes.checker.running().is_some());
    assert!(render(&h.app, 100, 30).contains("auditing"));
    h.wait_for_audit().await;

    let report = h.app.panes.checker.report().expect("a report").clone();
    assert_eq!(report.mode, AuditMode::AdminAssisted);
    assert_eq!(report.connection, "alice+admin");
    // Same verdicts as the simulator's ground truth (and so as `jiralink audit`).
    for row in &report.projects {
        assert_eq!(
            row.permissions.get("BROWSE_PROJECTS").copied(),
            Some(sim.has_permission(Some("alice"), &row.key, "BROWSE_PROJECTS")),
            "{}",
            row.key
        );
    }
    assert!(!report.row(&prj).unwrap().ok);

    // Filter down to the restricted project.
    h.keys("/");
    h.keys(&prj.to_lowercase());
    h.send(code(KeyCode::Enter));
    assert_eq!(h.app.panes.checker.shown_keys(), vec![prj.clone()]);
    let screen = render(&h.app, 100, 30);
    assert!(
        screen.contains(&format!("filter: {}", prj.to_lowercase())),
        "{screen}"
    );
    assert!(screen.contains('✗'), "{screen}");

    // The explanation: reason, the least-privilege fix with menu path, its blast radius stated
    // as exact gains (admin-assisted).
    h.send(code(KeyCode::Enter));
    assert!(matches!(
        h.app.panes.checker.mode(),
        CheckerMode::Explain { .. }
    ));
    let screen = render(&h.app, 100, 30);
    for needle in [
        "Restricted Scheme",
        "why:",
        "fix:",
        "where:",
        "gains: alice gains Browse Projects",
        "nobody else gains anything",
    ] {
        assert!(screen.contains(needle), "missing {needle:?} in\n{screen}");
    }
    h.send(key('c'));
    assert!(h
        .copied
        .last()
        .is_some_and(|t| t.contains("Browse Projects")));
    h.send(code(KeyCode::Esc));

    // Live mode on, then the admin fixes the scheme in "Jira".
    h.keys("w");
    let live = *h.app.panes.checker.live().expect("live mode");
    assert_eq!(live.every, Duration::from_secs(30));
    assert!(render(&h.app, 100, 30).contains("next run in 30 s"));
    sim.grant(
        "Restricted Scheme",
        "BROWSE_PROJECTS",
        "group",
        Some("jira-users"),
    )
    .unwrap();
    // The interval passes (a tick from the future: no test should sleep 30 s).
    h.send(Action::Tick(Instant::now() + Duration::from_secs(31)));
    assert!(h.app.panes.checker.running().is_some(), "live mode re-ran");
    h.wait_for_audit().await;

    let row = h
        .app
        .panes
        .checker
        .report()
        .unwrap()
        .row(&prj)
        .unwrap()
        .clone();
    assert!(row.ok, "{row:?}");
    assert!(h.app.panes.checker.is_changed(&prj));
    let log = h.app.panes.checker.change_log();
    assert!(
        log.iter().any(|e| e.line == format!("+ {prj}: now ok")),
        "{log:?}"
    );
    let screen = render(&h.app, 100, 30);
    let line = screen.lines().find(|l| l.contains(&prj)).unwrap();
    assert!(line.contains('●') && line.contains('✓'), "{screen}");
    // The change log view.
    h.keys("l");
    assert!(render(&h.app, 100, 30).contains(&format!("+ {prj}: now ok")));
    h.send(code(KeyCode::Esc));
    // Live mode off.
    h.keys("w");
    assert!(h.app.panes.checker.live().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_writes_a_private_parseable_json_file() {
    let sim = sim().await;
    let dir = tempfile::tempdir().unwrap();
    let mut h = Harness::new(&sim).await;
    h.app
        .panes
        .checker
        .set_export_dir(dir.path().join("exports"));
    h.keys("3r");
    h.wait_for_audit().await;
    h.keys("x");
    h.pump_until("the export", |a| a.panes.checker.last_export().is_some())
        .await;
    let path = h.app.panes.checker.last_export().unwrap().clone();
    assert!(path.starts_with(dir.path()));
    assert_eq!(path.extension().unwrap(), "json");
    let parsed: Report = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(&parsed, h.app.panes.checker.report().unwrap());
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(render(&h.app, 100, 30).contains("exported"));

    h.keys("X");
    h.pump_until("the CSV export", |a| {
        a.panes
            .checker
            .last_export()
            .is_some_and(|p| p.extension().is_some_and(|e| e == "csv"))
    })
    .await;
    let csv = std::fs::read_to_string(h.app.panes.checker.last_export().unwrap()).unwrap();
    assert!(csv.starts_with("key,name,visible,ok,scheme,BROWSE_PROJECTS,"));
}

/// A filter typed while the first audit still runs is kept and applied to its report (before,
/// `/` was refused until a report existed, and the rest of the keys were lost).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_typed_during_the_first_audit_applies_to_its_report() {
    let sim = sim().await;
    let prj = restricted_project(&sim);
    let mut h = Harness::new(&sim).await;
    h.keys("3j r");
    assert!(h.app.panes.checker.running().is_some());
    assert!(h.app.panes.checker.report().is_none());
    h.keys("/");
    h.keys(&prj.to_lowercase());
    h.send(code(KeyCode::Enter));
    assert!(h.app.panes.checker.running().is_some(), "typed while busy");
    h.wait_for_audit().await;
    assert!(h.app.panes.checker.report().is_some());
    assert_eq!(h.app.panes.checker.shown_keys(), vec![prj.clone()]);
    let screen = render(&h.app, 100, 30);
    assert!(
        screen.contains(&format!("filter: {}", prj.to_lowercase())),
        "{screen}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_audit_shows_the_diagnosis_and_esc_cancels_a_run() {
    let sim = sim().await;
    let mut cfg = sim_config(&sim);
    cfg.connections[0].password = Some(SecretRef::Plain(SecretString::from("wrong")));
    let mut h = Harness::with_config(cfg).await;
    h.keys("3r");
    // Esc cancels the run: no answer is awaited any more.
    h.send(code(KeyCode::Esc));
    assert!(h.app.panes.checker.running().is_none());
    assert_eq!(h.app.status.notice.as_deref(), Some("audit cancelled"));
    h.keys("r");
    h.wait_for_audit().await;
    let d = h.app.panes.checker.failure().expect("a diagnosis");
    let screen = render(&h.app, 100, 30);
    assert!(screen.contains("the audit could not run"), "{screen}");
    for needle in ["what", "why", "fix", d.summary.as_str()] {
        assert!(screen.contains(needle), "missing {needle:?} in\n{screen}");
    }
}

/// Screen snapshots at both sizes; ports, times and temp paths filtered.
fn snapshot(name: &str, app: &App) {
    for (w, h) in [(100, 30), (80, 24)] {
        let screen = render(app, w, h);
        insta::with_settings!({
            filters => vec![
                (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
                (r"\d\d:\d\d:\d\d UTC", "[TIME] UTC"),
                (r"\d+ req/s", "[N] req/s"),
            ],
            snapshot_suffix => format!("{w}x{h}"),
            prepend_module_to_snapshot => false,
        }, {
            insta::assert_snapshot!(name, screen);
        });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_of_setup_table_explanation_and_live_mode() {
    let sim = sim().await;
    let prj = restricted_project(&sim);
    let mut h = Harness::new(&sim).await;
    h.keys("3");
    snapshot("checker_setup", &h.app);
    h.send(key('j'));
    h.send(key(' ')); // admin: the admin connection, offered first
    h.keys("r");
    h.wait_for_audit().await;
    h.keys("p");
    snapshot("checker_table", &h.app);
    h.keys("/");
    h.keys(&prj);
    h.send(code(KeyCode::Enter));
    h.send(code(KeyCode::Enter));
    snapshot("checker_explanation", &h.app);
    h.send(code(KeyCode::Esc));
    h.send(code(KeyCode::Esc));
    // Everything again, so the rows that turn green stay on screen.
    h.keys("p");
    h.keys("w");
    sim.grant(
        "Restricted Scheme",
        "BROWSE_PROJECTS",
        "group",
        Some("jira-users"),
    )
    .unwrap();
    h.send(Action::Tick(Instant::now() + Duration::from_secs(31)));
    h.wait_for_audit().await;
    snapshot("checker_live", &h.app);
}

/// A synthetic report of `n` projects, every third one missing Browse.
fn big_report(n: usize) -> Report {
    let projects: Vec<ProjectRow> = (0..n)
        .map(|i| {
            let browse = i % 3 != 0;
            ProjectRow {
                key: format!("P{i:05}"),
                name: format!("Project number {i}"),
                visible: browse,
                permissions: BTreeMap::from([("BROWSE_PROJECTS".to_string(), browse)]),
                ok: browse,
                scheme: Some(SchemeRef {
                    id: "10000".into(),
                    name: "Restricted Scheme".into(),
                    // Every project is on the one scheme: the others are its blast radius.
                    shared_with: n - 1,
                }),
                reason: (!browse)
                    .then(|| "Browse Projects is granted to group jira-administrators".into()),
                fix: None,
                error: None,
                details: vec![],
                disagreements: vec![],
            }
        })
        .collect();
    Report {
        connection: "alice+admin".into(),
        mode: AuditMode::AdminAssisted,
        user: UserInfo {
            name: "alice".into(),
            ..Default::default()
        },
        jira: JiraInfo {
            version: Some("9.12.3".into()),
            deployment_type: Some("Server".into()),
        },
        required: vec!["BROWSE_PROJECTS".into()],
        summary: Summary::of(&projects),
        schemes: BTreeMap::from([(
            "10000".to_string(),
            SchemeProjects {
                name: "Restricted Scheme".into(),
                projects: projects.iter().map(|p| p.key.clone()).collect(),
            },
        )]),
        projects,
        notes: vec![],
        requests: 0,
    }
}

/// An app on the checker pane holding `report` (the audit effect answered directly).
fn app_with_report(report: Report) -> App {
    app_with_report_themed(report, Theme::default())
}

fn app_with_report_themed(report: Report, theme: Theme) -> App {
    let (mut app, _) = loaded_app(theme, sample_config());
    app.update(key('3'));
    let effects = app.update(key('r'));
    let req = effects
        .iter()
        .find_map(|e| match e {
            Effect::Audit { req, .. } => Some(*req),
            _ => None,
        })
        .expect("an audit effect");
    app.update(Action::Checker(CheckerMsg::AuditFinished {
        req,
        result: Ok(Arc::new(report)),
    }));
    app
}

fn draw_time(app: &App, frames: usize) -> Duration {
    // The best of a few samples: the machine is shared, a slow sample says nothing.
    (0..5)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..frames {
                let _ = render_buffer(app, 100, 30);
            }
            t.elapsed()
        })
        .min()
        .unwrap()
}

#[test]
fn ten_thousand_projects_draw_only_the_visible_rows() {
    let mut app = app_with_report(big_report(10_000));
    assert_eq!(app.panes.checker.shown_keys().len(), 10_000);
    // 100×30: 27 body rows − 2 borders − summary and live lines − the header − 4 rows for the
    // selected project's reason and fix = 18 rows.
    let screen = render(&app, 100, 30);
    let drawn = screen
        .lines()
        .filter(|l| l.contains(" P0") && !l.contains("why "))
        .count();
    assert_eq!(drawn, 18, "{screen}");
    assert!(
        screen.contains("why   P00000: Browse Projects is granted"),
        "{screen}"
    );
    assert_eq!(app.panes.checker.visible_range(18), 0..18);
    // Jump to the end, page up, step: the window follows the selection.
    app.update(key('G'));
    let screen = render(&app, 100, 30);
    let selected = screen.lines().find(|l| l.contains('▶')).unwrap();
    assert!(selected.contains("P09999"), "{screen}");
    assert_eq!(app.panes.checker.visible_range(18), 9982..10_000);
    app.update(code(KeyCode::PageUp));
    render(&app, 100, 30);
    assert_eq!(app.panes.checker.selected_key().as_deref(), Some("P09981"));
    assert_eq!(app.panes.checker.visible_range(18), 9981..9999);
    for _ in 0..5 {
        app.update(key('j'));
    }
    assert_eq!(app.panes.checker.visible_range(18), 9981..9999);
    // Problems only and a sort are computed once, on the key press.
    app.update(key('p'));
    assert_eq!(app.panes.checker.shown_keys().len(), 3334);
    app.update(key('s'));
    app.update(key('s'));

    // A frame of 10,000 projects costs about what a frame of 100 does (loosely: within 4×).
    let small = app_with_report(big_report(100));
    let big_t = draw_time(&app, 20);
    let small_t = draw_time(&small, 20);
    assert!(
        big_t < small_t * 4 + Duration::from_millis(20),
        "10,000 rows: {big_t:?}, 100 rows: {small_t:?}"
    );
}

#[test]
fn a_scheme_shared_by_ten_thousand_projects_names_a_few_and_counts_the_rest() {
    let mut app = app_with_report(big_report(10_000));
    app.update(key('j'));
    app.update(code(KeyCode::Enter));
    let screen = render(&app, 300, 30);
    assert!(
        screen.contains("shared with 9999 other project(s): P00000, P00002, P00003, P00004, P00005, P00006, P00007, P00008, … 9991 more"),
        "{screen}"
    );
}

#[test]
fn every_checker_view_survives_every_size() {
    let mut app = app_with_report(big_report(300));
    // Each step leads from the previous view to the next one.
    let steps: Vec<Vec<Action>> = vec![
        vec![],
        vec![code(KeyCode::Enter)],
        vec![code(KeyCode::Esc), key('l')],
        vec![code(KeyCode::Esc), key('e')],
        vec![code(KeyCode::Esc), key('/'), key('z')],
    ];
    for step in steps {
        for a in step {
            app.update(a);
        }
        for w in [1u16, 2, 10, 39, 40, 41, 60, 80, 100, 300] {
            for h in [1u16, 2, 9, 10, 11, 15, 24, 30, 100] {
                let _ = render_buffer(&app, w, h);
            }
        }
    }
    // The filter matched nothing: the empty state says how to get out of it.
    assert!(render(&app, 100, 30).contains("no project matches the filter"));
}

#[test]
fn ascii_and_no_color_spell_the_verdicts() {
    let mut app = app_with_report_themed(big_report(10), Theme::plain());
    let screen = render(&app, 100, 30);
    let line = |key: &str| {
        screen
            .lines()
            .find(|l| l.contains(key))
            .unwrap()
            .to_string()
    };
    assert!(line("P00000").contains("MISSING"), "{screen}");
    assert!(line("P00001").contains(" OK "), "{screen}");
    assert!(line("P00000").starts_with("|> "), "{screen}");
    let buf = render_buffer(&app, 100, 30);
    for c in buf.content() {
        assert!(
            c.fg == ratatui::style::Color::Reset && c.symbol().is_ascii(),
            "{c:?}\n{screen}"
        );
    }
    // The explanation too, core texts included.
    app.update(code(KeyCode::Enter));
    let screen = render(&app, 100, 30);
    assert!(screen.contains("BROWSE_PROJECTS - missing"), "{screen}");
    assert!(screen.is_ascii(), "{screen}");
}

fn audit_job(
    effects: &[Effect],
) -> Option<(
    jiralink::tui::action::RequestId,
    &jiralink::tui::effects::AuditJob,
)> {
    effects.iter().find_map(|e| match e {
        Effect::Audit { req, job } => Some((*req, job.as_ref())),
        _ => None,
    })
}

#[test]
fn setup_choices_become_the_audit_job_and_bad_ones_are_explained() {
    let (mut app, _) = loaded_app(Theme::default(), sample_config());
    app.update(key('3'));
    // Subject: none (prod → cloud → legacy → none), admin: prod, username typed, no subject.
    for _ in 0..3 {
        app.update(key(' '));
    }
    assert_eq!(app.panes.checker.setup().subject, None);
    app.update(key('j'));
    app.update(key(' '));
    // Without a username there is nobody to audit: refused with the reason, no effect.
    let effects = app.update(key('r'));
    assert!(audit_job(&effects).is_none());
    assert!(render(&app, 100, 30).contains("choose the integration user's connection"));
    app.update(key('j'));
    app.update(code(KeyCode::Enter));
    assert!(app.active_pane().captures_text());
    // Typing `q` types a q instead of quitting.
    type_text(&mut app, "qbob");
    app.update(code(KeyCode::Enter));
    assert!(!app.quit);
    app.update(key('j'));
    app.update(code(KeyCode::Enter));
    type_text(&mut app, ",create_issues");
    app.update(code(KeyCode::Enter));
    // Esc while editing restores the old value.
    app.update(key('j'));
    app.update(code(KeyCode::Enter));
    type_text(&mut app, "0");
    app.update(code(KeyCode::Esc));
    assert_eq!(app.panes.checker.setup().interval.value(), "30");
    let effects = app.update(key('r'));
    let (_, job) = audit_job(&effects).expect("an audit");
    assert!(job.subject.is_none());
    assert_eq!(job.admin.as_ref().map(|c| c.name.as_str()), Some("prod"));
    assert_eq!(job.username.as_deref(), Some("qbob"));
    assert_eq!(job.required, vec!["BROWSE_PROJECTS", "create_issues"]);
    assert_eq!(app.panes.checker.mode(), &CheckerMode::Table);
}

#[test]
fn progress_countdown_and_stale_answers() {
    let (mut app, _) = loaded_app(Theme::default(), sample_config());
    app.update(key('3'));
    let effects = app.update(key('r'));
    let (req, _) = audit_job(&effects).unwrap();
    app.update(Action::Checker(CheckerMsg::AuditProgress {
        req,
        progress: jiralink::audit::Progress {
            done: 5,
            total: 10,
            requests: 20,
        },
    }));
    let screen = render(&app, 100, 30);
    assert!(screen.contains("auditing 5 / 10 projects"), "{screen}");
    assert!(
        screen.contains("auditing 5/10 projects"),
        "status line: {screen}"
    );
    // A new run cancels the old one; the old one's late answer is dropped.
    let effects = app.update(key('r'));
    assert!(effects
        .iter()
        .any(|e| matches!(e, Effect::Cancel(r) if *r == req)));
    let (req2, _) = audit_job(&effects).unwrap();
    app.update(Action::Checker(CheckerMsg::AuditFinished {
        req,
        result: Ok(Arc::new(big_report(3))),
    }));
    assert!(app.panes.checker.report().is_none());
    app.update(Action::Checker(CheckerMsg::AuditFinished {
        req: req2,
        result: Ok(Arc::new(big_report(3))),
    }));
    assert_eq!(app.panes.checker.shown_keys().len(), 3);

    // Live mode: the loop sleeps until the shown countdown changes, not in a busy loop.
    app.update(key('w'));
    let now = Instant::now();
    let next = app.panes.checker.live().unwrap().next_run.unwrap();
    assert!(next > now + Duration::from_secs(29));
    assert!(render(&app, 100, 30).contains("next run in 30 s"));
    // (The app's own deadline also has pane 1's unanswered checks spinning; ask the pane.)
    let wake = app
        .panes
        .checker
        .next_due()
        .expect("a wake-up for the countdown");
    assert!(
        wake <= now + Duration::from_millis(1100) && wake > now,
        "{:?}",
        wake - now
    );
    app.update(Action::Tick(wake));
    assert!(render(&app, 100, 30).contains("next run in 29 s"));
    // At the deadline the audit runs again.
    let effects = app.update(Action::Tick(next));
    assert!(audit_job(&effects).is_some());
}

#[test]
fn an_open_explanation_follows_its_project_across_runs() {
    let mut app = app_with_report(big_report(10));
    for _ in 0..3 {
        app.update(key('j'));
    }
    app.update(code(KeyCode::Enter));
    assert!(render(&app, 100, 30).contains("P00003 — explanation"));
    // Live re-run where the first project disappeared: the row indices shift by one.
    let effects = app.update(Action::Tick(Instant::now()));
    assert!(audit_job(&effects).is_none(), "no live mode, no re-run");
    app.update(code(KeyCode::Esc));
    let (req, _) = audit_job(&app.update(key('r'))).unwrap();
    app.update(code(KeyCode::Enter));
    let mut next = big_report(10);
    next.projects.remove(0);
    // Keep the run consistent: P00000 also left the scheme's list and every blast radius.
    if let Some(scheme) = next.schemes.get_mut("10000") {
        scheme.projects.remove(0);
    }
    for row in &mut next.projects {
        if let Some(s) = row.scheme.as_mut() {
            s.shared_with -= 1;
        }
    }
    app.update(Action::Checker(CheckerMsg::AuditFinished {
        req,
        result: Ok(Arc::new(next)),
    }));
    let screen = render(&app, 100, 30);
    assert!(screen.contains("P00003 — explanation"), "{screen}");
    // The names sharing the scheme come from the report's one list per scheme, minus P00003.
    assert!(
        screen.contains("shared with 8 other project(s): P00001, P00002, P00004,"),
        "{screen}"
    );
    let log = app.panes.checker.change_log();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].line, "- P00000: disappeared");
}
