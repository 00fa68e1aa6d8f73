//! Jira Cloud's bulk permission endpoints, REST v3 (and v2) "Permissions" group:
//! `POST /rest/api/{2,3}/permissions/check` ("Get bulk permissions") and
//! `POST /rest/api/{2,3}/permissions/project` ("Get permitted projects").
//!
//! Sources for every shape and rule below:
//! - request/response bodies: `../shared/fixtures/jira/permissions-check.{request,response}.cloud-doc-example.go-jira.json`
//!   (identical to the example in Atlassian's Cloud OpenAPI);
//! - rules: Atlassian's operation text as republished by jira.js (`getBulkPermissions`,
//!   src/cloud/api/permissions.ts) and atlassian_apis (pub.dev, `PermissionsApi.getBulkPermissions`):
//!   "If no account ID is provided, the operation returns details for the logged in user",
//!   "Invalid project and issue IDs are ignored", "A maximum of 1000 projects and 1000 issues can
//!   be checked", "Null values … are ignored", "Empty strings in projectPermissions.permissions are
//!   ignored", "This operation can be accessed anonymously", "Administer Jira global permission to
//!   check the permissions for other users";
//! - error codes: the Cloud OpenAPI lists 400 and 403 with an `ErrorCollection` body for
//!   `getBulkPermissions` (jira_api_v2 crate, `GetBulkPermissionsError::{Status400, Status403}`);
//!   the message texts are *unconfirmed* (no capture found), so the client never parses them;
//! - `permissions/project`: `{"permissions":[…]}` → `PermittedProjects {"projects":[{"id","key"}]}`
//!   (jira_v3_openapi `PermittedProjects` / `ProjectIdentifierBean`).
use super::http::Ctx;
use super::reply::Reply;
use super::state::Shared;
use super::world::World;
use axum::http::Method;
use serde::Deserialize;
use serde_json::{json, Value};

/// "A maximum of 1000 projects and 1000 issues can be checked" (getBulkPermissions).
pub const MAX_PROJECTS: usize = 1000;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CheckBody {
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    global_permissions: Option<Vec<Option<String>>>,
    #[serde(default)]
    project_permissions: Option<Vec<Option<Entry>>>,
}

#[derive(Debug, Deserialize)]
struct Entry {
    #[serde(default)]
    permissions: Vec<Option<String>>,
    #[serde(default)]
    projects: Option<Vec<Option<Value>>>,
    #[serde(default)]
    issues: Option<Vec<Option<Value>>>,
}

#[derive(Debug, Deserialize)]
struct PermittedBody {
    #[serde(default)]
    permissions: Vec<Option<String>>,
}

/// Answer the bulk endpoints (Cloud only; DC 10.3's contract has neither). `None`: not ours.
pub fn route(st: &Shared, ctx: &Ctx) -> Option<Reply> {
    if !st.cloud {
        return None;
    }
    let tail = ctx
        .rel
        .strip_prefix("/rest/api/3/")
        .or_else(|| ctx.rel.strip_prefix("/rest/api/2/"))?;
    let which = match tail.trim_end_matches('/') {
        "permissions/check" => Which::Check,
        "permissions/project" => Which::Project,
        _ => return None,
    };
    if ctx.method != Method::POST {
        // Both are POST-only operations in the Cloud OpenAPI.
        return Some(Reply::raw(405, super::reply::JSON, "").header("Allow", "POST"));
    }
    Some(match which {
        Which::Check => check(st, ctx),
        Which::Project => permitted(st, ctx),
    })
}

enum Which {
    Check,
    Project,
}

