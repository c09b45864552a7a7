//! `PATCH /services/data/vXX.X/composite/sobjects`: the sObject Collections update, record by
//! record through the same rules as `PATCH …/sobjects/{Type}/{id}` (`record_api.rs`; in the
//! simulated org only UserLogin's `IsFrozen` may change). The answer is Salesforce's: 200 with
//! one `{"id","success","errors":[{"statusCode","message","fields"}]}` per record, in order;
//! with `allOrNone: true` a failure rolls every change back and the other records answer
//! `ALL_OR_NONE_OPERATION_ROLLED_BACK` (REST API Developer Guide, "Update Multiple Records"
//! and "sObject Collections"). At most 200 records (the guide's limit); more answers 400
//! `EXCEEDED_ID_LIMIT` "record limit reached. cannot submit more than 200 records into this
//! call" (the text as public clients quote it; the status is a guess).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::state::Org;
use super::wire::{Caller, not_found, sf_error, version_ok};

/// The most records one call may carry.
pub const MAX_RECORDS: usize = 200;
/// The most bytes of a member's error read back (the errors are the simulator's own, small).
const MAX_ERROR_BYTES: usize = 64 * 1024;

pub async fn patch(
    State(org): State<Arc<Org>>,
    Path(version): Path<String>,
    axum::Extension(caller): axum::Extension<Caller>,
    body: Bytes,
) -> Response {
    if !version_ok(&org, &version) {
        return not_found();
    }
    let Ok(Value::Object(req)) = serde_json::from_slice::<Value>(&body) else {
        return sf_error(
            StatusCode::BAD_REQUEST,
            "JSON_PARSER_ERROR",
            "Unexpected character: the body is not a JSON object",
        );
    };
    let all_or_none = req
        .get("allOrNone")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let Some(records) = req.get("records").and_then(Value::as_array) else {
        return sf_error(
            StatusCode::BAD_REQUEST,
            "INVALID_FIELD",
            "The records field is required",
        );
    };
    if records.len() > MAX_RECORDS {
        return sf_error(
            StatusCode::BAD_REQUEST,
            "EXCEEDED_ID_LIMIT",
            "record limit reached. cannot submit more than 200 records into this call",
        );
    }
    // What a rollback restores: every user's frozen state before the call.
    let frozen_before: Vec<bool> = (0..org.scenario.users.len())
        .map(|u| org.is_frozen(u))
        .collect();
    let mut results = Vec::with_capacity(records.len());
    let mut failed = false;
    for rec in records {
        let id = rec
            .get("id")
            .or_else(|| rec.get("Id"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let kind = rec["attributes"]["type"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if kind.is_empty() || id.is_empty() {
            failed = true;
            let (code, message) = if kind.is_empty() {
                (
                    "INVALID_TYPE",
                    "sObject type must be specified in attributes",
                )
            } else {
                ("MISSING_ARGUMENT", "Id not specified in an update call")
            };
            results.push(failure(&id, code, message, &[]));
            continue;
        }
        let mut fields = rec.as_object().cloned().unwrap_or_default();
        fields
            .retain(|k, _| !k.eq_ignore_ascii_case("attributes") && !k.eq_ignore_ascii_case("id"));
        // layering: a collection PATCH is each record's PATCH in turn, answered as that
        // handler answers (its checks and errors), so it calls that handler.
        let one = super::record_api::patch(
            State(org.clone()),
            Path((version.clone(), kind, id.clone())),
            axum::Extension(caller),
            Bytes::from(Value::Object(fields).to_string()),
        )
        .await;
        if one.status() == StatusCode::NO_CONTENT {
            results.push(json!({"id": id, "success": true, "errors": []}));
        } else {
            failed = true;
            let body = axum::body::to_bytes(one.into_body(), MAX_ERROR_BYTES)
                .await
                .unwrap_or_default();
            let err: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let e = &err[0];
            let fields: Vec<&str> = e["fields"]
                .as_array()
                .map(|f| f.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            results.push(failure(
                &id,
                e["errorCode"].as_str().unwrap_or("UNKNOWN_EXCEPTION"),
                e["message"]
                    .as_str()
                    .unwrap_or("The record could not be updated"),
                &fields,
            ));
        }
    }
    if all_or_none && failed {
        let mut inner = org.lock();
        for (u, was) in frozen_before.into_iter().enumerate() {
            Org::set_frozen(&mut inner, u, was, false);
        }
        drop(inner);
        for r in &mut results {
            if r["success"] == true {
                *r = failure(
                    r["id"].as_str().unwrap_or_default(),
                    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                    "Record rolled back because not all records were valid and the request was using AllOrNone header",
                    &[],
                );
            }
        }
    }
    axum::Json(Value::Array(results)).into_response()
}

fn failure(id: &str, code: &str, message: &str, fields: &[&str]) -> Value {
    let id = if id.is_empty() {
        Value::Null
    } else {
        Value::from(id)
    };
    json!({
        "id": id,
        "success": false,
        "errors": [{"statusCode": code, "message": message, "fields": fields}],
    })
}
