//! Fuzz the config parser and its secret references: any text must give a Config or a ConfigError,
//! never a panic, and no plain secret may reach the Debug output of what was parsed.
#![no_main]

use jiralink::config::Config;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Config::parse_str(Path::new("/fuzz/config.toml"), text) {
        Ok(cfg) => {
            // Walk everything a front end touches after loading; never resolve (that would run
            // `cmd` secrets through `sh -c`).
            let now = jiralink_fuzz_now();
            for c in &cfg.connections {
                let _ = c.validate();
                let _ = c.normalized();
                let _ = c.flavor();
                let _ = c.token_expiry();
                let _ = c.warnings(now);
                let _ = c.claimed_user();
                for (_, s) in c.secrets() {
                    let _ = s.source();
                    let _ = format!("{s:?}");
                }
                let _ = format!("{c:?}");
            }
            for (_, e) in &cfg.connection_errors {
                let _ = e.to_string();
                let _ = e.connection();
                let _ = e.diagnosis();
            }
        }
        Err(e) => {
            let _ = e.to_string();
            let _ = e.diagnosis();
        }
    }
});

fn jiralink_fuzz_now() -> time::OffsetDateTime {
    time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000)
}
