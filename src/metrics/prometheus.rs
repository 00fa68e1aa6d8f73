//! `--format prometheus` for `audit` and `check`: gauges in the text format that Prometheus
//! scrapes and node_exporter's textfile collector reads, ended by `# EOF` so the same text is
//! also valid OpenMetrics.
//!
//! Format rules followed here, and where they are written:
//! - Prometheus text format 0.0.4 ("Exposition formats", prometheus.io/docs/instrumenting/
//!   exposition_formats/): `# HELP name text` and `# TYPE name gauge` before the samples of a
//!   family; a family's samples together; label values escape `\`, `"` and line feed as `\\`,
//!   `\"`, `\n`; HELP text escapes `\` and line feed; a `#` line that is neither HELP nor TYPE is a
//!   comment (so `# EOF` is harmless there).
//! - OpenMetrics 1.0 (github.com/OpenObservability/OpenMetrics/blob/main/specification/
//!   OpenMetrics.md): the exposition must end with `# EOF`; gauges need no suffix; the same
//!   escapes.
//! - node_exporter's textfile collector (github.com/prometheus/node_exporter, "Textfile
//!   Collector" in its README): reads `*.prom` files in `--collector.textfile.directory`; write to
//!   a temporary file in the same directory and rename it, so a scrape never sees half a file.
//!
//! The metric names and labels are a stable interface, documented in `docs/metrics.md`; a test
//! holds that page to [`METRICS`].

use crate::audit::{ProjectRow, Report};
use crate::check::CheckResult;
use crate::jira::Diagnosis;
use std::fmt::Write as _;

/// Every metric this module can write: name, labels, help. `docs/metrics.md` lists the same.
/// HELP texts hold no `"` or backslash: OpenMetrics wants `"` escaped there and the Prometheus text
/// parser rejects that escape, so neither character appears.
pub const METRICS: &[(&str, &str, &str)] = &[
    (
        "jiralink_audit_up",
        "connection, code",
        "1 when the audit ran, 0 when it could not; code is ok or the diagnosis code.",
    ),
    (
        "jiralink_audit_timestamp_seconds",
        "connection",
        "When the audit finished, Unix time.",
    ),
    (
        "jiralink_audit_requests",
        "connection",
        "HTTP requests the audit sent (pages and retries included).",
    ),
    (
        "jiralink_audit_projects",
        "connection, status",
        "Audited projects by status: ok, missing, invisible, error.",
    ),
    (
        "jiralink_project_ok",
        "connection, project",
        "1 when every required permission holds on the project, else 0.",
    ),
    (
        "jiralink_project_visible",
        "connection, project",
        "1 when the audited user can see the project (Browse Projects), else 0; absent on error.",
    ),
    (
        "jiralink_permission_ok",
        "connection, project, permission",
        "1 when the audited user holds the permission in the project, else 0; absent when unknown.",
    ),
    (
        "jiralink_connection_ok",
        "connection, code",
        "1 when the connection works, else 0; code is ok, a warning's or the error's code.",
    ),
    (
        "jiralink_clock_skew_seconds",
        "connection",
        "Jira's clock minus this machine's, from the Date header; absent when unknown.",
    ),
    (
        "jiralink_credential_expiry_seconds",
        "connection",
        "When the connection's token expires, Unix time; absent when not known.",
    ),
];

/// The HELP text of a metric in [`METRICS`].
fn help(name: &str) -> &'static str {
    METRICS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, _, h)| *h)
        .unwrap_or("")
}

/// A label value with `\`, `"` and line feeds escaped (both formats' rule).
fn escape_label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            // A carriage return is legal in neither line format; a label never needs one.
            '\r' => out.push_str("\\n"),
            // Names come from Jira: a control character (an escape sequence for whoever reads
            // the file in a terminal) becomes U+FFFD.
            c if crate::shown::is_unsafe(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Writes families one after another; each family's samples stay together.
struct Writer {
    out: String,
    /// The family whose samples come next; its HELP and TYPE go out with its first sample, so
    /// a family without samples leaves no lines (an empty family before another one is read as
    /// the wrong family by strict OpenMetrics parsers).
    family: Option<&'static str>,
}

impl Writer {
    fn new() -> Self {
        Writer {
            out: String::new(),
            family: None,
        }
    }

    /// Start the family `name`.
    fn family(&mut self, name: &'static str) {
        self.family = Some(name);
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        if let Some(f) = self.family.take() {
            let _ = writeln!(self.out, "# HELP {f} {}", help(f));
            let _ = writeln!(self.out, "# TYPE {f} gauge");
        }
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{k}=\"{}\"", escape_label(v));
            }
            self.out.push('}');
        }
        // Integral values print without a fraction; both parsers read either.
        if value.fract() == 0.0 && value.abs() < 1e15 {
            let _ = writeln!(self.out, " {}", value as i64);
        } else {
            let _ = writeln!(self.out, " {value}");
        }
    }

    fn finish(mut self) -> String {
        self.out.push_str("# EOF\n");
        self.out
    }
}

fn bool_value(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

/// Unix seconds of `t`.
fn unix(t: std::time::SystemTime) -> f64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as f64)
        .unwrap_or(0.0)
}

