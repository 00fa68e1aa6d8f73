//! Application links: the applinks manifest, creating a link, and registering the incoming OAuth
//! consumer on it (delegated to the OAuth provider).
//!
//! Manifest fields follow Atlassian's `Manifest` model as re-implemented in
//! atlassian/bitbucket-server-integration-plugin (`applink/oauth/fullapplink/Manifest.java`).
use super::http::{Ctx, Via};
use super::reply::{Reply, XML};
use super::state::Shared;
use super::world::AppLink;
use axum::http::Method;
use serde::Deserialize;
use serde_json::json;

const INBOUND: &[&str] = &[
    "com.atlassian.applinks.api.auth.types.BasicAuthenticationProvider",
    "com.atlassian.applinks.api.auth.types.TrustedAppsAuthenticationProvider",
    "com.atlassian.applinks.api.auth.types.CorsAuthenticationProvider",
    "com.atlassian.applinks.api.auth.types.OAuthAuthenticationProvider",
    "com.atlassian.applinks.api.auth.types.TwoLeggedOAuthAuthenticationProvider",
    "com.atlassian.applinks.api.auth.types.TwoLeggedOAuthWithImpersonationAuthenticationProvider",
];

/// Applinks plugin version shipped with the claimed Jira version (close enough for clients).
fn applinks_version(jira: &str) -> &'static str {
    match jira.split('.').next().and_then(|m| m.parse::<u32>().ok()) {
        Some(m) if m >= 10 => "10.0.6",
        Some(9) => "9.1.4",
        _ => "8.1.2",
    }
}

/// A UUID-shaped id derived from a number.
pub fn uuid_from(n: u128) -> String {
    let x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835) ^ (n >> 7);
    let h = format!("{x:032x}");
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// Route `/rest/applinks…`.
pub fn handle(st: &Shared, ctx: &Ctx) -> Reply {
    let rel = ctx.rel.as_str();
    if rel == "/rest/applinks/1.0/manifest" && ctx.method == Method::GET {
        return manifest(st, ctx);
    }
    if rel == "/rest/applinks/3.0/applicationlink" && ctx.method == Method::PUT {
        return create_link(st, ctx);
    }
    if let Some(id) = rel
        .strip_prefix("/rest/applinks-oauth/1.0/applicationlink/")
        .and_then(|r| r.strip_suffix("/authentication/consumer"))
    {
        if ctx.method == Method::PUT {
            return register_consumer(st, ctx, id);
        }
        return Reply::raw(405, super::reply::JSON, "").header("Allow", "PUT");
    }
    Reply::error(404, "null for uri")
}

fn manifest(st: &Shared, ctx: &Ctx) -> Reply {
    let base = st.jira_base();
    let id = uuid_from(u128::from(st.seed) + 1);
    let version = st.version.as_str();
    let build = super::rest::build_number(version);
    let applinks = applinks_version(version);
    let wants_json = ctx
        .header("accept")
        .is_some_and(|a| a.contains("application/json"));
    if wants_json {
        return Reply::json(
            200,
            &json!({
                "id": id, "name": "Jira", "typeId": "jira", "version": version,
                "buildNumber": build, "applinksVersion": applinks,
                "inboundAuthenticationTypes": INBOUND,
                "outboundAuthenticationTypes": INBOUND,
                "publicSignup": false, "url": base,
                "iconUrl": format!("{base}/s/en_US/-/images/icons/favicon.png"),
            }),
        );
    }
    let auth: String = INBOUND
        .iter()
        .map(|t| format!("<inboundAuthenticationTypes>{t}</inboundAuthenticationTypes>"))
        .collect();
    let out: String = INBOUND
        .iter()
        .map(|t| format!("<outboundAuthenticationTypes>{t}</outboundAuthenticationTypes>"))
        .collect();
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><manifest><id>{id}</id><name>Jira</name><typeId>jira</typeId>\
<version>{version}</version><buildNumber>{build}</buildNumber><applinksVersion>{applinks}</applinksVersion>{auth}{out}\
<publicSignup>false</publicSignup><url>{base}</url><iconUrl>{base}/s/en_US/-/images/icons/favicon.png</iconUrl></manifest>",
        version = super::pages::esc(version),
        base = super::pages::esc(&base),
    );
    Reply::raw(200, XML, xml)
}

/// Applinks admin resources answer non-admins with this 401.
fn not_admin() -> Reply {
    Reply::json(
        401,
        &json!({"status": 401, "message": "Client must be authenticated as an administrator to access this resource."}),
    )
}

