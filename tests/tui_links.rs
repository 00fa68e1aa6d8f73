//! The application-links view of the Connections pane (issue 17 §1, `L`): the update logic (key →
//! effect, stale answers dropped, Esc cancels), snapshots at 80×24 / 100×30 and tiny sizes under
//! NO_COLOR, server text made safe, the help generated from the key table, and the whole app with
//! the real core (`LiveCore`) against the simulator over loopback.

mod tui_support;

use crossterm::event::KeyCode;
use jiralink::config::{AuthKind, Config, Defaults};
use jiralink::jira::applinks_status::{
    AppLinkInfo, Health, LinkStatus, OAuth2Client, OAuthDirection,
};
use jiralink::jira::{Code, Diagnosis};
use jiralink::lifecycle::links::{
    migration, missing_consumer, Inventory, LinkRow, OAuth2ClientRow,
};
use jiralink::secret::{SecretRef, SecretString};
use jiralink::sim::{Sim, SimConfig};
use jiralink::tui::action::{Action, ConnectionsMsg, Effect, RequestId};
use jiralink::tui::app::App;
use jiralink::tui::effects::{EffectRunner, LiveCore};
use jiralink::tui::panes::connections::ConnectionsMode;
use jiralink::tui::panes::links::LinksView;
use jiralink::tui::theme::Theme;
use ratatui::style::Color;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;
use tui_support::*;

/// NO_COLOR with Unicode symbols (what most `NO_COLOR=1` users get).
const NO_COLOR: Theme = Theme {
    color: false,
    ascii: false,
};

fn link(id: &str, name: &str, kind: &str, url: &str) -> AppLinkInfo {
    AppLinkInfo {
        id: id.into(),
        name: name.into(),
        r#type: kind.into(),
        display_url: url.into(),
        rpc_url: url.into(),
    }
}

fn status(health: Health, category: Option<&str>, incoming: bool) -> LinkStatus {
    LinkStatus {
        health,
        category: category.map(Into::into),
        error_type: category.map(|_| "CONNECTION_REFUSED".to_string()),
        details: None,
        incoming: Some(OAuthDirection {
            enabled: incoming,
            ..Default::default()
        }),
        outgoing: Some(OAuthDirection {
            enabled: true,
            ..Default::default()
        }),
    }
}

/// An inventory as the core builds it: a working OAuth 1.0a link used by `legacy`, a broken
/// one, one whose status could not be read, one with incoming OAuth on and no consumer, an
/// unmatched connection, and an OAuth 2.0 incoming link used by `ci`.
fn inventory() -> Inventory {
    let conf = link("1", "Confluence", "confluence", "https://wiki.example.com");
    let bb = link("2", "Bitbucket", "stash", "https://git.example.com");
    let old = link("3", "Old Jira", "jira", "https://old.example.com");
    let half = link("4", "Half-made", "generic", "https://half.example.com");
    Inventory {
        jira: "https://jira.example.com/jira".into(),
        links: vec![
            LinkRow {
                migrate_to_oauth2: Some(migration(&conf)),
                link: conf,
                status: Some(status(Health::Working, None, true)),
                status_error: None,
                consumer_key: Some("jiralink".into()),
                connections: vec!["legacy".into()],
                missing_consumer: None,
            },
            LinkRow {
                link: bb,
                status: Some(status(Health::NetworkError, Some("NETWORK_ERROR"), false)),
                status_error: None,
                consumer_key: None,
                connections: vec![],
                migrate_to_oauth2: None,
                missing_consumer: None,
            },
            LinkRow {
                link: old,
                status: None,
                status_error: Some(Diagnosis::error(
                    Code::Timeout,
                    "no answer from Jira within 20 s",
                    "GET /rest/applinks/3.0/status/3",
                    "Try again later.",
                )),
                consumer_key: None,
                connections: vec![],
                migrate_to_oauth2: None,
                missing_consumer: None,
            },
            LinkRow {
                missing_consumer: Some(missing_consumer(&half)),
                migrate_to_oauth2: Some(migration(&half)),
                status: Some(status(Health::NotCheckable, Some("INCOMPATIBLE"), true)),
                link: half,
                status_error: None,
                consumer_key: None,
                connections: vec![],
            },
        ],
        unmatched_connections: vec!["orphan".into()],
        oauth2_clients: vec![OAuth2ClientRow {
            client: OAuth2Client {
                client_id: "4f1c0c8e7d2b".into(),
                name: "CI bot".into(),
                redirects: vec!["https://ci.example.com/cb".into()],
                scope: "WRITE".into(),
            },
            connections: vec!["ci".into()],
        }],
        oauth2_note: None,
        unmatched_oauth2_connections: vec![],
    }
}

