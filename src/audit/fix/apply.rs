//! Applying a plan through Jira's REST API, in order, stopping at the first failure and rolling
//! back what had been applied; the journal is written after every change, so a crash still
//! leaves an undo. Undo reverts a journal's changes in reverse order.

use super::journal::{now, Journal, JournalEntry};
use super::{ActorRef, Change};
use crate::jira::{Code, Diagnosis, JiraClient, JiraError};
use std::collections::HashMap;
use std::future::Future;

/// The admin writes a fix makes.
pub trait AdminWriter: Send + Sync {
    /// `POST /rest/api/2/role` → the new role's id.
    fn create_role(
        &self,
        name: &str,
        description: &str,
    ) -> impl Future<Output = Result<String, JiraError>> + Send;
    /// `DELETE /rest/api/2/role/{id}`.
    fn delete_role(&self, id: &str) -> impl Future<Output = Result<(), JiraError>> + Send;
    /// `POST /rest/api/2/permissionscheme/{id}/permission` → the grant id.
    fn add_grant(
        &self,
        scheme: &str,
        permission: &str,
        kind: &str,
        parameter: Option<&str>,
    ) -> impl Future<Output = Result<String, JiraError>> + Send;
    /// `DELETE /rest/api/2/permissionscheme/{id}/permission/{grant}`.
    fn delete_grant(
        &self,
        scheme: &str,
        grant: &str,
    ) -> impl Future<Output = Result<(), JiraError>> + Send;
    /// `POST /rest/api/2/project/{key}/role/{id}`.
    fn add_role_actor(
        &self,
        project: &str,
        role: &str,
        actor: &ActorRef,
    ) -> impl Future<Output = Result<(), JiraError>> + Send;
    /// `DELETE /rest/api/2/project/{key}/role/{id}?user=|group=`.
    fn remove_role_actor(
        &self,
        project: &str,
        role: &str,
        actor: &ActorRef,
    ) -> impl Future<Output = Result<(), JiraError>> + Send;
}

impl AdminWriter for JiraClient {
    async fn create_role(&self, name: &str, description: &str) -> Result<String, JiraError> {
        let r = JiraClient::create_role(self, name, description).await?;
        r.id.ok_or_else(|| JiraError::config("Jira created the role but sent no id"))
    }
    fn delete_role(&self, id: &str) -> impl Future<Output = Result<(), JiraError>> + Send {
        JiraClient::delete_role(self, id)
    }
    async fn add_grant(
        &self,
        scheme: &str,
        permission: &str,
        kind: &str,
        parameter: Option<&str>,
    ) -> Result<String, JiraError> {
        let g = self
            .add_permission_grant(scheme, permission, kind, parameter)
            .await?;
        g.id.ok_or_else(|| JiraError::config("Jira created the grant but sent no id"))
    }
    fn delete_grant(
        &self,
        scheme: &str,
        grant: &str,
    ) -> impl Future<Output = Result<(), JiraError>> + Send {
        self.delete_permission_grant(scheme, grant)
    }
    fn add_role_actor(
        &self,
        project: &str,
        role: &str,
        actor: &ActorRef,
    ) -> impl Future<Output = Result<(), JiraError>> + Send {
        JiraClient::add_role_actor(self, project, role, actor)
    }
    fn remove_role_actor(
        &self,
        project: &str,
        role: &str,
        actor: &ActorRef,
    ) -> impl Future<Output = Result<(), JiraError>> + Send {
        JiraClient::remove_role_actor(self, project, role, actor)
    }
}

/// Progress of an apply or undo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyEvent {
    /// About to make change `index` (0-based) of `total`.
    Step {
        /// Index.
        index: usize,
        /// Count.
        total: usize,
        /// The REST call.
        call: String,
    },
    /// A change failed; rolling back `count` applied changes.
    RollingBack {
        /// How many.
        count: usize,
    },
    /// One rollback/undo call done.
    Reverted {
        /// The REST call.
        call: String,
    },
}

/// Why an apply or undo stopped.
#[derive(Debug, Clone)]
pub struct ApplyError {
    /// The change (or undo call) that failed.
    pub call: String,
    /// What Jira said, why, and what to do.
    pub diagnosis: Diagnosis,
    /// Whether what had been applied was rolled back completely.
    pub rolled_back: bool,
    /// Rollback calls that failed too (the journal keeps them for `--undo`).
    pub rollback_failures: Vec<String>,
}

