//! Application links: the applinks manifest, listing and creating links, and reading or
//! registering the incoming OAuth consumer on one (the key itself is kept by the OAuth provider).
//!
//! Sources for every answer here (cited again beside each one):
//! - `../shared/reference/jira-answers.md` § "Application links (DC)".
//! - The applinks plugin's REST layer as decompiled in the stored code index (search corpus
//!   `code`): `com.atlassian.applinks.core.v1.rest.ApplicationLinkResource` (list, get),
//!   `com.atlassian.applinks.oauth.rest.OAuthApplicationLinkResource` (consumer GET/PUT),
//!   `com.atlassian.applinks.core.rest.util.RestUtil` (status/error entities),
//!   `com.atlassian.applinks.core.rest.model.{ApplicationLinkEntity, ApplicationLinkListEntity,
//!   ConsumerEntity, ConsumerEntityListEntity, ErrorListEntity, ManifestEntity}`, and
//!   atlassian-rest-common's `com.atlassian.plugins.rest.common.Status`.
//! - Public client code: jenkinsci/atlassian-bitbucket-server-integration-plugin
//!   (`BitbucketUtils#registerApplicationLink`), NordeaOSS/esp.bitbucket
//!   (`plugins/modules/bitbucket_application_link.py`, `…_info.py`).
//!
//! Manifest fields follow Atlassian's `Manifest` model as re-implemented in
//! atlassian/bitbucket-server-integration-plugin (`applink/oauth/fullapplink/Manifest.java`) and
//! the decompiled `ManifestEntity`.
use super::http::{Ctx, Via};
use super::reply::{Reply, XML};
use super::state::Shared;
use super::world::{AppLink, AppLinkConsumer};
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
    // The same `ApplicationLinkResource` answers under every REST version of the plugin
    // (jira-answers.md: `GET /rest/applinks/{1.0,2.0,3.0,latest}/applicationlink`).
    let link_path = ["1.0", "2.0", "3.0", "latest"].iter().find_map(|v| {
        rel.strip_prefix(&format!("/rest/applinks/{v}/applicationlink"))
            .map(str::to_owned)
    });
    if let Some(rest) = link_path {
        if rest.is_empty() {
            return match ctx.method {
                Method::GET => list_links(st, ctx),
                Method::PUT => create_link(st, ctx),
                // JAX-RS answers a method the resource does not declare with 405 and `Allow`.
                _ => Reply::raw(405, super::reply::JSON, "").header("Allow", "GET, PUT"),
            };
        }
        if let Some(id) = rest.strip_prefix('/').filter(|id| !id.contains('/')) {
            if ctx.method == Method::GET {
                return get_link(st, ctx, id);
            }
        }
    }
    if let Some(id) = rel
        .strip_prefix("/rest/applinks-oauth/1.0/applicationlink/")
        .and_then(|r| r.strip_suffix("/authentication/consumer"))
    {
        return match ctx.method {
            Method::PUT => register_consumer(st, ctx, id),
            Method::GET => get_consumer(st, ctx, id),
            _ => Reply::raw(405, super::reply::JSON, "").header("Allow", "GET, PUT"),
        };
    }
    // Jersey's 404 for a path no resource matches, as Jira sends it:
    // `{"message":"null for uri: <url>","status-code":404}` (seen in solidify/jira-azuredevops-
    // migrator#13 and qoomon/Jira-Issue-Card-Printer#48).
    Reply::json(
        404,
        &json!({"message": format!("null for uri: {}{}", st.jira_base(), rel), "status-code": 404}),
    )
}

/// Whether the caller asked for JSON. Jersey picks the representation from `Accept`; with none
/// (or `*/*`) atlassian-rest-common's `Status.variantFor` falls back to its first variant, XML.
fn wants_json(ctx: &Ctx) -> bool {
    ctx.header("accept")
        .is_some_and(|a| a.contains("application/json"))
}

