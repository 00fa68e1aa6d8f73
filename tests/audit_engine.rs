//! The audit engine against in-memory fake Jira sources: self and admin-assisted modes, scheme
//! caching, role fetching, 403 caching, partial failures, cross-checks, pacing and the JSON shape.

use jiralink::audit::{
    self, diff, render_csv, render_diff, render_table, run_with, AuditError, AuditRequest, Mode,
    Progress, Report, Source,
};
use jiralink::jira::error::ErrorKind;
use jiralink::jira::model::{
    PermissionScheme, Permissions, Project, ProjectRole, ServerInfo, User,
};
use jiralink::jira::{Code, JiraError};
use serde_json::json;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A scripted Jira as one caller sees it. Every call is logged.
#[derive(Default)]
struct Fake {
    info: ServerInfo,
    me: User,
    users: HashMap<String, User>,
    projects: Vec<Project>,
    /// project key → permission key → held (mypermissions).
    mine: HashMap<String, BTreeMap<String, bool>>,
    /// project key → scheme id.
    assigned: HashMap<String, String>,
    schemes: Vec<PermissionScheme>,
    /// The list call omits grants (as when the expansion is stripped).
    list_without_grants: bool,
    /// (project, role id) → role with actors.
    roles: HashMap<(String, String), ProjectRole>,
    /// call label → HTTP status to fail with.
    fail: HashMap<String, u16>,
    /// Projects whose scheme lookup never answers.
    hang: HashSet<String>,
    log: Arc<Mutex<Vec<String>>>,
}

fn err(status: u16) -> JiraError {
    let kind = match status {
        401 => ErrorKind::AuthFailed {
            auth_kind: "basic",
            login_reason: None,
            message: None,
        },
        403 => ErrorKind::Forbidden { message: None },
        404 => ErrorKind::NotFound {
            message: None,
            title: None,
        },
        _ => ErrorKind::ServerError {
            attempts: 1,
            message: None,
        },
    };
    let mut e = JiraError::new(kind, "GET", "http://fake/scripted");
    e.status = Some(status);
    e
}

impl Fake {
    fn hit(&self, label: String) -> Result<(), JiraError> {
        self.log.lock().unwrap().push(label.clone());
        match self.fail.get(&label) {
            Some(s) => Err(err(*s)),
            None => Ok(()),
        }
    }
    fn calls(&self, prefix: &str) -> usize {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.starts_with(prefix))
            .count()
    }
    fn total_calls(&self) -> usize {
        self.log.lock().unwrap().len()
    }
}

