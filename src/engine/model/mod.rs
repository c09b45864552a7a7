//! The engine's vocabulary: what a run is given (`Config`), what it says as it goes (`Event`),
//! and what it returns (`Report`, `Session`), with the seven endpoints and their permission sets.
//! Plain data: the steps that produce it live in `run.rs` and the step modules.

use std::time::Duration;

use serde::{Deserialize, Serialize};

pub(crate) mod app_info;
pub(crate) mod coverage;
pub(crate) mod environment;
pub(crate) mod ledger;
pub(crate) mod record;

use super::findings::{Code, Finding};
use super::{http, sanitize};
use environment::Environment;

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

/// How the run logs in. The config file and the command line name it in kebab case
/// (`client-credentials`): serde and clap read it straight into this type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
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

/// sagediag's loopback callback port (the Salesforce CLI's too): `http://localhost:1717/OauthRedirect`.
pub const DEFAULT_CALLBACK_PORT: u16 = 1717;
/// The path of the loopback callback.
pub const CALLBACK_PATH: &str = "/OauthRedirect";

/// sagediag's default redirect URI.
pub fn default_redirect_uri() -> String {
    format!("http://localhost:{DEFAULT_CALLBACK_PORT}{CALLBACK_PATH}")
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
    /// The JWT private key's file, read by the run itself (off the caller's thread) when no
    /// PEM text is given.
    pub private_key_path: Option<std::path::PathBuf>,
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
    pub app_kind: Option<app_info::AppKind>,
    /// What the run obtained, to give back at its end (shared by every clone of this config).
    pub ledger: ledger::Ledger,
    /// The user's consent to refresh a refresh token sagediag did not obtain (the refresh flow:
    /// under rotation the token given is retired). Without it that flow sends nothing.
    pub allow_rotation: bool,
    /// The user's consent to a web-server or device login although the user holds five grants
    /// for the app (the login revokes the oldest). Without it no token request is made then.
    pub allow_grant_eviction: bool,
    /// Keeps a new refresh token where the user chose, as soon as it arrives (before any later
    /// request); answers where it went.
    pub keeper: Option<ledger::Keeper>,
    /// Days of the integration user's LoginHistory read after login (`--history-days`).
    pub history_days: u32,
    /// An admin's session (`check --admin-*`, the console's admin login): the integration's
    /// record is read with it in full, even when the integration's own login fails.
    pub admin_session: Option<Session>,
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
            private_key_path: None,
            refresh_token: None,
            access_token: None,
            instance_url: None,
            pkce: true,
            redirect_uri: None,
            callback_port: DEFAULT_CALLBACK_PORT,
            callback_path: CALLBACK_PATH.into(),
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
            ledger: ledger::Ledger::default(),
            allow_rotation: false,
            allow_grant_eviction: false,
            keeper: None,
            history_days: record::DEFAULT_HISTORY_DAYS,
            admin_session: None,
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

/// A run's event channel listens to its HTTP client: each exchange event becomes an [`Event`]
/// (sanitised), so the client itself knows no run.
impl From<Option<tokio::sync::mpsc::UnboundedSender<Event>>> for http::Listener {
    fn from(tx: Option<tokio::sync::mpsc::UnboundedSender<Event>>) -> http::Listener {
        match tx {
            Some(tx) => http::Listener::new(move |e| {
                let _ = tx.send(Event::from(e).sanitized());
            }),
            None => http::Listener::none(),
        }
    }
}

impl From<http::ExchangeEvent> for Event {
    fn from(e: http::ExchangeEvent) -> Event {
        match e {
            http::ExchangeEvent::Sent { id, method, url } => Event::RequestSent { id, method, url },
            http::ExchangeEvent::Received {
                id,
                status,
                duration_ms,
                bytes,
            } => Event::ResponseReceived {
                id,
                status,
                duration_ms,
                bytes,
            },
        }
    }
}

impl http::Client {
    /// The client a run's configuration asks for: its time-out and extra trusted CAs, its
    /// response cap; its exchange events to `events`.
    pub fn for_config(
        cfg: &Config,
        events: impl Into<http::Listener>,
    ) -> Result<http::Client, http::SetupError> {
        http::Client::build(
            cfg.timeout,
            cfg.connect_timeout,
            &cfg.ca_certs_pem,
            &cfg.insecure_hosts,
            events.into(),
        )
        .map(|c| c.with_max_response(cfg.max_response_bytes))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    pub id: StepId,
    pub title: &'static str,
    pub status: Status,
    pub duration_ms: u64,
    pub summary: String,
    /// The findings (code, title) this step raised: what its status is judged from again after
    /// a fix changes the findings ([`Report::settle`]).
    #[serde(skip)]
    pub raised: Vec<(Code, String)>,
}

/// The run's outcome: FAIL when an error is among the findings, else PASS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
}

impl Verdict {
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.word())
    }
}

