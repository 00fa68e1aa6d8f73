//! HTTP front of the simulator's OAuth 2.0 provider: `/rest/oauth2/latest/{authorize,token,client}`,
//! the consent page at `/plugins/servlet/oauth2/consent` (path from Atlassian's KB "How to test
//! the Jira Incoming Link OAuth 2.0 API"), Bearer access tokens and scopes on REST calls, and the
//! Jira 11 mode with basic authentication off. Statuses and bodies cite their source inline.

use super::http::{Ctx, Via};
use super::oauth2::{self, BearerCheck, OAuth2Error};
use super::pages;
use super::reply::Reply;
use super::state::Shared;
use axum::http::Method;
use serde_json::{json, Value};

const CONSENT: &str = "/plugins/servlet/oauth2/consent";

/// Whether the provider exists on this Jira (DC 8.22+, "Configure an incoming link") and is
/// enabled (HTTPS base URL, unless the dev-mode property skips the requirement).
fn available(st: &Shared) -> bool {
    !st.cloud
        && oauth2::version_at_least(&st.version, oauth2::SINCE)
        && !st.oauth2.settings().enforce_https
}

/// Jira 11 disables basic authentication by default (jira.js Data Center guide; Atlassian
/// "Creating an allowlist when basic authentication is disabled"; reference/jira-answers.md).
pub fn basic_disabled(st: &Shared) -> bool {
    !st.cloud && oauth2::version_at_least(&st.version, (11, 0))
}

/// Jira's answer when the provider is absent: the REST resource does not exist (Jersey's
/// "null for uri" 404, as `rest.rs` answers unknown REST paths; the exact body for this path is
/// *unconfirmed*), the servlet is Tomcat's 404 page.
fn absent(st: &Shared, ctx: &Ctx) -> Reply {
    if ctx.rel.starts_with("/rest/") {
        Reply::error(404, &format!("null for uri: {}{}", st.jira_base(), ctx.rel))
    } else {
        Reply::html(404, pages::tomcat_404(&ctx.path))
    }
}

/// Endpoints that run before REST authentication (they authenticate clients or browsers
/// themselves). `None` when the path is not one of them.
pub fn handle_public(st: &Shared, ctx: &mut Ctx) -> Option<Reply> {
    let rel = ctx.rel.as_str();
    let ours = rel == "/rest/oauth2/latest/authorize"
        || rel == "/rest/oauth2/latest/token"
        || rel == CONSENT;
    if !ours {
        return None;
    }
    if !available(st) {
        return Some(absent(st, ctx));
    }
    Some(match (rel, &ctx.method) {
        ("/rest/oauth2/latest/authorize", &Method::GET) => authorize(st, ctx),
        ("/rest/oauth2/latest/token", &Method::POST) => token(st, ctx),
        (CONSENT, &Method::GET) => consent_page(st, ctx),
        (CONSENT, &Method::POST) => consent_decision(st, ctx),
        _ => Reply::error(405, "Method Not Allowed").header("Allow", "GET, POST"),
    })
}

/// `POST /rest/oauth2/latest/client` after authentication: admins only. `None` for other paths.
pub fn handle_authenticated(st: &Shared, ctx: &Ctx) -> Option<Reply> {
    if ctx.rel != "/rest/oauth2/latest/client" {
        return None;
    }
    if !available(st) {
        return Some(absent(st, ctx));
    }
    if ctx.method != Method::POST && ctx.method != Method::GET {
        return Some(Reply::error(405, "Method Not Allowed").header("Allow", "GET, POST"));
    }
    let Some(user) = ctx.user.as_deref() else {
        return Some(Reply::not_authenticated());
    };
    if !st.world().in_group(user, "jira-administrators") {
        // Managing application links needs the Jira administrator permission ("Configure an
        // incoming link": "you need to be a Jira admin"); Jira's JSON error shape.
        return Some(Reply::error(
            403,
            "You must be a Jira administrator to manage OAuth 2.0 clients.",
        ));
    }
    if ctx.method == Method::GET {
        return Some(list_clients(st));
    }
    #[derive(serde::Deserialize)]
    struct Body {
        name: String,
        #[serde(default)]
        redirects: Vec<String>,
        scope: String,
    }
    let body: Body = match serde_json::from_slice(&ctx.body) {
        Ok(b) => b,
        Err(e) => return Some(Reply::error(400, &format!("Invalid request body: {e}"))),
    };
    Some(
        match st
            .oauth2
            .create_client(&body.name, &body.redirects, &body.scope)
        {
            // {name, redirects, scope} → clientId, clientSecret: documented for the DC OAuth 2.0
            // provider Bitbucket DC shares (reference/jira-answers.md). The status code is
            // *unconfirmed*; 200 with the created client.
            Ok(c) => Reply::json(
                200,
                &json!({
                    "id": c.id,
                    "clientId": c.id,
                    "clientSecret": c.secret,
                    "name": c.name,
                    "redirects": c.redirects,
                    "scope": c.scope,
                }),
            ),
            Err(e) => Reply::error(400, &e),
        },
    )
}

