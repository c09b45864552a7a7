//! Drawing: a pure function of the state. Nothing here waits or parses large bodies (the
//! inspector's lines are prepared once when it opens; drawing takes the visible slice).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Clear, Paragraph, Row, Table, Tabs, Wrap};

use super::app::{App, EnvChoice, Field, Overlay, Screen, first_line};
use crate::engine::vault::{self, Keep};
use crate::engine::{Flow, Severity, Status, StepId};

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

struct Theme {
    color: bool,
    light: bool,
    /// Plain mode for screen readers: no box drawing, no spinner.
    plain: bool,
}

impl Theme {
    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::default().fg(c)
        } else {
            Style::default()
        }
    }
    fn status(&self, s: Status) -> Style {
        match s {
            Status::Pass => self.fg(Color::Green),
            Status::Fail => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            Status::Warn => self.fg(Color::Yellow),
            Status::Skip => self.fg(Color::DarkGray),
        }
    }
    fn severity(&self, s: Severity) -> Style {
        match s {
            Severity::Error => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            Severity::Warning => self.fg(Color::Yellow),
            Severity::Info => self.fg(Color::Cyan),
        }
    }
    fn selected(&self) -> Style {
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
    fn block<'a>(&self, title: impl Into<Line<'a>>) -> Block<'a> {
        if self.plain {
            Block::new().title(title)
        } else {
            Block::bordered().title(title)
        }
    }

    fn dim(&self) -> Style {
        self.fg(Color::DarkGray)
    }
}

/// PASS/FAIL as a word and a symbol: never colour alone.
pub fn mark(s: Status) -> &'static str {
    match s {
        Status::Pass => "PASS ✓",
        Status::Fail => "FAIL ✗",
        Status::Warn => "WARN !",
        Status::Skip => "SKIP -",
    }
}

pub fn draw(f: &mut Frame, app: &App) {
    let area = f.area();
    let t = Theme {
        color: app.color,
        light: app.light,
        plain: app.plain,
    };
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
                area.width, area.height
            )),
            Line::from("Enlarge the window (or reduce the font size)."),
            Line::from("q quits."),
        ];
        f.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), area);
        return;
    }
    let [top, tabs, body, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(10),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_top(f, app, &t, top);
    draw_tabs(f, app, &t, tabs);
    let (main, log) = if app.show_log {
        let [m, l] =
            Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body);
        (m, Some(l))
    } else {
        (body, None)
    };
    match app.screen {
        Screen::Environment => draw_environment(f, app, &t, main),
        Screen::ConnectedApp => draw_app(f, app, &t, main),
        Screen::Login => draw_login(f, app, &t, main),
        Screen::Permissions => draw_permissions(f, app, &t, main),
        Screen::Findings => draw_findings(f, app, &t, main),
    }
    if let Some(l) = log {
        draw_log(f, app, &t, l);
    }
    draw_hints(f, app, &t, bottom);
    match &app.overlay {
        Overlay::None => {}
        Overlay::Help => draw_help(f, app, &t, area),
        Overlay::Coverage => draw_coverage(f, app, &t, area),
        Overlay::Inspector(_) => draw_inspector(f, app, &t, area),
        Overlay::ConfirmQuit => {
            let r = centered(area, 50, 5);
            f.render_widget(Clear, r);
            f.render_widget(
                Paragraph::new("A login is in flight. Quit anyway?  y: quit   any other key: stay")
                    .wrap(Wrap { trim: true })
                    .block(t.block(" Quit? ")),
                r,
            );
        }
        Overlay::Copied(text) => {
            let r = centered(area, 76, 12);
            f.render_widget(Clear, r);
            f.render_widget(
                Paragraph::new(format!("{text}\n\n(Sent to the clipboard with OSC 52; some terminals ignore it: select the text above.)  Esc closes."))
                    .wrap(Wrap { trim: false })
                    .block(t.block(" Copied ")),
                r,
            );
        }
    }
}

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

