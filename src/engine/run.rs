//! A run: the steps in order (environment, credentials, login, token checks, org checks,
//! probes, coverage), each started and finished through one helper, and the report at the end.

use std::time::Instant;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use super::findings::{Code, Finding};
use super::model::*;
use super::{app, coverage, environment, http, login, org, record, sanitize};

pub use super::context::Run;

/// How a check runs, besides its [`Config`].
#[derive(Default)]
pub struct RunOptions {
    /// The recording client to send with, kept by the caller (the console reads the exchanges
    /// from it, `check` writes the HAR from it). None: one made from the config.
    pub client: Option<http::Client>,
    /// Redirect URLs a person pastes (the web flow), instead of the loopback callback.
    pub pasted: Option<UnboundedReceiver<String>>,
}

/// What a check gives back: the report, and the session when the login succeeded (never
/// serialised, never in a report).
pub struct Finished {
    pub report: Report,
    pub session: Option<Session>,
}

/// The one entry point of a check: runs every step, sending events as it goes, and returns the
/// report (and the session when the login succeeded).
pub async fn run(cfg: Config, events: UnboundedSender<Event>, opts: RunOptions) -> Finished {
    let client = match opts.client {
        Some(c) => c,
        None => match http::Client::for_config(&cfg, Some(events.clone())) {
            Ok(c) => c,
            Err(e) => {
                let mut r = empty_report(&cfg);
                r.findings.push(Finding::new(
                    Code::UNEXPECTED_RESPONSE,
                    e.to_string(),
                    vec![],
                ));
                r.outcome = Verdict::Fail;
                return Finished {
                    report: r,
                    session: None,
                };
            }
        },
    };
    let pasted = opts.pasted;
    for s in [
        &cfg.client_secret,
        &cfg.password,
        &cfg.refresh_token,
        &cfg.access_token,
        &cfg.admin_session.as_ref().map(|s| s.access_token.clone()),
    ]
    .into_iter()
    .flatten()
    {
        client.add_secret(s);
    }
    let login_url = cfg.environment.login_url();
    let declared = app::AppInfo::declared(cfg.app_kind);
    let mut run = Run {
        cfg,
        client,
        events,
        findings: Vec::new(),
        steps: Vec::new(),
        endpoints: Vec::new(),
        org: OrgChecks::default(),
        login_url,
        proxy: None,
        scopes: None,
        refresh_token_issued: None,
        refresh_rotated: None,
        coverage: None,
        pasted,
        app: declared,
        refresh_request: None,
        rotation: None,
        integration: None,
        started_ms: super::clock::now_ms(),
    };
    let tokens = steps(&mut run).await;
    let mut report = finish(run);
    if let Some(t) = &tokens {
        report.instance_url = Some(sanitize::bounded(
            &t.instance_url,
            sanitize::MAX_VALUE,
            None,
        ));
        report.org_id = t.id_url.as_deref().and_then(org_id_of);
    }
    let session = tokens.map(|t| Session {
        instance_url: t.instance_url,
        access_token: t.access_token,
        refresh_token: t.refresh_token,
    });
    Finished { report, session }
}

