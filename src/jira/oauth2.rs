//! OAuth 2.0 against Jira Data Center's provider (DC 8.22+): authorization code with PKCE (S256)
//! and a checked `state`, the token exchange, refresh (before expiry, or after a 401 Bearer
//! `invalid_token`) with the rotated refresh token saved before it is used, one refresh shared by
//! concurrent requests, client credentials for Jira 11 service accounts, and the diagnoses of the
//! provider's RFC 6749 errors.
//!
//! Sources: "Jira OAuth 2.0 provider API" (`/rest/oauth2/latest/authorize` and `…/token`, PKCE,
//! HTTPS enforced), "OAuth 2.0 scopes for incoming links", "How service accounts work in Data
//! Center", RFC 6749, RFC 7636, RFC 6750, RFC 8252 §7.3; a refresh repeats `redirect_uri` (jira.js
//! `refreshServerOAuth2Token`; reference/jira-answers.md).

use super::diagnose::{Code, Diagnosis};
use super::error::{ErrorKind, JiraError};
use super::JiraClient;
use base64::Engine as _;
use rand::Rng as _;
use secrecy::{ExposeSecret, SecretString};
use sha2::Digest as _;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use time::OffsetDateTime;

/// The provider's authorize endpoint, relative to the base URL.
pub const AUTHORIZE_PATH: &str = "/rest/oauth2/latest/authorize";
/// The provider's token endpoint, relative to the base URL.
pub const TOKEN_PATH: &str = "/rest/oauth2/latest/token";
/// The client-creation endpoint (documented for the provider Bitbucket DC shares).
pub const CLIENT_PATH: &str = "/rest/oauth2/latest/client";
/// The redirect URL jiralink registers by default. Under the reserved `.invalid` domain (RFC
/// 2606) it never loads, so the code never leaves the browser: the user pastes the address bar.
pub const DEFAULT_REDIRECT_URI: &str = "https://jiralink.invalid/oauth2/callback";
/// Scopes Jira knows ("OAuth 2.0 scopes for incoming links"; READ_ALL since 10.3).
pub const KNOWN_SCOPES: [&str; 5] = ["READ", "WRITE", "ADMIN", "SYSTEM_ADMIN", "READ_ALL"];
/// Refresh this long before the recorded expiry, so a request never leaves with a dying token.
pub const REFRESH_MARGIN_SECS: i64 = 60;
/// First Jira version with the provider ("Configure an incoming link": Data Center 8.22).
pub const SINCE: (u32, u32) = (8, 22);

/// Split `"READ WRITE"` or `"READ,WRITE"` into scope names (upper-cased).
pub fn split_scopes(s: &str) -> Vec<String> {
    s.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_uppercase)
        .collect()
}

/// Known scopes only; service accounts hold READ and WRITE only ("How service accounts work in
/// Data Center").
pub fn validate_scopes(scopes: &[String], service_account: bool) -> Result<(), String> {
    for s in scopes {
        if !KNOWN_SCOPES.contains(&s.as_str()) {
            return Err(format!(
                "unknown scope `{s}`; use READ, WRITE, ADMIN, SYSTEM_ADMIN or READ_ALL"
            ));
        }
        if service_account && !matches!(s.as_str(), "READ" | "WRITE") {
            return Err(format!(
                "service accounts support only READ and WRITE, not `{s}`"
            ));
        }
    }
    Ok(())
}

/// A redirect URL Jira will accept: HTTPS (Jira enforces it in production, "Jira OAuth 2.0
/// provider API"), or http to a loopback address (RFC 8252 §7.3, for `--listen`); no fragment
/// (RFC 6749 §3.1.2).
pub fn check_redirect_uri(uri: &str) -> Result<(), String> {
    let u = url::Url::parse(uri).map_err(|e| format!("`{uri}` is not a URL ({e})"))?;
    if u.fragment().is_some() {
        return Err("a redirect URL must not have a #fragment (RFC 6749 §3.1.2)".into());
    }
    match u.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&u) => Ok(()),
        "http" => Err(format!(
            "`{uri}` uses http: Jira requires HTTPS redirect URLs in production; use https://, or http://localhost:PORT with --listen"
        )),
        s => Err(format!("`{uri}` has scheme {s}; use https")),
    }
}

