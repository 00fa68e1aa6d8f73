//! OAuth 2.0 incoming links as a new user meets them, over real loopback HTTP: a `jiralink sim`
//! child, a fresh temp config, `link new --oauth2` → `link create` → `link authorize` (approving
//! on the simulator's consent page as a browser would, pasting the redirect URL) → a green
//! `check`; the expired access token refreshed and the rotated refresh token saved; a wrong
//! client secret, a reused code, a Deny, a foreign `state`, Jira < 8.22, an http redirect URL,
//! `--listen`, and Jira 11 (basic auth off, service accounts).

use assert_cmd::Command;
use predicates::prelude::*;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};

/// A running `jiralink sim` child; killed on drop.
struct SimChild {
    child: Child,
    base: String,
    origin: String,
}

impl SimChild {
    fn start(extra: &[&str]) -> SimChild {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("jiralink"))
            .args(["sim", "--projects", "5"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
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
        let origin = url::Url::parse(&base)
            .unwrap()
            .origin()
            .ascii_serialization();
        SimChild {
            child,
            base,
            origin,
        }
    }

    fn control(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        block_on(async {
            reqwest::Client::new()
                .post(format!("{}/__sim/{path}", self.origin))
                .json(&body)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        })
    }
}

impl Drop for SimChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// What a browser does with the authorize URL: log in on /login.jsp as `user` (the simulator's
/// password is the user name), follow the authorize redirect to the consent page, read its form,
/// press `decision` (allow / deny), and return where Jira redirects the browser.
fn browser(base: &str, authorize_url: &str, user: &str, decision: &str) -> String {
    block_on(async {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let login = http
            .post(format!("{base}/login.jsp"))
            .form(&[("os_username", user), ("os_password", user)])
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), 302, "login as {user}");
        // The session cookie, as a browser keeps it.
        let cookie = login.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let r = http.get(authorize_url).send().await.unwrap();
        assert_eq!(r.status(), 302, "authorize redirects to the consent page");
        let consent = r.headers()["location"].to_str().unwrap().to_string();
        assert!(
            consent.contains("/plugins/servlet/oauth2/consent?"),
            "{consent}"
        );
        let anonymous = http.get(&consent).send().await.unwrap();
        assert_eq!(
            anonymous.status(),
            302,
            "an anonymous browser is sent to log in"
        );
        let page = http
            .get(&consent)
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("Allow") && page.contains("Deny"), "{page}");
        let id = page
            .split("name=\"request_id\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap()
            .to_string();
        let r = http
            .post(format!("{base}/plugins/servlet/oauth2/consent"))
            .header("cookie", &cookie)
            .form(&[("request_id", id.as_str()), ("decision", decision)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 302);
        r.headers()["location"].to_str().unwrap().to_string()
    })
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
            .env("ADMIN_PW", "admin")
            .env("ALICE_PW", "alice")
            .env_remove("HTTPS_PROXY")
            .env_remove("HTTP_PROXY")
            .env_remove("https_proxy")
            .env_remove("http_proxy")
            .env("NO_COLOR", "1");
        c
    }

    fn config(&self) -> String {
        std::fs::read_to_string(self.path().join("config.toml")).unwrap()
    }

    /// The admin connection, `link new app --oauth2`, `link create app --admin admin --yes`.
    fn setup(&self, sim: &SimChild, extra_new: &[&str]) {
        self.cmd()
            .args(["connections", "add", "admin", "--url", &sim.base])
            .args([
                "--auth",
                "basic",
                "--username",
                "admin",
                "--password-env",
                "ADMIN_PW",
            ])
            .assert()
            .success();
        self.cmd()
            .args(["link", "new", "app", "--url", &sim.base, "--oauth2"])
            .args(extra_new)
            .assert()
            .success()
            .stdout(predicate::str::contains(
                "Added OAuth 2.0 connection \"app\"",
            ));
        self.cmd()
            .args(["link", "create", "app", "--admin", "admin", "--yes"])
            .assert()
            .success()
            .stdout(predicate::str::contains("Created the incoming link"));
    }

    /// First run of `link authorize app` with nothing pasted: prints the URL, remembers the
    /// authorization, exits 2.
    fn start_authorize(&self) -> String {
        let out = self
            .cmd()
            .args(["link", "authorize", "app"])
            .write_stdin("")
            .assert()
            .code(2)
            .get_output()
            .stdout
            .clone();
        let url = String::from_utf8(out).unwrap().trim().to_string();
        assert!(url.contains("/rest/oauth2/latest/authorize?"), "{url}");
        assert!(url.contains("code_challenge_method=S256"), "{url}");
        url
    }

    fn finish(&self, pasted: &str) -> assert_cmd::assert::Assert {
        self.cmd()
            .args(["link", "authorize", "app", "--code", pasted])
            .assert()
    }

    fn refresh_token_file(&self) -> String {
        self.config()
            .lines()
            .find(|l| l.starts_with("refresh_token"))
            .unwrap_or_else(|| panic!("no refresh_token in {}", self.config()))
            .to_string()
    }
}

