//! The TUI's port to the core and the runner that spawns effects as cancellable, time-limited
//! tasks whose results come back as actions. [`Core`] is thin: each method hands one request to
//! one core function ([`LiveCore`]); tests substitute a core that hangs or fails.

use super::action::{Action, Effect, RequestId};
use super::action::{CheckerMsg, ConnectionsMsg, WizardMsg};
use crate::audit::fix::{ApplyEvent, FixJob, Plan};
use crate::audit::{Progress, Report};
use crate::check::CheckResult;
use crate::config::{Config, Connection, Defaults};
use crate::jira::Diagnosis;
use crate::lifecycle::links::Inventory;
use futures::future::BoxFuture;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::AbortHandle;

pub use crate::audit::{AuditJob, ProgressFn};

/// Where the link wizard's files go: the config to save the linked connection in, and the data dir
/// for keys and tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WizardCtx {
    /// The config file the TUI shows.
    pub config_path: PathBuf,
    /// Keys and tokens (`JIRALINK_DATA`).
    pub data_dir: PathBuf,
}

/// What the TUI needs from the core: one method per request, no default behaviour.
pub trait Core: Send + Sync + 'static {
    /// Read the config file (a missing file is an empty config).
    fn load_config(&self, path: PathBuf) -> BoxFuture<'static, Result<Config, String>>;
    /// Check one connection; `Err` when the check could not even start (e.g. a secret is unavailable).
    fn check(
        &self,
        connection: Connection,
        defaults: Defaults,
    ) -> BoxFuture<'static, Result<CheckResult, String>>;
    /// Add `connection` (or replace the one named `replaces`) and save; returns the saved config.
    fn save_connection(
        &self,
        path: PathBuf,
        replaces: Option<String>,
        connection: Connection,
    ) -> BoxFuture<'static, Result<Config, String>>;
    /// Remove the connection `name` and save; returns the saved config.
    fn delete_connection(
        &self,
        path: PathBuf,
        name: String,
    ) -> BoxFuture<'static, Result<Config, String>>;
    /// Run one link-wizard effect against `wizard` (a snapshot: tokens for Verify/Export come from
    /// it); every failure comes back inside the returned input.
    fn wizard_effect(
        &self,
        ctx: WizardCtx,
        wizard: crate::wizard::Wizard,
        effect: crate::wizard::WizardEffect,
    ) -> BoxFuture<'static, crate::wizard::Input>;
    /// Save the connection the wizard linked (tokens and config in one atomic switch-over).
    fn save_linked(
        &self,
        ctx: WizardCtx,
        wizard: crate::wizard::Wizard,
    ) -> BoxFuture<'static, Result<Config, String>>;
    /// Store a pasted PEM private key at `path` (PKCS#8, 0600, never over an existing file);
    /// returns the path, ready for the wizard's "use existing key".
    fn import_key_pem(
        &self,
        path: PathBuf,
        pem: secrecy::SecretString,
    ) -> BoxFuture<'static, Result<PathBuf, String>>;
    /// Run a permission audit (the checker pane), reporting progress as it goes.
    fn audit(
        &self,
        job: AuditJob,
        progress: ProgressFn,
    ) -> BoxFuture<'static, Result<Report, Diagnosis>>;
    /// Plan the least-privilege fix for a job's projects (the checker's `f`).
    fn plan_fix(&self, job: FixJob) -> BoxFuture<'static, Result<Plan, Diagnosis>>;
    /// Apply `plan` through the job's admin connection with a journal in `dir`, reporting each
    /// step; the journal id.
    fn apply_fix(
        &self,
        job: AuditJob,
        plan: Plan,
        dir: PathBuf,
        progress: FixProgressFn,
    ) -> BoxFuture<'static, Result<String, Diagnosis>>;
    /// Undo journal `id` in `dir` through the job's admin connection; the journal id.
    fn undo_fix(
        &self,
        job: AuditJob,
        dir: PathBuf,
        id: String,
    ) -> BoxFuture<'static, Result<String, Diagnosis>>;
    /// The application-link inventory of the Jira behind `admin` (what `jiralink links ADMIN`
    /// prints), with `connections` matched to the links.
    fn links(
        &self,
        admin: Connection,
        connections: Vec<Connection>,
        defaults: Defaults,
    ) -> BoxFuture<'static, Result<Inventory, Diagnosis>>;
}

