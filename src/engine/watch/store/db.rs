//! The little both backends have in common: values (integers, text, NULL: the whole schema uses
//! nothing else), a connection that runs one statement, and reading a row's columns. The store's
//! operations (`ops.rs`) are written once over [`Conn`]; SQL uses `$1…` placeholders (SQLite
//! reads them as `?1…`).

use std::future::Future;
use std::pin::Pin;

use super::StoreError;

/// A value bound to or read from a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Int(i64),
    Text(String),
}

impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::Int(v)
    }
}
impl From<u64> for Val {
    fn from(v: u64) -> Val {
        Val::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}
impl From<u32> for Val {
    fn from(v: u32) -> Val {
        Val::Int(i64::from(v))
    }
}
impl From<bool> for Val {
    fn from(v: bool) -> Val {
        Val::Int(i64::from(v))
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Val {
        Val::Text(v.to_string())
    }
}
impl From<String> for Val {
    fn from(v: String) -> Val {
        Val::Text(v)
    }
}
impl From<&String> for Val {
    fn from(v: &String) -> Val {
        Val::Text(v.clone())
    }
}
impl<T: Into<Val>> From<Option<T>> for Val {
    fn from(v: Option<T>) -> Val {
        v.map_or(Val::Null, Into::into)
    }
}

/// The parameters of a statement: `params![a, b]`.
macro_rules! params {
    ($($v:expr),* $(,)?) => { &[$($crate::engine::watch::store::db::Val::from($v)),*][..] };
}
pub(crate) use params;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

pub type Row = Vec<Val>;
pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One connection of either backend. Outside `BEGIN … COMMIT` each statement commits alone.
pub trait Conn: Send {
    fn dialect(&self) -> Dialect;
    fn query<'a>(
        &'a mut self,
        sql: &'a str,
        params: &'a [Val],
    ) -> BoxFut<'a, Result<Vec<Row>, StoreError>>;
    /// Runs a statement; the number of rows it changed.
    fn exec<'a>(
        &'a mut self,
        sql: &'a str,
        params: &'a [Val],
    ) -> BoxFut<'a, Result<u64, StoreError>>;
    /// Statements without parameters, separated by `;`.
    fn batch<'a>(&'a mut self, sql: &'a str) -> BoxFut<'a, Result<(), StoreError>>;
}

fn corrupt(what: &str, i: usize) -> StoreError {
    StoreError::Corrupt(format!("column {i} is not {what}"))
}

/// Reading a row's columns by index.
pub trait Cols {
    fn int(&self, i: usize) -> Result<i64, StoreError>;
    fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError>;
    fn text(&self, i: usize) -> Result<String, StoreError>;
    fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError>;
}

impl Cols for [Val] {
    fn int(&self, i: usize) -> Result<i64, StoreError> {
        self.opt_int(i)?.ok_or_else(|| corrupt("an integer", i))
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        match self.get(i) {
            Some(Val::Int(v)) => Ok(Some(*v)),
            Some(Val::Null) => Ok(None),
            _ => Err(corrupt("an integer", i)),
        }
    }
    fn text(&self, i: usize) -> Result<String, StoreError> {
        self.opt_text(i)?.ok_or_else(|| corrupt("text", i))
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
        match self.get(i) {
            Some(Val::Text(v)) => Ok(Some(v.clone())),
            Some(Val::Null) => Ok(None),
            _ => Err(corrupt("text", i)),
        }
    }
}

/// Runs `$body` (a future using `$c`) in a transaction: committed on Ok, rolled back on Err.
macro_rules! in_tx {
    ($c:expr, $body:expr) => {{
        let begin = match $c.dialect() {
            $crate::engine::watch::store::db::Dialect::Sqlite => "BEGIN IMMEDIATE",
            $crate::engine::watch::store::db::Dialect::Postgres => "BEGIN",
        };
        $c.batch(begin).await?;
        match $body.await {
            Ok(v) => {
                $c.batch("COMMIT").await?;
                Ok(v)
            }
            Err(e) => {
                let _ = $c.batch("ROLLBACK").await;
                Err(e)
            }
        }
    }};
}
pub(crate) use in_tx;