#[test]
fn fresh_simulator_to_green_check_and_refresh_after_expiry() {
    let sim = SimChild::start(&[]);
    let home = Home::new();
    home.setup(&sim, &[]);
    let url = home.start_authorize();
    let redirect = browser(&sim.base, &url, "alice", "allow");
    assert!(
        redirect.starts_with("https://jiralink.invalid/oauth2/callback?code="),
        "{redirect}"
    );
    home.finish(&redirect)
        .success()
        .stdout(predicate::str::contains(
            "Authorized: connection \"app\" acts as alice (Alice Integration) with scopes READ.",
        ));
    let config = home.config();
    assert!(!config.contains(redirect.split("code=").nth(1).unwrap()));
    let before = home.refresh_token_file();
    home.cmd()
        .args(["check", "app"])
        .assert()
        .success()
        .stdout(predicate::str::contains("as alice"));
    // The access token expires in Jira; the next check refreshes and saves the rotated token.
    assert_eq!(
        sim.control("oauth2/expire", serde_json::json!({}))["expired"],
        1
    );
    home.cmd()
        .args(["check", "app", "--format", "json"])
        .assert()
        .success()
        .stdout(predicate::str::contains("renewed 1x and saved"));
    let after = home.refresh_token_file();
    assert_ne!(before, after, "a new refresh token file is referenced");
    let old_file = before.split('"').nth(1).unwrap();
    assert!(
        !Path::new(old_file).exists(),
        "the old refresh token file is gone"
    );
    // And it keeps working with the saved token.
    home.cmd().args(["check", "app"]).assert().success();
    // Export: what the integrating application needs.
    home.cmd()
        .args(["link", "export", "app", "--format", "json"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"token_endpoint\""))
        .stdout(predicate::str::contains("\"refresh_token\""));
}

#[test]
fn wrong_client_secret_is_invalid_client() {
    let sim = SimChild::start(&[]);
    let home = Home::new();
    home.setup(&sim, &[]);
    let secret_file = home
        .config()
        .lines()
        .find(|l| l.starts_with("client_secret"))
        .and_then(|l| l.split('"').nth(1).map(str::to_owned))
        .unwrap();
    std::fs::write(&secret_file, "not-the-secret").unwrap();
    let url = home.start_authorize();
    let redirect = browser(&sim.base, &url, "alice", "allow");
    home.finish(&redirect)
        .code(1)
        .stderr(predicate::str::contains("[oauth2_invalid_client]"));
}

#[test]
fn a_reused_code_is_invalid_grant_with_its_cause() {
    let sim = SimChild::start(&[]);
    let home = Home::new();
    home.setup(&sim, &[]);
    let url = home.start_authorize();
    let redirect = browser(&sim.base, &url, "alice", "allow");
    home.finish(&redirect).success();
    let code = redirect
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    home.start_authorize();
    home.finish(code)
        .code(1)
        .stderr(predicate::str::contains("[oauth2_invalid_grant]"))
        .stderr(predicate::str::contains("already used"));
}

#[test]
fn deny_and_a_foreign_state_are_diagnosed() {
    let sim = SimChild::start(&[]);
    let home = Home::new();
    home.setup(&sim, &[]);
    let url = home.start_authorize();
    let denied = browser(&sim.base, &url, "alice", "deny");
    assert!(denied.contains("error=access_denied"), "{denied}");
    home.finish(&denied)
        .code(1)
        .stderr(predicate::str::contains("[oauth2_access_denied]"));
    // A URL approved for one attempt, pasted into another.
    let first = home.start_authorize();
    let redirect = browser(&sim.base, &first, "alice", "allow");
    home.start_authorize();
    home.finish(&redirect)
        .code(1)
        .stderr(predicate::str::contains("[oauth2_state_mismatch]"));
}

