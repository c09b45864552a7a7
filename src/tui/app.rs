//! The console's state and its one entry point, [`App::update`]: a [`Msg`] in, state changes
//! and [`Effect`]s out. Nothing here draws, waits or touches a file. Keys go through the
//! keymap ([`super::keymap`]); what is in front (a text field, an overlay, the log, a step)
//! decides which of its scopes answer.

use crossterm::event::KeyEvent;

use super::demo::DemoInfo;
use super::form::{self, EditOutcome, Field, Form, first_line, text};
use super::inspector::Inspector;
use super::keymap::{self, Action, Scope};
use super::log::LogPane;
use super::msg::{Cmd, Effect, Msg};
use super::overlay::{Overlay, ValueView};
use super::screens::Screens;
use crate::engine::{EndpointResult, Finding, Report, Session};
use ratatui_textarea::TextArea;

pub use super::form::{EnvChoice, Preset};
pub use super::run::{Autoplay, RunState, StepLine};
pub use super::state::{
    Consent, ConsoleLine, DemoState, FixState, HitMap, KeepState, MAX_MESSAGES, Mode, Prefs,
    Screen, StatusBar,
};

pub struct App {
    pub screen: Screen,
    pub mode: Mode,
    pub overlay: Overlay,
    /// The connection form (what the next run uses).
    pub form: Form,
    /// The run: its life cycle, steps, results, report and clients.
    pub run: RunState,
    /// The steps' and the Fleet screen's own state (selections, scrolls, text being edited).
    pub screens: Screens,
    /// The request log pane.
    pub log: LogPane,
    /// The request console's line (`:` opens it).
    pub console: ConsoleLine,
    /// The status line and the message history (`m`).
    pub status: StatusBar,
    /// The demo org, when the console runs on one.
    pub demo: DemoState,
    /// How the console looks and which keys it takes.
    pub prefs: Prefs,
    /// Secrets kept and recalled; saved profiles.
    pub keep: KeepState,
    /// Changes made from the Fix overlay and the admin's session.
    pub fix: FixState,
    /// What the user said yes to, for the next run only.
    pub consent: Consent,
    /// Screen regions the last frame drew, for the mouse (set after each draw).
    pub hits: HitMap,
    pub quit: bool,
}

impl App {
    pub fn new() -> App {
        App::with_prefs(Prefs::default())
    }

    /// A console that starts with these preferences.
    pub fn with_prefs(prefs: Prefs) -> App {
        App {
            screen: Screen::Environment,
            mode: Mode::Normal,
            overlay: Overlay::None,
            form: Form::new(),
            run: RunState::default(),
            screens: Screens::default(),
            log: LogPane::default(),
            console: ConsoleLine::default(),
            status: StatusBar::default(),
            demo: DemoState::default(),
            prefs,
            keep: KeepState::default(),
            fix: FixState::default(),
            consent: Consent::default(),
            hits: HitMap::default(),
            quit: false,
        }
    }

    /// Says something on the status line, and keeps it in the message history (`m`).
    pub fn say(&mut self, s: impl Into<String>) {
        self.status.say(s.into());
    }

