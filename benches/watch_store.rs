//! The watch store's cost per org (issue 25 §2, issue 26 §4): `record_cycle` (one transaction:
//! the cycle, its ten checks, its findings, the incident state machine, the deliveries) for
//! 1,000 orgs, then `status()` of the whole fleet, on SQLite and, where PostgreSQL is installed,
//! on a throw-away PostgreSQL cluster on loopback (tests/all/pg.rs). A tenth of the orgs fail
//! each round, so incidents open and deliveries are queued.
//!
//! Run: `cargo bench --bench watch_store` (or `--profile dev` for a quick look; the bundled
//! SQLite is then unoptimised C and the figures are higher).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::string_slice,
    clippy::format_push_string
)] // test code: Cargo.toml's [lints] are for the program

#[allow(dead_code)]
#[path = "../tests/all/pg.rs"]
mod pg;

use std::time::Instant;

use sagediag::engine::watch::store::{Store, StoreUrl};
use sagediag::engine::watch::{
    CheckResult, CheckState, IncidentPolicy, OrgCycle, Signals, WatchFinding,
};

const ORGS: usize = 1_000;
const ROUNDS: i64 = 3;

fn cycle(org: &str, t: i64, failing: bool) -> OrgCycle {
    let checks = (0..10)
        .map(|i| CheckResult {
            check: format!("check-{i}"),
            state: if failing && i == 3 {
                CheckState::Fail
            } else {
                CheckState::Pass
            },
            latency_ms: 30 + i,
            codes: if failing && i == 3 {
                vec!["PERMSET_MISSING".into()]
            } else {
                vec![]
            },
            detail: "a line of detail of about the usual length for a check".into(),
        })
        .collect();
    let findings = if failing {
        vec![WatchFinding {
            code: "PERMSET_MISSING".into(),
            severity: "error".into(),
            title: "A Sage People permission set is missing".into(),
            fix: vec!["Assign it again in Setup.".into()],
            forecast: false,
        }]
    } else {
        vec![]
    };
    OrgCycle {
        org: org.into(),
        started_at: t,
        duration_ms: 300,
        state: if failing {
            CheckState::Fail
        } else {
            CheckState::Pass
        },
        checks,
        findings,
        signals: Signals {
            grants_used: Some(2),
            api_requests_remaining: Some(14_000),
            api_requests_max: Some(15_000),
            ..Default::default()
        },
        report: serde_json::json!({"summary": {"pass": 9, "fail": 1}, "steps": []}),
        watcher: "bench:1".into(),
    }
}

async fn run(name: &str, store: Store) {
    let targets = vec!["slack".to_string(), "webhook-1".to_string()];
    let t0 = 1_800_000_000;
    let mut total = std::time::Duration::ZERO;
    for round in 0..ROUNDS {
        let start = Instant::now();
        for i in 0..ORGS {
            let org = format!("org-{i:04}");
            store
                .record_cycle(
                    &cycle(&org, t0 + round * 900, i % 10 == 0),
                    IncidentPolicy::default(),
                    &targets,
                )
                .await
                .unwrap();
        }
        total += start.elapsed();
    }
    let per = total.as_secs_f64() * 1e3 / (ORGS as f64 * ROUNDS as f64);
    let start = Instant::now();
    let status = store.status().await.unwrap();
    let status_ms = start.elapsed().as_secs_f64() * 1e3;
    let start = Instant::now();
    let due = store.due_deliveries(t0 + 10_000, 10_000).await.unwrap();
    let due_ms = start.elapsed().as_secs_f64() * 1e3;
    assert_eq!(status.len(), ORGS);
    assert_eq!(due.len(), ORGS / 10 * targets.len());
    println!(
        "{name:<10} record_cycle {per:.2} ms per org (one after another, {ORGS} orgs × {ROUNDS} \
         rounds); status() of {ORGS} orgs {status_ms:.0} ms; due_deliveries ({}) {due_ms:.0} ms",
        due.len()
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = std::env::temp_dir().join(format!("sagediag-bench-store-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = Store::open(&StoreUrl::Sqlite(dir.join("watch.sqlite3")))
            .await
            .unwrap();
        run("SQLite", store).await;
        let bytes: u64 = ["watch.sqlite3", "watch.sqlite3-wal"]
            .iter()
            .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
            .map(|m| m.len())
            .sum();
        println!(
            "SQLite     file {:.1} MiB for {} cycles: {:.1} KiB per cycle (a report of ~60 bytes)",
            bytes as f64 / 1048576.0,
            ORGS as i64 * ROUNDS,
            bytes as f64 / 1024.0 / (ORGS as f64 * ROUNDS as f64)
        );
        let _ = std::fs::remove_dir_all(&dir);
        match pg::fresh_url("bench").await {
            Some(url) => {
                let store = Store::open(&StoreUrl::parse(&url).unwrap()).await.unwrap();
                run("PostgreSQL", store).await;
            }
            None => println!("PostgreSQL: skipped"),
        }
    });
}
