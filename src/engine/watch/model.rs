//! The vocabulary every part of watch shares: an org on the watch list, one cycle's results,
//! incidents and their transitions, and alert deliveries. Times are Unix seconds (UTC).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// How the watcher signs in to an org: its own monitoring app, never the integration's token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MonitorFlow {
    /// JWT bearer: the monitoring app's client id, a monitoring user, a private key.
    Jwt,
    /// Client credentials: the monitoring app's client id and secret (runs as its execution user).
    ClientCredentials,
}

/// When an org's cycle runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Schedule {
    /// Every N seconds (with per-org jitter).
    Interval { secs: u64 },
    /// A cron expression (seconds field first, as the `cron` crate reads it), in UTC.
    Cron { expr: String },
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule::Interval { secs: 900 }
    }
}

/// One org on the watch list. It holds no secret: the monitoring app's secret is kept in the
/// vault (OS keyring or the owner-only file) under the org's name, as `check --keep-secrets` does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WatchOrg {
    pub name: String,
    /// As `check --env`: production, sandbox, or a My Domain / login URL.
    pub environment: String,
    pub flow: MonitorFlow,
    /// The monitoring app's consumer key.
    pub client_id: String,
    /// The monitoring user (JWT bearer's `sub`).
    #[serde(default)]
    pub username: Option<String>,
    /// The monitoring app's private key (JWT bearer), a path the user named.
    #[serde(default)]
    pub private_key: Option<PathBuf>,
    /// The integration user whose record is watched (LoginHistory, grants, frozen state,
    /// permission sets).
    pub integration_user: String,
    /// The integration's app as the org names it (LoginHistory's Application, OauthToken's
    /// AppName); None watches every app of that user.
    #[serde(default)]
    pub integration_app: Option<String>,
    /// Probe the seven endpoints as the integration user through a JWT for that user (the
    /// monitoring app must be allowed to issue one); off by default.
    #[serde(default)]
    pub probe_as_integration: bool,
    #[serde(default)]
    pub schedule: Schedule,
    /// Extra CA certificates (PEM) to trust for this org.
    #[serde(default)]
    pub ca_certs: Vec<PathBuf>,
}

/// The result of one check in a cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckState {
    Pass,
    Warn,
    Fail,
    /// The check could not run (the org did not answer, the monitoring login failed).
    Error,
    Skip,
}

impl CheckState {
    pub fn word(self) -> &'static str {
        match self {
            CheckState::Pass => "PASS",
            CheckState::Warn => "WARN",
            CheckState::Fail => "FAIL",
            CheckState::Error => "ERROR",
            CheckState::Skip => "SKIP",
        }
    }

    /// Whether this counts as failing for incidents and for `watch --once`'s exit code.
    pub fn is_failing(self) -> bool {
        matches!(self, CheckState::Fail | CheckState::Error)
    }

    /// The worse of two states (Error > Fail > Warn > Pass > Skip).
    pub fn worst(self, other: CheckState) -> CheckState {
        fn rank(s: CheckState) -> u8 {
            match s {
                CheckState::Skip => 0,
                CheckState::Pass => 1,
                CheckState::Warn => 2,
                CheckState::Fail => 3,
                CheckState::Error => 4,
            }
        }
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

/// One check of a cycle: `login` (the watcher's own), `login_history`, `grants`, `user`,
/// `permission_sets`, `app_policy`, `package`, `limits`, and `probe:<endpoint>` for each of the
/// seven endpoints when probed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub check: String,
    pub state: CheckState,
    pub latency_ms: u64,
    /// Finding codes this check raised (`USER_FROZEN`, …).
    #[serde(default)]
    pub codes: Vec<String>,
    /// One line, already sanitised and bounded.
    #[serde(default)]
    pub detail: String,
}

/// A finding as watch keeps it (the catalog's code, severity, title and fix; sanitised).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WatchFinding {
    pub code: String,
    /// `error`, `warning` or `info`.
    pub severity: String,
    pub title: String,
    #[serde(default)]
    pub fix: Vec<String>,
    /// A forecast (a refresh token that will idle out) rather than a break.
    #[serde(default)]
    pub forecast: bool,
}

