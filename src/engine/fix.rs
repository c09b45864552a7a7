//! The setup half: how each finding is fixed, and — with an admin's consent — fixing the ones
//! the API can: assigning the Sage People permission sets to the integration user, then
//! re-running the affected probes at once, and undoing what a run created.
//!
//! Three steps, each usable by any front end (`sagediag check --fix-plan`, `sagediag fix`, the
//! console): [`plan`] (reads only), [`apply`] (creates PermissionSetAssignment rows; the caller
//! asks for consent first), [`undo`] (deletes the rows a run created). Each takes a [`Run`] for
//! its client, events and findings (raised through [`Run::raise`], so sanitised once), and
//! returns plain records that serialise without any secret.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::classify;
use super::context::Run;
use super::findings::{Code, Finding};
pub use super::fix_metadata::metadata_for;
pub use super::grant_fix::Change;
use super::http::Request;
use super::journal::Journal;
use super::model::{API_VERSION, ENDPOINTS, EndpointResult, Event, Report, Status};
use super::org::{judge_probe, probe_request};
pub use super::undo::{settle, undo};

/// How a finding is fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FixKind {
    /// sagediag can do it through the API (with `--yes` and a user who may).
    Apply,
    /// An exact `sf` CLI command for an admin to run.
    Command,
    /// Connected-app metadata to retrieve, change and deploy.
    Metadata,
    /// A path in Setup (the finding's fix steps).
    Setup,
}

/// How each catalogued finding is fixed.
pub fn kind_of(code: Code) -> FixKind {
    match code {
        // The grant cap: when an admin session read the grants (else its Setup steps).
        Code::PERMISSION_SET_MISSING | Code::GRANT_CAP_RISK | Code::GRANT_CAP_CONSENT_NEEDED => {
            FixKind::Apply
        }
        Code::FIX_LICENSE_MISSING | Code::FIX_NOT_PERMITTED => FixKind::Command,
        Code::PKCE_REQUIRED
        | Code::REDIRECT_URI_MISMATCH
        | Code::REFRESH_POLICY_EXPIRES
        | Code::REFRESH_TOKEN_MISSING
        | Code::API_SCOPE_MISSING
        | Code::CLIENT_CREDENTIALS_NO_RUN_AS_USER => FixKind::Metadata,
        _ => FixKind::Setup,
    }
}

/// The HTTP request an `apply` fix sends (never a token: the Authorization header is not part
/// of it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedRequest {
    pub method: String,
    pub url: String,
    pub body: Value,
}

/// Connected-app metadata to change: retrieve the app, change the element, deploy it back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetadataChange {
    /// The file the retrieve writes and the deploy reads.
    pub file: String,
    /// The element to set in it.
    pub element: String,
    pub retrieve: String,
    pub deploy: String,
}

/// One fix of one finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fix {
    pub kind: FixKind,
    pub finding: Code,
    /// What it changes: the permission set and the user, the app, or the finding's title.
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<PlannedRequest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<MetadataChange>,
    /// The Setup steps (the catalog's fix), for every kind.
    pub steps: Vec<String>,
    /// For `apply`: the permission set's label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission_set: Option<String>,
    /// For `apply`: what it changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
}

/// The plan for a run's findings.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Plan {
    pub fixes: Vec<Fix>,
    /// The integration user the `apply` fixes assign to.
    pub assignee_id: Option<String>,
    pub assignee: Option<String>,
}

impl Plan {
    pub fn applicable(&self) -> impl Iterator<Item = &Fix> {
        self.fixes.iter().filter(|f| f.kind == FixKind::Apply)
    }
}

/// A logged-in session that sends requests (the integration user's or an admin's). Secrets:
/// never serialised.
#[derive(Clone)]
pub struct Actor {
    pub instance_url: String,
    pub access_token: String,
    pub username: String,
    /// The user id (from the identity URL), when known.
    pub user_id: Option<String>,
}

/// How one change ended (the report's vocabulary).
pub use super::model::ChangeOutcome as Outcome;

/// One change `apply` made or tried: who, what, when, the request id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Applied {
    pub outcome: Outcome,
    pub permission_set: String,
    pub permission_set_id: Option<String>,
    pub assignee_id: String,
    /// The PermissionSetAssignment id created (what `undo` deletes).
    pub assignment_id: Option<String>,
    /// The username of the session that sent it.
    pub by: String,
    /// Milliseconds since the epoch.
    pub at_ms: u64,
    /// The request in the log.
    pub request_id: u64,
    pub request: PlannedRequest,
    #[serde(default)]
    pub finding: Option<String>,
    /// Why an undo left the assignment in place (`undo-skipped`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// What the change is (records of old journals: an assignment). A revoke's
    /// `permission_set` holds the grant's description.
    #[serde(default)]
    pub change: Change,
}

