//! The vocabulary of the integration's own record: its user, its LoginHistory grouped, its
//! OAuth grants and their expiry forecast. Reading them is `engine::record`.

use serde::Serialize;

use crate::engine::findings::Code;

/// The default window of LoginHistory read (`--history-days`).
pub const DEFAULT_HISTORY_DAYS: u32 = 7;
/// The longest window (LoginHistory keeps six months).
pub const MAX_HISTORY_DAYS: u32 = 180;

/// What the org's record says of the integration (`"integration"` in `--json`).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct IntegrationRecord {
    /// Whose session read it: `api-user` or `admin` (None: nothing could be read).
    pub read_as: Option<&'static str>,
    pub history_days: u32,
    pub user: UserRecord,
    /// None: unknown (see `unknown`).
    pub login_history: Option<LoginHistory>,
    pub grants: Option<Grants>,
    /// What stays unknown, each with the permission that would reveal it.
    pub unknown: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct UserRecord {
    pub id: Option<String>,
    pub username: Option<String>,
    pub active: Option<bool>,
    /// UserLogin.IsFrozen.
    pub frozen: Option<bool>,
    pub password_locked: Option<bool>,
    pub user_type: Option<String>,
    pub licence: Option<String>,
    pub profile: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct LoginHistory {
    /// Attempts in the window.
    pub attempts: u64,
    pub failures: u64,
    /// By Status and Application, the most frequent first.
    pub groups: Vec<LoginGroup>,
    pub last_success: Option<LoginAttempt>,
    /// More rows than sagediag reads (the oldest were left out).
    pub truncated: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LoginGroup {
    pub status: String,
    pub application: String,
    pub success: bool,
    pub count: u64,
    /// ISO 8601.
    pub first: Option<String>,
    pub last: Option<String>,
    pub login_types: Vec<String>,
    pub source_ips: usize,
    /// Of `count`, the attempts of this run's own login (sagediag's, not the integration's).
    pub this_run: u64,
    /// The finding a failure maps to (None: a success, or an unmapped Status).
    pub finding: Option<Code>,
    #[serde(skip)]
    pub(crate) first_ms: Option<u64>,
    #[serde(skip)]
    pub(crate) last_ms: Option<u64>,
    /// The last attempt before this run.
    #[serde(skip)]
    pub(crate) last_before_run_ms: Option<u64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LoginAttempt {
    pub time: Option<String>,
    pub application: String,
    pub login_type: String,
    pub source_ip: String,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Grants {
    /// The app whose grants are counted (None: the app's name is unknown, every app's listed).
    pub app: Option<String>,
    /// Grants of the user for the app, of [`GRANT_CAP`].
    pub count: usize,
    pub cap: usize,
    /// The app's refresh-token policy, as Setup words it.
    pub policy: Option<String>,
    pub grants: Vec<OauthGrant>,
}

/// Salesforce keeps at most this many grants per user per app (help 000205876).
pub const GRANT_CAP: usize = 5;

/// One OauthToken row. Its `DeleteToken` (a secret that revokes the grant) stays inside the
/// engine: never serialised, printed or logged (the HTTP log redacts it by name, and the
/// client scrubs its value).
#[derive(Clone, Serialize, PartialEq)]
pub struct OauthGrant {
    /// OauthToken.Id: "reserved for future use; currently always null" (object reference).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub app_name: String,
    /// CreatedDate and LastUsedDate, as ISO 8601 (`…Z`) when they parse.
    pub created: Option<String>,
    pub last_used: Option<String>,
    pub use_count: Option<u64>,
    #[serde(skip)]
    pub created_ms: Option<u64>,
    #[serde(skip)]
    pub last_used_ms: Option<u64>,
    /// Created during this run (sagediag's own login), as far as the clock says.
    pub this_run: bool,
    /// The forecast of its expiry under the app's policy (None: valid until revoked, or unknown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry: Option<Forecast>,
    #[serde(skip)]
    pub(crate) delete_token: Option<String>,
}

impl std::fmt::Debug for OauthGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OauthGrant")
            .field("id", &self.id)
            .field("app_name", &self.app_name)
            .field("created", &self.created)
            .field("last_used", &self.last_used)
            .field("use_count", &self.use_count)
            .field(
                "delete_token",
                &self.delete_token.as_ref().map(|_| "[REDACTED]"),
            )
            .finish()
    }
}

impl OauthGrant {
    /// The DeleteToken, for `/services/oauth2/revoke?token=` only.
    pub fn delete_token(&self) -> Option<&str> {
        self.delete_token.as_deref()
    }

    /// Whether the grant is the app's (`AppName` equal, ignoring case and spaces around).
    pub fn is_for(&self, app: &str) -> bool {
        self.app_name.trim().eq_ignore_ascii_case(app.trim())
    }
}

/// When a grant's refresh token expires under the policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forecast {
    /// ISO 8601.
    pub expires: String,
    /// Hours from now (negative: expired).
    pub hours_left: i64,
    /// "expires in 3 days", "expired 2 days ago".
    pub text: String,
}
