//! Salesforce's OAuth endpoints, with its error pairs as the reference quotes them.
//!
//! `mod.rs` authorize and token (every grant type); `device.rs` the device flow; `info.rs`
//! identity, userinfo, introspection, revocation, keys and discovery.

// The helpers' early exit is the handler's whole answer (a `Response`); boxing it buys nothing.
#![allow(clippy::result_large_err)]

pub mod device;
pub mod info;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use crate::sim::answers;
use crate::sim::crypto;
use crate::sim::scenario::{OrgKind, PermittedUsers};
use crate::sim::state::{CODE_TTL_MS, Org};

pub(super) type Params = HashMap<String, String>;

/// A token-endpoint style error: JSON, `Cache-Control: no-store`.
pub fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut body = json!({ "error": error });
    if !description.is_empty() {
        body["error_description"] = Value::from(description);
    }
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Extension(OauthPair {
            error: error.to_string(),
            description: description.to_string(),
        }),
        axum::Json(body),
    )
        .into_response()
}

/// The error pair of a token-endpoint answer, kept on the response for the LoginHistory row.
#[derive(Clone, Debug)]
pub struct OauthPair {
    pub error: String,
    pub description: String,
}

/// A login attempt at the token endpoint: the user once known, and the LoginType to record.
pub(super) struct Attempt {
    pub user: Option<usize>,
    pub login_type: &'static str,
    /// The app the LoginHistory row names (None: the integration's app).
    pub application: Option<String>,
}

pub(super) fn bad(error: &str, description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, error, description)
}

pub(super) fn token_ok(body: Value) -> Response {
    (
        StatusCode::OK,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        axum::Json(body),
    )
        .into_response()
}

pub fn parse_form(body: &[u8]) -> Params {
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// Client credentials from HTTP Basic or the form.
pub(super) fn client_auth(headers: &HeaderMap, form: &Params) -> (Option<String>, Option<String>) {
    if let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())
        && let Some((id, secret)) = basic.split_once(':')
    {
        let dec = |s: &str| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
        };
        return (dec(id), dec(secret).filter(|s| !s.is_empty()));
    }
    (
        form.get("client_id").cloned(),
        form.get("client_secret").cloned().filter(|s| !s.is_empty()),
    )
}

fn request_host(headers: &HeaderMap) -> String {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// Requested scopes checked against the app's; none requested → all of the app's.
pub(super) fn grant_scopes(org: &Org, requested: Option<&String>) -> Result<Vec<String>, ()> {
    let app = &org.scenario.app.scopes;
    match requested.map(|s| {
        s.split([' ', '+'])
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
    }) {
        None => Ok(app.clone()),
        Some(v) if v.is_empty() => Ok(app.clone()),
        Some(v) => {
            let allowed = |s: &str| {
                app.iter()
                    .any(|a| a == s || (a == "full" && s != "refresh_token"))
            };
            if v.iter().all(|s| allowed(s)) {
                Ok(v.iter().map(|s| s.to_string()).collect())
            } else {
                Err(())
            }
        }
    }
}

pub(super) fn app_active(org: &Org, client_id: Option<&str>) -> bool {
    client_id == Some(org.scenario.app.consumer_key.as_str())
}

fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    match url::Url::parse(base) {
        Ok(mut u) => {
            {
                let mut q = u.query_pairs_mut();
                for (k, v) in pairs {
                    q.append_pair(k, v);
                }
            }
            u.to_string()
        }
        Err(_) => base.to_string(),
    }
}

/// Salesforce redirects with 302 Found.
fn found(location: &str) -> Response {
    (
        StatusCode::FOUND,
        [(header::LOCATION, location.to_string())],
    )
        .into_response()
}

fn error_page(status: StatusCode, text: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html;charset=UTF-8")],
        text.to_string(),
    )
        .into_response()
}

