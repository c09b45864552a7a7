//! The Sage People `$filter` language (Microsoft REST API Guidelines style): comparisons
//! `eq ne gt ge lt le` on response field names with dot paths, `and`, `or`, `not` and
//! parentheses. Mixing `and` with `or` without parentheses is refused, as the API's
//! `CANNOT_DETERMINE_OPERATOR_PRECEDENCE` code implies. Errors carry the API's inner codes.

use serde_json::Value;

/// Parentheses nested deeper than this give `GROUPING_TOO_DEEP`.
pub const MAX_DEPTH: usize = 8;

#[derive(Debug, Clone, PartialEq)]
pub struct FilterError {
    /// The API's inner error code (`SYNTAX_ERROR`, `UNKNOWN_IDENTIFIER`, …).
    pub code: &'static str,
    pub message: String,
}

fn fail<T>(code: &'static str, message: impl Into<String>) -> Result<T, FilterError> {
    Err(FilterError {
        code,
        message: message.into(),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, PartialEq)]
enum Lit {
    Str(String),
    Num(f64),
    Bool(bool),
    Date(String),
    Null,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Cmp(String, OpLit),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct OpLit(Op, Lit);

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Lit(Lit),
    Op(Op),
    And,
    Or,
    Not,
    LParen,
    RParen,
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Ident(s) => s.clone(),
        Tok::Lit(Lit::Str(s)) => format!("'{s}'"),
        Tok::Lit(Lit::Num(n)) => n.to_string(),
        Tok::Lit(Lit::Bool(b)) => b.to_string(),
        Tok::Lit(Lit::Date(d)) => d.clone(),
        Tok::Lit(Lit::Null) => "null".into(),
        Tok::Op(op) => format!("{op:?}").to_lowercase(),
        Tok::And => "and".into(),
        Tok::Or => "or".into(),
        Tok::Not => "not".into(),
        Tok::LParen => "(".into(),
        Tok::RParen => ")".into(),
    }
}

fn lex(src: &str) -> Result<Vec<(usize, Tok)>, FilterError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' || c == ')' {
            out.push((start, if c == '(' { Tok::LParen } else { Tok::RParen }));
            i += 1;
        } else if c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => {
                        return fail(
                            "UNTERMINATED_LITERAL",
                            format!(
                                "The string literal starting at position {start} is not terminated"
                            ),
                        );
                    }
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        s.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(ch) => {
                        s.push(*ch);
                        i += 1;
                    }
                }
            }
            out.push((start, Tok::Lit(Lit::Str(s))));
        } else if c.is_ascii_digit()
            || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            i += 1;
            while i < chars.len()
                && (chars[i].is_ascii_digit() || chars[i] == '.' || chars[i] == '-')
            {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            let is_date = text.len() == 10
                && text.as_bytes()[4] == b'-'
                && text.as_bytes()[7] == b'-'
                && text
                    .bytes()
                    .enumerate()
                    .all(|(k, b)| k == 4 || k == 7 || b.is_ascii_digit());
            if is_date {
                out.push((start, Tok::Lit(Lit::Date(text))));
            } else if let Ok(n) = text.parse::<f64>() {
                out.push((start, Tok::Lit(Lit::Num(n))));
            } else {
                return fail(
                    "SYNTAX_ERROR",
                    format!(
                        "'{text}' at position {start} is neither a number nor a date (yyyy-mm-dd)"
                    ),
                );
            }
        } else if c.is_ascii_alphabetic() || c == '_' {
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '.')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let tok = match word.as_str() {
                "eq" => Tok::Op(Op::Eq),
                "ne" => Tok::Op(Op::Ne),
                "gt" => Tok::Op(Op::Gt),
                "ge" => Tok::Op(Op::Ge),
                "lt" => Tok::Op(Op::Lt),
                "le" => Tok::Op(Op::Le),
                "and" => Tok::And,
                "or" => Tok::Or,
                "not" => Tok::Not,
                "true" => Tok::Lit(Lit::Bool(true)),
                "false" => Tok::Lit(Lit::Bool(false)),
                "null" => Tok::Lit(Lit::Null),
                _ => Tok::Ident(word),
            };
            out.push((start, tok));
        } else {
            return fail(
                "SYNTAX_ERROR",
                format!("Unexpected character '{c}' at position {start}"),
            );
        }
    }
    Ok(out)
}