impl Source for Fake {
    async fn server_info(&self) -> Result<ServerInfo, JiraError> {
        self.hit("serverInfo".into())?;
        Ok(self.info.clone())
    }
    async fn myself(&self) -> Result<User, JiraError> {
        self.hit("myself".into())?;
        Ok(self.me.clone())
    }
    async fn projects(&self) -> Result<Vec<Project>, JiraError> {
        self.hit("projects".into())?;
        Ok(self.projects.clone())
    }
    async fn my_permissions(
        &self,
        key: Option<&str>,
        perms: &[String],
    ) -> Result<Permissions, JiraError> {
        let key = key.unwrap_or_default();
        self.hit(format!("mypermissions:{key}"))?;
        let held = self.mine.get(key).ok_or_else(|| err(404))?;
        let map: BTreeMap<String, serde_json::Value> = perms
            .iter()
            .map(|p| {
                (
                    p.clone(),
                    json!({"key": p, "havePermission": held.get(p).copied().unwrap_or(false)}),
                )
            })
            .collect();
        Ok(serde_json::from_value(json!({ "permissions": map })).unwrap())
    }
    async fn all_permissions(&self) -> Result<Permissions, JiraError> {
        self.hit("permissions".into())?;
        Ok(serde_json::from_value(json!({"permissions": {
            "BROWSE_PROJECTS": {"key": "BROWSE_PROJECTS"},
            "TEMPO_LOG_WORK": {"key": "TEMPO_LOG_WORK"}
        }}))
        .unwrap())
    }
    async fn project_permission_scheme(&self, key: &str) -> Result<PermissionScheme, JiraError> {
        self.hit(format!("projectScheme:{key}"))?;
        if self.hang.contains(key) {
            std::future::pending::<()>().await;
        }
        let id = self.assigned.get(key).ok_or_else(|| err(404))?;
        let s = self
            .schemes
            .iter()
            .find(|s| &s.id == id)
            .ok_or_else(|| err(404))?;
        // The real endpoint returns id and name only.
        Ok(PermissionScheme {
            permissions: Vec::new(),
            ..s.clone()
        })
    }
    async fn permission_schemes(&self) -> Result<Vec<PermissionScheme>, JiraError> {
        self.hit("schemes".into())?;
        // Let concurrent callers interleave, as real I/O would.
        tokio::task::yield_now().await;
        Ok(self
            .schemes
            .iter()
            .map(|s| PermissionScheme {
                permissions: if self.list_without_grants {
                    Vec::new()
                } else {
                    s.permissions.clone()
                },
                ..s.clone()
            })
            .collect())
    }
    async fn permission_scheme(&self, id: &str) -> Result<PermissionScheme, JiraError> {
        self.hit(format!("scheme:{id}"))?;
        tokio::task::yield_now().await;
        self.schemes
            .iter()
            .find(|s| s.id == id)
            .cloned()
            .ok_or_else(|| err(404))
    }
    async fn project_role(&self, key: &str, role_id: &str) -> Result<ProjectRole, JiraError> {
        self.hit(format!("role:{key}:{role_id}"))?;
        self.roles
            .get(&(key.to_string(), role_id.to_string()))
            .cloned()
            .ok_or_else(|| err(404))
    }
    async fn user(&self, username: &str) -> Result<User, JiraError> {
        self.hit(format!("user:{username}"))?;
        self.users.get(username).cloned().ok_or_else(|| err(404))
    }
}

fn user(name: &str, groups: &[&str]) -> User {
    let items: Vec<_> = groups.iter().map(|g| json!({ "name": g })).collect();
    serde_json::from_value(json!({
        "name": name, "key": name,
        "groups": {"size": items.len(), "items": items},
        "applicationRoles": {"size": 1, "items": [{"key": "jira-software"}]}
    }))
    .unwrap()
}

fn project(key: &str) -> Project {
    serde_json::from_value(
        json!({"id": "1", "key": key, "name": format!("{key} project"), "lead": {"name": "lead"}}),
    )
    .unwrap()
}

fn scheme(id: &str, name: &str, grants: &[(&str, &str, &str)]) -> PermissionScheme {
    let grants: Vec<_> = grants
        .iter()
        .map(|(perm, kind, param)| json!({"permission": perm, "holder": {"type": kind, "parameter": param}}))
        .collect();
    serde_json::from_value(json!({"id": id, "name": name, "permissions": grants})).unwrap()
}

fn role(name: &str, users: &[&str]) -> ProjectRole {
    let actors: Vec<_> = users
        .iter()
        .map(|u| json!({"type": "atlassian-user-role-actor", "name": u}))
        .collect();
    serde_json::from_value(json!({"name": name, "actors": actors})).unwrap()
}

fn info() -> ServerInfo {
    serde_json::from_value(
        json!({"version": "10.3.19", "versionNumbers": [10, 3, 19], "deploymentType": "Server"}),
    )
    .unwrap()
}

