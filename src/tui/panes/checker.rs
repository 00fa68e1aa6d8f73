//! The Checker pane: a thin front end over `crate::audit`. Choose the subject / admin connections
//! and the permissions, run the audit as a cancellable effect with progress, browse the same
//! `Report` the headless `jiralink audit` prints (filter, sort, problems only), read a project's
//! explanation, watch live with changes highlighted and logged, export to JSON / CSV.

pub mod explain_text;
pub mod fix;
pub mod keys;
pub mod rows;
pub mod setup;
mod view;

/// The checker pane's messages: the results of its work, nested in
/// [`crate::tui::action::Action::Checker`].
#[derive(Debug)]
pub enum CheckerMsg {
    /// A running audit made progress (throttled by the runner).
    AuditProgress { req: RequestId, progress: Progress },
    /// An audit finished, or could not run (the diagnosis says why).
    AuditFinished {
        req: RequestId,
        result: Result<Arc<Report>, Box<Diagnosis>>,
    },
    /// A report export was written (the path) or failed (why).
    Exported {
        req: RequestId,
        result: Result<PathBuf, String>,
    },
    /// A least-privilege fix plan came back (the checker's `f`), or why not.
    FixPlanned {
        req: RequestId,
        result: Result<Box<crate::audit::fix::Plan>, Box<Diagnosis>>,
    },
    /// A step of a fix being applied or rolled back.
    FixProgress {
        req: RequestId,
        event: crate::audit::fix::ApplyEvent,
    },
    /// A fix was applied (its journal id) or failed (and was rolled back: the diagnosis says).
    FixApplied {
        req: RequestId,
        result: Result<String, Box<Diagnosis>>,
    },
    /// A fix was undone (its journal id), or why not.
    FixUndone {
        req: RequestId,
        result: Result<String, Box<Diagnosis>>,
    },
}

use super::{Pane, PaneCx, ViewCx};
use crate::audit::export::ReportFormat;
use crate::audit::{self, Progress, Report};
use crate::config::Config;
use crate::jira::Diagnosis;
use crate::tui::action::{Effect, RequestId};
use crate::tui::keymap::{Binding, Cmd};
use crate::tui::widgets::text_field::TextField;
use crossterm::event::KeyEvent;
pub use keys::{DETAIL_KEYS, EDIT_KEYS, EXPLAIN_KEYS, FILTER_KEYS, SETUP_KEYS, TABLE_KEYS};
use ratatui::layout::Rect;
use ratatui::Frame;
use rows::{SortKey, Widths};
use setup::{Setup, SetupField};
use std::cell::Cell;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the pane shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckerMode {
    /// The setup form.
    Setup,
    /// The results table (or its loading / error / empty state).
    Table,
    /// One project's explanation.
    Explain {
        /// Index into the report's projects.
        row: usize,
        /// Lines scrolled.
        scroll: u16,
    },
    /// The change log.
    Log {
        /// Lines scrolled.
        scroll: u16,
    },
}

/// An audit in flight.
#[derive(Debug, Clone, Copy)]
pub struct Running {
    /// Its request id.
    pub req: RequestId,
    /// When it started (for requests/s).
    pub started: Instant,
    /// The last progress report.
    pub progress: Option<Progress>,
    /// When that progress arrived.
    pub at: Instant,
}

/// Live mode: re-run every `every`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Live {
    /// The interval.
    pub every: Duration,
    /// When the next run starts (None while one runs).
    pub next_run: Option<Instant>,
}

/// One change-log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// Wall-clock time, `HH:MM:SS UTC`.
    pub at: String,
    /// What changed, as `jiralink audit --watch` prints it.
    pub line: String,
}

