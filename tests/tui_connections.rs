//! The Connections pane driven by scripted keys and injected actions: navigation, details, help,
//! the add / edit / delete form and the effects it emits, stale results, periodic refresh.

mod tui_support;

use crossterm::event::KeyCode;
use jiralink::config::AuthKind;
use jiralink::secret::{ExposeSecret, SecretRef};
use jiralink::tui::action::ConnectionsMsg;
use jiralink::tui::action::{Action, Effect, PastedText};
use jiralink::tui::app::App;
use jiralink::tui::keymap::{keys_label, GLOBAL_KEYS};
use jiralink::tui::panes::connections::FORM_KEYS;
use jiralink::tui::panes::connections::{ConnectionsMode, CONFIRM_KEYS, DETAILS_KEYS, LIST_KEYS};
use jiralink::tui::panes::Pane;
use jiralink::tui::theme::Theme;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tui_support::*;

fn selected(app: &App) -> String {
    app.panes.connections.selected_name().unwrap()
}

#[test]
fn starts_by_loading_then_checks_every_connection() {
    let (mut app, effects) = App::new(&options(Theme::default()), Instant::now());
    assert!(matches!(effects.as_slice(), [Effect::LoadConfig { .. }]));
    assert!(render(&app, 100, 30).contains("reading /home/ops/.config/jiralink/config.toml"));
    let req = load_req(&effects);
    let effects = app.update(Action::Connections(ConnectionsMsg::ConfigLoaded {
        req,
        result: Ok(sample_config()),
    }));
    let names: Vec<String> = check_reqs(&effects).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["prod", "cloud", "legacy"]);
    assert_eq!(app.busy(), 3);
    assert!(render(&app, 100, 30).contains("checking 3 connections"));
}

#[test]
fn empty_and_error_states_are_shown() {
    let mut empty = sample_config();
    empty.connections.clear();
    let (app, checks) = loaded_app(Theme::default(), empty);
    assert!(checks.is_empty());
    assert!(render(&app, 100, 30).contains("no connections yet — press a to add one"));

    let (mut app, effects) = App::new(&options(Theme::default()), Instant::now());
    app.update(Action::Connections(ConnectionsMsg::ConfigLoaded {
        req: load_req(&effects),
        result: Err("line 3, column 1: unknown key `pasword` in connection prod".into()),
    }));
    let screen = render(&app, 100, 30);
    assert!(screen.contains("could not read"));
    assert!(screen.contains("unknown key `pasword`"));
    // `r` retries the read instead of checking nothing; success clears the error.
    let effects = app.update(key('r'));
    assert!(matches!(effects.as_slice(), [Effect::LoadConfig { .. }]));
    assert!(app.status.error.is_some());
    app.update(Action::Connections(ConnectionsMsg::ConfigLoaded {
        req: load_req(&effects),
        result: Ok(sample_config()),
    }));
    assert!(app.status.error.is_none());
    assert_eq!(app.panes.connections.visible_names().len(), 3);
}

#[test]
fn navigation_with_j_k_g_g_and_arrows() {
    let mut app = checked_app(Theme::default());
    assert_eq!(selected(&app), "prod");
    app.update(key('j'));
    assert_eq!(selected(&app), "cloud");
    app.update(code(KeyCode::Down));
    assert_eq!(selected(&app), "legacy");
    app.update(key('j'));
    assert_eq!(selected(&app), "legacy", "stays on the last row");
    app.update(key('g'));
    assert_eq!(selected(&app), "prod");
    app.update(key('G'));
    assert_eq!(selected(&app), "legacy");
    app.update(code(KeyCode::Up));
    assert_eq!(selected(&app), "cloud");
}

#[test]
fn badges_show_the_verdicts() {
    let app = checked_app(Theme::default());
    let screen = render(&app, 100, 30);
    assert!(screen.contains("✓ Jira 9.12.3 as alice"), "{screen}");
    assert!(screen.contains("⚠ clock 6 min off"), "{screen}");
    assert!(screen.contains("✗ CAPTCHA required"), "{screen}");
}