/// atlassian-rest-common's `Status` entity, as `RestUtil.{unauthorized,notFound,forbidden}` and
/// `RestUtil.created` send it: `status-code` and `message` in JSON (`@XmlElement(name =
/// "status-code")`), `<status>` in XML.
fn status(ctx: &Ctx, code: u16, message: &str) -> Reply {
    if wants_json(ctx) {
        return Reply::json(code, &json!({"status-code": code, "message": message}));
    }
    Reply::raw(
        code,
        XML,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><status><status-code>{code}</status-code><message>{}</message></status>",
            super::pages::esc(message)
        ),
    )
}

/// `RestUtil.badRequest(errors…)`: the applinks `ErrorListEntity` (`@XmlRootElement(name =
/// "error")`, `status` as an attribute, one `message` element per error), i.e. JSON
/// `{"status":400,"message":[…]}`.
fn bad_request(ctx: &Ctx, errors: &[&str]) -> Reply {
    if wants_json(ctx) {
        return Reply::json(400, &json!({"status": 400, "message": errors}));
    }
    let messages: String = errors
        .iter()
        .map(|e| format!("<message>{}</message>", super::pages::esc(e)))
        .collect();
    Reply::raw(
        400,
        XML,
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><error status=\"400\">{messages}</error>"),
    )
}

/// `201 Created` with atlassian-rest-common's `Status.created(Link.self(href))`:
/// `{"status-code":201,"resources-created":[{"href":…,"rel":"self"}]}` with
/// `Accept: application/json`, `<status><status-code>201</status-code><resources-created><link
/// href=… rel="self"/></resources-created></status>` otherwise. Shapes: jenkinsci/atlassian-
/// bitbucket-server-integration-plugin `BitbucketUtils#registerApplicationLink` reads
/// `resources-created[0].href` from the JSON; NordeaOSS/esp.bitbucket
/// `bitbucket_application_link.py` documents the XML (`status-code: "201"`, `link` with `@href`
/// and `@rel: self`). `Location` only where the resource builds the response through
/// `Status.StatusResponseBuilder#responseBuilder` (one created link → `location(href)`): the link
/// creation (jira-answers.md), not `RestUtil.created` (the consumer PUT).
fn created(ctx: &Ctx, href: &str, location: bool) -> Reply {
    let reply = if wants_json(ctx) {
        Reply::json(
            201,
            &json!({"status-code": 201, "resources-created": [{"href": href, "rel": "self"}]}),
        )
    } else {
        Reply::raw(
            201,
            XML,
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><status><status-code>201</status-code><resources-created><link href=\"{}\" rel=\"self\"/></resources-created></status>",
                super::pages::esc(href)
            ),
        )
    };
    if location {
        reply.header("Location", href)
    } else {
        reply
    }
}

/// `ApplicationLinkEntity` as JSON: `link` (self), `id`, `typeId`, `name`, `displayUrl`,
/// `iconUrl`, `iconUri`, `rpcUrl`, `isPrimary`, `isSystem` (decompiled
/// `ApplicationLinkEntity`; the same fields, as `primary`/`system`, in NordeaOSS/esp.bitbucket
/// `bitbucket_application_link_info.py`'s sample of the V3 list).
fn link_entity(st: &Shared, l: &AppLink, primary: bool) -> serde_json::Value {
    let base = st.jira_base();
    json!({
        "link": [{"href": format!("{base}/rest/applinks/3.0/applicationlink/{}", l.id), "rel": "self"}],
        "id": l.id, "typeId": l.type_id, "name": l.name,
        "displayUrl": l.display_url, "rpcUrl": l.rpc_url,
        "iconUrl": format!("{base}/s/en_US/-/images/icons/generic.png"),
        "iconUri": format!("{base}/s/en_US/-/images/icons/generic.png"),
        "isPrimary": primary, "isSystem": false,
    })
}

