//! The diagnostics engine: environment, credentials, login, token checks, org checks and
//! permission-set probes. It knows nothing of the terminal: it emits [`Event`]s on a channel and
//! returns a [`Report`]. The console and `sagediag check` are two front ends over it.

pub mod app;
pub mod classify;
pub mod clock;
pub mod coverage;
pub mod crypto;
pub mod environment;
pub mod export;
pub mod files;
pub mod findings;
pub mod fix;
pub mod http;
pub mod login;
pub mod oauth;
pub mod org;
pub mod paths;
pub mod sanitize;
pub mod setup;
pub mod trust;
pub mod vault;

use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

pub use environment::Environment;
pub use findings::{Code, Finding, Severity};

/// The seven Sage People API endpoints and the permission set gating each.
pub const ENDPOINTS: [EndpointDef; 7] = [
    EndpointDef {
        name: "Employees",
        permission_set: "Sage People Employees API",
        method: "GET",
        path: "employees",
    },
    EndpointDef {
        name: "Pay Details",
        permission_set: "Sage People Pay Details API",
        method: "POST",
        path: "employees/{id}/payDetails",
    },
    EndpointDef {
        name: "Salaries",
        permission_set: "Sage People Salaries API",
        method: "GET",
        path: "salaries",
    },
    EndpointDef {
        name: "Bonuses",
        permission_set: "Sage People Bonuses API",
        method: "GET",
        path: "bonuses",
    },
    EndpointDef {
        name: "Absences",
        permission_set: "Sage People Absences API",
        method: "GET",
        path: "absences",
    },
    EndpointDef {
        name: "Absence Balances",
        permission_set: "Sage People Absence Balances API",
        method: "GET",
        path: "absenceBalances",
    },
    EndpointDef {
        name: "Timesheets",
        permission_set: "Sage People Timesheets API",
        method: "GET",
        path: "timesheets",
    },
];

/// The Sage People API base path under the instance URL.
pub const SAGE_BASE: &str = "/services/apexrest/spapi/v4";
pub const API_VERSION: &str = "v62.0";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointDef {
    pub name: &'static str,
    pub permission_set: &'static str,
    pub method: &'static str,
    pub path: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Flow {
    Web,
    Device,
    Jwt,
    ClientCredentials,
    Password,
    Refresh,
    Token,
}

impl Flow {
    pub const ALL: [Flow; 7] = [
        Flow::Web,
        Flow::Device,
        Flow::Jwt,
        Flow::ClientCredentials,
        Flow::Password,
        Flow::Refresh,
        Flow::Token,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Flow::Web => "web",
            Flow::Device => "device",
            Flow::Jwt => "jwt",
            Flow::ClientCredentials => "client-credentials",
            Flow::Password => "password",
            Flow::Refresh => "refresh",
            Flow::Token => "token",
        }
    }

    pub fn parse(s: &str) -> Option<Flow> {
        Flow::ALL.into_iter().find(|f| f.name() == s)
    }
}

/// Everything a run needs. Secrets are held only here and in the run's memory.
#[derive(Clone)]
pub struct Config {
    pub environment: Environment,
    pub flow: Flow,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    /// PEM text of the JWT private key.
    pub private_key_pem: Option<String>,
    pub refresh_token: Option<String>,
    pub access_token: Option<String>,
    pub instance_url: Option<String>,
    pub pkce: bool,
    /// The integration's own callback; None = sagediag's loopback callback.
    pub redirect_uri: Option<String>,
    pub callback_port: u16,
    pub callback_path: String,
    pub open_browser: bool,
    pub scopes: Option<String>,
    /// Per request.
    pub timeout: Duration,
    /// Time to open a connection (at most `timeout`).
    pub connect_timeout: Duration,
    /// How long to wait for a person to log in (web, device).
    pub login_timeout: Duration,
    /// Field coverage: page through at most this many employees (None: skip the step).
    pub coverage_limit: Option<u64>,
    /// The JWT `aud` to use instead of the environment's (as the Salesforce CLI's SF_AUDIENCE_URL).
    pub jwt_audience: Option<String>,
    /// Extra trusted CA certificates (PEM), e.g. a corporate TLS-inspection CA.
    pub ca_certs_pem: Vec<String>,
    /// Hosts whose TLS certificate is not verified (everything else still is).
    pub insecure_hosts: Vec<String>,
    /// Hosts outside Salesforce's domains that may receive the token (`--trust-host`).
    pub trust_hosts: Vec<String>,
    /// The largest response body read; a bigger one stops with RESPONSE_TOO_LARGE.
    pub max_response_bytes: usize,
    /// The app's kind as the user declared it (`--app-kind`): words the fixes before login.
    pub app_kind: Option<app::AppKind>,
}

