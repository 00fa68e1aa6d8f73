//! Audit wall time against the in-process simulator on loopback: admin-assisted for 2,000 and
//! 10,000 projects and self mode for 2,000, as the median of several runs after a warm-up, with
//! the requests made and requests per second. Target (issue 4): a 2,000-project admin-assisted
//! audit in under 1 s on a 2-core machine. Run with `cargo bench --bench audit`.

use jiralink::audit::{self, AuditRequest, Report};
use jiralink::jira::{Auth, ClientOptions, JiraClient};
use jiralink::sim::{Sim, SimConfig};
use secrecy::SecretString;
use std::error::Error;
use std::time::{Duration, Instant};

type BenchResult<T> = Result<T, Box<dyn Error>>;

/// Timed runs per case (after one untimed warm-up run).
const RUNS: usize = 7;
/// The target for the 2,000-project admin-assisted audit.
const TARGET: Duration = Duration::from_secs(1);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Admin,
    SelfCheck,
}

fn client(sim: &Sim, user: &str) -> BenchResult<JiraClient> {
    let password = sim.password(user).ok_or("no such simulator user")?;
    let auth = Auth::Basic {
        username: user.to_string(),
        password: SecretString::from(password),
    };
    Ok(JiraClient::new(ClientOptions::new(
        sim.base_url().clone(),
        auth,
    ))?)
}

fn request(sim: &Sim, mode: Mode) -> BenchResult<AuditRequest> {
    let mut req = AuditRequest::new("bench");
    match mode {
        Mode::Admin => {
            req.admin = Some(client(sim, "admin")?);
            req.username = Some("alice".into());
        }
        Mode::SelfCheck => req.subject = Some(client(sim, "alice")?),
    }
    Ok(req)
}

async fn once(sim: &Sim, mode: Mode) -> BenchResult<(Duration, Report)> {
    let req = request(sim, mode)?;
    let started = Instant::now();
    let report = audit::run(req, |_| {}).await?;
    Ok((started.elapsed(), report))
}

fn median(sorted: &[Duration]) -> Duration {
    match sorted.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

async fn case(label: &str, projects: usize, mode: Mode) -> BenchResult<Duration> {
    let sim = Sim::start(SimConfig {
        projects,
        ..SimConfig::default()
    })
    .await?;
    // Warm-up: connections, the simulator's caches, the allocator.
    let (_, warm) = once(&sim, mode).await?;
    let mut times = Vec::with_capacity(RUNS);
    let mut requests = warm.requests;
    for _ in 0..RUNS {
        let (t, report) = once(&sim, mode).await?;
        // Every run must be the same complete audit, or the timing means nothing.
        if report.projects.len() != warm.projects.len() || report.summary.errors != 0 {
            return Err(format!("{label}: incomplete run ({:?})", report.summary).into());
        }
        requests = report.requests;
        times.push(t);
    }
    times.sort();
    let med = median(&times);
    let rps = requests as f64 / med.as_secs_f64().max(f64::EPSILON);
    println!(
        "{label:<34} {:>6} rows  median {:>8.1} ms  (min {:>7.1}, max {:>7.1})  {:>6} requests  {:>8.0} req/s",
        warm.projects.len(),
        med.as_secs_f64() * 1e3,
        times.first().map_or(0.0, |t| t.as_secs_f64() * 1e3),
        times.last().map_or(0.0, |t| t.as_secs_f64() * 1e3),
        requests,
        rps,
    );
    sim.shutdown().await;
    Ok(med)
}

fn main() -> BenchResult<()> {
    // Cargo passes `--bench` (and any filter) to a harness-less bench; nothing to parse.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        println!(
            "audit benchmark: simulator in-process on loopback, concurrency {}, median of {RUNS} runs after a warm-up",
            audit::DEFAULT_CONCURRENCY
        );
        let admin_2k = case("admin-assisted, 2,000 projects", 2_000, Mode::Admin).await?;
        case("admin-assisted, 10,000 projects", 10_000, Mode::Admin).await?;
        case("self mode, 2,000 projects", 2_000, Mode::SelfCheck).await?;
        println!(
            "target: 2,000-project admin-assisted audit under {} ms: {} ({:.1} ms)",
            TARGET.as_millis(),
            if admin_2k < TARGET { "met" } else { "MISSED" },
            admin_2k.as_secs_f64() * 1e3
        );
        Ok(())
    })
}
