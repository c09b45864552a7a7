//! Step 5 and 6: what the org says about the API user (SOQL, each check skipped with a reason
//! when the user may not read it), and one probe per permission-set-gated endpoint, run
//! concurrently and cross-checked with the assignment query.

use super::findings::Code;
use serde_json::Value;

use super::classify;
use super::context::Run;
use super::findings::Finding;
use super::http::{Bearer, Failure, Request, Response};
use super::model::{
    API_VERSION, ENDPOINTS, EndpointDef, EndpointResult, SAGE_BASE, Status, Tokens,
};

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
    query_with(tokens, &Bearer::new(&tokens.access_token), tooling, q)
}

/// [`query_request`] with a bearer header built once.
fn query_with(tokens: &Tokens, bearer: &Bearer, tooling: bool, q: &str) -> Request {
    Request::get(soql_url(&tokens.instance_url, tooling, q)).auth(bearer)
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

/// API usage from a response's `Sforce-Limit-Info`, when the run has no figure yet: one figure
/// per run (the org checks' `/limits` reading, when it answers, replaces it once), so the org
/// step's summary and the report say the same number.
fn note_usage(run: &mut Run, r: &Response) {
    if run.org.api_usage.is_some() {
        return;
    }
    if let Some((used, max)) = r
        .header("sforce-limit-info")
        .and_then(|v| v.strip_prefix("api-usage="))
        .and_then(|v| v.split_once('/'))
        .and_then(|(u, m)| Some((u.trim().parse().ok()?, m.trim().parse().ok()?)))
    {
        run.org.api_usage = Some((used, max));
    }
}

type Answer = (u64, Result<Response, Failure>);

/// A request sent on a task of its own; aborted if the run is dropped before it is read.
struct Task<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T: Send + 'static> Task<T> {
    fn spawn(f: impl std::future::Future<Output = T> + Send + 'static) -> Task<T> {
        Task(tokio::spawn(f))
    }

    /// A task already answered with `v`.
    fn ready(v: T) -> Task<T> {
        Task(tokio::spawn(async move { v }))
    }

    async fn answer(mut self) -> T {
        match (&mut self.0).await {
            Ok(v) => v,
            // Only a panic gets here (the task is aborted only on drop): pass it on.
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
}

fn send_task(client: &super::http::Client, req: Request) -> Task<Answer> {
    let client = client.clone();
    Task::spawn(async move { client.send(req).await })
}

fn assignments_query(uid: &str) -> String {
    format!(
        "SELECT PermissionSet.Name, PermissionSet.Label, PermissionSet.IsOwnedByProfile, PermissionSet.PermissionsApiEnabled FROM PermissionSetAssignment WHERE AssigneeId = '{uid}'"
    )
}

/// The user id at the end of the token's identity URL (`…/id/<org id>/<user id>`), when it has
/// the shape of a Salesforce id (it goes into a SOQL literal).
fn user_id_of(id_url: &str) -> Option<String> {
    let url = url::Url::parse(id_url).ok()?;
    let uid = url.path_segments()?.rfind(|s| !s.is_empty())?;
    (matches!(uid.len(), 15 | 18) && uid.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| uid.to_string())
}

/// The org queries and the seven probes, in flight: sent the moment the token is known, with the
/// token checks, on the login's access token (the refresh test, sent alongside, revokes nothing
/// they use). Step 5 and step 6 read them.
pub struct InFlight {
    /// The assignment query for the user id the identity URL names (None: not known yet).
    assignments: Option<(String, Task<Answer>)>,
    package: Task<Answer>,
    app: Task<Answer>,
    eca: Task<[Answer; 5]>,
    limits: Task<Answer>,
    probes: Task<Vec<Answer>>,
}

/// Sends the org queries and the probes.
pub fn send(run: &Run, tokens: &Tokens) -> InFlight {
    let package_q = "SELECT SubscriberPackage.NamespacePrefix, SubscriberPackage.Name, SubscriberPackageVersion.MajorVersion, SubscriberPackageVersion.MinorVersion, SubscriberPackageVersion.PatchVersion, SubscriberPackageVersion.BuildNumber FROM InstalledSubscriberPackage WHERE SubscriberPackage.NamespacePrefix = 'spapi'";
    let app_q = "SELECT Name, OptionsAllowAdminApprovedUsersOnly, OptionsRefreshTokenValidityMetric, RefreshTokenValidityPeriod, CreatedDate FROM ConnectedApplication";
    let client = &run.client;
    // One header for the fifteen requests below.
    let bearer = Bearer::new(&tokens.access_token);
    let query_request =
        |tokens: &Tokens, tooling: bool, q: &str| query_with(tokens, &bearer, tooling, q);
    let assignments = tokens.id_url.as_deref().and_then(user_id_of).map(|uid| {
        let task = send_task(
            client,
            query_request(tokens, false, &assignments_query(&uid)),
        );
        (uid, task)
    });
    let package = send_task(client, query_request(tokens, true, package_q));
    let app = send_task(client, query_request(tokens, false, app_q));
    let eca = {
        let requests = super::app::ECA_QUERIES.map(|q| query_request(tokens, false, q));
        let client = client.clone();
        Task::spawn(async move {
            let [a, b, c, d, e] = requests.map(|r| client.send(r));
            let (a, b, c, d, e) = tokio::join!(a, b, c, d, e);
            [a, b, c, d, e]
        })
    };
    let limits = send_task(
        client,
        Request::get(format!(
            "{}/services/data/{API_VERSION}/limits/",
            tokens.instance_url
        ))
        .auth(&bearer),
    );
    let requests = ENDPOINTS.map(|def| probe_with(&def, &tokens.instance_url, &bearer));
    let probe_client = client.clone();
    let probes = Task::spawn(async move {
        futures_util::future::join_all(requests.into_iter().map(|r| {
            let client = probe_client.clone();
            async move { client.send(r).await }
        }))
        .await
    });
    InFlight {
        assignments,
        package,
        app,
        eca,
        limits,
        probes,
    }
}

/// Step 5: reads the org queries of [`send`]. Returns a one-line summary, and the probes still
/// in flight for step 6.
pub async fn org_checks(
    run: &mut Run,
    tokens: &Tokens,
    sent: InFlight,
) -> (String, ProbesInFlight) {
    let mut notes = Vec::new();
    let setup = "the API user cannot read setup objects (needs View Setup and Configuration)";
    let InFlight {
        assignments: early,
        package,
        app,
        eca,
        limits,
        probes,
    } = sent;
    // The assignment query sent early serves when the token checks confirmed its user id;
    // otherwise it is sent now for the user they found.
    let assignments = match (run.org.user_id.clone(), early) {
        (None, _) => None,
        (Some(uid), Some((early_uid, task))) if uid == early_uid => Some(task.answer().await),
        (Some(uid), _) => Some(
            run.client
                .send(query_request(tokens, false, &assignments_query(&uid)))
                .await,
        ),
    };
    let (package, app, limits) = (
        package.answer().await,
        app.answer().await,
        limits.answer().await,
    );
    let package_id = package.0;
    let mut worked = false;
    let mut probes = probes;

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
            // The probes went out with the query: their answers settle it. Sage People's
            // endpoints answering 200 contradict the query (the package is there, hidden from
            // this user's view of InstalledSubscriberPackage): a warning, not the error.
            None => {
                let answers = probes.answer().await;
                let answering = ENDPOINTS
                    .iter()
                    .zip(&answers)
                    .filter(|(def, (_, r))| r.as_ref().is_ok_and(|r| answers_installed(def, r)))
                    .count();
                run.raise(package_missing(package_id, answering));
                probes = Task::ready(answers);
            }
        },
        Query::NotReadable => run.org.skipped.push(format!("installed packages: {setup}")),
        Query::Failed => run
            .org
            .skipped
            .push("installed packages: the query failed".into()),
    }

    // The app: connected app or External Client App, and its policies.
    let note = super::app::app_checks(run, tokens, app, eca.answer().await).await;
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
    (notes.join("; "), ProbesInFlight(probes))
}

