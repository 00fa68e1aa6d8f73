//! End-to-end audit against the simulator over real loopback HTTP: verdicts equal the simulator's
//! ground truth for every (project, permission), self mode, the cross-check, run-to-run changes,
//! flaky and rate-limited servers, and the `jiralink audit` command (JSON shape, exit codes, table
//! width, NO_COLOR, `--watch`).

use jiralink::audit::{self, diff, AuditRequest, Mode, Report};
use jiralink::jira::{Auth, ClientOptions, JiraClient};
use jiralink::sim::{ActorType, Scenario, Sim, SimConfig};
use secrecy::SecretString;
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};

const SUBJECTS: [&str; 4] = ["alice", "bob", "carol", "dave"];
const DEFAULT_SET: [&str; 2] = ["BROWSE_PROJECTS", "CREATE_ISSUES"];
/// Permissions held through reporter / assignee / custom-field holders in the generated schemes.
const ISSUE_LEVEL_SET: [&str; 5] = [
    "EDIT_ISSUES",
    "ADD_COMMENTS",
    "RESOLVE_ISSUES",
    "CLOSE_ISSUES",
    "EDIT_OWN_COMMENTS",
];
/// Permissions held through project roles, the project lead and the application roles.
const ROLE_SET: [&str; 4] = [
    "ADMINISTER_PROJECTS",
    "VIEW_DEV_TOOLS",
    "ASSIGN_ISSUES",
    "MANAGE_WATCHERS",
];

