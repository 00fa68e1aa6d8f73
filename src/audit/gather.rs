//! The audit engine's orchestration: which calls to make, with bounded concurrency, pacing under a
//! low rate limit, one scheme fetch per scheme id, a 403 remembered per endpoint family, and a row per
//! project whatever happens to the others. Evaluation itself is pure (see `explain`).

use super::explain::{
    browse_open_to_all, evaluate_all, relevant_roles, PermissionVerdict, ProjectContext, Subject,
};
use super::permissions::{self, display_name, BROWSE_PROJECTS};

/// Project administrators see a project in Jira's project list even without Browse Projects.
const ADMINISTER_PROJECTS: &str = "ADMINISTER_PROJECTS";
/// Jira administrators see every project in Jira's project list.
const GLOBAL_ADMINISTER: &str = "ADMINISTER";
use super::report::{
    JiraInfo, Mode, ProjectRow, Report, SchemeProjects, SchemeRef, Summary, UserInfo,
};
use super::source::Source;
use super::{AuditError, AuditRequest, Progress};
use crate::jira::bulk::BulkGrants;
use crate::jira::model::{
    PermissionEntry, PermissionScheme, Permissions, Project, ProjectRole, ServerInfo,
};
use crate::jira::{Code, Diagnosis, JiraError};
use futures::stream::{self, StreamExt};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// Endpoint families: a 403 from one member means every member will answer 403 for this caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Family {
    MyPermissions,
    ProjectScheme,
    SchemeById,
    ProjectRole,
    BulkCheck,
}

impl Family {
    fn endpoint(self) -> &'static str {
        match self {
            Family::MyPermissions => "GET /rest/api/2/mypermissions",
            Family::ProjectScheme => "GET /rest/api/2/project/{key}/permissionscheme",
            Family::SchemeById => "GET /rest/api/2/permissionscheme/{id}",
            Family::ProjectRole => "GET /rest/api/2/project/{key}/role/{id}",
            Family::BulkCheck => "POST /rest/api/3/permissions/check",
        }
    }
}

type SchemeCell = Arc<OnceCell<Result<Arc<PermissionScheme>, String>>>;

/// Shared state of one run.
struct Engine<'p> {
    requests: AtomicU64,
    done: AtomicUsize,
    total: usize,
    concurrency: usize,
    forbidden: Mutex<HashMap<Family, String>>,
    schemes: Mutex<HashMap<String, SchemeCell>>,
    progress: &'p (dyn Fn(Progress) + Send + Sync),
    /// HTTP requests of the run's sources so far, when they count them (pages and retries too).
    http_requests: &'p (dyn Fn() -> Option<u64> + Send + Sync),
    http_start: Option<u64>,
}

fn is_forbidden(e: &JiraError) -> bool {
    e.status() == Some(403) || e.code() == Code::Forbidden
}

impl Engine<'_> {
    /// Count and make one call whose failure is fatal for the run (the client paces it).
    async fn fatal<T, F>(
        &self,
        src: &impl Source,
        during: &'static str,
        f: F,
    ) -> Result<T, AuditError>
    where
        F: Future<Output = Result<T, JiraError>>,
    {
        let _ = src;
        self.requests.fetch_add(1, Ordering::Relaxed);
        f.await.map_err(|e| AuditError::Jira {
            during,
            diagnosis: Box::new(e.diagnose()),
        })
    }

    /// Count and make one per-project call, unless its family already answered 403.
    async fn call<T, F>(
        &self,
        src: &impl Source,
        family: Family,
        f: impl FnOnce() -> F,
    ) -> Result<T, String>
    where
        F: Future<Output = Result<T, JiraError>>,
    {
        if let Some(first) = self.forbidden_lock().get(&family) {
            return Err(format!(
                "not requested: {} answered 403 earlier in this run ({first})",
                family.endpoint()
            ));
        }
        let _ = src;
        self.requests.fetch_add(1, Ordering::Relaxed);
        match f().await {
            Ok(v) => Ok(v),
            Err(e) => {
                if is_forbidden(&e) {
                    self.forbidden_lock()
                        .entry(family)
                        .or_insert_with(|| e.to_string());
                }
                Err(e.to_string())
            }
        }
    }

    fn forbidden_lock(&self) -> std::sync::MutexGuard<'_, HashMap<Family, String>> {
        // A panic while holding this lock cannot leave the map inconsistent; keep going.
        self.forbidden.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Announce the total before any project finishes, so a progress bar can appear at once.
    fn start(&mut self, total: usize) {
        self.total = total;
        (self.progress)(Progress {
            done: 0,
            total,
            requests: self.requests.load(Ordering::Relaxed),
        });
    }

    /// Report the request count without a finished project (a first pass over the projects).
    fn report_requests(&self) {
        (self.progress)(Progress {
            done: self.done.load(Ordering::Relaxed),
            total: self.total,
            requests: self.requests.load(Ordering::Relaxed),
        });
    }

    fn tick(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        (self.progress)(Progress {
            done,
            total: self.total,
            requests: self.requests.load(Ordering::Relaxed),
        });
    }

    /// The scheme with grants: from the list when it had them, else one fetch per id, shared by
    /// every project using it (concurrent askers wait for the same fetch).
    async fn scheme_grants(
        &self,
        src: &impl Source,
        id: &str,
    ) -> Result<Arc<PermissionScheme>, String> {
        let cell = {
            let mut map = self.schemes.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(id.to_string()).or_default().clone()
        };
        cell.get_or_init(|| async {
            self.call(src, Family::SchemeById, || src.permission_scheme(id))
                .await
                .map(Arc::new)
        })
        .await
        .clone()
    }
}

