//! Audits at scale against the simulator over loopback: Cloud's bulk permission check gives the
//! same verdicts as one `mypermissions` per project in a fraction of the requests (counted by the
//! simulator per principal), and the client's pacing keeps a rate-limited audit under the limit.

mod common;

use common::{basic, opts};
use jiralink::audit::{run_with, AuditRequest, Report, Source};
use jiralink::jira::bulk::BulkGrants;
use jiralink::jira::model::{
    PermissionScheme, Permissions, Project, ProjectRole, ServerInfo, User,
};
use jiralink::jira::{Auth, Flavor, JiraClient, JiraError};
use jiralink::sim::{RateLimit, Sim, SimConfig};
use secrecy::SecretString;
use std::future::Future;
use std::time::{Duration, Instant};

async fn cloud_sim(projects: usize) -> Sim {
    Sim::start(SimConfig {
        projects,
        cloud: true,
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

fn cloud_client(sim: &Sim, user: &str) -> JiraClient {
    let auth = Auth::CloudToken {
        email: sim.email(user).unwrap(),
        token: SecretString::from(sim.api_token(user).unwrap()),
    };
    let mut o = opts(sim.base_url(), auth);
    o.flavor = Flavor::Cloud;
    o.timeout = Duration::from_secs(30);
    JiraClient::new(o).unwrap()
}

/// The client without its bulk check: today's per-project `mypermissions` path.
struct PerProject(JiraClient);

impl Source for PerProject {
    fn server_info(&self) -> impl Future<Output = Result<ServerInfo, JiraError>> + Send {
        self.0.server_info()
    }
    fn myself(&self) -> impl Future<Output = Result<User, JiraError>> + Send {
        self.0.myself()
    }
    fn projects(&self) -> impl Future<Output = Result<Vec<Project>, JiraError>> + Send {
        self.0.projects()
    }
    fn my_permissions(
        &self,
        project_key: Option<&str>,
        permissions: &[String],
    ) -> impl Future<Output = Result<Permissions, JiraError>> + Send {
        self.0.my_permissions(project_key, permissions)
    }
    fn all_permissions(&self) -> impl Future<Output = Result<Permissions, JiraError>> + Send {
        self.0.all_permissions()
    }
    fn project_permission_scheme(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<PermissionScheme, JiraError>> + Send {
        self.0.project_permission_scheme(key)
    }
    fn permission_schemes(
        &self,
    ) -> impl Future<Output = Result<Vec<PermissionScheme>, JiraError>> + Send {
        self.0.permission_schemes()
    }
    fn permission_scheme(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<PermissionScheme, JiraError>> + Send {
        self.0.permission_scheme(id)
    }
    fn project_role(
        &self,
        key: &str,
        role_id: &str,
    ) -> impl Future<Output = Result<ProjectRole, JiraError>> + Send {
        self.0.project_role(key, role_id)
    }
    fn user(&self, username: &str) -> impl Future<Output = Result<User, JiraError>> + Send {
        self.0.user(username)
    }
}

async fn audit<S: Source>(subject: S, required: &[&str]) -> Report {
    let mut req = AuditRequest::new("alice");
    req.subject = Some(subject);
    req.required = required.iter().map(|s| s.to_string()).collect();
    run_with(req, |_| {}).await.expect("the audit runs")
}

/// A row's key, visibility, permissions, ok and reason.
type Verdict = (String, bool, Vec<(String, bool)>, bool, Option<String>);

/// The verdict of every row.
fn verdicts(r: &Report) -> Vec<Verdict> {
    r.projects
        .iter()
        .map(|row| {
            (
                row.key.clone(),
                row.visible,
                row.permissions
                    .iter()
                    .map(|(k, v)| (k.clone(), *v))
                    .collect(),
                row.ok,
                row.reason.clone(),
            )
        })
        .collect()
}

fn requests_of(sim: &Sim, who: &str) -> u64 {
    sim.request_counts().get(who).map_or(0, |c| c.requests)
}

#[tokio::test]
async fn cloud_bulk_self_audit_gives_the_per_project_verdicts_in_few_requests() {
    // 2,500 projects: three bulk checks, the last one partial.
    let sim = cloud_sim(2_500).await;
    let required = ["BROWSE_PROJECTS", "CREATE_ISSUES", "EDIT_ISSUES"];

    let bulk = audit(cloud_client(&sim, "alice"), &required).await;
    let bulk_requests = requests_of(&sim, "alice");
    sim.reset_request_counts();
    let single = audit(PerProject(cloud_client(&sim, "alice")), &required).await;
    let single_requests = requests_of(&sim, "alice");

    assert!(bulk.projects.len() > 1_000, "{} rows", bulk.projects.len());
    assert!(bulk.projects.iter().any(|r| !r.ok) && bulk.projects.iter().any(|r| r.ok));
    assert_eq!(verdicts(&bulk), verdicts(&single));
    assert_eq!(bulk.summary, single.summary);
    // serverInfo + myself + the project pages (50 a page) + one check per 1,000 projects.
    let rows = bulk.projects.len() as u64;
    let pages = rows.div_ceil(50);
    assert_eq!(bulk_requests, 2 + pages + rows.div_ceil(1_000));
    assert_eq!(single_requests, 2 + pages + rows);
    assert_eq!(
        bulk.requests, bulk_requests,
        "the report counts what the sim saw"
    );
}

#[tokio::test]
async fn a_ten_thousand_project_cloud_audit_needs_at_most_250_requests() {
    let sim = cloud_sim(10_000).await;
    // admin sees every project (global ADMINISTER), so all 10,000 are audited.
    let report = audit(
        cloud_client(&sim, "admin"),
        &["BROWSE_PROJECTS", "CREATE_ISSUES"],
    )
    .await;
    assert_eq!(report.projects.len(), 10_000);
    let n = requests_of(&sim, "admin");
    assert!(n <= 250, "{n} requests");
    assert_eq!(n, 2 + 200 + 10);
}

#[tokio::test]
async fn a_cloud_admin_audit_cross_checks_in_bulk_with_the_same_rows() {
    let sim = cloud_sim(1_200).await;
    let required = ["BROWSE_PROJECTS", "CREATE_ISSUES", "EDIT_ISSUES"];
    fn request<S>(admin: S, subject: S, required: &[&str]) -> AuditRequest<S> {
        let mut req = AuditRequest::new("alice+admin");
        req.admin = Some(admin);
        req.subject = Some(subject);
        req.required = required.iter().map(|s| s.to_string()).collect();
        req
    }

    let bulk = run_with(
        request(
            cloud_client(&sim, "admin"),
            cloud_client(&sim, "alice"),
            &required,
        ),
        |_| {},
    )
    .await
    .unwrap();
    let bulk_alice = requests_of(&sim, "alice");
    sim.reset_request_counts();
    let single = run_with(
        request(
            PerProject(cloud_client(&sim, "admin")),
            PerProject(cloud_client(&sim, "alice")),
            &required,
        ),
        |_| {},
    )
    .await
    .unwrap();
    let single_alice = requests_of(&sim, "alice");

    // Every row the same, the cross-check's disagreements and the details included; the world is
    // consistent, so the computed verdicts and Jira's own answers agree everywhere.
    assert_eq!(bulk.projects, single.projects);
    assert_eq!(bulk.summary, single.summary);
    assert!(
        bulk.projects.iter().all(|r| r.disagreements.is_empty()),
        "{:?}",
        bulk.projects.iter().find(|r| !r.disagreements.is_empty())
    );
    let visible = single.projects.iter().filter(|r| r.visible).count() as u64;
    assert!(visible > 100, "{visible}");
    // alice: her project pages and one bulk check per 1,000 projects she sees, against one
    // `mypermissions` per project she sees.
    let pages = visible.div_ceil(50);
    assert!(single_alice >= visible + pages, "{single_alice}");
    assert!(bulk_alice <= pages + 1 + 2 + 2, "{bulk_alice}");
}

#[tokio::test]
async fn a_cloud_admin_only_audit_asks_jira_for_the_users_account_in_bulk() {
    let sim = cloud_sim(1_200).await;
    let account = cloud_client(&sim, "alice")
        .myself()
        .await
        .unwrap()
        .account_id
        .expect("Cloud users have an accountId");
    fn request<S>(admin: S, account: &str) -> AuditRequest<S> {
        let mut req = AuditRequest::new("admin");
        req.admin = Some(admin);
        req.username = Some(account.to_string());
        req.required = ["BROWSE_PROJECTS", "CREATE_ISSUES", "EDIT_ISSUES"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        req
    }
    sim.reset_request_counts();
    let bulk = run_with(request(cloud_client(&sim, "admin"), &account), |_| {})
        .await
        .unwrap();
    let with_check = requests_of(&sim, "admin");
    sim.reset_request_counts();
    let without = run_with(
        request(PerProject(cloud_client(&sim, "admin")), &account),
        |_| {},
    )
    .await
    .unwrap();
    let no_check = requests_of(&sim, "admin");
    // The cross-check adds Jira's own answer beside the computed verdicts and, on a consistent
    // world, finds nothing to disagree with: Cloud names Alice by accountId in the schemes' user
    // grants and in role actors, as the audit names her.
    assert_eq!(bulk.projects, without.projects);
    let disagreements: Vec<_> = bulk
        .projects
        .iter()
        .filter(|r| !r.disagreements.is_empty())
        .map(|r| (&r.key, &r.disagreements))
        .collect();
    assert!(disagreements.is_empty(), "{disagreements:?}");
    // Alice holds something through a user grant or a role in this world, so the naming matters.
    assert!(bulk
        .projects
        .iter()
        .flat_map(|r| &r.details)
        .flat_map(|v| &v.via)
        .any(|v| v.starts_with("role ") || v.starts_with("user ")));
    // Two bulk checks (1,200 projects) on top of the admin's other requests.
    assert_eq!(with_check, no_check + 2);
}

/// The admin's client with every role answered without actors: the computed verdicts lose what
/// roles give, while Jira's own answer (the bulk check) still counts them.
struct NoRoleActors(JiraClient);

impl Source for NoRoleActors {
    fn server_info(&self) -> impl Future<Output = Result<ServerInfo, JiraError>> + Send {
        self.0.server_info()
    }
    fn myself(&self) -> impl Future<Output = Result<User, JiraError>> + Send {
        self.0.myself()
    }
    fn projects(&self) -> impl Future<Output = Result<Vec<Project>, JiraError>> + Send {
        self.0.projects()
    }
    fn my_permissions(
        &self,
        project_key: Option<&str>,
        permissions: &[String],
    ) -> impl Future<Output = Result<Permissions, JiraError>> + Send {
        self.0.my_permissions(project_key, permissions)
    }
    fn all_permissions(&self) -> impl Future<Output = Result<Permissions, JiraError>> + Send {
        self.0.all_permissions()
    }
    fn project_permission_scheme(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<PermissionScheme, JiraError>> + Send {
        self.0.project_permission_scheme(key)
    }
    fn permission_schemes(
        &self,
    ) -> impl Future<Output = Result<Vec<PermissionScheme>, JiraError>> + Send {
        self.0.permission_schemes()
    }
    fn permission_scheme(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<PermissionScheme, JiraError>> + Send {
        self.0.permission_scheme(id)
    }
    async fn project_role(&self, key: &str, role_id: &str) -> Result<ProjectRole, JiraError> {
        let mut role = self.0.project_role(key, role_id).await?;
        role.actors.clear();
        Ok(role)
    }
    fn user(&self, username: &str) -> impl Future<Output = Result<User, JiraError>> + Send {
        self.0.user(username)
    }
    fn http_requests(&self) -> Option<u64> {
        self.0.http_requests()
    }
    fn has_bulk_permissions(&self) -> bool {
        self.0.has_bulk_permissions()
    }
    fn bulk_permissions(
        &self,
        account_id: Option<&str>,
        permissions: &[String],
        global: &[String],
        project_ids: &[u64],
    ) -> impl Future<Output = Result<BulkGrants, JiraError>> + Send {
        self.0
            .bulk_permissions(account_id, permissions, global, project_ids)
    }
}

#[tokio::test]
async fn the_cloud_cross_check_reports_an_inconsistency() {
    let sim = cloud_sim(300).await;
    let account = cloud_client(&sim, "alice")
        .myself()
        .await
        .unwrap()
        .account_id
        .expect("Cloud users have an accountId");
    let mut req = AuditRequest::new("admin");
    req.admin = Some(cloud_client(&sim, "admin"));
    req.username = Some(account.clone());
    let clean = run_with(req, |_| {}).await.unwrap();
    assert!(clean.projects.iter().all(|r| r.disagreements.is_empty()));
    // Where Alice holds a required permission only through a role, hiding the role actors makes
    // the computed verdict "missing" while Jira still says "granted": the cross-check says so.
    let by_role: Vec<&String> = clean
        .projects
        .iter()
        .filter(|r| {
            r.details.iter().any(|v| {
                v.granted && !v.via.is_empty() && v.via.iter().all(|g| g.starts_with("role "))
            })
        })
        .map(|r| &r.key)
        .collect();
    assert!(!by_role.is_empty());
    let mut req = AuditRequest::new("admin");
    req.admin = Some(NoRoleActors(cloud_client(&sim, "admin")));
    req.username = Some(account);
    let tampered = run_with(req, |_| {}).await.unwrap();
    let disagreeing: Vec<&String> = tampered
        .projects
        .iter()
        .filter(|r| !r.disagreements.is_empty())
        .map(|r| &r.key)
        .collect();
    assert_eq!(disagreeing, by_role);
    for r in tampered
        .projects
        .iter()
        .filter(|r| !r.disagreements.is_empty())
    {
        assert!(
            r.disagreements
                .iter()
                .all(|d| d.ends_with(": computed missing, Jira says granted")),
            "{:?}",
            r.disagreements
        );
    }
}

#[tokio::test]
async fn the_bulk_check_for_another_account_needs_administer_jira() {
    let sim = cloud_sim(5).await;
    let admin = cloud_client(&sim, "admin");
    let ids: Vec<u64> = admin
        .projects()
        .await
        .unwrap()
        .iter()
        .map(|p| p.id.parse().unwrap())
        .collect();
    let alice_id = cloud_client(&sim, "alice")
        .myself()
        .await
        .unwrap()
        .account_id;
    // An administrator may check another account: Alice holds no ADMINISTER.
    let g: BulkGrants = admin
        .bulk_permissions(
            alice_id.as_deref(),
            &["BROWSE_PROJECTS".to_string()],
            &["ADMINISTER".to_string()],
            &ids,
        )
        .await
        .unwrap();
    assert!(g.global.is_empty(), "{g:?}");
    let own = admin
        .bulk_permissions(None, &[], &["ADMINISTER".to_string()], &[])
        .await
        .unwrap();
    assert!(own.global.contains("ADMINISTER"));
    // Alice asking about the admin's account is refused: 403.
    let alice = cloud_client(&sim, "alice");
    let admin_id = cloud_client(&sim, "admin")
        .myself()
        .await
        .unwrap()
        .account_id;
    let e = alice
        .bulk_permissions(admin_id.as_deref(), &["BROWSE_PROJECTS".into()], &[], &[1])
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(403), "{e}");
    // More than 1,000 projects are refused before a request is made.
    let many: Vec<u64> = (0..1_001).collect();
    assert!(alice
        .bulk_permissions(None, &["BROWSE_PROJECTS".into()], &[], &many)
        .await
        .is_err());
}

/// Keys of `n` projects the client's user sees, read before any limit is set.
async fn visible_keys(c: &JiraClient, n: usize) -> Vec<String> {
    let keys: Vec<String> = c
        .projects()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.key)
        .take(n)
        .collect();
    assert_eq!(
        keys.len(),
        n,
        "the simulator has enough projects for the user"
    );
    keys
}

/// Alice's Data Center client.
fn dc_alice(sim: &Sim) -> JiraClient {
    JiraClient::new(opts(sim.base_url(), basic("alice", "alice"))).unwrap()
}

#[tokio::test]
async fn a_dc_rate_limited_audit_stays_under_the_limit_near_the_floor() {
    let sim = Sim::start(SimConfig {
        projects: 200,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    // serverInfo + myself + the project list + 57 mypermissions = 60 requests.
    let keys = visible_keys(&dc_alice(&sim), 57).await;
    sim.reset_request_counts();
    sim.set_rate_limit(RateLimit::parse("dc:10").unwrap());

    let mut o = opts(sim.base_url(), basic("alice", "alice"));
    o.retry.max_retries = 4;
    let client = JiraClient::new(o).unwrap();
    let mut req = AuditRequest::new("alice");
    req.subject = Some(client.clone());
    req.projects = keys;
    let start = Instant::now();
    let report = run_with(req, |_| {}).await.expect("the audit runs");
    let wall = start.elapsed().as_secs_f64();

    let c = sim.request_counts()["alice"];
    assert_eq!(report.summary.errors, 0, "{:?}", report.notes);
    assert_eq!(c.requests - c.limited, 60, "{c:?}");
    // At most the first 429 plus three more over the whole audit.
    assert!(c.limited <= 4, "{c:?}");
    let floor = 60.0 / 10.0;
    assert!(
        wall <= 1.2 * floor,
        "wall {wall:.2}s against a floor of {floor}s"
    );
    // The bucket (10 at start, 10 more a second) does not allow faster: the pacing is real.
    assert!(wall >= (60.0 - 10.0) / 10.0 - 0.05, "wall {wall:.2}s");
    assert_eq!(
        client.pacing().unwrap().to_string(),
        "paced by Jira's rate limit: 10 requests/s"
    );
}

#[tokio::test]
async fn max_rate_caps_an_audit_by_hand() {
    let sim = Sim::start(SimConfig {
        projects: 60,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let keys = visible_keys(&dc_alice(&sim), 7).await;
    let client = dc_alice(&sim);
    client.set_max_rate(Some(5.0));
    let mut req = AuditRequest::new("alice");
    req.subject = Some(client.clone());
    req.projects = keys;
    let start = Instant::now();
    run_with(req, |_| {}).await.expect("the audit runs");
    // 10 requests at 5/s: the tenth leaves 1.8 s after the first.
    let wall = start.elapsed().as_secs_f64();
    assert!(wall >= 1.75, "wall {wall:.2}s");
    assert_eq!(
        client.pacing().unwrap().to_string(),
        "paced by --max-rate: 5 requests/s"
    );
}

#[tokio::test]
async fn a_cloud_burst_limit_is_learned_from_the_first_429() {
    let sim = cloud_sim(200).await;
    let keys = visible_keys(&cloud_client(&sim, "alice"), 57).await;
    sim.reset_request_counts();
    sim.set_rate_limit(RateLimit::parse("cloud:10").unwrap());
    let client = cloud_client(&sim, "alice");
    let mut req = AuditRequest::new("alice");
    req.subject = Some(PerProject(client.clone()));
    req.projects = keys;
    let report = run_with(req, |_| {}).await.expect("the audit runs");
    assert_eq!(report.summary.errors, 0, "{:?}", report.projects);
    let c = sim.request_counts()["alice"];
    let p = client.pacing().expect("a rate was learned");
    assert!(p.to_string().contains("jira-burst-based"), "{p}");
    assert!(p.per_second < 10.0, "{p}");
    // The first 429 teaches the rate; requests already in flight may meet the same burst.
    assert!(c.limited <= 1 + 8, "{c:?}");
}

/// Requests the simulator counted over every principal since the last reset, read over HTTP
/// from its control API (`GET /__sim/requests`).
async fn sim_requests(sim: &Sim) -> u64 {
    let url = sim.base_url().join("__sim/requests").unwrap();
    let v: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    v["byPrincipal"]
        .as_object()
        .expect("requests by principal")
        .values()
        .map(|c| c["requests"].as_u64().unwrap())
        .sum()
}

/// An admin-assisted request as both front ends build it.
fn admin_request(
    admin: JiraClient,
    subject: Option<JiraClient>,
    username: Option<String>,
) -> AuditRequest {
    let mut req = AuditRequest::new("admin");
    req.admin = Some(admin);
    req.subject = subject;
    req.username = username;
    req
}

/// The report's `requests` is the whole run as the simulator counts it: the audit and the fix
/// planner's reads after it (`audit::run_annotated`, what `jiralink audit` and the TUI run).
async fn assert_the_report_counts_the_whole_run(sim: &Sim, req: impl Fn() -> AuditRequest) {
    use jiralink::audit::fix::FixOptions;
    sim.reset_request_counts();
    let audit_only = jiralink::audit::run(req(), |_| {}).await.unwrap();
    assert_eq!(audit_only.requests, sim_requests(sim).await);
    sim.reset_request_counts();
    let report = jiralink::audit::run_annotated(req(), |_| {}, &FixOptions::default())
        .await
        .unwrap();
    let counted = sim_requests(sim).await;
    assert_eq!(report.requests, counted);
    // The fix planner did read more (there are missing verdicts to plan for).
    assert!(report.summary.missing > 0);
    assert!(
        report.requests > audit_only.requests,
        "{} vs {}",
        report.requests,
        audit_only.requests
    );
}

#[tokio::test]
async fn a_dc_admin_reports_the_requests_the_simulator_counted() {
    let sim = Sim::start(SimConfig {
        projects: 120,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let admin = || JiraClient::new(opts(sim.base_url(), basic("admin", "admin"))).unwrap();
    assert_the_report_counts_the_whole_run(&sim, || {
        admin_request(admin(), None, Some("alice".into()))
    })
    .await;
    assert_the_report_counts_the_whole_run(&sim, || {
        admin_request(admin(), Some(dc_alice(&sim)), None)
    })
    .await;
}

#[tokio::test]
async fn a_cloud_admin_reports_the_requests_the_simulator_counted() {
    let sim = cloud_sim(120).await;
    let account = cloud_client(&sim, "alice")
        .myself()
        .await
        .unwrap()
        .account_id;
    assert_the_report_counts_the_whole_run(&sim, || {
        admin_request(cloud_client(&sim, "admin"), None, account.clone())
    })
    .await;
    assert_the_report_counts_the_whole_run(&sim, || {
        admin_request(
            cloud_client(&sim, "admin"),
            Some(cloud_client(&sim, "alice")),
            None,
        )
    })
    .await;
}

/// Fixes put on the rows a chunk at a time while written, the rows read back from a temporary
/// file, give the same JSON, table and CSV as the whole annotated report (what `jiralink audit`
/// printed before it streamed).
#[tokio::test]
async fn rows_annotated_in_chunks_print_as_the_whole_report() {
    use jiralink::audit::fix::FixOptions;
    use jiralink::audit::render::{csv_header, csv_rows, render_csv, render_table, Table};
    use jiralink::audit::stream::{run_finished, run_finished_spilled};
    let sim = Sim::start(SimConfig {
        projects: 150,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let admin = || JiraClient::new(opts(sim.base_url(), basic("admin", "admin"))).unwrap();
    let fix = FixOptions::default();
    let kept = run_finished(
        admin_request(admin(), None, Some("alice".into())),
        |_| {},
        &fix,
    )
    .await
    .unwrap();
    let whole = kept.to_report().unwrap();
    // The fixes are not on the rows yet, and annotating changes them.
    assert_ne!(kept.report.projects, whole.projects);
    assert!(whole
        .projects
        .iter()
        .flat_map(|r| &r.details)
        .any(|v| v.fix.as_ref().is_some_and(|f| f.plan.is_some())));
    let spilled = run_finished_spilled(
        admin_request(admin(), None, Some("alice".into())),
        |_| {},
        Some(&fix),
    )
    .await
    .unwrap();
    // The spilled report keeps outlines only: no reasons or fixes in memory.
    assert!(spilled.report.projects.iter().all(|r| r.reason.is_none()));
    assert!(whole.projects.iter().any(|r| r.reason.is_some()));
    assert_eq!(spilled.report.summary, whole.summary);
    for finished in [&kept, &spilled] {
        assert_eq!(
            serde_json::to_string_pretty(finished).unwrap(),
            serde_json::to_string_pretty(&whole).unwrap()
        );
        for size in [1, 7, 10_000] {
            let mut rows = Vec::new();
            finished
                .for_each_chunk_of(size, |chunk| {
                    rows.extend_from_slice(chunk);
                    Ok::<_, std::io::Error>(())
                })
                .unwrap();
            assert_eq!(rows, whole.projects, "chunks of {size}");
            let t = Table::new(&finished.report, 100, false, false);
            let mut text = t.header();
            let mut csv = csv_header(&whole.required);
            finished
                .for_each_chunk_of(size, |chunk| {
                    text.push_str(&t.rows(chunk));
                    csv.push_str(&csv_rows(&whole.required, chunk));
                    Ok::<_, std::io::Error>(())
                })
                .unwrap();
            text.push_str(&t.footer(&finished.report));
            assert_eq!(text, render_table(&whole, 100, false, false));
            assert_eq!(csv, render_csv(&whole));
        }
    }
    assert_eq!(spilled.into_report(), whole);
}
