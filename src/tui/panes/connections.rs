//! The Connections pane: every configured connection with a live status badge, details of the
//! check chain, and the add / edit / delete form. Checks run at start, on `r`/`R` and periodically.

mod form;
mod keys;
mod view;

pub use form::{auth_label, ConnectionForm, FORM_KEYS};
pub use keys::*;

use super::{Pane, PaneCx, ViewCx};
use crate::check::CheckResult;
use crate::config::Config;
use crate::jira::Diagnosis;
use crate::lifecycle::links::Inventory;
use crate::tui::action::{Effect, RequestId};
use crate::tui::keymap::{Binding, Cmd};
use crate::tui::panes::links::{LinksOutcome, LinksView};
use crate::tui::widgets::badge::{self, CheckState};
use crate::tui::widgets::popup::centered;
use crate::tui::widgets::text_field::TextField;
use crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Clear, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Shown when the config has no connections.
pub const EMPTY_TEXT: &str = "no connections yet — press a to add one, or run `jiralink demo`";

/// The Connections pane's messages: the results of its work, nested in
/// [`crate::tui::action::Action::Connections`].
#[derive(Debug)]
pub enum ConnectionsMsg {
    /// The config file was read.
    ConfigLoaded {
        req: RequestId,
        result: Result<Config, String>,
    },
    /// The config file was written (add / edit / delete); carries the config as saved.
    ConfigSaved {
        req: RequestId,
        result: Result<Config, String>,
    },
    /// A connection check finished.
    CheckFinished {
        req: RequestId,
        name: String,
        result: Box<CheckResult>,
    },
    /// A connection check could not run at all (secret unavailable, timed out, task died).
    CheckFailed {
        req: RequestId,
        name: String,
        message: String,
    },
    /// The application-link inventory the links view (`L`) asked for, or why not.
    LinksLoaded {
        req: RequestId,
        result: Result<Arc<Inventory>, Box<Diagnosis>>,
    },
}

impl ConnectionsMsg {
    /// True for the messages that may change the config the other panes choose from.
    pub fn touches_config(&self) -> bool {
        matches!(
            self,
            ConnectionsMsg::ConfigLoaded { .. } | ConnectionsMsg::ConfigSaved { .. }
        )
    }
}

/// Reading the config file.
#[derive(Debug)]
pub enum LoadState {
    /// Waiting for the file.
    Loading(RequestId),
    /// Read.
    Loaded(Config),
    /// Could not be read; `r` retries.
    Failed(String),
}

/// What the pane shows.
#[derive(Debug)]
pub enum ConnectionsMode {
    /// The list (with an optional filter being typed).
    List,
    /// Details of one connection.
    Details { name: String, scroll: u16 },
    /// The add / edit form.
    Form(Box<ConnectionForm>),
    /// "Delete X?" with the save in flight, if confirmed.
    ConfirmDelete {
        name: String,
        saving: Option<RequestId>,
    },
    /// The application links of the Jira behind one (admin) connection (`L`).
    Links(Box<LinksView>),
}

/// One connection's live status.
#[derive(Debug, Default)]
struct Live {
    pending: Option<RequestId>,
    state: CheckState,
}

/// The Connections pane.
#[derive(Debug)]
pub struct ConnectionsPane {
    config_path: PathBuf,
    load: LoadState,
    live: HashMap<String, Live>,
    selected: usize,
    filter: String,
    filter_input: Option<TextField>,
    mode: ConnectionsMode,
    refresh_every: Option<Duration>,
    next_refresh: Option<Instant>,
}

impl ConnectionsPane {
    /// A pane that starts by reading `config_path`; checks repeat every `refresh_every` (None = never).
    pub fn new(config_path: PathBuf, refresh_every: Option<Duration>, cx: &mut PaneCx<'_>) -> Self {
        let req = cx.ids.next_id();
        cx.effects.push(Effect::LoadConfig {
            req,
            path: config_path.clone(),
        });
        Self {
            config_path,
            load: LoadState::Loading(req),
            live: HashMap::new(),
            selected: 0,
            filter: String::new(),
            filter_input: None,
            mode: ConnectionsMode::List,
            refresh_every,
            next_refresh: None,
        }
    }

