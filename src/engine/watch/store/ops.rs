//! The store's operations, written once over [`Conn`] for both backends. Each is one statement
//! or one transaction; what differs between SQLite and PostgreSQL is only how rows are locked
//! (SQLite: `BEGIN IMMEDIATE`, one writer at a time; PostgreSQL: `FOR UPDATE` on the org's row
//! and `FOR UPDATE SKIP LOCKED` on deliveries).

use std::collections::BTreeMap;

use super::super::incident;
use super::super::model::{
    CheckResult, CheckState, CycleSummary, Incident, IncidentPolicy, IncidentState, OrgCycle,
    OrgStatus, Signals, Transition, TransitionKind, WatchFinding, WatchOrg,
};
use super::StoreError;
use super::db::{Cols, Conn, Val, in_tx, params};
use crate::engine::sanitize;

pub(super) fn json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(super) fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn state_word(s: CheckState) -> &'static str {
    match s {
        CheckState::Pass => "pass",
        CheckState::Warn => "warn",
        CheckState::Fail => "fail",
        CheckState::Error => "error",
        CheckState::Skip => "skip",
    }
}

fn check_state(s: &str) -> Result<CheckState, StoreError> {
    Ok(match s {
        "pass" => CheckState::Pass,
        "warn" => CheckState::Warn,
        "fail" => CheckState::Fail,
        "error" => CheckState::Error,
        "skip" => CheckState::Skip,
        other => {
            return Err(StoreError::Corrupt(format!(
                "unknown check state {other:?}"
            )));
        }
    })
}

fn incident_word(s: IncidentState) -> &'static str {
    match s {
        IncidentState::Pending => "pending",
        IncidentState::Open => "open",
        IncidentState::Resolved => "resolved",
    }
}

fn incident_state(s: &str) -> Result<IncidentState, StoreError> {
    Ok(match s {
        "pending" => IncidentState::Pending,
        "open" => IncidentState::Open,
        "resolved" => IncidentState::Resolved,
        other => {
            return Err(StoreError::Corrupt(format!(
                "unknown incident state {other:?}"
            )));
        }
    })
}

fn kind_word(k: TransitionKind) -> &'static str {
    match k {
        TransitionKind::Opened => "opened",
        TransitionKind::Escalated => "escalated",
        TransitionKind::Resolved => "resolved",
    }
}

