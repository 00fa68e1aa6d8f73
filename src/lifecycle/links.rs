//! The inventory of a Jira's application links, as an admin sees it: every link with its type
//! and URL, its health from Jira's status resource, its OAuth 1.0a configuration and incoming
//! consumer, the jiralink connections that use it, and the links to migrate to OAuth 2.0.

use crate::config::{AuthKind, Connection};
use crate::jira::applinks_status::{self, AppLinkInfo, Health, LinkStatus};
use crate::jira::{Diagnosis, JiraClient};
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
}

impl LinkRow {
    /// The health in words ("working", "network error", "unknown").
    pub fn health_label(&self) -> &'static str {
        self.status
            .as_ref()
            .map(|s| s.health.label())
            .unwrap_or("unknown")
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
    let list = applinks_status::list_links(admin).await.map_err(|e| {
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
        // The consumer is advisory: an error reading it leaves it unknown.
        let consumer_key = consumer.ok().flatten();
        let incoming_oauth1 = status
            .as_ref()
            .and_then(|s| s.incoming)
            .is_some_and(|d| d.enabled || d.two_lo_enabled)
            || consumer_key.is_some();
        LinkRow {
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
    Ok(Inventory {
        jira,
        links: rows,
        unmatched_connections: unmatched,
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
