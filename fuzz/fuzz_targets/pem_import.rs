//! Fuzz PEM key import: a pasted private key (PKCS#1 / PKCS#8, with or without junk around it) and
//! the public-key text a Jira form or a peer hands us.
#![no_main]

use jiralink::keys;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(k) = keys::import_private_key_pem(&text) {
        let public = k.to_public_key();
        let _ = keys::fingerprint_sha256(&public);
        let _ = keys::public_key_for_jira_form(&public);
    }
    if let Ok(p) = keys::check_public_key_text(&text) {
        let _ = keys::key_bits(&p);
        let _ = keys::public_key_pem(&p);
    }
});
