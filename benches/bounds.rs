//! Bounds under the response cap (issue 24 §4): the client's peak RSS when every answer is
//! blown up to 30 MiB, just under the 32 MiB read cap (the simulator's `faults.huge_body_paths`
//! and `huge_body_bytes`), each check in a child process of its own so that the figure is the
//! client's alone:
//! - the token answer included: a 30 MiB `access_token` (refused, `TOKEN_FIELD_TOO_LONG`), by the
//!   engine's own token request (password) and through oauth2 (client credentials);
//! - every other answer 30 MiB (30 MiB of spaces after the JSON: the same answer), the token a
//!   normal one: the token checks, the org queries and the seven probes go out together, so
//!   about fifteen 30 MiB answers arrive at once.
//!
//! Goal: peak RSS under 150 MiB in each case. Run: `cargo bench --bench bounds`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::string_slice,
    clippy::format_push_string
)] // test code: Cargo.toml's [lints] are for the program

#[path = "support/mod.rs"]
mod support;

use sagediag::sim::{self, Scenario};

const GOAL_MIB: f64 = 150.0;
const HUGE: u64 = 30 * 1024 * 1024;

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
        println!("bounds: peak RSS of a check whose every answer is 30 MiB (read cap 32 MiB)");
        // Not the token: every other answer the check reads.
        let others: Vec<String> = [
            "/services/data",
            "/services/apexrest",
            "/id/",
            "/services/oauth2/userinfo",
            "/services/oauth2/introspect",
            "/services/oauth2/revoke",
        ]
        .map(String::from)
        .to_vec();
        let cases: [(&str, &str, Vec<String>); 3] = [
            ("30 MiB access_token, password", "password", vec!["/".into()]),
            (
                "30 MiB access_token, client credentials (oauth2)",
                "client-credentials",
                vec!["/".into()],
            ),
            ("every other answer 30 MiB, password", "password", others),
        ];
        for (name, flow, paths) in cases {
            let mut sc = Scenario::load("healthy").unwrap();
            sc.faults.huge_body_paths = paths;
            sc.faults.huge_body_bytes = HUGE;
            let running = sim::start(sc, "127.0.0.1:0".parse().unwrap(), false)
                .await
                .unwrap();
            let mut info = running.info.clone();
            if flow == "client-credentials" {
                // Client credentials go to the org's own host (My Domain).
                info.login_url = info.instance_url.clone();
            }
            let mut peaks = Vec::new();
            let mut codes = String::new();
            for _ in 0..3 {
                let m = support::measure(&info, flow, None).await;
                peaks.push(m.peak_rss_kb as f64 / 1024.0);
                codes = m.report["findings"]
                    .as_array()
                    .map(|f| {
                        f.iter()
                            .filter_map(|f| f["code"].as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
            }
            let worst = peaks.iter().copied().fold(0.0, f64::max);
            println!(
                "  {name}: peak RSS {} MiB (worst {worst:.1}; goal < {GOAL_MIB}: {}); findings: {codes}",
                peaks
                    .iter()
                    .map(|p| format!("{p:.1}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if worst < GOAL_MIB { "met" } else { "NOT met" }
            );
            running.stop().await;
        }
    });
}
