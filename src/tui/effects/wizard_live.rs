//! The link wizard's effects run for real on behalf of the TUI through the link driver
//! ([`crate::link::run_effect`]), and saving the linked connection into the config.

use super::WizardCtx;
use crate::config::{AuthKind, Config, ConfigFile, Connection};
use crate::jira::diagnose::{Code, Diagnosis};
use crate::link::{LinkContext, Transport};
use crate::paths::Paths;
use crate::secret::SecretRef;
use crate::wizard::{Effect, Input, Wizard};
use secrecy::ExposeSecret;

/// Run one wizard effect with the link driver; every failure is reported inside the returned input.
pub async fn run(ctx: WizardCtx, w: Wizard, effect: Effect) -> Input {
    let config_path = ctx.config_path.clone();
    // Admin connections (CreateLink) come from the config; reading it is blocking file I/O.
    let config = tokio::task::spawn_blocking(move || Config::load_or_default(&config_path))
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()));
    let config = match config {
        Ok(c) => c,
        Err(e) => return failed(effect, e),
    };
    let paths = Paths {
        config_file: ctx.config_path.clone(),
        data_dir: ctx.data_dir.clone(),
        state_dir: ctx.data_dir.clone(),
        log_file: ctx.data_dir.join(crate::paths::LOG_FILE_NAME),
    };
    // Reach Jira the way the connection being linked is configured (CA file, proxy, timeout).
    let transport = config
        .connection(&w.connection_name())
        .map(Transport::from_connection)
        .unwrap_or_default();
    let mut lctx = LinkContext::new(paths, config);
    lctx.transport = transport;
    crate::link::run_effect(&lctx, &w, effect).await
}

/// The input reporting that `effect` could not even start (the config is unreadable).
fn failed(effect: Effect, message: String) -> Input {
    let d = Diagnosis::error(
        Code::ConfigError,
        "The config could not be read",
        message.clone(),
        "Fix the config file (see the Connections pane), then try again.",
    );
    match effect {
        Effect::Probe { .. } => Input::ProbeResult(Err(d)),
        Effect::GenerateKey { .. } | Effect::LoadKey { .. } => Input::KeyReady(Err(message)),
        Effect::CreateLink { .. } => Input::CreateResult(Err(d)),
        Effect::RequestToken { .. } => Input::RequestTokenResult(Err(d)),
        Effect::ExchangeVerifier { .. } => Input::AccessTokenResult(Err(d)),
        Effect::Verify { .. } => Input::VerifyResult(Err(d)),
        Effect::Export { .. } => Input::ExportResult(Err(message)),
    }
}

/// Save the linked connection: the access token and its secret go to 0600 files under the data
/// dir, the connection (replacing one of the same name, keeping its TLS/proxy settings) into the
/// config through `ConfigFile`, which writes atomically. Returns the config as saved.
pub fn save_connection(ctx: &WizardCtx, w: &Wizard) -> Result<Config, String> {
    let access = w
        .access()
        .ok_or("there is no access token yet: finish the Authorize step")?;
    let key = w.key_info().ok_or("there is no key yet (step 2)")?;
    let base = w.base_url()?;
    let name = w.connection_name();
    let mut file = ConfigFile::open(&ctx.config_path).map_err(|e| e.to_string())?;
    let existing = file
        .config()
        .map_err(|e| e.to_string())?
        .connection(&name)
        .cloned();
    let stem: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let dir = ctx.data_dir.join("tokens");
    let token_file = dir.join(format!("{stem}.access_token"));
    let secret_file = dir.join(format!("{stem}.token_secret"));
    for (path, value) in [(&token_file, &access.token), (&secret_file, &access.secret)] {
        crate::paths::write_secret_file(path, value.expose_secret().as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    let mut conn = existing.unwrap_or_else(|| Connection::new(&name, &base, AuthKind::Oauth1));
    conn.url = base;
    conn.auth = AuthKind::Oauth1;
    conn.username = None;
    conn.password = None;
    conn.token = None;
    conn.email = None;
    conn.consumer_key = Some(w.consumer_key());
    conn.consumer_name = Some(w.consumer_name());
    conn.private_key = Some(key.path.clone());
    conn.access_token = Some(SecretRef::File(token_file));
    conn.token_secret = Some(SecretRef::File(secret_file));
    conn.token_expires_at = access.expires_at.clone();
    file.upsert_connection(&conn).map_err(|e| e.to_string())?;
    file.save().map_err(|e| e.to_string())?;
    file.config().map_err(|e| e.to_string())
}
