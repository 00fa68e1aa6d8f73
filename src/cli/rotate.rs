//! `jiralink connections rotate NAME`: replace a connection's Personal Access Token without an
//! outage (the steps and their guarantees live in `lifecycle::rotate`).

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

/// Run `connections rotate`.
pub async fn run(paths: &Paths, a: RotateArgs) -> anyhow::Result<u8> {
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
        Err(e) => {
            eprintln!("jiralink: {e}");
            Ok(match (e.step, e.diagnosis.code) {
                (_, Code::ConfigError | Code::SecretUnavailable) => EXIT_USAGE,
                (RotateStep::FindOld | RotateStep::Create, _) => EXIT_CANNOT_RUN,
                _ => EXIT_PROBLEM,
            })
        }
    }
}
