//! The Cloud API gateway form of the simulator (cloud mode only): scoped API tokens, which Jira
//! Cloud accepts only through `https://api.atlassian.com/ex/jira/{cloudId}` and refuses with 401
//! on the site URL (`/work/shared/reference/jira-answers.md`, "Jira Cloud"; Atlassian "Manage API
//! tokens for your Atlassian account"; sooperset/mcp-atlassian#968), and the site's
//! `/_edge/tenant_info`, which answers `{"cloudId":"…"}` to anyone (Atlassian KB "Retrieve my
//! Atlassian site's cloud ID", support.atlassian.com/jira/kb/retrieve-my-atlassian-sites-cloud-id).
//!
//! The simulator serves the gateway path on its own origin: `{origin}/ex/jira/{cloudId}/rest/…`
//! reaches the same Jira as `{origin}/rest/…`, as the real gateway forwards to the site.

use super::reply::Reply;
use std::collections::HashMap;

/// The gateway's path prefix before the cloud id.
pub const PREFIX: &str = "/ex/jira/";

/// The site's cloud id and each user's scoped API token.
pub struct Gateway {
    /// The site's cloud id (a UUID, as Atlassian shows it).
    pub cloud_id: String,
    scoped: HashMap<String, String>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("cloud_id", &self.cloud_id)
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// A cloud id derived from the seed (stable per world) and a fresh scoped token per user.
    pub fn new(seed: u64, users: impl IntoIterator<Item = String>) -> Gateway {
        let h = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5bd1_e995;
        let cloud_id = format!(
            "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
            (h >> 32) as u32,
            (h >> 16) as u16,
            (h >> 4) as u16 & 0xfff,
            h as u16 & 0xfff,
            h.rotate_left(17) & 0xffff_ffff_ffff
        );
        let scoped = users
            .into_iter()
            .map(|u| {
                // Scoped tokens look like classic ones (ATATT…); only where they work differs.
                let t = format!(
                    "ATATT3xScoped{}",
                    super::world::random_token(48).replace(['+', '/'], "x")
                );
                (u, t)
            })
            .collect();
        Gateway { cloud_id, scoped }
    }

    /// The user's scoped API token.
    pub fn scoped_token(&self, user: &str) -> Option<&str> {
        self.scoped.get(user).map(String::as_str)
    }

    /// Whether `secret` is `user`'s scoped token.
    pub fn is_scoped(&self, user: &str, secret: &str) -> bool {
        self.scoped.get(user).is_some_and(|t| t == secret)
    }

    /// The path after `/ex/jira/{cloudId}` when `path` is a gateway path for this site.
    pub fn strip<'a>(&self, path: &'a str) -> Option<&'a str> {
        let rest = path.strip_prefix(PREFIX)?.strip_prefix(&self.cloud_id)?;
        if rest.is_empty() {
            Some("/")
        } else {
            rest.starts_with('/').then_some(rest)
        }
    }

    /// `GET /_edge/tenant_info`: `{"cloudId":"…"}` (the KB cited above shows exactly this body).
    pub fn tenant_info(&self) -> Reply {
        let mut r = Reply::json(200, &serde_json::json!({ "cloudId": self.cloud_id }));
        r.jira = false;
        r
    }
}

/// Through the gateway, the Data Center resources behind `links` are not there: application
/// links (`/rest/applinks…`, `/rest/applinks-oauth…`) and the DC OAuth 2.0 provider's clients
/// (`/rest/oauth2/…`) are not part of Jira Cloud's published REST API, which is what the gateway
/// serves (Atlassian, "OAuth 2.0 (3LO) apps": requests go to `api.atlassian.com/ex/jira/{cloudid}/{api}`
/// where `{api}` is a published API such as `/rest/api/2/project`; the Jira Cloud platform REST
/// reference, developer.atlassian.com/cloud/jira/platform/rest/v3/, has no application-link
/// group). Cloud admins manage links in the UI ("Use AppLinks to link to Atlassian products",
/// confluence.atlassian.com/adminjiracloud/integrating-with-self-hosted-tools-using-oauth-972355470.html),
/// and Cloud OAuth 2.0 apps live in the developer console, not in Jira. The 404 status and its
/// body are *unconfirmed* (no capture of the gateway's answer to an unpublished path).
pub fn unpublished(gateway: bool, rel: &str) -> Option<Reply> {
    let dc_only = rel.starts_with("/rest/applinks") || rel.starts_with("/rest/oauth2/");
    (gateway && dc_only).then(|| {
        Reply::json(
            404,
            &serde_json::json!({"errorMessages": ["Not Found"], "errors": {}}),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_only_this_sites_prefix() {
        let g = Gateway::new(42, ["alice".to_string()]);
        let p = format!("/ex/jira/{}/rest/api/3/myself", g.cloud_id);
        assert_eq!(g.strip(&p), Some("/rest/api/3/myself"));
        assert_eq!(g.strip(&format!("/ex/jira/{}", g.cloud_id)), Some("/"));
        assert_eq!(g.strip("/ex/jira/other-id/rest/api/3/myself"), None);
        assert_eq!(g.strip(&format!("/ex/jira/{}x/rest", g.cloud_id)), None);
        assert_eq!(g.cloud_id.len(), 36);
        let t = g.scoped_token("alice").unwrap().to_string();
        assert!(g.is_scoped("alice", &t) && !g.is_scoped("bob", &t));
    }

    #[test]
    fn only_dc_resources_through_the_gateway_are_missing() {
        assert!(unpublished(true, "/rest/applinks/3.0/applinks").is_some());
        assert!(unpublished(true, "/rest/oauth2/latest/client").is_some());
        assert!(unpublished(false, "/rest/applinks/3.0/applinks").is_none());
        assert!(unpublished(true, "/rest/api/3/myself").is_none());
    }
}
