//! Client certificates (mutual TLS) for Jiras behind a reverse proxy that demands one: loading
//! the PEM certificate and key into a reqwest/rustls `Identity`, and recognising the TLS alert a
//! server sends when it wants a certificate or refuses ours.

use super::error::JiraError;
use std::path::Path;

/// Alerts a server sends about the client's certificate (RFC 8446 §6.2, RFC 5246 §7.2.2), as
/// rustls names them in "received fatal alert: …".
const CLIENT_CERT_ALERTS: &[&str] = &[
    "CertificateRequired",
    "BadCertificate",
    "UnsupportedCertificate",
    "CertificateRevoked",
    "CertificateExpired",
    "CertificateUnknown",
    "UnknownCA",
    "AccessDenied",
    // A server that checks our certificate's signature against a CA with the same name but
    // another key (a re-issued CA) answers decrypt_error (rustls maps a bad signature to it).
    "DecryptError",
];

/// Read `cert` and `key` (PEM) into an identity for the HTTP client.
pub fn load_identity(cert: &Path, key: &Path) -> Result<reqwest::Identity, JiraError> {
    let read = |what: &str, p: &Path| {
        std::fs::read(p)
            .map_err(|e| JiraError::config(format!("cannot read {what} {}: {e}", p.display())))
    };
    let cert_pem = read("client_cert", cert)?;
    let key_pem = read("client_key", key)?;
    let has = |pem: &[u8], needle: &str| pem.windows(needle.len()).any(|w| w == needle.as_bytes());
    if !has(&cert_pem, "-----BEGIN CERTIFICATE-----") {
        return Err(JiraError::config(format!(
            "client_cert {} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            cert.display()
        )));
    }
    if !has(&key_pem, "PRIVATE KEY-----") {
        return Err(JiraError::config(format!(
            "client_key {} holds no PEM private key (-----BEGIN PRIVATE KEY----- or RSA/EC PRIVATE KEY)",
            key.display()
        )));
    }
    let mut both = cert_pem;
    both.push(b'\n');
    both.extend_from_slice(&key_pem);
    let id = reqwest::Identity::from_pem(&both).map_err(|e| {
        JiraError::config(format!(
            "client_cert {} / client_key {} cannot be used together: {e}",
            cert.display(),
            key.display()
        ))
    });
    zeroize::Zeroize::zeroize(&mut both);
    id
}

/// The client-certificate alert named in a TLS error text, if any ("received fatal alert:
/// CertificateRequired" → `CertificateRequired`). Only alerts the *server* sent count: an alert
/// we sent is about the server's certificate.
pub fn client_cert_alert(all_messages: &str) -> Option<&'static str> {
    let lower = all_messages.to_ascii_lowercase();
    let at = lower.find("received fatal alert: ")? + "received fatal alert: ".len();
    let rest = &lower[at..];
    CLIENT_CERT_ALERTS
        .iter()
        .find(|a| rest.starts_with(&a.to_ascii_lowercase()))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_about_our_certificate_are_recognised() {
        assert_eq!(
            client_cert_alert("error sending request: received fatal alert: CertificateRequired"),
            Some("CertificateRequired")
        );
        assert_eq!(
            client_cert_alert("received fatal alert: UnknownCA"),
            Some("UnknownCA")
        );
        assert_eq!(
            client_cert_alert("invalid peer certificate: UnknownIssuer"),
            None
        );
        assert_eq!(
            client_cert_alert("received fatal alert: ProtocolVersion"),
            None
        );
    }

    #[test]
    fn files_that_are_not_pem_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let c = dir.path().join("c.pem");
        let k = dir.path().join("k.pem");
        std::fs::write(&c, "not a cert").unwrap();
        std::fs::write(&k, "not a key").unwrap();
        let e = load_identity(&c, &k).unwrap_err().diagnose();
        assert!(e.detail.contains("no PEM certificate"), "{e}");
    }
}
