//! Reading a file that holds a secret (a `file = …` secret, an RSA private key) safely: only a
//! regular file, never more than a cap, never group/other readable, and never advice to `chmod`
//! a file the user may not own (a symlink's target, a device).
//!
//! The file is opened first (non-blocking, so a FIFO cannot hang the open) and every check runs on
//! the open handle, so the file cannot be swapped between the check and the read.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// Why a private file was not read. Messages never contain the file's contents.
#[derive(Debug, thiserror::Error)]
pub enum PrivateFileError {
    /// Opening or reading failed.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
    /// A FIFO, socket, device or directory.
    #[error("{} is a {kind}, not a regular file; point the setting at a regular file that holds only the secret", path.display())]
    NotRegular {
        /// The file.
        path: PathBuf,
        /// What it is instead.
        kind: &'static str,
    },
    /// Larger than anything it could legitimately hold.
    #[error("{} is larger than {max} bytes, too large to hold {what}", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The cap.
        max: u64,
        /// What it should hold ("a secret", "a PEM private key").
        what: &'static str,
    },
    /// Group or others can read or write it.
    #[error("{}", too_open_text(.path, *.mode, .link_target.as_deref()))]
    TooOpen {
        /// The file as configured.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
        /// Where it points when the configured path is a symlink.
        link_target: Option<PathBuf>,
    },
}

fn too_open_text(path: &Path, mode: u32, target: Option<&Path>) -> String {
    match target {
        // Never tell the user to chmod the target: it may be someone else's file (/etc/shadow).
        Some(t) => format!(
            "{} is a symlink to {}, which group/others can access (mode {mode:03o}); point the setting at a file of your own with mode 0600 instead",
            path.display(),
            t.display()
        ),
        None => format!(
            "{} is accessible by group/others (mode {mode:03o}); run `chmod 600 {}` and try again",
            path.display(),
            path.display()
        ),
    }
}

fn kind_of(t: &std::fs::FileType) -> &'static str {
    if t.is_dir() {
        "directory"
    } else if t.is_fifo() {
        "FIFO (named pipe)"
    } else if t.is_socket() {
        "socket"
    } else if t.is_char_device() {
        "character device"
    } else if t.is_block_device() {
        "block device"
    } else {
        "special file"
    }
}

/// Read `path` when it is a regular file of at most `max` bytes that only its owner can access.
/// `what` names the contents for the size message.
pub fn read_private_file(
    path: &Path,
    max: u64,
    what: &'static str,
) -> Result<Zeroizing<Vec<u8>>, PrivateFileError> {
    let io_err = |source| PrivateFileError::Io {
        path: path.to_owned(),
        source,
    };
    let file = File::options()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)
        .map_err(io_err)?;
    let meta = file.metadata().map_err(io_err)?;
    if !meta.file_type().is_file() {
        return Err(PrivateFileError::NotRegular {
            path: path.to_owned(),
            kind: kind_of(&meta.file_type()),
        });
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
        return Err(PrivateFileError::TooOpen {
            path: path.to_owned(),
            mode,
            link_target: is_link
                .then(|| crate::paths::resolve_symlinks(path).unwrap_or_else(|_| path.to_owned())),
        });
    }
    if meta.len() > max {
        return Err(PrivateFileError::TooLarge {
            path: path.to_owned(),
            max,
            what,
        });
    }
    let mut buf = Zeroizing::new(Vec::with_capacity(meta.len() as usize));
    // The cap holds even if the file grows after the stat.
    file.take(max + 1).read_to_end(&mut buf).map_err(io_err)?;
    if buf.len() as u64 > max {
        return Err(PrivateFileError::TooLarge {
            path: path.to_owned(),
            max,
            what,
        });
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn write(p: &Path, text: &str, mode: u32) {
        std::fs::write(p, text).unwrap();
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn fifo_is_refused_at_once() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("secret");
        rustix::fs::mkfifoat(rustix::fs::CWD, &p, rustix::fs::Mode::from_raw_mode(0o600)).unwrap();
        let start = Instant::now();
        let e = read_private_file(&p, 1024, "a secret").unwrap_err();
        assert!(start.elapsed() < Duration::from_secs(1));
        assert!(e.to_string().contains("FIFO"), "{e}");
    }

    #[test]
    fn devices_and_symlink_targets_get_no_chmod_advice() {
        let e = read_private_file(Path::new("/dev/zero"), 1024, "a secret").unwrap_err();
        assert!(e.to_string().contains("character device"), "{e}");
        assert!(!e.to_string().contains("chmod"), "{e}");
        let t = tempfile::tempdir().unwrap();
        let target = t.path().join("shared");
        write(&target, "x", 0o640);
        let link = t.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let e = read_private_file(&link, 1024, "a secret")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("chmod") && e.contains("symlink to"), "{e}");
        // The file itself, not a link: the chmod fix is right.
        let e = read_private_file(&target, 1024, "a secret")
            .unwrap_err()
            .to_string();
        assert!(e.contains("chmod 600"), "{e}");
    }

    #[test]
    fn size_is_capped_and_small_files_are_read() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("big");
        write(&p, &"x".repeat(2000), 0o600);
        let e = read_private_file(&p, 1024, "a secret").unwrap_err();
        assert!(matches!(e, PrivateFileError::TooLarge { .. }), "{e}");
        write(&p, "hello", 0o600);
        assert_eq!(&*read_private_file(&p, 1024, "a secret").unwrap(), b"hello");
    }
}
