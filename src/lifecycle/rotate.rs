//! Rotating a Personal Access Token without an outage: create the new token through Jira's REST
//! API, verify it with the same check `jiralink check` runs, switch the config over in one atomic
//! save (the token goes to a new 0600 file), check again through the config, and only then
//! revoke the old token (after a confirmation). Interrupted at any step, the connection still
//! works: before the switch the config still holds the old, unrevoked token; after it, the new
//! verified one. A new token that never made it into the config is revoked again.
//!
//! Where the token lives: whatever the connection's `token` was (plain in the config,
//! `{env = …}`, `{cmd = …}`, or the user's own `{file = …}`), the rotated token goes to a new file
//! under the data dir and `token` becomes `{file = …}`. jiralink cannot write into an environment
//! variable or a password manager, so for those the outcome says so and names the old source,
//! which still holds the (revoked) old token.

use crate::check::{check, check_connection, CheckResult};
use crate::config::{AuthKind, ConfigError, ConfigFile, Connection, Defaults};
use crate::jira::pat::{self, PatInfo};
use crate::jira::{Auth, Code, Diagnosis, JiraClient};
use crate::paths::Paths;
use crate::secret::{ExposeSecret, SecretRef};
use std::path::{Path, PathBuf};

/// The steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RotateStep {
    /// Find the token in use in Jira's list.
    FindOld,
    /// Create the new token.
    Create,
    /// Check the new token before anything is switched.
    Verify,
    /// Write the token file and save the config atomically.
    Switch,
    /// Check the connection again as the config now reads.
    Recheck,
    /// Revoke the old token.
    Revoke,
}

impl RotateStep {
    /// Words for messages.
    pub fn label(self) -> &'static str {
        match self {
            RotateStep::FindOld => "finding the token in use",
            RotateStep::Create => "creating the new token",
            RotateStep::Verify => "verifying the new token",
            RotateStep::Switch => "switching the config",
            RotateStep::Recheck => "checking the switched connection",
            RotateStep::Revoke => "revoking the old token",
        }
    }
}

/// How to rotate.
#[derive(Debug, Clone)]
pub struct RotateOptions {
    /// Lifetime of the new token in days.
    pub days: u32,
    /// The old token's id, when Jira's list cannot tell which one is in use.
    pub old_token_id: Option<u64>,
    /// Stop (as an interruption would) just before this step; tests use it to prove that the
    /// connection works whichever step is interrupted.
    #[doc(hidden)]
    pub interrupt_before: Option<RotateStep>,
    /// How long requests already sent with the old token (by another process that read the
    /// config before the switch) get to finish before it is revoked.
    pub grace: std::time::Duration,
}

impl Default for RotateOptions {
    fn default() -> Self {
        RotateOptions {
            days: 90,
            old_token_id: None,
            interrupt_before: None,
            grace: std::time::Duration::from_secs(3),
        }
    }
}

/// What a rotation did.
#[derive(Debug, Clone)]
pub struct RotateOutcome {
    /// The token that was in use.
    pub old: PatInfo,
    /// The new token's listing.
    pub new: PatInfo,
    /// The 0600 file now holding the token.
    pub token_file: PathBuf,
    /// Whether the old token was revoked (`false` when the confirmation was declined).
    pub revoked_old: bool,
    /// A note on the previous secret source (env var, command, user's own file).
    pub source_note: Option<String>,
    /// The check run through the switched config.
    pub recheck: CheckResult,
}

/// A rotation that stopped, with the step and what state the connection is in.
#[derive(Debug, Clone)]
pub struct RotateError {
    /// The step that failed or was interrupted.
    pub step: RotateStep,
    /// What went wrong, why, and the fix.
    pub diagnosis: Diagnosis,
    /// Which token the connection uses now, in words.
    pub state: String,
}

impl std::fmt::Display for RotateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "rotation stopped while {}: {}\n  {}",
            self.step.label(),
            self.diagnosis,
            self.state
        )
    }
}

fn err(step: RotateStep, diagnosis: Diagnosis, state: impl Into<String>) -> RotateError {
    RotateError {
        step,
        diagnosis,
        state: state.into(),
    }
}

fn interrupted(step: RotateStep) -> Diagnosis {
    Diagnosis::error(
        Code::Cancelled,
        format!("Interrupted before {}", step.label()),
        "The rotation was stopped on request.",
        "Run `jiralink connections rotate` again.",
    )
}

fn config_diag(e: ConfigError) -> Diagnosis {
    e.diagnosis()
}

/// A file name for the rotated token, unique per rotation.
fn token_file(paths: &Paths, name: &str, stamp: i128) -> PathBuf {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    paths
        .data_dir
        .join("tokens")
        .join(format!("{stem}-{stamp}.pat"))
}

