//! Shared helpers for the TUI tests: a sample config, canned check results, scripted keys, rendering
//! an `App` on ratatui's `TestBackend`.
#![allow(dead_code)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiralink::check::{CheckResult, CheckStep, ServerSummary, StepName, StepStatus};
use jiralink::config::{AuthKind, Config, Connection, Defaults};
use jiralink::jira::{Code, Diagnosis};
use jiralink::secret::SecretRef;
use jiralink::tui::action::ConnectionsMsg;
use jiralink::tui::action::{Action, Effect, RequestId};
use jiralink::tui::app::App;
use jiralink::tui::theme::Theme;
use jiralink::tui::view;
use jiralink::tui::AppOptions;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::Terminal;
use std::path::PathBuf;

/// The config path used by every test (never touched: effects are not run).
pub const CONFIG_PATH: &str = "/home/ops/.config/jiralink/config.toml";

pub fn connection(name: &str, url: &str, auth: AuthKind) -> Connection {
    Connection::new(name, url, auth)
}

pub fn sample_config() -> Config {
    let mut prod = connection("prod", "https://jira.example.com/jira", AuthKind::Basic);
    prod.username = Some("alice".into());
    prod.password = Some(SecretRef::Env("JIRA_PASSWORD".into()));
    let mut cloud = connection("cloud", "https://acme.atlassian.net", AuthKind::CloudToken);
    cloud.email = Some("ops@acme.example".into());
    cloud.token = Some(SecretRef::Cmd("pass show jira/cloud".into()));
    let mut legacy = connection("legacy", "http://127.0.0.1:8080", AuthKind::Oauth1);
    legacy.consumer_key = Some("jiralink".into());
    legacy.private_key = Some(PathBuf::from("/home/ops/.local/share/jiralink/legacy.pem"));
    // Linked already (an OAuth connection without a token is not checked: "not linked yet").
    legacy.access_token = Some(SecretRef::File(PathBuf::from(
        "/home/ops/.local/share/jiralink/tokens/legacy.token",
    )));
    Config {
        defaults: Defaults {
            timeout_secs: 20,
            concurrency: 8,
            required_permissions: vec!["BROWSE_PROJECTS".into()],
            ..Defaults::default()
        },
        connections: vec![prod, cloud, legacy],
        ..Default::default()
    }
}

fn step(name: StepName, status: StepStatus, detail: &str) -> CheckStep {
    CheckStep {
        name,
        status,
        detail: detail.into(),
    }
}

pub fn ok_result(name: &str) -> CheckResult {
    CheckResult {
        name: name.into(),
        url: "https://jira.example.com/jira".into(),
        ok: true,
        server: Some(ServerSummary {
            version: Some("9.12.3".into()),
            deployment_type: Some("Server".into()),
            title: Some("Example Jira".into()),
        }),
        user: Some("alice".into()),
        clock_skew_secs: Some(2),
        expires_at: None,
        credential: None,
        diagnosis: None,
        warnings: vec![],
        steps: vec![
            step(StepName::ServerInfo, StepStatus::Ok, "Jira 9.12.3 (Server)"),
            step(
                StepName::Manifest,
                StepStatus::Ok,
                "applinks manifest found",
            ),
            step(StepName::Auth, StepStatus::Ok, "basic auth accepted"),
            step(StepName::Myself, StepStatus::Ok, "alice (Alice Admin)"),
        ],
    }
}

