//! The pure evaluation against real-shaped Jira JSON. The grants and the role below are copied
//! byte-for-byte from the project's fixtures (`shared/fixtures/jira/permissionscheme.cloud-v3.go-jira.json`
//! and `role.cloud-v3.go-jira.json`, from andygrunwald/go-jira `testing/mock-data` @ 05fb5bc9), trimmed
//! to the grants the tests use.

use jiralink::audit::explain::{evaluate, relevant_roles, ProjectContext, Subject};
use jiralink::jira::model::{PermissionScheme, ProjectRole};
use std::collections::BTreeMap;

const SCHEME: &str = r#"{
    "expand": "permissions,user,group,projectRole,field,all",
    "id": 10100,
    "self": "https://sample.instance.org/rest/api/3/permissionscheme/10100",
    "name": "Default Permission Scheme",
    "description": "This is the default Permission Scheme. Any new projects that are created will be assigned this scheme.",
    "permissions": [
      {"id": 10520, "self": "https://sample.instance.org/rest/api/3/permissionscheme/10100/permission/10520", "holder": {"type": "projectRole", "parameter": "10002", "expand": "projectRole"}, "permission": "MANAGE_WATCHERS"},
      {"id": 12411, "self": "https://sample.instance.org/rest/api/3/permissionscheme/10100/permission/12411", "holder": {"type": "projectRole", "parameter": "10302", "expand": "projectRole"}, "permission": "CREATE_ISSUES"},
      {"id": 12408, "self": "https://sample.instance.org/rest/api/3/permissionscheme/10100/permission/12408", "holder": {"type": "projectRole", "parameter": "10302", "expand": "projectRole"}, "permission": "BROWSE_PROJECTS"},
      {"id": 10553, "self": "https://sample.instance.org/rest/api/3/permissionscheme/10100/permission/10553", "holder": {"type": "group", "parameter": "FooBarGroup", "expand": "group"}, "permission": "BROWSE_PROJECTS"},
      {"id": 10555, "self": "https://sample.instance.org/rest/api/3/permissionscheme/10100/permission/10555", "holder": {"type": "group", "parameter": "FooBarGroup", "expand": "group"}, "permission": "CREATE_ISSUES"},
      {"id": 10530, "self": "https://sample.instance.org/rest/api/3/permissionscheme/10100/permission/10530", "holder": {"type": "applicationRole"}, "permission": "EDIT_OWN_COMMENTS"}
    ]
}"#;

const ROLE: &str = r#"{
  "self": "https://sample.instance.org/rest/api/3/role/10002",
  "name": "Administrator",
  "id": 10002,
  "description": "Administrator description",
  "actors": [
    {
      "id": 10002,
      "displayName": "jira-administrators",
      "type": "atlassian-group-role-actor",
      "name": "jira-administrators",
      "actorGroup": {
        "name": "jira-administrators",
        "displayName": "jira-administrators"
      }
    }
  ]
}"#;

fn subject(groups: &[&str]) -> Subject {
    Subject {
        name: "svc-link".into(),
        key: None,
        groups: groups.iter().map(|g| g.to_string()).collect(),
        application_roles: Default::default(),
        inactive: false,
    }
}

#[test]
fn real_scheme_and_role_shapes_evaluate() {
    let scheme: PermissionScheme = serde_json::from_str(SCHEME).unwrap();
    assert_eq!(scheme.id, "10100");
    let required = ["BROWSE_PROJECTS".to_string(), "CREATE_ISSUES".to_string()];
    assert_eq!(
        relevant_roles(&scheme, &required),
        ["10302".to_string()].into()
    );

    let role: ProjectRole = serde_json::from_str(ROLE).unwrap();
    let mut roles = BTreeMap::new();
    roles.insert("10002".to_string(), Ok(role));
    roles.insert("10302".to_string(), Err("HTTP 404".to_string()));
    let shared = vec!["OTHER".to_string()];
    let ctx = ProjectContext {
        key: "PRJ",
        lead: None,
        scheme: &scheme,
        roles: &roles,
        scheme_projects: &shared,
        version: Some((10, 3, 19)),
        cloud: false,
    };

    let v = evaluate(&subject(&["FooBarGroup"]), &ctx, "BROWSE_PROJECTS");
    assert!(v.granted);
    assert_eq!(v.via, vec!["group FooBarGroup"]);

    let v = evaluate(&subject(&["jira-users"]), &ctx, "BROWSE_PROJECTS");
    assert!(!v.granted);
    let reason = v.reason.unwrap();
    assert!(
        reason.starts_with("Browse Projects in scheme 'Default Permission Scheme' is granted to role id 10302 and group FooBarGroup; svc-link is in jira-users"),
        "{reason}"
    );
    assert!(
        reason.contains("could not check: role id 10302: role actors could not be read (HTTP 404)")
    );
    let fix = v.fix.unwrap();
    assert_eq!(fix.blast_radius, 1);
    assert_eq!(fix.blast_radius_sample, vec!["OTHER"]);
    assert!(fix
        .safer
        .unwrap()
        .starts_with("add svc-link to role id 10302 in project PRJ"));

    // Group actor of a role, from the real role shape.
    let v = evaluate(&subject(&["jira-administrators"]), &ctx, "MANAGE_WATCHERS");
    assert_eq!(v.via, vec!["role Administrator"]);
    // applicationRole without parameter = any logged-in user.
    let v = evaluate(&subject(&[]), &ctx, "EDIT_OWN_COMMENTS");
    assert_eq!(v.via, vec!["any logged-in user (application access)"]);
}
