//! `jiralink demo` in a real pseudo-terminal leaves the user's home as it found it: with `HOME` and
//! the XDG dirs pointed at an empty temp dir, a run that audits, exports JSON and CSV (`x`, `X`)
//! and quits (`q`) writes nothing there, shows where the exports went (inside the demo's temp dir),
//! and removes that temp dir on exit.

use std::path::Path;
use std::process::Command;

/// Plays the terminal: starts the demo at 80x24, types `3 r`, waits for the audit, `x`, `X`, `q`,
/// and prints what the screen showed (ANSI stripped) as JSON.
const DRIVER: &str = r#"
import json, os, pty, re, select, subprocess, sys, termios, time

argv = json.loads(sys.argv[1])
env = json.loads(sys.argv[2])
master, slave = pty.openpty()
termios.tcsetwinsize(slave, (24, 80)) if hasattr(termios, "tcsetwinsize") else None
p = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                     start_new_session=True)
os.close(slave)
out = bytearray()

def pump(seconds, until=None):
    end = time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([master], [], [], 0.05)
        if r:
            try:
                data = os.read(master, 65536)
            except OSError:
                return False
            if not data:
                return False
            out.extend(data)
            if until and re.search(until, plain()):
                return True
    return False

def plain():
    text = out.decode("utf-8", "replace")
    return re.sub(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][A-Z0-9]|\x1b[=>]", "", text)

pump(6)
for k in "3r":
    os.write(master, k.encode()); pump(0.5)
audited = pump(30, r"jiralink-audit|DEMO|projects")
pump(2)
os.write(master, b"x")
exported_json = pump(20, r"data/exports/jiralink-audit")
pump(1)
os.write(master, b"X")
pump(3)
os.write(master, b"q")
try:
    code = p.wait(timeout=20)
except subprocess.TimeoutExpired:
    p.kill(); code = -9
pump(0.5)
print(json.dumps({"exit": code, "audited": audited, "exported": exported_json, "screen": plain()}))
"#;

/// Every file under `dir`, relative.
fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.push(format!("{}/", path.strip_prefix(dir).unwrap().display()));
                stack.push(path);
            } else {
                found.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    found
}

#[test]
fn the_demo_leaves_home_untouched_and_shows_where_exports_went() {
    if Command::new("python3").arg("-V").output().is_err() {
        eprintln!("SKIPPED: python3 is needed to drive a pseudo-terminal");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let h = home.path();
    let mut env: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    for (k, v) in [
        ("HOME", h.to_path_buf()),
        ("XDG_CONFIG_HOME", h.join(".config")),
        ("XDG_DATA_HOME", h.join(".local/share")),
        ("XDG_STATE_HOME", h.join(".local/state")),
        ("XDG_CACHE_HOME", h.join(".cache")),
        ("TMPDIR", tmp.path().to_path_buf()),
    ] {
        env.insert(k.into(), v.display().to_string());
    }
    env.insert("TERM".into(), "xterm-256color".into());
    env.insert("PATH".into(), std::env::var("PATH").unwrap_or_default());
    env.insert("LANG".into(), "C.UTF-8".into());
    let argv = serde_json::json!([env!("CARGO_BIN_EXE_jiralink"), "demo", "--projects", "30"]);
    let out = Command::new("python3")
        .args(["-c", DRIVER, &argv.to_string()])
        .arg(serde_json::to_string(&env).unwrap())
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("driver JSON");
    let screen = report["screen"].as_str().unwrap_or_default();
    assert_eq!(report["exit"], 0, "{screen}");
    assert_eq!(
        report["exported"], true,
        "no export path on screen:\n{screen}"
    );
    // The path shown is inside the demo's temp dir (under TMPDIR), not the data dir in HOME.
    // The screen is redrawn by diffs, so the path is matched on its own.
    let shown = format!("{}/jiralink-demo-", tmp.path().display());
    assert!(screen.contains(&shown), "no {shown:?} on screen:\n{screen}");
    assert!(
        screen.contains("/data/exports/jiralink-audit-demo-"),
        "{screen}"
    );
    assert_eq!(
        files_under(h),
        Vec::<String>::new(),
        "the demo wrote into HOME"
    );
    assert_eq!(
        files_under(tmp.path()),
        Vec::<String>::new(),
        "the demo's temp dir was left behind"
    );
}
