//! Application-link inventory and health: `GET /rest/applinks/3.0/applinks` (the list),
//! `GET /rest/applinks/3.0/status/{id}` (working, or an error with its category) and
//! `GET /rest/applinks-oauth/1.0/applicationlink/{id}/authentication/consumer` (the incoming
//! OAuth 1.0a consumer). Four established links are seeded (Confluence working with OAuth 1.0a
//! both ways, Bitbucket unreachable, Bamboo refusing access, a Jira link with a config error)
//! next to the links created through REST.
//!
//! Sources: Atlassian KB "How to fetch application link status through REST API" (the list is
//! a bare array of links with `id`; status answers `working` true/false and, when false, an
//! `error` with a category: network, config, access); jira-answers.md "Application links";
//! the OAuth status shape `{incoming|outgoing: {enabled, twoLoEnabled,
//! twoLoImpersonationEnabled}}` is what `PUT /rest/applinks/3.0/status/{id}/oauth` takes in
//! public admin scripts (stored code index). The error category and type names
//! (`NETWORK_ERROR`/`CONNECTION_REFUSED`, `ACCESS_ERROR`/`REMOTE_AUTH_TOKEN_REQUIRED`,
//! `CONFIG_ERROR`/`AUTH_LEVEL_MISMATCH`, `INCOMPATIBLE`/`GENERIC_LINK`) follow the applinks
//! plugin's `ApplinkErrorCategory`/`ApplinkErrorType` as decompiled; *unconfirmed* against a
//! live capture, so the client reads any category and shows unknown ones verbatim.
use super::http::{Ctx, Via};
use super::reply::Reply;
use super::state::Shared;
use axum::http::Method;
use serde_json::{json, Value};

/// OAuth 1.0a configuration of one direction of a link.
#[derive(Debug, Clone, Copy)]
struct OAuthDir {
    enabled: bool,
    two_lo: bool,
}