/// An audit report as metrics. `finished` is when the run ended.
pub fn audit(report: &Report, finished: std::time::SystemTime) -> String {
    audit_rows(report, finished, &mut |f: &mut dyn FnMut(&ProjectRow)| {
        report.projects.iter().for_each(f);
        Ok(())
    })
    .unwrap_or_default()
}

/// Calls its argument on every row of a report, in order.
pub type RowVisitor<'a> = dyn FnMut(&mut dyn FnMut(&ProjectRow)) -> std::io::Result<()> + 'a;

/// [`audit`] with the rows given by `rows`, which calls its argument on every row in order (it is
/// called once per metric family): the rows need not be in memory at once. `report` gives the
/// connection, the summary and the request count; its own rows are not read. Fails as `rows`
/// does.
pub fn audit_rows(
    report: &Report,
    finished: std::time::SystemTime,
    rows: &mut RowVisitor<'_>,
) -> std::io::Result<String> {
    let c = report.connection.as_str();
    let mut w = Writer::new();
    w.family("jiralink_audit_up");
    w.sample(
        "jiralink_audit_up",
        &[("connection", c), ("code", "ok")],
        1.0,
    );
    w.family("jiralink_audit_timestamp_seconds");
    w.sample(
        "jiralink_audit_timestamp_seconds",
        &[("connection", c)],
        unix(finished),
    );
    w.family("jiralink_audit_requests");
    w.sample(
        "jiralink_audit_requests",
        &[("connection", c)],
        report.requests as f64,
    );
    w.family("jiralink_audit_projects");
    let s = &report.summary;
    for (status, n) in [
        ("ok", s.ok),
        ("missing", s.missing),
        ("invisible", s.invisible),
        ("error", s.errors),
    ] {
        w.sample(
            "jiralink_audit_projects",
            &[("connection", c), ("status", status)],
            n as f64,
        );
    }
    w.family("jiralink_project_ok");
    rows(&mut |r| {
        w.sample(
            "jiralink_project_ok",
            &[("connection", c), ("project", &r.key)],
            bool_value(r.ok),
        );
    })?;
    w.family("jiralink_project_visible");
    rows(&mut |r| {
        if r.error.is_none() {
            w.sample(
                "jiralink_project_visible",
                &[("connection", c), ("project", &r.key)],
                bool_value(r.visible),
            );
        }
    })?;
    w.family("jiralink_permission_ok");
    rows(&mut |r| {
        for (perm, held) in &r.permissions {
            w.sample(
                "jiralink_permission_ok",
                &[("connection", c), ("project", &r.key), ("permission", perm)],
                bool_value(*held),
            );
        }
    })?;
    Ok(w.finish())
}

/// An audit that could not run, as metrics: `jiralink_audit_up` 0 with the diagnosis code, so an
/// alert fires on the failure instead of on stale numbers.
pub fn audit_failed(
    connection: &str,
    diagnosis: &Diagnosis,
    finished: std::time::SystemTime,
) -> String {
    let mut w = Writer::new();
    w.family("jiralink_audit_up");
    w.sample(
        "jiralink_audit_up",
        &[
            ("connection", connection),
            ("code", diagnosis.code.as_str()),
        ],
        0.0,
    );
    w.family("jiralink_audit_timestamp_seconds");
    w.sample(
        "jiralink_audit_timestamp_seconds",
        &[("connection", connection)],
        unix(finished),
    );
    w.finish()
}

/// `check` results as metrics. `expiry` gives a connection's token expiry (RFC 3339, as the
/// config's `token_expires_at` holds it) where one is known.
pub fn check(results: &[CheckResult], expiry: &dyn Fn(&str) -> Option<String>) -> String {
    let mut w = Writer::new();
    w.family("jiralink_connection_ok");
    for r in results {
        let code = r.diagnosis.as_ref().map_or("ok", |d| d.code.as_str());
        w.sample(
            "jiralink_connection_ok",
            &[("connection", &r.name), ("code", code)],
            bool_value(r.ok),
        );
    }
    w.family("jiralink_clock_skew_seconds");
    for r in results {
        if let Some(skew) = r.clock_skew_secs {
            w.sample(
                "jiralink_clock_skew_seconds",
                &[("connection", &r.name)],
                skew as f64,
            );
        }
    }
    w.family("jiralink_credential_expiry_seconds");
    for r in results {
        let at = expiry(&r.name).and_then(|s| {
            time::OffsetDateTime::parse(&s, &time::format_description::well_known::Rfc3339).ok()
        });
        if let Some(at) = at {
            w.sample(
                "jiralink_credential_expiry_seconds",
                &[("connection", &r.name)],
                at.unix_timestamp() as f64,
            );
        }
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_texts_need_no_escaping_in_either_format() {
        for (name, _, help) in METRICS {
            assert!(!help.contains(['"', '\\', '\n']), "{name}");
        }
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(escape_label("x\ny"), "x\\ny");
        assert_eq!(escape_label("a\u{1b}[2Jb"), "a\u{FFFD}[2Jb");
    }

    #[test]
    fn integral_values_print_without_a_fraction() {
        let mut w = Writer::new();
        w.sample("m", &[], 3.0);
        w.sample("m", &[("a", "b")], 0.5);
        assert_eq!(w.finish(), "m 3\nm{a=\"b\"} 0.5\n# EOF\n");
    }
}
