//! RSA keys for OAuth 1.0a consumers: generation off the async threads, PEM import/export, the
//! public key text Jira's form wants, fingerprints, and file permission checks.
//! SKELETON: the keys helper fills this in; `load_private_key` is the contract config relies on.

use std::path::Path;

/// Why a key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{0}")]
    Other(String),
}

/// Load a private key (PKCS#8 or PKCS#1 PEM), refusing one that group/others can read.
pub fn load_private_key(path: &Path) -> Result<rsa::RsaPrivateKey, KeyError> {
    let _ = path;
    todo!()
}
