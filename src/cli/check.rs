//! `jiralink check`. SKELETON.
use super::Global;

/// Arguments of `check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Connections to check (default: all).
    pub names: Vec<String>,
    /// Print JSON instead of status lines.
    #[arg(long)]
    pub json: bool,
}

/// Run `check`.
pub async fn run(_g: &Global, _a: CheckArgs) -> anyhow::Result<u8> {
    anyhow::bail!("check: not built yet")
}
