//! The console's Fleet screen, driven through `update(Msg)`: a store of three orgs (one failing)
//! behind the screen's store interface, its tasks run as the loop would run them, and frames
//! drawn at 80×24.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use futures_util::future::BoxFuture;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sagediag::engine::watch::store::{Store, StoreUrl};
use sagediag::engine::watch::{
    CheckResult, CheckState, CycleSummary, Incident, IncidentPolicy, IncidentState, MonitorFlow,
    OrgCycle, OrgStatus, Schedule, Signals, WatchFinding, WatchOrg,
};
use sagediag::tui::app::{App, Screen};
use sagediag::tui::msg::{Effect, Msg};
use sagediag::tui::screens::fleet::{
    FleetJob, FleetMsg, FleetSource, Source, open_source, run_job,
};
use sagediag::tui::{buffer_text, ui};

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}
fn ch(c: char) -> Msg {
    key(KeyCode::Char(c))
}

fn now() -> i64 {
    sagediag::engine::clock::now_secs() as i64
}

fn cycle(org: &str, state: CheckState, findings: Vec<WatchFinding>, ago: i64) -> OrgCycle {
    OrgCycle {
        org: org.into(),
        started_at: now() - ago,
        duration_ms: 900,
        state,
        checks: vec![CheckResult {
            check: "user".into(),
            state,
            latency_ms: 120,
            codes: findings.iter().map(|f| f.code.clone()).collect(),
            detail: if state == CheckState::Pass {
                String::new()
            } else {
                "integration@acme-hr.example is frozen".into()
            },
        }],
        findings,
        signals: Signals {
            refresh_expires_in_secs: Some(if org == "org-003" {
                3 * 86_400
            } else {
                80 * 86_400
            }),
            api_requests_remaining: Some(if org == "org-001" { 14_200 } else { 4_100 }),
            api_requests_max: Some(15_000),
            ..Default::default()
        },
        report: serde_json::Value::Null,
        watcher: "test".into(),
    }
}

fn frozen() -> WatchFinding {
    WatchFinding {
        code: "USER_FROZEN".into(),
        severity: "error".into(),
        title: "The integration user is frozen".into(),
        fix: vec!["Setup > Users > [user] > Unfreeze.".into()],
        forecast: false,
    }
}

fn incident(org: &str, code: &str) -> Incident {
    Incident {
        id: 7,
        org: org.into(),
        code: code.into(),
        severity: "error".into(),
        title: "The integration user is frozen".into(),
        fix: vec!["Setup > Users > [user] > Unfreeze.".into()],
        forecast: false,
        state: IncidentState::Open,
        first_seen: now() - 3600,
        last_seen: now() - 240,
        count: 4,
        consecutive_fail: 4,
        consecutive_pass: 0,
        opened_at: Some(now() - 3000),
        resolved_at: None,
        acked_by: None,
        acked_at: None,
        muted_until: None,
    }
}

/// A store of three orgs: org-002 failing (frozen user, an open incident), org-003 warned.
#[derive(Default)]
struct Fake {
    calls: Mutex<Vec<String>>,
    fail: Option<String>,
    /// Another name for org-001.
    rename: Option<String>,
}

impl Fake {
    fn statuses(&self) -> Vec<OrgStatus> {
        let expiring = WatchFinding {
            code: "REFRESH_TOKEN_EXPIRING".into(),
            severity: "warning".into(),
            title: "The refresh token will idle out".into(),
            fix: vec!["Use the integration once a week.".into()],
            forecast: true,
        };
        let first = self.rename.clone().unwrap_or_else(|| "org-001".into());
        vec![
            OrgStatus {
                org: first.clone(),
                last: Some(cycle(&first, CheckState::Pass, vec![], 240)),
                last_cycle_id: Some(1),
                open_incidents: vec![],
            },
            OrgStatus {
                org: "org-002".into(),
                last: Some(cycle("org-002", CheckState::Fail, vec![frozen()], 240)),
                last_cycle_id: Some(2),
                open_incidents: vec![incident("org-002", "USER_FROZEN")],
            },
            OrgStatus {
                org: "org-003".into(),
                last: Some(cycle("org-003", CheckState::Warn, vec![expiring], 600)),
                last_cycle_id: Some(3),
                open_incidents: vec![],
            },
        ]
    }
    fn note(&self, s: String) {
        self.calls.lock().unwrap().push(s);
    }
}

