//! The application state and `update`: the only place state changes, one `Action` at a time,
//! returning the `Effect`s to spawn. Nothing here blocks or awaits.

use super::action::{Action, Effect, RequestIds, WizardMsg};
use super::effects::WizardCtx;
use super::keymap::{lookup, Binding, Cmd, ALWAYS_KEYS, GLOBAL_KEYS, HELP_KEYS};
use super::panes::checker::CheckerPane;
use super::panes::connections::ConnectionsPane;
use super::panes::wizard::WizardPane;
use super::panes::{Pane, PaneCx, Status};
use super::theme::Theme;
use super::AppOptions;
use crossterm::event::{KeyCode, KeyEvent};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How often the spinner moves while something runs.
pub const SPINNER_INTERVAL: Duration = Duration::from_millis(120);

/// How many keys typed while the active pane waits are kept; beyond that a key is refused
/// (with a status error), never dropped silently.
pub const MAX_QUEUED_KEYS: usize = 64;

/// Every pane, in tab order. Adding a pane: a field here, one arm in `get` / `get_mut`, `COUNT`.
pub struct Panes {
    /// Pane 1.
    pub connections: ConnectionsPane,
    /// Pane 2.
    pub wizard: WizardPane,
    /// Pane 3.
    pub checker: CheckerPane,
}

impl Panes {
    /// Number of panes.
    pub const COUNT: usize = 3;

    /// Pane `i` (0-based; out of range = the first).
    pub fn get(&self, i: usize) -> &dyn Pane {
        match i {
            1 => &self.wizard,
            2 => &self.checker,
            _ => &self.connections,
        }
    }

    /// Pane `i`, mutable.
    pub fn get_mut(&mut self, i: usize) -> &mut dyn Pane {
        match i {
            1 => &mut self.wizard,
            2 => &mut self.checker,
            _ => &mut self.connections,
        }
    }
}

/// The whole TUI state.
pub struct App {
    /// Colours and symbols.
    pub theme: Theme,
    /// A line shown next to the tabs (e.g. the demo's "simulated Jira" notice).
    pub banner: Option<String>,
    /// Where the config file lives (shown in help).
    pub config_path: PathBuf,
    /// The panes.
    pub panes: Panes,
    /// Index of the pane shown.
    pub active: usize,
    /// The help overlay's scroll offset, when open.
    pub help: Option<u16>,
    /// Status line messages.
    pub status: Status,
    /// Spinner frame counter.
    pub spinner: usize,
    /// Set once the user (or a signal) asked to leave.
    pub quit: bool,
    ids: RequestIds,
    /// Keys typed while the active pane held input (see [`Pane::holds_input`]), in typing order;
    /// each is applied once the work it waited for has answered, as if typed then.
    queued: VecDeque<KeyEvent>,
    /// The terminal's size (columns, rows), from the last resize.
    viewport: (u16, u16),
    dirty: bool,
    /// When the spinner last moved: keys arriving faster than the spinner must not stall it.
    last_tick: Instant,
}

/// Number of panes.
pub const PANE_COUNT: usize = Panes::COUNT;

impl App {
    /// A fresh app and the effects to start with (reading the config).
    pub fn new(opts: &AppOptions, now: Instant) -> (Self, Vec<Effect>) {
        let mut ids = RequestIds::default();
        let mut effects = Vec::new();
        let mut status = Status::default();
        let connections = {
            let mut cx = PaneCx {
                ids: &mut ids,
                effects: &mut effects,
                status: &mut status,
                now,
            };
            ConnectionsPane::new(opts.config_path.clone(), opts.refresh_every, &mut cx)
        };
        let app = Self {
            theme: opts.theme,
            banner: opts.banner.clone(),
            config_path: opts.config_path.clone(),
            panes: Panes {
                connections,
                wizard: WizardPane::new(
                    WizardCtx {
                        config_path: opts.config_path.clone(),
                        data_dir: opts.data_dir.clone(),
                    },
                    opts.link_preset.as_ref(),
                    opts.browser.is_some(),
                ),
                checker: CheckerPane::new(crate::audit::export::export_dir(&opts.data_dir))
                    .with_fix_dir(crate::audit::fix::journal::dir_in(&opts.state_dir)),
            },
            active: 0,
            help: None,
            status,
            spinner: 0,
            quit: false,
            ids,
            queued: VecDeque::new(),
            viewport: (80, 24),
            dirty: true,
            last_tick: now,
        };
        (app, effects)
    }

