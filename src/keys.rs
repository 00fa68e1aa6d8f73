//! RSA keys for OAuth 1.0a consumers: generation off the async threads, PEM import/export, the
//! public key text Jira's form wants, fingerprints, and file permission checks.

use base64::Engine as _;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The key size used when the user does not choose one.
pub const DEFAULT_BITS: usize = 2048;

/// Key sizes jiralink will generate. Below 2048 is too weak; above 4096 only slows every signature.
pub const ALLOWED_BITS: [usize; 3] = [2048, 3072, 4096];

/// Largest file `load_private_key` reads (a 4096-bit PEM key is about 3.3 KiB).
const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// Why a key could not be made, read, written or accepted. Messages never contain key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Anything not covered below.
    #[error("{0}")]
    Other(String),
    /// A key size outside [`ALLOWED_BITS`].
    #[error("unsupported RSA key size {0}: use 2048 (default), 3072 or 4096")]
    UnsupportedBits(usize),
    /// The RSA library failed to generate a key.
    #[error("could not generate an RSA key: {0}")]
    Generate(String),
    /// A file operation failed.
    #[error("could not {action} {}: {source}", path.display())]
    Io {
        /// What was being done ("read", "write", …).
        action: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// Refusing to replace an existing key file.
    #[error("{} already exists; pass --force to overwrite it (the old key stops working in Jira)", path.display())]
    Exists {
        /// The existing file.
        path: PathBuf,
    },
    /// The private key file is readable by group or others.
    #[error("private key {} is accessible by group/others (mode {mode:03o}); run `chmod 600 {}` and try again", path.display(), path.display())]
    TooOpen {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The private key is protected by a passphrase.
    #[error("the private key is encrypted with a passphrase, which jiralink cannot use unattended; write an unencrypted copy with `openssl pkcs8 -topk8 -nocrypt -in <encrypted.pem> -out <key.pem>` and `chmod 600 <key.pem>`")]
    Encrypted,
    /// A PKCS#1 `BEGIN RSA PUBLIC KEY` block, which Jira's form does not accept.
    #[error("this is a PKCS#1 public key (BEGIN RSA PUBLIC KEY); Jira only accepts an X.509 SubjectPublicKeyInfo key (BEGIN PUBLIC KEY) and rejects this one as an invalid public key; convert it with `openssl rsa -RSAPublicKey_in -in <key.pub> -pubout -out <key.spki.pem>`")]
    Pkcs1PublicKey,
    /// The text is not a key in a format jiralink understands.
    #[error("{0}")]
    Format(String),
}

/// Generate a new RSA key of `bits` (2048, 3072 or 4096). CPU heavy: call from a blocking thread.
pub fn generate(bits: usize) -> Result<RsaPrivateKey, KeyError> {
    if !ALLOWED_BITS.contains(&bits) {
        return Err(KeyError::UnsupportedBits(bits));
    }
    let mut rng = rand::thread_rng();
    RsaPrivateKey::new(&mut rng, bits).map_err(|e| KeyError::Generate(e.to_string()))
}

/// [`generate`] on tokio's blocking pool, so a UI event loop stays responsive (4096 bits can take
/// seconds).
pub async fn generate_async(bits: usize) -> Result<RsaPrivateKey, KeyError> {
    // Validate first so a bad size fails immediately instead of after a thread hop.
    if !ALLOWED_BITS.contains(&bits) {
        return Err(KeyError::UnsupportedBits(bits));
    }
    tokio::task::spawn_blocking(move || generate(bits))
        .await
        .map_err(|e| KeyError::Generate(format!("key generation task failed: {e}")))?
}

/// Write `key` as PKCS#8 PEM to `path`: mode 0600, atomically (temp file in the same directory,
/// fsync, rename), creating a missing parent directory with mode 0700. An existing file is only
/// replaced when `force` is set.
pub fn write_private_key(path: &Path, key: &RsaPrivateKey, force: bool) -> Result<(), KeyError> {
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| KeyError::Other(format!("could not encode the private key: {e}")))?;
    write_atomic(path, pem.as_bytes(), 0o600, force)
}

/// Write the public half as X.509 SubjectPublicKeyInfo PEM (mode 0644, atomic, same `force` rule).
pub fn write_public_key(path: &Path, key: &RsaPublicKey, force: bool) -> Result<(), KeyError> {
    write_atomic(path, public_key_pem(key).as_bytes(), 0o644, force)
}

/// Write any secret (the wizard's export, a token file) like a private key: mode 0600, atomic,
/// parent created 0700, never replacing an existing file without `force`.
pub fn write_secret_file(path: &Path, contents: &[u8], force: bool) -> Result<(), KeyError> {
    write_atomic(path, contents, 0o600, force)
}

