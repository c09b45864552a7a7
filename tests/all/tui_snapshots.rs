//! Every screen and overlay rendered to ratatui's TestBackend, at 80×24 and 120×40, in passing
//! and failing states, plus the too-small notice. Fixed fixture data keeps them deterministic.

use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sagediag::engine::findings::Finding;
use sagediag::engine::http::Exchange;
use sagediag::engine::{ENDPOINTS, EndpointResult, Event, Report, SAGE_BASE, Status, StepId};
use sagediag::settings::{KeyStyle, Settings, Theme};
use sagediag::tui::app::{App, Mode, Screen};
use sagediag::tui::form::first_line;
use sagediag::tui::harness::Harness;
use sagediag::tui::inspector::Inspector;
use sagediag::tui::msg::{Effect, Msg};
use sagediag::tui::state::Prefs;
use sagediag::tui::ui;

const LOG_FILE: &str = "/home/user/.local/state/sagediag/sagediag.log";

/// The demo org's console, as it is just after it started.
fn demo_app() -> Harness {
    Harness::demo().log_file(LOG_FILE)
}

/// A console started with these preferences and config file, on the demo org.
fn demo_with(prefs: Prefs, settings: &Settings) -> Harness {
    Harness::with_settings(prefs, settings)
        .demo_org()
        .log_file(LOG_FILE)
}

fn prefs(theme: Theme) -> Prefs {
    Prefs {
        theme,
        ..Prefs::default()
    }
}

/// A finished run: `missing` lists the permission sets the user lacks.
fn finished(missing: &[&str]) -> Harness {
    run_on(demo_app(), missing, |_| {}, None)
}

/// A run on `app` (`r`, its events, its end): `missing` lists the permission sets the user
/// lacks; `edit` changes the report before the run ends with it.
fn run_on(
    mut app: Harness,
    missing: &[&str],
    edit: impl FnOnce(&mut Report),
    session: Option<sagediag::engine::Session>,
) -> Harness {
    assert!(matches!(
        app.start_run().as_slice(),
        [Effect::StartRun { .. }]
    ));
    finish_run(app, missing, edit, session)
}

