//! `check`: probe one connection (serverInfo → manifest → auth → myself) and explain the result.
//! Shared by `jiralink check` and the TUI connections pane, so both show the same verdict.

use crate::jira::diagnose;
use crate::jira::model::{Manifest, ServerInfo};
use crate::jira::{Auth, ClientOptions, Code, Diagnosis, ErrorKind, JiraClient, JiraError};
use crate::lifecycle::expiry::{self, CredentialInfo};
use serde::Serialize;
use url::Url;

/// What the server says it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerSummary {
    pub version: Option<String>,
    pub deployment_type: Option<String>,
    pub title: Option<String>,
}

/// Outcome of one step of the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Ok,
    Warn,
    Fail,
    Skipped,
}

/// The steps of the chain, in order; serialised as `server_info`, `manifest`, `auth`, `myself`,
/// `signed_call`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepName {
    /// `GET /rest/api/2/serverInfo`.
    ServerInfo,
    /// The applinks manifest.
    Manifest,
    /// The credentials are accepted.
    Auth,
    /// `GET /rest/api/2/myself`.
    Myself,
    /// A signed OAuth call.
    SignedCall,
    /// The credential's age and expiry.
    Credential,
    /// A Cloud scoped API token used on the site URL instead of the gateway.
    ScopedToken,
}

impl StepName {
    /// The name as in JSON and on screen.
    pub fn as_str(self) -> &'static str {
        match self {
            StepName::ServerInfo => "server_info",
            StepName::Manifest => "manifest",
            StepName::Auth => "auth",
            StepName::Myself => "myself",
            StepName::SignedCall => "signed_call",
            StepName::Credential => "credential",
            StepName::ScopedToken => "scoped_token",
        }
    }
}

impl std::fmt::Display for StepName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl PartialEq<&str> for StepName {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// One step of the chain (see [`StepName`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckStep {
    pub name: StepName,
    pub status: StepStatus,
    pub detail: String,
}

/// The explained status of one connection (the JSON shape of `check --json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    pub name: String,
    pub url: String,
    pub ok: bool,
    pub server: Option<ServerSummary>,
    pub user: Option<String>,
    pub clock_skew_secs: Option<i64>,
    /// The first error, or the worst warning when everything worked.
    pub diagnosis: Option<Diagnosis>,
    pub warnings: Vec<Diagnosis>,
    pub steps: Vec<CheckStep>,
    /// When the credential stops working (RFC 3339), where Jira or the config tells it.
    pub expires_at: Option<String>,
    /// The credential's name, age and expiry (PATs from Jira's list; others from the config).
    pub credential: Option<CredentialInfo>,
}

impl CheckResult {
    fn new(name: &str, url: &str) -> Self {
        Self {
            name: name.to_string(),
            url: url.to_string(),
            ok: false,
            server: None,
            user: None,
            clock_skew_secs: None,
            diagnosis: None,
            warnings: Vec::new(),
            steps: Vec::new(),
            expires_at: None,
            credential: None,
        }
    }

    /// Record the credential's expiry: a `credential` step, `expires_at`, and the
    /// `credential_expiring` warning when it falls within `warn_days`.
    pub fn add_credential(
        &mut self,
        info: CredentialInfo,
        now: time::OffsetDateTime,
        warn_days: u64,
    ) {
        let d = expiry::expiry_diagnosis(&self.name, &info, now, warn_days);
        let mut detail = info.summary(now);
        if let Some(n) = &info.note {
            detail += &format!("; {n}");
        }
        self.step(
            StepName::Credential,
            if d.is_some() {
                StepStatus::Warn
            } else {
                StepStatus::Ok
            },
            detail,
        );
        self.expires_at = info.expires_at_text();
        self.credential = Some(info);
        if let Some(d) = d {
            if self.diagnosis.is_none() {
                self.diagnosis = Some(d.clone());
            }
            self.warnings.push(d);
        }
    }

    /// Replace a site refusal by `cloud_scoped_token_wrong_host` (the refusal stays a warning).
    pub fn scoped_token_wrong_host(&mut self, d: Diagnosis) {
        self.step(StepName::ScopedToken, StepStatus::Fail, d.summary.clone());
        if let Some(prev) = self.diagnosis.replace(d) {
            self.warnings.push(prev);
        }
        self.ok = false;
    }

