//! Logging with `tracing` to a file under the state dir; never to the terminal (the TUI owns it).

use crate::paths::Paths;
use std::path::Path;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Env var holding the log filter (`tracing_subscriber` directives, e.g. `jiralink=debug`).
pub const ENV_LOG: &str = "JIRALINK_LOG";

/// Why logging could not start.
#[derive(Debug, thiserror::Error)]
pub enum LoggingError {
    /// The state dir could not be created.
    #[error("cannot create the log directory {path}: {source}")]
    Dir {
        path: String,
        source: std::io::Error,
    },
    /// `JIRALINK_LOG` is not a valid filter.
    #[error("{ENV_LOG} is not a valid log filter: {0}")]
    Filter(String),
    /// A global subscriber was already installed (e.g. a second `init`).
    #[error("logging was already set up")]
    AlreadySet,
}

/// The filter: `JIRALINK_LOG` when set, else `info`, raised by `-v` (1 → debug, 2+ → trace).
pub fn filter(verbose: u8) -> Result<EnvFilter, LoggingError> {
    match std::env::var(ENV_LOG) {
        Ok(spec) if !spec.trim().is_empty() => {
            EnvFilter::try_new(spec).map_err(|e| LoggingError::Filter(e.to_string()))
        }
        _ => Ok(EnvFilter::new(match verbose {
            0 => "info",
            1 => "debug",
            _ => "trace",
        })),
    }
}

/// Start logging to `paths.log_file` (appending, no ANSI). Keep the guard alive until exit:
/// dropping it flushes the background writer.
pub fn init(paths: &Paths, verbose: u8) -> Result<WorkerGuard, LoggingError> {
    paths
        .ensure_state_dir()
        .map_err(|source| LoggingError::Dir {
            path: paths.state_dir.display().to_string(),
            source,
        })?;
    init_in(&paths.state_dir, verbose)
}

/// Start logging to `dir/jiralink.log`, creating `dir` (the demo logs into its temp dir, so
/// nothing is left in the user's state dir).
pub fn init_in(dir: &Path, verbose: u8) -> Result<WorkerGuard, LoggingError> {
    std::fs::create_dir_all(dir).map_err(|source| LoggingError::Dir {
        path: dir.display().to_string(),
        source,
    })?;
    let filter = filter(verbose)?;
    let appender = tracing_appender::rolling::never(dir, crate::paths::LOG_FILE_NAME);
    let (writer, guard) = tracing_appender::non_blocking(appender);
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .with_target(true)
        .try_init()
        .map_err(|_| LoggingError::AlreadySet)?;
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "jiralink started");
    Ok(guard)
}
