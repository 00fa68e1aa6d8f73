//! `jiralink info`: version and commit, where config, data and logs live, which config was read,
//! the proxy and CA settings in force, and what the terminal can do. Table or JSON.
use super::style::TermCaps;
use super::{Global, EXIT_OK, GIT_COMMIT};
use crate::config::Config;
use crate::paths::Paths;
use serde::Serialize;
use std::collections::BTreeMap;

/// Proxy variables reqwest honours, in the order it looks at them.
pub const PROXY_VARS: &[&str] = &[
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// `info --format`: a report about one machine, so no CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum InfoFormat {
    #[default]
    Table,
    Json,
}

/// Arguments of `info`.
#[derive(Debug, Default, clap::Args)]
pub struct InfoArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = InfoFormat::Table)]
    pub format: InfoFormat,
}

/// Everything `info` reports; the JSON shape of `info --format json` (see docs/json.md).
#[derive(Debug, Clone, Serialize)]
pub struct Info {
    pub version: String,
    pub commit: String,
    pub paths: InfoPaths,
    pub config: ConfigRead,
    pub network: Network,
    pub terminal: TermCaps,
}

/// Where jiralink reads and writes.
#[derive(Debug, Clone, Serialize)]
pub struct InfoPaths {
    pub config_file: String,
    pub data_dir: String,
    pub state_dir: String,
    pub log_file: String,
}

/// Which config file was read and what came of it.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigRead {
    pub path: String,
    pub exists: bool,
    /// Connections in the file, valid or not.
    pub connections: usize,
    /// Connections that failed validation.
    pub invalid: usize,
    /// Why the file as a whole cannot be used.
    pub error: Option<String>,
}

/// The proxy and TLS settings a request would use.
#[derive(Debug, Clone, Serialize)]
pub struct Network {
    /// Proxy variables set in the environment (passwords in URLs replaced by `***`).
    pub env_proxies: BTreeMap<String, String>,
    /// Per-connection overrides.
    pub connections: Vec<ConnectionNet>,
}

/// One connection's transport settings.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectionNet {
    pub name: String,
    /// `proxy` from the config (password hidden); `null` means the environment decides.
    pub proxy: Option<String>,
    /// Extra CA certificate trusted on top of the system roots.
    pub ca_file: Option<String>,
    /// TLS verification turned off.
    pub insecure: bool,
    /// The URL is `https`: only then is there TLS to verify (the text output says so).
    #[serde(skip)]
    pub https: bool,
}

/// Run `info`.
pub async fn run(g: &Global, a: InfoArgs) -> anyhow::Result<u8> {
    let paths = Paths::resolve(g.config.as_deref())?;
    let info = gather(
        &paths,
        |k| std::env::var(k).ok(),
        TermCaps::detect(g.color, g.ascii),
    );
    match a.format {
        InfoFormat::Table => super::print_table(&render(&info), false)?,
        InfoFormat::Json => super::print_out(&(serde_json::to_string_pretty(&info)? + "\n"))?,
    }
    Ok(EXIT_OK)
}

