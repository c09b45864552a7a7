//! sObject resources over the objects the org has (the same tables SOQL reads):
//! `/sobjects` (describeGlobal), `/sobjects/{Type}` (basic information),
//! `/sobjects/{Type}/describe`, and `/sobjects/{Type}/{id}[?fields=a,b]` (one record).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::crypto::sf_id18;
use super::scenario::{PERMISSION_SETS, PermissionSetDef};
use super::soql::Table;
use super::state::{Assignment, Org};
use super::tables::{meta, permset_id, tables};
use super::wire::{Caller, sf_error, version_ok};

fn label(name: &str) -> String {
    // "PermissionSetAssignment" → "Permission Set Assignment".
    let mut out = String::new();
    for c in name.chars() {
        if c.is_uppercase() && !out.is_empty() {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

fn not_found() -> Response {
    sf_error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "The requested resource does not exist",
    )
}

fn find<'a>(tables: &'a [Table], name: &str) -> Option<&'a Table> {
    tables.iter().find(|t| t.name.eq_ignore_ascii_case(name))
}

fn object_entry(t: &Table, base: &str) -> Value {
    let (prefix, plural) = meta(t.name);
    let n = t.name;
    json!({
        "activateable": false, "createable": false, "custom": false, "customSetting": false,
        "deletable": false, "deprecatedAndHidden": false, "feedEnabled": false, "keyPrefix": prefix,
        "label": label(n), "labelPlural": if plural.is_empty() { format!("{}s", label(n)) } else { plural.to_string() },
        "layoutable": true, "mergeable": false, "mruEnabled": false, "name": n, "queryable": true,
        "replicateable": true, "retrieveable": true, "searchable": false, "triggerable": false,
        "undeletable": false, "updateable": false,
        "urls": {
            "sobject": format!("{base}/sobjects/{n}"),
            "describe": format!("{base}/sobjects/{n}/describe"),
            "rowTemplate": format!("{base}/sobjects/{n}/{{ID}}"),
        },
    })
}

/// The field's type, from its name and a value.
fn field_type(name: &str, sample: &Value) -> &'static str {
    if name == "Id" {
        return "id";
    }
    if name.ends_with("Id") {
        return "reference";
    }
    // A null sample of a date field (OauthToken.LastUsedDate before any use).
    if sample.is_null() && (name.ends_with("Date") || name.ends_with("Time")) {
        return "datetime";
    }
    match sample {
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "double",
        Value::Number(_) => "int",
        Value::String(s) if s.len() == 28 && s.get(10..11) == Some("T") => "datetime",
        _ => "string",
    }
}

fn describe_fields(t: &Table) -> Vec<Value> {
    let sample = t.rows.first().cloned().unwrap_or(Value::Null);
    t.fields
        .iter()
        .filter(|f| !f.contains('.'))
        .map(|f| {
            let kind = field_type(f, &sample[*f]);
            let reference_to: Vec<&str> = match (kind, *f) {
                ("reference", "ProfileId") => vec!["Profile"],
                ("reference", "AssigneeId" | "OwnerId") => vec!["User"],
                ("reference", "PermissionSetId") => vec!["PermissionSet"],
                _ => vec![],
            };
            json!({
                "name": f, "label": label(f), "type": kind, "custom": false,
                "nillable": *f != "Id", "createable": false, "updateable": false, "filterable": true,
                "sortable": kind != "textarea", "groupable": kind != "double", "idLookup": *f == "Id",
                "length": if kind == "string" { 255 } else { 0 },
                "referenceTo": reference_to, "relationshipName": Value::Null,
                "soapType": match kind { "id" | "reference" => "tns:ID", "boolean" => "xsd:boolean",
                    "int" => "xsd:int", "double" => "xsd:double", "datetime" => "xsd:dateTime", _ => "xsd:string" },
            })
        })
        .collect()
}

