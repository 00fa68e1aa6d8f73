//! Keys typed while work runs: the whole app (event loop, effect runner, the real core against the
//! demo's simulator over loopback HTTP, every core answer delayed) must end where it ends when the
//! same keys are typed slowly. Before keys were queued, `2 n g n n j Enter y n A` at full speed left
//! the wizard on the Keys step with "ynA" typed into the consumer name.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures::future::BoxFuture;
use futures::StreamExt;
use jiralink::check::CheckResult;
use jiralink::cli::demo::Demo;
use jiralink::config::{Config, Connection, Defaults};
use jiralink::tui::app::App;
use jiralink::tui::effects::WizardCtx;
use jiralink::tui::effects::{AuditJob, Browser, Core, EffectRunner, LiveCore, ProgressFn};
use jiralink::tui::event_loop::{run_loop, Host};
use jiralink::tui::panes::wizard::WizardField;
use jiralink::tui::view;
use jiralink::wizard::Step;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Every core answer comes this late (key generation, link creation, tokens, the browser).
const DELAY: Duration = Duration::from_millis(250);

/// The real core, every answer delayed by [`DELAY`].
struct SlowCore;

fn late<T: Send + 'static>(fut: BoxFuture<'static, T>) -> BoxFuture<'static, T> {
    Box::pin(async move {
        tokio::time::sleep(DELAY).await;
        fut.await
    })
}

impl Core for SlowCore {
    fn load_config(&self, path: PathBuf) -> BoxFuture<'static, Result<Config, String>> {
        late(LiveCore.load_config(path))
    }
    fn check(&self, c: Connection, d: Defaults) -> BoxFuture<'static, Result<CheckResult, String>> {
        late(LiveCore.check(c, d))
    }
    fn save_connection(
        &self,
        p: PathBuf,
        r: Option<String>,
        c: Connection,
    ) -> BoxFuture<'static, Result<Config, String>> {
        late(LiveCore.save_connection(p, r, c))
    }
    fn delete_connection(
        &self,
        p: PathBuf,
        n: String,
    ) -> BoxFuture<'static, Result<Config, String>> {
        late(LiveCore.delete_connection(p, n))
    }
    fn wizard_effect(
        &self,
        ctx: WizardCtx,
        wizard: jiralink::wizard::Wizard,
        effect: jiralink::wizard::WizardEffect,
    ) -> BoxFuture<'static, jiralink::wizard::Input> {
        late(LiveCore.wizard_effect(ctx, wizard, effect))
    }
    fn save_linked(
        &self,
        ctx: WizardCtx,
        wizard: jiralink::wizard::Wizard,
    ) -> BoxFuture<'static, Result<Config, String>> {
        late(LiveCore.save_linked(ctx, wizard))
    }
    fn import_key_pem(
        &self,
        path: PathBuf,
        pem: secrecy::SecretString,
    ) -> BoxFuture<'static, Result<PathBuf, String>> {
        late(LiveCore.import_key_pem(path, pem))
    }
    fn audit(
        &self,
        job: AuditJob,
        progress: ProgressFn,
    ) -> BoxFuture<'static, Result<jiralink::audit::Report, jiralink::jira::Diagnosis>> {
        late(LiveCore.audit(job, progress))
    }
    fn plan_fix(
        &self,
        job: jiralink::audit::fix::FixJob,
    ) -> BoxFuture<'static, Result<jiralink::audit::fix::Plan, jiralink::jira::Diagnosis>> {
        late(LiveCore.plan_fix(job))
    }
    fn apply_fix(
        &self,
        job: AuditJob,
        plan: jiralink::audit::fix::Plan,
        dir: PathBuf,
        progress: jiralink::tui::effects::FixProgressFn,
    ) -> BoxFuture<'static, Result<String, jiralink::jira::Diagnosis>> {
        late(LiveCore.apply_fix(job, plan, dir, progress))
    }
    fn undo_fix(
        &self,
        job: AuditJob,
        dir: PathBuf,
        id: String,
    ) -> BoxFuture<'static, Result<String, jiralink::jira::Diagnosis>> {
        late(LiveCore.undo_fix(job, dir, id))
    }
    fn links(
        &self,
        admin: Connection,
        connections: Vec<Connection>,
        defaults: Defaults,
    ) -> BoxFuture<'static, Result<jiralink::lifecycle::links::Inventory, jiralink::jira::Diagnosis>>
    {
        late(LiveCore.links(admin, connections, defaults))
    }
}

