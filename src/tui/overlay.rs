//! Overlays: help (generated from the keymap), the message history, the coverage table, a shown
//! value (boxed, or alone and full width to select), the quit question and the scenario picker.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{
    Clear, Paragraph, Row, Scrollbar, ScrollbarOrientation, ScrollbarState, Table, TableState, Wrap,
};

use super::app::App;
use super::demo::DemoScenario;
use super::inspector::Inspector;
use super::keymap::{self, Action};
use super::msg::{Cmd, Effect};
use super::state::Consent;
use super::theme::Theme;
use crate::engine::Report;

pub enum Overlay {
    None,
    Help {
        scroll: usize,
    },
    Messages {
        scroll: usize,
    },
    /// The field-coverage table of the last run (`scroll`: the first field row shown).
    Coverage {
        scroll: usize,
    },
    Inspector(Box<Inspector>),
    ConfirmQuit,
    /// Refresh a refresh token sagediag did not obtain? (Under rotation it is retired.)
    ConfirmRotation,
    /// Log in although the user holds five grants (the oldest is evicted)? The reason, naming
    /// the grant that would go.
    ConfirmEviction(String),
    /// A value shown: copied (also sent by OSC 52), or to read or select.
    Value(ValueView),
    /// The OAuth app of the last run: kind, name, policies, what stays unknown.
    App {
        scroll: usize,
    },
    /// The set-up checklist of step 2 in full, marked by the last run.
    Checklist {
        scroll: usize,
    },
    /// The integration's own record in the org (Login History, OAuth grants, the user).
    Integration {
        scroll: usize,
    },
    /// Fixing: the plan, a confirmation, the admin's login, what was changed.
    Fix(Box<super::fix::FixView>),
    /// The demo's scenario picker.
    Scenarios {
        selected: usize,
    },
}

pub struct ValueView {
    pub what: String,
    pub text: String,
    /// Alone and full width, no border: to select with the mouse.
    pub raw: bool,
    /// Whether it was also sent to the clipboard.
    pub copied: bool,
}

impl ValueView {
    pub fn new(what: &str, text: String, raw: bool) -> ValueView {
        ValueView {
            what: what.to_string(),
            text,
            raw,
            copied: !raw,
        }
    }
}

impl Overlay {
    /// The Fix overlay, when it is in front.
    pub fn fix_mut(&mut self) -> Option<&mut super::fix::FixView> {
        match self {
            Overlay::Fix(v) => Some(v),
            _ => None,
        }
    }

    /// A key in a generic overlay (scrolled text, the scenario picker, a shown value). The Fix
    /// overlay, the inspector and the questions have their own keys; here Esc closes them.
    /// A question's answer: quit; refresh the token given; log in though a grant goes (each
    /// consent for the next run only). Any answer closes it.
    pub fn confirm(&mut self, yes: bool, consent: &mut Consent, quit: &mut bool) -> Vec<Cmd> {
        let asked = std::mem::replace(self, Overlay::None);
        match (asked, yes) {
            (Overlay::ConfirmQuit, true) => *quit = true,
            (Overlay::ConfirmRotation, true) => consent.rotation = true,
            (Overlay::ConfirmEviction(_), true) => consent.eviction = true,
            (Overlay::ConfirmQuit, false) => return Vec::new(),
            (Overlay::ConfirmRotation, false) => {
                return vec![Cmd::Say(
                    "Not refreshed: the token given is untouched.".into(),
                )];
            }
            (Overlay::ConfirmEviction(_), false) => {
                return vec![Cmd::Say(
                    "No login: the user's grants are untouched.".into(),
                )];
            }
            (other, _) => {
                *self = other;
                return Vec::new();
            }
        }
        if *quit { Vec::new() } else { vec![Cmd::Run] }
    }

