//! `sagediag watch`'s listener: `/metrics` (Prometheus text), `/healthz`, the status page (`/`,
//! `/org/{name}`) and `/api/status.json`. Each request reads the store (async; nothing is
//! cached), so every watcher of a team shows the same fleet.
//!
//! It binds loopback by default. A non-loopback address needs a token: requests then carry
//! `Authorization: Bearer <token>` (compared in constant time), all but `/healthz`. Without a
//! token it refuses to start, and says how to do it instead (docs/watch.md: a reverse proxy).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use super::page;
use crate::engine::clock;
use crate::engine::sanitize;
use crate::engine::watch::metrics;
use crate::engine::watch::model::{CycleSummary, Incident, OrgCycle, OrgStatus};
use crate::engine::watch::store::Store;

/// What the pages read: the watch store (or a test double). Errors are the store's messages.
pub trait StatusSource: Clone + Send + Sync + 'static {
    /// Every org: its last cycle and open incidents.
    fn status(&self) -> impl Future<Output = Result<Vec<OrgStatus>, String>> + Send;
    /// An org's cycles, newest first.
    fn history(
        &self,
        org: &str,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<CycleSummary>, String>> + Send;
    /// An org's incidents, newest first, every state.
    fn incidents(
        &self,
        org: &str,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Incident>, String>> + Send;
    /// One cycle in full, its report included (`status` may leave the report out).
    fn cycle(&self, cycle_id: i64)
    -> impl Future<Output = Result<Option<OrgCycle>, String>> + Send;
}

impl StatusSource for Store {
    async fn status(&self) -> Result<Vec<OrgStatus>, String> {
        Store::status(self).await.map_err(|e| e.to_string())
    }
    async fn history(&self, org: &str, limit: usize) -> Result<Vec<CycleSummary>, String> {
        Store::history(self, org, limit)
            .await
            .map_err(|e| e.to_string())
    }
    async fn incidents(&self, org: &str, limit: usize) -> Result<Vec<Incident>, String> {
        Store::incidents(self, org, limit)
            .await
            .map_err(|e| e.to_string())
    }
    async fn cycle(&self, cycle_id: i64) -> Result<Option<OrgCycle>, String> {
        Store::cycle(self, cycle_id)
            .await
            .map_err(|e| e.to_string())
    }
}

/// Where to listen, and the token that guards it.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    /// `SAGEDIAG_WATCH_TOKEN`: required for a non-loopback address; when set, every request
    /// but `/healthz` must send `Authorization: Bearer <token>`.
    pub token: Option<String>,
}

/// The least length of a token (a guessable token on a network is no guard).
pub const MIN_TOKEN: usize = 16;

/// The last whole cycle's duration, shared with the watch loop (`sagediag_cycle_duration_seconds`).
#[derive(Debug, Clone, Default)]
pub struct CycleGauge(Arc<AtomicU64>);

impl CycleGauge {
    /// Records the last cycle's duration in seconds.
    pub fn set(&self, secs: f64) {
        // 0 stands for "no cycle yet"; a real cycle takes more than 0 s.
        self.0
            .store(secs.max(f64::MIN_POSITIVE).to_bits(), Ordering::Relaxed);
    }

    pub fn get(&self) -> Option<f64> {
        match self.0.load(Ordering::Relaxed) {
            0 => None,
            bits => Some(f64::from_bits(bits)),
        }
    }
}

/// Why the listener did not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "refusing to serve the status page and /metrics on {0}: it is not a loopback address and no token is set. Set SAGEDIAG_WATCH_TOKEN to a random value of at least 16 characters (clients then send `Authorization: Bearer <token>`), or listen on 127.0.0.1 and put a reverse proxy with authentication in front (docs/watch.md, \"Metrics and the status page\")"
    )]
    NeedsToken(SocketAddr),
    #[error(
        "the token (SAGEDIAG_WATCH_TOKEN) is shorter than 16 characters: use a random value, e.g. `openssl rand -hex 24`"
    )]
    WeakToken,
    #[error(
        "cannot listen on {addr}: {reason} (is another process using the port? --listen 127.0.0.1:0 picks a free one)"
    )]
    Bind { addr: SocketAddr, reason: String },
}

struct Shared<S> {
    store: S,
    token: Option<String>,
    cycle: CycleGauge,
}

type St<S> = State<Arc<Shared<S>>>;

