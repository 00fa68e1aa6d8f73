//! Admin writes and admin reads the fix planner needs: project roles (`POST/DELETE /role`),
//! permission grants (`POST/DELETE /permissionscheme/{id}/permission`), role actors
//! (`POST/DELETE /project/{key}/role/{id}`), group members (`GET /group/member`, paged) and
//! application roles (`GET /applicationrole/{key}`). Status codes and bodies follow Jira DC 10.3's
//! OpenAPI contract (`../shared/contracts/jira-software-dc-10.3-openapi.json`), cited per answer.
use super::http::Ctx;
use super::reply::Reply;
use super::state::Shared;
use super::world::{ActorType, Grant, World};
use axum::http::Method;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;

/// Route the admin endpoints; `None` leaves the request to `rest::handle`.
pub fn handle(st: &Shared, ctx: &Ctx) -> Option<Reply> {
    let path = ctx.rel.strip_prefix("/rest/api/2/")?;
    // Path segments arrive percent-encoded (`jira%2Dsoftware`); the servlet container decodes them.
    let decoded: Vec<String> = path
        .trim_end_matches('/')
        .split('/')
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let segs: Vec<&str> = decoded.iter().map(String::as_str).collect();
    let m = &ctx.method;
    let reply = match (m, segs.as_slice()) {
        (&Method::GET, ["role"]) => admin(st, ctx, |u| role_list(st, u)),
        (&Method::POST, ["role"]) => admin(st, ctx, |_| role_create(st, ctx)),
        (&Method::DELETE, ["role", id]) => admin(st, ctx, |_| role_delete(st, id)),
        (&Method::POST, ["permissionscheme", id, "permission"]) => {
            admin(st, ctx, |_| grant_create(st, ctx, id))
        }
        (&Method::DELETE, ["permissionscheme", id, "permission", gid]) => {
            admin(st, ctx, |_| grant_delete(st, id, gid))
        }
        (&Method::POST, ["project", key, "role", id]) => actors(st, ctx, key, id, true),
        (&Method::DELETE, ["project", key, "role", id]) => actors(st, ctx, key, id, false),
        (&Method::GET, ["group", "member"]) => admin(st, ctx, |_| group_members(st, ctx)),
        (&Method::GET, ["applicationrole", key]) => admin(st, ctx, |_| app_role(st, key)),
        _ => return None,
    };
    Some(reply)
}

fn is_write(m: &Method) -> bool {
    *m == Method::POST || *m == Method::DELETE
}

/// Fault injection (`Sim::fail_write_after`): a 500 as Jira answers an internal error (the
/// `server-error` scenario's body, fixture-shaped `errorMessages`).
fn fault(st: &Shared, ctx: &Ctx) -> Option<Reply> {
    if !is_write(&ctx.method) {
        return None;
    }
    let left = st.write_fault.load(Ordering::SeqCst);
    if left < 0 {
        return None;
    }
    if left == 0 {
        st.write_fault.store(-1, Ordering::SeqCst);
        return Some(Reply::error(500, "Internal server error (injected fault)"));
    }
    st.write_fault.store(left - 1, Ordering::SeqCst);
    None
}

/// Global ADMINISTER only. The contract: 401 "Returned if the user is not logged in"
/// (fixture `error.401-not-authenticated.dc-10.3.19`), 403 "Returned if the requesting user is not
/// an admin or a sysadmin" (`/role`, `/group/member`, `/applicationrole/{key}`) / "not allowed to
/// edit permission schemes" (`/permissionscheme/{id}/permission`).
fn admin(st: &Shared, ctx: &Ctx, f: impl FnOnce(&str) -> Reply) -> Reply {
    let Some(user) = ctx.user.as_deref() else {
        return Reply::not_authenticated();
    };
    if !st.world().has_global(Some(user), "ADMINISTER") {
        let what = if ctx.rel.contains("permissionscheme") {
            "You are not allowed to edit permission schemes."
        } else {
            "You are not an administrator or a system administrator."
        };
        return Reply::error(403, what);
    }
    if let Some(r) = fault(st, ctx) {
        return r;
    }
    f(user)
}