    pub fn action(&mut self, a: Action, scenarios: &[DemoScenario]) -> Vec<Cmd> {
        let page = 10;
        match self {
            Overlay::Help { scroll }
            | Overlay::Messages { scroll }
            | Overlay::App { scroll }
            | Overlay::Integration { scroll }
            | Overlay::Coverage { scroll }
            | Overlay::Checklist { scroll } => match a {
                Action::Back => return vec![Cmd::Close],
                Action::Down => *scroll += 1,
                Action::Up => *scroll = scroll.saturating_sub(1),
                Action::PageDown => *scroll += page,
                Action::PageUp => *scroll = scroll.saturating_sub(page),
                Action::Home => *scroll = 0,
                Action::End => *scroll = usize::MAX / 2,
                _ => {}
            },
            Overlay::Scenarios { selected } => {
                let n = scenarios.len();
                match a {
                    Action::Back => return vec![Cmd::Close],
                    Action::Down => *selected = (*selected + 1).min(n.saturating_sub(1)),
                    Action::Up => *selected = selected.saturating_sub(1),
                    Action::Home => *selected = 0,
                    Action::End => *selected = n.saturating_sub(1),
                    Action::Select => {
                        let mut cmds = vec![Cmd::Close];
                        if let Some(s) = scenarios.get(*selected) {
                            cmds.push(Cmd::Scenario(s.name.clone()));
                        }
                        return cmds;
                    }
                    _ => {}
                }
            }
            Overlay::Value(v) => match a {
                Action::Back => return vec![Cmd::Close],
                Action::View => v.raw = !v.raw,
                Action::WriteFile => {
                    let name = format!(
                        "sagediag-{}.txt",
                        v.what.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
                    );
                    return vec![Cmd::Effect(Effect::WriteValue {
                        name,
                        text: v.text.clone(),
                    })];
                }
                _ => {}
            },
            Overlay::ConfirmQuit
            | Overlay::ConfirmRotation
            | Overlay::ConfirmEviction(_)
            | Overlay::Inspector(_)
            | Overlay::Fix(_)
            | Overlay::None => {
                if a == Action::Back {
                    return vec![Cmd::Close];
                }
            }
        }
        Vec::new()
    }
}

pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// A box of `w`×`h` centred in `area`, cleared with a margin of one cell around it where there
/// is room, so nothing from behind touches its border (nor half of a wide character under it).
pub fn boxed(f: &mut Frame, area: Rect, w: u16, h: u16) -> Rect {
    let r = centered(area, w, h);
    let x0 = r.x.saturating_sub(1).max(area.x);
    let y0 = r.y.saturating_sub(1).max(area.y);
    let x1 = (r.x + r.width + 1).min(area.x + area.width);
    let y1 = (r.y + r.height + 1).min(area.y + area.height);
    f.render_widget(
        Clear,
        Rect {
            x: x0,
            y: y0,
            width: x1 - x0,
            height: y1 - y0,
        },
    );
    r
}

/// A scrolled list of lines in a box as wide as the screen allows, with a scrollbar.
fn scrolled(f: &mut Frame, t: &Theme, area: Rect, title: String, lines: Vec<Line>, scroll: usize) {
    let r = boxed(f, area, area.width.min(110), area.height);
    let block = t.block(title);
    let inner = block.inner(r);
    let visible = inner.height as usize;
    let top = scroll.min(lines.len().saturating_sub(visible));
    let n = lines.len();
    f.render_widget(
        Paragraph::new(lines).scroll((top as u16, 0)).block(block),
        r,
    );
    if n > visible && !t.plain {
        let mut st = ScrollbarState::new(n.saturating_sub(visible)).position(top);
        f.render_stateful_widget(
            Scrollbar::new(ScrollbarOrientation::VerticalRight),
            r,
            &mut st,
        );
    }
}

