//! The org's control API for fleets (not Salesforce endpoints): what an admin or time does to
//! an org between two watch cycles, for tests and the demo. `POST /_sim/fleet/{action}` with a
//! JSON body, on the org's own port (which a fleet binds to loopback only):
//!
//! - `permission-set` `{"name": "<PermissionSet.Name or label>", "assigned": bool}`: removes or
//!   restores the integration user's assignment of one of the seven Sage People sets;
//! - `freeze` `{"frozen": bool}`: freezes or unfreezes the integration user (an admin's freeze:
//!   grants stay);
//! - `age-grants` `{"days": N}`: the integration user's grants were last used (and created) N
//!   days earlier than they were;
//! - `login-failure` `{"status": "Failed: …", "count": N}`: N LoginHistory rows of the
//!   integration user with that Status.
//!
//! Each answers 200 with what the org now holds, or 400 `{"error": "…"}` naming what is wrong.

// The helpers' early exit is the handler's whole answer (a `Response`); boxing it buys nothing.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::crypto::sf_id18;
use super::record::{LoginRow, sf_datetime};
use super::scenario::{PERMISSION_SETS, PermissionSetDef};
use super::seed;
use super::state::{Assignment, Org};

/// At most this many LoginHistory rows per `login-failure` call.
pub const MAX_FAILURES_PER_CALL: u64 = 1_000;
/// Grants are aged at most this far back per call (LoginHistory and grants are seeded within
/// the same bound).
pub const MAX_AGE_DAYS: u64 = seed::MAX_AGO_DAYS;
/// A LoginHistory Status is at most this long (the field is a picklist of short texts).
const MAX_STATUS_CHARS: usize = 128;
const DAY_MS: u64 = 86_400_000;

/// The source IP of the rows `login-failure` adds: the integration's (a documentation address).
const INTEGRATION_IP: &str = "203.0.113.10";

/// Counts every request but the simulator's own (`/_sim/…`).
pub async fn count_request(State(org): State<Arc<Org>>, req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/_sim/") {
        let mut inner = org.lock();
        inner.requests_total = inner.requests_total.saturating_add(1);
    }
    next.run(req).await
}

/// `requests_by_user` of `GET /_sim/state`: username → token requests and API calls.
pub fn requests_by_user(org: &Org) -> BTreeMap<String, u64> {
    let counts: Vec<(usize, u64)> = org
        .lock()
        .requests_by_user
        .iter()
        .map(|(u, n)| (*u, *n))
        .collect();
    counts
        .into_iter()
        .filter_map(|(u, n)| Some((org.scenario.users.get(u)?.username.clone(), n)))
        .collect()
}

/// `integration_grants` of `GET /_sim/state`: the integration user's OauthToken rows (never
/// their DeleteToken, a secret).
pub fn integration_grants(org: &Org) -> Vec<Value> {
    let user = seed::integration_user(&org.scenario);
    org.lock()
        .record
        .grants
        .iter()
        .filter(|g| g.user == user)
        .map(|g| {
            json!({
                "id": format!("grant-{}", g.seq),
                "app": g.app,
                "created": sf_datetime(g.created),
                "last_used": g.last_used.map(sf_datetime),
                "use_count": g.use_count,
            })
        })
        .collect()
}

fn bad_request(message: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({"error": message.into()})),
    )
        .into_response()
}

