//! Field coverage on a 50,000-employee simulated org: time, pages, and peak memory (VmHWM) of a
//! full check with and without coverage. The simulated org runs in the same process (it
//! generates records on the fly). Run: `cargo bench --bench coverage`.

use std::time::Instant;

use sagediag::engine::{self, Config, Environment, Flow};
use sagediag::sim::{self, Scenario};

fn status_kb(key: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Resets the peak-RSS counter (Linux: writing 5 to clear_refs).
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        for (employees, page_size) in [(50_000u32, 200u32), (50_000, 2_000)] {
            let mut sc = Scenario::load("healthy").unwrap();
            sc.data.employees = employees;
            sc.data.page_size = page_size;
            // Realistic HR data: some missing and duplicated emails to find.
            sc.data.missing_email_percent = 2;
            sc.data.duplicate_email_percent = 1;
            let running = sim::start(sc, "127.0.0.1:0".parse().unwrap(), false).await.unwrap();
            let info = running.info.clone();
            let run = |coverage: Option<u64>| {
                let info = info.clone();
                async move {
                    let mut cfg = Config::new(Environment::parse(&info.login_url).unwrap(), Flow::Web, info.client_id.clone());
                    cfg.client_secret = Some(info.client_secret.clone());
                    cfg.username = Some(info.username.clone());
                    cfg.coverage_limit = coverage;
                    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
                    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
                    let started = Instant::now();
                    let report = engine::run(cfg, tx, None).await;
                    drain.await.unwrap();
                    (report, started.elapsed())
                }
            };
            let can_reset = reset_peak();
            let (_, plain) = run(None).await;
            let peak_plain = status_kb("VmHWM:").unwrap_or(0);
            reset_peak();
            let (report, with) = run(Some(1_000_000)).await;
            let peak_cov = status_kb("VmHWM:").unwrap_or(0);
            let c = report.coverage.expect("coverage ran");
            assert_eq!(c.employees, u64::from(employees));
            println!(
                "coverage: {employees} employees, page size {page_size}: {} pages in {:.2} s ({:.0} employees/s); check without coverage {:.2} s",
                c.pages,
                with.as_secs_f64() - plain.as_secs_f64(),
                c.employees as f64 / (with.as_secs_f64() - plain.as_secs_f64()).max(0.001),
                plain.as_secs_f64()
            );
            println!(
                "  peak RSS of the whole process (engine + in-process simulated org): {peak_plain} kB without coverage, {peak_cov} kB with{}",
                if can_reset { "" } else { " (peak not resettable here: figures are cumulative)" }
            );
            println!(
                "  found: {} without email, {} duplicate emails ({} records), {} leavers with email",
                c.missing_email, c.duplicate_emails, c.records_with_duplicate_email, c.leavers_with_email
            );
            running.stop().await;
        }
    });
}
