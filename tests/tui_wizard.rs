//! The Link wizard pane and `jiralink demo`, whole-app on `TestBackend` against the simulator over
//! loopback: from a fresh simulator to a green OAuth connection (automatic creation with the admin
//! connection, simulated Allow), back never loses data, snapshots of each step, a slow simulator
//! never delays a key press.

mod tui_support;

use crossterm::event::KeyCode;
use jiralink::cli::demo::{Demo, DEMO_OAUTH};
use jiralink::sim::Scenario;
use jiralink::tui::action::WizardMsg;
use jiralink::tui::action::{Action, Effect, PastedText};
use jiralink::tui::app::App;
use jiralink::tui::effects::EffectRunner;
use jiralink::tui::panes::wizard::{Item, WizardField, WizardPane};
use jiralink::tui::theme::Theme;
use jiralink::wizard::{LinkKind, Step};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;
use tui_support::{code, key, render};

/// The app, its effect runner and the channel results come back on, like the real event loop.
struct Harness {
    demo: Demo,
    app: App,
    runner: EffectRunner,
    rx: UnboundedReceiver<Action>,
    copied: Vec<String>,
}

impl Harness {
    async fn start(projects: usize) -> Harness {
        let demo = Demo::start(projects).await.unwrap();
        let mut opts = demo.app_options();
        opts.theme = Theme::plain();
        opts.task_timeout = Duration::from_secs(30);
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let runner = EffectRunner::for_app(&opts, tx);
        let (app, effects) = App::new(&opts, Instant::now());
        let mut h = Harness {
            demo,
            app,
            runner,
            rx,
            copied: Vec::new(),
        };
        h.run(effects);
        h
    }

