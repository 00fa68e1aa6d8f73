//! `jiralink audit`. SKELETON.
use super::{Format, Global};

/// Arguments of `audit`.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// The connection of the integration user (optional with --admin and --user).
    pub subject: Option<String>,
    /// An admin connection: audit every project from the permission schemes.
    #[arg(long)]
    pub admin: Option<String>,
    /// The username to audit through the admin connection.
    #[arg(long)]
    pub user: Option<String>,
    /// Required permissions, comma-separated (default from config).
    #[arg(long, value_delimiter = ',')]
    pub require: Vec<String>,
    /// Only these projects (repeatable).
    #[arg(long = "project")]
    pub projects: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Concurrent requests (default from config).
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Re-run every SECS seconds and report what changed.
    #[arg(long, value_name = "SECS")]
    pub watch: Option<u64>,
}

/// Run `audit`.
pub async fn run(_g: &Global, _a: AuditArgs) -> anyhow::Result<u8> {
    anyhow::bail!("audit: not built yet")
}
