//! The passive signals of one cycle, read with the watcher's session, and the active probes.
//! The record's readers and judges are the engine's (src/engine/record/: LoginHistory rows,
//! grouping and the Status map, the OauthToken reader and the expiry forecast, the record's
//! findings; src/engine/org.rs: the probe request and its judge).

use std::time::Instant;

use serde_json::Value;

use super::cycle::{Acc, CycleContext};
use super::cycle_app;
use super::cycle_login::{self, Session};
use super::model::{CheckState, MonitorFlow, WatchOrg};
use crate::engine::clock;
use crate::engine::export::iso8601;
use crate::engine::findings::{Code, Finding};
use crate::engine::http::{Client, Request};
use crate::engine::model::{API_VERSION, ENDPOINTS, Flow};
use crate::engine::record::{
    self, GRANT_CAP, Grants, IntegrationRecord, LoginRow, ReadError, Reader, query::Rows,
};
use crate::engine::{org, sanitize};

pub type Answer = Result<Rows, ReadError>;

const USER_FIELDS: &str =
    "SELECT Id, Username, IsActive, UserType, Profile.Name, Profile.UserLicense.Name FROM User";

/// How far back the first cycle of an org reads LoginHistory (later cycles read from the
/// high-water mark).
pub const FIRST_HISTORY_DAYS: u32 = 1;

fn soql_str(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\'', "\\'")
}

fn reader<'a>(client: &'a Client, s: &'a Session) -> Reader<'a> {
    Reader {
        client,
        instance_url: &s.instance_url,
        access_token: &s.access_token,
    }
}

/// The integration user's User row, by username.
pub async fn find_user(client: &Client, s: &Session, username: &str) -> Answer {
    reader(client, s)
        .query_all(&format!(
            "{USER_FIELDS} WHERE Username = '{}'",
            soql_str(username)
        ))
        .await
}

/// Whether the answer says the session expired (the cached token: log in again).
pub fn is_expired(a: &Answer) -> bool {
    matches!(a, Err(ReadError::Refused { code, .. }) if code == "INVALID_SESSION_ID" || code == "HTTP 401")
}

fn not_readable(e: &ReadError) -> bool {
    matches!(e, ReadError::Refused { code, .. } if code == "INVALID_TYPE" || code == "INSUFFICIENT_ACCESS")
}

/// A read that failed, as a check: Warn when the monitoring user may not read it (a set-up
/// gap, said with the permission), Error when the org did not answer properly.
fn unread(acc: &mut Acc, check: &str, t: Instant, what: &str, perm: &str, e: &ReadError) {
    if not_readable(e) {
        acc.check(
            check,
            t,
            vec![],
            CheckState::Warn,
            &format!("{what}: the monitoring user may not read it ({e}); give it {perm}"),
        );
    } else {
        acc.error(check, t, vec![], &format!("{what}: the query {e}"));
    }
}

/// The SOQL literal of a high-water mark (whole seconds; rows at the same second are told
/// apart by their time in milliseconds), or None when it does not parse as a datetime.
fn since(hwm: &str) -> Option<(String, u64)> {
    let ms = clock::parse_sf_datetime(hwm)?;
    let secs = iso8601(ms / 1000 * 1000);
    let literal = secs.split('.').next()?.to_string() + "Z";
    Some((literal, ms))
}

