//! Editing and saving the config file with `toml_edit`, so comments, formatting and unknown keys
//! survive; writes are atomic with mode 0600.
//!
//! Concurrent writers: every edit is recorded, and `save` holds an exclusive lock beside the file
//! (`<config>.lock`, see [`crate::filelock`]) across re-reading the file, re-applying the edits to
//! what is on disk now, and the atomic rename. Another process's change made since `open` is kept;
//! an edit to a connection that another process changed meanwhile is refused as a conflict
//! instead of silently overwriting it.

use super::error::ConfigError;
use super::parse::{self, CONNECTION_KEYS};
use super::{Config, Connection};
use crate::secret::{ExposeSecret, SecretRef};
use std::path::{Path, PathBuf};
use toml_edit::{ArrayOfTables, DocumentMut, InlineTable, Item, Table, Value};

/// One change made through a [`ConfigFile`], kept so `save` can re-apply it to the file as it is
/// on disk at that moment.
#[derive(Debug, Clone)]
enum Edit {
    Upsert(Box<Connection>),
    Remove(String),
    Set {
        name: String,
        key: String,
        value: Value,
    },
}

impl Edit {
    fn name(&self) -> &str {
        match self {
            Edit::Upsert(c) => &c.name,
            Edit::Remove(n) | Edit::Set { name: n, .. } => n,
        }
    }
}

/// The first lines of a config file jiralink creates, so a reader knows where it came from.
const NEW_FILE_HEADER: &str =
    "# jiralink configuration. Edited by `jiralink connections …` and the TUI, which keep\n\
# comments and formatting. Every option is described in config.example.toml.\n\n";

/// A config file opened for editing. It only exists for a file that parsed, so a file with a
/// syntax error can never be overwritten.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    path: PathBuf,
    doc: DocumentMut,
    /// The text `open` read (the new-file header when there was no file).
    read_text: String,
    /// The edits made since `open`, in order.
    edits: Vec<Edit>,
}

impl ConfigFile {
    /// Open `path` for editing; a missing file starts empty, an unparsable one is an error.
    pub fn open(path: &Path) -> Result<ConfigFile, ConfigError> {
        let text = read_current(path)?;
        Self::from_text(path, text)
    }

    fn from_text(path: &Path, text: String) -> Result<ConfigFile, ConfigError> {
        // Parse with the validating reader first: it reports line/column for syntax errors.
        parse::parse_config(path, &text)?;
        let doc = text
            .parse::<DocumentMut>()
            .map_err(|e| parse::syntax_error(path, &text, &e))?;
        Ok(ConfigFile {
            path: path.to_owned(),
            doc,
            read_text: text,
            edits: Vec::new(),
        })
    }

    /// The `[[connection]]` table with this name as text, for conflict detection.
    fn connection_text(&self, name: &str) -> Option<String> {
        let i = self.index_of(name)?;
        self.tables()?.get(i).map(|t| t.to_string())
    }

    /// Record an edit, for `save` to re-apply to the file as it is then.
    fn record(&mut self, edit: Edit) {
        self.edits.push(edit);
    }

    fn apply(&mut self, edit: &Edit) -> Result<(), ConfigError> {
        match edit {
            Edit::Upsert(c) => self.apply_upsert(c),
            Edit::Remove(n) => {
                self.apply_remove(n);
                Ok(())
            }
            Edit::Set { name, key, value } => self.apply_set(name, key, value.clone()),
        }
    }

    /// Every text the connection `name` had in this file's own history: as read, and after each
    /// of its edits. On disk, any of these means no one else touched it (an earlier `save` of this
    /// same file wrote one of them).
    fn own_versions(&self, name: &str) -> Result<Vec<Option<String>>, ConfigError> {
        let mut replay = ConfigFile::from_text(&self.path, self.read_text.clone())?;
        let mut versions = vec![replay.connection_text(name)];
        for edit in &self.edits {
            replay.apply(edit)?;
            versions.push(replay.connection_text(name));
        }
        Ok(versions)
    }

    /// The file this will be saved to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The config as it would be read back after `save()`.
    pub fn config(&self) -> Result<Config, ConfigError> {
        parse::parse_config(&self.path, &self.doc.to_string())
    }

    fn tables(&self) -> Option<&ArrayOfTables> {
        self.doc
            .get("connection")
            .and_then(Item::as_array_of_tables)
    }

    fn index_of(&self, name: &str) -> Option<usize> {
        self.tables()?
            .iter()
            .position(|t| t.get("name").and_then(Item::as_str) == Some(name))
    }

    /// Whether a `[[connection]]` with this name exists (valid or not).
    pub fn has_connection(&self, name: &str) -> bool {
        self.index_of(name).is_some()
    }

    /// Add the connection, or replace the fields of the one with the same name in place (its
    /// comments and key order are kept). The connection is validated first.
    pub fn upsert_connection(&mut self, c: &Connection) -> Result<(), ConfigError> {
        let c = &c.normalized()?;
        self.record(Edit::Upsert(Box::new(c.clone())));
        self.apply_upsert(c)
    }

