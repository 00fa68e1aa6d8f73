//! Fuzz the applinks manifest parsers: the XML form and the JSON form.
#![no_main]

use jiralink::jira::model::Manifest;
use jiralink::jira::response;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some(m) = response::manifest_from_xml(&text) {
        let _ = format!("{m:?}");
    }
    if let Ok(m) = serde_json::from_slice::<Manifest>(data) {
        let _ = format!("{m:?}");
    }
});
