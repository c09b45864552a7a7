//! Doing no harm to the org (issue 21 §2, issue 24 §1 and §3), the real binary against simulated
//! orgs over loopback: a run gives back the tokens it obtained; a refresh token the user hands
//! in is refreshed at most once and only with consent; a rotation is kept at once, survives a
//! kill, and is said loudly.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::common::*;
use sagediag::sim::Scenario;
use serde_json::Value;

const NO_BUS: &str = "unix:path=/nonexistent/sagediag-test-bus";

fn command(sim: &Sim, extra: &[&str], secrets: &str, refresh: Option<&str>) -> Command {
    let info = &sim.running.info;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sagediag"));
    cmd.args([
        "check",
        "--json",
        "--no-browser",
        "--login-timeout",
        "5",
        "--env",
        &info.login_url,
        "--client-id",
        &info.client_id,
        "--username",
        &info.username,
    ])
    .args(extra)
    .stdin(Stdio::null())
    .env("SAGEDIAG_CLIENT_SECRET", &info.client_secret)
    .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
    .env("SAGEDIAG_SECRETS", secrets)
    .env_remove("SAGEDIAG_REFRESH_TOKEN")
    .env_remove("SSH_CONNECTION")
    .env_remove("SSH_TTY");
    if let Some(rt) = refresh {
        cmd.env("SAGEDIAG_REFRESH_TOKEN", rt);
    }
    cmd
}

async fn run(sim: &Sim, extra: &[&str], secrets: &str, refresh: Option<&str>) -> Output {
    let mut cmd = command(sim, extra, secrets, refresh);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// Refresh tokens the org still honours (neither revoked nor rotated out).
fn live_refresh_tokens(sim: &Sim) -> usize {
    sim.running
        .org
        .lock()
        .refresh
        .values()
        .filter(|t| !t.revoked && !t.rotated_out)
        .count()
}

/// Whether the org still honours this refresh token (without using it).
fn honoured(sim: &Sim, rt: &str) -> bool {
    sim.running
        .org
        .lock()
        .refresh
        .get(rt)
        .is_some_and(|t| !t.revoked && !t.rotated_out)
}

/// A private directory for a secrets file (the vault refuses a directory others may write).
fn private_dir(label: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sagediag-harm-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    dir
}

fn kept_refresh(file: &std::path::Path) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    let all: serde_json::Map<String, Value> = serde_json::from_str(&text).ok()?;
    all.iter()
        .find(|(k, _)| k.starts_with("refresh_token"))
        .and_then(|(_, v)| v.as_str().map(str::to_string))
}

/// After a web-flow check the org holds as many live grants as before, and `--json` says what
/// was revoked (kinds and outcomes, never a token).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_web_check_gives_back_its_tokens() {
    let sim = start("healthy").await;
    let integration = sim.web_login().await;
    let before = live_refresh_tokens(&sim);
    assert_eq!(before, 1);
    let grants = grants_created(&sim);
    assert_eq!(grants.len(), 1, "the integration's grant (OauthToken)");
    let dir = private_dir("web");
    let report = dir.join("report.md");
    let out = run(
        &sim,
        &["--report", report.to_str().unwrap()],
        "/nonexistent/sagediag/secrets.json",
        None,
    )
    .await;
    let j = json_of(&out);
    assert_eq!(j["outcome"], "pass", "{}", stderr(&out));
    let md = std::fs::read_to_string(&report).unwrap();
    assert!(
        md.contains("## Tokens given back")
            && md.contains("refresh token of this run's grant: revoked"),
        "{md}"
    );
    assert_eq!(
        grants_created(&sim),
        grants,
        "the org holds the same OauthToken grants as before"
    );
    assert_eq!(
        live_refresh_tokens(&sim),
        before,
        "the run's grant was revoked"
    );
    let revoked = j["revoked"].as_array().unwrap();
    assert!(
        revoked
            .iter()
            .any(|r| r["kind"] == "refresh_token" && r["outcome"] == "revoked"),
        "{revoked:?}"
    );
    assert!(revoked.iter().all(|r| r["outcome"] != "failed"));
    assert!(stderr(&out).contains("Given back: refresh token of this run's grant: revoked"));
    // The integration's own grant is untouched.
    assert!(honoured(
        &sim,
        integration["refresh_token"].as_str().unwrap()
    ));
    // With --keep-secrets the grant stays, and says so.
    let dir = private_dir("web-keep");
    let file = dir.join("secrets.json");
    let out = run(
        &sim,
        &["--keep-secrets", "file"],
        file.to_str().unwrap(),
        None,
    )
    .await;
    let j = json_of(&out);
    assert_eq!(j["revoked"][0]["outcome"], "kept", "{}", j["revoked"]);
    assert_eq!(live_refresh_tokens(&sim), before + 1);
    assert!(honoured(&sim, &kept_refresh(&file).unwrap()));
}