pub(super) fn u32_of(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

pub(super) fn u64_of(v: i64) -> u64 {
    u64::try_from(v.max(0)).unwrap_or(0)
}

pub(super) fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

// ---- the watch list

pub async fn upsert_org<C: Conn>(c: &mut C, org: &WatchOrg, now: i64) -> Result<(), StoreError> {
    c.exec(
        "INSERT INTO orgs (name, spec, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at",
        params![&org.name, json(org)?, now],
    )
    .await?;
    Ok(())
}

pub async fn remove_org<C: Conn>(c: &mut C, name: &str) -> Result<bool, StoreError> {
    in_tx!(c, remove_org_tx(c, name))
}

async fn remove_org_tx<C: Conn>(c: &mut C, name: &str) -> Result<bool, StoreError> {
    let n = c
        .exec("DELETE FROM orgs WHERE name = $1", params![name])
        .await?;
    c.exec("DELETE FROM org_state WHERE org = $1", params![name])
        .await?;
    c.exec("DELETE FROM leases WHERE org = $1", params![name])
        .await?;
    Ok(n > 0)
}

pub async fn list_orgs<C: Conn>(c: &mut C) -> Result<Vec<WatchOrg>, StoreError> {
    let rows = c.query("SELECT spec FROM orgs ORDER BY name", &[]).await?;
    rows.iter().map(|r| from_json(&r.text(0)?)).collect()
}

// ---- cycles and incidents

const INCIDENT_COLS: &str = "id, org, code, severity, title, fix, forecast, state, first_seen, \
     last_seen, count, consecutive_fail, consecutive_pass, opened_at, resolved_at, acked_by, \
     acked_at, muted_until";

fn incident_of(r: &[Val]) -> Result<Incident, StoreError> {
    Ok(Incident {
        id: r.int(0)?,
        org: r.text(1)?,
        code: r.text(2)?,
        severity: r.text(3)?,
        title: r.text(4)?,
        fix: from_json(&r.text(5)?)?,
        forecast: r.int(6)? != 0,
        state: incident_state(&r.text(7)?)?,
        first_seen: r.int(8)?,
        last_seen: r.int(9)?,
        count: u64_of(r.int(10)?),
        consecutive_fail: u32_of(r.int(11)?),
        consecutive_pass: u32_of(r.int(12)?),
        opened_at: r.opt_int(13)?,
        resolved_at: r.opt_int(14)?,
        acked_by: r.opt_text(15)?,
        acked_at: r.opt_int(16)?,
        muted_until: r.opt_int(17)?,
    })
}

pub async fn record_cycle<C: Conn>(
    c: &mut C,
    cycle: &OrgCycle,
    policy: IncidentPolicy,
    targets: &[String],
) -> Result<(i64, Vec<Transition>), StoreError> {
    in_tx!(c, record_cycle_tx(c, cycle, policy, targets))
}

async fn record_cycle_tx<C: Conn>(
    c: &mut C,
    cycle: &OrgCycle,
    policy: IncidentPolicy,
    targets: &[String],
) -> Result<(i64, Vec<Transition>), StoreError> {
    let org = cycle.org.as_str();
    // The org's row is the lock: two watchers recording the same org take turns, so the
    // second sees the first's incidents and no transition happens twice.
    // (An upsert that updates locks the row on PostgreSQL, the existing one or the new one.)
    c.exec(
        "INSERT INTO org_state (org, last_cycle_id) VALUES ($1, NULL) \
         ON CONFLICT (org) DO UPDATE SET org = excluded.org",
        params![org],
    )
    .await?;

    let mut codes: Vec<&str> = Vec::new();
    for f in &cycle.findings {
        if !codes.contains(&f.code.as_str()) {
            codes.push(&f.code);
        }
    }
    let passed = cycle
        .checks
        .iter()
        .filter(|k| k.state == CheckState::Pass)
        .count();
    let total = cycle
        .checks
        .iter()
        .filter(|k| k.state != CheckState::Skip)
        .count();
    let rows = c
        .query(
            "INSERT INTO cycles (org, started_at, duration_ms, state, watcher, passed, total, \
             codes, signals, report) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            params![
                org,
                cycle.started_at,
                cycle.duration_ms,
                state_word(cycle.state),
                &cycle.watcher,
                passed as u64,
                total as u64,
                json(&codes)?,
                json(&cycle.signals)?,
                json(&cycle.report)?,
            ],
        )
        .await?;
    let cycle_id = rows
        .first()
        .ok_or_else(|| StoreError::Corrupt("no id for the new cycle".into()))?
        .int(0)?;
    // The checks and the findings, each in one statement (round trips are what costs on
    // PostgreSQL).
    let mut vals: Vec<Val> = Vec::with_capacity(cycle.checks.len() * 7);
    for (seq, k) in cycle.checks.iter().enumerate() {
        vals.extend_from_slice(params![
            cycle_id,
            seq as u64,
            &k.check,
            state_word(k.state),
            k.latency_ms,
            json(&k.codes)?,
            &k.detail
        ]);
    }
    if !vals.is_empty() {
        let sql = insert_rows(
            "INSERT INTO checks (cycle_id, seq, name, state, latency_ms, codes, detail) VALUES ",
            cycle.checks.len(),
            7,
        );
        c.exec(&sql, &vals).await?;
    }
    let mut vals: Vec<Val> = Vec::with_capacity(cycle.findings.len() * 7);
    for (seq, f) in cycle.findings.iter().enumerate() {
        vals.extend_from_slice(params![
            cycle_id,
            seq as u64,
            &f.code,
            &f.severity,
            &f.title,
            json(&f.fix)?,
            f.forecast
        ]);
    }
    if !vals.is_empty() {
        let sql = insert_rows(
            "INSERT INTO findings (cycle_id, seq, code, severity, title, fix, forecast) VALUES ",
            cycle.findings.len(),
            7,
        );
        c.exec(&sql, &vals).await?;
    }
    c.exec(
        "UPDATE org_state SET last_cycle_id = $2 WHERE org = $1",
        params![org, cycle_id],
    )
    .await?;

    // The incident state machine over the org's active incidents.
    let sql = format!(
        "SELECT {INCIDENT_COLS} FROM incidents WHERE org = $1 AND state <> 'resolved' ORDER BY id"
    );
    let active = c
        .query(&sql, params![org])
        .await?
        .iter()
        .map(|r| incident_of(r))
        .collect::<Result<Vec<_>, _>>()?;
    let mut step = incident::step(org, active, &cycle.findings, policy, cycle.started_at);
    for id in &step.dropped {
        c.exec("DELETE FROM incidents WHERE id = $1", params![*id])
            .await?;
    }
    for (i, inc) in step.incidents.iter_mut().enumerate() {
        if inc.id == 0 {
            let rows = c
                .query(
                    "INSERT INTO incidents (org, code, severity, title, fix, forecast, state, \
                     first_seen, last_seen, count, consecutive_fail, consecutive_pass, \
                     opened_at, resolved_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
                     $11, $12, $13, $14) RETURNING id",
                    params![
                        &inc.org,
                        &inc.code,
                        &inc.severity,
                        &inc.title,
                        json(&inc.fix)?,
                        inc.forecast,
                        incident_word(inc.state),
                        inc.first_seen,
                        inc.last_seen,
                        inc.count,
                        inc.consecutive_fail,
                        inc.consecutive_pass,
                        inc.opened_at,
                        inc.resolved_at
                    ],
                )
                .await?;
            inc.id = rows
                .first()
                .ok_or_else(|| StoreError::Corrupt("no id for the new incident".into()))?
                .int(0)?;
            for ch in step.changes.iter_mut().filter(|ch| ch.index == i) {
                ch.transition.incident_id = inc.id;
            }
        } else {
            c.exec(
                "UPDATE incidents SET severity = $2, title = $3, fix = $4, forecast = $5, \
                 state = $6, last_seen = $7, count = $8, consecutive_fail = $9, \
                 consecutive_pass = $10, opened_at = $11, resolved_at = $12 WHERE id = $1",
                params![
                    inc.id,
                    &inc.severity,
                    &inc.title,
                    json(&inc.fix)?,
                    inc.forecast,
                    incident_word(inc.state),
                    inc.last_seen,
                    inc.count,
                    inc.consecutive_fail,
                    inc.consecutive_pass,
                    inc.opened_at,
                    inc.resolved_at
                ],
            )
            .await?;
        }
    }
    // One delivery per deliverable transition per target; the unique key makes a second
    // enqueue of the same transition a no-op.
    for ch in step.changes.iter().filter(|ch| ch.deliver) {
        let body = json(&ch.transition)?;
        for target in targets {
            c.exec(
                "INSERT INTO deliveries (incident_id, kind, target, transition, attempts, \
                 next_attempt_at, created_at) VALUES ($1, $2, $3, $4, 0, $5, $5) \
                 ON CONFLICT (incident_id, kind, target) DO NOTHING",
                params![
                    ch.transition.incident_id,
                    kind_word(ch.transition.kind),
                    target,
                    &body,
                    ch.transition.at
                ],
            )
            .await?;
        }
    }
    Ok((
        cycle_id,
        step.changes.into_iter().map(|ch| ch.transition).collect(),
    ))
}

