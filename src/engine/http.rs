//! The one HTTP client every step uses. It records each exchange in a bounded log, with
//! secrets redacted at capture: by name (Authorization headers, `client_secret`, `password`,
//! `code`, `code_verifier`, `assertion`, tokens in query strings, forms and JSON bodies) and by
//! value (every secret the run was given or received is scrubbed from all captured text).

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;

use super::bounds;
use super::model::Event;
use super::sanitize;

pub const REDACTED: &str = "[REDACTED]";
/// Query and form parameters whose values are secrets.
const SECRET_PARAMS: &[&str] = &[
    "client_secret",
    "password",
    "code",
    "code_verifier",
    "assertion",
    "refresh_token",
    "access_token",
    "token",
    "device_code",
    "client_assertion",
    "sid",
];
/// JSON keys whose values are secrets. (Not `code`: error bodies use it for error codes, and
/// authorization codes never travel in JSON; the by-value scrub catches them anywhere.)
const SECRET_JSON_KEYS: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "device_code",
    "client_secret",
    "password",
    "assertion",
    "code_verifier",
    "token",
    // OauthToken's secrets: DeleteToken revokes the grant.
    "DeleteToken",
    "AccessToken",
    "RequestToken",
];
/// Most exchanges kept in the log.
pub const LOG_CAPACITY: usize = 2_000;
/// Folded exchanges (bulk paging) summarised per log entry: a million employees in pages of 200
/// take 50 entries, so bulk paging never evicts the evidence findings point at.
pub const FOLD_EVERY: u64 = 100;
/// The default cap on a response body read from the network (`--max-response-mb`).
pub const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;
/// Bytes of bodies the log holds in all: past it, the largest bodies of older entries are dropped
/// (largest first, so that the small ones findings cite stay; never the newest).
pub const LOG_BODY_BUDGET: usize = 64 * 1024 * 1024;

/// Bytes the log keeps of one body (1/32 of the read cap): its first bytes, marked
/// `body_truncated` when there were more (a response cut at the cap too, as evidence).
/// Salesforce's and Sage People's answers to the checks are a few KB; a page of 200 employees
/// about 110 KB.
pub const LOG_BODY_KEPT: usize = 1024 * 1024;
/// Bodies up to this size are parsed to redact them by name (and kept as compact JSON); larger
/// ones are redacted as text ([`redact_body`]).
pub const PARSE_LIMIT: usize = 4 * 1024 * 1024;

/// A captured body, held once: clones share one allocation (the log, `exchange(id)`, the
/// inspector). It reads as a `&str` and serialises as a plain JSON string.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct BodyText(Arc<str>);

impl BodyText {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for BodyText {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for BodyText {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for BodyText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
    }
}

impl std::fmt::Display for BodyText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<String> for BodyText {
    fn from(s: String) -> BodyText {
        BodyText(Arc::from(s))
    }
}

impl From<&str> for BodyText {
    fn from(s: &str) -> BodyText {
        BodyText(Arc::from(s))
    }
}

impl PartialEq<str> for BodyText {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for BodyText {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl Serialize for BodyText {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Exchange {
    pub id: u64,
    pub method: String,
    pub url: String,
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<BodyText>,
    pub status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    pub response_body: Option<BodyText>,
    pub response_bytes: usize,
    pub body_truncated: bool,
    /// The bodies were dropped from the log to bound its memory ([`LOG_BODY_BUDGET`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub body_dropped: bool,
    pub duration_ms: u64,
    pub started_unix_ms: u64,
    pub error: Option<String>,
    /// Set on an entry that stands for several folded exchanges (bulk paging): what they were.
    /// The entry itself is the last of them, with the others' bytes and time added.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

/// Why the HTTP client could not be set up (before any request).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    #[error("a CA certificate is not PEM: {0}")]
    CaNotPem(String),
    #[error("a CA certificate file holds no certificate")]
    NoCertificate,
    #[error("cannot load the system's trust store: {0}")]
    TrustStore(String),
    #[error("TLS set-up failed: {0}")]
    Tls(String),
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
}

/// Why an exchange produced no usable response.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    Timeout,
    Dns(String),
    Connect(String),
    Tls(String),
    /// The body was cut off (connection reset, truncated).
    Body(String),
    /// The body went past the cap: `read` bytes were read, `declared` is the Content-Length.
    TooLarge {
        read: usize,
        declared: Option<u64>,
        cap: usize,
        /// The cap passed was the budget of bodies held at once, not one body's.
        budget: bool,
    },
    Other(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Timeout => write!(f, "no answer within the time-out"),
            Failure::Dns(m) => write!(f, "DNS lookup failed: {m}"),
            Failure::Connect(m) => write!(f, "connection failed: {m}"),
            Failure::Tls(m) => write!(f, "TLS certificate not trusted: {m}"),
            Failure::Body(m) => write!(f, "the response was cut off: {m}"),
            Failure::TooLarge {
                read,
                budget: true,
                cap,
                ..
            } => write!(
                f,
                "the answers being read at once went past sagediag's {cap}-byte memory budget (twice --max-response-mb, at least 64 MiB); read {read} bytes of this one and stopped"
            ),
            Failure::TooLarge {
                read,
                declared,
                cap,
                ..
            } => match declared {
                Some(n) if *n as usize > *read => write!(
                    f,
                    "the response declares {n} bytes, more than the {cap}-byte cap (--max-response-mb); read {read} bytes and stopped"
                ),
                _ => write!(
                    f,
                    "the response went past the {cap}-byte cap (--max-response-mb); read {read} bytes and stopped"
                ),
            },
            Failure::Other(m) => write!(f, "{m}"),
        }
    }
}

pub struct Response {
    pub id: u64,
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
    pub duration: Duration,
    /// The body's share of the client's budget of bytes held at once ([`bounds::Budget`]),
    /// given back when the response is dropped. Default for a response built by hand.
    pub held: bounds::Held,
}

impl Response {
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn is_html(&self) -> bool {
        self.header("content-type")
            .is_some_and(|c| c.contains("html"))
            || self
                .body
                .iter()
                .skip_while(|b| b.is_ascii_whitespace())
                .take(1)
                .any(|b| *b == b'<')
    }
}

pub enum Body {
    Form(Vec<(String, String)>),
    Json(Value),
}

pub struct Request {
    pub method: reqwest::Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Body>,
    /// Keep the response body in the log (off for bulk paging: only its size is kept).
    pub keep_body: bool,
    /// Bulk paging: kept in the log only when it fails; otherwise folded with its neighbours
    /// into one summary entry per [`FOLD_EVERY`] (see [`Client::flush_folded`]).
    pub fold: bool,
    /// The bearer token's `Authorization` header, logged as `Bearer [REDACTED]`.
    pub auth: Option<Bearer>,
}

/// An `Authorization: Bearer …` header built once from a token and shared by every request
/// that sends it (the probes, the org queries, each coverage page): a clone is a reference
/// count, not a copy of the token. Marked sensitive (never in `Debug`).
#[derive(Clone)]
pub struct Bearer(Option<reqwest::header::HeaderValue>);

impl Bearer {
    pub fn new(token: &str) -> Bearer {
        let value = reqwest::header::HeaderValue::try_from(format!("Bearer {token}"))
            .ok()
            .map(|mut v| {
                v.set_sensitive(true);
                v
            });
        Bearer(value)
    }
}

impl std::fmt::Debug for Bearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bearer({REDACTED})")
    }
}

