//! The run context: what a run in progress holds (the client, the findings, the report being
//! built) and what every step does with it (emit, raise, send, begin and end a step). The
//! conductor that runs the steps in order is `run.rs`; steps import this, never the conductor.

use std::time::Instant;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use super::findings::{Code, Finding, Severity};
use super::http::{self, Request, Response};
use super::model::app_info::AppInfo;
use super::model::coverage::Coverage;
use super::model::ledger::Rotation;
use super::model::*;
use super::{classify, sanitize};

/// A run in progress: the client, the findings so far, the report being built.
pub struct Run {
    pub cfg: Config,
    pub client: http::Client,
    pub events: UnboundedSender<Event>,
    pub findings: Vec<Finding>,
    pub steps: Vec<StepRecord>,
    pub endpoints: Vec<EndpointResult>,
    pub org: OrgChecks,
    pub login_url: String,
    pub proxy: Option<String>,
    pub scopes: Option<String>,
    pub refresh_token_issued: Option<bool>,
    pub refresh_rotated: Option<bool>,
    pub coverage: Option<Coverage>,
    /// Redirect URLs pasted by the user (web flow), instead of the loopback callback.
    pub pasted: Option<UnboundedReceiver<String>>,
    /// The integration's OAuth app, as far as known so far.
    pub app: AppInfo,
    /// The refresh test's request.
    pub refresh_request: Option<u64>,
    /// A refresh token sagediag did not obtain was rotated (the old one is retired).
    pub rotation: Option<Rotation>,
    /// The integration's own record, once read.
    pub integration: Option<super::model::record::IntegrationRecord>,
    /// When the run started (ms since the epoch): tells this run's own grant from the others.
    pub started_ms: u64,
}

impl Run {
    /// Sends an event to the front end, its server-derived text sanitised.
    pub fn emit(&self, e: Event) {
        let _ = self.events.send(e.sanitized());
    }

    /// Adds a finding, merging with an earlier one of the same code and title. Its title and
    /// detail (which quote what a server said) are sanitised and bounded here, once.
    pub fn raise(&mut self, f: Finding) {
        let mut f = super::model::app_info::adapt(
            self.app.kind,
            self.refresh_request,
            self.cfg.client_secret.is_none(),
            f,
        );
        let first = f.request_ids.first().copied();
        f.title = sanitize::bounded(&f.title, sanitize::MAX_VALUE, first);
        f.detail = sanitize::bounded(&f.detail, sanitize::MAX_VALUE, first);
        if let Some(existing) = self
            .findings
            .iter_mut()
            .find(|x| x.code == f.code && x.title == f.title)
        {
            for id in f.request_ids {
                if !existing.request_ids.contains(&id) {
                    existing.request_ids.push(id);
                }
            }
            return;
        }
        tracing::info!(code = %f.code, severity = ?f.severity, title = %f.title, requests = ?f.request_ids, "finding");
        self.emit(Event::Finding(f.clone()));
        self.findings.push(f);
    }

    pub fn has(&self, code: Code) -> bool {
        self.findings.iter().any(|f| f.code == code)
    }

    /// Sends a request; a transport failure is raised as its finding and gives None.
    pub async fn send_or_raise(&mut self, req: Request) -> Option<(u64, Response)> {
        let (id, result) = self.client.send(req).await;
        match result {
            Ok(r) => Some((id, r)),
            Err(f) => {
                self.raise(classify::failure(&f, id));
                None
            }
        }
    }

    pub fn raise_all(&mut self, fs: Vec<Finding>) {
        for f in fs {
            self.raise(f);
        }
    }

    /// Starts a step: says so, and notes when and how many findings there were.
    pub(crate) fn begin(&self, id: StepId) -> Step {
        Step {
            id,
            started: self.step_start(id),
            findings_before: self.findings.len(),
            upto: None,
        }
    }

    /// Ends a step with the status its new findings give (or `status`, when the step decides),
    /// and its one-line summary; returns the status.
    pub(crate) fn end(
        &mut self,
        step: Step,
        status: Option<Status>,
        summary: impl Into<String>,
    ) -> Status {
        let status = status.unwrap_or_else(|| self.status_since(step.findings_before));
        let upto = step.upto.unwrap_or(self.findings.len());
        let raised = self
            .findings
            .get(step.findings_before..upto)
            .unwrap_or_default()
            .iter()
            .map(|f| (f.code, f.title.clone()))
            .collect();
        self.step_end(step.id, step.started, status, summary);
        if let Some(last) = self.steps.last_mut() {
            last.raised = raised;
        }
        status
    }

    pub(crate) fn step_start(&self, step: StepId) -> Instant {
        tracing::info!(step = step.title(), "step started");
        self.emit(Event::StepStarted { step });
        Instant::now()
    }

    pub(crate) fn step_end(
        &mut self,
        step: StepId,
        started: Instant,
        status: Status,
        summary: impl Into<String>,
    ) {
        let summary = sanitize::bounded(
            &self.client.scrub(&summary.into()),
            sanitize::MAX_VALUE,
            None,
        );
        let duration_ms = started.elapsed().as_millis() as u64;
        tracing::info!(step = step.title(), status = status.word(), duration_ms, summary = %summary, "step finished");
        self.emit(Event::StepFinished {
            step,
            status,
            duration_ms,
            summary: summary.clone(),
        });
        self.steps.push(StepRecord {
            id: step,
            title: step.title(),
            status,
            duration_ms,
            summary,
            raised: Vec::new(),
        });
    }

    pub(crate) fn errors_since(&self, n: usize) -> bool {
        self.findings[n..]
            .iter()
            .any(|f| f.severity == Severity::Error)
    }

    pub(crate) fn warnings_since(&self, n: usize) -> bool {
        self.findings[n..]
            .iter()
            .any(|f| f.severity == Severity::Warning)
    }

    pub(crate) fn status_since(&self, n: usize) -> Status {
        if self.errors_since(n) {
            Status::Fail
        } else if self.warnings_since(n) {
            Status::Warn
        } else {
            Status::Pass
        }
    }
}

/// A step in progress (see [`Run::begin`]).
pub(crate) struct Step {
    pub(crate) id: StepId,
    pub(crate) started: Instant,
    pub(crate) findings_before: usize,
    /// The end of the findings the step's status is judged from (None: all it raised).
    pub(crate) upto: Option<usize>,
}
