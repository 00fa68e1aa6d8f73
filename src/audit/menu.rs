//! Where a Jira administrator clicks to change a permission scheme, per Jira version.

/// The menu path to edit `permission` in `scheme` for Jira `version` (major, minor, patch);
/// `cloud` for Atlassian Cloud.
///
/// Sources:
/// - Jira 7 and later (same UI through 10.x): "Go to ⚙ > Issues, click Permission schemes, locate the
///   scheme, click Permissions, locate the permission, click Edit … in the Grant permission dialog"
///   (confluence.atlassian.com/adminjiracloud/configuring-project-permission-schemes-868982875.html).
/// - Jira 5–6: "Administration > Issues > Permission Schemes", click the scheme, then "Add" in the
///   Operations column (c-sharpcorner.com, "Creating a Permission Scheme … in JIRA").
/// - Jira 4.x and older: "Administration", left panel "Schemes" > "Permission Schemes", "Edit"
///   next to the scheme (Atlassian JIRA 4.1 documentation, confluence.atlassian.com/x/WBJODQ).
/// - Cloud: "Settings > Work items > Permission Schemes > Permissions > Update"
///   (support.atlassian.com, "Grant or revoke permissions in a scheme").
pub fn menu_path(
    version: Option<(u32, u32, u32)>,
    cloud: bool,
    scheme: &str,
    permission: &str,
) -> String {
    if cloud {
        return format!(
            "⚙ Settings → Work items → Permission schemes → '{scheme}' → Permissions → {permission} → Update"
        );
    }
    match version {
        Some((major, _, _)) if major <= 4 => format!(
            "Administration → Schemes → Permission Schemes → Edit '{scheme}' → Add (permission {permission})"
        ),
        Some((5..=6, _, _)) => format!(
            "Administration → Issues → Permission Schemes → '{scheme}' → Add (Operations column) → {permission}"
        ),
        Some(_) => format!(
            "⚙ Administration → Issues → Permission schemes → '{scheme}' → Permissions → {permission} → Edit → Grant"
        ),
        None => format!(
            "⚙ Administration → Issues → Permission schemes → '{scheme}' → Permissions → {permission} → Edit → Grant (Jira 7–10)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_per_version() {
        let p = menu_path(Some((10, 3, 19)), false, "S", "Browse Projects");
        assert!(
            p.starts_with("⚙ Administration → Issues → Permission schemes → 'S'"),
            "{p}"
        );
        assert!(p.ends_with("Browse Projects → Edit → Grant"));
        assert!(menu_path(Some((7, 0, 0)), false, "S", "B").contains("→ Edit → Grant"));
        assert!(menu_path(Some((6, 4, 0)), false, "S", "B").contains("Add (Operations column)"));
        assert!(menu_path(Some((4, 1, 0)), false, "S", "B").starts_with("Administration → Schemes"));
        assert!(menu_path(None, false, "S", "B").ends_with("(Jira 7–10)"));
        assert!(
            menu_path(Some((1001, 0, 0)), true, "S", "B").starts_with("⚙ Settings → Work items")
        );
    }
}
