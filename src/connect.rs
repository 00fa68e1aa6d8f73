//! Connection → client, once. Every Jira client the CLI, the TUI and the link driver use is built
//! here: [`options`] is the one place where auth, TLS (CA file, verification), proxy and timeouts
//! are put on a [`ClientOptions`]; [`client_for`] does it for a configured connection (secrets
//! resolved off the async threads), [`client`] for a URL and credentials the link wizard has
//! before a connection exists. New transport settings (client certificates, …) go in
//! [`Transport`] and [`options`], nowhere else.

use crate::config::{Connection, Defaults};
use crate::jira::diagnose::{Code, Diagnosis};
use crate::jira::{Auth, ClientOptions, JiraClient};
use std::path::PathBuf;
use std::time::Duration;

/// How to reach a Jira: the TLS, proxy and timeout settings of a connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transport {
    /// Extra CA certificate (PEM).
    pub ca_file: Option<PathBuf>,
    /// Skip TLS verification (lab only).
    pub insecure: bool,
    /// Proxy URL.
    pub proxy: Option<String>,
    /// Request timeout; `None` uses the config's default.
    pub timeout: Option<Duration>,
}

impl Transport {
    /// The transport settings of an existing connection (`~` in the CA path expanded).
    pub fn from_connection(c: &Connection) -> Self {
        Self {
            ca_file: c.ca_file.as_deref().map(crate::paths::expand_tilde),
            insecure: c.insecure,
            proxy: c.proxy.clone(),
            timeout: c.timeout_secs.map(Duration::from_secs),
        }
    }
}

/// The client options for `base_url` with `auth` over `transport`: the one place the settings
/// are applied.
pub fn options(
    base_url: url::Url,
    auth: Auth,
    transport: &Transport,
    defaults: &Defaults,
) -> ClientOptions {
    let mut opts = ClientOptions::new(base_url, auth);
    opts.timeout = transport
        .timeout
        .unwrap_or(Duration::from_secs(defaults.timeout_secs));
    opts.ca_file = transport.ca_file.clone();
    opts.insecure = transport.insecure;
    opts.proxy = transport.proxy.clone();
    opts
}

/// Why no client could be built: the connection's configuration (a usage problem), or the
/// client itself (TLS material, proxy URL).
#[derive(Debug, Clone)]
pub enum ConnectError {
    /// The connection is not usable as configured (URL, secrets, files).
    Config(Diagnosis),
    /// The HTTP client could not be set up.
    Client(Diagnosis),
}

impl ConnectError {
    /// The diagnosis, whichever side failed.
    pub fn diagnosis(&self) -> &Diagnosis {
        match self {
            ConnectError::Config(d) | ConnectError::Client(d) => d,
        }
    }

    /// The diagnosis, by value.
    pub fn into_diagnosis(self) -> Diagnosis {
        match self {
            ConnectError::Config(d) | ConnectError::Client(d) => d,
        }
    }
}

/// A client for a configured connection. Secret commands and files are resolved on a blocking
/// thread (they may take seconds); the connection's own URL and TLS settings are used as
/// configured, so its credentials never travel anywhere else.
pub async fn client_for(
    conn: &Connection,
    defaults: &Defaults,
) -> Result<JiraClient, ConnectError> {
    let opts = conn
        .client_options_async(defaults)
        .await
        .map_err(|e| ConnectError::Config(e.diagnosis()))?;
    JiraClient::new(opts).map_err(|e| ConnectError::Client(e.diagnose()))
}

/// A client for `base_url` (as typed: parsed here) with `auth` over `transport`.
pub fn client(
    base_url: &str,
    auth: Auth,
    transport: &Transport,
    defaults: &Defaults,
) -> Result<JiraClient, Diagnosis> {
    let url = url::Url::parse(base_url).map_err(|e| {
        Diagnosis::error(
            Code::ConfigError,
            format!("{base_url:?} is not a URL"),
            e.to_string(),
            "Enter the Jira base URL, e.g. https://jira.example.com/jira.",
        )
    })?;
    JiraClient::new(options(url, auth, transport, defaults)).map_err(|e| e.diagnose())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_apply_every_transport_setting_and_the_default_timeout() {
        let url = url::Url::parse("https://jira.example.com").unwrap();
        let defaults = Defaults::default();
        let t = Transport {
            ca_file: Some("/ca.pem".into()),
            insecure: true,
            proxy: Some("http://proxy:3128".into()),
            timeout: Some(Duration::from_secs(7)),
        };
        let o = options(url.clone(), Auth::None, &t, &defaults);
        assert_eq!(o.ca_file.as_deref(), Some(std::path::Path::new("/ca.pem")));
        assert!(o.insecure);
        assert_eq!(o.proxy.as_deref(), Some("http://proxy:3128"));
        assert_eq!(o.timeout, Duration::from_secs(7));
        let o = options(url, Auth::None, &Transport::default(), &defaults);
        assert_eq!(o.timeout, Duration::from_secs(defaults.timeout_secs));
        assert!(o.ca_file.is_none() && !o.insecure && o.proxy.is_none());
    }

    #[test]
    fn a_bad_url_is_a_config_diagnosis() {
        let e = client(
            "not a url",
            Auth::None,
            &Transport::default(),
            &Defaults::default(),
        )
        .unwrap_err();
        assert_eq!(e.code, Code::ConfigError);
    }
}