/// The overlay in front, drawn from its own state and read-only views of the rest.
pub fn draw(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    let report = app.run.report();
    match &app.overlay {
        Overlay::None | Overlay::Inspector(_) => {}
        Overlay::Fix(v) => super::fix::draw(f, v, &app.fix, report, t, area),
        Overlay::Help { scroll } => {
            draw_help(f, t, area, *scroll, app.log.path.as_deref(), app.prefs.vim());
        }
        Overlay::Messages { scroll } => draw_messages(f, t, area, *scroll, &app.status.messages),
        Overlay::Coverage { scroll } => {
            if let Some(c) = report.and_then(|r| r.coverage.as_ref()) {
                draw_coverage(f, t, area, c, app.form.coverage_limit, *scroll);
            }
        }
        Overlay::Checklist { scroll } => {
            let width = (area.width.min(110) as usize).saturating_sub(3);
            let lines = super::screens::connected::checklist_lines(app, t, width);
            scrolled(
                f,
                t,
                area,
                " Set-up checklist — ↑↓ PgUp PgDn scroll · Esc closes ".into(),
                lines,
                *scroll,
            );
        }
        Overlay::App { scroll } => {
            if let Some(r) = report {
                draw_app(f, t, area, *scroll, r);
            }
        }
        Overlay::Integration { scroll } => {
            if let Some(r) = report {
                draw_integration(f, t, area, *scroll, r);
            }
        }
        Overlay::ConfirmQuit => question(
            f,
            t,
            area,
            (50, 5),
            " Quit? ",
            "A login is in flight. Quit anyway?  y: quit   any other key: stay".into(),
        ),
        Overlay::ConfirmRotation => question(
            f,
            t,
            area,
            (70, 8),
            " Refresh the token given? ",
            "Refresh the token given? sagediag refreshes it once. If the app rotates refresh tokens (not known before login), the token given is RETIRED: the integration must then be given the new one (kept where Keep secrets says).  y: refresh   any other key: cancel".into(),
        ),
        Overlay::ConfirmEviction(why) => question(
            f,
            t,
            area,
            (76, 10),
            " Evict the oldest grant? ",
            format!("{why}\n\ny: log in anyway (the grant named goes)   any other key: cancel"),
        ),
        Overlay::Value(v) => draw_value(f, t, area, v),
        Overlay::Scenarios { selected } => {
            draw_scenarios(f, t, area, *selected, &app.demo.scenarios);
        }
    }
}

/// A box's block with one column of padding inside each border.
fn padded<'a>(t: &Theme, title: impl Into<Line<'a>>) -> ratatui::widgets::Block<'a> {
    t.block(title)
        .padding(ratatui::widgets::Padding::horizontal(1))
}

/// A question in a small box: `y` or any other key.
fn question(f: &mut Frame, t: &Theme, area: Rect, (w, h): (u16, u16), title: &str, text: String) {
    let r = boxed(f, area, w, h);
    f.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: true })
            .block(padded(t, title)),
        r,
    );
}

/// `?`: the keys, generated from the keymap, and where the log file is.
fn draw_help(f: &mut Frame, t: &Theme, area: Rect, scroll: usize, log: Option<&str>, vim: bool) {
    let width = (area.width.min(110) as usize).saturating_sub(4);
    let keys_w = 22.min(width / 3);
    let mut lines = vec![Line::from(format!(" Log file: {}", log.unwrap_or("none")))];
    for (scope, keys, help) in keymap::help_rows(vim) {
        match scope {
            Some(s) => {
                if !lines.is_empty() {
                    lines.push(Line::from(""));
                }
                lines.push(
                    Line::from(format!(" {}", s.title()))
                        .style(Style::default().add_modifier(Modifier::BOLD)),
                );
            }
            None => lines.push(Line::from(format!(" {keys:<keys_w$} {help}"))),
        }
    }
    scrolled(
        f,
        t,
        area,
        " Keys — ↑↓ PgUp PgDn scroll · Esc closes ".into(),
        lines,
        scroll,
    );
}

/// `m`: every message whole, wrapped here (so the scroll counts lines): `scroll` is the message
/// at the top, and the newest is always reachable at the bottom.
fn draw_messages(f: &mut Frame, t: &Theme, area: Rect, scroll: usize, messages: &[String]) {
    let r = boxed(f, area, area.width.min(110), area.height);
    let n = messages.len();
    let block = padded(t, format!(" Messages ({n}) — newest last · Esc closes "));
    let inner = block.inner(r);
    let width = (inner.width as usize).max(10);
    let mut lines: Vec<Line> = Vec::new();
    let mut starts = Vec::new();
    for m in messages {
        starts.push(lines.len());
        lines.extend(wrap_hard(m, width).into_iter().map(Line::from));
    }
    if lines.is_empty() {
        lines.push(Line::from("Nothing said yet."));
    }
    let visible = inner.height as usize;
    let first = starts.get(scroll.min(n.saturating_sub(1))).copied();
    let top = first.unwrap_or(0).min(lines.len().saturating_sub(visible));
    f.render_widget(
        Paragraph::new(lines).scroll((top as u16, 0)).block(block),
        r,
    );
}

