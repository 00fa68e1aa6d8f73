//! The only place the TUI calls into the core (config and `check`), and the runner that spawns
//! effects as cancellable, time-limited tasks whose results come back as actions.

use super::action::{Action, Effect, RequestId};
use crate::audit::{AuditRequest, Progress, Report};
use crate::check::CheckResult;
use crate::config::{Config, ConfigFile, Connection, Defaults};
use crate::jira::{Code, Diagnosis, JiraClient};
use futures::future::BoxFuture;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::AbortHandle;

mod wizard_live;

// --- Link wizard (wizard pane) -------------------------------------------------------------

/// Where the link wizard's files go: the config to save the linked connection in, and the data dir
/// for keys and tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WizardCtx {
    /// The config file the TUI shows.
    pub config_path: PathBuf,
    /// Keys and tokens (`JIRALINK_DATA`).
    pub data_dir: PathBuf,
}

/// What the TUI needs from the core. A trait so tests can substitute a core that hangs or fails.
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

    // --- Link wizard (wizard pane) ---------------------------------------------------------

    /// Run one link-wizard effect against `wizard` (a snapshot: tokens for Verify/Export come from
    /// it); every failure comes back inside the returned input.
    fn wizard_effect(
        &self,
        ctx: WizardCtx,
        wizard: crate::wizard::Wizard,
        effect: crate::wizard::Effect,
    ) -> BoxFuture<'static, crate::wizard::Input> {
        Box::pin(wizard_live::run(ctx, wizard, effect))
    }

    /// Save the connection the wizard linked (tokens to 0600 files, config atomically).
    fn save_linked(
        &self,
        ctx: WizardCtx,
        wizard: crate::wizard::Wizard,
    ) -> BoxFuture<'static, Result<Config, String>> {
        Box::pin(async move {
            tokio::task::spawn_blocking(move || wizard_live::save_connection(&ctx, &wizard))
                .await
                .map_err(|e| format!("save task failed: {e}"))?
        })
    }

    /// Store a pasted PEM private key at `path` (PKCS#8, 0600, never over an existing file);
    /// returns the path, ready for the wizard's "use existing key".
    fn import_key_pem(
        &self,
        path: PathBuf,
        pem: secrecy::SecretString,
    ) -> BoxFuture<'static, Result<PathBuf, String>> {
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                use secrecy::ExposeSecret;
                let key = crate::keys::import_private_key_pem(pem.expose_secret())
                    .map_err(|e| e.to_string())?;
                crate::keys::write_private_key(&path, &key, false).map_err(|e| e.to_string())?;
                Ok(path)
            })
            .await
            .map_err(|e| format!("key import task failed: {e}"))?
        })
    }

    /// Whether [`Core::simulate_allow`] works (only against the demo's simulator).
    fn can_simulate_allow(&self) -> bool {
        false
    }

    /// Click "Allow" for `request_token` as the simulated user; returns the verification code.
    fn simulate_allow(&self, _request_token: String) -> BoxFuture<'static, Result<String, String>> {
        Box::pin(async { Err("only the demo's simulator can approve a token from here".into()) })
    }
    /// Run a permission audit (the checker pane), reporting progress as it goes. The default is
    /// for test cores that never audit: it says so instead of pretending.
    fn audit(
        &self,
        job: AuditJob,
        progress: ProgressFn,
    ) -> BoxFuture<'static, Result<Report, Diagnosis>> {
        let _ = (job, progress);
        Box::pin(async {
            Err(Diagnosis::error(
                Code::ConfigError,
                "this front end cannot run audits",
                "the core in use does not implement the audit",
                "run `jiralink audit` instead",
            ))
        })
    }
}

/// The progress callback an audit reports through.
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// What the checker asks the core to audit: connections by value, secrets resolved in the task.
#[derive(Debug, Clone)]
pub struct AuditJob {
    /// The integration user's own connection.
    pub subject: Option<Connection>,
    /// A Jira administrator's connection.
    pub admin: Option<Connection>,
    /// The username to audit through `admin`.
    pub username: Option<String>,
    /// Required permission keys (empty = the config's defaults).
    pub required: Vec<String>,
    /// Timeouts, concurrency and default permissions from the config.
    pub defaults: Defaults,
}

/// The real core: config engine and `crate::check::check`.
#[derive(Debug, Default, Clone, Copy)]
pub struct LiveCore;

impl Core for LiveCore {
    fn load_config(&self, path: PathBuf) -> BoxFuture<'static, Result<Config, String>> {
        // File I/O and secret-free parsing are blocking: keep them off the async threads.
        Box::pin(async move {
            tokio::task::spawn_blocking(move || core_load_config(&path))
                .await
                .map_err(|e| format!("config task failed: {e}"))?
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
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                core_save_connection(&path, replaces.as_deref(), &connection)
            })
            .await
            .map_err(|e| format!("save task failed: {e}"))?
        })
    }

    fn delete_connection(
        &self,
        path: PathBuf,
        name: String,
    ) -> BoxFuture<'static, Result<Config, String>> {
        Box::pin(async move {
            tokio::task::spawn_blocking(move || core_delete_connection(&path, &name))
                .await
                .map_err(|e| format!("save task failed: {e}"))?
        })
    }

    fn audit(
        &self,
        job: AuditJob,
        progress: ProgressFn,
    ) -> BoxFuture<'static, Result<Report, Diagnosis>> {
        Box::pin(core_audit(job, progress))
    }
}

