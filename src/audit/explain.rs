//! Pure evaluation: a project's permission scheme, the subject's groups, application roles and role
//! memberships in → per permission the verdict, the grants that give it, or the reason it is missing,
//! the smallest fix, its menu path and its blast radius. No I/O here, so every case is unit-tested.

use super::menu::menu_path;
use super::permissions::display_name;
use crate::jira::model::{HolderKind, PermissionGrant, PermissionScheme, ProjectRole, User};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The user whose access is audited, as far as the audit knows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subject {
    /// Login name (DC `name`).
    pub name: String,
    /// DC user key (differs from the name for renamed users).
    pub key: Option<String>,
    /// Group names.
    pub groups: BTreeSet<String>,
    /// Application role keys; empty when Jira did not expand them.
    pub application_roles: BTreeSet<String>,
    /// Deactivated in Jira (`active: false`): every permission check fails whatever the grants.
    pub inactive: bool,
}

impl Subject {
    /// Build from `myself` / `user?username=` with groups and applicationRoles expanded.
    pub fn from_user(user: &User) -> Self {
        Self {
            name: user.login().to_string(),
            key: user.key.clone(),
            groups: user.group_names().into_iter().collect(),
            application_roles: user.application_role_keys().into_iter().collect(),
            inactive: user.active == Some(false),
        }
    }

    /// True when `name` designates this user (by name or key; DC compares names case-insensitively).
    fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
            || self
                .key
                .as_deref()
                .is_some_and(|k| k.eq_ignore_ascii_case(name))
    }
}

/// Everything about one project the evaluation needs.
#[derive(Debug, Clone, Copy)]
pub struct ProjectContext<'a> {
    /// Project key.
    pub key: &'a str,
    /// Login name of the project lead, if known.
    pub lead: Option<&'a str>,
    /// The project's permission scheme, with grants.
    pub scheme: &'a PermissionScheme,
    /// Role id → the role with its actors in THIS project, or why it could not be fetched.
    pub roles: &'a BTreeMap<String, Result<ProjectRole, String>>,
    /// Every audited project key using the same scheme, sorted; may include `key` itself.
    /// Shared by all the scheme's projects (not copied per row) so the audit stays linear.
    pub scheme_projects: &'a [String],
    /// Jira version, for the menu path.
    pub version: Option<(u32, u32, u32)>,
    /// Atlassian Cloud (different menus).
    pub cloud: bool,
}

/// At most this many project keys are named in a fix's blast radius; the count is always given.
pub const BLAST_SAMPLE: usize = 5;

impl ProjectContext<'_> {
    /// The other audited projects on the scheme, in key order (lazily: no per-row copy).
    pub fn others(&self) -> impl Iterator<Item = &String> + '_ {
        let key = self.key;
        self.scheme_projects
            .iter()
            .filter(move |k| k.as_str() != key)
    }

    /// How many other audited projects use the scheme; O(log n) on the sorted list.
    pub fn others_count(&self) -> usize {
        let listed = self
            .scheme_projects
            .binary_search_by(|k| k.as_str().cmp(self.key))
            .is_ok();
        self.scheme_projects.len() - usize::from(listed)
    }
}

/// How one grant relates to the subject.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Match {
    Yes,
    /// Reporter / assignee / custom field: counted for any logged-in user at project level.
    IssueLevel,
    No,
    /// Could not be evaluated (unknown holder type, role actors not fetched, …).
    Unknown(String),
}

/// The smallest change that would grant a missing permission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    /// What to do, e.g. "grant Browse Projects to group jira-users in scheme 'Restricted Scheme'".
    pub action: String,
    /// Where to click, for the detected Jira version.
    pub menu_path: String,
    /// How many other audited projects use the scheme: they change too.
    pub blast_radius: usize,
    /// Up to [`BLAST_SAMPLE`] of those project keys, sorted (the full list is in `Report::schemes`).
    #[serde(default)]
    pub blast_radius_sample: Vec<String>,
    /// A change with a smaller blast radius, when there is one.
    pub safer: Option<String>,
    /// The least-privilege plan (admin-assisted audits): `changes`, `gains`, `admin_class` and
    /// `alternatives`, flattened into this object (see `audit::fix`).
    #[serde(default, flatten, skip_serializing_if = "Option::is_none")]
    pub plan: Option<Box<super::fix::Proposal>>,
}

