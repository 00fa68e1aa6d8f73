//! The inventory of a Jira's application links, as an admin sees it: every link with its type
//! and URL, its health from Jira's status resource, its OAuth 1.0a configuration and incoming
//! consumer (flagged when OAuth is on and no consumer is registered), the jiralink connections
//! that use it, the links to migrate to OAuth 2.0, and the OAuth 2.0 incoming links (clients of
//! Jira's OAuth 2.0 provider) matched to `auth = "oauth2"` connections by client id.

use crate::config::{AuthKind, Connection};
use crate::jira::applinks_status::{self, AppLinkInfo, Health, LinkStatus, OAuth2Client};
use crate::jira::{Code, Diagnosis, JiraClient};
use serde::Serialize;

/// Why and how to move an OAuth 1.0a incoming link to OAuth 2.0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Migration {
    /// Why.
    pub reason: String,
    /// What to do, in order.
    pub steps: Vec<String>,
}

/// One application link and what is known about it.
#[derive(Debug, Clone, Serialize)]
pub struct LinkRow {
    /// The link as Jira lists it.
    pub link: AppLinkInfo,
    /// Its health; `None` when the status could not be read (see `status_error`).
    pub status: Option<LinkStatus>,
    /// Why the status could not be read.
    pub status_error: Option<Diagnosis>,
    /// The incoming OAuth 1.0a consumer key, when one is registered.
    pub consumer_key: Option<String>,
    /// jiralink connections that authenticate through this link (by consumer key).
    pub connections: Vec<String>,
    /// Set for links with incoming OAuth 1.0a.
    pub migrate_to_oauth2: Option<Migration>,
    /// Set when incoming OAuth 1.0a is on but no consumer is registered
    /// (`applink_oauth_no_consumer`).
    pub missing_consumer: Option<Diagnosis>,
}

impl LinkRow {
    /// The health in words ("working", "network error", "unknown").
    pub fn health_label(&self) -> &'static str {
        self.status
            .as_ref()
            .map(|s| s.health.label())
            .unwrap_or("unknown")
    }

    /// True when the link is healthy and nothing about it is flagged (no missing consumer).
    pub fn is_sound(&self) -> bool {
        self.is_healthy() && self.missing_consumer.is_none()
    }

    /// True when Jira says the link works (or cannot check it, for a Generic Application).
    pub fn is_healthy(&self) -> bool {
        self.status
            .as_ref()
            .is_some_and(|s| matches!(s.health, Health::Working | Health::NotCheckable))
    }

    /// Incoming / outgoing authentication in words ("OAuth 1.0a", "OAuth 1.0a (2LO)", "-").
    pub fn auth_words(&self) -> (String, String) {
        let word = |d: Option<applinks_status::OAuthDirection>| match d {
            Some(d) if d.enabled && d.two_lo_enabled => "OAuth 1.0a + 2LO".to_string(),
            Some(d) if d.enabled => "OAuth 1.0a".to_string(),
            Some(d) if d.two_lo_enabled => "OAuth 1.0a 2LO".to_string(),
            Some(_) => "none".to_string(),
            None => "?".to_string(),
        };
        let s = self.status.as_ref();
        let mut incoming = word(s.and_then(|s| s.incoming));
        if let Some(k) = &self.consumer_key {
            incoming += &format!(" (consumer {k})");
        }
        (incoming, word(s.and_then(|s| s.outgoing)))
    }
}

/// Every link of one Jira.
#[derive(Debug, Clone, Serialize)]
pub struct Inventory {
    /// The Jira asked (the admin connection's base URL).
    pub jira: String,
    /// The links, in Jira's order.
    pub links: Vec<LinkRow>,
    /// OAuth 1.0a connections to this Jira whose consumer key no link holds.
    pub unmatched_connections: Vec<String>,
    /// OAuth 2.0 incoming links (clients of Jira's OAuth 2.0 provider), when Jira lists them.
    pub oauth2_clients: Vec<OAuth2ClientRow>,
    /// Why no OAuth 2.0 clients are listed (no REST listing, no provider, no permission).
    pub oauth2_note: Option<String>,
    /// OAuth 2.0 connections to this Jira whose client id no listed client holds (only when
    /// Jira listed its clients).
    pub unmatched_oauth2_connections: Vec<String>,
}

