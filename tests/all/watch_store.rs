//! The history store (`engine::watch::store`) on both backends: the same test bodies run on
//! SQLite and on a throw-away PostgreSQL (tests/all/pg.rs; skipped with one line where
//! PostgreSQL is not installed), plus team mode on PostgreSQL (two stores on one database at
//! once) and the messages a user sees when the store cannot be used.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use sagediag::engine::watch::store::{Store, StoreUrl};
use sagediag::engine::watch::{
    CheckResult, CheckState, IncidentPolicy, IncidentState, MonitorFlow, OrgCycle, Schedule,
    Signals, TransitionKind, WatchFinding, WatchOrg,
};

use crate::pg;

const POLICY: IncidentPolicy = IncidentPolicy {
    open_after: 2,
    resolve_after: 2,
};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sagediag-store-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

async fn sqlite(name: &str) -> Store {
    let path = scratch(name).join("watch.sqlite3");
    Store::open(&StoreUrl::Sqlite(path)).await.unwrap()
}

async fn postgres(name: &str) -> Option<Store> {
    let url = pg::fresh_url(name).await?;
    Some(Store::open(&StoreUrl::parse(&url).unwrap()).await.unwrap())
}

fn org(name: &str) -> WatchOrg {
    WatchOrg {
        name: name.into(),
        environment: "sandbox".into(),
        flow: MonitorFlow::ClientCredentials,
        client_id: "3MVG9monitor".into(),
        username: None,
        private_key: None,
        integration_user: "integration@example.com".into(),
        integration_app: Some("Sage People Connector".into()),
        probe_as_integration: false,
        schedule: Schedule::Interval { secs: 600 },
        ca_certs: vec![],
    }
}

fn finding(code: &str, severity: &str) -> WatchFinding {
    WatchFinding {
        code: code.into(),
        severity: severity.into(),
        title: format!("{code} happened"),
        fix: vec![format!("Fix {code}.")],
        forecast: false,
    }
}

/// One cycle of `org` at `t` with these findings (a failing check for each, a passing `login`).
fn cycle(org: &str, t: i64, findings: &[WatchFinding]) -> OrgCycle {
    let mut checks = vec![CheckResult {
        check: "login".into(),
        state: CheckState::Pass,
        latency_ms: 40,
        codes: vec![],
        detail: "monitoring login ok".into(),
    }];
    for f in findings {
        checks.push(CheckResult {
            check: format!("check:{}", f.code),
            state: CheckState::Fail,
            latency_ms: 12,
            codes: vec![f.code.clone()],
            detail: f.title.clone(),
        });
    }
    let state = if findings.is_empty() {
        CheckState::Pass
    } else {
        CheckState::Fail
    };
    OrgCycle {
        org: org.into(),
        started_at: t,
        duration_ms: 120,
        state,
        checks,
        findings: findings.to_vec(),
        signals: Signals {
            grants_used: Some(3),
            api_requests_remaining: Some(14_000),
            api_requests_max: Some(15_000),
            ..Default::default()
        },
        report: serde_json::json!({"org": org, "t": t}),
        watcher: "test-host:1".into(),
    }
}

