//! Issue 21, the integration's own record: `check` reads the org's LoginHistory, OauthToken
//! grants and the user after login, against simulated orgs over loopback, and reports them in
//! `--json`, the human output, the Markdown report and the HAR, with no secret anywhere.

use std::process::{Command, Stdio};

use serde_json::Value;

use crate::common::{Sim, start};

struct Run {
    json: Value,
    all: String,
}

async fn check(sim: &Sim, extra: &[&str], dir: Option<&std::path::Path>) -> Run {
    let info = sim.running.info.clone();
    let mut args: Vec<String> = [
        "check",
        "--json",
        "--no-browser",
        "--flow",
        "password",
        "--env",
        &info.login_url,
        "--client-id",
        &info.client_id,
        "--username",
        &info.username,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    let (report, har) = match dir {
        Some(d) => (Some(d.join("report.md")), Some(d.join("run.har"))),
        None => (None, None),
    };
    if let (Some(r), Some(h)) = (&report, &har) {
        args.extend([
            "--report".into(),
            r.display().to_string(),
            "--har".into(),
            h.display().to_string(),
            "--har-bodies".into(),
            "full".into(),
        ]);
    }
    let envs = [
        ("SAGEDIAG_CLIENT_SECRET", info.client_secret.clone()),
        ("SAGEDIAG_PASSWORD", info.password.clone()),
        ("SAGEDIAG_ADMIN_PASSWORD", info.admin_password.clone()),
        (
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/bus".into(),
        ),
        (
            "SAGEDIAG_SECRETS",
            "/nonexistent/sagediag/secrets.json".into(),
        ),
    ];
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sagediag"));
        cmd.args(&args).stdin(Stdio::null());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "one JSON document ({e}):\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let mut all = format!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    for f in report.iter().chain(har.iter()) {
        all.push_str(&std::fs::read_to_string(f).unwrap_or_default());
    }
    Run { json, all }
}

/// Every secret the org holds: the app's secret, passwords, tokens, codes and the grants'
/// DeleteTokens.
fn secrets(sim: &Sim) -> Vec<String> {
    let info = &sim.running.info;
    let mut s = vec![
        info.client_secret.clone(),
        info.password.clone(),
        info.admin_password.clone(),
    ];
    let inner = sim.running.org.lock();
    s.extend(inner.access.keys().cloned());
    s.extend(inner.refresh.keys().cloned());
    s.extend(inner.record.grants.iter().map(|g| g.delete_token.clone()));
    s
}

fn assert_no_secret(sim: &Sim, run: &Run) {
    let secrets = secrets(sim);
    assert!(secrets.len() > 3, "the org holds grants with DeleteTokens");
    for s in secrets {
        assert!(
            !run.all.contains(&s),
            "a secret ({}…) appears in the output",
            s.chars().take(6).collect::<String>()
        );
    }
    assert!(!run.all.contains("\"DeleteToken\":\"") || run.all.contains("[REDACTED]"));
}

fn finding<'a>(run: &'a Run, code: &str) -> Option<&'a Value> {
    run.json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
}

