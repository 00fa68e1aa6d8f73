//! Saving what the dance produced: the access token and its secret as 0600 files under the data
//! dir, referenced from the connection in one atomic config save, and the pending request token
//! that lets `link authorize --verifier` finish a dance an earlier run started.

use crate::config::{AuthKind, Config, ConfigError, ConfigFile, Connection};
use crate::jira::oauth_dance::PendingRequestToken;
use crate::paths::Paths;
use crate::secret::SecretRef;
use crate::wizard::{AccessInfo, Wizard};
use secrecy::ExposeSecret;
use std::path::{Path, PathBuf};

/// Where the access token ended up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedToken {
    /// File holding the access token (mode 0600).
    pub access_token_file: PathBuf,
    /// File holding the token secret (mode 0600).
    pub token_secret_file: PathBuf,
    /// `token_expires_at` as written to the connection.
    pub expires_at: Option<String>,
}

/// The directory tokens live in.
pub fn token_dir(paths: &Paths) -> PathBuf {
    paths.data_dir.join("tokens")
}

/// A connection name made safe for a file name.
pub(super) fn file_stem(name: &str) -> String {
    crate::paths::file_stem(name, "connection")
}

/// Save the access token for connection `name` and reference it from the config.
pub fn save_access_token(
    paths: &Paths,
    name: &str,
    access: &AccessInfo,
) -> Result<SavedToken, ConfigError> {
    save_access_token_with(paths, name, access, ConfigFile::save)
}

/// [`save_access_token`] with the final config write injectable, so a test can make it fail the
/// way a crash or a full disk would.
///
/// Order matters for "never half-written": the token files get new, unique names first (the old
/// config still points at the old ones), then one atomic config save switches over, and only
/// then are the old token files removed. Any failure removes the new files and leaves the old
/// config and tokens exactly as they were.
pub fn save_access_token_with(
    paths: &Paths,
    name: &str,
    access: &AccessInfo,
    save: impl FnOnce(&ConfigFile) -> Result<(), ConfigError>,
) -> Result<SavedToken, ConfigError> {
    let mut file = ConfigFile::open(&paths.config_file)?;
    let conn = file.config()?.require_connection(name)?.clone();
    save_tokens_into(paths, &mut file, conn, access, save)
}

/// Save the connection the link wizard linked, in one go: the access token and its secret as
/// 0600 files, and the connection (a new OAuth 1.0a one, or the one of the same name with its
/// TLS/proxy settings kept and its auth replaced) in one atomic config save. The same switch-over
/// as [`save_access_token`]: a failure leaves the config and the old token files as they were.
/// Returns the config as saved.
pub fn save_linked(paths: &Paths, w: &Wizard) -> Result<Config, String> {
    save_linked_with(paths, w, ConfigFile::save)
}

/// [`save_linked`] with the final config write injectable (tests make it fail).
pub fn save_linked_with(
    paths: &Paths,
    w: &Wizard,
    save: impl FnOnce(&ConfigFile) -> Result<(), ConfigError>,
) -> Result<Config, String> {
    if let Some(f) = w.oauth2() {
        // The OAuth 2.0 path saved the connection with its tokens when the code was exchanged
        // (a refresh may have rotated them since): nothing to write, report the config as saved.
        f.tokens()
            .ok_or("there are no tokens yet: finish the Authorize step")?;
        return ConfigFile::open(&paths.config_file)
            .and_then(|f| f.config())
            .map_err(|e| e.to_string());
    }
    let access = w
        .access()
        .ok_or("there is no access token yet: finish the Authorize step")?;
    let key = w.key_info().ok_or("there is no key yet (step 2)")?;
    let base = w.base_url()?;
    let name = w.connection_name();
    let mut file = ConfigFile::open(&paths.config_file).map_err(|e| e.to_string())?;
    let existing = file
        .config()
        .map_err(|e| e.to_string())?
        .connection(&name)
        .cloned();
    let mut conn = existing.unwrap_or_else(|| Connection::new(&name, &base, AuthKind::Oauth1));
    conn.url = base;
    conn.auth = AuthKind::Oauth1;
    conn.username = None;
    conn.password = None;
    conn.token = None;
    conn.email = None;
    conn.consumer_key = Some(w.consumer_key());
    conn.consumer_name = Some(w.consumer_name());
    conn.private_key = Some(key.path.clone());
    save_tokens_into(paths, &mut file, conn, access, save).map_err(|e| e.to_string())?;
    file.config().map_err(|e| e.to_string())
}