fn links_view(app: &App) -> &LinksView {
    app.panes
        .connections
        .links_view()
        .expect("the links view is open")
}

/// The `Links` effect's request and admin connection name, if `effects` holds one.
fn links_req(effects: &[Effect]) -> Option<(RequestId, String, usize)> {
    effects.iter().find_map(|e| match e {
        Effect::Links {
            req,
            admin,
            connections,
            ..
        } => Some((*req, admin.name.clone(), connections.len())),
        _ => None,
    })
}

fn answer(app: &mut App, req: RequestId, result: Result<Inventory, Diagnosis>) -> bool {
    app.take_dirty();
    let _ = app.update(Action::Connections(ConnectionsMsg::LinksLoaded {
        req,
        result: result.map(Arc::new).map_err(Box::new),
    }));
    app.take_dirty()
}

/// The sample config loaded (checks answered), `L` on "prod": the app and the request.
fn opened(theme: Theme) -> (App, RequestId) {
    let mut app = checked_app(theme);
    let effects = app.update(key('L'));
    let (req, admin, n) = links_req(&effects).expect("L asks the core for the links");
    assert_eq!((admin.as_str(), n), ("prod", 3), "admin + every connection");
    (app, req)
}

fn loaded(theme: Theme) -> App {
    let (mut app, req) = opened(theme);
    assert!(answer(&mut app, req, Ok(inventory())));
    app
}

fn snapshot(name: &str, app: &App, sizes: &[(u16, u16)]) {
    for &(w, h) in sizes {
        let screen = render(app, w, h);
        insta::with_settings!({
            snapshot_suffix => format!("{w}x{h}"),
            prepend_module_to_snapshot => false,
        }, {
            insta::assert_snapshot!(name, screen);
        });
    }
}

// ------------------------------------------------------------------------- update logic

#[test]
fn l_asks_the_core_stale_answers_are_dropped_and_esc_cancels() {
    let (mut app, req) = opened(NO_COLOR);
    let v = links_view(&app);
    assert_eq!(v.admin(), "prod");
    assert_eq!(v.loading().map(|l| l.req), Some(req));
    assert_eq!(
        app.busy(),
        1,
        "the listing counts as work (spinner, status line)"
    );
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("asking https://jira.example.com/jira"),
        "{screen}"
    );
    assert!(
        screen.contains("listing the application links of prod"),
        "{screen}"
    );

    // An answer to another request is stale: nothing changes.
    assert!(!answer(&mut app, RequestId(req.0 + 100), Ok(inventory())));
    assert!(links_view(&app).inventory().is_none());
    assert!(links_view(&app).loading().is_some());

    // The right answer is shown.
    assert!(answer(&mut app, req, Ok(inventory())));
    assert_eq!(links_view(&app).inventory().unwrap().links.len(), 4);
    assert_eq!(app.busy(), 0);

    // r reloads (a new request); the last list stays on screen meanwhile.
    let effects = app.update(key('r'));
    let (req2, admin, _) = links_req(&effects).expect("r lists again");
    assert_eq!(admin, "prod");
    assert_ne!(req2, req);
    assert!(render(&app, 80, 24).contains("Confluence"));

    // Esc cancels the listing in flight (the runner aborts it) and its late answer is dropped.
    let effects = app.update(code(KeyCode::Esc));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Cancel(r) if *r == req2)),
        "{effects:?}"
    );
    assert!(links_view(&app).loading().is_none());
    assert!(links_view(&app).was_cancelled());
    let mut other = inventory();
    other.links.truncate(1);
    assert!(!answer(&mut app, req2, Ok(other)));
    assert_eq!(links_view(&app).inventory().unwrap().links.len(), 4);

    // Enter opens the details strip, Esc closes it, Esc again goes back to the connections.
    app.update(code(KeyCode::Enter));
    assert!(links_view(&app).details_open());
    app.update(code(KeyCode::Esc));
    assert!(!links_view(&app).details_open());
    app.update(code(KeyCode::Esc));
    assert!(matches!(
        app.panes.connections.mode(),
        ConnectionsMode::List
    ));
    // An answer after the view closed is dropped too.
    assert!(!answer(&mut app, req2, Ok(inventory())));
}

