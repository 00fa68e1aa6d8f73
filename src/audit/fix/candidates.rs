//! The candidate changes for one missing (project, permission), each with its exact gains, ranked
//! by gains then by number of changes; admin-class changes only when the permission itself is
//! admin-class. Also puts the structured fix on every missing verdict of an audit report.

use super::gains::Evaluator;
use super::snapshot::Snapshot;
use super::{is_admin_class, ActorRef, Candidate, Change, FixOptions, HolderSpec, Proposal};
use crate::audit::report::Report;
use crate::jira::model::HolderKind;
use std::collections::HashMap;

/// Description of the dedicated role the planner creates.
pub const ROLE_DESCRIPTION: &str =
    "Created by jiralink fix: holds exactly what the integration user needs";

fn holder(kind: &str, parameter: &str) -> HolderSpec {
    HolderSpec {
        kind: kind.into(),
        parameter: Some(parameter.into()),
        role_name: None,
    }
}

fn role_holder(id: Option<&str>, name: &str) -> HolderSpec {
    HolderSpec {
        kind: "projectRole".into(),
        parameter: id.map(str::to_string),
        role_name: Some(name.into()),
    }
}

/// A grant of `perm` in the scheme of `project` to `h`.
pub(crate) fn grant(snap: &Snapshot, scheme: &str, perm: &str, h: HolderSpec) -> Change {
    Change::Grant {
        scheme_id: scheme.into(),
        scheme_name: snap
            .schemes
            .get(scheme)
            .map(|s| s.name.clone())
            .unwrap_or_default(),
        permission: perm.into(),
        holder: h,
    }
}

/// Add the subject to a role in a project.
pub(crate) fn add_subject(snap: &Snapshot, project: &str, id: Option<&str>, name: &str) -> Change {
    Change::AddRoleActor {
        project: project.into(),
        role_id: id.map(str::to_string),
        role_name: name.into(),
        actor: ActorRef::User(snap.subject.clone()),
    }
}

/// Roles on `scheme` whose actors, in every project on it, are at most the subject: granting
/// them something reaches nobody else.
pub(crate) fn dedicated_roles(ev: &Evaluator<'_>, scheme: &str) -> Vec<(String, String)> {
    let snap = ev.snapshot();
    let me = ActorRef::User(snap.subject.clone());
    snap.roles
        .iter()
        .filter(|(id, _)| snap.complete.contains(&(scheme.to_string(), (*id).clone())))
        .filter(|(id, _)| {
            snap.projects_on(scheme).all(|q| {
                snap.actors
                    .get(&(q.clone(), (*id).clone()))
                    .is_some_and(|a| a.iter().all(|x| *x == me))
            })
        })
        .map(|(id, n)| (id.clone(), n.clone()))
        .collect()
}

/// The dedicated-role changes for `pairs` on one scheme: an existing dedicated role (`Some(id)`)
/// or the role to create (`None`, name from the options).
pub(crate) fn dedicated_changes(
    ev: &Evaluator<'_>,
    scheme: &str,
    role: (Option<&str>, &str),
    pairs: &[(String, String)],
    create: bool,
) -> Vec<Change> {
    let snap = ev.snapshot();
    let (id, name) = role;
    let mut out = Vec::new();
    if create {
        out.push(Change::CreateRole {
            name: name.into(),
            description: ROLE_DESCRIPTION.into(),
        });
    }
    let mut perms: Vec<&String> = pairs.iter().map(|(_, p)| p).collect();
    perms.sort();
    perms.dedup();
    for perm in perms {
        if id.is_none_or(|id| !ev.role_granted(scheme, id, perm)) {
            out.push(grant(snap, scheme, perm, role_holder(id, name)));
        }
    }
    let mut projects: Vec<&String> = pairs.iter().map(|(p, _)| p).collect();
    projects.sort();
    projects.dedup();
    for p in projects {
        if id.is_none_or(|id| !ev.subject_in_role(p, id)) {
            out.push(add_subject(snap, p, id, name));
        }
    }
    out
}

