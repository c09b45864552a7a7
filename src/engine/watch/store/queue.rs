//! The store's queue-like operations, written once over [`Conn`]: alert deliveries (claimed
//! with `FOR UPDATE SKIP LOCKED` on PostgreSQL), the leases of team mode, the LoginHistory
//! high-water marks, and pruning.

use super::super::model::Delivery;
use super::StoreError;
use super::db::{Cols, Conn, Dialect, in_tx, params};
use super::ops::{from_json, limit, u32_of};
use crate::engine::sanitize;

/// How long a claimed delivery stays claimed: a watcher that dies while sending loses it then.
pub const CLAIM_SECS: i64 = 120;
/// The longest `last_error` kept.
const ERROR_MAX: usize = 500;

pub async fn login_high_water<C: Conn>(c: &mut C, org: &str) -> Result<Option<String>, StoreError> {
    let rows = c
        .query("SELECT hwm FROM login_hwm WHERE org = $1", params![org])
        .await?;
    match rows.first() {
        Some(r) => Ok(Some(r.text(0)?)),
        None => Ok(None),
    }
}

pub async fn set_login_high_water<C: Conn>(
    c: &mut C,
    org: &str,
    hwm: &str,
) -> Result<(), StoreError> {
    c.exec(
        "INSERT INTO login_hwm (org, hwm) VALUES ($1, $2) \
         ON CONFLICT (org) DO UPDATE SET hwm = excluded.hwm",
        params![org, hwm],
    )
    .await?;
    Ok(())
}

// ---- deliveries