    /// True when a credential expires within the warning window (`check` exits 1 for it).
    pub fn credential_expiring(&self) -> bool {
        self.diagnosis
            .iter()
            .chain(&self.warnings)
            .any(|d| d.code == Code::CredentialExpiring)
    }

    fn step(&mut self, name: StepName, status: StepStatus, detail: impl Into<String>) {
        self.steps.push(CheckStep {
            name,
            status,
            detail: detail.into(),
        });
    }

    fn fail(&mut self, d: Diagnosis) {
        if self.diagnosis.as_ref().is_none_or(|x| !x.is_error()) {
            self.diagnosis = Some(d);
        } else {
            self.warnings.push(d);
        }
    }

    /// Mark the remaining steps as skipped after a fatal failure.
    fn skip_rest(&mut self, after: &'static str) {
        const ORDER: [StepName; 5] = [
            StepName::ServerInfo,
            StepName::Manifest,
            StepName::Auth,
            StepName::Myself,
            StepName::SignedCall,
        ];
        let done: Vec<StepName> = self.steps.iter().map(|s| s.name).collect();
        for n in ORDER {
            if !done.contains(&n) {
                self.step(
                    n,
                    StepStatus::Skipped,
                    format!("skipped after {after} failed"),
                );
            }
        }
    }

    fn finish(mut self) -> Self {
        if self.diagnosis.is_none() {
            self.diagnosis = self.warnings.first().cloned();
        }
        self.ok = self.diagnosis.as_ref().is_none_or(|d| !d.is_error());
        self
    }
}

/// Run the whole chain for one connection. Never panics, never hangs past the client timeouts.
pub async fn check(name: &str, opts: ClientOptions) -> CheckResult {
    let url = opts.base_url.to_string();
    // Sequential stages: anonymous probes, context-path probes, myself, signed call; each is
    // bounded by the request timeout plus the retry budget.
    let per_call = opts.timeout + opts.retry.max_delay * opts.retry.max_retries;
    let overall = per_call * 4;
    match tokio::time::timeout(overall, run(name, opts)).await {
        Ok(r) => r,
        Err(_) => {
            let mut r = CheckResult::new(name, &url);
            let e = JiraError::new(
                ErrorKind::Timeout {
                    secs: overall.as_secs(),
                },
                "GET",
                &url,
            );
            r.fail(e.diagnose());
            r.skip_rest("the overall time limit");
            r.finish()
        }
    }
}

/// Scheme, host, port and path (without trailing slash) of a base URL, for comparison.
fn normalised(u: &str) -> Option<(String, String, u16, String)> {
    let u = Url::parse(u.trim()).ok()?;
    Some((
        u.scheme().to_string(),
        u.host_str()?.to_ascii_lowercase(),
        u.port_or_known_default()?,
        u.path().trim_end_matches('/').to_string(),
    ))
}

/// Base URLs to try when the configured one does not answer like Jira: the parent path, the
/// usual `/jira` context path, and the root.
fn variants(base: &Url) -> Vec<Url> {
    let mut out: Vec<Url> = Vec::new();
    let path = base.path().trim_end_matches('/');
    if let Some((parent, _)) = path.rsplit_once('/') {
        let mut u = base.clone();
        u.set_path(parent);
        out.push(u);
    }
    let mut u = base.clone();
    u.set_path(&format!("{path}/jira"));
    out.push(u);
    let mut u = base.clone();
    u.set_path("/jira");
    out.push(u);
    let mut u = base.clone();
    u.set_path("");
    out.push(u);
    let own = normalised(base.as_str());
    let mut seen = Vec::new();
    out.retain(|u| {
        let n = normalised(u.as_str());
        if n == own || seen.contains(&n) {
            return false;
        }
        seen.push(n);
        true
    });
    out
}

fn looks_like_jira(si: &ServerInfo) -> bool {
    si.version.is_some() || si.base_url.is_some() || si.build_number.is_some()
}

