//! The Jira calls the audit engine makes, as a trait: implemented by [`JiraClient`] and by in-memory
//! fakes in tests, so the gathering logic (concurrency, caching, 403 handling) is testable offline.

use crate::jira::bulk::BulkGrants;
use crate::jira::model::{PermissionScheme, Permissions, Project, ProjectRole, ServerInfo, User};
use crate::jira::{JiraClient, JiraError};
use std::future::Future;

/// Everything the audit reads from Jira. Futures are `Send` so an audit can run on a spawned task.
pub trait Source: Send + Sync {
    /// `GET /rest/api/2/serverInfo`.
    fn server_info(&self) -> impl Future<Output = Result<ServerInfo, JiraError>> + Send;
    /// `GET /rest/api/2/myself` with groups and application roles.
    fn myself(&self) -> impl Future<Output = Result<User, JiraError>> + Send;
    /// Projects visible to the caller.
    fn projects(&self) -> impl Future<Output = Result<Vec<Project>, JiraError>> + Send;
    /// `GET /rest/api/2/mypermissions?projectKey=`.
    fn my_permissions(
        &self,
        project_key: Option<&str>,
        permissions: &[String],
    ) -> impl Future<Output = Result<Permissions, JiraError>> + Send;
    /// `GET /rest/api/2/permissions`.
    fn all_permissions(&self) -> impl Future<Output = Result<Permissions, JiraError>> + Send;
    /// `GET /rest/api/2/project/{key}/permissionscheme`.
    fn project_permission_scheme(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<PermissionScheme, JiraError>> + Send;
    /// `GET /rest/api/2/permissionscheme` with grants.
    fn permission_schemes(
        &self,
    ) -> impl Future<Output = Result<Vec<PermissionScheme>, JiraError>> + Send;
    /// `GET /rest/api/2/permissionscheme/{id}` with grants.
    fn permission_scheme(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<PermissionScheme, JiraError>> + Send;
    /// `GET /rest/api/2/project/{key}/role/{id}` with actors.
    fn project_role(
        &self,
        key: &str,
        role_id: &str,
    ) -> impl Future<Output = Result<ProjectRole, JiraError>> + Send;
    /// `GET /rest/api/2/user?username=` with groups and application roles.
    fn user(&self, username: &str) -> impl Future<Output = Result<User, JiraError>> + Send;
    /// HTTP requests sent so far, retries and pages included, when the source counts them.
    fn http_requests(&self) -> Option<u64> {
        None
    }
    /// Whether [`Source::bulk_permissions`] is served (Jira Cloud's `permissions/check`).
    fn has_bulk_permissions(&self) -> bool {
        false
    }
    /// `POST /rest/api/3/permissions/check` for at most 1,000 project ids (Cloud).
    fn bulk_permissions(
        &self,
        account_id: Option<&str>,
        permissions: &[String],
        global: &[String],
        project_ids: &[u64],
    ) -> impl Future<Output = Result<BulkGrants, JiraError>> + Send {
        let _ = (account_id, permissions, global, project_ids);
        async {
            Err(JiraError::config(
                "this source has no bulk permission check (Jira Cloud only)",
            ))
        }
    }
}

impl Source for JiraClient {
    fn http_requests(&self) -> Option<u64> {
        Some(self.request_counter())
    }
    fn has_bulk_permissions(&self) -> bool {
        self.flavor() == crate::jira::Flavor::Cloud
    }
    fn bulk_permissions(
        &self,
        account_id: Option<&str>,
        permissions: &[String],
        global: &[String],
        project_ids: &[u64],
    ) -> impl Future<Output = Result<BulkGrants, JiraError>> + Send {
        JiraClient::bulk_permissions(self, account_id, permissions, global, project_ids)
    }
    fn server_info(&self) -> impl Future<Output = Result<ServerInfo, JiraError>> + Send {
        JiraClient::server_info(self)
    }
    fn myself(&self) -> impl Future<Output = Result<User, JiraError>> + Send {
        JiraClient::myself(self)
    }
    fn projects(&self) -> impl Future<Output = Result<Vec<Project>, JiraError>> + Send {
        JiraClient::projects(self)
    }
    fn my_permissions(
        &self,
        project_key: Option<&str>,
        permissions: &[String],
    ) -> impl Future<Output = Result<Permissions, JiraError>> + Send {
        JiraClient::my_permissions(self, project_key, permissions)
    }
    fn all_permissions(&self) -> impl Future<Output = Result<Permissions, JiraError>> + Send {
        JiraClient::all_permissions(self)
    }
    fn project_permission_scheme(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<PermissionScheme, JiraError>> + Send {
        JiraClient::project_permission_scheme(self, key)
    }
    fn permission_schemes(
        &self,
    ) -> impl Future<Output = Result<Vec<PermissionScheme>, JiraError>> + Send {
        JiraClient::permission_schemes(self)
    }
    fn permission_scheme(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<PermissionScheme, JiraError>> + Send {
        JiraClient::permission_scheme(self, id)
    }
    fn project_role(
        &self,
        key: &str,
        role_id: &str,
    ) -> impl Future<Output = Result<ProjectRole, JiraError>> + Send {
        JiraClient::project_role(self, key, role_id)
    }
    fn user(&self, username: &str) -> impl Future<Output = Result<User, JiraError>> + Send {
        JiraClient::user(self, username)
    }
}
