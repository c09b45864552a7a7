//! Salesforce as it answers in 2026, through the engine against simulated orgs on loopback: the
//! authorization error page and a legacy host's redirect end the run at once with a finding
//! (never the login time-out), a pasted error page is the login's answer, a token is never sent
//! after a redirect, and a declared app kind the org contradicts is raised.

use std::time::Duration;

use crate::common::*;
use sagediag::engine::app::AppKind;
use sagediag::engine::{self, Config, Environment, Event, Flow, Report, Status, StepId};
use sagediag::sim::Scenario;
use tokio::sync::mpsc;

fn config(sim: &Sim, flow: Flow) -> Config {
    let mut cfg = Config::new(
        Environment::parse(sim.login()).unwrap(),
        flow,
        sim.client_id(),
    );
    cfg.client_secret = Some(sim.secret());
    cfg.username = Some(sim.username().to_string());
    cfg.open_browser = false;
    // Far longer than any run below: a run that waited for it would fail the test's own
    // time-out first.
    cfg.login_timeout = Duration::from_secs(600);
    cfg
}

/// Runs the engine; returns the report (a run that does not end within 60 s fails the test).
async fn run(cfg: Config, paste: Option<mpsc::UnboundedReceiver<String>>) -> Report {
    let (tx, mut events) = mpsc::unbounded_channel::<Event>();
    let drain = tokio::spawn(async move { while events.recv().await.is_some() {} });
    let report = tokio::time::timeout(
        Duration::from_secs(60),
        engine::run(
            cfg,
            tx,
            engine::RunOptions {
                pasted: paste,
                ..Default::default()
            },
        ),
    )
    .await
    .expect("the run ended on its own, not at the login time-out")
    .report;
    drain.abort();
    report
}

fn codes(r: &Report) -> Vec<&'static str> {
    r.findings.iter().map(|f| f.code.as_str()).collect()
}