/// ProjectRoleBean {self, name, id, description} (contract `ProjectRoleBean`).
fn role_json(base: &str, id: i64, name: &str, description: &str) -> Value {
    json!({
        "self": format!("{base}/rest/api/2/role/{id}"),
        "name": name,
        "id": id,
        "description": description,
        "actors": [],
    })
}

/// `GET /role`: 200 with the list of ProjectRoleBean (contract `getProjectRoles_1`).
fn role_list(st: &Shared, _user: &str) -> Reply {
    let base = st.jira_base();
    let w = st.world();
    let list: Vec<Value> = w
        .roles
        .iter()
        .map(|r| role_json(&base, r.id, &r.name, &r.description))
        .collect();
    Reply::json(200, &Value::Array(list))
}

/// `POST /role` {name, description}: 200 with the role (contract `createProjectRole`: "200 Returns
/// full details of the created role"), 400 without a valid name, 409 when the name exists.
fn role_create(st: &Shared, ctx: &Ctx) -> Reply {
    let body: Value = serde_json::from_slice(&ctx.body).unwrap_or(Value::Null);
    let name = body.get("name").and_then(Value::as_str).unwrap_or("");
    if name.is_empty() || name.trim() != name {
        // Contract: "400 Returned if the request json does not have a name field or the name
        // field is invalid (empty or starts or ends with whitespace)".
        return Reply::error(400, "Project role name is not valid.");
    }
    let description = body
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("");
    let base = st.jira_base();
    match st.world_mut().create_role(name, description) {
        Ok(r) => Reply::json(200, &role_json(&base, r.id, &r.name, &r.description)),
        // Contract: "409 Returned if a role with given name already exists."
        Err(e) => Reply::error(409, &e),
    }
}

/// `DELETE /role/{id}`: 204; 404 unknown id; 409 "if the project role is used in schemes and
/// roleToSwap query parameter is not given" (contract `deleteProjectRole`).
fn role_delete(st: &Shared, id: &str) -> Reply {
    let mut w = st.world_mut();
    let Some(id) = id
        .parse::<i64>()
        .ok()
        .filter(|i| w.roles.iter().any(|r| r.id == *i))
    else {
        // Fixture `error.role-not-found`.
        return Reply::error(404, "Role with given id not found.");
    };
    if w.role_in_schemes(id) {
        return Reply::error(
            409,
            "The project role is used in permission schemes; give a role to swap to.",
        );
    }
    w.delete_role(id);
    Reply::raw(204, super::reply::JSON, "")
}

fn scheme_not_found(id: &str) -> Reply {
    // Fixture `error.permissionscheme-not-found` (the contract's GET of the same path: "404
    // Returned if the scheme doesn't exist").
    Reply::error(404, &format!("Permission scheme {id} does not exist"))
}

fn grant_json(st: &Shared, base: &str, scheme_id: i64, g: &Grant) -> Value {
    let mut holder = json!({"type": g.holder.kind});
    if let Some(p) = &g.holder.parameter {
        // A user holder by account id on Cloud, as `rest::grant_json` (source cited there).
        if g.holder.kind == "user" {
            holder["parameter"] = json!(st.world().user_ref(p, st.cloud));
        } else {
            holder["parameter"] = json!(p);
        }
    }
    json!({
        "id": g.id,
        "self": format!("{base}/rest/api/2/permissionscheme/{scheme_id}/permission/{}", g.id),
        "holder": holder,
        "permission": g.permission,
    })
}

