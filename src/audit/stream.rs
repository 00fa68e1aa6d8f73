//! A finished audit whose least-privilege fixes are put on the rows as they are written, a chunk at
//! a time, instead of on the whole report at once: at 50,000 projects the fix proposals (changes,
//! gains, alternatives) of every missing verdict made up most of the report's memory, while the
//! rows without them are small. The fix planner's snapshot is gathered once, after the audit, as
//! [`fix::annotate_if_admin`] does; annotating a row reads only that row and the snapshot, so the
//! rows come out exactly as in the whole annotated report (a test holds the two to the same JSON).
//!
//! [`run_finished_spilled`] goes further for the CLI: each admin-assisted row is written to an
//! unnamed temporary file as it is made (compact JSON) and the report keeps only what the summary,
//! the table layout, the metrics and the fix planner read; the rows are read back a chunk at a time
//! when written out.

use super::explain::PermissionVerdict;
use super::fix::{self, FixOptions, Snapshot};
use super::gather::RowSink;
use super::report::{ProjectRow, Report};
use super::{AuditError, AuditRequest, Progress};
use crate::jira::JiraClient;
use serde::ser::{Error as _, SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};
use std::collections::HashMap;
use std::io::{self, Write};
use std::os::unix::fs::FileExt;

/// Rows annotated at a time: the planner's evaluator is rebuilt per chunk (it indexes the
/// snapshot), and a chunk's proposals are dropped once written.
pub const CHUNK: usize = 1024;

/// An audit report with its least-privilege fixes still to be put on the rows.
#[derive(Debug)]
pub struct Finished {
    /// The report; in admin-assisted mode its rows do not carry the structured fixes yet, and
    /// when spilled they are outlines (see [`outline`]) of the rows in the file.
    pub report: Report,
    /// The planner's snapshot and settings, when fixes are to be put on the rows.
    fixes: Option<(Snapshot, FixOptions)>,
    /// The rows written to a temporary file, by key.
    spill: Option<Spilled>,
}

/// Rows in an unnamed temporary file (deleted when closed): key → (offset, length).
#[derive(Debug)]
struct Spilled {
    file: std::fs::File,
    at: HashMap<String, (u64, usize)>,
    /// Why the file cannot be read back (its last bytes could not be written).
    lost: Option<String>,
}

impl Spilled {
    /// The whole row of `outline` (itself when it was not spilled).
    fn row(&self, outline: &ProjectRow) -> io::Result<ProjectRow> {
        let Some(&(offset, len)) = self.at.get(&outline.key) else {
            return Ok(outline.clone());
        };
        if let Some(e) = &self.lost {
            return Err(io::Error::other(e.clone()));
        }
        let mut buf = vec![0; len];
        self.file.read_exact_at(&mut buf, offset)?;
        serde_json::from_slice(&buf).map_err(io::Error::from)
    }
}

/// What the report keeps of a spilled row: everything the summary, the exit code, the table's
/// column widths and the fix planner read (key, name, visibility, ok, scheme, error, and which
/// required permissions are missing), without the texts and without the per-permission map (a
/// map a row was ~350 bytes; metrics read it from the rows written out).
pub fn outline(row: &ProjectRow) -> ProjectRow {
    ProjectRow {
        key: row.key.clone(),
        name: row.name.clone(),
        visible: row.visible,
        permissions: Default::default(),
        ok: row.ok,
        scheme: row.scheme.clone(),
        reason: None,
        fix: None,
        error: row.error.clone(),
        details: row
            .details
            .iter()
            .filter(|v| !v.granted)
            .map(|v| PermissionVerdict {
                permission: v.permission.clone(),
                granted: false,
                via: Vec::new(),
                issue_level: v.issue_level,
                unresolved: Vec::new(),
                reason: None,
                fix: None,
            })
            .collect(),
        disagreements: Vec::new(),
    }
}

/// A [`RowSink`] writing each row to an unnamed temporary file and keeping its [`outline`]. If
/// the file cannot be made or written, the rows from then on are kept whole.
struct Spill {
    out: Option<io::BufWriter<std::fs::File>>,
    len: u64,
    at: HashMap<String, (u64, usize)>,
    /// A write failed: the rows from then on are kept whole.
    stopped: bool,
}