#[test]
fn closing_while_loading_cancels_and_l_from_details_opens_the_links() {
    let (mut app, req) = opened(NO_COLOR);
    let effects = app.update(code(KeyCode::Esc)); // cancel
    assert!(effects
        .iter()
        .any(|e| matches!(e, Effect::Cancel(r) if *r == req)));
    let effects = app.update(code(KeyCode::Esc)); // back
    assert!(effects.is_empty(), "nothing left to cancel: {effects:?}");
    assert!(app.panes.connections.links_view().is_none());

    // From a connection's details, L works too (here on "cloud").
    app.update(key('j'));
    app.update(code(KeyCode::Enter));
    let effects = app.update(key('L'));
    assert_eq!(
        links_req(&effects).map(|(_, n, _)| n).as_deref(),
        Some("cloud")
    );
    // Back while still loading: the request is abandoned.
    let req = links_view(&app).loading().unwrap().req;
    app.update(code(KeyCode::Esc));
    let effects = app.update(code(KeyCode::Esc));
    assert!(effects.is_empty());
    assert!(!answer(&mut app, req, Ok(inventory())));
}

#[test]
fn selection_moves_the_details_follow_and_a_reload_keeps_the_selected_link() {
    let mut app = loaded(NO_COLOR);
    app.update(key('j'));
    app.update(code(KeyCode::Enter));
    assert_eq!(links_view(&app).selected().unwrap().link.name, "Bitbucket");
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("network error (NETWORK_ERROR, CONNECTION_REFUSED)"),
        "{screen}"
    );
    app.update(key('j'));
    let screen = render(&app, 100, 30);
    assert!(
        screen.contains("The status could not be read [timeout]"),
        "{screen}"
    );
    // A reload whose answer puts the links in another order keeps "Old Jira" selected.
    let effects = app.update(key('r'));
    let (req, _, _) = links_req(&effects).unwrap();
    let mut inv = inventory();
    inv.links.reverse();
    answer(&mut app, req, Ok(inv));
    assert_eq!(links_view(&app).selected().unwrap().link.name, "Old Jira");
}

#[test]
fn not_an_admin_is_an_in_pane_error_with_the_cores_diagnosis() {
    let (mut app, req) = opened(NO_COLOR);
    let d = Diagnosis::error(
        Code::AuthFailed,
        "Jira rejected the user name or password",
        "GET /rest/applinks/3.0/applinks: 401",
        "Listing application links needs a Jira administrator; use an admin connection.",
    );
    assert!(answer(&mut app, req, Err(d)));
    assert!(links_view(&app).failure().is_some());
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("Cannot list the application links of prod"),
        "{screen}"
    );
    assert!(screen.contains("needs a Jira administrator"), "{screen}");
    snapshot("links_not_admin", &app, &[(80, 24)]);
    // r tries again.
    let effects = app.update(key('r'));
    assert!(links_req(&effects).is_some());
}

