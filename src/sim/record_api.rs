//! Writes to the org's record through the REST API: `PATCH …/sobjects/UserLogin/{id}` with
//! `{"IsFrozen": false}` unfreezes a user (Manage Users), as Salesforce allows.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::state::Org;
use super::tables::tables;
use super::wire::{Caller, sf_error, version_ok};

fn not_found() -> Response {
    sf_error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "The requested resource does not exist",
    )
}

/// A REST DML error: `[{"message","errorCode","fields"}]`.
fn dml_error(code: &str, message: &str, fields: &[&str]) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!([{"message": message, "errorCode": code, "fields": fields}])),
    )
        .into_response()
}

/// `PATCH …/sobjects/{Type}/{id}`: only UserLogin's `IsFrozen` (and `IsPasswordLocked` =
/// false) may change, by a user with Manage Users; 204 No Content as Salesforce answers an update.
pub async fn patch(
    State(org): State<Arc<Org>>,
    Path((version, name, id)): Path<(String, String, String)>,
    axum::Extension(caller): axum::Extension<Caller>,
    body: Bytes,
) -> Response {
    if !version_ok(&org, &version) {
        return not_found();
    }
    let known = tables(&org, caller.user, false)
        .iter()
        .find(|t| t.name.eq_ignore_ascii_case(&name))
        .map(|t| t.name);
    let Some(object) = known else {
        return not_found();
    };
    if object != "UserLogin" {
        return sf_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "HTTP Method 'PATCH' not allowed. Allowed are GET,HEAD",
        );
    }
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(&body) else {
        return sf_error(
            StatusCode::BAD_REQUEST,
            "JSON_PARSER_ERROR",
            "Unexpected character: the body is not a JSON object",
        );
    };
    let mut frozen = None;
    for (k, v) in &fields {
        let Some(b) = v.as_bool() else {
            return sf_error(
                StatusCode::BAD_REQUEST,
                "JSON_PARSER_ERROR",
                &format!("Cannot deserialize instance of boolean from {v} value for {k}"),
            );
        };
        if k.eq_ignore_ascii_case("IsFrozen") {
            frozen = Some(b);
        } else if k.eq_ignore_ascii_case("IsPasswordLocked") {
            if b {
                // Salesforce locks a password itself; an admin may only unlock (a guess).
                return dml_error(
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    "Unable to create/update fields: IsPasswordLocked. Please check the security settings of this field and verify that it is read/write for your profile or permission set.",
                    &["IsPasswordLocked"],
                );
            }
        } else {
            return sf_error(
                StatusCode::BAD_REQUEST,
                "INVALID_FIELD",
                &format!("No such column '{k}' on sobject of type UserLogin"),
            );
        }
    }
    let visible = |u: usize| u == caller.user || org.manages_users(caller.user);
    let Some(user) = org.user_of_login_id(&id).filter(|u| visible(*u)) else {
        return not_found();
    };
    if !org.manages_users(caller.user) {
        return dml_error(
            "INSUFFICIENT_ACCESS_OR_READONLY",
            "insufficient access rights on object id",
            &[],
        );
    }
    if let Some(f) = frozen {
        Org::set_frozen(&mut org.lock(), user, f, false);
    }
    StatusCode::NO_CONTENT.into_response()
}
