//! The checker table's row index: which report rows are shown, in which order. Built when the
//! report, the filter, the sort or the problems toggle changes — never while drawing — so a frame
//! costs only the rows on screen, whatever the project count.

use crate::audit::{ProjectRow, Report, ReportDiff};
use std::cmp::Ordering;
use std::collections::HashSet;

/// The column the table is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// Project key (the report's own order).
    #[default]
    Key,
    /// Project name.
    Name,
    /// Permission scheme name.
    Scheme,
    /// Problems first: errors, invisible, missing, then ok.
    Status,
    /// Missing first for the required permission at this index.
    Permission(usize),
}

impl SortKey {
    /// The next column in the `s` cycle.
    pub fn next(self, permissions: usize) -> Self {
        match self {
            SortKey::Key => SortKey::Name,
            SortKey::Name => SortKey::Scheme,
            SortKey::Scheme => SortKey::Status,
            SortKey::Status if permissions > 0 => SortKey::Permission(0),
            SortKey::Permission(i) if i + 1 < permissions => SortKey::Permission(i + 1),
            SortKey::Status | SortKey::Permission(_) => SortKey::Key,
        }
    }

    /// How the title names it.
    pub fn label(self, required: &[String]) -> String {
        match self {
            SortKey::Key => "key".into(),
            SortKey::Name => "name".into(),
            SortKey::Scheme => "scheme".into(),
            SortKey::Status => "status".into(),
            SortKey::Permission(i) => required
                .get(i)
                .map(|p| format!("{p} missing first"))
                .unwrap_or_else(|| "key".into()),
        }
    }
}

/// A row worth attention: not ok, or the cross-check disagreed.
pub fn is_problem(r: &ProjectRow) -> bool {
    !r.ok || !r.disagreements.is_empty()
}

/// 0 error, 1 invisible, 2 missing, 3 ok: the order the status sort shows them in.
fn status_rank(r: &ProjectRow) -> u8 {
    if r.error.is_some() {
        0
    } else if !r.visible {
        1
    } else if !r.ok {
        2
    } else {
        3
    }
}

/// Does the row match a lower-case filter (key, name or scheme, substring)?
fn matches(r: &ProjectRow, needle: &str) -> bool {
    needle.is_empty()
        || r.key.to_lowercase().contains(needle)
        || r.name.to_lowercase().contains(needle)
        || r.scheme
            .as_ref()
            .is_some_and(|s| s.name.to_lowercase().contains(needle))
}

/// Indices into `report.projects` to show, filtered and sorted (ties broken by project key).
pub fn build(report: &Report, filter: &str, problems_only: bool, sort: SortKey) -> Vec<usize> {
    let needle = filter.trim().to_lowercase();
    let rows = &report.projects;
    let mut out: Vec<usize> = (0..rows.len())
        .filter(|&i| (!problems_only || is_problem(&rows[i])) && matches(&rows[i], &needle))
        .collect();
    let by_key = |a: &ProjectRow, b: &ProjectRow| a.key.cmp(&b.key);
    let scheme = |r: &ProjectRow| r.scheme.as_ref().map(|s| s.name.to_lowercase());
    out.sort_by(|&a, &b| {
        let (a, b) = (&rows[a], &rows[b]);
        let first = match sort {
            SortKey::Key => Ordering::Equal,
            SortKey::Name => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            SortKey::Scheme => scheme(a).cmp(&scheme(b)),
            SortKey::Status => status_rank(a).cmp(&status_rank(b)),
            SortKey::Permission(i) => {
                let held = |r: &ProjectRow| {
                    report
                        .required
                        .get(i)
                        .and_then(|p| r.permissions.get(p).copied())
                };
                // None (unknown) < Some(false) < Some(true): gaps first.
                held(a).cmp(&held(b))
            }
        };
        first.then_with(|| by_key(a, b))
    });
    out
}

/// Project keys that changed between two runs (verdict flips, appeared projects).
pub fn changed_keys(diff: &ReportDiff) -> HashSet<String> {
    diff.newly_ok
        .iter()
        .chain(&diff.newly_broken)
        .chain(&diff.appeared)
        .cloned()
        .chain(diff.changes.iter().map(|c| c.project.clone()))
        .collect()
}

/// Column widths that depend on the whole report, computed once per report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Widths {
    /// KEY column.
    pub key: u16,
    /// NAME column (at most 30).
    pub name: u16,
    /// SCHEME column; 0 when no row has a scheme (self mode).
    pub scheme: u16,
}