/// The checker pane.
#[derive(Debug)]
pub struct CheckerPane {
    config: Option<Config>,
    setup: Setup,
    mode: CheckerMode,
    running: Option<Running>,
    report: Option<Arc<Report>>,
    failure: Option<Diagnosis>,
    /// Filtered and sorted indices into `report.projects`; rebuilt on change, never per frame.
    index: Vec<usize>,
    /// Per report row: changed in the last run.
    changed: Vec<bool>,
    widths: Option<Widths>,
    filter: String,
    filter_input: Option<TextField>,
    sort: SortKey,
    problems_only: bool,
    /// Position in `index`.
    selected: usize,
    /// First visible position; like ratatui's `TableState` offset, the one value drawing adjusts
    /// (the pane's height is only known when drawn).
    offset: Cell<usize>,
    /// Rows the table showed at the last draw (page size for PgUp / PgDn).
    page: Cell<usize>,
    live: Option<Live>,
    log: Vec<LogEntry>,
    export_dir: PathBuf,
    exporting: Option<RequestId>,
    last_export: Option<PathBuf>,
    /// The latest time the pane heard of (countdown display).
    clock: Instant,
    /// The fix flow of the open explanation (`f`, `y`, `u`).
    fix: Option<fix::FixState>,
    /// The job of the fix being applied (kept for its undo).
    pending_job: Option<crate::audit::AuditJob>,
    /// The last fix applied here: what `u` undoes.
    last_fix: Option<fix::AppliedFix>,
    /// `u` was pressed once: the next `u` undoes, Esc keeps the fix.
    undo_confirm: bool,
    /// Where fix journals go.
    fix_dir: PathBuf,
}

impl CheckerPane {
    /// A pane that waits for the config; exports go to `export_dir`.
    pub fn new(export_dir: PathBuf) -> Self {
        Self {
            config: None,
            setup: Setup::default(),
            mode: CheckerMode::Setup,
            running: None,
            report: None,
            failure: None,
            index: Vec::new(),
            changed: Vec::new(),
            widths: None,
            filter: String::new(),
            filter_input: None,
            sort: SortKey::Key,
            problems_only: false,
            selected: 0,
            offset: Cell::new(0),
            page: Cell::new(20),
            live: None,
            log: Vec::new(),
            export_dir,
            exporting: None,
            last_export: None,
            clock: Instant::now(),
            fix: None,
            pending_job: None,
            last_fix: None,
            undo_confirm: false,
            fix_dir: crate::audit::fix::journal::dir_in(&default_state_dir()),
        }
    }

    /// Send exports somewhere else (tests, a future setting).
    pub fn set_export_dir(&mut self, dir: PathBuf) {
        self.export_dir = dir;
    }

    /// The current mode.
    pub fn mode(&self) -> &CheckerMode {
        &self.mode
    }

    /// The setup form.
    pub fn setup(&self) -> &Setup {
        &self.setup
    }

    /// The last report, if any.
    pub fn report(&self) -> Option<&Report> {
        self.report.as_deref()
    }

    /// Why the last run failed, if it did.
    pub fn failure(&self) -> Option<&Diagnosis> {
        self.failure.as_ref()
    }

    /// The audit in flight.
    pub fn running(&self) -> Option<&Running> {
        self.running.as_ref()
    }

    /// Live mode state.
    pub fn live(&self) -> Option<&Live> {
        self.live.as_ref()
    }

    /// The change log, oldest first.
    pub fn change_log(&self) -> &[LogEntry] {
        &self.log
    }

    /// Where the last export was written.
    pub fn last_export(&self) -> Option<&PathBuf> {
        self.last_export.as_ref()
    }

    /// Keys of the rows shown, in order (after filter, sort and the problems toggle).
    pub fn shown_keys(&self) -> Vec<String> {
        let Some(r) = &self.report else {
            return Vec::new();
        };
        self.index
            .iter()
            .map(|&i| r.projects[i].key.clone())
            .collect()
    }

    /// The selected project's key.
    pub fn selected_key(&self) -> Option<String> {
        let r = self.report.as_ref()?;
        let &i = self.index.get(self.selected)?;
        Some(r.projects[i].key.clone())
    }

