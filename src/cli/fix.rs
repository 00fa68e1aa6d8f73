//! `jiralink fix`: plan the least-privilege changes for every missing required permission, show
//! them as the REST calls with their exact gains, apply them (with `--yes` or a confirmation on a
//! terminal) with a journal and rollback, re-audit, and undo a journal with `--undo ID`.
//! The planning, applying and undoing live in the core (`audit::fix`); this file picks clients,
//! asks and prints.
use super::{
    load_config, print_out, Format, Global, EXIT_CANNOT_RUN, EXIT_OK, EXIT_PROBLEM, EXIT_USAGE,
};
use crate::audit::fix::{self, journal, ApplyEvent, FixOptions};
use crate::audit::{self, AuditRequest};
use crate::jira::JiraClient;
use std::io::{BufRead, IsTerminal, Write};

/// Arguments of `fix`.
#[derive(Debug, clap::Args)]
pub struct FixArgs {
    /// The integration user: a configured connection, or a username (audited through --admin).
    #[arg(required_unless_present = "undo")]
    pub subject: Option<String>,
    /// A Jira administrator's connection: reads the schemes and makes the changes.
    #[arg(long, required = true)]
    pub admin: Option<String>,
    /// Only these projects (repeatable).
    #[arg(long = "project")]
    pub projects: Vec<String>,
    /// Required permissions, comma-separated (default from config).
    #[arg(long, value_delimiter = ',')]
    pub require: Vec<String>,
    /// Show the plan, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Apply without asking.
    #[arg(long)]
    pub yes: bool,
    /// Output format (table or json).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Revert the fix journal ID (printed after `undo:` when a fix is applied; `last` = the most
    /// recent fix with something left to undo).
    #[arg(long, value_name = "ID", conflicts_with_all = ["subject", "dry_run", "projects", "require"])]
    pub undo: Option<String>,
    /// Name of the dedicated role to create (default: config `[fix] role_name`, else "Integration").
    #[arg(long, value_name = "NAME")]
    pub role_name: Option<String>,
    /// Never create a project role (config `[fix] create_roles = false`).
    #[arg(long)]
    pub no_create_role: bool,
    /// Concurrent requests (default from config).
    #[arg(long)]
    pub concurrency: Option<usize>,
}

fn err(msg: impl std::fmt::Display) {
    eprintln!("jiralink: {msg}");
}

