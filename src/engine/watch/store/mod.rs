//! The history store of `sagediag watch`: the watch list, every cycle's checks and findings,
//! incidents (run through `incident.rs` in the same transaction as the cycle), the alert queue,
//! the LoginHistory high-water marks, and the leases of team mode. Embedded SQLite by default
//! (`sqlite.rs`); PostgreSQL for a team (`postgres.rs`). The operations are written once
//! (`ops.rs`) over a small connection trait (`db.rs`); the schema is versioned (`schema.rs`).
//!
//! Nothing a user can cause panics here; every error says what to do, and a PostgreSQL password
//! never appears in one ([`StoreUrl::redacted`]).

mod db;
mod ops;
mod postgres;
mod queue;
mod schema;
mod sqlite;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::model::{
    CycleSummary, Delivery, Incident, IncidentPolicy, OrgCycle, OrgStatus, Transition, WatchOrg,
};

pub use queue::CLAIM_SECS;
pub use schema::latest as schema_version;

/// Where the store lives: `sqlite:PATH` or `postgres://…` / `postgresql://…`.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl std::fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StoreUrl({})", self.redacted())
    }
}

impl std::fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl StoreUrl {
    /// `sqlite:PATH` (also `sqlite://PATH`), `postgres://…` or `postgresql://…`.
    pub fn parse(s: &str) -> Result<StoreUrl, StoreError> {
        let s = s.trim();
        if let Some(rest) = s.strip_prefix("sqlite:") {
            let rest = rest.strip_prefix("//").unwrap_or(rest);
            if rest.is_empty() {
                return Err(StoreError::BadUrl(
                    "sqlite: needs a file path, e.g. sqlite:/var/lib/sagediag/watch.sqlite3".into(),
                ));
            }
            return Ok(StoreUrl::Sqlite(PathBuf::from(rest)));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            postgres::config(s)?;
            return Ok(StoreUrl::Postgres(s.to_string()));
        }
        let shown: String = s.chars().take(40).collect();
        let shown = if shown.contains('@') || shown.contains("password") {
            "(not shown)".to_string()
        } else {
            format!("{:?}", crate::engine::sanitize::line(&shown))
        };
        Err(StoreError::BadUrl(format!(
            "unknown store {shown}: give sqlite:PATH or postgres://USER@HOST[:PORT]/DATABASE"
        )))
    }

    /// `watch.sqlite3` in the state directory.
    pub fn default_sqlite() -> StoreUrl {
        let dir = crate::engine::paths::log_dir().unwrap_or_else(|| PathBuf::from("."));
        StoreUrl::Sqlite(dir.join("watch.sqlite3"))
    }

    /// The URL for messages and logs: a PostgreSQL password (in the URL or its `password=`
    /// parameter) is replaced by `***`.
    pub fn redacted(&self) -> String {
        match self {
            StoreUrl::Sqlite(p) => format!("sqlite:{}", p.display()),
            StoreUrl::Postgres(s) => redact_pg(s),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, StoreUrl::Postgres(_))
    }
}

