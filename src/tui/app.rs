//! The console's state and its one entry point, [`App::update`]: a [`Msg`] in, state changes
//! and [`Effect`]s out. Nothing here draws, waits or touches a file. Keys go through the
//! keymap ([`super::keymap`]); what is in front (a text field, an overlay, the log, a step)
//! decides which of its scopes answer.

use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui_textarea::TextArea;

use super::demo::DemoScenario;
use super::form::{Field, Form, text};
use super::inspector::{Inspector, InspectorOutcome};
use super::keymap::{self, Action, Scope};
use super::log::LogPane;
use super::msg::{Cmd, Effect, Msg};
use super::overlay::{Overlay, ValueView};
use super::screens::Screens;

pub use super::form::{EnvChoice, Preset};
pub use super::run::{Autoplay, RunState, StepLine};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Environment,
    ConnectedApp,
    Login,
    Permissions,
    Findings,
    /// The watched orgs (not a step: `F` shows it).
    Fleet,
}

impl Screen {
    pub const ALL: [Screen; 5] = [
        Screen::Environment,
        Screen::ConnectedApp,
        Screen::Login,
        Screen::Permissions,
        Screen::Findings,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Screen::Environment => "Environment",
            Screen::ConnectedApp => "Connected app",
            Screen::Login => "Login",
            Screen::Permissions => "Permissions",
            Screen::Findings => "Findings",
            Screen::Fleet => "Fleet",
        }
    }

    pub fn index(self) -> usize {
        Screen::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }

    fn scope(self) -> Scope {
        match self {
            Screen::Environment => Scope::Environment,
            Screen::ConnectedApp => Scope::ConnectedApp,
            Screen::Login => Scope::Login,
            Screen::Permissions => Scope::Permissions,
            Screen::Findings => Scope::Findings,
            Screen::Fleet => Scope::Fleet,
        }
    }
}

/// Where keys go: the one input mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// Typing in a form field (the custom URL is `None`).
    Edit(Option<Field>),
    /// The request log's filter.
    Filter,
    /// The inspector's search.
    Search,
    /// The request console's line.
    Console,
    /// The redirect URL being pasted.
    Paste,
    /// The admin's login form in the Fix overlay.
    Admin,
    /// The Fleet screen's filter.
    FleetFilter,
}

/// Screen regions the last frame drew, for the mouse.
#[derive(Default, Clone)]
pub struct HitMap {
    pub tabs: Vec<(Rect, usize)>,
    /// (area of the first row, rows, offset, which list)
    pub rows: Vec<(Rect, usize, usize, Screen)>,
    pub log: Option<(Rect, usize)>,
    pub main: Option<Rect>,
}

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

/// What the user agreed to for the next run only.
#[derive(Debug, Default, Clone, Copy)]
pub struct Consent {
    /// Refreshing the token given.
    pub rotation: bool,
    /// A login that evicts the oldest grant.
    pub eviction: bool,
}

/// How the console looks and which keys it takes.
pub struct Prefs {
    pub color: bool,
    pub light: bool,
    pub plain: bool,
    pub vim: bool,
    /// Mouse reporting is on (`--mouse`).
    pub mouse: bool,
    /// What an exported HAR keeps of bodies.
    pub har_bodies: crate::engine::export::HarBodies,
}

impl Default for Prefs {
    fn default() -> Self {
        Prefs {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
            light: false,
            plain: false,
            vim: false,
            mouse: false,
            har_bodies: Default::default(),
        }
    }
}

/// The status line: what was said last, the history, the spinner, what the run waits on.
#[derive(Default)]
pub struct StatusBar {
    pub current: Option<String>,
    /// Every status said, oldest first (bounded).
    pub messages: Vec<String>,
    pub spinner: usize,
    /// The request the run has waited on for 3 s or more.
    pub waiting: Option<String>,
}

/// The request console's input line, its history and place in it.
pub struct ConsoleLine {
    pub input: TextArea<'static>,
    pub history: Vec<String>,
    pub pos: Option<usize>,
}