async fn steps(run: &mut Run) -> Option<Tokens> {
    // 1. Environment.
    let step = run.begin(StepId::Environment);
    let summary = environment::preflight(run).await;
    if run.end(step, None, summary) == Status::Fail {
        skip_rest(
            run,
            &[
                StepId::Credentials,
                StepId::Login,
                StepId::Token,
                StepId::Org,
                StepId::Probes,
            ],
            "the environment check failed",
        );
        return None;
    }
    // 2. Credentials.
    let step = run.begin(StepId::Credentials);
    let summary = environment::credential_shapes(run);
    run.end(step, None, summary);
    // 3. Login.
    let step = run.begin(StepId::Login);
    // The five-grant cap: counted first when a session may; at the cap, nothing is sent
    // without consent.
    let (tokens, before) = match super::guard::before_login(run).await {
        Ok(before) => (login::login(run).await, before),
        Err(()) => (None, None),
    };
    let summary = match &tokens {
        Some(t) => format!(
            "logged in with the {} flow; instance {}",
            run.cfg.flow.name(),
            t.instance_url
        ),
        None => "no token: see the findings".into(),
    };
    // Without a token, an admin session still reads the integration's record.
    let summary = if tokens.is_none() {
        let note = record::read(run, None, None).await;
        if note.is_empty() {
            summary
        } else {
            format!("{summary}; {note}")
        }
    } else {
        summary
    };
    run.end(step, tokens.is_none().then_some(Status::Fail), summary);
    let Some(mut tokens) = tokens else {
        skip_rest(
            run,
            &[StepId::Token, StepId::Org, StepId::Probes],
            "no access token",
        );
        return None;
    };
    // 4. Token checks. The org queries and the probes go out with them (one round trip for all):
    // they need only the token; their answers are read in steps 5 and 6.
    let step = run.begin(StepId::Token);
    let in_flight = org::send(run, &tokens);
    let record_in_flight = record::send(run, &tokens);
    let login_tokens = tokens.clone();
    let summary = login::token_checks(run, &mut tokens).await;
    run.end(step, None, summary);
    if run.has(Code::LEGACY_HOST_REDIRECT) {
        // Every later call would meet the same redirect: the finding names the host to use.
        skip_rest(
            run,
            &[StepId::Org, StepId::Probes],
            "the host only redirects",
        );
        return None;
    }
    // 5. Org checks.
    let mut step = run.begin(StepId::Org);
    let (mut summary, probes) = org::org_checks(run, &login_tokens, in_flight).await;
    // The org's record is about the integration, not this run's steps: its findings go to the
    // findings (and the outcome), not to the Org step's status.
    let org_status = run.status_since(step.findings_before);
    step.upto = Some(run.findings.len());
    let note = record::read(run, Some(&login_tokens), record_in_flight).await;
    // The grants counted again from the record just read: which is this run's, and whether
    // the login evicted one.
    super::guard::after_login(run, before, &login_tokens);
    if !note.is_empty() {
        summary = if summary.is_empty() {
            note
        } else {
            format!("{summary}; {note}")
        };
    }
    run.end(step, Some(org_status), summary);
    // 6. Probes. One verdict for the step, the table and every front end: a failing row fails
    // the step even when its finding was already raised (and merged) by an earlier step.
    let step = run.begin(StepId::Probes);
    let summary = org::probes(run, probes).await;
    let failed = run.endpoints.iter().any(|e| e.status == Status::Fail);
    run.end(step, failed.then_some(Status::Fail), summary);
    // 7. Field coverage, when asked for and the Employees endpoint answers.
    if let Some(limit) = run.cfg.coverage_limit {
        let step = run.begin(StepId::Coverage);
        let employees_ok = run
            .endpoints
            .iter()
            .any(|e| e.name == "Employees" && e.status == Status::Pass);
        if !employees_ok {
            run.end(
                step,
                Some(Status::Skip),
                "skipped: the Employees endpoint does not answer",
            );
        } else {
            let c = coverage::coverage(run, &tokens, limit).await;
            if c.missing_email > 0 || c.duplicate_emails > 0 {
                run.raise(Finding::new(Code::SYNC_KEY_PROBLEMS,
                    format!(
                        "Of {} employees, {} have no email and {} emails are shared by {} records; {} leavers still hold a work email.",
                        c.employees, c.missing_email, c.duplicate_emails, c.records_with_duplicate_email, c.leavers_with_email
                    ),
                    vec![],
                ));
            }
            let summary = format!(
                "{} employees in {} pages{}; {} without email, {} duplicate emails, {} leavers with email",
                c.employees,
                c.pages,
                if c.limited { " (limit reached)" } else { "" },
                c.missing_email,
                c.duplicate_emails,
                c.leavers_with_email
            );
            run.coverage = Some(c);
            run.end(step, None, summary);
        }
    }
    Some(tokens)
}