impl Request {
    pub fn get(url: impl Into<String>) -> Request {
        Request {
            method: reqwest::Method::GET,
            url: url.into(),
            headers: Vec::new(),
            body: None,
            keep_body: true,
            fold: false,
            auth: None,
        }
    }
    pub fn post_form(url: impl Into<String>, form: &[(&str, &str)]) -> Request {
        let form = form
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Request {
            method: reqwest::Method::POST,
            url: url.into(),
            headers: Vec::new(),
            body: Some(Body::Form(form)),
            keep_body: true,
            fold: false,
            auth: None,
        }
    }
    pub fn post_json(url: impl Into<String>, body: Value) -> Request {
        Request {
            method: reqwest::Method::POST,
            url: url.into(),
            headers: Vec::new(),
            body: Some(Body::Json(body)),
            keep_body: true,
            fold: false,
            auth: None,
        }
    }
    pub fn bearer(mut self, token: &str) -> Request {
        self.auth = Some(Bearer::new(token));
        self
    }
    /// `Authorization` from a header built once ([`Bearer`]): a clone shares its bytes.
    pub fn auth(mut self, bearer: &Bearer) -> Request {
        self.auth = Some(bearer.clone());
        self
    }
    pub fn with_method(mut self, method: reqwest::Method) -> Request {
        self.method = method;
        self
    }
    pub fn without_body_in_log(mut self) -> Request {
        self.keep_body = false;
        self
    }
    /// Folded into a summary entry of the log unless it fails (bulk paging).
    pub fn folded(mut self) -> Request {
        self.fold = true;
        self
    }
    pub fn header(mut self, name: &str, value: &str) -> Request {
        self.headers.push((name.into(), value.into()));
        self
    }
}

#[derive(Default)]
struct Log {
    entries: VecDeque<Exchange>,
    next_id: u64,
    /// Folded exchanges not yet summarised in an entry.
    fold: Option<Fold>,
}

/// Successful folded exchanges waiting for their summary entry.
struct Fold {
    first_id: u64,
    count: u64,
    bytes: usize,
    started_unix_ms: u64,
    ended_unix_ms: u64,
    /// How many answered with each status.
    statuses: std::collections::BTreeMap<u16, u64>,
    /// The last of them: the summary entry shows it.
    last: Exchange,
}

impl Log {
    fn push(&mut self, entry: Exchange) {
        let id = entry.id;
        self.entries.push_back(entry);
        while self.entries.len() > LOG_CAPACITY {
            self.entries.pop_front();
        }
        self.bound_bodies(id, LOG_BODY_BUDGET);
    }

    /// Keeps the bodies the log holds within `budget` bytes: drops the largest bodies first (the
    /// oldest among equals), so that the small ones findings cite as evidence stay, and never
    /// those of entry `keep` (the one just written) or of the newest entry.
    fn bound_bodies(&mut self, keep: u64, budget: usize) {
        let size = |e: &Exchange| {
            e.request_body.as_ref().map_or(0, |b| b.len())
                + e.response_body.as_ref().map_or(0, |b| b.len())
        };
        let mut total: usize = self.entries.iter().map(size).sum();
        let newest = self.entries.back().map(|e| e.id);
        while total > budget {
            let victim = self
                .entries
                .iter_mut()
                .filter(|e| e.id != keep && Some(e.id) != newest)
                .filter(|e| size(e) > 0)
                .reduce(|a, b| if size(b) > size(a) { b } else { a });
            let Some(e) = victim else {
                break;
            };
            total -= size(e);
            e.request_body = None;
            e.response_body = None;
            e.body_truncated = true;
            e.body_dropped = true;
        }
    }

