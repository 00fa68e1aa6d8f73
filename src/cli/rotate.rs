//! `jiralink connections rotate NAME`: replace a connection's Personal Access Token, or
//! re-authorize an OAuth 1.0a or OAuth 2.0 connection, without an outage (the steps and their
//! guarantees live in `lifecycle::rotate`, `lifecycle::reauth` and `lifecycle::reauth_oauth2`);
//! for an OAuth 2.0 client-credentials connection, re-read the client secret and verify it.

use super::{EXIT_CANNOT_RUN, EXIT_OK, EXIT_PROBLEM, EXIT_USAGE};
use crate::jira::Code;
use crate::lifecycle::rotate::{rotate_pat, RotateOptions, RotateStep};
use crate::paths::Paths;
use std::io::IsTerminal;

/// Arguments of `connections rotate`.
#[derive(Debug, clap::Args)]
pub struct RotateArgs {
    /// The connection whose token to replace.
    pub name: String,
    /// Lifetime of the new token in days.
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub days: u32,
    /// The id of the token in use, when the user has several and the config does not record it.
    #[arg(long, value_name = "ID")]
    pub old_token_id: Option<u64>,
    /// Revoke the old token without asking (required without a terminal).
    #[arg(long)]
    pub yes: bool,
}

/// Run `connections rotate`: a PAT is replaced, an OAuth 1.0a or 2.0 connection re-authorized,
/// a client-credentials connection's secret verified.
pub async fn run(paths: &Paths, a: RotateArgs) -> anyhow::Result<u8> {
    use crate::config::AuthKind;
    // An unknown or broken connection is said as such, before any step is named.
    let auth = match crate::config::Config::load_or_default(&paths.config_file)
        .and_then(|c| c.require_connection(&a.name).map(|c| c.auth))
    {
        Ok(auth) => auth,
        Err(e) => {
            eprintln!("jiralink: {e}");
            eprintln!("  Nothing changed.");
            return Ok(EXIT_USAGE);
        }
    };
    match auth {
        AuthKind::Oauth1 => return reauthorize(paths, &a.name).await,
        AuthKind::Oauth2 => return reauthorize_oauth2(paths, &a.name).await,
        AuthKind::Oauth2ClientCredentials => {
            return verify_client_credentials(paths, &a.name).await
        }
        _ => {}
    }
    let opts = RotateOptions {
        days: a.days,
        old_token_id: a.old_token_id,
        ..RotateOptions::default()
    };
    let interactive = std::io::stdin().is_terminal();
    let (yes, name) = (a.yes, a.name.clone());
    let confirm = |old: &crate::jira::pat::PatInfo| {
        if yes {
            return true;
        }
        if !interactive {
            eprintln!("The old token ({}, \"{}\") is kept: no terminal to confirm revoking it; pass --yes to revoke it.", old.id, old.name);
            return false;
        }
        super::link::confirm(&format!(
            "The connection now works with the new token. Revoke the old token {} (\"{}\")?",
            old.id, old.name
        ))
    };
    match rotate_pat(paths, &a.name, &opts, confirm).await {
        Ok(o) => {
            let exp = o
                .new
                .expires_at
                .map(|e| e.date().to_string())
                .unwrap_or_else(|| "never".into());
            println!(
                "Rotated \"{name}\": new token {} (\"{}\", expires {exp}) in {} (mode 0600); check passed as {}.",
                o.new.id,
                o.new.name,
                o.token_file.display(),
                o.recheck.user.as_deref().unwrap_or("?")
            );
            if o.revoked_old {
                println!("Old token {} (\"{}\") revoked.", o.old.id, o.old.name);
            } else {
                println!(
                    "Old token {} (\"{}\") is still valid; revoke it in Jira (profile > Personal Access Tokens) once nothing else uses it.",
                    o.old.id, o.old.name
                );
            }
            if let Some(n) = o.source_note {
                eprintln!("note: {n}");
            }
            Ok(EXIT_OK)
        }
        Err(e) => Ok(exit_for(&e)),
    }
}

