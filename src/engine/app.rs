//! Which kind of OAuth app the consumer key belongs to — a connected app or an External Client
//! App (ECA) — its name and its OAuth policies, as far as an admin's session can read them
//! (docs/external-client-apps.md has the objects and their sources). What the session cannot
//! see stays `None` ("unknown"), with where to look in Setup; nothing is guessed.
//!
//! Before login the kind is what the user declared (`--app-kind`) or unknown; findings raised
//! then name the Setup path of both kinds. Once the org checks find the app, every finding is
//! re-worded for its kind ([`adapt`]).

use serde_json::Value;

use super::context::Run;
use super::findings::{Code, Finding, Severity};
use super::http::{Failure, Response};
use super::model::Tokens;
use super::org::{note_usage_of, query_request};

pub use super::model::app_info::{
    AppInfo, AppKind, AppPolicies, RefreshExpiry, SPRING_26, adapt, fix_for,
};
use super::model::app_info::{WHERE_CA, WHERE_ECA};

/// Re-words every finding of the run for the kind now known.
pub fn adapt_all(run: &mut Run) {
    let kind = run.app.kind;
    let no_secret = run.cfg.client_secret.is_none();
    let findings = std::mem::take(&mut run.findings);
    run.findings = findings
        .into_iter()
        .map(|f| adapt(kind, run.refresh_request, no_secret, f))
        .collect();
}

/// Why a query gave no rows (a note for "unknown", never a finding).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unread {
    #[error("the query failed ({0})")]
    Failed(String),
    #[error("the answer has no records")]
    NoRecords,
    #[error(
        "the object is not readable by this user (INVALID_TYPE: no View Setup and Configuration, or not exposed to SOQL in this org)"
    )]
    NotReadable,
    #[error("a field is not exposed to SOQL in this org (INVALID_FIELD)")]
    FieldNotExposed,
    #[error("the query was refused ({0})")]
    Refused(String),
}

/// A query's rows, or why there are none — read quietly: the objects asked for here are partly
/// guesses (docs/external-client-apps.md), so a refusal is a note, never a finding.
fn rows(r: &(u64, Result<Response, Failure>)) -> Result<Vec<Value>, Unread> {
    match &r.1 {
        Err(f) => Err(Unread::Failed(f.to_string())),
        Ok(resp) if resp.status == 200 => resp
            .json()
            .and_then(|v| v["records"].as_array().cloned())
            .ok_or(Unread::NoRecords),
        Ok(resp) => {
            let code = resp
                .json()
                .and_then(|v| super::classify::api_error_code(&v))
                .unwrap_or_else(|| format!("HTTP {}", resp.status));
            Err(match code.as_str() {
                "INVALID_TYPE" => Unread::NotReadable,
                "INVALID_FIELD" => Unread::FieldNotExposed,
                other => Unread::Refused(other.to_string()),
            })
        }
    }
}

