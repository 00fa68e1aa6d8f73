//! Where jiralink keeps its config, data (keys, tokens) and logs, and how private files are written
//! there (atomic, mode 0600, directories 0700).

use std::ffi::OsString;
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Env var overriding the config file path.
pub const ENV_CONFIG: &str = "JIRALINK_CONFIG";
/// Env var overriding the data dir (keys, tokens).
pub const ENV_DATA: &str = "JIRALINK_DATA";
/// Env var overriding the state dir (logs).
pub const ENV_STATE: &str = "JIRALINK_STATE";
/// Name of the log file inside the state dir.
pub const LOG_FILE_NAME: &str = "jiralink.log";

/// The places jiralink reads and writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// The config file (may not exist yet).
    pub config_file: PathBuf,
    /// Keys and tokens; created 0700.
    pub data_dir: PathBuf,
    /// Logs; created 0700.
    pub state_dir: PathBuf,
    /// The log file inside `state_dir`.
    pub log_file: PathBuf,
}

/// No home directory could be found to put the default paths under.
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot find a home directory for the default paths; set {ENV_CONFIG}, {ENV_DATA} and {ENV_STATE}")]
pub struct NoHomeDir;

impl Paths {
    /// Resolve from the process environment; `config_override` (`--config`) wins over `JIRALINK_CONFIG`.
    pub fn resolve(config_override: Option<&Path>) -> Result<Paths, NoHomeDir> {
        Self::resolve_with(config_override, |k| std::env::var_os(k))
    }

    /// Resolve with an explicit environment lookup (tests use this to avoid mutating the process env).
    pub fn resolve_with(
        config_override: Option<&Path>,
        env: impl Fn(&str) -> Option<OsString>,
    ) -> Result<Paths, NoHomeDir> {
        let from_env = |k: &str| {
            env(k)
                .filter(|v| !v.is_empty())
                .map(|v| expand_tilde(Path::new(&v)))
        };
        let config_file = config_override
            .filter(|p| !p.as_os_str().is_empty())
            .map(expand_tilde)
            .or_else(|| from_env(ENV_CONFIG));
        let data_dir = from_env(ENV_DATA);
        let state_dir = from_env(ENV_STATE);
        // Only ask `directories` when something is still missing, so a fully overridden
        // environment (tests, containers without HOME) works.
        let dirs = if config_file.is_none() || data_dir.is_none() || state_dir.is_none() {
            Some(directories::ProjectDirs::from("", "", "jiralink").ok_or(NoHomeDir)?)
        } else {
            None
        };
        let pick = |v: Option<PathBuf>, f: &dyn Fn(&directories::ProjectDirs) -> PathBuf| {
            v.or_else(|| dirs.as_ref().map(f)).ok_or(NoHomeDir)
        };
        let config_file = pick(config_file, &|d| d.config_dir().join("config.toml"))?;
        let data_dir = pick(data_dir, &|d| d.data_dir().to_owned())?;
        // `state_dir` is Linux-only in `directories`; elsewhere logs go under the local data dir.
        let state_dir = pick(state_dir, &|d| {
            d.state_dir()
                .map(Path::to_owned)
                .unwrap_or_else(|| d.data_local_dir().join("state"))
        })?;
        let log_file = state_dir.join(LOG_FILE_NAME);
        Ok(Paths {
            config_file,
            data_dir,
            state_dir,
            log_file,
        })
    }

    /// Create the data dir (0700) if needed and return it.
    pub fn ensure_data_dir(&self) -> io::Result<&Path> {
        create_private_dir(&self.data_dir)?;
        Ok(&self.data_dir)
    }

    /// Create the state dir (0700) if needed and return it.
    pub fn ensure_state_dir(&self) -> io::Result<&Path> {
        create_private_dir(&self.state_dir)?;
        Ok(&self.state_dir)
    }
}

/// Expand a leading `~` or `~/` to the home directory; other paths are returned unchanged.
pub fn expand_tilde(path: &Path) -> PathBuf {
    let Ok(rest) = path.strip_prefix("~") else {
        return path.to_owned();
    };
    match directories::BaseDirs::new() {
        Some(b) => b.home_dir().join(rest),
        None => path.to_owned(),
    }
}