/// Write the token files under new, unique names, point `conn` at them, save the config with
/// `save`, and only then remove the token files `conn` pointed at before (jiralink's own only).
/// Any failure removes the new files and leaves everything else as it was.
fn save_tokens_into(
    paths: &Paths,
    file: &mut ConfigFile,
    mut conn: Connection,
    access: &AccessInfo,
    save: impl FnOnce(&ConfigFile) -> Result<(), ConfigError>,
) -> Result<SavedToken, ConfigError> {
    let name = conn.name.clone();
    let old_files: Vec<PathBuf> = [&conn.access_token, &conn.token_secret]
        .into_iter()
        .filter_map(|s| match s {
            Some(SecretRef::File(p)) => Some(p.clone()),
            _ => None,
        })
        .collect();
    let dir = token_dir(paths);
    let stamp = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    // The writer's pid is part of the name: a run killed before the config switched over leaves
    // files nothing references, and the next run removes them once this pid is gone
    // (crate::housekeeping::sweep_orphaned_token_files).
    let stem = format!("{}-{stamp}-p{}", file_stem(&name), std::process::id());
    let token_file = dir.join(format!("{stem}.access_token"));
    let secret_file = dir.join(format!("{stem}.token_secret"));
    let written = [token_file.clone(), secret_file.clone()];
    let cleanup = || {
        for p in &written {
            let _ = std::fs::remove_file(p);
        }
    };
    let write = |path: &Path, value: &str| {
        crate::paths::write_secret_file(path, value.as_bytes()).map_err(|e| ConfigError::Write {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    };
    let result = (|| {
        write(&token_file, access.token.expose_secret())?;
        write(&secret_file, access.secret.expose_secret())?;
        conn.access_token = Some(SecretRef::File(token_file.clone()));
        conn.token_secret = Some(SecretRef::File(secret_file.clone()));
        conn.token_expires_at = access.expires_at.clone();
        file.upsert_connection(&conn)?;
        save(file)
    })();
    if let Err(e) = result {
        cleanup();
        return Err(e);
    }
    // Only files jiralink itself created are removed; a user's own token file is left alone.
    for old in old_files {
        if old.starts_with(&dir) && !written.contains(&old) {
            let _ = std::fs::remove_file(&old);
        }
    }
    tracing::info!(connection = %name, "access token saved");
    Ok(SavedToken {
        access_token_file: token_file,
        token_secret_file: secret_file,
        expires_at: access.expires_at.clone(),
    })
}

/// Where a run's pending authorization state of `kind` for connection `name` is kept
/// (`{stem}.request_token.json` for OAuth 1.0a, `{stem}.oauth2_pending.json` for OAuth 2.0).
fn pending_path(paths: &Paths, name: &str, kind: &str) -> PathBuf {
    token_dir(paths).join(format!("{}.{kind}.json", file_stem(name)))
}

/// Keep the state a later run of `link authorize` finishes from (0600, like any secret).
pub(super) fn save_pending<T: serde::Serialize>(
    paths: &Paths,
    name: &str,
    kind: &str,
    value: &T,
) -> std::io::Result<()> {
    let text = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
    crate::paths::write_secret_file(&pending_path(paths, name, kind), &text)
}

/// The pending state of `kind`, if any (an unreadable file counts as none).
pub(super) fn load_pending<T: serde::de::DeserializeOwned>(
    paths: &Paths,
    name: &str,
    kind: &str,
) -> Option<T> {
    let text = std::fs::read(pending_path(paths, name, kind)).ok()?;
    serde_json::from_slice(&text).ok()
}

/// Forget the pending state of `kind`.
pub(super) fn clear_pending(paths: &Paths, name: &str, kind: &str) {
    let _ = std::fs::remove_file(pending_path(paths, name, kind));
}

/// Remember the request token a run of `link authorize` is waiting on.
pub fn save_pending_request_token(
    paths: &Paths,
    name: &str,
    pending: &PendingRequestToken,
) -> std::io::Result<()> {
    save_pending(paths, name, "request_token", pending)
}

/// The request token an earlier run is waiting on, if any (an unreadable file counts as none).
pub fn load_pending_request_token(paths: &Paths, name: &str) -> Option<PendingRequestToken> {
    load_pending(paths, name, "request_token")
}

/// Forget the pending request token (after it was exchanged or became useless).
pub fn clear_pending_request_token(paths: &Paths, name: &str) {
    clear_pending(paths, name, "request_token")
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    fn setup() -> (tempfile::TempDir, Paths) {
        let t = tempfile::tempdir().unwrap();
        let paths = Paths {
            config_file: t.path().join("config.toml"),
            data_dir: t.path().join("data"),
            state_dir: t.path().join("state"),
            log_file: t.path().join("state/jiralink.log"),
        };
        std::fs::write(
            &paths.config_file,
            "# mine\n[[connection]]\nname = \"j\"\nurl = \"https://jira.example.com\"\nauth = \"oauth1\"\nconsumer_key = \"k\"\nprivate_key = \"/k.pem\"\n",
        )
        .unwrap();
        (t, paths)
    }

    fn access(tok: &str) -> AccessInfo {
        AccessInfo {
            token: SecretString::from(tok.to_string()),
            secret: SecretString::from(format!("{tok}-secret")),
            expires_at: Some("2031-01-01T00:00:00Z".into()),
        }
    }

    fn token_files(paths: &Paths) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(token_dir(paths))
            .map(|d| {
                d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    #[test]
    fn saves_files_0600_and_references_them() {
        use std::os::unix::fs::PermissionsExt;
        let (_t, paths) = setup();
        let first = save_access_token(&paths, "j", &access("one")).unwrap();
        let mode = std::fs::metadata(&first.access_token_file)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let text = std::fs::read_to_string(&paths.config_file).unwrap();
        assert!(text.starts_with("# mine"), "{text}");
        assert!(!text.contains("one"), "token must not be inline: {text}");
        assert!(text.contains("token_expires_at = \"2031-01-01T00:00:00Z\""));
        let cfg = crate::config::Config::load(&paths.config_file).unwrap();
        let c = cfg.connection("j").unwrap();
        let tok = c.access_token.as_ref().unwrap().resolve().unwrap();
        assert_eq!(tok.expose_secret(), "one");
        // A second save replaces the files and removes the old ones.
        let second = save_access_token(&paths, "j", &access("two")).unwrap();
        assert_ne!(first.access_token_file, second.access_token_file);
        assert!(!first.access_token_file.exists());
        assert_eq!(token_files(&paths).len(), 2);
    }

    #[test]
    fn failed_save_leaves_old_config_and_tokens() {
        let (_t, paths) = setup();
        save_access_token(&paths, "j", &access("old")).unwrap();
        let before_text = std::fs::read_to_string(&paths.config_file).unwrap();
        let before_files = token_files(&paths);
        let e = save_access_token_with(&paths, "j", &access("new"), |_| {
            Err(ConfigError::Write {
                path: paths.config_file.clone(),
                message: "simulated crash".into(),
            })
        })
        .unwrap_err();
        assert!(e.to_string().contains("simulated crash"), "{e}");
        assert_eq!(
            std::fs::read_to_string(&paths.config_file).unwrap(),
            before_text
        );
        assert_eq!(token_files(&paths), before_files);
        let cfg = crate::config::Config::load(&paths.config_file).unwrap();
        let tok = cfg.connection("j").unwrap().access_token.as_ref().unwrap();
        assert_eq!(tok.resolve().unwrap().expose_secret(), "old");
    }

    #[test]
    fn unknown_connection_writes_nothing() {
        let (_t, paths) = setup();
        assert!(save_access_token(&paths, "nope", &access("x")).is_err());
        assert!(token_files(&paths).is_empty());
    }

    #[test]
    fn pending_token_round_trip() {
        let (_t, paths) = setup();
        assert!(load_pending_request_token(&paths, "j").is_none());
        let p = PendingRequestToken {
            base_url: "https://jira.example.com".into(),
            consumer_key: "k".into(),
            token: "rt".into(),
            issued_at: "2026-01-01T00:00:00Z".into(),
        };
        save_pending_request_token(&paths, "j", &p).unwrap();
        assert_eq!(load_pending_request_token(&paths, "j"), Some(p));
        clear_pending_request_token(&paths, "j");
        assert!(load_pending_request_token(&paths, "j").is_none());
    }
}