/// Candidate changes for one missing pair, best first (gains, then number of changes).
pub fn candidates_for(
    ev: &Evaluator<'_>,
    opts: &FixOptions,
    project: &str,
    perm: &str,
    cache: &mut HashMap<Vec<Change>, super::Gains>,
) -> Vec<Candidate> {
    let snap = ev.snapshot();
    let Some(scheme) = snap.projects.get(project).map(|p| p.scheme.clone()) else {
        return Vec::new();
    };
    let s = &snap.subject;
    let mut sets: Vec<Vec<Change>> = Vec::new();
    // A: add the subject to a role that already holds the permission here.
    if let Some(sc) = snap.schemes.get(&scheme) {
        for g in sc.permissions.iter().filter(|g| g.permission == perm) {
            if let HolderKind::ProjectRole { id } = g.holder.interpret() {
                if let Some(name) = snap.roles.get(&id) {
                    if !ev.subject_in_role(project, &id) {
                        sets.push(vec![add_subject(snap, project, Some(&id), name)]);
                    }
                }
            }
        }
    }
    // B: grant it to a role the subject holds here.
    for (id, name) in &snap.roles {
        if ev.subject_in_role(project, id) {
            sets.push(vec![grant(
                snap,
                &scheme,
                perm,
                role_holder(Some(id), name),
            )]);
        }
    }
    // C: a dedicated role, existing or new.
    let pair = [(project.to_string(), perm.to_string())];
    let dedicated = dedicated_roles(ev, &scheme);
    for (id, name) in &dedicated {
        sets.push(dedicated_changes(
            ev,
            &scheme,
            (Some(id), name),
            &pair,
            false,
        ));
    }
    if opts.allow_create_role && snap.role_id(&opts.role_name).is_none() {
        sets.push(dedicated_changes(
            ev,
            &scheme,
            (None, &opts.role_name),
            &pair,
            true,
        ));
    }
    // D: the user in the scheme; E: one of the user's groups.
    sets.push(vec![grant(snap, &scheme, perm, holder("user", s))]);
    for g in &snap.subject_groups {
        sets.push(vec![grant(snap, &scheme, perm, holder("group", g))]);
    }
    rank(ev, sets, &[(project.to_string(), perm.to_string())], cache)
}

/// Evaluate, filter (must cover every pair; admin-class only for admin-class permissions) and
/// rank change sets.
pub(crate) fn rank(
    ev: &Evaluator<'_>,
    mut sets: Vec<Vec<Change>>,
    pairs: &[(String, String)],
    cache: &mut HashMap<Vec<Change>, super::Gains>,
) -> Vec<Candidate> {
    let snap = ev.snapshot();
    sets.sort();
    sets.dedup();
    let admin_needed = pairs.iter().any(|(_, p)| is_admin_class(p));
    let mut out: Vec<Candidate> = sets
        .into_iter()
        .filter(|c| !c.is_empty())
        .filter(|c| {
            pairs
                .iter()
                .all(|(p, perm)| ev.holds_after(c, &snap.subject, p, perm))
        })
        .filter_map(|changes| {
            let admin_class = ev.admin_class(&changes);
            if admin_class && !admin_needed {
                return None;
            }
            let gains = cache
                .entry(changes.clone())
                .or_insert_with(|| ev.gains(&changes, false))
                .clone();
            let summary = changes
                .iter()
                .map(Change::describe)
                .collect::<Vec<_>>()
                .join(", then ");
            Some(Candidate {
                changes,
                gains,
                admin_class,
                summary,
            })
        })
        .collect();
    out.sort_by(|a, b| a.rank().cmp(&b.rank()).then(a.summary.cmp(&b.summary)));
    out
}

/// Put the structured fix (best candidate, gains, alternatives) on every missing verdict of an
/// admin-assisted report, and restate each row's fix text with gains.
pub fn annotate_report(report: &mut Report, snap: &Snapshot, opts: &FixOptions) {
    let ev = Evaluator::new(snap);
    let mut cache = HashMap::new();
    for row in &mut report.projects {
        let mut touched = false;
        for v in &mut row.details {
            if v.granted || !report.required.contains(&v.permission) {
                continue;
            }
            let Some(fix) = v
                .fix
                .as_mut()
                .filter(|f| !f.action.starts_with("reactivate"))
            else {
                continue;
            };
            let mut cands = candidates_for(&ev, opts, &row.key, &v.permission, &mut cache);
            if cands.is_empty() {
                continue;
            }
            let mut best = cands.remove(0);
            best.gains = ev.gains(&best.changes, true);
            fix.action = best.summary.clone();
            fix.safer = None;
            fix.plan = Some(Box::new(Proposal {
                changes: best.changes,
                gains: best.gains,
                admin_class: best.admin_class,
                alternatives: cands,
            }));
            touched = true;
        }
        if touched {
            row.fix = Some(
                row.details
                    .iter()
                    .filter(|v| !v.granted)
                    .filter_map(|v| v.fix.as_ref().map(|f| f.text()))
                    .collect::<Vec<_>>()
                    .join(" | "),
            );
        }
    }
}
