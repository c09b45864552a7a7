//! What a run can be shared as: a Markdown report a customer can send to support, and the
//! request log as HAR 1.2 (read by browsers' devtools and HAR viewers). Both are built from what
//! the engine captured, which is redacted at capture; nothing here sees a secret.

use serde_json::{Value, json};
use std::fmt::Write as _;

use super::Severity;
use super::http::Exchange;
use super::model::Report;

/// `2026-11-22T20:53:11.123Z` from milliseconds since the epoch.
pub fn iso8601(unix_ms: u64) -> String {
    let secs = unix_ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        unix_ms % 1000
    )
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        302 => "Found",
        303 => "See Other",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "",
    }
}

fn header_value<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// How much of the bodies a HAR export carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HarBodies {
    /// Every body as captured (secrets are redacted, HR data is not).
    Full,
    /// Sage People record bodies keep their JSON structure, field names and counts; every value
    /// is replaced by a placeholder, so a HAR can go into a ticket without salaries in it.
    #[default]
    Shape,
    /// No bodies at all, only sizes.
    None,
}

impl HarBodies {
    pub fn parse(s: &str) -> Option<HarBodies> {
        match s {
            "full" => Some(HarBodies::Full),
            "shape" => Some(HarBodies::Shape),
            "none" => Some(HarBodies::None),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            HarBodies::Full => "full",
            HarBodies::Shape => "shape",
            HarBodies::None => "none",
        }
    }
}

/// Whether an exchange carries Sage People records (the Apex REST API's answers and requests).
fn holds_hr_data(e: &Exchange) -> bool {
    url::Url::parse(&e.url)
        .map(|u| u.path().starts_with("/services/apexrest/"))
        .unwrap_or(true)
}

/// The structure of a JSON value with every scalar replaced by a placeholder of its type.
pub fn shape(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), shape(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(shape).collect()),
        Value::String(_) => Value::from("<string>"),
        Value::Number(_) => Value::from(0),
        Value::Bool(_) => Value::from("<bool>"),
        Value::Null => Value::Null,
    }
}

/// A body as the chosen mode exports it (None: leave it out, with a comment).
fn export_body(
    body: &str,
    mode: HarBodies,
    hr: bool,
    success: bool,
) -> Result<String, &'static str> {
    match mode {
        HarBodies::Full => Ok(body.to_string()),
        HarBodies::None => Err("body left out (--har-bodies none)"),
        // Error bodies carry Salesforce's words, not records: they are the evidence, kept.
        HarBodies::Shape if !hr || !success => Ok(body.to_string()),
        HarBodies::Shape => match serde_json::from_str::<Value>(body) {
            Ok(v) => Ok(shape(&v).to_string()),
            Err(_) => Err("body left out: Sage People data that is not JSON (--har-bodies shape)"),
        },
    }
}

/// The request log as a HAR 1.2 document, bodies as `--har-bodies` chose.
pub fn har(exchanges: &[Exchange]) -> Value {
    har_with(exchanges, HarBodies::Full)
}

