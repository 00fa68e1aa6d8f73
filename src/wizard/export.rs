//! The credentials an integrating application needs, rendered as TOML, JSON or shell env lines.
//! The output holds the access token and its secret, so it only ever travels as a `SecretString`.

use secrecy::SecretString;
use serde::Serialize;

/// Output format of [`crate::wizard::Wizard::export`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// A `[[connection]]` block for jiralink's own config (the same keys `config.rs` reads).
    Toml,
    /// One JSON object, for programs.
    Json,
    /// `KEY='value'` lines for a shell or a systemd `EnvironmentFile`.
    Env,
}

impl ExportFormat {
    /// Every format, for menus.
    pub const ALL: [ExportFormat; 3] = [ExportFormat::Toml, ExportFormat::Json, ExportFormat::Env];

    /// The lowercase name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Toml => "toml",
            ExportFormat::Json => "json",
            ExportFormat::Env => "env",
        }
    }

    /// A conventional file extension.
    pub fn extension(self) -> &'static str {
        self.as_str()
    }
}

impl std::str::FromStr for ExportFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "toml" => Ok(ExportFormat::Toml),
            "json" => Ok(ExportFormat::Json),
            "env" => Ok(ExportFormat::Env),
            other => Err(format!(
                "unknown export format {other:?}: use toml, json or env"
            )),
        }
    }
}

/// Everything the export contains; plain strings only inside `render`, which wraps the result.
pub(crate) struct ExportData<'a> {
    pub connection_name: &'a str,
    pub base_url: &'a str,
    pub consumer_key: &'a str,
    pub consumer_name: &'a str,
    pub private_key_path: &'a str,
    pub access_token: &'a str,
    pub token_secret: &'a str,
    pub token_expires_at: Option<&'a str>,
}

#[derive(Serialize)]
struct TomlConnection<'a> {
    name: &'a str,
    url: &'a str,
    auth: &'a str,
    consumer_key: &'a str,
    consumer_name: &'a str,
    private_key: &'a str,
    access_token: &'a str,
    token_secret: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_expires_at: Option<&'a str>,
}

#[derive(Serialize)]
struct TomlDoc<'a> {
    connection: Vec<TomlConnection<'a>>,
}

#[derive(Serialize)]
struct JsonExport<'a> {
    jira_base_url: &'a str,
    signature_method: &'a str,
    consumer_key: &'a str,
    private_key_path: &'a str,
    access_token: &'a str,
    token_secret: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_expires_at: Option<&'a str>,
}

impl ExportData<'_> {
    pub(crate) fn render(&self, format: ExportFormat) -> Result<SecretString, String> {
        let text = match format {
            ExportFormat::Toml => {
                let doc = TomlDoc {
                    connection: vec![TomlConnection {
                        name: self.connection_name,
                        url: self.base_url,
                        auth: "oauth1",
                        consumer_key: self.consumer_key,
                        consumer_name: self.consumer_name,
                        private_key: self.private_key_path,
                        access_token: self.access_token,
                        token_secret: self.token_secret,
                        token_expires_at: self.token_expires_at,
                    }],
                };
                let body =
                    toml::to_string(&doc).map_err(|e| format!("could not render TOML: {e}"))?;
                format!(
                    "# jiralink OAuth 1.0a connection for {}. Contains the access token: keep this file mode 0600.\n{body}",
                    self.base_url
                )
            }
            ExportFormat::Json => {
                let mut s = serde_json::to_string_pretty(&JsonExport {
                    jira_base_url: self.base_url,
                    signature_method: "RSA-SHA1",
                    consumer_key: self.consumer_key,
                    private_key_path: self.private_key_path,
                    access_token: self.access_token,
                    token_secret: self.token_secret,
                    token_expires_at: self.token_expires_at,
                })
                .map_err(|e| format!("could not render JSON: {e}"))?;
                s.push('\n');
                s
            }
            ExportFormat::Env => {
                let mut lines = vec![
                    "# Jira OAuth 1.0a (RSA-SHA1) credentials. Contains the access token: keep this file mode 0600.".to_string(),
                    env_line("JIRA_BASE_URL", self.base_url),
                    env_line("JIRA_OAUTH_SIGNATURE_METHOD", "RSA-SHA1"),
                    env_line("JIRA_OAUTH_CONSUMER_KEY", self.consumer_key),
                    env_line("JIRA_OAUTH_PRIVATE_KEY_PATH", self.private_key_path),
                    env_line("JIRA_OAUTH_ACCESS_TOKEN", self.access_token),
                    env_line("JIRA_OAUTH_TOKEN_SECRET", self.token_secret),
                ];
                if let Some(exp) = self.token_expires_at {
                    lines.push(env_line("JIRA_OAUTH_TOKEN_EXPIRES_AT", exp));
                }
                let mut s = lines.join("\n");
                s.push('\n');
                s
            }
        };
        Ok(SecretString::from(text))
    }
}

/// `NAME='value'` with POSIX single-quote escaping, so any value survives `. file` unchanged.
fn env_line(name: &str, value: &str) -> String {
    format!("{name}='{}'", value.replace('\'', r"'\''"))
}