impl Fix {
    /// One line for tables and the `fix` field of a report row.
    pub fn text(&self) -> String {
        let mut s = format!("{} ({})", self.action, self.menu_path);
        if let Some(plan) = &self.plan {
            s.push_str("; ");
            s.push_str(&plan.gains.summary);
            return s;
        }
        if self.blast_radius == 0 {
            s.push_str("; no other audited project uses this scheme");
        } else {
            let mut names = self.blast_radius_sample.join(", ");
            let more = self
                .blast_radius
                .saturating_sub(self.blast_radius_sample.len());
            if more > 0 {
                names.push_str(&format!(", +{more} more"));
            }
            s.push_str(&format!(
                "; blast radius: {} {} the scheme ({names})",
                crate::text::count(self.blast_radius as u64, "other project"),
                if self.blast_radius == 1 {
                    "shares"
                } else {
                    "share"
                }
            ));
        }
        if let Some(safer) = &self.safer {
            s.push_str("; safer: ");
            s.push_str(safer);
        }
        s
    }
}

/// The verdict for one permission in one project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionVerdict {
    /// Permission key.
    pub permission: String,
    /// Whether the subject holds it.
    pub granted: bool,
    /// The grants that give it (empty when missing).
    pub via: Vec<String>,
    /// Granted only through issue-level holders (reporter, assignee, custom field).
    pub issue_level: bool,
    /// Grants that could not be evaluated; when not granted the verdict is then uncertain.
    pub unresolved: Vec<String>,
    /// Why it is missing.
    pub reason: Option<String>,
    /// How to fix it.
    pub fix: Option<Fix>,
}

/// Role ids that appear in grants of `permissions` in `scheme`: only their actors need fetching.
pub fn relevant_roles(scheme: &PermissionScheme, permissions: &[String]) -> BTreeSet<String> {
    scheme
        .permissions
        .iter()
        .filter(|g| permissions.contains(&g.permission))
        .filter_map(|g| match g.holder.interpret() {
            HolderKind::ProjectRole { id } => Some(id),
            _ => None,
        })
        .collect()
}

/// Evaluate every permission in `permissions` for one project.
pub fn evaluate_all(
    subject: &Subject,
    ctx: &ProjectContext<'_>,
    permissions: &[String],
) -> Vec<PermissionVerdict> {
    permissions
        .iter()
        .map(|p| evaluate(subject, ctx, p))
        .collect()
}

/// Evaluate one permission for one project.
pub fn evaluate(
    subject: &Subject,
    ctx: &ProjectContext<'_>,
    permission: &str,
) -> PermissionVerdict {
    if subject.inactive {
        return inactive_verdict(subject, ctx, permission);
    }
    let grants: Vec<&PermissionGrant> = ctx
        .scheme
        .permissions
        .iter()
        .filter(|g| g.permission == permission)
        .collect();
    let mut via = Vec::new();
    let mut issue_level_via = Vec::new();
    let mut unresolved = Vec::new();
    for g in &grants {
        let kind = g.holder.interpret();
        let label = describe(g, &kind, ctx);
        match holder_matches(&kind, subject, ctx) {
            Match::Yes => via.push(label),
            Match::IssueLevel => issue_level_via.push(format!(
                "{label} (issue-level grant: at project level Jira counts it for any logged-in user)"
            )),
            Match::No => {}
            Match::Unknown(why) => unresolved.push(format!("{label}: {why}")),
        }
    }
    let issue_level = via.is_empty() && !issue_level_via.is_empty();
    via.extend(issue_level_via);
    let granted = !via.is_empty();
    let (reason, fix) = if granted {
        (None, None)
    } else {
        (
            Some(missing_reason(
                subject,
                ctx,
                permission,
                &grants,
                &unresolved,
            )),
            Some(smallest_fix(subject, ctx, permission, &grants)),
        )
    };
    PermissionVerdict {
        permission: permission.to_string(),
        granted,
        via,
        issue_level,
        unresolved,
        reason,
        fix,
    }
}

/// A deactivated user holds nothing; the fix is the account, not the scheme.
fn inactive_verdict(
    subject: &Subject,
    ctx: &ProjectContext<'_>,
    permission: &str,
) -> PermissionVerdict {
    PermissionVerdict {
        permission: permission.to_string(),
        granted: false,
        via: Vec::new(),
        issue_level: false,
        unresolved: Vec::new(),
        reason: Some(format!(
            "{} is deactivated in Jira, so no grant in scheme '{}' applies",
            subject.name, ctx.scheme.name
        )),
        fix: Some(Fix {
            action: format!("reactivate user {}", subject.name),
            menu_path: "⚙ Administration → User management → Users → <user> → Edit → Active".into(),
            blast_radius: 0,
            blast_radius_sample: Vec::new(),
            safer: None,
            plan: None,
        }),
    }
}

