//! The request log: every exchange as it happens, across runs (a marker row starts each run),
//! bounded; its keys and its drawing.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::widgets::{
    Cell, Row, Scrollbar, ScrollbarOrientation, ScrollbarState, Table, TableState,
};

use super::form::first_line;
use super::inspector::{Inspector, curl};
use super::keymap::Action;
use super::msg::Cmd;
use super::overlay::Overlay;
use super::run::RunState;
use super::state::{HitMap, Mode};
use super::theme::Theme;
use crate::engine::Status;
use crate::engine::http::Exchange;

/// Rows kept across runs.
pub const MAX_LOG: usize = 1000;

/// The request log pane: its rows, selection, filter, and whether it shows and has the keys.
pub struct LogPane {
    pub rows: Vec<LogRow>,
    pub selected: usize,
    /// The first row shown while the log has the keys (kept where a click found it).
    pub offset: usize,
    pub filter: ratatui_textarea::TextArea<'static>,
    pub show: bool,
    pub focus: bool,
    /// Where the log file is written (shown in help).
    pub path: Option<String>,
}

impl Default for LogPane {
    fn default() -> Self {
        LogPane {
            rows: Vec::new(),
            selected: 0,
            offset: 0,
            filter: super::form::text(""),
            show: false,
            focus: false,
            path: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct LogRow {
    /// The run the request belongs to (ids restart with each run's client).
    pub run: u64,
    /// 0 for a run's marker row.
    pub id: u64,
    pub method: String,
    pub url: String,
    pub status: Option<u16>,
    pub duration_ms: u64,
    pub bytes: usize,
    pub done: bool,
    /// When the request went out (for "waiting N s for …").
    pub sent_at: Option<std::time::Instant>,
}

impl LogRow {
    pub fn marker(run: u64, label: String) -> LogRow {
        LogRow {
            run,
            id: 0,
            method: String::new(),
            url: label,
            status: None,
            duration_ms: 0,
            bytes: 0,
            done: true,
            sent_at: None,
        }
    }

    pub fn is_marker(&self) -> bool {
        self.id == 0
    }

    pub fn path(&self) -> String {
        match url::Url::parse(&self.url) {
            Ok(u) => {
                let mut p = u.path().to_string();
                if let Some(q) = u.query() {
                    p.push('?');
                    p.push_str(q);
                }
                p
            }
            Err(_) => self.url.clone(),
        }
    }
}

impl LogPane {
    /// The rows the filter lets through (a run's marker rows always).
    /// The selected row's run and request id.
    pub fn selected_row(&self) -> Option<(u64, u64)> {
        self.filtered_log()
            .get(self.selected)
            .map(|r| (r.run, r.id))
    }

    pub fn filtered_log(&self) -> Vec<&LogRow> {
        let f = first_line(&self.filter).to_lowercase();
        self.rows
            .iter()
            .filter(|r| {
                f.is_empty()
                    || r.is_marker()
                    || r.url.to_lowercase().contains(&f)
                    || r.method.to_lowercase().contains(&f)
                    || r.status.is_some_and(|s| s.to_string().contains(&f))
            })
            .collect()
    }

    /// The selected row's run and request id (None on a run's marker row).
    fn selected_request(&self) -> Option<(u64, u64)> {
        self.filtered_log()
            .get(self.selected)
            .filter(|r| !r.is_marker())
            .map(|r| (r.run, r.id))
    }

    /// A key for the focused log. `view`: where the last frame drew its rows and the first row
    /// shown (the window stays put while the selection moves inside it).
    pub fn action(&mut self, a: Action, run: &RunState, view: Option<(Rect, usize)>) -> Vec<Cmd> {
        let n = self.filtered_log().len().max(1);
        match a {
            Action::Down => self.selected = (self.selected + 1).min(n - 1),
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::PageDown => self.selected = (self.selected + 10).min(n - 1),
            Action::PageUp => self.selected = self.selected.saturating_sub(10),
            Action::Home => self.selected = 0,
            Action::End => self.selected = n - 1,
            Action::Find => {
                return vec![Cmd::Mode(Mode::Filter {
                    before: first_line(&self.filter),
                })];
            }
            Action::Back => self.focus = false,
            Action::Select => return self.inspect(run),
            Action::Copy => {
                if let Some((r, id)) = self.selected_request() {
                    return match exchange(run, r, id) {
                        Some(e) => vec![Cmd::Copy {
                            what: "curl command".into(),
                            text: curl(&e),
                        }],
                        None => vec![Cmd::Say(format!("Request #{id} is no longer kept."))],
                    };
                }
            }
            _ => {}
        }
        if let Some((area, offset)) = view {
            let rows = (area.height as usize).max(1);
            self.offset = offset
                .min(self.selected)
                .max((self.selected + 1).saturating_sub(rows));
        }
        Vec::new()
    }

    /// A click on row `row` of the filtered log (`offset`: the first row the frame showed):
    /// the log takes the keys, the row is selected and opened in the inspector.
    pub fn click(&mut self, row: usize, offset: usize, run: &RunState) -> Vec<Cmd> {
        if row >= self.filtered_log().len() {
            return Vec::new();
        }
        self.focus = true;
        self.selected = row;
        self.offset = offset;
        self.inspect(run)
    }

    /// Opens the selected request in the inspector (a marker row opens nothing).
    fn inspect(&self, run: &RunState) -> Vec<Cmd> {
        match self.selected_request() {
            None => Vec::new(),
            Some((r, id)) => match exchange(run, r, id) {
                Some(e) => vec![Cmd::Open(Overlay::Inspector(Box::new(Inspector::new(&e))))],
                None => vec![Cmd::Say(format!("Request #{id} is no longer kept."))],
            },
        }
    }
}

/// The exchange behind a row: from the client of the row's run.
pub fn exchange(state: &RunState, run: u64, id: u64) -> Option<Exchange> {
    state
        .clients
        .iter()
        .rev()
        .find(|(r, _)| *r == run)
        .and_then(|(_, c)| c.exchange(id))
}

fn human_bytes(n: usize) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MB", n as f64 / (1 << 20) as f64)
    } else if n >= 1024 {
        format!("{:.1} kB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

/// Draws the log; `filtering`: its filter is being typed. Where its rows are goes in `hits`.
pub fn draw(
    f: &mut Frame,
    log: &LogPane,
    filtering: bool,
    t: &Theme,
    area: Rect,
    hits: &mut HitMap,
) {
    let rows_all = log.filtered_log();
    let rows: Vec<Row> = rows_all
        .iter()
        .map(|r| {
            if r.is_marker() {
                return Row::new(vec![
                    Cell::from(""),
                    Cell::from(""),
                    Cell::from(r.url.clone()),
                ])
                .style(t.dim());
            }
            let status = match (r.done, r.status) {
                (false, _) => "…".to_string(),
                (true, Some(s)) => s.to_string(),
                (true, None) => "ERR".to_string(),
            };
            let st = match r.status {
                Some(s) if s < 400 => t.status(Status::Pass),
                _ if !r.done => t.dim(),
                _ => t.status(Status::Fail),
            };
            Row::new(vec![
                Cell::from(format!("#{}", r.id)),
                Cell::from(r.method.clone()),
                Cell::from(r.path()),
                Cell::from(status).style(st),
                Cell::from(format!("{} ms", r.duration_ms)),
                Cell::from(human_bytes(r.bytes)),
            ])
        })
        .collect();
    let filter = first_line(&log.filter);
    let n = rows_all.len();
    let title = format!(
        " Request log ({}{}){} ",
        rows_all.iter().filter(|r| !r.is_marker()).count(),
        if filter.is_empty() {
            String::new()
        } else {
            format!(" matching '{filter}'")
        },
        if filtering {
            " — type to filter, Enter done"
        } else if log.focus {
            " — Enter inspects, / filters, c copies as curl"
        } else {
            " — Tab focuses"
        }
    );
    let widths = [
        Constraint::Length(5),
        Constraint::Length(5),
        Constraint::Min(20),
        Constraint::Length(4),
        Constraint::Length(8),
        Constraint::Length(8),
    ];
    let block = t.block(title).border_style(if log.focus {
        Style::default().add_modifier(Modifier::BOLD)
    } else {
        t.dim()
    });
    let inner = block.inner(area);
    let mut st = TableState::default().with_selected(log.focus.then_some(log.selected));
    *st.offset_mut() = if log.focus {
        // Where the keys or a click left it (the table moves it just enough to show the
        // selected row).
        log.offset
    } else {
        // Unfocused, the log follows the newest rows.
        n.saturating_sub(inner.height as usize)
    };
    f.render_stateful_widget(
        Table::new(rows, widths)
            .column_spacing(1)
            .row_highlight_style(t.selected())
            .block(block),
        area,
        &mut st,
    );
    // The table has no header row: its first row is the inner area's top line.
    hits.log = Some((inner, st.offset()));
    if n > inner.height as usize && !t.plain {
        let mut sb = ScrollbarState::new(n).position(if log.focus { log.selected } else { n });
        f.render_stateful_widget(
            Scrollbar::new(ScrollbarOrientation::VerticalRight),
            area,
            &mut sb,
        );
    }
}
