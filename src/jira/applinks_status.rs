//! Reading the application links of a Jira with an admin connection: the list
//! (`GET /rest/applinks/3.0/applinks`, a bare array), each link's health
//! (`GET /rest/applinks/3.0/status/{id}`: `working`, else an `error` with a category) and the
//! incoming OAuth 1.0a consumer (`GET /rest/applinks-oauth/1.0/applicationlink/{id}/authentication/consumer`).
//! Sources: Atlassian KB "How to fetch application link status through REST API";
//! ../shared/reference/jira-answers.md, "Application links". Field names beyond `id` and
//! `working` are read tolerantly (`type` or `typeId`), and an unknown error category is kept
//! verbatim rather than guessed at.

use super::{JiraClient, JiraError};
use serde::{Deserialize, Serialize};

/// The V3 list of every application link.
pub const LIST_PATH: &str = "/rest/applinks/3.0/applinks";

/// One application link as Jira lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppLinkInfo {
    /// The link's id (a UUID).
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// The application type (`jira`, `confluence`, `stash`, `bamboo`, `generic`, …).
    #[serde(default, alias = "typeId")]
    pub r#type: String,
    /// The URL users see.
    #[serde(default)]
    pub display_url: String,
    /// The URL Jira calls.
    #[serde(default)]
    pub rpc_url: String,
}

/// What the status resource says about the health of a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// `working: true`.
    Working,
    /// The link's own configuration is wrong (`CONFIG_ERROR`).
    ConfigError,
    /// The remote application cannot be reached (`NETWORK_ERROR`).
    NetworkError,
    /// Reached, but authentication or permission is refused (`ACCESS_ERROR`).
    AccessDenied,
    /// Jira cannot check this kind of link (`INCOMPATIBLE`, e.g. a Generic Application).
    NotCheckable,
    /// Another category (kept in [`LinkStatus::category`]).
    Other,
}

impl Health {
    /// Words for a table.
    pub fn label(self) -> &'static str {
        match self {
            Health::Working => "working",
            Health::ConfigError => "config error",
            Health::NetworkError => "network error",
            Health::AccessDenied => "access denied",
            Health::NotCheckable => "not checkable",
            Health::Other => "error",
        }
    }
}

/// OAuth 1.0a switched on for one direction of a link.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthDirection {
    /// OAuth 1.0a (three-legged) enabled.
    #[serde(default)]
    pub enabled: bool,
    /// Two-legged OAuth enabled.
    #[serde(default)]
    pub two_lo_enabled: bool,
    /// Two-legged OAuth with impersonation enabled.
    #[serde(default)]
    pub two_lo_impersonation_enabled: bool,
}

/// The status resource's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkStatus {
    /// Classified health.
    pub health: Health,
    /// The error category as Jira named it (`NETWORK_ERROR`, …).
    pub category: Option<String>,
    /// The error type (`CONNECTION_REFUSED`, `AUTH_LEVEL_MISMATCH`, …).
    pub error_type: Option<String>,
    /// Jira's details text, when any.
    pub details: Option<String>,
    /// Incoming OAuth 1.0a (other apps calling this Jira).
    pub incoming: Option<OAuthDirection>,
    /// Outgoing OAuth 1.0a (this Jira calling the other app).
    pub outgoing: Option<OAuthDirection>,
}

#[derive(Debug, Deserialize)]
struct WireError {
    category: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    details: Option<String>,
}