fn exit_for(e: &crate::lifecycle::rotate::RotateError) -> u8 {
    eprintln!("jiralink: {e}");
    match (e.step, e.diagnosis.code) {
        (_, Code::ConfigError | Code::SecretUnavailable) => EXIT_USAGE,
        (RotateStep::FindOld | RotateStep::Create, _) => EXIT_CANNOT_RUN,
        _ => EXIT_PROBLEM,
    }
}

/// Re-authorize an OAuth 1.0a connection: print the URL, read the code, switch once verified.
async fn reauthorize(paths: &Paths, name: &str) -> anyhow::Result<u8> {
    let approve = |url: url::Url| async move {
        println!("{url}");
        let _ = std::io::Write::flush(&mut std::io::stdout());
        eprintln!("Open the URL above, log in as the user this connection acts as, and click Allow; the old token keeps working until the new one is checked.");
        eprint!("Verification code: ");
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).ok()?;
        Some(line)
    };
    match crate::lifecycle::reauth::rotate_oauth1(paths, name, None, approve).await {
        Ok(o) => {
            println!(
                "Re-authorized \"{name}\": the new access token (in {}, mode 0600) acts as {}; {}.",
                o.access_token_file.display(),
                o.user.as_deref().unwrap_or("?"),
                match &o.expires_at {
                    Some(t) => format!("Jira says it expires at {t}"),
                    None => "Jira did not say when it expires".into(),
                }
            );
            println!("The old access token is still valid in Jira until it expires; revoke it there (profile > OAuth access tokens) once nothing else uses it.");
            Ok(EXIT_OK)
        }
        Err(e) => Ok(exit_for(&e)),
    }
}

/// Re-authorize an OAuth 2.0 connection: print the URL, read the pasted redirect URL or code,
/// switch once the new token is checked as the same user.
async fn reauthorize_oauth2(paths: &Paths, name: &str) -> anyhow::Result<u8> {
    let approve = |url: url::Url| async move {
        println!("{url}");
        let _ = std::io::Write::flush(&mut std::io::stdout());
        eprintln!("Open the URL above in any browser, log in as the user this connection acts as, and click Allow; the old tokens keep working until the new ones are checked.");
        eprintln!("The browser is then sent to the redirect URL; that page need not load. Paste the whole address-bar URL (or just the code).");
        eprint!("Redirect URL or code: ");
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).ok()?;
        Some(line)
    };
    match crate::lifecycle::reauth_oauth2::rotate_oauth2(paths, name, None, approve).await {
        Ok(o) => {
            println!(
                "Re-authorized \"{name}\": the new OAuth 2.0 tokens (in {}, mode 0600) act as {}; {}.",
                o.access_token_file.display(),
                o.user.as_deref().unwrap_or("?"),
                match &o.expires_at {
                    Some(t) => format!("the access token expires at {t} and is refreshed automatically"),
                    None => "Jira did not say when the access token expires".into(),
                }
            );
            println!("The previous authorization stays valid in Jira until its refresh token expires or is revoked; jiralink no longer holds it.");
            Ok(EXIT_OK)
        }
        Err(e) => Ok(exit_for(&e)),
    }
}

/// Client credentials: nothing to re-authorize; re-read the secret source and verify it.
async fn verify_client_credentials(paths: &Paths, name: &str) -> anyhow::Result<u8> {
    match crate::lifecycle::reauth_oauth2::verify_client_credentials(paths, name).await {
        Ok(r) => {
            println!(
                "\"{name}\" uses OAuth 2.0 client credentials: there is no token to rotate (an access token is asked for on every run). Its client secret, re-read from its source just now, works as {}.",
                r.user.as_deref().unwrap_or("?")
            );
            println!("To replace the secret: an administrator makes a new one in Jira on the service account; put it where `client_secret` points, then run `jiralink connections rotate {name}` again to verify it.");
            Ok(EXIT_OK)
        }
        Err(d) => {
            eprintln!("jiralink: {d}");
            Ok(match d.code {
                Code::ConfigError | Code::SecretUnavailable => EXIT_USAGE,
                _ => EXIT_PROBLEM,
            })
        }
    }
}
