//! Running cycles: `watch --once` (every org once, at most `concurrency` in flight, each bounded
//! by its time-out so a dead org never delays the others; each cycle recorded in the store as it
//! ends; then the alerts due delivered) and `watch` (each org on its schedule, with a lease per
//! org and slot in team mode, pruning, until Ctrl-C or SIGTERM).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::sync::Semaphore;

use super::cli::Listed;
use crate::engine::clock;
use crate::engine::http::Client;
use crate::engine::sanitize;
use crate::engine::watch::alerts_send::{Alerter, DeliveryReport};
use crate::engine::watch::cycle::{CycleContext, TokenCache, run_cycle};
use crate::engine::watch::model::{IncidentPolicy, OrgCycle, Signals, Transition};
use crate::engine::watch::schedule;
use crate::engine::watch::store::Store;

/// How cycles run.
#[derive(Clone)]
pub struct RunOptions {
    pub policy: IncidentPolicy,
    pub concurrency: usize,
    pub http_timeout: Duration,
    pub org_timeout: Duration,
    pub ca_certs: Vec<PathBuf>,
    pub watcher: String,
    pub retention_days: u32,
    pub team: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            policy: IncidentPolicy::default(),
            concurrency: 16,
            http_timeout: Duration::from_secs(20),
            org_timeout: Duration::from_secs(60),
            ca_certs: Vec::new(),
            watcher: crate::engine::watch::cycle::watcher_name(),
            retention_days: 90,
            team: false,
        }
    }
}

/// One org's cycle as recorded.
pub struct Recorded {
    pub cycle: OrgCycle,
    /// None: the store refused it (`error` says why).
    pub cycle_id: Option<i64>,
    pub transitions: Vec<Transition>,
    pub error: Option<String>,
}

/// Runs cycles against one store; keeps the watcher's tokens and the orgs' last signals.
#[derive(Clone)]
pub struct Runner {
    pub store: Store,
    pub alerter: Option<Alerter>,
    pub opts: RunOptions,
    tokens: TokenCache,
    client: Option<Client>,
    previous: Arc<std::sync::Mutex<HashMap<String, Signals>>>,
}

impl Runner {
    pub fn new(store: Store, alerter: Option<Alerter>, opts: RunOptions) -> Runner {
        // One HTTP stack for every org (each cycle keeps its own log): one TLS set-up, shared
        // connections. None when it cannot be built: each cycle then builds its own and says why.
        // Idle connections close after a second: within an org's cycle its requests follow one
        // another at once; after it, its connections are not kept for the next org's turn.
        let client = Client::for_fleet(opts.http_timeout, Duration::from_secs(1)).ok();
        Runner {
            store,
            alerter,
            opts,
            tokens: TokenCache::default(),
            client,
            previous: Arc::default(),
        }
    }

    /// The alert targets' names (each transition is queued once per target).
    pub fn targets(&self) -> Vec<String> {
        self.alerter
            .as_ref()
            .map(|a| a.targets().into_iter().map(|(n, _)| n).collect())
            .unwrap_or_default()
    }

    /// Loads each org's last signals from the store (drift is judged against them).
    pub async fn load_previous(&self) {
        if let Ok(status) = self.store.status().await {
            let mut prev = self.previous.lock().unwrap_or_else(|e| e.into_inner());
            for s in status {
                if let Some(c) = s.last {
                    prev.insert(s.org, c.signals);
                }
            }
        }
    }

