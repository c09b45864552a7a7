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
async fn an_org_gone_after_a_cached_login_is_an_error_not_a_pass() {
    let sim = start_with(jwt_scenario("healthy")).await;
    let org = jwt_org("gone", sim.login(), sim.client_id(), sim.username());
    let ctx = ctx();
    assert!(!run_cycle(&org, &ctx).await.state.is_failing());
    sim.running.stop().await;
    let c = run_cycle(&org, &ctx).await;
    assert_eq!(c.state, CheckState::Error);
    let login = check(&c, "login");
    assert_eq!(login.state, CheckState::Error);
    assert!(login.detail.contains("did not answer"), "{}", login.detail);
}

#[tokio::test]
async fn html_from_a_proxy_is_an_error_with_a_clear_detail() {
    let sim = start_with(jwt_scenario("proxy-html")).await;
    let org = jwt_org("proxied", sim.login(), sim.client_id(), sim.username());
    let c = run_cycle(&org, &ctx()).await;
    assert_eq!(c.state, CheckState::Error, "{:#?}", c.checks);
    let login = check(&c, "login");
    assert!(login.detail.contains("not JSON"), "{}", login.detail);
    assert!(!serde_json::to_string(&c).unwrap().contains("<html"));
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

// ---- The command, end to end, against a simulated fleet over loopback ----

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use base64::Engine;
use sagediag::sim::fleet::{Fleet, FleetSpec, start_fleet};
use serde_json::{Value, json};

const NO_BUS: &str = "unix:path=/nonexistent/sagediag-test-bus";

/// A directory removed when dropped.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Env {
    dir: TempDir,
    store: String,
}

impl Env {
    fn new() -> Env {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("sagediag-watch-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        let dir = TempDir(path);
        let store = format!("sqlite:{}", dir.path().join("watch.sqlite3").display());
        Env { dir, store }
    }

    async fn run(&self, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
        let mut all: Vec<String> = vec!["watch".into(), "--store".into(), self.store.clone()];
        all.extend(args.iter().map(|s| s.to_string()));
        let secrets = self.dir.path().join("secrets.json");
        let config = self.dir.path().join("config.toml");
        if !config.exists() {
            std::fs::write(&config, "").unwrap();
        }
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        tokio::task::spawn_blocking(move || {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_sagediag"));
            cmd.args(&all)
                .stdin(Stdio::null())
                .env_remove("SAGEDIAG_CLIENT_SECRET")
                .env_remove("SAGEDIAG_CLIENT_ID")
                .env_remove("SAGEDIAG_WEBHOOK_SECRET")
                .env_remove("SAGEDIAG_WATCH_STORE")
                .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
                .env("SAGEDIAG_SECRETS", &secrets)
                .env("SAGEDIAG_CONFIG", &config);
            for (k, v) in &env {
                cmd.env(k, v);
            }
            let out = cmd.output().unwrap();
            (
                out.status.code().unwrap_or(-1),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        })
        .await
        .unwrap()
    }

    /// `watch add` for a fleet org: client credentials, or JWT (`jwt`).
    async fn add(&self, fleet: &Fleet, i: usize, jwt: bool) {
        let o = &fleet.orgs[i];
        let mut args = vec![
            "add",
            &o.name,
            "--env",
            // Client credentials go to the My Domain host (as Salesforce requires).
            if jwt {
                &o.sim.login_url
            } else {
                &o.sim.instance_url
            },
            "--client-id",
            &o.monitor_client_id,
            "--integration-user",
            &o.integration_user,
            "--integration-app",
            &o.integration_app,
            "--keep-secrets",
            "file",
        ];
        if jwt {
            args.extend([
                "--flow",
                "jwt",
                "--username",
                &o.monitor_username,
                "--private-key",
                &o.monitor_key_file,
            ]);
        } else {
            args.extend(["--flow", "client-credentials"]);
        }
        let (code, out, err) = self
            .run(
                &args,
                &[("SAGEDIAG_CLIENT_SECRET", &o.monitor_client_secret)],
            )
            .await;
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("Watching"), "{out}");
    }

    async fn once(&self, extra: &[&str], env: &[(&str, &str)]) -> (i32, Vec<Value>, String) {
        let mut args = vec!["--once", "--json"];
        args.extend(extra);
        let (code, out, err) = self.run(&args, env).await;
        let docs = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}\n{err}")))
            .collect();
        (code, docs, err)
    }
}