    fn run(&mut self, effects: Vec<Effect>) {
        for e in effects {
            match e {
                Effect::Copy(t) => self.copied.push(t),
                Effect::Quit | Effect::Suspend => {}
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

    /// Feed results and ticks until `done` holds (or panic after `limit`, showing the screen).
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

    /// Wait until no work is in flight on any pane (connection checks included).
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

    /// Focus a text field and start editing it (Enter).
    fn edit(&mut self, id: WizardField) {
        self.focus(Item::Text(id));
        if !self.wiz().editing() {
            self.send(code(KeyCode::Enter));
        }
        assert!(self.wiz().editing());
    }

    /// Copy the committed test key to a 0600 file (keys readable by others are refused).
    fn test_key(&self) -> PathBuf {
        let src = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/test_key.pem");
        let dst = self.demo.dir().join("test_key.pem");
        std::fs::copy(src, &dst).unwrap();
        std::fs::set_permissions(&dst, std::fs::Permissions::from_mode(0o600)).unwrap();
        dst
    }

    /// Never panic at any size, from 1×1 up.
    fn resize_sweep(&self) {
        for (w, h) in [
            (1, 1),
            (2, 1),
            (10, 5),
            (39, 9),
            (40, 10),
            (41, 12),
            (60, 15),
            (300, 100),
        ] {
            let _ = render(&self.app, w, h);
        }
    }

    fn snapshot(&self, name: &str) {
        self.resize_sweep();
        let tmp = regex_escape(&self.demo.dir().display().to_string());
        for (w, h) in [(100, 30), (80, 24)] {
            let screen = render(&self.app, w, h);
            insta::with_settings!({
                filters => vec![
                    (tmp.as_str(), "[TMP]"),
                    (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
                    // The token may wrap onto the next screen line.
                    (r"oauth_token=[A-Za-z0-9%_.~-]+(\|\n\|[A-Za-z0-9%_.~-]+)?", "oauth_token=[TOKEN]"),
                    (r"code is '[A-Za-z0-9]+'", "code is '[CODE]'"),
                    (r"(Verification code +)[A-Za-z0-9]+", "$1[CODE]"),
                    (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", "[TIME]"),
                ],
            }, {
                insta::assert_snapshot!(format!("wizard_{name}@{w}x{h}"), screen);
            });
        }
    }
}

/// Escape a path for the snapshot filter regex.
fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_ascii_alphanumeric() || c == '/' || c == '_' {
                vec![c]
            } else {
                vec!['\\', c]
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn walks_from_a_fresh_simulator_to_a_green_oauth_connection() {
    let mut h = Harness::start(30).await;
    h.send(key('2'));
    // The preset URL is probed on its own (debounced); no key needed.
    h.until("the probe", Duration::from_secs(20), |a| {
        a.panes.wizard.wizard().probe_info().is_some()
    })
    .await;
    h.idle().await;
    h.snapshot("1_target");

    // Step 2 (Enter edits the URL, Enter again goes on to the connection name, Enter there
    // submits the step): the committed test key instead of generating one.
    h.send(code(KeyCode::Enter));
    assert!(h.wiz().editing());
    h.send(code(KeyCode::Enter));
    assert_eq!(h.wiz().wizard().step(), Step::Target);
    assert_eq!(
        h.wiz().focused(),
        Some(Item::Text(WizardField::ConnectionName))
    );
    h.send(code(KeyCode::Enter));
    assert_eq!(h.wiz().wizard().step(), Step::Keys);
    h.snapshot("2_keys_empty");
    let key_path = h.test_key();
    h.edit(WizardField::ImportPath);
    h.keys(&key_path.display().to_string());
    h.send(code(KeyCode::Enter));
    h.until("the key", Duration::from_secs(20), |a| {
        a.panes.wizard.wizard().key_info().is_some()
    })
    .await;
    h.idle().await;
    h.snapshot("2_keys_loaded");

    // Step 3: values to paste; `c` copies the public key in full.
    h.focus(Item::Action(jiralink::tui::keymap::WizardCmd::NextStep));
    h.send(code(KeyCode::Enter));
    assert_eq!(h.wiz().wizard().step(), Step::Register);
    h.snapshot("3_register");
    // The version-specific menu path is on screen even at 80×24; PgDn scrolls to the rest.
    let small = render(&h.app, 80, 24);
    assert!(
        small.contains("Administration -> Applications -> Application"),
        "{small}"
    );
    h.send(code(KeyCode::PageDown));
    assert_ne!(render(&h.app, 80, 24), small);
    h.send(code(KeyCode::PageUp));
    assert_eq!(render(&h.app, 80, 24), small);
    h.focus(Item::Copy("public_key"));
    h.send(key('c'));
    let pk = h.wiz().wizard().key_info().unwrap().jira_form_key.clone();
    assert_eq!(h.copied.last(), Some(&pk), "the whole public key is copied");

    // Step 4: create the link with the admin connection, behind a confirm.
    h.send(key('n'));
    assert_eq!(h.wiz().wizard().step(), Step::Create);
    h.snapshot("4_create");
    h.focus(Item::Action(jiralink::tui::keymap::WizardCmd::Create));
    h.send(code(KeyCode::Enter));
    assert!(render(&h.app, 100, 30).contains("y = create, n = cancel"));
    h.send(key('y'));
    h.until("the link", Duration::from_secs(20), |a| {
        a.panes.wizard.wizard().link_created()
    })
    .await;
    assert!(h.demo.sim.oauth().has_consumer("jiralink-demo"));

    // Step 5: request token, simulated Allow, verification code typed in.
    h.send(key('n'));
    h.until("the request token", Duration::from_secs(20), |a| {
        a.panes.wizard.wizard().request_token().is_some()
    })
    .await;
    h.idle().await;
    h.snapshot("5_authorize");
    let url = h.wiz().wizard().authorize_url().unwrap();
    assert!(render(&h.app, 100, 30).contains("Authorize URL"));
    h.focus(Item::Copy("authorize_url"));
    h.send(key('c'));
    assert_eq!(h.copied.last(), Some(&url));
    h.focus(Item::Action(jiralink::tui::keymap::WizardCmd::Approve));
    h.send(code(KeyCode::Enter));
    h.until("the simulated Allow", Duration::from_secs(20), |a| {
        a.panes.wizard.simulated_code().is_some()
    })
    .await;
    let code_shown = h.wiz().simulated_code().unwrap().to_string();
    assert!(render(&h.app, 100, 30).contains(&format!("verification code is '{code_shown}'")));
    h.focus(Item::Text(WizardField::Verifier));
    h.send(Action::Paste(PastedText(format!(" {code_shown}\n"))));
    h.snapshot("5_authorize_code");
    h.send(code(KeyCode::Enter));

    // Step 6: verified as alice, saved in the config, checked green on the Connections pane.
    h.until("the saved connection", Duration::from_secs(30), |a| {
        a.panes.wizard.saved_connection().is_some()
    })
    .await;
    h.idle().await;
    let v = h.wiz().wizard().verify_info().unwrap().clone();
    assert_eq!(v.user, "alice");
    assert!(v.project_count > 0);
    h.snapshot("6_verify");
    let cfg = jiralink::config::Config::load(&h.demo.config_path).unwrap();
    let c = cfg.connection(DEMO_OAUTH).unwrap();
    assert!(c.access_token.is_some() && c.token_secret.is_some());
    assert_eq!(c.consumer_key.as_deref(), Some("jiralink-demo"));

    // Export (toml by default) is written 0600.
    h.send(key('x'));
    h.idle().await;
    let export = h.demo.data_dir.join(format!("{DEMO_OAUTH}-export.toml"));
    let mode = std::fs::metadata(&export).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(std::fs::read_to_string(&export)
        .unwrap()
        .contains("consumer_key = \"jiralink-demo\""));

    h.send(key('1'));
    h.until("demo-oauth checked green", Duration::from_secs(30), |a| {
        render(a, 100, 30)
            .lines()
            .any(|l| l.contains(DEMO_OAUTH) && l.contains("[ok] Jira 9.12.3 as alice"))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn target_shows_the_chosen_kinds_path_and_enter_walks_its_fields() {
    let mut h = Harness::start(10).await;
    h.send(key('2'));
    h.until("the probe", Duration::from_secs(20), |a| {
        a.panes.wizard.wizard().probe_info().is_some()
    })
    .await;
    h.idle().await;
    // The demo presets OAuth 1.0a; its Jira 9 offers OAuth 2.0 too. Choosing it on Target shows
    // the OAuth 2.0 path (5 steps) and warns about bearer tokens, not RSA-SHA1.
    h.focus(Item::Kind);
    h.send(key(' '));
    assert_eq!(h.wiz().wizard().link_kind(), LinkKind::OAuth2);
    let screen = render(&h.app, 100, 30);
    assert!(screen.contains("Step 1 of 5 · Jira server"), "{screen}");
    assert!(
        screen.contains("[Target] > Settings > Register > Authorize > Verify  (OAuth 2.0)"),
        "{screen}"
    );
    assert!(
        !screen.contains("Create?") && !screen.contains("RSA-SHA1"),
        "{screen}"
    );
    assert!(screen.contains("bearer tokens"), "{screen}");

    // Enter in the URL goes on to "Save as connection" (still typing) instead of leaving the
    // step; Enter there goes Next, with the name as typed.
    h.edit(WizardField::Url);
    h.send(code(KeyCode::Enter));
    assert_eq!(h.wiz().wizard().step(), Step::Target);
    assert_eq!(
        h.wiz().focused(),
        Some(Item::Text(WizardField::ConnectionName))
    );
    assert!(h.wiz().editing());
    let name = format!("{}-2", h.wiz().wizard().connection_name());
    h.keys("-2");
    h.send(code(KeyCode::Enter));
    assert!(
        h.wiz().wizard().oauth2().is_some(),
        "{:?}",
        h.wiz().wizard().error()
    );
    assert_eq!(h.wiz().wizard().connection_name(), name);
    let screen = render(&h.app, 100, 30);
    assert!(screen.contains("Step 2 of 5"), "{screen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enter_in_a_new_url_probes_it_and_next_waits_for_the_probe() {
    let mut h = Harness::start(10).await;
    h.send(key('2'));
    h.until("the preset probe", Duration::from_secs(20), |a| {
        a.panes.wizard.wizard().probe_info().is_some()
    })
    .await;
    h.idle().await;
    // Changing the URL (a key typed and taken back) drops the probe; Enter probes at once and
    // goes on to the name.
    h.edit(WizardField::Url);
    h.send(key('x'));
    assert!(h.wiz().wizard().probe_info().is_none(), "URL changed");
    h.send(code(KeyCode::Backspace));
    let effects = h.app.update(code(KeyCode::Enter));
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Wizard { .. })),
        "Enter probes without waiting for the pause: {effects:?}"
    );
    h.run(effects);
    assert_eq!(
        h.wiz().focused(),
        Some(Item::Text(WizardField::ConnectionName))
    );
    // Enter on the name, before the probe answered, still means Next once it does.
    h.send(code(KeyCode::Enter));
    h.until("the next step", Duration::from_secs(20), |a| {
        a.panes.wizard.wizard().step() != Step::Target
    })
    .await;
    assert_eq!(h.wiz().wizard().step(), Step::Keys);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_never_loses_what_was_typed() {
    let mut h = Harness::start(10).await;
    h.send(key('2'));
    h.until("the probe", Duration::from_secs(20), |a| {
        a.panes.wizard.wizard().probe_info().is_some()
    })
    .await;
    h.send(key('n'));
    assert_eq!(h.wiz().wizard().step(), Step::Keys);
    h.edit(WizardField::ConsumerName);
    h.keys("Acme Sync");
    h.edit(WizardField::ImportPath);
    h.keys("/nowhere/key.pem");
    // Esc ends editing, a second Esc goes back one step; the URL (preset) is still there.
    h.send(code(KeyCode::Esc));
    assert!(!h.wiz().editing());
    assert_eq!(h.wiz().wizard().step(), Step::Keys);
    h.send(code(KeyCode::Esc));
    assert_eq!(h.wiz().wizard().step(), Step::Target);
    assert!(h
        .wiz()
        .text(WizardField::Url)
        .starts_with("http://127.0.0.1:"));
    h.send(key('n'));
    assert_eq!(h.wiz().wizard().step(), Step::Keys);
    assert_eq!(h.wiz().text(WizardField::ConsumerName), "Acme Sync");
    assert_eq!(h.wiz().wizard().consumer_name(), "Acme Sync");
    assert_eq!(h.wiz().text(WizardField::ImportPath), "/nowhere/key.pem");
    // Backspace on an empty field is back too; on a non-empty one it deletes a character.
    h.edit(WizardField::KeyPath);
    assert_eq!(h.wiz().text(WizardField::KeyPath), "");
    h.send(code(KeyCode::Backspace));
    assert_eq!(h.wiz().wizard().step(), Step::Target);
    h.send(key('n'));
    h.edit(WizardField::ConsumerName);
    h.send(code(KeyCode::Backspace));
    assert_eq!(h.wiz().wizard().step(), Step::Keys);
    assert_eq!(h.wiz().text(WizardField::ConsumerName), "Acme Syn");
    // A refused step says why and keeps everything.
    h.send(code(KeyCode::Enter));
    assert_eq!(h.wiz().wizard().step(), Step::Keys);
    assert!(render(&h.app, 100, 30).contains("Generate a key pair or choose an existing"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_a_url_probes_once_after_a_pause_and_drops_stale_answers() {
    let mut h = Harness::start(10).await;
    h.send(key('2'));
    h.until("the preset probe", Duration::from_secs(20), |a| {
        a.panes.wizard.wizard().probe_info().is_some()
    })
    .await;
    h.idle().await;
    h.edit(WizardField::Url);
    // Clear the URL and type a new one: no probe while typing.
    for _ in 0..h.wiz().text(WizardField::Url).chars().count() {
        let effects = h.app.update(code(KeyCode::Backspace));
        assert!(effects.is_empty());
    }
    let base = h.demo.sim.base_url().to_string();
    let mut effects = Vec::new();
    for c in base.chars() {
        effects.extend(h.app.update(key(c)));
    }
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Wizard { .. })),
        "no probe per keystroke"
    );
    assert!(
        h.wiz().wizard().probe_info().is_none(),
        "URL changed: old result dropped"
    );
    // A tick before the debounce does nothing; one after it probes exactly once.
    let early = h.app.update(Action::Tick(Instant::now()));
    assert!(!early.iter().any(|e| matches!(e, Effect::Wizard { .. })));
    let late = h
        .app
        .update(Action::Tick(Instant::now() + Duration::from_millis(500)));
    let probes: Vec<_> = late
        .iter()
        .filter(|e| matches!(e, Effect::Wizard { .. }))
        .collect();
    assert_eq!(probes.len(), 1, "{late:?}");
    let stale_req = match probes[0] {
        Effect::Wizard { req, .. } => *req,
        _ => unreachable!(),
    };
    // Editing again and pausing starts a fresh probe that replaces it (the old one is
    // cancelled); a late answer to the old one is dropped.
    assert!(h.app.update(key('x')).is_empty());
    assert!(h.app.update(code(KeyCode::Backspace)).is_empty());
    let again = h
        .app
        .update(Action::Tick(Instant::now() + Duration::from_millis(500)));
    assert!(
        again
            .iter()
            .any(|e| matches!(e, Effect::Cancel(r) if *r == stale_req)),
        "{again:?}"
    );
    h.run(again);
    let changed = h.app.update(Action::Wizard(WizardMsg::Done {
        req: stale_req,
        input: Box::new(jiralink::wizard::Input::ProbeResult(Err(
            jiralink::jira::Diagnosis::error(
                jiralink::jira::Code::Other,
                "stale",
                "stale",
                "stale",
            ),
        ))),
    }));
    assert!(changed.is_empty());
    assert!(!render(&h.app, 100, 30).contains("stale"));
    h.until("the new probe", Duration::from_secs(20), |a| {
        a.panes.wizard.wizard().probe_info().is_some()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_simulator_never_delays_a_key_press() {
    let mut h = Harness::start(10).await;
    h.demo.sim.set_scenario(Scenario::Slow { latency_ms: 2000 });
    h.send(key('2'));
    // The preset probe is on its way and takes 2 s; keys are handled meanwhile.
    h.send(Action::Tick(Instant::now() + Duration::from_millis(500)));
    assert!(jiralink::tui::panes::Pane::busy(h.wiz()) > 0);
    let started = Instant::now();
    h.edit(WizardField::ConnectionName);
    h.keys("slow-jira");
    let screen = render(&h.app, 100, 30);
    assert!(
        started.elapsed() < Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    assert!(screen.contains("slow-jira"), "{screen}");
    assert!(screen.contains("Probing"), "{screen}");
    h.until("the slow probe", Duration::from_secs(20), |a| {
        a.panes.wizard.wizard().probe_info().is_some()
    })
    .await;
}

#[test]
fn demo_check_only_prints_every_connection_and_cleans_up() {
    let home = tempfile::tempdir().unwrap();
    let out = assert_cmd::Command::cargo_bin("jiralink")
        .unwrap()
        .args([
            "demo",
            "--check-only",
            "--projects",
            "20",
            "--color",
            "never",
        ])
        .env("HOME", home.path())
        .env("TMPDIR", home.path())
        .env_remove("JIRALINK_CONFIG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("SIMULATED Jira"), "{stdout}");
    for name in [
        "demo-alice ",
        "demo-admin ",
        "demo-alice-pat ",
        "demo-oauth ",
    ] {
        assert!(stdout.contains(name), "{name} missing in {stdout}");
    }
    assert!(stdout.contains("as alice"), "{stdout}");
    // The temp dir is gone after exit.
    let left: Vec<_> = std::fs::read_dir(home.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("jiralink-demo-")
        })
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test]
async fn the_demo_temp_dir_is_removed_when_the_demo_is_dropped() {
    let demo = Demo::start(5).await.unwrap();
    let dir = demo.dir().to_path_buf();
    assert!(dir.join("config.toml").exists());
    let mode = std::fs::metadata(dir.join("secrets/alice.password"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    drop(demo);
    assert!(!dir.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pasting_a_pem_private_key_imports_it_with_mode_0600() {
    let mut h = Harness::start(5).await;
    h.send(key('2'));
    h.until("the probe", Duration::from_secs(20), |a| {
        a.panes.wizard.wizard().probe_info().is_some()
    })
    .await;
    h.send(key('n'));
    assert_eq!(h.wiz().wizard().step(), Step::Keys);
    let pem = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/test_key.pem"
    ))
    .unwrap();
    let target = h.wiz().wizard().key_path();
    h.send(Action::Paste(PastedText(pem)));
    h.until("the pasted key", Duration::from_secs(20), |a| {
        a.panes.wizard.wizard().key_info().is_some()
    })
    .await;
    let info = h.wiz().wizard().key_info().unwrap().clone();
    assert_eq!(info.path, target);
    let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let public = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/test_key_pub.pem"
    ))
    .unwrap();
    assert_eq!(info.public_key_pem.trim(), public.trim());
    // Pasting again refuses to overwrite the stored key, and says so.
    h.send(Action::Paste(PastedText(
        std::fs::read_to_string(&target).unwrap(),
    )));
    h.until("the refusal", Duration::from_secs(20), |a| {
        a.status.error.is_some()
    })
    .await;
    assert!(h
        .app
        .status
        .error
        .as_deref()
        .unwrap()
        .contains("pasted key not usable"));
    assert_eq!(
        h.wiz().wizard().key_info().unwrap().fingerprint,
        info.fingerprint
    );
}