/// The numbers a cycle reads besides pass/fail; they feed /metrics, the Fleet screen and the page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Signals {
    /// The integration user's grants to the app, of the cap of five.
    pub grants_used: Option<u32>,
    /// Seconds until the integration's refresh token idles out under its policy (negative:
    /// already expired).
    pub refresh_expires_in_secs: Option<i64>,
    pub api_requests_remaining: Option<i64>,
    pub api_requests_max: Option<i64>,
    /// New LoginHistory failures of the integration user since the last cycle, by Status.
    #[serde(default)]
    pub login_failures: BTreeMap<String, u64>,
    /// The high-water mark of LoginHistory read (the newest LoginTime, as Salesforce sent it).
    pub login_high_water: Option<String>,
    pub user_frozen: Option<bool>,
    pub user_active: Option<bool>,
    /// The seven permission sets' names the integration user holds.
    #[serde(default)]
    pub permission_sets: Vec<String>,
    /// The app's policies as read (refresh policy, IP relaxation, permitted users, rotation,
    /// PKCE), for drift.
    #[serde(default)]
    pub app_policy: BTreeMap<String, String>,
    pub package_version: Option<String>,
}

/// One org's cycle: what the watcher saw at one time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgCycle {
    pub org: String,
    pub started_at: i64,
    pub duration_ms: u64,
    /// The worst of the checks.
    pub state: CheckState,
    pub checks: Vec<CheckResult>,
    pub findings: Vec<WatchFinding>,
    pub signals: Signals,
    /// The same document `check --json` prints (schema shared with /api/status.json), or Null.
    #[serde(default)]
    pub report: serde_json::Value,
    /// Which watcher ran it (host name and process id), for team mode.
    #[serde(default)]
    pub watcher: String,
}

/// Incidents: one per org and finding code, opened after `open_after` failing cycles in a row and
/// resolved after `resolve_after` passing ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentPolicy {
    pub open_after: u32,
    pub resolve_after: u32,
}

impl Default for IncidentPolicy {
    fn default() -> Self {
        IncidentPolicy {
            open_after: 2,
            resolve_after: 2,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IncidentState {
    /// Seen failing, fewer than `open_after` cycles in a row: no alert yet.
    Pending,
    Open,
    Resolved,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: i64,
    pub org: String,
    pub code: String,
    pub severity: String,
    pub title: String,
    #[serde(default)]
    pub fix: Vec<String>,
    pub forecast: bool,
    pub state: IncidentState,
    pub first_seen: i64,
    pub last_seen: i64,
    /// Failing cycles seen in all.
    pub count: u64,
    pub consecutive_fail: u32,
    pub consecutive_pass: u32,
    pub opened_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub acked_by: Option<String>,
    pub acked_at: Option<i64>,
    pub muted_until: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransitionKind {
    Opened,
    /// A warning (forecast) incident became an error, or its severity rose.
    Escalated,
    Resolved,
}

/// One incident transition: what an alert is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    pub incident_id: i64,
    pub org: String,
    pub code: String,
    pub kind: TransitionKind,
    pub severity: String,
    pub title: String,
    #[serde(default)]
    pub fix: Vec<String>,
    pub first_seen: i64,
    pub last_seen: i64,
    pub at: i64,
}

/// An alert queued for one target: delivered once, retried until it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: i64,
    /// The target's name as configured (`slack`, `webhook-1`, …); never its URL.
    pub target: String,
    pub transition: Transition,
    pub attempts: u32,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
}

/// What the Fleet screen, the status page and /metrics show of one org: its latest cycle and its
/// open incidents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgStatus {
    pub org: String,
    pub last: Option<OrgCycle>,
    pub last_cycle_id: Option<i64>,
    pub open_incidents: Vec<Incident>,
}

/// One line of an org's timeline (`watch history`, the timeline overlay, the org page).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CycleSummary {
    pub cycle_id: i64,
    pub org: String,
    pub started_at: i64,
    pub duration_ms: u64,
    pub state: CheckState,
    pub codes: Vec<String>,
    /// Of the checks run, how many passed (for the sparkline of probe success).
    pub passed: u32,
    pub total: u32,
}
