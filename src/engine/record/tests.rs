use super::*;
use crate::engine::model::record::UserRecord;
use serde_json::json;

fn row(time: &str, status: &str, app: &str, ip: &str) -> LoginRow {
    LoginRow::from_json(&json!({
        "LoginTime": time, "Status": status, "Application": app,
        "LoginType": "Remote Access 2.0", "SourceIp": ip,
    }))
}

fn history() -> Vec<LoginRow> {
    vec![
        row(
            "2026-12-07T09:00:00.000+0000",
            "Failed: Invalid Code Verifier",
            "StackOne",
            "10.0.0.1",
        ),
        row(
            "2026-12-06T09:00:00.000+0000",
            "Success",
            "sagediag",
            "127.0.0.1",
        ),
        row(
            "2026-12-05T09:00:00.000+0000",
            "Failed: Invalid Code Verifier",
            "StackOne",
            "10.0.0.2",
        ),
        row(
            "2026-12-02T10:00:00.000+0000",
            "Failed: Invalid Code Verifier",
            "StackOne",
            "10.0.0.2",
        ),
        row(
            "2026-12-03T10:00:00.000+0000",
            "Failed: Some New Thing \u{1b}[31m",
            "StackOne",
            "10.0.0.3",
        ),
        row(
            "2026-12-01T10:00:00.000+0000",
            "Success",
            "StackOne",
            "10.0.0.1",
        ),
    ]
}

#[test]
fn rows_group_by_status_and_application() {
    let h = summarise(&history(), false);
    assert_eq!(h.attempts, 6);
    assert_eq!(h.failures, 4);
    let g = &h.groups[0];
    assert_eq!(g.status, "Failed: Invalid Code Verifier");
    assert_eq!(g.application, "StackOne");
    assert_eq!(g.count, 3);
    assert_eq!(g.source_ips, 2);
    assert_eq!(g.first.as_deref(), Some("2026-12-02T10:00:00.000Z"));
    assert_eq!(g.last.as_deref(), Some("2026-12-07T09:00:00.000Z"));
    assert_eq!(g.login_types, vec!["Remote Access 2.0".to_string()]);
    assert_eq!(g.finding, Some(Code::PKCE_VERIFIER_REJECTED));
    let last = h.last_success.unwrap();
    assert_eq!(last.application, "sagediag");
    assert_eq!(last.time.as_deref(), Some("2026-12-06T09:00:00.000Z"));
    // Server text is sanitised: no escape sequence survives.
    assert!(h.groups.iter().all(|g| !g.status.contains('\u{1b}')));
}

#[test]
fn failures_become_findings_from_the_record() {
    let rec = IntegrationRecord {
        read_as: Some("api-user"),
        history_days: 7,
        login_history: Some(summarise(&history(), false)),
        ..IntegrationRecord::default()
    };
    let fs = findings(&rec, None);
    let pkce = fs
        .iter()
        .find(|f| f.code == Code::PKCE_VERIFIER_REJECTED)
        .expect("the PKCE finding");
    assert_eq!(pkce.source, Some("login_history"));
    assert_eq!(pkce.severity, Severity::Error, "no later StackOne success");
    let ev = pkce.record.as_ref().unwrap();
    assert_eq!(
        (ev.count, ev.first.as_deref()),
        (3, Some("2026-12-02T10:00:00.000Z"))
    );
    assert!(
        pkce.title.contains("Failed: Invalid Code Verifier"),
        "{}",
        pkce.title
    );
    let other = fs
        .iter()
        .find(|f| f.code == Code::LOGIN_HISTORY_FAILURE)
        .expect("the unmapped Status still shows");
    assert!(
        other.title.contains("Failed: Some New Thing"),
        "{}",
        other.title
    );
    let json = serde_json::to_value(pkce).unwrap();
    assert_eq!(json["source"], "login_history");
    assert_eq!(json["record"]["count"], 3);
}

#[test]
fn this_runs_own_success_does_not_clear_a_failure() {
    let mut rows = history();
    rows.push(row(
        "2026-12-07T10:00:00.000+0000",
        "Success",
        "StackOne",
        "127.0.0.1",
    ));
    let cutoff = clock::parse_sf_datetime("2026-12-07T09:59:00.000+0000");
    let rows: Vec<LoginRow> = rows.into_iter().map(|r| r.mark_run(cutoff)).collect();
    let h = summarise(&rows, false);
    let ok = h
        .groups
        .iter()
        .find(|g| g.success && g.application == "StackOne")
        .unwrap();
    assert_eq!((ok.count, ok.this_run), (2, 1));
    assert_eq!(
        h.last_success.unwrap().application,
        "sagediag",
        "this run's own login is not the integration's last success"
    );
    let rec = IntegrationRecord {
        login_history: Some(summarise(&rows, false)),
        ..IntegrationRecord::default()
    };
    let fs = findings(&rec, None);
    let pkce = fs
        .iter()
        .find(|f| f.code == Code::PKCE_VERIFIER_REJECTED)
        .unwrap();
    assert_eq!(pkce.severity, Severity::Error);
}

