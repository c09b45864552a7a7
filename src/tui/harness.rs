//! The console driven through its front door, for tests: messages in ([`App::update`]),
//! frames out ([`ui::draw`], whose hit areas go back as [`Msg::Drawn`], as the loop does).
//! Nothing here writes the app's fields; what a test needs to set up, it says as a message, a
//! key, or the preferences the console starts with.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::app::{App, Screen};
use super::demo::{DemoInfo, DemoPreset};
use super::msg::{Effect, Msg};
use super::state::Prefs;
use crate::engine::{Event, Report, Session};
use crate::settings::Theme;

/// The fixed demo org the tests' frames show.
pub const DEMO_URL: &str = "http://127.0.0.1:40000";
pub const DEMO_CLIENT_ID: &str =
    "3MVG9SimulatedOrgSagePeopleIntegrationConsumerKey0123456789abcdefghijklmnopqrstuv";
pub const DEMO_SECRET: &str = "5A1D4E7C9B2F";
pub const DEMO_USER: &str = "integration@acme-hr.example";

/// A console under test.
pub struct Harness {
    app: App,
}

/// Reading the state is open (`h.run.findings`); writing it is not: there is no `DerefMut`.
impl std::ops::Deref for Harness {
    type Target = App;
    fn deref(&self) -> &App {
        &self.app
    }
}

impl Default for Harness {
    fn default() -> Self {
        Harness::new()
    }
}

impl Harness {
    /// A console without colour (frames compare as text).
    pub fn new() -> Harness {
        Harness::with(Prefs {
            theme: Theme::NoColor,
            ..Prefs::default()
        })
    }

    /// A console that starts with these preferences (as the config file and flags give them).
    pub fn with(prefs: Prefs) -> Harness {
        Harness {
            app: App::with_prefs(prefs),
        }
    }

    /// A console that started with this config file (as the loop applies it at start).
    pub fn with_settings(prefs: Prefs, settings: &crate::settings::Settings) -> Harness {
        let mut h = Harness::with(prefs);
        h.app.update(Msg::Settings(Box::new(settings.clone())));
        h
    }

    /// A console on the fixed demo org, scenario `healthy`, with the web flow, as it is just
    /// after the demo org started (the form filled in, nothing said yet).
    pub fn demo() -> Harness {
        Harness::new().demo_org()
    }

    /// This console (its preferences and config file as given) on the fixed demo org, as
    /// [`Harness::demo`] is: the loop applies the config file first, then the demo org starts.
    pub fn demo_org(mut self) -> Harness {
        self.app
            .set_demo("healthy", DEMO_URL, DEMO_CLIENT_ID, DEMO_SECRET, DEMO_USER);
        self
    }

    /// Where the log file is said to be (help shows it); the loop sets it at start.
    pub fn log_file(mut self, path: &str) -> Harness {
        self.app.log.path = Some(path.to_string());
        self
    }

    /// A console on the fixed demo org with a scenario's preset (flow, PKCE, credential...).
    pub fn demo_with(preset: DemoPreset) -> Harness {
        let mut h = Harness::new();
        h.send(Msg::DemoStarted(Ok(demo_info("healthy", preset))));
        h
    }

    /// The state, to read (never to write: say it as a message).
    pub fn app(&self) -> &App {
        &self.app
    }

    /// The state as the loop owns it, for front doors that take it (the first frame's setup).
    pub fn into_app(self) -> App {
        self.app
    }

    pub fn send(&mut self, msg: Msg) -> Vec<Effect> {
        self.app.update(msg)
    }

    /// The app's one entry point (the same as [`Harness::send`]).
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        self.app.update(msg)
    }

    pub fn key(&mut self, code: KeyCode) -> Vec<Effect> {
        self.send(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    pub fn ch(&mut self, c: char) -> Vec<Effect> {
        self.key(KeyCode::Char(c))
    }

    pub fn ctrl(&mut self, c: char) -> Vec<Effect> {
        self.send(Msg::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::CONTROL,
        )))
    }

    /// Types `s`, a key per character.
    pub fn typed(&mut self, s: &str) {
        for c in s.chars() {
            self.ch(c);
        }
    }

    /// Goes to a screen with its key (the steps' digits, `F` for Fleet), as a user would.
    pub fn go(&mut self, screen: Screen) {
        match screen {
            Screen::Fleet => {
                if self.app.screen != Screen::Fleet {
                    self.ch('F');
                }
            }
            s => {
                if self.app.screen == Screen::Fleet {
                    self.ch('F');
                }
                self.ch(char::from(b'1' + s.index() as u8));
            }
        }
    }

    /// `r`: starts a run with the form as it is; returns the effects (the run's config).
    pub fn start_run(&mut self) -> Vec<Effect> {
        self.ch('r')
    }

    /// An engine event of the current run.
    pub fn event(&mut self, event: Event) -> Vec<Effect> {
        let run = self.app.run.id;
        self.send(Msg::Engine { run, event })
    }

    /// The current run ended with this report (and session, when the login succeeded).
    pub fn finish(&mut self, report: Report, session: Option<Session>) -> Vec<Effect> {
        let run = self.app.run.id;
        self.send(Msg::RunDone {
            run,
            result: Ok(Box::new((report, session))),
        })
    }

    /// Draws a frame of `w`×`h`; its hit areas go back to the app, as the loop does.
    pub fn render(&mut self, w: u16, h: u16) -> String {
        let (text, hits) = frame(&self.app, w, h);
        self.app.update(Msg::Drawn(hits));
        text
    }

    /// The inspector opened on `e`, as Enter on its row in the log opens it.
    pub fn inspect(&mut self, e: &crate::engine::http::Exchange) {
        self.app.overlay =
            super::overlay::Overlay::Inspector(Box::new(super::inspector::Inspector::new(e)));
    }

    /// A left click at a cell.
    pub fn click(&mut self, column: u16, row: u16) -> Vec<Effect> {
        self.send(Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column,
            row,
            modifiers: KeyModifiers::NONE,
        }))
    }
}

/// One frame of `app` as text, and where its regions are.
pub fn frame(app: &App, w: u16, h: u16) -> (String, super::app::HitMap) {
    let Ok(mut t) = Terminal::new(TestBackend::new(w, h));
    let mut hits = Default::default();
    match t.draw(|f| hits = super::ui::draw(f, app)) {
        Ok(done) => (super::buffer_text(done.buffer), hits),
        Err(_) => (String::new(), hits),
    }
}

/// The fixed demo org's answer for `scenario`.
pub fn demo_info(scenario: &str, preset: DemoPreset) -> DemoInfo {
    DemoInfo {
        scenario: scenario.into(),
        description: "everything set up as it should be".into(),
        login_url: DEMO_URL.into(),
        client_id: DEMO_CLIENT_ID.into(),
        client_secret: DEMO_SECRET.into(),
        username: DEMO_USER.into(),
        admin_username: "admin@acme-hr.example".into(),
        preset,
    }
}
