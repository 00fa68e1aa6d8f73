//! Every captured Jira response in `../shared/fixtures/jira/` parses into its model type, and the
//! shapes in Atlassian's DC 10.3 OpenAPI (built from its per-field examples) parse too.

use jiralink::jira::model::*;
use serde_json::{json, Map, Value};
use std::path::Path;

/// The shared folder next to the checkout; `JIRALINK_SHARED_DIR` overrides it for git worktrees
/// that live elsewhere.
fn shared() -> String {
    std::env::var("JIRALINK_SHARED_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../shared").to_string())
}

fn fixtures() -> String {
    format!("{}/fixtures/jira/", shared())
}

fn parse_fixture(name: &str, text: &str) -> Result<String, String> {
    let e = |e: serde_json::Error| format!("{name}: {e}");
    // The longest matching prefix wins (`project-list.` before `project.`).
    if name.starts_with("serverInfo.") {
        let s: ServerInfo = serde_json::from_str(text).map_err(e)?;
        assert!(s.version_tuple().is_some(), "{name}: no version");
        assert!(s.base_url.is_some(), "{name}: no baseUrl");
        Ok(format!("serverInfo {:?}", s.version))
    } else if name.starts_with("project-list.") {
        let p: Vec<Project> = serde_json::from_str(text).map_err(e)?;
        assert!(!p.is_empty(), "{name}: empty list");
        assert!(p.iter().all(|p| !p.key.is_empty() && !p.id.is_empty()));
        Ok(format!("{} projects", p.len()))
    } else if name.starts_with("project.") {
        let p: Project = serde_json::from_str(text).map_err(e)?;
        assert!(p.lead.is_some(), "{name}: lead missing");
        Ok(format!("project {}", p.key))
    } else if name.starts_with("permissionscheme.") {
        let s: PermissionScheme = serde_json::from_str(text).map_err(e)?;
        assert!(!s.permissions.is_empty(), "{name}: no grants");
        for g in &s.permissions {
            // Every holder is interpreted; none is silently lost.
            let _ = g.holder.interpret();
        }
        Ok(format!(
            "scheme {} with {} grants",
            s.id,
            s.permissions.len()
        ))
    } else if name.starts_with("role.") {
        let r: ProjectRole = serde_json::from_str(text).map_err(e)?;
        assert!(r.actors.iter().all(|a| a.actor_name().is_some()));
        Ok(format!("role {:?}", r.name))
    } else if name.starts_with("user.") {
        let u: User = serde_json::from_str(text).map_err(e)?;
        assert_ne!(u.login(), "?");
        Ok(format!("user {}", u.login()))
    } else if name.starts_with("error.") {
        let b: ErrorBody = serde_json::from_str(text).map_err(e)?;
        assert!(
            b.summary().is_some(),
            "{name}: error body without a message"
        );
        Ok(format!("error {:?}", b.summary()))
    } else if name.starts_with("permissions-check.") {
        // Cloud's bulk permission check has no model (jiralink does not call it); it must at
        // least be valid JSON with the documented top-level keys.
        let v: Value = serde_json::from_str(text).map_err(e)?;
        let obj = v.as_object().ok_or(format!("{name}: not an object"))?;
        assert!(
            obj.contains_key("projectPermissions") || obj.contains_key("globalPermissions"),
            "{name}: unexpected shape"
        );
        Ok("permissions check".into())
    } else {
        Err(format!("{name}: no model mapped to this file name prefix"))
    }
}

#[test]
fn every_fixture_parses() {
    let fixtures = fixtures();
    let dir = Path::new(&fixtures);
    assert!(dir.is_dir(), "fixture folder {fixtures} is missing");
    let mut parsed = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        match parse_fixture(&name, &text) {
            Ok(what) => println!("{name}: {what}"),
            Err(e) => panic!("{e}"),
        }
        parsed += 1;
    }
    assert!(parsed >= 13, "only {parsed} fixtures found");
}