/// A failed write, as a diagnosis: WebSudo and 403s get their own explanation.
pub fn diagnose_write(e: &JiraError, call: &str) -> Diagnosis {
    let body = e.body_summary.clone().unwrap_or_default();
    if body.contains("WebSudo") {
        // Jira answers 401 "This resource requires WebSudo." on admin resources when secure
        // administrator sessions are on (AtlassianPS/JiraPS#69, Atlassian KB "Error: This
        // resource requires WebSudo").
        return Diagnosis::error(
            Code::Forbidden,
            format!("{call}: Jira requires WebSudo (secure administrator sessions)"),
            "with secure administrator sessions enabled, Jira refuses admin REST writes from a session that has not re-entered its password",
            "authenticate the --admin connection with a personal access token or basic auth (not a browser session), or set jira.websudo.is.disabled=true in jira-config.properties for the change window",
        );
    }
    match e.status {
        Some(403) | Some(404) if call.contains("/project/") && call.contains("/role/") => {
            Diagnosis::error(
                Code::Forbidden,
                format!("{call}: Jira refused to change the role's actors"),
                format!(
                    "the contract answers 404 when the caller may not modify a project role's actors; Jira said: {}",
                    e.diagnose().summary
                ),
                "use an --admin connection whose user is a Jira administrator (or an administrator of the project)",
            )
        }
        Some(403) => Diagnosis::error(
            Code::Forbidden,
            format!("{call}: the --admin connection may not make this change (403)"),
            format!(
                "creating roles and editing permission schemes needs the global permission Jira Administrators; Jira said: {}",
                e.diagnose().summary
            ),
            "pass --admin a connection whose user is in jira-administrators (⚙ Administration → System → Global permissions)",
        ),
        _ => {
            let mut d = e.diagnose();
            d.summary = format!("{call}: {}", d.summary);
            d
        }
    }
}

/// The REST call `c` makes once the roles created earlier in the run have ids: the id filled in
/// and the role named (a plan shows `<id of NAME>` before the role exists).
fn call_made(c: &Change, ids: &HashMap<String, String>) -> String {
    let created = |id: &Option<String>, name: &str| {
        id.is_none()
            .then(|| ids.get(&name.to_ascii_lowercase()).cloned())
            .flatten()
    };
    match c {
        Change::Grant {
            scheme_id,
            scheme_name,
            permission,
            holder,
        } if holder.kind == "projectRole" => {
            let name = holder.role_name.clone().unwrap_or_default();
            match created(&holder.parameter, &name) {
                Some(id) => {
                    let mut h = holder.clone();
                    h.parameter = Some(id);
                    let call = Change::Grant {
                        scheme_id: scheme_id.clone(),
                        scheme_name: scheme_name.clone(),
                        permission: permission.clone(),
                        holder: h,
                    }
                    .rest_call();
                    format!("{call} (role {name})")
                }
                None => c.rest_call(),
            }
        }
        Change::AddRoleActor {
            project,
            role_id,
            role_name,
            actor,
        } => match created(role_id, role_name) {
            Some(id) => {
                let call = Change::AddRoleActor {
                    project: project.clone(),
                    role_id: Some(id),
                    role_name: role_name.clone(),
                    actor: actor.clone(),
                }
                .rest_call();
                format!("{call} (role {role_name})")
            }
            None => c.rest_call(),
        },
        _ => c.rest_call(),
    }
}

fn resolve(ids: &HashMap<String, String>, id: &Option<String>, name: &str) -> Option<String> {
    id.clone()
        .or_else(|| ids.get(&name.to_ascii_lowercase()).cloned())
}

async fn revert<W: AdminWriter>(w: &W, e: &JournalEntry) -> Result<(), JiraError> {
    match e {
        JournalEntry::DeleteRole { role_id, .. } => w.delete_role(role_id).await,
        JournalEntry::DeleteGrant {
            scheme_id,
            grant_id,
            ..
        } => w.delete_grant(scheme_id, grant_id).await,
        JournalEntry::RemoveRoleActor {
            project,
            role_id,
            actor,
        } => w.remove_role_actor(project, role_id, actor).await,
    }
}

/// Revert `entries` in reverse order; failed calls are returned (and kept).
async fn revert_all<W: AdminWriter>(
    w: &W,
    entries: &[JournalEntry],
    events: &(dyn Fn(ApplyEvent) + Send + Sync),
) -> Vec<(JournalEntry, String)> {
    let mut failed = Vec::new();
    for e in entries.iter().rev() {
        match revert(w, e).await {
            Ok(()) => events(ApplyEvent::Reverted {
                call: e.rest_call(),
            }),
            Err(err) => failed.push((e.clone(), format!("{}: {}", e.rest_call(), err))),
        }
    }
    failed.reverse();
    failed
}