    fn apply_upsert(&mut self, c: &Connection) -> Result<(), ConfigError> {
        let fresh = connection_table(c);
        match self.index_of(&c.name) {
            Some(i) => {
                let Some(table) = self
                    .doc
                    .get_mut("connection")
                    .and_then(Item::as_array_of_tables_mut)
                    .and_then(|a| a.get_mut(i))
                else {
                    return Err(ConfigError::UnknownConnection(c.name.clone()));
                };
                for key in CONNECTION_KEYS {
                    match fresh.get(key) {
                        Some(Item::Value(v)) => set_keeping_decor(table, key, v.clone()),
                        _ => {
                            table.remove(key);
                        }
                    }
                }
            }
            None => {
                let root = self.doc.as_table_mut();
                if !root.contains_key("connection") {
                    root.insert("connection", Item::ArrayOfTables(ArrayOfTables::new()));
                }
                let Some(arr) = root
                    .get_mut("connection")
                    .and_then(Item::as_array_of_tables_mut)
                else {
                    return Err(ConfigError::Invalid {
                        at: None,
                        connection: Some(c.name.clone()),
                        key: Some("connection".into()),
                        message: "the file's `connection` is not a list of [[connection]] tables"
                            .into(),
                    });
                };
                arr.push(fresh);
                self.keep_trailing_text_before_the_new_table();
            }
        }
        Ok(())
    }

    /// Text after the last table (a file's header comment when it has no tables yet, commented
    /// examples at the end) is printed after every table, so an appended table would land above
    /// it and the file's order would change. Move it into the new table's prefix instead: the
    /// original text stays, byte for byte, in front of the addition.
    fn keep_trailing_text_before_the_new_table(&mut self) {
        let trailing = self.doc.trailing().as_str().unwrap_or_default().to_owned();
        if trailing.is_empty() {
            return;
        }
        let Some(table) = self
            .doc
            .get_mut("connection")
            .and_then(Item::as_array_of_tables_mut)
            .and_then(|a| a.iter_mut().last())
        else {
            return;
        };
        let prefix = table
            .decor()
            .prefix()
            .and_then(|p| p.as_str())
            .unwrap_or_default()
            .to_owned();
        table.decor_mut().set_prefix(format!("{trailing}{prefix}"));
        self.doc.set_trailing("");
    }

    /// Remove the connection; `false` when there was none with that name.
    pub fn remove_connection(&mut self, name: &str) -> bool {
        if !self.has_connection(name) {
            return false;
        }
        self.record(Edit::Remove(name.to_owned()));
        self.apply_remove(name)
    }

    fn apply_remove(&mut self, name: &str) -> bool {
        let Some(i) = self.index_of(name) else {
            return false;
        };
        if let Some(arr) = self
            .doc
            .get_mut("connection")
            .and_then(Item::as_array_of_tables_mut)
        {
            arr.remove(i);
            if arr.is_empty() {
                self.doc.as_table_mut().remove("connection");
            }
        }
        true
    }

    /// Set one field of a connection (e.g. `token_expires_at` after the OAuth dance). The key must
    /// be a known connection key; the result is validated before it is kept.
    pub fn set_connection_field(
        &mut self,
        name: &str,
        key: &str,
        value: impl Into<Value>,
    ) -> Result<(), ConfigError> {
        let value = value.into();
        // Recorded only once it applied, so a refused edit is never replayed.
        self.apply_set(name, key, value.clone())?;
        self.record(Edit::Set {
            name: name.to_owned(),
            key: key.to_owned(),
            value,
        });
        Ok(())
    }

    fn apply_set(&mut self, name: &str, key: &str, value: Value) -> Result<(), ConfigError> {
        if !CONNECTION_KEYS.contains(&key) || key == "name" {
            return Err(ConfigError::Invalid {
                at: None,
                connection: Some(name.to_owned()),
                key: Some(key.to_owned()),
                message: format!(
                    "not a settable connection key{}",
                    parse::suggestion(key, CONNECTION_KEYS)
                ),
            });
        }
        let i = self
            .index_of(name)
            .ok_or_else(|| ConfigError::UnknownConnection(name.to_owned()))?;
        let mut edited = self.clone();
        let Some(table) = edited
            .doc
            .get_mut("connection")
            .and_then(Item::as_array_of_tables_mut)
            .and_then(|a| a.get_mut(i))
        else {
            return Err(ConfigError::UnknownConnection(name.to_owned()));
        };
        set_keeping_decor(table, key, value);
        let src = parse::Source {
            path: Path::new("<edited>"),
            text: "",
        };
        parse::parse_connection(&src, table, None)?;
        *self = edited;
        Ok(())
    }

    /// Set a secret field of a connection to the given source.
    pub fn set_connection_secret(
        &mut self,
        name: &str,
        key: &str,
        secret: &SecretRef,
    ) -> Result<(), ConfigError> {
        self.set_connection_field(name, key, secret_value(secret))
    }