#[test]
fn enter_opens_details_with_chain_and_diagnosis_and_esc_goes_back() {
    let mut app = checked_app(Theme::default());
    app.update(key('G'));
    app.update(code(KeyCode::Enter));
    assert!(
        matches!(app.panes.connections.mode(), ConnectionsMode::Details { name, .. } if name == "legacy")
    );
    let screen = render(&app, 100, 30);
    for needle in [
        "server_info",
        "manifest",
        "auth",
        "myself",
        "403 AUTHENTICATION_DENIED",
        "Diagnosis [captcha_required]",
        "what",
        "Jira wants a CAPTCHA",
        "why",
        "fix",
        "solve the CAPTCHA",
    ] {
        assert!(screen.contains(needle), "missing {needle:?} in\n{screen}");
    }
    // `c` copies the diagnosis through OSC 52 and shows what was copied.
    let effects = app.update(key('c'));
    match effects.as_slice() {
        [Effect::Copy(text)] => assert!(text.contains("captcha_required")),
        other => panic!("expected a copy, got {other:?}"),
    }
    assert!(render(&app, 100, 30).contains("copied: [captcha_required]"));
    app.update(code(KeyCode::Esc));
    assert!(matches!(
        app.panes.connections.mode(),
        ConnectionsMode::List
    ));
}

#[test]
fn refresh_selected_and_all_emit_checks_and_cancel_the_old_ones() {
    let mut app = checked_app(Theme::default());
    let effects = app.update(key('r'));
    assert_eq!(check_reqs(&effects).len(), 1);
    assert_eq!(check_reqs(&effects)[0].0, "prod");
    // While re-checking, the last result stays visible next to the spinner.
    let screen = render(&app, 100, 30);
    assert!(screen.contains("⠋ Jira 9.12.3 as alice"), "{screen}");
    assert!(screen.contains("checking 1 connection"));
    let effects = app.update(key('R'));
    assert_eq!(check_reqs(&effects).len(), 3);
    // prod was still being checked: that request is cancelled.
    assert!(effects.iter().any(|e| matches!(e, Effect::Cancel(_))));
}

#[test]
fn stale_results_are_dropped() {
    let (mut app, checks) = loaded_app(Theme::default(), sample_config());
    let (name, old) = checks[0].clone();
    // A new check supersedes the first one.
    let effects = app.update(key('r'));
    let (_, new) = check_reqs(&effects)[0].clone();
    app.update(Action::Connections(ConnectionsMsg::CheckFinished {
        req: old,
        name: name.clone(),
        result: Box::new(captcha_result(&name)),
    }));
    assert!(
        !render(&app, 100, 30).contains("CAPTCHA"),
        "stale result shown"
    );
    app.update(Action::Connections(ConnectionsMsg::CheckFinished {
        req: new,
        name: name.clone(),
        result: Box::new(ok_result(&name)),
    }));
    assert!(render(&app, 100, 30).contains("Jira 9.12.3 as alice"));
}

#[test]
fn periodic_refresh_rechecks_everything_when_due() {
    let (mut app, _) = loaded_app(Theme::default(), sample_config());
    let due = app.next_deadline(Instant::now());
    assert!(due.is_some(), "spinner tick while checking");
    let effects = app.update(Action::Tick(Instant::now()));
    assert!(check_reqs(&effects).is_empty(), "not due yet");
    // Still running from the start: a periodic refresh does not restart them.
    let effects = app.update(Action::Tick(Instant::now() + Duration::from_secs(301)));
    assert!(check_reqs(&effects).is_empty());

    let mut app = checked_app(Theme::default());
    assert_eq!(app.busy(), 0);
    let due = app
        .next_deadline(Instant::now())
        .expect("a refresh is scheduled");
    assert!(
        due > Instant::now() + Duration::from_secs(290),
        "idle: no spinner tick"
    );
    let effects = app.update(Action::Tick(Instant::now() + Duration::from_secs(301)));
    assert_eq!(check_reqs(&effects).len(), 3);
}

#[test]
fn idle_with_no_refresh_means_no_wakeups() {
    let mut opts = options(Theme::default());
    opts.refresh_every = None;
    let (mut app, effects) = App::new(&opts, Instant::now());
    let effects = app.update(Action::Connections(ConnectionsMsg::ConfigLoaded {
        req: load_req(&effects),
        result: Ok(sample_config()),
    }));
    for (name, req) in check_reqs(&effects) {
        app.update(Action::Connections(ConnectionsMsg::CheckFinished {
            req,
            result: Box::new(ok_result(&name)),
            name,
        }));
    }
    assert_eq!(app.next_deadline(Instant::now()), None);
    // Nothing changed, nothing to redraw.
    let _ = app.take_dirty();
    app.update(Action::Tick(Instant::now()));
    assert!(!app.take_dirty());
    app.update(key('j'));
    assert!(app.take_dirty());
}