impl Spill {
    fn new() -> Self {
        let out = match tempfile::tempfile() {
            Ok(f) => Some(io::BufWriter::with_capacity(1 << 16, f)),
            Err(e) => {
                tracing::debug!("no temporary file for the audit's rows ({e}); kept in memory");
                None
            }
        };
        Self {
            out,
            len: 0,
            at: HashMap::new(),
            stopped: false,
        }
    }

    /// The file with every row written, or `None` when nothing was spilled.
    fn finish(self) -> Option<Spilled> {
        let (file, lost) = match self.out?.into_inner() {
            Ok(file) => (file, None),
            Err(e) => {
                let lost = format!("writing the rows to a temporary file failed: {}", e.error());
                (e.into_inner().into_parts().0, Some(lost))
            }
        };
        Some(Spilled {
            file,
            at: self.at,
            lost,
        })
    }
}

impl RowSink for Spill {
    fn keep(&mut self, row: ProjectRow) -> ProjectRow {
        let Some(out) = self.out.as_mut().filter(|_| !self.stopped) else {
            return row;
        };
        let written = serde_json::to_vec(&row)
            .map_err(io::Error::from)
            .and_then(|bytes| out.write_all(&bytes).map(|()| bytes.len()));
        match written {
            Ok(len) => {
                self.at.insert(row.key.clone(), (self.len, len));
                self.len += len as u64;
                outline(&row)
            }
            Err(e) => {
                // This row may be half written: keep it (and every later one) whole. The rows
                // before it are read back if the file can still be flushed ([`Spill::finish`]).
                tracing::debug!("writing the audit's rows to a temporary file failed ({e})");
                self.stopped = true;
                row
            }
        }
    }
}

impl Finished {
    /// A report with nothing left to annotate.
    pub fn plain(report: Report) -> Self {
        Self {
            report,
            fixes: None,
            spill: None,
        }
    }

    /// Call `f` with the rows in order, each with its fix, [`CHUNK`] rows at a time.
    pub fn for_each_chunk<E: From<io::Error>>(
        &self,
        f: impl FnMut(&[ProjectRow]) -> Result<(), E>,
    ) -> Result<(), E> {
        self.for_each_chunk_of(CHUNK, f)
    }

    /// [`Finished::for_each_chunk`] with `size` rows a chunk (at least 1).
    pub fn for_each_chunk_of<E: From<io::Error>>(
        &self,
        size: usize,
        mut f: impl FnMut(&[ProjectRow]) -> Result<(), E>,
    ) -> Result<(), E> {
        let size = size.max(1);
        if self.fixes.is_none() && self.spill.is_none() {
            for chunk in self.report.projects.chunks(size) {
                f(chunk)?;
            }
            return Ok(());
        }
        for chunk in self.report.projects.chunks(size) {
            let mut part = self.head();
            part.projects = match &self.spill {
                Some(spill) => chunk
                    .iter()
                    .map(|r| spill.row(r))
                    .collect::<io::Result<_>>()?,
                None => chunk.to_vec(),
            };
            if let Some((snap, opts)) = &self.fixes {
                fix::annotate_report(&mut part, snap, opts);
            }
            f(&part.projects)?;
        }
        Ok(())
    }

    /// The whole annotated report, its rows read back when they were spilled.
    pub fn to_report(&self) -> io::Result<Report> {
        let mut report = self.head();
        report.schemes = self.report.schemes.clone();
        report.projects.reserve(self.report.projects.len());
        self.for_each_chunk(|rows| {
            report.projects.extend_from_slice(rows);
            Ok::<_, io::Error>(())
        })?;
        Ok(report)
    }

    /// The whole annotated report (the TUI and `--watch` keep it).
    pub fn into_report(self) -> Report {
        if self.spill.is_some() {
            return self.to_report().unwrap_or_else(|e| {
                let mut report = self.report;
                report.notes.push(format!(
                    "the rows' reasons and fixes could not be read back from a temporary file: {e}"
                ));
                report
            });
        }
        let mut report = self.report;
        if let Some((snap, opts)) = &self.fixes {
            fix::annotate_report(&mut report, snap, opts);
        }
        report
    }

