//! What every jiralink run does first: keep secrets out of core dumps, and clear away what an
//! earlier, killed run left half-written (temp copies of the config, token files no config points
//! at). Only files whose writer is gone are touched.

use crate::paths::{pid_alive, sweep_stale_temp_files, Paths};
use std::path::{Path, PathBuf};

/// Run the start-up chores; never fails (each one is best effort and logged).
pub fn on_start(paths: &Paths) {
    disable_core_dumps();
    let mut removed = Vec::new();
    if let Some(dir) = paths.config_file.parent() {
        removed.extend(sweep_stale_temp_files(dir));
    }
    if let Ok(real) = crate::paths::resolve_symlinks(&paths.config_file) {
        if let Some(dir) = real
            .parent()
            .filter(|d| Some(*d) != paths.config_file.parent())
        {
            removed.extend(sweep_stale_temp_files(dir));
        }
    }
    removed.extend(sweep_stale_temp_files(&paths.data_dir));
    let tokens = crate::link::token_dir(paths);
    removed.extend(sweep_stale_temp_files(&tokens));
    removed.extend(sweep_orphaned_token_files(paths));
    for p in removed {
        tracing::info!(path = %p.display(), "removed what an interrupted save left behind");
    }
}

/// Keep secrets (passwords, tokens, private keys) out of core dumps, as ssh-agent does: the
/// process is marked not dumpable (Linux `PR_SET_DUMPABLE 0`, which also stops other processes
/// of the same user from attaching with ptrace) and its core size limit is set to 0.
pub fn disable_core_dumps() {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let hard = getrlimit(Resource::Core).maximum;
    if let Err(e) = setrlimit(
        Resource::Core,
        Rlimit {
            current: Some(0),
            maximum: hard,
        },
    ) {
        tracing::warn!(error = %e, "cannot set RLIMIT_CORE to 0");
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if let Err(e) =
        rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
    {
        tracing::warn!(error = %e, "cannot clear PR_SET_DUMPABLE");
    }
}

/// The pid a token file's name carries (`<name>-<stamp>-p<pid>.access_token`), if any.
fn writer_pid(file_name: &str) -> Option<u32> {
    let stem = [
        ".access_token",
        ".token_secret",
        ".oauth2_access_token",
        ".oauth2_refresh_token",
        ".oauth2_client_secret",
    ]
    .iter()
    .find_map(|suffix| file_name.strip_suffix(suffix))?;
    stem.rsplit_once("-p")?.1.parse().ok()
}

/// Remove token files under the token dir that no connection references and whose writer has
/// exited: a save killed between writing the token and switching the config over. Holds the
/// config lock so it never races a save in progress. Returns what was removed.
pub fn sweep_orphaned_token_files(paths: &Paths) -> Vec<PathBuf> {
    let dir = crate::link::token_dir(paths);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let candidates: Vec<(PathBuf, u32)> = entries
        .flatten()
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .filter_map(|e| {
            let pid = writer_pid(e.file_name().to_str()?)?;
            Some((e.path(), pid))
        })
        .filter(|(_, pid)| *pid != std::process::id() && !pid_alive(*pid))
        .collect();
    if candidates.is_empty() {
        return Vec::new();
    }
    let Ok(_lock) = crate::filelock::lock_exclusive(&paths.config_file) else {
        return Vec::new();
    };
    // A config that does not parse: keep everything, the user may still need those tokens.
    let Ok(config) = crate::config::Config::load_or_default(&paths.config_file) else {
        return Vec::new();
    };
    let referenced: Vec<&Path> = config
        .connections
        .iter()
        .flat_map(|c| {
            [
                &c.access_token,
                &c.token_secret,
                &c.refresh_token,
                &c.client_secret,
                &c.token,
                &c.password,
            ]
        })
        .filter_map(|s| match s {
            Some(crate::secret::SecretRef::File(p)) => Some(p.as_path()),
            _ => None,
        })
        .collect();
    candidates
        .into_iter()
        .filter(|(p, _)| !referenced.contains(&p.as_path()))
        .filter(|(p, _)| std::fs::remove_file(p).is_ok())
        .map(|(p, _)| p)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writer_pid_is_read_from_token_file_names() {
        assert_eq!(writer_pid("prod-1700-p4242.access_token"), Some(4242));
        assert_eq!(writer_pid("my-prod-1700-p7.token_secret"), Some(7));
        assert_eq!(writer_pid("prod-1700.access_token"), None);
        assert_eq!(writer_pid("prod.request_token.json"), None);
        assert_eq!(writer_pid("app-1700-p9.oauth2_refresh_token"), Some(9));
        assert_eq!(writer_pid("app-1700-p9.oauth2_client_secret"), Some(9));
        assert_eq!(writer_pid("app.oauth2_pending.json"), None);
    }
}
