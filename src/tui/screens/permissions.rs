//! Step 4: the seven permission sets, the selected row's finding and the org checks.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};

use crate::engine::Status;
use crate::tui::app::{App, Screen};
use crate::tui::keymap::Action;
use crate::tui::msg::Effect;
use crate::tui::theme::{Theme, mark};
use crate::tui::verdict;

/// The step's own state.
#[derive(Debug, Default)]
pub struct PermissionsScreen {
    /// The permission-set row selected.
    pub selected: usize,
}

impl App {
    pub fn permissions_action(&mut self, a: Action) -> Vec<Effect> {
        let n = self.run.endpoints.len().max(1);
        match a {
            Action::Down => {
                self.screens.permissions.selected =
                    (self.screens.permissions.selected + 1).min(n - 1);
            }
            Action::Up => {
                self.screens.permissions.selected =
                    self.screens.permissions.selected.saturating_sub(1);
            }
            Action::Home => self.screens.permissions.selected = 0,
            Action::End => self.screens.permissions.selected = n - 1,
            Action::Select => {
                if let Some(id) = self
                    .run
                    .endpoints
                    .get(self.screens.permissions.selected)
                    .and_then(|e| e.request_id)
                {
                    self.open_inspector(id);
                }
            }
            Action::Reprobe if !self.run.running && !self.run.endpoints.is_empty() => {
                return vec![Effect::Reprobe(self.screens.permissions.selected)];
            }
            Action::Reprobe => self.say("Re-probing waits for the run to finish."),
            Action::Fix => {
                let about = crate::tui::fix::about_probe(
                    &self.run.endpoints,
                    self.screens.permissions.selected,
                );
                return self.apply(vec![crate::tui::msg::Cmd::OpenFix(about)]);
            }
            Action::AppInfo if self.run.report.is_some() => {
                self.overlay = crate::tui::overlay::Overlay::App { scroll: 0 };
            }
            Action::AppInfo => self.say("No app read yet: run the check (r) first."),
            _ => {}
        }
        Vec::new()
    }
}

/// A record count in the 4-column "Rec" cell, never cut: 9999 as it is, then 10k … 999k,
/// then 1M ….
pub fn records(n: usize) -> String {
    match n {
        0..=9_999 => n.to_string(),
        10_000..=999_999 => format!("{}k", n / 1_000),
        _ => format!("{}M", n / 1_000_000),
    }
}

