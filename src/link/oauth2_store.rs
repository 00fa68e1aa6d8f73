//! OAuth 2.0 tokens on disk: the access and refresh tokens as 0600 files under the data dir,
//! switched over in one atomic config save (the same order as the OAuth 1.0a token save in
//! `store.rs`), the session a connection's `auth = "oauth2"` builds, and the sink that saves a
//! rotated refresh token before it is used. Also the pending authorization (`state` and PKCE
//! verifier) that lets `link authorize --code` finish what an earlier run started.

use super::store::{clear_pending, file_stem, load_pending, save_pending, token_dir};
use crate::config::{AuthKind, ConfigError, ConfigFile, Connection};
use crate::jira::oauth2::{Grant, OAuth2Session, TokenSink, Tokens};
use crate::jira::Auth;
use crate::paths::Paths;
use crate::secret::SecretRef;
use secrecy::{ExposeSecret, SecretString};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the tokens ended up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedOAuth2 {
    /// File holding the access token (mode 0600).
    pub access_token_file: PathBuf,
    /// File holding the refresh token (mode 0600), when Jira issued one.
    pub refresh_token_file: Option<PathBuf>,
    /// `token_expires_at` as written.
    pub expires_at: Option<String>,
}

/// Save OAuth 2.0 tokens for connection `name` and reference them from the config.
pub fn save_oauth2_tokens(
    paths: &Paths,
    name: &str,
    tokens: &Tokens,
) -> Result<SavedOAuth2, ConfigError> {
    save_oauth2_tokens_with(paths, name, tokens, ConfigFile::save)
}

/// [`save_oauth2_tokens`] with the final config write injectable (tests make it fail).
///
/// New files get new names first (the config still points at the old ones), one atomic config
/// save switches over, and only then are the old files removed; any failure removes the new
/// files and leaves config and old tokens as they were.
pub fn save_oauth2_tokens_with(
    paths: &Paths,
    name: &str,
    tokens: &Tokens,
    save: impl FnOnce(&ConfigFile) -> Result<(), ConfigError>,
) -> Result<SavedOAuth2, ConfigError> {
    let mut file = ConfigFile::open(&paths.config_file)?;
    let conn = file.config()?.require_connection(name)?.clone();
    save_into(paths, &mut file, conn, None, tokens, save)
}

/// Save a whole OAuth 2.0 link the wizard made, in one go: `conn` (added, or replacing the
/// connection of its name), its client secret and tokens as new 0600 files, one atomic config
/// save; the files the replaced connection pointed at are removed only after it. A failure
/// leaves the config and every old file as they were.
pub fn save_oauth2_link_with(
    paths: &Paths,
    conn: Connection,
    client_secret: &SecretString,
    tokens: &Tokens,
    save: impl FnOnce(&ConfigFile) -> Result<(), ConfigError>,
) -> Result<SavedOAuth2, ConfigError> {
    let mut file = ConfigFile::open(&paths.config_file)?;
    save_into(paths, &mut file, conn, Some(client_secret), tokens, save)
}

