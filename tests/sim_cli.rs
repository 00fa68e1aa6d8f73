//! `jiralink sim` as a process: exactly one `LISTENING <base-url>` line on stdout, accounts on
//! stderr, a working server, and clear errors for bad arguments.
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

fn bin() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("jiralink")
}

#[tokio::test]
async fn prints_listening_and_serves() {
    let mut child = Command::new(bin())
        .args([
            "sim",
            "--projects",
            "12",
            "--jira-version",
            "10.3.19",
            "--seed",
            "5",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let base = line
        .trim_end()
        .strip_prefix("LISTENING ")
        .unwrap_or_else(|| panic!("first line was {line:?}"))
        .to_owned();
    assert!(
        base.starts_with("http://127.0.0.1:") && base.ends_with("/jira"),
        "{base}"
    );
    let v: serde_json::Value = reqwest::get(format!("{base}/rest/api/2/serverInfo"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["version"], "10.3.19");
    assert_eq!(v["buildNumber"], 10_030_019);
    let state: serde_json::Value =
        reqwest::get(format!("{}/__sim/state", base.trim_end_matches("/jira")))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(state["projects"], 12);
    child.kill().unwrap();
    child.wait().unwrap();
    // Nothing but the one line on stdout.
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "");
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let pat = state["users"][1]["pat"].as_str().unwrap();
    assert!(err.contains("alice") && err.contains(pat), "{err}");
}

#[test]
fn bad_scenario_is_a_usage_error() {
    assert_cmd::Command::new(bin())
        .args(["sim", "--scenario", "tornado"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("unknown scenario `tornado`"));
    assert_cmd::Command::new(bin())
        .args(["sim", "--bind", "not-an-address"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("--bind"));
}
