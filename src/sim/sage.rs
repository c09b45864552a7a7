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
use super::scenario::PermissionSetDef;
use super::state::Org;
use super::wire::{Caller, sf_error};

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
        Route::List(entity) => list(&org, entity, &q).await,
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

fn json_bytes(status: StatusCode, body: Bytes) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// A rendered list page: its JSON (None: 204, no record from the marker on), and the index
/// the page after it starts from (the record after its last one).
#[derive(Debug, Clone, PartialEq)]
struct Page {
    body: Option<Bytes>,
    next: u64,
}

/// The list pages served, by entity, first index and `$filter`. A page is a function of the
/// scenario's data (fixed for the life of the org), the API version, its first index and its
/// filter, and of nothing a request can change: payDetails are write-only, and permission-set
/// assignments decide who may read (checked before the cache is read), not what a page holds.
/// Bounded by bytes; the oldest pages go first.
///
/// Paging by `marker` is sequential, so serving a page also renders the next [`READ_AHEAD`]
/// ahead, on another task (read-ahead, as a database cursor does): a client walking the list
/// finds each page ready, or joins its rendering, instead of waiting for all of it. A page is rendered
/// once however many ask for it at the same time.
#[derive(Default)]
pub struct PageCache {
    inner: Mutex<PageCacheInner>,
}

#[derive(Default)]
struct PageCacheInner {
    pages: HashMap<PageKey, Page>,
    order: VecDeque<PageKey>,
    bytes: usize,
    /// Pages being rendered: whoever asks for one meanwhile waits for that rendering.
    rendering: HashMap<PageKey, Arc<tokio::sync::OnceCell<Page>>>,
}

type PageKey = (Entity, u64, Option<String>);

/// How many pages past the one served are rendered ahead.
const READ_AHEAD: usize = 2;

/// The page cache's budget, in bytes of JSON (a page of 200 employees is ~110 KB).
pub const PAGE_CACHE_BYTES: usize = 32 * 1024 * 1024;

impl PageCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, PageCacheInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[cfg(test)]
    fn get(&self, key: &PageKey) -> Option<Page> {
        self.lock().pages.get(key).cloned()
    }

    /// Whether `key` is cached or being rendered.
    #[cfg(test)]
    fn has(&self, key: &PageKey) -> bool {
        let inner = self.lock();
        inner.pages.contains_key(key) || inner.rendering.contains_key(key)
    }

    /// The page for `key`: cached, or rendered by `render` (once, whoever else asks meanwhile).
    async fn page(&self, key: PageKey, render: impl FnOnce() -> Page) -> Page {
        let cell = {
            let mut inner = self.lock();
            if let Some(p) = inner.pages.get(&key) {
                return p.clone();
            }
            inner.rendering.entry(key.clone()).or_default().clone()
        };
        // `render` is synchronous: nothing here can be cancelled half-way through it.
        let page = cell.get_or_init(|| async { render() }).await.clone();
        let mut inner = self.lock();
        inner.rendering.remove(&key);
        inner.put(key, page.clone());
        page
    }
}

impl PageCacheInner {
    fn put(&mut self, key: PageKey, page: Page) {
        let size = page.body.as_ref().map_or(0, Bytes::len) + 64;
        if size > PAGE_CACHE_BYTES / 8 || self.pages.contains_key(&key) {
            return;
        }
        while self.bytes + size > PAGE_CACHE_BYTES {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if let Some(p) = self.pages.remove(&old) {
                self.bytes -= p.body.as_ref().map_or(0, Bytes::len) + 64;
            }
        }
        self.bytes += size;
        self.order.push_back(key.clone());
        self.pages.insert(key, page);
    }
}