/// The body as `T`, or the 400 that names what is wrong with it and the shape expected.
fn parse<T: for<'de> Deserialize<'de>>(action: &str, body: &[u8]) -> Result<T, Response> {
    let shape = match action {
        "permission-set" => r#"{"name": "<PermissionSet.Name>", "assigned": true|false}"#,
        "freeze" => r#"{"frozen": true|false}"#,
        "age-grants" => r#"{"days": N}"#,
        _ => r#"{"status": "Failed: …", "count": N}"#,
    };
    serde_json::from_slice(body).map_err(|e| {
        bad_request(format!(
            "/_sim/fleet/{action}: bad JSON body ({e}); expected {shape}"
        ))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PermissionSetBody {
    name: String,
    assigned: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FreezeBody {
    frozen: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgeBody {
    days: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FailureBody {
    status: String,
    #[serde(default = "one")]
    count: u64,
}

fn one() -> u64 {
    1
}

/// `POST /_sim/fleet/{action}`.
pub async fn control(
    State(org): State<Arc<Org>>,
    Path(action): Path<String>,
    body: Bytes,
) -> Response {
    let result = match action.as_str() {
        "permission-set" => parse(&action, &body).map(|b| permission_set(&org, b)),
        "freeze" => parse(&action, &body).map(|b| freeze(&org, b)),
        "age-grants" => parse(&action, &body).map(|b| age_grants(&org, b)),
        "login-failure" => parse(&action, &body).map(|b| login_failure(&org, b)),
        _ => Err(bad_request(
            "unknown control: use /_sim/fleet/permission-set, /_sim/fleet/freeze, /_sim/fleet/age-grants or /_sim/fleet/login-failure",
        )),
    };
    result.unwrap_or_else(|resp| resp)
}

fn permission_set(org: &Org, b: PermissionSetBody) -> Response {
    let Some(def) = PermissionSetDef::lookup(b.name.trim()) else {
        let known: Vec<&str> = PERMISSION_SETS.iter().map(|p| p.name).collect();
        return bad_request(format!(
            "`name`: no Sage People permission set `{}`; known: {}",
            b.name.chars().take(80).collect::<String>(),
            known.join(", ")
        ));
    };
    let Some(set) = PERMISSION_SETS.iter().position(|p| p == def) else {
        return bad_request("`name`: unknown permission set");
    };
    let user = seed::integration_user(&org.scenario);
    let now = org.now_ms();
    {
        let mut inner = org.lock();
        let has = inner
            .assignments
            .iter()
            .any(|a| a.user == user && a.set == set);
        if b.assigned && !has {
            inner.assignments_created += 1;
            let id = sf_id18(&format!(
                "0Pa5g0002{:06}",
                inner.assignments_created % 1_000_000
            ));
            inner.assignments.push(Assignment {
                id,
                user,
                set,
                created_by: None,
                assigned_ms: Some(now),
            });
        } else if !b.assigned && has {
            let gone: Vec<String> = inner
                .assignments
                .iter()
                .filter(|a| a.user == user && a.set == set)
                .map(|a| a.id.clone())
                .collect();
            inner
                .assignments
                .retain(|a| !(a.user == user && a.set == set));
            inner.deleted_assignments.extend(gone);
        }
    }
    axum::Json(json!({
        "name": def.name,
        "label": def.label,
        "assigned": b.assigned,
        // A permission set group may still grant it (then the endpoint still answers).
        "has_permissions": org.has_permission_set(user, def),
    }))
    .into_response()
}

fn freeze(org: &Org, b: FreezeBody) -> Response {
    let user = seed::integration_user(&org.scenario);
    // An admin's freeze: the user's grants stay (record.rs, a guess).
    Org::set_frozen(&mut org.lock(), user, b.frozen, false);
    axum::Json(json!({"username": org.user(user).username, "frozen": org.is_frozen(user)}))
        .into_response()
}

fn age_grants(org: &Org, b: AgeBody) -> Response {
    if b.days == 0 || b.days > MAX_AGE_DAYS {
        return bad_request(format!(
            "`days`: {} is not between 1 and {MAX_AGE_DAYS}",
            b.days
        ));
    }
    let user = seed::integration_user(&org.scenario);
    let back = b.days.saturating_mul(DAY_MS);
    let mut inner = org.lock();
    let mut families = Vec::new();
    let mut aged = 0u64;
    for g in inner.record.grants.iter_mut().filter(|g| g.user == user) {
        g.created = g.created.saturating_sub(back);
        g.last_used = g.last_used.map(|t| t.saturating_sub(back));
        families.extend(g.family);
        aged += 1;
    }
    // The refresh tokens behind them age too: an idle-expiry policy then refuses them.
    for t in inner
        .refresh
        .values_mut()
        .filter(|t| families.contains(&t.family))
    {
        t.issued = t.issued.saturating_sub(back);
        t.last_used = t.last_used.saturating_sub(back);
    }
    drop(inner);
    axum::Json(json!({"days": b.days, "grants_aged": aged, "grants": integration_grants(org)}))
        .into_response()
}

fn login_failure(org: &Org, b: FailureBody) -> Response {
    let status = b.status.trim();
    if status.is_empty() || status.chars().count() > MAX_STATUS_CHARS {
        return bad_request(format!(
            "`status`: give Salesforce's Status text (e.g. \"Failed: Not approved for access\"), 1 to {MAX_STATUS_CHARS} characters"
        ));
    }
    if status.chars().any(char::is_control) {
        return bad_request("`status`: control characters are not allowed");
    }
    if b.count == 0 || b.count > MAX_FAILURES_PER_CALL {
        return bad_request(format!(
            "`count`: {} is not between 1 and {MAX_FAILURES_PER_CALL}",
            b.count
        ));
    }
    let user = seed::integration_user(&org.scenario);
    let now = org.now_ms();
    let application = org.scenario.app.name.clone();
    let mut inner = org.lock();
    for _ in 0..b.count {
        // Strictly after the row before, as `log_login` writes them.
        let time = inner
            .record
            .logins
            .back()
            .map_or(now, |last| now.max(last.time.saturating_add(1)));
        inner.record.push_login(LoginRow {
            seq: 0,
            user,
            time,
            status: status.to_string(),
            application: application.clone(),
            login_type: "Remote Access 2.0".into(),
            source_ip: INTEGRATION_IP.into(),
        });
    }
    let rows = inner.record.logins.len();
    drop(inner);
    axum::Json(json!({"status": status, "added": b.count, "login_history": rows})).into_response()
}