/// The demo's browser, answering late too.
struct SlowBrowser(Arc<dyn Browser>);

impl Browser for SlowBrowser {
    fn approve(&self, url: String) -> BoxFuture<'static, Result<String, String>> {
        late(self.0.approve(url))
    }
}

/// What the typist can see between keys: is anything running or waiting?
#[derive(Default, Clone, Copy)]
struct Seen {
    busy: usize,
    queued: usize,
    draws: usize,
}

struct TestHost {
    terminal: Terminal<TestBackend>,
    seen: Arc<Mutex<Seen>>,
}

impl Host for TestHost {
    fn draw(&mut self, app: &App) -> io::Result<()> {
        {
            let mut s = self.seen.lock().unwrap();
            s.busy = app.busy();
            s.queued = app.queued_keys();
            s.draws += 1;
        }
        self.terminal
            .draw(|f| view::draw(f, app))
            .map(|_| ())
            .map_err(|e| io::Error::other(e.to_string()))
    }
    fn copy(&mut self, _text: &str) -> io::Result<()> {
        Ok(())
    }
    fn suspend(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Wait until nothing runs and no key waits, as seen on two draws in a row a little apart.
async fn settled(seen: &Arc<Mutex<Seen>>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let s = *seen.lock().unwrap();
        if s.draws > 0 && s.busy == 0 && s.queued == 0 {
            tokio::time::sleep(DELAY * 2).await;
            let again = *seen.lock().unwrap();
            if again.busy == 0 && again.queued == 0 {
                return;
            }
        }
        assert!(Instant::now() < deadline, "the app never settled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn keys() -> Vec<KeyEvent> {
    let plain = |c| KeyEvent::new(c, KeyModifiers::NONE);
    let mut keys: Vec<KeyEvent> = "2ngnnj".chars().map(|c| plain(KeyCode::Char(c))).collect();
    keys.push(plain(KeyCode::Enter));
    keys.extend("ynA".chars().map(|c| plain(KeyCode::Char(c))));
    keys
}

/// The end state that matters, with the demo's temp dir and port taken out.
#[derive(Debug, PartialEq)]
struct End {
    step: Step,
    texts: Vec<(WizardField, String)>,
    link_created: bool,
    approved: bool,
    focused: String,
    error: Option<String>,
}

/// Run the demo's app with every answer delayed; `slowly` = wait for the app to settle before
/// each key (a person reading the screen), else every key at once (a fast typist).
async fn run(slowly: bool) -> End {
    run_keys(slowly, keys()).await
}

/// [`run`] with other keys.
async fn run_keys(slowly: bool, keys: Vec<KeyEvent>) -> End {
    let demo = Demo::start(20).await.expect("demo starts");
    let mut opts = demo.app_options();
    opts.core = Arc::new(SlowCore);
    let browser = opts.browser.take().expect("the demo has a browser");
    opts.browser = Some(Arc::new(SlowBrowser(browser)));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut runner = EffectRunner::for_app(&opts, tx);
    let (mut app, effects) = App::new(&opts, Instant::now());
    for e in effects {
        runner.spawn(e);
    }
    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut host = TestHost {
        terminal: Terminal::new(TestBackend::new(80, 24)).unwrap(),
        seen: Arc::clone(&seen),
    };
    let typist = {
        let seen_keys = Arc::clone(&seen);
        let seen_end = Arc::clone(&seen);
        futures::stream::iter(keys)
            .then(move |k| {
                let seen = Arc::clone(&seen_keys);
                async move {
                    // Start once the app is up (connections checked, probe answered) either way.
                    if slowly || seen.lock().unwrap().draws <= 1 {
                        settled(&seen).await;
                    }
                    Ok::<_, io::Error>(Event::Key(k))
                }
            })
            // After the last key: wait for everything to answer, then the stream ends the loop.
            .chain(futures::stream::once({
                async move {
                    tokio::time::sleep(DELAY).await;
                    settled(&seen_end).await;
                    Ok(Event::FocusGained)
                }
            }))
    };
    tokio::time::timeout(
        Duration::from_secs(120),
        run_loop(
            &mut host,
            &mut app,
            Box::pin(typist),
            &mut runner,
            &mut rx,
            std::future::pending(),
        ),
    )
    .await
    .expect("the loop finishes")
    .expect("the loop runs");
    runner.abort_all();
    let dir = demo.dir().display().to_string();
    let url = demo.sim.base_url().to_string();
    let clean = |s: &str| s.replace(&dir, "<tmp>").replace(&url, "<sim>");
    let w = &app.panes.wizard;
    use WizardField::*;
    let fields = [
        Url,
        ConnectionName,
        ConsumerKey,
        ConsumerName,
        KeyPath,
        ImportPath,
        AppUrl,
        Verifier,
        ExportPath,
    ];
    End {
        step: w.wizard().step(),
        texts: fields.iter().map(|f| (*f, clean(w.text(*f)))).collect(),
        link_created: w.wizard().link_created(),
        approved: w.simulated_code().is_some(),
        focused: format!("{:?}", w.focused()),
        error: app.status.error.as_deref().map(clean),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_typed_at_full_speed_end_where_slow_typing_ends() {
    let slow = run(true).await;
    // Typed slowly: the link is created, Jira approved the request token, nothing went to a field.
    assert_eq!(slow.step, Step::Authorize, "{slow:#?}");
    assert!(slow.link_created && slow.approved, "{slow:#?}");
    assert_eq!(slow.error, None);
    let consumer_name = slow
        .texts
        .iter()
        .find(|(f, _)| *f == WizardField::ConsumerName);
    assert_eq!(consumer_name.map(|(_, t)| t.as_str()), Some(""));
    let fast = run(false).await;
    assert_eq!(fast, slow);
}

/// The URL retyped (its probe dropped), Enter, a letter for the name, Enter, `g`: Enter in the URL
/// goes on to the name (probing at once when typed fast, after the pause when slow), Enter there
/// waits for the probe and goes Next, and `g` generates the key on Keys either way.
fn url_enter_keys() -> Vec<KeyEvent> {
    let plain = |c| KeyEvent::new(c, KeyModifiers::NONE);
    let mut keys = vec![
        plain(KeyCode::Char('2')),
        plain(KeyCode::Enter),
        plain(KeyCode::Backspace),
        plain(KeyCode::Char('a')),
        plain(KeyCode::Enter),
        plain(KeyCode::Char('x')),
        plain(KeyCode::Enter),
    ];
    keys.push(plain(KeyCode::Char('g')));
    keys
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enter_in_the_url_typed_ahead_ends_where_slow_typing_ends() {
    let slow = run_keys(true, url_enter_keys()).await;
    assert_eq!(slow.step, Step::Keys, "{slow:#?}");
    assert_eq!(slow.error, None);
    let name = slow
        .texts
        .iter()
        .find(|(f, _)| *f == WizardField::ConnectionName);
    assert_eq!(name.map(|(_, t)| t.as_str()), Some("demo-oauthx"));
    let fast = run_keys(false, url_enter_keys()).await;
    assert_eq!(fast, slow);
}
