//! The reqwest side of the client: building the HTTP client (roots + CA file, insecure mode,
//! proxy, timeouts, pooling, no redirects) and classifying transport failures (DNS, refused,
//! timeout, untrusted TLS, other TLS).

use super::client::ClientOptions;
use super::error::{ErrorKind, JiraError};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT};
use std::time::Duration;
use url::Url;

/// The `User-Agent` every request carries.
pub const USER_AGENT: &str = concat!("jiralink/", env!("CARGO_PKG_VERSION"));

/// How long an idle pooled connection may be reused: below every common server keep-alive.
pub const IDLE_CONNECTION_REUSE: Duration = Duration::from_secs(4);

/// Build the pooled reqwest client for `opts`.
pub fn build_http(opts: &ClientOptions) -> Result<reqwest::Client, JiraError> {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    let mut b = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .default_headers(headers)
        // Redirects are inspected, never followed: a followed redirect would hide an SSO login
        // page and would invalidate an OAuth signature computed for the original URL.
        .redirect(reqwest::redirect::Policy::none())
        .timeout(opts.timeout)
        .connect_timeout(opts.timeout.min(Duration::from_secs(10)))
        // Never reuse a connection the server may have closed while it sat idle: Apache's
        // KeepAliveTimeout defaults to 5 s (https://httpd.apache.org/docs/2.4/mod/core.html#keepalivetimeout),
        // Jira's Tomcat closes idle connections after its connectionTimeout (20 s in the
        // server.xml Jira ships), the simulator after 10 s (its header read timeout). A POST
        // sent on a connection closed meanwhile fails ("connection closed before message
        // completed") and cannot be retried safely; a single-threaded runtime busy planning may
        // not even have seen the close. Reconnecting after 4 s idle costs one handshake.
        .pool_idle_timeout(IDLE_CONNECTION_REUSE)
        .tcp_keepalive(Duration::from_secs(60));
    if let Some(path) = &opts.ca_file {
        let pem = std::fs::read(path).map_err(|e| {
            JiraError::config(format!("cannot read ca_file {}: {e}", path.display()))
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            JiraError::config(format!(
                "ca_file {} is not a PEM certificate bundle: {e}",
                path.display()
            ))
        })?;
        if certs.is_empty() {
            return Err(JiraError::config(format!(
                "ca_file {} holds no certificate",
                path.display()
            )));
        }
        // Merged with the system roots, so public and internal CAs both work.
        b = b.tls_certs_merge(certs);
    }
    if let Some((cert, key)) = &opts.client_cert {
        b = b.identity(crate::jira::mtls::load_identity(cert, key)?);
    }
    if !needs_tls_roots(opts, |k| std::env::var(k).ok()) {
        // rustls-platform-verifier reads every file under /etc/ssl/certs when the client is built
        // (seen with strace: ~140 files, 30–60 ms on a loaded 2-core machine, most of a short
        // audit's start-up). A plain-http Jira never uses them; an empty store fails closed if
        // TLS were ever attempted.
        b = b.tls_certs_only(Vec::<reqwest::Certificate>::new());
    }
    if opts.insecure {
        tracing::warn!(
            url = %opts.base_url,
            "TLS certificate verification is DISABLED for this connection (insecure = true): \
             anyone on the network path can impersonate Jira and read the credentials"
        );
        b = b.danger_accept_invalid_certs(true);
    }
    if let Some(p) = opts.proxy.as_deref().filter(|p| !p.trim().is_empty()) {
        let proxy = reqwest::Proxy::all(p)
            .map_err(|e| JiraError::config(format!("invalid proxy `{p}`: {e}")))?;
        b = b.proxy(proxy);
    }
    // Without an explicit proxy reqwest's system proxy support reads HTTPS_PROXY / NO_PROXY.
    b.build()
        .map_err(|e| JiraError::config(format!("cannot build the HTTP client: {e}")))
}

/// Whether this client may ever speak TLS: an `https` Jira, a CA file or insecure mode, or a
/// proxy reached over `https` (explicit, or from the environment reqwest's system proxy reads).
/// `redirect::Policy::none()` means an `http` base URL never leads to an `https` request.
fn needs_tls_roots(opts: &ClientOptions, env: impl Fn(&str) -> Option<String>) -> bool {
    let https = |v: &str| v.trim().to_ascii_lowercase().starts_with("https://");
    opts.base_url.scheme() != "http"
        || opts.ca_file.is_some()
        || opts.client_cert.is_some()
        || opts.insecure
        || opts.proxy.as_deref().is_some_and(https)
        || ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
            .iter()
            .any(|k| env(k).is_some_and(|v| https(&v)))
}

/// Every message in an error's source chain, outermost first.
fn chain(e: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut out = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push(s.to_string());
        cur = s.source();
    }
    out
}

/// True when an `io::Error` of kind `ConnectionRefused` sits in the chain.
fn has_refused(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = cur {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::ConnectionRefused {
                return true;
            }
        }
        cur = s.source();
    }
    false
}