    /// Was this project's row changed by the last run?
    pub fn is_changed(&self, key: &str) -> bool {
        self.report
            .as_ref()
            .and_then(|r| r.projects.iter().position(|p| p.key == key))
            .is_some_and(|i| self.changed.get(i).copied().unwrap_or(false))
    }

    /// The positions in the row index drawn for a table of `height` rows: never more than fit, so
    /// a frame costs the same for 50 and for 10,000 projects. Also used by the view.
    pub fn visible_range(&self, height: usize) -> std::ops::Range<usize> {
        let n = self.index.len();
        if n == 0 || height == 0 {
            return 0..0;
        }
        let sel = self.selected.min(n - 1);
        let mut off = self.offset.get().min(n.saturating_sub(1));
        if sel < off {
            off = sel;
        } else if sel >= off + height {
            off = sel + 1 - height;
        }
        // Fill the screen when the end of the list is reached (e.g. after a filter shrank it).
        off = off.min(n.saturating_sub(height));
        off..(off + height).min(n)
    }

    /// Adopt the config pane 1 loaded (None while it loads or failed); true when something changed.
    /// Make `name` the subject connection (the one the Link wizard just linked), now or as soon
    /// as it appears in the config.
    pub fn prefer_subject(&mut self, name: &str) {
        self.setup.prefer = Some(name.to_string());
        if let Some(c) = &self.config {
            self.setup.adopt(c);
        }
    }

    pub fn on_config(&mut self, config: Option<&Config>) -> bool {
        match config {
            Some(c) => {
                self.setup.adopt(c);
                self.config = Some(c.clone());
            }
            None => self.config = None,
        }
        true
    }

    /// Progress of the running audit.
    /// Apply one of the pane's messages; true when something changed.
    pub fn update(&mut self, msg: CheckerMsg, cx: &mut PaneCx<'_>) -> bool {
        match msg {
            CheckerMsg::AuditProgress { req, progress } => self.on_progress(req, progress, cx.now),
            CheckerMsg::AuditFinished { req, result } => self.on_audit_finished(req, result, cx),
            CheckerMsg::Exported { req, result } => self.on_exported(req, result, cx),
            CheckerMsg::FixPlanned { req, result } => self.on_fix_planned(req, result, cx),
            CheckerMsg::FixProgress { req, event } => self.on_fix_progress(req, event),
            CheckerMsg::FixApplied { req, result } => self.on_fix_applied(req, result, cx),
            CheckerMsg::FixUndone { req, result } => self.on_fix_undone(req, result, cx),
        }
    }

    pub fn on_progress(&mut self, req: RequestId, progress: Progress, now: Instant) -> bool {
        match &mut self.running {
            Some(r) if r.req == req => {
                r.progress = Some(progress);
                r.at = now;
                self.clock = now;
                true
            }
            _ => false,
        }
    }

    /// An audit finished (or could not run).
    pub fn on_audit_finished(
        &mut self,
        req: RequestId,
        result: Result<Arc<Report>, Box<Diagnosis>>,
        cx: &mut PaneCx<'_>,
    ) -> bool {
        if self.running.is_none_or(|r| r.req != req) {
            return false; // a cancelled run's late answer
        }
        self.running = None;
        self.clock = cx.now;
        if let Some(live) = &mut self.live {
            live.next_run = Some(cx.now + live.every);
        }
        match result {
            Ok(report) => {
                self.failure = None;
                self.adopt_report(report);
            }
            Err(d) => {
                cx.status.error = Some(format!("audit failed: {}", d.summary));
                self.failure = Some(*d);
            }
        }
        true
    }

