//! What a front end asks to audit, checked and run the same way for both: who can be audited
//! (one rule, [`choice_problem`], used by `jiralink audit`, the checker's setup and the engine),
//! and connections → clients → [`crate::audit::run`].

use super::{AuditError, AuditRequest, Progress, Report};
use crate::config::{Connection, Defaults};
use crate::connect::{client_for, ConnectError};
use crate::jira::Diagnosis;
use std::sync::Arc;

/// Why this choice of connections cannot be audited, before anything is contacted; `None` when
/// it can. Self mode needs the subject's connection; naming another user needs an admin
/// connection; an admin connection needs a user: `username` or the subject's own connection.
pub fn choice_problem(subject: bool, admin: bool, username: bool) -> Option<AuditError> {
    let problem = match (subject, admin, username) {
        (_, true, true) | (true, true, false) | (true, false, false) => return None,
        (_, false, true) => "auditing another user by name needs an admin connection (--admin)",
        (false, true, false) => {
            "admin-assisted audit needs the username to audit (--user) or the user's own connection"
        }
        (false, false, false) => {
            "nothing to audit: give the integration user's connection and/or an admin connection"
        }
    };
    Some(AuditError::InvalidRequest(problem.into()))
}

/// The progress callback an audit reports through.
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// An audit by connection: what the TUI's checker hands the core (secrets resolved in the task).
#[derive(Debug, Clone)]
pub struct AuditJob {
    /// The integration user's own connection.
    pub subject: Option<Connection>,
    /// A Jira administrator's connection.
    pub admin: Option<Connection>,
    /// The username to audit through `admin`.
    pub username: Option<String>,
    /// Required permission keys (empty = the config's defaults).
    pub required: Vec<String>,
    /// Timeouts, concurrency and default permissions from the config.
    pub defaults: Defaults,
    /// The config's `[fix]` settings (least-privilege fixes on missing verdicts).
    pub fix: crate::config::FixSettings,
}

/// Run `job`: refuse an impossible choice first, then build the clients with the core's one
/// builder and run the same request `jiralink audit` builds.
pub async fn run_job(job: AuditJob, progress: ProgressFn) -> Result<Report, Diagnosis> {
    let AuditJob {
        subject,
        admin,
        username,
        required,
        defaults,
        fix,
    } = job;
    if let Some(e) = choice_problem(subject.is_some(), admin.is_some(), username.is_some()) {
        return Err(e.diagnosis());
    }
    let client = |c: Connection| {
        let defaults = defaults.clone();
        async move {
            client_for(&c, &defaults)
                .await
                .map(|client| (c.name, client))
                .map_err(ConnectError::into_diagnosis)
        }
    };
    let subject = match subject {
        Some(c) => Some(client(c).await?),
        None => None,
    };
    let admin = match admin {
        Some(c) => Some(client(c).await?),
        None => None,
    };
    let req = AuditRequest::from_choices(
        subject.as_ref().map(|(n, c)| (n.as_str(), c.clone())),
        admin.as_ref().map(|(n, c)| (n.as_str(), c.clone())),
        username,
        required,
        Vec::new(),
        None,
        &defaults,
    );
    // The same least-privilege fixes `jiralink audit` puts on each missing verdict.
    let opts = super::fix::FixOptions::from_settings(&fix);
    super::run_annotated(req, move |p| progress(p), &opts)
        .await
        .map_err(|e| e.diagnosis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_can_be_audited() {
        assert!(choice_problem(true, false, false).is_none(), "self mode");
        assert!(choice_problem(true, true, false).is_none(), "cross-check");
        assert!(choice_problem(false, true, true).is_none(), "admin + user");
        assert!(choice_problem(true, true, true).is_none());
        let by_name = choice_problem(true, false, true).unwrap().to_string();
        assert!(by_name.contains("needs an admin connection"), "{by_name}");
        let no_user = choice_problem(false, true, false).unwrap().to_string();
        assert!(no_user.contains("--user"), "{no_user}");
        assert!(choice_problem(false, false, false).is_some());
    }
}
