//! Fixing from the console (issue #15): `f` on a failing permission row or on a finding opens the
//! plan (`engine::fix::plan`). An `apply` item shows the exact request and runs only after `y` in
//! a confirm prompt (any other key cancels), as the session's user when it may assign permission
//! sets, else as an admin who logs in here (username and password, held in memory only). The
//! affected probes re-run at once (after an undo the plan is read again); every change (who, what, when,
//! request id) is the report's own `changes`, listed here from it, and can be undone (`u`,
//! confirmed the same way). The engine calls run on tasks (`work.rs`). Drawing: `fix_draw.rs`.

use ratatui_textarea::TextArea;

use super::form::{Form, first_line, masked, text};
use super::keymap::Action;
use super::msg::{Cmd, Effect};
use super::overlay::Overlay;
use super::run::RunState;
use super::state::Mode;
use crate::engine::fix::{Actor, Applied, Change, FixKind, Outcome, Plan};
use crate::engine::{ChangeMade, Config, EndpointResult, Finding, Flow, Report};

pub use super::fix_draw::draw;

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

/// Changes made from the Fix overlay this session, and the admin's session.
#[derive(Default)]
pub struct FixState {
    /// The engine's records of what was created or revoked here: the details an undo sends
    /// (record ids, the request). Which of them still stand is read from the report's own
    /// `changes` ([`pending`]), so the list shown, what `u` undoes and the report agree.
    pub records: Vec<Applied>,
    /// The admin's session for fixes: in memory only, never drawn.
    pub admin: Option<Actor>,
    /// The admin username last typed in the overlay's login form (the next form starts with it).
    pub admin_user: Option<String>,
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
    /// What the admin's login in flight is for.
    pub after_login: Pending,
    /// What happened here, newest last.
    pub notes: Vec<String>,
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

/// The changes made here that still stand, oldest first, with the engine's record of each: read
/// from the report's own `changes` (a later `deleted` or `not-undoable` entry takes one back).
pub fn pending<'a>(
    fix: &'a FixState,
    report: Option<&'a Report>,
) -> Vec<(&'a ChangeMade, &'a Applied)> {
    let Some(report) = report else {
        return Vec::new();
    };
    standing(&report.changes)
        .into_iter()
        .filter_map(|c| {
            fix.records
                .iter()
                .find(|r| {
                    r.at_ms == c.at_ms
                        && r.request_id == c.request_id
                        && r.assignee_id == c.for_user
                        && r.outcome == c.outcome
                })
                .map(|r| (c, r))
        })
        .collect()
}

/// The changes of a report that still stand: created and not deleted since, revoked and not
/// listed as not undoable since.
fn standing(changes: &[ChangeMade]) -> Vec<&ChangeMade> {
    let mut out: Vec<&ChangeMade> = Vec::new();
    for c in changes {
        match c.outcome {
            Outcome::Created | Outcome::Revoked => out.push(c),
            Outcome::Deleted => {
                out.retain(|s| !(s.outcome == Outcome::Created && s.record == c.record));
            }
            Outcome::NotUndoable => {
                out.retain(|s| !(s.outcome == Outcome::Revoked && s.what == c.what));
            }
            _ => {}
        }
    }
    out
}

/// The session's user as an actor (the one the probes run as).
pub fn session_actor(run: &RunState) -> Option<Actor> {
    let s = run.session()?;
    let org = &run.report()?.org;
    Some(Actor {
        instance_url: s.instance_url.clone(),
        access_token: s.access_token.clone(),
        username: org.username.clone().unwrap_or_default(),
        user_id: org.user_id.clone(),
    })
}

/// `f` on step 4: the selected row's permission set, when the row fails.
pub fn about_probe(endpoints: &[EndpointResult], selected: usize) -> Option<String> {
    endpoints
        .get(selected)
        .filter(|e| e.finding.is_some())
        .map(|e| e.permission_set.to_string())
}

/// `f` on step 5: the selected finding's permission set, or its code.
pub fn about_finding(findings: &[Finding], selected: usize) -> Option<String> {
    let f = findings.get(selected)?;
    let set = crate::engine::ENDPOINTS
        .iter()
        .find(|d| f.title.contains(d.permission_set))
        .filter(|_| f.code == crate::engine::Code::PERMISSION_SET_MISSING);
    Some(match set {
        Some(d) => d.permission_set.to_string(),
        None => f.code.as_str().to_string(),
    })
}