/// Run an audit against any [`Source`] (the client in production, fakes in tests).
pub async fn run_with<S: Source>(
    req: AuditRequest<S>,
    progress: impl Fn(Progress) + Send + Sync,
) -> Result<Report, AuditError> {
    run_with_sink(req, progress, &mut KeepRows).await
}

/// Where an admin-assisted audit puts each row as it is made: the row returned is the one the
/// report keeps (all of it, or what a sink that stores the rest elsewhere leaves).
pub trait RowSink: Send {
    /// Take a finished row; return what the report keeps of it.
    fn keep(&mut self, row: ProjectRow) -> ProjectRow;
}

/// The report keeps every row whole.
struct KeepRows;

impl RowSink for KeepRows {
    fn keep(&mut self, row: ProjectRow) -> ProjectRow {
        row
    }
}

/// [`run_with`] with the admin-assisted rows handed to `sink` as they are made, in key order.
pub async fn run_with_sink<S: Source>(
    req: AuditRequest<S>,
    progress: impl Fn(Progress) + Send + Sync,
    sink: &mut dyn RowSink,
) -> Result<Report, AuditError> {
    let required: Vec<String> = if req.required.is_empty() {
        permissions::default_required()
    } else {
        let mut seen = BTreeSet::new();
        req.required
            .iter()
            .map(|k| permissions::normalize(k))
            .filter(|k| seen.insert(k.clone()))
            .collect()
    };
    let http_requests = || -> Option<u64> {
        let mut total = None;
        for s in [req.subject.as_ref(), req.admin.as_ref()]
            .into_iter()
            .flatten()
        {
            total = Some(total.unwrap_or(0) + s.http_requests()?);
        }
        total
    };
    let engine = Engine {
        http_start: http_requests(),
        http_requests: &http_requests,
        requests: AtomicU64::new(0),
        done: AtomicUsize::new(0),
        total: 0,
        concurrency: req.concurrency.max(1),
        forbidden: Mutex::new(HashMap::new()),
        schemes: Mutex::new(HashMap::new()),
        progress: &progress,
    };
    // Who can be audited: the one rule the front ends check before they start.
    let choice = super::choice_problem(
        req.subject.is_some(),
        req.admin.is_some(),
        req.username.is_some(),
    );
    match (choice, &req.admin, &req.subject) {
        (Some(problem), _, _) => Err(problem),
        (None, Some(admin), subject) => {
            admin_assisted(&req, engine, admin, subject.as_ref(), required, sink).await
        }
        (None, None, Some(subject)) => self_check(&req, engine, subject, required).await,
        // choice_problem refuses "neither"; say the same should that rule ever change.
        (None, None, None) => Err(super::choice_problem(false, false, false)
            .unwrap_or_else(|| AuditError::InvalidRequest("nothing to audit".into()))),
    }
}

/// Check every required key against the built-in list, asking Jira only for keys it does not know
/// (plugins add project permissions).
async fn validate_required<S: Source>(
    engine: &Engine<'_>,
    src: &S,
    required: &[String],
) -> Result<(), AuditError> {
    let builtin = || permissions::BUILTIN.iter().map(|(k, _)| *k);
    if permissions::validate(required, builtin()).is_ok() {
        return Ok(());
    }
    let all = engine
        .fatal(
            src,
            "listing the instance's permissions",
            src.all_permissions(),
        )
        .await
        .map(Permissions::without_deprecated);
    let known: Vec<String> = match &all {
        Ok(p) => p.permissions.keys().cloned().collect(),
        Err(_) => Vec::new(),
    };
    let combined = || builtin().chain(known.iter().map(String::as_str));
    permissions::validate(required, combined())
        .map_err(|(key, suggestion)| AuditError::UnknownPermission { key, suggestion })
}

