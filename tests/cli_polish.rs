//! What users expect around the core, run as the real binary: completions and man pages for every
//! shell and subcommand, `--version`, JSON output that matches `docs/json.md` field for field, and
//! no colour escapes in pipes or under `NO_COLOR`.

use assert_cmd::Command;
use jiralink::cli::info::PROXY_VARS;
use jiralink::sim::{Sim, SimConfig};
use predicates::prelude::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;

const ESC: u8 = 0x1b;

/// A private config/data/state dir per test, and nothing inherited that changes output.
struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn config(&self) -> PathBuf {
        self.dir.path().join("conf/config.toml")
    }
    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("jiralink").unwrap();
        c.env("JIRALINK_CONFIG", self.config())
            .env("JIRALINK_DATA", self.dir.path().join("data"))
            .env("JIRALINK_STATE", self.dir.path().join("state"))
            .env("LANG", "C.UTF-8")
            .env_remove("LC_ALL")
            .env_remove("LC_CTYPE")
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE");
        for v in PROXY_VARS {
            c.env_remove(v);
        }
        c
    }
    fn write_config(&self, text: &str) {
        std::fs::create_dir_all(self.config().parent().unwrap()).unwrap();
        std::fs::write(self.config(), text).unwrap();
    }
    fn stdout(&self, args: &[&str]) -> Vec<u8> {
        self.cmd().args(args).output().unwrap().stdout
    }
    fn json(&self, args: &[&str]) -> Value {
        let out = self.stdout(args);
        serde_json::from_slice(&out).unwrap_or_else(|e| {
            panic!(
                "{args:?} is not JSON ({e}):\n{}",
                String::from_utf8_lossy(&out)
            )
        })
    }
}

/// A config with one good connection to `base` (password from `SIM_PW`), one that is refused at
/// once, and one that fails validation.
fn sim_config(base: &str) -> String {
    format!(
        r#"[[connection]]
name = "sim"
url = "{base}"
auth = "basic"
username = "alice"
password = {{ env = "SIM_PW" }}

[[connection]]
name = "admin"
url = "{base}"
auth = "basic"
username = "admin"
password = {{ env = "SIM_ADMIN_PW" }}

[[connection]]
name = "down"
url = "http://127.0.0.1:1/jira"
auth = "pat"
token = {{ env = "SIM_PW" }}
"#
    )
}

const INVALID_ENTRY: &str = "\n[[connection]]\nname = \"bad\"\nurl = \"https://b.example\"\nauth = \"pat\"\ntokn = { env = \"T\" }\n";

/// The example JSON documented in docs/json.md under `<!-- shape: NAME -->`.
fn documented(name: &str) -> Value {
    let doc = include_str!("../docs/json.md");
    let marker = format!("<!-- shape: {name} -->\n```json\n");
    let start = doc
        .find(&marker)
        .unwrap_or_else(|| panic!("docs/json.md has no example for {name}"))
        + marker.len();
    let end = start + doc[start..].find("\n```").unwrap();
    serde_json::from_str(&doc[start..end]).unwrap()
}

/// Maps whose keys are data (env var names, secret fields, permission keys, scheme ids), not
/// field names.
const DATA_KEYED: [&str; 4] = ["env_proxies", "secrets", "permissions", "schemes"];

/// Merge the documented examples of an array into one: nulls are filled by any non-null example.
fn merge(a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Null, x) | (x, Value::Null) => x.clone(),
        (Value::Object(x), Value::Object(y)) => {
            let mut m = x.clone();
            for (k, v) in y {
                let merged = m.get(k).map_or_else(|| v.clone(), |old| merge(old, v));
                m.insert(k.clone(), merged);
            }
            Value::Object(m)
        }
        (Value::Array(x), Value::Array(y)) => {
            Value::Array(x.iter().chain(y.iter()).cloned().collect())
        }
        (x, _) => x.clone(),
    }
}

