//! `jiralink audit`: which projects the integration user can see and use, why not, and the fix.
//! The same `audit::run` and `Report` as the TUI checker; this file only picks clients and prints.
use super::style::{self, use_ascii, use_color};
use super::{
    load_config, print_out, write_output, Global, MonitorFormat as Format, EXIT_CANNOT_RUN,
    EXIT_USAGE,
};
use crate::audit::{self, AuditError, AuditRequest, Progress, Report};
use crate::config::Config;
use crate::jira::{Diagnosis, JiraClient};
use std::io::IsTerminal;
use std::time::Duration;

/// Arguments of `audit`.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// The connection of the integration user (optional with --admin and --user).
    pub subject: Option<String>,
    /// An admin connection: audit every project from the permission schemes.
    #[arg(long)]
    pub admin: Option<String>,
    /// The username to audit through the admin connection.
    #[arg(long)]
    pub user: Option<String>,
    /// Required permissions, comma-separated (default from config).
    #[arg(long, value_delimiter = ',')]
    pub require: Vec<String>,
    /// Only these projects (repeatable).
    #[arg(long = "project")]
    pub projects: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Concurrent requests (default from config).
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Re-run every SECS seconds and report what changed.
    #[arg(long, value_name = "SECS", conflicts_with = "out")]
    pub watch: Option<u64>,
    /// At most N requests a second per connection (for a Jira that announces no rate limit;
    /// an announced or learned limit still applies when it is lower).
    #[arg(long, value_name = "N")]
    pub max_rate: Option<f64>,
    /// Write the report to FILE atomically instead of stdout (e.g. a `.prom` file in
    /// node_exporter's textfile directory with --format prometheus).
    #[arg(long, value_name = "FILE")]
    pub out: Option<std::path::PathBuf>,
}

/// Run `audit`.
pub async fn run(g: &Global, a: AuditArgs) -> anyhow::Result<u8> {
    // Who can be audited is the core's rule; refuse before any secret is resolved.
    if let Some(problem) =
        audit::choice_problem(a.subject.is_some(), a.admin.is_some(), a.user.is_some())
    {
        eprintln!(
            "jiralink: {problem}\naudit needs the integration user's connection (`jiralink audit SUBJECT`), or an admin connection and a username (`--admin ADMIN --user USERNAME`)"
        );
        return Ok(EXIT_USAGE);
    }
    if let Some(r) = a.max_rate {
        if !(r.is_finite() && r > 0.0) {
            eprintln!("jiralink: --max-rate takes a positive number of requests a second");
            return Ok(EXIT_USAGE);
        }
    }
    if a.watch == Some(0) {
        eprintln!("jiralink: --watch takes a positive number of seconds");
        return Ok(EXIT_USAGE);
    }
    let (_paths, cfg) = load_config(g)?;
    let subject = match &a.subject {
        Some(name) => match client_for(&cfg, name).await {
            Ok(c) => Some(c),
            Err(code) => return Ok(code),
        },
        None => None,
    };
    let admin = match &a.admin {
        Some(name) => match client_for(&cfg, name).await {
            Ok(c) => Some(c),
            Err(code) => return Ok(code),
        },
        None => None,
    };
    for c in subject.iter().chain(admin.iter()) {
        c.set_max_rate(a.max_rate);
    }
    let req = AuditRequest::from_choices(
        a.subject.as_deref().zip(subject),
        a.admin.as_deref().zip(admin),
        a.user.clone(),
        a.require.clone(),
        a.projects.clone(),
        a.concurrency,
        &cfg.defaults,
    );

    let mut out = Output::new(g, a.format);
    out.file = a.out.clone();
    if out.file.is_some() {
        out.color = false;
    }
    out.fix = audit::fix::FixOptions::from_settings(&cfg.fix);
    let Some(secs) = a.watch else {
        return Ok(match run_finished(&req, &out, true).await {
            Ok(finished) => {
                out.print_finished(&finished)?;
                finished.report.exit_code()
            }
            Err(e) => {
                let code = out.print_failure(&e);
                if out.format == Format::Prometheus {
                    // The failure as metrics too, so monitoring sees it instead of stale numbers.
                    let text = crate::metrics::prometheus::audit_failed(
                        &req.connection,
                        &e.diagnosis(),
                        std::time::SystemTime::now(),
                    );
                    write_output(out.file.as_deref(), &text)?;
                }
                code
            }
        });
    };
    watch(req, out, Duration::from_secs(secs)).await
}