/// An admin view: OPEN and WEB share "Default" (jira-users browse + create), CLOSED uses
/// "Restricted" (admins browse, role Developers create), TEAM uses "Team" (role grants).
fn admin_fake() -> Fake {
    let mut f = Fake {
        info: info(),
        projects: ["OPEN", "WEB", "CLOSED", "TEAM"].map(project).to_vec(),
        schemes: vec![
            scheme(
                "1",
                "Default",
                &[
                    ("BROWSE_PROJECTS", "group", "jira-users"),
                    ("CREATE_ISSUES", "group", "jira-users"),
                    ("ADMINISTER_PROJECTS", "projectRole", "10002"),
                ],
            ),
            scheme(
                "2",
                "Restricted",
                &[
                    ("BROWSE_PROJECTS", "group", "jira-administrators"),
                    ("CREATE_ISSUES", "projectRole", "10001"),
                ],
            ),
            scheme(
                "3",
                "Team",
                &[
                    ("BROWSE_PROJECTS", "projectRole", "10001"),
                    ("CREATE_ISSUES", "projectRole", "10001"),
                ],
            ),
        ],
        ..Default::default()
    };
    f.users
        .insert("svc-link".into(), user("svc-link", &["jira-users"]));
    for (k, s) in [("OPEN", "1"), ("WEB", "1"), ("CLOSED", "2"), ("TEAM", "3")] {
        f.assigned.insert(k.into(), s.into());
    }
    f.roles.insert(
        ("CLOSED".into(), "10001".into()),
        role("Developers", &["bob"]),
    );
    f.roles.insert(
        ("TEAM".into(), "10001".into()),
        role("Developers", &["svc-link"]),
    );
    f
}

fn admin_request(admin: Fake) -> AuditRequest<Fake> {
    let mut req = AuditRequest::new("admin");
    req.admin = Some(admin);
    req.username = Some("svc-link".into());
    req
}

async fn run_admin(admin: Fake) -> (Report, Fake) {
    let req = admin_request(admin);
    run_fake(req).await
}

async fn run_fake(req: AuditRequest<Fake>) -> (Report, Fake) {
    // Keep the fake's log reachable after the request is consumed.
    let admin_log = req.admin.as_ref().map(|a| a.log.clone());
    let subject_log = req.subject.as_ref().map(|s| s.log.clone());
    let report = run_with(req, |_| {}).await.unwrap();
    let log = admin_log.or(subject_log).unwrap();
    (
        report,
        Fake {
            log,
            ..Default::default()
        },
    )
}

#[tokio::test]
async fn admin_mode_verdicts_reasons_fixes_and_blast_radius() {
    let (r, _) = run_admin(admin_fake()).await;
    assert_eq!(r.mode, Mode::AdminAssisted);
    assert_eq!(r.user.name, "svc-link");
    assert_eq!(r.required, vec!["BROWSE_PROJECTS", "CREATE_ISSUES"]);
    let keys: Vec<&str> = r.projects.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, vec!["CLOSED", "OPEN", "TEAM", "WEB"]);

    let open = r.row("OPEN").unwrap();
    assert!(open.ok && open.visible);
    let s = open.scheme.as_ref().unwrap();
    assert_eq!((s.id.as_str(), s.name.as_str()), ("1", "Default"));
    assert_eq!(s.shared_with, 1);
    // The names are listed once per scheme, at the top of the report.
    assert_eq!(r.schemes["1"].name, "Default");
    assert_eq!(r.schemes["1"].projects, vec!["OPEN", "WEB"]);
    assert_eq!(r.shared_with("1", "OPEN").collect::<Vec<_>>(), vec!["WEB"]);
    assert_eq!(open.details[0].via, vec!["group jira-users"]);

    let team = r.row("TEAM").unwrap();
    assert!(team.ok, "{team:?}");
    assert_eq!(team.details[0].via, vec!["role Developers"]);

    let closed = r.row("CLOSED").unwrap();
    assert!(!closed.ok && !closed.visible);
    assert!(!closed.permissions["BROWSE_PROJECTS"]);
    assert!(!closed.permissions["CREATE_ISSUES"]);
    let reason = closed.reason.as_deref().unwrap();
    assert!(reason.starts_with(
        "Browse Projects in scheme 'Restricted' is granted to group jira-administrators; svc-link is in jira-users"
    ));
    let fix = closed.fix.as_deref().unwrap();
    assert!(
        fix.starts_with("grant Browse Projects to group jira-users in scheme 'Restricted'"),
        "{fix}"
    );
    assert!(fix.contains("⚙ Administration → Issues → Permission schemes → 'Restricted' → Permissions → Browse Projects → Edit → Grant"));
    assert!(
        fix.contains("add svc-link to role Developers in project CLOSED"),
        "{fix}"
    );

    assert_eq!(r.summary.projects, 4);
    assert_eq!(r.summary.ok, 3);
    assert_eq!(r.summary.invisible, 1);
    assert_eq!(r.summary.errors, 0);
    assert_eq!(r.exit_code(), 1);
    assert!(r.notes.iter().any(|n| n.contains("cross-check")));
}

