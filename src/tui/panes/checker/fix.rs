//! The checker's fix flow in a project's explanation, a thin front end over `crate::audit::fix`:
//! `f` plans the least-privilege fix (changes, exact gains, alternatives), `y` asks and then
//! applies it with progress and re-audits so the row turns ✓, `u` undoes the last applied fix and
//! re-audits.

use super::{CheckerMode, CheckerPane};
use crate::audit::fix::{render_plan, ApplyEvent, FixJob, FixOptions, Plan};
use crate::audit::AuditJob;
use crate::jira::Diagnosis;
use crate::tui::action::{Effect, RequestId};
use crate::tui::keymap::Cmd;
use crate::tui::panes::PaneCx;
use crate::tui::theme::Theme;
use ratatui::text::{Line, Span};
use std::path::PathBuf;

/// Where the fix flow is.
#[derive(Debug, Clone)]
pub enum FixState {
    /// Planning the fix for `project`.
    Planning {
        /// The request.
        req: RequestId,
        /// Project key.
        project: String,
    },
    /// The plan for `project`; `confirm` while asking "apply?".
    Planned {
        /// Project key.
        project: String,
        /// The plan.
        plan: Box<Plan>,
        /// Asking for the second `y`.
        confirm: bool,
    },
    /// Applying the plan: the steps so far.
    Applying {
        /// The request.
        req: RequestId,
        /// Project key.
        project: String,
        /// The plan.
        plan: Box<Plan>,
        /// Progress lines.
        steps: Vec<String>,
    },
    /// Applied; `journal` undoes it.
    Applied {
        /// Project key.
        project: String,
        /// The plan applied.
        plan: Box<Plan>,
        /// Its journal id.
        journal: String,
        /// Progress lines.
        steps: Vec<String>,
    },
    /// Undoing journal `journal`.
    Undoing {
        /// The request.
        req: RequestId,
        /// Project key.
        project: String,
        /// Journal id.
        journal: String,
    },
    /// Journal `journal` was undone.
    Undone {
        /// Project key.
        project: String,
        /// Journal id.
        journal: String,
    },
    /// Planning, applying or undoing failed.
    Failed {
        /// Project key.
        project: String,
        /// What failed ("planning", "applying", "undoing").
        what: &'static str,
        /// Why.
        diagnosis: Box<Diagnosis>,
        /// Progress lines up to the failure (rollback included).
        steps: Vec<String>,
    },
}

impl FixState {
    /// The project the state is about.
    pub fn project(&self) -> &str {
        match self {
            FixState::Planning { project, .. }
            | FixState::Planned { project, .. }
            | FixState::Applying { project, .. }
            | FixState::Applied { project, .. }
            | FixState::Undoing { project, .. }
            | FixState::Undone { project, .. }
            | FixState::Failed { project, .. } => project,
        }
    }

    /// The request in flight, if any.
    pub fn running(&self) -> Option<RequestId> {
        match self {
            FixState::Planning { req, .. }
            | FixState::Applying { req, .. }
            | FixState::Undoing { req, .. } => Some(*req),
            _ => None,
        }
    }
}

/// The last fix applied from the checker: what `u` undoes, with the job whose admin applied it.
#[derive(Debug, Clone)]
pub struct AppliedFix {
    /// Journal id.
    pub journal: String,
    /// Project key.
    pub project: String,
    /// The audit job (its admin connection undoes).
    pub job: AuditJob,
}

fn step_text(e: &ApplyEvent) -> String {
    match e {
        ApplyEvent::Step { index, total, call } => format!("[{}/{}] {call}", index + 1, total),
        ApplyEvent::RollingBack { count } => format!("rolling back {count} applied change(s)"),
        ApplyEvent::Reverted { call } => format!("reverted: {call}"),
    }
}

impl CheckerPane {
    /// Journals of fixes applied here go to `dir` (the state dir's `fixes/`).
    pub fn with_fix_dir(mut self, dir: PathBuf) -> Self {
        self.fix_dir = dir;
        self
    }

    /// The fix flow's state.
    pub fn fix_state(&self) -> Option<&FixState> {
        self.fix.as_ref()
    }

