//! Tokens, and errors worded as Salesforce words them (the caret under the position).

use super::*;

pub(super) const KEYWORDS: &[&str] = &[
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "GROUP", "LIMIT",
    "OFFSET", "ASC", "DESC", "NULLS", "FIRST", "LAST", "HAVING", "WITH", "FOR", "USING", "TYPEOF",
];

pub(super) fn tokens(q: &str) -> Result<Vec<(String, usize)>, SoqlError> {
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
pub(super) const WINDOW_BEFORE: usize = 60;
pub(super) const WINDOW_AFTER: usize = 60;

/// Salesforce's query-error text: the query (a window of it around the error when it is long:
/// the column stays the query's), a caret, the position, the reason.
pub(super) fn positioned(q: &str, at: usize, reason: &str) -> String {
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

pub(super) fn malformed(q: &str, at: usize, reason: &str) -> SoqlError {
    SoqlError {
        code: "MALFORMED_QUERY",
        message: positioned(q, at, reason),
    }
}
