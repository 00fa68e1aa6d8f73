//! Pure text renderings of a report for the headless CLI: an aligned table (80 columns friendly,
//! colour and ASCII optional), CSV, and a diff between two runs.

use super::diff::ReportDiff;
use super::report::{Mode, Report};
use crate::text::count;

const GREEN: &str = "\x1b[32m";
const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const RESET: &str = "\x1b[0m";

/// Column header for a permission: its first word ("BROWSE"), the full key when that collides.
fn perm_labels(required: &[String]) -> Vec<String> {
    let first = |k: &String| k.split('_').next().unwrap_or(k).to_string();
    required
        .iter()
        .map(|k| {
            let short = first(k);
            let clashes = required.iter().filter(|o| first(o) == short).count() > 1;
            if clashes {
                k.clone()
            } else {
                short
            }
        })
        .collect()
}

/// Cut `s` to `w` chars, ending with an ellipsis when cut.
fn fit(s: &str, w: usize, ascii: bool) -> String {
    let n = s.chars().count();
    if n <= w {
        return s.to_string();
    }
    let (ell, ell_len) = if ascii { ("...", 3) } else { ("…", 1) };
    if w <= ell_len {
        return s.chars().take(w).collect();
    }
    let mut out: String = s.chars().take(w - ell_len).collect();
    out.push_str(ell);
    out
}

