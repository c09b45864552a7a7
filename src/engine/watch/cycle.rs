//! One org's cycle: the watcher signs in with its own monitoring credentials (JWT bearer or
//! client credentials of a monitoring app; never the integration's token), reads the passive
//! signals of the integration user (LoginHistory since the high-water mark, grants and their
//! last use, frozen or inactive, the seven permission-set assignments, the app's policies, the
//! package version, `/limits`), and, where the org allows it, probes the seven endpoints as the
//! integration user through a JWT for that user. Every problem becomes a check in state Error
//! with a sanitised detail: a cycle never panics and is bounded by [`CycleContext::org_timeout`].
//!
//! The watcher's own access token is cached per org across cycles ([`TokenCache`]) and a new
//! login is made only when the org answers 401 (field-2026 §3.1 rule 3: each JWT or
//! client-credentials login writes a LoginHistory row and counts toward the login rate).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::cycle_login::{self, Session};
use super::cycle_read;
use super::cycle_report;
use super::model::{CheckResult, CheckState, OrgCycle, Signals, WatchFinding, WatchOrg};
use crate::engine::clock;
use crate::engine::findings::{Code, Finding, Severity};
use crate::engine::http::Client;
use crate::engine::sanitize;

/// The longest detail kept for a check.
pub const MAX_DETAIL: usize = 300;

/// The watcher's own access tokens, per org, kept in memory across cycles (never written).
#[derive(Clone, Default)]
pub struct TokenCache(Arc<Mutex<HashMap<String, Session>>>);

impl TokenCache {
    fn key(org: &WatchOrg) -> String {
        format!("{}\u{1f}{}", org.name, org.client_id)
    }

    pub(super) fn get(&self, org: &WatchOrg) -> Option<Session> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&Self::key(org))
            .cloned()
    }

    pub(super) fn put(&self, org: &WatchOrg, s: Session) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(Self::key(org), s);
    }

    pub(super) fn forget(&self, org: &WatchOrg) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&Self::key(org));
    }

    /// How many orgs have a cached token (tests, the bench).
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What one cycle of one org needs besides the org itself.
#[derive(Clone)]
pub struct CycleContext {
    /// Per request.
    pub http_timeout: Duration,
    /// The whole cycle of the org: past it the cycle ends in state Error.
    pub org_timeout: Duration,
    /// Extra CA certificates (PEM files) trusted for every org (besides the org's own).
    pub ca_certs: Vec<PathBuf>,
    /// The newest LoginTime read by the previous cycle (from the store).
    pub login_high_water: Option<String>,
    /// Which watcher runs the cycle (host name and process id).
    pub watcher: String,
    /// The monitoring app's consumer secret (client credentials), from the vault.
    pub secret: Option<String>,
    /// The monitoring app's private key (PEM), when already read; else read from
    /// `WatchOrg::private_key`.
    pub private_key_pem: Option<String>,
    /// The watcher's access tokens, kept across cycles.
    pub tokens: TokenCache,
    /// One HTTP stack shared by every org's cycle (each gets its own log); None: one per cycle.
    pub client: Option<Client>,
    /// The previous cycle's signals (for drift in the app's policies and package version).
    pub previous: Option<Signals>,
}

impl CycleContext {
    pub fn new(watcher: impl Into<String>) -> CycleContext {
        CycleContext {
            http_timeout: Duration::from_secs(20),
            org_timeout: Duration::from_secs(60),
            ca_certs: Vec::new(),
            login_high_water: None,
            watcher: watcher.into(),
            secret: None,
            private_key_pem: None,
            tokens: TokenCache::default(),
            client: None,
            previous: None,
        }
    }
}

/// The watcher's name: host name and process id.
pub fn watcher_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_string())
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    format!(
        "{}:{}",
        sanitize::bounded(&host, 64, None),
        std::process::id()
    )
}

/// What a cycle gathers as it goes.
#[derive(Default)]
pub(super) struct Acc {
    pub checks: Vec<CheckResult>,
    pub findings: Vec<Finding>,
    pub signals: Signals,
    pub parts: cycle_report::Parts,
}

impl Acc {
    /// A check from the findings it raised (their worst severity), or `state` when none.
    pub fn check(
        &mut self,
        name: &str,
        started: Instant,
        found: Vec<Finding>,
        state: CheckState,
        detail: &str,
    ) {
        let mut s = state;
        for f in &found {
            s = s.worst(match f.severity {
                Severity::Error => CheckState::Fail,
                Severity::Warning => CheckState::Warn,
                Severity::Info => CheckState::Pass,
            });
        }
        let mut codes: Vec<String> = Vec::new();
        for f in &found {
            if !codes.iter().any(|c| c == f.code.as_str()) {
                codes.push(f.code.as_str().to_string());
            }
        }
        let detail = if detail.is_empty() {
            found.first().map(|f| f.title.clone()).unwrap_or_default()
        } else {
            detail.to_string()
        };
        self.checks.push(CheckResult {
            check: name.to_string(),
            state: s,
            latency_ms: started.elapsed().as_millis() as u64,
            codes,
            detail: sanitize::bounded(&detail, MAX_DETAIL, None),
        });
        self.findings.extend(found);
    }

    /// A check that could not run: state Error, with why.
    pub fn error(&mut self, name: &str, started: Instant, found: Vec<Finding>, detail: &str) {
        self.check(name, started, found, CheckState::Error, detail);
        if let Some(c) = self.checks.last_mut() {
            c.state = CheckState::Error;
        }
    }
}

