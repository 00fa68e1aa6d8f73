//! Every failure becomes a [`Diagnosis`]: a stable snake_case code, what happened, why, and the fix.
//! The TUI and the headless commands show the same diagnoses, built here and nowhere else.

use super::error::{ErrorKind, JiraError};
use super::oauth::{
    compare_base_strings, consumer_key_in_base_string, redact_base_string, BaseStringDiff,
    OAuthProblem,
};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Stable machine-readable diagnosis codes (listed in the README; never rename one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    DnsFailed,
    ConnectionRefused,
    Timeout,
    TlsUntrusted,
    TlsError,
    NotJira,
    WrongBaseUrl,
    BaseUrlMismatch,
    HtmlInsteadOfJson,
    SsoRedirect,
    AuthFailed,
    CaptchaRequired,
    AnonymousFallback,
    TokenRejected,
    BasicAuthDisabled,
    Forbidden,
    NotFound,
    RateLimited,
    ServerError,
    ClockSkew,
    ResponseTooLarge,
    InvalidResponse,
    OauthConsumerUnknown,
    OauthSignatureInvalid,
    OauthTimestampRefused,
    OauthNonceUsed,
    OauthTokenRejected,
    OauthTokenExpired,
    OauthPermissionUnknown,
    OauthPermissionDenied,
    OauthSignatureMethodRejected,
    OauthParameterAbsent,
    OauthVerifierInvalid,
    OauthCallbackSet,
    OauthProblem,
    Oauth2InvalidClient,
    Oauth2InvalidGrant,
    Oauth2AccessDenied,
    Oauth2InsufficientScope,
    Oauth2HttpsRequired,
    Oauth2StateMismatch,
    Oauth2NotSupported,
    /// TLS certificate checks are switched off (`insecure = true`).
    InsecureTls,
    ConfigError,
    SecretUnavailable,
    KeyError,
    /// An application link already holds this consumer key with another public key.
    ApplinkConflict,
    Cancelled,
    Other,
    /// A credential (PAT, API token, OAuth token) expires within `warn_expiry_days`, or has.
    CredentialExpiring,
    /// The server demanded a client certificate and the connection has none.
    ClientCertMissing,
    /// The server refused the connection's client certificate.
    ClientCertRejected,
    /// A Cloud scoped API token was sent to the site URL instead of the API gateway.
    CloudScopedTokenWrongHost,
    /// An application link has incoming OAuth 1.0a switched on but no consumer registered.
    ApplinkOauthNoConsumer,
}

impl Code {
    /// Every code, in README order.
    pub const ALL: &'static [Code] = &[
        Code::DnsFailed,
        Code::ConnectionRefused,
        Code::Timeout,
        Code::TlsUntrusted,
        Code::TlsError,
        Code::NotJira,
        Code::WrongBaseUrl,
        Code::BaseUrlMismatch,
        Code::HtmlInsteadOfJson,
        Code::SsoRedirect,
        Code::AuthFailed,
        Code::CaptchaRequired,
        Code::AnonymousFallback,
        Code::TokenRejected,
        Code::BasicAuthDisabled,
        Code::Forbidden,
        Code::NotFound,
        Code::RateLimited,
        Code::ServerError,
        Code::ClockSkew,
        Code::ResponseTooLarge,
        Code::InvalidResponse,
        Code::OauthConsumerUnknown,
        Code::OauthSignatureInvalid,
        Code::OauthTimestampRefused,
        Code::OauthNonceUsed,
        Code::OauthTokenRejected,
        Code::OauthTokenExpired,
        Code::OauthPermissionUnknown,
        Code::OauthPermissionDenied,
        Code::OauthSignatureMethodRejected,
        Code::OauthParameterAbsent,
        Code::OauthVerifierInvalid,
        Code::OauthCallbackSet,
        Code::OauthProblem,
        Code::Oauth2InvalidClient,
        Code::Oauth2InvalidGrant,
        Code::Oauth2AccessDenied,
        Code::Oauth2InsufficientScope,
        Code::Oauth2HttpsRequired,
        Code::Oauth2StateMismatch,
        Code::Oauth2NotSupported,
        Code::InsecureTls,
        Code::ConfigError,
        Code::SecretUnavailable,
        Code::KeyError,
        Code::ApplinkConflict,
        Code::Cancelled,
        Code::Other,
        Code::CredentialExpiring,
        Code::ClientCertMissing,
        Code::ClientCertRejected,
        Code::CloudScopedTokenWrongHost,
        Code::ApplinkOauthNoConsumer,
    ];

    /// The snake_case name, as in JSON output.
    pub fn as_str(self) -> &'static str {
        // A static table instead of going through serde; the unit test below keeps them in sync.
        match self {
            Code::DnsFailed => "dns_failed",
            Code::ConnectionRefused => "connection_refused",
            Code::Timeout => "timeout",
            Code::TlsUntrusted => "tls_untrusted",
            Code::TlsError => "tls_error",
            Code::NotJira => "not_jira",
            Code::WrongBaseUrl => "wrong_base_url",
            Code::BaseUrlMismatch => "base_url_mismatch",
            Code::HtmlInsteadOfJson => "html_instead_of_json",
            Code::SsoRedirect => "sso_redirect",
            Code::AuthFailed => "auth_failed",
            Code::CaptchaRequired => "captcha_required",
            Code::AnonymousFallback => "anonymous_fallback",
            Code::TokenRejected => "token_rejected",
            Code::BasicAuthDisabled => "basic_auth_disabled",
            Code::Forbidden => "forbidden",
            Code::NotFound => "not_found",
            Code::RateLimited => "rate_limited",
            Code::ServerError => "server_error",
            Code::ClockSkew => "clock_skew",
            Code::ResponseTooLarge => "response_too_large",
            Code::InvalidResponse => "invalid_response",
            Code::OauthConsumerUnknown => "oauth_consumer_unknown",
            Code::OauthSignatureInvalid => "oauth_signature_invalid",
            Code::OauthTimestampRefused => "oauth_timestamp_refused",
            Code::OauthNonceUsed => "oauth_nonce_used",
            Code::OauthTokenRejected => "oauth_token_rejected",
            Code::OauthTokenExpired => "oauth_token_expired",
            Code::OauthPermissionUnknown => "oauth_permission_unknown",
            Code::OauthPermissionDenied => "oauth_permission_denied",
            Code::OauthSignatureMethodRejected => "oauth_signature_method_rejected",
            Code::OauthParameterAbsent => "oauth_parameter_absent",
            Code::OauthVerifierInvalid => "oauth_verifier_invalid",
            Code::OauthCallbackSet => "oauth_callback_set",
            Code::OauthProblem => "oauth_problem",
            Code::Oauth2InvalidClient => "oauth2_invalid_client",
            Code::Oauth2InvalidGrant => "oauth2_invalid_grant",
            Code::Oauth2AccessDenied => "oauth2_access_denied",
            Code::Oauth2InsufficientScope => "oauth2_insufficient_scope",
            Code::Oauth2HttpsRequired => "oauth2_https_required",
            Code::Oauth2StateMismatch => "oauth2_state_mismatch",
            Code::Oauth2NotSupported => "oauth2_not_supported",
            Code::InsecureTls => "insecure_tls",
            Code::ConfigError => "config_error",
            Code::SecretUnavailable => "secret_unavailable",
            Code::KeyError => "key_error",
            Code::ApplinkConflict => "applink_conflict",
            Code::Cancelled => "cancelled",
            Code::Other => "other",
            Code::CredentialExpiring => "credential_expiring",
            Code::ClientCertMissing => "client_cert_missing",
            Code::ClientCertRejected => "client_cert_rejected",
            Code::CloudScopedTokenWrongHost => "cloud_scoped_token_wrong_host",
            Code::ApplinkOauthNoConsumer => "applink_oauth_no_consumer",
        }
    }
}

