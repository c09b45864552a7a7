//! Scenarios: TOML descriptions of a simulated org, its connected app, its users, its data and
//! its faults. Every field has a default that describes a healthy org, so a scenario file states
//! only what differs. The shipped scenarios live in `assets/scenarios/` and are embedded in the
//! binary; a user may pass a path instead of a name.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::crypto;

/// The seven Sage People API permission sets, one per endpoint. Labels are documented; the API
/// names are a guess (no public source gives them), so scenarios may refer to a set by either.
pub const PERMISSION_SETS: [PermissionSetDef; 7] = [
    PermissionSetDef::new(
        "employees",
        "Sage_People_Employees_API",
        "Sage People Employees API",
    ),
    PermissionSetDef::new(
        "payDetails",
        "Sage_People_Pay_Details_API",
        "Sage People Pay Details API",
    ),
    PermissionSetDef::new(
        "salaries",
        "Sage_People_Salaries_API",
        "Sage People Salaries API",
    ),
    PermissionSetDef::new(
        "bonuses",
        "Sage_People_Bonuses_API",
        "Sage People Bonuses API",
    ),
    PermissionSetDef::new(
        "absences",
        "Sage_People_Absences_API",
        "Sage People Absences API",
    ),
    PermissionSetDef::new(
        "absenceBalances",
        "Sage_People_Absence_Balances_API",
        "Sage People Absence Balances API",
    ),
    PermissionSetDef::new(
        "timesheets",
        "Sage_People_Timesheets_API",
        "Sage People Timesheets API",
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PermissionSetDef {
    /// The endpoint it gates, as named in the API path (`employees`, `payDetails`, …).
    pub endpoint: &'static str,
    pub name: &'static str,
    pub label: &'static str,
}

impl PermissionSetDef {
    const fn new(endpoint: &'static str, name: &'static str, label: &'static str) -> Self {
        Self {
            endpoint,
            name,
            label,
        }
    }

    pub fn for_endpoint(endpoint: &str) -> Option<&'static PermissionSetDef> {
        PERMISSION_SETS.iter().find(|p| p.endpoint == endpoint)
    }

    /// Finds a set by API name or label, ignoring case.
    pub fn lookup(name_or_label: &str) -> Option<&'static PermissionSetDef> {
        PERMISSION_SETS.iter().find(|p| {
            p.name.eq_ignore_ascii_case(name_or_label)
                || p.label.eq_ignore_ascii_case(name_or_label)
        })
    }
}