    /// Adds a successful folded exchange; every [`FOLD_EVERY`] the summary goes to the log.
    fn fold(&mut self, entry: Exchange) {
        let ended = entry.started_unix_ms + entry.duration_ms;
        let f = self.fold.get_or_insert_with(|| Fold {
            first_id: entry.id,
            count: 0,
            bytes: 0,
            started_unix_ms: entry.started_unix_ms,
            ended_unix_ms: ended,
            statuses: Default::default(),
            last: entry.clone(),
        });
        f.count += 1;
        f.bytes += entry.response_bytes;
        f.ended_unix_ms = f.ended_unix_ms.max(ended);
        *f.statuses.entry(entry.status.unwrap_or(0)).or_insert(0) += 1;
        f.last = entry;
        if f.count >= FOLD_EVERY {
            self.flush_fold();
        }
    }

    /// The pending folded exchanges as one entry.
    fn flush_fold(&mut self) {
        let Some(f) = self.fold.take() else {
            return;
        };
        let mut e = f.last;
        if f.count > 1 {
            let statuses = f
                .statuses
                .iter()
                .map(|(s, n)| format!("HTTP {s} x{n}"))
                .collect::<Vec<_>>()
                .join(", ");
            e.summary = Some(format!(
                "{} requests (#{}-#{}) folded into this entry: {statuses}; {} response bytes in all; shown: the last of them",
                f.count, f.first_id, e.id, f.bytes
            ));
            e.started_unix_ms = f.started_unix_ms;
            e.duration_ms = f.ended_unix_ms - f.started_unix_ms;
            e.response_bytes = f.bytes;
        }
        self.push(e);
    }
}

/// The recording client. Cheap to clone; clones share the log and the secret list.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    /// What `http` was built from, to build another like it ([`Client::with_own_connections`]).
    setup: Arc<Setup>,
    max_response: usize,
    /// Response bytes held at once, shared by clones (and by [`Client::with_own_connections`]).
    budget: bounds::Budget,
    log: Arc<Mutex<Log>>,
    secrets: Arc<Mutex<Vec<Secret>>>,
    events: Option<UnboundedSender<Event>>,
}

/// A secret value to scrub, with its searcher built once (every captured line is searched for
/// every secret: thousands of times in a coverage run).
struct Secret {
    text: String,
    finder: memchr::memmem::Finder<'static>,
}

impl Secret {
    fn new(text: String) -> Secret {
        let finder = memchr::memmem::Finder::new(text.as_bytes()).into_owned();
        Secret { text, finder }
    }
}

/// The settings of a client's HTTP stack.
struct Setup {
    timeout: Duration,
    connect_timeout: Duration,
    ca_pems: Vec<String>,
    insecure_hosts: Vec<String>,
    /// How long an idle kept-alive connection is kept (None: reqwest's default, 90 s).
    pool_idle: Option<Duration>,
}

impl Client {
    pub fn new(
        timeout: Duration,
        events: Option<UnboundedSender<Event>>,
    ) -> Result<Client, SetupError> {
        Client::build(timeout, Duration::from_secs(10), &[], &[], events)
    }

    /// The client a run's configuration asks for: its time-out and extra trusted CAs.
    pub fn for_config(
        cfg: &super::model::Config,
        events: Option<UnboundedSender<Event>>,
    ) -> Result<Client, SetupError> {
        Client::build(
            cfg.timeout,
            cfg.connect_timeout,
            &cfg.ca_certs_pem,
            &cfg.insecure_hosts,
            events,
        )
        .map(|c| c.with_max_response(cfg.max_response_bytes))
    }

    fn build(
        timeout: Duration,
        connect_timeout: Duration,
        ca_pems: &[String],
        insecure_hosts: &[String],
        events: Option<UnboundedSender<Event>>,
    ) -> Result<Client, SetupError> {
        let setup = Setup {
            timeout,
            connect_timeout,
            ca_pems: ca_pems.to_vec(),
            insecure_hosts: insecure_hosts.to_vec(),
            pool_idle: None,
        };
        Ok(Client {
            http: Client::reqwest(&setup)?,
            setup: Arc::new(setup),
            max_response: MAX_RESPONSE_BYTES,
            budget: bounds::Budget::for_cap(MAX_RESPONSE_BYTES),
            log: Arc::default(),
            secrets: Arc::default(),
            events,
        })
    }

    /// A client for many hosts at once (`sagediag watch`: one org after another): idle
    /// connections are closed after `idle`, so a fleet of a thousand orgs does not keep a
    /// thousand connections (and their buffers) open between its orgs' cycles.
    pub fn for_fleet(timeout: Duration, idle: Duration) -> Result<Client, SetupError> {
        let setup = Setup {
            timeout,
            connect_timeout: Duration::from_secs(10),
            ca_pems: Vec::new(),
            insecure_hosts: Vec::new(),
            pool_idle: Some(idle),
        };
        Ok(Client {
            http: Client::reqwest(&setup)?,
            setup: Arc::new(setup),
            max_response: MAX_RESPONSE_BYTES,
            budget: bounds::Budget::for_cap(MAX_RESPONSE_BYTES),
            log: Arc::default(),
            secrets: Arc::default(),
            events: None,
        })
    }

    /// The same client (its log, secrets and events shared) on connections of its own: for work
    /// on another thread's runtime, whose connections are driven there and not here.
    pub fn with_own_connections(&self) -> Result<Client, SetupError> {
        Ok(Client {
            http: Client::reqwest(&self.setup)?,
            ..self.clone()
        })
    }

    /// The same HTTP stack (connections, TLS, time-outs and the budget of bytes held at once)
    /// with a log and a list of secrets of its own: for `sagediag watch`, where many orgs'
    /// cycles share one connection pool but each keeps its own evidence and secrets.
    pub fn with_own_log(&self) -> Client {
        Client {
            log: Arc::default(),
            secrets: Arc::default(),
            events: None,
            ..self.clone()
        }
    }

