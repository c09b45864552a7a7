//! The Fleet screen's store: what it needs of the watch store ([`FleetSource`]), the tasks
//! that read and write it ([`FleetJob`], carried out by [`run_job`] off the render loop) and
//! their answers ([`FleetMsg`]); and where the store is opened.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;

use crate::engine::watch::store::{Store, StoreError, StoreUrl};
use crate::engine::watch::{CycleSummary, Incident, OrgCycle, OrgStatus};
use crate::settings::Settings;

use super::fleet::utc;

/// How often the table is read again while it is shown.
pub const REFRESH: Duration = Duration::from_secs(5);

/// What the Fleet screen needs of the watch store (the store implements it; tests may too).
/// Errors are the store's own messages, which say what to do.
pub trait FleetSource: Send + Sync {
    /// Where the store is, password never shown.
    fn label(&self) -> String;
    fn status(&self) -> BoxFuture<'_, Result<Vec<OrgStatus>, String>>;
    fn history(
        &self,
        org: String,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<CycleSummary>, String>>;
    fn incidents(&self, org: String, limit: usize) -> BoxFuture<'_, Result<Vec<Incident>, String>>;
    fn cycle(&self, id: i64) -> BoxFuture<'_, Result<Option<OrgCycle>, String>>;
    fn ack(&self, org: String, code: String, who: String) -> BoxFuture<'_, Result<bool, String>>;
    fn mute(
        &self,
        org: String,
        code: String,
        until: i64,
        who: String,
    ) -> BoxFuture<'_, Result<bool, String>>;
    /// A fresh cycle of `org` with its monitoring credentials (shown, not recorded: the watcher
    /// records cycles and sends their alerts, so a check from here never takes one).
    fn check_now(&self, org: String) -> BoxFuture<'_, Result<OrgCycle, String>>;
}

pub type Source = Arc<dyn FleetSource>;

/// A store task: what to read or record. (No `Debug`: it holds the store.)
pub enum FleetJob {
    /// Open the store (`None`: the default SQLite file, if there is one).
    Open {
        url: Option<String>,
        /// The config file (its `[[watch.org]]` and CA certificates, for `r`).
        settings: Arc<Settings>,
    },
    /// Read every org's status after `delay`; `generation` drops stale answers.
    Status {
        source: Source,
        generation: u64,
        delay: Duration,
    },
    Cycle {
        source: Source,
        org: String,
        id: i64,
    },
    Timeline {
        source: Source,
        org: String,
    },
    Ack {
        source: Source,
        org: String,
        code: String,
        who: String,
    },
    Mute {
        source: Source,
        org: String,
        code: String,
        until: i64,
        who: String,
    },
    Check {
        source: Source,
        org: String,
    },
}

/// A store task's answer.
pub enum FleetMsg {
    /// The console starts on the Fleet screen over the store at `url` (`None`: the default);
    /// `by_itself`: with no orgs in it, it goes to the walk-through.
    Start {
        url: Option<String>,
        by_itself: bool,
    },
    /// The store opened (`Ok(None)`: no store at the default place).
    Opened(Result<Option<Source>, String>),
    Status {
        generation: u64,
        result: Result<Vec<OrgStatus>, String>,
    },
    Cycle {
        org: String,
        result: Result<Option<Box<OrgCycle>>, String>,
        /// A fresh check (`r`), not the stored last cycle.
        fresh: bool,
    },
    Timeline {
        org: String,
        result: Result<crate::tui::timeline::TimelineData, String>,
    },
    /// An ack, mute or check finished: what to say; the table is read again.
    Done(String),
}

/// Carries out one store task (on a task of its own; never on the render loop).
pub async fn run_job(job: FleetJob) -> FleetMsg {
    match job {
        FleetJob::Open { url, settings } => FleetMsg::Opened(open_source(url, settings).await),
        FleetJob::Status {
            source,
            generation,
            delay,
        } => {
            tokio::time::sleep(delay).await;
            FleetMsg::Status {
                generation,
                result: source.status().await,
            }
        }
        FleetJob::Cycle { source, org, id } => FleetMsg::Cycle {
            result: source.cycle(id).await.map(|c| c.map(Box::new)),
            org,
            fresh: false,
        },
        FleetJob::Timeline { source, org } => {
            let inc = source.incidents(org.clone(), 50).await;
            let hist = source.history(org.clone(), 60).await;
            FleetMsg::Timeline {
                org,
                result: inc.and_then(|i| hist.map(|h| (i, h))),
            }
        }
        FleetJob::Ack {
            source,
            org,
            code,
            who,
        } => FleetMsg::Done(
            match source.ack(org.clone(), code.clone(), who.clone()).await {
                Ok(true) => format!("{org}: {code} acknowledged by {who}."),
                Ok(false) => format!("{org}: {code} has no open incident to acknowledge."),
                Err(e) => format!("Could not acknowledge {code} on {org}: {e}"),
            },
        ),
        FleetJob::Mute {
            source,
            org,
            code,
            until,
            who,
        } => FleetMsg::Done(
            match source
                .mute(org.clone(), code.clone(), until, who.clone())
                .await
            {
                Ok(true) => format!("{org}: {code} muted until {} by {who}.", utc(until)),
                Ok(false) => format!("{org}: {code} has no open incident to mute."),
                Err(e) => format!("Could not mute {code} on {org}: {e}"),
            },
        ),
        FleetJob::Check { source, org } => FleetMsg::Cycle {
            result: source
                .check_now(org.clone())
                .await
                .map(|c| Some(Box::new(c))),
            org,
            fresh: true,
        },
    }
}

/// The watch store behind the Fleet screen.
struct StoreSource {
    store: Store,
    label: String,
    settings: Arc<Settings>,
}

fn msg(e: StoreError) -> String {
    e.to_string()
}

impl FleetSource for StoreSource {
    fn label(&self) -> String {
        self.label.clone()
    }
    fn status(&self) -> BoxFuture<'_, Result<Vec<OrgStatus>, String>> {
        Box::pin(async move { self.store.status().await.map_err(msg) })
    }
    fn history(
        &self,
        org: String,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<CycleSummary>, String>> {
        Box::pin(async move { self.store.history(&org, limit).await.map_err(msg) })
    }
    fn incidents(&self, org: String, limit: usize) -> BoxFuture<'_, Result<Vec<Incident>, String>> {
        Box::pin(async move { self.store.incidents(&org, limit).await.map_err(msg) })
    }
    fn cycle(&self, id: i64) -> BoxFuture<'_, Result<Option<OrgCycle>, String>> {
        Box::pin(async move { self.store.cycle(id).await.map_err(msg) })
    }
    fn ack(&self, org: String, code: String, who: String) -> BoxFuture<'_, Result<bool, String>> {
        Box::pin(async move { self.store.ack(&org, &code, &who).await.map_err(msg) })
    }
    fn mute(
        &self,
        org: String,
        code: String,
        until: i64,
        who: String,
    ) -> BoxFuture<'_, Result<bool, String>> {
        Box::pin(async move { self.store.mute(&org, &code, until, &who).await.map_err(msg) })
    }
    fn check_now(&self, org: String) -> BoxFuture<'_, Result<OrgCycle, String>> {
        Box::pin(async move {
            use crate::engine::watch::cycle::watcher_name;
            use crate::engine::watch::now::{CheckNow, ConfiguredOrg, check_now};
            // Only the config file's entry of this org matters (it wins over the store's).
            let configured = self
                .settings
                .watch
                .org
                .iter()
                .filter(|o| o.name == org)
                .map(|o| {
                    Ok(ConfiguredOrg {
                        org: o.to_org()?,
                        secret_env: o.client_secret_env.clone(),
                    })
                })
                .collect::<Result<Vec<_>, String>>()
                .map_err(|e| format!("{org} in the config file: {e}"))?;
            let with = CheckNow {
                configured,
                ca_certs: self.settings.ca_certs.clone(),
                watcher: format!("{} (console)", watcher_name()),
                vault: crate::engine::vault::Vault::from_env(),
            };
            check_now(&self.store, &org, with).await
        })
    }
}

