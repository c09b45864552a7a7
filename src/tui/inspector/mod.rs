//! The inspector: one exchange indexed once into lines, a few bytes each (where the line's text
//! is in the body the log holds, its width and its indent); drawing materialises the visible
//! window only. A JSON body is re-indented by a tolerant byte-level tokenizer (no parse), so a
//! body cut off mid-document is still pretty-printed as far as it goes. With wrap on, scrolling
//! is by screen rows, over a cache of rows per line kept for the width last drawn. Drawing
//! changes nothing: it returns the body's area, and the next key gets it back. Search starts
//! from where it was opened, highlights the match itself, and says "no match" (the view stays).
//!
//! - [`index`]: the document's lines built from an exchange (and [`json`], the re-indenting);
//! - [`search`]: the search and its matching;
//! - [`draw`](mod@draw): the drawing;
//! - [`curl`](mod@curl): the exchange as a curl command that runs as it is.

mod curl;
mod draw;
mod index;
mod json;
mod search;

use ratatui::layout::Rect;
use ratatui_textarea::TextArea;

pub use self::curl::{TOKEN_VAR, curl};
pub use self::draw::draw;
pub use self::index::DROPPED;
pub use self::search::find_ci;

use self::index::Index;
use super::form::text;
use super::keymap::Action;
use super::msg::{Cmd, Effect};
use super::overlay::{Overlay, ValueView};
use super::state::Mode;
use crate::engine::http::Exchange;

/// Rows per line at one width: `prefix[i]` is the row line `i` starts on.
struct Rows {
    width: usize,
    prefix: Vec<u64>,
}

pub struct Inspector {
    pub id: u64,
    /// The document: its lines, indexed once.
    doc: Index,
    /// The first line on screen, and (wrap on) the row of it at the top.
    pub scroll: usize,
    pub sub: usize,
    /// Columns scrolled right (wrap off).
    pub hscroll: usize,
    pub wrap: bool,
    /// The search being typed (`/`), and where it started.
    pub search: Option<TextArea<'static>>,
    pub search_from: usize,
    /// The view when the search was opened (line, row, column): a search with no match puts
    /// it back.
    origin: (usize, usize, usize),
    /// The last search, for `n` / `N`, and whether it matched.
    pub query: String,
    pub found: Option<bool>,
    /// The exchange as a curl command (no secret in it: see [`curl()`]).
    pub curl: String,
    /// Said on the prompt line until the next key (the curl copied).
    pub note: Option<String>,
    /// The body area last drawn (columns, rows): paging and wrapping follow it.
    view: (usize, usize),
    /// Wrap on: rows per line at the view's width.
    rows: Option<Rows>,
}

impl Inspector {
    pub fn new(e: &Exchange) -> Inspector {
        Inspector {
            id: e.id,
            doc: Index::new(e),
            scroll: 0,
            sub: 0,
            hscroll: 0,
            wrap: false,
            search: None,
            search_from: 0,
            origin: (0, 0, 0),
            query: String::new(),
            found: None,
            curl: curl(e),
            note: None,
            view: (80, 20),
            rows: None,
        }
    }

    /// How many lines.
    pub fn len(&self) -> usize {
        self.doc.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.doc.lines.is_empty()
    }

    /// The widest line, in chars.
    pub fn widest(&self) -> usize {
        self.doc.widest
    }

    /// Line `i` as shown (materialised: for tests and copying, not for drawing).
    pub fn line(&self, i: usize) -> Option<String> {
        self.doc.line(i)
    }

    /// Rows on screen (for paging).
    pub fn page(&self) -> usize {
        self.view.1.max(1)
    }

    /// Sets the body area's size (columns, rows), as the last frame drew it ([`draw()`]
    /// returns it).
    pub fn set_view(&mut self, width: usize, height: usize) {
        self.view = (width.max(1), height.max(1));
        if self.wrap {
            self.ensure_rows();
        }
    }

    fn rows_of(&self, i: usize, width: usize) -> u64 {
        let c = self.doc.lines.get(i).map_or(0, |l| l.chars as u64);
        c.div_ceil(width as u64).max(1)
    }

    /// Builds the rows cache for the view's width, when it is missing or for another width.
    fn ensure_rows(&mut self) {
        let width = self.view.0;
        if self.rows.as_ref().is_some_and(|r| r.width == width) {
            return;
        }
        let mut prefix = Vec::with_capacity(self.doc.lines.len() + 1);
        let mut at = 0u64;
        prefix.push(0);
        for i in 0..self.doc.lines.len() {
            at += self.rows_of(i, width);
            prefix.push(at);
        }
        self.rows = Some(Rows { width, prefix });
    }

    /// Wrap on: the row at the top of the screen, and the rows in all.
    pub fn row_position(&self) -> (u64, u64) {
        self.row_position_at(self.view.0)
    }