fn save_into(
    paths: &Paths,
    file: &mut ConfigFile,
    mut conn: Connection,
    client_secret: Option<&SecretString>,
    tokens: &Tokens,
    save: impl FnOnce(&ConfigFile) -> Result<(), ConfigError>,
) -> Result<SavedOAuth2, ConfigError> {
    let name = conn.name.clone();
    let access = tokens.access.as_ref().ok_or_else(|| ConfigError::Invalid {
        at: None,
        connection: Some(name.clone()),
        key: Some("access_token".into()),
        message: "the token answer had no access token".into(),
    })?;
    // What the config points at now (the connection in the file, which `conn` may replace).
    let before = file.config()?.connection(&name).cloned();
    let before = before.as_ref();
    // A refresh answer without a refresh token keeps the old one (RFC 6749 §6).
    let keep_old_refresh = tokens.refresh.is_none() && client_secret.is_none();
    let mut old_refs: Vec<Option<&SecretRef>> = vec![before.and_then(|c| c.access_token.as_ref())];
    if !keep_old_refresh {
        old_refs.push(before.and_then(|c| c.refresh_token.as_ref()));
    }
    if client_secret.is_some() {
        old_refs.push(before.and_then(|c| c.client_secret.as_ref()));
    }
    let old_files: Vec<PathBuf> = old_refs
        .into_iter()
        .filter_map(|s| match s {
            Some(SecretRef::File(p)) => Some(p.clone()),
            _ => None,
        })
        .collect();
    let dir = token_dir(paths);
    let stamp = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    // The writer's pid in the name: what a killed save leaves is swept once it is gone
    // (crate::housekeeping::sweep_orphaned_token_files).
    let stem = format!("{}-{stamp}-p{}", file_stem(&name), std::process::id());
    let access_file = dir.join(format!("{stem}.oauth2_access_token"));
    let refresh_file = tokens
        .refresh
        .as_ref()
        .map(|_| dir.join(format!("{stem}.oauth2_refresh_token")));
    let secret_file = client_secret.map(|_| dir.join(format!("{stem}.oauth2_client_secret")));
    let written: Vec<PathBuf> = std::iter::once(access_file.clone())
        .chain(refresh_file.clone())
        .chain(secret_file.clone())
        .collect();
    let write = |path: &Path, value: &str| {
        crate::paths::write_secret_file(path, value.as_bytes()).map_err(|e| ConfigError::Write {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    };
    let expires_at = tokens.expires_at_rfc3339();
    let result = (|| {
        write(&access_file, access.expose_secret())?;
        if let (Some(p), Some(r)) = (&refresh_file, &tokens.refresh) {
            write(p, r.expose_secret())?;
            conn.refresh_token = Some(SecretRef::File(p.clone()));
        } else if client_secret.is_some() {
            // A new link: a refresh token of whatever the name meant before is not ours.
            conn.refresh_token = None;
        }
        if let (Some(p), Some(s)) = (&secret_file, client_secret) {
            write(p, s.expose_secret())?;
            conn.client_secret = Some(SecretRef::File(p.clone()));
        }
        conn.access_token = Some(SecretRef::File(access_file.clone()));
        conn.token_expires_at = expires_at.clone();
        file.upsert_connection(&conn)?;
        save(file)
    })();
    if let Err(e) = result {
        for p in &written {
            let _ = std::fs::remove_file(p);
        }
        return Err(e);
    }
    for old in old_files {
        if old.starts_with(&dir) && !written.contains(&old) {
            let _ = std::fs::remove_file(&old);
        }
    }
    tracing::info!(connection = %name, "OAuth 2.0 tokens saved");
    Ok(SavedOAuth2 {
        access_token_file: access_file,
        refresh_token_file: refresh_file,
        expires_at,
    })
}

/// Saves renewed tokens of one connection into the config it came from.
struct StoreSink {
    paths: Paths,
    name: String,
}

impl TokenSink for StoreSink {
    fn save(&self, tokens: &Tokens) -> Result<(), String> {
        save_oauth2_tokens(&self.paths, &self.name, tokens)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// The data dir whose `tokens/` holds the token file `r` points at, when it is one of ours.
fn own_data_dir(r: &Option<SecretRef>) -> Option<PathBuf> {
    let Some(SecretRef::File(p)) = r else {
        return None;
    };
    let dir = p.parent()?;
    (dir.file_name()? == "tokens")
        .then(|| dir.parent().map(Path::to_path_buf))
        .flatten()
}

/// The OAuth 2.0 credentials of `c` (`auth = "oauth2"` or `"oauth2-client-credentials"`), with
/// its saved tokens and, for an incoming link read from a config file, a sink that saves
/// rotated tokens back into that file.
pub fn oauth2_session_for(c: &Connection) -> Result<Auth, ConfigError> {
    let client_id = c.field("client_id", &c.client_id)?.to_owned();
    let client_secret = c.secret("client_secret", &c.client_secret)?;
    let resolve = |key: &str, r: &Option<SecretRef>| -> Result<Option<SecretString>, ConfigError> {
        match r {
            Some(_) => c.secret(key, r).map(Some),
            None => Ok(None),
        }
    };
    let tokens = Tokens {
        access: resolve("access_token", &c.access_token)?,
        refresh: resolve("refresh_token", &c.refresh_token)?,
        expires_at: c.token_expiry(),
        scope: None,
    };
    let (grant, sink): (Grant, Option<Arc<dyn TokenSink>>) = match c.auth {
        AuthKind::Oauth2 => {
            let redirect_uri = c.field("redirect_uri", &c.redirect_uri)?.to_owned();
            let sink = c.config_file.as_deref().and_then(|f| {
                Paths::resolve(Some(f)).ok().map(|mut paths| {
                    // Renewed tokens go beside the current ones (jiralink's own token dir of
                    // this config), wherever the environment's data dir points now.
                    if let Some(d) = own_data_dir(&c.access_token) {
                        paths.data_dir = d;
                    }
                    Arc::new(StoreSink {
                        paths,
                        name: c.name.clone(),
                    }) as Arc<dyn TokenSink>
                })
            });
            (Grant::AuthorizationCode { redirect_uri }, sink)
        }
        // Client-credential tokens are cheap to ask for again: kept in memory only.
        _ => (Grant::ClientCredentials, None),
    };
    Ok(Auth::OAuth2(Arc::new(OAuth2Session::new(
        client_id,
        client_secret,
        grant,
        c.scopes.clone(),
        tokens,
        sink,
    ))))
}

/// An authorization a `link authorize` run is waiting on: the `state` and PKCE verifier it put
/// into the authorize URL. Kept 0600 under the data dir, removed once used.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PendingAuthorization {
    /// Base URL the authorization is for.
    pub base_url: String,
    /// Client id it is for.
    pub client_id: String,
    /// The `state` sent.
    pub state: String,
    /// The PKCE `code_verifier`.
    pub verifier: String,
    /// When the authorize URL was made (RFC 3339).
    pub issued_at: String,
}

impl std::fmt::Debug for PendingAuthorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PendingAuthorization({}, {}, verifier: [redacted])",
            self.base_url, self.client_id
        )
    }
}

