//! `jiralink demo`. SKELETON.
use super::Global;

/// Arguments of `demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// How many projects the demo simulator generates.
    #[arg(long, default_value_t = 300)]
    pub projects: usize,
}

/// Run `demo`.
pub async fn run(_g: &Global, _a: DemoArgs) -> anyhow::Result<u8> {
    anyhow::bail!("demo: not built yet")
}
