//! A finished audit whose least-privilege fixes are put on the rows as they are written, a chunk at
//! a time, instead of on the whole report at once: at 50,000 projects the fix proposals (changes,
//! gains, alternatives) of every missing verdict made up most of the report's memory, while the
//! rows without them are small. The fix planner's snapshot is gathered once, after the audit, as
//! [`fix::annotate_if_admin`] does; annotating a row reads only that row and the snapshot, so the
//! rows come out exactly as in the whole annotated report (a test holds the two to the same JSON).

use super::fix::{self, FixOptions, Snapshot};
use super::report::{ProjectRow, Report};
use super::{AuditError, AuditRequest, Progress};
use crate::jira::JiraClient;
use serde::ser::{SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};

/// Rows annotated at a time: the planner's evaluator is rebuilt per chunk (it indexes the
/// snapshot), and a chunk's proposals are dropped once written.
pub const CHUNK: usize = 1024;

/// An audit report with its least-privilege fixes still to be put on the rows.
#[derive(Debug, Clone)]
pub struct Finished {
    /// The report; in admin-assisted mode its rows do not carry the structured fixes yet.
    pub report: Report,
    /// The planner's snapshot and settings, when fixes are to be put on the rows.
    fixes: Option<(Snapshot, FixOptions)>,
}

impl Finished {
    /// A report with nothing left to annotate.
    pub fn plain(report: Report) -> Self {
        Self {
            report,
            fixes: None,
        }
    }

    /// Call `f` with the rows in order, each with its fix, [`CHUNK`] rows at a time.
    pub fn for_each_chunk<E>(
        &self,
        f: impl FnMut(&[ProjectRow]) -> Result<(), E>,
    ) -> Result<(), E> {
        self.for_each_chunk_of(CHUNK, f)
    }

    /// [`Finished::for_each_chunk`] with `size` rows a chunk (at least 1).
    pub fn for_each_chunk_of<E>(
        &self,
        size: usize,
        mut f: impl FnMut(&[ProjectRow]) -> Result<(), E>,
    ) -> Result<(), E> {
        let size = size.max(1);
        let Some((snap, opts)) = &self.fixes else {
            for chunk in self.report.projects.chunks(size) {
                f(chunk)?;
            }
            return Ok(());
        };
        for chunk in self.report.projects.chunks(size) {
            let mut part = self.head();
            part.projects = chunk.to_vec();
            fix::annotate_report(&mut part, snap, opts);
            f(&part.projects)?;
        }
        Ok(())
    }

    /// The whole annotated report (the TUI and `--watch` keep it).
    pub fn into_report(self) -> Report {
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
        self.0.for_each_chunk(|rows| {
            for r in rows {
                seq.serialize_element(r)?;
            }
            Ok(())
        })?;
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
    let clients: Vec<JiraClient> = req.subject.iter().chain(&req.admin).cloned().collect();
    let sent = || clients.iter().map(JiraClient::request_counter).sum::<u64>();
    let start = sent();
    let admin = req.admin.clone();
    let concurrency = req.concurrency;
    let mut report = super::run(req, progress).await?;
    let mut fixes = None;
    if let Some(admin) = &admin {
        match fix::gather(&report, admin, opts, concurrency).await {
            Ok(snap) => fixes = Some((snap, opts.clone())),
            Err(e) => report
                .notes
                .push(format!("least-privilege fixes not computed: {e}")),
        }
    }
    report.requests = sent().saturating_sub(start);
    Ok(Finished { report, fixes })
}
