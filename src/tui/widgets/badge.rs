//! The live status badge of a connection (`✓ Jira 9.12.3 as alice`, `✗ CAPTCHA required`, spinner…)
//! and the one table that turns a diagnosis code into short badge text.

use crate::check::{CheckResult, StepStatus};
use crate::jira::{Code, Diagnosis};
use crate::tui::theme::Theme;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// What we know about one connection right now.
#[derive(Debug, Clone, Default)]
pub enum CheckState {
    /// Not checked yet.
    #[default]
    Unknown,
    /// A check is running.
    Checking,
    /// The check ran.
    Done(Box<CheckResult>),
    /// The check could not run (secret unavailable, timed out).
    Failed(String),
    /// An OAuth connection with no access token yet: nothing to check until it is linked.
    NotLinked,
}

/// What an unlinked OAuth connection shows instead of a check result.
pub const NOT_LINKED: &str = "not linked yet — open the Link wizard (2)";

/// How a state is judged, for symbol and style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Works.
    Ok,
    /// Works with a warning.
    Warn,
    /// Does not work.
    Fail,
    /// In progress.
    Busy,
    /// Not known.
    Unknown,
}

/// Short badge text for a diagnosis code (the long explanation lives in the `Diagnosis`).
pub fn short_text(code: Code) -> &'static str {
    match code {
        Code::DnsFailed => "host not found",
        Code::ConnectionRefused => "connection refused",
        Code::Timeout => "timed out",
        Code::TlsUntrusted => "TLS certificate untrusted",
        Code::TlsError => "TLS error",
        Code::InsecureTls => "TLS verification off",
        Code::NotJira => "not a Jira server",
        Code::WrongBaseUrl => "wrong base URL",
        Code::BaseUrlMismatch => "base URL mismatch",
        Code::HtmlInsteadOfJson => "HTML instead of JSON",
        Code::SsoRedirect => "redirected to SSO",
        Code::AuthFailed => "login failed",
        Code::CaptchaRequired => "CAPTCHA required",
        Code::AnonymousFallback => "treated as anonymous",
        Code::TokenRejected => "token rejected",
        Code::BasicAuthDisabled => "basic auth disabled",
        Code::Forbidden => "forbidden",
        Code::NotFound => "not found",
        Code::RateLimited => "rate limited",
        Code::ServerError => "server error",
        Code::ClockSkew => "clock off",
        Code::ResponseTooLarge => "response too large",
        Code::InvalidResponse => "invalid response",
        Code::OauthConsumerUnknown => "OAuth consumer unknown",
        Code::OauthSignatureInvalid => "OAuth signature invalid",
        Code::OauthTimestampRefused => "OAuth timestamp refused",
        Code::OauthNonceUsed => "OAuth nonce reused",
        Code::OauthTokenRejected => "OAuth token rejected",
        Code::OauthTokenExpired => "OAuth token expired",
        Code::OauthPermissionUnknown => "OAuth permission unknown",
        Code::OauthPermissionDenied => "OAuth access denied",
        Code::OauthSignatureMethodRejected => "OAuth method rejected",
        Code::OauthParameterAbsent => "OAuth parameter missing",
        Code::OauthVerifierInvalid => "OAuth verifier invalid",
        Code::OauthCallbackSet => "OAuth callback set",
        Code::OauthProblem => "OAuth problem",
        Code::Oauth2InvalidClient => "OAuth 2.0 client rejected",
        Code::Oauth2InvalidGrant => "OAuth 2.0 grant refused",
        Code::Oauth2AccessDenied => "OAuth 2.0 access denied",
        Code::Oauth2InsufficientScope => "OAuth 2.0 scope too small",
        Code::Oauth2HttpsRequired => "OAuth 2.0 needs HTTPS",
        Code::Oauth2StateMismatch => "OAuth 2.0 state mismatch",
        Code::Oauth2NotSupported => "OAuth 2.0 not supported",
        Code::ConfigError => "config error",
        Code::SecretUnavailable => "secret unavailable",
        Code::KeyError => "key error",
        Code::ApplinkConflict => "link conflict",
        Code::Cancelled => "cancelled",
        Code::Other => "failed",
        Code::CredentialExpiring => "credential expiring",
        Code::ClientCertMissing => "client cert required",
        Code::ClientCertRejected => "client cert refused",
        Code::CloudScopedTokenWrongHost => "scoped token: wrong host",
        Code::ApplinkOauthNoConsumer => "link without consumer",
    }
}

/// Badge text for one diagnosis; clock skew says by how much.
fn diagnosis_text(d: &Diagnosis, skew_secs: Option<i64>) -> String {
    match (d.code, skew_secs) {
        (Code::ClockSkew, Some(s)) => {
            let abs = s.unsigned_abs();
            if abs >= 60 {
                format!("clock {} min off", abs / 60)
            } else {
                format!("clock {abs} s off")
            }
        }
        (code, _) => short_text(code).to_string(),
    }
}