fn targets() -> Vec<String> {
    vec!["slack".into(), "webhook-1".into()]
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Runs `$body` (an async fn taking a Store) on SQLite and, where installed, on PostgreSQL.
macro_rules! both {
    ($sqlite:ident, $pg:ident, $body:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            $body(sqlite(stringify!($sqlite)).await).await;
            let _ = std::fs::remove_dir_all(scratch(stringify!($sqlite)));
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $pg() {
            if let Some(s) = postgres(stringify!($pg)).await {
                $body(s).await;
            }
        }
    };
}

both!(every_call_sqlite, every_call_postgres, every_call);
async fn every_call(s: Store) {
    // The watch list.
    assert!(s.list_orgs().await.unwrap().is_empty());
    s.upsert_org(&org("acme")).await.unwrap();
    s.upsert_org(&org("globex")).await.unwrap();
    let mut changed = org("acme");
    changed.environment = "production".into();
    s.upsert_org(&changed).await.unwrap();
    let list = s.list_orgs().await.unwrap();
    assert_eq!(list, vec![changed.clone(), org("globex")]);
    assert!(s.remove_org("globex").await.unwrap());
    assert!(!s.remove_org("globex").await.unwrap());
    assert_eq!(s.list_orgs().await.unwrap(), vec![changed]);

    // Cycles, history, the full cycle back.
    let t0 = now() - 3_600;
    let bad = [finding("USER_FROZEN", "error")];
    let (c1, tr) = s
        .record_cycle(&cycle("acme", t0, &bad), POLICY, &targets())
        .await
        .unwrap();
    assert!(tr.is_empty());
    let (c2, tr) = s
        .record_cycle(&cycle("acme", t0 + 60, &bad), POLICY, &targets())
        .await
        .unwrap();
    assert!(c2 > c1);
    assert_eq!(tr.len(), 1);
    assert_eq!(tr[0].kind, TransitionKind::Opened);
    let full = s.cycle(c2).await.unwrap().unwrap();
    assert_eq!(full, cycle("acme", t0 + 60, &bad));
    assert_eq!(s.cycle(c2 + 1000).await.unwrap(), None);
    let h = s.history("acme", 10).await.unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[0].cycle_id, c2);
    assert_eq!(h[0].codes, vec!["USER_FROZEN".to_string()]);
    assert_eq!((h[0].passed, h[0].total), (1, 2));
    assert_eq!(h[0].state, CheckState::Fail);
    assert_eq!(s.history("acme", 1).await.unwrap().len(), 1);
    assert!(s.history("nobody", 5).await.unwrap().is_empty());

    // Status: every org, its last cycle (report left out) and open incidents.
    s.record_cycle(&cycle("initech", t0, &[]), POLICY, &targets())
        .await
        .unwrap();
    let st = s.status().await.unwrap();
    assert_eq!(
        st.iter().map(|o| o.org.as_str()).collect::<Vec<_>>(),
        ["acme", "initech"]
    );
    assert_eq!(st[0].last_cycle_id, Some(c2));
    let last = st[0].last.as_ref().unwrap();
    assert_eq!(last.checks.len(), 2);
    assert_eq!(last.findings, bad.to_vec());
    assert_eq!(last.signals.grants_used, Some(3));
    assert_eq!(last.report, serde_json::Value::Null);
    assert_eq!(st[0].open_incidents.len(), 1);
    assert_eq!(st[0].open_incidents[0].code, "USER_FROZEN");
    assert!(st[1].open_incidents.is_empty());

    // Incidents, ack, mute.
    let inc = s.incidents("acme", 10).await.unwrap();
    assert_eq!(inc.len(), 1);
    assert_eq!(inc[0].state, IncidentState::Open);
    assert_eq!(
        (inc[0].first_seen, inc[0].last_seen, inc[0].count),
        (t0, t0 + 60, 2)
    );
    assert!(s.ack("acme", "USER_FROZEN", "ann").await.unwrap());
    assert!(!s.ack("acme", "NO_SUCH_CODE", "ann").await.unwrap());
    assert!(
        s.mute("acme", "USER_FROZEN", now() + 600, "bob")
            .await
            .unwrap()
    );
    let inc = &s.incidents("acme", 10).await.unwrap()[0];
    assert_eq!(inc.acked_by.as_deref(), Some("ann"));
    assert!(inc.acked_at.is_some());
    assert!(inc.muted_until.is_some_and(|u| u > now()));

    // The LoginHistory high-water mark.
    assert_eq!(s.login_high_water("acme").await.unwrap(), None);
    s.set_login_high_water("acme", "2026-12-07T13:05:00.000+0000")
        .await
        .unwrap();
    s.set_login_high_water("acme", "2026-12-07T14:05:00.000+0000")
        .await
        .unwrap();
    assert_eq!(
        s.login_high_water("acme").await.unwrap().as_deref(),
        Some("2026-12-07T14:05:00.000+0000")
    );

    // Deliveries: the opened alert, one per target; claimed once; failed, retried, delivered.
    let due = s.due_deliveries(now(), 10).await.unwrap();
    assert_eq!(
        due.iter().map(|d| d.target.as_str()).collect::<Vec<_>>(),
        ["slack", "webhook-1"]
    );
    assert!(
        due.iter()
            .all(|d| d.transition.kind == TransitionKind::Opened
                && d.transition.code == "USER_FROZEN"
                && d.attempts == 0)
    );
    assert!(
        s.due_deliveries(now(), 10).await.unwrap().is_empty(),
        "claimed"
    );
    s.delivered(due[0].id, now()).await.unwrap();
    s.delivery_failed(due[1].id, now() - 1, "HTTP 500 \u{1b}[31mboom")
        .await
        .unwrap();
    let again = s.due_deliveries(now(), 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, due[1].id);
    assert_eq!(again[0].attempts, 1);
    let err = again[0].last_error.as_deref().unwrap();
    assert!(err.contains("HTTP 500") && !err.contains('\u{1b}'), "{err}");
    s.delivery_failed(again[0].id, now() + 3_600, "later")
        .await
        .unwrap();
    assert!(
        s.due_deliveries(now(), 10).await.unwrap().is_empty(),
        "not yet due"
    );
    assert_eq!(s.due_deliveries(now() + 3_600, 10).await.unwrap().len(), 1);

    // Leases.
    assert!(s.try_lease("acme", "w1", 100, 60).await.unwrap());
    assert!(
        s.try_lease("acme", "w1", 100, 60).await.unwrap(),
        "ours already"
    );
    assert!(!s.try_lease("acme", "w2", 100, 60).await.unwrap());
    assert!(
        !s.try_lease("acme", "w2", 101, 60).await.unwrap(),
        "not expired"
    );
    assert!(s.try_lease("acme", "w1", 101, 60).await.unwrap());
    assert!(
        !s.try_lease("acme", "w1", 99, 60).await.unwrap(),
        "an older key"
    );

    // Prune keeps recent cycles.
    assert_eq!(s.prune(90).await.unwrap(), 0);
    assert_eq!(s.history("acme", 10).await.unwrap().len(), 2);
}