    /// An export was written (or not).
    pub fn on_exported(
        &mut self,
        req: RequestId,
        result: Result<PathBuf, String>,
        cx: &mut PaneCx<'_>,
    ) -> bool {
        if self.exporting != Some(req) {
            return false;
        }
        self.exporting = None;
        match result {
            Ok(path) => {
                cx.status.notice = Some(format!("exported to {} (mode 0600)", path.display()));
                cx.status.error = None;
                self.last_export = Some(path);
            }
            Err(e) => cx.status.error = Some(format!("export failed: {e}")),
        }
        true
    }

    /// Take a new report: diff against the previous one, log the changes, rebuild the index.
    fn adopt_report(&mut self, report: Arc<Report>) {
        let keep = self.selected_key();
        self.changed = vec![false; report.projects.len()];
        if let Some(old) = &self.report {
            let d = audit::diff(old, &report);
            if !d.is_empty() {
                let changed = rows::changed_keys(&d);
                for (i, p) in report.projects.iter().enumerate() {
                    self.changed[i] = changed.contains(&p.key);
                }
                let at = wall_clock();
                self.log
                    .extend(audit::render_diff(&d).lines().map(|l| LogEntry {
                        at: at.clone(),
                        line: l.to_string(),
                    }));
            }
        }
        // An open explanation follows its project: rows may have appeared or gone.
        if let CheckerMode::Explain { row, scroll } = self.mode {
            let key = self
                .report
                .as_ref()
                .and_then(|r| r.projects.get(row))
                .map(|p| &p.key);
            self.mode = match key.and_then(|k| report.projects.iter().position(|p| &p.key == k)) {
                Some(row) => CheckerMode::Explain { row, scroll },
                None => CheckerMode::Table,
            };
        }
        if self.sort_out_of_range(&report) {
            self.sort = SortKey::Key;
        }
        self.widths = Some(Widths::of(&report));
        self.report = Some(report);
        self.rebuild(keep.as_deref());
        if self.mode == CheckerMode::Setup {
            self.mode = CheckerMode::Table;
        }
    }

    fn sort_out_of_range(&self, report: &Report) -> bool {
        matches!(self.sort, SortKey::Permission(i) if i >= report.required.len())
    }

    /// Rebuild the row index, keeping `keep` selected when it is still shown.
    fn rebuild(&mut self, keep: Option<&str>) {
        let Some(r) = &self.report else {
            self.index.clear();
            return;
        };
        self.index = rows::build(r, self.active_filter(), self.problems_only, self.sort);
        self.selected = keep
            .and_then(|k| self.index.iter().position(|&i| r.projects[i].key == k))
            .unwrap_or(0);
    }

    fn active_filter(&self) -> &str {
        match &self.filter_input {
            Some(f) => f.value(),
            None => &self.filter,
        }
    }

    /// Start an audit with the setup's choices (cancelling one in flight).
    fn start(&mut self, cx: &mut PaneCx<'_>) -> bool {
        let Some(config) = &self.config else {
            cx.status.error = Some("the config is not loaded yet".into());
            return true;
        };
        let job = match self.setup.job(config) {
            Ok(j) => j,
            Err(e) => {
                self.setup.error = Some(e);
                self.mode = CheckerMode::Setup;
                return true;
            }
        };
        self.setup.error = None;
        if let Some(r) = self.running.take() {
            cx.effects.push(Effect::Cancel(r.req));
        }
        if let Some(live) = &mut self.live {
            live.next_run = None;
        }
        let req = cx.ids.next_id();
        cx.effects.push(Effect::Audit {
            req,
            job: Box::new(job),
        });
        self.running = Some(Running {
            req,
            started: cx.now,
            progress: None,
            at: cx.now,
        });
        self.clock = cx.now;
        if self.mode == CheckerMode::Setup {
            self.mode = CheckerMode::Table;
        }
        true
    }

