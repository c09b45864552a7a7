//! What the benches share: the engine measured in a child process of its own (the bench binary
//! re-run with `SAGEDIAG_BENCH_CHILD`), so that its CPU time and peak RSS are the client's alone —
//! the simulated org runs in the parent.

#![allow(dead_code)]

use std::time::Instant;

#[path = "levels.rs"]
mod levels;

use sagediag::engine::{self, Config, Environment, Flow};
use sagediag::sim::SimInfo;
use serde_json::{Value, json};

/// What one child run measured.
#[derive(Debug, Clone)]
pub struct Measured {
    pub cpu_ms: f64,
    pub wall_ms: f64,
    pub peak_rss_kb: u64,
    pub report: Value,
}

/// `key` of /proc/self/status, in kB.
pub fn status_kb(key: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// CPU time of this process so far, in ms, every thread's (those that have ended too: coverage's
/// walk runs on a thread of its own that ends before the check does).
pub fn cpu_ms() -> f64 {
    cpu_time::ProcessTime::now().as_duration().as_secs_f64() * 1000.0
}

/// In the child: runs one check as the parent described it and prints the measures as one JSON
/// line. Returns false when this process is not a child.
pub fn child_main() -> bool {
    let Ok(spec) = std::env::var("SAGEDIAG_BENCH_CHILD") else {
        return false;
    };
    let spec: Value = serde_json::from_str(&spec).expect("child spec");
    let s = |k: &str| spec[k].as_str().unwrap_or_default().to_string();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let cpu0 = cpu_ms();
    let started = Instant::now();
    let pager = spec["pager"].as_bool() == Some(true);
    let report = rt.block_on(async {
        if pager {
            return page_through(&spec).await;
        }
        let flow = Flow::parse(&s("flow")).expect("flow");
        let mut cfg = Config::new(
            Environment::parse(&s("login_url")).unwrap(),
            flow,
            s("client_id"),
        );
        cfg.client_secret = Some(s("client_secret"));
        cfg.username = Some(s("username"));
        if flow == Flow::Password {
            cfg.password = Some(s("password"));
        }
        cfg.coverage_limit = spec["coverage"].as_u64();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        // The events taken as `check` takes them: all that came, every 50 ms.
        let drain = tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_millis(50));
            loop {
                every.tick().await;
                while rx.try_recv().is_ok() {}
            }
        });
        let client = engine::http::Client::for_config(&cfg, Some(tx.clone())).unwrap();
        let report = engine::run(
            cfg,
            tx,
            engine::RunOptions {
                client: Some(client.clone()),
                ..Default::default()
            },
        )
        .await
        .report;
        drain.abort();
        let mut v = serde_json::to_value(&report).unwrap();
        // When each request started and ended, for the critical path.
        v["timeline"] = client
            .exchanges()
            .iter()
            .map(|e| json!([e.started_unix_ms, e.started_unix_ms + e.duration_ms]))
            .collect();
        v
    });
    let wall_ms = started.elapsed().as_secs_f64() * 1000.0;
    let cpu = cpu_ms() - cpu0;
    let out = json!({
        "cpu_ms": cpu,
        "wall_ms": wall_ms,
        "peak_rss_kb": status_kb("VmHWM:").unwrap_or(0),
        "report": report,
    });
    println!("{out}");
    true
}

/// The baseline of coverage: a pager that only fetches the employee pages (password grant,
/// then one GET per page over keep-alive, the next marker taken from the end of the body), as a
/// shell loop of curl would. Returns the pages and records it saw.
async fn page_through(spec: &Value) -> Value {
    let s = |k: &str| spec[k].as_str().unwrap_or_default().to_string();
    let http = reqwest::Client::new();
    let token = password_token(
        &http,
        &s("login_url"),
        [
            &s("client_id"),
            &s("client_secret"),
            &s("username"),
            &s("password"),
        ],
    )
    .await;
    let bearer = format!(
        "Bearer {}",
        token["access_token"].as_str().expect("a token")
    );
    let list = format!(
        "{}/services/apexrest/spapi/v4/employees",
        token["instance_url"].as_str().expect("an instance")
    );
    let (mut pages, mut marker) = (0u64, String::new());
    loop {
        let mut req = http.get(&list).header("Authorization", &bearer);
        if !marker.is_empty() {
            req = req.query(&[("marker", marker.as_str())]);
        }
        let resp = req.send().await.unwrap();
        if resp.status() == 204 {
            break;
        }
        assert_eq!(resp.status(), 200);
        let body = resp.bytes().await.unwrap();
        pages += 1;
        marker = last_id(&body)
            .expect("a page ends with a record")
            .to_string();
    }
    json!({ "pages": pages })
}

/// A password-grant token response from the org at `login_url`; `creds` are the client id and
/// secret, the username and the password.
pub async fn password_token(http: &reqwest::Client, login_url: &str, creds: [&str; 4]) -> Value {
    let [client_id, client_secret, username, password] = creds;
    http.post(format!("{login_url}/services/oauth2/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", client_id),
            ("client_secret", client_secret),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The id of a list page's last record: the last `{"id":"…"` of the body (a record's own id is
/// its first field).
pub fn last_id(body: &[u8]) -> Option<&str> {
    const KEY: &[u8] = b"{\"id\":\"";
    let at = body.windows(KEY.len()).rposition(|w| w == KEY)? + KEY.len();
    let rest = body.get(at..)?;
    let end = rest.iter().position(|&b| b == b'"')?;
    std::str::from_utf8(rest.get(..end)?).ok()
}

/// In the parent: the pager baseline (see `page_through`) in a child process against `info`.
pub async fn measure_pager(info: &SimInfo) -> Measured {
    let spec = json!({
        "login_url": info.login_url, "client_id": info.client_id,
        "client_secret": info.client_secret, "username": info.username,
        "password": info.password, "pager": true,
    });
    run_child(spec).await
}

/// In the parent: runs one check in a child process against the simulated org `info`.
pub async fn measure(info: &SimInfo, flow: &str, coverage: Option<u64>) -> Measured {
    let spec = json!({
        "login_url": info.login_url, "client_id": info.client_id,
        "client_secret": info.client_secret, "username": info.username,
        "password": info.password, "flow": flow, "coverage": coverage,
    });
    run_child(spec).await
}

async fn run_child(spec: Value) -> Measured {
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(std::env::current_exe().unwrap())
            .env("SAGEDIAG_BENCH_CHILD", spec.to_string())
            .stderr(std::process::Stdio::inherit())
            .output()
            .expect("the child runs")
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "the child failed: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let line = String::from_utf8_lossy(&out.stdout);
    let v: Value =
        serde_json::from_str(line.lines().last().unwrap_or_default()).expect("child output");
    Measured {
        cpu_ms: v["cpu_ms"].as_f64().unwrap_or(0.0),
        wall_ms: v["wall_ms"].as_f64().unwrap_or(0.0),
        peak_rss_kb: v["peak_rss_kb"].as_u64().unwrap_or(0),
        report: v["report"].clone(),
    }
}

/// The number of dependent round trips a run made, from its report's `timeline`.
pub fn levels(report: &Value) -> usize {
    let spans: Vec<(u64, u64)> = report["timeline"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| (s[0].as_u64().unwrap_or(0), s[1].as_u64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default();
    levels::levels(&spans)
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}