pub fn captcha_result(name: &str) -> CheckResult {
    let d = Diagnosis::error(
        Code::CaptchaRequired,
        "Jira wants a CAPTCHA before it accepts this password again",
        "Too many failed logins: Jira answered X-Seraph-LoginReason: AUTHENTICATION_DENIED",
        "Log in once in a browser and solve the CAPTCHA, or use a personal access token",
    );
    CheckResult {
        name: name.into(),
        url: "http://127.0.0.1:8080".into(),
        ok: false,
        server: Some(ServerSummary {
            version: Some("10.3.19".into()),
            deployment_type: Some("Server".into()),
            title: None,
        }),
        user: None,
        clock_skew_secs: None,
        expires_at: None,
        credential: None,
        diagnosis: Some(d),
        warnings: vec![],
        steps: vec![
            step(StepName::ServerInfo, StepStatus::Ok, "Jira 10.3.19"),
            step(
                StepName::Manifest,
                StepStatus::Ok,
                "applinks manifest found",
            ),
            step(
                StepName::Auth,
                StepStatus::Fail,
                "403 AUTHENTICATION_DENIED",
            ),
            step(StepName::Myself, StepStatus::Skipped, "not reached"),
        ],
    }
}

pub fn skew_result(name: &str) -> CheckResult {
    let w = Diagnosis::warning(
        Code::ClockSkew,
        "This machine's clock is 6 minutes behind Jira's",
        "OAuth 1.0a requests are refused when timestamps are more than 5 minutes off",
        "Enable NTP (timedatectl set-ntp true)",
    );
    CheckResult {
        clock_skew_secs: Some(-372),
        expires_at: None,
        credential: None,
        diagnosis: Some(w.clone()),
        warnings: vec![w],
        user: Some("ops@acme.example".into()),
        server: Some(ServerSummary {
            version: Some("1001.0.0-SNAPSHOT".into()),
            deployment_type: Some("Cloud".into()),
            title: None,
        }),
        ..ok_result(name)
    }
}

pub fn key(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

pub fn code(c: KeyCode) -> Action {
    Action::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

pub fn ctrl(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

pub fn options(theme: Theme) -> AppOptions {
    let mut o = AppOptions::new(PathBuf::from(CONFIG_PATH));
    o.theme = theme;
    o
}

/// Type a string key by key.
pub fn type_text(app: &mut App, text: &str) -> Vec<Effect> {
    let mut effects = Vec::new();
    for c in text.chars() {
        effects.extend(app.update(key(c)));
    }
    effects
}

/// The request id of the first `LoadConfig` effect.
pub fn load_req(effects: &[Effect]) -> RequestId {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::LoadConfig { req, .. } => Some(*req),
            _ => None,
        })
        .expect("a LoadConfig effect")
}

/// (connection name, request id) of every `Check` effect.
pub fn check_reqs(effects: &[Effect]) -> Vec<(String, RequestId)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Check {
                req, connection, ..
            } => Some((connection.name.clone(), *req)),
            _ => None,
        })
        .collect()
}

/// An app with `config` loaded and checks started (not finished); returns the check requests.
pub fn loaded_app(theme: Theme, config: Config) -> (App, Vec<(String, RequestId)>) {
    let (mut app, effects) = App::new(&options(theme), std::time::Instant::now());
    let req = load_req(&effects);
    let effects = app.update(Action::Connections(ConnectionsMsg::ConfigLoaded {
        req,
        result: Ok(config),
    }));
    let checks = check_reqs(&effects);
    (app, checks)
}

/// The sample config loaded with every check answered: prod ok, cloud clock skew, legacy CAPTCHA.
pub fn checked_app(theme: Theme) -> App {
    let (mut app, checks) = loaded_app(theme, sample_config());
    for (name, req) in checks {
        let result = match name.as_str() {
            "prod" => ok_result(&name),
            "cloud" => skew_result(&name),
            _ => captcha_result(&name),
        };
        app.update(Action::Connections(ConnectionsMsg::CheckFinished {
            req,
            name,
            result: Box::new(result),
        }));
    }
    app
}

pub fn render_buffer(app: &App, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view::draw(f, app)).unwrap();
    terminal.backend().buffer().clone()
}

/// The screen as text, one line per row, trailing spaces trimmed.
pub fn render(app: &App, width: u16, height: u16) -> String {
    let buf = render_buffer(app, width, height);
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