pub fn draw(f: &mut Frame, app: &App, t: &Theme, area: Rect, hits: &mut crate::tui::app::HitMap) {
    let [table_area, rest] =
        Layout::vertical([Constraint::Length(10), Constraint::Min(0)]).areas(area);
    let header = Row::new([
        "Result",
        "Permission set",
        "Endpoint",
        "HTTP",
        "ms",
        "Rec",
        "Asgn",
    ])
    .style(Style::default().add_modifier(Modifier::BOLD));
    let rows: Vec<Row> = if app.run.endpoints.is_empty() {
        crate::engine::ENDPOINTS
            .iter()
            .map(|d| {
                Row::new(vec![
                    Cell::from(if app.run.running { "  …" } else { "" }),
                    Cell::from(d.permission_set),
                    Cell::from(format!("/{}", d.path.split('/').next().unwrap_or(d.path))),
                ])
            })
            .collect()
    } else {
        app.run
            .endpoints
            .iter()
            .map(|e| {
                let endpoint = if e.path.ends_with("payDetails") {
                    "/…/payDetails".to_string()
                } else {
                    e.path
                        .trim_start_matches(crate::engine::SAGE_BASE)
                        .to_string()
                };
                Row::new(vec![
                    Cell::from(mark(e.status)).style(t.status(e.status)),
                    Cell::from(e.permission_set),
                    Cell::from(endpoint),
                    Cell::from(
                        e.http_status
                            .map(|s| s.to_string())
                            .unwrap_or_else(|| "—".into()),
                    ),
                    Cell::from(e.latency_ms.to_string()),
                    Cell::from(e.records.map(records).unwrap_or_default()),
                    Cell::from(match e.assigned {
                        Some(true) => "yes",
                        Some(false) => "no",
                        None => "?",
                    }),
                ])
            })
            .collect()
    };
    let widths = [
        Constraint::Length(6),
        Constraint::Length(32),
        Constraint::Length(17),
        Constraint::Length(4),
        Constraint::Length(5),
        Constraint::Length(4),
        Constraint::Length(4),
    ];
    let title = if app.run.endpoints.is_empty() {
        " 4 Permissions ".to_string()
    } else {
        format!(" 4 Permissions — {} ", verdict::probes(&app.run.endpoints))
    };
    let block = t.block(title);
    let inner = block.inner(table_area);
    let mut st = TableState::default().with_selected(
        (!app.log.focus && !app.run.endpoints.is_empty())
            .then_some(app.screens.permissions.selected),
    );
    f.render_stateful_widget(
        Table::new(rows, widths)
            .header(header)
            .column_spacing(1)
            .row_highlight_style(t.selected())
            .block(block),
        table_area,
        &mut st,
    );
    let n = app.run.endpoints.len();
    let body = Rect {
        y: inner.y + 1,
        height: inner.height.saturating_sub(1),
        ..inner
    };
    hits.rows.push((
        super::rows_area(body, n),
        n,
        st.offset(),
        Screen::Permissions,
    ));
    // Beside the table: the selected row's finding, then the org checks.
    let mut lines = Vec::new();
    if let Some(e) = app.run.endpoints.get(app.screens.permissions.selected)
        && let Some(code) = e.finding
    {
        // The finding about this row's permission set (a shared one, like an API refusal raised
        // once for all seven, has no subject: the first of its code).
        let f = app
            .run
            .findings
            .iter()
            .find(|f| f.code == code && f.subject.as_deref() == Some(e.permission_set))
            .or_else(|| app.run.findings.iter().find(|f| f.code == code));
        let title = f.map(|f| f.title.clone()).unwrap_or_default();
        lines
            .push(Line::from(format!(" {}: {code} {title}", e.name)).style(t.status(Status::Fail)));
        if let Some(first) = f.and_then(|f| f.fix.first()) {
            lines.push(Line::from(format!("   Fix: 1. {first}  (all: step 5)")));
        }
    }
    if let Some(r) = &app.run.report {
        let o = &r.org;
        let yn = |b: Option<bool>| {
            b.map(|b| if b { "yes" } else { "no" })
                .unwrap_or("unknown")
                .to_string()
        };
        lines.push(Line::from(format!(
            " Org: API Enabled {} · package {} · API usage {}",
            yn(o.api_enabled),
            verdict::package(o, &app.run.findings),
            o.api_usage
                .map(|(u, m)| format!("{u}/{m}"))
                .unwrap_or_else(|| "unknown".into())
        )));
        lines.push(Line::from(app_line(&r.app)));
        lines.push(Line::from(format!(
            " Refresh token policy: {} · Permitted users: {}",
            o.refresh_token_policy
                .clone()
                .or_else(|| r.app.policies.refresh_token_policy.clone())
                .unwrap_or_else(|| "unknown".into()),
            o.permitted_users
                .clone()
                .or_else(|| r.app.policies.permitted_users.clone())
                .unwrap_or_else(|| "unknown".into())
        )));
        for s in &o.skipped {
            lines.push(Line::from(format!(" skipped: {s}")).style(t.dim()));
        }
        if let Some(c) = &r.coverage {
            lines.push(Line::from(format!(" {}", verdict::coverage(c))));
        }
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), rest);
}

/// The app in one line: its kind, name, and how many of its policies were read (`a`: all).
pub fn app_line(a: &crate::engine::app::AppInfo) -> String {
    let all = a.lines();
    let unknown = all.iter().filter(|(_, v)| v == "unknown").count();
    let kind = match a.kind_source {
        Some(src) => format!("{} ({src})", a.kind.label()),
        None => format!("{} kind", a.kind.label()),
    };
    let name = a
        .name
        .as_deref()
        .map(|n| format!(" \"{n}\""))
        .unwrap_or_default();
    format!(
        " App: {kind}{name} · {} of {} policies read · a: all, and where to look",
        all.len() - unknown,
        all.len()
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn record_counts_fit_their_column_without_losing_a_digit() {
        for (n, shown) in [
            (0, "0"),
            (200, "200"),
            (9_999, "9999"),
            (10_000, "10k"),
            (999_999, "999k"),
            (1_000_000, "1M"),
            (250_000_000, "250M"),
        ] {
            assert_eq!(super::records(n), shown);
            assert!(shown.chars().count() <= 4);
        }
    }
}
