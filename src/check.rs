//! `check`: probe one connection (serverInfo → manifest → auth → myself) and explain the result.
//! Shared by `jiralink check` and the TUI connections pane, so both show the same verdict.
//! SKELETON: the types are the contract; the client helper implements `check`.

use crate::jira::{ClientOptions, Diagnosis};
use serde::Serialize;

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

/// One step of the chain: `server_info`, `manifest`, `auth`, `myself`, `signed_call`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub name: &'static str,
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
    pub steps: Vec<Step>,
}

/// Run the whole chain for one connection. Never panics, never hangs past the client timeouts.
pub async fn check(name: &str, opts: ClientOptions) -> CheckResult {
    let _ = (name, opts);
    todo!()
}