/// The shipped scenarios: (name, TOML source).
pub const SHIPPED: &[(&str, &str)] = &[
    (
        "healthy",
        include_str!("../../assets/scenarios/healthy.toml"),
    ),
    (
        "sandbox-healthy",
        include_str!("../../assets/scenarios/sandbox-healthy.toml"),
    ),
    (
        "pkce-required",
        include_str!("../../assets/scenarios/pkce-required.toml"),
    ),
    (
        "missing-permission-sets",
        include_str!("../../assets/scenarios/missing-permission-sets.toml"),
    ),
    (
        "no-permission-sets",
        include_str!("../../assets/scenarios/no-permission-sets.toml"),
    ),
    (
        "no-refresh-scope",
        include_str!("../../assets/scenarios/no-refresh-scope.toml"),
    ),
    (
        "refresh-expires-immediately",
        include_str!("../../assets/scenarios/refresh-expires-immediately.toml"),
    ),
    (
        "refresh-rotation",
        include_str!("../../assets/scenarios/refresh-rotation.toml"),
    ),
    (
        "package-not-installed",
        include_str!("../../assets/scenarios/package-not-installed.toml"),
    ),
    (
        "api-disabled-for-user",
        include_str!("../../assets/scenarios/api-disabled-for-user.toml"),
    ),
    (
        "api-disabled-for-org",
        include_str!("../../assets/scenarios/api-disabled-for-org.toml"),
    ),
    (
        "secret-required",
        include_str!("../../assets/scenarios/secret-required.toml"),
    ),
    (
        "callback-mismatch",
        include_str!("../../assets/scenarios/callback-mismatch.toml"),
    ),
    (
        "admin-approval-required",
        include_str!("../../assets/scenarios/admin-approval-required.toml"),
    ),
    (
        "app-not-installed",
        include_str!("../../assets/scenarios/app-not-installed.toml"),
    ),
    (
        "client-credentials-no-run-as-user",
        include_str!("../../assets/scenarios/client-credentials-no-run-as-user.toml"),
    ),
    (
        "username-password-disabled",
        include_str!("../../assets/scenarios/username-password-disabled.toml"),
    ),
    (
        "api-limit-exhausted",
        include_str!("../../assets/scenarios/api-limit-exhausted.toml"),
    ),
    (
        "slow-org",
        include_str!("../../assets/scenarios/slow-org.toml"),
    ),
    (
        "flaky-org",
        include_str!("../../assets/scenarios/flaky-org.toml"),
    ),
    (
        "proxy-html",
        include_str!("../../assets/scenarios/proxy-html.toml"),
    ),
    (
        "eca-healthy",
        include_str!("../../assets/scenarios/eca-healthy.toml"),
    ),
    (
        "eca-not-preauthorized",
        include_str!("../../assets/scenarios/eca-not-preauthorized.toml"),
    ),
    (
        "eca-pkce-required",
        include_str!("../../assets/scenarios/eca-pkce-required.toml"),
    ),
    (
        "eca-secret-required-for-refresh",
        include_str!("../../assets/scenarios/eca-secret-required-for-refresh.toml"),
    ),
    (
        "eca-client-credentials-disabled",
        include_str!("../../assets/scenarios/eca-client-credentials-disabled.toml"),
    ),
    (
        "eca-refresh-rotation",
        include_str!("../../assets/scenarios/eca-refresh-rotation.toml"),
    ),
    // Salesforce as it answers in 2026.
    (
        "concurrent-refresh",
        include_str!("../../assets/scenarios/concurrent-refresh.toml"),
    ),
    (
        "refresh-token-reuse",
        include_str!("../../assets/scenarios/refresh-token-reuse.toml"),
    ),
    (
        "eca-not-found",
        include_str!("../../assets/scenarios/eca-not-found.toml"),
    ),
    (
        "app-blocked",
        include_str!("../../assets/scenarios/app-blocked.toml"),
    ),
    (
        "legacy-host-redirect",
        include_str!("../../assets/scenarios/legacy-host-redirect.toml"),
    ),
    (
        "authorize-error-page",
        include_str!("../../assets/scenarios/authorize-error-page.toml"),
    ),
    // The org's record (issue 21).
    (
        "integration-history",
        include_str!("../../assets/scenarios/integration-history.toml"),
    ),
    (
        "grant-cap",
        include_str!("../../assets/scenarios/grant-cap.toml"),
    ),
    (
        "user-frozen",
        include_str!("../../assets/scenarios/user-frozen.toml"),
    ),
    (
        "refresh-idle-expiry",
        include_str!("../../assets/scenarios/refresh-idle-expiry.toml"),
    ),
];

/// The demo key pair's public half, the default JWT certificate of the simulated app.
pub const DEMO_JWT_PUBLIC_KEY: &str = include_str!("../../assets/keys/demo-jwt.pub.pem");

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
    pub answers: super::answers::AnswersConfig,
    /// LoginHistory rows the org holds at start (`docs/simulator.md`, "The org's record").
    pub login_history: Vec<super::seed::LoginHistorySeed>,
    /// OauthToken grants the users hold at start.
    pub oauth_tokens: Vec<super::seed::OauthTokenSeed>,
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

impl Default for Scenario {
    fn default() -> Self {
        Self {
            name: "custom".into(),
            description: String::new(),
            pitfall: String::new(),
            org: OrgConfig::default(),
            app: AppConfig::default(),
            users: vec![UserConfig::default()],
            data: DataConfig::default(),
            faults: FaultConfig::default(),
            shapes: ShapeConfig::default(),
            answers: Default::default(),
            login_history: Vec::new(),
            oauth_tokens: Vec::new(),
        }
    }
}

