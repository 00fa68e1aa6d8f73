//! The planner's own evaluator over a [`Snapshot`], with a set of changes overlaid: who holds a
//! project permission before and after, and the exact gains of the changes — every (user, project,
//! permission) triple granted after and not before, across all users and all projects on the
//! affected schemes. Pure: no I/O, so every case is unit-tested.

use super::snapshot::Snapshot;
use super::{ActorRef, Change, Gains, Triple, TRIPLES_LISTED};
use crate::audit::permissions::display_name;
use crate::jira::model::HolderKind;
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;

/// A small multiply-rotate hasher (the FxHash scheme) for the planner's hot sets of user names:
/// they are hashed millions of times per plan and need no protection against crafted keys.
#[derive(Default, Clone, Copy)]
struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes(c.try_into().unwrap_or_default());
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
        }
        for b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(*b)).wrapping_mul(K);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A set hashed with [`Fx`].
type FastSet<T> = HashSet<T, BuildHasherDefault<Fx>>;

/// A role as the overlay names it: an existing id, or a role the changes create.
fn role_key(id: Option<&str>, name: &str) -> String {
    match id {
        Some(id) => id.to_string(),
        None => format!("new:{name}"),
    }
}

/// Where the users a change reaches in a project come from: a group's members as read, or one
/// login name. Sorted and de-duplicated per (project, permission), so equal reaches compare equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Src<'a> {
    Group(&'a str),
    Name(&'a str),
}

/// What the users gained in a project depend on, owned so the result is kept across
/// evaluations: the reach's sources (0 = group, 1 = name), holders before, holders added. The
/// permission itself plays no part beyond who holds it.
type WalkKey = (Vec<(u8, String)>, OwnedSig, OwnedSig);

/// A [`Sig`], owned.
type OwnedSig = (bool, Vec<String>, Vec<String>);

fn owned(s: Sig<'_>) -> OwnedSig {
    (
        s.0,
        s.1.into_iter().map(str::to_string).collect(),
        s.2.into_iter().map(str::to_string).collect(),
    )
}

/// The users a reach gains in a project (each once), and how many of them are the subject.
struct Walk<'s> {
    gained: Vec<Cow<'s, str>>,
    mine: usize,
}

/// A [`Check`]'s contents.
type Sig<'a> = (bool, Vec<&'a str>, Vec<&'a str>);

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
    members: HashMap<&'s str, FastSet<&'s str>>,
    /// (scheme id, permission) → holders.
    grants: HashMap<(&'s str, &'s str), Vec<Who>>,
    /// Scheme id → the projects on it, in key order.
    on_scheme: HashMap<&'s str, Vec<&'s str>>,
    /// Group → members as read, in order.
    lists: HashMap<&'s str, Vec<&'s str>>,
    /// Project → role id → actors (looked up without building keys).
    actors: HashMap<&'s str, HashMap<&'s str, &'s [ActorRef]>>,
    /// Scheme id → its dedicated roles, computed once per scheme.
    dedicated: RefCell<HashMap<String, Vec<(String, String)>>>,
    /// Walks done so far, kept for every later evaluation (most projects of a scheme, and the
    /// same holders under another permission or in another candidate, gain the same users).
    walks: RefCell<HashMap<WalkKey, Rc<Walk<'s>>>>,
}

/// Changes overlaid on the snapshot.
#[derive(Debug, Default)]
struct Overlay {
    /// scheme → permission → extra holders.
    grants: HashMap<String, HashMap<String, Vec<Who>>>,
    /// project → role key → extra actors.
    actors: HashMap<String, HashMap<String, Vec<ActorRef>>>,
}

impl Overlay {
    fn grants_of(&self, scheme: &str, perm: &str) -> Option<&Vec<Who>> {
        self.grants.get(scheme).and_then(|m| m.get(perm))
    }

    fn actors_of(&self, project: &str, role: &str) -> Option<&Vec<ActorRef>> {
        self.actors.get(project).and_then(|m| m.get(role))
    }
}

/// Who holds one permission in one project, resolved once and then asked per user: holders that
/// stand for everyone, names compared case-insensitively (users, user actors, the lead) and
/// groups (direct, through role actors and application roles).
#[derive(Default)]
struct Check<'a> {
    everyone: bool,
    names: Vec<&'a str>,
    groups: Vec<&'a str>,
    /// `groups` with their member sets looked up once (`None`: not read).
    sets: Vec<(&'a str, Option<&'a FastSet<&'a str>>)>,
}