#[tokio::test]
async fn issue_level_browse_and_inactive_user_are_noted() {
    let mut f = admin_fake();
    f.schemes[2].permissions.push(
        scheme("x", "x", &[("BROWSE_PROJECTS", "reporter", "")])
            .permissions
            .remove(0),
    );
    let mut u = user("svc-link", &["jira-users"]);
    u.active = Some(false);
    f.users.insert("svc-link".into(), u);
    let (r, _) = run_admin(f).await;
    assert!(r
        .notes
        .contains(&"scheme 'Team' grants Browse Projects to reporter (issue-level): every logged-in user can see TEAM".to_string()));
    assert!(r
        .notes
        .iter()
        .any(|n| n.starts_with("svc-link is deactivated in Jira")));
    assert_eq!(r.summary.ok, 0);
    assert!(r
        .row("OPEN")
        .unwrap()
        .fix
        .as_deref()
        .unwrap()
        .starts_with("reactivate user svc-link"));
}

#[tokio::test]
async fn schemes_listed_once_and_never_refetched_per_project() {
    let (r, log) = run_admin(admin_fake()).await;
    assert_eq!(log.calls("schemes"), 1);
    assert_eq!(log.calls("scheme:"), 0);
    assert_eq!(log.calls("projectScheme:"), 4);
    assert_eq!(log.calls("user:svc-link"), 1);
    assert_eq!(r.requests as usize, log.total_calls());
}

#[tokio::test]
async fn list_without_grants_falls_back_to_one_fetch_per_scheme_id() {
    let mut f = admin_fake();
    f.list_without_grants = true;
    // Many projects on the same scheme, fetched concurrently: still one fetch per id.
    for i in 0..20 {
        let key = format!("P{i:02}");
        f.projects.push(project(&key));
        f.assigned.insert(key, "1".into());
    }
    let (r, log) = run_admin(f).await;
    assert_eq!(log.calls("scheme:1"), 1);
    assert_eq!(log.calls("scheme:2"), 1);
    assert_eq!(log.calls("scheme:3"), 1);
    assert_eq!(log.calls("scheme:"), 3);
    assert!(r.row("P05").unwrap().ok);
    assert_eq!(
        r.row("OPEN").unwrap().scheme.as_ref().unwrap().shared_with,
        21
    );
}

#[tokio::test]
async fn roles_fetched_only_where_relevant() {
    let (_, log) = run_admin(admin_fake()).await;
    // Default grants role 10002 only ADMINISTER_PROJECTS (not required): never fetched.
    assert_eq!(log.calls("role:OPEN"), 0);
    assert_eq!(log.calls("role:WEB"), 0);
    assert_eq!(log.calls("role:CLOSED:10001"), 1);
    assert_eq!(log.calls("role:TEAM:10001"), 1);
    assert_eq!(log.calls("role:"), 2);

    // Asking for ADMINISTER_PROJECTS makes role 10002 relevant in the Default projects.
    let mut req = admin_request(admin_fake());
    req.required = vec!["administer_projects".into()];
    let (r, log) = run_fake(req).await;
    assert_eq!(log.calls("role:OPEN:10002"), 1);
    assert_eq!(r.required, vec!["ADMINISTER_PROJECTS"]);
    // the role is missing in the fake → that row says what failed
    assert!(r
        .row("OPEN")
        .unwrap()
        .error
        .as_deref()
        .unwrap()
        .contains("role 10002"));
}