fn is_loopback(u: &url::Url) -> bool {
    matches!(
        u.host(),
        Some(url::Host::Domain("localhost"))
            | Some(url::Host::Ipv4(std::net::Ipv4Addr::LOCALHOST))
            | Some(url::Host::Ipv6(std::net::Ipv6Addr::LOCALHOST))
    )
}

/// Whether `version` ("9.12.3") has the OAuth 2.0 provider (8.22+); `None` when unknown.
pub fn supported(version: Option<(u32, u32, u32)>) -> Option<bool> {
    version.map(|(a, b, _)| (a, b) >= SINCE)
}

/// The link kind the wizard offers first: OAuth 2.0 from Jira 9 ("Since Jira 9, Create link →
/// External application makes an OAuth 2.0 incoming link"), OAuth 1.0a before.
pub fn default_is_oauth2(version: Option<(u32, u32, u32)>) -> bool {
    version.is_some_and(|(a, _, _)| a >= 9)
}

fn random_urlsafe(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::thread_rng().fill(b.as_mut_slice());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// A PKCE pair (RFC 7636): a 43-character verifier from 32 random bytes (§4.1) and its S256
/// challenge (§4.2).
#[derive(Clone)]
pub struct Pkce {
    /// `code_verifier`, sent with the token request only.
    pub verifier: SecretString,
    /// `code_challenge` = BASE64URL(SHA256(verifier)), sent in the authorize URL.
    pub challenge: String,
}

impl fmt::Debug for Pkce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Pkce(verifier: [redacted], challenge: {})",
            self.challenge
        )
    }
}

impl Pkce {
    /// A fresh random pair.
    pub fn generate() -> Self {
        Self::from_verifier(random_urlsafe(32))
    }

    /// The pair for a known verifier (a saved pending authorization).
    pub fn from_verifier(verifier: String) -> Self {
        let challenge = challenge_s256(&verifier);
        Self {
            verifier: SecretString::from(verifier),
            challenge,
        }
    }
}

/// BASE64URL-ENCODE(SHA256(ASCII(verifier))) without padding (RFC 7636 §4.2).
pub fn challenge_s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()))
}

/// A random `state` (CSRF protection, RFC 6749 §10.12; the Jira docs recommend one per request).
pub fn new_state() -> String {
    random_urlsafe(16)
}

/// `{base}/rest/oauth2/latest/authorize?client_id=…&redirect_uri=…&response_type=code&scope=…&state=…&code_challenge=…&code_challenge_method=S256`.
pub fn authorize_url(
    base: &str,
    client_id: &str,
    redirect_uri: &str,
    scopes: &[String],
    state: &str,
    challenge: &str,
) -> String {
    let q = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", &scopes.join(" "))
        .append_pair("state", state)
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256")
        .finish();
    format!("{}{AUTHORIZE_PATH}?{q}", base.trim_end_matches('/'))
}

/// What the user pasted after approving: the address-bar URL or the bare code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pasted {
    /// A code, with the `state` when a URL was pasted.
    Code { code: String, state: Option<String> },
    /// The redirect carried an error (`access_denied` when the user pressed Deny).
    Error {
        error: String,
        description: Option<String>,
        state: Option<String>,
    },
    /// A URL without `code` or `error`.
    UrlWithoutCode,
    /// Nothing.
    Empty,
}

/// Read a pasted redirect URL (query `code`/`state`/`error`) or a bare code.
pub fn read_pasted(text: &str) -> Pasted {
    let t = text.trim();
    if t.is_empty() {
        return Pasted::Empty;
    }
    let query = if let Ok(u) = url::Url::parse(t) {
        u.query().map(str::to_owned)
    } else if let Some((_, q)) = t.split_once('?') {
        Some(q.to_owned())
    } else if t.contains("code=") || t.contains("error=") {
        Some(t.to_owned())
    } else {
        return Pasted::Code {
            code: t.to_owned(),
            state: None,
        };
    };
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    if let Some(error) = get("error") {
        return Pasted::Error {
            error,
            description: get("error_description"),
            state: get("state"),
        };
    }
    match get("code") {
        Some(code) if !code.is_empty() => Pasted::Code {
            code,
            state: get("state"),
        },
        _ => Pasted::UrlWithoutCode,
    }
}