fn write_atomic(path: &Path, contents: &[u8], mode: u32, force: bool) -> Result<(), KeyError> {
    let io_err = |action: &'static str, p: &Path| {
        let p = p.to_path_buf();
        move |source| KeyError::Io {
            action,
            path: p,
            source,
        }
    };
    if !force && fs::symlink_metadata(path).is_ok() {
        return Err(KeyError::Exists {
            path: path.to_path_buf(),
        });
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.exists() {
        // Only a directory we create gets 0700; tightening an existing one (say, the user's
        // project directory) behind their back would be a surprise.
        create_private_dir(&dir).map_err(io_err("create directory", &dir))?;
    }
    // tempfile creates the file with mode 0600 on Unix, so the key is never readable by others,
    // not even for the instant before we set the final mode.
    let mut tmp = tempfile::Builder::new()
        .prefix(".jiralink-key-")
        .tempfile_in(&dir)
        .map_err(io_err("create a temporary file in", &dir))?;
    tmp.write_all(contents)
        .map_err(io_err("write", tmp.path()))?;
    set_mode(tmp.as_file(), mode).map_err(io_err("set permissions on", path))?;
    tmp.as_file()
        .sync_all()
        .map_err(io_err("sync", tmp.path()))?;
    if force {
        tmp.persist(path).map_err(|e| KeyError::Io {
            action: "replace",
            path: path.to_path_buf(),
            source: e.error,
        })?;
    } else {
        // persist_noclobber closes the race between the existence check above and the rename.
        tmp.persist_noclobber(path).map_err(|e| {
            if e.error.kind() == io::ErrorKind::AlreadyExists {
                KeyError::Exists {
                    path: path.to_path_buf(),
                }
            } else {
                KeyError::Io {
                    action: "write",
                    path: path.to_path_buf(),
                    source: e.error,
                }
            }
        })?;
    }
    // The rename is only durable once the directory entry is on disk too.
    sync_dir(&dir).map_err(io_err("sync directory", &dir))?;
    Ok(())
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)
}

#[cfg(unix)]
fn set_mode(file: &fs::File, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_file: &fs::File, _mode: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// Load a private key (PKCS#8 or PKCS#1 PEM), refusing one that group/others can read.
pub fn load_private_key(path: &Path) -> Result<RsaPrivateKey, KeyError> {
    use crate::private_file::{read_private_file, PrivateFileError};
    // A regular file only (a FIFO would hang, /dev/zero never ends), a PEM RSA key is a few KiB,
    // and OpenSSH's rule: any group/other bit is refused.
    let bytes =
        read_private_file(path, MAX_KEY_FILE_BYTES, "a PEM private key").map_err(|e| match e {
            PrivateFileError::Io { path, source } => KeyError::Io {
                action: "read",
                path,
                source,
            },
            PrivateFileError::TooOpen {
                path,
                mode,
                link_target: None,
            } => KeyError::TooOpen { path, mode },
            other => KeyError::Format(other.to_string()),
        })?;
    let text = zeroize::Zeroizing::new(String::from_utf8_lossy(&bytes).into_owned());
    import_private_key_pem(&text).map_err(|e| match e {
        KeyError::Format(msg) => KeyError::Format(format!("{}: {msg}", path.display())),
        other => other,
    })
}

/// Parse a private key from PEM text: PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE
/// KEY`). Encrypted keys and other formats get an explanatory error.
pub fn import_private_key_pem(text: &str) -> Result<RsaPrivateKey, KeyError> {
    let text = text.trim();
    if text.contains("BEGIN ENCRYPTED PRIVATE KEY") || text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(KeyError::Encrypted);
    }
    if let Some(block) = pem_block(text, "PRIVATE KEY") {
        return RsaPrivateKey::from_pkcs8_pem(block).map_err(|e| {
            KeyError::Format(format!(
                "not a valid PKCS#8 RSA private key ({e}); only RSA keys work with OAuth 1.0a RSA-SHA1"
            ))
        });
    }
    if let Some(block) = pem_block(text, "RSA PRIVATE KEY") {
        return RsaPrivateKey::from_pkcs1_pem(block)
            .map_err(|e| KeyError::Format(format!("not a valid PKCS#1 RSA private key ({e})")));
    }
    if text.contains("-----BEGIN OPENSSH PRIVATE KEY-----") {
        return Err(KeyError::Format(
            "this is an OpenSSH private key; convert a copy to PEM with `ssh-keygen -p -m PEM -f <copy>` or generate a new key with `jiralink link keygen`".into(),
        ));
    }
    if text.contains("PUBLIC KEY-----") {
        return Err(KeyError::Format(
            "this is a public key; jiralink needs the private key (BEGIN PRIVATE KEY)".into(),
        ));
    }
    Err(KeyError::Format(format!(
        "no PEM private key found (expected `-----BEGIN PRIVATE KEY-----` or `-----BEGIN RSA PRIVATE KEY-----`, found {})",
        describe_pem_label(text)
    )))
}

/// The first `-----BEGIN {label}-----` … `-----END {label}-----` block in `text`. Files exported by
/// other tools often carry text around the block (openssl's "Bag Attributes", comments), which the
/// strict PEM decoder refuses.
fn pem_block<'a>(text: &'a str, label: &str) -> Option<&'a str> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)?;
    let stop = text[start..].find(&end)? + start + end.len();
    Some(&text[start..stop])
}

