//! Re-authorizing an OAuth 1.0a connection without an outage (`connections rotate` for
//! `auth = "oauth1"`): a new request token, the user's approval, the access-token exchange, a
//! check with the NEW token (as the same user as the old one, when the old one still works), and
//! only then one atomic switch of the config (`link::save_access_token`: new 0600 token files,
//! one config save, old files removed). Interrupted or failed before the switch, the config still
//! holds the old token, untouched. Jira's access-token answer carries `oauth_expires_in` (kept as
//! `token_expires_at`, which `check` warns about); the old access token stays valid in Jira until
//! the user revokes it (profile > OAuth access tokens), and the outcome says so.

use super::rotate::{RotateError, RotateStep};
use crate::check::{check, check_connection, CheckResult};
use crate::config::{AuthKind, ConfigFile, Connection};
use crate::jira::oauth_dance::{self, AccessToken, VerifierText};
use crate::jira::{Auth, Code, Diagnosis, JiraClient};
use crate::paths::Paths;
use crate::wizard::AccessInfo;
use std::future::Future;
use std::path::PathBuf;

/// What a re-authorization did.
#[derive(Debug, Clone)]
pub struct ReauthOutcome {
    /// The user the new token acts as.
    pub user: Option<String>,
    /// When Jira says the new token expires (RFC 3339).
    pub expires_at: Option<String>,
    /// The 0600 file now holding the access token.
    pub access_token_file: PathBuf,
    /// The check run through the switched config.
    pub recheck: CheckResult,
}

fn err(step: RotateStep, diagnosis: Diagnosis, state: impl Into<String>) -> RotateError {
    RotateError {
        step,
        diagnosis,
        state: state.into(),
    }
}

const UNTOUCHED: &str = "Nothing changed: the connection still uses its old access token.";

/// Re-authorize OAuth 1.0a connection `name`. `approve` gets the URL the user must open and
/// answers what the user typed back (the verification code, or the URL Jira redirected to);
/// `None` = the user gave up. `interrupt_before` stops (as an interruption would) before a step.
pub async fn rotate_oauth1<F, Fut>(
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
    let interrupted = |s: RotateStep| {
        err(
            s,
            Diagnosis::error(
                Code::Cancelled,
                format!("Interrupted before {}", s.label()),
                "The re-authorization was stopped on request.",
                "Run `jiralink connections rotate` again.",
            ),
            UNTOUCHED,
        )
    };
    let cfg_err = |e: crate::config::ConfigError| err(FindOld, e.diagnosis(), UNTOUCHED);
    let file = ConfigFile::open(&paths.config_file).map_err(cfg_err)?;
    let cfg = file.config().map_err(cfg_err)?;
    let conn: Connection = cfg.require_connection(name).map_err(cfg_err)?.clone();
    if conn.auth != AuthKind::Oauth1 {
        return Err(err(
            FindOld,
            Diagnosis::error(
                Code::ConfigError,
                format!("\"{name}\" is not an OAuth 1.0a connection"),
                format!("Its auth is \"{}\".", conn.auth.as_str()),
                "`jiralink connections rotate` re-authorizes OAuth 1.0a connections and replaces PATs.",
            ),
            UNTOUCHED,
        ));
    }
    let old_opts = conn
        .client_options_async(&cfg.defaults)
        .await
        .map_err(cfg_err)?;
    let Auth::OAuth1(old_auth) = old_opts.auth.clone() else {
        unreachable!("an oauth1 connection builds OAuth 1.0a credentials")
    };
    let mut consumer = old_auth.clone();
    consumer.token = None;
    let mut consumer_opts = old_opts.clone();
    consumer_opts.auth = Auth::OAuth1(consumer.clone());
    let client = JiraClient::new(consumer_opts.clone())
        .map_err(|e| err(FindOld, e.diagnose(), UNTOUCHED))?;

    // 1. Who the old token acts as (it may already be expired: then there is nothing to match).
    if stop(FindOld) {
        return Err(interrupted(FindOld));
    }
    let old_user = if old_auth.token.is_some() {
        check(name, old_opts.clone()).await.user
    } else {
        None
    };

    // 2. The dance: request token, approval, access token.
    if stop(Create) {
        return Err(interrupted(Create));
    }
    let rt = oauth_dance::request_token(&client)
        .await
        .map_err(|d| err(Create, d, UNTOUCHED))?;
    let mut url = client.url_for(oauth_dance::AUTHORIZE_PATH, &[]);
    url.query_pairs_mut().append_pair("oauth_token", &rt.token);
    let typed = approve(url).await.unwrap_or_default();
    let verifier = match oauth_dance::read_verifier(&typed) {
        VerifierText::Code(c) => c,
        VerifierText::Redirect { verifier, .. } => verifier,
        VerifierText::UrlWithoutVerifier | VerifierText::Empty => {
            return Err(err(
                Create,
                Diagnosis::error(
                    Code::Cancelled,
                    "No verification code was given",
                    "Jira shows the code after \"Allow\" on the page opened from the URL.",
                    "Run `jiralink connections rotate` again and paste the code.",
                ),
                UNTOUCHED,
            ))
        }
    };
    let access: AccessToken = oauth_dance::access_token(&client, &rt.token, &verifier)
        .await
        .map_err(|d| err(Create, d, UNTOUCHED))?;

    // 3. Check the new token as `check` does, before anything is switched.
    if stop(Verify) {
        return Err(interrupted(Verify));
    }
    let mut new_opts = consumer_opts.clone();
    let mut signed = consumer;
    signed.token = Some(access.oauth_token());
    new_opts.auth = Auth::OAuth1(signed);
    let verified = verify_same_user(name, new_opts, old_user.as_deref(), "The new access token")
        .await
        .map_err(|d| err(Verify, d, UNTOUCHED))?;

    // 4. One atomic switch.
    if stop(Switch) {
        return Err(interrupted(Switch));
    }
    let info = AccessInfo {
        token: access.token.clone(),
        secret: access.secret.clone(),
        expires_at: access.expires_at_rfc3339(),
    };
    let saved = crate::link::save_access_token(paths, name, &info)
        .map_err(|e| err(Switch, e.diagnosis(), UNTOUCHED))?;
    let switched = format!(
        "The connection now uses the new access token (in {}).",
        saved.access_token_file.display()
    );

    // 5. Check again through the config as it now reads.
    if stop(Recheck) {
        return Err(err(
            Recheck,
            interrupted(Recheck).diagnosis,
            switched.clone(),
        ));
    }
    let cfg = crate::config::Config::load(&paths.config_file)
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

/// `check` with the new credential (`opts`), which must act as the user the old one did
/// (`old_user`, when known); `who` names the credential in the refusal ("The new access token").
pub(super) async fn verify_same_user(
    name: &str,
    opts: crate::jira::ClientOptions,
    old_user: Option<&str>,
    who: &str,
) -> Result<CheckResult, Diagnosis> {
    let verified = check(name, opts).await;
    if !verified.ok {
        return Err(verified.diagnosis.clone().unwrap_or_else(|| {
            Diagnosis::error(Code::Other, "The new access token failed its check", "", "")
        }));
    }
    if old_user.is_some() && verified.user.as_deref() != old_user {
        return Err(Diagnosis::error(
            Code::Other,
            format!("{who} acts as another user"),
            format!("old: {:?}, new: {:?}", old_user, verified.user.as_deref()),
            "Approve as the user the connection acted as before (log out of Jira in the browser first), or remove the connection and link it again.",
        ));
    }
    Ok(verified)
}
