//! Without a usable terminal the TUI refuses politely and points to the headless commands.

use assert_cmd::Command;
use predicates::str::contains;

#[test]
fn term_dumb_is_refused_with_a_pointer_to_headless_commands() {
    Command::cargo_bin("jiralink")
        .unwrap()
        .env("TERM", "dumb")
        .env("JIRALINK_CONFIG", "/nonexistent/jiralink/config.toml")
        .assert()
        .code(2)
        .stderr(contains("TERM=dumb"))
        .stderr(contains("jiralink check"));
}

#[test]
fn no_tty_is_refused_too() {
    Command::cargo_bin("jiralink")
        .unwrap()
        .env("TERM", "xterm-256color")
        .env("JIRALINK_CONFIG", "/nonexistent/jiralink/config.toml")
        .assert()
        .code(2)
        .stderr(contains("interactive terminal"));
}
