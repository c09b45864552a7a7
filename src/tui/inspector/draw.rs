//! Drawing the inspector: the visible window only, materialised from the index; the search's
//! match highlighted; the prompt line (the search being typed, its result, or the keys).

use std::ops::Range;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState};

use super::Inspector;
use super::index::{Ix, TEXT};
use super::search::find_ci;
use crate::tui::theme::Theme;

/// Draws the inspector over `area`; returns the body's area (the next key's view: paging and
/// wrapping follow it).
pub fn draw(f: &mut Frame, ins: &Inspector, t: &Theme, area: Rect) -> Rect {
    let r = area;
    f.render_widget(Clear, r);
    let block = t.block(format!(
        " Request #{} — line {}/{}{} ",
        ins.id,
        ins.scroll + 1,
        ins.doc.lines.len(),
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
    let q: Vec<char> = ins.query.chars().flat_map(char::to_lowercase).collect();
    let mut lines: Vec<Line> = Vec::with_capacity(height);
    let mut i = ins.scroll;
    let mut first_row = if ins.wrap { ins.sub } else { 0 };
    while lines.len() < height && i < ins.doc.lines.len() {
        let Some(rl) = ins.doc.rendered(i) else { break };
        let base = match ins.doc.lines.get(i).map(Ix::kind) {
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
        let (row, total) = ins.row_position_at(width);
        (total as usize, row as usize)
    } else {
        (ins.doc.lines.len(), ins.scroll)
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
            let said = match (&ins.note, ins.found) {
                (Some(note), _) => format!("{note} · "),
                (None, Some(false)) => format!("no match for '{}' · ", ins.query),
                (None, Some(true)) => format!("'{}': n next · N previous · ", ins.query),
                (None, None) => String::new(),
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
    body
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