both!(
    opens_and_resolves_sqlite,
    opens_and_resolves_postgres,
    opens_and_resolves
);
async fn opens_and_resolves(s: Store) {
    let t = now() - 1_000;
    let bad = [finding("PERMSET_MISSING", "error")];
    let mut kinds = Vec::new();
    for (i, f) in [&bad[..], &bad[..], &[], &[]].iter().enumerate() {
        let (_, tr) = s
            .record_cycle(&cycle("acme", t + 60 * i as i64, f), POLICY, &targets())
            .await
            .unwrap();
        kinds.push(tr.iter().map(|t| t.kind).collect::<Vec<_>>());
        let due = s.due_deliveries(now(), 100).await.unwrap();
        // One delivery per target for each transition, right after the cycle that made it.
        match i {
            1 | 3 => {
                assert_eq!(due.len(), 2, "cycle {i}: {due:?}");
                assert_eq!(due[0].transition, tr[0]);
                assert_eq!(due[0].transition.incident_id, due[1].transition.incident_id);
                for d in &due {
                    s.delivered(d.id, now()).await.unwrap();
                }
            }
            _ => assert!(due.is_empty(), "cycle {i}: {due:?}"),
        }
    }
    assert_eq!(
        kinds,
        vec![
            vec![],
            vec![TransitionKind::Opened],
            vec![],
            vec![TransitionKind::Resolved]
        ]
    );
    let inc = s.incidents("acme", 10).await.unwrap();
    assert_eq!(inc.len(), 1);
    assert_eq!(inc[0].state, IncidentState::Resolved);
    assert_eq!(inc[0].resolved_at, Some(t + 180));
    assert!(s.status().await.unwrap()[0].open_incidents.is_empty());
    // Nothing is delivered twice.
    assert!(
        s.due_deliveries(now() + 10_000, 100)
            .await
            .unwrap()
            .is_empty()
    );
}

