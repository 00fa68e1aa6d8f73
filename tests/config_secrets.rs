//! Secrets from env, cmd and file through a connection: values arrive, errors name the connection
//! and key, and never the value.

use jiralink::config::Config;
use jiralink::jira::Auth;
use jiralink::secret::{ExposeSecret, SecretError, SecretRef};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn pat_with(token: &str) -> Config {
    Config::parse_str(
        Path::new("c.toml"),
        &format!("[[connection]]\nname = \"j\"\nurl = \"https://j.example\"\nauth = \"pat\"\ntoken = {token}\n"),
    )
    .unwrap()
}

fn pat_token(cfg: &Config) -> Result<String, String> {
    match cfg.connections[0].client_options(&cfg.defaults) {
        Ok(o) => match o.auth {
            Auth::Pat { token } => Ok(token.expose_secret().to_owned()),
            other => Err(format!("{other:?}")),
        },
        Err(e) => Err(e.to_string()),
    }
}

#[test]
fn from_env() {
    std::env::set_var("JIRALINK_TEST_SECRET_ENV", "env-value");
    assert_eq!(
        pat_token(&pat_with("{ env = \"JIRALINK_TEST_SECRET_ENV\" }")).unwrap(),
        "env-value"
    );
}

#[test]
fn from_cmd_trimmed() {
    let cfg = pat_with("{ cmd = \"printf '  cmd-value\\\\n'\" }");
    assert_eq!(pat_token(&cfg).unwrap(), "cmd-value");
}

#[test]
fn cmd_failure_names_connection_key_and_stderr_but_not_stdout() {
    let cfg = pat_with("{ cmd = \"echo leaked-value; echo 'pass: jira/pat is not in the password store' >&2; exit 1\" }");
    let e = pat_token(&cfg).unwrap_err();
    assert!(e.starts_with("connection \"j\": token: "), "{e}");
    assert!(
        e.contains("pass: jira/pat is not in the password store"),
        "{e}"
    );
    assert!(e.contains("exit status: 1"), "{e}");
    // The command text itself is shown (it is the source); its output is not.
    assert_eq!(e.matches("leaked-value").count(), 1, "{e}");
}

#[test]
fn from_private_file_trimmed() {
    let t = tempfile::tempdir().unwrap();
    let f = t.path().join("tok");
    std::fs::write(&f, "file-value\n").unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
    let cfg = pat_with(&format!("{{ file = \"{}\" }}", f.display()));
    assert_eq!(pat_token(&cfg).unwrap(), "file-value");
}

#[test]
fn world_readable_file_is_refused_with_the_fix() {
    let t = tempfile::tempdir().unwrap();
    let f = t.path().join("tok");
    std::fs::write(&f, "file-value").unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
    let r = SecretRef::File(f.clone()).resolve();
    assert!(matches!(
        r,
        Err(SecretError::FileTooOpen { mode: 0o644, .. })
    ));
    let e = pat_token(&pat_with(&format!("{{ file = \"{}\" }}", f.display()))).unwrap_err();
    assert!(e.contains(&format!("chmod 600 {}", f.display())), "{e}");
    assert!(e.starts_with("connection \"j\": token: "), "{e}");
    assert!(!e.contains("file-value"), "{e}");
}

#[test]
fn missing_and_empty_file_are_errors() {
    let t = tempfile::tempdir().unwrap();
    let f = t.path().join("tok");
    assert!(matches!(
        SecretRef::File(f.clone()).resolve(),
        Err(SecretError::File { .. })
    ));
    std::fs::write(&f, "  \n").unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
    let e = SecretRef::File(f).resolve().unwrap_err().to_string();
    assert!(e.contains("empty"), "{e}");
}

#[tokio::test]
async fn async_resolution_runs_the_command_off_the_runtime() {
    let cfg = pat_with("{ cmd = \"echo async-value\" }");
    let o = cfg.connections[0]
        .client_options_async(&cfg.defaults)
        .await
        .unwrap();
    match o.auth {
        Auth::Pat { token } => assert_eq!(token.expose_secret(), "async-value"),
        other => panic!("{other:?}"),
    }
}
