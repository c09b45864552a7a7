//! The simulated Salesforce org: OAuth, REST and the Sage People API on a real HTTP server,
//! shaped as Salesforce answers, with scenarios that reproduce each set-up pitfall.
//!
//! One port plays two hosts, as Salesforce has: `127.0.0.1` is the login host
//! (login.salesforce.com, or test.salesforce.com for a sandbox) and `localhost` is the org's
//! My Domain, the `instance_url`. Both serve every endpoint; client credentials work only on
//! My Domain, as on Salesforce.

pub(crate) mod answers;
pub(crate) mod cli_calls;
pub(crate) mod composite;
pub mod crypto;
pub mod data;
pub(crate) mod faults;
pub mod filter;
pub mod fleet;
pub(crate) mod fleet_api;
pub(crate) mod monitor;
pub(crate) mod oauth;
pub(crate) mod query_api;
pub(crate) mod record;
pub(crate) mod record_api;
pub(crate) mod rest;
pub(crate) mod sage;
pub mod scenario;
pub mod seed;
pub mod server;
pub(crate) mod soap;
pub(crate) mod sobjects;
pub mod soql;
pub(crate) mod soql_time;
pub mod state;
pub(crate) mod std_fields;
pub(crate) mod tables;
pub(crate) mod team_member;
pub(crate) mod wire;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Query, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde::Serialize;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use scenario::Scenario;
pub use state::Org;

/// What `sagediag sim` prints once it accepts connections: everything a client needs.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct SimInfo {
    pub login_url: String,
    pub instance_url: String,
    pub client_id: String,
    pub client_secret: String,
    pub username: String,
    pub password: String,
    pub callback_url: String,
    pub scenario: String,
    /// With `--tls`: the PEM file of the CA the simulator generated at start (owner-only);
    /// a client trusts it to reach both `https://` URLs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    /// A user who may assign permission sets (Assign Permission Sets), for `sagediag fix`.
    #[serde(default)]
    pub admin_username: String,
    #[serde(default)]
    pub admin_password: String,
}

/// How to run the org.
#[derive(Debug, Clone)]
pub struct Options {
    /// One line per request on stderr.
    pub log: bool,
    /// HTTPS with a CA generated at start (the CA's PEM is written to `SimInfo::ca_file`).
    pub tls: bool,
    /// A client that has not sent a whole request head (or TLS handshake) by then is
    /// disconnected.
    pub header_read_timeout: Duration,
    /// A request whose body has not wholly arrived by then (from the end of its head) fails.
    pub body_read_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            log: false,
            tls: false,
            header_read_timeout: server::HEADER_READ_TIMEOUT,
            body_read_timeout: server::BODY_READ_TIMEOUT,
        }
    }
}

/// A running simulated org.
pub struct RunningSim {
    pub info: SimInfo,
    pub addr: SocketAddr,
    pub org: Arc<Org>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<io::Result<()>>,
    ca_file: Option<std::path::PathBuf>,
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        if let Some(path) = self.ca_file.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl RunningSim {
    /// Stops accepting, lets requests in flight finish for up to two seconds, then drops the rest.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if tokio::time::timeout(Duration::from_secs(2), &mut self.task)
            .await
            .is_err()
        {
            self.task.abort();
        }
    }

    /// Serves until the server fails.
    pub async fn wait(mut self) -> io::Result<()> {
        match (&mut self.task).await {
            Ok(r) => r,
            Err(e) => Err(io::Error::other(e)),
        }
    }
}

/// Starts the org on `bind` (port 0 = a free one). `log` writes one line per request to stderr.
pub async fn start(scenario: Scenario, bind: SocketAddr, log: bool) -> io::Result<RunningSim> {
    start_with(
        scenario,
        bind,
        Options {
            log,
            ..Options::default()
        },
    )
    .await
}

/// Starts the org on `bind` (port 0 = a free one) as `opts` says.
pub async fn start_with(
    scenario: Scenario,
    bind: SocketAddr,
    opts: Options,
) -> io::Result<RunningSim> {
    start_org(scenario, bind, opts, None).await
}

