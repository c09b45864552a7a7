//! The integration's own record, read after login: the org's LoginHistory of the integration
//! user (every attempt, failures included, in Salesforce's words), the user's OauthToken grants
//! for the app with the forecast of their expiry, and the user (active, frozen, licence,
//! profile). Read with the API user's session (its own rows) or, given one, an admin's
//! (everything). Each part that stays unknown says which permission would reveal it.
//! docs/integration-record.md has the queries, the Status map and their sources.

pub mod grants;
pub mod query;
pub mod status;
mod view;

use serde_json::Value;

pub use grants::{GRANT_CAP, OauthGrant, read_grants};
pub use query::{ReadError, Reader};

use super::clock;
use super::clock::iso8601;
use super::context::Run;
use super::findings::{Code, Finding, RecordEvidence, Severity};
use super::model::Tokens;
use super::sanitize;

pub use super::model::record::{
    DEFAULT_HISTORY_DAYS, Grants, IntegrationRecord, LoginAttempt, LoginGroup, LoginHistory,
    MAX_HISTORY_DAYS,
};

/// One LoginHistory row, read.
#[derive(Debug, Clone, PartialEq)]
pub struct LoginRow {
    pub time_ms: Option<u64>,
    pub time: String,
    pub status: String,
    pub application: String,
    pub login_type: String,
    pub source_ip: String,
    /// An attempt of this run's own login (at or after the run started, less clock skew).
    pub this_run: bool,
}

fn text(v: &Value) -> String {
    sanitize::bounded(v.as_str().unwrap_or_default(), 256, None)
}

impl LoginRow {
    pub fn from_json(r: &Value) -> LoginRow {
        let raw = r["LoginTime"].as_str().unwrap_or_default();
        LoginRow {
            time_ms: clock::parse_sf_datetime(raw),
            time: text(&r["LoginTime"]),
            status: text(&r["Status"]),
            application: text(&r["Application"]),
            login_type: text(&r["LoginType"]),
            source_ip: text(&r["SourceIp"]),
            this_run: false,
        }
    }

    /// Marks the row as this run's own when it is at or after `cutoff_ms`.
    pub fn mark_run(mut self, cutoff_ms: Option<u64>) -> LoginRow {
        self.this_run = matches!((self.time_ms, cutoff_ms), (Some(t), Some(c)) if t >= c);
        self
    }
}

/// Groups the rows by Status and Application: count, first and last time, login types and
/// distinct source IPs; the most frequent first (then the latest).
pub fn group(rows: &[LoginRow]) -> Vec<LoginGroup> {
    let mut groups: Vec<(LoginGroup, Vec<&str>)> = Vec::new();
    for r in rows {
        let i = match groups
            .iter()
            .position(|(g, _)| g.status == r.status && g.application == r.application)
        {
            Some(i) => i,
            None => {
                groups.push((
                    LoginGroup {
                        status: r.status.clone(),
                        application: r.application.clone(),
                        success: status::is_success(&r.status),
                        count: 0,
                        first: None,
                        last: None,
                        login_types: Vec::new(),
                        source_ips: 0,
                        this_run: 0,
                        finding: status::map_status(&r.status),
                        first_ms: None,
                        last_ms: None,
                        last_before_run_ms: None,
                    },
                    Vec::new(),
                ));
                groups.len() - 1
            }
        };
        let (g, ips) = &mut groups[i];
        g.count += 1;
        if r.this_run {
            g.this_run += 1;
        } else if let Some(t) = r.time_ms
            && g.last_before_run_ms.is_none_or(|l| t > l)
        {
            g.last_before_run_ms = Some(t);
        }
        if let Some(t) = r.time_ms {
            if g.first_ms.is_none_or(|f| t < f) {
                g.first_ms = Some(t);
            }
            if g.last_ms.is_none_or(|l| t > l) {
                g.last_ms = Some(t);
            }
        }
        if !r.login_type.is_empty() && !g.login_types.contains(&r.login_type) {
            g.login_types.push(r.login_type.clone());
        }
        if !r.source_ip.is_empty() && !ips.contains(&r.source_ip.as_str()) {
            ips.push(&r.source_ip);
        }
    }
    let mut out: Vec<LoginGroup> = groups
        .into_iter()
        .map(|(mut g, ips)| {
            g.source_ips = ips.len();
            g.first = g.first_ms.map(iso8601);
            g.last = g.last_ms.map(iso8601);
            g
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(b.last_ms.cmp(&a.last_ms)));
    out
}

/// The LoginHistory summary of the rows (newest first or not).
pub fn summarise(rows: &[LoginRow], truncated: bool) -> LoginHistory {
    let groups = group(rows);
    let last_success = rows
        .iter()
        .filter(|r| status::is_success(&r.status) && !r.this_run)
        .max_by_key(|r| r.time_ms)
        .map(|r| LoginAttempt {
            time: r.time_ms.map(iso8601).or_else(|| Some(r.time.clone())),
            application: r.application.clone(),
            login_type: r.login_type.clone(),
            source_ip: r.source_ip.clone(),
        });
    LoginHistory {
        attempts: rows.len() as u64,
        failures: groups.iter().filter(|g| !g.success).map(|g| g.count).sum(),
        groups,
        last_success,
        truncated,
    }
}

/// A Salesforce id as it may go into SOQL (15 or 18 letters and digits).
pub fn is_sf_id(s: &str) -> bool {
    matches!(s.len(), 15 | 18) && s.chars().all(|c| c.is_ascii_alphanumeric())
}

/// A SOQL string literal's content.
fn soql_str(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\'', "\\'")
}

