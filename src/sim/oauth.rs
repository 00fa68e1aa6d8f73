//! The simulator's OAuth 1.0a provider: consumers, request/access tokens, RSA-SHA1 verification with
//! its own base-string code (shares nothing with the client), failures reported as Jira reports them.
//!
//! The flow and the checks follow Jira's OAuth service provider (atlassian-oauth on net.oauth); the
//! order of checks mirrors Atlassian's public port of it, jenkinsci/atlassian-bitbucket-server-
//! integration-plugin (`AccessTokenRestEndpoint.java`, `OAuth1aRequestFilter.java`), and net.oauth's
//! `SimpleOAuthValidator` (single parameters → version → timestamp and nonce → signature).

pub mod base_string;
mod pages;
pub mod problem;
mod verify;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Instant;

use rand::distributions::Alphanumeric;
use rand::Rng as _;
use rsa::RsaPublicKey;

use self::base_string::{form_encode, normalize_url};
use self::problem::Problem;
pub use self::verify::parse_public_key;
use self::verify::{collect_params, header_params, verify_message, Nonces, Params};

/// The message key Jira's "Incoming Authentication" form shows for an unusable public key.
pub const INVALID_PUBLIC_KEY: &str = "applinks.invalid.consumer.publickey";
/// How long a request token stays usable (Jira: 10 minutes).
pub const REQUEST_TOKEN_TTL_SECS: i64 = 10 * 60;
/// How long an access token lasts (Jira DC default: 5 years; the captured reply says
/// `oauth_expires_in=157680000`).
pub const ACCESS_TOKEN_TTL_SECS: i64 = 157_680_000;
/// How long the authorization (session) lasts: 5 years + 30 days (`oauth_authorization_expires_in=
/// 160272000` in the same captured reply).
pub const SESSION_TTL_SECS: i64 = 160_272_000;
/// Allowed clock difference (net.oauth `SimpleOAuthValidator.DEFAULT_MAX_TIMESTAMP_AGE`, 5 min).
pub const TIMESTAMP_WINDOW_SECS: i64 = 5 * 60;
/// The only signature method Jira accepts for application links.
pub const RSA_SHA1: &str = "RSA-SHA1";

/// Length of the verification code Jira shows for out-of-band consumers.
const VERIFIER_LEN: usize = 6;
/// Length of generated tokens, secrets and session handles (Jira's are 32 characters).
const TOKEN_LEN: usize = 32;
/// Expired request tokens are swept once this many have been issued since the last sweep.
const SWEEP_EVERY: usize = 256;

/// A reply the HTTP layer sends as-is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    /// HTTP status code.
    pub status: u16,
    /// The `Content-Type` header value.
    pub content_type: String,
    /// Further headers (`WWW-Authenticate`, `Location`).
    pub headers: Vec<(String, String)>,
    /// The response body.
    pub body: String,
}

impl HttpReply {
    /// The value of the first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A request as the provider needs to see it to verify a signature.
#[derive(Debug, Clone, Default)]
pub struct SignedRequest {
    /// Upper-case HTTP method.
    pub method: String,
    /// The URL as *Jira believes* it was requested: scheme://host[:port]/context/path, no query.
    /// (In the proxy-mismatch scenario this is the public base URL, not the one the client used.)
    pub url: String,
    /// Decoded query parameters.
    pub query: Vec<(String, String)>,
    /// Decoded `application/x-www-form-urlencoded` body parameters.
    pub form: Vec<(String, String)>,
    /// The raw `Authorization` header.
    pub authorization: Option<String>,
}

/// Who approved a request token (for the simulated "Allow").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    /// The 6-character verification code Jira shows.
    pub verifier: String,
}