fn env_label(app: &App) -> String {
    match app.form.env {
        EnvChoice::Production => "production".into(),
        EnvChoice::Sandbox => "sandbox".into(),
        EnvChoice::Custom => first_line(&app.form.custom_url),
        EnvChoice::Demo => format!(
            "demo org ({})",
            app.demo_scenario.clone().unwrap_or_default()
        ),
    }
}

fn draw_top(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    const SPIN: [&str; 4] = ["|", "/", "-", "\\"];
    let state = if app.running {
        if t.plain {
            "running".to_string()
        } else {
            format!("{} running", SPIN[app.spinner % 4])
        }
    } else {
        app.report
            .as_ref()
            .map(|r| r.outcome.to_uppercase())
            .unwrap_or_else(|| "ready".into())
    };
    let line = Line::from(vec![
        Span::styled(" sagediag ", Style::default().add_modifier(Modifier::BOLD)),
        Span::raw(format!(
            "· {} · {} flow · ",
            env_label(app),
            app.form.flow.name()
        )),
        Span::styled(state, t.dim()),
    ]);
    let line = match app.waiting.as_ref().filter(|_| app.running) {
        Some(w) => {
            let mut l = line;
            l.push_span(Span::raw(format!(" · {w}")));
            l
        }
        None => line,
    };
    f.render_widget(Paragraph::new(line), area);
}

fn step_status(app: &App, ids: &[StepId]) -> Option<Status> {
    let st: Vec<Status> = app
        .steps
        .iter()
        .filter(|s| ids.contains(&s.id))
        .filter_map(|s| s.status)
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

fn draw_tabs(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    let titles: Vec<Line> = Screen::ALL
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let st = match s {
                Screen::Environment => step_status(app, &[StepId::Environment]),
                Screen::ConnectedApp => step_status(app, &[StepId::Credentials]),
                Screen::Login => step_status(app, &[StepId::Login, StepId::Token]),
                Screen::Permissions => step_status(app, &[StepId::Org, StepId::Probes]),
                Screen::Findings => None,
            };
            let suffix = match (s, st) {
                (Screen::Findings, _) if !app.findings.is_empty() => {
                    format!(" ({})", app.findings.len())
                }
                (_, Some(st)) => format!(" {}", mark(st).chars().skip(5).collect::<String>()),
                _ => String::new(),
            };
            Line::from(format!("{} {}{suffix}", i + 1, s.title()))
                .style(st.map(|s| t.status(s)).unwrap_or_default())
        })
        .collect();
    let sel = Screen::ALL
        .iter()
        .position(|s| *s == app.screen)
        .unwrap_or(0);
    f.render_widget(
        Tabs::new(titles)
            .select(sel)
            .highlight_style(t.selected())
            .divider(if t.plain { "|" } else { "│" }),
        area,
    );
}

