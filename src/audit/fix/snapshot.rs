//! What the planner reads from Jira, gathered once per run with an admin connection: every scheme
//! with its grants, every role, the projects on the affected schemes, the role actors that decide
//! who holds what there, and the members of every group involved (`group/member`, paged, cached
//! per run). Built on an audit report, whose rows say what is missing.

use super::super::report::{Mode, Report};
use super::super::source::Source;
use super::{ActorRef, FixOptions};
use crate::jira::model::{HolderKind, PermissionScheme};
use crate::jira::{JiraClient, JiraError};
use futures::stream::{self, StreamExt};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;

/// One page of a group's members as Jira answered it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberPage {
    /// Login names on the page.
    pub names: Vec<String>,
    /// How many users the page held (names or not).
    pub count: usize,
    /// The group's size, when Jira says.
    pub total: Option<u64>,
    /// Whether this is the last page.
    pub is_last: bool,
}

/// The admin reads the planner makes beyond the audit's.
pub trait AdminSource: Source {
    /// One page of a group's members from `start` (`GET /rest/api/2/group/member`, page size
    /// [`GROUP_PAGE`](crate::jira::admin_writes::GROUP_PAGE)).
    fn group_members_page(
        &self,
        group: &str,
        start: usize,
    ) -> impl Future<Output = Result<MemberPage, JiraError>> + Send;
    /// Every project role: (id, name).
    fn roles(&self) -> impl Future<Output = Result<Vec<(String, String)>, JiraError>> + Send;
    /// The groups conferring an application role.
    fn application_role_groups(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Vec<String>, JiraError>> + Send;
}

impl AdminSource for JiraClient {
    async fn group_members_page(&self, group: &str, start: usize) -> Result<MemberPage, JiraError> {
        use crate::jira::admin_writes::GROUP_PAGE;
        use crate::jira::model::{Page, UserRef};
        // The same call as `JiraClient::group_members`, one page at a time (contract
        // `getUsersFromGroup`; page bean {startAt, maxResults, total, isLast, values}). 50 a page:
        // the DC contract states no maximum, and public clients find no more than 50 come back
        // (JiraPS Get-JiraGroupMember: "JIRA doesn't reliably return more than 50 results at a
        // time", powershellgallery.com/packages/JiraPS/2.7.0; PowerJira Invoke-JiraGetGroupUsers:
        // "hard-limited to 50", powershellgallery.com/packages/PowerJira/1.0.5).
        let page: Page<UserRef> = self
            .get_json(
                "/rest/api/2/group/member",
                &[
                    ("groupname", group),
                    ("startAt", &start.to_string()),
                    ("maxResults", &GROUP_PAGE.to_string()),
                ],
            )
            .await?;
        let count = page.values.len();
        Ok(MemberPage {
            names: page
                .values
                .into_iter()
                .filter_map(|u| u.name.or(u.account_id))
                .collect(),
            count,
            total: page.total,
            is_last: page.is_last.unwrap_or(true),
        })
    }
    async fn roles(&self) -> Result<Vec<(String, String)>, JiraError> {
        Ok(JiraClient::roles(self)
            .await?
            .into_iter()
            .filter_map(|r| Some((r.id?, r.name.unwrap_or_default())))
            .collect())
    }
    fn application_role_groups(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Vec<String>, JiraError>> + Send {
        JiraClient::application_role_groups(self, key)
    }
}

/// Whether `page`, read at `start`, ends the group.
fn ends(page: &MemberPage, start: usize) -> bool {
    page.is_last || page.count == 0 || page.total.is_some_and(|t| (start + page.count) as u64 >= t)
}

/// A whole group page by page, one after the other from `start` (the fallback when the pages
/// cannot be worked out from the first one); the names and the requests made.
async fn members_in_order<S: AdminSource>(
    admin: &S,
    group: &str,
    mut start: usize,
    mut out: Vec<String>,
) -> Result<(Vec<String>, u64), JiraError> {
    let mut requests = 0;
    loop {
        requests += 1;
        let page = admin.group_members_page(group, start).await?;
        let last = ends(&page, start);
        start += page.count;
        out.extend(page.names);
        if last {
            return Ok((out, requests));
        }
    }
}

/// The members of every group in `groups`: the first page of each, then every remaining page at
/// once (Jira answers the group's `total` on the first page, so the offsets are known), at most
/// `concurrency` requests in flight (the client paces them under the rate limit). A page that
/// does not hold a full page's users before the end makes that group read again in order.
/// Members in Jira's order, and the requests made.
pub async fn read_groups<S: AdminSource>(
    admin: &S,
    groups: Vec<String>,
    concurrency: usize,
) -> Result<(HashMap<String, Vec<String>>, u64), (String, JiraError)> {
    let concurrency = concurrency.max(1);
    let limit = tokio::sync::Semaphore::new(concurrency);
    read_groups_within(admin, groups, concurrency, &limit).await
}

/// [`read_groups`] with every request holding a permit of `limit` (shared with other reads).
async fn read_groups_within<S: AdminSource>(
    admin: &S,
    groups: Vec<String>,
    concurrency: usize,
    limit: &tokio::sync::Semaphore,
) -> Result<(HashMap<String, Vec<String>>, u64), (String, JiraError)> {
    let firsts: Vec<(String, Result<MemberPage, JiraError>)> = stream::iter(groups)
        .map(|g| async move {
            let _permit = limit.acquire().await;
            let r = admin.group_members_page(&g, 0).await;
            (g, r)
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let mut requests = 0u64;
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    let mut rest: Vec<(String, usize)> = Vec::new();
    let mut in_order: Vec<(String, usize, Vec<String>)> = Vec::new();
    let mut firsts_of: HashMap<String, (usize, u64, Vec<String>)> = HashMap::new();
    for (g, r) in firsts {
        requests += 1;
        let page = r.map_err(|e| (g.clone(), e))?;
        if ends(&page, 0) {
            out.insert(g, page.names);
            continue;
        }
        match page.total {
            Some(total) => {
                let step = page.count;
                let mut s = step;
                while (s as u64) < total {
                    rest.push((g.clone(), s));
                    s += step;
                }
                firsts_of.insert(g, (step, total, page.names));
            }
            None => in_order.push((g, page.count, page.names)),
        }
    }
    let pages: Vec<(String, usize, Result<MemberPage, JiraError>)> = stream::iter(rest)
        .map(|(g, s)| async move {
            let _permit = limit.acquire().await;
            let r = admin.group_members_page(&g, s).await;
            (g, s, r)
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let mut by_group: HashMap<String, Vec<(usize, MemberPage)>> = HashMap::new();
    for (g, s, r) in pages {
        requests += 1;
        let page = r.map_err(|e| (g.clone(), e))?;
        by_group.entry(g).or_default().push((s, page));
    }
    for (g, (step, total, first)) in firsts_of {
        let mut pages = by_group.remove(&g).unwrap_or_default();
        pages.sort_by_key(|(s, _)| *s);
        // Every page but the last must be full; otherwise the group changed under us or the
        // server pages differently: read it again in order.
        let whole = pages
            .iter()
            .all(|(s, p)| p.count == step || (*s as u64 + p.count as u64) >= total);
        if whole {
            let mut names = first;
            for (_, p) in pages {
                names.extend(p.names);
            }
            out.insert(g, names);
        } else {
            in_order.push((g, 0, Vec::new()));
        }
    }
    for (g, start, first) in in_order {
        let (names, n) = members_in_order(admin, &g, start, first)
            .await
            .map_err(|e| (g.clone(), e))?;
        requests += n;
        out.insert(g, names);
    }
    Ok((out, requests))
}

/// One (project, role) actor read.
type ActorsRead = ((String, String), Result<Vec<ActorRef>, JiraError>);

/// One project as the planner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectFacts {
    /// Scheme id.
    pub scheme: String,
    /// Lead's login name.
    pub lead: Option<String>,
}

/// Everything the planner evaluates against.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The subject's login name.
    pub subject: String,
    /// The subject's groups.
    pub subject_groups: BTreeSet<String>,
    /// Required permission keys.
    pub required: Vec<String>,
    /// Missing (project, permission) pairs among the audited projects, sorted.
    pub missing: Vec<(String, String)>,
    /// Schemes by id, with grants.
    pub schemes: BTreeMap<String, PermissionScheme>,
    /// Project key → facts, for every project on the affected schemes.
    pub projects: BTreeMap<String, ProjectFacts>,
    /// Role id → name.
    pub roles: BTreeMap<String, String>,
    /// (project, role id) → actors, where fetched.
    pub actors: HashMap<(String, String), Vec<ActorRef>>,
    /// Group → member login names.
    pub groups: HashMap<String, Vec<String>>,
    /// Application role key → groups.
    pub app_roles: HashMap<String, Vec<String>>,
    /// Roles whose actors were fetched in every project of a scheme: (scheme id, role id).
    pub complete: BTreeSet<(String, String)>,
    /// Jira version, for menu paths.
    pub version: Option<(u32, u32, u32)>,
    /// Requests made while gathering.
    pub requests: u64,
}

impl Snapshot {
    /// Projects using scheme `id`, in key order.
    pub fn projects_on<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a String> + 'a {
        self.projects
            .iter()
            .filter(move |(_, f)| f.scheme == id)
            .map(|(k, _)| k)
    }

    /// Schemes holding at least one missing pair, in id order.
    pub fn affected_schemes(&self) -> BTreeSet<String> {
        self.missing
            .iter()
            .filter_map(|(p, _)| self.projects.get(p).map(|f| f.scheme.clone()))
            .collect()
    }

    /// Role id by name (case-insensitive).
    pub fn role_id(&self, name: &str) -> Option<&String> {
        self.roles
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(id, _)| id)
    }
}

/// Why the planner could not gather.
#[derive(Debug, Clone, thiserror::Error)]
pub enum GatherError {
    /// The report does not come from an admin-assisted audit.
    #[error("planning a fix needs an admin-assisted audit (--admin ADMIN)")]
    NotAdminMode,
    /// A Jira call failed.
    #[error("{during}: {error}")]
    Jira {
        /// What was being read.
        during: String,
        /// The failure.
        error: Box<JiraError>,
    },
}

fn jira(during: impl Into<String>) -> impl FnOnce(JiraError) -> GatherError {
    let during = during.into();
    move |e| GatherError::Jira {
        during,
        error: Box::new(e),
    }
}

fn actor_of(a: &crate::jira::model::RoleActor) -> Option<ActorRef> {
    let name = a.actor_name()?;
    Some(if a.is_group() {
        ActorRef::Group(name)
    } else {
        ActorRef::User(name)
    })
}

/// Gather the snapshot for the missing pairs of `report` (admin-assisted) through `admin`.
pub async fn gather<S: AdminSource>(
    report: &Report,
    admin: &S,
    opts: &FixOptions,
    concurrency: usize,
) -> Result<Snapshot, GatherError> {
    if report.mode != Mode::AdminAssisted {
        return Err(GatherError::NotAdminMode);
    }
    let concurrency = concurrency.max(1);
    let mut snap = Snapshot {
        subject: report.user.name.clone(),
        subject_groups: report.user.groups.iter().cloned().collect(),
        required: report.required.clone(),
        version: report
            .jira
            .version
            .as_deref()
            .and_then(crate::jira::model::parse_version),
        ..Snapshot::default()
    };
    for row in &report.projects {
        for v in &row.details {
            if !v.granted && report.required.contains(&v.permission) {
                snap.missing.push((row.key.clone(), v.permission.clone()));
            }
        }
    }
    snap.missing.sort();
    if snap.missing.is_empty() {
        return Ok(snap);
    }
    // Requests as the client counts them (answers the audit already read cost none); an
    // estimate when the source does not count.
    let http_start = admin.http_requests();
    let mut requests = 0u64;
    // Schemes with grants, and every role.
    requests += 1;
    for s in admin
        .permission_schemes()
        .await
        .map_err(jira("reading the permission schemes"))?
    {
        snap.schemes.insert(s.id.clone(), s);
    }
    requests += 1;
    snap.roles = admin
        .roles()
        .await
        .map_err(jira("listing the project roles (GET /rest/api/2/role)"))?
        .into_iter()
        .collect();
    // Every project with its lead; the scheme from the report where audited, else asked.
    requests += 1;
    let all = admin
        .projects()
        .await
        .map_err(jira("listing all projects"))?;
    let known: HashMap<&str, &str> = report
        .projects
        .iter()
        .filter_map(|r| r.scheme.as_ref().map(|s| (r.key.as_str(), s.id.as_str())))
        .collect();
    let unknown: Vec<String> = all
        .iter()
        .filter(|p| !known.contains_key(p.key.as_str()))
        .map(|p| p.key.clone())
        .collect();
    requests += unknown.len() as u64;
    let fetched: Vec<(String, Result<PermissionScheme, JiraError>)> = stream::iter(unknown)
        .map(|k| async move {
            let r = admin.project_permission_scheme(&k).await;
            (k, r)
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let mut scheme_of: HashMap<String, String> = known
        .iter()
        .map(|(k, s)| ((*k).to_string(), (*s).to_string()))
        .collect();
    for (k, r) in fetched {
        let s = r.map_err(jira(format!("reading the permission scheme of {k}")))?;
        scheme_of.insert(k, s.id);
    }
    let affected: BTreeSet<String> = snap
        .missing
        .iter()
        .filter_map(|(p, _)| scheme_of.get(p).cloned())
        .collect();
    for p in &all {
        if let Some(s) = scheme_of.get(&p.key).filter(|s| affected.contains(*s)) {
            snap.projects.insert(
                p.key.clone(),
                super::snapshot::ProjectFacts {
                    scheme: s.clone(),
                    lead: p
                        .lead
                        .as_ref()
                        .and_then(|l| l.name.clone().or(l.key.clone())),
                },
            );
        }
    }
    // The groups known now (the subject's, the holders in the affected schemes, the groups of
    // application roles holding something there) are read while the role actors are; both share
    // one limit of `concurrency` requests in flight.
    let limit = tokio::sync::Semaphore::new(concurrency);
    let limit = &limit;
    let mut app_keys: BTreeSet<String> = BTreeSet::new();
    let mut known_groups: BTreeSet<String> = snap.subject_groups.clone();
    for s in &affected {
        if let Some(scheme) = snap.schemes.get(s) {
            for g in &scheme.permissions {
                match g.holder.interpret() {
                    HolderKind::Group { name } => {
                        known_groups.insert(name);
                    }
                    HolderKind::ApplicationRole { key: Some(k) } => {
                        app_keys.insert(k);
                    }
                    _ => {}
                }
            }
        }
    }
    let groups_read = async move {
        let mut app_roles = HashMap::new();
        let mut groups = known_groups;
        let mut requests = 0u64;
        for k in app_keys {
            requests += 1;
            let gs = {
                let _permit = limit.acquire().await;
                admin.application_role_groups(&k).await
            }
            .map_err(jira(format!("reading application role {k}")))?;
            groups.extend(gs.iter().cloned());
            app_roles.insert(k, gs);
        }
        let (lists, n) =
            read_groups_within(admin, groups.into_iter().collect(), concurrency, limit)
                .await
                .map_err(|(g, e)| jira(format!("reading the members of group {g}"))(e))?;
        Ok::<_, GatherError>((app_roles, lists, requests + n))
    };
    let snap_ref = &mut snap;
    let scheme_of = &scheme_of;
    let affected = &affected;
    let actors_read = async move {
        let snap = snap_ref;
        let mut requests = 0u64;
        // Which role actors to read: every role in the projects with a gap (which roles the subject
        // holds there), and on every project of an affected scheme the roles its grants name plus
        // the roles the subject holds somewhere on it (a grant to such a role reaches all of them).
        let missing_projects: BTreeSet<&String> = snap.missing.iter().map(|(p, _)| p).collect();
        let mut wanted: BTreeSet<(String, String)> = BTreeSet::new();
        for p in &missing_projects {
            for r in snap.roles.keys() {
                wanted.insert(((*p).clone(), r.clone()));
            }
        }
        let fetch_actors = |pairs: Vec<(String, String)>| async move {
            let res: Vec<ActorsRead> = stream::iter(pairs)
                .map(|(p, r)| async move {
                    let _permit = limit.acquire().await;
                    let a = admin
                        .project_role(&p, &r)
                        .await
                        .map(|role| role.actors.iter().filter_map(actor_of).collect());
                    ((p, r), a)
                })
                .buffer_unordered(concurrency)
                .collect()
                .await;
            res
        };
        requests += wanted.len() as u64;
        for ((p, r), a) in fetch_actors(wanted.iter().cloned().collect()).await {
            let a = a.map_err(jira(format!("reading role {r} in {p}")))?;
            snap.actors.insert((p, r), a);
        }
        let subject = ActorRef::User(snap.subject.clone());
        let holds_role = |snap: &Snapshot, p: &str, r: &str| {
            snap.actors
                .get(&(p.to_string(), r.to_string()))
                .is_some_and(|a| {
                    a.iter().any(|x| match x {
                        ActorRef::User(u) => u.eq_ignore_ascii_case(&snap.subject),
                        ActorRef::Group(g) => snap.subject_groups.contains(g),
                    })
                })
        };
        let mut per_scheme: Vec<(String, String)> = Vec::new();
        for s in affected {
            let Some(scheme) = snap.schemes.get(s) else {
                continue;
            };
            let mut roles: BTreeSet<String> = scheme
                .permissions
                .iter()
                .filter_map(|g| match g.holder.interpret() {
                    HolderKind::ProjectRole { id } => Some(id),
                    _ => None,
                })
                .collect();
            for (p, _) in snap
                .missing
                .iter()
                .filter(|(p, _)| scheme_of.get(p) == Some(s))
            {
                for r in snap.roles.keys() {
                    if holds_role(snap, p, r) {
                        roles.insert(r.clone());
                    }
                }
            }
            for r in roles {
                snap.complete.insert((s.clone(), r.clone()));
                for q in snap.projects_on(s) {
                    if !snap.actors.contains_key(&(q.clone(), r.clone())) {
                        per_scheme.push((q.clone(), r.clone()));
                    }
                }
            }
        }
        requests += per_scheme.len() as u64;
        for ((p, r), a) in fetch_actors(per_scheme).await {
            let a = a.map_err(jira(format!("reading role {r} in {p}")))?;
            snap.actors.insert((p, r), a);
        }
        // Dedicated-role check: a role not yet read everywhere on a scheme is read project by project
        // until an actor other than the subject shows up (most roles stop at the first project).
        for s in affected {
            let projects: Vec<String> = snap.projects_on(s).cloned().collect();
            for r in snap.roles.keys().cloned().collect::<Vec<_>>() {
                if snap.complete.contains(&(s.clone(), r.clone())) {
                    continue;
                }
                let mut dedicated = true;
                for q in &projects {
                    let key = (q.clone(), r.clone());
                    if !snap.actors.contains_key(&key) {
                        requests += 1;
                        let _permit = limit.acquire().await;
                        let a: Vec<ActorRef> = admin
                            .project_role(q, &r)
                            .await
                            .map_err(jira(format!("reading role {r} in {q}")))?
                            .actors
                            .iter()
                            .filter_map(actor_of)
                            .collect();
                        snap.actors.insert(key.clone(), a);
                    }
                    if snap.actors[&key].iter().any(|a| *a != subject) {
                        dedicated = false;
                        break;
                    }
                }
                if dedicated {
                    snap.complete.insert((s.clone(), r));
                }
            }
        }
        Ok::<_, GatherError>(requests)
    };
    let (read, actors_requests) = tokio::join!(groups_read, actors_read);
    let (app_roles, mut lists, n) = read?;
    requests += actors_requests? + n;
    snap.app_roles = app_roles;
    let _ = opts;
    // Groups that are role actors and were not known before: read now.
    let more: BTreeSet<String> = snap
        .actors
        .values()
        .flatten()
        .filter_map(|x| match x {
            ActorRef::Group(g) if !lists.contains_key(g) => Some(g.clone()),
            _ => None,
        })
        .collect();
    if !more.is_empty() {
        let (more, n) = read_groups(admin, more.into_iter().collect(), concurrency)
            .await
            .map_err(|(g, e)| jira(format!("reading the members of group {g}"))(e))?;
        requests += n;
        lists.extend(more);
    }
    snap.groups = lists;
    snap.requests = match (http_start, admin.http_requests()) {
        (Some(a), Some(b)) => b.saturating_sub(a),
        _ => requests,
    };
    Ok(snap)
}
