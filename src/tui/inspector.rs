//! The inspector: one exchange indexed once into lines, a few bytes each (where the line's text
//! is in the body the log holds, its width and its indent); drawing materialises the visible
//! window only. A JSON body is re-indented by a tolerant byte-level tokenizer (no parse), so a
//! body cut off mid-document is still pretty-printed as far as it goes. With wrap on, scrolling
//! is by screen rows, over a cache of rows per line kept for the width last drawn. Search starts
//! from where it was opened, highlights the match itself, and says "no match".
//!
//! The re-indented text equals `serde_json::to_string_pretty` of the parsed body, but for the
//! text of numbers, kept as sent (`1E2` stays `1E2`; the log's JSON bodies are serde's compact
//! output already, so there they agree too). Columns are counted in chars.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::ops::Range;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState};
use ratatui_textarea::TextArea;

use super::form::{first_line, text};
use super::keymap::Action;
use super::theme::Theme;
use crate::engine::http::{BodyText, Exchange};

/// What the inspector says in place of a body the log dropped.
pub const DROPPED: &str = "body dropped from the log to bound memory";

// An index entry's `meta`: bits 0-1 the kind, bit 2 which body, bit 3 a `"key": ` line, bit 4 a
// line whose source has whitespace between its tokens, the rest the indent depth.
const TEXT: u32 = 0;
const RAW: u32 = 1;
const JSON: u32 = 2;
const RESPONSE: u32 = 1 << 2;
const KEY: u32 = 1 << 3;
const LOOSE: u32 = 1 << 4;
const DEPTH_SHIFT: u32 = 5;

/// One line: `start..end` in its body (or, for a text line, `start` indexes `texts`), its width
/// in chars as shown, and `meta`.
#[derive(Clone, Copy, Debug)]
struct Ix {
    start: u32,
    end: u32,
    chars: u32,
    meta: u32,
}

impl Ix {
    fn kind(&self) -> u32 {
        self.meta & 3
    }
    fn depth(&self) -> usize {
        (self.meta >> DEPTH_SHIFT) as usize
    }
    fn range(&self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
    /// A body line whose source is ASCII (one byte a char): columns are byte offsets.
    fn ascii(&self) -> bool {
        let extra = match self.kind() {
            JSON => 2 * self.depth() + usize::from(self.meta & KEY != 0),
            _ => 0,
        };
        self.kind() != TEXT
            && self.meta & LOOSE == 0
            && self.chars as usize == (self.end - self.start) as usize + extra
    }
}

/// Rows per line at one width: `prefix[i]` is the row line `i` starts on.
struct Rows {
    width: usize,
    prefix: Vec<u64>,
}

pub struct Inspector {
    pub id: u64,
    texts: Vec<String>,
    request: Option<BodyText>,
    response: Option<BodyText>,
    lines: Vec<Ix>,
    /// The lines of each body (for search by bytes), and whether its source is plain enough
    /// (no whitespace between the tokens of a line) for it.
    runs: Vec<(Range<usize>, bool)>,
    widest: usize,
    /// The first line on screen, and (wrap on) the row of it at the top.
    pub scroll: usize,
    pub sub: usize,
    /// Columns scrolled right (wrap off).
    pub hscroll: usize,
    pub wrap: bool,
    /// The search being typed (`/`), and where it started.
    pub search: Option<TextArea<'static>>,
    pub search_from: usize,
    /// The last search, for `n` / `N`, and whether it matched.
    pub query: String,
    pub found: Option<bool>,
    pub curl: String,
    /// The body area last drawn (columns, rows): paging and wrapping follow it.
    view: Cell<(usize, usize)>,
    rows: RefCell<Option<Rows>>,
}

impl Inspector {
    pub fn new(e: &Exchange) -> Inspector {
        let mut b = Builder::default();
        b.text(format!("{} {}", e.method, e.url));
        b.text(format!(
            "status {}  ·  {} ms  ·  {} bytes{}",
            e.status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "—".into()),
            e.duration_ms,
            e.response_bytes,
            if e.body_dropped {
                " (body dropped from the log)".to_string()
            } else if e.body_truncated && e.response_body.as_ref().is_none_or(|b| b.is_empty()) {
                // Bulk pages (field coverage) are logged without their bodies: HR data.
                " (body not kept in the log: bulk HR data)".to_string()
            } else if e.body_truncated {
                format!(
                    " (body cut in the log: its first {} bytes kept)",
                    e.response_body.as_ref().map_or(0, |b| b.len())
                )
            } else {
                String::new()
            }
        ));
        if let Some(err) = &e.error {
            b.text(format!("error: {err}"));
        }
        b.text(String::new());
        b.text("── Request headers".into());
        for (k, v) in &e.request_headers {
            b.text(format!("{k}: {v}"));
        }
        if let Some(body) = &e.request_body {
            b.text(String::new());
            b.text("── Request body".into());
            b.body(body, 0);
        }
        b.text(String::new());
        b.text("── Response headers".into());
        for (k, v) in &e.response_headers {
            b.text(format!("{k}: {v}"));
        }
        if let Some(body) = &e.response_body {
            b.text(String::new());
            b.text("── Response body".into());
            b.body(body, RESPONSE);
        } else if e.body_dropped {
            b.text(String::new());
            b.text("── Response body".into());
            b.text(DROPPED.into());
        }
        let widest = b.lines.iter().map(|l| l.chars as usize).max().unwrap_or(0);
        Inspector {
            id: e.id,
            texts: b.texts,
            request: e.request_body.clone(),
            response: e.response_body.clone(),
            lines: b.lines,
            runs: b.runs,
            widest,
            scroll: 0,
            sub: 0,
            hscroll: 0,
            wrap: false,
            search: None,
            search_from: 0,
            query: String::new(),
            found: None,
            curl: curl(e),
            view: Cell::new((80, 20)),
            rows: RefCell::new(None),
        }
    }

