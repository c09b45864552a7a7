//! The console's `update` driven directly: one message in, state and effects out. Each test
//! pins one defect of issue #12.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sagediag::engine::findings::Finding;
use sagediag::engine::{Event, Severity, Status, StepId};
use sagediag::tui::app::{App, Mode, Screen};
use sagediag::tui::form::{Field, expand_tilde, first_line};
use sagediag::tui::inspector::Inspector;
use sagediag::tui::msg::{Effect, Msg};
use sagediag::tui::overlay::Overlay;
use sagediag::tui::{buffer_text, ui, verdict};

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}
fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}
fn typed(app: &mut App, s: &str) {
    for c in s.chars() {
        app.update(key(KeyCode::Char(c)));
    }
}

fn demo_app() -> App {
    let mut app = App::new();
    app.prefs.color = false;
    app.set_demo(
        "healthy",
        "http://127.0.0.1:40000",
        "3MVG9key",
        "5A1D4E7C9B2F",
        "integration@acme-hr.example",
    );
    app
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

/// Draws a frame; returns where its regions are (what the loop hands back as `Msg::Drawn`).
fn draw(app: &App, w: u16, h: u16) -> sagediag::tui::app::HitMap {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    let mut hits = Default::default();
    t.draw(|f| hits = ui::draw(f, app)).unwrap();
    hits
}

/// A run in flight that waits for a person (the web login's paste or callback).
fn waiting_login(app: &mut App) {
    let effects = app.update(key(KeyCode::Char('r')));
    assert!(matches!(effects.as_slice(), [Effect::StartRun { .. }]));
    let run = app.run.id;
    app.update(Msg::Engine {
        run,
        event: Event::AuthorizeUrl {
            url: "http://127.0.0.1:40000/services/oauth2/authorize?x=1".into(),
            ssh_tunnel: None,
        },
    });
    app.update(Msg::Engine {
        run,
        event: Event::PasteNeeded {
            reason: "The callback port 1717 cannot be used (held by nc)".into(),
        },
    });
}

#[test]
fn a_bracketed_paste_into_the_secret_is_text_never_keys() {
    let mut app = demo_app();
    app.update(key(KeyCode::Char('2')));
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Enter));
    assert_eq!(app.mode, Mode::Edit(Some(Field::ClientSecret)));
    app.update(ctrl('u'));
    app.update(Msg::Paste("s3cret\nvqrW\r\n".into()));
    assert_eq!(first_line(&app.form.client_secret), "s3cretvqrW");
    assert!(
        !app.form.reveal_secret,
        "the v in the paste revealed nothing"
    );
    assert!(!app.quit && app.mode == Mode::Edit(Some(Field::ClientSecret)));
    let screen = render(&app, 80, 24);
    assert!(!screen.contains("s3cret"), "{screen}");
    // Outside a field, a paste never runs keys either.
    app.update(key(KeyCode::Enter));
    app.update(key(KeyCode::Char('1')));
    assert!(app.update(Msg::Paste("qrW".into())).is_empty());
    assert!(!app.quit);
}

#[test]
fn esc_puts_a_field_back_ctrl_u_clears_ctrl_w_deletes_a_word() {
    let mut app = demo_app();
    app.update(key(KeyCode::Char('2')));
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Enter));
    typed(&mut app, " more words");
    app.update(ctrl('w'));
    assert_eq!(
        first_line(&app.form.username),
        "integration@acme-hr.example more "
    );
    app.update(key(KeyCode::Esc));
    assert_eq!(
        first_line(&app.form.username),
        "integration@acme-hr.example"
    );
    app.update(key(KeyCode::Enter));
    app.update(ctrl('u'));
    assert_eq!(first_line(&app.form.username), "");
}