    /// Does what a part asked ([`Cmd`]); returns the loop's effects.
    pub fn apply(&mut self, cmds: impl IntoIterator<Item = Cmd>) -> Vec<Effect> {
        let mut effects = Vec::new();
        for cmd in cmds {
            match cmd {
                Cmd::Effect(e) => effects.push(e),
                Cmd::Say(s) => self.say(s),
                Cmd::Open(o) => self.overlay = o,
                Cmd::Close => self.overlay = Overlay::None,
                Cmd::Go(s) => self.go(s),
                Cmd::Edit(field) => self.edit(field),
                Cmd::Inspect(id) => self.open_inspector(id),
                Cmd::Copy { what, text } => effects.extend(self.copy(&what, text)),
                Cmd::Run => effects.extend(self.start_run()),
                Cmd::PasteOpen => {
                    if !matches!(self.mode, Mode::Edit { .. } | Mode::Console) {
                        self.mode = Mode::Paste;
                    }
                }
                Cmd::PasteClose => {
                    if self.mode == Mode::Paste {
                        self.mode = Mode::Normal;
                    }
                }
                Cmd::CycleKeep => {
                    let cmds = self.keep.cycle_keep(&mut self.form);
                    effects.extend(self.apply(cmds));
                }
                Cmd::ShowCycle(c) => {
                    self.run.show_stored(*c, &mut self.log);
                    self.screens.findings.selected = 0;
                    self.go(Screen::Findings);
                }
                Cmd::Act(a) => {
                    if matches!(self.overlay, Overlay::None) {
                        effects.extend(self.screen_action(a));
                    } else {
                        let cmds = self.overlay.action(a, &self.demo.scenarios);
                        effects.extend(self.apply(cmds));
                    }
                }
                Cmd::Select { screen, row } => {
                    self.log.focus = false;
                    self.screens.select(screen, row, &mut self.form);
                }
                Cmd::OpenFix(about) => {
                    let cmds = super::fix::FixView::open(
                        about,
                        &self.run,
                        &self.form,
                        &self.fix,
                        self.demo.admin.as_deref(),
                    );
                    effects.extend(self.apply(cmds));
                }
                Cmd::Mode(m) => self.mode = m,
                Cmd::Fix(job) => {
                    let with = self.run.fix_with();
                    effects.push(Effect::Fix { job, with });
                }
                Cmd::ShowReport(r) => self.show_report(*r),
                Cmd::Scenario(name) => effects.extend(self.switch_scenario(name)),
            }
        }
        effects
    }