fn sobject_url(instance: &str, tail: &str) -> String {
    format!("{instance}/services/data/{API_VERSION}/sobjects/{tail}")
}

fn soql_url(instance: &str, q: &str) -> String {
    let enc: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    format!("{instance}/services/data/{API_VERSION}/query?q={enc}")
}

/// A value safe inside a SOQL string literal.
fn soql_quote(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\'', "\\'")
}

/// The `sf` command an admin runs for one permission set.
pub fn assign_command(set_name: &str, username: &str) -> String {
    format!("sf org assign permset --name {set_name} --on-behalf-of {username} --target-org ADMIN")
}

/// The API names of the Sage People sets, by label (the package's API names are a guess:
/// the lookup matches label or name).
fn guessed_name(label: &str) -> String {
    label.replace(' ', "_")
}

/// Looks up the permission sets' ids by label or name (a read; None: not readable).
async fn lookup_sets(
    run: &mut Run,
    actor: &Actor,
    labels: &[&str],
) -> Option<Vec<(String, String, String)>> {
    if labels.is_empty() {
        return Some(Vec::new());
    }
    let quoted: Vec<String> = labels
        .iter()
        .map(|l| format!("'{}'", soql_quote(l)))
        .collect();
    let names: Vec<String> = labels
        .iter()
        .map(|l| format!("'{}'", soql_quote(&guessed_name(l))))
        .collect();
    let q = format!(
        "SELECT Id, Name, Label FROM PermissionSet WHERE Label IN ({}) OR Name IN ({})",
        quoted.join(", "),
        names.join(", ")
    );
    let rows = query_rows(run, actor, &q).await?;
    Some(
        rows.iter()
            .filter_map(|r| {
                Some((
                    r["Id"].as_str()?.to_string(),
                    r["Name"].as_str().unwrap_or_default().to_string(),
                    r["Label"].as_str().unwrap_or_default().to_string(),
                ))
            })
            .collect(),
    )
}

fn set_id_of(found: &[(String, String, String)], label: &str) -> Option<String> {
    found
        .iter()
        .find(|(_, name, l)| l == label || *name == guessed_name(label))
        .map(|(id, _, _)| id.clone())
}

/// The plan for a report's findings. With a session (`actor`) the `apply` requests name the
/// permission sets' ids (one read-only query); without, the id is left to look up at apply.
pub async fn plan(run: &mut Run, report: &Report, actor: Option<&Actor>) -> Plan {
    let assignee_id = report.org.user_id.clone();
    let assignee = report.org.username.clone();
    let user = assignee.clone().unwrap_or_else(|| "API_USERNAME".into());
    let missing: Vec<&str> = report
        .endpoints
        .iter()
        .filter(|e| e.finding == Some(Code::PERMISSION_SET_MISSING))
        .map(|e| e.permission_set)
        .collect();
    let found = match actor {
        Some(a) => lookup_sets(run, a, &missing).await,
        None => None,
    };
    let instance = actor
        .map(|a| a.instance_url.clone())
        .unwrap_or_else(|| "INSTANCE_URL".into());
    let mut fixes = Vec::new();
    for label in &missing {
        let id = found
            .as_deref()
            .and_then(|f| set_id_of(f, label))
            .unwrap_or_else(|| format!("(the Id of PermissionSet '{label}')"));
        fixes.push(Fix {
            kind: FixKind::Apply,
            finding: Code::PERMISSION_SET_MISSING,
            target: format!("{label} → {user}"),
            request: Some(PlannedRequest {
                method: "POST".into(),
                url: sobject_url(&instance, "PermissionSetAssignment"),
                body: json!({
                    "AssigneeId": assignee_id.clone().unwrap_or_else(|| "(the API user's Id)".into()),
                    "PermissionSetId": id,
                }),
            }),
            command: Some(assign_command(&guessed_name(label), &user)),
            metadata: None,
            steps: Code::PERMISSION_SET_MISSING
                .info()
                .fix
                .iter()
                .map(|s| s.to_string())
                .collect(),
            permission_set: Some((*label).to_string()),
            change: Some(Change::AssignPermissionSet),
        });
    }
    let mut seen = Vec::new();
    let mut revoke_planned = false;
    for f in &report.findings {
        if f.code == Code::PERMISSION_SET_MISSING || seen.contains(&(f.code, f.title.clone())) {
            continue;
        }
        seen.push((f.code, f.title.clone()));
        if matches!(
            f.code,
            Code::GRANT_CAP_RISK | Code::GRANT_CAP_CONSENT_NEEDED
        ) {
            if revoke_planned {
                continue;
            }
            if let Some(fix) = super::grant_fix::plan_revoke(report, f.code, &instance) {
                revoke_planned = true;
                fixes.push(fix);
                continue;
            }
        }
        let kind = match kind_of(f.code) {
            FixKind::Apply => FixKind::Setup,
            k => k,
        };
        fixes.push(Fix {
            kind,
            finding: f.code,
            target: f.title.clone(),
            request: None,
            command: None,
            metadata: if kind == FixKind::Metadata {
                metadata_for(f.code, report.app.kind)
            } else {
                None
            },
            steps: f.fix.clone(),
            permission_set: None,
            change: None,
        });
    }
    Plan {
        fixes,
        assignee_id,
        assignee,
    }
}