/// `GET …/applicationlink`: `ApplicationLinkResource#getApplicationLinks` →
/// `RestUtil.ok(new ApplicationLinkListEntity(…))`, the wrapped list `{"applicationLinks":[…]}`
/// (jira-answers.md). The first link of a type is its primary one.
fn list_links(st: &Shared, ctx: &Ctx) -> Reply {
    if let Some(r) = require_admin(st, ctx) {
        return r;
    }
    let w = st.world();
    let mut seen_types: Vec<&str> = Vec::new();
    let links: Vec<serde_json::Value> = w
        .applinks
        .iter()
        .map(|l| {
            let primary = !seen_types.contains(&l.type_id.as_str());
            seen_types.push(&l.type_id);
            link_entity(st, l, primary)
        })
        .collect();
    Reply::json(200, &json!({"applicationLinks": links}))
}

/// `GET …/applicationlink/{id}`: the entity, or `RestUtil.notFound("applinks.notfound")`.
fn get_link(st: &Shared, ctx: &Ctx, id: &str) -> Reply {
    if let Some(r) = require_admin(st, ctx) {
        return r;
    }
    let w = st.world();
    let Some(pos) = w.applinks.iter().position(|l| l.id == id) else {
        return status(
            ctx,
            404,
            &format!("No application link with id {id} found."),
        );
    };
    let l = &w.applinks[pos];
    let primary = !w.applinks[..pos].iter().any(|o| o.type_id == l.type_id);
    Reply::json(200, &link_entity(st, l, primary))
}

/// `GET /rest/applinks/1.0/manifest`, anonymous: the decompiled `ManifestEntity` (`id`, `name`,
/// `typeId`, `version`, `buildNumber`, `applinksVersion`, `inboundAuthenticationTypes`,
/// `outboundAuthenticationTypes`, `publicSignup`, `url`, `iconUrl`, `iconUri`) as JSON with
/// `Accept: application/json`, else `<manifest>` XML (the plugin produces both; XML first).
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
                "iconUri": format!("{base}/s/en_US/-/images/icons/favicon.png"),
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
<publicSignup>false</publicSignup><url>{base}</url><iconUrl>{base}/s/en_US/-/images/icons/favicon.png</iconUrl><iconUri>{base}/s/en_US/-/images/icons/favicon.png</iconUri></manifest>",
        version = super::pages::esc(version),
        base = super::pages::esc(&base),
    );
    Reply::raw(200, XML, xml)
}

/// Applinks admin resources answer non-admins with this 401: `AdminApplicationLinksInterceptor`
/// → `RestUtil.unauthorized(i18n("applinks.error.only.admin"))`, a `Status` entity. The English
/// text of that message key is *unconfirmed*; the client matches the status, not the words.
fn not_admin(ctx: &Ctx) -> Reply {
    status(
        ctx,
        401,
        "Client must be authenticated as an administrator to access this resource.",
    )
}

