//! `/rest/api/2/*`: server info, users, projects, permissions, permission schemes and roles, with
//! the shapes of Jira DC 10.3's OpenAPI contract and the captured fixtures.
use super::catalog::{self, PermType, DEPRECATED_ALIASES, PERMISSIONS};
use super::http::Ctx;
use super::reply::{Reply, JSON};
use super::state::Shared;
use super::world::{ActorType, Grant, Project, Scheme, User, World};
use axum::http::Method;
use serde_json::{json, Map, Value};

/// Route a `/rest/api/2/…` request.
pub fn handle(st: &Shared, ctx: &Ctx) -> Reply {
    if let Some(reply) = super::admin_rest::handle(st, ctx) {
        return reply;
    }
    if ctx.method != Method::GET {
        // Jersey answers a method no resource method declares with 405, `Allow` and an empty
        // body: jenkinsci/jira-plugin#213 shows Jira's 405 failing JSON parsing "at character 0".
        return Reply::raw(405, JSON, "").header("Allow", "GET");
    }
    let v3 = if st.cloud {
        ctx.rel.strip_prefix("/rest/api/3/")
    } else {
        None
    };
    let Some(path) = ctx.rel.strip_prefix("/rest/api/2/").or(v3) else {
        return null_for_uri(st, ctx);
    };
    let segs: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    match segs.as_slice() {
        ["serverInfo"] => server_info(st),
        ["myself"] => with_user(ctx, |u| myself(st, ctx, u)),
        ["user"] => with_user(ctx, |_| user(st, ctx)),
        ["project"] if !st.cloud => project_list(st, ctx),
        ["project", "search"] if st.cloud => project_search(st, ctx),
        ["project", key] => project_one(st, ctx, key),
        ["project", key, "permissionscheme"] => with_user(ctx, |u| project_scheme(st, ctx, u, key)),
        ["project", key, "role"] => role_map(st, ctx, key),
        ["project", key, "role", id] => role_one(st, ctx, key, id),
        ["mypermissions"] => with_user(ctx, |u| my_permissions(st, ctx, u)),
        ["permissions"] => with_user(ctx, |u| {
            // DC contract `getAllPermissions`: 403 "for users without administer permissions".
            // Cloud documents only "Permission to access Jira" (REST v3 "Get all permissions").
            if !st.cloud && !st.world().has_global(Some(u), "ADMINISTER") {
                return Reply::error(403, "You are not authorized to perform this operation.");
            }
            all_permissions()
        }),
        ["permissionscheme"] => with_user(ctx, |u| scheme_list(st, ctx, u)),
        ["permissionscheme", id] => with_user(ctx, |u| scheme_one(st, ctx, u, id)),
        _ => null_for_uri(st, ctx),
    }
}

/// Jersey's 404 for a path no resource matches: `{"message":"null for uri: <url>","status-code":
/// 404}`, not Jira's error collection (captured in solidify/jira-azuredevops-migrator#13 and
/// qoomon/Jira-Issue-Card-Printer#48).
fn null_for_uri(st: &Shared, ctx: &Ctx) -> Reply {
    Reply::json(
        404,
        &json!({"message": format!("null for uri: {}{}", st.jira_base(), ctx.rel), "status-code": 404}),
    )
}

/// Anonymous callers of a resource that needs a user get the DC 401 `{"message","status-code"}`
/// (fixture `error.401-not-authenticated.dc-10.3.19.slac.json`, via `Reply::not_authenticated`).
fn with_user(ctx: &Ctx, f: impl FnOnce(&str) -> Reply) -> Reply {
    match ctx.user.as_deref() {
        Some(u) => f(u),
        None => Reply::not_authenticated(),
    }
}

/// `1.2.3` → `[1,2,3]`.
fn version_numbers(v: &str) -> Vec<u64> {
    v.split(['.', '-'])
        .take(3)
        .map(|p| p.parse().unwrap_or(0))
        .collect()
}

