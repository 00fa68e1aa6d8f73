//! Creating the incoming application link through Jira's applinks REST API with an admin
//! connection: `PUT /rest/applinks/3.0/applicationlink` (a Generic Application), then
//! `PUT /rest/applinks-oauth/1.0/applicationlink/{id}/authentication/consumer` (the OAuth
//! consumer), and Jira's refusals (invalid public key, WebSudo, 401/403) as diagnoses. Before
//! creating, the existing links and their consumers are read
//! ([`list_application_links`], [`link_consumers`]) so that running it twice never makes two
//! links for one consumer key.
//!
//! Answer shapes (see `../shared/reference/jira-answers.md` § "Application links (DC)"):
//! - the create answers 201 with `{"resources-created":[{"href":".../applicationlink/<uuid>"}]}`
//!   and a `Location` header, not the link (jenkinsci/atlassian-bitbucket-server-integration-
//!   plugin `BitbucketUtils#registerApplicationLink`; NordeaOSS/esp.bitbucket
//!   `bitbucket_application_link.py`);
//! - the list is `{"applicationLinks":[…]}` (`ApplicationLinkListEntity`); the V3 `applinks`
//!   resource gives a bare array, accepted too;
//! - the consumer GET is `{"consumers":[{key, name, publicKey (PEM), …}]}`
//!   (`ConsumerEntityListEntity`), 404 when the link has none (`OAuthApplicationLinkResource`).

use super::diagnose::{Code, Diagnosis};
use super::error::ErrorKind;
use super::{JiraClient, JiraError};
use crate::wizard::{CreatePlan, PlannedRequest, LINK_ID_PLACEHOLDER};
use base64::Engine as _;
use reqwest::Method;
use serde::Deserialize;

/// Path of the application link list (every REST version of the plugin serves it).
pub const LIST_PATH: &str = "/rest/applinks/3.0/applicationlink";

/// One application link as Jira lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationLink {
    /// The link's id (a UUID).
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Type id (`generic`, `jira`, `confluence`, …).
    #[serde(default, alias = "type")]
    pub type_id: Option<String>,
    /// The application's URL as Jira calls it (absent for system links).
    #[serde(default)]
    pub rpc_url: Option<String>,
    /// The URL shown to users.
    #[serde(default)]
    pub display_url: Option<String>,
}

/// The incoming OAuth consumer registered on a link.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkConsumer {
    /// Consumer key.
    pub key: String,
    /// Consumer name.
    #[serde(default)]
    pub name: Option<String>,
    /// Public key, PEM (`RSAKeys.toPemEncoding`).
    #[serde(default)]
    pub public_key: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum LinkList {
    Wrapped {
        #[serde(rename = "applicationLinks", default)]
        application_links: Vec<ApplicationLink>,
    },
    Bare(Vec<ApplicationLink>),
}

#[derive(Deserialize)]
struct ConsumerList {
    #[serde(default)]
    consumers: Vec<LinkConsumer>,
}

/// Every application link Jira has (`GET /rest/applinks/3.0/applicationlink`, admin only). Also
/// used by `jiralink links`.
pub async fn list_application_links(admin: &JiraClient) -> Result<Vec<ApplicationLink>, JiraError> {
    let list: LinkList = admin.get_json(LIST_PATH, &[]).await?;
    Ok(match list {
        LinkList::Wrapped { application_links } => application_links,
        LinkList::Bare(v) => v,
    })
}