/// The `state` came back different from the one sent: the URL belongs to another attempt (or
/// is forged). RFC 6749 §10.12.
pub fn state_mismatch() -> Diagnosis {
    Diagnosis::error(
        Code::Oauth2StateMismatch,
        "The pasted URL belongs to another authorization attempt",
        "Its `state` differs from the one jiralink sent with this authorize URL (RFC 6749 §10.12: a mismatched state is refused, it may be a forged redirect or an old browser tab).",
        "Open the authorize URL printed by this run, approve, and paste the URL your browser goes to then.",
    )
}

/// Compare the returned `state` with the one sent. A bare code (no state) is accepted: the user
/// copied only the code of the URL this run printed.
pub fn check_state(sent: &str, got: Option<&str>) -> Result<(), Diagnosis> {
    match got {
        Some(g) if g != sent => Err(state_mismatch()),
        _ => Ok(()),
    }
}

/// Tokens as the provider issued them. `Debug` never shows a token.
#[derive(Clone, Default)]
pub struct Tokens {
    /// The access token.
    pub access: Option<SecretString>,
    /// The refresh token (authorization code grant only).
    pub refresh: Option<SecretString>,
    /// When the access token expires (from `expires_in`).
    pub expires_at: Option<OffsetDateTime>,
    /// Granted scopes (`scope`), when Jira says.
    pub scope: Option<String>,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("access", &self.access.as_ref().map(|_| "[redacted]"))
            .field("refresh", &self.refresh.as_ref().map(|_| "[redacted]"))
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .finish()
    }
}

impl Tokens {
    /// `expires_at` as RFC 3339.
    pub fn expires_at_rfc3339(&self) -> Option<String> {
        self.expires_at.and_then(super::oauth_dance::rfc3339)
    }

    fn fresh(&self, now: OffsetDateTime) -> bool {
        self.access.is_some()
            && self
                .expires_at
                .is_none_or(|t| t - now > time::Duration::seconds(REFRESH_MARGIN_SECS))
    }
}

/// Which grant a session renews its access token with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// An incoming link: refresh tokens, repeating this redirect URI.
    AuthorizationCode { redirect_uri: String },
    /// A service account: ask again with the client credentials.
    ClientCredentials,
}

/// Where renewed tokens are saved before they are used (the core token store).
pub trait TokenSink: Send + Sync {
    /// Save atomically; an error means the tokens must not be used.
    fn save(&self, tokens: &Tokens) -> Result<(), String>;
}

/// A client's OAuth 2.0 credentials and current tokens, shared by every clone of the client.
pub struct OAuth2Session {
    /// `client_id`.
    pub client_id: String,
    client_secret: SecretString,
    /// How the access token is renewed.
    pub grant: Grant,
    /// Scopes asked for.
    pub scopes: Vec<String>,
    /// Current tokens. A tokio mutex held across the refresh: concurrent requests wait for the
    /// one refresh instead of each spending the (single-use, rotating) refresh token.
    tokens: tokio::sync::Mutex<Tokens>,
    sink: Option<Arc<dyn TokenSink>>,
    renewals: AtomicU64,
}

impl fmt::Debug for OAuth2Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "OAuth2Session(client_id: {}, secret: [redacted], grant: {:?}, scopes: {:?})",
            self.client_id, self.grant, self.scopes
        )
    }
}

impl OAuth2Session {
    /// A session with initial tokens and an optional sink for renewed ones.
    pub fn new(
        client_id: String,
        client_secret: SecretString,
        grant: Grant,
        scopes: Vec<String>,
        tokens: Tokens,
        sink: Option<Arc<dyn TokenSink>>,
    ) -> Self {
        Self {
            client_id,
            client_secret,
            grant,
            scopes,
            tokens: tokio::sync::Mutex::new(tokens),
            sink,
            renewals: AtomicU64::new(0),
        }
    }

