//! Key handling against a fixed committed key: PEM formats, permissions, atomic writes, Jira's form text.

use jiralink::keys::{self, KeyError};
use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey};
use rsa::pkcs8::LineEnding;
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

const TEST_KEY: &str = include_str!("data/test_key.pem");
const TEST_PUB: &str = include_str!("data/test_key.pub.pem");

fn test_key() -> RsaPrivateKey {
    keys::import_private_key_pem(TEST_KEY).unwrap()
}

/// Git does not keep mode 0600, so tests copy the committed key to a private temp file.
fn key_file(dir: &Path, contents: &str, mode: u32) -> PathBuf {
    let p = dir.join("key.pem");
    fs::write(&p, contents).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
    p
}

fn mode_of(p: &Path) -> u32 {
    fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn imports_pkcs8_and_pkcs1_to_the_same_key() {
    let k = test_key();
    assert_eq!(k.size() * 8, 2048);
    let pkcs1 = k.to_pkcs1_pem(LineEnding::LF).unwrap();
    assert!(pkcs1.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    let again = keys::import_private_key_pem(&pkcs1).unwrap();
    assert_eq!(again, k);
}

#[test]
fn load_accepts_0600_and_refuses_group_or_world_readable() {
    let dir = tempfile::tempdir().unwrap();
    let p = key_file(dir.path(), TEST_KEY, 0o600);
    assert_eq!(keys::load_private_key(&p).unwrap(), test_key());

    for mode in [0o640, 0o604, 0o644, 0o660] {
        fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
        let err = keys::load_private_key(&p).unwrap_err();
        assert!(matches!(err, KeyError::TooOpen { .. }), "{mode:o}: {err}");
        let msg = err.to_string();
        assert!(msg.contains(&format!("chmod 600 {}", p.display())), "{msg}");
    }
    // 0400 (read-only for the owner) is fine, like ssh.
    fs::set_permissions(&p, fs::Permissions::from_mode(0o400)).unwrap();
    assert!(keys::load_private_key(&p).is_ok());
}

#[test]
fn text_around_the_pem_block_is_ignored() {
    let wrapped = format!("Bag Attributes\n    localKeyID: 01 02\n{TEST_KEY}\ntrailing comment\n");
    assert_eq!(keys::import_private_key_pem(&wrapped).unwrap(), test_key());
    let pub_wrapped = format!("# consumer key for Jira\n{TEST_PUB}");
    assert!(keys::check_public_key_text(&pub_wrapped).is_ok());
}

#[test]
fn load_refuses_huge_files() {
    let dir = tempfile::tempdir().unwrap();
    let p = key_file(dir.path(), &"A".repeat(100_000), 0o600);
    assert!(keys::load_private_key(&p)
        .unwrap_err()
        .to_string()
        .contains("too large"));
}

#[test]
fn load_missing_file_names_the_path() {
    let err = keys::load_private_key(Path::new("/nonexistent/jiralink/key.pem")).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/jiralink/key.pem"));
}

#[test]
fn encrypted_keys_get_a_clear_error() {
    let pkcs8_enc = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkq\n-----END ENCRYPTED PRIVATE KEY-----\n";
    let err = keys::import_private_key_pem(pkcs8_enc).unwrap_err();
    assert!(matches!(err, KeyError::Encrypted));
    assert!(err.to_string().contains("-nocrypt"));
    let legacy = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n";
    assert!(matches!(
        keys::import_private_key_pem(legacy),
        Err(KeyError::Encrypted)
    ));
}

#[test]
fn other_formats_are_named_and_never_echoed() {
    let openssh = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----";
    let msg = keys::import_private_key_pem(openssh)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("OpenSSH"), "{msg}");
    assert!(!msg.contains("b3BlbnNzaC1rZXktdjEAAAAA"));

    let ec = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBsecret\n-----END EC PRIVATE KEY-----";
    let msg = keys::import_private_key_pem(ec).unwrap_err().to_string();
    assert!(msg.contains("BEGIN EC PRIVATE KEY"), "{msg}");
    assert!(!msg.contains("MHcCAQEEIBsecret"));

    assert!(keys::import_private_key_pem(TEST_PUB).is_err());
    assert!(keys::import_private_key_pem("").is_err());
}

#[test]
fn write_is_0600_in_a_0700_dir_and_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("new/sub/consumer.pem");
    let k = test_key();
    keys::write_private_key(&p, &k, false).unwrap();
    assert_eq!(mode_of(&p), 0o600);
    assert_eq!(mode_of(p.parent().unwrap()), 0o700);
    let text = fs::read_to_string(&p).unwrap();
    assert!(text.starts_with("-----BEGIN PRIVATE KEY-----"));
    assert_eq!(keys::load_private_key(&p).unwrap(), k);
    // No temp files left behind.
    let leftovers: Vec<_> = fs::read_dir(p.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
}

#[test]
fn write_refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let p = key_file(dir.path(), "old contents", 0o600);
    let err = keys::write_private_key(&p, &test_key(), false).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains(&p.display().to_string()) && msg.contains("--force"),
        "{msg}"
    );
    assert_eq!(fs::read_to_string(&p).unwrap(), "old contents");

    keys::write_private_key(&p, &test_key(), true).unwrap();
    assert_eq!(keys::load_private_key(&p).unwrap(), test_key());
    assert_eq!(mode_of(&p), 0o600);
}