/// On the rotation scenarios the integration's refresh token still works after `check --flow
/// refresh` without consent (nothing is sent); with consent it is refreshed once, the new token
/// is kept at once and shown masked, and the output says the old one is retired.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_refresh_flow_never_retires_a_token_silently() {
    for scenario in ["refresh-rotation", "eca-refresh-rotation"] {
        let sim = start(scenario).await;
        let rt = sim.web_login().await["refresh_token"]
            .as_str()
            .unwrap()
            .to_string();
        let requests = sim.running.org.lock().requests;
        let out = run(
            &sim,
            &["--flow", "refresh"],
            "/nonexistent/sagediag/secrets.json",
            Some(&rt),
        )
        .await;
        assert_eq!(out.status.code(), Some(2), "{scenario}");
        let err = stderr(&out);
        assert!(err.contains("--allow-rotation"), "{err}");
        assert!(err.contains("RETIRES"), "{err}");
        assert!(
            honoured(&sim, &rt),
            "{scenario}: the token given still works"
        );
        assert_eq!(
            sim.running.org.lock().requests,
            requests,
            "{scenario}: no request reached the org"
        );
        // Consent with nowhere to put the new token is refused too.
        let out = run(
            &sim,
            &["--flow", "refresh", "--allow-rotation"],
            "/nonexistent/sagediag/secrets.json",
            Some(&rt),
        )
        .await;
        assert_eq!(out.status.code(), Some(2), "{scenario}");
        assert!(stderr(&out).contains("--keep-secrets file"));
        assert!(honoured(&sim, &rt));

        // With consent and a place: one refresh, the new token kept and shown masked.
        let dir = private_dir(scenario);
        let file = dir.join("secrets.json");
        let out = run(
            &sim,
            &[
                "--flow",
                "refresh",
                "--allow-rotation",
                "--keep-secrets",
                "file",
            ],
            file.to_str().unwrap(),
            Some(&rt),
        )
        .await;
        let j = json_of(&out);
        assert_eq!(j["outcome"], "pass", "{scenario}: {}", stderr(&out));
        let new = kept_refresh(&file).expect("the new refresh token is kept");
        assert_ne!(new, rt);
        assert!(
            honoured(&sim, &new),
            "{scenario}: the kept token is current"
        );
        assert!(!honoured(&sim, &rt), "{scenario}: the old one is retired");
        let tail: String = new
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        assert_eq!(j["rotation"]["old_retired"], true);
        assert!(
            j["rotation"]["new_refresh_token"]
                .as_str()
                .unwrap()
                .starts_with(&format!("••••{tail}")),
            "{}",
            j["rotation"]
        );
        let err = stderr(&out);
        assert!(err.contains("RETIRED"), "{err}");
        assert!(err.contains("Give the integration the new refresh token"));
        let all = format!("{}{err}", String::from_utf8_lossy(&out.stdout));
        assert!(
            !all.contains(&new) && !all.contains(&rt),
            "no token in the output"
        );
        // Refreshed once: exactly one token request, and the integration's grant is left.
        let token_requests = j["requests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| {
                r["url"]
                    .as_str()
                    .unwrap()
                    .ends_with("/services/oauth2/token")
            })
            .count();
        assert_eq!(token_requests, 1, "{scenario}: refreshed once");
        assert!(
            j["revoked"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["outcome"] == "left"),
            "{}",
            j["revoked"]
        );
        // --show-new-token hands it over once, on stderr only.
        let out = run(
            &sim,
            &["--flow", "refresh", "--allow-rotation", "--show-new-token"],
            "/nonexistent/sagediag/secrets.json",
            Some(&new),
        )
        .await;
        let j = json_of(&out);
        assert_eq!(j["outcome"], "pass");
        let err = stderr(&out);
        let shown = err
            .lines()
            .find_map(|l| {
                l.strip_prefix("New refresh token (shown once, as asked with --show-new-token): ")
            })
            .expect("shown once")
            .to_string();
        assert!(honoured(&sim, &shown));
        assert!(!String::from_utf8_lossy(&out.stdout).contains(&shown));
        assert_eq!(err.matches(&shown).count(), 1, "shown once");
    }
}

