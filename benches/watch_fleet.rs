//! One `sagediag watch` cycle over 1,000 simulated orgs on SQLite, against one `check` of one
//! org in the same run.
//! - The fleet runs in a child process (`sagediag sim --orgs N`), so this process's peak RSS is
//!   the watcher's alone.
//! - The single check is the full `check` (web flow) of one org of the fleet, in a child
//!   process of its own (benches/support), median of 3.
//! - The cycle: every org once (client credentials of the monitoring app, the passive signals,
//!   each cycle recorded in the store), 16 orgs in flight, as `watch --once` runs it.
//!
//! Goals (issue 25): per-org cost ≤ 0.1 × a single check's wall; peak RSS ≤ 128 MiB.
//! Run: `cargo bench --bench watch_fleet` (SAGEDIAG_BENCH_ORGS=N for another size).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::string_slice,
    clippy::format_push_string
)] // test code: Cargo.toml's [lints] are for the program

#[path = "support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

use sagediag::engine::watch::model::{MonitorFlow, Schedule, WatchOrg};
use sagediag::engine::watch::store::{Store, StoreUrl};
use sagediag::sim::fleet::FleetOrgInfo;
use sagediag::watch::cli::{Listed, Source};
use sagediag::watch::{RunOptions, Runner};
use serde_json::Value;

fn main() {
    if support::child_main() {
        return;
    }
    let n: usize = std::env::var("SAGEDIAG_BENCH_ORGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    sagediag::sim::fleet::raise_open_files_limit();
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
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // One check of one org, as a baseline (first one not counted: the child's first start).
        support::measure(&orgs[0].sim, "web", None).await;
        let mut walls = Vec::new();
        for _ in 0..3 {
            let m = support::measure(&orgs[0].sim, "web", None).await;
            walls.push(m.wall_ms);
        }
        let check_wall = support::median(walls);

        let dir = std::env::temp_dir().join(format!("sagediag-watch-bench-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::open(&StoreUrl::Sqlite(dir.join("watch.sqlite3")))
            .await
            .expect("the store opens");
        let mut list = Vec::with_capacity(n);
        let mut secrets = BTreeMap::new();
        for o in &orgs {
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
            store.upsert_org(&org).await.expect("upsert");
            secrets.insert(o.name.clone(), o.monitor_client_secret.clone());
            list.push(Listed {
                org,
                source: Source::Store,
                secret_env: None,
            });
        }
        let runner = Runner::new(store, None, RunOptions::default());
        let rss0 = support::status_kb("VmHWM:").unwrap_or(0);
        let cpu0 = support::cpu_ms();
        let t = Instant::now();
        let (done, _) = runner.run_once(&list, &secrets, |_| {}).await;
        let wall = t.elapsed().as_secs_f64() * 1000.0;
        let cpu = support::cpu_ms() - cpu0;
        let peak = support::status_kb("VmHWM:").unwrap_or(0);
        let failing: Vec<&str> = done
            .iter()
            .filter(|r| r.cycle.state.is_failing() || r.error.is_some())
            .map(|r| r.cycle.org.as_str())
            .collect();
        let per_org = wall / n as f64;
        let ratio = per_org / check_wall;
        println!("watch_fleet: one cycle over {n} simulated orgs (SQLite, 16 in flight)");
        println!("  orgs failing or not recorded: {} {:?}", failing.len(), failing.iter().take(5).collect::<Vec<_>>());
        println!("  wall {:.0} ms, CPU {:.0} ms (this process: watcher + store)", wall, cpu);
        println!(
            "  peak RSS {:.1} MiB (before the cycle {:.1} MiB; goal <= 128 MiB: {})",
            peak as f64 / 1024.0,
            rss0 as f64 / 1024.0,
            if peak <= 128 * 1024 { "met" } else { "NOT met" }
        );
        println!(
            "  per org {:.2} ms wall, {:.2} ms CPU; one `check` (web flow, median of 3) {:.1} ms wall",
            per_org,
            cpu / n as f64,
            check_wall
        );
        println!(
            "  per-org cost / check wall = {:.3} (goal <= 0.1: {})",
            ratio,
            if ratio <= 0.1 { "met" } else { "NOT met" }
        );
        let _ = std::fs::remove_dir_all(&dir);
    });
    let _ = sim.kill();
    let _ = sim.wait();
}
