//! Helpers for the end-to-end `check` tests: a small simulator per test, client options with
//! short timeouts, the committed OAuth test key, an OAuth dance driven through the client, a TLS
//! front (test CA) for the simulator, and the assertions every diagnosis test makes.
#![allow(dead_code)]

use jiralink::check::CheckResult;
use jiralink::jira::{
    Auth, ClientOptions, Code, Diagnosis, JiraClient, OAuth1Auth, OAuthToken, RetryPolicy,
};
use jiralink::sim::{Scenario, Sim, SimConfig};
use rsa::pkcs8::DecodePrivateKey;
use rsa::RsaPrivateKey;
use secrecy::SecretString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use url::Url;

/// The consumer key of the incoming link the OAuth tests register.
pub const CONSUMER: &str = "jiralink-e2e";

/// A committed test file under `tests/data/`.
pub fn data(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data")).join(name)
}

/// A simulator with few projects (fast) playing `scenario`.
pub async fn sim(scenario: Scenario) -> Sim {
    Sim::start(SimConfig {
        projects: 3,
        scenario,
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

/// Client options with a short timeout and a tight retry budget, so failures are quick.
pub fn opts(base: &Url, auth: Auth) -> ClientOptions {
    let mut o = ClientOptions::new(base.clone(), auth);
    o.timeout = Duration::from_secs(3);
    o.retry = RetryPolicy {
        max_retries: 1,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_secs(2),
    };
    o
}

/// HTTP Basic credentials.
pub fn basic(user: &str, password: &str) -> Auth {
    Auth::Basic {
        username: user.into(),
        password: SecretString::from(password.to_string()),
    }
}

/// A Personal Access Token.
pub fn pat(token: &str) -> Auth {
    Auth::Pat {
        token: SecretString::from(token.to_string()),
    }
}

/// An OAuth token/secret pair.
pub fn token(token: &str, secret: &str) -> OAuthToken {
    OAuthToken {
        token: SecretString::from(token.to_string()),
        secret: SecretString::from(secret.to_string()),
    }
}

/// The committed test private key (`tests/data/test_key.pem`).
pub fn test_key() -> RsaPrivateKey {
    let pem = std::fs::read_to_string(data("test_key.pem")).unwrap();
    RsaPrivateKey::from_pkcs8_pem(&pem).unwrap()
}

/// An OAuth 1.0a consumer signing with `key`.
pub fn oauth_with(consumer: &str, key: RsaPrivateKey, token: Option<OAuthToken>) -> Auth {
    Auth::OAuth1(OAuth1Auth {
        consumer_key: consumer.into(),
        private_key: Arc::new(key),
        token,
    })
}

/// An OAuth 1.0a consumer signing with the committed test key.
pub fn oauth(consumer: &str, token: Option<OAuthToken>) -> Auth {
    oauth_with(consumer, test_key(), token)
}

/// Unix seconds now (the simulator's clock outside the clock-skew scenario).
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Register [`CONSUMER`] with the committed test public key, as creating the incoming link does.
pub fn register(sim: &Sim) {
    let pem = std::fs::read_to_string(data("test_key_pub.pem")).unwrap();
    sim.oauth()
        .register_consumer(CONSUMER, "jiralink e2e", &pem, None)
        .unwrap();
}

/// A request token from the provider, through the client's signed POST.
pub async fn request_token(client: &JiraClient) -> OAuthToken {
    let rt = client
        .oauth_post(
            "/plugins/servlet/oauth/request-token",
            &[("oauth_callback", "oob")],
            None,
        )
        .await
        .unwrap();
    token(&rt["oauth_token"], &rt["oauth_token_secret"])
}

/// The whole dance for `user`: register the consumer, request token, Allow, access token.
pub async fn dance(sim: &Sim, user: &str) -> OAuthToken {
    register(sim);
    let client = JiraClient::new(opts(sim.base_url(), oauth(CONSUMER, None))).unwrap();
    let rt = request_token(&client).await;
    let verifier = sim
        .oauth()
        .approve(secret(&rt.token), user, now())
        .unwrap()
        .verifier;
    let at = client
        .oauth_post(
            "/plugins/servlet/oauth/access-token",
            &[("oauth_verifier", &verifier)],
            Some(&rt),
        )
        .await
        .unwrap();
    token(&at["oauth_token"], &at["oauth_token_secret"])
}

/// The text of a secret (tests only).
pub fn secret(s: &SecretString) -> &str {
    use secrecy::ExposeSecret;
    s.expose_secret()
}

/// A TLS acceptor with the committed test-CA server certificate (valid for `localhost` and
/// `127.0.0.1`).
pub fn test_tls_acceptor() -> tokio_rustls::TlsAcceptor {
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(data("test_server.pem"))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
    let key = PrivateKeyDer::from_pem_file(data("test_server_key.pem")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

/// A TLS front for `target` with [`test_tls_acceptor`], listening on `ip`; returns its address.
/// Each connection is piped to `target` as plain HTTP, like a TLS-terminating reverse proxy.
pub async fn tls_front(target: SocketAddr, ip: [u8; 4]) -> SocketAddr {
    let acceptor = test_tls_acceptor();
    let listener = tokio::net::TcpListener::bind(SocketAddr::from((ip, 0)))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(sock).await else {
                    return;
                };
                let Ok(mut up) = tokio::net::TcpStream::connect(target).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut up).await;
            });
        }
    });
    addr
}

/// The diagnosis of a failed check, asserting its code; every text field must be filled in.
pub fn diagnosis(r: &CheckResult, code: Code) -> Diagnosis {
    let d = r
        .diagnosis
        .clone()
        .unwrap_or_else(|| panic!("expected {code}, got no diagnosis: {r:#?}"));
    assert_eq!(d.code, code, "{r:#?}");
    assert_specific(&d);
    d
}

/// Summary, detail and fix are all present (a code alone helps nobody).
pub fn assert_specific(d: &Diagnosis) {
    assert!(!d.summary.is_empty(), "{d}");
    assert!(!d.detail.is_empty(), "{d}");
    assert!(!d.fix.is_empty(), "{d}");
}

/// `needle` occurs in `hay` (with the whole diagnosis in the failure message).
pub fn contains(d: &Diagnosis, hay: &str, needle: &str) {
    assert!(
        hay.contains(needle),
        "expected {needle:?} in {hay:?}\nwhole diagnosis: {d}"
    );
}
