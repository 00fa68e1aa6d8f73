//! Editing and saving the config file with `toml_edit`, so comments, formatting and unknown keys
//! survive; writes are atomic with mode 0600.

use super::error::ConfigError;
use super::parse::{self, CONNECTION_KEYS};
use super::{Config, Connection};
use crate::secret::{ExposeSecret, SecretRef};
use std::path::{Path, PathBuf};
use toml_edit::{ArrayOfTables, DocumentMut, InlineTable, Item, Table, Value};

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
}

impl ConfigFile {
    /// Open `path` for editing; a missing file starts empty, an unparsable one is an error.
    pub fn open(path: &Path) -> Result<ConfigFile, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => NEW_FILE_HEADER.to_owned(),
            Err(e) => {
                return Err(ConfigError::Read {
                    path: path.to_owned(),
                    message: e.to_string(),
                })
            }
        };
        // Parse with the validating reader first: it reports line/column for syntax errors.
        parse::parse_config(path, &text)?;
        let doc = text
            .parse::<DocumentMut>()
            .map_err(|e| parse::syntax_error(path, &text, &e))?;
        Ok(ConfigFile {
            path: path.to_owned(),
            doc,
        })
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
            }
        }
        Ok(())
    }

    /// Remove the connection; `false` when there was none with that name.
    pub fn remove_connection(&mut self, name: &str) -> bool {
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
        set_keeping_decor(table, key, value.into());
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
    pub fn save(&self) -> Result<(), ConfigError> {
        let text = self.doc.to_string();
        // Never write something we could not read back.
        parse::parse_config(&self.path, &text)?;
        crate::paths::write_secret_file(&self.path, text.as_bytes()).map_err(|e| {
            ConfigError::Write {
                path: self.path.clone(),
                message: e.to_string(),
            }
        })?;
        tracing::info!(path = %self.path.display(), "config saved");
        Ok(())
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