/// Starts the org, with a fleet's monitoring app and user when `monitor` is given.
pub(crate) async fn start_org(
    mut scenario: Scenario,
    bind: SocketAddr,
    opts: Options,
    fleet: Option<(&monitor::MonitorSpec, Arc<sage::PageCache>)>,
) -> io::Result<RunningSim> {
    let listener = tokio::net::TcpListener::bind(bind).await?;
    let addr = listener.local_addr()?;
    let port = addr.port();
    let (tls, ca_file) = if opts.tls {
        let tls = server::Tls::generate().map_err(io::Error::other)?;
        let path = write_ca_file(&tls.ca_pem, port)?;
        (Some(tls.acceptor), Some(path))
    } else {
        (None, None)
    };
    let scheme = if opts.tls { "https" } else { "http" };
    let login_url = format!("{scheme}://127.0.0.1:{port}");
    let instance_url = format!("{scheme}://localhost:{port}");
    let user = &scenario.users[seed::integration_user(&scenario)];
    let mut info = SimInfo {
        login_url: login_url.clone(),
        instance_url: instance_url.clone(),
        client_id: scenario.app.consumer_key.clone(),
        client_secret: if scenario.app.share_secret {
            scenario.app.consumer_secret.clone()
        } else {
            String::new()
        },
        username: user.username.clone(),
        password: user.password.clone(),
        callback_url: scenario
            .app
            .callback_urls
            .first()
            .cloned()
            .unwrap_or_default(),
        scenario: scenario.name.clone(),
        ca_file: ca_file.as_ref().map(|p| p.display().to_string()),
        admin_username: String::new(),
        admin_password: String::new(),
    };
    // Added after the integration user was chosen: the admin never stands in for it.
    (info.admin_username, info.admin_password) = sobjects::add_admin(&mut scenario);
    let monitor_user = fleet
        .as_ref()
        .map(|(m, _)| monitor::add_user(&mut scenario, m));
    let mut org = Org::new(
        scenario,
        login_url,
        instance_url,
        format!("localhost:{port}"),
    );
    if let (Some((m, pages)), Some(user)) = (fleet, monitor_user) {
        org.pages = pages;
        org.monitor = Some(monitor::Monitor {
            consumer_key: m.consumer_key.clone(),
            consumer_secret: m.consumer_secret.clone(),
            user,
            jwt_public_der: m.jwt_public_der.clone(),
        });
        monitor::approve_grant_holders(&org);
    }
    let org = Arc::new(org);
    let body_timeout = opts.body_read_timeout;
    let app = router(org.clone(), opts.log).layer(middleware::from_fn(
        move |req: Request, next: Next| server::body_deadline(body_timeout, req, next),
    ));
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(server::serve(
        listener,
        app,
        tls,
        opts.header_read_timeout,
        rx,
    ));
    Ok(RunningSim {
        info,
        addr,
        org,
        shutdown: Some(tx),
        task,
        ca_file,
    })
}

/// Writes the CA's PEM to a new owner-only (0600) file in the temporary directory.
fn write_ca_file(pem: &str, port: u16) -> io::Result<std::path::PathBuf> {
    use std::io::Write;
    let path =
        std::env::temp_dir().join(format!("sagediag-sim-{}-{port}-ca.pem", std::process::id()));
    // A stale file of a former run with the same pid and port.
    let _ = std::fs::remove_file(&path);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut file = opts.open(&path)?;
    file.write_all(pem.as_bytes())?;
    Ok(path)
}

pub fn router(org: Arc<Org>, log: bool) -> Router {
    let api = Router::new()
        .route("/services/data/{version}/", get(rest::resources))
        .route("/services/data/{version}", get(rest::resources))
        .route("/services/data/{version}/limits", get(rest::limits))
        .route("/services/data/{version}/limits/", get(rest::limits))
        .route(
            "/services/data/{version}/limits/recordCount",
            get(cli_calls::record_count),
        )
        .route(
            "/services/data/{version}/composite/sobjects",
            axum::routing::patch(composite::patch),
        )
        .route(
            "/services/oauth2/singleaccess",
            get(cli_calls::singleaccess).post(cli_calls::singleaccess),
        )
        .route("/services/data/{version}/query", get(query_api::query))
        .route("/services/data/{version}/query/", get(query_api::query))
        .route("/services/data/{version}/queryAll", get(query_api::query))
        .route("/services/data/{version}/queryAll/", get(query_api::query))
        .route(
            "/services/data/{version}/query/{locator}",
            get(query_api::query_more),
        )
        .route(
            "/services/data/{version}/queryAll/{locator}",
            get(query_api::query_more),
        )
        .route(
            "/services/data/{version}/tooling/query/{locator}",
            get(query_api::tooling_query_more),
        )
        .route(
            "/services/data/{version}/tooling/query",
            get(query_api::tooling_query),
        )
        .route(
            "/services/data/{version}/tooling/query/",
            get(query_api::tooling_query),
        )
        .route(
            "/services/data/{version}/sobjects",
            get(sobjects::describe_global),
        )
        .route(
            "/services/data/{version}/sobjects/",
            get(sobjects::describe_global),
        )
        .route(
            "/services/data/{version}/sobjects/{name}",
            get(sobjects::basic).post(sobjects::create),
        )
        // `POST …/sobjects/{Type}/` (a trailing slash) creates the record too, as on Salesforce.
        .route(
            "/services/data/{version}/sobjects/{name}/",
            get(sobjects::basic).post(sobjects::create),
        )
        .route(
            "/services/data/{version}/sobjects/{name}/{id}",
            get(sobjects::describe_or_record)
                .delete(sobjects::delete)
                .patch(record_api::patch),
        )
        .route("/services/data/{version}/{*rest}", any(rest::rest_fallback))
        .route(
            "/services/apexrest/{*path}",
            // payDetails takes up to 6 MB (axum's default would refuse 2 MB); one byte more
            // is enough to know a body is too large.
            any(sage::apexrest).layer(DefaultBodyLimit::max(sage::MAX_BODY + 1)),
        )
        .route_layer(middleware::from_fn_with_state(org.clone(), rest::api_guard));
    let mut app = Router::new()
        .route(
            "/services/oauth2/authorize",
            get(oauth::authorize_get).post(oauth::authorize_post),
        )
        .route("/services/oauth2/token", post(oauth::token))
        .route(
            "/services/oauth2/revoke",
            get(oauth::info::revoke).post(oauth::info::revoke),
        )
        .route("/services/oauth2/introspect", post(oauth::info::introspect))
        .route(
            "/services/oauth2/userinfo",
            get(oauth::info::userinfo).post(oauth::info::userinfo),
        )
        .route("/id/keys", get(oauth::info::jwks))
        .route("/id/{org}/{user}", get(oauth::info::id_url))
        .route(
            "/.well-known/openid-configuration",
            get(oauth::info::discovery),
        )
        .route(
            "/setup/connect",
            get(oauth::device::connect_get).post(oauth::device::connect_post),
        )
        .route("/services/Soap/u/{*path}", post(soap::partner))
        .route("/services/data", get(rest::versions))
        .route("/services/data/", get(rest::versions))
        .route(answers::ERROR_PAGE_PATH, get(answers::error_page))
        .route("/_sim/clock", axum::routing::post(advance_clock))
        .route("/_sim/state", get(sim_state))
        .route("/_sim/fleet/{action}", post(fleet_api::control))
        .merge(api)
        .fallback(not_found)
        .layer(middleware::from_fn(rest::retired_guard))
        .layer(middleware::from_fn_with_state(
            org.clone(),
            fleet_api::count_request,
        ))
        .layer(middleware::from_fn_with_state(org.clone(), faults::inject))
        .layer(middleware::from_fn_with_state(
            org.clone(),
            answers::legacy_hosts,
        ))
        .with_state(org);
    if log {
        app = app.layer(middleware::from_fn(log_request));
    }
    // Runs before the routes are matched: the outer router has none of its own.
    Router::new()
        .fallback_service(app)
        .layer(middleware::from_fn(collapse_slashes))
}

