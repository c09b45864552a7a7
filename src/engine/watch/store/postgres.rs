//! The team backend: PostgreSQL through tokio-postgres, a few connections per watcher. TLS
//! (rustls, the engine's verifier and roots) to any host but loopback; plain only to loopback or
//! a unix socket; `sslmode=disable` to another host is refused.

use std::collections::HashMap;
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{Mutex, MutexGuard};
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, Config, NoTls, Statement};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::StoreError;
use super::db::{BoxFut, Conn, Dialect, Row, Val};
use crate::engine::tls;

/// Connections one watcher keeps open.
const POOL: usize = 4;
/// How long a connection attempt may take in all.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Reads a `postgres://` URL (without connecting).
pub fn config(url: &str) -> Result<Config, StoreError> {
    Config::from_str(url).map_err(|e| {
        StoreError::BadUrl(format!(
            "cannot read the PostgreSQL URL {} ({e}): give postgres://USER@HOST[:PORT]/DATABASE \
             (parameters: sslmode, connect_timeout, application_name, options)",
            super::redact_pg(url)
        ))
    })
}

fn is_loopback(h: &Host) -> bool {
    match h {
        Host::Tcp(name) => {
            name.eq_ignore_ascii_case("localhost")
                || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
        }
        #[cfg(unix)]
        Host::Unix(_) => true,
    }
}

fn host_word(h: &Host) -> String {
    match h {
        Host::Tcp(name) => name.clone(),
        #[cfg(unix)]
        Host::Unix(p) => format!("socket {}", p.display()),
    }
}

struct Slot {
    client: Client,
    stmts: HashMap<String, Statement>,
    in_tx: bool,
}

pub struct Pg {
    config: Config,
    tls: Option<MakeRustlsConnect>,
    /// `HOST:PORT`, for messages.
    at: String,
    slots: Vec<Mutex<Option<Slot>>>,
    next: AtomicUsize,
}

impl Pg {
    /// Connects (the first connection proves the URL) and migrates.
    pub async fn open(url: &str) -> Result<Pg, StoreError> {
        let mut config = config(url)?;
        let hosts = config.get_hosts().to_vec();
        let Some(first) = hosts.first() else {
            return Err(StoreError::BadUrl(
                "the PostgreSQL URL names no host: give postgres://USER@HOST[:PORT]/DATABASE"
                    .into(),
            ));
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let at = format!("{}:{port}", host_word(first));
        let addrs_local = config.get_hostaddrs().iter().all(|ip| ip.is_loopback());
        let local = addrs_local && hosts.iter().all(is_loopback);
        let tls = if local && config.get_ssl_mode() != SslMode::Require {
            config.ssl_mode(SslMode::Disable);
            None
        } else {
            if config.get_ssl_mode() == SslMode::Disable {
                let remote = hosts
                    .iter()
                    .find(|h| !is_loopback(h))
                    .map_or_else(|| at.clone(), host_word);
                return Err(StoreError::PlainToRemote { host: remote });
            }
            config.ssl_mode(SslMode::Require);
            let mut rustls =
                tls::client_config(&[], &[], tls::roots()).map_err(|e| StoreError::Tls {
                    at: at.clone(),
                    why: e.to_string(),
                })?;
            rustls.alpn_protocols = vec![b"postgresql".to_vec()];
            Some(MakeRustlsConnect::new(rustls))
        };
        if config.get_password().is_none()
            && let Ok(pw) = std::env::var("PGPASSWORD")
        {
            config.password(pw);
        }
        if config.get_user().is_none() {
            let user = std::env::var("PGUSER")
                .or_else(|_| std::env::var("USER"))
                .unwrap_or_else(|_| "postgres".into());
            config.user(user);
        }
        if config.get_tcp_user_timeout().is_none() {
            // A server that stops answering mid-statement (a network black hole) fails the
            // statement instead of hanging the watcher.
            config.tcp_user_timeout(Duration::from_secs(30));
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("sagediag watch");
        }
        let pg = Pg {
            config,
            tls,
            at,
            slots: (0..POOL).map(|_| Mutex::new(None)).collect(),
            next: AtomicUsize::new(0),
        };
        let place = pg.at.clone();
        let mut c = pg.conn().await?;
        super::schema::migrate(&mut c, &place).await?;
        drop(c);
        Ok(pg)
    }

    async fn connect(&self) -> Result<Slot, StoreError> {
        let attempt = async {
            match &self.tls {
                Some(tls) => {
                    let (client, conn) = self.config.connect(tls.clone()).await?;
                    tokio::spawn(async move {
                        let _ = conn.await;
                    });
                    Ok::<Client, tokio_postgres::Error>(client)
                }
                None => {
                    let (client, conn) = self.config.connect(NoTls).await?;
                    tokio::spawn(async move {
                        let _ = conn.await;
                    });
                    Ok(client)
                }
            }
        };
        let client = match tokio::time::timeout(CONNECT_TIMEOUT, attempt).await {
            Err(_) => {
                return Err(StoreError::Unreachable {
                    at: self.at.clone(),
                    why: format!("no answer in {}s", CONNECT_TIMEOUT.as_secs()),
                });
            }
            Ok(r) => r.map_err(|e| self.connect_err(e))?,
        };
        Ok(Slot {
            client,
            stmts: HashMap::new(),
            in_tx: false,
        })
    }

    fn connect_err(&self, e: tokio_postgres::Error) -> StoreError {
        let at = self.at.clone();
        if let Some(db) = e.as_db_error() {
            let why = db.message().to_string();
            return match *db.code() {
                SqlState::INVALID_PASSWORD
                | SqlState::INVALID_AUTHORIZATION_SPECIFICATION
                | SqlState::INVALID_CATALOG_NAME => StoreError::Login { at, why },
                _ => StoreError::Postgres { at, message: why },
            };
        }
        let why = cause(&e);
        let lower = why.to_ascii_lowercase();
        if self.tls.is_some()
            && (lower.contains("certificate")
                || lower.contains("tls")
                || lower.contains("ssl")
                || lower.contains("handshake"))
        {
            return StoreError::Tls { at, why };
        }
        if lower.contains("password") || lower.contains("authentication") {
            return StoreError::Login { at, why };
        }
        StoreError::Unreachable { at, why }
    }

    /// A connection of the pool, connected (again) if needed and out of any transaction a
    /// cancelled caller left open.
    pub async fn conn(&self) -> Result<PgConn<'_>, StoreError> {
        let mut guard = None;
        for s in &self.slots {
            if let Ok(g) = s.try_lock() {
                guard = Some(g);
                break;
            }
        }
        let mut guard = match guard {
            Some(g) => g,
            None => {
                let i = self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len().max(1);
                match self.slots.get(i) {
                    Some(s) => s.lock().await,
                    None => return Err(StoreError::Internal("no connection slot".into())),
                }
            }
        };
        let fresh = match guard.as_mut() {
            Some(slot) if !slot.client.is_closed() => {
                if slot.in_tx {
                    if slot.client.batch_execute("ROLLBACK").await.is_ok() {
                        slot.in_tx = false;
                        false
                    } else {
                        true
                    }
                } else {
                    false
                }
            }
            _ => true,
        };
        if fresh {
            *guard = Some(self.connect().await?);
        }
        Ok(PgConn {
            guard,
            at: &self.at,
            reused: !fresh,
        })
    }
}

