//! Each shipped scenario reproduces its pitfall; bad scenario files fail cleanly; the real
//! `sagediag sim` binary prints its JSON line, answers, and stops on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::common::*;
use reqwest::StatusCode;
use sagediag::sim::Scenario;
use sagediag::sim::scenario::SHIPPED;
use serde_json::Value;

/// What a client meets at each step, in a few words.
#[derive(Debug, Default)]
struct Seen {
    authorize: String,
    exchange: String,
    refresh: String,
    employees: u16,
    salaries: u16,
    bonuses: u16,
    password: String,
    client_credentials: String,
}

fn outcome(status: StatusCode, body: &Value) -> String {
    if status == StatusCode::OK {
        "ok".into()
    } else {
        format!(
            "{}: {}",
            body["error"].as_str().unwrap_or("?"),
            body["error_description"].as_str().unwrap_or("")
        )
    }
}

/// Walks the journey a client takes, without PKCE (as StackOne does), with the secret the
/// simulator hands out.
async fn observe(sim: &Sim) -> Seen {
    let mut seen = Seen::default();
    let callback = CALLBACK.to_string();
    let resp = sim.authorize(&[("redirect_uri", &callback)]).await;
    if resp.status() != StatusCode::FOUND {
        seen.authorize = format!(
            "{} page: {}",
            resp.status().as_u16(),
            resp.text().await.unwrap()
        );
        return seen;
    }
    let q = query_of(resp.headers()["location"].to_str().unwrap());
    let Some(code) = q.get("code") else {
        seen.authorize = format!("{}: {}", q["error"], q["error_description"]);
        return seen;
    };
    seen.authorize = "ok".into();
    let secret = sim.running.info.client_secret.clone();
    let (status, tok, _) = sim
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", sim.client_id()),
            ("client_secret", &secret),
            ("redirect_uri", &callback),
        ])
        .await;
    seen.exchange = outcome(status, &tok);
    let (status, body, _) = sim
        .token(&[
            ("grant_type", "password"),
            ("client_id", sim.client_id()),
            ("client_secret", &sim.secret()),
            ("username", sim.username()),
            ("password", &sim.running.info.password),
        ])
        .await;
    seen.password = outcome(status, &body);
    let (status, body, _) = sim
        .token_at(
            sim.instance(),
            &[
                ("grant_type", "client_credentials"),
                ("client_id", sim.client_id()),
                ("client_secret", &sim.secret()),
            ],
        )
        .await;
    seen.client_credentials = outcome(status, &body);
    if status != StatusCode::OK && tok.get("access_token").is_none() {
        return seen;
    }
    let token = tok["access_token"]
        .as_str()
        .or(body["access_token"].as_str())
        .unwrap()
        .to_string();
    seen.refresh = match tok["refresh_token"].as_str() {
        None => "none issued".into(),
        Some(r) => {
            let (status, body, _) = sim
                .token(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", r),
                    ("client_id", sim.client_id()),
                    ("client_secret", &sim.secret()),
                ])
                .await;
            outcome(status, &body)
        }
    };
    for (endpoint, slot) in [
        ("employees", &mut seen.employees),
        ("salaries", &mut seen.salaries),
        ("bonuses", &mut seen.bonuses),
    ] {
        *slot = sim
            .get(&token, &format!("/services/apexrest/spapi/v4/{endpoint}"))
            .await
            .status()
            .as_u16();
    }
    seen
}

#[tokio::test]
async fn every_shipped_scenario_loads_and_is_documented() {
    assert_eq!(SHIPPED.len(), 31);
    for (name, _) in SHIPPED {
        let sc = Scenario::load(name).unwrap();
        assert_eq!(sc.name, *name);
        assert!(
            !sc.description.is_empty() && !sc.pitfall.is_empty(),
            "{name}"
        );
        let doc = include_str!("../../docs/simulator.md");
        assert!(
            doc.contains(&format!("`{name}`")),
            "docs/simulator.md lists {name}"
        );
    }
}