/// Run `fix`.
pub async fn run(g: &Global, a: FixArgs) -> anyhow::Result<u8> {
    if a.format == Format::Csv {
        err("fix prints a table or JSON (--format table|json)");
        return Ok(EXIT_USAGE);
    }
    let (paths, cfg) = load_config(g)?;
    let Some(admin_name) = a.admin.clone() else {
        err("fix needs --admin ADMIN (a Jira administrator's connection)");
        return Ok(EXIT_USAGE);
    };
    let admin = match super::audit::client_for(&cfg, &admin_name).await {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let dir = journal::dir_in(&paths.state_dir);
    if let Some(id) = &a.undo {
        return undo(&a, &admin, &dir, id).await;
    }
    let subject_arg = a.subject.clone().unwrap_or_default();
    let (subject, username) = if cfg.connection(&subject_arg).is_some() {
        match super::audit::client_for(&cfg, &subject_arg).await {
            Ok(c) => (Some((subject_arg.as_str(), c)), None),
            Err(code) => return Ok(code),
        }
    } else {
        (None, Some(subject_arg.clone()))
    };
    let mut opts = FixOptions::from_settings(&cfg.fix);
    if let Some(name) = &a.role_name {
        opts.role_name = name.clone();
    }
    if a.no_create_role {
        opts.allow_create_role = false;
    }
    let req = AuditRequest::from_choices(
        subject,
        Some((admin_name.as_str(), admin.clone())),
        username,
        a.require.clone(),
        a.projects.clone(),
        a.concurrency,
        &cfg.defaults,
    );
    let human = a.format == Format::Table;
    let concurrency = req.concurrency;
    // The audit's reads are kept for the planner (nothing is read twice).
    let (report, recorder) = match fix::audit_recorded(req.clone(), |_| {}).await {
        Ok((r, rec)) => (r, rec.unwrap_or_else(|| fix::Recorder::new(admin.clone()))),
        Err(e) => {
            let d = e.diagnosis();
            return Ok(match e {
                audit::AuditError::Jira { during, .. } => {
                    eprintln!("jiralink: fix could not run ({during}); nothing changed\n{d}");
                    EXIT_CANNOT_RUN
                }
                _ => {
                    eprintln!("jiralink: {d}");
                    EXIT_USAGE
                }
            });
        }
    };
    let snap = match fix::gather(&report, &recorder, &opts, concurrency).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("jiralink: fix could not plan; nothing changed: {e}");
            if let fix::snapshot::GatherError::Jira { error, .. } = &e {
                eprintln!("{}", safe(&error.diagnose().to_string()));
            }
            return Ok(EXIT_CANNOT_RUN);
        }
    };
    let plan = fix::plan(&snap, &opts);
    if plan.missing.is_empty() {
        if human {
            super::print_table(
                &format!(
                "nothing to fix: {} holds every required permission ({}) in the audited projects\n",
                report.user.name,
                report.required.join(", ")
            ),
                false,
            )?;
        } else {
            print_json(&serde_json::json!({"plan": plan, "applied": false}))?;
        }
        return Ok(EXIT_OK);
    }
    if human {
        super::print_table(&fix::render_plan(&plan), false)?;
    }
    if plan.changes.is_empty() {
        if !human {
            print_json(&serde_json::json!({"plan": plan, "applied": false}))?;
        }
        err("no change grants what is missing without admin-class rights; nothing changed");
        return Ok(EXIT_PROBLEM);
    }
    if a.dry_run {
        if !human {
            print_json(&serde_json::json!({"plan": plan, "applied": false, "dry_run": true}))?;
        } else {
            print_out("dry run: nothing changed\n")?;
        }
        return Ok(EXIT_PROBLEM);
    }
    if !a.yes {
        if !std::io::stdin().is_terminal() {
            err("not applying without --yes when stdin is not a terminal (or use --dry-run to only see the plan)");
            return Ok(EXIT_USAGE);
        }
        if !confirm(&format!(
            "apply these {} change(s) to Jira? [y/N] ",
            plan.changes.len()
        ))? {
            eprintln!("not applied; nothing changed");
            return Ok(EXIT_PROBLEM);
        }
    }
    let events = |e: ApplyEvent| match e {
        ApplyEvent::Step { index, total, call } if human => {
            eprintln!("[{}/{}] {call}", index + 1, total)
        }
        ApplyEvent::RollingBack { count } => eprintln!("rolling back {count} applied change(s)"),
        ApplyEvent::Reverted { call } if human => eprintln!("  reverted: {call}"),
        _ => {}
    };
    // The writes go over fresh connections: planning a large instance can take longer than the
    // server keeps an idle connection open (Tomcat's keep-alive default is 20 s, the simulator's
    // 10 s), and a POST is not retried on a connection the server had already closed.
    let writer = match super::audit::client_for(&cfg, &admin_name).await {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let (j, res) = fix::job::apply_journaled(&writer, &admin_name, &plan, &dir, &events).await;
    if let Err(e) = res {
        eprintln!("jiralink: the fix stopped at {}\n{}", e.call, e.diagnosis);
        if e.rolled_back {
            eprintln!("everything applied before it was rolled back; Jira is as it was");
        } else {
            eprintln!(
                "rollback incomplete ({}); revert the rest with: jiralink fix --undo {} --admin {admin_name} --yes",
                e.rollback_failures.join("; "),
                j.id
            );
        }
        if !human {
            print_json(
                &serde_json::json!({"plan": plan, "applied": false, "error": e.diagnosis, "journal": j.id}),
            )?;
        }
        return Ok(EXIT_CANNOT_RUN);
    }
    let undo_line = format!(
        "undo: jiralink fix --undo {} --admin {admin_name} --yes",
        j.id
    );
    // Re-audit the projects that had a gap.
    let mut projects: Vec<String> = plan.missing.iter().map(|t| t.project.clone()).collect();
    projects.dedup();
    let mut again = req.clone();
    again.projects = projects;
    let after = audit::run(again, |_| {}).await;
    let (code, still): (u8, Vec<String>) = match &after {
        Ok(r) => {
            let still: Vec<String> = r
                .projects
                .iter()
                .filter(|p| !p.ok)
                .map(|p| p.key.clone())
                .collect();
            (
                if still.is_empty() {
                    EXIT_OK
                } else {
                    EXIT_PROBLEM
                },
                still,
            )
        }
        Err(e) => {
            eprintln!("jiralink: the re-audit failed: {}", e.diagnosis());
            (EXIT_PROBLEM, Vec::new())
        }
    };
    if human {
        let mut s = format!("applied {} change(s); journal {}\n", j.applied.len(), j.id);
        match (&after, still.is_empty()) {
            (Ok(r), true) => s.push_str(&format!(
                "re-audit: {} now holds every required permission in the {} project(s) that missed one\n",
                r.user.name,
                r.projects.len()
            )),
            (Ok(_), false) => s.push_str(&format!("re-audit: still missing in {}\n", still.join(", "))),
            _ => {}
        }
        s.push_str(&undo_line);
        s.push('\n');
        super::print_table(&s, false)?;
    } else {
        print_json(&serde_json::json!({
            "plan": plan,
            "applied": true,
            "journal": j.id,
            "undo": undo_line.trim_start_matches("undo: "),
            "still_missing": still,
        }))?;
        eprintln!("{undo_line}");
    }
    Ok(code)
}

