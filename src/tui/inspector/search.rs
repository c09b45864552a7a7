//! The inspector's search: a query typed after `/` is looked for from the line the search was
//! opened on, wrapping around; `n` / `N` go to the next and previous match. An ASCII query is
//! looked for by bytes in the body the log holds (a JSON body's too, where the line's source is
//! as shown), else line by line as shown. A query with no match leaves the view where it was.

use std::ops::Range;

use super::Inspector;
use super::index::{Index, Ix, JSON, KEY, count_chars};
use super::json::key_end;
use crate::tui::form::first_line;

impl Inspector {
    /// The first line at or after `from` (forward) or before it (backward) holding the query,
    /// wrapping around; the view moves there. With no match, the view stays.
    pub(super) fn seek(&mut self, from: usize, forward: bool) {
        let q = Query::new(&self.query);
        if q.chars.is_empty() || self.doc.lines.is_empty() {
            self.found = None;
            return;
        }
        let Some((line, col)) = self.doc.find(from, forward, &q) else {
            self.found = Some(false);
            return;
        };
        self.scroll = line;
        self.sub = 0;
        self.found = Some(true);
        let width = self.view.0;
        if self.wrap {
            // The row holding the match at the top.
            self.sub = col / width;
        } else if col < self.hscroll || col >= self.hscroll + width {
            // Wrap off: bring the match into view.
            self.hscroll = col.saturating_sub(10);
        }
    }

    /// The search field changed: search again from where the search started, the view as it
    /// was then (so a query with no match, or none, leaves it there).
    pub fn search_changed(&mut self) {
        self.query = self.search.as_ref().map(first_line).unwrap_or_default();
        (self.scroll, self.sub, self.hscroll) = self.origin;
        let from = self.search_from;
        self.seek(from, true);
    }
}

impl Index {
    /// The first line at or after `from` (forward) or before it (backward) holding `q`,
    /// wrapping around, and the match's column as shown.
    pub(super) fn find(&self, from: usize, forward: bool, q: &Query) -> Option<(usize, usize)> {
        let n = self.lines.len();
        if n == 0 || q.chars.is_empty() {
            return None;
        }
        let from = from % n;
        if forward {
            self.first_in(from..n, q)
                .or_else(|| self.first_in(0..from, q))
        } else {
            self.last_in(0..from + 1, q)
                .or_else(|| self.last_in(from + 1..n, q))
        }
    }

    /// The body run `i` is in, with whether byte search suits it for `q`.
    fn run_at(&self, i: usize, q: &Query) -> Option<(Range<usize>, bool)> {
        let (r, plain) = self.runs.iter().find(|(r, _)| r.contains(&i))?;
        let json = self.lines.get(i).is_some_and(|l| l.kind() == JSON);
        let bytes = q.ascii.is_some() && (!json || (*plain && q.plain));
        Some((r.clone(), bytes))
    }

    /// The first line of `range` holding `q`, and the match's column.
    fn first_in(&self, range: Range<usize>, q: &Query) -> Option<(usize, usize)> {
        let mut i = range.start;
        while i < range.end {
            if let Some((run, true)) = self.run_at(i, q) {
                let end = run.end.min(range.end);
                if let Some(hit) = self.bytes_first(i..end, q) {
                    return Some(hit);
                }
                i = end;
                continue;
            }
            if let Some(col) = self.find_in_line(i, q) {
                return Some((i, col));
            }
            i += 1;
        }
        None
    }

    /// The last line of `range` holding `q`, and the (first) match's column in it.
    fn last_in(&self, range: Range<usize>, q: &Query) -> Option<(usize, usize)> {
        let mut i = range.end;
        while i > range.start {
            if let Some((run, true)) = self.run_at(i - 1, q) {
                let start = run.start.max(range.start);
                if let Some(hit) = self.bytes_last(start..i, q) {
                    return Some(hit);
                }
                i = start;
                continue;
            }
            if let Some(col) = self.find_in_line(i - 1, q) {
                return Some((i - 1, col));
            }
            i -= 1;
        }
        None
    }

    /// Byte search over the lines `range` of one body (ASCII query).
    fn bytes_first(&self, range: Range<usize>, q: &Query) -> Option<(usize, usize)> {
        let (first, last) = (self.lines.get(range.start)?, self.lines.get(range.end - 1)?);
        let body = self.body(first.meta).as_bytes();
        let needle = q.ascii.as_deref()?;
        let mut at = first.start as usize;
        let stop = last.end as usize;
        while let Some(p) = find_ascii_ci(body.get(at..stop)?, needle).map(|p| p + at) {
            let j = self.line_holding(range.clone(), p);
            if let Some(l) = self.lines.get(j)
                && p + needle.len() <= l.end as usize
            {
                return Some((j, self.column(l, p)));
            }
            at = p + 1;
        }
        None
    }