    /// [`Inspector::row_position`] at `width`: from the cache when it is for that width, else
    /// counted (a frame drawn at a new width, before the next key).
    pub(super) fn row_position_at(&self, width: usize) -> (u64, u64) {
        match self.rows.as_ref().filter(|r| r.width == width) {
            Some(r) => {
                let at = r.prefix.get(self.scroll).copied().unwrap_or(0) + self.sub as u64;
                (at, r.prefix.last().copied().unwrap_or(0))
            }
            None => {
                let width = width.max(1);
                let before: u64 = (0..self.scroll.min(self.doc.lines.len()))
                    .map(|i| self.rows_of(i, width))
                    .sum();
                let rest: u64 = (self.scroll..self.doc.lines.len())
                    .map(|i| self.rows_of(i, width))
                    .sum();
                (before + self.sub as u64, before + rest)
            }
        }
    }

    /// Wrap on: moves the top of the screen to row `row` (clamped).
    fn go_row(&mut self, row: u64) {
        self.ensure_rows();
        let Some(r) = self.rows.as_ref() else { return };
        let total = r.prefix.last().copied().unwrap_or(0);
        let row = row.min(total.saturating_sub(1));
        let line = r.prefix.partition_point(|p| *p <= row).saturating_sub(1);
        self.sub = (row - r.prefix.get(line).copied().unwrap_or(0)) as usize;
        self.scroll = line;
    }

    fn max(&self) -> usize {
        self.doc.lines.len().saturating_sub(1)
    }

    /// A key for the inspector, as the console routes it: what crosses parts comes back as
    /// [`Cmd`]s. `c` copies the curl command (OSC 52) and the inspector stays open; `v` shows it.
    /// `view`: the body's area in the last frame (paging and wrapping follow it).
    pub fn action(&mut self, a: Action, view: Option<Rect>) -> Vec<Cmd> {
        self.note = None;
        if let Some(r) = view {
            self.set_view(r.width.into(), r.height.into());
        }
        match self.on_action(a) {
            InspectorOutcome::Stay if self.search.is_some() => vec![Cmd::Mode(Mode::Search {
                before: String::new(),
            })],
            InspectorOutcome::Stay => Vec::new(),
            InspectorOutcome::Close => vec![Cmd::Close],
            InspectorOutcome::Copy(s) => {
                let vars = curl::variables(&s);
                let (note, say) = match vars.is_empty() {
                    true => (
                        "curl copied · v shows it".to_string(),
                        format!("Copied request #{} as curl (OSC 52); v shows it.", self.id),
                    ),
                    false => (
                        format!("curl copied: export {} first · v shows it", vars.join(", ")),
                        format!(
                            "Copied request #{} as curl (OSC 52): it reads {} from the shell, export {} first; v shows it.",
                            self.id,
                            vars.iter()
                                .map(|v| format!("${v}"))
                                .collect::<Vec<_>>()
                                .join(", "),
                            if vars.len() == 1 { "it" } else { "them" }
                        ),
                    ),
                };
                self.note = Some(note);
                vec![Cmd::Effect(Effect::Osc52(s)), Cmd::Say(say)]
            }
            InspectorOutcome::View(s) => vec![Cmd::Open(Overlay::Value(ValueView::new(
                "curl command",
                s,
                true,
            )))],
        }
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
            self.ensure_rows();
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
                self.hscroll = (self.hscroll + 8).min(self.doc.widest.saturating_sub(1));
            }
            Action::Wrap => {
                self.wrap = !self.wrap;
                self.hscroll = 0;
                self.sub = 0;
                if self.wrap {
                    self.ensure_rows();
                }
            }
            Action::Find => {
                self.search = Some(text(""));
                self.search_from = self.scroll;
                self.origin = (self.scroll, self.sub, self.hscroll);
            }
            Action::FindNext => {
                let from = self.scroll + 1;
                self.seek(from, true);
            }
            Action::FindPrev => {
                let from = self.scroll + self.doc.lines.len().saturating_sub(1);
                self.seek(from, false);
            }
            Action::Copy => return InspectorOutcome::Copy(self.curl.clone()),
            Action::View => return InspectorOutcome::View(self.curl.clone()),
            _ => {}
        }
        InspectorOutcome::Stay
    }
}

pub enum InspectorOutcome {
    Stay,
    Close,
    Copy(String),
    View(String),
}

#[cfg(test)]
pub(crate) mod testutil {
    use super::*;
    use serde_json::{Value, json};

    pub fn exchange(body: &str) -> Exchange {
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

    pub fn employees(n: usize) -> Value {
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
}

#[cfg(test)]
mod tests {
    use super::testutil::exchange;
    use super::*;

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
        let rl = ins.doc.rendered(ins.len() - 3).unwrap();
        assert_eq!(rl.window(50, 50), "a".repeat(45));
        // Wrap off: by lines, and Right stops at the widest line.
        ins.on_action(Action::Wrap);
        ins.on_action(Action::Home);
        for _ in 0..20 {
            ins.on_action(Action::Right);
        }
        assert_eq!(ins.hscroll, 94);
    }
}