/// Whether the actor may assign permission sets: any of its permission sets (the profile's
/// included) has PermissionsAssignPermissionSets. None: it cannot tell (not readable).
pub async fn may_assign(run: &mut Run, actor: &Actor) -> Option<bool> {
    let uid = actor.user_id.as_deref()?;
    if !uid.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let q = format!(
        "SELECT PermissionSet.PermissionsAssignPermissionSets FROM PermissionSetAssignment WHERE AssigneeId = '{uid}'"
    );
    let rows = query_rows(run, actor, &q).await?;
    Some(
        rows.iter()
            .any(|r| r["PermissionSet"]["PermissionsAssignPermissionSets"] == true),
    )
}

/// The records of a SOQL query sent as `actor`, or None when it did not answer 200 with records.
async fn query_rows(run: &Run, actor: &Actor, q: &str) -> Option<Vec<serde_json::Value>> {
    let (_, answer) = run
        .client
        .send(Request::get(soql_url(&actor.instance_url, q)).bearer(&actor.access_token))
        .await;
    answer
        .ok()
        .filter(|r| r.status == 200)
        .and_then(|r| r.json())
        .and_then(|v| v["records"].as_array().cloned())
}

/// Writes `rec`'s intent to the journal before its request is sent; when the journal cannot be
/// written, raises FIX_FAILED (what is left undone: `stopped`) and gives None: no change is ever
/// sent unrecorded.
pub(crate) fn journal_intent(
    run: &mut Run,
    journal: &mut Journal,
    rec: &Applied,
    stopped: &str,
) -> Option<u32> {
    match journal.intent(rec) {
        Ok(seq) => Some(seq),
        Err(e) => {
            run.raise(Finding::new(
                Code::FIX_FAILED,
                format!(
                    "The fix journal {} cannot be written ({e}): {stopped}. Free the disk or set SAGEDIAG_STATE_DIR to a writable directory.",
                    journal.path().display()
                ),
                vec![],
            ));
            None
        }
    }
}

/// The finding a refused DML call means.
pub(crate) fn refusal(code: &str) -> Code {
    match code {
        "INSUFFICIENT_ACCESS_OR_READONLY" | "INSUFFICIENT_ACCESS" => Code::FIX_NOT_PERMITTED,
        "DUPLICATE_VALUE" => Code::FIX_ALREADY_ASSIGNED,
        "FIELD_INTEGRITY_EXCEPTION" => Code::FIX_LICENSE_MISSING,
        "INVALID_CROSS_REFERENCE_KEY" | "NOT_FOUND" | "INVALID_ID" | "MALFORMED_ID" => {
            Code::FIX_PERMISSION_SET_NOT_FOUND
        }
        c if c.contains("RECALC") || c == "PERMISSION_SET_GROUP_UPDATING" => {
            Code::FIX_GROUP_RECALCULATING
        }
        _ => Code::FIX_FAILED,
    }
}

/// Applies the plan's `apply` fixes as `actor`: checks first that it may assign permission
/// sets (else raises FIX_NOT_PERMITTED and changes nothing), looks up the sets' ids, creates
/// one PermissionSetAssignment each. Every change is written to `journal` before it is sent
/// and settled there after (a journal that cannot be written stops the changes), emitted
/// (Event::Progress) and returned. An answer lost on the way is settled by reading the org.
/// The caller has the admin's consent (`--yes`): nothing here asks. A stale grant in the plan
/// is revoked after ([`super::grant_fix::apply`]).
pub async fn apply(
    run: &mut Run,
    plan: &Plan,
    actor: &Actor,
    journal: &mut Journal,
) -> Vec<Applied> {
    let mut out = assign(run, plan, actor, journal).await;
    out.extend(super::grant_fix::apply(run, plan, actor, journal).await);
    out
}