/// The progress callback a fix being applied reports through.
pub type FixProgressFn = Arc<dyn Fn(ApplyEvent) + Send + Sync>;

/// A browser the TUI may send to Jira's authorize page on the user's behalf, returning what the
/// user would copy after "Allow": the verification code Jira shows (OAuth 1.0a) or the address the
/// browser is sent to (OAuth 2.0: the Redirect URL with `code` and `state`). Only a front end that
/// owns such a browser passes one (the demo drives the simulator's own login and consent pages over
/// HTTP); without one the user opens the authorize URL in their own browser and types the answer.
pub trait Browser: Send + Sync + 'static {
    /// Open `authorize_url`, log in, click Allow; the verification code shown or the address
    /// reached, or why not.
    fn approve(&self, authorize_url: String) -> BoxFuture<'static, Result<String, String>>;
}

/// Run blocking core work off the async threads, as a string-error future.
fn blocking<T: Send + 'static>(
    what: &'static str,
    f: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> BoxFuture<'static, Result<T, String>> {
    Box::pin(async move {
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| format!("{what} task failed: {e}"))?
    })
}

/// The real core: the config engine, `check`, the link driver and store, the audit.
#[derive(Debug, Default, Clone, Copy)]
pub struct LiveCore;

impl Core for LiveCore {
    fn load_config(&self, path: PathBuf) -> BoxFuture<'static, Result<Config, String>> {
        blocking("config", move || {
            Config::load_or_default(&path).map_err(|e| e.to_string())
        })
    }

    fn check(
        &self,
        connection: Connection,
        defaults: Defaults,
    ) -> BoxFuture<'static, Result<CheckResult, String>> {
        // The same entry point as `jiralink check`; secret commands run on a blocking thread there.
        Box::pin(async move { Ok(crate::check::check_connection(&connection, &defaults).await) })
    }

    fn save_connection(
        &self,
        path: PathBuf,
        replaces: Option<String>,
        connection: Connection,
    ) -> BoxFuture<'static, Result<Config, String>> {
        blocking("save", move || {
            crate::config::save_connection(&path, replaces.as_deref(), &connection)
                .map_err(|e| e.to_string())
        })
    }

    fn delete_connection(
        &self,
        path: PathBuf,
        name: String,
    ) -> BoxFuture<'static, Result<Config, String>> {
        blocking("save", move || {
            crate::config::delete_connection(&path, &name).map_err(|e| e.to_string())
        })
    }

    fn wizard_effect(
        &self,
        ctx: WizardCtx,
        wizard: crate::wizard::Wizard,
        effect: crate::wizard::WizardEffect,
    ) -> BoxFuture<'static, crate::wizard::Input> {
        Box::pin(async move {
            crate::link::run_effect_in(ctx.config_path, ctx.data_dir, &wizard, effect).await
        })
    }

    fn save_linked(
        &self,
        ctx: WizardCtx,
        wizard: crate::wizard::Wizard,
    ) -> BoxFuture<'static, Result<Config, String>> {
        blocking("save", move || {
            crate::link::save_linked(&link_paths(&ctx), &wizard)
        })
    }

    fn import_key_pem(
        &self,
        path: PathBuf,
        pem: secrecy::SecretString,
    ) -> BoxFuture<'static, Result<PathBuf, String>> {
        blocking("key import", move || {
            crate::link::import_key_pem(&path, &pem)
        })
    }

    fn audit(
        &self,
        job: AuditJob,
        progress: ProgressFn,
    ) -> BoxFuture<'static, Result<Report, Diagnosis>> {
        Box::pin(crate::audit::run_job(job, progress))
    }

    fn plan_fix(&self, job: FixJob) -> BoxFuture<'static, Result<Plan, Diagnosis>> {
        Box::pin(crate::audit::fix::plan_job(job))
    }

    fn apply_fix(
        &self,
        job: AuditJob,
        plan: Plan,
        dir: PathBuf,
        progress: FixProgressFn,
    ) -> BoxFuture<'static, Result<String, Diagnosis>> {
        Box::pin(async move {
            crate::audit::fix::apply_job(&job, &plan, &dir, &*progress)
                .await
                .map(|a| a.journal.id)
        })
    }

    fn undo_fix(
        &self,
        job: AuditJob,
        dir: PathBuf,
        id: String,
    ) -> BoxFuture<'static, Result<String, Diagnosis>> {
        Box::pin(async move {
            crate::audit::fix::undo_job(&job, &dir, &id)
                .await
                .map(|j| j.id)
        })
    }

    fn links(
        &self,
        admin: Connection,
        connections: Vec<Connection>,
        defaults: Defaults,
    ) -> BoxFuture<'static, Result<Inventory, Diagnosis>> {
        // The core's one client builder, then the inventory `jiralink links` prints.
        Box::pin(async move {
            let client = crate::connect::client_for(&admin, &defaults)
                .await
                .map_err(crate::connect::ConnectError::into_diagnosis)?;
            crate::lifecycle::links::inventory(&client, &connections).await
        })
    }
}