/// Apply `journal.changes` in order, recording each in `journal.applied` and persisting the
/// journal after every change. On the first failure, roll back what was applied.
pub async fn apply_plan<W: AdminWriter>(
    w: &W,
    journal: &mut Journal,
    persist: &(dyn Fn(&Journal) -> Result<(), String> + Send + Sync),
    events: &(dyn Fn(ApplyEvent) + Send + Sync),
) -> Result<(), ApplyError> {
    let mut ids: HashMap<String, String> = HashMap::new();
    let total = journal.changes.len();
    let changes = journal.changes.clone();
    for (index, c) in changes.iter().enumerate() {
        let call = call_made(c, &ids);
        events(ApplyEvent::Step {
            index,
            total,
            call: call.clone(),
        });
        let res: Result<JournalEntry, JiraError> = match c {
            Change::CreateRole { name, description } => {
                w.create_role(name, description).await.map(|id| {
                    ids.insert(name.to_ascii_lowercase(), id.clone());
                    JournalEntry::DeleteRole {
                        role_id: id,
                        name: name.clone(),
                    }
                })
            }
            Change::Grant {
                scheme_id,
                permission,
                holder,
                ..
            } => {
                let param = if holder.kind == "projectRole" {
                    resolve(
                        &ids,
                        &holder.parameter,
                        holder.role_name.as_deref().unwrap_or_default(),
                    )
                } else {
                    holder.parameter.clone()
                };
                w.add_grant(scheme_id, permission, &holder.kind, param.as_deref())
                    .await
                    .map(|gid| JournalEntry::DeleteGrant {
                        scheme_id: scheme_id.clone(),
                        grant_id: gid,
                        permission: permission.clone(),
                    })
            }
            Change::AddRoleActor {
                project,
                role_id,
                role_name,
                actor,
            } => match resolve(&ids, role_id, role_name) {
                Some(rid) => w.add_role_actor(project, &rid, actor).await.map(|()| {
                    JournalEntry::RemoveRoleActor {
                        project: project.clone(),
                        role_id: rid,
                        actor: actor.clone(),
                    }
                }),
                None => Err(JiraError::config(format!(
                    "role {role_name} has no id: it was neither found nor created"
                ))),
            },
        };
        let failure = match res {
            Ok(entry) => {
                journal.applied.push(entry);
                match persist(journal) {
                    Ok(()) => continue,
                    Err(e) => Diagnosis::error(
                        Code::ConfigError,
                        format!("cannot write the fix journal: {e}"),
                        "without a journal the change could not be undone later, so it is rolled back now",
                        "make the state directory writable (or set JIRALINK_STATE) and run again",
                    ),
                }
            }
            Err(e) => diagnose_write(&e, &call),
        };
        events(ApplyEvent::RollingBack {
            count: journal.applied.len(),
        });
        let failed = revert_all(w, &journal.applied, events).await;
        let rolled_back = failed.is_empty();
        journal.applied = failed.iter().map(|(e, _)| e.clone()).collect();
        if rolled_back {
            journal.undone = Some(now());
        }
        let _ = persist(journal);
        return Err(ApplyError {
            call,
            diagnosis: failure,
            rolled_back,
            rollback_failures: failed.into_iter().map(|(_, m)| m).collect(),
        });
    }
    Ok(())
}

/// Revert every change of `journal` in reverse order; on success the journal is marked undone.
/// Entries whose revert failed stay in `journal.applied` (a second `--undo` retries them).
pub async fn undo_journal<W: AdminWriter>(
    w: &W,
    journal: &mut Journal,
    events: &(dyn Fn(ApplyEvent) + Send + Sync),
) -> Result<(), ApplyError> {
    if journal.undone.is_some() && journal.applied.is_empty() {
        return Ok(());
    }
    let failed = revert_all(w, &journal.applied, events).await;
    if failed.is_empty() {
        journal.applied.clear();
        journal.undone = Some(now());
        return Ok(());
    }
    let first = failed[0].1.clone();
    journal.applied = failed.iter().map(|(e, _)| e.clone()).collect();
    Err(ApplyError {
        call: failed[0].0.rest_call(),
        diagnosis: Diagnosis::error(
            Code::Other,
            format!("undo incomplete: {first}"),
            "the other changes were reverted; the journal keeps the ones that were not",
            "fix the cause and run the same `jiralink fix --undo` again",
        ),
        rolled_back: false,
        rollback_failures: failed.into_iter().map(|(_, m)| m).collect(),
    })
}
