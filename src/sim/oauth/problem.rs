//! OAuth Problem Reporting replies, shaped the way Jira's OAuth service provider sends them.
//!
//! Jira (atlassian-oauth) reports failures through net.oauth's `OAuthServlet.handleException`
//! (the same call is visible in Atlassian's public port of that code,
//! jenkinsci/atlassian-bitbucket-server-integration-plugin `OAuth1aRequestFilter.java` and
//! `AccessTokenRestEndpoint.java`):
//! - the status comes from net.oauth `OAuth.Problems.TO_HTTP_CODE`: 400 for `parameter_absent`,
//!   `parameter_rejected`, `timestamp_refused`, `signature_method_rejected`, `version_rejected`;
//!   401 for `nonce_used`, `token_*`, `signature_invalid`, `consumer_key_*`, `permission_*`;
//! - `WWW-Authenticate: OAuth realm="<percent-encoded realm>", oauth_x="…"` carries every
//!   parameter whose name starts with `oauth_`, values percent-encoded;
//! - the body is the same parameters form-encoded, `oauth_problem` first.

use super::base_string::{form_encode, percent_encode};
use super::HttpReply;

/// An OAuth problem (Problem Reporting extension) plus its extra parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The `oauth_problem` value, e.g. `signature_invalid`.
    pub problem: &'static str,
    /// Extra parameters (`oauth_acceptable_timestamps`, `oauth_signature_base_string` …).
    pub params: Vec<(String, String)>,
}

impl Problem {
    /// A problem without extra parameters.
    pub fn new(problem: &'static str) -> Self {
        Self {
            problem,
            params: Vec::new(),
        }
    }

    /// Adds an extra parameter.
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.params.push((name.to_string(), value.into()));
        self
    }

    /// `parameter_absent` listing the missing names (percent-encoded, `&`-joined, as the
    /// extension specifies and net.oauth `requireParameters` does).
    pub fn absent(names: &[&str]) -> Self {
        let list = names
            .iter()
            .map(|n| percent_encode(n))
            .collect::<Vec<_>>()
            .join("&");
        Self::new("parameter_absent").with("oauth_parameters_absent", list)
    }

    /// `parameter_rejected` naming the offending parameter.
    pub fn rejected(name: &str) -> Self {
        Self::new("parameter_rejected").with("oauth_parameters_rejected", percent_encode(name))
    }

    /// The HTTP status net.oauth maps this problem to (403 for anything it does not know).
    pub fn status(&self) -> u16 {
        match self.problem {
            "version_rejected"
            | "parameter_absent"
            | "parameter_rejected"
            | "timestamp_refused"
            | "signature_method_rejected" => 400,
            "nonce_used"
            | "token_used"
            | "token_expired"
            | "token_revoked"
            | "token_rejected"
            | "token_not_authorized"
            | "signature_invalid"
            | "consumer_key_unknown"
            | "consumer_key_rejected"
            | "additional_authorization_required"
            | "permission_unknown"
            | "permission_denied" => 401,
            "user_refused" | "consumer_key_refused" => 503,
            _ => 403,
        }
    }

    /// All reply parameters, `oauth_problem` first.
    fn all_params(&self) -> Vec<(String, String)> {
        let mut all = vec![("oauth_problem".to_string(), self.problem.to_string())];
        all.extend(self.params.iter().cloned());
        all
    }

    /// The `WWW-Authenticate` value for `realm`.
    pub fn www_authenticate(&self, realm: &str) -> String {
        let mut header = format!("OAuth realm=\"{}\"", percent_encode(realm));
        for (k, v) in self.all_params() {
            if k.starts_with("oauth_") {
                header.push_str(&format!(
                    ", {}=\"{}\"",
                    percent_encode(&k),
                    percent_encode(&v)
                ));
            }
        }
        header
    }

    /// The full reply: status, `WWW-Authenticate`, form-encoded body.
    pub fn into_reply(self, realm: &str) -> HttpReply {
        HttpReply {
            status: self.status(),
            // net.oauth `OAuthServlet.sendForm` sets exactly this content type.
            content_type: "application/x-www-form-urlencoded;charset=UTF-8".to_string(),
            headers: vec![("WWW-Authenticate".to_string(), self.www_authenticate(realm))],
            body: form_encode(&self.all_params()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_refused_reply_has_header_body_and_400() {
        let r = Problem::new("timestamp_refused")
            .with("oauth_acceptable_timestamps", "100-700")
            .into_reply("http://jira.example.com:8080/jira");
        assert_eq!(r.status, 400);
        assert_eq!(
            r.headers,
            vec![(
                "WWW-Authenticate".to_string(),
                "OAuth realm=\"http%3A%2F%2Fjira.example.com%3A8080%2Fjira\", \
                 oauth_problem=\"timestamp_refused\", oauth_acceptable_timestamps=\"100-700\""
                    .to_string()
            )]
        );
        assert_eq!(
            r.body,
            "oauth_problem=timestamp_refused&oauth_acceptable_timestamps=100-700"
        );
    }

    #[test]
    fn statuses_follow_net_oauth() {
        assert_eq!(Problem::new("signature_invalid").status(), 401);
        assert_eq!(Problem::absent(&["oauth_verifier"]).status(), 400);
        assert_eq!(Problem::new("permission_unknown").status(), 401);
        assert_eq!(Problem::new("something_else").status(), 403);
    }

    #[test]
    fn absent_list_is_ampersand_joined() {
        let r = Problem::absent(&["oauth_nonce", "oauth_timestamp"]).into_reply("r");
        assert_eq!(
            r.body,
            "oauth_problem=parameter_absent&oauth_parameters_absent=oauth_nonce%26oauth_timestamp"
        );
    }
}
