//! `jiralink sim`. SKELETON.
use super::Global;

/// Arguments of `sim`.
#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub bind: String,
    /// How many projects to generate.
    #[arg(long, default_value_t = 50)]
    pub projects: usize,
    /// Failure scenario to start with.
    #[arg(long)]
    pub scenario: Option<String>,
    /// The Jira version to claim.
    #[arg(long, default_value = "9.12.3")]
    pub jira_version: String,
}

/// Run `sim`.
pub async fn run(_g: &Global, _a: SimArgs) -> anyhow::Result<u8> {
    anyhow::bail!("sim: not built yet")
}
