//! The config file: connections and defaults; load, validate, save atomically with mode 0600.

mod edit;
mod error;
mod parse;
pub(crate) use parse::edit_distance;
mod save;

pub use edit::{delete_connection, save_connection};
pub use error::{ConfigError, Location};
pub use parse::{normalize_url, CONNECTION_KEYS, DEFAULTS_KEYS};
pub use save::ConfigFile;

use crate::jira::{Auth, ClientOptions, Flavor, OAuth1Auth, OAuthToken};
use crate::secret::{SecretRef, SecretString};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `[defaults]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Defaults {
    pub timeout_secs: u64,
    pub concurrency: usize,
    pub required_permissions: Vec<String>,
    /// Days before a credential expires from which `check` warns (`credential_expiring`).
    pub warn_expiry_days: u64,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            timeout_secs: 20,
            concurrency: 8,
            required_permissions: vec!["BROWSE_PROJECTS".into(), "CREATE_ISSUES".into()],
            warn_expiry_days: 14,
        }
    }
}

/// `auth = "basic" | "pat" | "cloud-token" | "oauth1" | "oauth2" | "oauth2-client-credentials"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    Basic,
    Pat,
    CloudToken,
    Oauth1,
    /// OAuth 2.0 incoming link (authorization code with PKCE), DC 8.22+.
    Oauth2,
    /// OAuth 2.0 client credentials of a Jira 11 service account.
    Oauth2ClientCredentials,
}

impl AuthKind {
    /// Every kind, in the order the docs list them.
    pub const ALL: [AuthKind; 6] = [
        AuthKind::Basic,
        AuthKind::Pat,
        AuthKind::CloudToken,
        AuthKind::Oauth1,
        AuthKind::Oauth2,
        AuthKind::Oauth2ClientCredentials,
    ];

    /// The config spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthKind::Basic => "basic",
            AuthKind::Pat => "pat",
            AuthKind::CloudToken => "cloud-token",
            AuthKind::Oauth1 => "oauth1",
            AuthKind::Oauth2 => "oauth2",
            AuthKind::Oauth2ClientCredentials => "oauth2-client-credentials",
        }
    }

    /// Parse the config spelling.
    pub fn parse(s: &str) -> Option<AuthKind> {
        AuthKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
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
    /// When the PAT or Cloud API token expires, as the user recorded it (date or RFC 3339).
    pub expires_at: Option<String>,
    /// The id of this connection's PAT in Jira's token list (recorded by `connections rotate`).
    pub token_id: Option<u64>,
    /// Client certificate (PEM) for a Jira behind a proxy that demands one (mTLS).
    pub client_cert: Option<PathBuf>,
    /// The client certificate's private key (PEM, mode 0600).
    pub client_key: Option<PathBuf>,
    /// OAuth 2.0 client id (`oauth2`, `oauth2-client-credentials`).
    pub client_id: Option<String>,
    /// OAuth 2.0 client secret.
    pub client_secret: Option<SecretRef>,
    /// OAuth 2.0 redirect URL registered in Jira (`oauth2`).
    pub redirect_uri: Option<String>,
    /// OAuth 2.0 scopes (READ, WRITE, ADMIN, SYSTEM_ADMIN, READ_ALL).
    pub scopes: Vec<String>,
    /// OAuth 2.0 refresh token (`oauth2`).
    pub refresh_token: Option<SecretRef>,
    /// The config file this connection was read from (not a key in the file): where a rotated
    /// OAuth 2.0 refresh token is saved.
    pub config_file: Option<PathBuf>,
}

/// Parse an expiry as the config holds it: `YYYY-MM-DD` (end of that day, UTC) or RFC 3339.
pub fn parse_expiry(text: &str) -> Option<time::OffsetDateTime> {
    let t = text.trim();
    if let Ok(d) = time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339) {
        return Some(d);
    }
    let date =
        time::Date::parse(t, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
    Some(date.with_hms(23, 59, 59).ok()?.assume_utc())
}

/// The whole config.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub defaults: Defaults,
    /// Connections that validated.
    pub connections: Vec<Connection>,
    /// Connections that did not, by name (or `#N` when unnamed), so one bad entry hides nothing else.
    pub connection_errors: Vec<(String, ConfigError)>,
    /// Non-fatal findings (unknown top-level keys), each naming line and column.
    pub warnings: Vec<String>,
    /// The file this was read from; `None` when no file exists yet.
    pub path: Option<PathBuf>,
    /// `[fix]`: what least-privilege fixes may do.
    pub fix: FixSettings,
}

