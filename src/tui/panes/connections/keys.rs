//! The Connections pane's key tables: they drive dispatch, the footer and `?` help alike.

use crate::tui::keymap::{Binding, Cmd, Key};
use crossterm::event::KeyCode;

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
        keys: &[Key::ch('L')],
        cmd: Cmd::Links,
        hint: "links",
        help: "this Jira's application links (admin connections only)",
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
        keys: &[Key::ch('L')],
        cmd: Cmd::Links,
        hint: "links",
        help: "this Jira's application links (admin connections only)",
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