/// Jira's build numbers: 8.20.10 → 820010, 10.3.19 → 10030019 (the DC 10.3.19 fixture).
pub(crate) fn build_number(v: &str) -> u64 {
    let n = version_numbers(v);
    let (a, b, c) = (
        n.first().copied().unwrap_or(0),
        n.get(1).copied().unwrap_or(0),
        n.get(2).copied().unwrap_or(0),
    );
    if a >= 10 {
        a * 1_000_000 + b * 10_000 + c
    } else {
        a * 100_000 + b * 1_000 + c
    }
}

fn jira_time(secs: i64) -> String {
    let t =
        time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let fmt =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].000+0000");
    t.format(&fmt).unwrap_or_default()
}

/// `GET /serverInfo`, the fields of fixture `serverInfo.dc-10.3.19.slac.json` (`deploymentType`
/// `"Server"` even on DC, `buildNumber`, `databaseBuildNumber`, `scmInfo`, `serverTitle`) and, in
/// cloud mode, of `serverInfo.cloud.jira-cli.json` (`"Cloud"`, `defaultLocale`).
fn server_info(st: &Shared) -> Reply {
    let mut v = json!({
        "baseUrl": st.jira_base(),
        "version": st.version,
        "versionNumbers": version_numbers(&st.version),
        "deploymentType": if st.cloud { "Cloud" } else { "Server" },
        "buildNumber": build_number(&st.version),
        "buildDate": "2024-01-15T00:00:00.000+0000",
        "serverTime": jira_time(st.now_secs()),
        "scmInfo": format!("{:040x}", u128::from(st.seed) * 0x9e37_79b9_7f4a_7c15_u128 + 0x5eed),
        "serverTitle": "Jira",
    });
    if st.cloud {
        v["defaultLocale"] = json!({"locale": "en_US"});
    } else {
        v["databaseBuildNumber"] = json!(build_number(&st.version));
    }
    Reply::json(200, &v)
}

fn avatar_urls(base: &str, owner: &str) -> Value {
    json!({
        "48x48": format!("{base}/secure/useravatar?ownerId={owner}&avatarId=10122"),
        "24x24": format!("{base}/secure/useravatar?size=small&ownerId={owner}&avatarId=10122"),
        "16x16": format!("{base}/secure/useravatar?size=xsmall&ownerId={owner}&avatarId=10122"),
        "32x32": format!("{base}/secure/useravatar?size=medium&ownerId={owner}&avatarId=10122"),
    })
}

/// The short user object used for leads and holders.
fn user_short(st: &Shared, u: &User) -> Value {
    let base = st.jira_base();
    if st.cloud {
        return json!({
            "self": format!("{base}/rest/api/2/user?accountId={}", u.account_id),
            "accountId": u.account_id,
            "avatarUrls": avatar_urls(&base, &u.account_id),
            "displayName": u.display_name,
            "active": true,
        });
    }
    json!({
        "self": format!("{base}/rest/api/2/user?username={}", u.name),
        "key": u.key,
        "name": u.name,
        "avatarUrls": avatar_urls(&base, &u.key),
        "displayName": u.display_name,
        "active": true,
    })
}

/// The full user object of `myself` / `user`; groups and application roles only when expanded
/// (fixture `user.groups-not-expanded`: `{"size":N,"items":[]}`).
fn user_full(st: &Shared, ctx: &Ctx, w: &World, u: &User) -> Value {
    let base = st.jira_base();
    let mut v = user_short(st, u);
    v["emailAddress"] = json!(u.email);
    v["timeZone"] = json!("Etc/UTC");
    v["locale"] = json!("en_US");
    if !st.cloud {
        v["deleted"] = json!(false);
        v["self"] = json!(format!("{base}/rest/api/2/user?username={}", u.name));
    } else {
        v["accountType"] = json!("atlassian");
    }
    let groups = w.groups_of(&u.name);
    let group_items: Vec<Value> = if ctx.expands("groups") {
        groups
            .iter()
            .map(|g| json!({"name": g, "self": format!("{base}/rest/api/2/group?groupname={g}")}))
            .collect()
    } else {
        Vec::new()
    };
    let roles = w.app_roles_of(&u.name);
    let role_items: Vec<Value> = if ctx.expands("applicationRoles") {
        roles
            .iter()
            .map(|r| json!({"key": r.key, "name": r.name}))
            .collect()
    } else {
        Vec::new()
    };
    v["groups"] = json!({"size": groups.len(), "items": group_items});
    v["applicationRoles"] = json!({"size": roles.len(), "items": role_items});
    v["expand"] = json!("groups,applicationRoles");
    v
}

