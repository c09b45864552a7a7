//! The mouse (with `--mouse`): a click on a tab, a row or a finding selects it; the wheel
//! scrolls what it is over. Where things are comes from the last frame's [`HitMap`].

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

use super::app::{App, Screen};
use super::keymap::Action;
use super::msg::Effect;
use super::overlay::Overlay;

impl App {
    /// Mouse: a click on a tab or a row selects it; the wheel scrolls what it is over.
    pub(super) fn on_mouse(&mut self, m: MouseEvent) -> Vec<Effect> {
        if !self.prefs.mouse {
            return Vec::new();
        }
        let hits = self.hits.clone();
        let at = |r: &Rect| {
            m.column >= r.x && m.column < r.x + r.width && m.row >= r.y && m.row < r.y + r.height
        };
        let wheel = match m.kind {
            MouseEventKind::ScrollDown => Some(Action::Down),
            MouseEventKind::ScrollUp => Some(Action::Up),
            _ => None,
        };
        if let Some(a) = wheel {
            let effects = match &mut self.overlay {
                Overlay::None => {
                    if hits.log.is_some_and(|(r, _)| at(&r)) {
                        self.log_action(a)
                    } else {
                        self.screen_action(a)
                    }
                }
                Overlay::Inspector(ins) => {
                    for _ in 0..3 {
                        ins.on_action(a);
                    }
                    Vec::new()
                }
                _ => {
                    let cmds = self.overlay.action(a, &self.demo.scenarios);
                    self.apply(cmds)
                }
            };
            return effects;
        }
        if m.kind != MouseEventKind::Down(MouseButton::Left)
            || !matches!(self.overlay, Overlay::None)
        {
            return Vec::new();
        }
        if let Some((_, i)) = hits.tabs.iter().find(|(r, _)| at(r)) {
            self.go(Screen::ALL[*i]);
            return Vec::new();
        }
        if let Some((r, n)) = hits.log.filter(|(r, _)| at(r)) {
            let row = (m.row - r.y) as usize + n;
            if row < self.filtered_log().len() {
                self.log.focus = true;
                self.log.selected = row;
            }
            return Vec::new();
        }
        for (r, rows, offset, screen) in &hits.rows {
            if at(r) && *screen == self.screen {
                let row = (m.row - r.y) as usize + offset;
                if row < *rows {
                    self.log.focus = false;
                    match screen {
                        Screen::Permissions => self.screens.permissions.selected = row,
                        Screen::Findings => self.screens.findings.selected = row,
                        Screen::Environment => self.screens.environment.selected = row,
                        Screen::ConnectedApp => self.form.field = row,
                        Screen::Login | Screen::Fleet => {}
                    }
                }
            }
        }
        Vec::new()
    }
}
