//! Drawing: a pure function of the state (it records where things were drawn, for the mouse).
//! The frame: the banner, the header with the verdict, the steps as tabs, the step in front,
//! the request log, and two bottom lines — hints and the status, which wraps to both when long.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Tabs, Wrap};

use super::app::{App, HitMap, Mode, Screen};
use super::form::{EnvChoice, first_line};
use super::keymap::{self, Action};
use super::overlay::{self, Overlay};
use super::screens;
use super::theme::Theme;
use super::verdict;
use crate::engine::{Status, StepId};

pub use super::theme::mark;

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 23;

pub fn theme(app: &App) -> Theme {
    Theme {
        color: app.prefs.color(),
        light: app.prefs.theme == crate::settings::Theme::Light,
        plain: app.prefs.theme == crate::settings::Theme::Plain,
    }
}

/// Draws the console from its state; returns where things were drawn, for the mouse.
pub fn draw(f: &mut Frame, app: &App) -> HitMap {
    let mut hits = HitMap::default();
    let area = f.area();
    let t = theme(app);
    // While any host goes unverified, every screen says so on its first line.
    let full = area;
    let area = if app.form.insecure_hosts.is_empty() && app.form.trust_hosts.is_empty() {
        area
    } else {
        let [banner, rest] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
        let mut said = Vec::new();
        if !app.form.insecure_hosts.is_empty() {
            said.push(format!(
                "TLS verification OFF for {}: could be impersonated (--insecure-host)",
                app.form.insecure_hosts.join(", ")
            ));
        }
        if !app.form.trust_hosts.is_empty() {
            said.push(format!(
                "token may go to {} (trust_hosts)",
                app.form.trust_hosts.join(", ")
            ));
        }
        let text = format!(
            " {} {}",
            if t.plain { "WARNING:" } else { "⚠" },
            said.join(" · "),
        );
        let style = if t.color {
            Style::default()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().add_modifier(Modifier::BOLD | Modifier::REVERSED)
        };
        f.render_widget(Paragraph::new(text).style(style), banner);
        rest
    };
    if full.width < MIN_WIDTH || full.height < MIN_HEIGHT {
        let msg = vec![
            Line::from("Terminal too small").style(Style::default().add_modifier(Modifier::BOLD)),
            Line::from(format!(
                "{}×{} now; sagediag needs at least {MIN_WIDTH}×{MIN_HEIGHT}.",
                full.width, full.height
            )),
            Line::from("Enlarge the window (or reduce the font size)."),
            Line::from("q quits."),
        ];
        f.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), area);
        return hits;
    }
    let [top, tabs, body, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(8),
        Constraint::Length(2),
    ])
    .areas(area);
    draw_top(f, app, &t, top);
    draw_tabs(f, app, &t, tabs, &mut hits);
    let (main, log) = if app.log.show {
        let [m, l] =
            Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body);
        (m, Some(l))
    } else {
        (body, None)
    };
    hits.main = Some(main);
    match app.screen {
        Screen::Environment => screens::environment::draw(f, app, &t, main, &mut hits),
        Screen::ConnectedApp => screens::connected::draw(
            f,
            &app.form,
            &app.run,
            matches!(app.keep.keyring, Some(Err(_))),
            &app.mode,
            !app.log.focus,
            &t,
            main,
            &mut hits,
        ),
        Screen::Login => screens::login::draw(
            f,
            &app.screens.login,
            &app.run,
            &app.demo,
            &app.mode,
            &t,
            main,
        ),
        Screen::Permissions => screens::permissions::draw(
            f,
            &app.screens.permissions,
            &app.run,
            !app.log.focus,
            &t,
            main,
            &mut hits,
        ),
        Screen::Findings => screens::findings::draw(
            f,
            &app.screens.findings,
            &app.run,
            !app.log.focus,
            &t,
            main,
            &mut hits,
        ),
        Screen::Fleet => draw_fleet(f, app, &t, main),
    }
    if let Some(l) = log {
        super::log::draw(
            f,
            &app.log,
            matches!(app.mode, Mode::Filter { .. }),
            &t,
            l,
            &mut hits,
        );
    }
    draw_bottom(f, app, &t, bottom);
    match &app.overlay {
        Overlay::Inspector(ins) => {
            let r = Rect {
                x: area.x,
                y: area.y,
                width: area.width,
                height: area.height.saturating_sub(2),
            };
            hits.inspector = Some(super::inspector::draw(f, ins, &t, r));
        }
        Overlay::Value(v) if v.raw => overlay::draw(f, app, &t, full),
        _ => overlay::draw(
            f,
            app,
            &t,
            Rect {
                height: area.height.saturating_sub(2),
                ..area
            },
        ),
    }
    hits
}