/// The request log as a HAR 1.2 document with bodies as `mode` says.
pub fn har_with(exchanges: &[Exchange], mode: HarBodies) -> Value {
    let entries: Vec<Value> = exchanges
        .iter()
        .map(|e| {
            let query: Vec<Value> = url::Url::parse(&e.url)
                .map(|u| u.query_pairs().map(|(k, v)| json!({"name": k, "value": v})).collect())
                .unwrap_or_default();
            let headers = |hs: &[(String, String)]| -> Vec<Value> { hs.iter().map(|(k, v)| json!({"name": k, "value": v})).collect() };
            let mut request = json!({
                "method": e.method, "url": e.url, "httpVersion": "HTTP/1.1", "cookies": [],
                "headers": headers(&e.request_headers), "queryString": query, "headersSize": -1,
                "bodySize": e.request_body.as_ref().map(|b| b.len() as i64).unwrap_or(0),
            });
            let hr = holds_hr_data(e);
            let success = e.status.is_some_and(|s| (200..300).contains(&s));
            if let Some(body) = &e.request_body {
                let mime = header_value(&e.request_headers, "content-type").unwrap_or("application/octet-stream");
                let mut post = match export_body(body, mode, hr, true) {
                    Ok(text) => json!({"mimeType": mime, "text": text}),
                    Err(why) => json!({"mimeType": mime, "text": "", "comment": why}),
                };
                let as_captured = mode == HarBodies::Full || (mode == HarBodies::Shape && !hr);
                if as_captured && mime.starts_with("application/x-www-form-urlencoded") {
                    post["params"] = url::form_urlencoded::parse(body.as_bytes()).map(|(k, v)| json!({"name": k, "value": v})).collect();
                }
                request["postData"] = post;
            }
            let mime = header_value(&e.response_headers, "content-type").unwrap_or("").to_string();
            let mut content = json!({"size": e.response_bytes, "mimeType": mime});
            match &e.response_body {
                Some(b) if !b.is_empty() => match export_body(b, mode, hr, success) {
                    Ok(text) => content["text"] = Value::from(text),
                    Err(why) => content["comment"] = Value::from(why),
                },
                _ if e.response_bytes > 0 => content["comment"] = Value::from("body not kept in sagediag's log"),
                _ => {}
            }
            let status = e.status.unwrap_or(0);
            let mut entry = json!({
                "startedDateTime": iso8601(e.started_unix_ms),
                "time": e.duration_ms,
                "request": request,
                "response": {
                    "status": status, "statusText": reason(status), "httpVersion": "HTTP/1.1", "cookies": [],
                    "headers": headers(&e.response_headers), "content": content,
                    "redirectURL": header_value(&e.response_headers, "location").unwrap_or(""),
                    "headersSize": -1, "bodySize": e.response_bytes,
                },
                "cache": {},
                "timings": {"send": 0, "wait": e.duration_ms, "receive": 0},
                // The request id findings cite as evidence (a custom field, as HAR allows).
                "_id": e.id,
            });
            if let Some(err) = &e.error {
                entry["comment"] = Value::from(err.clone());
            }
            if let Some(summary) = &e.summary {
                entry["comment"] = Value::from(summary.clone());
            }
            entry
        })
        .collect();
    json!({"log": {
        "version": "1.2",
        "creator": {"name": "sagediag", "version": env!("CARGO_PKG_VERSION")},
        "pages": [],
        "entries": entries,
        "comment": format!("Exported by sagediag; secrets (tokens, secrets, passwords, codes, verifiers, assertions) are redacted; bodies: {} (--har-bodies).", mode.name()),
    }})
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The report's line saying what the run's HAR export keeps of the bodies.
pub fn har_note(har: &str, bodies: HarBodies) -> String {
    format!(
        "\n_The HAR export of this run (`{har}`) carries bodies as `{}` (`--har-bodies`)._\n",
        bodies.name()
    )
}

/// A Markdown report a customer can send to support.
pub fn markdown(r: &Report, generated_unix_ms: u64) -> String {
    let mut s = String::new();
    s.push_str("# sagediag report\n\n");
    for host in &r.environment.insecure_hosts {
        let _ = write!(
            s,
            "> **Warning:** TLS certificate verification was off for `{host}` (`--insecure-host`).\n\n"
        );
    }
    for host in &r.environment.trust_hosts {
        let _ = write!(
            s,
            "> **Note:** the token was allowed to go to `{host}`, outside Salesforce's domains (`--trust-host`).\n\n"
        );
    }
    let _ = write!(
        s,
        "- Generated: {}\n- sagediag {}\n- Environment: {} (`{}`){}\n- Flow: {}\n- Outcome: **{}**\n",
        iso8601(generated_unix_ms),
        r.sagediag_version,
        r.environment.kind,
        r.environment.login_url,
        r.environment
            .proxy
            .as_ref()
            .map(|p| format!(", proxy `{p}`"))
            .unwrap_or_default(),
        r.flow.name(),
        r.outcome.to_uppercase()
    );
    if let Some(u) = &r.org.username {
        let _ = writeln!(s, "- API user: {u}");
    }
    s.push_str("\n## Permission sets\n\n| Result | Permission set | Endpoint | HTTP | ms | Records | Assigned | Finding |\n|---|---|---|---|---|---|---|---|\n");
    for e in &r.endpoints {
        let _ = writeln!(
            s,
            "| {} | {} | `{} {}` | {} | {} | {} | {} | {} |",
            e.status.mark(),
            e.permission_set,
            e.method,
            e.path,
            e.http_status
                .map(|h| h.to_string())
                .unwrap_or_else(|| "—".into()),
            e.latency_ms,
            e.records.map(|n| n.to_string()).unwrap_or_default(),
            match e.assigned {
                Some(true) => "yes",
                Some(false) => "no",
                None => "?",
            },
            e.finding.map(|c| format!("`{c}`")).unwrap_or_default()
        );
    }
    let errors = r
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = r
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    let _ = write!(s, "\n## Findings ({errors} errors, {warnings} warnings)\n");
    if r.findings.is_empty() {
        s.push_str("\nNone: every check passed.\n");
    }
    for f in &r.findings {
        let _ = write!(
            s,
            "\n### {} `{}` — {}\n\n{}\n",
            format!("{:?}", f.severity).to_uppercase(),
            f.code,
            f.title,
            f.detail
        );
        if !f.request_ids.is_empty() {
            let _ = write!(
                s,
                "\nEvidence: request {}\n",
                f.request_ids
                    .iter()
                    .map(|i| format!("#{i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        s.push_str("\nFix:\n\n");
        for (i, step) in f.fix.iter().enumerate() {
            let _ = writeln!(s, "{}. {step}", i + 1);
        }
    }
    let o = &r.org;
    let unknown = || "unknown".to_string();
    s.push_str("\n## Org checks\n\n");
    let _ = writeln!(
        s,
        "- API Enabled: {}",
        o.api_enabled
            .map(|b| if b { "yes" } else { "no" }.to_string())
            .unwrap_or_else(unknown)
    );
    let _ = writeln!(
        s,
        "- Sage People API package: {}",
        o.package_version.clone().unwrap_or_else(unknown)
    );
    let _ = writeln!(
        s,
        "- Refresh token policy: {}",
        o.refresh_token_policy.clone().unwrap_or_else(unknown)
    );
    let _ = writeln!(
        s,
        "- Permitted users: {}",
        o.permitted_users.clone().unwrap_or_else(unknown)
    );
    let _ = writeln!(
        s,
        "- API usage: {}",
        o.api_usage
            .map(|(u, m)| format!("{u} of {m} today"))
            .unwrap_or_else(unknown)
    );
    if let Some(sets) = &o.assigned_permission_sets {
        let _ = writeln!(
            s,
            "- Permission sets assigned: {}",
            if sets.is_empty() {
                "none".into()
            } else {
                sets.join(", ")
            }
        );
    }
    let _ = writeln!(
        s,
        "- Scopes granted: {}",
        r.scopes.clone().unwrap_or_else(unknown)
    );
    for sk in &o.skipped {
        let _ = writeln!(s, "- Skipped: {sk}");
    }
    s.push_str("\n## App\n\n| | |\n|---|---|\n");
    for (k, v) in r.app.lines() {
        let _ = writeln!(s, "| {k} | {} |", cell(&v));
    }
    for u in &r.app.unknown {
        let _ = writeln!(s, "\nUnknown: {}", cell(u));
    }
    if let Some(c) = &r.coverage {
        let _ = write!(
            s,
            "\n## Field coverage\n\n{} employees in {} pages{}.\n\n| Field | Populated | % |\n|---|---|---|\n",
            c.employees,
            c.pages,
            if c.limited {
                " (stopped at the limit)"
            } else {
                ""
            }
        );
        for f in &c.fields {
            let pct = c.percent(f.populated);
            let _ = writeln!(
                s,
                "| {} (`{}`) | {} | {pct:.1} |",
                f.label, f.path, f.populated
            );
        }
        let _ = write!(
            s,
            "\n- Without email: {} (e.g. {})\n- Emails shared by several records: {} emails, {} records (e.g. {})\n- Leavers: {}, of whom still holding a work email: {} (e.g. {})\n",
            c.missing_email,
            c.examples_missing_email.join(", "),
            c.duplicate_emails,
            c.records_with_duplicate_email,
            c.examples_duplicate_email.join(", "),
            c.leavers,
            c.leavers_with_email,
            c.examples_leaver_with_email.join(", ")
        );
        if let Some(why) = &c.stopped {
            let _ = writeln!(s, "- Stopped early: {why}");
        }
    }
    s.push_str("\n## Steps\n\n| Step | Result | ms | Summary |\n|---|---|---|---|\n");
    for st in &r.steps {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            st.title,
            st.status.mark(),
            st.duration_ms,
            cell(&st.summary)
        );
    }
    s.push_str("\n## Request log\n\n| # | Method | URL | Status | ms |\n|---|---|---|---|---|\n");
    for q in &r.requests {
        let _ = writeln!(
            s,
            "| {} | {} | `{}`{} | {} | {} |",
            q.id,
            q.method,
            cell(&q.url),
            q.summary
                .as_ref()
                .map(|s| format!(" ({})", cell(s)))
                .unwrap_or_default(),
            q.status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "error".into()),
            q.duration_ms
        );
    }
    s.push_str("\nSecrets (consumer secret, passwords, tokens, authorization codes, PKCE verifiers, assertions) are redacted.\n");
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn iso8601_dates() {
        // Cross-checked with `date -u -d @SECONDS`.
        assert_eq!(super::iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(super::iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(
            super::iso8601(1_795_378_616_330),
            "2026-11-22T20:16:56.330Z"
        );
    }
}