/// Check that `real` has exactly the documented fields, with the documented kinds of values.
/// `null` on either side matches anything (optional values); arrays compare every real element
/// with the merged documented elements.
fn same_shape(doc: &Value, real: &Value, path: &str, errors: &mut Vec<String>) {
    match (doc, real) {
        (Value::Null, _) | (_, Value::Null) => {}
        (Value::Object(d), Value::Object(r)) => {
            let key = path.rsplit('.').next().unwrap_or_default();
            if DATA_KEYED.contains(&key) {
                let kinds = d.values().chain(r.values());
                let kinds: BTreeSet<&str> = kinds.map(kind).filter(|k| *k != "null").collect();
                if kinds.len() > 1 {
                    errors.push(format!("{path}: values of mixed kinds {kinds:?}"));
                }
                // Records under data keys (a scheme per id) still have documented fields.
                let docs: Vec<&Value> = d.values().filter(|v| v.is_object()).collect();
                if let Some((first, rest)) = docs.split_first() {
                    let merged = rest.iter().fold((*first).clone(), |a, b| merge(&a, b));
                    for (k, v) in r {
                        same_shape(&merged, v, &format!("{path}.{k}"), errors);
                    }
                }
                return;
            }
            let dk: BTreeSet<&String> = d.keys().collect();
            let rk: BTreeSet<&String> = r.keys().collect();
            for k in dk.difference(&rk) {
                errors.push(format!("{path}.{k}: documented but missing"));
            }
            for k in rk.difference(&dk) {
                errors.push(format!("{path}.{k}: present but not documented"));
            }
            for k in dk.intersection(&rk) {
                same_shape(&d[*k], &r[*k], &format!("{path}.{k}"), errors);
            }
        }
        (Value::Array(d), Value::Array(r)) => {
            let Some(first) = d.first() else { return };
            let merged = d.iter().skip(1).fold(first.clone(), |a, b| merge(&a, b));
            for (i, item) in r.iter().enumerate() {
                same_shape(&merged, item, &format!("{path}[{i}]"), errors);
            }
        }
        (d, r) if kind(d) != kind(r) => {
            errors.push(format!("{path}: documented {}, got {}", kind(d), kind(r)))
        }
        _ => {}
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn assert_documented(name: &str, real: &Value) {
    let mut errors = Vec::new();
    same_shape(&documented(name), real, name, &mut errors);
    assert!(
        errors.is_empty(),
        "`{name}` output differs from docs/json.md:\n{}\n\nreal output:\n{real:#}",
        errors.join("\n")
    );
}

#[test]
fn shape_check_catches_drift() {
    // The comparison itself must be able to fail, or the tests below prove nothing.
    let doc = serde_json::json!({"a": 1, "b": {"c": "x"}, "l": [{"n": null}, {"n": "s"}]});
    let mut e = Vec::new();
    same_shape(
        &doc,
        &serde_json::json!({"a": 1, "b": {"c": "x"}, "l": [{"n": "t"}]}),
        "t",
        &mut e,
    );
    assert!(e.is_empty(), "{e:?}");
    same_shape(
        &doc,
        &serde_json::json!({"a": "1", "b": {"d": "x"}, "l": [{"n": 3}], "z": 0}),
        "t",
        &mut e,
    );
    assert_eq!(e.len(), 5, "{e:?}");
    // Records under data keys: any key, but the documented fields.
    let doc = serde_json::json!({"schemes": {"1": {"name": "x", "projects": ["A"]}}});
    let mut e = Vec::new();
    same_shape(
        &doc,
        &serde_json::json!({"schemes": {"7": {"name": "y", "projects": []}}}),
        "t",
        &mut e,
    );
    assert!(e.is_empty(), "{e:?}");
    same_shape(
        &doc,
        &serde_json::json!({"schemes": {"7": {"name": "y", "projects": 3, "extra": 1}}}),
        "t",
        &mut e,
    );
    assert_eq!(e.len(), 2, "{e:?}");
}

#[test]
fn completions_for_every_shell() {
    let e = Env::new();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = e.cmd().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}: {out:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("jiralink") && text.contains("connections") && text.len() > 500,
            "{shell}: {text}"
        );
    }
    e.cmd()
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("possible values"));
}