async fn assign(run: &mut Run, plan: &Plan, actor: &Actor, journal: &mut Journal) -> Vec<Applied> {
    let fixes: Vec<&Fix> = plan
        .applicable()
        .filter(|f| f.permission_set.is_some())
        .collect();
    if fixes.is_empty() {
        return Vec::new();
    }
    let Some(assignee) = plan.assignee_id.clone() else {
        run.raise(Finding::new(
            Code::FIX_FAILED,
            "The API user's id is unknown (the identity call failed): nothing was assigned.",
            vec![],
        ));
        return Vec::new();
    };
    match may_assign(run, actor).await {
        Some(true) => {}
        known => {
            let why = if known.is_some() {
                "none of its permission sets (nor its profile) has Assign Permission Sets (PermissionsAssignPermissionSets)"
            } else {
                "its permission sets cannot be read to check Assign Permission Sets"
            };
            run.raise(Finding::new(
                Code::FIX_NOT_PERMITTED,
                format!(
                    "{} may not assign permission sets: {why}. Nothing was changed. Log in as an admin with Assign Permission Sets (--admin-username).",
                    actor.username
                ),
                vec![],
            ));
            return Vec::new();
        }
    }
    let labels: Vec<&str> = fixes
        .iter()
        .filter_map(|f| f.permission_set.as_deref())
        .collect();
    let found = lookup_sets(run, actor, &labels).await.unwrap_or_default();
    let mut out = Vec::new();
    for label in labels {
        let Some(set_id) = set_id_of(&found, label) else {
            run.raise(Finding::new(
                Code::FIX_PERMISSION_SET_NOT_FOUND,
                format!("No PermissionSet has the label or name of {label}: it was not assigned."),
                vec![],
            ));
            continue;
        };
        let request = PlannedRequest {
            method: "POST".into(),
            url: sobject_url(&actor.instance_url, "PermissionSetAssignment"),
            body: json!({"AssigneeId": assignee, "PermissionSetId": set_id}),
        };
        let mut rec = Applied {
            outcome: Outcome::Unknown,
            permission_set: label.to_string(),
            permission_set_id: Some(set_id.clone()),
            assignee_id: assignee.clone(),
            assignment_id: None,
            by: actor.username.clone(),
            at_ms: super::clock::now_ms(),
            request_id: 0,
            request,
            finding: None,
            note: None,
            change: Change::AssignPermissionSet,
        };
        // Written down (and synced) before it is sent: a kill from here on leaves a record.
        let Some(seq) = journal_intent(run, journal, &rec, "nothing more was changed") else {
            break;
        };
        let (id, answer) = run
            .client
            .send(
                Request::post_json(rec.request.url.clone(), rec.request.body.clone())
                    .bearer(&actor.access_token),
            )
            .await;
        rec.request_id = id;
        rec.outcome = Outcome::Failed;
        match answer {
            Ok(r) if r.status == 201 => {
                match r.json().and_then(|v| v["id"].as_str().map(str::to_string)) {
                    Some(aid) if aid.chars().all(|c| c.is_ascii_alphanumeric()) => {
                        rec.outcome = Outcome::Created;
                        rec.assignment_id = Some(aid);
                    }
                    _ => {
                        run.raise(Finding::new(
                            Code::FIX_FAILED,
                            format!("Assigning {label}: 201 without an assignment id."),
                            vec![id],
                        ));
                        // Created, by the status; which row is settled by reading the org.
                        rec.outcome = Outcome::Unknown;
                    }
                }
            }
            Ok(r) => {
                let code = r
                    .json()
                    .and_then(|v| classify::api_error_code(&v))
                    .unwrap_or_default();
                let finding = refusal(&code);
                if finding == Code::FIX_ALREADY_ASSIGNED {
                    rec.outcome = Outcome::AlreadyAssigned;
                }
                let message = r
                    .json()
                    .and_then(|v| v[0]["message"].as_str().map(str::to_string))
                    .unwrap_or_default();
                run.raise(
                    Finding::new(
                        finding,
                        format!(
                            "Assigning {label} to {assignee}: HTTP {} {code}: {message}",
                            r.status
                        ),
                        vec![id],
                    )
                    .titled(format!("{}: {label}", finding.info().title)),
                );
                rec.finding = Some(finding.as_str().into());
            }
            Err(f) => {
                // Sent, and no answer: the row may exist. Read the org rather than guess.
                run.raise(classify::failure(&f, id));
                rec.outcome = Outcome::Unknown;
            }
        }
        if rec.outcome == Outcome::Unknown {
            rec = settle(run, actor, rec).await;
            if !rec.outcome.assigned() {
                rec.finding = Some(Code::FIX_FAILED.as_str().into());
            }
        }
        if let Err(e) = journal.outcome(seq, &rec) {
            run.emit(Event::Progress(format!(
                "the fix journal {} could not record how {label} ended ({e}): the next run settles it by reading the org",
                journal.path().display()
            )));
        }
        run.emit(Event::Progress(format!(
            "{} {label} for {assignee} as {} (request #{id}){}",
            rec.outcome,
            actor.username,
            rec.assignment_id
                .as_deref()
                .map(|a| format!(": PermissionSetAssignment {a}"))
                .unwrap_or_default()
        )));
        tracing::info!(outcome = %rec.outcome, permission_set = %label, by = %actor.username, request = id, "fix applied");
        out.push(rec);
    }
    out
}

