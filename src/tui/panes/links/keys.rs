//! The links view's key tables: they drive dispatch, the footer and `?` help alike.

use crate::tui::keymap::{Binding, Cmd, Key};
use crossterm::event::KeyCode;

/// Keys of the link list.
pub const LINKS_KEYS: &[Binding] = &[
    Binding {
        keys: &[Key::ch('j'), Key::plain(KeyCode::Down)],
        cmd: Cmd::Down,
        hint: "",
        help: "next link",
    },
    Binding {
        keys: &[Key::ch('k'), Key::plain(KeyCode::Up)],
        cmd: Cmd::Up,
        hint: "",
        help: "previous link",
    },
    Binding {
        keys: &[Key::ch('g'), Key::plain(KeyCode::Home)],
        cmd: Cmd::Top,
        hint: "",
        help: "first link",
    },
    Binding {
        keys: &[Key::ch('G'), Key::plain(KeyCode::End)],
        cmd: Cmd::Bottom,
        hint: "",
        help: "last link",
    },
    Binding {
        keys: &[Key::plain(KeyCode::Enter)],
        cmd: Cmd::Open,
        hint: "details",
        help: "details: status from Jira, authentication, migration steps",
    },
    Binding {
        keys: &[Key::ch('r'), Key::ctrl('r')],
        cmd: Cmd::Refresh,
        hint: "reload",
        help: "list the links again (asks Jira for every status)",
    },
    Binding {
        keys: &[Key::ch('c')],
        cmd: Cmd::Copy,
        hint: "",
        help: "copy the selected link's details (OSC 52)",
    },
    Binding {
        keys: &[Key::plain(KeyCode::Esc)],
        cmd: Cmd::Back,
        hint: "back",
        help: "cancel the listing while it runs, else back to the connections",
    },
];

/// Keys while the details strip is open.
pub const LINKS_DETAIL_KEYS: &[Binding] = &[
    Binding {
        keys: &[Key::plain(KeyCode::Esc), Key::plain(KeyCode::Enter)],
        cmd: Cmd::Back,
        hint: "close",
        help: "close the details (Esc while listing: cancel)",
    },
    Binding {
        keys: &[Key::ch('j'), Key::plain(KeyCode::Down)],
        cmd: Cmd::Down,
        hint: "",
        help: "next link (the details follow)",
    },
    Binding {
        keys: &[Key::ch('k'), Key::plain(KeyCode::Up)],
        cmd: Cmd::Up,
        hint: "",
        help: "previous link",
    },
    Binding {
        keys: &[Key::plain(KeyCode::PageDown), Key::ch(' ')],
        cmd: Cmd::PageDown,
        hint: "scroll",
        help: "scroll the details down",
    },
    Binding {
        keys: &[Key::plain(KeyCode::PageUp), Key::ch('b')],
        cmd: Cmd::PageUp,
        hint: "",
        help: "scroll the details up",
    },
    Binding {
        keys: &[Key::ch('r'), Key::ctrl('r')],
        cmd: Cmd::Refresh,
        hint: "reload",
        help: "list the links again",
    },
    Binding {
        keys: &[Key::ch('c')],
        cmd: Cmd::Copy,
        hint: "copy",
        help: "copy these details, migration steps included (OSC 52, also shown)",
    },
];
