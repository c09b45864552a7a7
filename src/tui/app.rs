//! The console's state and its one entry point, [`App::update`]: a [`Msg`] in, state changes
//! and [`Effect`]s out. Nothing here draws, waits or touches a file. Keys go through the
//! keymap ([`super::keymap`]); what is in front (a text field, an overlay, the log, a step)
//! decides which of its scopes answer.

use std::cell::RefCell;

use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui_textarea::TextArea;

use super::demo::DemoScenario;
use super::form::{Field, Form, VaultKey, text};
use super::inspector::{Inspector, InspectorOutcome};
use super::keymap::{self, Action, Scope};
use super::log::LogRow;
use super::msg::{Effect, Msg};
use super::overlay::{Overlay, ValueView};
use crate::engine::http::Client;
use crate::engine::vault::Vault;
use crate::engine::{EndpointResult, Finding, Report, Session};

pub use super::form::{EnvChoice, Preset};
pub use super::run::{Autoplay, StepLine};

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
    pub log_focus: bool,
    pub show_log: bool,
    pub overlay: Overlay,
    pub form: Form,
    /// A field's text before it was edited (Esc puts it back).
    pub before: String,
    pub running: bool,
    /// The number of the current run (events of older runs are dropped).
    pub run_id: u64,
    pub steps: Vec<StepLine>,
    pub authorize_url: Option<String>,
    pub ssh_tunnel: Option<String>,
    pub device: Option<(String, String)>,
    pub paste: TextArea<'static>,
    /// The login waits for a person (a browser login, a pasted URL).
    pub waiting_for_person: bool,
    /// Why the paste field opened by itself (the callback port is busy).
    pub paste_reason: Option<String>,
    pub har_bodies: crate::engine::export::HarBodies,
    pub endpoints: Vec<EndpointResult>,
    pub findings: Vec<Finding>,
    pub report: Option<Report>,
    pub session: Option<Session>,
    pub log: Vec<LogRow>,
    pub log_selected: usize,
    pub log_filter: TextArea<'static>,
    pub perm_selected: usize,
    pub finding_selected: usize,
    pub env_selected: usize,
    /// Lines scrolled on the login step.
    pub login_scroll: usize,
    pub status: Option<String>,
    /// Every status said, oldest first (bounded).
    pub messages: Vec<String>,
    pub quit: bool,
    pub color: bool,
    pub client: Option<Client>,
    /// The clients of the last runs, for their rows in the request log.
    pub clients: Vec<(u64, Client)>,
    pub demo_scenario: Option<String>,
    pub demo_description: Option<String>,
    pub scenarios: Vec<DemoScenario>,
    pub autoplay: Option<Autoplay>,
    pub log_path: Option<String>,
    pub spinner: usize,
    /// The request console's input line (`:` opens it), its history and place in it.
    pub console: TextArea<'static>,
    pub console_history: Vec<String>,
    pub console_pos: Option<usize>,
    pub profiles: Vec<super::profile::Profile>,
    pub profile_index: usize,
    pub light: bool,
    pub plain: bool,
    pub vim: bool,
    pub waiting: Option<String>,
    pub keyring: Option<Result<(), crate::engine::vault::VaultError>>,
    pub vault: Vault,
    pub recalled_for: Option<VaultKey>,
    /// Mouse reporting is on (`--mouse`).
    pub mouse: bool,
    pub hits: RefCell<HitMap>,
    /// Changes made from the Fix overlay this session (what `u` undoes).
    pub fix_records: Vec<crate::engine::fix::Applied>,
    /// The admin's session for fixes: in memory only, never drawn.
    pub fix_admin: Option<crate::engine::fix::Actor>,
    /// The demo org's admin username (prefilled in the Fix overlay's login form).
    pub demo_admin: Option<String>,
    /// The user said yes to refreshing the token given, for the next run only.
    pub rotation_consent: bool,
    /// The user said yes to a login that evicts the oldest grant, for the next run only.
    pub eviction_consent: bool,
    /// A refresh token that replaced the one given (rotation): handed over once, on request
    /// (`c` on the Login step), masked on screen. Never drawn.
    pub rotated_token: Option<String>,
    /// The Fleet screen: the watched orgs, from the watch store.
    pub fleet: super::screens::fleet::FleetScreen,
    /// `sagediag demo --watch`: the demo's one-line banner above the Fleet table (what the
    /// story just did to the simulated fleet).
    pub demo_banner: Option<String>,
}

pub const MAX_MESSAGES: usize = 200;