fn draw_environment(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    let block = t.block(" 1 Environment — where the API user logs in ");
    let inner = block.inner(area);
    f.render_widget(block, area);
    let mut lines = Vec::new();
    let mut choices = vec![
        (
            EnvChoice::Production,
            "Production  https://login.salesforce.com".to_string(),
        ),
        (
            EnvChoice::Sandbox,
            "Sandbox     https://test.salesforce.com".to_string(),
        ),
        (EnvChoice::Custom, "My Domain / custom URL".to_string()),
    ];
    if let Some(u) = &app.form.demo_url {
        choices.push((EnvChoice::Demo, format!("Demo org    {u} (simulated)")));
    }
    for (i, (c, label)) in choices.iter().enumerate() {
        let radio = if app.form.env == *c { "(•)" } else { "( )" };
        let style = if i == app.env_selected && !app.log_focus {
            t.selected()
        } else {
            Style::default()
        };
        lines.push(Line::from(format!(" {radio} {label}")).style(style));
    }
    lines.push(Line::from(""));
    let [list, rest] =
        Layout::vertical([Constraint::Length(lines.len() as u16), Constraint::Min(0)]).areas(inner);
    f.render_widget(Paragraph::new(lines), list);
    let mut y = rest;
    if app.form.env == EnvChoice::Custom {
        let [input, r] = Layout::vertical([Constraint::Length(3), Constraint::Min(0)]).areas(rest);
        let title = if app.form.editing {
            " URL (editing: Enter done) "
        } else {
            " URL (e edits) "
        };
        let mut ta = app.form.custom_url.clone();
        ta.set_block(t.block(title));
        f.render_widget(&ta, input);
        y = r;
    }
    let mut info = Vec::new();
    match app.form.login_url() {
        Ok(env) => info.push(Line::from(format!(" Login URL: {}", env.login_url()))),
        Err(e) => info.push(Line::from(format!(" ✗ {e}")).style(t.status(Status::Fail))),
    }
    if let Some(s) = app
        .steps
        .iter()
        .find(|s| s.id == StepId::Environment)
        .filter(|s| s.status.is_some())
    {
        let st = s.status.unwrap_or(Status::Skip);
        info.push(Line::from(vec![
            Span::styled(format!(" {} ", mark(st)), t.status(st)),
            Span::raw("pre-flight: DNS, TCP, TLS, proxy, is this Salesforce"),
        ]));
        info.push(Line::from(format!("   {}", s.summary)));
    } else {
        info.push(
            Line::from(
                " Pre-flight (DNS, TCP, TLS, proxy, is this Salesforce) runs with the check: r",
            )
            .style(t.dim()),
        );
    }
    f.render_widget(Paragraph::new(info).wrap(Wrap { trim: false }), y);
}

/// `s` in at most `max` characters: head … tail.
fn elide_middle(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let tail = (max - 1) / 3;
    let head = max - 1 - tail;
    let h: String = s.chars().take(head).collect();
    let t: String = s.chars().skip(n - tail).collect();
    format!("{h}…{t}")
}