impl Code {
    /// One line for the README's list of codes (`docs/diagnoses.md` is generated from these):
    /// when the code appears, in an admin's words.
    pub fn description(self) -> &'static str {
        match self {
            Code::DnsFailed => "The host name in the url does not resolve (typo, or a DNS / `/etc/hosts` entry missing on this machine).",
            Code::ConnectionRefused => "Nothing listens at the url's host and port (wrong port, Jira or its proxy down, firewall rejecting).",
            Code::Timeout => "No answer within `timeout_secs` (firewall dropping packets, proxy settings, or a very slow instance).",
            Code::TlsUntrusted => "The server's certificate is signed by a CA this machine does not trust; names the issuer and suggests `ca_file`.",
            Code::TlsError => "The TLS handshake failed for another reason (host name not in the certificate, expired certificate, HTTPS to a plain-HTTP port).",
            Code::NotJira => "The url answers, but neither serverInfo nor the applinks manifest looks like Jira, at the url or at the usual context paths.",
            Code::WrongBaseUrl => "Jira answers at a different URL (usually the context path is missing or extra); names the URL that works.",
            Code::BaseUrlMismatch => "Warning: Jira's configured base URL differs from the url used; OAuth signatures will fail behind this proxy.",
            Code::HtmlInsteadOfJson => "An HTML page (often Jira's login page) came back where JSON was expected; quotes the page title.",
            Code::SsoRedirect => "The REST call was redirected to an SSO / identity-provider login page; use a PAT or OAuth.",
            Code::AuthFailed => "Jira rejected the user name and password (or the Cloud email and API token).",
            Code::CaptchaRequired => "Too many failed logins: Jira demands a CAPTCHA; log in once in a browser at the named login URL to clear it.",
            Code::AnonymousFallback => "Credentials were sent but Jira answered as `anonymous` (a proxy strips the Authorization header, or the scheme is ignored).",
            Code::TokenRejected => "Jira rejected the Personal Access Token (wrong, expired or revoked).",
            Code::BasicAuthDisabled => "The administrator disabled Basic authentication with passwords; use a PAT (or a Cloud API token).",
            Code::Forbidden => "Authenticated, but the user lacks a permission this call needs (403), e.g. 'Administer Jira' for permission schemes.",
            Code::NotFound => "The resource does not exist or is not visible to this user (404); often a wrong context path.",
            Code::RateLimited => "Jira kept answering 429 beyond the retry budget; names the Retry-After to wait.",
            Code::ServerError => "Jira answered 5xx even after retries; look at atlassian-jira.log or the proxy's log.",
            Code::ClockSkew => "The server's Date header differs from this clock: a warning above 60 s, an error above 300 s (OAuth refuses the timestamps).",
            Code::ResponseTooLarge => "A response exceeded the body size limit.",
            Code::InvalidResponse => "A 2xx answer could not be read as the JSON Jira sends for this call.",
            Code::OauthConsumerUnknown => "OAuth: Jira has no incoming application link with this consumer key.",
            Code::OauthSignatureInvalid => "OAuth: Jira rejected the signature; compares Jira's base string with ours and says whether the URL, the parameters or the key differ.",
            Code::OauthTimestampRefused => "OAuth: the request's timestamp is outside Jira's 5-minute window (clocks differ).",
            Code::OauthNonceUsed => "OAuth: Jira saw this nonce before (a replayed request, e.g. a retrying proxy).",
            Code::OauthTokenRejected => "OAuth: the access token is unknown to Jira, revoked, or belongs to another consumer; authorize again.",
            Code::OauthTokenExpired => "OAuth: the token has expired; authorize again.",
            Code::OauthPermissionUnknown => "OAuth: the request token was not approved yet (nobody clicked Allow).",
            Code::OauthPermissionDenied => "OAuth: the user clicked Deny, or the authorization session ended.",
            Code::OauthSignatureMethodRejected => "OAuth: Jira accepts only RSA-SHA1 for application links.",
            Code::OauthParameterAbsent => "OAuth: a required oauth_* parameter was missing or rejected (a proxy may strip the Authorization header).",
            Code::OauthVerifierInvalid => "OAuth: the verification code did not match the one Jira showed after Allow.",
            Code::OauthCallbackSet => "OAuth: the incoming link has a callback URL, so Jira redirects instead of showing the verification code.",
            Code::OauthProblem => "OAuth: Jira reported an oauth_problem jiralink has no specific advice for; the problem is quoted.",
            Code::Oauth2InvalidClient => "OAuth 2.0: Jira rejected the client id or client secret (RFC 6749 `invalid_client`).",
            Code::Oauth2InvalidGrant => "OAuth 2.0: Jira refused the code or refresh token (`invalid_grant`); names the cause: code expired or reused, redirect_uri mismatch, PKCE verifier mismatch, refresh token revoked or rotated away.",
            Code::Oauth2AccessDenied => "OAuth 2.0: the user clicked Deny on Jira's consent page (`access_denied`).",
            Code::Oauth2InsufficientScope => "OAuth 2.0: the token's scopes do not cover the call (e.g. a write with READ; RFC 6750 `insufficient_scope`).",
            Code::Oauth2HttpsRequired => "OAuth 2.0: Jira enforces HTTPS for its base URL and redirect URLs; the provider is off over plain http.",
            Code::Oauth2StateMismatch => "OAuth 2.0: the pasted redirect URL belongs to another authorization attempt (its `state` differs).",
            Code::Oauth2NotSupported => "OAuth 2.0: this Jira is older than Data Center 8.22 and has no OAuth 2.0 provider; use OAuth 1.0a.",
            Code::InsecureTls => "Warning: `insecure = true` switches off certificate verification for this connection.",
            Code::ConfigError => "The connection's settings cannot be used (invalid url, unreadable `ca_file`, missing field).",
            Code::SecretUnavailable => "A secret could not be resolved (environment variable unset, command failed, file unreadable or not 0600).",
            Code::KeyError => "The OAuth private key is missing, unreadable or not an RSA key.",
            Code::ApplinkConflict => "`link create`: Jira already has an application link with this consumer key but another public key; `--replace` updates that link's consumer.",
            Code::Cancelled => "The operation was cancelled before it finished.",
            Code::Other => "Anything else; the detail carries the underlying error.",
            Code::CredentialExpiring => "The PAT, Cloud API token or OAuth token expires within `warn_expiry_days` (default 14), or already has; names the date and how to rotate.",
            Code::ClientCertMissing => "The server (usually a reverse proxy) demands a client certificate (TLS alert named); set `client_cert` and `client_key`.",
            Code::ClientCertRejected => "The server refused the connection's client certificate (TLS alert named: unknown CA, bad or expired certificate).",
            Code::CloudScopedTokenWrongHost => "A Cloud scoped API token was sent to the site URL, which answers 401; names the `https://api.atlassian.com/ex/jira/{cloudId}` URL to use.",
            Code::ApplinkOauthNoConsumer => "`links`: an application link has incoming OAuth 1.0a switched on but no consumer key registered, so every OAuth call through it fails with `consumer_key_unknown`; register the consumer or switch incoming OAuth off.",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How bad a diagnosis is: a warning still lets the connection work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Warning,
    Error,
}

/// What happened (`summary`), why (`detail`), and what to do (`fix`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnosis {
    pub code: Code,
    #[serde(skip_serializing, default = "default_severity")]
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    pub fix: String,
}