/// Remember the authorization a run is waiting on.
pub fn save_pending_authorization(
    paths: &Paths,
    name: &str,
    p: &PendingAuthorization,
) -> std::io::Result<()> {
    save_pending(paths, name, "oauth2_pending", p)
}

/// The authorization an earlier run is waiting on, if any.
pub fn load_pending_authorization(paths: &Paths, name: &str) -> Option<PendingAuthorization> {
    load_pending(paths, name, "oauth2_pending")
}

/// Forget the pending authorization.
pub fn clear_pending_authorization(paths: &Paths, name: &str) {
    clear_pending(paths, name, "oauth2_pending")
}

/// Store the client id and secret of connection `name` (from `link create` or pasted from
/// Jira's UI): the secret as a 0600 file, referenced in one atomic config save.
pub fn save_client_credentials(
    paths: &Paths,
    name: &str,
    client_id: &str,
    client_secret: &SecretString,
) -> Result<PathBuf, ConfigError> {
    let mut file = ConfigFile::open(&paths.config_file)?;
    let mut conn = file.config()?.require_connection(name)?.clone();
    let old = match &conn.client_secret {
        Some(SecretRef::File(p)) => Some(p.clone()),
        _ => None,
    };
    let dir = token_dir(paths);
    let stamp = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    let path = dir.join(format!(
        "{}-{stamp}-p{}.oauth2_client_secret",
        file_stem(name),
        std::process::id()
    ));
    crate::paths::write_secret_file(&path, client_secret.expose_secret().as_bytes()).map_err(
        |e| ConfigError::Write {
            path: path.clone(),
            message: e.to_string(),
        },
    )?;
    conn.client_id = Some(client_id.to_owned());
    conn.client_secret = Some(SecretRef::File(path.clone()));
    // Tokens of another client are useless now.
    conn.access_token = None;
    conn.refresh_token = None;
    conn.token_expires_at = None;
    let saved = file.upsert_connection(&conn).and_then(|()| file.save());
    if let Err(e) = saved {
        let _ = std::fs::remove_file(&path);
        return Err(e);
    }
    if let Some(old) = old.filter(|o| o.starts_with(&dir) && *o != path) {
        let _ = std::fs::remove_file(old);
    }
    Ok(path)
}