    /// The auth kind as the config spells it.
    pub fn kind(&self) -> &'static str {
        match self.grant {
            Grant::AuthorizationCode { .. } => "oauth2",
            Grant::ClientCredentials => "oauth2-client-credentials",
        }
    }

    /// How many times the access token was renewed (tests, `check`).
    pub fn renewals(&self) -> u64 {
        self.renewals.load(Ordering::Relaxed)
    }

    /// The current tokens (a copy).
    pub async fn tokens(&self) -> Tokens {
        self.tokens.lock().await.clone()
    }

    /// The access token to send now, renewed first when it is missing or about to expire.
    pub async fn bearer(&self, client: &JiraClient) -> Result<String, JiraError> {
        let mut t = self.tokens.lock().await;
        if t.fresh(OffsetDateTime::now_utc()) {
            if let Some(a) = &t.access {
                return Ok(a.expose_secret().to_owned());
            }
        }
        self.renew_locked(&mut t, client).await
    }

    /// After a 401 for `used`: renew once (unless another request already did) and return the
    /// token to retry with; `None` when renewing cannot help (no refresh token).
    pub async fn after_401(
        &self,
        client: &JiraClient,
        used: &str,
    ) -> Result<Option<String>, JiraError> {
        let mut t = self.tokens.lock().await;
        if let Some(a) = &t.access {
            if a.expose_secret() != used {
                return Ok(Some(a.expose_secret().to_owned()));
            }
        }
        if matches!(self.grant, Grant::AuthorizationCode { .. }) && t.refresh.is_none() {
            return Ok(None);
        }
        self.renew_locked(&mut t, client).await.map(Some)
    }

    async fn renew_locked(&self, t: &mut Tokens, client: &JiraClient) -> Result<String, JiraError> {
        let anon = client.with_auth(super::Auth::None);
        let fresh = match &self.grant {
            Grant::ClientCredentials => {
                client_credentials(&anon, &self.client_id, &self.client_secret, &self.scopes)
                    .await?
            }
            Grant::AuthorizationCode { redirect_uri } => {
                let Some(refresh) = t.refresh.clone() else {
                    return Err(wrap(no_tokens()));
                };
                refresh_tokens(
                    &anon,
                    &self.client_id,
                    &self.client_secret,
                    &refresh,
                    redirect_uri,
                )
                .await?
            }
        };
        // Saved before use: with rotation the old refresh token is already dead, so a new one
        // that only lived in memory would be lost with this process.
        if let Some(sink) = &self.sink {
            sink.save(&fresh).map_err(|e| {
                wrap(Diagnosis::error(
                    Code::ConfigError,
                    "The renewed OAuth 2.0 tokens could not be saved",
                    format!("Jira issued new tokens, but writing them failed: {e}. They were not used."),
                    "Fix the config or data directory (permissions, disk space), then run `jiralink link authorize NAME` again: the previous refresh token was rotated away.",
                ))
            })?;
        }
        self.renewals.fetch_add(1, Ordering::Relaxed);
        tracing::info!(client_id = %self.client_id, "OAuth 2.0 access token renewed");
        let access = fresh
            .access
            .as_ref()
            .map(|a| a.expose_secret().to_owned())
            .unwrap_or_default();
        let keep_refresh = t.refresh.clone();
        *t = fresh;
        if t.refresh.is_none() && matches!(self.grant, Grant::AuthorizationCode { .. }) {
            // RFC 6749 §6: the server MAY keep the old refresh token.
            t.refresh = keep_refresh;
        }
        Ok(access)
    }
}

fn wrap(d: Diagnosis) -> JiraError {
    JiraError::new(
        ErrorKind::OAuth2 {
            diagnosis: Box::new(d),
        },
        "",
        "",
    )
}

fn no_tokens() -> Diagnosis {
    Diagnosis::error(
        Code::Oauth2InvalidGrant,
        "This OAuth 2.0 connection has no usable tokens",
        "The access token is missing or expired and there is no refresh token to renew it.",
        "Run `jiralink link authorize NAME` to authorize it.",
    )
}

/// What the token endpoint sends (RFC 6749 §5.1).
#[derive(serde::Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<i64>,
    #[serde(default)]
    scope: Option<String>,
}