fn default_severity() -> Severity {
    Severity::Error
}

impl Diagnosis {
    /// An error-level diagnosis.
    pub fn error(
        code: Code,
        summary: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            code,
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            fix: fix.into(),
        }
    }

    /// A warning-level diagnosis (the connection still works).
    pub fn warning(
        code: Code,
        summary: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(code, summary, detail, fix)
        }
    }

    /// True for error severity.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.code, self.summary)?;
        if !self.detail.is_empty() {
            write!(f, "\n  why: {}", self.detail)?;
        }
        if !self.fix.is_empty() {
            write!(f, "\n  fix: {}", self.fix)?;
        }
        Ok(())
    }
}

/// The code a failed call maps to.
pub fn code_of(e: &JiraError) -> Code {
    if let Some(d) = super::oauth2::diagnose_bearer(e) {
        return d.code;
    }
    match &*e.kind {
        ErrorKind::Dns { .. } => Code::DnsFailed,
        ErrorKind::ConnectionRefused { .. } => Code::ConnectionRefused,
        ErrorKind::Timeout { .. } => Code::Timeout,
        ErrorKind::TlsUntrusted { .. } => Code::TlsUntrusted,
        ErrorKind::Tls { .. } => Code::TlsError,
        ErrorKind::ClientCert { alert, .. } => {
            if alert == "CertificateRequired" {
                Code::ClientCertMissing
            } else {
                Code::ClientCertRejected
            }
        }
        ErrorKind::Transport { .. } => Code::Other,
        ErrorKind::SsoRedirect { .. } => Code::SsoRedirect,
        ErrorKind::WrongBaseUrl { .. } => Code::WrongBaseUrl,
        ErrorKind::Html { .. } => Code::HtmlInsteadOfJson,
        ErrorKind::NotJira { .. } => Code::NotJira,
        ErrorKind::AuthFailed { auth_kind, .. } => {
            if *auth_kind == "pat" {
                Code::TokenRejected
            } else {
                Code::AuthFailed
            }
        }
        ErrorKind::Captcha { .. } => Code::CaptchaRequired,
        ErrorKind::AnonymousFallback { .. } => Code::AnonymousFallback,
        ErrorKind::BasicAuthDisabled { .. } => Code::BasicAuthDisabled,
        ErrorKind::Forbidden { .. } => Code::Forbidden,
        ErrorKind::NotFound { .. } => Code::NotFound,
        ErrorKind::RateLimited { .. } => Code::RateLimited,
        ErrorKind::ServerError { .. } => Code::ServerError,
        ErrorKind::UnexpectedStatus { .. } => Code::Other,
        ErrorKind::TooLarge { .. } => Code::ResponseTooLarge,
        ErrorKind::Decode { .. } => Code::InvalidResponse,
        ErrorKind::OAuth { problem, .. } => oauth_code(&problem.problem),
        ErrorKind::Config { .. } => Code::ConfigError,
        ErrorKind::Cancelled => Code::Cancelled,
        ErrorKind::OAuth2 { diagnosis } => diagnosis.code,
    }
}

