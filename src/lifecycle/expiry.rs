//! Credential age and expiry per connection, from where Jira tells it or the config records it:
//! PATs from Jira's token list (`GET /rest/pat/latest/tokens`, DC 8.14+), OAuth 1.0a tokens from
//! `token_expires_at` (`oauth_expires_in` kept at authorization), Cloud API tokens from the
//! `expires_at` the user entered (tokens created since 15 Dec 2024 live at most a year:
//! Atlassian "Manage API tokens for your Atlassian account"). OAuth 2.0 connections plug in
//! through [`recorded_expiry`] once their refresh state is stored in the config.

use crate::config::{AuthKind, Connection};
use crate::jira::pat::{self, PatInfo};
use crate::jira::{Code, Diagnosis, JiraClient};
use serde::Serialize;
use time::OffsetDateTime;

/// The most a Cloud API token lives (Atlassian, tokens created since 15 Dec 2024).
pub const CLOUD_TOKEN_MAX_DAYS: i64 = 365;

/// Where an expiry date came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpirySource {
    /// Jira's own list (PATs).
    Jira,
    /// The config (`expires_at`, `token_expires_at`).
    Config,
}

/// What is known about a connection's credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialInfo {
    /// `pat`, `cloud-token`, `oauth1`, `oauth2`, `oauth2-client-credentials`.
    pub kind: &'static str,
    /// The PAT's name in Jira.
    pub name: Option<String>,
    /// The PAT's id in Jira.
    pub id: Option<u64>,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    /// When it stops working; `None` = never, or not known (see `note`).
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// Where `expires_at` came from.
    pub source: Option<ExpirySource>,
    /// What could not be determined, in words.
    pub note: Option<String>,
}

impl CredentialInfo {
    fn new(kind: &'static str) -> Self {
        CredentialInfo {
            kind,
            name: None,
            id: None,
            created_at: None,
            expires_at: None,
            source: None,
            note: None,
        }
    }

    /// `expires_at` as RFC 3339 (what JSON carries).
    pub fn expires_at_text(&self) -> Option<String> {
        self.expires_at.and_then(rfc3339)
    }

    /// One line for a table: "expires 2027-01-31 (in 58 days)", "never expires", "expiry unknown".
    pub fn summary(&self, now: OffsetDateTime) -> String {
        match self.expires_at {
            Some(e) => {
                let days = days_left(e - now);
                let date = e.date();
                if e <= now {
                    format!("expired {date}")
                } else {
                    format!(
                        "expires {date} (in {days} day{})",
                        if days == 1 { "" } else { "s" }
                    )
                }
            }
            None if self.note.is_none() => "never expires".into(),
            None if self.kind.starts_with("oauth2") => "renewed automatically".into(),
            None => "expiry unknown".into(),
        }
    }
}

/// Whole days left, rounded up (3 days minus a few seconds is "3 days", not 2).
fn days_left(left: time::Duration) -> i64 {
    (left.whole_seconds() + 86_399).div_euclid(86_400)
}

fn rfc3339(t: OffsetDateTime) -> Option<String> {
    t.format(&time::format_description::well_known::Rfc3339)
        .ok()
}

/// The expiry the config records for this connection (Cloud API token, PAT, OAuth token).
pub fn recorded_expiry(conn: &Connection) -> Option<OffsetDateTime> {
    match conn.auth {
        AuthKind::Oauth1 => conn.token_expiry(),
        _ => conn
            .expires_at
            .as_deref()
            .and_then(crate::config::parse_expiry),
    }
}

/// Pick this connection's token out of Jira's list: by the recorded `token_id`, else the only
/// token there is. Jira never lists the secret, so with several tokens and no id the answer is
/// honestly "unknown".
pub fn pick_token<'a>(conn: &Connection, tokens: &'a [PatInfo]) -> Result<&'a PatInfo, String> {
    if let Some(id) = conn.token_id {
        return tokens.iter().find(|t| t.id == id).ok_or_else(|| {
            format!("token_id {id} is not in Jira's list of this user's tokens (revoked?)")
        });
    }
    match tokens {
        [one] => Ok(one),
        [] => Err("Jira lists no token for this user".into()),
        many => Err(format!(
            "the user has {} tokens and Jira never says which one is in use; record it with `token_id` (`connections rotate` does)",
            many.len()
        )),
    }
}

