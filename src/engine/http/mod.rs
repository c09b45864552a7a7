//! The one HTTP client every step uses. It records each exchange in a bounded log, with
//! secrets redacted at capture: by name (Authorization headers, `client_secret`, `password`,
//! `code`, `code_verifier`, `assertion`, tokens in query strings, forms and JSON bodies) and by
//! value (every secret the run was given or received is scrubbed from all captured text).
//!
//! - `exchange.rs`: what one exchange is (the request, the response, the failure, the log's
//!   entry and its shared body text).
//! - `client.rs`: the recording [`Client`] (sending, the response cap, the shared budget, the
//!   one retry of a GET on a closed kept-alive connection).
//! - `log.rs`: the bounded log (folding bulk paging, the body budget).
//! - `redact.rs`: redaction by name, at capture.
//! - `events.rs`: the client's own exchange events ([`ExchangeEvent`]) and where they go
//!   ([`Listener`]); the client knows no run: a run adapts them to its events.

mod client;
mod events;
mod exchange;
mod log;
mod redact;

pub use client::Client;
pub(crate) use client::error_chain;
pub use events::{ExchangeEvent, Listener};
pub use exchange::{Bearer, Body, BodyText, Exchange, Failure, Request, Response, SetupError};
pub use redact::{REDACTED, redact_body, redact_header, redact_json, redact_url};

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
