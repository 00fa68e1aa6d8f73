//! The TUI in a real pseudo-terminal: after a panic, SIGTERM, SIGHUP, Ctrl-C, `q` and Ctrl-Z/fg
//! the terminal is restored (the output ends by leaving the alternate screen and showing the
//! cursor, and the tty is back in canonical mode with echo, as `stty` would show), under several
//! `TERM`s; `TERM=dumb` is refused with a pointer to the headless commands; `--ascii` and a
//! non-UTF-8 locale draw ASCII only.
//!
//! The driver is a small Python program (python3 is on every CI image we use): Python's `pty`,
//! `termios` and job-control calls are the most direct way to play terminal *and* shell. It runs a
//! tiny job-control "shell" as session leader, so Ctrl-Z really stops jiralink and `fg` (SIGCONT
//! after handing the terminal back) really resumes it; an orphaned process group would have the
//! kernel discard SIGTSTP instead.

use serde_json::Value;
use std::process::Command;

const DRIVER: &str = r#"
import base64, json, os, pty, signal, sys, termios, time, select

term, action = sys.argv[1], sys.argv[2]
argv = json.loads(sys.argv[3])
env = dict(os.environ)
env["TERM"] = term
env.update(json.loads(sys.argv[4]))

master, slave = pty.openpty()
termios.tcsetwinsize(slave, (30, 100)) if hasattr(termios, "tcsetwinsize") else None
report_r, report_w = os.pipe()

helper = os.fork()
if helper == 0:
    # The job-control "shell": session leader owning the pty, jiralink in its own foreground group.
    os.close(master)
    os.close(report_r)
    os.setsid()
    import fcntl
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    pid = os.fork()
    if pid == 0:
        os.setpgid(0, 0)
        signal.signal(signal.SIGTTOU, signal.SIG_DFL)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        os.execvpe(argv[0], argv, env)
    try:
        os.setpgid(pid, pid)
    except OSError:
        pass  # the child already did it and exec'd (EACCES): the classic job-control race
    os.tcsetpgrp(slave, pid)
    def modes():
        lflag = termios.tcgetattr(slave)[3]
        return {"icanon": bool(lflag & termios.ICANON), "echo": bool(lflag & termios.ECHO)}
    os.write(report_w, (json.dumps({"pid": pid}) + "\n").encode())
    while True:
        _, status = os.waitpid(pid, os.WUNTRACED)
        if os.WIFSTOPPED(status):
            os.tcsetpgrp(slave, os.getpgrp())
            os.write(report_w, (json.dumps({"stopped": modes()}) + "\n").encode())
            time.sleep(0.3)
            # `fg`: hand the terminal back, then continue the group.
            os.tcsetpgrp(slave, pid)
            os.killpg(pid, signal.SIGCONT)
            continue
        os.tcsetpgrp(slave, os.getpgrp())
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -os.WTERMSIG(status)
        os.write(report_w, (json.dumps({"exit": code, "after": modes()}) + "\n").encode())
        os._exit(0)

os.close(report_w)
out = bytearray()
def pump(seconds):
    end = time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([master], [], [], 0.05)
        if r:
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            if not data:
                return
            out.extend(data)

reports = []
rbuf = b""
def read_reports():
    global rbuf
    while True:
        r, _, _ = select.select([report_r], [], [], 0)
        if not r:
            return
        chunk = os.read(report_r, 4096)
        if not chunk:
            return
        rbuf += chunk
        while b"\n" in rbuf:
            line, rbuf = rbuf.split(b"\n", 1)
            reports.append(json.loads(line))

def wait_for(pred, seconds):
    end = time.time() + seconds
    while time.time() < end:
        pump(0.05)
        read_reports()
        if pred():
            return True
    return False

wait_for(lambda: any("pid" in r for r in reports), 10)
pid = next(r["pid"] for r in reports if "pid" in r)
wait_for(lambda: b"\x1b[?1049h" in out or any("exit" in r for r in reports), 15)
entered = b"\x1b[?1049h" in out
pump(0.8)
if action == "sigterm":
    os.kill(pid, signal.SIGTERM)
elif action == "sighup":
    os.kill(pid, signal.SIGHUP)
elif action == "sigint":
    os.kill(pid, signal.SIGINT)