#[test]
fn filter_narrows_the_list() {
    let mut app = checked_app(Theme::default());
    app.update(key('/'));
    type_text(&mut app, "atlassian");
    assert_eq!(app.panes.connections.visible_names(), ["cloud"]);
    app.update(code(KeyCode::Enter));
    assert!(render(&app, 100, 30).contains("filter: atlassian"));
    // `q` quits again once the filter is applied (not typed into it).
    app.update(code(KeyCode::Esc));
    assert_eq!(app.panes.connections.visible_names().len(), 3);
}

#[test]
fn help_overlay_lists_every_key_of_the_pane_and_global_keys() {
    let mut app = checked_app(Theme::default());
    for (prep, table) in [
        (vec![], LIST_KEYS),
        (vec![code(KeyCode::Enter)], DETAILS_KEYS),
        (vec![key('a')], FORM_KEYS),
        (vec![key('d')], CONFIRM_KEYS),
    ] {
        let mut app2 = checked_app(Theme::default());
        for a in prep {
            app2.update(a);
        }
        assert_eq!(app2.panes.connections.keys().len(), table.len());
        // In the form `?` is typed, so open help the way the user would elsewhere.
        app2.help = Some(0);
        let screen = render(&app2, 120, 60);
        for b in table {
            assert!(
                screen.contains(b.help),
                "help misses {:?}:\n{screen}",
                b.help
            );
            assert!(
                screen.contains(&keys_label(b, false)),
                "help misses keys of {:?}",
                b.help
            );
        }
    }
    app.update(key('?'));
    let screen = render(&app, 120, 60);
    for b in GLOBAL_KEYS {
        assert!(screen.contains(b.help), "help misses global {:?}", b.help);
    }
    app.update(code(KeyCode::Esc));
    assert!(app.help.is_none());
}

#[test]
fn footer_hints_come_from_the_same_table() {
    let app = checked_app(Theme::default());
    let screen = render(&app, 200, 30);
    let footer = screen.lines().nth(29).unwrap();
    for b in LIST_KEYS.iter().filter(|b| !b.hint.is_empty()) {
        assert!(
            footer.contains(b.hint),
            "footer misses {:?}: {footer}",
            b.hint
        );
    }
}

#[test]
fn pane_switching_with_tab_and_digits() {
    let mut app = checked_app(Theme::default());
    app.update(code(KeyCode::Tab));
    assert_eq!(app.active, 1);
    assert!(render(&app, 100, 30).contains("Step 1 of 6"));
    app.update(key('3'));
    assert_eq!(app.active, 2);
    app.update(code(KeyCode::BackTab));
    assert_eq!(app.active, 1);
    app.update(key('1'));
    assert_eq!(app.active, 0);
}

#[test]
fn q_and_ctrl_c_quit() {
    let mut app = checked_app(Theme::default());
    let effects = app.update(key('q'));
    assert!(app.quit);
    assert!(matches!(effects.as_slice(), [Effect::Quit]));
    let mut app = checked_app(Theme::default());
    app.update(key('a'));
    app.update(key('q'));
    assert!(!app.quit, "q is typed into the form");
    app.update(ctrl('c'));
    assert!(app.quit, "Ctrl-C quits even while typing");
}

fn save_effect(
    effects: Vec<Effect>,
) -> (
    jiralink::tui::action::RequestId,
    Option<String>,
    jiralink::config::Connection,
) {
    let mut saves: Vec<_> = effects
        .into_iter()
        .filter_map(|e| match e {
            Effect::SaveConnection {
                req,
                replaces,
                connection,
                ..
            } => Some((req, replaces, *connection)),
            _ => None,
        })
        .collect();
    assert_eq!(saves.len(), 1, "one save effect");
    saves.remove(0)
}