#[derive(Debug, Deserialize)]
struct WireAuth {
    incoming: Option<OAuthDirection>,
    outgoing: Option<OAuthDirection>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireStatus {
    working: bool,
    error: Option<WireError>,
    local_authentication: Option<WireAuth>,
}

/// Map an error category to a health value.
pub fn classify(category: Option<&str>) -> Health {
    match category.map(str::to_ascii_uppercase).as_deref() {
        Some("CONFIG_ERROR") => Health::ConfigError,
        Some("NETWORK_ERROR") => Health::NetworkError,
        Some("ACCESS_ERROR") => Health::AccessDenied,
        Some("INCOMPATIBLE") => Health::NotCheckable,
        _ => Health::Other,
    }
}

/// Every application link.
pub async fn list_links(admin: &JiraClient) -> Result<Vec<AppLinkInfo>, JiraError> {
    admin.get_json(LIST_PATH, &[]).await
}

/// The health of link `id`.
pub async fn link_status(admin: &JiraClient, id: &str) -> Result<LinkStatus, JiraError> {
    let w: WireStatus = admin
        .get_json(&format!("/rest/applinks/3.0/status/{id}"), &[])
        .await?;
    let health = if w.working {
        Health::Working
    } else {
        classify(w.error.as_ref().and_then(|e| e.category.as_deref()))
    };
    let (incoming, outgoing) = match w.local_authentication {
        Some(a) => (a.incoming, a.outgoing),
        None => (None, None),
    };
    let err = w.error.unwrap_or(WireError {
        category: None,
        kind: None,
        details: None,
    });
    Ok(LinkStatus {
        health,
        category: err.category,
        error_type: err.kind,
        details: err.details.filter(|d| !d.trim().is_empty()),
        incoming,
        outgoing,
    })
}

/// The incoming OAuth 1.0a consumer key of link `id`; `None` when the link has none (404). The
/// consumer GET answers `{"consumers":[{key, …}]}` (read by [`super::applinks::link_consumers`]).
pub async fn incoming_consumer(admin: &JiraClient, id: &str) -> Result<Option<String>, JiraError> {
    let consumers = super::applinks::link_consumers(admin, id).await?;
    Ok(consumers.into_iter().map(|c| c.key).find(|k| !k.is_empty()))
}

/// Where Jira's OAuth 2.0 provider keeps its clients (the resource whose POST creates one).
pub const OAUTH2_CLIENTS_PATH: &str = "/rest/oauth2/latest/client";

/// One OAuth 2.0 client of Jira's provider: an incoming "External application" link (DC 8.22+)
/// or a Jira 11 service account. The client secret is never read into this struct.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuth2Client {
    /// The client id.
    pub client_id: String,
    /// The link's name.
    #[serde(default)]
    pub name: String,
    /// Registered redirect URLs.
    #[serde(default)]
    pub redirects: Vec<String>,
    /// The scope the link was created with (READ, WRITE, ADMIN, SYSTEM_ADMIN).
    #[serde(default)]
    pub scope: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum WireClients {
    Bare(Vec<OAuth2Client>),
    Paged { values: Vec<OAuth2Client> },
}

/// Every OAuth 2.0 client of the Jira (`GET /rest/oauth2/latest/client`). Only creating one is
/// documented (reference/jira-answers.md); the listing and its shape (the create answer per
/// client, a bare array or a `values` page) are *unconfirmed*, so `Ok(None)` when Jira answers
/// 404 or 405: there is no REST listing here (or no OAuth 2.0 provider, before 8.22), and the
/// links are only visible in Administration > Applications > Application links.
pub async fn list_oauth2_clients(
    admin: &JiraClient,
) -> Result<Option<Vec<OAuth2Client>>, JiraError> {
    match admin
        .get_json::<WireClients>(OAUTH2_CLIENTS_PATH, &[])
        .await
    {
        Ok(WireClients::Bare(v) | WireClients::Paged { values: v }) => Ok(Some(v)),
        Err(e) if matches!(e.status(), Some(404 | 405)) => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_map_to_health() {
        assert_eq!(classify(Some("NETWORK_ERROR")), Health::NetworkError);
        assert_eq!(classify(Some("config_error")), Health::ConfigError);
        assert_eq!(classify(Some("ACCESS_ERROR")), Health::AccessDenied);
        assert_eq!(classify(Some("SOMETHING_NEW")), Health::Other);
        assert_eq!(classify(None), Health::Other);
    }

    #[test]
    fn oauth2_clients_are_read_without_their_secret() {
        let body = r#"[{"id":"a1","clientId":"a1","clientSecret":"s3cr3t","name":"CI","redirects":["https://ci/cb"],"scope":"WRITE"}]"#;
        let WireClients::Bare(v) = serde_json::from_str(body).unwrap() else {
            panic!("bare array")
        };
        assert_eq!(v[0].client_id, "a1");
        assert_eq!(v[0].redirects, vec!["https://ci/cb".to_string()]);
        assert!(!format!("{v:?}").contains("s3cr3t"));
        let paged: WireClients = serde_json::from_str(r#"{"values":[{"clientId":"b"}]}"#).unwrap();
        assert!(matches!(paged, WireClients::Paged { values } if values[0].client_id == "b"));
    }

    #[test]
    fn list_entries_read_type_or_type_id() {
        let a: AppLinkInfo =
            serde_json::from_str(r#"{"id":"x","name":"C","type":"confluence"}"#).unwrap();
        let b: AppLinkInfo =
            serde_json::from_str(r#"{"id":"x","name":"C","typeId":"confluence"}"#).unwrap();
        assert_eq!(a, b);
    }
}
