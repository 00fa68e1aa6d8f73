//! The project permission keys Jira Server/DC knows out of the box, their display names, and the
//! validation of user-supplied keys (unknown key → error naming the closest match).

/// Built-in DC project permissions (key, display name), as listed by `GET /rest/api/2/permissions`
/// on Jira 7–10 (`com.atlassian.jira.permission.ProjectPermissions` plus Software's sprint and dev
/// tools permissions and Service Management's agent permission).
pub const BUILTIN: &[(&str, &str)] = &[
    ("ADMINISTER_PROJECTS", "Administer Projects"),
    ("BROWSE_PROJECTS", "Browse Projects"),
    ("MANAGE_SPRINTS_PERMISSION", "Manage Sprints"),
    ("VIEW_DEV_TOOLS", "View Development Tools"),
    ("VIEW_READONLY_WORKFLOW", "View Read-Only Workflow"),
    ("SERVICEDESK_AGENT", "Service Desk Agent"),
    ("CREATE_ISSUES", "Create Issues"),
    ("EDIT_ISSUES", "Edit Issues"),
    ("TRANSITION_ISSUES", "Transition Issues"),
    ("SCHEDULE_ISSUES", "Schedule Issues"),
    ("MOVE_ISSUES", "Move Issues"),
    ("ASSIGN_ISSUES", "Assign Issues"),
    ("ASSIGNABLE_USER", "Assignable User"),
    ("RESOLVE_ISSUES", "Resolve Issues"),
    ("CLOSE_ISSUES", "Close Issues"),
    ("MODIFY_REPORTER", "Modify Reporter"),
    ("DELETE_ISSUES", "Delete Issues"),
    ("LINK_ISSUES", "Link Issues"),
    ("SET_ISSUE_SECURITY", "Set Issue Security"),
    ("VIEW_VOTERS_AND_WATCHERS", "View Voters and Watchers"),
    ("MANAGE_WATCHERS", "Manage Watchers"),
    ("ADD_COMMENTS", "Add Comments"),
    ("EDIT_ALL_COMMENTS", "Edit All Comments"),
    ("EDIT_OWN_COMMENTS", "Edit Own Comments"),
    ("DELETE_ALL_COMMENTS", "Delete All Comments"),
    ("DELETE_OWN_COMMENTS", "Delete Own Comments"),
    ("CREATE_ATTACHMENTS", "Create Attachments"),
    ("DELETE_ALL_ATTACHMENTS", "Delete All Attachments"),
    ("DELETE_OWN_ATTACHMENTS", "Delete Own Attachments"),
    ("WORK_ON_ISSUES", "Work On Issues"),
    ("EDIT_OWN_WORKLOGS", "Edit Own Worklogs"),
    ("EDIT_ALL_WORKLOGS", "Edit All Worklogs"),
    ("DELETE_OWN_WORKLOGS", "Delete Own Worklogs"),
    ("DELETE_ALL_WORKLOGS", "Delete All Worklogs"),
];

/// The permission that decides whether a project is visible at all.
pub const BROWSE_PROJECTS: &str = "BROWSE_PROJECTS";

/// The default required permissions of an audit.
pub fn default_required() -> Vec<String> {
    vec![BROWSE_PROJECTS.to_string(), "CREATE_ISSUES".to_string()]
}

/// Human name of a permission key ("Browse Projects"); unknown keys are title-cased.
pub fn display_name(key: &str) -> String {
    if let Some((_, name)) = BUILTIN.iter().find(|(k, _)| *k == key) {
        return (*name).to_string();
    }
    key.split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let lower = w.to_ascii_lowercase();
            let mut c = lower.chars();
            match c.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Normalise a user-typed key: trimmed, upper case, dashes and spaces as underscores.
pub fn normalize(key: &str) -> String {
    key.trim()
        .chars()
        .map(|c| match c {
            '-' | ' ' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect()
}

/// Check `keys` against `known`; the first unknown key comes back with the closest known key.
pub fn validate<'a>(
    keys: &[String],
    known: impl IntoIterator<Item = &'a str> + Clone,
) -> Result<(), (String, Option<String>)> {
    for key in keys {
        if !known.clone().into_iter().any(|k| k == key) {
            return Err((key.clone(), closest(key, known.clone())));
        }
    }
    Ok(())
}

/// The known key closest to `key` (edit distance, ties by order), if any is reasonably close.
pub fn closest<'a>(key: &str, known: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let mut best: Option<(usize, &str)> = None;
    for k in known {
        // A prefix ("BROWSE" for "BROWSE_PROJECTS", the pre-7.0 alias) is the likeliest intent.
        let d = if k.starts_with(key) || key.starts_with(k) {
            1
        } else {
            crate::config::edit_distance(key, k)
        };
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, k));
        }
    }
    // Beyond half the key's length the "closest" key is noise, not a suggestion.
    best.filter(|(d, _)| *d <= key.len().max(4) / 2 + 1)
        .map(|(_, k)| k.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtin_keys() -> impl Iterator<Item = &'static str> + Clone {
        BUILTIN.iter().map(|(k, _)| *k)
    }

    #[test]
    fn known_keys_validate() {
        assert!(validate(&default_required(), builtin_keys()).is_ok());
    }

    #[test]
    fn unknown_key_names_closest() {
        let err = validate(&["BROWSE_PROJECT".to_string()], builtin_keys()).unwrap_err();
        assert_eq!(
            err,
            ("BROWSE_PROJECT".into(), Some("BROWSE_PROJECTS".into()))
        );
        let err = validate(&["CREATE_ISUES".to_string()], builtin_keys()).unwrap_err();
        assert_eq!(err.1.as_deref(), Some("CREATE_ISSUES"));
        let err = validate(&["BROWSE".to_string()], builtin_keys()).unwrap_err();
        assert_eq!(err.1.as_deref(), Some("BROWSE_PROJECTS"));
        let err = validate(&["ZZZZZZZZZZZZZZZZZZZZ".to_string()], builtin_keys()).unwrap_err();
        assert_eq!(err.1, None);
    }

    #[test]
    fn names_and_normalisation() {
        assert_eq!(display_name("BROWSE_PROJECTS"), "Browse Projects");
        assert_eq!(display_name("MY_PLUGIN_PERM"), "My Plugin Perm");
        assert_eq!(normalize(" browse-projects "), "BROWSE_PROJECTS");
        assert_eq!(crate::config::edit_distance("kitten", "sitting"), 3);
    }
}
