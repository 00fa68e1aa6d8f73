//! Writing a checker report to a file: the same JSON and CSV as `jiralink audit --format`, in a new
//! file readable only by its owner (the report names users, groups and projects).

use crate::audit::{render_csv, Report};
use std::path::{Path, PathBuf};

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// `jiralink audit --format json`.
    Json,
    /// `jiralink audit --format csv`.
    Csv,
}

impl ExportFormat {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Json => "json",
            ExportFormat::Csv => "csv",
        }
    }
}

/// Where exports go unless told otherwise: `<data dir>/exports` (honours `JIRALINK_DATA`).
pub fn default_export_dir() -> PathBuf {
    crate::paths::Paths::resolve(None)
        .map(|p| p.data_dir.join("exports"))
        .unwrap_or_else(|_| PathBuf::from("."))
}

/// `jiralink-audit-<connection>-<UTC time>.<ext>`, the connection reduced to file-name-safe characters.
pub fn file_name(connection: &str, format: ExportFormat, at: time::OffsetDateTime) -> String {
    let conn: String = connection
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let conn = if conn.is_empty() {
        "report".into()
    } else {
        conn
    };
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
pub fn render(report: &Report, format: ExportFormat) -> Result<String, String> {
    match format {
        ExportFormat::Json => serde_json::to_string_pretty(report)
            .map(|mut s| {
                s.push('\n');
                s
            })
            .map_err(|e| format!("cannot encode the report: {e}")),
        ExportFormat::Csv => Ok(render_csv(report)),
    }
}

/// Write `report` to a new file in `dir` (created 0700 when missing) with mode 0600, atomically.
/// Blocking: call it off the async threads. Returns the path written.
pub fn write_export(dir: &Path, report: &Report, format: ExportFormat) -> Result<PathBuf, String> {
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
            file_name("int/egr ation+admin", ExportFormat::Json, at),
            "jiralink-audit-int_egr_ation_admin-20261123T130509Z.json"
        );
        assert_eq!(
            file_name("", ExportFormat::Csv, at),
            "jiralink-audit-report-20261123T130509Z.csv"
        );
    }
}