#[test]
fn oauth2_incoming_links_follow_the_links_and_the_no_consumer_flag_shows() {
    let mut app = loaded(NO_COLOR);
    let screen = render(&app, 80, 24);
    for words in [
        "2 to migrate to OAuth 2.0 · 1 OAuth on, no consumer",
        "✗ OAuth on, no consumer",
        "OAuth 2.0 incoming links (1)",
        "✓ CI bot",
        "client id 4f1c0c8e7d2b",
    ] {
        assert!(screen.contains(words), "{words}: {screen}");
    }
    // The client is the last row; its details say what Jira lists (never a secret).
    app.update(key('G'));
    assert_eq!(links_view(&app).selected_index(), 4);
    assert!(
        links_view(&app).selected().is_none(),
        "not an application link"
    );
    app.update(code(KeyCode::Enter));
    let screen = render(&app, 80, 24);
    for words in [
        "▶ ✓ CI bot",
        "Client id 4f1c0c8e7d2b",
        "Scope     WRITE",
        "Redirect  https://ci.example.com/cb",
        "Used by   ci",
    ] {
        assert!(screen.contains(words), "{words}: {screen}");
    }
    snapshot("links_oauth2_client", &app, &[(80, 24)]);
    let copied = app.update(key('c')).into_iter().find_map(|e| match e {
        Effect::Copy(t) => Some(t),
        _ => None,
    });
    assert_eq!(
        copied.as_deref(),
        Some(
            "CI bot\nType      OAuth 2.0 incoming link\nClient id 4f1c0c8e7d2b\nScope     WRITE\n\
             Redirect  https://ci.example.com/cb\nUsed by   ci\n"
        )
    );
    // The half-made link's details carry the core's diagnosis.
    app.update(key('k'));
    let screen = render(&app, 100, 40);
    assert!(
        screen.contains("Incoming OAuth on, no consumer [applink_oauth_no_consumer]"),
        "{screen}"
    );
    // Reloaded with the client first gone: the selection stays on the same link by id.
    let effects = app.update(key('r'));
    let (req, _, _) = links_req(&effects).unwrap();
    let mut inv = inventory();
    inv.oauth2_clients.clear();
    inv.oauth2_note = Some("This Jira lists no OAuth 2.0 clients over REST".into());
    answer(&mut app, req, Ok(inv));
    assert_eq!(links_view(&app).selected().unwrap().link.name, "Half-made");
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("OAuth 2.0 incoming links: This Jira lists no OAuth 2.0 clients"),
        "{screen}"
    );
}

// ----------------------------------------------------------------------------- rendering

#[test]
fn snapshots_of_the_list_and_the_details_strip_without_colour() {
    let mut app = loaded(NO_COLOR);
    snapshot("links_list", &app, &[(80, 24), (100, 30)]);
    app.update(code(KeyCode::Enter));
    snapshot("links_details", &app, &[(80, 24), (100, 30)]);
    // c copies what the strip shows, migration steps included.
    let effects = app.update(key('c'));
    let copied = effects
        .iter()
        .find_map(|e| match e {
            Effect::Copy(t) => Some(t.clone()),
            _ => None,
        })
        .expect("c copies");
    assert!(
        copied.starts_with("Confluence\nStatus    ✓ working\n"),
        "{copied}"
    );
    assert!(
        copied.contains("  4. Then remove the incoming OAuth 1.0a"),
        "{copied}"
    );
    assert!(app.status.notice.as_deref().unwrap().contains("Confluence"));
    // Scrolling reaches the migration steps.
    app.update(code(KeyCode::PageDown));
    let screen = render(&app, 80, 24);
    assert!(screen.contains("Migrate to OAuth 2.0"), "{screen}");
    assert!(
        screen.contains("1. Create the OAuth 2.0 incoming link"),
        "{screen}"
    );
    // NO_COLOR: not a single coloured cell.
    let buf = render_buffer(&app, 80, 24);
    for cell in buf.content() {
        assert_eq!(cell.fg, Color::Reset, "{:?}", cell);
        assert_eq!(cell.bg, Color::Reset, "{:?}", cell);
    }
}

