//! The real event loop, driven by injected key events against simulated orgs over loopback,
//! rendering to a TestBackend: environment, credentials, login, permissions, log, inspector.

use std::time::Duration;

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sagediag::tui::app::App;
use sagediag::tui::{Ctx, run_loop};
use tokio::sync::{mpsc, watch};

#[path = "../../src/demo_org.rs"]
pub(crate) mod demo_org;

/// The real loop on a demo org: keys in, frames out (also used by `tui_fix`).
pub(crate) struct Driver {
    keys: mpsc::UnboundedSender<std::io::Result<TermEvent>>,
    frames: watch::Receiver<String>,
    task: tokio::task::JoinHandle<(std::io::Result<()>, Ctx)>,
}

impl Driver {
    async fn start(scenario: &str) -> Driver {
        Driver::start_with(scenario, |_| {}).await
    }

    async fn start_with(scenario: &str, setup: impl FnOnce(&mut App)) -> Driver {
        Driver::start_on(Box::new(demo_org::SimDemo::default()), scenario, setup).await
    }

    async fn start_on(
        org: Box<dyn sagediag::tui::demo::DemoOrg>,
        scenario: &str,
        setup: impl FnOnce(&mut App),
    ) -> Driver {
        Driver::start_in(org, scenario, setup, None).await
    }

    /// A console whose `W` writes into `export_dir`.
    async fn start_in(
        org: Box<dyn sagediag::tui::demo::DemoOrg>,
        scenario: &str,
        setup: impl FnOnce(&mut App),
        export_dir: Option<std::path::PathBuf>,
    ) -> Driver {
        Driver::start_at(org, scenario, setup, export_dir, (100, 32)).await
    }

    /// A console on `scenario` drawn at `w`×`h`.
    pub(crate) async fn start_sized(
        scenario: &str,
        (w, h): (u16, u16),
        setup: impl FnOnce(&mut App),
    ) -> Driver {
        let org = Box::new(demo_org::SimDemo::default());
        Driver::start_at(org, scenario, setup, None, (w, h)).await
    }

    async fn start_at(
        org: Box<dyn sagediag::tui::demo::DemoOrg>,
        scenario: &str,
        setup: impl FnOnce(&mut App),
        export_dir: Option<std::path::PathBuf>,
        (w, h): (u16, u16),
    ) -> Driver {
        let mut app = App::new();
        app.prefs.set_theme(sagediag::settings::Theme::NoColor);
        let mut ctx = Ctx::with_demo(org);
        ctx.export_dir = export_dir;
        ctx.start_demo(&mut app, scenario).await.unwrap();
        setup(&mut app);
        let (ftx, frames) = watch::channel(String::new());
        ctx.frames = Some(ftx);
        let (keys, rx) = mpsc::unbounded_channel();
        let input =
            futures_util::stream::unfold(
                rx,
                |mut rx| async move { rx.recv().await.map(|e| (e, rx)) },
            );
        let task = tokio::spawn(async move {
            let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
            let r = run_loop(&mut terminal, &mut app, &mut ctx, Box::pin(input)).await;
            (r, ctx)
        });
        Driver { keys, frames, task }
    }

    /// `q`, then the loop must end cleanly; the demo org stops.
    pub(crate) async fn quit(self) {
        self.key(KeyCode::Char('q'));
        let (result, mut ctx) = tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("the loop ends on q")
            .unwrap();
        result.unwrap();
        ctx.stop().await;
    }

    pub(crate) fn key(&self, code: KeyCode) {
        self.send(KeyEvent::new(code, KeyModifiers::NONE));
    }

    pub(crate) fn send(&self, k: KeyEvent) {
        self.keys.send(Ok(TermEvent::Key(k))).unwrap();
    }

    /// Waits until the screen contains `text` (or fails with the last screen).
    pub(crate) async fn expect(&mut self, text: &str) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.frames.borrow_and_update().clone();
            if screen.contains(text) {
                return screen;
            }
            if tokio::time::timeout_at(deadline, self.frames.changed())
                .await
                .is_err()
            {
                panic!("the screen never showed {text:?}; last screen:\n{screen}");
            }
        }
    }
}

