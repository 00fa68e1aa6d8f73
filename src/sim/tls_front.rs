//! An optional TLS front for the simulator, like the TLS-terminating reverse proxy many Jiras sit
//! behind: it accepts TLS with a given server certificate and pipes each connection to the
//! simulator as plain HTTP. With a client CA it REQUIRES a client certificate issued by that CA
//! (mutual TLS), the way nginx `ssl_verify_client on` or an F5 client-SSL profile does; a client
//! without one gets the TLS alert `certificate_required` (RFC 8446 §4.4.2.4, TLS 1.3), one with a
//! certificate from another CA gets `unknown_ca` (rustls' server-side verifier).

use std::net::SocketAddr;
use std::sync::Arc;
use tokio::task::JoinHandle;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// What the front presents and demands.
#[derive(Clone)]
pub struct TlsFrontConfig {
    /// Server certificate chain (PEM).
    pub cert_pem: Vec<u8>,
    /// Server private key (PEM).
    pub key_pem: Vec<u8>,
    /// When set, a client certificate issued by one of these CAs (PEM) is required.
    pub client_ca_pem: Option<Vec<u8>>,
}

impl std::fmt::Debug for TlsFrontConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsFrontConfig")
            .field("requires_client_cert", &self.client_ca_pem.is_some())
            .finish_non_exhaustive()
    }
}

fn invalid(msg: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, msg.to_string())
}

fn server_config(cfg: &TlsFrontConfig) -> std::io::Result<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cfg.cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| invalid(format!("server certificate: {e}")))?;
    let key = PrivateKeyDer::from_pem_slice(&cfg.key_pem)
        .map_err(|e| invalid(format!("server key: {e}")))?;
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(invalid)?;
    let builder = match &cfg.client_ca_pem {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for c in CertificateDer::pem_slice_iter(ca) {
                roots
                    .add(c.map_err(|e| invalid(format!("client CA: {e}")))?)
                    .map_err(invalid)?;
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .map_err(invalid)?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    builder.with_single_cert(certs, key).map_err(invalid)
}

/// Listen on `bind` and forward each TLS connection to `target`; returns the bound address and
/// the accept task (abort it to stop).
pub async fn start(
    bind: SocketAddr,
    target: SocketAddr,
    cfg: &TlsFrontConfig,
) -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server_config(cfg)?));
    let listener = tokio::net::TcpListener::bind(bind).await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A refused handshake ends here: rustls has already sent its alert.
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
    Ok((addr, task))
}
