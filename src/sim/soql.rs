//! A SOQL subset, enough for what an admin tool (or the Salesforce CLI) asks of an org:
//! `SELECT` fields, relationship paths (`PermissionSet.Name`), `COUNT()`, aggregates
//! (`COUNT`, `COUNT_DISTINCT`, `MIN`, `MAX`, `SUM`, `AVG`, with aliases) and `GROUP BY`,
//! parent-child subqueries (`(SELECT … FROM PermissionSetAssignments)`), semi-joins
//! (`Id [NOT] IN (SELECT …)`, `soql_semi.rs`), `WHERE` with `AND`,
//! `OR`, `NOT` and parentheses (mixing `AND` and `OR` needs parentheses, as in SOQL),
//! `= != <> < <= > >= LIKE IN NOT IN`, date literals (`2026-01-31`, datetimes, `TODAY`,
//! `YESTERDAY`, `TOMORROW`, `LAST_N_DAYS:n`, `NEXT_N_DAYS:n`, `THIS_YEAR`, `LAST_YEAR`),
//! `ORDER BY` (several fields, `ASC|DESC`, `NULLS FIRST|LAST`), `LIMIT`, `OFFSET`. Anything
//! else is answered as Salesforce does, with `MALFORMED_QUERY`, `INVALID_TYPE` or
//! `INVALID_FIELD` and its caret-and-position text. Strings are never sliced at byte offsets.

use std::cmp::Ordering;

use serde_json::{Map, Value, json};

#[path = "soql_semi.rs"]
mod semi;

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

#[derive(Debug, Clone, PartialEq)]
enum Lit {
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
enum Op {
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
enum Expr {
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
enum Item {
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
struct Order {
    field: String,
    at: usize,
    desc: bool,
    nulls_last: bool,
}

#[derive(Debug)]
struct Query {
    items: Vec<Item>,
    object: (String, usize),
    cond: Option<Expr>,
    group: Vec<(String, usize)>,
    order: Vec<Order>,
    limit: Option<usize>,
    offset: Option<usize>,
}

const KEYWORDS: &[&str] = &[
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "GROUP", "LIMIT",
    "OFFSET", "ASC", "DESC", "NULLS", "FIRST", "LAST", "HAVING", "WITH", "FOR", "USING", "TYPEOF",
];

fn tokens(q: &str) -> Result<Vec<(String, usize)>, SoqlError> {
    let chars: Vec<char> = q.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '\'' {
            i += 1;
            let mut s = String::from("'");
            loop {
                match chars.get(i) {
                    None => return Err(malformed(q, start, "unterminated string literal")),
                    Some('\'') => break,
                    Some('\\') => {
                        i += 1;
                        match chars.get(i) {
                            Some(e) => s.push(*e),
                            None => {
                                return Err(malformed(q, start, "unterminated string literal"));
                            }
                        }
                    }
                    Some(ch) => s.push(*ch),
                }
                i += 1;
            }
            i += 1;
            s.push('\'');
            out.push((s, start));
        } else if "(),".contains(c) {
            out.push((c.to_string(), start));
            i += 1;
        } else if matches!(c, '!' | '<' | '>' | '=') {
            let next = chars.get(i + 1).copied();
            let op = match (c, next) {
                ('!', Some('=')) => "!=",
                ('<', Some('>')) => "<>",
                ('<', Some('=')) => "<=",
                ('>', Some('=')) => ">=",
                ('<', _) => "<",
                ('>', _) => ">",
                ('=', _) => "=",
                _ => return Err(malformed(q, start, &format!("unexpected token: '{c}'"))),
            };
            i += op.chars().count();
            out.push((op.to_string(), start));
        } else if c.is_alphanumeric() || "_.-:+".contains(c) {
            while chars
                .get(i)
                .is_some_and(|ch| ch.is_alphanumeric() || "_.-:+".contains(*ch))
            {
                i += 1;
            }
            out.push((
                chars.get(start..i).unwrap_or_default().iter().collect(),
                start,
            ));
        } else {
            return Err(malformed(q, start, &format!("unexpected token: '{c}'")));
        }
    }
    Ok(out)
}

/// A query longer than this shows only a window of itself around the error.
pub const ERROR_WINDOW_FROM: usize = 120;
/// The window: this many characters before the error and after it.
const WINDOW_BEFORE: usize = 60;
const WINDOW_AFTER: usize = 60;

/// Salesforce's query-error text: the query (a window of it around the error when it is long:
/// the column stays the query's), a caret, the position, the reason.
fn positioned(q: &str, at: usize, reason: &str) -> String {
    let chars: Vec<char> = q.chars().collect();
    let (shown, caret) = if chars.len() > ERROR_WINDOW_FROM {
        let start = at.saturating_sub(WINDOW_BEFORE);
        let end = at.saturating_add(WINDOW_AFTER).min(chars.len());
        let window: String = chars.get(start..end).unwrap_or_default().iter().collect();
        (window, at - start)
    } else {
        (q.to_string(), at)
    };
    format!(
        "\n{shown}\n{}^\nERROR at Row:1:Column:{}\n{reason}",
        " ".repeat(caret),
        at + 1
    )
}

fn malformed(q: &str, at: usize, reason: &str) -> SoqlError {
    SoqlError {
        code: "MALFORMED_QUERY",
        message: positioned(q, at, reason),
    }
}

/// Parentheses nest at most this deep in a `WHERE` clause: deeper is `MALFORMED_QUERY`, never a
/// stack overflow. Salesforce documents no such limit (the value is the simulator's); its
/// statements are at most 100,000 characters.
pub const MAX_NESTING: usize = 100;

struct Parser<'a> {
    q: &'a str,
    toks: Vec<(String, usize)>,
    p: usize,
    today: i64,
    /// Parentheses open around the term being parsed.
    depth: usize,
    /// Parsing a semi-join's inner query (one may not nest another).
    in_semi: bool,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&str> {
        self.toks.get(self.p).map(|(t, _)| t.as_str())
    }