fn myself(st: &Shared, ctx: &Ctx, name: &str) -> Reply {
    let w = st.world();
    match w.user(name) {
        Some(u) => Reply::json(200, &user_full(st, ctx, &w, u)),
        None => Reply::not_authenticated(),
    }
}

fn user(st: &Shared, ctx: &Ctx) -> Reply {
    let w = st.world();
    let wanted = ctx
        .q("username")
        .or_else(|| ctx.q("key"))
        .or_else(|| ctx.q("accountId"));
    let Some(wanted) = wanted else {
        // The DC contract (`getUser_1`) documents no 400, only 404 "if the requested user is not
        // found": a request naming nobody finds nobody. The text (`'null'`) is *unconfirmed*.
        return Reply::error(404, "The user named 'null' does not exist");
    };
    let found = w
        .users
        .iter()
        .find(|u| u.name == wanted || u.key == wanted || u.account_id == wanted);
    match found {
        Some(u) => Reply::json(200, &user_full(st, ctx, &w, u)),
        // Jira's words, in its error collection (solidify/jira-azuredevops-migrator#25, #26:
        // "The user named 'nnn' does not exist"; devlake#2550 shows the 404 collection shape).
        None => Reply::error(404, &format!("The user named '{wanted}' does not exist")),
    }
}

fn project_json(st: &Shared, base: &str, w: &World, p: &Project, lead: bool) -> Value {
    let mut v = json!({
        "expand": "description,lead,url,projectKeys",
        "self": format!("{base}/rest/api/2/project/{}", p.id),
        "id": p.id.to_string(),
        "key": p.key,
        "name": p.name,
        "avatarUrls": {
            "48x48": format!("{base}/secure/projectavatar?pid={}&avatarId=10324", p.id),
            "24x24": format!("{base}/secure/projectavatar?size=small&pid={}&avatarId=10324", p.id),
            "16x16": format!("{base}/secure/projectavatar?size=xsmall&pid={}&avatarId=10324", p.id),
            "32x32": format!("{base}/secure/projectavatar?size=medium&pid={}&avatarId=10324", p.id),
        },
        "projectTypeKey": p.type_key,
        "archived": false,
    });
    if lead {
        v["description"] = json!(p.description);
        if let Some(u) = w.user(&p.lead) {
            v["lead"] = user_short(st, u);
        }
    }
    v
}

/// DC `GET /project`: a plain array of the projects the caller can browse (fixture
/// `project-list.server.apache-issues`). Cached per caller and world generation because it is the
/// one O(n) endpoint benchmarks hammer.
fn project_list(st: &Shared, ctx: &Ctx) -> Reply {
    let lead = ctx.expands("lead") || ctx.expands("description");
    let base = st.jira_base();
    let w = st.world();
    let key = format!(
        "project|{}|{lead}|{base}",
        ctx.user.as_deref().unwrap_or("")
    );
    if let Some(body) = st.cached(&key, w.generation) {
        return Reply::raw(200, JSON, body);
    }
    let list: Vec<Value> = w
        .visible_projects(ctx.user.as_deref())
        .map(|p| project_json(st, &base, &w, p, lead))
        .collect();
    let body = bytes::Bytes::from(Value::Array(list).to_string());
    st.store(key, w.generation, body.clone());
    Reply::raw(200, JSON, body)
}

/// Cloud `GET /project/search`: paged.
fn project_search(st: &Shared, ctx: &Ctx) -> Reply {
    let start: usize = ctx.q("startAt").and_then(|v| v.parse().ok()).unwrap_or(0);
    let max: usize = ctx
        .q("maxResults")
        .and_then(|v| v.parse().ok())
        .unwrap_or(50)
        .clamp(1, 100);
    let lead = ctx.expands("lead");
    let base = st.jira_base();
    let w = st.world();
    let visible: Vec<&Project> = w.visible_projects(ctx.user.as_deref()).collect();
    let total = visible.len();
    let values: Vec<Value> = visible
        .iter()
        .skip(start)
        .take(max)
        .map(|p| project_json(st, &base, &w, p, lead))
        .collect();
    let is_last = start + values.len() >= total;
    let mut v = json!({
        "self": format!("{base}/rest/api/2/project/search?startAt={start}&maxResults={max}"),
        "maxResults": max,
        "startAt": start,
        "total": total,
        "isLast": is_last,
        "values": values,
    });
    if !is_last {
        v["nextPage"] = json!(format!(
            "{base}/rest/api/2/project/search?startAt={}&maxResults={max}",
            start + max
        ));
    }
    Reply::json(200, &v)
}

