//! What every handler shares of Salesforce's REST wire: the caller of an authenticated call
//! (set by the API guard), the error bodies (`[{message, errorCode}]`, `NOT_FOUND`,
//! `INVALID_SESSION_ID`), the bearer header, and which API versions the org serves. Handlers
//! import these from here, never from each other.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::scenario::OLDEST_API_VERSION;
use super::state::Org;

/// The authenticated user of an API call, for the handlers.
#[derive(Clone, Copy)]
pub struct Caller {
    pub user: usize,
}

/// A Salesforce REST error: a JSON array of `{message, errorCode}`.
pub fn sf_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!([{"message": message, "errorCode": code}])),
    )
        .into_response()
}

pub fn not_found() -> Response {
    sf_error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "The requested resource does not exist",
    )
}

pub(crate) fn max_version(org: &Org) -> u32 {
    org.scenario
        .org
        .api_version
        .split('.')
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or(67)
}

/// Whether `v67.0` names a version the org serves.
pub fn version_ok(org: &Org, version: &str) -> bool {
    version_major(version).is_some_and(|v| (OLDEST_API_VERSION..=max_version(org)).contains(&v))
}

pub(crate) fn version_major(version: &str) -> Option<u32> {
    version
        .strip_prefix('v')
        .and_then(|v| v.strip_suffix(".0"))
        .and_then(|v| v.parse::<u32>().ok())
}

pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    v.strip_prefix("Bearer ")
        .or_else(|| v.strip_prefix("OAuth "))
        .map(str::trim)
}

pub fn invalid_session() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Token")],
        axum::Json(
            json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]),
        ),
    )
        .into_response()
}
