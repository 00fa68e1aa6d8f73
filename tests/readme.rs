//! The README's command blocks, run as a newcomer would paste them: every ```sh block is either
//! run against a real `jiralink sim` child (with a temporary HOME, config, data and state) or listed
//! in [`NOT_RUN`] with the reason. The blocks run in one bash process in README order, so variables
//! set by the tour (`$URL`, `JIRALINK_*`) carry into the linking block exactly as in one terminal.
//! Each command's exit code and key output are checked; the OAuth approval is done the way a
//! browser does it, on the simulator's login and Allow pages over HTTP.
//!
//! Placeholders a reader fills in by hand are filled in here too, and only these ([`fill`]): the
//! simulator's URL (`http://127.0.0.1:PORT/jira`), alice's token (`'<alice token>'`) and the tour's
//! scratch directory (`/tmp/jl`, moved into the test's temporary directory).

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Blocks that are not run, by a line they contain, with the reason.
const NOT_RUN: &[(&str, &str)] = &[
    (
        "cargo run --release -- demo",
        "the interactive TUI and the whole test suite (`cargo test` would run this test again)",
    ),
    (
        "cargo install --path .",
        "installs into ~/.cargo/bin; the test runs the binary cargo built instead",
    ),
    (
        "-- sim --projects",
        "starts the simulator: the test starts exactly this command itself (as `jiralink sim …`) and keeps it running for the other blocks",
    ),
    (
        "cargo clippy --all-targets",
        "the development commands: CI runs them, and `cargo test` would run this test again",
    ),
];

/// The README next to Cargo.toml.
fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// Every ```sh block's text, in order.
fn sh_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match &mut current {
            None if line.trim_start().starts_with("```sh") => current = Some(String::new()),
            None => {}
            Some(b) if line.trim_start().starts_with("```") => {
                blocks.push(std::mem::take(b));
                current = None;
            }
            Some(b) => {
                b.push_str(line);
                b.push('\n');
            }
        }
    }
    assert!(current.is_none(), "an unterminated ```sh block");
    blocks
}

fn not_run_reason(block: &str) -> Option<&'static str> {
    NOT_RUN
        .iter()
        .find(|(needle, _)| block.contains(needle))
        .map(|(_, why)| *why)
}

/// The commands of a block: one per line (a line ending in `\` continues on the next, as in
/// bash), comments and blank lines dropped (bash would too).
fn commands(block: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut pending: Option<String> = None;
    for line in block.lines().map(str::trim) {
        if pending.is_none() && (line.is_empty() || line.starts_with('#')) {
            continue;
        }
        let mut cmd = pending.take().unwrap_or_default();
        match line.strip_suffix('\\') {
            Some(head) => {
                cmd.push_str(head);
                pending = Some(cmd);
            }
            None => {
                cmd.push_str(line);
                out.push(cmd);
            }
        }
    }
    if let Some(cmd) = pending {
        out.push(cmd);
    }
    out
}

struct Sim {
    child: Child,
    base: String,
    alice_token: String,
    stderr: String,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start the simulator the way the README's sim block does (`cargo run --release -- sim ARGS` →
/// `jiralink sim ARGS`).
fn start_sim(sim_block: &str) -> Sim {
    let line = commands(sim_block)
        .into_iter()
        .find(|c| c.contains("-- sim"))
        .unwrap();
    let args: Vec<&str> = line
        .split_once("-- ")
        .unwrap()
        .1
        .split('#')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("jiralink"))
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let base = first
        .trim()
        .strip_prefix("LISTENING ")
        .unwrap_or_else(|| panic!("the sim's first line was {first:?}"))
        .trim_end_matches('/')
        .to_string();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut stderr = String::new();
    let mut alice_token = String::new();
    loop {
        let mut l = String::new();
        if err.read_line(&mut l).unwrap() == 0 {
            break;
        }
        stderr.push_str(&l);
        let cols: Vec<&str> = l.split_whitespace().collect();
        if cols.first() == Some(&"alice") && cols.len() >= 4 {
            alice_token = cols[3].to_string();
        }
        if l.contains("no browser at all") {
            break;
        }
    }
    // Keep draining stderr so the simulator never blocks on a full pipe.
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut err, &mut std::io::sink());
    });
    assert!(!alice_token.is_empty(), "no token for alice in:\n{stderr}");
    Sim {
        child,
        base,
        alice_token,
        stderr,
    }
}