    /// The current mode.
    pub fn mode(&self) -> &ConnectionsMode {
        &self.mode
    }

    /// The loaded config, if any.
    pub fn config(&self) -> Option<&Config> {
        match &self.load {
            LoadState::Loaded(c) => Some(c),
            _ => None,
        }
    }

    /// Names of the connections shown (after the filter), in config order.
    pub fn visible_names(&self) -> Vec<String> {
        let f = self.active_filter().to_lowercase();
        self.config()
            .map(|c| {
                c.connections
                    .iter()
                    .filter(|x| {
                        f.is_empty()
                            || x.name.to_lowercase().contains(&f)
                            || x.url.to_lowercase().contains(&f)
                    })
                    .map(|x| x.name.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn active_filter(&self) -> &str {
        match &self.filter_input {
            Some(t) => t.value(),
            None => &self.filter,
        }
    }

    /// The selected connection's name.
    pub fn selected_name(&self) -> Option<String> {
        let names = self.visible_names();
        names
            .get(self.selected.min(names.len().saturating_sub(1)))
            .cloned()
    }

    /// The live state of `name` (the last result while a re-check runs).
    pub fn state_of(&self, name: &str) -> CheckState {
        self.live
            .get(name)
            .map(|l| l.state.clone())
            .unwrap_or_default()
    }

    /// Is a check of `name` running?
    pub fn is_checking(&self, name: &str) -> bool {
        self.live.get(name).is_some_and(|l| l.pending.is_some())
    }

    /// Start a check of `name`, cancelling one already running for it.
    fn start_check(&mut self, name: &str, cx: &mut PaneCx<'_>) {
        let Some(config) = self.config() else { return };
        let Some(conn) = config.connections.iter().find(|c| c.name == name) else {
            return;
        };
        if conn.awaits_link() {
            // No token yet: a check could only report a missing key or token.
            let live = self.live.entry(name.to_string()).or_default();
            if let Some(old) = live.pending.take() {
                cx.effects.push(Effect::Cancel(old));
            }
            live.state = CheckState::NotLinked;
            return;
        }
        let connection = Box::new(conn.clone());
        let defaults = config.defaults.clone();
        let req = cx.ids.next_id();
        let live = self.live.entry(name.to_string()).or_default();
        if let Some(old) = live.pending.replace(req) {
            cx.effects.push(Effect::Cancel(old));
        }
        // Keep the last result on screen during a re-check; only a first check shows "checking".
        if matches!(live.state, CheckState::Unknown | CheckState::NotLinked) {
            live.state = CheckState::Checking;
        }
        cx.effects.push(Effect::Check {
            req,
            connection,
            defaults,
        });
    }

    /// Check every connection; with `skip_running`, leave the ones already being checked alone
    /// (the periodic refresh must not restart a slow check forever).
    fn check_all(&mut self, skip_running: bool, cx: &mut PaneCx<'_>) {
        let names: Vec<String> = self
            .config()
            .map(|c| c.connections.iter().map(|x| x.name.clone()).collect())
            .unwrap_or_default();
        let names = names
            .into_iter()
            .filter(|n| !skip_running || self.live.get(n).is_none_or(|l| l.pending.is_none()));
        let names: Vec<String> = names.collect();
        for n in names {
            self.start_check(&n, cx);
        }
        self.next_refresh = self.refresh_every.map(|d| cx.now + d);
    }

    /// Read the config file again (also after the link wizard saved a connection).
    pub fn reload(&mut self, cx: &mut PaneCx<'_>) {
        let req = cx.ids.next_id();
        self.load = LoadState::Loading(req);
        cx.effects.push(Effect::LoadConfig {
            req,
            path: self.config_path.clone(),
        });
    }

    /// Adopt a freshly read or saved config; forget statuses of connections that are gone.
    fn adopt(&mut self, config: Config, cx: &mut PaneCx<'_>) {
        let names: Vec<String> = config.connections.iter().map(|c| c.name.clone()).collect();
        let gone: Vec<String> = self
            .live
            .keys()
            .filter(|n| !names.contains(n))
            .cloned()
            .collect();
        for n in gone {
            if let Some(req) = self.live.remove(&n).and_then(|l| l.pending) {
                cx.effects.push(Effect::Cancel(req));
            }
        }
        self.load = LoadState::Loaded(config);
        let n = self.visible_names().len();
        self.selected = self.selected.min(n.saturating_sub(1));
    }

    /// The config file was read.
    /// Apply one of the pane's messages; true when something changed.
    pub fn update(&mut self, msg: ConnectionsMsg, cx: &mut PaneCx<'_>) -> bool {
        match msg {
            ConnectionsMsg::ConfigLoaded { req, result } => self.on_config_loaded(req, result, cx),
            ConnectionsMsg::ConfigSaved { req, result } => self.on_config_saved(req, result, cx),
            ConnectionsMsg::CheckFinished { req, name, result } => {
                self.on_check_finished(req, &name, result)
            }
            ConnectionsMsg::CheckFailed { req, name, message } => {
                self.on_check_failed(req, &name, message)
            }
            ConnectionsMsg::LinksLoaded { req, result } => match &mut self.mode {
                ConnectionsMode::Links(v) => v.on_loaded(req, result, cx),
                // The view was closed: its late answer is dropped.
                _ => false,
            },
        }
    }

    /// The links view, when it is open.
    pub fn links_view(&self) -> Option<&LinksView> {
        match &self.mode {
            ConnectionsMode::Links(v) => Some(v),
            _ => None,
        }
    }

    /// Open the links view of connection `name` and start listing.
    fn open_links(&mut self, name: &str, cx: &mut PaneCx<'_>) -> bool {
        let Some(conn) = self
            .config()
            .and_then(|c| c.connections.iter().find(|x| x.name == name))
        else {
            return false;
        };
        let mut view = LinksView::new(name, &conn.url, cx.now);
        view.start(self.config(), cx);
        self.mode = ConnectionsMode::Links(Box::new(view));
        true
    }

    fn on_links_cmd(&mut self, cmd: Cmd, cx: &mut PaneCx<'_>) -> bool {
        let config = match &self.load {
            LoadState::Loaded(c) => Some(c),
            _ => None,
        };
        let ConnectionsMode::Links(view) = &mut self.mode else {
            return false;
        };
        match view.on_cmd(cmd, config, cx) {
            LinksOutcome::Changed => true,
            LinksOutcome::Ignored => false,
            LinksOutcome::Close => {
                view.close(cx);
                self.mode = ConnectionsMode::List;
                true
            }
        }
    }

    pub fn on_config_loaded(
        &mut self,
        req: RequestId,
        result: Result<Config, String>,
        cx: &mut PaneCx<'_>,
    ) -> bool {
        if !matches!(self.load, LoadState::Loading(r) if r == req) {
            return false;
        }
        match result {
            Ok(config) => {
                if matches!(&cx.status.error, Some(e) if e.starts_with("config: ")) {
                    cx.status.error = None;
                }
                self.adopt(config, cx);
                self.check_all(false, cx);
            }
            Err(e) => {
                cx.status.error = Some(format!("config: {e}"));
                self.load = LoadState::Failed(e);
            }
        }
        true
    }

    /// A save (add / edit / delete) finished.
    pub fn on_config_saved(
        &mut self,
        req: RequestId,
        result: Result<Config, String>,
        cx: &mut PaneCx<'_>,
    ) -> bool {
        match &mut self.mode {
            ConnectionsMode::Form(form) if form.saving == Some(req) => {
                form.saving = None;
                match result {
                    Ok(config) => {
                        let saved_name = form.name_value();
                        self.mode = ConnectionsMode::List;
                        self.adopt(config, cx);
                        cx.status.error = None;
                        cx.status.notice = Some("saved".into());
                        self.select_name(&saved_name);
                        self.start_check(&saved_name, cx);
                    }
                    Err(e) => {
                        // Keep the form and everything typed; the file is untouched (atomic save).
                        cx.status.error = Some(format!("not saved: {e}"));
                        form.save_error = Some(e);
                    }
                }
                true
            }
            ConnectionsMode::ConfirmDelete { name, saving } if *saving == Some(req) => {
                let name = name.clone();
                match result {
                    Ok(config) => {
                        self.mode = ConnectionsMode::List;
                        self.adopt(config, cx);
                        cx.status.error = None;
                        cx.status.notice = Some(format!("deleted {name}"));
                    }
                    Err(e) => {
                        *saving = None;
                        cx.status.error = Some(format!("not deleted: {e}"));
                    }
                }
                true
            }
            _ => false,
        }
    }

    /// A check finished; stale answers (not the pending request) are dropped.
    pub fn on_check_finished(
        &mut self,
        req: RequestId,
        name: &str,
        result: Box<CheckResult>,
    ) -> bool {
        self.settle(req, name, CheckState::Done(result))
    }

    /// A check could not run.
    pub fn on_check_failed(&mut self, req: RequestId, name: &str, message: String) -> bool {
        self.settle(req, name, CheckState::Failed(message))
    }

    fn settle(&mut self, req: RequestId, name: &str, state: CheckState) -> bool {
        match self.live.get_mut(name) {
            Some(live) if live.pending == Some(req) => {
                live.pending = None;
                live.state = state;
                true
            }
            _ => {
                tracing::debug!(?req, name, "dropping stale check result");
                false
            }
        }
    }

    fn select_name(&mut self, name: &str) {
        if let Some(i) = self.visible_names().iter().position(|n| n == name) {
            self.selected = i;
        }
    }

    fn taken_names(&self) -> Vec<String> {
        self.config()
            .map(|c| c.connections.iter().map(|x| x.name.clone()).collect())
            .unwrap_or_default()
    }

    fn copy(&self, text: String, cx: &mut PaneCx<'_>) {
        cx.status.notice = Some(format!(
            "copied: {}",
            text.lines().next().unwrap_or_default()
        ));
        cx.effects.push(Effect::Copy(text));
    }

    fn details_text(&self, name: &str) -> String {
        match self.state_of(name) {
            CheckState::Done(r) => match &r.diagnosis {
                Some(d) => d.to_string(),
                None => format!(
                    "{name}: {}",
                    badge::badge_text(&CheckState::Done(r.clone()))
                ),
            },
            other => format!("{name}: {}", badge::badge_text(&other)),
        }
    }

    fn on_list_cmd(&mut self, cmd: Cmd, cx: &mut PaneCx<'_>) -> bool {
        let n = self.visible_names().len();
        match cmd {
            Cmd::Down => self.selected = (self.selected + 1).min(n.saturating_sub(1)),
            Cmd::Up => self.selected = self.selected.saturating_sub(1),
            Cmd::Top => self.selected = 0,
            Cmd::Bottom => self.selected = n.saturating_sub(1),
            Cmd::Open => match self.selected_name() {
                Some(name) => self.mode = ConnectionsMode::Details { name, scroll: 0 },
                None => return false,
            },
            Cmd::Refresh => match (&self.load, self.selected_name()) {
                (LoadState::Failed(_), _) => self.reload(cx),
                (LoadState::Loaded(_), Some(name)) => self.start_check(&name, cx),
                _ => return false,
            },
            Cmd::RefreshAll => match &self.load {
                LoadState::Failed(_) => self.reload(cx),
                LoadState::Loaded(_) => self.check_all(false, cx),
                LoadState::Loading(_) => return false,
            },
            Cmd::Add => {
                if !matches!(self.load, LoadState::Loaded(_)) {
                    // Saving over a file we could not read could lose it.
                    cx.status.error =
                        Some("the config file is not loaded; nothing can be added".into());
                    return true;
                }
                self.mode = ConnectionsMode::Form(Box::default());
            }
            Cmd::Edit => {
                let conn = self.selected_name().and_then(|name| {
                    self.config()
                        .and_then(|c| c.connections.iter().find(|x| x.name == name).cloned())
                });
                match conn {
                    Some(c) => {
                        self.mode = ConnectionsMode::Form(Box::new(ConnectionForm::edit(&c)))
                    }
                    None => return false,
                }
            }
            Cmd::Delete => match self.selected_name() {
                Some(name) => self.mode = ConnectionsMode::ConfirmDelete { name, saving: None },
                None => return false,
            },
            Cmd::Links => match self.selected_name() {
                Some(name) => return self.open_links(&name, cx),
                None => return false,
            },
            Cmd::Filter => self.filter_input = Some(TextField::new(self.filter.clone())),
            Cmd::Copy => match self.selected_name().and_then(|name| {
                self.config()
                    .and_then(|c| c.connections.iter().find(|x| x.name == name))
                    .map(|c| c.url.clone())
            }) {
                Some(url) => self.copy(url, cx),
                None => return false,
            },
            Cmd::Back if !self.filter.is_empty() => {
                self.filter.clear();
                self.selected = 0;
            }
            Cmd::Back if cx.status.error.is_some() => cx.status.error = None,
            _ => return false,
        }
        true
    }

    fn on_details_cmd(&mut self, cmd: Cmd, cx: &mut PaneCx<'_>) -> bool {
        let ConnectionsMode::Details { name, scroll } = &mut self.mode else {
            return false;
        };
        let name = name.clone();
        match cmd {
            Cmd::Back => self.mode = ConnectionsMode::List,
            Cmd::Down => *scroll = scroll.saturating_add(1),
            Cmd::Up => *scroll = scroll.saturating_sub(1),
            Cmd::Refresh => self.start_check(&name, cx),
            Cmd::Links => return self.open_links(&name, cx),
            Cmd::Edit => {
                let conn = self
                    .config()
                    .and_then(|c| c.connections.iter().find(|x| x.name == name).cloned());
                match conn {
                    Some(c) => {
                        self.mode = ConnectionsMode::Form(Box::new(ConnectionForm::edit(&c)))
                    }
                    None => return false,
                }
            }
            Cmd::Copy => {
                let text = self.details_text(&name);
                self.copy(text, cx);
            }
            _ => return false,
        }
        true
    }

    fn on_form_cmd(&mut self, cmd: Cmd, cx: &mut PaneCx<'_>) -> bool {
        let taken = self.taken_names();
        let ConnectionsMode::Form(form) = &mut self.mode else {
            return false;
        };
        match cmd {
            Cmd::Back => {
                if let Some(req) = form.saving {
                    cx.effects.push(Effect::Cancel(req));
                }
                self.mode = ConnectionsMode::List;
                true
            }
            Cmd::Save => {
                if form.saving.is_some() {
                    return true;
                }
                form.save_error = None;
                if let Some(connection) = form.validate(&taken) {
                    let req = cx.ids.next_id();
                    form.saving = Some(req);
                    cx.effects.push(Effect::SaveConnection {
                        req,
                        path: self.config_path.clone(),
                        replaces: form.replaces.clone(),
                        connection: Box::new(connection),
                    });
                }
                true
            }
            other => form.on_cmd(other),
        }
    }

    fn on_confirm_cmd(&mut self, cmd: Cmd, cx: &mut PaneCx<'_>) -> bool {
        let ConnectionsMode::ConfirmDelete { name, saving } = &mut self.mode else {
            return false;
        };
        match cmd {
            Cmd::Confirm if saving.is_none() => {
                let req = cx.ids.next_id();
                *saving = Some(req);
                cx.effects.push(Effect::DeleteConnection {
                    req,
                    path: self.config_path.clone(),
                    name: name.clone(),
                });
            }
            Cmd::Back => {
                if let Some(req) = saving.take() {
                    cx.effects.push(Effect::Cancel(req));
                }
                self.mode = ConnectionsMode::List;
            }
            _ => return false,
        }
        true
    }

    fn on_filter_cmd(&mut self, cmd: Cmd) -> bool {
        match cmd {
            Cmd::ApplyFilter => {
                self.filter = self
                    .filter_input
                    .take()
                    .map(|t| t.value().trim().to_string())
                    .unwrap_or_default();
            }
            Cmd::Back => {
                self.filter_input = None;
                self.filter.clear();
            }
            _ => return false,
        }
        self.selected = 0;
        true
    }
}

impl Pane for ConnectionsPane {
    fn title(&self) -> &'static str {
        "Connections"
    }

    fn short_title(&self) -> &'static str {
        "Conn"
    }

    fn keys(&self) -> &'static [Binding] {
        if self.filter_input.is_some() {
            return FILTER_KEYS;
        }
        match self.mode {
            ConnectionsMode::List => LIST_KEYS,
            ConnectionsMode::Details { .. } => DETAILS_KEYS,
            ConnectionsMode::Form(_) => FORM_KEYS,
            ConnectionsMode::ConfirmDelete { .. } => CONFIRM_KEYS,
            ConnectionsMode::Links(ref v) => v.keys(),
        }
    }

    fn help_title(&self) -> &'static str {
        if self.filter_input.is_some() {
            return "Filter";
        }
        match self.mode {
            ConnectionsMode::List => "Connections",
            ConnectionsMode::Details { .. } => "Connection details",
            ConnectionsMode::Form(_) => "Connection form",
            ConnectionsMode::ConfirmDelete { .. } => "Confirm delete",
            ConnectionsMode::Links(ref v) => v.help_title(),
        }
    }