    fn kw(&self, w: &str) -> bool {
        self.peek().is_some_and(|t| t.eq_ignore_ascii_case(w))
    }

    fn kw_at(&self, off: usize, w: &str) -> bool {
        self.toks
            .get(self.p + off)
            .is_some_and(|(t, _)| t.eq_ignore_ascii_case(w))
    }

    fn unexpected(&self) -> SoqlError {
        match self.toks.get(self.p) {
            Some((t, at)) => malformed(self.q, *at, &format!("unexpected token: '{t}'")),
            None => malformed(self.q, self.q.chars().count(), "unexpected end of query"),
        }
    }

    fn expect(&mut self, t: &str) -> Result<(), SoqlError> {
        if self.peek().is_some_and(|x| x.eq_ignore_ascii_case(t)) {
            self.p += 1;
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    /// A field path: a word that is not a keyword, a literal or punctuation.
    fn name(&mut self) -> Result<(String, usize), SoqlError> {
        match self.toks.get(self.p) {
            Some((t, at))
                if t.chars()
                    .next()
                    .is_some_and(|c| c.is_alphabetic() || c == '_')
                    && !KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(t)) =>
            {
                let out = (t.clone(), *at);
                self.p += 1;
                Ok(out)
            }
            _ => Err(self.unexpected()),
        }
    }

    fn number(&mut self) -> Result<usize, SoqlError> {
        let n = self.peek().and_then(|t| t.parse::<usize>().ok());
        match n {
            Some(n) => {
                self.p += 1;
                Ok(n)
            }
            None => Err(self.unexpected()),
        }
    }

    fn query(&mut self, sub: bool) -> Result<Query, SoqlError> {
        self.expect("SELECT")?;
        let mut items = Vec::new();
        loop {
            items.push(self.item(sub)?);
            if self.peek() == Some(",") {
                self.p += 1;
            } else {
                break;
            }
        }
        self.expect("FROM")?;
        let object = self.name()?;
        let mut q = Query {
            items,
            object,
            cond: None,
            group: Vec::new(),
            order: Vec::new(),
            limit: None,
            offset: None,
        };
        if self.kw("WHERE") {
            self.p += 1;
            q.cond = Some(self.or_expr()?);
        }
        if self.kw("GROUP") && self.kw_at(1, "BY") && !sub {
            self.p += 2;
            loop {
                q.group.push(self.name()?);
                if self.peek() == Some(",") {
                    self.p += 1;
                } else {
                    break;
                }
            }
        }
        if self.kw("ORDER") && self.kw_at(1, "BY") {
            self.p += 2;
            loop {
                let (field, at) = self.name()?;
                let mut desc = false;
                if self.kw("ASC") || self.kw("DESC") {
                    desc = self.kw("DESC");
                    self.p += 1;
                }
                // Salesforce's default: nulls first ascending, last descending.
                let mut nulls_last = desc;
                if self.kw("NULLS") {
                    self.p += 1;
                    if self.kw("FIRST") || self.kw("LAST") {
                        nulls_last = self.kw("LAST");
                        self.p += 1;
                    } else {
                        return Err(self.unexpected());
                    }
                }
                q.order.push(Order {
                    field,
                    at,
                    desc,
                    nulls_last,
                });
                if self.peek() == Some(",") {
                    self.p += 1;
                } else {
                    break;
                }
            }
        }
        if self.kw("LIMIT") {
            self.p += 1;
            q.limit = Some(self.number()?);
        }
        if self.kw("OFFSET") && !sub {
            self.p += 1;
            q.offset = Some(self.number()?);
        }
        Ok(q)
    }

    fn item(&mut self, sub: bool) -> Result<Item, SoqlError> {
        if self.peek() == Some("(") && !sub {
            self.p += 1;
            let inner = self.query(true)?;
            self.expect(")")?;
            return Ok(Item::Sub(Box::new(inner)));
        }
        let (word, at) = self.name()?;
        if self.peek() != Some("(") {
            return Ok(Item::Field(word, at));
        }
        let func = word.to_ascii_uppercase();
        if !matches!(
            func.as_str(),
            "COUNT" | "COUNT_DISTINCT" | "MIN" | "MAX" | "SUM" | "AVG"
        ) {
            return Err(malformed(
                self.q,
                at,
                &format!("unexpected token: '{word}'"),
            ));
        }
        self.p += 1;
        if func == "COUNT" && self.peek() == Some(")") {
            self.p += 1;
            return Ok(Item::CountAll(at));
        }
        let (field, fat) = self.name()?;
        self.expect(")")?;
        let alias = match self.toks.get(self.p) {
            Some((t, _))
                if t.chars().next().is_some_and(|c| c.is_alphabetic())
                    && !KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(t)) =>
            {
                self.p += 1;
                Some(t.clone())
            }
            _ => None,
        };
        Ok(Item::Agg {
            func,
            field,
            at: fat,
            alias,
        })
    }