    /// The last fix applied here (what `u` undoes).
    pub fn last_fix(&self) -> Option<&AppliedFix> {
        self.last_fix.as_ref()
    }

    /// The job a fix runs with: the setup's choices, which must include an admin connection.
    fn fix_job(&self, cx: &mut PaneCx<'_>) -> Option<AuditJob> {
        let Some(config) = &self.config else {
            cx.status.error = Some("the config is not loaded yet".into());
            return None;
        };
        match self.setup.job(config) {
            Ok(job) if job.admin.is_some() => Some(job),
            Ok(_) => {
                cx.status.error = Some(
                    "a fix needs an admin connection: choose one in the setup (e), then f".into(),
                );
                None
            }
            Err(e) => {
                cx.status.error = Some(e);
                None
            }
        }
    }

    /// The fix keys in an explanation; `None` leaves the command to the detail keys.
    pub(super) fn on_fix_cmd(&mut self, cmd: Cmd, cx: &mut PaneCx<'_>) -> Option<bool> {
        let CheckerMode::Explain { row, .. } = self.mode else {
            return None;
        };
        let busy = self.fix.as_ref().and_then(FixState::running).is_some();
        // Undoing changes Jira like applying does, so it asks first too: the second `u` undoes,
        // any other key keeps the fix.
        let undo_asked = std::mem::take(&mut self.undo_confirm);
        match cmd {
            Cmd::FixPlan => {
                if busy {
                    cx.status.notice = Some("a fix is already running".into());
                    return Some(true);
                }
                let project = self.report.as_ref()?.projects.get(row)?.key.clone();
                let job = self.fix_job(cx)?;
                let req = cx.ids.next_id();
                cx.effects.push(Effect::PlanFix {
                    req,
                    job: Box::new(FixJob {
                        audit: job,
                        projects: vec![project.clone()],
                        opts: self.fix_options(),
                    }),
                });
                self.fix = Some(FixState::Planning { req, project });
                Some(true)
            }
            Cmd::Confirm => {
                let Some(FixState::Planned {
                    project,
                    plan,
                    confirm,
                }) = &mut self.fix
                else {
                    cx.status.notice = Some(if busy {
                        "a fix is already running".into()
                    } else {
                        "press f to plan a fix first".into()
                    });
                    return Some(true);
                };
                if plan.changes.is_empty() {
                    cx.status.notice = Some("nothing to apply".into());
                    return Some(true);
                }
                if !*confirm {
                    *confirm = true;
                    cx.status.notice = Some(format!(
                        "apply {} change(s) to Jira? y = apply, Esc = cancel",
                        plan.changes.len()
                    ));
                    return Some(true);
                }
                let (project, plan) = (project.clone(), plan.clone());
                let job = self.fix_job(cx)?;
                let req = cx.ids.next_id();
                cx.effects.push(Effect::ApplyFix {
                    req,
                    job: Box::new(job.clone()),
                    plan: plan.clone(),
                    dir: self.fix_dir.clone(),
                });
                self.pending_job = Some(job);
                cx.status.notice = None;
                self.fix = Some(FixState::Applying {
                    req,
                    project,
                    plan,
                    steps: Vec::new(),
                });
                Some(true)
            }
            Cmd::Back if undo_asked => {
                cx.status.notice = Some("not undone; the fix stays".into());
                Some(true)
            }
            Cmd::Back => match &mut self.fix {
                Some(FixState::Planned { confirm, .. }) if *confirm => {
                    *confirm = false;
                    cx.status.notice = Some("not applied; nothing changed".into());
                    Some(true)
                }
                _ => None,
            },
            Cmd::FixUndo => {
                if busy {
                    cx.status.notice = Some("a fix is already running".into());
                    return Some(true);
                }
                let Some(last) = self.last_fix.clone() else {
                    cx.status.notice = Some("no fix applied here to undo".into());
                    return Some(true);
                };
                if !undo_asked {
                    self.undo_confirm = true;
                    cx.status.notice = Some(format!(
                        "u = undo fix {} on {} (reverts its changes in Jira), Esc = keep it",
                        last.journal, last.project
                    ));
                    return Some(true);
                }
                cx.status.notice = None;
                let req = cx.ids.next_id();
                cx.effects.push(Effect::UndoFix {
                    req,
                    job: Box::new(last.job),
                    dir: self.fix_dir.clone(),
                    id: last.journal.clone(),
                });
                self.fix = Some(FixState::Undoing {
                    req,
                    project: last.project,
                    journal: last.journal,
                });
                Some(true)
            }
            _ => None,
        }
    }

