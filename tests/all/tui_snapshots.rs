//! Every screen and overlay rendered to ratatui's TestBackend, at 80×24 and 120×40, in passing
//! and failing states, plus the too-small notice. Fixed fixture data keeps them deterministic.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sagediag::engine::findings::Finding;
use sagediag::engine::http::Exchange;
use sagediag::engine::{ENDPOINTS, EndpointResult, Event, SAGE_BASE, Status, StepId};
use sagediag::tui::app::{App, Mode, Screen};
use sagediag::tui::form::first_line;
use sagediag::tui::inspector::Inspector;
use sagediag::tui::overlay::{Overlay, ValueView};
use sagediag::tui::ui;

fn press(app: &mut App, k: crossterm::event::KeyEvent) -> Vec<sagediag::tui::msg::Effect> {
    app.update(sagediag::tui::msg::Msg::Key(k))
}

fn demo_app() -> App {
    let mut app = App::new();
    app.prefs.color = false;
    app.set_demo(
        "healthy",
        "http://127.0.0.1:40000",
        "3MVG9SimulatedOrgSagePeopleIntegrationConsumerKey0123456789abcdefghijklmnopqrstuv",
        "5A1D4E7C9B2F",
        "integration@acme-hr.example",
    );
    app.log.path = Some("/home/user/.local/state/sagediag/sagediag.log".into());
    app
}

/// A finished run: `missing` lists the permission sets the user lacks.
fn finished(missing: &[&str]) -> App {
    let mut app = demo_app();
    app.run_started();
    let steps = [
        (
            StepId::Environment,
            "DNS 127.0.0.1 → 127.0.0.1 (0 ms); TCP 127.0.0.1:40000 (0 ms); Salesforce REST API, newest version 67.0",
        ),
        (
            StepId::Credentials,
            "consumer key 3MVG…stuv (81 chars); consumer secret given (12 chars)",
        ),
        (
            StepId::Login,
            "logged in with the web flow; instance http://localhost:40000",
        ),
        (
            StepId::Token,
            "signature verified; identity integration@acme-hr.example; refresh works",
        ),
        (
            StepId::Org,
            "5 of 7 Sage People permission sets assigned; Sage People API package 4.8.0.2",
        ),
        (StepId::Probes, "7 of 7 endpoints answered"),
    ];
    for (i, (step, summary)) in steps.iter().enumerate() {
        let status = if *step == StepId::Probes && !missing.is_empty() {
            Status::Fail
        } else {
            Status::Pass
        };
        app.on_engine(Event::StepFinished {
            step: *step,
            status,
            duration_ms: 10 * (i as u64 + 1),
            summary: summary.to_string(),
        });
    }
    app.on_engine(Event::AuthorizeUrl { url: "http://127.0.0.1:40000/services/oauth2/authorize?response_type=code&client_id=3MVG9…&redirect_uri=http%3A%2F%2Flocalhost%3A1717%2FOauthRedirect&state=abc".into(), ssh_tunnel: None });
    for i in 1..=18u64 {
        app.on_engine(Event::RequestSent {
            id: i,
            method: if i == 3 { "POST".into() } else { "GET".into() },
            url: format!("http://localhost:40000/services/data/v62.0/query?q=SELECT+{i}"),
        });
        app.on_engine(Event::ResponseReceived {
            id: i,
            status: Some(200),
            duration_ms: i * 3,
            bytes: 1000 * i as usize,
        });
    }
    for (i, def) in ENDPOINTS.iter().enumerate() {
        let miss = missing.contains(&def.permission_set);
        let e = EndpointResult {
            name: def.name,
            permission_set: def.permission_set,
            method: def.method,
            path: format!("{SAGE_BASE}/{}", def.path),
            status: if miss { Status::Fail } else { Status::Pass },
            http_status: Some(if miss {
                403
            } else if def.method == "POST" {
                400
            } else {
                200
            }),
            latency_ms: 20 + i as u64,
            records: (!miss && def.method == "GET").then_some(200),
            finding: miss.then_some(sagediag::engine::Code::PERMISSION_SET_MISSING),
            assigned: Some(!miss),
            request_id: Some(12 + i as u64),
        };
        app.on_engine(Event::Endpoint(e));
        if miss {
            app.on_engine(Event::Finding(
                Finding::new(sagediag::engine::Code::PERMISSION_SET_MISSING, format!("HTTP 403 MISSING_API_PERMISSION: The user does not have the {} permission set", def.permission_set), vec![12 + i as u64])
                    .titled(format!("Permission set not assigned: {}", def.permission_set)),
            ));
        }
    }
    let mut report_findings = app.run.findings.clone();
    report_findings.sort_by_key(|f| f.severity);
    let report = sagediag::engine::Report {
        sagediag_version: "0.1.0",
        environment: sagediag::engine::EnvironmentInfo {
            login_url: "http://127.0.0.1:40000".into(),
            kind: "custom",
            proxy: None,
            insecure_hosts: Vec::new(),
            trust_hosts: Vec::new(),
        },
        flow: sagediag::engine::Flow::Web,
        outcome: if missing.is_empty() {
            sagediag::engine::Verdict::Pass
        } else {
            sagediag::engine::Verdict::Fail
        },
        started_at: "2026-11-22T20:16:56.330Z".into(),
        instance_url: Some("http://localhost:40000".into()),
        org_id: Some("00D5g000004XyZaEAK".into()),
        steps: Vec::new(),
        endpoints: app.run.endpoints.clone(),
        findings: report_findings,
        requests: Vec::new(),
        org: sagediag::engine::OrgChecks {
            username: Some("integration@acme-hr.example".into()),
            user_id: Some("0055g0000010000AAA".into()),
            assigned_permission_sets: None,
            api_enabled: Some(true),
            package_version: Some("4.8.0.2".into()),
            refresh_token_policy: Some("Refresh token is valid until revoked".into()),
            permitted_users: Some("All users may self-authorize".into()),
            api_usage: Some((1261, 100_000)),
            skipped: Vec::new(),
        },
        scopes: Some("api refresh_token".into()),
        refresh_token_issued: Some(true),
        refresh_rotated: Some(false),
        app: Default::default(),
        coverage: Some(coverage()),
        rotation: None,
        revoked: Vec::new(),
        integration: None,
        changes: Vec::new(),
    };
    app.on_report(report);
    app
}

