//! `jiralink links NAME`: every application link of the Jira behind admin connection NAME, with
//! its health, authentication, the connections that use it, and the OAuth 1.0a links to migrate;
//! then the OAuth 2.0 incoming links (client id, redirect URLs, scope — never the secret).

use super::style::{paint, use_color, Symbols, Tone};
use super::{load_config, print_out, Global, EXIT_CANNOT_RUN, EXIT_OK, EXIT_PROBLEM, EXIT_USAGE};
use crate::jira::JiraClient;
use crate::lifecycle::links::{inventory, Inventory, LinkRow};

/// `links --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum LinksFormat {
    #[default]
    Table,
    Json,
}

/// Arguments of `links`.
#[derive(Debug, clap::Args)]
pub struct LinksArgs {
    /// An admin connection to the Jira whose links to list.
    pub name: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LinksFormat::Table)]
    pub format: LinksFormat,
}

/// Run `links`: 0 every link works, 1 a link is broken or flagged, 2 usage/config, 3 could not
/// list.
pub async fn run(g: &Global, a: LinksArgs) -> anyhow::Result<u8> {
    let (_paths, cfg) = load_config(g)?;
    let conn = match cfg.require_connection(&a.name) {
        Ok(c) => c.clone(),
        Err(e) => {
            eprintln!("jiralink: {e}");
            return Ok(EXIT_USAGE);
        }
    };
    let opts = match conn.client_options_async(&cfg.defaults).await {
        Ok(o) => o,
        Err(e) => {
            eprintln!("jiralink: {}", e.diagnosis());
            return Ok(EXIT_USAGE);
        }
    };
    let client = match JiraClient::new(opts) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("jiralink: {}", e.diagnose());
            return Ok(EXIT_USAGE);
        }
    };
    let inv = match inventory(&client, &cfg.connections).await {
        Ok(i) => i,
        Err(d) => {
            eprintln!(
                "jiralink: cannot list the application links of \"{}\":\n{d}",
                a.name
            );
            return Ok(EXIT_CANNOT_RUN);
        }
    };
    let text = match a.format {
        LinksFormat::Json => serde_json::to_string_pretty(&inv)? + "\n",
        LinksFormat::Table => render(&inv, &Symbols::for_output(g.ascii), use_color(g.color)),
    };
    print_out(&text)?;
    Ok(if inv.links.iter().all(LinkRow::is_sound) {
        EXIT_OK
    } else {
        EXIT_PROBLEM
    })
}

/// Server text without control characters (a link name must not move the cursor).
fn clean(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

/// The human listing: one block per link, then a summary line.
pub fn render(inv: &Inventory, sym: &Symbols, color: bool) -> String {
    let mut out = format!("Application links of {}\n", clean(&inv.jira));
    if inv.links.is_empty() {
        out += "  (none)\n";
    }
    for r in &inv.links {
        let (symbol, tone) = match (r.is_healthy(), r.status.is_some()) {
            (true, _) => (sym.ok, Tone::Ok),
            (false, true) => (sym.fail, Tone::Fail),
            (false, false) => (sym.warn, Tone::Warn),
        };
        out += &format!(
            "\n{} {} ({})  {}\n",
            paint(symbol, tone, color),
            clean(&r.link.name),
            clean(&r.link.r#type),
            clean(&r.link.display_url)
        );
        let mut status = r.health_label().to_string();
        if let Some(s) = &r.status {
            let extra: Vec<String> = [&s.category, &s.error_type, &s.details]
                .into_iter()
                .flatten()
                .map(|t| clean(t))
                .collect();
            if !extra.is_empty() && !r.is_healthy() {
                status += &format!(" ({})", extra.join(", "));
            }
        }
        if let Some(d) = &r.status_error {
            status += &format!(" (status not readable: [{}] {})", d.code, d.summary);
        }
        out += &format!("    status:    {}\n", paint(&status, tone, color));
        let (incoming, outgoing) = r.auth_words();
        out += &format!("    incoming:  {}\n", clean(&incoming));
        out += &format!("    outgoing:  {}\n", clean(&outgoing));
        if !r.connections.is_empty() {
            out += &format!("    used by:   {}\n", r.connections.join(", "));
        }
        if let Some(d) = &r.missing_consumer {
            out += &format!(
                "    {} [{}] {}\n        why: {}\n        fix: {}\n",
                paint(sym.fail, Tone::Fail, color),
                d.code,
                clean(&d.summary),
                d.detail,
                clean(&d.fix)
            );
        }
        if let Some(m) = &r.migrate_to_oauth2 {
            out += &format!(
                "    {} migrate to OAuth 2.0: {}\n",
                paint(sym.warn, Tone::Warn, color),
                m.reason
            );
            for (i, s) in m.steps.iter().enumerate() {
                out += &format!("        {}. {s}\n", i + 1);
            }
        }
    }
    out += "\nOAuth 2.0 incoming links\n";
    match &inv.oauth2_note {
        Some(n) => out += &format!("  {}\n", clean(n)),
        None if inv.oauth2_clients.is_empty() => out += "  (none)\n",
        None => {}
    }
    for r in &inv.oauth2_clients {
        let c = &r.client;
        out += &format!(
            "\n{} {}  client id {}\n",
            paint(sym.ok, Tone::Ok, color),
            clean(&c.name),
            clean(&c.client_id)
        );
        let redirects: Vec<String> = c.redirects.iter().map(|u| clean(u)).collect();
        out += &format!(
            "    redirect:  {}\n",
            if redirects.is_empty() {
                "-".to_string()
            } else {
                redirects.join(", ")
            }
        );
        out += &format!("    scope:     {}\n", clean(&c.scope));
        if !r.connections.is_empty() {
            out += &format!("    used by:   {}\n", r.connections.join(", "));
        }
    }
    if !inv.unmatched_oauth2_connections.is_empty() {
        out += &format!(
            "\n{} OAuth 2.0 connections whose client id no incoming link holds (deleted link?): {}\n",
            paint(sym.warn, Tone::Warn, color),
            inv.unmatched_oauth2_connections.join(", ")
        );
    }
    if !inv.unmatched_connections.is_empty() {
        out += &format!(
            "\n{} OAuth 1.0a connections with no link holding their consumer key: {}\n",
            paint(sym.warn, Tone::Warn, color),
            inv.unmatched_connections.join(", ")
        );
    }
    let broken = inv.links.iter().filter(|r| !r.is_healthy()).count();
    let legacy = inv
        .links
        .iter()
        .filter(|r| r.migrate_to_oauth2.is_some())
        .count();
    let no_consumer = inv
        .links
        .iter()
        .filter(|r| r.missing_consumer.is_some())
        .count();
    out += &format!(
        "\n{} link(s): {} not working, {} with incoming OAuth 1.0a to migrate, {} with OAuth on and no consumer; {} OAuth 2.0 incoming link(s)\n",
        inv.links.len(),
        broken,
        legacy,
        no_consumer,
        inv.oauth2_clients.len()
    );
    out
}