#[test]
fn specific_fixture_values() {
    let read = |n: &str| std::fs::read_to_string(format!("{}{n}", fixtures())).unwrap();
    let s: ServerInfo = serde_json::from_str(&read("serverInfo.dc-10.3.19.slac.json")).unwrap();
    assert_eq!(s.version_tuple(), Some((10, 3, 19)));
    assert!(!s.is_cloud());
    let s: ServerInfo = serde_json::from_str(&read("serverInfo.cloud.jira-cli.json")).unwrap();
    assert!(s.is_cloud());
    let b: ErrorBody =
        serde_json::from_str(&read("error.401-not-authenticated.dc-10.3.19.slac.json")).unwrap();
    assert_eq!(b.status_code, Some(401));
    let u: User =
        serde_json::from_str(&read("user.groups-not-expanded.server-sdk.jira-ruby.json")).unwrap();
    // Not expanded: a size but no items, so group names must come back empty, not fail.
    assert!(u.group_names().is_empty());
    let s: PermissionScheme =
        serde_json::from_str(&read("permissionscheme.cloud-v3.go-jira.json")).unwrap();
    assert!(s
        .permissions
        .iter()
        .any(|g| g.permission == "BROWSE_PROJECTS"
            && g.holder.interpret()
                == HolderKind::Group {
                    name: "FooBarGroup".into()
                }));
}

/// Build a JSON value from a schema's per-property `example`s, following `$ref`s a few levels.
fn example(spec: &Value, schema: &Value, depth: u32) -> Option<Value> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next()?;
        return example(spec, &spec["components"]["schemas"][name], depth);
    }
    if depth > 8 {
        return None;
    }
    let is_object = schema.get("type").and_then(Value::as_str) == Some("object");
    // The spec's `SimpleListWrapperApplicationRoleBean` example is a bare string array although
    // its schema (and real Jira) is `{"size": n, "items": [...]}`: an example that contradicts
    // its own object schema is ignored.
    if let Some(ex) = schema
        .get("example")
        .filter(|v| !v.is_null() && (!is_object || v.is_object()))
    {
        return Some(ex.clone());
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("array") => Some(Value::Array(
            example(spec, schema.get("items")?, depth + 1)
                .into_iter()
                .collect(),
        )),
        _ => {
            let props = schema.get("properties")?.as_object()?;
            let mut out = Map::new();
            for (k, v) in props {
                if let Some(x) = example(spec, v, depth + 1) {
                    out.insert(k.clone(), x);
                }
            }
            Some(Value::Object(out))
        }
    }
}

#[test]
fn openapi_shapes_parse() {
    let spec: Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/contracts/jira-software-dc-10.3-openapi.json",
            shared()
        ))
        .expect("the DC 10.3 OpenAPI contract is missing"),
    )
    .unwrap();
    let schemas = &spec["components"]["schemas"];
    let response_schema = |path: &str| {
        spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
            .clone()
    };
    // The contract's 200 answers point at the beans we model.
    assert_eq!(
        response_schema("/api/2/serverInfo")["$ref"],
        json!("#/components/schemas/ServerInfoBean")
    );
    assert_eq!(
        response_schema("/api/2/myself")["$ref"],
        json!("#/components/schemas/UserBean")
    );

    let user = example(&spec, &schemas["UserBean"], 0).unwrap();
    let u: User = serde_json::from_value(user.clone()).unwrap();
    assert_eq!(u.name.as_deref(), Some("fred"));
    assert_eq!(u.key.as_deref(), Some("JIRAUSER10100"));

    let scheme = example(&spec, &schemas["PermissionSchemeBean"], 0).unwrap();
    let s: PermissionScheme = serde_json::from_value(scheme).unwrap();
    assert_eq!(s.id, "10100");
    let grant = example(&spec, &schemas["PermissionGrantBean"], 0).unwrap();
    let g: PermissionGrant = serde_json::from_value(grant).unwrap();
    assert_eq!(g.holder.kind, "user");
    assert_eq!(
        g.holder.interpret(),
        HolderKind::User {
            name: "admin".into()
        }
    );
    let schemes = example(&spec, &schemas["PermissionSchemesBean"], 0).unwrap();
    let _: PermissionSchemes = serde_json::from_value(schemes).unwrap();
    let perms = json!({"permissions": {"BROWSE_PROJECTS": example(&spec, &schemas["PermissionJsonBean"], 0).unwrap()}});
    let p: Permissions = serde_json::from_value(perms).unwrap();
    assert_eq!(p.permissions.len(), 1);
}
