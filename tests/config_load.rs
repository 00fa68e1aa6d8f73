//! Loading and validating config files: the example parses, every bad config names where it is bad.

use jiralink::config::{AuthKind, Config, ConfigError};
use jiralink::jira::{Auth, Flavor};
use jiralink::secret::ExposeSecret;
use std::path::{Path, PathBuf};

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse_str(Path::new("/etc/jl/config.toml"), text)
}

/// The single per-connection error of `text`, as a message.
fn conn_error(text: &str) -> String {
    let cfg = parse(text).unwrap();
    assert_eq!(
        cfg.connection_errors.len(),
        1,
        "{:?}",
        cfg.connection_errors
    );
    cfg.connection_errors[0].1.to_string()
}

fn assert_has(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "expected {p:?} in: {msg}");
    }
}

#[test]
fn example_config_parses_and_every_connection_validates() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let cfg = Config::load(&path).unwrap();
    assert!(
        cfg.connection_errors.is_empty(),
        "{:?}",
        cfg.connection_errors
    );
    assert!(cfg.warnings.is_empty(), "{:?}", cfg.warnings);
    let names: Vec<_> = cfg.connections.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["prod", "staging", "cloud", "applink", "app-oauth2", "svc"]
    );
    let kinds: Vec<_> = cfg.connections.iter().map(|c| c.auth).collect();
    assert_eq!(kinds, AuthKind::ALL);
    for c in &cfg.connections {
        c.validate().unwrap();
    }
    assert_eq!(cfg.defaults.timeout_secs, 20);
    assert_eq!(
        cfg.defaults.required_permissions,
        ["BROWSE_PROJECTS", "CREATE_ISSUES"]
    );
    assert_eq!(cfg.connection("cloud").unwrap().flavor(), Flavor::Cloud);
    assert_eq!(cfg.connection("prod").unwrap().flavor(), Flavor::Server);
}

#[test]
fn misspelled_key_names_line_column_connection_and_suggestion() {
    let msg = conn_error(
        "[[connection]]\nname = \"prod\"\nurl = \"https://j.example.com\"\nauth = \"basic\"\nusername = \"a\"\npasword = { env = \"P\" }\n",
    );
    assert_has(
        &msg,
        &[
            "/etc/jl/config.toml:6:1",
            "connection \"prod\"",
            "`pasword`",
            "did you mean `password`?",
        ],
    );
}

#[test]
fn one_bad_connection_does_not_stop_the_others() {
    let cfg = parse(
        "[[connection]]\nname = \"bad\"\nurl = \"ftp://x\"\nauth = \"pat\"\ntoken = \"t\"\n\n\
         [[connection]]\nname = \"good\"\nurl = \"https://j.example.com/jira/\"\nauth = \"pat\"\ntoken = { env = \"T\" }\n",
    )
    .unwrap();
    assert_eq!(cfg.connections.len(), 1);
    assert_eq!(cfg.connections[0].url, "https://j.example.com/jira");
    assert_eq!(cfg.connection_errors[0].0, "bad");
    assert_has(
        &cfg.connection_errors[0].1.to_string(),
        &[":3:7", "`url`", "http or https"],
    );
    assert!(matches!(
        cfg.require_connection("bad"),
        Err(ConfigError::Invalid { .. })
    ));
    assert!(matches!(
        cfg.require_connection("nope"),
        Err(ConfigError::UnknownConnection(_))
    ));
}

#[test]
fn duplicate_names_point_at_the_second() {
    let one = "[[connection]]\nname = \"p\"\nurl = \"https://a.example\"\nauth = \"pat\"\ntoken = \"t\"\n";
    let cfg = parse(&format!("{one}{one}")).unwrap();
    assert_eq!(cfg.connections.len(), 1);
    assert_has(
        &cfg.connection_errors[0].1.to_string(),
        &[
            ":7:8",
            "connection \"p\"",
            "`name`",
            "duplicate connection name (first defined at line 1)",
        ],
    );
}

#[test]
fn missing_fields_per_auth_kind() {
    let cases = [
        (
            "basic",
            "username = \"a\"",
            "`password`: missing; required with auth = \"basic\"",
        ),
        ("basic", "password = \"a\"", "`username`: missing"),
        ("pat", "", "`token`: missing"),
        ("cloud-token", "token = \"t\"", "`email`: missing"),
        ("oauth1", "consumer_key = \"k\"", "`private_key`: missing"),
    ];
    for (kind, extra, want) in cases {
        let msg = conn_error(&format!(
            "[[connection]]\nname = \"c\"\nurl = \"https://a.example\"\nauth = \"{kind}\"\n{extra}\n"
        ));
        assert_has(&msg, &[":1:1", "connection \"c\"", want]);
    }
}

