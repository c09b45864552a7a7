//! Step 5 and 6: what the org says about the API user (SOQL, each check skipped with a reason
//! when the user may not read it), and one probe per permission-set-gated endpoint, run
//! concurrently and cross-checked with the assignment query.

use super::findings::Code;
use serde_json::Value;

use super::classify;
use super::findings::Finding;
use super::http::{Failure, Request, Response};
use super::{API_VERSION, ENDPOINTS, EndpointDef, EndpointResult, Run, SAGE_BASE, Status, Tokens};

fn soql_url(instance: &str, tooling: bool, q: &str) -> String {
    let path = if tooling { "tooling/query" } else { "query" };
    let enc: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    format!("{instance}/services/data/{API_VERSION}/{path}?q={enc}")
}

enum Query {
    Rows(Vec<Value>),
    /// The user may not read it (INVALID_TYPE): skipped with a reason.
    NotReadable,
    Failed,
}

pub(super) fn query_request(tokens: &Tokens, tooling: bool, q: &str) -> Request {
    Request::get(soql_url(&tokens.instance_url, tooling, q)).bearer(&tokens.access_token)
}

fn read_query(
    run: &mut Run,
    worked: &mut bool,
    (id, result): (u64, Result<Response, Failure>),
) -> Query {
    match result {
        Err(f) => {
            run.raise(classify::failure(&f, id));
            Query::Failed
        }
        Ok(r) => {
            note_usage(run, &r);
            if r.status == 200
                && let Some(rows) = r.json().and_then(|v| v["records"].as_array().cloned())
            {
                *worked = true;
                return Query::Rows(rows);
            }
            if r.json()
                .and_then(|v| classify::api_error_code(&v))
                .is_some_and(|c| c == "INVALID_TYPE" || c == "INSUFFICIENT_ACCESS")
            {
                *worked = true;
                return Query::NotReadable;
            }
            let f = refine(run, classify::api_error(&r, None), *worked);
            run.raise(f);
            Query::Failed
        }
    }
}

/// What this run knows about the candidates behind an API refusal (API Enabled missing,
/// edition, expired session): the identity call, the granted scopes, the user's
/// PermissionsApiEnabled, and whether any REST call answered.
fn evidence(run: &Run, rest_worked: bool) -> classify::ApiAccessEvidence {
    classify::ApiAccessEvidence {
        session_valid: run.org.user_id.as_ref().map(|_| true),
        api_scope: run
            .scopes
            .as_ref()
            .map(|s| s.split_whitespace().any(|x| x == "api" || x == "full")),
        api_enabled: run.org.api_enabled,
        rest_worked,
    }
}

/// An API finding with the candidates behind it checked against what this run knows.
fn refine(run: &Run, f: Finding, rest_worked: bool) -> Finding {
    classify::api_access(f, &evidence(run, rest_worked))
}

pub(super) fn note_usage_of(run: &mut Run, r: &Response) {
    note_usage(run, r);
}

fn note_usage(run: &mut Run, r: &Response) {
    if let Some((used, max)) = r
        .header("sforce-limit-info")
        .and_then(|v| v.strip_prefix("api-usage="))
        .and_then(|v| v.split_once('/'))
        .and_then(|(u, m)| Some((u.trim().parse().ok()?, m.trim().parse().ok()?)))
    {
        run.org.api_usage = Some((used, max));
    }
}