/// What is known about `conn`'s credential, asking Jira where it can tell (PATs).
pub async fn credential_info(conn: &Connection, client: &JiraClient) -> Option<CredentialInfo> {
    match conn.auth {
        AuthKind::Pat => {
            let mut info = CredentialInfo::new("pat");
            match pat::list(client).await {
                Ok(tokens) => match pick_token(conn, &tokens) {
                    Ok(t) => {
                        info.name = Some(t.name.clone());
                        info.id = Some(t.id);
                        info.created_at = t.created_at;
                        info.expires_at = t.expires_at;
                        info.source = Some(ExpirySource::Jira);
                    }
                    Err(why) => info.note = Some(why),
                },
                Err(e) => {
                    info.note = Some(format!(
                        "Jira's token list is not available ({}); PATs need Jira DC 8.14+",
                        e.diagnose().summary
                    ))
                }
            }
            if info.expires_at.is_none() {
                if let Some(e) = recorded_expiry(conn) {
                    info.expires_at = Some(e);
                    info.source = Some(ExpirySource::Config);
                }
            }
            Some(info)
        }
        AuthKind::CloudToken => {
            let mut info = CredentialInfo::new("cloud-token");
            match recorded_expiry(conn) {
                Some(e) => {
                    info.expires_at = Some(e);
                    info.source = Some(ExpirySource::Config);
                }
                None => {
                    info.note = Some(format!(
                        "expiry not recorded; Cloud API tokens created since 15 Dec 2024 expire within {CLOUD_TOKEN_MAX_DAYS} days: add `expires_at = \"YYYY-MM-DD\"` (shown at id.atlassian.com > Security > API tokens)"
                    ))
                }
            }
            Some(info)
        }
        AuthKind::Oauth1 => {
            let mut info = CredentialInfo::new("oauth1");
            match recorded_expiry(conn) {
                Some(e) => {
                    info.expires_at = Some(e);
                    info.source = Some(ExpirySource::Config);
                }
                None if conn.access_token.is_some() => {
                    info.note = Some("Jira did not send oauth_expires_in at authorization".into())
                }
                None => return None,
            }
            Some(info)
        }
        AuthKind::Oauth2 => {
            // The access token is short-lived and renewed with the (rotating) refresh token, so
            // only a connection without a refresh token runs into its expiry.
            let mut info = CredentialInfo::new("oauth2");
            if conn.refresh_token.is_some() {
                info.note = Some(format!(
                    "the access token{} is renewed automatically with the refresh token",
                    conn.token_expiry()
                        .map(|e| format!(" (valid until {})", e.date()))
                        .unwrap_or_default()
                ));
            } else {
                match conn.token_expiry() {
                    Some(e) => {
                        info.expires_at = Some(e);
                        info.source = Some(ExpirySource::Config);
                    }
                    None => info.note = Some("no refresh token and no recorded expiry".into()),
                }
            }
            Some(info)
        }
        AuthKind::Oauth2ClientCredentials => {
            let mut info = CredentialInfo::new("oauth2-client-credentials");
            info.note =
                Some("a new access token is fetched with the client secret when needed".into());
            Some(info)
        }
        AuthKind::Basic => None,
    }
}

