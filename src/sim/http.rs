//! The HTTP front of the simulator: one axum fallback handler that strips the context path,
//! applies the live scenario, authenticates like Seraph does and routes to the endpoint modules.
use super::oauth::SignedRequest;
use super::pages;
use super::reply::Reply;
use super::scenario::Scenario;
use super::state::{Shared, CAPTCHA_AFTER};
use super::{applinks, control, rest};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Largest request body the simulator reads (public keys and forms are small).
const MAX_BODY: usize = 1 << 20;

/// A parsed request as endpoint handlers see it.
#[derive(Debug)]
pub struct Ctx {
    /// Method.
    pub method: Method,
    /// Path after the context path, e.g. `/rest/api/2/myself`.
    pub rel: String,
    /// Full request path (with context path).
    pub path: String,
    /// Decoded query parameters.
    pub query: Vec<(String, String)>,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: bytes::Bytes,
    /// Scenario at the time the request arrived.
    pub scenario: Scenario,
    /// Authenticated user name (None = anonymous).
    pub user: Option<String>,
    /// How the user authenticated.
    pub via: Via,
    /// Cloud mode: the request came through the API gateway form `/ex/jira/{cloudId}/…`.
    pub gateway: bool,
}

/// How a request was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// No credentials.
    Anonymous,
    /// Basic.
    Basic,
    /// Personal Access Token.
    Bearer,
    /// OAuth 1.0a.
    OAuth,
    /// Browser session cookie.
    Session,
    /// OAuth 2.0 Bearer access token.
    OAuth2,
}

impl Ctx {
    /// The first value of a query parameter.
    pub fn q(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether `expand` (comma-separated) names `what` (or `all`).
    pub fn expands(&self, what: &str) -> bool {
        self.query
            .iter()
            .filter(|(k, _)| k == "expand")
            .flat_map(|(_, v)| v.split(','))
            .any(|e| e.trim() == what || e.trim() == "all")
    }

    /// A request header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Decoded `application/x-www-form-urlencoded` body.
    pub fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(&self.body)
            .into_owned()
            .collect()
    }

    /// A cookie value.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all("cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
    }

    /// The request as the OAuth provider must verify it: the URL *Jira believes* was called.
    pub fn signed_request(&self, st: &Shared) -> SignedRequest {
        let url = match self.scenario {
            // Behind a mismatched proxy Jira rebuilds URLs from its configured public base URL.
            Scenario::ProxyMismatch => format!("{}{}", super::state::PUBLIC_BASE, self.rel),
            _ => {
                let host = self
                    .header("host")
                    .map(str::to_owned)
                    .unwrap_or_else(|| st.origin.trim_start_matches("http://").to_owned());
                format!("http://{host}{}", self.path)
            }
        };
        let is_form = self
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
        SignedRequest {
            method: self.method.as_str().to_ascii_uppercase(),
            url,
            query: self.query.clone(),
            form: if is_form { self.form() } else { Vec::new() },
            authorization: self.header("authorization").map(str::to_owned),
        }
    }
}

/// Guards of the control API against a web page in the user's browser (issue 14 §8): a page
/// can POST `text/plain` or a form cross-origin without a CORS preflight (CSRF), and a DNS
/// rebinding page reaches 127.0.0.1 under its own host name. So every control request must name
/// a loopback host in `Host` (`127.0.0.1`, `[::1]`, `localhost`), and a POST must send
/// `Content-Type: application/json`, which a cross-origin page can only send after a preflight
/// this server never approves (no CORS headers at all). Both are our own rules, not Jira's: the
/// control API is not part of the simulated server. Refusals are 403 and 415 with a JSON error.
fn control_request_allowed(method: &Method, headers: &HeaderMap) -> Result<(), Reply> {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host),
    };
    let loopback = name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        return Err(Reply::error(
            403,
            "control API: the Host header must be a loopback address (127.0.0.1, [::1] or localhost)",
        ));
    }
    if *method == Method::POST {
        let json = headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|h| h.to_str().ok())
            .and_then(|ct| ct.split(';').next())
            .is_some_and(|ct| ct.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            return Err(Reply::error(
                415,
                "control API: send the body as JSON with Content-Type: application/json",
            ));
        }
    }
    Ok(())
}

