//! Step 3: the login as a timeline — the authorize URL, the device code, the paste field when
//! a person must paste, then each step with its result; a failed step shows its finding and
//! first fix. It scrolls, and says when there is more below.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState, Wrap};

use crate::engine::{Severity, Status, StepId};
use crate::tui::keymap::Action;
use crate::tui::msg::{Cmd, Effect};
use crate::tui::overlay::{Overlay, ValueView};
use crate::tui::run::RunState;
use crate::tui::state::{DemoState, Mode};
use crate::tui::theme::{Theme, mark};
use crate::tui::verdict;

/// The login step's own state.
pub struct LoginScreen {
    /// Lines scrolled.
    pub scroll: usize,
    /// The redirect URL being pasted.
    pub paste: ratatui_textarea::TextArea<'static>,
    /// Why the paste field opened by itself (the callback port is busy).
    pub paste_reason: Option<String>,
}

impl Default for LoginScreen {
    fn default() -> Self {
        LoginScreen {
            scroll: 0,
            paste: crate::tui::form::text(""),
            paste_reason: None,
        }
    }
}

impl LoginScreen {
    /// `p` pastes the redirect URL, `c` copies the authorize URL (or hands over a rotated refresh
    /// token, once), `v` shows the URL alone; the arrows scroll.
    pub fn action(&mut self, a: Action, run: &mut RunState) -> Vec<Cmd> {
        match a {
            Action::Paste => {
                return vec![if run.running() && run.waiting_for_person() {
                    Cmd::Mode(Mode::Paste)
                } else {
                    Cmd::Say("No login is waiting for a redirect URL (r starts one).".into())
                }];
            }
            Action::Copy => {
                if let Some(u) = run.authorize_url.clone() {
                    return vec![Cmd::Copy {
                        what: "authorize URL".into(),
                        text: u,
                    }];
                }
                // A rotated refresh token, once: to the clipboard, masked on screen.
                if let Some(t) = run.rotated_token.take() {
                    return vec![
                        Cmd::Open(Overlay::Value(ValueView::new(
                            "new refresh token (copied once; give it to the integration)",
                            crate::engine::ledger::masked(&t),
                            false,
                        ))),
                        Cmd::Effect(Effect::Osc52(t)),
                    ];
                }
            }
            Action::View => {
                return vec![match run.authorize_url.clone() {
                    Some(u) => Cmd::Open(Overlay::Value(ValueView::new("authorize URL", u, true))),
                    None => Cmd::Say("No authorize URL yet (r starts a login).".into()),
                }];
            }
            Action::Down => self.scroll += 1,
            Action::Up => self.scroll = self.scroll.saturating_sub(1),
            Action::PageDown => self.scroll += 8,
            Action::PageUp => self.scroll = self.scroll.saturating_sub(8),
            Action::Home => self.scroll = 0,
            Action::End => self.scroll = usize::MAX / 2,
            _ => {}
        }
        Vec::new()
    }
}

/// Rows `lines` take at `width` columns, wrapped.
pub fn wrapped_height(lines: &[Line], width: u16) -> usize {
    let w = width.max(1) as usize;
    lines.iter().map(|l| l.width().max(1).div_ceil(w)).sum()
}

