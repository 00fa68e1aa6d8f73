//! The admin calls the fix planner makes: paged group members, project roles and application
//! roles (reads), and the writes that apply or undo a fix — `POST/DELETE /rest/api/2/role`,
//! `POST/DELETE /rest/api/2/permissionscheme/{id}/permission`, `POST/DELETE
//! /rest/api/2/project/{key}/role/{id}` — as Jira DC 10.3's OpenAPI contract describes them.

use super::client::seg;
use super::model::{Page, PermissionGrant, ProjectRole, UserRef};
use super::{JiraClient, JiraError};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

/// Jira's page size for `group/member` (the resource's default and maximum).
pub const GROUP_PAGE: usize = 50;

/// A user or group named as a role actor.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorRef {
    /// A user by login name.
    User(String),
    /// A group by name.
    Group(String),
}

#[derive(Debug, Deserialize)]
struct AppRole {
    #[serde(default)]
    groups: Vec<String>,
}

impl JiraClient {
    /// `GET /rest/api/2/group/member?groupname=` over every page (`startAt`/`maxResults`, until
    /// `isLast`): the login names of the group's active members. Admin only (contract
    /// `getUsersFromGroup`: 403 for others, 404 for an unknown group).
    pub async fn group_members(&self, group: &str) -> Result<Vec<String>, JiraError> {
        let mut out = Vec::new();
        let mut start = 0usize;
        loop {
            let page: Page<UserRef> = self
                .get_json(
                    "/rest/api/2/group/member",
                    &[
                        ("groupname", group),
                        ("startAt", &start.to_string()),
                        ("maxResults", &GROUP_PAGE.to_string()),
                    ],
                )
                .await?;
            let n = page.values.len();
            out.extend(
                page.values
                    .into_iter()
                    .filter_map(|u| u.name.or(u.account_id)),
            );
            start += n;
            let last = page.is_last.unwrap_or(true)
                || n == 0
                || page.total.is_some_and(|t| start as u64 >= t);
            if last {
                return Ok(out);
            }
        }
    }

    /// `GET /rest/api/2/role`: every project role (id, name, description).
    pub async fn roles(&self) -> Result<Vec<ProjectRole>, JiraError> {
        self.get_json("/rest/api/2/role", &[]).await
    }

    /// `GET /rest/api/2/applicationrole/{key}`: the groups that confer the application role.
    pub async fn application_role_groups(&self, key: &str) -> Result<Vec<String>, JiraError> {
        let path = format!("/rest/api/2/applicationrole/{}", seg(key));
        let r: AppRole = self.get_json(&path, &[]).await?;
        Ok(r.groups)
    }

    /// `POST /rest/api/2/role` {name, description} → the created role (contract: 200).
    pub async fn create_role(
        &self,
        name: &str,
        description: &str,
    ) -> Result<ProjectRole, JiraError> {
        self.send_json(
            Method::POST,
            "/rest/api/2/role",
            &json!({"name": name, "description": description}),
        )
        .await
    }

    /// `DELETE /rest/api/2/role/{id}` (contract: 204; 409 while a scheme still uses it).
    pub async fn delete_role(&self, id: &str) -> Result<(), JiraError> {
        let path = format!("/rest/api/2/role/{}", seg(id));
        let _: Option<serde_json::Value> = self.send_empty(Method::DELETE, &path).await?;
        Ok(())
    }

    /// `POST /rest/api/2/permissionscheme/{id}/permission` {holder {type, parameter}, permission}
    /// → the created grant with its id (contract: 201).
    pub async fn add_permission_grant(
        &self,
        scheme_id: &str,
        permission: &str,
        holder_type: &str,
        parameter: Option<&str>,
    ) -> Result<PermissionGrant, JiraError> {
        let path = format!("/rest/api/2/permissionscheme/{}/permission", seg(scheme_id));
        let mut holder = json!({"type": holder_type});
        if let Some(p) = parameter {
            holder["parameter"] = json!(p);
        }
        self.send_json(
            Method::POST,
            &path,
            &json!({"holder": holder, "permission": permission}),
        )
        .await
    }

    /// `DELETE /rest/api/2/permissionscheme/{id}/permission/{grantId}` (contract: 204).
    pub async fn delete_permission_grant(
        &self,
        scheme_id: &str,
        grant_id: &str,
    ) -> Result<(), JiraError> {
        let path = format!(
            "/rest/api/2/permissionscheme/{}/permission/{}",
            seg(scheme_id),
            seg(grant_id)
        );
        let _: Option<serde_json::Value> = self.send_empty(Method::DELETE, &path).await?;
        Ok(())
    }

    /// `POST /rest/api/2/project/{key}/role/{id}` with `{"user":[name]}` or `{"group":[name]}`
    /// (contract `addActorUsers`: 200 with the role and its actors).
    pub async fn add_role_actor(
        &self,
        project: &str,
        role_id: &str,
        actor: &ActorRef,
    ) -> Result<(), JiraError> {
        let path = format!("/rest/api/2/project/{}/role/{}", seg(project), seg(role_id));
        let body = match actor {
            ActorRef::User(u) => json!({"user": [u]}),
            ActorRef::Group(g) => json!({"group": [g]}),
        };
        let _: Option<serde_json::Value> = self.send_json(Method::POST, &path, &body).await?;
        Ok(())
    }

    /// `DELETE /rest/api/2/project/{key}/role/{id}?user=|group=` (contract `deleteActor`: 204).
    pub async fn remove_role_actor(
        &self,
        project: &str,
        role_id: &str,
        actor: &ActorRef,
    ) -> Result<(), JiraError> {
        let (k, v) = match actor {
            ActorRef::User(u) => ("user", u),
            ActorRef::Group(g) => ("group", g),
        };
        let path = format!(
            "/rest/api/2/project/{}/role/{}?{k}={}",
            seg(project),
            seg(role_id),
            seg(v)
        );
        let _: Option<serde_json::Value> = self.send_empty(Method::DELETE, &path).await?;
        Ok(())
    }
}
