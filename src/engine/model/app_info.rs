//! The vocabulary of the OAuth app: its kind (connected app or External Client App), its
//! policies and what the run learnt of it ([`AppInfo`]). The step that reads them is
//! `engine::app`.

use serde::Serialize;

use crate::engine::findings::{Code, Finding, eca_fix, eca_title};
use crate::engine::sanitize;

/// Where an admin reads a connected app's policies, and an External Client App's.
pub(crate) const WHERE_CA: &str = "Setup > Apps > Connected Apps > Manage Connected Apps > [app] > Edit Policies (policies) and Setup > App Manager > [app] > View (OAuth settings)";
pub(crate) const WHERE_ECA: &str = "Setup > External Client Apps > External Client Apps Manager > [app] > Policies (Edit Policies) and Settings (Edit Settings)";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum AppKind {
    /// A connected app (Setup > App Manager, or Connected Apps)
    #[value(name = "connected-app", alias = "ca")]
    ConnectedApp,
    /// An External Client App (Setup > External Client Apps)
    #[value(name = "eca", alias = "external-client-app")]
    ExternalClientApp,
    /// Not declared (detected after login): not a value of `--app-kind`.
    #[default]
    #[value(skip)]
    Unknown,
}

impl AppKind {
    /// `eca`, `external-client-app`, `connected-app`, `ca` (and `_` spellings).
    pub fn parse(s: &str) -> Option<AppKind> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "eca" | "external-client-app" | "external-client-apps" => {
                Some(AppKind::ExternalClientApp)
            }
            "ca" | "connected-app" | "connected-apps" => Some(AppKind::ConnectedApp),
            _ => None,
        }
    }

    /// The name `--app-kind` takes (and [`AppKind::parse`] reads back); None for unknown.
    pub fn arg(self) -> Option<&'static str> {
        match self {
            AppKind::ConnectedApp => Some("connected-app"),
            AppKind::ExternalClientApp => Some("eca"),
            AppKind::Unknown => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AppKind::ConnectedApp => "connected app",
            AppKind::ExternalClientApp => "External Client App",
            AppKind::Unknown => "unknown",
        }
    }

    /// The label with its article: "a connected app", "an External Client App".
    pub fn with_article(self) -> String {
        match self {
            AppKind::ExternalClientApp => format!("an {}", self.label()),
            other => format!("a {}", other.label()),
        }
    }
}

/// The app's OAuth policies and settings; each `None` when this run could not read it.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct AppPolicies {
    /// "Admin approved users are pre-authorized" or "All users may self-authorize".
    pub permitted_users: Option<String>,
    /// Permission sets linked to the app's policies (ECA pre-authorization).
    pub preauthorized_permission_sets: Option<Vec<String>>,
    /// Profiles linked to the app's policies.
    pub preauthorized_profiles: Option<Vec<String>>,
    /// The API user holds one of the linked permission sets or profiles.
    pub user_preauthorized: Option<bool>,
    /// As Setup words it ("Refresh token is valid until revoked", …).
    pub refresh_token_policy: Option<String>,
    /// The validity period with its unit, for the expiring policies.
    pub refresh_token_validity: Option<String>,
    pub refresh_token_rotation: Option<bool>,
    pub pkce_required: Option<bool>,
    pub secret_required_web_server: Option<bool>,
    pub secret_required_refresh: Option<bool>,
    pub client_credentials_enabled: Option<bool>,
    pub client_credentials_run_as: Option<String>,
    /// A certificate is uploaded (JWT bearer flow possible).
    pub jwt_certificate: Option<bool>,
    /// `Enforce`, `Bypass`, `Bypass_2factor`, `Enforce_RelaxRefresh`.
    pub ip_relaxation: Option<String>,
    /// The expiring policies in numbers, for the forecast of the integration's refresh token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token_expiry: Option<RefreshExpiry>,
}

/// An expiring refresh-token policy: after `hours` of not being used (`idle`), or `hours` after
/// it was issued.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct RefreshExpiry {
    pub idle: bool,
    pub hours: u64,
}

