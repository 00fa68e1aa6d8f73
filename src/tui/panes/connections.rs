//! The Connections pane: every configured connection with a live status badge, details of the
//! check chain, and the add / edit / delete form. Checks run at start, on `r`/`R` and periodically.

use super::connection_form::{auth_label, ConnectionForm, FORM_KEYS};
use super::{Pane, PaneCx, ViewCx};
use crate::check::CheckResult;
use crate::config::Config;
use crate::tui::action::{Effect, RequestId};
use crate::tui::keymap::{Binding, Cmd, Key};
use crate::tui::widgets::badge::{self, CheckState};
use crate::tui::widgets::popup::centered;
use crate::tui::widgets::text_field::TextField;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Clear, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Keys of the connection list.
pub const LIST_KEYS: &[Binding] = &[
    Binding {
        keys: &[Key::ch('j'), Key::plain(KeyCode::Down)],
        cmd: Cmd::Down,
        hint: "",
        help: "next connection",
    },
    Binding {
        keys: &[Key::ch('k'), Key::plain(KeyCode::Up)],
        cmd: Cmd::Up,
        hint: "",
        help: "previous connection",
    },
    Binding {
        keys: &[Key::ch('g'), Key::plain(KeyCode::Home)],
        cmd: Cmd::Top,
        hint: "",
        help: "first connection",
    },
    Binding {
        keys: &[Key::ch('G'), Key::plain(KeyCode::End)],
        cmd: Cmd::Bottom,
        hint: "",
        help: "last connection",
    },
    Binding {
        keys: &[Key::plain(KeyCode::Enter)],
        cmd: Cmd::Open,
        hint: "details",
        help: "details: check chain, diagnosis and fix",
    },
    Binding {
        keys: &[Key::ch('r'), Key::ctrl('r')],
        cmd: Cmd::Refresh,
        hint: "check",
        help: "check the selected connection again",
    },
    Binding {
        keys: &[Key::ch('R')],
        cmd: Cmd::RefreshAll,
        hint: "check all",
        help: "check every connection again",
    },
    Binding {
        keys: &[Key::ch('a')],
        cmd: Cmd::Add,
        hint: "add",
        help: "add a connection",
    },
    Binding {
        keys: &[Key::ch('e')],
        cmd: Cmd::Edit,
        hint: "edit",
        help: "edit the selected connection",
    },
    Binding {
        keys: &[Key::ch('d')],
        cmd: Cmd::Delete,
        hint: "delete",
        help: "delete the selected connection (asks first)",
    },
    Binding {
        keys: &[Key::ch('/')],
        cmd: Cmd::Filter,
        hint: "filter",
        help: "filter by name or URL",
    },
    Binding {
        keys: &[Key::ch('c')],
        cmd: Cmd::Copy,
        hint: "",
        help: "copy the URL (OSC 52, also shown)",
    },
    Binding {
        keys: &[Key::plain(KeyCode::Esc)],
        cmd: Cmd::Back,
        hint: "",
        help: "clear the filter, then dismiss the last error",
    },
];

/// Keys of the details view.
pub const DETAILS_KEYS: &[Binding] = &[
    Binding {
        keys: &[Key::plain(KeyCode::Esc)],
        cmd: Cmd::Back,
        hint: "back",
        help: "back to the list",
    },
    Binding {
        keys: &[Key::ch('j'), Key::plain(KeyCode::Down)],
        cmd: Cmd::Down,
        hint: "",
        help: "scroll down",
    },
    Binding {
        keys: &[Key::ch('k'), Key::plain(KeyCode::Up)],
        cmd: Cmd::Up,
        hint: "",
        help: "scroll up",
    },
    Binding {
        keys: &[Key::ch('r'), Key::ctrl('r')],
        cmd: Cmd::Refresh,
        hint: "check",
        help: "check this connection again",
    },
    Binding {
        keys: &[Key::ch('e')],
        cmd: Cmd::Edit,
        hint: "edit",
        help: "edit this connection",
    },
    Binding {
        keys: &[Key::ch('c')],
        cmd: Cmd::Copy,
        hint: "copy",
        help: "copy diagnosis and fix (OSC 52, also shown)",
    },
];

