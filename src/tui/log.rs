//! The request log: every exchange as it happens, across runs (a marker row starts each run),
//! bounded; its keys and its drawing.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::widgets::{
    Cell, Row, Scrollbar, ScrollbarOrientation, ScrollbarState, Table, TableState,
};

use super::app::{App, Mode};
use super::form::first_line;
use super::inspector::curl;
use super::keymap::Action;
use super::msg::Effect;
use super::theme::Theme;
use crate::engine::Status;
use crate::engine::http::Exchange;

/// Rows kept across runs.
pub const MAX_LOG: usize = 1000;

/// The request log pane: its rows, selection, filter, and whether it shows and has the keys.
pub struct LogPane {
    pub rows: Vec<LogRow>,
    pub selected: usize,
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

impl App {
    pub fn filtered_log(&self) -> Vec<&LogRow> {
        let f = first_line(&self.log.filter).to_lowercase();
        self.log
            .rows
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

    /// The exchange behind a row: from the client of the row's run.
    pub fn exchange(&self, run: u64, id: u64) -> Option<Exchange> {
        self.run
            .clients
            .iter()
            .rev()
            .find(|(r, _)| *r == run)
            .and_then(|(_, c)| c.exchange(id))
    }

    pub fn log_action(&mut self, a: Action) -> Vec<Effect> {
        let n = self.filtered_log().len().max(1);
        match a {
            Action::Down => self.log.selected = (self.log.selected + 1).min(n - 1),
            Action::Up => self.log.selected = self.log.selected.saturating_sub(1),
            Action::PageDown => self.log.selected = (self.log.selected + 10).min(n - 1),
            Action::PageUp => self.log.selected = self.log.selected.saturating_sub(10),
            Action::Home => self.log.selected = 0,
            Action::End => self.log.selected = n - 1,
            Action::Find => {
                self.form.before = first_line(&self.log.filter);
                self.mode = Mode::Filter;
            }
            Action::Back => self.log.focus = false,
            Action::Select => {
                let row = self
                    .filtered_log()
                    .get(self.log.selected)
                    .map(|r| (r.run, r.id));
                match row {
                    Some((_, 0)) | None => {}
                    Some((run, id)) => match self.exchange(run, id) {
                        Some(e) => {
                            self.overlay = super::overlay::Overlay::Inspector(Box::new(
                                super::inspector::Inspector::new(&e),
                            ));
                        }
                        None => self.say(format!("Request #{id} is no longer kept.")),
                    },
                }
            }
            Action::Copy => {
                let row = self
                    .filtered_log()
                    .get(self.log.selected)
                    .map(|r| (r.run, r.id));
                if let Some(e) = row.and_then(|(run, id)| self.exchange(run, id)) {
                    return self.copy("curl command", curl(&e));
                }
            }
            _ => {}
        }
        Vec::new()
    }
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

pub fn draw(f: &mut Frame, app: &App, t: &Theme, area: Rect, hits: &mut super::app::HitMap) {
    let rows_all = app.filtered_log();
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
    let filter = first_line(&app.log.filter);
    let n = rows_all.len();
    let title = format!(
        " Request log ({}{}){} ",
        rows_all.iter().filter(|r| !r.is_marker()).count(),
        if filter.is_empty() {
            String::new()
        } else {
            format!(" matching '{filter}'")
        },
        if app.mode == Mode::Filter {
            " — type to filter, Enter done"
        } else if app.log.focus {
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
    let block = t.block(title).border_style(if app.log.focus {
        Style::default().add_modifier(Modifier::BOLD)
    } else {
        t.dim()
    });
    let inner = block.inner(area);
    let mut st = TableState::default().with_selected(app.log.focus.then_some(app.log.selected));
    if !app.log.focus {
        // Unfocused, the log follows the newest rows.
        let visible = inner.height as usize;
        *st.offset_mut() = n.saturating_sub(visible);
    }
    f.render_stateful_widget(
        Table::new(rows, widths)
            .column_spacing(1)
            .row_highlight_style(t.selected())
            .block(block),
        area,
        &mut st,
    );
    hits.log = Some((inner, st.offset()));
    if n > inner.height as usize && !t.plain {
        let mut sb =
            ScrollbarState::new(n).position(if app.log.focus { app.log.selected } else { n });
        f.render_stateful_widget(
            Scrollbar::new(ScrollbarOrientation::VerticalRight),
            area,
            &mut sb,
        );
    }
}