    fn export(&mut self, format: ReportFormat, cx: &mut PaneCx<'_>) -> bool {
        let Some(report) = &self.report else {
            cx.status.error = Some("nothing to export yet: run the audit first (r)".into());
            return true;
        };
        let req = cx.ids.next_id();
        if let Some(old) = self.exporting.replace(req) {
            cx.effects.push(Effect::Cancel(old));
        }
        cx.effects.push(Effect::ExportReport {
            req,
            report: Arc::clone(report),
            format,
            dir: self.export_dir.clone(),
        });
        true
    }

    fn toggle_live(&mut self, cx: &mut PaneCx<'_>) -> bool {
        if self.live.take().is_some() {
            cx.status.notice = Some("live mode off".into());
            return true;
        }
        let every = match self.setup.interval() {
            Ok(e) => e,
            Err(e) => {
                cx.status.error = Some(e);
                return true;
            }
        };
        self.live = Some(Live {
            every,
            next_run: None,
        });
        self.clock = cx.now;
        if self.running.is_none() {
            if self.report.is_none() {
                return self.start(cx);
            }
            self.live = Some(Live {
                every,
                next_run: Some(cx.now + every),
            });
        }
        true
    }

    fn on_setup_cmd(&mut self, cmd: Cmd, cx: &mut PaneCx<'_>) -> bool {
        if self.setup.editing.is_some() {
            match cmd {
                Cmd::ApplyFilter => self.setup.editing = None,
                Cmd::Back => {
                    if let Some(old) = self.setup.editing.take() {
                        if let Some(f) = self.setup.text_field_mut() {
                            f.set_value(old);
                        }
                    }
                }
                _ => return false,
            }
            return true;
        }
        // The admin picker offers likely admin connections first.
        let names: Vec<String> = match (&self.config, self.setup.focus) {
            (Some(c), SetupField::Admin) => c.admin_choices(),
            (Some(c), _) => c.connections.iter().map(|c| c.name.clone()).collect(),
            (None, _) => Vec::new(),
        };
        match cmd {
            Cmd::NextField => self.setup.move_focus(true),
            Cmd::PrevField => self.setup.move_focus(false),
            Cmd::Cycle => return self.setup.cycle(&names, true),
            Cmd::Edit if self.setup.focus.is_choice() => return self.setup.cycle(&names, true),
            Cmd::Edit => {
                let old = self
                    .setup
                    .text_field_mut()
                    .map(|f| f.value().to_string())
                    .unwrap_or_default();
                self.setup.editing = Some(old);
            }
            Cmd::Refresh => return self.start(cx),
            Cmd::Back
                if self.report.is_some() || self.running.is_some() || self.failure.is_some() =>
            {
                self.mode = CheckerMode::Table;
            }
            _ => return false,
        }
        true
    }

