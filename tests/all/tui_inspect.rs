//! The request log, the inspector and the mouse, driven through `update` and rendering only.
//! The log is backed by a real client's exchanges with a simulated org over loopback, handed
//! to the console as a run hands them (`Msg::RunClient`, then its events).

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sagediag::engine::http::{Bearer, Client, Request};
use sagediag::tui::app::App;
use sagediag::tui::msg::{Effect, Msg};
use sagediag::tui::{buffer_text, ui};

use crate::common;

const REQUESTS: usize = 40;
const PATH: &str = "/services/apexrest/spapi/v4/employees";

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn typed(app: &mut App, s: &str) {
    for c in s.chars() {
        app.update(key(KeyCode::Char(c)));
    }
}

/// Draws a frame at 100×30, hands its hit areas back as the loop does, returns the screen.
fn frame(app: &mut App) -> String {
    let mut t = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let mut hits = Default::default();
    let done = t.draw(|f| hits = ui::draw(f, app)).unwrap();
    let screen = buffer_text(done.buffer);
    app.update(Msg::Drawn(hits));
    screen
}

/// A left click at (column, row).
fn click(app: &mut App, column: u16, row: u16) -> Vec<Effect> {
    app.update(Msg::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column,
        row,
        modifiers: KeyModifiers::NONE,
    }))
}

/// The screen line showing request `#id` in the log, and the column it starts at.
fn row_of(screen: &str, id: u64) -> Option<(u16, u16)> {
    let tag = format!("#{id} ");
    screen.lines().enumerate().find_map(|(y, l)| {
        let at = l.find(&tag)?;
        l.contains("GET").then(|| {
            let col = l.get(..at).map_or(0, |p| p.chars().count());
            (y as u16, col as u16)
        })
    })
}

/// The ids of the requests the log shows, top to bottom.
fn shown_ids(screen: &str) -> Vec<u64> {
    (1..=REQUESTS as u64)
        .filter_map(|id| row_of(screen, id).map(|(y, _)| (y, id)))
        .fold(Vec::<(u16, u64)>::new(), |mut v, r| {
            v.push(r);
            v
        })
        .into_iter()
        .map(|(_, id)| id)
        .collect()
}