/// `POST /permissionscheme/{id}/permission` PermissionGrantBean {holder {type, parameter},
/// permission}: 201 with the grant (contract `createPermissionGrant`).
fn grant_create(st: &Shared, ctx: &Ctx, id: &str) -> Reply {
    let Some(scheme_id) = id.parse::<i64>().ok() else {
        return scheme_not_found(id);
    };
    if !st.world().schemes.iter().any(|s| s.id == scheme_id) {
        return scheme_not_found(id);
    }
    let body: Value = serde_json::from_slice(&ctx.body).unwrap_or(Value::Null);
    let permission = body.get("permission").and_then(Value::as_str).unwrap_or("");
    let holder = body.get("holder").cloned().unwrap_or(Value::Null);
    let kind = holder.get("type").and_then(Value::as_str).unwrap_or("");
    let parameter = holder.get("parameter").and_then(Value::as_str);
    // Cloud names a user holder by account id; the world keeps login names.
    let parameter: Option<String> = parameter.map(|p| match kind {
        "user" => st
            .world()
            .user_by_ref(p, st.cloud)
            .map_or_else(|| p.to_owned(), |u| u.name.clone()),
        _ => p.to_owned(),
    });
    let base = st.jira_base();
    let added = st
        .world_mut()
        .add_grant(scheme_id, permission, kind, parameter.as_deref());
    match added {
        Ok((_, g)) => Reply::json(201, &grant_json(st, &base, scheme_id, &g)),
        // Jira's 400 for invalid grants uses the field-errors shape (fixture
        // `error.400-field-errors`); the contract lists no 400 here: *unconfirmed*.
        Err(e) => Reply::json(
            400,
            &json!({"errorMessages": [], "errors": {"permission": e}}),
        ),
    }
}

/// `DELETE /permissionscheme/{id}/permission/{permissionId}`: 204 (contract
/// `deletePermissionSchemeEntity`); 404 for an unknown scheme or grant (the contract's GET of the
/// same path: "404 Returned if the scheme doesn't exist"; for DELETE the contract lists none:
/// *unconfirmed*).
fn grant_delete(st: &Shared, id: &str, gid: &str) -> Reply {
    let (Some(sid), Some(g)) = (id.parse::<i64>().ok(), gid.parse::<i64>().ok()) else {
        return scheme_not_found(id);
    };
    let mut w = st.world_mut();
    if !w.schemes.iter().any(|s| s.id == sid) {
        return scheme_not_found(id);
    }
    if !w.delete_grant(sid, g) {
        return Reply::error(404, &format!("Permission grant {gid} does not exist"));
    }
    Reply::raw(204, super::reply::JSON, "")
}