/// The OAuth 1.0a service provider state. Thread-safe (interior mutability).
///
/// The lifetimes are plain fields so tests can shorten them before sharing the provider:
/// `let mut p = OAuthProvider::new(); p.access_token_ttl_secs = 5;`.
pub struct OAuthProvider {
    /// Request token lifetime in seconds (default [`REQUEST_TOKEN_TTL_SECS`]).
    pub request_token_ttl_secs: i64,
    /// Access token lifetime in seconds (default [`ACCESS_TOKEN_TTL_SECS`]).
    pub access_token_ttl_secs: i64,
    /// Authorization (session) lifetime in seconds (default [`SESSION_TTL_SECS`]).
    pub session_ttl_secs: i64,
    /// Accepted clock difference in seconds (default [`TIMESTAMP_WINDOW_SECS`]).
    pub timestamp_window_secs: i64,
    /// Jira's base URL, used as the realm of REST-call problems (falls back to the request origin).
    base_url: RwLock<Option<String>>,
    state: Mutex<State>,
}

impl Default for OAuthProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for OAuthProvider {
    /// Counts only: token secrets must never reach a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.lock();
        f.debug_struct("OAuthProvider")
            .field("consumers", &st.consumers.len())
            .field("tokens", &st.tokens.len())
            .field("nonces", &st.nonces.len())
            .field("nonce_timestamps", &st.nonces.timestamps())
            .field("request_token_ttl_secs", &self.request_token_ttl_secs)
            .field("access_token_ttl_secs", &self.access_token_ttl_secs)
            .finish()
    }
}

#[derive(Default)]
struct State {
    consumers: HashMap<String, Consumer>,
    tokens: HashMap<String, Token>,
    nonces: Nonces,
    issued_since_sweep: usize,
}

#[derive(Clone)]
struct Consumer {
    name: String,
    public_key: RsaPublicKey,
    callback: Option<String>,
}

struct Token {
    consumer_key: String,
    secret: String,
    kind: TokenKind,
}

enum TokenKind {
    Request {
        /// Server clock at issue.
        created: i64,
        /// Wall clock at issue, for the browser pages that get no server clock.
        born: Instant,
        /// `None` for `oob`.
        callback: Option<String>,
        authorization: Authorization,
    },
    Access {
        user: String,
        created: i64,
        session_handle: String,
        session_created: i64,
    },
}

enum Authorization {
    Pending,
    Approved { user: String, verifier: String },
    Denied,
}