/// Keys of the delete confirmation.
pub const CONFIRM_KEYS: &[Binding] = &[
    Binding {
        keys: &[Key::ch('y')],
        cmd: Cmd::Confirm,
        hint: "yes, delete",
        help: "delete the connection from the config file",
    },
    Binding {
        keys: &[Key::ch('n'), Key::plain(KeyCode::Esc)],
        cmd: Cmd::Back,
        hint: "no",
        help: "keep it",
    },
];

/// Keys while typing a filter.
pub const FILTER_KEYS: &[Binding] = &[
    Binding {
        keys: &[Key::plain(KeyCode::Enter)],
        cmd: Cmd::ApplyFilter,
        hint: "apply",
        help: "keep the filter and go back to the list",
    },
    Binding {
        keys: &[Key::plain(KeyCode::Esc)],
        cmd: Cmd::Back,
        hint: "clear",
        help: "clear the filter",
    },
];

/// Shown when the config has no connections.
pub const EMPTY_TEXT: &str = "no connections yet — press a to add one, or run `jiralink demo`";

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
pub enum Mode {
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
    mode: Mode,
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
            mode: Mode::List,
            refresh_every,
            next_refresh: None,
        }
    }

    /// The current mode.
    pub fn mode(&self) -> &Mode {
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
        let connection = Box::new(conn.clone());
        let defaults = config.defaults.clone();
        let req = cx.ids.next_id();
        let live = self.live.entry(name.to_string()).or_default();
        if let Some(old) = live.pending.replace(req) {
            cx.effects.push(Effect::Cancel(old));
        }
        // Keep the last result on screen during a re-check; only a first check shows "checking".
        if matches!(live.state, CheckState::Unknown) {
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
            Mode::Form(form) if form.saving == Some(req) => {
                form.saving = None;
                match result {
                    Ok(config) => {
                        let saved_name = form.name_value();
                        self.mode = Mode::List;
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
            Mode::ConfirmDelete { name, saving } if *saving == Some(req) => {
                let name = name.clone();
                match result {
                    Ok(config) => {
                        self.mode = Mode::List;
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
                Some(name) => self.mode = Mode::Details { name, scroll: 0 },
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
                self.mode = Mode::Form(Box::default());
            }
            Cmd::Edit => {
                let conn = self.selected_name().and_then(|name| {
                    self.config()
                        .and_then(|c| c.connections.iter().find(|x| x.name == name).cloned())
                });
                match conn {
                    Some(c) => self.mode = Mode::Form(Box::new(ConnectionForm::edit(&c))),
                    None => return false,
                }
            }
            Cmd::Delete => match self.selected_name() {
                Some(name) => self.mode = Mode::ConfirmDelete { name, saving: None },
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
        let Mode::Details { name, scroll } = &mut self.mode else {
            return false;
        };
        let name = name.clone();
        match cmd {
            Cmd::Back => self.mode = Mode::List,
            Cmd::Down => *scroll = scroll.saturating_add(1),
            Cmd::Up => *scroll = scroll.saturating_sub(1),
            Cmd::Refresh => self.start_check(&name, cx),
            Cmd::Edit => {
                let conn = self
                    .config()
                    .and_then(|c| c.connections.iter().find(|x| x.name == name).cloned());
                match conn {
                    Some(c) => self.mode = Mode::Form(Box::new(ConnectionForm::edit(&c))),
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
        let Mode::Form(form) = &mut self.mode else {
            return false;
        };
        match cmd {
            Cmd::Back => {
                if let Some(req) = form.saving {
                    cx.effects.push(Effect::Cancel(req));
                }
                self.mode = Mode::List;
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
        let Mode::ConfirmDelete { name, saving } = &mut self.mode else {
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
                self.mode = Mode::List;
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

    fn draw_list(&self, frame: &mut Frame, area: Rect, cx: &ViewCx<'_>) {
        let theme = cx.theme;
        let title = if self.active_filter().is_empty() {
            " Connections ".to_string()
        } else {
            format!(" Connections (filter: {}) ", self.active_filter())
        };
        let block = theme.block().title(title);
        let inner_msg = |lines: Vec<Line<'static>>| {
            Paragraph::new(lines)
                .block(block.clone())
                .wrap(Wrap { trim: false })
        };
        match &self.load {
            LoadState::Loading(_) => {
                frame.render_widget(
                    inner_msg(vec![Line::styled(
                        theme.text(&format!(
                            "{} reading {}…",
                            theme.spinner(cx.spinner),
                            self.config_path.display()
                        )),
                        theme.busy(),
                    )]),
                    area,
                );
                return;
            }
            LoadState::Failed(e) => {
                frame.render_widget(
                    inner_msg(vec![
                        Line::styled(
                            format!(
                                "{} could not read {}",
                                theme.sym_fail(),
                                self.config_path.display()
                            ),
                            theme.error(),
                        ),
                        Line::raw(e.clone()),
                        Line::raw(""),
                        Line::raw("Fix the file and press r to read it again."),
                    ]),
                    area,
                );
                return;
            }
            LoadState::Loaded(c) if c.connections.is_empty() => {
                frame.render_widget(inner_msg(vec![Line::raw(theme.text(EMPTY_TEXT))]), area);
                return;
            }
            LoadState::Loaded(_) => {}
        }
        let names = self.visible_names();
        if names.is_empty() {
            frame.render_widget(
                inner_msg(vec![Line::raw(
                    theme.text("no connection matches the filter — Esc clears it"),
                )]),
                area,
            );
            return;
        }
        let config = self.config();
        let rows: Vec<Row> = names
            .iter()
            .map(|name| {
                let conn = config.and_then(|c| c.connections.iter().find(|x| &x.name == name));
                let state = self.state_of(name);
                Row::new(vec![
                    Cell::from(name.clone()),
                    Cell::from(conn.map(|c| auth_label(c.auth)).unwrap_or_default()),
                    Cell::from(badge::badge_line(
                        theme,
                        &state,
                        self.is_checking(name),
                        cx.spinner,
                    )),
                    Cell::from(conn.map(|c| c.url.clone()).unwrap_or_default()),
                ])
            })
            .collect();
        // The name column is as wide as the longest name (within reason) so the URL keeps its room.
        let name_w = names
            .iter()
            .map(|n| n.chars().count())
            .max()
            .unwrap_or(0)
            .clamp(4, 20) as u16;
        let table = Table::new(
            rows,
            [
                Constraint::Length(name_w),
                Constraint::Length(11),
                Constraint::Min(24),
                Constraint::Fill(1),
            ],
        )
        .header(Row::new(vec!["NAME", "AUTH", "STATUS", "URL"]).style(theme.accent()))
        .row_highlight_style(theme.selected())
        // The marker keeps the selection visible where reverse video is lost (copy-paste, screen readers).
        .highlight_symbol(if theme.ascii { "> " } else { "▶ " })
        .block(block);
        // A fresh state per frame keeps drawing a pure function of the pane.
        let mut state =
            TableState::default().with_selected(Some(self.selected.min(names.len() - 1)));
        frame.render_stateful_widget(table, area, &mut state);
    }

    fn draw_details(
        &self,
        frame: &mut Frame,
        area: Rect,
        name: &str,
        scroll: u16,
        cx: &ViewCx<'_>,
    ) {
        let theme = cx.theme;
        let conn = self
            .config()
            .and_then(|c| c.connections.iter().find(|x| x.name == name));
        let state = self.state_of(name);
        let mut lines = vec![
            Line::from(
                std::iter::once(Span::styled("Status   ", theme.accent()))
                    .chain(
                        badge::badge_line(theme, &state, self.is_checking(name), cx.spinner).spans,
                    )
                    .collect::<Vec<_>>(),
            ),
            Line::from(vec![
                Span::styled("URL      ", theme.accent()),
                Span::raw(conn.map(|c| c.url.clone()).unwrap_or_default()),
            ]),
            Line::from(vec![
                Span::styled("Auth     ", theme.accent()),
                Span::raw(conn.map(|c| auth_label(c.auth)).unwrap_or_default()),
            ]),
        ];
        match &state {
            CheckState::Done(r) => {
                if let Some(s) = &r.server {
                    let parts: Vec<&str> = [&s.title, &s.version, &s.deployment_type]
                        .into_iter()
                        .filter_map(|x| x.as_deref())
                        .collect();
                    lines.push(Line::from(vec![
                        Span::styled("Server   ", theme.accent()),
                        Span::raw(theme.text(&parts.join(" · "))),
                    ]));
                }
                if let Some(u) = &r.user {
                    lines.push(Line::from(vec![
                        Span::styled("User     ", theme.accent()),
                        Span::raw(u.clone()),
                    ]));
                }
                lines.push(Line::raw(""));
                lines.push(Line::styled("Check chain", theme.accent()));
                for step in &r.steps {
                    let (sym, style) = badge::step_symbol(theme, step.status);
                    lines.push(Line::from(vec![
                        Span::raw("  "),
                        Span::styled(sym, style),
                        Span::raw(format!(" {:<12} ", step.name)),
                        Span::raw(step.detail.clone()),
                    ]));
                }
                for (title, d) in r
                    .diagnosis
                    .iter()
                    .map(|d| ("Diagnosis", d))
                    // When everything worked the diagnosis is the worst warning: show it once.
                    .chain(
                        r.warnings
                            .iter()
                            .filter(|w| r.diagnosis.as_ref() != Some(*w))
                            .map(|d| ("Warning", d)),
                    )
                {
                    let style = if d.is_error() {
                        theme.error()
                    } else {
                        theme.warn()
                    };
                    lines.push(Line::raw(""));
                    lines.push(Line::styled(format!("{title} [{}]", d.code), style));
                    lines.push(Line::from(vec![
                        Span::styled("  what  ", theme.accent()),
                        Span::raw(d.summary.clone()),
                    ]));
                    if !d.detail.is_empty() {
                        lines.push(Line::from(vec![
                            Span::styled("  why   ", theme.accent()),
                            Span::raw(d.detail.clone()),
                        ]));
                    }
                    if !d.fix.is_empty() {
                        lines.push(Line::from(vec![
                            Span::styled("  fix   ", theme.accent()),
                            Span::raw(d.fix.clone()),
                        ]));
                    }
                }
            }
            CheckState::Failed(msg) => {
                lines.push(Line::raw(""));
                lines.push(Line::styled("The check could not run:", theme.error()));
                lines.push(Line::raw(msg.clone()));
            }
            CheckState::Checking => {
                lines.push(Line::raw(""));
                lines.push(Line::raw(
                    theme.text("serverInfo → manifest → auth → myself …"),
                ));
            }
            CheckState::Unknown => {
                lines.push(Line::raw(""));
                lines.push(Line::raw("Not checked yet: press r."));
            }
        }
        frame.render_widget(
            Paragraph::new(lines)
                .block(theme.block().title(format!(" {name} ")))
                .wrap(Wrap { trim: false })
                .scroll((scroll, 0)),
            area,
        );
    }

    fn draw_confirm(
        &self,
        frame: &mut Frame,
        area: Rect,
        name: &str,
        saving: bool,
        cx: &ViewCx<'_>,
    ) {
        let theme = cx.theme;
        let popup = centered(area, 56, 6);
        let last = if saving {
            Line::styled(
                theme.text(&format!("{} deleting…", theme.spinner(cx.spinner))),
                theme.busy(),
            )
        } else {
            Line::from(vec![
                Span::styled("y", theme.accent()),
                Span::raw(" delete   "),
                Span::styled("n", theme.accent()),
                Span::raw(" keep"),
            ])
        };
        frame.render_widget(Clear, popup);
        frame.render_widget(
            Paragraph::new(vec![
                Line::raw(format!("Delete connection {name}?")),
                Line::raw("It is removed from the config file."),
                Line::raw(""),
                last,
            ])
            .block(theme.block().title(" Confirm "))
            .wrap(Wrap { trim: false }),
            popup,
        );
    }
}

impl Pane for ConnectionsPane {
    fn title(&self) -> &'static str {
        "Connections"
    }

    fn keys(&self) -> &'static [Binding] {
        if self.filter_input.is_some() {
            return FILTER_KEYS;
        }
        match self.mode {
            Mode::List => LIST_KEYS,
            Mode::Details { .. } => DETAILS_KEYS,
            Mode::Form(_) => FORM_KEYS,
            Mode::ConfirmDelete { .. } => CONFIRM_KEYS,
        }
    }

    fn help_title(&self) -> &'static str {
        if self.filter_input.is_some() {
            return "Filter";
        }
        match self.mode {
            Mode::List => "Connections",
            Mode::Details { .. } => "Connection details",
            Mode::Form(_) => "Connection form",
            Mode::ConfirmDelete { .. } => "Confirm delete",
        }
    }

    fn captures_text(&self) -> bool {
        self.filter_input.is_some() || matches!(self.mode, Mode::Form(_))
    }

    fn on_cmd(&mut self, cmd: Cmd, cx: &mut PaneCx<'_>) -> bool {
        if self.filter_input.is_some() {
            return self.on_filter_cmd(cmd);
        }
        match self.mode {
            Mode::List => self.on_list_cmd(cmd, cx),
            Mode::Details { .. } => self.on_details_cmd(cmd, cx),
            Mode::Form(_) => self.on_form_cmd(cmd, cx),
            Mode::ConfirmDelete { .. } => self.on_confirm_cmd(cmd, cx),
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
            Mode::Form(f) => f.on_text_key(key),
            _ => false,
        }
    }

    fn on_paste(&mut self, text: &str) -> bool {
        if let Some(t) = &mut self.filter_input {
            t.paste(text);
            return true;
        }
        match &mut self.mode {
            Mode::Form(f) => f.on_paste(text),
            _ => false,
        }
    }

    fn on_tick(&mut self, cx: &mut PaneCx<'_>) -> bool {
        match self.next_refresh {
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
            Mode::Form(f) => usize::from(f.saving.is_some()),
            Mode::ConfirmDelete { saving, .. } => usize::from(saving.is_some()),
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
            Mode::Form(f) => f.saving.is_some(),
            Mode::ConfirmDelete { saving, .. } => saving.is_some(),
            _ => false,
        };
        if saving {
            parts.push("saving config".into());
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &ViewCx<'_>) {
        match &self.mode {
            Mode::Details { name, scroll } => self.draw_details(frame, area, name, *scroll, cx),
            other => {
                let [list, filter_row] = if self.filter_input.is_some() {
                    Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(area)
                } else {
                    [area, Rect::default()]
                };
                self.draw_list(frame, list, cx);
                if let Some(t) = &self.filter_input {
                    let prefix = "/";
                    let (shown, cur) = t.render(filter_row.width.saturating_sub(1) as usize, '*');
                    frame.render_widget(Paragraph::new(format!("{prefix}{shown}")), filter_row);
                    frame.set_cursor_position(Position {
                        x: filter_row.x + 1 + cur as u16,
                        y: filter_row.y,
                    });
                }
                match other {
                    Mode::Form(f) => f.draw(frame, area, cx),
                    Mode::ConfirmDelete { name, saving } => {
                        self.draw_confirm(frame, area, name, saving.is_some(), cx)
                    }
                    _ => {}
                }
            }
        }
    }
}
