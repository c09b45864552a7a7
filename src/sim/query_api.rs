//! The REST query resources: `/query`, `/queryAll` and `/tooling/query`, with paging as
//! Salesforce pages: past the batch size (`Sforce-Query-Options: batchSize=N`, 200 to 2,000,
//! default 2,000) the answer has `done: false` and a `nextRecordsUrl`
//! (`…/query/01g…-2000`); a locator that has expired, was released or never existed answers
//! 400 `INVALID_QUERY_LOCATOR` / `invalid query locator`. A user keeps at most 10 open
//! locators (the oldest is released, as Salesforce does); one lapses after 15 minutes unused.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::crypto::sf_id18;
use super::soql;
use super::state::Org;
use super::tables::tables;
use super::wire::{Caller, not_found, sf_error, version_ok};

/// Salesforce's default and largest batch; the smallest it accepts.
pub const DEFAULT_BATCH: usize = 2_000;
pub const MIN_BATCH: usize = 200;
/// Open locators a user may hold; an 11th releases the oldest.
const MAX_OPEN_PER_USER: usize = 10;
/// Open locators the whole org keeps (a bound on memory; a guess, Salesforce has none known).
const MAX_OPEN: usize = 100;
/// A locator unused this long is released (15 minutes, as Salesforce's query cursors).
const IDLE_MS: u64 = 15 * 60 * 1_000;

/// One open query locator: the rows not yet fetched.
struct Cursor {
    id: String,
    user: usize,
    last_used_ms: u64,
    api_path: String,
    total: usize,
    batch: usize,
    records: Vec<Value>,
}

/// The org's open locators, oldest first.
#[derive(Default)]
pub struct Cursors {
    open: VecDeque<Cursor>,
    opened: u64,
}

pub async fn query(
    State(org): State<Arc<Org>>,
    Path(version): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    axum::Extension(caller): axum::Extension<Caller>,
) -> Response {
    if q.get("columns")
        .is_some_and(|c| c.eq_ignore_ascii_case("true"))
    {
        return columns(&org, &version, q.get("q"), caller, false);
    }
    run_query(&org, &version, q.get("q"), &headers, caller, false)
}

pub async fn tooling_query(
    State(org): State<Arc<Org>>,
    Path(version): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    axum::Extension(caller): axum::Extension<Caller>,
) -> Response {
    if q.get("columns")
        .is_some_and(|c| c.eq_ignore_ascii_case("true"))
    {
        return columns(&org, &version, q.get("q"), caller, true);
    }
    run_query(&org, &version, q.get("q"), &headers, caller, true)
}

/// `GET …/query/{locator}` (and `…/queryAll/…`, `…/tooling/query/…`): the next batch.
pub async fn query_more(
    State(org): State<Arc<Org>>,
    Path((version, locator)): Path<(String, String)>,
    axum::Extension(caller): axum::Extension<Caller>,
) -> Response {
    if !version_ok(&org, &version) {
        return not_found();
    }
    next_batch(&org, &locator, caller)
}

pub async fn tooling_query_more(
    State(org): State<Arc<Org>>,
    Path((version, locator)): Path<(String, String)>,
    axum::Extension(caller): axum::Extension<Caller>,
) -> Response {
    if !version_ok(&org, &version) {
        return not_found();
    }
    next_batch(&org, &locator, caller)
}

fn missing_query() -> Response {
    sf_error(
        StatusCode::BAD_REQUEST,
        "MALFORMED_QUERY",
        "A query string has to be specified",
    )
}

fn columns(
    org: &Org,
    version: &str,
    q: Option<&String>,
    caller: Caller,
    tooling: bool,
) -> Response {
    if !version_ok(org, version) {
        return not_found();
    }
    let Some(text) = q.filter(|t| !t.trim().is_empty()) else {
        return missing_query();
    };
    match soql::columns(
        text,
        &query_tables(org, caller.user, tooling, text),
        super::tables::key_prefix,
    ) {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => sf_error(StatusCode::BAD_REQUEST, e.code, &e.message),
    }
}

/// The tables a query may read: the setup objects and, when the query names it, the Sage
/// People Team Member object (built only then: one row per simulated employee).
fn query_tables(org: &Org, user: usize, tooling: bool, text: &str) -> Vec<soql::Table> {
    let mut out = tables(org, user, tooling);
    super::std_fields::add(&mut out);
    if !tooling
        && text
            .to_ascii_lowercase()
            .contains(super::team_member::OBJECT_LOWER)
        && let Some(t) = super::team_member::table(org, user)
    {
        out.push(t);
    }
    out
}