/// Classify a reqwest failure into a transport error kind.
pub fn classify(e: &reqwest::Error, method: &str, url: &Url, timeout: Duration) -> JiraError {
    let msgs = chain(e);
    let innermost = msgs.last().cloned().unwrap_or_default();
    let all = msgs.join(": ").to_ascii_lowercase();
    let host = url.host_str().unwrap_or_default().to_string();
    let addr = format!(
        "{}:{}",
        host,
        url.port_or_known_default().unwrap_or_default()
    );
    let kind = if e.is_timeout() || all.contains("timed out") {
        ErrorKind::Timeout {
            secs: timeout.as_secs().max(1),
        }
    } else if has_refused(e) || all.contains("connection refused") {
        ErrorKind::ConnectionRefused {
            addr,
            message: innermost,
        }
    } else if all.contains("dns error")
        || all.contains("failed to lookup address")
        || all.contains("name or service not known")
        || all.contains("no such host")
    {
        ErrorKind::Dns {
            host,
            message: innermost,
        }
    } else if let Some(alert) = super::mtls::client_cert_alert(&all) {
        ErrorKind::ClientCert {
            alert: alert.to_owned(),
            message: innermost,
        }
    } else if all.contains("unknownissuer")
        || all.contains("unknown issuer")
        || all.contains("self-signed")
        || all.contains("self signed")
        || all.contains("not trusted")
        || all.contains("badsignature")
    {
        // rustls reports `invalid peer certificate: UnknownIssuer`; the issuer's name is not part
        // of the error, so the verifier's message is what we can show.
        ErrorKind::TlsUntrusted {
            issuer: None,
            message: innermost,
        }
    } else if all.contains("certificate")
        || all.contains("tls")
        || all.contains("handshake")
        || all.contains("invalid peer")
        // rustls' answer to an https:// URL on a plain-HTTP port: the first bytes back are
        // `HTTP/1.1 400 …`, not a TLS record ("received corrupt message of type
        // InvalidContentType").
        || all.contains("corrupt message")
        || all.contains("invalidcontenttype")
    {
        ErrorKind::Tls { message: innermost }
    } else {
        ErrorKind::Transport {
            message: msgs.join(": "),
        }
    };
    JiraError::new(kind, method, url.as_str())
}

/// The issuer of the certificate a server presents, fetched with a throw-away client that accepts
/// any certificate (TLS info only: a HEAD without credentials, nothing is trusted or kept).
pub async fn probe_issuer(url: &Url, timeout: Duration, proxy: Option<&str>) -> Option<String> {
    let mut b = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .tls_info(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout);
    if let Some(p) = proxy.filter(|p| !p.trim().is_empty()) {
        b = b.proxy(reqwest::Proxy::all(p).ok()?);
    }
    let probe = b.build().ok()?;
    let resp = probe.head(url.clone()).send().await.ok()?;
    let info = resp.extensions().get::<reqwest::tls::TlsInfo>()?;
    issuer_cn(info.peer_certificate()?)
}

/// One DER TLV: (tag, content, rest).
fn tlv(d: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *d.first()?;
    let first = *d.get(1)?;
    let (len, hdr) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for b in d.get(2..2 + n)? {
            len = (len << 8) | usize::from(*b);
        }
        (len, 2 + n)
    };
    let content = d.get(hdr..hdr + len)?;
    Some((tag, content, &d[hdr + len..]))
}

/// The issuer's common name (or whole issuer as `O=`/`CN=` pairs) from a DER X.509 certificate:
/// Certificate → tbsCertificate → [version] serial signatureAlg issuer (RFC 5280 §4.1).
pub fn issuer_cn(der: &[u8]) -> Option<String> {
    let (_, cert, _) = tlv(der)?;
    let (_, tbs, _) = tlv(cert)?;
    let mut rest = tbs;
    let (tag, _, r) = tlv(rest)?;
    if tag == 0xa0 {
        rest = r; // explicit version
    }
    let (_, _, r) = tlv(rest)?; // serialNumber
    let (_, _, r) = tlv(r)?; // signature algorithm
    let (_, issuer, _) = tlv(r)?;
    let mut parts = Vec::new();
    let mut sets = issuer;
    while let Some((_, set, next)) = tlv(sets) {
        if let Some((_, atv, _)) = tlv(set) {
            if let Some((_, oid, after)) = tlv(atv) {
                let name = match oid {
                    [0x55, 0x04, 0x03] => Some("CN"),
                    [0x55, 0x04, 0x0a] => Some("O"),
                    _ => None,
                };
                if let (Some(n), Some((_, val, _))) = (name, tlv(after)) {
                    parts.push(format!("{n}={}", String::from_utf8_lossy(val)));
                }
            }
        }
        sets = next;
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jira::Auth;

    fn opts(url: &str) -> ClientOptions {
        ClientOptions::new(Url::parse(url).unwrap(), Auth::None)
    }

    #[test]
    fn plain_http_skips_tls_roots_unless_something_may_use_tls() {
        let none = |_: &str| None;
        assert!(!needs_tls_roots(&opts("http://127.0.0.1:8080/jira"), none));
        assert!(needs_tls_roots(&opts("https://jira.example.com"), none));
        let mut o = opts("http://jira.internal");
        o.proxy = Some("HTTPS://proxy:3128".into());
        assert!(needs_tls_roots(&o, none));
        o.proxy = Some("http://proxy:3128".into());
        assert!(!needs_tls_roots(&o, none));
        assert!(needs_tls_roots(&o, |k: &str| (k == "all_proxy")
            .then(|| "https://proxy:443".to_string())));
        let mut o = opts("http://jira.internal");
        o.ca_file = Some("/etc/ssl/ca.pem".into());
        assert!(needs_tls_roots(&o, none));
    }

    #[test]
    fn a_plain_http_client_builds_without_the_os_store() {
        assert!(build_http(&opts("http://127.0.0.1:9/jira")).is_ok());
    }
}