    fn reqwest(setup: &Setup) -> Result<reqwest::Client, SetupError> {
        Client::reqwest_with(setup, false)
    }

    /// The HTTP stack of `setup`; `fresh`: one that keeps no idle connection (each request on
    /// a new one).
    fn reqwest_with(setup: &Setup, fresh: bool) -> Result<reqwest::Client, SetupError> {
        let Setup {
            timeout,
            connect_timeout,
            ca_pems,
            insecure_hosts,
            pool_idle,
        } = setup;
        let (timeout, connect_timeout) = (*timeout, *connect_timeout);
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(connect_timeout.min(timeout))
            .timeout(timeout)
            .user_agent(concat!("sagediag/", env!("CARGO_PKG_VERSION")));
        if fresh {
            builder = builder.pool_max_idle_per_host(0);
        }
        if let Some(idle) = pool_idle {
            builder = builder.pool_idle_timeout(*idle);
        }
        // One preconfigured TLS config: the roots (the platform's, or bundled public roots on a
        // machine with none), the extra CAs and any host exemption (src/engine/tls.rs).
        builder = builder.tls_backend_preconfigured(super::tls::client_config(
            ca_pems,
            insecure_hosts,
            super::tls::roots(),
        )?);
        builder
            .build()
            .map_err(|e| SetupError::Client(e.to_string()))
    }

    /// The same client reading at most `bytes` of each response body.
    pub fn with_max_response(mut self, bytes: usize) -> Client {
        self.max_response = bytes.max(1024);
        if self.budget.bytes() < self.max_response.saturating_mul(2) {
            self.budget = bounds::Budget::for_cap(self.max_response);
        }
        self
    }

    /// Response bytes of the budget not held now (tests and benches).
    pub fn budget_available(&self) -> usize {
        self.budget.available()
    }

    /// Registers a secret value: it is scrubbed from everything captured from now on.
    pub fn add_secret(&self, s: &str) {
        let s = s.trim();
        if s.len() >= 6 {
            let mut secrets = self.secrets.lock().unwrap_or_else(|e| e.into_inner());
            if !secrets.iter().any(|x| x.text == s) {
                secrets.push(Secret::new(s.to_string()));
                // Also the URL-encoded form, as it appears in query strings and forms.
                let enc: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
                if enc != s {
                    secrets.push(Secret::new(enc));
                }
            }
        }
    }

    /// Scrubs every registered secret from a text.
    pub fn scrub(&self, text: &str) -> String {
        self.scrubbed(text).into_owned()
    }

