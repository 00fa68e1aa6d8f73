//! The config file: connections and defaults; load, validate, save atomically with mode 0600.
//! SKELETON: types are the contract; the config helper implements loading and saving.

use crate::secret::SecretRef;
use std::path::PathBuf;

/// `[defaults]`.
#[derive(Debug, Clone)]
pub struct Defaults {
    pub timeout_secs: u64,
    pub concurrency: usize,
    pub required_permissions: Vec<String>,
}

/// `auth = "basic" | "pat" | "cloud-token" | "oauth1"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    Basic,
    Pat,
    CloudToken,
    Oauth1,
}

/// One `[[connection]]`.
#[derive(Debug, Clone)]
pub struct Connection {
    pub name: String,
    pub url: String,
    pub auth: AuthKind,
    pub username: Option<String>,
    pub password: Option<SecretRef>,
    pub token: Option<SecretRef>,
    pub email: Option<String>,
    pub consumer_key: Option<String>,
    pub consumer_name: Option<String>,
    pub private_key: Option<PathBuf>,
    pub access_token: Option<SecretRef>,
    pub token_secret: Option<SecretRef>,
    pub token_expires_at: Option<String>,
    pub ca_file: Option<PathBuf>,
    pub insecure: bool,
    pub proxy: Option<String>,
    pub timeout_secs: Option<u64>,
}

/// The whole config.
#[derive(Debug, Clone)]
pub struct Config {
    pub defaults: Defaults,
    pub connections: Vec<Connection>,
}
