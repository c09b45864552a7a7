//! The one "apply or undo, then re-probe" operation every front end calls (`sagediag fix`, the
//! console's Fix overlay): the change is made (each step journalled before it is sent), the
//! probes of the permission sets it touched run again as the integration user, and the report
//! is updated to say what is true now — its rows, findings, assignments, step statuses and
//! outcome, and its "Changes made" (who, what, when, request and record ids).

use super::context::Run;
use super::export::iso8601;
use super::findings::{Code, Finding};
use super::fix::{self, Actor, Applied, Change, Outcome, Plan};
use super::journal::Journal;
use super::model::{ChangeMade, ENDPOINTS, EndpointResult, Event, Report};
use super::org::{judge_probe, probe_request};

/// What to change.
pub enum Request<'a> {
    /// The plan's `apply` fixes.
    Apply(&'a Plan),
    /// Delete what these records created; `proof` is the journals' own records of it.
    Undo {
        records: &'a [Applied],
        proof: &'a [Applied],
    },
}

/// What a change did.
pub struct Changed {
    /// Each change made or tried (what `--undo` and `u` take back).
    pub records: Vec<Applied>,
    /// The probes run again.
    pub probes: Vec<EndpointResult>,
    /// Every change was made (or undone) and every probe run again passed (after an undo:
    /// nothing of it is left).
    pub ok: bool,
}

/// A change record as the report lists it.
pub fn change_made(a: &Applied) -> ChangeMade {
    ChangeMade {
        outcome: a.outcome,
        what: a.permission_set.clone(),
        for_user: a.assignee_id.clone(),
        by: a.by.clone(),
        at: iso8601(a.at_ms),
        at_ms: a.at_ms,
        request_id: a.request_id,
        record: match &a.change {
            Change::AssignPermissionSet => a
                .assignment_id
                .as_deref()
                .map(|id| format!("PermissionSetAssignment {id}")),
            Change::RevokeGrant { .. } => Some("OauthToken (revoked)".into()),
        },
        note: a.note.clone(),
    }
}

/// Makes the change as `actor`, re-probes the sets it touched as `integration` (when there is
/// a session), and updates `report`. The caller has the user's consent: nothing here asks.
pub async fn apply_or_undo(
    run: &mut Run,
    report: &mut Report,
    request: Request<'_>,
    actor: &Actor,
    integration: Option<&Actor>,
    journal: &mut Journal,
) -> Changed {
    let undo = matches!(request, Request::Undo { .. });
    let records = match request {
        Request::Apply(plan) => fix::apply(run, plan, actor, journal).await,
        Request::Undo { records, proof } => fix::undo(run, records, actor, journal, proof).await,
    };
    let sets: Vec<&str> = records
        .iter()
        .filter(|r| {
            if undo {
                r.outcome == Outcome::Deleted
            } else {
                r.outcome.assigned()
            }
        })
        .map(|r| r.permission_set.as_str())
        .collect();
    let mut probes = Vec::new();
    if let Some(s) = integration {
        for (i, def) in ENDPOINTS.iter().enumerate() {
            if !sets.contains(&def.permission_set) {
                continue;
            }
            let answer = run
                .client
                .send(probe_request(def, &s.instance_url, &s.access_token))
                .await;
            let id = answer.0;
            let (result, finding) = judge_probe(def, answer, Some(!undo));
            // After an apply, a probe that still fails is the fix failing; after an undo it
            // is expected, and its own finding says so.
            if let (Some(f), false) = (&finding, undo) {
                run.raise(
                    Finding::new(
                        Code::FIX_FAILED,
                        format!(
                            "After the change, {} still fails: {} ({}).",
                            def.name, f.title, f.code
                        ),
                        vec![id],
                    )
                    .titled(format!("{} still fails after the fix", def.name)),
                );
            }
            run.emit(Event::Endpoint(result.clone()));
            report.reprobed(i, result.clone(), finding);
            probes.push(result);
        }
    }
    report
        .changes
        .extend(records.iter().map(change_made).map(|mut c| {
            c.what = super::sanitize::bounded(&c.what, super::sanitize::MAX_VALUE, None);
            c
        }));
    report.add_findings(&run.findings);
    let ok = if undo {
        // Deleted, or (a lost answer settled) never made or not sagediag's: nothing left.
        !records.is_empty()
            && records.iter().all(|u| {
                matches!(
                    u.outcome,
                    Outcome::Deleted | Outcome::Failed | Outcome::AlreadyAssigned
                )
            })
    } else {
        !records.is_empty() && fix::all_fixed(&records, &probes)
    };
    Changed {
        records,
        probes,
        ok,
    }
}
