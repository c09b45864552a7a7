//! Fixing from the console (issue #15): `f` on a failing permission row or on a finding opens the
//! plan (`engine::fix::plan`). An `apply` item shows the exact request and runs only after `y` in
//! a confirm prompt (any other key cancels), as the session's user when it may assign permission
//! sets, else as an admin who logs in here (username and password, held in memory only). The
//! affected probes re-run at once; every change (who, what, when, request id) is listed here and
//! can be undone (`u`, confirmed the same way). The engine calls run on tasks (`work.rs`).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui_textarea::TextArea;

use super::app::{App, Mode, Screen};
use super::form::{first_line, masked, text};
use super::keymap::Action;
use super::msg::Effect;
use super::overlay::{Overlay, centered, wrap_words};
use super::theme::Theme;
use crate::engine::fix::{Actor, Applied, FixKind, Plan};
use crate::engine::{Config, EndpointResult, Finding, Flow, Report};

/// What the Fix overlay is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The plan is being read.
    Planning,
    Ready,
    /// Asking: `y` does it, any other key cancels.
    Confirm(Pending),
    /// The admin's login form (typed in `Mode::Admin`).
    Admin(Pending),
    /// A login, a change or an undo in flight.
    Working,
}

/// The change a confirmation (or an admin's login) is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    Apply,
    Undo,
}

pub struct FixView {
    pub plan: Option<Plan>,
    pub selected: usize,
    /// Whether the session's user may assign permission sets (None: not known).
    pub may_assign: Option<bool>,
    pub stage: Stage,
    /// What it was opened on: a permission set's label or a finding's code.
    pub about: Option<String>,
    pub user: TextArea<'static>,
    pub password: TextArea<'static>,
    /// The admin form's field: 0 username, 1 password.
    pub admin_field: usize,
    /// What happened here, newest last.
    pub notes: Vec<String>,
}

impl FixView {
    pub fn new(about: Option<String>, admin_user: &str) -> FixView {
        FixView {
            plan: None,
            selected: 0,
            may_assign: None,
            stage: Stage::Planning,
            about,
            user: text(admin_user),
            password: masked(""),
            admin_field: 0,
            notes: Vec::new(),
        }
    }

    fn selected_fix(&self) -> Option<&crate::engine::fix::Fix> {
        self.plan.as_ref().and_then(|p| p.fixes.get(self.selected))
    }
}

/// What a fix task answered.
pub enum FixMsg {
    Planned {
        plan: Plan,
        may_assign: Option<bool>,
    },
    /// The admin's login: an actor, or why not.
    Admin(Result<Actor, super::error::AdminLoginError>),
    /// Changes made (or undone), the re-run probes, the report as it now stands (the engine
    /// updated it), what went wrong.
    Done {
        undo: bool,
        records: Vec<Applied>,
        probes: Vec<EndpointResult>,
        report: Box<Report>,
        findings: Vec<Finding>,
    },
}

/// A fix task to start.
pub enum FixJob {
    Plan {
        cfg: Box<Config>,
    },
    Admin {
        cfg: Box<Config>,
    },
    /// Apply `plan` (or undo `undo`) as `actor`, then re-probe with the session.
    Change {
        cfg: Box<Config>,
        plan: Plan,
        undo: Option<Vec<Applied>>,
        actor: Actor,
    },
}

fn when(ms: u64) -> String {
    crate::engine::export::iso8601(ms)
}

impl App {
    /// The session's user as an actor (the one the probes run as).
    pub fn session_actor(&self) -> Option<Actor> {
        let s = self.run.session.as_ref()?;
        let org = &self.run.report.as_ref()?.org;
        Some(Actor {
            instance_url: s.instance_url.clone(),
            access_token: s.access_token.clone(),
            username: org.username.clone().unwrap_or_default(),
            user_id: org.user_id.clone(),
        })
    }

    /// `f`: the Fix overlay for `about` (a permission set or a finding code), its plan read on a task.
    pub fn open_fix(&mut self, about: Option<String>) -> Vec<Effect> {
        if self.run.running {
            self.say("Fixing waits for the run to finish.");
            return Vec::new();
        }
        if self.run.report.is_none() || self.run.client.is_none() {
            self.say("Nothing to fix yet: run the check (r) first.");
            return Vec::new();
        }
        let cfg = match self.form.config() {
            Ok(c) => c,
            Err(e) => {
                self.say(e);
                return Vec::new();
            }
        };
        let admin = self.demo.admin.clone().unwrap_or_default();
        self.overlay = Overlay::Fix(Box::new(FixView::new(about, &admin)));
        vec![Effect::Fix(FixJob::Plan { cfg: Box::new(cfg) })]
    }

