//! The OAuth 1.0a dance for an incoming application link: request token → authorize URL →
//! verifier → access token, with every failure explained for the step it happened in.
//!
//! Endpoints follow Atlassian's "OAuth 1.0a for REST APIs" guide for Jira DC
//! (`/plugins/servlet/oauth/{request-token,authorize,access-token}`, `oauth_callback=oob`). The
//! access-token answer carries the OAuth Session 1.0 extension's `oauth_expires_in`,
//! `oauth_session_handle` and `oauth_authorization_expires_in` (read the same way by other OAuth
//! 1.0a clients, e.g. GNOME Online Accounts' `goaoauthprovider.c`). The lifetimes are read from
//! the answer, never assumed: they differ between Jira versions and admins can change them.

use super::diagnose::{Code, Diagnosis};
use super::{Auth, JiraClient, JiraError, OAuthToken};
use secrecy::SecretString;
use std::collections::BTreeMap;
use std::fmt;
use time::OffsetDateTime;

/// Path (after the base URL) that issues request tokens.
pub const REQUEST_TOKEN_PATH: &str = "/plugins/servlet/oauth/request-token";
/// Path of the page where a logged-in user approves a request token.
pub const AUTHORIZE_PATH: &str = "/plugins/servlet/oauth/authorize";
/// Path that exchanges an approved request token for an access token.
pub const ACCESS_TOKEN_PATH: &str = "/plugins/servlet/oauth/access-token";
/// How long Jira keeps an unapproved request token (atlassian-oauth `TokenStore`: 10 minutes).
pub const REQUEST_TOKEN_TTL_SECS: i64 = 600;

/// What to do when a request token can no longer be exchanged.
const RESTART: &str = "Start over: run `jiralink link authorize NAME` again, open the new authorize URL, click Allow and enter the new code.";

/// Which leg of the dance failed; the same `oauth_problem` means different things in each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// `POST request-token`.
    RequestToken,
    /// `POST access-token` with the verifier.
    AccessToken,
}

/// An unauthorized request token. The token itself is public (it is in the authorize URL); its
/// secret is kept out of `Debug` anyway.
#[derive(Clone)]
pub struct RequestToken {
    /// `oauth_token`.
    pub token: String,
    /// `oauth_token_secret` (RSA-SHA1 never signs with it).
    pub secret: SecretString,
    /// When this machine received it; Jira forgets it [`REQUEST_TOKEN_TTL_SECS`] later.
    pub issued_at: OffsetDateTime,
}

impl RequestToken {
    /// When Jira will have forgotten the token if nobody approves and exchanges it.
    pub fn expires_at(&self) -> OffsetDateTime {
        self.issued_at + time::Duration::seconds(REQUEST_TOKEN_TTL_SECS)
    }

    /// True once the token is older than Jira's request-token lifetime.
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        now >= self.expires_at()
    }
}

impl fmt::Debug for RequestToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestToken")
            .field("token", &self.token)
            .field("secret", &"[redacted]")
            .field("issued_at", &self.issued_at)
            .finish()
    }
}

/// The access token and what Jira said about its lifetime.
#[derive(Clone)]
pub struct AccessToken {
    /// `oauth_token`.
    pub token: SecretString,
    /// `oauth_token_secret`.
    pub secret: SecretString,
    /// `now + oauth_expires_in`, when Jira sent it.
    pub expires_at: Option<OffsetDateTime>,
    /// `oauth_session_handle`, needed to renew the token without a browser.
    pub session_handle: Option<SecretString>,
    /// `now + oauth_authorization_expires_in`: the end of the authorization session.
    pub authorization_expires_at: Option<OffsetDateTime>,
}

impl AccessToken {
    /// The token as the client's signing credential.
    pub fn oauth_token(&self) -> OAuthToken {
        OAuthToken {
            token: self.token.clone(),
            secret: self.secret.clone(),
        }
    }

    /// `expires_at` as RFC 3339, the form the config's `token_expires_at` holds.
    pub fn expires_at_rfc3339(&self) -> Option<String> {
        self.expires_at.and_then(rfc3339)
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &"[redacted]")
            .field("secret", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .field(
                "session_handle",
                &self.session_handle.as_ref().map(|_| "[redacted]"),
            )
            .field("authorization_expires_at", &self.authorization_expires_at)
            .finish()
    }
}

/// Format a time as RFC 3339 (UTC, whole seconds).
pub fn rfc3339(t: OffsetDateTime) -> Option<String> {
    t.to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .ok()?
        .format(&time::format_description::well_known::Rfc3339)
        .ok()
}

