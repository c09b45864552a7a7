//! One source of truth for what the console calls a result: the header, the tabs, the step
//! lines, the tables and the status line all ask here, so they never contradict each other.

use crate::engine::coverage::Coverage;
use crate::engine::{EndpointResult, Finding, OrgChecks, Report, Severity, Status, StepId};

/// The run's overall result: FAIL with errors, WARN (passed, with warnings), PASS.
pub fn overall(findings: &[Finding]) -> Status {
    if findings.iter().any(|f| f.severity == Severity::Error) {
        Status::Fail
    } else if findings.iter().any(|f| f.severity == Severity::Warning) {
        Status::Warn
    } else {
        Status::Pass
    }
}

fn count(findings: &[Finding], s: Severity) -> usize {
    findings.iter().filter(|f| f.severity == s).count()
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// The overall result in words: `FAIL · 2 errors`, `PASS · 1 warning`, `PASS`.
pub fn overall_words(findings: &[Finding]) -> String {
    let (e, w) = (
        count(findings, Severity::Error),
        count(findings, Severity::Warning),
    );
    match overall(findings) {
        Status::Fail if w > 0 => {
            format!("FAIL · {} · {}", plural(e, "error"), plural(w, "warning"))
        }
        Status::Fail => format!("FAIL · {}", plural(e, "error")),
        Status::Warn => format!("PASS · {}", plural(w, "warning")),
        _ => "PASS".to_string(),
    }
}

/// The status line when a run ends.
pub fn done_line(findings: &[Finding]) -> String {
    match overall(findings) {
        Status::Pass => "Done: PASS — every check passed.".to_string(),
        Status::Warn => format!("Done: {} — see step 5, Findings.", overall_words(findings)),
        _ => format!("Done: {} — see step 5, Findings.", overall_words(findings)),
    }
}

/// A step's status: the engine's, except that probes fail when any probe failed (a probe's
/// row and its step never disagree).
pub fn step(id: StepId, engine: Option<Status>, endpoints: &[EndpointResult]) -> Option<Status> {
    let st = engine?;
    if id == StepId::Probes && endpoints.iter().any(|e| e.status == Status::Fail) {
        return Some(Status::Fail);
    }
    Some(st)
}

/// The probes' count, as every place says it.
pub fn probes(endpoints: &[EndpointResult]) -> String {
    let pass = endpoints
        .iter()
        .filter(|e| e.status == Status::Pass)
        .count();
    format!("{pass} of {} pass", endpoints.len().max(7))
}

/// The package's version; "not installed" only when the query said so, else "unknown".
pub fn package(org: &OrgChecks, findings: &[Finding]) -> String {
    match &org.package_version {
        Some(v) => v.clone(),
        None if findings.iter().any(|f| {
            f.code == crate::engine::Code::PACKAGE_NOT_INSTALLED
                && f.severity == crate::engine::Severity::Error
        }) =>
        {
            "not installed".into()
        }
        // The query lists no package, yet the endpoints answer (a warning).
        None if findings
            .iter()
            .any(|f| f.code == crate::engine::Code::PACKAGE_NOT_INSTALLED) =>
        {
            "not listed by the package query (its endpoints answer)".into()
        }
        None => "unknown (the query did not answer)".into(),
    }
}

/// Field coverage in one line; a coverage that stopped early says so, not "0 employees".
pub fn coverage(c: &Coverage) -> String {
    match (&c.stopped, c.employees) {
        (Some(why), 0) => format!("Field coverage: unknown — {why}"),
        (Some(why), n) => format!(
            "Field coverage (partial: {why}): {n} employees · {} without email · {} duplicate emails (C: table)",
            c.missing_email, c.duplicate_emails
        ),
        (None, n) => format!(
            "Field coverage: {n} employees · {} without email · {} duplicate emails · {} leavers with email (C: table)",
            c.missing_email, c.duplicate_emails, c.leavers_with_email
        ),
    }
}

/// The report's outcome after a re-probe, as the engine would say it.
pub fn outcome(r: &Report) -> &'static str {
    if r.has_errors() { "fail" } else { "pass" }
}