/// The live loop: a full report first, then only what changed on each run, until Ctrl-C.
async fn watch(req: AuditRequest, out: Output, every: Duration) -> anyhow::Result<u8> {
    let mut last: Option<Report> = None;
    loop {
        let code = match run_once(&req, &out).await {
            Ok(report) => {
                match &last {
                    // Every `--watch --format json` run is one line, the first included.
                    None => out.print_report(&report, true)?,
                    Some(old) => out.print_changes(old, &report)?,
                }
                let code = report.exit_code();
                last = Some(report);
                code
            }
            Err(e) => out.print_failure(&e),
        };
        if out.human() {
            eprintln!("-- next run in {}s (Ctrl-C to stop)", every.as_secs());
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = tokio::signal::ctrl_c() => return Ok(code),
        }
    }
}

async fn run_once(req: &AuditRequest, out: &Output) -> Result<Report, AuditError> {
    run_finished(req, out, false)
        .await
        .map(audit::stream::Finished::into_report)
}

/// One run whose fixes go on the rows as they are printed ([`Output::print_finished`]); with
/// `spill`, the rows wait in a temporary file instead of memory.
async fn run_finished(
    req: &AuditRequest,
    out: &Output,
    spill: bool,
) -> Result<audit::stream::Finished, AuditError> {
    let bar = style::progress_bar(out.progress, "projects");
    let clients: Vec<JiraClient> = req.subject.iter().chain(&req.admin).cloned().collect();
    let progress = {
        let bar = bar.clone();
        let clients = clients.clone();
        move |p: Progress| {
            bar.set_length(p.total as u64);
            bar.set_position(p.done as u64);
            let n = crate::text::count(p.requests, "request");
            bar.set_message(match pacing_of(&clients) {
                Some(pacing) => format!("{n}, {pacing}"),
                None => n,
            });
        }
    };
    // Admin-assisted: each missing verdict gets its least-privilege fix with exact gains.
    let result = if spill {
        // Metrics carry no fixes: plan none.
        let fix = (out.format != Format::Prometheus).then_some(&out.fix);
        audit::stream::run_finished_spilled(req.clone(), progress, fix).await
    } else {
        audit::stream::run_finished(req.clone(), progress, &out.fix).await
    };
    bar.finish_and_clear();
    if out.human() {
        if let Some(pacing) = pacing_of(&clients) {
            eprintln!("jiralink: {pacing}");
        }
    }
    result
}

/// The slowest pacing in force among the run's clients ("paced by Jira's rate limit: 10
/// requests/s"), if any.
fn pacing_of(clients: &[JiraClient]) -> Option<crate::jira::pace::Pacing> {
    clients
        .iter()
        .filter_map(JiraClient::pacing)
        .min_by(|a, b| a.per_second.total_cmp(&b.per_second))
}

/// Build a client for a configured connection, or print why not and return the exit code.
pub(crate) async fn client_for(cfg: &Config, name: &str) -> Result<JiraClient, u8> {
    if let Some((_, err)) = cfg.connection_errors.iter().find(|(n, _)| n == name) {
        eprintln!("jiralink: {}", safe(&err.diagnosis().to_string()));
        return Err(EXIT_USAGE);
    }
    let Some(conn) = cfg.connection(name) else {
        let names: Vec<&str> = cfg.connections.iter().map(|c| c.name.as_str()).collect();
        eprintln!(
            "jiralink: no connection named \"{name}\" (configured: {})",
            if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            }
        );
        return Err(EXIT_USAGE);
    };
    crate::connect::client_for(conn, &cfg.defaults)
        .await
        .map_err(|e| {
            eprintln!("jiralink: {}", safe(&e.diagnosis().to_string()));
            match e {
                crate::connect::ConnectError::Config(_) => EXIT_USAGE,
                crate::connect::ConnectError::Client(_) => EXIT_CANNOT_RUN,
            }
        })
}

