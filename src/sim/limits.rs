//! Per-principal request counters and per-user rate limiting, as Jira Data Center and Jira Cloud
//! do it. Set through the control API (`POST /__sim/rate-limit`) or `jiralink sim --rate-limit`;
//! counters are read at `GET /__sim/requests`.
//!
//! Data Center (8.6+): a token bucket per user. Sources: Atlassian "Improving instance stability
//! with rate limiting" and its header table "Rate limiting HTTP headers"
//! (confluence.atlassian.com/doc/_ratelimiting_httpheaders-992678779.html):
//! `X-RateLimit-Limit` = max tokens ("Max requests"), `X-RateLimit-Remaining` = tokens left,
//! `X-RateLimit-Interval-Seconds` = the interval, `X-RateLimit-FillRate` = tokens added every
//! interval ("Requests allowed"; "You get a batch of new tokens every time interval"), and
//! `retry-after` = "How long you need to wait until you get new tokens. If you still have tokens
//! left, it shows 0". Those headers are "added to every response, not just when you're rate
//! limited" (the same page, quoted in AtlassianPS/JiraPS#505). A limited request gets 429.
//! `/rest/applinks/**` is exempt (KB "REST API endpoints that are not rate limited",
//! ../shared/reference/jira-answers.md).
//!
//! Cloud: burst limits per second; a 429 carries `Retry-After` (seconds), `RateLimit-Reason:
//! jira-burst-based`, `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` (ISO 8601
//! `yyyy-MM-ddTHH:mmZ`, request time plus Retry-After) and `X-RateLimit-NearLimit: true` when under
//! 20 % remain. Sources: developer.atlassian.com/cloud/jira/platform/rate-limiting ("Rate
//! limiting": response headers and `RateLimit-Reason` values) and its quotation in JRACLOUD-69262.
use super::reply::Reply;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How the simulator limits each user.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Policy {
    /// No limit.
    Off,
    /// Data Center's token bucket: `capacity` tokens, `fill_rate` more every `interval_secs`.
    DataCenter {
        /// `X-RateLimit-Limit` (Max requests).
        capacity: u32,
        /// `X-RateLimit-FillRate` (Requests allowed per interval).
        fill_rate: u32,
        /// `X-RateLimit-Interval-Seconds`.
        interval_secs: u32,
    },
    /// Cloud's per-second burst limit: `per_second` requests a second, bursts up to `burst`.
    Cloud {
        /// Steady requests per second.
        per_second: u32,
        /// Largest burst.
        burst: u32,
    },
}

impl Policy {
    /// Parse `off`, `dc:RATE[/INTERVAL][:CAPACITY]` or `cloud:RATE[:BURST]` (RATE in requests
    /// per INTERVAL seconds, default 1).
    pub fn parse(s: &str) -> Result<Policy, String> {
        let bad = || {
            format!(
                "rate limit '{s}' not understood: use off, dc:RATE[/SECS][:MAX] (e.g. dc:10 or dc:100/60:100) or cloud:RATE[:BURST]"
            )
        };
        let num = |v: &str| v.trim().parse::<u32>().ok().filter(|n| *n > 0);
        let s = s.trim();
        if s == "off" {
            return Ok(Policy::Off);
        }
        let (kind, rest) = s.split_once(':').ok_or_else(bad)?;
        let mut parts = rest.split(':');
        let rate_part = parts.next().ok_or_else(bad)?;
        let extra = parts.next();
        if parts.next().is_some() {
            return Err(bad());
        }
        match kind {
            "dc" => {
                let (rate, interval) = match rate_part.split_once('/') {
                    Some((r, i)) => (num(r).ok_or_else(bad)?, num(i).ok_or_else(bad)?),
                    None => (num(rate_part).ok_or_else(bad)?, 1),
                };
                let capacity = match extra {
                    Some(c) => num(c).ok_or_else(bad)?,
                    None => rate,
                };
                Ok(Policy::DataCenter {
                    capacity,
                    fill_rate: rate,
                    interval_secs: interval,
                })
            }
            "cloud" => {
                let rate = num(rate_part).ok_or_else(bad)?;
                let burst = match extra {
                    Some(b) => num(b).ok_or_else(bad)?,
                    None => rate,
                };
                Ok(Policy::Cloud {
                    per_second: rate,
                    burst,
                })
            }
            _ => Err(bad()),
        }
    }

    /// The text `parse` reads back.
    pub fn describe(&self) -> String {
        match self {
            Policy::Off => "off".into(),
            Policy::DataCenter {
                capacity,
                fill_rate,
                interval_secs,
            } => format!("dc:{fill_rate}/{interval_secs}:{capacity}"),
            Policy::Cloud { per_second, burst } => format!("cloud:{per_second}:{burst}"),
        }
    }
}