/// Step 5. Returns a one-line summary.
pub async fn org_checks(run: &mut Run, tokens: &Tokens) -> String {
    let mut notes = Vec::new();
    let setup = "the API user cannot read setup objects (needs View Setup and Configuration)";
    // The four requests are independent: send them together, read them in order.
    let assignments_q = run.org.user_id.clone().map(|uid| {
        format!("SELECT PermissionSet.Name, PermissionSet.Label, PermissionSet.IsOwnedByProfile, PermissionSet.PermissionsApiEnabled FROM PermissionSetAssignment WHERE AssigneeId = '{uid}'")
    });
    let package_q = "SELECT SubscriberPackage.NamespacePrefix, SubscriberPackage.Name, SubscriberPackageVersion.MajorVersion, SubscriberPackageVersion.MinorVersion, SubscriberPackageVersion.PatchVersion, SubscriberPackageVersion.BuildNumber FROM InstalledSubscriberPackage WHERE SubscriberPackage.NamespacePrefix = 'spapi'";
    let app_q = "SELECT Name, OptionsAllowAdminApprovedUsersOnly, OptionsRefreshTokenValidityMetric, RefreshTokenValidityPeriod, CreatedDate FROM ConnectedApplication";
    let client = run.client.clone();
    let (assignments, package, app, limits) = tokio::join!(
        async {
            match &assignments_q {
                Some(q) => Some(client.send(query_request(tokens, false, q)).await),
                None => None,
            }
        },
        client.send(query_request(tokens, true, package_q)),
        client.send(query_request(tokens, false, app_q)),
        client.send(
            Request::get(format!(
                "{}/services/data/{API_VERSION}/limits/",
                tokens.instance_url
            ))
            .bearer(&tokens.access_token)
        ),
    );
    let package_id = package.0;
    let mut worked = false;

    // Permission-set assignments and API Enabled.
    match assignments.map(|a| read_query(run, &mut worked, a)) {
        None => run.org.skipped.push(
            "permission-set assignments: the user id is unknown (identity call failed)".into(),
        ),
        Some(Query::Rows(rows)) => {
            let mut labels = Vec::new();
            let mut api = false;
            for r in &rows {
                let ps = &r["PermissionSet"];
                api |= ps["PermissionsApiEnabled"] == true;
                if ps["IsOwnedByProfile"] != true {
                    labels.push(
                        ps["Label"]
                            .as_str()
                            .or(ps["Name"].as_str())
                            .unwrap_or_default()
                            .to_string(),
                    );
                }
            }
            let sage = ENDPOINTS
                .iter()
                .filter(|e| labels.iter().any(|l| l == e.permission_set))
                .count();
            notes.push(format!("{sage} of 7 Sage People permission sets assigned"));
            run.org.api_enabled = Some(api);
            run.org.assigned_permission_sets = Some(labels);
        }
        Some(Query::NotReadable) => run
            .org
            .skipped
            .push(format!("permission-set assignments: {setup}")),
        Some(Query::Failed) => run
            .org
            .skipped
            .push("permission-set assignments: the query failed".into()),
    }

    // The Sage People API package.
    match read_query(run, &mut worked, package) {
        Query::Rows(rows) => match rows.first() {
            Some(r) => {
                let v = &r["SubscriberPackageVersion"];
                let version = format!(
                    "{}.{}.{}.{}",
                    v["MajorVersion"], v["MinorVersion"], v["PatchVersion"], v["BuildNumber"]
                );
                notes.push(format!("Sage People API package {version}"));
                run.org.package_version = Some(version);
            }
            None => run.raise(Finding::new(
                Code::PACKAGE_NOT_INSTALLED,
                "No installed package has the namespace spapi (InstalledSubscriberPackage).",
                vec![package_id],
            )),
        },
        Query::NotReadable => run.org.skipped.push(format!("installed packages: {setup}")),
        Query::Failed => run
            .org
            .skipped
            .push("installed packages: the query failed".into()),
    }

    // The app: connected app or External Client App, and its policies.
    let note = super::app::app_checks(run, tokens, app).await;
    if let Some(p) = &run.app.policies.refresh_token_policy {
        notes.push(format!("refresh policy: {p}"));
    }
    if !note.is_empty() {
        notes.push(note);
    }

    // API usage.
    let (id, result) = limits;
    match result {
        Ok(r) if r.status == 200 => {
            note_usage(run, &r);
            if let Some(v) = r.json() {
                let max = v["DailyApiRequests"]["Max"].as_u64().unwrap_or(0);
                let remaining = v["DailyApiRequests"]["Remaining"].as_u64().unwrap_or(0);
                run.org.api_usage = Some((max.saturating_sub(remaining), max));
            }
        }
        Ok(r) => {
            let f = refine(run, classify::api_error(&r, None), worked);
            run.raise(f);
        }
        Err(f) => run.raise(classify::failure(&f, id)),
    }
    if let Some((used, max)) = run.org.api_usage {
        if max > 0 && used < max && used * 10 >= max * 9 {
            run.raise(Finding::new(
                Code::API_LIMIT_NEAR,
                format!("{used} of {max} daily API requests used."),
                vec![id],
            ));
        }
        notes.push(format!("API usage {used}/{max}"));
    }
    notes.join("; ")
}

/// The probe request of one endpoint. Pay Details needs an employee id; any well-formed id
/// does, since the (empty) body is refused first: the probe can never create a record.
pub fn probe_request(def: &EndpointDef, instance_url: &str, access_token: &str) -> Request {
    let base = format!("{instance_url}{SAGE_BASE}");
    let employee = "a2G000000000000AAA";
    if def.method == "POST" {
        Request::post_json(
            format!("{base}/{}", def.path.replace("{id}", employee)),
            serde_json::json!({}),
        )
    } else {
        Request::get(format!("{base}/{}", def.path))
    }
    .bearer(access_token)
    .header("Accept", "application/json")
}