/// An RFC 6749 §5.2 error body.
#[derive(serde::Deserialize)]
struct ErrorAnswer {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// Which token request failed, for the diagnosis of `invalid_grant`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum During {
    /// Exchanging the authorization code.
    Exchange,
    /// Refreshing.
    Refresh,
    /// Client credentials.
    ClientCredentials,
}

async fn token_request(
    anon: &JiraClient,
    form: Vec<(String, String)>,
    during: During,
) -> Result<Tokens, JiraError> {
    let raw = anon.post_form_raw(TOKEN_PATH, form).await?;
    let text = super::response::lossy(&raw.body).into_owned();
    if (200..300).contains(&raw.status) {
        let a: TokenAnswer = serde_json::from_str(&text).map_err(|e| {
            raw.error(ErrorKind::Decode {
                message: format!("expected the token endpoint's JSON answer: {e}"),
                snippet: super::response::snippet(&raw.body),
            })
        })?;
        return Ok(Tokens {
            access: Some(SecretString::from(a.access_token)),
            refresh: a.refresh_token.map(SecretString::from),
            expires_at: a
                .expires_in
                .map(|s| OffsetDateTime::now_utc() + time::Duration::seconds(s)),
            scope: a.scope,
        });
    }
    if let Ok(e) = serde_json::from_str::<ErrorAnswer>(&text) {
        let d = token_error(&e.error, e.error_description.as_deref(), during, &raw.url);
        let mut err = raw.error(ErrorKind::OAuth2 {
            diagnosis: Box::new(d),
        });
        err.body_summary = None;
        return Err(err);
    }
    if raw.status == 404 {
        return Err(raw.error(ErrorKind::OAuth2 {
            diagnosis: Box::new(provider_missing(&raw.url)),
        }));
    }
    // Anything else (HTML, a proxy page) goes through the ordinary classification.
    Err(
        super::response::classify(raw, "none", None, None, anon.base_url())
            .err()
            .unwrap_or_else(|| JiraError::config("the token endpoint answered unexpectedly")),
    )
}

/// The token endpoint or authorize endpoint answered 404: no provider (Jira < 8.22), or the
/// provider is off because Jira's base URL is plain http ("we also enforce HTTPS for the base
/// URL of production environments").
pub fn provider_missing(url: &url::Url) -> Diagnosis {
    if url.scheme() == "http" {
        Diagnosis::error(
            Code::Oauth2HttpsRequired,
            "Jira's OAuth 2.0 provider is not available over plain http",
            format!("{url} answered 404. Jira enforces HTTPS for its base URL in production and switches the OAuth 2.0 provider off otherwise (\"Jira OAuth 2.0 provider API\"; or this Jira is older than 8.22)."),
            "Serve Jira over HTTPS and set its Base URL to the https:// address (then use that URL here). For a test instance only, start Jira with -Datlassian.oauth2.provider.skip.base.url.https.requirement=true.",
        )
    } else {
        not_supported(None)
    }
}

/// Jira older than 8.22 has no OAuth 2.0 provider.
pub fn not_supported(version: Option<&str>) -> Diagnosis {
    Diagnosis::error(
        Code::Oauth2NotSupported,
        "This Jira has no OAuth 2.0 provider",
        match version {
            Some(v) => format!("Jira {v} predates Data Center 8.22, where incoming OAuth 2.0 links (\"External application\") arrived."),
            None => "The OAuth 2.0 endpoints (/rest/oauth2/latest/…) answered 404; they exist from Jira Data Center 8.22.".into(),
        },
        "Use an OAuth 1.0a link (`jiralink link new NAME --url URL`), or upgrade Jira to 8.22 or later.",
    )
}

