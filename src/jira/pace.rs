//! Client-side pacing: one token bucket per client (shared by its clones and `with_auth`
//! siblings), fed by the rate-limit headers Jira sends, so a long audit stays under the limit
//! instead of bouncing off it.
//!
//! What is read, and where it is documented:
//! - Data Center 8.6+ (every response while rate limiting is on): `X-RateLimit-FillRate` tokens
//!   every `X-RateLimit-Interval-Seconds`, `X-RateLimit-Limit` tokens at most,
//!   `X-RateLimit-Remaining` left, and `retry-after` ("How long you need to wait until you get new
//!   tokens. If you still have tokens left, it shows 0"). Atlassian, "Rate limiting HTTP headers",
//!   confluence.atlassian.com/doc/_ratelimiting_httpheaders-992678779.html.
//! - Cloud: 429 with `Retry-After` (seconds) and `RateLimit-Reason` (`jira-burst-based`,
//!   `jira-quota-tenant-based`, `jira-per-issue-on-write`, …), `X-RateLimit-NearLimit`; quota
//!   headers `Beta-RateLimit: "<policy>";r=<remaining>;t=<seconds to reset>` and
//!   `Beta-RateLimit-Policy: "<policy>";q=<quota>;w=<window>` (developer.atlassian.com/cloud/jira/
//!   platform/rate-limiting; the header names and syntax as logged in Atlassian's developer
//!   community thread "2026 point-based rate limits"). Cloud does not announce its burst rate, so
//!   the rate is learned from the first 429: 80 % of what Jira answered in the second before it,
//!   cut to 70 % on every later episode of 429s, and raised a little with every answer between
//!   (additive increase, multiplicative decrease).
//!
//! The bucket is a GCRA schedule with no burst: requests leave evenly spaced at 95 % of the
//! announced rate (a server refilling in batches then never runs dry in steady state), never
//! before a `Retry-After` or an empty bucket's `retry-after` has passed, and never faster than a
//! `--max-rate` cap.

use reqwest::header::HeaderMap;
use std::collections::VecDeque;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

/// Share of an announced or learned rate the client uses (headroom for batch refills and clocks).
const HEADROOM: f64 = 0.95;
/// Share of the last second's throughput kept after the first 429 of an unannounced limit.
const LEARN_FIRST: f64 = 0.8;
/// Further cut on every later 429 of an unannounced limit.
const LEARN_AGAIN: f64 = 0.7;
/// Requests per second a learned rate regains with every answered request.
const LEARN_STEP: f64 = 0.02;
/// Wait after a 429 that says nothing about how long.
const DEFAULT_WAIT: Duration = Duration::from_secs(1);

/// Where the pacing rate comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateSource {
    /// Announced by Jira (`X-RateLimit-FillRate` / `X-RateLimit-Interval-Seconds`).
    Announced,
    /// Learned from 429 answers (Cloud announces no rate).
    Learned,
    /// Set by hand (`--max-rate`).
    Manual,
}

/// The pacing in force, for progress lines.
#[derive(Debug, Clone, PartialEq)]
pub struct Pacing {
    /// Requests per second the client allows itself at most.
    pub per_second: f64,
    /// Why.
    pub source: RateSource,
    /// 429 answers seen so far.
    pub limited: u64,
    /// The last `RateLimit-Reason` Jira gave, if any.
    pub reason: Option<String>,
}

impl fmt::Display for Pacing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rate = if self.per_second >= 10.0 || self.per_second.fract() == 0.0 {
            format!("{:.0}", self.per_second)
        } else {
            format!("{:.1}", self.per_second)
        };
        match self.source {
            RateSource::Announced => write!(f, "paced by Jira's rate limit: {rate} requests/s"),
            RateSource::Manual => write!(f, "paced by --max-rate: {rate} requests/s"),
            RateSource::Learned => write!(
                f,
                "paced after Jira answered 429{}: ~{rate} requests/s",
                self.reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ),
        }
    }
}

#[derive(Debug)]
struct State {
    announced: Option<f64>,
    learned: Option<f64>,
    manual: Option<f64>,
    /// GCRA theoretical arrival time of the next request.
    tat: Option<Instant>,
    blocked_until: Option<Instant>,
    /// Times of the last second's answers other than 429 (to learn an unannounced rate).
    answered: VecDeque<Instant>,
    limited: u64,
    reason: Option<String>,
}

/// One client's pacing state.
#[derive(Debug)]
pub struct Pacer {
    state: Mutex<State>,
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer {
            state: Mutex::new(State {
                announced: None,
                learned: None,
                manual: None,
                tat: None,
                blocked_until: None,
                answered: VecDeque::new(),
                limited: 0,
                reason: None,
            }),
        }
    }
}