/// Map an `oauth_problem` value (OAuth Problem Reporting extension, as Jira's OAuth plugin sends
/// it) to its code.
pub fn oauth_code(problem: &str) -> Code {
    match problem {
        "consumer_key_unknown" | "consumer_key_rejected" | "consumer_key_refused" => {
            Code::OauthConsumerUnknown
        }
        "signature_invalid" => Code::OauthSignatureInvalid,
        "timestamp_refused" => Code::OauthTimestampRefused,
        "nonce_used" => Code::OauthNonceUsed,
        "token_rejected" | "token_used" | "token_revoked" => Code::OauthTokenRejected,
        "token_expired" => Code::OauthTokenExpired,
        "permission_unknown" => Code::OauthPermissionUnknown,
        "permission_denied" | "user_refused" => Code::OauthPermissionDenied,
        "signature_method_rejected" => Code::OauthSignatureMethodRejected,
        "parameter_absent" | "parameter_rejected" => Code::OauthParameterAbsent,
        "verifier_invalid" => Code::OauthVerifierInvalid,
        _ => Code::OauthProblem,
    }
}

/// The fix for a redirect: only a target on the same host (or the https upgrade of the same
/// host) is safe to suggest as the new `url`. A redirect to another host may be a misconfigured
/// proxy or someone else's server, and suggesting it would send the credentials there.
fn redirect_fix(called: &str, location: &str) -> String {
    let same_origin_or_upgrade = match (url::Url::parse(called), url::Url::parse(location)) {
        (Ok(from), Ok(to)) => {
            from.host_str() == to.host_str()
                && (from.scheme() == to.scheme()
                    || (from.scheme() == "http" && to.scheme() == "https"))
        }
        _ => false,
    };
    if same_origin_or_upgrade {
        format!(
            "Set the connection's url to `{}`.",
            location.trim_end_matches('/')
        )
    } else {
        let host = url::Url::parse(location)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "another place".into());
        format!("The redirect leads to {host}, not the host in the connection's url, so jiralink does not suggest it: find Jira's own base URL (System > General configuration > Base URL, or ask its admin) and set url to that; never point url at a host you do not know to be your Jira.")
    }
}