/// Admin check plus WebSudo. WebSudo (secure administrator sessions) guards cookie-based browser
/// sessions; scripts calling the applinks admin REST resources with Basic/PAT/OAuth credentials are
/// not asked for it. This split is an assumption of the simulator (not checked against a source).
fn require_admin(st: &Shared, ctx: &Ctx) -> Option<Reply> {
    let Some(user) = ctx.user.as_deref() else {
        return Some(not_admin());
    };
    if !st.world().has_global(Some(user), "ADMINISTER") {
        return Some(not_admin());
    }
    if ctx.via == Via::Session {
        return Some(
            Reply::json(
                401,
                &json!({"status": 401, "message": "This resource requires WebSudo."}),
            )
            .header("X-Atlassian-WebSudo", "Has-No-Authentication"),
        );
    }
    None
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LinkBody {
    name: Option<String>,
    rpc_url: Option<String>,
    display_url: Option<String>,
    type_id: Option<String>,
}

fn create_link(st: &Shared, ctx: &Ctx) -> Reply {
    if let Some(r) = require_admin(st, ctx) {
        return r;
    }
    let body: LinkBody = match serde_json::from_slice(&ctx.body) {
        Ok(b) => b,
        Err(e) => {
            return Reply::json(
                400,
                &json!({"status": 400, "message": format!("Invalid JSON: {e}")}),
            )
        }
    };
    let Some(rpc_url) = body.rpc_url.filter(|u| url::Url::parse(u).is_ok()) else {
        return Reply::json(
            400,
            &json!({"status": 400, "message": "applinks.error.url.invalid", "errors": [{"context": "rpcUrl", "summary": "The application URL is invalid."}]}),
        );
    };
    let name = body.name.unwrap_or_else(|| rpc_url.clone());
    let display_url = body.display_url.unwrap_or_else(|| rpc_url.clone());
    let type_id = body.type_id.unwrap_or_else(|| "generic".into());
    let mut w = st.world_mut();
    let id = uuid_from(u128::from(st.seed) * 1000 + w.applinks.len() as u128 + 17);
    w.add_applink(AppLink {
        id: id.clone(),
        name: name.clone(),
        rpc_url: rpc_url.clone(),
        display_url: display_url.clone(),
        type_id: type_id.clone(),
        consumer_key: None,
    });
    let base = st.jira_base();
    Reply::json(
        201,
        &json!({
            "id": id, "name": name, "rpcUrl": rpc_url, "displayUrl": display_url, "typeId": type_id,
            "primary": true, "system": false,
            "self": format!("{base}/rest/applinks/3.0/applicationlink/{id}"),
        }),
    )
    .header(
        "Location",
        format!("{base}/rest/applinks/3.0/applicationlink/{id}"),
    )
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConsumerBody {
    key: Option<String>,
    name: Option<String>,
    description: Option<String>,
    public_key: Option<String>,
    callback: Option<String>,
    #[serde(default)]
    outgoing: bool,
    #[serde(default)]
    two_lo_allowed: bool,
    execution_two_lo_user: Option<String>,
    #[serde(default)]
    two_lo_impersonation_allowed: bool,
}

fn register_consumer(st: &Shared, ctx: &Ctx, link_id: &str) -> Reply {
    if let Some(r) = require_admin(st, ctx) {
        return r;
    }
    if !st.world().applinks.iter().any(|l| l.id == link_id) {
        return Reply::json(
            404,
            &json!({"status": 404, "message": format!("No application link with id {link_id} found.")}),
        );
    }
    let body: ConsumerBody = match serde_json::from_slice(&ctx.body) {
        Ok(b) => b,
        Err(e) => {
            return Reply::json(
                400,
                &json!({"status": 400, "message": format!("Invalid JSON: {e}")}),
            )
        }
    };
    let (Some(key), Some(public_key)) = (body.key.filter(|k| !k.is_empty()), body.public_key)
    else {
        return Reply::json(
            400,
            &json!({"status": 400, "message": "applinks.oauth.consumer.key.required", "errors": [{"context": "key", "summary": "Consumer key and public key are required."}]}),
        );
    };
    let name = body.name.unwrap_or_else(|| key.clone());
    if let Err(msg) = st
        .oauth
        .register_consumer(&key, &name, &public_key, body.callback.clone())
    {
        return Reply::json(
            400,
            &json!({"status": 400, "message": msg, "errors": [{"context": "publicKey", "summary": msg}]}),
        );
    }
    if let Some(l) = st.world_mut().applinks.iter_mut().find(|l| l.id == link_id) {
        l.consumer_key = Some(key.clone());
    }
    Reply::json(
        201,
        &json!({
            "key": key, "name": name, "description": body.description,
            "publicKey": public_key, "callback": body.callback, "outgoing": body.outgoing,
            "twoLOAllowed": body.two_lo_allowed, "executingTwoLOUser": body.execution_two_lo_user,
            "twoLOImpersonationAllowed": body.two_lo_impersonation_allowed,
        }),
    )
}
