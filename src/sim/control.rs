//! The simulator's control API at `/__sim/*` (JSON in and out, loopback only): inspect state,
//! switch scenarios, change grants and memberships, approve OAuth tokens, clear CAPTCHAs.
//! Not a Jira API: its statuses and bodies are the simulator's own, so no Jira source applies
//! and the client never calls it (tests, the demo and `jiralink sim` do).
use super::reply::Reply;
use super::scenario::Scenario;
use super::state::Shared;
use axum::http::Method;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Debug, Deserialize)]
struct ScenarioBody {
    name: String,
}

#[derive(Debug, Deserialize)]
struct HolderBody {
    #[serde(rename = "type")]
    kind: String,
    parameter: Option<String>,
}

#[derive(Debug, Deserialize)]
struct GrantBody {
    scheme: Value,
    permission: String,
    holder: HolderBody,
}

#[derive(Debug, Deserialize)]
struct MemberBody {
    group: String,
    user: String,
    member: bool,
}

#[derive(Debug, Deserialize)]
struct ApproveBody {
    token: String,
    user: String,
}

#[derive(Debug, Deserialize)]
struct PatExpiryBody {
    user: String,
    /// Days from now (negative: already expired); absent or null: never expires.
    days: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct RateLimitBody {
    policy: String,
}

#[derive(Debug, Deserialize)]
struct UserBody {
    user: String,
}

fn bad(msg: impl std::fmt::Display) -> Reply {
    Reply::json(400, &json!({"error": msg.to_string()}))
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, Reply> {
    serde_json::from_slice(body).map_err(|e| bad(format!("invalid JSON body: {e}")))
}

fn done(r: Result<(), String>) -> Reply {
    match r {
        Ok(()) => Reply::json(200, &json!({"ok": true})),
        Err(e) => bad(e),
    }
}

/// Handle `/__sim/<rest>`.
pub fn handle(st: &Shared, method: &Method, rest: &str, body: &[u8]) -> Reply {
    if let Some(mut r) = super::oauth2_routes::control(st, method, rest, body) {
        r.jira = false;
        return r;
    }
    let mut reply = match (method, rest) {
        (&Method::GET, "state") => state(st),
        (&Method::POST, "scenario") => match parse::<ScenarioBody>(body) {
            Ok(b) => match b.name.parse::<Scenario>() {
                Ok(s) => {
                    st.set_scenario(s);
                    Reply::json(200, &json!({"scenario": s.to_string()}))
                }
                Err(e) => bad(e),
            },
            Err(r) => r,
        },
        (&Method::POST, "grant" | "revoke") => match parse::<GrantBody>(body) {
            Ok(b) => {
                let scheme = match &b.scheme {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let mut w = st.world_mut();
                done(if rest == "grant" {
                    w.grant(
                        &scheme,
                        &b.permission,
                        &b.holder.kind,
                        b.holder.parameter.as_deref(),
                    )
                } else {
                    w.revoke(
                        &scheme,
                        &b.permission,
                        &b.holder.kind,
                        b.holder.parameter.as_deref(),
                    )
                })
            }
            Err(r) => r,
        },
        (&Method::POST, "group-member") => match parse::<MemberBody>(body) {
            Ok(b) => done(st.world_mut().set_group_member(&b.group, &b.user, b.member)),
            Err(r) => r,
        },
        (&Method::POST, "approve") => match parse::<ApproveBody>(body) {
            Ok(b) => match st.oauth.approve(&b.token, &b.user, st.now_secs()) {
                Ok(a) => Reply::json(200, &json!({"verifier": a.verifier})),
                Err(e) => bad(e),
            },
            Err(r) => r,
        },
        (&Method::POST, "pat-expiry") => match parse::<PatExpiryBody>(body) {
            Ok(b) => {
                let at = b.days.map(|d| st.now_secs() + d * 86_400);
                match st.pats.set_expiry(&b.user, at) {
                    0 => bad(format!("user {} has no Personal Access Token", b.user)),
                    n => Reply::json(200, &json!({"ok": true, "tokens": n})),
                }
            }
            Err(r) => r,
        },
        (&Method::POST, "clear-captcha") => match parse::<UserBody>(body) {
            Ok(b) => {
                st.clear_failures(&b.user);
                Reply::json(200, &json!({"ok": true}))
            }
            Err(r) => r,
        },
        (&Method::GET, "requests") => requests(st),
        (&Method::POST, "requests/reset") => {
            st.limits.reset_counts();
            Reply::json(200, &json!({"ok": true}))
        }
        (&Method::POST, "rate-limit") => match parse::<RateLimitBody>(body) {
            Ok(b) => match super::limits::Policy::parse(&b.policy) {
                Ok(p) => {
                    st.limits.set_policy(p);
                    Reply::json(200, &json!({"rateLimit": p.describe()}))
                }
                Err(e) => bad(e),
            },
            Err(r) => r,
        },
        _ => Reply::json(
            404,
            &json!({"error": format!("no control endpoint {method} /__sim/{rest}")}),
        ),
    };
    reply.jira = false;
    reply
}

fn state(st: &Shared) -> Reply {
    let w = st.world();
    let users: Vec<Value> = w
        .users
        .iter()
        .map(|u| {
            json!({
                "name": u.name, "displayName": u.display_name, "password": u.password,
                "pat": u.pat, "email": u.email, "apiToken": u.api_token,
                "groups": w.groups_of(&u.name),
                "captcha": st.failures(&u.name) >= super::state::CAPTCHA_AFTER,
            })
        })
        .collect();
    Reply::json(
        200,
        &json!({
            "baseUrl": st.base,
            "scenario": st.scenario().to_string(),
            "cloud": st.cloud,
            "version": st.version,
            "requests": st.request_count(),
            "rateLimit": st.limits.policy().describe(),
            "projects": w.projects.len(),
            "schemes": w.schemes.iter().map(|s| json!({"id": s.id, "name": s.name})).collect::<Vec<_>>(),
            "groups": w.groups.iter().map(|g| g.name.clone()).collect::<Vec<_>>(),
            "applinks": w.applinks.iter().map(|l| json!({"id": l.id, "name": l.name, "rpcUrl": l.rpc_url, "displayUrl": l.display_url, "typeId": l.type_id, "consumerKey": l.consumer_key})).collect::<Vec<_>>(),
            "users": users,
        }),
    )
}

/// `GET /__sim/requests`: REST requests per principal and how many the rate limiter refused.
fn requests(st: &Shared) -> Reply {
    let by: serde_json::Map<String, Value> = st
        .limits
        .counts()
        .into_iter()
        .map(|(who, c)| (who, json!({"requests": c.requests, "limited": c.limited})))
        .collect();
    Reply::json(
        200,
        &json!({"total": st.request_count(), "rateLimit": st.limits.policy().describe(), "byPrincipal": by}),
    )
}