impl<'a> Check<'a> {
    fn actor(&mut self, a: &'a ActorRef) {
        match a {
            ActorRef::User(u) => self.names.push(u),
            ActorRef::Group(g) => self.groups.push(g),
        }
    }

    fn done(mut self, members: &'a HashMap<&'a str, FastSet<&'a str>>) -> Self {
        self.names.sort_unstable();
        self.names.dedup();
        self.groups.sort_unstable();
        self.groups.dedup();
        self.sets = self.groups.iter().map(|g| (*g, members.get(g))).collect();
        self
    }

    /// What the answers depend on: equal signatures, equal answers for every user.
    fn sig(&self) -> (bool, Vec<&'a str>, Vec<&'a str>) {
        (self.everyone, self.names.clone(), self.groups.clone())
    }

    /// The same answer as asking [`Evaluator::in_group`] group by group.
    fn holds(&self, ev: &Evaluator<'_>, user: &str) -> bool {
        if self.everyone || self.names.iter().any(|n| n.eq_ignore_ascii_case(user)) {
            return true;
        }
        let subject = user.eq_ignore_ascii_case(&ev.snap.subject);
        self.sets.iter().any(|(g, m)| {
            m.is_some_and(|m| m.contains(user)) || (subject && ev.snap.subject_groups.contains(*g))
        })
    }
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
                        .entry(scheme_id.clone())
                        .or_default()
                        .entry(permission.clone())
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
                    .entry(project.clone())
                    .or_default()
                    .entry(role_key(role_id.as_deref(), role_name))
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
        let mut on_scheme: HashMap<&str, Vec<&str>> = HashMap::new();
        for (k, f) in &snap.projects {
            on_scheme
                .entry(f.scheme.as_str())
                .or_default()
                .push(k.as_str());
        }
        let mut actors: HashMap<&str, HashMap<&str, &[ActorRef]>> = HashMap::new();
        for ((p, r), a) in &snap.actors {
            actors
                .entry(p.as_str())
                .or_default()
                .insert(r.as_str(), a.as_slice());
        }
        let lists = snap
            .groups
            .iter()
            .map(|(g, m)| (g.as_str(), m.iter().map(String::as_str).collect()))
            .collect();
        Self {
            snap,
            members,
            lists,
            grants,
            on_scheme,
            actors,
            dedicated: RefCell::new(HashMap::new()),
            walks: RefCell::new(HashMap::new()),
        }
    }

    /// Projects using scheme `id`, in key order.
    pub fn projects_on(&self, id: &str) -> &[&'s str] {
        self.on_scheme.get(id).map_or(&[], Vec::as_slice)
    }

    /// The actors of `role` in `project`, as read (none when not read).
    pub fn actors_of(&self, project: &str, role: &str) -> Option<&'s [ActorRef]> {
        self.actors.get(project).and_then(|m| m.get(role)).copied()
    }

    /// The dedicated roles of `scheme`, computed by `f` the first time.
    pub(crate) fn dedicated_cached(
        &self,
        scheme: &str,
        f: impl FnOnce() -> Vec<(String, String)>,
    ) -> Vec<(String, String)> {
        if let Some(v) = self.dedicated.borrow().get(scheme) {
            return v.clone();
        }
        let v = f();
        self.dedicated
            .borrow_mut()
            .insert(scheme.to_string(), v.clone());
        v
    }

    /// Who holds `perm` in `project` before any change.
    fn check_before<'a>(&'a self, scheme: &'a str, project: &str, perm: &'a str) -> Check<'a> {
        let mut c = Check::default();
        for w in self.grants.get(&(scheme, perm)).into_iter().flatten() {
            self.add_who(&mut c, w, project, None);
        }
        c.done(&self.members)
    }

    /// Who holds `perm` in `project` once `ov` is made, beyond [`Self::check_before`]'s holders.
    fn check_extra<'a>(
        &'a self,
        scheme: &'a str,
        project: &str,
        perm: &'a str,
        ov: &'a Overlay,
    ) -> Check<'a> {
        let mut c = Check::default();
        for w in self.grants.get(&(scheme, perm)).into_iter().flatten() {
            if let Who::Role(r) = w {
                for a in ov.actors_of(project, r).into_iter().flatten() {
                    c.actor(a);
                }
            }
        }
        for w in ov.grants_of(scheme, perm).into_iter().flatten() {
            self.add_who(&mut c, w, project, Some(ov));
        }
        c.done(&self.members)
    }

    fn add_who<'a>(
        &'a self,
        c: &mut Check<'a>,
        w: &'a Who,
        project: &str,
        ov: Option<&'a Overlay>,
    ) {
        match w {
            Who::Everyone => c.everyone = true,
            Who::Group(g) => c.groups.push(g),
            Who::User(u) => c.names.push(u),
            Who::Role(r) => {
                for a in self.actors_of(project, r).into_iter().flatten() {
                    c.actor(a);
                }
                for a in ov
                    .and_then(|o| o.actors_of(project, r))
                    .into_iter()
                    .flatten()
                {
                    c.actor(a);
                }
            }
            Who::AppRole(k) => {
                for g in self.snap.app_roles.get(k).into_iter().flatten() {
                    c.groups.push(g);
                }
            }
            Who::Lead => {
                if let Some(l) = self
                    .snap
                    .projects
                    .get(project)
                    .and_then(|p| p.lead.as_deref())
                {
                    c.names.push(l);
                }
            }
            Who::Nobody => {}
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
        self.actors_of(project, role)
            .is_some_and(|a| a.iter().any(|x| self.actor_has(x, user)))
            || ov
                .and_then(|o| o.actors_of(project, role))
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
            .and_then(|o| o.grants_of(scheme, perm))
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

    /// Whether `user` holds every (project, permission) of `pairs` once `changes` are made.
    pub fn holds_all_after(
        &self,
        changes: &[Change],
        user: &str,
        pairs: &[(String, String)],
    ) -> bool {
        let ov = Overlay::of(changes);
        pairs
            .iter()
            .all(|(p, perm)| self.holds_with(user, p, perm, Some(&ov)))
    }

    /// Where an actor's users come from.
    fn src(a: &ActorRef) -> Src<'_> {
        match a {
            ActorRef::User(u) => Src::Name(u),
            ActorRef::Group(g) => Src::Group(g),
        }
    }

    /// A group's members as read, in order (empty when not read).
    fn list_of(&self, g: &str) -> &[&'s str] {
        self.lists.get(g).map_or(&[], Vec::as_slice)
    }

    /// Where the users a holder stands for in `project` come from, after the overlay
    /// (issue-level and public holders stand for everyone, who already hold what they grant:
    /// never proposed).
    fn sources_of<'a>(
        &'a self,
        w: &'a Who,
        project: &str,
        ov: &'a Overlay,
        out: &mut Vec<Src<'a>>,
    ) {
        match w {
            Who::Group(g) => out.push(Src::Group(g)),
            Who::User(u) => out.push(Src::Name(u)),
            Who::Role(r) => out.extend(
                self.actors_of(project, r)
                    .into_iter()
                    .flatten()
                    .chain(ov.actors_of(project, r).into_iter().flatten())
                    .map(Self::src),
            ),
            _ => {}
        }
    }

    /// Whether a group's member list as read has no repeats.
    fn group_unique(&self, g: &str) -> bool {
        match (self.members.get(g), self.snap.groups.get(g)) {
            (Some(set), Some(list)) => set.len() == list.len(),
            _ => true,
        }
    }

    /// Whether `user` comes from source `s` (a group's member, or that exact name).
    fn reached_by(&self, s: &Src<'_>, user: &str) -> bool {
        match s {
            Src::Group(g) => self.members.get(g).is_some_and(|m| m.contains(user)),
            Src::Name(n) => *n == user,
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
        for (p, ws) in ov.grants.get(scheme).into_iter().flatten() {
            if ws.iter().any(|w| matches!(w, Who::Role(r) if r == role)) {
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

    /// The users `srcs` reach who hold nothing through `before` and something through `extra`
    /// (each once, in the sources' order).
    fn walk(&self, srcs: &[Src<'_>], before: &Check<'_>, extra: &Check<'_>) -> Walk<'s> {
        let gains = |u: &str| !before.holds(self, u) && extra.holds(self, u);
        let mut gained: Vec<Cow<'s, str>> = Vec::new();
        for (i, s) in srcs.iter().enumerate() {
            // Reached through an earlier source: counted there.
            let earlier = |u: &str| srcs[..i].iter().any(|t| self.reached_by(t, u));
            match s {
                Src::Group(gr) => {
                    // Repeats within a list are skipped with a set, only where there are any.
                    let mut local: Option<FastSet<&str>> =
                        (!self.group_unique(gr)).then(FastSet::default);
                    for u in self.list_of(gr) {
                        if local.as_mut().is_some_and(|l| !l.insert(u)) {
                            continue;
                        }
                        if !earlier(u) && gains(u) {
                            gained.push(Cow::Borrowed(*u));
                        }
                    }
                }
                Src::Name(n) => {
                    if !earlier(n) && gains(n) {
                        gained.push(Cow::Owned((*n).to_string()));
                    }
                }
            }
        }
        let mine = gained
            .iter()
            .filter(|u| u.eq_ignore_ascii_case(&self.snap.subject))
            .count();
        Walk { gained, mine }
    }

    fn gains_inner(&self, changes: &[Change], keep: usize) -> Gains {
        let ov = Overlay::of(changes);
        // Reach, per project and permission: where the users the changes could grant it to there
        // come from (a union: a user reached twice gains once).
        let mut reach: BTreeMap<&str, BTreeMap<String, Vec<Src<'_>>>> = BTreeMap::new();
        for (scheme, perms) in &ov.grants {
            for (perm, ws) in perms {
                for q in self.projects_on(scheme) {
                    let mut srcs = Vec::new();
                    for w in ws {
                        self.sources_of(w, q, &ov, &mut srcs);
                    }
                    // A project nobody is reached in gains nothing (a grant to a role with no
                    // actors there, e.g. a dedicated role's other projects).
                    if srcs.is_empty() {
                        continue;
                    }
                    reach
                        .entry(q)
                        .or_default()
                        .entry(perm.clone())
                        .or_default()
                        .extend(srcs);
                }
            }
        }
        for (project, role, actors) in ov
            .actors
            .iter()
            .flat_map(|(p, m)| m.iter().map(move |(r, a)| (p, r, a)))
        {
            let Some(p) = self.snap.projects.get_key_value(project) else {
                continue;
            };
            for perm in self.role_perms(&p.1.scheme, role, &ov) {
                reach
                    .entry(p.0.as_str())
                    .or_default()
                    .entry(perm)
                    .or_default()
                    .extend(actors.iter().map(Self::src));
            }
        }
        for srcs in reach.values_mut().flat_map(|m| m.values_mut()) {
            srcs.sort_unstable();
            srcs.dedup();
        }
        let mut g = Gains::default();
        let mut users: FastSet<Cow<'s, str>> = FastSet::default();
        let mut subject_gains: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        let mut other_projects: HashSet<&str> = HashSet::new();
        let mut other_users: FastSet<Cow<'s, str>> = FastSet::default();
        let mut other_count = 0usize;
        // Walks whose users are already in `users`.
        let mut counted: HashSet<*const Walk<'s>> = HashSet::new();
        for (q, per) in &reach {
            let Some(scheme) = self.snap.projects.get(*q).map(|p| p.scheme.as_str()) else {
                continue;
            };
            let mut other_here = false;
            let mut any = false;
            for (perm, srcs) in per {
                // Who holds the permission here before, and who the changes add.
                let before = self.check_before(scheme, q, perm);
                let extra = self.check_extra(scheme, q, perm, &ov);
                let key: WalkKey = (
                    srcs.iter()
                        .map(|s| match s {
                            Src::Group(x) => (0, (*x).to_string()),
                            Src::Name(x) => (1, (*x).to_string()),
                        })
                        .collect(),
                    owned(before.sig()),
                    owned(extra.sig()),
                );
                let kept = self.walks.borrow().get(&key).cloned();
                let walk = match kept {
                    Some(w) => w,
                    None => {
                        let w = Rc::new(self.walk(srcs, &before, &extra));
                        self.walks.borrow_mut().insert(key, w.clone());
                        w
                    }
                };
                let (n, mine) = (walk.gained.len(), walk.mine);
                if n > 0 {
                    any = true;
                }
                g.count += n;
                for _ in 0..mine {
                    subject_gains.entry(perm.clone()).or_default().push(q);
                }
                other_count += n - mine;
                if n > mine {
                    other_here = true;
                }
                if counted.insert(Rc::as_ptr(&walk)) {
                    for u in &walk.gained {
                        users.insert(u.clone());
                        if !u.eq_ignore_ascii_case(&self.snap.subject) {
                            other_users.insert(u.clone());
                        }
                    }
                }
                for u in &walk.gained {
                    if g.triples.len() >= keep {
                        break;
                    }
                    g.triples.push(Triple {
                        user: u.to_string(),
                        project: (*q).to_string(),
                        permission: perm.clone(),
                    });
                }
            }
            if any {
                g.projects += 1;
            }
            if other_here {
                other_projects.insert(q);
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