/// The paths the link store writes under for the wizard's config and data dir.
fn link_paths(ctx: &WizardCtx) -> crate::paths::Paths {
    crate::paths::Paths {
        config_file: ctx.config_path.clone(),
        data_dir: ctx.data_dir.clone(),
        state_dir: ctx.data_dir.clone(),
        log_file: ctx.data_dir.join(crate::paths::LOG_FILE_NAME),
    }
}

/// The config path `jiralink` uses without `--config` (honours `JIRALINK_CONFIG`).
pub fn default_config_path() -> PathBuf {
    crate::paths::Paths::resolve(None)
        .map(|p| p.config_file)
        .unwrap_or_else(|_| PathBuf::from("jiralink.toml"))
}

/// Spawns effects as tasks; each task holds a sender clone and its request id, never the `App`.
pub struct EffectRunner {
    core: Arc<dyn Core>,
    browser: Option<Arc<dyn Browser>>,
    tx: UnboundedSender<Action>,
    tasks: HashMap<RequestId, AbortHandle>,
    /// Upper bound for any single task, on top of the client's own timeouts.
    task_timeout: Duration,
}

impl EffectRunner {
    /// A runner sending results to `tx`; any task still running after `task_timeout` is abandoned.
    pub fn new(core: Arc<dyn Core>, tx: UnboundedSender<Action>, task_timeout: Duration) -> Self {
        Self {
            core,
            browser: None,
            tx,
            tasks: HashMap::new(),
            task_timeout,
        }
    }

    /// A runner for the app `opts` describe: its core and, if it has one, its browser.
    pub fn for_app(opts: &super::AppOptions, tx: UnboundedSender<Action>) -> Self {
        let mut r = Self::new(Arc::clone(&opts.core), tx, opts.task_timeout);
        r.browser = opts.browser.clone();
        r
    }

    /// How many spawned tasks are still running.
    pub fn running(&self) -> usize {
        self.tasks.values().filter(|h| !h.is_finished()).count()
    }

