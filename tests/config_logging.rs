//! `logging::init` writes plain (no ANSI) lines to the log file under the state dir, never stdout.

use jiralink::paths::Paths;

#[test]
fn init_logs_to_the_state_dir_file() {
    // The only test in this binary, so changing the env cannot race another test.
    std::env::remove_var("JIRALINK_LOG");
    let t = tempfile::tempdir().unwrap();
    let state = t.path().join("state/nested");
    let paths = Paths::resolve_with(Some(&t.path().join("c.toml")), |k| match k {
        "JIRALINK_DATA" => Some(t.path().join("data").into()),
        "JIRALINK_STATE" => Some(state.clone().into()),
        _ => None,
    })
    .unwrap();
    let guard = jiralink::logging::init(&paths, 0).unwrap();
    tracing::info!(answer = 42, "hello from the test");
    tracing::debug!("filtered out at the default level");
    assert!(matches!(
        jiralink::logging::init(&paths, 0),
        Err(jiralink::logging::LoggingError::AlreadySet)
    ));
    drop(guard);
    let text = std::fs::read_to_string(&paths.log_file).unwrap();
    assert!(text.contains("jiralink started"), "{text}");
    assert!(text.contains("hello from the test answer=42"), "{text}");
    assert!(!text.contains("filtered out"), "{text}");
    assert!(!text.contains('\u{1b}'), "ANSI escape in log: {text}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&state).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
}
