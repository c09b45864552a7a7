//! Colours and marks: status never rests on colour alone.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::Block;

use crate::engine::{Severity, Status};

pub struct Theme {
    pub color: bool,
    pub light: bool,
    /// Plain mode for screen readers: no box drawing, no spinner.
    pub plain: bool,
}

impl Theme {
    pub fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::default().fg(c)
        } else {
            Style::default()
        }
    }
    pub fn status(&self, s: Status) -> Style {
        match s {
            Status::Pass => self.fg(Color::Green),
            Status::Fail => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            Status::Warn => self.fg(Color::Yellow),
            Status::Skip => self.fg(Color::DarkGray),
        }
    }
    /// The overall verdict: bold, on a colour (reversed without colour).
    pub fn verdict(&self, s: Status) -> Style {
        let bold = Style::default().add_modifier(Modifier::BOLD);
        if !self.color {
            return bold.add_modifier(Modifier::REVERSED);
        }
        let bg = match s {
            Status::Pass => Color::Green,
            Status::Fail => Color::Red,
            Status::Warn => Color::Yellow,
            Status::Skip => Color::DarkGray,
        };
        bold.bg(bg).fg(Color::Black)
    }
    pub fn severity(&self, s: Severity) -> Style {
        match s {
            Severity::Error => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            Severity::Warning => self.fg(Color::Yellow),
            Severity::Info => self.fg(Color::Cyan),
        }
    }
    pub fn selected(&self) -> Style {
        match (self.color, self.light) {
            (false, _) => Style::default().add_modifier(Modifier::REVERSED),
            (true, false) => Style::default()
                .bg(Color::DarkGray)
                .add_modifier(Modifier::BOLD),
            (true, true) => Style::default()
                .bg(Color::LightBlue)
                .fg(Color::Black)
                .add_modifier(Modifier::BOLD),
        }
    }
    /// A titled block: bordered, or in plain mode the title alone.
    pub fn block<'a>(&self, title: impl Into<Line<'a>>) -> Block<'a> {
        if self.plain {
            Block::new().title(title)
        } else {
            Block::bordered().title(title)
        }
    }

    pub fn dim(&self) -> Style {
        self.fg(Color::DarkGray)
    }
}

/// PASS/FAIL as a word and a symbol: never colour alone. The engine's one mark
/// ([`Status::mark`]), as `check` and the report print it.
pub fn mark(s: Status) -> &'static str {
    s.mark()
}
