//! JiraClient: base URL with context path, reqwest (rustls, custom CA, proxy, timeouts), typed calls,
//! retry with Retry-After for 429/503, and detection of silent failures on every response.

use super::auth::{Auth, OAuth1Auth, OAuthToken};
use super::error::{ErrorKind, JiraError};
use super::model::*;
use super::oauth;
use super::response::{self, Raw};
use super::transport;
use base64::Engine;
use rand::Rng;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::Method;
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use url::Url;

/// Which REST dialect the server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flavor {
    /// Jira Server / Data Center.
    #[default]
    Server,
    /// Atlassian Cloud.
    Cloud,
}

/// Retry budget for 429/503 answers.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub max_retries: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
        }
    }
}

/// Everything needed to build a client; built from a config `Connection`.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub base_url: Url,
    pub auth: Auth,
    pub flavor: Flavor,
    pub timeout: Duration,
    pub ca_file: Option<PathBuf>,
    pub insecure: bool,
    pub proxy: Option<String>,
    /// Client certificate and key (PEM files) for mutual TLS, when the connection has one.
    pub client_cert: Option<(PathBuf, PathBuf)>,
    pub retry: RetryPolicy,
    /// Largest response body read before giving up with `response_too_large`.
    pub max_body_bytes: usize,
}

impl ClientOptions {
    /// Defaults: Server flavor, 20 s timeout, default retries, 256 MiB body cap.
    pub fn new(base_url: Url, auth: Auth) -> Self {
        Self {
            base_url,
            auth,
            flavor: Flavor::Server,
            timeout: Duration::from_secs(20),
            ca_file: None,
            insecure: false,
            proxy: None,
            client_cert: None,
            retry: RetryPolicy::default(),
            // DC's `GET /rest/api/2/project` is not paged: with `expand=lead` it is ~1.2 KB per
            // project, so 50,000 projects (bench/run.sh, section 3) answer ~60 MB, which the
            // former 32 MiB cap refused. The cap still stops a runaway body.
            max_body_bytes: 256 << 20,
        }
    }
}

/// The most an answer about one thing can be: identity, server info, the applinks manifest, one
/// user, one scheme, an OAuth token answer. Real ones are a few KiB (`../shared/fixtures/jira/`).
pub const SMALL_ANSWER_CAP: usize = 1 << 20;

/// The most a bounded list can be: one page of the Cloud project search (50 projects), the
/// permission catalogue (DC 10.3 knows 38 permissions plus plugins'), `mypermissions`.
pub const PAGE_ANSWER_CAP: usize = 4 << 20;

/// The body cap for a call to `path` (issue 14 §3): an answer is refused as soon as it grows past
/// what it can be, so a hostile or broken server streaming an endless body costs at most this
/// much (plus the buffer's growth) per request. Only the unpaged lists keep `list_cap` (DC's
/// `GET /rest/api/2/project`, all permission schemes, a role's actors).
pub fn answer_cap(path: &str, list_cap: usize) -> usize {
    const SMALL: [&str; 6] = [
        "/rest/api/2/myself",
        "/rest/api/2/serverInfo",
        "/rest/applinks/1.0/manifest",
        "/rest/api/2/user",
        "/plugins/servlet/oauth/request-token",
        "/plugins/servlet/oauth/access-token",
    ];
    const PAGED: [&str; 3] = [
        "/rest/api/3/project/search",
        "/rest/api/2/permissions",
        "/rest/api/2/mypermissions",
    ];
    let cap = if SMALL.iter().any(|p| path.ends_with(p))
        || path.ends_with("/permissionscheme") && path.contains("/rest/api/2/project/")
    {
        SMALL_ANSWER_CAP
    } else if PAGED.iter().any(|p| path.ends_with(p)) {
        PAGE_ANSWER_CAP
    } else {
        list_cap
    };
    cap.min(list_cap)
}

/// Sentinel for "not seen yet" in the atomics below.
const UNSET: i64 = i64::MIN;

/// State shared by every clone and every `with_auth` sibling: the pool and the counters.
struct Shared {
    http: reqwest::Client,
    timeout: Duration,
    retry: RetryPolicy,
    max_body_bytes: usize,
    insecure: bool,
    proxy: Option<String>,
    requests: AtomicU64,
    rate_limit_remaining: AtomicI64,
    clock_skew_secs: AtomicI64,
    /// Client-side pacing under Jira's rate limit (`pace`).
    pacer: super::pace::Pacer,
}

/// A cheap-to-clone async Jira REST client.
#[derive(Clone)]
pub struct JiraClient {
    base_url: Url,
    auth: Auth,
    flavor: Flavor,
    shared: Arc<Shared>,
}

impl fmt::Debug for JiraClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JiraClient")
            .field("base_url", &self.base_url.as_str())
            .field("auth", &self.auth)
            .field("flavor", &self.flavor)
            .finish_non_exhaustive()
    }
}

/// What to put in the request body.
#[derive(Clone)]
enum Body {
    None,
    Json(Vec<u8>),
    Form(Vec<(String, String)>),
}

/// Which credentials sign one request.
#[derive(Clone, Copy)]
struct Signing<'a> {
    auth: &'a Auth,
    /// Replaces the consumer's configured token (OAuth dance).
    token: Option<Option<&'a OAuthToken>>,
    callback: Option<&'a str>,
    verifier: Option<&'a str>,
}

