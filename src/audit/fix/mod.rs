//! Least-privilege fixes: for every missing (project, permission) the candidate changes and their
//! exact gains — the (user, project, permission) triples that become granted and were not, across
//! all users and all projects on the affected scheme(s) — ranked by gains then by number of
//! changes; a joint plan over many projects; applying it through Jira's REST API with rollback on
//! the first failure, a journal, and undo.
//!
//! `snapshot` gathers what the planner reads (schemes, roles, role actors, paged group members),
//! `gains` evaluates a set of changes against it (pure), `candidates` lists and ranks the changes
//! for one missing pair, `plan` builds the joint plan, `apply` and `journal` change Jira and undo.
//! `recall` keeps what the audit read so that gathering does not read it again.

pub mod apply;
pub mod candidates;
pub mod gains;
pub mod job;
pub mod journal;
pub mod plan;
pub mod recall;
pub mod render;
pub mod snapshot;

pub use crate::jira::admin_writes::ActorRef;
pub use apply::{apply_plan, undo_journal, AdminWriter, ApplyError, ApplyEvent};
pub use candidates::{annotate_report, candidates_for};
pub use job::{apply_job, plan_job, undo_job, Applied, FixJob};
pub use journal::{Journal, JournalEntry};
pub use plan::{plan, Plan};
pub use recall::{audit_recorded, Recorder};
pub use render::render_plan;
pub use snapshot::{gather, AdminSource, Snapshot};

use serde::{Deserialize, Serialize};

/// The project permission that makes its holder an administrator of the project.
pub const ADMIN_CLASS: &[&str] = &["ADMINISTER_PROJECTS"];

/// Whether a permission key is admin-class (Administer Projects; Administer Jira is global and
/// cannot be granted in a permission scheme).
pub fn is_admin_class(permission: &str) -> bool {
    ADMIN_CLASS.contains(&permission) || permission == "ADMINISTER"
}

/// Planner settings (config `[fix]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixOptions {
    /// Name of the dedicated role to create when no existing role qualifies.
    pub role_name: String,
    /// Whether the planner may create a project role.
    pub allow_create_role: bool,
}

impl Default for FixOptions {
    fn default() -> Self {
        Self {
            role_name: DEFAULT_ROLE_NAME.into(),
            allow_create_role: true,
        }
    }
}

impl FixOptions {
    /// The options the config's `[fix]` settings give.
    pub fn from_settings(s: &crate::config::FixSettings) -> Self {
        Self {
            role_name: s.role_name.clone(),
            allow_create_role: s.create_roles,
        }
    }
}

/// The dedicated role's default name.
pub const DEFAULT_ROLE_NAME: &str = "Integration";

/// A grant's holder as Jira's REST API takes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct HolderSpec {
    /// `user`, `group` or `projectRole`.
    #[serde(rename = "type")]
    pub kind: String,
    /// User name, group name or role id; `None` for a role this plan creates first.
    pub parameter: Option<String>,
    /// The role's name, for role holders (and the only reference to a role still to create).
    #[serde(default)]
    pub role_name: Option<String>,
}

/// One change to Jira. In JSON one flat object whatever the `op` (fields that do not apply are
/// `null`), so `jq '.changes[] | select(.op == "grant") | .holder'` and shape checks stay simple.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "ChangeJson", try_from = "ChangeJson")]
pub enum Change {
    /// `POST /rest/api/2/role` {name, description}.
    CreateRole {
        /// Role name.
        name: String,
        /// Role description.
        description: String,
    },
    /// `POST /rest/api/2/permissionscheme/{scheme_id}/permission`.
    Grant {
        /// Scheme id.
        scheme_id: String,
        /// Scheme name (for people).
        scheme_name: String,
        /// Permission key.
        permission: String,
        /// Who gets it.
        holder: HolderSpec,
    },
    /// `POST /rest/api/2/project/{project}/role/{role_id}`.
    AddRoleActor {
        /// Project key.
        project: String,
        /// Role id; `None` for a role this plan creates first.
        role_id: Option<String>,
        /// Role name.
        role_name: String,
        /// The user or group added.
        actor: ActorRef,
    },
}