/// Explain a failed call: what happened, what Jira said, and what the admin should do.
pub fn diagnose_error(e: &JiraError) -> Diagnosis {
    if let ErrorKind::OAuth2 { diagnosis } = &*e.kind {
        return (**diagnosis).clone();
    }
    if let Some(d) = super::oauth2::diagnose_bearer(e) {
        return d;
    }
    let code = code_of(e);
    let call = if e.method.is_empty() {
        String::new()
    } else {
        format!("{} {}", e.method, e.url)
    };
    let said = response_facts(e);
    let (summary, detail, fix): (String, String, String) = match &*e.kind {
        ErrorKind::Dns { host, message } => (
            format!("The host name `{host}` does not resolve"),
            format!("DNS lookup failed for {call}: {message}"),
            "Check the spelling of the URL, or the DNS / /etc/hosts entry on this machine (try `getent hosts HOST`).".into(),
        ),
        ErrorKind::ConnectionRefused { addr, message } => (
            format!("Nothing accepts connections at {addr}"),
            format!("{call}: {message}"),
            "Check the port in the URL, that Jira (or its reverse proxy) is running, and that no firewall rejects this machine.".into(),
        ),
        ErrorKind::Timeout { secs } => (
            format!("No answer within {secs} s"),
            format!("{call} timed out; the server or a proxy in between did not answer in time."),
            "Check that the host is reachable from here (proxy settings, firewall dropping packets), or raise `timeout_secs` for a slow instance.".into(),
        ),
        ErrorKind::TlsUntrusted { issuer, message } => (
            "The server's TLS certificate is not trusted".into(),
            match issuer {
                Some(i) => format!("{call}: certificate issued by `{i}` is not in the trusted roots ({message})"),
                None => format!("{call}: {message}"),
            },
            "If Jira uses an internal CA, add `ca_file = \"/path/to/internal-ca.pem\"` to the connection (the CA's PEM certificate); do not switch to `insecure = true` except for a one-off test.".into(),
        ),
        ErrorKind::Tls { message } => (
            "The TLS handshake failed".into(),
            format!("{call}: {message}"),
            "Check that the URL's host name matches the certificate, that the certificate has not expired, and that the port speaks HTTPS (use http:// for a plain-HTTP port).".into(),
        ),
        ErrorKind::ClientCert { alert, message } => {
            if code == Code::ClientCertMissing {
                (
                    "The server demands a client certificate".into(),
                    format!("{call}: the TLS handshake ended with the server's alert {alert} ({message}); a reverse proxy in front of Jira asks for mutual TLS."),
                    "Set `client_cert = \"/path/client.pem\"` and `client_key = \"/path/client.key\"` (PEM, key mode 0600) on the connection, with a certificate the proxy's CA issued.".into(),
                )
            } else {
                (
                    format!("The server refused the client certificate (TLS alert {alert})"),
                    format!("{call}: the TLS handshake ended with the server's alert {alert} ({message})."),
                    "Check that `client_cert` was issued by the CA the proxy trusts, has not expired, and matches `client_key`; ask the proxy's admin which CA it expects.".into(),
                )
            }
        }
        ErrorKind::Transport { message } => (
            "The request could not be completed".into(),
            format!("{call}: {message}"),
            "Check the network path to Jira (proxy settings, HTTPS_PROXY / NO_PROXY).".into(),
        ),
        ErrorKind::SsoRedirect { location } => (
            "Jira redirected the API call to a login page (SSO)".into(),
            format!("{call} answered {} with Location: {location}. An SSO / identity-provider front end intercepts requests that do not carry a browser session.", e.status.map(|s| s.to_string()).unwrap_or_default()),
            "Use credentials the SSO layer lets through to the REST API: a Personal Access Token (auth = \"pat\") or OAuth, or ask the admin to exempt /rest/ from the SSO redirect.".into(),
        ),
        ErrorKind::WrongBaseUrl { location } => (
            format!("Jira answers at a different URL: {location}"),
            match e.status {
                Some(s) => format!("{call} answered {s} with Location: {location}. jiralink does not follow redirects because a redirect would also break OAuth signatures."),
                None => format!("{call} did not reach Jira, but Jira answers at {location}."),
            },
            redirect_fix(&e.url, location),
        ),
        ErrorKind::Html { title, login_page } => {
            let t = title.clone().unwrap_or_else(|| "(no title)".into());
            if *login_page {
                (
                    "Got Jira's login page instead of JSON".into(),
                    format!("{call} returned an HTML page titled \"{t}\": the request was treated as not logged in, so Jira rendered its login form."),
                    "Check the credentials and the auth kind; with SSO in front of Jira use a Personal Access Token (auth = \"pat\") or OAuth.".into(),
                )
            } else {
                (
                    "Got an HTML page instead of JSON".into(),
                    format!("{call} returned an HTML page titled \"{t}\" (a proxy error page, a portal, or a non-Jira server at this URL)."),
                    "Check that the url points at Jira itself, including its context path (e.g. https://host/jira).".into(),
                )
            }
        }
        ErrorKind::NotJira { detail } => (
            "The server does not look like Jira".into(),
            detail.clone(),
            "Check the url: it must be Jira's base URL (what Jira shows under System > General configuration > Base URL).".into(),
        ),
        ErrorKind::AuthFailed { auth_kind, login_reason, message } => {
            // Jira's message often ends with its own period: one sentence end, never "..".
            let why = crate::text::sentence(&format!(
                "{call} was rejected{}{}",
                login_reason.as_deref().map(|r| format!(" (X-Seraph-LoginReason: {r})")).unwrap_or_default(),
                message.as_deref().map(|m| format!(": {m}")).unwrap_or_default()
            ));
            match *auth_kind {
                "pat" => (
                    "Jira rejected the Personal Access Token".into(),
                    why,
                    {
                        let mut fix = "Create a new token under Profile > Personal Access Tokens (it may have expired or been revoked) and update the connection's token.".to_string();
                        // Without a login reason Jira may never have seen the token at all:
                        // a stripped header looks exactly like this.
                        if login_reason.is_none() {
                            fix += " If the token is valid, check that no proxy strips the Authorization header (Jira answered as if none was sent).";
                        }
                        fix
                    },
                ),
                "none" => (
                    "Jira requires authentication for this call".into(),
                    why,
                    "Configure credentials for the connection (auth = \"pat\", \"basic\", \"cloud-token\" or \"oauth1\").".into(),
                ),
                "cloud-token" => (
                    "Jira Cloud rejected the email / API token".into(),
                    why,
                    "Check the email and create a new API token at https://id.atlassian.com/manage-profile/security/api-tokens.".into(),
                ),
                _ => (
                    "Jira rejected the user name or password".into(),
                    why,
                    "Check the user name and password (log in once in a browser to see whether the account is locked or needs a CAPTCHA).".into(),
                ),
            }
        }
        ErrorKind::Captcha { login_url } => {
            let url = login_url.clone().unwrap_or_else(|| "the Jira login page".into());
            (
                "Jira requires a CAPTCHA after too many failed logins".into(),
                format!("{call} was denied with X-Authentication-Denied-Reason: CAPTCHA_CHALLENGE; until it is solved every Basic-auth call fails, even with the right password."),
                format!("Log in once in a browser at {url} to clear the CAPTCHA, then fix the password in the connection."),
            )
        }
        ErrorKind::AnonymousFallback { auth_kind } => (
            "Jira ignored the credentials and answered as anonymous".into(),
            format!("{call} returned X-AUSERNAME: anonymous although {auth_kind} credentials were sent; the answer is what an anonymous visitor sees, not the integration user."),
            match *auth_kind {
                "oauth1" => "Check that the incoming application link allows this consumer to act (2-legged OAuth needs 'Allow 2-Legged OAuth' and an execute-as user) and that the access token is valid.".into(),
                "pat" => "Check that Personal Access Tokens are enabled and that a proxy does not strip the Authorization header.".into(),
                _ => "Check that a reverse proxy does not strip the Authorization header, and that Basic auth is allowed for the REST API.".into(),
            },
        ),
        ErrorKind::BasicAuthDisabled { message } => (
            "Basic authentication with a password is disabled on this Jira".into(),
            format!("{call}: {message}"),
            // Jira 11 disables basic authentication by default; admins can allowlist accounts at
            // /rest/basicauth/1.0/config (jira.js Data Center guide; Atlassian "Creating an
            // allowlist when basic authentication is disabled"; reference/jira-answers.md).
            "Use a Personal Access Token (auth = \"pat\"), an OAuth 2.0 link (`jiralink link new NAME --url URL --oauth2`) or, for a script, a Jira 11 service account (auth = \"oauth2-client-credentials\"); on Cloud an API token (auth = \"cloud-token\"). Only if an account must keep basic auth, a Jira admin can allowlist it at /rest/basicauth/1.0/config.".into(),
        ),
        ErrorKind::Forbidden { message } => (
            "Jira refused the call for lack of a permission".into(),
            format!("{call}{}", message.as_deref().map(|m| format!(": {m}")).unwrap_or_default()),
            "The user is authenticated but lacks a permission for this resource (e.g. 'Administer Jira' for permission schemes); grant it or use another user.".into(),
        ),
        ErrorKind::NotFound { message, title } => (
            "Not found (404)".into(),
            format!(
                "{call}{}{}",
                message.as_deref().map(|m| format!(": {m}")).unwrap_or_default(),
                title.as_deref().map(|t| format!(" (HTML page \"{t}\")")).unwrap_or_default()
            ),
            "Check the url's context path (e.g. https://host/jira vs https://host) and that the object exists and is visible to this user.".into(),
        ),
        ErrorKind::RateLimited { retry_after_secs, attempts } => (
            "Jira is rate limiting this client (429)".into(),
            format!(
                "{call} still answered 429 after {}{}.",
                crate::text::count(*attempts, "attempt"),
                retry_after_secs.map(|s| format!("; Retry-After: {s} s")).unwrap_or_default()
            ),
            match retry_after_secs {
                Some(s) => format!("Wait {s} s before retrying, and lower the audit concurrency."),
                None => "Wait a minute before retrying, and lower the audit concurrency.".into(),
            },
        ),
        ErrorKind::ServerError { attempts, message } => (
            format!("Jira answered with a server error ({})", e.status.map(|s| s.to_string()).unwrap_or_else(|| "5xx".into())),
            crate::text::sentence(&format!(
                "{call} failed after {}{}",
                crate::text::count(*attempts, "attempt"),
                message.as_deref().map(|m| format!(": {m}")).unwrap_or_default()
            )),
            "Check Jira's atlassian-jira.log (or the proxy's error log); retry later if it is being restarted or reindexed.".into(),
        ),
        ErrorKind::UnexpectedStatus { message } => (
            format!("Unexpected HTTP status {}", e.status.map(|s| s.to_string()).unwrap_or_default()),
            format!("{call}{}", message.as_deref().map(|m| format!(": {m}")).unwrap_or_default()),
            "Read Jira's message above; the request may need a parameter this Jira version does not accept.".into(),
        ),
        ErrorKind::TooLarge { limit } => (
            format!("The response was larger than {limit} bytes"),
            format!("{call} kept sending data beyond the {limit}-byte limit."),
            "If this is a very large instance, raise the body limit; otherwise check that the URL points at Jira's REST API.".into(),
        ),
        ErrorKind::Decode { message, snippet } => (
            "Jira's answer could not be read".into(),
            format!("{call}: {message}; body starts with: {snippet}"),
            "Check that the url points at Jira (not a proxy or portal); if it does, this Jira version sends a shape jiralink does not know — please report it.".into(),
        ),
        ErrorKind::OAuth { problem, our_base_string, clock_skew_secs } => {
            oauth_texts(code, &call, problem, our_base_string.as_deref(), *clock_skew_secs)
        }
        ErrorKind::Config { message } => (
            "The connection settings cannot be used".into(),
            message.clone(),
            "Fix the connection in the config file (`jiralink info` shows where it is).".into(),
        ),
        ErrorKind::Cancelled => (
            "Cancelled".into(),
            format!("{call} was cancelled before it finished."),
            String::new(),
        ),
        ErrorKind::OAuth2 { diagnosis } => (
            diagnosis.summary.clone(),
            diagnosis.detail.clone(),
            diagnosis.fix.clone(),
        ),
    };
    let detail = if said.is_empty() {
        detail
    } else {
        format!("{detail} [{said}]")
    };
    Diagnosis::error(code, summary, detail, fix)
}