/// Refuse to dance with a client that cannot sign: the failure would otherwise surface as a
/// confusing 401 from Jira.
fn require_oauth_client(client: &JiraClient) -> Result<(), Diagnosis> {
    match client.auth() {
        Auth::OAuth1(_) => Ok(()),
        other => Err(Diagnosis::error(
            Code::ConfigError,
            "The OAuth dance needs an OAuth 1.0a consumer",
            format!(
                "The connection authenticates with auth = \"{}\".",
                other.kind()
            ),
            "Use a connection with auth = \"oauth1\", a consumer_key and a private_key (`jiralink link new NAME --url URL` creates one).",
        )),
    }
}

/// `POST {base}/plugins/servlet/oauth/request-token` with `oauth_callback=oob`, signed by the
/// client's consumer.
pub async fn request_token(client: &JiraClient) -> Result<RequestToken, Diagnosis> {
    require_oauth_client(client)?;
    let answer = client
        .oauth_post(REQUEST_TOKEN_PATH, &[("oauth_callback", "oob")], None)
        .await
        .map_err(|e| dance_diagnosis(Stage::RequestToken, &e))?;
    parse_request_token(&answer, OffsetDateTime::now_utc())
}

/// Read a request-token answer (`oauth_token`, `oauth_token_secret`, `oauth_callback_confirmed`).
pub fn parse_request_token(
    answer: &BTreeMap<String, String>,
    now: OffsetDateTime,
) -> Result<RequestToken, Diagnosis> {
    let token = answer
        .get("oauth_token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| missing_field("request-token", "oauth_token", answer))?;
    Ok(RequestToken {
        token: token.clone(),
        secret: SecretString::from(
            answer
                .get("oauth_token_secret")
                .cloned()
                .unwrap_or_default(),
        ),
        issued_at: now,
    })
}

/// `POST {base}/plugins/servlet/oauth/access-token` with the approved request token and the
/// verifier Jira showed after "Allow".
pub async fn access_token(
    client: &JiraClient,
    request_token: &str,
    verifier: &str,
) -> Result<AccessToken, Diagnosis> {
    require_oauth_client(client)?;
    let token = OAuthToken {
        token: SecretString::from(request_token.to_string()),
        // RSA-SHA1 signs with the private key only, so the request token secret is not needed
        // (RFC 5849 §3.4.3); a request token saved across runs therefore needs no secret.
        secret: SecretString::from(String::new()),
    };
    let answer = client
        .oauth_post(
            ACCESS_TOKEN_PATH,
            &[("oauth_verifier", verifier)],
            Some(&token),
        )
        .await
        .map_err(|e| dance_diagnosis(Stage::AccessToken, &e))?;
    parse_access_token(&answer, OffsetDateTime::now_utc())
}

/// Read an access-token answer; lifetimes are relative to `now`.
pub fn parse_access_token(
    answer: &BTreeMap<String, String>,
    now: OffsetDateTime,
) -> Result<AccessToken, Diagnosis> {
    let token = answer
        .get("oauth_token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| missing_field("access-token", "oauth_token", answer))?;
    let after = |key: &str| -> Result<Option<OffsetDateTime>, Diagnosis> {
        match answer.get(key).map(|v| v.trim()) {
            None | Some("") => Ok(None),
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|s| *s >= 0)
                .and_then(|s| now.checked_add(time::Duration::seconds(s)))
                .map(Some)
                .ok_or_else(|| {
                    Diagnosis::error(
                        Code::InvalidResponse,
                        format!("Jira's access-token answer has an unusable {key}"),
                        format!("{key}={v:?} is not a number of seconds."),
                        "Report this answer to the Jira administrator; the token itself may still work.",
                    )
                }),
        }
    };
    Ok(AccessToken {
        token: SecretString::from(token.clone()),
        secret: SecretString::from(
            answer
                .get("oauth_token_secret")
                .cloned()
                .unwrap_or_default(),
        ),
        expires_at: after("oauth_expires_in")?,
        session_handle: answer
            .get("oauth_session_handle")
            .filter(|h| !h.is_empty())
            .map(|h| SecretString::from(h.clone())),
        authorization_expires_at: after("oauth_authorization_expires_in")?,
    })
}

fn missing_field(endpoint: &str, key: &str, answer: &BTreeMap<String, String>) -> Diagnosis {
    // Only the names: the values may be tokens.
    let keys: Vec<&str> = answer.keys().map(String::as_str).collect();
    Diagnosis::error(
        Code::InvalidResponse,
        format!("Jira's {endpoint} answer has no {key}"),
        format!("The answer carried only: {}.", keys.join(", ")),
        "Check that the URL points at Jira itself and not at a proxy's error page.",
    )
}

/// The diagnosis of a failed dance call, reworded where the leg changes the meaning: the
/// client's generic texts talk about access tokens, but here a token is a request token.
pub fn dance_diagnosis(stage: Stage, err: &JiraError) -> Diagnosis {
    let mut d = err.diagnose();
    let restart = RESTART;
    match (stage, d.code) {
        (Stage::AccessToken, Code::OauthTokenExpired) => {
            d.summary = "The request token expired before it was exchanged".into();
            d.detail = format!(
                "{} Jira keeps an unapproved request token for 10 minutes.",
                d.detail
            );
            d.fix = restart.into();
        }
        (Stage::AccessToken, Code::OauthTokenRejected) => {
            d.summary = "Jira rejected the verification code or the request token".into();
            d.detail = format!(
                "{} Jira answers a wrong verification code, and a request token that was already exchanged or belongs to another consumer, with token_rejected.",
                d.detail
            );
            d.fix = format!(
                "Copy the code exactly as Jira showed it for THIS authorize URL. {restart}"
            );
        }
        (Stage::AccessToken, Code::OauthPermissionUnknown) => {
            d.summary = "The request token has not been approved yet".into();
            d.fix = "Open the authorize URL in a browser, log in as the user jiralink should act as, click Allow, then enter the verification code Jira shows.".into();
        }
        (Stage::AccessToken, Code::OauthPermissionDenied) => {
            d.summary = "Access was denied on Jira's authorize page".into();
            d.fix = format!("Click Allow (not Deny) this time. {restart}");
        }
        (Stage::AccessToken, Code::OauthVerifierInvalid) => {
            d.fix = format!("Copy the code exactly as Jira showed it. {restart}");
        }
        (Stage::RequestToken, Code::OauthTokenExpired | Code::OauthTokenRejected) => {
            // A request-token call carries no token, so this is a proxy or version oddity.
            d.fix = "Retry; if it persists, check that no proxy adds an Authorization header of its own.".into();
        }
        _ => {}
    }
    d
}

/// What the user typed where the verification code was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifierText {
    /// The code itself (trimmed).
    Code(String),
    /// A URL the browser was redirected to, which carries `oauth_verifier`: the incoming link
    /// has a Consumer Callback URL, which should be cleared.
    Redirect {
        /// `oauth_verifier` from the URL.
        verifier: String,
        /// `oauth_token` from the URL, when present (must match the request token).
        token: Option<String>,
    },
    /// A URL without `oauth_verifier` (the user copied the authorize URL, or a callback page).
    UrlWithoutVerifier,
    /// Nothing.
    Empty,
}