/// `[fix]`: the dedicated role `jiralink fix` (and the checker's fix) creates when no existing
/// role qualifies, and whether it may create one at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixSettings {
    /// Name of the dedicated role (default "Integration").
    pub role_name: String,
    /// Whether a project role may be created (default true).
    pub create_roles: bool,
}

impl Default for FixSettings {
    fn default() -> Self {
        Self {
            role_name: crate::audit::fix::DEFAULT_ROLE_NAME.into(),
            create_roles: true,
        }
    }
}

impl Config {
    /// Connection names for an admin picker: likely admin connections first, then the rest in
    /// file order (see [`Connection::admin_rank`]).
    pub fn admin_choices(&self) -> Vec<String> {
        let mut all: Vec<&Connection> = self.connections.iter().collect();
        all.sort_by_key(|c| c.admin_rank());
        all.into_iter().map(|c| c.name.clone()).collect()
    }

    /// Read and validate `path`. A file that is not valid TOML (or has a bad `[defaults]`) is an
    /// error; a bad connection is kept in `connection_errors` instead.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        let mut cfg = Config::parse_str(path, &text)?;
        let has_plain = cfg
            .connections
            .iter()
            .flat_map(Connection::secrets)
            .any(|(_, s)| matches!(s, SecretRef::Plain(_)));
        if has_plain {
            if let Err(why) = crate::paths::check_private_perms(path) {
                cfg.warnings
                    .push(format!("the config holds a plain-text secret and {why}"));
            }
        }
        for w in &cfg.warnings {
            tracing::warn!("{w}");
        }
        for (name, e) in &cfg.connection_errors {
            tracing::warn!(connection = %name, "{e}");
        }
        Ok(cfg)
    }

    /// Like [`Config::load`], but a missing file is an empty config (first run), not an error.
    pub fn load_or_default(path: &Path) -> Result<Config, ConfigError> {
        match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            _ => Config::load(path),
        }
    }

    /// Validate config text; `path` is only used in error locations.
    pub fn parse_str(path: &Path, text: &str) -> Result<Config, ConfigError> {
        parse::parse_config(path, text)
    }

    /// The valid connection with this name.
    pub fn connection(&self, name: &str) -> Option<&Connection> {
        self.connections.iter().find(|c| c.name == name)
    }

    /// The connection with this name, or why it cannot be used (invalid, or not configured).
    pub fn require_connection(&self, name: &str) -> Result<&Connection, ConfigError> {
        if let Some(c) = self.connection(name) {
            return Ok(c);
        }
        match self.connection_errors.iter().find(|(n, _)| n == name) {
            Some((_, e)) => Err(e.clone()),
            None => Err(ConfigError::UnknownConnection(name.to_owned())),
        }
    }
}

impl Connection {
    /// A connection with only the common fields set; fill in the auth fields before use.
    pub fn new(name: impl Into<String>, url: impl Into<String>, auth: AuthKind) -> Connection {
        Connection {
            name: name.into(),
            url: url.into(),
            auth,
            username: None,
            password: None,
            token: None,
            email: None,
            consumer_key: None,
            consumer_name: None,
            private_key: None,
            access_token: None,
            token_secret: None,
            token_expires_at: None,
            ca_file: None,
            insecure: false,
            proxy: None,
            timeout_secs: None,
            expires_at: None,
            token_id: None,
            client_cert: None,
            client_key: None,
            client_id: None,
            client_secret: None,
            redirect_uri: None,
            scopes: Vec::new(),
            refresh_token: None,
            config_file: None,
        }
    }

    /// True for an OAuth 1.0a connection with no access token yet: it cannot be checked until the
    /// link wizard (or `jiralink link`) has linked it.
    pub fn awaits_link(&self) -> bool {
        self.auth == AuthKind::Oauth1 && self.access_token.is_none()
    }

    /// How likely this connection is a Jira administrator's, for ordering admin pickers (lower
    /// first): named or logging in as an admin, then password/token logins, then OAuth links
    /// (an integration user, rarely an admin).
    pub fn admin_rank(&self) -> u8 {
        let says_admin = |s: &str| s.to_ascii_lowercase().contains("admin");
        if says_admin(&self.name) || self.username.as_deref().is_some_and(says_admin) {
            0
        } else if self.auth == AuthKind::Oauth1 {
            2
        } else {
            1
        }
    }