/// `GET /rest/oauth2/latest/client`: every OAuth 2.0 client (incoming "External application"
/// links and service accounts).
///
/// Sources: "Configure an incoming link" (confluence.atlassian.com/adminjiraserver0905/
/// configure-an-incoming-link-1207177171.html): an incoming link's details, "including the OAuth
/// credentials", stay viewable by admins in Application links after creation, so Jira keeps
/// name, redirect URL, scope, client id and secret per link. No public document or client code
/// found lists them over REST (searched: Atlassian docs, KBs, public code): the GET on the
/// resource whose POST is documented (reference/jira-answers.md) is *unconfirmed*, and so is its
/// shape, which repeats the documented create answer per client in a bare array. The client
/// treats 404/405 here as "no REST listing on this Jira" and points to the UI.
fn list_clients(st: &Shared) -> Reply {
    let all: Vec<Value> = st
        .oauth2
        .clients()
        .into_iter()
        .map(|c| {
            json!({
                "id": c.id,
                "clientId": c.id,
                "clientSecret": c.secret,
                "name": c.name,
                "redirects": c.redirects,
                "scope": c.scope,
            })
        })
        .collect();
    Reply::json(200, &Value::Array(all))
}

/// An RFC 6749 §5.2 error answer: JSON `{error, error_description}`, `Cache-Control: no-store`
/// (§5.1); `invalid_client` is 401 (§5.2 permits it, and requires it with Basic client auth).
fn oauth_error(e: &OAuth2Error) -> Reply {
    let mut r = Reply::json(e.status, &e.body()).header("Pragma", "no-cache");
    if e.status == 401 {
        r = r.header("WWW-Authenticate", "Basic realm=\"OAuth2 Client\"");
    }
    r
}

fn authorize(st: &Shared, ctx: &Ctx) -> Reply {
    match st.oauth2.authorize(&ctx.query) {
        // The browser goes on to the consent screen (KB "How to test the Jira Incoming Link
        // OAuth 2.0 API").
        Ok(id) => Reply::redirect(&format!("{}{CONSENT}?request_id={id}", st.jira_base())),
        // RFC 6749 §4.1.2.1: with an invalid client or redirect URI the server MUST NOT
        // redirect; it informs the resource owner.
        Err(Err(msg)) => Reply::html(400, page("OAuth 2.0 error", &pages::esc(&msg))),
        Err(Ok((uri, error, description, state))) => {
            let Ok(mut u) = url::Url::parse(&uri) else {
                return Reply::html(400, page("OAuth 2.0 error", "Invalid redirect_uri."));
            };
            {
                let mut q = u.query_pairs_mut();
                q.append_pair("error", error);
                q.append_pair("error_description", &description);
                if let Some(s) = state {
                    q.append_pair("state", &s);
                }
            }
            Reply::redirect(u.as_str())
        }
    }
}

fn page(title: &str, body_html: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{t} - Jira</title></head>\n<body><h1>{t}</h1>\n{body_html}\n</body></html>\n",
        t = pages::esc(title)
    )
}

/// The browser's user: the session cookie from `/login.jsp` (Seraph), as for OAuth 1.0a.
fn browser_user(st: &Shared, ctx: &Ctx) -> Option<String> {
    ctx.cookie("JSESSIONID").and_then(|s| st.session_user(&s))
}

