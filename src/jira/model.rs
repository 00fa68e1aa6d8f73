//! serde models of the JSON Jira returns. Tolerant on purpose: every field that some Jira version or
//! deployment omits is optional, ids may be strings or numbers, unknown holder types are kept raw.

use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;

/// Deserialize an id that Jira sends as a string on Server/DC and sometimes as a number (Cloud v3).
pub fn de_id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        S(String),
        N(i64),
        F(f64),
    }
    Ok(match Id::deserialize(d)? {
        Id::S(s) => s,
        Id::N(n) => n.to_string(),
        Id::F(f) => f.to_string(),
    })
}

/// Like [`de_id`] for an optional id.
pub fn de_opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        S(String),
        N(i64),
        F(f64),
    }
    Ok(Option::<Id>::deserialize(d)?.map(|id| match id {
        Id::S(s) => s,
        Id::N(n) => n.to_string(),
        Id::F(f) => f.to_string(),
    }))
}

/// `GET /rest/api/2/serverInfo`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerInfo {
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub version_numbers: Vec<u32>,
    #[serde(default)]
    pub deployment_type: Option<String>,
    #[serde(default)]
    pub build_number: Option<u64>,
    #[serde(default)]
    pub build_date: Option<String>,
    #[serde(default)]
    pub server_time: Option<String>,
    #[serde(default)]
    pub scm_info: Option<String>,
    #[serde(default)]
    pub server_title: Option<String>,
}

impl ServerInfo {
    /// True for Atlassian Cloud (`deploymentType: "Cloud"`).
    pub fn is_cloud(&self) -> bool {
        self.deployment_type.as_deref() == Some("Cloud")
    }

    /// (major, minor, patch), from `versionNumbers` or parsed from `version`.
    pub fn version_tuple(&self) -> Option<(u32, u32, u32)> {
        if self.version_numbers.len() >= 2 {
            let v = &self.version_numbers;
            return Some((v[0], v[1], v.get(2).copied().unwrap_or(0)));
        }
        parse_version(self.version.as_deref()?)
    }
}

/// Parse "9.12.3" (or "9.12") into a tuple.
pub fn parse_version(s: &str) -> Option<(u32, u32, u32)> {
    let mut it = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty());
    let major = it.next()?.parse().ok()?;
    let minor = it.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let patch = it.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    Some((major, minor, patch))
}

/// A list wrapper Jira uses for expandable collections: `{"size": 3, "items": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemList<T> {
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default = "Vec::new")]
    pub items: Vec<T>,
}

impl<T> Default for ItemList<T> {
    fn default() -> Self {
        Self {
            size: None,
            items: Vec::new(),
        }
    }
}

/// A group as it appears in user expansions and grant holders.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupRef {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub group_id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// An application role (`jira-software`, `jira-core`, …) in a user expansion.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationRoleRef {
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

/// `GET /rest/api/2/myself` and `GET /rest/api/2/user?username=`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub account_id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub email_address: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub groups: Option<ItemList<GroupRef>>,
    #[serde(default)]
    pub application_roles: Option<ItemList<ApplicationRoleRef>>,
}

impl User {
    /// Whether the answer names a user at all (`name`, `key` or `accountId`, not blank).
    pub fn has_identity(&self) -> bool {
        [&self.name, &self.key, &self.account_id]
            .into_iter()
            .any(|v| v.as_deref().is_some_and(|s| !s.trim().is_empty()))
    }

    /// The login name (Server/DC `name`, Cloud `accountId`, else display name).
    pub fn login(&self) -> &str {
        self.name
            .as_deref()
            .or(self.account_id.as_deref())
            .or(self.display_name.as_deref())
            .unwrap_or("?")
    }

    /// Group names from the `groups` expansion (empty when not expanded).
    pub fn group_names(&self) -> Vec<String> {
        self.groups
            .iter()
            .flat_map(|g| g.items.iter())
            .filter_map(|g| g.name.clone())
            .collect()
    }

    /// Application role keys from the `applicationRoles` expansion.
    pub fn application_role_keys(&self) -> Vec<String> {
        self.application_roles
            .iter()
            .flat_map(|g| g.items.iter())
            .filter_map(|r| r.key.clone())
            .collect()
    }
}

/// A short user reference (project lead, role actor user, grant holder user).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRef {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub account_id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// A project from `GET /rest/api/2/project` (DC: array) or `project/search` (Cloud: paged).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    #[serde(deserialize_with = "de_id")]
    pub id: String,
    pub key: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub project_type_key: Option<String>,
    #[serde(default)]
    pub lead: Option<UserRef>,
    #[serde(default)]
    pub archived: Option<bool>,
}

/// Cloud's paged envelope (`project/search`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    #[serde(default)]
    pub start_at: Option<u64>,
    #[serde(default)]
    pub max_results: Option<u64>,
    #[serde(default)]
    pub total: Option<u64>,
    #[serde(default)]
    pub is_last: Option<bool>,
    #[serde(default = "Vec::new")]
    pub values: Vec<T>,
}

