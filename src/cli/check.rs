//! `jiralink check`: the explained status of each connection, checked concurrently.
use super::style::Symbols;
use super::{load_config, Global, EXIT_OK, EXIT_PROBLEM, EXIT_USAGE};
use crate::check::{check_connection, CheckResult};
use crate::jira::Diagnosis;

/// Arguments of `check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Connections to check (default: all).
    pub names: Vec<String>,
    /// Print JSON instead of status lines.
    #[arg(long)]
    pub json: bool,
}

/// Run `check`.
pub async fn run(g: &Global, a: CheckArgs) -> anyhow::Result<u8> {
    let (_paths, cfg) = load_config(g)?;
    let mut config_problem = false;
    let mut targets = Vec::new();
    let all: Vec<&str> = cfg
        .connections
        .iter()
        .map(|c| c.name.as_str())
        .chain(cfg.connection_errors.iter().map(|(n, _)| n.as_str()))
        .collect();
    if all.is_empty() {
        eprintln!(
            "jiralink: no connections configured yet; add one with `jiralink connections add` (see `jiralink info` for the config path)"
        );
        return Ok(EXIT_USAGE);
    }
    let wanted: Vec<&str> = if a.names.is_empty() {
        all.clone()
    } else {
        for n in &a.names {
            if !all.contains(&n.as_str()) {
                eprintln!(
                    "jiralink: no connection named \"{n}\" (configured: {})",
                    all.join(", ")
                );
                return Ok(EXIT_USAGE);
            }
        }
        a.names.iter().map(String::as_str).collect()
    };
    for name in wanted {
        if let Some((_, err)) = cfg.connection_errors.iter().find(|(n, _)| n == name) {
            config_problem = true;
            targets.push(Target::Broken(name.to_owned(), err.diagnosis()));
        } else if let Some(conn) = cfg.connection(name) {
            targets.push(Target::Conn(Box::new(conn.clone())));
        }
    }
    let defaults = cfg.defaults.clone();
    let results: Vec<CheckResult> = futures::future::join_all(targets.into_iter().map(|t| {
        let defaults = defaults.clone();
        async move {
            match t {
                Target::Broken(name, d) => CheckResult::failed(&name, "", d),
                Target::Conn(conn) => check_connection(&conn, &defaults).await,
            }
        }
    }))
    .await;

    if a.json {
        let doc = serde_json::json!({ "connections": results });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        let sym = Symbols::for_output(g);
        for r in &results {
            print!("{}", render_line(r, &sym));
        }
    }
    let all_ok = results.iter().all(|r| r.ok);
    Ok(if config_problem {
        EXIT_USAGE
    } else if all_ok {
        EXIT_OK
    } else {
        EXIT_PROBLEM
    })
}

enum Target {
    Conn(Box<crate::config::Connection>),
    Broken(String, Diagnosis),
}

/// One status line per connection, then the diagnosis (what, why, fix) when there is one.
pub fn render_line(r: &CheckResult, sym: &Symbols) -> String {
    let mut out = String::new();
    let badge = if r.ok && r.warnings.is_empty() {
        sym.ok
    } else if r.ok {
        sym.warn
    } else {
        sym.fail
    };
    let server = r
        .server
        .as_ref()
        .map(|s| {
            format!(
                "{} {}{}",
                s.title.as_deref().unwrap_or("Jira"),
                s.version.as_deref().unwrap_or("?"),
                s.deployment_type
                    .as_deref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            )
        })
        .unwrap_or_default();
    let user = r
        .user
        .as_deref()
        .map(|u| format!(" as {u}"))
        .unwrap_or_default();
    out += &format!("{badge} {}  {}{}  {}\n", r.name, server, user, r.url);
    let mut shown = Vec::new();
    if let Some(d) = &r.diagnosis {
        out += &indent(d);
        shown.push(d.clone());
    }
    for w in &r.warnings {
        if !shown.contains(w) {
            out += &indent(w);
        }
    }
    out
}

fn indent(d: &Diagnosis) -> String {
    let mut s = format!("    [{}] {}\n", d.code, d.summary);
    if !d.detail.is_empty() {
        s += &format!("      why: {}\n", d.detail);
    }
    if !d.fix.is_empty() {
        s += &format!("      fix: {}\n", d.fix);
    }
    s
}