/// Explain an RFC 6749 error from the token endpoint.
pub fn token_error(
    error: &str,
    description: Option<&str>,
    during: During,
    url: &url::Url,
) -> Diagnosis {
    let said = format!(
        "POST {url} answered error={error}{}",
        description.map(|d| format!(" ({d})")).unwrap_or_default()
    );
    let d = description.unwrap_or("").to_ascii_lowercase();
    match error {
        "invalid_client" => Diagnosis::error(
            Code::Oauth2InvalidClient,
            "Jira rejected the OAuth 2.0 client id or secret",
            format!("{said}. The client id is unknown to Jira, or the client secret is wrong (RFC 6749 §5.2)."),
            "Copy the client id and secret again from Jira (Administration > Applications > Application links > the incoming link > Credentials) and update the connection's client_id / client_secret.",
        ),
        "invalid_grant" => {
            let (cause, fix) = if d.contains("already been used") || d.contains("reused") || d.contains("used twice") {
                ("the authorization code was already used: each code works once (RFC 6749 §4.1.2), and a second use also revokes what the first produced", "Run `jiralink link authorize NAME` again and paste the new code once.")
            } else if d.contains("expired") && during == During::Exchange {
                ("the authorization code expired: Jira keeps codes 10 s by default, 600 s at most (atlassian.oauth2.provider.max.client.delay.seconds)", "Run `jiralink link authorize NAME` again and paste the redirect URL right after clicking Allow.")
            } else if d.contains("redirect") {
                ("the redirect_uri does not match the one of the authorization (Jira also refuses a refresh without it)", "Make the connection's redirect_uri exactly the Redirect URL registered in Jira's incoming link, then authorize again.")
            } else if d.contains("verifier") || d.contains("pkce") || d.contains("challenge") {
                ("the PKCE code_verifier does not match the code_challenge of the authorize URL: the code came from another attempt", "Run `jiralink link authorize NAME` again and paste the URL of that run.")
            } else if during == During::Refresh {
                ("the refresh token was revoked or rotated away (another copy of this connection refreshed first, or an admin revoked the authorization)", "Run `jiralink link authorize NAME` again; do not share one refresh token between copies of the config.")
            } else {
                ("the code or token is invalid, expired or was issued to another client", "Run `jiralink link authorize NAME` again.")
            };
            Diagnosis::error(
                Code::Oauth2InvalidGrant,
                format!("Jira refused the OAuth 2.0 grant: {}", cause.split(':').next().unwrap_or(cause)),
                format!("{said}: {cause}."),
                fix,
            )
        }
        "access_denied" => access_denied(description),
        "invalid_scope" => Diagnosis::error(
            Code::Oauth2InsufficientScope,
            "Jira refused the requested OAuth 2.0 scopes",
            format!("{said}. The link or service account was created with fewer permissions than asked for (service accounts: READ and WRITE only)."),
            "Ask for the scopes the incoming link allows (`scopes` in the connection), or raise the link's permission in Jira.",
        ),
        "unauthorized_client" => Diagnosis::error(
            Code::Oauth2InvalidClient,
            "This OAuth 2.0 client may not use this grant",
            format!("{said}. Incoming links use the authorization code; only service accounts use client credentials."),
            "Use auth = \"oauth2\" for an incoming link and auth = \"oauth2-client-credentials\" for a service account.",
        ),
        _ => Diagnosis::error(
            Code::Oauth2InvalidGrant,
            format!("Jira's OAuth 2.0 provider refused the request ({error})"),
            said,
            "Read Jira's description above; authorize again with `jiralink link authorize NAME`.",
        ),
    }
}

/// The user pressed Deny on Jira's consent page (RFC 6749 §4.1.2.1 `access_denied`).
pub fn access_denied(description: Option<&str>) -> Diagnosis {
    Diagnosis::error(
        Code::Oauth2AccessDenied,
        "Access was denied on Jira's consent page",
        format!(
            "The browser came back with error=access_denied{}: the user clicked Deny (or is not allowed to grant these scopes).",
            description.map(|d| format!(" ({d})")).unwrap_or_default()
        ),
        "Run `jiralink link authorize NAME` again, log in as the user jiralink should act as, and click Allow.",
    )
}

fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Exchange an authorization code (RFC 6749 §4.1.3 + RFC 7636 §4.5). Client authentication in
/// the form body (§2.3.1), as Atlassian's examples send it.
pub async fn exchange_code(
    client: &JiraClient,
    client_id: &str,
    client_secret: &SecretString,
    code: &str,
    redirect_uri: &str,
    verifier: &SecretString,
) -> Result<Tokens, JiraError> {
    let anon = client.with_auth(super::Auth::None);
    token_request(
        &anon,
        form(&[
            ("grant_type", "authorization_code"),
            ("client_id", client_id),
            ("client_secret", client_secret.expose_secret()),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier.expose_secret()),
        ]),
        During::Exchange,
    )
    .await
}