/// The README's placeholders, filled in as a reader would.
fn fill(script: &str, sim: &Sim, scratch: &Path) -> String {
    script
        .replace("http://127.0.0.1:PORT/jira", &sim.base)
        .replace("'<alice token>'", &format!("'{}'", sim.alice_token))
        .replace("/tmp/jl", &scratch.display().to_string())
}

/// A browser approving the request token: the authorize URL sends an anonymous visitor to log in,
/// the login returns to the authorize page, and Allow shows the verification code.
fn approve_in_browser(authorize_url: &str, base: &str, user: &str, password: &str) -> String {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let c = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let page = c
            .get(authorize_url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let login = attr_after(&page, "id=\"login-link\"", "href").expect(&page);
        let page = c.get(&login).send().await.unwrap().text().await.unwrap();
        let destination = attr_after(&page, "name=\"os_destination\"", "value").unwrap();
        assert!(
            destination.starts_with("/plugins/servlet/oauth/authorize?oauth_token="),
            "the login page must return to the authorize page, not {destination:?}"
        );
        let r = c
            .post(format!("{base}/login.jsp"))
            .form(&[
                ("os_username", user),
                ("os_password", password),
                ("os_destination", destination.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 302);
        let cookie = r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let back = r.headers()["location"].to_str().unwrap().to_string();
        let page = c
            .get(&back)
            .header("Cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("Allow access?"), "{page}");
        let action = attr_after(&page, "id=\"authorize-form\"", "action").unwrap();
        let token = attr_after(&page, "name=\"oauth_token\"", "value").unwrap();
        let page = c
            .post(action)
            .header("Cookie", &cookie)
            .form(&[("oauth_token", token.as_str()), ("approve", "Allow")])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let open = "<span id=\"verifier\">";
        let start = page.find(open).expect(&page) + open.len();
        let end = start + page[start..].find("</span>").unwrap();
        page[start..end].to_string()
    })
}

/// The value of attribute `attr` in the tag that contains `marker`, HTML entities undone.
fn attr_after(page: &str, marker: &str, attr: &str) -> Option<String> {
    let at = page.find(marker)?;
    let tag_start = page[..at].rfind('<')?;
    let tag = &page[tag_start..tag_start + page[tag_start..].find('>')?];
    let key = format!("{attr}=\"");
    let v = &tag[tag.find(&key)? + key.len()..];
    let v = &v[..v.find('"')?];
    Some(
        v.replace("&amp;", "&")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">"),
    )
}

/// One command's outcome.
#[derive(Debug, Default, Clone)]
struct Ran {
    command: String,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Run `blocks` as one bash script (README order), a marker before and the exit code after every
/// command; answers `link authorize`'s prompt by approving in a "browser".
fn run_script(commands: &[String], sim: &Sim, home: &Path, work: &Path) -> Vec<Ran> {
    let mut script = String::new();
    for (i, c) in commands.iter().enumerate() {
        script.push_str(&format!("echo '@@run {i}'; echo '@@run {i}' >&2\n{c}\n"));
        script.push_str(&format!("echo \"@@rc {i} $?\" >&2\n"));
    }
    let bin_dir = assert_cmd::cargo::cargo_bin("jiralink")
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(work)
        .env("PATH", path)
        .env("HOME", home)
        .env("NO_COLOR", "1")
        .env_remove("JIRALINK_CONFIG")
        .env_remove("JIRALINK_DATA")
        .env_remove("JIRALINK_STATE")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME")
        .env_remove("XDG_STATE_HOME")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let err_thread = std::thread::spawn(move || {
        let mut s = String::new();
        stderr.read_to_string(&mut s).unwrap();
        s
    });
    let (tx, rx) = mpsc::channel::<String>();
    let out_thread = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut out_lines = Vec::new();
    let authorize_prefix = format!("{}/plugins/servlet/oauth/authorize?oauth_token=", sim.base);
    loop {
        match rx.recv_timeout(Duration::from_secs(300)) {
            Ok(line) => {
                if line.starts_with(&authorize_prefix) {
                    let code = approve_in_browser(line.trim(), &sim.base, "alice", "alice");
                    writeln!(stdin, "{code}").unwrap();
                    stdin.flush().unwrap();
                }
                out_lines.push(line);
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                panic!(
                    "the README blocks hung; output so far:\n{}",
                    out_lines.join("\n")
                );
            }
        }
    }
    drop(stdin);
    out_thread.join().unwrap();
    let err_text = err_thread.join().unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "bash itself failed: {status}\n{err_text}");

    let mut ran: Vec<Ran> = commands
        .iter()
        .map(|c| Ran {
            command: c.clone(),
            ..Ran::default()
        })
        .collect();
    let mut at = None;
    for l in &out_lines {
        if let Some(i) = l.strip_prefix("@@run ") {
            at = i.trim().parse::<usize>().ok();
        } else if let Some(i) = at {
            ran[i].stdout.push_str(l);
            ran[i].stdout.push('\n');
        }
    }
    let mut at = None;
    for l in err_text.lines() {
        if let Some(i) = l.strip_prefix("@@run ") {
            at = i.trim().parse::<usize>().ok();
        } else if let Some(rest) = l.strip_prefix("@@rc ") {
            let mut it = rest.split_whitespace();
            let i: usize = it.next().unwrap().parse().unwrap();
            ran[i].code = it.next().unwrap().parse().ok();
            at = None;
        } else if let Some(i) = at {
            ran[i].stderr.push_str(l);
            ran[i].stderr.push('\n');
        }
    }
    ran
}

/// The run of the first command that starts with `prefix`.
fn find<'a>(ran: &'a [Ran], prefix: &str) -> &'a Ran {
    ran.iter()
        .find(|r| r.command.starts_with(prefix))
        .unwrap_or_else(|| panic!("the README no longer runs `{prefix}`"))
}