async fn journey(scenario: &str, expect_pass: usize, missing: &[&str]) {
    let mut d = Driver::start(scenario).await;
    // 1 Environment: the demo org is listed; choose it.
    d.expect("Demo org").await;
    d.key(KeyCode::Enter);
    // 2 Connected app: key, masked secret, callback to register.
    let screen = d.expect("Callback URL to register").await;
    assert!(screen.contains("•••") && screen.contains("http://localhost:1717/OauthRedirect"));
    // 3 Login: run; every step reported.
    d.key(KeyCode::Char('r'));
    d.expect("Authorize URL").await;
    // 4 Permissions: the table arrives when the run ends.
    let screen = d.expect(&format!("{expect_pass} of 7 pass")).await;
    for set in [
        "Employees",
        "Pay Details",
        "Salaries",
        "Bonuses",
        "Absences",
        "Absence Balances",
        "Timesheets",
    ] {
        let row = screen
            .lines()
            .find(|l| l.contains(&format!("Sage People {set} API")))
            .unwrap_or_else(|| panic!("{set} row:\n{screen}"));
        let want = if missing.contains(&set) {
            "FAIL ✗"
        } else {
            "PASS ✓"
        };
        assert!(row.contains(want), "{set}: {row}");
    }
    // Login steps all passed.
    d.key(KeyCode::Char('3'));
    let screen = d.expect("Permission-set probes").await;
    assert!(
        screen.contains("PASS ✓ Login") && screen.contains("PASS ✓ Token checks"),
        "{screen}"
    );
    // 5 Findings.
    d.key(KeyCode::Char('5'));
    if missing.is_empty() {
        d.expect("No findings: every check passed.").await;
    } else {
        let screen = d.expect("PERMISSION_SET_MISSING").await;
        assert!(
            screen.contains("Permission Set Assignments"),
            "the fix is shown: {screen}"
        );
        // Enter jumps to the evidence request.
        d.key(KeyCode::Enter);
        let screen = d.expect("Response headers").await;
        assert!(
            screen.contains("Request #")
                && screen.contains("Bearer [REDACTED]")
                && screen.contains("MISSING_API_PERMISSION"),
            "{screen}"
        );
        d.key(KeyCode::Esc);
    }
    // The request log and the inspector.
    d.key(KeyCode::Tab);
    d.expect("Request log").await;
    d.key(KeyCode::Enter);
    let screen = d.expect("Request #1 ").await;
    assert!(
        screen.contains("/services/data/") && screen.contains("Response body"),
        "{screen}"
    );
    d.key(KeyCode::Esc);
    // Help, then quit.
    d.key(KeyCode::Char('?'));
    d.expect("Keys").await;
    d.key(KeyCode::Esc);
    d.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthy_journey_through_the_real_loop() {
    journey("healthy", 7, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_permission_sets_journey_through_the_real_loop() {
    journey("missing-permission-sets", 5, &["Salaries", "Bonuses"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_console_sends_with_the_session_token() {
    let mut d = Driver::start("healthy").await;
    d.expect("Demo org").await;
    d.key(KeyCode::Char('r'));
    d.expect("7 of 7 pass").await;
    let type_line = |d: &Driver, line: &str| {
        d.key(KeyCode::Char(':'));
        for c in line.chars() {
            d.key(KeyCode::Char(c));
        }
        d.key(KeyCode::Enter);
    };
    type_line(
        &d,
        "GET /services/apexrest/spapi/v4/employees?$filter=currentEmployment.active eq false",
    );
    let screen = d.expect("%24filter=currentEmployment").await;
    assert!(
        screen.contains("Request #")
            && screen.contains("status 200")
            && screen.contains("Bearer [REDACTED]"),
        "{screen}"
    );
    d.key(KeyCode::Esc);
    type_line(
        &d,
        "SELECT Username FROM User WHERE Username LIKE 'integration%'",
    );
    let screen = d.expect("\"totalSize\": 1").await;
    assert!(screen.contains("integration@acme-hr.example"), "{screen}");
    d.key(KeyCode::Esc);
    type_line(&d, "FETCH /services/data/");
    d.expect("is not an HTTP method").await;
    d.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_probe_re_runs_and_replaces_its_row_and_finding() {
    let mut d = Driver::start("missing-permission-sets").await;
    d.expect("Demo org").await;
    d.key(KeyCode::Char('r'));
    d.expect("5 of 7 pass").await;
    // R waits for the run (field coverage) to finish.
    d.expect("Done: FAIL").await;
    // Step 4 lands on the first failing row: Salaries, the third.
    d.key(KeyCode::Char('R'));
    let screen = d.expect("Re-probed Salaries: FAIL").await;
    assert!(screen.contains("5 of 7 pass"), "{screen}");
    // Its finding was replaced, not added again (2 missing sets + the sync-key warning).
    d.key(KeyCode::Char('5'));
    d.expect("FAIL · 2 errors · 1 warning").await;
    d.key(KeyCode::Char('4'));
    d.key(KeyCode::Up);
    d.key(KeyCode::Up);
    d.key(KeyCode::Char('R'));
    d.expect("Re-probed Employees: PASS").await;
    d.quit().await;
}

#[test]
fn profiles_keep_no_secrets_and_are_owner_only() {
    use sagediag::tui::profile;
    let dir = std::env::temp_dir().join(format!("sagediag-profiles-{}", std::process::id()));
    let path = dir.join("profiles.json");
    let mut form = sagediag::tui::form::Form::new();
    form.env = sagediag::tui::app::EnvChoice::Sandbox;
    form.client_id = ratatui_textarea::TextArea::new(vec!["3MVG9abc".into()]);
    form.client_secret = ratatui_textarea::TextArea::new(vec!["super-secret-value".into()]);
    form.username = ratatui_textarea::TextArea::new(vec!["api@acme.example".into()]);
    form.flow = sagediag::engine::Flow::Jwt;
    form.credential = ratatui_textarea::TextArea::new(vec!["/keys/server.key".into()]);
    form.app_kind = sagediag::engine::app::AppKind::ExternalClientApp;
    let p = sagediag::tui::keep::profile_of(&form).unwrap();
    assert_eq!(p.private_key_path.as_deref(), Some("/keys/server.key"));
    assert_eq!(
        p.app_kind,
        Some(sagediag::engine::app::AppKind::ExternalClientApp)
    );
    profile::save_to(&path, &p).unwrap();
    let mut other = p.clone();
    other.env = "production".into();
    profile::save_to(&path, &other).unwrap();
    profile::save_to(&path, &p).unwrap();
    let loaded = profile::load_from(&path);
    assert_eq!(
        loaded,
        vec![p.clone(), other],
        "most recent first, no duplicates"
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("super-secret-value"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // The profile comes back as `P` puts it on the form.
    let keep = sagediag::tui::keep::KeepState {
        profiles: loaded,
        ..Default::default()
    };
    let mut fresh = sagediag::tui::form::Form::new();
    let mut env = sagediag::tui::screens::environment::EnvironmentScreen::default();
    keep.apply_profile(&p, &mut fresh, &mut env);
    assert_eq!(fresh.env, sagediag::tui::app::EnvChoice::Sandbox);
    assert_eq!(
        fresh.app_kind,
        sagediag::engine::app::AppKind::ExternalClientApp,
        "the declared app kind comes back"
    );
    assert_eq!(
        sagediag::tui::form::first_line(&fresh.client_id),
        "3MVG9abc"
    );
    assert_eq!(
        sagediag::tui::form::first_line(&fresh.client_secret),
        "",
        "secrets are never restored"
    );
    assert_eq!(
        sagediag::tui::form::first_line(&fresh.credential),
        "/keys/server.key",
        "the JWT key's path (not the key) is"
    );
    // A profile file from before the key path existed still loads.
    std::fs::write(&path, r#"[{"env":"sandbox","client_id":"x","username":"","flow":"web","pkce":true,"preset":"Custom","callback":"http://localhost:1717/OauthRedirect"}]"#).unwrap();
    assert_eq!(profile::load_from(&path).len(), 1);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_quits_even_mid_run_and_the_demo_switches_scenarios() {
    let mut d = Driver::start("slow-org").await;
    d.expect("Demo org").await;
    d.key(KeyCode::Char('s'));
    d.expect("demo org (flaky-org)").await;
    d.keys
        .send(Ok(TermEvent::Key(KeyEvent::new(
            KeyCode::Char('c'),
            KeyModifiers::CONTROL,
        ))))
        .unwrap();
    let (result, mut ctx) = tokio::time::timeout(Duration::from_secs(10), d.task)
        .await
        .expect("Ctrl-C ends the loop")
        .unwrap();
    result.unwrap();
    ctx.stop().await;
}

/// Keep secrets → owner-only file (the keyring is absent here): after a login the consumer
/// secret and refresh token are in the file (0600); with the secret field emptied, a refresh-flow
/// run recalls the secret from the file, and the rotated refresh token is written back. Vim keys
/// move through the form.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_keeps_secrets_in_an_owner_only_file_and_recalls_them() {
    let dir = std::env::temp_dir().join(format!("sagediag-console-keep-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let file = dir.join("secrets.json");
    let f = file.clone();
    let mut d = Driver::start_with("refresh-rotation", move |app| {
        app.keep.vault.file = Some(f);
        app.keep.keyring = Some(Err(sagediag::engine::vault::VaultError::Keyring(
            "no Secret Service in this test".into(),
        )));
        app.prefs.keys = sagediag::settings::KeyStyle::Vim;
    })
    .await;
    d.expect("Demo org").await;
    d.key(KeyCode::Char('2'));
    for _ in 0..7 {
        d.key(KeyCode::Char('j'));
    }
    d.key(KeyCode::Enter);
    d.expect("owner-only file (plain text)").await;
    d.key(KeyCode::Char('r'));
    d.expect("Done: PASS").await;
    d.expect(&format!(
        "Done: PASS · kept secret + refresh token in {}",
        file.display()
    ))
    .await;
    let kept = |label: &str| -> Option<String> {
        let all: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(&file).ok()?).ok()?;
        all.iter()
            .find(|(k, _)| k.starts_with(label))
            .and_then(|(_, v)| v.as_str().map(str::to_string))
    };
    let until = |what: &'static str, ok: &dyn Fn() -> bool| {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !ok() {
            assert!(std::time::Instant::now() < deadline, "never: {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    until("both secrets kept", &|| {
        kept("client_secret").is_some() && kept("refresh_token").is_some()
    });
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let first_refresh = kept("refresh_token").unwrap();
    // Empty the consumer secret field (field 2), then choose the refresh flow (field 4).
    d.key(KeyCode::Char('2'));
    for _ in 0..6 {
        d.key(KeyCode::Char('k'));
    }
    d.key(KeyCode::Enter);
    for _ in 0..80 {
        d.key(KeyCode::Backspace);
    }
    d.key(KeyCode::Enter);
    d.expect("Consumer secret  (none)").await;
    d.key(KeyCode::Char('j'));
    d.key(KeyCode::Char('j'));
    for _ in 0..5 {
        d.key(KeyCode::Enter);
    }
    d.expect("refresh  (Enter cycles)").await;
    d.key(KeyCode::Char('r'));
    // The token kept is refreshed only after a yes (it is retired under rotation).
    d.expect("Refresh the token given?").await;
    d.key(KeyCode::Char('y'));
    until("the rotated refresh token written back", &|| {
        kept("refresh_token").is_some_and(|r| r != first_refresh)
    });
    // Handed over once, on request: masked on screen (its tail), never twice.
    let new = kept("refresh_token").unwrap();
    let tail: String = new
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    d.expect("RETIRED").await;
    d.expect("Done: PASS").await;
    d.key(KeyCode::Char('3'));
    d.key(KeyCode::Char('c'));
    let screen = d.expect("new refresh token (copied once").await;
    assert!(screen.contains(&format!("••••{tail}")), "{screen}");
    assert!(!screen.contains(&new), "masked on screen");
    d.key(KeyCode::Esc);
    d.expect_without("3 Login", "new refresh token (copied once")
        .await;
    d.key(KeyCode::Char('c'));
    d.key(KeyCode::Char('2'));
    let screen = d.expect("Consumer secret  ••••").await;
    assert!(screen.contains("kept: secret, refresh token"), "{screen}");
    d.expect("Done: PASS").await;
    d.quit().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// The flow's own credential on the form: after a web login has approved the app, the JWT flow
/// with the demo org's key file logs in (the key's path is typed into "Private key file").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwt_flow_from_the_form_with_a_private_key_file() {
    let mut d = Driver::start("healthy").await;
    d.expect("Demo org").await;
    d.key(KeyCode::Char('r'));
    d.expect("Done: PASS").await;
    d.key(KeyCode::Char('2'));
    for _ in 0..3 {
        d.key(KeyCode::Down);
    }
    d.key(KeyCode::Enter);
    d.key(KeyCode::Enter);
    d.expect("Private key file (none: path of the PEM key)")
        .await;
    d.key(KeyCode::Down);
    d.key(KeyCode::Enter);
    for c in concat!(env!("CARGO_MANIFEST_DIR"), "/assets/keys/demo-jwt.key.pem").chars() {
        d.key(KeyCode::Char(c));
    }
    d.key(KeyCode::Enter);
    d.expect("demo-jwt.key.pem").await;
    d.key(KeyCode::Char('r'));
    d.key(KeyCode::Char('3'));
    let screen = d.expect("logged in with the jwt flow").await;
    assert!(!screen.contains("BEGIN PRIVATE KEY"), "{screen}");
    d.expect("Done: PASS").await;
    d.quit().await;
}

/// Each demo scenario presets what reproduces it: no PKCE for pkce-required, the password
/// flow (with the user's password) for username-password-disabled, client credentials on the
/// My Domain host for client-credentials-no-run-as-user; a run shows the scenario's code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_scenarios_preset_the_form_that_reproduces_them() {
    use sagediag::engine::Flow;
    use sagediag::sim::Scenario;
    let p = |name: &str| demo_org::preset(&Scenario::load(name).unwrap(), "pw", "http://md");
    assert!(!p("pkce-required").pkce);
    assert_eq!(p("username-password-disabled").flow, Flow::Password);
    assert_eq!(
        p("username-password-disabled").credential.as_deref(),
        Some("pw")
    );
    let cc = p("client-credentials-no-run-as-user");
    assert_eq!(
        (cc.flow, cc.host.as_deref()),
        (Flow::ClientCredentials, Some("http://md"))
    );
    assert_eq!(p("healthy"), sagediag::tui::DemoPreset::default());
    for (scenario, code) in [
        ("pkce-required", "PKCE_REQUIRED"),
        (
            "client-credentials-no-run-as-user",
            "CLIENT_CREDENTIALS_NO_RUN_AS_USER",
        ),
    ] {
        let mut d = Driver::start(scenario).await;
        d.expect("Demo org").await;
        d.key(KeyCode::Char('r'));
        let screen = d.expect(code).await;
        assert!(
            screen.contains("FAIL ✗ Login") && screen.contains("Demo scenario"),
            "{screen}"
        );
        d.quit().await;
    }
}

/// The seven External Client App scenarios are the demo's too, each with the form that reproduces
/// it and the app kind declared: eca-healthy passes and names its app; the others show their
/// ECA finding.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_eca_scenarios_preset_the_form_and_the_app_kind() {
    use sagediag::engine::Flow;
    use sagediag::engine::app::AppKind;
    use sagediag::sim::Scenario;
    use sagediag::tui::DemoOrg;
    let names: Vec<String> = demo_org::SimDemo::default()
        .scenarios()
        .into_iter()
        .map(|s| s.name)
        .filter(|n| n.starts_with("eca-"))
        .collect();
    assert_eq!(names.len(), 7, "{names:?}");
    let p = |name: &str| demo_org::preset(&Scenario::load(name).unwrap(), "pw", "http://md");
    for n in &names {
        assert_eq!(p(n).app_kind, Some(AppKind::ExternalClientApp), "{n}");
    }
    assert_eq!(p("healthy").app_kind, None);
    assert!(!p("eca-pkce-required").pkce);
    let cc = p("eca-client-credentials-disabled");
    assert_eq!(
        (cc.flow, cc.host.as_deref()),
        (Flow::ClientCredentials, Some("http://md"))
    );
    for (scenario, shows) in [
        ("eca-healthy", "App: External Client App (detected)"),
        ("eca-not-preauthorized", "ECA_USER_NOT_PREAUTHORIZED"),
        ("eca-client-credentials-disabled", "ECA_FLOW_DISABLED"),
        ("eca-pkce-required", "PKCE_REQUIRED"),
        // The authorization error page ends the console's login at once, too.
        ("eca-not-found", "ECA_NOT_FOUND"),
    ] {
        let mut d = Driver::start(scenario).await;
        d.expect("Demo org").await;
        d.key(KeyCode::Char('2'));
        d.expect("External Client App  (Enter cycles)").await;
        d.key(KeyCode::Char('r'));
        if scenario == "eca-healthy" {
            d.expect("Done: PASS").await;
            d.key(KeyCode::Char('4'));
        }
        d.expect(shows).await;
        d.key(KeyCode::Char('2'));
        d.expect("Set-up checklist (External Client App)").await;
        d.quit().await;
    }
}

impl Driver {
    pub(crate) fn typed(&self, s: &str) {
        for c in s.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    /// Waits until the screen contains `text` and not `absent`.
    pub(crate) async fn expect_without(&mut self, text: &str, absent: &str) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.frames.borrow_and_update().clone();
            if screen.contains(text) && !screen.contains(absent) {
                return screen;
            }
            if tokio::time::timeout_at(deadline, self.frames.changed())
                .await
                .is_err()
            {
                panic!("the screen never showed {text:?} without {absent:?}:\n{screen}");
            }
        }
    }
}

/// The demo org's admin (added by the simulator beside the scenario's users).
const DEMO_ADMIN_PASSWORD: &str = "Admin-Passw0rd!";

/// Fixing from the console on missing-permission-sets: `f` on the failing Salaries row shows the
/// plan and its request; the session's user may not assign, so the admin logs in (username
/// prefilled); `y` applies it, the probe re-runs at once and the row turns PASS; `u` and `y`
/// undo it and the row fails again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_fix_applies_after_y_and_undoes() {
    let mut d = Driver::start("missing-permission-sets").await;
    d.expect("Demo org").await;
    d.key(KeyCode::Char('r'));
    d.expect("FAIL ✗ Sage People Salaries API").await;
    // Step 4 lands on the first failing row (Salaries).
    d.key(KeyCode::Char('4'));
    d.key(KeyCode::Char('f'));
    let screen = d.expect("[apply] PERMISSION_SET_MISSING").await;
    assert!(
        screen.contains("sobjects/PermissionSetAssignment"),
        "{screen}"
    );
    assert!(screen.contains("an admin logs in first"), "{screen}");
    d.key(KeyCode::Enter);
    d.expect("Admin username  admin@acme-hr.example").await;
    d.key(KeyCode::Enter);
    d.typed(DEMO_ADMIN_PASSWORD);
    d.key(KeyCode::Enter);
    let screen = d.expect("y: yes, change the org").await;
    assert!(!screen.contains(DEMO_ADMIN_PASSWORD), "{screen}");
    assert!(
        screen.contains("As admin@acme-hr.example, send POST"),
        "{screen}"
    );
    d.key(KeyCode::Char('y'));
    let screen = d.expect("re-probed Salaries: PASS").await;
    assert!(
        screen.contains("created Sage People Salaries API"),
        "{screen}"
    );
    assert!(screen.contains("request #"), "{screen}");
    d.key(KeyCode::Esc);
    d.expect("PASS ✓ Sage People Salaries API").await;
    // Undo, from the same overlay, confirmed the same way.
    d.key(KeyCode::Char('f'));
    d.expect("Changes made here (u undoes them)").await;
    d.key(KeyCode::Char('u'));
    d.expect("delete 1 PermissionSetAssignment(s) made here?")
        .await;
    d.key(KeyCode::Char('y'));
    d.expect("re-probed Salaries: FAIL").await;
    d.key(KeyCode::Esc);
    d.expect("FAIL ✗ Sage People Salaries API").await;
    d.quit().await;
}

/// After a fix in the console, the report itself changes: the header, the tabs, the steps,
/// the permissions table and the report `W` exports all say PASS, and the export lists the
/// changes made (who, what, when, request and record ids), the org id and the instance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_console_fix_every_screen_and_the_export_agree() {
    let dir = std::env::temp_dir().join(format!("sagediag-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut d = Driver::start_in(
        Box::new(demo_org::SimDemo::default()),
        "missing-permission-sets",
        |_| {},
        Some(dir.clone()),
    )
    .await;
    d.expect("Demo org").await;
    d.key(KeyCode::Char('r'));
    d.expect("FAIL ✗ Sage People Salaries API").await;
    // Step 4 lands on the first failing row (Salaries).
    d.key(KeyCode::Char('4'));
    d.key(KeyCode::Char('f'));
    d.expect("[apply] PERMISSION_SET_MISSING").await;
    d.key(KeyCode::Enter);
    d.expect("Admin username  admin@acme-hr.example").await;
    d.key(KeyCode::Enter);
    d.typed(DEMO_ADMIN_PASSWORD);
    d.key(KeyCode::Enter);
    d.expect("y: yes, change the org").await;
    d.key(KeyCode::Char('y'));
    let screen = d.expect("re-probed Salaries: PASS").await;
    assert!(screen.contains("The report now says FAIL"), "{screen}");
    // The second set: the admin is logged in, so Enter asks at once.
    d.key(KeyCode::Down);
    d.key(KeyCode::Enter);
    d.expect("y: yes, change the org").await;
    d.key(KeyCode::Char('y'));
    let screen = d.expect("re-probed Bonuses: PASS").await;
    // The demo org's employees share emails: a warning, left as it is.
    assert!(
        screen.contains("The report now says PASS · 1 warning."),
        "{screen}"
    );
    d.key(KeyCode::Esc);
    // Step 4: the header, the tabs and the table.
    let screen = d.expect("7 of 7 pass").await;
    let header = screen.lines().next().unwrap_or_default();
    assert!(
        header.contains(" PASS · 1 warning ") && !header.contains("FAIL"),
        "{header}"
    );
    assert!(
        screen.contains("4 Permissions ✓") && screen.contains("5 Findings !"),
        "{screen}"
    );
    assert!(!screen.contains("FAIL ✗"), "{screen}");
    // Step 3: every step's status, the org and probe steps included.
    d.key(KeyCode::Char('3'));
    let screen = d.expect("PASS ✓ Permission-set probes").await;
    assert!(
        screen.contains("7 of 7 endpoints answered (after probing again)"),
        "{screen}"
    );
    assert!(
        screen.contains("PASS ✓ Org checks") && screen.contains("Result: PASS"),
        "{screen}"
    );
    assert!(!screen.contains("FAIL"), "{screen}");
    // Step 5: only the warning is left.
    d.key(KeyCode::Char('5'));
    let screen = d.expect("5 Findings — PASS · 1 warning").await;
    assert!(
        screen.contains("SYNC_KEY_PROBLEMS") && !screen.contains("PERMISSION_SET_MISSING"),
        "{screen}"
    );
    // `W`: the exported report says the same, and lists the changes.
    d.key(KeyCode::Char('W'));
    d.expect("Wrote sagediag-report-").await;
    let md_path = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "md"))
        .expect("the report was written to the export directory");
    let md = std::fs::read_to_string(&md_path).unwrap();
    assert!(md.contains("- Outcome: **PASS** · 1 warning"), "{md}");
    assert!(md.contains("## Permission sets (7 of 7 pass)"), "{md}");
    assert!(md.contains("## Findings (0 errors, 1 warning)"), "{md}");
    assert!(!md.contains("PERMISSION_SET_MISSING"), "{md}");
    assert!(
        md.contains("| Permission-set probes | PASS ✓ |") && md.contains("| Org checks | PASS ✓ |"),
        "{md}"
    );
    assert!(!md.contains("FAIL"), "{md}");
    assert!(md.contains("## Changes made"), "{md}");
    for set in ["Salaries", "Bonuses"] {
        let line = md
            .lines()
            .find(|l| l.contains(&format!("created Sage People {set} API")))
            .unwrap_or_else(|| panic!("the {set} change is listed:\n{md}"));
        assert!(
            line.contains("by admin@acme-hr.example")
                && line.contains("request #")
                && line.contains("PermissionSetAssignment 0Pa")
                && line.contains("T"),
            "{line}"
        );
    }
    assert!(
        md.contains("Sage People Salaries API, Sage People Bonuses API")
            || md.contains("Sage People Bonuses API, Sage People Salaries API"),
        "the assignments as they now stand: {md}"
    );
    assert!(md.contains("- Org id: 00D"), "{md}");
    assert!(md.contains("- Instance: http://localhost:"), "{md}");
    assert!(!md.contains(DEMO_ADMIN_PASSWORD));
    d.quit().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every way out of the Fix overlay but `y` changes nothing: another key at the confirmation
/// (n, Enter, Esc), Esc in the admin's form, closing the overlay. A later probe of the row
/// still fails (the org was not changed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_fix_changes_nothing_without_y() {
    let mut d = Driver::start("missing-permission-sets").await;
    d.expect("Demo org").await;
    d.key(KeyCode::Char('r'));
    d.expect("FAIL ✗ Sage People Salaries API").await;
    // Step 4 lands on the first failing row (Salaries).
    d.key(KeyCode::Char('4'));
    d.key(KeyCode::Char('f'));
    d.expect("[apply] PERMISSION_SET_MISSING").await;
    // The admin's form, cancelled.
    d.key(KeyCode::Enter);
    d.expect("Admin username").await;
    d.key(KeyCode::Esc);
    d.expect("Cancelled: nothing was changed.").await;
    // Logged in, then every other key at the confirmation cancels.
    d.key(KeyCode::Enter);
    d.expect("Admin username").await;
    d.key(KeyCode::Enter);
    d.typed(DEMO_ADMIN_PASSWORD);
    d.key(KeyCode::Enter);
    for k in [
        KeyCode::Char('n'),
        KeyCode::Enter,
        KeyCode::Esc,
        KeyCode::Char('Y'),
        KeyCode::Char('u'),
    ] {
        d.expect("y: yes, change the org").await;
        d.key(k);
        d.expect_without("Cancelled: nothing was changed.", "y: yes, change the org")
            .await;
        d.key(KeyCode::Enter);
    }
    d.expect("y: yes, change the org").await;
    d.key(KeyCode::Esc);
    d.expect_without("Cancelled", "y: yes, change the org")
        .await;
    d.key(KeyCode::Char('u'));
    d.expect("Nothing changed here to undo.").await;
    d.key(KeyCode::Esc);
    // The org is as it was: the row's probe, run again, still fails.
    d.key(KeyCode::Char('R'));
    d.expect("Re-probed Salaries: FAIL").await;
    d.expect("FAIL ✗ Sage People Salaries API").await;
    d.quit().await;
}

/// With no kind declared, step 2's checklist follows the kind the run found: the healthy org's
/// connected app gets the connected app's checklist, and its unfollowed recommendation is
/// advice (`!`), never a failure under a PASS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checklist_follows_the_detected_kind_and_shows_advice() {
    let mut d = Driver::start("healthy").await;
    d.expect("Demo org").await;
    d.key(KeyCode::Char('2'));
    d.key(KeyCode::Char('r'));
    d.expect("Done: PASS").await;
    d.key(KeyCode::Char('2'));
    let screen = d
        .expect_without("Set-up checklist (connected app)", "✗ 1")
        .await;
    assert!(screen.contains("! 1 advice"), "{screen}");
    d.quit().await;
}

/// The 2026 scenarios in the console: the error page and a legacy host end the login at once
/// with their finding (the demo's login time-out is never reached), a concurrent refresh names
/// itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_2026_scenarios_show_their_findings_in_the_console() {
    for (scenario, shows) in [
        ("app-not-installed", "APP_NOT_INSTALLED"),
        ("app-blocked", "APP_BLOCKED"),
        ("authorize-error-page", "AUTHORIZE_ERROR_PAGE"),
        ("legacy-host-redirect", "LEGACY_HOST_REDIRECT"),
        ("concurrent-refresh", "RTR_CONCURRENT_REFRESH"),
        ("eca-not-found", "ECA_NOT_FOUND"),
    ] {
        let mut d = Driver::start(scenario).await;
        d.expect("Demo org").await;
        d.key(KeyCode::Char('2'));
        d.key(KeyCode::Char('r'));
        let screen = d.expect("Done: FAIL").await;
        // The code itself, not a longer one that contains it (OAUTH_APP_BLOCKED in a text).
        let named = screen
            .match_indices(shows)
            .any(|(i, _)| !screen.get(..i).unwrap_or_default().ends_with('_'));
        assert!(named, "{scenario}: {screen}");
        assert!(!screen.contains("TIMEOUT"), "{scenario}: {screen}");
        d.quit().await;
    }
}

/// A demo org whose probes never answer (the run stops after its login), and whose state the
/// test reads.
struct HangingOrg {
    running: Option<sagediag::sim::RunningSim>,
    org: std::sync::Arc<std::sync::Mutex<Option<std::sync::Arc<sagediag::sim::state::Org>>>>,
    /// The probes never answer.
    hang: bool,
    /// Scenario text to load instead of the shipped scenario (written to a private file).
    toml: Option<String>,
    /// The admin's session, logged in at start (the password flow).
    admin: std::sync::Arc<std::sync::Mutex<Option<sagediag::engine::fix::Actor>>>,
}

impl sagediag::tui::demo::DemoOrg for HangingOrg {
    fn scenarios(&self) -> Vec<sagediag::tui::demo::DemoScenario> {
        Vec::new()
    }

    fn start<'a>(
        &'a mut self,
        scenario: &'a str,
    ) -> sagediag::tui::demo::BoxFuture<
        'a,
        Result<sagediag::tui::demo::DemoInfo, sagediag::tui::error::DemoError>,
    > {
        Box::pin(async move {
            let mut sc = match &self.toml {
                Some(text) => {
                    let dir = std::env::temp_dir()
                        .join(format!("sagediag-tui-org-{}", std::process::id()));
                    std::fs::create_dir_all(&dir).unwrap();
                    let file = dir.join(format!("{scenario}.toml"));
                    std::fs::write(&file, text).unwrap();
                    sagediag::sim::Scenario::load(file.to_str().unwrap()).unwrap()
                }
                None => sagediag::sim::Scenario::load(scenario).unwrap(),
            };
            if self.hang {
                sc.faults.hang_paths = vec!["/services/apexrest".into()];
            }
            let preset_sc = sc.clone();
            let running = sagediag::sim::start(sc, "127.0.0.1:0".parse().unwrap(), false)
                .await
                .unwrap();
            let i = &running.info;
            let info = sagediag::tui::demo::DemoInfo {
                scenario: i.scenario.clone(),
                description: String::new(),
                login_url: i.login_url.clone(),
                client_id: i.client_id.clone(),
                client_secret: i.client_secret.clone(),
                username: i.username.clone(),
                admin_username: i.admin_username.clone(),
                preset: demo_org::preset(&preset_sc, &i.password, &i.instance_url),
            };
            *self.org.lock().unwrap() = Some(running.org.clone());
            let token: serde_json::Value = reqwest::Client::new()
                .post(format!("{}/services/oauth2/token", i.login_url))
                .form(&[
                    ("grant_type", "password"),
                    ("client_id", i.client_id.as_str()),
                    ("client_secret", i.client_secret.as_str()),
                    ("username", i.admin_username.as_str()),
                    ("password", i.admin_password.as_str()),
                ])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            *self.admin.lock().unwrap() = Some(sagediag::engine::fix::Actor {
                instance_url: token["instance_url"].as_str().unwrap().to_string(),
                access_token: token["access_token"].as_str().unwrap().to_string(),
                username: i.admin_username.clone(),
                user_id: None,
            });
            self.running = Some(running);
            Ok(info)
        })
    }

    fn stop(&mut self) -> sagediag::tui::demo::BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Some(s) = self.running.take() {
                s.stop().await;
            }
        })
    }
}