#[allow(clippy::too_many_arguments)]
pub async fn passive(
    org: &WatchOrg,
    ctx: &CycleContext,
    client: &Client,
    s: &Session,
    user: Answer,
    t: Instant,
    acc: &mut Acc,
) {
    let who = sanitize::bounded(&org.integration_user, 120, None);
    let row = match user {
        Ok(rows) => match rows.records.into_iter().next() {
            Some(r) => r,
            None => {
                acc.error(
                    "user",
                    t,
                    vec![],
                    &format!(
                        "no User named {who} in this org (or the monitoring user may not see it: it needs View All Users)"
                    ),
                );
                return;
            }
        },
        Err(e) => {
            unread(acc, "user", t, "the integration user", "View All Users", &e);
            return;
        }
    };
    let uid = row["Id"].as_str().unwrap_or_default().to_string();
    if !record::is_sf_id(&uid) {
        acc.error("user", t, vec![], "the User row has no usable Id");
        return;
    }
    let r = reader(client, s);
    let hwm = ctx.login_high_water.as_deref().and_then(since);
    let window = match &hwm {
        Some((lit, _)) => format!("LoginTime >= {lit}"),
        None => format!("LoginTime = LAST_N_DAYS:{FIRST_HISTORY_DAYS}"),
    };
    let history_q = format!(
        "SELECT Id, UserId, LoginTime, Status, Application, LoginType, SourceIp FROM LoginHistory WHERE UserId = '{uid}' AND {window} ORDER BY LoginTime DESC"
    );
    let login_q = format!(
        "SELECT Id, UserId, IsFrozen, IsPasswordLocked FROM UserLogin WHERE UserId = '{uid}'"
    );
    let psa_q = format!(
        "SELECT PermissionSet.Name, PermissionSet.Label, PermissionSet.IsOwnedByProfile FROM PermissionSetAssignment WHERE AssigneeId = '{uid}'"
    );
    let package_q = "SELECT SubscriberPackage.NamespacePrefix, SubscriberPackage.Name, SubscriberPackageVersion.MajorVersion, SubscriberPackageVersion.MinorVersion, SubscriberPackageVersion.PatchVersion, SubscriberPackageVersion.BuildNumber FROM InstalledSubscriberPackage WHERE SubscriberPackage.NamespacePrefix = 'spapi'";
    let enc: String = url::form_urlencoded::byte_serialize(package_q.as_bytes()).collect();
    let package_req = Request::get(format!(
        "{}/services/data/{API_VERSION}/tooling/query?q={enc}",
        s.instance_url
    ))
    .bearer(&s.access_token);
    let limits_req = Request::get(format!(
        "{}/services/data/{API_VERSION}/limits/",
        s.instance_url
    ))
    .bearer(&s.access_token);
    let t_all = Instant::now();
    let (history, grants, login, psa, package, app, limits) = tokio::join!(
        r.query_all(&history_q),
        record::read_grants(client, &s.instance_url, &s.access_token, &uid),
        r.query_all(&login_q),
        r.query_all(&psa_q),
        client.send(package_req),
        cycle_app::read(client, s, org.integration_app.as_deref()),
        client.send(limits_req),
    );

    // The user: active, frozen.
    let opt = |v: &Value| {
        v.as_str()
            .map(|x| sanitize::bounded(x, sanitize::MAX_VALUE, None))
    };
    let mut rec = IntegrationRecord {
        read_as: Some("monitor"),
        history_days: FIRST_HISTORY_DAYS,
        ..IntegrationRecord::default()
    };
    rec.user.id = Some(uid.clone());
    rec.user.username = opt(&row["Username"]);
    rec.user.active = row["IsActive"].as_bool();
    rec.user.user_type = opt(&row["UserType"]);
    rec.user.profile = opt(&row["Profile"]["Name"]);
    rec.user.licence = opt(&row["Profile"]["UserLicense"]["Name"]);
    let login_unread = match &login {
        Ok(rows) => {
            if let Some(l) = rows.records.first() {
                rec.user.frozen = l["IsFrozen"].as_bool();
                rec.user.password_locked = l["IsPasswordLocked"].as_bool();
            }
            None
        }
        Err(e) => Some(e.clone()),
    };
    acc.signals.user_active = rec.user.active;
    acc.signals.user_frozen = rec.user.frozen;

    // LoginHistory since the high-water mark, of the integration's app when named.
    let mut history_unread = None;
    match &history {
        Ok(rows) => {
            let parsed: Vec<LoginRow> = rows
                .records
                .iter()
                .map(LoginRow::from_json)
                .filter(|l| match (&hwm, l.time_ms) {
                    (Some((_, h)), Some(t)) => t > *h,
                    _ => true,
                })
                .collect();
            if let Some(newest) = rows
                .records
                .iter()
                .filter_map(|r| r["LoginTime"].as_str())
                .filter(|t| clock::parse_sf_datetime(t).is_some())
                .max_by_key(|t| clock::parse_sf_datetime(t))
            {
                acc.signals.login_high_water = Some(sanitize::bounded(newest, 64, None));
            } else {
                acc.signals.login_high_water = ctx.login_high_water.clone();
            }
            let mine: Vec<LoginRow> = parsed
                .into_iter()
                .filter(|l| {
                    org.integration_app
                        .as_deref()
                        .is_none_or(|a| l.application.trim().eq_ignore_ascii_case(a.trim()))
                })
                .collect();
            for l in mine
                .iter()
                .filter(|l| !record::status::is_success(&l.status))
            {
                *acc.signals
                    .login_failures
                    .entry(sanitize::bounded(&l.status, 120, None))
                    .or_insert(0) += 1;
            }
            rec.login_history = Some(record::summarise(&mine, rows.truncated));
        }
        Err(e) => {
            acc.signals.login_high_water = ctx.login_high_water.clone();
            history_unread = Some(e.clone());
        }
    }

    // Grants and the forecast under the app's policy.
    let expiry = app.info.policies.refresh_token_expiry;
    let mut grants_unread = None;
    match grants {
        Ok((mut list, _)) => {
            let now = clock::now_ms();
            let name = org.integration_app.clone();
            for g in list.iter_mut() {
                if let Some(p) = expiry
                    && name.as_deref().is_none_or(|a| g.is_for(a))
                {
                    g.expiry = record::grants::forecast(p, g.created_ms, g.last_used_ms, now);
                }
            }
            list.sort_by_key(|g| g.created_ms);
            let mine: Vec<_> = list
                .iter()
                .filter(|g| name.as_deref().is_none_or(|a| g.is_for(a)))
                .collect();
            acc.signals.grants_used = Some(mine.len() as u32);
            acc.signals.refresh_expires_in_secs = mine
                .iter()
                .filter_map(|g| g.expiry.as_ref())
                .map(|f| f.hours_left.saturating_mul(3600))
                .min();
            rec.grants = Some(Grants {
                app: name,
                count: mine.len(),
                cap: GRANT_CAP,
                policy: app.info.policies.refresh_token_policy.clone(),
                grants: list,
            });
        }
        Err(e) => grants_unread = Some(e),
    }
    let found = record::findings(&rec, expiry);
    let of = |src: &str| -> Vec<Finding> {
        found
            .iter()
            .filter(|f| f.source == Some(src))
            .cloned()
            .collect()
    };
    // Each check's latency: the join's (they ran at once).
    let _ = t_all;
    match login_unread {
        None => {
            let detail = match (rec.user.active, rec.user.frozen) {
                (Some(true), Some(false)) => format!("{who} is active and not frozen"),
                _ => String::new(),
            };
            acc.check("user", t, of("user"), CheckState::Pass, &detail);
        }
        Some(e) => unread(
            acc,
            "user",
            t,
            "whether the user is frozen (UserLogin)",
            "View All Users",
            &e,
        ),
    }
    match history_unread {
        None => {
            let n = rec.login_history.as_ref().map_or(0, |h| h.attempts);
            let f = rec.login_history.as_ref().map_or(0, |h| h.failures);
            acc.check(
                "login_history",
                t,
                of("login_history"),
                CheckState::Pass,
                &format!(
                    "{n} new login{} of the integration, {f} failed",
                    if n == 1 { "" } else { "s" }
                ),
            );
        }
        Some(e) => unread(
            acc,
            "login_history",
            t,
            "LoginHistory",
            "Monitor Login History (or Manage Users)",
            &e,
        ),
    }
    match grants_unread {
        None => {
            let g = rec.grants.as_ref().map_or(0, |g| g.count);
            acc.check(
                "grants",
                t,
                of("oauth_token"),
                CheckState::Pass,
                &format!("{g} of {GRANT_CAP} grants used"),
            );
        }
        Some(e) => unread(
            acc,
            "grants",
            t,
            "the OAuth grants (OauthToken)",
            "Manage Users (OauthToken of other users)",
            &e,
        ),
    }
    acc.parts.integration = Some(rec);

    permission_sets(acc, t, psa);
    app_policy(acc, ctx, t, app);
    package_check(acc, ctx, t, package);
    limits_check(acc, t, limits);
}