/// The first cause of an error, the innermost being the most telling ("Connection refused").
fn cause(e: &tokio_postgres::Error) -> String {
    let mut last: &dyn std::error::Error = e;
    while let Some(s) = last.source() {
        last = s;
    }
    crate::engine::sanitize::bounded(&last.to_string(), 300, None)
}

pub struct PgConn<'a> {
    guard: MutexGuard<'a, Option<Slot>>,
    at: &'a str,
    reused: bool,
}

enum Param {
    I64(Option<i64>),
    I32(Option<i32>),
    I16(Option<i16>),
    Bool(Option<bool>),
    Text(Option<String>),
}

impl Param {
    fn sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            Param::I64(v) => v,
            Param::I32(v) => v,
            Param::I16(v) => v,
            Param::Bool(v) => v,
            Param::Text(v) => v,
        }
    }
}

fn bind(types: &[Type], params: &[Val]) -> Result<Vec<Param>, StoreError> {
    let bad = |what: &str, ty: &Type| {
        StoreError::Internal(format!("cannot bind {what} to a parameter of type {ty}"))
    };
    types
        .iter()
        .zip(params)
        .map(|(ty, v)| {
            Ok(match (v, ty) {
                (Val::Null, t) if *t == Type::INT8 => Param::I64(None),
                (Val::Null, t) if *t == Type::INT4 => Param::I32(None),
                (Val::Null, t) if *t == Type::INT2 => Param::I16(None),
                (Val::Null, t) if *t == Type::BOOL => Param::Bool(None),
                (Val::Null, _) => Param::Text(None),
                (Val::Int(i), t) if *t == Type::INT8 => Param::I64(Some(*i)),
                (Val::Int(i), t) if *t == Type::INT4 => Param::I32(Some(
                    i32::try_from(*i).map_err(|_| bad("a large integer", t))?,
                )),
                (Val::Int(i), t) if *t == Type::INT2 => Param::I16(Some(
                    i16::try_from(*i).map_err(|_| bad("a large integer", t))?,
                )),
                (Val::Int(i), t) if *t == Type::BOOL => Param::Bool(Some(*i != 0)),
                (Val::Int(i), t) if *t == Type::TEXT || *t == Type::VARCHAR => {
                    Param::Text(Some(i.to_string()))
                }
                (Val::Text(s), t) if *t == Type::TEXT || *t == Type::VARCHAR => {
                    Param::Text(Some(s.clone()))
                }
                (Val::Int(_), t) => return Err(bad("an integer", t)),
                (Val::Text(_), t) => return Err(bad("text", t)),
            })
        })
        .collect()
}

