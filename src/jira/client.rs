//! JiraClient: base URL with context path, reqwest (rustls, custom CA, proxy, timeouts), typed calls,
//! retry with Retry-After for 429/503, and detection of silent failures on every response.
//! SKELETON: signatures are the contract; the client helper implements them.

use super::auth::Auth;
use super::error::JiraError;
use super::model::*;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;
use url::Url;

/// Which REST dialect the server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flavor {
    /// Jira Server / Data Center.
    #[default]
    Server,
    /// Atlassian Cloud.
    Cloud,
}

/// Retry budget for 429/503 answers.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub max_retries: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
        }
    }
}

/// Everything needed to build a client; built from a config `Connection`.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub base_url: Url,
    pub auth: Auth,
    pub flavor: Flavor,
    pub timeout: Duration,
    pub ca_file: Option<PathBuf>,
    pub insecure: bool,
    pub proxy: Option<String>,
    pub retry: RetryPolicy,
    /// Largest response body read before giving up with `response_too_large`.
    pub max_body_bytes: usize,
}

impl ClientOptions {
    /// Defaults: Server flavor, 20 s timeout, default retries, 32 MiB body cap.
    pub fn new(base_url: Url, auth: Auth) -> Self {
        Self {
            base_url,
            auth,
            flavor: Flavor::Server,
            timeout: Duration::from_secs(20),
            ca_file: None,
            insecure: false,
            proxy: None,
            retry: RetryPolicy::default(),
            max_body_bytes: 32 << 20,
        }
    }
}

/// A cheap-to-clone async Jira REST client.
#[derive(Clone, Debug)]
pub struct JiraClient {
    base_url: Url,
}

#[allow(unused_variables)]
impl JiraClient {
    /// Build a client (TLS roots, CA file, proxy, timeouts).
    pub fn new(opts: ClientOptions) -> Result<Self, JiraError> {
        todo!()
    }
    /// The configured base URL (context path included, no trailing slash).
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }
    /// `GET /rest/api/2/serverInfo`.
    pub async fn server_info(&self) -> Result<ServerInfo, JiraError> {
        todo!()
    }
    /// `GET /rest/applinks/1.0/manifest`.
    pub async fn manifest(&self) -> Result<Manifest, JiraError> {
        todo!()
    }
    /// `GET /rest/api/2/myself?expand=groups,applicationRoles`.
    pub async fn myself(&self) -> Result<User, JiraError> {
        todo!()
    }
    /// All projects visible to the caller (DC array with `expand=lead`; Cloud paged search).
    pub async fn projects(&self) -> Result<Vec<Project>, JiraError> {
        todo!()
    }
    /// `GET /rest/api/2/mypermissions[?projectKey=]` without deprecated aliases.
    pub async fn my_permissions(
        &self,
        project_key: Option<&str>,
        permissions: &[String],
    ) -> Result<Permissions, JiraError> {
        todo!()
    }
    /// `GET /rest/api/2/permissions` (every permission the instance knows).
    pub async fn all_permissions(&self) -> Result<Permissions, JiraError> {
        todo!()
    }
    /// `GET /rest/api/2/project/{key}/permissionscheme` (id + name).
    pub async fn project_permission_scheme(
        &self,
        key: &str,
    ) -> Result<PermissionScheme, JiraError> {
        todo!()
    }
    /// `GET /rest/api/2/permissionscheme?expand=permissions,user,group,projectRole` (all, with grants).
    pub async fn permission_schemes(&self) -> Result<Vec<PermissionScheme>, JiraError> {
        todo!()
    }
    /// `GET /rest/api/2/permissionscheme/{id}?expand=…` (one, with grants).
    pub async fn permission_scheme(&self, id: &str) -> Result<PermissionScheme, JiraError> {
        todo!()
    }
    /// `GET /rest/api/2/project/{key}/role`: role name → role URL.
    pub async fn project_roles(&self, key: &str) -> Result<BTreeMap<String, String>, JiraError> {
        todo!()
    }
    /// `GET /rest/api/2/project/{key}/role/{id}` with its actors.
    pub async fn project_role(&self, key: &str, role_id: &str) -> Result<ProjectRole, JiraError> {
        todo!()
    }
    /// `GET /rest/api/2/user?username=&expand=groups,applicationRoles`.
    pub async fn user(&self, username: &str) -> Result<User, JiraError> {
        todo!()
    }
}