    /// A fix task answered.
    pub fn on_fix(&mut self, m: FixMsg) -> Vec<Effect> {
        let mut effects = Vec::new();
        match m {
            FixMsg::Planned { plan, may_assign } => {
                if let Overlay::Fix(v) = &mut self.overlay {
                    let about = v.about.clone();
                    v.selected = plan
                        .fixes
                        .iter()
                        .position(|f| {
                            about.as_deref().is_some_and(|a| {
                                f.permission_set.as_deref() == Some(a) || f.finding.as_str() == a
                            })
                        })
                        .unwrap_or(0);
                    v.plan = Some(plan);
                    v.may_assign = may_assign;
                    v.stage = Stage::Ready;
                }
            }
            FixMsg::Admin(r) => {
                let Overlay::Fix(v) = &mut self.overlay else {
                    return effects;
                };
                match r {
                    Ok(actor) => {
                        v.notes
                            .push(format!("Logged in as {} (memory only).", actor.username));
                        let what = if v.notes.iter().any(|n| n == UNDO_MARK) {
                            Pending::Undo
                        } else {
                            Pending::Apply
                        };
                        v.notes.retain(|n| n != UNDO_MARK);
                        v.stage = Stage::Confirm(what);
                        self.fix.admin = Some(actor);
                    }
                    Err(e) => {
                        v.notes.retain(|n| n != UNDO_MARK);
                        v.notes.push(format!("The admin's login failed: {e}"));
                        v.stage = Stage::Ready;
                    }
                }
            }
            FixMsg::Done {
                undo,
                records,
                probes,
                report,
                findings,
            } => {
                for r in &records {
                    effects.push(Effect::Log(format!(
                        "fix: {} {} for {} by {} (request #{}{})",
                        r.outcome,
                        r.permission_set,
                        r.assignee_id,
                        r.by,
                        r.request_id,
                        r.assignment_id
                            .as_deref()
                            .map(|i| format!(", PermissionSetAssignment {i}"))
                            .unwrap_or_default()
                    )));
                }
                let mut notes: Vec<String> = records
                    .iter()
                    .map(|r| {
                        format!(
                            "{} {} · request #{} · by {} · {}{}",
                            r.outcome,
                            r.permission_set,
                            r.request_id,
                            r.by,
                            when(r.at_ms),
                            r.note
                                .as_deref()
                                .map(|n| format!(" · left in place: {n}"))
                                .unwrap_or_default()
                        )
                    })
                    .collect();
                notes.extend(findings.iter().map(|f| {
                    crate::engine::hints::for_console(&format!(
                        "{}: {} {}",
                        f.code, f.title, f.detail
                    ))
                }));
                if undo {
                    let gone: Vec<&str> = records
                        .iter()
                        .filter(|r| r.outcome == crate::engine::fix::Outcome::Deleted)
                        .filter_map(|r| r.assignment_id.as_deref())
                        .collect();
                    // A revoked grant is listed once by the undo (not undoable), then dropped.
                    self.fix.records.retain(|r| {
                        !r.assignment_id
                            .as_deref()
                            .is_some_and(|i| gone.contains(&i))
                            && !matches!(r.change, crate::engine::fix::Change::RevokeGrant { .. })
                    });
                } else {
                    self.fix.records.extend(
                        records
                            .iter()
                            .filter(|r| {
                                matches!(
                                    r.outcome,
                                    crate::engine::fix::Outcome::Created
                                        | crate::engine::fix::Outcome::Revoked
                                )
                            })
                            .cloned(),
                    );
                }
                for result in &probes {
                    notes.push(format!(
                        "re-probed {}: {}",
                        result.name,
                        result.status.word()
                    ));
                }
                // The report the engine updated: the header, tabs, steps, table and `W` read it.
                self.show_report(*report);
                if let Some(r) = &self.run.report {
                    notes.push(format!("The report now says {}.", r.status_words()));
                }
                if let Overlay::Fix(v) = &mut self.overlay {
                    v.notes.extend(notes);
                    v.stage = Stage::Ready;
                }
            }
        }
        effects
    }

