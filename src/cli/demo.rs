//! `jiralink demo`: the TUI against the built-in Jira simulator, with a throw-away config in a
//! temp dir (removed on exit, error or panic), so a newcomer can try every pane without a Jira.

use super::style::Symbols;
use super::{Global, EXIT_OK, EXIT_PROBLEM};
use crate::config::{AuthKind, Config, ConfigFile, Connection};
use crate::secret::SecretRef;
use crate::sim::{Sim, SimConfig};
use crate::tui::AppOptions;
use crate::wizard::LinkPreset;
use anyhow::Context;
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod browser;
pub use browser::ConsentBrowser;

/// Arguments of `demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// How many projects the demo simulator generates.
    #[arg(long, default_value_t = 300)]
    pub projects: usize,
    /// Do not open the TUI: check every demo connection, print the results and exit.
    #[arg(long, alias = "headless-smoke")]
    pub check_only: bool,
}

/// Name of the OAuth connection the demo leaves for the link wizard.
pub const DEMO_OAUTH: &str = "demo-oauth";
/// The admin connection the wizard may use to create the link.
pub const DEMO_ADMIN: &str = "demo-admin";
/// The consumer key the demo suggests.
pub const DEMO_CONSUMER_KEY: &str = "jiralink-demo";
/// The simulated user who clicks "Allow" (the integration user).
pub const DEMO_ALLOW_USER: &str = "alice";

/// A running demo: the simulator and the temp dir holding its config, keys, tokens and logs.
/// Dropping it stops the simulator and removes the temp dir (also while unwinding a panic).
pub struct Demo {
    /// The simulator.
    pub sim: Sim,
    /// The throw-away config file.
    pub config_path: PathBuf,
    /// Keys and tokens the wizard writes.
    pub data_dir: PathBuf,
    dir: tempfile::TempDir,
}

impl Demo {
    /// Start the simulator on 127.0.0.1 and write the throw-away config.
    pub async fn start(projects: usize) -> anyhow::Result<Demo> {
        let dir = tempfile::Builder::new()
            .prefix("jiralink-demo-")
            // 0700: it holds the simulator's passwords and PATs (tempfile's default is 0777 & umask).
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .tempdir()
            .context("cannot create the demo's temp dir")?;
        let sim = Sim::start(SimConfig {
            projects,
            ..SimConfig::default()
        })
        .await
        .context("cannot start the simulator on 127.0.0.1")?;
        let config_path = dir.path().join("config.toml");
        let data_dir = dir.path().join("data");
        let secrets = dir.path().join("secrets");
        write_demo_config(&sim, &config_path, &data_dir, &secrets)?;
        Ok(Demo {
            sim,
            config_path,
            data_dir,
            dir,
        })
    }

    /// The temp dir (removed when the demo is dropped).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Where the demo's log file goes (inside the temp dir).
    pub fn log_dir(&self) -> PathBuf {
        self.dir.path().join("logs")
    }

    /// The banner the TUI shows next to its tabs.
    pub fn banner(&self) -> String {
        // The words that matter first: narrow terminals cut the end of the tab line.
        format!(
            "SIMULATED Jira (demo, nothing kept) at {}",
            self.sim.base_url()
        )
    }

    /// TUI options for this demo: its config, data dir, the wizard preset, the real core, and a
    /// browser that approves through the simulator's own login and consent pages over HTTP.
    pub fn app_options(&self) -> AppOptions {
        let mut opts = AppOptions::new(self.config_path.clone());
        opts.banner = Some(self.banner());
        opts.data_dir = self.data_dir.clone();
        opts.state_dir = self.data_dir.clone();
        opts.link_preset = Some(LinkPreset {
            url: self.sim.base_url().to_string(),
            connection_name: DEMO_OAUTH.into(),
            consumer_key: DEMO_CONSUMER_KEY.into(),
            admin: Some(DEMO_ADMIN.into()),
            // The demo starts on the OAuth 1.0a link its seeded integrations use; OAuth 2.0 is
            // one key away on the first step, and `A` approves either in the simulated browser.
            kind: Some(crate::wizard::LinkKind::OAuth1),
        });
        opts.browser = Some(Arc::new(ConsentBrowser::new(
            DEMO_ALLOW_USER,
            self.sim.password(DEMO_ALLOW_USER).unwrap_or_default(),
        )));
        opts
    }
}