    /// One cycle of one org, recorded.
    pub async fn cycle(&self, l: &Listed, secret: Option<String>) -> Recorded {
        let org = &l.org;
        let hwm = self.store.login_high_water(&org.name).await.ok().flatten();
        let previous = self
            .previous
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&org.name)
            .cloned();
        let ctx = CycleContext {
            http_timeout: self.opts.http_timeout,
            org_timeout: self.opts.org_timeout,
            ca_certs: self.opts.ca_certs.clone(),
            login_high_water: hwm.clone(),
            watcher: self.opts.watcher.clone(),
            secret,
            private_key_pem: None,
            tokens: self.tokens.clone(),
            client: self.client.clone(),
            previous,
        };
        let cycle = run_cycle(org, &ctx).await;
        self.previous
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(org.name.clone(), cycle.signals.clone());
        let targets = self.targets();
        let (cycle_id, transitions, error) = match self
            .store
            .record_cycle(&cycle, self.opts.policy, &targets)
            .await
        {
            Ok((id, t)) => (Some(id), t, None),
            Err(e) => (None, Vec::new(), Some(e.to_string())),
        };
        if let Some(h) = &cycle.signals.login_high_water
            && hwm.as_deref() != Some(h.as_str())
            && error.is_none()
        {
            let _ = self.store.set_login_high_water(&org.name, h).await;
        }
        Recorded {
            cycle,
            cycle_id,
            transitions,
            error,
        }
    }

    /// Every org once, at most `concurrency` at a time; `each` sees each cycle as it ends (the
    /// cycles returned no longer hold their reports).
    pub async fn run_once(
        &self,
        orgs: &[Listed],
        secrets: &BTreeMap<String, String>,
        mut each: impl FnMut(&Recorded),
    ) -> (Vec<Recorded>, Option<DeliveryReport>) {
        self.load_previous().await;
        let mut out = Vec::with_capacity(orgs.len());
        let now = clock::now_secs() as i64;
        let mut stream = futures_util::stream::iter(orgs.iter().map(|l| {
            let secret = secrets.get(&l.org.name).cloned();
            async move {
                // Team mode: the org's slot due now is run by whichever watcher leases it
                // first (two `--once` at the same moment check each org once).
                let slot = schedule::slots(&l.org.name, &l.org.schedule, now)
                    .map(|(slot, _)| slot)
                    .unwrap_or(now);
                if self.opts.team && !self.lease(&l.org.name, slot).await {
                    return None;
                }
                let r = self.cycle(l, secret).await;
                if self.opts.team {
                    self.release(&l.org.name, slot).await;
                }
                Some(r)
            }
        }))
        .buffer_unordered(self.opts.concurrency.max(1));
        while let Some(r) = stream.next().await {
            let Some(mut r) = r else { continue };
            each(&r);
            // Recorded and shown: the report (the largest part) is not held for the rest.
            r.cycle.report = serde_json::Value::Null;
            out.push(r);
        }
        let report = self.deliver().await;
        (out, report)
    }

    /// How long a lease lasts: the org's time-out and a minute to record it. A watcher gives
    /// each lease back once its cycle is recorded, so a dead watcher's orgs are taken at their
    /// next slot; only an org whose cycle was in flight when it died waits for the lease to
    /// expire (then the first slot after that).
    pub fn lease_ttl(&self) -> u64 {
        self.opts.org_timeout.as_secs() + 60
    }

    /// Team mode: true if this watcher takes `org`'s cycle `slot` (false: another watcher has
    /// it, or the store could not say: then nobody runs it twice).
    pub async fn lease(&self, org: &str, slot: i64) -> bool {
        matches!(
            self.store
                .try_lease(org, &self.opts.watcher, slot, self.lease_ttl())
                .await,
            Ok(true)
        )
    }

    /// Team mode: gives back the lease of `org`'s cycle `slot` once it is recorded, so the
    /// next slot is a fresh contest and a watcher that dies between cycles holds nothing (its
    /// orgs are taken at their next slot); one that dies mid-cycle holds them until the lease
    /// expires. An error leaves the lease to expire.
    pub async fn release(&self, org: &str, slot: i64) {
        let _ = self
            .store
            .release_lease(org, &self.opts.watcher, slot)
            .await;
    }

    /// Delivers the alerts due (None: no target configured).
    pub async fn deliver(&self) -> Option<DeliveryReport> {
        let a = self.alerter.as_ref()?;
        Some(a.deliver_due(&self.store, clock::now_secs() as i64).await)
    }

    /// Runs every org on its schedule until `stop` resolves. `list` is re-read from the
    /// store every minute (orgs added or removed meanwhile are picked up). `each` sees each
    /// cycle as it ends.
    pub async fn run_forever<L, F>(
        &self,
        mut list: L,
        stop: impl std::future::Future<Output = ()>,
        each: impl Fn(&Recorded) + Send + Sync + 'static,
        cycle_gauge: Option<super::serve::CycleGauge>,
    ) where
        L: FnMut() -> F,
        F: std::future::Future<Output = (Vec<Listed>, BTreeMap<String, String>)>,
    {
        self.load_previous().await;
        let each = Arc::new(each);
        let sem = Arc::new(Semaphore::new(self.opts.concurrency.max(1)));
        let running: Arc<std::sync::Mutex<HashSet<String>>> = Arc::default();
        // The slot each org last ran (or was leased elsewhere), by slot start.
        let mut done: HashMap<String, i64> = HashMap::new();
        let (mut orgs, mut secrets) = list().await;
        let mut last_list = Instant::now();
        let mut last_prune: Option<Instant> = None;
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<f64>();
        tokio::pin!(stop);
        let mut tasks = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                _ = &mut stop => break,
                _ = tick.tick() => {}
            }
            if last_list.elapsed() >= Duration::from_secs(60) {
                (orgs, secrets) = list().await;
                last_list = Instant::now();
            }
            if last_prune.is_none_or(|t| t.elapsed() >= Duration::from_secs(3600)) {
                let _ = self.store.prune(self.opts.retention_days).await;
                last_prune = Some(Instant::now());
            }
            let now = clock::now_secs() as i64;
            let mut finished = false;
            while let Ok(secs) = done_rx.try_recv() {
                finished = true;
                if let Some(g) = &cycle_gauge {
                    g.set(secs);
                }
            }
            if finished {
                let _ = self.deliver().await;
            }
            while tasks.try_join_next().is_some() {}
            for l in &orgs {
                let Ok((slot, _next)) = schedule::slots(&l.org.name, &l.org.schedule, now) else {
                    continue;
                };
                if done.get(&l.org.name).is_some_and(|d| *d >= slot) {
                    continue;
                }
                if running
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .contains(&l.org.name)
                {
                    continue;
                }
                done.insert(l.org.name.clone(), slot);
                if self.opts.team && !self.lease(&l.org.name, slot).await {
                    continue;
                }
                running
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(l.org.name.clone());
                let (me, l, sem, running, each, tx) = (
                    self.clone(),
                    l.clone(),
                    sem.clone(),
                    running.clone(),
                    each.clone(),
                    done_tx.clone(),
                );
                let secret = secrets.get(&l.org.name).cloned();
                tasks.spawn(async move {
                    let _permit = sem.acquire_owned().await;
                    let t = Instant::now();
                    let r = me.cycle(&l, secret).await;
                    if me.opts.team {
                        me.release(&l.org.name, slot).await;
                    }
                    each(&r);
                    running
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .remove(&l.org.name);
                    let _ = tx.send(t.elapsed().as_secs_f64());
                });
            }
        }
        // Stopping: cycles in flight get their time-out to finish and be recorded.
        let grace = self.opts.org_timeout + Duration::from_secs(5);
        let _ =
            tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
        tasks.abort_all();
        let _ = self.deliver().await;
    }
}

