//! Re-authorizing an OAuth 2.0 connection without an outage (`connections rotate` for
//! `auth = "oauth2"`): a new authorization-code request with PKCE and a fresh `state`, the URL
//! for the user (any browser, on any machine: the code is pasted back), the code exchange, a
//! check with the NEW access token as the SAME user as the old one, and only then one atomic
//! switch (`link::save_oauth2_tokens`: new 0600 token files, one config save, old files removed).
//! Until that save the config and the old token files are untouched, so an interruption at any
//! step (wrong user, bad or expired code, network error, a killed process) leaves the old
//! connection working. The OAuth 2.0 pieces are the link wizard's (`jira::oauth2`).
//!
//! For `auth = "oauth2-client-credentials"` (a Jira 11 service account) there is no token to
//! re-authorize: access tokens are asked for again on every run, and a new client secret can
//! only be made in Jira. [`verify_client_credentials`] re-reads the secret source and checks it.

use super::reauth::ReauthOutcome;
use super::rotate::{RotateError, RotateStep};
use crate::check::{check, check_connection, CheckResult};
use crate::config::{AuthKind, Config, ConfigFile, Connection};
use crate::jira::oauth2::{self, Grant, OAuth2Session, Pasted, Pkce, Tokens};
use crate::jira::{Auth, Code, Diagnosis, JiraClient};
use crate::paths::Paths;
use std::future::Future;
use std::sync::Arc;

fn err(step: RotateStep, diagnosis: Diagnosis, state: impl Into<String>) -> RotateError {
    RotateError {
        step,
        diagnosis,
        state: state.into(),
    }
}

const UNTOUCHED: &str = "Nothing changed: the connection still uses its old OAuth 2.0 tokens.";

fn interrupted(s: RotateStep) -> Diagnosis {
    Diagnosis::error(
        Code::Cancelled,
        format!("Interrupted before {}", s.label()),
        "The re-authorization was stopped on request.",
        "Run `jiralink connections rotate` again.",
    )
}