#[test]
fn ascii_symbols_and_tiny_sizes() {
    let mut app = loaded(Theme::plain());
    app.update(code(KeyCode::Enter));
    let screen = render(&app, 80, 24);
    assert!(screen.contains("[ok] Confluence"), "{screen}");
    assert!(screen.contains("[x] Bitbucket"), "{screen}");
    assert!(screen.contains("[!] migrate"), "{screen}");
    assert!(screen.is_ascii(), "{screen}");
    snapshot("links_ascii", &app, &[(80, 24)]);
    // The smallest screen jiralink draws on, and smaller ones: no panic, something sensible.
    let small = render(&app, 40, 10);
    assert!(small.contains("Application links"), "{small}");
    for (w, h) in [
        (1, 1),
        (20, 5),
        (39, 9),
        (40, 10),
        (41, 11),
        (60, 12),
        (200, 60),
    ] {
        let _ = render(&app, w, h);
    }
    app.update(code(KeyCode::Esc));
    for (w, h) in [(1, 1), (40, 10), (45, 12)] {
        let _ = render(&app, w, h);
    }
}

#[test]
fn server_text_cannot_drive_the_terminal() {
    let (mut app, req) = opened(NO_COLOR);
    let mut inv = inventory();
    inv.links[0].link.name = "Evil\u{1b}]52;c;cm0gLXJmIH4=\u{7}\u{1b}[2J".into();
    inv.links[0].link.display_url = "https://x.example.com/\u{202e}moc".into();
    answer(&mut app, req, Ok(inv));
    app.update(code(KeyCode::Enter));
    let screen = render(&app, 120, 30);
    assert!(!screen.contains('\u{1b}'), "{screen:?}");
    assert!(!screen.contains('\u{202e}'), "{screen:?}");
    assert!(screen.contains("Evil\\x1b]52"), "{screen}");
    assert!(screen.contains("\\u{202e}moc"), "{screen}");
}

#[test]
fn help_and_footer_come_from_the_key_table() {
    let mut app = checked_app(NO_COLOR);
    app.update(key('?'));
    let screen = render(&app, 100, 40);
    assert!(
        screen.contains("this Jira's application links"),
        "the list's help names L: {screen}"
    );
    app.update(code(KeyCode::Esc));
    let effects = app.update(key('L'));
    let (req, _, _) = links_req(&effects).unwrap();
    answer(&mut app, req, Ok(inventory()));
    let screen = render(&app, 80, 24);
    let footer = screen.lines().last().unwrap();
    assert!(footer.contains("Enter details"), "{footer}");
    assert!(footer.contains("r reload"), "{footer}");
    assert!(footer.contains("Esc back"), "{footer}");
    app.update(key('?'));
    let screen = render(&app, 100, 40);
    for words in [
        "Application links",
        "list the links again",
        "cancel the listing while it runs",
        "next link",
    ] {
        assert!(screen.contains(words), "{words}: {screen}");
    }
    app.update(code(KeyCode::Esc));
    app.update(code(KeyCode::Enter));
    app.update(key('?'));
    let screen = render(&app, 100, 40);
    assert!(screen.contains("Application links: details"), "{screen}");
    assert!(screen.contains("scroll the details down"), "{screen}");
}

// ------------------------------------------------------------- real core, simulator, loopback

/// alice (not an admin), admin, an OAuth 1.0a connection holding Confluence's consumer key, and
/// an OAuth 2.0 connection with `client_id`.
fn sim_config(sim: &Sim, client_id: &str) -> Config {
    let url = sim.base_url().to_string();
    let user = |name: &str| {
        let mut c = connection(name, &url, AuthKind::Basic);
        c.username = Some(name.into());
        c.password = Some(SecretRef::Plain(SecretString::from(
            sim.password(name).unwrap(),
        )));
        c
    };
    let mut conf = connection("wiki", &url, AuthKind::Oauth1);
    conf.consumer_key = Some("confluence:7a1c5e2b90".into());
    conf.private_key = Some("/nonexistent/wiki.pem".into());
    let mut ci = connection("ci", &url, AuthKind::Oauth2);
    ci.client_id = Some(client_id.into());
    ci.client_secret = Some(SecretRef::Plain(SecretString::from(
        "not-read-here".to_string(),
    )));
    ci.redirect_uri = Some("https://ci.example.com/cb".into());
    Config {
        defaults: Defaults {
            timeout_secs: 20,
            ..Defaults::default()
        },
        connections: vec![user("alice"), user("admin"), conf, ci],
        ..Default::default()
    }
}