impl Default for OrgConfig {
    fn default() -> Self {
        Self {
            id: "00D5g000004XyZa".into(),
            my_domain: "acme-hr".into(),
            kind: OrgKind::Production,
            api_enabled: true,
            daily_api_allocation: 100_000,
            api_used: 1_250,
            package_installed: true,
            package_version: "4.8.0.2".into(),
            sage_api_version: "4.8".into(),
            session_timeout_secs: 7_200,
            username_password_flow: true,
            login_rate_per_hour: 3_600,
            api_version: "67.0".into(),
            device_interval_secs: 5,
            device_auto_approve_after_polls: 2,
        }
    }
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            kind: AppKind::ConnectedApp,
            created_date: "2026-05-04".into(),
            preauthorized_permission_sets: Vec::new(),
            preauthorized_profiles: Vec::new(),
            ip_relaxation: IpRelaxation::Enforce,
            name: "Sage People Integration".into(),
            consumer_key:
                "3MVG9SimulatedOrgSagePeopleIntegrationConsumerKey0123456789abcdefghijklmnopqrstuv"
                    .into(),
            consumer_secret: "5A1D4E7C9B2F8E3A6D0C4B7E1F9A2D5C8B3E6F0A1D4C7B9E2F5A8D1C4B7E0F3A"
                .into(),
            callback_urls: vec![
                "http://localhost:1717/OauthRedirect".into(),
                "https://api.stackone.com/connect/oauth2/sagepeople/callback".into(),
                "https://api.nango.dev/oauth/callback".into(),
            ],
            scopes: vec![
                "api".into(),
                "refresh_token".into(),
                "offline_access".into(),
                "openid".into(),
                "web".into(),
            ],
            require_pkce: false,
            require_secret_web_server: true,
            require_secret_refresh: true,
            refresh_token_policy: RefreshPolicy::UntilRevoked,
            refresh_token_validity_hours: 0,
            refresh_token_rotation: false,
            permitted_users: PermittedUsers::AllUsers,
            installed: true,
            device_flow: true,
            client_credentials_flow: true,
            client_credentials_run_as: "integration@acme-hr.example".into(),
            jwt_public_key: Some(DEMO_JWT_PUBLIC_KEY.into()),
            introspect_all_tokens: false,
            share_secret: true,
        }
    }
}

impl Default for UserConfig {
    fn default() -> Self {
        Self {
            id: String::new(),
            username: "integration@acme-hr.example".into(),
            password: "Demo-Passw0rd!".into(),
            security_token: None,
            first_name: "Integration".into(),
            last_name: "User".into(),
            email: "integration@acme-hr.example".into(),
            active: true,
            api_enabled: true,
            view_setup: true,
            permission_sets: PERMISSION_SETS
                .iter()
                .map(|p| p.label.to_string())
                .collect(),
            permission_sets_via_group: Vec::new(),
            pre_authorized: true,
            use_any_api_client: false,
            auto_approve: true,
            denies_consent: false,
            ip_restricted: false,
            password_expired: false,
            assign_permission_sets: false,
            lacks_license_for: Vec::new(),
            frozen: false,
            manage_users: false,
            view_all_users: false,
        }
    }
}

impl Default for DataConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            employees: 300,
            salaries_per_employee: 1,
            bonuses_per_employee: 1,
            absences_per_employee: 2,
            absence_balances_per_employee: 1,
            timesheets_per_employee: 2,
            page_size: 200,
            leaver_percent: 8,
            missing_email_percent: 2,
            duplicate_email_percent: 1,
            absence_balance_calculation: true,
        }
    }
}

impl Default for ShapeConfig {
    fn default() -> Self {
        Self {
            missing_permission_status: 403,
            missing_permission_category: "REQUEST_ERROR".into(),
            missing_permission_message: "The user does not have the {label} permission set".into(),
            invalid_marker_status: 400,
            api_currently_disabled_status: 403,
            api_disabled_for_user_code: "API_DISABLED_FOR_ORG".into(),
            login_rate_error: "invalid_grant".into(),
            login_rate_description: "login rate exceeded".into(),
            refresh_secret_error: "invalid_client".into(),
            refresh_secret_description: "invalid client credentials".into(),
            eca_policies_queryable: true,
            eca_security_fields: true,
        }
    }
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
    /// Names and one-line descriptions of the shipped scenarios.
    pub fn shipped() -> Vec<(String, String)> {
        SHIPPED
            .iter()
            .map(|(name, src)| {
                let description = Scenario::parse(src, name)
                    .map(|s| s.description)
                    .unwrap_or_default();
                (name.to_string(), description)
            })
            .collect()
    }