/// The axum fallback handler: everything goes through here.
pub async fn dispatch(
    State(st): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    st.requests.fetch_add(1, Ordering::Relaxed);
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            // The simulator's own guard (Jira's limits live in Tomcat's connector and are far
            // larger); not a Jira answer, so it carries no Jira headers.
            return Reply::error(413, "Request body too large").into_response(&[]);
        }
    };
    let path = parts.uri.path().to_owned();
    let query: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();

    // The control API is not part of the simulated server: no scenario, no Jira headers.
    if let Some(rest) = path.strip_prefix("/__sim/") {
        if !peer.ip().is_loopback() {
            // Not a Jira endpoint: the simulator's own control API, so no Jira source applies.
            return Reply::error(403, "control API is loopback only").into_response(&[]);
        }
        if let Err(refusal) = control_request_allowed(&parts.method, &parts.headers) {
            return refusal.into_response(&[]);
        }
        return control::handle(&st, &parts.method, rest, &body).into_response(&[]);
    }

    let scenario = st.scenario();
    if let Scenario::Slow { latency_ms } = scenario {
        tokio::time::sleep(Duration::from_millis(latency_ms)).await;
    }
    if scenario == Scenario::NotJira {
        // A stock nginx in front of nothing: its welcome page and built-in 404, `Server:
        // nginx/…`, none of Jira's `X-A*` headers (see `pages::nginx_*`).
        let reply = if path == "/" {
            Reply::raw(200, "text/html", pages::nginx_welcome())
        } else {
            Reply::raw(404, "text/html", pages::nginx_404())
        };
        let mut r =
            reply.into_response(&[("date", http_date(&st)), ("server", "nginx/1.24.0".into())]);
        r.headers_mut().remove("x-content-type-options");
        return r;
    }

    if st.cloud && path == "/_edge/tenant_info" {
        return super::cloud_gateway::Gateway::tenant_info(&st.gateway).into_response(&[]);
    }
    // The gateway form `/ex/jira/{cloudId}/rest/…` reaches the same site (cloud mode).
    let gateway_rel = if st.cloud {
        st.gateway.strip(&path).map(str::to_owned)
    } else {
        None
    };
    let gateway = gateway_rel.is_some();
    let rel = if let Some(r) = gateway_rel {
        Some(r)
    } else if st.context_path.is_empty() {
        Some(path.clone())
    } else if path == st.context_path {
        Some("/".to_owned())
    } else {
        path.strip_prefix(&st.context_path)
            .filter(|r| r.starts_with('/'))
            .map(str::to_owned)
    };
    let mut ctx = Ctx {
        method: parts.method,
        rel: rel.clone().unwrap_or_default(),
        path: path.clone(),
        query,
        headers: parts.headers,
        body,
        scenario,
        user: None,
        via: Via::Anonymous,
        gateway,
    };
    let reply = match rel {
        None if path.starts_with("/idp/") => idp(&ctx),
        // Outside the context path Tomcat's default servlet answers with its status page.
        None => Reply::html(404, pages::tomcat_404(&path)),
        Some(_) => jira(&st, &mut ctx).await,
    };
    finish(&st, &ctx, reply)
}

fn http_date(st: &Shared) -> String {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(st.now_secs().max(0) as u64);
    httpdate::fmt_http_date(now)
}