/// Status and relevant headers as one line, for the `detail`.
fn response_facts(e: &JiraError) -> String {
    let mut parts = Vec::new();
    if let Some(s) = e.status {
        parts.push(format!("HTTP {s}"));
    }
    for (k, v) in &e.headers {
        parts.push(format!("{k}: {v}"));
    }
    parts.join("; ")
}

fn oauth_texts(
    code: Code,
    call: &str,
    p: &OAuthProblem,
    ours: Option<&str>,
    skew: Option<i64>,
) -> (String, String, String) {
    let said = format!("{call} answered oauth_problem={}", p.problem);
    let extras: Vec<String> = p
        .params
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "oauth_signature" | "oauth_signature_base_string" | "oauth_token" | "realm"
            )
        })
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let said = if extras.is_empty() {
        said
    } else {
        format!("{said} ({})", extras.join(", "))
    };
    // The key Jira echoed, else the one we signed with (our base string names it); only when
    // neither is known does the text point at the setting instead of naming a value.
    let consumer = p
        .param("oauth_consumer_key")
        .map(str::to_string)
        .or_else(|| ours.and_then(consumer_key_in_base_string))
        .map(|k| format!("`{k}`"))
        .unwrap_or_else(|| "this connection's `consumer_key`".into());
    match code {
        Code::OauthConsumerUnknown => (
            "Jira does not know this OAuth consumer".into(),
            said,
            format!("Create the incoming application link with consumer key {consumer} and this key's public key — `jiralink link fields NAME` prints the values to paste."),
        ),
        Code::OauthSignatureInvalid => {
            let diff = match (ours, p.their_base_string()) {
                (Some(o), Some(t)) => match compare_base_strings(o, t) {
                    BaseStringDiff::Same => "Both sides signed the same base string, so the key differs: the public key stored in Jira's incoming link does not belong to the configured private key.".to_string(),
                    BaseStringDiff::Method { ours, theirs } => format!("The HTTP method differs: we signed {ours}, Jira verified {theirs}."),
                    BaseStringDiff::Url { part, ours: a, theirs: b } => format!(
                        "The URL's {part} differs: we signed `{a}`, Jira verified `{b}`{} — a reverse proxy rewrites the URL, or Jira's base URL is configured differently from the url in jiralink.",
                        // The whole URLs make the proxy's rewrite obvious at a glance.
                        match (signed_url(o), signed_url(t)) {
                            (Some(x), Some(y)) => format!(" (we signed {x}, Jira verified {y})"),
                            _ => String::new(),
                        }
                    ),
                    BaseStringDiff::Params { only_ours, only_theirs } => format!("The parameters differ: only in ours {only_ours:?}, only in Jira's {only_theirs:?} — a proxy adds or strips query parameters."),
                    BaseStringDiff::Unparsable => "Jira's base string could not be compared.".to_string(),
                },
                (Some(o), None) => format!("Jira did not report its base string; ours was {}", redact_base_string(o)),
                _ => "No base strings to compare.".to_string(),
            };
            (
                "Jira rejected the OAuth signature".into(),
                format!("{said}. {diff}"),
                "Make the url in jiralink match Jira's base URL exactly (scheme, host, port, context path), and make sure the incoming link holds the public key of this private key (`jiralink link fields NAME`).".into(),
            )
        }
        Code::OauthTimestampRefused => (
            "Jira refused the OAuth timestamp (clocks differ)".into(),
            match skew {
                Some(s) => format!("{said}. The server clock differs from ours by {s} s."),
                None => said,
            },
            "Sync this machine's clock (and Jira's) with NTP (`timedatectl set-ntp true`).".into(),
        ),
        Code::OauthNonceUsed => (
            "Jira saw this OAuth nonce before".into(),
            said,
            "Usually a replayed request through a retrying proxy; retry once. If it persists, check that the proxy does not resend requests.".into(),
        ),
        Code::OauthTokenRejected => (
            "Jira rejected the OAuth access token".into(),
            said,
            "Run the OAuth dance again (`jiralink link authorize NAME`) to get a new access token; the old one was revoked or belongs to another consumer.".into(),
        ),
        Code::OauthTokenExpired => (
            "The OAuth access token has expired".into(),
            said,
            "Run the OAuth dance again (`jiralink link authorize NAME`) to get a new access token.".into(),
        ),
        Code::OauthPermissionUnknown => (
            "The request token was never approved".into(),
            said,
            "Open the authorize URL in a browser, log in and click Allow before asking for the access token.".into(),
        ),
        Code::OauthPermissionDenied => (
            "The user denied the OAuth request".into(),
            said,
            "Repeat the authorization and click Allow (not Deny) on Jira's page.".into(),
        ),
        Code::OauthSignatureMethodRejected => (
            "Jira rejected the OAuth signature method".into(),
            said,
            "Jira application links accept only RSA-SHA1; check that the incoming link was created with a public key.".into(),
        ),
        Code::OauthParameterAbsent => (
            "An OAuth parameter was missing or rejected".into(),
            said,
            "A proxy may strip the Authorization header; make sure it is forwarded to Jira unchanged.".into(),
        ),
        Code::OauthVerifierInvalid => (
            "Jira rejected the OAuth verification code".into(),
            said,
            "Copy the verification code Jira showed after Allow exactly, and use it within its 10 minute lifetime.".into(),
        ),
        _ => (
            format!("Jira reported an OAuth problem: {}", p.problem),
            said,
            "Check the incoming application link's consumer key and public key (`jiralink link fields NAME`).".into(),
        ),
    }
}