fn step(run: &Run, id: &str) -> String {
    run.json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .map(|s| s["status"].as_str().unwrap_or_default().to_string())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integration_history_shows_the_integrations_failures_while_its_own_login_passes() {
    let sim = start("integration-history").await;
    let dir = std::env::temp_dir().join(format!("sagediag-record-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let run = check(&sim, &[], Some(&dir)).await;
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(step(&run, "login"), "pass", "sagediag's own login works");
    let rec = &run.json["integration"];
    assert_eq!(rec["read_as"], "api-user");
    assert_eq!(rec["history_days"], 7);
    let groups = rec["login_history"]["groups"].as_array().unwrap();
    let failed = groups
        .iter()
        .find(|g| g["status"] == "Failed: Invalid Code Verifier")
        .unwrap_or_else(|| panic!("{rec:#}"));
    assert_eq!(failed["count"], 37);
    assert_eq!(failed["source_ips"], 3);
    assert_eq!(failed["finding"], "PKCE_VERIFIER_REJECTED");
    assert_eq!(failed["login_types"][0], "Remote Access 2.0");
    assert!(failed["first"].as_str().unwrap() < failed["last"].as_str().unwrap());
    assert!(rec["login_history"]["last_success"]["time"].is_string());
    let f = finding(&run, "PKCE_VERIFIER_REJECTED").expect("the mapped finding");
    assert_eq!(f["source"], "login_history");
    assert_eq!(
        f["severity"], "error",
        "no success since the failures began"
    );
    assert_eq!(f["record"]["count"], 37);
    assert_eq!(f["record"]["first"], failed["first"]);
    assert_eq!(f["record"]["last"], failed["last"]);
    // The report and the HAR carry it; no secret anywhere (the HAR keeps full bodies).
    assert!(
        run.all.contains("## Integration record"),
        "the report's section"
    );
    assert!(
        run.all
            .contains("Source: the org's record (`login_history`)")
    );
    assert!(
        run.all.contains("\\\"DeleteToken\\\":\\\"[REDACTED]\\\"")
            || run.all.contains("\"DeleteToken\":\"[REDACTED]\""),
        "the HAR redacts the DeleteToken"
    );
    assert_no_secret(&sim, &run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_days_narrows_the_window() {
    let sim = start("integration-history").await;
    let run = check(&sim, &["--history-days", "1"], None).await;
    let rec = &run.json["integration"];
    assert_eq!(rec["history_days"], 1);
    let failed = rec["login_history"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["status"] == "Failed: Invalid Code Verifier")
        .unwrap_or_else(|| panic!("{rec:#}"));
    let n = failed["count"].as_u64().unwrap();
    assert!(n > 0 && n < 37, "a day holds fewer of the 37: {n}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_user_is_an_error_with_its_setup_fix_read_by_the_admin() {
    let sim = start("user-frozen").await;
    // As the API user alone the login fails, and the record says what would reveal it.
    let run = check(&sim, &[], None).await;
    assert_eq!(step(&run, "login"), "fail");
    let unknown = run.json["integration"]["unknown"].to_string();
    assert!(unknown.contains("--admin-username"), "{unknown}");
    assert!(finding(&run, "USER_FROZEN").is_none());
    // With the admin's session the whole record is read.
    let admin = sim.running.info.admin_username.clone();
    let run = check(
        &sim,
        &[
            "--admin-username",
            &admin,
            "--admin-flow",
            "password",
            "--fix-plan",
        ],
        None,
    )
    .await;
    let rec = &run.json["integration"];
    assert_eq!(rec["read_as"], "admin");
    assert_eq!(rec["user"]["frozen"], true, "{rec:#}");
    let f = finding(&run, "USER_FROZEN").expect("USER_FROZEN");
    assert_eq!(f["severity"], "error");
    let fix = f["fix"].to_string();
    assert!(
        fix.contains("Unfreeze") && fix.contains("IsFrozen"),
        "{fix}"
    );
    assert!(f["title"].is_string());
    let plan = run.json["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["finding"] == "USER_FROZEN")
        .unwrap_or_else(|| panic!("{:#}", run.json["fixes"]));
    assert_eq!(plan["kind"], "setup");
    assert!(
        rec["login_history"]["groups"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["status"] == "User is frozen" && g["finding"] == "USER_FROZEN")
    );
    assert_no_secret(&sim, &run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_grant_forecasts_its_expiry() {
    let sim = start("refresh-idle-expiry").await;
    let run = check(&sim, &[], None).await;
    let f = finding(&run, "REFRESH_TOKEN_EXPIRING").expect("REFRESH_TOKEN_EXPIRING");
    assert_eq!(f["severity"], "warning");
    assert_eq!(f["source"], "oauth_token");
    assert!(
        f["detail"].as_str().unwrap().contains("expires in 3 days"),
        "{f:#}"
    );
    let grants = &run.json["integration"]["grants"];
    assert_eq!(grants["count"], 1);
    assert_eq!(
        grants["grants"][0]["expiry"]["text"], "expires in 3 days",
        "{grants:#}"
    );
    assert!(grants["grants"][0].get("delete_token").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_grants_of_five_warn_of_eviction() {
    let sim = start("grant-cap").await;
    let run = check(&sim, &[], None).await;
    let f = finding(&run, "GRANT_CAP_RISK").expect("GRANT_CAP_RISK");
    assert!(f["detail"].as_str().unwrap().contains("5 of 5"), "{f:#}");
    assert_eq!(run.json["integration"]["grants"]["count"], 5);
    assert_no_secret(&sim, &run);
}
