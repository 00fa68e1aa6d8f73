//! The explanation of one project's verdicts (Enter in the checker): the reason, each required
//! permission's grants, the fix with its menu path and blast radius, disagreements, errors.

use crate::audit::{ProjectRow, Report};
use crate::tui::theme::Theme;
use ratatui::text::{Line, Span};

/// At most this many projects are named in a blast radius; the count is always given.
const BLAST_NAMES: usize = 8;

/// "A, B, C, … 7 more": the first `max` of `total` names.
fn list<'a>(names: impl Iterator<Item = &'a String>, total: usize, max: usize) -> String {
    let mut s = names.take(max).cloned().collect::<Vec<_>>().join(", ");
    if total > max {
        s.push_str(&format!(", … {} more", total - max));
    }
    s
}

/// The explanation as lines (wrapped by the view).
pub fn explanation(row: &ProjectRow, report: &Report, theme: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let head = |s: &str| Line::styled(s.to_string(), theme.accent());
    let (sym, style, verdict) = if row.error.is_some() {
        (theme.sym_warn(), theme.warn(), "could not be checked")
    } else if row.ok {
        (
            theme.sym_ok(),
            theme.ok(),
            "every required permission holds",
        )
    } else if !row.visible {
        (theme.sym_fail(), theme.error(), "not visible to the user")
    } else {
        (
            theme.sym_fail(),
            theme.error(),
            "a required permission is missing",
        )
    };
    out.push(Line::from(vec![
        Span::styled(format!("{} {} ", row.key, row.name), theme.accent()),
        Span::styled(format!("{sym} {verdict}"), style),
    ]));
    out.push(Line::raw(format!(
        "user {} · {} · Jira {}",
        report.user.name,
        match report.mode {
            crate::audit::Mode::SelfCheck => "self mode",
            crate::audit::Mode::AdminAssisted => "admin-assisted",
        },
        report.jira.version.as_deref().unwrap_or("version unknown")
    )));
    // The row carries only the count; the names come from the report's one list per scheme.
    let shared =
        |id: &str, count: usize| list(report.shared_with(id, &row.key), count, BLAST_NAMES);
    if let Some(s) = &row.scheme {
        out.push(Line::raw(format!(
            "scheme '{}' (id {}), shared with {} other project(s){}",
            s.name,
            s.id,
            s.shared_with,
            if s.shared_with == 0 {
                String::new()
            } else {
                format!(": {}", shared(&s.id, s.shared_with))
            }
        )));
    }
    if let Some(e) = &row.error {
        out.push(Line::raw(""));
        out.push(head("Error"));
        out.push(Line::styled(e.clone(), theme.warn()));
    }
    if let Some(r) = &row.reason {
        out.push(Line::raw(""));
        out.push(head("Why"));
        out.push(Line::raw(r.clone()));
    }
    out.push(Line::raw(""));
    out.push(head("Permissions"));
    for p in &report.required {
        let held = row.permissions.get(p).copied();
        let (sym, style, word) = match held {
            Some(true) => (theme.sym_ok(), theme.ok(), "granted"),
            Some(false) => (theme.sym_fail(), theme.error(), "missing"),
            None => (theme.sym_unknown(), theme.warn(), "not known"),
        };
        out.push(Line::from(vec![
            Span::styled(format!("{sym} {p}"), style),
            Span::raw(format!(" — {word}")),
        ]));
        let Some(v) = row.details.iter().find(|d| &d.permission == p) else {
            continue;
        };
        for via in &v.via {
            out.push(Line::raw(format!("    via {via}")));
        }
        if v.issue_level {
            out.push(Line::raw(
                "    only through issue-level holders (reporter, assignee, custom field)",
            ));
        }
        for u in &v.unresolved {
            out.push(Line::styled(
                format!("    could not evaluate: {u}"),
                theme.warn(),
            ));
        }
        if let Some(reason) = &v.reason {
            out.push(Line::raw(format!("    why: {reason}")));
        }
        if let Some(fix) = &v.fix {
            out.push(Line::styled(format!("    fix: {}", fix.action), theme.ok()));
            out.push(Line::raw(format!("    where: {}", fix.menu_path)));
            // With the least-privilege plan (admin-assisted), the blast radius is its exact gains.
            if let Some(plan) = &fix.plan {
                out.push(Line::raw(format!(
                    "    gains: {} (f plans it, y applies it)",
                    plan.gains.summary
                )));
                continue;
            }
            let names = match &row.scheme {
                Some(s) if report.schemes.contains_key(&s.id) => shared(&s.id, fix.blast_radius),
                // A report without the scheme table (older JSON): fall back to the fix's sample.
                _ => list(
                    fix.blast_radius_sample.iter(),
                    fix.blast_radius,
                    BLAST_NAMES,
                ),
            };
            out.push(Line::raw(if fix.blast_radius == 0 {
                "    blast radius: no other audited project uses this scheme".to_string()
            } else {
                format!(
                    "    blast radius: {} other project(s) change too: {names}",
                    fix.blast_radius
                )
            }));
            if let Some(safer) = &fix.safer {
                out.push(Line::raw(format!("    safer: {safer}")));
            }
        }
    }
    if row.details.is_empty() {
        if let Some(fix) = &row.fix {
            out.push(Line::raw(""));
            out.push(head("Fix"));
            out.push(Line::styled(fix.clone(), theme.ok()));
        }
    }
    if !row.disagreements.is_empty() {
        out.push(Line::raw(""));
        out.push(head("Disagreements with Jira's own answer (mypermissions)"));
        for d in &row.disagreements {
            out.push(Line::styled(format!("  {d}"), theme.warn()));
        }
    }
    if !report.notes.is_empty() {
        out.push(Line::raw(""));
        out.push(head("About this audit"));
        for n in &report.notes {
            out.push(Line::raw(format!("  {n}")));
        }
    }
    out
}

/// The fix text copied with `c`: every missing permission's fix, or the row's fix.
pub fn fix_text(row: &ProjectRow) -> Option<String> {
    let fixes: Vec<String> = row
        .details
        .iter()
        .filter_map(|v| v.fix.as_ref().map(|f| f.text()))
        .collect();
    if fixes.is_empty() {
        row.fix.clone()
    } else {
        Some(fixes.join("\n"))
    }
}