fn permission_sets(acc: &mut Acc, t: Instant, psa: Answer) {
    let rows = match psa {
        Ok(r) => r,
        Err(e) => {
            unread(
                acc,
                "permission_sets",
                t,
                "the permission-set assignments",
                "View Setup and Configuration",
                &e,
            );
            return;
        }
    };
    let held: Vec<(String, String)> = rows
        .records
        .iter()
        .filter(|r| r["PermissionSet"]["IsOwnedByProfile"] != true)
        .map(|r| {
            let ps = &r["PermissionSet"];
            (
                ps["Name"].as_str().unwrap_or_default().to_string(),
                ps["Label"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .flat_map(|c| c.to_lowercase())
            .collect()
    };
    let has = |set: &str| {
        held.iter()
            .any(|(n, l)| norm(n) == norm(set) || norm(l) == norm(set))
    };
    let mut found = Vec::new();
    let mut present = Vec::new();
    for def in ENDPOINTS {
        if has(def.permission_set) {
            present.push(def.permission_set.to_string());
        } else {
            found.push(
                Finding::new(
                    Code::PERMISSION_SET_MISSING,
                    format!(
                        "PermissionSetAssignment lists no {} for the integration user: {} will refuse it (MISSING_API_PERMISSION).",
                        def.permission_set, def.name
                    ),
                    vec![],
                )
                .titled(format!("{} is not assigned to the integration user", def.permission_set))
                .about(def.permission_set),
            );
        }
    }
    let detail = if found.is_empty() {
        "all 7 Sage People permission sets assigned".to_string()
    } else {
        let missing: Vec<&str> = ENDPOINTS
            .iter()
            .map(|d| d.permission_set)
            .filter(|p| !present.iter().any(|x| x == p))
            .collect();
        format!(
            "{} of 7 assigned; missing: {}",
            present.len(),
            missing.join(", ")
        )
    };
    acc.signals.permission_sets = present.clone();
    acc.parts.org.assigned_permission_sets = Some(
        held.into_iter()
            .map(|(n, l)| if l.is_empty() { n } else { l })
            .collect(),
    );
    acc.check("permission_sets", t, found, CheckState::Pass, &detail);
}

fn app_policy(acc: &mut Acc, ctx: &CycleContext, t: Instant, app: cycle_app::AppRead) {
    if let Some(why) = &app.unread {
        acc.check("app_policy", t, vec![], CheckState::Skip, why);
        acc.parts.app = Some(app.info);
        return;
    }
    let map = cycle_app::policy_map(&app.info);
    let changed = ctx
        .previous
        .as_ref()
        .filter(|p| !p.app_policy.is_empty())
        .map(|p| cycle_app::drift(&p.app_policy, &map))
        .unwrap_or_default();
    let (state, detail) = if changed.is_empty() {
        (
            CheckState::Pass,
            format!(
                "{}: refresh policy {}",
                app.info.name.as_deref().unwrap_or("the app"),
                app.info
                    .policies
                    .refresh_token_policy
                    .as_deref()
                    .unwrap_or("unknown")
            ),
        )
    } else {
        (
            CheckState::Warn,
            format!("changed since the last cycle: {}", changed.join("; ")),
        )
    };
    acc.signals.app_policy = map;
    acc.parts.org.refresh_token_policy = app.info.policies.refresh_token_policy.clone();
    acc.parts.org.permitted_users = app.info.policies.permitted_users.clone();
    acc.parts.app = Some(app.info);
    acc.check("app_policy", t, vec![], state, &detail);
}

fn package_check(
    acc: &mut Acc,
    ctx: &CycleContext,
    t: Instant,
    (id, answer): (
        u64,
        Result<crate::engine::http::Response, crate::engine::http::Failure>,
    ),
) {
    let resp = match answer {
        Ok(r) => r,
        Err(f) => {
            acc.error(
                "package",
                t,
                vec![],
                &format!("the package query failed: {f}"),
            );
            return;
        }
    };
    let rows = match resp.json() {
        Some(v) if resp.status == 200 => v["records"].as_array().cloned(),
        _ => None,
    };
    let Some(rows) = rows else {
        let code = resp
            .json()
            .and_then(|v| crate::engine::classify::api_error_code(&v))
            .unwrap_or_else(|| format!("HTTP {}", resp.status));
        let e = ReadError::Refused {
            code,
            request_id: id,
        };
        unread(
            acc,
            "package",
            t,
            "the installed packages",
            "View Setup and Configuration",
            &e,
        );
        return;
    };
    let Some(p) = rows.first() else {
        acc.check(
            "package",
            t,
            vec![Finding::new(
                Code::PACKAGE_NOT_INSTALLED,
                "InstalledSubscriberPackage lists no package with the namespace spapi.",
                vec![id],
            )],
            CheckState::Pass,
            "",
        );
        return;
    };
    let v = &p["SubscriberPackageVersion"];
    let version = format!(
        "{}.{}.{}.{}",
        v["MajorVersion"].as_u64().unwrap_or(0),
        v["MinorVersion"].as_u64().unwrap_or(0),
        v["PatchVersion"].as_u64().unwrap_or(0),
        v["BuildNumber"].as_u64().unwrap_or(0)
    );
    let before = ctx
        .previous
        .as_ref()
        .and_then(|p| p.package_version.clone());
    let (state, detail) = match before {
        Some(b) if b != version => (
            CheckState::Warn,
            format!("Sage People API package changed since the last cycle: {b} → {version}"),
        ),
        _ => (
            CheckState::Pass,
            format!("Sage People API package {version}"),
        ),
    };
    acc.signals.package_version = Some(version.clone());
    acc.parts.org.package_version = Some(version);
    acc.check("package", t, vec![], state, &detail);
}

fn limits_check(
    acc: &mut Acc,
    t: Instant,
    (id, answer): (
        u64,
        Result<crate::engine::http::Response, crate::engine::http::Failure>,
    ),
) {
    let resp = match answer {
        Ok(r) => r,
        Err(f) => {
            acc.error("limits", t, vec![], &format!("/limits failed: {f}"));
            return;
        }
    };
    let v = match resp.json() {
        Some(v) if resp.status == 200 && v["DailyApiRequests"].is_object() => v,
        _ if resp.is_html() => {
            acc.error(
                "limits",
                t,
                vec![],
                &format!(
                    "/limits answered HTTP {} with an HTML page (a proxy, not Salesforce)",
                    resp.status
                ),
            );
            return;
        }
        _ => {
            acc.error(
                "limits",
                t,
                vec![],
                &format!(
                    "/limits answered HTTP {} without DailyApiRequests",
                    resp.status
                ),
            );
            return;
        }
    };
    let max = v["DailyApiRequests"]["Max"].as_i64().unwrap_or(0);
    let remaining = v["DailyApiRequests"]["Remaining"].as_i64().unwrap_or(0);
    acc.signals.api_requests_max = Some(max);
    acc.signals.api_requests_remaining = Some(remaining);
    let used = max.saturating_sub(remaining);
    acc.parts.org.api_usage = Some((used.max(0) as u64, max.max(0) as u64));
    let mut found = Vec::new();
    if max > 0 && remaining <= 0 {
        found.push(Finding::new(
            Code::API_LIMIT_EXCEEDED,
            format!("{used} of {max} daily API requests used: none remain."),
            vec![id],
        ));
    } else if max > 0 && used * 10 >= max * 9 {
        found.push(Finding::new(
            Code::API_LIMIT_NEAR,
            format!("{used} of {max} daily API requests used."),
            vec![id],
        ));
    }
    acc.check(
        "limits",
        t,
        found,
        CheckState::Pass,
        &format!("{remaining} of {max} daily API requests remain"),
    );
}

/// The seven probes as the integration user, through a JWT for that user (the monitoring app
/// must be allowed to issue one); the token is revoked at the end.
pub async fn probes(org: &WatchOrg, ctx: &CycleContext, client: &Client, acc: &mut Acc) {
    let t = Instant::now();
    if org.flow != MonitorFlow::Jwt {
        acc.check(
            "probes",
            t,
            vec![],
            CheckState::Skip,
            "probing as the integration user needs the JWT flow (the monitoring app's key signs in as that user)",
        );
        return;
    }
    let env = match cycle_login::environment(org) {
        Ok(e) => e,
        Err(e) => {
            acc.error("probes", t, vec![], &e);
            return;
        }
    };
    let pem = match cycle_login::private_key(org, ctx).await {
        Ok(p) => p,
        Err(f) => {
            let d = f.detail.clone();
            acc.error("probes", t, vec![f], &d);
            return;
        }
    };
    let s = match cycle_login::jwt(
        client,
        &env,
        &org.client_id,
        &org.integration_user,
        &pem,
        Flow::Jwt,
    )
    .await
    {
        Ok(s) => s,
        Err(f) => {
            let d = format!("the JWT login as the integration user failed: {}", f.detail);
            acc.error("probes", t, vec![f], &d);
            return;
        }
    };
    let sent = futures_util::future::join_all(ENDPOINTS.iter().map(|def| {
        let req = org::probe_request(def, &s.instance_url, &s.access_token);
        let client = client.clone();
        async move { (Instant::now(), client.send(req).await) }
    }))
    .await;
    for (def, (t0, answer)) in ENDPOINTS.iter().zip(sent) {
        let assigned = Some(
            acc.signals
                .permission_sets
                .iter()
                .any(|p| p == def.permission_set),
        );
        let (result, finding) = org::judge_probe(def, answer, assigned);
        let found: Vec<Finding> = finding.into_iter().collect();
        let name = format!("probe:{}", def.name);
        acc.check(&name, t0, found, CheckState::Pass, "");
        if let Some(c) = acc.checks.last_mut() {
            c.latency_ms = result.latency_ms;
        }
        acc.parts.endpoints.push(result);
    }
    cycle_login::revoke(client, &env.login_url(), &s.access_token).await;
}