/// A console (mouse on) whose log holds `REQUESTS` GETs a real client sent to a simulated org
/// with a real session token; the token, for the curl test.
async fn console() -> (App, common::Sim, String) {
    let sim = common::start("healthy").await;
    let token = sim.access_token().await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let client = Client::new(Duration::from_secs(10), Some(tx)).unwrap();
    for _ in 0..REQUESTS {
        let mut req = Request::get(format!("{}{PATH}", sim.instance()));
        req.headers
            .push(("Accept".into(), "application/json".into()));
        req.auth = Some(Bearer::new(&token));
        let (_, r) = client.send(req).await;
        assert_eq!(r.unwrap().status, 200);
    }
    // The console's `--mouse` (a launch setting: the console starts with it).
    let mut app = App::with_prefs(sagediag::tui::state::Prefs {
        mouse: true,
        ..Default::default()
    });
    let run = app.run.id;
    app.update(Msg::RunClient { run, client });
    while let Ok(event) = rx.try_recv() {
        app.update(Msg::Engine { run, event });
    }
    (app, sim, token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_click_in_the_log_opens_the_row_under_the_pointer() {
    let (mut app, _sim, _) = console().await;
    // Shown, not focused: the log follows the newest rows.
    app.update(key(KeyCode::Char('L')));
    app.update(key(KeyCode::Tab));
    let screen = frame(&mut app);
    let ids = shown_ids(&screen);
    assert!(
        ids.len() > 3 && ids.len() < REQUESTS && ids.last() == Some(&(REQUESTS as u64)),
        "{ids:?}\n{screen}"
    );
    let target = ids[2];
    let (y, x) = row_of(&screen, target).unwrap();
    click(&mut app, x + 1, y);
    let screen = frame(&mut app);
    assert!(
        screen.contains(&format!("Request #{target} — line 1/")),
        "the row clicked opens:\n{screen}"
    );
    // Closed: the log has the keys, the row clicked is selected and still under the pointer.
    app.update(key(KeyCode::Esc));
    let screen = frame(&mut app);
    assert_eq!(row_of(&screen, target).map(|(y, _)| y), Some(y), "{screen}");

    // Focused and scrolled up: the offset counts.
    app.update(key(KeyCode::Home));
    app.update(key(KeyCode::End));
    for _ in 0..ids.len() + 5 {
        app.update(key(KeyCode::Up));
    }
    let screen = frame(&mut app);
    let ids = shown_ids(&screen);
    assert!(ids[0] > 1 && ids.len() > 3, "scrolled: {ids:?}\n{screen}");
    let target = ids[ids.len() - 2];
    let (y, x) = row_of(&screen, target).unwrap();
    click(&mut app, x, y);
    let screen = frame(&mut app);
    assert!(
        screen.contains(&format!("Request #{target} — line 1/")),
        "the row clicked opens:\n{screen}"
    );
    app.update(key(KeyCode::Esc));
    let after = frame(&mut app);
    assert_eq!(shown_ids(&after), ids, "the window stays put:\n{after}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_with_no_match_leaves_the_view_where_it_was() {
    let (mut app, _sim, _) = console().await;
    app.update(key(KeyCode::Char('L')));
    app.update(key(KeyCode::Enter));
    let screen = frame(&mut app);
    assert!(screen.contains("— line 1/"), "{screen}");
    // A page is the body as the last frame drew it: 30 rows, 28 for the inspector, less its
    // borders and its prompt line.
    app.update(key(KeyCode::PageDown));
    let screen = frame(&mut app);
    assert!(screen.contains("— line 26/"), "{screen}");
    app.update(key(KeyCode::Home));
    for _ in 0..4 {
        app.update(key(KeyCode::Down));
    }
    assert!(frame(&mut app).contains("— line 5/"));
    app.update(key(KeyCode::Char('/')));
    // A match moves the view (the first line, the URL)…
    typed(&mut app, "GET");
    let screen = frame(&mut app);
    assert!(screen.contains("— line 1/"), "{screen}");
    // …and a query with none puts it back where the search began, and says so.
    typed(&mut app, "zzz");
    let screen = frame(&mut app);
    assert!(
        screen.contains("— line 5/") && screen.contains("no match"),
        "{screen}"
    );
    app.update(key(KeyCode::Enter));
    let screen = frame(&mut app);
    assert!(
        screen.contains("— line 5/") && screen.contains("no match for 'GETzzz'"),
        "{screen}"
    );
    // n with no match: still there.
    app.update(key(KeyCode::Char('n')));
    assert!(frame(&mut app).contains("— line 5/"));
    // Esc on a search being typed puts the view back too.
    app.update(key(KeyCode::Char('/')));
    typed(&mut app, "employees");
    assert!(!frame(&mut app).contains("— line 5/"));
    app.update(key(KeyCode::Esc));
    let screen = frame(&mut app);
    assert!(screen.contains("— line 5/"), "{screen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c_in_the_inspector_copies_a_curl_that_runs_as_it_is_and_keeps_it_open() {
    let (mut app, sim, token) = console().await;
    app.update(key(KeyCode::Char('L')));
    app.update(key(KeyCode::Enter));
    let opened = frame(&mut app);
    let title = opened
        .lines()
        .find_map(|l| {
            l.find("Request #")
                .map(|at| l[at..].split(" — ").next().unwrap().to_string())
        })
        .unwrap();
    let effects = app.update(key(KeyCode::Char('c')));
    let copied: Vec<&String> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Osc52(s) => Some(s),
            _ => None,
        })
        .collect();
    let [curl] = copied.as_slice() else {
        panic!("one copy: {} effects", effects.len())
    };
    let screen = frame(&mut app);
    assert!(
        screen.contains(&title) && screen.contains("curl copied: export SF_ACCESS_TOKEN first"),
        "the inspector stays open and says so:\n{screen}"
    );
    assert!(
        !curl.contains(&token) && !curl.contains("[REDACTED]") && !screen.contains(&token),
        "{curl}"
    );
    assert!(
        curl.contains("-H \"Authorization: Bearer $SF_ACCESS_TOKEN\"")
            && curl.contains("export SF_ACCESS_TOKEN="),
        "{curl}"
    );
    let parses = std::process::Command::new("sh")
        .args(["-n", "-c", curl.as_str()])
        .status()
        .unwrap();
    assert!(parses.success(), "{curl}");
    // Run as it is (with curl installed), against the simulated org: with the variable set,
    // the org answers; without it, it refuses the request.
    let has_curl = std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_curl {
        eprintln!("skipped: curl is not installed, so the copied command is not run");
    }
    if has_curl {
        let body = run_sh(curl, &[("SF_ACCESS_TOKEN", token.as_str())]);
        let v: serde_json::Value = serde_json::from_str(&body).expect(&body);
        assert!(
            v.get("error").is_none() && !body.contains("INVALID_"),
            "{body}"
        );
        let body = run_sh(curl, &[]);
        assert!(body.contains("INVALID_"), "{body}");
    }
    drop(sim);
}

/// Runs `text` in `sh` with only `PATH` and `env` set; its stdout.
fn run_sh(text: &str, env: &[(&str, &str)]) -> String {
    let mut c = std::process::Command::new("sh");
    c.arg("-c").arg(text).env_clear();
    c.env("PATH", std::env::var_os("PATH").unwrap_or_default());
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_request_searches_from_where_it_opened_and_copies_without_its_secrets() {
    use sagediag::sim::crypto;
    let sim = common::start("healthy").await;
    let verifier = crypto::random_token(64);
    let q = sim
        .authorize_redirect(&[("code_challenge", &crypto::pkce_challenge(&verifier))])
        .await;
    let secret = sim.secret();
    let client = Client::new(Duration::from_secs(10), None).unwrap();
    let (id, r) = client
        .send(Request::post_form(
            format!("{}/services/oauth2/token", sim.login()),
            &[
                ("grant_type", "authorization_code"),
                ("code", &q["code"]),
                ("client_id", sim.client_id()),
                ("client_secret", &secret),
                ("redirect_uri", common::CALLBACK),
                ("code_verifier", &verifier),
            ],
        ))
        .await;
    let token = r.unwrap().json().unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    // A request the console sent (as `:` does) opens in the inspector when it is done.
    let mut app = App::new();
    let run = app.run.id;
    app.update(Msg::RunClient { run, client });
    app.update(Msg::ConsoleDone(id));
    let screen = frame(&mut app);
    assert!(
        screen.contains(&format!("Request #{id} — line 1/")),
        "{screen}"
    );
    // The search starts where the inspector was opened: the first line holding "token" (the
    // URL), not a later one; n goes on, N comes back.
    app.update(key(KeyCode::Char('/')));
    typed(&mut app, "token");
    let screen = frame(&mut app);
    assert!(
        screen.contains("— line 1/") && screen.contains("search:"),
        "{screen}"
    );
    app.update(key(KeyCode::Enter));
    app.update(key(KeyCode::Char('n')));
    assert!(!frame(&mut app).contains("— line 1/"));
    app.update(key(KeyCode::Char('N')));
    assert!(frame(&mut app).contains("— line 1/"));
    // The copy: no secret of the exchange, each read from its variable.
    let effects = app.update(key(KeyCode::Char('c')));
    let Some(curl) = effects.iter().find_map(|e| match e {
        Effect::Osc52(s) => Some(s.clone()),
        _ => None,
    }) else {
        panic!("no copy")
    };
    let screen = frame(&mut app);
    assert!(screen.contains(&format!("Request #{id} ")), "{screen}");
    for s in [&secret, &q["code"], &verifier, &token] {
        assert!(
            !curl.contains(s.as_str()) && !screen.contains(s.as_str()),
            "{curl}"
        );
    }
    for f in ["client_secret", "code", "code_verifier"] {
        let var = format!("SF_{}", f.to_uppercase());
        assert!(
            curl.contains(&format!("--data-urlencode \"{f}=${var}\""))
                && curl.contains(&format!("#   export {var}=")),
            "{curl}"
        );
    }
    // Run as it is with a fresh code: the org hands out a token.
    let has_curl = std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_curl {
        eprintln!("skipped: curl is not installed, so the copied command is not run");
    }
    if has_curl {
        let verifier = crypto::random_token(64);
        let q = sim
            .authorize_redirect(&[("code_challenge", &crypto::pkce_challenge(&verifier))])
            .await;
        let out = run_sh(
            &curl,
            &[
                ("SF_CLIENT_SECRET", &secret),
                ("SF_CODE", &q["code"]),
                ("SF_CODE_VERIFIER", &verifier),
            ],
        );
        let v: serde_json::Value = serde_json::from_str(&out).expect(&out);
        assert!(v["access_token"].is_string(), "{out}");
    }
}
