//! The steps' own defects (issue 22 §6), driven only through `App::update(Msg)` and rendering:
//! runs are started with `r` and fed the engine's events and results as the loop would.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sagediag::engine::findings::Finding;
use sagediag::engine::{Code, ENDPOINTS, EndpointResult, Event, SAGE_BASE, Status, StepId};
use sagediag::tui::app::{App, Screen};
use sagediag::tui::demo::{DemoInfo, DemoPreset};
use sagediag::tui::msg::{Effect, Msg};
use sagediag::tui::{buffer_text, ui};

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn render(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    let done = t
        .draw(|f| {
            ui::draw(f, app);
        })
        .unwrap();
    buffer_text(done.buffer)
}

/// A console on a (pretend) demo org: the form is filled as `sagediag demo` fills it.
fn demo_app() -> App {
    let mut app = App::new();
    app.update(Msg::DemoStarted(Ok(DemoInfo {
        scenario: "healthy".into(),
        description: "everything is set up".into(),
        login_url: "http://127.0.0.1:40000".into(),
        client_id: "3MVG9key".into(),
        client_secret: "5A1D4E7C9B2F".into(),
        username: "integration@acme-hr.example".into(),
        admin_username: String::new(),
        preset: DemoPreset::default(),
    })));
    app
}

/// `r`: the run number the console started.
fn start(app: &mut App) -> u64 {
    let effects = app.update(key(KeyCode::Char('r')));
    match effects.as_slice() {
        [Effect::StartRun { run, .. }] => *run,
        _ => panic!("r did not start a run"),
    }
}

/// Row `i` of the seven: `failing` (403, its set missing) or passing with `records`.
fn endpoint(i: usize, failing: bool, records: Option<usize>) -> EndpointResult {
    let def = &ENDPOINTS[i];
    EndpointResult {
        name: def.name,
        permission_set: def.permission_set,
        method: def.method,
        path: format!("{SAGE_BASE}/{}", def.path),
        status: if failing { Status::Fail } else { Status::Pass },
        http_status: Some(if failing { 403 } else { 200 }),
        latency_ms: 20 + i as u64,
        records: if failing { None } else { records },
        finding: failing.then_some(Code::PERMISSION_SET_MISSING),
        assigned: Some(!failing),
        request_id: Some(12 + i as u64),
    }
}

fn missing(i: usize) -> Finding {
    let set = ENDPOINTS[i].permission_set;
    Finding::new(
        Code::PERMISSION_SET_MISSING,
        format!("detail-of-row-{i}: the user does not have {set}"),
        vec![12 + i as u64],
    )
    .titled(format!("Permission set not assigned: {set}"))
    .about(set)
}

fn report(endpoints: Vec<EndpointResult>, findings: Vec<Finding>) -> sagediag::engine::Report {
    let fail = findings
        .iter()
        .any(|f| f.severity == sagediag::engine::Severity::Error);
    sagediag::engine::Report {
        sagediag_version: "0.1.0",
        environment: sagediag::engine::EnvironmentInfo {
            login_url: "http://127.0.0.1:40000".into(),
            kind: "custom",
            proxy: None,
            insecure_hosts: Vec::new(),
            trust_hosts: Vec::new(),
        },
        flow: sagediag::engine::Flow::Web,
        outcome: if fail {
            sagediag::engine::Verdict::Fail
        } else {
            sagediag::engine::Verdict::Pass
        },
        started_at: "2026-12-07T20:00:00.000Z".into(),
        instance_url: Some("http://localhost:40000".into()),
        org_id: Some("00D5g000004XyZaEAK".into()),
        steps: Vec::new(),
        endpoints,
        findings,
        requests: Vec::new(),
        org: sagediag::engine::OrgChecks {
            username: Some("integration@acme-hr.example".into()),
            user_id: Some("0055g0000010000AAA".into()),
            assigned_permission_sets: None,
            api_enabled: Some(true),
            package_version: Some("4.8.0.2".into()),
            refresh_token_policy: None,
            permitted_users: None,
            api_usage: Some((1261, 100_000)),
            skipped: Vec::new(),
        },
        scopes: Some("api refresh_token".into()),
        refresh_token_issued: Some(true),
        refresh_rotated: Some(false),
        app: Default::default(),
        coverage: None,
        rotation: None,
        revoked: Vec::new(),
        integration: None,
        changes: Vec::new(),
    }
}

/// Run `run` to its end: the steps pass (the probes fail when a row does), then each row and
/// finding arrives as an event, then the report.
fn finish(app: &mut App, run: u64, rows: Vec<EndpointResult>, findings: Vec<Finding>) {
    feed(app, run, &rows, &findings);
    app.update(Msg::RunDone {
        run,
        result: Ok(Box::new((report(rows, findings), None))),
    });
}

