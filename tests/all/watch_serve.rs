//! The status page, /api/status.json, /metrics and /healthz against a real watch store (SQLite in
//! a temporary directory) filled through the Store API with hostile server text; the token rules;
//! /metrics read by the Python prometheus-client parser; and the page loaded by headless Chromium.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use sagediag::engine::watch::model::*;
use sagediag::engine::watch::store::{Store, StoreUrl};
use sagediag::watch::serve::{ServeError, ServeOptions, serve};
use serde_json::{Value, json};

/// A Salesforce-shaped access token that must never be shown.
const FAKE_TOKEN: &str = "00D5g000004XyzA!AQ8AQJbLfakeTokenValue.1234567890abcdef";
const HOSTILE: &str = "<script>alert('x')</script>\x1b]0;pwned\x07\x1b[2J";

/// A directory of its own under the system's temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "sagediag-{tag}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn org(name: &str) -> WatchOrg {
    WatchOrg {
        name: name.into(),
        environment: "production".into(),
        flow: MonitorFlow::ClientCredentials,
        client_id: "3MVG9monitor".into(),
        username: None,
        private_key: None,
        integration_user: "integration@acme.example".into(),
        integration_app: Some("Payroll Sync".into()),
        probe_as_integration: false,
        schedule: Schedule::default(),
        ca_certs: vec![],
    }
}

fn check(name: &str, state: CheckState, ms: u64, codes: &[&str], detail: &str) -> CheckResult {
    CheckResult {
        check: name.into(),
        state,
        latency_ms: ms,
        codes: codes.iter().map(|c| c.to_string()).collect(),
        detail: detail.into(),
    }
}

fn cycle(name: &str, at: i64, failing: bool) -> OrgCycle {
    let mut signals = Signals {
        grants_used: Some(4),
        refresh_expires_in_secs: Some(3 * 86_400),
        api_requests_remaining: Some(14_250),
        api_requests_max: Some(15_000),
        permission_sets: vec!["Sage People API".into()],
        ..Signals::default()
    };
    let mut checks = vec![
        check("login", CheckState::Pass, 210, &[], "monitoring login ok"),
        check("grants", CheckState::Pass, 40, &[], ""),
        check("limits", CheckState::Pass, 30, &[], ""),
    ];
    let mut findings = vec![];
    let mut state = CheckState::Pass;
    if failing {
        signals
            .login_failures
            .insert("Failed: Computer activation required".into(), 2);
        checks.push(check(
            "permission_sets",
            CheckState::Fail,
            55,
            &["PERMISSION_SET_MISSING"],
            &format!("server said {HOSTILE} with {FAKE_TOKEN}"),
        ));
        findings.push(WatchFinding {
            code: "PERMISSION_SET_MISSING".into(),
            severity: "error".into(),
            title: format!("A permission set was removed {HOSTILE}"),
            fix: vec![format!(
                "Assign \"Sage People API\" again (access_token={FAKE_TOKEN})"
            )],
            forecast: false,
        });
        state = CheckState::Fail;
    } else {
        checks.push(check("permission_sets", CheckState::Pass, 50, &[], ""));
    }
    OrgCycle {
        org: name.into(),
        started_at: at,
        duration_ms: 480,
        state,
        checks,
        findings,
        signals,
        report: json!({
            "sagediag_version": "test",
            "outcome": if failing { "fail" } else { "pass" },
            "findings": [{"code": "PERMISSION_SET_MISSING", "title": HOSTILE}],
            "access_token": FAKE_TOKEN,
            "note": format!("a token in text: {FAKE_TOKEN}"),
        }),
        watcher: "host-a:4242".into(),
    }
}