pub async fn due_deliveries<C: Conn>(
    c: &mut C,
    now: i64,
    n: usize,
) -> Result<Vec<Delivery>, StoreError> {
    // One statement: the rows are chosen and claimed together. PostgreSQL skips rows another
    // watcher is claiming at this moment; SQLite has one writer at a time.
    let sql = match c.dialect() {
        Dialect::Postgres => {
            "UPDATE deliveries SET claimed_until = $2 WHERE id IN (
                 SELECT id FROM deliveries
                 WHERE delivered_at IS NULL AND next_attempt_at <= $1
                   AND (claimed_until IS NULL OR claimed_until <= $1)
                 ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
             RETURNING id, target, transition, attempts, next_attempt_at, last_error, delivered_at"
        }
        Dialect::Sqlite => {
            "UPDATE deliveries SET claimed_until = $2 WHERE id IN (
                 SELECT id FROM deliveries
                 WHERE delivered_at IS NULL AND next_attempt_at <= $1
                   AND (claimed_until IS NULL OR claimed_until <= $1)
                 ORDER BY id LIMIT $3)
             RETURNING id, target, transition, attempts, next_attempt_at, last_error, delivered_at"
        }
    };
    let rows = c
        .query(sql, params![now, now.saturating_add(CLAIM_SECS), limit(n)])
        .await?;
    let mut out = rows
        .iter()
        .map(|r| {
            Ok(Delivery {
                id: r.int(0)?,
                target: r.text(1)?,
                transition: from_json(&r.text(2)?)?,
                attempts: u32_of(r.int(3)?),
                next_attempt_at: r.int(4)?,
                last_error: r.opt_text(5)?,
                delivered_at: r.opt_int(6)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    out.sort_by_key(|d| d.id);
    Ok(out)
}

pub async fn delivered<C: Conn>(c: &mut C, id: i64, at: i64) -> Result<(), StoreError> {
    c.exec(
        "UPDATE deliveries SET delivered_at = $2, attempts = attempts + 1, claimed_until = NULL, \
         last_error = NULL WHERE id = $1",
        params![id, at],
    )
    .await?;
    Ok(())
}

pub async fn delivery_failed<C: Conn>(
    c: &mut C,
    id: i64,
    next_attempt_at: i64,
    error: &str,
) -> Result<(), StoreError> {
    c.exec(
        "UPDATE deliveries SET next_attempt_at = $2, last_error = $3, attempts = attempts + 1, \
         claimed_until = NULL WHERE id = $1 AND delivered_at IS NULL",
        params![
            id,
            next_attempt_at,
            sanitize::bounded(error, ERROR_MAX, None)
        ],
    )
    .await?;
    Ok(())
}

// ---- team mode

/// Takes the org's lease for `cycle_key` when there is none, when it is ours for this key or an
/// older one, or when another watcher's has expired and was for an older key. So a cycle key is
/// never granted to two watchers, and a dead watcher's org is taken over once its lease expires.
/// Expiry is judged by the database's clock, the one clock every watcher of a team shares.
pub async fn try_lease<C: Conn>(
    c: &mut C,
    org: &str,
    watcher: &str,
    cycle_key: i64,
    ttl_secs: u64,
) -> Result<bool, StoreError> {
    let ttl = i64::try_from(ttl_secs).unwrap_or(i64::MAX / 4);
    let sql = match c.dialect() {
        Dialect::Postgres => {
            LEASE_SQL.replace("{NOW}", "CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)")
        }
        Dialect::Sqlite => LEASE_SQL.replace("{NOW}", "CAST(strftime('%s', 'now') AS INTEGER)"),
    };
    let n = c.exec(&sql, params![org, watcher, cycle_key, ttl]).await?;
    Ok(n > 0)
}

/// Gives back `watcher`'s lease on `org` once its cycle `cycle_key` is recorded: the lease
/// expires now, so another watcher may take the org's NEXT cycle key at once (the same key is
/// never granted again). A watcher that dies mid-cycle still holds its lease until it expires.
pub async fn release_lease<C: Conn>(
    c: &mut C,
    org: &str,
    watcher: &str,
    cycle_key: i64,
) -> Result<bool, StoreError> {
    let now = match c.dialect() {
        Dialect::Postgres => "CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)",
        Dialect::Sqlite => "CAST(strftime('%s', 'now') AS INTEGER)",
    };
    let sql = format!(
        "UPDATE leases SET expires_at = {now} \
         WHERE org = $1 AND holder = $2 AND cycle_key = $3 AND expires_at > {now}"
    );
    let n = c.exec(&sql, params![org, watcher, cycle_key]).await?;
    Ok(n > 0)
}

const LEASE_SQL: &str = "INSERT INTO leases (org, holder, cycle_key, expires_at) \
     VALUES ($1, $2, $3, {NOW} + $4) \
     ON CONFLICT (org) DO UPDATE SET holder = excluded.holder, \
         cycle_key = excluded.cycle_key, expires_at = excluded.expires_at \
     WHERE (leases.holder = excluded.holder AND leases.cycle_key <= excluded.cycle_key) \
        OR (leases.expires_at <= {NOW} AND leases.cycle_key < excluded.cycle_key)";

/// Deletes what is older than the retention: cycles (but each org's last), their checks and
/// findings, resolved incidents and delivered deliveries. The number of cycles deleted.
pub async fn prune<C: Conn>(c: &mut C, retention_days: u32, now: i64) -> Result<u64, StoreError> {
    in_tx!(c, prune_tx(c, retention_days, now))
}

async fn prune_tx<C: Conn>(c: &mut C, retention_days: u32, now: i64) -> Result<u64, StoreError> {
    let cutoff = now.saturating_sub(i64::from(retention_days) * 86_400);
    let old = "SELECT id FROM cycles WHERE started_at < $1 AND id NOT IN \
               (SELECT last_cycle_id FROM org_state WHERE last_cycle_id IS NOT NULL)";
    c.exec(
        &format!("DELETE FROM checks WHERE cycle_id IN ({old})"),
        params![cutoff],
    )
    .await?;
    c.exec(
        &format!("DELETE FROM findings WHERE cycle_id IN ({old})"),
        params![cutoff],
    )
    .await?;
    let n = c
        .exec(
            &format!("DELETE FROM cycles WHERE id IN ({old})"),
            params![cutoff],
        )
        .await?;
    c.exec(
        "DELETE FROM incidents WHERE state = 'resolved' AND resolved_at < $1",
        params![cutoff],
    )
    .await?;
    c.exec(
        "DELETE FROM deliveries WHERE delivered_at IS NOT NULL AND delivered_at < $1",
        params![cutoff],
    )
    .await?;
    Ok(n)
}
