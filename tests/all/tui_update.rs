//! The console's `update` driven directly: one message in, state and effects out. Each test
//! pins one defect of issue #12.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sagediag::engine::findings::Finding;
use sagediag::engine::{Event, Severity, Status, StepId};
use sagediag::tui::app::{App, Mode, Screen};
use sagediag::tui::form::{Field, expand_tilde, first_line};
use sagediag::tui::harness::Harness;
use sagediag::tui::msg::{Effect, Msg};
use sagediag::tui::overlay::Overlay;
use sagediag::tui::{buffer_text, ui, verdict};

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}
fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}
fn typed(app: &mut Harness, s: &str) {
    for c in s.chars() {
        app.update(key(KeyCode::Char(c)));
    }
}

fn demo_app() -> Harness {
    Harness::demo()
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
fn waiting_login(app: &mut Harness) {
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
    assert!(matches!(
        app.mode,
        Mode::Edit {
            field: Some(Field::ClientSecret),
            ..
        }
    ));
    app.update(ctrl('u'));
    app.update(Msg::Paste("s3cret\nvqrW\r\n".into()));
    assert_eq!(first_line(&app.form.client_secret), "s3cretvqrW");
    assert!(
        !app.form.reveal_secret,
        "the v in the paste revealed nothing"
    );
    assert!(
        !app.quit
            && matches!(
                app.mode,
                Mode::Edit {
                    field: Some(Field::ClientSecret),
                    ..
                }
            )
    );
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
    let mut app = Harness::new();
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Enter));
    assert!(matches!(app.mode, Mode::Edit { field: None, .. }));
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
    assert!(
        matches!(app.mode, Mode::Edit { field: None, .. }),
        "not accepted: still editing"
    );
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
    let step = |app: &mut Harness, step: StepId, status: Status| {
        app.event(Event::StepFinished {
            step,
            status,
            duration_ms: 1,
            summary: String::new(),
        });
    };
    step(&mut app, StepId::Login, Status::Fail);
    app.event(Event::Finding(Finding::new(
        sagediag::engine::Code::CLIENT_ID_INVALID,
        "bad key",
        vec![],
    )));
    assert_eq!(app.landing(), Screen::Login);
    // A new run: only the environment fails.
    app.update(key(KeyCode::Char('r')));
    step(&mut app, StepId::Environment, Status::Fail);
    assert_eq!(app.landing(), Screen::Environment);
    // A new run: every step passes, and one warning is left.
    app.update(key(KeyCode::Char('r')));
    for id in [
        StepId::Environment,
        StepId::Credentials,
        StepId::Login,
        StepId::Token,
    ] {
        step(&mut app, id, Status::Pass);
    }
    app.event(Event::Finding(Finding::new(
        sagediag::engine::Code::SYNC_KEY_PROBLEMS,
        "x",
        vec![],
    )));
    assert_eq!(app.run.findings[0].severity, Severity::Warning);
    assert_eq!(
        app.landing(),
        Screen::Findings,
        "a warning lands on Findings"
    );
    // A new run: every step passes, nothing found.
    app.update(key(KeyCode::Char('r')));
    for id in [
        StepId::Environment,
        StepId::Credentials,
        StepId::Login,
        StepId::Token,
    ] {
        step(&mut app, id, Status::Pass);
    }
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
fn request_console_has_history() {
    let mut app = demo_app();
    for line in ["GET /a", "GET /b"] {
        app.update(key(KeyCode::Char(':')));
        typed(&mut app, line);
        let fx = app.update(key(KeyCode::Enter));
        assert!(matches!(fx.as_slice(), [Effect::SendRequest { line: l, .. }] if l == line));
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
    let mut app = Harness::with(sagediag::tui::state::Prefs {
        mouse: true,
        theme: sagediag::settings::Theme::NoColor,
        ..Default::default()
    });
    app.update(Msg::DemoStarted(Ok(sagediag::tui::harness::demo_info(
        "healthy",
        Default::default(),
    ))));
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
    app.update(Msg::Say(long.to_string()));
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("held by python3") && screen.contains("paste the URL."),
        "two lines, all of it: {screen}"
    );
    app.update(Msg::Say("later".into()));
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
    app.update(key(KeyCode::Char('r')));
    assert_eq!(app.run.id, 1);
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

/// A long status message hides the key hints only until its fold (the loop sends it after a
/// few seconds); then the hints are back, the message is cut with "(m: all)", and `m` shows it
/// whole.
#[test]
fn a_long_status_gives_the_hints_back_and_stays_whole_in_m() {
    use sagediag::tui::harness::Harness;
    let mut h = Harness::demo();
    let long = format!(
        "Could not reach the org: {} end-of-message",
        "x ".repeat(70)
    );
    h.send(Msg::Say(long.clone()));
    let before = h.render(80, 24);
    let bottom: Vec<&str> = before.lines().rev().take(2).collect();
    assert!(
        !bottom.iter().any(|l| l.contains("?: help")),
        "a new long message takes both lines:\n{before}"
    );
    let seq = h.status.seq;
    h.send(Msg::FoldStatus(seq - 1));
    assert!(
        !h.render(80, 24)
            .lines()
            .rev()
            .take(2)
            .any(|l| l.contains("?: help")),
        "an older fold is ignored"
    );
    h.send(Msg::FoldStatus(seq));
    let after = h.render(80, 24);
    let bottom: Vec<&str> = after.lines().rev().take(2).collect();
    assert!(
        bottom[1].contains("?: help"),
        "the hints are back:\n{after}"
    );
    assert!(
        bottom[0].contains("(m: all)") && !bottom[0].contains("end-of-message"),
        "{after}"
    );
    h.ch('m');
    let all = h.render(120, 40);
    assert!(all.contains("end-of-message"), "m shows it whole:\n{all}");
    // A new message takes the lines again.
    h.send(Msg::Say(long));
    assert!(
        !h.render(80, 24)
            .lines()
            .rev()
            .take(2)
            .any(|l| l.contains("?: help"))
    );
}