    fn captures_text(&self) -> bool {
        self.filter_input.is_some() || matches!(self.mode, ConnectionsMode::Form(_))
    }

    fn on_cmd(&mut self, cmd: Cmd, cx: &mut PaneCx<'_>) -> bool {
        if self.filter_input.is_some() {
            return self.on_filter_cmd(cmd);
        }
        match self.mode {
            ConnectionsMode::List => self.on_list_cmd(cmd, cx),
            ConnectionsMode::Details { .. } => self.on_details_cmd(cmd, cx),
            ConnectionsMode::Form(_) => self.on_form_cmd(cmd, cx),
            ConnectionsMode::ConfirmDelete { .. } => self.on_confirm_cmd(cmd, cx),
            ConnectionsMode::Links(_) => self.on_links_cmd(cmd, cx),
        }
    }

    fn on_text_key(&mut self, key: KeyEvent) -> bool {
        if let Some(t) = &mut self.filter_input {
            let changed = t.handle_key(key);
            if changed {
                self.selected = 0;
            }
            return changed;
        }
        match &mut self.mode {
            ConnectionsMode::Form(f) => f.on_text_key(key),
            _ => false,
        }
    }

    fn on_paste(&mut self, text: &str, _cx: &mut PaneCx<'_>) -> bool {
        if let Some(t) = &mut self.filter_input {
            t.paste(text);
            return true;
        }
        match &mut self.mode {
            ConnectionsMode::Form(f) => f.on_paste(text),
            _ => false,
        }
    }

