//! A parsed query.

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Lit {
    Str(String),
    Bool(bool),
    Num(f64),
    Null,
    /// A day range, inclusive, as `yyyy-mm-dd` (date literals and date keywords).
    Days(String, String),
    /// A datetime literal, in milliseconds since 1970 (`soql_time.rs`).
    Instant(i64),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Like,
    In,
    NotIn,
}

#[derive(Debug)]
pub(super) enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Cmp {
        field: String,
        at: usize,
        op: Op,
        values: Vec<Lit>,
    },
    /// `field [NOT] IN (SELECT …)`: resolved into a `Cmp` before rows are filtered
    /// (`soql_semi.rs`).
    Semi {
        field: String,
        at: usize,
        negate: bool,
        sub: Box<Query>,
    },
}

#[derive(Debug)]
pub(super) enum Item {
    Field(String, usize),
    /// `COUNT()` alone.
    CountAll(usize),
    Agg {
        func: String,
        field: String,
        at: usize,
        alias: Option<String>,
    },
    Sub(Box<Query>),
}

#[derive(Debug)]
pub(super) struct Order {
    pub(super) field: String,
    pub(super) at: usize,
    pub(super) desc: bool,
    pub(super) nulls_last: bool,
}

#[derive(Debug)]
pub(super) struct Query {
    pub(super) items: Vec<Item>,
    pub(super) object: (String, usize),
    pub(super) cond: Option<Expr>,
    pub(super) group: Vec<(String, usize)>,
    pub(super) order: Vec<Order>,
    pub(super) limit: Option<usize>,
    pub(super) offset: Option<usize>,
}