fn coverage() -> sagediag::engine::coverage::Coverage {
    let mut tally = sagediag::engine::coverage::Tally::default();
    for i in 0..40 {
        let email = if i % 13 == 0 {
            serde_json::Value::Null
        } else {
            serde_json::Value::from(format!("p{}@acme.example", i % 37))
        };
        tally.add(&serde_json::json!({
            "id": format!("a2G25000000{i:04}"), "fullName": "A B", "firstName": "A", "lastName": "B", "emailAddress": email,
            "hrDepartment": if i % 5 == 0 { serde_json::Value::Null } else { "Finance".into() },
            "currentEmployment": {"active": i % 7 != 0, "jobTitle": "Analyst", "name": "2020.01 #1", "startDate": "2020-01-01", "endDate": null},
            "workAddress": {"name": "Reading HQ", "line1": "1 Road", "city": "Reading", "country": "United Kingdom"}
        }));
    }
    tally.finish()
}

fn render(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| {
        ui::draw(f, app);
    })
    .unwrap();
    sagediag::tui::buffer_text(t.backend().buffer())
}

fn snap(name: &str, app: &App) {
    for (w, h) in [(80, 24), (120, 40)] {
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), render(app, w, h));
    }
}

#[test]
fn environment_screen() {
    let mut app = demo_app();
    app.screen = Screen::Environment;
    snap("environment", &app);
}

#[test]
fn connected_app_screen_masks_the_secret() {
    let mut app = demo_app();
    app.screen = Screen::ConnectedApp;
    let text = render(&app, 80, 24);
    assert!(!text.contains("5A1D4E7C9B2F"), "the secret is masked");
    assert!(
        text.contains("http://localhost:1717/OauthRedirect"),
        "the callback is shown in full"
    );
    snap("connected_app", &app);
}