    /// A shipped scenario by name, or a scenario file by path.
    pub fn load(name_or_path: &str) -> Result<Scenario, ScenarioError> {
        if let Some((name, src)) = SHIPPED.iter().find(|(n, _)| *n == name_or_path) {
            return Scenario::parse(src, &format!("assets/scenarios/{name}.toml"));
        }
        let path = Path::new(name_or_path);
        if !path.exists() && !name_or_path.contains(['/', '.']) {
            let names: Vec<&str> = SHIPPED.iter().map(|(n, _)| *n).collect();
            return Err(ScenarioError {
                file: name_or_path.into(),
                line: None,
                field: None,
                message: format!(
                    "no shipped scenario of that name and no such file; shipped: {}",
                    names.join(", ")
                ),
            });
        }
        let src = read_scenario_file(path, MAX_SCENARIO_BYTES).map_err(|e| ScenarioError {
            file: name_or_path.into(),
            line: None,
            field: None,
            message: e.to_string(),
        })?;
        let mut scenario = Scenario::parse(&src, name_or_path)?;
        if scenario.name == "custom"
            && let Some(stem) = path.file_stem()
        {
            scenario.name = stem.to_string_lossy().into_owned();
        }
        Ok(scenario)
    }

    /// Parses and validates a scenario; `file` names it in errors.
    pub fn parse(src: &str, file: &str) -> Result<Scenario, ScenarioError> {
        let scenario: Scenario = toml::from_str(src).map_err(|e| {
            let message = e.message().trim().to_string();
            let mut line = e
                .span()
                .map(|span| crate::toml_at::line_of(src, span.start));
            let mut field = line.and_then(|l| crate::toml_at::field_on_line(src, l));
            // toml reports an unknown key at its table; point at the key itself.
            if let Some(key) = message
                .strip_prefix("unknown field `")
                .and_then(|m| m.split('`').next())
            {
                let from = line.unwrap_or(1) - 1;
                if let Some(at) = src.lines().enumerate().skip(from).find(|(_, l)| {
                    l.trim_start()
                        .strip_prefix(key)
                        .is_some_and(|r| r.trim_start().starts_with('='))
                }) {
                    line = Some(at.0 + 1);
                    field = Some(key.to_string());
                }
            }
            ScenarioError {
                file: file.into(),
                line,
                field,
                message,
            }
        })?;
        scenario
            .validate()
            .map_err(|(field, message, user)| ScenarioError {
                file: file.into(),
                line: locate_field(src, &field, user),
                field: Some(field),
                message,
            })?;
        Ok(scenario)
    }

