//! Salesforce's OAuth endpoints around a token: the identity URL, userinfo, introspection,
//! revocation (which deletes the grant: OauthToken), the JWKS and OpenID discovery.

#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{Params, app_active, bad, client_auth, oauth_error, parse_form};
use crate::sim::state::Org;
use crate::sim::wire::bearer;

fn identity(org: &Org, user: usize, version: Option<&str>) -> Value {
    let u = org.user(user);
    let v = version
        .map(|v| v.trim_start_matches('v').to_string())
        .unwrap_or_else(|| "{version}".into());
    let base = &org.instance_url;
    let org_id = org.org_id18();
    let user_id = org.user_id18(user);
    json!({
        "id": org.identity_url(user), "asserted_user": true, "user_id": user_id, "organization_id": org_id,
        "username": u.username, "nick_name": u.username.split('@').next().unwrap_or_default(),
        "display_name": format!("{} {}", u.first_name, u.last_name), "email": u.email, "email_verified": true,
        "first_name": u.first_name, "last_name": u.last_name, "timezone": "Europe/London",
        "urls": {
            "enterprise": format!("{base}/services/Soap/c/{v}/{org_id}"),
            "metadata": format!("{base}/services/Soap/m/{v}/{org_id}"),
            "partner": format!("{base}/services/Soap/u/{v}/{org_id}"),
            "rest": format!("{base}/services/data/v{v}/"),
            "sobjects": format!("{base}/services/data/v{v}/sobjects/"),
            "search": format!("{base}/services/data/v{v}/search/"),
            "query": format!("{base}/services/data/v{v}/query/"),
            "recent": format!("{base}/services/data/v{v}/recent/"),
            "tooling_rest": format!("{base}/services/data/v{v}/tooling/"),
            "profile": format!("{base}/{user_id}"),
            "users": format!("{base}/services/data/v{v}/chatter/users"),
            "custom_domain": base,
        },
        "active": u.active, "user_type": "STANDARD", "language": "en_US", "locale": "en_GB",
        "utcOffset": 0, "last_modified_date": "2026-10-01T09:00:00Z", "is_app_installed": org.scenario.app.installed,
    })
}

/// `GET /id/{org}/{user}`.
pub async fn id_url(
    State(org): State<Arc<Org>>,
    Path((org_id, user_id)): Path<(String, String)>,
    Query(q): Query<Params>,
    headers: HeaderMap,
) -> Response {
    let Some((user, _)) = bearer(&headers).and_then(|t| org.check_access(t)) else {
        return crate::sim::answers::bad_oauth_token();
    };
    org.note_request_by(user);
    let same = |a: &str, b: &str| a.get(..15).is_some_and(|a| b.get(..15) == Some(a));
    if !same(&org_id, &org.org_id18()) || !same(&user_id, &org.user_id18(user)) {
        return (StatusCode::FORBIDDEN, "Bad_Id").into_response();
    }
    axum::Json(identity(&org, user, q.get("version").map(String::as_str))).into_response()
}

/// `GET /services/oauth2/userinfo` (OpenID Connect).
pub async fn userinfo(State(org): State<Arc<Org>>, headers: HeaderMap) -> Response {
    let Some((user, _)) = bearer(&headers).and_then(|t| org.check_access(t)) else {
        return crate::sim::answers::bad_oauth_token();
    };
    org.note_request_by(user);
    let id = identity(&org, user, None);
    let u = org.user(user);
    axum::Json(json!({
        "sub": org.identity_url(user), "user_id": id["user_id"], "organization_id": id["organization_id"],
        "preferred_username": u.username, "nickname": id["nick_name"], "name": id["display_name"],
        "email": u.email, "email_verified": true, "given_name": u.first_name, "family_name": u.last_name,
        "zoneinfo": "Europe/London", "profile": id["urls"]["profile"], "active": u.active,
        "user_type": "STANDARD", "language": "en_US", "locale": "en_GB", "utcOffset": 0,
        "updated_at": "2026-10-01T09:00:00Z", "is_app_installed": org.scenario.app.installed, "urls": id["urls"],
    }))
    .into_response()
}