    fn on_table_cmd(&mut self, cmd: Cmd, cx: &mut PaneCx<'_>) -> bool {
        if self.filter_input.is_some() {
            match cmd {
                Cmd::ApplyFilter => {
                    self.filter = self
                        .filter_input
                        .take()
                        .map(|f| f.value().trim().to_string())
                        .unwrap_or_default();
                }
                Cmd::Back => {
                    self.filter_input = None;
                    self.filter.clear();
                    self.rebuild(None);
                }
                _ => return false,
            }
            return true;
        }
        let n = self.index.len();
        let page = self.page.get().max(1);
        match cmd {
            Cmd::Down => self.selected = (self.selected + 1).min(n.saturating_sub(1)),
            Cmd::Up => self.selected = self.selected.saturating_sub(1),
            Cmd::PageDown => self.selected = (self.selected + page).min(n.saturating_sub(1)),
            Cmd::PageUp => self.selected = self.selected.saturating_sub(page),
            Cmd::Top => self.selected = 0,
            Cmd::Bottom => self.selected = n.saturating_sub(1),
            Cmd::Open => match self.index.get(self.selected) {
                Some(&row) => self.mode = CheckerMode::Explain { row, scroll: 0 },
                None => return false,
            },
            // While the first audit runs too: the filter applies to its report when it lands.
            Cmd::Filter if self.report.is_some() || self.running.is_some() => {
                self.filter_input = Some(TextField::new(self.filter.clone()));
            }
            Cmd::Sort => {
                let Some(r) = &self.report else { return false };
                self.sort = self.sort.next(r.required.len());
                let keep = self.selected_key();
                self.rebuild(keep.as_deref());
            }
            Cmd::ToggleProblems => {
                self.problems_only = !self.problems_only;
                let keep = self.selected_key();
                self.rebuild(keep.as_deref());
            }
            Cmd::ToggleLive => return self.toggle_live(cx),
            Cmd::ChangeLog => self.mode = CheckerMode::Log { scroll: 0 },
            Cmd::ExportJson => return self.export(ReportFormat::Json, cx),
            Cmd::ExportCsv => return self.export(ReportFormat::Csv, cx),
            Cmd::Refresh => return self.start(cx),
            Cmd::Edit => self.mode = CheckerMode::Setup,
            Cmd::Back => {
                if let Some(r) = self.running.take() {
                    cx.effects.push(Effect::Cancel(r.req));
                    cx.status.notice = Some("audit cancelled".into());
                    if let Some(live) = &mut self.live {
                        live.next_run = Some(cx.now + live.every);
                    }
                } else if !self.filter.is_empty() {
                    self.filter.clear();
                    let keep = self.selected_key();
                    self.rebuild(keep.as_deref());
                } else if cx.status.error.take().is_none() {
                    return false;
                }
            }
            _ => return false,
        }
        true
    }

    fn on_detail_cmd(&mut self, cmd: Cmd, cx: &mut PaneCx<'_>) -> bool {
        if let Some(handled) = self.on_fix_cmd(cmd, cx) {
            return handled;
        }
        let scroll = match &mut self.mode {
            CheckerMode::Explain { scroll, .. } | CheckerMode::Log { scroll } => scroll,
            _ => return false,
        };
        match cmd {
            Cmd::Back => self.mode = CheckerMode::Table,
            Cmd::Down => *scroll = scroll.saturating_add(1),
            Cmd::Up => *scroll = scroll.saturating_sub(1),
            Cmd::Copy => {
                let CheckerMode::Explain { row, .. } = self.mode else {
                    return false;
                };
                let fix = self
                    .report
                    .as_ref()
                    .and_then(|r| r.projects.get(row))
                    .and_then(explain_text::fix_text);
                match fix {
                    Some(text) => {
                        cx.status.notice = Some(format!("copied: {}", first_line(&text)));
                        cx.effects.push(Effect::Copy(text));
                    }
                    None => cx.status.notice = Some("nothing to fix here".into()),
                }
            }
            _ => return false,
        }
        true
    }

    /// Seconds until the next live run, as shown.
    fn countdown(&self) -> Option<u64> {
        let next = self.live?.next_run?;
        let left = next.saturating_duration_since(self.clock);
        Some(left.as_secs() + u64::from(left.subsec_nanos() > 0))
    }
}

/// The first line of `s`, shortened for the status line.
fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or_default();
    if line.chars().count() > 60 {
        format!("{}...", line.chars().take(57).collect::<String>())
    } else {
        line.to_string()
    }
}

/// Until the app says where (`with_fix_dir`): the default state dir.
fn default_state_dir() -> PathBuf {
    crate::paths::Paths::resolve(None)
        .map(|p| p.state_dir)
        .unwrap_or_else(|_| PathBuf::from("."))
}

/// `HH:MM:SS UTC` now.
fn wall_clock() -> String {
    let t = time::OffsetDateTime::now_utc();
    format!("{:02}:{:02}:{:02} UTC", t.hour(), t.minute(), t.second())
}