impl JiraClient {
    /// Build a client (TLS roots, CA file, proxy, timeouts).
    pub fn new(opts: ClientOptions) -> Result<Self, JiraError> {
        let http = transport::build_http(&opts)?;
        let mut base_url = opts.base_url.clone();
        // The context path is kept without trailing slash so "/rest/…" can be appended as is.
        let trimmed = base_url.path().trim_end_matches('/').to_string();
        base_url.set_path(&trimmed);
        base_url.set_query(None);
        base_url.set_fragment(None);
        Ok(Self {
            base_url,
            auth: opts.auth,
            flavor: opts.flavor,
            shared: Arc::new(Shared {
                http,
                timeout: opts.timeout,
                retry: opts.retry,
                max_body_bytes: opts.max_body_bytes,
                insecure: opts.insecure,
                proxy: opts.proxy.clone(),
                requests: AtomicU64::new(0),
                rate_limit_remaining: AtomicI64::new(UNSET),
                clock_skew_secs: AtomicI64::new(UNSET),
                pacer: super::pace::Pacer::default(),
            }),
        })
    }

    /// The configured base URL (context path included, no trailing slash).
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// A sibling client with other credentials, sharing the connection pool and counters.
    pub fn with_auth(&self, auth: Auth) -> JiraClient {
        JiraClient {
            auth,
            ..self.clone()
        }
    }

    /// A sibling client for another base URL (same pool); used to probe context-path variants.
    pub fn with_base_url(&self, base_url: Url) -> JiraClient {
        let mut base_url = base_url;
        let trimmed = base_url.path().trim_end_matches('/').to_string();
        base_url.set_path(&trimmed);
        JiraClient {
            base_url,
            ..self.clone()
        }
    }

    /// The credentials this client sends.
    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    /// The REST dialect.
    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    /// Whether TLS verification is switched off.
    pub fn is_insecure(&self) -> bool {
        self.shared.insecure
    }

    /// Requests sent so far (every attempt counts), across all siblings.
    pub fn request_counter(&self) -> u64 {
        self.shared.requests.load(Ordering::Relaxed)
    }

    /// The last `X-RateLimit-Remaining` value seen.
    pub fn rate_limit_remaining(&self) -> Option<u32> {
        match self.shared.rate_limit_remaining.load(Ordering::Relaxed) {
            UNSET => None,
            v => u32::try_from(v).ok(),
        }
    }

    /// The pacing in force under Jira's rate limit or `--max-rate`, if any.
    pub fn pacing(&self) -> Option<super::pace::Pacing> {
        self.shared.pacer.pacing()
    }

    /// Cap this client (and its siblings) at `per_second` requests a second (`--max-rate`).
    pub fn set_max_rate(&self, per_second: Option<f64>) {
        self.shared.pacer.set_max_rate(per_second);
    }

    /// Server clock minus local clock, from the last `Date` header seen.
    pub fn clock_skew_secs(&self) -> Option<i64> {
        match self.shared.clock_skew_secs.load(Ordering::Relaxed) {
            UNSET => None,
            v => Some(v),
        }
    }