/// Create `dir` and any missing parents with mode 0700 (existing directories are left alone).
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// `Ok(Err(mode))` when `path` is readable or writable by group/others, `Ok(Ok(()))` when private.
pub fn private_mode(path: &Path) -> io::Result<Result<(), u32>> {
    let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
    Ok(if mode & 0o077 != 0 { Err(mode) } else { Ok(()) })
}

/// Refuse a file that group/others can access; the message carries the `chmod 600` fix.
pub fn check_private_perms(path: &Path) -> Result<(), String> {
    match private_mode(path) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(mode)) => Err(format!(
            "{} is readable by group/others (mode {mode:o}); run `chmod 600 {}`",
            path.display(),
            path.display()
        )),
        Err(e) => Err(format!("cannot inspect {}: {e}", path.display())),
    }
}

/// Start of every temp file name jiralink writes; the writer's pid follows, so a later run can
/// tell a stale one (its writer is gone) from one being written right now.
pub const TEMP_PREFIX: &str = ".jiralink-";
/// End of every temp file name jiralink writes.
pub const TEMP_SUFFIX: &str = ".tmp";

fn temp_prefix() -> String {
    format!("{TEMP_PREFIX}{}-", std::process::id())
}

/// `path` with symlinks followed (up to 40 hops, like the kernel); a dangling link resolves to
/// where it points, so the first save creates the target.
pub fn resolve_symlinks(path: &Path) -> io::Result<PathBuf> {
    let mut p = path.to_owned();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = std::fs::read_link(&p)?;
                p = match p.parent() {
                    Some(dir) if to.is_relative() => dir.join(to),
                    _ => to,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(io::Error::other(format!(
        "{}: too many levels of symbolic links",
        path.display()
    )))
}

/// Whether the process `pid` still exists (a zombie or another user's process counts as alive).
pub fn pid_alive(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    match rustix::process::test_kill_process(pid) {
        Ok(()) => true,
        Err(e) => e != rustix::io::Errno::SRCH,
    }
}

/// Remove temp files (`.jiralink-<pid>-….tmp`) in `dir` whose writer has exited: what a killed
/// save leaves behind. A file whose writer still runs is left alone. Returns what was removed.
pub fn sweep_stale_temp_files(dir: &Path) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return removed;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(rest) = name
            .strip_prefix(TEMP_PREFIX)
            .and_then(|r| r.strip_suffix(TEMP_SUFFIX))
        else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        let regular = e.file_type().map(|t| t.is_file()).unwrap_or(false);
        if regular
            && pid != std::process::id()
            && !pid_alive(pid)
            && std::fs::remove_file(e.path()).is_ok()
        {
            removed.push(e.path());
        }
    }
    removed
}

/// Write `bytes` to `path` atomically with mode 0600: temp file in the same dir, write, fsync,
/// rename over the target, fsync the dir. The parent is created 0700 when missing. On any error
/// the previous file (if any) is left untouched.
pub fn write_secret_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic(path, bytes, |tmp, target| std::fs::rename(tmp, target))
}

/// [`write_secret_file`] with the content written by `write` (buffered) instead of held in
/// memory: a large report goes to the temporary file as it is made. An error from `write` leaves
/// the previous file untouched, as any other.
pub fn write_secret_file_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    write_atomic_with(path, write, |tmp, target| std::fs::rename(tmp, target))
}

/// The body of [`write_secret_file`] with the rename step injectable, so tests can make the last
/// step fail (even as root, where a read-only dir does not stop a rename).
fn write_atomic(
    path: &Path,
    bytes: &[u8],
    rename: impl FnOnce(&Path, &Path) -> io::Result<()>,
) -> io::Result<()> {
    write_atomic_with(path, |w| w.write_all(bytes), rename)
}