    /// How many lines.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The widest line, in chars.
    pub fn widest(&self) -> usize {
        self.widest
    }

    /// Line `i` as shown (materialised: for tests and copying, not for drawing).
    pub fn line(&self, i: usize) -> Option<String> {
        let r = self.rendered(i)?;
        Some(r.chars().collect())
    }

    /// Rows on screen (for paging).
    pub fn page(&self) -> usize {
        self.view.get().1.max(1)
    }

    /// Sets the body area's size, as drawing does (columns, rows).
    pub fn set_view(&self, width: usize, height: usize) {
        self.view.set((width.max(1), height.max(1)));
    }

    fn body(&self, meta: u32) -> &str {
        let b = if meta & RESPONSE != 0 {
            &self.response
        } else {
            &self.request
        };
        b.as_deref().unwrap_or_default()
    }

    /// Line `i` in its parts, nothing copied but for a line whose source has whitespace
    /// between its tokens.
    fn rendered(&self, i: usize) -> Option<Rendered<'_>> {
        let l = self.lines.get(i)?;
        let ascii = l.ascii();
        Some(match l.kind() {
            TEXT => Rendered::plain(self.texts.get(l.start as usize).map_or("", String::as_str)),
            RAW => Rendered {
                ascii,
                ..Rendered::plain(self.body(l.meta).get(l.range()).unwrap_or_default())
            },
            _ => {
                let src = self.body(l.meta).get(l.range()).unwrap_or_default();
                let indent = 2 * l.depth();
                if l.meta & LOOSE != 0 {
                    Rendered {
                        indent,
                        a: Cow::Owned(tidy(src)),
                        space: false,
                        b: "",
                        ascii,
                    }
                } else if l.meta & KEY != 0 {
                    let colon = key_end(src.as_bytes()) + 1;
                    match (src.get(..colon), src.get(colon..)) {
                        (Some(a), Some(b)) => Rendered {
                            indent,
                            a: Cow::Borrowed(a),
                            space: true,
                            b,
                            ascii,
                        },
                        _ => Rendered {
                            indent,
                            a: Cow::Owned(tidy(src)),
                            space: false,
                            b: "",
                            ascii,
                        },
                    }
                } else {
                    Rendered {
                        indent,
                        a: Cow::Borrowed(src),
                        space: false,
                        b: "",
                        ascii,
                    }
                }
            }
        })
    }

    fn rows_of(&self, i: usize, width: usize) -> u64 {
        let c = self.lines.get(i).map_or(0, |l| l.chars as u64);
        c.div_ceil(width as u64).max(1)
    }

    /// Runs `f` over the rows cache for `width`, built when the width changed.
    fn with_rows<R>(&self, width: usize, f: impl FnOnce(&Rows) -> R) -> R {
        let mut cache = self.rows.borrow_mut();
        if cache.as_ref().is_none_or(|r| r.width != width) {
            let mut prefix = Vec::with_capacity(self.lines.len() + 1);
            let mut at = 0u64;
            prefix.push(0);
            for i in 0..self.lines.len() {
                at += self.rows_of(i, width);
                prefix.push(at);
            }
            *cache = Some(Rows { width, prefix });
        }
        match cache.as_ref() {
            Some(r) => f(r),
            None => f(&Rows {
                width,
                prefix: vec![0],
            }),
        }
    }

    /// Wrap on: the row at the top of the screen, and the rows in all.
    pub fn row_position(&self) -> (u64, u64) {
        let width = self.view.get().0;
        self.with_rows(width, |r| {
            let at = r.prefix.get(self.scroll).copied().unwrap_or(0) + self.sub as u64;
            (at, r.prefix.last().copied().unwrap_or(0))
        })
    }

    /// Wrap on: moves the top of the screen to row `row` (clamped).
    fn go_row(&mut self, row: u64) {
        let width = self.view.get().0;
        let (line, sub) = self.with_rows(width, |r| {
            let total = r.prefix.last().copied().unwrap_or(0);
            let row = row.min(total.saturating_sub(1));
            let line = r.prefix.partition_point(|p| *p <= row).saturating_sub(1);
            (line, row - r.prefix.get(line).copied().unwrap_or(0))
        });
        self.scroll = line;
        self.sub = sub as usize;
    }

    fn max(&self) -> usize {
        self.lines.len().saturating_sub(1)
    }

    /// The first line at or after `from` (forward) or before it (backward) holding the query,
    /// wrapping around; the view moves there.
    fn seek(&mut self, from: usize, forward: bool) {
        let q = Query::new(&self.query);
        if q.chars.is_empty() || self.lines.is_empty() {
            self.found = None;
            return;
        }
        let n = self.lines.len();
        let from = from % n;
        let hit = if forward {
            self.first_in(from..n, &q)
                .or_else(|| self.first_in(0..from, &q))
        } else {
            self.last_in(0..from + 1, &q)
                .or_else(|| self.last_in(from + 1..n, &q))
        };
        let Some((line, col)) = hit else {
            self.found = Some(false);
            return;
        };
        self.scroll = line;
        self.sub = 0;
        self.found = Some(true);
        let width = self.view.get().0;
        if self.wrap {
            // The row holding the match at the top.
            self.sub = col / width;
        } else if col < self.hscroll || col >= self.hscroll + width {
            // Wrap off: bring the match into view.
            self.hscroll = col.saturating_sub(10);
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

    /// A key for the inspector (its search field takes keys while open).
    pub fn on_action(&mut self, action: Action) -> InspectorOutcome {
        let max = self.max();
        let page = self.page();
        if self.wrap
            && matches!(
                action,
                Action::Down
                    | Action::Up
                    | Action::PageDown
                    | Action::PageUp
                    | Action::Home
                    | Action::End
            )
        {
            let (row, total) = self.row_position();
            let to = match action {
                Action::Down => row + 1,
                Action::Up => row.saturating_sub(1),
                Action::PageDown => row + page as u64,
                Action::PageUp => row.saturating_sub(page as u64),
                Action::Home => 0,
                _ => total,
            };
            self.go_row(to);
            return InspectorOutcome::Stay;
        }
        match action {
            Action::Back => return InspectorOutcome::Close,
            Action::Down => self.scroll = (self.scroll + 1).min(max),
            Action::Up => self.scroll = self.scroll.saturating_sub(1),
            Action::PageDown => self.scroll = (self.scroll + page).min(max),
            Action::PageUp => self.scroll = self.scroll.saturating_sub(page),
            Action::Home => self.scroll = 0,
            Action::End => self.scroll = max,
            Action::Left => self.hscroll = self.hscroll.saturating_sub(8),
            Action::Right if !self.wrap => {
                self.hscroll = (self.hscroll + 8).min(self.widest.saturating_sub(1));
            }
            Action::Wrap => {
                self.wrap = !self.wrap;
                self.hscroll = 0;
                self.sub = 0;
            }
            Action::Find => {
                self.search = Some(text(""));
                self.search_from = self.scroll;
            }
            Action::FindNext => {
                let from = self.scroll + 1;
                self.seek(from, true);
            }
            Action::FindPrev => {
                let from = self.scroll + self.lines.len().saturating_sub(1);
                self.seek(from, false);
            }
            Action::Copy => return InspectorOutcome::Copy(self.curl.clone()),
            Action::View => return InspectorOutcome::View(self.curl.clone()),
            _ => {}
        }
        InspectorOutcome::Stay
    }

    /// The search field changed: search again from where the search started.
    pub fn search_changed(&mut self) {
        self.query = self.search.as_ref().map(first_line).unwrap_or_default();
        let from = self.search_from;
        self.seek(from, true);
    }
}

pub enum InspectorOutcome {
    Stay,
    Close,
    Copy(String),
    View(String),
}

/// A query: lowercase chars, and the lowercase ASCII bytes when it is ASCII (searched by bytes);
/// `plain` when it holds no whitespace or colon (so a match in a JSON line as shown is a match
/// in its source).
struct Query {
    chars: Vec<char>,
    ascii: Option<Vec<u8>>,
    plain: bool,
}

impl Query {
    fn new(q: &str) -> Query {
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

/// A line as shown: `indent` spaces, `a`, a space when `space`, `b`; `ascii` when `a` and `b`
/// are known to be ASCII.
struct Rendered<'a> {
    indent: usize,
    a: Cow<'a, str>,
    space: bool,
    b: &'a str,
    ascii: bool,
}

impl<'a> Rendered<'a> {
    fn plain(s: &'a str) -> Rendered<'a> {
        Rendered {
            indent: 0,
            a: Cow::Borrowed(s),
            space: false,
            b: "",
            ascii: false,
        }
    }

    fn chars(&self) -> impl Iterator<Item = char> + Clone + '_ {
        std::iter::repeat_n(' ', self.indent)
            .chain(self.a.chars())
            .chain(std::iter::repeat_n(' ', usize::from(self.space)))
            .chain(self.b.chars())
    }

    /// Chars `from..from + n`, found without walking the line char by char.
    fn window(&self, from: usize, n: usize) -> String {
        let mut out = String::new();
        let mut skip = from;
        let mut take = n;
        let spaces = |count: usize, skip: &mut usize, take: &mut usize, out: &mut String| {
            let s = count.saturating_sub(*skip);
            *skip = skip.saturating_sub(count);
            let t = s.min(*take);
            out.extend(std::iter::repeat_n(' ', t));
            *take -= t;
        };
        spaces(self.indent, &mut skip, &mut take, &mut out);
        for (i, s) in [self.a.as_ref(), self.b].into_iter().enumerate() {
            if i == 1 {
                spaces(usize::from(self.space), &mut skip, &mut take, &mut out);
            }
            if take == 0 {
                break;
            }
            let (at, skipped) = match self.ascii {
                true => (skip.min(s.len()), skip.min(s.len())),
                false => skip_chars(s, skip),
            };
            skip -= skipped;
            if skip > 0 {
                continue;
            }
            let rest = s.get(at..).unwrap_or_default();
            let end = rest.char_indices().nth(take).map_or(rest.len(), |(b, _)| b);
            let part = rest.get(..end).unwrap_or_default();
            take -= part.chars().count();
            out.push_str(part);
        }
        out
    }

    /// Shown in the colour of a JSON key or string.
    fn quoted(&self) -> bool {
        self.a.trim_start().starts_with('"')
    }
}

/// Index builder.
#[derive(Default)]
struct Builder {
    texts: Vec<String>,
    lines: Vec<Ix>,
    runs: Vec<(Range<usize>, bool)>,
}

impl Builder {
    fn text(&mut self, s: String) {
        self.lines.push(Ix {
            start: self.texts.len() as u32,
            end: 0,
            chars: s.chars().count() as u32,
            meta: TEXT,
        });
        self.texts.push(s);
    }

    /// A body's lines: JSON (an object or array) re-indented as far as it goes, else its lines.
    fn body(&mut self, body: &str, which: u32) {
        // Offsets are u32: a body past 4 GiB is shown up to there (the log never holds one).
        let body = match body.len() > u32::MAX as usize {
            true => body
                .get(..floor_char(body, u32::MAX as usize))
                .unwrap_or_default(),
            false => body,
        };
        let first = self.lines.len();
        let looks_json = matches!(body.bytes().find(|b| !is_ws(*b)), Some(b'{') | Some(b'['));
        let json = if looks_json {
            index_json(body.as_bytes(), which, &mut self.lines)
        } else {
            None
        };
        match json {
            Some(Json { complete, loose }) => {
                self.runs.push((first..self.lines.len(), !loose));
                if !complete {
                    self.text(format!(
                        "── cut at {} bytes: pretty-printed as far as it goes",
                        body.len()
                    ));
                }
            }
            None => {
                self.lines.truncate(first);
                index_raw(body, which, &mut self.lines);
                self.runs.push((first..self.lines.len(), true));
            }
        }
    }
}

fn floor_char(s: &str, mut at: usize) -> usize {
    while at > 0 && !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Chars in UTF-8 bytes (the bytes that do not continue a char).
fn count_chars(b: &[u8]) -> usize {
    b.iter().filter(|&&x| (x as i8) >= -64).count()
}

/// The byte offset of char `n` of `s` (or its end), and how many chars that skipped: counted a
/// block at a time, so a window deep in a 20 MB line is found in a few milliseconds.
fn skip_chars(s: &str, n: usize) -> (usize, usize) {
    const BLOCK: usize = 4096;
    let bytes = s.as_bytes();
    let mut at = 0;
    let mut skipped = 0;
    while skipped < n {
        let block = bytes
            .get(at..(at + BLOCK).min(bytes.len()))
            .unwrap_or_default();
        if block.is_empty() {
            break;
        }
        let c = count_chars(block);
        // A whole block, when it ends on a char boundary and does not overshoot.
        if skipped + c <= n && s.is_char_boundary(at + block.len()) {
            skipped += c;
            at += block.len();
            continue;
        }
        for (i, _) in s.get(at..).unwrap_or_default().char_indices() {
            if skipped == n {
                return (at + i, skipped);
            }
            skipped += 1;
        }
        return (bytes.len(), skipped);
    }
    (at, skipped)
}

/// Where a JSON line's key (a string at its start) ends: the colon's offset.
fn key_end(line: &[u8]) -> usize {
    let mut i = 1;
    while let Some(&b) = line.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    line.len()
}

/// A JSON line's source as shown: whitespace between tokens dropped, `: ` after a key.
fn tidy(src: &str) -> String {
    let mut out = String::with_capacity(src.len() + 1);
    let mut in_str = false;
    let mut escaped = false;
    for c in src.chars() {
        if in_str {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_str = true;
                out.push(c);
            }
            ':' => out.push_str(": "),
            ' ' | '\t' | '\n' | '\r' => {}
            _ => out.push(c),
        }
    }
    out
}

fn index_raw(body: &str, which: u32, out: &mut Vec<Ix>) {
    // As `str::lines`: split at \n, a trailing \r dropped, no empty line after a final \n.
    let mut start = 0usize;
    let bytes = body.as_bytes();
    for nl in memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len())) {
        if nl == bytes.len() && start == bytes.len() {
            break;
        }
        let end = if nl > start && bytes.get(nl - 1) == Some(&b'\r') {
            nl - 1
        } else {
            nl
        };
        out.push(Ix {
            start: start as u32,
            end: end as u32,
            chars: count_chars(bytes.get(start..end).unwrap_or_default()) as u32,
            meta: RAW | which,
        });
        start = nl + 1;
    }
}