fn step(r: &Report, id: StepId) -> Status {
    r.steps.iter().find(|s| s.id == id).unwrap().status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authorization_error_page_ends_the_login_with_its_reason() {
    for (scenario, code, words) in [
        (
            "app-not-installed",
            "APP_NOT_INSTALLED",
            "app must be installed into org",
        ),
        ("app-blocked", "APP_BLOCKED", "this app is blocked by admin"),
        ("eca-not-found", "ECA_NOT_FOUND", "OAUTH_EC_APP_NOT_FOUND"),
        (
            "authorize-error-page",
            "AUTHORIZE_ERROR_PAGE",
            "OAUTH_APP_ACCESS_DENIED",
        ),
    ] {
        let sim = start(scenario).await;
        // No login hint: the login would wait for a person, had the page not answered.
        let mut cfg = config(&sim, Flow::Web);
        cfg.username = None;
        let report = run(cfg, None).await;
        assert_eq!(codes(&report), [code], "{scenario}");
        let f = &report.findings[0];
        assert!(
            f.detail.contains(words) || f.title.contains(words),
            "{scenario}: {f:?}"
        );
        assert!(
            f.detail.contains("RemoteAccessErrorPage"),
            "{scenario}: {}",
            f.detail
        );
        assert_eq!(step(&report, StepId::Login), Status::Fail);
        assert!(!codes(&report).contains(&"TIMEOUT"));
        sim.running.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pasted_error_page_is_the_logins_answer() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut sc = Scenario::load("healthy").unwrap();
    sc.app
        .callback_urls
        .push(format!("http://localhost:{port}/OauthRedirect"));
    let sim = start_with(sc).await;
    for (pasted, code) in [
        (
            "https://acme-hr.my.salesforce.com/setup/secur/RemoteAccessErrorPage.apexp?error=invalid_client&error_description=app+must+be+installed+into+org".to_string(),
            "APP_NOT_INSTALLED",
        ),
        (
            format!(
                "{}/setup/secur/RemoteAccessErrorPage.apexp?error=invalid_request&error_description=missing%20required%20code%20challenge",
                sim.login()
            ),
            "PKCE_REQUIRED",
        ),
        (
            // The page's address with no error in it: sagediag reads the page on the login host.
            format!(
                "{}/setup/secur/RemoteAccessErrorPage.apexp",
                sim.login()
            ),
            "APP_NOT_INSTALLED",
        ),
    ] {
        let mut cfg = config(&sim, Flow::Web);
        cfg.username = None;
        cfg.callback_port = port;
        let (paste, prx) = mpsc::unbounded_channel();
        paste.send(pasted.clone()).unwrap();
        let report = run(cfg, Some(prx)).await;
        assert_eq!(codes(&report), [code], "{pasted}");
        assert!(!codes(&report).contains(&"TIMEOUT"));
    }
    sim.running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_legacy_host_ends_the_run_naming_the_my_domain() {
    let sim = start("legacy-host-redirect").await;
    let report = run(config(&sim, Flow::Web), None).await;
    assert_eq!(codes(&report), ["LEGACY_HOST_REDIRECT"]);
    assert!(
        report.findings[0]
            .title
            .contains("https://acme-hr.my.salesforce.com"),
        "{}",
        report.findings[0].title
    );
    assert_eq!(step(&report, StepId::Environment), Status::Fail);
    assert_eq!(step(&report, StepId::Login), Status::Skip);
    // One request, to the legacy host; nothing followed the redirect.
    assert_eq!(report.requests.len(), 1, "{:?}", report.requests);
    sim.running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_is_never_sent_after_a_redirect() {
    // The login host is fine; the instance the token goes to is a legacy host.
    let login = start("healthy").await;
    let legacy = start("legacy-host-redirect").await;
    let mut cfg = config(&login, Flow::Token);
    cfg.access_token = Some(login.access_token().await);
    cfg.instance_url = Some(legacy.login().to_string());
    let report = run(cfg, None).await;
    assert!(
        codes(&report).contains(&"LEGACY_HOST_REDIRECT"),
        "{:?}",
        codes(&report)
    );
    assert_eq!(step(&report, StepId::Org), Status::Skip);
    assert_eq!(step(&report, StepId::Probes), Status::Skip);
    assert!(
        report
            .requests
            .iter()
            .all(|r| !r.url.contains("my.salesforce.com")),
        "{:?}",
        report.requests
    );
    login.running.stop().await;
    legacy.running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_kind_the_org_contradicts_is_a_finding() {
    let sim = start("eca-healthy").await;
    let mut cfg = config(&sim, Flow::Web);
    cfg.app_kind = Some(AppKind::ConnectedApp);
    let report = run(cfg, None).await;
    let f = report
        .findings
        .iter()
        .find(|f| f.code.as_str() == "APP_KIND_MISMATCH")
        .unwrap_or_else(|| panic!("{:?}", codes(&report)));
    assert!(f.title.contains("External Client App"), "{}", f.title);
    assert_eq!(report.app.kind, AppKind::ExternalClientApp);
    // The declared kind that matches raises nothing.
    let mut cfg = config(&sim, Flow::Web);
    cfg.app_kind = Some(AppKind::ExternalClientApp);
    assert!(!codes(&run(cfg, None).await).contains(&"APP_KIND_MISMATCH"));
    sim.running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scenario_loads_with_its_answers_section() {
    let sc = Scenario::load("concurrent-refresh").unwrap();
    assert!(sc.answers.concurrent_refresh);
    let bad = Scenario::parse("[answers]\nauthorize_error = \"a<b\"\n", "bad.toml");
    assert!(bad.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fix_plan_for_an_external_client_app_gives_its_own_metadata() {
    let sim = start("eca-pkce-required").await;
    let info = sim.running.info.clone();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_sagediag"))
            .args([
                "fix",
                "--json",
                "--no-browser",
                "--login-timeout",
                "5",
                "--pkce",
                "off",
                "--app-kind",
                "eca",
                "--env",
                &info.login_url,
                "--client-id",
                &info.client_id,
                "--username",
                &info.username,
            ])
            .stdin(std::process::Stdio::null())
            .env("SAGEDIAG_SECRETS", "/nonexistent/sagediag/secrets.json")
            .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
            .env_remove("SAGEDIAG_CLIENT_SECRET")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let fix = json["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["finding"] == "PKCE_REQUIRED")
        .unwrap_or_else(|| panic!("{json}"));
    assert_eq!(fix["kind"], "metadata");
    assert!(
        fix["target"]
            .as_str()
            .unwrap()
            .contains("The External Client App requires PKCE")
    );
    let text = fix.to_string();
    assert!(text.contains("ExtlClntAppGlobalOauthSettings"), "{text}");
    assert!(text.contains("isPkceRequired"), "{text}");
    assert!(!text.to_lowercase().contains("connectedapp"), "{text}");
    assert!(!text.to_lowercase().contains("connected app"), "{text}");
    sim.running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_authorization_header_is_refused_as_such() {
    let sim = start("healthy").await;
    let token = sim.access_token().await;
    let url = format!("{}/services/data/v67.0/limits", sim.instance());
    for header in [
        String::new(),
        "Bearer ".into(),
        format!("Basic {token}"),
        format!("bearer{token}"),
    ] {
        let resp = sim
            .http
            .get(&url)
            .header("Authorization", header.as_str())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 401, "{header:?}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body[0]["errorCode"], "INVALID_AUTH_HEADER", "{header:?}");
    }
    // No header at all: an invalid session, as Salesforce answers it; the right one works.
    let resp = sim.http.get(&url).send().await.unwrap();
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body[0]["errorCode"], "INVALID_SESSION_ID");
    assert_eq!(
        sim.get(&token, "/services/data/v67.0/limits")
            .await
            .status()
            .as_u16(),
        200
    );
    sim.running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_identity_url_and_userinfo_refuse_a_bad_token_as_salesforce_does() {
    let sim = start("healthy").await;
    let login = sim.web_login().await;
    let id = login["id"].as_str().unwrap().to_string();
    for url in [
        id.clone(),
        format!("{}/services/oauth2/userinfo", sim.instance()),
    ] {
        let resp = sim
            .http
            .get(&url)
            .bearer_auth("00Dbogus!token")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 403, "{url}");
        assert_eq!(resp.text().await.unwrap(), "Bad_OAuth_Token", "{url}");
    }
    // The engine reads it as an invalid session (the token flow with a token that is no more).
    let mut cfg = config(&sim, Flow::Token);
    cfg.access_token = Some("00Dbogus!token".into());
    cfg.instance_url = Some(sim.instance().to_string());
    let report = run(cfg, None).await;
    assert!(
        codes(&report).contains(&"SESSION_INVALID"),
        "{:?}",
        codes(&report)
    );
    assert!(
        !codes(&report).contains(&"UNEXPECTED_RESPONSE"),
        "{:?}",
        report.findings
    );
    sim.running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_with_a_trailing_slash_creates_the_record() {
    let sim = start("missing-permission-sets").await;
    let info = sim.running.info.clone();
    let admin: serde_json::Value = sim
        .http
        .post(format!("{}/services/oauth2/token", sim.login()))
        .form(&[
            ("grant_type", "password"),
            ("client_id", sim.client_id()),
            ("client_secret", &sim.secret()),
            ("username", &info.admin_username),
            ("password", &info.admin_password),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let admin = admin["access_token"].as_str().unwrap().to_string();
    let api = format!("{}/services/data/v62.0", sim.instance());
    let q: serde_json::Value = sim
        .http
        .get(format!("{api}/query"))
        .query(&[(
            "q",
            "SELECT Id FROM PermissionSet WHERE Label = 'Sage People Salaries API'",
        )])
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let set = q["records"][0]["Id"].as_str().unwrap().to_string();
    let body =
        serde_json::json!({"AssigneeId": sim.running.org.user_id18(0), "PermissionSetId": set});
    let r = sim
        .http
        .post(format!("{api}/sobjects/PermissionSetAssignment/"))
        .bearer_auth(&admin)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let created: serde_json::Value = r.json().await.unwrap();
    assert_eq!(created["success"], true);
    sim.running.stop().await;
}