/// A store holding three orgs: acme-prod failing twice (an open incident), globex passing, and
/// an org whose name is itself hostile.
async fn filled_store(dir: &TempDir) -> Store {
    let url = StoreUrl::Sqlite(dir.0.join("watch.sqlite3"));
    let store = Store::open(&url).await.unwrap();
    let now = now();
    let evil = "initech\x1b[31m<i>";
    for name in ["acme-prod", "globex", evil] {
        store.upsert_org(&org(name)).await.unwrap();
    }
    let policy = IncidentPolicy::default();
    for (i, at) in [now - 1800, now - 900].into_iter().enumerate() {
        let (_, transitions) = store
            .record_cycle(&cycle("acme-prod", at, true), policy, &["webhook-1".into()])
            .await
            .unwrap();
        if i == 1 {
            assert_eq!(
                transitions.len(),
                1,
                "the second failing cycle opens the incident"
            );
        }
        store
            .record_cycle(&cycle("globex", at, false), policy, &[])
            .await
            .unwrap();
    }
    store
        .record_cycle(&cycle(evil, now - 900, false), policy, &[])
        .await
        .unwrap();
    store
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn local(port0: bool) -> SocketAddr {
    if port0 {
        "127.0.0.1:0".parse().unwrap()
    } else {
        unreachable!()
    }
}

async fn get(addr: SocketAddr, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(format!("http://{addr}{path}"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

/// Nothing hostile reaches the page raw; what the sanitiser wrote is there instead.
fn assert_clean(body: &str) {
    assert!(!body.contains("<script"), "raw script tag");
    assert!(
        !body.contains('\x1b') && !body.contains('\x07'),
        "raw escape"
    );
    assert!(!body.contains(FAKE_TOKEN), "the fake token is shown");
    assert!(
        !body.contains("AQ8AQJbLfakeTokenValue"),
        "part of the token is shown"
    );
    assert!(!body.contains("<i>"), "raw tag from an org name");
}

#[tokio::test]
async fn pages_and_json_show_the_fleet_with_hostile_text_escaped() {
    let dir = TempDir::new("serve-pages");
    let store = filled_store(&dir).await;
    let (addr, server) = serve(
        store,
        ServeOptions {
            listen: local(true),
            token: None,
        },
    )
    .await
    .unwrap();

    let r = get(addr, "/", None).await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "text/html; charset=utf-8"
    );
    let page = r.text().await.unwrap();
    assert_clean(&page);
    for want in [
        "acme-prod",
        "globex",
        "initech\\x1b[31m&lt;i&gt;",
        "PERMISSION_SET_MISSING",
        ">FAIL<",
        ">PASS<",
        "1 failing",
        "1 open incident",
        "permission_sets",
        "href=\"/org/acme-prod\"",
    ] {
        assert!(page.contains(want), "{want} missing from /");
    }

    let r = get(addr, "/org/acme-prod", None).await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert_clean(&page);
    for want in [
        "Timeline",
        "Last report",
        "OPEN",
        "Assign &quot;Sage People API&quot; again",
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;\\x1b]0;pwned\\x07",
        "[REDACTED]",
        "4 of 5",
        "14250 of 15000",
        "2 × Failed: Computer activation required",
        "host-a:4242",
    ] {
        assert!(page.contains(want), "{want} missing from the org page");
    }
    // Two cycles in the timeline, both failing.
    assert_eq!(page.matches("<td class=\"st fail\">FAIL</td>").count(), 4);

    // The hostile org's own page, by its percent-encoded name.
    let r = get(addr, "/org/initech%1B%5B31m%3Ci%3E", None).await;
    assert_eq!(r.status(), 200);
    assert_clean(&r.text().await.unwrap());

    let r = get(addr, "/org/no-such-org%3Cscript%3E", None).await;
    assert_eq!(r.status(), 404);
    assert_clean(&r.text().await.unwrap());

    let r = get(addr, "/api/status.json", None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let text = r.text().await.unwrap();
    assert!(!text.contains(FAKE_TOKEN) && !text.contains("\\u001b"));
    let doc: Value = serde_json::from_str(&text).unwrap();
    let orgs = doc["orgs"].as_array().unwrap();
    assert_eq!(orgs.len(), 3);
    let acme = orgs.iter().find(|o| o["org"] == "acme-prod").unwrap();
    assert_eq!(acme["outcome"], "fail");
    assert_eq!(acme["findings"][0]["code"], "PERMISSION_SET_MISSING");
    assert_eq!(acme["incidents"][0]["state"], "open");
    assert_eq!(acme["signals"]["grants_used"], 4);
    assert_eq!(acme["checks"].as_array().unwrap().len(), 4);
    assert_eq!(acme["report"]["outcome"], "fail");
    assert_eq!(acme["report"]["access_token"], "[REDACTED]");
    assert!(
        acme["report"]["findings"][0]["title"]
            .as_str()
            .unwrap()
            .starts_with("<script>alert('x')</script>\\x1b]0;pwned")
    );
    // A smaller document without the reports.
    let small: Value = get(addr, "/api/status.json?reports=0", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(small["orgs"][0]["report"].is_null());

    let r = get(addr, "/healthz", None).await;
    assert_eq!(r.status(), 200);
    server.abort();
}

#[tokio::test]
async fn a_network_address_needs_a_token_and_a_token_guards_every_page() {
    let dir = TempDir::new("serve-token");
    let store = filled_store(&dir).await;
    // Refused before binding anything.
    let e = serve(
        store.clone(),
        ServeOptions {
            listen: "0.0.0.0:0".parse().unwrap(),
            token: None,
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(e, ServeError::NeedsToken(_)));
    let msg = e.to_string();
    assert!(
        msg.contains("SAGEDIAG_WATCH_TOKEN") && msg.contains("reverse proxy"),
        "{msg}"
    );
    let e = serve(
        store.clone(),
        ServeOptions {
            listen: "0.0.0.0:0".parse().unwrap(),
            token: Some("short".into()),
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(e, ServeError::WeakToken), "{e}");

    let token = "k3n0-4f9a-77c1-2d6e-a0b9";
    let (addr, server) = serve(
        store,
        ServeOptions {
            listen: local(true),
            token: Some(token.into()),
        },
    )
    .await
    .unwrap();
    for path in ["/", "/org/acme-prod", "/api/status.json", "/metrics"] {
        let r = get(addr, path, None).await;
        assert_eq!(r.status(), 401, "{path} without a token");
        assert!(r.headers().contains_key("www-authenticate"));
        let body = r.text().await.unwrap();
        assert!(!body.contains("acme-prod"));
        let r = get(addr, path, Some("k3n0-4f9a-77c1-2d6e-a0b8")).await;
        assert_eq!(r.status(), 401, "{path} with a wrong token");
        let r = get(addr, path, Some(token)).await;
        assert_eq!(r.status(), 200, "{path} with the token");
    }
    assert_eq!(get(addr, "/healthz", None).await.status(), 200);
    server.abort();
}

/// The Python prometheus-client's parser reads /metrics; what it found, as JSON
/// (`{family: {type, samples: [[name, labels, value]]}}`).
const PARSE: &str = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = {}
for fam in text_string_to_metric_families(sys.stdin.read()):
    out[fam.name] = {"type": fam.type, "samples": [[s.name, s.labels, s.value] for s in fam.samples]}
print(json.dumps(out))
"#;

#[tokio::test]
async fn metrics_are_valid_prometheus_text_with_every_series() {
    let dir = TempDir::new("serve-metrics");
    let store = filled_store(&dir).await;
    let gauge = sagediag::watch::serve::CycleGauge::default();
    gauge.set(1.75);
    let (addr, server) = sagediag::watch::serve::serve_with(
        store,
        ServeOptions {
            listen: local(true),
            token: None,
        },
        gauge,
    )
    .await
    .unwrap();
    let r = get(addr, "/metrics", None).await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = r.text().await.unwrap();
    server.abort();
    assert!(!text.contains('\x1b'));

    let probe = std::process::Command::new("python3")
        .args(["-c", "import prometheus_client.parser"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        println!(
            "skipped: the Python prometheus-client module is not installed (pip install prometheus-client)"
        );
        return;
    }
    let mut child = std::process::Command::new("python3")
        .args(["-c", PARSE])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the parser refused /metrics: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fams: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sample = |fam: &str, labels: Value| -> f64 {
        let samples = fams[fam]["samples"]
            .as_array()
            .unwrap_or_else(|| panic!("no family {fam}: {fams}"));
        samples
            .iter()
            .find(|s| {
                labels
                    .as_object()
                    .unwrap()
                    .iter()
                    .all(|(k, v)| &s[1][k] == v)
            })
            .unwrap_or_else(|| panic!("no {fam} sample with {labels}: {samples:?}"))[2]
            .as_f64()
            .unwrap()
    };
    assert_eq!(fams["sagediag_probe_success"]["type"], "gauge");
    assert_eq!(
        sample(
            "sagediag_probe_success",
            json!({"org": "acme-prod", "check": "permission_sets"})
        ),
        0.0
    );
    assert_eq!(
        sample(
            "sagediag_probe_success",
            json!({"org": "globex", "check": "login"})
        ),
        1.0
    );
    assert_eq!(
        sample(
            "sagediag_probe_duration_seconds",
            json!({"org": "acme-prod", "check": "login"})
        ),
        0.21
    );
    assert_eq!(
        sample(
            "sagediag_finding_active",
            json!({"org": "acme-prod", "code": "PERMISSION_SET_MISSING", "severity": "error"})
        ),
        1.0
    );
    assert_eq!(
        sample("sagediag_refresh_token_grants", json!({"org": "acme-prod"})),
        4.0
    );
    assert_eq!(
        sample(
            "sagediag_refresh_token_expiry_seconds",
            json!({"org": "globex"})
        ),
        259_200.0
    );
    assert_eq!(
        sample("sagediag_api_requests_remaining", json!({"org": "globex"})),
        14_250.0
    );
    assert_eq!(
        sample("sagediag_api_requests_max", json!({"org": "globex"})),
        15_000.0
    );
    assert_eq!(
        sample(
            "sagediag_login_failures",
            json!({"org": "acme-prod", "status": "Failed: Computer activation required"})
        ),
        2.0
    );
    assert_eq!(
        sample("sagediag_incidents_open", json!({"org": "acme-prod"})),
        1.0
    );
    assert_eq!(
        sample("sagediag_incidents_open", json!({"org": "globex"})),
        0.0
    );
    assert_eq!(sample("sagediag_cycle_duration_seconds", json!({})), 1.75);
    // The hostile org name arrives as the sanitiser wrote it.
    assert_eq!(
        sample(
            "sagediag_probe_success",
            json!({"org": "initech\\x1b[31m<i>", "check": "login"})
        ),
        1.0
    );
}

const CHROMIUM: &str = "/usr/bin/chromium";

/// Runs headless Chromium with `args` (and a profile of its own), at most 90 s.
async fn chromium(profile: &std::path::Path, args: &[String]) -> std::process::Output {
    let mut cmd = tokio::process::Command::new(CHROMIUM);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        // Loopback only, whatever the browser tries on its own: every other name fails to
        // resolve, without a DNS lookup.
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        "--no-proxy-server",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(args)
    .kill_on_drop(true);
    tokio::time::timeout(Duration::from_secs(90), cmd.output())
        .await
        .expect("chromium took more than 90 s")
        .expect("chromium runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_chromium_loads_the_fleet_and_an_org_page() {
    if !std::path::Path::new(CHROMIUM).exists() {
        println!("skipped: chromium is not installed");
        return;
    }
    let dir = TempDir::new("serve-chromium");
    let store = filled_store(&dir).await;
    let (addr, server) = serve(
        store,
        ServeOptions {
            listen: local(true),
            token: None,
        },
    )
    .await
    .unwrap();
    let profile = dir.0.join("chromium-profile");
    let fleet = format!("http://{addr}/");
    let org = format!("http://{addr}/org/acme-prod");

    let dom = chromium(&profile, &["--dump-dom".into(), fleet.clone()]).await;
    let dom = String::from_utf8_lossy(&dom.stdout).into_owned();
    for want in ["acme-prod", "globex", "PERMISSION_SET_MISSING", "1 failing"] {
        assert!(
            dom.contains(want),
            "{want} missing from Chromium's DOM of /:\n{dom}"
        );
    }
    assert!(!dom.contains("<script"), "a script element in the DOM");

    let dom = chromium(&profile, &["--dump-dom".into(), org.clone()]).await;
    let dom = String::from_utf8_lossy(&dom.stdout).into_owned();
    for want in [
        "acme-prod",
        "PERMISSION_SET_MISSING",
        "Timeline",
        "Last report",
    ] {
        assert!(
            dom.contains(want),
            "{want} missing from Chromium's DOM of the org page"
        );
    }
    assert!(!dom.contains("<script") && !dom.contains(FAKE_TOKEN));

    // SAGEDIAG_SCREENSHOT_DIR keeps the screenshots (to look at them); else the temp dir.
    let shots = std::env::var_os("SAGEDIAG_SCREENSHOT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.0.clone());
    for (name, url) in [("fleet.png", &fleet), ("org.png", &org)] {
        let png = shots.join(name);
        let out = chromium(
            &profile,
            &[
                format!("--screenshot={}", png.display()),
                "--window-size=1280,800".into(),
                url.clone(),
            ],
        )
        .await;
        let bytes = std::fs::read(&png).unwrap_or_else(|e| {
            panic!(
                "no screenshot {}: {e}\n{}",
                png.display(),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        assert!(bytes.len() > 10_000, "{name}: {} bytes", bytes.len());
        assert_eq!(
            bytes.get(..8),
            Some(&b"\x89PNG\r\n\x1a\n"[..]),
            "{name} is a PNG"
        );
    }
    server.abort();
}