/// What an integrating application needs from an authorized OAuth 2.0 connection: base URL,
/// token endpoint, client id and secret, redirect URI, scopes, access and refresh tokens.
pub fn export_oauth2(
    c: &Connection,
    format: crate::wizard::ExportFormat,
) -> Result<SecretString, String> {
    use crate::wizard::ExportFormat;
    let base = crate::config::normalize_url(&c.url)?;
    let need = |k: &str, r: &Option<SecretRef>| -> Result<Option<String>, String> {
        r.as_ref()
            .map(|s| {
                s.resolve()
                    .map(|v| v.expose_secret().to_owned())
                    .map_err(|e| format!("{k}: {e}"))
            })
            .transpose()
    };
    let client_id = c.client_id.clone().ok_or_else(|| {
        format!(
            "connection \"{}\" has no client_id yet; run `jiralink link create {}` first",
            c.name, c.name
        )
    })?;
    let secret = need("client_secret", &c.client_secret)?.unwrap_or_default();
    let access = need("access_token", &c.access_token)?;
    if access.is_none() && c.auth == AuthKind::Oauth2 {
        return Err(format!(
            "connection \"{}\" has no access token yet; run `jiralink link authorize {}` first",
            c.name, c.name
        ));
    }
    let refresh = need("refresh_token", &c.refresh_token)?;
    let mut fields: Vec<(&str, String)> = vec![
        ("base_url", base.clone()),
        (
            "token_endpoint",
            format!("{base}{}", crate::jira::oauth2::TOKEN_PATH),
        ),
        ("client_id", client_id),
        ("client_secret", secret),
    ];
    if let Some(r) = &c.redirect_uri {
        fields.push(("redirect_uri", r.clone()));
    }
    fields.push(("scopes", c.scopes.join(" ")));
    if let Some(a) = access {
        fields.push(("access_token", a));
    }
    if let Some(r) = refresh {
        fields.push(("refresh_token", r));
    }
    if let Some(e) = &c.token_expires_at {
        fields.push(("token_expires_at", e.clone()));
    }
    let text = match format {
        ExportFormat::Json => {
            let map: serde_json::Map<String, serde_json::Value> = fields
                .iter()
                .map(|(k, v)| (k.to_string(), serde_json::Value::from(v.as_str())))
                .collect();
            serde_json::to_string_pretty(&map).map_err(|e| e.to_string())? + "\n"
        }
        ExportFormat::Env => fields
            .iter()
            .map(|(k, v)| {
                format!(
                    "JIRA_OAUTH2_{}='{}'\n",
                    k.to_ascii_uppercase(),
                    v.replace('\'', "'\\''")
                )
            })
            .collect(),
        ExportFormat::Toml => {
            let mut t = toml_edit::Table::new();
            t.insert("name", toml_edit::value(c.name.as_str()));
            t.insert("auth", toml_edit::value(c.auth.as_str()));
            for (k, v) in &fields {
                match *k {
                    "base_url" => {
                        t.insert("url", toml_edit::value(v.as_str()));
                    }
                    "token_endpoint" => {}
                    "scopes" => {
                        let arr: toml_edit::Array = c.scopes.iter().map(String::as_str).collect();
                        t.insert("scopes", toml_edit::value(arr));
                    }
                    _ => {
                        t.insert(k, toml_edit::value(v.as_str()));
                    }
                }
            }
            let mut doc = toml_edit::DocumentMut::new();
            let mut arr = toml_edit::ArrayOfTables::new();
            arr.push(t);
            doc.insert("connection", toml_edit::Item::ArrayOfTables(arr));
            doc.to_string()
        }
    };
    Ok(SecretString::from(text))
}