fn has(r: &Ran, needle: &str) {
    assert!(
        r.stdout.contains(needle) || r.stderr.contains(needle),
        "`{}` did not say {needle:?}\nstdout:\n{}\nstderr:\n{}",
        r.command,
        r.stdout,
        r.stderr
    );
}

#[test]
fn continued_lines_are_one_command() {
    let block = "# c\necho a \\\n  b\n\necho c\n";
    assert_eq!(commands(block), ["echo a b", "echo c"]);
}

#[test]
fn readme_command_blocks_run_against_the_simulator() {
    let text = readme();
    let blocks = sh_blocks(&text);
    assert!(
        blocks.len() >= 6,
        "found only {} ```sh blocks",
        blocks.len()
    );
    // Every NOT_RUN entry still names a block (a stale entry would hide nothing, but lie).
    for (needle, _) in NOT_RUN {
        assert!(
            blocks.iter().any(|b| b.contains(needle)),
            "NOT_RUN names `{needle}`, which no README block contains any more"
        );
    }
    let sim_block = blocks
        .iter()
        .find(|b| b.contains("-- sim --projects"))
        .expect("the README starts the simulator");
    let sim = start_sim(sim_block);
    // What the simulator prints to help approve from elsewhere (the README points at it).
    let port = sim
        .base
        .rsplit(':')
        .next()
        .unwrap()
        .split('/')
        .next()
        .unwrap();
    assert!(
        sim.stderr
            .contains(&format!("ssh -L {port}:127.0.0.1:{port}")),
        "{}",
        sim.stderr
    );
    assert!(sim.stderr.contains("w3m"), "{}", sim.stderr);

    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let work = tmp.path().join("work");
    let scratch = tmp.path().join("jl");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&work).unwrap();

    let jq = Command::new("jq")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let mut run: Vec<String> = Vec::new();
    for b in &blocks {
        if let Some(why) = not_run_reason(b) {
            eprintln!("not run ({why}):\n{b}");
            continue;
        }
        for c in commands(&fill(b, &sim, &scratch)) {
            if !jq && c.contains("| jq") {
                eprintln!("not run (jq is not installed here): {c}");
                continue;
            }
            run.push(c);
        }
    }
    let ran = run_script(&run, &sim, &home, &work);
    for r in &ran {
        eprintln!("$ {}  → {:?}", r.command, r.code);
    }

    // Every command exits as the README's exit-code table says: 0, except an audit that finds
    // missing permissions (1). Nothing may stop on a usage or config error (2) or fail to run.
    for r in &ran {
        // `fix --dry-run` changes nothing and so, with something missing, exits 1 too.
        let allowed: &[i32] = if r.command.starts_with("jiralink audit")
            || (r.command.starts_with("jiralink fix") && r.command.contains("--dry-run"))
        {
            &[0, 1]
        } else {
            &[0]
        };
        assert!(
            r.code.is_some_and(|c| allowed.contains(&c)),
            "`{}` exited {:?}\nstdout:\n{}\nstderr:\n{}",
            r.command,
            r.code,
            r.stdout,
            r.stderr
        );
    }

    // Install block: the version line, completions and man page where the README puts them.
    has(find(&ran, "jiralink --version"), "jiralink");
    assert!(home
        .join(".local/share/bash-completion/completions/jiralink")
        .metadata()
        .is_ok_and(|m| m.len() > 0));
    assert!(home.join(".local/share/man/man1/jiralink.1").exists());

    // The tour.
    let check = find(&ran, "jiralink check");
    for name in ["alice", "admin", "alice-pat"] {
        has(check, name);
    }
    has(find(&ran, "jiralink audit alice --admin admin"), "OPS");

    // The fix block: a dedicated role for OPS alone, applied, then undone (so the JSON example
    // below still prints what the README shows).
    let plan = find(
        &ran,
        "jiralink fix alice --admin admin --project OPS --dry-run",
    );
    has(plan, "create project role Integration");
    has(plan, "nobody else gains anything");
    has(plan, "dry run: nothing changed");
    let applied = find(&ran, "jiralink fix alice --admin admin --project OPS --yes");
    has(applied, "alice now holds every required permission");
    has(applied, "undo: jiralink fix --undo ");
    // `last` is resolved: the undo names the journal the apply printed, not "last".
    let id = applied
        .stdout
        .lines()
        .chain(applied.stderr.lines())
        .find_map(|l| l.trim().strip_prefix("undo: jiralink fix --undo "))
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the apply printed its undo line")
        .to_string();
    let undone = find(&ran, "jiralink fix --undo last");
    has(undone, &format!("undo {id} (applied "));
    has(undone, &format!("undone: journal {id}"));

    // The linking block, start to end.
    has(
        find(&ran, "jiralink link new app"),
        "Added connection \"app\"",
    );
    has(find(&ran, "jiralink link fields app"), "Consumer Key");
    has(
        find(&ran, "jiralink link create app"),
        "Created the application link",
    );
    has(
        find(&ran, "jiralink link authorize app"),
        "Authorized: connection \"app\" acts as alice",
    );
    has(find(&ran, "jiralink check app"), "app");
    let env = work.join("app.env");
    assert_eq!(
        std::fs::metadata(&env).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let env = std::fs::read_to_string(&env).unwrap();
    assert!(env.contains("JIRA_OAUTH_ACCESS_TOKEN='"), "{env}");
    assert!(
        env.contains(&format!("JIRA_BASE_URL='{}'", sim.base)),
        "{env}"
    );

    // The OAuth 2.0 expiry block: the control API takes the POST (it refuses one that is not
    // JSON, so the README's curl must say so) and expires the token `check app2` then refreshes.
    let expire = find(&ran, "curl -s -X POST");
    assert!(
        expire.command.contains("/__sim/oauth2/expire") && expire.stdout.contains("\"expired\":1"),
        "`{}` printed {:?}",
        expire.command,
        expire.stdout
    );

    // The JSON example prints what the README shows under it.
    if jq {
        let json_block = blocks
            .iter()
            .find(|b| b.contains("--format json | jq -c '.summary'") && !b.contains("export "))
            .expect("the JSON example");
        let shown = json_block
            .lines()
            .find_map(|l| l.trim().strip_prefix("# "))
            .unwrap();
        let printed = ran
            .iter()
            .rev()
            .find(|r| r.command.ends_with("jq -c '.summary'"))
            .unwrap();
        assert_eq!(printed.stdout.trim(), shown.trim(), "README JSON example");
    }
    let _: PathBuf = scratch;
}
