//! `--format prometheus` of `jiralink audit` and `jiralink check`, run as a user would against the
//! simulator over loopback: the output parses with an independent OpenMetrics / Prometheus text
//! parser (the `openmetrics-parser` crate, both grammars), every value agrees with the JSON report
//! of the same run, `--out` writes the file atomically with mode 0600, a failed audit still writes
//! `jiralink_audit_up 0`, and `docs/metrics.md` lists exactly the metrics the code writes. Also
//! `audit --max-rate`, which paces the run and says so.

use jiralink::jira::{Code, Diagnosis};
use jiralink::metrics::prometheus::METRICS;
use jiralink::sim::{Sim, SimConfig};
use openmetrics_parser::{OpenMetricsValue, PrometheusValue};
use serde_json::Value;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

/// (metric, sorted labels) → value.
type Samples = BTreeMap<(String, Vec<(String, String)>), f64>;

/// Parse with both grammars; they must agree on every sample.
fn parse(text: &str) -> Samples {
    let om = openmetrics_parser::openmetrics::parse_openmetrics(text)
        .unwrap_or_else(|e| panic!("not OpenMetrics: {e:?}\n{text}"));
    let prom = openmetrics_parser::prometheus::parse_prometheus(text)
        .unwrap_or_else(|e| panic!("not Prometheus text: {e:?}\n{text}"));
    let mut a = Samples::new();
    for (name, fam) in &om.families {
        for s in fam.iter_samples() {
            let v = match &s.value {
                OpenMetricsValue::Gauge(n) => n.as_f64(),
                other => panic!("{name}: not a gauge: {other:?}"),
            };
            a.insert((name.clone(), labels(&s.get_labelset().unwrap())), v);
        }
    }
    let mut b = Samples::new();
    for (name, fam) in &prom.families {
        for s in fam.iter_samples() {
            let v = match &s.value {
                PrometheusValue::Gauge(n) => n.as_f64(),
                other => panic!("{name}: not a gauge: {other:?}"),
            };
            b.insert((name.clone(), labels(&s.get_labelset().unwrap())), v);
        }
    }
    assert_eq!(a, b, "the two grammars read different samples");
    a
}

fn labels(ls: &openmetrics_parser::LabelSet<'_>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = ls.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    v.sort();
    v
}

fn get(s: &Samples, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut l: Vec<(String, String)> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    l.sort();
    s.get(&(name.to_string(), l)).copied()
}

/// A config with one Basic connection per simulator user, plus `extra` TOML.
struct Cli {
    dir: tempfile::TempDir,
    passwords: Vec<(String, String)>,
}

impl Cli {
    fn new(sim: &Sim, extra: &str) -> Cli {
        let dir = tempfile::tempdir().unwrap();
        let mut toml = String::from("[defaults]\nconcurrency = 4\n");
        let mut passwords = Vec::new();
        for user in ["admin", "alice"] {
            let var = format!("JIRALINK_TEST_PW_{}", user.to_uppercase());
            toml.push_str(&format!(
                "\n[[connection]]\nname = \"{user}\"\nurl = \"{}\"\nauth = \"basic\"\nusername = \"{user}\"\npassword = {{ env = \"{var}\" }}\n",
                sim.base_url()
            ));
            passwords.push((var, sim.password(user).unwrap()));
        }
        toml.push_str(extra);
        std::fs::write(dir.path().join("config.toml"), toml).unwrap();
        Cli { dir, passwords }
    }