/// Judge a state.
pub fn verdict(state: &CheckState) -> Verdict {
    match state {
        CheckState::Unknown | CheckState::NotLinked => Verdict::Unknown,
        CheckState::Checking => Verdict::Busy,
        CheckState::Failed(_) => Verdict::Fail,
        CheckState::Done(r) if !r.ok => Verdict::Fail,
        CheckState::Done(r) => {
            let warned =
                r.diagnosis.as_ref().is_some_and(|d| !d.is_error()) || !r.warnings.is_empty();
            if warned {
                Verdict::Warn
            } else {
                Verdict::Ok
            }
        }
    }
}

/// The badge text without the symbol.
pub fn badge_text(state: &CheckState) -> String {
    match state {
        CheckState::Unknown => "not checked yet".into(),
        CheckState::NotLinked => NOT_LINKED.into(),
        CheckState::Checking => "checking…".into(),
        CheckState::Failed(msg) => msg.clone(),
        CheckState::Done(r) => {
            let warning = r
                .diagnosis
                .as_ref()
                .filter(|d| !d.is_error())
                .or_else(|| r.warnings.first());
            match (&r.diagnosis, r.ok) {
                (Some(d), false) => diagnosis_text(d, r.clock_skew_secs),
                (None, false) => "failed".into(),
                (_, true) => {
                    if let Some(w) = warning {
                        // An expiring credential says when, at a glance ("expires … (in 3 days)").
                        if w.code == Code::CredentialExpiring {
                            if let Some(c) = &r.credential {
                                return c.summary(time::OffsetDateTime::now_utc());
                            }
                        }
                        return diagnosis_text(w, r.clock_skew_secs);
                    }
                    let version = r
                        .server
                        .as_ref()
                        .and_then(|s| s.version.as_deref())
                        .map(|v| format!("Jira {v}"))
                        .unwrap_or_else(|| "Jira".into());
                    match &r.user {
                        Some(u) => format!("{version} as {u}"),
                        None => version,
                    }
                }
            }
        }
    }
}

/// Symbol and style for a verdict.
pub fn symbol(theme: &Theme, v: Verdict, spinner_frame: usize) -> (&'static str, Style) {
    match v {
        Verdict::Ok => (theme.sym_ok(), theme.ok()),
        Verdict::Warn => (theme.sym_warn(), theme.warn()),
        Verdict::Fail => (theme.sym_fail(), theme.error()),
        Verdict::Busy => (theme.spinner(spinner_frame), theme.busy()),
        Verdict::Unknown => (theme.sym_unknown(), theme.dim()),
    }
}

/// Symbol and style for one step of the check chain.
pub fn step_symbol(theme: &Theme, s: StepStatus) -> (&'static str, Style) {
    match s {
        StepStatus::Ok => (theme.sym_ok(), theme.ok()),
        StepStatus::Warn => (theme.sym_warn(), theme.warn()),
        StepStatus::Fail => (theme.sym_fail(), theme.error()),
        StepStatus::Skipped => (theme.sym_unknown(), theme.dim()),
    }
}

/// The whole badge as a line: symbol, space, text. While `rechecking`, the last known text stays
/// (so a periodic refresh does not blank every badge) and the spinner replaces the symbol.
pub fn badge_line(
    theme: &Theme,
    state: &CheckState,
    rechecking: bool,
    spinner_frame: usize,
) -> Line<'static> {
    let (mut sym, mut style) = symbol(theme, verdict(state), spinner_frame);
    if rechecking {
        (sym, style) = symbol(theme, Verdict::Busy, spinner_frame);
    }
    Line::from(vec![
        Span::styled(sym, style),
        Span::raw(" "),
        Span::styled(theme.text(&badge_text(state)), style),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::ServerSummary;

    fn result(ok: bool, diagnosis: Option<Diagnosis>, skew: Option<i64>) -> CheckResult {
        CheckResult {
            name: "prod".into(),
            url: "https://jira.example.com".into(),
            ok,
            server: Some(ServerSummary {
                version: Some("9.12.3".into()),
                deployment_type: Some("Server".into()),
                title: None,
            }),
            user: Some("alice".into()),
            clock_skew_secs: skew,
            expires_at: None,
            credential: None,
            diagnosis,
            warnings: vec![],
            steps: vec![],
        }
    }

    #[test]
    fn badges_read_like_the_spec() {
        let ok = CheckState::Done(Box::new(result(true, None, None)));
        assert_eq!(badge_text(&ok), "Jira 9.12.3 as alice");
        assert_eq!(verdict(&ok), Verdict::Ok);

        let captcha = Diagnosis::error(Code::CaptchaRequired, "s", "d", "f");
        let bad = CheckState::Done(Box::new(result(false, Some(captcha), None)));
        assert_eq!(badge_text(&bad), "CAPTCHA required");
        assert_eq!(verdict(&bad), Verdict::Fail);

        let skew = Diagnosis::warning(Code::ClockSkew, "s", "d", "f");
        let warn = CheckState::Done(Box::new(result(true, Some(skew), Some(-360))));
        assert_eq!(badge_text(&warn), "clock 6 min off");
        assert_eq!(verdict(&warn), Verdict::Warn);
    }

    #[test]
    fn every_code_has_short_text() {
        for c in Code::ALL {
            assert!(!short_text(*c).is_empty());
            assert!(short_text(*c).len() <= 26, "{c} badge too long");
        }
    }
}
