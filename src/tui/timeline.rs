//! The timeline overlay of one org (`t` on the Fleet screen): a sparkline of check success over
//! its last cycles (oldest left), then its incidents with open and resolve times, newest first.
//! It owns its state (what was read, the scroll) and draws itself.

use std::fmt::Write as _;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph, Sparkline, Wrap};

use crate::engine::sanitize;
use crate::engine::watch::{CycleSummary, Incident, IncidentState};
use crate::tui::keymap::Action;
/// A time as the timeline shows it (UTC, the header says so): `12-07 16:05`.
fn short(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%m-%d %H:%M").to_string())
        .unwrap_or_else(|| secs.to_string())
}
use crate::tui::theme::Theme;

/// An org's incidents (newest first) and cycles (newest first), as the store gave them.
pub type TimelineData = (Vec<Incident>, Vec<CycleSummary>);

pub struct Timeline {
    pub org: String,
    /// `None` while the store is read; the store's message when it cannot be.
    pub data: Option<Result<TimelineData, String>>,
    pub scroll: usize,
}

impl Timeline {
    pub fn new(org: &str) -> Timeline {
        Timeline {
            org: org.to_string(),
            data: None,
            scroll: 0,
        }
    }

    pub fn loaded(&mut self, r: Result<TimelineData, String>) {
        self.data = Some(r);
        self.scroll = 0;
    }

    /// A key on the overlay; true: close it.
    pub fn on_action(&mut self, a: Action) -> bool {
        match a {
            Action::Back | Action::Timeline => return true,
            Action::Down => self.scroll += 1,
            Action::Up => self.scroll = self.scroll.saturating_sub(1),
            Action::PageDown => self.scroll += 10,
            Action::PageUp => self.scroll = self.scroll.saturating_sub(10),
            Action::Home => self.scroll = 0,
            _ => {}
        }
        false
    }

    /// Check success per cycle, oldest first, in percent.
    pub fn success(&self) -> Vec<u64> {
        match &self.data {
            Some(Ok((_, hist))) => hist
                .iter()
                .rev()
                .map(|c| {
                    if c.total == 0 {
                        0
                    } else {
                        u64::from(c.passed) * 100 / u64::from(c.total)
                    }
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The incident lines, newest first.
    pub fn lines(&self) -> Vec<String> {
        let Some(Ok((incidents, _))) = &self.data else {
            return Vec::new();
        };
        if incidents.is_empty() {
            return vec!["No incidents recorded.".into()];
        }
        incidents
            .iter()
            .map(|i| {
                let state = match i.state {
                    IncidentState::Pending => "PENDING",
                    IncidentState::Open => "OPEN",
                    IncidentState::Resolved => "RESOLVED",
                };
                let mut l = format!(
                    "{state:<8} {} ({}) opened {}",
                    i.code,
                    i.severity,
                    i.opened_at.map(short).unwrap_or_else(|| "-".into())
                );
                if let Some(r) = i.resolved_at {
                    let _ = write!(l, ", resolved {}", short(r));
                }
                if let Some(by) = &i.acked_by {
                    let _ = write!(l, ", acked by {by}");
                }
                if let Some(u) = i.muted_until {
                    let _ = write!(l, ", muted until {}", short(u));
                }
                sanitize::line(&l).into_owned()
            })
            .collect()
    }
}

pub fn draw(f: &mut Frame, tl: &Timeline, t: &Theme, area: Rect) {
    let r = crate::tui::overlay::centered(area, area.width.min(100), area.height);
    f.render_widget(Clear, r);
    let block = t.block(format!(
        " Timeline of {} — Esc closes ",
        sanitize::line(&tl.org)
    ));
    let inner = block.inner(r);
    f.render_widget(block, r);
    let data = match &tl.data {
        None => {
            f.render_widget(Paragraph::new("Reading the store…"), inner);
            return;
        }
        Some(Err(e)) => {
            f.render_widget(
                Paragraph::new(format!("The store cannot be read: {e}")),
                inner,
            );
            return;
        }
        Some(Ok(d)) => d,
    };
    let [label, spark, _, list] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(3),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .areas(inner);
    let success = tl.success();
    // The numbers beside the bars: the sparkline is never the only place a figure is.
    let last = data.1.first();
    let text = match last {
        Some(c) => format!(
            "Checks passed, last {} cycles, oldest left; latest {}/{} at {} UTC",
            success.len(),
            c.passed,
            c.total,
            short(c.started_at)
        ),
        None => "No cycles recorded.".into(),
    };
    f.render_widget(Paragraph::new(text), label);
    // The newest cycles that fit, right-aligned with the label's "oldest left".
    let keep = success.len().min(spark.width as usize);
    let shown = &success[success.len() - keep..];
    f.render_widget(
        Sparkline::default()
            .data(shown)
            .max(100)
            .style(t.status(crate::engine::Status::Pass)),
        spark,
    );
    let lines: Vec<Line> = tl
        .lines()
        .into_iter()
        .skip(tl.scroll)
        .map(Line::from)
        .collect();
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), list);
}
