//! Step 2: the connected app's form, and the set-up checklist for its platform and kind of
//! app, marked by the last run.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::elide_middle;
use crate::engine::app::AppKind;
use crate::engine::setup::{self, Item, MarkedLine, Sheet, Verdict};
use crate::engine::vault::{self, Keep};
use crate::engine::{Flow, Status, StepId};
use crate::tui::app::App;
use crate::tui::form::{Field, Form, Preset, first_line, text};
use crate::tui::keymap::Action;
use crate::tui::msg::Cmd;
use crate::tui::overlay::Overlay;
use crate::tui::run::RunState;
use crate::tui::state::{Mode, Screen};
use crate::tui::theme::{Theme, mark};

/// The step's own state. (Its field selection and the secret's reveal are the form's own,
/// [`Form::field`] and [`Form::reveal_secret`]: the paste and the run read them too.)
#[derive(Debug, Default)]
pub struct ConnectedScreen;

impl ConnectedScreen {
    /// Up and down choose a field; Enter edits it or cycles its choices; `v` reveals the secret,
    /// `c` copies the callback URL, `x` shows the whole set-up checklist.
    pub fn action(&mut self, a: Action, form: &mut Form) -> Vec<Cmd> {
        let field = form.selected();
        let n = form.fields().len();
        match a {
            Action::Down => form.field = (form.field + 1).min(n - 1),
            Action::Up => form.field = form.field.saturating_sub(1),
            Action::Home => form.field = 0,
            Action::End => form.field = n - 1,
            Action::Reveal => {
                form.reveal_secret = !form.reveal_secret;
                if form.reveal_secret {
                    form.client_secret.clear_mask_char();
                } else {
                    form.client_secret.set_mask_char('•');
                }
            }
            Action::Copy => {
                return vec![Cmd::Copy {
                    what: "callback URL".into(),
                    text: form.callback(),
                }];
            }
            Action::View => return vec![Cmd::Open(Overlay::Checklist { scroll: 0 })],
            Action::Select => match field {
                Field::ClientId | Field::ClientSecret | Field::Username | Field::Credential => {
                    return vec![Cmd::Edit(Some(field))];
                }
                Field::Flow => {
                    let i = Flow::ALL.iter().position(|f| *f == form.flow).unwrap_or(0);
                    form.flow = Flow::ALL[(i + 1) % Flow::ALL.len()];
                    // Another flow, another credential.
                    form.credential = text("");
                }
                Field::Pkce => form.pkce = !form.pkce,
                Field::AppKind => {
                    form.app_kind = match form.app_kind {
                        AppKind::Unknown => AppKind::ConnectedApp,
                        AppKind::ConnectedApp => AppKind::ExternalClientApp,
                        AppKind::ExternalClientApp => AppKind::Unknown,
                    };
                }
                Field::Keep => return vec![Cmd::CycleKeep],
                Field::Preset => {
                    form.preset = match form.preset {
                        Preset::Custom => Preset::StackOne,
                        Preset::StackOne => Preset::Nango,
                        Preset::Nango => Preset::Custom,
                    };
                    // StackOne sends no code challenge: reproduce it exactly.
                    form.pkce = form.preset != Preset::StackOne;
                }
            },
            _ => {}
        }
        Vec::new()
    }
}

/// Draws the step from the form and the run (`no_keyring`: the OS keyring was found missing;
/// `mode`: which field is being typed in; `focus`: the step has the keys, not the log).
#[allow(clippy::too_many_arguments)]
pub fn draw(
    f: &mut Frame,
    form: &Form,
    run: &RunState,
    no_keyring: bool,
    mode: &Mode,
    focus: bool,
    t: &Theme,
    area: Rect,
    hits: &mut crate::tui::state::HitMap,
) {
    let block = t.block(" 2 Connected app ");
    let inner = block.inner(area);
    f.render_widget(block, area);
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
            Field::AppKind => match form.app_kind {
                AppKind::Unknown => "not declared (found after login)  (Enter cycles)".into(),
                k => format!("{}  (Enter cycles)", k.label()),
            },
            Field::Keep => {
                let place = match form.keep {
                    Keep::Memory => "memory only".to_string(),
                    Keep::Keyring => format!("OS keyring ({})", vault::keyring_name()),
                    Keep::File => "owner-only file (plain text)".to_string(),
                };
                let note = match (no_keyring, form.keep) {
                    (true, Keep::Memory) => "  (no OS keyring here; Enter: file)",
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
        Field::AppKind => "App kind",
        Field::Keep => "Keep secrets",
        Field::Credential => form.credential_label().unwrap_or(""),
    };
    let mut lines = Vec::new();
    for (i, field) in form.fields().iter().enumerate() {
        let sel = i == form.field && focus;
        let editing = sel && matches!(mode, Mode::Edit { field: Some(f), .. } if f == field);
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
                    "  (editing: Enter done · Esc undo)"
                } else {
                    ""
                }
            ))
            .style(style),
        );
    }
    let n = lines.len();
    hits.rows
        .push((super::rows_area(inner, n), n, 0, Screen::ConnectedApp));
    lines.push(Line::from(
        " Callback URL to register on the app (c copies):",
    ));
    lines.push(
        Line::from(format!("   {}", form.callback()))
            .style(Style::default().add_modifier(Modifier::BOLD)),
    );
    if let Some(s) = run
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
    // The set-up checklist for the platform and kind, marked by the last run: one line each,
    // the contradicted ones first when they do not all fit (x shows it in full).
    let sheet = form.sheet_after(run.report().map(|r| r.app.kind));
    let marks = run.report().map(|r| setup::mark(&sheet, r));
    let room = (inner.height as usize).saturating_sub(lines.len() + 1);
    lines.push(
        Line::from(checklist_title(&sheet, marks.as_deref()))
            .style(Style::default().add_modifier(Modifier::BOLD)),
    );
    let width = inner.width as usize;
    for (mark_s, style, text) in checklist_rows(&sheet, marks.as_deref(), room) {
        let text = super::elide_end(&text, width.saturating_sub(4));
        lines.push(Line::from(vec![
            Span::styled(format!(" {mark_s} "), t.status(style)),
            Span::raw(text),
        ]));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// The checklist's short name for a line.
pub fn item_label(item: Item) -> &'static str {
    match item {
        Item::CreateApp => "Create the app",
        Item::CallbackUrl => "Callback URL",
        Item::Scopes => "OAuth scopes",
        Item::Pkce => "PKCE",
        Item::SecretWebServer => "Secret for web server flow",
        Item::SecretRefresh => "Secret for refresh flow",
        Item::RefreshRotation => "Refresh token rotation",
        Item::PermittedUsers => "Permitted users",
        Item::PreAuthorize => "Pre-authorize",
        Item::AssignPermissionSets => "Assign the permission sets",
        Item::RefreshPolicy => "Refresh token policy",
        Item::Credentials => "Consumer key and secret",
    }
}