/// `POST /services/oauth2/introspect`.
pub async fn introspect(State(org): State<Arc<Org>>, headers: HeaderMap, body: Bytes) -> Response {
    let form = parse_form(&body);
    let (client_id, secret) = client_auth(&headers, &form);
    if !app_active(&org, client_id.as_deref()) {
        return bad("invalid_client_id", "client identifier invalid");
    }
    if secret.as_deref() != Some(org.scenario.app.consumer_secret.as_str()) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "invalid client credentials",
        );
    }
    let token = form.get("token").cloned().unwrap_or_default();
    let now = org.now_ms();
    let found = {
        let inner = org.lock();
        if let Some(t) = inner
            .access
            .get(&token)
            .filter(|t| !t.revoked && now < t.expires)
        {
            Some((
                t.user,
                t.scopes.clone(),
                "access_token",
                t.issued,
                Some(t.expires),
            ))
        } else {
            inner
                .refresh
                .get(&token)
                .filter(|t| org.refresh_usable(t, now))
                .map(|t| (t.user, t.scopes.clone(), "refresh_token", t.issued, None))
        }
    };
    let Some((user, scopes, kind, iat, exp)) = found else {
        return axum::Json(json!({"active": false})).into_response();
    };
    let mut body = json!({
        "active": true, "scope": scopes.join(" "), "client_id": org.scenario.app.consumer_key,
        "username": org.user(user).username, "sub": org.identity_url(user), "token_type": kind,
        "iat": iat / 1000, "nbf": iat / 1000,
    });
    if let Some(exp) = exp {
        body["exp"] = Value::from(exp / 1000);
    }
    axum::Json(body).into_response()
}

/// `POST` (form) or `GET ?token=` `/services/oauth2/revoke`.
pub async fn revoke(State(org): State<Arc<Org>>, Query(q): Query<Params>, body: Bytes) -> Response {
    let form = parse_form(&body);
    let Some(token) = form.get("token").or_else(|| q.get("token")).cloned() else {
        // Salesforce's words (omniphx/forrest#213, a revoke without a `token` field).
        return revoke_error("unsupported_token_type", "this token type is not supported");
    };
    let mut inner = org.lock();
    if let Some(t) = inner.access.get_mut(&token) {
        t.revoked = true;
        let user = t.user;
        let n = inner.requests_by_user.entry(user).or_default();
        *n = n.saturating_add(1);
        return StatusCode::OK.into_response();
    }
    if let Some(family) = inner.refresh.get(&token).map(|t| t.family) {
        // The refresh token, its access tokens and its grant (OauthToken row).
        Org::revoke_family(&mut inner, family);
        return StatusCode::OK.into_response();
    }
    if org.revoke_by_delete_token(&mut inner, &token) {
        return StatusCode::OK.into_response();
    }
    drop(inner);
    revoke_error("invalid_token", "invalid token")
}

/// The revoke endpoint's errors are form-encoded, not JSON: `error=…&error_description=…`,
/// spaces as `%20` (as Salesforce writes them: omniphx/forrest#213).
fn revoke_error(error: &str, description: &str) -> Response {
    let enc = |v: &str| {
        url::form_urlencoded::byte_serialize(v.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    };
    let body = format!(
        "error={}&error_description={}",
        enc(error),
        enc(description)
    );
    (
        StatusCode::BAD_REQUEST,
        [
            (header::CONTENT_TYPE, "application/x-www-form-urlencoded"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// `GET /id/keys`: the JWKS that verifies the org's `id_token`s.
pub async fn jwks(State(org): State<Arc<Org>>) -> Response {
    let keys: Vec<Value> = org.id_key().map(|k| k.jwk()).into_iter().collect();
    axum::Json(json!({ "keys": keys })).into_response()
}

/// `GET /.well-known/openid-configuration`.
pub async fn discovery(State(org): State<Arc<Org>>) -> Response {
    let l = &org.login_url;
    axum::Json(json!({
        "issuer": l,
        "authorization_endpoint": format!("{l}/services/oauth2/authorize"),
        "token_endpoint": format!("{l}/services/oauth2/token"),
        "revocation_endpoint": format!("{l}/services/oauth2/revoke"),
        "userinfo_endpoint": format!("{l}/services/oauth2/userinfo"),
        "jwks_uri": format!("{l}/id/keys"),
        "registration_endpoint": format!("{l}/services/oauth2/register"),
        "introspection_endpoint": format!("{l}/services/oauth2/introspect"),
        "scopes_supported": ["id", "api", "web", "full", "chatter_api", "visualforce", "refresh_token", "openid", "profile", "email", "address", "phone", "offline_access", "custom_permissions", "wave_api", "eclair_api"],
        "response_types_supported": ["code", "token", "token id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "display_values_supported": ["page", "popup", "touch"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic", "private_key_jwt"],
        "claims_supported": ["active", "address", "email", "email_verified", "family_name", "given_name", "is_app_installed", "language", "locale", "name", "nickname", "organization_id", "phone_number", "phone_number_verified", "photos", "picture", "preferred_username", "profile", "sub", "updated_at", "urls", "user_id", "user_type", "zoneinfo"],
        "code_challenge_methods_supported": ["S256"],
    }))
    .into_response()
}