#[test]
fn login_screen_passing() {
    let mut app = finished(&[]);
    app.screen = Screen::Login;
    snap("login_pass", &app);
}

#[test]
fn permissions_passing_and_failing() {
    let mut app = finished(&[]);
    app.screen = Screen::Permissions;
    snap("permissions_pass", &app);
    let mut app = finished(&["Sage People Salaries API", "Sage People Bonuses API"]);
    app.screen = Screen::Permissions;
    app.screens.permissions.selected = 2;
    let text = render(&app, 80, 24);
    assert!(text.contains("FAIL ✗ Sage People Salaries API"), "{text}");
    assert!(text.contains("PASS ✓ Sage People Employees API"));
    snap("permissions_fail", &app);
}

#[test]
fn findings_screen() {
    let mut app = finished(&["Sage People Salaries API", "Sage People Bonuses API"]);
    app.screen = Screen::Findings;
    snap("findings_fail", &app);
    let mut app = finished(&[]);
    app.screen = Screen::Findings;
    snap("findings_pass", &app);
}

#[test]
fn request_log_and_inspector() {
    let mut app = finished(&[]);
    app.screen = Screen::Permissions;
    app.log.show = true;
    app.log.focus = true;
    app.log.selected = 2;
    snap("log", &app);
    let e = Exchange {
        id: 14,
        method: "GET".into(),
        url: "http://localhost:40000/services/apexrest/spapi/v4/salaries".into(),
        request_headers: vec![("Authorization".into(), "Bearer [REDACTED]".into()), ("Accept".into(), "application/json".into())],
        request_body: None,
        status: Some(403),
        response_headers: vec![("content-type".into(), "application/json".into()), ("sforce-limit-info".into(), "api-usage=1260/100000".into())],
        response_body: Some(r#"{"error":{"code":"REQUEST_ERROR","message":"The user does not have the Sage People Salaries API permission set","target":"salaries","innererror":{"code":"MISSING_API_PERMISSION"}}}"#.into()),
        response_bytes: 170,
        body_truncated: false,
        body_dropped: false,
        duration_ms: 35,
        started_unix_ms: 0,
        error: None,
        summary: None,
    };
    let ins = Inspector::new(&e);
    assert!(
        ins.curl.contains("Bearer [REDACTED]") && ins.curl.starts_with("curl "),
        "{}",
        ins.curl
    );
    app.overlay = Overlay::Inspector(Box::new(ins));
    snap("inspector", &app);
}

#[test]
fn coverage_overlay() {
    let mut app = finished(&[]);
    app.screen = Screen::Permissions;
    assert!(render(&app, 120, 40).contains("Field coverage: 40 employees"));
    press(
        &mut app,
        crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Char('C'),
            crossterm::event::KeyModifiers::NONE,
        ),
    );
    assert!(matches!(app.overlay, Overlay::Coverage { .. }));
    let text = render(&app, 80, 24);
    assert!(
        text.contains("emailAddress")
            && text.contains("No email 4 · shared emails 1 (2 records)")
            && text.contains("leavers with email 5 of 6"),
        "{text}"
    );
    snap("coverage", &app);
}

#[test]
fn help_and_quit_overlays() {
    let mut app = demo_app();
    app.overlay = Overlay::Help { scroll: 0 };
    let text = render(&app, 80, 24);
    assert!(text.contains("sagediag.log"), "the help shows the log file");
    snap("help", &app);
    app.overlay = Overlay::ConfirmQuit;
    snap("confirm_quit", &app);
    app.overlay = Overlay::Value(ValueView::new(
        "callback URL",
        "http://localhost:1717/OauthRedirect".into(),
        false,
    ));
    snap("copied", &app);
}

