//! Property tests of the least-privilege fix planner over random simulated worlds, against the
//! simulator's own ground truth (its evaluator shares no code with the planner's):
//! applying the plan changes the truth by exactly the plan's gains; with a dedicated role allowed
//! those are exactly the missing triples; undo restores the truth exactly; a failure half-way
//! (the simulator's write fault injection) rolls everything back.

use jiralink::audit::fix::{self, FixOptions, Journal, Triple};
use jiralink::audit::permissions::BUILTIN;
use jiralink::audit::{self, AuditRequest};
use jiralink::jira::{Auth, ClientOptions, JiraClient, RetryPolicy};
use jiralink::sim::{ActorType, Sim, SimConfig};
use proptest::prelude::*;
use secrecy::SecretString;
use std::collections::BTreeSet;
use std::time::Duration;

const PERMS: &[&str] = &["BROWSE_PROJECTS", "CREATE_ISSUES", "ADMINISTER_PROJECTS"];
const USERS: &[&str] = &["alice", "bob", "carol", "dave"];
const GROUPS: &[&str] = &["jira-users", "jira-software-users", "developers", "qa"];
const ROLES: &[&str] = &["10000", "10001", "10002"];
const KINDS: &[&str] = &[
    "group",
    "user",
    "projectRole",
    "projectLead",
    "applicationRole",
];

/// One random edit of the world (indices are taken modulo the lists).
#[derive(Debug, Clone)]
enum Edit {
    Grant(usize, usize, usize, usize),
    Revoke(usize, usize, usize, usize),
    Member(usize, usize, bool),
    Actor(usize, usize, bool, usize, bool),
}

fn edit() -> impl Strategy<Value = Edit> {
    let i = || 0usize..64;
    prop_oneof![
        3 => (i(), i(), i(), i()).prop_map(|(a, b, c, d)| Edit::Grant(a, b, c, d)),
        2 => (i(), i(), i(), i()).prop_map(|(a, b, c, d)| Edit::Revoke(a, b, c, d)),
        2 => (i(), i(), any::<bool>()).prop_map(|(a, b, c)| Edit::Member(a, b, c)),
        3 => (i(), i(), any::<bool>(), i(), any::<bool>()).prop_map(|(a, b, c, d, e)| Edit::Actor(a, b, c, d, e)),
    ]
}

fn holder(k: usize, p: usize) -> (&'static str, Option<&'static str>) {
    let kind = KINDS[k % KINDS.len()];
    let param = match kind {
        "group" => Some(GROUPS[p % GROUPS.len()]),
        "user" => Some(USERS[p % USERS.len()]),
        "projectRole" => Some(ROLES[p % ROLES.len()]),
        "applicationRole" => Some(["jira-software", "jira-core"][p % 2]),
        _ => None,
    };
    (kind, param)
}

fn edit_world(sim: &Sim, schemes: &[String], projects: &[String], e: &Edit) {
    // A refused edit (revoking what is not there) is no edit.
    let _ = match *e {
        Edit::Grant(s, p, k, x) => {
            let (kind, param) = holder(k, x);
            sim.grant(
                &schemes[s % schemes.len()],
                PERMS[p % PERMS.len()],
                kind,
                param,
            )
        }
        Edit::Revoke(s, p, k, x) => {
            let (kind, param) = holder(k, x);
            sim.revoke(
                &schemes[s % schemes.len()],
                PERMS[p % PERMS.len()],
                kind,
                param,
            )
        }
        Edit::Member(g, u, m) => {
            sim.set_group_member(GROUPS[g % GROUPS.len()], USERS[u % USERS.len()], m)
        }
        Edit::Actor(p, r, group, n, present) => {
            let (t, name) = if group {
                (ActorType::Group, GROUPS[n % GROUPS.len()])
            } else {
                (ActorType::User, USERS[n % USERS.len()])
            };
            sim.set_role_actor(
                &projects[p % projects.len()],
                ROLES[r % ROLES.len()],
                t,
                name,
                present,
            )
        }
    };
}

/// Every built-in project permission: a role membership grants all the role holds, so the truth
/// is compared over all of them, not only the required ones.
fn all_perms() -> Vec<&'static str> {
    BUILTIN.iter().map(|(k, _)| *k).collect()
}

fn admin_client(sim: &Sim) -> JiraClient {
    let mut o = ClientOptions::new(
        sim.base_url().clone(),
        Auth::Basic {
            username: "admin".into(),
            password: SecretString::from(sim.password("admin").unwrap()),
        },
    );
    o.timeout = Duration::from_secs(10);
    o.retry = RetryPolicy {
        max_retries: 0,
        ..RetryPolicy::default()
    };
    JiraClient::new(o).unwrap()
}

struct World {
    sim: Sim,
    admin: JiraClient,
}