/// 404 with Jira's text in its error collection: `errorMessages:["No project could be found with
/// key 'AUT'."]` (reportportal/reportportal#853, status 404, `errors:{}`).
fn project_not_found(key: &str) -> Reply {
    Reply::error(404, &format!("No project could be found with key '{key}'."))
}

/// A project the caller can see (VIEW_PROJECT, see `World::visible_projects`); Jira answers 404
/// for projects you cannot see.
fn visible<'w>(w: &'w World, user: Option<&str>, key: &str) -> Option<&'w Project> {
    w.project(key)
        .filter(|p| w.has_global(user, "ADMINISTER") || w.can_view_project(user, p))
}

/// `GET /project/{key}`: the fields of fixture `project.server.apache-ABDERA.go-jira.json` (`roles`
/// name → URL map, `lead`, `components`, `versions`, `expand`), 404 when the caller cannot see it.
fn project_one(st: &Shared, ctx: &Ctx, key: &str) -> Reply {
    let w = st.world();
    let Some(p) = visible(&w, ctx.user.as_deref(), key) else {
        return project_not_found(key);
    };
    let base = st.jira_base();
    let mut v = project_json(st, &base, &w, p, true);
    v["roles"] = role_urls(&base, &w, p);
    v["components"] = json!([]);
    v["versions"] = json!([]);
    Reply::json(200, &v)
}

fn role_urls(base: &str, w: &World, p: &Project) -> Value {
    let mut m = Map::new();
    for r in &w.roles {
        m.insert(
            r.name.clone(),
            json!(format!("{base}/rest/api/2/project/{}/role/{}", p.id, r.id)),
        );
    }
    Value::Object(m)
}

/// `GET /project/{key}/role`: role name → role URL (DC contract `getProjectRoles`; the same map as
/// the project fixture's `roles`).
fn role_map(st: &Shared, ctx: &Ctx, key: &str) -> Reply {
    let w = st.world();
    match visible(&w, ctx.user.as_deref(), key) {
        Some(p) => Reply::json(200, &role_urls(&st.jira_base(), &w, p)),
        None => project_not_found(key),
    }
}