/// The Fleet screen; in `demo --watch`, under the demo's one-line banner.
fn draw_fleet(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    let Some(banner) = app.demo.banner.as_deref().filter(|_| area.height > 12) else {
        return screens::fleet::draw(f, &app.screens.fleet, t, area);
    };
    let [top, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    let style = if t.plain {
        Style::default()
    } else {
        Style::default().add_modifier(Modifier::REVERSED)
    };
    let text: String = banner
        .chars()
        .take(usize::from(top.width.saturating_sub(1)))
        .collect();
    f.render_widget(Paragraph::new(format!(" {text}")).style(style), top);
    screens::fleet::draw(f, &app.screens.fleet, t, rest);
}

fn env_label(app: &App) -> String {
    match app.form.env {
        EnvChoice::Production => "production".into(),
        EnvChoice::Sandbox => "sandbox".into(),
        EnvChoice::Custom => first_line(&app.form.custom_url),
        EnvChoice::Demo => format!(
            "demo org ({})",
            app.demo.scenario.clone().unwrap_or_default()
        ),
    }
}

fn draw_top(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    const SPIN: [&str; 4] = ["|", "/", "-", "\\"];
    let (state, style) = if app.run.running() {
        let s = if t.plain {
            "running".to_string()
        } else {
            format!("{} running", SPIN[app.status.spinner % 4])
        };
        (s, Style::default().add_modifier(Modifier::BOLD))
    } else if app.run.report().is_some() {
        let st = verdict::overall(&app.run.findings);
        (
            format!(" {} ", verdict::overall_words(&app.run.findings)),
            t.verdict(st),
        )
    } else {
        ("ready".to_string(), t.dim())
    };
    if app.screen == Screen::Fleet {
        let line = Line::from(vec![
            Span::styled(" sagediag ", Style::default().add_modifier(Modifier::BOLD)),
            Span::raw(app.screens.fleet.header()),
        ]);
        f.render_widget(Paragraph::new(line), area);
        return;
    }
    // A stored cycle from the Fleet screen, until a run replaces it: said first.
    if let Some((org, at)) = app
        .screens
        .fleet
        .viewing
        .as_ref()
        .filter(|_| app.run.report().is_none() && !app.run.running())
    {
        let when = screens::fleet::ago(crate::engine::clock::now_secs() as i64 - at);
        let line = Line::from(vec![
            Span::styled(" sagediag ", Style::default().add_modifier(Modifier::BOLD)),
            Span::raw(format!(
                "{org}'s watch cycle of {when}, read-only · F: Fleet"
            )),
        ]);
        f.render_widget(Paragraph::new(line), area);
        return;
    }
    // The verdict first: a narrow terminal cuts the environment, never the result.
    let mut line = Line::from(vec![
        Span::styled(" sagediag ", Style::default().add_modifier(Modifier::BOLD)),
        Span::styled(state, style),
        Span::raw(format!(
            " · {} · {} flow",
            env_label(app),
            app.form.flow.name()
        )),
    ]);
    // A machine with no CA store verifies against the bundled public roots: said here.
    if let Some(roots) = crate::engine::tls::roots().header() {
        line.push_span(Span::raw(format!(" · {roots}")));
    }
    if let Some(w) = app.status.waiting.as_ref().filter(|_| app.run.running()) {
        line.push_span(Span::raw(format!(" · {w}")));
    }
    f.render_widget(Paragraph::new(line), area);
}

pub fn step_status(app: &App, ids: &[StepId]) -> Option<Status> {
    let st: Vec<Status> = app
        .run
        .steps
        .iter()
        .filter(|s| ids.contains(&s.id))
        .filter_map(|s| verdict::step(s.id, s.status, &app.run.endpoints))
        .collect();
    if st.is_empty() {
        None
    } else if st.contains(&Status::Fail) {
        Some(Status::Fail)
    } else if st.contains(&Status::Warn) {
        Some(Status::Warn)
    } else if st.iter().all(|s| *s == Status::Skip) {
        Some(Status::Skip)
    } else {
        Some(Status::Pass)
    }
}

fn draw_tabs(f: &mut Frame, app: &App, t: &Theme, area: Rect, hitmap: &mut HitMap) {
    if app.screen == Screen::Fleet {
        let store = app
            .screens
            .fleet
            .source
            .as_ref()
            .map(|s| s.label())
            .unwrap_or_default();
        let line = Line::from(vec![
            Span::styled(" Fleet ", t.selected()),
            Span::raw(format!(" {store}")),
        ]);
        f.render_widget(Paragraph::new(line).style(t.dim()), area);
        return;
    }
    let titles: Vec<Line> = Screen::ALL
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let st = match s {
                Screen::Environment => step_status(app, &[StepId::Environment]),
                Screen::ConnectedApp => step_status(app, &[StepId::Credentials]),
                Screen::Login => step_status(app, &[StepId::Login, StepId::Token]),
                Screen::Permissions => step_status(app, &[StepId::Org, StepId::Probes]),
                Screen::Findings => app
                    .run
                    .report()
                    .as_ref()
                    .map(|_| verdict::overall(&app.run.findings)),
                Screen::Fleet => None,
            };
            let suffix = match st {
                Some(st) => format!(" {}", mark(st).chars().skip(5).collect::<String>()),
                None => String::new(),
            };
            Line::from(format!("{} {}{suffix}", i + 1, s.title()))
                .style(st.map(|s| t.status(s)).unwrap_or_default())
        })
        .collect();
    // Where each title lands (padding 1 on the left, divider 1), for a click.
    let mut x = area.x;
    let mut hits = Vec::new();
    for (i, title) in titles.iter().enumerate() {
        let w = title.width() as u16 + 1;
        hits.push((
            Rect {
                x,
                y: area.y,
                width: w.min(area.right().saturating_sub(x)),
                height: 1,
            },
            i,
        ));
        x = x.saturating_add(w + 1);
    }
    hitmap.tabs = hits;
    f.render_widget(
        Tabs::new(titles)
            .select(app.screen.index())
            .highlight_style(t.selected())
            .padding(" ", "")
            .divider(if t.plain { "|" } else { "│" }),
        area,
    );
}