    /// A key in the Fix overlay (not the confirmation, not the admin form).
    pub fn fix_action(&mut self, a: Action) -> Vec<Effect> {
        let records = self.fix.records.len();
        let has_admin = self.fix.admin.is_some();
        let Overlay::Fix(v) = &mut self.overlay else {
            return Vec::new();
        };
        let n = v.plan.as_ref().map_or(0, |p| p.fixes.len());
        match a {
            Action::Back => self.overlay = Overlay::None,
            Action::Down => v.selected = (v.selected + 1).min(n.saturating_sub(1)),
            Action::Up => v.selected = v.selected.saturating_sub(1),
            Action::Home => v.selected = 0,
            Action::End => v.selected = n.saturating_sub(1),
            Action::Select | Action::Undo if v.stage != Stage::Ready => {}
            Action::Select => match v.selected_fix().map(|f| f.kind) {
                Some(FixKind::Apply) => {
                    if v.may_assign == Some(true) || has_admin {
                        v.stage = Stage::Confirm(Pending::Apply);
                    } else {
                        v.stage = Stage::Admin(Pending::Apply);
                        v.admin_field = 0;
                        self.mode = Mode::Admin;
                    }
                }
                Some(_) => v.notes.push(
                    "This fix is made by an admin (Setup, a command or metadata): c copies it."
                        .into(),
                ),
                None => {}
            },
            Action::Undo if records == 0 => v.notes.push("Nothing changed here to undo.".into()),
            Action::Undo => {
                if v.may_assign == Some(true) || has_admin {
                    v.stage = Stage::Confirm(Pending::Undo);
                } else {
                    v.notes.push(UNDO_MARK.into());
                    v.stage = Stage::Admin(Pending::Undo);
                    v.admin_field = 0;
                    self.mode = Mode::Admin;
                }
            }
            Action::Copy => {
                if let Some(t) = v.selected_fix().map(fix_text) {
                    return self.copy("fix", t);
                }
            }
            _ => {}
        }
        Vec::new()
    }

    /// The confirmation: `y` makes the change; any other key cancels, and nothing is sent.
    pub fn fix_confirm(&mut self, yes: bool) -> Vec<Effect> {
        let session = self.session_actor();
        let Overlay::Fix(v) = &mut self.overlay else {
            return Vec::new();
        };
        let Stage::Confirm(what) = v.stage else {
            return Vec::new();
        };
        if !yes {
            v.stage = Stage::Ready;
            v.notes.push("Cancelled: nothing was changed.".into());
            return Vec::new();
        }
        // A grant is revoked by the admin who read the grants (else the session's own user).
        let revoke = v
            .selected_fix()
            .and_then(|f| f.change.as_ref())
            .is_some_and(|c| matches!(c, crate::engine::fix::Change::RevokeGrant { .. }));
        let actor = if revoke && what == Pending::Apply {
            self.fix.admin.clone().or(session)
        } else if v.may_assign == Some(true) {
            session
        } else {
            self.fix.admin.clone()
        };
        let (Some(actor), Ok(cfg)) = (actor, self.form.config()) else {
            v.stage = Stage::Ready;
            v.notes
                .push("No session to change the org with: nothing was changed.".into());
            return Vec::new();
        };
        let plan = match (&v.plan, v.selected_fix()) {
            (Some(p), Some(f)) => Plan {
                fixes: vec![f.clone()],
                assignee_id: p.assignee_id.clone(),
                assignee: p.assignee.clone(),
            },
            _ => Plan::default(),
        };
        v.stage = Stage::Working;
        let undo = (what == Pending::Undo).then(|| self.fix.records.clone());
        vec![Effect::Fix(FixJob::Change {
            cfg: Box::new(cfg),
            plan,
            undo,
            actor,
        })]
    }