fn consent_page(st: &Shared, ctx: &mut Ctx) -> Reply {
    let id = ctx.q("request_id").unwrap_or_default().to_owned();
    let Some(req) = st.oauth2.consent(&id) else {
        return Reply::html(
            400,
            page(
                "OAuth 2.0 error",
                "This authorization request is unknown or was already answered. Start again from the application.",
            ),
        );
    };
    let Some(user) = browser_user(st, ctx) else {
        // Seraph sends an anonymous browser to the login page and back (os_destination).
        let dest = format!("{CONSENT}?request_id={id}");
        let enc: String = url::form_urlencoded::byte_serialize(dest.as_bytes()).collect();
        return Reply::redirect(&format!(
            "{}/login.jsp?os_destination={enc}",
            st.jira_base()
        ));
    };
    ctx.user = Some(user.clone());
    let client = st.oauth2.client(&req.client_id);
    let name = client.map(|c| c.name).unwrap_or_default();
    let scopes: Vec<String> = req
        .scope
        .split_whitespace()
        .map(|s| format!("<li>{}</li>", pages::esc(s)))
        .collect();
    let action = format!("{}{CONSENT}", st.base);
    let body = format!(
        "<p><strong>{app}</strong> wants to access Jira as <strong>{user}</strong> with these permissions:</p>\n\
         <ul id=\"scopes\">{scopes}</ul>\n\
         <form method=\"post\" action=\"{action}\">\n\
         <input type=\"hidden\" name=\"request_id\" value=\"{id}\">\n\
         <button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>\n\
         <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\n\
         </form>",
        app = pages::esc(&name),
        user = pages::esc(&user),
        scopes = scopes.join(""),
        action = pages::esc(&action),
        id = pages::esc(&id),
    );
    Reply::html(200, page("Authorize access", &body))
}

fn consent_decision(st: &Shared, ctx: &mut Ctx) -> Reply {
    let form = ctx.form();
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let Some(user) = browser_user(st, ctx) else {
        return Reply::html(
            401,
            pages::login_page(&st.base, Some("You must log in to approve access."), false),
        );
    };
    ctx.user = Some(user.clone());
    let id = get("request_id").unwrap_or_default();
    let allow = get("decision").is_some_and(|d| d.eq_ignore_ascii_case("allow"));
    match st.oauth2.decide(&id, &user, allow, st.now_secs()) {
        // RFC 6749 §4.1.2: the authorization response is a redirect to the client.
        Ok(target) => Reply::redirect(&target),
        Err(e) => Reply::html(400, page("OAuth 2.0 error", &pages::esc(&e))),
    }
}

fn basic_client(ctx: &Ctx) -> Option<(String, String)> {
    let auth = ctx.header("authorization")?;
    let (scheme, rest) = auth.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let (id, secret) = super::http::decode_basic(rest)?;
    // RFC 6749 §2.3.1: both are form-urlencoded before Basic encoding.
    let dec = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Some((dec(&id), dec(&secret)))
}

fn token(st: &Shared, ctx: &Ctx) -> Reply {
    let is_form = ctx
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        // RFC 6749 §4.1.3: the token request is form-encoded.
        return oauth_error(&OAuth2Error {
            status: 400,
            error: "invalid_request",
            description: "The token request must be application/x-www-form-urlencoded.".into(),
        });
    }
    match st
        .oauth2
        .token(&ctx.form(), basic_client(ctx), st.now_secs())
    {
        // RFC 6749 §5.1: 200, JSON, no-store/no-cache.
        Ok(issued) => Reply::json(200, &issued.body).header("Pragma", "no-cache"),
        Err(e) => oauth_error(&e),
    }
}

/// Authenticate `Authorization: Bearer …` that is not a PAT. `None`: not one of ours either.
pub fn bearer(st: &Shared, token: &str) -> Option<Result<(Option<String>, Via), Reply>> {
    if !available(st) {
        return None;
    }
    match st.oauth2.check_bearer(token, st.now_secs()) {
        BearerCheck::Valid { user, .. } => Some(Ok((Some(user), Via::OAuth2))),
        // RFC 6750 §3.1: 401 with `WWW-Authenticate: Bearer error="invalid_token"`.
        BearerCheck::Invalid(why) => Some(Err(Reply::not_authenticated().header(
            "WWW-Authenticate",
            format!(
                "Bearer realm=\"{}\", error=\"invalid_token\", error_description=\"{why}\"",
                st.jira_base()
            ),
        ))),
        BearerCheck::Unknown => None,
    }
}

/// The scope a REST call needs: ADMIN for administration (permission schemes, application
/// links, OAuth clients), READ for reads, WRITE for the rest ("OAuth 2.0 scopes for incoming
/// links": READ "view", WRITE "create, update, delete", ADMIN "administer").
fn required_rank(ctx: &Ctx) -> usize {
    let admin = ctx.rel.starts_with("/rest/api/2/permissionscheme")
        || ctx.rel.starts_with("/rest/applinks")
        || ctx.rel.starts_with("/rest/oauth2/latest/client")
        || ctx.rel.starts_with("/rest/basicauth/");
    if admin {
        2
    } else if ctx.method == Method::GET || ctx.method == Method::HEAD {
        0
    } else {
        1
    }
}