#[tokio::test]
async fn forbidden_is_cached_per_endpoint_family() {
    let mut f = admin_fake();
    for k in ["OPEN", "WEB", "CLOSED", "TEAM"] {
        f.fail.insert(format!("projectScheme:{k}"), 403);
    }
    let mut req = admin_request(f);
    req.concurrency = 1;
    let (r, log) = run_fake(req).await;
    assert_eq!(
        log.calls("projectScheme:"),
        1,
        "a 403 is not retried per project"
    );
    assert_eq!(r.summary.errors, 4);
    let skipped = r
        .projects
        .iter()
        .filter(|p| p.error.as_deref().unwrap().contains("not requested"))
        .count();
    assert_eq!(skipped, 3);
    assert!(r.projects.iter().all(|p| !p.ok));
}

#[tokio::test]
async fn one_failing_project_keeps_the_others() {
    let mut f = admin_fake();
    f.fail.insert("projectScheme:WEB".into(), 500);
    let (r, log) = run_admin(f).await;
    let web = r.row("WEB").unwrap();
    assert!(web.error.as_deref().unwrap().contains("server_error"));
    assert!(!web.ok);
    assert!(r.row("OPEN").unwrap().ok);
    assert!(r.row("TEAM").unwrap().ok);
    assert_eq!(r.summary.errors, 1);
    // 500 is not a 403: other projects of the family are still asked
    assert_eq!(log.calls("projectScheme:"), 4);
}

#[tokio::test]
async fn a_hanging_project_can_be_cancelled_by_dropping_the_future() {
    let mut f = admin_fake();
    f.hang.insert("WEB".into());
    let res = tokio::time::timeout(
        Duration::from_millis(100),
        run_with(admin_request(f), |_| {}),
    )
    .await;
    assert!(res.is_err(), "the run waits for WEB until dropped");
}

#[tokio::test]
async fn cross_check_flags_disagreements() {
    let admin = admin_fake();
    let mut subject = Fake {
        info: info(),
        me: user("svc-link", &["jira-users"]),
        // Jira shows CLOSED to the user although the scheme says no (e.g. a grant jiralink misread).
        projects: ["OPEN", "WEB", "CLOSED"].map(project).to_vec(),
        ..Default::default()
    };
    let both = |b, c| {
        BTreeMap::from([
            ("BROWSE_PROJECTS".to_string(), b),
            ("CREATE_ISSUES".to_string(), c),
        ])
    };
    subject.mine.insert("OPEN".into(), both(true, true));
    subject.mine.insert("WEB".into(), both(true, false));
    subject.mine.insert("CLOSED".into(), both(true, true));
    let subject_log = subject.log.clone();
    let mut req = AuditRequest::new("svc+admin");
    req.admin = Some(admin);
    req.subject = Some(subject);
    let (r, _) = run_fake(req).await;
    assert!(r.row("OPEN").unwrap().disagreements.is_empty());
    assert_eq!(
        r.row("WEB").unwrap().disagreements,
        vec!["CREATE_ISSUES: computed granted, Jira says missing"]
    );
    let closed = &r.row("CLOSED").unwrap().disagreements;
    assert!(closed[0]
        .starts_with("visibility: computed hidden, but the user's own project list contains it"));
    assert!(closed.contains(&"BROWSE_PROJECTS: computed missing, Jira says granted".to_string()));
    // TEAM is missing from the user's own list although computed visible.
    assert!(r.row("TEAM").unwrap().disagreements[0].contains("lacks it"));
    // mypermissions only for projects the user sees; username came from myself
    let log = subject_log.lock().unwrap();
    assert_eq!(
        log.iter()
            .filter(|l| l.starts_with("mypermissions:"))
            .count(),
        3
    );
    assert!(log.contains(&"myself".to_string()));
    assert!(!r
        .notes
        .iter()
        .any(|n| n.contains("add svc-link's own connection")));
}

