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
    /// The state dir or the log file could not be created.
    #[error("cannot create the log directory or file {path}: {source}")]
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

/// Open the log for appending with mode 0600 (it names connections, users and URLs); a log an
/// older version created 0644 is tightened too.
pub fn open_log_file(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)?;
    if file.metadata()?.permissions().mode() & 0o077 != 0 {
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
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
    let log_file = dir.join(crate::paths::LOG_FILE_NAME);
    let file = open_log_file(&log_file).map_err(|source| LoggingError::Dir {
        path: log_file.display().to_string(),
        source,
    })?;
    let (writer, guard) = tracing_appender::non_blocking(file);
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// Issue 14 §6: the log is 0600, also one an older version left 0644.
    #[test]
    fn log_file_is_private() {
        let t = tempfile::tempdir().unwrap();
        let new = t.path().join("new.log");
        open_log_file(&new).unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&new), 0o600);
        let old = t.path().join("old.log");
        std::fs::write(&old, "x\n").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
        open_log_file(&old).unwrap();
        assert_eq!(mode(&old), 0o600);
        assert_eq!(std::fs::read_to_string(&old).unwrap(), "x\n");
    }
}