impl State {
    /// The rate requests are spaced at, if any.
    fn spacing_rate(&self) -> Option<f64> {
        let server = self.announced.or(self.learned).map(|r| r * HEADROOM);
        match (server, self.manual) {
            (Some(s), Some(m)) => Some(s.min(m)),
            (s, m) => s.or(m),
        }
    }
}

fn header<'h>(h: &'h HeaderMap, name: &str) -> Option<&'h str> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

fn number(h: &HeaderMap, name: &str) -> Option<f64> {
    header(h, name)
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|n| n.is_finite() && *n >= 0.0)
}

/// `r` and `t` of a `Beta-RateLimit: "<policy>";r=<remaining>;t=<seconds>` header.
fn beta_rate_limit(v: &str) -> Option<(f64, f64)> {
    let mut r = None;
    let mut t = None;
    for part in v.split(';').skip(1) {
        match part.trim().split_once('=') {
            Some(("r", n)) => r = n.trim().parse::<f64>().ok(),
            Some(("t", n)) => t = n.trim().parse::<f64>().ok(),
            _ => {}
        }
    }
    Some((r?, t?))
}

impl Pacer {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Plain numbers behind the lock: a panic elsewhere cannot leave them inconsistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Cap the rate by hand (`--max-rate`); `None` lifts the cap.
    pub fn set_max_rate(&self, per_second: Option<f64>) {
        self.lock().manual = per_second.filter(|r| r.is_finite() && *r > 0.0);
    }

    /// The pacing in force, if any.
    pub fn pacing(&self) -> Option<Pacing> {
        let s = self.lock();
        let server = s
            .announced
            .map(|r| (r, RateSource::Announced))
            .or(s.learned.map(|r| (r, RateSource::Learned)));
        let (per_second, source) = match (server, s.manual) {
            (Some((r, src)), Some(m)) if r * HEADROOM <= m => (r, src),
            (_, Some(m)) => (m, RateSource::Manual),
            (Some((r, src)), None) => (r, src),
            (None, None) => return None,
        };
        Some(Pacing {
            per_second,
            source,
            limited: s.limited,
            reason: s.reason.clone(),
        })
    }

    /// How long the next request must wait; reserves its slot.
    pub fn reserve(&self, now: Instant) -> Duration {
        let mut s = self.lock();
        let mut at = now;
        if let Some(b) = s.blocked_until {
            if b > at {
                at = b;
            } else {
                s.blocked_until = None;
            }
        }
        if let Some(rate) = s.spacing_rate() {
            let tat = s.tat.unwrap_or(at).max(at);
            at = tat;
            s.tat = Some(tat + Duration::from_secs_f64(1.0 / rate));
        }
        at.saturating_duration_since(now)
    }