fn self_fake() -> Fake {
    let mut f = Fake {
        info: info(),
        me: user("svc-link", &["jira-users"]),
        projects: ["OPEN", "RO"].map(project).to_vec(),
        ..Default::default()
    };
    f.mine.insert(
        "OPEN".into(),
        BTreeMap::from([
            ("BROWSE_PROJECTS".into(), true),
            ("CREATE_ISSUES".into(), true),
        ]),
    );
    f.mine.insert(
        "RO".into(),
        BTreeMap::from([
            ("BROWSE_PROJECTS".into(), true),
            ("CREATE_ISSUES".into(), false),
        ]),
    );
    f
}

#[tokio::test]
async fn self_mode_is_honest_about_hidden_projects() {
    let mut req = AuditRequest::new("integration");
    req.subject = Some(self_fake());
    req.projects = vec!["open".into(), "RO".into(), "SECRET".into()];
    let seen = Arc::new(Mutex::new(Vec::<Progress>::new()));
    let seen2 = seen.clone();
    let r = run_with(req, move |p| seen2.lock().unwrap().push(p))
        .await
        .unwrap();
    assert_eq!(r.mode, Mode::SelfCheck);
    assert!(r.row("OPEN").unwrap().ok);
    let ro = r.row("RO").unwrap();
    assert!(ro.visible && !ro.ok);
    assert_eq!(
        ro.reason.as_deref(),
        Some("Jira reports that svc-link lacks Create Issues in RO")
    );
    assert!(ro.scheme.is_none());
    let secret = r.row("SECRET").unwrap();
    assert!(!secret.visible && secret.error.is_none());
    assert!(secret
        .reason
        .as_deref()
        .unwrap()
        .contains("hidden from this user or does not exist"));
    assert!(secret
        .fix
        .as_deref()
        .unwrap()
        .contains("jiralink audit integration --admin ADMIN --project SECRET"));
    assert!(r.notes[0].contains("`jiralink audit integration --admin ADMIN`"));
    assert!(r.notes[0].contains("Permission schemes"));
    assert_eq!(r.summary.ok, 1);
    assert_eq!(r.summary.missing, 1);
    assert_eq!(r.summary.invisible, 1);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 4);
    assert_eq!(
        seen[0],
        Progress {
            done: 0,
            total: 3,
            requests: 3
        }
    );
    assert!(seen.iter().all(|p| p.total == 3));
    assert!(seen.windows(2).all(|w| w[0].done < w[1].done));
    assert_eq!(seen.last().unwrap().done, 3);
    // serverInfo, myself, projects, 2 × mypermissions
    assert_eq!(r.requests, 5);
    assert_eq!(seen.last().unwrap().requests, 5);
}

#[tokio::test]
async fn self_mode_forbidden_mypermissions_cached() {
    let mut f = self_fake();
    f.fail.insert("mypermissions:OPEN".into(), 403);
    f.fail.insert("mypermissions:RO".into(), 403);
    let log = f.log.clone();
    let mut req = AuditRequest::new("integration");
    req.subject = Some(f);
    req.concurrency = 1;
    let r = run_with(req, |_| {}).await.unwrap();
    assert_eq!(
        log.lock()
            .unwrap()
            .iter()
            .filter(|l| l.starts_with("mypermissions"))
            .count(),
        1
    );
    assert_eq!(r.summary.errors, 2);
}

#[tokio::test]
async fn unknown_permission_names_closest_and_plugin_keys_pass() {
    let mut req = AuditRequest::new("integration");
    req.subject = Some(self_fake());
    req.required = vec!["BROWSE_PROJECT".into()];
    match run_with(req, |_| {}).await {
        Err(AuditError::UnknownPermission { key, suggestion }) => {
            assert_eq!(key, "BROWSE_PROJECT");
            assert_eq!(suggestion.as_deref(), Some("BROWSE_PROJECTS"));
        }
        other => panic!("{other:?}"),
    }
    // A plugin's key is accepted once Jira lists it.
    let mut req = AuditRequest::new("integration");
    req.subject = Some(self_fake());
    req.required = vec!["TEMPO_LOG_WORK".into()];
    let r = run_with(req, |_| {}).await.unwrap();
    assert_eq!(r.required, vec!["TEMPO_LOG_WORK"]);
    let e = AuditError::UnknownPermission {
        key: "X".into(),
        suggestion: Some("Y".into()),
    };
    assert_eq!(e.to_string(), "unknown permission 'X' (did you mean Y?)");
    assert_eq!(e.diagnosis().code, Code::ConfigError);
}