fn jira_info(info: &ServerInfo) -> JiraInfo {
    JiraInfo {
        version: info.version.clone(),
        deployment_type: info.deployment_type.clone(),
    }
}

/// Split the project list by the requested keys: (projects to check, requested keys that are absent).
fn apply_filter(projects: Vec<Project>, filter: &[String]) -> (Vec<Project>, Vec<String>) {
    if filter.is_empty() {
        return (projects, Vec::new());
    }
    let wanted: BTreeSet<String> = filter
        .iter()
        .map(|k| k.trim().to_ascii_uppercase())
        .collect();
    // A set, not a scan of every project per wanted key: many `--project` flags on a large
    // instance would otherwise cost filter × projects.
    let present: BTreeSet<String> = projects
        .iter()
        .map(|p| p.key.to_ascii_uppercase())
        .collect();
    let absent = wanted.difference(&present).cloned().collect();
    let kept = projects
        .into_iter()
        .filter(|p| wanted.contains(&p.key.to_ascii_uppercase()))
        .collect();
    (kept, absent)
}

fn finish(mut report: Report, engine: &Engine<'_>) -> Report {
    report.projects.sort_by(|a, b| a.key.cmp(&b.key));
    report.summary = Summary::of(&report.projects);
    // What went over the wire when the sources count it (a paged project list is many
    // requests, a retried 429 two); else the calls the engine made.
    report.requests = match (engine.http_start, (engine.http_requests)()) {
        (Some(start), Some(now)) => now.saturating_sub(start),
        _ => engine.requests.load(Ordering::Relaxed),
    };
    report
}

/// What an admin connection would add, and how to look by hand.
fn admin_handoff(connection: &str, user: &str) -> String {
    format!(
        "self mode: a project hidden from {user} and one that does not exist look the same without admin \
         rights, and the grants behind each verdict are not readable. For reasons and fixes run \
         `jiralink audit {connection} --admin ADMIN` with a Jira administrator's connection, or in Jira: \
         ⚙ Administration → Projects → <project> → Permissions shows the scheme, and ⚙ Administration → \
         Issues → Permission schemes → <scheme> → Permissions → Browse Projects shows who holds it"
    )
}

async fn self_check<S: Source>(
    req: &AuditRequest<S>,
    mut engine: Engine<'_>,
    subject: &S,
    required: Vec<String>,
) -> Result<Report, AuditError> {
    let info = engine
        .fatal(subject, "reading serverInfo", subject.server_info())
        .await?;
    validate_required(&engine, subject, &required).await?;
    let me = engine
        .fatal(
            subject,
            "reading the current user (myself)",
            subject.myself(),
        )
        .await?;
    let me = Subject::from_user(&me);
    let all = engine
        .fatal(subject, "listing visible projects", subject.projects())
        .await?;
    let (projects, absent) = apply_filter(all, &req.projects);
    engine.start(projects.len() + absent.len());

    let mut rows: Vec<ProjectRow> = absent
        .iter()
        .map(|key| {
            let mut row = ProjectRow::failed(key, "", String::new());
            row.error = None;
            row.permissions = required.iter().map(|p| (p.clone(), false)).collect();
            row.reason = Some(format!(
                "not visible to {}: {key} is hidden from this user or does not exist (indistinguishable without admin rights)",
                me.name
            ));
            row.fix = Some(format!(
                "run `jiralink audit {} --admin ADMIN --project {key}` with an admin connection to tell which",
                req.connection
            ));
            engine.tick();
            row
        })
        .collect();

    let engine_ref = &engine;
    let required_ref = &required;
    let me_ref = &me;
    // Jira Cloud answers for up to 1,000 projects in one bulk check: ~10 requests instead of
    // 10,000 `mypermissions`. Projects the bulk check could not answer take the per-project path.
    let (bulk_rows, projects) = if subject.has_bulk_permissions() {
        self_check_bulk(&engine, subject, projects, &required, &me, &req.connection).await
    } else {
        (Vec::new(), projects)
    };
    rows.extend(bulk_rows);
    let checked: Vec<ProjectRow> = stream::iter(projects)
        .map(|p| async move {
            let res = engine_ref
                .call(subject, Family::MyPermissions, || {
                    subject.my_permissions(Some(&p.key), required_ref)
                })
                .await;
            let row = self_row(&p, res, required_ref, me_ref, &req.connection);
            engine_ref.tick();
            row
        })
        .buffer_unordered(engine.concurrency)
        .collect()
        .await;
    rows.extend(checked);

    let report = Report {
        connection: req.connection.clone(),
        mode: Mode::SelfCheck,
        user: UserInfo {
            name: me.name.clone(),
            groups: me.groups.iter().cloned().collect(),
            application_roles: me.application_roles.iter().cloned().collect(),
        },
        jira: jira_info(&info),
        required,
        projects: rows,
        schemes: BTreeMap::new(),
        summary: Summary::default(),
        notes: vec![admin_handoff(&req.connection, &me.name)],
        requests: 0,
    };
    Ok(finish(report, &engine))
}