    /// Write the file atomically (temp file, fsync, rename, fsync dir) with mode 0600; the parent
    /// dir is created 0700 when missing. On error the old file is untouched.
    ///
    /// The lock beside the file is held across re-reading it, merging and the rename: when
    /// another process saved since `open`, this file's edits are re-applied to what it wrote
    /// (nothing either saved is lost), and an edit to a connection that process changed is
    /// refused with [`ConfigError::Conflict`].
    pub fn save(&self) -> Result<(), ConfigError> {
        let write_err = |e: std::io::Error| ConfigError::Write {
            path: self.path.clone(),
            message: e.to_string(),
        };
        let _lock = crate::filelock::lock_exclusive(&self.path).map_err(write_err)?;
        let on_disk = read_current(&self.path)?;
        let text = if on_disk == self.read_text {
            self.doc.to_string()
        } else {
            self.merged_onto(on_disk)?.doc.to_string()
        };
        // Never write something we could not read back.
        parse::parse_config(&self.path, &text)?;
        crate::paths::write_secret_file(&self.path, text.as_bytes()).map_err(write_err)?;
        tracing::info!(path = %self.path.display(), "config saved");
        Ok(())
    }

    /// This file's edits re-applied to `text` (the file as another process left it).
    fn merged_onto(&self, text: String) -> Result<ConfigFile, ConfigError> {
        let mut fresh = ConfigFile::from_text(&self.path, text)?;
        let mut checked: Vec<&str> = Vec::new();
        for name in self.edits.iter().map(Edit::name) {
            if checked.contains(&name) {
                continue;
            }
            checked.push(name);
            if !self
                .own_versions(name)?
                .contains(&fresh.connection_text(name))
            {
                return Err(ConfigError::Conflict {
                    path: self.path.clone(),
                    connection: name.to_owned(),
                });
            }
        }
        for edit in &self.edits {
            fresh.apply(edit)?;
        }
        Ok(fresh)
    }
}

/// The config text on disk now; a missing file reads as the header of a new one.
fn read_current(path: &Path) -> Result<String, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(NEW_FILE_HEADER.to_owned()),
        Err(e) => Err(ConfigError::Read {
            path: path.to_owned(),
            message: e.to_string(),
        }),
    }
}

/// Replace a value but keep the comment/whitespace around the old one.
fn set_keeping_decor(table: &mut Table, key: &str, mut value: Value) {
    if let Some(old) = table.get(key).and_then(Item::as_value) {
        *value.decor_mut() = old.decor().clone();
    }
    table.insert(key, Item::Value(value));
}

fn secret_value(s: &SecretRef) -> Value {
    let mut t = InlineTable::new();
    match s {
        // Only place a plain secret is exposed: writing it into the 0600 config file.
        SecretRef::Plain(v) => return Value::from(v.expose_secret()),
        SecretRef::Env(n) => t.insert("env", Value::from(n.as_str())),
        SecretRef::Cmd(c) => t.insert("cmd", Value::from(c.as_str())),
        SecretRef::File(p) => t.insert("file", Value::from(p.display().to_string())),
    };
    Value::InlineTable(t)
}

/// The connection as a `[[connection]]` table, keys in the documented order.
pub(super) fn connection_table(c: &Connection) -> Table {
    let mut t = Table::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            t.insert(k, Item::Value(v));
        }
    };
    let s = |v: &Option<String>| v.as_deref().map(Value::from);
    let p = |v: &Option<PathBuf>| v.as_ref().map(|p| Value::from(p.display().to_string()));
    let sec = |v: &Option<SecretRef>| v.as_ref().map(secret_value);
    put("name", Some(Value::from(c.name.as_str())));
    put("url", Some(Value::from(c.url.as_str())));
    put("auth", Some(Value::from(c.auth.as_str())));
    put("username", s(&c.username));
    put("password", sec(&c.password));
    put("email", s(&c.email));
    put("token", sec(&c.token));
    put("consumer_key", s(&c.consumer_key));
    put("consumer_name", s(&c.consumer_name));
    put("private_key", p(&c.private_key));
    put("access_token", sec(&c.access_token));
    put("token_secret", sec(&c.token_secret));
    put("client_id", s(&c.client_id));
    put("client_secret", sec(&c.client_secret));
    put("redirect_uri", s(&c.redirect_uri));
    put(
        "scopes",
        (!c.scopes.is_empty()).then(|| Value::Array(c.scopes.iter().map(|x| x.as_str()).collect())),
    );
    put("refresh_token", sec(&c.refresh_token));
    put("token_expires_at", s(&c.token_expires_at));
    put("expires_at", s(&c.expires_at));
    put(
        "token_id",
        c.token_id
            .and_then(|n| i64::try_from(n).ok())
            .map(Value::from),
    );
    put("ca_file", p(&c.ca_file));
    put("client_cert", p(&c.client_cert));
    put("client_key", p(&c.client_key));
    put("insecure", c.insecure.then_some(Value::from(true)));
    put("proxy", s(&c.proxy));
    put(
        "timeout_secs",
        c.timeout_secs
            .and_then(|n| i64::try_from(n).ok())
            .map(Value::from),
    );
    t
}
