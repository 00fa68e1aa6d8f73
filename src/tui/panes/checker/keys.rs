//! The checker's key tables, one per mode: dispatch, the footer and the `?` help all read them.

use crate::tui::keymap::{Binding, Cmd, Key};
use crossterm::event::KeyCode;

/// Keys of the setup form (not typing).
pub const SETUP_KEYS: &[Binding] = &[
    Binding {
        keys: &[Key::ch('j'), Key::plain(KeyCode::Down)],
        cmd: Cmd::NextField,
        hint: "",
        help: "next field",
    },
    Binding {
        keys: &[Key::ch('k'), Key::plain(KeyCode::Up)],
        cmd: Cmd::PrevField,
        hint: "",
        help: "previous field",
    },
    Binding {
        keys: &[
            Key::ch(' '),
            Key::plain(KeyCode::Left),
            Key::plain(KeyCode::Right),
        ],
        cmd: Cmd::Cycle,
        hint: "choose",
        help: "change a connection choice",
    },
    Binding {
        keys: &[Key::plain(KeyCode::Enter)],
        cmd: Cmd::Edit,
        hint: "edit",
        help: "edit a text field (Enter keeps, Esc restores)",
    },
    Binding {
        keys: &[Key::ch('r'), Key::ctrl('r')],
        cmd: Cmd::Refresh,
        hint: "run audit",
        help: "run the audit with these choices",
    },
    Binding {
        keys: &[Key::plain(KeyCode::Esc)],
        cmd: Cmd::Back,
        hint: "",
        help: "back to the results",
    },
];

/// Keys while a setup text field is being edited.
pub const EDIT_KEYS: &[Binding] = &[
    Binding {
        keys: &[Key::plain(KeyCode::Enter)],
        cmd: Cmd::ApplyFilter,
        hint: "keep",
        help: "keep the typed value",
    },
    Binding {
        keys: &[Key::plain(KeyCode::Esc)],
        cmd: Cmd::Back,
        hint: "undo",
        help: "restore the value from before",
    },
];

/// Keys of the results table.
pub const TABLE_KEYS: &[Binding] = &[
    Binding {
        keys: &[Key::ch('j'), Key::plain(KeyCode::Down)],
        cmd: Cmd::Down,
        hint: "",
        help: "next project",
    },
    Binding {
        keys: &[Key::ch('k'), Key::plain(KeyCode::Up)],
        cmd: Cmd::Up,
        hint: "",
        help: "previous project",
    },
    Binding {
        keys: &[Key::plain(KeyCode::PageDown), Key::ctrl('f')],
        cmd: Cmd::PageDown,
        hint: "",
        help: "one page down",
    },
    Binding {
        keys: &[Key::plain(KeyCode::PageUp), Key::ctrl('b')],
        cmd: Cmd::PageUp,
        hint: "",
        help: "one page up",
    },
    Binding {
        keys: &[Key::ch('g'), Key::plain(KeyCode::Home)],
        cmd: Cmd::Top,
        hint: "",
        help: "first project",
    },
    Binding {
        keys: &[Key::ch('G'), Key::plain(KeyCode::End)],
        cmd: Cmd::Bottom,
        hint: "",
        help: "last project",
    },
    Binding {
        keys: &[Key::plain(KeyCode::Enter)],
        cmd: Cmd::Open,
        hint: "explain",
        help: "why: grants, reason, fix with menu path and blast radius",
    },
    Binding {
        keys: &[Key::ch('/')],
        cmd: Cmd::Filter,
        hint: "filter",
        help: "filter by key, name or scheme",
    },
    Binding {
        keys: &[Key::ch('s')],
        cmd: Cmd::Sort,
        hint: "sort",
        help: "sort by the next column (key, name, scheme, status, each permission)",
    },
    Binding {
        keys: &[Key::ch('p')],
        cmd: Cmd::ToggleProblems,
        hint: "problems",
        help: "show only projects with a problem / everything",
    },
    Binding {
        keys: &[Key::ch('w')],
        cmd: Cmd::ToggleLive,
        hint: "live",
        help: "live mode: re-run on the interval, highlight what changed",
    },
    Binding {
        keys: &[Key::ch('l')],
        cmd: Cmd::ChangeLog,
        hint: "log",
        help: "the change log of live mode",
    },
    Binding {
        keys: &[Key::ch('x')],
        cmd: Cmd::ExportJson,
        hint: "export",
        help: "export the report as JSON (a new 0600 file)",
    },
    Binding {
        keys: &[Key::ch('X')],
        cmd: Cmd::ExportCsv,
        hint: "",
        help: "export the report as CSV (a new 0600 file)",
    },
    Binding {
        keys: &[Key::ch('r'), Key::ctrl('r')],
        cmd: Cmd::Refresh,
        hint: "re-run",
        help: "run the audit again",
    },
    Binding {
        keys: &[Key::ch('e')],
        cmd: Cmd::Edit,
        hint: "setup",
        help: "change connections and permissions",
    },
    Binding {
        keys: &[Key::plain(KeyCode::Esc)],
        cmd: Cmd::Back,
        hint: "",
        help: "cancel the running audit, else clear the filter",
    },
];

/// Keys of the explanation and change-log views.
pub const DETAIL_KEYS: &[Binding] = &[
    Binding {
        keys: &[Key::plain(KeyCode::Esc), Key::ch('l')],
        cmd: Cmd::Back,
        hint: "back",
        help: "back to the table",
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
        keys: &[Key::ch('c')],
        cmd: Cmd::Copy,
        hint: "copy fix",
        help: "copy the fix (OSC 52, also shown)",
    },
];

/// Keys in a project's explanation: the detail keys plus the fix flow.
pub const EXPLAIN_KEYS: &[Binding] = &[
    Binding {
        keys: &[Key::plain(KeyCode::Esc), Key::ch('l')],
        cmd: Cmd::Back,
        hint: "back",
        help: "back to the table (or cancel the fix confirmation)",
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
        keys: &[Key::ch('c')],
        cmd: Cmd::Copy,
        hint: "copy fix",
        help: "copy the fix (OSC 52, also shown)",
    },
    Binding {
        keys: &[Key::ch('f')],
        cmd: Cmd::FixPlan,
        hint: "plan fix",
        help: "plan the least-privilege fix: the changes, their exact gains, the alternatives (needs an admin connection)",
    },
    Binding {
        keys: &[Key::ch('y')],
        cmd: Cmd::Confirm,
        hint: "apply",
        help: "apply the planned fix through Jira's REST API (asks first), then re-audit",
    },
    Binding {
        keys: &[Key::ch('u')],
        cmd: Cmd::FixUndo,
        hint: "undo fix",
        help: "undo the last fix applied here (its journal; asks first), then re-audit",
    },
];

/// Keys while typing the filter.
pub const FILTER_KEYS: &[Binding] = &[
    Binding {
        keys: &[Key::plain(KeyCode::Enter)],
        cmd: Cmd::ApplyFilter,
        hint: "apply",
        help: "keep the filter and go back to the table",
    },
    Binding {
        keys: &[Key::plain(KeyCode::Esc)],
        cmd: Cmd::Back,
        hint: "clear",
        help: "clear the filter",
    },
];