/// Word-wrap `s` into at most `max_lines` lines of `w` chars; the last line ends with an ellipsis
/// when text was left out. Words longer than `w` are cut.
fn wrap(s: &str, w: usize, max_lines: usize, ascii: bool) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in s.split_whitespace() {
        let len = cur.chars().count();
        let wlen = word.chars().count();
        if len > 0 && len + 1 + wlen > w {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    let truncated = lines.len() > max_lines;
    lines.truncate(max_lines);
    let last = lines.len().saturating_sub(1);
    for (i, l) in lines.iter_mut().enumerate() {
        if truncated && i == last {
            // Force the ellipsis even when the line itself fits.
            let ell = if ascii { "..." } else { "…" };
            let keep = w.saturating_sub(ell.chars().count());
            *l = format!("{}{ell}", l.chars().take(keep).collect::<String>());
        } else {
            *l = fit(l, w, ascii);
        }
    }
    lines
}

fn pad(s: &str, w: usize) -> String {
    let n = s.chars().count();
    format!("{s}{}", " ".repeat(w.saturating_sub(n)))
}

fn paint(s: String, color: Option<&str>, on: bool) -> String {
    match color {
        Some(c) if on => format!("{c}{s}{RESET}"),
        _ => s,
    }
}

/// The report as an aligned table of `width` columns: key, name, scheme, one ✓/✗ column per
/// required permission (OK/MISSING with `ascii`); under every row that is not fine, its reason
/// (`why:`) and its fix (`fix:`) in full, wrapped to the width; then a summary line and the notes.
pub fn render_table(report: &Report, width: usize, color: bool, ascii: bool) -> String {
    let t = Table::new(report, width, color, ascii);
    let mut out = t.header();
    out.push_str(&t.rows(&report.projects));
    out.push_str(&t.footer(report));
    out
}

/// [`render_table`] in pieces, so rows can be written a chunk at a time: the column widths come
/// from the whole report (keys, names and scheme names), then the header, the rows, the footer.
#[derive(Debug, Clone)]
pub struct Table {
    width: usize,
    color: bool,
    ascii: bool,
    required: Vec<String>,
    labels: Vec<String>,
    cell_w: Vec<usize>,
    with_scheme: bool,
    key_w: usize,
    name_w: usize,
    scheme_w: usize,
}

impl Table {
    /// Lay the table out for `report` at `width` columns (at least 40).
    pub fn new(report: &Report, width: usize, color: bool, ascii: bool) -> Self {
        let width = width.max(40);
        let labels = perm_labels(&report.required);
        let (yes, no) = Self::marks(ascii);
        let cell_w: Vec<usize> = labels
            .iter()
            .map(|l| {
                l.chars()
                    .count()
                    .max(yes.chars().count())
                    .max(no.chars().count())
            })
            .collect();
        let with_scheme = report.projects.iter().any(|r| r.scheme.is_some());
        let key_w = report
            .projects
            .iter()
            .map(|r| r.key.chars().count())
            .chain([3])
            .max()
            .unwrap_or(3)
            .min(12);
        let gaps = 2 * (1 + labels.len() + usize::from(with_scheme));
        let fixed = key_w + cell_w.iter().sum::<usize>() + gaps;
        let rest = width.saturating_sub(fixed).max(16);
        let max_name = report
            .projects
            .iter()
            .map(|r| r.name.chars().count())
            .max()
            .unwrap_or(4);
        let max_scheme = report
            .projects
            .iter()
            .filter_map(|r| r.scheme.as_ref().map(|s| s.name.chars().count()))
            .max()
            .unwrap_or(6);
        let (name_w, scheme_w) = if with_scheme {
            // Names and schemes share what is left; whichever is shorter gives the other its room.
            let scheme_w = max_scheme.clamp(6, (rest / 2).max(6));
            let name_w = max_name.clamp(4, rest.saturating_sub(scheme_w).max(4));
            let scheme_w = max_scheme.clamp(6, rest.saturating_sub(name_w).max(6));
            (name_w, scheme_w)
        } else {
            (max_name.clamp(4, rest), 0)
        };
        Table {
            width,
            color,
            ascii,
            required: report.required.clone(),
            labels,
            cell_w,
            with_scheme,
            key_w,
            name_w,
            scheme_w,
        }
    }

    /// The held / missing marks.
    fn marks(ascii: bool) -> (&'static str, &'static str) {
        if ascii {
            ("OK", "MISSING")
        } else {
            ("✓", "✗")
        }
    }

    /// The header line.
    pub fn header(&self) -> String {
        let mut header = vec![pad("KEY", self.key_w), pad("NAME", self.name_w)];
        if self.with_scheme {
            header.push(pad("SCHEME", self.scheme_w));
        }
        for (l, w) in self.labels.iter().zip(&self.cell_w) {
            header.push(pad(l, *w));
        }
        let mut out = header.join("  ").trim_end().to_string();
        out.push('\n');
        out
    }

    /// The lines of `rows`: each row, and under it its reason and fix when it is not fine.
    pub fn rows(&self, rows: &[super::report::ProjectRow]) -> String {
        let (width, color, ascii) = (self.width, self.color, self.ascii);
        let (key_w, name_w, scheme_w) = (self.key_w, self.name_w, self.scheme_w);
        let (yes, no) = Self::marks(ascii);
        let unknown = "?";
        let mut out = String::new();
        // Reason and fix lines start under NAME, after a 5-character label.
        let indent = " ".repeat(key_w + 2);
        let text_w = width.saturating_sub(key_w + 2 + 5).max(20);
        let block = |out: &mut String, label: &str, text: &str, c: Option<&str>| {
            let text = if ascii {
                crate::text::ascii_symbols(text)
            } else {
                text.to_string()
            };
            for (i, line) in wrap(&text, text_w, usize::MAX, ascii)
                .into_iter()
                .enumerate()
            {
                out.push_str(&indent);
                out.push_str(if i == 0 { label } else { "     " });
                out.push_str(&paint(line, c, color));
                out.push('\n');
            }
        };
        for r in rows {
            let mut cells = vec![
                pad(&fit(&r.key, key_w, ascii), key_w),
                pad(&fit(&r.name, name_w, ascii), name_w),
            ];
            if self.with_scheme {
                let s = r.scheme.as_ref().map(|s| s.name.as_str()).unwrap_or("-");
                cells.push(pad(&fit(s, scheme_w, ascii), scheme_w));
            }
            for (p, w) in self.required.iter().zip(&self.cell_w) {
                let (text, c) = match r.permissions.get(p) {
                    Some(true) => (yes, GREEN),
                    Some(false) => (no, RED),
                    None => (unknown, YELLOW),
                };
                cells.push(paint(pad(text, *w), Some(c), color));
            }
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
            let note = r.note();
            if !note.is_empty() {
                let c = r.error.is_some().then_some(YELLOW);
                block(&mut out, "why: ", &note, c);
            }
            if let Some(fix) = r.fix.as_deref().filter(|f| !f.trim().is_empty()) {
                block(&mut out, "fix: ", fix, None);
            }
        }
        out
    }

    /// The summary line, the run's context and the notes.
    pub fn footer(&self, report: &Report) -> String {
        let (width, ascii) = (self.width, self.ascii);
        let mut out = String::new();
        let s = &report.summary;
        out.push_str(&format!(
            "{}: {} ok, {} missing, {} invisible, {}\n",
            count(s.projects as u64, "project"),
            s.ok,
            s.missing,
            s.invisible,
            count(s.errors as u64, "error")
        ));
        let mode = match report.mode {
            Mode::SelfCheck => "self",
            Mode::AdminAssisted => "admin-assisted",
        };
        let version = report.jira.version.as_deref().unwrap_or("version unknown");
        let context = format!("user {}, {mode} mode, Jira {version}", report.user.name);
        out.push_str(&fit(&context, width, ascii));
        out.push('\n');
        // Notes are long sentences: wrap them in full (no line limit) so the table stays in `width`.
        let note_w = width.saturating_sub(6);
        for n in &report.notes {
            for (i, line) in wrap(n, note_w, usize::MAX, ascii).into_iter().enumerate() {
                out.push_str(if i == 0 { "note: " } else { "      " });
                out.push_str(&line);
                out.push('\n');
            }
        }
        out
    }
}

/// RFC 4180 field quoting.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The report as CSV: `key,name,visible,ok,scheme,<one column per permission>,reason,fix,error`.
pub fn render_csv(report: &Report) -> String {
    let mut out = csv_header(&report.required);
    out.push_str(&csv_rows(&report.required, &report.projects));
    out
}

/// The header record of [`render_csv`].
pub fn csv_header(required: &[String]) -> String {
    let mut header: Vec<String> = ["key", "name", "visible", "ok", "scheme"]
        .map(String::from)
        .to_vec();
    header.extend(required.iter().cloned());
    header.extend(["reason", "fix", "error"].map(String::from));
    let mut out = header
        .iter()
        .map(|h| csv_field(h))
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    out
}

/// The records of `rows` in [`render_csv`], one per row.
pub fn csv_rows(required: &[String], rows: &[super::report::ProjectRow]) -> String {
    let mut out = String::new();
    for r in rows {
        let mut f = vec![
            r.key.clone(),
            r.name.clone(),
            r.visible.to_string(),
            r.ok.to_string(),
            r.scheme
                .as_ref()
                .map(|s| s.name.clone())
                .unwrap_or_default(),
        ];
        f.extend(required.iter().map(|p| {
            r.permissions
                .get(p)
                .map(|b| b.to_string())
                .unwrap_or_default()
        }));
        f.push(r.reason.clone().unwrap_or_default());
        f.push(r.fix.clone().unwrap_or_default());
        f.push(r.error.clone().unwrap_or_default());
        out.push_str(&f.iter().map(|x| csv_field(x)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

/// The diff as lines: `+` newly ok, `-` newly broken, `~` permission flips, appeared/disappeared.
pub fn render_diff(diff: &ReportDiff) -> String {
    if diff.is_empty() {
        return "no changes\n".into();
    }
    let b = |v: Option<bool>| match v {
        Some(true) => "yes",
        Some(false) => "no",
        None => "n/a",
    };
    let mut out = String::new();
    for k in &diff.newly_ok {
        out.push_str(&format!("+ {k}: now ok\n"));
    }
    for k in &diff.newly_broken {
        out.push_str(&format!("- {k}: broken\n"));
    }
    for c in &diff.changes {
        out.push_str(&format!(
            "~ {} {}: {} -> {}\n",
            c.project,
            c.permission,
            b(c.before),
            b(c.after)
        ));
    }
    for k in &diff.appeared {
        out.push_str(&format!("+ {k}: appeared\n"));
    }
    for k in &diff.disappeared {
        out.push_str(&format!("- {k}: disappeared\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_and_labels() {
        assert_eq!(fit("abcdef", 4, false), "abc…");
        assert_eq!(fit("abcdef", 5, true), "ab...");
        assert_eq!(fit("abc", 4, true), "abc");
        let l = perm_labels(&[
            "BROWSE_PROJECTS".into(),
            "EDIT_ISSUES".into(),
            "EDIT_ALL_COMMENTS".into(),
        ]);
        assert_eq!(l, vec!["BROWSE", "EDIT_ISSUES", "EDIT_ALL_COMMENTS"]);
        assert_eq!(csv_field("a,\"b\""), "\"a,\"\"b\"\"\"");
    }

    #[test]
    fn wrapping() {
        assert_eq!(wrap("aa bb cc dd", 5, 3, false), vec!["aa bb", "cc dd"]);
        assert_eq!(
            wrap("aa bb cc dd ee ff", 5, 2, false),
            vec!["aa bb", "cc d…"]
        );
        assert_eq!(
            wrap("aa bb cc dd ee ff", 5, 2, true),
            vec!["aa bb", "cc..."]
        );
        assert_eq!(wrap("abcdefgh", 4, 3, false), vec!["abc…"]);
        assert!(wrap("", 4, 3, false).is_empty());
    }
}