fn when(ms: u64) -> String {
    crate::engine::export::iso8601(ms)
}

fn same_fix(a: &crate::engine::fix::Fix, b: &crate::engine::fix::Fix) -> bool {
    a.finding == b.finding && a.target == b.target && a.permission_set == b.permission_set
}

impl FixView {
    /// A bracketed paste into the admin's form field being typed in.
    pub fn paste(&mut self, pasted: &str) {
        let ta = if self.admin_field == 0 {
            &mut self.user
        } else {
            &mut self.password
        };
        super::form::paste_into(ta, pasted);
    }

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
            after_login: Pending::Apply,
            notes: Vec::new(),
        }
    }

    pub fn selected_fix(&self) -> Option<&crate::engine::fix::Fix> {
        self.plan.as_ref().and_then(|p| p.fixes.get(self.selected))
    }

    /// `f`: the Fix overlay for `about` (a permission set or a finding code), its plan read on a
    /// task. The admin form starts with the username typed last (else the demo org's admin).
    pub fn open(
        about: Option<String>,
        run: &RunState,
        form: &Form,
        fix: &FixState,
        demo_admin: Option<&str>,
    ) -> Vec<Cmd> {
        if run.running() {
            return vec![Cmd::Say("Fixing waits for the run to finish.".into())];
        }
        if run.report().is_none() || run.client.is_none() {
            return vec![Cmd::Say(
                "Nothing to fix yet: run the check (r) first.".into(),
            )];
        }
        let cfg = match form.config() {
            Ok(c) => c,
            Err(e) => return vec![Cmd::Say(e.into())],
        };
        let admin = fix.admin_user.as_deref().or(demo_admin).unwrap_or_default();
        vec![
            Cmd::Open(Overlay::Fix(Box::new(FixView::new(about, admin)))),
            Cmd::Fix(FixJob::Plan { cfg: Box::new(cfg) }),
        ]
    }

    /// The plan was read (first, or again after a change): the selection stays on the same fix.
    fn planned(&mut self, plan: Plan, may_assign: Option<bool>) {
        let keep = self.selected_fix().cloned();
        let about = self.about.clone();
        let by_about = || {
            plan.fixes.iter().position(|f| {
                about.as_deref().is_some_and(|a| {
                    f.permission_set.as_deref() == Some(a) || f.finding.as_str() == a
                })
            })
        };
        self.selected = match &keep {
            Some(k) => plan.fixes.iter().position(|f| same_fix(f, k)),
            None => by_about(),
        }
        .unwrap_or(0);
        let vanished = keep.is_some_and(|k| !plan.fixes.iter().any(|f| same_fix(f, &k)));
        self.plan = Some(plan);
        self.may_assign = may_assign;
        match self.stage {
            Stage::Planning => self.stage = Stage::Ready,
            // The fix asked about is no longer planned: nothing to confirm.
            Stage::Confirm(Pending::Apply) if vanished => {
                self.stage = Stage::Ready;
                self.notes.push(
                    "The plan changed: that fix is no longer needed. Nothing was sent.".into(),
                );
            }
            _ => {}
        }
    }

    fn start_admin(&mut self, what: Pending) -> Vec<Cmd> {
        self.stage = Stage::Admin(what);
        self.after_login = what;
        self.admin_field = 0;
        vec![Cmd::Mode(Mode::Admin)]
    }

    /// A key in the Fix overlay (not the confirmation, not the admin form).
    pub fn action(&mut self, a: Action, fix: &FixState, run: &RunState) -> Vec<Cmd> {
        let n = self.plan.as_ref().map_or(0, |p| p.fixes.len());
        let may = self.may_assign == Some(true) || fix.admin.is_some();
        match a {
            Action::Back => return vec![Cmd::Close],
            Action::Down => self.selected = (self.selected + 1).min(n.saturating_sub(1)),
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Home => self.selected = 0,
            Action::End => self.selected = n.saturating_sub(1),
            Action::Select | Action::Undo if self.stage != Stage::Ready => {}
            Action::Select => match self.selected_fix().map(|f| f.kind) {
                Some(FixKind::Apply) if may => self.stage = Stage::Confirm(Pending::Apply),
                Some(FixKind::Apply) => return self.start_admin(Pending::Apply),
                Some(_) => self.notes.push(
                    "This fix is made by an admin (Setup, a command or metadata): c copies it."
                        .into(),
                ),
                None => {}
            },
            Action::Undo if pending(fix, run.report()).is_empty() => {
                self.notes.push("Nothing changed here to undo.".into());
            }
            Action::Undo if may => self.stage = Stage::Confirm(Pending::Undo),
            Action::Undo => return self.start_admin(Pending::Undo),
            Action::Copy => {
                if let Some(t) = self.selected_fix().map(fix_text) {
                    return vec![Cmd::Copy {
                        what: "fix".into(),
                        text: t,
                    }];
                }
            }
            _ => {}
        }
        Vec::new()
    }

    /// The confirmation: `y` makes the change; any other key cancels, and nothing is sent.
    pub fn confirm(&mut self, yes: bool, fix: &FixState, run: &RunState, form: &Form) -> Vec<Cmd> {
        let Stage::Confirm(what) = self.stage else {
            return Vec::new();
        };
        if !yes {
            self.stage = Stage::Ready;
            self.notes.push("Cancelled: nothing was changed.".into());
            return Vec::new();
        }
        let session = session_actor(run);
        // A grant is revoked by the admin who read the grants (else the session's own user).
        let revoke = self
            .selected_fix()
            .and_then(|f| f.change.as_ref())
            .is_some_and(|c| matches!(c, Change::RevokeGrant { .. }));
        let actor = if revoke && what == Pending::Apply {
            fix.admin.clone().or(session)
        } else if self.may_assign == Some(true) {
            session
        } else {
            fix.admin.clone()
        };
        let (Some(actor), Ok(cfg)) = (actor, form.config()) else {
            self.stage = Stage::Ready;
            self.notes
                .push("No session to change the org with: nothing was changed.".into());
            return Vec::new();
        };
        let plan = match (&self.plan, self.selected_fix()) {
            (Some(p), Some(f)) => Plan {
                fixes: vec![f.clone()],
                assignee_id: p.assignee_id.clone(),
                assignee: p.assignee.clone(),
            },
            _ => Plan::default(),
        };
        self.stage = Stage::Working;
        let undo = (what == Pending::Undo).then(|| {
            pending(fix, run.report())
                .into_iter()
                .map(|(_, r)| r.clone())
                .collect()
        });
        vec![Cmd::Fix(FixJob::Change {
            cfg: Box::new(cfg),
            plan,
            undo,
            actor,
        })]
    }
}

