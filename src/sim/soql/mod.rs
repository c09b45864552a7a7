//! A SOQL subset, enough for what an admin tool (or the Salesforce CLI) asks of an org:
//! `SELECT` fields, relationship paths (`PermissionSet.Name`), `COUNT()`, aggregates
//! (`COUNT`, `COUNT_DISTINCT`, `MIN`, `MAX`, `SUM`, `AVG`, with aliases) and `GROUP BY`,
//! parent-child subqueries (`(SELECT … FROM PermissionSetAssignments)`), semi-joins
//! (`Id [NOT] IN (SELECT …)`, `semi.rs`), `WHERE` with `AND`,
//! `OR`, `NOT` and parentheses (mixing `AND` and `OR` needs parentheses, as in SOQL),
//! `= != <> < <= > >= LIKE IN NOT IN`, date literals (`2026-01-31`, datetimes, `TODAY`,
//! `YESTERDAY`, `TOMORROW`, `LAST_N_DAYS:n`, `NEXT_N_DAYS:n`, `THIS_YEAR`, `LAST_YEAR`),
//! `ORDER BY` (several fields, `ASC|DESC`, `NULLS FIRST|LAST`), `LIMIT`, `OFFSET`. Anything
//! else is answered as Salesforce does, with `MALFORMED_QUERY`, `INVALID_TYPE` or
//! `INVALID_FIELD` and its caret-and-position text. Strings are never sliced at byte offsets.
//!
//! `lex.rs` cuts a query into tokens and words errors with their caret; `parse.rs` builds the
//! query (`ast.rs`); `eval.rs` evaluates conditions and orders; `execute.rs` runs a query over
//! the tables; `semi.rs` resolves semi-joins; `dates.rs` the date literals and datetimes.

mod ast;
mod dates;
mod eval;
mod execute;
mod lex;
mod parse;
mod semi;
#[cfg(test)]
mod tests;

use serde_json::Value;

use ast::*;
use dates::*;
pub(crate) use dates::{civil, datetime, days_from_civil};
use eval::*;
pub(crate) use execute::columns;
use execute::*;
pub use lex::ERROR_WINDOW_FROM;
use lex::*;
pub use parse::MAX_NESTING;
use parse::*;

/// The objects the org knows, with their rows (relationships nested as objects).
pub struct Table {
    pub name: &'static str,
    /// Every queryable path, canonical case.
    pub fields: &'static [&'static str],
    pub rows: Vec<Value>,
}

/// Parent-child relationships: (parent object, relationship name, child object, child's
/// field holding the parent's id).
pub const CHILD_RELATIONSHIPS: &[(&str, &str, &str, &str)] = &[
    (
        "User",
        "PermissionSetAssignments",
        "PermissionSetAssignment",
        "AssigneeId",
    ),
    (
        "PermissionSet",
        "Assignments",
        "PermissionSetAssignment",
        "PermissionSetId",
    ),
    ("Profile", "Users", "User", "ProfileId"),
];

#[derive(Debug, Clone, PartialEq)]
pub struct SoqlError {
    pub code: &'static str,
    pub message: String,
}

fn today_days() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    i64::try_from(secs / 86_400).unwrap_or(0)
}

/// Runs a query against the tables; `api_path` is `/services/data/vXX.X` (or `…/tooling`).
pub fn run(q: &str, tables: &[Table], api_path: &str) -> Result<Value, SoqlError> {
    run_at(q, tables, api_path, today_days())
}

/// As `run`, with "today" (days since 1970-01-01) for the date keywords.
pub fn run_at(q: &str, tables: &[Table], api_path: &str, today: i64) -> Result<Value, SoqlError> {
    let mut query = parse(q, today)?;
    let table = find_table(q, tables, &query)?;
    if let Some(cond) = query.cond.as_mut() {
        semi::resolve(q, tables, cond, api_path)?;
    }
    execute(q, tables, table, &query, api_path, None)
}