/// `a`: the OAuth app of the last run — what stays unknown first, with where to look in Setup;
/// then every line.
fn draw_app(f: &mut Frame, t: &Theme, area: Rect, scroll: usize, report: &Report) {
    let app = &report.app;
    let mut lines: Vec<Line> = Vec::new();
    if !app.unknown.is_empty() {
        lines.push(
            Line::from(" Unknown, and where to look in Setup:")
                .style(Style::default().add_modifier(Modifier::BOLD)),
        );
        let width = (area.width.min(110) as usize).saturating_sub(6).max(20);
        for u in &app.unknown {
            for (i, l) in wrap_words(u, width).into_iter().enumerate() {
                lines.push(Line::from(format!(
                    " {} {l}",
                    if i == 0 { "?" } else { " " }
                )));
            }
        }
        lines.push(Line::from(""));
    }
    let room = (area.width.min(110) as usize).saturating_sub(29).max(20);
    for (k, v) in app.lines() {
        for (i, part) in wrap_words(&v, room).into_iter().enumerate() {
            let k = if i == 0 { k } else { "" };
            lines.push(Line::from(format!(" {k:<24} {part}")));
        }
    }
    scrolled(
        f,
        t,
        area,
        " App — kind, name, policies · ↑↓ scroll · Esc closes ".into(),
        lines,
        scroll,
    );
}

/// `i`: the integration's own record in the org.
fn draw_integration(f: &mut Frame, t: &Theme, area: Rect, scroll: usize, report: &Report) {
    let Some(rec) = report.integration.as_ref() else {
        return;
    };
    let room = (area.width.min(120) as usize).saturating_sub(31).max(20);
    let mut lines: Vec<Line> = Vec::new();
    for (k, v) in crate::engine::record::lines(rec) {
        for (i, part) in wrap_words(&v, room).into_iter().enumerate() {
            let k = if i == 0 { k.as_str() } else { "" };
            let line = Line::from(format!(" {k:<26} {part}"));
            lines.push(
                if k == "Unknown" || part.contains("FROZEN") || part.contains("→ ") {
                    line.style(Style::default().add_modifier(Modifier::BOLD))
                } else {
                    line
                },
            );
        }
    }
    scrolled(
        f,
        t,
        area,
        " Integration record (the org's own) — ↑↓ scroll · Esc closes ".into(),
        lines,
        scroll,
    );
}

/// A shown value: boxed, or alone and full width with no border, so that a mouse selection
/// takes the value and nothing else.
fn draw_value(f: &mut Frame, t: &Theme, area: Rect, v: &ValueView) {
    if v.raw {
        f.render_widget(Clear, area);
        let [body, foot] =
            ratatui::layout::Layout::vertical([Constraint::Min(1), Constraint::Length(1)])
                .areas(area);
        f.render_widget(
            Paragraph::new(v.text.clone()).wrap(Wrap { trim: false }),
            body,
        );
        f.render_widget(
            Paragraph::new(format!(
                "── {} (full width: select it) · o writes it to a file · v boxed · Esc closes",
                v.what
            ))
            .style(t.dim()),
            foot,
        );
        return;
    }
    let r = boxed(f, area, area.width.saturating_sub(4), area.height.min(14));
    let note = if v.copied {
        "Sent to the clipboard (OSC 52; tmux needs set-clipboard on). "
    } else {
        ""
    };
    f.render_widget(
        Paragraph::new(format!(
            "{}\n\n{note}v: alone, full width, to select · o: write to a file · Esc closes",
            v.text
        ))
        .wrap(Wrap { trim: false })
        .block(padded(t, format!(" {} ", v.what))),
        r,
    );
}

/// `S`: the demo's scenario picker.
fn draw_scenarios(
    f: &mut Frame,
    t: &Theme,
    area: Rect,
    selected: usize,
    scenarios: &[DemoScenario],
) {
    let r = boxed(f, area, area.width.saturating_sub(2), area.height);
    let rows: Vec<Row> = scenarios
        .iter()
        .map(|s| Row::new(vec![s.name.clone(), s.description.clone()]))
        .collect();
    let mut st = TableState::default().with_selected(Some(selected));
    f.render_stateful_widget(
        Table::new(rows, [Constraint::Length(34), Constraint::Min(10)])
            .row_highlight_style(t.selected())
            .highlight_symbol("▶ ")
            .block(padded(t, " Demo scenarios — Enter runs one · Esc closes ")),
        r,
        &mut st,
    );
}

