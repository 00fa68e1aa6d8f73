//! Secrets: where they come from (plain, env var, command, file) and a redacting wrapper.
//! SKELETON: the config helper fills this in.

pub use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::path::PathBuf;

/// Where a secret comes from. `Debug` never prints a plain value.
#[derive(Clone)]
pub enum SecretRef {
    /// Written in the config file itself.
    Plain(SecretString),
    /// `{ env = "NAME" }`.
    Env(String),
    /// `{ cmd = "pass show jira" }`, run with `sh -c`, stdout trimmed.
    Cmd(String),
    /// `{ file = "path" }`, contents trimmed; must not be readable by group/others.
    File(PathBuf),
}

impl fmt::Debug for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretRef::Plain(_) => f.write_str("SecretRef::Plain([redacted])"),
            SecretRef::Env(n) => write!(f, "SecretRef::Env({n})"),
            SecretRef::Cmd(c) => write!(f, "SecretRef::Cmd({c})"),
            SecretRef::File(p) => write!(f, "SecretRef::File({})", p.display()),
        }
    }
}