fn feed(app: &mut App, run: u64, rows: &[EndpointResult], findings: &[Finding]) {
    let probes = if rows.iter().any(|r| r.status == Status::Fail) {
        Status::Fail
    } else {
        Status::Pass
    };
    for step in [
        StepId::Environment,
        StepId::Credentials,
        StepId::Login,
        StepId::Token,
        StepId::Org,
        StepId::Probes,
    ] {
        app.update(Msg::Engine {
            run,
            event: Event::StepFinished {
                step,
                status: if step == StepId::Probes {
                    probes
                } else {
                    Status::Pass
                },
                duration_ms: 10,
                summary: format!("{step:?} done"),
            },
        });
    }
    for r in rows {
        app.update(Msg::Engine {
            run,
            event: Event::Endpoint(r.clone()),
        });
    }
    for f in findings {
        app.update(Msg::Engine {
            run,
            event: Event::Finding(f.clone()),
        });
    }
}

fn all_rows(failing: &[usize], records: Option<usize>) -> Vec<EndpointResult> {
    (0..ENDPOINTS.len())
        .map(|i| endpoint(i, failing.contains(&i), records))
        .collect()
}

#[test]
fn after_a_rerun_the_selected_finding_shows_its_detail() {
    let mut app = demo_app();
    let run = start(&mut app);
    finish(
        &mut app,
        run,
        all_rows(&[1, 2, 3], Some(200)),
        vec![missing(1), missing(2), missing(3)],
    );
    app.update(key(KeyCode::Char('5')));
    app.update(key(KeyCode::End));
    let screen = render(&app, 100, 30);
    assert!(screen.contains("detail-of-row-3"), "{screen}");

    // A re-run finds less: while it runs, the finding shown is one that exists, with its fix.
    let run = start(&mut app);
    app.update(key(KeyCode::Char('5')));
    feed(&mut app, run, &all_rows(&[2], Some(200)), &[missing(2)]);
    let screen = render(&app, 100, 30);
    assert!(screen.contains("detail-of-row-2"), "{screen}");
    assert!(screen.contains("Evidence: request #14"), "{screen}");
    assert!(screen.contains("Fix:"), "{screen}");

    // The run stops short of its report: the finding it found is still shown whole.
    app.update(Msg::RunDone {
        run,
        result: Err(sagediag::tui::error::RunError("the task ended".into())),
    });
    let screen = render(&app, 100, 30);
    assert!(screen.contains("detail-of-row-2"), "{screen}");

    // A complete re-run with one finding: the same, and keys act on it (Enter: its evidence).
    let run = start(&mut app);
    finish(&mut app, run, all_rows(&[4], Some(200)), vec![missing(4)]);
    app.update(key(KeyCode::Char('5')));
    let screen = render(&app, 80, 24);
    assert!(screen.contains("detail-of-row-4"), "{screen}");
    app.update(key(KeyCode::Up));
    assert!(render(&app, 80, 24).contains("detail-of-row-4"));
}

#[test]
fn step_4_lands_on_the_first_failing_row() {
    let mut app = demo_app();
    let run = start(&mut app);
    finish(
        &mut app,
        run,
        all_rows(&[2, 3], Some(200)),
        vec![missing(2), missing(3)],
    );
    assert_eq!(app.screen, Screen::Permissions, "a failed probe lands on 4");
    let screen = render(&app, 80, 24);
    let first = format!("{}: PERMISSION_SET_MISSING", ENDPOINTS[2].name);
    assert!(screen.contains(&first), "{screen}");

    // The user moves away, runs again, and this run fails elsewhere: entering step 4 after it
    // shows its first failing row, not the old selection.
    app.update(key(KeyCode::End));
    let run = start(&mut app);
    finish(&mut app, run, all_rows(&[5], Some(200)), vec![missing(5)]);
    app.update(key(KeyCode::Char('1')));
    app.update(key(KeyCode::Char('4')));
    let screen = render(&app, 80, 24);
    let first = format!("{}: PERMISSION_SET_MISSING", ENDPOINTS[5].name);
    assert!(screen.contains(&first), "{screen}");
    // Moving and coming back keeps to the rows that exist.
    app.update(key(KeyCode::Up));
    app.update(key(KeyCode::Down));
    let screen = render(&app, 80, 24);
    assert!(screen.contains(&first), "{screen}");
}

#[test]
fn record_counts_never_drop_a_digit_at_80_columns() {
    for (n, shown) in [
        (9_999, "9999"),
        (10_000, "10k"),
        (123_456, "123k"),
        (1_000_000, "1M"),
        (2_500_000_000, "2G"),
    ] {
        let mut app = demo_app();
        let run = start(&mut app);
        finish(&mut app, run, all_rows(&[], Some(n)), Vec::new());
        app.update(key(KeyCode::Char('4')));
        let screen = render(&app, 80, 24);
        let row = screen
            .lines()
            .find(|l| l.contains(ENDPOINTS[0].permission_set))
            .unwrap_or_default();
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert!(cells.contains(&shown), "{n} as {shown}: {row}");
    }
}