/// Runs one cycle of `org`. Never panics; an unreachable org, a refused login or a hung server
/// is a cycle in state Error, within `ctx.org_timeout`.
pub async fn run_cycle(org: &WatchOrg, ctx: &CycleContext) -> OrgCycle {
    let started_at = clock::now_secs() as i64;
    let t0 = Instant::now();
    let inner = std::panic::AssertUnwindSafe(cycle(org, ctx));
    let acc = match tokio::time::timeout(
        ctx.org_timeout,
        futures_util::FutureExt::catch_unwind(inner),
    )
    .await
    {
        Ok(Ok(acc)) => acc,
        Ok(Err(_)) => failed(
            t0,
            "the cycle stopped on an internal error (a bug: please report it)",
        ),
        Err(_) => failed(
            t0,
            &format!(
                "the org did not finish its cycle within {} s (--org-timeout): it is unreachable, hung or very slow",
                ctx.org_timeout.as_secs()
            ),
        ),
    };
    finish(org, ctx, started_at, t0, acc)
}

fn failed(t0: Instant, why: &str) -> Acc {
    let mut acc = Acc::default();
    acc.error(
        "cycle",
        t0,
        vec![Finding::new(Code::WATCH_LOGIN_FAILED, why, vec![])],
        why,
    );
    acc
}

fn finish(org: &WatchOrg, ctx: &CycleContext, started_at: i64, t0: Instant, acc: Acc) -> OrgCycle {
    let state = acc
        .checks
        .iter()
        .fold(CheckState::Skip, |s, c| s.worst(c.state));
    let mut findings: Vec<WatchFinding> = Vec::new();
    for f in &acc.findings {
        let code = f.code.as_str().to_string();
        if findings.iter().any(|w| w.code == code) {
            continue;
        }
        let forecast = f.code == Code::REFRESH_TOKEN_EXPIRING && f.severity != Severity::Error;
        findings.push(WatchFinding {
            code,
            severity: match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "info",
            }
            .into(),
            title: sanitize::bounded(&f.title, MAX_DETAIL, None),
            fix: f
                .fix
                .iter()
                .map(|s| sanitize::bounded(s, 600, None))
                .collect(),
            forecast,
        });
    }
    let duration_ms = t0.elapsed().as_millis() as u64;
    let report = cycle_report::document(org, &acc, state);
    OrgCycle {
        org: org.name.clone(),
        started_at,
        duration_ms,
        state,
        checks: acc.checks,
        findings,
        signals: acc.signals,
        report,
        watcher: ctx.watcher.clone(),
    }
}

async fn cycle(org: &WatchOrg, ctx: &CycleContext) -> Acc {
    let mut acc = Acc::default();
    let client = match cycle_login::client_for(org, ctx).await {
        Ok(c) => c,
        Err(why) => {
            acc.error(
                "login",
                Instant::now(),
                vec![Finding::new(Code::WATCH_LOGIN_FAILED, why.clone(), vec![])],
                &why,
            );
            return acc;
        }
    };
    acc.parts.client = Some(client.clone());
    // The watcher's session: cached, else a login.
    let t = Instant::now();
    let mut fresh = false;
    let session = match ctx.tokens.get(org) {
        Some(s) => {
            client.add_secret(&s.access_token);
            s
        }
        None => match cycle_login::login(org, ctx, &client).await {
            Ok(s) => {
                fresh = true;
                ctx.tokens.put(org, s.clone());
                s
            }
            Err(f) => {
                let detail = f.detail.clone();
                acc.error("login", t, vec![f], &detail);
                return acc;
            }
        },
    };
    // The user read first: a 401 there means the cached token expired, so log in once more.
    let t_user = Instant::now();
    let mut session = session;
    let mut user = cycle_read::find_user(&client, &session, &org.integration_user).await;
    if cycle_read::is_expired(&user) && !fresh {
        ctx.tokens.forget(org);
        match cycle_login::login(org, ctx, &client).await {
            Ok(s) => {
                ctx.tokens.put(org, s.clone());
                session = s;
                fresh = true;
                user = cycle_read::find_user(&client, &session, &org.integration_user).await;
            }
            Err(f) => {
                let detail = f.detail.clone();
                acc.error("login", t, vec![f], &detail);
                return acc;
            }
        }
    }
    // No answer at all (refused, hung, cut off): the org is unreachable, whatever the token.
    if let Err(crate::engine::record::ReadError::Failed(why)) = &user {
        let detail = format!(
            "{} did not answer properly: {}",
            sanitize::bounded(&session.instance_url, 120, None),
            sanitize::bounded(why, 200, None)
        );
        acc.error(
            "login",
            t,
            vec![Finding::new(
                Code::WATCH_LOGIN_FAILED,
                detail.clone(),
                vec![],
            )],
            &detail,
        );
        return acc;
    }
    acc.check(
        "login",
        t,
        vec![],
        CheckState::Pass,
        if fresh {
            "signed in with the monitoring app"
        } else {
            "the monitoring app's cached session still works"
        },
    );
    cycle_read::passive(org, ctx, &client, &session, user, t_user, &mut acc).await;
    if org.probe_as_integration {
        cycle_read::probes(org, ctx, &client, &mut acc).await;
    }
    acc
}
