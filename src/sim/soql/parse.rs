//! The parser: tokens to a [`Query`].

use super::*;

/// Parentheses nest at most this deep in a `WHERE` clause: deeper is `MALFORMED_QUERY`, never a
/// stack overflow. Salesforce documents no such limit (the value is the simulator's); its
/// statements are at most 100,000 characters.
pub const MAX_NESTING: usize = 100;

pub(super) struct Parser<'a> {
    pub(super) q: &'a str,
    pub(super) toks: Vec<(String, usize)>,
    pub(super) p: usize,
    pub(super) today: i64,
    /// Parentheses open around the term being parsed.
    pub(super) depth: usize,
    /// Parsing a semi-join's inner query (one may not nest another).
    pub(super) in_semi: bool,
}

impl Parser<'_> {
    pub(super) fn peek(&self) -> Option<&str> {
        self.toks.get(self.p).map(|(t, _)| t.as_str())
    }

    pub(super) fn kw(&self, w: &str) -> bool {
        self.peek().is_some_and(|t| t.eq_ignore_ascii_case(w))
    }

    pub(super) fn kw_at(&self, off: usize, w: &str) -> bool {
        self.toks
            .get(self.p + off)
            .is_some_and(|(t, _)| t.eq_ignore_ascii_case(w))
    }

    pub(super) fn unexpected(&self) -> SoqlError {
        match self.toks.get(self.p) {
            Some((t, at)) => malformed(self.q, *at, &format!("unexpected token: '{t}'")),
            None => malformed(self.q, self.q.chars().count(), "unexpected end of query"),
        }
    }

    pub(super) fn expect(&mut self, t: &str) -> Result<(), SoqlError> {
        if self.peek().is_some_and(|x| x.eq_ignore_ascii_case(t)) {
            self.p += 1;
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    /// A field path: a word that is not a keyword, a literal or punctuation.
    pub(super) fn name(&mut self) -> Result<(String, usize), SoqlError> {
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

    pub(super) fn number(&mut self) -> Result<usize, SoqlError> {
        let n = self.peek().and_then(|t| t.parse::<usize>().ok());
        match n {
            Some(n) => {
                self.p += 1;
                Ok(n)
            }
            None => Err(self.unexpected()),
        }
    }

    pub(super) fn query(&mut self, sub: bool) -> Result<Query, SoqlError> {
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

    pub(super) fn item(&mut self, sub: bool) -> Result<Item, SoqlError> {
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
    pub(super) fn or_expr(&mut self) -> Result<Expr, SoqlError> {
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

    pub(super) fn term(&mut self) -> Result<Expr, SoqlError> {
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
    pub(super) fn primary(&mut self) -> Result<Expr, SoqlError> {
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

    pub(super) fn literal(&mut self) -> Result<Lit, SoqlError> {
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
        if let Some(ms) = crate::sim::soql_time::datetime_ms(&t) {
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

pub(super) fn parse(q: &str, today: i64) -> Result<Query, SoqlError> {
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