async fn start(projects: usize) -> Sim {
    Sim::start(SimConfig {
        projects,
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

fn client(sim: &Sim, user: &str) -> JiraClient {
    let auth = Auth::Basic {
        username: user.to_string(),
        password: SecretString::from(sim.password(user).unwrap()),
    };
    let mut opts = ClientOptions::new(sim.base_url().clone(), auth);
    opts.timeout = Duration::from_secs(30);
    // The Flaky scenario's 503s are random per request: with the default 5 tries, one URL in
    // 100,000 fails them all; 9 tries make a spurious failure of the completeness tests negligible.
    opts.retry.max_retries = 8;
    JiraClient::new(opts).unwrap()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Admin-assisted request for `user`; with `cross_check` the user's own connection is added.
fn admin_request(sim: &Sim, user: &str, required: &[&str], cross_check: bool) -> AuditRequest {
    let mut req = AuditRequest::new(format!("{user}+admin"));
    req.admin = Some(client(sim, "admin"));
    req.username = Some(user.to_string());
    if cross_check {
        req.subject = Some(client(sim, user));
    }
    req.required = strings(required);
    req
}

async fn run(req: AuditRequest) -> Report {
    audit::run(req, |_| {}).await.unwrap()
}

/// Grants, role actors and group memberships so that every holder type decides some verdict for
/// some subject, on top of the generated world (which already uses each type somewhere).
fn cover_every_holder_type(sim: &Sim) {
    // group: qa (carol, dave) browses restricted projects.
    sim.grant("Restricted Scheme", "BROWSE_PROJECTS", "group", Some("qa"))
        .unwrap();
    // user: dave creates in lead-only projects (where he is not always the lead).
    sim.grant("Lead Only Scheme", "CREATE_ISSUES", "user", Some("dave"))
        .unwrap();
    // applicationRole with a key: jira-core comes with the jira-users group.
    sim.grant(
        "Reporter Browse Scheme",
        "CREATE_ISSUES",
        "applicationRole",
        Some("jira-core"),
    )
    .unwrap();
    // projectRole with user and group actors: the Users role (jira-users group, carol).
    sim.grant(
        "Integration User Scheme",
        "BROWSE_PROJECTS",
        "projectRole",
        Some("Users"),
    )
    .unwrap();
    // projectLead beyond the lead-only scheme.
    sim.grant("Software Scheme", "CREATE_ISSUES", "projectLead", None)
        .unwrap();
    // anyone.
    sim.grant("Public Scheme", "EDIT_ISSUES", "anyone", None)
        .unwrap();
    // Issue-level holders on a permission that is otherwise restricted.
    sim.grant(
        "Restricted Scheme",
        "CREATE_ISSUES",
        "groupCustomField",
        Some("customfield_10300"),
    )
    .unwrap();
    sim.grant(
        "Lead Only Scheme",
        "ADD_COMMENTS",
        "userCustomField",
        Some("customfield_10301"),
    )
    .unwrap();
    sim.grant("Software Scheme", "EDIT_OWN_COMMENTS", "reporter", None)
        .unwrap();
    sim.grant("Restricted Scheme", "RESOLVE_ISSUES", "assignee", None)
        .unwrap();
    // Project admin without Browse: Jira lists the project for dave, yet he cannot browse it.
    sim.grant(
        "Default Permission Scheme",
        "ADMINISTER_PROJECTS",
        "user",
        Some("dave"),
    )
    .unwrap();
    // Role actors in single projects: a group actor (qa) and a user actor (dave).
    let keys = sim.project_keys();
    for key in keys.iter().step_by(7) {
        sim.set_role_actor(key, "Developers", ActorType::Group, "qa", true)
            .unwrap();
    }
    for key in keys.iter().skip(3).step_by(11) {
        sim.set_role_actor(key, "Users", ActorType::User, "dave", true)
            .unwrap();
        sim.set_role_actor(key, "Administrators", ActorType::User, "carol", true)
            .unwrap();
    }
    // Group membership that confers an application role: dave gets jira-software.
    sim.set_group_member("jira-software-users", "dave", true)
        .unwrap();
}

/// Every row's verdicts against `Sim::has_permission`; returns the number of checked verdicts.
fn assert_matches_truth(sim: &Sim, report: &Report, user: &str, keys: &[String]) -> usize {
    let rows: Vec<&str> = report.projects.iter().map(|r| r.key.as_str()).collect();
    let expected: Vec<&str> = {
        let mut k: Vec<&str> = keys.iter().map(String::as_str).collect();
        k.sort_unstable();
        k
    };
    assert_eq!(rows, expected, "{user}: one row per project");
    let mut checked = 0;
    let mut wrong = Vec::new();
    for row in &report.projects {
        assert_eq!(row.error, None, "{user} {}: {:?}", row.key, row.error);
        let browse = sim.has_permission(Some(user), &row.key, "BROWSE_PROJECTS");
        if row.visible != browse {
            wrong.push(format!(
                "{} visible: audit {} truth {browse}",
                row.key, row.visible
            ));
        }
        assert_eq!(row.permissions.len(), report.required.len(), "{}", row.key);
        for p in &report.required {
            let truth = sim.has_permission(Some(user), &row.key, p);
            let computed = row.permissions.get(p).copied();
            if computed != Some(truth) {
                wrong.push(format!("{} {p}: audit {computed:?} truth {truth}", row.key));
            }
            checked += 1;
        }
        let all = report
            .required
            .iter()
            .all(|p| sim.has_permission(Some(user), &row.key, p));
        assert_eq!(row.ok, all, "{user} {}: ok", row.key);
        if !row.ok {
            assert!(row.reason.is_some() && row.fix.is_some(), "{row:?}");
        }
    }
    assert!(
        wrong.is_empty(),
        "{user}: {} verdicts differ from the simulator, e.g. {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(10)]
    );
    checked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_assisted_verdicts_equal_ground_truth_for_every_project_and_permission() {
    let sim = start(2000).await;
    cover_every_holder_type(&sim);
    let keys = sim.project_keys();
    let mut verdicts = 0;
    let mut seen_ok_and_missing = BTreeSet::new();
    for user in SUBJECTS {
        // The default set with the cross-check against the user's own mypermissions.
        let report = run(admin_request(&sim, user, &DEFAULT_SET, true)).await;
        assert_eq!(report.mode, Mode::AdminAssisted);
        assert_eq!(report.user.name, user);
        verdicts += assert_matches_truth(&sim, &report, user, &keys);
        let disagreements: Vec<_> = report
            .projects
            .iter()
            .filter(|r| !r.disagreements.is_empty())
            .map(|r| (r.key.clone(), r.disagreements.clone()))
            .collect();
        assert!(
            disagreements.is_empty(),
            "{user}: cross-check disagrees: {:?}",
            &disagreements[..disagreements.len().min(5)]
        );
        seen_ok_and_missing.insert((report.summary.ok > 0, report.summary.invisible > 0));
        // Scheme facts match the simulator, and the blast radius is the set of projects sharing it.
        for row in report.projects.iter().step_by(97) {
            let scheme = row.scheme.as_ref().unwrap();
            assert_eq!(Some(scheme.name.clone()), sim.project_scheme(&row.key));
            let sharing = keys
                .iter()
                .filter(|k| **k != row.key && sim.project_scheme(k) == Some(scheme.name.clone()))
                .count();
            assert_eq!(scheme.shared_with, sharing, "{}", row.key);
            let listed = &report.schemes[&scheme.id];
            assert_eq!(listed.name, scheme.name);
            assert_eq!(listed.projects.len(), sharing + 1, "{}", row.key);
            assert!(listed.projects.binary_search(&row.key).is_ok());
        }
    }
    assert!(seen_ok_and_missing.contains(&(true, true)));
    for (user, set) in [
        ("alice", &ISSUE_LEVEL_SET[..]),
        ("dave", &ISSUE_LEVEL_SET[..]),
        ("carol", &ROLE_SET[..]),
        ("bob", &ROLE_SET[..]),
    ] {
        let report = run(admin_request(&sim, user, set, false)).await;
        verdicts += assert_matches_truth(&sim, &report, user, &keys);
    }
    assert!(verdicts > 4 * 2000 * 2, "{verdicts}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_mode_verdicts_equal_ground_truth_for_visible_projects() {
    let sim = start(2000).await;
    cover_every_holder_type(&sim);
    for user in SUBJECTS {
        let mut req = AuditRequest::new(user);
        req.subject = Some(client(&sim, user));
        req.required = strings(&[DEFAULT_SET[0], DEFAULT_SET[1], ISSUE_LEVEL_SET[0]]);
        let report = run(req).await;
        assert_eq!(report.mode, Mode::SelfCheck);
        // Self mode lists exactly what Jira lists for the user (Browse or project admin).
        let listed: Vec<String> = sim
            .project_keys()
            .into_iter()
            .filter(|k| {
                sim.has_permission(Some(user), k, "BROWSE_PROJECTS")
                    || sim.has_permission(Some(user), k, "ADMINISTER_PROJECTS")
            })
            .collect();
        assert!(!listed.is_empty() && listed.len() < 2000, "{user}");
        for row in &report.projects {
            assert_eq!(row.error, None, "{user} {}", row.key);
            for p in &report.required {
                assert_eq!(
                    row.permissions.get(p).copied(),
                    Some(sim.has_permission(Some(user), &row.key, p)),
                    "{user} {} {p}",
                    row.key
                );
            }
        }
        let rows: BTreeSet<&str> = report.projects.iter().map(|r| r.key.as_str()).collect();
        let listed: BTreeSet<&str> = listed.iter().map(String::as_str).collect();
        assert_eq!(rows, listed, "{user}");
        assert!(report.notes.iter().any(|n| n.contains("--admin")));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_between_two_runs_shows_up_in_the_diff() {
    let sim = start(300).await;
    let before = run(admin_request(&sim, "alice", &DEFAULT_SET, false)).await;
    assert!(before.row("OPS").is_some_and(|r| !r.ok && !r.visible));
    let restricted: Vec<String> = before
        .projects
        .iter()
        .filter(|r| {
            r.scheme
                .as_ref()
                .is_some_and(|s| s.name == "Restricted Scheme")
        })
        .map(|r| r.key.clone())
        .collect();
    // Only Browse: the restricted projects become visible but creating is still missing.
    sim.grant(
        "Restricted Scheme",
        "BROWSE_PROJECTS",
        "group",
        Some("jira-users"),
    )
    .unwrap();
    let after = run(admin_request(&sim, "alice", &DEFAULT_SET, false)).await;
    let d = diff(&before, &after);
    assert!(d.newly_ok.is_empty() && d.newly_broken.is_empty(), "{d:?}");
    let flipped: Vec<&str> = d
        .changes
        .iter()
        .inspect(|c| {
            assert_eq!(c.permission, "BROWSE_PROJECTS");
            assert_eq!((c.before, c.after), (Some(false), Some(true)));
        })
        .map(|c| c.project.as_str())
        .collect();
    assert_eq!(flipped, restricted);
    // And creating: now the restricted projects are newly ok, nothing else moved.
    sim.grant("Restricted Scheme", "CREATE_ISSUES", "user", Some("alice"))
        .unwrap();
    let fixed = run(admin_request(&sim, "alice", &DEFAULT_SET, false)).await;
    let d = diff(&after, &fixed);
    assert_eq!(d.newly_ok, restricted);
    assert_eq!(d.changes.len(), restricted.len());
    assert!(audit::render_diff(&d).contains("+ OPS: now ok"));
    assert!(diff(&fixed, &fixed).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_check_knows_jira_lists_every_project_to_a_jira_administrator() {
    let sim = start(200).await;
    // Lead-only projects led by someone else: admin cannot browse them, yet Jira lists them.
    let report = run(admin_request(&sim, "admin", &DEFAULT_SET, true)).await;
    assert!(
        report.projects.iter().any(|r| !r.visible),
        "{:?}",
        report.summary
    );
    assert_matches_truth(&sim, &report, "admin", &sim.project_keys());
    let flagged: Vec<_> = report
        .projects
        .iter()
        .filter(|r| !r.disagreements.is_empty())
        .map(|r| (&r.key, &r.disagreements))
        .collect();
    assert!(flagged.is_empty(), "{flagged:?}");
}

/// A report without the fields that legitimately vary between runs (request counts).
fn stable(mut r: Report) -> Report {
    r.requests = 0;
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flaky_and_rate_limited_servers_give_the_same_complete_report() {
    let sim = start(150).await;
    cover_every_holder_type(&sim);
    let normal = run(admin_request(&sim, "alice", &DEFAULT_SET, true)).await;
    assert_eq!(normal.summary.errors, 0);
    for scenario in [
        Scenario::Flaky { percent: 10 },
        Scenario::RateLimited {
            every: 40,
            retry_after_secs: 1,
        },
    ] {
        sim.set_scenario(scenario);
        let served = sim.request_count();
        let started = Instant::now();
        let req = admin_request(&sim, "alice", &DEFAULT_SET, true);
        let report = run(req).await;
        sim.set_scenario(Scenario::Normal);
        assert!(report.requests > 0 && sim.request_count() > served);
        assert_eq!(
            stable(report),
            stable(normal.clone()),
            "{scenario} changed the report (after {:?})",
            started.elapsed()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limited_self_mode_is_complete_too() {
    let sim = start(200).await;
    let mut req = AuditRequest::new("alice");
    req.subject = Some(client(&sim, "alice"));
    let normal = run(req.clone()).await;
    sim.set_scenario(Scenario::RateLimited {
        every: 30,
        retry_after_secs: 0,
    });
    let limited = run(req).await;
    assert_eq!(stable(limited), stable(normal));
}

// ---- the `jiralink audit` command ---------------------------------------------------------------

/// A config file with one connection per simulator user (secrets from the environment).
struct Cli {
    dir: tempfile::TempDir,
    passwords: Vec<(String, String)>,
}

impl Cli {
    fn new(sim: &Sim) -> Cli {
        let dir = tempfile::tempdir().unwrap();
        let mut toml = String::from(
            "[defaults]\nconcurrency = 8\nrequired_permissions = [\"BROWSE_PROJECTS\", \"CREATE_ISSUES\"]\n",
        );
        let mut passwords = Vec::new();
        for user in ["admin", "alice", "bob", "carol", "dave"] {
            let var = format!("JIRALINK_TEST_PW_{}", user.to_uppercase());
            toml.push_str(&format!(
                "\n[[connection]]\nname = \"{user}\"\nurl = \"{}\"\nauth = \"basic\"\nusername = \"{user}\"\npassword = {{ env = \"{var}\" }}\n",
                sim.base_url()
            ));
            passwords.push((var, sim.password(user).unwrap()));
        }
        std::fs::write(dir.path().join("config.toml"), toml).unwrap();
        Cli { dir, passwords }
    }

    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_jiralink"));
        c.args(args)
            .env("JIRALINK_CONFIG", self.dir.path().join("config.toml"))
            .env("JIRALINK_DATA", self.dir.path().join("data"))
            .env("JIRALINK_STATE", self.dir.path().join("state"))
            .env("HOME", self.dir.path())
            .env_remove("NO_COLOR")
            .env_remove("COLUMNS")
            .env("LANG", "C.UTF-8")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (k, v) in &self.passwords {
            c.env(k, v);
        }
        c
    }

    async fn output(&self, args: &[&str], env: &[(&str, &str)]) -> (u8, String, String) {
        let mut c = self.command(args);
        for (k, v) in env {
            c.env(k, v);
        }
        let out = tokio::time::timeout(Duration::from_secs(120), c.output())
            .await
            .expect("audit finished")
            .unwrap();
        let code = out.status.code().expect("exited normally") as u8;
        (
            code,
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }
}

fn keys_of(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect()
}

fn set(keys: &[&str]) -> BTreeSet<String> {
    keys.iter().map(|s| s.to_string()).collect()
}

/// The JSON shape the issue documents, plus the extra fields the report adds (listed so that any
/// change to the shape fails here first).
fn assert_documented_shape(v: &Value) {
    assert_eq!(
        keys_of(v),
        set(&[
            "connection",
            "mode",
            "user",
            "jira",
            "required",
            "projects",
            "summary",
            // additions beyond the issue's list
            "notes",
            "requests",
            "schemes",
        ])
    );
    // Scheme id → {name, projects}: each scheme's project keys once, sorted.
    for (id, scheme) in v["schemes"].as_object().unwrap() {
        assert_eq!(keys_of(scheme), set(&["name", "projects"]), "{id}");
        assert!(scheme["name"].is_string());
        let keys: Vec<&str> = scheme["projects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())
            .collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{id}: {keys:?}");
    }
    assert!(v["connection"].is_string());
    assert!(["self", "admin-assisted"].contains(&v["mode"].as_str().unwrap()));
    assert_eq!(
        keys_of(&v["user"]),
        set(&["name", "groups", "application_roles"])
    );
    assert!(v["user"]["name"].is_string());
    assert!(v["user"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .all(Value::is_string));
    assert_eq!(keys_of(&v["jira"]), set(&["version", "deployment_type"]));
    assert!(v["jira"]["version"].is_string());
    assert!(v["required"]
        .as_array()
        .unwrap()
        .iter()
        .all(Value::is_string));
    assert_eq!(
        keys_of(&v["summary"]),
        set(&["projects", "ok", "missing", "invisible", "errors"])
    );
    assert!(v["summary"]
        .as_object()
        .unwrap()
        .values()
        .all(Value::is_u64));
    let projects = v["projects"].as_array().unwrap();
    assert_eq!(
        projects.len() as u64,
        v["summary"]["projects"].as_u64().unwrap()
    );
    for p in projects {
        assert_eq!(
            keys_of(p),
            set(&[
                "key",
                "name",
                "visible",
                "permissions",
                "ok",
                "scheme",
                "reason",
                "fix",
                "error",
                // additions beyond the issue's list
                "details",
                "disagreements",
            ])
        );
        assert!(p["key"].is_string() && p["name"].is_string());
        assert!(p["visible"].is_boolean() && p["ok"].is_boolean());
        let perms = p["permissions"].as_object().unwrap();
        assert!(perms.values().all(Value::is_boolean));
        let required: BTreeSet<String> = v["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect();
        if p["error"].is_null() {
            assert_eq!(perms.keys().cloned().collect::<BTreeSet<_>>(), required);
        }
        for k in ["reason", "fix", "error"] {
            assert!(p[k].is_null() || p[k].is_string(), "{k}: {}", p[k]);
        }
        match &p["scheme"] {
            Value::Null => {}
            s => {
                assert_eq!(keys_of(s), set(&["id", "name", "shared_with"]));
                assert!(s["id"].is_string() && s["name"].is_string());
                // shared_with counts the other projects on the scheme; their keys are listed
                // once, under the top-level `schemes` (a list per row made the report quadratic).
                let listed = v["schemes"][s["id"].as_str().unwrap()]["projects"]
                    .as_array()
                    .unwrap();
                assert!(listed.iter().all(Value::is_string));
                assert!(listed.contains(&p["key"]));
                assert_eq!(s["shared_with"].as_u64(), Some(listed.len() as u64 - 1));
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_json_shape_and_exit_codes() {
    let sim = start(120).await;
    let cli = Cli::new(&sim);

    // Admin-assisted, some projects missing: exit 1, documented shape, verdicts = ground truth.
    let (code, out, err) = cli
        .output(
            &[
                "audit", "--admin", "admin", "--user", "alice", "--format", "json",
            ],
            &[],
        )
        .await;
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_documented_shape(&v);
    assert_eq!(v["mode"], "admin-assisted");
    assert_eq!(v["user"]["name"], "alice");
    assert_eq!(v["jira"]["version"], "9.12.3");
    let report: Report = serde_json::from_value(v.clone()).unwrap();
    assert_matches_truth(&sim, &report, "alice", &sim.project_keys());
    let ops = report.row("OPS").unwrap();
    assert!(!ops.visible);
    let reason = ops.reason.as_deref().unwrap();
    assert!(
        reason.contains("Restricted Scheme") && reason.contains("jira-administrators"),
        "{reason}"
    );
    assert!(ops.fix.as_deref().unwrap().contains("Permission schemes"));

    // Self mode with the subject's own connection: same shape, "self".
    let (code, out, err) = cli
        .output(&["audit", "alice", "--format", "json"], &[])
        .await;
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_documented_shape(&v);
    assert_eq!(v["mode"], "self");
    assert!(v["projects"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["scheme"].is_null()));

    // Every required permission holds on the checked projects: exit 0.
    let (code, out, err) = cli
        .output(
            &[
                "audit",
                "alice",
                "--admin",
                "admin",
                "--project",
                "ACME",
                "--project",
                "INT",
                "--format",
                "json",
            ],
            &[],
        )
        .await;
    assert_eq!(code, 0, "{out}\n{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["summary"]["ok"], 2);
    assert_eq!(v["connection"], "alice+admin");

    // Usage and config errors: exit 2.
    let (code, _, err) = cli.output(&["audit"], &[]).await;
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = cli.output(&["audit", "nosuch"], &[]).await;
    assert_eq!(code, 2);
    assert!(err.contains("no connection named"), "{err}");
    // Another user by name without an admin: refused up front, before the connection is even
    // looked up or its secrets resolved (the engine would refuse it only after starting).
    let (code, _, err) = cli.output(&["audit", "nosuch", "--user", "bob"], &[]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("needs an admin connection"), "{err}");
    assert!(!err.contains("no connection named"), "{err}");
    let (code, _, _) = cli
        .output(&["audit", "alice", "--format", "yaml"], &[])
        .await;
    assert_eq!(code, 2);
    let (code, _, err) = cli
        .output(&["audit", "alice", "--require", "BROWSE_PROJETCS"], &[])
        .await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("BROWSE_PROJECTS"), "suggests the key: {err}");

    // The server is down: exit 3 with a diagnosis.
    sim.set_scenario(Scenario::ServerError);
    let (code, out, err) = cli.output(&["audit", "alice"], &[]).await;
    sim.set_scenario(Scenario::Normal);
    assert_eq!(code, 3, "{out}\n{err}");
    assert!(err.contains("could not run"), "{err}");
    assert!(!err.contains(&sim.password("alice").unwrap()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_non_admin_as_admin_is_diagnosed_with_exit_3() {
    let sim = start(40).await;
    let cli = Cli::new(&sim);
    let (code, out, err) = cli
        .output(&["audit", "--admin", "bob", "--user", "alice"], &[])
        .await;
    assert_eq!(code, 3, "{out}\n{err}");
    assert!(out.is_empty(), "no partial table: {out}");
    let lower = err.to_lowercase();
    assert!(
        lower.contains("403") || lower.contains("forbidden"),
        "{err}"
    );
    assert!(
        lower.contains("administrator"),
        "says an admin is needed: {err}"
    );
    assert!(!err.contains(&sim.password("bob").unwrap()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_table_fits_80_columns_and_no_color_means_no_escapes() {
    let sim = start(60).await;
    let cli = Cli::new(&sim);
    for args in [
        &["audit", "alice", "--admin", "admin"][..],
        &["audit", "alice"][..],
        &[
            "audit",
            "alice",
            "--admin",
            "admin",
            "--require",
            "BROWSE_PROJECTS,CREATE_ISSUES,EDIT_ISSUES,ADD_COMMENTS",
        ][..],
    ] {
        let (code, out, err) = cli.output(args, &[("NO_COLOR", "1")]).await;
        assert_eq!(code, 1, "{err}");
        assert!(!out.contains('\u{1b}') && !err.contains('\u{1b}'), "{out}");
        for line in out.lines() {
            assert!(
                line.chars().count() <= 80,
                "{} columns: {line}",
                line.chars().count()
            );
        }
        assert!(out.starts_with("KEY"), "{out}");
        assert!(out.contains("projects:"), "summary line: {out}");
        assert!(out.lines().any(|l| l.starts_with("ACME ")), "{out}");
    }
    // Colour forced on shows that the NO_COLOR run above really had something to strip.
    let (_, out, _) = cli
        .output(
            &["--color", "always", "audit", "alice", "--admin", "admin"],
            &[],
        )
        .await;
    assert!(out.contains('\u{1b}'), "{out}");
}

type ChildLines = tokio::io::Lines<BufReader<tokio::process::ChildStdout>>;

async fn next_line(lines: &mut ChildLines) -> String {
    tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .expect("watch output in time")
        .unwrap()
        .expect("watch still running")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_watch_reports_a_grant_made_while_it_runs() {
    let sim = start(80).await;
    let cli = Cli::new(&sim);
    let mut child = cli
        .command(&["audit", "alice", "--admin", "admin", "--watch", "1"])
        .env("NO_COLOR", "1")
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // The first run prints the full table, ending with the summary and context lines.
    loop {
        let line = next_line(&mut lines).await;
        if line.contains("projects:") {
            break;
        }
    }
    // Wait for one unchanged re-run, so the grant lands between two runs of the loop.
    loop {
        let line = next_line(&mut lines).await;
        if line == "no changes" {
            break;
        }
        assert!(!line.starts_with('+') && !line.starts_with('~'), "{line}");
    }
    sim.grant(
        "Restricted Scheme",
        "BROWSE_PROJECTS",
        "user",
        Some("alice"),
    )
    .unwrap();
    sim.grant("Restricted Scheme", "CREATE_ISSUES", "user", Some("alice"))
        .unwrap();
    let mut changes = Vec::new();
    loop {
        let line = next_line(&mut lines).await;
        if line.starts_with("+ OPS: now ok") {
            break;
        }
        changes.push(line);
        assert!(changes.len() < 400, "no change line: {changes:?}");
    }
    child.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_watch_json_is_one_document_per_line_and_a_closed_pipe_ends_it_quietly() {
    let sim = start(40).await;
    let cli = Cli::new(&sim);
    let mut child = cli
        .command(&[
            "audit", "alice", "--admin", "admin", "--watch", "1", "--format", "json",
        ])
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // The first run is the whole report, on one line.
    let first: Report = serde_json::from_str(&next_line(&mut lines).await).unwrap();
    assert_eq!(first.projects.len(), first.summary.projects);
    assert!(!first.schemes.is_empty());
    // Later runs: {changes, summary, report}, one line each.
    let second: Value = serde_json::from_str(&next_line(&mut lines).await).unwrap();
    assert_eq!(keys_of(&second), set(&["changes", "summary", "report"]));
    // The reader leaves: the next write fails, and the run ends with 141 instead of a panic.
    drop(lines);
    let status = tokio::time::timeout(Duration::from_secs(60), child.wait())
        .await
        .expect("watch ended after its reader left")
        .unwrap();
    assert_eq!(status.code(), Some(141));
    let mut err = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut stderr, &mut err)
        .await
        .unwrap();
    assert!(!err.contains("panicked"), "{err}");
}
