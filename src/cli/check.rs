//! `jiralink check`: the explained status of each connection, checked concurrently.
use super::style::{paint, progress_bar, show_progress, use_color, Symbols, Tone};
use super::{
    csv_record, load_config, write_output, Global, MonitorFormat as Format, EXIT_OK, EXIT_PROBLEM,
    EXIT_USAGE,
};
use crate::check::{check_connection, CheckResult};
use crate::jira::Diagnosis;

/// How many connections `check` probes at once.
pub const CHECK_CONCURRENCY: usize = 8;

/// Arguments of `check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Connections to check (default: all).
    pub names: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Same as --format json (kept for scripts written against 0.1).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Write the output to FILE atomically instead of stdout (e.g. a `.prom` file in
    /// node_exporter's textfile directory with --format prometheus).
    #[arg(long, value_name = "FILE")]
    pub out: Option<std::path::PathBuf>,
}

impl CheckArgs {
    /// The format in force: `--json` is an alias of `--format json`.
    pub fn effective_format(&self) -> Format {
        if self.json {
            Format::Json
        } else {
            self.format
        }
    }
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
    let format = a.effective_format();
    let defaults = cfg.defaults.clone();
    // One connection answers fast or fails with a diagnosis; a bar only helps with several.
    let bar = progress_bar(
        targets.len() > 1 && show_progress(format == Format::Table),
        "connections",
    );
    bar.set_length(targets.len() as u64);
    // At most CHECK_CONCURRENCY connections at once, in order: each is a handful of small
    // answers (capped at 1 MiB each, `jira::client::answer_cap`), so a check of any number of
    // hostile servers stays bounded in memory (issue 14 §3).
    let results: Vec<CheckResult> = futures::StreamExt::collect(futures::StreamExt::buffered(
        futures::stream::iter(targets.into_iter().map(|t| {
            let defaults = defaults.clone();
            let bar = bar.clone();
            async move {
                let r = match t {
                    Target::Broken(name, d) => CheckResult::failed(&name, "", d),
                    Target::Conn(conn) => check_connection(&conn, &defaults).await,
                };
                bar.inc(1);
                bar.set_message(format!("(last: {})", r.name));
                r
            }
        })),
        CHECK_CONCURRENCY,
    ))
    .await;
    bar.finish_and_clear();

    // Human output made safe for a terminal (`print_table`'s rule), CSV with control characters
    // escaped (`print_csv`'s), then to stdout or, with --out, atomically to the file.
    let color = use_color(g.color) && a.out.is_none();
    let text = match format {
        Format::Json => {
            let doc = serde_json::json!({ "connections": results });
            serde_json::to_string_pretty(&doc)? + "\n"
        }
        Format::Csv => crate::shown::terminal(&render_csv(&results), false, None).into_owned(),
        // Expiry as `check` found it (PATs from Jira's list, others from the config).
        Format::Prometheus => crate::metrics::prometheus::check(&results, &|name| {
            results
                .iter()
                .find(|r| r.name == name)
                .and_then(|r| r.expires_at.clone())
                .or_else(|| {
                    cfg.connection(name)
                        .and_then(|c| c.token_expires_at.clone())
                })
        }),
        Format::Table => {
            let sym = Symbols::for_output(g.ascii);
            let text: String = results
                .iter()
                .map(|r| render_line_styled(r, &sym, color))
                .collect();
            crate::shown::terminal(&text, color, Some(crate::shown::MAX_LINE_CHARS)).into_owned()
        }
    };
    write_output(a.out.as_deref(), &text)?;
    // A credential about to expire still works, but it is a problem to act on (exit 1).
    let all_ok = results.iter().all(|r| r.ok && !r.credential_expiring());
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
    render_line_styled(r, sym, false)
}

/// [`render_line`] with the status symbol coloured when `color` is on (the symbol stays).
pub fn render_line_styled(r: &CheckResult, sym: &Symbols, color: bool) -> String {
    let mut out = String::new();
    let (badge, tone) = match status(r) {
        "ok" => (sym.ok, Tone::Ok),
        "warning" => (sym.warn, Tone::Warn),
        _ => (sym.fail, Tone::Fail),
    };
    let badge = paint(badge, tone, color);
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

/// `ok`, `warning` or `error`: the one-word status used in CSV and by the table's symbol.
pub fn status(r: &CheckResult) -> &'static str {
    if r.ok && r.warnings.is_empty() {
        "ok"
    } else if r.ok {
        "warning"
    } else {
        "error"
    }
}

/// Column names of `check --format csv`, in order.
pub const CSV_HEADER: [&str; 11] = [
    "name",
    "url",
    "status",
    "server_version",
    "deployment_type",
    "user",
    "clock_skew_secs",
    "code",
    "summary",
    "fix",
    "warnings",
];

/// One row per connection; `code`/`summary`/`fix` are the diagnosis, `warnings` their codes.
pub fn render_csv(results: &[CheckResult]) -> String {
    let mut out = csv_record(&CSV_HEADER);
    for r in results {
        let server = r.server.as_ref();
        let d = r.diagnosis.as_ref();
        let warnings: Vec<String> = r.warnings.iter().map(|w| w.code.to_string()).collect();
        out += &csv_record(&[
            r.name.clone(),
            r.url.clone(),
            status(r).to_owned(),
            server.and_then(|s| s.version.clone()).unwrap_or_default(),
            server
                .and_then(|s| s.deployment_type.clone())
                .unwrap_or_default(),
            r.user.clone().unwrap_or_default(),
            r.clock_skew_secs.map(|s| s.to_string()).unwrap_or_default(),
            d.map(|d| d.code.to_string()).unwrap_or_default(),
            d.map(|d| d.summary.clone()).unwrap_or_default(),
            d.map(|d| d.fix.clone()).unwrap_or_default(),
            warnings.join(" "),
        ]);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jira::Code;

    fn result(ok: bool) -> CheckResult {
        let mut r = CheckResult::failed(
            "prod",
            "https://jira.example.com",
            Diagnosis::error(
                Code::Timeout,
                "no answer",
                "waited 20 s",
                "raise timeout_secs",
            ),
        );
        r.ok = ok;
        if ok {
            r.diagnosis = None;
        }
        r
    }

    #[test]
    fn colour_is_a_second_channel_only() {
        let r = result(false);
        let plain = render_line_styled(&r, &Symbols::UNICODE, false);
        assert_eq!(plain, render_line(&r, &Symbols::UNICODE));
        assert!(
            plain.starts_with("✗ prod") && !plain.contains('\u{1b}'),
            "{plain}"
        );
        let coloured = render_line_styled(&r, &Symbols::ASCII, true);
        assert!(
            coloured.contains("[x]") && coloured.contains('\u{1b}'),
            "{coloured:?}"
        );
        assert!(coloured.contains("[timeout] no answer"), "{coloured}");
    }

    #[test]
    fn csv_has_one_row_per_connection_with_the_diagnosis() {
        let csv = render_csv(&[result(true), result(false)]);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], CSV_HEADER.join(","));
        assert_eq!(lines[1], "prod,https://jira.example.com,ok,,,,,,,,");
        assert_eq!(
            lines[2],
            "prod,https://jira.example.com,error,,,,,timeout,no answer,raise timeout_secs,"
        );
        assert_eq!(lines[3], "");
    }
}