    /// Start the work for one effect and return at once. Loop-level effects (copy, suspend, quit)
    /// are the caller's; they are ignored here.
    pub fn spawn(&mut self, effect: Effect) {
        self.tasks.retain(|_, h| !h.is_finished());
        let tx = self.tx.clone();
        let limit = self.task_timeout;
        let core = Arc::clone(&self.core);
        let (req, handle) = match effect {
            Effect::LoadConfig { req, path } => (
                req,
                tokio::spawn(async move {
                    let result = with_limit(limit, core.load_config(path)).await;
                    let _ = tx.send(Action::Connections(ConnectionsMsg::ConfigLoaded {
                        req,
                        result,
                    }));
                }),
            ),
            Effect::Check {
                req,
                connection,
                defaults,
            } => (
                req,
                tokio::spawn(async move {
                    let name = connection.name.clone();
                    let action = match with_limit(limit, core.check(*connection, defaults)).await {
                        Ok(result) => Action::Connections(ConnectionsMsg::CheckFinished {
                            req,
                            name,
                            result: Box::new(result),
                        }),
                        Err(message) => {
                            Action::Connections(ConnectionsMsg::CheckFailed { req, name, message })
                        }
                    };
                    let _ = tx.send(action);
                }),
            ),
            Effect::SaveConnection {
                req,
                path,
                replaces,
                connection,
            } => (
                req,
                tokio::spawn(async move {
                    let fut = core.save_connection(path, replaces, *connection);
                    let result = with_limit(limit, fut).await;
                    let _ = tx.send(Action::Connections(ConnectionsMsg::ConfigSaved {
                        req,
                        result,
                    }));
                }),
            ),
            Effect::DeleteConnection { req, path, name } => (
                req,
                tokio::spawn(async move {
                    let result = with_limit(limit, core.delete_connection(path, name)).await;
                    let _ = tx.send(Action::Connections(ConnectionsMsg::ConfigSaved {
                        req,
                        result,
                    }));
                }),
            ),
            Effect::Wizard {
                req,
                ctx,
                wizard,
                effect,
            } => (
                req,
                tokio::spawn(async move {
                    let fut = core.wizard_effect(ctx, *wizard, effect);
                    let input = match tokio::time::timeout(limit, fut).await {
                        Ok(input) => input,
                        Err(_) => {
                            let _ = tx.send(Action::Wizard(WizardMsg::Failed {
                                req,
                                message: format!("no answer after {} s; gave up", limit.as_secs()),
                            }));
                            return;
                        }
                    };
                    let _ = tx.send(Action::Wizard(WizardMsg::Done {
                        req,
                        input: Box::new(input),
                    }));
                }),
            ),
            Effect::SaveLinked { req, ctx, wizard } => (
                req,
                tokio::spawn(async move {
                    let result = with_limit(limit, core.save_linked(ctx, *wizard)).await;
                    let _ = tx.send(Action::Wizard(WizardMsg::LinkedSaved { req, result }));
                }),
            ),
            Effect::ImportKeyPem { req, path, pem } => (
                req,
                tokio::spawn(async move {
                    let result = with_limit(limit, core.import_key_pem(path, pem)).await;
                    let _ = tx.send(Action::Wizard(WizardMsg::KeyImported { req, result }));
                }),
            ),
            Effect::Approve { req, url } => {
                let browser = self.browser.clone();
                (
                    req,
                    tokio::spawn(async move {
                        let fut: BoxFuture<'static, Result<String, String>> = match browser {
                            Some(b) => b.approve(url),
                            None => Box::pin(async {
                                Err("no browser to drive here: open the authorize URL yourself"
                                    .to_string())
                            }),
                        };
                        let result = with_limit(limit, fut).await;
                        let _ = tx.send(Action::Wizard(WizardMsg::Approved { req, result }));
                    }),
                )
            }
            Effect::Audit { req, job } => (
                req,
                tokio::spawn(async move {
                    let progress = throttled_progress(req, tx.clone());
                    // Large audits legitimately take long: the task limit does not apply; the user
                    // cancels with Esc, and the client's own timeouts bound each request.
                    let result = core
                        .audit(*job, progress)
                        .await
                        .map(Arc::new)
                        .map_err(Box::new);
                    let _ = tx.send(Action::Checker(CheckerMsg::AuditFinished { req, result }));
                }),
            ),
            Effect::ExportReport {
                req,
                report,
                format,
                dir,
            } => (
                req,
                tokio::spawn(async move {
                    let result = tokio::task::spawn_blocking(move || {
                        crate::audit::export::write_export(&dir, &report, format)
                    })
                    .await
                    .unwrap_or_else(|e| Err(format!("export task failed: {e}")));
                    let _ = tx.send(Action::Checker(CheckerMsg::Exported { req, result }));
                }),
            ),
            Effect::PlanFix { req, job } => (
                req,
                tokio::spawn(async move {
                    // Planning audits the project and reads the schemes: bounded by the client's
                    // timeouts per request, cancelled with Esc like an audit.
                    let result = core.plan_fix(*job).await.map(Box::new).map_err(Box::new);
                    let _ = tx.send(Action::Checker(CheckerMsg::FixPlanned { req, result }));
                }),
            ),
            Effect::ApplyFix {
                req,
                job,
                plan,
                dir,
            } => (
                req,
                tokio::spawn(async move {
                    let step = tx.clone();
                    let progress: FixProgressFn = Arc::new(move |event| {
                        let _ = step.send(Action::Checker(CheckerMsg::FixProgress { req, event }));
                    });
                    let result = core
                        .apply_fix(*job, *plan, dir, progress)
                        .await
                        .map_err(Box::new);
                    let _ = tx.send(Action::Checker(CheckerMsg::FixApplied { req, result }));
                }),
            ),
            Effect::UndoFix { req, job, dir, id } => (
                req,
                tokio::spawn(async move {
                    let fut = core.undo_fix(*job, dir, id);
                    let result = match tokio::time::timeout(limit, fut).await {
                        Ok(r) => r.map_err(Box::new),
                        Err(_) => Err(Box::new(Diagnosis::error(
                            crate::jira::Code::Timeout,
                            format!("undo: no answer after {} s; gave up", limit.as_secs()),
                            "the journal keeps what was not reverted",
                            "run `jiralink fix --undo ID --admin ADMIN --yes` to finish",
                        ))),
                    };
                    let _ = tx.send(Action::Checker(CheckerMsg::FixUndone { req, result }));
                }),
            ),
            Effect::Links {
                req,
                admin,
                connections,
                defaults,
            } => (
                req,
                tokio::spawn(async move {
                    let fut = core.links(*admin, connections, defaults);
                    let result = match tokio::time::timeout(limit, fut).await {
                        Ok(r) => r.map(Arc::new).map_err(Box::new),
                        Err(_) => Err(Box::new(Diagnosis::error(
                            crate::jira::Code::Timeout,
                            format!("no answer after {} s; gave up", limit.as_secs()),
                            "listing the links asks Jira once per link for its status",
                            "Press r to try again; check the connection with `jiralink check`.",
                        ))),
                    };
                    let _ = tx.send(Action::Connections(ConnectionsMsg::LinksLoaded {
                        req,
                        result,
                    }));
                }),
            ),
            Effect::Cancel(req) => {
                if let Some(h) = self.tasks.remove(&req) {
                    h.abort();
                }
                return;
            }
            Effect::Copy(_) | Effect::Suspend | Effect::Quit => return,
        };
        self.tasks.insert(req, handle.abort_handle());
    }

    /// Abort every running task (on quit).
    pub fn abort_all(&mut self) {
        for (_, h) in self.tasks.drain() {
            h.abort();
        }
    }
}

