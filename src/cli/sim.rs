//! `jiralink sim`: run the built-in Jira simulator until interrupted. Prints exactly one
//! `LISTENING <base-url>` line on stdout when ready; accounts and tokens go to stderr.
use super::Global;
use crate::sim::{Scenario, Sim, SimConfig};
use anyhow::Context as _;
use std::io::Write as _;

/// Arguments of `sim`.
#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub bind: String,
    /// How many projects to generate (at most 100000).
    #[arg(long, default_value_t = 50)]
    pub projects: usize,
    /// Failure scenario to start with (normal, slow:MS, flaky:PERCENT, rate-limited:N[:SECS],
    /// sso-redirect, html-login, clock-skew:SECS, proxy-mismatch, basic-disabled, anonymous,
    /// server-error, not-jira).
    #[arg(long)]
    pub scenario: Option<String>,
    /// The Jira version to claim.
    #[arg(long, default_value = "9.12.3")]
    pub jira_version: String,
    /// Seed of the generated users, projects and schemes.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Speak the Jira Cloud dialect (e-mail + API token, paged project search).
    #[arg(long)]
    pub cloud: bool,
    /// Context path Jira is served under ("" for none).
    #[arg(long, default_value = "/jira")]
    pub context_path: String,
    /// Rate-limit every user: dc:RATE[/SECS][:MAX] (Data Center token bucket) or
    /// cloud:RATE[:BURST] (Cloud burst limit); off by default.
    #[arg(long, value_name = "POLICY")]
    pub rate_limit: Option<String>,
    /// Also serve HTTPS through a TLS front with this server certificate (PEM), like the
    /// TLS-terminating reverse proxy in front of many Jiras; its URL goes to stderr.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// The TLS front's private key (PEM).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
    /// Make the TLS front REQUIRE a client certificate issued by this CA (PEM): mutual TLS.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub client_ca: Option<std::path::PathBuf>,
    /// Extra users in the broad groups jira-users and jira-software-users (a group grant's reach).
    #[arg(long, default_value_t = 0)]
    pub users: usize,
}

/// Turn the arguments into a simulator configuration.
pub fn config(a: &SimArgs) -> anyhow::Result<SimConfig> {
    let bind = a
        .bind
        .parse()
        .with_context(|| format!("--bind: `{}` is not an address like 127.0.0.1:8080", a.bind))?;
    let scenario = match &a.scenario {
        Some(s) => s.parse::<Scenario>().context("--scenario")?,
        None => Scenario::Normal,
    };
    if a.projects > crate::sim::MAX_PROJECTS {
        anyhow::bail!(
            "--projects: at most {} (the generated instance lives in memory)",
            crate::sim::MAX_PROJECTS
        );
    }
    Ok(SimConfig {
        bind,
        projects: a.projects,
        context_path: a.context_path.clone(),
        jira_version: a.jira_version.clone(),
        scenario,
        seed: a.seed,
        cloud: a.cloud,
    })
}

/// Run `sim`.
pub async fn run(_g: &Global, a: SimArgs) -> anyhow::Result<u8> {
    let cfg = config(&a)?;
    let limit = match &a.rate_limit {
        Some(p) => Some(
            crate::sim::RateLimit::parse(p)
                .map_err(anyhow::Error::msg)
                .context("--rate-limit")?,
        ),
        None => None,
    };
    let sim = Sim::start(cfg)
        .await
        .with_context(|| format!("cannot listen on {}", a.bind))?;
    if let Some(p) = limit {
        sim.set_rate_limit(p);
    }
    let front = match (&a.tls_cert, &a.tls_key) {
        (Some(cert), Some(key)) => {
            let read = |p: &std::path::Path| {
                std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))
            };
            let cfg = crate::sim::tls_front::TlsFrontConfig {
                cert_pem: read(cert)?,
                key_pem: read(key)?,
                client_ca_pem: a.client_ca.as_deref().map(read).transpose()?,
            };
            let bind = std::net::SocketAddr::new(sim.addr().ip(), 0);
            let (addr, task) = crate::sim::tls_front::start(bind, sim.addr(), &cfg)
                .await
                .context("TLS front")?;
            let mut url = sim.base_url().clone();
            let _ = url.set_scheme("https");
            let _ = url.set_port(Some(addr.port()));
            Some((url, task))
        }
        _ => None,
    };
    if a.users > 0 {
        sim.add_broad_users(a.users);
    }
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "LISTENING {}", sim.base_url())?;
        out.flush()?;
    }
    let mut err = std::io::stderr().lock();
    // The account table is information only: a reader that closed stderr (a test that read what
    // it needed) must not stop the simulator, so write errors are ignored.
    let mut write_info = || -> std::io::Result<()> {
        writeln!(
            err,
            "jiralink sim: Jira {} simulator{} with {} projects, scenario {}",
            a.jira_version,
            if a.cloud { " (Cloud dialect)" } else { "" },
            sim.project_keys().len(),
            sim.scenario()
        )?;
        writeln!(
            err,
            "{:<8} {:<10} {:<20} TOKEN",
            "USER", "PASSWORD", "EMAIL"
        )?;
        for user in sim.usernames() {
            let token = if a.cloud {
                sim.api_token(&user)
            } else {
                sim.pat(&user)
            };
            writeln!(
                err,
                "{:<8} {:<10} {:<20} {}",
                user,
                sim.password(&user).unwrap_or_default(),
                sim.email(&user).unwrap_or_default(),
                token.unwrap_or_default()
            )?;
        }
        if let Some((url, _)) = &front {
            writeln!(
                err,
                "TLS front: {url}  (client certificate {})",
                if a.client_ca.is_some() {
                    "REQUIRED"
                } else {
                    "not asked for"
                }
            )?;
        }
        if a.cloud {
            writeln!(
                err,
                "Cloud gateway form: {}  (cloud id {}; scoped API tokens work only there; set JIRALINK_CLOUD_GATEWAY={} for `check` to find it)",
                sim.gateway_url(),
                sim.cloud_id(),
                sim.origin()
            )?;
            for user in sim.usernames() {
                writeln!(
                    err,
                    "  scoped token of {user}: {}",
                    sim.scoped_api_token(&user).unwrap_or_default()
                )?;
            }
        }
        writeln!(
            err,
            "control API: {}/__sim/state  (Ctrl-C to stop)",
            sim.base_url().origin().ascii_serialization()
        )?;
        // Approving an OAuth request token needs a browser on this simulator's login + Allow page.
        let port = sim.addr().port();
        writeln!(
            err,
            "OAuth approval (`jiralink link authorize` prints the URL): log in there as alice/alice and click Allow."
        )?;
        if sim.addr().ip().is_loopback() {
            writeln!(
                err,
                "  browser on another machine: ssh -L {port}:127.0.0.1:{port} USER@THIS_HOST, then open the URL there"
            )?;
        }
        writeln!(
            err,
            "  no browser at all: w3m 'URL' (or lynx) on this machine"
        )?;
        Ok(())
    };
    let _ = write_info();
    drop(err);
    wait_for_signal().await;
    if let Some((_, task)) = front {
        task.abort();
    }
    sim.shutdown().await;
    Ok(super::EXIT_OK)
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
