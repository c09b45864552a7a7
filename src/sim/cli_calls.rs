//! Calls the Salesforce CLI makes in the background: `/services/oauth2/singleaccess` (a
//! single-use front-door URL, `sf org open`) and `/limits/recordCount` (`sf limits api
//! display`'s record counts, `sf org list` checks).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::crypto;
use super::state::Org;
use super::tables::tables;
use super::wire::{Caller, not_found, version_ok};

/// `GET|POST /services/oauth2/singleaccess` with a session: `{"frontdoor_uri": …}`, a
/// `…/secur/frontdoor.jsp?otp=…` URL that logs a browser into the session once. The shape is
/// the Salesforce Help's ("Single-Access UI Bridge API"; `salesforcecli/plugin-org` reads
/// `frontdoor_uri` on `sf org open`); the `otp` parameter's name and length are a guess.
pub async fn singleaccess(State(org): State<Arc<Org>>) -> Response {
    let otp = crypto::random_token(64);
    let uri = format!("{}/secur/frontdoor.jsp?otp={otp}", org.instance_url);
    axum::Json(json!({ "frontdoor_uri": uri })).into_response()
}

#[derive(Deserialize)]
pub struct RecordCountQuery {
    #[serde(rename = "sObjects")]
    s_objects: Option<String>,
}

/// `GET /services/data/vXX.X/limits/recordCount[?sObjects=A,B]`: the approximate record count
/// of each object the caller may query (REST API Developer Guide, "Record Count"):
/// `{"sObjects":[{"count":N,"name":"Account"}]}`, names as asked for (ignoring case) or all.
/// An object the org does not have is left out (a guess: the guide says nothing of it).
pub async fn record_count(
    State(org): State<Arc<Org>>,
    Path(version): Path<String>,
    Query(q): Query<RecordCountQuery>,
    axum::Extension(caller): axum::Extension<Caller>,
) -> Response {
    if !version_ok(&org, &version) {
        return not_found();
    }
    let all = tables(&org, caller.user, false);
    let mut counts: Vec<(String, usize)> = all
        .iter()
        .map(|t| (t.name.to_string(), t.rows.len()))
        .collect();
    if let Some(def) = super::scenario::PermissionSetDef::for_endpoint("employees")
        && org.has_permission_set(caller.user, def)
    {
        let n = super::data::Entity::Employees.count(&org.scenario.data);
        counts.push((
            super::team_member::OBJECT.to_string(),
            usize::try_from(n).unwrap_or(usize::MAX),
        ));
    }
    if let Some(wanted) = q.s_objects.as_deref().filter(|s| !s.trim().is_empty()) {
        let wanted: Vec<&str> = wanted.split(',').map(str::trim).collect();
        counts.retain(|(name, _)| wanted.iter().any(|w| w.eq_ignore_ascii_case(name)));
    }
    let list: Vec<_> = counts
        .into_iter()
        .map(|(name, count)| json!({"count": count, "name": name}))
        .collect();
    axum::Json(json!({ "sObjects": list })).into_response()
}
