//! The simulated org's Sage People list pages: requests per second for pages of 200 employees,
//! over keep-alive from one reqwest client on loopback, the org running in this process. Three
//! runs: the same first page again and again (what probes and demos ask for: served from the
//! page cache after the first), a walk over distinct pages (each generated once), and the same
//! walk with a `$filter`. Run: `cargo bench --bench sim_pages`;
//! `SAGEDIAG_BENCH_REQUESTS=2000` sets the requests per run.

use std::time::Instant;

use sagediag::sim::data::Entity;
use sagediag::sim::{self, Scenario};
use serde_json::Value;

const V4: &str = "/services/apexrest/spapi/v4";

fn main() {
    let n: usize = std::env::var("SAGEDIAG_BENCH_REQUESTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut sc = Scenario::load("healthy").unwrap();
        sc.data.employees = 1_000_000;
        sc.data.page_size = 200;
        sc.org.daily_api_allocation = u64::MAX;
        let running = sim::start(sc, "127.0.0.1:0".parse().unwrap(), false)
            .await
            .unwrap();
        let info = running.info.clone();
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()
            .unwrap();
        let token: Value = http
            .post(format!("{}/services/oauth2/token", info.login_url))
            .form(&[
                ("grant_type", "password"),
                ("client_id", info.client_id.as_str()),
                ("client_secret", info.client_secret.as_str()),
                ("username", info.username.as_str()),
                ("password", info.password.as_str()),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let bearer = format!("Bearer {}", token["access_token"].as_str().expect("a token"));
        let list = format!("{}{V4}/employees", info.instance_url);
        println!(
            "sim_pages: {n} GETs per run of /spapi/v4/employees (pages of 200), one keep-alive connection"
        );
        for (name, filter) in [
            ("same page", None),
            ("distinct pages", Some(None)),
            ("distinct pages, $filter", Some(Some("currentEmployment.active eq true"))),
        ] {
            let mut marker = String::new();
            let mut bytes = 0usize;
            let mut parsing = 0f64;
            let started = Instant::now();
            for _ in 0..n {
                let mut req = http.get(&list).header("Authorization", &bearer);
                if !marker.is_empty() {
                    req = req.query(&[("marker", marker.as_str())]);
                }
                if let Some(Some(f)) = filter {
                    req = req.query(&[("$filter", f)]);
                }
                let resp = req.send().await.unwrap();
                assert_eq!(resp.status(), 200);
                let body = resp.bytes().await.unwrap();
                bytes += body.len();
                if filter.is_some() {
                    // The next page starts after this page's last record (the parse is timed:
                    // it is the bench's work, not the org's).
                    let parse = Instant::now();
                    let v: Value = serde_json::from_slice(&body).unwrap();
                    marker = v["data"]
                        .as_array()
                        .and_then(|a| a.last())
                        .and_then(|r| r["id"].as_str())
                        .unwrap()
                        .to_string();
                    drop(v); // freeing the tree is the bench's work too
                    parsing += parse.elapsed().as_secs_f64();
                }
            }
            let secs = started.elapsed().as_secs_f64();
            println!(
                "  {name:<24} {:>8.0} req/s  {:>7.1} µs/record  {:>6.1} MB/s  ({:.0} req/s without the bench's parsing, {:.1} ms of it per page)",
                n as f64 / secs,
                secs * 1e6 / (n as f64 * 200.0),
                bytes as f64 / secs / 1e6,
                n as f64 / (secs - parsing),
                parsing * 1e3 / n as f64,
            );
        }
        running.stop().await;
    });
    // The records alone, without HTTP: 100,000 employees serialised as the org does.
    let cfg = Scenario::load("healthy").unwrap().data;
    let mut out = Vec::with_capacity(1 << 20);
    // (The HTTP rows' client, reqwest, and the org share the runtime's 2 threads.)
    let started = Instant::now();
    for i in 0..100_000u64 {
        if out.len() > 1 << 19 {
            out.clear();
        }
        serde_json::to_writer(&mut out, &Entity::Employees.typed(&cfg, i)).unwrap();
    }
    println!(
        "  employee records alone    {:>7.2} µs/record (serialised, no HTTP)",
        started.elapsed().as_secs_f64() * 1e6 / 100_000.0
    );
}
