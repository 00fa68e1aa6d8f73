//! Config errors: every one names where it happened (file:line:column, connection, key) and never
//! carries a secret's value.

use crate::secret::SecretError;
use std::fmt;
use std::path::PathBuf;

/// A place in the config file, 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path.display(), self.line, self.column)
    }
}

impl Location {
    /// Turn a byte offset into `text` into a line/column (columns count characters).
    pub fn from_offset(path: PathBuf, text: &str, offset: usize) -> Location {
        let offset = offset.min(text.len());
        // Back up to a char boundary so slicing cannot panic on a span inside a multi-byte char.
        let offset = (0..=offset)
            .rev()
            .find(|i| text.is_char_boundary(*i))
            .unwrap_or(0);
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let column = before[line_start..].chars().count() + 1;
        Location { path, line, column }
    }
}

/// Anything that can go wrong loading, validating, using or saving the config.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {}: {message}", path.display())]
    Read { path: PathBuf, message: String },
    /// The file is not valid TOML.
    #[error("{at}: invalid TOML: {message}")]
    Parse { at: Location, message: String },
    /// A value is wrong, missing or unknown.
    #[error("{}", invalid_text(.at, .connection, .key, .message))]
    Invalid {
        at: Option<Location>,
        connection: Option<String>,
        key: Option<String>,
        message: String,
    },
    /// A secret could not be resolved.
    #[error("connection \"{connection}\": {key}: {source}")]
    Secret {
        connection: String,
        key: String,
        source: SecretError,
    },
    /// The OAuth private key could not be loaded.
    #[error("connection \"{connection}\": private_key {}: {message}", path.display())]
    Key {
        connection: String,
        path: PathBuf,
        message: String,
    },
    /// No connection has that name.
    #[error("no connection named \"{0}\"")]
    UnknownConnection(String),
    /// The file could not be written; the previous one is untouched.
    #[error("cannot save config {}: {message} (the previous file is unchanged)", path.display())]
    Write { path: PathBuf, message: String },
    /// Another process changed the same connection between this one reading and saving the file.
    #[error("cannot save config {}: connection \"{connection}\" was changed by another jiralink (or an editor) since it was read; nothing was written — run the command again to apply it to the current file", path.display())]
    Conflict { path: PathBuf, connection: String },
}

fn invalid_text(
    at: &Option<Location>,
    connection: &Option<String>,
    key: &Option<String>,
    message: &str,
) -> String {
    let mut s = String::new();
    if let Some(at) = at {
        s.push_str(&format!("{at}: "));
    }
    if let Some(c) = connection {
        s.push_str(&format!("connection \"{c}\": "));
    }
    if let Some(k) = key {
        s.push_str(&format!("`{k}`: "));
    }
    s.push_str(message);
    s
}

impl ConfigError {
    /// The connection the error is about, when it is about one.
    pub fn connection(&self) -> Option<&str> {
        match self {
            ConfigError::Invalid { connection, .. } => connection.as_deref(),
            ConfigError::Secret { connection, .. } | ConfigError::Key { connection, .. } => {
                Some(connection)
            }
            ConfigError::UnknownConnection(c) => Some(c),
            ConfigError::Conflict { connection, .. } => Some(connection),
            _ => None,
        }
    }
}

impl ConfigError {
    /// The same failure as a [`Diagnosis`](crate::jira::Diagnosis), so front ends show config
    /// problems next to network ones in one shape.
    pub fn diagnosis(&self) -> crate::jira::Diagnosis {
        use crate::jira::{Code, Diagnosis};
        let (code, fix) = match self {
            ConfigError::Secret { connection, key, .. } => (
                Code::SecretUnavailable,
                format!(
                    "make the secret source of `{key}` in connection \"{connection}\" work (set the env var, fix the command or the file), or change it with `jiralink connections add {connection} --force …`"
                ),
            ),
            ConfigError::Key { path, .. } => (
                Code::KeyError,
                format!(
                    "fix the private key at {} as the message above says, or generate one with `jiralink link keygen`",
                    path.display()
                ),
            ),
            _ => (
                Code::ConfigError,
                "correct the config file at the place named above, then run the command again"
                    .to_owned(),
            ),
        };
        Diagnosis::error(
            code,
            "the connection cannot be used as configured",
            self.to_string(),
            fix,
        )
    }
}