impl FleetSource for Fake {
    fn label(&self) -> String {
        "sqlite:/tmp/fake.sqlite3".into()
    }
    fn status(&self) -> BoxFuture<'_, Result<Vec<OrgStatus>, String>> {
        Box::pin(async move {
            match &self.fail {
                Some(e) => Err(e.clone()),
                None => Ok(self.statuses()),
            }
        })
    }
    fn history(
        &self,
        org: String,
        _limit: usize,
    ) -> BoxFuture<'_, Result<Vec<CycleSummary>, String>> {
        Box::pin(async move {
            Ok((0..20)
                .map(|i| CycleSummary {
                    cycle_id: 100 - i,
                    org: org.clone(),
                    started_at: now() - i * 900,
                    duration_ms: 800,
                    state: if i < 4 {
                        CheckState::Fail
                    } else {
                        CheckState::Pass
                    },
                    codes: vec![],
                    passed: if i < 4 { 6 } else { 8 },
                    total: 8,
                })
                .collect())
        })
    }
    fn incidents(
        &self,
        org: String,
        _limit: usize,
    ) -> BoxFuture<'_, Result<Vec<Incident>, String>> {
        Box::pin(async move {
            let mut old = incident(&org, "API_LIMIT_NEAR");
            old.state = IncidentState::Resolved;
            old.resolved_at = Some(now() - 86_400);
            Ok(vec![incident(&org, "USER_FROZEN"), old])
        })
    }
    fn cycle(&self, id: i64) -> BoxFuture<'_, Result<Option<OrgCycle>, String>> {
        Box::pin(async move {
            Ok(self
                .statuses()
                .into_iter()
                .find(|s| s.last_cycle_id == Some(id))
                .and_then(|s| s.last))
        })
    }
    fn ack(&self, org: String, code: String, who: String) -> BoxFuture<'_, Result<bool, String>> {
        Box::pin(async move {
            self.note(format!("ack {org} {code} {who}"));
            Ok(true)
        })
    }
    fn mute(
        &self,
        org: String,
        code: String,
        until: i64,
        who: String,
    ) -> BoxFuture<'_, Result<bool, String>> {
        Box::pin(async move {
            self.note(format!("mute {org} {code} {} {who}", until - now()));
            Ok(true)
        })
    }
    fn check_now(&self, org: String) -> BoxFuture<'_, Result<OrgCycle, String>> {
        Box::pin(async move {
            self.note(format!("check {org}"));
            Ok(cycle(&org, CheckState::Fail, vec![frozen()], 0))
        })
    }
}

/// Carries out the store tasks among `effects` as the loop would, feeding their answers back;
/// the refresh the screen arms (a delayed read) is counted, not waited for.
async fn settle(app: &mut App, effects: Vec<Effect>) -> usize {
    let mut queue = effects;
    let mut refresh = 0;
    while let Some(e) = queue.pop() {
        if let Effect::Fleet(job) = e {
            if let FleetJob::Status { delay, .. } = &job
                && *delay > Duration::ZERO
            {
                refresh += 1;
                continue;
            }
            let msg = run_job(job).await;
            queue.extend(app.update(Msg::Fleet(msg)));
        }
    }
    refresh
}