/// Quitting the console mid-run gives back what the run obtained: the run waits on its probes
/// after the login, `q` quits, and the org no longer honours the run's refresh token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quitting_mid_run_gives_back_the_runs_tokens() {
    let slot = std::sync::Arc::new(std::sync::Mutex::new(None));
    let org = HangingOrg {
        running: None,
        org: slot.clone(),
        hang: true,
        toml: None,
        admin: Default::default(),
    };
    let mut d = Driver::start_on(Box::new(org), "healthy", |_| {}).await;
    d.expect("Demo org").await;
    let org = slot.lock().unwrap().clone().unwrap();
    let live = || {
        org.lock()
            .refresh
            .values()
            .filter(|t| !t.revoked && !t.rotated_out)
            .count()
    };
    // (The test's own admin login may hold one.)
    let baseline = live();
    d.key(KeyCode::Char('r'));
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while live() == baseline {
        assert!(std::time::Instant::now() < deadline, "the login never came");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Mid-run: the probes hang.
    tokio::time::sleep(Duration::from_millis(300)).await;
    d.quit().await;
    assert_eq!(live(), baseline, "the run's grant was revoked on quit");
}

const GRANT_CAP: &str = r#"name = "grant-cap"
description = "five grants for the app; the oldest is the integration's"
[[oauth_tokens]]
created_ago = "180d"
last_used_ago = "7m"
use_count = 51840
[[oauth_tokens]]
created_ago = "41d"
last_used_ago = "41d"
[[oauth_tokens]]
created_ago = "33d"
last_used_ago = "33d"
[[oauth_tokens]]
created_ago = "12d"
last_used_ago = "12d"
[[oauth_tokens]]
created_ago = "2d"
"#;