    /// The report's fields without its rows and scheme map.
    fn head(&self) -> Report {
        let r = &self.report;
        Report {
            connection: r.connection.clone(),
            mode: r.mode,
            user: r.user.clone(),
            jira: r.jira.clone(),
            required: r.required.clone(),
            projects: Vec::new(),
            schemes: Default::default(),
            summary: r.summary,
            notes: r.notes.clone(),
            requests: r.requests,
        }
    }
}

/// The rows of a [`Finished`] as one JSON array, annotated chunk by chunk while written.
struct Rows<'a>(&'a Finished);

impl Serialize for Rows<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.report.projects.len()))?;
        let mut failed = None;
        let read = self.0.for_each_chunk(|rows| {
            for r in rows {
                if let Err(e) = seq.serialize_element(r) {
                    failed = Some(e);
                    return Err(io::Error::other("the row could not be written"));
                }
            }
            Ok(())
        });
        if let Some(e) = failed {
            return Err(e);
        }
        read.map_err(S::Error::custom)?;
        seq.end()
    }
}

/// The same JSON as the annotated [`Report`] (same fields, same order), rows streamed.
impl Serialize for Finished {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = &self.report;
        let mut st = s.serialize_struct("Report", 10)?;
        st.serialize_field("connection", &r.connection)?;
        st.serialize_field("mode", &r.mode)?;
        st.serialize_field("user", &r.user)?;
        st.serialize_field("jira", &r.jira)?;
        st.serialize_field("required", &r.required)?;
        st.serialize_field("projects", &Rows(self))?;
        st.serialize_field("schemes", &r.schemes)?;
        st.serialize_field("summary", &r.summary)?;
        st.serialize_field("notes", &r.notes)?;
        st.serialize_field("requests", &r.requests)?;
        st.end()
    }
}

/// Run an audit and, in admin-assisted mode, gather what the least-privilege fixes need (as
/// [`fix::annotate_if_admin`] does, a failure becoming a note); the fixes go on the rows when
/// they are written ([`Finished::for_each_chunk`]) or all at once ([`Finished::into_report`]).
/// The report's `requests` counts the whole run as the clients sent it, the planner's reads
/// included. Cancel by dropping the future.
pub async fn run_finished(
    req: AuditRequest,
    progress: impl Fn(Progress) + Send + Sync,
    opts: &FixOptions,
) -> Result<Finished, AuditError> {
    finish(req, progress, Some(opts), false).await
}

/// [`run_finished`] with each admin-assisted row written to an unnamed temporary file as it is
/// made, the report keeping only its [`outline`]; the rows are read back while written out.
/// Without `opts` no fixes are planned (an output that shows none, e.g. metrics): the planner's
/// reads are not made.
pub async fn run_finished_spilled(
    req: AuditRequest,
    progress: impl Fn(Progress) + Send + Sync,
    opts: Option<&FixOptions>,
) -> Result<Finished, AuditError> {
    finish(req, progress, opts, true).await
}

async fn finish(
    req: AuditRequest,
    progress: impl Fn(Progress) + Send + Sync,
    opts: Option<&FixOptions>,
    spill: bool,
) -> Result<Finished, AuditError> {
    let clients: Vec<JiraClient> = req.subject.iter().chain(&req.admin).cloned().collect();
    let sent = || clients.iter().map(JiraClient::request_counter).sum::<u64>();
    let start = sent();
    let admin = req.admin.clone();
    let concurrency = req.concurrency;
    let mut report;
    let mut spilled = None;
    if spill {
        let mut sink = Spill::new();
        report = super::gather::run_with_sink(req, progress, &mut sink).await?;
        spilled = sink.finish();
    } else {
        report = super::run(req, progress).await?;
    }
    let mut fixes = None;
    if let (Some(admin), Some(opts)) = (&admin, opts) {
        match fix::gather(&report, admin, opts, concurrency).await {
            Ok(snap) => fixes = Some((snap, opts.clone())),
            Err(e) => report
                .notes
                .push(format!("least-privilege fixes not computed: {e}")),
        }
    }
    report.requests = sent().saturating_sub(start);
    Ok(Finished {
        report,
        fixes,
        spill: spilled,
    })
}