#[test]
fn add_form_validates_inline_then_saves_through_an_effect() {
    let mut app = checked_app(Theme::default());
    app.update(key('a'));
    // Saving an empty form: messages inline, no effect.
    let effects = app.update(code(KeyCode::Enter));
    assert!(effects.is_empty());
    let screen = render(&app, 100, 30);
    assert!(screen.contains("a name is required"), "{screen}");
    assert!(screen.contains("not a URL"), "{screen}");

    type_text(&mut app, "prod"); // taken
    app.update(code(KeyCode::Tab)); // auth
    app.update(code(KeyCode::Tab)); // url
    type_text(&mut app, "https://jira2.example.com/");
    app.update(code(KeyCode::Tab)); // username
    type_text(&mut app, "bob");
    app.update(code(KeyCode::Tab)); // password source (env)
    app.update(code(KeyCode::Tab)); // variable
    type_text(&mut app, "JIRA2_PASSWORD");
    let effects = app.update(code(KeyCode::Enter));
    assert!(effects.is_empty());
    assert!(render(&app, 100, 30).contains("a connection named prod already exists"));

    // Back to the name field and fix it.
    for _ in 0..5 {
        app.update(code(KeyCode::BackTab));
    }
    for _ in 0..4 {
        app.update(code(KeyCode::Backspace));
    }
    type_text(&mut app, "staging");
    let (req, replaces, conn) = save_effect(app.update(code(KeyCode::Enter)));
    assert_eq!(replaces, None);
    assert_eq!(conn.name, "staging");
    assert_eq!(
        conn.url, "https://jira2.example.com",
        "trailing slash stripped"
    );
    assert_eq!(conn.auth, AuthKind::Basic);
    assert_eq!(conn.username.as_deref(), Some("bob"));
    assert!(matches!(&conn.password, Some(SecretRef::Env(v)) if v == "JIRA2_PASSWORD"));
    assert!(render(&app, 100, 30).contains("saving"));

    // The save worked: form closes, new connection selected and checked.
    let mut saved = sample_config();
    saved.connections.push(conn);
    let effects = app.update(Action::Connections(ConnectionsMsg::ConfigSaved {
        req,
        result: Ok(saved),
    }));
    assert!(matches!(
        app.panes.connections.mode(),
        ConnectionsMode::List
    ));
    assert_eq!(selected(&app), "staging");
    assert_eq!(check_reqs(&effects)[0].0, "staging");
}

#[test]
fn a_failed_save_keeps_the_form_and_shows_the_error() {
    let mut app = checked_app(Theme::default());
    app.update(key('e'));
    let (req, replaces, conn) = save_effect(app.update(code(KeyCode::Enter)));
    assert_eq!(replaces.as_deref(), Some("prod"));
    assert_eq!(conn.username.as_deref(), Some("alice"));
    app.update(Action::Connections(ConnectionsMsg::ConfigSaved {
        req,
        result: Err(
            "cannot write /home/ops/.config/jiralink/config.toml: read-only file system".into(),
        ),
    }));
    assert!(matches!(
        app.panes.connections.mode(),
        ConnectionsMode::Form(_)
    ));
    let screen = render(&app, 100, 30);
    assert!(screen.contains("not saved: cannot write"), "{screen}");
    // The list still has every connection: nothing was lost.
    assert_eq!(app.panes.connections.config().unwrap().connections.len(), 3);
}

#[test]
fn edit_can_switch_auth_kind_with_the_cycle_key() {
    let mut app = checked_app(Theme::default());
    app.update(key('e'));
    app.update(code(KeyCode::Tab)); // auth
    app.update(key(' ')); // basic -> pat
    let screen = render(&app, 100, 30);
    assert!(screen.contains("< pat >"), "{screen}");
    assert!(screen.contains("Token from"));
    assert!(!screen.contains("Username"));
    app.update(code(KeyCode::Tab)); // url
    app.update(code(KeyCode::Tab)); // token source
    app.update(code(KeyCode::Right)); // env -> cmd
    app.update(code(KeyCode::Tab)); // command
    app.update(ctrl('u')); // clear the old variable name
    type_text(&mut app, "pass show jira/pat");
    let (_, _, conn) = save_effect(app.update(code(KeyCode::Enter)));
    assert_eq!(conn.auth, AuthKind::Pat);
    assert!(conn.username.is_none() && conn.password.is_none());
    assert!(matches!(&conn.token, Some(SecretRef::Cmd(c)) if c == "pass show jira/pat"));
}

