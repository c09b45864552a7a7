//! Step 1: where the API user logs in, and the pre-flight's result.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::engine::{Status, StepId};
use crate::tui::app::App;
use crate::tui::form::{EnvChoice, Form};
use crate::tui::keymap::Action;
use crate::tui::msg::Cmd;
use crate::tui::state::{Mode, Screen};
use crate::tui::theme::{Theme, mark};

/// The step's own state.
#[derive(Debug, Default)]
pub struct EnvironmentScreen {
    /// The environment row selected.
    pub selected: usize,
}

impl EnvironmentScreen {
    /// Up and down choose where the API user logs in; Enter takes it (a custom URL is typed).
    pub fn action(&mut self, a: Action, form: &mut Form) -> Vec<Cmd> {
        let choices = [
            EnvChoice::Production,
            EnvChoice::Sandbox,
            EnvChoice::Custom,
            EnvChoice::Demo,
        ];
        let n = if form.demo_url.is_some() { 4 } else { 3 };
        match a {
            Action::Down => self.selected = (self.selected + 1).min(n - 1),
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Home => self.selected = 0,
            Action::End => self.selected = n - 1,
            Action::Select => {
                form.env = choices[self.selected.min(n - 1)];
                return vec![if form.env == EnvChoice::Custom {
                    Cmd::Edit(None)
                } else {
                    Cmd::Go(Screen::ConnectedApp)
                }];
            }
            Action::Edit if form.env == EnvChoice::Custom => return vec![Cmd::Edit(None)],
            _ => {}
        }
        Vec::new()
    }
}

pub fn draw(f: &mut Frame, app: &App, t: &Theme, area: Rect, hits: &mut crate::tui::state::HitMap) {
    let block = t.block(" 1 Environment — where the API user logs in ");
    let inner = block.inner(area);
    f.render_widget(block, area);
    let mut lines = Vec::new();
    let mut choices = vec![
        (
            EnvChoice::Production,
            "Production  https://login.salesforce.com".to_string(),
        ),
        (
            EnvChoice::Sandbox,
            "Sandbox     https://test.salesforce.com".to_string(),
        ),
        (EnvChoice::Custom, "My Domain / custom URL".to_string()),
    ];
    if let Some(u) = &app.form.demo_url {
        choices.push((EnvChoice::Demo, format!("Demo org    {u} (simulated)")));
    }
    for (i, (c, label)) in choices.iter().enumerate() {
        let radio = if app.form.env == *c { "(•)" } else { "( )" };
        let style = if i == app.screens.environment.selected && !app.log.focus {
            t.selected()
        } else {
            Default::default()
        };
        lines.push(Line::from(format!(" {radio} {label}")).style(style));
    }
    let n = lines.len();
    let [list, rest] =
        Layout::vertical([Constraint::Length(n as u16), Constraint::Min(0)]).areas(inner);
    hits.rows
        .push((super::rows_area(list, n), n, 0, Screen::Environment));
    f.render_widget(Paragraph::new(lines), list);
    let mut y = rest;
    if app.form.env == EnvChoice::Custom {
        let [input, r] = Layout::vertical([Constraint::Length(3), Constraint::Min(0)]).areas(rest);
        let editing = matches!(app.mode, Mode::Edit { field: None, .. });
        let title = if editing {
            " URL (editing: Enter done · Esc puts it back) "
        } else {
            " URL (e edits) "
        };
        let mut ta = app.form.custom_url.clone();
        ta.set_block(t.block(title));
        if !editing {
            ta.set_cursor_style(Default::default());
        }
        f.render_widget(&ta, input);
        y = r;
    }
    let mut info = Vec::new();
    match app.form.login_url() {
        Ok(env) => info.push(Line::from(format!(" Login URL: {}", env.login_url()))),
        Err(e) => info.push(Line::from(format!(" ✗ {e}")).style(t.status(Status::Fail))),
    }
    if let Some(s) = app
        .run
        .steps
        .iter()
        .find(|s| s.id == StepId::Environment)
        .filter(|s| s.status.is_some())
    {
        let st = s.status.unwrap_or(Status::Skip);
        info.push(Line::from(vec![
            Span::styled(format!(" {} ", mark(st)), t.status(st)),
            Span::raw("pre-flight: DNS, TCP, TLS, proxy, is this Salesforce"),
        ]));
        info.push(Line::from(format!("   {}", s.summary)));
        for finding in app
            .run
            .findings
            .iter()
            .filter(|f| f.severity == crate::engine::Severity::Error)
            .filter(|_| st == Status::Fail)
            .take(1)
        {
            info.push(
                Line::from(format!("   {} {}", finding.code, finding.title))
                    .style(t.severity(finding.severity)),
            );
            if let Some(first) = finding.fix.first() {
                info.push(Line::from(format!("   Fix: 1. {first}")));
            }
        }
    } else {
        info.push(
            Line::from(
                " Pre-flight (DNS, TCP, TLS, proxy, is this Salesforce) runs with the check: r",
            )
            .style(t.dim()),
        );
    }
    if let Some(d) = &app.demo.description {
        info.push(Line::from(""));
        info.push(Line::from(format!(
            " Demo scenario {}: {d} (S: choose another)",
            app.demo.scenario.clone().unwrap_or_default()
        )));
    }
    f.render_widget(Paragraph::new(info).wrap(Wrap { trim: false }), y);
}
