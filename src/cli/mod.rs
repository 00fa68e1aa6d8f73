//! The headless front end: clap definitions and dispatch. Each subcommand lives in its own file
//! and returns an exit code; errors are printed once, here at the edge.

pub mod audit;
pub mod check;
pub mod connections;
pub mod demo;
pub mod info;
pub mod link;
pub mod sim;
pub mod style;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit code: everything fine.
pub const EXIT_OK: u8 = 0;
/// Exit code: some connection / project has a problem.
pub const EXIT_PROBLEM: u8 = 1;
/// Exit code: usage or config error.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: the work could not run (auth, network).
pub const EXIT_CANNOT_RUN: u8 = 3;

/// Link Jira to other applications (OAuth 1.0a application links) and audit what the link can see.
#[derive(Debug, Parser)]
#[command(name = "jiralink", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every subcommand takes.
#[derive(Debug, Clone, clap::Args)]
pub struct Global {
    /// Config file (default: $XDG_CONFIG_HOME/jiralink/config.toml).
    #[arg(long, global = true, env = "JIRALINK_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// When to use colour.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Use ASCII symbols instead of Unicode ones.
    #[arg(long, global = true)]
    pub ascii: bool,
}

/// `--color auto|always|never`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// `--format table|json|csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
    Csv,
}

/// The subcommands; none opens the TUI.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check connections: server, applinks manifest, authentication, clock.
    Check(check::CheckArgs),
    /// Audit which projects a user can see and use, why not, and the fix.
    Audit(audit::AuditArgs),
    /// Set up an incoming application link with OAuth 1.0a.
    #[command(subcommand)]
    Link(link::LinkCommand),
    /// List, add or remove connections.
    #[command(subcommand)]
    Connections(connections::ConnectionsCommand),
    /// Version, config/data/log paths and the config file read.
    Info,
    /// Run the built-in Jira simulator.
    Sim(sim::SimArgs),
    /// Open the TUI against the built-in simulator.
    Demo(demo::DemoArgs),
}

/// Parse arguments, run, and map the outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // Logs go to a file under the state dir, never to the terminal; keep the guard until exit.
    let _log = crate::paths::Paths::resolve(cli.global.config.as_deref())
        .ok()
        .and_then(|p| crate::logging::init(&p, 0).ok());
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("jiralink: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_CANNOT_RUN);
        }
    };
    let code = rt.block_on(dispatch(cli));
    match code {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("jiralink: {e:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// Load the config the global options point at (a missing file is an empty config).
pub fn load_config(g: &Global) -> anyhow::Result<(crate::paths::Paths, crate::config::Config)> {
    let paths = crate::paths::Paths::resolve(g.config.as_deref())?;
    let cfg = crate::config::Config::load_or_default(&paths.config_file)?;
    Ok((paths, cfg))
}

async fn dispatch(cli: Cli) -> anyhow::Result<u8> {
    let g = cli.global;
    match cli.command {
        None => crate::tui::run_from_cli(&g).await,
        Some(Command::Check(a)) => check::run(&g, a).await,
        Some(Command::Audit(a)) => audit::run(&g, a).await,
        Some(Command::Link(a)) => link::run(&g, a).await,
        Some(Command::Connections(a)) => connections::run(&g, a).await,
        Some(Command::Info) => info::run(&g).await,
        Some(Command::Sim(a)) => sim::run(&g, a).await,
        Some(Command::Demo(a)) => demo::run(&g, a).await,
    }
}