/// Names the PEM label in `text` (never its contents) for error messages.
fn describe_pem_label(text: &str) -> String {
    text.lines()
        .find_map(|l| {
            let l = l.trim();
            l.strip_prefix("-----BEGIN ")
                .and_then(|r| r.strip_suffix("-----"))
                .map(|label| format!("`BEGIN {label}`"))
        })
        .unwrap_or_else(|| "no PEM header".to_string())
}

/// The public key as X.509 SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`, LF line ends).
pub fn public_key_pem(key: &RsaPublicKey) -> String {
    // Encoding an in-memory RsaPublicKey to SPKI cannot fail in practice (the modulus and exponent
    // are valid integers); fall back to an empty string rather than panic in a UI.
    key.to_public_key_pem(LineEnding::LF).unwrap_or_default()
}

fn public_key_der(key: &RsaPublicKey) -> Vec<u8> {
    key.to_public_key_der()
        .map(|d| d.as_bytes().to_vec())
        .unwrap_or_default()
}

/// The text to paste into the *Public Key* field of Jira's incoming-link form: the base64 body of
/// the SubjectPublicKeyInfo on one line, without the `BEGIN`/`END` lines.
///
/// Why this form: Jira parses the field with `com.atlassian.oauth.util.RSAKeys
/// .fromPemEncodingToPublicKey`, which strips `-----[A-Z ]*-----` and `\n` and base64-decodes the
/// rest as X.509 (atlassian-oauth `RSAKeys.java`). The header lines are therefore optional, but a
/// pasted Windows `\r` is not stripped, so one bare line is the variant that always parses; it is
/// also what vendors' guides ask for ("remove the BEGIN and END lines", Intercax Syndeia docs) and
/// what the applinks REST body carries as `publicKey`.
pub fn public_key_for_jira_form(key: &RsaPublicKey) -> String {
    base64::engine::general_purpose::STANDARD.encode(public_key_der(key))
}

/// OpenSSH-style fingerprint: `SHA256:` + unpadded base64 of SHA-256 over the DER SubjectPublicKeyInfo.
pub fn fingerprint_sha256(key: &RsaPublicKey) -> String {
    let digest = Sha256::digest(public_key_der(key));
    format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(digest)
    )
}

/// The key size in bits.
pub fn key_bits(key: &RsaPublicKey) -> usize {
    key.size() * 8
}

/// Check public key text a user pasted or a file holds: accepts SubjectPublicKeyInfo PEM (`BEGIN
/// PUBLIC KEY`) or its bare base64 body; rejects PKCS#1 `BEGIN RSA PUBLIC KEY` (Jira cannot parse it)
/// and other formats with the command that converts them.
pub fn check_public_key_text(text: &str) -> Result<RsaPublicKey, KeyError> {
    let text = text.trim();
    if text.contains("BEGIN RSA PUBLIC KEY") {
        return Err(KeyError::Pkcs1PublicKey);
    }
    if text.contains("PRIVATE KEY-----") {
        return Err(KeyError::Format(
            "this is a PRIVATE key; never paste it into Jira. Give Jira the public key from `jiralink link fields`".into(),
        ));
    }
    if text.contains("BEGIN CERTIFICATE") {
        return Err(KeyError::Format(
            "this is a certificate; extract its public key with `openssl x509 -pubkey -noout -in <cert.pem>`".into(),
        ));
    }
    if text.starts_with("ssh-rsa ") {
        return Err(KeyError::Format(
            "this is an OpenSSH public key; convert it with `ssh-keygen -e -m PKCS8 -f <key.pub>`"
                .into(),
        ));
    }
    if let Some(block) = pem_block(text, "PUBLIC KEY") {
        return RsaPublicKey::from_public_key_pem(block)
            .map_err(|e| KeyError::Format(format!("not a valid RSA public key ({e})")));
    }
    if text.contains("-----BEGIN ") {
        return Err(KeyError::Format(format!(
            "expected `-----BEGIN PUBLIC KEY-----`, found {}",
            describe_pem_label(text)
        )));
    }
    // A bare base64 body, as the Jira form and the applinks REST API hold it.
    let body: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body.as_bytes())
        .map_err(|_| {
            KeyError::Format(
                "not a public key: expected `-----BEGIN PUBLIC KEY-----` PEM or its base64 body"
                    .into(),
            )
        })?;
    RsaPublicKey::from_public_key_der(&der)
        .map_err(|e| KeyError::Format(format!("not a valid RSA SubjectPublicKeyInfo ({e})")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_is_named_without_contents() {
        assert_eq!(
            describe_pem_label("-----BEGIN DSA PRIVATE KEY-----\nAAAA\n"),
            "`BEGIN DSA PRIVATE KEY`"
        );
        assert_eq!(describe_pem_label("hello"), "no PEM header");
    }

    #[test]
    fn unsupported_sizes_are_refused_before_work() {
        for bits in [0, 1024, 2047, 8192] {
            assert!(matches!(generate(bits), Err(KeyError::UnsupportedBits(b)) if b == bits));
        }
    }
}