/// The started run on `app`: its events, then its end with the report (`edit` changes it first).
fn finish_run(
    mut app: Harness,
    missing: &[&str],
    edit: impl FnOnce(&mut Report),
    session: Option<sagediag::engine::Session>,
) -> Harness {
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
        app.event(Event::StepFinished {
            step: *step,
            status,
            duration_ms: 10 * (i as u64 + 1),
            summary: summary.to_string(),
        });
    }
    app.event(Event::AuthorizeUrl { url: "http://127.0.0.1:40000/services/oauth2/authorize?response_type=code&client_id=3MVG9…&redirect_uri=http%3A%2F%2Flocalhost%3A1717%2FOauthRedirect&state=abc".into(), ssh_tunnel: None });
    for i in 1..=18u64 {
        app.event(Event::RequestSent {
            id: i,
            method: if i == 3 { "POST".into() } else { "GET".into() },
            url: format!("http://localhost:40000/services/data/v62.0/query?q=SELECT+{i}"),
        });
        app.event(Event::ResponseReceived {
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
        app.event(Event::Endpoint(e));
        if miss {
            app.event(Event::Finding(
                Finding::new(sagediag::engine::Code::PERMISSION_SET_MISSING, format!("HTTP 403 MISSING_API_PERMISSION: The user does not have the {} permission set", def.permission_set), vec![12 + i as u64])
                    .titled(format!("Permission set not assigned: {}", def.permission_set)),
            ));
        }
    }
    let mut report_findings = app.run.findings.clone();
    report_findings.sort_by_key(|f| f.severity);
    let mut report = sagediag::engine::Report {
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
    edit(&mut report);
    app.finish(report, session);
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
    app.go(Screen::Environment);
    snap("environment", &app);
}

#[test]
fn connected_app_screen_masks_the_secret() {
    let mut app = demo_app();
    app.go(Screen::ConnectedApp);
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
    app.go(Screen::Login);
    snap("login_pass", &app);
}

/// Selects the `n`th row of the screen in front (Home, then Down).
fn select_row(app: &mut Harness, n: usize) {
    app.key(KeyCode::Home);
    for _ in 0..n {
        app.key(KeyCode::Down);
    }
}

#[test]
fn permissions_passing_and_failing() {
    let mut app = finished(&[]);
    app.go(Screen::Permissions);
    snap("permissions_pass", &app);
    let mut app = finished(&["Sage People Salaries API", "Sage People Bonuses API"]);
    app.go(Screen::Permissions);
    select_row(&mut app, 2);
    assert_eq!(app.screens.permissions.selected, 2);
    let text = render(&app, 80, 24);
    assert!(text.contains("FAIL ✗ Sage People Salaries API"), "{text}");
    assert!(text.contains("PASS ✓ Sage People Employees API"));
    snap("permissions_fail", &app);
}

#[test]
fn findings_screen() {
    let mut app = finished(&["Sage People Salaries API", "Sage People Bonuses API"]);
    app.go(Screen::Findings);
    snap("findings_fail", &app);
    let mut app = finished(&[]);
    app.go(Screen::Findings);
    snap("findings_pass", &app);
}

#[test]
fn request_log_and_inspector() {
    let mut app = finished(&[]);
    app.go(Screen::Permissions);
    // Tab shows and focuses the log; its third row selected.
    app.key(KeyCode::Tab);
    select_row(&mut app, 2);
    assert!(app.log.show && app.log.focus);
    assert_eq!(app.log.selected, 2);
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
        ins.curl.contains("Bearer $SF_ACCESS_TOKEN") && !ins.curl.contains("[REDACTED]"),
        "{}",
        ins.curl
    );
    app.inspect(&e);
    snap("inspector", &app);
}

#[test]
fn coverage_overlay() {
    let mut app = finished(&[]);
    app.go(Screen::Permissions);
    assert!(render(&app, 120, 40).contains("Field coverage: 40 employees"));
    app.ch('C');
    assert!(matches!(
        app.overlay,
        sagediag::tui::overlay::Overlay::Coverage { .. }
    ));
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
    app.ch('?');
    let text = render(&app, 80, 24);
    assert!(text.contains("sagediag.log"), "the help shows the log file");
    snap("help", &app);
    // q asks only while a login is in flight (the browser's callback awaited).
    let mut app = demo_app();
    app.start_run();
    app.event(Event::AuthorizeUrl {
        url: "http://127.0.0.1:40000/services/oauth2/authorize?response_type=code&client_id=3MVG9…&redirect_uri=http%3A%2F%2Flocalhost%3A1717%2FOauthRedirect&state=abc".into(),
        ssh_tunnel: None,
    });
    app.event(Event::Progress(
        "Waiting for the login: open the URL, or paste the URL the browser lands on (http://localhost:1717/OauthRedirect…).".into(),
    ));
    app.ch('q');
    assert!(!app.quit, "asked first");
    snap("confirm_quit", &app);
    // c on step 2 copies the callback URL, and shows it.
    let mut app = demo_app();
    app.go(Screen::ConnectedApp);
    assert!(matches!(app.ch('c').as_slice(), [Effect::Osc52(_)]));
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
    let plain = Harness::with(prefs(Theme::Plain))
        .demo_org()
        .log_file(LOG_FILE);
    let mut app = run_on(plain, &["Sage People Salaries API"], |_| {}, None);
    app.go(Screen::Permissions);
    let text = render(&app, 80, 24);
    for c in ['┌', '┐', '└', '┘', '│', '─'] {
        assert!(
            !text.contains(c),
            "box drawing {c:?} in plain mode:\n{text}"
        );
    }
    assert!(text.contains("FAIL ✗ Sage People Salaries API"), "{text}");
    app.start_run();
    assert!(app.run.running());
    assert!(render(&app, 80, 24).contains("running"));
    insta::assert_snapshot!("plain_permissions_80x24", text);
}

/// `--insecure-host`: every screen, overlays and the too-small notice included, says so on its
/// first line; without it there is no banner.
#[test]
fn insecure_host_banner_on_every_screen() {
    let app = finished(&[]);
    assert!(!render(&app, 80, 24).contains("TLS verification OFF"));
    let insecure = |theme: Theme| {
        let settings = Settings {
            insecure_hosts: vec!["proxy.corp.example".into()],
            theme,
            ..Settings::default()
        };
        run_on(demo_with(prefs(theme), &settings), &[], |_| {}, None)
    };
    let mut app = insecure(Theme::NoColor);
    for screen in Screen::ALL {
        app.go(screen);
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
    app.ch('?');
    assert!(
        render(&app, 80, 24)
            .lines()
            .next()
            .unwrap()
            .contains("TLS verification OFF")
    );
    app.key(KeyCode::Esc);
    assert!(matches!(app.overlay, sagediag::tui::overlay::Overlay::None));
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
    let plain = render(&insecure(Theme::Plain), 80, 24);
    assert!(
        plain
            .lines()
            .next()
            .unwrap()
            .contains("WARNING: TLS verification OFF"),
        "{plain}"
    );
    app.go(Screen::Permissions);
    insta::assert_snapshot!("insecure_banner_80x24", render(&app, 80, 24));
}

/// The Keep secrets field: memory by default; the keyring's absence is said; what was recalled
/// is listed by name, never by value.
#[test]
fn keep_secrets_field_says_where_and_what() {
    use sagediag::engine::vault::Keep;
    use sagediag::tui::msg::VaultMsg;
    let mut app = demo_app();
    app.go(Screen::ConnectedApp);
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
    app.update(Msg::Vault(VaultMsg::Keyring {
        result: Err(sagediag::engine::vault::VaultError::Keyring(
            "no Secret Service".into(),
        )),
        select: false,
    }));
    assert!(
        line(&app).contains("no OS keyring here; Enter: file"),
        "{}",
        line(&app)
    );
    // Enter on Keep secrets (the last field): the file.
    app.key(KeyCode::End);
    app.key(KeyCode::Enter);
    assert_eq!(app.form.keep, Keep::File);
    // The secret field emptied, then both secrets recalled from the file.
    select_row(&mut app, 1);
    app.key(KeyCode::Enter);
    app.ctrl('u');
    app.key(KeyCode::Enter);
    assert_eq!(first_line(&app.form.client_secret), "");
    let key = app.form.vault_key().unwrap();
    app.update(Msg::Vault(VaultMsg::Recalled {
        key,
        secret: Some(("5A1D4E7C9B2F".into(), Keep::File)),
        refresh: Some(("5Aep861-refresh-token-value".into(), Keep::File)),
        problems: Vec::new(),
        then_run: false,
    }));
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
    let mut app = demo_app();
    app.go(Screen::ConnectedApp);
    app.ch('j');
    assert_eq!(app.form.field, 0, "default style: j does not move");
    app.key(KeyCode::Down);
    assert_eq!(app.form.field, 1);
    let mut app = Harness::with(Prefs {
        keys: KeyStyle::Vim,
        ..prefs(Theme::NoColor)
    })
    .demo_org()
    .log_file(LOG_FILE);
    app.go(Screen::ConnectedApp);
    app.key(KeyCode::Down);
    assert_eq!(app.form.field, 1);
    app.ch('j');
    app.ch('j');
    assert_eq!(app.form.field, 3, "vim style: j moves down");
    app.ch('k');
    assert_eq!(app.form.field, 2);
    app.ch('l');
    assert_eq!(app.screen, Screen::Login, "l goes to the next step");
    app.ch('h');
    assert_eq!(app.screen, Screen::ConnectedApp);
    // Username (field 2): Enter edits; j and k are typed, not moves.
    app.key(KeyCode::Enter);
    assert!(matches!(app.mode, Mode::Edit { .. }));
    app.ch('j');
    app.ch('k');
    app.key(KeyCode::Enter);
    assert!(
        first_line(&app.form.username).ends_with("jk"),
        "{}",
        first_line(&app.form.username)
    );
    assert_eq!(app.form.field, 2);
    app.ch('?');
    assert!(render(&app, 80, 24).contains("down (vim)"));
}

/// A slow or dead network: the top line says which request the run is waiting on, from 3 s on.
#[test]
fn a_slow_request_is_named_on_the_top_line() {
    use std::time::{Duration, Instant};
    let mut app = demo_app();
    app.start_run();
    app.event(Event::RequestSent {
        id: 7,
        method: "GET".into(),
        url: format!("http://localhost:1{SAGE_BASE}/timesheets"),
    });
    let now = Instant::now();
    app.update(Msg::Tick(now));
    assert_eq!(app.status.waiting, None, "not yet");
    app.update(Msg::Tick(now + Duration::from_secs(5)));
    let top = render(&app, 120, 40).lines().next().unwrap().to_string();
    assert!(
        top.contains("waiting 5 s for GET /services/apexrest/spapi/v4/timesheets"),
        "{top}"
    );
    assert!(top.contains("/timesheets"), "{top}");
    app.event(Event::ResponseReceived {
        id: 7,
        status: None,
        duration_ms: 30_000,
        bytes: 0,
    });
    app.update(Msg::Tick(now + Duration::from_secs(6)));
    assert_eq!(app.status.waiting, None);
}

/// Keep secrets on the form: the keyring is chosen only when one answers; where none does the
/// status says so and the next Enter offers the file; a config asking for the keyring where
/// there is none falls back to memory (said), never to the file.
#[test]
fn keep_secrets_choices_never_fall_back_to_the_file_silently() {
    use sagediag::engine::vault::Keep;
    use sagediag::tui::msg::VaultMsg;
    let mut app = demo_app();
    app.go(Screen::ConnectedApp);
    app.key(KeyCode::End);
    // Unknown: Enter asks for a probe that may choose the keyring.
    assert!(matches!(
        app.key(KeyCode::Enter).as_slice(),
        [Effect::ProbeKeyring { select: true, .. }]
    ));
    app.update(Msg::Vault(VaultMsg::Keyring {
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
    assert!(app.key(KeyCode::Enter).is_empty());
    assert_eq!(app.form.keep, Keep::File, "the next Enter offers the file");
    assert!(
        app.status
            .current
            .clone()
            .unwrap()
            .contains("readable by you only")
    );
    app.key(KeyCode::Enter);
    assert_eq!(app.form.keep, Keep::Memory);

    // Where a keyring answers, Enter chooses it, then the file, then memory.
    let mut app = demo_app();
    app.go(Screen::ConnectedApp);
    app.key(KeyCode::End);
    app.key(KeyCode::Enter);
    app.update(Msg::Vault(VaultMsg::Keyring {
        result: Ok(()),
        select: true,
    }));
    assert_eq!(app.form.keep, Keep::Keyring);
    app.key(KeyCode::Enter);
    assert_eq!(app.form.keep, Keep::File);

    // The config's keep_secrets = "keyring" where there is none: memory, and said.
    let settings = Settings {
        keep_secrets: Some(Keep::Keyring),
        theme: Theme::NoColor,
        ..Settings::default()
    };
    let mut app = demo_with(prefs(Theme::NoColor), &settings);
    assert_eq!(app.form.keep, Keep::Keyring);
    app.update(Msg::Vault(VaultMsg::Keyring {
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

/// Step 2's field `field`: moved to with Home and Down.
fn to_field(app: &mut Harness, field: sagediag::tui::form::Field) {
    let i = app.form.fields().iter().position(|f| *f == field).unwrap();
    select_row(app, i);
    assert_eq!(app.form.field, i);
}

/// Enter on the Flow field until the form's flow is `flow`.
fn choose_flow(app: &mut Harness, flow: sagediag::engine::Flow) {
    to_field(app, sagediag::tui::form::Field::Flow);
    for _ in 0..sagediag::engine::Flow::ALL.len() {
        if app.form.flow == flow {
            return;
        }
        app.key(KeyCode::Enter);
    }
    assert_eq!(app.form.flow, flow);
}

/// Types `text` into step 2's credential field (Enter edits, Ctrl-U clears, Enter ends).
fn type_credential(app: &mut Harness, text: &str) {
    to_field(app, sagediag::tui::form::Field::Credential);
    app.key(KeyCode::Enter);
    app.ctrl('u');
    app.typed(text);
    app.key(KeyCode::Enter);
}

/// Flows that need more than key and secret get a field of their own, right after the flow:
/// masked (password, refresh and access tokens) unless revealed; a missing or bad key file, or
/// the token flow without a My Domain URL, is said before anything is sent.
#[test]
fn the_flows_own_credential_field() {
    use sagediag::engine::Flow;
    use sagediag::tui::form::Field;
    let mut app = demo_app();
    app.go(Screen::ConnectedApp);
    assert!(!app.form.fields().contains(&Field::Credential), "web: none");
    choose_flow(&mut app, Flow::Password);
    assert_eq!(app.form.fields()[4], Field::Credential);
    app.key(KeyCode::Down);
    assert_eq!(app.form.field, 4);
    app.key(KeyCode::Enter);
    app.typed("Hunter2-secret");
    let editing = render(&app, 120, 40);
    assert!(
        !editing.contains("Hunter2"),
        "masked while typed:\n{editing}"
    );
    app.key(KeyCode::Enter);
    let text = render(&app, 120, 40);
    assert!(text.contains("Password"), "{text}");
    assert!(!text.contains("Hunter2"), "{text}");
    assert_eq!(
        app.form.config().ok().unwrap().password.as_deref(),
        Some("Hunter2-secret")
    );
    app.ch('v');
    assert!(
        render(&app, 120, 40).contains("Hunter2-secret"),
        "v reveals"
    );

    choose_flow(&mut app, Flow::Jwt);
    type_credential(&mut app, "/nonexistent/key.pem");
    // A key file that is not there is the form's own error, naming the path (no run, no
    // finding with a Setup fix); a file that is there is read by the run, on its own task.
    let err = app.form.config().err().unwrap().0;
    assert!(
        err.contains("/nonexistent/key.pem") && err.contains("Private key file"),
        "{err}"
    );
    let key_path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/keys/demo-jwt.key.pem");
    type_credential(&mut app, key_path);
    let cfg = app.form.config().ok().unwrap();
    assert_eq!(
        cfg.private_key_path.as_deref(),
        Some(std::path::Path::new(key_path))
    );
    assert!(render(&app, 120, 40).contains(key_path), "a path is shown");

    choose_flow(&mut app, Flow::Token);
    type_credential(&mut app, "00Dxx!AQ4AQ");
    // Step 1: Production.
    app.go(Screen::Environment);
    app.key(KeyCode::Home);
    app.key(KeyCode::Enter);
    assert_eq!(app.form.env, sagediag::tui::app::EnvChoice::Production);
    assert!(app.form.config().err().unwrap().0.contains("My Domain"));
}

/// A finished run on an External Client App (as eca-healthy reports it, one policy unknown).
fn eca_finished() -> Harness {
    use sagediag::engine::app::{AppInfo, AppKind, AppPolicies};
    // Declared on step 2 (App kind: Enter cycles connected app, External Client App).
    let mut app = demo_app();
    app.go(Screen::ConnectedApp);
    to_field(&mut app, sagediag::tui::form::Field::AppKind);
    app.key(KeyCode::Enter);
    app.key(KeyCode::Enter);
    assert_eq!(app.form.app_kind, AppKind::ExternalClientApp);
    app.key(KeyCode::Home);
    let sets: Vec<String> = ENDPOINTS
        .iter()
        .map(|e| e.permission_set.to_string())
        .collect();
    run_on(
        app,
        &[],
        |r| {
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
        },
        None,
    )
}

/// Step 4 names the app's kind, name and how much of its policies were read, and keeps the
/// seven rows at 80×24; `a` lists every policy and where to look for the unknown one.
#[test]
fn the_apps_kind_name_and_policies_after_an_eca_run() {
    let mut app = eca_finished();
    app.go(Screen::Permissions);
    let text = render(&app, 80, 24);
    assert!(
        text.contains("App: External Client App (detected) \"Sage People Integration ECA\""),
        "{text}"
    );
    assert!(text.contains("PASS ✓ Sage People Timesheets API"), "{text}");
    assert!(text.contains("Refresh token policy: Refresh token is valid until revoked"));
    snap("eca_permissions", &app);
    app.ch('a');
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
    use sagediag::engine::app::AppKind;
    use sagediag::tui::form::Field;
    let mut app = demo_app();
    app.go(Screen::ConnectedApp);
    let text = render(&app, 80, 24);
    assert!(
        text.contains("Set-up checklist: External Client App for a custom client"),
        "{text}"
    );
    assert!(text.contains("· Create the app"), "{text}");
    // The App kind field cycles: connected app, External Client App, not declared.
    to_field(&mut app, Field::AppKind);
    app.key(KeyCode::Enter);
    assert_eq!(app.form.app_kind, AppKind::ConnectedApp);
    assert_eq!(
        app.form.config().unwrap().app_kind,
        Some(AppKind::ConnectedApp)
    );
    assert!(render(&app, 80, 24).contains("Set-up checklist: connected app"));
    app.key(KeyCode::Enter);
    assert_eq!(
        app.form.config().unwrap().app_kind,
        Some(AppKind::ExternalClientApp)
    );
    app.key(KeyCode::Enter);
    assert_eq!(app.form.config().unwrap().app_kind, None);

    let mut app = eca_finished();
    app.go(Screen::ConnectedApp);
    // StackOne's sheet: its callback was not the one this run used (unknown), PKCE off verified.
    // (Integration: Enter cycles Custom, StackOne; StackOne turns PKCE off, which this frame
    // leaves as the run had it.)
    to_field(&mut app, Field::Preset);
    app.key(KeyCode::Enter);
    assert_eq!(app.form.preset, sagediag::tui::app::Preset::StackOne);
    app.key(KeyCode::Up);
    app.key(KeyCode::Enter);
    assert!(app.form.pkce);
    app.key(KeyCode::Home);
    let text = render(&app, 120, 40);
    assert!(
        text.contains("✓ Create the app — the org shows an External Client App"),
        "{text}"
    );
    assert!(text.contains("? Callback URL"), "{text}");
    snap("eca_checklist", &app);
    app.ch('x');
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
    use sagediag::engine::fix::{Fix, FixKind, Plan, PlannedRequest};
    use sagediag::tui::fix::{FixMsg, Stage};
    use sagediag::tui::overlay::Overlay;
    // A run that logged in (its session and client kept for the fix).
    let mut app = demo_app();
    let session = sagediag::engine::Session {
        instance_url: "http://localhost:40000".into(),
        access_token: "00D-secret-token".into(),
        refresh_token: None,
    };
    let client =
        sagediag::engine::http::Client::new(std::time::Duration::from_secs(5), None).unwrap();
    let run = app.run.id + 1;
    app.start_run();
    assert_eq!(app.run.id, run);
    app.update(Msg::RunClient { run, client });
    let mut app = finish_run(app, &["Sage People Salaries API"], |_| {}, Some(session));
    app.go(Screen::Permissions);
    select_row(&mut app, 2);
    assert_eq!(app.screens.permissions.selected, 2);
    // f: the plan is asked for; the overlay waits on it.
    assert!(matches!(
        app.ch('f').as_slice(),
        [Effect::Fix { with: Some(_), .. }]
    ));
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
    app.update(Msg::Fix(FixMsg::Planned {
        plan,
        may_assign: Some(true),
    }));
    app.key(KeyCode::Enter);
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
        let effects = app.key(k);
        assert!(effects.is_empty(), "{k:?} sends nothing");
        let Overlay::Fix(v) = &app.overlay else {
            panic!()
        };
        assert_eq!(v.stage, Stage::Ready, "{k:?} cancels");
        app.key(KeyCode::Enter);
    }
    let effects = app.ch('y');
    assert!(matches!(
        effects.as_slice(),
        [Effect::Fix { with: Some(_), .. }]
    ));
}
