//! `jiralink link …` as a new user runs it: a `jiralink sim` child process, a fresh temp config,
//! and the commands from `link new` to a green `jiralink check`, plus the refusals and failures
//! with their exit codes (0 ok, 1 OAuth/Jira problem, 2 usage/config).

use assert_cmd::Command;
use predicates::prelude::*;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

/// A running `jiralink sim` child; killed on drop.
struct SimChild {
    child: Child,
    base: String,
    origin: String,
    passwords: Vec<(String, String)>,
}

impl SimChild {
    fn start(extra: &[&str]) -> SimChild {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("jiralink"))
            .args(["sim", "--projects", "5"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let base = line
            .trim()
            .strip_prefix("LISTENING ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .trim_end_matches('/')
            .to_string();
        let url = url::Url::parse(&base).unwrap();
        let origin = url.origin().ascii_serialization();
        // The account table goes to stderr: USER PASSWORD EMAIL TOKEN, then "control API".
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut passwords = Vec::new();
        loop {
            let mut l = String::new();
            if err.read_line(&mut l).unwrap() == 0 || l.starts_with("control API") {
                break;
            }
            let cols: Vec<&str> = l.split_whitespace().collect();
            if cols.len() >= 2 && cols[0] != "USER" && !l.starts_with("jiralink sim") {
                passwords.push((cols[0].to_string(), cols[1].to_string()));
            }
        }
        // Keep reading what the simulator prints after that (its approval hints): a closed pipe
        // would make its next write fail and the simulator exit mid-test.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while err.read_line(&mut sink).is_ok_and(|n| n > 0) {
                sink.clear();
            }
        });
        std::thread::spawn(move || {
            let mut sink = String::new();
            while out.read_line(&mut sink).is_ok_and(|n| n > 0) {
                sink.clear();
            }
        });
        SimChild {
            child,
            base,
            origin,
            passwords,
        }
    }

    fn password(&self, user: &str) -> String {
        self.passwords
            .iter()
            .find(|(u, _)| u == user)
            .map(|(_, p)| p.clone())
            .unwrap()
    }

    /// The simulator's application links (control API state): (id, consumer key).
    fn applinks(&self) -> Vec<(String, Option<String>)> {
        let url = format!("{}/__sim/state", self.origin);
        let rt = tokio::runtime::Runtime::new().unwrap();
        let v: serde_json::Value =
            rt.block_on(async { reqwest::get(url).await.unwrap().json().await.unwrap() });
        v["applinks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["id"].as_str().unwrap().to_string(),
                    l["consumerKey"].as_str().map(str::to_string),
                )
            })
            .collect()
    }

    /// Click "Allow" as `user` through the control API; returns the verification code.
    fn approve(&self, token: &str, user: &str) -> String {
        let url = format!("{}/__sim/approve", self.origin);
        let body = serde_json::json!({"token": token, "user": user});
        let rt = tokio::runtime::Runtime::new().unwrap();
        let v: serde_json::Value = rt.block_on(async {
            reqwest::Client::new()
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        });
        v["verifier"].as_str().unwrap().to_string()
    }
}

impl Drop for SimChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("jiralink").unwrap();
        c.env("JIRALINK_CONFIG", self.path().join("config.toml"))
            .env("JIRALINK_DATA", self.path().join("data"))
            .env("JIRALINK_STATE", self.path().join("state"))
            .env_remove("HTTPS_PROXY")
            .env_remove("HTTP_PROXY")
            .env_remove("https_proxy")
            .env_remove("http_proxy")
            .env("NO_COLOR", "1");
        c
    }

    fn test_key(&self) -> PathBuf {
        let key = self.path().join("test_key.pem");
        std::fs::copy(
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/test_key.pem"),
            &key,
        )
        .unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        key
    }

    /// `link new j` with the committed test key, and an admin connection.
    fn setup(&self, sim: &SimChild) -> PathBuf {
        let key = self.test_key();
        self.cmd()
            .args(["link", "new", "j", "--url", &sim.base, "--key"])
            .arg(&key)
            .assert()
            .success()
            .stdout(predicate::str::contains("Added connection \"j\""));
        self.cmd()
            .args([
                "connections",
                "add",
                "admin",
                "--url",
                &sim.base,
                "--auth",
                "basic",
                "--username",
                "admin",
                "--password-stdin",
            ])
            .write_stdin(format!("{}\n", sim.password("admin")))
            .assert()
            .success();
        key
    }

    fn create(&self) {
        self.cmd()
            .args(["link", "create", "j", "--admin", "admin", "--yes"])
            .assert()
            .success()
            .stdout(predicate::str::contains("Created the application link"));
    }
}

