//! Taking back what `fix` did, and settling what a lost answer left unknown.
//!
//! Undo reads its records back from a file the user names, so it trusts none of them on their
//! own. It deletes a PermissionSetAssignment only when all of these hold:
//! - a fix journal sagediag wrote records it as created by sagediag (same org, assignment,
//!   assignee and permission set) — `proof`, read from the journal directory or the journal given;
//! - the record names the org `actor` is logged in to (its instance host);
//! - the org still has that assignment, for the recorded user and permission set;
//! - its `SystemModstamp` ("Date Assigned", the object's only date) is within [`WINDOW_MS`] of
//!   the time the record says it was made.
//!
//! Anything else is left in place, as `undo-skipped` with the reason. Each delete is written to
//! the undo's own journal before it is sent. A revoked grant is listed as `not-undoable`
//! ([`super::grant_fix::CANNOT_UNDO`]): nothing is sent for it.

use serde_json::Value;

use super::context::Run;
use super::findings::{Code, Finding};
use super::fix::{Actor, Applied, Change, Outcome, PlannedRequest};
use super::http::Request;
use super::journal::{self, Journal};
use super::model::{API_VERSION, Event};

/// How far an assignment's `SystemModstamp` may be from the time recorded for its creation
/// (clock skew between this machine and the org, and the request's own time): ten minutes.
pub const WINDOW_MS: u64 = 10 * 60 * 1000;

fn soql_url(instance: &str, q: &str) -> String {
    let mut u = format!("{instance}/services/data/{API_VERSION}/query?q=");
    u.extend(url::form_urlencoded::byte_serialize(q.as_bytes()));
    u
}

/// Salesforce ids compare on their first 15 characters (the 18-character form adds a suffix).
fn same_id(a: &Value, b: &str) -> bool {
    a.as_str()
        .is_some_and(|a| a.chars().take(15).eq(b.chars().take(15)))
}

/// A Salesforce datetime (`2026-12-07T13:05:00.000+0000`) in milliseconds since the epoch.
fn datetime_ms(v: &Value) -> Option<u64> {
    let t = v.as_str()?;
    let d = chrono::DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f%z").ok()?;
    u64::try_from(d.timestamp_millis()).ok()
}

fn near(at_ms: u64, stamp: &Value) -> bool {
    datetime_ms(stamp).is_some_and(|t| t.abs_diff(at_ms) <= WINDOW_MS)
}

/// Only ids (alphanumeric) go into a query.
fn id_like(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric())
}

async fn rows(run: &Run, actor: &Actor, q: &str) -> (u64, String, Option<Vec<Value>>) {
    let url = soql_url(&actor.instance_url, q);
    let (id, answer) = run
        .client
        .send(Request::get(url.clone()).bearer(&actor.access_token))
        .await;
    let rows = answer
        .ok()
        .filter(|resp| resp.status == 200)
        .and_then(|resp| resp.json())
        .and_then(|v| v["records"].as_array().cloned());
    (id, url, rows)
}