#[test]
fn old_jira_and_http_redirects_are_refused() {
    let old = SimChild::start(&["--jira-version", "8.20.0"]);
    let home = Home::new();
    home.cmd()
        .args(["link", "new", "app", "--url", &old.base, "--oauth2"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("[oauth2_not_supported]"));
    home.cmd()
        .args(["link", "new", "app", "--url", &old.base, "--oauth2"])
        .args(["--redirect-uri", "http://app.example.com/cb"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("[oauth2_https_required]"));
    assert!(
        !home.path().join("config.toml").exists(),
        "nothing was written"
    );
}

#[test]
fn provider_off_over_http_is_https_required() {
    let sim = SimChild::start(&[]);
    let home = Home::new();
    home.setup(&sim, &[]);
    sim.control(
        "oauth2/settings",
        serde_json::json!({"enforce_https": true}),
    );
    let url = home.start_authorize();
    home.finish(&format!(
        "https://jiralink.invalid/oauth2/callback?code=x&state={}",
        {
            let u = url::Url::parse(&url).unwrap();
            u.query_pairs()
                .find(|(k, _)| k == "state")
                .unwrap()
                .1
                .into_owned()
        }
    ))
    .code(1)
    .stderr(predicate::str::contains("[oauth2_https_required]"));
}

#[test]
fn listen_takes_the_redirect_on_loopback() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sim = SimChild::start(&[]);
    let home = Home::new();
    let redirect_uri = format!("http://localhost:{port}/callback");
    home.setup(&sim, &["--redirect-uri", &redirect_uri]);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("jiralink"))
        .args(["link", "authorize", "app", "--listen", &port.to_string()])
        .env("JIRALINK_CONFIG", home.path().join("config.toml"))
        .env("JIRALINK_DATA", home.path().join("data"))
        .env("JIRALINK_STATE", home.path().join("state"))
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut url = String::new();
    out.read_line(&mut url).unwrap();
    let redirect = browser(&sim.base, url.trim(), "alice", "allow");
    assert!(redirect.starts_with(&redirect_uri), "{redirect}");
    // The browser follows the redirect to the listener (through `ssh -L` in real life).
    let page = block_on(async {
        let mut r = None;
        for _ in 0..50 {
            match reqwest::get(&redirect).await {
                Ok(resp) => {
                    r = Some(resp.text().await.unwrap());
                    break;
                }
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            }
        }
        r.expect("the listener answers")
    });
    assert!(page.contains("You can close this tab"), "{page}");
    let status = child.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert!(status.success(), "{rest}");
    assert!(rest.contains("acts as alice"), "{rest}");
}

#[test]
fn jira_11_basic_auth_off_and_a_service_account() {
    let sim = SimChild::start(&["--jira-version", "11.0.1"]);
    let home = Home::new();
    home.cmd()
        .args(["connections", "add", "alice", "--url", &sim.base])
        .args([
            "--auth",
            "basic",
            "--username",
            "alice",
            "--password-env",
            "ALICE_PW",
        ])
        .assert()
        .success();
    home.cmd()
        .args(["check", "alice"])
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("basic_auth_disabled")
                .or(predicate::str::contains("Basic authentication")),
        )
        .stdout(predicate::str::contains("/rest/basicauth/1.0/config"));
    let sa = sim.control(
        "oauth2/service-account",
        serde_json::json!({"name": "svc-reports", "scope": "READ"}),
    );
    home.cmd()
        .args(["connections", "add", "svc", "--url", &sim.base])
        .args(["--auth", "oauth2-client-credentials", "--client-id"])
        .arg(sa["client_id"].as_str().unwrap())
        .args(["--client-secret-env", "SVC_SECRET", "--scope", "READ"])
        .assert()
        .success();
    home.cmd()
        .args(["check", "svc", "--format", "json"])
        .env("SVC_SECRET", sa["client_secret"].as_str().unwrap())
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "acts as service account svc-reports with scopes READ",
        ));
    home.cmd()
        .args(["check", "svc"])
        .env("SVC_SECRET", "wrong")
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("oauth2_invalid_client")
                .or(predicate::str::contains("client id or secret")),
        );
}
