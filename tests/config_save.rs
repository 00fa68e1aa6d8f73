//! Editing and saving: comments and unknown keys survive, mode 0600, a failed save or a file that
//! does not parse never loses the old file.

use jiralink::config::{AuthKind, Config, ConfigError, ConfigFile, Connection};
use jiralink::secret::{SecretRef, SecretString};
use std::os::unix::fs::PermissionsExt;

const ORIGINAL: &str = r#"# my jiralink config
theme = "dark"   # not ours: must survive

[defaults]
timeout_secs = 15 # slow VPN

# production, do not touch
[[connection]]
name = "prod"
url = "https://jira.example.com/jira"
auth = "pat"
token = { env = "PROD_PAT" } # from the vault
"#;

fn setup() -> (tempfile::TempDir, std::path::PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("config.toml");
    std::fs::write(&p, ORIGINAL).unwrap();
    (t, p)
}

fn mode(p: &std::path::Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn add_keeps_comments_unknown_keys_and_sets_0600() {
    let (_t, p) = setup();
    let mut f = ConfigFile::open(&p).unwrap();
    let mut c = Connection::new("lab", "https://lab.example/", AuthKind::Basic);
    c.username = Some("alice".into());
    c.password = Some(SecretRef::Cmd("pass show lab".into()));
    f.upsert_connection(&c).unwrap();
    f.save().unwrap();
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.starts_with(ORIGINAL), "{text}");
    assert!(
        text.contains("password = { cmd = \"pass show lab\" }"),
        "{text}"
    );
    assert_eq!(mode(&p), 0o600);
    let cfg = Config::load(&p).unwrap();
    assert_eq!(cfg.connections.len(), 2);
    assert_eq!(cfg.defaults.timeout_secs, 15);
    assert_eq!(cfg.warnings.len(), 1, "theme is unknown but kept");
}

#[test]
fn replace_in_place_keeps_the_comments_around_it() {
    let (_t, p) = setup();
    let mut f = ConfigFile::open(&p).unwrap();
    let mut c = Connection::new("prod", "https://jira2.example.com/jira", AuthKind::Pat);
    c.token = Some(SecretRef::Env("PROD_PAT2".into()));
    f.upsert_connection(&c).unwrap();
    f.save().unwrap();
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(
        text.contains("# production, do not touch\n[[connection]]"),
        "{text}"
    );
    assert!(
        text.contains("token = { env = \"PROD_PAT2\" } # from the vault"),
        "{text}"
    );
    assert!(
        text.contains("url = \"https://jira2.example.com/jira\""),
        "{text}"
    );
    assert_eq!(text.matches("[[connection]]").count(), 1);
}

#[test]
fn remove_and_set_field() {
    let (_t, p) = setup();
    let mut f = ConfigFile::open(&p).unwrap();
    f.set_connection_field("prod", "timeout_secs", 45i64)
        .unwrap();
    let e = f
        .set_connection_field("prod", "timeout_secs", "soon")
        .unwrap_err();
    assert!(e.to_string().contains("`timeout_secs`"), "{e}");
    assert!(f
        .set_connection_field("prod", "tiemout_secs", 1i64)
        .is_err());
    assert!(matches!(
        f.set_connection_field("nope", "proxy", "http://p"),
        Err(ConfigError::UnknownConnection(_))
    ));
    f.save().unwrap();
    assert_eq!(
        Config::load(&p).unwrap().connections[0].timeout_secs,
        Some(45)
    );
    assert!(f.remove_connection("prod"));
    assert!(!f.remove_connection("prod"));
    f.save().unwrap();
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.contains("theme = \"dark\""), "{text}");
    assert!(!text.contains("[[connection]]"), "{text}");
}

#[test]
fn invalid_connection_is_not_written() {
    let (_t, p) = setup();
    let mut f = ConfigFile::open(&p).unwrap();
    let c = Connection::new("x", "https://x.example", AuthKind::Basic);
    let e = f.upsert_connection(&c).unwrap_err();
    assert!(e.to_string().contains("connection \"x\""), "{e}");
    f.save().unwrap();
    assert_eq!(std::fs::read_to_string(&p).unwrap(), ORIGINAL);
}

