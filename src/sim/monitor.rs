//! A fleet org's monitoring app and user (`sagediag sim --orgs`): an External Client App
//! ("sagediag Monitor") with the client-credentials flow, whose execution user is a read-only
//! monitoring user, and the JWT bearer flow for that user. Its logins are the monitor's in
//! LoginHistory (its own UserId, its own app) and it issues no refresh token, so it never
//! creates or touches a grant (OauthToken row) of the integration user.

// The helpers' early exit is the handler's whole answer (a `Response`); boxing it buys nothing.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::response::Response;
use serde_json::Value;

use super::crypto;
// layering: the monitoring app's login is an OAuth grant; it is checked as the token endpoint
// checks every grant (the org state holds the monitor, so it sits below the handlers).
use super::oauth::{Attempt, bad, frozen, jwt_audience_and_expiry, token_ok};
use super::scenario::{Scenario, UserConfig};
use super::state::Org;

/// The monitoring app's name (LoginHistory.Application of its logins).
pub const MONITOR_APP: &str = "sagediag Monitor";
/// The scopes the monitoring app grants: the REST API, nothing else (no refresh token).
const SCOPES: [&str; 1] = ["api"];

/// What the fleet gives an org for its monitoring app.
#[derive(Clone)]
pub struct MonitorSpec {
    pub consumer_key: String,
    pub consumer_secret: String,
    pub username: String,
    /// The JWT certificate's public key (SubjectPublicKeyInfo DER), shared by the fleet.
    pub jwt_public_der: Arc<Vec<u8>>,
}

/// The org's monitoring app, once its user is among the org's users.
pub struct Monitor {
    pub consumer_key: String,
    pub consumer_secret: String,
    /// Index of the monitoring user.
    pub user: usize,
    pub jwt_public_der: Arc<Vec<u8>>,
}

/// Adds the read-only monitoring user to the scenario's users (after the integration user and
/// the admin were chosen: it never stands in for either). Returns its index.
pub fn add_user(scenario: &mut Scenario, spec: &MonitorSpec) -> usize {
    scenario.users.push(UserConfig {
        username: spec.username.clone(),
        // Never handed out: the monitor logs in by client credentials or JWT only.
        password: crypto::random_token(24),
        first_name: "sagediag".into(),
        last_name: "Monitor".into(),
        email: spec.username.clone(),
        api_enabled: true,
        view_setup: true,
        view_all_users: true,
        permission_sets: Vec::new(),
        pre_authorized: true,
        auto_approve: false,
        ..Default::default()
    });
    scenario.users.len() - 1
}

/// A fleet org's users who hold a grant of the integration's app at start approved it once, so
/// the JWT bearer flow works for them (a watcher's active probes as the integration user).
pub fn approve_grant_holders(org: &Org) {
    let app = &org.scenario.app.name;
    let mut inner = org.lock();
    let holders: Vec<usize> = inner
        .record
        .grants
        .iter()
        .filter(|g| g.app.eq_ignore_ascii_case(app))
        .map(|g| g.user)
        .collect();
    inner.approved.extend(holders);
}

impl Org {
    /// The monitoring app, when `client_id` is its consumer key.
    pub fn monitor_app(&self, client_id: Option<&str>) -> Option<&Monitor> {
        self.monitor
            .as_ref()
            .filter(|m| client_id.is_some_and(|c| c == m.consumer_key))
    }

    /// Issues the monitor's access token: no refresh token, so no grant; signed with the
    /// monitoring app's secret.
    fn monitor_tokens(&self, m: &Monitor) -> Value {
        let scopes: Vec<String> = SCOPES.iter().map(|s| s.to_string()).collect();
        let mut body = self.issue_tokens(m.user, &scopes, false, None);
        if let (Some(id), Some(at)) = (body["id"].as_str(), body["issued_at"].as_str()) {
            body["signature"] = Value::from(crypto::token_signature(&m.consumer_secret, id, at));
        }
        body
    }
}

/// The monitoring user's checks at login: active, not frozen, under the login rate.
fn login_checks(org: &Org, user: usize) -> Result<(), Response> {
    if !org.user(user).active {
        return Err(bad("inactive_user", "user is inactive"));
    }
    if org.is_frozen(user) {
        return Err(frozen());
    }
    if !org.note_login(user) {
        let s = &org.scenario.shapes;
        return Err(bad(&s.login_rate_error, &s.login_rate_description));
    }
    Ok(())
}

/// `POST /services/oauth2/token` with the monitoring app's consumer key (any grant but JWT).
/// Only client credentials are enabled, and only on My Domain, as on Salesforce.
pub(super) fn token(
    org: &Org,
    m: &Monitor,
    grant: &str,
    secret: Option<&str>,
    on_my_domain: bool,
    att: &mut Attempt,
) -> Response {
    att.application = Some(MONITOR_APP.to_string());
    if grant != "client_credentials" {
        // The app enables client credentials and JWT bearer only (the answer for a flow an
        // app does not enable is a guess: docs/simulator.md).
        return bad("unsupported_grant_type", "grant type not supported");
    }
    if secret != Some(m.consumer_secret.as_str()) {
        return bad("invalid_client", "invalid client credentials");
    }
    if !on_my_domain {
        return bad("invalid_grant", "request not supported on this domain");
    }
    att.user = Some(m.user);
    if let Err(resp) = login_checks(org, m.user) {
        return resp;
    }
    token_ok(org.monitor_tokens(m))
}

/// A JWT bearer assertion whose `iss` is the monitoring app's consumer key: signed with the
/// fleet's key, for the monitoring user (the only user pre-authorized for the app).
pub(super) fn jwt(
    org: &Org,
    m: &Monitor,
    signing_input: &[u8],
    sig: &[u8],
    claims: &Value,
    att: &mut Attempt,
) -> Response {
    att.application = Some(MONITOR_APP.to_string());
    if !crypto::verify_rs256(&m.jwt_public_der, signing_input, sig) {
        return bad("invalid_grant", "invalid assertion");
    }
    if let Err(resp) = jwt_audience_and_expiry(org, claims) {
        return resp;
    }
    let Some((user, _)) = claims["sub"].as_str().and_then(|u| org.scenario.user(u)) else {
        return bad("invalid_grant", "user hasn't approved this consumer");
    };
    att.user = Some(user);
    if user != m.user {
        return bad(
            "invalid_app_access",
            "user is not admin approved to access this app",
        );
    }
    if let Err(resp) = login_checks(org, user) {
        return resp;
    }
    let mut body = org.monitor_tokens(m);
    body.as_object_mut().map(|b| b.remove("signature"));
    token_ok(body)
}
