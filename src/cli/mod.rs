//! The headless front end: clap definitions and dispatch. Each subcommand lives in its own file
//! and returns an exit code; errors are printed once, here at the edge.

pub mod audit;
pub mod check;
pub mod completions;
pub mod connections;
#[cfg(feature = "sim")]
pub mod demo;
pub mod fix;
pub mod info;
pub mod link;
pub mod link_oauth2;
pub mod links;
pub mod man;
pub mod rotate;
#[cfg(feature = "sim")]
pub mod sim;
/// The terminal/colour rules, shared with the TUI ([`crate::term`]).
pub use crate::term as style;
pub use crate::term::{
    ColorChoice, EXIT_BROKEN_PIPE, EXIT_CANNOT_RUN, EXIT_OK, EXIT_PROBLEM, EXIT_USAGE,
};

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

/// Link Jira to other applications (incoming OAuth 2.0 or OAuth 1.0a links) and audit what the link can see.
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

/// `--format table|json|csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
    Csv,
}

/// `--format` of `audit` and `check`, the commands monitoring runs: [`Format`]'s three and
/// `prometheus` (the text format Prometheus scrapes, `metrics::prometheus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum MonitorFormat {
    #[default]
    Table,
    Json,
    Csv,
    Prometheus,
}

/// Write `text` to `out` atomically (a temporary file in the same folder, mode 0600, renamed over
/// the target, so a reader such as node_exporter never sees half a file), or to stdout.
pub fn write_output(out: Option<&std::path::Path>, text: &str) -> anyhow::Result<()> {
    match out {
        Some(path) => crate::paths::write_secret_file(path, text.as_bytes())
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display())),
        None => Ok(print_out(text)?),
    }
}

