//! `jiralink fix` headless, as a new user runs it, against a 2,000-project simulator with broad
//! groups over real loopback HTTP: `--dry-run` changes nothing; `--yes` applies, the printed gains
//! equal the simulator's truth diff and nobody but the subject gains anything; `--undo` restores
//! the truth exactly; a non-admin `--admin` exits 3 with nothing changed; usage errors exit 2.

use jiralink::sim::{Sim, SimConfig};
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::Duration;

type Truth = BTreeSet<(String, String, String)>;

/// The required permissions (the config's default set) and the admin-class one: the plan may
/// only grant the required ones to its dedicated role, so no other permission can change.
const WATCHED: [&str; 3] = ["BROWSE_PROJECTS", "CREATE_ISSUES", "ADMINISTER_PROJECTS"];

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
        for user in ["admin", "alice", "bob"] {
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

    async fn run(&self, args: &[&str]) -> (u8, String, String) {
        let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_jiralink"));
        c.args(args)
            .env("JIRALINK_CONFIG", self.dir.path().join("config.toml"))
            .env("JIRALINK_DATA", self.dir.path().join("data"))
            .env("JIRALINK_STATE", self.dir.path().join("state"))
            .env("HOME", self.dir.path())
            .env("NO_COLOR", "1")
            .env("LANG", "C.UTF-8")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (k, v) in &self.passwords {
            c.env(k, v);
        }
        let out = tokio::time::timeout(Duration::from_secs(300), c.output())
            .await
            .expect("fix finished")
            .unwrap();
        (
            out.status.code().expect("exited normally") as u8,
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }

    fn journal_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("state").join("fixes")
    }
}

/// Every change reaches alice alone: a grant to user alice or to a role, alice added to a role.
fn check_changes(plan: &Value) {
    for c in plan["changes"].as_array().unwrap() {
        match c["op"].as_str().unwrap() {
            "create_role" => assert_eq!(c["name"], "Integration"),
            "grant" => {
                let h = &c["holder"];
                assert!(
                    h["type"] == "projectRole"
                        || (h["type"] == "user" && h["parameter"] == "alice"),
                    "{c}"
                );
                assert!(WATCHED[..2].contains(&c["permission"].as_str().unwrap()));
            }
            "add_role_actor" => assert_eq!(c["user"], "alice"),
            other => panic!("unexpected op {other}"),
        }
    }
}