elif action == "sigquit":
    os.kill(pid, signal.SIGQUIT)
elif action == "ctrl-c":
    os.write(master, b"\x03")
elif action == "q":
    os.write(master, b"q")
elif action == "ctrl-z":
    os.write(master, b"\x1a")
    wait_for(lambda: any("stopped" in r for r in reports), 10)
    # Back in the foreground: it must redraw, then quit cleanly.
    wait_for(lambda: out.count(b"\x1b[?1049h") >= 2, 10)
    pump(0.5)
    os.write(master, b"q")
finished = wait_for(lambda: any("exit" in r for r in reports), 15)
pump(0.3)
if not finished:
    os.kill(pid, signal.SIGKILL)
result = {"entered": entered, "finished": finished, "reports": reports,
          "output": base64.b64encode(bytes(out)).decode()}
print(json.dumps(result))
"#;

struct Outcome {
    output: Vec<u8>,
    exit: Option<i64>,
    after: Option<Value>,
    stopped: Option<Value>,
    entered: bool,
}

fn drive(term: &str, action: &str, args: &[&str], env: &[(&str, &str)]) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "").unwrap();
    let mut argv = vec![env!("CARGO_BIN_EXE_jiralink").to_string()];
    argv.extend(args.iter().map(|s| s.to_string()));
    let mut envs = serde_json::Map::new();
    for (k, v) in [
        ("JIRALINK_CONFIG", config.to_str().unwrap()),
        ("JIRALINK_STATE", dir.path().join("state").to_str().unwrap()),
        ("JIRALINK_DATA", dir.path().join("data").to_str().unwrap()),
        ("JIRALINK_REFRESH_SECS", "0"),
    ] {
        envs.insert(k.into(), Value::String(v.into()));
    }
    for (k, v) in env {
        envs.insert((*k).into(), Value::String((*v).into()));
    }
    let out = Command::new("python3")
        .args([
            "-c",
            DRIVER,
            term,
            action,
            &serde_json::to_string(&argv).unwrap(),
            &Value::Object(envs).to_string(),
        ])
        .env_remove("NO_COLOR")
        .output()
        .expect("python3 runs the pty driver");
    assert!(
        out.status.success(),
        "driver failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    use base64::Engine;
    let output = base64::engine::general_purpose::STANDARD
        .decode(v["output"].as_str().unwrap())
        .unwrap();
    let reports = v["reports"].as_array().cloned().unwrap_or_default();
    let find = |k: &str| reports.iter().find_map(|r| r.get(k).cloned());
    Outcome {
        output,
        exit: find("exit").and_then(|e| e.as_i64()),
        after: find("after"),
        stopped: find("stopped"),
        entered: v["entered"].as_bool().unwrap_or(false),
    }
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// The terminal is back: after the last time the alternate screen was entered it was left and the
/// cursor shown, and the tty is in canonical mode with echo (what `stty` calls `icanon echo`).
fn assert_restored(o: &Outcome, what: &str) {
    let text = String::from_utf8_lossy(&o.output);
    assert!(o.entered, "{what}: the TUI never started:\n{text}");
    let enter = rfind(&o.output, b"\x1b[?1049h").unwrap();
    let leave = rfind(&o.output, b"\x1b[?1049l");
    let show = rfind(&o.output, b"\x1b[?25h");
    assert!(
        leave.is_some_and(|l| l > enter),
        "{what}: alternate screen not left:\n{text:?}"
    );
    assert!(
        show.is_some_and(|s| s > enter),
        "{what}: cursor not shown again:\n{text:?}"
    );
    let after = o.after.as_ref().expect("exit reported");
    assert_eq!(after["icanon"], true, "{what}: still in raw mode (-icanon)");
    assert_eq!(after["echo"], true, "{what}: echo still off");
}

#[test]
fn a_panic_restores_the_terminal_and_the_message_is_readable() {
    let o = drive(
        "xterm-256color",
        "none",
        &[],
        &[("JIRALINK_TEST_PANIC", "1")],
    );
    assert_restored(&o, "panic");
    assert_ne!(o.exit, Some(0));
    let text = String::from_utf8_lossy(&o.output);
    let leave = text.rfind("\x1b[?1049l").unwrap();
    let message = text
        .find("panicking on purpose")
        .expect("panic message shown");
    // The message comes after the (single) restore, so it stays on the normal screen: a second
    // `?1049l` after it would jump the cursor back above it.
    assert!(leave < message, "{text:?}");
    assert_eq!(text.matches("\x1b[?1049l").count(), 1, "{text:?}");
}

#[test]
fn sigterm_and_sighup_restore_the_terminal() {
    for action in ["sigterm", "sighup"] {
        let o = drive("xterm", action, &[], &[]);
        assert_restored(&o, action);
        assert!(o.exit.is_some(), "{action}: did not exit");
    }
}

/// Issue 14 §5: SIGINT and SIGQUIT (sent with `kill`; in raw mode the keys do not raise them)
/// restore the terminal and exit 128+N; the demo also removes its temp dir, which is 0700 while
/// it exists (it holds the simulator's passwords and PATs).
#[test]
fn sigint_and_sigquit_restore_the_terminal_and_exit_128_plus_n() {
    for (action, code) in [("sigint", 130), ("sigquit", 131)] {
        let o = drive("xterm", action, &[], &[]);
        assert_restored(&o, action);
        assert_eq!(o.exit, Some(code), "{action}");

        let tmp = tempfile::tempdir().unwrap();
        let o = drive(
            "xterm",
            action,
            &["demo"],
            &[("TMPDIR", tmp.path().to_str().unwrap())],
        );
        assert_restored(&o, &format!("demo, {action}"));
        assert_eq!(o.exit, Some(code), "demo, {action}");
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().collect();
        assert!(left.is_empty(), "demo, {action}: left behind {left:?}");
    }
}

#[test]
fn ctrl_c_and_q_quit_cleanly_under_every_term() {
    for term in ["xterm", "screen", "tmux-256color"] {
        for action in ["ctrl-c", "q"] {
            let o = drive(term, action, &[], &[]);
            assert_restored(&o, &format!("{action} with TERM={term}"));
            assert_eq!(o.exit, Some(0), "{action} with TERM={term}");
        }
    }
}

#[test]
fn ctrl_z_suspends_with_a_sane_terminal_and_fg_resumes() {
    let o = drive("xterm-256color", "ctrl-z", &[], &[]);
    let stopped = o.stopped.as_ref().expect("jiralink was stopped by Ctrl-Z");
    // While stopped the shell gets a normal terminal back.
    assert_eq!(stopped["icanon"], true, "raw mode left on while suspended");
    assert_eq!(stopped["echo"], true, "echo left off while suspended");
    // It left the alternate screen before stopping and came back after `fg`.
    let text = String::from_utf8_lossy(&o.output);
    let first_enter = text.find("\x1b[?1049h").unwrap();
    let leave = text[first_enter..]
        .find("\x1b[?1049l")
        .map(|i| i + first_enter);
    let second_enter = text.rfind("\x1b[?1049h").unwrap();
    assert!(
        leave.is_some_and(|l| l < second_enter),
        "no leave/re-enter around the suspend: {text:?}"
    );
    assert_restored(&o, "ctrl-z then fg then q");
    assert_eq!(o.exit, Some(0));
}

#[test]
fn term_dumb_is_refused_politely_in_a_real_terminal() {
    let o = drive("dumb", "none", &[], &[]);
    let text = String::from_utf8_lossy(&o.output);
    assert!(
        !o.entered,
        "entered the alternate screen on a dumb terminal"
    );
    assert!(text.contains("TERM=dumb"), "{text}");
    assert!(
        text.contains("jiralink check") && text.contains("jiralink audit"),
        "{text}"
    );
    assert_ne!(o.exit, Some(0));
}

#[test]
fn ascii_flag_and_a_non_utf8_locale_draw_ascii_only() {
    for (args, env) in [
        (&["--ascii"][..], &[("LANG", "en_US.UTF-8")][..]),
        (&[][..], &[("LC_ALL", "C"), ("LANG", "C")][..]),
    ] {
        let o = drive("xterm", "q", args, env);
        assert_restored(&o, "ascii");
        let non_ascii: Vec<char> = String::from_utf8_lossy(&o.output)
            .chars()
            .filter(|c| !c.is_ascii())
            .collect();
        assert!(
            non_ascii.is_empty(),
            "{args:?} {env:?}: non-ASCII drawn: {non_ascii:?}"
        );
    }
}
