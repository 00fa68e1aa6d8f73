//! The event loop on `TestBackend` with scripted terminal events: an effect that never completes
//! (a check against a server that hangs) must not delay the next key; tasks time out and are cancelled.

mod tui_support;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures::future::BoxFuture;
use futures::StreamExt;
use jiralink::check::CheckResult;
use jiralink::config::{Config, Connection, Defaults};
use jiralink::tui::action::ConnectionsMsg;
use jiralink::tui::action::{Action, Effect, RequestIds};
use jiralink::tui::app::App;
use jiralink::tui::effects::{AuditJob, Core, EffectRunner, LiveCore, ProgressFn, WizardCtx};
use jiralink::tui::event_loop::{run_loop, Host};
use jiralink::tui::theme::Theme;
use jiralink::tui::view;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tui_support::*;

/// The link wizard and the audit are not exercised here: the test cores use the real core's.
macro_rules! real_wizard_and_audit {
    () => {
        fn wizard_effect(
            &self,
            ctx: WizardCtx,
            wizard: jiralink::wizard::Wizard,
            effect: jiralink::wizard::WizardEffect,
        ) -> BoxFuture<'static, jiralink::wizard::Input> {
            LiveCore.wizard_effect(ctx, wizard, effect)
        }
        fn save_linked(
            &self,
            ctx: WizardCtx,
            wizard: jiralink::wizard::Wizard,
        ) -> BoxFuture<'static, Result<Config, String>> {
            LiveCore.save_linked(ctx, wizard)
        }
        fn import_key_pem(
            &self,
            path: PathBuf,
            pem: secrecy::SecretString,
        ) -> BoxFuture<'static, Result<PathBuf, String>> {
            LiveCore.import_key_pem(path, pem)
        }
        fn audit(
            &self,
            job: AuditJob,
            progress: ProgressFn,
        ) -> BoxFuture<'static, Result<jiralink::audit::Report, jiralink::jira::Diagnosis>> {
            LiveCore.audit(job, progress)
        }
        fn plan_fix(
            &self,
            job: jiralink::audit::fix::FixJob,
        ) -> BoxFuture<'static, Result<jiralink::audit::fix::Plan, jiralink::jira::Diagnosis>> {
            LiveCore.plan_fix(job)
        }
        fn apply_fix(
            &self,
            job: AuditJob,
            plan: jiralink::audit::fix::Plan,
            dir: PathBuf,
            progress: jiralink::tui::effects::FixProgressFn,
        ) -> BoxFuture<'static, Result<String, jiralink::jira::Diagnosis>> {
            LiveCore.apply_fix(job, plan, dir, progress)
        }
        fn undo_fix(
            &self,
            job: AuditJob,
            dir: PathBuf,
            id: String,
        ) -> BoxFuture<'static, Result<String, jiralink::jira::Diagnosis>> {
            LiveCore.undo_fix(job, dir, id)
        }
        fn links(
            &self,
            admin: Connection,
            connections: Vec<Connection>,
            defaults: Defaults,
        ) -> BoxFuture<
            'static,
            Result<jiralink::lifecycle::links::Inventory, jiralink::jira::Diagnosis>,
        > {
            LiveCore.links(admin, connections, defaults)
        }
    };
}

/// A core whose config loads at once but whose checks hang forever, like a server that accepts the
/// connection and never answers. Counts how many checks were dropped (cancelled or timed out).
#[derive(Default)]
struct HangingCore {
    dropped: Arc<AtomicUsize>,
}