    /// Err: (dotted field, message, index of the user it concerns).
    fn validate(&self) -> Result<(), (String, String, Option<usize>)> {
        let err = |field: &str, msg: String| Err((field.to_string(), msg, None));
        if let Some((field, why)) = self.answers.problem() {
            return err(field, why);
        }
        if !is_sf_id(&self.org.id, "00D") {
            return err(
                "org.id",
                format!(
                    "`{}` is not a 15-character org id starting 00D",
                    self.org.id
                ),
            );
        }
        if self.app.consumer_key.trim().is_empty() {
            return err("app.consumer_key", "must not be empty".into());
        }
        if self.users.is_empty() {
            return err("users", "the org needs at least one user".into());
        }
        let mut seen = BTreeSet::new();
        for (i, user) in self.users.iter().enumerate() {
            let user_err = |field: &str, msg: String| Err((field.to_string(), msg, Some(i)));
            if !seen.insert(user.username.to_ascii_lowercase()) {
                return user_err(
                    "users.username",
                    format!("user `{}` is listed twice", user.username),
                );
            }
            if !user.id.is_empty() && !is_sf_id(&user.id, "005") {
                return user_err(
                    "users.id",
                    format!("`{}` is not a 15-character user id starting 005", user.id),
                );
            }
            for set in user
                .permission_sets
                .iter()
                .chain(&user.permission_sets_via_group)
                .chain(&user.lacks_license_for)
            {
                if PermissionSetDef::lookup(set).is_none() {
                    let known: Vec<&str> = PERMISSION_SETS.iter().map(|p| p.label).collect();
                    return user_err(
                        "users.permission_sets",
                        format!(
                            "unknown permission set `{set}`; known: {}",
                            known.join(", ")
                        ),
                    );
                }
            }
        }
        let run_as = &self.app.client_credentials_run_as;
        if !run_as.is_empty() && self.user(run_as).is_none() {
            return err(
                "app.client_credentials_run_as",
                format!("`{run_as}` is not one of the scenario's users"),
            );
        }
        if parse_day(&self.app.created_date).is_none() {
            return err("app.created_date", "expected YYYY-MM-DD".into());
        }
        for set in &self.app.preauthorized_permission_sets {
            if PermissionSetDef::lookup(set).is_none() {
                return err(
                    "app.preauthorized_permission_sets",
                    format!("unknown permission set `{set}`"),
                );
            }
        }
        if let Some(pem) = &self.app.jwt_public_key
            && let Err(e) = crypto::parse_public_key_pem(pem)
        {
            return err("app.jwt_public_key", e.to_string());
        }
        if parse_package_version(&self.org.package_version).is_none() {
            return err(
                "org.package_version",
                "expected major.minor.patch.build, e.g. 4.8.0.2".into(),
            );
        }
        if self.data.page_size == 0 || self.data.page_size > 10_000 {
            return err("data.page_size", "must be between 1 and 10000".into());
        }
        if self.data.employees > 1_000_000 {
            return err("data.employees", "at most 1000000".into());
        }
        // Record ids carry nine digits of index, and a list scans the records in order: keep
        // both finite and fast.
        for (field, v) in [
            (
                "data.salaries_per_employee",
                self.data.salaries_per_employee,
            ),
            ("data.bonuses_per_employee", self.data.bonuses_per_employee),
            (
                "data.absences_per_employee",
                self.data.absences_per_employee,
            ),
            (
                "data.absence_balances_per_employee",
                self.data.absence_balances_per_employee,
            ),
            (
                "data.timesheets_per_employee",
                self.data.timesheets_per_employee,
            ),
        ] {
            if v > MAX_PER_EMPLOYEE {
                return err(field, format!("{v} is more than {MAX_PER_EMPLOYEE}"));
            }
        }
        // Durations: a huge value would overflow the org's clock arithmetic or hang a request
        // for ever (a hang is what `hang_paths` is for).
        for (field, v, max) in [
            ("faults.latency_ms", self.faults.latency_ms, MAX_DELAY_MS),
            ("faults.jitter_ms", self.faults.jitter_ms, MAX_DELAY_MS),
            (
                "org.session_timeout_secs",
                self.org.session_timeout_secs,
                MAX_SESSION_SECS,
            ),
            (
                "app.refresh_token_validity_hours",
                self.app.refresh_token_validity_hours,
                MAX_REFRESH_HOURS,
            ),
            (
                "org.device_interval_secs",
                self.org.device_interval_secs,
                MAX_DEVICE_INTERVAL_SECS,
            ),
        ] {
            if v > max {
                return err(field, format!("{v} is more than the maximum, {max}"));
            }
        }
        if !matches!(
            self.shapes.api_disabled_for_user_code.as_str(),
            "API_DISABLED_FOR_ORG" | "API_CURRENTLY_DISABLED"
        ) {
            return err(
                "shapes.api_disabled_for_user_code",
                "must be API_DISABLED_FOR_ORG or API_CURRENTLY_DISABLED".into(),
            );
        }
        if self.org.session_timeout_secs == 0 {
            return err("org.session_timeout_secs", "must be at least 1".into());
        }
        if parse_api_version(&self.org.api_version).is_none() {
            return err(
                "org.api_version",
                format!(
                    "`{}` is not a served REST API version: {OLDEST_API_VERSION}.0 to 99.0 (30.0 and older are retired)",
                    self.org.api_version
                ),
            );
        }
        for (field, v) in [
            ("data.leaver_percent", self.data.leaver_percent),
            (
                "data.missing_email_percent",
                self.data.missing_email_percent,
            ),
            (
                "data.duplicate_email_percent",
                self.data.duplicate_email_percent,
            ),
        ] {
            if v > 100 {
                return err(field, format!("{v} is not a percentage"));
            }
        }
        if let Err((field, message)) = super::seed::validate(self) {
            return Err((field, message, None));
        }
        if self.faults.huge_body_bytes > MAX_HUGE_BODY {
            return err(
                "faults.huge_body_bytes",
                format!(
                    "{} is more than the maximum, {MAX_HUGE_BODY}",
                    self.faults.huge_body_bytes
                ),
            );
        }
        if !(0.0..=1.0).contains(&self.faults.error_rate) {
            return err("faults.error_rate", "must be between 0 and 1".into());
        }
        for (field, status) in [
            ("faults.error_status", self.faults.error_status),
            ("faults.html_status", self.faults.html_status),
        ] {
            if status != 0 && !(100..=599).contains(&status) {
                return err(field, format!("{status} is not an HTTP status"));
            }
        }
        Ok(())
    }

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

/// The major of a REST API version the org may serve (`67.0` → 67), `OLDEST_API_VERSION`
/// to 99.
pub fn parse_api_version(v: &str) -> Option<u32> {
    let major: u32 = v.strip_suffix(".0")?.parse().ok()?;
    (OLDEST_API_VERSION..=99).contains(&major).then_some(major)
}

/// Why a scenario file the user named cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScenarioFileError {
    #[error("not a regular file (a FIFO, device or directory cannot be a scenario)")]
    NotRegular,
    #[error("the file is {size} bytes; a scenario file may have at most {cap}")]
    TooLarge { size: u64, cap: u64 },
    #[error("cannot read the scenario file: {0}")]
    Unreadable(String),
    #[error("the scenario file is not UTF-8 text")]
    NotUtf8,
}