    /// [`Client::scrub`], borrowing `text` when it holds no secret (no copy of a clean body).
    fn scrubbed<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let secrets = self.secrets.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Cow::Borrowed(text);
        for s in secrets.iter() {
            if s.finder.find(out.as_bytes()).is_some() {
                out = Cow::Owned(out.replace(s.text.as_str(), REDACTED));
            }
        }
        out
    }

    /// A captured single-line value (URL, header): secrets scrubbed, then sanitised.
    fn capture_line(&self, text: &str) -> String {
        sanitize::line(&self.scrubbed(text)).into_owned()
    }

    /// A captured body: secrets scrubbed, then sanitised (lines kept). A clean body is copied
    /// once, into the log's shared allocation.
    fn capture_text(&self, text: &str) -> BodyText {
        let scrubbed = self.scrubbed(text);
        BodyText::from(sanitize::text(&scrubbed).as_ref())
    }

    /// Reads the request log in place (no copy of its bodies), the log locked meanwhile.
    pub fn with_exchanges<R>(&self, read: impl FnOnce(&VecDeque<Exchange>) -> R) -> R {
        read(&self.log.lock().unwrap_or_else(|e| e.into_inner()).entries)
    }

    pub fn exchanges(&self) -> Vec<Exchange> {
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entries
            .iter()
            .cloned()
            .collect()
    }

    /// Writes the folded exchanges not yet summarised as their entry (at the end of bulk paging).
    pub fn flush_folded(&self) {
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .flush_fold();
    }

    pub fn exchange(&self, id: u64) -> Option<Exchange> {
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entries
            .iter()
            .find(|e| e.id == id)
            .cloned()
    }

    fn emit(&self, e: Event) {
        if let Some(tx) = &self.events {
            let _ = tx.send(e.sanitized());
        }
    }

    /// Sends a built request. A GET whose kept-alive connection the server closed before the
    /// answer's head came back (hyper's "connection closed before message completed": a server
    /// that timed the idle connection out as the request went out) is sent once more, on a
    /// fresh connection; a GET changes nothing, so sending it twice is safe. Nothing else is
    /// sent twice.
    async fn execute(
        &self,
        builder: reqwest::RequestBuilder,
        id: u64,
    ) -> Result<reqwest::Response, reqwest::Error> {
        let request = builder.build()?;
        let again = (request.method() == reqwest::Method::GET)
            .then(|| request.try_clone())
            .flatten();
        match (self.http.execute(request).await, again) {
            (Err(e), Some(again)) if closed_before_the_answer(&e) => {
                tracing::info!(
                    id,
                    "the server closed the kept-alive connection before answering; sending the GET again on a fresh connection"
                );
                match Client::reqwest_with(&self.setup, true) {
                    Ok(fresh) => fresh.execute(again).await,
                    Err(_) => Err(e),
                }
            }
            (result, _) => result,
        }
    }

    pub async fn send(&self, req: Request) -> (u64, Result<Response, Failure>) {
        let started = Instant::now();
        let started_unix_ms = super::clock::now_ms();
        let method = req.method.to_string();
        let mut builder = self.http.request(req.method.clone(), &req.url);
        let mut req_headers = req.headers.clone();
        for (k, v) in &req.headers {
            builder = builder.header(k, v);
        }
        if let Some(Bearer(auth)) = &req.auth {
            req_headers.push(("Authorization".into(), format!("Bearer {REDACTED}")));
            builder = match auth {
                Some(v) => builder.header(reqwest::header::AUTHORIZATION, v.clone()),
                // A token no header can carry (a control character): the request fails to
                // build, as any invalid header does.
                None => builder.header("Authorization", "\n"),
            };
        }
        let keep_body = req.keep_body;
        let fold = req.fold;
        // A folded exchange is held here until its answer says whether it goes to the log.
        let mut held: Option<Exchange> = None;
        let body_text = match &req.body {
            Some(Body::Form(form)) => {
                let encoded: String = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(form)
                    .finish();
                req_headers.push((
                    "Content-Type".into(),
                    "application/x-www-form-urlencoded".into(),
                ));
                builder = builder
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(encoded);
                Some(redact_form(form))
            }
            Some(Body::Json(v)) => {
                req_headers.push(("Content-Type".into(), "application/json".into()));
                builder = builder
                    .header("Content-Type", "application/json")
                    .body(v.to_string());
                Some(redact_json_text(&v.to_string()))
            }
            None => None,
        };
        let logged_url = self.capture_line(&redact_url(&req.url));
        let id = {
            let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
            log.next_id += 1;
            let id = log.next_id;
            let entry = Exchange {
                id,
                method: method.clone(),
                url: logged_url.clone(),
                request_headers: req_headers
                    .iter()
                    .map(|(k, v)| (k.clone(), self.capture_line(&redact_header(k, v))))
                    .collect(),
                request_body: body_text.map(|b| self.capture_text(&b)),
                status: None,
                response_headers: Vec::new(),
                response_body: None,
                response_bytes: 0,
                body_truncated: false,
                body_dropped: false,
                duration_ms: 0,
                started_unix_ms,
                error: None,
                summary: None,
            };
            if fold {
                held = Some(entry);
            } else {
                log.push(entry);
            }
            id
        };
        tracing::debug!(id, method = %method, url = %logged_url, "request sent");
        self.emit(Event::RequestSent {
            id,
            method: method.clone(),
            url: logged_url,
        });
        // An oversized body is read only up to the cap; its status, headers and first bytes
        // still go to the log as the evidence.
        let mut oversized: Option<Response> = None;
        let result = match self.execute(builder, id).await {
            Err(e) => Err(classify_error(&e)),
            Ok(resp) => {
                let status = resp.status().as_u16();
                let headers = resp.headers().clone();
                match bounds::read_capped(resp, self.max_response, &self.budget).await {
                    Ok((body, held)) => Ok(Response {
                        id,
                        status,
                        headers,
                        body,
                        duration: started.elapsed(),
                        held,
                    }),
                    Err((partial, held, failure)) => {
                        if matches!(failure, Failure::TooLarge { .. }) {
                            oversized = Some(Response {
                                id,
                                status,
                                headers,
                                body: partial,
                                duration: started.elapsed(),
                                held,
                            });
                        }
                        Err(failure)
                    }
                }
            }
        };
        let duration = started.elapsed();
        {
            let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
            // The entry whose body was just kept, to bound the log's bodies after it.
            let mut kept = None;
            let entry = match held.as_mut() {
                Some(e) => Some(e),
                None => log.entries.iter_mut().find(|e| e.id == id),
            };
            if let Some(entry) = entry {
                entry.duration_ms = duration.as_millis() as u64;
                let shown = match (&result, &oversized) {
                    (Ok(r), _) | (Err(_), Some(r)) => Ok(r),
                    (Err(f), None) => Err(f),
                };
                if let (Err(f), Some(_)) = (&result, &oversized) {
                    entry.error = Some(self.capture_line(&f.to_string()));
                }
                match shown {
                    Ok(r) => {
                        entry.status = Some(r.status);
                        entry.response_headers = r
                            .headers
                            .iter()
                            .map(|(k, v)| {
                                let v = String::from_utf8_lossy(v.as_bytes());
                                (
                                    k.to_string(),
                                    self.capture_line(&redact_header(k.as_str(), &v)),
                                )
                            })
                            .collect();
                        entry.response_bytes = r.body.len();
                        // The log keeps the first LOG_BODY_KEPT bytes of each body (the read
                        // cap is 32 times that), marked cut; its budget bounds them all.
                        let keep: &[u8] = match keep_body {
                            false => &[],
                            true => r.body.get(..LOG_BODY_KEPT).unwrap_or(&r.body),
                        };
                        entry.body_truncated = keep.len() < r.body.len() || oversized.is_some();
                        let text = String::from_utf8_lossy(keep);
                        // Whatever the content type says: a token response labelled text/plain,
                        // form-encoded, or cut off mid-document is redacted all the same.
                        entry.response_body = Some(self.capture_text(&redact_body(&text)));
                        kept = Some(id);
                    }
                    Err(f) => entry.error = Some(self.capture_line(&f.to_string())),
                }
            }
            if let (Some(id), None) = (kept, &held) {
                log.bound_bodies(id, LOG_BODY_BUDGET);
            }
            if let Some(entry) = held {
                let ok =
                    entry.error.is_none() && entry.status.is_some_and(|s| (200..300).contains(&s));
                if ok {
                    log.fold(entry);
                } else {
                    // A failure is evidence: kept whole, after what was folded before it.
                    log.flush_fold();
                    log.push(entry);
                }
            }
        }
        match &result {
            Ok(r) => tracing::debug!(
                id,
                status = r.status,
                ms = duration.as_millis() as u64,
                bytes = r.body.len(),
                "response"
            ),
            Err(f) => {
                tracing::info!(id, ms = duration.as_millis() as u64, failure = %sanitize::line(&self.scrub(&f.to_string())), "no response");
            }
        }
        match &result {
            Ok(r) => self.emit(Event::ResponseReceived {
                id,
                status: Some(r.status),
                duration_ms: duration.as_millis() as u64,
                bytes: r.body.len(),
            }),
            Err(_) => self.emit(Event::ResponseReceived {
                id,
                status: None,
                duration_ms: duration.as_millis() as u64,
                bytes: 0,
            }),
        }
        (id, result)
    }
}

