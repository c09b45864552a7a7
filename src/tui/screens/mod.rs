//! The five steps and the Fleet screen: each module owns its keys and its drawing.

pub mod connected;
pub mod environment;
pub mod findings;
pub mod fleet;
mod fleet_app;
mod fleet_draw;
mod fleet_store;
pub mod login;
pub mod permissions;

use ratatui::layout::Rect;

/// Each step's and the Fleet screen's own state.
#[derive(Default)]
pub struct Screens {
    pub environment: environment::EnvironmentScreen,
    pub connected: connected::ConnectedScreen,
    pub login: login::LoginScreen,
    pub permissions: permissions::PermissionsScreen,
    pub findings: findings::FindingsScreen,
    pub fleet: fleet::FleetScreen,
}

impl Screens {
    /// Row `row` of a screen's list is selected (a click on it).
    pub fn select(
        &mut self,
        screen: crate::tui::state::Screen,
        row: usize,
        form: &mut crate::tui::form::Form,
    ) {
        use crate::tui::state::Screen;
        match screen {
            Screen::Permissions => self.permissions.selected = row,
            Screen::Findings => self.findings.selected = row,
            Screen::Environment => self.environment.selected = row,
            Screen::ConnectedApp => form.field = row,
            Screen::Login | Screen::Fleet => {}
        }
    }
}

/// `s` in at most `max` characters: head … tail.
pub fn elide_middle(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max || max < 2 {
        return s.to_string();
    }
    let tail = (max - 1) / 3;
    let head = max - 1 - tail;
    let h: String = s.chars().take(head).collect();
    let t: String = s.chars().skip(n - tail).collect();
    format!("{h}…{t}")
}

/// `s` in at most `max` characters: its head, then `…`.
pub fn elide_end(s: &str, max: usize) -> String {
    if s.chars().count() <= max || max < 2 {
        return s.to_string();
    }
    let mut h: String = s.chars().take(max - 1).collect();
    h.push('…');
    h
}

/// The first `rows` lines of `area`, for the mouse.
pub fn rows_area(area: Rect, rows: usize) -> Rect {
    Rect {
        height: area.height.min(rows as u16),
        ..area
    }
}
