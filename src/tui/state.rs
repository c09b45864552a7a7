//! The console's parts that are plain state: which screen, the input mode, the hit areas, the
//! preferences, the status line, the request console's line, the demo, kept secrets, fixes
//! made, consents. [`super::app::App`] holds one of each.

use ratatui::layout::Rect;
use ratatui_textarea::TextArea;

use super::demo::DemoScenario;
use super::form::{Field, text};
use super::keymap::Scope;
use super::run::Autoplay;
use crate::settings::{KeyStyle, Theme};

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

    pub(super) fn scope(self) -> Scope {
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

/// Where keys go: the one input mode, with what it edits and what Esc puts back.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Normal,
    /// Typing in a form field (the custom URL is `None`).
    Edit {
        field: Option<Field>,
        before: String,
    },
    /// The request log's filter.
    Filter { before: String },
    /// The inspector's search.
    Search { before: String },
    /// The request console's line.
    Console,
    /// The redirect URL being pasted (Esc empties it).
    Paste,
    /// The admin's login form in the Fix overlay.
    Admin,
    /// The Fleet screen's filter.
    FleetFilter { before: String },
}

impl Mode {
    /// What Esc puts back ("" where nothing is: the paste field, the console's line).
    pub fn before(&self) -> &str {
        match self {
            Mode::Edit { before, .. }
            | Mode::Filter { before }
            | Mode::Search { before }
            | Mode::FleetFilter { before } => before,
            _ => "",
        }
    }
}

/// Screen regions the last frame drew, for the mouse.
#[derive(Default, Clone)]
pub struct HitMap {
    pub tabs: Vec<(Rect, usize)>,
    /// (area of the first row, rows, offset, which list)
    pub rows: Vec<(Rect, usize, usize, Screen)>,
    pub log: Option<(Rect, usize)>,
    pub main: Option<Rect>,
    /// The inspector's body (its keys page and wrap by it).
    pub inspector: Option<Rect>,
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
    pub theme: Theme,
    pub keys: KeyStyle,
    /// Mouse reporting is on (`--mouse`).
    pub mouse: bool,
    /// What an exported HAR keeps of bodies.
    pub har_bodies: crate::engine::export::HarBodies,
}

impl Default for Prefs {
    /// Dark colours, or none where `NO_COLOR` is set.
    fn default() -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Prefs {
            theme: if no_color {
                Theme::NoColor
            } else {
                Theme::Dark
            },
            keys: KeyStyle::Default,
            mouse: false,
            har_bodies: Default::default(),
        }
    }
}

impl Prefs {
    /// The theme from the config file; `NO_COLOR` still wins over colours.
    pub fn set_theme(&mut self, theme: Theme) {
        let no_color = self.theme == Theme::NoColor;
        self.theme = match theme {
            Theme::Dark | Theme::Light if no_color => Theme::NoColor,
            t => t,
        };
    }
    pub fn color(&self) -> bool {
        matches!(self.theme, Theme::Dark | Theme::Light)
    }
    pub fn vim(&self) -> bool {
        self.keys == KeyStyle::Vim
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
    /// Counts what was said: a fold asked for an older message is ignored.
    pub seq: u64,
    /// A long message gave the key hints back (after a few seconds): it shows on one line,
    /// cut, and whole in `m`.
    pub folded: bool,
}

/// How long a long message may hide the key hints.
pub const FOLD_AFTER: std::time::Duration = std::time::Duration::from_secs(4);

/// The request console's input line, its history and place in it.
pub struct ConsoleLine {
    pub input: TextArea<'static>,
    pub history: Vec<String>,
    pub pos: Option<usize>,
}

impl ConsoleLine {
    /// Opens the line empty, at the end of its history.
    pub fn open(&mut self) {
        self.input = text("");
        self.pos = None;
    }

    /// Up and Down walk the history.
    pub fn history_step(&mut self, back: bool) {
        let n = self.history.len();
        if n == 0 {
            return;
        }
        let pos = match (self.pos, back) {
            (None, true) => Some(n - 1),
            (None, false) => None,
            (Some(i), true) => Some(i.saturating_sub(1)),
            (Some(i), false) if i + 1 < n => Some(i + 1),
            (Some(_), false) => None,
        };
        self.pos = pos;
        self.input = text(
            &pos.and_then(|i| self.history.get(i).cloned())
                .unwrap_or_default(),
        );
    }

    /// A key while the line is typed in: Up and Down walk the history; Enter gives the line to
    /// send (None when it is empty).
    pub fn key(
        &mut self,
        action: Option<super::keymap::Action>,
        key: crossterm::event::KeyEvent,
    ) -> (super::form::EditOutcome, Option<String>) {
        use super::form::EditOutcome;
        use super::keymap::Action;
        if let Some(a @ (Action::Up | Action::Down)) = action {
            self.history_step(a == Action::Up);
            return (EditOutcome::Typing, None);
        }
        let o = super::form::edit_key(&mut self.input, "", action, key);
        if o != EditOutcome::Done {
            return (o, None);
        }
        let line = super::form::first_line(&self.input).trim().to_string();
        if line.is_empty() {
            return (EditOutcome::Done, None);
        }
        self.remember(&line);
        (EditOutcome::Done, Some(line))
    }

    /// The line was sent: it goes to the end of the history (once, bounded).
    pub fn remember(&mut self, line: &str) {
        self.history.retain(|l| l != line);
        self.history.push(line.to_string());
        if self.history.len() > 100 {
            self.history.remove(0);
        }
    }
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

impl DemoState {
    /// The demo org started: its description and admin (prefilled in the Fix overlay).
    pub fn started(&mut self, info: &super::demo::DemoInfo) {
        self.description = Some(info.description.clone());
        self.admin = Some(info.admin_username.clone()).filter(|u| !u.is_empty());
    }

    /// The journey's next step: a screen to show, or `Some(None)` to start the run.
    pub fn autoplay_next(&mut self) -> Option<Option<Screen>> {
        let (next, show) = match self.autoplay? {
            Autoplay::ShowEnvironment => (Autoplay::ShowApp, Some(Screen::Environment)),
            Autoplay::ShowApp => (Autoplay::StartLogin, Some(Screen::ConnectedApp)),
            Autoplay::StartLogin => (Autoplay::WaitRun, None),
            Autoplay::WaitRun | Autoplay::Done => return None,
        };
        self.autoplay = Some(next);
        Some(show)
    }

    /// The scenario running now, as an index into the list.
    pub fn current_index(&self) -> usize {
        let current = self.scenario.as_deref().unwrap_or_default();
        self.scenarios
            .iter()
            .position(|s| s.name == current)
            .unwrap_or(0)
    }

    /// The scenario after the current one (wrapping).
    pub fn next_scenario(&self) -> Option<String> {
        let current = self.scenario.as_deref().unwrap_or_default();
        let i = self
            .scenarios
            .iter()
            .position(|s| s.name == current)
            .map(|i| (i + 1) % self.scenarios.len().max(1))
            .unwrap_or(0);
        self.scenarios.get(i).map(|s| s.name.clone())
    }
}

impl StatusBar {
    /// Says `s` on the status line and keeps it in the history (`m`).
    pub fn say(&mut self, s: String) {
        if self.messages.last() != Some(&s) {
            self.messages.push(s.clone());
            if self.messages.len() > MAX_MESSAGES {
                self.messages.remove(0);
            }
        }
        self.current = Some(s);
        self.seq += 1;
        self.folded = false;
    }

    /// The time for message `seq` to give the hints back has come.
    pub fn fold(&mut self, seq: u64) {
        if seq == self.seq {
            self.folded = true;
        }
    }
}