/// `head` followed by `rows` tuples of `cols` placeholders: `($1, $2), ($3, $4)`.
fn insert_rows(head: &str, rows: usize, cols: usize) -> String {
    let mut sql = String::from(head);
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for k in 0..cols {
            if k > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(r * cols + k + 1).to_string());
        }
        sql.push(')');
    }
    sql
}

const CYCLE_COLS: &str = "id, org, started_at, duration_ms, state, watcher, signals, report";

fn cycle_of(r: &[Val], with_report: bool) -> Result<(i64, OrgCycle), StoreError> {
    let report = if with_report {
        from_json(&r.text(7)?)?
    } else {
        serde_json::Value::Null
    };
    Ok((
        r.int(0)?,
        OrgCycle {
            org: r.text(1)?,
            started_at: r.int(2)?,
            duration_ms: u64_of(r.int(3)?),
            state: check_state(&r.text(4)?)?,
            watcher: r.text(5)?,
            signals: from_json::<Signals>(&r.text(6)?)?,
            report,
            checks: Vec::new(),
            findings: Vec::new(),
        },
    ))
}

fn check_of(r: &[Val]) -> Result<(i64, CheckResult), StoreError> {
    Ok((
        r.int(0)?,
        CheckResult {
            check: r.text(1)?,
            state: check_state(&r.text(2)?)?,
            latency_ms: u64_of(r.int(3)?),
            codes: from_json(&r.text(4)?)?,
            detail: r.text(5)?,
        },
    ))
}