impl RefreshExpiry {
    /// From a period and Salesforce's unit word (`Hours`, `Days`, `Months`; a connected app's
    /// period is read as hours, a guess the simulator shares: docs/integration-record.md).
    pub fn new(idle: bool, period: u64, unit: &str) -> Option<RefreshExpiry> {
        let per = match unit.to_ascii_lowercase().trim_end_matches('s') {
            "" | "hour" => 1,
            "day" => 24,
            "month" => 24 * 30,
            _ => return None,
        };
        (period > 0).then_some(RefreshExpiry {
            idle,
            hours: period.saturating_mul(per),
        })
    }
}

/// What the run knows of the integration's OAuth app.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct AppInfo {
    pub kind: AppKind,
    /// `declared` (`--app-kind`, not checked against the org), `detected` (the org's setup
    /// objects), or None while unknown.
    pub kind_source: Option<&'static str>,
    pub name: Option<String>,
    /// CreatedDate, `YYYY-MM-DD`.
    pub created: Option<String>,
    pub policies: AppPolicies,
    /// What stays unknown, and where an admin looks for it in Setup.
    pub unknown: Vec<String>,
}

impl AppInfo {
    pub fn declared(kind: Option<AppKind>) -> AppInfo {
        AppInfo {
            kind: kind.unwrap_or_default(),
            kind_source: kind.filter(|k| *k != AppKind::Unknown).map(|_| "declared"),
            ..AppInfo::default()
        }
    }

    /// For the report: sanitised, and when the run never read the org, saying so.
    pub fn finished(mut self) -> AppInfo {
        if self.unknown.is_empty() && self.name.is_none() {
            self.unknown.push(format!(
                "the app and its policies: this run did not get to read the org (see the findings); look in {WHERE_CA}, or {WHERE_ECA}{}",
                if self.kind_source.is_none() {
                    "; --app-kind eca|connected-app words the fixes for the kind you created"
                } else {
                    ""
                }
            ));
        }
        self.sanitized()
    }

    /// The same with every value the org sent passed through the sanitiser.
    pub fn sanitized(mut self) -> AppInfo {
        let line = |s: &mut String| *s = sanitize::bounded(s, sanitize::MAX_VALUE, None);
        let p = &mut self.policies;
        for s in [
            &mut self.name,
            &mut self.created,
            &mut p.permitted_users,
            &mut p.refresh_token_policy,
            &mut p.refresh_token_validity,
            &mut p.client_credentials_run_as,
            &mut p.ip_relaxation,
        ]
        .into_iter()
        .flatten()
        {
            line(s);
        }
        for list in [
            &mut p.preauthorized_permission_sets,
            &mut p.preauthorized_profiles,
        ]
        .into_iter()
        .flatten()
        {
            for s in list.iter_mut() {
                line(s);
            }
        }
        for s in self.unknown.iter_mut() {
            line(s);
        }
        self
    }
}

impl AppInfo {
    /// The app as label/value lines for the human report and the Markdown export
    /// ("unknown" where this run could not read it).
    pub fn lines(&self) -> Vec<(&'static str, String)> {
        let u = || "unknown".to_string();
        let yes = |b: Option<bool>| b.map_or_else(u, |b| if b { "yes" } else { "no" }.to_string());
        let list = |l: &Option<Vec<String>>| {
            l.as_ref().map_or_else(u, |l| {
                if l.is_empty() {
                    "none".into()
                } else {
                    l.join(", ")
                }
            })
        };
        let p = &self.policies;
        vec![
            (
                "Kind",
                match self.kind_source {
                    Some(src) => format!("{} ({src})", self.kind.label()),
                    None => self.kind.label().to_string(),
                },
            ),
            ("Name", self.name.clone().unwrap_or_else(u)),
            ("Created", self.created.clone().unwrap_or_else(u)),
            (
                "Permitted users",
                p.permitted_users.clone().unwrap_or_else(u),
            ),
            (
                "Pre-authorized sets",
                list(&p.preauthorized_permission_sets),
            ),
            ("Pre-authorized profiles", list(&p.preauthorized_profiles)),
            ("API user pre-authorized", yes(p.user_preauthorized)),
            (
                "Refresh token policy",
                p.refresh_token_policy.clone().unwrap_or_else(u),
            ),
            ("Refresh token rotation", yes(p.refresh_token_rotation)),
            ("PKCE required", yes(p.pkce_required)),
            ("Secret for web server", yes(p.secret_required_web_server)),
            ("Secret for refresh", yes(p.secret_required_refresh)),
            ("Client credentials", yes(p.client_credentials_enabled)),
            (
                "Run As user",
                p.client_credentials_run_as.clone().unwrap_or_else(u),
            ),
            ("JWT certificate", yes(p.jwt_certificate)),
            ("IP relaxation", p.ip_relaxation.clone().unwrap_or_else(u)),
        ]
    }
}

