//! The planner's own evaluator over a [`Snapshot`], with a set of changes overlaid: who holds a
//! project permission before and after, and the exact gains of the changes — every (user, project,
//! permission) triple granted after and not before, across all users and all projects on the
//! affected schemes. Pure: no I/O, so every case is unit-tested.

use super::snapshot::Snapshot;
use super::{ActorRef, Change, Gains, Triple, TRIPLES_LISTED};
use crate::audit::permissions::display_name;
use crate::jira::model::HolderKind;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// A role as the overlay names it: an existing id, or a role the changes create.
fn role_key(id: Option<&str>, name: &str) -> String {
    match id {
        Some(id) => id.to_string(),
        None => format!("new:{name}"),
    }
}

/// A grant's holder, interpreted.
#[derive(Debug, Clone)]
enum Who {
    Everyone,
    Group(String),
    User(String),
    Role(String),
    AppRole(String),
    Lead,
    Nobody,
}

fn who(kind: &HolderKind) -> Who {
    match kind {
        HolderKind::Anyone
        | HolderKind::ApplicationRole { key: None }
        | HolderKind::Reporter
        | HolderKind::Assignee
        | HolderKind::CustomField { .. } => Who::Everyone,
        HolderKind::Group { name } => Who::Group(name.clone()),
        HolderKind::User { name } => Who::User(name.clone()),
        HolderKind::ProjectRole { id } => Who::Role(id.clone()),
        HolderKind::ApplicationRole { key: Some(k) } => Who::AppRole(k.clone()),
        HolderKind::ProjectLead => Who::Lead,
        HolderKind::Other { .. } => Who::Nobody,
    }
}

/// The evaluator: the snapshot indexed for fast membership checks.
pub struct Evaluator<'s> {
    snap: &'s Snapshot,
    members: HashMap<&'s str, HashSet<&'s str>>,
    /// (scheme id, permission) → holders.
    grants: HashMap<(&'s str, &'s str), Vec<Who>>,
}

/// Changes overlaid on the snapshot.
#[derive(Debug, Default)]
struct Overlay {
    /// (scheme, permission) → extra holders.
    grants: HashMap<(String, String), Vec<Who>>,
    /// (project, role key) → extra actors.
    actors: HashMap<(String, String), Vec<ActorRef>>,
}

impl Overlay {
    fn of(changes: &[Change]) -> Self {
        let mut o = Overlay::default();
        for c in changes {
            match c {
                Change::CreateRole { .. } => {}
                Change::Grant {
                    scheme_id,
                    permission,
                    holder,
                    ..
                } => {
                    let w = match holder.kind.as_str() {
                        "group" => Who::Group(holder.parameter.clone().unwrap_or_default()),
                        "user" => Who::User(holder.parameter.clone().unwrap_or_default()),
                        "projectRole" => Who::Role(role_key(
                            holder.parameter.as_deref(),
                            holder.role_name.as_deref().unwrap_or_default(),
                        )),
                        _ => Who::Nobody,
                    };
                    o.grants
                        .entry((scheme_id.clone(), permission.clone()))
                        .or_default()
                        .push(w);
                }
                Change::AddRoleActor {
                    project,
                    role_id,
                    role_name,
                    actor,
                } => o
                    .actors
                    .entry((project.clone(), role_key(role_id.as_deref(), role_name)))
                    .or_default()
                    .push(actor.clone()),
            }
        }
        o
    }
}

impl<'s> Evaluator<'s> {
    /// Index a snapshot.
    pub fn new(snap: &'s Snapshot) -> Self {
        let members = snap
            .groups
            .iter()
            .map(|(g, m)| (g.as_str(), m.iter().map(String::as_str).collect()))
            .collect();
        let mut grants: HashMap<(&str, &str), Vec<Who>> = HashMap::new();
        for (id, s) in &snap.schemes {
            for g in &s.permissions {
                grants
                    .entry((id.as_str(), g.permission.as_str()))
                    .or_default()
                    .push(who(&g.holder.interpret()));
            }
        }
        Self {
            snap,
            members,
            grants,
        }
    }

