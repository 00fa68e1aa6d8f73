//! The simulator as a server others can reach (issue 14 §8): its control API refuses what a web
//! page in the user's browser could send (cross-origin `text/plain` POSTs, DNS-rebound `Host`s),
//! a clock skew is bounded and never panics, the project count is capped, and a client that never
//! finishes its request head is cut off.
use jiralink::sim::{Scenario, Sim, SimConfig, MAX_PROJECTS};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

async fn sim() -> Sim {
    Sim::start(SimConfig::default()).await.unwrap()
}

/// Send `request` as raw bytes (off the runtime) and return the status code and the answer.
async fn raw(addr: SocketAddr, request: String) -> (u16, String) {
    tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(request.as_bytes()).unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        let code = out
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        (code, out)
    })
    .await
    .unwrap()
}

fn post(host: &str, content_type: &str, body: &str) -> String {
    format!(
        "POST /__sim/scenario HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn control_api_refuses_cross_origin_and_rebound_requests() {
    let sim = sim().await;
    let addr = sim.addr();
    let port = addr.port();
    let body = r#"{"name":"flaky:10"}"#;
    // CSRF: a page can POST text/plain (or a form) cross-origin without a preflight.
    for ct in ["text/plain", "application/x-www-form-urlencoded"] {
        let (code, out) = raw(addr, post(&format!("127.0.0.1:{port}"), ct, body)).await;
        assert_eq!(code, 415, "{ct}: {out}");
    }
    assert_eq!(sim.scenario(), Scenario::Normal);
    // DNS rebinding: the page's own host name pointed at 127.0.0.1.
    let (code, out) = raw(
        addr,
        post(&format!("evil.example:{port}"), "application/json", body),
    )
    .await;
    assert_eq!(code, 403, "{out}");
    let (code, _) = raw(
        addr,
        "GET /__sim/state HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n".into(),
    )
    .await;
    assert_eq!(
        code, 403,
        "reading the state (passwords, PATs) needs a loopback Host too"
    );
    assert_eq!(sim.scenario(), Scenario::Normal);
    // The real thing: JSON to a loopback Host.
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ] {
        let (code, out) = raw(addr, post(&host, "application/json; charset=utf-8", body)).await;
        assert_eq!(code, 200, "{host}: {out}");
    }
    assert_eq!(sim.scenario().to_string(), "flaky:10");
}

#[tokio::test]
async fn the_largest_clock_skew_serves_requests() {
    for secs in [
        jiralink::sim::MAX_CLOCK_SKEW_SECS,
        -jiralink::sim::MAX_CLOCK_SKEW_SECS,
    ] {
        let sim = Sim::start(SimConfig {
            scenario: Scenario::ClockSkew { secs },
            ..SimConfig::default()
        })
        .await
        .unwrap();
        let r = reqwest::get(format!("{}/rest/api/2/serverInfo", sim.base_url()))
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "skew {secs}");
        assert!(r.headers().contains_key("date"));
    }
}

#[tokio::test]
async fn the_project_count_is_capped() {
    let e = Sim::start(SimConfig {
        projects: MAX_PROJECTS + 1,
        ..SimConfig::default()
    })
    .await
    .unwrap_err();
    assert!(e.to_string().contains("at most"), "{e}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jiralink"))
        .args(["sim", "--projects", "1000000000"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("at most 100000"), "{err}");
}

/// A request head that never ends is cut off after the header read timeout (10 s) instead of
/// holding a file descriptor forever, while other clients are still answered meanwhile.
#[tokio::test]
async fn half_sent_request_heads_are_cut_off() {
    let sim = sim().await;
    let addr = sim.addr();
    let start = std::time::Instant::now();
    let held = tokio::task::spawn_blocking(move || {
        let mut conns: Vec<TcpStream> = (0..50)
            .map(|_| {
                let mut s = TcpStream::connect(addr).unwrap();
                s.write_all(
                    b"GET /jira/rest/api/2/serverInfo HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ",
                )
                .unwrap();
                s
            })
            .collect();
        // Whatever the server does with them, it does it within the timeout plus a margin.
        let s = &mut conns[0];
        s.set_read_timeout(Some(
            jiralink::sim::HEADER_READ_TIMEOUT + Duration::from_secs(10),
        ))
        .unwrap();
        let mut buf = Vec::new();
        let r = s.read_to_end(&mut buf);
        (r.is_ok(), String::from_utf8_lossy(&buf).into_owned())
    });
    // Served meanwhile.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = reqwest::get(format!("{}/rest/api/2/serverInfo", sim.base_url()))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (closed, answer) = held.await.unwrap();
    let took = start.elapsed();
    assert!(
        closed,
        "the half-sent request was still open after {took:?}"
    );
    assert!(
        took >= jiralink::sim::HEADER_READ_TIMEOUT - Duration::from_secs(1),
        "closed too early ({took:?}): {answer}"
    );
}