/// Whether a request failed because the connection closed before the answer's head was read
/// (hyper's incomplete message), not for any other reason.
fn closed_before_the_answer(e: &reqwest::Error) -> bool {
    let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = src {
        if let Some(h) = s.downcast_ref::<hyper::Error>() {
            return h.is_incomplete_message();
        }
        src = s.source();
    }
    false
}

pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut src = e.source();
    while let Some(s) = src {
        parts.push(s.to_string());
        src = s.source();
    }
    parts.dedup();
    parts.join(": ")
}

fn classify_error(e: &reqwest::Error) -> Failure {
    let chain = error_chain(e);
    let lower = chain.to_ascii_lowercase();
    if e.is_timeout() || lower.contains("timed out") {
        Failure::Timeout
    } else if lower.contains("certificate")
        || lower.contains("unknownissuer")
        || lower.contains("invalid peer")
    {
        Failure::Tls(chain)
    } else if lower.contains("dns")
        || lower.contains("failed to lookup")
        || lower.contains("name or service not known")
    {
        Failure::Dns(chain)
    } else if e.is_connect() {
        Failure::Connect(chain)
    } else if lower.contains("incomplete") || lower.contains("reset") || lower.contains("closed") {
        Failure::Body(chain)
    } else {
        Failure::Other(chain)
    }
}

pub fn redact_header(name: &str, value: &str) -> String {
    match name.to_ascii_lowercase().as_str() {
        "authorization" | "proxy-authorization" => match value.split_once(' ') {
            Some((scheme, _)) => format!("{scheme} {REDACTED}"),
            None => REDACTED.into(),
        },
        "cookie" | "set-cookie" => REDACTED.into(),
        // A redirect carries the authorization code (or a token) in its query.
        "location" | "content-location" | "refresh" => redact_url(value),
        _ => value.to_string(),
    }
}

fn is_secret_param(k: &str) -> bool {
    SECRET_PARAMS.iter().any(|s| s.eq_ignore_ascii_case(k))
}