/// `POST /project/{key}/role/{id}` ActorsMap `{"user":[…]}` / `{"group":[…]}` → 200 with the role
/// and its actors (contract `addActorUsers`); `DELETE …?user=|group=` → 204 (`deleteActor`).
/// Both: 404 "if the project or role is not found, the calling user does not have permission to
/// view it or does not have permission to modify the actors in the project role"; 410 "if none of
/// the specified groups and users exist". Jira administrators and the project's administrators
/// may modify actors.
fn actors(st: &Shared, ctx: &Ctx, key: &str, id: &str, add: bool) -> Reply {
    let Some(user) = ctx.user.as_deref() else {
        return Reply::not_authenticated();
    };
    let not_found = || Reply::error(404, &format!("No project could be found with key '{key}'."));
    let (role_id, allowed) = {
        let w = st.world();
        let Some(p) = w.project(key) else {
            return not_found();
        };
        let allowed = w.has_global(Some(user), "ADMINISTER")
            || w.has_project_perm(Some(user), p, "ADMINISTER_PROJECTS");
        let role = id
            .parse::<i64>()
            .ok()
            .filter(|i| w.roles.iter().any(|r| r.id == *i));
        (role, allowed)
    };
    if !allowed {
        return not_found();
    }
    let Some(role_id) = role_id else {
        // Fixture `error.role-not-found`.
        return Reply::error(404, "Role with given id not found.");
    };
    if let Some(r) = fault(st, ctx) {
        return r;
    }
    let wanted: Vec<(ActorType, String)> = if add {
        let body: Value = serde_json::from_slice(&ctx.body).unwrap_or(Value::Null);
        let list = |k: &str| -> Vec<String> {
            body.get(k)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        list("user")
            .into_iter()
            .map(|u| (ActorType::User, u))
            .chain(list("group").into_iter().map(|g| (ActorType::Group, g)))
            .collect()
    } else {
        ctx.q("user")
            .map(|u| (ActorType::User, u.to_owned()))
            .into_iter()
            .chain(ctx.q("group").map(|g| (ActorType::Group, g.to_owned())))
            .collect()
    };
    // Cloud names users by account id (ActorsMap "Add users using `atlassian-user-role-actor`
    // and a list of account IDs", Cloud v3 ProjectRoleActorsUpdateBean); the world keeps login
    // names.
    let resolve = |w: &World, (kind, name): (ActorType, String)| match kind {
        ActorType::User => w
            .user_by_ref(&name, st.cloud)
            .map(|u| (ActorType::User, u.name.clone())),
        ActorType::Group => w.group(&name).is_some().then_some((ActorType::Group, name)),
    };
    {
        let mut w = st.world_mut();
        let valid: Vec<(ActorType, String)> =
            wanted.into_iter().filter_map(|a| resolve(&w, a)).collect();
        if valid.is_empty() {
            return Reply::error(410, "None of the specified users or groups exist.");
        }
        for (kind, name) in &valid {
            if let Err(e) = w.set_role_actor(key, &role_id.to_string(), *kind, name, add) {
                return Reply::error(404, &e);
            }
        }
    }
    if add {
        super::rest::role_one(st, ctx, key, &role_id.to_string())
    } else {
        Reply::raw(204, super::reply::JSON, "")
    }
}

/// `GET /group/member?groupname=&startAt=&maxResults=`: Jira's page bean {self, nextPage?,
/// maxResults, startAt, total, isLast, values} (contract `getUsersFromGroup`; shape in
/// reference/jira-answers.md "Permissions and groups"); 400 for an empty name, 404 unknown group.
/// `maxResults` defaults to 50: Atlassian's "Get users from group" reference shows
/// `…/group/member?groupname=…&includeInactiveUsers=false&startAt=0&maxResults=50` (Cloud platform
/// REST docs, mirrored at developers.qodex.ai/atlassian-jira/jira-reference/group-1/get-users-from-group);
/// the DC contract gives no default. Capping larger pages at 50 is *unconfirmed* for DC: it makes
/// the client page, which is what a real server with a lower cap needs anyway.
fn group_members(st: &Shared, ctx: &Ctx) -> Reply {
    let name = ctx.q("groupname").unwrap_or("");
    if name.is_empty() {
        return Reply::error(400, "Group name must not be empty.");
    }
    let start: usize = ctx.q("startAt").and_then(|v| v.parse().ok()).unwrap_or(0);
    let max: usize = ctx
        .q("maxResults")
        .and_then(|v| v.parse().ok())
        .unwrap_or(50)
        .clamp(1, 50);
    let base = st.jira_base();
    let w = st.world();
    let Some(g) = w.group(name) else {
        return Reply::error(404, &format!("The group '{name}' does not exist."));
    };
    let total = g.members.len();
    let values: Vec<Value> = g
        .members
        .iter()
        .skip(start)
        .take(max)
        .filter_map(|m| w.user(m))
        .map(|u| {
            json!({
                "self": format!("{base}/rest/api/2/user?username={}", u.name),
                "name": u.name,
                "key": u.key,
                "emailAddress": u.email,
                "displayName": u.display_name,
                "active": true,
                "timeZone": "Etc/UTC",
            })
        })
        .collect();
    let is_last = start + values.len() >= total;
    let q = |s: usize| {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("groupname", name)
            .append_pair("includeInactiveUsers", "false")
            .append_pair("maxResults", &max.to_string())
            .append_pair("startAt", &s.to_string())
            .finish()
    };
    let mut v = json!({
        "self": format!("{base}/rest/api/2/group/member?{}", q(start)),
        "maxResults": max,
        "startAt": start,
        "total": total,
        "isLast": is_last,
        "values": values,
    });
    if !is_last {
        v["nextPage"] = json!(format!("{base}/rest/api/2/group/member?{}", q(start + max)));
    }
    Reply::json(200, &v)
}

/// `GET /applicationrole/{key}`: ApplicationRoleBean {key, groups, name, defaultGroups, …};
/// 404 "if the role does not exist" (contract).
fn app_role(st: &Shared, key: &str) -> Reply {
    let w = st.world();
    match w.app_roles.iter().find(|r| r.key == key) {
        Some(r) => Reply::json(
            200,
            &json!({
                "key": r.key,
                "groups": r.groups,
                "name": r.name,
                "defaultGroups": r.groups.first().into_iter().collect::<Vec<_>>(),
                "selectedByDefault": false,
                "defined": true,
                "platform": r.key == "jira-core",
                "hasUnlimitedSeats": true,
            }),
        ),
        None => Reply::error(
            404,
            &format!("The application role '{key}' does not exist."),
        ),
    }
}