async fn fleet_app(fake: Arc<Fake>) -> App {
    let mut app = App::new();
    app.prefs.set_theme(sagediag::settings::Theme::NoColor);
    app.update(ch('F'));
    assert_eq!(app.screen, Screen::Fleet);
    let source: Source = fake;
    let fx = app.update(Msg::Fleet(FleetMsg::Opened(Ok(Some(source)))));
    let refresh = settle(&mut app, fx).await;
    assert_eq!(refresh, 1, "a refresh is armed while Fleet is shown");
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

fn order(app: &App) -> Vec<String> {
    app.screens
        .fleet
        .visible()
        .iter()
        .map(|s| s.org.clone())
        .collect()
}

#[tokio::test]
async fn rows_sort_by_state_then_by_each_column_and_filter() {
    let mut app = fleet_app(Arc::new(Fake::default())).await;
    assert_eq!(
        order(&app),
        ["org-002", "org-003", "org-001"],
        "worst first"
    );
    app.update(ch('s'));
    assert_eq!(order(&app), ["org-001", "org-002", "org-003"], "by org");
    app.update(ch('s'));
    assert_eq!(order(&app)[0], "org-002", "by open incidents");
    app.update(ch('s'));
    assert_eq!(order(&app)[0], "org-003", "by last cycle, oldest first");
    app.update(ch('s'));
    assert_eq!(
        order(&app)[0],
        "org-003",
        "by refresh expiry, soonest first"
    );
    app.update(ch('s'));
    assert_eq!(order(&app)[2], "org-001", "by API headroom, most last");
    app.update(ch('f'));
    assert_eq!(order(&app), ["org-002"], "failing only");
    app.update(ch('f'));
    app.update(ch('/'));
    for c in "expir".chars() {
        app.update(ch(c));
    }
    app.update(key(KeyCode::Enter));
    assert_eq!(order(&app), ["org-003"], "filtered by finding code");
    let screen = render(&app, 80, 24);
    assert!(screen.contains("filter \"expir\""), "{screen}");
    app.update(key(KeyCode::Esc));
    assert_eq!(order(&app).len(), 3, "Esc clears the filter");
}

#[tokio::test]
async fn the_table_fits_80x24_and_plain_uses_words_not_colour() {
    let mut app = fleet_app(Arc::new(Fake::default())).await;
    let screen = render(&app, 80, 24);
    for want in [
        "State",
        "Org",
        "Worst finding",
        "Last",
        "Refresh",
        "API left",
        "org-002",
        "USER_FROZEN",
        "FAIL",
        "4m ago",
        "in 3d",
        "4.1k/15k",
        "REFRESH_TOKEN_EXPIRING",
    ] {
        assert!(screen.contains(want), "{want} missing:\n{screen}");
    }
    let row = screen.lines().find(|l| l.contains("org-002")).unwrap();
    assert!(row.contains("FAIL") && row.contains("USER_FROZEN"), "{row}");
    assert!(
        screen.contains("Fix: Setup > Users > [user] > Unfreeze."),
        "{screen}"
    );
    assert!(screen.lines().all(|l| l.chars().count() <= 80));
    app.prefs.set_theme(sagediag::settings::Theme::Plain);
    let plain = render(&app, 80, 24);
    assert!(!plain.contains('│') && !plain.contains('┌'), "{plain}");
    for (org, word) in [
        ("org-001", "PASS"),
        ("org-002", "FAIL"),
        ("org-003", "WARN"),
    ] {
        let row = plain.lines().find(|l| l.contains(org)).unwrap();
        assert!(row.contains(word), "{org} says {word} in words: {row}");
    }
    // Narrower than the table wants: the API column goes first, nothing overflows.
    let narrow = render(&app, 80, 24);
    assert!(narrow.contains("org-003"));
}

/// The Org column takes the room the names need: a 19-character name shows whole at 80
/// columns beside the longest finding code; a longer one is elided in its middle, never cut.
#[tokio::test]
async fn long_org_names_show_whole_when_there_is_room() {
    let name = "acme-payroll-prod-1";
    let fake = Fake {
        rename: Some(name.into()),
        ..Fake::default()
    };
    let app = fleet_app(Arc::new(fake)).await;
    let screen = render(&app, 80, 24);
    let row = screen.lines().find(|l| l.contains("PASS")).unwrap();
    assert!(row.contains(name), "{row}\n{screen}");
    let warn = screen.lines().find(|l| l.contains("WARN")).unwrap();
    assert!(warn.contains("REFRESH_TOKEN_EXPIRING"), "{warn}");
    assert!(screen.lines().all(|l| l.chars().count() <= 80));

    let long = "acme-hr-production-europe-west-payroll-1";
    let fake = Fake {
        rename: Some(long.into()),
        ..Fake::default()
    };
    let app = fleet_app(Arc::new(fake)).await;
    let screen = render(&app, 80, 24);
    let row = screen.lines().find(|l| l.contains("PASS")).unwrap();
    assert!(row.contains("acme-hr-produc") && row.contains('…'), "{row}");
    assert!(row.contains("roll-1 "), "the end stays: {row}");
    // Wider, it shows whole.
    let wide = render(&app, 120, 30);
    assert!(wide.contains(long), "{wide}");
}

#[tokio::test]
async fn enter_shows_the_orgs_last_cycle_findings_read_only() {
    let mut app = fleet_app(Arc::new(Fake::default())).await;
    let fx = app.update(key(KeyCode::Enter));
    assert!(matches!(
        fx.as_slice(),
        [Effect::Fleet(FleetJob::Cycle { id: 2, .. })]
    ));
    settle(&mut app, fx).await;
    assert_eq!(app.screen, Screen::Findings);
    assert_eq!(app.run.findings.len(), 1);
    assert_eq!(app.run.findings[0].code.as_str(), "USER_FROZEN");
    let screen = render(&app, 80, 24);
    for want in [
        "USER_FROZEN",
        "Unfreeze",
        "org-002's watch cycle of 4m ago, read-only",
        "frozen",
    ] {
        assert!(screen.contains(want), "{want} missing:\n{screen}");
    }
    // Read-only: no fix from here.
    app.update(ch('f'));
    assert!(
        app.status
            .current
            .as_deref()
            .is_some_and(|s| s.contains("Read-only")),
        "{:?}",
        app.status.current
    );
    assert!(matches!(app.overlay, sagediag::tui::overlay::Overlay::None));
    // F goes back to Fleet, which reads the store again.
    let fx = app.update(ch('F'));
    assert_eq!(app.screen, Screen::Fleet);
    assert!(matches!(
        fx.as_slice(),
        [Effect::Fleet(FleetJob::Status { .. })]
    ));
}

#[tokio::test]
async fn ack_and_mute_call_the_store_with_who_and_until() {
    let fake = Arc::new(Fake::default());
    let mut app = fleet_app(fake.clone()).await;
    let sam = sagediag::tui::screens::fleet::os_user();
    let fx = app.update(ch('a'));
    let refresh = settle(&mut app, fx).await;
    assert_eq!(refresh, 1, "the table is read again after the ack");
    assert!(
        app.status
            .current
            .as_deref()
            .is_some_and(|s| s.contains(&format!("acknowledged by {sam}"))),
        "{:?}",
        app.status.current
    );
    app.update(ch('M'));
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("Mute USER_FROZEN on org-002 for:"),
        "{screen}"
    );
    let fx = app.update(ch('2'));
    settle(&mut app, fx).await;
    let calls = fake.calls.lock().unwrap().clone();
    assert_eq!(calls[0], format!("ack org-002 USER_FROZEN {sam}"));
    let mute: Vec<&str> = calls[1].split(' ').collect();
    assert_eq!(&mute[..3], ["mute", "org-002", "USER_FROZEN"]);
    let secs: i64 = mute[3].parse().unwrap();
    assert!(
        (4 * 3600 - 5..=4 * 3600).contains(&secs),
        "four hours: {secs}"
    );
    assert_eq!(mute[4..].join(" "), sam);
    // An org with no open incident: nothing is sent, and the user is told.
    app.update(key(KeyCode::End));
    let fx = app.update(ch('a'));
    assert!(fx.is_empty());
    assert!(
        app.status
            .current
            .as_deref()
            .is_some_and(|s| s.contains("no open incident"))
    );
    // r checks the selected org now.
    let fx = app.update(ch('r'));
    settle(&mut app, fx).await;
    assert_eq!(fake.calls.lock().unwrap().last().unwrap(), "check org-001");
    assert_eq!(app.screen, Screen::Findings, "the fresh cycle is shown");
    assert!(
        app.status
            .current
            .as_deref()
            .is_some_and(|s| s.contains("org-001's fresh check")),
        "{:?}",
        app.status.current
    );
}

