//! Jira Cloud's bulk permission check, `POST /rest/api/3/permissions/check` ("Get bulk
//! permissions", REST v3 Permissions group): which of up to 1,000 projects a user holds each
//! project permission in, one request instead of one `mypermissions` per project.
//!
//! Shapes: `../shared/fixtures/jira/permissions-check.request.cloud-doc-example.go-jira.json` (request:
//! `{"accountId"?, "globalPermissions"?, "projectPermissions":[{"permissions":[…],"projects":[ids],
//! "issues"?:[ids]}]}`) and `…response…` (`{"projectPermissions":[{"permission","projects":[ids],
//! "issues":[ids]}],"globalPermissions":[…]}`), both identical to Atlassian's published example.
//! Rules (Atlassian's operation text, republished by jira.js `getBulkPermissions`): without
//! `accountId` it answers for the caller; another user's `accountId` needs Administer Jira;
//! "A maximum of 1000 projects and 1000 issues can be checked"; "Invalid project and issue IDs are
//! ignored".

use super::client::JiraClient;
use super::error::JiraError;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Projects one bulk check may name ("A maximum of 1000 projects … can be checked").
pub const MAX_PROJECTS_PER_CHECK: usize = 1000;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CheckRequest<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<&'a str>,
    global_permissions: &'a [String],
    project_permissions: [Entry<'a>; 1],
}

#[derive(Debug, Serialize)]
struct Entry<'a> {
    permissions: &'a [String],
    projects: Vec<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CheckResponse {
    #[serde(default)]
    project_permissions: Vec<Grants>,
    #[serde(default)]
    global_permissions: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Grants {
    permission: String,
    #[serde(default)]
    projects: Vec<serde_json::Value>,
}

/// What one bulk check answered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BulkGrants {
    /// Project permission key → ids of the checked projects where it is held.
    pub projects: BTreeMap<String, BTreeSet<u64>>,
    /// The asked global permissions that are held.
    pub global: BTreeSet<String>,
}

impl BulkGrants {
    /// Whether `permission` is held in project `id`.
    pub fn holds(&self, permission: &str, id: u64) -> bool {
        self.projects
            .get(permission)
            .is_some_and(|ids| ids.contains(&id))
    }

    /// Merge another check's answer (checks are split by 1,000 projects).
    pub fn merge(&mut self, other: BulkGrants) {
        for (k, ids) in other.projects {
            self.projects.entry(k).or_default().extend(ids);
        }
        self.global.extend(other.global);
    }
}

impl JiraClient {
    /// `POST /rest/api/3/permissions/check` for at most 1,000 project ids: which of
    /// `permissions` the user (the caller, or `account_id` with Administer Jira) holds in each.
    /// `global` are global permission keys to check alongside.
    pub async fn bulk_permissions(
        &self,
        account_id: Option<&str>,
        permissions: &[String],
        global: &[String],
        project_ids: &[u64],
    ) -> Result<BulkGrants, JiraError> {
        if project_ids.len() > MAX_PROJECTS_PER_CHECK {
            return Err(JiraError::config(format!(
                "a bulk permission check names at most {MAX_PROJECTS_PER_CHECK} projects, not {}",
                project_ids.len()
            )));
        }
        let body = CheckRequest {
            account_id,
            global_permissions: global,
            project_permissions: [Entry {
                permissions,
                projects: project_ids.to_vec(),
            }],
        };
        let r: CheckResponse = self
            .send_json(
                reqwest::Method::POST,
                "/rest/api/3/permissions/check",
                &body,
            )
            .await?;
        let mut out = BulkGrants::default();
        for g in r.project_permissions {
            // Ids are numbers in the example; a numeric string is accepted as well.
            let ids = g.projects.iter().filter_map(|v| match v {
                serde_json::Value::Number(n) => n.as_u64(),
                serde_json::Value::String(s) => s.parse().ok(),
                _ => None,
            });
            out.projects.entry(g.permission).or_default().extend(ids);
        }
        out.global = r.global_permissions.into_iter().collect();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixture from `../shared/fixtures/jira/` (`JIRALINK_SHARED_DIR` overrides the folder; a
    /// git worktree one level deeper finds it in the manifest directory's ancestors).
    fn fixture(name: &str) -> String {
        let rel = format!("shared/fixtures/jira/{name}");
        let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let path = std::env::var("JIRALINK_SHARED_DIR")
            .ok()
            .map(|d| std::path::PathBuf::from(d).join("fixtures/jira").join(name))
            .into_iter()
            .chain(manifest.ancestors().map(|a| a.join(&rel)))
            .find(|p| p.is_file())
            .unwrap_or_else(|| panic!("{name}: not found in ../shared/fixtures/jira/"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    #[test]
    fn the_request_has_the_documented_shape() {
        let perms = vec!["EDIT_ISSUES".to_string()];
        let global = vec!["ADMINISTER".to_string()];
        let body = CheckRequest {
            account_id: None,
            global_permissions: &global,
            project_permissions: [Entry {
                permissions: &perms,
                projects: vec![10001],
            }],
        };
        let ours = serde_json::to_value(&body).unwrap();
        let fixture: serde_json::Value = serde_json::from_str(&fixture(
            "permissions-check.request.cloud-doc-example.go-jira.json",
        ))
        .unwrap();
        // The fixture also asks about issues; everything else must match it key for key.
        let mut expected = fixture.clone();
        expected["projectPermissions"][0]
            .as_object_mut()
            .unwrap()
            .remove("issues");
        assert_eq!(ours, expected);
    }

    #[test]
    fn the_documented_response_decodes() {
        let r: CheckResponse = serde_json::from_str(&fixture(
            "permissions-check.response.cloud-doc-example.go-jira.json",
        ))
        .unwrap();
        assert_eq!(r.global_permissions, vec!["ADMINISTER".to_string()]);
        assert_eq!(r.project_permissions[0].permission, "EDIT_ISSUES");
        assert_eq!(
            r.project_permissions[0].projects,
            vec![serde_json::json!(10001)]
        );
    }
}