/// The URL part of an OAuth base string (`METHOD&URL&PARAMS`), decoded.
fn signed_url(base: &str) -> Option<String> {
    let encoded = base.split('&').nth(1)?;
    percent_encoding::percent_decode_str(encoded)
        .decode_utf8()
        .ok()
        .map(|u| u.into_owned())
}

/// Warning (|skew| > 60 s) or error (> 300 s) about the server clock, or None when it is fine.
pub fn clock_skew(skew_secs: i64) -> Option<Diagnosis> {
    let abs = skew_secs.unsigned_abs();
    if abs <= 60 {
        return None;
    }
    let dir = if skew_secs > 0 { "ahead of" } else { "behind" };
    let summary = format!("The Jira server clock is {abs} s {dir} this machine");
    let detail = "Measured from the server's Date header. OAuth 1.0a timestamps outside Jira's window (5 minutes) are refused with timestamp_refused.".to_string();
    let fix = "Sync the clock with NTP (`timedatectl set-ntp true`) on this machine and on the Jira server.".to_string();
    Some(if abs > 300 {
        Diagnosis::error(Code::ClockSkew, summary, detail, fix)
    } else {
        Diagnosis::warning(Code::ClockSkew, summary, detail, fix)
    })
}

/// Warning: Jira believes its base URL is another one than the configured URL.
pub fn base_url_mismatch(configured: &str, reported: &str) -> Diagnosis {
    Diagnosis::warning(
        Code::BaseUrlMismatch,
        format!("Jira's base URL is {reported}, not {configured}"),
        "Jira builds links and verifies OAuth signatures against its own base URL; behind a reverse proxy that rewrites the URL, every OAuth-signed request will fail with signature_invalid.".to_string(),
        format!("Use url = \"{reported}\" in the connection, or correct Jira's Base URL (System > General configuration) if it is the one that is wrong."),
    )
}

/// Warning: TLS certificates are not verified for this connection.
pub fn insecure_tls() -> Diagnosis {
    Diagnosis::warning(
        Code::InsecureTls,
        "TLS certificate verification is switched off (insecure = true)",
        "Anyone between this machine and Jira can read the credentials and answer in Jira's name.",
        "Remove `insecure = true` and add `ca_file = \"/path/to/internal-ca.pem\"` with the CA that issued Jira's certificate.",
    )
}

/// Error: the server answered but is not Jira.
pub fn not_jira(detail: impl Into<String>) -> JiraError {
    JiraError::new(
        ErrorKind::NotJira {
            detail: detail.into(),
        },
        "",
        "",
    )
}