/// One OAuth 2.0 incoming link and the connections that use it.
#[derive(Debug, Clone, Serialize)]
pub struct OAuth2ClientRow {
    /// The client as Jira lists it (never its secret).
    pub client: OAuth2Client,
    /// jiralink connections with this `client_id` (`auth = "oauth2"` or
    /// `"oauth2-client-credentials"`).
    pub connections: Vec<String>,
}

/// The flag for a link with incoming OAuth 1.0a on and no consumer.
pub fn missing_consumer(link: &AppLinkInfo) -> Diagnosis {
    Diagnosis::error(
        Code::ApplinkOauthNoConsumer,
        format!("\"{}\" has incoming OAuth 1.0a switched on but no consumer", link.name),
        "Jira accepts OAuth 1.0a calls through a link only from the consumer key registered on it; with none, every call the application makes fails with oauth_problem=consumer_key_unknown.",
        format!("In Jira: Administration > Applications > Application links > \"{}\" > Edit > Incoming authentication: register the application's consumer (key, name, public key) or switch incoming OAuth off if nothing uses the link. For a new integration, prefer an OAuth 2.0 incoming link (`jiralink link create NAME --admin ADMIN`).", link.name),
    )
}

/// Jira Cloud: the connection is of the Cloud flavor, or its URL is the API gateway form
/// (`…/ex/jira/{cloudId}`) or an `atlassian.net` site.
pub fn is_cloud(admin: &JiraClient) -> bool {
    let u = admin.base_url();
    admin.flavor() == crate::jira::Flavor::Cloud
        || u.path().contains("/ex/jira/")
        || u.host_str()
            .is_some_and(|h| h.to_ascii_lowercase().ends_with(".atlassian.net"))
}

/// `links` on Jira Cloud, where the listing answered 404: application links and OAuth 2.0
/// incoming links are Data Center resources; Cloud's published REST API (all the gateway
/// serves) has none.
pub fn cloud_has_no_applinks_api(admin: &JiraClient) -> Diagnosis {
    Diagnosis::error(
        Code::NotFound,
        "Jira Cloud publishes no REST API for application links",
        format!(
            "{} answered 404 to {}: application links and OAuth 2.0 incoming links are Data Center resources; Jira Cloud's published REST API (all that https://api.atlassian.com/ex/jira/{{cloudId}} serves) has no application-link operations, and Cloud OAuth 2.0 apps are registered in the Atlassian developer console, not in Jira.",
            admin.base_url().as_str().trim_end_matches('/'),
            applinks_status::LIST_PATH
        ),
        "See them in Jira Cloud as a site admin: Settings > Products > Application links (links to Data Center products) and Settings > Apps > OAuth credentials (self-hosted tools); Cloud OAuth 2.0 apps at developer.atlassian.com/console/myapps. `jiralink check` and `jiralink audit` work through this URL.",
    )
}

/// Why the OAuth 2.0 clients could not be listed, in words.
fn oauth2_note(r: &Result<Option<Vec<OAuth2Client>>, crate::jira::JiraError>) -> Option<String> {
    match r {
        Ok(Some(_)) => None,
        Ok(None) => Some("This Jira lists no OAuth 2.0 clients over REST (GET /rest/oauth2/latest/client answered 404/405: older than 8.22, or no listing); see them in Administration > Applications > Application links.".into()),
        Err(e) if matches!(e.status(), Some(401 | 403)) => Some("Listing OAuth 2.0 clients needs a Jira administrator; use an admin connection.".into()),
        Err(e) => {
            let d = e.diagnose();
            Some(format!("OAuth 2.0 clients could not be listed: [{}] {}", d.code, d.summary))
        }
    }
}

/// The migration advice for an incoming OAuth 1.0a link.
pub fn migration(link: &AppLinkInfo) -> Migration {
    Migration {
        reason: "incoming OAuth 1.0a (RSA-SHA1) is legacy: Atlassian recommends OAuth 2.0 incoming links (Jira 8.22+, default since Jira 9)".into(),
        steps: vec![
            "Create the OAuth 2.0 incoming link: Administration > Applications > Application links > Create link > External application > Incoming (name, redirect URL, the narrowest scope that works, e.g. READ or WRITE).".into(),
            "Give the application the client id and secret; switch it to OAuth 2.0 with PKCE and have the integration user authorize once.".into(),
            format!("Check the new connection (`jiralink check NAME`) and audit it (`jiralink audit NAME`) before removing the old one."),
            format!("Then remove the incoming OAuth 1.0a authentication of \"{}\" (Edit > Incoming authentication > OAuth > Disable), so the old consumer can no longer act for users.", link.name),
        ],
    }
}