impl Pane for CheckerPane {
    fn title(&self) -> &'static str {
        "Checker"
    }

    fn short_title(&self) -> &'static str {
        "Check"
    }

    fn keys(&self) -> &'static [Binding] {
        match &self.mode {
            CheckerMode::Setup if self.setup.editing.is_some() => EDIT_KEYS,
            CheckerMode::Setup => SETUP_KEYS,
            CheckerMode::Table if self.filter_input.is_some() => FILTER_KEYS,
            CheckerMode::Table => TABLE_KEYS,
            CheckerMode::Explain { .. } => EXPLAIN_KEYS,
            CheckerMode::Log { .. } => DETAIL_KEYS,
        }
    }

    fn help_title(&self) -> &'static str {
        match &self.mode {
            CheckerMode::Setup if self.setup.editing.is_some() => "Checker: editing a field",
            CheckerMode::Setup => "Checker: setup",
            CheckerMode::Table if self.filter_input.is_some() => "Checker: filter",
            CheckerMode::Table => "Checker: projects",
            CheckerMode::Explain { .. } => "Checker: explanation",
            CheckerMode::Log { .. } => "Checker: change log",
        }
    }

    fn captures_text(&self) -> bool {
        self.filter_input.is_some()
            || (self.mode == CheckerMode::Setup && self.setup.editing.is_some())
    }

    fn on_cmd(&mut self, cmd: Cmd, cx: &mut PaneCx<'_>) -> bool {
        self.clock = cx.now;
        match self.mode {
            CheckerMode::Setup => self.on_setup_cmd(cmd, cx),
            CheckerMode::Table => self.on_table_cmd(cmd, cx),
            CheckerMode::Explain { .. } | CheckerMode::Log { .. } => self.on_detail_cmd(cmd, cx),
        }
    }

    fn on_text_key(&mut self, key: KeyEvent) -> bool {
        if let Some(f) = &mut self.filter_input {
            let changed = f.handle_key(key);
            if changed {
                // Filtering 10,000 rows per keystroke is a few ms: live feedback is worth it.
                self.rebuild(None);
            }
            return changed;
        }
        if self.setup.editing.is_none() {
            return false;
        }
        self.setup
            .text_field_mut()
            .is_some_and(|f| f.handle_key(key))
    }

    fn on_paste(&mut self, text: &str, _cx: &mut PaneCx<'_>) -> bool {
        if let Some(f) = &mut self.filter_input {
            f.paste(text);
            self.rebuild(None);
            return true;
        }
        if self.setup.editing.is_some() {
            if let Some(f) = self.setup.text_field_mut() {
                f.paste(text);
                return true;
            }
        }
        false
    }

    fn on_tick(&mut self, cx: &mut PaneCx<'_>) -> bool {
        let before = self.countdown();
        self.clock = cx.now;
        if let Some(Live {
            next_run: Some(at), ..
        }) = self.live
        {
            if self.running.is_none() && cx.now >= at {
                return self.start(cx);
            }
        }
        self.running.is_some() || before != self.countdown()
    }

    fn busy(&self) -> usize {
        usize::from(self.running.is_some())
            + usize::from(self.exporting.is_some())
            + usize::from(self.fix.as_ref().and_then(fix::FixState::running).is_some())
    }

    fn busy_label(&self) -> Option<String> {
        if let Some(l) = self.fix_busy_label() {
            return Some(l);
        }
        if let Some(r) = &self.running {
            return Some(match r.progress {
                Some(p) if p.total > 0 => format!("auditing {}/{} projects", p.done, p.total),
                _ => "auditing".into(),
            });
        }
        self.exporting.map(|_| "exporting".into())
    }

    fn next_due(&self) -> Option<Instant> {
        let next = self.live?.next_run?;
        if self.running.is_some() {
            return None;
        }
        // Wake when the shown countdown changes (whole seconds before the run), or for the run.
        let shown = self.countdown()?;
        let due = next.checked_sub(Duration::from_secs(shown.saturating_sub(1)));
        Some(due.filter(|d| *d > self.clock).unwrap_or(next))
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &ViewCx<'_>) {
        view::draw(self, frame, area, cx);
    }
}
