//! The Fleet screen drawn: the table (its short columns as wide as their cells, the Org and
//! Worst finding columns sharing the rest), the selected org's detail, and the overlays.

use std::fmt::Write as _;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Clear, Paragraph, Row, Table, TableState, Wrap};

use crate::engine::sanitize;
use crate::engine::watch::{CheckState, OrgStatus};
use crate::engine::{Status, clock};
use crate::tui::form::first_line;
use crate::tui::theme::Theme;

use super::fleet::{FleetOverlay, FleetScreen, ago, refresh_secs, span, utc, worst};

fn compact(n: i64) -> String {
    match n {
        n if n >= 1_000_000 => format!("{:.1}M", n as f64 / 1e6),
        n if n >= 10_000 => format!("{}k", n / 1000),
        n if n >= 1000 => format!("{:.1}k", n as f64 / 1000.0),
        n => n.to_string(),
    }
}

fn state_status(s: CheckState) -> Status {
    match s {
        CheckState::Pass => Status::Pass,
        CheckState::Warn => Status::Warn,
        CheckState::Fail | CheckState::Error => Status::Fail,
        CheckState::Skip => Status::Skip,
    }
}

fn refresh_cell(s: &OrgStatus) -> String {
    match refresh_secs(s) {
        Some(x) if x <= 0 => "expired".into(),
        Some(x) => format!("in {}", span(x)),
        None => "-".into(),
    }
}

fn api_cell(s: &OrgStatus) -> String {
    let sig = s.last.as_ref().map(|c| &c.signals);
    match sig.map(|g| (g.api_requests_remaining, g.api_requests_max)) {
        Some((Some(r), Some(m))) => format!("{}/{}", compact(r), compact(m)),
        Some((Some(r), None)) => compact(r),
        _ => "-".into(),
    }
}

/// Draws the Fleet screen in `area` (the overlays over it).
pub fn draw(f: &mut Frame, fleet: &FleetScreen, t: &Theme, area: Rect) {
    let [table_area, detail] =
        Layout::vertical([Constraint::Min(5), Constraint::Length(7)]).areas(area);
    let vis = fleet.visible();
    let mut title = format!(" Fleet — sorted by {} ", fleet.sort.name());
    let needle = first_line(&fleet.filter);
    if !needle.is_empty() {
        let _ = write!(title, "· filter \"{}\" ", sanitize::line(&needle));
    }
    if fleet.failing_only {
        title.push_str("· failing only ");
    }
    let block = t.block(title);
    if vis.is_empty() {
        let msg = match (&fleet.error, &fleet.rows) {
            (Some(e), _) => format!(" {e}"),
            (None, None) if fleet.source.is_some() => " Reading the watch store…".to_string(),
            (None, None) if fleet.opening => " Opening the watch store…".to_string(),
            (None, None) => " No watch store open.".to_string(),
            (None, Some(r)) if r.is_empty() => {
                " The store has no orgs: `sagediag watch` adds them (docs/watch.md).".to_string()
            }
            (None, Some(_)) => " No org matches (Esc clears the filter).".to_string(),
        };
        f.render_widget(
            Paragraph::new(msg).wrap(Wrap { trim: false }).block(block),
            area,
        );
        draw_overlay(f, fleet, t, area);
        return;
    }
    let inner_w = usize::from(block.inner(table_area).width);
    // At 80 columns every column fits; narrower, API headroom then the forecast go.
    let (show_api, show_refresh) = (inner_w >= 76, inner_w >= 64);
    let now = clock::now_secs() as i64;
    // Each row's cells as text first: the short columns take what their widest cell needs.
    let texts: Vec<RowText> = vis.iter().map(|s| row_text(s, now)).collect();
    let need = |head: &str, cell: &dyn Fn(&RowText) -> &str| {
        texts
            .iter()
            .map(|r| cell(r).chars().count())
            .chain([head.chars().count()])
            .max()
            .unwrap_or(0)
    };
    let (inc_w, last_w) = (need("Inc", &|r| &r.inc), need("Last", &|r| &r.last));
    let refresh_w = need("Refresh", &|r| &r.refresh);
    let api_w = need("API left", &|r| &r.api);
    let mut fixed = 5 + inc_w + last_w;
    let mut columns = 5;
    if show_refresh {
        fixed += refresh_w;
        columns += 1;
    }
    if show_api {
        fixed += api_w;
        columns += 1;
    }
    // The highlight symbol's column, and one space between columns.
    let room = inner_w.saturating_sub(fixed + 1 + (columns - 1));
    let (org_w, worst_w) = org_and_worst(
        room,
        need("Org", &|r| &r.org),
        need("Worst finding", &|r| &r.worst),
    );
    let rows: Vec<Row> = vis
        .iter()
        .zip(texts)
        .map(|(s, r)| {
            let (state, style) = match s.last.as_ref().map(|c| c.state) {
                Some(st) => (st.word().to_string(), t.status(state_status(st))),
                None => ("NEW".to_string(), t.dim()),
            };
            let mut cells = vec![
                Cell::from(state).style(style),
                Cell::from(super::elide_middle(&r.org, org_w)),
                Cell::from(r.inc),
                Cell::from(super::elide_end(&r.worst, worst_w)),
                Cell::from(r.last),
            ];
            if show_refresh {
                cells.push(Cell::from(r.refresh));
            }
            if show_api {
                cells.push(Cell::from(r.api));
            }
            Row::new(cells)
        })
        .collect();
    let len = |n: usize| Constraint::Length(u16::try_from(n).unwrap_or(u16::MAX));
    let mut widths = vec![
        Constraint::Length(5),
        len(org_w),
        len(inc_w),
        Constraint::Fill(1),
        len(last_w),
    ];
    let mut head = vec!["State", "Org", "Inc", "Worst finding", "Last"];
    if show_refresh {
        widths.push(len(refresh_w));
        head.push("Refresh");
    }
    if show_api {
        widths.push(len(api_w));
        head.push("API left");
    }
    let header = Row::new(head).style(Style::default().add_modifier(Modifier::BOLD));
    let mut st = TableState::default().with_selected(Some(fleet.selected));
    f.render_stateful_widget(
        Table::new(rows, widths)
            .header(header)
            .column_spacing(1)
            .row_highlight_style(t.selected())
            .highlight_symbol(if t.plain { ">" } else { "▶" })
            .block(block),
        table_area,
        &mut st,
    );
    if let Some(s) = fleet.selected_status() {
        draw_detail(f, s, fleet, t, detail);
    }
    draw_overlay(f, fleet, t, area);
}