/// Checks every authorize parameter; Ok = the redirect URI to send the user back to.
fn check_authorize(org: &Org, q: &Params) -> Result<(String, Vec<String>), Response> {
    if !app_active(org, q.get("client_id").map(String::as_str)) {
        return Err(error_page(
            StatusCode::BAD_REQUEST,
            "error=invalid_client_id&error_description=client%20identifier%20invalid",
        ));
    }
    let redirect = q.get("redirect_uri").cloned().unwrap_or_default();
    if !org.scenario.app.callback_urls.contains(&redirect) {
        return Err(error_page(
            StatusCode::BAD_REQUEST,
            "error=redirect_uri_mismatch&error_description=redirect_uri%20must%20match%20configuration",
        ));
    }
    let state = q.get("state").cloned().unwrap_or_default();
    let back = |error: &str, description: &str| {
        let mut pairs = vec![("error", error), ("error_description", description)];
        if !state.is_empty() {
            pairs.push(("state", state.as_str()));
        }
        found(&with_query(&redirect, &pairs))
    };
    if q.get("response_type").map(String::as_str) != Some("code") {
        return Err(back(
            "unsupported_response_type",
            "response type not supported",
        ));
    }
    let Ok(scopes) = grant_scopes(org, q.get("scope")) else {
        // Salesforce shows its own error page here rather than redirecting to the callback.
        return Err(error_page(
            StatusCode::BAD_REQUEST,
            "error=invalid_scope&error_description=the%20requested%20scope%20is%20not%20allowed",
        ));
    };
    let challenge = q.get("code_challenge").filter(|c| !c.is_empty());
    if org.scenario.app.require_pkce && challenge.is_none() {
        return Err(back("invalid_request", "missing required code challenge"));
    }
    if challenge.is_some() && q.get("code_challenge_method").is_some_and(|m| m != "S256") {
        return Err(back("invalid_request", "unsupported code challenge method"));
    }
    if !org.scenario.app.installed {
        // Salesforce's error page, not the callback (the uninstalled-app block, Sept 2025).
        return Err(answers::redirect_to(&answers::error_page_url(
            "invalid_client",
            "app must be installed into org",
        )));
    }
    if let Some(refusal) = answers::authorize_refusal(org) {
        return Err(refusal);
    }
    Ok((redirect, scopes))
}

/// The user approved (or denied): back to the callback with a code or `access_denied`.
fn finish_authorize(
    org: &Org,
    q: &Params,
    redirect: &str,
    scopes: Vec<String>,
    user: usize,
    approve: bool,
) -> Response {
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    let state = q.get("state").cloned().unwrap_or_default();
    let code;
    if approve && !org.user(user).denies_consent {
        org.lock().approved.insert(user);
        code = org.new_code(
            user,
            redirect,
            q.get("code_challenge").filter(|c| !c.is_empty()).cloned(),
            scopes,
        );
        if let Some(n) = q.get("nonce").filter(|n| !n.is_empty()) {
            org.set_code_nonce(&code, n);
        }
        pairs.push(("code", &code));
    } else {
        pairs.push(("error", "access_denied"));
        pairs.push(("error_description", "end-user denied authorization"));
    }
    if !state.is_empty() {
        pairs.push(("state", &state));
    }
    found(&with_query(redirect, &pairs))
}

pub async fn authorize_get(State(org): State<Arc<Org>>, Query(q): Query<Params>) -> Response {
    let (redirect, scopes) = match check_authorize(&org, &q) {
        Ok(ok) => ok,
        Err(resp) => return resp,
    };
    if let Some((user, cfg)) = q.get("login_hint").and_then(|h| org.scenario.user(h))
        && cfg.auto_approve
        && cfg.active
    {
        return finish_authorize(&org, &q, &redirect, scopes, user, true);
    }
    login_page(&org, &q, None)
}

