//! `watch history NAME`: an org's timeline (its cycles, newest first) and its incidents;
//! `watch report NAME --cycle ID --out FILE`: a past cycle's report, to an owner-only file.

use std::fmt::Write as _;

use super::Usage;
use crate::engine::export::iso8601;
use crate::engine::files;
use crate::engine::sanitize;
use crate::engine::watch::model::{CycleSummary, Incident};
use crate::engine::watch::store::Store;

fn when(secs: i64) -> String {
    let s = iso8601((secs.max(0) as u64) * 1000);
    s.split('.').next().unwrap_or_default().replace('T', " ") + "Z"
}

/// The timeline and incidents, as text or one JSON document.
pub async fn history(store: &Store, name: &str, limit: usize, json: bool) -> Result<String, Usage> {
    let cycles: Vec<CycleSummary> = store
        .history(name, limit)
        .await
        .map_err(|e| Usage(e.to_string()))?;
    let incidents: Vec<Incident> = store
        .incidents(name, limit)
        .await
        .map_err(|e| Usage(e.to_string()))?;
    if json {
        let doc = serde_json::json!({ "org": name, "cycles": cycles, "incidents": incidents });
        return Ok(
            sanitize::json(&serde_json::to_string_pretty(&doc).unwrap_or_default()).into_owned()
                + "\n",
        );
    }
    if cycles.is_empty() && incidents.is_empty() {
        return Ok(format!(
            "No history for {}: run `sagediag watch --once` (is the name right? `sagediag watch list`).\n",
            sanitize::bounded(name, 80, None)
        ));
    }
    let mut out = format!(
        "{}\n\nCycles (newest first)\n",
        sanitize::bounded(name, 80, None)
    );
    for c in &cycles {
        let line = format!(
            "  #{:<6} {}  {:<5} {:>6} ms  {}/{} checks passed  {}\n",
            c.cycle_id,
            when(c.started_at),
            c.state.word(),
            c.duration_ms,
            c.passed,
            c.total,
            if c.codes.is_empty() {
                "-".to_string()
            } else {
                c.codes.join(",")
            }
        );
        out += &sanitize::text(&line);
    }
    out += "\nIncidents (newest first)\n";
    if incidents.is_empty() {
        out += "  none\n";
    }
    for i in &incidents {
        let mut line = format!(
            "  {:<8} {:<7} {:<28} first {}  last {}  {} failing cycle{}",
            format!("{:?}", i.state).to_lowercase(),
            i.severity,
            i.code,
            when(i.first_seen),
            when(i.last_seen),
            i.count,
            if i.count == 1 { "" } else { "s" }
        );
        if let Some(at) = i.opened_at {
            let _ = write!(line, "  opened {}", when(at));
        }
        if let Some(at) = i.resolved_at {
            let _ = write!(line, "  resolved {}", when(at));
        }
        if let Some(who) = &i.acked_by {
            let _ = write!(line, "  acked by {who}");
        }
        if let Some(u) = i.muted_until {
            let _ = write!(line, "  muted until {}", when(u));
        }
        line += "\n";
        out += &sanitize::text(&line);
    }
    out += "\nExport a cycle's report: sagediag watch report NAME --cycle ID --out FILE.json\n";
    Ok(out)
}

/// Writes the report of cycle `id` of org `name` to `out` (owner-only).
pub async fn report(
    store: &Store,
    name: &str,
    id: i64,
    out: &std::path::Path,
) -> Result<String, Usage> {
    let cycle = store
        .cycle(id)
        .await
        .map_err(|e| Usage(e.to_string()))?
        .filter(|c| c.org == name)
        .ok_or_else(|| {
            Usage(format!(
                "no cycle {id} of {} in the store (`sagediag watch history {}` lists them)",
                sanitize::bounded(name, 80, None),
                sanitize::bounded(name, 80, None)
            ))
        })?;
    let doc = if cycle.report.is_null() {
        serde_json::to_value(&cycle).unwrap_or_default()
    } else {
        cycle.report.clone()
    };
    let text =
        sanitize::json(&serde_json::to_string_pretty(&doc).unwrap_or_default()).into_owned() + "\n";
    let path = out.to_path_buf();
    tokio::task::spawn_blocking(move || files::write_private(&path, text.as_bytes()))
        .await
        .map_err(|e| Usage(e.to_string()))?
        .map_err(|e| Usage(format!("{}: {e}", out.display())))?;
    Ok(format!(
        "Wrote the report of cycle {id} ({name}) to {}.",
        out.display()
    ))
}