impl Drop for EffectRunner {
    fn drop(&mut self) {
        self.abort_all();
    }
}

/// How often progress may reach the UI: a 10,000-project audit must not queue 10,000 redraws.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// A progress callback that forwards at most one update per `PROGRESS_EVERY` (plus the last one).
fn throttled_progress(req: RequestId, tx: UnboundedSender<Action>) -> ProgressFn {
    let last = std::sync::Mutex::new(None::<Instant>);
    Arc::new(move |progress: Progress| {
        let now = Instant::now();
        let due = {
            let Ok(mut last) = last.lock() else { return };
            let due = progress.done >= progress.total
                || last.is_none_or(|t| now.duration_since(t) >= PROGRESS_EVERY);
            if due {
                *last = Some(now);
            }
            due
        };
        if due {
            let _ = tx.send(Action::Checker(CheckerMsg::AuditProgress { req, progress }));
        }
    })
}

/// Run `fut`, turning "took longer than `limit`" into an error message.
async fn with_limit<T>(
    limit: Duration,
    fut: BoxFuture<'static, Result<T, String>>,
) -> Result<T, String> {
    match tokio::time::timeout(limit, fut).await {
        Ok(r) => r,
        Err(_) => Err(format!("no answer after {} s; gave up", limit.as_secs())),
    }
}