/// The seven probes' answers, still in flight after step 5.
pub struct ProbesInFlight(Task<Vec<Answer>>);

/// Whether a probe's answer is the installed package's: 200 or 204 to a GET, the validation
/// error (400, not MISSING_API_PERMISSION) to the POST probe.
fn answers_installed(def: &EndpointDef, r: &Response) -> bool {
    if def.method == "POST" {
        r.status == 400
            && r.json()
                .and_then(|v| classify::api_error_code(&v))
                .is_some_and(|c| c != "MISSING_API_PERMISSION")
    } else {
        matches!(r.status, 200 | 204)
    }
}

/// `PACKAGE_NOT_INSTALLED` from an InstalledSubscriberPackage query with no spapi row, when
/// `answering` of the seven Sage People endpoints answered as installed: the error when none did; a
/// warning, worded for the contradiction, when some did.
fn package_missing(package_id: u64, answering: usize) -> Finding {
    if answering == 0 {
        return Finding::new(
            Code::PACKAGE_NOT_INSTALLED,
            "No installed package has the namespace spapi (InstalledSubscriberPackage).",
            vec![package_id],
        );
    }
    let mut f = classify::as_warning(
        Finding::new(
            Code::PACKAGE_NOT_INSTALLED,
            format!(
                "InstalledSubscriberPackage lists no package with the namespace spapi, yet {answering} of the {} Sage People API endpoints answer as the installed package does (200, or the validation error of a POST without a body): the package is installed, and the query does not show it to this user (its view of installed packages may be limited). The endpoints' answers are what the integration meets.",
                ENDPOINTS.len()
            ),
            vec![package_id],
        )
        .titled("The package query does not list the Sage People API, yet its endpoints answer"),
    );
    f.fix = vec![
        "Nothing to install: the Sage People API answers this user.".into(),
        "To confirm, an administrator can check Setup > Installed Packages for Sage People API; a tool that reads InstalledSubscriberPackage to decide whether the package is there would be misled the same way.".into(),
    ];
    f
}