fn decode(row: &tokio_postgres::Row) -> Result<Row, tokio_postgres::Error> {
    let mut out = Vec::with_capacity(row.len());
    for (i, col) in row.columns().iter().enumerate() {
        let t = col.type_();
        let v = if *t == Type::INT8 {
            row.try_get::<_, Option<i64>>(i)?.map(Val::Int)
        } else if *t == Type::INT4 {
            row.try_get::<_, Option<i32>>(i)?
                .map(|v| Val::Int(v.into()))
        } else if *t == Type::INT2 {
            row.try_get::<_, Option<i16>>(i)?
                .map(|v| Val::Int(v.into()))
        } else if *t == Type::BOOL {
            row.try_get::<_, Option<bool>>(i)?
                .map(|v| Val::Int(v.into()))
        } else {
            row.try_get::<_, Option<String>>(i)?.map(Val::Text)
        };
        out.push(v.unwrap_or(Val::Null));
    }
    Ok(out)
}

impl PgConn<'_> {
    /// Whether the connection was kept from an earlier call (not opened for this one).
    pub fn reused(&self) -> bool {
        self.reused
    }

    /// Whether the server or the network closed it.
    pub fn is_closed(&self) -> bool {
        self.guard.as_ref().is_none_or(|s| s.client.is_closed())
    }

    fn err(&self, e: tokio_postgres::Error) -> StoreError {
        if e.is_closed() || (e.as_db_error().is_none() && e.code().is_none()) {
            return StoreError::Unreachable {
                at: self.at.to_string(),
                why: cause(&e),
            };
        }
        let message = match e.as_db_error() {
            Some(db) => format!("{} ({})", db.message(), db.code().code()),
            None => cause(&e),
        };
        StoreError::Postgres {
            at: self.at.to_string(),
            message,
        }
    }

    async fn prepared(&mut self, sql: &str) -> Result<Statement, StoreError> {
        let slot = self
            .guard
            .as_mut()
            .ok_or_else(|| StoreError::Internal("no connection".into()))?;
        if let Some(st) = slot.stmts.get(sql) {
            return Ok(st.clone());
        }
        let st = slot.client.prepare(sql).await;
        let st = match st {
            Ok(st) => st,
            Err(e) => return Err(self.err(e)),
        };
        if let Some(slot) = self.guard.as_mut() {
            slot.stmts.insert(sql.to_string(), st.clone());
        }
        Ok(st)
    }

    fn client(&self) -> Result<&Client, StoreError> {
        self.guard
            .as_ref()
            .map(|s| &s.client)
            .ok_or_else(|| StoreError::Internal("no connection".into()))
    }

    async fn query_rows(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, StoreError> {
        let st = self.prepared(sql).await?;
        let ps = bind(st.params(), params)?;
        let refs: Vec<&(dyn ToSql + Sync)> = ps.iter().map(Param::sql).collect();
        let rows = match self.client()?.query(&st, &refs).await {
            Ok(r) => r,
            Err(e) => return Err(self.err(e)),
        };
        rows.iter()
            .map(decode)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))
    }

    async fn exec_rows(&mut self, sql: &str, params: &[Val]) -> Result<u64, StoreError> {
        let st = self.prepared(sql).await?;
        let ps = bind(st.params(), params)?;
        let refs: Vec<&(dyn ToSql + Sync)> = ps.iter().map(Param::sql).collect();
        match self.client()?.execute(&st, &refs).await {
            Ok(n) => Ok(n),
            Err(e) => Err(self.err(e)),
        }
    }

    async fn batch_sql(&mut self, sql: &str) -> Result<(), StoreError> {
        let r = self.client()?.batch_execute(sql).await;
        if let Some(slot) = self.guard.as_mut() {
            let head = sql.trim_start().get(..5).unwrap_or("").to_ascii_uppercase();
            if head.starts_with("BEGIN") {
                slot.in_tx = r.is_ok();
            } else if head.starts_with("COMMI") || head.starts_with("ROLLB") {
                slot.in_tx = false;
            }
        }
        r.map_err(|e| self.err(e))
    }
}

impl Conn for PgConn<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn query<'a>(
        &'a mut self,
        sql: &'a str,
        params: &'a [Val],
    ) -> BoxFut<'a, Result<Vec<Row>, StoreError>> {
        Box::pin(self.query_rows(sql, params))
    }

    fn exec<'a>(
        &'a mut self,
        sql: &'a str,
        params: &'a [Val],
    ) -> BoxFut<'a, Result<u64, StoreError>> {
        Box::pin(self.exec_rows(sql, params))
    }

    fn batch<'a>(&'a mut self, sql: &'a str) -> BoxFut<'a, Result<(), StoreError>> {
        Box::pin(self.batch_sql(sql))
    }
}