/// With the admin's session at hand, the console at five grants makes no login: it asks, naming
/// the grant that would go; any other key leaves the grants alone; `y` logs in, and on quit
/// the run's own grant is given back (four remain).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_five_grants_the_console_asks_before_evicting() {
    let slot = std::sync::Arc::new(std::sync::Mutex::new(None));
    let admin = std::sync::Arc::new(std::sync::Mutex::new(None));
    let org = HangingOrg {
        running: None,
        org: slot.clone(),
        hang: false,
        toml: Some(GRANT_CAP.into()),
        admin: admin.clone(),
    };
    let a = admin.clone();
    let mut d = Driver::start_on(Box::new(org), "grant-cap", move |app| {
        app.fix.admin = a.lock().unwrap().clone();
    })
    .await;
    d.expect("Demo org").await;
    let org = slot.lock().unwrap().clone().unwrap();
    let grants = || {
        let mut c: Vec<u64> = org.lock().record.grants.iter().map(|g| g.created).collect();
        c.sort_unstable();
        c
    };
    let before = grants();
    assert_eq!(before.len(), 5);
    d.key(KeyCode::Char('r'));
    d.expect("Evict the oldest grant?").await;
    d.expect("last used").await;
    assert_eq!(grants(), before, "no login without a yes");
    d.key(KeyCode::Char('n'));
    d.expect("No login: the user's grants are untouched.").await;
    d.key(KeyCode::Char('r'));
    d.expect("Evict the oldest grant?").await;
    d.key(KeyCode::Char('y'));
    d.expect("Done: FAIL").await;
    d.key(KeyCode::Char('5'));
    d.expect("evicted the grant").await;
    assert!(
        !grants().contains(&before[0]),
        "the oldest went, with consent"
    );
    d.quit().await;
    assert_eq!(
        grants().len(),
        4,
        "the run's own grant was given back on quit"
    );
}

