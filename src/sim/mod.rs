//! The Jira simulator: a fast, faithful stand-in for Jira Server/DC (and Cloud where it differs) on
//! loopback, for integration tests, `jiralink demo` and benchmarks. It shares no code with the
//! client (`crate::jira`): its own response shapes, its own permission evaluator, its own OAuth.
pub mod oauth;
pub mod oauth2;

mod admin_rest;
mod applinks;
mod applinks_status;
mod bulk;
mod catalog;
mod cloud_gateway;
mod control;
mod http;
pub mod limits;
mod oauth2_routes;
mod oauth_routes;
mod pages;
mod pat;
mod reply;
mod rest;
mod scenario;
mod state;
pub mod tls_front;
mod world;

pub use limits::{Count as RequestCount, Policy as RateLimit};
pub use scenario::{ParseScenarioError, Scenario, MAX_CLOCK_SKEW_SECS};
pub use world::{ActorType, HOLDER_TYPES};

use state::Shared;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How to start a simulator.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Listen address (`127.0.0.1:0` picks a free port).
    pub bind: SocketAddr,
    /// How many projects to generate.
    pub projects: usize,
    /// Context path, e.g. `/jira` (empty for none).
    pub context_path: String,
    /// The Jira version to claim.
    pub jira_version: String,
    /// Initial failure scenario.
    pub scenario: Scenario,
    /// Seed of the generated world.
    pub seed: u64,
    /// Speak the Cloud dialect instead of Server/DC.
    pub cloud: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            projects: 50,
            context_path: "/jira".into(),
            jira_version: "9.12.3".into(),
            scenario: Scenario::Normal,
            seed: 42,
            cloud: false,
        }
    }
}

/// The most projects a simulator generates: twice the largest benchmark (50,000, BENCHMARKS.md).
/// `--projects 1000000000` grew without bound before (issue 14 §8).
pub const MAX_PROJECTS: usize = 100_000;

/// How long a client may take to send a request's head (request line and headers). Without it,
/// 3,000 half-sent requests held the simulator's file descriptors and it stopped answering
/// (issue 14 §8); hyper's own default once a timer is set is 30 s.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Accept connections until `stopped`, each served by hyper's HTTP/1 server with a header read
/// timeout (axum's `serve` sets no timer, so it had none). Stopping aborts open connections.
async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    mut stopped: oneshot::Receiver<()>,
) {
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // EMFILE and the like: back off instead of spinning, keep serving.
                        tracing::warn!("simulator accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let app = app.clone();
                conns.spawn(async move {
                    let svc = hyper::service::service_fn(
                        move |mut req: hyper::Request<hyper::body::Incoming>| {
                            req.extensions_mut()
                                .insert(axum::extract::ConnectInfo(peer));
                            let mut app = app.clone();
                            tower_service::Service::call(&mut app, req.map(axum::body::Body::new))
                        },
                    );
                    let mut builder = hyper::server::conn::http1::Builder::new();
                    builder
                        .timer(hyper_util::rt::TokioTimer::new())
                        .header_read_timeout(HEADER_READ_TIMEOUT);
                    let conn = builder
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                        .with_upgrades();
                    if let Err(e) = conn.await {
                        tracing::trace!("simulator connection ended: {e}");
                    }
                });
            }
        }
    }
    conns.abort_all();
    while conns.join_next().await.is_some() {}
}