#[test]
fn too_small_terminal_shows_a_notice() {
    let app = finished(&[]);
    for (w, h) in [(79, 24), (80, 22), (40, 10), (1, 1)] {
        let text = render(&app, w, h);
        if w >= 20 && h >= 3 {
            assert!(
                text.contains("Terminal too small") && text.contains("80×23"),
                "{w}x{h}: {text}"
            );
        }
    }
    // 80×23 (80×24 under a tmux status line) is enough: the whole frame, the table included.
    let text = render(&app, 80, 23);
    assert!(
        !text.contains("Terminal too small") && text.contains("Sage People Timesheets API"),
        "{text}"
    );
    insta::assert_snapshot!("too_small_60x20", render(&app, 60, 20));
}

#[test]
fn plain_mode_has_no_box_drawing_and_no_spinner() {
    let mut app = finished(&["Sage People Salaries API"]);
    app.prefs.plain = true;
    app.screen = Screen::Permissions;
    let text = render(&app, 80, 24);
    for c in ['┌', '┐', '└', '┘', '│', '─'] {
        assert!(
            !text.contains(c),
            "box drawing {c:?} in plain mode:\n{text}"
        );
    }
    assert!(text.contains("FAIL ✗ Sage People Salaries API"), "{text}");
    app.run.running = true;
    assert!(render(&app, 80, 24).contains("running"));
    insta::assert_snapshot!("plain_permissions_80x24", text);
}

/// `--insecure-host`: every screen, overlays and the too-small notice included, says so on its
/// first line; without it there is no banner.
#[test]
fn insecure_host_banner_on_every_screen() {
    let mut app = finished(&[]);
    assert!(!render(&app, 80, 24).contains("TLS verification OFF"));
    app.form.insecure_hosts = vec!["proxy.corp.example".into()];
    for screen in Screen::ALL {
        app.screen = screen;
        let text = render(&app, 80, 24);
        let first = text.lines().next().unwrap();
        assert!(
            first.contains("TLS verification OFF for proxy.corp.example"),
            "{screen:?}: {text}"
        );
        assert!(
            !text.contains("Terminal too small"),
            "80x24 still fits: {text}"
        );
    }
    app.overlay = Overlay::Help { scroll: 0 };
    assert!(
        render(&app, 80, 24)
            .lines()
            .next()
            .unwrap()
            .contains("TLS verification OFF")
    );
    app.overlay = Overlay::None;
    let small = render(&app, 60, 20);
    assert!(
        small
            .lines()
            .next()
            .unwrap()
            .contains("TLS verification OFF"),
        "{small}"
    );
    assert!(small.contains("Terminal too small"));
    app.prefs.plain = true;
    app.prefs.color = false;
    let plain = render(&app, 80, 24);
    assert!(
        plain
            .lines()
            .next()
            .unwrap()
            .contains("WARNING: TLS verification OFF"),
        "{plain}"
    );
    app.prefs.plain = false;
    app.screen = Screen::Permissions;
    insta::assert_snapshot!("insecure_banner_80x24", render(&app, 80, 24));
}

/// The Keep secrets field: memory by default; the keyring's absence is said; what was recalled
/// is listed by name, never by value.
#[test]
fn keep_secrets_field_says_where_and_what() {
    use sagediag::engine::vault::Keep;
    let mut app = demo_app();
    app.screen = Screen::ConnectedApp;
    let line = |app: &App| {
        render(app, 120, 40)
            .lines()
            .find(|l| l.contains("Keep secrets"))
            .unwrap()
            .to_string()
    };
    assert!(
        line(&app).contains("memory only  (Enter cycles)"),
        "{}",
        line(&app)
    );
    app.keep.keyring = Some(Err(sagediag::engine::vault::VaultError::Keyring(
        "no Secret Service".into(),
    )));
    assert!(
        line(&app).contains("no OS keyring here; Enter: file"),
        "{}",
        line(&app)
    );
    app.form.keep = Keep::File;
    app.form.secret_from = Some(Keep::File);
    app.form.refresh_from = Some(Keep::File);
    app.form.refresh_token = Some("5Aep861-refresh-token-value".into());
    let l = line(&app);
    assert!(l.contains("owner-only file (plain text)"), "{l}");
    assert!(l.contains("kept: secret, refresh token"), "{l}");
    assert!(
        !render(&app, 120, 40).contains("5Aep861"),
        "the refresh token is never drawn"
    );
}