const LOGIN_HISTORY_PERMISSION: &str = "Manage Users or Monitor Login History";
const USERS_PERMISSION: &str = "Manage Users";

/// The findings of the record: a mapped failure as the engine's own finding, from the org's
/// record; an unmapped one quoted; a frozen or inactive user; an expiring refresh token; the
/// grant cap.
pub fn findings(
    rec: &IntegrationRecord,
    expiry: Option<super::app::RefreshExpiry>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let who = rec
        .user
        .username
        .clone()
        .unwrap_or_else(|| "the API user".into());
    if let Some(h) = &rec.login_history {
        // A failure only this run met is already this run's own finding.
        for g in h
            .groups
            .iter()
            .filter(|g| !g.success && g.count > g.this_run)
        {
            // A later success of the same application (not this run's own): it may be over.
            let resolved = h.groups.iter().any(|s| {
                s.success && s.application == g.application && s.last_before_run_ms > g.last_ms
            });
            let span = match (&g.first, &g.last) {
                (Some(a), Some(b)) if a != b => format!("between {a} and {b}"),
                (Some(a), _) => format!("at {a}"),
                _ => "in the window".into(),
            };
            let app = if g.application.is_empty() {
                "an unnamed application".to_string()
            } else {
                g.application.clone()
            };
            let detail = format!(
                "The org's Login History of {who} shows {} failed login{} with Status \"{}\" from {app} ({}; {} source IP{}), {span}.{}",
                g.count,
                if g.count == 1 { "" } else { "s" },
                g.status,
                if g.login_types.is_empty() {
                    "login type not given".to_string()
                } else {
                    g.login_types.join(", ")
                },
                g.source_ips,
                if g.source_ips == 1 { "" } else { "s" },
                if resolved {
                    " A later login of the same application succeeded: it may be over."
                } else {
                    ""
                }
            );
            let evidence = RecordEvidence {
                status: Some(g.status.clone()),
                application: Some(g.application.clone()),
                count: g.count,
                first: g.first.clone(),
                last: g.last.clone(),
            };
            let f = match g.finding {
                Some(code) => {
                    let title = format!(
                        "{} (Login History: \"{}\", {} time{})",
                        code.info().title,
                        g.status,
                        g.count,
                        if g.count == 1 { "" } else { "s" }
                    );
                    Finding::new(code, detail, vec![]).titled(title)
                }
                None => {
                    let title = format!("Login History shows failed logins: \"{}\"", g.status);
                    Finding::new(Code::LOGIN_HISTORY_FAILURE, detail, vec![]).titled(title)
                }
            };
            let f = if resolved && f.severity == Severity::Error {
                f.severity(Severity::Warning)
            } else {
                f
            };
            out.push(f.from_record("login_history", Some(evidence)));
        }
    }
    let u = &rec.user;
    if u.frozen == Some(true) {
        let last = rec
            .login_history
            .as_ref()
            .and_then(|h| h.last_success.as_ref())
            .map(|s| {
                format!(
                    " The last successful login was at {} from {}.",
                    s.time.as_deref().unwrap_or("an unknown time"),
                    if s.source_ip.is_empty() {
                        "an unknown address"
                    } else {
                        &s.source_ip
                    }
                )
            })
            .unwrap_or_default();
        out.push(
            Finding::new(
                Code::USER_FROZEN,
                format!("UserLogin.IsFrozen is true for {who}: Salesforce refuses every login and refresh of the user until an admin unfreezes it.{last}"),
                vec![],
            )
            .from_record("user", None),
        );
    }
    if u.active == Some(false) {
        out.push(
            Finding::new(
                Code::USER_INACTIVE,
                format!("User.IsActive is false for {who}."),
                vec![],
            )
            .titled("The API user is inactive (the org's user record)")
            .from_record("user", None),
        );
    }
    if let Some(g) = &rec.grants {
        if let (Some(app), true) = (&g.app, g.count >= GRANT_CAP - 1) {
            let mut ordered: Vec<&OauthGrant> = g.grants.iter().filter(|x| x.is_for(app)).collect();
            ordered.sort_by_key(|x| x.created_ms);
            let oldest = ordered
                .first()
                .map(|o| {
                    format!(
                        " The oldest, which the next login would revoke, was created {} and last used {}.",
                        o.created.as_deref().unwrap_or("at an unknown time"),
                        o.last_used.as_deref().unwrap_or("never")
                    )
                })
                .unwrap_or_default();
            out.push(
                Finding::new(
                    Code::GRANT_CAP_RISK,
                    format!(
                        "{who} holds {} of {} grants for {app} (OauthToken).{}",
                        g.count, g.cap, oldest
                    ),
                    vec![],
                )
                .from_record(
                    "oauth_token",
                    Some(RecordEvidence {
                        status: None,
                        application: Some(app.clone()),
                        count: g.count as u64,
                        first: ordered.first().and_then(|o| o.created.clone()),
                        last: ordered.last().and_then(|o| o.created.clone()),
                    }),
                ),
            );
        }
        if let (Some(policy), Some(app)) = (expiry, &g.app) {
            let soonest = g
                .grants
                .iter()
                .filter(|x| x.is_for(app) && !x.this_run)
                .filter_map(|x| x.expiry.as_ref().map(|f| (x, f)))
                .min_by_key(|(_, f)| f.hours_left);
            if let Some((x, f)) = soonest
                && grants::expires_soon(policy, f)
            {
                let mut finding = Finding::new(
                    Code::REFRESH_TOKEN_EXPIRING,
                    format!(
                        "The refresh token of {who}'s grant for {app} (created {}, last used {}) {} ({}) under \"{}\".",
                        x.created.as_deref().unwrap_or("at an unknown time"),
                        x.last_used.as_deref().unwrap_or("never"),
                        f.text,
                        f.expires,
                        g.policy
                            .as_deref()
                            .unwrap_or("the app's refresh-token policy")
                    ),
                    vec![],
                );
                if f.hours_left < 0 {
                    finding = finding
                        .severity(Severity::Error)
                        .titled("The integration's refresh token has expired");
                }
                out.push(finding.from_record("oauth_token", None));
            }
        }
    }
    out
}

