//! Drawing the Fix overlay from its state and read-only views (the fix state, the report):
//! the plan, the selected fix's request, the changes that still stand (the report's own), what
//! happened (wrapped, never cut) and the prompt at the bottom.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::fix::{FixState, FixView, Pending, Stage, fix_text, pending};
use super::form::first_line;
use super::overlay::{boxed, wrap_hard, wrap_words};
use super::theme::Theme;
use crate::engine::Report;
use crate::engine::fix::{Change, FixKind};

fn kind_word(k: FixKind) -> &'static str {
    match k {
        FixKind::Apply => "apply",
        FixKind::Command => "command",
        FixKind::Metadata => "metadata",
        FixKind::Setup => "setup",
    }
}

/// Lines of `s`, wrapped to `width` (`pad` before each line after the first).
fn wrapped(s: &str, width: usize, pad: &str) -> Vec<String> {
    wrap_hard(s, width.saturating_sub(pad.chars().count()).max(10))
        .into_iter()
        .enumerate()
        .map(|(i, l)| if i == 0 { l } else { format!("{pad}{l}") })
        .collect()
}

pub fn draw(
    f: &mut Frame,
    v: &FixView,
    fix: &FixState,
    report: Option<&Report>,
    t: &Theme,
    area: Rect,
) {
    let block = t.block(" Fix — Enter: apply (asks first) · u: undo · c: copy · Esc closes ");
    let r = boxed(f, area, area.width.min(110), area.height);
    let inner = block.inner(r);
    f.render_widget(block, r);
    // One column of padding inside the border.
    let inner = Rect {
        x: inner.x + 1,
        width: inner.width.saturating_sub(2),
        ..inner
    };
    let width = (inner.width as usize).max(20);
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let mut lines: Vec<Line> = Vec::new();
    let Some(plan) = &v.plan else {
        lines.push(Line::from("Reading the plan…"));
        f.render_widget(Paragraph::new(lines), inner);
        return;
    };
    let standing = pending(fix, report);
    let who = match (v.may_assign, &fix.admin) {
        (Some(true), _) => format!(
            "Changes run as the session's user {} (may assign permission sets).",
            plan.assignee.clone().unwrap_or_default()
        ),
        (_, Some(a)) => format!(
            "Changes run as {} (logged in here, memory only).",
            a.username
        ),
        (Some(false), None) => {
            "The session's user may not assign permission sets: an admin logs in first.".into()
        }
        (None, None) => {
            "Whether the session may assign permission sets is not known: an admin logs in first."
                .into()
        }
    };
    let who = if plan.fixes.is_empty() && !standing.is_empty() {
        "Nothing left to fix here: the changes below stand (u undoes them).".to_string()
    } else if plan.fixes.is_empty() {
        "Nothing to fix: the last run found nothing sagediag has a fix for.".to_string()
    } else if plan.applicable().next().is_some() {
        who
    } else {
        "Nothing here sagediag can apply through the API: an admin makes these (c copies one)."
            .into()
    };
    for w in wrap_words(&who, width) {
        lines.push(Line::from(w).style(t.dim()));
    }
    for (i, fx) in plan.fixes.iter().enumerate() {
        let done = standing.iter().any(|(c, r)| {
            fx.permission_set.as_deref() == Some(c.what.as_str())
                || fx
                    .change
                    .as_ref()
                    .is_some_and(|ch| matches!(ch, Change::RevokeGrant { .. }) && r.change == *ch)
        });
        let text = format!(
            "{}{} [{}] {} — {}",
            if i == v.selected { "▶" } else { " " },
            if done { "✓" } else { " " },
            if done { "applied" } else { kind_word(fx.kind) },
            fx.finding,
            fx.target,
        );
        let style = if i == v.selected {
            t.selected()
        } else {
            Style::default()
        };
        lines.push(Line::from(super::screens::elide_end(&text, width)).style(style));
    }
    if let Some(fx) = v.selected_fix() {
        lines.push(Line::from(""));
        for l in fix_text(fx).lines().skip(1) {
            for w in wrap_hard(l, width.saturating_sub(1)) {
                lines.push(Line::from(format!(" {w}")));
            }
        }
    }
    if !standing.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::from("Changes made here (u undoes them):").style(bold));
        for (c, _) in &standing {
            let change = format!(
                "{} {} · request #{} · by {} · {} · {}",
                c.outcome,
                c.what,
                c.request_id,
                c.by,
                c.at,
                c.record.as_deref().unwrap_or("?"),
            );
            lines.extend(
                wrapped(&change, width.saturating_sub(1), "  ")
                    .into_iter()
                    .map(|l| Line::from(format!(" {l}"))),
            );
        }
    }
    // What happened here, newest last, each note whole (wrapped): up to a third of the box.
    let budget = (inner.height as usize / 3).max(4);
    let mut notes: Vec<Line> = Vec::new();
    for n in v.notes.iter().rev() {
        let w = wrapped(n, width, "  ");
        if !notes.is_empty() && notes.len() + w.len() > budget {
            break;
        }
        let mut block: Vec<Line> = w
            .into_iter()
            .map(|l| Line::from(l).style(t.dim()))
            .collect();
        block.append(&mut notes);
        notes = block;
    }
    if !notes.is_empty() {
        notes.insert(0, Line::from(""));
    }
    // The prompt at the bottom: the confirmation, the admin's form, or work in flight.
    let mut prompt: Vec<Line> = Vec::new();
    match v.stage {
        Stage::Confirm(what) => {
            let as_who = if v.may_assign == Some(true) {
                plan.assignee.clone().unwrap_or_default()
            } else {
                fix.admin
                    .as_ref()
                    .map(|a| a.username.clone())
                    .unwrap_or_default()
            };
            let what = match what {
                Pending::Apply => v
                    .selected_fix()
                    .and_then(|f| f.request.as_ref())
                    .map(|r| format!("send {} {} {}", r.method, r.url, r.body))
                    .unwrap_or_default(),
                Pending::Undo => {
                    let revoked = standing
                        .iter()
                        .filter(|(_, r)| matches!(r.change, Change::RevokeGrant { .. }))
                        .count();
                    let also = if revoked > 0 {
                        format!(
                            " ({revoked} revoked grant(s) {})",
                            crate::engine::grant_fix::CANNOT_UNDO
                        )
                    } else {
                        String::new()
                    };
                    format!(
                        "delete {} PermissionSetAssignment(s) made here{also}",
                        standing.len() - revoked
                    )
                }
            };
            for w in wrap_hard(&format!("As {as_who}, {what}?"), width) {
                prompt.push(Line::from(w).style(bold));
            }
            prompt.push(Line::from(vec![
                Span::styled("y: yes, change the org ", t.selected()),
                Span::raw("   any other key: cancel (nothing is sent)"),
            ]));
        }
        Stage::Admin(_) => {
            for w in wrap_words(
                "An admin who may assign permission sets logs in (password; memory only):",
                width,
            ) {
                prompt.push(Line::from(w).style(bold));
            }
            let cursor = |i: usize| if v.admin_field == i { "▏" } else { "" };
            prompt.push(Line::from(format!(
                "  Admin username  {}{}",
                first_line(&v.user),
                cursor(0)
            )));
            let pw = first_line(&v.password).chars().count();
            prompt.push(Line::from(format!(
                "  Password        {}{}",
                "•".repeat(pw.min(24)),
                cursor(1)
            )));
            prompt.push(
                Line::from("  Enter: next, then log in · ↑↓ field · Esc cancels").style(t.dim()),
            );
        }
        Stage::Working => prompt.push(Line::from("Working…").style(bold)),
        Stage::Planning | Stage::Ready => {}
    }
    // The prompt and the notes always show; the plan above gives way on a short terminal.
    let height = inner.height as usize;
    let tail = prompt.len() + notes.len();
    if tail > height {
        let cut = (tail - height).min(notes.len());
        notes.drain(..cut);
    }
    let room = height.saturating_sub(prompt.len() + notes.len());
    lines.truncate(room);
    lines.extend(notes);
    while lines.len() < height.saturating_sub(prompt.len()) {
        lines.push(Line::from(""));
    }
    lines.extend(prompt);
    f.render_widget(Paragraph::new(lines), inner);
}
