//! Creating the incoming application link through Jira's applinks REST API with an admin
//! connection: `PUT /rest/applinks/3.0/applicationlink` (a Generic Application), then
//! `PUT /rest/applinks-oauth/1.0/applicationlink/{id}/authentication/consumer` (the OAuth
//! consumer), and Jira's refusals (invalid public key, WebSudo, 401/403) as diagnoses.

use super::diagnose::{Code, Diagnosis};
use super::error::ErrorKind;
use super::{JiraClient, JiraError};
use crate::wizard::{CreatePlan, PlannedRequest, LINK_ID_PLACEHOLDER};
use reqwest::Method;

/// What Jira created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedLink {
    /// The application link's id (a UUID).
    pub id: String,
}

/// Which of the two requests failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateStep {
    /// Creating the application link.
    Link,
    /// Registering the OAuth consumer on it.
    Consumer,
}

/// Send `plan` with the admin client: first the link, then the consumer on the id Jira returned.
pub async fn create_link(admin: &JiraClient, plan: &CreatePlan) -> Result<CreatedLink, Diagnosis> {
    let [link_req, consumer_req] = plan.requests.as_slice() else {
        return Err(Diagnosis::error(
            Code::Other,
            "The creation plan is not the expected two requests",
            format!("It has {} requests.", plan.requests.len()),
            "Register the link by hand with the values from `jiralink link fields NAME`.",
        ));
    };
    let answer = send(admin, link_req, &link_req.path)
        .await
        .map_err(|e| diagnose_create_error(CreateStep::Link, &e))?;
    let id = link_id(&answer).ok_or_else(|| {
        Diagnosis::error(
            Code::InvalidResponse,
            "Jira created the application link but did not say its id",
            "The answer to PUT /rest/applinks/3.0/applicationlink had neither `id` nor `self`.",
            "Finish by hand: open the link in Jira's Application links page and enter the incoming authentication values from `jiralink link fields NAME`.",
        )
    })?;
    let path = consumer_req.path.replace(LINK_ID_PLACEHOLDER, &id);
    send(admin, consumer_req, &path)
        .await
        .map_err(|e| diagnose_create_error(CreateStep::Consumer, &e))?;
    Ok(CreatedLink { id })
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

/// The new link's id: `id` in the body, else the last segment of `self` (applinks 3.0 answers
/// 201 with the created entity, whose `self` ends in `/applicationlink/{id}`).
pub fn link_id(answer: &serde_json::Value) -> Option<String> {
    if let Some(id) = answer.get("id") {
        match id {
            serde_json::Value::String(s) if !s.is_empty() => return Some(s.clone()),
            serde_json::Value::Number(n) => return Some(n.to_string()),
            _ => {}
        }
    }
    let self_url = answer.get("self")?.as_str()?;
    let last = self_url.trim_end_matches('/').rsplit('/').next()?;
    (!last.is_empty()).then(|| last.to_string())
}

/// Jira's refusal of one creation request, explained.
pub fn diagnose_create_error(step: CreateStep, err: &JiraError) -> Diagnosis {
    let what = match step {
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
        d.code = if status == Some(401) {
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
