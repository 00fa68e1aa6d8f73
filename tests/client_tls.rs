//! TLS over loopback with a certificate from a test-only internal CA (committed PEMs under
//! `tests/data/`): untrusted without `ca_file`, trusted with it, accepted with `insecure`.

mod common;

use common::data;
use jiralink::jira::{Auth, ClientOptions, Code, JiraClient};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;

/// An HTTPS server answering every request with a fixed serverInfo; returns its base URL.
async fn tls_server() -> Url {
    let acceptor = common::test_tls_acceptor();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(sock).await else {
                    return;
                };
                let mut buf = vec![0u8; 8192];
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                let body = r#"{"baseUrl":"https://127.0.0.1/jira","version":"10.3.19"}"#;
                let resp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(resp.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    Url::parse(&format!("https://127.0.0.1:{}/jira", addr.port())).unwrap()
}

fn opts(url: &Url) -> ClientOptions {
    let mut o = ClientOptions::new(url.clone(), Auth::None);
    o.timeout = Duration::from_secs(5);
    o
}

#[tokio::test]
async fn internal_ca_is_untrusted_without_ca_file() {
    let url = tls_server().await;
    let e = JiraClient::new(opts(&url))
        .unwrap()
        .server_info()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::TlsUntrusted, "{e:?}");
    assert!(e.diagnose().fix.contains("ca_file"));
    // The issuer is read from the presented certificate, so the admin knows which CA to add.
    assert!(
        e.diagnose().detail.contains("CN=jiralink Test Internal CA"),
        "{}",
        e.diagnose()
    );
}

#[tokio::test]
async fn ca_file_makes_it_trusted() {
    let url = tls_server().await;
    let mut o = opts(&url);
    o.ca_file = Some(data("test_ca.pem"));
    let si = JiraClient::new(o).unwrap().server_info().await.unwrap();
    assert_eq!(si.version.as_deref(), Some("10.3.19"));
}

#[tokio::test]
async fn insecure_accepts_it() {
    let url = tls_server().await;
    let mut o = opts(&url);
    o.insecure = true;
    let c = JiraClient::new(o).unwrap();
    assert!(c.is_insecure());
    c.server_info().await.unwrap();
}

#[tokio::test]
async fn ca_file_that_is_not_pem_is_a_config_error() {
    let mut o = opts(&Url::parse("https://127.0.0.1/jira").unwrap());
    o.ca_file = Some(data("../client_tls.rs"));
    let e = JiraClient::new(o).unwrap_err();
    assert_eq!(e.code(), Code::ConfigError);
}