impl App {
    pub fn new() -> App {
        App {
            screen: Screen::Environment,
            mode: Mode::Normal,
            log_focus: false,
            show_log: false,
            overlay: Overlay::None,
            form: Form::new(),
            before: String::new(),
            running: false,
            run_id: 0,
            steps: Vec::new(),
            authorize_url: None,
            ssh_tunnel: None,
            device: None,
            paste: text(""),
            waiting_for_person: false,
            paste_reason: None,
            har_bodies: Default::default(),
            endpoints: Vec::new(),
            findings: Vec::new(),
            report: None,
            session: None,
            log: Vec::new(),
            log_selected: 0,
            log_filter: text(""),
            perm_selected: 0,
            finding_selected: 0,
            env_selected: 0,
            login_scroll: 0,
            status: None,
            messages: Vec::new(),
            quit: false,
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
            client: None,
            clients: Vec::new(),
            demo_scenario: None,
            demo_description: None,
            scenarios: Vec::new(),
            autoplay: None,
            log_path: None,
            spinner: 0,
            console: text(""),
            console_history: Vec::new(),
            console_pos: None,
            profiles: Vec::new(),
            profile_index: 0,
            light: false,
            plain: false,
            vim: false,
            waiting: None,
            keyring: None,
            vault: Vault::default(),
            recalled_for: None,
            mouse: false,
            hits: RefCell::new(HitMap::default()),
            fix_records: Vec::new(),
            fix_admin: None,
            demo_admin: None,
            rotation_consent: false,
            eviction_consent: false,
            rotated_token: None,
            fleet: Default::default(),
            demo_banner: None,
        }
    }

    /// Says something on the status line, and keeps it in the message history (`m`).
    pub fn say(&mut self, s: impl Into<String>) {
        let s = s.into();
        if self.messages.last() != Some(&s) {
            self.messages.push(s.clone());
            if self.messages.len() > MAX_MESSAGES {
                self.messages.remove(0);
            }
        }
        self.status = Some(s);
    }