/// Re-authorize OAuth 2.0 connection `name`. `approve` gets the authorize URL the user must open
/// and answers what the user pasted back (the URL the browser was sent to, or the bare code);
/// `None` = the user gave up. `interrupt_before` stops (as an interruption would) before a step.
pub async fn rotate_oauth2<F, Fut>(
    paths: &Paths,
    name: &str,
    interrupt_before: Option<RotateStep>,
    approve: F,
) -> Result<ReauthOutcome, RotateError>
where
    F: FnOnce(url::Url) -> Fut,
    Fut: Future<Output = Option<String>>,
{
    use RotateStep::*;
    let stop = |s: RotateStep| interrupt_before == Some(s);
    let cfg_err = |e: crate::config::ConfigError| err(FindOld, e.diagnosis(), UNTOUCHED);
    let file = ConfigFile::open(&paths.config_file).map_err(cfg_err)?;
    let cfg = file.config().map_err(cfg_err)?;
    let conn: Connection = cfg.require_connection(name).map_err(cfg_err)?.clone();
    if conn.auth != AuthKind::Oauth2 {
        return Err(err(
            FindOld,
            Diagnosis::error(
                Code::ConfigError,
                format!("\"{name}\" is not an OAuth 2.0 (authorization code) connection"),
                format!("Its auth is \"{}\".", conn.auth.as_str()),
                "`jiralink connections rotate` re-authorizes `auth = \"oauth2\"` connections.",
            ),
            UNTOUCHED,
        ));
    }
    let client_id = conn
        .field("client_id", &conn.client_id)
        .map_err(cfg_err)?
        .to_owned();
    let redirect_uri = conn
        .field("redirect_uri", &conn.redirect_uri)
        .map_err(cfg_err)?
        .to_owned();
    let (c2, key) = (conn.clone(), "client_secret");
    let secret = tokio::task::spawn_blocking(move || c2.secret(key, &c2.client_secret))
        .await
        .map_err(|e| {
            err(
                FindOld,
                Diagnosis::error(
                    Code::Other,
                    "Reading the client secret failed",
                    e.to_string(),
                    "Try again.",
                ),
                UNTOUCHED,
            )
        })?
        .map_err(cfg_err)?;
    let old_opts = conn
        .client_options_async(&cfg.defaults)
        .await
        .map_err(cfg_err)?;
    let base = conn.url.trim_end_matches('/').to_string();
    let mut bare_opts = old_opts.clone();
    bare_opts.auth = Auth::None;
    let bare =
        JiraClient::new(bare_opts.clone()).map_err(|e| err(FindOld, e.diagnose(), UNTOUCHED))?;

    // 1. Who the old tokens act as (they may be dead already: then there is nothing to match).
    if stop(FindOld) {
        return Err(err(FindOld, interrupted(FindOld), UNTOUCHED));
    }
    let old_user = if conn.access_token.is_some() || conn.refresh_token.is_some() {
        check(name, old_opts.clone()).await.user
    } else {
        None
    };

    // 2. A new authorization: PKCE S256 and a fresh state, the user's approval, the exchange.
    if stop(Create) {
        return Err(err(Create, interrupted(Create), UNTOUCHED));
    }
    let pkce = Pkce::generate();
    let state = oauth2::new_state();
    let url = oauth2::authorize_url(
        &base,
        &client_id,
        &redirect_uri,
        &conn.scopes,
        &state,
        &pkce.challenge,
    );
    let url = url::Url::parse(&url).map_err(|e| {
        err(
            Create,
            Diagnosis::error(
                Code::ConfigError,
                "The authorize URL is not valid",
                e.to_string(),
                "Check the connection's url.",
            ),
            UNTOUCHED,
        )
    })?;
    let typed = approve(url).await.unwrap_or_default();
    let (code, got_state) = match oauth2::read_pasted(&typed) {
        Pasted::Code { code, state } => (code, state),
        Pasted::Error {
            error, description, ..
        } => {
            let d = if error == "access_denied" {
                oauth2::access_denied(description.as_deref())
            } else {
                oauth2::token_error(
                    &error,
                    description.as_deref(),
                    oauth2::During::Exchange,
                    &bare.url_for(oauth2::AUTHORIZE_PATH, &[]),
                )
            };
            return Err(err(Create, d, UNTOUCHED));
        }
        Pasted::UrlWithoutCode | Pasted::Empty => {
            return Err(err(
                Create,
                Diagnosis::error(
                    Code::Cancelled,
                    "No authorization code was given",
                    "After \"Allow\" Jira sends the browser to the redirect URL with `?code=…`; that URL (or the code alone) is what to paste.",
                    "Run `jiralink connections rotate` again and paste the URL the browser went to.",
                ),
                UNTOUCHED,
            ))
        }
    };
    oauth2::check_state(&state, got_state.as_deref()).map_err(|d| err(Create, d, UNTOUCHED))?;
    let tokens: Tokens = oauth2::exchange_code(
        &bare,
        &client_id,
        &secret,
        &code,
        &redirect_uri,
        &pkce.verifier,
    )
    .await
    .map_err(|e| err(Create, e.diagnose(), UNTOUCHED))?;

    // 3. Check the new access token as `check` does, before anything is switched. The session
    // has no sink: nothing is saved until the switch, and a refresh (not expected: the token is
    // new) would stay in memory and be what is saved.
    if stop(Verify) {
        return Err(err(Verify, interrupted(Verify), UNTOUCHED));
    }
    let session = Arc::new(OAuth2Session::new(
        client_id.clone(),
        secret.clone(),
        Grant::AuthorizationCode {
            redirect_uri: redirect_uri.clone(),
        },
        conn.scopes.clone(),
        tokens,
        None,
    ));
    let mut new_opts = bare_opts;
    new_opts.auth = Auth::OAuth2(session.clone());
    let verified = super::reauth::verify_same_user(
        name,
        new_opts,
        old_user.as_deref(),
        "The new authorization",
    )
    .await
    .map_err(|d| err(Verify, d, UNTOUCHED))?;

    // 4. One atomic switch, with the tokens as the session holds them now.
    if stop(Switch) {
        return Err(err(Switch, interrupted(Switch), UNTOUCHED));
    }
    let now_tokens = session.tokens().await;
    let (p, n) = (paths.clone(), name.to_owned());
    let saved =
        tokio::task::spawn_blocking(move || crate::link::save_oauth2_tokens(&p, &n, &now_tokens))
            .await
            .map_err(|e| {
                err(
                    Switch,
                    Diagnosis::error(
                        Code::Other,
                        "Saving the tokens failed",
                        e.to_string(),
                        "Try again.",
                    ),
                    UNTOUCHED,
                )
            })?
            .map_err(|e| err(Switch, e.diagnosis(), UNTOUCHED))?;
    let switched = format!(
        "The connection now uses the new OAuth 2.0 tokens (in {}).",
        saved.access_token_file.display()
    );

    // 5. Check again through the config as it now reads.
    if stop(Recheck) {
        return Err(err(Recheck, interrupted(Recheck), switched));
    }
    let cfg = Config::load(&paths.config_file)
        .map_err(|e| err(Recheck, e.diagnosis(), switched.clone()))?;
    let now = cfg
        .require_connection(name)
        .map_err(|e| err(Recheck, e.diagnosis(), switched.clone()))?
        .clone();
    let recheck = check_connection(&now, &cfg.defaults).await;
    if !recheck.ok {
        let d = recheck.diagnosis.clone().unwrap_or_else(|| {
            Diagnosis::error(
                Code::Other,
                "The switched connection failed its check",
                "",
                "",
            )
        });
        return Err(err(Recheck, d, switched));
    }
    Ok(ReauthOutcome {
        user: verified.user,
        expires_at: saved.expires_at,
        access_token_file: saved.access_token_file,
        recheck,
    })
}

/// What "rotating" a client-credentials connection means: the client secret is made in Jira
/// (on the service account, by an administrator), and jiralink reads it from the connection's
/// secret source on every run. This re-reads that source and checks the connection with it;
/// `Err` explains what to do when it does not work.
pub async fn verify_client_credentials(
    paths: &Paths,
    name: &str,
) -> Result<CheckResult, Diagnosis> {
    let cfg = Config::load(&paths.config_file).map_err(|e| e.diagnosis())?;
    let conn = cfg
        .require_connection(name)
        .map_err(|e| e.diagnosis())?
        .clone();
    if conn.auth != AuthKind::Oauth2ClientCredentials {
        return Err(Diagnosis::error(
            Code::ConfigError,
            format!("\"{name}\" is not an OAuth 2.0 client-credentials connection"),
            format!("Its auth is \"{}\".", conn.auth.as_str()),
            "",
        ));
    }
    let r = check_connection(&conn, &cfg.defaults).await;
    if r.ok {
        return Ok(r);
    }
    let mut d = r.diagnosis.clone().unwrap_or_else(|| {
        Diagnosis::error(Code::Other, "The connection failed its check", "", "")
    });
    d.fix = format!(
        "{} A new client secret is made in Jira, on the service account, by an administrator; jiralink cannot make one. Put it where `client_secret` points (file, env or command; the file 0600), then run `jiralink connections rotate {name}` again to verify it.",
        d.fix
    );
    Err(d)
}