/// The incoming OAuth consumers of link `id` (empty when it has none: Jira answers 404).
pub async fn link_consumers(admin: &JiraClient, id: &str) -> Result<Vec<LinkConsumer>, JiraError> {
    match admin
        .get_json::<ConsumerList>(&CreatePlan::consumer_path(id), &[])
        .await
    {
        Ok(l) => Ok(l.consumers),
        Err(e) if e.status() == Some(404) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// Whether two public keys are the same key, whatever their PEM line breaks or armour.
pub fn same_public_key(a: &str, b: &str) -> bool {
    fn der(text: &str) -> Option<Vec<u8>> {
        let body: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("-----"))
            .flat_map(|l| l.chars())
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .ok()
    }
    match (der(a), der(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a.trim() == b.trim(),
    }
}

/// What `link create` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreatedLink {
    /// A new link with the consumer on it.
    Created {
        /// The new link's id.
        id: String,
    },
    /// A link to this application without a consumer existed (an earlier run stopped half-way):
    /// the consumer was registered on it.
    ConsumerAdded {
        /// The existing link's id.
        id: String,
    },
    /// The link and consumer were already there with this public key: nothing was changed.
    AlreadyLinked {
        /// The existing link's id.
        id: String,
        /// Its name in Jira.
        name: String,
    },
    /// `--replace`: the consumer on the existing link now has this public key.
    Replaced {
        /// The existing link's id.
        id: String,
        /// Its name in Jira.
        name: String,
    },
}

impl CreatedLink {
    /// The link's id.
    pub fn id(&self) -> &str {
        match self {
            CreatedLink::Created { id }
            | CreatedLink::ConsumerAdded { id }
            | CreatedLink::AlreadyLinked { id, .. }
            | CreatedLink::Replaced { id, .. } => id,
        }
    }

    /// One sentence saying what happened in Jira.
    pub fn summary(&self, consumer_key: &str) -> String {
        match self {
            CreatedLink::Created { id } => format!(
                "Created the application link {id} and registered consumer \"{consumer_key}\" on it."
            ),
            CreatedLink::ConsumerAdded { id } => format!(
                "The application link {id} already existed without a consumer; registered consumer \"{consumer_key}\" on it."
            ),
            CreatedLink::AlreadyLinked { id, name } => format!(
                "Jira already has the application link \"{name}\" ({id}) with consumer \"{consumer_key}\" and this public key; nothing was changed."
            ),
            CreatedLink::Replaced { id, name } => format!(
                "Replaced the public key of consumer \"{consumer_key}\" on the application link \"{name}\" ({id}); tokens issued under the old key stop working."
            ),
        }
    }
}

/// Which request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateStep {
    /// Reading the existing links and their consumers.
    Lookup,
    /// Creating the application link.
    Link,
    /// Registering the OAuth consumer on it.
    Consumer,
}

fn body_str<'a>(req: &'a PlannedRequest, field: &str) -> &'a str {
    req.body.get(field).and_then(|v| v.as_str()).unwrap_or("")
}

