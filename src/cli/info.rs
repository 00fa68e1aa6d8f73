//! `jiralink info`. SKELETON.
use super::Global;

/// Run `info`.
pub async fn run(_g: &Global) -> anyhow::Result<u8> {
    anyhow::bail!("info: not built yet")
}