/// The one-line summary of a cycle.
pub fn summary_line(r: &Recorded) -> String {
    let c = &r.cycle;
    let codes: Vec<&str> = c.findings.iter().map(|f| f.code.as_str()).collect();
    let detail = c
        .checks
        .iter()
        .find(|x| x.state.is_failing())
        .map(|x| format!("  ({}: {})", x.check, x.detail))
        .unwrap_or_default();
    let opened: Vec<String> = r
        .transitions
        .iter()
        .map(|t| format!("{} {}", format!("{:?}", t.kind).to_lowercase(), t.code))
        .collect();
    let line = format!(
        "{:<20} {:<5} {:>6} ms  {}{}{}{}",
        c.org,
        c.state.word(),
        c.duration_ms,
        if codes.is_empty() {
            "-".to_string()
        } else {
            codes.join(",")
        },
        if opened.is_empty() {
            String::new()
        } else {
            format!("  incident {}", opened.join(", "))
        },
        sanitize::bounded(&detail, 200, None),
        r.error
            .as_ref()
            .map(|e| format!("  NOT RECORDED: {e}"))
            .unwrap_or_default()
    );
    sanitize::text(&line).into_owned()
}

/// The JSON line of a cycle (`--json`): the cycle, its id and transitions.
pub fn json_line(r: &Recorded) -> String {
    let mut v = serde_json::to_value(&r.cycle).unwrap_or_default();
    v["cycle_id"] = serde_json::json!(r.cycle_id);
    v["transitions"] = serde_json::to_value(&r.transitions).unwrap_or_default();
    if let Some(e) = &r.error {
        v["store_error"] = serde_json::json!(sanitize::bounded(e, 300, None));
    }
    sanitize::json(&serde_json::to_string(&v).unwrap_or_default()).into_owned()
}