/// Issue 21 in the console: a grant idle for 27 days under a 30-day idle policy gives its
/// finding with its fix on step 5, the record's box there, and `i` opens the record in full.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_integration_record_shows_on_the_findings_step_and_in_its_overlay() {
    let mut d = Driver::start("refresh-idle-expiry").await;
    d.expect("Demo org").await;
    d.key(KeyCode::Enter);
    d.expect("Callback URL to register").await;
    d.key(KeyCode::Char('r'));
    d.expect("Done:").await;
    d.key(KeyCode::Char('5'));
    let screen = d.expect("REFRESH_TOKEN_EXPIRING").await;
    assert!(screen.contains("Integration record"), "{screen}");
    assert!(screen.contains("grants"), "{screen}");
    // Select the finding (the second): its detail, its source and its fix.
    d.key(KeyCode::Down);
    let screen = d.expect("expires in 3 days").await;
    assert!(
        screen.contains("refresh (or call the API)"),
        "the fix: {screen}"
    );
    assert!(
        screen.contains("Source: the org's record (oauth_token)"),
        "{screen}"
    );
    d.key(KeyCode::Char('i'));
    let screen = d.expect("Integration record (the org's own) — ↑↓").await;
    assert!(
        screen.contains("OAuth grants") && screen.contains("expires in 3 days"),
        "{screen}"
    );
    assert!(
        screen.contains("this run's login"),
        "sagediag's own grant is told apart: {screen}"
    );
    d.key(KeyCode::Esc);
    d.quit().await;
}