#[test]
fn key_of_another_auth_kind_is_rejected() {
    let msg = conn_error(
        "[[connection]]\nname = \"c\"\nurl = \"https://a.example\"\nauth = \"pat\"\ntoken = \"t\"\nusername = \"x\"\n",
    );
    assert_has(
        &msg,
        &[":6:1", "`username`", "not used with auth = \"pat\""],
    );
}

#[test]
fn bad_values_name_line_column_and_key() {
    let base = "[[connection]]\nname = \"c\"\nurl = \"https://a.example\"\nauth = \"pat\"\n";
    let cases = [
        ("token = {}", ":5:9", "`token`", "no source"),
        (
            "token = { env = \"A\", cmd = \"b\" }",
            ":5:9",
            "`token`",
            "2 sources (env, cmd)",
        ),
        (
            "token = { evn = \"A\" }",
            ":5:11",
            "`token.evn`",
            "did you mean `env`?",
        ),
        (
            "token = { env = \"\" }",
            ":5:17",
            "`token.env`",
            "must not be empty",
        ),
        (
            "token = 42",
            ":5:9",
            "`token`",
            "expected a string or a table",
        ),
        (
            "token = \"t\"\ntimeout_secs = \"30\"",
            ":6:16",
            "`timeout_secs`",
            "expected a whole number",
        ),
        (
            "token = \"t\"\ntimeout_secs = 0",
            ":6:16",
            "`timeout_secs`",
            "from 1 to 3600",
        ),
        (
            "token = \"t\"\ninsecure = \"yes\"",
            ":6:12",
            "`insecure`",
            "expected true or false",
        ),
        (
            "token = \"t\"\nproxy = \"gopher://p\"",
            ":6:9",
            "`proxy`",
            "scheme",
        ),
    ];
    for (extra, at, key, want) in cases {
        let msg = conn_error(&format!("{base}{extra}\n"));
        assert_has(&msg, &[at, "connection \"c\"", key, want]);
    }
    let msg = conn_error(
        "[[connection]]\nname = \"c\"\nurl = \"https://a.example\"\nauth = \"kerberos\"\n",
    );
    assert_has(&msg, &[":4:8", "`auth`", "basic, pat, cloud-token, oauth1"]);
    let msg = conn_error(
        "[[connection]]\nname = \"c\"\nurl = \"https://\"\nauth = \"pat\"\ntoken = \"t\"\n",
    );
    assert_has(&msg, &[":3:7", "`url`"]);
}

#[test]
fn syntax_error_is_a_file_error_with_line_and_column() {
    let e = parse("[defaults]\ntimeout_secs = 20\nconcurrency = = 3\n").unwrap_err();
    assert!(matches!(e, ConfigError::Parse { .. }), "{e:?}");
    assert_has(
        &e.to_string(),
        &[
            "/etc/jl/config.toml:3:15",
            "invalid TOML",
            "(at `concurrency`)",
        ],
    );
}

#[test]
fn duplicate_key_names_the_key() {
    let e = parse("[[connection]]\nname = \"a\"\nname = \"b\"\n").unwrap_err();
    assert_has(&e.to_string(), &[":3:1", "duplicate key", "`name`"]);
}

#[test]
fn bad_defaults_are_a_file_error() {
    let e = parse("[defaults]\nconcurency = 3\n").unwrap_err();
    assert_has(
        &e.to_string(),
        &[":2:1", "`concurency`", "did you mean `concurrency`?"],
    );
    let e = parse("[defaults]\nrequired_permissions = [\"browse\"]\n").unwrap_err();
    assert_has(
        &e.to_string(),
        &[":2:25", "`required_permissions`", "not a permission key"],
    );
}

#[test]
fn unknown_top_level_key_is_a_warning_with_location() {
    let cfg = parse("# hi\ncolour = \"blue\"\n").unwrap();
    assert_eq!(cfg.warnings.len(), 1);
    assert_has(&cfg.warnings[0], &[":2:1", "`colour`"]);
}

#[test]
fn debug_of_config_never_shows_a_secret() {
    let cfg = parse(
        "[[connection]]\nname = \"c\"\nurl = \"https://a.example\"\nauth = \"basic\"\nusername = \"u\"\npassword = \"hunter2-plain\"\n",
    )
    .unwrap();
    assert_eq!(cfg.connections.len(), 1);
    let dbg = format!("{cfg:?} {:#?}", cfg.connections[0]);
    assert!(!dbg.contains("hunter2"), "{dbg}");
    let opts = cfg.connections[0].client_options(&cfg.defaults).unwrap();
    assert!(!format!("{opts:?}").contains("hunter2"));
}

