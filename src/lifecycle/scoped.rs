//! Cloud scoped API tokens: they work only through the API gateway,
//! `https://api.atlassian.com/ex/jira/{cloudId}`, and the site URL answers them with 401
//! (Atlassian "Manage API tokens for your Atlassian account"; sooperset/mcp-atlassian#968). When a
//! `cloud-token` connection is refused at the site, ask the site for its cloud id
//! (`/_edge/tenant_info`, Atlassian KB "Retrieve my Atlassian site's cloud ID"), try the same
//! credentials through the gateway, and when they work there, say so with the URL to use
//! (`cloud_scoped_token_wrong_host`). The gateway URL is an ordinary base URL with a path, so
//! `check`, `audit` and `links` use it like a context path.

use crate::jira::{Auth, Code, Diagnosis, JiraClient};
use serde::Deserialize;
use url::Url;

/// Where the Atlassian API gateway lives.
pub const DEFAULT_GATEWAY: &str = "https://api.atlassian.com";

/// Environment variable that points the gateway elsewhere (a simulator, a test double).
pub const GATEWAY_ENV: &str = "JIRALINK_CLOUD_GATEWAY";

/// The gateway origin: `$JIRALINK_CLOUD_GATEWAY` or `https://api.atlassian.com`.
pub fn gateway_origin() -> String {
    std::env::var(GATEWAY_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_GATEWAY.to_string())
}

/// True when `url` already is the gateway form (`…/ex/jira/{cloudId}`).
pub fn is_gateway_url(url: &Url) -> bool {
    let mut segs = url.path_segments().into_iter().flatten();
    matches!(
        (segs.next(), segs.next(), segs.next()),
        (Some("ex"), Some("jira"), Some(id)) if !id.is_empty()
    )
}

/// `{gateway}/ex/jira/{cloudId}`.
pub fn gateway_url(gateway: &str, cloud_id: &str) -> Option<Url> {
    let mut u = Url::parse(gateway.trim()).ok()?;
    u.set_path(&format!("/ex/jira/{cloud_id}"));
    u.set_query(None);
    Some(u)
}

#[derive(Deserialize)]
struct TenantInfo {
    #[serde(rename = "cloudId")]
    cloud_id: String,
}

/// The site's cloud id from `{site origin}/_edge/tenant_info` (no credentials needed).
pub async fn cloud_id(site: &JiraClient) -> Option<String> {
    let mut root = site.base_url().clone();
    root.set_path("");
    let anon = site.with_base_url(root).with_auth(Auth::None);
    let t: TenantInfo = anon.get_json("/_edge/tenant_info", &[]).await.ok()?;
    // A cloud id is a UUID; anything else is not worth putting into a URL.
    let ok = !t.cloud_id.is_empty()
        && t.cloud_id.len() <= 64
        && t.cloud_id
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == '-');
    ok.then_some(t.cloud_id)
}

/// Whether `d` is the kind of refusal a scoped token gets at the site URL.
pub fn is_site_refusal(d: &Diagnosis) -> bool {
    matches!(
        d.code,
        Code::AuthFailed | Code::TokenRejected | Code::AnonymousFallback
    )
}

/// When `site` (a `cloud-token` client at the site URL) was refused, find out whether its token
/// is a scoped one: the cloud id from the site, then `myself` through `gateway`. Returns the
/// `cloud_scoped_token_wrong_host` diagnosis with the URL to use, or `None` when the token does
/// not work there either (then the site's own diagnosis stands).
pub async fn diagnose_wrong_host(
    conn_name: &str,
    site: &JiraClient,
    gateway: &str,
) -> Option<Diagnosis> {
    if !matches!(site.auth(), Auth::CloudToken { .. }) || is_gateway_url(site.base_url()) {
        return None;
    }
    let id = cloud_id(site).await?;
    let url = gateway_url(gateway, &id)?;
    let through = site.with_base_url(url.clone());
    let me = through.myself().await.ok()?;
    let url_text = url.as_str().trim_end_matches('/').to_string();
    Some(Diagnosis::error(
        Code::CloudScopedTokenWrongHost,
        format!("This is a scoped API token: it works only at {url_text}"),
        format!(
            "The site {} answered 401 to connection \"{conn_name}\"; the same token, sent through the Atlassian API gateway for cloud id {id}, is accepted (as {}). Scoped API tokens are refused on the site URL.",
            site.base_url().as_str().trim_end_matches('/'),
            me.display_name
                .as_deref()
                .or(me.name.as_deref())
                .unwrap_or("the token's user")
        ),
        format!(
            "Set the connection's URL to the gateway: `url = \"{url_text}\"` (or `jiralink connections add {conn_name} --url {url_text} … --force`)."
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_urls_are_recognised_and_built() {
        let u = gateway_url("https://api.atlassian.com", "abc-123").unwrap();
        assert_eq!(u.as_str(), "https://api.atlassian.com/ex/jira/abc-123");
        assert!(is_gateway_url(&u));
        assert!(!is_gateway_url(
            &Url::parse("https://acme.atlassian.net/").unwrap()
        ));
        assert!(!is_gateway_url(
            &Url::parse("https://api.atlassian.com/ex/jira/").unwrap()
        ));
    }
}
