//! Runs the OAuth 2.0 path's effects ([`crate::wizard::O2Effect`]) with the real client, config
//! and token store, for any front end; every failure comes back inside the input.

use super::LinkContext;
use crate::config::{AuthKind, Config, ConfigError, ConfigFile, Connection};
use crate::connect::ConnectError;
use crate::jira::diagnose::{Code, Diagnosis};
use crate::jira::oauth2;
use crate::jira::Auth;
use crate::paths::Paths;
use crate::wizard::{O2Effect, O2Input, O2Verify, OAuth2Flow};
use secrecy::ExposeSecret;
use std::path::PathBuf;

/// Run one effect of the OAuth 2.0 path and return the input reporting its result.
pub async fn run_oauth2_effect(ctx: &LinkContext, flow: &OAuth2Flow, effect: O2Effect) -> O2Input {
    match effect {
        O2Effect::CreateClient {
            admin,
            name,
            redirect_uri,
            scope,
        } => O2Input::CreateResult(create(ctx, &admin, &name, &redirect_uri, &scope).await),
        O2Effect::Exchange { code } => O2Input::ExchangeResult(exchange(ctx, flow, &code).await),
        O2Effect::Verify => O2Input::VerifyResult(verify(ctx, flow).await),
        O2Effect::Export { format, path } => {
            O2Input::ExportResult(export(ctx, flow, format, path).await)
        }
    }
}

async fn create(
    ctx: &LinkContext,
    admin: &str,
    name: &str,
    redirect_uri: &str,
    scope: &str,
) -> Result<Option<oauth2::CreatedClient>, Diagnosis> {
    let conn = ctx
        .config
        .require_connection(admin)
        .map_err(|e| e.diagnosis())?;
    // The admin's credentials only go to the admin connection's own URL.
    let admin_client = crate::connect::client_for(conn, ctx.defaults())
        .await
        .map_err(ConnectError::into_diagnosis)?;
    let created = oauth2::create_client(&admin_client, name, redirect_uri, scope)
        .await
        .map_err(|e| e.diagnose())?;
    if let Some(c) = &created {
        tracing::info!(client_id = %c.client_id, admin, "OAuth 2.0 link created");
    }
    Ok(created)
}

fn blocking_failed(e: tokio::task::JoinError) -> Diagnosis {
    Diagnosis::error(
        Code::Other,
        "A file operation failed",
        e.to_string(),
        "Try again.",
    )
}

async fn exchange(
    ctx: &LinkContext,
    flow: &OAuth2Flow,
    code: &str,
) -> Result<oauth2::Tokens, Diagnosis> {
    let missing = || {
        Diagnosis::error(
            Code::Other,
            "The authorization is not ready",
            "There is no client id, secret or PKCE verifier yet.",
            "Register the link and start the authorization first.",
        )
    };
    let (id, secret) = flow.client().ok_or_else(missing)?;
    let verifier = flow.verifier().ok_or_else(missing)?;
    let client = ctx.client(flow.base_url(), Auth::None)?;
    let tokens = oauth2::exchange_code(&client, id, secret, code, &flow.redirect_uri(), verifier)
        .await
        .map_err(|e| e.diagnose())?;
    // Saved before anything uses them: the refresh token rotates on first use.
    let (paths, f, t) = (ctx.paths.clone(), flow.clone(), tokens.clone());
    tokio::task::spawn_blocking(move || save_oauth2_link(&paths, &f, &t))
        .await
        .map_err(blocking_failed)?
        .map_err(|e| e.diagnosis())?;
    Ok(tokens)
}

/// Save the flow's connection (`auth = "oauth2"`, replacing one of the same name but keeping
/// its TLS, proxy and timeout settings) with its client secret and tokens as 0600 files, in one
/// atomic config save ([`super::save_oauth2_link_with`]).
pub fn save_oauth2_link(
    paths: &Paths,
    flow: &OAuth2Flow,
    tokens: &oauth2::Tokens,
) -> Result<(), ConfigError> {
    let (id, secret) = flow.client().ok_or_else(|| ConfigError::Invalid {
        at: None,
        connection: Some(flow.connection_name().to_owned()),
        key: Some("client_id".into()),
        message: "no client id yet".into(),
    })?;
    let name = flow.connection_name();
    let existing = ConfigFile::open(&paths.config_file)?
        .config()?
        .connection(name)
        .cloned();
    let mut c = Connection::new(name, flow.base_url(), AuthKind::Oauth2);
    if let Some(old) = existing {
        c.ca_file = old.ca_file;
        c.insecure = old.insecure;
        c.proxy = old.proxy;
        c.timeout_secs = old.timeout_secs;
    }
    c.client_id = Some(id.to_owned());
    c.redirect_uri = Some(flow.redirect_uri());
    c.scopes = flow.scopes();
    super::save_oauth2_link_with(paths, c, secret, tokens, ConfigFile::save).map(|_| ())
}

async fn load_config(paths: &Paths) -> Result<Config, Diagnosis> {
    let path = paths.config_file.clone();
    tokio::task::spawn_blocking(move || Config::load(&path))
        .await
        .map_err(blocking_failed)?
        .map_err(|e| e.diagnosis())
}

async fn verify(ctx: &LinkContext, flow: &OAuth2Flow) -> Result<O2Verify, Diagnosis> {
    // The saved connection, as every later run uses it (a refresh saves rotated tokens there).
    let cfg = load_config(&ctx.paths).await?;
    let conn = cfg
        .require_connection(flow.connection_name())
        .map_err(|e| e.diagnosis())?;
    let client = crate::connect::client_for(conn, &cfg.defaults)
        .await
        .map_err(ConnectError::into_diagnosis)?;
    let me = client.myself().await.map_err(|e| e.diagnose())?;
    Ok(O2Verify {
        user: me.login().to_owned(),
        display_name: me.display_name.clone(),
        scopes: flow
            .tokens()
            .and_then(|t| t.scope.clone())
            .unwrap_or_else(|| flow.scopes().join(" ")),
    })
}

async fn export(
    ctx: &LinkContext,
    flow: &OAuth2Flow,
    format: crate::wizard::ExportFormat,
    path: PathBuf,
) -> Result<PathBuf, String> {
    let cfg = load_config(&ctx.paths).await.map_err(|d| d.to_string())?;
    let conn = cfg
        .require_connection(flow.connection_name())
        .map_err(|e| e.to_string())?
        .clone();
    tokio::task::spawn_blocking(move || {
        let text = super::export_oauth2(&conn, format)?;
        crate::paths::write_secret_file(&path, text.expose_secret().as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(path)
    })
    .await
    .map_err(|e| e.to_string())?
}