/// Write one connection per auth kind the simulator speaks, plus the OAuth one to be linked.
/// Passwords and tokens go to 0600 files referenced from the config, never into it.
fn write_demo_config(
    sim: &Sim,
    config_path: &Path,
    data_dir: &Path,
    secrets: &Path,
) -> anyhow::Result<()> {
    let url = sim.base_url().to_string();
    let secret_file = |name: &str, value: Option<String>| -> anyhow::Result<SecretRef> {
        let value = value.with_context(|| format!("the simulator has no secret for {name}"))?;
        let path = secrets.join(name);
        crate::paths::write_secret_file(&path, value.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(SecretRef::File(path))
    };
    let mut alice = Connection::new("demo-alice", &url, AuthKind::Basic);
    alice.username = Some("alice".into());
    alice.password = Some(secret_file("alice.password", sim.password("alice"))?);
    let mut admin = Connection::new(DEMO_ADMIN, &url, AuthKind::Basic);
    admin.username = Some("admin".into());
    admin.password = Some(secret_file("admin.password", sim.password("admin"))?);
    let mut pat = Connection::new("demo-alice-pat", &url, AuthKind::Pat);
    pat.token = Some(secret_file("alice.pat", sim.pat("alice"))?);
    // Ready to be linked: the consumer is not registered in Jira and the key does not exist yet.
    let mut oauth = Connection::new(DEMO_OAUTH, &url, AuthKind::Oauth1);
    oauth.consumer_key = Some(DEMO_CONSUMER_KEY.into());
    oauth.private_key = Some(data_dir.join(format!("{DEMO_CONSUMER_KEY}.pem")));
    let mut file = ConfigFile::open(config_path)?;
    for c in [&alice, &admin, &pat, &oauth] {
        file.upsert_connection(c)?;
    }
    file.save()?;
    Ok(())
}

/// Run `demo`.
pub async fn run(g: &Global, a: DemoArgs) -> anyhow::Result<u8> {
    // SIGINT, SIGQUIT, SIGTERM and SIGHUP end the demo through `drop(demo)` below (temp dir with
    // the simulator's passwords removed) with exit code 128+N, instead of killing it outright.
    let mut signals = crate::tui::Termination::listen();
    let demo = tokio::select! {
        d = Demo::start(a.projects) => d?,
        n = signals.recv() => return Ok(crate::tui::signal_exit_code(n)),
    };
    // Logs stay in the temp dir with everything else the demo writes.
    let log = crate::logging::init_in(&demo.log_dir(), 0).ok();
    tracing::info!(dir = %demo.dir().display(), url = %demo.sim.base_url(), "demo started");
    let code = if a.check_only {
        let sym = Symbols::for_output(g.ascii);
        tokio::select! {
            c = check_all(&demo, &sym) => c,
            n = signals.recv() => Ok(crate::tui::signal_exit_code(n)),
        }
    } else {
        // The TUI listens for the same signals itself, restores the terminal and returns 128+N.
        let opts = demo.app_options().look(g.color, g.ascii);
        crate::tui::run_app(opts).await
    };
    // The temp dir goes with `demo` here, and on the error and panic paths by unwinding.
    drop(log);
    drop(demo);
    code
}

/// Check every demo connection and print one block per connection. The OAuth one is expected to
/// fail until it is linked; any other failure means the demo is broken.
async fn check_all(demo: &Demo, sym: &Symbols) -> anyhow::Result<u8> {
    let cfg = Config::load(&demo.config_path)?;
    println!("{}", demo.banner());
    let mut broken = false;
    for c in &cfg.connections {
        let opts = c.client_options_async(&cfg.defaults).await;
        let line = match opts {
            Ok(opts) => {
                let r = crate::check::check(&c.name, opts).await;
                broken |= !r.ok && c.name != DEMO_OAUTH;
                super::check::render_line(&r, sym)
            }
            Err(e) => {
                broken |= c.name != DEMO_OAUTH;
                format!("{} {}  {}\n", sym.fail, c.name, e.diagnosis())
            }
        };
        print!("{line}");
    }
    println!(
        "{DEMO_OAUTH} is not linked yet: open `jiralink demo` and use the Link wizard (pane 2)."
    );
    Ok(if broken { EXIT_PROBLEM } else { EXIT_OK })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// Issue 14 §5: the demo's temp dir holds the simulator's passwords and PATs: 0700, and gone
    /// once the demo is dropped.
    #[tokio::test]
    async fn the_temp_dir_is_private_and_removed() {
        let demo = Demo::start(3).await.unwrap();
        let dir = demo.dir().to_owned();
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{}", dir.display());
        drop(demo);
        assert!(!dir.exists());
    }
}