#[tokio::test]
async fn fatal_failures_carry_the_diagnosis() {
    let mut f = self_fake();
    f.fail.insert("serverInfo".into(), 401);
    let mut req = AuditRequest::new("integration");
    req.subject = Some(f);
    let e = run_with(req, |_| {}).await.unwrap_err();
    assert_eq!(e.diagnosis().code, Code::AuthFailed);
    assert!(e.to_string().starts_with("reading serverInfo:"));

    let mut f = admin_fake();
    f.users.clear();
    let e = run_with(admin_request(f), |_| {}).await.unwrap_err();
    assert_eq!(e.diagnosis().code, Code::NotFound);

    let e = run_with(AuditRequest::<Fake>::new("none"), |_| {})
        .await
        .unwrap_err();
    assert!(matches!(e, AuditError::InvalidRequest(_)));
    let mut req = AuditRequest::new("x");
    req.subject = Some(self_fake());
    req.username = Some("bob".into());
    assert!(matches!(
        run_with(req, |_| {}).await,
        Err(AuditError::InvalidRequest(_))
    ));
}

#[tokio::test]
async fn admin_filter_reports_absent_projects() {
    let mut req = admin_request(admin_fake());
    req.projects = vec!["OPEN".into(), "NOPE".into()];
    let (r, log) = run_fake(req).await;
    assert_eq!(r.projects.len(), 2);
    assert!(r
        .row("NOPE")
        .unwrap()
        .error
        .as_deref()
        .unwrap()
        .contains("no project with key NOPE"));
    assert_eq!(log.calls("projectScheme:"), 1);
}

#[tokio::test]
async fn diff_between_runs() {
    let (old, _) = run_admin(admin_fake()).await;
    let mut f = admin_fake();
    // Fix CLOSED, break TEAM, add NEW, remove WEB.
    f.schemes[1] = scheme(
        "2",
        "Restricted",
        &[
            ("BROWSE_PROJECTS", "group", "jira-users"),
            ("CREATE_ISSUES", "group", "jira-users"),
        ],
    );
    f.roles.insert(
        ("TEAM".into(), "10001".into()),
        role("Developers", &["bob"]),
    );
    f.projects.retain(|p| p.key != "WEB");
    f.projects.push(project("NEW"));
    f.assigned.insert("NEW".into(), "1".into());
    let (new, _) = run_admin(f).await;
    let d = diff(&old, &new);
    assert_eq!(d.newly_ok, vec!["CLOSED"]);
    assert_eq!(d.newly_broken, vec!["TEAM"]);
    assert_eq!(d.appeared, vec!["NEW"]);
    assert_eq!(d.disappeared, vec!["WEB"]);
    assert_eq!(d.changes.len(), 4);
    assert!(d.changes.iter().any(|c| c.project == "TEAM"
        && c.permission == "BROWSE_PROJECTS"
        && c.before == Some(true)
        && c.after == Some(false)));
    let text = render_diff(&d);
    assert!(text.contains("+ CLOSED: now ok\n"));
    assert!(text.contains("- TEAM: broken\n"));
    assert!(text.contains("~ TEAM BROWSE_PROJECTS: yes -> no\n"));
    assert!(text.contains("+ NEW: appeared\n") && text.contains("- WEB: disappeared\n"));
    assert!(diff(&new, &new).is_empty());
    assert_eq!(render_diff(&diff(&new, &new)), "no changes\n");
}

