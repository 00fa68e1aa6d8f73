//! `jiralink link …`. SKELETON.
use super::Global;

/// `link` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum LinkCommand {
    /// Generate an RSA key pair for an OAuth consumer.
    Keygen,
}

/// Run `link`.
pub async fn run(_g: &Global, _a: LinkCommand) -> anyhow::Result<u8> {
    anyhow::bail!("link: not built yet")
}