/// Issue-level holders (reporter, assignee, user/group field) granted Browse Projects in `scheme`:
/// each makes every project using the scheme visible to every logged-in user.
pub fn browse_open_to_all(scheme: &PermissionScheme) -> Vec<String> {
    scheme
        .permissions
        .iter()
        .filter(|g| g.permission == super::permissions::BROWSE_PROJECTS)
        .filter_map(|g| match g.holder.interpret() {
            HolderKind::Reporter | HolderKind::Assignee => Some(g.holder.kind.clone()),
            HolderKind::CustomField { kind, field } => Some(format!("{kind} {field}")),
            _ => None,
        })
        .collect()
}

/// Does this holder include the subject in this project?
fn holder_matches(kind: &HolderKind, subject: &Subject, ctx: &ProjectContext<'_>) -> Match {
    match kind {
        HolderKind::Anyone => Match::Yes,
        HolderKind::Group { name } => {
            yes_if(subject.groups.iter().any(|g| g.eq_ignore_ascii_case(name)))
        }
        HolderKind::User { name } => yes_if(subject.is(name)),
        HolderKind::ProjectRole { id } => match ctx.roles.get(id) {
            Some(Ok(role)) => yes_if(role_has(role, subject)),
            Some(Err(e)) => Match::Unknown(format!("role actors could not be read ({e})")),
            None => Match::Unknown("role actors were not fetched".into()),
        },
        // No key = "Any logged in user" (Application access) on DC 7+; the subject is a user.
        HolderKind::ApplicationRole { key: None } => Match::Yes,
        HolderKind::ApplicationRole { key: Some(k) } => {
            if subject.application_roles.is_empty() {
                Match::Unknown("the user's application roles are not known".into())
            } else {
                yes_if(subject.application_roles.contains(k))
            }
        }
        HolderKind::ProjectLead => match ctx.lead {
            Some(lead) => yes_if(subject.is(lead)),
            None => Match::Unknown("the project lead is not known".into()),
        },
        // For a project-level check there is no issue, and Jira's reporter/assignee/field permission
        // types then answer "yes" for any logged-in user: a Reporter grant on Browse Projects makes the
        // project visible to everyone logged in. That is why Jira ships the separate
        // `reportercreate` type ("show only projects where the user has create permission") — see
        // "Jira Cookbook", recipe on restricting project access by reporter (trantor.is mirror), and
        // unitlane.net/articles/browse-projects-permission-explained ("field-based grants can make
        // project names visible in broader listings").
        HolderKind::Reporter | HolderKind::Assignee | HolderKind::CustomField { .. } => {
            Match::IssueLevel
        }
        HolderKind::Other { kind, .. } => Match::Unknown(format!(
            "holder type '{kind}' is not understood by jiralink; not counted"
        )),
    }
}

fn yes_if(b: bool) -> Match {
    if b {
        Match::Yes
    } else {
        Match::No
    }
}

/// Whether the subject is an actor of `role`, directly or through one of its groups.
fn role_has(role: &ProjectRole, subject: &Subject) -> bool {
    role.actors.iter().any(|a| match a.actor_name() {
        Some(name) if a.is_group() => subject.groups.iter().any(|g| g.eq_ignore_ascii_case(&name)),
        Some(name) => subject.is(&name),
        None => false,
    })
}

/// Display name of a role id in this project.
fn role_name(id: &str, ctx: &ProjectContext<'_>, grant: Option<&PermissionGrant>) -> String {
    ctx.roles
        .get(id)
        .and_then(|r| r.as_ref().ok())
        .and_then(|r| r.name.clone())
        .or_else(|| {
            grant
                .and_then(|g| g.holder.project_role.as_ref())
                .and_then(|r| r.name.clone())
        })
        .or_else(|| {
            // Another grant in the scheme may carry the expanded role name.
            ctx.scheme.permissions.iter().find_map(|g| {
                let r = g.holder.project_role.as_ref()?;
                (r.id.as_deref() == Some(id))
                    .then(|| r.name.clone())
                    .flatten()
            })
        })
        .unwrap_or_else(|| format!("id {id}"))
}

