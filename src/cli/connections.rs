//! `jiralink connections …`. SKELETON.
use super::Global;

/// `connections` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum ConnectionsCommand {
    /// List configured connections.
    List,
}

/// Run `connections`.
pub async fn run(_g: &Global, _a: ConnectionsCommand) -> anyhow::Result<u8> {
    anyhow::bail!("connections: not built yet")
}