struct Parser<'a> {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    template: &'a Value,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }

    fn unexpected<T>(&self) -> Result<T, FilterError> {
        match self.toks.get(self.pos) {
            Some((at, t)) => fail(
                "UNEXPECTED_TOKEN",
                format!("Unexpected token '{}' at position {at}", describe(t)),
            ),
            None => fail("SYNTAX_ERROR", "The filter ended unexpectedly"),
        }
    }

    fn expr(&mut self, depth: usize) -> Result<Expr, FilterError> {
        let mut items = vec![self.unary(depth)?];
        let mut joiner: Option<Tok> = None;
        while let Some(t @ (Tok::And | Tok::Or)) = self.peek().cloned() {
            if joiner.as_ref().is_some_and(|j| *j != t) {
                return fail(
                    "CANNOT_DETERMINE_OPERATOR_PRECEDENCE",
                    "Use parentheses to group 'and' and 'or' conditions",
                );
            }
            joiner = Some(t);
            self.pos += 1;
            items.push(self.unary(depth)?);
        }
        Ok(match joiner {
            // The loop above pushed at least one item.
            #[allow(clippy::expect_used)]
            None => items.pop().expect("one item"),
            Some(Tok::And) => Expr::And(items),
            Some(_) => Expr::Or(items),
        })
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, FilterError> {
        match self.peek() {
            Some(Tok::Not) => {
                // `not not …` without recursion: an even run cancels out.
                let mut nots = 0usize;
                while self.peek() == Some(&Tok::Not) {
                    self.pos += 1;
                    nots += 1;
                }
                let inner = self.unary(depth)?;
                Ok(if nots % 2 == 1 {
                    Expr::Not(Box::new(inner))
                } else {
                    inner
                })
            }
            Some(Tok::LParen) => {
                if depth >= MAX_DEPTH {
                    return fail(
                        "GROUPING_TOO_DEEP",
                        format!("Parentheses may be nested at most {MAX_DEPTH} deep"),
                    );
                }
                self.pos += 1;
                let inner = self.expr(depth + 1)?;
                if self.peek() != Some(&Tok::RParen) {
                    return self.unexpected();
                }
                self.pos += 1;
                Ok(inner)
            }
            Some(Tok::Ident(_)) => self.comparison(),
            _ => self.unexpected(),
        }
    }

    fn comparison(&mut self) -> Result<Expr, FilterError> {
        let Some(Tok::Ident(field)) = self.peek().cloned() else {
            return self.unexpected();
        };
        self.pos += 1;
        let Some(Tok::Op(op)) = self.peek().cloned() else {
            return self.unexpected();
        };
        self.pos += 1;
        let Some(Tok::Lit(lit)) = self.peek().cloned() else {
            return self.unexpected();
        };
        self.pos += 1;
        self.check_types(&field, op, &lit)?;
        Ok(Expr::Cmp(field, OpLit(op, lit)))
    }

    fn check_types(&self, field: &str, op: Op, lit: &Lit) -> Result<(), FilterError> {
        let mut v = self.template;
        for part in field.split('.') {
            match v.get(part) {
                Some(next) => v = next,
                None => return fail("UNKNOWN_IDENTIFIER", format!("Unknown field '{field}'")),
            }
        }
        if v.is_object() || v.is_array() {
            return fail(
                "INVALID_OPERATION",
                format!(
                    "'{field}' is an object and cannot be filtered directly; filter on one of its fields"
                ),
            );
        }
        let ordering = !matches!(op, Op::Eq | Op::Ne);
        let ok = match (v, lit) {
            (_, Lit::Null) => !ordering,
            (Value::Null, _) => true,
            (Value::String(_), Lit::Str(_) | Lit::Date(_)) => true,
            (Value::Number(_), Lit::Num(_)) => true,
            (Value::Bool(_), Lit::Bool(_)) => !ordering,
            _ => false,
        };
        if !ok {
            if ordering && matches!(lit, Lit::Null | Lit::Bool(_)) {
                let op = describe(&Tok::Op(op));
                return fail(
                    "INVALID_OPERATION",
                    format!(
                        "'{op}' cannot compare '{field}' with {}",
                        describe(&Tok::Lit(lit.clone()))
                    ),
                );
            }
            return fail(
                "DATA_TYPE_MISMATCH",
                format!(
                    "The value {} does not match the type of '{field}'",
                    describe(&Tok::Lit(lit.clone()))
                ),
            );
        }
        Ok(())
    }
}

