//! The inspector: one exchange prepared once into lines; drawing takes the visible slice. Search
//! starts from where it was opened, highlights the match itself, and says "no match".

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState, Wrap};
use ratatui_textarea::TextArea;

use super::form::{first_line, text};
use super::keymap::Action;
use super::theme::Theme;
use crate::engine::http::Exchange;

pub struct Inspector {
    pub id: u64,
    pub lines: Vec<String>,
    pub scroll: usize,
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
    /// Lines on screen (set by drawing's caller from the area, for paging).
    pub page: usize,
}

impl Inspector {
    pub fn new(e: &Exchange) -> Inspector {
        let mut lines = vec![format!("{} {}", e.method, e.url)];
        lines.push(format!(
            "status {}  ·  {} ms  ·  {} bytes{}",
            e.status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "—".into()),
            e.duration_ms,
            e.response_bytes,
            if e.body_truncated {
                " (body truncated in the log)"
            } else {
                ""
            }
        ));
        if let Some(err) = &e.error {
            lines.push(format!("error: {err}"));
        }
        lines.push(String::new());
        lines.push("── Request headers".into());
        lines.extend(e.request_headers.iter().map(|(k, v)| format!("{k}: {v}")));
        if let Some(b) = &e.request_body {
            lines.push(String::new());
            lines.push("── Request body".into());
            lines.extend(pretty(b));
        }
        lines.push(String::new());
        lines.push("── Response headers".into());
        lines.extend(e.response_headers.iter().map(|(k, v)| format!("{k}: {v}")));
        if let Some(b) = &e.response_body {
            lines.push(String::new());
            lines.push("── Response body".into());
            lines.extend(pretty(b));
        }
        Inspector {
            id: e.id,
            lines,
            scroll: 0,
            hscroll: 0,
            wrap: false,
            search: None,
            search_from: 0,
            query: String::new(),
            found: None,
            curl: curl(e),
            page: 20,
        }
    }

    fn max(&self) -> usize {
        self.lines.len().saturating_sub(1)
    }

    /// The first line at or after `from` (forward) or before it (backward) holding the query,
    /// wrapping around; the view moves there.
    fn seek(&mut self, from: usize, forward: bool) {
        let q: Vec<char> = self.query.chars().flat_map(char::to_lowercase).collect();
        if q.is_empty() {
            self.found = None;
            return;
        }
        let n = self.lines.len();
        for k in 0..n {
            let i = if forward {
                (from + k) % n
            } else {
                (from + n - k) % n
            };
            if let Some(col) = find_ci(&self.lines[i], &q) {
                self.scroll = i;
                self.found = Some(true);
                // Wrap off: bring the match into view.
                if !self.wrap && (col < self.hscroll || col >= self.hscroll + 60) {
                    self.hscroll = col.saturating_sub(10);
                }
                return;
            }
        }
        self.found = Some(false);
    }

    /// A key for the inspector (its search field takes keys while open).
    pub fn on_action(&mut self, action: Action) -> InspectorOutcome {
        let max = self.max();
        match action {
            Action::Back => return InspectorOutcome::Close,
            Action::Down => self.scroll = (self.scroll + 1).min(max),
            Action::Up => self.scroll = self.scroll.saturating_sub(1),
            Action::PageDown => self.scroll = (self.scroll + self.page.max(1)).min(max),
            Action::PageUp => self.scroll = self.scroll.saturating_sub(self.page.max(1)),
            Action::Home => self.scroll = 0,
            Action::End => self.scroll = max,
            Action::Left => self.hscroll = self.hscroll.saturating_sub(8),
            Action::Right if !self.wrap => {
                let widest = self.lines.iter().map(|l| l.chars().count()).max();
                self.hscroll = (self.hscroll + 8).min(widest.unwrap_or(0).saturating_sub(1));
            }
            Action::Wrap => {
                self.wrap = !self.wrap;
                self.hscroll = 0;
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

/// Where `q` (lowercase chars) first occurs in `line`, case-insensitively, as a char index.
pub fn find_ci(line: &str, q: &[char]) -> Option<usize> {
    let l: Vec<char> = line
        .chars()
        .map(|c| c.to_lowercase().next().unwrap_or(c))
        .collect();
    if q.is_empty() || q.len() > l.len() {
        return None;
    }
    (0..=l.len() - q.len()).find(|&i| l[i..i + q.len()] == *q)
}

fn pretty(body: &str) -> Vec<String> {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(v) => serde_json::to_string_pretty(&v)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect(),
        Err(_) => body.lines().map(str::to_string).collect(),
    }
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

/// `line` from char `skip` on, with the first match of `q` highlighted.
fn line_spans<'a>(line: &str, skip: usize, q: &[char], t: &Theme) -> Line<'a> {
    let base = if line.starts_with("──") {
        Style::default().add_modifier(Modifier::BOLD)
    } else if line.trim_start().starts_with('"') {
        t.fg(Color::Cyan)
    } else {
        Style::default()
    };
    let chars: Vec<char> = line.chars().skip(skip).collect();
    let hit = find_ci(&chars.iter().collect::<String>(), q);
    match hit {
        Some(at) => {
            let before: String = chars[..at].iter().collect();
            let m: String = chars[at..at + q.len()].iter().collect();
            let after: String = chars[at + q.len()..].iter().collect();
            Line::from(vec![
                Span::styled(before, base),
                Span::styled(m, t.selected().add_modifier(Modifier::UNDERLINED)),
                Span::styled(after, base),
            ])
        }
        None => Line::from(Span::styled(chars.into_iter().collect::<String>(), base)),
    }
}

pub fn draw(f: &mut Frame, ins: &Inspector, t: &Theme, area: Rect) {
    let r = Rect {
        x: area.x,
        y: area.y,
        width: area.width,
        height: area.height,
    };
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
    let q: Vec<char> = ins.query.chars().flat_map(char::to_lowercase).collect();
    let skip = if ins.wrap { 0 } else { ins.hscroll };
    let lines: Vec<Line> = ins
        .lines
        .iter()
        .skip(ins.scroll)
        .take(height)
        .map(|l| line_spans(l, skip, &q, t))
        .collect();
    let mut p = Paragraph::new(lines);
    if ins.wrap {
        p = p.wrap(Wrap { trim: false });
    }
    f.render_widget(p, body);
    if ins.lines.len() > height && !t.plain {
        let mut st = ScrollbarState::new(ins.lines.len()).position(ins.scroll);
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
