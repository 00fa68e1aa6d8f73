//! Failure scenarios the simulator can play, with the kebab-case names the CLI and control API use.
use std::fmt;
use std::str::FromStr;

/// How the simulated Jira misbehaves (or not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scenario {
    /// A healthy Jira.
    #[default]
    Normal,
    /// Every response is delayed.
    Slow {
        /// Delay in milliseconds.
        latency_ms: u64,
    },
    /// A percentage of REST calls fail with 503 and `Retry-After: 1`.
    Flaky {
        /// 0–100.
        percent: u8,
    },
    /// Every Nth REST request is rejected with 429 (Jira DC 8.6+ rate limiting).
    RateLimited {
        /// Reject every Nth request.
        every: u32,
        /// Value of `Retry-After`.
        retry_after_secs: u64,
    },
    /// REST and login answer with a 302 to a SAML IdP page.
    SsoRedirect,
    /// Authenticated REST calls answer 200 with Jira's HTML login page.
    HtmlLogin,
    /// The server clock (Date header, OAuth timestamp check) is shifted.
    ClockSkew {
        /// Seconds added to the real clock (may be negative).
        secs: i64,
    },
    /// Jira's configured base URL differs from the URL clients use (reverse proxy mismatch).
    ProxyMismatch,
    /// Basic authentication is disabled by the administrator.
    BasicDisabled,
    /// Credentials are ignored: everything is served as anonymous.
    Anonymous,
    /// Every REST call fails with a 500.
    ServerError,
    /// The address serves a generic web server, not Jira.
    NotJira,
}

impl Scenario {
    /// The scenario's base name without its value.
    pub fn name(&self) -> &'static str {
        match self {
            Scenario::Normal => "normal",
            Scenario::Slow { .. } => "slow",
            Scenario::Flaky { .. } => "flaky",
            Scenario::RateLimited { .. } => "rate-limited",
            Scenario::SsoRedirect => "sso-redirect",
            Scenario::HtmlLogin => "html-login",
            Scenario::ClockSkew { .. } => "clock-skew",
            Scenario::ProxyMismatch => "proxy-mismatch",
            Scenario::BasicDisabled => "basic-disabled",
            Scenario::Anonymous => "anonymous",
            Scenario::ServerError => "server-error",
            Scenario::NotJira => "not-jira",
        }
    }

    /// Every scenario name, for help texts and errors.
    pub const NAMES: [&'static str; 12] = [
        "normal",
        "slow[:MS]",
        "flaky[:PERCENT]",
        "rate-limited[:EVERY[:RETRY_AFTER_SECS]]",
        "sso-redirect",
        "html-login",
        "clock-skew[:SECS]",
        "proxy-mismatch",
        "basic-disabled",
        "anonymous",
        "server-error",
        "not-jira",
    ];
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scenario::Slow { latency_ms } => write!(f, "slow:{latency_ms}"),
            Scenario::Flaky { percent } => write!(f, "flaky:{percent}"),
            Scenario::RateLimited {
                every,
                retry_after_secs,
            } => write!(f, "rate-limited:{every}:{retry_after_secs}"),
            Scenario::ClockSkew { secs } => write!(f, "clock-skew:{secs}"),
            other => f.write_str(other.name()),
        }
    }
}

/// Why a scenario name did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scenario `{0}` (expected one of: {names})", names = Scenario::NAMES.join(", "))]
pub struct ParseScenarioError(pub String);

/// The largest clock skew the simulator accepts, either way: ten years.
pub const MAX_CLOCK_SKEW_SECS: i64 = 10 * 365 * 86_400;

fn value<T: FromStr>(raw: &str, v: Option<&str>, default: T) -> Result<T, ParseScenarioError> {
    match v {
        None | Some("") => Ok(default),
        Some(v) => v.parse().map_err(|_| ParseScenarioError(raw.to_owned())),
    }
}

impl FromStr for Scenario {
    type Err = ParseScenarioError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let raw = s.trim();
        let mut parts = raw.splitn(3, ':');
        let name = parts.next().unwrap_or_default().to_ascii_lowercase();
        let first = parts.next();
        let second = parts.next();
        let no_value = |sc: Scenario| {
            if first.is_some() {
                Err(ParseScenarioError(raw.to_owned()))
            } else {
                Ok(sc)
            }
        };
        match name.as_str() {
            "normal" => no_value(Scenario::Normal),
            "slow" => Ok(Scenario::Slow {
                latency_ms: value(raw, first, 2000)?,
            }),
            "flaky" => {
                let percent: u8 = value(raw, first, 30)?;
                if percent > 100 {
                    return Err(ParseScenarioError(raw.to_owned()));
                }
                Ok(Scenario::Flaky { percent })
            }
            "rate-limited" => {
                let every: u32 = value(raw, first, 5)?;
                if every == 0 {
                    return Err(ParseScenarioError(raw.to_owned()));
                }
                Ok(Scenario::RateLimited {
                    every,
                    retry_after_secs: value(raw, second, 10)?,
                })
            }
            "clock-skew" => {
                // Bounded: a skew of centuries put the clock past year 9999, where formatting
                // the Date header panicked on every request (issue 14 §8).
                let secs: i64 = value(raw, first, 600)?;
                if secs.abs() > MAX_CLOCK_SKEW_SECS {
                    return Err(ParseScenarioError(raw.to_owned()));
                }
                Ok(Scenario::ClockSkew { secs })
            }
            "sso-redirect" => no_value(Scenario::SsoRedirect),
            "html-login" => no_value(Scenario::HtmlLogin),
            "proxy-mismatch" => no_value(Scenario::ProxyMismatch),
            "basic-disabled" => no_value(Scenario::BasicDisabled),
            "anonymous" => no_value(Scenario::Anonymous),
            "server-error" => no_value(Scenario::ServerError),
            "not-jira" => no_value(Scenario::NotJira),
            _ => Err(ParseScenarioError(raw.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in [
            "normal",
            "slow:2000",
            "flaky:10",
            "rate-limited:3:7",
            "sso-redirect",
            "html-login",
            "clock-skew:-400",
            "proxy-mismatch",
            "basic-disabled",
            "anonymous",
            "server-error",
            "not-jira",
        ] {
            let parsed: Scenario = s.parse().unwrap();
            assert_eq!(parsed.to_string(), s);
        }
    }

    #[test]
    fn defaults_and_errors() {
        assert_eq!("slow".parse(), Ok(Scenario::Slow { latency_ms: 2000 }));
        assert_eq!(
            "clock-skew:400".parse(),
            Ok(Scenario::ClockSkew { secs: 400 })
        );
        assert!("flaky:101".parse::<Scenario>().is_err());
        // Issue 14 §8: a skew of centuries is refused (the Date header cannot say year 10000).
        let max = MAX_CLOCK_SKEW_SECS;
        assert_eq!(
            format!("clock-skew:-{max}").parse(),
            Ok(Scenario::ClockSkew { secs: -max })
        );
        assert!(format!("clock-skew:{}", max + 1)
            .parse::<Scenario>()
            .is_err());
        assert!("clock-skew:9223372036854775807"
            .parse::<Scenario>()
            .is_err());
        assert!("rate-limited:0".parse::<Scenario>().is_err());
        assert!("normal:1".parse::<Scenario>().is_err());
        assert!("bogus".parse::<Scenario>().is_err());
    }
}