    /// A key in the admin's login form: Enter moves on, then logs in; Esc cancels.
    pub fn admin_key(
        &mut self,
        action: Option<Action>,
        key: crossterm::event::KeyEvent,
    ) -> Vec<Effect> {
        let base = self.form.config();
        let Overlay::Fix(v) = &mut self.overlay else {
            self.mode = Mode::Normal;
            return Vec::new();
        };
        match action {
            Some(Action::Back) => {
                v.password = masked("");
                v.notes.retain(|n| n != UNDO_MARK);
                v.stage = Stage::Ready;
                v.notes.push("Cancelled: nothing was changed.".into());
                self.mode = Mode::Normal;
            }
            Some(Action::Up) => v.admin_field = 0,
            Some(Action::Down) => v.admin_field = 1,
            Some(Action::Select) if v.admin_field == 0 => v.admin_field = 1,
            Some(Action::Select) => {
                let user = first_line(&v.user).trim().to_string();
                let password = first_line(&v.password);
                v.password = masked("");
                self.mode = Mode::Normal;
                let mut cfg = match base {
                    Ok(c) => c,
                    Err(e) => {
                        v.stage = Stage::Ready;
                        v.notes.push(e.into());
                        return Vec::new();
                    }
                };
                if user.is_empty() || password.is_empty() {
                    v.stage = Stage::Ready;
                    v.notes
                        .push("The admin's username and password are both needed.".into());
                    return Vec::new();
                }
                cfg.flow = Flow::Password;
                cfg.username = Some(user);
                cfg.password = Some(password);
                cfg.refresh_token = None;
                cfg.access_token = None;
                cfg.private_key_pem = None;
                cfg.private_key_path = None;
                v.stage = Stage::Working;
                return vec![Effect::Fix(FixJob::Admin { cfg: Box::new(cfg) })];
            }
            _ => {
                let ta = if v.admin_field == 0 {
                    &mut v.user
                } else {
                    &mut v.password
                };
                super::form::edit_key(ta, "", action, key);
            }
        }
        Vec::new()
    }

    /// `f` on step 4 (the selected row's set) or step 5 (the selected finding).
    pub fn fix_about(&self) -> Option<String> {
        match self.screen {
            Screen::Permissions => self
                .run
                .endpoints
                .get(self.screens.permissions.selected)
                .filter(|e| e.finding.is_some())
                .map(|e| e.permission_set.to_string()),
            Screen::Findings => {
                let f = self.run.findings.get(self.screens.findings.selected)?;
                let set = crate::engine::ENDPOINTS
                    .iter()
                    .find(|d| f.title.contains(d.permission_set))
                    .filter(|_| f.code == crate::engine::Code::PERMISSION_SET_MISSING);
                Some(match set {
                    Some(d) => d.permission_set.to_string(),
                    None => f.code.as_str().to_string(),
                })
            }
            _ => None,
        }
    }
}

/// Marks that the admin's login is for an undo (kept among the notes, never drawn).
const UNDO_MARK: &str = "\u{0}undo";

/// One fix as text: its request, command, metadata or Setup steps.
pub fn fix_text(f: &crate::engine::fix::Fix) -> String {
    let mut out = vec![format!("{} — {}", f.finding, f.target)];
    if let Some(r) = &f.request {
        out.push(format!("{} {}", r.method, r.url));
        out.push(r.body.to_string());
    }
    if let Some(c) = &f.command {
        out.push(format!("or: {c}"));
    }
    if let Some(m) = &f.metadata {
        out.push(m.retrieve.clone());
        out.push(format!("in {}: {}", m.file, m.element));
        out.push(m.deploy.clone());
    }
    if f.kind == FixKind::Setup {
        out.extend(f.steps.iter().map(|s| format!("- {s}")));
    }
    out.join("\n")
}

fn kind_word(k: FixKind) -> &'static str {
    match k {
        FixKind::Apply => "apply",
        FixKind::Command => "command",
        FixKind::Metadata => "metadata",
        FixKind::Setup => "setup",
    }
}

