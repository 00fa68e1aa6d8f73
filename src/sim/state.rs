//! The simulator's shared state: the world, the live scenario, counters, CAPTCHA and session
//! bookkeeping, the OAuth provider and the response cache.
use super::oauth::OAuthProvider;
use super::scenario::Scenario;
use super::world::World;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{SystemTime, UNIX_EPOCH};

/// Failed Basic logins after which Seraph demands a CAPTCHA: Jira's "Maximum Authentication
/// Attempts Allowed" (General configuration), 3 by default (Atlassian, "Configuring Jira
/// application options").
pub const CAPTCHA_AFTER: u32 = 3;

/// The public base URL Jira believes it has in the proxy-mismatch scenario.
pub const PUBLIC_BASE: &str = "https://jira.example.com/jira";

/// State shared by every request handler. Debug leaves out credentials and session ids.
pub struct Shared {
    /// Local base URL (`http://127.0.0.1:PORT/jira`), no trailing slash.
    pub base: String,
    /// `scheme://host:port` of the listener.
    pub origin: String,
    /// Context path (`/jira` or empty).
    pub context_path: String,
    /// Claimed Jira version.
    pub version: String,
    /// Cloud dialect.
    pub cloud: bool,
    /// Seed (also drives the flaky scenario).
    pub seed: u64,
    /// The data.
    world: RwLock<World>,
    scenario: Mutex<Scenario>,
    /// All requests served.
    pub requests: AtomicU64,
    /// REST requests (drives rate limiting and flakiness).
    pub rest_requests: AtomicU64,
    failures: Mutex<HashMap<String, u32>>,
    sessions: Mutex<HashMap<String, String>>,
    /// The OAuth provider.
    pub oauth: Arc<OAuthProvider>,
    /// The OAuth 2.0 provider (DC 8.22+).
    pub oauth2: Arc<super::oauth2::OAuth2Provider>,
    cache: Mutex<HashMap<String, (u64, bytes::Bytes)>>,
    /// Personal Access Tokens (seeded with each user's `pat`).
    pub pats: super::pat::PatStore,
    /// Cloud mode: the site's cloud id and the users' scoped API tokens (gateway URL form).
    pub gateway: super::cloud_gateway::Gateway,
    /// Per-principal counters and the rate limit.
    pub limits: super::limits::Limits,
    /// Fault injection for admin writes: writes still allowed before one answers 500 (-1 = off).
    pub write_fault: std::sync::atomic::AtomicI64,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("base", &self.base)
            .field("version", &self.version)
            .field("cloud", &self.cloud)
            .field("scenario", &self.scenario())
            .field("requests", &self.request_count())
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain data behind; keep serving.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    /// Build the state.
    pub fn new(base: String, origin: String, cfg: &super::SimConfig) -> Shared {
        let world = World::generate(cfg.projects, cfg.seed);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let pats = super::pat::PatStore::seeded(
            world.users.iter().map(|u| (u.name.clone(), u.pat.clone())),
            now,
        );
        let gateway = super::cloud_gateway::Gateway::new(
            cfg.seed,
            world.users.iter().map(|u| u.name.clone()),
        );
        Shared {
            base,
            origin,
            context_path: normalize_context(&cfg.context_path),
            version: cfg.jira_version.clone(),
            cloud: cfg.cloud,
            seed: cfg.seed,
            world: RwLock::new(world),
            scenario: Mutex::new(cfg.scenario),
            requests: AtomicU64::new(0),
            rest_requests: AtomicU64::new(0),
            failures: Mutex::new(HashMap::new()),
            sessions: Mutex::new(HashMap::new()),
            oauth: Arc::new(OAuthProvider::new()),
            oauth2: Arc::new(super::oauth2::OAuth2Provider::new()),
            cache: Mutex::new(HashMap::new()),
            pats,
            gateway,
            limits: super::limits::Limits::default(),
            write_fault: std::sync::atomic::AtomicI64::new(-1),
        }
    }

    /// Read the world.
    pub fn world(&self) -> RwLockReadGuard<'_, World> {
        self.world.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Change the world.
    pub fn world_mut(&self) -> RwLockWriteGuard<'_, World> {
        self.world.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The live scenario.
    pub fn scenario(&self) -> Scenario {
        *lock(&self.scenario)
    }

    /// Switch scenario.
    pub fn set_scenario(&self, s: Scenario) {
        *lock(&self.scenario) = s;
    }

    /// Server clock in unix seconds, with the clock-skew scenario applied.
    pub fn now_secs(&self) -> i64 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        match self.scenario() {
            Scenario::ClockSkew { secs } => now.saturating_add(secs.clamp(
                -super::scenario::MAX_CLOCK_SKEW_SECS,
                super::scenario::MAX_CLOCK_SKEW_SECS,
            )),
            _ => now,
        }
    }

    /// The base URL Jira reports (public URL in the proxy-mismatch scenario).
    pub fn jira_base(&self) -> String {
        match self.scenario() {
            Scenario::ProxyMismatch => PUBLIC_BASE.to_owned(),
            _ => self.base.clone(),
        }
    }

    /// Consecutive failed logins of a user.
    pub fn failures(&self, user: &str) -> u32 {
        lock(&self.failures).get(user).copied().unwrap_or(0)
    }

    /// Count a failed login.
    pub fn record_failure(&self, user: &str) {
        *lock(&self.failures).entry(user.to_owned()).or_default() += 1;
    }

    /// Reset the failure count (successful login or CAPTCHA cleared).
    pub fn clear_failures(&self, user: &str) {
        lock(&self.failures).remove(user);
    }

    /// Open a browser session for a user, returning its id.
    pub fn open_session(&self, user: &str) -> String {
        use rand::Rng;
        let id: String = format!("{:032X}", rand::thread_rng().gen::<u128>());
        lock(&self.sessions).insert(id.clone(), user.to_owned());
        id
    }

    /// The user of a browser session.
    pub fn session_user(&self, id: &str) -> Option<String> {
        lock(&self.sessions).get(id).cloned()
    }

    /// A cached body still valid for the world's current generation.
    pub fn cached(&self, key: &str, generation: u64) -> Option<bytes::Bytes> {
        lock(&self.cache)
            .get(key)
            .filter(|(g, _)| *g == generation)
            .map(|(_, b)| b.clone())
    }

    /// Cache a body for a generation.
    pub fn store(&self, key: String, generation: u64, body: bytes::Bytes) {
        let mut c = lock(&self.cache);
        if c.len() >= 256 {
            c.retain(|_, (g, _)| *g == generation);
            if c.len() >= 256 {
                // Still full of current entries: start over rather than grow without bound.
                c.clear();
            }
        }
        c.insert(key, (generation, body));
    }

    /// Requests served so far.
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

/// `/jira/` → `/jira`, `/` → ``.
pub fn normalize_context(p: &str) -> String {
    let t = p.trim().trim_end_matches('/');
    if t.is_empty() {
        String::new()
    } else if t.starts_with('/') {
        t.to_owned()
    } else {
        format!("/{t}")
    }
}