    /// Pane `i` (0-based).
    pub fn pane(&self, i: usize) -> &dyn Pane {
        self.panes.get(i)
    }

    /// The pane shown.
    pub fn active_pane(&self) -> &dyn Pane {
        self.pane(self.active)
    }

    /// The global table in force: all global keys, or only Ctrl-C / Ctrl-Z while typing.
    pub fn global_keys(&self) -> &'static [Binding] {
        if self.active_pane().captures_text() {
            ALWAYS_KEYS
        } else {
            GLOBAL_KEYS
        }
    }

    /// The tables the footer shows, in order; the same ones `update` dispatches with.
    pub fn footer_tables(&self) -> Vec<&'static [Binding]> {
        if self.help.is_some() {
            vec![HELP_KEYS]
        } else {
            vec![self.active_pane().keys(), self.global_keys()]
        }
    }

    /// Background jobs in flight, over all panes.
    pub fn busy(&self) -> usize {
        (0..PANE_COUNT).map(|i| self.pane(i).busy()).sum()
    }

    /// When the loop must wake up even without input: the next spinner frame while something
    /// runs, else the earliest periodic refresh; None = sleep until input.
    pub fn next_deadline(&self, now: Instant) -> Option<Instant> {
        if self.busy() > 0 {
            return Some((self.last_tick + SPINNER_INTERVAL).max(now));
        }
        (0..PANE_COUNT)
            .filter_map(|i| self.pane(i).next_due())
            .min()
    }

    /// How many typed keys wait for the active pane's work to answer.
    pub fn queued_keys(&self) -> usize {
        self.queued.len()
    }

    /// True (once) when something changed since the last call: the loop redraws only then.
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    /// Apply one action; returns the work to spawn. Never blocks.
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let now = Instant::now();
        let mut effects = Vec::new();
        let mut changed = self.apply(action, now, &mut effects);
        changed |= self.replay_queued(now, &mut effects);
        self.dirty |= changed;
        effects
    }

    fn apply(&mut self, action: Action, now: Instant, effects: &mut Vec<Effect>) -> bool {
        macro_rules! cx {
            () => {
                PaneCx {
                    ids: &mut self.ids,
                    effects,
                    status: &mut self.status,
                    now,
                }
            };
        }
        match action {
            Action::Key(key) => self.on_key_or_queue(key, now, effects),
            Action::Paste(text) => {
                if self.help.is_some() {
                    return false;
                }
                let i = self.active;
                self.panes.get_mut(i).on_paste(&text.0, &mut cx!())
            }
            Action::Resize(w, h) => {
                self.viewport = (w, h);
                if let Some(scroll) = self.help {
                    self.help = Some(scroll.min(super::view::help_max_scroll(self, w, h)));
                }
                true
            }
            Action::Tick(at) => {
                let mut cx = PaneCx {
                    ids: &mut self.ids,
                    effects,
                    status: &mut self.status,
                    now: at,
                };
                self.last_tick = at;
                let mut changed = false;
                for i in 0..PANE_COUNT {
                    changed |= self.panes.get_mut(i).on_tick(&mut cx);
                }
                if self.busy() > 0 {
                    self.spinner = self.spinner.wrapping_add(1);
                    changed = true;
                }
                changed
            }
            Action::Connections(msg) => {
                let touches_config = msg.touches_config();
                let changed = self.panes.connections.update(msg, &mut cx!());
                if !touches_config {
                    return changed;
                }
                // The other panes choose among the same connections (one config, owned by pane 1).
                let config = self.panes.connections.config();
                self.panes.wizard.set_connections(config);
                changed | self.panes.checker.on_config(config)
            }
            Action::Wizard(msg) => {
                let linked = matches!(&msg, WizardMsg::LinkedSaved { result: Ok(_), .. });
                let mine = self.panes.wizard.update(msg, &mut cx!());
                if mine && linked {
                    // Show (and check) the new connection on the Connections pane, and audit it
                    // by default in the checker.
                    self.panes.connections.reload(&mut cx!());
                    if let Some(name) = self.panes.wizard.saved_connection() {
                        let name = name.to_string();
                        self.panes.checker.prefer_subject(&name);
                    }
                }
                mine
            }
            Action::Checker(msg) => self.panes.checker.update(msg, &mut cx!()),
            Action::Terminate => {
                self.quit = true;
                effects.push(Effect::Quit);
                true
            }
        }
    }

    /// True while keys must wait: the active pane's work decides what the next key means.
    fn holding(&self) -> bool {
        self.help.is_none() && self.active_pane().holds_input()
    }

    /// A key as typed: applied now, or queued behind work (or earlier queued keys) so it lands in
    /// the state it was typed for. Ctrl-C / Ctrl-Z always act at once; Esc drops the queue.
    fn on_key_or_queue(&mut self, key: KeyEvent, now: Instant, effects: &mut Vec<Effect>) -> bool {
        if self.queued.is_empty() && !self.holding() {
            return self.on_key(key, now, effects);
        }
        if let Some(cmd) = lookup(ALWAYS_KEYS, &key) {
            return self.on_global(cmd, effects);
        }
        if key.code == KeyCode::Esc && !self.queued.is_empty() {
            let n = self.queued.len();
            self.queued.clear();
            self.status.error = None;
            self.status.notice = Some(format!("dropped {} typed while busy", keys_word(n)));
            return true;
        }
        if self.queued.len() >= MAX_QUEUED_KEYS {
            self.status.error = Some(format!(
                "busy: key refused ({MAX_QUEUED_KEYS} keys already wait; Esc drops them)"
            ));
            return true;
        }
        self.queued.push_back(key);
        true
    }

    /// Apply queued keys, in order, while nothing holds them.
    fn replay_queued(&mut self, now: Instant, effects: &mut Vec<Effect>) -> bool {
        let mut changed = false;
        while !self.holding() {
            let Some(key) = self.queued.pop_front() else {
                break;
            };
            // The queue shrank (the status line shows its length): a redraw either way.
            self.on_key(key, now, effects);
            changed = true;
        }
        changed
    }

    fn on_key(
        &mut self,
        key: crossterm::event::KeyEvent,
        now: Instant,
        effects: &mut Vec<Effect>,
    ) -> bool {
        if let Some(scroll) = self.help {
            return match lookup(HELP_KEYS, &key) {
                Some(Cmd::Back) => {
                    self.help = None;
                    true
                }
                Some(Cmd::Down) => {
                    // Scrolling stops with the last line at the bottom of the box.
                    let (w, h) = self.viewport;
                    let max = super::view::help_max_scroll(self, w, h);
                    self.help = Some(scroll.saturating_add(1).min(max));
                    self.help != Some(scroll)
                }
                Some(Cmd::Up) => {
                    self.help = Some(scroll.saturating_sub(1));
                    true
                }
                Some(cmd) => self.on_global(cmd, effects),
                None => false,
            };
        }
        let i = self.active;
        let captures = self.pane(i).captures_text();
        if captures {
            if let Some(cmd) = lookup(ALWAYS_KEYS, &key) {
                return self.on_global(cmd, effects);
            }
        }
        if let Some(cmd) = lookup(self.pane(i).keys(), &key) {
            let mut cx = PaneCx {
                ids: &mut self.ids,
                effects,
                status: &mut self.status,
                now,
            };
            if self.panes.get_mut(i).on_cmd(cmd, &mut cx) {
                return true;
            }
        }
        if captures {
            return self.panes.get_mut(i).on_text_key(key);
        }
        match lookup(GLOBAL_KEYS, &key) {
            Some(cmd) => self.on_global(cmd, effects),
            None => false,
        }
    }

    fn on_global(&mut self, cmd: Cmd, effects: &mut Vec<Effect>) -> bool {
        match cmd {
            Cmd::Quit => {
                self.quit = true;
                effects.push(Effect::Quit);
            }
            Cmd::Suspend => effects.push(Effect::Suspend),
            Cmd::Help => self.help = Some(0),
            Cmd::NextPane => self.active = (self.active + 1) % PANE_COUNT,
            Cmd::PrevPane => self.active = (self.active + PANE_COUNT - 1) % PANE_COUNT,
            Cmd::GoPane(n) if n < PANE_COUNT => self.active = n,
            _ => return false,
        }
        true
    }
}

/// "1 key" / "3 keys".
pub fn keys_word(n: usize) -> String {
    if n == 1 {
        "1 key".into()
    } else {
        format!("{n} keys")
    }
}