/// Key styles: the default moves with arrows only (j is just a letter); vim also moves with
/// h j k l, g G; typing into a field is never translated.
#[test]
fn key_styles() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let key = |c| KeyEvent::new(c, KeyModifiers::NONE);
    let mut app = demo_app();
    app.screen = Screen::ConnectedApp;
    press(&mut app, key(KeyCode::Char('j')));
    assert_eq!(app.form.field, 0, "default style: j does not move");
    press(&mut app, key(KeyCode::Down));
    assert_eq!(app.form.field, 1);
    app.prefs.vim = true;
    press(&mut app, key(KeyCode::Char('j')));
    press(&mut app, key(KeyCode::Char('j')));
    assert_eq!(app.form.field, 3, "vim style: j moves down");
    press(&mut app, key(KeyCode::Char('k')));
    assert_eq!(app.form.field, 2);
    press(&mut app, key(KeyCode::Char('l')));
    assert_eq!(app.screen, Screen::Login, "l goes to the next step");
    press(&mut app, key(KeyCode::Char('h')));
    assert_eq!(app.screen, Screen::ConnectedApp);
    // Username (field 2): Enter edits; j and k are typed, not moves.
    press(&mut app, key(KeyCode::Enter));
    assert!(matches!(app.mode, Mode::Edit(_)));
    press(&mut app, key(KeyCode::Char('j')));
    press(&mut app, key(KeyCode::Char('k')));
    press(&mut app, key(KeyCode::Enter));
    assert!(
        first_line(&app.form.username).ends_with("jk"),
        "{}",
        first_line(&app.form.username)
    );
    assert_eq!(app.form.field, 2);
    app.overlay = Overlay::Help { scroll: 0 };
    assert!(render(&app, 80, 24).contains("down (vim)"));
}

/// A slow or dead network: the top line says which request the run is waiting on, from 3 s on.
#[test]
fn a_slow_request_is_named_on_the_top_line() {
    use std::time::{Duration, Instant};
    let mut app = demo_app();
    app.run_started();
    app.on_engine(Event::RequestSent {
        id: 7,
        method: "GET".into(),
        url: format!("http://localhost:1{SAGE_BASE}/timesheets"),
    });
    let now = Instant::now();
    app.tick(now);
    assert_eq!(app.status.waiting, None, "not yet");
    app.tick(now + Duration::from_secs(5));
    let top = render(&app, 120, 40).lines().next().unwrap().to_string();
    assert!(
        top.contains("waiting 5 s for GET /services/apexrest/spapi/v4/timesheets"),
        "{top}"
    );
    assert!(top.contains("/timesheets"), "{top}");
    app.on_engine(Event::ResponseReceived {
        id: 7,
        status: None,
        duration_ms: 30_000,
        bytes: 0,
    });
    app.tick(now + Duration::from_secs(6));
    assert_eq!(app.status.waiting, None);
}