fn triples(v: &Value) -> Truth {
    v.as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["user"].as_str().unwrap().to_string(),
                t["project"].as_str().unwrap().to_string(),
                t["permission"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn fix_yes_and_undo_on_2000_projects_gain_exactly_the_truth_diff() {
    let sim = Sim::start(SimConfig {
        projects: 2000,
        seed: 7,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    sim.add_broad_users(300);
    let cli = Cli::new(&sim);
    let before: Truth = sim.truth(&WATCHED);
    let roles_before = sim.role_names();

    // Usage: --admin is required (exit 2), nothing changed.
    let (code, _, _) = cli.run(&["fix", "alice", "--yes"]).await;
    assert_eq!(code, 2);
    // A non-admin --admin: exit 3, nothing changed.
    let (code, _, err) = cli.run(&["fix", "alice", "--admin", "bob", "--yes"]).await;
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("nothing changed"), "{err}");
    assert_eq!(sim.truth(&WATCHED), before);
    // Not on a terminal and no --yes: refuse (exit 2), nothing changed.
    let (code, _, err) = cli.run(&["fix", "alice", "--admin", "admin"]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--yes"), "{err}");

    // --dry-run: the plan as REST calls with exact gains, nothing changed, exit 1 (still missing).
    let (code, out, err) = cli
        .run(&["fix", "alice", "--admin", "admin", "--dry-run"])
        .await;
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("POST /rest/api/2/permissionscheme/"), "{out}");
    assert!(out.contains("nobody else gains anything"), "{out}");
    assert!(out.contains("dry run: nothing changed"), "{out}");
    assert_eq!(sim.truth(&WATCHED), before);
    assert_eq!(sim.role_names(), roles_before);

    // One invisible project on a scheme shared by ~200 others: a dedicated role, created, granted
    // exactly the missing permissions and holding alice in OPS alone; undo restores everything.
    let (code, out, err) = cli
        .run(&[
            "fix",
            "alice",
            "--admin",
            "admin",
            "--project",
            "OPS",
            "--yes",
            "--format",
            "json",
        ])
        .await;
    assert_eq!(code, 0, "{err}\n{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let ops: Vec<&str> = v["plan"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["op"].as_str().unwrap())
        .collect();
    assert_eq!(
        ops,
        ["create_role", "grant", "grant", "add_role_actor"],
        "{out}"
    );
    check_changes(&v["plan"]);
    let diff: Truth = sim.truth(&WATCHED).difference(&before).cloned().collect();
    let want: Truth = ["BROWSE_PROJECTS", "CREATE_ISSUES"]
        .iter()
        .map(|p| ("alice".to_string(), "OPS".to_string(), p.to_string()))
        .collect();
    assert_eq!(diff, want);
    assert_eq!(triples(&v["plan"]["gains"]["triples"]), want);
    assert!(sim.role_names().iter().any(|r| r == "Integration"));
    let id = v["journal"].as_str().unwrap().to_string();
    let (code, _, err) = cli
        .run(&["fix", "--undo", &id, "--admin", "admin", "--yes"])
        .await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(sim.truth(&WATCHED), before);
    assert_eq!(sim.role_names(), roles_before);

    // --yes: applied; the JSON plan's gains are exactly the truth diff, all alice's, and exactly
    // what was missing (a dedicated role is allowed).
    let (code, out, err) = cli
        .run(&[
            "fix", "alice", "--admin", "admin", "--yes", "--format", "json",
        ])
        .await;
    assert_eq!(code, 0, "{err}\n{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["applied"], true);
    let plan = &v["plan"];
    assert_eq!(plan["admin_class"], false);
    // Where alice misses a permission in every project of a scheme, a grant to alice in that
    // scheme gains exactly what is missing in one change; elsewhere a dedicated role. Never a group.
    check_changes(plan);
    let stated = triples(&plan["gains"]["triples"]);
    assert_eq!(
        plan["gains"]["count"].as_u64().unwrap() as usize,
        stated.len()
    );
    let after = sim.truth(&WATCHED);
    let diff: Truth = after.difference(&before).cloned().collect();
    assert!(before.is_subset(&after), "a fix only adds");
    assert_eq!(stated, diff, "printed gains == simulator truth diff");
    assert!(!diff.is_empty());
    assert!(
        diff.iter().all(|(u, _, _)| u == "alice"),
        "nobody but alice gains"
    );
    assert_eq!(
        stated,
        triples(&plan["missing"]),
        "gains == what was missing"
    );
    let id = v["journal"].as_str().unwrap().to_string();
    assert!(
        err.contains(&format!("undo: jiralink fix --undo {id}")),
        "{err}"
    );
    // The journal: JSON, 0600.
    let path = cli.journal_dir().join(format!("{id}.json"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let j: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(
        j["applied"].as_array().unwrap().len(),
        plan["changes"].as_array().unwrap().len()
    );

    // Fixed: a second run finds nothing to fix.
    let (code, out, _) = cli
        .run(&["fix", "alice", "--admin", "admin", "--yes"])
        .await;
    assert_eq!(code, 0);
    assert!(out.contains("nothing to fix"), "{out}");

    // --undo: the truth is exactly as before, the role is gone.
    let (code, out, err) = cli
        .run(&["fix", "--undo", &id, "--admin", "admin", "--yes"])
        .await;
    assert_eq!(code, 0, "{err}\n{out}");
    assert!(out.contains(&format!("undone: journal {id}")), "{out}");
    assert_eq!(sim.truth(&WATCHED), before);
    assert_eq!(sim.role_names(), roles_before);
    // Undoing again changes nothing; an unknown id is a usage error.
    let (code, out, _) = cli
        .run(&["fix", "--undo", &id, "--admin", "admin", "--yes"])
        .await;
    assert_eq!(code, 0);
    assert!(out.contains("nothing left to undo"), "{out}");
    let (code, _, err) = cli
        .run(&[
            "fix",
            "--undo",
            "20000101T000000Z-0000",
            "--admin",
            "admin",
            "--yes",
        ])
        .await;
    assert_eq!(code, 2, "{err}");
}

/// A failure half-way through `--yes` rolls back what was applied: Jira is as it was, exit 3.
#[tokio::test]
async fn a_failure_half_way_rolls_back() {
    let sim = Sim::start(SimConfig {
        projects: 60,
        seed: 42,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    sim.add_broad_users(20);
    let cli = Cli::new(&sim);
    let before = sim.truth(&WATCHED);
    let roles_before = sim.role_names();
    // The first two writes succeed; the next answers 500.
    sim.fail_write_after(Some(2));
    let (code, _, err) = cli
        .run(&["fix", "alice", "--admin", "admin", "--yes"])
        .await;
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("rolled back"), "{err}");
    sim.fail_write_after(None);
    assert_eq!(sim.truth(&WATCHED), before);
    assert_eq!(sim.role_names(), roles_before);
    // OPS gets a dedicated role: created, granted, then the second grant fails. Progress names
    // the role created in this run with its id, not a placeholder.
    sim.fail_write_after(Some(2));
    let (code, _, err) = cli
        .run(&[
            "fix",
            "alice",
            "--admin",
            "admin",
            "--project",
            "OPS",
            "--yes",
        ])
        .await;
    sim.fail_write_after(None);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("[1/4] POST /rest/api/2/role "), "{err}");
    let second = err
        .lines()
        .find(|l| l.starts_with("[2/4]"))
        .unwrap_or_default();
    assert!(second.ends_with("(role Integration)"), "{err}");
    assert!(!second.contains("<id of"), "{err}");
    assert!(err.contains("rolled back"), "{err}");
    assert_eq!(sim.truth(&WATCHED), before);
    assert_eq!(sim.role_names(), roles_before);
}

/// Figures for the benchmark: planning for 2,000 projects with 10,000 users in broad
/// groups, as a ratio of the admin-assisted audit alone (target ≤ 2×). In-process, loopback,
/// median of 3; `cargo test --release --test fix_cli -- --ignored --nocapture planning_time`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a check: run it on purpose"]
async fn planning_time_vs_the_audit_alone() {
    use jiralink::audit::{self, fix, AuditRequest};
    use jiralink::jira::{Auth, ClientOptions, JiraClient};
    let sim = Sim::start(SimConfig {
        projects: 2000,
        seed: 7,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    // JIRALINK_BENCH_USERS scales the broad groups down for a quick look (default: the 10,000).
    let users = std::env::var("JIRALINK_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000usize);
    sim.add_broad_users(users);
    let mut o = ClientOptions::new(
        sim.base_url().clone(),
        Auth::Basic {
            username: "admin".into(),
            password: secrecy::SecretString::from(sim.password("admin").unwrap()),
        },
    );
    o.timeout = Duration::from_secs(60);
    let admin = JiraClient::new(o).unwrap();
    let req = || {
        let mut r = AuditRequest::new("bench+admin");
        r.admin = Some(admin.clone());
        r.username = Some("alice".into());
        r.required = vec!["BROWSE_PROJECTS".into(), "CREATE_ISSUES".into()];
        r.concurrency = 8;
        r
    };
    let opts = fix::FixOptions::default();
    let (mut audits, mut plans, mut recorded) = (Vec::new(), Vec::new(), Vec::new());
    let mut last = None;
    for i in 0..3 {
        // The audit alone, as `jiralink audit --admin` runs it.
        let t = std::time::Instant::now();
        let report = audit::run(req(), |_| {}).await.unwrap();
        let a = t.elapsed();
        // `jiralink fix`: the same audit with its reads kept, then gather and plan.
        let t = std::time::Instant::now();
        let (report2, recorder) = fix::audit_recorded(req(), |_| {}).await.unwrap();
        let r = t.elapsed();
        assert_eq!(report2.summary, report.summary);
        let recorder = recorder.unwrap();
        let t = std::time::Instant::now();
        let snap = fix::gather(&report2, &recorder, &opts, 8).await.unwrap();
        let g = t.elapsed();
        let plan = fix::plan(&snap, &opts);
        let p = t.elapsed();
        println!(
            "run {i}: audit {:.0} ms (recording {:.0} ms), planning {:.0} ms (gather {:.0} ms, plan {:.0} ms), planning ÷ audit = {:.2}",
            a.as_secs_f64() * 1e3,
            r.as_secs_f64() * 1e3,
            p.as_secs_f64() * 1e3,
            g.as_secs_f64() * 1e3,
            (p - g).as_secs_f64() * 1e3,
            p.as_secs_f64() / a.as_secs_f64()
        );
        audits.push(a.as_secs_f64());
        plans.push(p.as_secs_f64());
        recorded.push(r.as_secs_f64());
        last = Some((
            report.requests,
            snap.requests,
            plan.missing.len(),
            plan.gains.count,
        ));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    };
    let (a, p, r) = (
        median(&mut audits),
        median(&mut plans),
        median(&mut recorded),
    );
    let (areq, preq, missing, gains) = last.unwrap();
    println!(
        "2000 projects, {users} broad users: audit {:.0} ms ({areq} requests); planning (gather + plan) {:.0} ms ({preq} requests); missing {missing}, gains {gains}; planning ÷ audit = {:.2}; fix as a whole (recording audit {:.0} ms + planning) ÷ audit = {:.2}",
        a * 1e3,
        p * 1e3,
        p / a,
        r * 1e3,
        (r + p) / a
    );
}
