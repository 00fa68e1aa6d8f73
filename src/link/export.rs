//! `jiralink link export`: what an integrating application needs from a configured, authorized
//! OAuth connection, in the same TOML / JSON / env shapes the wizard's Verify step exports.
//!
//! The wizard renders from its own state (`wizard::export`, crate-private to it); this renders
//! from a `Connection`. A test in `tests/link_cli.rs` compares both outputs so they cannot drift.

use crate::config::{AuthKind, Connection};
use crate::wizard::ExportFormat;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

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

/// `NAME='value'` with POSIX single-quote escaping, so any value survives `. file` unchanged.
fn env_line(name: &str, value: &str) -> String {
    format!("{name}='{}'", value.replace('\'', r"'\''"))
}

/// Render the credentials of the authorized OAuth connection `c` (secrets resolved now).
pub fn export_connection(c: &Connection, format: ExportFormat) -> Result<SecretString, String> {
    if c.auth != AuthKind::Oauth1 {
        return Err(format!(
            "connection \"{}\" uses auth = \"{}\"; only OAuth 1.0a connections are exported",
            c.name,
            c.auth.as_str()
        ));
    }
    let consumer_key = c
        .consumer_key
        .as_deref()
        .ok_or_else(|| format!("connection \"{}\" has no consumer_key", c.name))?;
    let key_path = c
        .private_key
        .as_deref()
        .map(crate::paths::expand_tilde)
        .ok_or_else(|| format!("connection \"{}\" has no private_key", c.name))?;
    let key_path = key_path
        .to_str()
        .ok_or("the private key path is not valid UTF-8")?
        .to_string();
    let not_authorized = || {
        format!(
            "connection \"{}\" has no access token yet; run `jiralink link authorize {}` first",
            c.name, c.name
        )
    };
    let token = c
        .access_token
        .as_ref()
        .ok_or_else(not_authorized)?
        .resolve()
        .map_err(|e| format!("access_token: {e}"))?;
    let secret = match &c.token_secret {
        Some(s) => s.resolve().map_err(|e| format!("token_secret: {e}"))?,
        None => SecretString::from(String::new()),
    };
    let base = crate::config::normalize_url(&c.url)?;
    let consumer_name = c
        .consumer_name
        .clone()
        .unwrap_or_else(|| crate::wizard::DEFAULT_CONSUMER_NAME.to_string());
    let expires = c.token_expires_at.as_deref();
    let (token, secret) = (token.expose_secret(), secret.expose_secret());
    let text = match format {
        ExportFormat::Toml => {
            let doc = TomlDoc {
                connection: vec![TomlConnection {
                    name: &c.name,
                    url: &base,
                    auth: "oauth1",
                    consumer_key,
                    consumer_name: &consumer_name,
                    private_key: &key_path,
                    access_token: token,
                    token_secret: secret,
                    token_expires_at: expires,
                }],
            };
            let body = toml::to_string(&doc).map_err(|e| format!("could not render TOML: {e}"))?;
            format!(
                "# jiralink OAuth 1.0a connection for {base}. Contains the access token: keep this file mode 0600.\n{body}"
            )
        }
        ExportFormat::Json => {
            let mut s = serde_json::to_string_pretty(&JsonExport {
                jira_base_url: &base,
                signature_method: "RSA-SHA1",
                consumer_key,
                private_key_path: &key_path,
                access_token: token,
                token_secret: secret,
                token_expires_at: expires,
            })
            .map_err(|e| format!("could not render JSON: {e}"))?;
            s.push('\n');
            s
        }
        ExportFormat::Env => {
            let mut lines = vec![
                "# Jira OAuth 1.0a (RSA-SHA1) credentials. Contains the access token: keep this file mode 0600.".to_string(),
                env_line("JIRA_BASE_URL", &base),
                env_line("JIRA_OAUTH_SIGNATURE_METHOD", "RSA-SHA1"),
                env_line("JIRA_OAUTH_CONSUMER_KEY", consumer_key),
                env_line("JIRA_OAUTH_PRIVATE_KEY_PATH", &key_path),
                env_line("JIRA_OAUTH_ACCESS_TOKEN", token),
                env_line("JIRA_OAUTH_TOKEN_SECRET", secret),
            ];
            if let Some(exp) = expires {
                lines.push(env_line("JIRA_OAUTH_TOKEN_EXPIRES_AT", exp));
            }
            let mut s = lines.join("\n");
            s.push('\n');
            s
        }
    };
    Ok(SecretString::from(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::SecretRef;

    fn conn() -> Connection {
        let mut c = Connection::new("j", "https://jira.example.com/jira/", AuthKind::Oauth1);
        c.consumer_key = Some("ck".into());
        c.private_key = Some("/keys/j.pem".into());
        c.access_token = Some(SecretRef::Plain(SecretString::from("tok'en".to_string())));
        c.token_secret = Some(SecretRef::Plain(SecretString::from("sec".to_string())));
        c.token_expires_at = Some("2031-01-01T00:00:00Z".into());
        c
    }

    #[test]
    fn formats_hold_what_the_application_needs() {
        let env = export_connection(&conn(), ExportFormat::Env).unwrap();
        let env = env.expose_secret();
        assert!(
            env.contains("JIRA_BASE_URL='https://jira.example.com/jira'"),
            "{env}"
        );
        assert!(
            env.contains(r"JIRA_OAUTH_ACCESS_TOKEN='tok'\''en'"),
            "{env}"
        );
        let json: serde_json::Value = serde_json::from_str(
            export_connection(&conn(), ExportFormat::Json)
                .unwrap()
                .expose_secret(),
        )
        .unwrap();
        assert_eq!(json["consumer_key"], "ck");
        assert_eq!(json["token_expires_at"], "2031-01-01T00:00:00Z");
        let toml_text = export_connection(&conn(), ExportFormat::Toml).unwrap();
        let cfg = crate::config::Config::parse_str(
            std::path::Path::new("export.toml"),
            toml_text.expose_secret(),
        )
        .unwrap();
        assert_eq!(
            cfg.connections[0].consumer_name.as_deref(),
            Some("jiralink")
        );
    }

    #[test]
    fn unauthorized_connection_is_refused() {
        let mut c = conn();
        c.access_token = None;
        let e = export_connection(&c, ExportFormat::Json).unwrap_err();
        assert!(e.contains("link authorize j"), "{e}");
    }
}
