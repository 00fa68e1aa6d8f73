//! Personal Access Tokens (Jira DC 8.14+): `GET/POST /rest/pat/latest/tokens` and
//! `DELETE /rest/pat/latest/tokens/{id}`, with creation and expiry dates, and the bearer lookup
//! Seraph does for them (an expired or revoked token is refused like an unknown one).
//!
//! Sources (../shared/reference/jira-answers.md, "Personal Access Tokens"): Atlassian "Using
//! Personal Access Tokens"; pycontribs/jira#1575; public client code that creates tokens with
//! `{"name", "expirationDuration": days}` and reads `rawToken` from the 201 answer, and lists
//! `[{id, name, createdAt, expiringAt, lastAccessedAt}]` (a bare array, never the token itself).
use super::http::Ctx;
use super::reply::Reply;
use super::state::Shared;
use axum::http::Method;
use serde::Deserialize;
use serde_json::json;
use std::sync::Mutex;

/// Days a token lives when the request names no `expirationDuration` and the seeded default.
/// Jira's own default is "never" unless an admin sets a maximum; the simulator seeds 90 days so
/// lifecycle views have something to show.
pub const SEED_TOKEN_DAYS: i64 = 90;

/// One token as the simulator stores it.
#[derive(Clone)]
pub struct Pat {
    /// Numeric id (what DELETE takes).
    pub id: u64,
    /// Owner's user name.
    pub user: String,
    /// The name the user gave it.
    pub name: String,
    /// The secret (only ever answered once, at creation).
    raw: String,
    /// Unix seconds.
    pub created: i64,
    /// Unix seconds; `None` = never expires.
    pub expiring: Option<i64>,
    /// Unix seconds of the last authenticated use.
    pub last_accessed: Option<i64>,
}

impl std::fmt::Debug for Pat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pat")
            .field("id", &self.id)
            .field("user", &self.user)
            .field("name", &self.name)
            .field("expiring", &self.expiring)
            .finish_non_exhaustive()
    }
}

/// Every user's tokens.
#[derive(Debug, Default)]
pub struct PatStore {
    tokens: Mutex<Vec<Pat>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl PatStore {
    /// One token per seeded user (its world `pat`), named `seed`, 30 days old, expiring in
    /// [`SEED_TOKEN_DAYS`].
    pub fn seeded(users: impl IntoIterator<Item = (String, String)>, now: i64) -> PatStore {
        let tokens = users
            .into_iter()
            .enumerate()
            .map(|(i, (user, raw))| Pat {
                id: 1000 + i as u64,
                user,
                name: "seed".into(),
                raw,
                created: now - 30 * 86_400,
                expiring: Some(now + SEED_TOKEN_DAYS * 86_400),
                last_accessed: None,
            })
            .collect();
        PatStore {
            tokens: Mutex::new(tokens),
        }
    }

    /// The user a bearer token acts as; `None` for an unknown, revoked or expired token.
    pub fn authenticate(&self, raw: &str, now: i64) -> Option<String> {
        let mut tokens = lock(&self.tokens);
        let t = tokens
            .iter_mut()
            .find(|t| t.raw == raw && t.expiring.is_none_or(|e| e > now))?;
        t.last_accessed = Some(now);
        Some(t.user.clone())
    }

    /// Set when every token of `user` expires (test and control-API hook).
    pub fn set_expiry(&self, user: &str, expiring: Option<i64>) -> usize {
        let mut n = 0;
        for t in lock(&self.tokens).iter_mut().filter(|t| t.user == user) {
            t.expiring = expiring;
            n += 1;
        }
        n
    }

    /// `user`'s tokens (for the control API's state; never the secrets).
    pub fn of(&self, user: &str) -> Vec<Pat> {
        lock(&self.tokens)
            .iter()
            .filter(|t| t.user == user)
            .cloned()
            .collect()
    }

    fn create(&self, user: &str, name: &str, days: Option<i64>, now: i64) -> (Pat, String) {
        let mut tokens = lock(&self.tokens);
        let id = tokens.iter().map(|t| t.id).max().unwrap_or(999) + 1;
        let raw = super::world::random_token(33);
        let pat = Pat {
            id,
            user: user.to_owned(),
            name: name.to_owned(),
            raw: raw.clone(),
            created: now,
            expiring: days.map(|d| now + d * 86_400),
            last_accessed: None,
        };
        tokens.push(pat.clone());
        (pat, raw)
    }

    fn revoke(&self, user: &str, id: u64) -> bool {
        let mut tokens = lock(&self.tokens);
        let before = tokens.len();
        tokens.retain(|t| !(t.id == id && t.user == user));
        tokens.len() != before
    }
}

/// Jira's REST date form (`2021-03-19T09:08:55.519+0000`, as in the contract's date fields).
pub fn jira_date(secs: i64) -> String {
    let t =
        time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let f = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]+0000"
    );
    t.format(&f).unwrap_or_default()
}

fn entity(p: &Pat) -> serde_json::Value {
    let mut v = json!({"id": p.id, "name": p.name, "createdAt": jira_date(p.created)});
    if let Some(e) = p.expiring {
        v["expiringAt"] = json!(jira_date(e));
    }
    if let Some(a) = p.last_accessed {
        v["lastAccessedAt"] = json!(jira_date(a));
    }
    v
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateBody {
    name: Option<String>,
    expiration_duration: Option<i64>,
}

/// Route `/rest/pat/latest/tokens[/{id}]` for the authenticated caller.
pub fn handle(st: &Shared, ctx: &Ctx) -> Reply {
    let Some(user) = ctx.user.clone() else {
        // The anonymous answer every DC REST resource that needs a user gives (fixture
        // error.401-not-authenticated.dc-10.3.19).
        return Reply::not_authenticated();
    };
    let now = st.now_secs();
    let rest = ctx
        .rel
        .strip_prefix("/rest/pat/latest/tokens")
        .unwrap_or_default();
    match (rest, &ctx.method) {
        ("" | "/", &Method::GET) => {
            let list: Vec<_> = st.pats.of(&user).iter().map(entity).collect();
            Reply::json(200, &serde_json::Value::Array(list))
        }
        ("" | "/", &Method::POST) => {
            let body: CreateBody = match serde_json::from_slice(&ctx.body) {
                Ok(b) => b,
                Err(e) => return Reply::error(400, &format!("Invalid JSON: {e}")),
            };
            let Some(name) = body.name.filter(|n| !n.trim().is_empty()) else {
                return Reply::error(400, "Token name is required.");
            };
            if body.expiration_duration.is_some_and(|d| d <= 0) {
                return Reply::error(400, "expirationDuration must be a positive number of days.");
            }
            let (pat, raw) = st.pats.create(&user, &name, body.expiration_duration, now);
            let mut v = entity(&pat);
            // The secret is answered once, here, and never again.
            v["rawToken"] = json!(raw);
            Reply::json(201, &v)
        }
        (id, &Method::DELETE) => match id.trim_start_matches('/').parse::<u64>() {
            Ok(id) if st.pats.revoke(&user, id) => Reply::raw(204, super::reply::JSON, ""),
            _ => Reply::error(404, "Token not found."),
        },
        _ => Reply::error(405, "Method not allowed."),
    }
}
