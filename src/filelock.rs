//! Advisory locks on a lock file beside a shared file, so two jiralink processes never interleave a
//! read-modify-write of the same file (the config, a token store) and lose each other's change.
//!
//! The lock is `flock(2)` (via `rustix`) on `<file>.lock`, a separate file that is never renamed:
//! locking the data file itself would not work, because an atomic save replaces its inode.
//! The kernel drops the lock when the holder exits, even on `kill -9`, so a crash never leaves the
//! file locked.

use rustix::fs::{flock, FlockOperation};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a writer waits for another process's save before giving up with a clear error.
pub const LOCK_WAIT: Duration = Duration::from_secs(15);

/// An exclusive lock held until dropped.
#[derive(Debug)]
pub struct FileLock {
    _file: File,
    path: PathBuf,
}

impl FileLock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The lock file that guards `path`: `<path>.lock` in the same directory.
pub fn lock_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "jiralink".into());
    name.push(".lock");
    path.with_file_name(name)
}

/// Take the exclusive lock guarding `path`, waiting up to [`LOCK_WAIT`] for another holder.
/// The lock file (mode 0600) and a missing parent directory (0700) are created as needed.
pub fn lock_exclusive(path: &Path) -> io::Result<FileLock> {
    lock_exclusive_within(path, LOCK_WAIT)
}

/// [`lock_exclusive`] with the wait given.
pub fn lock_exclusive_within(path: &Path, wait: Duration) -> io::Result<FileLock> {
    let lock = lock_path(path);
    if let Some(parent) = lock.parent() {
        crate::paths::create_private_dir(parent)?;
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&lock)?;
    let deadline = Instant::now() + wait;
    let mut pause = Duration::from_millis(1);
    loop {
        match flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {
                return Ok(FileLock {
                    _file: file,
                    path: lock,
                })
            }
            Err(e) if e == rustix::io::Errno::WOULDBLOCK || e == rustix::io::Errno::INTR => {
                if Instant::now() >= deadline {
                    return Err(io::Error::new(
                        io::ErrorKind::WouldBlock,
                        format!(
                            "another process has held the lock {} for over {} s; if no jiralink is running, it is stuck on that file",
                            lock.display(),
                            wait.as_secs()
                        ),
                    ));
                }
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_waits_and_times_out_then_gets_it_after_release() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("config.toml");
        let first = lock_exclusive(&f).unwrap();
        assert_eq!(first.path(), t.path().join("config.toml.lock"));
        // flock locks belong to the open file description, so a second open in this process
        // conflicts exactly as another process would.
        let err = lock_exclusive_within(&f, Duration::from_millis(30)).unwrap_err();
        assert!(err.to_string().contains("config.toml.lock"), "{err}");
        drop(first);
        lock_exclusive_within(&f, Duration::from_millis(30)).unwrap();
    }
}