/// Classify verifier input: Jira shows a bare code when the link has no callback; with a
/// Consumer Callback URL it redirects to `callback?oauth_token=…&oauth_verifier=…` instead.
pub fn read_verifier(text: &str) -> VerifierText {
    let t = text.trim();
    if t.is_empty() {
        return VerifierText::Empty;
    }
    let looks_like_url = t.contains("://") || t.contains("oauth_verifier=");
    if !looks_like_url {
        return VerifierText::Code(t.to_string());
    }
    let query = t.split_once('?').map_or(t, |(_, q)| q);
    let query = query.split('#').next().unwrap_or_default();
    let pairs: BTreeMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    match pairs.get("oauth_verifier").filter(|v| !v.is_empty()) {
        Some(v) => VerifierText::Redirect {
            verifier: v.clone(),
            token: pairs.get("oauth_token").cloned(),
        },
        None => VerifierText::UrlWithoutVerifier,
    }
}

/// A request token older than Jira's lifetime (known locally, before asking Jira).
pub fn request_token_expired() -> Diagnosis {
    Diagnosis::error(
        Code::OauthTokenExpired,
        "The request token expired before it was exchanged",
        "Jira keeps an unapproved request token for 10 minutes.",
        RESTART,
    )
}

/// Jira redirected the browser instead of showing the verification code.
pub fn callback_set_diagnosis() -> Diagnosis {
    Diagnosis::warning(
        Code::OauthCallbackSet,
        "Jira redirected the browser instead of showing the verification code",
        "The incoming application link has a Consumer Callback URL; Jira then sends the verifier to that URL and never shows it to the user.",
        "Edit the application link → Incoming Authentication and clear the Consumer Callback URL. This time the code was taken from the redirect URL.",
    )
}

