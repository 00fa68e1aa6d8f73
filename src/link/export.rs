//! `jiralink link export`: what an integrating application needs from a configured, authorized
//! OAuth connection, in the same TOML / JSON / env shapes the wizard's Verify step exports.
//!
//! It resolves the connection's values and hands them to the wizard's renderer (`wizard::export`),
//! so both exports are the same text by construction.

use crate::config::{AuthKind, Connection};
use crate::wizard::ExportFormat;
use secrecy::{ExposeSecret, SecretString};

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
    // One renderer for the wizard's export and this one, so the two can never drift.
    crate::wizard::export::ExportData {
        connection_name: &c.name,
        base_url: &base,
        consumer_key,
        consumer_name: &consumer_name,
        private_key_path: &key_path,
        access_token: token.expose_secret(),
        token_secret: secret.expose_secret(),
        token_expires_at: expires,
    }
    .render(format)
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