/// The probe request of one endpoint. Pay Details needs an employee id; any well-formed id
/// does, since the (empty) body is refused first: the probe can never create a record.
pub fn probe_request(def: &EndpointDef, instance_url: &str, access_token: &str) -> Request {
    probe_with(def, instance_url, &Bearer::new(access_token))
}

/// [`probe_request`] with a bearer header built once.
fn probe_with(def: &EndpointDef, instance_url: &str, bearer: &Bearer) -> Request {
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
    .auth(bearer)
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

/// Step 6: judges the seven probes (sent concurrently by [`send`]) against the assignment
/// query. Returns a one-line summary.
pub async fn probes(run: &mut Run, sent: ProbesInFlight) -> String {
    let results = sent.0.answer().await;
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
        let finding = finding.map(|f| refine(run, f, worked).about(def.permission_set));
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
                    ).titled(format!("{} works without {} assigned", def.name, def.permission_set)).about(def.permission_set));
                }
            }
            Some(f) => {
                if f.code == Code::PERMISSION_SET_MISSING && is_assigned == Some(true) {
                    run.raise(Finding::new(Code::PERMISSION_SET_MISMATCH,
                        format!("{} is assigned according to PermissionSetAssignment, yet {} answers MISSING_API_PERMISSION (expired assignment, or object access missing?).", def.permission_set, def.name),
                        vec![id],
                    ).titled(format!("{} refused although {} is assigned", def.name, def.permission_set)).about(def.permission_set));
                }
                run.raise(f);
            }
        }
        run.emit(super::model::Event::Endpoint(out.clone()));
        run.endpoints.push(out);
    }
    format!("{passed} of 7 endpoints answered")
}

fn probe_failure(f: &Failure, id: u64) -> Finding {
    classify::failure(f, id)
}

#[cfg(test)]
mod tests {
    use super::user_id_of;

    #[test]
    fn user_id_from_the_identity_url() {
        let id = "https://login.salesforce.com/id/00D5g000000AAAAEA0/0055g0000010000AAA";
        assert_eq!(user_id_of(id).as_deref(), Some("0055g0000010000AAA"));
        assert_eq!(
            user_id_of("http://127.0.0.1:1/id/00D000000000001/005000000000001/").as_deref(),
            Some("005000000000001")
        );
        // Anything else is not put in a SOQL literal.
        for bad in [
            "https://login.salesforce.com/id/00D/005' OR Id != '",
            "https://login.salesforce.com/id/00D5g000000AAAAEA0/0055g0000010000AA%27",
            "https://login.salesforce.com/",
            "not a url",
        ] {
            assert_eq!(user_id_of(bad), None, "{bad}");
        }
    }
}