/// Scheme, host, port and path without a trailing slash, for comparing base URLs.
fn same_jira(a: &str, b: &str) -> bool {
    let n = |u: &str| {
        url::Url::parse(u.trim()).ok().map(|u| {
            (
                u.scheme().to_string(),
                u.host_str().unwrap_or_default().to_ascii_lowercase(),
                u.port_or_known_default(),
                u.path().trim_end_matches('/').to_string(),
            )
        })
    };
    n(a).is_some() && n(a) == n(b)
}

/// List every link with its health, consumer and connections, asking Jira concurrently.
pub async fn inventory(
    admin: &JiraClient,
    connections: &[Connection],
) -> Result<Inventory, Diagnosis> {
    let (list, clients) = tokio::join!(
        applinks_status::list_links(admin),
        applinks_status::list_oauth2_clients(admin)
    );
    let cloud = is_cloud(admin);
    let list = list.map_err(|e| {
        if cloud && e.status() == Some(404) {
            return cloud_has_no_applinks_api(admin);
        }
        let mut d = e.diagnose();
        if matches!(e.status(), Some(401 | 403)) {
            d.fix = format!(
                "Listing application links needs a Jira administrator; use an admin connection. {}",
                d.fix
            );
        }
        d
    })?;
    let rows = futures::future::join_all(list.into_iter().map(|link| async move {
        let (status, consumer) = tokio::join!(
            applinks_status::link_status(admin, &link.id),
            applinks_status::incoming_consumer(admin, &link.id)
        );
        let (status, status_error) = match status {
            Ok(s) => (Some(s), None),
            Err(e) => (None, Some(e.diagnose())),
        };
        // The consumer is advisory: an error reading it leaves it unknown (and unflagged).
        let consumer_read = consumer.is_ok();
        let consumer_key = consumer.ok().flatten();
        let incoming_on = status
            .as_ref()
            .and_then(|s| s.incoming)
            .is_some_and(|d| d.enabled || d.two_lo_enabled);
        let incoming_oauth1 = incoming_on || consumer_key.is_some();
        LinkRow {
            missing_consumer: (incoming_on && consumer_read && consumer_key.is_none())
                .then(|| missing_consumer(&link)),
            migrate_to_oauth2: incoming_oauth1.then(|| migration(&link)),
            link,
            status,
            status_error,
            consumer_key,
            connections: Vec::new(),
        }
    }))
    .await;
    let jira = admin.base_url().as_str().trim_end_matches('/').to_string();
    let mut rows = rows;
    let mut unmatched = Vec::new();
    for c in connections
        .iter()
        .filter(|c| c.auth == AuthKind::Oauth1 && same_jira(&c.url, &jira))
    {
        let key = c.consumer_key.as_deref().unwrap_or_default();
        match rows
            .iter_mut()
            .find(|r| r.consumer_key.as_deref() == Some(key))
        {
            Some(r) => r.connections.push(c.name.clone()),
            None => unmatched.push(c.name.clone()),
        }
    }
    let note = oauth2_note(&clients);
    let listed = clients.ok().flatten();
    let mut oauth2_rows: Vec<OAuth2ClientRow> = listed
        .iter()
        .flatten()
        .map(|c| OAuth2ClientRow {
            client: c.clone(),
            connections: Vec::new(),
        })
        .collect();
    let mut unmatched_oauth2 = Vec::new();
    for c in connections.iter().filter(|c| {
        matches!(c.auth, AuthKind::Oauth2 | AuthKind::Oauth2ClientCredentials)
            && same_jira(&c.url, &jira)
    }) {
        let id = c.client_id.as_deref().unwrap_or_default();
        match oauth2_rows.iter_mut().find(|r| r.client.client_id == id) {
            Some(r) => r.connections.push(c.name.clone()),
            None if listed.is_some() => unmatched_oauth2.push(c.name.clone()),
            None => {}
        }
    }
    Ok(Inventory {
        jira,
        links: rows,
        unmatched_connections: unmatched,
        oauth2_clients: oauth2_rows,
        oauth2_note: note,
        unmatched_oauth2_connections: unmatched_oauth2,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_compare_without_slash_or_default_port() {
        assert!(same_jira(
            "https://jira.example.com:443/jira/",
            "https://jira.example.com/jira"
        ));
        assert!(!same_jira(
            "https://jira.example.com/jira",
            "https://jira.example.com/"
        ));
        assert!(!same_jira("not a url", "not a url"));
    }
}