/// A frozen user, in the console: once an admin has logged in (the Fix overlay's login, held
/// in memory), a run reads UserLogin with the admin's session and raises USER_FROZEN with its
/// fix, although the integration's own login fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_user_is_found_with_the_fix_flows_admin_session() {
    let mut d = Driver::start_with("user-frozen", |app| {
        let cfg = app.form.config().unwrap();
        let login = cfg.environment.login_url();
        let admin = app.demo.admin.clone().unwrap();
        let form = [
            ("grant_type", "password".to_string()),
            ("client_id", cfg.client_id.clone()),
            ("client_secret", cfg.client_secret.clone().unwrap()),
            ("username", admin.clone()),
            // The simulated org's admin (docs/simulator.md).
            ("password", "Admin-Passw0rd!".to_string()),
        ];
        let v: serde_json::Value = tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(async {
                reqwest::Client::new()
                    .post(format!("{login}/services/oauth2/token"))
                    .form(&form)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap()
            })
        });
        app.fix.admin = Some(sagediag::engine::fix::Actor {
            instance_url: v["instance_url"].as_str().unwrap().to_string(),
            access_token: v["access_token"].as_str().unwrap().to_string(),
            username: admin,
            user_id: None,
        });
    })
    .await;
    d.expect("Demo org").await;
    d.key(KeyCode::Enter);
    d.expect("Callback URL to register").await;
    d.key(KeyCode::Char('r'));
    d.expect("Done:").await;
    d.key(KeyCode::Char('5'));
    d.expect("5 Findings —").await;
    // The errors: the login's USER_INACTIVE, then Login History's and UserLogin's USER_FROZEN.
    d.key(KeyCode::Down);
    d.key(KeyCode::Down);
    let screen = d.expect("UserLogin.IsFrozen is true").await;
    assert!(
        screen.contains("UserLogin.IsFrozen is true") && screen.contains("Unfreeze"),
        "{screen}"
    );
    d.key(KeyCode::Char('i'));
    let screen = d.expect("Integration record (the org's own) — ↑↓").await;
    assert!(
        screen.contains("FROZEN") && screen.contains("an admin's session"),
        "{screen}"
    );
    d.key(KeyCode::Esc);
    d.quit().await;
}