/// The `oauth_token` of an authorize URL.
fn token_of(url: &str) -> String {
    let u = url::Url::parse(url.trim()).unwrap();
    u.query_pairs()
        .find(|(k, _)| k == "oauth_token")
        .map(|(_, v)| v.into_owned())
        .unwrap()
}

#[test]
fn from_nothing_to_a_green_check() {
    let sim = SimChild::start(&[]);
    let home = Home::new();
    home.setup(&sim);

    // Step 3: the values to paste, with the menu path for the probed version (9.x).
    home.cmd()
        .args(["link", "fields", "j"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Consumer Key"))
        .stdout(predicate::str::contains("jiralink-127.0.0.1"))
        .stdout(predicate::str::contains("Create link"))
        .stdout(predicate::str::contains(
            "/plugins/servlet/applinks/listApplicationLinks",
        ));

    // Step 4: never without confirmation when nobody can be asked.
    home.cmd()
        .args(["link", "create", "j", "--admin", "admin"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains(
            "/rest/applinks/3.0/applicationlink",
        ))
        .stderr(predicate::str::contains("--yes"));
    home.create();

    // Step 5, first run: prints the URL, gets no code on stdin, keeps the request token.
    let out = home
        .cmd()
        .args(["link", "authorize", "j"])
        .write_stdin("")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--verifier"))
        .get_output()
        .stdout
        .clone();
    let url = String::from_utf8(out).unwrap();
    assert!(url.starts_with(&format!(
        "{}/plugins/servlet/oauth/authorize?oauth_token=",
        sim.base
    )));
    let verifier = sim.approve(&token_of(&url), "alice");

    // Second run finishes it with `--verifier -`, the code on stdin (never in argv, where `ps`
    // shows it; issue 14 §7).
    home.cmd()
        .args(["link", "authorize", "j", "--verifier", "-"])
        .write_stdin(format!("{verifier}\n"))
        .assert()
        .success()
        .stderr(predicate::str::contains("visible to other local users").not())
        .stdout(predicate::str::contains(
            "acts as alice (Alice Integration)",
        ))
        .stderr(predicate::str::contains("mode 0600"));
    let cfg = std::fs::read_to_string(home.path().join("config.toml")).unwrap();
    assert!(cfg.contains("token_expires_at"), "{cfg}");
    assert!(!cfg.contains(&verifier));

    home.cmd().args(["check", "j"]).assert().success();

    // Export: file 0600 with what the application needs; JSON to stdout parses.
    let out = home.path().join("j.env");
    home.cmd()
        .args(["link", "export", "j", "--format", "env", "--out"])
        .arg(&out)
        .assert()
        .success();
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let env = std::fs::read_to_string(&out).unwrap();
    assert!(env.contains("JIRA_OAUTH_ACCESS_TOKEN='"), "{env}");
    assert!(
        env.contains(&format!("JIRA_BASE_URL='{}'", sim.base)),
        "{env}"
    );
    let json = home
        .cmd()
        .args(["link", "export", "j", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(v["signature_method"], "RSA-SHA1");
}

#[test]
fn link_create_twice_leaves_one_link() {
    let sim = SimChild::start(&[]);
    let home = Home::new();
    home.setup(&sim);
    home.create();
    assert_eq!(sim.applinks().len(), 1);
    // Again: the link with this consumer key and public key is found, nothing is sent.
    home.cmd()
        .args(["link", "create", "j", "--admin", "admin", "--yes"])
        .assert()
        .success()
        .stdout(predicate::str::contains("already has the application link"))
        .stdout(predicate::str::contains("nothing was changed"));
    let links = sim.applinks();
    assert_eq!(links.len(), 1, "{links:?}");

    // A new key for the connection: the same consumer key now has another public key.
    home.cmd()
        .args(["link", "keygen", "j", "--force"])
        .assert()
        .success();
    home.cmd()
        .args(["link", "create", "j", "--admin", "admin", "--yes"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("applink_conflict"))
        .stderr(predicate::str::contains("--replace"));
    assert_eq!(sim.applinks().len(), 1);
    home.cmd()
        .args([
            "link",
            "create",
            "j",
            "--admin",
            "admin",
            "--yes",
            "--replace",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("Replaced the public key"));
    let after = sim.applinks();
    assert_eq!(
        after, links,
        "the same one link, with the same consumer key"
    );
    // And the new key works: the OAuth dance starts with it.
    home.cmd()
        .args(["link", "authorize", "j"])
        .write_stdin("")
        .assert()
        .code(2)
        .stdout(predicate::str::contains("oauth_token="));
}

#[test]
fn export_refuses_to_print_secrets_on_a_terminal() {
    let sim = SimChild::start(&[]);
    let home = Home::new();
    home.setup(&sim);
    // stdout on a pty (python3's `pty`, as tests/terminal_pty.rs uses): refused, nothing printed.
    let out_of = |args: &[&str]| {
        std::process::Command::new("python3")
            .arg("-c")
            .arg(
                "import os, pty, sys\nsys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))",
            )
            .arg(assert_cmd::cargo::cargo_bin("jiralink"))
            .args(args)
            .env("JIRALINK_CONFIG", home.path().join("config.toml"))
            .env("JIRALINK_DATA", home.path().join("data"))
            .env("JIRALINK_STATE", home.path().join("state"))
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    let py = out_of(&["link", "export", "j", "--format", "env"]);
    let out = py;
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("--out PATH"), "{text}");
    assert!(!text.contains("JIRA_OAUTH"), "{text}");
}

#[test]
fn authorize_reads_the_code_from_a_pipe() {
    let sim = SimChild::start(&[]);
    let home = Home::new();
    home.setup(&sim);
    home.create();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("jiralink"))
        .args(["link", "authorize", "j"])
        .env("JIRALINK_CONFIG", home.path().join("config.toml"))
        .env("JIRALINK_DATA", home.path().join("data"))
        .env("JIRALINK_STATE", home.path().join("state"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut url = String::new();
    out.read_line(&mut url).unwrap();
    let verifier = sim.approve(&token_of(&url), "bob");
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{verifier}").unwrap();
    drop(stdin);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{rest}");
    assert!(rest.contains("acts as bob"), "{rest}");
}

#[test]
fn oauth_problems_exit_1_with_the_diagnosis() {
    let sim = SimChild::start(&[]);
    let home = Home::new();
    home.setup(&sim);

    // Not registered in Jira yet: unknown consumer, with the fix naming the connection.
    home.cmd()
        .args(["link", "authorize", "j"])
        .write_stdin("")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("[oauth_consumer_unknown]"))
        .stderr(predicate::str::contains("link fields j"));

    home.create();
    let out = home
        .cmd()
        .args(["link", "authorize", "j"])
        .write_stdin("")
        .assert()
        .code(2)
        .get_output()
        .stdout
        .clone();
    let url = String::from_utf8(out).unwrap();
    sim.approve(&token_of(&url), "alice");
    home.cmd()
        .args(["link", "authorize", "j", "--verifier", "WRONG1"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("visible to other local users"))
        .stderr(predicate::str::contains("[oauth_token_rejected]"))
        .stderr(predicate::str::contains("verification code"));
    // The rejected request token is forgotten: --verifier now has nothing to finish.
    home.cmd()
        .args(["link", "authorize", "j", "--verifier", "ABC123"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is waiting for a code"));
}

#[test]
fn a_pasted_redirect_url_works_and_says_to_clear_the_callback() {
    let sim = SimChild::start(&[]);
    let home = Home::new();
    home.setup(&sim);
    home.create();
    let out = home
        .cmd()
        .args(["link", "authorize", "j"])
        .write_stdin("")
        .assert()
        .code(2)
        .get_output()
        .stdout
        .clone();
    let token = token_of(&String::from_utf8(out).unwrap());
    let verifier = sim.approve(&token, "alice");
    // What the browser lands on when the link has a Consumer Callback URL.
    let redirect =
        format!("https://app.example.com/cb?oauth_token={token}&oauth_verifier={verifier}");
    home.cmd()
        .args(["link", "authorize", "j", "--verifier", &redirect])
        .assert()
        .success()
        .stderr(predicate::str::contains("[oauth_callback_set]"))
        .stderr(predicate::str::contains("clear the Consumer Callback URL"))
        .stdout(predicate::str::contains("acts as alice"));
}

#[test]
fn proxy_rewriting_the_url_is_explained() {
    let sim = SimChild::start(&["--scenario", "proxy-mismatch"]);
    let home = Home::new();
    home.setup(&sim);
    home.create();
    home.cmd()
        .args(["link", "authorize", "j"])
        .write_stdin("")
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "warning: Jira's Base URL setting is",
        ))
        .stderr(predicate::str::contains("[oauth_signature_invalid]"));
}

#[test]
fn a_key_readable_by_others_is_refused() {
    let sim = SimChild::start(&[]);
    let home = Home::new();
    let key = home.setup(&sim);
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    home.cmd()
        .args(["link", "authorize", "j"])
        .write_stdin("")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("chmod 600"));
}

#[test]
fn keygen_writes_a_private_key_and_prints_the_public_one() {
    let home = Home::new();
    let out = home.path().join("k.pem");
    home.cmd()
        .args(["link", "keygen", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("SHA256:"))
        .stdout(predicate::str::contains("-----BEGIN PUBLIC KEY-----"))
        .stdout(predicate::str::contains("RSA PUBLIC KEY").not());
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // Never overwritten without --force.
    home.cmd()
        .args(["link", "keygen", "--out"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--force"));
}

#[test]
fn keygen_for_a_connection_points_it_at_the_new_key() {
    let home = Home::new();
    let key = home.test_key();
    // `link new` needs no Jira: it only writes the config.
    home.cmd()
        .args([
            "link",
            "new",
            "j",
            "--url",
            "https://jira.example.com/jira/",
            "--key",
        ])
        .arg(&key)
        .assert()
        .success()
        .stdout(predicate::str::contains("jiralink-jira.example.com"));
    home.cmd()
        .args([
            "link",
            "new",
            "j",
            "--url",
            "https://jira.example.com",
            "--key",
        ])
        .arg(&key)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--force"));
    home.cmd()
        .args(["link", "keygen", "j"])
        .assert()
        .success()
        .stderr(predicate::str::contains("now uses this key"));
    let cfg = std::fs::read_to_string(home.path().join("config.toml")).unwrap();
    let new_key = home.path().join("data").join("j.pem");
    assert!(
        cfg.contains(&format!("private_key = \"{}\"", new_key.display())),
        "{cfg}"
    );
    assert!(
        cfg.contains("url = \"https://jira.example.com/jira\""),
        "{cfg}"
    );
}

#[test]
fn an_expired_request_token_says_to_start_over() {
    let home = Home::new();
    let key = home.test_key();
    home.cmd()
        .args([
            "link",
            "new",
            "j",
            "--url",
            "https://jira.example.com",
            "--key",
        ])
        .arg(&key)
        .assert()
        .success();
    // What a run eleven minutes ago left behind (Jira forgets request tokens after ten).
    let issued = time::OffsetDateTime::now_utc() - time::Duration::minutes(11);
    let pending = serde_json::json!({
        "base_url": "https://jira.example.com",
        "consumer_key": "jiralink-jira.example.com",
        "token": "rt",
        "issued_at": issued.format(&time::format_description::well_known::Rfc3339).unwrap(),
    });
    let dir = home.path().join("data/tokens");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("j.request_token.json"), pending.to_string()).unwrap();
    home.cmd()
        .args(["link", "authorize", "j", "--verifier", "ABC123"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("[oauth_token_expired]"))
        .stderr(predicate::str::contains("Start over"));
    assert!(!dir.join("j.request_token.json").exists());
}

#[test]
fn usage_errors_exit_2() {
    let home = Home::new();
    home.cmd()
        .args(["link", "fields", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("link new nope"));
    home.cmd()
        .args(["link", "new", "j", "--url", "jira.example.com"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("https://jira.example.com"));
    home.cmd()
        .args([
            "link",
            "new",
            "../evil",
            "--url",
            "https://jira.example.com",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("letters, digits"));
    assert!(!home.path().join("evil.pem").exists());
}