/// The batch size a request asks for (`Sforce-Query-Options: batchSize=N`), within 200 to
/// 2,000; unreadable or absent, 2,000.
pub fn batch_size(headers: &HeaderMap) -> usize {
    headers
        .get("sforce-query-options")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(',').find_map(|kv| {
                let (k, n) = kv.split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case("batchSize")
                    .then(|| n.trim().parse::<usize>().ok())
                    .flatten()
            })
        })
        .map_or(DEFAULT_BATCH, |n| n.clamp(MIN_BATCH, DEFAULT_BATCH))
}

fn run_query(
    org: &Org,
    version: &str,
    q: Option<&String>,
    headers: &HeaderMap,
    caller: Caller,
    tooling: bool,
) -> Response {
    if !version_ok(org, version) {
        return not_found();
    }
    let Some(q) = q.filter(|q| !q.trim().is_empty()) else {
        return missing_query();
    };
    let api_path = if tooling {
        format!("/services/data/{version}/tooling")
    } else {
        format!("/services/data/{version}")
    };
    // Date keywords (TODAY, LAST_N_DAYS:n) follow the org's clock, which tests may move.
    let today = i64::try_from(org.now_ms() / 86_400_000).unwrap_or(0);
    match soql::run_at(
        q,
        &query_tables(org, caller.user, tooling, q),
        &api_path,
        today,
    ) {
        Ok(v) => axum::Json(page(org, v, batch_size(headers), &api_path, caller)).into_response(),
        Err(e) => sf_error(StatusCode::BAD_REQUEST, e.code, &e.message),
    }
}

/// A full answer cut to its first batch; the rest kept under a new locator.
fn page(org: &Org, mut answer: Value, batch: usize, api_path: &str, caller: Caller) -> Value {
    let Some(records) = answer.get_mut("records").and_then(Value::as_array_mut) else {
        return answer;
    };
    if records.len() <= batch {
        return answer;
    }
    let total = records.len();
    let rest = records.split_off(batch);
    let now = org.now_ms();
    let mut inner = org.lock();
    let cursors = &mut inner.cursors;
    cursors.opened += 1;
    let id = sf_id18(&format!("01g5g{:010}", cursors.opened));
    let next = format!("{api_path}/query/{id}-{batch}");
    cursors.open.push_back(Cursor {
        id,
        user: caller.user,
        last_used_ms: now,
        api_path: api_path.to_string(),
        total,
        batch,
        records: rest,
    });
    let mine = cursors
        .open
        .iter()
        .filter(|c| c.user == caller.user)
        .count();
    if mine > MAX_OPEN_PER_USER
        && let Some(i) = cursors.open.iter().position(|c| c.user == caller.user)
    {
        cursors.open.remove(i);
    }
    while cursors.open.len() > MAX_OPEN {
        cursors.open.pop_front();
    }
    drop(inner);
    if let Some(m) = answer.as_object_mut() {
        m.insert("done".into(), json!(false));
        m.insert("nextRecordsUrl".into(), json!(next));
    }
    answer
}

fn invalid_locator() -> Response {
    sf_error(
        StatusCode::BAD_REQUEST,
        "INVALID_QUERY_LOCATOR",
        "invalid query locator",
    )
}

/// The batch after `{id}-{offset}`: the cursor must be open, the caller's, and at that offset.
fn next_batch(org: &Org, locator: &str, caller: Caller) -> Response {
    let Some((id, offset)) = locator.rsplit_once('-') else {
        return invalid_locator();
    };
    let Ok(offset) = offset.parse::<usize>() else {
        return invalid_locator();
    };
    let now = org.now_ms();
    let mut inner = org.lock();
    let cursors = &mut inner.cursors;
    cursors
        .open
        .retain(|c| now.saturating_sub(c.last_used_ms) < IDLE_MS);
    let Some(i) = cursors
        .open
        .iter()
        .position(|c| c.id == id && c.user == caller.user)
    else {
        return invalid_locator();
    };
    let Some(c) = cursors.open.get_mut(i) else {
        return invalid_locator();
    };
    // The cursor holds the rows from `total - records.len()` on; only the next batch is served.
    let served = c.total - c.records.len();
    if offset != served {
        return invalid_locator();
    }
    c.last_used_ms = now;
    let take = c.batch.min(c.records.len());
    let rest = c.records.split_off(take);
    let batch = std::mem::replace(&mut c.records, rest);
    let mut answer = json!({"totalSize": c.total, "done": c.records.is_empty(), "records": batch});
    if c.records.is_empty() {
        cursors.open.remove(i);
    } else if let Some(m) = answer.as_object_mut() {
        m.insert(
            "nextRecordsUrl".into(),
            json!(format!("{}/query/{}-{}", c.api_path, c.id, offset + take)),
        );
    }
    axum::Json(answer).into_response()
}