/// Issue 21 §4 in the console: with the admin's session at hand and no login made at five
/// grants, the Fix overlay plans revoking the least recently used grant (the never-used one);
/// `y` revokes exactly it; undo lists it as not undoable and gives nothing back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_revokes_the_stale_grant_after_y_and_cannot_undo_it() {
    let slot = std::sync::Arc::new(std::sync::Mutex::new(None));
    let admin = std::sync::Arc::new(std::sync::Mutex::new(None));
    let org = HangingOrg {
        running: None,
        org: slot.clone(),
        hang: false,
        toml: Some(GRANT_CAP.into()),
        admin: admin.clone(),
    };
    let a = admin.clone();
    let mut d = Driver::start_on(Box::new(org), "grant-cap", move |app| {
        app.fix.admin = a.lock().unwrap().clone();
    })
    .await;
    d.expect("Demo org").await;
    let org = slot.lock().unwrap().clone().unwrap();
    let grants = || {
        let mut c: Vec<(u64, Option<u64>)> = org
            .lock()
            .record
            .grants
            .iter()
            .map(|g| (g.created, g.last_used))
            .collect();
        c.sort_unstable();
        c
    };
    let before = grants();
    assert_eq!(before.len(), 5);
    d.key(KeyCode::Char('r'));
    d.expect("Evict the oldest grant?").await;
    d.key(KeyCode::Char('n'));
    d.expect("No login: the user's grants are untouched.").await;
    d.key(KeyCode::Char('5'));
    d.expect("GRANT_CAP_CONSENT_NEEDED").await;
    d.key(KeyCode::Char('f'));
    d.expect("[apply] GRANT_CAP_CONSENT_NEEDED").await;
    for _ in 0..12 {
        if d.frames.borrow().contains("▶  [apply] GRANT_CAP") {
            break;
        }
        d.key(KeyCode::Down);
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let screen = d.expect("▶  [apply] GRANT_CAP_CONSENT_NEEDED").await;
    assert!(screen.contains("revoke the OAuth grant for"), "{screen}");
    assert_eq!(grants(), before, "planning revokes nothing");
    d.key(KeyCode::Enter);
    let screen = d.expect("y: yes, change the org").await;
    assert!(screen.contains("oauth2/revoke"), "{screen}");
    let tokens: Vec<String> = org
        .lock()
        .record
        .grants
        .iter()
        .map(|g| g.delete_token.clone())
        .collect();
    d.key(KeyCode::Char('y'));
    let screen = d.expect("revoked the OAuth grant").await;
    for t in &tokens {
        assert!(!screen.contains(t.as_str()), "a DeleteToken on screen");
    }
    let after = grants();
    let stale = *before.iter().find(|g| g.1.is_none()).unwrap();
    let expected: Vec<_> = before.iter().copied().filter(|g| *g != stale).collect();
    assert_eq!(after, expected, "exactly the never-used grant went");
    d.key(KeyCode::Char('u'));
    let screen = d.expect("y: yes, change the org").await;
    assert!(screen.contains("cannot be undone"), "{screen}");
    d.key(KeyCode::Char('y'));
    d.expect("not-undoable").await;
    assert_eq!(
        grants(),
        after,
        "undo gives nothing back and deletes nothing"
    );
    d.key(KeyCode::Esc);
    d.quit().await;
}