#[test]
fn man_page_to_stdout_and_one_per_subcommand() {
    let e = Env::new();
    e.cmd().arg("man").assert().success().stdout(
        predicate::str::contains(".TH jiralink 1")
            .and(predicate::str::contains(".SH SUBCOMMANDS"))
            .and(predicate::str::contains(".SH EXIT STATUS"))
            .and(predicate::str::contains("NO_COLOR")),
    );
    let out = e.dir.path().join("man");
    e.cmd().args(["man", "--out"]).arg(&out).assert().success();
    for page in [
        "jiralink.1",
        "jiralink-check.1",
        "jiralink-audit.1",
        "jiralink-connections-list.1",
        "jiralink-completions.1",
    ] {
        let text =
            std::fs::read_to_string(out.join(page)).unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.contains(".SH SYNOPSIS"), "{page}");
    }
}

#[test]
fn version_names_version_commit_and_paths() {
    let e = Env::new();
    e.cmd().arg("--version").assert().success().stdout(
        predicate::str::contains(concat!("jiralink ", env!("CARGO_PKG_VERSION"), " (commit "))
            .and(predicate::str::contains(e.config().display().to_string()))
            .and(predicate::str::contains(
                e.dir
                    .path()
                    .join("state/jiralink.log")
                    .display()
                    .to_string(),
            )),
    );
    e.cmd()
        .arg("-V")
        .assert()
        .success()
        .stdout(predicate::str::contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn connections_list_json_and_csv_match_the_docs() {
    let e = Env::new();
    e.write_config(&(sim_config("http://127.0.0.1:9/jira") + INVALID_ENTRY));
    let v = e.json(&["connections", "list", "--format", "json"]);
    assert_documented("connections", &v);
    assert_eq!(v.as_array().unwrap().len(), 4);
    assert_eq!(v[3]["valid"], false);
    let csv = String::from_utf8(e.stdout(&["connections", "list", "--format", "csv"])).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("name,url,auth,user,flavor,secrets,valid,error")
    );
    assert_eq!(
        lines.next(),
        Some("sim,http://127.0.0.1:9/jira,basic,alice,server,password=env:SIM_PW,true,")
    );
}

#[test]
fn info_json_matches_the_docs() {
    let e = Env::new();
    e.write_config(&sim_config("https://jira.example.com/jira"));
    let v = {
        let mut c = e.cmd();
        c.args(["info", "--format", "json"])
            .env("HTTPS_PROXY", "http://ops:pw-secret@proxy.corp:3128");
        let out = c.output().unwrap();
        assert!(out.status.success());
        assert!(!String::from_utf8_lossy(&out.stdout).contains("pw-secret"));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    assert_documented("info", &v);
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["config"]["connections"], 3);
    assert_eq!(v["terminal"]["stdout_tty"], false);
    assert_eq!(v["terminal"]["color"], false);
    assert_eq!(
        v["network"]["env_proxies"]["HTTPS_PROXY"],
        "http://ops:***@proxy.corp:3128/"
    );
}

/// A simulator plus an environment whose config points at it.
struct SimEnv {
    env: Env,
    alice_pw: String,
    admin_pw: String,
    sim: Sim,
}

impl SimEnv {
    async fn start() -> SimEnv {
        let sim = Sim::start(SimConfig {
            projects: 6,
            ..SimConfig::default()
        })
        .await
        .unwrap();
        let env = Env::new();
        env.write_config(&sim_config(sim.base_url().as_str()));
        SimEnv {
            env,
            alice_pw: sim.password("alice").unwrap(),
            admin_pw: sim.password("admin").unwrap(),
            sim,
        }
    }

    fn cmd(&self) -> Command {
        let mut c = self.env.cmd();
        c.env("SIM_PW", &self.alice_pw)
            .env("SIM_ADMIN_PW", &self.admin_pw);
        c
    }

    /// Run the binary off the async threads, so the simulator keeps answering meanwhile.
    async fn run(&self, args: &[&str], extra_env: &[(&str, &str)]) -> std::process::Output {
        let mut c = self.cmd();
        c.args(args);
        for (k, v) in extra_env {
            c.env(k, v);
        }
        tokio::task::spawn_blocking(move || c.output().unwrap())
            .await
            .unwrap()
    }

    async fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args, &[]).await;
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{args:?} is not JSON ({e}):\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_json_csv_and_alias_match_the_docs() {
    let s = SimEnv::start().await;
    let v = s.json(&["check", "sim", "down", "--format", "json"]).await;
    assert_documented("check", &v);
    let conns = v["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 2);
    assert_eq!(conns[0]["ok"], true, "{v:#}");
    assert_eq!(conns[1]["ok"], false, "{v:#}");
    assert!(conns[1]["diagnosis"]["code"].is_string(), "{v:#}");

    // `--json` is the same document.
    let alias = s.json(&["check", "sim", "--json"]).await;
    assert_documented("check", &alias);
    assert_eq!(alias["connections"][0]["name"], "sim");
    let both = s.run(&["check", "--json", "--format", "table"], &[]).await;
    assert_eq!(both.status.code(), Some(2));

    let out = s
        .run(&["check", "sim", "down", "--format", "csv"], &[])
        .await;
    assert_eq!(out.status.code(), Some(1));
    let csv = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "name,url,status,server_version,deployment_type,user,clock_skew_secs,code,summary,fix,warnings"
    );
    assert!(
        lines[1].starts_with("sim,") && lines[1].contains(",ok,9.12.3,"),
        "{csv}"
    );
    assert!(
        lines[2].starts_with("down,") && lines[2].contains(",error,"),
        "{csv}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_json_matches_the_docs() {
    let s = SimEnv::start().await;
    let v = s
        .json(&[
            "audit", "--admin", "admin", "--user", "bob", "--format", "json",
        ])
        .await;
    assert_documented("audit", &v);
    let v = s.json(&["audit", "sim", "--format", "json"]).await;
    assert_documented("audit", &v);
}

/// A Generic Application link made through REST as the admin with incoming OAuth 1.0a switched
/// on and no consumer registered (what an interrupted admin script leaves): the flagged case.
async fn half_made_link(base: &str, admin_pw: &str) {
    let http = reqwest::Client::new();
    let base = base.trim_end_matches('/');
    let created = http
        .put(format!("{base}/rest/applinks/3.0/applicationlink"))
        .basic_auth("admin", Some(admin_pw))
        .header("Accept", "application/json")
        .json(&serde_json::json!({"name": "Half-made", "rpcUrl": "https://half.example.com", "displayUrl": "https://half.example.com", "typeId": "generic"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let v: Value = created.json().await.unwrap();
    let href = v["resources-created"][0]["href"].as_str().unwrap();
    let id = href.rsplit('/').next().unwrap();
    let put = http
        .put(format!("{base}/rest/applinks/3.0/status/{id}/oauth"))
        .basic_auth("admin", Some(admin_pw))
        .json(&serde_json::json!({"incoming": {"enabled": true, "twoLoEnabled": false, "twoLoImpersonationEnabled": false}}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 204);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_json_matches_the_docs() {
    let s = SimEnv::start().await;
    // One OAuth 2.0 incoming link used by a connection, one connection whose client is gone, and
    // a link flagged for OAuth on with no consumer: every part of the report has a value.
    let ci = s
        .sim
        .oauth2()
        .create_client("CI bot", &["https://ci.example.com/cb".into()], "WRITE")
        .unwrap();
    half_made_link(s.sim.base_url().as_str(), &s.admin_pw).await;
    let base = s.sim.base_url().to_string();
    let mut text = std::fs::read_to_string(s.env.config()).unwrap();
    for (name, id) in [("ci", ci.id.as_str()), ("gone", "a-deleted-client-id")] {
        text += &format!(
            "\n[[connection]]\nname = \"{name}\"\nurl = \"{base}\"\nauth = \"oauth2\"\nclient_id = \"{id}\"\nclient_secret = {{ env = \"SIM_PW\" }}\nredirect_uri = \"https://ci.example.com/cb\"\nscopes = [\"WRITE\"]\n"
        );
    }
    s.env.write_config(&text);
    let out = s.run(&["links", "admin", "--format", "json"], &[]).await;
    // A flagged link: exit 1.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_documented("links", &v);
    let flagged = v["links"].as_array().unwrap().iter();
    assert_eq!(
        flagged
            .filter(|l| l["missing_consumer"].is_object())
            .count(),
        1,
        "{v:#}"
    );
    assert!(
        v["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["migrate_to_oauth2"].is_object()),
        "{v:#}"
    );
    assert_eq!(v["oauth2_clients"][0]["connections"][0], "ci", "{v:#}");
    assert_eq!(v["unmatched_oauth2_connections"][0], "gone", "{v:#}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&ci.secret));
    // Not an administrator: the links cannot be listed (3), nothing on stdout.
    let out = s.run(&["links", "sim", "--format", "json"], &[]).await;
    assert_eq!(out.status.code(), Some(3));
    assert!(out.stdout.is_empty());
}

fn has_esc(bytes: &[u8]) -> bool {
    bytes.contains(&ESC)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_colour_escapes_in_pipes_or_under_no_color() {
    let s = SimEnv::start().await;
    let mut text = std::fs::read_to_string(s.env.config()).unwrap();
    text += INVALID_ENTRY; // the table paints invalid entries red when colour is on
    s.env.write_config(&text);
    let commands: [&[&str]; 6] = [
        &["check", "sim", "down"],
        &["connections", "list"],
        &["info"],
        &["audit", "--admin", "admin", "--user", "bob"],
        &["--help"],
        &["check", "--nonsense"],
    ];
    for args in commands {
        // stdout is a pipe here: never colour, with or without NO_COLOR.
        for env in [&[][..], &[("NO_COLOR", "1")][..]] {
            let out = s.run(args, env).await;
            assert!(
                !has_esc(&out.stdout) && !has_esc(&out.stderr),
                "{args:?} {env:?}:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    // `--color always` is an explicit request and wins over NO_COLOR (https://no-color.org):
    // this also proves the checks above could see colour if there were any.
    for args in [
        &["--color", "always", "check", "sim", "down"][..],
        &["--color=always", "connections", "list"][..],
        &["--color", "always", "--help"][..],
    ] {
        let out = s.run(args, &[("NO_COLOR", "1")]).await;
        assert!(
            has_esc(&out.stdout),
            "{args:?}: no colour:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
        let out = s.run(&args_with_never(args), &[]).await;
        assert!(!has_esc(&out.stdout), "{args:?} with --color never");
    }
}

fn args_with_never<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut v: Vec<&str> = args
        .iter()
        .filter(|a| **a != "always" && **a != "--color" && **a != "--color=always")
        .copied()
        .collect();
    v.insert(0, "--color=never");
    v
}

/// Set to skip the tests that need util-linux `script` for a pty (they fail without it, so a
/// missing tool can never pass for a checked terminal).
const SKIP_PTY_ENV: &str = "JIRALINK_TEST_SKIP_PTY";

/// On a real terminal colour is on by default and `NO_COLOR` turns it off. A pty comes from
/// util-linux `script`: without it the test fails, unless `JIRALINK_TEST_SKIP_PTY=1` skips it
/// on purpose (said on stderr).
#[test]
fn no_color_on_a_terminal() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os(SKIP_PTY_ENV).is_some(),
            "util-linux `script` is not installed, so there is no pty to test colour on: \
             install util-linux, or set {SKIP_PTY_ENV}=1 to skip this test on purpose"
        );
        eprintln!("SKIPPED on purpose ({SKIP_PTY_ENV}): no util-linux `script`");
        return;
    }
    let e = Env::new();
    e.write_config(&(sim_config("http://127.0.0.1:9/jira") + INVALID_ENTRY));
    let bin = assert_cmd::cargo::cargo_bin("jiralink");
    let run = |no_color: bool| {
        let mut c = std::process::Command::new("script");
        c.args(["-qec"])
            .arg(format!("{} connections list", bin.display()))
            .arg("/dev/null")
            .env("JIRALINK_CONFIG", e.config())
            .env("JIRALINK_STATE", e.dir.path().join("state"))
            .env("TERM", "xterm-256color");
        if no_color {
            c.env("NO_COLOR", "1");
        } else {
            c.env_remove("NO_COLOR");
        }
        c.output().unwrap().stdout
    };
    let tty = run(false);
    assert!(
        String::from_utf8_lossy(&tty).contains("INVALID"),
        "{}",
        String::from_utf8_lossy(&tty)
    );
    assert!(has_esc(&tty), "a terminal gets colour by default");
    assert!(!has_esc(&run(true)), "NO_COLOR on a terminal");
}