impl Config {
    pub fn new(environment: Environment, flow: Flow, client_id: impl Into<String>) -> Config {
        Config {
            environment,
            flow,
            client_id: client_id.into(),
            client_secret: None,
            username: None,
            password: None,
            private_key_pem: None,
            refresh_token: None,
            access_token: None,
            instance_url: None,
            pkce: true,
            redirect_uri: None,
            callback_port: 1717,
            callback_path: "/OauthRedirect".into(),
            open_browser: false,
            scopes: None,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            login_timeout: Duration::from_secs(300),
            coverage_limit: None,
            jwt_audience: None,
            ca_certs_pem: Vec::new(),
            insecure_hosts: Vec::new(),
            trust_hosts: Vec::new(),
            max_response_bytes: http::MAX_RESPONSE_BYTES,
            app_kind: None,
        }
    }

    pub fn redirect_uri(&self) -> String {
        self.redirect_uri.clone().unwrap_or_else(|| {
            format!(
                "http://localhost:{}{}",
                self.callback_port, self.callback_path
            )
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    Warn,
    Skip,
}

impl Status {
    /// The status as shown in tables and reports: a word and a mark.
    pub fn mark(self) -> &'static str {
        match self {
            Status::Pass => "PASS ✓",
            Status::Fail => "FAIL ✗",
            Status::Warn => "WARN !",
            Status::Skip => "SKIP -",
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Warn => "WARN",
            Status::Skip => "SKIP",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepId {
    Environment,
    Credentials,
    Login,
    Token,
    Org,
    Probes,
    Coverage,
}

impl StepId {
    pub fn title(self) -> &'static str {
        match self {
            StepId::Environment => "Environment",
            StepId::Credentials => "Credentials",
            StepId::Login => "Login",
            StepId::Token => "Token checks",
            StepId::Org => "Org checks",
            StepId::Probes => "Permission-set probes",
            StepId::Coverage => "Field coverage",
        }
    }
}

/// What the engine tells its front end as it goes.
#[derive(Debug, Clone)]
pub enum Event {
    StepStarted {
        step: StepId,
    },
    StepFinished {
        step: StepId,
        status: Status,
        duration_ms: u64,
        summary: String,
    },
    RequestSent {
        id: u64,
        method: String,
        url: String,
    },
    ResponseReceived {
        id: u64,
        status: Option<u16>,
        duration_ms: u64,
        bytes: usize,
    },
    /// The URL a person opens to log in (always shown), with the `ssh -L` line when relevant.
    AuthorizeUrl {
        url: String,
        ssh_tunnel: Option<String>,
    },
    /// The device flow's code to enter at the verification URL.
    DeviceCode {
        user_code: String,
        verification_uri: String,
    },
    /// The loopback callback cannot be used: the front end opens its paste field at once.
    PasteNeeded {
        reason: String,
    },
    /// A pasted text was not this login's redirect (the paste field stays open).
    PasteRefused {
        reason: String,
    },
    Progress(String),
    Finding(Finding),
    Endpoint(EndpointResult),
}

impl Event {
    /// The same event with every server-derived text passed through the sanitiser.
    pub fn sanitized(self) -> Event {
        let line = |s: String| sanitize::bounded(&s, sanitize::MAX_VALUE, None);
        match self {
            Event::StepFinished {
                step,
                status,
                duration_ms,
                summary,
            } => Event::StepFinished {
                step,
                status,
                duration_ms,
                summary: line(summary),
            },
            Event::RequestSent { id, method, url } => Event::RequestSent {
                id,
                method: line(method),
                url: line(url),
            },
            Event::AuthorizeUrl { url, ssh_tunnel } => Event::AuthorizeUrl {
                url: line(url),
                ssh_tunnel: ssh_tunnel.map(line),
            },
            Event::DeviceCode {
                user_code,
                verification_uri,
            } => Event::DeviceCode {
                user_code: sanitize::bounded(&user_code, 64, None),
                verification_uri: sanitize::bounded(&verification_uri, 512, None),
            },
            Event::Progress(p) => Event::Progress(line(p)),
            Event::PasteNeeded { reason } => Event::PasteNeeded {
                reason: line(reason),
            },
            Event::PasteRefused { reason } => Event::PasteRefused {
                reason: line(reason),
            },
            Event::Finding(mut f) => {
                let first = f.request_ids.first().copied();
                f.title = sanitize::bounded(&f.title, sanitize::MAX_VALUE, first);
                f.detail = sanitize::bounded(&f.detail, sanitize::MAX_VALUE, first);
                Event::Finding(f)
            }
            e @ (Event::StepStarted { .. }
            | Event::ResponseReceived { .. }
            | Event::Endpoint(_)) => e,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    pub id: StepId,
    pub title: &'static str,
    pub status: Status,
    pub duration_ms: u64,
    pub summary: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct EndpointResult {
    pub name: &'static str,
    pub permission_set: &'static str,
    pub method: &'static str,
    pub path: String,
    pub status: Status,
    pub http_status: Option<u16>,
    pub latency_ms: u64,
    pub records: Option<usize>,
    /// The finding code explaining a failure.
    pub finding: Option<Code>,
    /// What the assignment query says: assigned or not (None: not known).
    pub assigned: Option<bool>,
    pub request_id: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RequestSummary {
    pub id: u64,
    pub method: String,
    pub url: String,
    pub status: Option<u16>,
    pub duration_ms: u64,
    /// On an entry standing for several folded requests (bulk paging): what they were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct OrgChecks {
    pub username: Option<String>,
    pub user_id: Option<String>,
    pub assigned_permission_sets: Option<Vec<String>>,
    pub api_enabled: Option<bool>,
    pub package_version: Option<String>,
    pub refresh_token_policy: Option<String>,
    pub permitted_users: Option<String>,
    pub api_usage: Option<(u64, u64)>,
    /// Why a check was skipped.
    pub skipped: Vec<String>,
}

impl OrgChecks {
    /// The same checks with every value the org sent passed through the sanitiser.
    pub fn sanitized(mut self) -> OrgChecks {
        let line = |s: &mut String| *s = sanitize::bounded(s, sanitize::MAX_VALUE, None);
        for s in [
            &mut self.username,
            &mut self.user_id,
            &mut self.package_version,
            &mut self.refresh_token_policy,
            &mut self.permitted_users,
        ]
        .into_iter()
        .flatten()
        {
            line(s);
        }
        for s in self.assigned_permission_sets.iter_mut().flatten() {
            line(s);
        }
        for s in self.skipped.iter_mut() {
            line(s);
        }
        self
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct EnvironmentInfo {
    pub login_url: String,
    pub kind: &'static str,
    pub proxy: Option<String>,
    /// Hosts whose TLS certificates were not verified (`--insecure-host`).
    pub insecure_hosts: Vec<String>,
    /// Hosts outside Salesforce's domains allowed to receive the token (`--trust-host`).
    pub trust_hosts: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub sagediag_version: &'static str,
    pub environment: EnvironmentInfo,
    pub flow: Flow,
    pub outcome: &'static str,
    pub steps: Vec<StepRecord>,
    pub endpoints: Vec<EndpointResult>,
    pub findings: Vec<Finding>,
    pub requests: Vec<RequestSummary>,
    pub org: OrgChecks,
    pub scopes: Option<String>,
    pub refresh_token_issued: Option<bool>,
    pub refresh_rotated: Option<bool>,
    /// The integration's OAuth app: its kind, name and policies.
    pub app: app::AppInfo,
    /// Field coverage of the employee records, when asked for.
    pub coverage: Option<coverage::Coverage>,
}

impl Report {
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// The tokens a login produced (secrets: never logged or reported).
#[derive(Clone, Default)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub instance_url: String,
    pub id_url: Option<String>,
    pub issued_at: Option<String>,
    pub signature: Option<String>,
    pub scope: Option<String>,
    pub response_id: Option<u64>,
}

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
    pub coverage: Option<coverage::Coverage>,
    /// Redirect URLs pasted by the user (web flow), instead of the loopback callback.
    pub pasted: Option<UnboundedReceiver<String>>,
    /// The integration's OAuth app, as far as known so far.
    pub app: app::AppInfo,
    /// The refresh test's request.
    pub refresh_request: Option<u64>,
}

impl Run {
    /// Sends an event to the front end, its server-derived text sanitised.
    pub fn emit(&self, e: Event) {
        let _ = self.events.send(e.sanitized());
    }

    /// Adds a finding, merging with an earlier one of the same code and title. Its title and
    /// detail (which quote what a server said) are sanitised and bounded here, once.
    pub fn raise(&mut self, f: Finding) {
        let mut f = app::adapt(
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

    fn step_start(&self, step: StepId) -> Instant {
        tracing::info!(step = step.title(), "step started");
        self.emit(Event::StepStarted { step });
        Instant::now()
    }

    fn step_end(
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
        });
    }

    fn errors_since(&self, n: usize) -> bool {
        self.findings[n..]
            .iter()
            .any(|f| f.severity == Severity::Error)
    }

    fn warnings_since(&self, n: usize) -> bool {
        self.findings[n..]
            .iter()
            .any(|f| f.severity == Severity::Warning)
    }

    fn status_since(&self, n: usize) -> Status {
        if self.errors_since(n) {
            Status::Fail
        } else if self.warnings_since(n) {
            Status::Warn
        } else {
            Status::Pass
        }
    }
}

/// Runs every step and returns the report. `pasted` carries redirect URLs a person pastes.
pub async fn run(
    cfg: Config,
    events: UnboundedSender<Event>,
    pasted: Option<UnboundedReceiver<String>>,
) -> Report {
    match http::Client::for_config(&cfg, Some(events.clone())) {
        Ok(client) => run_with(cfg, client, events, pasted).await,
        Err(e) => {
            let mut r = empty_report(&cfg);
            r.findings.push(Finding::new(
                Code::UNEXPECTED_RESPONSE,
                e.to_string(),
                vec![],
            ));
            r.outcome = "fail";
            r
        }
    }
}

/// Like [`run`], on a client the caller keeps (the console reads the recorded exchanges from it).
pub async fn run_with(
    cfg: Config,
    client: http::Client,
    events: UnboundedSender<Event>,
    pasted: Option<UnboundedReceiver<String>>,
) -> Report {
    run_session(cfg, client, events, pasted).await.0
}

/// What a successful login leaves for further requests (the console's request console). Never
/// serialized, never in a report.
#[derive(Clone)]
pub struct Session {
    pub instance_url: String,
    pub access_token: String,
    /// The current refresh token (after any rotation by the token checks), when one was issued.
    pub refresh_token: Option<String>,
}

/// Like [`run_with`], also returning the session when the login succeeded.
pub async fn run_session(
    cfg: Config,
    client: http::Client,
    events: UnboundedSender<Event>,
    pasted: Option<UnboundedReceiver<String>>,
) -> (Report, Option<Session>) {
    for s in [
        &cfg.client_secret,
        &cfg.password,
        &cfg.refresh_token,
        &cfg.access_token,
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
    };
    let tokens = steps(&mut run).await;
    let session = tokens.map(|t| Session {
        instance_url: t.instance_url,
        access_token: t.access_token,
        refresh_token: t.refresh_token,
    });
    (finish(run), session)
}

async fn steps(run: &mut Run) -> Option<Tokens> {
    // 1. Environment.
    let t = run.step_start(StepId::Environment);
    let n = run.findings.len();
    let summary = environment::preflight(run).await;
    let status = run.status_since(n);
    run.step_end(StepId::Environment, t, status, summary);
    if status == Status::Fail {
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
    let t = run.step_start(StepId::Credentials);
    let n = run.findings.len();
    let summary = environment::credential_shapes(run);
    let status = run.status_since(n);
    run.step_end(StepId::Credentials, t, status, summary);
    // 3. Login.
    let t = run.step_start(StepId::Login);
    let n = run.findings.len();
    let tokens = login::login(run).await;
    let status = if tokens.is_some() {
        run.status_since(n)
    } else {
        Status::Fail
    };
    let summary = match &tokens {
        Some(t) => format!(
            "logged in with the {} flow; instance {}",
            run.cfg.flow.name(),
            t.instance_url
        ),
        None => "no token: see the findings".into(),
    };
    run.step_end(StepId::Login, t, status, summary);
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
    let t = run.step_start(StepId::Token);
    let n = run.findings.len();
    let in_flight = org::send(run, &tokens);
    let login_tokens = tokens.clone();
    let summary = login::token_checks(run, &mut tokens).await;
    let status = run.status_since(n);
    run.step_end(StepId::Token, t, status, summary);
    // 5. Org checks.
    let t = run.step_start(StepId::Org);
    let n = run.findings.len();
    let (summary, probes) = org::org_checks(run, &login_tokens, in_flight).await;
    let status = run.status_since(n);
    run.step_end(StepId::Org, t, status, summary);
    // 6. Probes.
    let t = run.step_start(StepId::Probes);
    let n = run.findings.len();
    let summary = org::probes(run, probes).await;
    // One verdict for the step, the table and every front end: a failing row fails the step even
    // when its finding was already raised (and merged) by an earlier step.
    let status = if run.endpoints.iter().any(|e| e.status == Status::Fail) {
        Status::Fail
    } else {
        run.status_since(n)
    };
    run.step_end(StepId::Probes, t, status, summary);
    // 7. Field coverage, when asked for and the Employees endpoint answers.
    if let Some(limit) = run.cfg.coverage_limit {
        let t = run.step_start(StepId::Coverage);
        let employees_ok = run
            .endpoints
            .iter()
            .any(|e| e.name == "Employees" && e.status == Status::Pass);
        if !employees_ok {
            run.step_end(
                StepId::Coverage,
                t,
                Status::Skip,
                "skipped: the Employees endpoint does not answer",
            );
        } else {
            let n = run.findings.len();
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
            let status = run.status_since(n);
            run.coverage = Some(c);
            run.step_end(StepId::Coverage, t, status, summary);
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
        outcome: "pass",
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
    report.endpoints = run.endpoints;
    report.org = run.org.sanitized();
    report.scopes = run
        .scopes
        .map(|s| sanitize::bounded(&s, sanitize::MAX_VALUE, None));
    report.refresh_token_issued = run.refresh_token_issued;
    report.refresh_rotated = run.refresh_rotated;
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
    report.outcome = if report.has_errors() { "fail" } else { "pass" };
    report
}