/// Reads a scenario file the user named: it must be a regular file of at most `cap` bytes.
/// A FIFO, a device (`/dev/zero`) or a directory is refused at once, before it is opened
/// (opening a FIFO would wait for a writer), and the read itself stops after `cap` bytes.
pub fn read_scenario_file(path: &Path, cap: u64) -> Result<String, ScenarioFileError> {
    use std::io::Read;
    let regular = |meta: &std::fs::Metadata| -> Result<(), ScenarioFileError> {
        if !meta.is_file() {
            return Err(ScenarioFileError::NotRegular);
        }
        if meta.len() > cap {
            return Err(ScenarioFileError::TooLarge {
                size: meta.len(),
                cap,
            });
        }
        Ok(())
    };
    let unreadable = |e: std::io::Error| ScenarioFileError::Unreadable(e.to_string());
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    regular(&meta)?;
    let file = std::fs::File::open(path).map_err(unreadable)?;
    // The path may have been swapped between the two looks: check what was opened.
    regular(&file.metadata().map_err(unreadable)?)?;
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > cap {
        return Err(ScenarioFileError::TooLarge {
            size: bytes.len() as u64,
            cap,
        });
    }
    String::from_utf8(bytes).map_err(|_| ScenarioFileError::NotUtf8)
}

/// `major.minor.patch.build`.
pub fn parse_package_version(v: &str) -> Option<[u32; 4]> {
    let parts: Vec<u32> = v
        .split('.')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    <[u32; 4]>::try_from(parts).ok()
}

fn is_sf_id(id: &str, prefix: &str) -> bool {
    id.len() == 15 && id.starts_with(prefix) && id.chars().all(|c| c.is_ascii_alphanumeric())
}

/// The line assigning `field` (its last dotted part): the first such line, or for a user's
/// field the first one after that user's `[[users]]` header.
fn locate_field(src: &str, field: &str, user: Option<usize>) -> Option<usize> {
    let key = field.rsplit('.').next()?;
    let start = match user {
        None => 0,
        Some(n) => src
            .lines()
            .enumerate()
            .filter(|(_, l)| l.trim() == "[[users]]")
            .nth(n)
            .map_or(0, |(i, _)| i),
    };
    crate::toml_at::line_of_key(src, key, start)
}