    /// The one entry point: a message in, state changed, effects out.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        let cmds = match msg {
            Msg::Key(k) => return self.on_key(k),
            Msg::Paste(text) => return self.on_paste(text),
            Msg::Mouse(m) if self.prefs.mouse => {
                let (hits, screen, run) = (&self.hits, self.screen, &self.run);
                super::mouse::on_mouse(m, hits, screen, &mut self.overlay, &mut self.log, run)
            }
            Msg::Mouse(_) | Msg::Resize => Vec::new(),
            Msg::Drawn(hits) => {
                self.hits = hits;
                Vec::new()
            }
            Msg::Engine { run, event } if run == self.run.id => return self.on_engine(event),
            Msg::RunDone { run, result } if run == self.run.id => return self.on_run_done(result),
            Msg::Engine { .. } | Msg::RunDone { .. } => Vec::new(),
            Msg::Reprobed {
                index,
                result,
                finding,
            } => self.on_reprobe(index, result, finding),
            Msg::ConsoleDone(id) => vec![Cmd::Inspect(id)],
            Msg::Vault(v) => self.keep.on_vault(v, &mut self.form, self.run.report()),
            Msg::DemoStarted(r) => return self.on_demo_started(r),
            Msg::Scenarios(list) => {
                self.demo.scenarios = list;
                Vec::new()
            }
            Msg::ProfilesSaved(r) => self.keep.saved(r),
            Msg::RunClient { run, client } => {
                self.run.add_client(run, client);
                Vec::new()
            }
            Msg::Say(s) => vec![Cmd::Say(s)],
            Msg::DemoBanner(s) => {
                self.demo.banner = Some(s);
                Vec::new()
            }
            Msg::Tick(now) => {
                self.tick(now);
                Vec::new()
            }
            Msg::Autoplay => return self.autoplay_step().into_iter().collect(),
            Msg::Fix(m) => self.fix.on_msg(m, self.overlay.fix_mut(), &self.form),
            Msg::Fleet(m) => self.screens.fleet.on_msg(m, self.screen == Screen::Fleet),
            Msg::Settings(s) => {
                let (form, env) = (&mut self.form, &mut self.screens.environment);
                super::keep::apply_settings(&s, form, &mut self.prefs, env)
            }
            Msg::FoldStatus(seq) => {
                self.status.fold(seq);
                Vec::new()
            }
            Msg::Quit => {
                self.quit = true;
                Vec::new()
            }
        };
        self.apply(cmds)
    }

    /// Which keymap scopes answer now, most specific first.
    pub fn scopes(&self) -> Vec<Scope> {
        if self.mode != Mode::Normal {
            return vec![Scope::Always, Scope::Text];
        }
        match &self.overlay {
            Overlay::None => {}
            Overlay::Inspector(_) => return vec![Scope::Always, Scope::Inspector],
            Overlay::ConfirmQuit | Overlay::ConfirmRotation | Overlay::ConfirmEviction(_) => {
                return vec![Scope::Always, Scope::Confirm];
            }
            Overlay::Fix(v) if matches!(v.stage, super::fix::Stage::Confirm(_)) => {
                return vec![Scope::Always, Scope::FixConfirm];
            }
            Overlay::Fix(_) => return vec![Scope::Always, Scope::Fix],
            _ => return vec![Scope::Always, Scope::Overlay],
        }
        if self.screen == Screen::Fleet {
            self.screens.fleet.scopes()
        } else if self.log.focus {
            vec![Scope::Always, Scope::Log, Scope::Global]
        } else {
            vec![Scope::Always, self.screen.scope(), Scope::Global]
        }
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let scopes = self.scopes();
        let typing = self.mode != Mode::Normal;
        let action = keymap::lookup(&key, &scopes, self.prefs.vim() && !typing);
        match action {
            Some(Action::ForceQuit) => {
                self.quit = true;
                return Vec::new();
            }
            Some(Action::Suspend) => return vec![Effect::Suspend],
            _ => {}
        }
        if typing {
            return self.text_key(action, key);
        }
        match &mut self.overlay {
            Overlay::None => {}
            Overlay::ConfirmQuit | Overlay::ConfirmRotation | Overlay::ConfirmEviction(_) => {
                // y does it; any other key (unbound ones too) does not.
                let yes = action == Some(Action::Yes);
                let cmds = self.overlay.confirm(yes, &mut self.consent, &mut self.quit);
                return self.apply(cmds);
            }
            Overlay::Fix(v) if matches!(v.stage, super::fix::Stage::Confirm(_)) => {
                // y changes the org; any other key (unbound ones too) cancels.
                let cmds = v.confirm(
                    action == Some(Action::Yes),
                    &self.fix,
                    &self.run,
                    &self.form,
                );
                return self.apply(cmds);
            }
            Overlay::Fix(v) => {
                let Some(a) = action else { return Vec::new() };
                let cmds = v.action(a, &self.fix, &self.run);
                return self.apply(cmds);
            }
            Overlay::Inspector(ins) => {
                let Some(a) = action else { return Vec::new() };
                let cmds = ins.action(a, self.hits.inspector);
                return self.apply(cmds);
            }
            _ => {
                let Some(a) = action else { return Vec::new() };
                let cmds = self.overlay.action(a, &self.demo.scenarios);
                return self.apply(cmds);
            }
        }
        let Some(action) = action else {
            return Vec::new();
        };
        let fleet = if self.screen == Screen::Fleet {
            self.screens.fleet.key(action)
        } else {
            let row = self.log.focus.then(|| self.log.selected_row()).flatten();
            self.screens.fleet.readonly(action, row)
        }
        .map(|cmds| self.apply(cmds));
        if let Some(effects) = fleet {
            return effects;
        }
        if let Some(effects) = self.global_action(action) {
            return effects;
        }
        if self.log.focus {
            let cmds = self.log.action(action, &self.run, self.hits.log);
            return self.apply(cmds);
        }
        self.screen_action(action)
    }

    /// Keys every screen shares; `None` when the screen in front should have the key.
    fn global_action(&mut self, action: Action) -> Option<Vec<Effect>> {
        let none = Some(Vec::new());
        match action {
            Action::Quit => {
                if self.login_in_flight() {
                    self.overlay = Overlay::ConfirmQuit;
                } else {
                    self.quit = true;
                }
                none
            }
            Action::Help => {
                self.overlay = Overlay::Help { scroll: 0 };
                none
            }
            Action::Messages => {
                self.overlay = Overlay::Messages {
                    scroll: self.status.messages.len().saturating_sub(1),
                };
                none
            }
            Action::Console => {
                self.console.open();
                self.mode = Mode::Console;
                none
            }
            Action::Export => Some(vec![Effect::Export(self.run.export(self.prefs.har_bodies))]),
            Action::Fleet => {
                let cmds = self.screens.fleet.toggle(self.screen == Screen::Fleet);
                Some(self.apply(cmds))
            }
            Action::Integration | Action::Coverage => {
                match self.run.record_overlay(action == Action::Coverage) {
                    Ok(o) => self.overlay = o,
                    Err(why) => self.say(why),
                }
                none
            }
            Action::NextProfile
                if !self.keep.profiles.is_empty() && self.demo.scenario.is_none() =>
            {
                let cmds = self
                    .keep
                    .next_profile(&mut self.form, &mut self.screens.environment);
                Some(self.apply(cmds))
            }
            Action::FocusLog => {
                self.log.show = true;
                self.log.focus = !self.log.focus;
                none
            }
            Action::ToggleLog => {
                self.log.show = !self.log.show;
                self.log.focus = self.log.show;
                none
            }
            Action::Step(n) => {
                self.go(Screen::ALL[(n.clamp(1, 5) - 1) as usize]);
                none
            }
            Action::NextStep | Action::Right if !self.log.focus => {
                self.go(Screen::ALL[(self.screen.index() + 1).min(4)]);
                none
            }
            Action::PrevStep | Action::Left if !self.log.focus => {
                self.go(Screen::ALL[self.screen.index().saturating_sub(1)]);
                none
            }
            Action::Run => {
                self.demo.autoplay = None;
                Some(self.start_run().into_iter().collect())
            }
            Action::NextScenario | Action::PickScenario if self.demo.scenario.is_none() => {
                self.say("Scenarios are the demo org's: sagediag demo.");
                none
            }
            Action::NextScenario => {
                self.demo.autoplay = None;
                let next = self.demo.next_scenario()?;
                Some(self.switch_scenario(next))
            }
            Action::PickScenario => {
                self.overlay = Overlay::Scenarios {
                    selected: self.demo.current_index(),
                };
                none
            }
            _ => None,
        }
    }

    pub fn switch_scenario(&mut self, name: String) -> Vec<Effect> {
        self.demo.autoplay = None;
        self.run.stopped();
        self.run.id += 1;
        self.say(format!("Starting the demo org: scenario {name}…"));
        vec![Effect::StartDemo(name)]
    }

    pub fn go(&mut self, screen: Screen) {
        self.screen = screen;
        self.log.focus = false;
    }

    /// A person is needed for the login: a browser login or a pasted URL is awaited.
    pub fn login_in_flight(&self) -> bool {
        self.run.running() && self.run.waiting_for_person()
    }

    /// Shows `text` (and sends it by OSC 52): some terminals drop OSC 52 silently.
    pub fn copy(&mut self, what: &str, text: String) -> Vec<Effect> {
        self.overlay = Overlay::Value(ValueView::new(what, text.clone(), false));
        vec![Effect::Osc52(text)]
    }

    pub fn open_inspector(&mut self, id: u64) {
        if let Some(e) = self.run.client.as_ref().and_then(|c| c.exchange(id)) {
            self.overlay = Overlay::Inspector(Box::new(Inspector::new(&e)));
        } else {
            self.say(format!("Request #{id} is no longer in the log."));
        }
    }

    /// An action for the screen in front (the log aside).
    pub fn screen_action(&mut self, a: Action) -> Vec<Effect> {
        match self.screen {
            Screen::Environment => {
                let cmds = self.screens.environment.action(a, &mut self.form);
                self.apply(cmds)
            }
            Screen::ConnectedApp => {
                let cmds = self.screens.connected.action(a, &mut self.form);
                self.apply(cmds)
            }
            Screen::Login => {
                let cmds = self.screens.login.action(a, &mut self.run);
                self.apply(cmds)
            }
            Screen::Permissions => {
                let cmds = self.screens.permissions.action(a, &self.run);
                self.apply(cmds)
            }
            Screen::Findings => {
                let cmds = self.screens.findings.action(a, &self.run.findings);
                self.apply(cmds)
            }
            Screen::Fleet => {
                let cmds = self.screens.fleet.key(a).unwrap_or_default();
                self.apply(cmds)
            }
        }
    }

    // A run as the console follows it ([`RunState`] holds it): starting one, the engine's
    // events, the report, where the console lands, the demo org and its self-playing journey.

    /// The demo org is running: environment and credentials filled in.
    pub fn set_demo(&mut self, scenario: &str, url: &str, id: &str, secret: &str, user: &str) {
        self.demo.scenario = Some(scenario.to_string());
        self.screens.environment.selected = 3;
        self.form.set_demo(url, id, secret, user);
    }

    /// The demo org (re)started: its scenario's preset goes on the form so a run reproduces it;
    /// its description stays on screen. Changes made on the last org are not this one's to undo.
    pub fn on_demo_started(&mut self, r: Result<DemoInfo, super::error::DemoError>) -> Vec<Effect> {
        let info = match r {
            Ok(i) => i,
            Err(e) => {
                self.say(e);
                return Vec::new();
            }
        };
        let restart = self.demo.scenario.is_some();
        let i = &info;
        self.set_demo(
            &i.scenario,
            &i.login_url,
            &i.client_id,
            &i.client_secret,
            &i.username,
        );
        self.form.apply_preset(&info.preset);
        self.demo.started(&info);
        self.fix = FixState::default();
        self.say(info.started_line());
        let mut effects = vec![Effect::Log(format!(
            "demo org started: scenario {} at {}",
            info.scenario, info.login_url
        ))];
        if restart {
            effects.extend(self.start_run());
        }
        effects
    }

    /// The spinner's tick: the oldest request still in flight after 3 s is what the run waits on.
    pub fn tick(&mut self, now: std::time::Instant) {
        self.status.spinner = self.status.spinner.wrapping_add(1);
        self.status.waiting = self.run.waiting_on(&self.log, now);
    }

    /// A run is starting: clear what the last one showed; the login step is where a person may
    /// have to act.
    pub fn run_started(&mut self) {
        let marker = self.run.start(self.form.flow.name());
        self.screens.login.paste_reason = None;
        self.screens.login.scroll = 0;
        if self.mode == Mode::Paste {
            self.mode = Mode::Normal;
        }
        self.log.rows.push(marker);
        if self.log.rows.len() > super::log::MAX_LOG {
            let extra = self.log.rows.len() - super::log::MAX_LOG;
            self.log.rows.drain(..extra);
        }
        // The log's selection waits on this run's first request (just below its marker).
        self.log.selected = self.log.filtered_log().len();
        self.say("Running…");
        self.go(Screen::Login);
    }

    pub fn on_engine(&mut self, e: crate::engine::Event) -> Vec<Effect> {
        let cmds = self.run.on_event(e, &mut self.log, &mut self.screens.login);
        self.apply(cmds)
    }

    pub fn on_run_done(
        &mut self,
        result: Result<Box<(Report, Option<Session>)>, super::error::RunError>,
    ) -> Vec<Effect> {
        let (report, session) = match result {
            Ok(done) => *done,
            Err(e) => {
                self.run.stopped();
                self.say(format!("The check stopped unexpectedly: {e}"));
                return Vec::new();
            }
        };
        let logged_in = session.is_some();
        let (said, refresh) = self.run.ended(&report, session);
        let mut effects = self.apply(said);
        self.on_report(report);
        // At five grants nothing was sent: ask, naming the grant that would go.
        if let Some(f) = self
            .run
            .findings
            .iter()
            .find(|f| f.code == crate::engine::Code::GRANT_CAP_CONSENT_NEEDED)
        {
            self.overlay = Overlay::ConfirmEviction(f.detail.clone());
        }
        if logged_in {
            effects.extend(self.keep.on_session(&mut self.form, refresh));
        }
        effects
    }

    pub fn on_report(&mut self, r: Report) {
        self.status.waiting = None;
        if self.mode == Mode::Paste {
            self.mode = Mode::Normal;
        }
        self.show_report(r);
        self.screens.permissions.land(&self.run.endpoints);
        self.say(super::verdict::done_line(&self.run.findings));
        let landing = self.run.landing();
        self.go(landing);
        if self.demo.autoplay == Some(Autoplay::WaitRun) {
            self.demo.autoplay = Some(Autoplay::Done);
        }
    }

    /// Where a finished run lands.
    pub fn landing(&self) -> Screen {
        self.run.landing()
    }

    /// The report as it now stands: the run shows it; each step's selection stays on a row.
    pub fn show_report(&mut self, r: Report) {
        self.run.show_report(r);
        let s = &mut self.screens;
        s.findings.selected = s
            .findings
            .selected
            .min(self.run.findings.len().saturating_sub(1));
        s.permissions.selected = s
            .permissions
            .selected
            .min(self.run.endpoints.len().saturating_sub(1));
    }

    pub fn on_reprobe(
        &mut self,
        i: usize,
        result: EndpointResult,
        finding: Option<Finding>,
    ) -> Vec<Cmd> {
        let said = self.run.reprobed(i, result, finding);
        let s = &mut self.screens;
        s.findings.selected = s
            .findings
            .selected
            .min(self.run.findings.len().saturating_sub(1));
        vec![Cmd::Say(said)]
    }

    /// One step of the demo's journey; returns what the loop must do.
    pub fn autoplay_step(&mut self) -> Option<Effect> {
        match self.demo.autoplay_next()? {
            Some(screen) => {
                self.screen = screen;
                None
            }
            None => self.start_run(),
        }
    }

    /// `r`: a run of the form as it is (or first a look for kept secrets, or the consent to
    /// refresh a token sagediag did not obtain).
    pub fn start_run(&mut self) -> Option<Effect> {
        let admin = self.fix.admin.as_ref().map(|a| Session {
            instance_url: a.instance_url.clone(),
            access_token: a.access_token.clone(),
            refresh_token: None,
        });
        let recalled = self.keep.recalled_for.clone();
        match super::run::prepare(
            &self.form,
            admin,
            recalled,
            &self.keep.vault,
            &mut self.consent,
        ) {
            Err(e) => {
                self.say(e);
                None
            }
            Ok(super::run::Start::Recall) => Some(Effect::Recall {
                then_run: true,
                key: self.form.vault_key(),
                vault: self.keep.vault.clone(),
            }),
            Ok(super::run::Start::AskRotation) => {
                self.overlay = Overlay::ConfirmRotation;
                None
            }
            Ok(super::run::Start::Run(cfg)) => {
                self.run_started();
                Some(Effect::StartRun {
                    run: self.run.id,
                    cfg,
                    profile: super::keep::profile_of(&self.form),
                })
            }
        }
    }

    // Typing: keys and bracketed pastes in a text field (a form field, the log's filter, the
    // inspector's search, the request console, the login's paste field). A paste is text: it
    // never reaches key dispatch, and a single-line field drops its newlines.

    /// The text the mode types in (the admin's form is the Fix overlay's own).
    fn typing_in(&mut self) -> Option<&mut TextArea<'static>> {
        match &self.mode {
            Mode::Normal | Mode::Admin => None,
            Mode::Edit { field, .. } => self.form.field_mut(*field),
            Mode::Filter { .. } => Some(&mut self.log.filter),
            Mode::Search { .. } => match &mut self.overlay {
                Overlay::Inspector(ins) => ins.search.as_mut(),
                _ => None,
            },
            Mode::Console => Some(&mut self.console.input),
            Mode::FleetFilter { .. } => Some(&mut self.screens.fleet.filter),
            Mode::Paste => Some(&mut self.screens.login.paste),
        }
    }

    /// What typed text changes at once: the log's and the Fleet's filters, the search.
    fn typed(&mut self) {
        match (&self.mode, &mut self.overlay) {
            (Mode::Filter { .. }, _) => self.log.selected = 0,
            (Mode::FleetFilter { .. }, _) => self.screens.fleet.filter_changed(),
            (Mode::Search { .. }, Overlay::Inspector(ins)) => ins.search_changed(),
            _ => {}
        }
    }

    /// Keys in a text field: the keymap's text scope (done, cancel, clear…), else typed.
    fn text_key(&mut self, action: Option<Action>, key: KeyEvent) -> Vec<Effect> {
        match self.mode {
            Mode::Normal => return Vec::new(),
            Mode::Admin => {
                let cmds = (self.fix).admin_key(self.overlay.fix_mut(), action, key, &self.form);
                return self.apply(cmds);
            }
            Mode::Console => {
                let (o, line) = self.console.key(action, key);
                if o != EditOutcome::Typing {
                    self.mode = Mode::Normal;
                }
                let via = self.run.session().cloned().zip(self.run.client.clone());
                return line
                    .map(|line| vec![Effect::SendRequest { line, via }])
                    .unwrap_or_default();
            }
            _ => {}
        }
        let before = self.mode.before().to_string();
        let Some(ta) = self.typing_in() else {
            self.mode = Mode::Normal;
            return Vec::new();
        };
        let o = form::edit_key(ta, &before, action, key);
        self.typed();
        match (&self.mode, o) {
            (_, EditOutcome::Typing) => {}
            // The custom URL is checked before it is used or saved.
            (Mode::Edit { field: None, .. }, EditOutcome::Done)
                if self.form.login_url().is_err() =>
            {
                let e = (self.form.login_url().err()).map(|e| e.to_string());
                self.say(format!(
                    "✗ {} (Esc puts the URL back)",
                    e.unwrap_or_default()
                ));
            }
            (Mode::Paste, EditOutcome::Done) => {
                let url = first_line(&self.screens.login.paste);
                self.screens.login.paste = text("");
                return self.send_paste(url);
            }
            _ => {
                if let Overlay::Inspector(ins) = &mut self.overlay {
                    ins.search = None;
                }
                self.mode = Mode::Normal;
            }
        }
        Vec::new()
    }

    /// A bracketed paste: into the field being typed in (line breaks dropped), or the login's
    /// paste field; never into key dispatch.
    fn on_paste(&mut self, pasted: String) -> Vec<Effect> {
        match self.mode {
            Mode::Admin => {
                if let Some(v) = self.overlay.fix_mut() {
                    v.paste(&pasted);
                }
            }
            Mode::Paste => {
                // A paste with its Enter: the URL goes at once; without, it waits for Enter.
                let ends = pasted.trim_end_matches([' ', '\t']).ends_with(['\n', '\r']);
                form::paste_into(&mut self.screens.login.paste, &pasted);
                if ends {
                    let url = first_line(&self.screens.login.paste);
                    self.screens.login.paste = text("");
                    self.mode = Mode::Normal;
                    return self.send_paste(url);
                }
            }
            Mode::Normal if self.screen == Screen::Login || self.run.waiting_for_person() => {
                return self.send_paste(pasted.trim().to_string());
            }
            Mode::Normal => {
                self.say("Pasted text is only taken by a field being edited (Enter edits) or by the login (p).");
            }
            _ => {
                if let Some(ta) = self.typing_in() {
                    form::paste_into(ta, &pasted);
                }
                self.typed();
            }
        }
        Vec::new()
    }

    fn send_paste(&mut self, url: String) -> Vec<Effect> {
        if url.trim().is_empty() {
            return Vec::new();
        }
        if self.run.running() && self.run.waiting_for_person() {
            self.say("Redirect URL sent to the login; checking it…");
            // Paste mode stays open until the login takes it (a refusal says why).
            self.mode = Mode::Paste;
            vec![Effect::Paste(url)]
        } else {
            self.say("No login is waiting for a redirect URL (r starts one).");
            Vec::new()
        }
    }

    /// Starts typing in a field; Esc will put back what it holds now.
    pub fn edit(&mut self, field: Option<Field>) {
        if let Some(ta) = self.form.field_mut(field) {
            let before = first_line(ta);
            self.mode = Mode::Edit { field, before };
        }
    }
}

impl Default for App {
    fn default() -> Self {
        App::new()
    }
}
