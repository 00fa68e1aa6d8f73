//! Fuzz the `WWW-Authenticate` / form-encoded `oauth_problem` parser and what is built on it:
//! header parameter parsing, base-string comparison and redaction.
//!
//! Input layout: `header \0 body`; without a NUL the whole input is tried as both.
#![no_main]

use jiralink::jira::oauth;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (header, body) = match text.split_once('\0') {
        Some((h, b)) => (Some(h), b),
        None => (Some(text.as_ref()), text.as_ref()),
    };
    let _ = oauth::parse_auth_header_params(&text);
    let _ = oauth::parse_oauth_problem(None, body);
    if let Some(p) = oauth::parse_oauth_problem(header, body) {
        let _ = jiralink::jira::diagnose::oauth_code(&p.problem);
        if let Some(theirs) = p.their_base_string() {
            let redacted = oauth::redact_base_string(theirs);
            let _ = oauth::compare_base_strings(&redacted, theirs);
        }
    }
    let redacted = oauth::redact_base_string(&text);
    let _ = oauth::compare_base_strings(&text, &redacted);
    let _ = oauth::compare_base_strings(body, header.unwrap_or(""));
});