/// Keep secrets on the form: the keyring is chosen only when one answers; where none does the
/// status says so and the next Enter offers the file; a config asking for the keyring where
/// there is none falls back to memory (said), never to the file.
#[test]
fn keep_secrets_choices_never_fall_back_to_the_file_silently() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use sagediag::engine::vault::Keep;
    use sagediag::tui::msg::{Effect, VaultMsg};
    let enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE);
    let mut app = demo_app();
    app.screen = Screen::ConnectedApp;
    app.form.field = 7;
    // Unknown: Enter asks for a probe that may choose the keyring.
    assert!(matches!(
        press(&mut app, enter).as_slice(),
        [Effect::ProbeKeyring { select: true }]
    ));
    app.update(sagediag::tui::msg::Msg::Vault(VaultMsg::Keyring {
        result: Err(sagediag::engine::vault::VaultError::Keyring(
            "no Secret Service".into(),
        )),
        select: true,
    }));
    assert_eq!(app.form.keep, Keep::Memory);
    let status = app.status.current.clone().unwrap();
    assert!(
        status.contains("No OS keyring here: no Secret Service"),
        "{status}"
    );
    assert!(press(&mut app, enter).is_empty());
    assert_eq!(app.form.keep, Keep::File, "the next Enter offers the file");
    assert!(
        app.status
            .current
            .clone()
            .unwrap()
            .contains("readable by you only")
    );
    press(&mut app, enter);
    assert_eq!(app.form.keep, Keep::Memory);

    // Where a keyring answers, Enter chooses it, then the file, then memory.
    let mut app = demo_app();
    app.screen = Screen::ConnectedApp;
    app.form.field = 7;
    press(&mut app, enter);
    app.update(sagediag::tui::msg::Msg::Vault(VaultMsg::Keyring {
        result: Ok(()),
        select: true,
    }));
    assert_eq!(app.form.keep, Keep::Keyring);
    press(&mut app, enter);
    assert_eq!(app.form.keep, Keep::File);

    // The config's keep_secrets = "keyring" where there is none: memory, and said.
    let mut app = demo_app();
    app.form.keep = Keep::Keyring;
    app.update(sagediag::tui::msg::Msg::Vault(VaultMsg::Keyring {
        result: Err(sagediag::engine::vault::VaultError::Keyring(
            "no Secret Service".into(),
        )),
        select: false,
    }));
    assert_eq!(app.form.keep, Keep::Memory);
    assert!(
        app.status
            .current
            .clone()
            .unwrap()
            .contains("cannot be honoured")
    );
}

/// Flows that need more than key and secret get a field of their own, right after the flow:
/// masked (password, refresh and access tokens) unless revealed; a missing or bad key file, or
/// the token flow without a My Domain URL, is said before anything is sent.
#[test]
fn the_flows_own_credential_field() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use sagediag::engine::Flow;
    use sagediag::tui::form::Field;
    let key = |c| KeyEvent::new(c, KeyModifiers::NONE);
    let mut app = demo_app();
    app.screen = Screen::ConnectedApp;
    assert!(!app.form.fields().contains(&Field::Credential), "web: none");
    app.form.flow = Flow::Password;
    assert_eq!(app.form.fields()[4], Field::Credential);
    app.form.field = 4;
    press(&mut app, key(KeyCode::Enter));
    for c in "Hunter2-secret".chars() {
        press(&mut app, key(KeyCode::Char(c)));
    }
    let editing = render(&app, 120, 40);
    assert!(
        !editing.contains("Hunter2"),
        "masked while typed:\n{editing}"
    );
    press(&mut app, key(KeyCode::Enter));
    let text = render(&app, 120, 40);
    assert!(text.contains("Password"), "{text}");
    assert!(!text.contains("Hunter2"), "{text}");
    assert_eq!(
        app.form.config().ok().unwrap().password.as_deref(),
        Some("Hunter2-secret")
    );
    press(&mut app, key(KeyCode::Char('v')));
    assert!(
        render(&app, 120, 40).contains("Hunter2-secret"),
        "v reveals"
    );

    app.form.flow = Flow::Jwt;
    app.form.credential = ratatui_textarea::TextArea::new(vec!["/nonexistent/key.pem".into()]);
    // A key file that is not there is the form's own error, naming the path (no run, no
    // finding with a Setup fix); a file that is there is read by the run, on its own task.
    let err = app.form.config().err().unwrap().0;
    assert!(
        err.contains("/nonexistent/key.pem") && err.contains("Private key file"),
        "{err}"
    );
    let key_path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/keys/demo-jwt.key.pem");
    app.form.credential = ratatui_textarea::TextArea::new(vec![key_path.into()]);
    let cfg = app.form.config().ok().unwrap();
    assert_eq!(
        cfg.private_key_path.as_deref(),
        Some(std::path::Path::new(key_path))
    );
    assert!(render(&app, 120, 40).contains(key_path), "a path is shown");

    app.form.flow = Flow::Token;
    app.form.credential = ratatui_textarea::TextArea::new(vec!["00Dxx!AQ4AQ".into()]);
    app.form.env = sagediag::tui::app::EnvChoice::Production;
    assert!(app.form.config().err().unwrap().0.contains("My Domain"));
}

