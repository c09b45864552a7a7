//! The status page's HTML, rendered on the server: the fleet (`/`: orgs × checks, open incidents)
//! and one page per org (`/org/{name}`: its checks, findings with their fix, signals, incidents,
//! timeline and last report). No JavaScript, no external asset, the CSS inline; every state is a
//! word as well as a colour (the plain theme's rule), so it reads in any browser, printed, or
//! through a screen reader.
//!
//! Every text from the store is server-derived (org names, titles, details, the report): each
//! passes through the sanitiser (bounded) and then HTML escaping, here and nowhere else.

use std::fmt::Write as _;

use crate::engine::sanitize;
use crate::engine::watch::model::{
    CheckState, CycleSummary, Incident, IncidentState, OrgCycle, OrgStatus,
};

/// Most bytes of an org's last report shown on its page.
pub const MAX_REPORT: usize = 256 * 1024;

/// HTML-escapes a text already sanitised.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Whether `s` starts with a Salesforce session id (`00D` + org id rest + `!` + token): the
/// shape of an access token, redacted wherever it appears.
fn session_id_len(s: &str) -> Option<usize> {
    let rest = s.strip_prefix("00D")?;
    let id = rest.chars().take_while(char::is_ascii_alphanumeric).count();
    if !(12..=15).contains(&id) {
        return None;
    }
    let tail = rest.get(id..)?.strip_prefix('!')?;
    let token = tail
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .count();
    (token >= 20).then_some(3 + id + 1 + token)
}

/// Server text as it may be shown: secrets redacted by name (`access_token=…`,
/// `"refresh_token": "…"`: the engine's rules) and by shape (a Salesforce session id), then
/// control characters made visible (lines kept). Not bounded: callers bound.
pub fn shown(s: &str) -> String {
    let named = crate::engine::http::redact_body(s);
    sanitize::text(&by_shape(&named)).into_owned()
}