    fn on_tick(&mut self, cx: &mut PaneCx<'_>) -> bool {
        let links = match &mut self.mode {
            ConnectionsMode::Links(v) => v.on_tick(cx.now),
            _ => false,
        };
        links
            | match self.next_refresh {
                Some(due) if cx.now >= due && matches!(self.load, LoadState::Loaded(_)) => {
                    self.check_all(true, cx);
                    true
                }
                _ => false,
            }
    }

    fn busy(&self) -> usize {
        let checks = self.live.values().filter(|l| l.pending.is_some()).count();
        let load = usize::from(matches!(self.load, LoadState::Loading(_)));
        let save = match &self.mode {
            ConnectionsMode::Form(f) => usize::from(f.saving.is_some()),
            ConnectionsMode::ConfirmDelete { saving, .. } => usize::from(saving.is_some()),
            ConnectionsMode::Links(v) => usize::from(v.loading().is_some()),
            _ => 0,
        };
        checks + load + save
    }

    fn next_due(&self) -> Option<Instant> {
        self.next_refresh
    }

    fn busy_label(&self) -> Option<String> {
        let mut parts = Vec::new();
        if matches!(self.load, LoadState::Loading(_)) {
            parts.push("reading config".to_string());
        }
        match self.live.values().filter(|l| l.pending.is_some()).count() {
            0 => {}
            1 => parts.push("checking 1 connection".into()),
            n => parts.push(format!("checking {n} connections")),
        }
        let saving = match &self.mode {
            ConnectionsMode::Form(f) => f.saving.is_some(),
            ConnectionsMode::ConfirmDelete { saving, .. } => saving.is_some(),
            _ => false,
        };
        if saving {
            parts.push("saving config".into());
        }
        if let Some(l) = self.links_view().and_then(LinksView::busy_label) {
            parts.push(l);
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &ViewCx<'_>) {
        self.draw_pane(frame, area, cx)
    }
}