/// A running simulator; dropping it (or `shutdown().await`) stops the server.
#[derive(Debug)]
pub struct Sim {
    shared: Arc<Shared>,
    addr: SocketAddr,
    base_url: url::Url,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Sim {
    /// Bind and start serving.
    pub async fn start(cfg: SimConfig) -> std::io::Result<Sim> {
        Self::start_with_oauth(cfg, oauth::OAuthProvider::new()).await
    }

    /// Like [`Sim::start`], with an OAuth provider prepared by the caller: its lifetimes are plain
    /// fields that cannot change once the provider is shared, so a test that needs a short
    /// access-token TTL (to see `token_expired`) sets it here.
    pub async fn start_with_oauth(
        cfg: SimConfig,
        provider: oauth::OAuthProvider,
    ) -> std::io::Result<Sim> {
        if cfg.projects > MAX_PROJECTS {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "at most {MAX_PROJECTS} projects (asked for {}): the generated instance lives in memory",
                    cfg.projects
                ),
            ));
        }
        let listener = tokio::net::TcpListener::bind(cfg.bind).await?;
        let addr = listener.local_addr()?;
        let origin = format!("http://{addr}");
        let base = format!("{origin}{}", state::normalize_context(&cfg.context_path));
        let base_url = url::Url::parse(&base)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let mut shared = Shared::new(base.clone(), origin, &cfg);
        shared.oauth = Arc::new(provider);
        let shared = Arc::new(shared);
        // The realm Jira names in its OAuth challenges is its own base URL.
        shared.oauth.set_base_url(&base);
        let app = axum::Router::new()
            .fallback(http::dispatch)
            .with_state(shared.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, app, stopped));
        Ok(Sim {
            shared,
            addr,
            base_url,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT/jira` (no trailing slash).
    pub fn base_url(&self) -> &url::Url {
        &self.base_url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Switch the scenario live.
    pub fn set_scenario(&self, s: Scenario) {
        self.shared.set_scenario(s);
    }

    /// The current scenario.
    pub fn scenario(&self) -> Scenario {
        self.shared.scenario()
    }

    /// The user's Personal Access Token.
    pub fn pat(&self, username: &str) -> Option<String> {
        self.shared.world().user(username).map(|u| u.pat.clone())
    }

    /// Make every Personal Access Token of `username` expire `days` from now (`None`: never);
    /// returns how many tokens changed.
    pub fn set_pat_expiry(&self, username: &str, days: Option<i64>) -> usize {
        let at = days.map(|d| self.shared.now_secs() + d * 86_400);
        self.shared.pats.set_expiry(username, at)
    }

    /// The ids and names of `username`'s Personal Access Tokens (never the secrets).
    pub fn pat_tokens(&self, username: &str) -> Vec<(u64, String)> {
        self.shared
            .pats
            .of(username)
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect()
    }

    /// The user's Cloud API token (used with the e-mail in cloud mode).
    pub fn api_token(&self, username: &str) -> Option<String> {
        self.shared
            .world()
            .user(username)
            .map(|u| u.api_token.clone())
    }

    /// The user's scoped Cloud API token: refused on the site URL, accepted through the gateway
    /// form [`Sim::gateway_url`] (cloud mode).
    pub fn scoped_api_token(&self, username: &str) -> Option<String> {
        self.shared
            .gateway
            .scoped_token(username)
            .map(str::to_owned)
    }

    /// The site's cloud id, as `/_edge/tenant_info` reports it (cloud mode).
    pub fn cloud_id(&self) -> String {
        self.shared.gateway.cloud_id.clone()
    }

    /// `http://127.0.0.1:PORT/ex/jira/{cloudId}`: the simulator's stand-in for
    /// `https://api.atlassian.com/ex/jira/{cloudId}` (cloud mode).
    pub fn gateway_url(&self) -> url::Url {
        let mut u = self.base_url.clone();
        u.set_path(&format!("/ex/jira/{}", self.shared.gateway.cloud_id));
        u
    }

    /// `http://127.0.0.1:PORT`: where the gateway path lives (the `api.atlassian.com` stand-in).
    pub fn origin(&self) -> String {
        self.shared.origin.clone()
    }

    /// The user's e-mail address.
    pub fn email(&self, username: &str) -> Option<String> {
        self.shared.world().user(username).map(|u| u.email.clone())
    }

    /// The user's password.
    pub fn password(&self, username: &str) -> Option<String> {
        self.shared
            .world()
            .user(username)
            .map(|u| u.password.clone())
    }

    /// All user names.
    pub fn usernames(&self) -> Vec<String> {
        self.shared
            .world()
            .users
            .iter()
            .map(|u| u.name.clone())
            .collect()
    }

    /// Add a grant to a permission scheme (id or name).
    pub fn grant(
        &self,
        scheme: &str,
        permission: &str,
        holder_type: &str,
        parameter: Option<&str>,
    ) -> Result<(), String> {
        self.shared
            .world_mut()
            .grant(scheme, permission, holder_type, parameter)
    }

    /// Remove a grant from a permission scheme.
    pub fn revoke(
        &self,
        scheme: &str,
        permission: &str,
        holder_type: &str,
        parameter: Option<&str>,
    ) -> Result<(), String> {
        self.shared
            .world_mut()
            .revoke(scheme, permission, holder_type, parameter)
    }

    /// Add or remove a user from a group.
    pub fn set_group_member(&self, group: &str, user: &str, member: bool) -> Result<(), String> {
        self.shared
            .world_mut()
            .set_group_member(group, user, member)
    }

    /// Add or remove a role actor in a project (role by id or name).
    pub fn set_role_actor(
        &self,
        project: &str,
        role: &str,
        actor_type: ActorType,
        name: &str,
        present: bool,
    ) -> Result<(), String> {
        self.shared
            .world_mut()
            .set_role_actor(project, role, actor_type, name, present)
    }

    /// Move a project to another permission scheme (id or name).
    pub fn set_project_scheme(&self, project: &str, scheme: &str) -> Result<(), String> {
        self.shared.world_mut().set_project_scheme(project, scheme)
    }

    /// Ground truth: the same evaluator the HTTP API uses.
    pub fn has_permission(
        &self,
        username: Option<&str>,
        project_key: &str,
        permission: &str,
    ) -> bool {
        self.shared
            .world()
            .has_permission(username, project_key, permission)
    }

    /// Add `n` users in the broad groups `jira-users` and `jira-software-users` (see
    /// `World::add_broad_users`), so a group grant shows its real reach.
    pub fn add_broad_users(&self, n: usize) {
        self.shared.world_mut().add_broad_users(n);
    }

    /// Ground truth: every (user, project, permission) the evaluator grants for `permissions`,
    /// over all users and all projects. Tests diff it before and after a change.
    pub fn truth(
        &self,
        permissions: &[&str],
    ) -> std::collections::BTreeSet<(String, String, String)> {
        self.shared.world().truth(permissions)
    }

    /// Fault injection: let `allowed` more admin writes (role, grant, role-actor POST/DELETE)
    /// succeed, then answer the next one with a 500 (once); `None` switches it off.
    pub fn fail_write_after(&self, allowed: Option<u32>) {
        self.shared.write_fault.store(
            allowed.map_or(-1, i64::from),
            std::sync::atomic::Ordering::SeqCst,
        );
    }

    /// Role names, in id order.
    pub fn role_names(&self) -> Vec<String> {
        self.shared
            .world()
            .roles
            .iter()
            .map(|r| r.name.clone())
            .collect()
    }

    /// All project keys, in creation order.
    pub fn project_keys(&self) -> Vec<String> {
        self.shared
            .world()
            .projects
            .iter()
            .map(|p| p.key.clone())
            .collect()
    }

    /// The name of the permission scheme a project uses.
    pub fn project_scheme(&self, project: &str) -> Option<String> {
        let w = self.shared.world();
        let p = w.project(project)?;
        w.schemes.get(p.scheme).map(|s| s.name.clone())
    }

    /// The OAuth provider (register consumers, approve tokens in tests).
    pub fn oauth(&self) -> &Arc<oauth::OAuthProvider> {
        &self.shared.oauth
    }

    /// The OAuth 2.0 provider (register clients and service accounts, expire tokens in tests).
    pub fn oauth2(&self) -> &Arc<oauth2::OAuth2Provider> {
        &self.shared.oauth2
    }

    /// Lift the CAPTCHA requirement of a user.
    pub fn clear_captcha(&self, username: &str) {
        self.shared.clear_failures(username);
    }

    /// Requests served so far (all paths).
    pub fn request_count(&self) -> u64 {
        self.shared.request_count()
    }

    /// Limit every user's REST requests as Data Center or Cloud does (see `limits`).
    pub fn set_rate_limit(&self, policy: RateLimit) {
        self.shared.limits.set_policy(policy);
    }

    /// Requests per principal since start (or the last reset), with how many were limited.
    pub fn request_counts(&self) -> std::collections::BTreeMap<String, RequestCount> {
        self.shared.limits.counts()
    }

    /// Start the per-principal counters afresh.
    pub fn reset_request_counts(&self) {
        self.shared.limits.reset_counts();
    }

    /// Stop serving and wait until the listener is closed.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            // Graceful shutdown waits for idle keep-alive connections; do not hang on them.
            let abort = task.abort_handle();
            if tokio::time::timeout(std::time::Duration::from_millis(300), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