async fn undo(
    a: &FixArgs,
    admin: &JiraClient,
    dir: &std::path::Path,
    id: &str,
) -> anyhow::Result<u8> {
    let mut j = match fix::job::load_for(dir, id, admin) {
        Ok(j) => j,
        Err(d) => {
            eprintln!("jiralink: {d}");
            return Ok(EXIT_USAGE);
        }
    };
    if j.applied.is_empty() {
        print_out(&format!("journal {id} has nothing left to undo\n"))?;
        return Ok(EXIT_OK);
    }
    let human = a.format == Format::Table;
    if human {
        let mut s = format!("undo {} (applied {} by {}):\n", j.id, j.created, j.admin);
        for e in j.applied.iter().rev() {
            s.push_str(&format!("  {}\n", e.rest_call()));
        }
        super::print_table(&s, false)?;
    }
    if !a.yes {
        if !std::io::stdin().is_terminal() {
            err("not undoing without --yes when stdin is not a terminal");
            return Ok(EXIT_USAGE);
        }
        if !confirm(&format!(
            "revert these {} change(s)? [y/N] ",
            j.applied.len()
        ))? {
            eprintln!("nothing changed");
            return Ok(EXIT_PROBLEM);
        }
    }
    let events = |e: ApplyEvent| {
        if let ApplyEvent::Reverted { call } = e {
            if human {
                eprintln!("  reverted: {call}");
            }
        }
    };
    let res = fix::undo_journal(admin, &mut j, &events).await;
    if let Err(e) = j.save_in(dir) {
        err(e);
    }
    match res {
        Ok(()) => {
            if human {
                print_out(&format!("undone: journal {}\n", j.id))?;
            } else {
                print_json(&serde_json::json!({"undone": j.id, "ok": true}))?;
            }
            Ok(EXIT_OK)
        }
        Err(e) => {
            eprintln!("jiralink: {}", safe(&e.diagnosis.to_string()));
            Ok(EXIT_CANNOT_RUN)
        }
    }
}

fn confirm(prompt: &str) -> anyhow::Result<bool> {
    eprint!("{prompt}");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

fn print_json(v: &serde_json::Value) -> anyhow::Result<()> {
    print_out(&format!("{}\n", serde_json::to_string_pretty(v)?))?;
    Ok(())
}

/// A message that quotes Jira, made safe for the terminal (issue 14 §2).
fn safe(text: &str) -> std::borrow::Cow<'_, str> {
    crate::shown::terminal(text, false, Some(crate::shown::MAX_LINE_CHARS))
}