impl Default for ConsoleLine {
    fn default() -> Self {
        ConsoleLine {
            input: text(""),
            history: Vec::new(),
            pos: None,
        }
    }
}

/// The demo org and its self-playing journey.
#[derive(Default)]
pub struct DemoState {
    pub scenario: Option<String>,
    pub description: Option<String>,
    pub scenarios: Vec<DemoScenario>,
    pub autoplay: Option<Autoplay>,
    /// The demo org's admin username (prefilled in the Fix overlay's login form).
    pub admin: Option<String>,
    /// `sagediag demo --watch`: the one-line banner above the Fleet table.
    pub banner: Option<String>,
}

pub use super::fix::FixState;
pub use super::keep::KeepState;

pub const MAX_MESSAGES: usize = 200;

impl App {
    pub fn new() -> App {
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
            prefs: Prefs::default(),
            keep: KeepState::default(),
            fix: FixState::default(),
            consent: Consent::default(),
            hits: HitMap::default(),
            quit: false,
        }
    }

    /// Says something on the status line, and keeps it in the message history (`m`).
    pub fn say(&mut self, s: impl Into<String>) {
        let s = s.into();
        if self.status.messages.last() != Some(&s) {
            self.status.messages.push(s.clone());
            if self.status.messages.len() > MAX_MESSAGES {
                self.status.messages.remove(0);
            }
        }
        self.status.current = Some(s);
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
                Cmd::ShowReport(r) => self.show_report(*r),
                Cmd::Scenario(name) => effects.extend(self.switch_scenario(name)),
            }
        }
        effects
    }

    /// The one entry point: a message in, state changed, effects out.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Key(k) => self.on_key(k),
            Msg::Paste(text) => self.on_paste(text),
            Msg::Mouse(m) => self.on_mouse(m),
            Msg::Resize => Vec::new(),
            Msg::Drawn(hits) => {
                self.hits = hits;
                Vec::new()
            }
            Msg::Engine { run, event } => {
                if run == self.run.id {
                    self.on_engine(event)
                } else {
                    Vec::new()
                }
            }
            Msg::RunDone { run, result } if run == self.run.id => self.on_run_done(result),
            Msg::RunDone { .. } => Vec::new(),
            Msg::Reprobed {
                index,
                result,
                finding,
            } => {
                self.on_reprobe(index, result, finding);
                Vec::new()
            }
            Msg::ConsoleDone(id) => {
                self.open_inspector(id);
                Vec::new()
            }
            Msg::Vault(v) => {
                let cmds = self
                    .keep
                    .on_vault(v, &mut self.form, self.run.report.as_ref());
                self.apply(cmds)
            }
            Msg::DemoStarted(r) => self.on_demo_started(r),
            Msg::ProfilesSaved(Ok(p)) => {
                self.keep.profiles = p;
                Vec::new()
            }
            Msg::ProfilesSaved(Err(e)) => {
                self.say(format!("Could not save the profile: {e}"));
                Vec::new()
            }
            Msg::RunClient { run, client } => {
                if run == self.run.id {
                    self.run.client = Some(client.clone());
                }
                self.run.clients.push((run, client));
                if self.run.clients.len() > 5 {
                    self.run.clients.remove(0);
                }
                Vec::new()
            }
            Msg::Say(s) => {
                self.say(s);
                Vec::new()
            }
            Msg::DemoBanner(s) => {
                self.demo.banner = Some(s);
                Vec::new()
            }
            Msg::Tick => {
                self.tick(std::time::Instant::now());
                Vec::new()
            }
            Msg::Autoplay => self.autoplay_step().into_iter().collect(),
            Msg::Fix(m) => {
                let cmds = self.fix.on_msg(m, self.overlay.fix_mut(), &self.form);
                self.apply(cmds)
            }
            Msg::Fleet(m) => self.on_fleet(m),
            Msg::Quit => {
                self.quit = true;
                Vec::new()
            }
        }
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
        let action = keymap::lookup(&key, &scopes, self.prefs.vim && !typing);
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
            Overlay::ConfirmQuit => {
                if action == Some(Action::Yes) {
                    self.quit = true;
                } else {
                    self.overlay = Overlay::None;
                }
                return Vec::new();
            }
            Overlay::ConfirmRotation => {
                self.overlay = Overlay::None;
                if action == Some(Action::Yes) {
                    self.consent.rotation = true;
                    return self.start_run().into_iter().collect();
                }
                self.say("Not refreshed: the token given is untouched.");
                return Vec::new();
            }
            Overlay::ConfirmEviction(_) => {
                self.overlay = Overlay::None;
                if action == Some(Action::Yes) {
                    self.consent.eviction = true;
                    return self.start_run().into_iter().collect();
                }
                self.say("No login: the user's grants are untouched.");
                return Vec::new();
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
                return match ins.on_action(a) {
                    InspectorOutcome::Stay => {
                        if ins.search.is_some() {
                            self.mode = Mode::Search;
                        }
                        Vec::new()
                    }
                    InspectorOutcome::Close => {
                        self.overlay = Overlay::None;
                        Vec::new()
                    }
                    InspectorOutcome::Copy(s) => self.copy("curl command", s),
                    InspectorOutcome::View(s) => {
                        self.overlay = Overlay::Value(ValueView::new("curl command", s, true));
                        Vec::new()
                    }
                };
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
            self.fleet_key(action)
        } else {
            self.fleet_readonly(action)
        };
        if let Some(effects) = fleet {
            return effects;
        }
        if let Some(effects) = self.global_action(action) {
            return effects;
        }
        if self.log.focus {
            return self.log_action(action);
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
                self.console.input = text("");
                self.console.pos = None;
                self.mode = Mode::Console;
                none
            }
            Action::Export => Some(vec![Effect::Export]),
            Action::Fleet => Some(self.toggle_fleet()),
            Action::Integration => {
                if self
                    .run
                    .report
                    .as_ref()
                    .is_some_and(|r| r.integration.is_some())
                {
                    self.overlay = Overlay::Integration { scroll: 0 };
                } else {
                    self.say(
                        "No integration record yet: it is read after the login (r runs the check).",
                    );
                }
                none
            }
            Action::Coverage => {
                if self
                    .run
                    .report
                    .as_ref()
                    .is_some_and(|r| r.coverage.is_some())
                {
                    self.overlay = Overlay::Coverage { scroll: 0 };
                } else {
                    self.say("No field coverage yet: it runs after the probes when the Employees endpoint answers.");
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
                let current = self.demo.scenario.clone().unwrap_or_default();
                let i = self
                    .demo
                    .scenarios
                    .iter()
                    .position(|s| s.name == current)
                    .map(|i| (i + 1) % self.demo.scenarios.len().max(1))
                    .unwrap_or(0);
                let next = self.demo.scenarios.get(i).map(|s| s.name.clone())?;
                Some(self.switch_scenario(next))
            }
            Action::PickScenario => {
                let current = self.demo.scenario.clone().unwrap_or_default();
                let selected = self
                    .demo
                    .scenarios
                    .iter()
                    .position(|s| s.name == current)
                    .unwrap_or(0);
                self.overlay = Overlay::Scenarios { selected };
                none
            }
            _ => None,
        }
    }

    pub fn switch_scenario(&mut self, name: String) -> Vec<Effect> {
        self.demo.autoplay = None;
        self.run.running = false;
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
        self.run.running && self.run.waiting_for_person
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
            Screen::ConnectedApp => self.connected_action(a),
            Screen::Login => self.login_action(a),
            Screen::Permissions => self.permissions_action(a),
            Screen::Findings => self.findings_action(a),
            Screen::Fleet => self.fleet_key(a).unwrap_or_default(),
        }
    }
}

impl Default for App {
    fn default() -> Self {
        App::new()
    }
}
