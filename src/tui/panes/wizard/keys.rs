//! The Link wizard pane's key tables: they drive dispatch, the footer and `?` help alike.

use crate::tui::keymap::{Binding, Cmd, Key, WizardCmd};
use crossterm::event::KeyCode;

/// Keys while a text field is being edited (letters are typed).
pub const TEXT_KEYS: &[Binding] = &[
    Binding {
        keys: &[Key::plain(KeyCode::Enter)],
        cmd: Cmd::Open,
        hint: "submit",
        help: "submit the field (the URL: probe it and go on to the name; else Next, load, verify, export)",
    },
    Binding {
        keys: &[Key::plain(KeyCode::Down), Key::plain(KeyCode::Tab)],
        cmd: Cmd::NextField,
        hint: "field",
        help: "next field",
    },
    Binding {
        keys: &[Key::plain(KeyCode::Up), Key::plain(KeyCode::BackTab)],
        cmd: Cmd::PrevField,
        hint: "",
        help: "previous field",
    },
    Binding {
        keys: &[Key::plain(KeyCode::Esc)],
        cmd: Cmd::Back,
        hint: "done",
        help: "stop editing (Backspace on an empty field: previous step); nothing typed is lost",
    },
];

/// Keys while a button, choice or value has the focus.
pub const NAV_KEYS: &[Binding] = &[
    Binding {
        keys: &[Key::plain(KeyCode::Enter)],
        cmd: Cmd::Open,
        hint: "edit/do",
        help: "edit the field / press the button / change the choice / copy the value",
    },
    Binding {
        keys: &[Key::ch('j'), Key::plain(KeyCode::Down)],
        cmd: Cmd::NextField,
        hint: "",
        help: "next row",
    },
    Binding {
        keys: &[Key::ch('k'), Key::plain(KeyCode::Up)],
        cmd: Cmd::PrevField,
        hint: "",
        help: "previous row",
    },
    Binding {
        keys: &[Key::ch('c')],
        cmd: Cmd::Copy,
        hint: "copy",
        help: "copy the selected value (OSC 52); it is also shown in full to select by hand",
    },
    Binding {
        keys: &[Key::ch('n'), Key::plain(KeyCode::Right)],
        cmd: Cmd::Wizard(WizardCmd::NextStep),
        hint: "next step",
        help: "next step",
    },
    Binding {
        keys: &[Key::plain(KeyCode::Esc), Key::plain(KeyCode::Backspace)],
        cmd: Cmd::Back,
        hint: "back",
        help: "previous step; nothing entered is lost",
    },
    Binding {
        keys: &[Key::plain(KeyCode::PageDown)],
        cmd: Cmd::PageDown,
        hint: "",
        help: "scroll the step down (long keys, requests, notes)",
    },
    Binding {
        keys: &[Key::plain(KeyCode::PageUp)],
        cmd: Cmd::PageUp,
        hint: "",
        help: "scroll the step up",
    },
    Binding {
        keys: &[Key::ch(' ')],
        cmd: Cmd::Cycle,
        hint: "",
        help: "change the selected choice",
    },
    Binding {
        keys: &[Key::ch('g')],
        cmd: Cmd::Wizard(WizardCmd::Generate),
        hint: "",
        help: "Keys: generate a new key pair",
    },
    Binding {
        keys: &[Key::ch('s')],
        cmd: Cmd::Wizard(WizardCmd::Skip),
        hint: "",
        help: "Register/Create: registered by hand, skip to Authorize",
    },
    Binding {
        keys: &[Key::ch('A')],
        cmd: Cmd::Wizard(WizardCmd::Approve),
        hint: "",
        help: "Authorize (demo only): click Allow in the simulated Jira",
    },
    Binding {
        keys: &[Key::ch('r')],
        cmd: Cmd::Wizard(WizardCmd::NewToken),
        hint: "",
        help: "Authorize: request a new request token (OAuth 2.0: a new attempt)",
    },
    Binding {
        keys: &[Key::ch('x')],
        cmd: Cmd::Wizard(WizardCmd::Export),
        hint: "",
        help: "Verify: write the export file (mode 0600)",
    },
];

/// Keys of the "create the link now?" question.
pub const CONFIRM_KEYS: &[Binding] = &[
    Binding {
        keys: &[Key::ch('y'), Key::plain(KeyCode::Enter)],
        cmd: Cmd::Confirm,
        hint: "create it",
        help: "send the two requests with the admin connection",
    },
    Binding {
        keys: &[Key::ch('n'), Key::plain(KeyCode::Esc)],
        cmd: Cmd::Back,
        hint: "cancel",
        help: "do not create the link",
    },
];