/// A request token saved across runs of `jiralink link authorize`, so `--verifier CODE` can
/// finish a dance a previous run started. Not secret (it is in the authorize URL), but kept 0600
/// like everything in the data dir.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PendingRequestToken {
    /// The base URL the token was issued by.
    pub base_url: String,
    /// The consumer it belongs to.
    pub consumer_key: String,
    /// `oauth_token`.
    pub token: String,
    /// RFC 3339 time it was issued.
    pub issued_at: String,
}

impl PendingRequestToken {
    /// Whether Jira has already forgotten it.
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        match OffsetDateTime::parse(
            &self.issued_at,
            &time::format_description::well_known::Rfc3339,
        ) {
            Ok(t) => now >= t + time::Duration::seconds(REQUEST_TOKEN_TTL_SECS),
            Err(_) => true,
        }
    }
}

/// Describe where the access token's expiry came from, for the user.
pub fn describe_expiry(token: &AccessToken) -> String {
    match token.expires_at_rfc3339() {
        Some(t) => format!("expires at {t} (as Jira reported)"),
        None => "Jira did not say when it expires".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use time::macros::datetime;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn access_answer_expiry_is_read_not_assumed() {
        let now = datetime!(2026-01-01 00:00:00 UTC);
        let t = parse_access_token(
            &map(&[
                ("oauth_token", "Tk4xQ"),
                ("oauth_token_secret", "Sc9zW"),
                ("oauth_expires_in", "604800"),
                ("oauth_session_handle", "h"),
                ("oauth_authorization_expires_in", "157680000"),
            ]),
            now,
        )
        .unwrap();
        assert_eq!(
            t.expires_at_rfc3339().as_deref(),
            Some("2026-01-08T00:00:00Z")
        );
        assert_eq!(
            t.authorization_expires_at,
            Some(datetime!(2030-12-31 00:00:00 UTC))
        );
        assert_eq!(t.token.expose_secret(), "Tk4xQ");
        let dbg = format!("{t:?}");
        assert!(!dbg.contains("Tk4xQ") && !dbg.contains("Sc9zW"), "{dbg}");
    }

    #[test]
    fn access_answer_without_expiry_has_none() {
        let now = datetime!(2026-01-01 00:00:00 UTC);
        let t = parse_access_token(&map(&[("oauth_token", "tok")]), now).unwrap();
        assert_eq!(t.expires_at, None);
        assert!(describe_expiry(&t).contains("did not say"));
    }

    #[test]
    fn bad_answers_are_invalid_responses() {
        let now = datetime!(2026-01-01 00:00:00 UTC);
        let e = parse_access_token(
            &map(&[("oauth_token", "t"), ("oauth_expires_in", "soon")]),
            now,
        )
        .unwrap_err();
        assert_eq!(e.code, Code::InvalidResponse);
        let e = parse_request_token(&map(&[("oauth_token_secret", "s3cr3t")]), now).unwrap_err();
        assert_eq!(e.code, Code::InvalidResponse);
        assert!(!e.to_string().contains("s3cr3t"), "{e}");
    }

    #[test]
    fn request_token_lives_ten_minutes() {
        let now = datetime!(2026-01-01 00:00:00 UTC);
        let t = parse_request_token(&map(&[("oauth_token", "rt")]), now).unwrap();
        assert!(!t.is_expired(now + time::Duration::seconds(599)));
        assert!(t.is_expired(now + time::Duration::seconds(600)));
        let p = PendingRequestToken {
            base_url: "https://j".into(),
            consumer_key: "k".into(),
            token: "rt".into(),
            issued_at: rfc3339(now).unwrap(),
        };
        assert!(!p.is_expired(now + time::Duration::seconds(10)));
        assert!(p.is_expired(now + time::Duration::seconds(601)));
    }

    #[test]
    fn verifier_text_and_redirects() {
        assert_eq!(
            read_verifier("  Ab3xYz\n"),
            VerifierText::Code("Ab3xYz".into())
        );
        assert_eq!(read_verifier(" \n"), VerifierText::Empty);
        assert_eq!(
            read_verifier("https://app.example.com/cb?oauth_token=rt&oauth_verifier=Q1w2E3"),
            VerifierText::Redirect {
                verifier: "Q1w2E3".into(),
                token: Some("rt".into())
            }
        );
        assert_eq!(
            read_verifier("https://jira/plugins/servlet/oauth/authorize?oauth_token=rt"),
            VerifierText::UrlWithoutVerifier
        );
        assert_eq!(callback_set_diagnosis().code, Code::OauthCallbackSet);
    }
}