/// Salesforce session ids redacted by shape.
fn by_shape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest: &str = s;
    while let Some(at) = rest.find("00D") {
        let (before, from) = (
            rest.get(..at).unwrap_or_default(),
            rest.get(at..).unwrap_or_default(),
        );
        out.push_str(before);
        match session_id_len(from) {
            Some(n) => {
                out.push_str(crate::engine::http::REDACTED);
                rest = from.get(n..).unwrap_or_default();
            }
            None => {
                out.push_str("00D");
                rest = from.get(3..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
    out
}

/// A server-derived one-line value for the page: secrets redacted, sanitised, bounded to `max`
/// bytes, escaped.
pub fn text(s: &str, max: usize) -> String {
    esc(&sanitize::bounded(&shown(s), max, None))
}

/// A path segment for a link (`/org/{name}`): percent-encoded, then escaped for the attribute.
pub fn org_href(org: &str) -> String {
    let enc: String = url::form_urlencoded::byte_serialize(org.as_bytes()).collect();
    // form encoding writes a space as `+`; a path wants `%20`.
    esc(&format!("/org/{}", enc.replace('+', "%20")))
}

/// Unix seconds as `2026-12-07 16:50 UTC`.
pub fn when(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| secs.to_string())
}

/// How long ago, in words (`3 min ago`).
pub fn ago(secs: i64, now: i64) -> String {
    let d = now - secs;
    match d {
        i64::MIN..=-1 => "in the future".into(),
        0..=59 => format!("{d} s ago"),
        60..=3599 => format!("{} min ago", d / 60),
        3600..=172_799 => format!("{} h ago", d / 3600),
        _ => format!("{} days ago", d / 86_400),
    }
}

fn state_class(s: CheckState) -> &'static str {
    match s {
        CheckState::Pass => "pass",
        CheckState::Warn => "warn",
        CheckState::Fail => "fail",
        CheckState::Error => "error",
        CheckState::Skip => "skip",
    }
}

/// A state as a word in a coloured cell: the word carries the meaning.
fn state_cell(s: CheckState, title: &str) -> String {
    let t = if title.is_empty() {
        String::new()
    } else {
        format!(" title=\"{}\"", text(title, 300))
    };
    format!("<td class=\"st {}\"{t}>{}</td>", state_class(s), s.word())
}

const CSS: &str = "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:1.2rem;color:#111;background:#fff}\
h1{font-size:1.4rem;margin:0 0 .3rem}h2{font-size:1.1rem;margin:1.4rem 0 .4rem}\
table{border-collapse:collapse;margin:.3rem 0}th,td{border:1px solid #999;padding:.25rem .5rem;text-align:left;vertical-align:top}\
th{background:#eee}td.st{font-weight:700;font-family:ui-monospace,monospace;text-align:center}\
.pass{background:#d8f5d8}.warn{background:#fff1b8}.fail{background:#ffd0d0}.error{background:#ffb0b0}.skip{color:#555}\
.muted{color:#555}code,pre{font-family:ui-monospace,monospace}pre{background:#f6f6f6;border:1px solid #ccc;padding:.6rem;overflow:auto;max-height:40rem;white-space:pre-wrap}\
a{color:#0645ad}.spark{font-family:ui-monospace,monospace;letter-spacing:1px}\
@media (prefers-color-scheme:dark){body{background:#111;color:#eee}th{background:#333}th,td{border-color:#666}\
.pass{background:#1d4d1d}.warn{background:#5a4a00}.fail{background:#6b1d1d}.error{background:#8b1010}pre{background:#1b1b1b;border-color:#444}a{color:#8ab4f8}.muted,.skip{color:#aaa}}";

fn head(title: &str, refresh: bool) -> String {
    let refresh = if refresh {
        "<meta http-equiv=\"refresh\" content=\"60\">"
    } else {
        ""
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">{refresh}\
<title>{}</title><style>{CSS}</style></head><body>\n",
        text(title, 200)
    )
}

const FOOT: &str = "<p class=\"muted\">sagediag watch · <a href=\"/\">fleet</a> · \
<a href=\"/api/status.json\">/api/status.json</a> · <a href=\"/metrics\">/metrics</a></p>\n</body></html>\n";

/// The check names of the fleet, in a stable order: the watcher's login first, the record's
/// checks, then the probes.
pub fn check_columns(status: &[OrgStatus]) -> Vec<String> {
    let mut cols: Vec<String> = Vec::new();
    for s in status {
        for c in s.last.iter().flat_map(|l| &l.checks) {
            if !cols.contains(&c.check) {
                cols.push(c.check.clone());
            }
        }
    }
    cols.sort_by_key(|c| {
        let rank = if c == "login" {
            0
        } else if c.starts_with("probe:") {
            2
        } else {
            1
        };
        (rank, c.clone())
    });
    cols.truncate(40);
    cols
}

fn open_count(s: &OrgStatus) -> usize {
    s.open_incidents
        .iter()
        .filter(|i| i.state == IncidentState::Open)
        .count()
}

/// `/`: the fleet.
pub fn fleet(status: &[OrgStatus], now: i64) -> String {
    let mut out = head("sagediag watch: the fleet", true);
    let failing = status
        .iter()
        .filter(|s| s.last.as_ref().is_some_and(|l| l.state.is_failing()))
        .count();
    let incidents: usize = status.iter().map(open_count).sum();
    let _ = write!(
        out,
        "<h1>sagediag watch</h1>\n<p>{} org{}, <strong>{failing} failing</strong>, {incidents} open incident{} · generated {} (refreshes every minute)</p>\n",
        status.len(),
        if status.len() == 1 { "" } else { "s" },
        if incidents == 1 { "" } else { "s" },
        when(now)
    );
    if status.is_empty() {
        out.push_str(
            "<p>No org is watched yet: <code>sagediag watch add NAME …</code> adds one.</p>\n",
        );
        out.push_str(FOOT);
        return out;
    }
    let cols = check_columns(status);
    out.push_str("<table><caption class=\"muted\">Orgs × checks, latest cycle of each</caption>\n<thead><tr><th scope=\"col\">Org</th><th scope=\"col\">State</th><th scope=\"col\">Last cycle</th><th scope=\"col\">Open incidents</th>");
    for c in &cols {
        let _ = write!(out, "<th scope=\"col\">{}</th>", text(c, 60));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for s in status {
        let _ = write!(
            out,
            "<tr><th scope=\"row\"><a href=\"{}\">{}</a></th>",
            org_href(&s.org),
            text(&s.org, 120)
        );
        match &s.last {
            None => {
                out.push_str("<td class=\"st skip\">NOT RUN</td><td>never</td>");
            }
            Some(l) => {
                out.push_str(&state_cell(l.state, ""));
                let _ = write!(
                    out,
                    "<td>{} <span class=\"muted\">({})</span></td>",
                    when(l.started_at),
                    ago(l.started_at, now)
                );
            }
        }
        let open: Vec<String> = s
            .open_incidents
            .iter()
            .filter(|i| i.state == IncidentState::Open)
            .map(|i| format!("<code>{}</code>", text(&i.code, 80)))
            .collect();
        if open.is_empty() {
            out.push_str("<td>none</td>");
        } else {
            let _ = write!(out, "<td>{}: {}</td>", open.len(), open.join(", "));
        }
        for c in &cols {
            match s
                .last
                .as_ref()
                .and_then(|l| l.checks.iter().find(|x| &x.check == c))
            {
                Some(x) => out.push_str(&state_cell(x.state, &x.detail)),
                None => out.push_str("<td class=\"muted\">–</td>"),
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
    out.push_str("<h2>Open incidents</h2>\n");
    let all: Vec<&Incident> = status
        .iter()
        .flat_map(|s| s.open_incidents.iter())
        .filter(|i| i.state == IncidentState::Open)
        .collect();
    if all.is_empty() {
        out.push_str("<p>None.</p>\n");
    } else {
        incident_table(&mut out, &all, now, true);
    }
    out.push_str(FOOT);
    out
}

fn incident_table(out: &mut String, incidents: &[&Incident], now: i64, with_org: bool) {
    out.push_str("<table><thead><tr>");
    if with_org {
        out.push_str("<th scope=\"col\">Org</th>");
    }
    out.push_str("<th scope=\"col\">State</th><th scope=\"col\">Finding</th><th scope=\"col\">Severity</th><th scope=\"col\">Opened</th><th scope=\"col\">Last seen</th><th scope=\"col\">Resolved</th><th scope=\"col\">Failing cycles</th><th scope=\"col\">Ack / mute</th></tr></thead>\n<tbody>\n");
    for i in incidents {
        out.push_str("<tr>");
        if with_org {
            let _ = write!(
                out,
                "<td><a href=\"{}\">{}</a></td>",
                org_href(&i.org),
                text(&i.org, 120)
            );
        }
        let (word, class) = match i.state {
            IncidentState::Open if i.forecast => ("OPEN (forecast)", "warn"),
            IncidentState::Open => ("OPEN", "fail"),
            IncidentState::Pending => ("PENDING", "warn"),
            IncidentState::Resolved => ("RESOLVED", "pass"),
        };
        let _ = write!(
            out,
            "<td class=\"st {class}\">{word}</td><td><code>{}</code> {}</td><td>{}</td><td>{}</td><td>{} <span class=\"muted\">({})</span></td><td>{}</td><td>{}</td>",
            text(&i.code, 80),
            text(&i.title, 300),
            text(&i.severity, 20),
            i.opened_at.map(when).unwrap_or_else(|| "–".into()),
            when(i.last_seen),
            ago(i.last_seen, now),
            i.resolved_at.map(when).unwrap_or_else(|| "–".into()),
            i.count
        );
        let mut notes = Vec::new();
        if let Some(by) = &i.acked_by {
            notes.push(format!(
                "acknowledged by {}{}",
                text(by, 80),
                i.acked_at
                    .map(|t| format!(" at {}", when(t)))
                    .unwrap_or_default()
            ));
        }
        if let Some(until) = i.muted_until.filter(|u| *u > now) {
            notes.push(format!("muted until {}", when(until)));
        }
        let _ = writeln!(
            out,
            "<td>{}</td></tr>",
            if notes.is_empty() {
                "–".to_string()
            } else {
                notes.join("; ")
            }
        );
    }
    out.push_str("</tbody></table>\n");
}

/// A line of characters for the cycles' probe success, oldest first: `█` every check passed,
/// `▄` some failed, `▁` none passed; with the words in its title.
fn sparkline(history: &[CycleSummary]) -> String {
    history
        .iter()
        .rev()
        .map(|c| {
            if c.total == 0 || c.state == CheckState::Error {
                '▁'
            } else if c.passed >= c.total {
                '█'
            } else if c.passed == 0 {
                '▁'
            } else {
                '▄'
            }
        })
        .collect()
}

fn signals(out: &mut String, cycle: &OrgCycle) {
    let s = &cycle.signals;
    let mut rows: Vec<(String, String)> = Vec::new();
    if let Some(g) = s.grants_used {
        rows.push(("OAuth grants used".into(), format!("{g} of 5")));
    }
    if let Some(e) = s.refresh_expires_in_secs {
        let v = if e < 0 {
            format!("expired {} ago", human_secs(-e))
        } else {
            format!("in {}", human_secs(e))
        };
        rows.push(("Refresh token idles out".into(), v));
    }
    match (s.api_requests_remaining, s.api_requests_max) {
        (Some(r), Some(m)) => rows.push(("API requests remaining".into(), format!("{r} of {m}"))),
        (Some(r), None) => rows.push(("API requests remaining".into(), r.to_string())),
        _ => {}
    }
    for (status, n) in &s.login_failures {
        rows.push((
            "Failed logins since the cycle before".into(),
            format!("{n} × {}", text(status, 200)),
        ));
    }
    if let Some(f) = s.user_frozen {
        rows.push((
            "Integration user frozen".into(),
            if f { "yes" } else { "no" }.into(),
        ));
    }
    if let Some(a) = s.user_active {
        rows.push((
            "Integration user active".into(),
            if a { "yes" } else { "no" }.into(),
        ));
    }
    if !s.permission_sets.is_empty() {
        let sets: Vec<String> = s.permission_sets.iter().map(|p| text(p, 120)).collect();
        rows.push(("Permission sets held".into(), sets.join(", ")));
    }
    if let Some(v) = &s.package_version {
        rows.push(("Package version".into(), text(v, 80)));
    }
    if rows.is_empty() {
        return;
    }
    out.push_str("<h2>Signals</h2>\n<table><tbody>\n");
    for (k, v) in rows {
        // Keys are ours; values were escaped above (or are numbers).
        let _ = writeln!(out, "<tr><th scope=\"row\">{k}</th><td>{v}</td></tr>");
    }
    out.push_str("</tbody></table>\n");
}

fn human_secs(s: i64) -> String {
    match s {
        0..=5399 => format!("{} min", s / 60),
        5400..=172_799 => format!("{} h", s / 3600),
        _ => format!("{} days", s / 86_400),
    }
}

/// `/org/{name}`: one org.
pub fn org(
    status: &OrgStatus,
    history: &[CycleSummary],
    incidents: &[Incident],
    now: i64,
) -> String {
    let mut out = head(&format!("sagediag watch: {}", status.org), true);
    let _ = writeln!(
        out,
        "<p><a href=\"/\">← the fleet</a></p>\n<h1>{}</h1>",
        text(&status.org, 120)
    );
    match &status.last {
        None => out.push_str("<p>No cycle has run for this org yet.</p>\n"),
        Some(l) => {
            let _ = writeln!(
                out,
                "<table><tbody><tr><th scope=\"row\">State</th>{}</tr><tr><th scope=\"row\">Last cycle</th><td>{} ({}), {} ms{}</td></tr></tbody></table>",
                state_cell(l.state, ""),
                when(l.started_at),
                ago(l.started_at, now),
                l.duration_ms,
                if l.watcher.is_empty() {
                    String::new()
                } else {
                    format!(", by {}", text(&l.watcher, 120))
                }
            );
            out.push_str("<h2>Checks</h2>\n<table><thead><tr><th scope=\"col\">Check</th><th scope=\"col\">State</th><th scope=\"col\">Time</th><th scope=\"col\">Findings</th><th scope=\"col\">Detail</th></tr></thead><tbody>\n");
            for c in &l.checks {
                let codes: Vec<String> = c
                    .codes
                    .iter()
                    .map(|x| format!("<code>{}</code>", text(x, 80)))
                    .collect();
                let _ = writeln!(
                    out,
                    "<tr><td>{}</td>{}<td>{} ms</td><td>{}</td><td>{}</td></tr>",
                    text(&c.check, 60),
                    state_cell(c.state, ""),
                    c.latency_ms,
                    codes.join(", "),
                    text(&c.detail, 1000)
                );
            }
            out.push_str("</tbody></table>\n<h2>Findings</h2>\n");
            if l.findings.is_empty() {
                out.push_str("<p>None.</p>\n");
            }
            for f in &l.findings {
                let _ = writeln!(
                    out,
                    "<h3><code>{}</code> ({}{}) {}</h3>",
                    text(&f.code, 80),
                    text(&f.severity, 20),
                    if f.forecast { ", forecast" } else { "" },
                    text(&f.title, 300)
                );
                if !f.fix.is_empty() {
                    out.push_str("<p>Fix:</p><ol>\n");
                    for step in f.fix.iter().take(20) {
                        let _ = writeln!(out, "<li>{}</li>", text(step, 1000));
                    }
                    out.push_str("</ol>\n");
                }
            }
            signals(&mut out, l);
        }
    }
    out.push_str("<h2>Incidents</h2>\n");
    if incidents.is_empty() {
        out.push_str("<p>None.</p>\n");
    } else {
        let refs: Vec<&Incident> = incidents.iter().collect();
        incident_table(&mut out, &refs, now, false);
    }
    out.push_str("<h2>Timeline</h2>\n");
    if history.is_empty() {
        out.push_str("<p>No cycle recorded.</p>\n");
    } else {
        let _ = writeln!(
            out,
            "<p>Checks passing per cycle, oldest first (█ all, ▄ some, ▁ none): <span class=\"spark\" title=\"{} cycles\">{}</span></p>",
            history.len(),
            sparkline(history)
        );
        out.push_str("<table><thead><tr><th scope=\"col\">Cycle</th><th scope=\"col\">Started</th><th scope=\"col\">State</th><th scope=\"col\">Checks passed</th><th scope=\"col\">Time</th><th scope=\"col\">Findings</th></tr></thead><tbody>\n");
        for c in history {
            let codes: Vec<String> = c
                .codes
                .iter()
                .map(|x| format!("<code>{}</code>", text(x, 80)))
                .collect();
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td>{}<td>{} of {}</td><td>{} ms</td><td>{}</td></tr>",
                c.cycle_id,
                when(c.started_at),
                state_cell(c.state, ""),
                c.passed,
                c.total,
                c.duration_ms,
                if codes.is_empty() {
                    "–".to_string()
                } else {
                    codes.join(", ")
                }
            );
        }
        out.push_str("</tbody></table>\n");
    }
    if let Some(report) = status.last.as_ref().map(|l| &l.report)
        && !report.is_null()
    {
        out.push_str("<h2>Last report</h2>\n<p class=\"muted\">The document <code>sagediag check --json</code> prints, as of the last cycle.</p>\n<pre>");
        let mut r = report.clone();
        crate::engine::http::redact_json(&mut r);
        let pretty = serde_json::to_string_pretty(&r).unwrap_or_default();
        // Redacted by name above (a JSON document: `shown` would re-serialise it compactly).
        let clean = sanitize::text(&by_shape(&pretty)).into_owned();
        let shown = sanitize::prefix(&clean, MAX_REPORT);
        out.push_str(&esc(shown));
        if shown.len() < clean.len() {
            let _ = write!(
                out,
                "\n… {} bytes more (see /api/status.json)",
                clean.len() - shown.len()
            );
        }
        out.push_str("</pre>\n");
    }
    out.push_str(FOOT);
    out
}

/// A page that says one thing (not found, the store cannot be read).
pub fn message(title: &str, body: &str) -> String {
    let mut out = head(title, false);
    let _ = write!(
        out,
        "<h1>{}</h1>\n<p>{}</p>\n",
        text(title, 200),
        text(body, 1000)
    );
    out.push_str(FOOT);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_sanitised_then_escaped() {
        assert_eq!(
            text("<script>alert('x')</script>\x1b[31m", 200),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;\\x1b[31m"
        );
        let tok = "00D5g000004XyzA!AQ8AQJbL.fake_token-Value1234567890";
        assert_eq!(
            shown(&format!(
                "sent {tok} and access_token=abc123 then 00D alone"
            )),
            "sent [REDACTED] and access_token=[REDACTED] then 00D alone"
        );
        assert_eq!(org_href("a b/c?d"), "/org/a%20b%2Fc%3Fd");
        assert_eq!(ago(100, 3699), "59 min ago");
        assert_eq!(when(0), "1970-01-01 00:00:00 UTC");
    }

    #[test]
    fn the_empty_fleet_says_how_to_add_an_org() {
        let page = fleet(&[], 0);
        assert!(page.contains("sagediag watch add"));
        assert!(!page.contains("<script"));
    }
}