struct DropCounter(Arc<AtomicUsize>);
impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl Core for HangingCore {
    fn load_config(&self, _path: PathBuf) -> BoxFuture<'static, Result<Config, String>> {
        Box::pin(async { Ok(sample_config()) })
    }
    fn check(
        &self,
        _c: Connection,
        _d: Defaults,
    ) -> BoxFuture<'static, Result<CheckResult, String>> {
        let guard = DropCounter(Arc::clone(&self.dropped));
        Box::pin(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
            unreachable!()
        })
    }
    fn save_connection(
        &self,
        _p: PathBuf,
        _r: Option<String>,
        _c: Connection,
    ) -> BoxFuture<'static, Result<Config, String>> {
        Box::pin(async { Err("read-only".to_string()) })
    }
    fn delete_connection(
        &self,
        _p: PathBuf,
        _n: String,
    ) -> BoxFuture<'static, Result<Config, String>> {
        Box::pin(async { Err("read-only".to_string()) })
    }
    real_wizard_and_audit!();
}

struct TestHost {
    terminal: Terminal<TestBackend>,
    draws: usize,
    copied: Vec<String>,
}

impl Host for TestHost {
    fn draw(&mut self, app: &App) -> io::Result<()> {
        self.draws += 1;
        self.terminal
            .draw(|f| view::draw(f, app))
            .map(|_| ())
            .map_err(|e| io::Error::other(e.to_string()))
    }
    fn copy(&mut self, text: &str) -> io::Result<()> {
        self.copied.push(text.to_string());
        Ok(())
    }
    fn suspend(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn ev(c: KeyCode) -> io::Result<Event> {
    Ok(Event::Key(KeyEvent::new(c, KeyModifiers::NONE)))
}

#[tokio::test]
async fn a_hanging_check_does_not_delay_the_next_key() {
    let core = HangingCore::default();
    let dropped = Arc::clone(&core.dropped);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut runner = EffectRunner::new(Arc::new(core), tx, Duration::from_secs(3600));
    let (mut app, effects) = App::new(&options(Theme::default()), Instant::now());
    for e in effects {
        runner.spawn(e);
    }
    let mut host = TestHost {
        terminal: Terminal::new(TestBackend::new(100, 30)).unwrap(),
        draws: 0,
        copied: vec![],
    };
    // Keys arrive a little after start, once the config is loaded and the checks hang.
    let script = futures::stream::iter(vec![
        ev(KeyCode::Char('j')),
        ev(KeyCode::Char('c')),
        ev(KeyCode::Char('q')),
    ])
    .then(|e| async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        e
    })
    .chain(futures::stream::pending());
    let started = Instant::now();
    let result = tokio::time::timeout(
        Duration::from_secs(5),
        run_loop(
            &mut host,
            &mut app,
            Box::pin(script),
            &mut runner,
            &mut rx,
            std::future::pending(),
        ),
    )
    .await;
    assert!(result.is_ok(), "the loop was blocked by a hanging check");
    result.unwrap().unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(app.quit);
    // The keys were handled while 3 checks were still hanging.
    assert_eq!(
        app.panes.connections.selected_name().as_deref(),
        Some("cloud")
    );
    assert_eq!(host.copied, ["https://acme.atlassian.net"]);
    assert!(host.draws >= 3);
    let screen = host.terminal.backend().to_string();
    assert!(screen.contains("checking"), "{screen}");
    // Quitting aborted the hanging tasks.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(dropped.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn update_returns_immediately_while_effects_hang() {
    let (mut app, checks) = loaded_app(Theme::default(), sample_config());
    assert_eq!(checks.len(), 3);
    let t = Instant::now();
    for _ in 0..100 {
        app.update(key('j'));
        app.update(key('k'));
    }
    assert!(t.elapsed() < Duration::from_millis(500));
    assert_eq!(app.busy(), 3, "checks still pending");
}

#[tokio::test]
async fn tasks_time_out_and_report_it() {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let core = HangingCore::default();
    let dropped = Arc::clone(&core.dropped);
    let mut runner = EffectRunner::new(Arc::new(core), tx, Duration::from_millis(50));
    let mut ids = RequestIds::default();
    let req = ids.next_id();
    runner.spawn(Effect::Check {
        req,
        connection: Box::new(sample_config().connections.remove(0)),
        defaults: sample_config().defaults,
    });
    let action = tokio::time::timeout(Duration::from_secs(2), rx.recv())
        .await
        .expect("the timeout fired")
        .unwrap();
    match action {
        Action::Connections(ConnectionsMsg::CheckFailed {
            req: r,
            name,
            message,
        }) => {
            assert_eq!(r, req);
            assert_eq!(name, "prod");
            assert!(message.contains("no answer"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn cancel_aborts_a_running_task() {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let core = HangingCore::default();
    let dropped = Arc::clone(&core.dropped);
    let mut runner = EffectRunner::new(Arc::new(core), tx, Duration::from_secs(3600));
    let mut ids = RequestIds::default();
    let req = ids.next_id();
    runner.spawn(Effect::Check {
        req,
        connection: Box::new(sample_config().connections.remove(0)),
        defaults: sample_config().defaults,
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(runner.running(), 1);
    runner.spawn(Effect::Cancel(req));
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(runner.running(), 0);
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
    assert!(rx.try_recv().is_err(), "a cancelled task sends nothing");
}

#[tokio::test]
async fn a_failed_save_through_the_runner_keeps_the_form() {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut runner =
        EffectRunner::new(Arc::new(HangingCore::default()), tx, Duration::from_secs(5));
    let mut app = checked_app(Theme::default());
    app.update(key('e'));
    for e in app.update(code(KeyCode::Enter)) {
        runner.spawn(e);
    }
    let action = tokio::time::timeout(Duration::from_secs(2), rx.recv())
        .await
        .unwrap()
        .unwrap();
    app.update(action);
    assert!(render(&app, 100, 30).contains("not saved: read-only"));
}

/// A core that answers everything at once: every check succeeds.
struct InstantCore;

impl Core for InstantCore {
    fn load_config(&self, _path: PathBuf) -> BoxFuture<'static, Result<Config, String>> {
        Box::pin(async { Ok(sample_config()) })
    }
    fn check(
        &self,
        c: Connection,
        _d: Defaults,
    ) -> BoxFuture<'static, Result<CheckResult, String>> {
        Box::pin(async move { Ok(ok_result(&c.name)) })
    }
    fn save_connection(
        &self,
        _p: PathBuf,
        _r: Option<String>,
        _c: Connection,
    ) -> BoxFuture<'static, Result<Config, String>> {
        Box::pin(async { Ok(sample_config()) })
    }
    fn delete_connection(
        &self,
        _p: PathBuf,
        _n: String,
    ) -> BoxFuture<'static, Result<Config, String>> {
        Box::pin(async { Ok(sample_config()) })
    }
    real_wizard_and_audit!();
}

#[tokio::test]
async fn idle_means_no_redraws() {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut runner = EffectRunner::new(Arc::new(InstantCore), tx, Duration::from_secs(5));
    let mut opts = options(Theme::default());
    opts.refresh_every = None;
    let (mut app, effects) = App::new(&opts, Instant::now());
    for e in effects {
        runner.spawn(e);
    }
    let mut host = TestHost {
        terminal: Terminal::new(TestBackend::new(100, 30)).unwrap(),
        draws: 0,
        copied: vec![],
    };
    // One key after 600 ms of nothing; a fixed-fps loop would have drawn dozens of frames by then.
    let script = futures::stream::once(async {
        tokio::time::sleep(Duration::from_millis(600)).await;
        ev(KeyCode::Char('q'))
    })
    .chain(futures::stream::pending());
    tokio::time::timeout(
        Duration::from_secs(5),
        run_loop(
            &mut host,
            &mut app,
            Box::pin(script),
            &mut runner,
            &mut rx,
            std::future::pending(),
        ),
    )
    .await
    .unwrap()
    .unwrap();
    let screen = host.terminal.backend().to_string();
    assert!(screen.contains("Jira 9.12.3 as alice"), "{screen}");
    assert!(host.draws <= 6, "{} draws while idle", host.draws);
}