    /// The snapshot evaluated.
    pub fn snapshot(&self) -> &'s Snapshot {
        self.snap
    }

    fn in_group(&self, user: &str, group: &str) -> bool {
        if self.members.get(group).is_some_and(|m| m.contains(user)) {
            return true;
        }
        // The subject's own groups are known even when a group was not read.
        user.eq_ignore_ascii_case(&self.snap.subject) && self.snap.subject_groups.contains(group)
    }

    fn actor_has(&self, a: &ActorRef, user: &str) -> bool {
        match a {
            ActorRef::User(u) => u.eq_ignore_ascii_case(user),
            ActorRef::Group(g) => self.in_group(user, g),
        }
    }

    fn role_has(&self, project: &str, role: &str, user: &str, ov: Option<&Overlay>) -> bool {
        let key = (project.to_string(), role.to_string());
        self.snap
            .actors
            .get(&key)
            .is_some_and(|a| a.iter().any(|x| self.actor_has(x, user)))
            || ov
                .and_then(|o| o.actors.get(&key))
                .is_some_and(|a| a.iter().any(|x| self.actor_has(x, user)))
    }

    fn who_has(&self, w: &Who, project: &str, user: &str, ov: Option<&Overlay>) -> bool {
        match w {
            Who::Everyone => true,
            Who::Group(g) => self.in_group(user, g),
            Who::User(u) => u.eq_ignore_ascii_case(user),
            Who::Role(r) => self.role_has(project, r, user, ov),
            Who::AppRole(k) => self
                .snap
                .app_roles
                .get(k)
                .is_some_and(|gs| gs.iter().any(|g| self.in_group(user, g))),
            Who::Lead => self
                .snap
                .projects
                .get(project)
                .and_then(|p| p.lead.as_deref())
                .is_some_and(|l| l.eq_ignore_ascii_case(user)),
            Who::Nobody => false,
        }
    }

    fn holds_with(&self, user: &str, project: &str, perm: &str, ov: Option<&Overlay>) -> bool {
        let Some(scheme) = self.snap.projects.get(project).map(|p| p.scheme.as_str()) else {
            return false;
        };
        let base = self
            .grants
            .get(&(scheme, perm))
            .is_some_and(|ws| ws.iter().any(|w| self.who_has(w, project, user, ov)));
        base || ov
            .and_then(|o| o.grants.get(&(scheme.to_string(), perm.to_string())))
            .is_some_and(|ws| ws.iter().any(|w| self.who_has(w, project, user, ov)))
    }

    /// Whether `user` holds `perm` in `project` now.
    pub fn holds(&self, user: &str, project: &str, perm: &str) -> bool {
        self.holds_with(user, project, perm, None)
    }

    /// Whether `user` holds `perm` in `project` once `changes` are made.
    pub fn holds_after(&self, changes: &[Change], user: &str, project: &str, perm: &str) -> bool {
        self.holds_with(user, project, perm, Some(&Overlay::of(changes)))
    }

    /// Users an actor stands for.
    fn expand<'a>(&'a self, a: &'a ActorRef) -> Vec<&'a str> {
        match a {
            ActorRef::User(u) => vec![u.as_str()],
            ActorRef::Group(g) => self
                .snap
                .groups
                .get(g)
                .map(|m| m.iter().map(String::as_str).collect())
                .unwrap_or_default(),
        }
    }

    /// Users a holder stands for in `project`, after the overlay (issue-level and public holders
    /// stand for everyone, who already hold what they grant: never proposed).
    fn members_of<'a>(&'a self, w: &'a Who, project: &str, ov: &'a Overlay) -> Vec<&'a str> {
        match w {
            Who::Group(g) => self
                .snap
                .groups
                .get(g)
                .map(|m| m.iter().map(String::as_str).collect())
                .unwrap_or_default(),
            Who::User(u) => vec![u.as_str()],
            Who::Role(r) => {
                let key = (project.to_string(), r.clone());
                self.snap
                    .actors
                    .get(&key)
                    .into_iter()
                    .flatten()
                    .chain(ov.actors.get(&key).into_iter().flatten())
                    .flat_map(|a| self.expand(a))
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    /// Permissions a role holds in a scheme, after the overlay.
    fn role_perms(&self, scheme: &str, role: &str, ov: &Overlay) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        if let Some(s) = self.snap.schemes.get(scheme) {
            for g in &s.permissions {
                if matches!(g.holder.interpret(), HolderKind::ProjectRole { ref id } if id == role)
                {
                    out.insert(g.permission.clone());
                }
            }
        }
        for ((s, p), ws) in &ov.grants {
            if s == scheme && ws.iter().any(|w| matches!(w, Who::Role(r) if r == role)) {
                out.insert(p.clone());
            }
        }
        out
    }

    /// Whether `changes` grant an admin-class permission, or membership of a role holding one.
    pub fn admin_class(&self, changes: &[Change]) -> bool {
        let ov = Overlay::of(changes);
        changes.iter().any(|c| match c {
            Change::Grant { permission, .. } => super::is_admin_class(permission),
            Change::AddRoleActor {
                project,
                role_id,
                role_name,
                ..
            } => self.snap.projects.get(project).is_some_and(|p| {
                self.role_perms(&p.scheme, &role_key(role_id.as_deref(), role_name), &ov)
                    .iter()
                    .any(|x| super::is_admin_class(x))
            }),
            Change::CreateRole { .. } => false,
        })
    }

    /// Whether the subject is an actor of `role` in `project` (directly or through a group).
    pub fn subject_in_role(&self, project: &str, role: &str) -> bool {
        self.role_has(project, role, &self.snap.subject, None)
    }

    /// Whether `role` has a grant of `perm` in `scheme`.
    pub fn role_granted(&self, scheme: &str, role: &str, perm: &str) -> bool {
        self.role_perms(scheme, role, &Overlay::default())
            .contains(perm)
    }

    /// The exact gains of `changes`; with `list`, the triples too (up to [`TRIPLES_LISTED`]).
    pub fn gains(&self, changes: &[Change], list: bool) -> Gains {
        self.gains_inner(changes, if list { TRIPLES_LISTED } else { 0 })
    }

    /// Every gained triple, however many.
    pub fn gained_triples(&self, changes: &[Change]) -> BTreeSet<Triple> {
        self.gains_inner(changes, usize::MAX)
            .triples
            .into_iter()
            .collect()
    }

    fn gains_inner(&self, changes: &[Change], keep: usize) -> Gains {
        let ov = Overlay::of(changes);
        // Reach, per project: (user, permission) pairs a change could grant there.
        let mut reach: BTreeMap<&str, Vec<(Vec<&str>, String)>> = BTreeMap::new();
        for ((scheme, perm), ws) in &ov.grants {
            for q in self.snap.projects_on(scheme) {
                for w in ws {
                    reach
                        .entry(q.as_str())
                        .or_default()
                        .push((self.members_of(w, q, &ov), perm.clone()));
                }
            }
        }
        for ((project, role), actors) in &ov.actors {
            let Some(p) = self.snap.projects.get_key_value(project) else {
                continue;
            };
            for perm in self.role_perms(&p.1.scheme, role, &ov) {
                for a in actors {
                    reach
                        .entry(p.0.as_str())
                        .or_default()
                        .push((self.expand(a), perm.clone()));
                }
            }
        }
        let mut g = Gains::default();
        let mut users: HashSet<&str> = HashSet::new();
        let mut subject_gains: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        let mut other_projects: HashSet<&str> = HashSet::new();
        let mut other_users: HashSet<&str> = HashSet::new();
        let mut other_count = 0usize;
        for (q, items) in &reach {
            let mut seen: HashSet<(&str, &str)> = HashSet::new();
            let mut any = false;
            for (us, perm) in items {
                for u in us {
                    if !seen.insert((u, perm.as_str())) {
                        continue;
                    }
                    if !self.holds_with(u, q, perm, Some(&ov)) || self.holds(u, q, perm) {
                        continue;
                    }
                    any = true;
                    g.count += 1;
                    users.insert(u);
                    if u.eq_ignore_ascii_case(&self.snap.subject) {
                        subject_gains.entry(perm.clone()).or_default().push(q);
                    } else {
                        other_count += 1;
                        other_users.insert(u);
                        other_projects.insert(q);
                    }
                    if g.triples.len() < keep {
                        g.triples.push(Triple {
                            user: (*u).to_string(),
                            project: (*q).to_string(),
                            permission: perm.clone(),
                        });
                    }
                }
            }
            if any {
                g.projects += 1;
            }
        }
        g.users = users.len();
        g.triples.sort();
        g.summary = summary(
            &self.snap.subject,
            &subject_gains,
            other_count,
            other_users.len(),
            other_projects.len(),
        );
        g
    }
}

fn projects_text(keys: &[&str]) -> String {
    let mut keys = keys.to_vec();
    keys.sort_unstable();
    if keys.len() <= 3 {
        keys.join(", ")
    } else {
        format!("{} projects ({}, …)", keys.len(), keys[..3].join(", "))
    }
}

/// "alice gains Browse Projects in OPS; nobody else gains anything".
fn summary(
    subject: &str,
    mine: &BTreeMap<String, Vec<&str>>,
    other_count: usize,
    other_users: usize,
    other_projects: usize,
) -> String {
    let first = if mine.is_empty() {
        format!("{subject} gains nothing")
    } else {
        let parts: Vec<String> = mine
            .iter()
            .map(|(perm, ps)| format!("{} in {}", display_name(perm), projects_text(ps)))
            .collect();
        format!("{subject} gains {}", parts.join("; "))
    };
    let rest = if other_count == 0 {
        "nobody else gains anything".to_string()
    } else {
        format!(
            "{other_users} other user(s) gain {other_count} permission(s) in {other_projects} project(s)"
        )
    };
    format!("{first}; {rest}")
}