/// What one principal sent and how often it was limited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Count {
    /// Requests that reached the REST layer as this principal.
    pub requests: u64,
    /// Of those, answered 429 by the rate limiter.
    pub limited: u64,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    /// DC: when the bucket was made (batches come every interval from then on).
    epoch: Instant,
    /// DC: interval batches already added.
    batches: u64,
    /// Cloud: last continuous refill.
    last: Instant,
}

/// Limits and counters, shared by every request handler.
#[derive(Debug)]
pub struct Limits {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    policy: Policy,
    buckets: BTreeMap<String, Bucket>,
    counts: BTreeMap<String, Count>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            inner: Mutex::new(Inner {
                policy: Policy::Off,
                buckets: BTreeMap::new(),
                counts: BTreeMap::new(),
            }),
        }
    }
}

/// The verdict on one request: go ahead (with the headers to add) or this 429.
pub enum Admission {
    /// Serve it, adding these headers.
    Go(Vec<(&'static str, String)>),
    /// Refuse with this reply.
    Limited(Reply),
}

impl Limits {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Switch policy; buckets start full again.
    pub fn set_policy(&self, p: Policy) {
        let mut g = self.lock();
        g.policy = p;
        g.buckets.clear();
    }

    /// The policy in force.
    pub fn policy(&self) -> Policy {
        self.lock().policy
    }

    /// Requests per principal (`anonymous` for none).
    pub fn counts(&self) -> BTreeMap<String, Count> {
        self.lock().counts.clone()
    }

    /// Forget the counters.
    pub fn reset_counts(&self) {
        self.lock().counts.clear();
    }

    /// Count a request of `user` to `rel` and apply the rate limit.
    pub fn admit(&self, user: Option<&str>, rel: &str, now_unix: i64) -> Admission {
        let principal = user.unwrap_or("anonymous").to_owned();
        let mut g = self.lock();
        let policy = g.policy;
        g.counts.entry(principal.clone()).or_default().requests += 1;
        // Rate limiting is per user and leaves the applinks endpoints alone (see module docs).
        if policy == Policy::Off || user.is_none() || rel.starts_with("/rest/applinks") {
            return Admission::Go(Vec::new());
        }
        let now = Instant::now();
        let bucket = g
            .buckets
            .entry(principal.clone())
            .or_insert_with(|| Bucket {
                tokens: match policy {
                    Policy::DataCenter { capacity, .. } => f64::from(capacity),
                    Policy::Cloud { burst, .. } => f64::from(burst),
                    Policy::Off => 0.0,
                },
                epoch: now,
                batches: 0,
                last: now,
            });
        let admission = match policy {
            Policy::Off => Admission::Go(Vec::new()),
            Policy::DataCenter {
                capacity,
                fill_rate,
                interval_secs,
            } => {
                let interval = Duration::from_secs(u64::from(interval_secs));
                let elapsed = now.duration_since(bucket.epoch);
                let due = (elapsed.as_secs_f64() / interval.as_secs_f64()).floor() as u64;
                if due > bucket.batches {
                    let add = (due - bucket.batches) as f64 * f64::from(fill_rate);
                    bucket.tokens = (bucket.tokens + add).min(f64::from(capacity));
                    bucket.batches = due;
                }
                let next_batch = bucket.epoch + interval * (bucket.batches as u32 + 1);
                let wait = next_batch.saturating_duration_since(now);
                let ok = bucket.tokens >= 1.0;
                if ok {
                    bucket.tokens -= 1.0;
                }
                let remaining = bucket.tokens.floor().max(0.0) as u64;
                // "If you still have tokens left, it shows 0"; else the wait for the next batch,
                // in whole seconds rounded up (a header carries integers).
                let retry_after = if remaining > 0 {
                    0
                } else {
                    wait.as_secs_f64().ceil().max(1.0) as u64
                };
                let headers = vec![
                    ("X-RateLimit-Limit", capacity.to_string()),
                    ("X-RateLimit-Remaining", remaining.to_string()),
                    ("X-RateLimit-Interval-Seconds", interval_secs.to_string()),
                    ("X-RateLimit-FillRate", fill_rate.to_string()),
                    ("Retry-After", retry_after.to_string()),
                ];
                if ok {
                    Admission::Go(headers)
                } else {
                    // DC's 429 body is Tomcat's status page "Rate limit exceeded."
                    // (ahungry/org-jira#365, a DC capture), not a JSON error collection.
                    let mut r = Reply::html(429, super::pages::rate_limited_page());
                    for (k, v) in headers {
                        r = r.header(k, v);
                    }
                    Admission::Limited(r)
                }
            }
            Policy::Cloud { per_second, burst } => {
                let dt = now.duration_since(bucket.last).as_secs_f64();
                bucket.last = now;
                bucket.tokens = (bucket.tokens + dt * f64::from(per_second)).min(f64::from(burst));
                let ok = bucket.tokens >= 1.0;
                if ok {
                    bucket.tokens -= 1.0;
                }
                let remaining = bucket.tokens.floor().max(0.0) as u64;
                let mut headers = vec![
                    ("X-RateLimit-Limit", burst.to_string()),
                    ("X-RateLimit-Remaining", remaining.to_string()),
                ];
                // "X-RateLimit-NearLimit: true when less than 20% of the budget remains".
                if (remaining as f64) < 0.2 * f64::from(burst) {
                    headers.push(("X-RateLimit-NearLimit", "true".into()));
                }
                if ok {
                    Admission::Go(headers)
                } else {
                    let wait = ((1.0 - bucket.tokens) / f64::from(per_second))
                        .ceil()
                        .max(1.0) as i64;
                    let reset = time::OffsetDateTime::from_unix_timestamp(now_unix + wait)
                        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
                    let reset = format!(
                        "{:04}-{:02}-{:02}T{:02}:{:02}Z",
                        reset.year(),
                        u8::from(reset.month()),
                        reset.day(),
                        reset.hour(),
                        reset.minute()
                    );
                    // Cloud's 429 body is not documented; Jira's error collection is assumed
                    // (*unconfirmed*): clients must act on the status and headers only.
                    let mut r = Reply::error(429, "Rate limit exceeded.")
                        .header("Retry-After", wait.to_string())
                        .header("RateLimit-Reason", "jira-burst-based")
                        .header("X-RateLimit-Reset", reset);
                    for (k, v) in headers {
                        r = r.header(k, v);
                    }
                    Admission::Limited(r)
                }
            }
        };
        if matches!(admission, Admission::Limited(_)) {
            g.counts.entry(principal).or_default().limited += 1;
        }
        admission
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_parse_and_read_back() {
        assert_eq!(Policy::parse("off").unwrap(), Policy::Off);
        let p = Policy::parse("dc:10").unwrap();
        assert_eq!(
            p,
            Policy::DataCenter {
                capacity: 10,
                fill_rate: 10,
                interval_secs: 1
            }
        );
        assert_eq!(Policy::parse(&p.describe()).unwrap(), p);
        let p = Policy::parse("dc:100/60:200").unwrap();
        assert_eq!(Policy::parse(&p.describe()).unwrap(), p);
        let p = Policy::parse("cloud:10:20").unwrap();
        assert_eq!(
            p,
            Policy::Cloud {
                per_second: 10,
                burst: 20
            }
        );
        for bad in ["", "dc", "dc:0", "dc:x", "cloud:", "dc:1:2:3", "tokens:5"] {
            assert!(Policy::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_dc_bucket_empties_then_refuses_with_its_headers() {
        let l = Limits::default();
        l.set_policy(Policy::parse("dc:3/60").unwrap());
        for _ in 0..3 {
            assert!(matches!(
                l.admit(Some("alice"), "/rest/api/2/myself", 0),
                Admission::Go(_)
            ));
        }
        let Admission::Limited(r) = l.admit(Some("alice"), "/rest/api/2/myself", 0) else {
            panic!("the fourth request within the interval must be limited");
        };
        assert_eq!(r.status, 429);
        // DC's body: Tomcat's status page (ahungry/org-jira#365).
        assert!(r.content_type.starts_with("text/html"));
        assert!(String::from_utf8_lossy(&r.body).contains("Rate limit exceeded."));
        let h = |n: &str| {
            r.headers
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(h("X-RateLimit-Remaining").as_deref(), Some("0"));
        assert_eq!(h("X-RateLimit-FillRate").as_deref(), Some("3"));
        assert!(h("Retry-After").unwrap().parse::<u64>().unwrap() >= 59);
        // Another user has a bucket of its own; applinks are exempt.
        assert!(matches!(
            l.admit(Some("bob"), "/rest/api/2/myself", 0),
            Admission::Go(_)
        ));
        assert!(matches!(
            l.admit(Some("alice"), "/rest/applinks/3.0/applicationlink", 0),
            Admission::Go(_)
        ));
        let c = l.counts();
        assert_eq!(
            c["alice"],
            Count {
                requests: 5,
                limited: 1
            }
        );
    }

    #[test]
    fn a_cloud_burst_is_refused_with_its_reason() {
        let l = Limits::default();
        l.set_policy(Policy::parse("cloud:1:2").unwrap());
        assert!(matches!(
            l.admit(Some("a"), "/rest/api/3/x", 0),
            Admission::Go(_)
        ));
        assert!(matches!(
            l.admit(Some("a"), "/rest/api/3/x", 0),
            Admission::Go(_)
        ));
        let Admission::Limited(r) = l.admit(Some("a"), "/rest/api/3/x", 0) else {
            panic!("burst exceeded");
        };
        let names: Vec<&str> = r.headers.iter().map(|(k, _)| k.as_str()).collect();
        for n in [
            "Retry-After",
            "RateLimit-Reason",
            "X-RateLimit-Reset",
            "X-RateLimit-NearLimit",
        ] {
            assert!(names.contains(&n), "{n} in {names:?}");
        }
        assert!(r
            .headers
            .iter()
            .any(|(k, v)| k == "X-RateLimit-Reset" && v == "1970-01-01T00:00Z"));
    }
}