both!(flapping_sqlite, flapping_postgres, flapping);
async fn flapping(s: Store) {
    let t = now() - 10_000;
    let bad = [finding("USER_FROZEN", "error")];
    for i in 0..10 {
        let f: &[WatchFinding] = if i % 2 == 0 { &bad } else { &[] };
        let (_, tr) = s
            .record_cycle(&cycle("flappy", t + 60 * i, f), POLICY, &targets())
            .await
            .unwrap();
        assert!(tr.is_empty(), "cycle {i}: {tr:?}");
    }
    assert!(s.due_deliveries(now(), 100).await.unwrap().is_empty());
    let inc = s.incidents("flappy", 10).await.unwrap();
    assert!(
        inc.iter().all(|i| i.state == IncidentState::Pending),
        "{inc:?}"
    );
}

both!(muted_sqlite, muted_postgres, muted);
async fn muted(s: Store) {
    let t = now() - 1_000;
    let bad = [finding("API_HEADROOM", "warning")];
    s.record_cycle(&cycle("acme", t, &bad), POLICY, &targets())
        .await
        .unwrap();
    assert!(
        s.mute("acme", "API_HEADROOM", now() + 3_600, "ann")
            .await
            .unwrap()
    );
    let (_, tr) = s
        .record_cycle(&cycle("acme", t + 60, &bad), POLICY, &targets())
        .await
        .unwrap();
    // The incident opens (the transition is returned) but nothing is queued.
    assert_eq!(tr.len(), 1);
    assert_eq!(tr[0].kind, TransitionKind::Opened);
    assert_eq!(s.status().await.unwrap()[0].open_incidents.len(), 1);
    assert!(s.due_deliveries(now(), 100).await.unwrap().is_empty());
    // Still muted: the escalation is not delivered either.
    let (_, tr) = s
        .record_cycle(
            &cycle("acme", t + 120, &[finding("API_HEADROOM", "error")]),
            POLICY,
            &targets(),
        )
        .await
        .unwrap();
    assert_eq!(tr[0].kind, TransitionKind::Escalated);
    assert!(s.due_deliveries(now(), 100).await.unwrap().is_empty());
}

both!(
    lease_takeover_sqlite,
    lease_takeover_postgres,
    lease_takeover
);
async fn lease_takeover(s: Store) {
    // Watcher "dead" takes the org for cycle 1 with a 1 s lease and never comes back.
    assert!(s.try_lease("acme", "dead", 1, 1).await.unwrap());
    assert!(!s.try_lease("acme", "alive", 1, 60).await.unwrap());
    assert!(!s.try_lease("acme", "alive", 2, 60).await.unwrap());
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    // Expired: the next cycle goes to the live watcher; the dead one's key is never re-granted.
    assert!(!s.try_lease("acme", "alive", 1, 60).await.unwrap());
    assert!(s.try_lease("acme", "alive", 2, 60).await.unwrap());
    assert!(!s.try_lease("acme", "dead", 2, 60).await.unwrap());
    assert!(!s.try_lease("acme", "dead", 3, 60).await.unwrap());
}