struct Json {
    /// Every container closed.
    complete: bool,
    /// Some line has whitespace between its tokens in the source.
    loose: bool,
}

/// The line being built.
struct Cur {
    start: usize,
    end: usize,
    chars: usize,
    depth: usize,
    key: bool,
    loose: bool,
}

/// Re-indents JSON as serde's pretty printer does, by tokens (strings with their escapes,
/// brackets, commas, colons, scalars), as far as the text goes. None when it is not JSON after
/// all (a closing bracket that does not match, or text after the document).
fn index_json(b: &[u8], which: u32, out: &mut Vec<Ix>) -> Option<Json> {
    let n = b.len();
    let mut i = 0;
    let mut stack: Vec<u8> = Vec::new();
    let mut cur: Option<Cur> = None;
    let mut gap = false;
    let mut done = false;
    let mut loose = false;
    let mut flush = |cur: &mut Option<Cur>, loose: &mut bool| {
        if let Some(c) = cur.take() {
            let mut meta = JSON | which | ((c.depth.min(1 << 26) as u32) << DEPTH_SHIFT);
            if c.key {
                meta |= KEY;
            }
            if c.loose {
                meta |= LOOSE;
                *loose = true;
            }
            out.push(Ix {
                start: c.start as u32,
                end: c.end as u32,
                chars: (c.chars + 2 * c.depth).min(u32::MAX as usize) as u32,
                meta,
            });
        }
    };
    // Adds the token `start..end` (`chars` wide as shown) to the line.
    let add = |cur: &mut Option<Cur>, gap: &mut bool, depth: usize, start, end, chars| {
        match cur {
            Some(c) => {
                c.loose |= *gap;
                c.end = end;
                c.chars += chars;
            }
            None => {
                *cur = Some(Cur {
                    start,
                    end,
                    chars,
                    depth,
                    key: false,
                    loose: false,
                });
            }
        }
        *gap = false;
    };
    while i < n {
        let c = b.get(i).copied().unwrap_or(b' ');
        if is_ws(c) {
            gap = true;
            i += 1;
            continue;
        }
        if done {
            return None;
        }
        let depth = stack.len();
        match c {
            b'{' | b'[' => {
                let close = if c == b'{' { b'}' } else { b']' };
                let mut j = i + 1;
                while j < n && b.get(j).is_some_and(|x| is_ws(*x)) {
                    j += 1;
                }
                if b.get(j) == Some(&close) {
                    // Empty: `{}` / `[]` on the line.
                    add(&mut cur, &mut gap, depth, i, j + 1, 2);
                    if let Some(l) = cur.as_mut() {
                        l.loose |= j > i + 1;
                    }
                    i = j + 1;
                    done = stack.is_empty();
                } else {
                    add(&mut cur, &mut gap, depth, i, i + 1, 1);
                    flush(&mut cur, &mut loose);
                    stack.push(c);
                    i += 1;
                }
            }
            b'}' | b']' => {
                let open = if c == b'}' { b'{' } else { b'[' };
                if stack.last() != Some(&open) {
                    return None;
                }
                flush(&mut cur, &mut loose);
                stack.pop();
                gap = false;
                add(&mut cur, &mut gap, stack.len(), i, i + 1, 1);
                i += 1;
                done = stack.is_empty();
            }
            b',' => {
                if stack.is_empty() {
                    return None;
                }
                add(&mut cur, &mut gap, depth, i, i + 1, 1);
                flush(&mut cur, &mut loose);
                i += 1;
            }
            b':' => {
                add(&mut cur, &mut gap, depth, i, i + 1, 2);
                if let Some(l) = cur.as_mut() {
                    // A key line shown as its source split after the colon; anything else
                    // (no string before the colon) is tidied when shown.
                    let line = b.get(l.start..i + 1).unwrap_or_default();
                    if line.first() == Some(&b'"') && key_end(line) == i - l.start && !l.key {
                        l.key = true;
                    } else {
                        l.loose = true;
                    }
                }
                // Whitespace after the colon is what the shown space stands for.
                while i + 1 < n && b.get(i + 1).is_some_and(|x| is_ws(*x)) {
                    i += 1;
                    if let Some(l) = cur.as_mut() {
                        l.loose = true;
                    }
                }
                i += 1;
            }
            b'"' => {
                let mut j = i + 1;
                let mut chars = 1;
                // A block at a time up to the next quote or backslash.
                while j < n {
                    let rest = b.get(j..).unwrap_or_default();
                    match memchr::memchr2(b'"', b'\\', rest) {
                        Some(k) => {
                            chars += count_chars(rest.get(..k).unwrap_or_default());
                            j += k;
                            if b.get(j) == Some(&b'\\') {
                                // The escape and the byte it escapes (ASCII in JSON).
                                chars += count_chars(b.get(j..(j + 2).min(n)).unwrap_or_default());
                                j += 2;
                            } else {
                                chars += 1;
                                j += 1;
                                break;
                            }
                        }
                        None => {
                            chars += count_chars(rest);
                            j = n;
                        }
                    }
                }
                let j = j.min(n);
                add(&mut cur, &mut gap, depth, i, j, chars);
                i = j;
                done = stack.is_empty();
            }
            _ => {
                let mut j = i + 1;
                while j < n
                    && b.get(j).is_some_and(|x| {
                        !is_ws(*x) && !matches!(x, b',' | b':' | b'{' | b'}' | b'[' | b']' | b'"')
                    })
                {
                    j += 1;
                }
                let chars = count_chars(b.get(i..j).unwrap_or_default());
                add(&mut cur, &mut gap, depth, i, j, chars);
                i = j;
                done = stack.is_empty();
            }
        }
    }
    flush(&mut cur, &mut loose);
    Some(Json {
        complete: stack.is_empty(),
        loose,
    })
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

/// The exchange as a curl command, secrets redacted (as captured).
pub fn curl(e: &Exchange) -> String {
    let q = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let mut parts = vec!["curl".to_string()];
    if e.method != "GET" {
        parts.push(format!("-X {}", e.method));
    }
    for (k, v) in &e.request_headers {
        parts.push(format!("-H {}", q(&format!("{k}: {v}"))));
    }
    if let Some(b) = &e.request_body {
        parts.push(format!("--data {}", q(b)));
    }
    parts.push(q(&e.url));
    parts.join(" ")
}

/// A row's text, with the first match of `q` highlighted.
fn row_spans<'a>(row: String, base: Style, q: &[char], t: &Theme) -> Line<'a> {
    let Some(at) = find_ci(&row, q) else {
        return Line::from(Span::styled(row, base));
    };
    let byte = |n: usize| row.char_indices().nth(n).map_or(row.len(), |(b, _)| b);
    let (s, e) = (byte(at), byte(at + q.len()));
    let part = |r: Range<usize>| row.get(r).unwrap_or_default().to_string();
    Line::from(vec![
        Span::styled(part(0..s), base),
        Span::styled(part(s..e), t.selected().add_modifier(Modifier::UNDERLINED)),
        Span::styled(part(e..row.len()), base),
    ])
}

/// Splits `s` into rows of `width` chars.
fn chunk(s: &str, width: usize) -> Vec<String> {
    let mut rows = Vec::new();
    let mut row = String::new();
    let mut n = 0;
    for c in s.chars() {
        if n == width {
            rows.push(std::mem::take(&mut row));
            n = 0;
        }
        row.push(c);
        n += 1;
    }
    rows.push(row);
    rows
}

pub fn draw(f: &mut Frame, ins: &Inspector, t: &Theme, area: Rect) {
    let r = area;
    f.render_widget(Clear, r);
    let block = t.block(format!(
        " Request #{} — line {}/{}{} ",
        ins.id,
        ins.scroll + 1,
        ins.lines.len(),
        if ins.hscroll > 0 {
            format!(" · col {}", ins.hscroll + 1)
        } else {
            String::new()
        }
    ));
    let inner = block.inner(r);
    f.render_widget(block, r);
    let [body, prompt] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
    let height = body.height as usize;
    let width = (body.width as usize).max(1);
    ins.set_view(width, height);
    let q: Vec<char> = ins.query.chars().flat_map(char::to_lowercase).collect();
    let mut lines: Vec<Line> = Vec::with_capacity(height);
    let mut i = ins.scroll;
    let mut first_row = if ins.wrap { ins.sub } else { 0 };
    while lines.len() < height && i < ins.lines.len() {
        let Some(rl) = ins.rendered(i) else { break };
        let base = match ins.lines.get(i).map(Ix::kind) {
            Some(TEXT) if rl.a.starts_with("──") => {
                Style::default().add_modifier(Modifier::BOLD)
            }
            _ if rl.quoted() => t.fg(Color::Cyan),
            _ => Style::default(),
        };
        if ins.wrap {
            let want = height - lines.len();
            let text = rl.window(first_row * width, want * width);
            for row in chunk(&text, width).into_iter().take(want) {
                lines.push(row_spans(row, base, &q, t));
            }
            first_row = 0;
        } else {
            lines.push(row_spans(rl.window(ins.hscroll, width), base, &q, t));
        }
        i += 1;
    }
    f.render_widget(Paragraph::new(lines), body);
    let (len, at) = if ins.wrap {
        let (row, total) = ins.row_position();
        (total as usize, row as usize)
    } else {
        (ins.lines.len(), ins.scroll)
    };
    if len > height && !t.plain {
        let mut st = ScrollbarState::new(len).position(at);
        f.render_stateful_widget(
            Scrollbar::new(ScrollbarOrientation::VerticalRight),
            r,
            &mut st,
        );
    }
    // The prompt line: the search being typed, or the last search's result, or the keys.
    match &ins.search {
        Some(ta) => {
            let [label, field] =
                Layout::horizontal([Constraint::Length(10), Constraint::Min(1)]).areas(prompt);
            f.render_widget(
                Paragraph::new(match ins.found {
                    Some(false) => "no match",
                    _ => "search:",
                })
                .style(Style::default().add_modifier(Modifier::BOLD)),
                label,
            );
            f.render_widget(ta, field);
        }
        None => {
            let said = match ins.found {
                Some(false) => format!("no match for '{}' · ", ins.query),
                Some(true) => format!("'{}': n next · N previous · ", ins.query),
                None => String::new(),
            };
            f.render_widget(
                Paragraph::new(format!(
                    "{said}/ search · w wrap{} · ←→ scroll · c curl · v full width · Esc close",
                    if ins.wrap { " (on)" } else { "" }
                ))
                .style(t.dim()),
                prompt,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    fn exchange(body: &str) -> Exchange {
        Exchange {
            id: 1,
            method: "GET".into(),
            url: "http://127.0.0.1/x".into(),
            request_headers: vec![("Accept".into(), "application/json".into())],
            status: Some(200),
            response_body: Some(body.into()),
            response_bytes: body.len(),
            duration_ms: 1,
            ..Exchange::default()
        }
    }

    #[test]
    fn the_status_line_says_why_a_body_is_missing_or_short() {
        let status = |e: &Exchange| Inspector::new(e).line(1).unwrap();
        let mut bulk = exchange("");
        (bulk.response_bytes, bulk.body_truncated) = (113_126, true);
        assert!(status(&bulk).ends_with("(body not kept in the log: bulk HR data)"));
        let mut cut = exchange("{\"data\": [");
        (cut.response_bytes, cut.body_truncated) = (40_000_000, true);
        assert!(
            status(&cut).ends_with("(body cut in the log: its first 10 bytes kept)"),
            "{}",
            status(&cut)
        );
        let mut dropped = exchange("");
        (dropped.body_truncated, dropped.body_dropped) = (true, true);
        assert!(status(&dropped).ends_with("(body dropped from the log)"));
        assert!(status(&exchange("{}")).ends_with("bytes"));
    }

    /// The response body's lines as shown (after the "── Response body" line).
    fn body_lines(ins: &Inspector) -> Vec<String> {
        let all: Vec<String> = (0..ins.len()).filter_map(|i| ins.line(i)).collect();
        let at = all.iter().position(|l| l == "── Response body").unwrap();
        all[at + 1..].to_vec()
    }

    fn shown(body: &str) -> Vec<String> {
        body_lines(&Inspector::new(&exchange(body)))
    }

    fn pretty(v: &Value) -> Vec<String> {
        serde_json::to_string_pretty(v)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn employees(n: usize) -> Value {
        let records: Vec<Value> = (0..n)
            .map(|i| {
                json!({
                    "Id": format!("a0X{i:012}"), "Name": format!("Employee {i} — Zoë \"Z\" O'Brien"),
                    "fHCM2__Email__c": format!("e{i}@example.com"), "fHCM2__Manager__c": null,
                    "Salary": 1234.5, "Active": true, "Tags": [], "Address": {},
                    "Nested": {"a": [1, 2, {"b": "c\\n\t"}], "e": {"f": []}}
                })
            })
            .collect();
        json!({"totalSize": n, "done": false, "records": records, "nextRecordsUrl": "/services/data/v60.0/query/01g-200"})
    }

    #[test]
    fn json_is_shown_as_serde_pretty_prints_it() {
        for v in [
            employees(3),
            json!([]),
            json!({}),
            json!([[], {}, [[]], {"": ""}]),
            json!({"a": {"b": {"c": [1, -2.5e-7, "x:y,{z}[w]\"", null]}}}),
        ] {
            assert_eq!(shown(&v.to_string()), pretty(&v), "{v}");
            // From the pretty text itself (whitespace between tokens), the same.
            let p = serde_json::to_string_pretty(&v).unwrap();
            assert_eq!(shown(&p), pretty(&v), "{p}");
            // With odd whitespace.
            let odd = v.to_string().replace(':', " :\n ").replace(',', " ,\t");
            if serde_json::from_str::<Value>(&odd).is_ok_and(|w| w == v) {
                assert_eq!(shown(&odd), pretty(&v), "{odd}");
            }
        }
        // Widths as counted at open equal the lines as shown.
        let ins = Inspector::new(&exchange(&employees(2).to_string()));
        for i in 0..ins.len() {
            assert_eq!(
                ins.lines[i].chars as usize,
                ins.line(i).unwrap().chars().count()
            );
        }
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            ".*".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 40, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
                prop::collection::vec((".*", inner), 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_json_document_is_shown_as_serde_pretty_prints_it(v in value()) {
            let doc = match v {
                Value::Array(_) | Value::Object(_) => v,
                other => json!([other]),
            };
            prop_assert_eq!(shown(&doc.to_string()), pretty(&doc));
        }
    }

    #[test]
    fn a_cut_json_body_is_pretty_printed_as_far_as_it_goes() {
        let v = employees(4);
        let full = pretty(&v);
        let compact = v.to_string();
        for cut in [
            1,
            17,
            compact.len() / 3,
            compact.len() / 2 + 5,
            compact.len() - 1,
        ] {
            let at = floor_char(&compact, cut);
            let body = &compact[..at];
            let lines = shown(body);
            let (note, lines) = lines.split_last().unwrap();
            assert_eq!(
                note,
                &format!("── cut at {at} bytes: pretty-printed as far as it goes")
            );
            let (last, before) = lines.split_last().unwrap();
            assert_eq!(before, &full[..before.len()], "cut at {at}");
            assert!(
                full[before.len()].starts_with(last.as_str()),
                "{last:?} at {at}"
            );
        }
        // Not JSON after all: its lines as they are.
        assert_eq!(shown("{\"a\":1}}\nnext"), ["{\"a\":1}}", "next"]);
        assert_eq!(shown("plain\r\ntext\n"), ["plain", "text"]);
        assert!(shown("").is_empty());
    }

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
            let shown = ins.rendered(line).unwrap().window(ins.hscroll, 100);
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
    fn wrap_scrolls_by_rows_and_follows_the_width() {
        let body = format!("{}\nshort\n{}", "a".repeat(95), "b".repeat(30));
        let mut ins = Inspector::new(&exchange(&body));
        let widths: Vec<usize> = (0..ins.len() - 3)
            .map(|i| ins.line(i).unwrap().chars().count())
            .collect();
        let head = |w: usize| -> usize { widths.iter().map(|c| c.div_ceil(w).max(1)).sum() };
        let before = head(10);
        ins.set_view(10, 4);
        ins.on_action(Action::Wrap);
        let (_, total) = ins.row_position();
        assert_eq!(total as usize, before + 10 + 1 + 3);
        ins.on_action(Action::End);
        assert_eq!((ins.scroll, ins.sub), (ins.len() - 1, 2));
        ins.on_action(Action::Up);
        ins.on_action(Action::Up);
        ins.on_action(Action::Up);
        assert_eq!((ins.scroll, ins.sub), (ins.len() - 1 - 1, 0));
        ins.on_action(Action::Up);
        assert_eq!((ins.scroll, ins.sub), (ins.len() - 3, 9));
        ins.on_action(Action::PageUp);
        assert_eq!((ins.scroll, ins.sub), (ins.len() - 3, 5));
        // Wider: fewer rows; the same line stays at the top.
        ins.set_view(50, 4);
        let (row, total) = ins.row_position();
        assert_eq!(total as usize, head(50) + 2 + 1 + 1);
        ins.sub = 1;
        assert_eq!(ins.row_position().0, row - 5 + 1);
        ins.on_action(Action::Down);
        assert_eq!((ins.scroll, ins.sub), (ins.len() - 2, 0));
        let rl = ins.rendered(ins.len() - 3).unwrap();
        assert_eq!(rl.window(50, 50), "a".repeat(45));
        // Wrap off: by lines, and Right stops at the widest line.
        ins.on_action(Action::Wrap);
        ins.on_action(Action::Home);
        for _ in 0..20 {
            ins.on_action(Action::Right);
        }
        assert_eq!(ins.hscroll, 94);
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

    #[test]
    fn windows_are_cut_at_chars() {
        let r = Rendered {
            indent: 2,
            a: Cow::Borrowed("\"é\":"),
            space: true,
            b: "\"ü✓\"",
            ascii: false,
        };
        let all: String = r.chars().collect();
        assert_eq!(all, "  \"é\": \"ü✓\"");
        for from in 0..12 {
            for n in 0..12 {
                let want: String = all.chars().skip(from).take(n).collect();
                assert_eq!(r.window(from, n), want, "{from} {n}");
            }
        }
        let long = "é".repeat(10_000) + "x";
        assert_eq!(skip_chars(&long, 9_999), (19_998, 9_999));
        assert_eq!(skip_chars(&long, 20_000), (20_001, 10_001));
    }
}