/// One row of the table as text (sanitised).
struct RowText {
    org: String,
    inc: String,
    worst: String,
    last: String,
    refresh: String,
    api: String,
}

fn row_text(s: &OrgStatus, now: i64) -> RowText {
    let mut marks = String::new();
    if s.open_incidents.iter().any(|i| i.acked_by.is_some()) {
        marks.push('a');
    }
    if s.open_incidents
        .iter()
        .any(|i| i.muted_until.is_some_and(|u| u > now))
    {
        marks.push('m');
    }
    RowText {
        org: sanitize::line(&s.org).into_owned(),
        inc: format!("{}{marks}", s.open_incidents.len()),
        worst: sanitize::line(&worst(s).map(|w| w.code).unwrap_or_else(|| "-".into())).into_owned(),
        last: s
            .last
            .as_ref()
            .map(|c| ago(now - c.started_at))
            .unwrap_or_else(|| "never".into()),
        refresh: refresh_cell(s),
        api: api_cell(s),
    }
}

/// The Org and Worst finding columns share `room`: each whole when both fit; else the one that
/// needs less than half stays whole, and the other takes the rest (elided, the org in its
/// middle); else half each.
pub fn org_and_worst(room: usize, org: usize, worst: usize) -> (usize, usize) {
    if org + worst <= room {
        return (org, room - org);
    }
    let half = room / 2;
    if org <= half {
        (org, room - org)
    } else if worst <= half {
        (room - worst, worst)
    } else {
        (room - half, half)
    }
}

fn draw_detail(f: &mut Frame, s: &OrgStatus, fleet: &FleetScreen, t: &Theme, area: Rect) {
    let now = clock::now_secs() as i64;
    let mut lines = Vec::new();
    if let Some(e) = &fleet.error {
        lines.push(Line::from(format!("Store: {e}")));
    }
    match worst(s) {
        Some(w) => {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{} ", w.severity.to_uppercase()),
                    t.status(if w.severity == "error" {
                        Status::Fail
                    } else {
                        Status::Warn
                    }),
                ),
                Span::raw(sanitize::line(&format!("{}  {}", w.code, w.title)).into_owned()),
            ]));
            if let Some(step) = w.fix.first() {
                lines.push(Line::from(format!("Fix: {}", sanitize::line(step))));
            }
        }
        None => lines.push(Line::from("No findings in the last cycle.")),
    }
    for i in s.open_incidents.iter().take(2) {
        let mut l = format!(
            "Incident {} open since {}",
            sanitize::line(&i.code),
            i.opened_at.map(utc).unwrap_or_else(|| utc(i.first_seen))
        );
        if let (Some(by), Some(at)) = (&i.acked_by, i.acked_at) {
            let _ = write!(l, " · acked by {} {}", sanitize::line(by), ago(now - at));
        }
        if let Some(u) = i.muted_until.filter(|u| *u > now) {
            let _ = write!(l, " · muted until {}", utc(u));
        }
        lines.push(Line::from(l).style(t.dim()));
    }
    let title = format!(
        " {} — Enter: last cycle · t: timeline ",
        sanitize::line(&s.org)
    );
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(t.block(title)),
        area,
    );
}

fn draw_overlay(f: &mut Frame, fleet: &FleetScreen, t: &Theme, area: Rect) {
    match &fleet.overlay {
        FleetOverlay::None => {}
        FleetOverlay::Timeline(tl) => crate::tui::timeline::draw(f, tl, t, area),
        FleetOverlay::Mute(org, code) => {
            let r = crate::tui::overlay::centered(area, 56, 7);
            f.render_widget(Clear, r);
            let lines = vec![
                Line::from(sanitize::line(&format!("Mute {code} on {org} for:")).into_owned()),
                Line::from(""),
                Line::from("  1: one hour   2: four hours   3: 24 hours"),
                Line::from("Esc: not muted.").style(t.dim()),
            ];
            f.render_widget(Paragraph::new(lines).block(t.block(" Mute ")), r);
        }
    }
}