/// Starts the listener (see the module's comment). Returns the bound address (a port 0 is
/// resolved) and the server's task; abort it to stop.
pub async fn serve<S: StatusSource>(
    store: S,
    opts: ServeOptions,
) -> Result<(SocketAddr, JoinHandle<()>), ServeError> {
    serve_with(store, opts, CycleGauge::default()).await
}

/// [`serve`], with the watch loop's cycle duration for `/metrics`.
pub async fn serve_with<S: StatusSource>(
    store: S,
    opts: ServeOptions,
    cycle: CycleGauge,
) -> Result<(SocketAddr, JoinHandle<()>), ServeError> {
    let token = opts.token.filter(|t| !t.trim().is_empty());
    if let Some(t) = &token
        && t.trim().chars().count() < MIN_TOKEN
    {
        return Err(ServeError::WeakToken);
    }
    if !opts.listen.ip().is_loopback() && token.is_none() {
        return Err(ServeError::NeedsToken(opts.listen));
    }
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .map_err(|e| ServeError::Bind {
            addr: opts.listen,
            reason: e.to_string(),
        })?;
    let addr = listener.local_addr().map_err(|e| ServeError::Bind {
        addr: opts.listen,
        reason: e.to_string(),
    })?;
    let shared = Arc::new(Shared {
        store,
        token: token.map(|t| t.trim().to_string()),
        cycle,
    });
    let app = router(shared);
    let handle = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::warn!(error = %e, "the status page's listener stopped");
        }
    });
    Ok((addr, handle))
}

fn router<S: StatusSource>(shared: Arc<Shared<S>>) -> Router {
    Router::new()
        .route("/", get(fleet::<S>))
        .route("/org/{name}", get(org::<S>))
        .route("/api/status.json", get(status_json::<S>))
        .route("/metrics", get(metrics_text::<S>))
        .route("/healthz", get(healthz))
        .fallback(not_found)
        .with_state(shared)
}

/// The headers every answer carries: never cached, no sniffing, and a policy under which the
/// page could run no script and load nothing even if some text escaped the escaping.
fn hardened(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        ),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

fn html(status: StatusCode, body: String) -> Response {
    hardened(
        (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            body,
        )
            .into_response(),
    )
}

/// None when the request may go on; else the 401 to send.
fn check_token<S>(shared: &Shared<S>, headers: &HeaderMap) -> Option<Response> {
    let expected = shared.token.as_deref()?;
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .unwrap_or_default();
    let ok =
        aws_lc_rs::constant_time::verify_slices_are_equal(given.as_bytes(), expected.as_bytes())
            .is_ok();
    if ok {
        return None;
    }
    let mut r = (
        StatusCode::UNAUTHORIZED,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "401: send the watcher's token as `Authorization: Bearer <token>` (SAGEDIAG_WATCH_TOKEN)\n",
    )
        .into_response();
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"sagediag watch\""),
    );
    Some(hardened(r))
}

fn store_unavailable(e: &str) -> Response {
    html(
        StatusCode::SERVICE_UNAVAILABLE,
        page::message(
            "The watch store cannot be read",
            &format!("{} (the page shows the store; see the watcher's log)", e),
        ),
    )
}

fn now() -> i64 {
    clock::now_secs() as i64
}

async fn fleet<S: StatusSource>(State(shared): St<S>, headers: HeaderMap) -> Response {
    if let Some(r) = check_token(&shared, &headers) {
        return r;
    }
    match shared.store.status().await {
        Ok(status) => html(StatusCode::OK, page::fleet(&status, now())),
        Err(e) => store_unavailable(&e),
    }
}

async fn org<S: StatusSource>(
    State(shared): St<S>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = check_token(&shared, &headers) {
        return r;
    }
    let status = match shared.store.status().await {
        Ok(s) => s,
        Err(e) => return store_unavailable(&e),
    };
    let Some(s) = status.into_iter().find(|s| s.org == name) else {
        return html(
            StatusCode::NOT_FOUND,
            page::message(
                "No such org",
                &format!("No org named `{name}` is watched (the fleet page lists them)."),
            ),
        );
    };
    let mut s = s;
    let (history, incidents, report) = futures_util::future::join3(
        shared.store.history(&s.org, 200),
        shared.store.incidents(&s.org, 100),
        report_of(&shared.store, &s),
    )
    .await;
    if let (Some(l), Ok(Some(r))) = (s.last.as_mut(), report) {
        l.report = r;
    }
    match (history, incidents) {
        (Ok(h), Ok(i)) => html(StatusCode::OK, page::org(&s, &h, &i, now())),
        (Err(e), _) | (_, Err(e)) => store_unavailable(&e),
    }
}