both!(lease_release_sqlite, lease_release_postgres, lease_release);
async fn lease_release(s: Store) {
    // A watcher gives its lease back once its cycle is recorded: the next cycle key is free at
    // once for another watcher; the same key never is; only the holder can give it back.
    assert!(s.try_lease("acme", "w1", 1, 600).await.unwrap());
    assert!(!s.try_lease("acme", "w2", 2, 600).await.unwrap(), "held");
    assert!(!s.release_lease("acme", "w2", 1).await.unwrap(), "not w2's");
    assert!(
        !s.try_lease("acme", "w2", 2, 600).await.unwrap(),
        "still held"
    );
    assert!(s.release_lease("acme", "w1", 1).await.unwrap());
    assert!(
        !s.try_lease("acme", "w2", 1, 600).await.unwrap(),
        "never twice"
    );
    assert!(
        s.try_lease("acme", "w2", 2, 600).await.unwrap(),
        "free at once"
    );
    assert!(!s.try_lease("acme", "w1", 2, 600).await.unwrap());
    assert!(!s.release_lease("acme", "w1", 2).await.unwrap());
}

both!(forecast_sqlite, forecast_postgres, forecast);
async fn forecast(s: Store) {
    // The refresh token will idle out: a warning incident opens before the break; the break
    // escalates that same incident.
    let t = now() - 1_000;
    let mut fc = finding("REFRESH_TOKEN_EXPIRING", "warning");
    fc.forecast = true;
    s.record_cycle(
        &cycle("acme", t, std::slice::from_ref(&fc)),
        POLICY,
        &targets(),
    )
    .await
    .unwrap();
    let (_, tr) = s
        .record_cycle(
            &cycle("acme", t + 60, std::slice::from_ref(&fc)),
            POLICY,
            &targets(),
        )
        .await
        .unwrap();
    assert_eq!(tr[0].kind, TransitionKind::Opened);
    assert_eq!(tr[0].severity, "warning");
    let (_, tr) = s
        .record_cycle(
            &cycle(
                "acme",
                t + 120,
                &[finding("REFRESH_TOKEN_EXPIRED", "error")],
            ),
            POLICY,
            &targets(),
        )
        .await
        .unwrap();
    assert_eq!(tr.len(), 1);
    assert_eq!(tr[0].kind, TransitionKind::Escalated);
    assert_eq!(tr[0].code, "REFRESH_TOKEN_EXPIRED");
    let inc = s.incidents("acme", 10).await.unwrap();
    assert_eq!(inc.len(), 1, "{inc:?}");
    assert_eq!(inc[0].code, "REFRESH_TOKEN_EXPIRED");
    assert_eq!(inc[0].severity, "error");
    assert_eq!(inc[0].first_seen, t);
    let due = s.due_deliveries(now(), 100).await.unwrap();
    let kinds: Vec<_> = due.iter().map(|d| d.transition.kind).collect();
    assert_eq!(
        kinds,
        [
            TransitionKind::Opened,
            TransitionKind::Opened,
            TransitionKind::Escalated,
            TransitionKind::Escalated
        ]
    );
    assert!(due.iter().all(|d| d.transition.incident_id == inc[0].id));
}

both!(prune_sqlite, prune_postgres, prune);
async fn prune(s: Store) {
    let day = 86_400;
    let old = now() - 100 * day;
    let bad = [finding("USER_FROZEN", "error")];
    // An incident that opened and resolved 100 days ago, and delivered alerts.
    for (i, f) in [&bad[..], &bad[..], &[], &[]].iter().enumerate() {
        s.record_cycle(&cycle("acme", old + i as i64 * 60, f), POLICY, &targets())
            .await
            .unwrap();
    }
    for d in s.due_deliveries(now(), 100).await.unwrap() {
        s.delivered(d.id, old + 300).await.unwrap();
    }
    // An org whose last cycle is old: it stays.
    let (quiet_last, _) = s
        .record_cycle(&cycle("quiet", old, &[]), POLICY, &targets())
        .await
        .unwrap();
    // Recent cycles of acme.
    s.record_cycle(&cycle("acme", now() - day, &[]), POLICY, &targets())
        .await
        .unwrap();
    assert_eq!(s.prune(90).await.unwrap(), 4);
    assert_eq!(s.history("acme", 100).await.unwrap().len(), 1);
    assert!(s.incidents("acme", 10).await.unwrap().is_empty());
    assert!(s.cycle(quiet_last).await.unwrap().is_some());
    assert_eq!(s.status().await.unwrap().len(), 2);
    assert_eq!(s.prune(90).await.unwrap(), 0);
    assert_eq!(s.prune(0).await.unwrap(), 0, "each org's last cycle stays");
}