fn random_string(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// `scheme://host[:port]` of a URL, the realm when no base URL was set.
fn origin(url: &str) -> String {
    match normalize_url(url) {
        Ok(n) => {
            let after_scheme = n.find("://").map_or(0, |i| i + 3);
            let end = n[after_scheme..]
                .find('/')
                .map_or(n.len(), |i| after_scheme + i);
            n[..end].to_string()
        }
        Err(_) => url.to_string(),
    }
}

impl OAuthProvider {
    /// An empty provider.
    pub fn new() -> Self {
        Self {
            request_token_ttl_secs: REQUEST_TOKEN_TTL_SECS,
            access_token_ttl_secs: ACCESS_TOKEN_TTL_SECS,
            session_ttl_secs: SESSION_TTL_SECS,
            timestamp_window_secs: TIMESTAMP_WINDOW_SECS,
            base_url: RwLock::new(None),
            state: Mutex::new(State::default()),
        }
    }

    /// A poisoned lock only means another request panicked; the maps are still consistent
    /// (every mutation is a single insert/remove), so keep serving.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets Jira's base URL (with context path); REST-call problems use it as `realm`, as Jira does.
    pub fn set_base_url(&self, base_url: &str) {
        let mut guard = self
            .base_url
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        *guard = Some(base_url.trim_end_matches('/').to_string());
    }

    fn rest_realm(&self, req: &SignedRequest) -> String {
        let guard = self.base_url.read().unwrap_or_else(PoisonError::into_inner);
        guard.clone().unwrap_or_else(|| origin(&req.url))
    }

    /// Register (or replace) an incoming-link consumer. Err(message key) for an invalid public key
    /// (`applinks.invalid.consumer.publickey`).
    pub fn register_consumer(
        &self,
        key: &str,
        name: &str,
        public_key_pem: &str,
        callback: Option<String>,
    ) -> Result<(), String> {
        let public_key = parse_public_key(public_key_pem)?;
        let callback = callback.filter(|c| !c.trim().is_empty());
        let mut st = self.lock();
        // Replacing the key invalidates everything issued under the old one, as re-creating the
        // incoming link in Jira does.
        st.tokens.retain(|_, t| t.consumer_key != key);
        st.consumers.insert(
            key.to_string(),
            Consumer {
                name: name.to_string(),
                public_key,
                callback,
            },
        );
        Ok(())
    }

    /// Removes a consumer and every token issued to it; false when it did not exist.
    pub fn remove_consumer(&self, key: &str) -> bool {
        let mut st = self.lock();
        st.tokens.retain(|_, t| t.consumer_key != key);
        st.consumers.remove(key).is_some()
    }

    /// Whether a consumer with this key exists.
    pub fn has_consumer(&self, key: &str) -> bool {
        self.lock().consumers.contains_key(key)
    }

    /// The message checks (net.oauth `SimpleOAuthValidator` order) with this provider's window.
    fn validate(
        &self,
        st: &mut State,
        p: &Params,
        req: &SignedRequest,
        consumer_key: &str,
        public_key: &RsaPublicKey,
        now: i64,
    ) -> Result<(), Problem> {
        let window = (
            now - self.timestamp_window_secs,
            now + self.timestamp_window_secs,
        );
        verify_message(p, req, consumer_key, public_key, window, &mut st.nonces)
    }

    /// Drops expired request tokens once in a while so abandoned dances cannot pile up.
    fn maybe_sweep(&self, st: &mut State, now: i64) {
        st.issued_since_sweep += 1;
        if st.issued_since_sweep < SWEEP_EVERY {
            return;
        }
        st.issued_since_sweep = 0;
        let ttl = self.request_token_ttl_secs;
        st.tokens.retain(|_, t| match &t.kind {
            TokenKind::Request { created, .. } => now - created <= ttl,
            TokenKind::Access { .. } => true,
        });
    }

    /// `POST /plugins/servlet/oauth/request-token`. `now` is the server clock (unix seconds).
    pub fn request_token(&self, req: &SignedRequest, now: i64) -> HttpReply {
        match self.request_token_inner(req, now) {
            Ok(body) => text_reply(body),
            Err(p) => refuse(p, &req.url),
        }
    }

    fn request_token_inner(&self, req: &SignedRequest, now: i64) -> Result<String, Problem> {
        let p = collect_params(header_params(req)?.unwrap_or_default(), req);
        let consumer_key = p.required("oauth_consumer_key")?.to_string();
        let mut st = self.lock();
        let consumer = st
            .consumers
            .get(&consumer_key)
            .cloned()
            .ok_or_else(|| Problem::new("consumer_key_unknown"))?;
        self.validate(&mut st, &p, req, &consumer_key, &consumer.public_key, now)?;
        // OAuth 1.0a (RFC 5849 §2.1): the callback is required; `oob` means no redirect.
        let callback = match p.required("oauth_callback")? {
            "oob" => None,
            url if normalize_url(url).is_ok() => Some(url.to_string()),
            _ => return Err(Problem::rejected("oauth_callback")),
        };
        self.maybe_sweep(&mut st, now);
        let token = random_string(TOKEN_LEN);
        let secret = random_string(TOKEN_LEN);
        let body = form_encode(&[
            ("oauth_token", token.as_str()),
            ("oauth_token_secret", secret.as_str()),
            ("oauth_callback_confirmed", "true"),
        ]);
        st.tokens.insert(
            token,
            Token {
                consumer_key,
                secret,
                kind: TokenKind::Request {
                    created: now,
                    born: Instant::now(),
                    callback,
                    authorization: Authorization::Pending,
                },
            },
        );
        Ok(body)
    }

    /// `GET /plugins/servlet/oauth/authorize?oauth_token=`: the Allow/Deny page for `username`
    /// (None → the page asks the user to log in first).
    pub fn authorize_page(&self, token: &str, username: Option<&str>, base_url: &str) -> HttpReply {
        self.authorize_page_inner(token, username, base_url, None)
    }

    /// [`Self::authorize_page`] with an explicit server clock.
    pub fn authorize_page_at(
        &self,
        token: &str,
        username: Option<&str>,
        base_url: &str,
        now: i64,
    ) -> HttpReply {
        self.authorize_page_inner(token, username, base_url, Some(now))
    }

    fn authorize_page_inner(
        &self,
        token: &str,
        username: Option<&str>,
        base_url: &str,
        now: Option<i64>,
    ) -> HttpReply {
        let st = self.lock();
        let Some(t) = st.tokens.get(token) else {
            return pages::token_error("token_rejected");
        };
        let TokenKind::Request {
            created,
            born,
            authorization,
            ..
        } = &t.kind
        else {
            return pages::token_error("token_rejected");
        };
        if self.request_expired(*created, *born, now) {
            return pages::token_error("token_expired");
        }
        if matches!(authorization, Authorization::Denied) {
            return pages::token_error("permission_denied");
        }
        let Some(user) = username else {
            return pages::login_required(base_url, token);
        };
        let consumer_name = st
            .consumers
            .get(&t.consumer_key)
            .map_or(t.consumer_key.as_str(), |c| c.name.as_str());
        pages::authorize(base_url, token, consumer_name, user)
    }

    /// Whether a request token is past its lifetime. Without a server clock (browser pages) the
    /// server clock is taken to have advanced as the wall clock did since the token was issued.
    fn request_expired(&self, created: i64, born: Instant, now: Option<i64>) -> bool {
        let now = now.unwrap_or_else(|| {
            created.saturating_add(i64::try_from(born.elapsed().as_secs()).unwrap_or(i64::MAX))
        });
        now - created > self.request_token_ttl_secs
    }

    /// The user clicked Allow: returns the "Access Approved" page (or a redirect when the consumer
    /// has a callback URL). `approve` is the same for tests/demo and returns the verifier.
    pub fn allow_page(&self, token: &str, username: &str) -> HttpReply {
        self.allow_page_inner(token, username, None)
    }

    /// [`Self::allow_page`] with an explicit server clock.
    pub fn allow_page_at(&self, token: &str, username: &str, now: i64) -> HttpReply {
        self.allow_page_inner(token, username, Some(now))
    }

    fn allow_page_inner(&self, token: &str, username: &str, now: Option<i64>) -> HttpReply {
        match self.approve_inner(token, username, now) {
            Ok(done) => match done.callback {
                Some(cb) => pages::redirect(&cb, token, &done.approval.verifier),
                None => pages::approved(&done.consumer_name, &done.approval.verifier),
            },
            Err(problem) => pages::token_error(problem),
        }
    }

    /// Simulated "Allow": approve `token` for `username`, returning the verifier.
    pub fn approve(&self, token: &str, username: &str, now: i64) -> Result<Approval, String> {
        self.approve_inner(token, username, Some(now))
            .map(|done| done.approval)
            .map_err(str::to_string)
    }

    fn approve_inner(
        &self,
        token: &str,
        username: &str,
        now: Option<i64>,
    ) -> Result<Approved, &'static str> {
        let mut st = self.lock();
        let State {
            tokens, consumers, ..
        } = &mut *st;
        let t = tokens.get_mut(token).ok_or("token_rejected")?;
        let consumer = consumers.get(&t.consumer_key);
        let TokenKind::Request {
            created,
            born,
            callback,
            authorization,
        } = &mut t.kind
        else {
            return Err("token_rejected");
        };
        if self.request_expired(*created, *born, now) {
            return Err("token_expired");
        }
        let verifier = match authorization {
            Authorization::Denied => return Err("permission_denied"),
            // Approving twice (a double click) shows the same code again.
            Authorization::Approved { verifier, .. } => verifier.clone(),
            Authorization::Pending => {
                let verifier = random_string(VERIFIER_LEN);
                *authorization = Authorization::Approved {
                    user: username.to_string(),
                    verifier: verifier.clone(),
                };
                verifier
            }
        };
        // The request's own callback wins; an `oob` request still goes to the consumer's
        // configured callback, which is exactly the misconfiguration jiralink warns about.
        let callback = callback
            .clone()
            .or_else(|| consumer.and_then(|c| c.callback.clone()));
        Ok(Approved {
            approval: Approval { verifier },
            consumer_name: consumer.map_or_else(|| t.consumer_key.clone(), |c| c.name.clone()),
            callback,
        })
    }

    /// The user clicked Deny.
    pub fn deny(&self, token: &str) -> Result<(), String> {
        let mut st = self.lock();
        let t = st
            .tokens
            .get_mut(token)
            .ok_or_else(|| "token_rejected".to_string())?;
        match &mut t.kind {
            TokenKind::Request { authorization, .. } => {
                *authorization = Authorization::Denied;
                Ok(())
            }
            TokenKind::Access { .. } => Err("token_rejected".to_string()),
        }
    }

    /// The user clicked Deny: marks the token denied and returns the "Access Denied" page.
    pub fn deny_page(&self, token: &str) -> HttpReply {
        let consumer_name = {
            let st = self.lock();
            st.tokens.get(token).map(|t| {
                st.consumers
                    .get(&t.consumer_key)
                    .map_or_else(|| t.consumer_key.clone(), |c| c.name.clone())
            })
        };
        match (self.deny(token), consumer_name) {
            (Ok(()), Some(name)) => pages::denied(&name),
            _ => pages::token_error("token_rejected"),
        }
    }

    /// `POST /plugins/servlet/oauth/access-token`.
    pub fn access_token(&self, req: &SignedRequest, now: i64) -> HttpReply {
        match self.access_token_inner(req, now) {
            Ok(body) => text_reply(body),
            // Jira's AccessTokenServlet reports with the request URL as realm.
            Err(p) => refuse(p, &req.url),
        }
    }

    fn access_token_inner(&self, req: &SignedRequest, now: i64) -> Result<String, Problem> {
        let p = collect_params(header_params(req)?.unwrap_or_default(), req);
        let token_str = p.required("oauth_token")?.to_string();
        let mut st = self.lock();
        let t = st
            .tokens
            .get(&token_str)
            .ok_or_else(|| Problem::new("token_rejected"))?;
        let consumer_key = t.consumer_key.clone();
        // What the new access token carries: (user, session handle, session start).
        let (user, session) = match &t.kind {
            TokenKind::Request {
                created,
                born,
                authorization,
                ..
            } => {
                if self.request_expired(*created, *born, Some(now)) {
                    return Err(Problem::new("token_expired"));
                }
                let (user, verifier) = match authorization {
                    Authorization::Pending => return Err(Problem::new("permission_unknown")),
                    Authorization::Denied => return Err(Problem::new("permission_denied")),
                    Authorization::Approved { user, verifier } => (user, verifier),
                };
                if p.get("oauth_consumer_key") != Some(consumer_key.as_str()) {
                    return Err(Problem::new("token_rejected"));
                }
                // Jira answers a wrong verifier with token_rejected (AccessTokenServlet), not
                // with a problem of its own.
                if p.required("oauth_verifier")? != verifier {
                    return Err(Problem::new("token_rejected"));
                }
                (user.clone(), None)
            }
            TokenKind::Access {
                user,
                session_handle,
                session_created,
                ..
            } => {
                // Renewal: the session handle proves this is the session's own consumer.
                if p.required("oauth_session_handle")? != session_handle {
                    return Err(Problem::new("token_rejected"));
                }
                if now - session_created > self.session_ttl_secs {
                    return Err(Problem::new("permission_denied"));
                }
                (
                    user.clone(),
                    Some((session_handle.clone(), *session_created)),
                )
            }
        };
        let public_key = st
            .consumers
            .get(&consumer_key)
            .map(|c| c.public_key.clone())
            .ok_or_else(|| Problem::new("consumer_key_unknown"))?;
        self.validate(&mut st, &p, req, &consumer_key, &public_key, now)?;
        // A request token is good for one exchange (later attempts get token_rejected).
        st.tokens.remove(&token_str);
        let (session_handle, session_created) =
            session.unwrap_or_else(|| (random_string(TOKEN_LEN), now));
        let token = random_string(TOKEN_LEN);
        let secret = random_string(TOKEN_LEN);
        let authorization_expires_in = (session_created + self.session_ttl_secs - now).max(0);
        let body = form_encode(&[
            ("oauth_token", token.clone()),
            ("oauth_token_secret", secret.clone()),
            ("oauth_expires_in", self.access_token_ttl_secs.to_string()),
            ("oauth_session_handle", session_handle.clone()),
            (
                "oauth_authorization_expires_in",
                authorization_expires_in.to_string(),
            ),
        ]);
        st.tokens.insert(
            token,
            Token {
                consumer_key,
                secret,
                kind: TokenKind::Access {
                    user,
                    created: now,
                    session_handle,
                    session_created,
                },
            },
        );
        Ok(body)
    }

    /// Verify a signed REST call. Ok(username the access token acts as), Err(the 401 to send),
    /// Ok(None) when the request carries no OAuth Authorization header.
    pub fn authenticate(&self, req: &SignedRequest, now: i64) -> Result<Option<String>, HttpReply> {
        let realm = self.rest_realm(req);
        let header = match header_params(req) {
            Ok(Some(h)) => h,
            Ok(None) => return Ok(None),
            Err(p) => return Err(refuse(p, &realm)),
        };
        let p = collect_params(header, req);
        self.authenticate_inner(&p, req, now)
            .map(Some)
            .map_err(|problem| refuse(problem, &realm))
    }

    fn authenticate_inner(
        &self,
        p: &Params,
        req: &SignedRequest,
        now: i64,
    ) -> Result<String, Problem> {
        let mut st = self.lock();
        let Some(token_str) = p.get("oauth_token") else {
            // Two-legged OAuth (no token) is not enabled on simulated links: after the consumer
            // check the token is simply missing.
            let key = p.required("oauth_consumer_key")?;
            if !st.consumers.contains_key(key) {
                return Err(Problem::new("consumer_key_unknown"));
            }
            return Err(Problem::absent(&["oauth_token"]));
        };
        // Order of Atlassian's REST authenticator: token known → is an access token → belongs
        // to this consumer → not expired → then the message checks.
        let t = st
            .tokens
            .get(token_str)
            .ok_or_else(|| Problem::new("token_rejected"))?;
        let TokenKind::Access { user, created, .. } = &t.kind else {
            return Err(Problem::new("token_rejected"));
        };
        if p.get("oauth_consumer_key") != Some(t.consumer_key.as_str()) {
            return Err(Problem::new("token_rejected"));
        }
        if now - created > self.access_token_ttl_secs {
            return Err(Problem::new("token_expired"));
        }
        let user = user.clone();
        let consumer_key = t.consumer_key.clone();
        let public_key = st
            .consumers
            .get(&consumer_key)
            .map(|c| c.public_key.clone())
            .ok_or_else(|| Problem::new("consumer_key_unknown"))?;
        self.validate(&mut st, p, req, &consumer_key, &public_key, now)?;
        Ok(user)
    }

    /// The token secret issued with `token` (tests and the demo inspect it; RSA-SHA1 never uses
    /// it for signing, but Jira issues one and the client must store it).
    pub fn token_secret(&self, token: &str) -> Option<String> {
        self.lock().tokens.get(token).map(|t| t.secret.clone())
    }
}