fn draw_app(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    let block = t.block(" 2 Connected app ");
    let inner = block.inner(area);
    f.render_widget(block, area);
    let form = &app.form;
    let value = |field: Field| -> String {
        match field {
            Field::ClientId => first_line(&form.client_id),
            Field::ClientSecret => {
                let s = first_line(&form.client_secret);
                if s.is_empty() {
                    "(none)".into()
                } else if form.reveal_secret {
                    s
                } else {
                    format!("{} (v reveals)", "•".repeat(12))
                }
            }
            Field::Username => first_line(&form.username),
            Field::Credential => {
                let c = first_line(&form.credential);
                let own = form.refresh_key.is_some() && form.refresh_key == form.vault_key();
                if c.is_empty() {
                    match (form.flow, own, form.refresh_from) {
                        (Flow::Refresh, true, Some(_)) => "(none: the kept one is used)".into(),
                        (Flow::Refresh, true, None) => "(none: the last login's is used)".into(),
                        (Flow::Jwt, _, _) => "(none: path of the PEM key)".into(),
                        _ => "(none)".into(),
                    }
                } else if form.flow == Flow::Jwt || form.reveal_secret {
                    c
                } else {
                    format!("{} (v reveals)", "•".repeat(12))
                }
            }
            Field::Flow => format!("{}  (Enter cycles)", form.flow.name()),
            Field::Pkce => {
                if form.pkce {
                    "on".into()
                } else {
                    "off (as integrations that send no code challenge)".into()
                }
            }
            Field::Preset => format!("{}  (Enter cycles)", form.preset.name()),
            Field::Keep => {
                let place = match form.keep {
                    Keep::Memory => "memory only".to_string(),
                    Keep::Keyring => format!("OS keyring ({})", vault::keyring_name()),
                    Keep::File => "owner-only file (plain text)".to_string(),
                };
                let note = match (&app.keyring, form.keep) {
                    (Some(Err(_)), Keep::Memory) => "  (no OS keyring here; Enter: file)",
                    _ => "  (Enter cycles)",
                };
                let kept = [
                    form.secret_from.map(|_| "secret"),
                    form.refresh_from.map(|_| "refresh token"),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>();
                if kept.is_empty() {
                    format!("{place}{note}")
                } else {
                    format!("{place}{note} · kept: {}", kept.join(", "))
                }
            }
        }
    };
    let label = |field: Field| match field {
        Field::ClientId => "Consumer key",
        Field::ClientSecret => "Consumer secret",
        Field::Username => "Username",
        Field::Flow => "Flow",
        Field::Pkce => "PKCE",
        Field::Preset => "Integration",
        Field::Keep => "Keep secrets",
        Field::Credential => form.credential_label().unwrap_or(""),
    };
    let mut lines = Vec::new();
    for (i, field) in form.fields().iter().enumerate() {
        let sel = i == form.field && !app.log_focus;
        let editing = sel && form.editing;
        let masked = *field == Field::ClientSecret
            || (*field == Field::Credential && form.flow != Flow::Jwt);
        // A long key or path stays on its line: its middle elided, or while typed its end shown.
        let room = (inner.width as usize).saturating_sub(18);
        let typed = matches!(field, Field::ClientId | Field::Username | Field::Credential);
        let v = if editing && !masked {
            let v = value(*field);
            let room = room.saturating_sub(24).max(8);
            let n = v.chars().count();
            let v = if typed && n > room {
                format!("…{}", v.chars().skip(n + 1 - room).collect::<String>())
            } else {
                v
            };
            format!("{v}▏")
        } else if typed {
            elide_middle(&value(*field), room.max(12))
        } else {
            value(*field)
        };
        let style = if sel { t.selected() } else { Style::default() };
        lines.push(
            Line::from(format!(
                " {:<16} {}{}",
                label(*field),
                v,
                if editing {
                    "  (editing: Enter done)"
                } else {
                    ""
                }
            ))
            .style(style),
        );
    }
    lines.push(Line::from(""));
    lines.push(Line::from(
        " Callback URL to register on the connected app (c copies):",
    ));
    lines.push(
        Line::from(format!("   {}", form.callback()))
            .style(Style::default().add_modifier(Modifier::BOLD)),
    );
    lines.push(Line::from(""));
    lines.push(Line::from(format!(
        " {}: {}",
        form.preset.name(),
        form.preset.advice()
    )));
    if let Some(s) = app
        .steps
        .iter()
        .find(|s| s.id == StepId::Credentials)
        .filter(|s| s.status.is_some())
    {
        let st = s.status.unwrap_or(Status::Skip);
        lines.push(Line::from(vec![
            Span::styled(format!(" {} ", mark(st)), t.status(st)),
            Span::raw(s.summary.clone()),
        ]));
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn draw_login(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    let block = t.block(" 3 Login — every step, pass or fail ");
    let inner = block.inner(area);
    f.render_widget(block, area);
    let mut lines = Vec::new();
    match &app.authorize_url {
        Some(u) => {
            lines.push(Line::from(
                " Authorize URL (c copies; open it in any browser):",
            ));
            lines.push(Line::from(format!("   {u}")).style(t.dim()));
            if let Some(ssh) = &app.ssh_tunnel {
                lines.push(Line::from(format!(
                    " Over SSH, forward the callback first: {ssh}"
                )));
            }
        }
        None if app.steps.is_empty() => lines.push(Line::from(
            " Press r to start: environment pre-flight, login, token checks, org checks, probes.",
        )),
        None => {}
    }
    if let Some((code, uri)) = &app.device {
        lines.push(
            Line::from(format!(" Enter code {code} at {uri}"))
                .style(Style::default().add_modifier(Modifier::BOLD)),
        );
    }
    if app.pasting {
        lines.push(Line::from(format!(
            " Paste the URL the browser landed on, Enter sends: {}▏",
            first_line(&app.paste)
        )));
    } else if app.running && app.report.is_none() && app.authorize_url.is_some() {
        lines.push(
            Line::from(" Waiting for the callback… or press p to paste the redirect URL.")
                .style(t.dim()),
        );
    }
    lines.push(Line::from(""));
    for s in &app.steps {
        let (word, style) = match s.status {
            Some(st) => (mark(st).to_string(), t.status(st)),
            None if app.running => ("  …   ".to_string(), t.dim()),
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
        if s.status == Some(Status::Fail)
            && matches!(s.id, StepId::Login | StepId::Environment | StepId::Token)
        {
            for finding in app
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
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn draw_permissions(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    let [table_area, rest] =
        Layout::vertical([Constraint::Length(11), Constraint::Min(0)]).areas(area);
    let header = Row::new([
        "Result",
        "Permission set",
        "Endpoint",
        "HTTP",
        "ms",
        "Rec",
        "Asgn",
    ])
    .style(Style::default().add_modifier(Modifier::BOLD));
    let rows: Vec<Row> = if app.endpoints.is_empty() {
        crate::engine::ENDPOINTS
            .iter()
            .map(|d| {
                Row::new(vec![
                    Cell::from(if app.running { "  …" } else { "" }),
                    Cell::from(d.permission_set),
                    Cell::from(format!("/{}", d.path.split('/').next().unwrap_or(d.path))),
                ])
            })
            .collect()
    } else {
        app.endpoints
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let endpoint = if e.path.ends_with("payDetails") {
                    "/…/payDetails".to_string()
                } else {
                    e.path
                        .trim_start_matches(crate::engine::SAGE_BASE)
                        .to_string()
                };
                let style = if i == app.perm_selected && !app.log_focus {
                    t.selected()
                } else {
                    Style::default()
                };
                Row::new(vec![
                    Cell::from(mark(e.status)).style(t.status(e.status)),
                    Cell::from(e.permission_set),
                    Cell::from(endpoint),
                    Cell::from(
                        e.http_status
                            .map(|s| s.to_string())
                            .unwrap_or_else(|| "—".into()),
                    ),
                    Cell::from(e.latency_ms.to_string()),
                    Cell::from(e.records.map(|r| r.to_string()).unwrap_or_default()),
                    Cell::from(match e.assigned {
                        Some(true) => "yes",
                        Some(false) => "no",
                        None => "?",
                    }),
                ])
                .style(style)
            })
            .collect()
    };
    let widths = [
        Constraint::Length(6),
        Constraint::Length(32),
        Constraint::Length(17),
        Constraint::Length(4),
        Constraint::Length(5),
        Constraint::Length(4),
        Constraint::Length(4),
    ];
    let passed = app
        .endpoints
        .iter()
        .filter(|e| e.status == Status::Pass)
        .count();
    let title = if app.endpoints.is_empty() {
        " 4 Permissions ".to_string()
    } else {
        format!(" 4 Permissions — {passed} of 7 pass ")
    };
    f.render_widget(
        Table::new(rows, widths)
            .header(header)
            .column_spacing(1)
            .block(t.block(title)),
        table_area,
    );
    // Beside the table: the selected row's finding, then the org checks.
    let mut lines = Vec::new();
    if let Some(e) = app.endpoints.get(app.perm_selected)
        && let Some(code) = e.finding
    {
        let f = app.findings.iter().find(|f| {
            f.code == code
                && (f.title.contains(e.permission_set)
                    || code != crate::engine::Code::PERMISSION_SET_MISSING)
        });
        let title = f.map(|f| f.title.clone()).unwrap_or_default();
        lines
            .push(Line::from(format!(" {}: {code} {title}", e.name)).style(t.status(Status::Fail)));
        if let Some(first) = f.and_then(|f| f.fix.first()) {
            lines.push(Line::from(format!("   Fix: 1. {first}  (Findings: 5)")));
        }
    }
    if let Some(r) = &app.report {
        let o = &r.org;
        let yn = |b: Option<bool>| {
            b.map(|b| if b { "yes" } else { "no" })
                .unwrap_or("unknown")
                .to_string()
        };
        lines.push(Line::from(format!(
            " Org: API Enabled {} · package {} · API usage {}",
            yn(o.api_enabled),
            o.package_version
                .clone()
                .unwrap_or_else(|| "not found".into()),
            o.api_usage
                .map(|(u, m)| format!("{u}/{m}"))
                .unwrap_or_else(|| "unknown".into())
        )));
        lines.push(Line::from(format!(
            " Refresh token policy: {} · Permitted users: {}",
            o.refresh_token_policy
                .clone()
                .unwrap_or_else(|| "unknown".into()),
            o.permitted_users
                .clone()
                .unwrap_or_else(|| "unknown".into())
        )));
        for s in &o.skipped {
            lines.push(Line::from(format!(" skipped: {s}")).style(t.dim()));
        }
        if let Some(c) = &r.coverage {
            lines.push(Line::from(format!(
                " Field coverage: {} employees · {} without email · {} duplicate emails · {} leavers with email (C: table)",
                c.employees, c.missing_email, c.duplicate_emails, c.leavers_with_email
            )));
        }
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), rest);
}

fn draw_findings(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    let [list, detail] = Layout::vertical([
        Constraint::Length((app.findings.len() as u16 + 2).clamp(3, 9)),
        Constraint::Min(0),
    ])
    .areas(area);
    let rows: Vec<Line> = if app.findings.is_empty() {
        vec![Line::from(if app.report.is_some() {
            " No findings: every check passed."
        } else {
            " No findings yet (r runs the check)."
        })]
    } else {
        app.findings
            .iter()
            .enumerate()
            .map(|(i, fd)| {
                let style = if i == app.finding_selected && !app.log_focus {
                    t.selected()
                } else {
                    Style::default()
                };
                Line::from(vec![
                    Span::styled(
                        format!(" {:<7} ", format!("{:?}", fd.severity).to_uppercase()),
                        t.severity(fd.severity),
                    ),
                    Span::raw(format!("{}  {}", fd.code, fd.title)),
                ])
                .style(style)
            })
            .collect()
    };
    let first = app.finding_selected.saturating_sub(5);
    f.render_widget(
        Paragraph::new(rows)
            .scroll((first as u16, 0))
            .block(t.block(format!(" 5 Findings ({}) ", app.findings.len()))),
        list,
    );
    if let Some(fd) = app.findings.get(app.finding_selected) {
        let mut lines = vec![Line::from(fd.detail.clone())];
        if !fd.request_ids.is_empty() {
            lines.push(
                Line::from(format!(
                    "Evidence: request {} (Enter opens it)",
                    fd.request_ids
                        .iter()
                        .map(|i| format!("#{i}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .style(t.dim()),
            );
        }
        lines.push(Line::from("Fix:").style(Style::default().add_modifier(Modifier::BOLD)));
        for (i, step) in fd.fix.iter().enumerate() {
            lines.push(Line::from(format!(" {}. {step}", i + 1)));
        }
        f.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .block(t.block(format!(" {} (c copies the fix) ", fd.code))),
            detail,
        );
    }
}

fn draw_log(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    let rows_all = app.filtered_log();
    let visible = area.height.saturating_sub(3) as usize;
    let start = app.log_selected.saturating_sub(visible.saturating_sub(1));
    let rows: Vec<Row> = rows_all
        .iter()
        .enumerate()
        .skip(start)
        .take(visible)
        .map(|(i, r)| {
            let status = match (r.done, r.status) {
                (false, _) => "…".to_string(),
                (true, Some(s)) => s.to_string(),
                (true, None) => "ERR".to_string(),
            };
            let st = match r.status {
                Some(s) if s < 400 => t.status(Status::Pass),
                _ if !r.done => t.dim(),
                _ => t.status(Status::Fail),
            };
            let style = if i == app.log_selected && app.log_focus {
                t.selected()
            } else {
                Style::default()
            };
            Row::new(vec![
                Cell::from(format!("#{}", r.id)),
                Cell::from(r.method.clone()),
                Cell::from(r.path()),
                Cell::from(status).style(st),
                Cell::from(format!("{} ms", r.duration_ms)),
                Cell::from(human_bytes(r.bytes)),
            ])
            .style(style)
        })
        .collect();
    let filter = first_line(&app.log_filter);
    let title = format!(
        " Request log ({}{}){} ",
        rows_all.len(),
        if filter.is_empty() {
            String::new()
        } else {
            format!(" matching '{filter}'")
        },
        if app.filtering {
            " — type to filter, Enter done"
        } else if app.log_focus {
            " — Enter inspects, / filters, c copies as curl"
        } else {
            " — Tab focuses"
        }
    );
    let widths = [
        Constraint::Length(5),
        Constraint::Length(5),
        Constraint::Min(20),
        Constraint::Length(4),
        Constraint::Length(8),
        Constraint::Length(8),
    ];
    let block = t.block(title).border_style(if app.log_focus {
        Style::default().add_modifier(Modifier::BOLD)
    } else {
        t.dim()
    });
    f.render_widget(
        Table::new(rows, widths).column_spacing(1).block(block),
        area,
    );
}

fn human_bytes(n: usize) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MB", n as f64 / (1 << 20) as f64)
    } else if n >= 1024 {
        format!("{:.1} kB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

fn draw_hints(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    if let Some(c) = &app.console {
        let line = format!(
            "request> {}▏  (GET /path · POST /path {{json}} · SELECT … · Enter sends · Esc)",
            first_line(c)
        );
        f.render_widget(
            Paragraph::new(line).style(Style::default().add_modifier(Modifier::BOLD)),
            area,
        );
        return;
    }
    let hint = if app.form.editing || app.filtering || app.pasting {
        "typing — Enter done · Esc cancel".to_string()
    } else {
        let mut h = String::from("?: help  q: quit  r: run  1-5/[ ]: steps  Tab: log");
        if app.demo_scenario.is_some() {
            h.push_str("  s: next scenario");
        }
        h
    };
    let sep = if t.plain { "|" } else { "│" };
    let status = app
        .status
        .clone()
        .map(|s| format!("{sep} {s}"))
        .unwrap_or_default();
    // A long status (what was kept, what failed) takes the room of all hints but help.
    let len = status.chars().count() as u16 + 1;
    let typing = app.form.editing || app.filtering || app.pasting;
    let (hint, [l, r]) = if len > area.width / 2 && !typing {
        (
            "?: help".to_string(),
            Layout::horizontal([Constraint::Length(8), Constraint::Min(0)]).areas(area),
        )
    } else {
        (
            hint,
            Layout::horizontal([
                Constraint::Min(40),
                Constraint::Length(len.min(area.width / 2)),
            ])
            .areas(area),
        )
    };
    f.render_widget(Paragraph::new(hint).style(t.dim()), l);
    f.render_widget(Paragraph::new(status), r);
}

pub const HELP: &[(&str, &str)] = &[
    ("?", "this help (Esc closes)"),
    ("q", "quit (asks if a login is in flight)"),
    ("Ctrl-C", "quit at once"),
    ("1-5, [ ], ← →", "go to a step"),
    ("↑ ↓ Home End PgUp/Dn", "move; top, bottom, page"),
    ("Enter", "choose / edit / open the request"),
    ("Esc", "stop editing, close"),
    ("r, R", "run the whole check · re-run the selected probe"),
    ("s", "demo: switch to the next scenario and run"),
    ("Tab, L", "focus, or show/hide, the request log"),
    ("/", "log: filter · inspector: search (n next)"),
    ("c", "copy (URL, callback, fix, curl) by OSC 52; also shown"),
    ("v", "connected app: reveal or mask the secret"),
    ("p", "login: paste the redirect URL"),
    ("w", "inspector: wrap long lines"),
    (
        ":",
        "request console: GET /path, POST /path {json}, SELECT …",
    ),
    (
        "C, W",
        "field-coverage table · write the report (.md) and HAR",
    ),
    (
        "P",
        "next saved profile (no secrets in profiles: see Keep secrets)",
    ),
];

fn draw_help(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    let r = centered(
        area,
        78,
        (HELP.len() as u16 + 5 + u16::from(app.vim)).min(area.height),
    );
    f.render_widget(Clear, r);
    let mut lines: Vec<Line> = HELP
        .iter()
        .map(|(k, v)| Line::from(format!(" {k:<22} {v}")))
        .collect();
    if app.vim {
        lines.push(Line::from(format!(
            " {:<22} {}",
            "h j k l g G ^D ^U", "vim keys (key_style = \"vim\")"
        )));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(format!(
        " Log file: {}",
        app.log_path.clone().unwrap_or_else(|| "none".into())
    )));
    f.render_widget(Paragraph::new(lines).block(t.block(" Keys ")), r);
}

fn draw_coverage(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    let Some(c) = app.report.as_ref().and_then(|r| r.coverage.as_ref()) else {
        return;
    };
    let r = centered(area, 78, (c.fields.len() as u16 + 4).min(area.height));
    f.render_widget(Clear, r);
    let mut rows: Vec<Row> = c
        .fields
        .iter()
        .map(|fc| {
            let pct = c.percent(fc.populated);
            Row::new(vec![
                fc.label.to_string(),
                fc.path.to_string(),
                fc.populated.to_string(),
                format!("{pct:.1}%"),
            ])
        })
        .collect();
    rows.push(
        Row::new(vec![
            "No / shared email".to_string(),
            format!(
                "{} / {} emails ({} records)",
                c.missing_email, c.duplicate_emails, c.records_with_duplicate_email
            ),
            "Leavers w/ email".to_string(),
            format!("{} of {}", c.leavers_with_email, c.leavers),
        ])
        .style(Style::default().add_modifier(Modifier::BOLD)),
    );
    let title = format!(
        " Field coverage — {} employees{} · Esc closes ",
        c.employees,
        if c.limited { " (limit reached)" } else { "" }
    );
    let widths = [
        Constraint::Length(18),
        Constraint::Length(30),
        Constraint::Length(16),
        Constraint::Length(10),
    ];
    f.render_widget(
        Table::new(rows, widths)
            .header(
                Row::new(["Field", "API path", "Populated", "%"])
                    .style(Style::default().add_modifier(Modifier::BOLD)),
            )
            .block(t.block(title)),
        r,
    );
}

fn draw_inspector(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    let Overlay::Inspector(ins) = &app.overlay else {
        return;
    };
    let r = Rect {
        x: area.x + 1,
        y: area.y + 1,
        width: area.width.saturating_sub(2),
        height: area.height.saturating_sub(2),
    };
    f.render_widget(Clear, r);
    let height = r.height.saturating_sub(2) as usize;
    let q = ins.search.clone().unwrap_or_default().to_lowercase();
    let lines: Vec<Line> = ins
        .lines
        .iter()
        .skip(ins.scroll)
        .take(height)
        .map(|l| {
            let style = if !q.is_empty() && l.to_lowercase().contains(&q) {
                t.selected()
            } else if l.starts_with("──") {
                Style::default().add_modifier(Modifier::BOLD)
            } else if l.trim_start().starts_with('"') {
                t.fg(Color::Cyan)
            } else {
                Style::default()
            };
            Line::from(l.clone()).style(style)
        })
        .collect();
    let search = match (&ins.search, app.searching) {
        (Some(s), true) => format!(" search: {s}▏ "),
        (Some(s), false) if !s.is_empty() => format!(" '{s}' (n next) "),
        _ => String::new(),
    };
    let title = format!(
        " Request #{} — line {}/{} · w wrap · / search · c copy as curl · Esc close {search}",
        ins.id,
        ins.scroll + 1,
        ins.lines.len()
    );
    let mut p = Paragraph::new(lines).block(t.block(title));
    if ins.wrap {
        p = p.wrap(Wrap { trim: false });
    }
    f.render_widget(p, r);
}