#[tokio::test]
async fn sqlite_file_is_owner_only_and_in_wal_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("mode").join("nested");
    let path = dir.join("watch.sqlite3");
    let s = Store::open(&StoreUrl::Sqlite(path.clone())).await.unwrap();
    assert_eq!(s.sqlite_path(), Some(path.as_path()));
    assert!(!s.is_postgres());
    s.record_cycle(&cycle("acme", now(), &[]), POLICY, &[])
        .await
        .unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&dir), 0o700);
    let wal = path.with_file_name("watch.sqlite3-wal");
    assert!(wal.exists(), "WAL mode");
    assert_eq!(mode(&wal), 0o600);
    // Reopening keeps the data and migrates nothing twice.
    drop(s);
    let s = Store::open(&StoreUrl::Sqlite(path)).await.unwrap();
    assert_eq!(s.status().await.unwrap().len(), 1);
    drop(s);
    let _ = std::fs::remove_dir_all(scratch("mode"));
}

#[tokio::test]
async fn a_schema_newer_than_this_sagediag_is_refused() {
    let path = scratch("newer").join("watch.sqlite3");
    drop(Store::open(&StoreUrl::Sqlite(path.clone())).await.unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)",
        [],
    )
    .unwrap();
    drop(conn);
    let e = Store::open(&StoreUrl::Sqlite(path))
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("schema version 999"), "{e}");
    assert!(e.contains("upgrade sagediag"), "{e}");
    let _ = std::fs::remove_dir_all(scratch("newer"));
}

#[tokio::test]
async fn a_locked_sqlite_store_says_so() {
    let path = scratch("locked").join("watch.sqlite3");
    let s = Store::open(&StoreUrl::Sqlite(path.clone())).await.unwrap();
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let t = Instant::now();
    let e = s
        .record_cycle(&cycle("acme", now(), &[]), POLICY, &[])
        .await
        .unwrap_err()
        .to_string();
    assert!(t.elapsed() >= Duration::from_secs(4), "waited for the lock");
    assert!(e.contains("is locked by another process"), "{e}");
    assert!(e.contains("another sagediag watch"), "{e}");
    other.execute_batch("ROLLBACK").unwrap();
    s.record_cycle(&cycle("acme", now(), &[]), POLICY, &[])
        .await
        .unwrap();
    drop((s, other));
    let _ = std::fs::remove_dir_all(scratch("locked"));
}

#[tokio::test]
async fn an_unreachable_postgres_says_so_quickly_without_the_password() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("postgres://watch:hunter2@127.0.0.1:{port}/watch");
    let t = Instant::now();
    let e = Store::open(&StoreUrl::parse(&url).unwrap())
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert!(
        e.starts_with(&format!("cannot reach PostgreSQL at 127.0.0.1:{port} (")),
        "{e}"
    );
    assert!(e.contains("is it running? check --store"), "{e}");
    assert!(!e.contains("hunter2"), "{e}");
}

#[tokio::test]
async fn plain_postgres_to_another_host_is_refused_before_connecting() {
    let url = "postgres://watch:hunter2@db.example.invalid/watch?sslmode=disable";
    let e = Store::open(&StoreUrl::parse(url).unwrap())
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("without TLS (sslmode=disable)"), "{e}");
    assert!(e.contains("db.example.invalid"), "{e}");
    assert!(!e.contains("hunter2"), "{e}");
}

#[tokio::test]
async fn a_wrong_postgres_password_says_what_to_check() {
    let Some(url) = pg::fresh_url("wrong_password").await else {
        return;
    };
    let server = pg::server().unwrap();
    let bad = url.replace(&server.password, "not-the-password");
    let e = Store::open(&StoreUrl::parse(&bad).unwrap())
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("refused the login"), "{e}");
    assert!(e.contains("check the user, password"), "{e}");
    assert!(!e.contains("not-the-password"), "{e}");
}