/// `credential_expiring` when the credential expires within `warn_days` (or already has).
pub fn expiry_diagnosis(
    conn_name: &str,
    info: &CredentialInfo,
    now: OffsetDateTime,
    warn_days: u64,
) -> Option<Diagnosis> {
    let e = info.expires_at?;
    let left = e - now;
    if left > time::Duration::days(warn_days as i64) {
        return None;
    }
    let what = match info.kind {
        "pat" => format!(
            "Personal Access Token{}",
            info.name
                .as_deref()
                .map(|n| format!(" \"{n}\""))
                .unwrap_or_default()
        ),
        "cloud-token" => "Cloud API token".into(),
        "oauth1" => "OAuth access token".into(),
        "oauth2" => "OAuth 2.0 access token (no refresh token)".into(),
        other => format!("{other} credential"),
    };
    let when = rfc3339(e).unwrap_or_default();
    let summary = if left <= time::Duration::ZERO {
        format!("The {what} expired at {when}")
    } else {
        format!(
            "The {what} expires in {} day(s), at {when}",
            days_left(left)
        )
    };
    let source = match info.source {
        Some(ExpirySource::Jira) => "Jira's token list",
        _ => "the config",
    };
    let fix = match info.kind {
        "pat" => format!("Replace it without an outage: `jiralink connections rotate {conn_name}`."),
        "oauth1" => format!("Authorize again before then: `jiralink connections rotate {conn_name}` (or `jiralink link authorize {conn_name}`)."),
        "oauth2" => format!("Authorize again: `jiralink link authorize {conn_name}`."),
        "cloud-token" => format!("Create a new API token at id.atlassian.com > Security > API tokens, update the connection's token, and record its date: `jiralink connections add {conn_name} … --expires YYYY-MM-DD`."),
        _ => "Replace the credential before it expires.".into(),
    };
    Some(Diagnosis::warning(
        Code::CredentialExpiring,
        summary,
        format!(
            "Connection \"{conn_name}\": {source} says it stops working at {when}; `warn_expiry_days` is {warn_days}."
        ),
        fix,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn pat_info(id: u64, name: &str) -> PatInfo {
        PatInfo {
            id,
            name: name.into(),
            created_at: None,
            expires_at: Some(datetime!(2026-12-07 12:00 UTC)),
            last_used_at: None,
        }
    }

    #[test]
    fn warns_inside_the_window_only() {
        let now = datetime!(2026-12-04 12:00 UTC);
        let mut info = CredentialInfo::new("pat");
        info.expires_at = Some(datetime!(2026-12-07 12:00 UTC));
        info.source = Some(ExpirySource::Jira);
        let d = expiry_diagnosis("alice-pat", &info, now, 14).unwrap();
        assert_eq!(d.code, Code::CredentialExpiring);
        assert!(!d.is_error());
        assert!(d.summary.contains("3 day"), "{d}");
        assert!(d.fix.contains("connections rotate alice-pat"), "{d}");
        assert!(expiry_diagnosis("alice-pat", &info, now, 2).is_none());
        info.expires_at = Some(datetime!(2026-12-01 12:00 UTC));
        assert!(expiry_diagnosis("x", &info, now, 0)
            .unwrap()
            .summary
            .contains("expired"));
        info.expires_at = None;
        assert!(expiry_diagnosis("x", &info, now, 14).is_none());
    }

    #[test]
    fn the_token_in_use_is_the_recorded_one_or_the_only_one() {
        let mut c = Connection::new("p", "https://j.example", AuthKind::Pat);
        let one = [pat_info(7, "a")];
        assert_eq!(pick_token(&c, &one).unwrap().id, 7);
        let two = [pat_info(7, "a"), pat_info(9, "b")];
        assert!(pick_token(&c, &two).unwrap_err().contains("2 tokens"));
        c.token_id = Some(9);
        assert_eq!(pick_token(&c, &two).unwrap().name, "b");
        c.token_id = Some(3);
        assert!(pick_token(&c, &two).unwrap_err().contains("revoked"));
    }

    #[test]
    fn recorded_dates_read_as_end_of_day() {
        let mut c = Connection::new("c", "https://acme.atlassian.net", AuthKind::CloudToken);
        c.expires_at = Some("2027-01-31".into());
        assert_eq!(
            recorded_expiry(&c),
            Some(datetime!(2027-01-31 23:59:59 UTC))
        );
    }
}
