//! sObject resources over the objects the org has (the same tables SOQL reads):
//! `/sobjects` (describeGlobal), `/sobjects/{Type}` (basic information),
//! `/sobjects/{Type}/describe`, and `/sobjects/{Type}/{id}[?fields=a,b]` (one record).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::rest::{Caller, sf_error, tables, version_ok};
use super::soql::Table;
use super::state::Org;

/// Three-character key prefix and plural label of the objects the simulator has.
pub fn key_prefix(name: &str) -> &'static str {
    meta(name).0
}

fn meta(name: &str) -> (&'static str, &'static str) {
    match name {
        "User" => ("005", "Users"),
        "Organization" => ("00D", "Organizations"),
        "Profile" => ("00e", "Profiles"),
        "PermissionSet" => ("0PS", "Permission Sets"),
        "PermissionSetAssignment" => ("0Pa", "Permission Set Assignments"),
        "PackageLicense" => ("050", "Package Licenses"),
        "ConnectedApplication" => ("0H4", "Connected Apps"),
        "Account" => ("001", "Accounts"),
        _ => ("000", ""),
    }
}

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
