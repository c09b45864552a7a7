//! The `apply` fix of a full grant cap: revoking the integration user's stale OAuth grant for
//! the app, through `/services/oauth2/revoke` with the grant's `OauthToken.DeleteToken`.
//!
//! Which grant is stale: of the user's grants for the app, never one this run made, the least
//! recently used — `LastUsedDate` oldest, a never-used grant (null) first, ties by the oldest
//! `CreatedDate`. It is planned only when GRANT_CAP_RISK or GRANT_CAP_CONSENT_NEEDED was raised
//! and an admin session read the grants; it is named by its creation time, last use and use
//! count (OauthToken.Id is always null, and the DeleteToken is a secret). At apply the grants are
//! read again and the grant revoked only if one still matches the plan exactly (not used since).
//! The DeleteToken goes only in the revoke request's form body (`token=`, redacted by the HTTP
//! log) to the org's instance the session was checked against; never to the journal, `--json`,
//! the report or the HAR. A revoked grant cannot be given back: undo lists it as such.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::context::Run;
use super::findings::{Code, Finding};
use super::fix::{Actor, Applied, Fix, FixKind, Outcome, Plan, PlannedRequest};
use super::http::Request;
use super::journal::Journal;
use super::model::{Event, Report};
use super::record::{OauthGrant, read_grants};

/// What an `apply` fix changes in the org.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Change {
    /// A PermissionSetAssignment of the record's permission set to its assignee (the record's
    /// other fields say which). Records written before changes were typed read back as this.
    #[default]
    AssignPermissionSet,
    /// Revoking one OAuth grant (OauthToken row) of a user for an app, named by its dates and
    /// use count (never its DeleteToken).
    RevokeGrant {
        user_id: String,
        app: String,
        created: Option<String>,
        last_used: Option<String>,
        use_count: Option<u64>,
    },
}

/// What undo says of a revoked grant.
pub const CANNOT_UNDO: &str =
    "cannot be undone: the integration (or the user) must authorize again";

/// The stale grant among `grants` (of one app): never one of this run, the least recently used
/// (never used first), ties by the oldest creation.
pub fn stale(grants: &[OauthGrant]) -> Option<&OauthGrant> {
    grants
        .iter()
        .filter(|g| !g.this_run)
        .min_by_key(|g| (g.last_used_ms.is_some(), g.last_used_ms, g.created_ms))
}

fn same(g: &OauthGrant, c: &Change) -> bool {
    matches!(c, Change::RevokeGrant { app, created, last_used, use_count, .. }
        if g.is_for(app) && g.created == *created && g.last_used == *last_used && g.use_count == *use_count)
}

/// Words for a grant: "the OAuth grant for APP created …, last used …, N uses".
pub fn describe(c: &Change) -> String {
    match c {
        Change::AssignPermissionSet => "a permission set assignment".into(),
        Change::RevokeGrant {
            app,
            created,
            last_used,
            use_count,
            ..
        } => format!(
            "the OAuth grant for {app} created {}, last used {}, {} use(s)",
            created.as_deref().unwrap_or("at an unknown time"),
            last_used.as_deref().unwrap_or("never"),
            use_count.map_or_else(|| "unknown".into(), |n| n.to_string())
        ),
    }
}

fn revoke_url(instance: &str) -> String {
    format!("{}/services/oauth2/revoke", instance.trim_end_matches('/'))
}

fn planned_request(instance: &str) -> PlannedRequest {
    PlannedRequest {
        method: "POST".into(),
        url: revoke_url(instance),
        body: json!({"token": "(the grant's OauthToken.DeleteToken: read at apply, sent only in this request)"}),
    }
}

/// The revoke fix for a report, when its grant-cap findings were raised and an admin session
/// read the grants; None otherwise (the finding's Setup steps stand).
pub fn plan_revoke(report: &Report, code: Code, instance: &str) -> Option<Fix> {
    let rec = report.integration.as_ref()?;
    let grants = rec.grants.as_ref()?;
    if rec.read_as != Some("admin") {
        return None;
    }
    let user_id = rec.user.id.clone().or_else(|| report.org.user_id.clone())?;
    // The app's name unknown (no login): the app holding the most grants, as the guard counts.
    let (app, of_app) = super::guard::of_app(&grants.grants, grants.app.as_deref());
    let app = app?;
    let g = stale(&of_app)?;
    let change = Change::RevokeGrant {
        user_id,
        app,
        created: g.created.clone(),
        last_used: g.last_used.clone(),
        use_count: g.use_count,
    };
    let user = rec
        .user
        .username
        .clone()
        .or_else(|| report.org.username.clone())
        .unwrap_or_else(|| "the API user".into());
    Some(Fix {
        kind: FixKind::Apply,
        finding: code,
        target: format!(
            "revoke {} (the least recently used of {user}'s)",
            describe(&change)
        ),
        request: Some(planned_request(instance)),
        command: None,
        metadata: None,
        steps: code.info().fix.iter().map(|s| s.to_string()).collect(),
        permission_set: None,
        change: Some(change),
    })
}

fn refuse(run: &mut Run, code: Code, detail: String) {
    run.raise(Finding::new(code, detail, vec![]).titled("The stale grant was not revoked"));
}

