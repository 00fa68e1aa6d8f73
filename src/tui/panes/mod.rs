//! The panes, each the same shape: a folder with its state and update (`<pane>.rs`), its key
//! tables (`<pane>/keys.rs`, which also drive the footer and `?`), its view (`<pane>/view.rs`),
//! and its own message enum, nested in [`crate::tui::action::Action`]. Behind the `Pane` trait,
//! so a new pane is one new folder plus one field in `App::panes`.

pub mod checker;
pub mod connections;
pub mod links;
pub mod wizard;

use super::action::{Effect, RequestIds};
use super::keymap::{Binding, Cmd};
use super::theme::Theme;
use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::Frame;
use std::time::Instant;

/// The status line's messages, set by panes.
#[derive(Debug, Default, Clone)]
pub struct Status {
    /// The last error, until the next one or until dismissed by a successful action.
    pub error: Option<String>,
    /// The last notice (e.g. what was copied).
    pub notice: Option<String>,
}

/// What a pane may touch while handling a message.
pub struct PaneCx<'a> {
    /// Fresh request ids.
    pub ids: &'a mut RequestIds,
    /// Work to spawn.
    pub effects: &'a mut Vec<Effect>,
    /// Status line.
    pub status: &'a mut Status,
    /// The time of the message.
    pub now: Instant,
}

/// What a pane may read while drawing.
pub struct ViewCx<'a> {
    /// Colours and symbols.
    pub theme: &'a Theme,
    /// Spinner frame counter.
    pub spinner: usize,
}

/// One pane of the TUI.
pub trait Pane {
    /// The tab title.
    fn title(&self) -> &'static str;
    /// A short tab title for narrow screens.
    fn short_title(&self) -> &'static str;
    /// The key table of the pane's current mode (dispatch, footer and help all read it).
    fn keys(&self) -> &'static [Binding];
    /// Heading of the pane's section in the help overlay.
    fn help_title(&self) -> &'static str {
        self.title()
    }
    /// True while a text field has the focus: unbound keys are typed, global keys are off.
    fn captures_text(&self) -> bool {
        false
    }
    /// Handle a command from the key table; false when it does not apply right now.
    fn on_cmd(&mut self, cmd: Cmd, cx: &mut PaneCx<'_>) -> bool;
    /// A key no table claimed, while `captures_text()`; true when something changed.
    fn on_text_key(&mut self, _key: KeyEvent) -> bool {
        false
    }
    /// Pasted text (a pane may start work for it, e.g. store a pasted key); true when
    /// something changed.
    fn on_paste(&mut self, _text: &str, _cx: &mut PaneCx<'_>) -> bool {
        false
    }
    /// Time passed; true when something changed.
    fn on_tick(&mut self, _cx: &mut PaneCx<'_>) -> bool {
        false
    }
    /// True while work is running whose answer decides what the next key means (the wizard
    /// generating a key, creating the link): keys typed meanwhile are queued by the app and
    /// applied in order once it answers, never dropped nor typed into another field.
    fn holds_input(&self) -> bool {
        false
    }
    /// How many background jobs this pane is waiting for (status line, spinner tick).
    fn busy(&self) -> usize {
        0
    }
    /// What the pane is waiting for, for the status line (e.g. "checking 3").
    fn busy_label(&self) -> Option<String> {
        match self.busy() {
            0 => None,
            n => Some(format!("{n} in progress")),
        }
    }
    /// When the pane next wants a tick even if nothing animates (periodic refresh).
    fn next_due(&self) -> Option<Instant> {
        None
    }
    /// Draw into `area`. Pure: reads `&self` only.
    fn draw(&self, frame: &mut Frame, area: Rect, cx: &ViewCx<'_>);
}