#[tokio::test]
async fn each_scenario_reproduces_its_pitfall() {
    let mut failures = Vec::new();
    for (name, _) in SHIPPED {
        let sim = start(name).await;
        let s = observe(&sim).await;
        let ok = match *name {
            "healthy" | "sandbox-healthy" => {
                s.authorize == "ok"
                    && s.exchange == "ok"
                    && s.refresh == "ok"
                    && s.employees == 200
                    && s.salaries == 200
                    && s.password == "ok"
                    && s.client_credentials == "ok"
            }
            "pkce-required" => s.authorize == "invalid_request: missing required code challenge",
            "missing-permission-sets" => {
                s.employees == 200 && s.salaries == 403 && s.bonuses == 403
            }
            "no-permission-sets" => s.exchange == "ok" && s.employees == 403 && s.salaries == 403,
            "no-refresh-scope" => {
                s.exchange == "ok" && s.refresh == "none issued" && s.employees == 200
            }
            "refresh-expires-immediately" => {
                s.refresh == "invalid_grant: expired access/refresh token"
            }
            "refresh-rotation" => s.refresh == "ok",
            "package-not-installed" => s.exchange == "ok" && s.employees == 404,
            "api-disabled-for-user" | "api-disabled-for-org" | "api-limit-exhausted" => {
                s.exchange == "ok" && s.employees == 403
            }
            "secret-required" => s.exchange == "invalid_client: invalid client credentials",
            "callback-mismatch" => s
                .authorize
                .starts_with("400 page: error=redirect_uri_mismatch"),
            "admin-approval-required" => {
                s.exchange == "invalid_app_access: user is not admin approved to access this app"
            }
            "app-not-installed" => s.authorize == "invalid_client: app must be installed into org",
            "client-credentials-no-run-as-user" => {
                s.client_credentials == "invalid_grant: no client credentials user enabled"
                    && s.exchange == "ok"
            }
            "username-password-disabled" => {
                s.password == "invalid_grant: authentication failure" && s.exchange == "ok"
            }
            "slow-org" => s.employees == 200,
            "flaky-org" => s.exchange == "ok",
            "proxy-html" => s.exchange == "ok" && s.employees == 200,
            "eca-healthy" | "eca-refresh-rotation" => {
                s.authorize == "ok" && s.exchange == "ok" && s.refresh == "ok" && s.employees == 200
            }
            "eca-not-preauthorized" => {
                s.exchange == "invalid_app_access: user is not admin approved to access this app"
            }
            "eca-pkce-required" => {
                s.authorize == "invalid_request: missing required code challenge"
            }
            "eca-secret-required-for-refresh" => s.exchange == "ok",
            "eca-client-credentials-disabled" => {
                s.client_credentials == "unsupported_grant_type: grant type not supported"
                    && s.exchange == "ok"
            }
            "integration-history" | "refresh-idle-expiry" => {
                s.authorize == "ok" && s.exchange == "ok" && s.refresh == "ok" && s.employees == 200
            }
            // The sixth grant: it works, and evicts the integration's (tests/all/sim_record.rs).
            "grant-cap" => s.exchange == "ok" && s.refresh == "ok",
            "user-frozen" => {
                s.exchange == "invalid_grant: inactive user"
                    && s.password == "invalid_grant: inactive user"
            }
            other => panic!("no expectation for {other}"),
        };
        if !ok {
            failures.push(format!("{name}: {s:?}"));
        }
        sim.running.stop().await;
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn invalid_scenario_files_fail_with_file_line_and_field() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid_scenarios");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let src = std::fs::read_to_string(&path).unwrap();
        let expect = src
            .lines()
            .next()
            .unwrap()
            .strip_prefix("# expect: ")
            .expect("first line: # expect: …");
        let err = Scenario::load(path.to_str().unwrap()).expect_err(&path.display().to_string());
        let text = err.to_string();
        assert!(
            text.starts_with(path.to_str().unwrap()),
            "names the file: {text}"
        );
        assert!(
            text.contains(expect.trim_end()),
            "{}: expected `{expect}` in `{text}`",
            path.display()
        );
        n += 1;
    }
    assert!(n >= 10);
    let err = Scenario::load("no-such-scenario").unwrap_err().to_string();
    assert!(err.contains("shipped: healthy"), "{err}");
}

#[tokio::test]
async fn the_sim_binary_prints_its_json_line_serves_and_stops_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sagediag"))
        .args(["sim", "--scenario", "missing-permission-sets"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let info: Value = serde_json::from_str(&line).expect("one JSON line");
    for key in [
        "login_url",
        "instance_url",
        "client_id",
        "client_secret",
        "username",
        "password",
        "callback_url",
        "scenario",
    ] {
        assert!(info[key].is_string(), "{key} in {line}");
    }
    assert_eq!(info["scenario"], "missing-permission-sets");
    let login = info["login_url"].as_str().unwrap();
    assert!(login.starts_with("http://127.0.0.1:"));
    let versions: Value = reqwest::get(format!("{login}/services/data/"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // v31.0 (the oldest not retired) to v67.0.
    assert_eq!(versions.as_array().unwrap().len(), 37);
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "exit status {:?}", out.status);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("GET /services/data/ -> 200"), "{stderr}");
    assert!(!stderr.contains(info["client_secret"].as_str().unwrap()));

    let list = Command::new(env!("CARGO_BIN_EXE_sagediag"))
        .args(["sim", "--list"])
        .output()
        .unwrap();
    let text = String::from_utf8(list.stdout).unwrap();
    assert_eq!(text.lines().count(), 31);
    assert!(
        text.lines()
            .any(|l| l.starts_with("pkce-required ") && l.contains("PKCE"))
    );

    let bad = Command::new(env!("CARGO_BIN_EXE_sagediag"))
        .args([
            "sim",
            "--scenario",
            "tests/invalid_scenarios/wrong-type.toml",
        ])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8(bad.stderr).unwrap();
    assert!(
        err.contains("wrong-type.toml:4: field `require_pkce`"),
        "{err}"
    );
}