/// Team mode: two watchers (two stores on one database) at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_watchers_on_postgres_never_double_enqueue_claim_or_lease() {
    let Some(url) = pg::fresh_url("two_watchers").await else {
        return;
    };
    let u = StoreUrl::parse(&url).unwrap();
    let (a, b) = tokio::join!(Store::open(&u), Store::open(&u));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(a.is_postgres());

    // Both record the same failing cycles of 20 orgs at once, twice: each org opens one
    // incident, with one delivery per target for the whole team.
    let t = now() - 1_000;
    let bad = [finding("USER_FROZEN", "error")];
    let orgs: Vec<String> = (0..20).map(|i| format!("org-{i:03}")).collect();
    let mut opened = 0;
    for round in 0..2 {
        let run = |s: Store| {
            let orgs = orgs.clone();
            let bad = bad.clone();
            async move {
                let mut n = 0;
                for o in &orgs {
                    let (_, tr) = s
                        .record_cycle(&cycle(o, t + round * 60, &bad), POLICY, &targets())
                        .await
                        .unwrap();
                    n += tr
                        .iter()
                        .filter(|t| t.kind == TransitionKind::Opened)
                        .count();
                }
                n
            }
        };
        let (na, nb) = tokio::join!(run(a.clone()), run(b.clone()));
        opened += na + nb;
    }
    assert_eq!(opened, 20, "one Opened per org for the whole team");
    for o in &orgs {
        let inc = a.incidents(o, 10).await.unwrap();
        assert_eq!(inc.len(), 1, "{o}: {inc:?}");
    }

    // Both claim at once, in small batches: every delivery is claimed by exactly one.
    let claim = |s: Store| async move {
        let mut ids = Vec::new();
        loop {
            let got = s.due_deliveries(now(), 3).await.unwrap();
            if got.is_empty() {
                break;
            }
            ids.extend(got.iter().map(|d| d.id));
        }
        ids
    };
    let (ia, ib) = tokio::join!(claim(a.clone()), claim(b.clone()));
    let mut all: Vec<i64> = ia.iter().chain(&ib).copied().collect();
    let n = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), n, "a delivery was claimed twice");
    assert_eq!(n, 40, "20 orgs × 2 targets");

    // Both ask for the leases of 50 orgs for the same cycle at once: one holder each.
    let lease = |s: Store, who: &'static str| async move {
        let mut got = Vec::new();
        for i in 0..50 {
            let o = format!("org-{i:03}");
            if s.try_lease(&o, who, 7, 60).await.unwrap() {
                got.push(o);
            }
        }
        got
    };
    let (la, lb) = tokio::join!(lease(a.clone(), "watcher-a"), lease(b.clone(), "watcher-b"));
    assert_eq!(la.len() + lb.len(), 50, "a: {la:?} b: {lb:?}");
    assert!(la.iter().all(|o| !lb.contains(o)));
}

/// TLS to PostgreSQL is verified: the test cluster's certificate (signed by the test CA) is
/// refused with a clear message, and accepted by a process that trusts the CA (SSL_CERT_FILE).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_to_postgres_is_verified() {
    let Some(url) = pg::fresh_url("tls_verified").await else {
        return;
    };
    let url = format!("{url}?sslmode=require");
    let e = Store::open(&StoreUrl::parse(&url).unwrap())
        .await
        .err()
        .expect("the test CA is not trusted in this process")
        .to_string();
    assert!(e.starts_with("TLS to PostgreSQL at 127.0.0.1:"), "{e}");
    assert!(e.contains("certificate"), "{e}");
    println!("{e}");
    // The same URL from a process that trusts the test CA works over TLS.
    let ca =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/test-ca.cert.pem");
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "watch_store::tls_child",
            "--ignored",
            "--nocapture",
        ])
        .env("SSL_CERT_FILE", ca)
        .env("SAGEDIAG_TEST_PG_TLS_URL", &url)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("1 passed"), "{text}");
}

