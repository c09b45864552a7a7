//! Team mode at scale (issue 26 §4): two `sagediag watch --team` processes on one PostgreSQL
//! over the 1,000-org simulated fleet.
//! - The fleet is a child process (`sagediag sim --orgs N`); PostgreSQL is the tests'
//!   throw-away cluster (tests/all/pg.rs: loopback, fsync off) or `SAGEDIAG_BENCH_PG`
//!   (a `postgres://` URL of an empty database). Without PostgreSQL it prints one line and stops.
//! - Every org is watched with JWT bearer on a cron of `SAGEDIAG_BENCH_PERIOD` seconds (default
//!   60); the watchers run with `--org-timeout 30` (a lease of 90 s).
//! - Slots 1 and 2: wall until every org is recorded, each watcher's CPU and peak RSS, orgs per
//!   watcher, cycles per org and slot (the store) and the monitoring user's requests per org
//!   (the simulator's own counts: an org checked twice would cost twice).
//! - Then the watcher with more orgs is SIGKILLed: time until the other has checked every org.
//!
//! Run: `cargo bench --profile dev --bench watch_team` (SAGEDIAG_BENCH_ORGS=N for another size).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::string_slice,
    clippy::format_push_string
)] // test code: Cargo.toml's [lints] are for the program

#[path = "../tests/all/pg.rs"]
#[allow(dead_code)]
mod pg;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sagediag::engine::watch::model::{MonitorFlow, Schedule, WatchOrg};
use sagediag::engine::watch::store::{Store, StoreUrl};
use sagediag::sim::fleet::FleetOrgInfo;
use serde_json::Value;

const ORG_TIMEOUT: u64 = 30;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// CPU seconds (user + system) and peak RSS (MiB) of a process, from /proc.
fn usage(pid: u32) -> (f64, f64) {
    let ticks: f64 = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0);
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command's closing parenthesis: utime is the 12th, stime the 13th.
    let rest = stat.rsplit(')').next().unwrap_or_default();
    let f: Vec<&str> = rest.split_whitespace().collect();
    let cpu = f.get(11).and_then(|u| u.parse::<f64>().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let hwm = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|k| k.parse::<f64>().ok())
        .unwrap_or(0.0);
    (cpu / ticks, hwm / 1024.0)
}

async fn monitor_requests(http: &reqwest::Client, orgs: &[FleetOrgInfo]) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for o in orgs {
        let n = match http
            .get(format!("{}/_sim/state", o.sim.login_url))
            .send()
            .await
        {
            Ok(r) => r.json::<Value>().await.unwrap_or_default()["requests_by_user"]
                [&o.monitor_username]
                .as_u64()
                .unwrap_or(0),
            Err(_) => 0,
        };
        out.insert(o.name.clone(), n);
    }
    out
}

/// (org, watcher, started_at) of every recorded cycle.
async fn cycles(db: &tokio_postgres::Client) -> Vec<(String, String, i64)> {
    db.query("SELECT org, watcher, started_at FROM cycles", &[])
        .await
        .expect("read the cycles")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

fn per_org_in(all: &[(String, String, i64)], from: i64, to: i64) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for (org, _, t) in all {
        if *t >= from && *t < to {
            *m.entry(org.clone()).or_insert(0) += 1;
        }
    }
    m
}

fn per_watcher_in(all: &[(String, String, i64)], from: i64, to: i64) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for (_, w, t) in all {
        if *t >= from && *t < to {
            *m.entry(w.clone()).or_insert(0) += 1;
        }
    }
    m
}

fn start_watcher(url: &str, dir: &std::path::Path) -> Child {
    let timeout = ORG_TIMEOUT.to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sagediag"))
        .args([
            "watch",
            "--team",
            "--store",
            url,
            "--listen",
            "127.0.0.1:0",
            "--org-timeout",
            &timeout,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .env_remove("SAGEDIAG_WATCH_STORE")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/sagediag-bench-bus",
        )
        .env("SAGEDIAG_SECRETS", dir.join("secrets.json"))
        .env("SAGEDIAG_CONFIG", dir.join("config.toml"))
        .spawn()
        .expect("sagediag watch starts");
    let err = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for l in BufReader::new(err).lines().map_while(Result::ok) {
            if !l.contains("watching (store") {
                eprintln!("watcher: {l}");
            }
        }
    });
    child
}