    /// `a OR b OR c`, or an AND group, or one term; mixing AND and OR needs parentheses.
    fn or_expr(&mut self) -> Result<Expr, SoqlError> {
        let first = self.term()?;
        let joiner = if self.kw("AND") {
            "AND"
        } else if self.kw("OR") {
            "OR"
        } else {
            return Ok(first);
        };
        let mut parts = vec![first];
        while self.kw(joiner) {
            self.p += 1;
            parts.push(self.term()?);
        }
        if self.kw("AND") || self.kw("OR") {
            return Err(self.unexpected());
        }
        Ok(if joiner == "AND" {
            Expr::And(parts)
        } else {
            Expr::Or(parts)
        })
    }

    fn term(&mut self) -> Result<Expr, SoqlError> {
        // NOT NOT … without recursion: an even run cancels out.
        let mut nots = 0usize;
        while self.kw("NOT") {
            self.p += 1;
            nots += 1;
        }
        let e = self.primary()?;
        Ok(if nots % 2 == 1 {
            Expr::Not(Box::new(e))
        } else {
            e
        })
    }

    /// A parenthesised condition or a comparison.
    fn primary(&mut self) -> Result<Expr, SoqlError> {
        if let Some(("(", at)) = self.toks.get(self.p).map(|(t, at)| (t.as_str(), *at)) {
            if self.depth >= MAX_NESTING {
                return Err(malformed(
                    self.q,
                    at,
                    &format!(
                        "the condition is nested too deeply (at most {MAX_NESTING} levels of parentheses)"
                    ),
                ));
            }
            self.p += 1;
            self.depth += 1;
            let e = self.or_expr()?;
            self.depth -= 1;
            self.expect(")")?;
            return Ok(e);
        }
        let (field, at) = self.name()?;
        let op = match self.peek().map(str::to_ascii_uppercase).as_deref() {
            Some("=") => Op::Eq,
            Some("!=" | "<>") => Op::Ne,
            Some("<") => Op::Lt,
            Some("<=") => Op::Le,
            Some(">") => Op::Gt,
            Some(">=") => Op::Ge,
            Some("LIKE") => Op::Like,
            Some("IN") => Op::In,
            Some("NOT") if self.kw_at(1, "IN") => {
                self.p += 1;
                Op::NotIn
            }
            _ => return Err(self.unexpected()),
        };
        self.p += 1;
        let mut values = Vec::new();
        if matches!(op, Op::In | Op::NotIn) {
            self.expect("(")?;
            if self.kw("SELECT") {
                return semi::parse(self, field, at, op == Op::NotIn);
            }
            loop {
                values.push(self.literal()?);
                match self.peek() {
                    Some(",") => self.p += 1,
                    Some(")") => {
                        self.p += 1;
                        break;
                    }
                    _ => return Err(self.unexpected()),
                }
            }
        } else {
            values.push(self.literal()?);
        }
        Ok(Expr::Cmp {
            field,
            at,
            op,
            values,
        })
    }