/// Collect the report; `env` is injectable so tests need not touch the process environment.
pub fn gather(paths: &Paths, env: impl Fn(&str) -> Option<String>, terminal: TermCaps) -> Info {
    let mut connections = Vec::new();
    let config = if paths.config_file.exists() {
        match Config::load(&paths.config_file) {
            Ok(cfg) => {
                connections = cfg
                    .connections
                    .iter()
                    .map(|c| ConnectionNet {
                        name: c.name.clone(),
                        proxy: c.proxy.as_deref().map(redact_userinfo),
                        ca_file: c.ca_file.as_ref().map(|p| p.display().to_string()),
                        insecure: c.insecure,
                        https: c.url.trim().to_ascii_lowercase().starts_with("https://"),
                    })
                    .collect();
                ConfigRead {
                    path: paths.config_file.display().to_string(),
                    exists: true,
                    connections: cfg.connections.len() + cfg.connection_errors.len(),
                    invalid: cfg.connection_errors.len(),
                    error: None,
                }
            }
            Err(e) => ConfigRead {
                path: paths.config_file.display().to_string(),
                exists: true,
                connections: 0,
                invalid: 0,
                error: Some(e.to_string()),
            },
        }
    } else {
        ConfigRead {
            path: paths.config_file.display().to_string(),
            exists: false,
            connections: 0,
            invalid: 0,
            error: None,
        }
    };
    let env_proxies = PROXY_VARS
        .iter()
        .filter_map(|k| {
            env(k)
                .filter(|v| !v.is_empty())
                .map(|v| ((*k).to_owned(), redact_userinfo(&v)))
        })
        .collect();
    Info {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        commit: GIT_COMMIT.to_owned(),
        paths: InfoPaths {
            config_file: paths.config_file.display().to_string(),
            data_dir: paths.data_dir.display().to_string(),
            state_dir: paths.state_dir.display().to_string(),
            log_file: paths.log_file.display().to_string(),
        },
        config,
        network: Network {
            env_proxies,
            connections,
        },
        terminal,
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// The `info` text: one `key: value` line each, keys aligned, so it reads well and greps well.
pub fn render(info: &Info) -> String {
    let mut out = format!("jiralink {} (commit {})\n", info.version, info.commit);
    let line = |k: &str, v: &str| format!("{k:<13} {v}\n");
    out += &line("config file:", &info.paths.config_file);
    out += &line("data dir:", &info.paths.data_dir);
    out += &line("state dir:", &info.paths.state_dir);
    out += &line("log file:", &info.paths.log_file);
    let c = &info.config;
    let read = match (&c.error, c.exists) {
        (Some(e), _) => format!("{} (cannot be used: {e})", c.path),
        (None, false) => "none yet".to_owned(),
        (None, true) => {
            let mut s = format!(
                "{} ({}",
                c.path,
                crate::text::count(c.connections as u64, "connection")
            );
            if c.invalid > 0 {
                s += &format!(", {} invalid: run `jiralink connections list`", c.invalid);
            }
            s + ")"
        }
    };
    out += &line("config read:", &read);
    let proxies: Vec<String> = info
        .network
        .env_proxies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    out += &line(
        "proxy env:",
        &if proxies.is_empty() {
            "none".to_owned()
        } else {
            proxies.join(" ")
        },
    );
    for conn in &info.network.connections {
        let proxy = conn.proxy.as_deref().unwrap_or("from env");
        let ca = conn.ca_file.as_deref().unwrap_or("system roots");
        let tls = match (conn.https, conn.insecure) {
            (false, _) => "none (http)",
            (true, true) => "NOT VERIFIED (insecure = true)",
            (true, false) => "verified",
        };
        out += &line(
            "connection:",
            &format!("{}  proxy {proxy}  ca {ca}  tls {tls}", conn.name),
        );
    }
    let t = &info.terminal;
    out += &line(
        "terminal:",
        &format!(
            "TERM={} COLORTERM={}  colours: {}",
            t.term.as_deref().unwrap_or("(unset)"),
            t.colorterm.as_deref().unwrap_or("(unset)"),
            t.color_depth.label()
        ),
    );
    out += &line(
        "output:",
        &format!(
            "stdout tty {}, stderr tty {}, NO_COLOR {}, UTF-8 locale {}  ->  colour {}, symbols {}",
            yes_no(t.stdout_tty),
            yes_no(t.stderr_tty),
            if t.no_color { "set" } else { "unset" },
            yes_no(t.utf8),
            if t.color { "on" } else { "off" },
            if t.ascii { "ASCII" } else { "Unicode" }
        ),
    );
    out
}

/// Hide a password in `http://user:pass@proxy:3128`; NO_PROXY lists and other text pass through.
fn redact_userinfo(v: &str) -> String {
    match url::Url::parse(v) {
        Ok(mut u) if u.password().is_some() => {
            // set_password only fails for URLs that cannot have credentials, which had none.
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => v.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::ColorChoice;

    fn caps() -> TermCaps {
        TermCaps::detect_with(ColorChoice::Auto, false, |_: &str| None, false, false)
    }

    #[test]
    fn proxy_password_is_hidden() {
        let p = Paths {
            config_file: "/nonexistent/jiralink-test/config.toml".into(),
            data_dir: "/d".into(),
            state_dir: "/s".into(),
            log_file: "/s/jiralink.log".into(),
        };
        let env = |k: &str| match k {
            "HTTPS_PROXY" => Some("http://bob:s3cret@proxy:3128".into()),
            "NO_PROXY" => Some("localhost,.corp".into()),
            _ => None,
        };
        let info = gather(&p, env, caps());
        let text = render(&info);
        let json = serde_json::to_string(&info).unwrap();
        assert!(
            !text.contains("s3cret") && !json.contains("s3cret"),
            "{text}"
        );
        assert!(
            text.contains("HTTPS_PROXY=http://bob:***@proxy:3128/"),
            "{text}"
        );
        assert!(text.contains("NO_PROXY=localhost,.corp"), "{text}");
        assert!(text.contains("config read:  none yet"), "{text}");
        assert!(!info.config.exists);
    }

    #[test]
    fn per_connection_transport_settings() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("config.toml");
        std::fs::write(
            &cfg,
            r#"
[[connection]]
name = "lab"
url = "https://jira.lab.example"
auth = "pat"
token = { env = "T" }
insecure = true
proxy = "http://u:hunter2@squid:3128"

[[connection]]
name = "prod"
url = "https://jira.example.com"
auth = "pat"
token = { env = "T" }

[[connection]]
name = "local"
url = "http://localhost:8080"
auth = "pat"
token = { env = "T" }
"#,
        )
        .unwrap();
        let p = Paths {
            config_file: cfg,
            data_dir: "/d".into(),
            state_dir: "/s".into(),
            log_file: "/s/jiralink.log".into(),
        };
        let info = gather(&p, |_: &str| None, caps());
        assert_eq!(info.config.connections, 3, "{:?}", info.config);
        let text = render(&info);
        assert!(!text.contains("hunter2"), "{text}");
        assert!(
            text.contains("lab  proxy http://u:***@squid:3128/  ca system roots  tls NOT VERIFIED"),
            "{text}"
        );
        assert!(
            text.contains("prod  proxy from env  ca system roots  tls verified"),
            "{text}"
        );
        // Plain http has no TLS to verify: it must not read "tls verified".
        assert!(
            text.contains("local  proxy from env  ca system roots  tls none (http)"),
            "{text}"
        );
        assert!(text.contains("(3 connections)"), "{text}");
    }
}