#[test]
fn public_key_pem_is_spki_and_matches_openssl() {
    let pubkey = RsaPublicKey::from(&test_key());
    let pem = keys::public_key_pem(&pubkey);
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    assert!(pem.trim_end().ends_with("-----END PUBLIC KEY-----"));
    // openssl pkey -pubout wrote the committed .pub.pem: same bytes.
    assert_eq!(pem.trim(), TEST_PUB.trim());
}

#[test]
fn jira_form_text_is_the_bare_base64_body_on_one_line() {
    let pubkey = RsaPublicKey::from(&test_key());
    let form = keys::public_key_for_jira_form(&pubkey);
    assert!(!form.contains("BEGIN") && !form.contains('\n') && !form.contains('\r'));
    let body: String = TEST_PUB
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    assert_eq!(form, body);
    // And it parses back as the same key.
    assert_eq!(keys::check_public_key_text(&form).unwrap(), pubkey);
}

#[test]
fn fingerprint_is_ssh_style_and_stable() {
    let pubkey = RsaPublicKey::from(&test_key());
    let fp = keys::fingerprint_sha256(&pubkey);
    assert!(fp.starts_with("SHA256:"));
    // 32 bytes → 43 base64 chars without padding.
    assert_eq!(fp.len(), "SHA256:".len() + 43);
    assert!(!fp.ends_with('='));
    assert_eq!(fp, keys::fingerprint_sha256(&pubkey));
    // Computed independently: sha256 over the DER from the committed PEM body.
    use base64::Engine as _;
    use sha2::Digest as _;
    let body: String = TEST_PUB
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    let expected =
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(sha2::Sha256::digest(der));
    assert_eq!(fp, format!("SHA256:{expected}"));
}

#[test]
fn check_public_key_accepts_spki_and_rejects_pkcs1_with_conversion_hint() {
    let pubkey = RsaPublicKey::from(&test_key());
    assert_eq!(keys::check_public_key_text(TEST_PUB).unwrap(), pubkey);
    // Windows line ends from a pasted clipboard still parse.
    let crlf = TEST_PUB.replace('\n', "\r\n");
    assert_eq!(keys::check_public_key_text(&crlf).unwrap(), pubkey);

    let pkcs1 = pubkey.to_pkcs1_pem(LineEnding::LF).unwrap();
    assert!(pkcs1.starts_with("-----BEGIN RSA PUBLIC KEY-----"));
    let err = keys::check_public_key_text(&pkcs1).unwrap_err();
    assert!(matches!(err, KeyError::Pkcs1PublicKey));
    let msg = err.to_string();
    assert!(msg.contains("Jira"), "{msg}");
    assert!(msg.contains("openssl rsa -RSAPublicKey_in"), "{msg}");
    assert!(msg.contains("-pubout"), "{msg}");
}

#[test]
fn check_public_key_rejects_private_keys_certificates_and_garbage() {
    let msg = keys::check_public_key_text(TEST_KEY)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("PRIVATE"), "{msg}");
    assert!(!msg.contains(TEST_KEY.lines().nth(1).unwrap()));
    let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
    assert!(keys::check_public_key_text(cert)
        .unwrap_err()
        .to_string()
        .contains("openssl x509 -pubkey"));
    assert!(keys::check_public_key_text("ssh-rsa AAAAB3Nza user@host")
        .unwrap_err()
        .to_string()
        .contains("ssh-keygen -e -m PKCS8"));
    assert!(keys::check_public_key_text("not a key !!").is_err());
    assert!(keys::check_public_key_text("").is_err());
}

#[test]
fn write_public_key_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("consumer.pub.pem");
    let pubkey = RsaPublicKey::from(&test_key());
    keys::write_public_key(&p, &pubkey, false).unwrap();
    assert_eq!(mode_of(&p), 0o644);
    let text = fs::read_to_string(&p).unwrap();
    assert_eq!(keys::check_public_key_text(&text).unwrap(), pubkey);
    assert!(keys::write_public_key(&p, &pubkey, false).is_err());
}

#[test]
fn generate_refuses_odd_sizes_and_makes_a_2048_bit_key() {
    assert!(matches!(
        keys::generate(1024),
        Err(KeyError::UnsupportedBits(1024))
    ));
    assert!(keys::generate(1024)
        .unwrap_err()
        .to_string()
        .contains("2048"));
    // The one test that really generates a key (opt-level 3 for rsa keeps it fast).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let k = rt.block_on(keys::generate_async(2048)).unwrap();
    assert_eq!(keys::key_bits(&RsaPublicKey::from(&k)), 2048);
    assert_ne!(k, test_key());
    assert!(matches!(
        rt.block_on(keys::generate_async(512)),
        Err(KeyError::UnsupportedBits(512))
    ));
}

#[test]
fn secret_files_are_private_and_not_clobbered() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("export/jira.env");
    keys::write_secret_file(&p, b"TOKEN=x\n", false).unwrap();
    assert_eq!(mode_of(&p), 0o600);
    assert_eq!(mode_of(p.parent().unwrap()), 0o700);
    assert!(matches!(
        keys::write_secret_file(&p, b"other", false),
        Err(KeyError::Exists { .. })
    ));
    keys::write_secret_file(&p, b"TOKEN=y\n", true).unwrap();
    assert_eq!(fs::read_to_string(&p).unwrap(), "TOKEN=y\n");
}
