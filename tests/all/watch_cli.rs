//! `sagediag watch`: one org's cycle against simulated orgs over loopback, a dead org (refused,
//! hung) costing no more than its time-out, and the command end to end.

use std::time::{Duration, Instant};

use sagediag::engine::watch::cycle::{CycleContext, run_cycle};
use sagediag::engine::watch::{CheckState, MonitorFlow, Schedule, WatchOrg};
use sagediag::sim::Scenario;

use crate::common::{DEMO_KEY, start_with};

fn jwt_org(name: &str, login: &str, client_id: &str, user: &str) -> WatchOrg {
    WatchOrg {
        name: name.into(),
        environment: login.into(),
        flow: MonitorFlow::Jwt,
        client_id: client_id.into(),
        username: Some(user.into()),
        private_key: None,
        integration_user: user.into(),
        integration_app: None,
        probe_as_integration: false,
        schedule: Schedule::default(),
        ca_certs: Vec::new(),
    }
}

fn ctx() -> CycleContext {
    let mut c = CycleContext::new("test:1");
    c.private_key_pem = Some(DEMO_KEY.into());
    c.http_timeout = Duration::from_secs(3);
    c.org_timeout = Duration::from_secs(5);
    c
}

fn jwt_scenario(name: &str) -> Scenario {
    let mut sc = Scenario::load(name).unwrap();
    sc.app.permitted_users = sagediag::sim::scenario::PermittedUsers::AdminApproved;
    sc
}

fn check<'a>(
    c: &'a sagediag::engine::watch::OrgCycle,
    name: &str,
) -> &'a sagediag::engine::watch::CheckResult {
    c.checks
        .iter()
        .find(|x| x.check == name)
        .unwrap_or_else(|| panic!("no check {name}: {:#?}", c.checks))
}

#[tokio::test]
async fn a_cycle_reads_the_passive_signals_and_reuses_its_token() {
    let sim = start_with(jwt_scenario("healthy")).await;
    let org = jwt_org("acme", sim.login(), sim.client_id(), sim.username());
    let ctx = ctx();
    let c = run_cycle(&org, &ctx).await;
    assert_eq!(c.org, "acme");
    for name in [
        "login",
        "user",
        "login_history",
        "grants",
        "permission_sets",
        "limits",
        "package",
    ] {
        let x = check(&c, name);
        assert!(
            matches!(x.state, CheckState::Pass | CheckState::Warn),
            "{name}: {x:?}"
        );
    }
    assert_eq!(c.signals.permission_sets.len(), 7, "{:?}", c.signals);
    assert!(c.signals.api_requests_max.is_some());
    assert_eq!(c.signals.user_frozen, Some(false));
    assert_eq!(c.report["watch"]["org"], "acme");
    assert!(
        c.report["requests"]
            .as_array()
            .is_some_and(|r| !r.is_empty())
    );
    let text = serde_json::to_string(&c).unwrap();
    assert!(!text.contains("BEGIN PRIVATE KEY"));
    assert_eq!(ctx.tokens.len(), 1);
    let logins = |s: &str| s.matches("/services/oauth2/token").count();
    assert_eq!(logins(&c.report["requests"].to_string()), 1);
    // The second cycle reuses the cached token: no new login.
    let c2 = run_cycle(&org, &ctx).await;
    assert_eq!(
        logins(&c2.report["requests"].to_string()),
        0,
        "{}",
        c2.report["requests"]
    );
    assert!(check(&c2, "login").detail.contains("cached"));
}

#[tokio::test]
async fn a_frozen_user_fails_the_cycle_with_the_catalogs_code() {
    let sim = start_with(jwt_scenario("user-frozen")).await;
    let org = jwt_org("frozen", sim.login(), sim.client_id(), sim.username());
    let c = run_cycle(&org, &ctx()).await;
    // The frozen integration user cannot sign in as the monitor either: either way the cycle
    // fails and says why.
    assert!(c.state.is_failing(), "{:#?}", c.checks);
}

#[tokio::test]
async fn a_refused_login_is_an_error_check_with_a_clear_detail() {
    let sim = start_with(jwt_scenario("healthy")).await;
    let mut org = jwt_org("bad", sim.login(), "3MVG9unknown", sim.username());
    org.flow = MonitorFlow::ClientCredentials;
    let c = run_cycle(&org, &ctx()).await;
    assert_eq!(c.state, CheckState::Error);
    let login = check(&c, "login");
    assert_eq!(login.codes, vec!["WATCH_LOGIN_FAILED"]);
    assert!(login.detail.contains("consumer secret"), "{}", login.detail);
    org.client_id = sim.client_id().into();
    let mut cx = ctx();
    cx.secret = Some("wrong-secret".into());
    let c = run_cycle(&org, &cx).await;
    let login = check(&c, "login");
    assert_eq!(c.state, CheckState::Error);
    assert!(login.detail.contains("refused"), "{}", login.detail);
    assert!(!serde_json::to_string(&c).unwrap().contains("wrong-secret"));
}

#[tokio::test]
async fn a_dead_org_costs_no_more_than_its_time_out() {
    // Refused: a port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let org = jwt_org("refused", &format!("http://127.0.0.1:{port}"), "x", "u@x");
    let t = Instant::now();
    let c = run_cycle(&org, &ctx()).await;
    assert_eq!(c.state, CheckState::Error);
    assert!(t.elapsed() < Duration::from_secs(4));
    assert!(
        check(&c, "login").detail.contains("no answer"),
        "{:?}",
        c.checks
    );
    // Hung: accepts and never answers.
    let hung = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = hung.local_addr().unwrap();
    let keep = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = hung.accept().await {
            held.push(s);
        }
    });
    let org = jwt_org("hung", &format!("http://{addr}"), "x", "u@x");
    let mut cx = ctx();
    cx.http_timeout = Duration::from_secs(30);
    cx.org_timeout = Duration::from_secs(2);
    let t = Instant::now();
    let c = run_cycle(&org, &cx).await;
    let took = t.elapsed();
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(3),
        "{took:?}"
    );
    assert_eq!(c.state, CheckState::Error);
    assert!(c.checks[0].detail.contains("within 2 s"), "{:?}", c.checks);
    keep.abort();
}
