//! The REST API (`/services/data/…`): versions, resources, limits and SOQL queries, and the
//! guard every authenticated API call passes through (session, API access, daily allocation,
//! `Sforce-Limit-Info`).

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::scenario::OLDEST_API_VERSION;
use super::state::Org;
use super::wire::{bearer, invalid_session};

use super::wire::{Caller, max_version, not_found, sf_error, version_major, version_ok};

/// Session, API access and allocation checks; counts the call and adds `Sforce-Limit-Info`.
pub async fn api_guard(State(org): State<Arc<Org>>, mut req: Request, next: Next) -> Response {
    if let Some(refusal) = super::answers::auth_header_refusal(req.headers()) {
        return refusal;
    }
    let Some((user, scopes)) = bearer(req.headers()).and_then(|t| org.check_access(t)) else {
        return invalid_session();
    };
    org.note_request_by(user);
    if !org.scenario.org.api_enabled {
        return sf_error(
            StatusCode::FORBIDDEN,
            "API_DISABLED_FOR_ORG",
            "The REST API is not enabled for this Organization.",
        );
    }
    if !scopes.iter().any(|s| s == "api" || s == "full") {
        // A token without the `api` scope (e.g. only `id`/`web`/`refresh_token`): the REST
        // API refuses it as a session (docs/simulator.md, "Fidelity").
        return sf_error(
            StatusCode::UNAUTHORIZED,
            "INVALID_SESSION_ID",
            "This session is not valid for use with the REST API",
        );
    }
    if !org.user(user).api_enabled {
        // A user without "API Enabled": REST answers the org-level code and text (the code's
        // name misleads); `API_CURRENTLY_DISABLED` is what the SOAP login answers. The shape
        // stays configurable.
        let s = &org.scenario.shapes;
        let status =
            StatusCode::from_u16(s.api_currently_disabled_status).unwrap_or(StatusCode::FORBIDDEN);
        let message = if s.api_disabled_for_user_code == "API_DISABLED_FOR_ORG" {
            "The REST API is not enabled for this Organization."
        } else {
            "API is disabled for this User"
        };
        return sf_error(status, &s.api_disabled_for_user_code, message);
    }
    let max = org.scenario.org.daily_api_allocation;
    let exceeded = {
        let mut inner = org.lock();
        if inner.api_used >= max {
            true
        } else {
            inner.api_used += 1;
            false
        }
    };
    let mut resp = if exceeded {
        sf_error(
            StatusCode::FORBIDDEN,
            "REQUEST_LIMIT_EXCEEDED",
            "TotalRequests Limit exceeded.",
        )
    } else {
        req.extensions_mut().insert(Caller { user });
        next.run(req).await
    };
    let used = org.lock().api_used;
    if let Ok(v) = HeaderValue::from_str(&format!("api-usage={used}/{max}")) {
        resp.headers_mut().insert("sforce-limit-info", v);
    }
    resp
}

/// Release label of an API version: v20.0 was Winter '11, three releases a year since.
fn release_label(major: u32) -> String {
    let k = major.saturating_sub(20);
    let season = ["Winter", "Spring", "Summer"][(k % 3) as usize];
    format!("{season} '{:02}", 11 + k / 3)
}

/// A retired version (v7.0 to v30.0): REST answers 410 Gone.
pub fn is_retired(version: &str) -> bool {
    version_major(version).is_some_and(|v| (7..OLDEST_API_VERSION).contains(&v))
}

/// The 410 for a retired version. The status is documented; the body is a guess (the help
/// article says "the requested endpoint is not found").
pub fn gone() -> Response {
    sf_error(
        StatusCode::GONE,
        "NOT_FOUND",
        "The requested resource does not exist",
    )
}

/// Answers a retired API version with 410 before anything else (no session needed, nothing
/// counted), as Salesforce has since the version was retired.
pub async fn retired_guard(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let version = path
        .strip_prefix("/services/data/")
        .and_then(|rest| rest.split('/').next());
    if version.is_some_and(is_retired) {
        return gone();
    }
    next.run(req).await
}

/// `GET /services/data/`: no session needed, no `Sforce-Limit-Info`; v31.0 onwards (v30.0 and
/// older were retired in Summer '25).
pub async fn versions(State(org): State<Arc<Org>>) -> Response {
    let list: Vec<Value> = (OLDEST_API_VERSION..=max_version(&org))
        .map(|v| json!({"label": release_label(v), "url": format!("/services/data/v{v}.0"), "version": format!("{v}.0")}))
        .collect();
    axum::Json(list).into_response()
}

pub async fn resources(
    State(org): State<Arc<Org>>,
    Path(version): Path<String>,
    axum::Extension(caller): axum::Extension<Caller>,
) -> Response {
    if !version_ok(&org, &version) {
        return not_found();
    }
    let p = format!("/services/data/{version}");
    let names = [
        "tooling",
        "metadata",
        "eclair",
        "folders",
        "prechatForms",
        "async-queries",
        "query",
        "serviceTemplates",
        "chatter",
        "connect",
        "tabs",
        "appMenu",
        "quickActions",
        "queryAll",
        "commerce",
        "wave",
        "iot",
        "analytics",
        "search",
        "identity",
        "composite",
        "parameterizedSearch",
        "fingerprint",
        "theme",
        "nouns",
        "event",
        "sobjects",
        "actions",
        "recent",
        "support",
        "limits",
        "licensing",
        "process",
        "apps",
        "ui-api",
    ];
    let map: serde_json::Map<String, Value> = names
        .iter()
        .map(|n| {
            let url = if *n == "identity" {
                json!(org.identity_url(caller.user))
            } else {
                json!(format!("{p}/{n}"))
            };
            (n.to_string(), url)
        })
        .collect();
    axum::Json(Value::Object(map)).into_response()
}

pub async fn limits(State(org): State<Arc<Org>>, Path(version): Path<String>) -> Response {
    if !version_ok(&org, &version) {
        return not_found();
    }
    let max = org.scenario.org.daily_api_allocation;
    let used = org.lock().api_used;
    axum::Json(json!({
        "ConcurrentAsyncGetReportInstances": {"Max": 200, "Remaining": 200},
        "ConcurrentSyncReportRuns": {"Max": 20, "Remaining": 20},
        "DailyApiRequests": {"Max": max, "Remaining": max.saturating_sub(used)},
        "DailyAsyncApexExecutions": {"Max": 250000, "Remaining": 250000},
        "DailyBulkApiBatches": {"Max": 15000, "Remaining": 15000},
        "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
        "DailyStreamingApiEvents": {"Max": 1000000, "Remaining": 1000000},
        "DataStorageMB": {"Max": 5120, "Remaining": 4870},
        "FileStorageMB": {"Max": 20480, "Remaining": 20011},
        "HourlyTimeBasedWorkflow": {"Max": 1000, "Remaining": 1000},
        "SingleEmail": {"Max": 5000, "Remaining": 5000},
    }))
    .into_response()
}

pub async fn rest_fallback(
    State(org): State<Arc<Org>>,
    Path((version, _rest)): Path<(String, String)>,
) -> Response {
    let _ = version_ok(&org, &version);
    not_found()
}