/// A grant holder in words: "group jira-users", "role Administrators", …
fn describe(g: &PermissionGrant, kind: &HolderKind, ctx: &ProjectContext<'_>) -> String {
    match kind {
        HolderKind::Anyone => "anyone (public, even anonymous)".into(),
        HolderKind::Group { name } => format!("group {name}"),
        HolderKind::ProjectRole { id } => format!("role {}", role_name(id, ctx, Some(g))),
        HolderKind::User { name } => format!("user {name}"),
        HolderKind::ApplicationRole { key: None } => {
            "any logged-in user (application access)".into()
        }
        HolderKind::ApplicationRole { key: Some(k) } => format!("application role {k}"),
        HolderKind::ProjectLead => "project lead".into(),
        HolderKind::Reporter => "reporter".into(),
        HolderKind::Assignee => "assignee".into(),
        HolderKind::CustomField { kind, field } => format!("{kind} {field}"),
        HolderKind::Other { kind, parameter } => match parameter {
            Some(p) => format!("unknown holder {kind} ({p})"),
            None => format!("unknown holder {kind}"),
        },
    }
}

/// Roles (id, name) of this project that the subject is known to hold, among those fetched.
fn held_roles(subject: &Subject, ctx: &ProjectContext<'_>) -> Vec<(String, String)> {
    ctx.roles
        .iter()
        .filter_map(|(id, r)| {
            r.as_ref()
                .ok()
                .filter(|r| role_has(r, subject))
                .map(|_| id.clone())
        })
        .map(|id| {
            let name = role_name(&id, ctx, None);
            (id, name)
        })
        .collect()
}

fn missing_reason(
    subject: &Subject,
    ctx: &ProjectContext<'_>,
    permission: &str,
    grants: &[&PermissionGrant],
    unresolved: &[String],
) -> String {
    let perm = display_name(permission);
    let scheme = &ctx.scheme.name;
    let holders: Vec<String> = grants
        .iter()
        .map(|g| describe(g, &g.holder.interpret(), ctx))
        .collect();
    let mut s = if holders.is_empty() {
        format!("{perm} in scheme '{scheme}' is granted to nobody")
    } else {
        format!(
            "{perm} in scheme '{scheme}' is granted to {}",
            join_and(&holders)
        )
    };
    let groups: Vec<String> = subject.groups.iter().cloned().collect();
    s.push_str(&format!("; {} is in ", subject.name));
    if groups.is_empty() {
        s.push_str("no group");
    } else {
        s.push_str(&join_and(&groups));
    }
    let any_role_grant = grants
        .iter()
        .any(|g| matches!(g.holder.interpret(), HolderKind::ProjectRole { .. }));
    let held = held_roles(subject, ctx);
    if any_role_grant {
        if held.is_empty() {
            s.push_str(&format!(" and holds none of those roles in {}", ctx.key));
        } else {
            let names: Vec<String> = held.into_iter().map(|(_, n)| n).collect();
            s.push_str(&format!(
                " and holds role {} in {}",
                join_and(&names),
                ctx.key
            ));
        }
    }
    if !unresolved.is_empty() {
        s.push_str(&format!("; could not check: {}", unresolved.join("; ")));
    }
    s
}

fn smallest_fix(
    subject: &Subject,
    ctx: &ProjectContext<'_>,
    permission: &str,
    grants: &[&PermissionGrant],
) -> Fix {
    let perm = display_name(permission);
    let scheme = &ctx.scheme.name;
    let others = ctx.others_count();
    // A role the user already holds here is the narrowest scheme grant: in the other projects that
    // share the scheme only that role's members gain the permission.
    let held = held_roles(subject, ctx);
    let groups_in_scheme: BTreeSet<String> = ctx
        .scheme
        .permissions
        .iter()
        .filter_map(|g| match g.holder.interpret() {
            HolderKind::Group { name } => Some(name.to_ascii_lowercase()),
            _ => None,
        })
        .collect();
    // Prefer a group the scheme already uses for something else (an admin recognises it), then any.
    let group = subject
        .groups
        .iter()
        .find(|g| groups_in_scheme.contains(&g.to_ascii_lowercase()))
        .or_else(|| subject.groups.iter().next());
    let action = if let Some((_, role)) = held.first() {
        format!("grant {perm} to role {role} in scheme '{scheme}'")
    } else if let Some(group) = group {
        format!("grant {perm} to group {group} in scheme '{scheme}'")
    } else {
        format!("grant {perm} to user {} in scheme '{scheme}'", subject.name)
    };
    // Adding the user to a role that already holds the permission changes this project only.
    let role_with_perm = grants.iter().find_map(|g| match g.holder.interpret() {
        HolderKind::ProjectRole { id } => Some(role_name(&id, ctx, Some(g))),
        _ => None,
    });
    let safer = match role_with_perm {
        Some(role) => Some(format!(
            "add {} to role {role} in project {} (Project settings → Users and roles); only {} changes",
            subject.name, ctx.key, ctx.key
        )),
        None if others > 0 => Some(format!(
            "copy scheme '{scheme}', make the grant in the copy and associate only {} with it",
            ctx.key
        )),
        None => None,
    };
    Fix {
        action,
        menu_path: menu_path(ctx.version, ctx.cloud, scheme, &perm),
        blast_radius: others,
        blast_radius_sample: ctx.others().take(BLAST_SAMPLE).cloned().collect(),
        safer,
        plan: None,
    }
}

