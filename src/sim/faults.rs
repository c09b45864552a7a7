//! Faults a scenario can inject in front of every endpoint: latency with jitter, server
//! errors, a hang, an HTML page (a proxy's or Salesforce's maintenance page), a body that
//! trickles, a body cut off half-way, and a body blown up to tens of MiB.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::stream;

use super::data::mix;
use super::state::Org;
use super::wire::sf_error;

const MAINTENANCE_PAGE: &str = "<!DOCTYPE html><html><head><title>Salesforce - Down for Maintenance</title></head><body><h1>Down for Maintenance</h1><p>This Salesforce instance is undergoing scheduled maintenance. Please try again later.</p></body></html>";

fn matches(prefixes: &[String], path: &str) -> bool {
    prefixes.iter().any(|p| path.starts_with(p.as_str()))
}

pub async fn inject(State(org): State<Arc<Org>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let f = &org.scenario.faults;
    if path.starts_with("/_sim/") || !(f.paths.is_empty() || matches(&f.paths, &path)) {
        return next.run(req).await;
    }
    let n = {
        let mut inner = org.lock();
        inner.requests += 1;
        inner.requests
    };
    let draw = mix(org.scenario.data.seed ^ n.wrapping_mul(0x9E37_79B9));
    // Scenario loading bounds both; saturate anyway rather than overflow.
    let jitter = match f.jitter_ms.checked_add(1) {
        Some(m) if f.jitter_ms > 0 => draw % m,
        _ => 0,
    };
    let delay = f.latency_ms.saturating_add(jitter);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    if matches(&f.hang_paths, &path) {
        // Never answers; the connection is dropped when the client gives up or the org stops.
        std::future::pending::<()>().await;
    }
    if matches(&f.html_paths, &path) {
        let status = StatusCode::from_u16(f.html_status)
            .ok()
            .filter(|_| f.html_status != 0)
            .unwrap_or(StatusCode::OK);
        let body = f
            .html_body
            .clone()
            .unwrap_or_else(|| MAINTENANCE_PAGE.to_string());
        return (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=UTF-8")],
            body,
        )
            .into_response();
    }
    let failing_from = f.fail_from_request > 0 && n >= f.fail_from_request;
    if failing_from
        || (f.error_rate > 0.0 && ((draw >> 11) % 10_000) < (f.error_rate * 10_000.0) as u64)
    {
        let status = StatusCode::from_u16(f.error_status)
            .ok()
            .filter(|_| f.error_status != 0)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return sf_error(
            status,
            "UNKNOWN_EXCEPTION",
            &format!(
                "An unexpected error occurred. Please include this ErrorId if you contact support: {}-{} (-{})",
                100_000_000 + draw % 900_000_000,
                n,
                draw % 1_000_000
            ),
        );
    }
    let mut resp = next.run(req).await;
    if f.huge_body_bytes > 0 && matches(&f.huge_body_paths, &path) {
        resp = blow_up(resp, f.huge_body_bytes as usize).await;
    }
    let truncate = matches(&f.truncate_paths, &path);
    if !truncate && f.slow_body_bytes_per_sec == 0 {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    parts
        .headers
        .insert(header::CONTENT_LENGTH, bytes.len().into());
    let mut chunks: Vec<Result<Bytes, std::io::Error>> = Vec::new();
    let keep = if truncate {
        bytes.len() / 2
    } else {
        bytes.len()
    };
    let step = if f.slow_body_bytes_per_sec > 0 {
        (f.slow_body_bytes_per_sec as usize / 10).max(1)
    } else {
        keep.max(1)
    };
    let mut at = 0;
    while at < keep {
        let end = (at + step).min(keep);
        chunks.push(Ok(bytes.slice(at..end)));
        at = end;
    }
    if truncate {
        chunks.push(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "simulated truncation",
        )));
    }
    let slow = f.slow_body_bytes_per_sec > 0;
    let stream = futures_util::StreamExt::then(stream::iter(chunks), move |c| async move {
        if slow {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        c
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

/// `huge_body_paths`: a token answer's `access_token` made `bytes` long (a token-like text), or
/// any other answer followed by `bytes` spaces (JSON allows them: the answer means the same).
async fn blow_up(resp: Response, bytes: usize) -> Response {
    let (mut parts, body) = resp.into_parts();
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let mut out = match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(mut v) if v.get("access_token").is_some_and(|t| t.is_string()) => {
            let token = format!("00D!{}", "A".repeat(bytes));
            v["access_token"] = serde_json::Value::String(token);
            serde_json::to_vec(&v).unwrap_or_default()
        }
        _ => {
            let mut out = Vec::with_capacity(body.len() + bytes);
            out.extend_from_slice(&body);
            out.resize(body.len() + bytes, b' ');
            out
        }
    };
    out.shrink_to_fit();
    parts
        .headers
        .insert(header::CONTENT_LENGTH, out.len().into());
    Response::from_parts(parts, Body::from(out))
}