/// Revokes the plan's stale grants as `actor` (the caller has consent): reads the user's grants
/// again, and revokes the one matching the plan, journalled before it is sent.
pub async fn apply(
    run: &mut Run,
    plan: &Plan,
    actor: &Actor,
    journal: &mut Journal,
) -> Vec<Applied> {
    let mut out = Vec::new();
    for fix in plan.applicable() {
        let Some(change @ Change::RevokeGrant { user_id, .. }) = &fix.change else {
            continue;
        };
        let what = describe(change);
        let grants = match read_grants(
            &run.client,
            &actor.instance_url,
            &actor.access_token,
            user_id,
        )
        .await
        {
            Ok((g, _)) => g,
            Err(e) => {
                refuse(
                    run,
                    Code::FIX_NOT_PERMITTED,
                    format!(
                        "{} cannot read the user's grants (OauthToken: {e}): nothing was revoked. Log in as an admin with Manage Users (--admin-username).",
                        actor.username
                    ),
                );
                continue;
            }
        };
        let Some(grant) = grants.iter().find(|g| same(g, change)) else {
            refuse(
                run,
                Code::FIX_FAILED,
                format!(
                    "The grants changed since the plan ({what} is no longer there as planned: used since, or revoked): nothing was revoked. Run again for a new plan."
                ),
            );
            continue;
        };
        let Some(token) = grant.delete_token().map(str::to_string) else {
            refuse(
                run,
                Code::FIX_NOT_PERMITTED,
                format!(
                    "{what}: its DeleteToken is not readable by {}: nothing was revoked. Revoke it in Setup (Connected Apps OAuth Usage).",
                    actor.username
                ),
            );
            continue;
        };
        run.client.add_secret(&token);
        let mut rec = Applied {
            outcome: Outcome::Unknown,
            permission_set: what.clone(),
            permission_set_id: None,
            assignee_id: user_id.clone(),
            assignment_id: None,
            by: actor.username.clone(),
            at_ms: super::clock::now_ms(),
            request_id: 0,
            request: planned_request(&actor.instance_url),
            finding: None,
            note: None,
            change: change.clone(),
        };
        let Some(seq) = super::fix::journal_intent(run, journal, &rec, "nothing was revoked")
        else {
            break;
        };
        let (id, answer) = run
            .client
            .send(Request::post_form(
                revoke_url(&actor.instance_url),
                &[("token", token.as_str())],
            ))
            .await;
        rec.request_id = id;
        rec.outcome = Outcome::Failed;
        match answer {
            Ok(r) if r.status == 200 => rec.outcome = Outcome::Revoked,
            Ok(r) => {
                let text = run.client.scrub(&r.text());
                run.raise(
                    Finding::new(
                        Code::FIX_FAILED,
                        format!("Revoking {what}: HTTP {}: {text}", r.status),
                        vec![id],
                    )
                    .titled("The stale grant was not revoked"),
                );
                rec.finding = Some(Code::FIX_FAILED.as_str().into());
            }
            Err(f) => {
                // Sent, and no answer: read the grants to tell.
                run.raise(super::classify::failure(&f, id));
                rec.outcome = match read_grants(
                    &run.client,
                    &actor.instance_url,
                    &actor.access_token,
                    user_id,
                )
                .await
                {
                    Ok((g, _)) if g.iter().any(|g| same(g, change)) => Outcome::Failed,
                    Ok(_) => Outcome::Revoked,
                    Err(_) => Outcome::Unknown,
                };
                rec.note = Some(format!(
                    "the answer was lost; settled by reading the grants: {}",
                    rec.outcome
                ));
            }
        }
        if let Err(e) = journal.outcome(seq, &rec) {
            run.emit(Event::Progress(format!(
                "the fix journal {} could not record how the revoke ended ({e})",
                journal.path().display()
            )));
        }
        run.emit(Event::Progress(format!(
            "{} {what} of {user_id} as {} (request #{id})",
            rec.outcome, actor.username
        )));
        tracing::info!(outcome = %rec.outcome, by = %actor.username, request = id, "stale grant revoke");
        out.push(rec);
    }
    out
}

/// What undo records for a revoke (none is sent): it cannot be given back.
pub fn not_undoable(run: &Run, r: &Applied, actor: &Actor) -> Applied {
    run.emit(Event::Progress(format!(
        "not undone: {} ({}) {CANNOT_UNDO}",
        r.permission_set, r.outcome
    )));
    Applied {
        outcome: Outcome::NotUndoable,
        by: actor.username.clone(),
        at_ms: super::clock::now_ms(),
        request_id: 0,
        note: Some(CANNOT_UNDO.into()),
        ..r.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::record::grants::tests_support::grant;

    #[test]
    fn the_stale_grant_is_the_least_recently_used_never_used_first_never_this_runs() {
        let d = 86_400_000u64;
        let now = 1_796_648_700_000u64;
        let mut recent = grant("App", now - 180 * d, now - 60_000);
        recent.use_count = Some(51_840);
        let old = grant("App", now - 41 * d, now - 41 * d);
        let older_use = grant("App", now - 33 * d, now - 45 * d);
        let mut never = grant("App", now - 2 * d, 0);
        never.last_used_ms = None;
        never.last_used = None;
        let mut mine = never.clone();
        mine.this_run = true;
        mine.created_ms = Some(now);
        let all = vec![recent.clone(), old.clone(), older_use.clone()];
        assert_eq!(stale(&all), Some(&older_use));
        let all = vec![recent.clone(), old, never.clone(), mine.clone()];
        assert_eq!(stale(&all), Some(&never));
        assert_eq!(stale(&[mine]), None);
        // Two never used: the older creation.
        let mut never_older = never.clone();
        never_older.created_ms = Some(now - 9 * d);
        assert_eq!(
            stale(&[never.clone(), never_older.clone()]),
            Some(&never_older)
        );
        let c = Change::RevokeGrant {
            user_id: "005000000000001".into(),
            app: "App".into(),
            created: recent.created.clone(),
            last_used: recent.last_used.clone(),
            use_count: recent.use_count,
        };
        assert!(same(&recent, &c) && !same(&never, &c));
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["type"], "revoke-grant");
        let back: Change = serde_json::from_value(json).unwrap();
        assert_eq!(back, c);
    }
}