    fn bytes_last(&self, range: Range<usize>, q: &Query) -> Option<(usize, usize)> {
        let (first, last) = (self.lines.get(range.start)?, self.lines.get(range.end - 1)?);
        let body = self.body(first.meta).as_bytes();
        let needle = q.ascii.as_deref()?;
        let start = first.start as usize;
        let mut stop = last.end as usize;
        while let Some(p) = rfind_ascii_ci(body.get(start..stop)?, needle).map(|p| p + start) {
            let j = self.line_holding(range.clone(), p);
            if let Some(l) = self.lines.get(j)
                && p + needle.len() <= l.end as usize
            {
                // The line's first match.
                let s = l.start as usize;
                let first = body
                    .get(s..l.end as usize)
                    .and_then(|b| find_ascii_ci(b, needle))
                    .map_or(p, |f| f + s);
                return Some((j, self.column(l, first)));
            }
            stop = p + needle.len() - 1;
        }
        None
    }

    /// The line of `range` (one body's) holding byte `p`.
    fn line_holding(&self, range: Range<usize>, p: usize) -> usize {
        let slice = self.lines.get(range.clone()).unwrap_or_default();
        range.start
            + slice
                .partition_point(|l| l.start as usize <= p)
                .saturating_sub(1)
    }

    /// The column (chars as shown) of byte `p` of line `l`'s source.
    fn column(&self, l: &Ix, p: usize) -> usize {
        let src = self.body(l.meta).as_bytes();
        let before = match l.ascii() {
            true => p.saturating_sub(l.start as usize),
            false => count_chars(src.get(l.start as usize..p).unwrap_or_default()),
        };
        if l.kind() != JSON {
            return before;
        }
        let mut col = 2 * l.depth() + before;
        if l.meta & KEY != 0 {
            let line = src.get(l.range()).unwrap_or_default();
            if p > l.start as usize + key_end(line) {
                col += 1;
            }
        }
        col
    }

    /// Where `q` first occurs in line `i` as shown, as a char column.
    fn find_in_line(&self, i: usize, q: &Query) -> Option<usize> {
        let r = self.rendered(i)?;
        find_chars(r.chars(), &q.chars)
    }
}

/// A query: lowercase chars, and the lowercase ASCII bytes when it is ASCII (searched by bytes);
/// `plain` when it holds no whitespace or colon (so a match in a JSON line as shown is a match
/// in its source).
pub(super) struct Query {
    chars: Vec<char>,
    ascii: Option<Vec<u8>>,
    plain: bool,
}

impl Query {
    pub(super) fn new(q: &str) -> Query {
        let chars: Vec<char> = q.chars().flat_map(char::to_lowercase).collect();
        let ascii = q.is_ascii().then(|| q.to_ascii_lowercase().into_bytes());
        let plain = !q.chars().any(|c| c.is_whitespace() || c == ':');
        Query {
            chars,
            ascii: ascii.filter(|a| !a.is_empty()),
            plain,
        }
    }
}

/// The byte of `q` to look for first: the rarest in text (punctuation other than JSON's, then
/// digits, then the rarer letters), so that `memchr` skips most of the body.
fn anchor(q: &[u8]) -> usize {
    const LETTERS: &[u8] = b"etaoinsrhldcumfpgwybvkxjqz";
    let rarity = |b: u8| match b {
        b' ' | b'"' | b':' | b',' | b'{' | b'}' | b'[' | b']' | b'.' | b'/' => 0,
        b'a'..=b'z' => LETTERS.iter().position(|l| *l == b).unwrap_or(0) + 1,
        b'0'..=b'9' => 20,
        _ => 30,
    };
    (0..q.len())
        .max_by_key(|&i| (q.get(i).map_or(0, |b| rarity(*b)), std::cmp::Reverse(i)))
        .unwrap_or(0)
}

/// Candidates for `q` in `hay`: where its anchor byte (either case) occurs, minus its offset.
fn anchor_hits(hay: &[u8], q: &[u8], rev: bool) -> impl Iterator<Item = usize> {
    let k = anchor(q);
    let b = q.get(k).copied().unwrap_or(0);
    let (lo, up) = (b.to_ascii_lowercase(), b.to_ascii_uppercase());
    let it: Box<dyn Iterator<Item = usize>> = if rev {
        Box::new(memchr::memrchr2_iter(lo, up, hay))
    } else {
        Box::new(memchr::memchr2_iter(lo, up, hay))
    };
    it.filter_map(move |p| p.checked_sub(k))
}

