//! The Sage People API (`/services/apexrest/spapi/v4/…`), served by the managed package
//! when it is installed: list endpoints paged by `marker`, `$filter`, one employee by id, and
//! the write-only `payDetails`, each gated by its permission set.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{OriginalUri, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Value, json};

use super::data::Entity;
use super::filter;
use super::rest::{Caller, sf_error};
use super::scenario::PermissionSetDef;
use super::state::Org;

/// Largest payDetails body accepted: 6 MB, Apex's synchronous heap and HTTP request size
/// limit (Apex governor limits). A larger one is answered 413 `CONTENT_TOO_LARGE`, the code
/// Sage's OpenAPI spec documents for this operation.
pub const MAX_BODY: usize = 6 * 1024 * 1024;

/// A Sage People API error: `{"error":{code, message, target, innererror:{code}}}`.
pub fn sage_error(
    status: StatusCode,
    category: &str,
    inner: &str,
    message: &str,
    target: Option<&str>,
) -> Response {
    let mut error = json!({"code": category, "message": message, "innererror": {"code": inner}});
    if let Some(t) = target {
        error["target"] = Value::from(t);
    }
    (status, axum::Json(json!({ "error": error }))).into_response()
}

/// The Apex REST 404: no class maps the URL (package missing, or a wrong path or version).
fn no_match(apex_path: &str) -> Response {
    sf_error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        &format!("Could not find a match for URL {apex_path}"),
    )
}

fn accepts_json(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    accept.split(',').any(|part| {
        let media = part
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        matches!(
            media.as_str(),
            "application/json" | "application/*" | "*/*" | ""
        )
    })
}

pub async fn apexrest(
    State(org): State<Arc<Org>>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    axum::Extension(caller): axum::Extension<Caller>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let apex_path = uri
        .path()
        .strip_prefix("/services/apexrest")
        .unwrap_or(uri.path())
        .to_string();
    if !org.scenario.org.package_installed {
        return no_match(&apex_path);
    }
    let segments: Vec<&str> = apex_path.trim_matches('/').split('/').collect();
    let route = match segments.as_slice() {
        ["spapi", "v4", list] => Entity::from_path(list).map(Route::List),
        ["spapi", "v4", "employees", id] => Some(Route::Employee((*id).to_string())),
        ["spapi", "v4", "employees", id, "payDetails"] => {
            Some(Route::PayDetails((*id).to_string()))
        }
        _ => None,
    };
    let Some(route) = route else {
        return no_match(&apex_path);
    };
    let (allowed, endpoint) = match &route {
        Route::List(e) => (Method::GET, e.path()),
        Route::Employee(_) => (Method::GET, "employees"),
        Route::PayDetails(_) => (Method::POST, "payDetails"),
    };
    if method != allowed {
        return sf_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            &format!("HTTP Method '{method}' not allowed. Allowed are {allowed}"),
        );
    }
    if !accepts_json(&headers) {
        return sage_error(
            StatusCode::NOT_ACCEPTABLE,
            "REQUEST_ERROR",
            "INVALID_ACCEPT_HEADER",
            "The Accept header must allow application/json",
            Some("Accept"),
        );
    }
    #[allow(clippy::expect_used)] // The table covers every endpoint (a unit test holds it).
    let def =
        PermissionSetDef::for_endpoint(endpoint).expect("every endpoint has a permission set");
    if !org.has_permission_set(caller.user, def) {
        let s = &org.scenario.shapes;
        let message = s
            .missing_permission_message
            .replace("{label}", def.label)
            .replace("{endpoint}", endpoint);
        let status =
            StatusCode::from_u16(s.missing_permission_status).unwrap_or(StatusCode::FORBIDDEN);
        return sage_error(
            status,
            &s.missing_permission_category,
            "MISSING_API_PERMISSION",
            &message,
            Some(endpoint),
        );
    }
    match route {
        Route::List(entity) => list(&org, entity, &q),
        Route::Employee(id) => employee(&org, &id),
        Route::PayDetails(id) => pay_details(&org, &id, &headers, body),
    }
}

enum Route {
    List(Entity),
    Employee(String),
    PayDetails(String),
}

fn envelope(org: &Org, data: Value) -> Value {
    json!({"data": data, "version": org.scenario.org.sage_api_version})
}

/// `{"data": …, "version": …}`, serialised from typed records.
#[derive(serde::Serialize)]
struct Envelope<'a, T: serde::Serialize> {
    data: T,
    version: &'a str,
}

fn json_bytes(status: StatusCode, body: Bytes) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// A served list page: its JSON, or None for 204 (no record from the marker on).
type Page = Option<Bytes>;

/// The list pages served, by entity, first index and `$filter`. A page is a function of the
/// scenario's data (fixed for the life of the org), the API version, its first index and its
/// filter, and of nothing a request can change: payDetails are write-only, and permission-set
/// assignments decide who may read (checked before the cache is read), not what a page holds.
/// Bounded by bytes; the oldest pages go first.
#[derive(Default)]
pub struct PageCache {
    inner: Mutex<PageCacheInner>,
}

