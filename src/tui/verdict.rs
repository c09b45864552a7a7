//! What the console calls a result, read from the engine's report: the header, the tabs, the
//! step lines, the tables and the status line all ask here, and here asks the engine
//! (`engine::verdict`), so they never contradict each other, `check`, `fix` or an export.
//! The console's `findings` and `endpoints` are the report's, copied in one place
//! ([`super::app::App::show_report`]).

use crate::engine::coverage::Coverage;
use crate::engine::verdict as engine;
use crate::engine::{EndpointResult, Finding, OrgChecks, Status, StepId};

/// The run's overall result: FAIL with errors, WARN (passed, with warnings), PASS.
pub fn overall(findings: &[Finding]) -> Status {
    engine::status_of(findings)
}

/// The overall result in words: `FAIL · 2 errors`, `PASS · 1 warning`, `PASS`.
pub fn overall_words(findings: &[Finding]) -> String {
    engine::status_words_of(findings)
}

/// The status line when a run ends.
pub fn done_line(findings: &[Finding]) -> String {
    match overall(findings) {
        Status::Pass => "Done: PASS — every check passed.".to_string(),
        _ => format!("Done: {} — see step 5, Findings.", overall_words(findings)),
    }
}

/// A step's status: the engine's (judged again after a fix). While a run is in flight a
/// failing probe row fails the probes step at once, as the engine's will.
pub fn step(id: StepId, engine: Option<Status>, endpoints: &[EndpointResult]) -> Option<Status> {
    let st = engine?;
    if id == StepId::Probes && endpoints.iter().any(|e| e.status == Status::Fail) {
        return Some(Status::Fail);
    }
    Some(st)
}

/// The probes' count, as every place says it.
pub fn probes(endpoints: &[EndpointResult]) -> String {
    engine::probes_words(endpoints)
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