async fn world(seed: u64, users: usize, edits: &[Edit]) -> World {
    world_of(12, seed, users, edits).await
}

async fn world_of(projects: usize, seed: u64, users: usize, edits: &[Edit]) -> World {
    let sim = Sim::start(SimConfig {
        projects,
        seed,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    sim.add_broad_users(users);
    let projects = sim.project_keys();
    let mut schemes: Vec<String> = projects
        .iter()
        .filter_map(|p| sim.project_scheme(p))
        .collect();
    schemes.sort();
    schemes.dedup();
    for e in edits {
        edit_world(&sim, &schemes, &projects, e);
    }
    let admin = admin_client(&sim);
    World { sim, admin }
}

async fn plan_for(w: &World, subject: &str, opts: &FixOptions) -> (fix::Plan, fix::Snapshot) {
    let mut req = AuditRequest::new("props+admin");
    req.admin = Some(w.admin.clone());
    req.username = Some(subject.to_string());
    req.required = vec!["BROWSE_PROJECTS".into(), "CREATE_ISSUES".into()];
    // As `jiralink fix` does: the audit's reads are kept and the planner gathers the rest.
    let (report, recorder) = fix::audit_recorded(req, |_| {}).await.unwrap();
    let snap = fix::gather(&report, &recorder.unwrap(), opts, 4)
        .await
        .unwrap();
    (fix::plan(&snap, opts), snap)
}

fn journal(plan: &fix::Plan) -> Journal {
    Journal {
        id: "props".into(),
        created: String::new(),
        admin: "admin".into(),
        base_url: String::new(),
        subject: plan.subject.clone(),
        changes: plan.changes.clone(),
        applied: Vec::new(),
        gains: plan.gains.triples.clone(),
        undone: None,
    }
}

fn as_set(v: &[Triple]) -> BTreeSet<(String, String, String)> {
    v.iter()
        .map(|t| (t.user.clone(), t.project.clone(), t.permission.clone()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 20, ..ProptestConfig::default() })]

    /// Apply → the truth changes by exactly the plan's gains (exactly the missing triples with a
    /// dedicated role allowed); undo → the truth is back exactly.
    #[test]
    fn plan_gains_equal_the_truth_diff_and_undo_restores_it(
        seed in any::<u64>(),
        subject in 0usize..USERS.len(),
        allow_create in any::<bool>(),
        edits in prop::collection::vec(edit(), 0..20),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let w = world(seed, 15, &edits).await;
            let subject = USERS[subject];
            let opts = FixOptions { allow_create_role: allow_create, ..FixOptions::default() };
            let (plan, _) = plan_for(&w, subject, &opts).await;
            let perms = all_perms();
            let before = w.sim.truth(&perms);
            let mut j = journal(&plan);
            let events = |_e: fix::ApplyEvent| {};
            fix::apply_plan(&w.admin, &mut j, &|_| Ok(()), &events).await.unwrap();
            let after = w.sim.truth(&perms);
            prop_assert!(before.is_subset(&after), "a fix never takes anything away");
            let diff: BTreeSet<_> = after.difference(&before).cloned().collect();
            prop_assert_eq!(&diff, &as_set(&plan.gains.triples), "gains == truth diff; plan {:#?}", plan.changes);
            prop_assert_eq!(plan.gains.count, diff.len());
            prop_assert!(!plan.admin_class, "never admin-class for Browse/Create");
            if plan.uncovered.is_empty() {
                for t in &plan.missing {
                    prop_assert!(w.sim.has_permission(Some(&t.user), &t.project, &t.permission), "{:?} still missing", t);
                }
            }
            if allow_create && plan.uncovered.is_empty() {
                prop_assert_eq!(&diff, &as_set(&plan.missing), "dedicated role: gains == missing exactly");
            }
            fix::undo_journal(&w.admin, &mut j, &events).await.unwrap();
            prop_assert_eq!(w.sim.truth(&perms), before, "undo restores the truth exactly");
            prop_assert_eq!(w.sim.role_names().len(), 3, "a created role is deleted again");
            Ok(())
        })?;
    }

    /// A write failing half-way rolls back everything applied before it.
    #[test]
    fn a_failure_half_way_rolls_back(
        seed in any::<u64>(),
        subject in 0usize..USERS.len(),
        fail_at in 0usize..8,
        edits in prop::collection::vec(edit(), 0..12),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let w = world(seed, 5, &edits).await;
            let (plan, _) = plan_for(&w, USERS[subject], &FixOptions::default()).await;
            prop_assume!(!plan.changes.is_empty());
            let fail_at = fail_at % plan.changes.len();
            let perms = all_perms();
            let before = w.sim.truth(&perms);
            let roles = w.sim.role_names();
            w.sim.fail_write_after(Some(fail_at as u32));
            let mut j = journal(&plan);
            let saved = std::sync::Mutex::new(Vec::new());
            let persist = |j: &Journal| {
                saved.lock().unwrap().push(j.applied.len());
                Ok(())
            };
            let err = fix::apply_plan(&w.admin, &mut j, &persist, &|_| {}).await.unwrap_err();
            prop_assert!(err.rolled_back, "{:?}", err.rollback_failures);
            prop_assert!(err.diagnosis.summary.contains("500") || err.diagnosis.summary.contains("rror"), "{}", err.diagnosis.summary);
            prop_assert_eq!(w.sim.truth(&perms), before, "rolled back exactly");
            prop_assert_eq!(w.sim.role_names(), roles);
            prop_assert!(j.applied.is_empty() && j.undone.is_some());
            // The journal was written after every applied change, before the failure.
            prop_assert_eq!(saved.lock().unwrap().first().copied(), if fail_at > 0 { Some(1) } else { Some(0) });
            Ok(())
        })?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Every candidate the planner ranks states its gains exactly, not only the chosen plan: the
    /// plan's alternatives and each missing pair's own candidates, applied one at a time, grow the
    /// simulator's truth by exactly `gains.count` triples over `gains.users` users and
    /// `gains.projects` projects; undo restores the truth.
    #[test]
    fn every_alternative_states_its_gains_exactly(
        seed in any::<u64>(),
        subject in 0usize..USERS.len(),
        allow_create in any::<bool>(),
        edits in prop::collection::vec(edit(), 0..16),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let w = world(seed, 15, &edits).await;
            let subject = USERS[subject];
            let opts = FixOptions { allow_create_role: allow_create, ..FixOptions::default() };
            let (plan, snap) = plan_for(&w, subject, &opts).await;
            let ev = fix::gains::Evaluator::new(&snap);
            let mut cache = std::collections::HashMap::new();
            let mut cands: Vec<fix::Candidate> = plan.alternatives.clone();
            for (p, perm) in &snap.missing {
                cands.extend(fix::candidates_for(&ev, &opts, p, perm, &mut cache));
            }
            let mut seen = BTreeSet::new();
            cands.retain(|c| seen.insert(c.changes.clone()));
            // A set naming a role to create without creating it (the plan creates it once, for
            // an earlier scheme) cannot be applied on its own.
            cands.retain(|c| {
                c.changes.iter().any(|x| matches!(x, fix::Change::CreateRole { .. }))
                    || !c.changes.iter().any(|x| match x {
                        fix::Change::Grant { holder, .. } => holder.kind == "projectRole" && holder.parameter.is_none(),
                        fix::Change::AddRoleActor { role_id, .. } => role_id.is_none(),
                        fix::Change::CreateRole { .. } => false,
                    })
            });
            let perms = all_perms();
            let before = w.sim.truth(&perms);
            for c in cands.iter().take(30) {
                let mut j = journal(&fix::Plan { changes: c.changes.clone(), ..plan.clone() });
                fix::apply_plan(&w.admin, &mut j, &|_| Ok(()), &|_| {}).await.unwrap();
                let after = w.sim.truth(&perms);
                let diff: BTreeSet<_> = after.difference(&before).cloned().collect();
                prop_assert!(before.is_subset(&after));
                let users: BTreeSet<&String> = diff.iter().map(|(u, _, _)| u).collect();
                let projects: BTreeSet<&String> = diff.iter().map(|(_, p, _)| p).collect();
                prop_assert_eq!(c.gains.count, diff.len(), "{}: {:?}", c.summary, diff);
                prop_assert_eq!(c.gains.users, users.len(), "{}", c.summary);
                prop_assert_eq!(c.gains.projects, projects.len(), "{}", c.summary);
                fix::undo_journal(&w.admin, &mut j, &|_| {}).await.unwrap();
                prop_assert_eq!(w.sim.truth(&perms), before.clone(), "undo restores the truth");
            }
            Ok(())
        })?;
    }
}