/// Reads one probe's answer: its result, and the finding when it failed. `assigned` is what the
/// assignment query says (None: unknown).
pub fn judge_probe(
    def: &EndpointDef,
    (id, result): (u64, Result<Response, Failure>),
    assigned: Option<bool>,
) -> (EndpointResult, Option<Finding>) {
    let mut out = EndpointResult {
        name: def.name,
        permission_set: def.permission_set,
        method: def.method,
        path: format!("{SAGE_BASE}/{}", def.path),
        status: Status::Fail,
        http_status: None,
        latency_ms: 0,
        records: None,
        finding: None,
        assigned,
        request_id: Some(id),
    };
    let finding = match result {
        Err(f) => Some(probe_failure(&f, id)),
        Ok(r) => {
            out.http_status = Some(r.status);
            out.latency_ms = r.duration.as_millis() as u64;
            let ok = if def.method == "POST" {
                // 400 validation error = the set is present; 201 would mean a record was made.
                r.status == 400
                    && r.json()
                        .and_then(|v| classify::api_error_code(&v))
                        .is_some_and(|c| c != "MISSING_API_PERMISSION")
            } else {
                match r.status {
                    204 => {
                        out.records = Some(0);
                        true
                    }
                    200 => match r.json() {
                        Some(v) if v.get("data").is_some() => {
                            out.records = v["data"].as_array().map(Vec::len);
                            true
                        }
                        _ => false,
                    },
                    _ => false,
                }
            };
            if ok {
                None
            } else {
                Some(classify::api_error(&r, Some(def.permission_set)))
            }
        }
    };
    match &finding {
        None => out.status = Status::Pass,
        Some(f) => out.finding = Some(f.code),
    }
    (out, finding)
}

/// Step 6: the seven probes, concurrently on the one client. Returns a one-line summary.
pub async fn probes(run: &mut Run, tokens: &Tokens) -> String {
    let requests =
        ENDPOINTS.map(|def| probe_request(&def, &tokens.instance_url, &tokens.access_token));
    let client = run.client.clone();
    let results = futures_util::future::join_all(requests.into_iter().map(|r| {
        let client = client.clone();
        async move { client.send(r).await }
    }))
    .await;
    let assigned = run.org.assigned_permission_sets.clone();
    let mut passed = 0;
    for (def, answer) in ENDPOINTS.iter().zip(results) {
        if let (_, Ok(r)) = &answer {
            note_usage(run, r);
        }
        let id = answer.0;
        let is_assigned = assigned
            .as_ref()
            .map(|a| a.iter().any(|l| l == def.permission_set));
        let (mut out, finding) = judge_probe(def, answer, is_assigned);
        let worked = passed > 0
            || run.org.api_enabled.is_some()
            || run.org.package_version.is_some()
            || run.org.permitted_users.is_some();
        let finding = finding.map(|f| refine(run, f, worked));
        if let Some(f) = &finding {
            out.finding = Some(f.code);
        }
        match finding {
            None => {
                passed += 1;
                if is_assigned == Some(false) {
                    run.raise(Finding::new(Code::PERMISSION_SET_MISMATCH,
                        format!("{} answered, but the assignment query does not list {} for the user (a permission set group, or another set granting access?).", def.name, def.permission_set),
                        vec![id],
                    ).titled(format!("{} works without {} assigned", def.name, def.permission_set)));
                }
            }
            Some(f) => {
                if f.code == Code::PERMISSION_SET_MISSING && is_assigned == Some(true) {
                    run.raise(Finding::new(Code::PERMISSION_SET_MISMATCH,
                        format!("{} is assigned according to PermissionSetAssignment, yet {} answers MISSING_API_PERMISSION (expired assignment, or object access missing?).", def.permission_set, def.name),
                        vec![id],
                    ).titled(format!("{} refused although {} is assigned", def.name, def.permission_set)));
                }
                run.raise(f);
            }
        }
        run.emit(super::Event::Endpoint(out.clone()));
        run.endpoints.push(out);
    }
    format!("{passed} of 7 endpoints answered")
}

fn probe_failure(f: &Failure, id: u64) -> Finding {
    classify::failure(f, id)
}