/// Settles a change whose answer was lost (`unknown`): reads the org for an assignment of the
/// recorded set to the recorded user. Found, assigned within [`WINDOW_MS`] of the request:
/// `created`, with its id. Found, older: `already-assigned`. Not found: `failed`. Unreadable:
/// still `unknown`, and said so. Any other record is returned as it is.
pub async fn settle(run: &mut Run, actor: &Actor, mut rec: Applied) -> Applied {
    if rec.outcome != Outcome::Unknown {
        return rec;
    }
    let (Some(set_id), true) = (
        rec.permission_set_id.clone().filter(|s| id_like(s)),
        id_like(&rec.assignee_id),
    ) else {
        rec.note = Some("not settled: the record names no valid ids".into());
        return rec;
    };
    let q = format!(
        "SELECT Id, AssigneeId, PermissionSetId, SystemModstamp FROM PermissionSetAssignment WHERE AssigneeId = '{}' AND PermissionSetId = '{set_id}'",
        rec.assignee_id
    );
    let (id, _, found) = rows(run, actor, &q).await;
    let row = found.as_ref().map(|rows| {
        rows.iter().find(|r| {
            same_id(&r["PermissionSetId"], &set_id) && same_id(&r["AssigneeId"], &rec.assignee_id)
        })
    });
    match row {
        None => {
            rec.note = Some(format!(
                "not settled: the org could not be read (request #{id})"
            ));
        }
        Some(None) => {
            rec.outcome = Outcome::Failed;
            rec.note = Some(format!(
                "settled by reading the org: not assigned (request #{id})"
            ));
        }
        Some(Some(r)) => {
            let aid = r["Id"].as_str().filter(|a| id_like(a)).map(str::to_string);
            if near(rec.at_ms, &r["SystemModstamp"]) && aid.is_some() {
                rec.outcome = Outcome::Created;
                rec.assignment_id = aid;
                rec.note = Some(format!(
                    "settled by reading the org: assigned at the time of the request (request #{id})"
                ));
            } else {
                rec.outcome = Outcome::AlreadyAssigned;
                rec.note = Some(format!(
                    "settled by reading the org: assigned before this run (request #{id})"
                ));
            }
        }
    }
    run.emit(Event::Progress(format!(
        "{} {} for {}: {}",
        rec.outcome,
        rec.permission_set,
        rec.assignee_id,
        rec.note.as_deref().unwrap_or_default()
    )));
    rec
}

/// A record of what undo did to assignment `aid` (recorded as `r`): `outcome`, by `actor`
/// now, with the request sent (its log id, method and URL).
fn undo_record(
    r: &Applied,
    aid: &str,
    actor: &Actor,
    outcome: Outcome,
    (request_id, method, url): (u64, &str, String),
) -> Applied {
    Applied {
        outcome,
        permission_set: r.permission_set.clone(),
        permission_set_id: r.permission_set_id.clone(),
        assignee_id: r.assignee_id.clone(),
        assignment_id: Some(aid.to_string()),
        by: actor.username.clone(),
        at_ms: super::clock::now_ms(),
        request_id,
        request: PlannedRequest {
            method: method.into(),
            url,
            body: Value::Null,
        },
        finding: None,
        note: None,
        change: r.change.clone(),
    }
}

fn skipped(
    run: &Run,
    r: &Applied,
    aid: &str,
    actor: &Actor,
    why: String,
    req: (u64, &str, String),
) -> Applied {
    run.emit(Event::Progress(format!(
        "not deleted: PermissionSetAssignment {aid} ({}): {why}",
        r.permission_set
    )));
    Applied {
        note: Some(why),
        ..undo_record(r, aid, actor, Outcome::UndoSkipped, req)
    }
}

/// Why assignment `aid` (recorded as `r`) must not be deleted, read from the org; None when it
/// is still the one recorded. The query is the returned record's request.
async fn unconfirmed(run: &mut Run, r: &Applied, aid: &str, actor: &Actor) -> Option<Applied> {
    let q = format!(
        "SELECT Id, AssigneeId, PermissionSetId, SystemModstamp FROM PermissionSetAssignment WHERE Id = '{aid}'"
    );
    let (id, url, rows) = rows(run, actor, &q).await;
    let why = match rows.as_deref() {
        Some([row])
            if same_id(&row["AssigneeId"], &r.assignee_id)
                && r.permission_set_id
                    .as_deref()
                    .is_none_or(|p| same_id(&row["PermissionSetId"], p)) =>
        {
            if near(r.at_ms, &row["SystemModstamp"]) {
                return None;
            }
            "its Date Assigned (SystemModstamp) is not the time recorded: changed since, or not the assignment recorded".to_string()
        }
        Some([]) => "it is no longer in the org".to_string(),
        Some(_) => format!(
            "it no longer assigns {} to {}: not the assignment recorded",
            r.permission_set, r.assignee_id
        ),
        None => "it could not be read to confirm it is the one recorded".to_string(),
    };
    Some(skipped(
        run,
        r,
        aid,
        actor,
        format!("{why} (request #{id})"),
        (id, "GET", url),
    ))
}