/// A finished run on an External Client App (as eca-healthy reports it, one policy unknown).
fn eca_finished() -> App {
    use sagediag::engine::app::{AppInfo, AppKind, AppPolicies};
    let mut app = finished(&[]);
    app.form.app_kind = AppKind::ExternalClientApp;
    let sets: Vec<String> = ENDPOINTS
        .iter()
        .map(|e| e.permission_set.to_string())
        .collect();
    if let Some(r) = app.run.report.as_mut() {
        r.org.refresh_token_policy = None;
        r.org.permitted_users = None;
        r.app = AppInfo {
            kind: AppKind::ExternalClientApp,
            kind_source: Some("detected"),
            name: Some("Sage People Integration ECA".into()),
            created: Some("2026-03-02".into()),
            policies: AppPolicies {
                permitted_users: Some("Admin approved users are pre-authorized".into()),
                preauthorized_permission_sets: Some(sets),
                preauthorized_profiles: Some(Vec::new()),
                user_preauthorized: Some(true),
                refresh_token_policy: Some("Refresh token is valid until revoked".into()),
                refresh_token_validity: None,
                refresh_token_rotation: Some(false),
                pkce_required: Some(false),
                secret_required_web_server: Some(true),
                secret_required_refresh: Some(true),
                client_credentials_enabled: Some(false),
                client_credentials_run_as: Some("none".into()),
                jwt_certificate: Some(true),
                ip_relaxation: None,
                refresh_token_expiry: None,
            },
            unknown: vec!["IP relaxation: not readable by this session; look in External Client Apps Manager > [app] > Edit Policies > OAuth Policies > IP Relaxation".into()],
        };
    }
    app
}

/// Step 4 names the app's kind, name and how much of its policies were read, and keeps the
/// seven rows at 80×24; `a` lists every policy and where to look for the unknown one.
#[test]
fn the_apps_kind_name_and_policies_after_an_eca_run() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let mut app = eca_finished();
    app.screen = Screen::Permissions;
    let text = render(&app, 80, 24);
    assert!(
        text.contains("App: External Client App (detected) \"Sage People Integration ECA\""),
        "{text}"
    );
    assert!(text.contains("PASS ✓ Sage People Timesheets API"), "{text}");
    assert!(text.contains("Refresh token policy: Refresh token is valid until revoked"));
    snap("eca_permissions", &app);
    press(
        &mut app,
        KeyEvent::new(KeyCode::Char('a'), KeyModifiers::NONE),
    );
    let text = render(&app, 80, 24);
    assert!(
        text.contains("Admin approved users are pre-authorized"),
        "{text}"
    );
    assert!(
        text.contains("Edit Policies > OAuth Policies > IP"),
        "{text}"
    );
    snap("eca_app_overlay", &app);
}

/// Step 2's set-up checklist for the preset and kind of app: unmarked before a run, each line
/// marked verified / contradicted / unknown after one; `x` shows it in full; the App kind field
/// sets the run's `app_kind`.
#[test]
fn the_setup_checklist_is_marked_by_the_run() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use sagediag::engine::app::AppKind;
    use sagediag::tui::form::Field;
    let mut app = demo_app();
    app.screen = Screen::ConnectedApp;
    let text = render(&app, 80, 24);
    assert!(
        text.contains("Set-up checklist: External Client App for a custom client"),
        "{text}"
    );
    assert!(text.contains("· Create the app"), "{text}");
    // The App kind field cycles: connected app, External Client App, not declared.
    let i = app
        .form
        .fields()
        .iter()
        .position(|f| *f == Field::AppKind)
        .unwrap();
    app.form.field = i;
    let enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE);
    press(&mut app, enter);
    assert_eq!(app.form.app_kind, AppKind::ConnectedApp);
    assert_eq!(
        app.form.config().unwrap().app_kind,
        Some(AppKind::ConnectedApp)
    );
    assert!(render(&app, 80, 24).contains("Set-up checklist: connected app"));
    press(&mut app, enter);
    assert_eq!(
        app.form.config().unwrap().app_kind,
        Some(AppKind::ExternalClientApp)
    );
    press(&mut app, enter);
    assert_eq!(app.form.config().unwrap().app_kind, None);

    let mut app = eca_finished();
    app.screen = Screen::ConnectedApp;
    // StackOne's sheet: its callback was not the one this run used (unknown), PKCE off verified.
    app.form.preset = sagediag::tui::app::Preset::StackOne;
    let text = render(&app, 120, 40);
    assert!(
        text.contains("✓ Create the app — the org shows an External Client App"),
        "{text}"
    );
    assert!(text.contains("? Callback URL"), "{text}");
    snap("eca_checklist", &app);
    press(
        &mut app,
        KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE),
    );
    let text = render(&app, 120, 40);
    assert!(
        text.contains("External Client Apps Manager > [app] > Edit Settings"),
        "{text}"
    );
    snap("eca_checklist_full", &app);
}