/// Where lowercase ASCII `q` first occurs in `hay`, ASCII case ignored.
fn find_ascii_ci(hay: &[u8], q: &[u8]) -> Option<usize> {
    if q.is_empty() {
        return None;
    }
    anchor_hits(hay, q, false).find(|&p| {
        hay.get(p..p + q.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(q))
    })
}

/// Where lowercase ASCII `q` last occurs (wholly) in `hay`, ASCII case ignored.
fn rfind_ascii_ci(hay: &[u8], q: &[u8]) -> Option<usize> {
    if q.is_empty() {
        return None;
    }
    anchor_hits(hay, q, true).find(|&p| {
        hay.get(p..p + q.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(q))
    })
}

/// Where `q` (lowercase chars) first occurs in `line`, case-insensitively, as a char index.
fn find_chars(line: impl Iterator<Item = char> + Clone, q: &[char]) -> Option<usize> {
    if q.is_empty() {
        return None;
    }
    let lower = |c: char| c.to_lowercase().next().unwrap_or(c);
    let mut it = line;
    let mut col = 0;
    loop {
        let mut w = it.clone().map(lower);
        if q.iter().all(|c| w.next() == Some(*c)) {
            return Some(col);
        }
        it.next()?;
        col += 1;
    }
}

/// Where `q` (lowercase chars) first occurs in `line`, case-insensitively, as a char index.
pub fn find_ci(line: &str, q: &[char]) -> Option<usize> {
    find_chars(line.chars(), q)
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{employees, exchange};
    use super::*;
    use crate::tui::keymap::Action;

    #[test]
    fn search_finds_a_match_deep_in_a_huge_line() {
        let mut body = "abc ".repeat(1_000_000);
        body.push_str("Needle é ");
        body.push_str(&"xyz ".repeat(1000));
        let mut ins = Inspector::new(&exchange(&body));
        ins.set_view(100, 20);
        let line = ins.len() - 1;
        assert_eq!(ins.widest(), body.chars().count());
        for q in ["needle", "NEEDLE é"] {
            ins.query = q.into();
            ins.scroll = 0;
            ins.hscroll = 0;
            ins.on_action(Action::FindNext);
            assert_eq!((ins.found, ins.scroll), (Some(true), line), "{q}");
            assert_eq!(ins.hscroll, 4_000_000 - 10, "{q}");
            let shown = ins.doc.rendered(line).unwrap().window(ins.hscroll, 100);
            assert!(shown.starts_with("c abc abc Needle é xyz"), "{shown}");
        }
        // Backward, and wrap on: the row holding the match is at the top.
        ins.on_action(Action::Wrap);
        ins.on_action(Action::FindPrev);
        assert_eq!((ins.scroll, ins.sub), (line, 4_000_000 / 100));
        ins.query = "absent".into();
        ins.on_action(Action::FindNext);
        assert_eq!(ins.found, Some(false));
        // In JSON, the column is where it is shown (indent and the space after the colon).
        let mut ins = Inspector::new(&exchange(&employees(50).to_string()));
        for q in ["e49@example", "zoë \\\"z", "\"e\": {", "employee 49"] {
            ins.query = q.into();
            ins.scroll = 0;
            ins.hscroll = 0;
            ins.on_action(Action::FindNext);
            assert_eq!(ins.found, Some(true), "{q}");
            let text = ins.line(ins.scroll).unwrap();
            assert!(
                text.to_lowercase().contains(&q.to_lowercase()),
                "{q}: {text}"
            );
            ins.on_action(Action::FindPrev);
            ins.on_action(Action::FindNext);
            assert!(
                ins.line(ins.scroll)
                    .unwrap()
                    .to_lowercase()
                    .contains(&q.to_lowercase())
            );
        }
        ins.query = "employee 49".into();
        ins.scroll = 0;
        ins.on_action(Action::FindPrev);
        assert!(ins.line(ins.scroll).unwrap().contains("Employee 49 "));
    }

    #[test]
    fn byte_search_ignores_ascii_case_and_finds_first_and_last() {
        let hay = b"xx Needle-1 yy NEEDLE-1 zz needle";
        assert_eq!(find_ascii_ci(hay, b"needle-1"), Some(3));
        assert_eq!(rfind_ascii_ci(hay, b"needle-1"), Some(15));
        assert_eq!(rfind_ascii_ci(hay, b"needle"), Some(27));
        assert_eq!(find_ascii_ci(hay, b"x"), Some(0));
        assert_eq!(find_ascii_ci(hay, b"needle-2"), None);
        assert_eq!(find_ascii_ci(b"ab", b"abc"), None);
        assert_eq!(anchor(b"needle-near"), 6);
    }
}
