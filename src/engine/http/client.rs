//! The recording client: sends, captures each exchange redacted into the log, caps the
//! response, shares one budget of response bytes held at once.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::events::{ExchangeEvent, Listener};
use super::exchange::*;
use super::log::Log;
use super::redact::*;
use super::*;
use crate::engine::bounds;
use crate::engine::sanitize;

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
    events: Listener,
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
    /// A client with a `timeout`, sending its exchange events to `events` (a [`Listener`], or
    /// anything that converts to one: a run's event channel, `None`).
    pub fn new(timeout: Duration, events: impl Into<Listener>) -> Result<Client, SetupError> {
        Client::build(timeout, Duration::from_secs(10), &[], &[], events.into())
    }

    pub(crate) fn build(
        timeout: Duration,
        connect_timeout: Duration,
        ca_pems: &[String],
        insecure_hosts: &[String],
        events: Listener,
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
            events: Listener::none(),
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
            events: Listener::none(),
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
        builder = builder.tls_backend_preconfigured(crate::engine::tls::client_config(
            ca_pems,
            insecure_hosts,
            crate::engine::tls::roots(),
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

    fn emit(&self, e: ExchangeEvent) {
        self.events.emit(e);
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
        let started_unix_ms = crate::engine::clock::now_ms();
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
        self.emit(ExchangeEvent::Sent {
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
            Ok(r) => self.emit(ExchangeEvent::Received {
                id,
                status: Some(r.status),
                duration_ms: duration.as_millis() as u64,
                bytes: r.body.len(),
            }),
            Err(_) => self.emit(ExchangeEvent::Received {
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn scrubs_registered_secrets_everywhere() {
        let c = Client::new(Duration::from_secs(1), None).unwrap();
        c.add_secret("p@ss word!");
        assert_eq!(
            c.scrub("pw=p%40ss+word%21 and p@ss word!"),
            format!("pw={REDACTED} and {REDACTED}")
        );
    }
}