fn same_url(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

/// Send `plan` with the admin client, idempotently: a link that already holds this consumer key
/// with the same public key is left alone; with another public key it is a conflict unless
/// `replace` (then only its consumer is updated); a link to the same application URL without a
/// consumer gets the consumer; otherwise the link is created, then the consumer on the id Jira
/// returned. Never two links for one consumer key.
pub async fn create_link(
    admin: &JiraClient,
    plan: &CreatePlan,
    replace: bool,
) -> Result<CreatedLink, Diagnosis> {
    let [link_req, consumer_req] = plan.requests.as_slice() else {
        return Err(Diagnosis::error(
            Code::Other,
            "The creation plan is not the expected two requests",
            format!(
                "It has {}.",
                crate::text::count(plan.requests.len() as u64, "request")
            ),
            "Register the link by hand with the values from `jiralink link fields NAME`.",
        ));
    };
    let key = body_str(consumer_req, "key");
    let public_key = body_str(consumer_req, "publicKey");
    let app_url = body_str(link_req, "rpcUrl");
    let lookup = |e: JiraError| diagnose_create_error(CreateStep::Lookup, &e);
    let links = list_application_links(admin).await.map_err(lookup)?;
    let mut same_url_without_consumer = None;
    for l in &links {
        let consumers = link_consumers(admin, &l.id).await.map_err(lookup)?;
        if let Some(c) = consumers.iter().find(|c| c.key == key) {
            let same = c
                .public_key
                .as_deref()
                .is_some_and(|k| same_public_key(k, public_key));
            if same {
                return Ok(CreatedLink::AlreadyLinked {
                    id: l.id.clone(),
                    name: l.name.clone(),
                });
            }
            if !replace {
                return Err(conflict(l, key));
            }
            let path = consumer_req.path.replace(LINK_ID_PLACEHOLDER, &l.id);
            send(admin, consumer_req, &path)
                .await
                .map_err(|e| diagnose_create_error(CreateStep::Consumer, &e))?;
            return Ok(CreatedLink::Replaced {
                id: l.id.clone(),
                name: l.name.clone(),
            });
        }
        let url_matches = l.rpc_url.as_deref().is_some_and(|u| same_url(u, app_url));
        if url_matches && consumers.is_empty() && same_url_without_consumer.is_none() {
            same_url_without_consumer = Some(l.id.clone());
        }
    }
    let (id, reused) = match same_url_without_consumer {
        Some(id) => (id, true),
        None => {
            let answer = admin
                .send_json_raw(Method::PUT, &link_req.path, &link_req.body)
                .await
                .map_err(|e| diagnose_create_error(CreateStep::Link, &e))?;
            let body: serde_json::Value =
                serde_json::from_slice(&answer.body).unwrap_or(serde_json::Value::Null);
            let id = link_id(&body)
                .or_else(|| answer.header("location").and_then(id_from_href))
                .ok_or_else(|| {
                    Diagnosis::error(
                        Code::InvalidResponse,
                        "Jira created the application link but did not say its id",
                        "The answer to PUT /rest/applinks/3.0/applicationlink had no `resources-created` href, `id`, `self` or Location header.",
                        "Finish by hand: open the link in Jira's Application links page and enter the incoming authentication values from `jiralink link fields NAME`.",
                    )
                })?;
            (id, false)
        }
    };
    let path = consumer_req.path.replace(LINK_ID_PLACEHOLDER, &id);
    send(admin, consumer_req, &path)
        .await
        .map_err(|e| diagnose_create_error(CreateStep::Consumer, &e))?;
    Ok(if reused {
        CreatedLink::ConsumerAdded { id }
    } else {
        CreatedLink::Created { id }
    })
}

/// The diagnosis for a link that holds our consumer key with another public key.
fn conflict(l: &ApplicationLink, key: &str) -> Diagnosis {
    Diagnosis::error(
        Code::ApplinkConflict,
        format!(
            "Jira already has an application link with consumer key \"{key}\", but with another public key"
        ),
        format!(
            "The link \"{}\" ({}, {}) registers consumer \"{key}\" with a public key that is not this connection's. Requests signed with this connection's private key would be refused (oauth_problem=signature_invalid).",
            l.name,
            l.id,
            l.rpc_url.as_deref().unwrap_or("no URL")
        ),
        "If this connection's key is the one to keep, run `jiralink link create NAME --admin ADMIN --replace` to put its public key on that link (tokens issued under the old key stop working); otherwise point the connection at the old key or use another consumer key.",
    )
}

async fn send(
    admin: &JiraClient,
    req: &PlannedRequest,
    path: &str,
) -> Result<serde_json::Value, JiraError> {
    let method = Method::from_bytes(req.method.as_bytes()).unwrap_or(Method::PUT);
    // An empty answer decodes as null (the client's contract for 204s).
    let answer: Option<serde_json::Value> = admin.send_json(method, path, &req.body).await?;
    Ok(answer.unwrap_or(serde_json::Value::Null))
}

/// The last path segment of a link URL (`…/applicationlink/<id>`).
fn id_from_href(href: &str) -> Option<String> {
    let path = href.split(['?', '#']).next()?;
    let last = path.trim_end_matches('/').rsplit('/').next()?;
    (!last.is_empty() && last != "applicationlink").then(|| last.to_string())
}

/// The new link's id from the create answer: Jira's `resources-created[0].href` (see the module
/// doc), else an `id` or the last segment of `self` (tolerated: older or proxied answers that
/// return the entity).
pub fn link_id(answer: &serde_json::Value) -> Option<String> {
    if let Some(href) = answer
        .get("resources-created")
        .and_then(|r| r.as_array())
        .and_then(|a| a.first())
        .and_then(|l| l.get("href"))
        .and_then(|h| h.as_str())
    {
        return id_from_href(href);
    }
    if let Some(id) = answer.get("id") {
        match id {
            serde_json::Value::String(s) if !s.is_empty() => return Some(s.clone()),
            serde_json::Value::Number(n) => return Some(n.to_string()),
            _ => {}
        }
    }
    id_from_href(answer.get("self")?.as_str()?)
}

/// Jira's refusal of one creation request, explained.
pub fn diagnose_create_error(step: CreateStep, err: &JiraError) -> Diagnosis {
    let what = match step {
        CreateStep::Lookup => "list the application links and their consumers",
        CreateStep::Link => "create the application link",
        CreateStep::Consumer => "register the OAuth consumer on the new application link",
    };
    let said = err
        .body_summary
        .clone()
        .or_else(|| kind_message(err))
        .unwrap_or_default();
    let mentions = |needle: &str| said.to_ascii_lowercase().contains(needle);
    let websudo = err.header("x-atlassian-websudo").is_some() || mentions("websudo");
    let status = err.status();
    if mentions("applinks.invalid.consumer.publickey") || mentions("invalid public key") {
        return Diagnosis::error(
            Code::KeyError,
            "Jira rejected the public key (applinks.invalid.consumer.publickey)",
            format!("Jira could not {what}: {said}"),
            "Jira wants an X.509 SubjectPublicKeyInfo key (BEGIN PUBLIC KEY), not PKCS#1 (BEGIN RSA PUBLIC KEY). Check the key with `jiralink link fields NAME` or generate a new one with `jiralink link keygen`.",
        );
    }
    if websudo {
        return Diagnosis::error(
            Code::Forbidden,
            "Jira asks for a secure administrator session (WebSudo)",
            format!("Jira could not {what}: {said}"),
            "Use an admin connection that authenticates every request (auth = \"basic\" or \"pat\"), not a browser session; or register the link by hand (`jiralink link fields NAME`).",
        );
    }
    if status == Some(401) || status == Some(403) {
        let mut d = err.diagnose();
        d.summary = format!(
            "The admin connection may not {what} (HTTP {})",
            status.unwrap_or_default()
        );
        d.detail = if said.is_empty() {
            d.detail
        } else {
            format!("Jira said: {said}. {}", d.detail)
        };
        d.fix = "The admin connection must log in as a Jira administrator (jira-administrators / 'Jira System Administrators' global permission). Check its credentials with `jiralink check ADMIN`, or register the link by hand (`jiralink link fields NAME`).".into();
        // Jira's applinks admin resources answer a logged-in non-admin with 401 while Seraph
        // reports the login as OK and names the user (see `response.rs`): a missing permission,
        // not rejected credentials.
        let logged_in = err
            .header("x-seraph-loginreason")
            .is_some_and(|r| r.eq_ignore_ascii_case("OK"))
            && err
                .header("x-ausername")
                .is_some_and(|u| !u.is_empty() && !u.eq_ignore_ascii_case("anonymous"));
        d.code = if status == Some(401) && !logged_in {
            Code::AuthFailed
        } else {
            Code::Forbidden
        };
        return d;
    }
    if status == Some(404) {
        let mut d = err.diagnose();
        d.summary = format!("Jira has no applinks REST resource to {what}");
        d.fix = "The applinks REST API differs on this Jira version; register the link by hand with the values from `jiralink link fields NAME`.".into();
        return d;
    }
    let mut d = err.diagnose();
    d.summary = format!("Jira could not {what}: {}", d.summary);
    d
}

fn kind_message(err: &JiraError) -> Option<String> {
    match err.kind() {
        ErrorKind::UnexpectedStatus { message }
        | ErrorKind::Forbidden { message }
        | ErrorKind::ServerError { message, .. } => message.clone(),
        ErrorKind::AuthFailed { message, .. } => message.clone(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answered(status: u16, body: &str, headers: &[(&str, &str)]) -> JiraError {
        let mut e = JiraError::new(
            ErrorKind::UnexpectedStatus { message: None },
            "PUT",
            "https://jira.example.com/rest/applinks/3.0/applicationlink",
        );
        e.status = Some(status);
        e.body_summary = Some(body.to_string());
        e.headers = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        e
    }

    #[test]
    fn a_401_for_a_logged_in_non_admin_is_forbidden_and_a_refused_login_is_not() {
        let ok_alice = [("X-Seraph-LoginReason", "OK"), ("X-AUSERNAME", "alice")];
        let d = diagnose_create_error(CreateStep::Link, &answered(401, "unauthorized", &ok_alice));
        assert_eq!(d.code, Code::Forbidden, "{d:?}");
        let failed = [("X-Seraph-LoginReason", "AUTHENTICATED_FAILED")];
        let d = diagnose_create_error(CreateStep::Link, &answered(401, "unauthorized", &failed));
        assert_eq!(d.code, Code::AuthFailed, "{d:?}");
        let anon = [("X-Seraph-LoginReason", "OK"), ("X-AUSERNAME", "anonymous")];
        let d = diagnose_create_error(CreateStep::Link, &answered(401, "unauthorized", &anon));
        assert_eq!(d.code, Code::AuthFailed, "{d:?}");
    }

    #[test]
    fn link_id_from_resources_created() {
        // The 201 body Jira sends (BitbucketUtils#registerApplicationLink reads exactly this).
        let answer = json!({"status-code": 201, "resources-created": [{"href": "https://j/jira/rest/applinks/3.0/applicationlink/227dd1d7-f6d6-34a5-b046-5663fb518691", "rel": "self"}]});
        assert_eq!(
            link_id(&answer).as_deref(),
            Some("227dd1d7-f6d6-34a5-b046-5663fb518691")
        );
        assert_eq!(
            id_from_href("https://j/rest/applinks/3.0/applicationlink"),
            None
        );
        assert_eq!(
            id_from_href("https://j/rest/applinks/3.0/applicationlink/abc/").as_deref(),
            Some("abc")
        );
    }

    #[test]
    fn public_keys_compare_by_content() {
        let a = "-----BEGIN PUBLIC KEY-----\nMIIBIjAN\nBgkqhkiG\n-----END PUBLIC KEY-----\n";
        let b = "-----BEGIN PUBLIC KEY-----\r\nMIIBIjANBgkqhkiG\r\n-----END PUBLIC KEY-----";
        assert!(same_public_key(a, b));
        assert!(same_public_key(a, "MIIBIjANBgkqhkiG"));
        assert!(!same_public_key(a, "MIIBIjANBgkqhkiH"));
    }

    #[test]
    fn list_shapes() {
        let wrapped: LinkList = serde_json::from_value(json!({"applicationLinks": [{"id": "a", "name": "A", "typeId": "generic", "rpcUrl": "https://x"}]})).unwrap();
        let bare: LinkList = serde_json::from_value(
            json!([{"id": "a", "name": "A", "type": "generic", "rpcUrl": "https://x"}]),
        )
        .unwrap();
        for l in [wrapped, bare] {
            let v = match l {
                LinkList::Wrapped { application_links } => application_links,
                LinkList::Bare(v) => v,
            };
            assert_eq!(v[0].id, "a");
            assert_eq!(v[0].type_id.as_deref(), Some("generic"));
        }
    }

    #[test]
    fn link_id_from_id_or_self() {
        assert_eq!(link_id(&json!({"id": "abc-1"})).as_deref(), Some("abc-1"));
        assert_eq!(
            link_id(&json!({"self": "https://j/rest/applinks/3.0/applicationlink/u-u-i-d"}))
                .as_deref(),
            Some("u-u-i-d")
        );
        assert_eq!(link_id(&json!({"name": "x"})), None);
        assert_eq!(link_id(&serde_json::Value::Null), None);
    }

    #[test]
    fn refusals_become_diagnoses() {
        let d = diagnose_create_error(
            CreateStep::Consumer,
            &answered(400, "applinks.invalid.consumer.publickey", &[]),
        );
        assert_eq!(d.code, Code::KeyError);
        assert!(d.fix.contains("BEGIN PUBLIC KEY"), "{d}");
        let d = diagnose_create_error(
            CreateStep::Link,
            &answered(
                401,
                "This resource requires WebSudo.",
                &[("x-atlassian-websudo", "Has-No-Authentication")],
            ),
        );
        assert!(d.summary.contains("WebSudo"), "{d}");
        let d = diagnose_create_error(
            CreateStep::Link,
            &answered(
                401,
                "Client must be authenticated as an administrator to access this resource.",
                &[],
            ),
        );
        assert_eq!(d.code, Code::AuthFailed);
        assert!(d.fix.contains("administrator"), "{d}");
        let d = diagnose_create_error(CreateStep::Link, &answered(403, "Forbidden", &[]));
        assert_eq!(d.code, Code::Forbidden);
    }
}