/// `GET /services/data/vXX.X/sobjects`.
pub async fn describe_global(
    State(org): State<Arc<Org>>,
    Path(version): Path<String>,
    axum::Extension(caller): axum::Extension<Caller>,
) -> Response {
    if !version_ok(&org, &version) {
        return not_found();
    }
    let base = format!("/services/data/{version}");
    let list: Vec<Value> = tables(&org, caller.user, false)
        .iter()
        .map(|t| object_entry(t, &base))
        .collect();
    axum::Json(json!({"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": list})).into_response()
}

/// `GET …/sobjects/{Type}`: basic information and recent items.
pub async fn basic(
    State(org): State<Arc<Org>>,
    Path((version, name)): Path<(String, String)>,
    axum::Extension(caller): axum::Extension<Caller>,
) -> Response {
    if !version_ok(&org, &version) {
        return not_found();
    }
    let base = format!("/services/data/{version}");
    let all = tables(&org, caller.user, false);
    let Some(t) = find(&all, &name) else {
        return not_found();
    };
    axum::Json(json!({"objectDescribe": object_entry(t, &base), "recentItems": []})).into_response()
}

/// `GET …/sobjects/{Type}/describe` and `GET …/sobjects/{Type}/{id}`.
pub async fn describe_or_record(
    State(org): State<Arc<Org>>,
    Path((version, name, id)): Path<(String, String, String)>,
    Query(q): Query<HashMap<String, String>>,
    axum::Extension(caller): axum::Extension<Caller>,
) -> Response {
    if !version_ok(&org, &version) {
        return not_found();
    }
    let base = format!("/services/data/{version}");
    let all = tables(&org, caller.user, false);
    let Some(t) = find(&all, &name) else {
        return not_found();
    };
    if id == "describe" {
        let mut d = object_entry(t, &base);
        d["fields"] = Value::from(describe_fields(t));
        d["childRelationships"] = json!([]);
        d["recordTypeInfos"] = json!([]);
        return axum::Json(d).into_response();
    }
    let wanted: Vec<&str> = match q.get("fields") {
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .collect(),
        None => t
            .fields
            .iter()
            .copied()
            .filter(|f| !f.contains('.'))
            .collect(),
    };
    let mut canon = Vec::new();
    for f in &wanted {
        match t.fields.iter().find(|c| c.eq_ignore_ascii_case(f)) {
            Some(c) => canon.push(*c),
            None => {
                return sf_error(
                    StatusCode::BAD_REQUEST,
                    "INVALID_FIELD",
                    &format!("No such column '{f}' on sobject of type {}", t.name),
                );
            }
        }
    }
    let matches = |row: &&Value| {
        row.get("Id").and_then(Value::as_str).is_some_and(|rid| {
            rid.eq_ignore_ascii_case(&id)
                || (id.len() == 15 && rid.get(..15).is_some_and(|p| p == id))
        })
    };
    let Some(row) = t.rows.iter().find(matches) else {
        if id.len() == 15 || id.len() == 18 {
            return not_found();
        }
        // Not an id at all: Salesforce tries it as an external id.
        return sf_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!("Provided external ID field does not exist or is not accessible: {id}"),
        );
    };
    let rid = row.get("Id").and_then(Value::as_str).unwrap_or_default();
    let mut out = Map::new();
    out.insert(
        "attributes".into(),
        json!({"type": t.name, "url": format!("{base}/sobjects/{}/{rid}", t.name)}),
    );
    for f in canon {
        let v = f
            .split('.')
            .try_fold(row, |v, part| v.get(part))
            .cloned()
            .unwrap_or(Value::Null);
        out.insert(f.to_string(), v);
    }
    axum::Json(Value::Object(out)).into_response()
}

/// The org's administrator, added beside the scenario's users unless one of them may already
/// assign permission sets: what `sagediag fix` logs in as (auto-approved through `login_hint`
/// like the others). Returns the admin's username and password.
pub fn add_admin(scenario: &mut super::Scenario) -> (String, String) {
    if let Some(u) = scenario.users.iter().find(|u| u.assign_permission_sets) {
        return (u.username.clone(), u.password.clone());
    }
    let admin = super::scenario::UserConfig {
        username: "admin@acme-hr.example".into(),
        password: "Admin-Passw0rd!".into(),
        first_name: "Org".into(),
        last_name: "Admin".into(),
        email: "admin@acme-hr.example".into(),
        permission_sets: Vec::new(),
        assign_permission_sets: true,
        manage_users: true,
        ..Default::default()
    };
    let out = (admin.username.clone(), admin.password.clone());
    scenario.users.push(admin);
    out
}