/// Add the headers every Jira response carries. Sources: a DC response captured in go-jira/jira#8
/// (`X-Arequestid: 53x17037965x1` = minute of the day × request counter × 1, `X-Asessionid:
/// 14tags9`, `X-Ausername`, `X-Content-Type-Options: nosniff`, `Cache-Control: no-cache, no-store,
/// no-transform` on REST, `Content-Type: application/json;charset=UTF-8`); `X-XSS-Protection: 1;
/// mode=block` beside them in GothenburgBitFactory/bugwarrior#689 and MrRefactoring/jira.js#418;
/// `x-seraph-loginreason: OK` on an accepted Basic login in ahungry/org-jira#365.
fn finish(st: &Shared, ctx: &Ctx, reply: Reply) -> Response {
    let n = st.requests.load(Ordering::Relaxed);
    let mut common: Vec<(&'static str, String)> = vec![("date", http_date(st))];
    if reply.jira {
        let minutes = (st.now_secs().rem_euclid(86_400)) / 60;
        common.push((
            "x-ausername",
            ctx.user.clone().unwrap_or_else(|| "anonymous".into()),
        ));
        common.push(("x-arequestid", format!("{minutes}x{n}x1")));
        if ctx.via == Via::Basic {
            // Seraph reports a successful Basic login on the response.
            common.push(("x-seraph-loginreason", "OK".into()));
        }
        // Seraph puts a short hash of the HTTP session here; stable per user is close enough.
        let sid = ctx
            .user
            .as_deref()
            .map(|u| {
                format!(
                    "{:x}",
                    u.bytes()
                        .fold(5381u32, |h, b| h.wrapping_mul(33) ^ b as u32)
                )
            })
            .unwrap_or_else(|| format!("{:x}", n.wrapping_mul(2_654_435_761) & 0xff_ffff));
        common.push(("x-asessionid", sid));
        common.push(("x-content-type-options", "nosniff".into()));
        common.push(("x-xss-protection", "1; mode=block".into()));
        if ctx.rel.starts_with("/rest/") {
            common.push(("cache-control", "no-cache, no-store, no-transform".into()));
        }
    }
    reply.into_response(&common)
}

fn idp(ctx: &Ctx) -> Reply {
    let relay = ctx.q("RelayState").unwrap_or("");
    let mut r = Reply::html(200, pages::idp_page(relay));
    r.jira = false;
    r
}

/// Endpoints that answer anonymous callers even when a scenario blocks authenticated REST.
fn is_anonymous_endpoint(rel: &str) -> bool {
    rel == "/rest/api/2/serverInfo" || rel == "/rest/applinks/1.0/manifest"
}

async fn jira(st: &Shared, ctx: &mut Ctx) -> Reply {
    let is_rest = ctx.rel.starts_with("/rest/");
    let is_login = ctx.rel == "/login.jsp";
    if is_rest {
        let k = st.rest_requests.fetch_add(1, Ordering::Relaxed) + 1;
        match ctx.scenario {
            Scenario::ServerError => {
                // See `pages::server_error_message` for what is sourced and what is assumed.
                return Reply::json(
                    500,
                    &serde_json::json!({"errorMessages": [pages::server_error_message()], "errors": {}}),
                );
            }
            Scenario::Flaky { percent } if flaky_hit(st.seed, k, percent) => {
                // A reverse proxy whose Jira node is away: Apache httpd's stock 503 page
                // ("Service Unavailable … temporarily unable to service your request"); the
                // `Retry-After` is what a maintenance proxy may add (RFC 9110 §10.2.3), so a
                // client's retry path is exercised.
                return Reply::html(
                    503,
                    "<html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your request.</p></body></html>".into(),
                )
                .header("Retry-After", "1");
            }
            Scenario::RateLimited {
                every,
                retry_after_secs,
            } => {
                // Headers of Jira DC 8.6+ rate limiting
                // (confluence.atlassian.com/doc/_ratelimiting_httpheaders-992678779.html:
                // X-RateLimit-Limit/-Remaining/-Interval-Seconds/-FillRate and Retry-After; DC
                // sends no X-RateLimit-Reset, that one is Cloud's). The 429 body is Tomcat's
                // status page "Rate limit exceeded." (ahungry/org-jira#365, a DC capture).
                let limited = k % u64::from(every.max(1)) == 0;
                let remaining = if limited {
                    0
                } else {
                    u64::from(every) - (k % u64::from(every)) - 1
                };
                let headers = |r: Reply| {
                    r.header("X-RateLimit-Limit", every.to_string())
                        .header("X-RateLimit-Remaining", remaining.to_string())
                        .header(
                            "X-RateLimit-Interval-Seconds",
                            retry_after_secs.max(1).to_string(),
                        )
                        // The bucket refills its `every` tokens each interval, so a client pacing
                        // by these headers (`jira::pace`) sends `every` requests a second, and the
                        // scenario's one-in-`every` refusals stay what it exercises.
                        .header("X-RateLimit-FillRate", every.to_string())
                };
                if limited {
                    return headers(Reply::html(429, pages::rate_limited_page()))
                        .header("Retry-After", retry_after_secs.to_string());
                }
                let mut reply = Box::pin(route_authenticated(st, ctx)).await;
                reply = headers(reply);
                return reply;
            }
            _ => {}
        }
    }
    if ctx.scenario == Scenario::SsoRedirect
        && (is_rest || is_login)
        && !is_anonymous_endpoint(&ctx.rel)
    {
        // An SSO front end (SAML HTTP-Redirect binding: `SAMLRequest` + `RelayState` in the
        // query, OASIS saml-bindings-2.0 §3.4) sending every non-browser call to its IdP.
        let relay = format!("{}{}", st.base, ctx.rel);
        let location = format!(
            "{}/idp/saml/login?SAMLRequest=fZJNT8MwDIbv%2FIoq9zZpt05T1FYa4sAkPqQKHrhFqVctUuOUOOXrz5P%2BAA&RelayState={}",
            st.origin,
            url::form_urlencoded::byte_serialize(relay.as_bytes()).collect::<String>()
        );
        return Reply::redirect(&location);
    }
    route_authenticated(st, ctx).await
}

fn flaky_hit(seed: u64, k: u64, percent: u8) -> bool {
    // A cheap deterministic mix, so a run with the same seed fails the same requests.
    let mut x = seed ^ k.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x % 100 < u64::from(percent)
}

async fn route_authenticated(st: &Shared, ctx: &mut Ctx) -> Reply {
    // The OAuth dance endpoints verify their own signatures.
    if ctx.rel.starts_with("/plugins/servlet/oauth/") {
        return super::oauth_routes::handle(st, ctx);
    }
    if ctx.rel == "/login.jsp" {
        return login(st, ctx);
    }
    if let Some(reply) = super::oauth2_routes::handle_public(st, ctx) {
        return reply;
    }
    match authenticate(st, ctx) {
        Ok((user, via)) => {
            ctx.user = user;
            ctx.via = via;
        }
        Err(reply) => return reply,
    }
    // Counted per principal and rate-limited per user (sim::limits), after authentication as
    // Jira's limiter is (it keys its buckets by user).
    let added = match st
        .limits
        .admit(ctx.user.as_deref(), &ctx.rel, st.now_secs())
    {
        super::limits::Admission::Go(h) => h,
        super::limits::Admission::Limited(reply) => return reply,
    };
    let mut reply = route_user(st, ctx);
    for (k, v) in added {
        reply = reply.header(k, v);
    }
    reply
}

/// Route a request whose user is known.
fn route_user(st: &Shared, ctx: &mut Ctx) -> Reply {
    if let Some(reply) = super::cloud_gateway::unpublished(ctx.gateway, &ctx.rel) {
        return reply;
    }
    if let Some(reply) = super::oauth2_routes::enforce_scope(st, ctx) {
        return reply;
    }
    if let Some(reply) = super::oauth2_routes::handle_authenticated(st, ctx) {
        return reply;
    }
    if ctx.scenario == Scenario::HtmlLogin
        && ctx.rel.starts_with("/rest/")
        && !is_anonymous_endpoint(&ctx.rel)
    {
        // A front-end (SSO plugin, proxy) answering with the login page instead of JSON.
        return Reply::html(200, pages::login_page(&st.base, None, false));
    }
    if let Some(reply) = super::applinks_status::handle(st, ctx) {
        return reply;
    }
    if ctx.rel.starts_with("/rest/applinks") {
        return applinks::handle(st, ctx);
    }
    if let Some(reply) = super::bulk::route(st, ctx) {
        return reply;
    }
    // Cloud serves v3 beside v2 with the same shapes outside rich text (Atlassian, "The Jira
    // Cloud platform REST API": "Version 3 … provides support for the Atlassian Document Format").
    if ctx.rel.starts_with("/rest/api/2/") || (st.cloud && ctx.rel.starts_with("/rest/api/3/")) {
        return rest::handle(st, ctx);
    }
    if ctx.rel.starts_with("/rest/pat/latest/tokens") && !st.cloud {
        return super::pat::handle(st, ctx);
    }
    if ctx.rel == "/" || ctx.rel == "/secure/Dashboard.jspa" {
        // Only the title matters to clients (jiralink reads `<title>` of HTML answers).
        return Reply::html(200, format!("<!DOCTYPE html><html><head><title>System Dashboard - Jira</title></head><body><h1>System Dashboard</h1><p>Logged in as {}</p></body></html>", pages::esc(ctx.user.as_deref().unwrap_or("anonymous"))));
    }
    Reply::html(404, pages::tomcat_404(&ctx.path))
}

/// `WWW-Authenticate: OAuth realm="<percent-encoded base URL>"` on Jira's 401s (apache/maven-
/// changes-plugin#233 shows `WWW-Authenticate: [OAuth realm="http…` on a REST 401).
fn www_authenticate(st: &Shared) -> String {
    let realm: String = url::form_urlencoded::byte_serialize(st.jira_base().as_bytes()).collect();
    format!("OAuth realm=\"{realm}\"")
}

/// A wrong Basic password: 401, Seraph's "Unauthorized (401)" HTML page and `X-Seraph-LoginReason:
/// AUTHENTICATED_FAILED` (GothenburgBitFactory/bugwarrior#689; jira-answers.md § "Login
/// failures"), with the OAuth challenge (`www_authenticate`).
fn basic_failed(st: &Shared) -> Reply {
    Reply::html(401, pages::unauthorized_page("AUTHENTICATED_FAILED"))
        .header("X-Seraph-LoginReason", "AUTHENTICATED_FAILED")
        .header("WWW-Authenticate", www_authenticate(st))
}

/// Seraph's answer once a CAPTCHA is required: **403** (not 401) with
/// `X-Seraph-LoginReason: AUTHENTICATION_DENIED` and `X-Authentication-Denied-Reason:
/// CAPTCHA_CHALLENGE; login-url=<base>/login.jsp` (jira-answers.md § "Login failures";
/// pycontribs/jira#733, atlassian/dc-app-performance-toolkit PR #36 — which tests
/// `status_code == 403` and the header's `CAPTCHA_CHALLENGE` prefix —, gioboa/jira-plugin#26,
/// gustavkarlsson/rocketchat-jira-trigger#5). No `WWW-Authenticate`: that challenge belongs to
/// a 401 (RFC 9110 §15.5.2), and a 403 says new credentials will not help.
fn captcha_denied(st: &Shared) -> Reply {
    Reply::html(403, pages::captcha_denied_page())
        .header("X-Seraph-LoginReason", "AUTHENTICATION_DENIED")
        .header(
            "X-Authentication-Denied-Reason",
            format!("CAPTCHA_CHALLENGE; login-url={}/login.jsp", st.jira_base()),
        )
}

pub(super) fn decode_basic(value: &str) -> Option<(String, String)> {
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((u.to_owned(), p.to_owned()))
}

/// Who the request acts as; Err is the rejection to send.
fn authenticate(st: &Shared, ctx: &Ctx) -> Result<(Option<String>, Via), Reply> {
    if ctx.scenario == Scenario::Anonymous {
        // A proxy that strips `Authorization`, as Jira then sees it: every call anonymous.
        return Ok((None, Via::Anonymous));
    }
    let Some(auth) = ctx.header("authorization").map(str::trim) else {
        if let Some(user) = ctx.cookie("JSESSIONID").and_then(|s| st.session_user(&s)) {
            return Ok((Some(user), Via::Session));
        }
        return Ok((None, Via::Anonymous));
    };
    let (scheme, rest) = auth.split_once(' ').unwrap_or((auth, ""));
    match scheme.to_ascii_lowercase().as_str() {
        "basic" => {
            if ctx.scenario == Scenario::BasicDisabled || super::oauth2_routes::basic_disabled(st) {
                // The atlassian-authentication plugin's answer when basic auth is switched off
                // (seen on Bitbucket 10 in atlassian/data-center-helm-charts#1101).
                return Err(Reply::error(
                    403,
                    "Basic Authentication has been disabled on this instance.",
                ));
            }
            let Some((login, secret)) = decode_basic(rest) else {
                return Err(basic_failed(st));
            };
            let world = st.world();
            let user = if st.cloud {
                world
                    .users
                    .iter()
                    .find(|u| u.email.eq_ignore_ascii_case(&login))
            } else {
                world.user(&login)
            };
            let Some(user) = user else {
                return Err(basic_failed(st));
            };
            if st.failures(&user.name) >= CAPTCHA_AFTER {
                return Err(captcha_denied(st));
            }
            let ok = if st.cloud {
                // A scoped token works only through the gateway; the site URL answers 401
                // (jira-answers.md "Jira Cloud"; sooperset/mcp-atlassian#968).
                secret == user.api_token
                    || (ctx.gateway && st.gateway.is_scoped(&user.name, &secret))
            } else {
                secret == user.password
            };
            if ok {
                st.clear_failures(&user.name);
                Ok((Some(user.name.clone()), Via::Basic))
            } else {
                st.record_failure(&user.name);
                Err(basic_failed(st))
            }
        }
        "bearer" if !st.cloud => {
            // An expired or revoked PAT answers like an unknown one (jira-answers.md, PATs).
            match st.pats.authenticate(rest.trim(), st.now_secs()) {
                Some(u) => Ok((Some(u), Via::Bearer)),
                // Not a PAT: maybe an OAuth 2.0 access token.
                None => match super::oauth2_routes::bearer(st, rest.trim()) {
                    Some(r) => r,
                    // An unknown or expired PAT: the DC 401 JSON (fixture
                    // `error.401-not-authenticated`) with Seraph's `AUTHENTICATED_FAILED`
                    // (pycontribs/jira#1627, a PAT 401 on DC 9.0; "an expired token answers like
                    // an unknown one", jira-answers.md § PATs).
                    None => Err(Reply::not_authenticated()
                        .header("X-Seraph-LoginReason", "AUTHENTICATED_FAILED")
                        .header("WWW-Authenticate", www_authenticate(st))),
                },
            }
        }
        // Cloud has no PATs: a Bearer value is no credential it knows (*unconfirmed* body).
        "bearer" => Err(Reply::not_authenticated()),
        "oauth" => match st
            .oauth
            .authenticate(&ctx.signed_request(st), st.now_secs())
        {
            Ok(Some(user)) => Ok((Some(user), Via::OAuth)),
            Ok(None) => Ok((None, Via::Anonymous)),
            Err(reply) => Err(reply.into()),
        },
        // An Authorization scheme no Seraph authenticator claims is ignored: the call runs as
        // anonymous and says so in `X-AUSERNAME: anonymous` (the header as in go-jira/jira#8;
        // MrRefactoring/jira.js#418 shows a rejected credential still served 200 on an endpoint
        // open to anonymous users).
        _ => Ok((None, Via::Anonymous)),
    }
}

/// `/login.jsp`: GET shows the page, POST logs in (a successful browser login also clears the
/// CAPTCHA, as solving it does in Jira).
fn login(st: &Shared, ctx: &mut Ctx) -> Reply {
    if ctx.method != Method::POST {
        let destination = ctx.q("os_destination").filter(|d| d.starts_with('/'));
        return Reply::html(
            200,
            pages::login_page_to(&st.base, None, false, destination.unwrap_or("")),
        );
    }
    let form = ctx.form();
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let user = get("os_username").unwrap_or_default();
    let pass = get("os_password").unwrap_or_default();
    let ok = st.world().user(&user).is_some_and(|u| u.password == pass);
    if ok {
        st.clear_failures(&user);
        let sid = st.open_session(&user);
        ctx.user = Some(user);
        let dest = get("os_destination")
            .filter(|d| d.starts_with('/'))
            .map(|d| format!("{}{d}", st.base))
            .unwrap_or_else(|| format!("{}/secure/Dashboard.jspa", st.base));
        let cookie_path = if st.context_path.is_empty() {
            "/"
        } else {
            st.context_path.as_str()
        };
        // A form login that succeeds redirects (302) to `os_destination` with the session cookie
        // and `X-Seraph-LoginReason: OK` (the header as in ahungry/org-jira#365; Jira's login form
        // fields `os_username`/`os_password`/`os_destination`).
        return Reply::redirect(&dest)
            .header(
                "Set-Cookie",
                format!("JSESSIONID={sid}; Path={cookie_path}; HttpOnly"),
            )
            .header("X-Seraph-LoginReason", "OK");
    }
    if st.world().user(&user).is_some() {
        st.record_failure(&user);
    }
    let captcha = st.failures(&user) >= CAPTCHA_AFTER;
    let destination = get("os_destination").filter(|d| d.starts_with('/'));
    // A failed form login shows the login page again (200) with its error and Seraph's reason;
    // after CAPTCHA_AFTER failures the page asks for the CAPTCHA (jira-answers.md § "Login
    // failures"). The error text is Jira's English message.
    Reply::html(
        200,
        pages::login_page_to(
            &st.base,
            Some("Sorry, your username and password are incorrect - please try again."),
            captcha,
            destination.as_deref().unwrap_or(""),
        ),
    )
    .header("X-Seraph-LoginReason", "AUTHENTICATED_FAILED")
}