#[test]
fn paths_expand_tilde_and_urls_are_checked_before_use() {
    // SAFETY of the test: HOME is read, not changed.
    if let Ok(home) = std::env::var("HOME") {
        assert_eq!(expand_tilde("~/keys/a.pem"), format!("{home}/keys/a.pem"));
    }
    assert_eq!(expand_tilde("/abs/a.pem"), "/abs/a.pem");
    let mut app = App::new();
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Enter));
    assert_eq!(app.mode, Mode::Edit(None));
    typed(&mut app, "https://acme.my.salesforce.com");
    app.update(key(KeyCode::Enter));
    assert!(
        app.status
            .current
            .clone()
            .unwrap_or_default()
            .contains("twice"),
        "{:?}",
        app.status.current
    );
    assert_eq!(app.mode, Mode::Edit(None), "not accepted: still editing");
    assert!(
        sagediag::tui::keep::profile_of(&app.form).is_none_or(|_| app.form.login_url().is_err())
    );
    app.update(key(KeyCode::Esc));
    assert_eq!(first_line(&app.form.custom_url), "https://");
}

#[test]
fn a_busy_port_opens_the_paste_field_and_a_refusal_keeps_it_open() {
    let mut app = demo_app();
    app.update(key(KeyCode::Char('4')));
    waiting_login(&mut app);
    assert_eq!(app.screen, Screen::Login, "a person must act: step 3");
    assert_eq!(app.mode, Mode::Paste);
    // Typed keys go to the field, not to dispatch.
    typed(&mut app, "q");
    assert!(!app.quit);
    app.update(ctrl('u'));
    let effects = app.update(Msg::Paste("not a redirect\n".into()));
    assert!(matches!(effects.as_slice(), [Effect::Paste(s)] if s == "not a redirect"));
    let run = app.run.id;
    app.update(Msg::Engine {
        run,
        event: Event::PasteRefused {
            reason: "this is not a URL".into(),
        },
    });
    assert_eq!(app.mode, Mode::Paste, "paste mode stays open");
    assert!(
        app.status
            .current
            .clone()
            .unwrap()
            .contains("this is not a URL")
    );
    // q while the login waits asks first.
    app.update(key(KeyCode::Esc));
    app.update(key(KeyCode::Char('q')));
    assert!(matches!(app.overlay, Overlay::ConfirmQuit) && !app.quit);
}

#[test]
fn r_from_step_4_shows_the_login_and_a_finished_run_lands_on_the_failing_step() {
    let mut app = demo_app();
    app.update(key(KeyCode::Char('4')));
    app.update(key(KeyCode::Char('r')));
    assert_eq!(app.screen, Screen::Login);
    app.run.steps[2].status = Some(Status::Fail);
    app.run.findings.push(Finding::new(
        sagediag::engine::Code::CLIENT_ID_INVALID,
        "bad key",
        vec![],
    ));
    assert_eq!(app.landing(), Screen::Login);
    app.run.steps[2].status = Some(Status::Pass);
    app.run.steps[0].status = Some(Status::Fail);
    assert_eq!(app.landing(), Screen::Environment);
    app.run.steps[0].status = Some(Status::Pass);
    app.run.findings = vec![Finding::new(
        sagediag::engine::Code::SYNC_KEY_PROBLEMS,
        "x",
        vec![],
    )];
    assert_eq!(app.run.findings[0].severity, Severity::Warning);
    assert_eq!(
        app.landing(),
        Screen::Findings,
        "a warning lands on Findings"
    );
    app.run.findings.clear();
    assert_eq!(app.landing(), Screen::Permissions);
}

#[test]
fn verdicts_agree_everywhere() {
    let warn = Finding::new(sagediag::engine::Code::SYNC_KEY_PROBLEMS, "x", vec![]);
    let words = verdict::overall_words(std::slice::from_ref(&warn));
    assert_eq!(words, "PASS · 1 warning");
    assert!(!verdict::done_line(&[warn]).contains("every check passed"));
    assert_eq!(verdict::overall_words(&[]), "PASS");
    let org = sagediag::engine::OrgChecks::default();
    assert!(verdict::package(&org, &[]).starts_with("unknown"));
    // Probes fail when a probe failed, whatever the step said.
    let row = sagediag::engine::EndpointResult {
        name: "Employees",
        permission_set: "Sage People Employees API",
        method: "GET",
        path: "/x".into(),
        status: Status::Fail,
        http_status: None,
        latency_ms: 0,
        records: None,
        finding: None,
        assigned: None,
        request_id: None,
    };
    assert_eq!(
        verdict::step(StepId::Probes, Some(Status::Pass), &[row]),
        Some(Status::Fail)
    );
}

