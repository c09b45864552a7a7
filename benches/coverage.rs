//! Field coverage at 10,000, 100,000 and 1,000,000 employees: wall time, the client's CPU time
//! and the client's peak RSS (VmHWM), each check run in a child process of its own while the
//! simulated org runs here. The coverage part's wall time is the coverage step's; its CPU is the
//! check with `--coverage` minus the same check without. The baseline, in the same run: a pager
//! that only fetches the same pages, from an org of its own. Run: `cargo bench --bench coverage`;
//! `SAGEDIAG_BENCH_EMPLOYEES=10000,100000` picks the sizes (the million takes a minute or two);
//! `100000@2` has the org answer each request after 2 ms, as a (fast) real org would.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::string_slice,
    clippy::format_push_string
)] // test code: Cargo.toml's [lints] are for the program

#[path = "support/mod.rs"]
mod support;

use sagediag::sim::{self, Scenario};

/// Goals of issue #13 at a million employees.
const GOAL_PEAK_RSS_KB: u64 = 48 * 1024;
const GOAL_CPU_RATIO: f64 = 0.25;
const GOAL_WALL_OVER_PAGER: f64 = 1.3;

/// The coverage part's client CPU before issue #13 (ms), as recorded in docs/performance.md
/// with this bench on the tree before the change: the old code is gone, so this baseline
/// cannot be re-run.
fn recorded_cpu_before_ms(employees: u32) -> Option<f64> {
    match employees {
        10_000 => Some(150.0),
        100_000 => Some(1_110.0),
        1_000_000 => Some(19_100.0),
        _ => None,
    }
}

fn main() {
    if support::child_main() {
        return;
    }
    // `N` or `N@MS`: N employees, the org answering each request after MS ms (0: at once).
    let sizes: Vec<(u32, u64)> = std::env::var("SAGEDIAG_BENCH_EMPLOYEES")
        .unwrap_or_else(|_| "10000,100000,1000000,100000@2".into())
        .split(',')
        .filter_map(|s| {
            let (n, ms) = s.trim().split_once('@').unwrap_or((s.trim(), "0"));
            Some((n.parse().ok()?, ms.parse().ok()?))
        })
        .collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        println!("coverage: a web-flow check with --coverage (page size 200) against a simulated org; the client measured in a child process");
        println!("  {:>9}  {:>6}  {:>9}  {:>12}  {:>12}  {:>10}  {:>14}", "employees", "pages", "wall s", "client CPU s", "CPU µs/empl", "peak RSS", "RSS w/o cov.");
        for (employees, latency_ms) in sizes {
            let mut sc = Scenario::load("healthy").unwrap();
            if latency_ms > 0 {
                // An org that takes its time, as a real one does: every request waits.
                sc.faults.latency_ms = latency_ms;
                println!("  (the org answers each request after {latency_ms} ms)");
            }
            sc.data.employees = employees;
            sc.data.page_size = 200;
            // Realistic HR data: some missing and duplicated emails to find.
            sc.data.missing_email_percent = 2;
            sc.data.duplicate_email_percent = 1;
            let org = |sc: Scenario| async move {
                sim::start(sc, "127.0.0.1:0".parse().unwrap(), false).await.unwrap()
            };
            // Each walk on an org of its own: the org's page cache must not serve one walk the
            // pages of the one before.
            let running = org(sc.clone()).await;
            let info = running.info.clone();
            let plain = support::measure(&info, "web", None).await;
            // The org's CPU (this process) while each walk runs: the two share two cores.
            let org0 = support::cpu_ms();
            let with = support::measure(&info, "web", Some(u64::from(employees))).await;
            let org_with = support::cpu_ms() - org0;
            running.stop().await;
            let running = org(sc).await;
            let org0 = support::cpu_ms();
            let pager = support::measure_pager(&running.info).await;
            let org_pager = support::cpu_ms() - org0;
            let c = &with.report["coverage"];
            assert_eq!(c["employees"], employees, "{c}");
            assert_eq!(c["pages"], pager.report["pages"], "the pager saw every page");
            let cpu = with.cpu_ms - plain.cpu_ms;
            // The coverage step's own time (the difference of two whole checks is noise for
            // small orgs: a login varies by more than fifty pages take).
            let wall = with.report["steps"]
                .as_array()
                .and_then(|steps| steps.iter().find(|s| s["id"] == "coverage"))
                .and_then(|s| s["duration_ms"].as_f64())
                .expect("a coverage step");
            println!(
                "  {employees:>9}  {:>6}  {:>9.2}  {:>12.2}  {:>12.2}  {:>7} MiB  {:>10} MiB",
                c["pages"],
                wall / 1000.0,
                cpu / 1000.0,
                cpu * 1000.0 / f64::from(employees),
                with.peak_rss_kb / 1024,
                plain.peak_rss_kb / 1024,
            );
            let met = |ok: bool| if ok { "met" } else { "NOT met" };
            let over_pager = wall / pager.wall_ms;
            println!(
                "    wall / a pager fetching the same pages ({:.2} s, CPU {:.2} s): {over_pager:.2} (goal <= {GOAL_WALL_OVER_PAGER}: {})",
                pager.wall_ms / 1000.0,
                pager.cpu_ms / 1000.0,
                met(over_pager <= GOAL_WALL_OVER_PAGER)
            );
            println!(
                "    the org's CPU meanwhile: {:.2} s serving the check (whole check), {:.2} s serving the pager",
                org_with / 1000.0,
                org_pager / 1000.0
            );
            if let Some(before) = recorded_cpu_before_ms(employees) {
                println!(
                    "    client CPU / the recorded figure before the change ({:.2} s): {:.2} (goal <= {GOAL_CPU_RATIO}: {})",
                    before / 1000.0,
                    cpu / before,
                    met(cpu / before <= GOAL_CPU_RATIO)
                );
            }
            if employees == 1_000_000 {
                println!(
                    "    peak RSS <= {} MiB: {}",
                    GOAL_PEAK_RSS_KB / 1024,
                    met(with.peak_rss_kb <= GOAL_PEAK_RSS_KB)
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
