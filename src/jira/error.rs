//! The client's error type: the facts of one failed Jira call (transport class, HTTP status,
//! relevant headers, body summary, OAuth problem …), turned into a [`Diagnosis`] by `diagnose()`.
//! Holds no secrets: URLs never carry credentials and OAuth base strings are redacted.

use super::diagnose::{self, Code, Diagnosis};
use super::oauth::OAuthProblem;
use std::fmt;

/// What went wrong, classified so `diagnose()` can explain it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The host name did not resolve.
    Dns { host: String, message: String },
    /// Nothing listens on the port (or a firewall rejects).
    ConnectionRefused { addr: String, message: String },
    /// No answer within the timeout.
    Timeout { secs: u64 },
    /// The server's certificate chain is not trusted.
    TlsUntrusted {
        issuer: Option<String>,
        message: String,
    },
    /// Another TLS failure (name mismatch, expired, protocol).
    Tls { message: String },
    /// The server ended the TLS handshake with an alert about our client certificate
    /// (`CertificateRequired` when none was sent; `UnknownCA`, `BadCertificate`, … when refused).
    ClientCert { alert: String, message: String },
    /// Any other transport failure.
    Transport { message: String },
    /// A 3xx answer to a login page or an identity provider.
    SsoRedirect { location: String },
    /// A 3xx answer elsewhere (http→https, trailing slash, another host), or a probe that found
    /// Jira at another URL.
    WrongBaseUrl { location: String },
    /// An HTML page where JSON was expected.
    Html {
        title: Option<String>,
        login_page: bool,
    },
    /// The server answered, but neither serverInfo nor the applinks manifest looks like Jira.
    NotJira { detail: String },
    /// Credentials rejected (401 / `X-Seraph-LoginReason: AUTHENTICATED_FAILED`).
    AuthFailed {
        auth_kind: &'static str,
        login_reason: Option<String>,
        message: Option<String>,
    },
    /// Too many failed logins: Jira wants a CAPTCHA solved in a browser.
    Captcha { login_url: Option<String> },
    /// Credentials were sent but Jira answered as `anonymous`.
    AnonymousFallback { auth_kind: &'static str },
    /// Password Basic auth is switched off on this instance.
    BasicAuthDisabled { message: String },
    /// 403.
    Forbidden { message: Option<String> },
    /// 404.
    NotFound {
        message: Option<String>,
        title: Option<String>,
    },
    /// 429 after all retries.
    RateLimited {
        retry_after_secs: Option<u64>,
        attempts: u32,
    },
    /// 5xx (503 after all retries).
    ServerError {
        attempts: u32,
        message: Option<String>,
    },
    /// Another unexpected HTTP status.
    UnexpectedStatus { message: Option<String> },
    /// The body exceeded `max_body_bytes`.
    TooLarge { limit: usize },
    /// The body was not the JSON (or form) we expected.
    Decode { message: String, snippet: String },
    /// An `oauth_problem` answer; `our_base_string` is redacted.
    OAuth {
        problem: OAuthProblem,
        our_base_string: Option<String>,
        clock_skew_secs: Option<i64>,
    },
    /// The client could not be built from its options (CA file, proxy, auth kind).
    Config { message: String },
    /// The caller gave up.
    Cancelled,
    /// An OAuth 2.0 failure already explained (token endpoint errors, provider missing).
    OAuth2 { diagnosis: Box<Diagnosis> },
}

/// A failed Jira call, with the facts needed to diagnose it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JiraError {
    /// The classified failure (boxed: keeps `Result<_, JiraError>` small).
    pub kind: Box<ErrorKind>,
    /// `GET`, `POST`, …
    pub method: String,
    /// The URL called (never carries credentials).
    pub url: String,
    /// HTTP status, when a response arrived.
    pub status: Option<u16>,
    /// The response headers that matter for diagnosis (Seraph, X-AUSERNAME, WWW-Authenticate, …).
    pub headers: Vec<(String, String)>,
    /// A short, single-line summary of the response body.
    pub body_summary: Option<String>,
}

impl JiraError {
    /// An error without a response (transport, config).
    pub fn new(kind: ErrorKind, method: &str, url: &str) -> Self {
        Self {
            kind: Box::new(kind),
            method: method.to_string(),
            url: url.to_string(),
            status: None,
            headers: Vec::new(),
            body_summary: None,
        }
    }

    /// A configuration error raised before any request.
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(
            ErrorKind::Config {
                message: message.into(),
            },
            "",
            "",
        )
    }

    /// The explained diagnosis (what, why, fix).
    pub fn diagnose(&self) -> Diagnosis {
        diagnose::diagnose_error(self)
    }

    /// The classified failure.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The diagnosis code.
    pub fn code(&self) -> Code {
        diagnose::code_of(self)
    }

    /// HTTP status, when a response arrived.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// A relevant response header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// True for failures where retrying another URL cannot help (DNS, refused, TLS, timeout).
    pub fn is_transport(&self) -> bool {
        matches!(
            *self.kind,
            ErrorKind::Dns { .. }
                | ErrorKind::ConnectionRefused { .. }
                | ErrorKind::Timeout { .. }
                | ErrorKind::TlsUntrusted { .. }
                | ErrorKind::Tls { .. }
                | ErrorKind::ClientCert { .. }
                | ErrorKind::Transport { .. }
        )
    }
}

impl fmt::Display for JiraError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.diagnose();
        write!(f, "{}: {}", d.code, d.summary)
    }
}

impl std::error::Error for JiraError {}