/// Self mode through Cloud's bulk check, 1,000 projects a request, `concurrency` requests at a
/// time. Returns the rows it could fill and the projects left for the per-project path (a chunk
/// whose check failed, or a project without a numeric id).
async fn self_check_bulk<S: Source>(
    engine: &Engine<'_>,
    subject: &S,
    projects: Vec<Project>,
    required: &[String],
    me: &Subject,
    connection: &str,
) -> (Vec<ProjectRow>, Vec<Project>) {
    let (numbered, mut left): (Vec<Project>, Vec<Project>) = projects
        .into_iter()
        .partition(|p| p.id.parse::<u64>().is_ok());
    let chunks: Vec<Vec<Project>> = numbered
        .chunks(crate::jira::bulk::MAX_PROJECTS_PER_CHECK)
        .map(<[Project]>::to_vec)
        .collect();
    let answers: Vec<(Vec<Project>, Result<BulkGrants, String>)> = stream::iter(chunks)
        .map(|chunk| async move {
            let ids: Vec<u64> = chunk.iter().filter_map(|p| p.id.parse().ok()).collect();
            let res = engine
                .call(subject, Family::BulkCheck, || {
                    subject.bulk_permissions(None, required, &[], &ids)
                })
                .await;
            (chunk, res)
        })
        .buffer_unordered(engine.concurrency)
        .collect()
        .await;
    let mut rows = Vec::new();
    for (chunk, res) in answers {
        match res {
            Ok(grants) => {
                for p in &chunk {
                    let id: u64 = p.id.parse().unwrap_or_default();
                    // The same answer `mypermissions` gives, so the verdicts are the same.
                    let perms = Permissions {
                        permissions: required
                            .iter()
                            .map(|k| {
                                let entry = PermissionEntry {
                                    key: Some(k.clone()),
                                    have_permission: Some(grants.holds(k, id)),
                                    ..PermissionEntry::default()
                                };
                                (k.clone(), entry)
                            })
                            .collect(),
                    };
                    rows.push(self_row(p, Ok(perms), required, me, connection));
                    engine.tick();
                }
            }
            Err(e) => {
                tracing::debug!("bulk permission check failed ({e}); checking each project");
                left.extend(chunk);
            }
        }
    }
    (rows, left)
}

/// The admin-assisted cross-check through Cloud's bulk check: for each of `projects` (those the
/// subject sees), the answer `mypermissions` would give for `required` and the global
/// `ADMINISTER`, asked by the subject itself or, with `account_id`, by an administrator for it. Projects of a chunk whose check failed, or without a numeric id, are left out
/// (the caller asks `mypermissions` for them).
async fn bulk_cross_check<S: Source>(
    engine: &Engine<'_>,
    subject: &S,
    account_id: Option<&str>,
    projects: &[&Project],
    required: &[String],
) -> HashMap<String, Permissions> {
    // Owned chunks: a future borrowing slices of a local trips the `Send` bound of the TUI's
    // boxed audit future (closure lifetimes are not general enough).
    let numbered: Vec<(String, u64)> = projects
        .iter()
        .filter_map(|p| Some((p.key.clone(), p.id.parse::<u64>().ok()?)))
        .collect();
    let chunks: Vec<Vec<(String, u64)>> = numbered
        .chunks(crate::jira::bulk::MAX_PROJECTS_PER_CHECK)
        .map(<[(String, u64)]>::to_vec)
        .collect();
    let global = [GLOBAL_ADMINISTER.to_string()];
    let global_ref = &global;
    type Answer = (Vec<(String, u64)>, Result<BulkGrants, String>);
    let answers: Vec<Answer> = stream::iter(chunks)
        .map(|chunk| async move {
            let ids: Vec<u64> = chunk.iter().map(|(_, id)| *id).collect();
            let res = engine
                .call(subject, Family::BulkCheck, || {
                    subject.bulk_permissions(account_id, required, global_ref, &ids)
                })
                .await;
            (chunk, res)
        })
        .buffer_unordered(engine.concurrency)
        .collect()
        .await;
    let mut out = HashMap::new();
    for (chunk, res) in answers {
        let grants = match res {
            Ok(g) => g,
            Err(e) => {
                tracing::debug!("bulk permission check failed ({e}); checking each project");
                continue;
            }
        };
        for (key, id) in chunk {
            let id = &id;
            let entry = |k: &str, held: bool| {
                (
                    k.to_string(),
                    PermissionEntry {
                        key: Some(k.to_string()),
                        have_permission: Some(held),
                        ..PermissionEntry::default()
                    },
                )
            };
            let mut permissions: BTreeMap<String, PermissionEntry> = required
                .iter()
                .map(|k| entry(k, grants.holds(k, *id)))
                .collect();
            let (k, v) = entry(GLOBAL_ADMINISTER, grants.global.contains(GLOBAL_ADMINISTER));
            permissions.insert(k, v);
            out.insert(key, Permissions { permissions });
        }
    }
    out
}