fn redact_pg(s: &str) -> String {
    let Ok(mut u) = url::Url::parse(s) else {
        return "postgres://(a URL that cannot be read)".into();
    };
    if u.password().is_some() {
        let _ = u.set_password(Some("***"));
    }
    if u.query().is_some() {
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let v = if k.eq_ignore_ascii_case("password") {
                    "***".to_string()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    u.to_string()
}

/// Why the store cannot do what was asked, and what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    BadUrl(String),
    #[error(
        "cannot reach PostgreSQL at {at} ({why}): is it running? check --store (and the network \
         between here and the server)"
    )]
    Unreachable { at: String, why: String },
    #[error(
        "PostgreSQL at {at} refused the login ({why}): check the user, password (or PGPASSWORD) \
         and database in --store"
    )]
    Login { at: String, why: String },
    #[error(
        "refusing to talk to PostgreSQL at {host} without TLS (sslmode=disable): plain \
         connections are allowed only to loopback or a unix socket; remove sslmode=disable \
         (sagediag then requires TLS with a verified certificate)"
    )]
    PlainToRemote { host: String },
    #[error(
        "TLS to PostgreSQL at {at} failed ({why}): the server must have ssl = on and a \
         certificate for the host named in --store that this machine trusts (SSL_CERT_FILE can \
         name a CA bundle)"
    )]
    Tls { at: String, why: String },
    #[error("PostgreSQL at {at}: {message}")]
    Postgres { at: String, message: String },
    #[error(
        "the watch store {} is locked by another process (waited {}s): is another sagediag \
         watch writing it? stop it, or give this one its own --store",
        path.display(), sqlite::BUSY_TIMEOUT.as_secs()
    )]
    SqliteLocked { path: PathBuf },
    #[error("cannot open the watch store {}: {why}; check the path given to --store", path.display())]
    SqliteOpen { path: PathBuf, why: String },
    #[error("the watch store {}: {message}", path.display())]
    Sqlite { path: PathBuf, message: String },
    #[error(
        "the watch store at {place} has schema version {found}, newer than this sagediag knows \
         ({supported}): upgrade sagediag, or give an older store with --store"
    )]
    SchemaTooNew {
        place: String,
        found: i64,
        supported: i64,
    },
    #[error("the watch store holds a record this sagediag cannot read ({0})")]
    Corrupt(String),
    #[error("internal error in the watch store ({0}); please report it")]
    Internal(String),
}

/// The history store. Cheap to clone; Send + Sync.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

enum Inner {
    Sqlite(sqlite::Sqlite),
    Postgres(Box<postgres::Pg>),
}

/// Runs an operation of `ops.rs` on either backend: `$c` is the connection. The body must own
/// what it uses (it runs on a blocking thread for SQLite).
macro_rules! dispatch {
    ($self:expr, |$c:ident| $body:expr) => {
        match &*$self.inner {
            Inner::Sqlite(s) => s.run(move |$c| sqlite::now($body)).await,
            Inner::Postgres(p) => {
                let mut conn = p.conn().await?;
                let reused = conn.reused();
                let $c = &mut conn;
                match $body.await {
                    // A kept connection the server closed meanwhile (a restart, a failover, an
                    // idle timeout): the transaction was rolled back; run it once more on a new
                    // connection.
                    Err(StoreError::Unreachable { .. }) if reused && conn.is_closed() => {
                        drop(conn);
                        let mut conn = p.conn().await?;
                        let $c = &mut conn;
                        $body.await
                    }
                    r => r,
                }
            }
        }
    };
}

pub(crate) fn unix_now() -> i64 {
    i64::try_from(crate::engine::clock::now_secs()).unwrap_or(i64::MAX)
}

impl Store {
    /// Opens the store, creating it (SQLite: owner-only, with its directory) and bringing its
    /// schema up to date.
    pub async fn open(url: &StoreUrl) -> Result<Store, StoreError> {
        let inner = match url {
            StoreUrl::Sqlite(path) => Inner::Sqlite(sqlite::Sqlite::open(path).await?),
            StoreUrl::Postgres(s) => Inner::Postgres(Box::new(postgres::Pg::open(s).await?)),
        };
        Ok(Store {
            inner: Arc::new(inner),
        })
    }

    pub fn is_postgres(&self) -> bool {
        matches!(&*self.inner, Inner::Postgres(_))
    }