fn finding_of(r: &[Val]) -> Result<(i64, WatchFinding), StoreError> {
    Ok((
        r.int(0)?,
        WatchFinding {
            code: r.text(1)?,
            severity: r.text(2)?,
            title: r.text(3)?,
            fix: from_json(&r.text(4)?)?,
            forecast: r.int(5)? != 0,
        },
    ))
}

pub async fn cycle<C: Conn>(c: &mut C, id: i64) -> Result<Option<OrgCycle>, StoreError> {
    let sql = format!("SELECT {CYCLE_COLS} FROM cycles WHERE id = $1");
    let rows = c.query(&sql, params![id]).await?;
    let Some(r) = rows.first() else {
        return Ok(None);
    };
    let (_, mut cy) = cycle_of(r, true)?;
    for r in c
        .query(
            "SELECT cycle_id, name, state, latency_ms, codes, detail FROM checks \
             WHERE cycle_id = $1 ORDER BY seq",
            params![id],
        )
        .await?
    {
        cy.checks.push(check_of(&r)?.1);
    }
    for r in c
        .query(
            "SELECT cycle_id, code, severity, title, fix, forecast FROM findings \
             WHERE cycle_id = $1 ORDER BY seq",
            params![id],
        )
        .await?
    {
        cy.findings.push(finding_of(&r)?.1);
    }
    Ok(Some(cy))
}

