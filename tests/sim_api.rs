//! The simulator over real loopback HTTP: endpoint shapes, permission computation, authentication
//! (Basic, PAT, CAPTCHA), the control API, applinks and OAuth routing.
use jiralink::sim::{ActorType, Sim, SimConfig};
use serde_json::{json, Value};

async fn sim() -> Sim {
    Sim::start(SimConfig::default()).await.unwrap()
}

fn url(sim: &Sim, path: &str) -> String {
    format!("{}{path}", sim.base_url())
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn get_as(sim: &Sim, user: &str, path: &str) -> reqwest::Response {
    client()
        .get(url(sim, path))
        .basic_auth(user, Some(user))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn server_info_and_common_headers() {
    let sim = sim().await;
    assert!(sim.base_url().as_str().ends_with("/jira"));
    let r = client()
        .get(url(&sim, "/rest/api/2/serverInfo"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/json;charset=UTF-8"
    );
    assert_eq!(r.headers()["x-ausername"], "anonymous");
    assert!(r.headers().contains_key("x-asessionid"));
    let date = httpdate::parse_http_date(r.headers()["date"].to_str().unwrap()).unwrap();
    let drift = date
        .duration_since(std::time::SystemTime::now())
        .unwrap_or_default();
    assert!(drift.as_secs() < 5);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["baseUrl"], sim.base_url().as_str());
    assert_eq!(v["version"], "9.12.3");
    assert_eq!(v["versionNumbers"], json!([9, 12, 3]));
    assert_eq!(v["deploymentType"], "Server");
    assert!(v["buildNumber"].is_u64());
}

#[tokio::test]
async fn myself_anonymous_basic_pat_and_expand() {
    let sim = sim().await;
    let r = client()
        .get(url(&sim, "/rest/api/2/myself"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v,
        json!({"message":"Client must be authenticated to access this resource.","status-code":401})
    );

    let r = get_as(&sim, "alice", "/rest/api/2/myself").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-ausername"], "alice");
    assert_eq!(r.headers()["x-seraph-loginreason"], "OK");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["name"], "alice");
    assert_eq!(v["groups"]["items"], json!([]));
    assert_eq!(v["groups"]["size"], 2);

    let pat = sim.pat("alice").unwrap();
    let r = client()
        .get(url(
            &sim,
            "/rest/api/2/myself?expand=groups,applicationRoles",
        ))
        .bearer_auth(&pat)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let groups: Vec<&str> = v["groups"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["jira-software-users", "jira-users"]);
    let roles: Vec<&str> = v["applicationRoles"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"].as_str().unwrap())
        .collect();
    assert!(roles.contains(&"jira-software"));

    let r = client()
        .get(url(&sim, "/rest/api/2/myself"))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn captcha_after_three_failures_until_cleared() {
    let sim = sim().await;
    let c = client();
    for _ in 0..3 {
        let r = c
            .get(url(&sim, "/rest/api/2/myself"))
            .basic_auth("bob", Some("wrong"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(r.headers()["x-seraph-loginreason"], "AUTHENTICATED_FAILED");
        assert!(r.headers().contains_key("www-authenticate"));
    }
    // Even the right password is now refused with the CAPTCHA challenge.
    // 403, not 401 (pycontribs/jira#733, atlassian/dc-app-performance-toolkit PR #36).
    let r = c
        .get(url(&sim, "/rest/api/2/myself"))
        .basic_auth("bob", Some("bob"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(!r.headers().contains_key("www-authenticate"));
    assert_eq!(r.headers()["x-seraph-loginreason"], "AUTHENTICATION_DENIED");
    let reason = r.headers()["x-authentication-denied-reason"]
        .to_str()
        .unwrap();
    assert_eq!(
        reason,
        format!("CAPTCHA_CHALLENGE; login-url={}/login.jsp", sim.base_url())
    );
    // Clearing through the control API lets the right password in again.
    let r = c
        .post(format!(
            "{}__sim/clear-captcha",
            sim.base_url().origin().ascii_serialization() + "/"
        ))
        .json(&json!({"user": "bob"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = c
        .get(url(&sim, "/rest/api/2/myself"))
        .basic_auth("bob", Some("bob"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // A successful browser login also clears it.
    for _ in 0..3 {
        c.get(url(&sim, "/rest/api/2/myself"))
            .basic_auth("carol", Some("x"))
            .send()
            .await
            .unwrap();
    }
    let r = c
        .get(url(&sim, "/rest/api/2/myself"))
        .basic_auth("carol", Some("carol"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-seraph-loginreason"], "AUTHENTICATION_DENIED");
    let page = c
        .get(url(&sim, "/login.jsp"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<title>Log in - Jira</title>"));
    let r = c
        .post(url(&sim, "/login.jsp"))
        .form(&[("os_username", "carol"), ("os_password", "carol")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert!(r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .starts_with("JSESSIONID="));
    let r = c
        .get(url(&sim, "/rest/api/2/myself"))
        .basic_auth("carol", Some("carol"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn project_list_matches_ground_truth() {
    let sim = sim().await;
    let keys = sim.project_keys();
    assert_eq!(keys.len(), 50);
    let r = get_as(&sim, "alice", "/rest/api/2/project?expand=lead").await;
    assert_eq!(r.status(), 200);
    let list: Vec<Value> = r.json().await.unwrap();
    let seen: Vec<&str> = list.iter().map(|p| p["key"].as_str().unwrap()).collect();
    let expected: Vec<&str> = keys
        .iter()
        .filter(|k| sim.has_permission(Some("alice"), k, "BROWSE_PROJECTS"))
        .map(String::as_str)
        .collect();
    assert_eq!(seen, expected);
    assert!(
        seen.len() > 25 && seen.len() < 50,
        "alice sees {}",
        seen.len()
    );
    assert!(list[0]["lead"]["name"].is_string());
    assert!(matches!(
        list[0]["projectTypeKey"].as_str(),
        Some("software" | "business")
    ));
    // Anonymous sees only "anyone" projects.
    let anon: Vec<Value> = client()
        .get(url(&sim, "/rest/api/2/project"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!anon.is_empty());
    assert!(anon.iter().all(
        |p| sim.project_scheme(p["key"].as_str().unwrap()).as_deref() == Some("Public Scheme")
    ));
}

#[tokio::test]
async fn mypermissions_follow_grants() {
    let sim = sim().await;
    let perms = |v: &Value, k: &str| v["permissions"][k]["havePermission"].as_bool().unwrap();
    // OPS uses the Restricted Scheme: alice cannot see it at all.
    assert_eq!(
        sim.project_scheme("OPS").as_deref(),
        Some("Restricted Scheme")
    );
    let r = get_as(&sim, "alice", "/rest/api/2/mypermissions?projectKey=OPS").await;
    assert_eq!(r.status(), 404);
    let v: Value = r.json().await.unwrap();
    assert!(v["errorMessages"][0].as_str().unwrap().contains("OPS"));
    assert_eq!(v["errors"], json!({}));
    // Granting BROWSE to her flips visibility, and mypermissions reflects it.
    sim.grant(
        "Restricted Scheme",
        "BROWSE_PROJECTS",
        "user",
        Some("alice"),
    )
    .unwrap();
    let v: Value = get_as(
        &sim,
        "alice",
        "/rest/api/2/mypermissions?projectKey=OPS&permissions=BROWSE_PROJECTS",
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(perms(&v, "BROWSE_PROJECTS"));
    assert!(perms(&v, "BROWSE"));
    assert_eq!(v["permissions"]["BROWSE"]["deprecatedKey"], true);
    assert_eq!(
        v["permissions"]["BROWSE"]["id"],
        v["permissions"]["BROWSE_PROJECTS"]["id"]
    );
    assert!(!perms(&v, "CREATE_ISSUES"));
    // DC ignores permissions=: everything is returned.
    assert!(v["permissions"]["ADMINISTER"].is_object());
    assert_eq!(v["permissions"]["ADMINISTER"]["type"], "GLOBAL");
    // Revoke through the control API.
    let origin = sim.base_url().origin().ascii_serialization();
    let r = client()
        .post(format!("{origin}/__sim/revoke"))
        .json(&json!({"scheme": "Restricted Scheme", "permission": "BROWSE_PROJECTS", "holder": {"type": "user", "parameter": "alice"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        get_as(&sim, "alice", "/rest/api/2/mypermissions?projectKey=OPS")
            .await
            .status(),
        404
    );
    // Reporter Browse Scheme: visible but no CREATE_ISSUES.
    assert_eq!(
        sim.project_scheme("SUP").as_deref(),
        Some("Reporter Browse Scheme")
    );
    let v: Value = get_as(&sim, "alice", "/rest/api/2/mypermissions?projectKey=SUP")
        .await
        .json()
        .await
        .unwrap();
    assert!(perms(&v, "BROWSE_PROJECTS"));
    assert!(!perms(&v, "CREATE_ISSUES"));
    // Role actors: remove alice from Developers in DEVX.
    assert!(sim.has_permission(Some("alice"), "DEVX", "CREATE_ISSUES"));
    sim.set_role_actor("DEVX", "Developers", ActorType::User, "alice", false)
        .unwrap();
    assert_eq!(
        get_as(&sim, "alice", "/rest/api/2/mypermissions?projectKey=DEVX")
            .await
            .status(),
        404
    );
    // Group membership via the control API.
    let r = client()
        .post(format!("{origin}/__sim/group-member"))
        .json(&json!({"group": "developers", "user": "alice", "member": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(sim.set_project_scheme("DEVX", "Public Scheme").is_ok());
    assert!(sim.has_permission(None, "DEVX", "BROWSE_PROJECTS"));
    // Anonymous mypermissions is 401 per the DC contract.
    assert_eq!(
        client()
            .get(url(&sim, "/rest/api/2/mypermissions"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

#[tokio::test]
async fn schemes_need_admin_and_expand_grants() {
    let sim = sim().await;
    assert_eq!(
        get_as(&sim, "alice", "/rest/api/2/permissionscheme")
            .await
            .status(),
        403
    );
    assert_eq!(
        get_as(&sim, "alice", "/rest/api/2/project/ACME/permissionscheme")
            .await
            .status(),
        403
    );
    let v: Value = get_as(&sim, "admin", "/rest/api/2/permissionscheme")
        .await
        .json()
        .await
        .unwrap();
    let schemes = v["permissionSchemes"].as_array().unwrap();
    assert_eq!(schemes.len(), 8);
    assert!(schemes[0].get("permissions").is_none());
    let v: Value = get_as(
        &sim,
        "admin",
        "/rest/api/2/permissionscheme?expand=permissions,user,group,projectRole",
    )
    .await
    .json()
    .await
    .unwrap();
    let holders: std::collections::BTreeSet<&str> = v["permissionSchemes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["permissions"].as_array().unwrap())
        .map(|g| g["holder"]["type"].as_str().unwrap())
        .collect();
    for t in [
        "anyone",
        "group",
        "user",
        "projectRole",
        "applicationRole",
        "projectLead",
        "reporter",
        "assignee",
        "userCustomField",
        "groupCustomField",
    ] {
        assert!(holders.contains(t), "{t}");
    }
    let v: Value = get_as(&sim, "admin", "/rest/api/2/permissionscheme/0?expand=group")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["name"], "Default Permission Scheme");
    assert!(v.get("permissions").is_none());
    let v: Value = get_as(&sim, "admin", "/rest/api/2/permissionscheme/0?expand=all")
        .await
        .json()
        .await
        .unwrap();
    let g = v["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["holder"]["type"] == "group")
        .unwrap();
    assert_eq!(g["holder"]["group"]["name"], g["holder"]["parameter"]);
    let r = get_as(&sim, "admin", "/rest/api/2/permissionscheme/101001").await;
    assert_eq!(r.status(), 404);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v,
        json!({"errorMessages": ["Permission scheme 101001 does not exist"], "errors": {}})
    );
    let v: Value = get_as(&sim, "admin", "/rest/api/2/project/OPS/permissionscheme")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["name"], "Restricted Scheme");
}

#[tokio::test]
async fn roles_and_users() {
    let sim = sim().await;
    let v: Value = get_as(&sim, "alice", "/rest/api/2/project/DEVX/role")
        .await
        .json()
        .await
        .unwrap();
    assert!(v["Developers"].as_str().unwrap().ends_with("/role/10001"));
    let v: Value = get_as(&sim, "alice", "/rest/api/2/project/DEVX/role/10002")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["name"], "Administrators");
    let actors = v["actors"].as_array().unwrap();
    assert!(actors
        .iter()
        .any(|a| a["type"] == "atlassian-user-role-actor" && a["name"] == "admin"));
    let group = actors
        .iter()
        .find(|a| a["type"] == "atlassian-group-role-actor")
        .unwrap();
    assert_eq!(group["actorGroup"]["name"], "jira-administrators");
    let r = get_as(&sim, "alice", "/rest/api/2/project/DEVX/role/99").await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().await.unwrap()["errorMessages"][0],
        "Role with given id not found."
    );
    assert_eq!(
        get_as(&sim, "alice", "/rest/api/2/project/OPS/role")
            .await
            .status(),
        404
    );

    let v: Value = get_as(&sim, "alice", "/rest/api/2/user?username=admin")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["groups"]["items"], json!([]));
    assert_eq!(v["groups"]["size"], 3);
    assert_eq!(v["expand"], "groups,applicationRoles");
    assert_eq!(
        get_as(&sim, "alice", "/rest/api/2/user?username=nobody")
            .await
            .status(),
        404
    );
    // DC contract `getAllPermissions`: 403 for users without Administer Jira.
    assert_eq!(
        get_as(&sim, "alice", "/rest/api/2/permissions")
            .await
            .status(),
        403
    );
    let v: Value = get_as(&sim, "admin", "/rest/api/2/permissions")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["permissions"].as_object().unwrap().len(), 38);
    // No user named: the contract's 404, never a 400 it does not document.
    assert_eq!(
        get_as(&sim, "alice", "/rest/api/2/user").await.status(),
        404
    );
    // A path no resource matches: Jersey's `{"message","status-code"}`, not an error collection.
    let r = get_as(&sim, "alice", "/rest/api/2/nosuchresource").await;
    assert_eq!(r.status(), 404);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status-code"], 404);
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .starts_with("null for uri: http"),
        "{v}"
    );
}

#[tokio::test]
async fn control_api_state_and_scenario() {
    let sim = sim().await;
    let origin = sim.base_url().origin().ascii_serialization();
    let c = client();
    let v: Value = c
        .get(format!("{origin}/__sim/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["scenario"], "normal");
    assert_eq!(v["projects"], 50);
    let alice = v["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "alice")
        .unwrap();
    assert_eq!(alice["pat"].as_str(), sim.pat("alice").as_deref());
    let r = c
        .post(format!("{origin}/__sim/scenario"))
        .json(&json!({"name": "flaky:10"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(sim.scenario().to_string(), "flaky:10");
    let r = c
        .post(format!("{origin}/__sim/scenario"))
        .json(&json!({"name": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = c
        .post(format!("{origin}/__sim/grant"))
        .json(&json!({"scheme": 0, "permission": "BROWSE_PROJECTS", "holder": {"type": "group", "parameter": "no-such"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(sim.request_count() >= 4);
}

#[tokio::test]
async fn applinks_manifest_and_admin_only_creation() {
    let sim = sim().await;
    let c = client();
    let xml = c
        .get(url(&sim, "/rest/applinks/1.0/manifest"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(xml.contains("<typeId>jira</typeId>"));
    assert!(xml.contains(&format!("<url>{}</url>", sim.base_url())));
    assert!(xml.contains("<publicSignup>false</publicSignup>"));
    let v: Value = c
        .get(url(&sim, "/rest/applinks/1.0/manifest"))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["typeId"], "jira");
    assert_eq!(v["version"], "9.12.3");

    let body = json!({"name": "Tool", "rpcUrl": "https://tool.example.com", "displayUrl": "https://tool.example.com", "typeId": "generic"});
    let r = c
        .put(url(&sim, "/rest/applinks/3.0/applicationlink"))
        .basic_auth("alice", Some("alice"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Jira answers 201 with the new link's URL in `resources-created` and `Location`, not the
    // link (jira-answers.md; BitbucketUtils#registerApplicationLink; esp.bitbucket).
    let r = c
        .put(url(&sim, "/rest/applinks/3.0/applicationlink"))
        .basic_auth("admin", Some("admin"))
        .header("Accept", "application/json")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let created: Value = r.json().await.unwrap();
    let href = created["resources-created"][0]["href"].as_str().unwrap();
    assert_eq!(href, location);
    assert!(created.get("id").is_none(), "{created}");
    let id = href.rsplit('/').next().unwrap();
    assert_eq!(id.len(), 36);
    assert_eq!(
        href,
        format!("{}/rest/applinks/3.0/applicationlink/{id}", sim.base_url())
    );
    // Without `Accept: application/json` the same answer is XML.
    let r = c
        .put(url(&sim, "/rest/applinks/3.0/applicationlink"))
        .basic_auth("admin", Some("admin"))
        .json(
            &json!({"name": "Tool 2", "rpcUrl": "https://tool2.example.com", "typeId": "generic"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let xml = r.text().await.unwrap();
    assert!(
        xml.contains(&format!(
            "<resources-created><link href=\"{location}\" rel=\"self\"/></resources-created>"
        )),
        "{xml}"
    );
    // The list shows both, wrapped (ApplicationLinkListEntity).
    let list: Value = c
        .get(url(&sim, "/rest/applinks/3.0/applicationlink"))
        .basic_auth("admin", Some("admin"))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let links = list["applicationLinks"].as_array().unwrap();
    assert_eq!(links.len(), 2);
    assert_eq!(links[0]["id"], id);
    assert_eq!(links[0]["rpcUrl"], "https://tool.example.com");
    assert_eq!(links[0]["typeId"], "generic");
    // No consumer yet: 404.
    let r = c
        .get(url(
            &sim,
            &format!("/rest/applinks-oauth/1.0/applicationlink/{id}/authentication/consumer"),
        ))
        .basic_auth("admin", Some("admin"))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // Consumer registration on an unknown link is a 404 (never reaches the provider).
    let r = c
        .put(url(&sim, "/rest/applinks-oauth/1.0/applicationlink/00000000-0000-4000-a000-000000000000/authentication/consumer"))
        .basic_auth("admin", Some("admin"))
        .json(&json!({"key": "k", "name": "n", "publicKey": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = c
        .put(url(
            &sim,
            &format!("/rest/applinks-oauth/1.0/applicationlink/{id}/authentication/consumer"),
        ))
        .basic_auth("bob", Some("bob"))
        .json(&json!({"key": "k", "name": "n", "publicKey": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn oauth_routes_without_provider_calls() {
    let sim = sim().await;
    let c = client();
    // Wrong methods and unknown servlet paths are answered by the router, not the provider.
    let r = c
        .delete(url(&sim, "/plugins/servlet/oauth/request-token"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    let r = c
        .post(url(&sim, "/plugins/servlet/oauth/authorize"))
        .form(&[("oauth_token", "t"), ("approve", "Allow")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("Log in - Jira"));
}

#[tokio::test]
async fn cloud_dialect() {
    let sim = Sim::start(SimConfig {
        cloud: true,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let c = client();
    let email = sim.email("alice").unwrap();
    let token = sim.api_token("alice").unwrap();
    let v: Value = c
        .get(url(&sim, "/rest/api/2/serverInfo"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["deploymentType"], "Cloud");
    // Password Basic fails, e-mail + API token works.
    assert_eq!(
        c.get(url(&sim, "/rest/api/2/myself"))
            .basic_auth("alice", Some("alice"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let r = c
        .get(url(&sim, "/rest/api/2/myself"))
        .basic_auth(&email, Some(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert!(v["accountId"].is_string());
    // Paged project search.
    let mut start = 0;
    let mut keys = Vec::new();
    loop {
        let v: Value = c
            .get(url(
                &sim,
                &format!("/rest/api/2/project/search?startAt={start}&maxResults=10"),
            ))
            .basic_auth(&email, Some(&token))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let values = v["values"].as_array().unwrap();
        keys.extend(values.iter().map(|p| p["key"].as_str().unwrap().to_owned()));
        start += values.len();
        if v["isLast"].as_bool().unwrap() {
            assert_eq!(v["total"].as_u64().unwrap() as usize, keys.len());
            break;
        }
    }
    let expected: Vec<String> = sim
        .project_keys()
        .into_iter()
        .filter(|k| sim.has_permission(Some("alice"), k, "BROWSE_PROJECTS"))
        .collect();
    assert_eq!(keys, expected);
    // mypermissions requires permissions=.
    assert_eq!(
        c.get(url(&sim, "/rest/api/2/mypermissions"))
            .basic_auth(&email, Some(&token))
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
    let v: Value = c
        .get(url(
            &sim,
            "/rest/api/2/mypermissions?permissions=BROWSE_PROJECTS",
        ))
        .basic_auth(&email, Some(&token))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["permissions"].as_object().unwrap().len(), 1);
    sim.shutdown().await;
}