/// A REST DML error: `[{"message","errorCode","fields"}]` (REST API guide, "Status Codes and
/// Error Responses"; DML failures answer 400).
fn dml_error(status: StatusCode, code: &str, message: &str, fields: &[&str]) -> Response {
    (
        status,
        axum::Json(json!([{"message": message, "errorCode": code, "fields": fields}])),
    )
        .into_response()
}

fn id_matches(full: &str, given: &str) -> bool {
    full.eq_ignore_ascii_case(given) || (given.len() == 15 && full.get(..15) == Some(given))
}

fn looks_like_id(s: &str, prefix: &str) -> bool {
    (s.len() == 15 || s.len() == 18)
        && s.chars().all(|c| c.is_ascii_alphanumeric())
        && s.get(..3) == Some(prefix)
}

/// What a write checks first: the API version, the object, and that the object is the one this
/// org lets a client create and delete (PermissionSetAssignment). The answer to send when one
/// fails; None when the write may go on.
fn write_refused(
    org: &Org,
    version: &str,
    name: &str,
    caller: &Caller,
    method: &str,
) -> Option<Response> {
    if !version_ok(org, version) {
        return Some(not_found());
    }
    let all = tables(org, caller.user, false);
    let Some(t) = find(&all, name) else {
        return Some(not_found());
    };
    (t.name != "PermissionSetAssignment").then(|| {
        sf_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            &format!("HTTP Method '{method}' not allowed. Allowed are GET,HEAD"),
        )
    })
}