/// A Salesforce id as it may go into SOQL (15 or 18 letters and digits), else None.
fn soql_id(v: &Value) -> Option<String> {
    let s = v.as_str()?;
    (matches!(s.len(), 15 | 18) && s.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| s.to_string())
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

fn day(v: &Value) -> Option<String> {
    v.as_str().map(|s| s.chars().take(10).collect())
}

/// The External Client App queries, sent with the other org queries the moment the token is
/// known (`org::send`): the header, the OAuth policies, the client-credentials policy, the OAuth
/// settings and their security options. Fields seen in public tools' queries, and apart from
/// them the guessed ones, so that an org refusing a guessed field (INVALID_FIELD) loses only
/// those.
pub const ECA_QUERIES: [&str; 5] = [
    "SELECT Id, MasterLabel, DeveloperName, DistributionState, CreatedDate FROM ExternalClientApplication",
    "SELECT ExternalClientApplicationId, PermittedUsersPolicyType, RefreshTokenPolicyType, RefreshTokenValidityPeriod, RefreshTokenValidityUnit, IpRelaxationPolicyType FROM ExtlClntAppOauthPlcyCnfg",
    "SELECT ExternalClientApplicationId, IsClientCredentialsFlowEnabled, ClientCredentialsFlowUser FROM ExtlClntAppOauthPlcyCnfg",
    "SELECT ExternalClientApplicationId, OauthScopesAPI, OauthScopesREFRESH_TOKEN, ClientAssertionCertificate FROM ExtlClntAppOauthSettings",
    "SELECT ExternalClientApplicationId, IsPkceRequired, IsConsumerSecretOptional, IsSecretRequiredForRefreshToken, IsRefreshTokenRotationEnabled, IsClientCredentialsFlowEnabled FROM ExtlClntAppOauthSettings",
];

/// Step 5, the app: finds the kind, the name and the policies, raises what they show, and
/// re-words the run's findings for the kind. `connected` is the ConnectedApplication query's
/// answer (sent with the other org checks). Returns a one-line note.
pub async fn app_checks(
    run: &mut Run,
    tokens: &Tokens,
    connected: (u64, Result<Response, Failure>),
    eca: [(u64, Result<Response, Failure>); 5],
) -> String {
    let [header, policies, flows, settings, security] = eca;
    for (_, r) in [&connected, &header, &policies, &flows, &settings, &security] {
        if let Ok(r) = r {
            note_usage_of(run, r);
        }
    }
    let declared = run.app.kind_source.map(|_| run.app.kind);
    let ca = rows(&connected);
    let eca = rows(&header);
    let (cn, en) = (
        ca.as_ref().map_or(0, Vec::len),
        eca.as_ref().map_or(0, Vec::len),
    );
    let kind = match (&ca, &eca) {
        (Ok(_), Ok(_)) if cn + en == 1 => Some(if cn == 1 {
            AppKind::ConnectedApp
        } else {
            AppKind::ExternalClientApp
        }),
        // Only one kind readable, one app of it, none of the other readable: not enough.
        _ => match declared {
            Some(AppKind::ConnectedApp) if cn == 1 => Some(AppKind::ConnectedApp),
            Some(AppKind::ExternalClientApp) if en == 1 => Some(AppKind::ExternalClientApp),
            _ => None,
        },
    };
    let mut note = String::new();
    match kind {
        None => {
            let why = match (&ca, &eca) {
                (Err(a), Err(b)) => {
                    format!("ConnectedApplication: {a}; ExternalClientApplication: {b}")
                }
                (Err(a), Ok(_)) => format!("ConnectedApplication: {a}; {en} External Client Apps"),
                (Ok(_), Err(b)) => format!("{cn} connected apps; ExternalClientApplication: {b}"),
                (Ok(_), Ok(_)) => format!(
                    "{cn} connected apps and {en} External Client Apps in the org; the consumer key does not say which is this one (no object an admin can query shows it)"
                ),
            };
            run.org
                .skipped
                .push(format!("the app's kind and policies: {why}"));
            run.app.unknown.push(format!(
                "which app holds the consumer key: look in {WHERE_CA}, or {WHERE_ECA}; run again with --app-kind eca|connected-app to word the fixes for it"
            ));
            note = format!("app kind {}", run.app.kind.label());
        }
        Some(AppKind::ConnectedApp) => {
            if let Ok(rows) = &ca
                && let Some(row) = rows.first()
            {
                connected_app(run, row, connected.0);
                note = "connected app".into();
            }
        }
        Some(AppKind::ExternalClientApp) => {
            if let Ok(rows) = &eca
                && let Some(row) = rows.first().cloned()
            {
                external_client_app(run, tokens, &row, [&policies, &flows, &settings, &security])
                    .await;
                note = "External Client App".into();
            }
        }
        Some(AppKind::Unknown) => {}
    }
    if let Some(k) = kind {
        if declared.is_some_and(|d| d != k) {
            let said = declared.map(AppKind::label).unwrap_or_default();
            run.org.skipped.push(format!(
                "--app-kind said {said}, the org shows a {}: the findings follow the org",
                k.label()
            ));
            run.raise(
                Finding::new(
                    Code::APP_KIND_MISMATCH,
                    format!(
                        "--app-kind said {said}; the org's setup objects show {} holding this consumer key. The findings are worded for the {}.",
                        k.with_article(),
                        k.label()
                    ),
                    vec![],
                )
                .titled(format!(
                    "--app-kind said {said}, but the app is {}",
                    k.with_article()
                )),
            );
        }
        run.app.kind = k;
        run.app.kind_source = Some("detected");
    }
    evidence_from_findings(run);
    adapt_all(run);
    note
}

/// What the run's own requests showed, where the setup objects did not say.
fn evidence_from_findings(run: &mut Run) {
    let p = &mut run.app.policies;
    let has = |c: Code| run.findings.iter().any(|f| f.code == c);
    if p.pkce_required.is_none() && has(Code::PKCE_REQUIRED) {
        p.pkce_required = Some(true);
    }
    if p.refresh_token_rotation.is_none()
        && let Some(r) = run.refresh_rotated
    {
        p.refresh_token_rotation = Some(r);
    }
}

fn connected_app(run: &mut Run, app: &Value, id: u64) {
    let name = text(&app["Name"]);
    let permitted = if app["OptionsAllowAdminApprovedUsersOnly"] == true {
        "Admin approved users are pre-authorized"
    } else {
        "All users may self-authorize"
    };
    let (policy, validity) = match app["RefreshTokenValidityPeriod"].as_u64() {
        None => ("Refresh token is valid until revoked".to_string(), None),
        Some(0) => ("Immediately expire refresh token".to_string(), None),
        Some(n) if app["OptionsRefreshTokenValidityMetric"] == true => (
            format!("Expire refresh token if not used for {n} hours"),
            Some(n.to_string()),
        ),
        Some(n) => (
            format!("Expire refresh token after {n} hours"),
            Some(n.to_string()),
        ),
    };
    let expiry = app["RefreshTokenValidityPeriod"].as_u64().and_then(|n| {
        RefreshExpiry::new(app["OptionsRefreshTokenValidityMetric"] == true, n, "Hours")
    });
    if policy != "Refresh token is valid until revoked" {
        run.raise(Finding::new(
            Code::REFRESH_POLICY_EXPIRES,
            format!(
                "Refresh Token Policy of {}: {policy}.",
                name.as_deref().unwrap_or("the app")
            ),
            vec![id],
        ));
    }
    let created = day(&app["CreatedDate"]);
    if let Some(c) = &created
        && c.as_str() < SPRING_26
    {
        run.raise(Finding::new(
            Code::CONNECTED_APP_LEGACY,
            format!(
                "{} was created on {c}, before Spring '26.",
                name.as_deref().unwrap_or("The connected app")
            ),
            vec![id],
        ));
    }
    run.org.permitted_users = Some(permitted.into());
    run.org.refresh_token_policy = Some(policy.clone());
    let a = &mut run.app;
    a.name = name;
    a.created = created;
    a.policies.permitted_users = Some(permitted.into());
    a.policies.refresh_token_policy = Some(policy);
    a.policies.refresh_token_validity = validity;
    a.policies.refresh_token_expiry = expiry;
    a.unknown.push(format!(
        "PKCE, Require Secret for Web Server / Refresh Token Flow, Refresh Token Rotation, IP Relaxation, the enabled flows and the pre-authorized profiles and permission sets: ConnectedApplication does not show them; see {WHERE_CA}"
    ));
}

type Answer = (u64, Result<Response, Failure>);

async fn external_client_app(
    run: &mut Run,
    tokens: &Tokens,
    header: &Value,
    [policies, flows, settings, security]: [&Answer; 4],
) {
    let id = soql_id(&header["Id"]);
    let name = text(&header["MasterLabel"]).or_else(|| text(&header["DeveloperName"]));
    let mine = |r: &Value| id.is_none() || soql_id(&r["ExternalClientApplicationId"]) == id;
    let a = &mut run.app;
    a.name = name.clone();
    a.created = day(&header["CreatedDate"]);
    let mut admin_approved = None;
    match rows(policies).map(|r| r.into_iter().find(|r| mine(r))) {
        Ok(Some(p)) => {
            let pol = &mut a.policies;
            admin_approved = Some(p["PermittedUsersPolicyType"] == "AdminApprovedPreAuthorized");
            pol.permitted_users = match p["PermittedUsersPolicyType"].as_str() {
                Some("AdminApprovedPreAuthorized") => {
                    Some("Admin approved users are pre-authorized".into())
                }
                Some("AllSelfAuthorized") => Some("All users may self-authorize".into()),
                other => other.map(str::to_string),
            };
            let n = p["RefreshTokenValidityPeriod"].as_u64();
            let unit = p["RefreshTokenValidityUnit"]
                .as_str()
                .unwrap_or("")
                .to_lowercase();
            let validity = n.map(|n| format!("{n} {unit}").trim().to_string());
            pol.refresh_token_policy = match p["RefreshTokenPolicyType"].as_str() {
                Some("Infinite") => Some("Refresh token is valid until revoked".into()),
                Some("Zero") => Some("Immediately expire refresh token".into()),
                Some("SpecificInactivity") => Some(format!(
                    "Expire refresh token if not used for {}",
                    validity.clone().unwrap_or_default()
                )),
                Some("SpecificLifetime") => Some(format!(
                    "Expire refresh token after {}",
                    validity.clone().unwrap_or_default()
                )),
                other => other.map(str::to_string),
            };
            pol.refresh_token_expiry = match (p["RefreshTokenPolicyType"].as_str(), n) {
                (Some("SpecificInactivity"), Some(n)) => RefreshExpiry::new(true, n, &unit),
                (Some("SpecificLifetime"), Some(n)) => RefreshExpiry::new(false, n, &unit),
                _ => None,
            };
            pol.refresh_token_validity = validity;
            pol.ip_relaxation = text(&p["IpRelaxationPolicyType"]);
        }
        Ok(None) => a.unknown.push(format!(
            "the OAuth policies: no ExtlClntAppOauthPlcyCnfg row for this app; see {WHERE_ECA}"
        )),
        Err(why) => a.unknown.push(format!(
            "the OAuth policies (ExtlClntAppOauthPlcyCnfg: {why}): permitted users, refresh token policy, IP relaxation, client credentials; see {WHERE_ECA}"
        )),
    }
    match rows(flows).map(|r| r.into_iter().find(|r| mine(r))) {
        Ok(Some(p)) => {
            a.policies.client_credentials_enabled = p["IsClientCredentialsFlowEnabled"].as_bool();
            a.policies.client_credentials_run_as = text(&p["ClientCredentialsFlowUser"]);
        }
        Ok(None) => {}
        Err(why) => a.unknown.push(format!(
            "the client credentials policy and its Run As user ({why}): see {WHERE_ECA} > OAuth Policies > OAuth Flows and External Client App Enhancements"
        )),
    }
    match rows(settings).map(|r| r.into_iter().find(|r| mine(r))) {
        Ok(Some(s)) => {
            a.policies.jwt_certificate = Some(!s["ClientAssertionCertificate"].is_null());
        }
        Ok(None) => a.unknown.push(format!(
            "the OAuth settings: no ExtlClntAppOauthSettings row for this app; see {WHERE_ECA}"
        )),
        Err(why) => a.unknown.push(format!(
            "the OAuth settings (ExtlClntAppOauthSettings: {why}): certificate and scopes; see External Client Apps Manager > [app] > Settings > OAuth Settings"
        )),
    }
    match rows(security).map(|r| r.into_iter().find(|r| mine(r))) {
        Ok(Some(s)) => {
            let pol = &mut a.policies;
            pol.pkce_required = s["IsPkceRequired"].as_bool();
            pol.secret_required_web_server =
                s["IsConsumerSecretOptional"].as_bool().map(|opt| !opt);
            pol.secret_required_refresh = s["IsSecretRequiredForRefreshToken"].as_bool();
            pol.refresh_token_rotation = s["IsRefreshTokenRotationEnabled"].as_bool();
            if pol.client_credentials_enabled.is_none() {
                pol.client_credentials_enabled = s["IsClientCredentialsFlowEnabled"].as_bool();
            }
        }
        Ok(None) => {}
        Err(why) => a.unknown.push(format!(
            "Require PKCE, Require secret for Web Server / Refresh Token Flow, refresh token rotation ({why}): see External Client Apps Manager > [app] > Settings > OAuth Settings > Security"
        )),
    }
    let policy = a.policies.refresh_token_policy.clone();
    if let Some(policy) = policy
        && policy != "Refresh token is valid until revoked"
    {
        run.raise(Finding::new(
            Code::REFRESH_POLICY_EXPIRES,
            format!(
                "Refresh Token Policy of {}: {policy}.",
                name.as_deref().unwrap_or("the External Client App")
            ),
            vec![policies.0],
        ));
    }
    // Who is pre-authorized, and whether the API user is.
    let (Some(id), Some(uid)) = (
        id,
        run.org
            .user_id
            .clone()
            .filter(|u| u.chars().all(|c| c.is_ascii_alphanumeric()) && matches!(u.len(), 15 | 18)),
    ) else {
        run.app.unknown.push(format!(
            "who is pre-authorized: the app or the user id is unknown; see {WHERE_ECA} > OAuth Policies"
        ));
        return;
    };
    let client = run.client.clone();
    let (linked, held) = tokio::join!(
        client.send(query_request(tokens, false, &format!("SELECT ParentId, Parent.Label, Parent.Name, Parent.IsOwnedByProfile, Parent.Profile.Name FROM SetupEntityAccess WHERE SetupEntityId = '{id}'"))),
        client.send(query_request(tokens, false, &format!("SELECT PermissionSetId FROM PermissionSetAssignment WHERE AssigneeId = '{uid}'"))),
    );
    let (linked_id, linked, held) = (linked.0, rows(&linked), rows(&held));
    let linked = match linked {
        Ok(rows) => rows,
        Err(why) => {
            run.app.unknown.push(format!(
                "the permission sets and profiles linked to the app (SetupEntityAccess: {why}); see {WHERE_ECA} > OAuth Policies"
            ));
            return;
        }
    };
    let mut sets = Vec::new();
    let mut profiles = Vec::new();
    for r in &linked {
        let p = &r["Parent"];
        if p["IsOwnedByProfile"] == true {
            if let Some(n) = text(&p["Profile"]["Name"]).or_else(|| text(&p["Label"])) {
                profiles.push(n);
            }
        } else if let Some(n) = text(&p["Label"]).or_else(|| text(&p["Name"])) {
            sets.push(n);
        }
    }
    profiles.sort();
    profiles.dedup();
    let user_pre = held.ok().map(|held| {
        linked.iter().any(|l| {
            held.iter()
                .any(|h| h["PermissionSetId"] == l["ParentId"] && !h["PermissionSetId"].is_null())
        })
    });
    let pol = &mut run.app.policies;
    pol.preauthorized_permission_sets = Some(sets.clone());
    pol.preauthorized_profiles = Some(profiles.clone());
    pol.user_preauthorized = user_pre;
    if admin_approved == Some(true) && user_pre == Some(false) {
        let linked_now = if sets.is_empty() && profiles.is_empty() {
            "Nothing is linked to its policies".to_string()
        } else {
            format!(
                "Linked now: {}",
                sets.iter()
                    .map(|s| format!("permission set {s}"))
                    .chain(profiles.iter().map(|p| format!("profile {p}")))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        run.raise(
            Finding::new(
                Code::ECA_USER_NOT_PREAUTHORIZED,
                format!(
                    "{} is admin-approved and the API user holds none of the permission sets or profiles linked to it. {linked_now}. The login still worked, so the user has another way in (Use Any API Client?), which the integration should not rely on.",
                    name.as_deref().unwrap_or("The External Client App")
                ),
                vec![linked_id],
            )
            .severity(Severity::Warning),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_and_fixes_follow_the_kind() {
        assert_eq!(AppKind::parse("ECA"), Some(AppKind::ExternalClientApp));
        assert_eq!(AppKind::parse("connected_app"), Some(AppKind::ConnectedApp));
        assert_eq!(AppKind::parse("x"), None);
        let f = Finding::new(Code::PKCE_REQUIRED, "seen", vec![1]);
        let both = adapt(AppKind::Unknown, None, false, f.clone());
        assert!(
            both.fix
                .iter()
                .any(|s| s.starts_with("Connected app: Setup > App Manager"))
        );
        assert!(
            both.fix
                .iter()
                .any(|s| s.starts_with("External Client App: Setup > External Client Apps"))
        );
        let eca = adapt(AppKind::ExternalClientApp, None, false, both);
        assert!(
            eca.fix.iter().all(|s| !s.contains("App Manager >")),
            "{:?}",
            eca.fix
        );
        let ca = adapt(AppKind::ConnectedApp, None, false, eca);
        assert_eq!(ca.fix, f.fix);
        let g = Finding::new(Code::USER_NOT_ADMIN_APPROVED, "x", vec![2]);
        let e = adapt(AppKind::ExternalClientApp, None, false, g);
        assert_eq!(e.code, Code::ECA_USER_NOT_PREAUTHORIZED);
        assert!(e.fix.iter().any(|s| s.contains("Use Any API Client")));
        let back = adapt(AppKind::ConnectedApp, None, false, e);
        assert_eq!(back.code, Code::USER_NOT_ADMIN_APPROVED);
        let r = Finding::new(Code::CLIENT_SECRET_INVALID, "x", vec![7]);
        assert_eq!(
            adapt(AppKind::ExternalClientApp, Some(7), true, r.clone()).code,
            Code::ECA_SECRET_REQUIRED_FOR_REFRESH
        );
        assert_eq!(
            adapt(AppKind::ExternalClientApp, Some(8), true, r).code,
            Code::CLIENT_SECRET_INVALID
        );
    }
}
