//! `jiralink sim` keeps serving when whoever started it stops reading its stderr banner: tests
//! (and scripts) read up to the line they need and close the pipe, and a failed banner write once
//! stopped the simulator, so later commands met "connection refused" at random.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Kills the child on drop.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_simulator_survives_a_closed_stderr() {
    let mut child = Child(
        Command::new(assert_cmd::cargo::cargo_bin("jiralink"))
            .args(["sim", "--projects", "5"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // Close stderr before the simulator writes its banner there.
    drop(child.0.stderr.take());
    let mut out = BufReader::new(child.0.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let base = line
        .trim()
        .strip_prefix("LISTENING ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    drop(out);
    // Give a dying simulator the time to die.
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.0.try_wait().unwrap().is_none(),
        "the simulator exited after its stderr closed"
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let status = rt.block_on(async {
        reqwest::get(format!(
            "{}/rest/api/2/serverInfo",
            base.trim_end_matches('/')
        ))
        .await
        .unwrap()
        .status()
    });
    assert_eq!(status, 200);
}
