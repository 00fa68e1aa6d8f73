//! A fix from start to end, the same for both front ends: plan for the projects of an audit job
//! (audit, gather, plan), apply a plan with a journal saved after every change (rolled back on the
//! first failure), and undo a journal by id. `jiralink fix` and the TUI's checker call these.

use super::apply::{apply_plan, undo_journal, ApplyError, ApplyEvent};
use super::journal::{self, Journal};
use super::{gather, plan, FixOptions, Plan};
use crate::audit::{self, AuditJob, AuditRequest};
use crate::config::{Connection, Defaults};
use crate::connect::{client_for, ConnectError};
use crate::jira::{Code, Diagnosis, JiraClient};
use std::path::Path;

/// What a fix is asked for by connection: the audit it builds on (it needs an admin connection),
/// the projects to fix (empty = every audited project) and the planner's options.
#[derive(Debug, Clone)]
pub struct FixJob {
    /// The audit: subject, admin, username, required permissions, defaults.
    pub audit: AuditJob,
    /// Only these projects (empty = all).
    pub projects: Vec<String>,
    /// Dedicated role name, whether roles may be created.
    pub opts: FixOptions,
}

fn no_admin() -> Diagnosis {
    Diagnosis::error(
        Code::ConfigError,
        "a fix needs an admin connection",
        "reading every permission scheme, role and group and changing them takes a Jira administrator",
        "choose an admin connection (a user in jira-administrators) and run again",
    )
}

async fn connect(c: &Connection, defaults: &Defaults) -> Result<JiraClient, Diagnosis> {
    client_for(c, defaults)
        .await
        .map_err(ConnectError::into_diagnosis)
}

/// The admin connection's client for `job`, or why not.
pub async fn admin_client(job: &AuditJob) -> Result<JiraClient, Diagnosis> {
    let admin = job.admin.as_ref().ok_or_else(no_admin)?;
    connect(admin, &job.defaults).await
}

/// Audit `job`'s projects and plan least-privilege changes for everything missing.
pub async fn plan_job(job: FixJob) -> Result<Plan, Diagnosis> {
    let FixJob {
        audit: a,
        projects,
        opts,
    } = job;
    if let Some(e) =
        audit::choice_problem(a.subject.is_some(), a.admin.is_some(), a.username.is_some())
    {
        return Err(e.diagnosis());
    }
    let admin_conn = a.admin.clone().ok_or_else(no_admin)?;
    let admin = connect(&admin_conn, &a.defaults).await?;
    let subject = match &a.subject {
        Some(c) => Some((c.name.clone(), connect(c, &a.defaults).await?)),
        None => None,
    };
    let req = AuditRequest::from_choices(
        subject.as_ref().map(|(n, c)| (n.as_str(), c.clone())),
        Some((admin_conn.name.as_str(), admin.clone())),
        a.username.clone(),
        a.required.clone(),
        projects,
        None,
        &a.defaults,
    );
    let concurrency = req.concurrency;
    // The audit's reads are kept: gathering reads only what the audit did not.
    let (report, recorder) = super::audit_recorded(req, |_| {})
        .await
        .map_err(|e| e.diagnosis())?;
    let recorder = recorder.unwrap_or_else(|| super::Recorder::new(admin));
    let snap = gather(&report, &recorder, &opts, concurrency)
        .await
        .map_err(|e| match e {
            super::snapshot::GatherError::Jira { during, error } => {
                let mut d = error.diagnose();
                d.summary = format!("{during}: {}", d.summary);
                d
            }
            other => Diagnosis::error(
                Code::ConfigError,
                other.to_string(),
                "the planner reads the schemes through the admin connection",
                "choose an admin connection",
            ),
        })?;
    Ok(plan(&snap, &opts))
}

