//! `jiralink info`: version, where config, data and logs live, which config was read, proxy env.
use super::{Global, EXIT_OK};
use crate::config::Config;
use crate::paths::Paths;

/// Proxy variables reqwest honours, in the order it looks at them.
const PROXY_VARS: &[&str] = &[
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// Run `info`.
pub async fn run(g: &Global) -> anyhow::Result<u8> {
    let paths = Paths::resolve(g.config.as_deref())?;
    print!("{}", render(&paths, |k| std::env::var(k).ok()));
    Ok(EXIT_OK)
}

/// The `info` text; `env` is injectable so tests need not touch the process environment.
pub fn render(paths: &Paths, env: impl Fn(&str) -> Option<String>) -> String {
    let mut out = format!("jiralink {}\n", env!("CARGO_PKG_VERSION"));
    let line = |k: &str, v: String| format!("{k:<13} {v}\n");
    out += &line("config file:", paths.config_file.display().to_string());
    out += &line("data dir:", paths.data_dir.display().to_string());
    out += &line("state dir:", paths.state_dir.display().to_string());
    out += &line("log file:", paths.log_file.display().to_string());
    let read = if paths.config_file.exists() {
        match Config::load(&paths.config_file) {
            Ok(cfg) => {
                let bad = cfg.connection_errors.len();
                let mut s = format!(
                    "{} ({} connection{}",
                    paths.config_file.display(),
                    cfg.connections.len() + bad,
                    if cfg.connections.len() + bad == 1 {
                        ""
                    } else {
                        "s"
                    }
                );
                if bad > 0 {
                    s += &format!(", {bad} invalid: run `jiralink connections list`");
                }
                s + ")"
            }
            Err(e) => format!("{} (cannot be used: {e})", paths.config_file.display()),
        }
    } else {
        "none yet".to_owned()
    };
    out += &line("config read:", read);
    let proxies: Vec<String> = PROXY_VARS
        .iter()
        .filter_map(|k| {
            env(k)
                .filter(|v| !v.is_empty())
                .map(|v| format!("{k}={}", redact_userinfo(&v)))
        })
        .collect();
    out += &line(
        "proxy env:",
        if proxies.is_empty() {
            "none".to_owned()
        } else {
            proxies.join(" ")
        },
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

    #[test]
    fn proxy_password_is_hidden() {
        let p = Paths {
            config_file: "/nonexistent/jiralink-test/config.toml".into(),
            data_dir: "/d".into(),
            state_dir: "/s".into(),
            log_file: "/s/jiralink.log".into(),
        };
        let text = render(&p, |k| match k {
            "HTTPS_PROXY" => Some("http://bob:s3cret@proxy:3128".into()),
            "NO_PROXY" => Some("localhost,.corp".into()),
            _ => None,
        });
        assert!(!text.contains("s3cret"), "{text}");
        assert!(
            text.contains("HTTPS_PROXY=http://bob:***@proxy:3128/"),
            "{text}"
        );
        assert!(text.contains("NO_PROXY=localhost,.corp"), "{text}");
        assert!(text.contains("config read:  none yet"), "{text}");
    }
}
