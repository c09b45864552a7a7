//! Step 5: every finding with severity, code and title; the selected one's evidence and fix.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};

use crate::tui::app::{App, Screen};
use crate::tui::keymap::Action;
use crate::tui::msg::Effect;
use crate::tui::overlay::{Overlay, ValueView};
use crate::tui::theme::Theme;
use crate::tui::verdict;

/// The step's own state.
#[derive(Debug, Default)]
pub struct FindingsScreen {
    /// The finding selected.
    pub selected: usize,
}

impl App {
    fn fix_text(&self) -> Option<String> {
        self.run
            .findings
            .get(self.screens.findings.selected)
            .map(|f| {
                f.fix
                    .iter()
                    .enumerate()
                    .map(|(i, s)| format!("{}. {s}", i + 1))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
    }

    pub fn findings_action(&mut self, a: Action) -> Vec<Effect> {
        let n = self.run.findings.len().max(1);
        match a {
            Action::Down => {
                self.screens.findings.selected = (self.screens.findings.selected + 1).min(n - 1);
            }
            Action::Up => {
                self.screens.findings.selected = self.screens.findings.selected.saturating_sub(1);
            }
            Action::Home => self.screens.findings.selected = 0,
            Action::End => self.screens.findings.selected = n - 1,
            Action::Select => {
                if let Some(id) = self
                    .run
                    .findings
                    .get(self.screens.findings.selected)
                    .and_then(|f| f.request_ids.first().copied())
                {
                    self.open_inspector(id);
                }
            }
            Action::Copy => {
                if let Some(text) = self.fix_text() {
                    return self.copy("fix", text);
                }
            }
            Action::Fix => {
                let about = crate::tui::fix::about_finding(
                    &self.run.findings,
                    self.screens.findings.selected,
                );
                return self.apply(vec![crate::tui::msg::Cmd::OpenFix(about)]);
            }
            Action::View => {
                if let Some(text) = self.fix_text() {
                    self.overlay = Overlay::Value(ValueView::new("fix", text, true));
                }
            }
            _ => {}
        }
        Vec::new()
    }
}

/// The integration's record in short, for the findings step (None: not read).
pub fn record_lines(app: &App) -> Option<Vec<String>> {
    let rec = app.run.report.as_ref()?.integration.as_ref()?;
    let mut out = Vec::new();
    let summary = crate::engine::record::summary(rec);
    out.push(if summary.is_empty() {
        "Integration record: nothing could be read (i lists what stays unknown and why).".into()
    } else {
        format!("{}{}", capitalise(&summary), " · i shows it all")
    });
    if let Some(h) = &rec.login_history
        && let Some(g) = h.groups.iter().find(|g| !g.success)
    {
        out.push(format!(
            "Most frequent failure: \"{}\" ×{} from {}",
            g.status, g.count, g.application
        ));
    }
    Some(out)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

pub fn draw(f: &mut Frame, app: &App, t: &Theme, area: Rect, hits: &mut crate::tui::app::HitMap) {
    let area = match record_lines(app) {
        Some(lines) => {
            let [main, rec] = Layout::vertical([
                Constraint::Min(0),
                Constraint::Length(lines.len() as u16 + 2),
            ])
            .areas(area);
            f.render_widget(
                Paragraph::new(lines.into_iter().map(Line::from).collect::<Vec<_>>())
                    .wrap(Wrap { trim: false })
                    .block(t.block(" Integration record (the org's own) — i ")),
                rec,
            );
            main
        }
        None => area,
    };
    let [list, detail] = Layout::vertical([
        Constraint::Length((app.run.findings.len() as u16 + 2).clamp(3, 9)),
        Constraint::Min(0),
    ])
    .areas(area);
    let title = if app.run.report.is_some() {
        format!(
            " 5 Findings — {} ",
            verdict::overall_words(&app.run.findings)
        )
    } else {
        " 5 Findings ".to_string()
    };
    let block = t.block(title);
    if app.run.findings.is_empty() {
        f.render_widget(
            Paragraph::new(if app.run.report.is_some() {
                " No findings: every check passed."
            } else {
                " No findings yet (r runs the check)."
            })
            .block(block),
            list,
        );
        return;
    }
    let inner = block.inner(list);
    let rows: Vec<Row> = app
        .run
        .findings
        .iter()
        .map(|fd| {
            Row::new(vec![
                Cell::from(format!("{:?}", fd.severity).to_uppercase())
                    .style(t.severity(fd.severity)),
                Cell::from(format!("{}  {}", fd.code, fd.title)),
            ])
        })
        .collect();
    let mut st = TableState::default()
        .with_selected((!app.log.focus).then_some(app.screens.findings.selected));
    f.render_stateful_widget(
        Table::new(rows, [Constraint::Length(8), Constraint::Min(10)])
            .row_highlight_style(t.selected())
            .block(block),
        list,
        &mut st,
    );
    let n = app.run.findings.len();
    hits.rows
        .push((super::rows_area(inner, n), n, st.offset(), Screen::Findings));
    if let Some(fd) = app.run.findings.get(app.screens.findings.selected) {
        let mut lines = vec![Line::from(fd.detail.clone())];
        if let Some(src) = fd.source {
            lines.push(
                Line::from(format!("Source: the org's record ({src}); i shows it")).style(t.dim()),
            );
        }
        if !fd.request_ids.is_empty() {
            lines.push(
                Line::from(format!(
                    "Evidence: request {} (Enter opens it)",
                    fd.request_ids
                        .iter()
                        .map(|i| format!("#{i}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .style(t.dim()),
            );
        }
        lines.push(Line::from("Fix:").style(Style::default().add_modifier(Modifier::BOLD)));
        for (i, step) in fd.fix.iter().enumerate() {
            lines.push(Line::from(format!(" {}. {step}", i + 1)));
        }
        f.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .block(t.block(format!(" {} (c copies the fix · v full width) ", fd.code))),
            detail,
        );
    }
}