/// One `--watch --format json` line after the first. Serialized from borrows: a `json!` value
/// would first copy the whole report into a tree.
#[derive(serde::Serialize)]
struct WatchLine<'a> {
    changes: &'a audit::ReportDiff,
    summary: &'a audit::Summary,
    report: &'a Report,
}

/// Where and how results are printed.
struct Output {
    format: Format,
    color: bool,
    ascii: bool,
    width: usize,
    /// Whether to draw the progress bar (the CLI-wide rule in `style::show_progress`).
    progress: bool,
    /// `--out`: the file the report goes to instead of stdout.
    file: Option<std::path::PathBuf>,
    /// The config's `[fix]` settings, for the structured fix of each missing verdict.
    fix: audit::fix::FixOptions,
}

impl Output {
    fn new(g: &Global, format: Format) -> Self {
        // A terminal tells its width; a pipe or file gets `COLUMNS` when set (as `ls` and `ps`
        // do), else 80 so a redirected report still reads on any screen and in e-mail.
        let columns = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|c| *c > 0);
        let width = if std::io::stdout().is_terminal() {
            crossterm::terminal::size()
                .map(|(w, _)| w as usize)
                .ok()
                .or(columns)
                .unwrap_or(80)
        } else {
            columns.unwrap_or(80)
        };
        Output {
            format,
            color: use_color(g.color),
            ascii: use_ascii(g.ascii),
            width,
            // Progress only for a person watching: stderr is a terminal and the output is a table.
            progress: style::show_progress(format == Format::Table),
            file: None,
            fix: audit::fix::FixOptions::default(),
        }
    }

    fn human(&self) -> bool {
        self.format == Format::Table
    }

    /// Print a full report; `one_line` JSON for `--watch`, whose output is one document a line.
    /// Through `print_out`, so a reader that leaves (`| head`) ends the run without a panic.
    fn print_report(&self, report: &Report, one_line: bool) -> anyhow::Result<()> {
        let text = match self.format {
            Format::Table => crate::shown::terminal(
                &audit::render_table(report, self.width, self.color, self.ascii),
                self.color,
                Some(crate::shown::MAX_LINE_CHARS),
            )
            .into_owned(),
            Format::Json if self.file.is_none() => return Ok(write_json(report, !one_line)?),
            Format::Json if one_line => serde_json::to_string(report)? + "\n",
            Format::Json => serde_json::to_string_pretty(report)? + "\n",
            // Control characters escaped, as `print_csv` does.
            Format::Csv => {
                crate::shown::terminal(&audit::render_csv(report), false, None).into_owned()
            }
            Format::Prometheus => {
                crate::metrics::prometheus::audit(report, std::time::SystemTime::now())
            }
        };
        write_output(self.file.as_deref(), &text)
    }

    /// Print a finished run with its rows written a chunk at a time, each chunk with its fixes:
    /// the whole annotated report never sits in memory (nor its text, except for metrics, which
    /// carry no fixes).
    fn print_finished(&self, finished: &audit::stream::Finished) -> anyhow::Result<()> {
        let report = &finished.report;
        let write = |w: &mut dyn std::io::Write| -> std::io::Result<()> {
            match self.format {
                Format::Table => {
                    let table =
                        audit::render::Table::new(report, self.width, self.color, self.ascii);
                    let shown = |text: &str| -> String {
                        crate::shown::terminal(text, self.color, Some(crate::shown::MAX_LINE_CHARS))
                            .into_owned()
                    };
                    w.write_all(shown(&table.header()).as_bytes())?;
                    finished
                        .for_each_chunk(|rows| w.write_all(shown(&table.rows(rows)).as_bytes()))?;
                    w.write_all(shown(&table.footer(report)).as_bytes())
                }
                Format::Json => {
                    serde_json::to_writer_pretty(&mut *w, finished)
                        .map_err(std::io::Error::from)?;
                    w.write_all(b"\n")
                }
                // Control characters escaped, as `print_csv` does.
                Format::Csv => {
                    let shown = |text: &str| crate::shown::terminal(text, false, None).into_owned();
                    w.write_all(shown(&audit::render::csv_header(&report.required)).as_bytes())?;
                    finished.for_each_chunk(|rows| {
                        w.write_all(
                            shown(&audit::render::csv_rows(&report.required, rows)).as_bytes(),
                        )
                    })
                }
                // Every family reads the rows again (from the temporary file when spilled).
                Format::Prometheus => {
                    let text = crate::metrics::prometheus::audit_rows(
                        report,
                        std::time::SystemTime::now(),
                        &mut |f| {
                            finished.for_each_chunk(|rows| {
                                rows.iter().for_each(&mut *f);
                                Ok::<_, std::io::Error>(())
                            })
                        },
                    )?;
                    w.write_all(text.as_bytes())
                }
            }
        };
        match self.file.as_deref() {
            Some(path) => crate::paths::write_secret_file_with(path, write)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display())),
            // Errors stay `io::Error`s, so a reader that leaves early (`| head`) is still
            // recognised as a broken pipe at the edge.
            None => {
                use std::io::Write;
                let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
                write(&mut out)?;
                out.flush()?;
                Ok(())
            }
        }
    }

    fn print_changes(&self, old: &Report, new: &Report) -> anyhow::Result<()> {
        let d = audit::diff(old, new);
        let text = match self.format {
            Format::Table => {
                let now = time::OffsetDateTime::now_utc();
                format!(
                    "== {:02}:{:02}:{:02} UTC: {} ok, {} missing, {} invisible, {} errors\n{}",
                    now.hour(),
                    now.minute(),
                    now.second(),
                    new.summary.ok,
                    new.summary.missing,
                    new.summary.invisible,
                    new.summary.errors,
                    audit::render_diff(&d)
                )
            }
            // One JSON document per line, so `--watch --format json` feeds line-based monitoring.
            Format::Json => format!(
                "{}\n",
                serde_json::to_string(&WatchLine {
                    changes: &d,
                    summary: &new.summary,
                    report: new,
                })?
            ),
            Format::Csv => audit::render_csv(new),
            // Metrics are a state, not a change: every run writes them all.
            Format::Prometheus => {
                crate::metrics::prometheus::audit(new, std::time::SystemTime::now())
            }
        };
        match self.format {
            Format::Json | Format::Prometheus => print_out(&text)?,
            Format::Csv => super::print_csv(&text)?,
            Format::Table => super::print_table(&text, self.color)?,
        }
        Ok(())
    }

    /// Print why the audit could not run; returns the exit code: a bad request (unknown
    /// permission, missing username) is a usage error, anything Jira did is "could not run".
    fn print_failure(&self, e: &AuditError) -> u8 {
        let d: Diagnosis = e.diagnosis();
        match e {
            AuditError::Jira { during, .. } => {
                eprintln!("jiralink: the audit could not run ({during})\n{d}");
                EXIT_CANNOT_RUN
            }
            AuditError::UnknownPermission { .. } | AuditError::InvalidRequest(_) => {
                eprintln!("jiralink: {d}");
                EXIT_USAGE
            }
        }
    }
}

/// A report as JSON, streamed to stdout: a 50,000-project report is ~80 MB of text that need not
/// sit in memory beside the report itself. Errors stay `io::Error`s, so a reader that leaves
/// early (`| head`) is still recognised as a broken pipe at the edge.
fn write_json(report: &Report, pretty: bool) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    if pretty {
        serde_json::to_writer_pretty(&mut out, report)
    } else {
        serde_json::to_writer(&mut out, report)
    }
    .map_err(std::io::Error::from)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// A message that quotes Jira, made safe for the terminal.
fn safe(text: &str) -> std::borrow::Cow<'_, str> {
    crate::shown::terminal(text, false, Some(crate::shown::MAX_LINE_CHARS))
}