/// "a", "a and b", "a, b and c".
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jira::model::{GroupRef, Holder, RoleActor, RoleRef};

    fn grant(perm: &str, kind: &str, param: Option<&str>) -> PermissionGrant {
        PermissionGrant {
            id: None,
            holder: Holder {
                kind: kind.into(),
                parameter: param.map(str::to_string),
                ..Default::default()
            },
            permission: perm.into(),
        }
    }

    fn scheme(grants: Vec<PermissionGrant>) -> PermissionScheme {
        PermissionScheme {
            id: "10100".into(),
            name: "Restricted Scheme".into(),
            description: None,
            permissions: grants,
        }
    }

    fn alice() -> Subject {
        Subject {
            name: "alice".into(),
            key: Some("JIRAUSER10100".into()),
            groups: ["jira-users".to_string()].into(),
            application_roles: ["jira-software".to_string()].into(),
            inactive: false,
        }
    }

    fn role(name: &str, users: &[&str], groups: &[&str]) -> ProjectRole {
        let mut actors: Vec<RoleActor> = users
            .iter()
            .map(|u| RoleActor {
                kind: Some("atlassian-user-role-actor".into()),
                name: Some(u.to_string()),
                ..Default::default()
            })
            .collect();
        actors.extend(groups.iter().map(|g| RoleActor {
            kind: Some("atlassian-group-role-actor".into()),
            name: Some(g.to_string()),
            actor_group: Some(GroupRef {
                name: Some(g.to_string()),
                ..Default::default()
            }),
            ..Default::default()
        }));
        ProjectRole {
            id: None,
            name: Some(name.into()),
            description: None,
            actors,
        }
    }

    struct Fixture {
        scheme: PermissionScheme,
        roles: BTreeMap<String, Result<ProjectRole, String>>,
        shared: Vec<String>,
        lead: Option<&'static str>,
    }

    impl Fixture {
        fn new(grants: Vec<PermissionGrant>) -> Self {
            Self {
                scheme: scheme(grants),
                roles: BTreeMap::new(),
                shared: Vec::new(),
                lead: Some("lead"),
            }
        }
        fn ctx(&self) -> ProjectContext<'_> {
            ProjectContext {
                key: "PRJ",
                lead: self.lead,
                scheme: &self.scheme,
                roles: &self.roles,
                scheme_projects: &self.shared,
                version: Some((10, 3, 0)),
                cloud: false,
            }
        }
        fn browse(&self, s: &Subject) -> PermissionVerdict {
            evaluate(s, &self.ctx(), "BROWSE_PROJECTS")
        }
    }

    const B: &str = "BROWSE_PROJECTS";

    #[test]
    fn group_positive_and_negative() {
        let f = Fixture::new(vec![grant(B, "group", Some("jira-users"))]);
        let v = f.browse(&alice());
        assert!(v.granted);
        assert_eq!(v.via, vec!["group jira-users"]);
        assert!(v.reason.is_none() && v.fix.is_none());

        let f = Fixture::new(vec![grant(B, "group", Some("jira-administrators"))]);
        let v = f.browse(&alice());
        assert!(!v.granted);
        assert_eq!(
            v.reason.as_deref(),
            Some("Browse Projects in scheme 'Restricted Scheme' is granted to group jira-administrators; alice is in jira-users")
        );
        let fix = v.fix.unwrap();
        assert_eq!(
            fix.action,
            "grant Browse Projects to group jira-users in scheme 'Restricted Scheme'"
        );
        assert!(fix.menu_path.contains("Permission schemes → 'Restricted Scheme' → Permissions → Browse Projects → Edit → Grant"));
        assert_eq!(fix.blast_radius, 0);
        assert!(fix.blast_radius_sample.is_empty());
        assert!(fix.safer.is_none());
        assert!(fix
            .text()
            .contains("no other audited project uses this scheme"));
    }

    #[test]
    fn group_match_is_case_insensitive() {
        let f = Fixture::new(vec![grant(B, "group", Some("JIRA-Users"))]);
        assert!(f.browse(&alice()).granted);
    }

    #[test]
    fn example_reason_with_group_and_role() {
        let mut f = Fixture::new(vec![
            grant(B, "group", Some("jira-administrators")),
            grant(B, "projectRole", Some("10002")),
        ]);
        f.roles.insert(
            "10002".into(),
            Ok(role("Administrators", &["bob"], &["jira-administrators"])),
        );
        f.shared = vec!["OPS".into(), "WEB".into()];
        let v = f.browse(&alice());
        assert!(!v.granted);
        assert_eq!(
            v.reason.as_deref(),
            Some("Browse Projects in scheme 'Restricted Scheme' is granted to group jira-administrators and role Administrators; alice is in jira-users and holds none of those roles in PRJ")
        );
        let fix = v.fix.unwrap();
        assert_eq!(fix.blast_radius, 2);
        assert_eq!(fix.blast_radius_sample, vec!["OPS", "WEB"]);
        assert_eq!(
            fix.safer.as_deref(),
            Some("add alice to role Administrators in project PRJ (Project settings → Users and roles); only PRJ changes")
        );
        assert!(fix
            .text()
            .contains("blast radius: 2 other projects share the scheme (OPS, WEB)"));
    }

    #[test]
    fn project_role_user_actor_group_actor_and_not_member() {
        let mut f = Fixture::new(vec![grant(B, "projectRole", Some("10001"))]);
        f.roles
            .insert("10001".into(), Ok(role("Developers", &["alice"], &[])));
        let v = f.browse(&alice());
        assert!(v.granted);
        assert_eq!(v.via, vec!["role Developers"]);

        f.roles
            .insert("10001".into(), Ok(role("Developers", &[], &["jira-users"])));
        assert!(f.browse(&alice()).granted);

        // by user key (renamed users)
        f.roles.insert(
            "10001".into(),
            Ok(role("Developers", &["JIRAUSER10100"], &[])),
        );
        assert!(f.browse(&alice()).granted);

        f.roles
            .insert("10001".into(), Ok(role("Developers", &["bob"], &["devs"])));
        let v = f.browse(&alice());
        assert!(!v.granted);
        assert!(v
            .reason
            .unwrap()
            .ends_with("holds none of those roles in PRJ"));
    }

    #[test]
    fn project_role_unfetched_or_failed_is_unresolved() {
        let mut f = Fixture::new(vec![grant(B, "projectRole", Some("10001"))]);
        let v = f.browse(&alice());
        assert!(!v.granted);
        assert_eq!(
            v.unresolved,
            vec!["role id 10001: role actors were not fetched"]
        );
        f.roles.insert("10001".into(), Err("forbidden".into()));
        let v = f.browse(&alice());
        assert!(v.unresolved[0].contains("could not be read (forbidden)"));
        assert!(v.reason.unwrap().contains("could not check"));
    }

    #[test]
    fn role_name_from_expanded_holder() {
        let mut g = grant(B, "projectRole", Some("10001"));
        g.holder.project_role = Some(RoleRef {
            id: Some("10001".into()),
            name: Some("Developers".into()),
            description: None,
        });
        let f = Fixture::new(vec![g]);
        let v = f.browse(&alice());
        assert!(v.unresolved[0].starts_with("role Developers"));
    }

    #[test]
    fn held_role_is_preferred_fix() {
        // alice is a Developer in PRJ but Browse is granted only to Administrators.
        let mut f = Fixture::new(vec![
            grant(B, "projectRole", Some("10002")),
            grant("CREATE_ISSUES", "projectRole", Some("10001")),
        ]);
        f.roles
            .insert("10002".into(), Ok(role("Administrators", &["bob"], &[])));
        f.roles
            .insert("10001".into(), Ok(role("Developers", &["alice"], &[])));
        let v = f.browse(&alice());
        assert!(!v.granted);
        assert!(v
            .reason
            .as_deref()
            .unwrap()
            .ends_with("holds role Developers in PRJ"));
        assert_eq!(
            v.fix.unwrap().action,
            "grant Browse Projects to role Developers in scheme 'Restricted Scheme'"
        );
    }

    #[test]
    fn group_already_used_in_scheme_is_preferred() {
        let f = Fixture::new(vec![
            grant(B, "group", Some("admins")),
            grant("CREATE_ISSUES", "group", Some("integrations")),
        ]);
        let mut s = alice();
        s.groups.insert("aaa-all".into());
        s.groups.insert("integrations".into());
        assert_eq!(
            f.browse(&s).fix.unwrap().action,
            "grant Browse Projects to group integrations in scheme 'Restricted Scheme'"
        );
    }

    #[test]
    fn user_holder() {
        let f = Fixture::new(vec![grant(B, "user", Some("alice"))]);
        assert_eq!(f.browse(&alice()).via, vec!["user alice"]);
        let f = Fixture::new(vec![grant(B, "user", Some("bob"))]);
        let mut s = alice();
        s.groups.clear();
        let v = f.browse(&s);
        assert!(!v.granted);
        assert!(v
            .reason
            .as_deref()
            .unwrap()
            .contains("granted to user bob; alice is in no group"));
        assert_eq!(
            v.fix.unwrap().action,
            "grant Browse Projects to user alice in scheme 'Restricted Scheme'"
        );
    }

    #[test]
    fn anyone_holder() {
        let f = Fixture::new(vec![grant(B, "anyone", None)]);
        assert!(f.browse(&alice()).granted);
        // old DC schemes: group without parameter = Anyone
        let f = Fixture::new(vec![grant(B, "group", None)]);
        assert_eq!(
            f.browse(&Subject::default()).via,
            vec!["anyone (public, even anonymous)"]
        );
    }

    #[test]
    fn application_role_holder() {
        let f = Fixture::new(vec![grant(B, "applicationRole", None)]);
        assert_eq!(
            f.browse(&alice()).via,
            vec!["any logged-in user (application access)"]
        );
        let f = Fixture::new(vec![grant(B, "applicationRole", Some("jira-software"))]);
        assert!(f.browse(&alice()).granted);
        let f = Fixture::new(vec![grant(B, "applicationRole", Some("jira-servicedesk"))]);
        let v = f.browse(&alice());
        assert!(!v.granted && v.unresolved.is_empty());
        assert!(v
            .reason
            .unwrap()
            .contains("application role jira-servicedesk"));
        let mut s = alice();
        s.application_roles.clear();
        let v = f.browse(&s);
        assert!(!v.granted);
        assert_eq!(v.unresolved.len(), 1);
    }

    #[test]
    fn project_lead_holder() {
        let mut f = Fixture::new(vec![grant(B, "projectLead", None)]);
        f.lead = Some("alice");
        assert_eq!(f.browse(&alice()).via, vec!["project lead"]);
        f.lead = Some("bob");
        assert!(!f.browse(&alice()).granted);
        f.lead = None;
        assert_eq!(f.browse(&alice()).unresolved.len(), 1);
    }

    #[test]
    fn issue_level_holders_count_for_any_logged_in_user() {
        for (kind, param) in [
            ("reporter", None),
            ("reporterWithCreatePermission", None),
            ("assignee", None),
            ("userCustomField", Some("customfield_10010")),
            ("groupCustomField", Some("customfield_10011")),
        ] {
            let f = Fixture::new(vec![grant(B, kind, param)]);
            let v = f.browse(&alice());
            assert!(v.granted, "{kind}");
            assert!(v.issue_level, "{kind}");
            assert!(v.via[0].contains("issue-level grant"), "{kind}");
        }
        // a real grant next to it: not "issue-level only"
        let f = Fixture::new(vec![
            grant(B, "reporter", None),
            grant(B, "group", Some("jira-users")),
        ]);
        let v = f.browse(&alice());
        assert!(v.granted && !v.issue_level);
        assert_eq!(v.via.len(), 2);
        assert_eq!(v.via[0], "group jira-users");
    }

    #[test]
    fn inactive_user_holds_nothing() {
        let f = Fixture::new(vec![
            grant(B, "group", Some("jira-users")),
            grant(B, "anyone", None),
        ]);
        let mut s = alice();
        s.inactive = true;
        let v = f.browse(&s);
        assert!(!v.granted);
        assert_eq!(
            v.reason.as_deref(),
            Some("alice is deactivated in Jira, so no grant in scheme 'Restricted Scheme' applies")
        );
        assert_eq!(v.fix.unwrap().action, "reactivate user alice");
    }

    #[test]
    fn issue_level_browse_grants_are_listed() {
        let s = scheme(vec![
            grant(B, "reporter", None),
            grant(B, "userCustomField", Some("customfield_1")),
            grant(B, "group", Some("g")),
            grant("CREATE_ISSUES", "assignee", None),
        ]);
        assert_eq!(
            browse_open_to_all(&s),
            vec!["reporter", "userCustomField customfield_1"]
        );
    }

    #[test]
    fn unknown_holder_is_reported_never_counted() {
        let f = Fixture::new(vec![grant(B, "sd.customer.portal.only", Some("x"))]);
        let v = f.browse(&alice());
        assert!(!v.granted);
        assert!(v.unresolved[0].contains("'sd.customer.portal.only' is not understood"));
        assert!(v
            .reason
            .unwrap()
            .contains("unknown holder sd.customer.portal.only (x)"));
    }

    #[test]
    fn nobody_and_other_permissions_ignored() {
        let f = Fixture::new(vec![grant("CREATE_ISSUES", "group", Some("jira-users"))]);
        let v = f.browse(&alice());
        assert!(!v.granted);
        assert!(v
            .reason
            .unwrap()
            .starts_with("Browse Projects in scheme 'Restricted Scheme' is granted to nobody"));
        let v = evaluate(&alice(), &f.ctx(), "CREATE_ISSUES");
        assert!(v.granted);
    }

    #[test]
    fn shared_scheme_without_role_suggests_copy() {
        let mut f = Fixture::new(vec![grant(B, "group", Some("admins"))]);
        f.shared = (1..=7).map(|i| format!("P{i}")).collect();
        let fix = f.browse(&alice()).fix.unwrap();
        assert_eq!(
            fix.safer.as_deref(),
            Some("copy scheme 'Restricted Scheme', make the grant in the copy and associate only PRJ with it")
        );
        assert!(fix
            .text()
            .contains("7 other projects share the scheme (P1, P2, P3, P4, P5, +2 more)"));
        assert_eq!(fix.blast_radius, 7);
        assert_eq!(fix.blast_radius_sample.len(), BLAST_SAMPLE);
    }

    #[test]
    fn scheme_list_containing_the_project_itself_is_not_counted() {
        let mut f = Fixture::new(vec![grant(B, "group", Some("admins"))]);
        // gather passes the scheme's full sorted list, which includes the project under audit.
        f.shared = vec!["AAA".into(), "PRJ".into(), "ZZZ".into()];
        assert_eq!(f.ctx().others_count(), 2);
        let fix = f.browse(&alice()).fix.unwrap();
        assert_eq!(fix.blast_radius, 2);
        assert_eq!(fix.blast_radius_sample, vec!["AAA", "ZZZ"]);
        f.shared = vec!["PRJ".into()];
        let fix = f.browse(&alice()).fix.unwrap();
        assert_eq!(fix.blast_radius, 0);
        assert!(fix
            .text()
            .contains("no other audited project uses this scheme"));
    }

    #[test]
    fn relevant_roles_only_for_required_permissions() {
        let s = scheme(vec![
            grant(B, "projectRole", Some("1")),
            grant("CREATE_ISSUES", "projectRole", Some("2")),
            grant("ADMINISTER_PROJECTS", "projectRole", Some("3")),
            grant(B, "group", Some("g")),
        ]);
        let r = relevant_roles(&s, &[B.to_string(), "CREATE_ISSUES".to_string()]);
        assert_eq!(r, ["1".to_string(), "2".to_string()].into());
        assert!(relevant_roles(&s, &["EDIT_ISSUES".to_string()]).is_empty());
    }

    #[test]
    fn subject_from_user() {
        let u: User = serde_json::from_str(
            r#"{"name":"alice","key":"k","groups":{"size":1,"items":[{"name":"jira-users"}]},
                "applicationRoles":{"size":1,"items":[{"key":"jira-software"}]}}"#,
        )
        .unwrap();
        let s = Subject::from_user(&u);
        assert_eq!(s, alice_with_key("k"));
    }

    fn alice_with_key(k: &str) -> Subject {
        Subject {
            key: Some(k.into()),
            ..alice()
        }
    }

    #[test]
    fn join_helpers() {
        assert_eq!(
            join_and(&["a".into(), "b".into(), "c".into()]),
            "a, b and c"
        );
        assert_eq!(join_and(&[]), "");
    }
}
