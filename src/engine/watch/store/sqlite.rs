//! The embedded backend: one SQLite file (owner-only, WAL, a busy timeout), driven by rusqlite on
//! tokio's blocking threads so the async runtime never waits on the disk or on a lock.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::FutureExt;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode, ToSql};

use super::StoreError;
use super::db::{BoxFut, Conn, Dialect, Row, Val};
use crate::engine::files;

/// How long a statement waits for another process's write lock before saying so.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

impl ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Val::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Val::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Val::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

/// The SQLite store: one connection, used by one blocking task at a time.
pub struct Sqlite {
    conn: Arc<Mutex<Connection>>,
    path: Arc<PathBuf>,
}

impl Sqlite {
    /// Opens (creating owner-only) the file, in WAL mode, and migrates it.
    pub async fn open(path: &Path) -> Result<Sqlite, StoreError> {
        let path = Arc::new(path.to_path_buf());
        let p = path.clone();
        let conn = tokio::task::spawn_blocking(move || open_sync(&p))
            .await
            .map_err(|e| StoreError::Internal(e.to_string()))??;
        let store = Sqlite {
            conn: Arc::new(Mutex::new(conn)),
            path,
        };
        let place = store.path.display().to_string();
        store
            .run(move |c| now(super::schema::migrate(c, &place)))
            .await?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` with the connection on a blocking thread.
    pub async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut SqliteConn<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = self.conn.clone();
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|p| p.into_inner());
            if !guard.is_autocommit() {
                // A transaction left open by a failure: never run inside it.
                let _ = guard.execute_batch("ROLLBACK");
            }
            let mut c = SqliteConn {
                conn: &mut guard,
                path: &path,
            };
            f(&mut c)
        })
        .await
        .map_err(|e| StoreError::Internal(e.to_string()))?
    }
}

/// Runs a store operation over SQLite to its end: every step of it is synchronous, so the
/// future is ready at the first poll.
pub fn now<T>(fut: impl Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
    fut.now_or_never()
        .unwrap_or_else(|| Err(StoreError::Internal("a SQLite step was not ready".into())))
}

fn open_sync(path: &Path) -> Result<Connection, StoreError> {
    let io = |e: std::io::Error| StoreError::SqliteOpen {
        path: path.to_path_buf(),
        why: e.to_string(),
    };
    files::create_private_dir(files::dir_of(path)).map_err(io)?;
    // Created owner-only (0600) before SQLite opens it; SQLite gives its -wal and -shm files
    // the database file's mode.
    drop(files::append_private(path).map_err(io)?);
    let conn = Connection::open(path).map_err(|e| sqlite_err(path, e))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| sqlite_err(path, e))?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(|e| sqlite_err(path, e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(mode, "the watch store is not in WAL mode");
    }
    conn.execute_batch("PRAGMA synchronous = NORMAL")
        .map_err(|e| sqlite_err(path, e))?;
    Ok(conn)
}

pub fn sqlite_err(path: &Path, e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::SqliteLocked {
            path: path.to_path_buf(),
        },
        Some(ErrorCode::NotADatabase) => StoreError::SqliteOpen {
            path: path.to_path_buf(),
            why: "the file is not a SQLite database".into(),
        },
        Some(ErrorCode::CannotOpen | ErrorCode::PermissionDenied | ErrorCode::ReadOnly) => {
            StoreError::SqliteOpen {
                path: path.to_path_buf(),
                why: e.to_string(),
            }
        }
        _ => StoreError::Sqlite {
            path: path.to_path_buf(),
            message: e.to_string(),
        },
    }
}

/// The connection as the store's operations see it.
pub struct SqliteConn<'a> {
    conn: &'a mut Connection,
    path: &'a Path,
}

impl SqliteConn<'_> {
    fn query_sync(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, StoreError> {
        let err = |e| sqlite_err(self.path, e);
        let mut st = self
            .conn
            .prepare_cached(&sql.replace('$', "?"))
            .map_err(err)?;
        let n = st.column_count();
        let mut rows = st.query(rusqlite::params_from_iter(params)).map_err(err)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(err)? {
            let mut row = Vec::with_capacity(n);
            for i in 0..n {
                row.push(match r.get_ref(i).map_err(err)? {
                    ValueRef::Null => Val::Null,
                    ValueRef::Integer(v) => Val::Int(v),
                    ValueRef::Real(v) => Val::Int(v as i64),
                    ValueRef::Text(t) | ValueRef::Blob(t) => {
                        Val::Text(String::from_utf8_lossy(t).into_owned())
                    }
                });
            }
            out.push(row);
        }
        Ok(out)
    }

    fn exec_sync(&mut self, sql: &str, params: &[Val]) -> Result<u64, StoreError> {
        let err = |e| sqlite_err(self.path, e);
        let mut st = self
            .conn
            .prepare_cached(&sql.replace('$', "?"))
            .map_err(err)?;
        let n = st
            .execute(rusqlite::params_from_iter(params))
            .map_err(err)?;
        Ok(n as u64)
    }
}

impl Conn for SqliteConn<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn query<'a>(
        &'a mut self,
        sql: &'a str,
        params: &'a [Val],
    ) -> BoxFut<'a, Result<Vec<Row>, StoreError>> {
        let r = self.query_sync(sql, params);
        Box::pin(std::future::ready(r))
    }

    fn exec<'a>(
        &'a mut self,
        sql: &'a str,
        params: &'a [Val],
    ) -> BoxFut<'a, Result<u64, StoreError>> {
        let r = self.exec_sync(sql, params);
        Box::pin(std::future::ready(r))
    }

    fn batch<'a>(&'a mut self, sql: &'a str) -> BoxFut<'a, Result<(), StoreError>> {
        let r = self
            .conn
            .execute_batch(sql)
            .map_err(|e| sqlite_err(self.path, e));
        Box::pin(std::future::ready(r))
    }
}
