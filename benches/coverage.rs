//! Field coverage at 10,000, 100,000 and 1,000,000 employees: wall time, the client's CPU time
//! and the client's peak RSS (VmHWM), each check run in a child process of its own while the
//! simulated org runs here. The coverage part is the check with `--coverage` minus the same
//! check without. Run: `cargo bench --bench coverage`; `SAGEDIAG_BENCH_EMPLOYEES=10000,100000`
//! picks the sizes (the million takes a minute or two).

#[path = "support/mod.rs"]
mod support;

use sagediag::sim::{self, Scenario};

/// Goals of issue #13 at a million employees.
const GOAL_PEAK_RSS_KB: u64 = 48 * 1024;

fn main() {
    if support::child_main() {
        return;
    }
    let sizes: Vec<u32> = std::env::var("SAGEDIAG_BENCH_EMPLOYEES")
        .unwrap_or_else(|_| "10000,100000,1000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        println!("coverage: a web-flow check with --coverage (page size 200) against a simulated org; the client measured in a child process");
        println!("  {:>9}  {:>6}  {:>9}  {:>12}  {:>12}  {:>10}  {:>14}", "employees", "pages", "wall s", "client CPU s", "CPU µs/empl", "peak RSS", "RSS w/o cov.");
        for employees in sizes {
            let mut sc = Scenario::load("healthy").unwrap();
            sc.data.employees = employees;
            sc.data.page_size = 200;
            // Realistic HR data: some missing and duplicated emails to find.
            sc.data.missing_email_percent = 2;
            sc.data.duplicate_email_percent = 1;
            let running = sim::start(sc, "127.0.0.1:0".parse().unwrap(), false).await.unwrap();
            let info = running.info.clone();
            let plain = support::measure(&info, "web", None).await;
            let with = support::measure(&info, "web", Some(u64::from(employees))).await;
            let c = &with.report["coverage"];
            assert_eq!(c["employees"], employees, "{c}");
            let cpu = with.cpu_ms - plain.cpu_ms;
            println!(
                "  {employees:>9}  {:>6}  {:>9.2}  {:>12.2}  {:>12.2}  {:>7} MiB  {:>10} MiB",
                c["pages"],
                (with.wall_ms - plain.wall_ms) / 1000.0,
                cpu / 1000.0,
                cpu * 1000.0 / f64::from(employees),
                with.peak_rss_kb / 1024,
                plain.peak_rss_kb / 1024,
            );
            if employees == 1_000_000 {
                println!(
                    "  goal at 1M: peak RSS <= {} MiB: {}",
                    GOAL_PEAK_RSS_KB / 1024,
                    if with.peak_rss_kb <= GOAL_PEAK_RSS_KB { "met" } else { "NOT met" }
                );
            }
            println!(
                "    found: {} without email, {} duplicate emails ({} records), {} leavers with email; {} requests in the log",
                c["missing_email"], c["duplicate_emails"], c["records_with_duplicate_email"], c["leavers_with_email"],
                with.report["requests"].as_array().map_or(0, Vec::len)
            );
            running.stop().await;
        }
    });
}