/// The hint line, from the keymap's rows for what is in front.
fn hint_line(app: &App, width: usize) -> String {
    let mut skip = Vec::new();
    if app.demo.scenario.is_none() {
        skip.extend([Action::PickScenario, Action::NextScenario]);
    }
    if !matches!(app.overlay, Overlay::None | Overlay::Value(_)) {
        skip.extend([Action::View, Action::WriteFile]);
    }
    if app.screen == Screen::Fleet {
        skip.extend([Action::Run, Action::FocusLog, Action::NextStep]);
    }
    // Whole hints only: what does not fit is in the help (?), which always has a place.
    let scopes = app.scopes();
    let mut out = String::new();
    if scopes.contains(&keymap::Scope::Global) {
        out.push_str("?: help");
        skip.push(Action::Help);
    }
    for (k, w) in keymap::hints(&scopes, &skip) {
        let item = format!("{k}: {w}");
        let sep = if out.is_empty() { 0 } else { 2 };
        if out.chars().count() + sep + item.chars().count() > width {
            break;
        }
        if sep > 0 {
            out.push_str("  ");
        }
        out.push_str(&item);
    }
    out
}

fn draw_bottom(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    let [first, second] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
    let field = match app.mode {
        Mode::Console => Some(("request> ", &app.console.input)),
        Mode::Filter { .. } => Some(("filter> ", &app.log.filter)),
        Mode::FleetFilter { .. } => Some(("filter> ", &app.screens.fleet.filter)),
        _ => None,
    };
    if let Some((label, ta)) = field {
        let [l, r] = Layout::horizontal([
            Constraint::Length(label.chars().count() as u16),
            Constraint::Min(1),
        ])
        .areas(first);
        f.render_widget(
            Paragraph::new(label).style(Style::default().add_modifier(Modifier::BOLD)),
            l,
        );
        f.render_widget(ta, r);
        let help = if app.mode == Mode::Console {
            "GET /path · POST /path {json} · SELECT … · ↑↓ history · Enter sends · Esc"
        } else {
            "Enter done · Esc puts the filter back"
        };
        f.render_widget(Paragraph::new(help).style(t.dim()), second);
        return;
    }
    let hints = hint_line(app, area.width as usize);
    let status = app.status.current.clone().unwrap_or_default();
    let width = area.width as usize;
    let n = status.chars().count();
    if n < width {
        f.render_widget(Paragraph::new(hints).style(t.dim()), first);
        f.render_widget(Paragraph::new(format!(" {status}")), second);
    } else if app.status.folded {
        // It had its few seconds: the hints come back, and the message is whole in `m`.
        let keep = width.saturating_sub(14);
        let cut: String = status.chars().take(keep).collect();
        f.render_widget(Paragraph::new(hints).style(t.dim()), first);
        f.render_widget(Paragraph::new(format!(" {cut}… (m: all)")), second);
    } else {
        // A long status takes both lines; more than that is in the history (m).
        let room = width * 2 - 1;
        let shown = if n + 1 > room {
            let keep = room.saturating_sub(14);
            format!(
                " {}… (m: all)",
                status.chars().take(keep).collect::<String>()
            )
        } else {
            format!(" {status}")
        };
        f.render_widget(Paragraph::new(shown).wrap(Wrap { trim: false }), area);
    }
}