async fn fleet(n: usize) -> Fleet {
    start_fleet(FleetSpec::healthy(n).unwrap(), Default::default())
        .await
        .unwrap()
}

async fn sim_state(http: &reqwest::Client, login: &str) -> Value {
    http.get(format!("{login}/_sim/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn control(http: &reqwest::Client, login: &str, what: &str, body: Value) {
    let r = http
        .post(format!("{login}/_sim/fleet/{what}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
}

#[tokio::test]
async fn watch_add_and_once_json_over_three_orgs() {
    let fleet = fleet(3).await;
    let env = Env::new();
    env.add(&fleet, 0, false).await;
    env.add(&fleet, 1, true).await;
    env.add(&fleet, 2, false).await;
    // Nothing secret in the store.
    let db = std::fs::read(env.dir.path().join("watch.sqlite3")).unwrap();
    let db = String::from_utf8_lossy(&db);
    assert!(!db.contains(&fleet.orgs[0].monitor_client_secret));
    let (code, list, _) = env.run(&["list"], &[]).await;
    assert_eq!(code, 0);
    for o in &fleet.orgs {
        assert!(list.contains(&o.name), "{list}");
    }
    let (code, docs, err) = env.once(&[], &[]).await;
    assert_eq!(code, 0, "{docs:#?}\n{err}");
    assert_eq!(docs.len(), 3);
    for d in &docs {
        assert_eq!(d["state"], "pass", "{d:#}");
        assert!(d["cycle_id"].as_i64().is_some());
        let text = d.to_string();
        for o in &fleet.orgs {
            assert!(!text.contains(&o.monitor_client_secret));
        }
    }
    // The client-credentials secret was kept in the owner-only file, under the org's name.
    let kept = std::fs::read_to_string(env.dir.path().join("secrets.json")).unwrap();
    assert!(kept.contains("watch:org-001:client-secret"));
    let (code, hist, _) = env.run(&["history", "org-001"], &[]).await;
    assert_eq!(code, 0);
    assert!(hist.contains("PASS"), "{hist}");
    let id = docs.iter().find(|d| d["org"] == "org-002").unwrap()["cycle_id"]
        .as_i64()
        .unwrap()
        .to_string();
    let out = env.dir.path().join("report.json");
    let (code, _, err) = env
        .run(
            &[
                "report",
                "org-002",
                "--cycle",
                &id,
                "--out",
                out.to_str().unwrap(),
            ],
            &[],
        )
        .await;
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(report["watch"]["org"], "org-002");
    assert_eq!(report["flow"], "jwt");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let (code, _, err) = env.run(&["remove", "org-003"], &[]).await;
    assert_eq!(code, 0, "{err}");
    let (_, docs, _) = env.once(&[], &[]).await;
    assert_eq!(docs.len(), 2);
    fleet.stop().await;
}

/// A webhook receiver on loopback that verifies Standard Webhooks signatures.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<(String, Value)>>>,
    bad: Arc<Mutex<u32>>,
    task: tokio::task::JoinHandle<()>,
}

const WHSEC: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

async fn receiver() -> Receiver {
    use axum::body::Bytes;
    use axum::http::{HeaderMap, StatusCode};
    let got: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let bad: Arc<Mutex<u32>> = Arc::default();
    let key = base64::engine::general_purpose::STANDARD
        .decode(WHSEC.trim_start_matches("whsec_"))
        .unwrap();
    let (g, b) = (got.clone(), bad.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let (g, b, key) = (g.clone(), b.clone(), key.clone());
            async move {
                let h = |n: &str| {
                    headers
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string()
                };
                let (id, ts, sig) = (
                    h("webhook-id"),
                    h("webhook-timestamp"),
                    h("webhook-signature"),
                );
                let signed = format!("{id}.{ts}.{}", String::from_utf8_lossy(&body));
                let k = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &key);
                let want = base64::engine::general_purpose::STANDARD
                    .encode(aws_lc_rs::hmac::sign(&k, signed.as_bytes()).as_ref());
                if !sig.split(' ').any(|s| s == format!("v1,{want}")) {
                    *b.lock().unwrap() += 1;
                    return StatusCode::UNAUTHORIZED;
                }
                g.lock()
                    .unwrap()
                    .push((id, serde_json::from_slice(&body).unwrap()));
                StatusCode::NO_CONTENT
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", l.local_addr().unwrap());
    let task = tokio::spawn(async move {
        axum::serve(l, app).await.unwrap();
    });
    Receiver {
        url,
        got,
        bad,
        task,
    }
}

#[tokio::test]
async fn a_removed_permission_set_opens_one_incident_and_restoring_it_resolves_it() {
    incident_scenario(Env::new()).await;
}

#[tokio::test]
async fn the_same_scenario_on_postgresql() {
    let Some(url) = crate::pg::fresh_url("watch_cli_incident").await else {
        return;
    };
    let mut env = Env::new();
    env.store = url;
    incident_scenario(env).await;
}

async fn incident_scenario(env: Env) {
    let fleet = fleet(2).await;
    env.add(&fleet, 0, false).await;
    env.add(&fleet, 1, true).await;
    let rx = receiver().await;
    let http = reqwest::Client::new();
    let login = fleet.orgs[0].sim.login_url.clone();
    let grants_before = sim_state(&http, &login).await["integration_grants"].clone();
    let grants_before_2 =
        sim_state(&http, &fleet.orgs[1].sim.login_url).await["integration_grants"].clone();
    assert!(grants_before.as_array().is_some_and(|g| !g.is_empty()));
    let hook = ["--webhook", rx.url.as_str()];
    let wenv = [("SAGEDIAG_WEBHOOK_SECRET", WHSEC)];
    let cycle = || env.once(&hook, &wenv);
    for _ in 0..2 {
        let (code, docs, err) = cycle().await;
        assert_eq!(code, 0, "{docs:#?} {err}");
    }
    control(
        &http,
        &login,
        "permission-set",
        json!({"name": "Sage People Salaries API", "assigned": false}),
    )
    .await;
    let (code, docs, _) = cycle().await;
    assert_eq!(code, 1, "a failing org: exit 1");
    let d = docs.iter().find(|d| d["org"] == "org-001").unwrap();
    let ps = d["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "permission_sets")
        .unwrap();
    assert_eq!(ps["state"], "fail");
    assert_eq!(ps["codes"], json!(["PERMISSION_SET_MISSING"]));
    assert!(
        rx.got.lock().unwrap().is_empty(),
        "one failing cycle opens nothing"
    );
    let (code, _, _) = cycle().await;
    assert_eq!(code, 1);
    {
        let got = rx.got.lock().unwrap();
        assert_eq!(got.len(), 1, "{got:#?}");
        assert_eq!(got[0].1["type"], "incident.opened");
        assert_eq!(got[0].1["data"]["code"], "PERMISSION_SET_MISSING");
        assert_eq!(got[0].1["data"]["org"], "org-001");
    }
    control(
        &http,
        &login,
        "permission-set",
        json!({"name": "Sage People Salaries API", "assigned": true}),
    )
    .await;
    for _ in 0..2 {
        let (code, _, _) = cycle().await;
        assert_eq!(code, 0);
    }
    let (code, _, _) = cycle().await;
    assert_eq!(code, 0);
    let got = rx.got.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!(got[1].1["type"], "incident.resolved");
    assert_eq!(got[1].1["data"]["code"], "PERMISSION_SET_MISSING");
    let ids: std::collections::HashSet<&String> = got.iter().map(|(id, _)| id).collect();
    assert_eq!(ids.len(), 2, "nothing delivered twice");
    assert_eq!(*rx.bad.lock().unwrap(), 0);
    // The integration's grants are untouched by any number of cycles.
    assert_eq!(
        sim_state(&http, &login).await["integration_grants"],
        grants_before
    );
    assert_eq!(
        sim_state(&http, &fleet.orgs[1].sim.login_url).await["integration_grants"],
        grants_before_2
    );
    let (_, hist, _) = env.run(&["history", "org-001", "--json"], &[]).await;
    let hist: Value = serde_json::from_str(&hist).unwrap();
    assert_eq!(hist["cycles"].as_array().unwrap().len(), 7);
    assert_eq!(hist["incidents"][0]["state"], "resolved");
    rx.task.abort();
    fleet.stop().await;
}

#[tokio::test]
async fn a_dead_org_does_not_delay_the_others_and_fails_the_exit_code() {
    let fleet = fleet(2).await;
    let env = Env::new();
    env.add(&fleet, 0, false).await;
    env.add(&fleet, 1, false).await;
    // A hung org: accepts and never answers.
    let hung = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = hung.local_addr().unwrap();
    let keep = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = hung.accept().await {
            held.push(s);
        }
    });
    let url = format!("http://{addr}");
    let (code, _, err) = env
        .run(
            &[
                "add",
                "hung",
                "--env",
                &url,
                "--client-id",
                "x",
                "--integration-user",
                "u@x",
                "--flow",
                "client-credentials",
                "--keep-secrets",
                "file",
            ],
            &[("SAGEDIAG_CLIENT_SECRET", "s")],
        )
        .await;
    assert_eq!(code, 0, "{err}");
    let t = Instant::now();
    let (code, docs, err) = env
        .once(&["--org-timeout", "3", "--timeout", "30"], &[])
        .await;
    let took = t.elapsed();
    assert_eq!(code, 1, "{err}");
    assert_eq!(docs.len(), 3);
    let by: BTreeMap<String, &Value> = docs
        .iter()
        .map(|d| (d["org"].as_str().unwrap().to_string(), d))
        .collect();
    assert_eq!(by["hung"]["state"], "error");
    assert_eq!(by["org-001"]["state"], "pass");
    assert_eq!(by["org-002"]["state"], "pass");
    assert!(by["org-001"]["duration_ms"].as_u64().unwrap() < 3000);
    assert!(took < Duration::from_secs(10), "{took:?}");
    keep.abort();
    fleet.stop().await;
}

#[tokio::test]
async fn usage_errors_exit_2_with_a_message() {
    let env = Env::new();
    let (code, _, err) = env.run(&["--once"], &[]).await;
    assert_eq!(code, 2);
    assert!(err.contains("watch add"), "{err}");
    let (code, _, err) = env
        .run(
            &[
                "add",
                "bad name!",
                "--client-id",
                "x",
                "--integration-user",
                "u",
            ],
            &[],
        )
        .await;
    assert_eq!(code, 2);
    assert!(err.contains("not an org name"), "{err}");
    let (code, _, err) = env
        .run(
            &[
                "add",
                "a",
                "--client-id",
                "x",
                "--integration-user",
                "u",
                "--flow",
                "client-credentials",
            ],
            &[],
        )
        .await;
    assert_eq!(code, 2);
    assert!(err.contains("SAGEDIAG_CLIENT_SECRET"), "{err}");
}

#[tokio::test]
async fn watch_runs_the_schedule_serves_metrics_and_stops_on_sigterm() {
    use std::io::{BufRead, BufReader};
    let fleet = fleet(1).await;
    let env = Env::new();
    env.add(&fleet, 0, true).await;
    let secrets = env.dir.path().join("secrets.json");
    let config = env.dir.path().join("config.toml");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sagediag"))
        .args([
            "watch",
            "--store",
            &env.store,
            "--listen",
            "127.0.0.1:0",
            "--json",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .env("SAGEDIAG_SECRETS", &secrets)
        .env("SAGEDIAG_CONFIG", &config)
        .env_remove("SAGEDIAG_WATCH_TOKEN")
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let addr = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stderr).lines();
        let line = lines.next().unwrap().unwrap();
        let at = line.split("http://").nth(1).unwrap();
        let addr = at.split('/').next().unwrap().to_string();
        // Keep reading (the watcher writes on until it stops).
        std::thread::spawn(move || for _ in lines {});
        addr
    })
    .await
    .unwrap();
    // The first cycle runs at once (its slot is due), one JSON line.
    let first = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().unwrap().unwrap();
        std::thread::spawn(move || for _ in lines {});
        first
    })
    .await
    .unwrap();
    let doc: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(doc["org"], "org-001");
    assert_eq!(doc["state"], "pass", "{doc:#}");
    let http = reqwest::Client::new();
    let health = http
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .unwrap();
    assert!(health.status().is_success());
    let metrics = http
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("sagediag_probe_success"), "{metrics}");
    let pid = child.id().to_string();
    let t = Instant::now();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success(), "{status:?}");
    assert!(t.elapsed() < Duration::from_secs(10));
    fleet.stop().await;
}

