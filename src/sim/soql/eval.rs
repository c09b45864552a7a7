//! Conditions evaluated on a row; values compared and ordered as SOQL orders them.

use std::cmp::Ordering;

use super::*;

pub(super) fn get_path<'a>(row: &'a Value, path: &str) -> &'a Value {
    path.split('.')
        .fold(row, |v, part| v.get(part).unwrap_or(&Value::Null))
}

pub(super) fn text_eq(s: &str, l: &str) -> bool {
    // Case-insensitive, ids 15/18; never a byte-offset slice (accented data).
    s.eq_ignore_ascii_case(l)
        || s.to_lowercase() == l.to_lowercase()
        || (s.len() == 18
            && l.len() == 15
            && s.get(..15).is_some_and(|p| p.eq_ignore_ascii_case(l)))
}

pub(super) fn compare(v: &Value, lit: &Lit) -> Option<Ordering> {
    match (v, lit) {
        (Value::String(s), Lit::Str(l)) => Some(s.to_lowercase().cmp(&l.to_lowercase())),
        (Value::Number(n), Lit::Num(l)) => n.as_f64()?.partial_cmp(l),
        (Value::String(s), Lit::Instant(at)) => match crate::sim::soql_time::datetime_ms(s) {
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

pub(super) fn equals(v: &Value, lit: &Lit) -> bool {
    match (v, lit) {
        (Value::Null, Lit::Null) => true,
        (Value::String(s), Lit::Str(l)) => text_eq(s, l),
        (Value::Bool(b), Lit::Bool(l)) => b == l,
        _ => compare(v, lit) == Some(Ordering::Equal),
    }
}

/// SOQL `LIKE`: `%` any run, `_` one character, case-insensitive, by characters.
pub(super) fn like(s: &str, pattern: &str) -> bool {
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

pub(super) fn eval(e: &Expr, row: &Value, canon: &dyn Fn(&str) -> &'static str) -> bool {
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

pub(super) fn cond_fields<'a>(e: &'a Expr, out: &mut Vec<(&'a str, usize)>) {
    match e {
        Expr::And(v) | Expr::Or(v) => v.iter().for_each(|e| cond_fields(e, out)),
        Expr::Not(e) => cond_fields(e, out),
        Expr::Cmp { field, at, .. } | Expr::Semi { field, at, .. } => out.push((field, *at)),
    }
}

pub(super) fn value_order(a: &Value, b: &Value, nulls_last: bool) -> Ordering {
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
pub(super) fn ordered(a: &Value, b: &Value, desc: bool, nulls_last: bool) -> Ordering {
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
