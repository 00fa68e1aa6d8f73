//! The audit report: a stable JSON shape for monitoring (`serde` both ways) and the exit code.

use super::explain::PermissionVerdict;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How the audit got its answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    /// Only the subject's own connection: `mypermissions` per visible project.
    #[serde(rename = "self")]
    SelfCheck,
    /// An admin connection read the permission schemes and evaluated them.
    #[serde(rename = "admin-assisted")]
    AdminAssisted,
}

/// The audited user.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    /// Login name.
    pub name: String,
    /// Group names.
    pub groups: Vec<String>,
    /// Application role keys (when Jira expanded them).
    #[serde(default)]
    pub application_roles: Vec<String>,
}

/// The Jira the audit ran against.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JiraInfo {
    /// Version string, e.g. "10.3.19".
    pub version: Option<String>,
    /// "Server", "DataCenter" or "Cloud".
    pub deployment_type: Option<String>,
}

/// A project's permission scheme and how many others use it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemeRef {
    /// Scheme id (key into [`Report::schemes`]).
    pub id: String,
    /// Scheme name.
    pub name: String,
    /// How many OTHER audited projects use the same scheme (blast radius of a scheme edit).
    /// A count, not a list: a list on every row made the report quadratic in the project count;
    /// the keys are listed once per scheme in [`Report::schemes`].
    pub shared_with: usize,
}

/// One permission scheme and every audited project that uses it (listed once per report).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemeProjects {
    /// Scheme name.
    pub name: String,
    /// Keys of the audited projects using the scheme, sorted.
    pub projects: Vec<String>,
}

/// One project's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectRow {
    /// Project key.
    pub key: String,
    /// Project name.
    pub name: String,
    /// Whether the subject can see the project (holds Browse Projects).
    pub visible: bool,
    /// Required permission key → held.
    pub permissions: BTreeMap<String, bool>,
    /// All required permissions held and no error.
    pub ok: bool,
    /// The permission scheme (admin-assisted mode only).
    pub scheme: Option<SchemeRef>,
    /// Why not ok.
    pub reason: Option<String>,
    /// What to change.
    pub fix: Option<String>,
    /// What failed while gathering this row.
    pub error: Option<String>,
    /// Per-permission verdicts with grants, reasons and fixes (admin-assisted mode).
    #[serde(default)]
    pub details: Vec<PermissionVerdict>,
    /// Where the computed verdict and Jira's own `mypermissions` answer disagree.
    #[serde(default)]
    pub disagreements: Vec<String>,
}

impl ProjectRow {
    /// The short text of a table's last column: the error, the reason, or what else is worth
    /// knowing. One text for the CLI table and the TUI checker.
    pub fn note(&self) -> String {
        if let Some(e) = &self.error {
            return format!("error: {e}");
        }
        if let Some(reason) = &self.reason {
            return reason.clone();
        }
        if !self.disagreements.is_empty() {
            return format!("disagreement: {}", self.disagreements.join("; "));
        }
        if !self.visible {
            return "not visible".into();
        }
        String::new()
    }

    /// A row for a project whose data could not be gathered.
    pub fn failed(key: &str, name: &str, error: String) -> Self {
        Self {
            key: key.to_string(),
            name: name.to_string(),
            visible: false,
            permissions: BTreeMap::new(),
            ok: false,
            scheme: None,
            reason: None,
            fix: None,
            error: Some(error),
            details: Vec::new(),
            disagreements: Vec::new(),
        }
    }
}

/// Totals over the rows; the categories do not overlap (error > invisible > missing > ok).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Rows.
    pub projects: usize,
    /// Every required permission held.
    pub ok: usize,
    /// Visible but some required permission missing.
    pub missing: usize,
    /// Not visible to the subject.
    pub invisible: usize,
    /// Could not be checked.
    pub errors: usize,
}

impl Summary {
    /// Count the rows.
    pub fn of(rows: &[ProjectRow]) -> Self {
        let mut s = Summary {
            projects: rows.len(),
            ..Default::default()
        };
        for r in rows {
            if r.error.is_some() {
                s.errors += 1;
            } else if !r.visible {
                s.invisible += 1;
            } else if r.ok {
                s.ok += 1;
            } else {
                s.missing += 1;
            }
        }
        s
    }
}

/// The result of one audit run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Connection name(s) the audit used.
    pub connection: String,
    /// "self" or "admin-assisted".
    pub mode: Mode,
    /// The audited user.
    pub user: UserInfo,
    /// The Jira audited.
    pub jira: JiraInfo,
    /// Required permission keys.
    pub required: Vec<String>,
    /// One row per project, sorted by key.
    pub projects: Vec<ProjectRow>,
    /// Scheme id → the scheme's audited projects (admin-assisted mode; empty in self mode).
    #[serde(default)]
    pub schemes: BTreeMap<String, SchemeProjects>,
    /// Totals.
    pub summary: Summary,
    /// Caveats and hand-offs (e.g. what an admin connection would add).
    pub notes: Vec<String>,
    /// HTTP requests the run made, as the clients sent them (pages and retries included); in
    /// admin-assisted mode the fix planner's reads after the audit are included.
    #[serde(default)]
    pub requests: u64,
}

impl Report {
    /// 0 when every required permission holds on every checked project, 1 otherwise (missing,
    /// invisible or not checkable).
    pub fn exit_code(&self) -> u8 {
        u8::from(self.projects.iter().any(|r| !r.ok))
    }

    /// The row for a project key.
    pub fn row(&self, key: &str) -> Option<&ProjectRow> {
        self.projects.iter().find(|r| r.key == key)
    }

    /// The audited projects other than `key` that use the scheme `scheme_id` (empty when unknown).
    pub fn shared_with<'a>(
        &'a self,
        scheme_id: &str,
        key: &'a str,
    ) -> impl Iterator<Item = &'a String> + 'a {
        self.schemes
            .get(scheme_id)
            .map(|s| s.projects.as_slice())
            .unwrap_or_default()
            .iter()
            .filter(move |k| *k != key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str, visible: bool, ok: bool, error: bool) -> ProjectRow {
        let mut r = ProjectRow::failed(key, key, "x".into());
        if !error {
            r.error = None;
        }
        r.visible = visible;
        r.ok = ok;
        r
    }

    #[test]
    fn summary_categories_are_disjoint() {
        let rows = vec![
            row("A", true, true, false),
            row("B", true, false, false),
            row("C", false, false, false),
            row("D", false, false, true),
        ];
        let s = Summary::of(&rows);
        assert_eq!(
            s,
            Summary {
                projects: 4,
                ok: 1,
                missing: 1,
                invisible: 1,
                errors: 1
            }
        );
    }

    #[test]
    fn mode_serializes_as_documented() {
        assert_eq!(serde_json::to_string(&Mode::SelfCheck).unwrap(), "\"self\"");
        assert_eq!(
            serde_json::to_string(&Mode::AdminAssisted).unwrap(),
            "\"admin-assisted\""
        );
    }
}