/// Error: Jira answers at `working` instead of the configured URL.
pub fn wrong_base_url(configured: &str, working: &str) -> JiraError {
    JiraError::new(
        ErrorKind::WrongBaseUrl {
            location: working.to_string(),
        },
        "GET",
        configured,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn problem(p: &str) -> OAuthProblem {
        OAuthProblem {
            problem: p.to_string(),
            params: BTreeMap::new(),
        }
    }

    /// Issue 14 §7: only a same-host target or the https upgrade is suggested as the new url.
    #[test]
    fn redirect_advice_only_for_same_host_or_https_upgrade() {
        let fix = |from: &str, to: &str| {
            let mut e = wrong_base_url(from, to);
            e.status = Some(302);
            diagnose_error(&e).fix
        };
        assert!(fix("http://jira.corp/x", "https://jira.corp/jira")
            .contains("`https://jira.corp/jira`"));
        assert!(fix("https://jira.corp", "https://jira.corp/jira/")
            .contains("`https://jira.corp/jira`"));
        for evil in [
            "https://evil.example/jira",
            "http://jira.corp.evil.example/",
            "http://jira.corp/",
        ] {
            let f = fix("https://jira.corp/jira", evil);
            assert!(!f.contains('`') && !f.contains(evil), "{evil}: {f}");
        }
    }

    #[test]
    fn every_error_kind_is_explained() {
        let kinds = vec![
            ErrorKind::Dns {
                host: "h".into(),
                message: "m".into(),
            },
            ErrorKind::ConnectionRefused {
                addr: "h:1".into(),
                message: "m".into(),
            },
            ErrorKind::Timeout { secs: 3 },
            ErrorKind::TlsUntrusted {
                issuer: Some("CN=Corp CA".into()),
                message: "m".into(),
            },
            ErrorKind::Tls {
                message: "m".into(),
            },
            ErrorKind::Transport {
                message: "m".into(),
            },
            ErrorKind::SsoRedirect {
                location: "https://idp/x".into(),
            },
            ErrorKind::WrongBaseUrl {
                location: "https://h/jira".into(),
            },
            ErrorKind::Html {
                title: Some("t".into()),
                login_page: true,
            },
            ErrorKind::Html {
                title: None,
                login_page: false,
            },
            ErrorKind::NotJira { detail: "d".into() },
            ErrorKind::AuthFailed {
                auth_kind: "basic",
                login_reason: None,
                message: None,
            },
            ErrorKind::AuthFailed {
                auth_kind: "pat",
                login_reason: None,
                message: None,
            },
            ErrorKind::AuthFailed {
                auth_kind: "cloud-token",
                login_reason: None,
                message: None,
            },
            ErrorKind::AuthFailed {
                auth_kind: "none",
                login_reason: None,
                message: None,
            },
            ErrorKind::Captcha { login_url: None },
            ErrorKind::AnonymousFallback {
                auth_kind: "oauth1",
            },
            ErrorKind::BasicAuthDisabled {
                message: "m".into(),
            },
            ErrorKind::Forbidden { message: None },
            ErrorKind::NotFound {
                message: None,
                title: None,
            },
            ErrorKind::RateLimited {
                retry_after_secs: Some(30),
                attempts: 5,
            },
            ErrorKind::ServerError {
                attempts: 5,
                message: None,
            },
            ErrorKind::UnexpectedStatus { message: None },
            ErrorKind::TooLarge { limit: 10 },
            ErrorKind::Decode {
                message: "m".into(),
                snippet: "s".into(),
            },
            ErrorKind::OAuth {
                problem: problem("signature_invalid"),
                our_base_string: None,
                clock_skew_secs: None,
            },
            ErrorKind::Config {
                message: "m".into(),
            },
            ErrorKind::Cancelled,
        ];
        for k in kinds {
            let e = JiraError::new(k.clone(), "GET", "https://h/jira/rest/api/2/myself");
            let d = e.diagnose();
            assert_eq!(d.code, e.code());
            assert!(!d.summary.is_empty() && !d.detail.is_empty(), "{k:?}");
            if k != ErrorKind::Cancelled {
                assert!(!d.fix.is_empty(), "{k:?}");
            }
        }
    }

    #[test]
    fn messages_ending_in_a_period_are_not_doubled() {
        let m = || Some("Jira said no.".to_string());
        let kinds = vec![
            ErrorKind::AuthFailed {
                auth_kind: "basic",
                login_reason: Some("AUTHENTICATED_FAILED".into()),
                message: m(),
            },
            ErrorKind::ServerError {
                attempts: 1,
                message: m(),
            },
            ErrorKind::Forbidden { message: m() },
            ErrorKind::UnexpectedStatus { message: m() },
            ErrorKind::NotFound {
                message: m(),
                title: None,
            },
            ErrorKind::BasicAuthDisabled {
                message: "Jira said no.".into(),
            },
        ];
        for k in kinds {
            let d = JiraError::new(k.clone(), "GET", "https://h/rest/api/2/myself").diagnose();
            for t in [&d.summary, &d.detail, &d.fix] {
                assert!(!t.contains(".."), "{k:?}: {t}");
            }
            assert!(d.detail.contains("Jira said no."), "{k:?}: {}", d.detail);
        }
        let d = JiraError::new(
            ErrorKind::ServerError {
                attempts: 1,
                message: None,
            },
            "GET",
            "https://h/x",
        )
        .diagnose();
        assert!(d.detail.contains("after 1 attempt."), "{}", d.detail);
    }

    #[test]
    fn oauth_problems_map_to_codes() {
        let cases = [
            ("consumer_key_unknown", Code::OauthConsumerUnknown),
            ("signature_invalid", Code::OauthSignatureInvalid),
            ("timestamp_refused", Code::OauthTimestampRefused),
            ("nonce_used", Code::OauthNonceUsed),
            ("token_rejected", Code::OauthTokenRejected),
            ("token_expired", Code::OauthTokenExpired),
            ("permission_unknown", Code::OauthPermissionUnknown),
            ("permission_denied", Code::OauthPermissionDenied),
            (
                "signature_method_rejected",
                Code::OauthSignatureMethodRejected,
            ),
            ("parameter_absent", Code::OauthParameterAbsent),
            ("verifier_invalid", Code::OauthVerifierInvalid),
            ("something_new", Code::OauthProblem),
        ];
        for (p, c) in cases {
            assert_eq!(oauth_code(p), c, "{p}");
            let e = JiraError::new(
                ErrorKind::OAuth {
                    problem: problem(p),
                    our_base_string: None,
                    clock_skew_secs: None,
                },
                "GET",
                "u",
            );
            let d = e.diagnose();
            assert_eq!(d.code, c);
            assert!(d.detail.contains(p), "{d}");
            assert!(!d.fix.is_empty());
        }
    }

    #[test]
    fn clock_skew_thresholds() {
        assert!(clock_skew(60).is_none());
        assert!(clock_skew(-60).is_none());
        assert!(!clock_skew(61).unwrap().is_error());
        assert!(clock_skew(-301).unwrap().is_error());
        assert!(clock_skew(-301).unwrap().summary.contains("behind"));
    }

    #[test]
    fn as_str_matches_serde() {
        for c in Code::ALL {
            assert_eq!(
                serde_json::to_value(c).unwrap(),
                serde_json::Value::String(c.as_str().to_string())
            );
        }
    }
}