#[test]
fn unparsable_file_is_never_opened_for_writing() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("config.toml");
    std::fs::write(&p, "[[connection]\nname = ").unwrap();
    let e = ConfigFile::open(&p).unwrap_err();
    assert!(e.to_string().contains("config.toml:1:"), "{e}");
    assert_eq!(
        std::fs::read_to_string(&p).unwrap(),
        "[[connection]\nname = "
    );
}

#[test]
fn new_file_and_dir_get_private_modes_and_plain_secret_round_trips() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("new/jiralink/config.toml");
    let mut f = ConfigFile::open(&p).unwrap();
    let mut c = Connection::new("s", "https://s.example", AuthKind::Pat);
    c.token = Some(SecretRef::Plain(SecretString::from("typed".to_owned())));
    f.upsert_connection(&c).unwrap();
    f.save().unwrap();
    assert_eq!(mode(&p), 0o600);
    assert_eq!(mode(p.parent().unwrap()), 0o700);
    assert!(std::fs::read_to_string(&p)
        .unwrap()
        .contains("token = \"typed\""));
}

#[test]
fn failed_save_leaves_the_old_file_intact() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("d");
    std::fs::create_dir(&dir).unwrap();
    let target = dir.join("config.toml");
    std::fs::write(&target, ORIGINAL).unwrap();
    let mut f = ConfigFile::open(&target).unwrap();
    let mut c = Connection::new("lab", "https://lab.example", AuthKind::Pat);
    c.token = Some(SecretRef::Env("T".into()));
    f.upsert_connection(&c).unwrap();
    // Move the directory away and put a file in its place, so the save cannot even create its
    // temp file. (A read-only dir would not stop root, which CI containers often are; the
    // failing-rename case is covered in paths.rs.)
    let moved = t.path().join("moved");
    std::fs::rename(&dir, &moved).unwrap();
    std::fs::write(&dir, "not a dir").unwrap();
    let e = f.save().unwrap_err();
    assert!(matches!(e, ConfigError::Write { .. }), "{e:?}");
    assert!(
        e.to_string().contains("the previous file is unchanged"),
        "{e}"
    );
    assert_eq!(
        std::fs::read_to_string(moved.join("config.toml")).unwrap(),
        ORIGINAL
    );
    assert_eq!(std::fs::read_to_string(&dir).unwrap(), "not a dir");
}

/// Issue 14 §1: two holders of an older copy (two processes, or a TUI and a CLI) both save;
/// the second re-reads under the lock and keeps the first one's change.
#[test]
fn stale_copies_merge_on_save_and_same_connection_edits_conflict() {
    let (_t, p) = setup();
    let mut a = ConfigFile::open(&p).unwrap();
    let mut b = ConfigFile::open(&p).unwrap();
    let mut lab = Connection::new("lab", "https://lab.example/", AuthKind::Pat);
    lab.token = Some(SecretRef::Env("LAB".into()));
    let mut qa = Connection::new("qa", "https://qa.example/", AuthKind::Pat);
    qa.token = Some(SecretRef::Env("QA".into()));
    a.upsert_connection(&lab).unwrap();
    b.upsert_connection(&qa).unwrap();
    a.save().unwrap();
    b.save().unwrap();
    let names: Vec<String> = Config::load(&p)
        .unwrap()
        .connections
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["prod", "lab", "qa"]);
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.starts_with(ORIGINAL), "{text}");

    // Both change "prod": the later save must not silently undo the earlier one.
    let mut a = ConfigFile::open(&p).unwrap();
    let mut b = ConfigFile::open(&p).unwrap();
    a.set_connection_field("prod", "timeout_secs", 30i64)
        .unwrap();
    b.set_connection_field("prod", "timeout_secs", 60i64)
        .unwrap();
    a.save().unwrap();
    let e = b.save().unwrap_err();
    assert!(matches!(e, ConfigError::Conflict { .. }), "{e}");
    assert!(e.to_string().contains("\"prod\""), "{e}");
    assert_eq!(
        Config::load(&p).unwrap().connections[0].timeout_secs,
        Some(30)
    );
}
