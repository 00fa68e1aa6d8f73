//! What changed between two audit runs (`--watch`, the TUI live checker).

use super::report::{ProjectRow, Report};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One permission that flipped in one project (`None` = not reported in that run).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionChange {
    /// Project key.
    pub project: String,
    /// Permission key.
    pub permission: String,
    /// Before.
    pub before: Option<bool>,
    /// After.
    pub after: Option<bool>,
}

/// Differences between two reports, every list sorted by project key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportDiff {
    /// Projects that were not ok and are now.
    pub newly_ok: Vec<String>,
    /// Projects that were ok and no longer are.
    pub newly_broken: Vec<String>,
    /// Per-permission flips in projects present in both runs.
    pub changes: Vec<PermissionChange>,
    /// Projects only in the new run.
    pub appeared: Vec<String>,
    /// Projects only in the old run.
    pub disappeared: Vec<String>,
}

impl ReportDiff {
    /// Nothing changed.
    pub fn is_empty(&self) -> bool {
        self.newly_ok.is_empty()
            && self.newly_broken.is_empty()
            && self.changes.is_empty()
            && self.appeared.is_empty()
            && self.disappeared.is_empty()
    }
}

/// Compare two runs in O(n log n): rows are indexed by key once (a per-key `Report::row` scan
/// would make every `--watch` round quadratic in the project count).
pub fn diff(old: &Report, new: &Report) -> ReportDiff {
    let mut d = ReportDiff::default();
    let old_rows: BTreeMap<&str, &ProjectRow> =
        old.projects.iter().map(|r| (r.key.as_str(), r)).collect();
    let new_rows: BTreeMap<&str, &ProjectRow> =
        new.projects.iter().map(|r| (r.key.as_str(), r)).collect();
    let old_keys: BTreeSet<&str> = old_rows.keys().copied().collect();
    let new_keys: BTreeSet<&str> = new_rows.keys().copied().collect();
    d.appeared = new_keys
        .difference(&old_keys)
        .map(|k| k.to_string())
        .collect();
    d.disappeared = old_keys
        .difference(&new_keys)
        .map(|k| k.to_string())
        .collect();
    for key in old_keys.intersection(&new_keys) {
        let (Some(o), Some(n)) = (old_rows.get(key), new_rows.get(key)) else {
            continue;
        };
        match (o.ok, n.ok) {
            (false, true) => d.newly_ok.push(key.to_string()),
            (true, false) => d.newly_broken.push(key.to_string()),
            _ => {}
        }
        let perms: BTreeSet<&String> = o.permissions.keys().chain(n.permissions.keys()).collect();
        for p in perms {
            let before = o.permissions.get(p).copied();
            let after = n.permissions.get(p).copied();
            if before != after {
                d.changes.push(PermissionChange {
                    project: key.to_string(),
                    permission: p.clone(),
                    before,
                    after,
                });
            }
        }
    }
    d
}