/// A self-mode row from `mypermissions`.
fn self_row(
    p: &Project,
    res: Result<Permissions, String>,
    required: &[String],
    me: &Subject,
    connection: &str,
) -> ProjectRow {
    let perms = match res {
        Ok(perms) => perms.without_deprecated(),
        Err(e) => return ProjectRow::failed(&p.key, &p.name, e),
    };
    let mut row = ProjectRow::failed(&p.key, &p.name, String::new());
    row.error = None;
    // It is in the caller's project list, so Jira lets the caller browse it.
    row.visible = true;
    let mut missing = Vec::new();
    for key in required {
        let has = perms.has(key);
        row.permissions.insert(key.clone(), has == Some(true));
        match has {
            Some(true) => {}
            Some(false) => missing.push(display_name(key)),
            None => missing.push(format!("{} (not reported by Jira)", display_name(key))),
        }
    }
    row.ok = missing.is_empty();
    if !row.ok {
        row.reason = Some(format!(
            "Jira reports that {} lacks {} in {}",
            me.name,
            missing.join(", "),
            p.key
        ));
        row.fix = Some(format!(
            "a Jira admin grants it in {}'s permission scheme; run `jiralink audit {connection} --admin ADMIN` to get the exact grant and its blast radius",
            p.key
        ));
    }
    row
}

/// Facts gathered for one project in admin-assisted mode.
struct Facts {
    project: Project,
    scheme: Result<Arc<PermissionScheme>, String>,
    roles: BTreeMap<String, Result<ProjectRole, String>>,
    /// Jira's own answer for the subject, when its connection was given and it sees the project.
    mine: Option<Result<Permissions, String>>,
}