#[cfg(test)]
mod tests {
    use super::*;

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
            "# mine\n[[connection]]\nname = \"j\"\nurl = \"https://jira.example.com\"\nauth = \"oauth2\"\nclient_id = \"cid\"\nclient_secret = { env = \"X\" }\nredirect_uri = \"https://jiralink.invalid/oauth2/callback\"\n",
        )
        .unwrap();
        (t, paths)
    }

    fn tokens(a: &str, r: Option<&str>) -> Tokens {
        Tokens {
            access: Some(SecretString::from(a.to_string())),
            refresh: r.map(|r| SecretString::from(r.to_string())),
            expires_at: Some(time::macros::datetime!(2031-01-01 0:00 UTC)),
            scope: Some("READ".into()),
        }
    }

    #[test]
    fn saves_0600_and_switches_over() {
        use std::os::unix::fs::PermissionsExt;
        let (_t, paths) = setup();
        let first = save_oauth2_tokens(&paths, "j", &tokens("a1", Some("r1"))).unwrap();
        let mode = std::fs::metadata(&first.access_token_file)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let text = std::fs::read_to_string(&paths.config_file).unwrap();
        assert!(
            text.starts_with("# mine") && !text.contains("a1") && !text.contains("r1"),
            "{text}"
        );
        let second = save_oauth2_tokens(&paths, "j", &tokens("a2", Some("r2"))).unwrap();
        assert!(!first.access_token_file.exists());
        assert!(!first.refresh_token_file.unwrap().exists());
        let cfg = crate::config::Config::load(&paths.config_file).unwrap();
        let c = cfg.connection("j").unwrap();
        assert_eq!(
            c.refresh_token
                .as_ref()
                .unwrap()
                .resolve()
                .unwrap()
                .expose_secret(),
            "r2"
        );
        // A refresh answer without a refresh token keeps the old one.
        save_oauth2_tokens(&paths, "j", &tokens("a3", None)).unwrap();
        assert!(second.refresh_token_file.as_ref().unwrap().exists());
        let cfg = crate::config::Config::load(&paths.config_file).unwrap();
        let c = cfg.connection("j").unwrap();
        assert_eq!(
            c.refresh_token
                .as_ref()
                .unwrap()
                .resolve()
                .unwrap()
                .expose_secret(),
            "r2"
        );
        assert_eq!(
            c.access_token
                .as_ref()
                .unwrap()
                .resolve()
                .unwrap()
                .expose_secret(),
            "a3"
        );
    }

    #[test]
    fn failed_save_changes_nothing() {
        let (_t, paths) = setup();
        save_oauth2_tokens(&paths, "j", &tokens("old", Some("old-r"))).unwrap();
        let before = std::fs::read_to_string(&paths.config_file).unwrap();
        let files = std::fs::read_dir(token_dir(&paths)).unwrap().count();
        let e = save_oauth2_tokens_with(&paths, "j", &tokens("new", Some("new-r")), |_| {
            Err(ConfigError::Write {
                path: paths.config_file.clone(),
                message: "disk full".into(),
            })
        });
        assert!(e.is_err());
        assert_eq!(std::fs::read_to_string(&paths.config_file).unwrap(), before);
        assert_eq!(std::fs::read_dir(token_dir(&paths)).unwrap().count(), files);
    }

    #[test]
    fn a_whole_link_is_saved_in_one_switch_over_and_a_failure_leaves_the_old_one() {
        use std::os::unix::fs::PermissionsExt;
        let (_t, paths) = setup();
        save_oauth2_tokens(&paths, "j", &tokens("old", Some("old-r"))).unwrap();
        let mut c = Connection::new("j", "https://jira.example.com", AuthKind::Oauth2);
        c.client_id = Some("cid2".into());
        c.redirect_uri = Some("https://jiralink.invalid/oauth2/callback".into());
        let secret = SecretString::from("s2".to_string());
        let before = std::fs::read_to_string(&paths.config_file).unwrap();
        let files = std::fs::read_dir(token_dir(&paths)).unwrap().count();
        let e = save_oauth2_link_with(
            &paths,
            c.clone(),
            &secret,
            &tokens("a2", Some("r2")),
            |_| {
                Err(ConfigError::Write {
                    path: paths.config_file.clone(),
                    message: "disk full".into(),
                })
            },
        );
        assert!(e.is_err());
        assert_eq!(std::fs::read_to_string(&paths.config_file).unwrap(), before);
        assert_eq!(std::fs::read_dir(token_dir(&paths)).unwrap().count(), files);

        let saved = save_oauth2_link_with(
            &paths,
            c,
            &secret,
            &tokens("a2", Some("r2")),
            ConfigFile::save,
        )
        .unwrap();
        let cfg = crate::config::Config::load(&paths.config_file).unwrap();
        let j = cfg.connection("j").unwrap();
        assert_eq!(j.client_id.as_deref(), Some("cid2"));
        let read = |r: &Option<SecretRef>| match r {
            Some(SecretRef::File(p)) => {
                let mode = std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600);
                std::fs::read_to_string(p).unwrap()
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(read(&j.client_secret), "s2");
        assert_eq!(read(&j.access_token), "a2");
        assert_eq!(read(&j.refresh_token), "r2");
        assert_eq!(
            saved.refresh_token_file.as_ref().map(|p| p.exists()),
            Some(true)
        );
        // The old access and refresh token files are gone; only the new three remain.
        assert_eq!(std::fs::read_dir(token_dir(&paths)).unwrap().count(), 3);
        // Renewed tokens go beside these, whatever the environment's data dir.
        assert_eq!(own_data_dir(&j.access_token), Some(paths.data_dir.clone()));
        assert_eq!(own_data_dir(&Some(SecretRef::Env("X".into()))), None);
    }
}
