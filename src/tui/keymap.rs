//! Key tables: one per pane mode plus the global one. Dispatch, the footer hints and the `?` overlay
//! are all generated from these tables, so the help can never drift from what the keys do.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// One physical key: a code and the modifiers that must be held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// The key code.
    pub code: KeyCode,
    /// Modifiers that must be down (Shift is ignored for characters: `G` already says it).
    pub mods: KeyModifiers,
}

impl Key {
    /// A key without modifiers.
    pub const fn plain(code: KeyCode) -> Self {
        Self {
            code,
            mods: KeyModifiers::NONE,
        }
    }
    /// A character key without modifiers.
    pub const fn ch(c: char) -> Self {
        Self::plain(KeyCode::Char(c))
    }
    /// Ctrl + a character.
    pub const fn ctrl(c: char) -> Self {
        Self {
            code: KeyCode::Char(c),
            mods: KeyModifiers::CONTROL,
        }
    }

    /// Does this pressed key event match?
    pub fn matches(&self, ev: &KeyEvent) -> bool {
        if ev.kind == KeyEventKind::Release {
            return false;
        }
        // Terminals disagree on whether Shift is reported with upper-case letters and BackTab.
        let relevant = KeyModifiers::CONTROL | KeyModifiers::ALT;
        let code_matches = match (self.code, ev.code) {
            (KeyCode::Char(a), KeyCode::Char(b)) => {
                if self.mods.contains(KeyModifiers::CONTROL) {
                    a.eq_ignore_ascii_case(&b)
                } else {
                    a == b
                }
            }
            (a, b) => a == b,
        };
        code_matches && (ev.modifiers & relevant) == (self.mods & relevant)
    }

    /// How the key is written in hints and help (`j`, `Ctrl-c`, `Enter`, `↑`).
    pub fn label(&self, ascii: bool) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            KeyCode::Up => if ascii { "Up" } else { "↑" }.into(),
            KeyCode::Down => if ascii { "Down" } else { "↓" }.into(),
            KeyCode::Left => if ascii { "Left" } else { "←" }.into(),
            KeyCode::Right => if ascii { "Right" } else { "→" }.into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Backspace => "Backspace".into(),
            KeyCode::Delete => "Del".into(),
            other => format!("{other:?}"),
        };
        if self.mods.contains(KeyModifiers::CONTROL) {
            format!("Ctrl-{base}")
        } else {
            base
        }
    }
}

/// Everything a key can ask for. Panes interpret the ones that concern them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmd {
    /// Leave the program.
    Quit,
    /// Stop the program like any shell job (Ctrl-Z).
    Suspend,
    /// Toggle the help overlay.
    Help,
    /// Next pane.
    NextPane,
    /// Previous pane.
    PrevPane,
    /// Jump to the pane with this index (0-based).
    GoPane(usize),
    /// Move the selection / scroll up.
    Up,
    /// Move the selection / scroll down.
    Down,
    /// First row.
    Top,
    /// Last row.
    Bottom,
    /// Drill into the selected item.
    Open,
    /// Back out of a view or close a popup.
    Back,
    /// Re-check the selected item.
    Refresh,
    /// Re-check everything.
    RefreshAll,
    /// Start filtering the list.
    Filter,
    /// Copy the selected item's text (OSC 52), also shown on screen.
    Copy,
    /// Add an item.
    Add,
    /// Edit the selected item.
    Edit,
    /// Delete the selected item (asks first).
    Delete,
    /// Form: next field.
    NextField,
    /// Form: previous field.
    PrevField,
    /// Form: cycle the value of a choice field.
    Cycle,
    /// Form: save.
    Save,
    /// Confirm a question.
    Confirm,
    /// Accept the typed filter.
    ApplyFilter,
    // --- Checker pane ---
    /// Scroll / move one page down.
    PageDown,
    /// Scroll / move one page up.
    PageUp,
    /// Cycle the sort column.
    Sort,
    /// Show only rows with a problem, or everything.
    ToggleProblems,
    /// Live mode on / off (re-run on an interval).
    ToggleLive,
    /// Export the report as JSON.
    ExportJson,
    /// Export the report as CSV.
    ExportCsv,
    /// Show / hide the change log.
    ChangeLog,
    /// Plan the least-privilege fix for the explained project (`f`).
    FixPlan,
    /// Undo the last fix applied from the checker (`u`).
    FixUndo,
    /// List the application links of the selected connection's Jira (`L`).
    Links,
    /// A link-wizard command (wizard pane).
    Wizard(WizardCmd),
}