    /// The SQLite file, when the store is one.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match &*self.inner {
            Inner::Sqlite(s) => Some(s.path()),
            Inner::Postgres(_) => None,
        }
    }

    pub async fn upsert_org(&self, org: &WatchOrg) -> Result<(), StoreError> {
        let org = org.clone();
        let now = unix_now();
        dispatch!(self, |c| ops::upsert_org(c, &org, now))
    }

    pub async fn remove_org(&self, name: &str) -> Result<bool, StoreError> {
        let name = name.to_string();
        dispatch!(self, |c| ops::remove_org(c, &name))
    }

    pub async fn list_orgs(&self) -> Result<Vec<WatchOrg>, StoreError> {
        dispatch!(self, |c| ops::list_orgs(c))
    }

    /// Records one org's cycle in one transaction: the cycle, its checks and findings; the
    /// incident state machine over its findings; one delivery per deliverable transition per
    /// target. Returns the cycle's id and every transition (a muted incident's too, though
    /// nothing is enqueued for it).
    pub async fn record_cycle(
        &self,
        cycle: &OrgCycle,
        policy: IncidentPolicy,
        targets: &[String],
    ) -> Result<(i64, Vec<Transition>), StoreError> {
        let cycle = cycle.clone();
        let targets = targets.to_vec();
        dispatch!(self, |c| ops::record_cycle(c, &cycle, policy, &targets))
    }

    /// Every org (the watch list and any org with cycles), with its last cycle (its `report`
    /// left Null: `cycle(id)` has it) and its open incidents, in name order.
    pub async fn status(&self) -> Result<Vec<OrgStatus>, StoreError> {
        dispatch!(self, |c| ops::status(c))
    }

    /// An org's last `limit` cycles, newest first.
    pub async fn history(&self, org: &str, limit: usize) -> Result<Vec<CycleSummary>, StoreError> {
        let org = org.to_string();
        dispatch!(self, |c| ops::history(c, &org, limit))
    }

    /// An org's last `limit` incidents (every state), newest first.
    pub async fn incidents(&self, org: &str, limit: usize) -> Result<Vec<Incident>, StoreError> {
        let org = org.to_string();
        dispatch!(self, |c| ops::incidents(c, &org, limit))
    }

    /// One cycle in full (with its report).
    pub async fn cycle(&self, cycle_id: i64) -> Result<Option<OrgCycle>, StoreError> {
        dispatch!(self, |c| ops::cycle(c, cycle_id))
    }

    /// Acknowledges the org's active incident of `code`: it raises no `Escalated` any more.
    /// False when there is none.
    pub async fn ack(&self, org: &str, code: &str, who: &str) -> Result<bool, StoreError> {
        let (org, code, who) = (org.to_string(), code.to_string(), who.to_string());
        let now = unix_now();
        dispatch!(self, |c| ops::ack(c, &org, &code, &who, now))
    }

    /// Mutes the org's active incident of `code` until `until` (Unix seconds): its transitions
    /// are not delivered meanwhile. False when there is none.
    pub async fn mute(
        &self,
        org: &str,
        code: &str,
        until: i64,
        who: &str,
    ) -> Result<bool, StoreError> {
        let (org, code, who) = (org.to_string(), code.to_string(), who.to_string());
        dispatch!(self, |c| ops::mute(c, &org, &code, until, &who))
    }

    pub async fn login_high_water(&self, org: &str) -> Result<Option<String>, StoreError> {
        let org = org.to_string();
        dispatch!(self, |c| queue::login_high_water(c, &org))
    }

    pub async fn set_login_high_water(&self, org: &str, hwm: &str) -> Result<(), StoreError> {
        let (org, hwm) = (org.to_string(), hwm.to_string());
        dispatch!(self, |c| queue::set_login_high_water(c, &org, &hwm))
    }

    /// Claims up to `limit` deliveries due at `now` (oldest first) for [`CLAIM_SECS`]: no other
    /// caller (another watcher included) gets them until they are marked delivered or failed, or
    /// the claim expires.
    pub async fn due_deliveries(
        &self,
        now: i64,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        dispatch!(self, |c| queue::due_deliveries(c, now, limit))
    }

    pub async fn delivered(&self, id: i64, at: i64) -> Result<(), StoreError> {
        dispatch!(self, |c| queue::delivered(c, id, at))
    }

    /// Records a failed attempt (the error is sanitised and bounded) and when to try again.
    pub async fn delivery_failed(
        &self,
        id: i64,
        next_attempt_at: i64,
        error: &str,
    ) -> Result<(), StoreError> {
        let error = error.to_string();
        dispatch!(self, |c| queue::delivery_failed(
            c,
            id,
            next_attempt_at,
            &error
        ))
    }

    /// True if `watcher` may run `org`'s cycle `cycle_key` (e.g. the slot's start): the lease
    /// is taken when free, expired (and for an older key), or already ours; never granted to
    /// two watchers for the same key. It lasts `ttl_secs` by the database's clock.
    pub async fn try_lease(
        &self,
        org: &str,
        watcher: &str,
        cycle_key: i64,
        ttl_secs: u64,
    ) -> Result<bool, StoreError> {
        let (org, watcher) = (org.to_string(), watcher.to_string());
        dispatch!(self, |c| queue::try_lease(
            c, &org, &watcher, cycle_key, ttl_secs
        ))
    }

    /// Gives back `watcher`'s lease on `org` for `cycle_key` once that cycle is recorded, so
    /// another watcher may take the org's next cycle at once (never the same key again). True
    /// if a lease was given back.
    pub async fn release_lease(
        &self,
        org: &str,
        watcher: &str,
        cycle_key: i64,
    ) -> Result<bool, StoreError> {
        let (org, watcher) = (org.to_string(), watcher.to_string());
        dispatch!(self, |c| queue::release_lease(c, &org, &watcher, cycle_key))
    }

    /// Deletes cycles older than `retention_days` (each org's last one stays), resolved
    /// incidents and delivered alerts older than that. The number of cycles deleted.
    pub async fn prune(&self, retention_days: u32) -> Result<u64, StoreError> {
        let now = unix_now();
        dispatch!(self, |c| queue::prune(c, retention_days, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_and_passwords_are_redacted() {
        assert_eq!(
            StoreUrl::parse("sqlite:/tmp/w.db").unwrap(),
            StoreUrl::Sqlite("/tmp/w.db".into())
        );
        assert_eq!(
            StoreUrl::parse("sqlite:///tmp/w.db").unwrap(),
            StoreUrl::Sqlite("/tmp/w.db".into())
        );
        assert_eq!(
            StoreUrl::parse("sqlite:w.db").unwrap(),
            StoreUrl::Sqlite("w.db".into())
        );
        assert!(StoreUrl::parse("sqlite:").is_err());
        let u = StoreUrl::parse("postgres://ann:s3cret@db.example.com:5433/watch").unwrap();
        assert!(u.is_postgres());
        assert_eq!(u.redacted(), "postgres://ann:***@db.example.com:5433/watch");
        assert!(!format!("{u:?} {u}").contains("s3cret"));
        let u =
            StoreUrl::parse("postgresql://ann@db/watch?password=s3cret&sslmode=require").unwrap();
        assert!(!u.redacted().contains("s3cret"));
        assert!(u.redacted().contains("sslmode=require"));
        let e = StoreUrl::parse("mysql://root:s3cret@db/x")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("s3cret"), "{e}");
        assert!(e.contains("sqlite:PATH"), "{e}");
        assert!(StoreUrl::parse("postgres://ann@db/w?nonsense=1").is_err());
        let e = StoreUrl::parse("postgres://ann:s3cret@db/w?sslrootcert=/ca.pem")
            .unwrap_err()
            .to_string();
        assert!(e.contains("SSL_CERT_FILE") && !e.contains("s3cret"), "{e}");
        match StoreUrl::default_sqlite() {
            StoreUrl::Sqlite(p) => assert!(p.ends_with("watch.sqlite3")),
            StoreUrl::Postgres(_) => panic!("default is SQLite"),
        }
    }

    #[test]
    fn the_store_and_its_futures_are_send_and_sync() {
        fn send_sync<T: Send + Sync>() {}
        fn send<T: Send>(_: &T) {}
        send_sync::<Store>();
        send_sync::<StoreError>();
        let f = async {
            let s = Store::open(&StoreUrl::Sqlite("/nonexistent/x".into())).await?;
            s.record_cycle(
                &OrgCycle {
                    org: String::new(),
                    started_at: 0,
                    duration_ms: 0,
                    state: super::super::model::CheckState::Pass,
                    checks: vec![],
                    findings: vec![],
                    signals: Default::default(),
                    report: serde_json::Value::Null,
                    watcher: String::new(),
                },
                IncidentPolicy::default(),
                &[],
            )
            .await?;
            s.status().await?;
            s.due_deliveries(0, 1).await?;
            s.try_lease("a", "b", 1, 1).await
        };
        send(&f);
    }
}