/// A verdict's mark and the status whose style it takes.
pub fn verdict_mark(v: Option<Verdict>) -> (&'static str, Status) {
    match v {
        Some(Verdict::Verified) => ("✓", Status::Pass),
        Some(Verdict::Contradicted) => ("✗", Status::Fail),
        Some(Verdict::Unknown) => ("?", Status::Warn),
        Some(Verdict::Advice) => ("!", Status::Warn),
        None => ("·", Status::Skip),
    }
}

fn checklist_title(sheet: &Sheet, marks: Option<&[MarkedLine]>) -> String {
    let kind = match sheet.kind {
        AppKind::ConnectedApp => "connected app",
        _ => "External Client App",
    };
    let platform = match sheet.preset {
        setup::Preset::Custom => "a custom client",
        p => p.name(),
    };
    match marks {
        None => format!(" Set-up checklist: {kind} for {platform} (x: in full)"),
        Some(m) => {
            let n = |v: Verdict| m.iter().filter(|l| l.verdict == v).count();
            let advice = match n(Verdict::Advice) {
                0 => String::new(),
                a => format!(" · ! {a} advice"),
            };
            format!(
                " Set-up checklist ({kind}): ✓ {} · ✗ {}{advice} · ? {} unknown (x: in full)",
                n(Verdict::Verified),
                n(Verdict::Contradicted),
                n(Verdict::Unknown)
            )
        }
    }
}

/// Up to `room` rows: (mark, its style, text). After a run, a line says why it is marked.
fn checklist_rows(
    sheet: &Sheet,
    marks: Option<&[MarkedLine]>,
    room: usize,
) -> Vec<(&'static str, Status, String)> {
    let mut rows: Vec<(bool, &'static str, Status, String)> = match marks {
        Some(m) => m
            .iter()
            .map(|l| {
                let (mk, st) = verdict_mark(Some(l.verdict));
                (
                    l.verdict == Verdict::Contradicted,
                    mk,
                    st,
                    format!("{} — {}", item_label(l.line.item), l.why),
                )
            })
            .collect(),
        None => sheet
            .lines
            .iter()
            .map(|l| {
                let (mk, st) = verdict_mark(None);
                (
                    false,
                    mk,
                    st,
                    format!("{} — {}", item_label(l.item), l.action),
                )
            })
            .collect(),
    };
    if rows.len() > room {
        // The contradicted ones first; then the rest in order, as many as fit.
        rows.sort_by_key(|r| !r.0);
        rows.truncate(room.saturating_sub(1));
        rows.push((
            false,
            "…",
            Status::Skip,
            "more: x shows the whole checklist".into(),
        ));
    }
    rows.into_iter().map(|(_, m, s, t)| (m, s, t)).collect()
}

/// The whole checklist (x on step 2): the Setup pages as headings, each line with its mark and,
/// after a run, why; wrapped to `width`.
pub fn checklist_lines(app: &App, t: &Theme, width: usize) -> Vec<Line<'static>> {
    let sheet = app.form.sheet_after(app.run.report().map(|r| r.app.kind));
    let marks = app.run.report().map(|r| setup::mark(&sheet, r));
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let title = checklist_title(&sheet, marks.as_deref()).replace(" (x: in full)", "");
    let mut out = vec![Line::from(title)];
    let wrap = crate::tui::overlay::wrap_words;
    let mut place = "";
    for (i, l) in sheet.lines.iter().enumerate() {
        if l.place != place {
            place = l.place;
            out.push(Line::from(""));
            for w in wrap(place, width.saturating_sub(1)) {
                out.push(Line::from(format!(" {w}")).style(bold));
            }
        }
        let m = marks.as_ref().and_then(|m| m.get(i));
        let (mk, st) = verdict_mark(m.map(|m| m.verdict));
        for (j, w) in wrap(&l.action, width.saturating_sub(5))
            .into_iter()
            .enumerate()
        {
            let head = if j == 0 {
                format!("  {mk} ")
            } else {
                "    ".into()
            };
            out.push(Line::from(vec![
                Span::styled(head, t.status(st)),
                Span::raw(w),
            ]));
        }
        if let Some(m) = m {
            for w in wrap(&m.why, width.saturating_sub(7)) {
                out.push(Line::from(format!("      {w}")).style(t.dim()));
            }
        }
    }
    out
}
