//! The simulator's OAuth 2.0 provider (Jira DC 8.22+ incoming "External application" links and
//! Jira 11 service accounts): clients, consent requests, authorization codes with PKCE, access
//! and refresh tokens, client credentials. Shares no code with the client's `jira::oauth2`.
//!
//! Sources (cited where each rule is applied below):
//! - "Jira OAuth 2.0 provider API" (confluence.atlassian.com/adminjiraserver101/
//!   jira-oauth-2-0-provider-api-1455427907.html): `/rest/oauth2/latest/authorize` and `…/token`,
//!   authorization code with and without PKCE, no implicit or password grant, HTTPS enforced.
//! - "OAuth 2.0 provider system properties" (Bitbucket's page of the shared provider): access
//!   tokens 3600 s, authorization codes 10 s by default and 600 s at most,
//!   `skip.base.url.https.requirement` / `skip.redirect.url.https.requirement`.
//! - "OAuth 2.0 scopes for incoming links": READ, WRITE, ADMIN, SYSTEM_ADMIN (10.3 adds READ_ALL).
//! - "How service accounts work in Data Center": client credentials, READ and WRITE only.
//! - RFC 6749 (error codes and bodies, §4.1.2, §5.1, §5.2, §6, §10.5), RFC 7636 (S256), RFC 6750
//!   (Bearer challenges), RFC 8252 §7.3 (loopback redirect URIs).

use base64::Engine as _;
use rand::Rng as _;
use serde_json::{json, Value};
use sha2::Digest as _;
use std::collections::HashMap;
use std::sync::Mutex;

/// First Jira version with the OAuth 2.0 provider ("Configure an incoming link": DC 8.22).
pub const SINCE: (u32, u32) = (8, 22);

/// Default access-token lifetime ("OAuth 2.0 provider system properties":
/// `atlassian.oauth2.provider.access.token.expiration.seconds`, default 3600).
pub const ACCESS_TTL: i64 = 3600;

/// Authorization-code lifetime. Jira's default is 10 s and its maximum 600 s
/// (`atlassian.oauth2.provider.max.client.delay.seconds`); the simulator runs with the maximum,
/// as an admin whose users paste codes by hand would configure it. Settable via the control API.
pub const CODE_TTL: i64 = 600;

/// Scopes an incoming link may ask for, weakest first ("OAuth 2.0 scopes for incoming links").
pub const SCOPES: [&str; 4] = ["READ", "WRITE", "ADMIN", "SYSTEM_ADMIN"];

/// The rank of a scope (READ_ALL, Jira 10.3+, reads like READ for what the simulator serves).
pub fn rank(scope: &str) -> Option<usize> {
    if scope == "READ_ALL" {
        return Some(0);
    }
    SCOPES.iter().position(|s| *s == scope)
}

/// The highest rank in a space-separated scope list.
pub fn highest(scopes: &str) -> Option<usize> {
    scopes.split_whitespace().filter_map(rank).max()
}

/// Whether a `major.minor…` version string is at least `(major, minor)`.
pub fn version_at_least(version: &str, want: (u32, u32)) -> bool {
    let mut it = version.split('.').map(|p| {
        p.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse::<u32>()
            .unwrap_or(0)
    });
    let have = (it.next().unwrap_or(0), it.next().unwrap_or(0));
    have >= want
}

/// What kind of client a client id belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientKind {
    /// An incoming link: authorization code (with or without PKCE).
    Link,
    /// A Jira 11 service account acting as this user: client credentials only.
    ServiceAccount { user: String },
}