type Answer = Result<query::Rows, ReadError>;

/// A query on a task of its own, aborted if dropped unread.
struct Task(tokio::task::JoinHandle<Answer>);

impl Drop for Task {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Task {
    fn spawn(client: &super::http::Client, instance: &str, token: &str, soql: String) -> Task {
        let (client, instance, token) = (client.clone(), instance.to_string(), token.to_string());
        Task(tokio::spawn(async move {
            Reader {
                client: &client,
                instance_url: &instance,
                access_token: &token,
            }
            .query_all(&soql)
            .await
        }))
    }

    async fn answer(mut self) -> Answer {
        (&mut self.0)
            .await
            .unwrap_or_else(|e| Err(ReadError::Failed(format!("the query's task ended: {e}"))))
    }
}

/// The record's four queries, sent with the other org queries the moment the token is known
/// (one round trip for all), for the user the identity URL names.
pub struct InFlight {
    uid: String,
    user: Task,
    history: Task,
    grants: Task,
    login: Task,
}

fn queries(uid: &str, days: u32) -> [String; 4] {
    [
        format!("{USER_FIELDS} WHERE Id = '{uid}'"),
        format!(
            "SELECT Id, UserId, LoginTime, Status, Application, LoginType, SourceIp FROM LoginHistory WHERE UserId = '{uid}' AND LoginTime = LAST_N_DAYS:{days} ORDER BY LoginTime DESC"
        ),
        grants::grants_query(uid),
        format!(
            "SELECT Id, UserId, IsFrozen, IsPasswordLocked FROM UserLogin WHERE UserId = '{uid}'"
        ),
    ]
}

const USER_FIELDS: &str =
    "SELECT Id, Username, IsActive, UserType, Profile.Name, Profile.UserLicense.Name FROM User";

/// Sends the record's queries for the user of the token's identity URL (None: not known yet).
pub fn send(run: &Run, tokens: &Tokens) -> Option<InFlight> {
    let uid = tokens.id_url.as_deref().and_then(id_of)?;
    let (instance, token) = match &run.cfg.admin_session {
        Some(a) => (a.instance_url.as_str(), a.access_token.as_str()),
        None => (tokens.instance_url.as_str(), tokens.access_token.as_str()),
    };
    let days = run.cfg.history_days.clamp(1, MAX_HISTORY_DAYS);
    let [u, h, g, l] = queries(&uid, days).map(|q| Task::spawn(&run.client, instance, token, q));
    Some(InFlight {
        uid,
        user: u,
        history: h,
        grants: g,
        login: l,
    })
}

/// Reads the record and raises its findings. `tokens`: the API user's login (None: the login
/// failed; only an admin session can read then); `sent`: its queries sent early by [`send`].
/// Returns a one-line note for the step.
pub async fn read(run: &mut Run, tokens: Option<&Tokens>, sent: Option<InFlight>) -> String {
    let days = run.cfg.history_days.clamp(1, MAX_HISTORY_DAYS);
    let mut rec = IntegrationRecord {
        history_days: days,
        ..IntegrationRecord::default()
    };
    let admin = run.cfg.admin_session.clone();
    let (instance, token, read_as) = match (&admin, tokens) {
        (Some(a), _) => (a.instance_url.clone(), a.access_token.clone(), "admin"),
        (None, Some(t)) => (t.instance_url.clone(), t.access_token.clone(), "api-user"),
        (None, None) => {
            let frozen = if run.has(Code::USER_INACTIVE) {
                " (Salesforce answered inactive user: since 24 April 2026 a user is also frozen after API traffic from a high-risk IP, which only UserLogin shows)"
            } else {
                ""
            };
            rec.unknown.push(format!(
                "the integration's record (LoginHistory, OauthToken, UserLogin, the user): the login failed{frozen} and no admin session was given; run again with --admin-username (an admin with Manage Users reads it all; Monitor Login History is enough for LoginHistory)"
            ));
            run.integration = Some(rec);
            return String::new();
        }
    };
    let client = run.client.clone();
    let reader = Reader {
        client: &client,
        instance_url: &instance,
        access_token: &token,
    };
    // The integration user's id: the token checks' (or the identity URL's), else by username.
    let mut user_id = run
        .org
        .user_id
        .clone()
        .or_else(|| tokens.and_then(|t| t.id_url.as_deref()).and_then(id_of))
        .filter(|id| is_sf_id(id));
    // The queries sent early serve when they were for this user.
    let sent = sent.filter(|s| user_id.as_deref() == Some(s.uid.as_str()));
    let (early_user, early_rest) = match sent {
        Some(s) => (Some(s.user), Some((s.history, s.grants, s.login))),
        None => (None, None),
    };
    let user_answer = match (early_user, &user_id, &run.cfg.username) {
        (Some(task), _, _) => Some(task.answer().await),
        (None, Some(id), _) => Some(
            reader
                .query_all(&format!("{USER_FIELDS} WHERE Id = '{id}'"))
                .await,
        ),
        (None, None, Some(name)) => Some(
            reader
                .query_all(&format!(
                    "{USER_FIELDS} WHERE Username = '{}'",
                    soql_str(name)
                ))
                .await,
        ),
        (None, None, None) => None,
    };
    match user_answer {
        None => rec.unknown.push(
            "the integration user: its id is unknown (no identity URL) and no --username was given".into(),
        ),
        Some(answer) => match answer {
            Ok(rows) => match rows.records.first() {
                Some(u) => {
                    let id = u["Id"].as_str().unwrap_or_default().to_string();
                    if user_id.is_none() && is_sf_id(&id) {
                        user_id = Some(id);
                    }
                    let opt = |v: &Value| v.as_str().map(|_| text(v));
                    rec.user.username = opt(&u["Username"]);
                    rec.user.active = u["IsActive"].as_bool();
                    rec.user.user_type = opt(&u["UserType"]);
                    rec.user.profile = opt(&u["Profile"]["Name"]);
                    rec.user.licence = opt(&u["Profile"]["UserLicense"]["Name"]);
                }
                None => rec.unknown.push(format!(
                    "the user record: no User row {} for this session",
                    if user_id.is_some() { "with the user's id" } else { "with that username" }
                )),
            },
            Err(e) => rec.unknown.push(format!(
                "the user record (User: {e}): needs View Setup and Configuration or {USERS_PERMISSION}"
            )),
        },
    }
    rec.user.id = user_id.clone();
    if rec.user.username.is_none() {
        rec.user.username = run
            .org
            .username
            .clone()
            .or_else(|| run.cfg.username.clone());
    }
    let Some(uid) = user_id else {
        rec.read_as = Some(read_as);
        rec.unknown.push(format!(
            "LoginHistory, OauthToken and UserLogin: the user's id is unknown (needs a readable User row: {USERS_PERMISSION})"
        ));
        run.integration = Some(rec);
        return String::new();
    };
    rec.read_as = Some(read_as);
    let (history, grants_read, login) = match early_rest {
        Some((h, g, l)) => tokio::join!(h.answer(), g.answer(), l.answer()),
        None => {
            let [_, h, g, l] = queries(&uid, days);
            tokio::join!(
                reader.query_all(&h),
                reader.query_all(&g),
                reader.query_all(&l)
            )
        }
    };
    let grants_read = grants_read.map(|rows| grants::grants_of(&client, &rows));
    let own = read_as == "api-user";
    let hidden = |what: &str, perm: &str| {
        if own {
            format!(
                "{what}: none of the user's own rows came back; needs {perm} to read them from another session"
            )
        } else {
            format!("{what}: this admin session may not read them; needs {perm}")
        }
    };
    match history {
        Ok(rows) => {
            // This run's own attempts are in the record too: told apart by time (two
            // minutes of clock skew allowed).
            let cutoff = Some(run.started_ms.saturating_sub(120_000));
            let parsed: Vec<LoginRow> = rows
                .records
                .iter()
                .map(|r| LoginRow::from_json(r).mark_run(cutoff))
                .collect();
            rec.login_history = Some(summarise(&parsed, rows.truncated));
        }
        Err(e) => rec.unknown.push(format!(
            "LoginHistory ({e}): needs {LOGIN_HISTORY_PERMISSION} (every user reads their own rows since API v37)"
        )),
    }
    match login {
        Ok(rows) => match rows.records.first() {
            Some(l) => {
                rec.user.frozen = l["IsFrozen"].as_bool();
                rec.user.password_locked = l["IsPasswordLocked"].as_bool();
            }
            None => rec
                .unknown
                .push(hidden("whether the user is frozen (UserLogin)", USERS_PERMISSION)),
        },
        Err(e) => rec.unknown.push(format!(
            "whether the user is frozen (UserLogin: {e}): needs {USERS_PERMISSION} (a user reading their own row is a guess)"
        )),
    }
    let expiry = run.app.policies.refresh_token_expiry;
    match grants_read {
        Ok(mut list) => {
            let now = clock::now_ms();
            let app = run.app.name.clone();
            for g in list.iter_mut() {
                g.this_run = own && g.created_ms.is_some_and(|c| c + 120_000 >= run.started_ms);
                if let Some(p) = expiry
                    && app.as_deref().is_none_or(|a| g.is_for(a))
                {
                    g.expiry = grants::forecast(p, g.created_ms, g.last_used_ms, now);
                }
            }
            list.sort_by_key(|g| g.created_ms);
            let count = match &app {
                Some(a) => list.iter().filter(|g| g.is_for(a)).count(),
                None => list.len(),
            };
            if app.is_none() {
                rec.unknown.push(
                    "which grants are the app's: the app's name is unknown (see the app's unknowns); the grants of every app are listed".into(),
                );
            }
            rec.grants = Some(Grants {
                app,
                count,
                cap: GRANT_CAP,
                policy: run.app.policies.refresh_token_policy.clone(),
                grants: list,
            });
        }
        Err(e) => rec.unknown.push(format!(
            "the user's OAuth grants (OauthToken: {e}): needs {USERS_PERMISSION} (every user reads their own)"
        )),
    }
    for f in findings(&rec, expiry) {
        run.raise(f);
    }
    let note = view::summary(&rec);
    run.integration = Some(rec);
    note
}

/// The user id at the end of an identity URL.
fn id_of(id_url: &str) -> Option<String> {
    let url = url::Url::parse(id_url).ok()?;
    let uid = url.path_segments()?.rfind(|s| !s.is_empty())?;
    is_sf_id(uid).then(|| uid.to_string())
}

pub use view::{lines, summary};

#[cfg(test)]
mod tests;
