//! Fuzz every Jira response parser: the typed models (serverInfo, myself, project lists, paged
//! projects, mypermissions, permission schemes, roles and role actors, error bodies) decoded through
//! the client's real path (`classify` then `decode_json`), plus HTML title detection and
//! `Retry-After`.
//!
//! Input layout: byte 0 picks the model, bytes 1–2 the status, then `header-block \0 body` where the
//! header block is `name: value` lines.
#![no_main]

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};
use jiralink::jira::model::*;
use jiralink::jira::response::{self, Raw};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};
use url::Url;

fn decode(kind: u8, raw: &Raw) {
    macro_rules! go {
        ($t:ty) => {{
            let _ = response::decode_json::<$t>(raw).map(|v| format!("{v:?}"));
        }};
    }
    match kind % 12 {
        0 => {
            if let Ok(s) = response::decode_json::<ServerInfo>(raw) {
                let _ = s.version_tuple();
                let _ = s.is_cloud();
            }
        }
        1 => {
            if let Ok(u) = response::decode_json::<User>(raw) {
                let _ = u.login();
                let _ = u.group_names();
                let _ = u.application_role_keys();
            }
        }
        2 => go!(Vec<Project>),
        3 => go!(Page<Project>),
        4 => {
            if let Ok(p) = response::decode_json::<Permissions>(raw) {
                let p = p.without_deprecated();
                let _ = p.has("BROWSE_PROJECTS");
            }
            // The audit's own path: sonic-rs's lazy lookup, or the serde seed. Whenever both
            // answer, they agree on every wanted entry named once (a duplicated key is the one
            // case where they differ: the first one wins there, the last one in serde's map).
            let wanted = ["BROWSE_PROJECTS".to_string(), "CREATE_ISSUES".to_string()];
            if let Ok(p) = jiralink::jira::client::decode_my_permissions(raw, &wanted) {
                let _ = p.has("BROWSE_PROJECTS");
                let text = String::from_utf8_lossy(&raw.body);
                if let Ok(full) = response::decode_json::<Permissions>(raw) {
                    for k in &wanted {
                        if key_uses(&text, k) != 1 {
                            continue;
                        }
                        if let Some(entry) = full.permissions.get(k) {
                            assert_eq!(p.permissions.get(k), Some(entry), "{k}");
                        }
                    }
                }
            }
        }
        5 => {
            if let Ok(s) = response::decode_json::<PermissionScheme>(raw) {
                let v = serde_json::to_value(&s).unwrap_or_default();
                if let Some(grants) = v.get("permissions").and_then(|g| g.as_array()) {
                    for g in grants {
                        if let Ok(h) = serde_json::from_value::<Holder>(g["holder"].clone()) {
                            let _ = h.interpret();
                        }
                    }
                }
            }
        }
        6 => go!(PermissionSchemes),
        7 => {
            if let Ok(r) = response::decode_json::<ProjectRole>(raw) {
                let _ = format!("{r:?}");
            }
        }
        8 => {
            if let Ok(a) = response::decode_json::<RoleActor>(raw) {
                let _ = a.is_group();
                let _ = a.actor_name();
            }
        }
        9 => go!(BTreeMap<String, String>),
        10 => {
            if let Ok(h) = response::decode_json::<Holder>(raw) {
                let _ = h.interpret();
            }
        }
        _ => {
            if let Ok(e) = response::decode_json::<ErrorBody>(raw) {
                let _ = e.summary();
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let kind = data[0];
    let status = 100 + u16::from_le_bytes([data[1], data[2]]) % 500;
    let rest = &data[3..];
    let (head, body) = match rest.iter().position(|&b| b == 0) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (&[][..], rest),
    };
    let mut headers = HeaderMap::new();
    for line in String::from_utf8_lossy(head).lines() {
        if let Some((n, v)) = line.split_once(':') {
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(n.trim().as_bytes()),
                HeaderValue::from_str(v.trim()),
            ) {
                headers.append(n, v);
            }
        }
    }
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let _ = response::retry_after(&headers, now);
    let _ = response::body_summary(body);
    let _ = response::snippet(body);
    let text = String::from_utf8_lossy(body);
    if let Some(t) = response::html_title(&text) {
        let _ = response::is_login_title(&t);
    }
    let Ok(url) = Url::parse("https://jira.example.com/jira/rest/api/2/serverInfo") else {
        return;
    };
    let Ok(base) = Url::parse("https://jira.example.com/jira") else {
        return;
    };
    let raw = Raw {
        status,
        headers,
        body: Bytes::copy_from_slice(body),
        method: "GET".into(),
        url,
        attempts: 1,
    };
    let _ = response::html_error(&raw).map(|e| e.to_string());
    decode(kind, &raw);
    let auth = ["none", "basic", "pat", "oauth1", "cloud-token"][usize::from(kind) % 5];
    match response::classify(raw, auth, Some("GET&x&y".into()), Some(0), &base) {
        Ok(raw) => decode(kind / 12, &raw),
        Err(e) => {
            let _ = e.to_string();
            let _ = jiralink::jira::diagnose::diagnose_error(&e);
        }
    }
});

/// How many times `"key"` appears as an object key (followed by optional whitespace and `:`).
fn key_uses(text: &str, key: &str) -> usize {
    let quoted = format!("\"{key}\"");
    text.match_indices(&quoted)
        .filter(|(i, _)| text[i + quoted.len()..].trim_start().starts_with(':'))
        .count()
}
