//! Runs the OAuth 2.0 path's effects ([`crate::wizard::oauth2::O2Effect`]) with the real client,
//! config and token store, for any front end; every failure comes back inside the input.

use super::LinkContext;
use crate::config::{AuthKind, ConfigError, ConfigFile, Connection};
use crate::jira::diagnose::Diagnosis;
use crate::jira::oauth2;
use crate::jira::{Auth, JiraClient};
use crate::wizard::oauth2::{O2Effect, O2Input, O2Verify, OAuth2Flow};

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
    let opts = conn
        .client_options_async(&ctx.config.defaults)
        .await
        .map_err(|e| e.diagnosis())?;
    // The admin's credentials only go to the admin connection's own URL.
    let admin_client = JiraClient::new(opts).map_err(|e| e.diagnose())?;
    oauth2::create_client(&admin_client, name, redirect_uri, scope)
        .await
        .map_err(|e| e.diagnose())
}

async fn exchange(
    ctx: &LinkContext,
    flow: &OAuth2Flow,
    code: &str,
) -> Result<oauth2::Tokens, Diagnosis> {
    let missing = || {
        Diagnosis::error(
            crate::jira::diagnose::Code::Other,
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
    // Saved before anything uses them (verification reads them back from the config).
    let (paths, flow, t) = (ctx.paths.clone(), flow.clone(), tokens.clone());
    tokio::task::spawn_blocking(move || save_connection(&paths, &flow, &t))
        .await
        .map_err(|e| ConfigError::Write {
            path: ctx.paths.config_file.clone(),
            message: e.to_string(),
        })
        .and_then(|r| r)
        .map_err(|e| e.diagnosis())?;
    Ok(tokens)
}

/// Save the flow's connection (`auth = "oauth2"`; an existing one of the same name keeps its
/// TLS, proxy and timeout settings), its client secret and tokens as 0600 files.
pub fn save_connection(
    paths: &crate::paths::Paths,
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
    let mut file = ConfigFile::open(&paths.config_file)?;
    let existing = file.config()?.connection(name).cloned();
    let mut c = match existing {
        Some(old) => {
            Connection::new(name, flow.base_url(), AuthKind::Oauth2).with_transport_of(&old)
        }
        None => Connection::new(name, flow.base_url(), AuthKind::Oauth2),
    };
    c.redirect_uri = Some(flow.redirect_uri());
    c.scopes = flow.scopes();
    file.upsert_connection(&c)?;
    file.save()?;
    super::save_client_credentials(paths, name, id, secret)?;
    super::save_oauth2_tokens(paths, name, tokens)?;
    Ok(())
}

async fn verify(ctx: &LinkContext, flow: &OAuth2Flow) -> Result<O2Verify, Diagnosis> {
    let path = ctx.paths.config_file.clone();
    let cfg = tokio::task::spawn_blocking(move || crate::config::Config::load(&path))
        .await
        .map_err(|e| {
            Diagnosis::error(
                crate::jira::diagnose::Code::Other,
                "Reading the config failed",
                e.to_string(),
                "",
            )
        })?
        .map_err(|e| e.diagnosis())?;
    let conn = cfg
        .require_connection(flow.connection_name())
        .map_err(|e| e.diagnosis())?;
    let opts = conn
        .client_options_async(&cfg.defaults)
        .await
        .map_err(|e| e.diagnosis())?;
    let client = JiraClient::new(opts).map_err(|e| e.diagnose())?;
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