#[tokio::test]
async fn the_timeline_shows_incidents_and_a_sparkline() {
    let mut app = fleet_app(Arc::new(Fake::default())).await;
    let fx = app.update(ch('t'));
    settle(&mut app, fx).await;
    let screen = render(&app, 80, 24);
    for want in [
        "Timeline of org-002",
        "last 20 cycles",
        " UTC",
        "6/8",
        "OPEN     USER_FROZEN",
        "RESOLVED API_LIMIT_NEAR",
        "resolved",
    ] {
        assert!(screen.contains(want), "{want} missing:\n{screen}");
    }
    app.update(key(KeyCode::Esc));
    assert!(!render(&app, 80, 24).contains("Timeline of"));
}

#[tokio::test]
async fn a_store_that_cannot_be_read_is_a_message_not_a_panic() {
    let fake = Arc::new(Fake {
        fail: Some("the store is locked by another process: try again".into()),
        ..Default::default()
    });
    let mut app = App::new();
    app.update(ch('F'));
    let source: Source = fake;
    let fx = app.update(Msg::Fleet(FleetMsg::Opened(Ok(Some(source)))));
    settle(&mut app, fx).await;
    let screen = render(&app, 80, 24);
    assert!(screen.contains("locked by another process"), "{screen}");
    // An open that failed: the same.
    let mut app = App::new();
    app.update(ch('F'));
    app.update(Msg::Fleet(FleetMsg::Opened(Err(
        "cannot connect to PostgreSQL at db:5432".into(),
    ))));
    assert!(render(&app, 80, 24).contains("cannot connect to PostgreSQL"));
    app.update(ch('q'));
    assert!(app.quit);
}