/// Refresh (RFC 6749 §6), repeating the redirect URI as Jira DC requires.
pub async fn refresh_tokens(
    client: &JiraClient,
    client_id: &str,
    client_secret: &SecretString,
    refresh: &SecretString,
    redirect_uri: &str,
) -> Result<Tokens, JiraError> {
    token_request(
        client,
        form(&[
            ("grant_type", "refresh_token"),
            ("client_id", client_id),
            ("client_secret", client_secret.expose_secret()),
            ("refresh_token", refresh.expose_secret()),
            ("redirect_uri", redirect_uri),
        ]),
        During::Refresh,
    )
    .await
}

/// Client credentials (RFC 6749 §4.4) for a service account ("Service accounts overview").
pub async fn client_credentials(
    client: &JiraClient,
    client_id: &str,
    client_secret: &SecretString,
    scopes: &[String],
) -> Result<Tokens, JiraError> {
    let scope = scopes.join(" ");
    let mut f = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_secret", client_secret.expose_secret()),
    ]);
    if !scope.is_empty() {
        f.push(("scope".into(), scope));
    }
    token_request(client, f, During::ClientCredentials).await
}

/// A client created through `POST /rest/oauth2/latest/client`.
#[derive(Clone)]
pub struct CreatedClient {
    /// `clientId`.
    pub client_id: String,
    /// `clientSecret`.
    pub client_secret: SecretString,
}

impl fmt::Debug for CreatedClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CreatedClient({}, secret: [redacted])", self.client_id)
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClientAnswer {
    client_id: String,
    client_secret: String,
}

