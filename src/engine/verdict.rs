//! The engine's judgement of a report: the overall status, the outcome and each step's status.
//! Judged when the run ends, and again whenever a fix or a re-probe changes the report
//! ([`Report::settle`]), so that every front end — `check`, `fix`, the console, an export —
//! shows the same words because it reads the same report.

use super::findings::{Finding, Severity};
use super::model::{EndpointResult, Report, Status, StepId, Verdict};
use super::sanitize;

/// `1 error`, `2 errors`, `0 warnings`.
pub fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// The status findings give: FAIL with an error, WARN with a warning, else PASS.
pub fn status_of(findings: &[Finding]) -> Status {
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

/// The overall result of these findings in words (see [`Report::status_words`]).
pub fn status_words_of(findings: &[Finding]) -> String {
    let (e, w) = (
        count(findings, Severity::Error),
        count(findings, Severity::Warning),
    );
    match status_of(findings) {
        Status::Fail if w > 0 => {
            format!("FAIL · {} · {}", plural(e, "error"), plural(w, "warning"))
        }
        Status::Fail => format!("FAIL · {}", plural(e, "error")),
        Status::Warn => format!("PASS · {}", plural(w, "warning")),
        _ => "PASS".to_string(),
    }
}

impl Report {
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// How many findings have this severity.
    pub fn count(&self, s: Severity) -> usize {
        count(&self.findings, s)
    }

    /// The overall status: FAIL with errors, WARN (passed, with warnings), PASS.
    pub fn status(&self) -> Status {
        status_of(&self.findings)
    }

    /// The overall result in words: `FAIL · 2 errors · 1 warning`, `PASS · 1 warning`, `PASS`.
    pub fn status_words(&self) -> String {
        status_words_of(&self.findings)
    }

    /// `2 errors, 1 warning`: the findings' heading.
    pub fn findings_count(&self) -> String {
        format!(
            "{}, {}",
            plural(self.count(Severity::Error), "error"),
            plural(self.count(Severity::Warning), "warning")
        )
    }

    /// A step's status, as judged (None: the step did not run).
    pub fn step_status(&self, id: StepId) -> Option<Status> {
        self.steps.iter().find(|s| s.id == id).map(|s| s.status)
    }

    /// The probes' count, as every place says it: `5 of 7 pass`.
    pub fn probes_words(&self) -> String {
        probes_words(&self.endpoints)
    }

    /// Judges again what the findings and the probes now say: the org and probe steps (the
    /// steps a fix changes), and the outcome. A skipped step stays skipped; the other steps'
    /// findings are not changed by a fix, so neither is their status.
    pub fn settle(&mut self) {
        let findings = &self.findings;
        let failing_probe = self.endpoints.iter().any(|e| e.status == Status::Fail);
        for step in self.steps.iter_mut() {
            if step.status == Status::Skip || !matches!(step.id, StepId::Org | StepId::Probes) {
                continue;
            }
            let still: Vec<Finding> = findings
                .iter()
                .filter(|f| {
                    step.raised
                        .iter()
                        .any(|(c, t)| *c == f.code && *t == f.title)
                })
                .cloned()
                .collect();
            let mut st = status_of(&still);
            if step.id == StepId::Probes && failing_probe {
                st = Status::Fail;
            }
            step.status = st;
        }
        self.outcome = if self.has_errors() {
            Verdict::Fail
        } else {
            Verdict::Pass
        };
    }

    /// One probe ran again (`index` in the table): its row, its finding and whether its set is
    /// assigned replace the old ones, and the report is judged again.
    pub fn reprobed(&mut self, index: usize, result: EndpointResult, finding: Option<Finding>) {
        let Some(old) = self.endpoints.get(index).cloned() else {
            return;
        };
        let about = |f: &Finding| {
            old.request_id.is_some_and(|id| f.request_ids == [id])
                || f.subject.as_deref() == Some(old.permission_set)
        };
        self.findings.retain(|f| !about(f));
        if let Some(mut f) = finding {
            let first = f.request_ids.first().copied();
            f.title = sanitize::bounded(&f.title, sanitize::MAX_VALUE, first);
            f.detail = sanitize::bounded(&f.detail, sanitize::MAX_VALUE, first);
            let f = f.about(old.permission_set);
            if let Some(step) = self.steps.iter_mut().find(|s| s.id == StepId::Probes) {
                step.raised.push((f.code, f.title.clone()));
            }
            self.findings.push(f);
            self.findings.sort_by_key(|f| f.severity);
        }
        if let (Some(assigned), Some(sets)) =
            (result.assigned, self.org.assigned_permission_sets.as_mut())
        {
            let set = result.permission_set.to_string();
            if assigned && !sets.contains(&set) {
                sets.push(set);
            } else if !assigned {
                sets.retain(|s| *s != set);
            }
        }
        self.endpoints[index] = result;
        let answered = self
            .endpoints
            .iter()
            .filter(|e| e.status == Status::Pass)
            .count();
        if let Some(step) = self.steps.iter_mut().find(|s| s.id == StepId::Probes) {
            step.summary = format!(
                "{answered} of {} endpoints answered (after probing again)",
                self.endpoints.len()
            );
        }
        self.settle();
    }

    /// Findings raised while fixing (a refusal, a probe that still fails): added once each,
    /// and the report judged again.
    pub fn add_findings(&mut self, fs: &[Finding]) {
        for f in fs {
            if !self
                .findings
                .iter()
                .any(|x| x.code == f.code && x.title == f.title)
            {
                self.findings.push(f.clone());
            }
        }
        self.findings.sort_by_key(|f| f.severity);
        self.settle();
    }
}

/// What a fix step did, as far as the run's verdict goes (`sagediag fix`, `check --fix-plan`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixResult {
    /// No change was asked for, or there was nothing to apply: the report alone decides.
    NoChangeAsked,
    /// A change was wanted but not consented to (no `--yes`): nothing was changed.
    NotConsented,
    /// A change was consented to but none was made (no session to change the org with, no
    /// journal): nothing was changed.
    NotMade,
    /// A change was made (or tried): whether all of it was made and re-probed PASS (after an
    /// undo: whether nothing of it is left). An undo leaves the report failing by design, so
    /// this, not the report's outcome, decides.
    Made { ok: bool },
}

/// The exit status of `check` and `fix`, from the report and what the fix step did: 0 the
/// check passed (or every change asked for was made and re-probed PASS), 1 otherwise. A token
/// of the run that could not be given back is a failure too. (2, a usage error, is decided
/// before the run.)
pub fn exit_code(report: &Report, fix: FixResult) -> u8 {
    let ok = match fix {
        FixResult::NoChangeAsked => !report.has_errors(),
        FixResult::NotConsented | FixResult::NotMade => false,
        FixResult::Made { ok } => ok,
    };
    let given_back = !report.revoked.iter().any(|r| r.outcome == "failed");
    u8::from(!(ok && given_back))
}

/// The probes' count: `5 of 7 pass`.
pub fn probes_words(endpoints: &[EndpointResult]) -> String {
    let pass = endpoints
        .iter()
        .filter(|e| e.status == Status::Pass)
        .count();
    format!("{pass} of {} pass", endpoints.len().max(7))
}
