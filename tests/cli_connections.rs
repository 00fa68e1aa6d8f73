//! `jiralink connections add/list/remove` and `jiralink info`, run as a real binary inside a temp dir.

use assert_cmd::Command;
use predicates::prelude::*;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

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
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .env_remove("ALL_PROXY")
            .env_remove("all_proxy")
            .env_remove("NO_PROXY")
            .env_remove("no_proxy");
        c
    }
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn add_list_remove_round_trip() {
    let e = Env::new();
    e.cmd()
        .args(["connections", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("No connections"));
    e.cmd()
        .args([
            "connections",
            "add",
            "prod",
            "--url",
            "https://jira.example.com/jira/",
            "--auth",
            "basic",
            "--username",
            "alice",
            "--password-env",
            "JIRA_PASSWORD",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("Saved connection \"prod\""));
    assert_eq!(mode(&e.config()), 0o600);
    assert_eq!(mode(e.config().parent().unwrap()), 0o700);
    e.cmd()
        .args([
            "connections",
            "add",
            "dc",
            "--url",
            "https://dc.example",
            "--auth",
            "pat",
            "--token-cmd",
            "pass show jira/pat",
        ])
        .assert()
        .success();
    e.cmd()
        .args(["connections", "list"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains(
                "prod  https://jira.example.com/jira  basic  alice  password=env:JIRA_PASSWORD",
            )
            .and(predicate::str::contains("dc    https://dc.example")),
        );
    let out = e
        .cmd()
        .args(["connections", "list", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["name"], "prod");
    assert_eq!(v[0]["secrets"]["password"], "env:JIRA_PASSWORD");
    assert_eq!(v[1]["secrets"]["token"], "cmd:pass show jira/pat");
    e.cmd()
        .args(["connections", "remove", "prod"])
        .assert()
        .success();
    e.cmd()
        .args(["connections", "remove", "prod"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no connection named \"prod\""));
    let text = std::fs::read_to_string(e.config()).unwrap();
    assert!(
        !text.contains("prod") && text.contains("name = \"dc\""),
        "{text}"
    );
}

#[test]
fn stdin_secret_is_stored_with_a_note_and_never_printed() {
    let e = Env::new();
    e.cmd()
        .args([
            "connections",
            "add",
            "s",
            "--url",
            "https://s.example",
            "--auth",
            "pat",
            "--token-stdin",
        ])
        .write_stdin("typed-token-123\n")
        .assert()
        .success()
        .stdout(predicate::str::contains("typed-token-123").not())
        .stderr(
            predicate::str::contains("plain text")
                .and(predicate::str::contains("typed-token-123").not()),
        );
    assert!(std::fs::read_to_string(e.config())
        .unwrap()
        .contains("token = \"typed-token-123\""));
    e.cmd()
        .args(["connections", "list", "--format", "json"])
        .assert()
        .success()
        .stdout(predicate::str::contains("typed-token-123").not());
    e.cmd()
        .args(["connections", "list"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("token=plain (in config)")
                .and(predicate::str::contains("typed-token-123").not()),
        );
}

#[test]
fn bad_input_exits_2_with_a_precise_message() {
    let e = Env::new();
    e.cmd()
        .args([
            "connections",
            "add",
            "x",
            "--url",
            "ftp://x",
            "--auth",
            "pat",
            "--token-env",
            "T",
        ])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("connection \"x\"").and(predicate::str::contains("`url`")),
        );
    assert!(!e.config().exists());
    e.cmd()
        .args([
            "connections",
            "add",
            "x",
            "--url",
            "https://x.example",
            "--auth",
            "basic",
            "--username",
            "u",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("`password`: missing"));
    // Two sources for one secret are refused by clap (usage error, exit 2).
    e.cmd()
        .args([
            "connections",
            "add",
            "x",
            "--url",
            "https://x.example",
            "--auth",
            "pat",
            "--token-env",
            "T",
            "--token-cmd",
            "c",
        ])
        .assert()
        .code(2);
    e.cmd()
        .args([
            "connections",
            "add",
            "x",
            "--url",
            "https://x.example",
            "--auth",
            "pat",
            "--token-env",
            "T",
        ])
        .assert()
        .success();
    e.cmd()
        .args([
            "connections",
            "add",
            "x",
            "--url",
            "https://y.example",
            "--auth",
            "pat",
            "--token-env",
            "T",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--force"));
    e.cmd()
        .args([
            "connections",
            "add",
            "x",
            "--url",
            "https://y.example",
            "--auth",
            "pat",
            "--token-env",
            "T",
            "--force",
        ])
        .assert()
        .success();
    assert!(std::fs::read_to_string(e.config())
        .unwrap()
        .contains("https://y.example"));
}

#[test]
fn list_shows_invalid_connections_and_exits_2() {
    let e = Env::new();
    std::fs::create_dir_all(e.config().parent().unwrap()).unwrap();
    std::fs::write(
        e.config(),
        "[[connection]]\nname = \"ok\"\nurl = \"https://a.example\"\nauth = \"pat\"\ntoken = { env = \"T\" }\n\n\
         [[connection]]\nname = \"bad\"\nurl = \"https://b.example\"\nauth = \"pat\"\ntokn = { env = \"T\" }\n",
    )
    .unwrap();
    e.cmd()
        .args(["connections", "list"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("ok ").and(predicate::str::contains("bad")))
        .stderr(predicate::str::contains(
            ":11:1: connection \"bad\": `tokn`: unknown key",
        ));
}

#[test]
fn unparsable_config_is_reported_and_left_alone() {
    let e = Env::new();
    std::fs::create_dir_all(e.config().parent().unwrap()).unwrap();
    std::fs::write(e.config(), "[[connection]\n").unwrap();
    e.cmd()
        .args([
            "connections",
            "add",
            "x",
            "--url",
            "https://x.example",
            "--auth",
            "pat",
            "--token-env",
            "T",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("config.toml:1:"));
    assert_eq!(
        std::fs::read_to_string(e.config()).unwrap(),
        "[[connection]\n"
    );
}

#[test]
fn info_prints_paths_config_and_proxy_env() {
    let e = Env::new();
    e.cmd()
        .arg("info")
        .env("HTTPS_PROXY", "http://bob:pw-secret@proxy:3128")
        .assert()
        .success()
        .stdout(
            predicate::str::contains(concat!("jiralink ", env!("CARGO_PKG_VERSION")))
                .and(predicate::str::contains("config read:  none yet"))
                .and(predicate::str::contains(
                    e.dir
                        .path()
                        .join("state/jiralink.log")
                        .display()
                        .to_string(),
                ))
                .and(predicate::str::contains(
                    e.dir.path().join("data").display().to_string(),
                ))
                .and(predicate::str::contains(
                    "HTTPS_PROXY=http://bob:***@proxy:3128/",
                ))
                .and(predicate::str::contains("pw-secret").not()),
        );
    e.cmd()
        .args([
            "connections",
            "add",
            "x",
            "--url",
            "https://x.example",
            "--auth",
            "pat",
            "--token-env",
            "T",
        ])
        .assert()
        .success();
    e.cmd().arg("info").assert().success().stdout(
        predicate::str::contains("(1 connection)")
            .and(predicate::str::contains("proxy env:    none")),
    );
}