async fn admin_assisted<S: Source>(
    req: &AuditRequest<S>,
    mut engine: Engine<'_>,
    admin: &S,
    subject_client: Option<&S>,
    required: Vec<String>,
    sink: &mut dyn RowSink,
) -> Result<Report, AuditError> {
    let info = engine
        .fatal(admin, "reading serverInfo", admin.server_info())
        .await?;
    validate_required(&engine, admin, &required).await?;
    let username = match (&req.username, subject_client) {
        (Some(u), _) => u.clone(),
        (None, Some(s)) => engine
            .fatal(s, "reading the integration user (myself)", s.myself())
            .await?
            .login()
            .to_string(),
        (None, None) => {
            return Err(AuditError::InvalidRequest(
                "admin-assisted audit needs the username to audit (--user) or the user's own connection".into(),
            ))
        }
    };
    let user = engine
        .fatal(admin, "looking up the audited user", admin.user(&username))
        .await?;
    let subject = Subject::from_user(&user);
    let mut notes = Vec::new();

    // One list call for every scheme with its grants; an instance (or proxy) that strips the
    // expansion gets per-id fetches instead, still one per scheme. It comes before the project
    // list because a 403 here means the "admin" connection is no Jira administrator: its project
    // list would be only what it may browse, so the audit stops with that diagnosis instead.
    engine.requests.fetch_add(1, Ordering::Relaxed);
    match admin.permission_schemes().await {
        Ok(list) => {
            let mut map = engine.schemes.lock().unwrap_or_else(|p| p.into_inner());
            for s in list.into_iter().filter(|s| !s.permissions.is_empty()) {
                map.insert(
                    s.id.clone(),
                    Arc::new(OnceCell::new_with(Some(Ok(Arc::new(s))))),
                );
            }
        }
        Err(e) if is_forbidden(&e) => return Err(not_an_admin(&e)),
        Err(e) => notes.push(format!(
            "listing permission schemes failed ({e}); fetched each project's scheme by id instead"
        )),
    }

    let all = engine
        .fatal(admin, "listing all projects", admin.projects())
        .await?;
    let (projects, absent) = apply_filter(all, &req.projects);
    engine.start(projects.len() + absent.len());

    // What the subject's own connection says, for the cross-check.
    let subject_visible: Option<BTreeSet<String>> = match subject_client {
        Some(s) => match engine
            .fatal(s, "listing the integration user's projects", s.projects())
            .await
        {
            Ok(list) => Some(list.into_iter().map(|p| p.key).collect()),
            Err(e) => {
                notes.push(format!("cross-check skipped: {}", e.diagnosis().summary));
                None
            }
        },
        None => None,
    };

    // Jira lists every project to a Jira administrator (global ADMINISTER) whatever the schemes
    // say; `mypermissions` answers global keys too, so the cross-check asks for it alongside the
    // required ones instead of spending a request of its own.
    let mine_keys: Vec<String> = required
        .iter()
        .cloned()
        .chain([GLOBAL_ADMINISTER.to_string()])
        .collect();
    let mine_keys_ref = &mine_keys;

    let mut evaluated = required.clone();
    if !evaluated.iter().any(|p| p == BROWSE_PROJECTS) {
        // Visibility is always reported, required or not.
        evaluated.push(BROWSE_PROJECTS.to_string());
    }
    if subject_client.is_some() && !evaluated.iter().any(|p| p == ADMINISTER_PROJECTS) {
        // Jira lists a project to users holding Browse Projects *or* Administer Projects
        // (ProjectAction.VIEW_PROJECT), so the cross-check against the user's own project list
        // needs both.
        evaluated.push(ADMINISTER_PROJECTS.to_string());
    }
    // On Cloud the cross-check asks the bulk check, 1,000 projects a request, instead of one
    // `mypermissions` per project; a chunk it could not answer falls back to the per-project path.
    let bulk_mine: HashMap<String, Permissions> = match (subject_client, &subject_visible) {
        (Some(s), Some(visible)) if s.has_bulk_permissions() => {
            let seen: Vec<&Project> = projects
                .iter()
                .filter(|p| visible.contains(&p.key))
                .collect();
            bulk_cross_check(&engine, s, None, &seen, &required).await
        }
        // Without the user's own connection, a Jira administrator may ask the same bulk check
        // for the user's account: Jira's own answer for every project, ~1 request per 1,000.
        (None, _) if admin.has_bulk_permissions() && user.account_id.is_some() => {
            let all: Vec<&Project> = projects.iter().collect();
            bulk_cross_check(&engine, admin, user.account_id.as_deref(), &all, &required).await
        }
        _ => HashMap::new(),
    };
    let bulk_mine_ref = &bulk_mine;
    let engine_ref = &engine;
    let evaluated_ref = &evaluated;
    let subject_visible_ref = &subject_visible;
    // Two passes over the projects, the same requests as one: first each project's scheme (so
    // the blast radius of every scheme is known), then its role actors and Jira's own answer,
    // turned into the row at once. Holding every project's role actors until the last project
    // was read cost ~2 KB a project (120 MB at 50,000).
    let schemed: Vec<(Project, Result<Arc<PermissionScheme>, String>)> = stream::iter(projects)
        .map(|project| async move {
            let scheme = match engine_ref
                .call(admin, Family::ProjectScheme, || {
                    admin.project_permission_scheme(&project.key)
                })
                .await
            {
                Ok(s) => engine_ref.scheme_grants(admin, &s.id).await,
                Err(e) => Err(e),
            };
            engine_ref.report_requests();
            (project, scheme)
        })
        .buffer_unordered(engine.concurrency)
        .collect()
        .await;
    // Completion order varies run to run; sort so `shared_with` and blast radii are stable.
    let mut schemed = schemed;
    schemed.sort_by(|a, b| a.0.key.cmp(&b.0.key));

    // Blast radius: which projects share each scheme (among those checked). Built once and
    // shared by reference: a per-row list of the others made the run and report O(projects²).
    // `schemed` is sorted by key, so every list comes out sorted.
    let mut schemes: BTreeMap<String, SchemeProjects> = BTreeMap::new();
    // Who else sees these projects: an issue-level Browse grant opens them to everyone logged in.
    let mut open_to_all: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for (project, scheme) in &schemed {
        if let Ok(s) = scheme {
            let entry = schemes
                .entry(s.id.clone())
                .or_insert_with(|| SchemeProjects {
                    name: s.name.clone(),
                    projects: Vec::new(),
                });
            entry.projects.push(project.key.clone());
            let holders = browse_open_to_all(s);
            if !holders.is_empty() {
                let entry = open_to_all
                    .entry(s.name.clone())
                    .or_insert_with(|| (holders, Vec::new()));
                entry.1.push(project.key.clone());
            }
        }
    }
    let version = info.version_tuple();
    let cloud = info.is_cloud();
    let schemes_ref = &schemes;
    let subject_ref = &subject;
    let required_ref = &required;
    // `buffered`, not `buffer_unordered`: the rows come out in key order.
    let mut rows: Vec<ProjectRow> = stream::iter(schemed)
        .map(|(project, scheme)| async move {
            let mut roles = BTreeMap::new();
            if let Ok(s) = &scheme {
                // Sequential within a project: the projects already run `concurrency` at a time.
                for role_id in relevant_roles(s, evaluated_ref) {
                    let r = engine_ref
                        .call(admin, Family::ProjectRole, || {
                            admin.project_role(&project.key, &role_id)
                        })
                        .await;
                    roles.insert(role_id, r);
                }
            }
            let mine = match (subject_client, subject_visible_ref) {
                _ if bulk_mine_ref.contains_key(&project.key) => {
                    bulk_mine_ref.get(&project.key).cloned().map(Ok)
                }
                (Some(s), Some(visible)) if visible.contains(&project.key) => Some(
                    engine_ref
                        .call(s, Family::MyPermissions, || {
                            s.my_permissions(Some(&project.key), mine_keys_ref)
                        })
                        .await,
                ),
                _ => None,
            };
            let facts = Facts {
                project,
                scheme,
                roles,
                mine,
            };
            let row = admin_row(
                &facts,
                subject_ref,
                evaluated_ref,
                required_ref,
                schemes_ref,
                version,
                cloud,
                subject_visible_ref.as_ref(),
            );
            engine_ref.tick();
            row
        })
        .buffered(engine.concurrency)
        .map(|row| sink.keep(row))
        .collect()
        .await;
    for key in &absent {
        rows.push(ProjectRow::failed(
            key,
            "",
            format!("no project with key {key} (the admin connection sees every project)"),
        ));
        engine.tick();
    }
    for (scheme, (holders, mut keys)) in open_to_all {
        keys.sort();
        notes.push(format!(
            "scheme '{scheme}' grants Browse Projects to {} (issue-level): every logged-in user can see {}",
            holders.join(", "),
            keys.join(", ")
        ));
    }
    if subject.inactive {
        notes.push(format!(
            "{} is deactivated in Jira: reactivate the user before changing any scheme",
            subject.name
        ));
    }
    if !req.projects.is_empty() {
        notes.push(
            "blast radius counts only the audited projects (--project filter); run without the filter to see every project sharing a scheme"
                .into(),
        );
    }
    if subject_client.is_none() {
        notes.push(format!(
            "verdicts are computed from the permission schemes; add {}'s own connection to cross-check them against Jira's mypermissions",
            subject.name
        ));
    }
    let report = Report {
        connection: req.connection.clone(),
        mode: Mode::AdminAssisted,
        user: UserInfo {
            name: subject.name.clone(),
            groups: subject.groups.iter().cloned().collect(),
            application_roles: subject.application_roles.iter().cloned().collect(),
        },
        jira: jira_info(&info),
        required,
        projects: rows,
        schemes,
        summary: Summary::default(),
        notes,
        requests: 0,
    };
    Ok(finish(report, &engine))
}

