//! Issue 14 §2 and §3 against a hostile server over real loopback HTTP: endless answers are
//! refused early and a `check` of several stays under 128 MiB; control sequences in what a
//! server says never reach the terminal.
//!
//! The hostile server is a few lines of std networking, sharing nothing with the client or the
//! simulator. The peak memory of the `jiralink` child is its `ru_maxrss`, read by a Python
//! wrapper (the only child that wrapper waits for).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;

/// Serve every request on its own thread with `answer`, until the test ends.
fn serve(answer: fn(&str, TcpStream)) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/jira", l.local_addr().unwrap());
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            std::thread::spawn(move || {
                let mut r = BufReader::new(s.try_clone().unwrap());
                let mut first = String::new();
                let _ = r.read_line(&mut first);
                let mut line = String::new();
                while r.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let path = first.split_whitespace().nth(1).unwrap_or("/").to_owned();
                answer(&path, s);
            });
        }
    });
    url
}

/// A 200 whose chunked JSON body never ends.
fn endless(_path: &str, mut s: TcpStream) {
    let _ = s.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json;charset=UTF-8\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    let chunk = vec![b' '; 64 << 10];
    let head = format!("{:x}\r\n", chunk.len());
    loop {
        if s.write_all(head.as_bytes()).is_err()
            || s.write_all(&chunk).is_err()
            || s.write_all(b"\r\n").is_err()
        {
            return;
        }
    }
}

fn config_with(dir: &std::path::Path, urls: &[String]) -> std::path::PathBuf {
    let mut text = String::new();
    for (i, u) in urls.iter().enumerate() {
        text.push_str(&format!(
            "[[connection]]\nname = \"h{i}\"\nurl = \"{u}\"\nauth = \"pat\"\ntoken = \"not-a-real-token\"\n\n"
        ));
    }
    let p = dir.join("config.toml");
    std::fs::write(&p, text).unwrap();
    std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    p
}

const PEAK: &str = r#"
import json, resource, subprocess, sys
p = subprocess.run(sys.argv[1:], capture_output=True)
print(json.dumps({"code": p.returncode,
                  "maxrss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                  "stdout": p.stdout.decode("utf-8", "replace"),
                  "stderr": p.stderr.decode("utf-8", "replace")}))
"#;

/// Run jiralink with `args` under the Python wrapper; returns (exit code, peak RSS in MiB, stdout).
fn run_measured(
    dir: &std::path::Path,
    config: &std::path::Path,
    args: &[&str],
) -> (i64, u64, String) {
    let mut argv = vec![env!("CARGO_BIN_EXE_jiralink").to_string()];
    argv.extend(args.iter().map(|s| s.to_string()));
    let out = Command::new("python3")
        .arg("-c")
        .arg(PEAK)
        .args(&argv)
        .env("JIRALINK_CONFIG", config)
        .env("JIRALINK_STATE", dir.join("state"))
        .env("JIRALINK_DATA", dir.join("data"))
        .env("NO_COLOR", "1")
        .output()
        .expect("python3 runs the wrapper");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        v["code"].as_i64().unwrap(),
        v["maxrss_kib"].as_u64().unwrap() / 1024,
        format!(
            "{}{}",
            v["stdout"].as_str().unwrap(),
            v["stderr"].as_str().unwrap()
        ),
    )
}

#[test]
fn twenty_four_endless_answers_in_one_check_stay_under_128_mib() {
    let dir = tempfile::tempdir().unwrap();
    // Three times the connections `check` probes at once: memory must not grow with the count.
    let urls: Vec<String> = (0..24).map(|_| serve(endless)).collect();
    let config = config_with(dir.path(), &urls);
    let started = std::time::Instant::now();
    let (code, peak_mib, out) = run_measured(dir.path(), &config, &["check"]);
    eprintln!(
        "check of 24 endless servers: exit {code}, peak RSS {peak_mib} MiB, {:?}",
        started.elapsed()
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("response_too_large") || out.contains("too large"),
        "{out}"
    );
    assert!(peak_mib < 128, "peak RSS {peak_mib} MiB:\n{out}");
}

/// Answers that look like Jira, with control sequences in every string a user sees: OSC 0
/// (window title), OSC 52 (clipboard write), `ESC[2J` (clear screen), a bare CR, an 8-bit CSI
/// and a right-to-left override, and a title far longer than any line should be.
fn hostile_jira(path: &str, mut s: TcpStream) {
    const EVIL: &str = "\\u001b]0;pwned\\u0007\\u001b]52;c;cm0gLXJmIH4=\\u0007\\u001b[2J\\rX\\u009b2J\\u202egnp.exe";
    let base = format!("http://{}/jira", s.local_addr().unwrap());
    let (status, body) = if path.starts_with("/jira/rest/api/2/serverInfo") {
        (
            "200 OK",
            format!(
                r#"{{"baseUrl":"{base}","version":"9.12.3{EVIL}","versionNumbers":[9,12,3],"deploymentType":"Server","buildNumber":9120003,"serverTitle":"Jira{EVIL}{}"}}"#,
                "T".repeat(100_000)
            ),
        )
    } else if path.starts_with("/jira/rest/api/2/myself") {
        (
            "200 OK",
            format!(
                r#"{{"name":"alice","key":"alice","displayName":"Alice{EVIL}","active":true,"groups":{{"size":1,"items":[{{"name":"jira-users{EVIL}"}}]}}}}"#
            ),
        )
    } else {
        (
            "404 Not Found",
            format!(r#"{{"errorMessages":["no such thing{EVIL}"],"errors":{{}}}}"#),
        )
    };
    let _ = s.write_all(
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json;charset=UTF-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
}

/// `text` without SGR colour sequences (`ESC [ digits;… m`, jiralink's own colouring).
fn without_sgr(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("\u{1b}[") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let n = after
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b';')
            .count();
        if after.as_bytes().get(n) == Some(&b'm') {
            rest = &after[n + 1..];
        } else {
            out.push('\u{1b}');
            rest = &rest[i + 1..];
        }
    }
    out.push_str(rest);
    out
}

fn assert_terminal_safe(out: &str, what: &str) {
    // CSV ends its lines with CRLF; only a bare CR (which rewrites the line) is an attack.
    let out = &without_sgr(out).replace("\r\n", "\n");
    for (bad, name) in [
        ('\u{1b}', "ESC"),
        ('\u{7}', "BEL"),
        ('\r', "CR"),
        ('\u{9b}', "CSI"),
        ('\u{202e}', "RLO"),
    ] {
        assert!(
            !out.contains(bad),
            "{what}: a raw {name} reached the terminal:\n{out:?}"
        );
    }
    assert!(
        out.lines().all(|l| l.chars().count() < 4200),
        "{what}: a line was not cut"
    );
}

#[test]
fn control_sequences_from_a_server_never_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let url = serve(hostile_jira);
    let config = config_with(dir.path(), &[url]);
    for args in [
        vec!["check", "--color", "never"],
        vec!["check", "--color", "always"],
        vec!["check", "--format", "csv"],
    ] {
        let (_, _, out) = run_measured(dir.path(), &config, &args);
        assert_terminal_safe(&out, &args.join(" "));
        assert!(
            out.contains("\\x1b]0;pwned"),
            "{args:?}: escaped visibly:\n{out}"
        );
    }
    // JSON keeps the data, escaped the JSON way.
    let (_, _, out) = run_measured(dir.path(), &config, &["check", "--format", "json"]);
    assert!(out.contains("\\u001b]0;pwned"), "{out}");
    assert!(!out.contains('\u{1b}'));
}