#[derive(Default)]
struct PageCacheInner {
    pages: HashMap<PageKey, Page>,
    order: VecDeque<PageKey>,
    bytes: usize,
}

type PageKey = (Entity, u64, Option<String>);

/// The page cache's budget, in bytes of JSON (a page of 200 employees is ~110 KB).
pub const PAGE_CACHE_BYTES: usize = 32 * 1024 * 1024;

impl PageCache {
    fn get(&self, key: &PageKey) -> Option<Page> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.pages.get(key).cloned()
    }

    fn put(&self, key: PageKey, page: Page) {
        let size = page.as_ref().map_or(0, Bytes::len) + 64;
        if size > PAGE_CACHE_BYTES / 8 {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.pages.contains_key(&key) {
            return;
        }
        while inner.bytes + size > PAGE_CACHE_BYTES {
            let Some(old) = inner.order.pop_front() else {
                break;
            };
            if let Some(p) = inner.pages.remove(&old) {
                inner.bytes -= p.as_ref().map_or(0, Bytes::len) + 64;
            }
        }
        inner.bytes += size;
        inner.order.push_back(key.clone());
        inner.pages.insert(key, page);
    }
}

fn list(org: &Org, entity: Entity, q: &HashMap<String, String>) -> Response {
    let cfg = &org.scenario.data;
    if entity == Entity::AbsenceBalances && !cfg.absence_balance_calculation {
        return sage_error(
            StatusCode::BAD_REQUEST,
            "SAGE_PEOPLE_CONFIGURATION",
            "ABSENCE_BALANCE_CALCULATION_NOT_ENABLED",
            "Absence balance calculation (Hold Absence Balances) is not enabled",
            Some("absenceBalances"),
        );
    }
    if let Some(unknown) = q
        .keys()
        .find(|k| !matches!(k.as_str(), "marker" | "$filter"))
    {
        return sage_error(
            StatusCode::BAD_REQUEST,
            "REQUEST_ERROR",
            "INVALID_QUERY_STRING",
            &format!("Unknown query parameter '{unknown}'"),
            Some(unknown),
        );
    }
    let total = entity.count(cfg);
    let start = match q.get("marker").filter(|m| !m.is_empty()) {
        None => 0,
        Some(m) => match entity.index_of(m) {
            Some(i) if i < total => i + 1,
            _ => {
                let status = StatusCode::from_u16(org.scenario.shapes.invalid_marker_status)
                    .unwrap_or(StatusCode::BAD_REQUEST);
                return sage_error(
                    status,
                    "REQUEST_ERROR",
                    "INVALID_MARKER",
                    &format!("Invalid marker '{m}'"),
                    Some("marker"),
                );
            }
        },
    };
    let expr = match q.get("$filter") {
        None => None,
        Some(f) => match filter::parse(f, &entity.record(cfg, 0)) {
            Ok(e) => Some(e),
            Err(e) => {
                return sage_error(
                    StatusCode::BAD_REQUEST,
                    "REQUEST_ERROR",
                    e.code,
                    &e.message,
                    Some("$filter"),
                );
            }
        },
    };
    let key = (entity, start, q.get("$filter").cloned());
    let page = match org.pages.get(&key) {
        Some(page) => page,
        None => {
            let page = render_page(org, entity, start, expr.as_ref());
            org.pages.put(key, page.clone());
            page
        }
    };
    match page {
        Some(body) => json_bytes(StatusCode::OK, body),
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

/// The page of `entity` from index `start`: up to a page of records that match `expr`.
fn render_page(org: &Org, entity: Entity, start: u64, expr: Option<&filter::Expr>) -> Page {
    let cfg = &org.scenario.data;
    let total = entity.count(cfg);
    let page = cfg.page_size as usize;
    let mut out = Vec::with_capacity(page.min(1024));
    let mut i = start;
    while i < total && out.len() < page {
        let rec = entity.typed(cfg, i);
        let keep = match expr {
            None => true,
            Some(e) => serde_json::to_value(&rec).is_ok_and(|v| e.matches(&v)),
        };
        if keep {
            out.push(rec);
        }
        i += 1;
    }
    if out.is_empty() {
        return None;
    }
    let envelope = Envelope {
        data: out,
        version: &org.scenario.org.sage_api_version,
    };
    // About 550 bytes a record; the vector grows if it must.
    let mut body = Vec::with_capacity(64 + envelope.data.len() * 600);
    serde_json::to_writer(&mut body, &envelope).ok()?;
    Some(Bytes::from(body))
}

fn employee(org: &Org, id: &str) -> Response {
    let cfg = &org.scenario.data;
    match Entity::Employees
        .index_of(id)
        .filter(|i| *i < Entity::Employees.count(cfg))
    {
        Some(i) => axum::Json(envelope(org, Entity::Employees.record(cfg, i))).into_response(),
        None => sage_error(
            StatusCode::NOT_FOUND,
            "REQUEST_ERROR",
            "INVALID_PARAMETER",
            &format!("No employee found with id '{id}'"),
            Some("employeeId"),
        ),
    }
}

fn pay_details(
    org: &Org,
    id: &str,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let invalid = |inner: &str, message: &str| {
        sage_error(
            StatusCode::BAD_REQUEST,
            "REQUEST_ERROR",
            inner,
            message,
            Some("data"),
        )
    };
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !ctype.to_ascii_lowercase().starts_with("application/json") {
        return sage_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "REQUEST_ERROR",
            "UNSUPPORTED_MEDIA_TYPE",
            "The Content-Type must be application/json",
            Some("Content-Type"),
        );
    }
    let too_large = || {
        sage_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "REQUEST_ERROR",
            "CONTENT_TOO_LARGE",
            &format!("The request body is larger than {MAX_BODY} bytes"),
            None,
        )
    };
    let body = match body {
        Ok(b) if b.len() <= MAX_BODY => b,
        Ok(_) => return too_large(),
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return too_large(),
        Err(_) => {
            return invalid("INVALID_REQUEST_BODY", "The request body could not be read");
        }
    };
    let Ok(parsed) = serde_json::from_slice::<Value>(&body) else {
        return invalid("INVALID_REQUEST_BODY", "The request body is not valid JSON");
    };
    let Some(data) = parsed
        .get("data")
        .and_then(Value::as_object)
        .filter(|d| !d.is_empty())
    else {
        return invalid(
            "INVALID_REQUEST_BODY",
            "The request body must contain a non-empty 'data' object",
        );
    };
    if data.contains_key("id") || data.contains_key("employeeId") {
        return invalid(
            "INVALID_REQUEST_BODY",
            "'id' and 'employeeId' are read-only",
        );
    }
    let Some(period) = data
        .get("period")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
    else {
        return invalid(
            "INVALID_REQUEST_BODY",
            "'period' is required and must be a string",
        );
    };
    let mut fields = Vec::new();
    for f in data
        .get("additionalFields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(target) = f.get("target").and_then(Value::as_str) else {
            return invalid(
                "INVALID_REQUEST_BODY",
                "Every additional field needs a 'target'",
            );
        };
        fields.push(json!({"name": target.trim_end_matches("__c").replace('_', " "), "value": f.get("value").cloned().unwrap_or(Value::Null), "source": target}));
    }
    let mut document = Value::Null;
    if let Some(doc) = data.get("document") {
        let name = doc
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty());
        let content = doc.get("content").and_then(Value::as_str);
        let decoded = content.map(|c| base64::engine::general_purpose::STANDARD.decode(c));
        match (name, decoded) {
            (Some(name), Some(Ok(_))) => document = json!({"name": name}),
            _ => {
                return invalid(
                    "INVALID_PAYDETAILS_DOCUMENT",
                    "The document needs a 'name' and base64 'content'",
                );
            }
        }
    }
    let cfg = &org.scenario.data;
    if Entity::Employees
        .index_of(id)
        .is_none_or(|i| i >= Entity::Employees.count(cfg))
    {
        return sage_error(
            StatusCode::NOT_FOUND,
            "REQUEST_ERROR",
            "INVALID_PARAMETER",
            &format!("No employee found with id '{id}'"),
            Some("employeeId"),
        );
    }
    let mut inner = org.lock();
    let n = inner.pay_details_posted % 1_000_000_000;
    let record_id = super::crypto::sf_id18(&format!("a2K250{n:09}"));
    let record = json!({"id": record_id, "employeeId": id, "period": period, "additionalFields": fields, "document": document});
    Org::keep_pay_details(&mut inner, record.clone());
    drop(inner);
    (StatusCode::CREATED, axum::Json(envelope(org, record))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_cache_keys_on_filter_and_stays_in_budget() {
        let cache = PageCache::default();
        let page = |n: usize| Some(Bytes::from(vec![b'x'; n]));
        cache.put((Entity::Employees, 0, None), page(10));
        cache.put((Entity::Employees, 0, Some("a eq 1".into())), None);
        assert_eq!(cache.get(&(Entity::Employees, 0, None)), Some(page(10)));
        assert_eq!(
            cache.get(&(Entity::Employees, 0, Some("a eq 1".into()))),
            Some(None)
        );
        assert_eq!(cache.get(&(Entity::Salaries, 0, None)), None);
        assert_eq!(cache.get(&(Entity::Employees, 1, None)), None);
        // Far more pages than the budget holds: the oldest go, the total stays under it.
        let big = PAGE_CACHE_BYTES / 16;
        for i in 0..64 {
            cache.put((Entity::Bonuses, i, None), page(big));
        }
        let inner = cache.inner.lock().unwrap();
        assert!(inner.bytes <= PAGE_CACHE_BYTES, "{}", inner.bytes);
        assert!(inner.pages.contains_key(&(Entity::Bonuses, 63, None)));
        assert!(!inner.pages.contains_key(&(Entity::Employees, 0, None)));
        assert_eq!(inner.pages.len(), inner.order.len());
    }
}