/// How one change to the org ended (apply, undo, or a revoked grant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeOutcome {
    /// The assignment was created (its id recorded).
    Created,
    /// The org already had it: nothing created, nothing for undo.
    AlreadyAssigned,
    /// Refused by the org: nothing created.
    Failed,
    /// Sent, and its answer lost (or the run killed before it came): the org decides; the next
    /// run reads it to settle (`fix::settle`).
    Unknown,
    /// Undo deleted it.
    Deleted,
    /// The grant was revoked (a stale OAuth grant: no undo).
    Revoked,
    /// Undo cannot give it back (a revoked grant: the integration must authorize again).
    NotUndoable,
    /// Undo's delete was refused.
    UndoFailed,
    /// Undo left it in place: no longer the one recorded, not recorded by sagediag, another org,
    /// or unreadable (the note says which).
    UndoSkipped,
}

impl ChangeOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeOutcome::Created => "created",
            ChangeOutcome::AlreadyAssigned => "already-assigned",
            ChangeOutcome::Failed => "failed",
            ChangeOutcome::Unknown => "unknown",
            ChangeOutcome::Deleted => "deleted",
            ChangeOutcome::Revoked => "revoked",
            ChangeOutcome::NotUndoable => "not-undoable",
            ChangeOutcome::UndoFailed => "undo-failed",
            ChangeOutcome::UndoSkipped => "undo-skipped",
        }
    }

    /// The permission set is (still) assigned after this change: what the re-probe checks.
    pub fn assigned(self) -> bool {
        matches!(
            self,
            ChangeOutcome::Created | ChangeOutcome::AlreadyAssigned
        )
    }

    /// The change is in the org now (made, or a grant revoked).
    pub fn made(self) -> bool {
        matches!(self, ChangeOutcome::Created | ChangeOutcome::Revoked)
    }
}

impl std::fmt::Display for ChangeOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One change made to the org after the check (the report's "Changes made"): who, what, when,
/// the request and the record. Never a secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeMade {
    pub outcome: ChangeOutcome,
    /// What changed: a permission set's label, or an OAuth grant's description.
    pub what: String,
    /// The user it was for (an id).
    pub for_user: String,
    /// The username of the session that sent it.
    pub by: String,
    /// When (RFC 3339, UTC), and in milliseconds since the epoch.
    pub at: String,
    pub at_ms: u64,
    /// The request in the log (0: none was sent).
    pub request_id: u64,
    /// The record's kind and id: `PermissionSetAssignment 0Pa…`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// Why it ended as it did, when there is more to say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
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
    /// PASS or FAIL: the engine's word, after any fix ([`Report::settle`]).
    pub outcome: Verdict,
    /// When the run started (RFC 3339, UTC).
    pub started_at: String,
    /// The org's instance, once logged in.
    pub instance_url: Option<String>,
    /// The org's id (from the identity URL), once logged in.
    pub org_id: Option<String>,
    pub steps: Vec<StepRecord>,
    pub endpoints: Vec<EndpointResult>,
    pub findings: Vec<Finding>,
    pub requests: Vec<RequestSummary>,
    pub org: OrgChecks,
    pub scopes: Option<String>,
    pub refresh_token_issued: Option<bool>,
    pub refresh_rotated: Option<bool>,
    /// The integration's OAuth app: its kind, name and policies.
    pub app: app_info::AppInfo,
    /// Field coverage of the employee records, when asked for.
    pub coverage: Option<coverage::Coverage>,
    /// A refresh that rotated a refresh token sagediag did not obtain: the old one is retired.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation: Option<ledger::Rotation>,
    /// What became of the tokens the run held at its end (filled by the front end's
    /// [`ledger::revoke`] call). Never a token.
    pub revoked: Vec<ledger::Revoked>,
    /// The integration's own record in the org (LoginHistory, OauthToken, the user).
    pub integration: Option<record::IntegrationRecord>,
    /// Changes made to the org after the check (`sagediag fix`, the console's Fix overlay),
    /// oldest first: the report as it stands after them.
    pub changes: Vec<ChangeMade>,
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

/// What a successful login leaves for further requests (the console's request console). Never
/// serialized, never in a report.
#[derive(Clone)]
pub struct Session {
    pub instance_url: String,
    pub access_token: String,
    /// The current refresh token (after any rotation by the token checks), when one was issued.
    pub refresh_token: Option<String>,
}