/// A link the simulator pretends was set up long ago.
#[derive(Debug, Clone)]
struct Seeded {
    n: u128,
    name: &'static str,
    type_id: &'static str,
    url: &'static str,
    incoming: OAuthDir,
    outgoing: OAuthDir,
    consumer_key: Option<&'static str>,
    /// `None` = working; else (category, type, details).
    error: Option<(&'static str, &'static str, &'static str)>,
}

const ON: OAuthDir = OAuthDir {
    enabled: true,
    two_lo: false,
};
const OFF: OAuthDir = OAuthDir {
    enabled: false,
    two_lo: false,
};

/// The consumer key of the seeded Confluence link's incoming OAuth 1.0a consumer.
pub const CONFLUENCE_CONSUMER: &str = "confluence:7a1c5e2b90";

fn seeded() -> [Seeded; 4] {
    [
        Seeded {
            n: 501,
            name: "Confluence",
            type_id: "confluence",
            url: "https://confluence.example.com",
            incoming: ON,
            outgoing: ON,
            consumer_key: Some(CONFLUENCE_CONSUMER),
            error: None,
        },
        Seeded {
            n: 502,
            name: "Bitbucket",
            type_id: "stash",
            url: "https://bitbucket.example.com",
            incoming: OFF,
            outgoing: ON,
            consumer_key: None,
            error: Some((
                "NETWORK_ERROR",
                "CONNECTION_REFUSED",
                "Connection refused (Connection refused)",
            )),
        },
        Seeded {
            n: 503,
            name: "Bamboo",
            type_id: "bamboo",
            url: "https://bamboo.example.com",
            incoming: OFF,
            outgoing: ON,
            consumer_key: None,
            error: Some(("ACCESS_ERROR", "REMOTE_AUTH_TOKEN_REQUIRED", "")),
        },
        Seeded {
            n: 504,
            name: "Jira (old instance)",
            type_id: "jira",
            url: "https://jira-old.example.com",
            incoming: ON,
            outgoing: OFF,
            consumer_key: Some("jira:old-instance-4411"),
            error: Some(("CONFIG_ERROR", "AUTH_LEVEL_MISMATCH", "")),
        },
    ]
}

fn link_entity(id: &str, name: &str, type_id: &str, display: &str, rpc: &str) -> Value {
    json!({
        "id": id, "name": name, "type": type_id, "displayUrl": display, "rpcUrl": rpc,
        "primary": true, "system": false,
    })
}

fn oauth_entity(d: OAuthDir) -> Value {
    json!({"enabled": d.enabled, "twoLoEnabled": d.two_lo, "twoLoImpersonationEnabled": false})
}

/// Everything the list and status answers need about one link.
struct View {
    entity: Value,
    incoming: OAuthDir,
    outgoing: OAuthDir,
    consumer_key: Option<String>,
    error: Option<(String, String, String)>,
}

fn views(st: &Shared) -> Vec<View> {
    let mut out: Vec<View> = seeded()
        .into_iter()
        .map(|s| {
            let id = super::applinks::uuid_from(u128::from(st.seed) * 7 + s.n);
            View {
                entity: link_entity(&id, s.name, s.type_id, s.url, s.url),
                incoming: s.incoming,
                outgoing: s.outgoing,
                consumer_key: s.consumer_key.map(str::to_owned),
                error: s
                    .error
                    .map(|(c, t, d)| (c.to_owned(), t.to_owned(), d.to_owned())),
            }
        })
        .collect();
    for l in &st.world().applinks {
        let incoming = match l.incoming_oauth {
            Some((enabled, two_lo)) => OAuthDir { enabled, two_lo },
            None => OAuthDir {
                enabled: l.consumer_key.is_some(),
                two_lo: false,
            },
        };
        out.push(View {
            entity: link_entity(&l.id, &l.name, &l.type_id, &l.display_url, &l.rpc_url),
            incoming,
            outgoing: OFF,
            consumer_key: l.consumer_key.clone(),
            // A Generic Application has no applinks plugin to answer a status check.
            error: (l.type_id == "generic")
                .then(|| ("INCOMPATIBLE".into(), "GENERIC_LINK".into(), String::new())),
        });
    }
    out
}

/// Answer the inventory routes; `None` when the request is not one of them.
pub fn handle(st: &Shared, ctx: &Ctx) -> Option<Reply> {
    let rel = ctx.rel.as_str();
    if let Some(id) = rel
        .strip_prefix("/rest/applinks/3.0/status/")
        .and_then(|r| r.strip_suffix("/oauth"))
    {
        if ctx.method == Method::PUT && !id.contains('/') {
            return Some(set_oauth(st, ctx, id));
        }
    }
    let status_id = rel.strip_prefix("/rest/applinks/3.0/status/");
    let consumer_id = rel
        .strip_prefix("/rest/applinks-oauth/1.0/applicationlink/")
        .and_then(|r| r.strip_suffix("/authentication/consumer"));
    let is_list = rel == "/rest/applinks/3.0/applinks";
    if ctx.method != Method::GET
        || !(is_list || status_id.is_some_and(|i| !i.contains('/')) || consumer_id.is_some())
    {
        return None;
    }
    // Links created through REST answer their consumer from `applinks` (one source of truth).
    if consumer_id.is_some_and(|id| st.world().applinks.iter().any(|l| l.id == id)) {
        return None;
    }
    if let Some(r) = require_admin(st, ctx) {
        return Some(r);
    }
    let all = views(st);
    if is_list {
        let list: Vec<Value> = all.iter().map(|v| v.entity.clone()).collect();
        return Some(Reply::json(200, &Value::Array(list)));
    }
    let id = status_id.or(consumer_id).unwrap_or_default();
    let Some(v) = all.iter().find(|v| v.entity["id"] == id) else {
        return Some(Reply::json(
            404,
            &json!({"status": 404, "message": format!("No application link with id {id} found.")}),
        ));
    };
    if consumer_id.is_some() {
        // The shape `applinks::get_consumer` documents (`ConsumerEntityListEntity` of
        // `OAuthApplicationLinkResource#getConsumer`); a seeded link has no public key to show.
        return Some(match &v.consumer_key {
            Some(key) => Reply::json(
                200,
                &json!({"consumers": [{
                    "link": [{"href": format!("applicationlink/{id}/authentication/consumer"), "rel": "self"}],
                    "key": key, "name": v.entity["name"], "description": null,
                    "signatureMethod": "RSA_SHA1", "publicKey": null, "callback": null,
                    "twoLOAllowed": v.incoming.two_lo, "executingTwoLOUser": null,
                    "twoLOImpersonationAllowed": false,
                }]}),
            ),
            None => Reply::json(
                404,
                &json!({"status": 404, "message": "No consumer is configured for this application link."}),
            ),
        });
    }
    let mut body = json!({
        "link": v.entity,
        "working": v.error.is_none(),
        "localAuthentication": {"incoming": oauth_entity(v.incoming), "outgoing": oauth_entity(v.outgoing)},
    });
    if let Some((category, kind, details)) = &v.error {
        body["error"] = json!({"category": category, "type": kind, "details": details});
    }
    Some(Reply::json(200, &body))
}

/// `PUT /rest/applinks/3.0/status/{id}/oauth` {incoming, outgoing: {enabled, twoLoEnabled,
/// twoLoImpersonationEnabled}}: switch a link's OAuth 1.0a on or off without touching its
/// consumer, which is how a link ends up with incoming OAuth on and no consumer. Body shape and
/// the 204 answer: a public Bitbucket/Bamboo provisioning script in the stored code index (it
/// fails unless the answer is 204). Only links created through REST are writable here: the
/// seeded ones answer 409 (*simulator only*, so that the seeded inventory stays fixed).
fn set_oauth(st: &Shared, ctx: &Ctx, id: &str) -> Reply {
    if let Some(r) = require_admin(st, ctx) {
        return r;
    }
    #[derive(serde::Deserialize)]
    struct Body {
        incoming: Option<Dir>,
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Dir {
        #[serde(default)]
        enabled: bool,
        #[serde(default)]
        two_lo_enabled: bool,
    }
    let body: Body = match serde_json::from_slice(&ctx.body) {
        Ok(b) => b,
        // Jersey's 400 for a body its JSON provider cannot read (as for link creation).
        Err(e) => {
            return Reply::json(
                400,
                &json!({"status": 400, "message": format!("Invalid JSON: {e}")}),
            )
        }
    };
    let mut w = st.world_mut();
    match w.applinks.iter_mut().find(|l| l.id == id) {
        Some(l) => {
            if let Some(d) = body.incoming {
                l.incoming_oauth = Some((d.enabled, d.two_lo_enabled));
            }
            Reply::raw(204, super::reply::JSON, "")
        }
        None if views_have(st, id) => Reply::json(
            409,
            &json!({"status": 409, "message": "The simulator's seeded links are read-only."}),
        ),
        // The applinks "not found" entity, as for the status GET above.
        None => Reply::json(
            404,
            &json!({"status": 404, "message": format!("No application link with id {id} found.")}),
        ),
    }
}

fn views_have(st: &Shared, id: &str) -> bool {
    seeded()
        .iter()
        .any(|s| super::applinks::uuid_from(u128::from(st.seed) * 7 + s.n) == id)
}

/// The applinks admin resources' 401 for non-admins (same answer as link creation).
fn require_admin(st: &Shared, ctx: &Ctx) -> Option<Reply> {
    let admin = ctx
        .user
        .as_deref()
        .is_some_and(|u| st.world().has_global(Some(u), "ADMINISTER"));
    if admin && ctx.via != Via::Session {
        return None;
    }
    Some(Reply::json(
        401,
        &json!({"status": 401, "message": "Client must be authenticated as an administrator to access this resource."}),
    ))
}