    fn fix_options(&self) -> FixOptions {
        self.config
            .as_ref()
            .map(|c| FixOptions::from_settings(&c.fix))
            .unwrap_or_default()
    }

    /// A plan came back.
    pub fn on_fix_planned(
        &mut self,
        req: RequestId,
        result: Result<Box<Plan>, Box<Diagnosis>>,
        cx: &mut PaneCx<'_>,
    ) -> bool {
        let Some(FixState::Planning { req: r, project }) = &self.fix else {
            return false;
        };
        if *r != req {
            return false;
        }
        let project = project.clone();
        self.fix = Some(match result {
            Ok(plan) => {
                cx.status.notice = Some(if plan.changes.is_empty() {
                    "nothing to fix here".into()
                } else {
                    format!(
                        "plan: {} change(s), {} — y applies",
                        plan.changes.len(),
                        plan.gains.summary
                    )
                });
                FixState::Planned {
                    project,
                    plan,
                    confirm: false,
                }
            }
            Err(diagnosis) => {
                cx.status.error = Some(format!("fix not planned: {}", diagnosis.summary));
                FixState::Failed {
                    project,
                    what: "planning",
                    diagnosis,
                    steps: Vec::new(),
                }
            }
        });
        if let CheckerMode::Explain { scroll, .. } = &mut self.mode {
            *scroll = 0;
        }
        true
    }

    /// A step of the fix being applied.
    pub fn on_fix_progress(&mut self, req: RequestId, event: ApplyEvent) -> bool {
        match &mut self.fix {
            Some(FixState::Applying { req: r, steps, .. }) if *r == req => {
                steps.push(step_text(&event));
                true
            }
            _ => false,
        }
    }

    /// The fix was applied (or failed and was rolled back); on success, re-audit.
    pub fn on_fix_applied(
        &mut self,
        req: RequestId,
        result: Result<String, Box<Diagnosis>>,
        cx: &mut PaneCx<'_>,
    ) -> bool {
        let Some(FixState::Applying {
            req: r,
            project,
            plan,
            steps,
        }) = self.fix.take()
        else {
            return false;
        };
        if r != req {
            self.fix = Some(FixState::Applying {
                req: r,
                project,
                plan,
                steps,
            });
            return false;
        }
        let job = self.pending_job.take();
        match result {
            Ok(journal) => {
                cx.status.error = None;
                cx.status.notice = Some(format!(
                    "fix applied (journal {journal}); re-auditing — u undoes it"
                ));
                if let Some(job) = job {
                    self.last_fix = Some(AppliedFix {
                        journal: journal.clone(),
                        project: project.clone(),
                        job,
                    });
                }
                self.fix = Some(FixState::Applied {
                    project,
                    plan,
                    journal,
                    steps,
                });
                self.start(cx);
            }
            Err(diagnosis) => {
                cx.status.error = Some(format!("fix not applied: {}", diagnosis.summary));
                self.fix = Some(FixState::Failed {
                    project,
                    what: "applying",
                    diagnosis,
                    steps,
                });
            }
        }
        true
    }