async fn list(org: &Arc<Org>, entity: Entity, q: &HashMap<String, String>) -> Response {
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
    let filter_text = q.get("$filter").cloned();
    let page = org
        .pages
        .page((entity, start, filter_text.clone()), || {
            render_page(org, entity, start, expr.as_ref())
        })
        .await;
    // Read ahead: the two pages after this one, for the client's next requests (the second
    // renders while the client reads the first).
    if page.body.is_some() && page.next < total {
        let org = Arc::clone(org);
        tokio::spawn(async move {
            let mut start = page.next;
            for _ in 0..READ_AHEAD {
                let key = (entity, start, filter_text.clone());
                let next = org
                    .pages
                    .page(key, || render_page(&org, entity, start, expr.as_ref()))
                    .await;
                if next.body.is_none() || next.next >= total {
                    break;
                }
                start = next.next;
            }
        });
    }
    match page.body {
        Some(body) => json_bytes(StatusCode::OK, body),
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

/// The page of `entity` from index `start`: up to a page of records that match `expr`,
/// written one by one into the body (`{"data":[…],"version":…}`, the bytes serde_json would
/// write for the envelope).
fn render_page(org: &Org, entity: Entity, start: u64, expr: Option<&filter::Expr>) -> Page {
    let cfg = &org.scenario.data;
    let total = entity.count(cfg);
    let page = u64::from(cfg.page_size);
    // About 560 bytes an employee; the vector grows if it must.
    let mut body = Vec::with_capacity(64 + page.min(1024) as usize * 600);
    body.extend_from_slice(b"{\"data\":[");
    let (mut i, mut written) = (start, 0u64);
    while i < total && written < page {
        let rec = entity.typed(cfg, i);
        let keep = match expr {
            None => true,
            Some(e) => serde_json::to_value(&rec).is_ok_and(|v| e.matches(&v)),
        };
        if keep {
            if written > 0 {
                body.push(b',');
            }
            rec.write_json(&mut body);
            written += 1;
        }
        i += 1;
    }
    if written == 0 {
        return Page {
            body: None,
            next: i,
        };
    }
    body.extend_from_slice(b"],\"version\":");
    let version = serde_json::to_writer(&mut body, &org.scenario.org.sage_api_version);
    body.push(b'}');
    Page {
        body: version.ok().map(|()| Bytes::from(body)),
        next: i,
    }
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

    fn page(n: usize) -> Page {
        Page {
            body: (n > 0).then(|| Bytes::from(vec![b'x'; n])),
            next: n as u64,
        }
    }

    #[test]
    fn the_page_cache_keys_on_filter_and_stays_in_budget() {
        let cache = PageCache::default();
        cache.lock().put((Entity::Employees, 0, None), page(10));
        cache
            .lock()
            .put((Entity::Employees, 0, Some("a eq 1".into())), page(0));
        assert_eq!(cache.get(&(Entity::Employees, 0, None)), Some(page(10)));
        assert_eq!(
            cache.get(&(Entity::Employees, 0, Some("a eq 1".into()))),
            Some(page(0))
        );
        assert_eq!(cache.get(&(Entity::Salaries, 0, None)), None);
        assert_eq!(cache.get(&(Entity::Employees, 1, None)), None);
        // Far more pages than the budget holds: the oldest go, the total stays under it.
        let big = PAGE_CACHE_BYTES / 16;
        for i in 0..64 {
            cache.lock().put((Entity::Bonuses, i, None), page(big));
        }
        let inner = cache.lock();
        assert!(inner.bytes <= PAGE_CACHE_BYTES, "{}", inner.bytes);
        assert!(inner.pages.contains_key(&(Entity::Bonuses, 63, None)));
        assert!(!inner.pages.contains_key(&(Entity::Employees, 0, None)));
        assert_eq!(inner.pages.len(), inner.order.len());
    }

    #[test]
    fn a_rendered_page_is_the_envelope_serde_json_writes() {
        let mut sc = super::super::scenario::Scenario::load("healthy").unwrap();
        sc.data.employees = 450;
        sc.data.page_size = 200;
        let org = Org::new(sc, String::new(), String::new(), String::new());
        let cfg = &org.scenario.data;
        let active = filter::parse(
            "currentEmployment.active eq true",
            &Entity::Employees.record(cfg, 0),
        )
        .unwrap();
        for entity in Entity::LISTS {
            for (start, expr) in [(0, None), (200, None), (400, None), (0, Some(&active))] {
                if expr.is_some() && entity != Entity::Employees {
                    continue;
                }
                let page = render_page(&org, entity, start, expr);
                let total = entity.count(cfg);
                let mut records = Vec::new();
                let mut i = start;
                while i < total && records.len() < 200 {
                    let v = entity.record(cfg, i);
                    if expr.is_none_or(|e| e.matches(&v)) {
                        records.push(v);
                    }
                    i += 1;
                }
                let expected =
                    json!({"data": records, "version": org.scenario.org.sage_api_version});
                let body = page.body.expect("records");
                assert_eq!(
                    std::str::from_utf8(&body).unwrap(),
                    serde_json::to_string(&expected).unwrap(),
                    "{entity:?} from {start}"
                );
                assert_eq!(page.next, i, "{entity:?} from {start}");
            }
        }
        let past = render_page(&org, Entity::Employees, 450, None);
        assert_eq!(
            past,
            Page {
                body: None,
                next: 450
            }
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_page_asked_for_while_it_renders_is_rendered_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let cache = Arc::new(PageCache::default());
        let renders = Arc::new(AtomicUsize::new(0));
        let key = (Entity::Employees, 200, None);
        let asks: Vec<_> = (0..8)
            .map(|_| {
                let (cache, renders, key) = (Arc::clone(&cache), Arc::clone(&renders), key.clone());
                tokio::spawn(async move {
                    cache
                        .page(key, || {
                            renders.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(std::time::Duration::from_millis(50));
                            page(7)
                        })
                        .await
                })
            })
            .collect();
        for a in asks {
            assert_eq!(a.await.unwrap(), page(7));
        }
        assert_eq!(renders.load(Ordering::SeqCst), 1);
        assert!(cache.has(&key));
        assert!(cache.lock().rendering.is_empty());
        // Cached from now on: `render` is not called again.
        let again = cache
            .page(key, || unreachable!("served from the cache"))
            .await;
        assert_eq!(again, page(7));
    }
}