/// The admin connection was refused the permission schemes: it is not a Jira administrator.
fn not_an_admin(e: &JiraError) -> AuditError {
    let jira_said = e.diagnose().summary;
    AuditError::Jira {
        during: "reading the permission schemes with the --admin connection",
        diagnosis: Box::new(Diagnosis::error(
            Code::Forbidden,
            "the --admin connection is not a Jira administrator (GET /rest/api/2/permissionscheme answered 403)",
            format!(
                "permission schemes are readable only with the global permission Jira Administrators \
                 (Jira DC REST docs for project/{{key}}/permissionscheme: \"in practice the user needs \
                 to be a Jira administrator\"); Jira said: {jira_said}"
            ),
            "pass --admin a connection whose user is in jira-administrators (⚙ Administration → System → \
             Global permissions → Jira Administrators), or drop --admin for the self-mode audit of the \
             integration user's own connection",
        )),
    }
}

#[allow(clippy::too_many_arguments)]
fn admin_row(
    f: &Facts,
    subject: &Subject,
    evaluated: &[String],
    required: &[String],
    schemes: &BTreeMap<String, SchemeProjects>,
    version: Option<(u32, u32, u32)>,
    cloud: bool,
    subject_visible: Option<&BTreeSet<String>>,
) -> ProjectRow {
    let p = &f.project;
    let scheme = match &f.scheme {
        Ok(s) => s,
        Err(e) => return ProjectRow::failed(&p.key, &p.name, format!("permission scheme: {e}")),
    };
    let scheme_projects: &[String] = schemes
        .get(&scheme.id)
        .map(|s| s.projects.as_slice())
        .unwrap_or_default();
    // DC names the lead by `name` (or `key`), Cloud by `accountId` only, as it names the subject.
    let lead = p
        .lead
        .as_ref()
        .and_then(|l| l.name.clone().or(l.key.clone()).or(l.account_id.clone()));
    let ctx = ProjectContext {
        key: &p.key,
        lead: lead.as_deref(),
        scheme,
        roles: &f.roles,
        scheme_projects,
        version,
        cloud,
    };
    let verdicts = evaluate_all(subject, &ctx, evaluated);
    let get = |k: &str| verdicts.iter().find(|v| v.permission == k);
    let visible = get(BROWSE_PROJECTS).is_some_and(|v| v.granted);
    let details: Vec<PermissionVerdict> = verdicts
        .iter()
        .filter(|v| required.contains(&v.permission))
        .cloned()
        .collect();
    let missing: Vec<&PermissionVerdict> = details.iter().filter(|v| !v.granted).collect();
    let mut row = ProjectRow::failed(&p.key, &p.name, String::new());
    row.error = None;
    row.visible = visible;
    row.permissions = details
        .iter()
        .map(|v| (v.permission.clone(), v.granted))
        .collect();
    row.ok = missing.is_empty();
    row.scheme = Some(SchemeRef {
        id: scheme.id.clone(),
        name: scheme.name.clone(),
        shared_with: ctx.others_count(),
    });
    if !missing.is_empty() {
        row.reason = Some(
            missing
                .iter()
                .filter_map(|v| v.reason.clone())
                .collect::<Vec<_>>()
                .join(" | "),
        );
        row.fix = Some(
            missing
                .iter()
                .filter_map(|v| v.fix.as_ref().map(|f| f.text()))
                .collect::<Vec<_>>()
                .join(" | "),
        );
    } else if let Some(v) = get(BROWSE_PROJECTS).filter(|v| v.issue_level) {
        // Not a failure, but an admin should know why everyone logged in sees this project.
        row.reason = Some(format!("visible only through {}", v.via.join(", ")));
    }
    let failed_roles: Vec<String> = f
        .roles
        .iter()
        .filter_map(|(id, r)| r.as_ref().err().map(|e| format!("role {id}: {e}")))
        .collect();
    if !failed_roles.is_empty() && !row.ok {
        // The verdict may be wrong when role actors were unreadable: say what failed.
        row.error = Some(failed_roles.join("; "));
    }
    let jira_admin = matches!(&f.mine, Some(Ok(p)) if p.has(GLOBAL_ADMINISTER) == Some(true));
    let listed = jira_admin || visible || get(ADMINISTER_PROJECTS).is_some_and(|v| v.granted);
    row.disagreements = cross_check(f, &row, listed, subject_visible);
    row.details = details;
    row
}