impl Widths {
    /// Measure `report`.
    pub fn of(report: &Report) -> Self {
        let widest = |it: &mut dyn Iterator<Item = usize>, lo: usize, hi: usize| {
            it.max().unwrap_or(lo).clamp(lo, hi) as u16
        };
        let rows = &report.projects;
        let has_scheme = rows.iter().any(|r| r.scheme.is_some());
        Widths {
            key: widest(&mut rows.iter().map(|r| r.key.chars().count()), 3, 12),
            name: widest(&mut rows.iter().map(|r| r.name.chars().count()), 4, 30),
            scheme: if has_scheme {
                widest(
                    &mut rows
                        .iter()
                        .filter_map(|r| r.scheme.as_ref().map(|s| s.name.chars().count())),
                    6,
                    26,
                )
            } else {
                0
            },
        }
    }
}

/// Header of a permission column: its first word ("BROWSE"), the full key when that is ambiguous.
pub fn permission_labels(required: &[String]) -> Vec<String> {
    let first = |k: &String| k.split('_').next().unwrap_or(k).to_string();
    required
        .iter()
        .map(|k| {
            let short = first(k);
            if required.iter().filter(|o| first(o) == short).count() > 1 {
                k.clone()
            } else {
                short
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{JiraInfo, Mode, Summary, UserInfo};
    use std::collections::BTreeMap;

    fn row(key: &str, name: &str, browse: Option<bool>, visible: bool) -> ProjectRow {
        let mut permissions = BTreeMap::new();
        if let Some(b) = browse {
            permissions.insert("BROWSE_PROJECTS".to_string(), b);
        }
        ProjectRow {
            key: key.into(),
            name: name.into(),
            visible,
            ok: browse == Some(true),
            permissions,
            scheme: None,
            reason: None,
            fix: None,
            error: None,
            details: vec![],
            disagreements: vec![],
        }
    }

    fn report(rows: Vec<ProjectRow>) -> Report {
        Report {
            connection: "c".into(),
            mode: Mode::SelfCheck,
            user: UserInfo::default(),
            jira: JiraInfo::default(),
            required: vec!["BROWSE_PROJECTS".into()],
            summary: Summary::of(&rows),
            projects: rows,
            schemes: BTreeMap::new(),
            notes: vec![],
            requests: 0,
        }
    }

    #[test]
    fn filter_sort_and_problems() {
        let r = report(vec![
            row("AAA", "zeta", Some(true), true),
            row("BBB", "Alpha", Some(false), true),
            row("CCC", "beta", None, false),
        ]);
        assert_eq!(build(&r, "", false, SortKey::Key), vec![0, 1, 2]);
        assert_eq!(build(&r, "", false, SortKey::Name), vec![1, 2, 0]);
        assert_eq!(build(&r, "", false, SortKey::Status), vec![2, 1, 0]);
        assert_eq!(build(&r, "", false, SortKey::Permission(0)), vec![2, 1, 0]);
        assert_eq!(build(&r, "", true, SortKey::Key), vec![1, 2]);
        assert_eq!(build(&r, " ALP ", false, SortKey::Key), vec![1]);
        assert_eq!(build(&r, "bb", false, SortKey::Key), vec![1]);
    }

    #[test]
    fn sort_cycle_visits_every_permission_and_returns() {
        let mut s = SortKey::Key;
        let mut seen = vec![s];
        for _ in 0..5 {
            s = s.next(2);
            seen.push(s);
        }
        assert_eq!(
            seen,
            vec![
                SortKey::Key,
                SortKey::Name,
                SortKey::Scheme,
                SortKey::Status,
                SortKey::Permission(0),
                SortKey::Permission(1)
            ]
        );
        assert_eq!(s.next(2), SortKey::Key);
        assert_eq!(SortKey::Status.next(0), SortKey::Key);
    }

    #[test]
    fn labels_and_widths() {
        let l = permission_labels(&["BROWSE_PROJECTS".into(), "EDIT_ISSUES".into()]);
        assert_eq!(l, vec!["BROWSE", "EDIT"]);
        let r = report(vec![row("PROJECTKEYLONGER", "n", None, false)]);
        let w = Widths::of(&r);
        assert_eq!((w.key, w.name, w.scheme), (12, 4, 0));
    }
}
