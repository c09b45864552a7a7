//! The integration's app as the monitoring user reads it: an External Client App (its OAuth
//! policies and security settings) or a connected app, found by the name the org gives it
//! (`WatchOrg::integration_app`). The same objects and fields `check` reads (src/engine/app.rs,
//! docs/external-client-apps.md, where the guessed ones are marked); the policies become the
//! cycle's `Signals::app_policy`, compared with the previous cycle's for drift.

use std::collections::BTreeMap;

use serde_json::Value;

use super::cycle_login::Session;
use crate::engine::app::{AppInfo, AppKind, ECA_QUERIES, RefreshExpiry};
use crate::engine::http::Client;
use crate::engine::record::{ReadError, Reader};
use crate::engine::sanitize;

/// What was read of the app.
pub struct AppRead {
    pub info: AppInfo,
    /// Why nothing could be read (None: read, or no app named).
    pub unread: Option<String>,
}

fn text(v: &Value) -> Option<String> {
    v.as_str()
        .map(|s| sanitize::bounded(s, sanitize::MAX_VALUE, None))
}

fn same(name: &str, v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.trim().eq_ignore_ascii_case(name.trim()))
}

/// Reads the app named `name` (None: the app is not known, nothing is read).
pub async fn read(client: &Client, s: &Session, name: Option<&str>) -> AppRead {
    let mut info = AppInfo::default();
    let Some(name) = name else {
        return AppRead {
            info,
            unread: Some("the integration's app is not named (watch add --integration-app)".into()),
        };
    };
    let reader = Reader {
        client,
        instance_url: &s.instance_url,
        access_token: &s.access_token,
    };
    let ca_q = "SELECT Name, OptionsAllowAdminApprovedUsersOnly, OptionsRefreshTokenValidityMetric, RefreshTokenValidityPeriod, CreatedDate FROM ConnectedApplication";
    let (ca, eca) = tokio::join!(reader.query_all(ca_q), reader.query_all(ECA_QUERIES[0]));
    let header = eca.as_ref().ok().and_then(|r| {
        r.records
            .iter()
            .find(|h| same(name, &h["MasterLabel"]) || same(name, &h["DeveloperName"]))
            .cloned()
    });
    if let Some(h) = header {
        let id = h["Id"].as_str().unwrap_or_default().to_string();
        let [_, policies, flows, _, security] = ECA_QUERIES;
        let (p, f, sec) = tokio::join!(
            reader.query_all(policies),
            reader.query_all(flows),
            reader.query_all(security)
        );
        let mine = |r: Result<crate::engine::record::query::Rows, ReadError>| {
            r.ok().and_then(|rows| {
                rows.records
                    .into_iter()
                    .find(|x| x["ExternalClientApplicationId"].as_str() == Some(id.as_str()))
            })
        };
        info.kind = AppKind::ExternalClientApp;
        info.kind_source = Some("detected");
        info.name = text(&h["MasterLabel"]);
        let pol = &mut info.policies;
        if let Some(p) = mine(p) {
            pol.permitted_users = text(&p["PermittedUsersPolicyType"]);
            let n = p["RefreshTokenValidityPeriod"].as_u64();
            let unit = p["RefreshTokenValidityUnit"]
                .as_str()
                .unwrap_or("")
                .to_lowercase();
            pol.refresh_token_validity = n.map(|n| format!("{n} {unit}").trim().to_string());
            pol.refresh_token_policy = text(&p["RefreshTokenPolicyType"]);
            pol.refresh_token_expiry = match (p["RefreshTokenPolicyType"].as_str(), n) {
                (Some("SpecificInactivity"), Some(n)) => RefreshExpiry::new(true, n, &unit),
                (Some("SpecificLifetime"), Some(n)) => RefreshExpiry::new(false, n, &unit),
                _ => None,
            };
            pol.ip_relaxation = text(&p["IpRelaxationPolicyType"]);
        } else {
            info.unknown
                .push("the OAuth policies (ExtlClntAppOauthPlcyCnfg): not readable".into());
        }
        if let Some(f) = mine(f) {
            pol.client_credentials_enabled = f["IsClientCredentialsFlowEnabled"].as_bool();
        }
        if let Some(s) = mine(sec) {
            pol.pkce_required = s["IsPkceRequired"].as_bool();
            pol.refresh_token_rotation = s["IsRefreshTokenRotationEnabled"].as_bool();
            pol.secret_required_refresh = s["IsSecretRequiredForRefreshToken"].as_bool();
        }
        return AppRead { info, unread: None };
    }
    let row = ca
        .as_ref()
        .ok()
        .and_then(|r| r.records.iter().find(|a| same(name, &a["Name"])).cloned());
    if let Some(a) = row {
        info.kind = AppKind::ConnectedApp;
        info.kind_source = Some("detected");
        info.name = text(&a["Name"]);
        let idle = a["OptionsRefreshTokenValidityMetric"] == true;
        let pol = &mut info.policies;
        pol.permitted_users = Some(
            if a["OptionsAllowAdminApprovedUsersOnly"] == true {
                "AdminApprovedPreAuthorized"
            } else {
                "AllSelfAuthorized"
            }
            .into(),
        );
        let n = a["RefreshTokenValidityPeriod"].as_u64();
        pol.refresh_token_policy = Some(
            match n {
                None => "Infinite",
                Some(0) => "Zero",
                Some(_) if idle => "SpecificInactivity",
                Some(_) => "SpecificLifetime",
            }
            .into(),
        );
        pol.refresh_token_validity = n.map(|n| format!("{n} hours"));
        pol.refresh_token_expiry = n.and_then(|n| RefreshExpiry::new(idle, n, "Hours"));
        return AppRead { info, unread: None };
    }
    let why = match (&ca, &eca) {
        (Err(a), Err(b)) => format!(
            "ConnectedApplication {a}, ExternalClientApplication {b}: the monitoring user needs View Setup and Configuration"
        ),
        _ => format!(
            "no app named \"{}\" in the org",
            sanitize::bounded(name, 80, None)
        ),
    };
    AppRead {
        info,
        unread: Some(why),
    }
}

/// The policies as watch keeps them, for drift (only what was read).
pub fn policy_map(info: &AppInfo) -> BTreeMap<String, String> {
    let p = &info.policies;
    let mut m = BTreeMap::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            m.insert(k.to_string(), v);
        }
    };
    put(
        "kind",
        info.kind_source.map(|_| info.kind.label().to_string()),
    );
    put("permitted_users", p.permitted_users.clone());
    put("refresh_token_policy", p.refresh_token_policy.clone());
    put("refresh_token_validity", p.refresh_token_validity.clone());
    put("ip_relaxation", p.ip_relaxation.clone());
    put(
        "refresh_token_rotation",
        p.refresh_token_rotation.map(|b| b.to_string()),
    );
    put("pkce_required", p.pkce_required.map(|b| b.to_string()));
    put(
        "client_credentials_enabled",
        p.client_credentials_enabled.map(|b| b.to_string()),
    );
    m
}

/// What changed between two reads of the policies: `key: old → new`, one per change.
pub fn drift(old: &BTreeMap<String, String>, new: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in new {
        match old.get(k) {
            Some(o) if o != v => out.push(format!("{k}: {o} → {v}")),
            _ => {}
        }
    }
    for k in old.keys().filter(|k| !new.contains_key(*k)) {
        out.push(format!("{k}: no longer readable"));
    }
    out
}