#[tokio::test]
async fn json_shape_is_stable() {
    let (r, _) = run_admin(admin_fake()).await;
    let v = serde_json::to_value(&r).unwrap();
    for k in [
        "connection",
        "mode",
        "user",
        "jira",
        "required",
        "projects",
        "summary",
        "notes",
    ] {
        assert!(v.get(k).is_some(), "missing {k}");
    }
    assert_eq!(v["mode"], "admin-assisted");
    assert_eq!(v["user"]["name"], "svc-link");
    assert_eq!(v["user"]["groups"], json!(["jira-users"]));
    assert_eq!(v["jira"]["version"], "10.3.19");
    assert_eq!(v["jira"]["deployment_type"], "Server");
    let row = &v["projects"][0];
    for k in [
        "key",
        "name",
        "visible",
        "permissions",
        "ok",
        "scheme",
        "reason",
        "fix",
        "error",
    ] {
        assert!(row.get(k).is_some(), "row missing {k}");
    }
    assert_eq!(row["permissions"]["BROWSE_PROJECTS"], false);
    for k in ["id", "name", "shared_with"] {
        assert!(row["scheme"].get(k).is_some());
    }
    assert!(row["scheme"]["shared_with"].is_u64());
    let id = row["scheme"]["id"].as_str().unwrap();
    assert!(v["schemes"][id]["projects"].is_array());
    for k in ["projects", "ok", "missing", "invisible", "errors"] {
        assert!(v["summary"][k].is_u64());
    }
    let back: Report = serde_json::from_value(v).unwrap();
    assert_eq!(back, r);
}

#[tokio::test]
async fn table_fits_80_columns_and_csv_quotes() {
    let (mut r, _) = run_admin(admin_fake()).await;
    r.projects[1].name = "A very long project name that will not fit, with a comma".into();
    let t = render_table(&r, 80, false, false);
    let lines: Vec<&str> = t.lines().collect();
    assert!(lines[0].starts_with("KEY"));
    assert!(
        lines[0].contains("SCHEME") && lines[0].contains("BROWSE") && lines[0].contains("CREATE")
    );
    for l in lines.iter().filter(|l| !l.starts_with("note:")) {
        assert!(l.chars().count() <= 80, "{} chars: {l}", l.chars().count());
    }
    assert!(t.contains('✓') && t.contains('✗') && t.contains('…'));
    assert!(t.contains("\n4 projects: 3 ok, 0 missing, 1 invisible, 0 errors\n"));
    // Every row that is not fine shows its reason and its fix in full (wrapped), not a pointer
    // to `--format json`.
    assert!(!t.contains("--format json"), "{t}");
    let flat = t.split_whitespace().collect::<Vec<_>>().join(" ");
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut shown = 0;
    for row in r.projects.iter().filter(|p| !p.ok) {
        assert!(flat.contains(&format!("why: {}", norm(&row.note()))), "{t}");
        let fix = row.fix.as_deref().expect("a row that is not ok has a fix");
        assert!(flat.contains(&format!("fix: {}", norm(fix))), "{t}");
        shown += 1;
    }
    assert!(shown > 0, "the fixture has a row that is not ok");
    assert!(t.contains("\nuser svc-link, admin-assisted mode, Jira 10.3.19\n"));
    assert!(!t.contains('\x1b'));
    let a = render_table(&r, 80, false, true);
    assert!(a.contains("MISSING") && a.contains("OK"));
    assert!(
        a.lines()
            .filter(|l| !l.starts_with("note:"))
            .all(str::is_ascii),
        "{a}"
    );
    let c = render_table(&r, 80, true, false);
    assert!(c.contains("\x1b[32m") && c.contains("\x1b[31m"));
    let csv = render_csv(&r);
    let mut csv_lines = csv.split("\r\n");
    assert_eq!(
        csv_lines.next().unwrap(),
        "key,name,visible,ok,scheme,BROWSE_PROJECTS,CREATE_ISSUES,reason,fix,error"
    );
    assert!(csv.contains("\"A very long project name that will not fit, with a comma\""));
    assert!(csv.starts_with("key,") && csv.ends_with("\r\n"));
    assert_eq!(csv.matches("\r\n").count(), 5);
}

#[test]
fn run_with_the_real_client_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let fut = audit::run(AuditRequest::new("x"), |_| {});
    assert_send(&fut);
}