/// `GET /project/{key}/role/{id}`: `self`, `name`, `id`, `description`, `actors[]` with
/// `atlassian-user-role-actor` / `atlassian-group-role-actor` and `actorGroup` (fixture
/// `role.cloud-v3.go-jira.json`; DC contract `ProjectRoleBean`/`RoleActorBean`).
pub(super) fn role_one(st: &Shared, ctx: &Ctx, key: &str, id: &str) -> Reply {
    let w = st.world();
    let Some(p) = visible(&w, ctx.user.as_deref(), key) else {
        return project_not_found(key);
    };
    let Some(role) = id
        .parse::<i64>()
        .ok()
        .and_then(|i| w.roles.iter().find(|r| r.id == i))
    else {
        // Fixture `error.role-not-found`.
        return Reply::error(404, "Role with given id not found.");
    };
    let base = st.jira_base();
    let actors: Vec<Value> = p
        .actors
        .get(&role.id)
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, a)| {
            let id = 10100 + (p.id - 10000) * 10 + i as u64;
            match a.kind {
                ActorType::User if st.cloud => {
                    // Cloud: `actorUser.accountId` and no `name` (RoleActor of the Cloud v3
                    // OpenAPI: `actorUser` ProjectRoleUser {accountId}; `name` "is no longer
                    // available", user privacy migration; docs.rs/crate/jira_v3_openapi/1.6.1/
                    // source/docs/RoleActor.md). Display name as for DC.
                    let display = w
                        .user(&a.name)
                        .map_or(a.name.as_str(), |u| u.display_name.as_str());
                    json!({
                        "id": id,
                        "displayName": display,
                        "type": "atlassian-user-role-actor",
                        "actorUser": {"accountId": w.user_ref(&a.name, true)},
                        "avatarUrl": format!("{base}/secure/useravatar?size=xsmall&avatarId=10122"),
                    })
                }
                ActorType::User => {
                    let display = w
                        .user(&a.name)
                        .map_or(a.name.as_str(), |u| u.display_name.as_str());
                    json!({
                        "id": id,
                        "displayName": display,
                        "type": "atlassian-user-role-actor",
                        "name": a.name,
                        "avatarUrl": format!("{base}/secure/useravatar?size=xsmall&avatarId=10122"),
                    })
                }
                ActorType::Group => json!({
                    "id": id,
                    "displayName": a.name,
                    "type": "atlassian-group-role-actor",
                    "name": a.name,
                    "avatarUrl": format!("{base}/images/icons/avatar_grey.png"),
                    "actorGroup": {"name": a.name, "displayName": a.name},
                }),
            }
        })
        .collect();
    Reply::json(
        200,
        &json!({
            "self": format!("{base}/rest/api/2/project/{}/role/{}", p.id, role.id),
            "name": role.name,
            "id": role.id,
            "description": role.description,
            "actors": actors,
        }),
    )
}

fn perm_json(def: &catalog::PermDef, key: &str, have: Option<bool>, deprecated: bool) -> Value {
    let mut v = json!({
        "id": def.id.to_string(),
        "key": key,
        "name": def.name,
        "type": def.kind.as_str(),
        "description": def.description,
    });
    if let Some(h) = have {
        v["havePermission"] = json!(h);
    }
    if deprecated {
        v["deprecatedKey"] = json!(true);
    }
    v
}

/// `GET /mypermissions`. DC ignores `permissions=` and returns every key including legacy
/// aliases; Cloud requires `permissions=`. The DC contract documents 401 for anonymous callers.
fn my_permissions(st: &Shared, ctx: &Ctx, user: &str) -> Reply {
    let w = st.world();
    let project_ref = ctx.q("projectKey").or_else(|| ctx.q("projectId"));
    let project = match project_ref {
        Some(k) => match visible(&w, Some(user), k) {
            Some(p) => Some(p),
            None => {
                if ctx.q("projectId").is_some() && k.parse::<u64>().is_err() {
                    // The DC contract documents 400 "if the project or issue id is invalid";
                    // the English text is *unconfirmed*.
                    return Reply::error(400, &format!("Invalid project id '{k}'."));
                }
                return project_not_found(k);
            }
        },
        None => None,
    };
    let wanted: Option<Vec<String>> = if st.cloud {
        match ctx.q("permissions") {
            Some(p) if !p.trim().is_empty() => Some(
                p.split(',')
                    .map(|s| s.trim().to_ascii_uppercase())
                    .collect(),
            ),
            _ => {
                // Cloud requires `permissions` (REST v3 "Get my permissions": 400 "if
                // `permissions` is not provided"); the English text is *unconfirmed*.
                return Reply::error(400, "The 'permissions' query parameter is required.");
            }
        }
    } else {
        None
    };
    // Only the no-project answer is cached: it scans every project, the per-project one is cheap.
    let cache_key = format!("myperm|{user}");
    let cacheable = wanted.is_none() && project.is_none();
    if cacheable {
        if let Some(body) = st.cached(&cache_key, w.generation) {
            return Reply::raw(200, JSON, body);
        }
    }
    let have: Vec<bool> = PERMISSIONS
        .iter()
        .map(|def| match def.kind {
            PermType::Global => w.has_global(Some(user), def.key),
            PermType::Project => match project {
                Some(p) => w.has_project_perm(Some(user), p, def.key),
                None => w.has_in_any_project(Some(user), def.key),
            },
        })
        .collect();
    let frags = fragments();
    let mut body = String::with_capacity(16 * 1024);
    body.push_str("{\"permissions\":{");
    let mut first = true;
    let mut push = |frag: &str, h: bool| {
        if !first {
            body.push(',');
        }
        first = false;
        body.push_str(frag);
        body.push_str(if h { "true}" } else { "false}" });
    };
    for (i, def) in PERMISSIONS.iter().enumerate() {
        if wanted
            .as_ref()
            .is_some_and(|ws| !ws.iter().any(|k| k == def.key))
        {
            continue;
        }
        push(&frags.current[i], have[i]);
    }
    if !st.cloud {
        for (i, frag) in &frags.deprecated {
            push(frag, have[*i]);
        }
    }
    body.push_str("}}");
    let body = bytes::Bytes::from(body);
    if cacheable {
        st.store(cache_key, w.generation, body.clone());
    }
    Reply::raw(200, JSON, body)
}

