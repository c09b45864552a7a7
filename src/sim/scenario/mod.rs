//! Scenarios: TOML descriptions of a simulated org, its connected app, its users, its data and
//! its faults. Every field has a default that describes a healthy org, so a scenario file states
//! only what differs. The shipped scenarios live in `assets/scenarios/` and are embedded in the
//! binary; a user may pass a path instead of a name.
//!
//! `shipped.rs` holds the permission sets and the scenarios shipped in `assets/scenarios/`,
//! `defaults.rs` what a scenario leaves out, `load.rs` reading, parsing and validating a file.

mod defaults;
mod load;
mod shipped;

pub use load::{ScenarioFileError, parse_api_version, parse_package_version, read_scenario_file};
pub use shipped::{PERMISSION_SETS, PermissionSetDef, SHIPPED};

use std::fmt;

use serde::{Deserialize, Serialize};

use super::crypto;

/// The demo key pair's public half, the default JWT certificate of the simulated app.
pub const DEMO_JWT_PUBLIC_KEY: &str = include_str!("../../../assets/keys/demo-jwt.pub.pem");

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    /// One line: what this org is like.
    pub description: String,
    /// The real-world pitfall the scenario reproduces, and where it is fixed.
    pub pitfall: String,
    pub org: OrgConfig,
    pub app: AppConfig,
    pub users: Vec<UserConfig>,
    pub data: DataConfig,
    pub faults: FaultConfig,
    pub shapes: ShapeConfig,
    pub answers: AnswersConfig,
    /// LoginHistory rows the org holds at start (`docs/simulator.md`, "The org's record").
    pub login_history: Vec<crate::sim::seed::LoginHistorySeed>,
    /// OauthToken grants the users hold at start.
    pub oauth_tokens: Vec<crate::sim::seed::OauthTokenSeed>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum OrgKind {
    Production,
    Sandbox,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct OrgConfig {
    /// 15-character org id (`00D…`); the 18-character form is derived.
    pub id: String,
    /// The My Domain name (`acme` → `acme.my.salesforce.com`), reported in identity data.
    pub my_domain: String,
    pub kind: OrgKind,
    /// The REST API is enabled for the organization (edition feature).
    pub api_enabled: bool,
    pub daily_api_allocation: u64,
    /// API requests already used today when the simulator starts.
    pub api_used: u64,
    /// The Sage People API managed package (`spapi`) is installed.
    pub package_installed: bool,
    /// Its version, `major.minor.patch.build`.
    pub package_version: String,
    /// The minor API version reported in every Sage People response body.
    pub sage_api_version: String,
    /// Access-token lifetime (the session timeout), in seconds.
    pub session_timeout_secs: u64,
    /// "Allow OAuth Username-Password Flows" (OAuth and OpenID Connect Settings).
    pub username_password_flow: bool,
    /// Logins allowed per user per hour before `login rate exceeded`.
    pub login_rate_per_hour: u32,
    /// The newest REST API version the org serves (`67.0`).
    pub api_version: String,
    /// Seconds a device-flow client must wait between polls.
    pub device_interval_secs: u64,
    /// Polls after which a pending device code is approved by the first `auto_approve` user
    /// (0: only a person approving at `/setup/connect` does it).
    pub device_auto_approve_after_polls: u32,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum RefreshPolicy {
    /// "Refresh token is valid until revoked".
    UntilRevoked,
    /// "Immediately expire refresh token".
    ExpireImmediately,
    /// "Expire refresh token if not used for N hours".
    ExpireIfUnused,
    /// "Expire refresh token after N hours".
    ExpireAfter,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum PermittedUsers {
    /// "All users may self-authorize".
    AllUsers,
    /// "Admin approved users are pre-authorized".
    AdminApproved,
}

/// Which kind of OAuth app the org holds for the integration.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AppKind {
    /// A connected app (App Manager; no new ones since Spring '26 without Salesforce Support).
    ConnectedApp,
    /// An External Client App (External Client Apps Manager): settings and policies apart.
    ExternalClientApp,
}

/// IP Relaxation, as the metadata names it (`ipRelaxationPolicyType`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum IpRelaxation {
    Enforce,
    Bypass,
    #[serde(rename = "Bypass_2factor")]
    Bypass2Factor,
    #[serde(rename = "Enforce_RelaxRefresh")]
    EnforceRelaxRefresh,
}

impl IpRelaxation {
    pub fn token(self) -> &'static str {
        match self {
            IpRelaxation::Enforce => "Enforce",
            IpRelaxation::Bypass => "Bypass",
            IpRelaxation::Bypass2Factor => "Bypass_2factor",
            IpRelaxation::EnforceRelaxRefresh => "Enforce_RelaxRefresh",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AppConfig {
    /// `connected_app` or `external_client_app`: which setup objects the org shows and how
    /// pre-authorization works. The OAuth switches below mean the same for both kinds (an ECA's
    /// settings and policies hold the same controls under other names).
    pub kind: AppKind,
    /// The app's CreatedDate (`YYYY-MM-DD`); a connected app created before Spring '26
    /// (2026-02-01 here) is a legacy one.
    pub created_date: String,
    /// ECA only: permission sets (labels or API names) linked to the app's policies; with
    /// `permitted_users = "admin-approved"` their holders are pre-authorized.
    pub preauthorized_permission_sets: Vec<String>,
    /// ECA only: profiles (names) linked to the app's policies.
    pub preauthorized_profiles: Vec<String>,
    /// IP Relaxation: `Enforce`, `Bypass`, `Bypass_2factor`, `Enforce_RelaxRefresh`.
    pub ip_relaxation: IpRelaxation,
    pub name: String,
    pub consumer_key: String,
    pub consumer_secret: String,
    /// Callback URLs registered on the app; matched exactly.
    pub callback_urls: Vec<String>,
    /// OAuth scopes selected on the app (`api`, `refresh_token`, `offline_access`, `openid`, …).
    pub scopes: Vec<String>,
    /// "Require Proof Key for Code Exchange (PKCE) Extension for Supported Authorization Flows".
    pub require_pkce: bool,
    /// "Require Secret for Web Server Flow".
    pub require_secret_web_server: bool,
    /// "Require Secret for Refresh Token Flow".
    pub require_secret_refresh: bool,
    pub refresh_token_policy: RefreshPolicy,
    /// Hours, for the `expire-if-unused` and `expire-after` policies.
    pub refresh_token_validity_hours: u64,
    /// Refresh Token Rotation.
    pub refresh_token_rotation: bool,
    pub permitted_users: PermittedUsers,
    /// The app is installed in the org (since 2025, users without "Approve Uninstalled Connected
    /// Apps" cannot authorize an uninstalled app).
    pub installed: bool,
    /// "Enable for Device Flow".
    pub device_flow: bool,
    /// "Enable Client Credentials Flow".
    pub client_credentials_flow: bool,
    /// The client-credentials Run As user (a username); empty → `no client credentials user enabled`.
    pub client_credentials_run_as: String,
    /// PEM public key ("Use digital signatures"); JWT assertions are checked against it.
    pub jwt_public_key: Option<String>,
    /// "Introspect All Tokens": without it an app introspects only its own tokens.
    pub introspect_all_tokens: bool,
    /// Whether `sagediag sim` hands out the consumer secret; false models an integration that
    /// holds none (a public client), for the Require-Secret pitfall.
    pub share_secret: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct UserConfig {
    /// 15-character user id (`005…`); derived from the username when empty.
    pub id: String,
    pub username: String,
    pub password: String,
    /// Appended to the password in the username-password flow when set.
    pub security_token: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub active: bool,
    /// The "API Enabled" system permission, through the profile or a permission set.
    pub api_enabled: bool,
    /// "View Setup and Configuration": may query setup objects (permission-set assignments,
    /// connected applications, installed packages).
    pub view_setup: bool,
    /// Names or labels of the permission sets assigned.
    pub permission_sets: Vec<String>,
    /// Permission sets granted through a permission set group: they work, but no
    /// PermissionSetAssignment row names them (only the group's).
    pub permission_sets_via_group: Vec<String>,
    /// Assigned to the app through a profile or permission set (admin-approved apps).
    pub pre_authorized: bool,
    /// `/authorize?login_hint=<username>` approves at once without a browser.
    pub auto_approve: bool,
    /// "Use Any API Client": may use any app, pre-authorized or not.
    pub use_any_api_client: bool,
    /// Clicking "Deny" on the consent page (for the consent-denied pitfall).
    pub denies_consent: bool,
    /// The user's profile has login IP ranges that exclude the caller.
    pub ip_restricted: bool,
    /// The password has expired: a SOAP `login()` still succeeds, with `passwordExpired` true.
    pub password_expired: bool,
    /// "Assign Permission Sets" (through the profile): may create and delete
    /// PermissionSetAssignment rows (`sagediag fix`).
    pub assign_permission_sets: bool,
    /// Permission sets whose assignment to this user fails with FIELD_INTEGRITY_EXCEPTION
    /// (a permission set license the user lacks).
    pub lacks_license_for: Vec<String>,
    /// Frozen (UserLogin.IsFrozen): every login is refused and the user's grants were revoked.
    pub frozen: bool,
    /// "Manage Users": reads every user's LoginHistory, OauthToken and UserLogin rows and may
    /// unfreeze a user (the org's admin has it).
    pub manage_users: bool,
    /// "View All Users" (a read-only monitoring user): reads every user's LoginHistory,
    /// OauthToken and UserLogin rows, changes nothing (docs/simulator.md, "Fleets": a guess).
    pub view_all_users: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DataConfig {
    pub seed: u64,
    pub employees: u32,
    pub salaries_per_employee: u32,
    pub bonuses_per_employee: u32,
    pub absences_per_employee: u32,
    pub absence_balances_per_employee: u32,
    pub timesheets_per_employee: u32,
    /// Records per page of the Sage People list endpoints.
    pub page_size: u32,
    /// Percentage of employees who have left (`currentEmployment.active = false`).
    pub leaver_percent: u32,
    /// Percentage of employees with no email address.
    pub missing_email_percent: u32,
    /// Percentage of employees whose email repeats the previous employee's.
    pub duplicate_email_percent: u32,
    /// "Hold Absence Balances" is on; off → `ABSENCE_BALANCE_CALCULATION_NOT_ENABLED`.
    pub absence_balance_calculation: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    /// Added to every matching response.
    pub latency_ms: u64,
    /// Uniform jitter added on top of the latency.
    pub jitter_ms: u64,
    /// Fraction (0–1) of matching requests answered with a server error.
    pub error_rate: f64,
    /// Status of those errors (500 or 503).
    pub error_status: u16,
    /// Path prefixes that never answer.
    pub hang_paths: Vec<String>,
    /// Path prefixes answered by an HTML page instead (a proxy or maintenance page).
    pub html_paths: Vec<String>,
    pub html_status: u16,
    /// The HTML page's text; a maintenance page by default.
    pub html_body: Option<String>,
    /// Response bodies trickle at this many bytes per second (0: off).
    pub slow_body_bytes_per_sec: u64,
    /// Path prefixes whose response body is cut off after half its bytes (connection reset).
    pub truncate_paths: Vec<String>,
    /// Path prefixes the faults apply to (empty: every path).
    pub paths: Vec<String>,
    /// From this matching request on (1-based), every matching request fails with
    /// `error_status` (0: off) — e.g. page 2 of a paged read.
    pub fail_from_request: u64,
    /// Path prefixes whose answer is blown up to about `huge_body_bytes` (a hostile or broken
    /// server just under a client's read cap): a token answer's `access_token` becomes that
    /// long; any other answer is followed by that many spaces (still the same JSON).
    pub huge_body_paths: Vec<String>,
    /// The size of those answers (at most 64 MiB).
    pub huge_body_bytes: u64,
}

/// Shapes the references mark as guesses, configurable so that a real org's answer can be
/// reproduced once known.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ShapeConfig {
    pub missing_permission_status: u16,
    pub missing_permission_category: String,
    /// `{label}` and `{endpoint}` are replaced.
    pub missing_permission_message: String,
    pub invalid_marker_status: u16,
    pub api_currently_disabled_status: u16,
    /// What REST answers a user without "API Enabled": `API_DISABLED_FOR_ORG` (as public
    /// reports show) or `API_CURRENTLY_DISABLED` ("API is disabled for this User").
    pub api_disabled_for_user_code: String,
    pub login_rate_error: String,
    pub login_rate_description: String,
    pub refresh_secret_error: String,
    pub refresh_secret_description: String,
    /// Guess: `ExtlClntAppOauthPlcyCnfg` (an ECA's policies) answers a standard SOQL query
    /// (seen in public tools; one report says the Tooling API refuses it). False: INVALID_TYPE.
    pub eca_policies_queryable: bool,
    /// Guess: `ExtlClntAppOauthSettings` shows the security switches as fields
    /// (`IsPkceRequired`, `IsSecretRequiredForRefreshToken`, `IsConsumerSecretOptional`,
    /// `IsRefreshTokenRotationEnabled`, `IsClientCredentialsFlowEnabled`), and
    /// `ExtlClntAppOauthPlcyCnfg` the client credentials policy (`IsClientCredentialsFlowEnabled`,
    /// `ClientCredentialsFlowUser`); no public source names them. False: the fields do not
    /// exist (INVALID_FIELD), as may be true.
    pub eca_security_fields: bool,
}

/// A scenario that could not be loaded: names the file, and where known the line and field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioError {
    pub file: String,
    pub line: Option<usize>,
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl Scenario {
    /// Whether the user may use an admin-approved app without consent: for a connected app,
    /// the scenario says so (`pre_authorized`); for an ECA, the user holds a permission set
    /// linked to its policies, or their profile is linked, or they hold Use Any API Client.
    pub fn pre_authorized(&self, user: &UserConfig) -> bool {
        match self.app.kind {
            AppKind::ConnectedApp => user.pre_authorized,
            AppKind::ExternalClientApp => {
                user.use_any_api_client
                    || self
                        .app
                        .preauthorized_permission_sets
                        .iter()
                        .filter_map(|s| PermissionSetDef::lookup(s))
                        .any(|d| user.has_permission_set(d))
                    || self
                        .app
                        .preauthorized_profiles
                        .iter()
                        .any(|p| p.eq_ignore_ascii_case(PROFILE_NAME))
            }
        }
    }

    pub fn user(&self, username: &str) -> Option<(usize, &UserConfig)> {
        self.users
            .iter()
            .enumerate()
            .find(|(_, u)| u.username.eq_ignore_ascii_case(username))
    }
}

impl UserConfig {
    /// The user has the set's permissions, directly or through a group.
    pub fn has_permission_set(&self, def: &PermissionSetDef) -> bool {
        self.assigned_directly(def)
            || self
                .permission_sets_via_group
                .iter()
                .any(|s| PermissionSetDef::lookup(s) == Some(def))
    }

    /// The set is assigned directly (a PermissionSetAssignment row names it).
    pub fn assigned_directly(&self, def: &PermissionSetDef) -> bool {
        self.permission_sets
            .iter()
            .any(|s| PermissionSetDef::lookup(s) == Some(def))
    }
}

/// The profile every simulated user has.
pub const PROFILE_NAME: &str = "Minimum Access - API Only Integrations";

/// `YYYY-MM-DD` as (year, month, day).
pub fn parse_day(s: &str) -> Option<(u32, u32, u32)> {
    let mut it = s.split('-');
    let y: u32 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    (it.next().is_none() && (1..=12).contains(&m) && (1..=31).contains(&d) && y >= 1999)
        .then_some((y, m, d))
}

/// Largest scenario file read (a scenario is a few kilobytes).
pub const MAX_SCENARIO_BYTES: u64 = 1024 * 1024;
/// Largest `latency_ms` / `jitter_ms`: ten minutes.
pub const MAX_DELAY_MS: u64 = 600_000;
/// The largest answer `faults.huge_body_bytes` makes: 64 MiB.
pub const MAX_HUGE_BODY: u64 = 64 * 1024 * 1024;
/// Largest session timeout: 30 days (Salesforce offers up to 24 hours).
pub const MAX_SESSION_SECS: u64 = 30 * 86_400;
/// Largest refresh-token validity: ten years.
pub const MAX_REFRESH_HOURS: u64 = 87_600;
/// Largest device-flow polling interval: an hour.
pub const MAX_DEVICE_INTERVAL_SECS: u64 = 3_600;
/// Most records of one kind per employee.
pub const MAX_PER_EMPLOYEE: u32 = 50;
/// The oldest REST API version still served: v30.0 and older were retired in Summer '25.
pub const OLDEST_API_VERSION: u32 = 31;

/// How Salesforce answers in 2026 where a scenario asks (`[answers]`; served by `answers.rs`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AnswersConfig {
    /// Every refresh is refused as if another refresh of the same token were in flight:
    /// `invalid_grant` / `token request is already being processed` (Summer '24 on).
    pub concurrent_refresh: bool,
    /// Another holder of each refresh token (the integration, keeping the old token) presents
    /// it again right after every rotation: Salesforce then revokes the current refresh and
    /// access tokens (Salesforce Help 005316711). Needs `app.refresh_token_rotation`.
    pub rotated_token_reused: bool,
    /// The OAuth `error` the authorization error page shows instead of the consent page
    /// (empty: none), e.g. `OAUTH_EC_APP_NOT_FOUND`, `OAUTH_APP_BLOCKED`.
    pub authorize_error: String,
    pub authorize_error_description: String,
    /// The org's hosts are legacy ones: every call answers `301` to the same path on
    /// `https://{org.my_domain}.my.salesforce.com` (enhanced domains).
    pub legacy_host: bool,
}

impl AnswersConfig {
    /// What is wrong with the section, if anything: (field, why).
    pub fn problem(&self) -> Option<(&'static str, String)> {
        let ok = |s: &str| {
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ' ' | '.' | '\''))
        };
        if !ok(&self.authorize_error) || self.authorize_error.len() > 64 {
            return Some((
                "answers.authorize_error",
                "letters, digits and _ only (at most 64)".into(),
            ));
        }
        if !ok(&self.authorize_error_description) || self.authorize_error_description.len() > 200 {
            return Some((
                "answers.authorize_error_description",
                "letters, digits, spaces and . ' _ - only (at most 200)".into(),
            ));
        }
        None
    }
}
