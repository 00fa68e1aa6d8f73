//! Least-privilege fixes: for every missing (project, permission) the candidate changes and their
//! exact gains — the (user, project, permission) triples that become granted and were not, across
//! all users and all projects on the affected scheme(s) — ranked by gains then by number of
//! changes; a joint plan over many projects; applying it through Jira's REST API with rollback on
//! the first failure, a journal, and undo.
//!
//! `snapshot` gathers what the planner reads (schemes, roles, role actors, paged group members),
//! `gains` evaluates a set of changes against it (pure), `candidates` lists and ranks the changes
//! for one missing pair, `plan` builds the joint plan, `apply` and `journal` change Jira and undo.

pub mod apply;
pub mod candidates;
pub mod gains;
pub mod journal;
pub mod plan;
pub mod snapshot;

pub use crate::jira::admin_writes::ActorRef;
pub use apply::{apply_plan, undo_journal, AdminWriter, ApplyError, ApplyEvent};
pub use candidates::{annotate_report, candidates_for};
pub use journal::{Journal, JournalEntry};
pub use plan::{plan, Plan};
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_name: Option<String>,
}

/// One change to Jira.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
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
        #[serde(flatten)]
        actor: ActorRef,
    },
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
    /// The triples themselves (left out of alternatives, and beyond [`TRIPLES_LISTED`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
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