/// Every org (the watch list and any org with cycles): its last cycle (without the report, which
/// `cycle(id)` gives) and its open incidents. A handful of queries for the whole fleet.
pub async fn status<C: Conn>(c: &mut C) -> Result<Vec<OrgStatus>, StoreError> {
    let mut out: BTreeMap<String, OrgStatus> = BTreeMap::new();
    let names = c
        .query("SELECT name FROM orgs UNION SELECT org FROM org_state", &[])
        .await?;
    for r in &names {
        let org = r.text(0)?;
        out.insert(
            org.clone(),
            OrgStatus {
                org,
                last: None,
                last_cycle_id: None,
                open_incidents: Vec::new(),
            },
        );
    }
    let sql = format!(
        "SELECT {CYCLE_COLS} FROM cycles WHERE id IN (SELECT last_cycle_id FROM org_state)"
    );
    let mut by_id: BTreeMap<i64, String> = BTreeMap::new();
    for r in c.query(&sql, &[]).await? {
        let (id, cy) = cycle_of(&r, false)?;
        by_id.insert(id, cy.org.clone());
        if let Some(s) = out.get_mut(&cy.org) {
            s.last_cycle_id = Some(id);
            s.last = Some(cy);
        }
    }
    for r in c
        .query(
            "SELECT cycle_id, name, state, latency_ms, codes, detail FROM checks \
             WHERE cycle_id IN (SELECT last_cycle_id FROM org_state) ORDER BY cycle_id, seq",
            &[],
        )
        .await?
    {
        let (id, k) = check_of(&r)?;
        if let Some(cy) = by_id
            .get(&id)
            .and_then(|org| out.get_mut(org))
            .and_then(|s| s.last.as_mut())
        {
            cy.checks.push(k);
        }
    }
    for r in c
        .query(
            "SELECT cycle_id, code, severity, title, fix, forecast FROM findings \
             WHERE cycle_id IN (SELECT last_cycle_id FROM org_state) ORDER BY cycle_id, seq",
            &[],
        )
        .await?
    {
        let (id, f) = finding_of(&r)?;
        if let Some(cy) = by_id
            .get(&id)
            .and_then(|org| out.get_mut(org))
            .and_then(|s| s.last.as_mut())
        {
            cy.findings.push(f);
        }
    }
    let sql = format!("SELECT {INCIDENT_COLS} FROM incidents WHERE state = 'open' ORDER BY id");
    for r in c.query(&sql, &[]).await? {
        let inc = incident_of(&r)?;
        if let Some(s) = out.get_mut(&inc.org) {
            s.open_incidents.push(inc);
        }
    }
    Ok(out.into_values().collect())
}

pub async fn history<C: Conn>(
    c: &mut C,
    org: &str,
    n: usize,
) -> Result<Vec<CycleSummary>, StoreError> {
    let rows = c
        .query(
            "SELECT id, org, started_at, duration_ms, state, codes, passed, total FROM cycles \
             WHERE org = $1 ORDER BY started_at DESC, id DESC LIMIT $2",
            params![org, limit(n)],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(CycleSummary {
                cycle_id: r.int(0)?,
                org: r.text(1)?,
                started_at: r.int(2)?,
                duration_ms: u64_of(r.int(3)?),
                state: check_state(&r.text(4)?)?,
                codes: from_json(&r.text(5)?)?,
                passed: u32_of(r.int(6)?),
                total: u32_of(r.int(7)?),
            })
        })
        .collect()
}

pub async fn incidents<C: Conn>(
    c: &mut C,
    org: &str,
    n: usize,
) -> Result<Vec<Incident>, StoreError> {
    let sql = format!(
        "SELECT {INCIDENT_COLS} FROM incidents WHERE org = $1 \
         ORDER BY first_seen DESC, id DESC LIMIT $2"
    );
    let rows = c.query(&sql, params![org, limit(n)]).await?;
    rows.iter().map(|r| incident_of(r)).collect()
}

pub async fn ack<C: Conn>(
    c: &mut C,
    org: &str,
    code: &str,
    who: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let n = c
        .exec(
            "UPDATE incidents SET acked_by = $3, acked_at = $4 \
             WHERE org = $1 AND code = $2 AND state <> 'resolved'",
            params![org, code, sanitize::bounded(who, 200, None), now],
        )
        .await?;
    Ok(n > 0)
}

pub async fn mute<C: Conn>(
    c: &mut C,
    org: &str,
    code: &str,
    until: i64,
    who: &str,
) -> Result<bool, StoreError> {
    let n = c
        .exec(
            "UPDATE incidents SET muted_until = $3, muted_by = $4 \
             WHERE org = $1 AND code = $2 AND state <> 'resolved'",
            params![org, code, until, sanitize::bounded(who, 200, None)],
        )
        .await?;
    Ok(n > 0)
}