/// The same request `jiralink audit` builds, from the checker's choices (see `cli/audit.rs`).
async fn core_audit(job: AuditJob, progress: ProgressFn) -> Result<Report, Diagnosis> {
    let AuditJob {
        subject,
        admin,
        username,
        required,
        defaults,
    } = job;
    let subject = match subject {
        Some(c) => Some((c.name.clone(), core_client(&c, &defaults).await?)),
        None => None,
    };
    let admin = match admin {
        Some(c) => Some((c.name.clone(), core_client(&c, &defaults).await?)),
        None => None,
    };
    let req = AuditRequest::from_choices(
        subject.as_ref().map(|(n, c)| (n.as_str(), c.clone())),
        admin.as_ref().map(|(n, c)| (n.as_str(), c.clone())),
        username,
        required,
        Vec::new(),
        None,
        &defaults,
    );
    crate::audit::run(req, move |p| progress(p))
        .await
        .map_err(|e| e.diagnosis())
}

/// A client for one connection (secret resolution runs off the async threads).
async fn core_client(c: &Connection, defaults: &Defaults) -> Result<JiraClient, Diagnosis> {
    let opts = c
        .client_options_async(defaults)
        .await
        .map_err(|e| e.diagnosis())?;
    JiraClient::new(opts).map_err(|e| e.diagnose())
}

/// Read the config; a missing file is an empty config.
fn core_load_config(path: &Path) -> Result<Config, String> {
    Config::load_or_default(path).map_err(|e| e.to_string())
}

/// Add or replace a connection through `ConfigFile`, which keeps comments and saves atomically.
fn core_save_connection(
    path: &Path,
    replaces: Option<&str>,
    connection: &Connection,
) -> Result<Config, String> {
    let mut f = ConfigFile::open(path).map_err(|e| e.to_string())?;
    if let Some(old) = replaces.filter(|old| *old != connection.name) {
        f.remove_connection(old);
    }
    f.upsert_connection(connection).map_err(|e| e.to_string())?;
    f.save().map_err(|e| e.to_string())?;
    f.config().map_err(|e| e.to_string())
}

/// Remove a connection and save atomically.
fn core_delete_connection(path: &Path, name: &str) -> Result<Config, String> {
    let mut f = ConfigFile::open(path).map_err(|e| e.to_string())?;
    if !f.remove_connection(name) {
        return Err(format!("no connection named \"{name}\""));
    }
    f.save().map_err(|e| e.to_string())?;
    f.config().map_err(|e| e.to_string())
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
            tx,
            tasks: HashMap::new(),
            task_timeout,
        }
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
                    let _ = tx.send(Action::ConfigLoaded { req, result });
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
                        Ok(result) => Action::CheckFinished {
                            req,
                            name,
                            result: Box::new(result),
                        },
                        Err(message) => Action::CheckFailed { req, name, message },
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
                    let _ = tx.send(Action::ConfigSaved { req, result });
                }),
            ),
            Effect::DeleteConnection { req, path, name } => (
                req,
                tokio::spawn(async move {
                    let result = with_limit(limit, core.delete_connection(path, name)).await;
                    let _ = tx.send(Action::ConfigSaved { req, result });
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
                            let _ = tx.send(Action::WizardFailed {
                                req,
                                message: format!("no answer after {} s; gave up", limit.as_secs()),
                            });
                            return;
                        }
                    };
                    let _ = tx.send(Action::WizardResult {
                        req,
                        input: Box::new(input),
                    });
                }),
            ),
            Effect::SaveLinked { req, ctx, wizard } => (
                req,
                tokio::spawn(async move {
                    let result = with_limit(limit, core.save_linked(ctx, *wizard)).await;
                    let _ = tx.send(Action::LinkedSaved { req, result });
                }),
            ),
            Effect::ImportKeyPem { req, path, pem } => (
                req,
                tokio::spawn(async move {
                    let result = with_limit(limit, core.import_key_pem(path, pem)).await;
                    let _ = tx.send(Action::KeyImported { req, result });
                }),
            ),
            Effect::SimulateAllow { req, token } => (
                req,
                tokio::spawn(async move {
                    let result = with_limit(limit, core.simulate_allow(token)).await;
                    let _ = tx.send(Action::AllowSimulated { req, result });
                }),
            ),
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
                    let _ = tx.send(Action::AuditFinished { req, result });
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
                        super::panes::checker::export::write_export(&dir, &report, format)
                    })
                    .await
                    .unwrap_or_else(|e| Err(format!("export task failed: {e}")));
                    let _ = tx.send(Action::Exported { req, result });
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
            let _ = tx.send(Action::AuditProgress { req, progress });
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