/// The report of an org's last cycle when `status` left it out (the store keeps reports with
/// their cycle).
async fn report_of<S: StatusSource>(store: &S, s: &OrgStatus) -> Result<Option<Value>, String> {
    match (&s.last, s.last_cycle_id) {
        (Some(l), Some(id)) if l.report.is_null() => Ok(store.cycle(id).await?.map(|c| c.report)),
        _ => Ok(None),
    }
}

/// Every string of a JSON document as [`page::shown`] makes it (secrets redacted, control
/// characters visible), bounded.
fn clean_json(v: &mut Value) {
    match v {
        Value::String(s) => {
            let shown = page::shown(s);
            *s = sanitize::prefix(&shown, 64 * 1024).to_string();
        }
        Value::Array(items) => items.iter_mut().for_each(clean_json),
        Value::Object(map) => map.values_mut().for_each(clean_json),
        _ => {}
    }
}

/// One org in `/api/status.json` (docs/watch.md gives the schema).
pub fn org_json(s: &OrgStatus) -> Value {
    let last = s.last.as_ref();
    let mut report = last.map(|l| l.report.clone()).unwrap_or(Value::Null);
    crate::engine::http::redact_json(&mut report);
    json!({
        "org": s.org,
        "outcome": last.map(|l| l.state),
        "cycle_id": s.last_cycle_id,
        "started_at": last.map(|l| crate::engine::watch::alerts::rfc3339(l.started_at)),
        "duration_ms": last.map(|l| l.duration_ms),
        "watcher": last.map(|l| l.watcher.clone()),
        "checks": last.map(|l| l.checks.clone()).unwrap_or_default(),
        "findings": last.map(|l| l.findings.clone()).unwrap_or_default(),
        "signals": last.map(|l| json!(l.signals)),
        "incidents": s.open_incidents,
        "report": report,
    })
}

/// The whole `/api/status.json` document.
pub fn status_doc(status: &[OrgStatus], now: i64) -> String {
    let mut doc = json!({
        "sagediag_version": env!("CARGO_PKG_VERSION"),
        "generated_at": crate::engine::watch::alerts::rfc3339(now),
        "orgs": status.iter().map(org_json).collect::<Vec<_>>(),
    });
    clean_json(&mut doc);
    let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    sanitize::json(&text).into_owned()
}

async fn status_json<S: StatusSource>(
    State(shared): St<S>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = check_token(&shared, &headers) {
        return r;
    }
    // `?reports=0` leaves each org's report out (a smaller document for a large fleet).
    let reports = !query.is_some_and(|q| q.split('&').any(|p| p == "reports=0"));
    let mut result = shared.store.status().await;
    if reports && let Ok(status) = result.as_mut() {
        for s in status.iter_mut() {
            match report_of(&shared.store, s).await {
                Ok(Some(r)) => {
                    if let Some(l) = s.last.as_mut() {
                        l.report = r;
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
    }
    if !reports && let Ok(status) = result.as_mut() {
        for l in status.iter_mut().filter_map(|s| s.last.as_mut()) {
            l.report = Value::Null;
        }
    }
    match result {
        Ok(status) => hardened(
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                status_doc(&status, now()),
            )
                .into_response(),
        ),
        Err(e) => hardened(
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CONTENT_TYPE, "application/json")],
                json!({"error": sanitize::bounded(&e, 500, None)}).to_string(),
            )
                .into_response(),
        ),
    }
}

async fn metrics_text<S: StatusSource>(State(shared): St<S>, headers: HeaderMap) -> Response {
    if let Some(r) = check_token(&shared, &headers) {
        return r;
    }
    match shared.store.status().await {
        Ok(status) => hardened(
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, metrics::CONTENT_TYPE)],
                metrics::render(&status, shared.cycle.get()),
            )
                .into_response(),
        ),
        Err(e) => hardened(
            (
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "the watch store cannot be read: {}\n",
                    sanitize::bounded(&e, 500, None)
                ),
            )
                .into_response(),
        ),
    }
}

/// `/healthz`: the listener answers (no store read, no token: for load balancers).
async fn healthz() -> Response {
    hardened((StatusCode::OK, "ok\n").into_response())
}

async fn not_found() -> Response {
    html(
        StatusCode::NOT_FOUND,
        page::message(
            "Not found",
            "The status page has /, /org/NAME, /api/status.json, /metrics and /healthz.",
        ),
    )
}