/// Pre-serialised `"KEY":{…,"havePermission":` prefixes: audits call `mypermissions` once per
/// project, so its body is assembled from these instead of building a JSON tree each time.
struct Fragments {
    current: Vec<String>,
    deprecated: Vec<(usize, String)>,
}

fn fragments() -> &'static Fragments {
    static F: std::sync::OnceLock<Fragments> = std::sync::OnceLock::new();
    F.get_or_init(|| {
        let frag = |def: &catalog::PermDef, key: &str, deprecated: bool| {
            let mut v = perm_json(def, key, None, deprecated).to_string();
            v.pop(); // the closing brace: havePermission follows
            format!("{}:{v},\"havePermission\":", Value::from(key))
        };
        Fragments {
            current: PERMISSIONS.iter().map(|d| frag(d, d.key, false)).collect(),
            deprecated: DEPRECATED_ALIASES
                .iter()
                .filter_map(|(old, new)| {
                    let i = PERMISSIONS.iter().position(|d| d.key == *new)?;
                    Some((i, frag(&PERMISSIONS[i], old, true)))
                })
                .collect(),
        }
    })
}

/// `GET /permissions`: every permission keyed by its key, each with `id`, `key`, `name`, `type`,
/// `description` (DC contract `getAllPermissions` → `PermissionsJsonBean`).
fn all_permissions() -> Reply {
    let mut out = Map::new();
    for def in PERMISSIONS {
        out.insert(def.key.to_owned(), perm_json(def, def.key, None, false));
    }
    Reply::json(200, &json!({"permissions": out}))
}

/// One grant: `id`, `self`, `holder` {`type`, `parameter`, `expand`, expanded object}, `permission`
/// (fixture `permissionscheme.cloud-v3.go-jira.json`; DC contract `PermissionGrantBean`).
fn grant_json(st: &Shared, ctx: &Ctx, w: &World, base: &str, scheme: &Scheme, g: &Grant) -> Value {
    let mut holder = json!({"type": g.holder.kind});
    if let Some(p) = &g.holder.parameter {
        // Cloud names a user holder by account id ("user: Grant for the specified user
        // (parameter: user account ID, value: user account ID)", Holder object of "Get all
        // permission schemes", developer.atlassian.com/cloud/jira/platform/rest/v3/
        // api-group-permission-schemes/; mirror apidog.com/apidoc/docs-site/345971/api-3933568).
        if g.holder.kind == "user" {
            holder["parameter"] = json!(w.user_ref(p, st.cloud));
        } else {
            holder["parameter"] = json!(p);
        }
    }
    match g.holder.kind.as_str() {
        "group" => {
            holder["expand"] = json!("group");
            if ctx.expands("group") {
                if let Some(p) = &g.holder.parameter {
                    holder["group"] = json!({"name": p, "self": format!("{base}/rest/api/2/group?groupname={p}")});
                }
            }
        }
        "user" => {
            holder["expand"] = json!("user");
            if ctx.expands("user") {
                if let Some(u) = g.holder.parameter.as_deref().and_then(|p| w.user(p)) {
                    holder["user"] = user_short(st, u);
                }
            }
        }
        "projectRole" => {
            holder["expand"] = json!("projectRole");
            if ctx.expands("projectRole") {
                if let Some(r) = g.holder.parameter.as_deref().and_then(|p| w.role(p)) {
                    holder["projectRole"] = json!({
                        "self": format!("{base}/rest/api/2/role/{}", r.id),
                        "name": r.name, "id": r.id, "description": r.description,
                    });
                }
            }
        }
        "userCustomField" | "groupCustomField" => {
            holder["expand"] = json!("field");
            if ctx.expands("field") {
                if let Some(f) = &g.holder.parameter {
                    holder["field"] = json!({"id": f, "name": f, "custom": true, "orderable": true, "navigable": true, "searchable": true, "clauseNames": [f]});
                }
            }
        }
        _ => {}
    }
    json!({
        "id": g.id,
        "self": format!("{base}/rest/api/2/permissionscheme/{}/permission/{}", scheme.id, g.id),
        "holder": holder,
        "permission": g.permission,
    })
}