    /// The one entry point: a message in, state changed, effects out.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Key(k) => self.on_key(k),
            Msg::Paste(text) => self.on_paste(text),
            Msg::Mouse(m) => self.on_mouse(m),
            Msg::Resize => Vec::new(),
            Msg::Engine { run, event } => {
                if run == self.run_id {
                    self.on_engine(event)
                } else {
                    Vec::new()
                }
            }
            Msg::RunDone { run, result } if run == self.run_id => self.on_run_done(result),
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
            Msg::Vault(v) => self.on_vault(v).into_iter().collect(),
            Msg::DemoStarted(r) => self.on_demo_started(r),
            Msg::ProfilesSaved(Ok(p)) => {
                self.profiles = p;
                Vec::new()
            }
            Msg::ProfilesSaved(Err(e)) => {
                self.say(format!("Could not save the profile: {e}"));
                Vec::new()
            }
            Msg::RunClient { run, client } => {
                if run == self.run_id {
                    self.client = Some(client.clone());
                }
                self.clients.push((run, client));
                if self.clients.len() > 5 {
                    self.clients.remove(0);
                }
                Vec::new()
            }
            Msg::Say(s) => {
                self.say(s);
                Vec::new()
            }
            Msg::DemoBanner(s) => {
                self.demo_banner = Some(s);
                Vec::new()
            }
            Msg::Tick => {
                self.tick(std::time::Instant::now());
                Vec::new()
            }
            Msg::Autoplay => self.autoplay_step().into_iter().collect(),
            Msg::Fix(m) => self.on_fix(m),
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
            self.fleet.scopes()
        } else if self.log_focus {
            vec![Scope::Always, Scope::Log, Scope::Global]
        } else {
            vec![Scope::Always, self.screen.scope(), Scope::Global]
        }
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let scopes = self.scopes();
        let typing = self.mode != Mode::Normal;
        let action = keymap::lookup(&key, &scopes, self.vim && !typing);
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
                    self.rotation_consent = true;
                    return self.start_run().into_iter().collect();
                }
                self.say("Not refreshed: the token given is untouched.");
                return Vec::new();
            }
            Overlay::ConfirmEviction(_) => {
                self.overlay = Overlay::None;
                if action == Some(Action::Yes) {
                    self.eviction_consent = true;
                    return self.start_run().into_iter().collect();
                }
                self.say("No login: the user's grants are untouched.");
                return Vec::new();
            }
            Overlay::Fix(v) if matches!(v.stage, super::fix::Stage::Confirm(_)) => {
                // y changes the org; any other key (unbound ones too) cancels.
                return self.fix_confirm(action == Some(Action::Yes));
            }
            Overlay::Fix(_) => {
                let Some(a) = action else { return Vec::new() };
                return self.fix_action(a);
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
                return self.overlay_action(a);
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
        if self.log_focus {
            return self.log_action(action);
        }
        match self.screen {
            Screen::Environment => self.environment_action(action),
            Screen::ConnectedApp => self.connected_action(action),
            Screen::Login => self.login_action(action),
            Screen::Permissions => self.permissions_action(action),
            Screen::Findings => self.findings_action(action),
            Screen::Fleet => Vec::new(),
        }
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
                    scroll: self.messages.len().saturating_sub(1),
                };
                none
            }
            Action::Console => {
                self.console = text("");
                self.console_pos = None;
                self.mode = Mode::Console;
                none
            }
            Action::Export => Some(vec![Effect::Export]),
            Action::Fleet => Some(self.toggle_fleet()),
            Action::Integration => {
                if self
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
                if self.report.as_ref().is_some_and(|r| r.coverage.is_some()) {
                    self.overlay = Overlay::Coverage;
                } else {
                    self.say("No field coverage yet: it runs after the probes when the Employees endpoint answers.");
                }
                none
            }
            Action::NextProfile if !self.profiles.is_empty() && self.demo_scenario.is_none() => {
                self.profile_index = (self.profile_index + 1) % self.profiles.len();
                let p = self.profiles[self.profile_index].clone();
                self.apply_profile(&p);
                Some(vec![Effect::Recall { then_run: false }])
            }
            Action::FocusLog => {
                self.show_log = true;
                self.log_focus = !self.log_focus;
                none
            }
            Action::ToggleLog => {
                self.show_log = !self.show_log;
                self.log_focus = self.show_log;
                none
            }
            Action::Step(n) => {
                self.go(Screen::ALL[(n.clamp(1, 5) - 1) as usize]);
                none
            }
            Action::NextStep | Action::Right if !self.log_focus => {
                self.go(Screen::ALL[(self.screen.index() + 1).min(4)]);
                none
            }
            Action::PrevStep | Action::Left if !self.log_focus => {
                self.go(Screen::ALL[self.screen.index().saturating_sub(1)]);
                none
            }
            Action::Run => {
                self.autoplay = None;
                Some(self.start_run().into_iter().collect())
            }
            Action::NextScenario | Action::PickScenario if self.demo_scenario.is_none() => {
                self.say("Scenarios are the demo org's: sagediag demo.");
                none
            }
            Action::NextScenario => {
                self.autoplay = None;
                let current = self.demo_scenario.clone().unwrap_or_default();
                let i = self
                    .scenarios
                    .iter()
                    .position(|s| s.name == current)
                    .map(|i| (i + 1) % self.scenarios.len().max(1))
                    .unwrap_or(0);
                let next = self.scenarios.get(i).map(|s| s.name.clone())?;
                Some(self.switch_scenario(next))
            }
            Action::PickScenario => {
                let current = self.demo_scenario.clone().unwrap_or_default();
                let selected = self
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
        self.autoplay = None;
        self.running = false;
        self.run_id += 1;
        self.say(format!("Starting the demo org: scenario {name}…"));
        vec![Effect::StartDemo(name)]
    }

    pub fn go(&mut self, screen: Screen) {
        self.screen = screen;
        self.log_focus = false;
    }

    /// A person is needed for the login: a browser login or a pasted URL is awaited.
    pub fn login_in_flight(&self) -> bool {
        self.running && self.waiting_for_person
    }

    /// Shows `text` (and sends it by OSC 52): some terminals drop OSC 52 silently.
    pub fn copy(&mut self, what: &str, text: String) -> Vec<Effect> {
        self.overlay = Overlay::Value(ValueView::new(what, text.clone(), false));
        vec![Effect::Osc52(text)]
    }

    pub fn open_inspector(&mut self, id: u64) {
        if let Some(e) = self.client.as_ref().and_then(|c| c.exchange(id)) {
            self.overlay = Overlay::Inspector(Box::new(Inspector::new(&e)));
        } else {
            self.say(format!("Request #{id} is no longer in the log."));
        }
    }

    /// An action for the screen in front (the log aside).
    pub fn screen_action(&mut self, a: Action) -> Vec<Effect> {
        match self.screen {
            Screen::Environment => self.environment_action(a),
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
