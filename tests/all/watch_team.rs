//! Team mode (issue 26 §3): two real `sagediag watch --team` processes on one throw-away
//! PostgreSQL (tests/all/pg.rs; skipped with one line without it) over a simulated fleet. The
//! simulator's own request counts per org say each org was checked once per cycle, whichever
//! watcher took it; the broken org's incident opens once and its alert is delivered once for the
//! team; a SIGKILLed watcher's orgs are taken over once its leases expire.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sagediag::engine::watch::model::{MonitorFlow, Schedule, WatchOrg};
use sagediag::engine::watch::store::{Store, StoreUrl};
use sagediag::sim::fleet::{Fleet, FleetSpec, start_fleet};
use serde_json::{Value, json};

const NO_BUS: &str = "unix:path=/nonexistent/sagediag-test-bus";
/// The cron period of the team test's orgs (seconds; cron takes a seconds field, so a test
/// need not wait for `--interval`'s 60-second minimum).
const PERIOD: i64 = 15;
/// `--org-timeout` of the watchers: the lease lasts this plus 60 s (`Runner::lease_ttl`).
const ORG_TIMEOUT: u64 = 10;
const LEASE_SECS: u64 = ORG_TIMEOUT + 60;
const BROKEN_SET: &str = "Sage People Salaries API";

/// A directory removed when dropped.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!(
            "sagediag-team-{}-{tag}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&path).unwrap();
        std::fs::write(path.join("config.toml"), "").unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn watch_org(fleet: &Fleet, i: usize, schedule: Schedule) -> WatchOrg {
    let o = &fleet.orgs[i];
    WatchOrg {
        name: o.name.clone(),
        environment: o.sim.login_url.clone(),
        flow: MonitorFlow::Jwt,
        client_id: o.monitor_client_id.clone(),
        username: Some(o.monitor_username.clone()),
        private_key: Some(o.monitor_key_file.clone().into()),
        integration_user: o.integration_user.clone(),
        integration_app: Some(o.integration_app.clone()),
        probe_as_integration: false,
        schedule,
        ca_certs: Vec::new(),
    }
}

fn command(dir: &TempDir, store: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sagediag"));
    cmd.args(["watch", "--store", store])
        .args(args)
        .stdin(Stdio::null())
        .env_remove("SAGEDIAG_CLIENT_SECRET")
        .env_remove("SAGEDIAG_WEBHOOK_SECRET")
        .env_remove("SAGEDIAG_WATCH_TOKEN")
        .env_remove("SAGEDIAG_WATCH_STORE")
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .env("SAGEDIAG_SECRETS", dir.0.join("secrets.json"))
        .env("SAGEDIAG_CONFIG", dir.0.join("config.toml"));
    cmd
}