/// [`write_atomic`] with the content written by `write`.
fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    rename: impl FnOnce(&Path, &Path) -> io::Result<()>,
) -> io::Result<()> {
    // A symlinked file (a dotfiles checkout) is written through to its target, in the target's
    // directory, so the link stays a link and the rename stays atomic.
    let target = resolve_symlinks(path)?;
    let path = target.as_path();
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    create_private_dir(&parent)?;
    // tempfile creates the file with 0600 already; set it again so a umask or an odd platform
    // default can never widen it.
    let mut tmp = tempfile::Builder::new()
        .prefix(&temp_prefix())
        .suffix(TEMP_SUFFIX)
        .tempfile_in(&parent)?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o600))?;
    {
        let mut buf = io::BufWriter::with_capacity(1 << 16, tmp.as_file_mut());
        write(&mut buf)?;
        buf.flush()?;
    }
    tmp.as_file().sync_all()?;
    // Keep the temp file's path; on failure `tmp` is dropped (and deleted) and the target is
    // untouched.
    rename(tmp.path(), path)?;
    // The file now lives at `path`; stop the guard from deleting the (no longer existing) temp.
    let _ = tmp.into_temp_path().keep();
    // The rename is only durable once the directory entry is on disk.
    std::fs::File::open(&parent)?.sync_all()?;
    Ok(())
}

/// `name` made safe as a file-name stem: ASCII letters, digits, `-`, `_` and `.` are kept, every
/// other character becomes `_`; leading and trailing dots go (no hidden files, no `..`); an
/// empty result becomes `fallback`. The one rule for token, key and export file names.
pub fn file_stem(name: &str, fallback: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    match s.trim_matches('.') {
        "" => fallback.to_string(),
        t => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_win_and_log_lives_in_state_dir() {
        let env = |k: &str| match k {
            ENV_CONFIG => Some("/c/config.toml".into()),
            ENV_DATA => Some("/d".into()),
            ENV_STATE => Some("/s".into()),
            _ => None,
        };
        let p = Paths::resolve_with(None, env).unwrap();
        assert_eq!(p.config_file, PathBuf::from("/c/config.toml"));
        assert_eq!(p.data_dir, PathBuf::from("/d"));
        assert_eq!(p.log_file, PathBuf::from("/s/jiralink.log"));
        let p = Paths::resolve_with(Some(Path::new("/x.toml")), env).unwrap();
        assert_eq!(p.config_file, PathBuf::from("/x.toml"));
    }

    #[test]
    fn failed_rename_leaves_old_file_and_no_debris() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("config.toml");
        std::fs::write(&f, "old").unwrap();
        let e = write_atomic(&f, b"new", |_, _| Err(io::Error::other("simulated crash")));
        assert_eq!(e.unwrap_err().to_string(), "simulated crash");
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "old");
        let names: Vec<_> = std::fs::read_dir(t.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("config.toml")]);
    }

    #[test]
    fn parent_that_is_a_file_is_an_error() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("file");
        std::fs::write(&f, "x").unwrap();
        assert!(write_secret_file(&f.join("config.toml"), b"new").is_err());
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "x");
    }

    #[test]
    fn tilde_expands_only_at_start() {
        assert_eq!(expand_tilde(Path::new("/a/~/b")), PathBuf::from("/a/~/b"));
        let e = expand_tilde(Path::new("~/k.pem"));
        assert!(e.is_absolute() && e.ends_with("k.pem"), "{}", e.display());
    }

    #[test]
    fn secret_file_is_0600_in_new_0700_dir() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("sub/dir/tok");
        write_secret_file(&f, b"x").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&f), 0o600);
        assert_eq!(mode(&t.path().join("sub/dir")), 0o700);
        assert!(check_private_perms(&f).is_ok());
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = check_private_perms(&f).unwrap_err();
        assert!(e.contains("chmod 600"), "{e}");
    }

    #[test]
    fn file_stems_are_safe() {
        assert_eq!(file_stem("int/egr ation+admin", "x"), "int_egr_ation_admin");
        assert_eq!(file_stem("..", "x"), "x");
        assert_eq!(file_stem("", "report"), "report");
        assert_eq!(file_stem(".hidden.", "x"), "hidden");
        assert_eq!(file_stem("jira-prod_1.key", "x"), "jira-prod_1.key");
        assert_eq!(file_stem("ünï", "x"), "_n_");
    }
}
