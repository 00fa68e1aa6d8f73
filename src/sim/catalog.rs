//! The permission catalog of Jira DC: keys, numeric ids, names, descriptions and legacy aliases.
//!
//! Ids follow Jira's `com.atlassian.jira.security.Permissions` constants; DC's `mypermissions`
//! also lists legacy keys (e.g. `BROWSE`) flagged `deprecatedKey` next to the current ones
//! (see the fixtures README: packy/JIRA-REST-Class `InlineTest.pm` shows `BROWSE` and
//! `BROWSE_PROJECTS` both with id 10).

/// Whether a permission applies globally or per project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermType {
    /// Global permission (granted to groups).
    Global,
    /// Project permission (granted through the project's permission scheme).
    Project,
}

impl PermType {
    /// The `type` string Jira puts in permission JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            PermType::Global => "GLOBAL",
            PermType::Project => "PROJECT",
        }
    }
}

/// One permission of the catalog.
#[derive(Debug, Clone, Copy)]
pub struct PermDef {
    /// The key, e.g. `BROWSE_PROJECTS`.
    pub key: &'static str,
    /// Jira's numeric id (as a string in JSON).
    pub id: u32,
    /// Human name.
    pub name: &'static str,
    /// Global or project.
    pub kind: PermType,
    /// Description shown by Jira.
    pub description: &'static str,
}

const fn p(key: &'static str, id: u32, name: &'static str, description: &'static str) -> PermDef {
    PermDef {
        key,
        id,
        name,
        kind: PermType::Project,
        description,
    }
}

const fn g(key: &'static str, id: u32, name: &'static str, description: &'static str) -> PermDef {
    PermDef {
        key,
        id,
        name,
        kind: PermType::Global,
        description,
    }
}

/// Every current permission key (global first, then project).
pub const PERMISSIONS: &[PermDef] = &[
    g("ADMINISTER", 0, "Jira Administrators", "Ability to perform most administration functions (excluding Import & Export, SMTP Configuration, etc.)."),
    g("SYSTEM_ADMIN", 44, "Jira System Administrators", "Ability to perform all administration functions. There must be at least one group with this permission."),
    g("USER_PICKER", 27, "Browse Users", "Ability to select a user or group from a popup window as well as the ability to use the 'share' issues feature. Users with this permission will also be able to see names of all users and groups in the system."),
    g("CREATE_SHARED_OBJECTS", 22, "Create Shared Objects", "Ability to share dashboards and filters with other users, groups and roles."),
    g("MANAGE_GROUP_FILTER_SUBSCRIPTIONS", 24, "Manage Group Filter Subscriptions", "Ability to manage (create and delete) group filter subscriptions."),
    g("BULK_CHANGE", 33, "Bulk Change", "Ability to modify a collection of issues at once. For example, resolve multiple issues in one step."),
    p("ADMINISTER_PROJECTS", 23, "Administer Projects", "Ability to administer a project in Jira."),
    p("BROWSE_PROJECTS", 10, "Browse Projects", "Ability to browse projects and the issues within them."),
    p("VIEW_DEV_TOOLS", 29, "View Development Tools", "Allows users in a software project to view development-related information on the issue, such as commits, reviews and build information."),
    p("VIEW_READONLY_WORKFLOW", 45, "View Read-Only Workflow", "Users with this permission may view a read-only version of a workflow."),
    p("CREATE_ISSUES", 11, "Create Issues", "Ability to create issues."),
    p("EDIT_ISSUES", 12, "Edit Issues", "Ability to edit issues."),
    p("TRANSITION_ISSUES", 46, "Transition Issues", "Ability to transition issues."),
    p("SCHEDULE_ISSUES", 28, "Schedule Issues", "Ability to view or edit an issue's due date."),
    p("MOVE_ISSUES", 25, "Move Issues", "Ability to move issues between projects or between workflows of the same project (if applicable). Note the user can only move issues to a project they have the create permission for."),
    p("ASSIGN_ISSUES", 13, "Assign Issues", "Ability to assign issues to other people."),
    p("ASSIGNABLE_USER", 17, "Assignable User", "Users with this permission may be assigned to issues."),
    p("RESOLVE_ISSUES", 14, "Resolve Issues", "Ability to resolve and reopen issues. This includes the ability to set a fix version."),
    p("CLOSE_ISSUES", 18, "Close Issues", "Ability to close issues. Often useful where your developers resolve issues, and a QA department closes them."),
    p("MODIFY_REPORTER", 30, "Modify Reporter", "Ability to modify the reporter when creating or editing an issue."),
    p("DELETE_ISSUES", 16, "Delete Issues", "Ability to delete issues."),
    p("LINK_ISSUES", 21, "Link Issues", "Ability to link issues together and create linked issues. Only useful if issue linking is turned on."),
    p("SET_ISSUE_SECURITY", 26, "Set Issue Security", "Ability to set the level of security on an issue so that only people in that security level can see the issue."),
    p("VIEW_VOTERS_AND_WATCHERS", 31, "View Voters and Watchers", "Ability to view the voters and watchers of an issue."),
    p("MANAGE_WATCHERS", 32, "Manage Watchers", "Ability to manage the watchers of an issue."),
    p("ADD_COMMENTS", 15, "Add Comments", "Ability to comment on issues."),
    p("EDIT_ALL_COMMENTS", 34, "Edit All Comments", "Ability to edit all comments made on issues."),
    p("EDIT_OWN_COMMENTS", 35, "Edit Own Comments", "Ability to edit own comments made on issues."),
    p("DELETE_ALL_COMMENTS", 36, "Delete All Comments", "Ability to delete all comments made on issues."),
    p("DELETE_OWN_COMMENTS", 37, "Delete Own Comments", "Ability to delete own comments made on issues."),
    p("CREATE_ATTACHMENTS", 19, "Create Attachments", "Users with this permission may create attachments."),
    p("DELETE_ALL_ATTACHMENTS", 38, "Delete All Attachments", "Users with this permission may delete all attachments."),
    p("DELETE_OWN_ATTACHMENTS", 39, "Delete Own Attachments", "Users with this permission may delete own attachments."),
    p("WORK_ON_ISSUES", 20, "Work On Issues", "Ability to log work done against an issue. Only useful if Time Tracking is turned on."),
    p("EDIT_OWN_WORKLOGS", 40, "Edit Own Worklogs", "Ability to edit own worklogs made on issues."),
    p("EDIT_ALL_WORKLOGS", 41, "Edit All Worklogs", "Ability to edit all worklogs made on issues."),
    p("DELETE_OWN_WORKLOGS", 42, "Delete Own Worklogs", "Ability to delete own worklogs made on issues."),
    p("DELETE_ALL_WORKLOGS", 43, "Delete All Worklogs", "Ability to delete all worklogs made on issues."),
];