/// Refuse a call an OAuth 2.0 token's scopes do not cover: 403 with `WWW-Authenticate: Bearer
/// error="insufficient_scope", scope="…"` (RFC 6750 §3.1). The JSON body is Jira's error shape.
pub fn enforce_scope(st: &Shared, ctx: &Ctx) -> Option<Reply> {
    if ctx.via != Via::OAuth2 {
        return None;
    }
    let token = ctx
        .header("authorization")
        .and_then(|a| a.trim().split_once(' '))
        .map(|(_, t)| t.trim().to_owned())?;
    let BearerCheck::Valid { scope, .. } = st.oauth2.check_bearer(&token, st.now_secs()) else {
        return None;
    };
    let need = required_rank(ctx);
    if oauth2::highest(&scope).is_some_and(|h| h >= need) {
        return None;
    }
    let needed = oauth2::SCOPES[need];
    Some(
        Reply::error(
            403,
            &format!("The access token's scope ({scope}) does not allow this request; it needs {needed}."),
        )
        .header(
            "WWW-Authenticate",
            format!(
                "Bearer realm=\"{}\", error=\"insufficient_scope\", scope=\"{needed}\", error_description=\"The request requires higher privileges than provided by the access token.\"",
                st.jira_base()
            ),
        ),
    )
}

/// `/__sim/oauth2/*` control endpoints. `None` for other paths.
pub fn control(st: &Shared, method: &Method, rest: &str, body: &[u8]) -> Option<Reply> {
    let sub = rest.strip_prefix("oauth2/")?;
    let parsed: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => {
                return Some(Reply::json(
                    400,
                    &json!({"error": format!("invalid JSON body: {e}")}),
                ))
            }
        }
    };
    let s = |k: &str| parsed.get(k).and_then(Value::as_str).map(str::to_owned);
    let now = st.now_secs();
    Some(match (method, sub) {
        (&Method::POST, "expire") => {
            let n = st.oauth2.expire_access_tokens(now);
            Reply::json(200, &json!({"expired": n}))
        }
        (&Method::POST, "revoke-refresh") => {
            let n = st.oauth2.revoke_refresh_tokens();
            Reply::json(200, &json!({"revoked": n}))
        }
        (&Method::POST, "settings") => {
            st.oauth2.update_settings(|x| {
                if let Some(n) = parsed.get("access_ttl").and_then(Value::as_i64) {
                    x.access_ttl = n;
                }
                if let Some(n) = parsed.get("code_ttl").and_then(Value::as_i64) {
                    x.code_ttl = n.min(600);
                }
                if let Some(b) = parsed.get("enforce_https").and_then(Value::as_bool) {
                    x.enforce_https = b;
                }
            });
            let x = st.oauth2.settings();
            Reply::json(
                200,
                &json!({"access_ttl": x.access_ttl, "code_ttl": x.code_ttl, "enforce_https": x.enforce_https}),
            )
        }
        (&Method::POST, "client") => {
            let redirects: Vec<String> = parsed
                .get("redirects")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            match st.oauth2.create_client(
                &s("name").unwrap_or_else(|| "app".into()),
                &redirects,
                &s("scope").unwrap_or_else(|| "READ".into()),
            ) {
                Ok(c) => Reply::json(200, &json!({"client_id": c.id, "client_secret": c.secret})),
                Err(e) => Reply::json(400, &json!({"error": e})),
            }
        }
        (&Method::POST, "service-account") => {
            let name = s("name").unwrap_or_else(|| "svc-jiralink".into());
            let scope = s("scope").unwrap_or_else(|| "READ".into());
            match st.oauth2.create_service_account(&name, &scope) {
                Ok(c) => {
                    ensure_service_user(st, &name);
                    Reply::json(
                        200,
                        &json!({"client_id": c.id, "client_secret": c.secret, "name": name, "scope": scope}),
                    )
                }
                Err(e) => Reply::json(400, &json!({"error": e})),
            }
        }
        _ => Reply::json(
            404,
            &json!({"error": format!("no control endpoint {method} /__sim/oauth2/{sub}")}),
        ),
    })
}

/// A service account is an account of its own ("Service accounts overview": "isn't tied to a
/// person"): the simulator adds it to the world with random credentials nobody is told, no
/// groups, and so no permissions until an admin grants some.
fn ensure_service_user(st: &Shared, name: &str) {
    let mut w = st.world_mut();
    if w.user(name).is_some() {
        return;
    }
    let n = w.users.len();
    w.users.push(super::world::User {
        name: name.to_owned(),
        key: format!("JIRAUSER{}", 20000 + n),
        display_name: format!("{name} (service account)"),
        email: format!("{name}@service.invalid"),
        password: oauth2::hex(32),
        pat: oauth2::hex(32),
        api_token: oauth2::hex(32),
        account_id: format!("svc-{n}"),
    });
}