/// One entry of `mypermissions` or `permissions`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionEntry {
    #[serde(default, deserialize_with = "de_opt_id")]
    pub id: Option<String>,
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub have_permission: Option<bool>,
    /// Set on legacy aliases (e.g. `BROWSE` next to `BROWSE_PROJECTS`); such entries are dropped.
    #[serde(default)]
    pub deprecated_key: Option<bool>,
}

/// `GET /rest/api/2/mypermissions` and `GET /rest/api/2/permissions`: `{"permissions": {KEY: entry}}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Permissions {
    #[serde(default)]
    pub permissions: BTreeMap<String, PermissionEntry>,
}

impl Permissions {
    /// Drop the `deprecatedKey` aliases so each permission appears once.
    pub fn without_deprecated(mut self) -> Self {
        self.permissions
            .retain(|_, e| e.deprecated_key != Some(true));
        self
    }

    /// Whether the caller holds `key` (None when Jira did not report it).
    pub fn has(&self, key: &str) -> Option<bool> {
        self.permissions.get(key).and_then(|e| e.have_permission)
    }
}

/// The holder of a permission grant, as Jira sends it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Holder {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub parameter: Option<String>,
    /// Cloud sends `value` (group id / role id) next to `parameter`.
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub user: Option<UserRef>,
    #[serde(default)]
    pub group: Option<GroupRef>,
    #[serde(default)]
    pub project_role: Option<RoleRef>,
    #[serde(default)]
    pub field: Option<serde_json::Value>,
    #[serde(default)]
    pub expand: Option<String>,
}

/// The interpreted holder type. Anything unknown is kept raw as `Other`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum HolderKind {
    /// Any visitor, even anonymous ("Public").
    Anyone,
    /// Members of a group.
    Group { name: String },
    /// Actors of a project role in the project being evaluated.
    ProjectRole { id: String },
    /// One user.
    User { name: String },
    /// Users with an application role; `None` = any logged-in user.
    ApplicationRole { key: Option<String> },
    /// The project's lead.
    ProjectLead,
    /// The issue's reporter (issue-level).
    Reporter,
    /// The issue's assignee (issue-level).
    Assignee,
    /// Users or groups named in a custom field (issue-level).
    CustomField { kind: String, field: String },
    /// A holder type jiralink does not know.
    Other {
        kind: String,
        parameter: Option<String>,
    },
}

impl Holder {
    /// Interpret the raw holder.
    pub fn interpret(&self) -> HolderKind {
        let param = self
            .parameter
            .clone()
            .or_else(|| self.value.clone())
            .filter(|p| !p.is_empty());
        match self.kind.as_str() {
            "anyone" => HolderKind::Anyone,
            // Jira DC sends a group holder without parameter for "Anyone" in old schemes.
            "group" => match param.or_else(|| self.group.as_ref().and_then(|g| g.name.clone())) {
                Some(name) => HolderKind::Group { name },
                None => HolderKind::Anyone,
            },
            "projectRole" => {
                match param.or_else(|| self.project_role.as_ref().and_then(|r| r.id.clone())) {
                    Some(id) => HolderKind::ProjectRole { id },
                    None => HolderKind::Other {
                        kind: self.kind.clone(),
                        parameter: None,
                    },
                }
            }
            "user" => match param.or_else(|| {
                self.user
                    .as_ref()
                    .and_then(|u| u.name.clone().or(u.account_id.clone()))
            }) {
                Some(name) => HolderKind::User { name },
                None => HolderKind::Other {
                    kind: self.kind.clone(),
                    parameter: None,
                },
            },
            "applicationRole" => HolderKind::ApplicationRole { key: param },
            "projectLead" => HolderKind::ProjectLead,
            "reporter" | "reporterWithCreatePermission" => HolderKind::Reporter,
            "assignee" | "assigneeWithAssignablePermission" => HolderKind::Assignee,
            "userCustomField" | "groupCustomField" => HolderKind::CustomField {
                kind: self.kind.clone(),
                field: param.unwrap_or_default(),
            },
            other => HolderKind::Other {
                kind: other.to_string(),
                parameter: param,
            },
        }
    }
}

/// A role reference inside a holder.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleRef {
    #[serde(default, deserialize_with = "de_opt_id")]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// One grant of a permission scheme.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionGrant {
    #[serde(default, deserialize_with = "de_opt_id")]
    pub id: Option<String>,
    pub holder: Holder,
    pub permission: String,
}

/// A permission scheme (`permissionscheme/{id}` or `project/{key}/permissionscheme`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionScheme {
    #[serde(deserialize_with = "de_id")]
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub permissions: Vec<PermissionGrant>,
}

/// `GET /rest/api/2/permissionscheme`: `{"permissionSchemes": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionSchemes {
    #[serde(default)]
    pub permission_schemes: Vec<PermissionScheme>,
}

/// A project role with its actors (`project/{key}/role/{id}`, `role/{id}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectRole {
    #[serde(default, deserialize_with = "de_opt_id")]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub actors: Vec<RoleActor>,
}

/// An actor of a project role: a user or a group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleActor {
    #[serde(default, deserialize_with = "de_opt_id")]
    pub id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    /// `atlassian-user-role-actor` or `atlassian-group-role-actor`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub actor_user: Option<serde_json::Value>,
    #[serde(default)]
    pub actor_group: Option<GroupRef>,
}