/// Draws the step from its state, the run and the demo org (`mode`: the paste field is open
/// in [`Mode::Paste`]).
pub fn draw(
    f: &mut Frame,
    me: &LoginScreen,
    run: &RunState,
    demo: &DemoState,
    mode: &Mode,
    t: &Theme,
    area: Rect,
) {
    let block = t.block(" 3 Login — every step, pass or fail ");
    let inner = block.inner(area);
    f.render_widget(block, area);
    let inner = if *mode == Mode::Paste {
        let [label, field, rest] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(0),
        ])
        .areas(inner);
        f.render_widget(
            Paragraph::new(" Paste the URL the browser landed on; Enter sends · Esc closes:")
                .style(Style::default().add_modifier(Modifier::BOLD)),
            label,
        );
        let [pad, field] =
            Layout::horizontal([Constraint::Length(3), Constraint::Min(1)]).areas(field);
        f.render_widget(Paragraph::new(" >"), pad);
        f.render_widget(&me.paste, field);
        rest
    } else {
        inner
    };
    let mut lines = Vec::new();
    if let Some(d) = &demo.description {
        lines.push(
            Line::from(format!(
                " Demo scenario {}: {d}",
                demo.scenario.clone().unwrap_or_default()
            ))
            .style(t.dim()),
        );
    }
    match &run.authorize_url {
        Some(u) => {
            lines.push(Line::from(
                " Authorize URL (c copies; v shows it alone to select; open it in any browser):",
            ));
            lines.push(Line::from(format!("   {u}")).style(t.dim()));
            if let Some(ssh) = &run.ssh_tunnel {
                lines.push(Line::from(format!(
                    " Over SSH, forward the callback first: {ssh}"
                )));
            }
        }
        None if run.steps.is_empty() => lines.push(Line::from(
            " Press r to start: environment pre-flight, login, token checks, org checks, probes.",
        )),
        None => {}
    }
    if let Some((code, uri)) = &run.device {
        lines.push(
            Line::from(format!(" Enter code {code} at {uri}"))
                .style(Style::default().add_modifier(Modifier::BOLD)),
        );
    }
    if let Some(why) = me
        .paste_reason
        .as_ref()
        .filter(|_| run.waiting_for_person())
    {
        lines.push(Line::from(format!(" ! {why}")).style(t.status(Status::Warn)));
    }
    if run.running() && run.waiting_for_person() && *mode != Mode::Paste {
        lines.push(
            Line::from(
                " Waiting for the login… or press p to paste the URL the browser landed on.",
            )
            .style(Style::default().add_modifier(Modifier::BOLD)),
        );
    }
    lines.push(Line::from(""));
    for s in &run.steps {
        let st = verdict::step(s.id, s.status, &run.endpoints);
        let (word, style) = match st {
            Some(st) => (mark(st).to_string(), t.status(st)),
            None if run.running() => ("  …   ".to_string(), t.dim()),
            None => ("      ".to_string(), t.dim()),
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {word} "), style),
            Span::raw(format!("{:<22}", s.id.title())),
            Span::styled(
                if s.status.is_some() {
                    format!("{:>6} ms  ", s.duration_ms)
                } else {
                    String::new()
                },
                t.dim(),
            ),
            Span::raw(s.summary.clone()),
        ]));
        if st == Some(Status::Fail)
            && matches!(s.id, StepId::Login | StepId::Environment | StepId::Token)
        {
            for finding in run
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .take(2)
            {
                lines.push(
                    Line::from(format!(
                        "        {} {}: {}",
                        finding.code, finding.title, finding.detail
                    ))
                    .style(t.severity(finding.severity)),
                );
                if let Some(first) = finding.fix.first() {
                    lines.push(Line::from(format!("        Fix: 1. {first}")));
                }
            }
        }
    }
    if run.report().is_some() {
        lines.push(Line::from(""));
        lines.push(Line::from(format!(
            " Result: {}",
            verdict::overall_words(&run.findings)
        )));
    }
    let total = wrapped_height(&lines, inner.width);
    let visible = inner.height as usize;
    let top = me.scroll.min(total.saturating_sub(visible));
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((top as u16, 0)),
        inner,
    );
    if total > visible {
        // The "more" mark: where the view is, and that there is more.
        let more = if top + visible < total {
            " ↓ more (↓ PgDn) "
        } else {
            " ↑ top (Home) "
        };
        let r = Rect {
            x: area.x + area.width.saturating_sub(more.chars().count() as u16 + 2),
            y: area.y + area.height.saturating_sub(1),
            width: (more.chars().count() as u16).min(area.width),
            height: 1,
        };
        f.render_widget(
            Paragraph::new(more).style(Style::default().add_modifier(Modifier::BOLD)),
            r,
        );
        if !t.plain {
            let mut st = ScrollbarState::new(total.saturating_sub(visible)).position(top);
            f.render_stateful_widget(
                Scrollbar::new(ScrollbarOrientation::VerticalRight),
                area,
                &mut st,
            );
        }
    }
}