/// Re-runs the probes of the endpoints these permission sets gate, as the integration user.
/// A probe that still fails raises FIX_FAILED.
pub async fn reprobe(run: &mut Run, session: &Actor, sets: &[String]) -> Vec<EndpointResult> {
    let mut out = Vec::new();
    for def in ENDPOINTS
        .iter()
        .filter(|d| sets.iter().any(|s| s == d.permission_set))
    {
        let answer = run
            .client
            .send(probe_request(
                def,
                &session.instance_url,
                &session.access_token,
            ))
            .await;
        let id = answer.0;
        let (result, finding) = judge_probe(def, answer, Some(true));
        if let Some(f) = finding {
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
        out.push(result);
    }
    out
}

/// A run for the fix steps (its own findings; the client and events are the caller's).
pub fn new_run(
    cfg: super::model::Config,
    client: super::http::Client,
    events: tokio::sync::mpsc::UnboundedSender<Event>,
) -> Run {
    let login_url = cfg.environment.login_url();
    Run {
        cfg,
        client,
        events,
        findings: Vec::new(),
        steps: Vec::new(),
        endpoints: Vec::new(),
        org: super::model::OrgChecks::default(),
        login_url,
        proxy: None,
        scopes: None,
        refresh_token_issued: None,
        refresh_rotated: None,
        coverage: None,
        pasted: None,
        app: super::app::AppInfo::default(),
        refresh_request: None,
        rotation: None,
        integration: None,
        started_ms: super::clock::now_ms(),
    }
}

/// Logs in by `run.cfg` (an admin's credentials): the same flows and the same trust check on
/// the hosts the token goes to as any login. None: the findings say why.
pub async fn login_actor(run: &mut Run) -> Option<Actor> {
    for s in [&run.cfg.password, &run.cfg.client_secret]
        .into_iter()
        .flatten()
    {
        run.client.add_secret(s);
    }
    let tokens = super::login::login(run).await?;
    let user_id = tokens
        .id_url
        .as_deref()
        .and_then(|u| u.trim_end_matches('/').rsplit('/').next())
        .filter(|id| id.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(str::to_string);
    Some(Actor {
        instance_url: tokens.instance_url,
        access_token: tokens.access_token,
        username: run.cfg.username.clone().unwrap_or_default(),
        user_id,
    })
}

/// Whether every applied fix re-probed PASS (and none failed).
pub fn all_fixed(applied: &[Applied], probes: &[EndpointResult]) -> bool {
    applied
        .iter()
        .all(|a| a.outcome.assigned() || a.outcome == Outcome::Revoked)
        && probes.iter().all(|p| p.status == Status::Pass)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::app::AppKind;

    #[test]
    fn every_code_has_a_kind_and_apply_is_permission_sets_and_the_grant_cap() {
        for c in Code::ALL {
            let k = kind_of(*c);
            assert_eq!(
                k == FixKind::Apply,
                matches!(
                    *c,
                    Code::PERMISSION_SET_MISSING
                        | Code::GRANT_CAP_RISK
                        | Code::GRANT_CAP_CONSENT_NEEDED
                ),
                "{c}"
            );
            if k == FixKind::Metadata {
                for kind in [
                    AppKind::ConnectedApp,
                    AppKind::ExternalClientApp,
                    AppKind::Unknown,
                ] {
                    assert!(metadata_for(*c, kind).is_some(), "{c}");
                }
                let eca = metadata_for(*c, AppKind::ExternalClientApp).unwrap();
                for text in [&eca.file, &eca.element, &eca.retrieve, &eca.deploy] {
                    assert!(!text.contains("onnectedApp"), "{c}: {text}");
                }
            }
        }
    }

    #[test]
    fn soql_literals_are_escaped() {
        assert_eq!(soql_quote("a'b\\c"), "a\\'b\\\\c");
    }
}
