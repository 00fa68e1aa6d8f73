//! Every failure becomes a [`Diagnosis`]: a stable snake_case code, what happened, why, and the fix.
//! The TUI and the headless commands show the same diagnoses, built here and nowhere else.

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
    ConfigError,
    SecretUnavailable,
    KeyError,
    Cancelled,
    Other,
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
        Code::ConfigError,
        Code::SecretUnavailable,
        Code::KeyError,
        Code::Cancelled,
        Code::Other,
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
            Code::ConfigError => "config_error",
            Code::SecretUnavailable => "secret_unavailable",
            Code::KeyError => "key_error",
            Code::Cancelled => "cancelled",
            Code::Other => "other",
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

#[cfg(test)]
mod tests {
    use super::*;

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