// --- Link wizard (wizard pane) ---------------------------------------------------------------

/// Commands only the link wizard pane has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WizardCmd {
    /// Go to the next step (runs the probe on the first one).
    NextStep,
    /// Generate a new key pair.
    Generate,
    /// Use the existing key file at the import path.
    LoadKey,
    /// Skip automatic creation: the link was registered by hand.
    Skip,
    /// Create the link with the admin connection (asks first).
    Create,
    /// Ask Jira for a new request token.
    NewToken,
    /// Send the app's browser to the authorize page to log in and click "Allow" (the demo's).
    Approve,
    /// Write the export file.
    Export,
    /// OAuth 2.0: use the client id and secret pasted from Jira.
    UseCredentials,
}

/// One row of a key table: which keys, what they do, how the footer and the help call it.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    /// Keys that trigger it (the first one is shown in the footer).
    pub keys: &'static [Key],
    /// What it does.
    pub cmd: Cmd,
    /// Short footer hint; empty = help overlay only.
    pub hint: &'static str,
    /// The line in the help overlay.
    pub help: &'static str,
}

/// The first binding in `table` that `ev` triggers.
pub fn lookup(table: &[Binding], ev: &KeyEvent) -> Option<Cmd> {
    table
        .iter()
        .find(|b| b.keys.iter().any(|k| k.matches(ev)))
        .map(|b| b.cmd)
}

/// All keys of a binding, written for the help overlay (`j/↓`).
pub fn keys_label(b: &Binding, ascii: bool) -> String {
    b.keys
        .iter()
        .map(|k| k.label(ascii))
        .collect::<Vec<_>>()
        .join("/")
}

/// Keys that work on every pane when no text field has the focus.
pub const GLOBAL_KEYS: &[Binding] = &[
    Binding {
        keys: &[Key::ch('?')],
        cmd: Cmd::Help,
        hint: "help",
        help: "show / hide this help",
    },
    Binding {
        keys: &[Key::plain(KeyCode::Tab)],
        cmd: Cmd::NextPane,
        hint: "",
        help: "next pane",
    },
    Binding {
        keys: &[Key::plain(KeyCode::BackTab)],
        cmd: Cmd::PrevPane,
        hint: "",
        help: "previous pane",
    },
    Binding {
        keys: &[Key::ch('1')],
        cmd: Cmd::GoPane(0),
        hint: "",
        help: "Connections pane",
    },
    Binding {
        keys: &[Key::ch('2')],
        cmd: Cmd::GoPane(1),
        hint: "",
        help: "Link wizard pane",
    },
    Binding {
        keys: &[Key::ch('3')],
        cmd: Cmd::GoPane(2),
        hint: "",
        help: "Checker pane",
    },
    Binding {
        keys: &[Key::ch('q'), Key::ctrl('c')],
        cmd: Cmd::Quit,
        hint: "quit",
        help: "quit",
    },
    Binding {
        keys: &[Key::ctrl('z')],
        cmd: Cmd::Suspend,
        hint: "",
        help: "suspend (resume with `fg`)",
    },
];

/// Keys that still work while a text field has the focus (typing `q` must type a q).
pub const ALWAYS_KEYS: &[Binding] = &[
    Binding {
        keys: &[Key::ctrl('c')],
        cmd: Cmd::Quit,
        hint: "",
        help: "quit",
    },
    Binding {
        keys: &[Key::ctrl('z')],
        cmd: Cmd::Suspend,
        hint: "",
        help: "suspend (resume with `fg`)",
    },
];

/// Keys of the help overlay itself.
pub const HELP_KEYS: &[Binding] = &[
    Binding {
        keys: &[Key::plain(KeyCode::Esc), Key::ch('?'), Key::ch('q')],
        cmd: Cmd::Back,
        hint: "close help",
        help: "close this help",
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
        keys: &[Key::ctrl('c')],
        cmd: Cmd::Quit,
        hint: "",
        help: "quit",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_is_ignored_for_letters_but_ctrl_is_not() {
        let g = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert!(Key::ch('G').matches(&g));
        assert!(!Key::ch('g').matches(&g));
        let c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert!(Key::ctrl('c').matches(&c));
        assert!(!Key::ch('c').matches(&c));
        assert_eq!(lookup(GLOBAL_KEYS, &c), Some(Cmd::Quit));
    }
}