/// The JSON form of a [`Change`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ChangeJson {
    /// `create_role`, `grant` or `add_role_actor`.
    pub op: String,
    /// grant: scheme id.
    pub scheme_id: Option<String>,
    /// grant: scheme name.
    pub scheme_name: Option<String>,
    /// grant: permission key.
    pub permission: Option<String>,
    /// grant: holder.
    pub holder: Option<HolderSpec>,
    /// add_role_actor: project key.
    pub project: Option<String>,
    /// add_role_actor: role id (`null` for a role the plan creates).
    pub role_id: Option<String>,
    /// add_role_actor: role name.
    pub role_name: Option<String>,
    /// add_role_actor: the user added.
    pub user: Option<String>,
    /// add_role_actor: the group added.
    pub group: Option<String>,
    /// create_role: name.
    pub name: Option<String>,
    /// create_role: description.
    pub description: Option<String>,
}

impl From<Change> for ChangeJson {
    fn from(c: Change) -> Self {
        match c {
            Change::CreateRole { name, description } => ChangeJson {
                op: "create_role".into(),
                name: Some(name),
                description: Some(description),
                ..Default::default()
            },
            Change::Grant {
                scheme_id,
                scheme_name,
                permission,
                holder,
            } => ChangeJson {
                op: "grant".into(),
                scheme_id: Some(scheme_id),
                scheme_name: Some(scheme_name),
                permission: Some(permission),
                holder: Some(holder),
                ..Default::default()
            },
            Change::AddRoleActor {
                project,
                role_id,
                role_name,
                actor,
            } => {
                let (user, group) = match actor {
                    ActorRef::User(u) => (Some(u), None),
                    ActorRef::Group(g) => (None, Some(g)),
                };
                ChangeJson {
                    op: "add_role_actor".into(),
                    project: Some(project),
                    role_id,
                    role_name: Some(role_name),
                    user,
                    group,
                    ..Default::default()
                }
            }
        }
    }
}

impl TryFrom<ChangeJson> for Change {
    type Error = String;
    fn try_from(j: ChangeJson) -> Result<Self, String> {
        let need = |v: Option<String>, f: &str| v.ok_or_else(|| format!("{} needs {f}", j.op));
        Ok(match j.op.as_str() {
            "create_role" => Change::CreateRole {
                name: need(j.name.clone(), "name")?,
                description: j.description.clone().unwrap_or_default(),
            },
            "grant" => Change::Grant {
                scheme_id: need(j.scheme_id.clone(), "scheme_id")?,
                scheme_name: j.scheme_name.clone().unwrap_or_default(),
                permission: need(j.permission.clone(), "permission")?,
                holder: j.holder.clone().ok_or("grant needs holder")?,
            },
            "add_role_actor" => Change::AddRoleActor {
                project: need(j.project.clone(), "project")?,
                role_id: j.role_id.clone(),
                role_name: j.role_name.clone().unwrap_or_default(),
                actor: match (j.user.clone(), j.group.clone()) {
                    (Some(u), _) => ActorRef::User(u),
                    (None, Some(g)) => ActorRef::Group(g),
                    _ => return Err("add_role_actor needs user or group".into()),
                },
            },
            other => return Err(format!("unknown op {other}")),
        })
    }
}

impl Change {
    /// The change in words.
    pub fn describe(&self) -> String {
        use super::permissions::display_name;
        match self {
            Change::CreateRole { name, .. } => format!("create project role {name}"),
            Change::Grant {
                scheme_name,
                permission,
                holder,
                ..
            } => {
                let who = match holder.kind.as_str() {
                    "projectRole" => format!(
                        "role {}",
                        holder
                            .role_name
                            .clone()
                            .or(holder.parameter.clone())
                            .unwrap_or_default()
                    ),
                    k => format!("{k} {}", holder.parameter.clone().unwrap_or_default()),
                };
                format!(
                    "grant {} to {who} in scheme '{scheme_name}'",
                    display_name(permission)
                )
            }
            Change::AddRoleActor {
                project,
                role_name,
                actor,
                ..
            } => {
                let who = match actor {
                    ActorRef::User(u) => u.clone(),
                    ActorRef::Group(g) => format!("group {g}"),
                };
                format!("add {who} to role {role_name} in project {project}")
            }
        }
    }

    /// The REST call that makes the change.
    pub fn rest_call(&self) -> String {
        match self {
            Change::CreateRole { name, description } => format!(
                "POST /rest/api/2/role {}",
                serde_json::json!({"name": name, "description": description})
            ),
            Change::Grant {
                scheme_id,
                permission,
                holder,
                ..
            } => {
                let param = holder.parameter.clone().unwrap_or_else(|| {
                    format!("<id of {}>", holder.role_name.clone().unwrap_or_default())
                });
                format!(
                    "POST /rest/api/2/permissionscheme/{scheme_id}/permission {}",
                    serde_json::json!({"holder": {"type": holder.kind, "parameter": param}, "permission": permission})
                )
            }
            Change::AddRoleActor {
                project,
                role_id,
                role_name,
                actor,
            } => {
                let id = role_id
                    .clone()
                    .unwrap_or_else(|| format!("<id of {role_name}>"));
                let body = match actor {
                    ActorRef::User(u) => serde_json::json!({"user": [u]}),
                    ActorRef::Group(g) => serde_json::json!({"group": [g]}),
                };
                format!("POST /rest/api/2/project/{project}/role/{id} {body}")
            }
        }
    }
}