/// The members of every group involved, read with the pages fetched at once after the first,
/// are exactly the members read page by page, in Jira's order.
#[tokio::test]
async fn group_pages_read_at_once_equal_the_pages_read_in_order() {
    let w = world(3, 260, &[]).await;
    let groups: Vec<String> = GROUPS.iter().map(|g| g.to_string()).collect();
    let (got, requests) = fix::snapshot::read_groups(&w.admin, groups.clone(), 4)
        .await
        .unwrap();
    let mut pages = 0u64;
    for g in &groups {
        let want = w.admin.group_members(g).await.unwrap();
        assert_eq!(got[g], want, "{g}");
        pages += 1 + (want.len().saturating_sub(1) / 50) as u64;
    }
    assert_eq!(requests, pages, "one request a page, none repeated");
    assert!(got["jira-users"].len() > 250);
    let e = fix::snapshot::read_groups(&w.admin, vec!["no-such-group".into()], 4)
        .await
        .unwrap_err();
    assert_eq!(e.0, "no-such-group");
    assert_eq!(e.1.status, Some(404));
}

/// On the seeded world alice misses Browse in OPS (Restricted Scheme, shared): the old
/// suggestions (group jira-software-users, role Administrators) are not the plan; the plan's
/// gains are alice's alone and the audit's JSON fix says so.
#[tokio::test]
async fn seeded_ops_gets_a_dedicated_role_not_a_group_or_administrators() {
    // 60 projects: Restricted Scheme is shared, so even a grant to alice alone reaches more.
    let w = world_of(60, 42, 50, &[]).await;
    let mut req = AuditRequest::new("t+admin");
    req.admin = Some(w.admin.clone());
    req.username = Some("alice".into());
    let mut report = audit::run(req, |_| {}).await.unwrap();
    let opts = FixOptions::default();
    fix::annotate(&mut report, &w.admin, &opts, 4)
        .await
        .unwrap();
    let ops = report.projects.iter().find(|p| p.key == "OPS").unwrap();
    let browse = ops
        .details
        .iter()
        .find(|v| v.permission == "BROWSE_PROJECTS")
        .unwrap();
    let f = browse.fix.as_ref().unwrap();
    let p = f.plan.as_ref().expect("structured fix");
    assert!(!p.admin_class);
    assert_eq!(p.gains.count, 1, "{:#?}", p);
    assert_eq!(
        p.gains.summary,
        "alice gains Browse Projects in OPS; nobody else gains anything"
    );
    let json = serde_json::to_value(f).unwrap();
    let ops_list: Vec<&str> = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["op"].as_str().unwrap())
        .collect();
    assert_eq!(ops_list, ["create_role", "grant", "add_role_actor"]);
    assert_eq!(json["changes"][2]["user"], "alice");
    assert_eq!(json["changes"][1]["holder"]["type"], "projectRole");
    // No alternative adds alice to Administrators (admin-class); a group grant's reach is real.
    for a in &p.alternatives {
        assert!(
            !a.admin_class && !a.summary.contains("Administrators"),
            "{}",
            a.summary
        );
    }
    let group = p
        .alternatives
        .iter()
        .find(|a| a.summary.contains("group jira-software-users"))
        .expect("group alternative listed");
    assert!(group.gains.users > 50, "{}", group.gains.summary);
    assert!(f.text().contains("nobody else gains anything"));
}