#[tokio::test]
async fn opened_by_itself_over_an_empty_store_goes_to_the_walk_through() {
    struct Empty;
    impl FleetSource for Empty {
        fn label(&self) -> String {
            "sqlite:x".into()
        }
        fn status(&self) -> BoxFuture<'_, Result<Vec<OrgStatus>, String>> {
            Box::pin(async { Ok(vec![]) })
        }
        fn history(&self, _: String, _: usize) -> BoxFuture<'_, Result<Vec<CycleSummary>, String>> {
            Box::pin(async { Ok(vec![]) })
        }
        fn incidents(&self, _: String, _: usize) -> BoxFuture<'_, Result<Vec<Incident>, String>> {
            Box::pin(async { Ok(vec![]) })
        }
        fn cycle(&self, _: i64) -> BoxFuture<'_, Result<Option<OrgCycle>, String>> {
            Box::pin(async { Ok(None) })
        }
        fn ack(&self, _: String, _: String, _: String) -> BoxFuture<'_, Result<bool, String>> {
            Box::pin(async { Ok(false) })
        }
        fn mute(
            &self,
            _: String,
            _: String,
            _: i64,
            _: String,
        ) -> BoxFuture<'_, Result<bool, String>> {
            Box::pin(async { Ok(false) })
        }
        fn check_now(&self, _: String) -> BoxFuture<'_, Result<OrgCycle, String>> {
            Box::pin(async { Err("not available".into()) })
        }
    }
    let mut app = App::new();
    let open = app.update(Msg::Fleet(FleetMsg::Start {
        url: None,
        by_itself: true,
    }));
    assert!(matches!(
        open.as_slice(),
        [Effect::Fleet(FleetJob::Open { url: None, .. })]
    ));
    assert_eq!(app.screen, Screen::Fleet);
    assert!(render(&app, 80, 24).contains("Opening the watch store"));
    let source: Source = Arc::new(Empty);
    let fx = app.update(Msg::Fleet(FleetMsg::Opened(Ok(Some(source)))));
    settle(&mut app, fx).await;
    assert_eq!(app.screen, Screen::Environment);
}

fn watch_org(name: &str) -> WatchOrg {
    WatchOrg {
        name: name.into(),
        environment: "http://127.0.0.1:9".into(),
        flow: MonitorFlow::ClientCredentials,
        client_id: "3MVG9monitor".into(),
        username: None,
        private_key: None,
        integration_user: "integration@acme-hr.example".into(),
        integration_app: None,
        probe_as_integration: false,
        schedule: Schedule::default(),
        ca_certs: vec![],
    }
}