pub fn draw(f: &mut Frame, app: &App, v: &FixView, t: &Theme, area: Rect) {
    let r = centered(area, area.width.min(110), area.height);
    f.render_widget(Clear, r);
    let block = t.block(" Fix — Enter: apply (asks first) · u: undo · c: copy · Esc closes ");
    let inner = block.inner(r);
    f.render_widget(block, r);
    let width = (inner.width as usize).saturating_sub(2).max(20);
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let mut lines: Vec<Line> = Vec::new();
    let Some(plan) = &v.plan else {
        lines.push(Line::from(" Reading the plan…"));
        f.render_widget(Paragraph::new(lines), inner);
        return;
    };
    let who = match (v.may_assign, &app.fix.admin) {
        (Some(true), _) => format!(
            " Changes run as the session's user {} (may assign permission sets).",
            plan.assignee.clone().unwrap_or_default()
        ),
        (_, Some(a)) => format!(
            " Changes run as {} (logged in here, memory only).",
            a.username
        ),
        (Some(false), None) => {
            " The session's user may not assign permission sets: an admin logs in first.".into()
        }
        (None, None) => {
            " Whether the session may assign permission sets is not known: an admin logs in first."
                .into()
        }
    };
    let who = if plan.applicable().next().is_some() {
        who
    } else {
        " Nothing here sagediag can apply through the API: an admin makes these (c copies one)."
            .into()
    };
    for w in wrap_words(&who, width) {
        lines.push(Line::from(format!(" {w}")).style(t.dim()));
    }
    for (i, fx) in plan.fixes.iter().enumerate() {
        let done = fx
            .permission_set
            .as_deref()
            .is_some_and(|s| app.fix.records.iter().any(|r| r.permission_set == s))
            || fx.change.as_ref().is_some_and(|c| {
                matches!(c, crate::engine::fix::Change::RevokeGrant { .. })
                    && app.fix.records.iter().any(|r| r.change == *c)
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
    if plan.fixes.is_empty() {
        lines.push(Line::from(" Nothing to fix."));
    }
    if let Some(fx) = v.selected_fix() {
        lines.push(Line::from(""));
        for l in fix_text(fx).lines().skip(1) {
            for w in wrap_words(l, width.saturating_sub(3)) {
                lines.push(Line::from(format!("   {w}")));
            }
        }
    }
    if !app.fix.records.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::from(" Changes made here (u undoes them):").style(bold));
        for r in &app.fix.records {
            lines.push(Line::from(super::screens::elide_end(
                &format!(
                    "   {} {} · request #{} · by {} · {} · PermissionSetAssignment {}",
                    r.outcome,
                    r.permission_set,
                    r.request_id,
                    r.by,
                    when(r.at_ms),
                    r.assignment_id.as_deref().unwrap_or("?"),
                ),
                width,
            )));
        }
    }
    let notes: Vec<&String> = v.notes.iter().filter(|n| *n != UNDO_MARK).collect();
    if !notes.is_empty() {
        lines.push(Line::from(""));
        for n in notes.iter().rev().take(6).rev() {
            lines.push(
                Line::from(super::screens::elide_end(&format!(" {n}"), width)).style(t.dim()),
            );
        }
    }
    // The prompt at the bottom: the confirmation, the admin's form, or work in flight.
    let mut prompt: Vec<Line> = Vec::new();
    match v.stage {
        Stage::Confirm(what) => {
            let as_who = if v.may_assign == Some(true) {
                plan.assignee.clone().unwrap_or_default()
            } else {
                app.fix
                    .admin
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
                    let revoked = app
                        .fix
                        .records
                        .iter()
                        .filter(|r| {
                            matches!(r.change, crate::engine::fix::Change::RevokeGrant { .. })
                        })
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
                        app.fix.records.len() - revoked
                    )
                }
            };
            for w in wrap_words(&format!("As {as_who}, {what}?"), width) {
                prompt.push(Line::from(format!(" {w}")).style(bold));
            }
            prompt.push(Line::from(vec![
                Span::styled(" y: yes, change the org ", t.selected()),
                Span::raw("   any other key: cancel (nothing is sent)"),
            ]));
        }
        Stage::Admin(_) => {
            prompt.push(
                Line::from(
                    " An admin who may assign permission sets logs in (password; memory only):",
                )
                .style(bold),
            );
            let cursor = |i: usize| if v.admin_field == i { "▏" } else { "" };
            prompt.push(Line::from(format!(
                "   Admin username  {}{}",
                first_line(&v.user),
                cursor(0)
            )));
            let pw = first_line(&v.password).chars().count();
            prompt.push(Line::from(format!(
                "   Password        {}{}",
                "•".repeat(pw.min(24)),
                cursor(1)
            )));
            prompt.push(
                Line::from("   Enter: next, then log in · ↑↓ field · Esc cancels").style(t.dim()),
            );
        }
        Stage::Working => prompt.push(Line::from(" Working…").style(bold)),
        Stage::Planning | Stage::Ready => {}
    }
    let room = (inner.height as usize).saturating_sub(prompt.len());
    lines.truncate(room);
    while lines.len() < room {
        lines.push(Line::from(""));
    }
    lines.extend(prompt);
    f.render_widget(Paragraph::new(lines), inner);
}