/// Admin check plus WebSudo. WebSudo (secure administrator sessions) guards cookie-based browser
/// sessions; scripts calling the applinks admin REST resources with Basic/PAT/OAuth credentials are
/// not asked for it. This split is an assumption of the simulator (not checked against a source).
fn require_admin(st: &Shared, ctx: &Ctx) -> Option<Reply> {
    let Some(user) = ctx.user.as_deref() else {
        return Some(not_admin(ctx));
    };
    if !st.world().has_global(Some(user), "ADMINISTER") {
        return Some(not_admin(ctx));
    }
    if ctx.via == Via::Session {
        // The resources carry `@WebSudoRequired` (decompiled `ApplicationLinkResource`,
        // `OAuthApplicationLinkResource`); SAL's WebSudo filter refuses a session without it with
        // 401 and `X-Atlassian-WebSudo: Has-No-Authentication` (header name and value as
        // Atlassian's REST plugin sends them; the body text is *unconfirmed*).
        return Some(
            status(ctx, 401, "This resource requires WebSudo.")
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

/// `PUT /rest/applinks/3.0/applicationlink` {name, rpcUrl, displayUrl, typeId}: 201 with the
/// created link's URL in `resources-created` and `Location`, never the link itself
/// (jira-answers.md; jenkinsci/atlassian-bitbucket-server-integration-plugin
/// `BitbucketUtils#registerApplicationLink`; NordeaOSS/esp.bitbucket
/// `bitbucket_application_link.py`).
fn create_link(st: &Shared, ctx: &Ctx) -> Reply {
    if let Some(r) = require_admin(st, ctx) {
        return r;
    }
    let body: LinkBody = match serde_json::from_slice(&ctx.body) {
        Ok(b) => b,
        // Jersey refuses a body its JSON provider cannot read with 400 before the resource runs;
        // the applinks error entity is what the plugin's own validation sends (`RestUtil`).
        Err(e) => return bad_request(ctx, &[&format!("Invalid JSON: {e}")]),
    };
    let Some(rpc_url) = body.rpc_url.filter(|u| url::Url::parse(u).is_ok()) else {
        // `RestUtil.badRequest(i18n(...))`; the English text is *unconfirmed*.
        return bad_request(ctx, &["The application URL is invalid."]);
    };
    let name = body.name.unwrap_or_else(|| rpc_url.clone());
    let display_url = body.display_url.unwrap_or_else(|| rpc_url.clone());
    let type_id = body.type_id.unwrap_or_else(|| "generic".into());
    let mut w = st.world_mut();
    let id = uuid_from(u128::from(st.seed) * 1000 + w.applinks.len() as u128 + 17);
    w.add_applink(AppLink {
        id: id.clone(),
        name,
        rpc_url,
        display_url,
        type_id,
        consumer_key: None,
        consumer: None,
        incoming_oauth: None,
    });
    let href = format!("{}/rest/applinks/3.0/applicationlink/{id}", st.jira_base());
    created(ctx, &href, true)
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

/// `PUT /rest/applinks-oauth/1.0/applicationlink/{id}/authentication/consumer`
/// (`OAuthApplicationLinkResource#putConsumer`): `RestUtil.notFound("applinks.notfound")` for an
/// unknown link, `RestUtil.badRequest(…)` for a missing key or public key and for a key
/// `RSAKeys.fromPemEncodingToPublicKey` refuses (`applinks.invalid.consumer.publickey`), else
/// `RestUtil.created(Link.self("applicationlink/{id}/authentication/consumer"))`: a 201 `Status`
/// with that relative href and no `Location`. Putting a consumer on a link that has one replaces
/// it (`ServiceProviderStoreService#addConsumer` keys consumers by link).
fn register_consumer(st: &Shared, ctx: &Ctx, link_id: &str) -> Reply {
    if let Some(r) = require_admin(st, ctx) {
        return r;
    }
    if !st.world().applinks.iter().any(|l| l.id == link_id) {
        return status(
            ctx,
            404,
            &format!("No application link with id {link_id} found."),
        );
    }
    let body: ConsumerBody = match serde_json::from_slice(&ctx.body) {
        Ok(b) => b,
        Err(e) => return bad_request(ctx, &[&format!("Invalid JSON: {e}")]),
    };
    // `validate3rdPartyConsumer`: the key, and for an incoming consumer the public key, are
    // required (message keys `auth.oauth.config.consumer.serviceprovider.key.is.required`,
    // `auth.oauth.config.serviceprovider.missing.public.key`; English texts *unconfirmed*).
    let mut errors: Vec<&str> = Vec::new();
    let key = body.key.clone().filter(|k| !k.is_empty());
    let public_key = body.public_key.clone().filter(|k| !k.trim().is_empty());
    if key.is_none() {
        errors.push("Consumer key is required.");
    }
    if public_key.is_none() {
        errors.push("Public key is required.");
    }
    let (Some(key), Some(public_key)) = (key, public_key) else {
        return bad_request(ctx, &errors);
    };
    let name = body.name.unwrap_or_else(|| key.clone());
    let parsed = match super::oauth::parse_public_key(&public_key) {
        Ok(k) => k,
        Err(msg) => return bad_request(ctx, &[&msg]),
    };
    // Stored as `RSAKeys.toPemEncoding` gives it back (`ConsumerEntityBuilder#build`).
    let pem = {
        use rsa::pkcs8::EncodePublicKey as _;
        parsed
            .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
            .unwrap_or_else(|_| public_key.clone())
    };
    if let Err(msg) = st
        .oauth
        .register_consumer(&key, &name, &public_key, body.callback.clone())
    {
        return bad_request(ctx, &[&msg]);
    }
    {
        let mut w = st.world_mut();
        // The consumer store is keyed by consumer key: registering a key on this link takes it
        // away from any other link that had it.
        for l in w.applinks.iter_mut().filter(|l| l.id != link_id) {
            if l.consumer_key.as_deref() == Some(key.as_str()) {
                l.consumer_key = None;
                l.consumer = None;
            }
        }
        if let Some(l) = w.applinks.iter_mut().find(|l| l.id == link_id) {
            if let Some(old) = l.consumer_key.as_deref().filter(|k| *k != key) {
                st.oauth.remove_consumer(old);
            }
            l.consumer_key = Some(key.clone());
            l.consumer = Some(AppLinkConsumer {
                name,
                description: body.description,
                public_key_pem: pem,
                callback: body.callback,
                two_lo_allowed: body.two_lo_allowed,
                executing_two_lo_user: body.execution_two_lo_user,
                two_lo_impersonation_allowed: body.two_lo_impersonation_allowed,
            });
        }
        w.generation += 1;
    }
    let _ = body.outgoing;
    created(
        ctx,
        &format!("applicationlink/{link_id}/authentication/consumer"),
        false,
    )
}

/// `GET /rest/applinks-oauth/1.0/applicationlink/{id}/authentication/consumer`
/// (`OAuthApplicationLinkResource#getConsumer`): `{"consumers":[ConsumerEntity…]}`
/// (`ConsumerEntityListEntity`), each with `key`, `name`, `description`, `signatureMethod`,
/// `publicKey` (PEM), `callback`, `twoLOAllowed`, `executingTwoLOUser`,
/// `twoLOImpersonationAllowed` and its self `link` (`ConsumerEntity`, `ConsumerEntityBuilder`);
/// 404 `Status` when the link is unknown or has no consumer (`applinks.notfound`,
/// `applinks.generic.consumer.needs.authenticationprovider`).
fn get_consumer(st: &Shared, ctx: &Ctx, link_id: &str) -> Reply {
    if let Some(r) = require_admin(st, ctx) {
        return r;
    }
    let w = st.world();
    let Some(link) = w.applinks.iter().find(|l| l.id == link_id) else {
        return status(
            ctx,
            404,
            &format!("No application link with id {link_id} found."),
        );
    };
    let (Some(key), Some(c)) = (&link.consumer_key, &link.consumer) else {
        return status(
            ctx,
            404,
            &format!("No consumer is configured for the application link with id {link_id}."),
        );
    };
    Reply::json(
        200,
        &json!({"consumers": [{
            "link": [{"href": format!("applicationlink/{link_id}/authentication/consumer"), "rel": "self"}],
            "key": key, "name": c.name, "description": c.description,
            "signatureMethod": "RSA_SHA1", "publicKey": c.public_key_pem,
            "callback": c.callback, "twoLOAllowed": c.two_lo_allowed,
            "executingTwoLOUser": c.executing_two_lo_user,
            "twoLOImpersonationAllowed": c.two_lo_impersonation_allowed,
        }]}),
    )
}