/// `sagediag demo` runs its org in a child process: an org that aborts (a stack overflow, an
/// out-of-memory kill, a panic under `panic = "abort"`; here SIGABRT from outside) takes only the
/// child down; its address then refuses connections, which a run reports, and the next start
/// brings a new org.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_org_runs_apart_and_its_abort_leaves_the_console_up() {
    use sagediag::tui::demo::DemoOrg;
    let mut org = demo_org::SimDemo::apart(env!("CARGO_BIN_EXE_sagediag").into());
    let info = org.start("healthy").await.unwrap();
    let pid = org.child_id().expect("a child process");
    assert_ne!(pid, std::process::id());
    let http = reqwest::Client::new();
    let versions = format!("{}/services/data/", info.login_url);
    assert_eq!(http.get(&versions).send().await.unwrap().status(), 200);
    let killed = std::process::Command::new("kill")
        .args(["-ABRT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let gone = async {
        while std::path::Path::new(&format!("/proc/{pid}/status")).exists()
            && !std::fs::read_to_string(format!("/proc/{pid}/status"))
                .unwrap_or_default()
                .contains("State:\tZ")
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), gone)
        .await
        .expect("the org's process ended");
    // A new connection (a pooled one may still look open for a moment): refused.
    let fresh = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let refused = fresh.get(&versions).send().await;
    assert!(refused.is_err_and(|e| e.is_connect()), "the org is gone");
    // This process (the console's) is untouched; the next start runs a new org.
    let again = org.start("missing-permission-sets").await.unwrap();
    let new_pid = org.child_id().unwrap();
    assert_ne!(new_pid, pid);
    let url = format!("{}/services/data/", again.login_url);
    assert_eq!(http.get(&url).send().await.unwrap().status(), 200);
    org.stop().await;
    assert!(http.get(&url).send().await.is_err(), "stopped");
}