/// Create an incoming link's OAuth 2.0 client with an admin connection: `{name, redirects,
/// scope}` → `{clientId, clientSecret}` (documented for the DC provider Bitbucket shares;
/// reference/jira-answers.md). `Ok(None)` when Jira answers 404: the endpoint is not there, so
/// the caller falls back to registering in Jira's UI.
pub async fn create_client(
    admin: &JiraClient,
    name: &str,
    redirect_uri: &str,
    scope: &str,
) -> Result<Option<CreatedClient>, JiraError> {
    let body = serde_json::json!({"name": name, "redirects": [redirect_uri], "scope": scope});
    match admin
        .send_json::<_, ClientAnswer>(reqwest::Method::POST, CLIENT_PATH, &body)
        .await
    {
        Ok(a) => Ok(Some(CreatedClient {
            client_id: a.client_id,
            client_secret: SecretString::from(a.client_secret),
        })),
        Err(e) if matches!(*e.kind, ErrorKind::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Explain a REST failure of an OAuth 2.0 connection from its `WWW-Authenticate: Bearer`
/// challenge (RFC 6750 §3.1), or `None` when there is none.
pub fn diagnose_bearer(e: &JiraError) -> Option<Diagnosis> {
    let challenge = e
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("www-authenticate"))
        .map(|(_, v)| v.as_str())?;
    if !challenge
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("bearer")
    {
        return None;
    }
    let param = |name: &str| {
        let i = challenge.find(&format!("{name}=\""))? + name.len() + 2;
        let rest = &challenge[i..];
        Some(rest[..rest.find('"')?].to_owned())
    };
    let call = format!("{} {}", e.method, e.url);
    match param("error").as_deref() {
        Some("insufficient_scope") => Some(Diagnosis::error(
            Code::Oauth2InsufficientScope,
            "The OAuth 2.0 token's scopes do not allow this call",
            format!(
                "{call} answered 403 with error=\"insufficient_scope\"{} (RFC 6750 §3.1): the link was authorized with too weak a scope (e.g. a write with READ).",
                param("scope").map(|s| format!(", needs scope {s}")).unwrap_or_default()
            ),
            "Add the needed scope to the connection's `scopes` (and to the incoming link in Jira if it caps it), then run `jiralink link authorize NAME` again.",
        )),
        Some("invalid_token") => Some(Diagnosis::error(
            Code::TokenRejected,
            "Jira rejected the OAuth 2.0 access token, and renewing it did not help",
            format!(
                "{call} answered 401 with error=\"invalid_token\"{} (RFC 6750 §3.1).",
                param("error_description").map(|s| format!(": {s}")).unwrap_or_default()
            ),
            "Run `jiralink link authorize NAME` again (service accounts: check the client secret).",
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_is_the_rfc7636_appendix_b_vector() {
        assert_eq!(
            challenge_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let p = Pkce::generate();
        assert_eq!(p.verifier.expose_secret().len(), 43);
        assert_ne!(Pkce::generate().challenge, p.challenge);
    }

    #[test]
    fn pasted_urls_and_codes() {
        assert_eq!(
            read_pasted("https://jiralink.invalid/oauth2/callback?code=abc&state=s1\n"),
            Pasted::Code {
                code: "abc".into(),
                state: Some("s1".into())
            }
        );
        assert_eq!(
            read_pasted("  abc123 "),
            Pasted::Code {
                code: "abc123".into(),
                state: None
            }
        );
        assert!(matches!(
            read_pasted("https://x.invalid/cb?error=access_denied&state=s"),
            Pasted::Error { error, .. } if error == "access_denied"
        ));
        assert_eq!(read_pasted("https://x.invalid/cb"), Pasted::UrlWithoutCode);
        assert_eq!(read_pasted(""), Pasted::Empty);
    }

    #[test]
    fn state_is_checked() {
        assert!(check_state("a", Some("a")).is_ok());
        assert!(check_state("a", None).is_ok());
        assert_eq!(
            check_state("a", Some("b")).unwrap_err().code,
            Code::Oauth2StateMismatch
        );
    }

    #[test]
    fn redirect_uris() {
        assert!(check_redirect_uri(DEFAULT_REDIRECT_URI).is_ok());
        assert!(check_redirect_uri("http://localhost:8765/cb").is_ok());
        assert!(check_redirect_uri("http://127.0.0.1:8765/cb").is_ok());
        assert!(check_redirect_uri("http://app.example.com/cb").is_err());
        assert!(check_redirect_uri("https://app.example.com/cb#f").is_err());
    }

    #[test]
    fn authorize_url_carries_pkce_and_state() {
        let u = authorize_url(
            "https://j.example/jira/",
            "cid",
            "https://x.invalid/cb",
            &["READ".into(), "WRITE".into()],
            "st",
            "ch",
        );
        assert!(u.starts_with("https://j.example/jira/rest/oauth2/latest/authorize?client_id=cid&"));
        assert!(u.contains("code_challenge=ch&code_challenge_method=S256"));
        assert!(u.contains("scope=READ+WRITE"));
        assert!(u.contains("state=st"));
    }

    #[test]
    fn invalid_grant_causes() {
        let u = url::Url::parse("https://j.example/rest/oauth2/latest/token").unwrap();
        let d = token_error(
            "invalid_grant",
            Some("The authorization code has already been used."),
            During::Exchange,
            &u,
        );
        assert_eq!(d.code, Code::Oauth2InvalidGrant);
        assert!(d.detail.contains("already used"), "{d}");
        let d = token_error(
            "invalid_grant",
            Some("The refresh token is invalid (rotated)."),
            During::Refresh,
            &u,
        );
        assert!(d.detail.contains("rotated away"), "{d}");
        let d = token_error(
            "invalid_grant",
            Some("The code_verifier does not match (PKCE)."),
            During::Exchange,
            &u,
        );
        assert!(d.detail.contains("PKCE"), "{d}");
        assert_eq!(
            token_error("invalid_client", None, During::Exchange, &u).code,
            Code::Oauth2InvalidClient
        );
    }

    #[test]
    fn scopes_validate() {
        assert_eq!(split_scopes("read, WRITE"), ["READ", "WRITE"]);
        assert!(validate_scopes(&["ADMIN".into()], false).is_ok());
        assert!(validate_scopes(&["ADMIN".into()], true).is_err());
        assert!(validate_scopes(&["EVERYTHING".into()], false).is_err());
    }
}
