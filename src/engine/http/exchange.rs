//! What one exchange is: the request, the response, the failure, the log's entry.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::REDACTED;
use crate::engine::bounds;

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
pub struct Bearer(pub(super) Option<reqwest::header::HeaderValue>);

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_clone_shares_its_text_and_serialises_as_a_string() {
        let b: BodyText = "{\"a\":1}".into();
        let c = b.clone();
        assert!(std::ptr::eq(b.as_str(), c.as_str()));
        assert_eq!(serde_json::to_string(&b).unwrap(), r#""{\"a\":1}""#);
    }
}