    /// Base URL + `path` (+ `query`); a `?` inside `path` is honoured too.
    pub fn url_for(&self, path: &str, query: &[(&str, &str)]) -> Url {
        let (p, q) = match path.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path, None),
        };
        let mut url = self.base_url.clone();
        let p = if p.starts_with('/') {
            p.to_string()
        } else {
            format!("/{p}")
        };
        url.set_path(&format!(
            "{}{}",
            self.base_url.path().trim_end_matches('/'),
            p
        ));
        url.set_query(q);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// GET `path` and decode the JSON answer.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, JiraError> {
        let url = self.url_for(path, query);
        let raw = self
            .execute(Method::GET, url, Body::None, self.signing())
            .await?;
        response::decode_json(&raw)
    }

    /// Send a JSON body (PUT/POST/DELETE to applinks and the like) and decode the JSON answer
    /// (an empty answer decodes as `null`, so `T = ()` or `Option<_>` fits a 204).
    pub async fn send_json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &B,
    ) -> Result<T, JiraError> {
        let raw = self.send_json_raw(method, path, body).await?;
        response::decode_json(&raw)
    }

    /// Like [`JiraClient::send_json`], but hands back the whole checked answer (status, headers
    /// such as `Location`, body) for callers that read more than the JSON body.
    pub async fn send_json_raw<B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        body: &B,
    ) -> Result<Raw, JiraError> {
        let url = self.url_for(path, &[]);
        let bytes = serde_json::to_vec(body)
            .map_err(|e| JiraError::config(format!("cannot encode the request body: {e}")))?;
        self.execute(method, url, Body::Json(bytes), self.signing())
            .await
    }

    /// DELETE `path` without a body (revoking a Personal Access Token answers 204).
    pub async fn delete(&self, path: &str) -> Result<(), JiraError> {
        let url = self.url_for(path, &[]);
        self.execute(Method::DELETE, url, Body::None, self.signing())
            .await
            .map(|_| ())
    }

    /// Send a request without a body (a `DELETE`) and decode the JSON answer (`null` for a 204).
    pub async fn send_empty<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
    ) -> Result<T, JiraError> {
        let url = self.url_for(path, &[]);
        let raw = self
            .execute(method, url, Body::None, self.signing())
            .await?;
        response::decode_json(&raw)
    }

    /// POST to an OAuth endpoint (`/plugins/servlet/oauth/request-token`, `…/access-token`),
    /// signed with this client's consumer and `token` instead of the configured one when given.
    /// `extra_oauth` carries `oauth_callback` / `oauth_verifier` (into the header) and any other
    /// parameter (into the signed form body). Returns the form-encoded answer.
    pub async fn oauth_post(
        &self,
        path: &str,
        extra_oauth: &[(&str, &str)],
        token: Option<&OAuthToken>,
    ) -> Result<BTreeMap<String, String>, JiraError> {
        if !matches!(self.auth, Auth::OAuth1(_)) {
            return Err(JiraError::config(
                "the OAuth dance needs a connection with auth = \"oauth1\" (consumer key and private key)",
            ));
        }
        let mut callback = None;
        let mut verifier = None;
        let mut form = Vec::new();
        for (k, v) in extra_oauth {
            match *k {
                "oauth_callback" => callback = Some(*v),
                "oauth_verifier" => verifier = Some(*v),
                _ => form.push((k.to_string(), v.to_string())),
            }
        }
        let url = self.url_for(path, &[]);
        let signing = Signing {
            auth: &self.auth,
            token: Some(token),
            callback,
            verifier,
        };
        let raw = self
            .execute(Method::POST, url, Body::Form(form), signing)
            .await?;
        if let Some(e) = response::html_error(&raw) {
            return Err(e);
        }
        let text = response::lossy(&raw.body);
        let map: BTreeMap<String, String> = url::form_urlencoded::parse(text.trim().as_bytes())
            .into_owned()
            .collect();
        if map.is_empty() {
            return Err(raw.error(ErrorKind::Decode {
                message: "expected a form-encoded OAuth answer".into(),
                snippet: response::snippet(&raw.body),
            }));
        }
        Ok(map)
    }

    /// `GET /rest/api/2/serverInfo`.
    pub async fn server_info(&self) -> Result<ServerInfo, JiraError> {
        self.get_json("/rest/api/2/serverInfo", &[]).await
    }

    /// `GET /rest/applinks/1.0/manifest` (JSON, or the XML older applinks send regardless).
    pub async fn manifest(&self) -> Result<Manifest, JiraError> {
        let url = self.url_for("/rest/applinks/1.0/manifest", &[]);
        let raw = self
            .execute(Method::GET, url, Body::None, self.signing())
            .await?;
        let text = response::lossy(&raw.body);
        let t = text.trim_start();
        if t.starts_with("<?xml") || t.starts_with("<manifest") {
            return response::manifest_from_xml(t).ok_or_else(|| {
                raw.error(ErrorKind::Decode {
                    message: "the applinks manifest XML has no <id> or <typeId>".into(),
                    snippet: response::snippet(&raw.body),
                })
            });
        }
        response::decode_json(&raw)
    }

    /// `GET /rest/api/2/myself?expand=groups,applicationRoles`.
    ///
    /// An answer that names no user (no `name`, `key` or `accountId`, e.g. `{}`) is an error:
    /// it does not say whom the credentials belong to, so it can never count as a login.
    pub async fn myself(&self) -> Result<User, JiraError> {
        let url = self.url_for(
            "/rest/api/2/myself",
            &[("expand", "groups,applicationRoles")],
        );
        let raw = self
            .execute(Method::GET, url, Body::None, self.signing())
            .await?;
        let user: User = response::decode_json(&raw)?;
        if user.has_identity() {
            return Ok(user);
        }
        Err(raw.error(ErrorKind::Decode {
            message: "the answer names no user (no name, key or accountId), so it does not show that the credentials were accepted; a proxy or a broken plugin may answer for Jira"
                .into(),
            snippet: response::snippet(&raw.body),
        }))
    }

    /// All projects visible to the caller (DC array with `expand=lead`; Cloud paged search).
    pub async fn projects(&self) -> Result<Vec<Project>, JiraError> {
        if self.flavor == Flavor::Server {
            return self
                .get_json("/rest/api/2/project", &[("expand", "lead")])
                .await;
        }
        let mut out: Vec<Project> = Vec::new();
        // A hard page bound: a misbehaving server that never says isLast cannot loop forever.
        for _ in 0..10_000 {
            let start = out.len().to_string();
            let page: Page<Project> = self
                .get_json(
                    "/rest/api/3/project/search",
                    &[
                        ("startAt", start.as_str()),
                        ("maxResults", "50"),
                        ("expand", "lead"),
                    ],
                )
                .await?;
            let n = page.values.len();
            out.extend(page.values);
            // `isLast` is authoritative; without it fall back to `total`, then to a short page.
            let last = n == 0
                || match (page.is_last, page.total) {
                    (Some(l), _) => l,
                    (None, Some(t)) => out.len() as u64 >= t,
                    (None, None) => n < 50,
                };
            if last {
                break;
            }
        }
        Ok(out)
    }

    /// `GET /rest/api/2/mypermissions[?projectKey=]` without deprecated aliases.
    pub async fn my_permissions(
        &self,
        project_key: Option<&str>,
        permissions: &[String],
    ) -> Result<Permissions, JiraError> {
        let mut wanted = permissions.join(",");
        // Cloud refuses mypermissions without `permissions=`; ask for every key it knows then.
        if wanted.is_empty() && self.flavor == Flavor::Cloud {
            let all = self.all_permissions().await?;
            wanted = all
                .permissions
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(",");
        }
        let mut query: Vec<(&str, &str)> = Vec::new();
        if let Some(k) = project_key {
            query.push(("projectKey", k));
        }
        // DC ignores `permissions=` and returns everything (research note §3); sent anyway.
        if !wanted.is_empty() {
            query.push(("permissions", wanted.as_str()));
        }
        let url = self.url_for("/rest/api/2/mypermissions", &query);
        let raw = self
            .execute(Method::GET, url, Body::None, self.signing())
            .await?;
        Ok(decode_my_permissions(&raw, permissions)?.without_deprecated())
    }

    /// `GET /rest/api/2/permissions` (every permission the instance knows).
    pub async fn all_permissions(&self) -> Result<Permissions, JiraError> {
        let p: Permissions = self.get_json("/rest/api/2/permissions", &[]).await?;
        Ok(p.without_deprecated())
    }

    /// `GET /rest/api/2/project/{key}/permissionscheme` (id + name).
    pub async fn project_permission_scheme(
        &self,
        key: &str,
    ) -> Result<PermissionScheme, JiraError> {
        let path = format!("/rest/api/2/project/{}/permissionscheme", seg(key));
        self.get_json(&path, &[]).await
    }

    /// `GET /rest/api/2/permissionscheme?expand=permissions,user,group,projectRole` (all, with grants).
    pub async fn permission_schemes(&self) -> Result<Vec<PermissionScheme>, JiraError> {
        let s: PermissionSchemes = self
            .get_json("/rest/api/2/permissionscheme", &[("expand", SCHEME_EXPAND)])
            .await?;
        Ok(s.permission_schemes)
    }

    /// `GET /rest/api/2/permissionscheme/{id}?expand=…` (one, with grants).
    pub async fn permission_scheme(&self, id: &str) -> Result<PermissionScheme, JiraError> {
        let path = format!("/rest/api/2/permissionscheme/{}", seg(id));
        self.get_json(&path, &[("expand", SCHEME_EXPAND)]).await
    }

    /// `GET /rest/api/2/project/{key}/role`: role name → role URL.
    pub async fn project_roles(&self, key: &str) -> Result<BTreeMap<String, String>, JiraError> {
        let path = format!("/rest/api/2/project/{}/role", seg(key));
        self.get_json(&path, &[]).await
    }

    /// `GET /rest/api/2/project/{key}/role/{id}` with its actors.
    pub async fn project_role(&self, key: &str, role_id: &str) -> Result<ProjectRole, JiraError> {
        let path = format!("/rest/api/2/project/{}/role/{}", seg(key), seg(role_id));
        self.get_json(&path, &[]).await
    }

    /// `GET /rest/api/2/user?username=&expand=groups,applicationRoles` (`accountId=` on Cloud).
    pub async fn user(&self, username: &str) -> Result<User, JiraError> {
        let param = match self.flavor {
            Flavor::Server => "username",
            Flavor::Cloud => "accountId",
        };
        self.get_json(
            "/rest/api/2/user",
            &[(param, username), ("expand", "groups,applicationRoles")],
        )
        .await
    }

    fn signing(&self) -> Signing<'_> {
        Signing {
            auth: &self.auth,
            token: None,
            callback: None,
            verifier: None,
        }
    }

    /// POST a form without credentials and hand back the answer unclassified (the OAuth 2.0
    /// token endpoint answers its errors as RFC 6749 JSON, which its caller reads).
    pub(crate) async fn post_form_raw(
        &self,
        path: &str,
        form: Vec<(String, String)>,
    ) -> Result<Raw, JiraError> {
        let url = self.url_for(path, &[]);
        let signing = Signing {
            auth: &Auth::None,
            token: None,
            callback: None,
            verifier: None,
        };
        self.execute_attempts(Method::POST, url, Body::Form(form), signing, None)
            .await
            .map(|(raw, _)| raw)
    }

    /// Send one logical request and classify the answer. An OAuth 2.0 session supplies a fresh
    /// access token first, and after a 401 renews it once (shared with concurrent requests) and
    /// retries.
    async fn execute(
        &self,
        method: Method,
        url: Url,
        body: Body,
        signing: Signing<'_>,
    ) -> Result<Raw, JiraError> {
        let Auth::OAuth2(session) = signing.auth else {
            return self
                .execute_classified(method, url, body, signing, None)
                .await;
        };
        let token = session.bearer(self).await?;
        let first = self
            .execute_classified(
                method.clone(),
                url.clone(),
                body.clone(),
                signing,
                Some(&token),
            )
            .await;
        match first {
            // RFC 6750 §3.1: an expired or revoked token is a 401 `invalid_token`; any 401 is
            // worth one renewal (the exact challenge Jira sends is not documented).
            Err(e) if e.status == Some(401) => match session.after_401(self, &token).await? {
                Some(fresh) => {
                    self.execute_classified(method, url, body, signing, Some(&fresh))
                        .await
                }
                None => Err(e),
            },
            other => other,
        }
    }

    async fn execute_classified(
        &self,
        method: Method,
        url: Url,
        body: Body,
        signing: Signing<'_>,
        bearer: Option<&str>,
    ) -> Result<Raw, JiraError> {
        let (raw, ours) = self
            .execute_attempts(method, url, body, signing, bearer)
            .await?;
        response::classify(
            raw,
            signing.auth.kind(),
            ours,
            self.clock_skew_secs(),
            &self.base_url,
        )
    }

    /// Sign every attempt afresh, retry 429/503 within the policy, read the body under the cap.
    /// Returns the answer and, for OAuth 1.0a, our redacted base string.
    async fn execute_attempts(
        &self,
        method: Method,
        url: Url,
        body: Body,
        signing: Signing<'_>,
        bearer: Option<&str>,
    ) -> Result<(Raw, Option<String>), JiraError> {
        let policy = &self.shared.retry;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            // Paced before signing, so the OAuth timestamp is the time the request leaves.
            self.shared.pacer.acquire().await;
            // Signed here, per attempt: a fresh nonce and timestamp every time, and the URL
            // signed is exactly the URL sent.
            let oauth_value = match signing.auth {
                Auth::OAuth1(c) => {
                    Some(oauth_header_off_thread(&method, &url, &body, c, &signing).await?)
                }
                Auth::OAuth2(_) => bearer.map(|t| format!("Bearer {t}")),
                _ => None,
            };
            let req = self.build_request(&method, &url, &body, &signing, oauth_value.as_deref())?;
            self.shared.requests.fetch_add(1, Ordering::Relaxed);
            let resp = match self.shared.http.execute(req).await {
                Ok(r) => r,
                Err(e) => {
                    let mut err =
                        transport::classify(&e, method.as_str(), &url, self.shared.timeout);
                    if retry_transport(&method, &err) && attempt <= policy.max_retries {
                        // A restarting Jira or a proxy dropping a pooled connection: a GET
                        // changes nothing, so it is safe to try again within the same budget.
                        let d = backoff(policy, attempt);
                        tracing::debug!(method = %method, url = %url, attempt, ?d, code = ?super::diagnose::code_of(&err), "transport failure; retrying");
                        tokio::time::sleep(d).await;
                        continue;
                    }
                    if let ErrorKind::TlsUntrusted { issuer, .. } = &mut *err.kind {
                        *issuer = transport::probe_issuer(
                            &url,
                            self.shared.timeout,
                            self.shared.proxy.as_deref(),
                        )
                        .await;
                    }
                    return Err(err);
                }
            };
            self.observe(resp.headers());
            let status = resp.status().as_u16();
            self.shared
                .pacer
                .observe(status, resp.headers(), std::time::Instant::now());
            tracing::debug!(method = %method, url = %url, status, attempt, "jira response");
            if (status == 429 || status == 503) && attempt <= policy.max_retries {
                let retry_after = response::retry_after(resp.headers(), SystemTime::now());
                match retry_after {
                    // A server asking for longer than we may wait: fail now and say how long.
                    Some(d) if d > policy.max_delay => {}
                    Some(d) => {
                        tracing::debug!(status, attempt, ?d, "honouring Retry-After");
                        tokio::time::sleep(d).await;
                        continue;
                    }
                    None => {
                        let d = backoff(policy, attempt);
                        tracing::debug!(status, attempt, ?d, "backing off");
                        tokio::time::sleep(d).await;
                        continue;
                    }
                }
            }
            let raw = match response::read(
                resp,
                method.as_str(),
                &url,
                answer_cap(url.path(), self.shared.max_body_bytes),
                attempt,
                self.shared.timeout,
            )
            .await
            {
                Ok(raw) => raw,
                // The connection died mid-body (server restart, proxy reset): same as above.
                Err(err) if retry_transport(&method, &err) && attempt <= policy.max_retries => {
                    let d = backoff(policy, attempt);
                    tracing::debug!(method = %method, url = %url, attempt, ?d, "body cut off; retrying");
                    tokio::time::sleep(d).await;
                    continue;
                }
                Err(err) => return Err(err),
            };
            // Our side of a signature_invalid comparison: rebuilt from the header actually sent.
            let oauth1 = matches!(signing.auth, Auth::OAuth1(_));
            let ours = oauth_value.as_deref().filter(|_| oauth1).map(|h| {
                let mut params: Vec<(String, String)> = oauth::parse_auth_header_params(h)
                    .into_iter()
                    .filter(|(k, _)| k != "oauth_signature" && k != "realm")
                    .collect();
                if let Body::Form(f) = &body {
                    params.extend(f.iter().cloned());
                }
                oauth::redact_base_string(&oauth::signature_base_string(
                    method.as_str(),
                    &url,
                    &params,
                ))
            });
            return Ok((raw, ours));
        }
    }

    fn build_request(
        &self,
        method: &Method,
        url: &Url,
        body: &Body,
        signing: &Signing<'_>,
        oauth_value: Option<&str>,
    ) -> Result<reqwest::Request, JiraError> {
        let mut rb = self
            .shared
            .http
            .request(method.clone(), url.clone())
            .timeout(self.shared.timeout)
            .header(ACCEPT, "application/json");
        match body {
            Body::None => {}
            Body::Json(b) => {
                rb = rb.header(CONTENT_TYPE, "application/json").body(b.clone());
            }
            Body::Form(f) => {
                let encoded = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(f.iter())
                    .finish();
                rb = rb
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(encoded);
            }
        }
        let value = match signing.auth {
            Auth::None => None,
            Auth::Basic { username, password } => Some(basic(username, password.expose_secret())),
            Auth::CloudToken { email, token } => Some(basic(email, token.expose_secret())),
            Auth::Pat { token } => Some(format!("Bearer {}", token.expose_secret())),
            // Signed by the caller (`oauth_header_off_thread`).
            Auth::OAuth1(_) => oauth_value.map(str::to_owned),
            // `Bearer <access token>`, renewed by the caller (`execute`).
            Auth::OAuth2(_) => oauth_value.map(str::to_owned),
        };
        if let Some(v) = value {
            let mut hv = HeaderValue::from_str(&v).map_err(|_| {
                JiraError::config(
                    "the credentials contain characters not allowed in an HTTP header",
                )
            })?;
            hv.set_sensitive(true);
            rb = rb.header(AUTHORIZATION, hv);
        }
        rb.build()
            .map_err(|e| JiraError::config(format!("cannot build the request: {e}")))
    }

    /// Record the headers every response may carry: rate limit budget and server clock.
    fn observe(&self, headers: &HeaderMap) {
        if let Some(v) = headers
            .get("x-ratelimit-remaining")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u32>().ok())
        {
            self.shared
                .rate_limit_remaining
                .store(i64::from(v), Ordering::Relaxed);
        }
        if let Some(server) = headers
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
        {
            let skew = match server.duration_since(SystemTime::now()) {
                Ok(ahead) => ahead.as_secs() as i64,
                Err(behind) => -(behind.duration().as_secs() as i64),
            };
            self.shared.clock_skew_secs.store(skew, Ordering::Relaxed);
        }
    }
}

