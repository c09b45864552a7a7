//! A full check against a simulated org that adds 200 ms to every request: the wall time
//! against the sum of the requests' latencies (the probes run concurrently, so the check should
//! take well under that sum). Run: `cargo bench --bench check_latency`.

use std::time::Instant;

use sagediag::engine::{self, Config, Environment, Flow};
use sagediag::sim::{self, Scenario};

fn main() {
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
        let info = running.info.clone();
        let mut runs = Vec::new();
        for _ in 0..3 {
            let mut cfg = Config::new(Environment::parse(&info.login_url).unwrap(), Flow::Web, info.client_id.clone());
            cfg.client_secret = Some(info.client_secret.clone());
            cfg.username = Some(info.username.clone());
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
            let started = Instant::now();
            let report = engine::run(cfg, tx, None).await;
            let wall = started.elapsed().as_millis() as u64;
            drain.await.unwrap();
            assert_eq!(report.outcome, "pass", "{:?}", report.findings);
            let sum: u64 = report.requests.iter().map(|r| r.duration_ms).sum();
            let probes = report.steps.iter().find(|s| s.title == "Permission-set probes").map(|s| s.duration_ms).unwrap_or(0);
            runs.push((wall, sum, report.requests.len(), probes));
        }
        println!("check_latency: full `check` (web flow) against a simulated org adding 200 ms per request");
        for (i, (wall, sum, n, probes)) in runs.iter().enumerate() {
            println!(
                "  run {}: {n} requests, sum of latencies {sum} ms, wall time {wall} ms ({:.0}% of the sum); 7 probes took {probes} ms (sequential: >= 1400 ms)",
                i + 1,
                *wall as f64 * 100.0 / *sum as f64
            );
        }
        running.stop().await;
    });
}