/// Run by `tls_to_postgres_is_verified` in a child process that trusts the test CA.
#[tokio::test]
#[ignore = "run by tls_to_postgres_is_verified"]
async fn tls_child() {
    let url = std::env::var("SAGEDIAG_TEST_PG_TLS_URL").unwrap();
    let s = Store::open(&StoreUrl::parse(&url).unwrap()).await.unwrap();
    s.record_cycle(&cycle("acme", now(), &[]), POLICY, &[])
        .await
        .unwrap();
    assert_eq!(s.status().await.unwrap().len(), 1);
}

/// A PostgreSQL that closes the watcher's connections (a restart, a failover): the next calls
/// work on new connections, without an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_connections_closed_by_the_server_are_replaced() {
    let Some(url) = pg::fresh_url("closed_connections").await else {
        return;
    };
    let s = Store::open(&StoreUrl::parse(&url).unwrap()).await.unwrap();
    // Use every connection of the pool at once, so that each is kept.
    let calls: Vec<_> = (0..8).map(|_| s.status()).collect();
    for r in futures_util::future::join_all(calls).await {
        r.unwrap();
    }
    let db = url.rsplit('/').next().unwrap().to_string();
    let admin = pg::server().unwrap().url("postgres");
    let (client, conn) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let killed = client
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
            &[&db],
        )
        .await
        .unwrap();
    assert!(!killed.is_empty());
    tokio::time::sleep(Duration::from_millis(200)).await;
    for i in 0..8 {
        s.record_cycle(&cycle("acme", now() + i, &[]), POLICY, &[])
            .await
            .unwrap_or_else(|e| panic!("call {i} after the restart: {e}"));
    }
    assert_eq!(s.history("acme", 10).await.unwrap().len(), 8);
}

/// A connection that died silently (the network dropped it; nothing tells the client until it
/// sends): the call that finds it dead runs again on a new connection, without an error. A proxy
/// on loopback stands between the store and PostgreSQL; "cutting" it drops every connection to
/// the server and closes each client's side at its next request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silently_dropped_postgres_connection_is_retried_once() {
    use tokio::io::AsyncReadExt;
    let Some(url) = pg::fresh_url("silently_dropped").await else {
        return;
    };
    let server = pg::server().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_port = listener.local_addr().unwrap().port();
    let (cut, cut_rx) = tokio::sync::watch::channel(false);
    let upstream_port = server.port;
    tokio::spawn(async move {
        loop {
            let (mut client, _) = listener.accept().await.unwrap();
            let mut rx = cut_rx.clone();
            let fresh = !*rx.borrow();
            tokio::spawn(async move {
                let mut up = tokio::net::TcpStream::connect(("127.0.0.1", upstream_port))
                    .await
                    .unwrap();
                if fresh {
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut up) => return,
                        _ = rx.wait_for(|c| *c) => {}
                    }
                    // Cut: the server side goes; the client learns at its next request.
                    drop(up);
                    let mut buf = [0u8; 1];
                    let _ = client.read(&mut buf).await;
                } else {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut up).await;
                }
            });
        }
    });
    let via_proxy = url.replace(
        &format!("127.0.0.1:{}", server.port),
        &format!("127.0.0.1:{proxy_port}"),
    );
    let s = Store::open(&StoreUrl::parse(&via_proxy).unwrap())
        .await
        .unwrap();
    s.status().await.unwrap();
    cut.send(true).unwrap();
    // Connections made after the cut pass straight through.
    tokio::time::sleep(Duration::from_millis(100)).await;
    s.record_cycle(&cycle("acme", now(), &[]), POLICY, &[])
        .await
        .unwrap();
    assert_eq!(s.history("acme", 10).await.unwrap().len(), 1);
}
