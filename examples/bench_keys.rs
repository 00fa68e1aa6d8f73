//! Benchmark helper for `bench/run.sh`, section 5: RSA-2048 key generation and the cost of signing
//! one request with OAuth 1.0a RSA-SHA1. Prints one JSON object on stdout; `bench/bench.py` reads it.
//!
//! Usage: `bench_keys [KEYGEN_RUNS] [SIGN_RUNS]` (defaults 9 and 500; one warm-up of each first).

use jiralink::jira::oauth::authorization_header;
use jiralink::jira::{OAuth1Auth, OAuthToken};
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Instant;

fn median_ms(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn arg(i: usize, default: usize) -> usize {
    std::env::args()
        .nth(i)
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
        .max(1)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let keygen_runs = arg(1, 9);
    let sign_runs = arg(2, 500);

    // Key generation: the same function `jiralink link keygen` and the wizard call.
    let _warm = jiralink::keys::generate(2048)?;
    let mut keygen = Vec::with_capacity(keygen_runs);
    let mut key = None;
    for _ in 0..keygen_runs {
        let t = Instant::now();
        let k = jiralink::keys::generate(2048)?;
        keygen.push(t.elapsed().as_secs_f64() * 1e3);
        key = Some(k);
    }
    let key = key.ok_or("no key generated")?;

    // Signing: the exact header the client adds to every OAuth request (nonce, timestamp,
    // base string, SHA-1, RSA-2048 private-key operation).
    let consumer = OAuth1Auth {
        consumer_key: "jiralink-bench".into(),
        private_key: Arc::new(key),
        token: Some(OAuthToken {
            token: SecretString::from("bench-access-token".to_owned()),
            secret: SecretString::from("bench-token-secret".to_owned()),
        }),
    };
    let url = url::Url::parse(
        "http://127.0.0.1:8080/jira/rest/api/2/mypermissions?projectKey=PROJ1&permissions=BROWSE_PROJECTS,CREATE_ISSUES",
    )?;
    let sign = || {
        authorization_header(
            "GET",
            &url,
            &[],
            &consumer,
            consumer.token.as_ref(),
            None,
            None,
        )
    };
    let warm = sign();
    if !warm.starts_with("OAuth ") {
        return Err("the signed header does not start with `OAuth `".into());
    }
    let mut signing = Vec::with_capacity(sign_runs);
    for _ in 0..sign_runs {
        let t = Instant::now();
        let h = sign();
        signing.push(t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(h);
    }
    let keygen_min = keygen.iter().copied().fold(f64::INFINITY, f64::min);
    let keygen_max = keygen.iter().copied().fold(0.0, f64::max);
    println!(
        "{{\"keygen_runs\":{keygen_runs},\"keygen_median_ms\":{:.3},\"keygen_min_ms\":{keygen_min:.3},\"keygen_max_ms\":{keygen_max:.3},\"sign_runs\":{sign_runs},\"sign_median_ms\":{:.4}}}",
        median_ms(keygen),
        median_ms(signing)
    );
    Ok(())
}