/// Compare the computed verdicts with what Jira tells the subject itself.
/// `listed`: whether the computed verdicts put the project in the user's own project list
/// (Browse Projects or Administer Projects).
fn cross_check(
    f: &Facts,
    row: &ProjectRow,
    listed: bool,
    subject_visible: Option<&BTreeSet<String>>,
) -> Vec<String> {
    let mut out = Vec::new();
    // The user's own project list, when its connection was given; Jira's answer per project
    // (`mine`) comes from that connection or from the admin's bulk check for the user's account.
    if let Some(visible) = subject_visible {
        let jira_listed = visible.contains(&f.project.key);
        if jira_listed != listed {
            out.push(format!(
                "visibility: computed {}, but the user's own project list {} it",
                if listed { "listed" } else { "hidden" },
                if jira_listed { "contains" } else { "lacks" }
            ));
        }
    }
    match &f.mine {
        Some(Ok(perms)) => {
            for (key, computed) in &row.permissions {
                if let Some(actual) = perms.has(key) {
                    if actual != *computed {
                        out.push(format!(
                            "{key}: computed {}, Jira says {}",
                            yes_no(*computed),
                            yes_no(actual)
                        ));
                    }
                }
            }
        }
        Some(Err(e)) => out.push(format!("cross-check failed: {e}")),
        None => {}
    }
    out
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "granted"
    } else {
        "missing"
    }
}