/// A non-admin `--admin` cannot plan: the audit stops before any write.
#[tokio::test]
async fn a_non_admin_cannot_write() {
    let w = world(42, 0, &[]).await;
    let mut o = ClientOptions::new(
        w.sim.base_url().clone(),
        Auth::Basic {
            username: "alice".into(),
            password: SecretString::from(w.sim.password("alice").unwrap()),
        },
    );
    o.retry = RetryPolicy {
        max_retries: 0,
        ..RetryPolicy::default()
    };
    let alice = JiraClient::new(o).unwrap();
    let e = alice.create_role("X", "").await.unwrap_err();
    assert_eq!(e.status, Some(403));
    let e = alice
        .add_permission_grant("10000", "BROWSE_PROJECTS", "user", Some("alice"))
        .await
        .unwrap_err();
    assert_eq!(e.status, Some(403));
    let d = fix::apply::diagnose_write(&e, "POST /rest/api/2/permissionscheme/10000/permission");
    assert!(d.fix.contains("jira-administrators"), "{d}");
    // Role actors: the contract answers 404 to a caller who may not modify them.
    let e = alice
        .add_role_actor("OPS", "10002", &fix::ActorRef::User("alice".into()))
        .await
        .unwrap_err();
    assert_eq!(e.status, Some(404));
    assert_eq!(w.sim.role_names().len(), 3);
    // Unknown ids: 404.
    let e = w
        .admin
        .delete_permission_grant("99999", "1")
        .await
        .unwrap_err();
    assert_eq!(e.status, Some(404));
    let e = w.admin.delete_role("424242").await.unwrap_err();
    assert_eq!(e.status, Some(404));
    let e = w.admin.group_members("no-such-group").await.unwrap_err();
    assert_eq!(e.status, Some(404));
    assert!(alice.group_members("jira-users").await.is_err());
}

/// `group/member` pages through every member (Jira's 50 per page).
#[tokio::test]
async fn group_members_are_paged() {
    let w = world(1, 120, &[]).await;
    let m = w.admin.group_members("jira-users").await.unwrap();
    assert_eq!(m.len(), 124, "120 extra + admin, alice, bob, carol");
    let set: BTreeSet<&String> = m.iter().collect();
    assert_eq!(set.len(), m.len());
}