/// The store the console uses: `url` as given, else the default SQLite file.
fn store_url(url: Option<&str>) -> Result<StoreUrl, String> {
    match url {
        Some(u) => StoreUrl::parse(u).map_err(|e| format!("--store: {e}")),
        None => Ok(StoreUrl::default_sqlite()),
    }
}

/// Opens the watch store at `url` (`None`: the default SQLite file, when there is one; never
/// created by the console).
pub fn open_source(
    url: Option<String>,
    settings: Arc<Settings>,
) -> BoxFuture<'static, Result<Option<Source>, String>> {
    Box::pin(async move {
        let su = store_url(url.as_deref())?;
        if url.is_none()
            && let StoreUrl::Sqlite(p) = &su
            && !p.exists()
        {
            return Ok(None);
        }
        let store = Store::open(&su).await.map_err(msg)?;
        let source: Source = Arc::new(StoreSource {
            store,
            label: su.redacted(),
            settings,
        });
        Ok(Some(source))
    })
}

/// Which store the console opens at start: `Some(Some(url))` the one given, `Some(None)` the
/// default SQLite file (it exists), `None`: no store, the walk-through.
pub fn store_at_start(url: Option<String>) -> Option<Option<String>> {
    match url {
        Some(u) => Some(Some(u)),
        None => match StoreUrl::default_sqlite() {
            StoreUrl::Sqlite(p) if p.exists() => Some(None),
            _ => None,
        },
    }
}