/// Parses a filter, checking field names and types against `template` (a fully populated record).
pub fn parse(src: &str, template: &Value) -> Result<Expr, FilterError> {
    let toks = lex(src)?;
    if toks.is_empty() {
        return fail("SYNTAX_ERROR", "The filter is empty");
    }
    let mut p = Parser {
        toks,
        pos: 0,
        template,
    };
    let expr = p.expr(0)?;
    if p.pos < p.toks.len() {
        return p.unexpected();
    }
    Ok(expr)
}

impl Expr {
    pub fn matches(&self, record: &Value) -> bool {
        match self {
            Expr::And(items) => items.iter().all(|e| e.matches(record)),
            Expr::Or(items) => items.iter().any(|e| e.matches(record)),
            Expr::Not(e) => !e.matches(record),
            Expr::Cmp(field, OpLit(op, lit)) => {
                let mut v = record;
                for part in field.split('.') {
                    v = v.get(part).unwrap_or(&Value::Null);
                }
                compare(v, *op, lit)
            }
        }
    }
}

fn compare(v: &Value, op: Op, lit: &Lit) -> bool {
    use std::cmp::Ordering;
    let ord: Option<Ordering> = match (v, lit) {
        (Value::Null, Lit::Null) => Some(Ordering::Equal),
        (_, Lit::Null) | (Value::Null, _) => None,
        (Value::String(s), Lit::Str(l) | Lit::Date(l)) => Some(s.as_str().cmp(l.as_str())),
        (Value::Number(n), Lit::Num(l)) => n.as_f64().and_then(|n| n.partial_cmp(l)),
        (Value::Bool(b), Lit::Bool(l)) => Some(b.cmp(l)),
        _ => None,
    };
    match (op, ord) {
        (Op::Eq, o) => o == Some(Ordering::Equal),
        (Op::Ne, o) => o != Some(Ordering::Equal),
        (_, None) => false,
        (Op::Gt, Some(o)) => o == Ordering::Greater,
        (Op::Ge, Some(o)) => o != Ordering::Less,
        (Op::Lt, Some(o)) => o == Ordering::Less,
        (Op::Le, Some(o)) => o != Ordering::Greater,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template() -> Value {
        json!({"id": "a", "amount": 10, "reason": "Performance", "paidDate": "2024-05-01",
               "currentEmployment": {"active": true, "endDate": null}, "workAddress": {"city": "Reading"}})
    }

    fn code(src: &str) -> &'static str {
        parse(src, &template()).unwrap_err().code
    }

    #[test]
    fn evaluates_comparisons_and_logic() {
        let t = template();
        let ok = |s: &str| parse(s, &t).unwrap().matches(&t);
        assert!(ok("reason eq 'Performance'"));
        assert!(ok("amount gt 5 and amount le 10"));
        assert!(ok(
            "(amount lt 5 or reason ne 'x') and currentEmployment.active eq true"
        ));
        assert!(ok("paidDate ge 2024-01-01 and paidDate le 2024-12-31"));
        assert!(ok("currentEmployment.endDate eq null"));
        assert!(ok("not (amount eq 11)"));
        assert!(!ok("workAddress.city eq 'London'"));
        assert!(ok("reason eq 'O''Brien' or amount eq 10"));
    }

    #[test]
    fn errors_carry_the_api_inner_codes() {
        assert_eq!(code(""), "SYNTAX_ERROR");
        assert_eq!(code("reason eq 'Perf"), "UNTERMINATED_LITERAL");
        assert_eq!(code("reason eq eq"), "UNEXPECTED_TOKEN");
        assert_eq!(code("reason eq"), "SYNTAX_ERROR");
        assert_eq!(code("nope eq 1"), "UNKNOWN_IDENTIFIER");
        assert_eq!(code("workAddress eq null"), "INVALID_OPERATION");
        assert_eq!(code("amount eq 'ten'"), "DATA_TYPE_MISMATCH");
        assert_eq!(
            code("amount eq 1 and amount eq 2 or amount eq 3"),
            "CANNOT_DETERMINE_OPERATOR_PRECEDENCE"
        );
        assert_eq!(
            code(&format!("{}amount eq 1{}", "(".repeat(9), ")".repeat(9))),
            "GROUPING_TOO_DEEP"
        );
        assert_eq!(code("amount eq 1 )"), "UNEXPECTED_TOKEN");
        assert_eq!(code("amount # 1"), "SYNTAX_ERROR");
    }
}