/// A new journal for `plan`, applied by `admin_name` on `admin`'s Jira.
pub fn new_journal(plan: &Plan, admin: &JiraClient, admin_name: &str) -> Journal {
    Journal {
        id: journal::new_id(),
        created: journal::now(),
        admin: admin_name.to_string(),
        base_url: admin.base_url().to_string(),
        subject: plan.subject.clone(),
        changes: plan.changes.clone(),
        applied: Vec::new(),
        gains: plan.gains.triples.clone(),
        undone: None,
    }
}

/// Apply `plan` through `admin`, saving the journal in `dir` after every change; on the first
/// failure what was applied is rolled back. The journal comes back either way.
pub async fn apply_journaled(
    admin: &JiraClient,
    admin_name: &str,
    plan: &Plan,
    dir: &Path,
    events: &(dyn Fn(ApplyEvent) + Send + Sync),
) -> (Journal, Result<(), ApplyError>) {
    let mut j = new_journal(plan, admin, admin_name);
    let persist = |j: &Journal| j.save_in(dir).map(|_| ());
    let res = apply_plan(admin, &mut j, &persist, events).await;
    (j, res)
}

/// Load journal `id` from `dir` and check it belongs to `admin`'s Jira.
pub fn load_for(dir: &Path, id: &str, admin: &JiraClient) -> Result<Journal, Diagnosis> {
    let j = Journal::load_in(dir, id).map_err(|e| {
        Diagnosis::error(
            Code::ConfigError,
            e,
            "undo reverts exactly the changes one applied fix recorded",
            "use the id printed after `undo:` when the fix was applied",
        )
    })?;
    if j.base_url.trim_end_matches('/') != admin.base_url().as_str().trim_end_matches('/') {
        return Err(Diagnosis::error(
            Code::ConfigError,
            format!(
                "journal {id} was applied to {} but the admin connection points at {}; nothing changed",
                j.base_url,
                admin.base_url()
            ),
            "a journal's ids only mean something on the Jira it was applied to",
            "use the admin connection of that Jira",
        ));
    }
    Ok(j)
}

/// Revert journal `id` (in `dir`) through `admin` and save it; the journal as saved.
pub async fn undo_by_id(
    admin: &JiraClient,
    dir: &Path,
    id: &str,
    events: &(dyn Fn(ApplyEvent) + Send + Sync),
) -> Result<Journal, Diagnosis> {
    let mut j = load_for(dir, id, admin)?;
    let res = undo_journal(admin, &mut j, events).await;
    let saved = j.save_in(dir);
    res.map_err(|e| e.diagnosis)?;
    saved.map_err(|e| {
        Diagnosis::error(
            Code::ConfigError,
            e,
            "the changes were reverted but the journal could not record it",
            "make the state directory writable",
        )
    })?;
    Ok(j)
}

/// The outcome of [`apply_job`]: the journal and the plan it applied.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The journal (its id undoes the fix).
    pub journal: Journal,
}

/// Apply `plan` with `job`'s admin connection, journal in `dir` (the TUI's "y").
pub async fn apply_job(
    job: &AuditJob,
    plan: &Plan,
    dir: &Path,
    events: &(dyn Fn(ApplyEvent) + Send + Sync),
) -> Result<Applied, Diagnosis> {
    let admin = admin_client(job).await?;
    let name = job
        .admin
        .as_ref()
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let (journal, res) = apply_journaled(&admin, &name, plan, dir, events).await;
    match res {
        Ok(()) => Ok(Applied { journal }),
        Err(e) => {
            let mut d = e.diagnosis;
            if e.rolled_back {
                d.detail = format!("{}; everything applied before it was rolled back", d.detail);
            } else {
                d.detail = format!(
                    "{}; rollback incomplete ({}): undo journal {}",
                    d.detail,
                    e.rollback_failures.join("; "),
                    journal.id
                );
            }
            Err(d)
        }
    }
}

/// Undo journal `id` with `job`'s admin connection (the TUI's "u").
pub async fn undo_job(job: &AuditJob, dir: &Path, id: &str) -> Result<Journal, Diagnosis> {
    let admin = admin_client(job).await?;
    undo_by_id(&admin, dir, id, &|_| {}).await
}