impl RoleActor {
    /// True when this actor is a group.
    pub fn is_group(&self) -> bool {
        self.kind.as_deref() == Some("atlassian-group-role-actor") || self.actor_group.is_some()
    }

    /// The user or group name this actor stands for.
    pub fn actor_name(&self) -> Option<String> {
        if self.is_group() {
            self.actor_group
                .as_ref()
                .and_then(|g| g.name.clone())
                .or(self.name.clone())
        } else {
            self.name.clone().or_else(|| {
                self.actor_user
                    .as_ref()
                    .and_then(|u| u.get("accountId"))
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            })
        }
    }
}

/// The applinks manifest (`GET /rest/applinks/1.0/manifest`), JSON or XML.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub type_id: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default, deserialize_with = "de_opt_id")]
    pub build_number: Option<String>,
    #[serde(default)]
    pub applinks_version: Option<String>,
    /// Jira's own idea of its base URL.
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub public_signup: Option<bool>,
    #[serde(default)]
    pub inbound_authentication_types: Vec<String>,
    #[serde(default)]
    pub outbound_authentication_types: Vec<String>,
}

/// The error bodies Jira sends, in their three shapes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// `{"errorMessages": [...], "errors": {...}}` (REST v2 resources).
    #[serde(default)]
    pub error_messages: Vec<String>,
    #[serde(default)]
    pub errors: BTreeMap<String, serde_json::Value>,
    /// `{"message": "...", "status-code": 401}` (the servlet filter in front of REST), or the
    /// applinks plugin's `ErrorListEntity` `{"status": 400, "message": ["…", …]}` (its
    /// `RestUtil.badRequest`; decompiled `com.atlassian.applinks.core.rest.model.ErrorListEntity`),
    /// whose messages are joined with "; ".
    #[serde(default, deserialize_with = "string_or_list")]
    pub message: Option<String>,
    #[serde(default, rename = "status-code")]
    pub status_code: Option<u16>,
    /// `{"errorMessage": "..."}` (Cloud edge / some plugins).
    #[serde(default)]
    pub error_message: Option<String>,
}

/// A string, or a list of strings joined with "; " (null and an empty list are None).
fn string_or_list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        None => None,
        Some(OneOrMany::One(s)) => Some(s),
        Some(OneOrMany::Many(v)) => (!v.is_empty()).then(|| v.join("; ")),
    })
}

impl ErrorBody {
    /// All messages in one line, or None when the body carried none.
    pub fn summary(&self) -> Option<String> {
        let mut parts: Vec<String> = self.error_messages.clone();
        parts.extend(self.errors.iter().map(|(k, v)| match v.as_str() {
            Some(s) => format!("{k}: {s}"),
            None => format!("{k}: {v}"),
        }));
        parts.extend(self.message.clone());
        parts.extend(self.error_message.clone());
        let parts: Vec<String> = parts.into_iter().filter(|s| !s.trim().is_empty()).collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applinks_error_list_messages() {
        let e: ErrorBody = serde_json::from_str(
            r#"{"status":400,"message":["applinks.invalid.consumer.publickey","second"]}"#,
        )
        .unwrap();
        assert_eq!(
            e.summary().as_deref(),
            Some("applinks.invalid.consumer.publickey; second")
        );
        let e: ErrorBody =
            serde_json::from_str(r#"{"message":"null for uri: x","status-code":404}"#).unwrap();
        assert_eq!(e.summary().as_deref(), Some("null for uri: x"));
    }

    #[test]
    fn ids_as_string_or_number() {
        let s: PermissionScheme = serde_json::from_str(r#"{"id":10100,"name":"x"}"#).unwrap();
        assert_eq!(s.id, "10100");
        let s: PermissionScheme = serde_json::from_str(r#"{"id":"10100","name":"x"}"#).unwrap();
        assert_eq!(s.id, "10100");
    }

    #[test]
    fn holder_interpretation() {
        let h: Holder =
            serde_json::from_str(r#"{"type":"group","parameter":"jira-users"}"#).unwrap();
        assert_eq!(
            h.interpret(),
            HolderKind::Group {
                name: "jira-users".into()
            }
        );
        let h: Holder = serde_json::from_str(r#"{"type":"group"}"#).unwrap();
        assert_eq!(h.interpret(), HolderKind::Anyone);
        let h: Holder = serde_json::from_str(r#"{"type":"applicationRole"}"#).unwrap();
        assert_eq!(h.interpret(), HolderKind::ApplicationRole { key: None });
        let h: Holder = serde_json::from_str(r#"{"type":"weird","parameter":"x"}"#).unwrap();
        assert!(matches!(h.interpret(), HolderKind::Other { .. }));
    }

    #[test]
    fn version_parsing() {
        assert_eq!(parse_version("9.12.3"), Some((9, 12, 3)));
        assert_eq!(parse_version("10.3"), Some((10, 3, 0)));
        assert_eq!(parse_version("1001.0.0-SNAPSHOT"), Some((1001, 0, 0)));
    }
}