/// `POST …/sobjects/PermissionSetAssignment` with `{"AssigneeId","PermissionSetId"}`: 201
/// `{"id","success":true,"errors":[]}`, or Salesforce's DML errors (docs/fixing.md, sources).
pub async fn create(
    State(org): State<Arc<Org>>,
    Path((version, name)): Path<(String, String)>,
    axum::Extension(caller): axum::Extension<Caller>,
    body: axum::body::Bytes,
) -> Response {
    if let Some(refused) = write_refused(&org, &version, &name, &caller, "POST") {
        return refused;
    }
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(&body) else {
        return sf_error(
            StatusCode::BAD_REQUEST,
            "JSON_PARSER_ERROR",
            "Unexpected character: the body is not a JSON object",
        );
    };
    for k in fields.keys() {
        if !["AssigneeId", "PermissionSetId"]
            .iter()
            .any(|f| f.eq_ignore_ascii_case(k))
        {
            return sf_error(
                StatusCode::BAD_REQUEST,
                "INVALID_FIELD",
                &format!("No such column '{k}' on sobject of type PermissionSetAssignment"),
            );
        }
    }
    let get = |f: &str| {
        fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(f))
            .and_then(|(_, v)| v.as_str())
            .map(str::to_string)
    };
    let (Some(assignee), Some(set_id)) = (get("AssigneeId"), get("PermissionSetId")) else {
        let missing: Vec<&str> = ["AssigneeId", "PermissionSetId"]
            .into_iter()
            .filter(|f| get(f).is_none())
            .collect();
        return dml_error(
            StatusCode::BAD_REQUEST,
            "REQUIRED_FIELD_MISSING",
            &format!("Required fields are missing: [{}]", missing.join(", ")),
            &missing,
        );
    };
    if !org.user(caller.user).assign_permission_sets {
        return dml_error(
            StatusCode::BAD_REQUEST,
            "INSUFFICIENT_ACCESS_OR_READONLY",
            "insufficient access rights on object id",
            &[],
        );
    }
    if !looks_like_id(&assignee, "005") {
        return dml_error(
            StatusCode::BAD_REQUEST,
            "MALFORMED_ID",
            &format!("Assignee ID: id value of incorrect type: {assignee}"),
            &["AssigneeId"],
        );
    }
    if !looks_like_id(&set_id, "0PS") {
        return dml_error(
            StatusCode::BAD_REQUEST,
            "MALFORMED_ID",
            &format!("Permission Set ID: id value of incorrect type: {set_id}"),
            &["PermissionSetId"],
        );
    }
    let user = (0..org.scenario.users.len()).find(|i| id_matches(&org.user_id18(*i), &assignee));
    let set = (0..PERMISSION_SETS.len())
        .filter(|_| org.scenario.org.package_installed)
        .find(|i| id_matches(&permset_id(*i), &set_id));
    let (Some(user), Some(set)) = (user, set) else {
        let field = if user.is_none() {
            "AssigneeId"
        } else {
            "PermissionSetId"
        };
        return dml_error(
            StatusCode::BAD_REQUEST,
            "INVALID_CROSS_REFERENCE_KEY",
            "invalid cross reference id",
            &[field],
        );
    };
    let def = &PERMISSION_SETS[set];
    let u = org.user(user);
    if u.lacks_license_for
        .iter()
        .any(|s| PermissionSetDef::lookup(s) == Some(def))
    {
        return dml_error(
            StatusCode::BAD_REQUEST,
            "FIELD_INTEGRITY_EXCEPTION",
            &format!(
                "Can't assign permission set {} to user {} {}. The user license doesn't allow the permission: Sage People API",
                def.label, u.first_name, u.last_name
            ),
            &["PermissionSetId"],
        );
    }
    let now = org.now_ms();
    let mut inner = org.lock();
    if inner
        .assignments
        .iter()
        .any(|a| a.user == user && a.set == set)
    {
        drop(inner);
        return dml_error(
            StatusCode::BAD_REQUEST,
            "DUPLICATE_VALUE",
            &format!(
                "Duplicate PermissionSetAssignment. Assignee: {}, PermissionSet: {}",
                org.user_id18(user),
                permset_id(set)
            ),
            &[],
        );
    }
    inner.assignments_created += 1;
    let id = sf_id18(&format!(
        "0Pa5g0001{:06}",
        inner.assignments_created % 1_000_000
    ));
    inner.assignments.push(Assignment {
        id: id.clone(),
        user,
        set,
        created_by: Some(caller.user),
        assigned_ms: Some(now),
    });
    drop(inner);
    (
        StatusCode::CREATED,
        axum::Json(json!({"id": id, "success": true, "errors": []})),
    )
        .into_response()
}

/// `DELETE …/sobjects/PermissionSetAssignment/{id}`: 204, or 404 `NOT_FOUND` (unknown id),
/// `ENTITY_IS_DELETED` (deleted before), 400 `INSUFFICIENT_ACCESS_OR_READONLY`.
pub async fn delete(
    State(org): State<Arc<Org>>,
    Path((version, name, id)): Path<(String, String, String)>,
    axum::Extension(caller): axum::Extension<Caller>,
) -> Response {
    if let Some(refused) = write_refused(&org, &version, &name, &caller, "DELETE") {
        return refused;
    }
    if !org.user(caller.user).assign_permission_sets {
        return dml_error(
            StatusCode::BAD_REQUEST,
            "INSUFFICIENT_ACCESS_OR_READONLY",
            "insufficient access rights on object id",
            &[],
        );
    }
    let mut inner = org.lock();
    if let Some(i) = inner
        .assignments
        .iter()
        .position(|a| id_matches(&a.id, &id))
    {
        let gone = inner.assignments.remove(i);
        inner.deleted_assignments.insert(gone.id);
        return StatusCode::NO_CONTENT.into_response();
    }
    let deleted = inner.deleted_assignments.iter().any(|d| id_matches(d, &id));
    drop(inner);
    if deleted {
        return sf_error(
            StatusCode::NOT_FOUND,
            "ENTITY_IS_DELETED",
            "entity is deleted",
        );
    }
    not_found()
}