#[test]
fn typed_secret_is_masked_and_never_rendered() {
    const SECRET: &str = "hunter2-Sup3rS3cret";
    let mut app = checked_app(Theme::default());
    app.update(key('a'));
    type_text(&mut app, "typed");
    app.update(code(KeyCode::Tab));
    app.update(code(KeyCode::Tab));
    type_text(&mut app, "https://jira.example.org");
    app.update(code(KeyCode::Tab));
    type_text(&mut app, "carol");
    app.update(code(KeyCode::Tab));
    for _ in 0..3 {
        app.update(key(' ')); // env -> cmd -> file -> typed
    }
    app.update(code(KeyCode::Tab));
    type_text(&mut app, SECRET);
    for theme in [Theme::default(), Theme::plain()] {
        app.theme = theme;
        for (w, h) in [(100, 30), (80, 24), (300, 100), (40, 10)] {
            let screen = render(&app, w, h);
            assert!(!screen.contains("hunter2"), "secret rendered at {w}×{h}");
            assert!(!screen.contains("S3cret"));
        }
    }
    app.theme = Theme::default();
    assert!(render(&app, 100, 30).contains(&"•".repeat(SECRET.len())));
    // Pasting also stays masked.
    app.update(Action::Paste(PastedText("PASTED-secret".into())));
    assert!(!format!("{:?}", Action::Paste(PastedText("PASTED-secret".into()))).contains("PASTED"));
    assert!(!render(&app, 100, 30).contains("PASTED"));

    let (_, _, conn) = save_effect(app.update(code(KeyCode::Enter)));
    match &conn.password {
        Some(SecretRef::Plain(s)) => {
            assert_eq!(s.expose_secret(), format!("{SECRET}PASTED-secret"))
        }
        other => panic!("expected a typed secret, got {other:?}"),
    }
    // Debug of the pane state and of what we hand to the config engine never shows it either.
    assert!(!format!("{:?}", app.panes.connections).contains("hunter2"));
    assert!(!format!("{conn:?}").contains("hunter2"));
}

#[test]
fn delete_asks_first_then_emits_the_effect() {
    let mut app = checked_app(Theme::default());
    app.update(key('j'));
    let effects = app.update(key('d'));
    assert!(effects.is_empty());
    assert!(render(&app, 100, 30).contains("Delete connection cloud?"));
    // `n` keeps it.
    app.update(key('n'));
    assert!(matches!(
        app.panes.connections.mode(),
        ConnectionsMode::List
    ));
    app.update(key('d'));
    let effects = app.update(key('y'));
    let req = match effects.as_slice() {
        [Effect::DeleteConnection { req, name, .. }] => {
            assert_eq!(name, "cloud");
            *req
        }
        other => panic!("expected a delete, got {other:?}"),
    };
    let mut after = sample_config();
    after.connections.retain(|c| c.name != "cloud");
    app.update(Action::Connections(ConnectionsMsg::ConfigSaved {
        req,
        result: Ok(after),
    }));
    assert_eq!(app.panes.connections.visible_names(), ["prod", "legacy"]);
    assert!(render(&app, 100, 30).contains("deleted cloud"));
}

#[test]
fn details_of_a_warning_show_it_once_with_its_fix() {
    let mut app = checked_app(Theme::default());
    app.update(key('j'));
    app.update(code(KeyCode::Enter));
    let screen = render(&app, 100, 30);
    assert!(screen.contains("⚠ clock 6 min off"), "{screen}");
    assert_eq!(screen.matches("[clock_skew]").count(), 1, "{screen}");
    assert!(screen.contains("timedatectl set-ntp true"));
}

#[test]
fn a_check_that_could_not_run_is_a_failure_with_its_reason() {
    let (mut app, checks) = loaded_app(Theme::default(), sample_config());
    let (name, req) = checks[0].clone();
    app.update(Action::Connections(ConnectionsMsg::CheckFailed {
        req,
        name,
        message: "secret unavailable: JIRA_PASSWORD is not set".into(),
    }));
    app.update(code(KeyCode::Enter));
    let screen = render(&app, 100, 30);
    assert!(screen.contains("✗ secret unavailable"), "{screen}");
    assert!(screen.contains("The check could not run"));
}

#[test]
fn an_oauth_connection_without_a_token_says_to_link_it_instead_of_failing_a_check() {
    let mut config = sample_config();
    let mut fresh = connection("fresh", "http://127.0.0.1:8080", AuthKind::Oauth1);
    fresh.consumer_key = Some("jiralink".into());
    fresh.private_key = Some(PathBuf::from("/home/ops/.local/share/jiralink/fresh.pem"));
    config.connections.push(fresh);
    let (mut app, checks) = loaded_app(Theme::default(), config);
    assert!(
        checks.iter().all(|(name, _)| name != "fresh"),
        "no check for an unlinked connection: {checks:?}"
    );
    let screen = render(&app, 100, 30);
    assert!(
        screen.contains("fresh  oauth1      · not linked yet"),
        "{screen}"
    );
    // The details say it in full.
    app.update(key('G'));
    app.update(code(KeyCode::Enter));
    let screen = render(&app, 100, 30);
    assert!(
        screen.contains("not linked yet — open the Link wizard (2)"),
        "{screen}"
    );
}
