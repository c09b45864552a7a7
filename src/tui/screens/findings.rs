//! Step 5: every finding with severity, code and title; the selected one's evidence and fix.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};

use crate::engine::Finding;
use crate::tui::keymap::Action;
use crate::tui::msg::Cmd;
use crate::tui::overlay::{Overlay, ValueView};
use crate::tui::run::RunState;
use crate::tui::state::Screen;
use crate::tui::theme::Theme;
use crate::tui::verdict;

/// The step's own state.
#[derive(Debug, Default)]
pub struct FindingsScreen {
    /// The finding selected.
    pub selected: usize,
}

/// The numbered fix steps of `f`, one a line.
fn fix_text(f: &Finding) -> String {
    f.fix
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{}. {s}", i + 1))
        .collect::<Vec<_>>()
        .join("\n")
}

impl FindingsScreen {
    /// The finding shown selected: the selection, kept in range (a re-run may list fewer).
    pub fn current(&self, findings: usize) -> Option<usize> {
        (findings > 0).then(|| self.selected.min(findings - 1))
    }

    /// Up and down choose a finding; Enter opens its evidence; `c` copies its fix, `v` shows it
    /// at full width; `f` opens the Fix overlay on it.
    pub fn action(&mut self, a: Action, findings: &[Finding]) -> Vec<Cmd> {
        let n = findings.len().max(1);
        self.selected = self.selected.min(n - 1);
        let selected = findings.get(self.selected);
        match a {
            Action::Down => self.selected = (self.selected + 1).min(n - 1),
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Home => self.selected = 0,
            Action::End => self.selected = n - 1,
            Action::Select => {
                if let Some(id) = selected.and_then(|f| f.request_ids.first().copied()) {
                    return vec![Cmd::Inspect(id)];
                }
            }
            Action::Copy => {
                if let Some(f) = selected {
                    return vec![Cmd::Copy {
                        what: "fix".into(),
                        text: fix_text(f),
                    }];
                }
            }
            Action::Fix => return vec![Cmd::OpenFix(selected.map(fix_about))],
            Action::View => {
                if let Some(f) = selected {
                    return vec![Cmd::Open(Overlay::Value(ValueView::new(
                        "fix",
                        fix_text(f),
                        true,
                    )))];
                }
            }
            _ => {}
        }
        Vec::new()
    }
}

/// What `f` on a finding opens the Fix overlay on: a missing permission set's label, else the
/// finding's code.
fn fix_about(f: &Finding) -> String {
    let set = crate::engine::ENDPOINTS
        .iter()
        .find(|d| f.title.contains(d.permission_set))
        .filter(|_| f.code == crate::engine::Code::PERMISSION_SET_MISSING);
    match set {
        Some(d) => d.permission_set.to_string(),
        None => f.code.as_str().to_string(),
    }
}

/// The integration's record in short, for the findings step (None: not read).
pub fn record_lines(run: &RunState) -> Option<Vec<String>> {
    let rec = run.report()?.integration.as_ref()?;
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

/// Draws the step from its state and the run (`focus`: the step has the keys, not the log).
pub fn draw(
    f: &mut Frame,
    me: &FindingsScreen,
    run: &RunState,
    focus: bool,
    t: &Theme,
    area: Rect,
    hits: &mut crate::tui::state::HitMap,
) {
    let area = match record_lines(run) {
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
        Constraint::Length((run.findings.len() as u16 + 2).clamp(3, 9)),
        Constraint::Min(0),
    ])
    .areas(area);
    let title = if run.report().is_some() {
        format!(" 5 Findings — {} ", verdict::overall_words(&run.findings))
    } else {
        " 5 Findings ".to_string()
    };
    let block = t.block(title);
    if run.findings.is_empty() {
        f.render_widget(
            Paragraph::new(if run.report().is_some() {
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
    let rows: Vec<Row> = run
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
    let mut st =
        TableState::default().with_selected(me.current(run.findings.len()).filter(|_| focus));
    f.render_stateful_widget(
        Table::new(rows, [Constraint::Length(8), Constraint::Min(10)])
            .row_highlight_style(t.selected())
            .block(block),
        list,
        &mut st,
    );
    let n = run.findings.len();
    hits.rows
        .push((super::rows_area(inner, n), n, st.offset(), Screen::Findings));
    if let Some(fd) = me
        .current(run.findings.len())
        .and_then(|i| run.findings.get(i))
    {
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