fn main() {
    let n = env_num("SAGEDIAG_BENCH_ORGS", 1000) as usize;
    let period = env_num("SAGEDIAG_BENCH_PERIOD", 60).max(5) as i64;
    sagediag::sim::fleet::raise_open_files_limit();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async move {
        let url = match std::env::var("SAGEDIAG_BENCH_PG") {
            Ok(u) => u,
            Err(_) => match pg::fresh_url("watch_team_bench").await {
                Some(u) => u,
                None => return,
            },
        };
        let mut sim = Command::new(env!("CARGO_BIN_EXE_sagediag"))
            .args(["sim", "--orgs", &n.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("sagediag sim starts");
        let mut line = String::new();
        BufReader::new(sim.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the fleet's JSON line");
        let doc: Value = serde_json::from_str(&line).expect("one JSON line");
        let orgs: Vec<FleetOrgInfo> =
            serde_json::from_value(doc["orgs"].clone()).expect("the fleet's orgs");
        assert_eq!(orgs.len(), n);

        let store = Store::open(&StoreUrl::parse(&url).expect("the URL"))
            .await
            .expect("the store opens");
        // Seconds-first cron; a period that does not divide a minute becomes a minute.
        let period = if period < 60 && 60 % period == 0 {
            period
        } else {
            60
        };
        let cron = Schedule::Cron {
            expr: if period == 60 {
                "0 * * * * *".to_string()
            } else {
                format!("*/{period} * * * * *")
            },
        };
        sagediag::engine::watch::schedule::slots("x", &cron, now()).expect("a valid cron");
        for o in &orgs {
            store
                .upsert_org(&WatchOrg {
                    name: o.name.clone(),
                    environment: o.sim.login_url.clone(),
                    flow: MonitorFlow::Jwt,
                    client_id: o.monitor_client_id.clone(),
                    username: Some(o.monitor_username.clone()),
                    private_key: Some(o.monitor_key_file.clone().into()),
                    integration_user: o.integration_user.clone(),
                    integration_app: Some(o.integration_app.clone()),
                    probe_as_integration: false,
                    schedule: cron.clone(),
                    ca_certs: Vec::new(),
                })
                .await
                .expect("upsert");
        }
        let (db, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .expect("connect");
        tokio::spawn(conn);
        let dir = std::env::temp_dir().join(format!("sagediag-team-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temp dir");
        std::fs::write(dir.join("config.toml"), "").expect("config");
        let http = reqwest::Client::new();

        // Start one second into a slot.
        while now().rem_euclid(period) != 1 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let slot1 = now() - 1;
        let before = monitor_requests(&http, &orgs).await;
        let started = Instant::now();
        let mut w = [start_watcher(&url, &dir), start_watcher(&url, &dir)];
        println!(
            "watch_team: two `watch --team` processes, one PostgreSQL, {n} simulated orgs (JWT), cron every {period} s"
        );
        let mut slot_requests = Vec::new();
        let mut last = before.clone();
        for (k, slot) in [slot1, slot1 + period].into_iter().enumerate() {
            let t = Instant::now();
            let done_at = loop {
                let all = cycles(&db).await;
                let per = per_org_in(&all, slot, slot + period);
                if per.len() == n {
                    break if k == 0 { started.elapsed() } else { t.elapsed() };
                }
                if now() >= slot + period + 5 {
                    println!(
                        "  slot {}: only {} of {n} orgs recorded within the period (the machine is too slow for this size)",
                        k + 1,
                        per.len()
                    );
                    break t.elapsed();
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            };
            let all = cycles(&db).await;
            let per = per_org_in(&all, slot, slot + period);
            let twice = per.values().filter(|c| **c > 1).count();
            let by_watcher = per_watcher_in(&all, slot, slot + period);
            let usage_now: Vec<(f64, f64)> = w.iter().map(|c| usage(c.id())).collect();
            println!(
                "  slot {}: {} orgs recorded in {:.1} s; checked twice in the slot: {twice}; per watcher {:?}",
                k + 1,
                per.len(),
                done_at.as_secs_f64(),
                by_watcher.values().collect::<Vec<_>>()
            );
            println!(
                "    watcher CPU so far {:.1} s + {:.1} s, peak RSS {:.1} / {:.1} MiB",
                usage_now[0].0, usage_now[1].0, usage_now[0].1, usage_now[1].1
            );
            // Wait for the slot's end, then count the simulator's requests.
            while now() < slot + period - 2 {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            let reqs = monitor_requests(&http, &orgs).await;
            let d: Vec<u64> = orgs
                .iter()
                .map(|o| reqs[&o.name] - last.get(&o.name).copied().unwrap_or(0))
                .collect();
            let mut hist: BTreeMap<u64, usize> = BTreeMap::new();
            for x in &d {
                *hist.entry(*x).or_insert(0) += 1;
            }
            println!("    monitoring user's requests per org in the slot (requests: orgs): {hist:?}");
            slot_requests.push(hist);
            last = reqs;
        }
        let cpu: f64 = w.iter().map(|c| usage(c.id()).0).sum();
        println!(
            "  per-org cost over the two slots: {:.2} ms CPU (both watchers' CPU / {} org-cycles)",
            cpu * 1000.0 / (2 * n) as f64,
            2 * n
        );

        // Kill the watcher with more orgs; time until the other has checked them all.
        let all = cycles(&db).await;
        let by_watcher = per_watcher_in(&all, slot1 + period, slot1 + 2 * period);
        let mut names: Vec<(&String, &usize)> = by_watcher.iter().collect();
        names.sort_by_key(|(_, c)| std::cmp::Reverse(**c));
        let victim_name = names.first().map(|(n, _)| (*n).clone()).unwrap_or_default();
        let vi = w
            .iter()
            .position(|c| victim_name.ends_with(&format!(":{}", c.id())))
            .unwrap_or(0);
        let theirs: BTreeSet<String> = all
            .iter()
            .filter(|(_, wn, _)| *wn == victim_name)
            .map(|(o, _, _)| o.clone())
            .collect();
        let killed_at = now();
        let t = Instant::now();
        let _ = w[vi].kill();
        let _ = w[vi].wait();
        let limit = Duration::from_secs(ORG_TIMEOUT + 60 + 3 * period as u64);
        loop {
            let all = cycles(&db).await;
            let after: BTreeSet<&String> = all
                .iter()
                .filter(|(_, wn, s)| *s >= killed_at && *wn != victim_name)
                .map(|(o, _, _)| o)
                .collect();
            if after.len() == n {
                println!(
                    "  SIGKILL of the watcher holding {} orgs: the other checked all {n} orgs {:.1} s later (lease {} s, period {period} s)",
                    theirs.len(),
                    t.elapsed().as_secs_f64(),
                    ORG_TIMEOUT + 60
                );
                break;
            }
            if t.elapsed() > limit {
                println!(
                    "  SIGKILL: after {:.0} s the other watcher had checked {} of {n} orgs",
                    t.elapsed().as_secs_f64(),
                    after.len()
                );
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        for c in &mut w {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = sim.kill();
        let _ = sim.wait();
        let _ = std::fs::remove_dir_all(&dir);
    });
}
