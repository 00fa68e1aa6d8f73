//! Writing an audit report to a file: the same JSON and CSV as `jiralink audit --format`, in a new
//! file readable only by its owner (the report names users, groups and projects). The TUI's
//! checker exports through here.

use crate::audit::{render_csv, Report};
use std::path::{Path, PathBuf};

/// The file format of an exported report (the connection export's formats are
/// [`crate::wizard::ExportFormat`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// `jiralink audit --format json`.
    Json,
    /// `jiralink audit --format csv`.
    Csv,
}

impl ReportFormat {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Json => "json",
            ReportFormat::Csv => "csv",
        }
    }
}

/// Where exports go: `<data dir>/exports` (the data dir honours `JIRALINK_DATA`; the demo's is
/// its temp dir).
pub fn export_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("exports")
}

/// `jiralink-audit-<connection>-<UTC time>.<ext>`, the connection reduced to file-name-safe characters.
pub fn file_name(connection: &str, format: ReportFormat, at: time::OffsetDateTime) -> String {
    let conn = crate::paths::file_stem(connection, "report");
    format!(
        "jiralink-audit-{conn}-{:04}{:02}{:02}T{:02}{:02}{:02}Z.{}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        format.extension()
    )
}

/// The report rendered as the file's contents.
pub fn render(report: &Report, format: ReportFormat) -> Result<String, String> {
    match format {
        ReportFormat::Json => serde_json::to_string_pretty(report)
            .map(|mut s| {
                s.push('\n');
                s
            })
            .map_err(|e| format!("cannot encode the report: {e}")),
        ReportFormat::Csv => Ok(render_csv(report)),
    }
}

/// Write `report` to a new file in `dir` (created 0700 when missing) with mode 0600, atomically.
/// Blocking: call it off the async threads. Returns the path written.
pub fn write_export(dir: &Path, report: &Report, format: ReportFormat) -> Result<PathBuf, String> {
    let path = dir.join(file_name(
        &report.connection,
        format,
        time::OffsetDateTime::now_utc(),
    ));
    let body = render(report, format)?;
    crate::paths::write_secret_file(&path, body.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe_and_dated() {
        let at = time::macros::datetime!(2026-11-23 13:05:09 UTC);
        assert_eq!(
            file_name("int/egr ation+admin", ReportFormat::Json, at),
            "jiralink-audit-int_egr_ation_admin-20261123T130509Z.json"
        );
        assert_eq!(
            file_name("", ReportFormat::Csv, at),
            "jiralink-audit-report-20261123T130509Z.csv"
        );
    }
}