impl FixState {
    /// A key in the admin's login form (`view`: the Fix overlay in front): Enter moves on, then
    /// logs in; Esc cancels. The username typed is kept for the next form.
    pub fn admin_key(
        &mut self,
        view: Option<&mut FixView>,
        action: Option<Action>,
        key: crossterm::event::KeyEvent,
        form: &Form,
    ) -> Vec<Cmd> {
        let normal = Cmd::Mode(Mode::Normal);
        let Some(v) = view else {
            return vec![normal];
        };
        match action {
            Some(Action::Back) => {
                v.password = masked("");
                v.stage = Stage::Ready;
                v.notes.push("Cancelled: nothing was changed.".into());
                return vec![normal];
            }
            Some(Action::Up) => v.admin_field = 0,
            Some(Action::Down) => v.admin_field = 1,
            Some(Action::Select) if v.admin_field == 0 => v.admin_field = 1,
            Some(Action::Select) => {
                let user = first_line(&v.user).trim().to_string();
                let password = first_line(&v.password);
                v.password = masked("");
                if !user.is_empty() {
                    self.admin_user = Some(user.clone());
                }
                let mut cfg = match form.config() {
                    Ok(c) => c,
                    Err(e) => {
                        v.stage = Stage::Ready;
                        v.notes.push(e.into());
                        return vec![normal];
                    }
                };
                if user.is_empty() || password.is_empty() {
                    v.stage = Stage::Ready;
                    v.notes
                        .push("The admin's username and password are both needed.".into());
                    return vec![normal];
                }
                cfg.flow = Flow::Password;
                cfg.username = Some(user);
                cfg.password = Some(password);
                cfg.refresh_token = None;
                cfg.access_token = None;
                cfg.private_key_pem = None;
                cfg.private_key_path = None;
                v.stage = Stage::Working;
                return vec![normal, Cmd::Fix(FixJob::Admin { cfg: Box::new(cfg) })];
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

    /// A fix task answered (`view`: the Fix overlay, when it is in front). After a change the
    /// report the engine updated is shown everywhere, and the plan is read again.
    pub fn on_msg(&mut self, m: FixMsg, view: Option<&mut FixView>, form: &Form) -> Vec<Cmd> {
        match m {
            FixMsg::Planned { plan, may_assign } => {
                if let Some(v) = view {
                    v.planned(plan, may_assign);
                }
                Vec::new()
            }
            FixMsg::Admin(r) => {
                let Some(v) = view else {
                    return Vec::new();
                };
                match r {
                    Ok(actor) => {
                        v.notes
                            .push(format!("Logged in as {} (memory only).", actor.username));
                        v.stage = Stage::Confirm(v.after_login);
                        self.admin = Some(actor);
                        Vec::new()
                    }
                    Err(e) => {
                        // Whole, here and in the message history (`m`); the username stays.
                        let said = format!("The admin's login failed: {e}");
                        v.notes.push(said.clone());
                        v.stage = Stage::Ready;
                        vec![Cmd::Say(said)]
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
                let mut cmds: Vec<Cmd> = records
                    .iter()
                    .map(|r| {
                        Cmd::Effect(Effect::Log(format!(
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
                        )))
                    })
                    .collect();
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
                // What an undo may need later; which still stand is the report's to say.
                self.records.extend(
                    records
                        .into_iter()
                        .filter(|r| matches!(r.outcome, Outcome::Created | Outcome::Revoked)),
                );
                for result in &probes {
                    notes.push(format!(
                        "re-probed {}: {}",
                        result.name,
                        result.status.word()
                    ));
                }
                notes.push(format!("The report now says {}.", report.status_words()));
                // The report the engine updated: the header, tabs, steps, table and `W` read it.
                cmds.push(Cmd::ShowReport(report));
                if let Some(v) = view {
                    v.notes.extend(notes);
                    v.stage = Stage::Ready;
                    // After an undo the list follows the org: the plan is read again (after the
                    // report is shown), so a set undone is offered again. (After an apply the
                    // list stays as it is, the fix marked applied, so keys go where they did.)
                    if undo && let Ok(cfg) = form.config() {
                        cmds.push(Cmd::Fix(FixJob::Plan { cfg: Box::new(cfg) }));
                    }
                }
                cmds
            }
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn change(outcome: Outcome, what: &str, record: Option<&str>, at_ms: u64) -> ChangeMade {
        ChangeMade {
            outcome,
            what: what.into(),
            for_user: "005A".into(),
            by: "admin@acme.example".into(),
            at: crate::engine::export::iso8601(at_ms),
            at_ms,
            request_id: at_ms,
            record: record.map(str::to_string),
            note: None,
        }
    }

    #[test]
    fn what_stands_is_read_from_the_reports_changes_in_order() {
        let a = Some("PermissionSetAssignment 0PaA");
        let b = Some("PermissionSetAssignment 0PaB");
        let changes = vec![
            change(Outcome::Created, "Salaries", a, 1),
            change(Outcome::Created, "Bonuses", b, 2),
            change(Outcome::Revoked, "grant of 2026-01-01", None, 3),
            change(Outcome::AlreadyAssigned, "Absences", None, 4),
            change(Outcome::Deleted, "Salaries", a, 5),
            change(Outcome::UndoSkipped, "Bonuses", b, 6),
            change(Outcome::NotUndoable, "grant of 2026-01-01", None, 7),
        ];
        let left: Vec<&str> = standing(&changes).iter().map(|c| c.what.as_str()).collect();
        assert_eq!(
            left,
            ["Bonuses"],
            "an undo that left it in place leaves it standing"
        );
        // Made again after an undo: it stands again.
        let mut again = changes.clone();
        again.push(change(
            Outcome::Created,
            "Salaries",
            Some("PermissionSetAssignment 0PaC"),
            8,
        ));
        assert_eq!(standing(&again).len(), 2);
        assert!(standing(&[]).is_empty());
    }
}