/// Deletes the assignments a previous run created, as `actor`: only those `proof` (the fix
/// journal's records) shows sagediag created, on this org, still as recorded (see the module's
/// notes). Unknown outcomes are settled first. Each delete is journalled before it is sent.
/// Returns one record per assignment considered.
pub async fn undo(
    run: &mut Run,
    records: &[Applied],
    actor: &Actor,
    journal: &mut Journal,
    proof: &[Applied],
) -> Vec<Applied> {
    let mut out = Vec::new();
    let here = journal::org_host(&actor.instance_url);
    for r in records {
        if matches!(r.change, Change::RevokeGrant { .. }) {
            // A revoked grant cannot be given back: listed, nothing sent.
            if matches!(r.outcome, Outcome::Revoked | Outcome::Unknown) {
                out.push(super::grant_fix::not_undoable(run, r, actor));
            }
            continue;
        }
        let r = match r.outcome {
            Outcome::Unknown => {
                let settled = settle(run, actor, r.clone()).await;
                if settled.outcome != Outcome::Created {
                    out.push(settled);
                    continue;
                }
                settled
            }
            Outcome::Created => r.clone(),
            _ => continue,
        };
        let Some(aid) = r.assignment_id.clone().filter(|a| id_like(a)) else {
            continue;
        };
        let none = (0, "", String::new());
        if journal::org_host(&r.request.url) != here {
            out.push(skipped(
                run,
                &r,
                &aid,
                actor,
                "the record is of another org than the one logged in to".into(),
                none,
            ));
            continue;
        }
        let journalled = proof.iter().any(|j| {
            matches!(j.outcome, Outcome::Created | Outcome::Unknown)
                && journal::org_host(&j.request.url) == here
                && j.assignee_id == r.assignee_id
                && j.permission_set_id == r.permission_set_id
                && (j.assignment_id == r.assignment_id || j.assignment_id.is_none())
        });
        if !journalled {
            out.push(skipped(
                run,
                &r,
                &aid,
                actor,
                "no fix journal of sagediag's records creating it: sagediag deletes only what it created".into(),
                none,
            ));
            continue;
        }
        if let Some(s) = unconfirmed(run, &r, &aid, actor).await {
            out.push(s);
            continue;
        }
        let url = format!(
            "{}/services/data/{API_VERSION}/sobjects/PermissionSetAssignment/{aid}",
            actor.instance_url
        );
        let mut rec = undo_record(
            &r,
            &aid,
            actor,
            Outcome::Unknown,
            (0, "DELETE", url.clone()),
        );
        let Some(seq) = super::fix::journal_intent(run, journal, &rec, "nothing more was deleted")
        else {
            break;
        };
        let (id, answer) = run
            .client
            .send(
                Request::get(url)
                    .with_method(reqwest::Method::DELETE)
                    .bearer(&actor.access_token),
            )
            .await;
        rec.request_id = id;
        rec.outcome = Outcome::UndoFailed;
        match answer {
            Ok(resp) if resp.status == 204 => rec.outcome = Outcome::Deleted,
            Ok(resp) => {
                let code = resp
                    .json()
                    .and_then(|v| super::classify::api_error_code(&v))
                    .unwrap_or_default();
                let finding = match super::fix::refusal(&code) {
                    Code::FIX_NOT_PERMITTED => Code::FIX_NOT_PERMITTED,
                    _ => Code::FIX_FAILED,
                };
                run.raise(
                    Finding::new(
                        finding,
                        format!(
                            "Deleting PermissionSetAssignment {aid} ({}): HTTP {} {code}",
                            r.permission_set, resp.status
                        ),
                        vec![id],
                    )
                    .titled(format!("Undo of {} failed", r.permission_set)),
                );
                rec.finding = Some(finding.as_str().into());
            }
            Err(f) => {
                run.raise(super::classify::failure(&f, id));
                rec.finding = Some(Code::FIX_FAILED.as_str().into());
            }
        }
        let _ = journal.outcome(seq, &rec);
        run.emit(Event::Progress(format!(
            "{} PermissionSetAssignment {aid} ({}) as {} (request #{id})",
            rec.outcome, r.permission_set, actor.username
        )));
        out.push(rec);
    }
    out
}
