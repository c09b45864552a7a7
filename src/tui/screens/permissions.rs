//! Step 4: the seven permission sets, the selected row's finding and the org checks.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};

use crate::engine::Status;
use crate::tui::keymap::Action;
use crate::tui::msg::Cmd;
use crate::tui::overlay::Overlay;
use crate::tui::run::RunState;
use crate::tui::state::Screen;
use crate::tui::theme::{Theme, mark};
use crate::tui::verdict;

/// The step's own state.
#[derive(Debug, Default)]
pub struct PermissionsScreen {
    /// The permission-set row selected.
    pub selected: usize,
}

impl PermissionsScreen {
    /// Up and down choose a row; Enter opens its request; `R` probes it again; `f` fixes it;
    /// `a` shows the app read.
    pub fn action(&mut self, a: Action, run: &RunState) -> Vec<Cmd> {
        let n = run.endpoints.len().max(1);
        self.selected = self.selected.min(n - 1);
        match a {
            Action::Down => self.selected = (self.selected + 1).min(n - 1),
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Home => self.selected = 0,
            Action::End => self.selected = n - 1,
            Action::Select => {
                if let Some(id) = run.endpoints.get(self.selected).and_then(|e| e.request_id) {
                    return vec![Cmd::Inspect(id)];
                }
            }
            Action::Reprobe if !run.running() && !run.endpoints.is_empty() => {
                return vec![Cmd::Effect(run.reprobe(self.selected))];
            }
            Action::Reprobe => {
                return vec![Cmd::Say("Re-probing waits for the run to finish.".into())];
            }
            Action::Fix => {
                // The selected row's permission set, when it failed.
                let about = run
                    .endpoints
                    .get(self.selected)
                    .filter(|e| e.finding.is_some())
                    .map(|e| e.permission_set.to_string());
                return vec![Cmd::OpenFix(about)];
            }
            Action::AppInfo if run.report().is_some() => {
                return vec![Cmd::Open(Overlay::App { scroll: 0 })];
            }
            Action::AppInfo => {
                return vec![Cmd::Say("No app read yet: run the check (r) first.".into())];
            }
            _ => {}
        }
        Vec::new()
    }

    /// A run finished: the first failing row is selected (else the selection stays, in range).
    pub fn land(&mut self, endpoints: &[crate::engine::EndpointResult]) {
        self.selected = endpoints
            .iter()
            .position(|e| e.status == Status::Fail)
            .unwrap_or(self.selected)
            .min(endpoints.len().saturating_sub(1));
    }

    /// The row shown selected: the selection, kept in range.
    pub fn current(&self, rows: usize) -> usize {
        self.selected.min(rows.saturating_sub(1))
    }
}

/// A record count in the 4-column "Rec" cell, never cut: 9999 as it is, then 10k … 999k,
/// 1M … 999M, 1G … (whole thousands, millions, billions: a shown digit is always right).
pub fn records(n: usize) -> String {
    if n < 10_000 {
        return n.to_string();
    }
    let mut v = n / 1_000;
    for unit in ["k", "M", "G", "T", "P"] {
        if v < 1_000 {
            return format!("{v}{unit}");
        }
        v /= 1_000;
    }
    format!("{v}E")
}

/// Draws the step from its state and the run (`focus`: the step has the keys, not the log).
pub fn draw(
    f: &mut Frame,
    me: &PermissionsScreen,
    run: &RunState,
    focus: bool,
    t: &Theme,
    area: Rect,
    hits: &mut crate::tui::state::HitMap,
) {
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
    let rows: Vec<Row> = if run.endpoints.is_empty() {
        crate::engine::ENDPOINTS
            .iter()
            .map(|d| {
                Row::new(vec![
                    Cell::from(if run.running() { "  …" } else { "" }),
                    Cell::from(d.permission_set),
                    Cell::from(format!("/{}", d.path.split('/').next().unwrap_or(d.path))),
                ])
            })
            .collect()
    } else {
        run.endpoints
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
    let title = if run.endpoints.is_empty() {
        " 4 Permissions ".to_string()
    } else {
        format!(" 4 Permissions — {} ", verdict::probes(&run.endpoints))
    };
    let block = t.block(title);
    let inner = block.inner(table_area);
    let mut st = TableState::default().with_selected(
        (focus && !run.endpoints.is_empty()).then_some(me.current(run.endpoints.len())),
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
    let n = run.endpoints.len();
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
    if let Some(e) = run.endpoints.get(me.current(run.endpoints.len()))
        && let Some(code) = e.finding
    {
        // The finding about this row's permission set (a shared one, like an API refusal raised
        // once for all seven, has no subject: the first of its code).
        let f = run
            .findings
            .iter()
            .find(|f| f.code == code && f.subject.as_deref() == Some(e.permission_set))
            .or_else(|| run.findings.iter().find(|f| f.code == code));
        let title = f.map(|f| f.title.clone()).unwrap_or_default();
        lines
            .push(Line::from(format!(" {}: {code} {title}", e.name)).style(t.status(Status::Fail)));
        if let Some(first) = f.and_then(|f| f.fix.first()) {
            lines.push(Line::from(format!("   Fix: 1. {first}  (all: step 5)")));
        }
    }
    if let Some(r) = &run.report() {
        let o = &r.org;
        let yn = |b: Option<bool>| {
            b.map(|b| if b { "yes" } else { "no" })
                .unwrap_or("unknown")
                .to_string()
        };
        lines.push(Line::from(format!(
            " Org: API Enabled {} · package {} · API usage {}",
            yn(o.api_enabled),
            verdict::package(o, &run.findings),
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
            (999_999_999, "999M"),
            (2_500_000_000, "2G"),
            (usize::MAX, "18E"),
        ] {
            assert_eq!(super::records(n), shown);
            assert!(shown.chars().count() <= 4);
        }
    }
}
