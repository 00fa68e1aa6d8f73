//! The journal of an applied fix: each change made, with the ids Jira gave it and the call that
//! undoes it, saved as JSON (0600) in the state directory so `jiralink fix --undo ID` can revert
//! exactly that run.

use super::{ActorRef, Change, Triple};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// One applied change and how to undo it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "undo", rename_all = "snake_case")]
pub enum JournalEntry {
    /// A role was created: `DELETE /rest/api/2/role/{role_id}`.
    DeleteRole {
        /// The created role's id.
        role_id: String,
        /// Its name.
        name: String,
    },
    /// A grant was added: `DELETE /rest/api/2/permissionscheme/{scheme_id}/permission/{grant_id}`.
    DeleteGrant {
        /// Scheme id.
        scheme_id: String,
        /// The created grant's id.
        grant_id: String,
        /// Permission key (for people).
        permission: String,
    },
    /// An actor was added: `DELETE /rest/api/2/project/{project}/role/{role_id}?user=|group=`.
    RemoveRoleActor {
        /// Project key.
        project: String,
        /// Role id.
        role_id: String,
        /// The actor.
        #[serde(flatten)]
        actor: ActorRef,
    },
}

impl JournalEntry {
    /// The REST call that undoes the change.
    pub fn rest_call(&self) -> String {
        match self {
            JournalEntry::DeleteRole { role_id, .. } => {
                format!("DELETE /rest/api/2/role/{role_id}")
            }
            JournalEntry::DeleteGrant {
                scheme_id,
                grant_id,
                ..
            } => format!("DELETE /rest/api/2/permissionscheme/{scheme_id}/permission/{grant_id}"),
            JournalEntry::RemoveRoleActor {
                project,
                role_id,
                actor,
            } => {
                let (k, v) = match actor {
                    ActorRef::User(u) => ("user", u),
                    ActorRef::Group(g) => ("group", g),
                };
                format!("DELETE /rest/api/2/project/{project}/role/{role_id}?{k}={v}")
            }
        }
    }
}

/// A run's journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    /// The id `--undo` takes.
    pub id: String,
    /// When it was applied (RFC 3339, UTC).
    pub created: String,
    /// The admin connection used.
    pub admin: String,
    /// Jira's base URL.
    pub base_url: String,
    /// The audited user.
    pub subject: String,
    /// The planned changes.
    pub changes: Vec<Change>,
    /// What was applied, in order, with its undo (reverted in reverse order).
    pub applied: Vec<JournalEntry>,
    /// The gains the plan stated.
    pub gains: Vec<Triple>,
    /// Set once the journal was undone.
    #[serde(default)]
    pub undone: Option<String>,
}

/// The directory journals live in, under the state directory.
pub fn dir_in(state_dir: &Path) -> PathBuf {
    state_dir.join("fixes")
}

/// A new journal id: UTC time plus a random suffix, e.g. `20261204T221500Z-3f9a`.
pub fn new_id() -> String {
    use rand::Rng;
    let now = time::OffsetDateTime::now_utc();
    let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    format!(
        "{}-{:04x}",
        now.format(&fmt).unwrap_or_default(),
        rand::thread_rng().gen::<u16>()
    )
}

/// RFC 3339 now.
pub fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn path_in(dir: &Path, id: &str) -> Result<PathBuf, String> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(format!(
            "'{id}' is not a fix journal id (expected e.g. 20261204T221500Z-3f9a)"
        ));
    }
    Ok(dir.join(format!("{id}.json")))
}

impl Journal {
    /// Write atomically, mode 0600 (directory 0700), in `dir`.
    pub fn save_in(&self, dir: &Path) -> Result<PathBuf, String> {
        let path = path_in(dir, &self.id)?;
        let body = serde_json::to_vec_pretty(self).map_err(|e| e.to_string())?;
        crate::paths::write_secret_file(&path, &body)
            .map_err(|e| format!("cannot write the fix journal {}: {e}", path.display()))?;
        Ok(path)
    }

    /// The most recently applied journal in `dir` with something left to undo (for `--undo last`).
    pub fn latest_in(dir: &Path) -> Result<Journal, String> {
        let none = || {
            format!(
                "no applied fix with anything left to undo in {}",
                dir.display()
            )
        };
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(none()),
            Err(e) => return Err(format!("cannot read {}: {e}", dir.display())),
        };
        entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let id = name.strip_suffix(".json")?.to_string();
                Journal::load_in(dir, &id).ok()
            })
            .filter(|j| !j.applied.is_empty())
            .max_by(|a, b| a.created.cmp(&b.created).then(a.id.cmp(&b.id)))
            .ok_or_else(none)
    }

    /// Read journal `id` from `dir`; `last` is the most recent one with something left to undo.
    pub fn load_in(dir: &Path, id: &str) -> Result<Journal, String> {
        if id == "last" {
            return Journal::latest_in(dir);
        }
        let path = path_in(dir, id)?;
        let body = std::fs::read(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!(
                "no fix journal {id} in {} (the id is printed after `undo:` when a fix is applied)",
                dir.display()
            ),
            _ => format!("cannot read {}: {e}", path.display()),
        })?;
        serde_json::from_slice(&body)
            .map_err(|e| format!("{} is not a fix journal: {e}", path.display()))
    }
}