/// A project id as JSON (number or numeric string; anything else is an invalid id, ignored).
fn project_id(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn check(st: &Shared, ctx: &Ctx) -> Reply {
    let body: CheckBody = match serde_json::from_slice(&ctx.body) {
        Ok(b) => b,
        Err(e) => return Reply::error(400, &format!("Invalid request payload: {e}")),
    };
    let w = st.world();
    let caller = ctx.user.as_deref();
    // Whose permissions: the caller's, or another account's (Administer Jira required).
    let subject: Option<String> = match body.account_id.as_deref().filter(|a| !a.is_empty()) {
        None => caller.map(str::to_owned),
        Some(account) => {
            if !w.has_global(caller, "ADMINISTER") {
                return Reply::error(
                    403,
                    "You must have the Administer Jira global permission to check the permissions of other users.",
                );
            }
            match w.users.iter().find(|u| u.account_id == account) {
                Some(u) => Some(u.name.clone()),
                None => {
                    return Reply::error(
                        400,
                        &format!("The user with account ID {account} does not exist."),
                    )
                }
            }
        }
    };
    let subject = subject.as_deref();
    let entries: Vec<Entry> = body
        .project_permissions
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect();
    let asked: usize = entries
        .iter()
        .map(|e| {
            e.projects
                .as_ref()
                .map_or(0, |p| p.iter().flatten().count())
        })
        .sum();
    let asked_issues: usize = entries
        .iter()
        .map(|e| e.issues.as_ref().map_or(0, |p| p.iter().flatten().count()))
        .sum();
    if asked > MAX_PROJECTS || asked_issues > MAX_PROJECTS {
        return Reply::error(
            400,
            &format!(
                "A maximum of {MAX_PROJECTS} projects and {MAX_PROJECTS} issues can be checked."
            ),
        );
    }
    let globals: Vec<String> = body
        .global_permissions
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .filter(|k| w.has_global(subject, k))
        .collect();
    // One result per permission, in the order first asked (the fixture's response shape).
    let mut out: Vec<(String, Vec<u64>)> = Vec::new();
    for e in &entries {
        let ids: Vec<u64> = e
            .projects
            .as_ref()
            .map(|p| p.iter().flatten().filter_map(project_id).collect())
            .unwrap_or_default();
        for key in e.permissions.iter().flatten().filter(|k| !k.is_empty()) {
            if super::catalog::resolve(key).is_none() {
                return Reply::error(400, &format!("Unrecognized permission '{key}'."));
            }
            let slot = match out.iter().position(|(k, _)| k == key) {
                Some(i) => i,
                None => {
                    out.push((key.clone(), Vec::new()));
                    out.len() - 1
                }
            };
            for id in &ids {
                // Invalid project ids are ignored.
                let Some(p) = w.project(&id.to_string()) else {
                    continue;
                };
                if w.has_permission(subject, &p.key, key) && !out[slot].1.contains(id) {
                    out[slot].1.push(*id);
                }
            }
        }
    }
    let project_permissions: Vec<Value> = out
        .into_iter()
        .map(|(permission, projects)| {
            // The sim has no issues: every issue id is invalid and so ignored.
            json!({"permission": permission, "issues": [], "projects": projects})
        })
        .collect();
    Reply::json(
        200,
        &json!({"projectPermissions": project_permissions, "globalPermissions": globals}),
    )
}

fn permitted(st: &Shared, ctx: &Ctx) -> Reply {
    let body: PermittedBody = match serde_json::from_slice(&ctx.body) {
        Ok(b) => b,
        Err(e) => return Reply::error(400, &format!("Invalid request payload: {e}")),
    };
    let w: &World = &st.world();
    let keys: Vec<String> = body.permissions.into_iter().flatten().collect();
    for k in &keys {
        if super::catalog::resolve(k).is_none() {
            return Reply::error(400, &format!("Unrecognized permission '{k}'."));
        }
    }
    let user = ctx.user.as_deref();
    let projects: Vec<Value> = w
        .projects
        .iter()
        .filter(|p| keys.iter().all(|k| w.has_permission(user, &p.key, k)))
        .map(|p| json!({"id": p.id, "key": p.key}))
        .collect();
    Reply::json(200, &json!({"projects": projects}))
}