/// One CSV record (RFC 4180): fields with a comma, quote or line break are quoted, quotes doubled.
pub fn csv_record<S: AsRef<str>>(fields: &[S]) -> String {
    let mut line = fields
        .iter()
        .map(|f| {
            let f = f.as_ref();
            if f.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// The subcommands; none opens the TUI.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check connections: server, applinks manifest, authentication, clock.
    Check(check::CheckArgs),
    /// Audit which projects a user can see and use, why not, and the fix.
    Audit(audit::AuditArgs),
    /// Plan, apply and undo least-privilege fixes for what the audit finds missing.
    Fix(fix::FixArgs),
    /// Set up an incoming application link with OAuth 1.0a.
    #[command(subcommand)]
    Link(link::LinkCommand),
    /// List, add or remove connections.
    #[command(subcommand)]
    Connections(connections::ConnectionsCommand),
    /// List a Jira's application links with their health (needs an admin connection).
    Links(links::LinksArgs),
    /// Version, paths, the config file read, proxy/CA settings and terminal capabilities.
    Info(info::InfoArgs),
    /// Run the built-in Jira simulator.
    #[cfg(feature = "sim")]
    Sim(sim::SimArgs),
    /// Open the TUI against the built-in simulator.
    #[cfg(feature = "sim")]
    Demo(demo::DemoArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff), or write one page per subcommand with --out.
    Man(man::ManArgs),
}

/// The commit this binary was built from (set by build.rs; "unknown" outside a git checkout).
pub const GIT_COMMIT: &str = env!("JIRALINK_GIT_COMMIT");

/// `--version` text: version, commit, and where config, data and logs live for this user.
pub fn long_version(config_override: Option<&std::path::Path>) -> String {
    let mut s = format!("{} (commit {GIT_COMMIT})", env!("CARGO_PKG_VERSION"));
    match crate::paths::Paths::resolve(config_override) {
        Ok(p) => {
            s += &format!("\nconfig: {}", p.config_file.display());
            s += &format!("\ndata:   {}", p.data_dir.display());
            s += &format!("\nlogs:   {}", p.log_file.display());
        }
        Err(e) => s += &format!("\npaths:  {e}"),
    }
    s
}

/// The clap command with the run-time parts filled in (long version, colour), used for parsing,
/// completions and the man page alike so they can never disagree.
pub fn command(color: ColorChoice, config_override: Option<&std::path::Path>) -> clap::Command {
    // clap only takes a `&'static str` here without its `string` feature; the text is built
    // once per process, so leaking it costs a few hundred bytes and nothing else.
    let version: &'static str = Box::leak(long_version(config_override).into_boxed_str());
    Cli::command()
        .long_version(version)
        .color(style::clap_color(color))
}

/// What `--color` and `--config` say before clap has parsed anything, so help and errors are
/// coloured (or not) the way the user asked. Unparsable values fall back to the defaults: clap
/// reports them properly a moment later.
fn early_globals(args: &[OsString]) -> (ColorChoice, Option<PathBuf>) {
    let mut color = ColorChoice::Auto;
    let mut config = None;
    let mut it = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(a) = it.next() {
        if a == "--" {
            break;
        }
        let (key, inline) = match a.split_once('=') {
            Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
            None => (a.to_string(), None),
        };
        match key.as_str() {
            "--color" => {
                let v = inline.or_else(|| it.next().map(|v| v.to_string()));
                if let Some(c) = v.and_then(|v| ColorChoice::from_str(&v, true).ok()) {
                    color = c;
                }
            }
            "--config" => {
                config = inline
                    .or_else(|| it.next().map(|v| v.to_string()))
                    .map(PathBuf::from);
            }
            _ => {}
        }
    }
    (color, config)
}

/// Parse `args` with the run-time command; on `--help`, `--version` or bad usage clap prints and
/// exits (code 2 for usage errors, like `EXIT_USAGE`).
pub fn parse_from(args: Vec<OsString>) -> Cli {
    let (color, config) = early_globals(&args);
    let config = config.or_else(|| std::env::var_os(crate::paths::ENV_CONFIG).map(PathBuf::from));
    let matches = command(color, config.as_deref()).get_matches_from(args);
    match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    }
}

/// Parse arguments, run, and map the outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = parse_from(std::env::args_os().collect());
    // Logs go to a file under the state dir, never to the terminal; keep the guard until exit.
    // The demo logs into its own temp dir instead (it leaves nothing in the user's home).
    #[cfg(feature = "sim")]
    let demo = matches!(cli.command, Some(Command::Demo(_)));
    #[cfg(not(feature = "sim"))]
    let demo = false;
    let paths = crate::paths::Paths::resolve(cli.global.config.as_deref()).ok();
    let _log = paths
        .as_ref()
        .filter(|_| !demo)
        .and_then(|p| crate::logging::init(p, 0).ok());
    // No core dumps with secrets in them; clear what a killed earlier run left half-written.
    match &paths {
        Some(p) => crate::housekeeping::on_start(p),
        None => crate::housekeeping::disable_core_dumps(),
    }
    let rt = match runtime_for(cli.command.as_ref()).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("jiralink: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_CANNOT_RUN);
        }
    };
    let code = rt.block_on(dispatch(cli));
    match code {
        Ok(code) => ExitCode::from(code),
        // `jiralink check --format json | head`: the reader left, which is not an error worth a
        // message. 141 is what a shell reports for a process ended by SIGPIPE, which is how
        // `cat` and friends behave here.
        Err(e) if is_broken_pipe(&e) => ExitCode::from(EXIT_BROKEN_PIPE),
        Err(e) => {
            // The chain may quote a server or a file: made safe for the terminal.
            let text = format!("{e:#}");
            eprintln!(
                "jiralink: {}",
                crate::shown::terminal(&text, false, Some(crate::shown::MAX_LINE_CHARS))
            );
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// The Tokio runtime a command runs on.
///
/// The headless client commands get a single-threaded one: they are I/O-bound loops over one
/// HTTP client, and on a multi-threaded runtime every response crossed threads (hyper's
/// connection task on one worker, the audit's `buffer_unordered` on another). strace of a
/// 2,000-project audit: 3,391 `futex` calls for 1,558 responses, ~80 % of its syscall time
/// (bench/NOTES.md). The TUI, the demo and the simulator keep the multi-threaded one: the
/// simulator serves many connections at once, and the TUI's render loop must not share its
/// thread with the parsing of a 10,000-project answer.
fn runtime_for(command: Option<&Command>) -> tokio::runtime::Builder {
    match command {
        None => tokio::runtime::Builder::new_multi_thread(),
        #[cfg(feature = "sim")]
        Some(Command::Sim(_) | Command::Demo(_)) => tokio::runtime::Builder::new_multi_thread(),
        Some(_) => tokio::runtime::Builder::new_current_thread(),
    }
}

/// True when the error chain holds an `io::Error` of kind `BrokenPipe`.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Write `text` to stdout and flush. Unlike `print!` it returns an error instead of panicking
/// when the reader has gone (a pipe into `head`), so the edge can exit quietly.
pub fn print_out(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Print human output (a table or messages) made safe for a terminal: what a server or a file
/// said cannot move the cursor, retitle the window or write the clipboard, and long lines are cut
/// ([`crate::shown::terminal`]); `color` keeps jiralink's own colour codes.
pub fn print_table(text: &str, color: bool) -> std::io::Result<()> {
    print_out(&crate::shown::terminal(
        text,
        color,
        Some(crate::shown::MAX_LINE_CHARS),
    ))
}

/// Print CSV with control characters escaped (a spreadsheet or a terminal may show it); no
/// line is cut, since CSV is read by programs.
pub fn print_csv(text: &str) -> std::io::Result<()> {
    print_out(&crate::shown::terminal(text, false, None))
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
        None => crate::tui::run_from_cli(g.config.clone(), g.color, g.ascii).await,
        Some(Command::Check(a)) => check::run(&g, a).await,
        Some(Command::Audit(a)) => audit::run(&g, a).await,
        Some(Command::Fix(a)) => fix::run(&g, a).await,
        Some(Command::Link(a)) => link::run(&g, a).await,
        Some(Command::Connections(a)) => connections::run(&g, a).await,
        Some(Command::Links(a)) => links::run(&g, a).await,
        Some(Command::Info(a)) => info::run(&g, a).await,
        #[cfg(feature = "sim")]
        Some(Command::Sim(a)) => sim::run(&g, a).await,
        #[cfg(feature = "sim")]
        Some(Command::Demo(a)) => demo::run(&g, a).await,
        Some(Command::Completions(a)) => completions::run(&g, a),
        Some(Command::Man(a)) => man::run(&g, a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    #[test]
    fn early_globals_read_both_spellings() {
        let (c, p) = early_globals(&args(&["jiralink", "--color=never", "check"]));
        assert_eq!(c, ColorChoice::Never);
        assert_eq!(p, None);
        let (c, p) = early_globals(&args(&[
            "jiralink", "check", "--color", "always", "--config", "/x.toml",
        ]));
        assert_eq!(c, ColorChoice::Always);
        assert_eq!(p, Some(PathBuf::from("/x.toml")));
        // After `--` everything is a positional value.
        let (c, _) = early_globals(&args(&["jiralink", "check", "--", "--color=never"]));
        assert_eq!(c, ColorChoice::Auto);
        // A bad value is left for clap to report.
        let (c, _) = early_globals(&args(&["jiralink", "--color", "purple"]));
        assert_eq!(c, ColorChoice::Auto);
    }

    #[test]
    fn csv_quotes_only_when_needed() {
        assert_eq!(csv_record(&["a", "b c"]), "a,b c\r\n");
        assert_eq!(
            csv_record(&["x,y", "say \"hi\"", "l1\nl2"]),
            "\"x,y\",\"say \"\"hi\"\"\",\"l1\nl2\"\r\n"
        );
    }

    #[test]
    fn clap_definition_is_consistent() {
        command(ColorChoice::Never, None).debug_assert();
    }

    #[test]
    fn long_version_names_commit_and_paths() {
        let v = long_version(Some(std::path::Path::new("/tmp/jl-test/config.toml")));
        assert!(v.starts_with(env!("CARGO_PKG_VERSION")), "{v}");
        assert!(v.contains("commit "), "{v}");
        assert!(v.contains("config: /tmp/jl-test/config.toml"), "{v}");
    }
}