/// The monitoring user's requests per org, as the simulator counts them.
async fn monitor_requests(http: &reqwest::Client, fleet: &Fleet) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for o in &fleet.orgs {
        let state: Value = http
            .get(format!("{}/_sim/state", o.sim.login_url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let n = state["requests_by_user"][&o.monitor_username]
            .as_u64()
            .unwrap_or(0);
        out.insert(o.name.clone(), n);
    }
    out
}

fn delta(after: &BTreeMap<String, u64>, before: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    after
        .iter()
        .map(|(k, v)| (k.clone(), v - before.get(k).copied().unwrap_or(0)))
        .collect()
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

/// What one org's first cycle costs in the simulator's count (a token and the reads): one
/// `watch --once` of org `i` alone on its own SQLite store.
async fn one_cycle_cost(http: &reqwest::Client, fleet: &Fleet, i: usize) -> u64 {
    let dir = TempDir::new("ref");
    let url = format!("sqlite:{}", dir.0.join("ref.sqlite3").display());
    let store = Store::open(&StoreUrl::parse(&url).unwrap()).await.unwrap();
    store
        .upsert_org(&watch_org(fleet, i, Schedule::default()))
        .await
        .unwrap();
    drop(store);
    let before = monitor_requests(http, fleet).await;
    let mut cmd = command(&dir, &url, &["--once", "--json"]);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d = delta(&monitor_requests(http, fleet).await, &before);
    let cost = d[&fleet.orgs[i].name];
    assert!(cost > 0);
    for (org, n) in &d {
        if *org != fleet.orgs[i].name {
            assert_eq!(*n, 0, "{org} untouched by the reference run");
        }
    }
    cost
}

/// A loopback webhook receiver: the bodies it was sent.
async fn receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    use axum::body::Bytes;
    let got: Arc<Mutex<Vec<Value>>> = Arc::default();
    let g = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: Bytes| {
            let g = g.clone();
            async move {
                g.lock()
                    .unwrap()
                    .push(serde_json::from_slice(&body).unwrap_or(Value::Null));
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", l.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    (url, got)
}

/// A `sagediag watch --team` process and the cycles it printed (`--json`).
struct Watcher {
    child: Child,
    cycles: Arc<Mutex<Vec<Value>>>,
    stderr: Arc<Mutex<String>>,
}

impl Watcher {
    fn start(dir: &TempDir, store: &str, hook: &str) -> Watcher {
        let timeout = ORG_TIMEOUT.to_string();
        let mut child = command(
            dir,
            store,
            &[
                "--team",
                "--json",
                "--listen",
                "127.0.0.1:0",
                "--open-after",
                "1",
                "--org-timeout",
                &timeout,
                "--webhook",
                hook,
            ],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
        let cycles: Arc<Mutex<Vec<Value>>> = Arc::default();
        let stderr: Arc<Mutex<String>> = Arc::default();
        let (out, err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
        let c = cycles.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    c.lock().unwrap().push(v);
                }
            }
        });
        let e = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let mut e = e.lock().unwrap();
                e.push_str(&line);
                e.push('\n');
            }
        });
        Watcher {
            child,
            cycles,
            stderr,
        }
    }

    /// The orgs this watcher ran in the slot starting at `slot`.
    fn orgs_in(&self, slot: i64) -> BTreeSet<String> {
        self.cycles
            .lock()
            .unwrap()
            .iter()
            .filter(|c| {
                c["started_at"]
                    .as_i64()
                    .is_some_and(|t| t >= slot && t < slot + PERIOD)
            })
            .map(|c| c["org"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    fn kill(&mut self) {
        let _ = self.child.kill(); // SIGKILL
        let _ = self.child.wait();
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Each org's number of recorded cycles.
async fn cycles_per_org(store: &Store, fleet: &Fleet) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for o in &fleet.orgs {
        out.insert(
            o.name.clone(),
            store.history(&o.name, 1000).await.unwrap().len(),
        );
    }
    out
}

/// Waits (up to `limit`) until every org has `n` cycles recorded.
async fn wait_cycles(store: &Store, fleet: &Fleet, n: usize, limit: Duration) {
    let t = Instant::now();
    loop {
        let c = cycles_per_org(store, fleet).await;
        if c.values().all(|v| *v >= n) {
            return;
        }
        assert!(t.elapsed() < limit, "not every org has {n} cycle(s): {c:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_watchers_share_the_fleet_check_each_org_once_and_take_over_a_dead_one() {
    let Some(url) = crate::pg::fresh_url("watch_team").await else {
        return;
    };
    // Forty orgs: the first slot's leases are a contest between the two watchers, long enough
    // that a watcher starting a few milliseconds later still takes some.
    const N: usize = 40;
    let fleet = start_fleet(FleetSpec::healthy(N).unwrap(), Default::default())
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let cost = one_cycle_cost(&http, &fleet, 0).await;
    let broken = fleet.orgs[N - 1].name.clone();
    control(
        &http,
        &fleet.orgs[N - 1].sim.login_url,
        "permission-set",
        json!({"name": BROKEN_SET, "assigned": false}),
    )
    .await;
    let store = Store::open(&StoreUrl::parse(&url).unwrap()).await.unwrap();
    let cron = Schedule::Cron {
        expr: format!("*/{PERIOD} * * * * *"),
    };
    for i in 0..N {
        store
            .upsert_org(&watch_org(&fleet, i, cron.clone()))
            .await
            .unwrap();
    }
    let (hook, alerts) = receiver().await;
    // Start just after a slot begins, so the first slot has the whole period to finish.
    while now().rem_euclid(PERIOD) != 1 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let slot1 = now() - 1;
    let before = monitor_requests(&http, &fleet).await;
    let dir = TempDir::new("w");
    let a = Watcher::start(&dir, &url, &hook);
    let b = Watcher::start(&dir, &url, &hook);

    // (a) The first slot: every org once, whichever watcher took it; both took some.
    wait_cycles(&store, &fleet, 1, Duration::from_secs(PERIOD as u64 - 2)).await;
    let slot1_counts = cycles_per_org(&store, &fleet).await;
    let d1 = delta(&monitor_requests(&http, &fleet).await, &before);
    assert!(
        slot1_counts.values().all(|n| *n == 1),
        "one cycle per org in the first slot: {slot1_counts:?}"
    );
    for (org, n) in &d1 {
        if *org == broken {
            assert!(
                *n > 0 && *n < 2 * cost,
                "{org}: {n} requests (one cycle ≈ {cost})"
            );
        } else {
            assert_eq!(*n, cost, "{org} checked exactly once by the team: {d1:?}");
        }
    }
    let (in_a, in_b) = (a.orgs_in(slot1), b.orgs_in(slot1));
    println!(
        "slot 1: watcher A ran {}, watcher B ran {} of {N} orgs; {cost} monitor requests per org",
        in_a.len(),
        in_b.len()
    );
    assert!(in_a.is_disjoint(&in_b), "{in_a:?} {in_b:?}");
    assert_eq!(in_a.len() + in_b.len(), N);
    assert!(
        !in_a.is_empty() && !in_b.is_empty(),
        "both watchers did some"
    );

    // The second slot: again once each (the token is reused, so a cycle costs the same for
    // every healthy org, and less than the first).
    let slot2 = slot1 + PERIOD;
    let mid = monitor_requests(&http, &fleet).await;
    wait_cycles(&store, &fleet, 2, Duration::from_secs(2 * PERIOD as u64)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let counts = cycles_per_org(&store, &fleet).await;
    assert!(counts.values().all(|n| *n == 2), "{counts:?}");
    let d2 = delta(&monitor_requests(&http, &fleet).await, &mid);
    let healthy: BTreeSet<u64> = d2
        .iter()
        .filter(|(o, _)| **o != broken)
        .map(|(_, n)| *n)
        .collect();
    // Each healthy org once: at most one cycle's cost (less where its watcher reused its token;
    // a lease is given back after each cycle, so an org may change watcher between slots).
    assert!(healthy.iter().all(|n| *n > 0 && *n <= cost), "{d2:?}");
    let (a2, b2) = (a.orgs_in(slot2), b.orgs_in(slot2));
    assert!(
        a2.is_disjoint(&b2) && a2.len() + b2.len() == N,
        "{a2:?} {b2:?}"
    );

    // (b) The broken org: one incident, one alert for the whole team.
    let t = Instant::now();
    while alerts.lock().unwrap().is_empty() && t.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let incidents = store.incidents(&broken, 10).await.unwrap();
    assert_eq!(incidents.len(), 1, "{incidents:#?}");
    {
        let got = alerts.lock().unwrap();
        let opened: Vec<&Value> = got
            .iter()
            .filter(|v| v["type"] == "incident.opened" && v["data"]["org"] == broken.as_str())
            .collect();
        assert_eq!(opened.len(), 1, "one alert for the team: {got:#?}");
        let keys: Vec<String> = got
            .iter()
            .map(|v| format!("{} {} {}", v["type"], v["data"]["org"], v["data"]["code"]))
            .collect();
        let unique: BTreeSet<&String> = keys.iter().collect();
        assert_eq!(
            unique.len(),
            keys.len(),
            "nothing delivered twice: {keys:?}"
        );
    }

    // (c) Kill the watcher with the most orgs between two cycles (every org's cycle of the
    // current slot recorded, the next slot not about to start): it gave its leases back after
    // each cycle, so the other takes all its orgs at their next slot, within a lease period.
    loop {
        let k = ((now() - slot1) / PERIOD + 1) as usize;
        wait_cycles(&store, &fleet, k, Duration::from_secs(2 * PERIOD as u64)).await;
        let into = (now() - slot1).rem_euclid(PERIOD);
        if into < PERIOD - 4 && ((now() - slot1) / PERIOD + 1) as usize == k {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let in_slot = ((now() - slot1) / PERIOD) * PERIOD + slot1;
    let (a2, b2) = (a.orgs_in(in_slot), b.orgs_in(in_slot));
    let mut ws = [a, b];
    let (vi, theirs) = if a2.len() >= b2.len() {
        (0, a2)
    } else {
        (1, b2)
    };
    let killed_at = now();
    let t = Instant::now();
    ws[vi].kill();
    let survivor = &ws[1 - vi];
    let taken = loop {
        let cycles = survivor.cycles.lock().unwrap().clone();
        let after: BTreeSet<String> = cycles
            .iter()
            .filter(|c| c["started_at"].as_i64().is_some_and(|s| s >= killed_at))
            .map(|c| c["org"].as_str().unwrap_or_default().to_string())
            .collect();
        if theirs.is_subset(&after) && after.len() == N {
            break t.elapsed();
        }
        let last = format!(
            "{} of {N} after the kill; waiting for {:?}",
            after.len(),
            theirs.difference(&after).collect::<Vec<_>>()
        );
        assert!(
            t.elapsed() < Duration::from_secs(LEASE_SECS + PERIOD as u64 + 15),
            "the survivor did not take over: {last}\n{}",
            survivor.stderr.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    println!(
        "after SIGKILL of the watcher that held {} orgs, the other checked all {N} orgs in {:.1} s (lease {LEASE_SECS} s, cron period {PERIOD} s)",
        theirs.len(),
        taken.as_secs_f64()
    );
    assert!(
        taken <= Duration::from_secs(LEASE_SECS),
        "a dead watcher's orgs are checked within a lease period: {taken:?}"
    );
    // Still nothing delivered twice.
    assert_eq!(
        alerts
            .lock()
            .unwrap()
            .iter()
            .filter(|v| v["type"] == "incident.opened")
            .count(),
        1
    );
    fleet.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_once_runs_at_the_same_moment_check_each_org_once() {
    let Some(url) = crate::pg::fresh_url("watch_team_once").await else {
        return;
    };
    const N: usize = 12;
    let fleet = start_fleet(FleetSpec::healthy(N).unwrap(), Default::default())
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let cost = one_cycle_cost(&http, &fleet, 0).await;
    let store = Store::open(&StoreUrl::parse(&url).unwrap()).await.unwrap();
    for i in 0..N {
        store
            .upsert_org(&watch_org(&fleet, i, Schedule::default()))
            .await
            .unwrap();
    }
    let before = monitor_requests(&http, &fleet).await;
    let dir = TempDir::new("once");
    let mut cmds: Vec<Command> = (0..2)
        .map(|_| {
            let mut c = command(&dir, &url, &["--team", "--once", "--json"]);
            c.stdout(Stdio::piped()).stderr(Stdio::piped());
            c
        })
        .collect();
    let outs = tokio::task::spawn_blocking(move || {
        let children: Vec<Child> = cmds.iter_mut().map(|c| c.spawn().unwrap()).collect();
        children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    let mut seen: Vec<Vec<String>> = Vec::new();
    for o in &outs {
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        seen.push(
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(|l| {
                    serde_json::from_str::<Value>(l).unwrap()["org"]
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect(),
        );
    }
    let all: Vec<&String> = seen.iter().flatten().collect();
    let unique: BTreeSet<&String> = all.iter().copied().collect();
    assert_eq!(all.len(), N, "each org once between the two runs: {seen:?}");
    assert_eq!(unique.len(), N);
    let d = delta(&monitor_requests(&http, &fleet).await, &before);
    for (org, n) in &d {
        assert_eq!(*n, cost, "{org} checked once: {d:?}");
    }
    let counts = cycles_per_org(&store, &fleet).await;
    assert!(counts.values().all(|n| *n == 1), "{counts:?}");
    println!(
        "two --team --once at once: {} and {} of {N} orgs",
        seen[0].len(),
        seen[1].len()
    );
    fleet.stop().await;
}