struct Harness {
    app: App,
    runner: EffectRunner,
    rx: UnboundedReceiver<Action>,
}

impl Harness {
    async fn new(config: Config) -> Self {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let runner = EffectRunner::new(Arc::new(LiveCore), tx, Duration::from_secs(60));
        let (mut app, effects) = App::new(&options(NO_COLOR), Instant::now());
        let req = load_req(&effects);
        let _ = app.update(Action::Connections(ConnectionsMsg::ConfigLoaded {
            req,
            result: Ok(config),
        }));
        let mut h = Harness { app, runner, rx };
        let checks = h.app.update(key('R'));
        h.run(checks);
        h.pump_until("connection checks", |a| a.busy() == 0).await;
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

    async fn links_of_selected(&mut self) {
        self.send(key('L'));
        self.pump_until("the links", |a| {
            a.panes
                .connections
                .links_view()
                .is_some_and(|v| v.loading().is_none())
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_core_lists_the_simulators_links_with_status_and_the_oauth1_flag() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let ci = sim
        .oauth2()
        .create_client("CI bot", &["https://ci.example.com/cb".into()], "WRITE")
        .unwrap();
    let mut h = Harness::new(sim_config(&sim, &ci.id)).await;

    // admin (second row): the simulator's four links with Jira's verdicts.
    h.send(key('j'));
    h.links_of_selected().await;
    let v = links_view(&h.app);
    assert!(v.failure().is_none(), "{:?}", v.failure());
    let inv = v.inventory().unwrap();
    let by = |n: &str| inv.links.iter().find(|r| r.link.name == n).unwrap();
    assert_eq!(inv.links.len(), 4, "{inv:#?}");
    assert_eq!(by("Confluence").health_label(), "working");
    assert!(by("Confluence").migrate_to_oauth2.is_some());
    assert_eq!(by("Confluence").connections, vec!["wiki".to_string()]);
    assert_eq!(by("Bitbucket").health_label(), "network error");
    assert_eq!(by("Bamboo").health_label(), "access denied");
    assert_eq!(by("Jira (old instance)").health_label(), "config error");
    assert_eq!(inv.oauth2_clients.len(), 1, "{inv:#?}");
    assert_eq!(inv.oauth2_clients[0].connections, vec!["ci".to_string()]);
    let screen = render(&h.app, 80, 24);
    for words in [
        "Application links of admin",
        "4 links · 3 not working · 2 to migrate to OAuth 2.0",
        "✓ Confluence",
        "⚠ migrate",
        "✗ Bitbucket",
        "network error",
        "access denied",
        "used by wiki",
        "OAuth 2.0 incoming links (1)",
        "✓ CI bot",
    ] {
        assert!(screen.contains(words), "{words}: {screen}");
    }
    // The details strip of Confluence: the migration steps.
    h.send(code(KeyCode::Enter));
    h.send(code(KeyCode::PageDown));
    let screen = render(&h.app, 100, 30);
    assert!(screen.contains("Migrate to OAuth 2.0"), "{screen}");

    // alice is no administrator: the core's "needs an administrator" diagnosis, in the pane.
    h.send(code(KeyCode::Esc));
    h.send(code(KeyCode::Esc));
    h.send(key('k'));
    h.links_of_selected().await;
    let v = links_view(&h.app);
    let d = v.failure().expect("alice cannot list links");
    assert!(d.fix.contains("needs a Jira administrator"), "{d}");
    let screen = render(&h.app, 100, 30);
    assert!(
        screen.contains("Cannot list the application links of alice"),
        "{screen}"
    );
}