#[test]
fn inspector_search_starts_where_it_was_opened_and_says_no_match() {
    let e = sagediag::engine::http::Exchange {
        id: 7,
        method: "POST".into(),
        url: "http://127.0.0.1/services/oauth2/token".into(),
        request_headers: vec![("Content-Type".into(), "x".into())],
        request_body: Some("grant_type=authorization_code".into()),
        status: Some(200),
        response_headers: vec![],
        response_body: Some(
            r#"{"access_token":"[REDACTED]","token_type":"Bearer","id_token":"x"}"#.into(),
        ),
        response_bytes: 60,
        body_truncated: false,
        body_dropped: false,
        duration_ms: 3,
        started_unix_ms: 0,
        error: None,
        summary: None,
    };
    let mut app = demo_app();
    app.overlay = Overlay::Inspector(Box::new(Inspector::new(&e)));
    app.update(key(KeyCode::Char('/')));
    assert_eq!(app.mode, Mode::Search);
    typed(&mut app, "token");
    let Overlay::Inspector(ins) = &app.overlay else {
        panic!()
    };
    // The first line holding "token" (the URL), not the third match.
    assert_eq!(ins.scroll, 0, "{:?}", ins.line(0));
    assert_eq!(ins.found, Some(true));
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("search:"),
        "visible prompt at 80 columns:\n{screen}"
    );
    app.update(key(KeyCode::Enter));
    app.update(key(KeyCode::Char('n')));
    let Overlay::Inspector(ins) = &app.overlay else {
        panic!()
    };
    let second = ins.scroll;
    assert!(second > 0);
    app.update(key(KeyCode::Char('N')));
    let Overlay::Inspector(ins) = &app.overlay else {
        panic!()
    };
    assert_eq!(ins.scroll, 0, "N goes back");
    app.update(key(KeyCode::Char('/')));
    typed(&mut app, "zzz");
    let screen = render(&app, 80, 24);
    assert!(screen.contains("no match"), "{screen}");
}

#[test]
fn request_console_has_history() {
    let mut app = demo_app();
    for line in ["GET /a", "GET /b"] {
        app.update(key(KeyCode::Char(':')));
        typed(&mut app, line);
        let fx = app.update(key(KeyCode::Enter));
        assert!(matches!(fx.as_slice(), [Effect::SendRequest(l)] if l == line));
    }
    app.update(key(KeyCode::Char(':')));
    app.update(key(KeyCode::Up));
    assert_eq!(first_line(&app.console.input), "GET /b");
    app.update(key(KeyCode::Up));
    assert_eq!(first_line(&app.console.input), "GET /a");
    app.update(key(KeyCode::Down));
    assert_eq!(first_line(&app.console.input), "GET /b");
}

#[test]
fn a_click_on_a_tab_goes_there_with_the_mouse_on() {
    let mut app = demo_app();
    app.prefs.mouse = true;
    let hits = draw(&app, 80, 24);
    app.update(Msg::Drawn(hits));
    let tab = app.hits.tabs[3].0;
    app.update(Msg::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: tab.x + 2,
        row: tab.y,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(app.screen, Screen::Permissions);
}

#[test]
fn a_long_status_wraps_to_two_lines_and_the_history_keeps_it() {
    let mut app = demo_app();
    let long = "The callback port 1717 cannot be used (held by python3, pid 4242): address in use. Log in with the URL above, then paste the URL.";
    app.say(long);
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("held by python3") && screen.contains("paste the URL."),
        "two lines, all of it: {screen}"
    );
    app.say("later");
    app.update(key(KeyCode::Char('m')));
    let screen = render(&app, 80, 24);
    assert!(screen.contains("Messages (2)") && screen.contains("held by python3"));
}