pub fn redact_url(url: &str) -> String {
    let Ok(mut u) = url::Url::parse(url) else {
        return url.to_string();
    };
    if u.query().is_none() {
        return url.to_string();
    }
    let pairs: Vec<(String, String)> = u
        .query_pairs()
        .map(|(k, v)| {
            let v = if is_secret_param(&k) {
                REDACTED.to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    u.query_pairs_mut().clear().extend_pairs(pairs);
    u.to_string()
}

fn redact_form(form: &[(String, String)]) -> String {
    form.iter()
        .map(|(k, v)| {
            let v = if is_secret_param(k) {
                REDACTED
            } else {
                v.as_str()
            };
            format!(
                "{k}={}",
                url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

pub fn redact_json(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                if SECRET_JSON_KEYS.iter().any(|s| s == k) && !val.is_null() {
                    *val = Value::from(REDACTED);
                } else {
                    redact_json(val);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

/// A captured body with its secrets redacted by name: a JSON document; else (form-encoded, cut
/// off, mislabelled) every `"key": "value"` and `key=value` of a secret name.
///
/// A body over [`PARSE_LIMIT`] is redacted as text (no `Value` of it: that would take ten times
/// its size), as bodies cut at the log's old 4 MiB limit always were.
///
/// A body in which no secret name can occur (no `"name"`, no `name=`, no `\u` escape that could
/// spell a JSON key) is returned as it is, borrowed: neither parsed nor copied.
pub fn redact_body(text: &str) -> Cow<'_, str> {
    if !may_name_a_secret(text) {
        return Cow::Borrowed(text);
    }
    if text.len() > PARSE_LIMIT {
        return Cow::Owned(redact_fragments(text));
    }
    if let Ok(mut v) = serde_json::from_str::<Value>(text) {
        redact_json(&mut v);
        return Cow::Owned(v.to_string());
    }
    Cow::Owned(redact_fragments(text))
}

/// Whether `text` holds a pattern [`redact_fragments`] or [`redact_json`] acts on: a secret
/// name quoted or followed by `=`, or a `\u` escape (with which a JSON key can spell a name).
fn may_name_a_secret(text: &str) -> bool {
    static PATTERNS: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        SECRET_JSON_KEYS
            .iter()
            .chain(SECRET_PARAMS)
            .flat_map(|k| [format!("\"{k}\""), format!("{k}=")])
            .collect()
    });
    text.contains("\\u") || PATTERNS.iter().any(|p| text.contains(p.as_str()))
}

/// Redacts secret values in text that does not parse: `"access_token" : "…` up to the closing
/// quote (or the end of a cut-off text), and `access_token=…` up to `&` or whitespace.
fn redact_fragments(text: &str) -> String {
    let mut out = text.to_string();
    for key in SECRET_JSON_KEYS.iter().chain(SECRET_PARAMS) {
        for pattern in [format!("\"{key}\""), format!("{key}=")] {
            let mut from = 0;
            while let Some(at) = out.get(from..).and_then(|rest| rest.find(&pattern)) {
                let key_end = from + at + pattern.len();
                // A parameter name must start a field (`&key=`, `?key=`, line start).
                if pattern.ends_with('=') {
                    let before = out.get(..from + at).and_then(|b| b.chars().last());
                    if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                        from = key_end;
                        continue;
                    }
                }
                let Some(rest) = out.get(key_end..) else {
                    break;
                };
                let (start, end) = if pattern.ends_with('=') {
                    let len = rest
                        .find(|c: char| c == '&' || c.is_whitespace() || c == '"')
                        .unwrap_or(rest.len());
                    (key_end, key_end + len)
                } else {
                    let trimmed = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ':');
                    let Some(value) = trimmed.strip_prefix('"') else {
                        from = key_end;
                        continue;
                    };
                    let start = key_end + (rest.len() - value.len());
                    let mut len = value.len();
                    let mut escaped = false;
                    for (i, c) in value.char_indices() {
                        match c {
                            '\\' if !escaped => escaped = true,
                            '"' if !escaped => {
                                len = i;
                                break;
                            }
                            _ => escaped = false,
                        }
                    }
                    (start, start + len)
                };
                if out
                    .get(start..end)
                    .is_some_and(|v| !v.is_empty() && v != REDACTED)
                {
                    out.replace_range(start..end, REDACTED);
                }
                from = start + REDACTED.len().min(out.len() - start);
            }
        }
    }
    out
}

fn redact_json_text(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(mut v) => {
            redact_json(&mut v);
            v.to_string()
        }
        Err(_) => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oauth_token_delete_tokens_are_redacted_in_bodies() {
        let body = r#"{"totalSize":1,"done":true,"records":[{"Id":"0CR1","AppName":"StackOne","DeleteToken":"DT-SECRET-1","UseCount":3}]}"#;
        let out = redact_body(body);
        assert!(!out.contains("DT-SECRET-1"), "{out}");
        assert!(out.contains("StackOne") && out.contains(REDACTED), "{out}");
        // Cut off mid-document: redacted as text.
        let cut = r#"{"records":[{"DeleteToken": "DT-SECRET-2", "Id""#;
        assert!(!redact_body(cut).contains("DT-SECRET-2"));
    }

    #[test]
    fn redacts_by_name() {
        assert_eq!(
            redact_url("http://x/cb?code=abc%3D%3D&state=s"),
            "http://x/cb?code=%5BREDACTED%5D&state=s"
        );
        assert_eq!(
            redact_header("Authorization", "Bearer 00D!abc"),
            "Bearer [REDACTED]"
        );
        let form = vec![
            ("client_secret".to_string(), "s3cret".to_string()),
            ("grant_type".to_string(), "password".to_string()),
        ];
        assert_eq!(
            redact_form(&form),
            "client_secret=%5BREDACTED%5D&grant_type=password"
        );
        let mut v = serde_json::json!({"access_token": "x", "nested": [{"refresh_token": "y"}], "id": "keep"});
        redact_json(&mut v);
        assert_eq!(
            v,
            serde_json::json!({"access_token": REDACTED, "nested": [{"refresh_token": REDACTED}], "id": "keep"})
        );
    }

    #[test]
    fn redacts_bodies_that_do_not_parse() {
        let cut = r#"{"access_token": "00Dxx!AQ.secret-token-value", "instance_url": "https://a.my.salesforce.com", "refresh_token":"5Aep8"#;
        let r = redact_body(cut);
        assert!(
            !r.contains("secret-token-value") && !r.contains("5Aep8"),
            "{r}"
        );
        assert!(r.contains("instance_url"));
        let form = "access_token=00Dxx%21AQ.tok&instance_url=https%3A%2F%2Fa&refresh_token=5Aep8x";
        let r = redact_body(form);
        assert!(!r.contains("tok&") && !r.contains("5Aep8x"), "{r}");
        assert_eq!(redact_body("no secrets here"), "no secrets here");
        assert_eq!(redact_body("my_token=keep"), "my_token=keep");
    }

    #[test]
    fn a_body_naming_no_secret_is_kept_as_sent_without_a_copy() {
        let page = r#"{"data":[{"id":"a2G","postalCode":"EC1A","payCode":"X1","reason":"token of thanks"}],"version":"4"}"#;
        assert!(matches!(redact_body(page), Cow::Borrowed(p) if p == page));
        // Pretty-printed as sent stays pretty-printed (it used to come back compact).
        let pretty = "{\n  \"data\": []\n}";
        assert_eq!(redact_body(pretty), pretty);
        // A secret name, or a `\u` escape that could spell one, still goes through redaction.
        let escaped = r#"{"access\u005ftoken":"00Dxx!AQ.hidden","x":1}"#;
        let r = redact_body(escaped);
        assert!(!r.contains("hidden"), "{r}");
        let named = r#"{"refresh_token":"5Aep8-hidden"}"#;
        assert!(!redact_body(named).contains("hidden"));
        assert!(!redact_body("device_code=hidden&x=1").contains("hidden"));
    }

    fn logged(id: u64, body: usize) -> Exchange {
        Exchange {
            id,
            method: "GET".into(),
            url: format!("http://127.0.0.1/{id}"),
            status: Some(200),
            response_body: Some("x".repeat(body).into()),
            response_bytes: body,
            duration_ms: 1,
            ..Exchange::default()
        }
    }

    #[test]
    fn the_log_bounds_its_bodies_largest_first_never_the_newest() {
        let mut log = Log::default();
        // Small evidence, two big pages, small evidence.
        for (id, size) in [(1, 10), (2, 600), (3, 500), (4, 10)] {
            log.entries.push_back(logged(id, size));
        }
        log.bound_bodies(4, 1000);
        let kept: Vec<(u64, bool, bool)> = log
            .entries
            .iter()
            .map(|e| (e.id, e.response_body.is_some(), e.body_dropped))
            .collect();
        assert_eq!(
            kept,
            [
                (1, true, false),
                (2, false, true),
                (3, true, false),
                (4, true, false)
            ]
        );
        assert!(log.entries[1].body_truncated);
        // A body alone over the budget: the newest is kept, the others go.
        log.entries.push_back(logged(5, 2000));
        log.bound_bodies(5, 1000);
        let held: Vec<bool> = log
            .entries
            .iter()
            .map(|e| e.response_body.is_some())
            .collect();
        assert_eq!(held, [false, false, false, false, true]);
        // The entry just written is kept even when it is not the newest one.
        let mut log = Log::default();
        for (id, size) in [(1, 900), (2, 900), (3, 10)] {
            log.entries.push_back(logged(id, size));
        }
        log.bound_bodies(1, 1000);
        assert!(log.entries[0].response_body.is_some() && log.entries[1].body_dropped);
        // Within the budget nothing changes; serialised, a kept entry has no `body_dropped`.
        log.bound_bodies(3, usize::MAX);
        let v = serde_json::to_value(&log.entries[0]).unwrap();
        assert!(v.get("body_dropped").is_none() && v["response_body"].is_string());
        assert_eq!(
            serde_json::to_value(&log.entries[1]).unwrap()["body_dropped"],
            true
        );
    }

    /// Serves `bodies` on loopback, one connection each, in order.
    async fn serve(bodies: Vec<String>) -> std::net::SocketAddr {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            for sent in bodies {
                let (mut s, _) = listener.accept().await.unwrap();
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = s.read(&mut buf).await;
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        sent.len()
                    );
                    let _ = s.write_all(head.as_bytes()).await;
                    let _ = s.write_all(sent.as_bytes()).await;
                });
            }
        });
        addr
    }

    /// A 20 MB body over loopback is read whole; the log keeps its first MiB, marked cut, and
    /// `exchange(id)` shares them.
    #[tokio::test]
    async fn a_big_body_is_read_whole_and_kept_cut_in_the_log() {
        let body = "0123456789 big response line\n".repeat(700_000);
        let addr = serve(vec![body.clone()]).await;
        let c = Client::new(Duration::from_secs(30), None).unwrap();
        let (id, r) = c.send(Request::get(format!("http://{addr}/big"))).await;
        let r = r.unwrap();
        assert_eq!(r.body.len(), body.len());
        assert_eq!(r.held.bytes(), body.len(), "held against the budget");
        assert_eq!(c.budget_available(), bounds::IN_FLIGHT_BUDGET - body.len());
        drop(r);
        assert_eq!(c.budget_available(), bounds::IN_FLIGHT_BUDGET, "given back");
        let e = c.exchange(id).unwrap();
        assert!(e.body_truncated && !e.body_dropped);
        assert_eq!(e.response_bytes, body.len());
        let kept = e.response_body.clone().unwrap();
        assert_eq!(kept.len(), LOG_BODY_KEPT);
        assert!(body.starts_with(kept.as_str()));
        let again = c.exchange(id).unwrap().response_body.unwrap();
        assert!(
            std::ptr::eq(kept.as_str(), again.as_str()),
            "one allocation"
        );
    }

    /// Three 30 MiB answers held at once: the third passes the 64 MiB budget and is refused
    /// (RESPONSE_TOO_LARGE, saying why) instead of waiting; once the others are dropped, it is
    /// read.
    #[tokio::test]
    async fn answers_held_at_once_share_one_budget() {
        let big = "x".repeat(30 * 1024 * 1024);
        let addr = serve(vec![big.clone(), big.clone(), big.clone(), big]).await;
        let c = Client::new(Duration::from_secs(30), None).unwrap();
        let url = format!("http://{addr}/big");
        let (_, a) = c.send(Request::get(url.clone())).await;
        let (_, b) = c.send(Request::get(url.clone())).await;
        let (a, b) = (a.unwrap(), b.unwrap());
        let (id, third) = c.send(Request::get(url.clone())).await;
        let Err(f) = third else {
            panic!("read past the budget")
        };
        assert!(matches!(f, Failure::TooLarge { budget: true, .. }), "{f:?}");
        assert!(f.to_string().contains("memory budget"), "{f}");
        let e = c.exchange(id).unwrap();
        assert!(e.error.unwrap().contains("memory budget"));
        drop((a, b));
        assert_eq!(c.budget_available(), bounds::IN_FLIGHT_BUDGET);
        let (_, fourth) = c.send(Request::get(url)).await;
        assert_eq!(fourth.unwrap().body.len(), 30 * 1024 * 1024);
    }

    #[test]
    fn a_body_clone_shares_its_text_and_serialises_as_a_string() {
        let b: BodyText = "{\"a\":1}".into();
        let c = b.clone();
        assert!(std::ptr::eq(b.as_str(), c.as_str()));
        assert_eq!(serde_json::to_string(&b).unwrap(), r#""{\"a\":1}""#);
    }

    #[test]
    fn scrubs_registered_secrets_everywhere() {
        let c = Client::new(Duration::from_secs(1), None).unwrap();
        c.add_secret("p@ss word!");
        assert_eq!(
            c.scrub("pw=p%40ss+word%21 and p@ss word!"),
            format!("pw={REDACTED} and {REDACTED}")
        );
    }
}
