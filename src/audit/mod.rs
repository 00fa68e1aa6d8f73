//! The permission audit engine: for every project, can the integration user see it and use it,
//! why not, the smallest fix and its blast radius. Gathering is in `gather`, pure evaluation in
//! `explain`, the JSON report in `report`, run-to-run changes in `diff`, text output in `render`.

pub mod diff;
pub mod explain;
pub mod export;
pub mod fix;
pub mod gather;
pub mod job;
pub mod menu;
pub mod permissions;
pub mod render;
pub mod report;
pub mod source;
pub mod stream;

pub use diff::{diff, PermissionChange, ReportDiff};
pub use explain::{Fix, PermissionVerdict, Subject};
pub use gather::run_with;
pub use job::{choice_problem, run_job, AuditJob, ProgressFn};
pub use render::{render_csv, render_diff, render_table};
pub use report::{
    JiraInfo, Mode, ProjectRow, Report, SchemeProjects, SchemeRef, Summary, UserInfo,
};
pub use source::Source;

use crate::jira::{Code, Diagnosis, JiraClient};

/// Default number of concurrent requests.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// What to audit and through which connections.
#[derive(Debug, Clone)]
pub struct AuditRequest<S = JiraClient> {
    /// Connection name(s) for the report, e.g. "integration" or "integration+admin".
    pub connection: String,
    /// The integration user's own connection (self mode, or the cross-check in admin mode).
    pub subject: Option<S>,
    /// A Jira administrator's connection (admin-assisted mode).
    pub admin: Option<S>,
    /// The username to audit through `admin` (default: the `subject` connection's user).
    pub username: Option<String>,
    /// Required project permission keys; empty = BROWSE_PROJECTS, CREATE_ISSUES.
    pub required: Vec<String>,
    /// Only these project keys; empty = every project.
    pub projects: Vec<String>,
    /// Concurrent requests (at least 1). Pacing under Jira's rate limit is the client's
    /// (`jira::pace`), so every request of the run shares one bucket per connection.
    pub concurrency: usize,
}

impl<S> AuditRequest<S> {
    /// A request with defaults (default permissions, all projects, concurrency 8) and no connection.
    pub fn new(connection: impl Into<String>) -> Self {
        Self {
            connection: connection.into(),
            subject: None,
            admin: None,
            username: None,
            required: Vec::new(),
            projects: Vec::new(),
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

impl AuditRequest<JiraClient> {
    /// The request both front ends build from a user's choices: the report's connection label is
    /// the subject and admin names joined by `+`; empty `required` and a missing `concurrency`
    /// fall back to the config's `[defaults]`.
    pub fn from_choices(
        subject: Option<(&str, JiraClient)>,
        admin: Option<(&str, JiraClient)>,
        username: Option<String>,
        required: Vec<String>,
        projects: Vec<String>,
        concurrency: Option<usize>,
        defaults: &crate::config::Defaults,
    ) -> Self {
        let label = [subject.as_ref(), admin.as_ref()]
            .into_iter()
            .flatten()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join("+");
        let mut req = AuditRequest::new(label);
        req.subject = subject.map(|(_, c)| c);
        req.admin = admin.map(|(_, c)| c);
        req.username = username;
        req.required = if required.is_empty() {
            defaults.required_permissions.clone()
        } else {
            required
        };
        req.projects = projects;
        req.concurrency = concurrency.unwrap_or(defaults.concurrency).max(1);
        req
    }
}

/// Progress of a run: projects done out of total, HTTP requests made so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Projects finished.
    pub done: usize,
    /// Projects to check.
    pub total: usize,
    /// Requests made so far.
    pub requests: u64,
}

/// Why an audit could not run at all (a single project's failure is a row `error` instead).
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuditError {
    /// Jira could not be used (auth, network, …) for a call the whole audit depends on.
    #[error("{during}: {diagnosis}")]
    Jira {
        /// The step that failed, e.g. "listing all projects".
        during: &'static str,
        /// What happened, why, and the fix.
        diagnosis: Box<Diagnosis>,
    },
    /// A required permission key Jira does not know.
    #[error("unknown permission '{key}'{}", suggestion.as_ref().map(|s| format!(" (did you mean {s}?)")).unwrap_or_default())]
    UnknownPermission {
        /// The key as given.
        key: String,
        /// The closest known key.
        suggestion: Option<String>,
    },
    /// The request itself is incomplete.
    #[error("{0}")]
    InvalidRequest(String),
}

impl AuditError {
    /// The diagnosis to show: Jira's for connection failures, a config error otherwise.
    pub fn diagnosis(&self) -> Diagnosis {
        match self {
            AuditError::Jira { diagnosis, .. } => (**diagnosis).clone(),
            other => Diagnosis::error(
                Code::ConfigError,
                other.to_string(),
                "the audit request was rejected before contacting Jira",
                match other {
                    AuditError::UnknownPermission { .. } => {
                        "use a project permission key from GET /rest/api/2/permissions, e.g. BROWSE_PROJECTS"
                    }
                    _ => "pass the integration user's connection, or --admin ADMIN with --user NAME",
                },
            ),
        }
    }
}

/// Run an audit with the real client. Cancel by dropping the future.
pub async fn run(
    req: AuditRequest,
    progress: impl Fn(Progress) + Send + Sync,
) -> Result<Report, AuditError> {
    run_with(req, progress).await
}

/// Run an audit and, in admin-assisted mode, put the least-privilege fix on each missing verdict
/// (as [`fix::annotate_if_admin`]): the report both front ends show. Its `requests` counts the
/// whole run as the clients sent it, the fix planner's reads included. Cancel by dropping the
/// future. [`stream::run_finished`] leaves the fixes to be put on the rows while they are written.
pub async fn run_annotated(
    req: AuditRequest,
    progress: impl Fn(Progress) + Send + Sync,
    fix: &fix::FixOptions,
) -> Result<Report, AuditError> {
    stream::run_finished(req, progress, fix)
        .await
        .map(stream::Finished::into_report)
}