    /// Check the connection exactly as the file reader would (same rules, same messages).
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.normalized().map(|_| ())
    }

    /// The connection as it will read back from the file (URL without trailing slash), or why
    /// it is invalid.
    pub fn normalized(&self) -> Result<Connection, ConfigError> {
        let table = save::connection_table(self);
        let src = parse::Source {
            path: Path::new("<connection>"),
            text: "",
        };
        parse::parse_connection(&src, &table, None)
    }

    /// Server or Cloud: Cloud for `cloud-token` or an `*.atlassian.net` host.
    pub fn flavor(&self) -> Flavor {
        let cloud_host = url::Url::parse(&self.url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
            .is_some_and(|h| h == "atlassian.net" || h.ends_with(".atlassian.net"));
        if self.auth == AuthKind::CloudToken || cloud_host {
            Flavor::Cloud
        } else {
            Flavor::Server
        }
    }

    /// When the OAuth access token stops working (`token_expires_at`), if recorded.
    pub fn token_expiry(&self) -> Option<time::OffsetDateTime> {
        let text = self.token_expires_at.as_deref()?;
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
    }

    /// Risks a front end should show next to this connection: TLS checks off, a password or
    /// token sent over plain http, an expired or soon-expiring OAuth token.
    pub fn warnings(&self, now: time::OffsetDateTime) -> Vec<String> {
        let mut w = Vec::new();
        if self.insecure {
            w.push(format!(
                "connection \"{}\": insecure = true: TLS certificates are not verified",
                self.name
            ));
        }
        if self.url.starts_with("http://") && self.auth != AuthKind::Oauth1 {
            // OAuth 1.0a RSA-SHA1 never sends the secret; the other kinds send it on every request.
            w.push(format!(
                "connection \"{}\": credentials are sent unencrypted over http://",
                self.name
            ));
        }
        if let Some(exp) = self.token_expiry() {
            if exp <= now {
                w.push(format!(
                    "connection \"{}\": the OAuth access token expired at {}; authorize again",
                    self.name,
                    self.token_expires_at.as_deref().unwrap_or_default()
                ));
            } else if exp - now < time::Duration::days(14) {
                w.push(format!(
                    "connection \"{}\": the OAuth access token expires at {}",
                    self.name,
                    self.token_expires_at.as_deref().unwrap_or_default()
                ));
            }
        }
        w
    }

    /// The user the credentials claim (username or email), for listings.
    pub fn claimed_user(&self) -> Option<&str> {
        self.username.as_deref().or(self.email.as_deref())
    }

    /// Every secret field that is set, with its name (`password`, `token`, …).
    pub fn secrets(&self) -> Vec<(&'static str, &SecretRef)> {
        [
            ("password", &self.password),
            ("token", &self.token),
            ("access_token", &self.access_token),
            ("token_secret", &self.token_secret),
            ("client_secret", &self.client_secret),
            ("refresh_token", &self.refresh_token),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
        .collect()
    }

    pub(crate) fn secret(
        &self,
        key: &str,
        r: &Option<SecretRef>,
    ) -> Result<SecretString, ConfigError> {
        let r = r.as_ref().ok_or_else(|| ConfigError::Invalid {
            at: None,
            connection: Some(self.name.clone()),
            key: Some(key.to_owned()),
            message: format!("missing; required with auth = \"{}\"", self.auth.as_str()),
        })?;
        r.resolve().map_err(|source| ConfigError::Secret {
            connection: self.name.clone(),
            key: key.to_owned(),
            source,
        })
    }

    pub(crate) fn field<'a>(
        &self,
        key: &str,
        v: &'a Option<String>,
    ) -> Result<&'a str, ConfigError> {
        v.as_deref().ok_or_else(|| ConfigError::Invalid {
            at: None,
            connection: Some(self.name.clone()),
            key: Some(key.to_owned()),
            message: format!("missing; required with auth = \"{}\"", self.auth.as_str()),
        })
    }

    /// Resolve the secrets and build the credentials (for OAuth 1.0a this loads the private key).
    pub fn auth(&self) -> Result<Auth, ConfigError> {
        Ok(match self.auth {
            AuthKind::Basic => Auth::Basic {
                username: self.field("username", &self.username)?.to_owned(),
                password: self.secret("password", &self.password)?,
            },
            AuthKind::Pat => Auth::Pat {
                token: self.secret("token", &self.token)?,
            },
            AuthKind::CloudToken => Auth::CloudToken {
                email: self.field("email", &self.email)?.to_owned(),
                token: self.secret("token", &self.token)?,
            },
            AuthKind::Oauth1 => {
                let consumer_key = self.field("consumer_key", &self.consumer_key)?.to_owned();
                // Tokens first: they are cheap and their errors are the likelier ones.
                let token = match &self.access_token {
                    None => None,
                    Some(_) => Some(OAuthToken {
                        token: self.secret("access_token", &self.access_token)?,
                        // RSA-SHA1 signing never uses the token secret, so a link set up
                        // without storing it still works.
                        secret: match &self.token_secret {
                            Some(_) => self.secret("token_secret", &self.token_secret)?,
                            None => SecretString::from(String::new()),
                        },
                    }),
                };
                let path = self
                    .private_key
                    .as_deref()
                    .ok_or_else(|| ConfigError::Invalid {
                        at: None,
                        connection: Some(self.name.clone()),
                        key: Some("private_key".into()),
                        message: "missing; required with auth = \"oauth1\"".into(),
                    })?;
                let path = crate::paths::expand_tilde(path);
                let key = crate::keys::load_private_key(&path).map_err(|e| ConfigError::Key {
                    connection: self.name.clone(),
                    path: path.clone(),
                    message: e.to_string(),
                })?;
                Auth::OAuth1(OAuth1Auth {
                    consumer_key,
                    private_key: Arc::new(key),
                    token,
                })
            }
            AuthKind::Oauth2 | AuthKind::Oauth2ClientCredentials => {
                crate::link::oauth2_session_for(self)?
            }
        })
    }

    /// [`Connection::client_options`] on a blocking thread: secret commands may take seconds
    /// (`pass`, `gpg`) and must not stall the async runtime (the TUI's event loop).
    pub async fn client_options_async(
        &self,
        defaults: &Defaults,
    ) -> Result<ClientOptions, ConfigError> {
        let (conn, defaults) = (self.clone(), defaults.clone());
        tokio::task::spawn_blocking(move || conn.client_options(&defaults))
            .await
            .map_err(|e| ConfigError::Invalid {
                at: None,
                connection: Some(self.name.clone()),
                key: None,
                message: format!("resolving the credentials failed: {e}"),
            })?
    }

    /// Everything the Jira client needs: URL, resolved credentials, flavor, timeout, TLS, proxy.
    pub fn client_options(&self, defaults: &Defaults) -> Result<ClientOptions, ConfigError> {
        let invalid = |key: &str, message: String| ConfigError::Invalid {
            at: None,
            connection: Some(self.name.clone()),
            key: Some(key.to_owned()),
            message,
        };
        let base_url = normalize_url(&self.url)
            .and_then(|u| url::Url::parse(&u).map_err(|e| e.to_string()))
            .map_err(|m| invalid("url", m))?;
        let ca_file = match &self.ca_file {
            Some(p) => {
                let p = crate::paths::expand_tilde(p);
                if !p.is_file() {
                    return Err(invalid(
                        "ca_file",
                        format!("{} does not exist or is not a file", p.display()),
                    ));
                }
                Some(p)
            }
            None => None,
        };
        if self.insecure {
            tracing::warn!(
                connection = %self.name,
                "TLS certificate verification is OFF (insecure = true): anyone on the network path can read the credentials"
            );
        }
        let client_cert = match (&self.client_cert, &self.client_key) {
            (Some(c), Some(k)) => {
                let (c, k) = (crate::paths::expand_tilde(c), crate::paths::expand_tilde(k));
                for (key, p) in [("client_cert", &c), ("client_key", &k)] {
                    if !p.is_file() {
                        return Err(invalid(
                            key,
                            format!("{} does not exist or is not a file", p.display()),
                        ));
                    }
                }
                // The key is a secret like any other: readable by its owner only.
                crate::paths::check_private_perms(&k).map_err(|why| invalid("client_key", why))?;
                Some((c, k))
            }
            _ => None,
        };
        let transport = crate::connect::Transport {
            ca_file,
            ..crate::connect::Transport::from_connection(self)
        };
        let mut opts = crate::connect::options(base_url, self.auth()?, &transport, defaults);
        opts.flavor = self.flavor();
        opts.client_cert = client_cert;
        Ok(opts)
    }
}
