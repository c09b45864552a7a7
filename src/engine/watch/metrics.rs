//! `/metrics`: the fleet's latest cycle per org in the Prometheus text format (version 0.0.4),
//! written by the official client (prometheus-client) from a registry built per scrape: no
//! global registry, no state kept between scrapes, the store is the one source.
//!
//! One target per org, as the blackbox exporter does (docs/watch.md lists the series). Every
//! label value (org names, check names, codes, LoginHistory statuses: server text) goes through
//! the sanitiser and is bounded before the library escapes it for the format.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

use super::model::{CheckState, IncidentState, OrgStatus};
use crate::engine::sanitize;

/// The `Content-Type` of what [`render`] writes.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

type Labels = Vec<(String, String)>;
type FloatFamily = Family<Labels, Gauge<f64, AtomicU64>>;
type IntFamily = Family<Labels, Gauge<i64>>;

/// A label value as it may be exported: control characters shown visibly, at most 128 bytes.
fn label(s: &str) -> String {
    sanitize::bounded(s, 128, None)
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), label(v)))
        .collect()
}

/// The Prometheus text for `status` (every org's latest cycle and open incidents) and the last
/// whole cycle's duration.
pub fn render(status: &[OrgStatus], cycle_seconds: Option<f64>) -> String {
    let mut registry = Registry::default();
    let probe_success = IntFamily::default();
    let probe_duration = FloatFamily::default();
    let finding_active = IntFamily::default();
    let grants = IntFamily::default();
    let expiry = IntFamily::default();
    let remaining = IntFamily::default();
    let max = IntFamily::default();
    let login_failures = IntFamily::default();
    let incidents_open = IntFamily::default();
    let last_cycle = IntFamily::default();

    registry.register(
        "sagediag_probe_success",
        "Whether the check passed in the org's latest cycle (1: pass or warn, 0: fail or error; skipped checks have no series)",
        probe_success.clone(),
    );
    registry.register_with_unit(
        "sagediag_probe_duration",
        "How long the check took in the org's latest cycle",
        Unit::Seconds,
        probe_duration.clone(),
    );
    registry.register(
        "sagediag_finding_active",
        "A finding raised in the org's latest cycle (1 per finding code)",
        finding_active.clone(),
    );
    registry.register(
        "sagediag_refresh_token_grants",
        "OAuth grants the integration user holds for the app, of the cap of five (alert at 4)",
        grants.clone(),
    );
    registry.register_with_unit(
        "sagediag_refresh_token_expiry",
        "Seconds until the integration's refresh token idles out under its policy (negative: expired)",
        Unit::Seconds,
        expiry.clone(),
    );
    registry.register(
        "sagediag_api_requests_remaining",
        "Daily API requests remaining in the org (/limits DailyApiRequests.Remaining)",
        remaining.clone(),
    );
    registry.register(
        "sagediag_api_requests_max",
        "Daily API requests allowed in the org (/limits DailyApiRequests.Max)",
        max.clone(),
    );
    registry.register(
        "sagediag_login_failures",
        "New failed logins of the integration user since the cycle before, by LoginHistory.Status",
        login_failures.clone(),
    );
    registry.register(
        "sagediag_incidents_open",
        "Open incidents of the org (opened and not resolved; acknowledged and muted ones included)",
        incidents_open.clone(),
    );
    registry.register_with_unit(
        "sagediag_last_cycle_timestamp",
        "When the org's latest cycle started, in Unix seconds (a stale value means the org is not being watched)",
        Unit::Seconds,
        last_cycle.clone(),
    );

    for s in status {
        let org = s.org.as_str();
        let open = s
            .open_incidents
            .iter()
            .filter(|i| i.state == IncidentState::Open)
            .count();
        incidents_open
            .get_or_create(&labels(&[("org", org)]))
            .set(open as i64);
        let Some(cycle) = &s.last else {
            continue;
        };
        last_cycle
            .get_or_create(&labels(&[("org", org)]))
            .set(cycle.started_at);
        for c in &cycle.checks {
            let l = labels(&[("org", org), ("check", &c.check)]);
            match c.state {
                CheckState::Skip => continue,
                CheckState::Pass | CheckState::Warn => probe_success.get_or_create(&l).set(1),
                CheckState::Fail | CheckState::Error => probe_success.get_or_create(&l).set(0),
            };
            probe_duration
                .get_or_create(&l)
                .set(c.latency_ms as f64 / 1000.0);
        }
        for f in &cycle.findings {
            finding_active
                .get_or_create(&labels(&[
                    ("org", org),
                    ("code", &f.code),
                    ("severity", &f.severity),
                ]))
                .set(1);
        }
        let sig = &cycle.signals;
        let org_l = labels(&[("org", org)]);
        if let Some(g) = sig.grants_used {
            grants.get_or_create(&org_l).set(i64::from(g));
        }
        if let Some(e) = sig.refresh_expires_in_secs {
            expiry.get_or_create(&org_l).set(e);
        }
        if let Some(r) = sig.api_requests_remaining {
            remaining.get_or_create(&org_l).set(r);
        }
        if let Some(m) = sig.api_requests_max {
            max.get_or_create(&org_l).set(m);
        }
        for (st, n) in &sig.login_failures {
            login_failures
                .get_or_create(&labels(&[("org", org), ("status", st)]))
                .set(i64::try_from(*n).unwrap_or(i64::MAX));
        }
    }
    if let Some(secs) = cycle_seconds {
        let cycle = Gauge::<f64, AtomicU64>::default();
        cycle.set(secs);
        registry.register_with_unit(
            "sagediag_cycle_duration",
            "How long the last whole watch cycle took, over every org",
            Unit::Seconds,
            cycle,
        );
    }
    let mut out = String::new();
    if prometheus_text::encode(&mut out, &registry).is_err() {
        // Writing to a String cannot fail; an empty exposition is still valid.
        out.clear();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::watch::model::*;

    pub(crate) fn status() -> Vec<OrgStatus> {
        let mut signals = Signals {
            grants_used: Some(4),
            refresh_expires_in_secs: Some(259_200),
            api_requests_remaining: Some(14_000),
            api_requests_max: Some(15_000),
            ..Signals::default()
        };
        signals
            .login_failures
            .insert("Failed: Computer activation required".into(), 3);
        let cycle = OrgCycle {
            org: "acme\"prod\n".into(),
            started_at: 1_765_000_000,
            duration_ms: 1200,
            state: CheckState::Fail,
            checks: vec![
                CheckResult {
                    check: "login".into(),
                    state: CheckState::Pass,
                    latency_ms: 250,
                    codes: vec![],
                    detail: String::new(),
                },
                CheckResult {
                    check: "permission_sets".into(),
                    state: CheckState::Fail,
                    latency_ms: 80,
                    codes: vec!["PERMISSION_SET_MISSING".into()],
                    detail: String::new(),
                },
                CheckResult {
                    check: "probe:employees".into(),
                    state: CheckState::Skip,
                    latency_ms: 0,
                    codes: vec![],
                    detail: String::new(),
                },
            ],
            findings: vec![WatchFinding {
                code: "PERMISSION_SET_MISSING".into(),
                severity: "error".into(),
                title: "x".into(),
                fix: vec![],
                forecast: false,
            }],
            signals,
            report: serde_json::Value::Null,
            watcher: String::new(),
        };
        vec![
            OrgStatus {
                org: "acme\"prod\n".into(),
                last: Some(cycle),
                last_cycle_id: Some(1),
                open_incidents: vec![],
            },
            OrgStatus {
                org: "never-run".into(),
                last: None,
                last_cycle_id: None,
                open_incidents: vec![],
            },
        ]
    }

    #[test]
    fn the_series_are_written_with_escaped_labels() {
        let text = render(&status(), Some(2.5));
        for line in [
            "# TYPE sagediag_probe_success gauge",
            r#"sagediag_probe_success{org="acme\"prod\\n",check="login"} 1"#,
            r#"sagediag_probe_success{org="acme\"prod\\n",check="permission_sets"} 0"#,
            r#"sagediag_probe_duration_seconds{org="acme\"prod\\n",check="login"} 0.25"#,
            r#"sagediag_finding_active{org="acme\"prod\\n",code="PERMISSION_SET_MISSING",severity="error"} 1"#,
            r#"sagediag_refresh_token_grants{org="acme\"prod\\n"} 4"#,
            r#"sagediag_refresh_token_expiry_seconds{org="acme\"prod\\n"} 259200"#,
            r#"sagediag_api_requests_remaining{org="acme\"prod\\n"} 14000"#,
            r#"sagediag_api_requests_max{org="acme\"prod\\n"} 15000"#,
            r#"sagediag_login_failures{org="acme\"prod\\n",status="Failed: Computer activation required"} 3"#,
            r#"sagediag_incidents_open{org="never-run"} 0"#,
            "sagediag_cycle_duration_seconds 2.5",
        ] {
            assert!(text.contains(line), "missing {line}\n{text}");
        }
        // The sanitiser wrote the newline as the two characters `\n`; the format escaped the
        // backslash: no raw control character anywhere.
        assert!(!text.contains("probe:employees"));
        assert!(!render(&[], None).contains("sagediag_cycle_duration"));
    }
}