/// A kill after the rotation leaves the new token kept: the run hangs on its probes (after the
/// refresh), is killed with SIGKILL, and the file holds the token the org honours.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_after_a_rotation_leaves_the_new_token_kept() {
    let mut scenario = Scenario::load("refresh-rotation").unwrap();
    scenario.faults.hang_paths = vec!["/services/apexrest".into()];
    let sim = start_with(scenario).await;
    let rt = sim.web_login().await["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let dir = private_dir("kill");
    let file = dir.join("secrets.json");
    let mut cmd = command(
        &sim,
        &[
            "--flow",
            "refresh",
            "--allow-rotation",
            "--keep-secrets",
            "file",
        ],
        file.to_str().unwrap(),
        Some(&rt),
    );
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    // Wait until the old token is retired (the refresh answered), then a little for the keep.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while honoured(&sim, &rt) {
        assert!(
            std::time::Instant::now() < deadline,
            "the refresh never came"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The probes hang: the run is still going when it is killed.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(child.try_wait().unwrap().is_none(), "still running");
    child.kill().unwrap();
    let _ = child.wait();
    let kept = kept_refresh(&file).expect("the new token was kept before the kill");
    assert_ne!(kept, rt);
    assert!(honoured(&sim, &kept), "the kept token is the current one");
}

/// The grant-cap scenario (as h-sim ships it in assets/scenarios/grant-cap.toml): five grants
/// of the integration user for the app, the oldest in use minutes ago.
async fn grant_cap() -> Sim {
    if let Ok(sc) = Scenario::load("grant-cap") {
        return start_with(sc).await;
    }
    let dir = private_dir("grant-cap");
    let file = dir.join("grant-cap.toml");
    std::fs::write(
        &file,
        r#"name = "grant-cap"
description = "five grants for the app; the oldest is the integration's"
[[oauth_tokens]]
created_ago = "180d"
last_used_ago = "7m"
use_count = 51840
[[oauth_tokens]]
created_ago = "41d"
last_used_ago = "41d"
use_count = 2
[[oauth_tokens]]
created_ago = "33d"
last_used_ago = "33d"
use_count = 1
[[oauth_tokens]]
created_ago = "12d"
last_used_ago = "12d"
use_count = 1
[[oauth_tokens]]
created_ago = "2d"
"#,
    )
    .unwrap();
    start_with(Scenario::load(file.to_str().unwrap()).unwrap()).await
}

/// The seeded grants' creation times, oldest first.
fn grants_created(sim: &Sim) -> Vec<u64> {
    let org = sim.running.org.lock();
    let mut c: Vec<u64> = org.record.grants.iter().map(|g| g.created).collect();
    c.sort_unstable();
    c
}

/// With an admin session, `check` on grant-cap makes no token request for the integration user
/// without --allow-grant-eviction, names the grant that would go, and the integration's grant
/// (the oldest) survives; with the flag the eviction it caused is an error finding.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_five_grants_no_login_without_consent() {
    let sim = grant_cap().await;
    let before = grants_created(&sim);
    assert_eq!(before.len(), 5);
    let info = sim.running.info.clone();
    let admin = [
        "--admin-username",
        info.admin_username.as_str(),
        "--admin-flow",
        "password",
    ];
    let mut cmd = command(&sim, &admin, "/nonexistent/sagediag/secrets.json", None);
    cmd.env("SAGEDIAG_ADMIN_PASSWORD", &info.admin_password);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let j = json_of(&out);
    let codes: Vec<&str> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"GRANT_CAP_CONSENT_NEEDED"), "{codes:?}");
    assert!(!codes.contains(&"GRANT_EVICTED"));
    assert_eq!(out.status.code(), Some(1));
    let f = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "GRANT_CAP_CONSENT_NEEDED")
        .unwrap();
    let detail = f["detail"].as_str().unwrap();
    assert!(detail.contains("--allow-grant-eviction"), "{detail}");
    assert!(
        detail.contains("created ") && detail.contains("last used "),
        "{detail}"
    );
    // No token request for the integration user (the admin logs in on a client of its own).
    let token_requests = j["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["url"]
                .as_str()
                .unwrap()
                .contains("/services/oauth2/token")
        })
        .count();
    assert_eq!(token_requests, 0, "the run's own log has no token request");
    assert_eq!(grants_created(&sim), before, "every grant survives");

    // With consent: the login evicts the oldest, and says so.
    let mut cmd = command(
        &sim,
        &[&admin[..], &["--allow-grant-eviction"]].concat(),
        "/nonexistent/sagediag/secrets.json",
        None,
    );
    cmd.env("SAGEDIAG_ADMIN_PASSWORD", &info.admin_password);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let j = json_of(&out);
    let evicted = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "GRANT_EVICTED")
        .unwrap_or_else(|| panic!("{}", stderr(&out)));
    assert_eq!(evicted["severity"], "error");
    let now = grants_created(&sim);
    assert!(!now.contains(&before[0]), "the oldest was evicted");
    // This run's grant was given back at the end: four remain.
    assert_eq!(now.len(), 4, "{now:?}");
    assert!(stderr(&out).contains("this run's grant is the one created"));
}

/// Without an admin session the grants cannot be counted first: the login happens, and the
/// eviction it (may have) caused is an error finding; the run's own grant is given back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_admin_the_eviction_is_reported() {
    let sim = grant_cap().await;
    let before = grants_created(&sim);
    let out = run(&sim, &[], "/nonexistent/sagediag/secrets.json", None).await;
    let j = json_of(&out);
    assert!(
        j["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "GRANT_EVICTED" && f["severity"] == "error"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("not counted before this login"));
    let now = grants_created(&sim);
    assert!(!now.contains(&before[0]));
    assert_eq!(now.len(), 4);
}
