//! The mouse (with `--mouse`): a click on a tab goes there, a click on a row selects it (in the
//! request log it opens the request), the wheel scrolls what it is over. Where things are comes
//! from the last frame's [`HitMap`]; what crosses parts comes back as [`Cmd`]s.

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

use super::keymap::Action;
use super::log::LogPane;
use super::msg::Cmd;
use super::overlay::Overlay;
use super::run::RunState;
use super::state::{HitMap, Screen};

/// Lines the wheel scrolls the inspector by, a notch.
const WHEEL_LINES: usize = 3;

/// What a mouse event does: the log and the inspector answer here, the rest is asked of the
/// app ([`Cmd::Go`], [`Cmd::Select`], [`Cmd::Act`]).
pub fn on_mouse(
    m: MouseEvent,
    hits: &HitMap,
    screen: Screen,
    overlay: &mut Overlay,
    log: &mut LogPane,
    run: &RunState,
) -> Vec<Cmd> {
    let at = |r: &Rect| {
        m.column >= r.x && m.column < r.x + r.width && m.row >= r.y && m.row < r.y + r.height
    };
    let wheel = match m.kind {
        MouseEventKind::ScrollDown => Some(Action::Down),
        MouseEventKind::ScrollUp => Some(Action::Up),
        _ => None,
    };
    if let Some(a) = wheel {
        return match overlay {
            Overlay::None => match hits.log.filter(|(r, _)| at(r)) {
                Some(view) => {
                    log.focus = true;
                    log.action(a, run, Some(view))
                }
                None => vec![Cmd::Act(a)],
            },
            Overlay::Inspector(ins) => {
                if let Some(r) = hits.inspector {
                    ins.set_view(r.width.into(), r.height.into());
                }
                for _ in 0..WHEEL_LINES {
                    ins.on_action(a);
                }
                Vec::new()
            }
            _ => vec![Cmd::Act(a)],
        };
    }
    if m.kind != MouseEventKind::Down(MouseButton::Left) || !matches!(overlay, Overlay::None) {
        return Vec::new();
    }
    if let Some((_, i)) = hits.tabs.iter().find(|(r, _)| at(r)) {
        return Screen::ALL
            .get(*i)
            .map(|s| Cmd::Go(*s))
            .into_iter()
            .collect();
    }
    if let Some((r, offset)) = hits.log.filter(|(r, _)| at(r)) {
        let row = usize::from(m.row - r.y) + offset;
        return log.click(row, offset, run);
    }
    for (r, rows, offset, on) in &hits.rows {
        if at(r) && *on == screen {
            let row = usize::from(m.row - r.y) + offset;
            if row < *rows {
                return vec![Cmd::Select { screen, row }];
            }
        }
    }
    Vec::new()
}