/// `//services/data` is served as `/services/data`: the Salesforce CLI keeps an instance URL
/// with a trailing slash (`https://…/`) and joins paths to it, and works against real orgs, so
/// Salesforce collapses repeated slashes (inferred from the CLI, not documented: a guess).
async fn collapse_slashes(mut req: axum::extract::Request, next: middleware::Next) -> Response {
    if req.uri().path().contains("//") {
        let mut path = String::with_capacity(req.uri().path().len());
        for c in req.uri().path().chars() {
            if !(c == '/' && path.ends_with('/')) {
                path.push(c);
            }
        }
        let pq = match req.uri().query() {
            Some(q) => format!("{path}?{q}"),
            None => path,
        };
        if let Ok(uri) = pq.parse::<axum::http::Uri>() {
            *req.uri_mut() = uri;
        }
    }
    next.run(req).await
}

async fn not_found() -> Response {
    wire::sf_error(
        axum::http::StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "The requested resource does not exist",
    )
}

/// `POST /_sim/clock?advance_secs=N`: moves the org's clock forward (token and code expiry
/// without waiting). Not a Salesforce endpoint.
async fn advance_clock(
    State(org): State<Arc<Org>>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let secs: u64 = q
        .get("advance_secs")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut inner = org.lock();
    inner.clock_offset_ms = inner
        .clock_offset_ms
        .saturating_add(secs.saturating_mul(1000));
    axum::Json(serde_json::json!({"clock_offset_secs": inner.clock_offset_ms / 1000}))
        .into_response()
}

/// `GET /_sim/state`: counters for tests and curious users. Not a Salesforce endpoint.
async fn sim_state(State(org): State<Arc<Org>>) -> Response {
    let by_user = fleet_api::requests_by_user(&org);
    let grants = fleet_api::integration_grants(&org);
    let inner = org.lock();
    axum::Json(serde_json::json!({
        "requests_total": inner.requests_total,
        "requests_by_user": by_user,
        "integration_grants": grants,
        "api_used": inner.api_used,
        "daily_api_allocation": org.scenario.org.daily_api_allocation,
        "requests": inner.requests,
        "access_tokens": inner.access.len(),
        "refresh_tokens": inner.refresh.len(),
        "pay_details_posted": inner.pay_details_posted,
        "login_history": inner.record.logins.len(),
        "oauth_grants": inner.record.grants.len(),
        "frozen_users": inner.record.frozen.len(),
    }))
    .into_response()
}

/// One stderr line per request: method, path (no query: it may hold codes), status, time.
async fn log_request(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let started = Instant::now();
    let resp = next.run(req).await;
    eprintln!(
        "{method} {path} -> {} ({} ms)",
        resp.status().as_u16(),
        started.elapsed().as_millis()
    );
    resp
}