    fn literal(&mut self) -> Result<Lit, SoqlError> {
        let Some((t, at)) = self.toks.get(self.p).cloned() else {
            return Err(self.unexpected());
        };
        self.p += 1;
        if let Some(s) = t.strip_prefix('\'') {
            return Ok(Lit::Str(s.strip_suffix('\'').unwrap_or(s).to_string()));
        }
        let upper = t.to_ascii_uppercase();
        match upper.as_str() {
            "TRUE" => return Ok(Lit::Bool(true)),
            "FALSE" => return Ok(Lit::Bool(false)),
            "NULL" => return Ok(Lit::Null),
            _ => {}
        }
        if let Some(ms) = super::soql_time::datetime_ms(&t) {
            return Ok(Lit::Instant(ms));
        }
        if let Some(day) = parse_date(&t) {
            return Ok(Lit::Days(day_str(day), day_str(day)));
        }
        if let Ok(n) = t.parse::<f64>()
            && n.is_finite()
        {
            return Ok(Lit::Num(n));
        }
        let today = self.today;
        let n_days = |prefix: &str| {
            upper
                .strip_prefix(prefix)
                .and_then(|n| n.parse::<i64>().ok())
                .filter(|n| (0..=100_000).contains(n))
        };
        let (year, _, _) = civil(today);
        let range = match upper.as_str() {
            "TODAY" => Some((today, today)),
            "YESTERDAY" => Some((today - 1, today - 1)),
            "TOMORROW" => Some((today + 1, today + 1)),
            "THIS_YEAR" => Some((days_from_civil(year, 1, 1), days_from_civil(year, 12, 31))),
            "LAST_YEAR" => Some((
                days_from_civil(year - 1, 1, 1),
                days_from_civil(year - 1, 12, 31),
            )),
            _ => n_days("LAST_N_DAYS:")
                .map(|n| (today - n, today))
                .or_else(|| n_days("NEXT_N_DAYS:").map(|n| (today + 1, today + n))),
        };
        match range {
            Some((lo, hi)) => Ok(Lit::Days(day_str(lo), day_str(hi))),
            None => Err(malformed(self.q, at, &format!("unexpected token: '{t}'"))),
        }
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
pub(super) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub(super) fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Milliseconds since the epoch as Salesforce writes a datetime (`2026-12-07T13:05:00.000+0000`).
pub fn datetime(ms: u64) -> String {
    let secs = i64::try_from(ms / 1000).unwrap_or(i64::MAX);
    let (y, m, d) = civil(secs.div_euclid(86_400));
    let t = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}+0000",
        t / 3600,
        t / 60 % 60,
        t % 60,
        ms % 1000
    )
}

fn day_str(days: i64) -> String {
    let (y, m, d) = civil(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `yyyy-mm-dd`, or a datetime starting with one (its day).
fn parse_date(t: &str) -> Option<i64> {
    let day = t.get(..10)?;
    let rest = t.get(10..)?;
    if !(rest.is_empty() || rest.starts_with('T')) {
        return None;
    }
    let mut parts = day.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (i64, i64, i64) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then(|| days_from_civil(y, m, d))
}

fn parse(q: &str, today: i64) -> Result<Query, SoqlError> {
    let mut p = Parser {
        q,
        toks: tokens(q)?,
        p: 0,
        today,
        depth: 0,
        in_semi: false,
    };
    let query = p.query(false)?;
    if p.p < p.toks.len() {
        return Err(p.unexpected());
    }
    Ok(query)
}

fn get_path<'a>(row: &'a Value, path: &str) -> &'a Value {
    path.split('.')
        .fold(row, |v, part| v.get(part).unwrap_or(&Value::Null))
}

fn text_eq(s: &str, l: &str) -> bool {
    // Case-insensitive, ids 15/18; never a byte-offset slice (accented data).
    s.eq_ignore_ascii_case(l)
        || s.to_lowercase() == l.to_lowercase()
        || (s.len() == 18
            && l.len() == 15
            && s.get(..15).is_some_and(|p| p.eq_ignore_ascii_case(l)))
}

fn compare(v: &Value, lit: &Lit) -> Option<Ordering> {
    match (v, lit) {
        (Value::String(s), Lit::Str(l)) => Some(s.to_lowercase().cmp(&l.to_lowercase())),
        (Value::Number(n), Lit::Num(l)) => n.as_f64()?.partial_cmp(l),
        (Value::String(s), Lit::Instant(at)) => match super::soql_time::datetime_ms(s) {
            Some(v) => Some(v.cmp(at)),
            // A date field: its day against the literal's (UTC) day.
            None => Some(s.get(..10)?.cmp(&day_str(at.div_euclid(86_400_000)))),
        },
        (Value::String(s), Lit::Days(lo, hi)) => {
            let day = s.get(..10)?;
            Some(if day < lo.as_str() {
                Ordering::Less
            } else if day > hi.as_str() {
                Ordering::Greater
            } else {
                Ordering::Equal
            })
        }
        _ => None,
    }
}

fn equals(v: &Value, lit: &Lit) -> bool {
    match (v, lit) {
        (Value::Null, Lit::Null) => true,
        (Value::String(s), Lit::Str(l)) => text_eq(s, l),
        (Value::Bool(b), Lit::Bool(l)) => b == l,
        _ => compare(v, lit) == Some(Ordering::Equal),
    }
}

/// SOQL `LIKE`: `%` any run, `_` one character, case-insensitive, by characters.
fn like(s: &str, pattern: &str) -> bool {
    let s: Vec<char> = s.to_lowercase().chars().collect();
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let (mut si, mut pi) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while si < s.len() {
        match p.get(pi) {
            Some('%') => {
                star = Some(pi);
                mark = si;
                pi += 1;
            }
            Some(c) if *c == '_' || Some(c) == s.get(si) => {
                si += 1;
                pi += 1;
            }
            _ => match star {
                Some(st) => {
                    pi = st + 1;
                    mark += 1;
                    si = mark;
                }
                None => return false,
            },
        }
    }
    p.get(pi..).unwrap_or_default().iter().all(|c| *c == '%')
}

fn eval(e: &Expr, row: &Value, canon: &dyn Fn(&str) -> &'static str) -> bool {
    match e {
        Expr::And(v) => v.iter().all(|e| eval(e, row, canon)),
        Expr::Or(v) => v.iter().any(|e| eval(e, row, canon)),
        Expr::Not(e) => !eval(e, row, canon),
        Expr::Cmp {
            field, op, values, ..
        } => {
            let v = get_path(row, canon(field));
            let Some(first) = values.first() else {
                return false;
            };
            match op {
                Op::Eq => equals(v, first),
                Op::Ne => !equals(v, first),
                Op::In => values.iter().any(|l| equals(v, l)),
                Op::NotIn => !values.iter().any(|l| equals(v, l)),
                Op::Like => match (v, first) {
                    (Value::String(s), Lit::Str(p)) => like(s, p),
                    _ => false,
                },
                Op::Lt => compare(v, first) == Some(Ordering::Less),
                Op::Le => matches!(compare(v, first), Some(Ordering::Less | Ordering::Equal)),
                Op::Gt => compare(v, first) == Some(Ordering::Greater),
                Op::Ge => matches!(compare(v, first), Some(Ordering::Greater | Ordering::Equal)),
            }
        }
        // Resolved before filtering; never reached.
        Expr::Semi { .. } => false,
    }
}

fn cond_fields<'a>(e: &'a Expr, out: &mut Vec<(&'a str, usize)>) {
    match e {
        Expr::And(v) | Expr::Or(v) => v.iter().for_each(|e| cond_fields(e, out)),
        Expr::Not(e) => cond_fields(e, out),
        Expr::Cmp { field, at, .. } | Expr::Semi { field, at, .. } => out.push((field, *at)),
    }
}

fn value_order(a: &Value, b: &Value, nulls_last: bool) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => {
            if nulls_last {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (_, Value::Null) => {
            if nulls_last {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => a.to_string().cmp(&b.to_string()),
    }
}

/// ORDER BY: nulls where asked, the rest ascending or descending.
fn ordered(a: &Value, b: &Value, desc: bool, nulls_last: bool) -> Ordering {
    match (a.is_null(), b.is_null()) {
        (true, true) => Ordering::Equal,
        (true, false) if nulls_last => Ordering::Greater,
        (true, false) => Ordering::Less,
        (false, true) if nulls_last => Ordering::Less,
        (false, true) => Ordering::Greater,
        _ => {
            let o = value_order(a, b, false);
            if desc { o.reverse() } else { o }
        }
    }
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

/// Runs `query` on `table`; for a subquery, `parent` keeps only the children of that row.
fn execute(
    q: &str,
    tables: &[Table],
    table: &Table,
    query: &Query,
    api_path: &str,
    parent: Option<(&str, &str)>,
) -> Result<Value, SoqlError> {
    let canon = |f: &str, at: usize| canonical(q, table, f, at);
    let mut plain: Vec<&'static str> = Vec::new();
    let mut aggs: Vec<(String, &'static str, String)> = Vec::new();
    let mut subs: Vec<(&Query, &str, &Table, &str)> = Vec::new();
    let mut count_all = None;
    for item in &query.items {
        match item {
            Item::Field(f, at) => plain.push(canon(f, *at)?),
            Item::CountAll(at) => count_all = Some(*at),
            Item::Agg {
                func,
                field,
                at,
                alias,
            } => {
                let name = alias
                    .clone()
                    .unwrap_or_else(|| format!("expr{}", aggs.len()));
                aggs.push((func.clone(), canon(field, *at)?, name));
            }
            Item::Sub(sub) => {
                let (rel, at) = &sub.object;
                let Some((_, rel_name, child, fk)) = CHILD_RELATIONSHIPS
                    .iter()
                    .find(|(p, r, _, _)| *p == table.name && r.eq_ignore_ascii_case(rel))
                else {
                    return Err(SoqlError {
                        code: "INVALID_TYPE",
                        message: positioned(
                            q,
                            *at,
                            &format!(
                                "Didn't understand relationship '{rel}' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."
                            ),
                        ),
                    });
                };
                let child_table = tables.iter().find(|t| t.name == *child);
                match child_table {
                    Some(t) => subs.push((sub, rel_name, t, fk)),
                    // The child object is not visible to the caller: no rows.
                    None => subs.push((sub, rel_name, table, "")),
                }
            }
        }
    }
    if count_all.is_some() && (!plain.is_empty() || !aggs.is_empty() || !subs.is_empty()) {
        let at = count_all.unwrap_or(0);
        return Err(malformed(
            q,
            at,
            "COUNT() must be the only element in the SELECT list.",
        ));
    }
    let mut used = Vec::new();
    if let Some(c) = &query.cond {
        cond_fields(c, &mut used);
    }
    let mut canon_map: Vec<(String, &'static str)> = Vec::new();
    for (f, at) in used {
        canon_map.push((f.to_string(), canon(f, at)?));
    }
    let lookup = |f: &str| -> &'static str {
        canon_map
            .iter()
            .find(|(k, _)| k == f)
            .map(|(_, v)| *v)
            .unwrap_or("")
    };
    let group: Vec<&'static str> = query
        .group
        .iter()
        .map(|(f, at)| canon(f, *at))
        .collect::<Result<_, _>>()?;
    let order: Vec<(&'static str, bool, bool)> = query
        .order
        .iter()
        .map(|o| Ok((canon(&o.field, o.at)?, o.desc, o.nulls_last)))
        .collect::<Result<_, SoqlError>>()?;
    let mut rows: Vec<&Value> = table
        .rows
        .iter()
        .filter(|row| match parent {
            Some((fk, id)) if !fk.is_empty() => row
                .get(fk)
                .and_then(Value::as_str)
                .is_some_and(|v| v.eq_ignore_ascii_case(id)),
            Some(_) => false,
            None => true,
        })
        .filter(|row| query.cond.as_ref().is_none_or(|c| eval(c, row, &lookup)))
        .collect();
    if count_all.is_some() {
        return Ok(json!({"totalSize": rows.len(), "done": true, "records": []}));
    }
    let aggregate = !aggs.is_empty() || !group.is_empty();
    if aggregate {
        if let Some((f, at)) = query.items.iter().find_map(|i| match i {
            Item::Field(f, at) => Some((f, at)),
            _ => None,
        }) {
            let c = canon(f, *at)?;
            if !group.contains(&c) {
                return Err(malformed(
                    q,
                    *at,
                    &format!("Field must be grouped or aggregated: {c}"),
                ));
            }
        }
        let mut groups: Vec<(Vec<Value>, Vec<&Value>)> = Vec::new();
        for row in rows {
            let key: Vec<Value> = group.iter().map(|g| get_path(row, g).clone()).collect();
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, members)) => members.push(row),
                None => groups.push((key, vec![row])),
            }
        }
        if group.is_empty() && groups.is_empty() {
            groups.push((Vec::new(), Vec::new()));
        }
        let mut records: Vec<Value> = groups
            .iter()
            .map(|(key, members)| {
                let mut rec = Map::new();
                rec.insert("attributes".into(), json!({"type": "AggregateResult"}));
                for (g, v) in group.iter().zip(key) {
                    let leaf = g.rsplit('.').next().unwrap_or(g);
                    rec.insert(leaf.to_string(), v.clone());
                }
                for (func, field, name) in &aggs {
                    rec.insert(name.clone(), aggregate_value(func, field, members));
                }
                Value::Object(rec)
            })
            .collect();
        for (field, desc, nulls_last) in order.iter().rev() {
            let leaf = field.rsplit('.').next().unwrap_or(field);
            records.sort_by(|a, b| ordered(&a[leaf], &b[leaf], *desc, *nulls_last));
        }
        let records = window(records, query);
        return Ok(json!({"totalSize": records.len(), "done": true, "records": records}));
    }
    for (field, desc, nulls_last) in order.iter().rev() {
        rows.sort_by(|a, b| ordered(get_path(a, field), get_path(b, field), *desc, *nulls_last));
    }
    let rows = window(rows, query);
    let mut records = Vec::with_capacity(rows.len());
    for row in rows {
        let mut rec = project(row, table.name, &plain, api_path);
        for (sub, rel_name, child, fk) in &subs {
            let id = row.get("Id").and_then(Value::as_str).unwrap_or_default();
            let res = execute(q, tables, child, sub, api_path, Some((fk, id)))?;
            let value = if res["totalSize"] == 0 {
                Value::Null
            } else {
                res
            };
            if let Some(m) = rec.as_object_mut() {
                m.insert((*rel_name).to_string(), value);
            }
        }
        records.push(rec);
    }
    Ok(json!({"totalSize": records.len(), "done": true, "records": records}))
}

fn window<T>(rows: Vec<T>, query: &Query) -> Vec<T> {
    let skip = query.offset.unwrap_or(0);
    let take = query.limit.unwrap_or(usize::MAX);
    rows.into_iter().skip(skip).take(take).collect()
}

fn aggregate_value(func: &str, field: &str, members: &[&Value]) -> Value {
    let values: Vec<&Value> = members
        .iter()
        .map(|r| get_path(r, field))
        .filter(|v| !v.is_null())
        .collect();
    match func {
        "COUNT" => json!(values.len()),
        "COUNT_DISTINCT" => {
            let mut seen: Vec<String> = values
                .iter()
                .map(|v| v.to_string().to_lowercase())
                .collect();
            seen.sort();
            seen.dedup();
            json!(seen.len())
        }
        "MIN" | "MAX" => {
            let pick = values.iter().copied().reduce(|a, b| {
                let o = value_order(a, b, true);
                if (func == "MIN") == (o == Ordering::Greater) {
                    b
                } else {
                    a
                }
            });
            pick.cloned().unwrap_or(Value::Null)
        }
        _ => {
            let nums: Vec<f64> = values.iter().filter_map(|v| v.as_f64()).collect();
            if nums.is_empty() {
                return Value::Null;
            }
            let sum: f64 = nums.iter().sum();
            if func == "SUM" {
                json!(sum)
            } else {
                json!(sum / nums.len() as f64)
            }
        }
    }
}

/// `?columns=true`: the query's column metadata, in the shape the Salesforce CLI reads
/// (`salesforcecli/plugin-data` `src/queryUtils.ts`: `columnMetadata[].columnName`,
/// `joinColumns`, `aggregate`, `displayName`), without running it.
pub fn columns(
    q: &str,
    tables: &[Table],
    key_prefix: impl Fn(&str) -> &'static str,
) -> Result<Value, SoqlError> {
    let query = parse(q, today_days())?;
    let table = find_table(q, tables, &query)?;
    let mut fields = Vec::new();
    for item in &query.items {
        if let Item::Field(f, at) = item {
            fields.push(canonical(q, table, f, *at)?);
        }
    }
    fn column(name: &str, display: &str, joins: Vec<Value>) -> Value {
        json!({
            "aggregate": false, "apexType": if joins.is_empty() { json!(if name == "Id" { "Id" } else { "String" }) } else { Value::Null },
            "booleanType": false, "columnName": name, "custom": name.ends_with("__c"), "displayName": display,
            "foreignKeyName": null, "insertable": false, "joinColumns": joins, "numberType": false,
            "textType": joins.is_empty() && name != "Id", "updatable": false,
        })
    }
    fn build(paths: &[Vec<&str>], prefix: &str) -> Vec<Value> {
        let mut out: Vec<Value> = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for p in paths {
            let Some(first) = p.first().copied() else {
                continue;
            };
            let display = if prefix.is_empty() {
                first.to_string()
            } else {
                format!("{prefix}.{first}")
            };
            if p.len() == 1 {
                out.push(column(first, &display, Vec::new()));
            } else if !seen.contains(&first) {
                seen.push(first);
                let children: Vec<Vec<&str>> = paths
                    .iter()
                    .filter(|o| o.len() > 1 && o.first() == Some(&first))
                    .map(|o| o.get(1..).unwrap_or_default().to_vec())
                    .collect();
                out.push(column(first, &display, build(&children, &display)));
            }
        }
        out
    }
    let paths: Vec<Vec<&str>> = fields.iter().map(|f| f.split('.').collect()).collect();
    Ok(json!({
        "columnMetadata": build(&paths, ""),
        "entityName": table.name,
        "groupBy": false,
        "idSelected": fields.contains(&"Id"),
        "keyPrefix": key_prefix(table.name),
    }))
}

fn find_table<'a>(q: &str, tables: &'a [Table], query: &Query) -> Result<&'a Table, SoqlError> {
    let (obj_name, obj_at) = &query.object;
    tables
        .iter()
        .find(|t| t.name.eq_ignore_ascii_case(obj_name))
        .ok_or_else(|| SoqlError {
            code: "INVALID_TYPE",
            message: positioned(
                q,
                *obj_at,
                &format!(
                    "sObject type '{obj_name}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."
                ),
            ),
        })
}

fn canonical(q: &str, table: &Table, f: &str, at: usize) -> Result<&'static str, SoqlError> {
    table.fields.iter().copied().find(|c| c.eq_ignore_ascii_case(f)).ok_or_else(|| SoqlError {
        code: "INVALID_FIELD",
        message: positioned(
            q,
            at,
            &format!("No such column '{f}' on entity '{}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", table.name),
        ),
    })
}

/// The selected paths of a row, relationships nested, each object with its `attributes`.
fn project(row: &Value, object: &str, fields: &[&str], api_path: &str) -> Value {
    let mut out = Map::new();
    out.insert("attributes".into(), attributes(row, object, api_path));
    for path in fields {
        let mut parts: Vec<&str> = path.split('.').collect();
        let Some(leaf) = parts.pop() else {
            continue;
        };
        insert_path(&mut out, row, &parts, leaf, api_path);
    }
    Value::Object(out)
}

fn insert_path(
    target: &mut Map<String, Value>,
    src: &Value,
    parts: &[&str],
    leaf: &str,
    api_path: &str,
) {
    match parts.split_first() {
        None => {
            target.insert(
                leaf.to_string(),
                src.get(leaf).cloned().unwrap_or(Value::Null),
            );
        }
        Some((part, rest)) => {
            let next = src.get(*part).unwrap_or(&Value::Null);
            if next.is_null() {
                target.insert((*part).to_string(), Value::Null);
                return;
            }
            let kind = next
                .get("__type")
                .and_then(Value::as_str)
                .unwrap_or(part)
                .to_string();
            let entry = target.entry((*part).to_string()).or_insert_with(|| {
                let mut m = Map::new();
                m.insert("attributes".into(), attributes(next, &kind, api_path));
                Value::Object(m)
            });
            if let Value::Object(m) = entry {
                insert_path(m, next, rest, leaf, api_path);
            }
        }
    }
}

fn attributes(row: &Value, object: &str, api_path: &str) -> Value {
    let id = row.get("Id").and_then(Value::as_str).unwrap_or_default();
    json!({"type": object, "url": format!("{api_path}/sobjects/{object}/{id}")})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables() -> Vec<Table> {
        vec![Table {
            name: "PermissionSetAssignment",
            fields: &[
                "Id",
                "AssigneeId",
                "PermissionSet.Name",
                "PermissionSet.Label",
            ],
            rows: vec![
                json!({"Id": "0Pa1", "AssigneeId": "005AAAAAAAAAAAAAAA", "PermissionSet": {"__type": "PermissionSet", "Id": "0PS1", "Name": "A", "Label": "Alpha"}}),
                json!({"Id": "0Pa2", "AssigneeId": "005BBBBBBBBBBBBBBB", "PermissionSet": {"__type": "PermissionSet", "Id": "0PS2", "Name": "B", "Label": "Beta"}}),
            ],
        }]
    }

    #[test]
    fn selects_filters_and_nests_relationships() {
        let r = run(
            "SELECT PermissionSet.Name, permissionset.label FROM PermissionSetAssignment WHERE AssigneeId = '005AAAAAAAAAAAA'",
            &tables(),
            "/services/data/v67.0",
        )
        .unwrap();
        assert_eq!(r["totalSize"], 1);
        assert_eq!(r["records"][0]["PermissionSet"]["Label"], "Alpha");
        assert_eq!(
            r["records"][0]["PermissionSet"]["attributes"]["type"],
            "PermissionSet"
        );
        assert!(r["records"][0]["PermissionSet"].get("__type").is_none());
    }

    #[test]
    fn errors_are_salesforce_shaped() {
        let t = tables();
        let e = run("SELECT Id FROM Nope", &t, "/x").unwrap_err();
        assert_eq!(e.code, "INVALID_TYPE");
        assert!(
            e.message
                .contains("ERROR at Row:1:Column:16\nsObject type 'Nope' is not supported.")
        );
        let e = run("SELECT Foo FROM PermissionSetAssignment", &t, "/x").unwrap_err();
        assert_eq!(e.code, "INVALID_FIELD");
        assert!(
            e.message
                .contains("No such column 'Foo' on entity 'PermissionSetAssignment'")
        );
        assert_eq!(
            run("SELECT FROM x", &t, "/x").unwrap_err().code,
            "MALFORMED_QUERY"
        );
        assert_eq!(
            run("SELECT Id FROM PermissionSetAssignment WHERE", &t, "/x")
                .unwrap_err()
                .code,
            "MALFORMED_QUERY"
        );
    }

    fn org() -> Vec<Table> {
        vec![
            Table {
                name: "User",
                fields: &[
                    "Id",
                    "Name",
                    "IsActive",
                    "ProfileId",
                    "CreatedDate",
                    "Logins",
                ],
                rows: vec![
                    json!({"Id": "005A00000000001AAA", "Name": "José Ébrd-Muñoz", "IsActive": true, "ProfileId": "00eP1", "CreatedDate": "2026-11-20T10:00:00.000+0000", "Logins": 5}),
                    json!({"Id": "005A00000000002AAA", "Name": "Zoë Adams", "IsActive": false, "ProfileId": "00eP1", "CreatedDate": "2020-01-01T10:00:00.000+0000", "Logins": 1}),
                    json!({"Id": "005A00000000003AAA", "Name": "Ann Lee", "IsActive": true, "ProfileId": "00eP2", "CreatedDate": null, "Logins": 9}),
                ],
            },
            Table {
                name: "PermissionSetAssignment",
                fields: &["Id", "AssigneeId", "PermissionSet.Name"],
                rows: vec![
                    json!({"Id": "0Pa1", "AssigneeId": "005A00000000001AAA", "PermissionSet": {"__type": "PermissionSet", "Id": "0PS1", "Name": "A"}}),
                    json!({"Id": "0Pa2", "AssigneeId": "005A00000000001AAA", "PermissionSet": {"__type": "PermissionSet", "Id": "0PS2", "Name": "B"}}),
                ],
            },
        ]
    }

    /// 2026-11-24.
    const TODAY: i64 = 20_781;

    fn q(text: &str) -> Result<Value, SoqlError> {
        run_at(text, &org(), "/services/data/v67.0", TODAY)
    }

    #[test]
    fn dates_round_trip() {
        assert_eq!(day_str(TODAY), "2026-11-24");
        assert_eq!(parse_date("2026-11-24T00:00:00Z"), Some(TODAY));
        assert_eq!(parse_date("2026-13-01"), None);
        assert_eq!(parse_date("é"), None);
    }

    #[test]
    fn count_group_by_like_or_and_date_literals() {
        assert_eq!(q("SELECT count() FROM User").unwrap()["totalSize"], 3);
        assert_eq!(
            q("SELECT COUNT() FROM User WHERE IsActive = true").unwrap()["totalSize"],
            2
        );
        let r = q("SELECT ProfileId, COUNT(Id) n FROM User GROUP BY ProfileId ORDER BY ProfileId")
            .unwrap();
        assert_eq!(
            r["records"][0],
            json!({"attributes": {"type": "AggregateResult"}, "ProfileId": "00eP1", "n": 2})
        );
        let r = q("SELECT COUNT(Id), MAX(Logins), SUM(Logins) FROM User").unwrap();
        assert_eq!(r["records"][0]["expr0"], 3);
        assert_eq!(r["records"][0]["expr1"], 9);
        assert_eq!(r["records"][0]["expr2"], 15.0);
        assert_eq!(
            q("SELECT Id FROM User WHERE Name LIKE 'jos%'").unwrap()["totalSize"],
            1
        );
        assert_eq!(
            q("SELECT Id FROM User WHERE Name LIKE '%muñoz'").unwrap()["totalSize"],
            1
        );
        assert_eq!(
            q("SELECT Id FROM User WHERE Name LIKE '_oë%'").unwrap()["totalSize"],
            1
        );
        assert_eq!(
            q("SELECT Id FROM User WHERE IsActive = false OR Logins > 8").unwrap()["totalSize"],
            2
        );
        assert_eq!(q("SELECT Id FROM User WHERE (IsActive = false OR Logins > 8) AND NOT Name = 'Ann Lee'").unwrap()["totalSize"], 1);
        assert_eq!(
            q("SELECT Id FROM User WHERE CreatedDate = LAST_N_DAYS:7").unwrap()["totalSize"],
            1
        );
        assert_eq!(
            q("SELECT Id FROM User WHERE CreatedDate < 2021-01-01").unwrap()["totalSize"],
            1
        );
        assert_eq!(
            q("SELECT Id FROM User WHERE CreatedDate = TODAY").unwrap()["totalSize"],
            0
        );
        assert_eq!(
            q("SELECT Id FROM User WHERE CreatedDate = THIS_YEAR").unwrap()["totalSize"],
            1
        );
        let r = q("SELECT Name FROM User ORDER BY CreatedDate DESC NULLS LAST LIMIT 2 OFFSET 1")
            .unwrap();
        assert_eq!(r["records"][0]["Name"], "Zoë Adams");
        assert_eq!(r["records"][1]["Name"], "Ann Lee");
        assert_eq!(r["totalSize"], 2);
    }

    #[test]
    fn parent_child_subqueries() {
        let r = q("SELECT Name, (SELECT PermissionSet.Name FROM PermissionSetAssignments ORDER BY PermissionSet.Name DESC) FROM User ORDER BY Name").unwrap();
        assert_eq!(r["records"][0]["Name"], "Ann Lee");
        assert!(r["records"][0]["PermissionSetAssignments"].is_null());
        let jose = &r["records"][1]["PermissionSetAssignments"];
        assert_eq!(jose["totalSize"], 2);
        assert_eq!(jose["records"][0]["PermissionSet"]["Name"], "B");
        assert_eq!(
            jose["records"][0]["attributes"]["type"],
            "PermissionSetAssignment"
        );
        let e = q("SELECT Id, (SELECT Id FROM Nopes) FROM User").unwrap_err();
        assert_eq!(e.code, "INVALID_TYPE");
        assert!(
            e.message.contains("Didn't understand relationship 'Nopes'"),
            "{}",
            e.message
        );
    }

    #[test]
    fn what_stays_unsupported_is_malformed() {
        for bad in [
            "SELECT Id FROM User WHERE IsActive = true AND Logins > 1 OR Name = 'x'",
            "SELECT Id FROM User WITH SECURITY_ENFORCED",
            "SELECT Id, COUNT() FROM User",
            "SELECT Name, COUNT(Id) FROM User",
            "SELECT FIELDS(ALL) FROM User",
            "SELECT Id FROM User WHERE CreatedDate = NEXT_FORTNIGHT",
            "SELECT Id FROM User WHERE Name = 'x",
            "SELECT Id FROM User GROUP BY ProfileId HAVING COUNT(Id) > 1",
        ] {
            let e = q(bad).unwrap_err();
            assert_eq!(e.code, "MALFORMED_QUERY", "{bad}");
            assert!(
                e.message.contains("ERROR at Row:1:Column:"),
                "{bad}: {}",
                e.message
            );
        }
        let e = q("SELECT Name, COUNT(Id) FROM User").unwrap_err();
        assert!(
            e.message
                .contains("Field must be grouped or aggregated: Name")
        );
    }
}