fn scheme_json(st: &Shared, ctx: &Ctx, w: &World, s: &Scheme) -> Value {
    let base = st.jira_base();
    let mut v = json!({
        "expand": "permissions,user,group,projectRole,field,all",
        "id": s.id,
        "self": format!("{base}/rest/api/2/permissionscheme/{}", s.id),
        "name": s.name,
        "description": s.description,
    });
    if ctx.expands("permissions") {
        v["permissions"] = Value::Array(
            s.grants
                .iter()
                .map(|g| grant_json(st, ctx, w, &base, s, g))
                .collect(),
        );
    }
    v
}

/// The DC contract's 403 for permission schemes ("Returned if user is not allowed to view
/// permission schemes"), in Jira's error collection; the English text is *unconfirmed*.
fn forbidden_schemes() -> Reply {
    Reply::error(403, "You are not authorized to view permission schemes.")
}

/// Permission schemes need global ADMINISTER (DC contract: 403 "Returned if user is not allowed to
/// view permission schemes").
fn scheme_list(st: &Shared, ctx: &Ctx, user: &str) -> Reply {
    let w = st.world();
    if !w.has_global(Some(user), "ADMINISTER") {
        return forbidden_schemes();
    }
    let list: Vec<Value> = w
        .schemes
        .iter()
        .map(|s| scheme_json(st, ctx, &w, s))
        .collect();
    Reply::json(200, &json!({"permissionSchemes": list}))
}

fn scheme_one(st: &Shared, ctx: &Ctx, user: &str, id: &str) -> Reply {
    let w = st.world();
    if !w.has_global(Some(user), "ADMINISTER") {
        return forbidden_schemes();
    }
    match id
        .parse::<i64>()
        .ok()
        .and_then(|i| w.schemes.iter().find(|s| s.id == i))
    {
        Some(s) => Reply::json(200, &scheme_json(st, ctx, &w, s)),
        // Fixture `error.permissionscheme-not-found`.
        None => Reply::error(404, &format!("Permission scheme {id} does not exist")),
    }
}

/// A project's scheme: Jira administrators, or the project's administrators (DC contract: "In
/// practice the user needs to be a Jira administrator"; project admins can read their own).
fn project_scheme(st: &Shared, ctx: &Ctx, user: &str, key: &str) -> Reply {
    let w = st.world();
    let Some(p) = visible(&w, Some(user), key) else {
        return project_not_found(key);
    };
    if !w.has_global(Some(user), "ADMINISTER")
        && !w.has_project_perm(Some(user), p, "ADMINISTER_PROJECTS")
    {
        // DC contract `getAssignedPermissionScheme`: 403 "if the user does not have permission
        // to view the project's configuration"; the English text is *unconfirmed*.
        return Reply::error(
            403,
            "You do not have the permission to see the specified project's permission scheme.",
        );
    }
    match w.schemes.get(p.scheme) {
        Some(s) => Reply::json(200, &scheme_json(st, ctx, &w, s)),
        // A project always has a scheme in Jira; this only guards the simulator's own data.
        None => Reply::error(404, "Permission scheme does not exist"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_numbers_match_real_jira() {
        assert_eq!(build_number("10.3.19"), 10_030_019);
        assert_eq!(build_number("8.20.10"), 820_010);
        assert_eq!(version_numbers("9.12.3"), vec![9, 12, 3]);
        assert_eq!(jira_time(0), "1970-01-01T00:00:00.000+0000");
    }
}