    /// The fix was undone (or not); on success, re-audit.
    pub fn on_fix_undone(
        &mut self,
        req: RequestId,
        result: Result<String, Box<Diagnosis>>,
        cx: &mut PaneCx<'_>,
    ) -> bool {
        let Some(FixState::Undoing {
            req: r,
            project,
            journal,
        }) = &self.fix
        else {
            return false;
        };
        if *r != req {
            return false;
        }
        let (project, journal) = (project.clone(), journal.clone());
        match result {
            Ok(_) => {
                cx.status.error = None;
                cx.status.notice = Some(format!("fix undone (journal {journal}); re-auditing"));
                self.last_fix = None;
                self.fix = Some(FixState::Undone { project, journal });
                self.start(cx);
            }
            Err(diagnosis) => {
                cx.status.error = Some(format!("undo failed: {}", diagnosis.summary));
                self.fix = Some(FixState::Failed {
                    project,
                    what: "undoing",
                    diagnosis,
                    steps: Vec::new(),
                });
            }
        }
        true
    }

    /// What the fix flow is doing, for the busy indicator.
    pub(super) fn fix_busy_label(&self) -> Option<String> {
        Some(match self.fix.as_ref()? {
            FixState::Planning { project, .. } => format!("planning the fix for {project}"),
            FixState::Applying { steps, plan, .. } => format!(
                "applying the fix ({}/{})",
                steps
                    .iter()
                    .filter(|s| s.starts_with('['))
                    .count()
                    .min(plan.changes.len()),
                plan.changes.len()
            ),
            FixState::Undoing { journal, .. } => format!("undoing fix {journal}"),
            _ => return None,
        })
    }
}

/// The fix section of `project`'s explanation (empty when the flow is about another project).
pub(super) fn fix_lines(p: &CheckerPane, project: &str, theme: &Theme) -> Vec<Line<'static>> {
    let Some(state) = &p.fix else {
        return Vec::new();
    };
    if state.project() != project {
        return Vec::new();
    }
    let head = |t: String| Line::from(Span::styled(t, theme.accent()));
    let plan_lines = |plan: &Plan| -> Vec<Line<'static>> {
        render_plan(plan)
            .lines()
            .map(|l| Line::raw(l.to_string()))
            .collect()
    };
    let mut out = Vec::new();
    match state {
        FixState::Planning { .. } => out.push(head(format!(
            "Fix: planning the least-privilege change for {project}…"
        ))),
        FixState::Planned { plan, confirm, .. } => {
            out.push(head(format!("Fix for {project} (planned, not applied)")));
            if *confirm {
                out.push(Line::from(Span::styled(
                    format!(
                        "apply these {} change(s) to Jira? y = apply · Esc = cancel",
                        plan.changes.len()
                    ),
                    theme.warn(),
                )));
            } else if !plan.changes.is_empty() {
                out.push(Line::styled("y applies it (asks first)", theme.dim()));
            }
            out.extend(plan_lines(plan));
        }
        FixState::Applying { plan, steps, .. } => {
            out.push(head(format!(
                "Fix for {project}: applying {} change(s)…",
                plan.changes.len()
            )));
            out.extend(steps.iter().map(|s| Line::raw(s.clone())));
        }
        FixState::Applied {
            plan,
            journal,
            steps,
            ..
        } => {
            out.push(Line::from(Span::styled(
                format!(
                    "Fix for {project}: applied {} change(s) · journal {journal} · u undoes it",
                    plan.changes.len()
                ),
                theme.ok(),
            )));
            out.push(Line::raw(format!("gains: {}", plan.gains.summary)));
            out.extend(steps.iter().map(|s| Line::raw(s.clone())));
        }
        FixState::Undoing { journal, .. } => out.push(head(format!(
            "Fix for {project}: undoing journal {journal}…"
        ))),
        FixState::Undone { journal, .. } => out.push(Line::from(Span::styled(
            format!("Fix for {project}: undone (journal {journal}); Jira is as it was"),
            theme.ok(),
        ))),
        FixState::Failed {
            what,
            diagnosis,
            steps,
            ..
        } => {
            out.push(Line::from(Span::styled(
                format!("Fix for {project}: {what} failed — {}", diagnosis.summary),
                theme.error(),
            )));
            out.extend(steps.iter().map(|s| Line::raw(s.clone())));
            out.push(Line::raw(format!("why: {}", diagnosis.detail)));
            out.push(Line::raw(format!("fix: {}", diagnosis.fix)));
        }
    }
    out.push(Line::raw(""));
    out
}