    /// Run jiralink off the test's runtime thread (the simulator lives on it).
    async fn run(&self, args: &[&str]) -> (i32, String, String) {
        let mut c = Command::new(env!("CARGO_BIN_EXE_jiralink"));
        c.args(args)
            .env("JIRALINK_CONFIG", self.dir.path().join("config.toml"))
            .env("JIRALINK_DATA", self.dir.path().join("data"))
            .env("JIRALINK_STATE", self.dir.path().join("state"))
            .env("HOME", self.dir.path())
            .stdin(Stdio::null());
        for (k, v) in &self.passwords {
            c.env(k, v);
        }
        let out = tokio::task::spawn_blocking(move || c.output().unwrap())
            .await
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_metrics_parse_and_match_the_json_report() {
    let sim = Sim::start(SimConfig {
        projects: 40,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let cli = Cli::new(&sim, "");
    let require = "--require=BROWSE_PROJECTS,CREATE_ISSUES,EDIT_ISSUES";
    let (code, json, err) = cli
        .run(&[
            "audit", "--admin", "admin", "--user", "alice", require, "--format", "json",
        ])
        .await;
    assert!(code <= 1, "{err}");
    let report: Value = serde_json::from_str(&json).unwrap();

    let textfiles = cli.dir.path().join("textfile");
    std::fs::create_dir(&textfiles).unwrap();
    let prom = textfiles.join("jiralink.prom");
    let prom_arg = prom.to_str().unwrap();
    let (code2, out, err) = cli
        .run(&[
            "audit",
            "--admin",
            "admin",
            "--user",
            "alice",
            require,
            "--format",
            "prometheus",
            "--out",
            prom_arg,
        ])
        .await;
    assert_eq!(code2, code, "{err}");
    assert_eq!(out, "", "--out leaves stdout empty");
    // One file, no temporary left behind, readable by its owner only.
    assert_eq!(files_in(&textfiles), vec!["jiralink.prom".to_string()]);
    let mode = std::fs::metadata(&prom).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&prom).unwrap();
    assert!(text.ends_with("# EOF\n"));
    let s = parse(&text);

    let conn = report["connection"].as_str().unwrap();
    assert_eq!(conn, "admin");
    let rows = report["projects"].as_array().unwrap();
    assert_eq!(rows.len(), 40);
    let mut held = 0;
    for row in rows {
        let key = row["key"].as_str().unwrap();
        let ok = get(
            &s,
            "jiralink_project_ok",
            &[("connection", conn), ("project", key)],
        );
        assert_eq!(
            ok,
            Some(f64::from(u8::from(row["ok"].as_bool().unwrap()))),
            "{key}"
        );
        let visible = get(
            &s,
            "jiralink_project_visible",
            &[("connection", conn), ("project", key)],
        );
        assert_eq!(
            visible,
            Some(f64::from(u8::from(row["visible"].as_bool().unwrap())))
        );
        for (perm, v) in row["permissions"].as_object().unwrap() {
            let m = get(
                &s,
                "jiralink_permission_ok",
                &[("connection", conn), ("project", key), ("permission", perm)],
            );
            assert_eq!(
                m,
                Some(f64::from(u8::from(v.as_bool().unwrap()))),
                "{key} {perm}"
            );
            held += usize::from(v.as_bool().unwrap());
        }
    }
    // The world has both answers, so a constant output could not pass.
    assert!(held > 0 && held < rows.len() * 3, "held {held}");
    for status in ["ok", "missing", "invisible", "error"] {
        let field = if status == "error" { "errors" } else { status };
        assert_eq!(
            get(
                &s,
                "jiralink_audit_projects",
                &[("connection", conn), ("status", status)]
            ),
            report["summary"][field].as_f64(),
            "{status}"
        );
    }
    assert_eq!(
        get(
            &s,
            "jiralink_audit_up",
            &[("connection", conn), ("code", "ok")]
        ),
        Some(1.0)
    );
    let requests = get(&s, "jiralink_audit_requests", &[("connection", conn)]).unwrap();
    assert!(requests >= 40.0, "{requests}");
    let at = get(
        &s,
        "jiralink_audit_timestamp_seconds",
        &[("connection", conn)],
    )
    .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!((now - at).abs() < 300.0, "{at} vs {now}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_audit_still_writes_its_metrics() {
    let sim = Sim::start(SimConfig {
        projects: 5,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    // A connection whose password is wrong: the audit cannot run.
    let extra = format!(
        "\n[[connection]]\nname = \"wrong-pw\"\nurl = \"{}\"\nauth = \"basic\"\nusername = \"alice\"\npassword = \"not-the-password\"\n",
        sim.base_url()
    );
    let cli = Cli::new(&sim, &extra);
    let prom = cli.dir.path().join("audit.prom");
    let (code, _, err) = cli
        .run(&[
            "audit",
            "wrong-pw",
            "--format",
            "prometheus",
            "--out",
            prom.to_str().unwrap(),
        ])
        .await;
    assert_eq!(code, 3, "{err}");
    let s = parse(&std::fs::read_to_string(&prom).unwrap());
    let up: Vec<_> = s
        .iter()
        .filter(|((n, _), _)| n == "jiralink_audit_up")
        .collect();
    assert_eq!(up.len(), 1, "{s:?}");
    let ((_, labels), v) = up[0];
    assert_eq!(*v, 0.0);
    assert!(labels.contains(&("connection".into(), "wrong-pw".into())));
    let code_label = &labels.iter().find(|(k, _)| k == "code").unwrap().1;
    assert_ne!(code_label, "ok");
    assert!(!s.keys().any(|(n, _)| n == "jiralink_project_ok"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_metrics_give_status_code_and_known_expiry() {
    let sim = Sim::start(SimConfig {
        projects: 3,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let extra = format!(
        "\n[[connection]]\nname = \"broken\"\nurl = \"{}\"\nauth = \"basic\"\nusername = \"alice\"\npassword = \"not-the-password\"\n",
        sim.base_url()
    );
    let cli = Cli::new(&sim, &extra);
    let (code, out, err) = cli.run(&["check", "--format", "prometheus"]).await;
    assert_eq!(code, 1, "{err}");
    let s = parse(&out);
    assert_eq!(
        get(
            &s,
            "jiralink_connection_ok",
            &[("connection", "alice"), ("code", "ok")]
        ),
        Some(1.0)
    );
    let broken: Vec<_> = s
        .iter()
        .filter(|((n, l), _)| {
            n == "jiralink_connection_ok" && l.contains(&("connection".into(), "broken".into()))
        })
        .collect();
    assert_eq!(broken.len(), 1);
    assert_eq!(*broken[0].1, 0.0);
    assert!(broken[0].0 .1.iter().any(|(k, v)| k == "code" && v != "ok"));
    // No connection here has a token expiry: no sample, and no empty family either.
    assert!(!s
        .keys()
        .any(|(n, _)| n == "jiralink_credential_expiry_seconds"));
    assert!(!out.contains("jiralink_credential_expiry_seconds"));
}

#[test]
fn credential_expiry_is_written_where_the_config_knows_it() {
    // A failed result is the simplest to build; the expiry comes from the config either way.
    // A name no config allows, to hold the label escaping to the parser.
    let name = r#"oauth "x" \ y"#;
    let r = jiralink::check::CheckResult::failed(
        name,
        "https://jira.example.com",
        Diagnosis::error(Code::ConfigError, "x", "y", "z"),
    );
    let text = jiralink::metrics::prometheus::check(std::slice::from_ref(&r), &|name| {
        (name == r#"oauth "x" \ y"#).then(|| "2031-01-01T00:00:00Z".to_string())
    });
    let s = parse(&text);
    assert_eq!(
        get(
            &s,
            "jiralink_credential_expiry_seconds",
            &[("connection", name)]
        ),
        Some(1_924_992_000.0)
    );
}

#[test]
fn docs_list_every_metric_the_code_writes() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/metrics.md")).unwrap();
    let documented: Vec<&str> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("| `jiralink_"))
        .filter_map(|l| l.split('`').next())
        .collect();
    let code: Vec<String> = METRICS
        .iter()
        .map(|(n, _, _)| n.trim_start_matches("jiralink_").to_string())
        .collect();
    assert_eq!(documented, code, "docs/metrics.md's table vs METRICS");
    for (name, labels, _) in METRICS {
        let row = doc
            .lines()
            .find(|l| l.starts_with(&format!("| `{name}`")))
            .unwrap();
        assert!(row.contains(labels), "{name}: labels {labels} not in {row}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_rate_paces_the_cli_audit_and_says_so() {
    let sim = Sim::start(SimConfig {
        projects: 40,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let cli = Cli::new(&sim, "");
    let (_, json, _) = cli.run(&["audit", "alice", "--format", "json"]).await;
    let report: Value = serde_json::from_str(&json).unwrap();
    let keys: Vec<&str> = report["projects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["visible"] == true)
        .map(|p| p["key"].as_str().unwrap())
        .take(7)
        .collect();
    assert_eq!(keys.len(), 7);
    let mut args = vec!["audit", "alice", "--max-rate", "5"];
    for k in &keys {
        args.extend(["--project", k]);
    }
    let start = std::time::Instant::now();
    let (code, _, err) = cli.run(&args).await;
    let wall = start.elapsed().as_secs_f64();
    assert!(code <= 1, "{err}");
    // serverInfo, myself, the project list and 7 `mypermissions`: 10 requests at 5 a second,
    // the tenth 1.8 s after the first.
    assert!(wall >= 1.75, "wall {wall:.2}s");
    assert!(
        err.contains("paced by --max-rate: 5 requests/s"),
        "stderr: {err}"
    );
    let (code, _, err) = cli.run(&["audit", "alice", "--max-rate", "0"]).await;
    assert_eq!(code, 2, "{err}");
}