fn skip_rest(run: &mut Run, steps: &[StepId], why: &str) {
    for step in steps {
        let t = Instant::now();
        run.step_end(*step, t, Status::Skip, format!("skipped: {why}"));
    }
    if steps.contains(&StepId::Probes) {
        for def in ENDPOINTS {
            run.endpoints.push(EndpointResult {
                name: def.name,
                permission_set: def.permission_set,
                method: def.method,
                path: format!("{SAGE_BASE}/{}", def.path),
                status: Status::Skip,
                http_status: None,
                latency_ms: 0,
                records: None,
                finding: None,
                assigned: None,
                request_id: None,
            });
        }
    }
}

fn empty_report(cfg: &Config) -> Report {
    Report {
        sagediag_version: env!("CARGO_PKG_VERSION"),
        environment: EnvironmentInfo {
            login_url: cfg.environment.login_url(),
            kind: cfg.environment.kind(),
            proxy: None,
            insecure_hosts: cfg.insecure_hosts.clone(),
            trust_hosts: cfg.trust_hosts.clone(),
        },
        flow: cfg.flow,
        outcome: Verdict::Pass,
        started_at: super::clock::iso8601(super::clock::now_ms()),
        instance_url: None,
        org_id: None,
        steps: Vec::new(),
        endpoints: Vec::new(),
        findings: Vec::new(),
        requests: Vec::new(),
        org: OrgChecks::default(),
        scopes: None,
        refresh_token_issued: None,
        refresh_rotated: None,
        app: app::AppInfo::declared(cfg.app_kind),
        coverage: None,
        rotation: None,
        revoked: Vec::new(),
        integration: None,
        changes: Vec::new(),
    }
}

fn finish(run: Run) -> Report {
    let mut report = empty_report(&run.cfg);
    report.environment.proxy = run.proxy.clone();
    report.requests = run
        .client
        .exchanges()
        .into_iter()
        .map(|e| RequestSummary {
            id: e.id,
            method: e.method,
            url: e.url,
            status: e.status,
            duration_ms: e.duration_ms,
            summary: e.summary,
        })
        .collect();
    report.started_at = super::clock::iso8601(run.started_ms);
    let scrub = |s: &str| run.client.scrub(s);
    report.findings = run
        .findings
        .iter()
        .map(|f| Finding {
            detail: scrub(&f.detail),
            title: scrub(&f.title),
            ..f.clone()
        })
        .collect();
    report.findings.sort_by_key(|f| f.severity);
    report.steps = run.steps;
    for step in report.steps.iter_mut() {
        for (_, title) in step.raised.iter_mut() {
            *title = scrub(title);
        }
    }
    report.endpoints = run.endpoints;
    report.org = run.org.sanitized();
    report.scopes = run
        .scopes
        .map(|s| sanitize::bounded(&s, sanitize::MAX_VALUE, None));
    report.refresh_token_issued = run.refresh_token_issued;
    report.refresh_rotated = run.refresh_rotated;
    report.rotation = run.rotation.clone();
    report.app = run.app.finished();
    report.coverage = run.coverage.map(|mut c| {
        for list in [
            &mut c.examples_missing_email,
            &mut c.examples_duplicate_email,
            &mut c.examples_leaver_with_email,
        ] {
            for x in list.iter_mut() {
                *x = sanitize::bounded(x, 256, None);
            }
        }
        c.stopped = c
            .stopped
            .map(|s| sanitize::bounded(&s, sanitize::MAX_VALUE, None));
        c
    });
    report.integration = run.integration;
    report.settle();
    report
}

/// The org's id from the identity URL (`…/id/00D…/005…`): alphanumeric, else None.
fn org_id_of(id_url: &str) -> Option<String> {
    let mut parts = id_url.trim_end_matches('/').rsplit('/');
    let _user = parts.next()?;
    let org = parts.next()?;
    (org.len() >= 15 && org.chars().all(|c| c.is_ascii_alphanumeric())).then(|| org.to_string())
}
