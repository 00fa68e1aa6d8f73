//! The joint plan: every missing (project, permission) of a run fixed together, scheme by scheme
//! (one role grant in a shared scheme serves every project on it), choosing per scheme the option
//! with the fewest gains, then the fewest changes; a dedicated role, when allowed, makes the gains
//! exactly the missing triples.

use super::candidates::{candidates_for, dedicated_changes, dedicated_roles, grant, rank};
use super::gains::Evaluator;
use super::snapshot::Snapshot;
use super::{Candidate, Change, FixOptions, Gains, HolderSpec, Triple};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A plan for a whole run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// The audited user.
    pub subject: String,
    /// What is missing now: (subject, project, permission).
    pub missing: Vec<Triple>,
    /// The changes, in the order they are applied (roles first, then grants, then actors).
    pub changes: Vec<Change>,
    /// Exactly what the changes grant that was not granted (all triples).
    pub gains: Gains,
    /// Whether any change is admin-class.
    pub admin_class: bool,
    /// Per scheme, the options not chosen, with their gains.
    pub alternatives: Vec<Candidate>,
    /// Missing pairs no candidate could cover (project, permission), with why.
    pub uncovered: Vec<(String, String, String)>,
}

fn order(c: &Change) -> u8 {
    match c {
        Change::CreateRole { .. } => 0,
        Change::Grant { .. } => 1,
        Change::AddRoleActor { .. } => 2,
    }
}

/// Plan every missing pair of the snapshot.
pub fn plan(snap: &Snapshot, opts: &FixOptions) -> Plan {
    let ev = Evaluator::new(snap);
    let mut cache: HashMap<Vec<Change>, Gains> = HashMap::new();
    let mut by_scheme: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut uncovered = Vec::new();
    for (p, perm) in &snap.missing {
        match snap.projects.get(p) {
            Some(f) => by_scheme
                .entry(f.scheme.clone())
                .or_default()
                .push((p.clone(), perm.clone())),
            None => uncovered.push((p.clone(), perm.clone(), "scheme unknown".into())),
        }
    }
    let mut chosen: Vec<Change> = Vec::new();
    let mut alternatives = Vec::new();
    let mut role_created = false;
    for (scheme, pairs) in &by_scheme {
        let mut perms: Vec<&String> = pairs.iter().map(|(_, p)| p).collect();
        perms.sort();
        perms.dedup();
        let mut options: Vec<Vec<Change>> = Vec::new();
        // A dedicated role: an existing one, or the configured one to create.
        for (id, name) in dedicated_roles(&ev, scheme) {
            options.push(dedicated_changes(
                &ev,
                scheme,
                (Some(&id), &name),
                pairs,
                false,
            ));
        }
        if opts.allow_create_role && snap.role_id(&opts.role_name).is_none() {
            options.push(dedicated_changes(
                &ev,
                scheme,
                (None, &opts.role_name),
                pairs,
                !role_created,
            ));
        }
        // The user, or one of the user's groups, in the scheme.
        let holders: Vec<HolderSpec> = std::iter::once(("user", snap.subject.clone()))
            .chain(snap.subject_groups.iter().map(|g| ("group", g.clone())))
            .map(|(k, p)| HolderSpec {
                kind: k.into(),
                parameter: Some(p),
                role_name: None,
            })
            .collect();
        for h in holders {
            options.push(
                perms
                    .iter()
                    .map(|perm| grant(snap, scheme, perm, h.clone()))
                    .collect(),
            );
        }
        // Each pair's own best candidate, together.
        let mut local: BTreeSet<Change> = BTreeSet::new();
        let mut local_ok = true;
        for (p, perm) in pairs {
            let c = candidates_for(&ev, opts, p, perm, &mut cache);
            match c.into_iter().next() {
                Some(best) => {
                    for ch in best.changes {
                        // The role to create is created once per plan.
                        if matches!(ch, Change::CreateRole { .. }) && role_created {
                            continue;
                        }
                        local.insert(ch);
                    }
                }
                None => local_ok = false,
            }
        }
        if local_ok {
            let mut l: Vec<Change> = local.into_iter().collect();
            l.sort_by_key(order);
            options.push(l);
        }
        let mut ranked = rank(&ev, options, pairs, &mut cache);
        if ranked.is_empty() {
            for (p, perm) in pairs {
                uncovered.push((
                    p.clone(),
                    perm.clone(),
                    "no change grants it without admin-class rights".into(),
                ));
            }
            continue;
        }
        let best = ranked.remove(0);
        if best
            .changes
            .iter()
            .any(|c| matches!(c, Change::CreateRole { .. }))
        {
            role_created = true;
        }
        chosen.extend(best.changes);
        alternatives.extend(ranked);
    }
    let mut seen = BTreeSet::new();
    chosen.retain(|c| seen.insert(c.clone()));
    chosen.sort_by_key(order);
    let mut gains = ev.gains(&chosen, false);
    gains.triples = ev.gained_triples(&chosen).into_iter().collect();
    let admin_class = ev.admin_class(&chosen);
    Plan {
        subject: snap.subject.clone(),
        missing: snap
            .missing
            .iter()
            .map(|(p, perm)| Triple {
                user: snap.subject.clone(),
                project: p.clone(),
                permission: perm.clone(),
            })
            .collect(),
        changes: chosen,
        gains,
        admin_class,
        alternatives,
        uncovered,
    }
}