/// Errors that explain themselves; probing other URLs would only hide them.
fn is_conclusive(e: &JiraError) -> bool {
    e.is_transport()
        || matches!(
            *e.kind,
            ErrorKind::SsoRedirect { .. }
                | ErrorKind::WrongBaseUrl { .. }
                | ErrorKind::Captcha { .. }
                | ErrorKind::RateLimited { .. }
                | ErrorKind::ServerError { .. }
                | ErrorKind::TooLarge { .. }
                | ErrorKind::Config { .. }
                | ErrorKind::AuthFailed { .. }
                | ErrorKind::Forbidden { .. }
                | ErrorKind::AnonymousFallback { .. }
                | ErrorKind::BasicAuthDisabled { .. }
                | ErrorKind::Html {
                    login_page: true,
                    ..
                }
        )
}

async fn run(name: &str, opts: ClientOptions) -> CheckResult {
    let configured = opts.base_url.clone();
    let mut r = CheckResult::new(name, configured.as_str());
    let insecure = opts.insecure;
    let client = match JiraClient::new(opts) {
        Ok(c) => c,
        Err(e) => {
            r.step(StepName::ServerInfo, StepStatus::Fail, e.diagnose().summary);
            r.fail(e.diagnose());
            r.skip_rest("building the client");
            return r.finish();
        }
    };
    let anon = client.with_auth(Auth::None);
    let (mut si, mf) = tokio::join!(anon.server_info(), anon.manifest());
    let anonymous_refused = matches!(&si, Err(e) if matches!(
        *e.kind,
        ErrorKind::AuthFailed { .. } | ErrorKind::Forbidden { .. }
    ));
    if anonymous_refused && !matches!(client.auth(), Auth::None) {
        // Some instances (or the SSO in front of them) refuse every anonymous REST call; ask
        // again with the configured credentials before judging the server.
        si = client.server_info().await;
    }
    let si_ok = si.as_ref().ok().filter(|s| looks_like_jira(s)).cloned();
    let mf_ok: Option<Manifest> = mf.as_ref().ok().cloned();
    match (&si, &si_ok) {
        (_, Some(s)) => {
            r.server = Some(ServerSummary {
                version: s.version.clone(),
                deployment_type: s.deployment_type.clone(),
                title: s.server_title.clone(),
            });
            r.step(
                StepName::ServerInfo,
                StepStatus::Ok,
                format!(
                    "{} {} ({}), base URL {}",
                    s.server_title.as_deref().unwrap_or("Jira"),
                    s.version.as_deref().unwrap_or("?"),
                    s.deployment_type.as_deref().unwrap_or("?"),
                    s.base_url.as_deref().unwrap_or("?")
                ),
            );
        }
        (Err(e), None) => r.step(StepName::ServerInfo, StepStatus::Fail, e.diagnose().summary),
        (Ok(_), None) => r.step(
            StepName::ServerInfo,
            StepStatus::Fail,
            "answered JSON without version or baseUrl",
        ),
    }
    match &mf {
        Ok(m) => {
            let is_jira = m.type_id.as_deref() == Some("jira");
            r.step(
                StepName::Manifest,
                if is_jira {
                    StepStatus::Ok
                } else {
                    StepStatus::Warn
                },
                format!(
                    "typeId {}, applinks {}, url {}",
                    m.type_id.as_deref().unwrap_or("?"),
                    m.applinks_version.as_deref().unwrap_or("?"),
                    m.url.as_deref().unwrap_or("?")
                ),
            );
        }
        Err(e) => r.step(
            StepName::Manifest,
            if si_ok.is_some() {
                StepStatus::Warn
            } else {
                StepStatus::Fail
            },
            e.diagnose().summary,
        ),
    }
    let found = si_ok.is_some() || mf_ok.as_ref().is_some_and(|m| m.type_id.is_some());
    if !found {
        let errors: Vec<&JiraError> = [si.as_ref().err(), mf.as_ref().err()]
            .into_iter()
            .flatten()
            .collect();
        if let Some(e) = errors.iter().find(|e| is_conclusive(e)) {
            r.fail(e.diagnose());
            r.skip_rest("reaching Jira");
            return r.finish();
        }
        let candidates = variants(&configured);
        let probes = futures::future::join_all(candidates.iter().map(|u| {
            let c = anon.with_base_url(u.clone());
            async move { c.server_info().await }
        }))
        .await;
        let working = candidates
            .iter()
            .zip(probes)
            .find(|(_, p)| p.as_ref().is_ok_and(looks_like_jira))
            .map(|(u, _)| u.as_str().trim_end_matches('/').to_string());
        let d = match working {
            Some(w) => diagnose::wrong_base_url(configured.as_str(), &w).diagnose(),
            None => {
                let what = |x: Option<&JiraError>| {
                    x.map(|e| e.diagnose().summary)
                        .unwrap_or_else(|| "answered, but not like Jira".into())
                };
                diagnose::not_jira(format!(
                    "{} — serverInfo: {}; applinks manifest: {}. Also tried {}.",
                    configured,
                    what(si.as_ref().err()),
                    what(mf.as_ref().err()),
                    candidates
                        .iter()
                        .map(|u| u.as_str().trim_end_matches('/').to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .diagnose()
            }
        };
        r.fail(d);
        r.skip_rest("reaching Jira");
        return r.finish();
    }

    // Warnings that need only the anonymous answers.
    let reported = si_ok
        .as_ref()
        .and_then(|s| s.base_url.clone())
        .or_else(|| mf_ok.as_ref().and_then(|m| m.url.clone()));
    if let Some(rep) = reported {
        if let (Some(a), Some(b)) = (normalised(configured.as_str()), normalised(&rep)) {
            if a != b {
                r.warnings.push(diagnose::base_url_mismatch(
                    configured.as_str().trim_end_matches('/'),
                    rep.trim_end_matches('/'),
                ));
            }
        }
    }

    if matches!(client.auth(), Auth::None) {
        r.step(
            StepName::Auth,
            StepStatus::Skipped,
            "no credentials configured",
        );
        r.step(
            StepName::Myself,
            StepStatus::Skipped,
            "no credentials configured",
        );
        r.step(
            StepName::SignedCall,
            StepStatus::Skipped,
            "no credentials configured",
        );
    } else {
        match client.myself().await {
            Ok(u) => {
                r.step(
                    StepName::Auth,
                    StepStatus::Ok,
                    format!("{} credentials accepted", client.auth().kind()),
                );
                let groups = u.group_names();
                let active = u.active != Some(false);
                r.step(
                    StepName::Myself,
                    if active {
                        StepStatus::Ok
                    } else {
                        StepStatus::Warn
                    },
                    format!(
                        "{} ({}){}, {} group(s)",
                        u.login(),
                        u.display_name.as_deref().unwrap_or("no display name"),
                        if active { "" } else { ", INACTIVE" },
                        groups.len()
                    ),
                );
                r.user = Some(u.login().to_string());
                if matches!(client.auth(), Auth::OAuth1(_)) {
                    match client
                        .my_permissions(None, &["BROWSE_PROJECTS".to_string()])
                        .await
                    {
                        Ok(p) => r.step(
                            StepName::SignedCall,
                            StepStatus::Ok,
                            format!(
                                "mypermissions answered ({} permissions, BROWSE_PROJECTS: {})",
                                p.permissions.len(),
                                match p.has("BROWSE_PROJECTS") {
                                    Some(true) => "yes",
                                    Some(false) => "no",
                                    None => "not reported",
                                }
                            ),
                        ),
                        Err(e) => {
                            r.step(StepName::SignedCall, StepStatus::Fail, e.diagnose().summary);
                            r.fail(e.diagnose());
                        }
                    }
                } else if let Auth::OAuth2(session) = client.auth() {
                    // OAuth 2.0: who the token acts as and with which scopes (what Jira granted,
                    // else what was asked for).
                    let t = session.tokens().await;
                    let scopes = t.scope.clone().unwrap_or_else(|| session.scopes.join(" "));
                    let who = match session.grant {
                        crate::jira::oauth2::Grant::ClientCredentials => {
                            format!("as service account {}", u.login())
                        }
                        _ => format!("as {}", u.login()),
                    };
                    let renewed = match session.renewals() {
                        0 => String::new(),
                        n => format!("; access token renewed {n}x and saved"),
                    };
                    r.step(
                        StepName::SignedCall,
                        StepStatus::Ok,
                        format!("OAuth 2.0 token acts {who} with scopes {scopes}{renewed}"),
                    );
                } else {
                    r.step(
                        StepName::SignedCall,
                        StepStatus::Skipped,
                        "only OAuth connections sign requests",
                    );
                }
            }
            Err(e) => {
                r.step(StepName::Auth, StepStatus::Fail, e.diagnose().summary);
                r.fail(e.diagnose());
                r.skip_rest("auth");
            }
        }
    }

    r.clock_skew_secs = client.clock_skew_secs();
    if let Some(d) = r.clock_skew_secs.and_then(diagnose::clock_skew) {
        if d.is_error() {
            r.fail(d);
        } else {
            r.warnings.push(d);
        }
    }
    if insecure {
        r.warnings.push(diagnose::insecure_tls());
    }
    r.finish()
}

impl CheckResult {
    /// A result for a connection that could not even be checked (config, secret or key problem).
    pub fn failed(name: &str, url: &str, diagnosis: Diagnosis) -> Self {
        CheckResult {
            name: name.to_owned(),
            url: url.to_owned(),
            ok: false,
            server: None,
            user: None,
            clock_skew_secs: None,
            diagnosis: Some(diagnosis),
            warnings: Vec::new(),
            steps: Vec::new(),
            expires_at: None,
            credential: None,
        }
    }
}

/// Resolve a configured connection's secrets and key, then [`check`] it; a connection that cannot
/// be built (missing env var, failing `cmd`, unreadable key) is a failed result with its diagnosis.
/// The one entry point both front ends use, so they show the same verdict.
pub async fn check_connection(
    conn: &crate::config::Connection,
    defaults: &crate::config::Defaults,
) -> CheckResult {
    match conn.client_options_async(defaults).await {
        Ok(opts) => {
            let mut r = check(&conn.name, opts.clone()).await;
            // A Cloud token refused at the site may be a scoped one that works only through
            // the API gateway: say so with the URL to use.
            if conn.auth == crate::config::AuthKind::CloudToken
                && r.diagnosis
                    .as_ref()
                    .is_some_and(crate::lifecycle::scoped::is_site_refusal)
            {
                if let Ok(client) = JiraClient::new(opts.clone()) {
                    let gateway = crate::lifecycle::scoped::gateway_origin();
                    if let Some(d) =
                        crate::lifecycle::scoped::diagnose_wrong_host(&conn.name, &client, &gateway)
                            .await
                    {
                        r.scoped_token_wrong_host(d);
                    }
                }
            }
            // Jira's PAT list needs working credentials; recorded dates need none.
            let can_ask = r.user.is_some() || conn.auth != crate::config::AuthKind::Pat;
            if can_ask {
                if let Ok(client) = JiraClient::new(opts) {
                    if let Some(info) = expiry::credential_info(conn, &client).await {
                        r.add_credential(
                            info,
                            time::OffsetDateTime::now_utc(),
                            defaults.warn_expiry_days,
                        );
                    }
                }
            }
            r
        }
        Err(e) => CheckResult::failed(&conn.name, &conn.url, e.diagnosis()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_of_a_context_path() {
        let v = variants(&Url::parse("https://h.example/jira/extra").unwrap());
        let s: Vec<&str> = v.iter().map(|u| u.as_str()).collect();
        assert_eq!(
            s,
            vec![
                "https://h.example/jira",
                "https://h.example/jira/extra/jira",
                "https://h.example/"
            ]
        );
        let v = variants(&Url::parse("https://h.example/").unwrap());
        let s: Vec<&str> = v.iter().map(|u| u.as_str()).collect();
        assert_eq!(s, vec!["https://h.example/jira"]);
    }

    #[test]
    fn normalisation_ignores_default_port_and_slash() {
        assert_eq!(
            normalised("https://Jira.Example.com:443/jira/"),
            normalised("https://jira.example.com/jira")
        );
        assert_ne!(
            normalised("http://jira.example.com/jira"),
            normalised("https://jira.example.com/jira")
        );
    }
}