/// Decodes `mypermissions`, building entries only for the `wanted` keys (all when empty).
///
/// Jira DC answers with every permission of the instance whatever `permissions=` asks (DC 10.3
/// contract: "Returns all permissions in the system"), ~70 entries and 13 KB per project. Building
/// owned entries for all of them was most of the allocations of a self-mode audit (perf: malloc and
/// free ~15 % of its CPU); the entries nobody asked for are now skipped by the parser instead.
struct WantedPermissions<'a>(&'a [String]);

impl<'de> serde::de::DeserializeSeed<'de> for WantedPermissions<'_> {
    type Value = Permissions;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Permissions, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for WantedPermissions<'_> {
    type Value = Permissions;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mypermissions object")
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Permissions, E> {
        // `null` (an empty body) decodes as no permissions, as `Permissions`' own impl would not;
        // an empty 2xx is then reported by the audit as "not reported by Jira".
        Ok(Permissions::default())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Permissions, A::Error> {
        let mut out = Permissions::default();
        while let Some(field) = map.next_key::<String>()? {
            if field == "permissions" {
                out.permissions = map.next_value_seed(WantedEntries(self.0))?;
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(out)
    }
}

/// The `permissions` object inside `mypermissions`: KEY → entry, wanted keys only.
struct WantedEntries<'a>(&'a [String]);

impl<'de> serde::de::DeserializeSeed<'de> for WantedEntries<'_> {
    type Value = BTreeMap<String, PermissionEntry>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for WantedEntries<'_> {
    type Value = BTreeMap<String, PermissionEntry>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of permission entries")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(key) = map.next_key_seed(WantedKey(self.0))? {
            match key {
                Some(key) => {
                    out.insert(key, map.next_value::<PermissionEntry>()?);
                }
                None => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

/// The OAuth 1.0a `Authorization` header for one attempt, signed on Tokio's blocking pool.
///
/// An RSA-2048 signature is ~1.5 ms of CPU with the `rsa` crate (BENCHMARKS.md, section 5),
/// ~40 times a whole `mypermissions` round trip. Signed inline, every request of an audit took
/// its turn on the one thread that drives it (the headless runtime is single-threaded, and even
/// a multi-threaded one polls `buffer_unordered` from one task); on the blocking pool the
/// requests in flight sign on every core.
async fn oauth_header_off_thread(
    method: &Method,
    url: &Url,
    body: &Body,
    consumer: &OAuth1Auth,
    signing: &Signing<'_>,
) -> Result<String, JiraError> {
    let form = match body {
        Body::Form(f) => f.clone(),
        _ => Vec::new(),
    };
    let method = method.as_str().to_owned();
    let url = url.clone();
    let consumer = consumer.clone();
    let token = signing.token.unwrap_or(consumer.token.as_ref()).cloned();
    let callback = signing.callback.map(str::to_owned);
    let verifier = signing.verifier.map(str::to_owned);
    let sign = move || {
        oauth::authorization_header(
            &method,
            &url,
            &form,
            &consumer,
            token.as_ref(),
            callback.as_deref(),
            verifier.as_deref(),
        )
    };
    match tokio::task::spawn_blocking(sign).await {
        Ok(header) => Ok(header),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        // Only a runtime shutting down cancels a blocking task.
        Err(_) => Err(JiraError::config("the OAuth signature was cancelled")),
    }
}

/// Decode a `mypermissions` answer keeping only the `wanted` entries (all when empty): the fast
/// path below when it applies, the serde seed otherwise. Public for the fuzzer.
pub fn decode_my_permissions(raw: &Raw, wanted: &[String]) -> Result<Permissions, JiraError> {
    match wanted_entries_fast(&raw.body, wanted) {
        Some(p) => Ok(p),
        None => response::decode_json_seed(raw, WantedPermissions(wanted)),
    }
}

/// The wanted `mypermissions` entries found by sonic-rs's SIMD skipping, or None to take the
/// serde path ([`WantedPermissions`]) that judges every other case (HTML, null, wrong shapes,
/// escaped keys, an absent entry).
///
/// DC answers ~70 entries (13.7 KB) whatever is asked and an audit reads two: skipping the rest
/// with serde_json was 43 % of a self-mode audit's instructions (callgrind, 2,000 projects),
/// sonic-rs's `get_many` does it ~3.5× faster (bench/NOTES.md). Only the entries it finds are
/// decoded, by serde_json as before. Lazy by design: bytes after the last wanted entry are not
/// read (hyper has already checked the HTTP framing, so a cut connection is still an error).
fn wanted_entries_fast(body: &[u8], wanted: &[String]) -> Option<Permissions> {
    let body = body.trim_ascii();
    if wanted.is_empty() || body.first() != Some(&b'{') {
        return None;
    }
    let mut tree = sonic_rs::PointerTree::new();
    for key in wanted {
        tree.add_path(["permissions", key.as_str()]);
    }
    let found = sonic_rs::get_many(body, &tree).ok()?;
    let mut out = Permissions::default();
    for (key, value) in wanted.iter().zip(found) {
        let entry: PermissionEntry = serde_json::from_str(value?.as_raw_str()).ok()?;
        out.permissions.insert(key.clone(), entry);
    }
    Some(out)
}

/// A permission key, owned only when it is wanted (compared in place otherwise).
struct WantedKey<'a>(&'a [String]);

impl<'de> serde::de::DeserializeSeed<'de> for WantedKey<'_> {
    type Value = Option<String>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> serde::de::Visitor<'de> for WantedKey<'_> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a permission key")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Option<String>, E> {
        let wanted = self.0.is_empty() || self.0.iter().any(|w| w == v);
        Ok(wanted.then(|| v.to_owned()))
    }
}