/// What an approval yields for the pages.
struct Approved {
    approval: Approval,
    consumer_name: String,
    callback: Option<String>,
}

/// A successful token-endpoint reply: `oauth_token=…&oauth_token_secret=…` form-encoded (RFC 5849
/// §2.1/§2.3; the body fields of the captured reply quoted at `ACCESS_TOKEN_TTL_SECS`). Jira's
/// token servlets write it as `text/plain` (net.oauth `OAuthServlet`-style; the content type is
/// *unconfirmed*, clients parse the body whatever it says).
fn text_reply(body: String) -> HttpReply {
    HttpReply {
        status: 200,
        content_type: "text/plain;charset=UTF-8".to_string(),
        headers: Vec::new(),
        body,
    }
}

fn refuse(problem: Problem, realm: &str) -> HttpReply {
    tracing::debug!(problem = problem.problem, "OAuth request refused");
    problem.into_reply(realm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_strips_path_and_default_port() {
        assert_eq!(
            origin("HTTPS://Jira.Example.com:443/jira/rest/api/2/myself"),
            "https://jira.example.com"
        );
        assert_eq!(origin("http://127.0.0.1:8080/x"), "http://127.0.0.1:8080");
    }

    #[test]
    fn rejects_pkcs1_and_garbage_keys() {
        assert_eq!(
            parse_public_key("-----BEGIN RSA PUBLIC KEY-----\nMIIB\n-----END RSA PUBLIC KEY-----")
                .err(),
            Some(INVALID_PUBLIC_KEY.to_string())
        );
        assert!(parse_public_key("not base64 !!").is_err());
        assert!(parse_public_key("").is_err());
    }

    fn unsigned(ts: i64, nonce: &str) -> SignedRequest {
        SignedRequest {
            method: "POST".to_string(),
            url: "http://jira.example.com/plugins/servlet/oauth/request-token".to_string(),
            authorization: Some(format!(
                "OAuth oauth_consumer_key=\"k\", oauth_signature_method=\"RSA-SHA1\", \
                 oauth_timestamp=\"{ts}\", oauth_nonce=\"{nonce}\", oauth_callback=\"oob\", \
                 oauth_signature=\"AAAA\""
            )),
            ..SignedRequest::default()
        }
    }

    #[test]
    fn nonces_outside_the_window_are_forgotten() {
        let p = OAuthProvider::new();
        p.register_consumer(
            "k",
            "K",
            include_str!("../../tests/data/test_key_pub.pem"),
            None,
        )
        .unwrap();
        let now = 1_700_000_000;
        for i in 0..50 {
            // Signatures are bogus, but the nonce is recorded before the signature check, as
            // net.oauth's validator does.
            let r = p.request_token(&unsigned(now - i, &format!("n{i}")), now);
            assert!(r.body.contains("signature_invalid"), "{}", r.body);
        }
        assert_eq!(p.lock().nonces.timestamps(), 50);
        let replay = p.request_token(&unsigned(now - 3, "n3"), now);
        assert!(replay.body.contains("nonce_used"), "{}", replay.body);
        // Ten minutes later every earlier timestamp is outside the window: all dropped.
        let later = now + 600;
        let _ = p.request_token(&unsigned(later, "fresh"), later);
        let st = p.lock();
        assert_eq!((st.nonces.timestamps(), st.nonces.len()), (1, 1));
    }

    #[test]
    fn expired_request_tokens_are_swept() {
        let p = OAuthProvider::new();
        let mut st = p.lock();
        for i in 0..SWEEP_EVERY {
            st.tokens.insert(
                format!("t{i}"),
                Token {
                    consumer_key: "k".to_string(),
                    secret: String::new(),
                    kind: TokenKind::Request {
                        created: 0,
                        born: Instant::now(),
                        callback: None,
                        authorization: Authorization::Pending,
                    },
                },
            );
        }
        for _ in 0..SWEEP_EVERY {
            p.maybe_sweep(&mut st, REQUEST_TOKEN_TTL_SECS + 1);
        }
        assert!(st.tokens.is_empty());
    }

    #[test]
    fn debug_does_not_leak_secrets() {
        let p = OAuthProvider::new();
        p.lock().tokens.insert(
            "tok".to_string(),
            Token {
                consumer_key: "k".to_string(),
                secret: "SEKRIT-token-secret".to_string(),
                kind: TokenKind::Access {
                    user: "alice".to_string(),
                    created: 0,
                    session_handle: "SEKRIT-handle".to_string(),
                    session_created: 0,
                },
            },
        );
        let s = format!("{p:?}");
        assert!(s.contains("tokens: 1"), "{s}");
        assert!(!s.contains("SEKRIT"), "{s}");
    }
}