/// Spring '26 reached production orgs in February 2026: a connected app created before is a
/// legacy one (new ones need Salesforce Support since).
pub const SPRING_26: &str = "2026-02-01";

/// A finding re-coded and re-worded for the app's kind. `refresh_request` is the id of the
/// refresh test's request and `no_secret` whether the client holds no secret (a refusal of
/// that refresh is then the require-secret-for-refresh setting).
pub fn adapt(kind: AppKind, refresh_request: Option<u64>, no_secret: bool, f: Finding) -> Finding {
    // A fix written for the case (not the catalog's for any kind) is kept as written.
    let written = ![
        AppKind::ConnectedApp,
        AppKind::ExternalClientApp,
        AppKind::Unknown,
    ]
    .into_iter()
    .any(|k| f.fix == fix_for(f.code, k));
    let from_refresh = refresh_request.is_some_and(|id| f.request_ids.contains(&id));
    let code = match (kind, f.code) {
        (AppKind::ExternalClientApp, Code::USER_NOT_ADMIN_APPROVED) => {
            Code::ECA_USER_NOT_PREAUTHORIZED
        }
        (AppKind::ExternalClientApp, Code::GRANT_TYPE_NOT_ENABLED) => Code::ECA_FLOW_DISABLED,
        (AppKind::ExternalClientApp, Code::CLIENT_SECRET_INVALID) if from_refresh && no_secret => {
            Code::ECA_SECRET_REQUIRED_FOR_REFRESH
        }
        // Declared an ECA, found something else: back to the shared codes.
        (k, Code::ECA_USER_NOT_PREAUTHORIZED) if k != AppKind::ExternalClientApp => {
            Code::USER_NOT_ADMIN_APPROVED
        }
        (k, Code::ECA_FLOW_DISABLED) if k != AppKind::ExternalClientApp => {
            Code::GRANT_TYPE_NOT_ENABLED
        }
        (k, Code::ECA_SECRET_REQUIRED_FOR_REFRESH) if k != AppKind::ExternalClientApp => {
            Code::CLIENT_SECRET_INVALID
        }
        (_, c) => c,
    };
    let mut f = f;
    if code != f.code {
        let (old, new) = (f.code.info(), code.info());
        if f.title == old.title {
            f.title = new.title.to_string();
        }
        if f.severity == old.severity {
            f.severity = new.severity;
        }
        f.code = code;
    }
    // The kind's words in the title, when it is the catalog's (either kind's) title.
    let (catalog, eca) = (code.info().title, eca_title(code));
    if f.title == catalog || eca == Some(f.title.as_str()) {
        f.title = match (kind, eca) {
            (AppKind::ExternalClientApp, Some(t)) => t,
            _ => catalog,
        }
        .to_string();
    }
    if !written {
        f.fix = fix_for(code, kind);
    }
    f
}

/// A code's fix for the kind: the connected app's, the ECA's, or (kind unknown) both, each
/// step saying which kind it is for.
pub fn fix_for(code: Code, kind: AppKind) -> Vec<String> {
    let own = code.info().fix.iter().map(|s| s.to_string());
    match (kind, eca_fix(code)) {
        (_, None) | (AppKind::ConnectedApp, _) => own.collect(),
        (AppKind::ExternalClientApp, Some(eca)) => eca.iter().map(|s| s.to_string()).collect(),
        (AppKind::Unknown, Some(eca)) => own
            .map(|s| format!("Connected app: {s}"))
            .chain(eca.iter().map(|s| format!("External Client App: {s}")))
            .collect(),
    }
}
