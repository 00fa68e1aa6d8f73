//! The terminal UI. SKELETON: filled by a later change.
use crate::cli::Global;

/// Open the TUI with the user's config.
pub async fn run_from_cli(_g: &Global) -> anyhow::Result<u8> {
    anyhow::bail!("the TUI arrives with a later change; try `jiralink check` or `jiralink sim`")
}