#[test]
fn missing_file_loads_as_empty_config_but_load_errors() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("none.toml");
    let cfg = Config::load_or_default(&p).unwrap();
    assert!(cfg.connections.is_empty() && cfg.path.is_none());
    assert_has(
        &Config::load(&p).unwrap_err().to_string(),
        &["cannot read config", "none.toml"],
    );
}

#[test]
fn client_options_resolve_auth_flavor_and_timeouts() {
    std::env::set_var("JIRALINK_TEST_LOAD_TOKEN", "cloud-token-value");
    let cfg = parse(
        "[defaults]\ntimeout_secs = 7\n\n[[connection]]\nname = \"c\"\nurl = \"https://acme.atlassian.net/\"\n\
         auth = \"cloud-token\"\nemail = \"me@acme.com\"\ntoken = { env = \"JIRALINK_TEST_LOAD_TOKEN\" }\nproxy = \"http://p:3128\"\n\n\
         [[connection]]\nname = \"s\"\nurl = \"https://jira.example.com/jira\"\nauth = \"pat\"\ntoken = { env = \"JIRALINK_TEST_LOAD_UNSET\" }\ntimeout_secs = 3\n",
    )
    .unwrap();
    let o = cfg.connections[0].client_options(&cfg.defaults).unwrap();
    assert_eq!(o.flavor, Flavor::Cloud);
    assert_eq!(o.timeout.as_secs(), 7);
    assert_eq!(o.proxy.as_deref(), Some("http://p:3128"));
    assert_eq!(o.base_url.as_str(), "https://acme.atlassian.net/");
    match &o.auth {
        Auth::CloudToken { email, token } => {
            assert_eq!(email, "me@acme.com");
            assert_eq!(token.expose_secret(), "cloud-token-value");
        }
        other => panic!("{other:?}"),
    }
    let e = cfg.connections[1]
        .client_options(&cfg.defaults)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "connection \"s\": token: environment variable JIRALINK_TEST_LOAD_UNSET is not set"
    );
}

#[test]
fn missing_ca_file_is_reported_before_connecting() {
    let cfg = parse(
        "[[connection]]\nname = \"c\"\nurl = \"https://a.example\"\nauth = \"pat\"\ntoken = \"t\"\nca_file = \"/nonexistent/ca.pem\"\n",
    )
    .unwrap();
    let e = cfg.connections[0]
        .client_options(&cfg.defaults)
        .unwrap_err();
    assert_has(
        &e.to_string(),
        &["connection \"c\"", "`ca_file`", "/nonexistent/ca.pem"],
    );
}

#[test]
fn connection_warnings_flag_insecure_http_and_token_expiry() {
    let cfg = parse(
        "[[connection]]\nname = \"lab\"\nurl = \"http://lab.example\"\nauth = \"pat\"\ntoken = \"t\"\ninsecure = true\n\n\
         [[connection]]\nname = \"o\"\nurl = \"http://o.example\"\nauth = \"oauth1\"\nconsumer_key = \"k\"\n\
         private_key = \"/k.pem\"\naccess_token = \"a\"\ntoken_expires_at = \"2030-01-10T00:00:00Z\"\n",
    )
    .unwrap();
    let now = time::macros::datetime!(2030-01-01 0:00 UTC);
    let w = cfg.connections[0].warnings(now);
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(
        w[0].contains("insecure") && w[1].contains("unencrypted"),
        "{w:?}"
    );
    let w = cfg.connections[1].warnings(now);
    assert_eq!(
        w,
        ["connection \"o\": the OAuth access token expires at 2030-01-10T00:00:00Z"]
    );
    let later = time::macros::datetime!(2030-02-01 0:00 UTC);
    assert!(cfg.connections[1].warnings(later)[0].contains("expired"));
    assert!(cfg.connections[1]
        .warnings(time::macros::datetime!(2029-01-01 0:00 UTC))
        .is_empty());
}

#[test]
fn plain_secret_in_an_open_config_file_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("config.toml");
    std::fs::write(
        &p,
        "[[connection]]\nname = \"c\"\nurl = \"https://a.example\"\nauth = \"pat\"\ntoken = \"plain\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    let cfg = Config::load(&p).unwrap();
    assert_eq!(cfg.warnings.len(), 1, "{:?}", cfg.warnings);
    assert!(cfg.warnings[0].contains("chmod 600"), "{:?}", cfg.warnings);
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(Config::load(&p).unwrap().warnings.is_empty());
}