/// `n` with thousands separators: 10000 → "10,000".
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `C`: the field-coverage table, in 78 columns (an 80-column terminal shows it whole): the
/// summary and the limit first, then one row per field.
fn draw_coverage(
    f: &mut Frame,
    t: &Theme,
    area: Rect,
    c: &crate::engine::coverage::Coverage,
    limit: u64,
    scroll: usize,
) {
    let mut summary = vec![format!(
        "No email {} · shared emails {} ({} records) · leavers with email {} of {}",
        grouped(c.missing_email),
        grouped(c.duplicate_emails),
        grouped(c.records_with_duplicate_email),
        grouped(c.leavers_with_email),
        grouped(c.leavers),
    )];
    if c.limited {
        summary.push(format!(
            "Stopped at the limit of {} employees: coverage_limit in the config file raises it.",
            grouped(limit)
        ));
    }
    if let Some(why) = &c.stopped {
        summary.push(format!("Stopped early: {why}"));
    }
    let width = 74usize;
    let summary: Vec<Line> = summary
        .iter()
        .flat_map(|l| wrap_words(l, width))
        .map(|l| Line::from(l).style(Style::default().add_modifier(Modifier::BOLD)))
        .collect();
    let h = (c.fields.len() + summary.len() + 3) as u16;
    let r = boxed(f, area, 78, h.min(area.height));
    // The field rows that fit under the summary and the header; ↑↓ scroll the rest.
    let visible = (r.height as usize).saturating_sub(summary.len() + 3);
    let first = scroll.min(c.fields.len().saturating_sub(visible));
    let more = if c.fields.len() > visible {
        format!(
            " · rows {}–{} of {} ↑↓",
            first + 1,
            (first + visible).min(c.fields.len()),
            c.fields.len()
        )
    } else {
        String::new()
    };
    let block = t.block(format!(
        " Field coverage — {} employees{more} · Esc closes ",
        grouped(c.employees)
    ));
    let inner = block.inner(r);
    f.render_widget(block, r);
    let inner = Rect {
        x: inner.x + 1,
        width: inner.width.saturating_sub(2),
        ..inner
    };
    let [top, table] = ratatui::layout::Layout::vertical([
        Constraint::Length(summary.len() as u16),
        Constraint::Min(0),
    ])
    .areas(inner);
    f.render_widget(Paragraph::new(summary), top);
    let rows: Vec<Row> = c
        .fields
        .iter()
        .skip(first)
        .map(|fc| {
            let pct = c.percent(fc.populated);
            Row::new(vec![
                fc.label.to_string(),
                fc.path.to_string(),
                format!("{:>11}", grouped(fc.populated)),
                format!("{pct:>6.1}%"),
            ])
        })
        .collect();
    // 18 + 29 + 11 + 7 and three gaps: 68 columns, inside the box's 74.
    let widths = [
        Constraint::Length(18),
        Constraint::Length(29),
        Constraint::Length(11),
        Constraint::Length(7),
    ];
    f.render_widget(
        Table::new(rows, widths).header(
            Row::new(["Field", "API path", "  Populated", "      %"])
                .style(Style::default().add_modifier(Modifier::BOLD)),
        ),
        table,
    );
}

/// `s` in lines of at most `width` characters, broken at spaces, and a longer word (a URL) cut
/// into pieces: nothing runs past a box's edge.
pub fn wrap_hard(s: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    for line in wrap_words(s, width) {
        let chars: Vec<char> = line.chars().collect();
        if chars.len() <= width {
            out.push(line);
        } else {
            out.extend(chars.chunks(width).map(|c| c.iter().collect::<String>()));
        }
    }
    out
}

/// `s` in lines of at most `width` characters, broken at spaces (a longer word stays whole).
pub fn wrap_words(s: &str, width: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in s.split_whitespace() {
        let n = line.chars().count();
        if n > 0 && n + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}