#[test]
fn the_login_step_scrolls_and_says_there_is_more() {
    let mut app = demo_app();
    waiting_login(&mut app);
    let run = app.run.id;
    for (i, id) in [StepId::Environment, StepId::Credentials]
        .iter()
        .enumerate()
    {
        app.update(Msg::Engine {
            run,
            event: Event::StepFinished {
                step: *id,
                status: Status::Pass,
                duration_ms: i as u64,
                summary: "a long summary ".repeat(30),
            },
        });
    }
    let screen = render(&app, 80, 24);
    assert!(screen.contains("more"), "{screen}");
    app.update(key(KeyCode::Esc));
    app.update(key(KeyCode::End));
    let screen = render(&app, 80, 24);
    assert!(screen.contains("top (Home)"), "{screen}");
    insta::assert_snapshot!("login_scrolled_80x24", screen);
}

/// The console's log file shows values: a response's status as `200`, never `Some(200)`, and a
/// request that got no answer says so.
#[test]
fn the_log_shows_values_not_options() {
    let mut app = demo_app();
    let effects = app.update(key(KeyCode::Char('r')));
    assert!(matches!(effects.as_slice(), [Effect::StartRun { .. }]));
    let run = app.run.id;
    let logged = |effects: Vec<Effect>| -> Vec<String> {
        effects
            .into_iter()
            .filter_map(|e| match e {
                Effect::Log(l) => Some(l),
                _ => None,
            })
            .collect()
    };
    for (status, says) in [(Some(200), "-> 200 ("), (None, "-> no answer (")] {
        let lines = logged(app.update(Msg::Engine {
            run,
            event: Event::ResponseReceived {
                id: 7,
                status,
                duration_ms: 12,
                bytes: 345,
            },
        }));
        assert!(
            lines
                .iter()
                .any(|l| l.contains(says) && !l.contains("Some(")),
            "{lines:?}"
        );
    }
}

/// The console never advises a command-line option: a finding whose fix names
/// `--admin-username` (GRANT_EVICTED) or `--allow-grant-eviction` shows the console's own way,
/// and a callback port that cannot be used names no `--callback-port` and no `ssh -L` tunnel.
#[test]
fn the_console_never_advises_a_cli_flag() {
    let mut app = demo_app();
    app.run.id = 1;
    for code in [
        sagediag::engine::Code::GRANT_EVICTED,
        sagediag::engine::Code::GRANT_CAP_CONSENT_NEEDED,
        sagediag::engine::Code::FIX_NOT_PERMITTED,
    ] {
        app.update(Msg::Engine {
            run: 1,
            event: Event::Finding(Finding::new(code, "x", vec![])),
        });
    }
    assert_eq!(app.run.findings.len(), 3);
    for f in &app.run.findings {
        let text = format!("{} {} {}", f.title, f.detail, f.fix.join(" "));
        assert!(
            !text.contains("--admin-") && !text.contains("--allow-"),
            "{}: {text}",
            f.code
        );
    }
    assert!(
        app.run.findings[0].fix.join(" ").contains("Fix overlay"),
        "{:?}",
        app.run.findings[0].fix
    );
    app.update(Msg::Engine {
        run: 1,
        event: Event::AuthorizeUrl {
            url: "https://login.salesforce.com/services/oauth2/authorize?x".into(),
            ssh_tunnel: Some("ssh -L 1717:localhost:1717 <this host>".into()),
        },
    });
    app.update(Msg::Engine {
        run: 1,
        event: Event::PasteNeeded {
            reason: "The callback port 1717 cannot be used: busy. Log in with the URL above, then paste the URL the browser lands on (it will not load). Or run again with another port registered as a callback URL of the app (--callback-port N with http://localhost:N/OauthRedirect).".into(),
        },
    });
    assert_eq!(
        app.run.ssh_tunnel, None,
        "no tunnel to a port that cannot be used"
    );
    let said = app.screens.login.paste_reason.clone().unwrap_or_default();
    assert!(
        !said.contains("--callback-port") && said.contains("callback_port = N in the config file"),
        "{said}"
    );
}