pub async fn authorize_post(State(org): State<Arc<Org>>, body: Bytes) -> Response {
    let form = parse_form(&body);
    let (redirect, scopes) = match check_authorize(&org, &form) {
        Ok(ok) => ok,
        Err(resp) => return resp,
    };
    let username = form.get("username").map(String::as_str).unwrap_or_default();
    let password = form.get("pw").map(String::as_str).unwrap_or_default();
    match org.scenario.user(username) {
        Some((user, cfg)) if cfg.active && cfg.password == password && !org.is_frozen(user) => {
            let approve = form.get("action").map(String::as_str) != Some("deny");
            finish_authorize(&org, &form, &redirect, scopes, user, approve)
        }
        found => {
            // A failed login on the login page is a UI login ("Application") in the record.
            if let Some((user, cfg)) = found {
                let status = if cfg.password != password {
                    "Invalid password"
                } else if !cfg.active {
                    "User is inactive"
                } else {
                    "User is frozen"
                };
                org.log_login(user, status, "Application");
            }
            login_page(
                &org,
                &form,
                Some(
                    "Please check your username and password. If you still can't log in, contact your Salesforce administrator.",
                ),
            )
        }
    }
}

pub(super) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn login_page(org: &Org, q: &Params, error: Option<&str>) -> Response {
    let hidden: String = q
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "username" | "pw" | "action"))
        .map(|(k, v)| {
            format!(
                r#"<input type="hidden" name="{}" value="{}">"#,
                esc(k),
                esc(v)
            )
        })
        .collect();
    let hint = q.get("login_hint").map(|h| esc(h)).unwrap_or_default();
    let error = error
        .map(|e| format!(r#"<p class="error">{}</p>"#, esc(e)))
        .unwrap_or_default();
    let app = esc(&org.scenario.app.name);
    Html(format!(
        r#"<!DOCTYPE html><html><head><title>Login | Salesforce (simulated org)</title>
<style>body{{font-family:sans-serif;max-width:26em;margin:3em auto}}input{{display:block;width:100%;margin:.3em 0 1em}}.error{{color:#c23934}}</style></head>
<body><h1>Simulated Salesforce org</h1><p><b>{app}</b> is requesting access to your data (scopes: {scopes}).</p>{error}
<form method="post" action="/services/oauth2/authorize">{hidden}
<label>Username<input name="username" value="{hint}"></label><label>Password<input name="pw" type="password"></label>
<button name="action" value="allow">Log In and Allow</button> <button name="action" value="deny">Deny</button></form></body></html>"#,
        scopes = esc(&org.scenario.app.scopes.join(", ")),
    ))
    .into_response()
}

/// `POST /services/oauth2/token`: every grant, and the device-flow start.
pub async fn token(State(org): State<Arc<Org>>, headers: HeaderMap, body: Bytes) -> Response {
    let mut att = Attempt {
        user: None,
        login_type: "Remote Access 2.0",
        application: None,
    };
    let resp = token_inner(&org, &headers, &body, &mut att);
    if let Some(user) = att.user {
        org.note_request_by(user);
        let status = if resp.status().is_success() {
            "Success"
        } else {
            let pair = resp.extensions().get::<OauthPair>();
            org.login_status(
                pair.map(|p| p.error.as_str()).unwrap_or_default(),
                pair.map(|p| p.description.as_str()).unwrap_or_default(),
            )
        };
        match &att.application {
            Some(app) => org.log_login_to(user, status, att.login_type, app),
            None => org.log_login(user, status, att.login_type),
        }
    }
    resp
}

fn token_inner(org: &Org, headers: &HeaderMap, body: &[u8], att: &mut Attempt) -> Response {
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !ctype.starts_with("application/x-www-form-urlencoded") {
        // Salesforce reads only a form body; JSON looks like no grant type at all.
        return bad("unsupported_grant_type", "grant type not supported");
    }
    let form = parse_form(body);
    let (client_id, secret) = client_auth(headers, &form);
    if form.get("response_type").map(String::as_str) == Some("device_code") {
        return device::device_start(org, client_id.as_deref(), &form);
    }
    let Some(grant) = form.get("grant_type").cloned() else {
        return bad("invalid_request", "grant type is missing");
    };
    const GRANTS: [&str; 6] = [
        "authorization_code",
        "refresh_token",
        "password",
        "client_credentials",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "device",
    ];
    if !GRANTS.contains(&grant.as_str()) {
        return bad("unsupported_grant_type", "grant type not supported");
    }
    att.login_type = match grant.as_str() {
        "refresh_token" => "Remote Access Client",
        // A guess: no public LoginHistory row of a JWT bearer login was found.
        "urn:ietf:params:oauth:grant-type:jwt-bearer" => "OAuth JWT Bearer",
        _ => "Remote Access 2.0",
    };
    if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer" {
        return jwt_grant(org, &form, att);
    }
    if let Some(m) = org.monitor_app(client_id.as_deref()) {
        let on_my_domain = request_host(headers) == org.my_domain_host;
        return crate::sim::monitor::token(org, m, &grant, secret.as_deref(), on_my_domain, att);
    }
    if !app_active(org, client_id.as_deref()) {
        return bad("invalid_client_id", "client identifier invalid");
    }
    let app = &org.scenario.app;
    let secret_ok = secret.as_deref() == Some(app.consumer_secret.as_str());
    let secret_wrong = secret.is_some() && !secret_ok;
    match grant.as_str() {
        "authorization_code" => {
            if secret_wrong || (app.require_secret_web_server && !secret_ok) {
                return bad("invalid_client", "invalid client credentials");
            }
            code_grant(org, &form, att)
        }
        "refresh_token" => {
            if secret_wrong || (app.require_secret_refresh && !secret_ok) {
                return bad(
                    &org.scenario.shapes.refresh_secret_error,
                    &org.scenario.shapes.refresh_secret_description,
                );
            }
            refresh_grant(org, &form, att)
        }
        "password" => {
            if !secret_ok {
                return bad("invalid_client", "invalid client credentials");
            }
            password_grant(org, &form, att)
        }
        "client_credentials" => {
            if !app.client_credentials_flow {
                return bad("unsupported_grant_type", "grant type not supported");
            }
            if !secret_ok {
                return bad("invalid_client", "invalid client credentials");
            }
            if request_host(headers) != org.my_domain_host {
                return bad("invalid_grant", "request not supported on this domain");
            }
            let Some((user, _)) = Some(app.client_credentials_run_as.as_str())
                .filter(|u| !u.is_empty())
                .and_then(|u| org.scenario.user(u))
            else {
                return bad("invalid_grant", "no client credentials user enabled");
            };
            att.user = Some(user);
            if org.is_frozen(user) {
                return frozen();
            }
            let scopes: Vec<String> = non_refresh_scopes(org);
            token_ok(org.issue_tokens(user, &scopes, false, None))
        }
        _ => device::device_poll(org, &form, att),
    }
}

/// The app's scopes without refresh_token/offline_access (flows that never issue a refresh token).
fn non_refresh_scopes(org: &Org) -> Vec<String> {
    org.scenario
        .app
        .scopes
        .iter()
        .filter(|s| !is_refresh_scope(s))
        .cloned()
        .collect()
}

fn is_refresh_scope(s: &str) -> bool {
    s == "refresh_token" || s == "offline_access"
}

/// Checks a user at login: active, IP ranges, login rate, admin approval.
pub(super) fn user_login_checks(org: &Org, user: usize) -> Result<(), Response> {
    let cfg = org.user(user);
    if !cfg.active {
        return Err(bad("inactive_user", "user is inactive"));
    }
    if org.is_frozen(user) {
        return Err(frozen());
    }
    if cfg.ip_restricted {
        return Err(bad("invalid_grant", "ip restricted"));
    }
    if !org.note_login(user) {
        let s = &org.scenario.shapes;
        return Err(bad(&s.login_rate_error, &s.login_rate_description));
    }
    if org.scenario.app.permitted_users == PermittedUsers::AdminApproved
        && !org.scenario.pre_authorized(cfg)
    {
        return Err(bad(
            "invalid_app_access",
            "user is not admin approved to access this app",
        ));
    }
    Ok(())
}

/// A frozen user's token request (docs/simulator.md: the pair is a guess).
pub(super) fn frozen() -> Response {
    bad("invalid_grant", "inactive user")
}

fn code_grant(org: &Org, form: &Params, att: &mut Attempt) -> Response {
    let code = form.get("code").cloned().unwrap_or_default();
    let now = org.now_ms();
    let (user, scopes, challenge, nonce) = {
        let mut inner = org.lock();
        let Some(c) = inner.codes.get_mut(&code) else {
            return bad("invalid_grant", "invalid authorization code");
        };
        att.user = Some(c.user);
        if c.used || now.saturating_sub(c.issued) > CODE_TTL_MS {
            return bad("invalid_grant", "expired authorization code");
        }
        if form.get("redirect_uri") != Some(&c.redirect_uri) {
            return bad(
                "redirect_uri_mismatch",
                "redirect_uri must match configuration",
            );
        }
        c.used = true;
        (
            c.user,
            c.scopes.clone(),
            c.challenge.clone(),
            c.nonce.clone(),
        )
    };
    if let Some(challenge) = challenge {
        let verifier = form
            .get("code_verifier")
            .map(String::as_str)
            .unwrap_or_default();
        if verifier.is_empty()
            || verifier.contains('~')
            || crypto::pkce_challenge(verifier) != challenge
        {
            return bad("invalid_grant", "invalid code verifier");
        }
    }
    if let Err(resp) = user_login_checks(org, user) {
        return resp;
    }
    let mut body = org.issue_tokens(user, &scopes, true, None);
    org.add_id_token_with_nonce(&mut body, user, &scopes, nonce.as_deref());
    token_ok(body)
}

fn refresh_grant(org: &Org, form: &Params, att: &mut Attempt) -> Response {
    if org.scenario.answers.concurrent_refresh {
        return bad("invalid_grant", "token request is already being processed");
    }
    let token = form.get("refresh_token").cloned().unwrap_or_default();
    let now = org.now_ms();
    let expired = || bad("invalid_grant", "expired access/refresh token");
    let (user, scopes, family) = {
        let mut inner = org.lock();
        let Some(t) = inner.refresh.get(&token) else {
            return expired();
        };
        att.user = Some(t.user);
        if t.rotated_out && !t.revoked {
            // Reusing a rotated-out token revokes the whole family.
            let family = t.family;
            Org::revoke_family(&mut inner, family);
            return expired();
        }
        if !org.refresh_usable(t, now) {
            return expired();
        }
        let (user, scopes, family) = (t.user, t.scopes.clone(), t.family);
        #[allow(clippy::expect_used)] // Looked up just above, under the same lock.
        let t = inner.refresh.get_mut(&token).expect("present");
        t.last_used = now;
        if org.scenario.app.refresh_token_rotation {
            t.rotated_out = true;
        }
        inner.record.touch(family, now);
        (user, scopes, family)
    };
    if !org.user(user).active {
        return bad("inactive_user", "user is inactive");
    }
    if org.is_frozen(user) {
        return frozen();
    }
    let rotate = org.scenario.app.refresh_token_rotation;
    let mut body = org.issue_tokens(user, &scopes, rotate, Some(family));
    if rotate && org.scenario.answers.rotated_token_reused {
        // The other holder presents the rotated-out token: the whole family goes.
        Org::revoke_family(&mut org.lock(), family);
    }
    org.add_id_token(&mut body, user, &scopes);
    if !rotate {
        body.as_object_mut().map(|b| b.remove("refresh_token"));
    }
    token_ok(body)
}

fn password_grant(org: &Org, form: &Params, att: &mut Attempt) -> Response {
    let username = form.get("username").map(String::as_str).unwrap_or_default();
    let password = form.get("password").map(String::as_str).unwrap_or_default();
    let Some((user, cfg)) = org.scenario.user(username) else {
        return bad("invalid_grant", "authentication failure");
    };
    att.user = Some(user);
    if !org.scenario.org.username_password_flow {
        // Login History says "Username-Password Flow Disabled"; the API only this.
        return bad("invalid_grant", "authentication failure");
    }
    let expected = format!(
        "{}{}",
        cfg.password,
        cfg.security_token.as_deref().unwrap_or_default()
    );
    if password != expected {
        return bad("invalid_grant", "authentication failure");
    }
    if let Err(resp) = user_login_checks(org, user) {
        return resp;
    }
    let scopes: Vec<String> = non_refresh_scopes(org);
    token_ok(org.issue_tokens(user, &scopes, false, None))
}

fn jwt_grant(org: &Org, form: &Params, att: &mut Attempt) -> Response {
    let assertion = form
        .get("assertion")
        .map(String::as_str)
        .unwrap_or_default();
    let invalid = || bad("invalid_grant", "invalid assertion");
    let parts: Vec<&str> = assertion.split('.').collect();
    let [h, c, s] = parts.as_slice() else {
        return invalid();
    };
    let decode = |p: &str| URL_SAFE_NO_PAD.decode(p.trim_end_matches('=')).ok();
    let (Some(header), Some(claims), Some(sig)) = (decode(h), decode(c), decode(s)) else {
        return invalid();
    };
    let (Ok(header), Ok(claims)) = (
        serde_json::from_slice::<Value>(&header),
        serde_json::from_slice::<Value>(&claims),
    ) else {
        return invalid();
    };
    if header["alg"] != "RS256" {
        return invalid();
    }
    if let Some(m) = org.monitor_app(claims["iss"].as_str()) {
        return crate::sim::monitor::jwt(org, m, format!("{h}.{c}").as_bytes(), &sig, &claims, att);
    }
    if !app_active(org, claims["iss"].as_str()) {
        return bad("invalid_client_id", "client identifier invalid");
    }
    let Some(key) = &org.jwt_key_der else {
        return invalid();
    };
    if !crypto::verify_rs256(key, format!("{h}.{c}").as_bytes(), &sig) {
        return invalid();
    }
    if let Err(resp) = jwt_audience_and_expiry(org, &claims) {
        return resp;
    }
    let Some((user, cfg)) = claims["sub"].as_str().and_then(|u| org.scenario.user(u)) else {
        return bad("invalid_grant", "user hasn't approved this consumer");
    };
    att.user = Some(user);
    // Admin-approved app: only pre-authorization counts, and its refusal names it. Otherwise a
    // prior approval counts only if it could grant a refresh token: the app must have the
    // `refresh_token` (`offline_access`) scope (SE 184363; docs/simulator.md).
    if org.scenario.app.permitted_users == PermittedUsers::AdminApproved {
        if !org.scenario.pre_authorized(cfg) {
            return bad(
                "invalid_app_access",
                "user is not admin approved to access this app",
            );
        }
    } else {
        let offline = org
            .scenario
            .app
            .scopes
            .iter()
            .any(|s| s == "refresh_token" || s == "offline_access");
        if !(offline && org.lock().approved.contains(&user)) {
            return bad("invalid_grant", "user hasn't approved this consumer");
        }
    }
    if let Err(resp) = user_login_checks(org, user) {
        return resp;
    }
    let scopes: Vec<String> = non_refresh_scopes(org);
    let mut body = org.issue_tokens(user, &scopes, false, None);
    body.as_object_mut().map(|b| b.remove("signature"));
    token_ok(body)
}

/// A JWT bearer assertion's `aud` (the login host) and `exp` (not past), as Salesforce checks them.
pub(super) fn jwt_audience_and_expiry(org: &Org, claims: &Value) -> Result<(), Response> {
    let aud_ok = {
        let aud = claims["aud"]
            .as_str()
            .unwrap_or_default()
            .trim_end_matches('/');
        let standard = match org.scenario.org.kind {
            OrgKind::Production => "https://login.salesforce.com",
            OrgKind::Sandbox => "https://test.salesforce.com",
        };
        aud == standard || aud == org.login_url
    };
    if !aud_ok {
        return Err(bad("invalid_grant", "audience is invalid"));
    }
    // A number, or a numeric string as simple-salesforce sends it (`f'{exp.timestamp():.0f}'`).
    let exp = match &claims["exp"] {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    }
    .unwrap_or(0);
    if exp.saturating_mul(1000) <= org.now_ms() {
        return Err(bad("invalid_grant", "expired authorization code"));
    }
    Ok(())
}