/// A registered OAuth 2.0 client.
#[derive(Clone)]
pub struct Client {
    /// Client id.
    pub id: String,
    /// Client secret.
    pub secret: String,
    /// Name shown on the consent page.
    pub name: String,
    /// Registered redirect URLs (exact match, RFC 6749 §3.1.2.3).
    pub redirects: Vec<String>,
    /// Highest scope the link was created with.
    pub scope: String,
    /// Link or service account.
    pub kind: ClientKind,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// An authorize request waiting for the user's Allow or Deny.
#[derive(Debug, Clone)]
pub struct ConsentRequest {
    /// Client id.
    pub client_id: String,
    /// Redirect URI of the request.
    pub redirect_uri: String,
    /// Scopes asked for (space-separated).
    pub scope: String,
    /// `state`, echoed back unchanged (RFC 6749 §4.1.2).
    pub state: Option<String>,
    /// PKCE challenge and method.
    pub challenge: Option<(String, String)>,
}

#[derive(Debug, Clone)]
struct CodeGrant {
    client_id: String,
    redirect_uri: String,
    scope: String,
    user: String,
    challenge: Option<(String, String)>,
    issued: i64,
    used: bool,
    /// Tokens issued from this code, revoked if the code is replayed (RFC 6749 §4.1.2).
    family: u64,
}

#[derive(Debug, Clone)]
struct Token {
    client_id: String,
    user: String,
    scope: String,
    expires: i64,
    family: u64,
    redirect_uri: Option<String>,
}

/// What a token answer carries (RFC 6749 §5.1).
#[derive(Debug, Clone)]
pub struct Issued {
    /// The JSON body.
    pub body: Value,
}

/// An RFC 6749 §5.2 error: status, `error`, `error_description`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuth2Error {
    /// HTTP status (400, or 401 for `invalid_client`).
    pub status: u16,
    /// The `error` code.
    pub error: &'static str,
    /// The `error_description`.
    pub description: String,
}

impl OAuth2Error {
    fn new(status: u16, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: description.into(),
        }
    }

    /// The JSON body (RFC 6749 §5.2).
    pub fn body(&self) -> Value {
        json!({"error": self.error, "error_description": self.description})
    }
}

/// The result of looking up a Bearer token on a REST call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BearerCheck {
    /// A live token: the user it acts as and its scopes.
    Valid { user: String, scope: String },
    /// A token the provider issued that expired or was revoked (RFC 6750 `invalid_token`).
    Invalid(&'static str),
    /// Not an OAuth 2.0 token of this provider.
    Unknown,
}

#[derive(Debug, Default)]
struct Inner {
    clients: HashMap<String, Client>,
    consents: HashMap<String, ConsentRequest>,
    codes: HashMap<String, CodeGrant>,
    access: HashMap<String, Token>,
    refresh: HashMap<String, Token>,
    /// Access and refresh tokens that existed once, with why they stopped working.
    dead: HashMap<String, &'static str>,
    next_family: u64,
}

/// The provider. Interior mutability: requests share it through `Shared`.
#[derive(Debug)]
pub struct OAuth2Provider {
    inner: Mutex<Inner>,
    settings: Mutex<Settings>,
}

/// Live settings (control API).
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Access-token lifetime, seconds.
    pub access_ttl: i64,
    /// Authorization-code lifetime, seconds.
    pub code_ttl: i64,
    /// Enforce HTTPS for the base URL: the simulator serves plain http, so with this on the
    /// provider is disabled, as on a production Jira without
    /// `atlassian.oauth2.provider.skip.base.url.https.requirement`.
    pub enforce_https: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            access_ttl: ACCESS_TTL,
            code_ttl: CODE_TTL,
            enforce_https: false,
        }
    }
}