#[test]
fn a_later_success_makes_a_failure_a_warning() {
    let mut rows = history();
    rows.push(row(
        "2026-12-07T10:00:00.000+0000",
        "Success",
        "StackOne",
        "10.0.0.1",
    ));
    let rec = IntegrationRecord {
        login_history: Some(summarise(&rows, false)),
        ..IntegrationRecord::default()
    };
    let fs = findings(&rec, None);
    let pkce = fs
        .iter()
        .find(|f| f.code == Code::PKCE_VERIFIER_REJECTED)
        .unwrap();
    assert_eq!(pkce.severity, Severity::Warning);
}

#[test]
fn frozen_user_cap_and_expiry_findings() {
    let now = clock::now_ms();
    let day = 24 * 3_600_000;
    let policy = crate::engine::app::RefreshExpiry {
        idle: true,
        hours: 720,
    };
    let grant = |created_days: u64, used_days: u64| {
        let created = now - created_days * day;
        let used = now - used_days * day;
        let mut g = grants_fixture(created, used);
        g.expiry = grants::forecast(policy, Some(created), Some(used), now);
        g
    };
    let rec = IntegrationRecord {
        user: UserRecord {
            username: Some("api@acme.example".into()),
            frozen: Some(true),
            active: Some(true),
            ..UserRecord::default()
        },
        grants: Some(Grants {
            app: Some("StackOne".into()),
            count: 5,
            cap: 5,
            policy: Some("Expire refresh token if not used for 720 hours".into()),
            grants: vec![
                grant(90, 27),
                grant(60, 1),
                grant(50, 1),
                grant(40, 1),
                grant(30, 1),
            ],
        }),
        ..IntegrationRecord::default()
    };
    let fs = findings(&rec, Some(policy));
    let codes: Vec<Code> = fs.iter().map(|f| f.code).collect();
    assert!(codes.contains(&Code::USER_FROZEN), "{codes:?}");
    assert!(codes.contains(&Code::GRANT_CAP_RISK), "{codes:?}");
    let exp = fs
        .iter()
        .find(|f| f.code == Code::REFRESH_TOKEN_EXPIRING)
        .unwrap();
    assert!(exp.detail.contains("expires in 3 days"), "{}", exp.detail);
    let frozen = fs.iter().find(|f| f.code == Code::USER_FROZEN).unwrap();
    assert_eq!(frozen.severity, Severity::Error);
    assert!(frozen.fix.iter().any(|s| s.contains("Unfreeze")));
    assert_eq!(
        crate::engine::fix::kind_of(Code::USER_FROZEN),
        crate::engine::fix::FixKind::Setup
    );
    let lines = lines(&rec);
    assert!(
        lines.iter().any(|(_, v)| v.contains("5 of 5 for StackOne")),
        "{lines:?}"
    );
}

fn grants_fixture(created: u64, used: u64) -> OauthGrant {
    grants::tests_support::grant("StackOne", created, used)
}

#[test]
fn soql_strings_are_escaped() {
    assert_eq!(soql_str("o'brien\\x"), "o\\'brien\\\\x");
    assert!(is_sf_id("005000000000001AAA") && !is_sf_id("005' OR '1'='1"));
}

#[test]
fn a_failure_only_this_run_met_raises_nothing_from_the_record() {
    let cutoff = clock::parse_sf_datetime("2026-12-07T09:59:00.000+0000");
    let rows: Vec<LoginRow> = vec![
        row(
            "2026-12-07T10:00:00.000+0000",
            "Failed: Invalid Token",
            "StackOne",
            "127.0.0.1",
        ),
        row(
            "2026-12-06T10:00:00.000+0000",
            "Success",
            "StackOne",
            "10.0.0.1",
        ),
    ]
    .into_iter()
    .map(|r| r.mark_run(cutoff))
    .collect();
    let rec = IntegrationRecord {
        login_history: Some(summarise(&rows, false)),
        ..IntegrationRecord::default()
    };
    assert!(findings(&rec, None).is_empty());
    let h = rec.login_history.unwrap();
    assert_eq!(h.failures, 1, "still counted and shown");
}