    /// Wait for this client's next slot.
    pub async fn acquire(&self) {
        let wait = self.reserve(Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Learn from one answer's status and headers.
    pub fn observe(&self, status: u16, h: &HeaderMap, now: Instant) {
        let mut s = self.lock();
        // Data Center announces its bucket on every answer.
        if let (Some(fill), Some(interval)) = (
            number(h, "x-ratelimit-fillrate"),
            number(h, "x-ratelimit-interval-seconds"),
        ) {
            if fill > 0.0 && interval > 0.0 {
                s.announced = Some(fill / interval);
            }
        }
        let block = |s: &mut State, d: Duration| {
            let until = now + d;
            if s.blocked_until.is_none_or(|b| b < until) {
                s.blocked_until = Some(until);
            }
            // Spacing restarts after the pause.
            if s.tat.is_some_and(|t| t < until) {
                s.tat = Some(until);
            }
        };
        let retry_after = crate::jira::response::retry_after(h, SystemTime::now());
        if status == 429 {
            s.limited += 1;
            if let Some(r) = header(h, "ratelimit-reason") {
                s.reason = Some(r.chars().take(64).collect());
            }
            // Answers to requests already in flight when the first 429 came belong to the
            // same episode: one cut per episode, not one per answer.
            let new_episode = s.blocked_until.is_none_or(|b| b <= now);
            if s.announced.is_none() && new_episode {
                let next = match s.learned {
                    Some(r) => r * LEARN_AGAIN,
                    None => {
                        let recent = s
                            .answered
                            .iter()
                            .filter(|t| {
                                now.saturating_duration_since(**t) <= Duration::from_secs(1)
                            })
                            .count();
                        recent as f64 * LEARN_FIRST
                    }
                };
                s.learned = Some(next.max(0.5));
            }
            block(&mut s, retry_after.unwrap_or(DEFAULT_WAIT));
            return;
        }
        s.answered.push_back(now);
        while s
            .answered
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) > Duration::from_secs(1))
            || s.answered.len() > 4096
        {
            s.answered.pop_front();
        }
        // Additive increase after a learned cut, so one burst does not slow a long run for good.
        if s.announced.is_none() && (200..300).contains(&status) {
            if let Some(r) = s.learned {
                s.learned = Some(r + LEARN_STEP);
            }
        }
        // An emptied Data Center bucket says how long until the next batch.
        if number(h, "x-ratelimit-remaining") == Some(0.0) {
            if let Some(d) = retry_after.filter(|d| !d.is_zero()) {
                block(&mut s, d);
            }
        }
        // A spent Cloud quota says when it resets.
        if let Some((r, t)) = header(h, "beta-ratelimit").and_then(beta_rate_limit) {
            if r <= 0.0 && t > 0.0 {
                block(&mut s, Duration::from_secs_f64(t.min(3600.0)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn without_a_limit_nothing_waits() {
        let p = Pacer::default();
        let now = Instant::now();
        for _ in 0..100 {
            assert_eq!(p.reserve(now), Duration::ZERO);
        }
        assert_eq!(p.pacing(), None);
    }

    #[test]
    fn an_announced_dc_limit_spaces_requests_evenly() {
        let p = Pacer::default();
        let now = Instant::now();
        p.observe(
            200,
            &headers(&[
                ("X-RateLimit-FillRate", "10"),
                ("X-RateLimit-Interval-Seconds", "1"),
                ("X-RateLimit-Limit", "10"),
                ("X-RateLimit-Remaining", "9"),
                ("Retry-After", "0"),
            ]),
            now,
        );
        let waits: Vec<Duration> = (0..20).map(|_| p.reserve(now)).collect();
        // 20 requests at 9.5/s: the last leaves ~2 s later, none before its slot.
        let last = waits.last().unwrap().as_secs_f64();
        assert!((1.9..2.1).contains(&last), "{last}");
        assert!(waits.windows(2).all(|w| w[1] > w[0]));
        let pacing = p.pacing().unwrap();
        assert_eq!(
            pacing.to_string(),
            "paced by Jira's rate limit: 10 requests/s"
        );
    }

    #[test]
    fn an_empty_dc_bucket_blocks_until_its_retry_after() {
        let p = Pacer::default();
        let now = Instant::now();
        p.observe(
            200,
            &headers(&[
                ("X-RateLimit-FillRate", "10"),
                ("X-RateLimit-Interval-Seconds", "1"),
                ("X-RateLimit-Remaining", "0"),
                ("Retry-After", "1"),
            ]),
            now,
        );
        assert!(p.reserve(now) >= Duration::from_millis(999));
    }

    #[test]
    fn a_cloud_429_teaches_a_rate_below_what_went_through() {
        let p = Pacer::default();
        let now = Instant::now();
        for _ in 0..20 {
            p.reserve(now);
            p.observe(200, &HeaderMap::new(), now);
        }
        p.observe(
            429,
            &headers(&[
                ("Retry-After", "2"),
                ("RateLimit-Reason", "jira-burst-based"),
            ]),
            now,
        );
        let pacing = p.pacing().unwrap();
        assert_eq!(pacing.source, RateSource::Learned);
        assert!((pacing.per_second - 16.0).abs() < 1e-9);
        assert!(pacing.to_string().contains("jira-burst-based"));
        assert!(p.reserve(now) >= Duration::from_secs(2));
        // An answer to a request already in flight: same episode, no further cut.
        p.observe(429, &headers(&[("Retry-After", "1")]), now);
        assert!((p.pacing().unwrap().per_second - 16.0).abs() < 1e-9);
        let later = now + Duration::from_secs(3);
        p.observe(429, &headers(&[("Retry-After", "1")]), later);
        assert!((p.pacing().unwrap().per_second - 11.2).abs() < 1e-9);
        p.observe(200, &HeaderMap::new(), later);
        assert!(p.pacing().unwrap().per_second > 11.2);
    }

    #[test]
    fn a_manual_cap_wins_when_lower() {
        let p = Pacer::default();
        p.set_max_rate(Some(2.0));
        assert_eq!(
            p.pacing().unwrap().to_string(),
            "paced by --max-rate: 2 requests/s"
        );
        let now = Instant::now();
        p.reserve(now);
        assert!((p.reserve(now).as_secs_f64() - 0.5).abs() < 1e-6);
        p.observe(
            200,
            &headers(&[
                ("X-RateLimit-FillRate", "100"),
                ("X-RateLimit-Interval-Seconds", "1"),
            ]),
            now,
        );
        assert_eq!(p.pacing().unwrap().source, RateSource::Manual);
    }

    #[test]
    fn a_spent_cloud_quota_blocks_until_reset() {
        assert_eq!(
            beta_rate_limit("\"tenant-app-quota\";r=0;t=2788"),
            Some((0.0, 2788.0))
        );
        assert_eq!(beta_rate_limit("garbage"), None);
        let p = Pacer::default();
        let now = Instant::now();
        p.observe(
            200,
            &headers(&[("Beta-RateLimit", "\"tenant-app-quota\";r=0;t=30")]),
            now,
        );
        assert!(p.reserve(now) >= Duration::from_secs(30));
    }
}