/// One (user, project, permission) triple.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Triple {
    /// Login name.
    pub user: String,
    /// Project key.
    pub project: String,
    /// Permission key.
    pub permission: String,
}

/// What a set of changes grants that was not granted before.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gains {
    /// How many (user, project, permission) triples become granted.
    pub count: usize,
    /// How many distinct users gain something.
    pub users: usize,
    /// How many distinct projects see a gain.
    pub projects: usize,
    /// The triples themselves (empty in alternatives; at most [`TRIPLES_LISTED`]).
    #[serde(default)]
    pub triples: Vec<Triple>,
    /// In words: "alice gains Browse Projects in OPS; nobody else gains anything".
    pub summary: String,
}

/// At most this many triples are listed in a report (the count is always exact).
pub const TRIPLES_LISTED: usize = 10_000;

/// One way to grant what is missing, with its exact gains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// The changes, in the order they must be applied.
    pub changes: Vec<Change>,
    /// What they grant that was not granted.
    pub gains: Gains,
    /// Grants Administer Projects (or membership of a role holding it).
    pub admin_class: bool,
    /// The changes in words.
    pub summary: String,
}

impl Candidate {
    /// Rank key: gains, then number of changes.
    pub fn rank(&self) -> (usize, usize) {
        (self.gains.count, self.changes.len())
    }
}

/// The structured fix of one missing (project, permission): the best candidate and the others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    /// The changes of the best candidate, in order.
    pub changes: Vec<Change>,
    /// Its gains.
    pub gains: Gains,
    /// Whether it is admin-class.
    pub admin_class: bool,
    /// The other candidates, best first, with their gains (triples left out).
    pub alternatives: Vec<Candidate>,
}

/// For an admin-assisted run (`admin` given): put the least-privilege fix on each missing verdict,
/// or, if it cannot be computed, say so in the report's notes. Both front ends call this after
/// the audit, so `jiralink audit` and the checker show the same fixes.
pub async fn annotate_if_admin(
    report: &mut crate::audit::Report,
    admin: Option<&crate::jira::JiraClient>,
    opts: &FixOptions,
    concurrency: usize,
) {
    let Some(admin) = admin else { return };
    if let Err(e) = annotate(report, admin, opts, concurrency).await {
        report
            .notes
            .push(format!("least-privilege fixes not computed: {e}"));
    }
}

/// Gather what the planner needs for an admin-assisted `report` and put the structured fix on
/// each missing verdict; returns the snapshot for a joint [`plan`].
pub async fn annotate<S: AdminSource>(
    report: &mut crate::audit::Report,
    admin: &S,
    opts: &FixOptions,
    concurrency: usize,
) -> Result<Snapshot, snapshot::GatherError> {
    let snap = gather(report, admin, opts, concurrency).await?;
    annotate_report(report, &snap, opts);
    Ok(snap)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use std::path::Path;

    #[test]
    fn the_config_names_the_role_and_may_forbid_creating_it() {
        let p = Path::new("c.toml");
        let cfg = Config::parse_str(p, "").unwrap();
        assert_eq!(FixOptions::from_settings(&cfg.fix), FixOptions::default());
        let cfg = Config::parse_str(
            p,
            "[fix]\nrole_name = \"Bot Access\"\ncreate_roles = false\n",
        )
        .unwrap();
        let o = FixOptions::from_settings(&cfg.fix);
        assert_eq!(o.role_name, "Bot Access");
        assert!(!o.allow_create_role);
        assert!(cfg.warnings.is_empty(), "{:?}", cfg.warnings);
        // Jira refuses role names with surrounding whitespace; unknown keys are typos.
        let e = Config::parse_str(p, "[fix]\nrole_name = \" Bot\"\n").unwrap_err();
        assert!(e.to_string().contains("whitespace"), "{e}");
        let e = Config::parse_str(p, "[fix]\ncreate_role = false\n").unwrap_err();
        assert!(e.to_string().contains("create_roles"), "{e}");
    }
}
