//! Every message the TUI reacts to (`Action`) and every piece of work it asks for (`Effect`).
//! State changes only through actions; work happens only through effects.

use super::effects::AuditJob;
pub use super::panes::checker::CheckerMsg;
pub use super::panes::connections::ConnectionsMsg;
pub use super::panes::wizard::WizardMsg;
use crate::audit::export::ReportFormat;
use crate::audit::fix::{FixJob, Plan};
use crate::audit::Report;
use crate::config::{Connection, Defaults};
use crossterm::event::KeyEvent;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// Identifies one spawned piece of work, so a late answer to an old question can be recognised and dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// Hands out fresh request ids.
#[derive(Debug, Default)]
pub struct RequestIds(u64);

impl RequestIds {
    /// The next unused id.
    pub fn next_id(&mut self) -> RequestId {
        self.0 += 1;
        RequestId(self.0)
    }
}

/// Pasted text. It may be a password, so `Debug` shows only its length.
pub struct PastedText(pub String);

impl fmt::Debug for PastedText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PastedText({} chars)", self.0.chars().count())
    }
}

/// A message into `App::update`.
#[derive(Debug)]
pub enum Action {
    /// A key was pressed.
    Key(KeyEvent),
    /// Text was pasted (bracketed paste).
    Paste(PastedText),
    /// The terminal is now this many columns and rows: a redraw (and the help scroll limit).
    Resize(u16, u16),
    /// Time passed (spinner frames, periodic re-checks).
    Tick(Instant),
    /// SIGTERM / SIGHUP: leave cleanly so the terminal is restored.
    Terminate,
    /// A Connections pane message (pane 1).
    Connections(ConnectionsMsg),
    /// A Link wizard pane message (pane 2).
    Wizard(WizardMsg),
    /// A checker pane message (pane 3).
    Checker(CheckerMsg),
}

/// Work `update` asks the loop to do; results come back as actions.
#[derive(Debug)]
pub enum Effect {
    /// Read the config file.
    LoadConfig { req: RequestId, path: PathBuf },
    /// Check one connection.
    Check {
        req: RequestId,
        connection: Box<Connection>,
        defaults: Defaults,
    },
    /// Add a connection or replace the one named `replaces`, then save atomically.
    SaveConnection {
        req: RequestId,
        path: PathBuf,
        replaces: Option<String>,
        connection: Box<Connection>,
    },
    /// Remove a connection, then save atomically.
    DeleteConnection {
        req: RequestId,
        path: PathBuf,
        name: String,
    },
    // --- Link wizard (wizard pane) ---
    /// Run one link-wizard effect with a snapshot of the wizard → [`Action::WizardResult`].
    Wizard {
        req: RequestId,
        ctx: crate::tui::effects::WizardCtx,
        wizard: Box<crate::wizard::Wizard>,
        effect: crate::wizard::WizardEffect,
    },
    /// Save the linked connection → [`Action::LinkedSaved`].
    SaveLinked {
        req: RequestId,
        ctx: crate::tui::effects::WizardCtx,
        wizard: Box<crate::wizard::Wizard>,
    },
    /// Store a pasted PEM private key → [`Action::KeyImported`].
    ImportKeyPem {
        req: RequestId,
        path: PathBuf,
        pem: secrecy::SecretString,
    },
    /// Send the app's browser (see [`crate::tui::effects::Browser`]) to the authorize URL to log
    /// in and click Allow → [`Action::Approved`].
    Approve { req: RequestId, url: String },
    /// Abandon a running request (its answer would be stale anyway).
    Cancel(RequestId),
    /// List the application links of the Jira behind `admin`, matched to `connections` →
    /// [`ConnectionsMsg::LinksLoaded`].
    Links {
        req: RequestId,
        admin: Box<Connection>,
        connections: Vec<Connection>,
        defaults: Defaults,
    },
    // --- Checker pane ---
    /// Run an audit; progress and the result come back as actions.
    Audit { req: RequestId, job: Box<AuditJob> },
    /// Write a report to a new 0600 file in `dir`.
    ExportReport {
        req: RequestId,
        report: Arc<Report>,
        format: ReportFormat,
        dir: PathBuf,
    },
    /// Plan a least-privilege fix → [`Action::FixPlanned`].
    PlanFix { req: RequestId, job: Box<FixJob> },
    /// Apply a plan through the admin connection, journal in `dir` → [`Action::FixProgress`]s
    /// and [`Action::FixApplied`].
    ApplyFix {
        req: RequestId,
        job: Box<AuditJob>,
        plan: Box<Plan>,
        dir: PathBuf,
    },
    /// Undo journal `id` in `dir` → [`Action::FixUndone`].
    UndoFix {
        req: RequestId,
        job: Box<AuditJob>,
        dir: PathBuf,
        id: String,
    },
    /// Copy text to the system clipboard through the terminal (OSC 52).
    Copy(String),
    /// Suspend the process (Ctrl-Z).
    Suspend,
    /// Leave the event loop.
    Quit,
}
