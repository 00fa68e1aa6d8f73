//! Whole edits of the config file the front ends make: add or replace one connection, remove one.
//! Both go through [`ConfigFile`], which keeps comments and order and saves atomically.

use super::{Config, ConfigError, ConfigFile, Connection};
use std::path::Path;

/// Add `connection` (or replace the one named `replaces`, which may be its old name) and save;
/// returns the config as saved.
pub fn save_connection(
    path: &Path,
    replaces: Option<&str>,
    connection: &Connection,
) -> Result<Config, ConfigError> {
    let mut f = ConfigFile::open(path)?;
    if let Some(old) = replaces.filter(|old| *old != connection.name) {
        f.remove_connection(old);
    }
    f.upsert_connection(connection)?;
    f.save()?;
    f.config()
}

/// Remove the connection `name` and save; returns the config as saved.
pub fn delete_connection(path: &Path, name: &str) -> Result<Config, ConfigError> {
    let mut f = ConfigFile::open(path)?;
    if !f.remove_connection(name) {
        return Err(ConfigError::UnknownConnection(name.to_owned()));
    }
    f.save()?;
    f.config()
}
