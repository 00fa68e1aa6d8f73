//! The simulator's OAuth 1.0a provider: consumers, request/access tokens, RSA-SHA1 verification with
//! its own base-string code (shares nothing with the client). SKELETON: the interface is the
//! contract between the two simulator helpers; sim-oauth implements it.
#![allow(unused_variables)]

/// A reply the HTTP layer sends as-is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    pub status: u16,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
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

/// The OAuth 1.0a service provider state. Thread-safe (interior mutability).
#[derive(Debug, Default)]
pub struct OAuthProvider {}

/// Who approved a request token (for the simulated "Allow").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    /// The 6-character verification code Jira shows.
    pub verifier: String,
}

impl OAuthProvider {
    /// An empty provider.
    pub fn new() -> Self {
        Self {}
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
        todo!()
    }
    /// Whether a consumer with this key exists.
    pub fn has_consumer(&self, key: &str) -> bool {
        todo!()
    }
    /// `POST /plugins/servlet/oauth/request-token`. `now` is the server clock (unix seconds).
    pub fn request_token(&self, req: &SignedRequest, now: i64) -> HttpReply {
        todo!()
    }
    /// `GET /plugins/servlet/oauth/authorize?oauth_token=`: the Allow/Deny page for `username`
    /// (None → the page asks the user to log in first).
    pub fn authorize_page(&self, token: &str, username: Option<&str>, base_url: &str) -> HttpReply {
        todo!()
    }
    /// The user clicked Allow: returns the "Access Approved" page (or a redirect when the consumer
    /// has a callback URL). `approve` is the same for tests/demo and returns the verifier.
    pub fn allow_page(&self, token: &str, username: &str) -> HttpReply {
        todo!()
    }
    /// Simulated "Allow": approve `token` for `username`, returning the verifier.
    pub fn approve(&self, token: &str, username: &str, now: i64) -> Result<Approval, String> {
        todo!()
    }
    /// The user clicked Deny.
    pub fn deny(&self, token: &str) -> Result<(), String> {
        todo!()
    }
    /// `POST /plugins/servlet/oauth/access-token`.
    pub fn access_token(&self, req: &SignedRequest, now: i64) -> HttpReply {
        todo!()
    }
    /// Verify a signed REST call. Ok(username the access token acts as), Err(the 401 to send),
    /// Ok(None) when the request carries no OAuth Authorization header.
    pub fn authenticate(&self, req: &SignedRequest, now: i64) -> Result<Option<String>, HttpReply> {
        todo!()
    }
}
