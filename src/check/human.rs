//! The human report of `sagediag check`.

use std::fmt::Write as _;

use crate::engine::{self, Report, Severity};

/// The human report: permission sets, org checks, findings with fixes.
pub fn human(r: &Report) -> String {
    let mut s = String::new();
    for host in &r.environment.insecure_hosts {
        let _ = writeln!(
            s,
            "WARNING: TLS certificate verification was OFF for {host} (--insecure-host)."
        );
    }
    for host in &r.environment.trust_hosts {
        let _ = writeln!(
            s,
            "NOTE: the token was allowed to go to {host}, outside Salesforce's domains (--trust-host)."
        );
    }
    let _ = write!(
        s,
        "sagediag check — {} ({}), {} flow\n\nPermission sets\n",
        r.environment.kind,
        r.environment.login_url,
        r.flow_name()
    );
    for e in &r.endpoints {
        let http = e
            .http_status
            .map(|h| h.to_string())
            .unwrap_or_else(|| "—".into());
        let records = e
            .records
            .map(|n| format!("{n} records"))
            .unwrap_or_default();
        let assigned = match e.assigned {
            Some(true) => "assigned",
            Some(false) => "not assigned",
            None => "",
        };
        let _ = writeln!(
            s,
            "  {}  {:<34} {:<4} {:<28} {:>4} {:>6} ms  {:<12} {:<12} {}",
            e.status.mark(),
            e.permission_set,
            e.method,
            e.path.trim_start_matches(engine::SAGE_BASE),
            http,
            e.latency_ms,
            records,
            assigned,
            e.finding.map(|c| c.as_str()).unwrap_or("")
        );
    }
    s.push_str("\nOrg\n");
    let o = &r.org;
    let line = |k: &str, v: Option<String>| {
        format!("  {k:<22} {}\n", v.unwrap_or_else(|| "unknown".into()))
    };
    s.push_str(&line("API user", o.username.clone()));
    s.push_str(&line(
        "API Enabled",
        o.api_enabled
            .map(|b| if b { "yes".into() } else { "no".into() }),
    ));
    s.push_str(&line(
        "Sage People API",
        o.package_version.clone().map(|v| format!("package {v}")),
    ));
    s.push_str(&line(
        "Refresh token policy",
        o.refresh_token_policy.clone(),
    ));
    s.push_str(&line("Permitted users", o.permitted_users.clone()));
    s.push_str(&line(
        "API usage",
        o.api_usage.map(|(u, m)| format!("{u} of {m} today")),
    ));
    for sk in &o.skipped {
        let _ = writeln!(s, "  skipped: {sk}");
    }
    s.push_str("\nApp\n");
    for (k, v) in r.app.lines() {
        let _ = writeln!(s, "  {k:<24} {v}");
    }
    for u in &r.app.unknown {
        let _ = writeln!(s, "  unknown: {u}");
    }
    if let Some(rec) = &r.integration {
        s.push_str("\nIntegration record (the org's own)\n");
        for (k, v) in engine::record::lines(rec) {
            let _ = writeln!(s, "  {k:<26} {v}");
        }
    }
    if let Some(c) = &r.coverage {
        let _ = write!(
            s,
            "\nField coverage ({} employees, {} pages{})\n",
            c.employees,
            c.pages,
            if c.limited { ", limit reached" } else { "" }
        );
        for f in &c.fields {
            let pct = c.percent(f.populated);
            let _ = writeln!(s, "  {:<20} {:>8} {:>6.1}%", f.label, f.populated, pct);
        }
        let _ = writeln!(
            s,
            "  without email: {} · duplicate emails: {} ({} records) · leavers with email: {} of {}",
            c.missing_email,
            c.duplicate_emails,
            c.records_with_duplicate_email,
            c.leavers_with_email,
            c.leavers
        );
        if let Some(why) = &c.stopped {
            let _ = writeln!(s, "  stopped early: {why}");
        }
    }
    let errors = r
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = r
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    let _ = write!(s, "\nFindings ({errors} errors, {warnings} warnings)\n");
    for f in &r.findings {
        let _ = write!(s, "\n  {:<7} {}  {}\n", f.severity.label(), f.code, f.title);
        let _ = writeln!(s, "          {}", f.detail);
        if let Some(src) = f.source {
            let _ = writeln!(s, "          source: the org's record ({src})");
        }
        if !f.request_ids.is_empty() {
            let _ = writeln!(
                s,
                "          evidence: request {}",
                f.request_ids
                    .iter()
                    .map(|i| format!("#{i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        for (i, step) in f.fix.iter().enumerate() {
            let _ = writeln!(s, "          {}. {step}", i + 1);
        }
    }
    let _ = write!(s, "\nOutcome: {}\n", r.outcome.to_uppercase());
    s
}

impl Report {
    fn flow_name(&self) -> &'static str {
        self.flow.name()
    }
}