/// The Fix overlay: the plan, the selected fix's exact request, and the confirmation (y, or any
/// other key cancels: no effect).
#[test]
fn the_fix_overlay_shows_the_request_and_asks_first() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use sagediag::engine::fix::{Fix, FixKind, Plan, PlannedRequest};
    use sagediag::tui::fix::{FixMsg, FixView, Stage};
    let mut app = finished(&["Sage People Salaries API"]);
    app.screen = Screen::Permissions;
    app.screens.permissions.selected = 2;
    app.run.session = Some(sagediag::engine::Session {
        instance_url: "http://localhost:40000".into(),
        access_token: "00D-secret-token".into(),
        refresh_token: None,
    });
    app.overlay = Overlay::Fix(Box::new(FixView::new(
        Some("Sage People Salaries API".into()),
        "admin@acme-hr.example",
    )));
    let plan = Plan {
        fixes: vec![Fix {
            kind: FixKind::Apply,
            finding: sagediag::engine::Code::PERMISSION_SET_MISSING,
            target: "Sage People Salaries API → integration@acme-hr.example".into(),
            request: Some(PlannedRequest {
                method: "POST".into(),
                url: "http://localhost:40000/services/data/v62.0/sobjects/PermissionSetAssignment".into(),
                body: serde_json::json!({"AssigneeId": "0055g0000010000AAA", "PermissionSetId": "0PS5g0000020002GAA"}),
            }),
            command: Some("sf org assign permset --name Sage_People_Salaries_API --on-behalf-of integration@acme-hr.example --target-org ADMIN".into()),
            metadata: None,
            steps: vec![],
            permission_set: Some("Sage People Salaries API".into()),
            change: Some(sagediag::engine::fix::Change::AssignPermissionSet),
        }],
        assignee_id: Some("0055g0000010000AAA".into()),
        assignee: Some("integration@acme-hr.example".into()),
    };
    app.update(sagediag::tui::msg::Msg::Fix(FixMsg::Planned {
        plan,
        may_assign: Some(true),
    }));
    press(&mut app, KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    let Overlay::Fix(v) = &app.overlay else {
        panic!()
    };
    assert!(matches!(v.stage, Stage::Confirm(_)));
    snap("fix_confirm", &app);
    assert!(!render(&app, 120, 40).contains("00D-secret-token"));
    for k in [
        KeyCode::Char('n'),
        KeyCode::Esc,
        KeyCode::Enter,
        KeyCode::Char('q'),
    ] {
        let effects = press(&mut app, KeyEvent::new(k, KeyModifiers::NONE));
        assert!(effects.is_empty(), "{k:?} sends nothing");
        let Overlay::Fix(v) = &app.overlay else {
            panic!()
        };
        assert_eq!(v.stage, Stage::Ready, "{k:?} cancels");
        press(&mut app, KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    }
    let effects = press(
        &mut app,
        KeyEvent::new(KeyCode::Char('y'), KeyModifiers::NONE),
    );
    assert!(matches!(
        effects.as_slice(),
        [sagediag::tui::msg::Effect::Fix(_)]
    ));
}
