//! The OAuth 1.0a servlet endpoints (`/plugins/servlet/oauth/*`), delegating to the provider with
//! the request as Jira sees it and the (possibly skewed) server clock.
use super::http::Ctx;
use super::pages;
use super::reply::Reply;
use super::state::Shared;
use axum::http::Method;

/// Route `/plugins/servlet/oauth/…`.
pub fn handle(st: &Shared, ctx: &mut Ctx) -> Reply {
    let now = st.now_secs();
    match (ctx.rel.as_str(), &ctx.method) {
        ("/plugins/servlet/oauth/request-token", &Method::POST | &Method::GET) => {
            st.oauth.request_token(&ctx.signed_request(st), now).into()
        }
        ("/plugins/servlet/oauth/access-token", &Method::POST | &Method::GET) => {
            st.oauth.access_token(&ctx.signed_request(st), now).into()
        }
        ("/plugins/servlet/oauth/authorize", &Method::GET) => {
            let user = browser_user(st, ctx);
            ctx.user = user.clone();
            let token = ctx.q("oauth_token").unwrap_or_default().to_owned();
            st.oauth
                .authorize_page(&token, user.as_deref(), &st.jira_base())
                .into()
        }
        ("/plugins/servlet/oauth/authorize", &Method::POST) => {
            let form = ctx.form();
            let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            let token = get("oauth_token")
                .or_else(|| ctx.q("oauth_token").map(str::to_owned))
                .unwrap_or_default();
            let Some(user) = browser_user(st, ctx) else {
                // A form post without a session: Seraph would send the browser to the login
                // page; the 401 with that page is the simulator's stand-in (*unconfirmed*).
                return Reply::html(
                    401,
                    pages::login_page(&st.base, Some("You must log in to approve access."), false),
                );
            };
            ctx.user = Some(user.clone());
            if get("approve").is_some_and(|v| v.eq_ignore_ascii_case("allow")) {
                st.oauth.allow_page(&token, &user).into()
            } else {
                // Deny: Jira's authorize servlet shows an "Access Denied" page (200); an unknown
                // or used token is an error page (400). Page texts are *unconfirmed*; consumers
                // learn of the denial from the access-token exchange (`permission_denied`).
                match st.oauth.deny(&token) {
                    Ok(()) => Reply::html(200, "<!DOCTYPE html><html><head><title>Access Denied - Jira</title></head><body><h1>Access Denied</h1><p>You have denied access.</p></body></html>".into()),
                    Err(e) => Reply::html(400, format!("<!DOCTYPE html><html><head><title>OAuth error - Jira</title></head><body><p>{}</p></body></html>", pages::esc(&e))),
                }
            }
        }
        // Other methods or servlet paths: Tomcat's status page with `Allow` (RFC 9110 §15.5.6).
        _ => Reply::html(
            405,
            pages::tomcat_status(
                "405 – Method Not Allowed",
                &ctx.path,
                "The method received in the request-line is known by the origin server but not supported by the target resource.",
            ),
        )
        .header("Allow", "GET, POST"),
    }
}

/// The user a browser acts as on the authorize page: a session cookie, or Basic credentials.
fn browser_user(st: &Shared, ctx: &Ctx) -> Option<String> {
    if ctx.scenario == super::Scenario::Anonymous {
        return None;
    }
    if let Some(u) = ctx.cookie("JSESSIONID").and_then(|s| st.session_user(&s)) {
        return Some(u);
    }
    let auth = ctx.header("authorization")?;
    let (scheme, rest) = auth.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (login, pass) = text.split_once(':')?;
    let w = st.world();
    w.user(login)
        .filter(|u| u.password == pass)
        .map(|u| u.name.clone())
}
