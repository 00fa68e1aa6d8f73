//! Personal Access Tokens through Jira DC's REST API (8.14+): list the caller's tokens with their
//! creation and expiry dates, create one (the secret is answered once), revoke one.
//! `GET/POST /rest/pat/latest/tokens`, `DELETE /rest/pat/latest/tokens/{id}` (Atlassian "Using
//! Personal Access Tokens"; ../shared/reference/jira-answers.md, "Personal Access Tokens").

use super::{JiraClient, JiraError};
use crate::secret::SecretString;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The REST path of the caller's tokens.
pub const TOKENS_PATH: &str = "/rest/pat/latest/tokens";

/// One token as Jira lists it (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatInfo {
    /// Numeric id (what revoking takes).
    pub id: u64,
    /// The name the user gave it.
    pub name: String,
    /// When it was created (RFC 3339).
    #[serde(with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    /// When it stops working; `None` = never.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// Last authenticated use, when Jira reports it.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
}

/// A freshly created token: its listing and the secret, which Jira never shows again.
pub struct CreatedPat {
    /// The listing.
    pub info: PatInfo,
    /// The token itself.
    pub raw: SecretString,
}

impl std::fmt::Debug for CreatedPat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedPat")
            .field("info", &self.info)
            .field("raw", &"<redacted>")
            .finish()
    }
}

/// Jira's answer, read tolerantly: ids may come as numbers or strings, dates in Jira's
/// `2021-03-19T09:08:55.519+0000` form or RFC 3339 (public clients show both).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    id: serde_json::Value,
    #[serde(default)]
    name: String,
    created_at: Option<String>,
    expiring_at: Option<String>,
    last_accessed_at: Option<String>,
    raw_token: Option<String>,
}

/// Parse a Jira REST date (`…+0000`, `…Z`, `…+01:00`, with or without milliseconds).
pub fn parse_jira_date(text: &str) -> Option<OffsetDateTime> {
    use time::format_description::well_known::Rfc3339;
    let t = text.trim();
    if let Ok(d) = OffsetDateTime::parse(t, &Rfc3339) {
        return Some(d);
    }
    // `+0000` → `+00:00` so the RFC 3339 reader takes it.
    let (head, tail) = t.split_at(t.len().checked_sub(5)?);
    if (tail.starts_with('+') || tail.starts_with('-'))
        && tail[1..].bytes().all(|b| b.is_ascii_digit())
    {
        let fixed = format!("{head}{}:{}", &tail[..3], &tail[3..]);
        return OffsetDateTime::parse(&fixed, &Rfc3339).ok();
    }
    None
}

impl Wire {
    fn info(&self) -> Option<PatInfo> {
        let id = match &self.id {
            serde_json::Value::Number(n) => n.as_u64()?,
            serde_json::Value::String(s) => s.parse().ok()?,
            _ => return None,
        };
        let date = |s: &Option<String>| s.as_deref().and_then(parse_jira_date);
        Some(PatInfo {
            id,
            name: self.name.clone(),
            created_at: date(&self.created_at),
            expires_at: date(&self.expiring_at),
            last_used_at: date(&self.last_accessed_at),
        })
    }
}

fn invalid(what: &str) -> JiraError {
    JiraError::new(
        super::ErrorKind::Decode {
            message: what.to_owned(),
            snippet: String::new(),
        },
        "GET",
        TOKENS_PATH,
    )
}

/// The caller's tokens.
pub async fn list(client: &JiraClient) -> Result<Vec<PatInfo>, JiraError> {
    let wire: Vec<Wire> = client.get_json(TOKENS_PATH, &[]).await?;
    wire.iter()
        .map(|w| {
            w.info()
                .ok_or_else(|| invalid("a token in the list has no numeric id"))
        })
        .collect()
}

/// Create a token named `name` living `days` days.
pub async fn create(client: &JiraClient, name: &str, days: u32) -> Result<CreatedPat, JiraError> {
    let body = serde_json::json!({"name": name, "expirationDuration": days});
    let w: Wire = client.send_json(Method::POST, TOKENS_PATH, &body).await?;
    let info = w
        .info()
        .ok_or_else(|| invalid("the created token has no numeric id"))?;
    let raw = w
        .raw_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| invalid("Jira created a token but did not answer its rawToken"))?;
    Ok(CreatedPat {
        info,
        raw: SecretString::from(raw),
    })
}

/// Revoke token `id`.
pub async fn revoke(client: &JiraClient, id: u64) -> Result<(), JiraError> {
    client.delete(&format!("{TOKENS_PATH}/{id}")).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jira_dates_in_both_forms() {
        let a = parse_jira_date("2021-03-19T09:08:55.519+0000").unwrap();
        let b = parse_jira_date("2021-03-19T09:08:55.519Z").unwrap();
        assert_eq!(a, b);
        let c = parse_jira_date("2021-03-19T10:08:55.519+0100").unwrap();
        assert_eq!(a, c);
        assert!(parse_jira_date("yesterday").is_none());
        assert!(parse_jira_date("").is_none());
    }
}