/// A SQLite watch store at `path` holding three orgs, org-002 failing (a frozen user, an open
/// incident after two failing cycles), filled through the Store API.
async fn fill_store(path: &std::path::Path) -> Store {
    let store = Store::open(&StoreUrl::Sqlite(path.to_path_buf()))
        .await
        .unwrap();
    for (name, state) in [
        ("org-001", CheckState::Pass),
        ("org-002", CheckState::Fail),
        ("org-003", CheckState::Pass),
    ] {
        store.upsert_org(&watch_org(name)).await.unwrap();
        let findings = if state == CheckState::Fail {
            vec![frozen()]
        } else {
            vec![]
        };
        for ago in [900, 240] {
            store
                .record_cycle(
                    &cycle(name, state, findings.clone(), ago),
                    IncidentPolicy::default(),
                    &[],
                )
                .await
                .unwrap();
        }
    }
    store
}

#[tokio::test]
async fn ack_and_mute_are_recorded_in_the_sqlite_store() {
    let dir = std::env::temp_dir().join(format!("sagediag-fleet-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("watch.sqlite3");
    let store = fill_store(&path).await;
    let url = format!("sqlite:{}", path.display());
    let mut app = App::new();
    let fx = app.update(Msg::Fleet(FleetMsg::Start {
        url: Some(url.clone()),
        by_itself: false,
    }));
    settle(&mut app, fx).await;
    assert_eq!(order(&app), ["org-002", "org-001", "org-003"]);
    let screen = render(&app, 80, 24);
    assert!(screen.contains(&url), "the store is named: {screen}");
    let row = screen.lines().find(|l| l.contains("org-002")).unwrap();
    assert!(row.contains("FAIL") && row.contains("USER_FROZEN"), "{row}");
    let who = sagediag::tui::screens::fleet::os_user();
    let fx = app.update(ch('a'));
    settle(&mut app, fx).await;
    app.update(ch('M'));
    let fx = app.update(ch('1'));
    settle(&mut app, fx).await;
    let inc = store.incidents("org-002", 10).await.unwrap();
    let open = inc.iter().find(|i| i.code == "USER_FROZEN").unwrap();
    assert_eq!(open.acked_by.as_deref(), Some(who.as_str()));
    assert!(open.acked_at.is_some_and(|t| (now() - t).abs() < 60));
    let until = open.muted_until.unwrap();
    assert!((until - now() - 3600).abs() < 60, "muted for an hour");
    // The table read again shows it acked and muted.
    let screen = render(&app, 80, 24);
    assert!(screen.contains(&format!("acked by {who}")), "{screen}");
    assert!(screen.contains("muted until"), "{screen}");
    // Enter: the stored cycle's findings with their fix.
    let fx = app.update(key(KeyCode::Enter));
    settle(&mut app, fx).await;
    assert_eq!(app.screen, Screen::Findings);
    assert!(render(&app, 80, 24).contains("Unfreeze"));
    // r: a fresh cycle with the monitoring credentials (this org's login host answers
    // nothing: the cycle says so), shown and not recorded.
    app.update(ch('F'));
    let fx = app.update(ch('r'));
    settle(&mut app, fx).await;
    assert!(
        app.status
            .current
            .as_deref()
            .is_some_and(|s| s.contains("org-002's fresh check")),
        "{:?}",
        app.status.current
    );
    assert_eq!(
        store.history("org-002", 10).await.unwrap().len(),
        2,
        "not recorded"
    );
    assert!(render(&app, 80, 24).contains("WATCH_LOGIN_FAILED"));
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_store_that_cannot_be_opened_says_why() {
    let r = open_source(Some("mysql://db/x".into()), Default::default()).await;
    assert!(r.is_err_and(|e| e.contains("--store") && e.contains("sqlite:PATH")));
    // A file that is not a database: a message, not a panic.
    let dir = std::env::temp_dir().join(format!("sagediag-fleet-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("watch.sqlite3");
    std::fs::write(
        &bad,
        b"this is not a database, just text that is long enough to read",
    )
    .unwrap();
    let mut app = App::new();
    let fx = app.update(Msg::Fleet(FleetMsg::Start {
        url: Some(format!("sqlite:{}", bad.display())),
        by_itself: false,
    }));
    settle(&mut app, fx).await;
    let screen = render(&app, 80, 24);
    assert!(screen.contains("watch store"), "{screen}");
    let _ = std::fs::remove_dir_all(&dir);
}