const SCHEME_EXPAND: &str = "permissions,user,group,projectRole";

/// Whether a transport failure of `method` is worth another attempt: only idempotent reads, and
/// only failures a restart or a dropped connection causes (not DNS, TLS or a timeout, which
/// would fail the same way again or already waited the whole timeout).
fn retry_transport(method: &Method, err: &JiraError) -> bool {
    (method == Method::GET || method == Method::HEAD)
        && matches!(
            *err.kind,
            ErrorKind::ConnectionRefused { .. } | ErrorKind::Transport { .. }
        )
}

/// `Basic base64(user:secret)`.
fn basic(user: &str, secret: &str) -> String {
    let raw = format!("{user}:{secret}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw.as_bytes())
    )
}

/// Percent-encode one path segment (a project key or id from user input).
pub(crate) fn seg(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And
/// Jitter"): a uniform delay in `[0, min(max, base · 2^(attempt-1))]`, never below 10 ms so a
/// server that keeps answering 503 is not hammered.
pub fn backoff(policy: &RetryPolicy, attempt: u32) -> Duration {
    let exp = policy
        .base_delay
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
    let cap = exp.min(policy.max_delay);
    let ms = cap.as_millis().max(10) as u64;
    Duration::from_millis(rand::thread_rng().gen_range(10..=ms.max(10)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 14 §3: each answer is capped by what it can be; only unpaged lists keep the big cap.
    #[test]
    fn answers_are_capped_by_what_they_can_be() {
        let list = 256 << 20;
        for p in [
            "/jira/rest/api/2/myself",
            "/rest/api/2/serverInfo",
            "/jira/rest/applinks/1.0/manifest",
            "/rest/api/2/user",
            "/jira/plugins/servlet/oauth/access-token",
            "/rest/api/2/project/ABC/permissionscheme",
        ] {
            assert_eq!(answer_cap(p, list), SMALL_ANSWER_CAP, "{p}");
        }
        for p in [
            "/rest/api/3/project/search",
            "/jira/rest/api/2/mypermissions",
            "/rest/api/2/permissions",
        ] {
            assert_eq!(answer_cap(p, list), PAGE_ANSWER_CAP, "{p}");
        }
        assert_eq!(answer_cap("/jira/rest/api/2/project", list), list);
        assert_eq!(answer_cap("/rest/api/2/permissionscheme", list), list);
        // A smaller configured cap always wins.
        assert_eq!(answer_cap("/rest/api/2/myself", 1000), 1000);
    }
    use serde::de::DeserializeSeed;

    fn decode(json: &str, wanted: &[&str]) -> Permissions {
        let wanted: Vec<String> = wanted.iter().map(|s| s.to_string()).collect();
        let mut de = serde_json::Deserializer::from_str(json);
        WantedPermissions(&wanted).deserialize(&mut de).unwrap()
    }

    const DC: &str = r#"{"permissions":{
        "BROWSE_PROJECTS":{"id":"10","key":"BROWSE_PROJECTS","name":"Browse Projects","type":"PROJECT","description":"d","havePermission":true},
        "BROWSE":{"id":"10","key":"BROWSE","name":"Browse Projects","type":"PROJECT","description":"d","havePermission":true,"deprecatedKey":true},
        "CREATE_ISSUES":{"id":"11","key":"CREATE_ISSUES","name":"Create Issues","type":"PROJECT","description":"d","havePermission":false},
        "ADMINISTER":{"id":"0","key":"ADMINISTER","name":"Jira Administrators","type":"GLOBAL","description":"d","havePermission":false,"extra":{"nested":[1,2]}}
    },"extra":1}"#;

    #[test]
    fn my_permissions_keeps_only_the_wanted_entries_whole() {
        let p = decode(DC, &["BROWSE_PROJECTS", "CREATE_ISSUES", "EDIT_ISSUES"]);
        assert_eq!(
            p.permissions.keys().collect::<Vec<_>>(),
            ["BROWSE_PROJECTS", "CREATE_ISSUES"]
        );
        assert_eq!(p.has("BROWSE_PROJECTS"), Some(true));
        assert_eq!(p.has("CREATE_ISSUES"), Some(false));
        assert_eq!(p.has("EDIT_ISSUES"), None);
        let e = &p.permissions["CREATE_ISSUES"];
        assert_eq!(e.name.as_deref(), Some("Create Issues"));
        assert_eq!(e.id.as_deref(), Some("11"));
    }

    #[test]
    fn my_permissions_with_nothing_wanted_is_the_whole_answer() {
        let lean = decode(DC, &[]);
        let full: Permissions = serde_json::from_str(DC).unwrap();
        assert_eq!(lean, full);
        assert_eq!(lean.without_deprecated().permissions.len(), 3);
    }

    #[test]
    fn the_fast_path_agrees_with_the_serde_path_or_steps_aside() {
        let cases: &[(&str, &[&str])] = &[
            (DC, &["BROWSE_PROJECTS", "CREATE_ISSUES"]),
            (DC, &["BROWSE_PROJECTS", "CREATE_ISSUES", "EDIT_ISSUES"]),
            (DC, &["ADMINISTER"]),
            (DC, &[]),
            (
                r#"{"permissions":{"BROWSE\u005fPROJECTS":{"havePermission":true}}}"#,
                &["BROWSE_PROJECTS"],
            ),
            (r#"{"permissions":[1]}"#, &["BROWSE_PROJECTS"]),
            (
                r#"{"permissions":{"BROWSE_PROJECTS":{"havePermission":"yes"}}}"#,
                &["BROWSE_PROJECTS"],
            ),
            ("null", &["BROWSE_PROJECTS"]),
            ("<html><title>Log in</title></html>", &["BROWSE_PROJECTS"]),
        ];
        let mut taken = 0;
        for (json, wanted) in cases {
            let owned: Vec<String> = wanted.iter().map(|s| s.to_string()).collect();
            let mut de = serde_json::Deserializer::from_str(json);
            let slow = WantedPermissions(&owned)
                .deserialize(&mut de)
                .and_then(|v| de.end().map(|()| v))
                .ok();
            if let Some(fast) = wanted_entries_fast(json.as_bytes(), &owned) {
                taken += 1;
                assert_eq!(Some(fast), slow, "{json} {wanted:?}");
            }
        }
        // The ordinary answers go the fast way; the odd ones are left to serde.
        assert_eq!(taken, 3);
        // Lazy by design: what follows the wanted entries is not read, so a body cut after them
        // (HTTP framing intact, which hyper checks) still gives the entries Jira did send.
        let cut = r#"{"permissions":{"BROWSE_PROJECTS":{"havePermission":true}}"#;
        let owned = vec!["BROWSE_PROJECTS".to_string()];
        let fast = wanted_entries_fast(cut.as_bytes(), &owned).unwrap();
        assert_eq!(fast.has("BROWSE_PROJECTS"), Some(true));
        // A wanted entry that is itself broken is never taken.
        let broken = r#"{"permissions":{"BROWSE_PROJECTS":{"havePermission":tru}}}"#;
        assert!(wanted_entries_fast(broken.as_bytes(), &owned).is_none());
    }

    #[test]
    fn my_permissions_compares_keys_after_unescaping_and_accepts_null() {
        let p = decode(
            r#"{"permissions":{"BROWSE\u005fPROJECTS":{"havePermission":true}}}"#,
            &["BROWSE_PROJECTS"],
        );
        assert_eq!(p.has("BROWSE_PROJECTS"), Some(true));
        assert_eq!(decode("null", &["BROWSE_PROJECTS"]), Permissions::default());
        let wanted = vec!["BROWSE_PROJECTS".to_string()];
        let mut de = serde_json::Deserializer::from_str(r#"{"permissions":[1]}"#);
        assert!(WantedPermissions(&wanted).deserialize(&mut de).is_err());
    }
}
