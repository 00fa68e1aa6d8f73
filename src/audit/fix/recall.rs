//! What the admin-assisted audit already read, kept for the planner: a [`Source`] that passes
//! every call through and remembers the answers the planner asks again (the scheme list, the
//! project list, each project's scheme and each (project, role)'s actors). A fix runs the audit
//! through it and gathers through the same recorder, so nothing is read twice in one run.

use super::snapshot::{AdminSource, MemberPage};
use crate::audit::source::Source;
use crate::audit::{AuditError, AuditRequest, Progress, Report};
use crate::jira::bulk::BulkGrants;
use crate::jira::model::{PermissionScheme, Permissions, Project, ProjectRole, ServerInfo, User};
use crate::jira::{JiraClient, JiraError};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

/// The answers kept (successful ones only: a failure is asked again).
#[derive(Default)]
struct Kept {
    schemes: Option<Vec<PermissionScheme>>,
    projects: Option<Vec<Project>>,
    project_scheme: HashMap<String, PermissionScheme>,
    scheme_by_id: HashMap<String, PermissionScheme>,
    roles: HashMap<(String, String), ProjectRole>,
}

/// A source that remembers what it read for the rest of the run (see the module doc).
#[derive(Clone)]
pub struct Recorder<S> {
    inner: S,
    kept: Arc<Mutex<Kept>>,
}

impl<S> Recorder<S> {
    /// Wrap `inner`; nothing kept yet.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            kept: Arc::default(),
        }
    }

    /// The wrapped source.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many (project, role) actor lists are kept.
    pub fn roles_kept(&self) -> usize {
        self.kept().roles.len()
    }
}

impl<S: Source> Source for Recorder<S> {
    fn server_info(&self) -> impl Future<Output = Result<ServerInfo, JiraError>> + Send {
        self.inner.server_info()
    }
    fn myself(&self) -> impl Future<Output = Result<User, JiraError>> + Send {
        self.inner.myself()
    }
    async fn projects(&self) -> Result<Vec<Project>, JiraError> {
        if let Some(p) = self.kept().projects.clone() {
            return Ok(p);
        }
        let p = self.inner.projects().await?;
        self.kept().projects = Some(p.clone());
        Ok(p)
    }
    fn my_permissions(
        &self,
        project_key: Option<&str>,
        permissions: &[String],
    ) -> impl Future<Output = Result<Permissions, JiraError>> + Send {
        self.inner.my_permissions(project_key, permissions)
    }
    fn all_permissions(&self) -> impl Future<Output = Result<Permissions, JiraError>> + Send {
        self.inner.all_permissions()
    }
    async fn project_permission_scheme(&self, key: &str) -> Result<PermissionScheme, JiraError> {
        if let Some(s) = self.kept().project_scheme.get(key).cloned() {
            return Ok(s);
        }
        let s = self.inner.project_permission_scheme(key).await?;
        self.kept()
            .project_scheme
            .insert(key.to_string(), s.clone());
        Ok(s)
    }
    async fn permission_schemes(&self) -> Result<Vec<PermissionScheme>, JiraError> {
        if let Some(s) = self.kept().schemes.clone() {
            return Ok(s);
        }
        let s = self.inner.permission_schemes().await?;
        self.kept().schemes = Some(s.clone());
        Ok(s)
    }
    async fn permission_scheme(&self, id: &str) -> Result<PermissionScheme, JiraError> {
        if let Some(s) = self.kept().scheme_by_id.get(id).cloned() {
            return Ok(s);
        }
        let s = self.inner.permission_scheme(id).await?;
        self.kept().scheme_by_id.insert(id.to_string(), s.clone());
        Ok(s)
    }
    async fn project_role(&self, key: &str, role_id: &str) -> Result<ProjectRole, JiraError> {
        let k = (key.to_string(), role_id.to_string());
        if let Some(r) = self.kept().roles.get(&k).cloned() {
            return Ok(r);
        }
        let r = self.inner.project_role(key, role_id).await?;
        self.kept().roles.insert(k, r.clone());
        Ok(r)
    }
    fn user(&self, username: &str) -> impl Future<Output = Result<User, JiraError>> + Send {
        self.inner.user(username)
    }
    fn http_requests(&self) -> Option<u64> {
        self.inner.http_requests()
    }
    fn has_bulk_permissions(&self) -> bool {
        self.inner.has_bulk_permissions()
    }
    fn bulk_permissions(
        &self,
        account_id: Option<&str>,
        permissions: &[String],
        global: &[String],
        project_ids: &[u64],
    ) -> impl Future<Output = Result<BulkGrants, JiraError>> + Send {
        self.inner
            .bulk_permissions(account_id, permissions, global, project_ids)
    }
}

impl<S: AdminSource> AdminSource for Recorder<S> {
    fn group_members_page(
        &self,
        group: &str,
        start: usize,
    ) -> impl Future<Output = Result<MemberPage, JiraError>> + Send {
        self.inner.group_members_page(group, start)
    }
    fn roles(&self) -> impl Future<Output = Result<Vec<(String, String)>, JiraError>> + Send {
        self.inner.roles()
    }
    fn application_role_groups(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Vec<String>, JiraError>> + Send {
        self.inner.application_role_groups(key)
    }
}

/// Run `req`'s audit with every connection wrapped in a [`Recorder`]; the report and the admin
/// connection's recorder, to gather through (the request must have an admin connection for a
/// fix; without one the report comes back with `None`).
pub async fn audit_recorded(
    req: AuditRequest<JiraClient>,
    progress: impl Fn(Progress) + Send + Sync,
) -> Result<(Report, Option<Recorder<JiraClient>>), AuditError> {
    let admin = req.admin.map(Recorder::new);
    let wrapped = AuditRequest {
        connection: req.connection,
        subject: req.subject.map(Recorder::new),
        admin: admin.clone(),
        username: req.username,
        required: req.required,
        projects: req.projects,
        concurrency: req.concurrency,
    };
    let report = crate::audit::run_with(wrapped, progress).await?;
    Ok((report, admin))
}