fn describe_source(s: &Option<SecretRef>, tokens_dir: &Path) -> Option<String> {
    match s {
        Some(SecretRef::Env(v)) => Some(format!(
            "the token used to come from ${v}; it now comes from a 0600 file and ${v} holds the old token: remove or update it where it is set"
        )),
        Some(SecretRef::Cmd(c)) => Some(format!(
            "the token used to come from the command `{c}`; it now comes from a 0600 file. Store the new token in that secret store yourself if you want it back there (jiralink never prints it)"
        )),
        Some(SecretRef::File(p)) if !p.starts_with(tokens_dir) => Some(format!(
            "the token used to come from {}; it now comes from a new 0600 file and {} is left untouched (it holds the old token)",
            p.display(),
            p.display()
        )),
        Some(SecretRef::Plain(_)) => {
            Some("the token was written in the config; it now lives in a 0600 file".into())
        }
        _ => None,
    }
}

/// Rotate the PAT of connection `name`. `confirm_revoke` is asked before the old token is
/// revoked; answering no keeps it valid (the connection already uses the new one).
pub async fn rotate_pat(
    paths: &Paths,
    name: &str,
    opts: &RotateOptions,
    confirm_revoke: impl FnOnce(&PatInfo) -> bool,
) -> Result<RotateOutcome, RotateError> {
    use RotateStep::*;
    let stop = |s: RotateStep| opts.interrupt_before == Some(s);
    let untouched = "Nothing changed: the connection still uses its old token.";

    let file = ConfigFile::open(&paths.config_file)
        .map_err(|e| err(FindOld, config_diag(e), untouched))?;
    let cfg = file
        .config()
        .map_err(|e| err(FindOld, config_diag(e), untouched))?;
    let conn: Connection = cfg
        .require_connection(name)
        .map_err(|e| err(FindOld, config_diag(e), untouched))?
        .clone();
    if conn.auth != AuthKind::Pat {
        return Err(err(
            FindOld,
            Diagnosis::error(
                Code::ConfigError,
                format!("\"{name}\" is not a Personal Access Token connection"),
                format!("Its auth is \"{}\".", conn.auth.as_str()),
                match conn.auth {
                    AuthKind::Oauth1 => format!("For OAuth 1.0a, `jiralink connections rotate {name}` re-authorizes; see its --help."),
                    AuthKind::Oauth2 => format!("For OAuth 2.0, `jiralink connections rotate {name}` re-authorizes (a new authorization code with PKCE)."),
                    AuthKind::CloudToken => "Cloud API tokens are created at id.atlassian.com > Security > API tokens; update the connection's token and record `--expires`.".into(),
                    _ => "Switch the connection to a PAT (`auth = \"pat\"`) to rotate it.".into(),
                },
            ),
            untouched,
        ));
    }
    let defaults: Defaults = cfg.defaults.clone();
    let old_opts = conn
        .client_options_async(&defaults)
        .await
        .map_err(|e| err(FindOld, config_diag(e), untouched))?;
    let old_client =
        JiraClient::new(old_opts.clone()).map_err(|e| err(FindOld, e.diagnose(), untouched))?;

    // 1. Which token is in use.
    if stop(FindOld) {
        return Err(err(FindOld, interrupted(FindOld), untouched));
    }
    let tokens = pat::list(&old_client)
        .await
        .map_err(|e| err(FindOld, e.diagnose(), untouched))?;
    let mut lookup = conn.clone();
    if opts.old_token_id.is_some() {
        lookup.token_id = opts.old_token_id;
    }
    let old = crate::lifecycle::expiry::pick_token(&lookup, &tokens)
        .map_err(|why| {
            let ids: Vec<String> = tokens
                .iter()
                .map(|t| format!("{} ({})", t.id, t.name))
                .collect();
            err(
                FindOld,
                Diagnosis::error(
                    Code::ConfigError,
                    "Cannot tell which token this connection uses",
                    why,
                    format!(
                        "Name it: `jiralink connections rotate {name} --old-token-id ID` (this user's tokens: {}).",
                        ids.join(", ")
                    ),
                ),
                untouched,
            )
        })?
        .clone();

    // 2. The new token.
    if stop(Create) {
        return Err(err(Create, interrupted(Create), untouched));
    }
    let stamp = time::OffsetDateTime::now_utc();
    let token_name = format!(
        "jiralink {name} {}",
        stamp
            .format(time::macros::format_description!(
                "[year]-[month]-[day] [hour][minute]"
            ))
            .unwrap_or_default()
    );
    let created = pat::create(&old_client, &token_name, opts.days)
        .await
        .map_err(|e| err(Create, e.diagnose(), untouched))?;
    let new_id = created.info.id;
    // From here on, a failure before the switch revokes the new token again.
    let discard = |step: RotateStep, d: Diagnosis| {
        let client = old_client.clone();
        async move {
            let state = match pat::revoke(&client, new_id).await {
                Ok(()) => format!("{untouched} The new token ({new_id}) was revoked again."),
                Err(e) => format!(
                    "{untouched} The new token ({new_id}) could not be revoked ({}); revoke it in Jira: profile > Personal Access Tokens.",
                    e.diagnose().summary
                ),
            };
            err(step, d, state)
        }
    };

    // 3. Verify it as `check` does, and that it acts as the same user.
    if stop(Verify) {
        return Err(discard(Verify, interrupted(Verify)).await);
    }
    let mut new_opts = old_opts.clone();
    new_opts.auth = Auth::Pat {
        token: created.raw.clone(),
    };
    let verified = check(name, new_opts).await;
    let before = check(name, old_opts).await;
    if !verified.ok {
        let d = verified.diagnosis.clone().unwrap_or_else(|| {
            Diagnosis::error(Code::Other, "The new token failed its check", "", "")
        });
        return Err(discard(Verify, d).await);
    }
    if verified.user != before.user {
        let d = Diagnosis::error(
            Code::Other,
            "The new token acts as another user",
            format!(
                "old: {:?}, new: {:?}",
                before.user.as_deref(),
                verified.user.as_deref()
            ),
            "Report this; the old token is kept.",
        );
        return Err(discard(Verify, d).await);
    }

    // 4. Switch: new 0600 file, then one atomic config save.
    if stop(Switch) {
        return Err(discard(Switch, interrupted(Switch)).await);
    }
    let tokens_dir = paths.data_dir.join("tokens");
    let path = token_file(paths, name, stamp.unix_timestamp_nanos());
    let source_note = describe_source(&conn.token, &tokens_dir);
    let switched = (|| -> Result<(), ConfigError> {
        crate::paths::write_secret_file(&path, created.raw.expose_secret().as_bytes()).map_err(
            |e| ConfigError::Write {
                path: path.clone(),
                message: e.to_string(),
            },
        )?;
        let mut file = ConfigFile::open(&paths.config_file)?;
        let mut c = file.config()?.require_connection(name)?.clone();
        c.token = Some(SecretRef::File(path.clone()));
        c.token_id = Some(new_id);
        c.expires_at = created.info.expires_at.and_then(|e| {
            e.format(&time::format_description::well_known::Rfc3339)
                .ok()
        });
        file.upsert_connection(&c)?;
        file.save()
    })();
    if let Err(e) = switched {
        let _ = std::fs::remove_file(&path);
        return Err(discard(Switch, config_diag(e)).await);
    }
    // The old token file, when jiralink wrote it in an earlier rotation, is no longer used.
    if let Some(SecretRef::File(p)) = &conn.token {
        if p.starts_with(&tokens_dir) && p != &path {
            let _ = std::fs::remove_file(p);
        }
    }
    let switched_state = format!(
        "The connection now uses the new token (id {new_id}, in {}); the old token ({}) is still valid.",
        path.display(),
        old.id
    );

    // 5. Check again, exactly as `jiralink check` reads the config now.
    if stop(Recheck) {
        return Err(err(Recheck, interrupted(Recheck), switched_state));
    }
    let cfg = crate::config::Config::load(&paths.config_file)
        .map_err(|e| err(Recheck, config_diag(e), switched_state.clone()))?;
    let conn_now = cfg
        .require_connection(name)
        .map_err(|e| err(Recheck, config_diag(e), switched_state.clone()))?
        .clone();
    let recheck = check_connection(&conn_now, &cfg.defaults).await;
    if !recheck.ok {
        let d = recheck.diagnosis.clone().unwrap_or_else(|| {
            Diagnosis::error(
                Code::Other,
                "The switched connection failed its check",
                "",
                "",
            )
        });
        return Err(err(
            Recheck,
            d,
            format!("{switched_state} The old token is NOT revoked, so nothing is lost."),
        ));
    }

    // 6. Revoke the old token, once confirmed.
    if stop(Revoke) {
        return Err(err(Revoke, interrupted(Revoke), switched_state));
    }
    let mut revoked_old = false;
    if confirm_revoke(&old) {
        tokio::time::sleep(opts.grace).await;
        let new_client = old_client.with_auth(Auth::Pat {
            token: created.raw.clone(),
        });
        pat::revoke(&new_client, old.id)
            .await
            .map_err(|e| err(Revoke, e.diagnose(), switched_state.clone()))?;
        revoked_old = true;
    }
    Ok(RotateOutcome {
        old,
        new: created.info,
        token_file: path,
        revoked_old,
        source_note,
        recheck,
    })
}
