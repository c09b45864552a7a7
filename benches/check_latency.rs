//! The critical path and the per-check cost, each check in a child process of its own:
//! - a full web-flow check against a simulated org adding 200 ms to every request: wall time
//!   against the dependent round trips ("levels") and the sum of the requests' latencies;
//! - web flow against password flow at 0 ms: wall and CPU time per check (a check is a process,
//!   so one-off costs such as seeding a random generator count).
//!
//! Run: `cargo bench --bench check_latency`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::string_slice,
    clippy::format_push_string
)] // test code: Cargo.toml's [lints] are for the program

#[path = "support/mod.rs"]
mod support;

use sagediag::sim::{self, Scenario};

fn main() {
    if support::child_main() {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut sc = Scenario::load("healthy").unwrap();
        sc.faults.latency_ms = 200;
        sc.faults.jitter_ms = 0;
        let running = sim::start(sc, "127.0.0.1:0".parse().unwrap(), false).await.unwrap();
        println!("check_latency: full `check` (web flow) against a simulated org adding 200 ms per request");
        // One check first, not reported: the org's first answers (its keys, caches) and the
        // first start of the child binary are not the client's critical path.
        support::measure(&running.info, "web", None).await;
        for i in 0..3 {
            let m = support::measure(&running.info, "web", None).await;
            assert_eq!(m.report["outcome"], "pass", "{}", m.report["findings"]);
            let requests = m.report["requests"].as_array().unwrap();
            let sum: u64 = requests.iter().map(|r| r["duration_ms"].as_u64().unwrap_or(0)).sum();
            let levels = support::levels(&m.report);
            let goal = 1.1 * levels as f64 * 200.0;
            println!(
                "  run {}: {} requests, sum of latencies {sum} ms; {levels} levels of round trips; wall {:.0} ms = {:.2} x levels x latency (goal <= 1.1: {})",
                i + 1,
                requests.len(),
                m.wall_ms,
                m.wall_ms / (levels as f64 * 200.0),
                if m.wall_ms <= goal { "met" } else { "NOT met" }
            );
        }
        running.stop().await;

        let sc = Scenario::load("healthy").unwrap();
        let running = sim::start(sc, "127.0.0.1:0".parse().unwrap(), false).await.unwrap();
        let mut rows = Vec::new();
        for flow in ["web", "password"] {
            let (mut cpu, mut wall) = (Vec::new(), Vec::new());
            for _ in 0..7 {
                let m = support::measure(&running.info, flow, None).await;
                assert_eq!(m.report["outcome"], "pass", "{flow}: {}", m.report["findings"]);
                cpu.push(m.cpu_ms);
                wall.push(m.wall_ms);
            }
            rows.push((flow, support::median(cpu), support::median(wall)));
        }
        println!("web vs password flow at 0 ms latency (median of 7 checks, each a process):");
        for (flow, cpu, wall) in &rows {
            println!("  {flow:>8}: wall {wall:.1} ms, CPU {cpu:.0} ms");
        }
        let ratio = rows[0].2 / rows[1].2;
        println!(
            "  web / password: wall {ratio:.2} (goal <= 1.3: {}), CPU {:.2}",
            if ratio <= 1.3 { "met" } else { "NOT met" },
            rows[0].1 / rows[1].1.max(1.0)
        );
        running.stop().await;
    });
}