fn random(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::thread_rng().fill(b.as_mut_slice());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// `bytes` random bytes as lowercase hex.
pub fn hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::thread_rng().fill(b.as_mut_slice());
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Whether a redirect URI may be registered: HTTPS, or plain http only to a loopback host
/// (RFC 8252 §7.3; Jira itself needs `skip.redirect.url.https.requirement` for any http URL —
/// "OAuth 2.0 provider system properties" — which a dev instance such as this one sets for
/// loopback). Returns why not.
pub fn redirect_allowed(uri: &str) -> Result<(), String> {
    let u = url::Url::parse(uri).map_err(|e| format!("`{uri}` is not a URL ({e})"))?;
    if u.fragment().is_some() {
        // RFC 6749 §3.1.2: "The endpoint URI MUST NOT include a fragment component."
        return Err(format!("`{uri}` has a fragment"));
    }
    match u.scheme() {
        "https" => Ok(()),
        "http" => {
            let loopback = matches!(
                u.host_str(),
                Some("localhost" | "127.0.0.1" | "[::1]" | "::1")
            );
            if loopback {
                Ok(())
            } else {
                Err(format!(
                    "`{uri}` uses http: HTTPS is required for redirect URLs (only loopback addresses may use http)"
                ))
            }
        }
        s => Err(format!("`{uri}` has scheme {s}; use https")),
    }
}

/// `BASE64URL(SHA256(verifier))` (RFC 7636 §4.2), written here independently of the client.
pub fn s256(verifier: &str) -> String {
    let digest = sha2::Sha256::digest(verifier.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

impl Default for OAuth2Provider {
    fn default() -> Self {
        Self::new()
    }
}

impl OAuth2Provider {
    /// An empty provider with Jira's default lifetimes (codes: the 600 s maximum).
    pub fn new() -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            settings: Mutex::new(Settings::default()),
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Current settings.
    pub fn settings(&self) -> Settings {
        *self.settings.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Change settings.
    pub fn update_settings(&self, f: impl FnOnce(&mut Settings)) {
        f(&mut self.settings.lock().unwrap_or_else(|e| e.into_inner()));
    }

    /// Every registered client (incoming links and service accounts), by name then id: the
    /// order does not matter to Jira's UI, a stable one keeps answers reproducible.
    pub fn clients(&self) -> Vec<Client> {
        let mut all: Vec<Client> = self.inner().clients.values().cloned().collect();
        all.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        all
    }

    /// Register an incoming link (the UI's "Create link → External application → Incoming", or
    /// `POST /rest/oauth2/latest/client`). Err is why the redirect or scope is refused.
    pub fn create_client(
        &self,
        name: &str,
        redirects: &[String],
        scope: &str,
    ) -> Result<Client, String> {
        if name.trim().is_empty() {
            return Err("name is required".into());
        }
        if redirects.is_empty() {
            return Err("at least one redirect URL is required".into());
        }
        for r in redirects {
            redirect_allowed(r)?;
        }
        if rank(scope).is_none() {
            return Err(format!(
                "unknown scope `{scope}`; use one of READ, WRITE, ADMIN, SYSTEM_ADMIN"
            ));
        }
        let client = Client {
            // Jira's client ids and secrets are long random hex strings (32 and 64 characters
            // in "How to test the Jira Incoming Link OAuth 2.0 API"); the exact length does not
            // matter to any client.
            id: hex(16),
            secret: hex(32),
            name: name.to_owned(),
            redirects: redirects.to_vec(),
            scope: scope.to_owned(),
            kind: ClientKind::Link,
        };
        self.inner()
            .clients
            .insert(client.id.clone(), client.clone());
        Ok(client)
    }

    /// Register a service account's client credentials (Jira 11; READ or WRITE only, "How
    /// service accounts work in Data Center").
    pub fn create_service_account(&self, user: &str, scope: &str) -> Result<Client, String> {
        if !matches!(scope, "READ" | "WRITE") {
            return Err(format!(
                "service accounts support only the READ and WRITE scopes, not `{scope}`"
            ));
        }
        let client = Client {
            id: hex(16),
            secret: hex(32),
            name: user.to_owned(),
            redirects: Vec::new(),
            scope: scope.to_owned(),
            kind: ClientKind::ServiceAccount {
                user: user.to_owned(),
            },
        };
        self.inner()
            .clients
            .insert(client.id.clone(), client.clone());
        Ok(client)
    }

    /// A client by id.
    pub fn client(&self, id: &str) -> Option<Client> {
        self.inner().clients.get(id).cloned()
    }

    /// Start an authorization (`GET /rest/oauth2/latest/authorize`). Errors that must not
    /// redirect (unknown client, unregistered redirect URI, RFC 6749 §4.1.2.1) are `Err(Err(_))`;
    /// errors that go back to the redirect URI are `Err(Ok((uri, error, description, state)))`.
    #[allow(clippy::type_complexity)]
    pub fn authorize(
        &self,
        params: &[(String, String)],
    ) -> Result<String, Result<(String, &'static str, String, Option<String>), String>> {
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let client_id = get("client_id").unwrap_or_default();
        let Some(client) = self.client(&client_id) else {
            return Err(Err(format!("Unknown client_id `{client_id}`.")));
        };
        if client.kind != ClientKind::Link {
            return Err(Err(
                "This client is a service account; it uses client credentials, not the authorization code flow.".into(),
            ));
        }
        let redirect_uri = get("redirect_uri").unwrap_or_default();
        if !client.redirects.contains(&redirect_uri) {
            return Err(Err(format!(
                "The redirect_uri `{redirect_uri}` is not registered for this application."
            )));
        }
        let state = get("state");
        let back = |error: &'static str, d: &str| {
            Err(Ok((
                redirect_uri.clone(),
                error,
                d.to_owned(),
                state.clone(),
            )))
        };
        if get("response_type").as_deref() != Some("code") {
            return back(
                "unsupported_response_type",
                "Only response_type=code is supported.",
            );
        }
        let scope = get("scope").unwrap_or_else(|| client.scope.clone());
        if scope.split_whitespace().any(|s| rank(s).is_none()) {
            return back("invalid_scope", "Unknown scope.");
        }
        // A link never grants more than it was created with ("OAuth 2.0 scopes for incoming links").
        if highest(&scope) > rank(&client.scope) {
            return back(
                "invalid_scope",
                &format!("The application may ask for {} at most.", client.scope),
            );
        }
        let challenge = match (get("code_challenge"), get("code_challenge_method")) {
            (None, _) => None,
            (Some(c), m) => {
                let m = m.unwrap_or_else(|| "plain".into());
                if m != "S256" && m != "plain" {
                    return back(
                        "invalid_request",
                        "code_challenge_method must be S256 or plain.",
                    );
                }
                Some((c, m))
            }
        };
        let id = random(18);
        self.inner().consents.insert(
            id.clone(),
            ConsentRequest {
                client_id,
                redirect_uri,
                scope,
                state,
                challenge,
            },
        );
        Ok(id)
    }

    /// The consent request behind a consent page.
    pub fn consent(&self, id: &str) -> Option<ConsentRequest> {
        self.inner().consents.get(id).cloned()
    }

    /// The user pressed Allow or Deny. Returns the redirect target (with `code` or
    /// `error=access_denied`, and `state`), or why the consent request is unknown.
    pub fn decide(&self, id: &str, user: &str, allow: bool, now: i64) -> Result<String, String> {
        let mut inner = self.inner();
        let req = inner
            .consents
            .remove(id)
            .ok_or("This authorization request is unknown or was already answered.")?;
        let mut target = url::Url::parse(&req.redirect_uri).map_err(|e| e.to_string())?;
        {
            let mut q = target.query_pairs_mut();
            if allow {
                let code = random(24);
                inner.next_family += 1;
                let family = inner.next_family;
                inner.codes.insert(
                    code.clone(),
                    CodeGrant {
                        client_id: req.client_id.clone(),
                        redirect_uri: req.redirect_uri.clone(),
                        scope: req.scope.clone(),
                        user: user.to_owned(),
                        challenge: req.challenge.clone(),
                        issued: now,
                        used: false,
                        family,
                    },
                );
                q.append_pair("code", &code);
            } else {
                // RFC 6749 §4.1.2.1: the resource owner denied the request.
                q.append_pair("error", "access_denied");
                q.append_pair("error_description", "The user denied the request.");
            }
            if let Some(s) = &req.state {
                q.append_pair("state", s);
            }
        }
        Ok(target.to_string())
    }

    /// Authenticate the client of a token request (RFC 6749 §2.3.1: Basic or form fields).
    fn client_auth(
        &self,
        form: &[(String, String)],
        basic: Option<(String, String)>,
    ) -> Result<Client, OAuth2Error> {
        let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let (id, secret) = match basic {
            Some(b) => b,
            None => (
                get("client_id").unwrap_or_default(),
                get("client_secret").unwrap_or_default(),
            ),
        };
        let bad = || {
            OAuth2Error::new(
                401,
                "invalid_client",
                "Client authentication failed: unknown client_id or wrong client_secret.",
            )
        };
        let client = self.client(&id).ok_or_else(bad)?;
        if client.secret != secret {
            return Err(bad());
        }
        Ok(client)
    }

    /// `POST /rest/oauth2/latest/token`.
    pub fn token(
        &self,
        form: &[(String, String)],
        basic: Option<(String, String)>,
        now: i64,
    ) -> Result<Issued, OAuth2Error> {
        let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let grant = get("grant_type").unwrap_or_default();
        if !matches!(
            grant.as_str(),
            "authorization_code" | "refresh_token" | "client_credentials"
        ) {
            // No implicit or password grant ("Jira OAuth 2.0 provider API").
            return Err(OAuth2Error::new(
                400,
                "unsupported_grant_type",
                format!("Grant type `{grant}` is not supported."),
            ));
        }
        let client = self.client_auth(form, basic)?;
        match grant.as_str() {
            "authorization_code" => self.exchange_code(&client, form, now),
            "refresh_token" => self.refresh(&client, form, now),
            _ => self.client_credentials(&client, form, now),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn issue(
        &self,
        inner: &mut Inner,
        client: &Client,
        user: &str,
        scope: &str,
        family: u64,
        redirect_uri: Option<String>,
        with_refresh: bool,
        now: i64,
    ) -> Issued {
        let ttl = self.settings().access_ttl;
        let access = random(32);
        let tok = Token {
            client_id: client.id.clone(),
            user: user.to_owned(),
            scope: scope.to_owned(),
            expires: now + ttl,
            family,
            redirect_uri,
        };
        inner.access.insert(access.clone(), tok.clone());
        // RFC 6749 §5.1: access_token, token_type, expires_in, refresh_token, scope.
        let mut body = json!({
            "access_token": access,
            "token_type": "bearer",
            "expires_in": ttl,
            "scope": scope,
        });
        if with_refresh {
            let refresh = random(32);
            inner.refresh.insert(
                refresh.clone(),
                Token {
                    // Refresh tokens outlive access tokens; the simulator does not expire them.
                    expires: i64::MAX,
                    ..tok
                },
            );
            body["refresh_token"] = json!(refresh);
        }
        Issued { body }
    }

    fn exchange_code(
        &self,
        client: &Client,
        form: &[(String, String)],
        now: i64,
    ) -> Result<Issued, OAuth2Error> {
        let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let grant_err = |d: &str| OAuth2Error::new(400, "invalid_grant", d);
        let code = get("code").ok_or_else(|| {
            OAuth2Error::new(400, "invalid_request", "The code parameter is missing.")
        })?;
        let mut inner = self.inner();
        let Some(g) = inner.codes.get(&code).cloned() else {
            return Err(grant_err(
                "The authorization code is unknown or has expired.",
            ));
        };
        if g.used {
            // RFC 6749 §4.1.2: a code used twice is refused, and the tokens issued from it
            // SHOULD be revoked.
            let family = g.family;
            let dead: Vec<String> = inner
                .access
                .iter()
                .chain(inner.refresh.iter())
                .filter(|(_, t)| t.family == family)
                .map(|(k, _)| k.clone())
                .collect();
            for k in dead {
                inner.access.remove(&k);
                inner.refresh.remove(&k);
                inner
                    .dead
                    .insert(k, "revoked: its authorization code was used twice");
            }
            return Err(grant_err("The authorization code has already been used."));
        }
        if g.client_id != client.id {
            return Err(grant_err(
                "The authorization code was issued to another client.",
            ));
        }
        if now - g.issued > self.settings().code_ttl {
            inner.codes.remove(&code);
            return Err(grant_err("The authorization code has expired."));
        }
        // RFC 6749 §4.1.3: redirect_uri must be identical to the one of the authorize request.
        if get("redirect_uri").as_deref() != Some(g.redirect_uri.as_str()) {
            return Err(grant_err(
                "The redirect_uri does not match the one used in the authorization request.",
            ));
        }
        // RFC 7636 §4.6.
        if let Some((challenge, method)) = &g.challenge {
            let Some(verifier) = get("code_verifier") else {
                return Err(grant_err("The code_verifier is missing."));
            };
            let computed = if method == "S256" {
                s256(&verifier)
            } else {
                verifier.clone()
            };
            if &computed != challenge {
                return Err(grant_err(
                    "The code_verifier does not match the code_challenge (PKCE).",
                ));
            }
        }
        if let Some(c) = inner.codes.get_mut(&code) {
            c.used = true;
        }
        Ok(self.issue(
            &mut inner,
            client,
            &g.user,
            &g.scope,
            g.family,
            Some(g.redirect_uri.clone()),
            true,
            now,
        ))
    }

    fn refresh(
        &self,
        client: &Client,
        form: &[(String, String)],
        now: i64,
    ) -> Result<Issued, OAuth2Error> {
        let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let grant_err = |d: String| OAuth2Error::new(400, "invalid_grant", d);
        let token = get("refresh_token").ok_or_else(|| {
            OAuth2Error::new(
                400,
                "invalid_request",
                "The refresh_token parameter is missing.",
            )
        })?;
        let mut inner = self.inner();
        let Some(t) = inner.refresh.get(&token).cloned() else {
            let why = inner.dead.get(&token).copied().unwrap_or("unknown");
            return Err(grant_err(format!("The refresh token is invalid ({why}).")));
        };
        if t.client_id != client.id {
            return Err(grant_err(
                "The refresh token was issued to another client.".into(),
            ));
        }
        // Jira DC refuses a refresh without the redirect_uri (jira.js `refreshServerOAuth2Token`
        // sends it for that reason; reference/jira-answers.md).
        if get("redirect_uri") != t.redirect_uri {
            return Err(grant_err(
                "The redirect_uri is missing or does not match the authorization.".into(),
            ));
        }
        // Rotation: the used refresh token and its access tokens stop working.
        inner.refresh.remove(&token);
        inner
            .dead
            .insert(token, "rotated: a newer refresh token replaced it");
        let family = t.family;
        let old_access: Vec<String> = inner
            .access
            .iter()
            .filter(|(_, a)| a.family == family)
            .map(|(k, _)| k.clone())
            .collect();
        for k in old_access {
            inner.access.remove(&k);
            inner.dead.insert(k, "replaced by a refreshed token");
        }
        let scope = t.scope.clone();
        let user = t.user.clone();
        Ok(self.issue(
            &mut inner,
            client,
            &user,
            &scope,
            family,
            t.redirect_uri.clone(),
            true,
            now,
        ))
    }

    fn client_credentials(
        &self,
        client: &Client,
        form: &[(String, String)],
        now: i64,
    ) -> Result<Issued, OAuth2Error> {
        let ClientKind::ServiceAccount { user } = &client.kind else {
            return Err(OAuth2Error::new(
                400,
                "unauthorized_client",
                "This client may not use the client_credentials grant.",
            ));
        };
        let scope = match form.iter().find(|(n, _)| n == "scope") {
            Some((_, s)) if !s.trim().is_empty() => s.clone(),
            _ => client.scope.clone(),
        };
        let ok = scope
            .split_whitespace()
            .all(|s| matches!(s, "READ" | "WRITE"))
            && highest(&scope) <= rank(&client.scope);
        if !ok {
            return Err(OAuth2Error::new(
                400,
                "invalid_scope",
                format!(
                    "Service accounts support READ and WRITE only; this one may ask for {} at most.",
                    client.scope
                ),
            ));
        }
        let mut inner = self.inner();
        inner.next_family += 1;
        let family = inner.next_family;
        // RFC 6749 §4.4.3: a refresh token SHOULD NOT be included.
        Ok(self.issue(&mut inner, client, user, &scope, family, None, false, now))
    }

    /// Look up a Bearer token on a REST call.
    pub fn check_bearer(&self, token: &str, now: i64) -> BearerCheck {
        let inner = self.inner();
        match inner.access.get(token) {
            Some(t) if t.expires > now => BearerCheck::Valid {
                user: t.user.clone(),
                scope: t.scope.clone(),
            },
            Some(_) => BearerCheck::Invalid("The access token expired"),
            None => match inner.dead.get(token) {
                Some(_) => BearerCheck::Invalid("The access token was revoked"),
                None => BearerCheck::Unknown,
            },
        }
    }

    /// Expire every live access token now (control API), so the next call needs a refresh.
    pub fn expire_access_tokens(&self, now: i64) -> usize {
        let mut inner = self.inner();
        let mut n = 0;
        for t in inner.access.values_mut() {
            if t.expires > now {
                t.expires = now;
                n += 1;
            }
        }
        n
    }

    /// Revoke every refresh token of a client (an admin deleting the authorization).
    pub fn revoke_refresh_tokens(&self) -> usize {
        let mut inner = self.inner();
        let keys: Vec<String> = inner.refresh.keys().cloned().collect();
        for k in &keys {
            inner.refresh.remove(k);
            inner.dead.insert(k.clone(), "revoked by an administrator");
        }
        keys.len()
    }

    /// How many live refresh tokens exist (tests).
    pub fn refresh_token_count(&self) -> usize {
        self.inner().refresh.len()
    }

    /// Approve a consent request without a browser (tests): the code, as a redirect would carry it.
    pub fn approve_for_test(&self, id: &str, user: &str, now: i64) -> Result<String, String> {
        self.decide(id, user, true, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc7636_appendix_b() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn versions_compare() {
        assert!(version_at_least("8.22.0", SINCE));
        assert!(version_at_least("9.12.3", SINCE));
        assert!(version_at_least("11", (11, 0)));
        assert!(!version_at_least("8.21.1", SINCE));
        assert!(!version_at_least("7.13", SINCE));
    }

    #[test]
    fn redirects_need_https_except_loopback() {
        assert!(redirect_allowed("https://app.example.com/cb").is_ok());
        assert!(redirect_allowed("http://127.0.0.1:8765/cb").is_ok());
        assert!(redirect_allowed("http://localhost/cb").is_ok());
        assert!(redirect_allowed("http://app.example.com/cb").is_err());
        assert!(redirect_allowed("https://app.example.com/cb#x").is_err());
    }

    fn flow(p: &OAuth2Provider, verifier: &str) -> (Client, String) {
        let c = p
            .create_client("app", &["https://app.invalid/cb".into()], "WRITE")
            .unwrap();
        let params: Vec<(String, String)> = [
            ("client_id", c.id.as_str()),
            ("redirect_uri", "https://app.invalid/cb"),
            ("response_type", "code"),
            ("scope", "READ"),
            ("state", "st"),
            ("code_challenge", &s256(verifier)),
            ("code_challenge_method", "S256"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let id = p.authorize(&params).unwrap();
        let target = p.decide(&id, "alice", true, 1000).unwrap();
        let u = url::Url::parse(&target).unwrap();
        let code = u
            .query_pairs()
            .find(|(k, _)| k == "code")
            .unwrap()
            .1
            .to_string();
        assert!(target.contains("state=st"));
        (c, code)
    }

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn code_is_single_use_and_pkce_checked() {
        let p = OAuth2Provider::new();
        let (c, code) = flow(&p, "verifier-verifier-verifier-verifier-verifier");
        let base = |v: &str| {
            form(&[
                ("grant_type", "authorization_code"),
                ("client_id", &c.id),
                ("client_secret", &c.secret),
                ("code", &code),
                ("redirect_uri", "https://app.invalid/cb"),
                ("code_verifier", v),
            ])
        };
        let e = p.token(&base("wrong"), None, 1001).unwrap_err();
        assert_eq!(e.error, "invalid_grant");
        assert!(e.description.contains("PKCE"));
        let ok = p
            .token(
                &base("verifier-verifier-verifier-verifier-verifier"),
                None,
                1001,
            )
            .unwrap();
        let access = ok.body["access_token"].as_str().unwrap().to_string();
        assert!(matches!(
            p.check_bearer(&access, 1002),
            BearerCheck::Valid { .. }
        ));
        let again = p
            .token(
                &base("verifier-verifier-verifier-verifier-verifier"),
                None,
                1002,
            )
            .unwrap_err();
        assert!(again.description.contains("already been used"));
        // The replay revoked what the code produced.
        assert!(matches!(
            p.check_bearer(&access, 1003),
            BearerCheck::Invalid(_)
        ));
    }

    #[test]
    fn refresh_rotates_and_needs_redirect_uri() {
        let p = OAuth2Provider::new();
        let (c, code) = flow(&p, "v-v-v-v-v-v-v-v-v-v-v-v-v-v-v-v-v-v-v-v-v-v");
        let t = p
            .token(
                &form(&[
                    ("grant_type", "authorization_code"),
                    ("client_id", &c.id),
                    ("client_secret", &c.secret),
                    ("code", &code),
                    ("redirect_uri", "https://app.invalid/cb"),
                    (
                        "code_verifier",
                        "v-v-v-v-v-v-v-v-v-v-v-v-v-v-v-v-v-v-v-v-v-v",
                    ),
                ]),
                None,
                1001,
            )
            .unwrap();
        let r1 = t.body["refresh_token"].as_str().unwrap().to_string();
        let no_redirect = form(&[
            ("grant_type", "refresh_token"),
            ("client_id", &c.id),
            ("client_secret", &c.secret),
            ("refresh_token", &r1),
        ]);
        assert_eq!(
            p.token(&no_redirect, None, 1002).unwrap_err().error,
            "invalid_grant"
        );
        let mut with = no_redirect.clone();
        with.push(("redirect_uri".into(), "https://app.invalid/cb".into()));
        let t2 = p.token(&with, None, 1002).unwrap();
        assert_ne!(t2.body["refresh_token"], t.body["refresh_token"]);
        let e = p.token(&with, None, 1003).unwrap_err();
        assert!(e.description.contains("rotated"), "{e:?}");
    }

    #[test]
    fn wrong_secret_is_invalid_client_401() {
        let p = OAuth2Provider::new();
        let (c, code) = flow(&p, "x");
        let e = p
            .token(
                &form(&[
                    ("grant_type", "authorization_code"),
                    ("client_id", &c.id),
                    ("client_secret", "nope"),
                    ("code", &code),
                ]),
                None,
                1001,
            )
            .unwrap_err();
        assert_eq!((e.status, e.error), (401, "invalid_client"));
    }

    #[test]
    fn service_accounts_get_read_or_write_without_refresh() {
        let p = OAuth2Provider::new();
        assert!(p.create_service_account("svc", "ADMIN").is_err());
        let c = p.create_service_account("svc", "READ").unwrap();
        let cred = |scope: &str| {
            form(&[
                ("grant_type", "client_credentials"),
                ("client_id", &c.id),
                ("client_secret", &c.secret),
                ("scope", scope),
            ])
        };
        assert_eq!(
            p.token(&cred("WRITE"), None, 1).unwrap_err().error,
            "invalid_scope"
        );
        let t = p.token(&cred("READ"), None, 1).unwrap();
        assert!(t.body.get("refresh_token").is_none());
        assert_eq!(t.body["scope"], "READ");
    }
}