#[tokio::test]
async fn config_file_orgs_are_watched_and_win_on_a_name_clash() {
    let fleet = fleet(2).await;
    let env = Env::new();
    // The store's org-001 points at a dead port; the file's org-001 (the real one) wins.
    let (code, _, err) = env
        .run(
            &[
                "add",
                "org-001",
                "--env",
                "http://127.0.0.1:9",
                "--client-id",
                "x",
                "--integration-user",
                "u@x",
                "--flow",
                "client-credentials",
                "--keep-secrets",
                "file",
            ],
            &[("SAGEDIAG_CLIENT_SECRET", "s")],
        )
        .await;
    assert_eq!(code, 0, "{err}");
    let mut toml = String::new();
    for o in &fleet.orgs {
        toml += &format!(
            "[[watch.org]]\nname = \"{}\"\nenvironment = \"{}\"\nflow = \"client-credentials\"\nclient_id = \"{}\"\nclient_secret_env = \"MONITOR_SECRET_{}\"\nintegration_user = \"{}\"\ninterval = \"15m\"\n\n",
            o.name,
            o.sim.instance_url,
            o.monitor_client_id,
            o.name.replace('-', "_"),
            o.integration_user
        );
    }
    std::fs::write(env.dir.path().join("config.toml"), toml).unwrap();
    let (code, list, err) = env.run(&["list"], &[]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(list.matches("(config file)").count(), 2, "{list}");
    assert!(!list.contains("127.0.0.1:9 "), "{list}");
    let vars: Vec<(String, String)> = fleet
        .orgs
        .iter()
        .map(|o| {
            (
                format!("MONITOR_SECRET_{}", o.name.replace('-', "_")),
                o.monitor_client_secret.clone(),
            )
        })
        .collect();
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (code, docs, err) = env.once(&[], &vars).await;
    assert_eq!(code, 0, "{docs:#?}{err}");
    assert_eq!(docs.len(), 2);
    // A bad entry is refused with the file, the line and what is wrong.
    std::fs::write(
        env.dir.path().join("config.toml"),
        "[[watch.org]]\nname = \"x\"\nclient_id = \"k\"\nintegration_user = \"u\"\ninterval = \"5s\"\n",
    )
    .unwrap();
    let (code, _, err) = env.run(&["list"], &[]).await;
    assert_eq!(code, 2);
    assert!(
        err.contains("config.toml:2") && err.contains("at least 60"),
        "{err}"
    );
    fleet.stop().await;
}

#[tokio::test]
async fn new_login_failures_count_once_past_the_high_water_mark_and_a_freeze_fails_the_user() {
    let fleet = fleet(1).await;
    let o = &fleet.orgs[0];
    let org = WatchOrg {
        name: o.name.clone(),
        environment: o.sim.instance_url.clone(),
        flow: MonitorFlow::ClientCredentials,
        client_id: o.monitor_client_id.clone(),
        username: None,
        private_key: None,
        integration_user: o.integration_user.clone(),
        integration_app: Some(o.integration_app.clone()),
        probe_as_integration: false,
        schedule: Schedule::default(),
        ca_certs: Vec::new(),
    };
    let mut cx = ctx();
    cx.secret = Some(o.monitor_client_secret.clone());
    let http = reqwest::Client::new();
    let first = run_cycle(&org, &cx).await;
    assert!(!first.state.is_failing(), "{:#?}", first.checks);
    cx.login_high_water = first.signals.login_high_water.clone();
    control(
        &http,
        &o.sim.login_url,
        "login-failure",
        json!({"status": "Failed: Not approved for access", "count": 3}),
    )
    .await;
    let second = run_cycle(&org, &cx).await;
    assert_eq!(
        second
            .signals
            .login_failures
            .get("Failed: Not approved for access"),
        Some(&3),
        "{:#?}",
        second.signals
    );
    assert!(!check(&second, "login_history").codes.is_empty());
    assert_ne!(second.signals.login_high_water, cx.login_high_water);
    cx.login_high_water = second.signals.login_high_water.clone();
    cx.previous = Some(second.signals.clone());
    let third = run_cycle(&org, &cx).await;
    assert!(
        third.signals.login_failures.is_empty(),
        "{:#?}",
        third.signals
    );
    assert!(check(&third, "login_history").codes.is_empty());
    control(&http, &o.sim.login_url, "freeze", json!({"frozen": true})).await;
    let frozen = run_cycle(&org, &cx).await;
    let user = check(&frozen, "user");
    assert_eq!(user.state, CheckState::Fail);
    assert_eq!(user.codes, vec!["USER_FROZEN"]);
    assert_eq!(frozen.signals.user_frozen, Some(true));
    fleet.stop().await;
}