/// Legacy keys DC still returns from `mypermissions` (flagged `deprecatedKey`), with the current key
/// each one aliases.
pub const DEPRECATED_ALIASES: &[(&str, &str)] = &[
    ("BROWSE", "BROWSE_PROJECTS"),
    ("PROJECT_ADMIN", "ADMINISTER_PROJECTS"),
    ("CREATE_ISSUE", "CREATE_ISSUES"),
    ("EDIT_ISSUE", "EDIT_ISSUES"),
    ("ASSIGN_ISSUE", "ASSIGN_ISSUES"),
    ("RESOLVE_ISSUE", "RESOLVE_ISSUES"),
    ("COMMENT_ISSUE", "ADD_COMMENTS"),
    ("DELETE_ISSUE", "DELETE_ISSUES"),
    ("CLOSE_ISSUE", "CLOSE_ISSUES"),
    ("CREATE_ATTACHMENT", "CREATE_ATTACHMENTS"),
    ("WORK_ISSUE", "WORK_ON_ISSUES"),
    ("LINK_ISSUE", "LINK_ISSUES"),
    ("MOVE_ISSUE", "MOVE_ISSUES"),
    ("SCHEDULE_ISSUE", "SCHEDULE_ISSUES"),
    ("VIEW_VERSION_CONTROL", "VIEW_DEV_TOOLS"),
    ("VIEW_WORKFLOW_READONLY", "VIEW_READONLY_WORKFLOW"),
    ("MANAGE_WATCHER_LIST", "MANAGE_WATCHERS"),
    ("COMMENT_EDIT_ALL", "EDIT_ALL_COMMENTS"),
    ("COMMENT_EDIT_OWN", "EDIT_OWN_COMMENTS"),
    ("COMMENT_DELETE_ALL", "DELETE_ALL_COMMENTS"),
    ("COMMENT_DELETE_OWN", "DELETE_OWN_COMMENTS"),
    ("ATTACHMENT_DELETE_ALL", "DELETE_ALL_ATTACHMENTS"),
    ("ATTACHMENT_DELETE_OWN", "DELETE_OWN_ATTACHMENTS"),
    ("WORKLOG_EDIT_OWN", "EDIT_OWN_WORKLOGS"),
    ("WORKLOG_EDIT_ALL", "EDIT_ALL_WORKLOGS"),
    ("WORKLOG_DELETE_OWN", "DELETE_OWN_WORKLOGS"),
    ("WORKLOG_DELETE_ALL", "DELETE_ALL_WORKLOGS"),
];

/// The definition of a current key.
pub fn find(key: &str) -> Option<&'static PermDef> {
    PERMISSIONS.iter().find(|d| d.key == key)
}

/// Resolve a current or legacy key to its current definition.
pub fn resolve(key: &str) -> Option<&'static PermDef> {
    let upper = key.trim().to_ascii_uppercase();
    find(&upper).or_else(|| {
        DEPRECATED_ALIASES
            .iter()
            .find(|(old, _)| *old == upper)
            .and_then(|(_, new)| find(new))
    })
}

/// All project permission keys.
pub fn project_keys() -> impl Iterator<Item = &'static str> {
    PERMISSIONS
        .iter()
        .filter(|d| d.kind == PermType::Project)
        .map(|d| d.key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_unique_and_aliases_resolve() {
        let mut keys: Vec<_> = PERMISSIONS.iter().map(|d| d.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), PERMISSIONS.len());
        assert_eq!(PERMISSIONS.len(), 38);
        for (old, new) in DEPRECATED_ALIASES {
            assert_eq!(resolve(old).map(|d| d.key), Some(*new), "{old}");
        }
        assert_eq!(resolve("browse").map(|d| d.id), Some(10));
        assert!(resolve("NOPE").is_none());
    }
}
