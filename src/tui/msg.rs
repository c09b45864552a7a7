//! Everything that happens to the console is a [`Msg`] on one queue; [`crate::tui::app::App::update`]
//! turns each into state changes and [`Effect`]s, which the loop carries out (tasks, never waits).

use crossterm::event::{KeyEvent, MouseEvent};

use crate::engine::http::Client;
use crate::engine::vault::{Keep, Kind, Vault};
use crate::engine::{Config, EndpointResult, Event, Finding, Report, Session};

use super::demo::DemoInfo;
use super::form::VaultKey;
use super::profile::Profile;

/// One thing that happened: input, an engine event, a job's result, a timer, a signal.
pub enum Msg {
    Key(KeyEvent),
    /// A bracketed paste: text, never keys.
    Paste(String),
    Mouse(MouseEvent),
    Resize,
    /// A frame was drawn: where its regions are, for the mouse.
    Drawn(super::state::HitMap),
    /// An engine event of run `run` (events of an older run are dropped).
    Engine {
        run: u64,
        event: Event,
    },
    /// Run `run` has its HTTP client (its exchanges back the log and the inspector).
    RunClient {
        run: u64,
        client: Client,
    },
    /// Run `run` ended.
    RunDone {
        run: u64,
        result: Result<Box<(Report, Option<Session>)>, super::error::RunError>,
    },
    /// One probe ran again.
    Reprobed {
        index: usize,
        result: EndpointResult,
        finding: Option<Finding>,
    },
    /// A request-console exchange finished (its id in the log).
    ConsoleDone(u64),
    Vault(VaultMsg),
    /// The demo org's scenarios (for `n` and the picker).
    Scenarios(Vec<super::demo::DemoScenario>),
    /// The demo org (re)started, or could not.
    DemoStarted(Result<DemoInfo, super::error::DemoError>),
    /// Profiles were saved (and read back), or could not be.
    ProfilesSaved(Result<Vec<Profile>, super::error::ProfileError>),
    /// Something to say on the status line (a task finished, or could not start).
    Say(String),
    /// The spinner's tick while a run is in flight, at this moment.
    Tick(std::time::Instant),
    /// A fix task answered (the plan, the admin's login, changes made or undone).
    Fix(super::fix::FixMsg),
    /// The demo's next self-playing step.
    Autoplay,
    /// The watch store answered the Fleet screen.
    Fleet(super::screens::fleet::FleetMsg),
    /// `sagediag demo --watch`: the demo fleet's banner changed.
    DemoBanner(String),
    /// The config file's settings, as the console starts (theme, keys, the form's defaults).
    Settings(Box<crate::settings::Settings>),
    /// Message `seq` has hidden the key hints long enough.
    FoldStatus(u64),
    /// A signal asked the console to end (SIGTERM, SIGINT, SIGHUP, SIGQUIT), or input closed.
    Quit,
}

/// What the secret stores answered (their calls block, so they run beside the loop).
pub enum VaultMsg {
    /// Whether the OS keyring can be used here; `select`: the user asked for it on the form.
    Keyring {
        result: Result<(), crate::engine::vault::VaultError>,
        select: bool,
    },
    /// Kept secrets found for `key` (or not), and problems reading a store.
    Recalled {
        key: VaultKey,
        secret: Option<(String, Keep)>,
        refresh: Option<(String, Keep)>,
        problems: Vec<String>,
        then_run: bool,
    },
    /// What was kept where, or why not.
    Kept(Vec<Result<(Kind, Keep), crate::engine::vault::VaultError>>),
}

/// One secret to keep: where, under which entry, which kind, the secret.
pub struct KeepWrite {
    pub keep: Keep,
    pub account: String,
    pub kind: Kind,
    pub secret: String,
}

/// What `W` writes: the report, the client whose exchanges make the HAR, what of bodies it keeps.
pub struct Export {
    pub report: Report,
    pub client: Client,
    pub bodies: crate::engine::export::HarBodies,
}

/// What a fix task works with: the run's client (its requests join the log), its report, and
/// the session's user.
pub struct FixWith {
    pub client: Client,
    pub report: Report,
    pub session: Option<crate::engine::fix::Actor>,
}

/// What the loop must do for the app. (No `Debug`: a run's config holds secrets.)
pub enum Effect {
    /// Start run number `run` (aborting any other); save the form's profile first (no secrets).
    StartRun {
        run: u64,
        cfg: Box<Config>,
        profile: Option<Profile>,
    },
    /// Start (or restart) the demo org on a scenario.
    StartDemo(String),
    /// OSC 52 to the terminal (the app shows the text too).
    Osc52(String),
    /// Send a pasted redirect URL to the waiting login.
    Paste(String),
    /// The request console: `METHOD /path [json body]` or a SOQL query, sent with the run's
    /// session on its client (None: no login yet).
    SendRequest {
        line: String,
        via: Option<(Session, Client)>,
    },
    /// Write the Markdown report and the HAR file of the last run (None: no run yet).
    Export(Option<Box<Export>>),
    /// Write a shown value to a file, owner-only.
    WriteValue { name: String, text: String },
    /// Save the profile (no secrets), then read the profiles back.
    SaveProfile(Profile),
    /// Re-run one permission-set probe (an index into `ENDPOINTS`).
    Reprobe {
        index: usize,
        /// The run's session and client (None: no login yet).
        via: Option<(Session, Client)>,
        /// Whether the set was assigned when the run read it.
        assigned: Option<bool>,
    },
    /// Find out whether the OS keyring can be used here (and choose it, if `select`).
    ProbeKeyring { select: bool, vault: Vault },
    /// Look for a kept consumer secret and refresh token for the form; then maybe run.
    Recall {
        then_run: bool,
        /// Whose secrets (None: the form does not say yet).
        key: Option<VaultKey>,
        vault: Vault,
    },
    /// Keep secrets after a successful login.
    Keep {
        writes: Vec<KeepWrite>,
        vault: Vault,
    },
    /// A line for the log file (timestamped and sanitised by the writer).
    Log(String),
    /// A fix task: the plan, the admin's login, or a change (after the user's `y`).
    Fix {
        job: super::fix::FixJob,
        /// The run's client, report and session (None: no run to fix yet).
        with: Option<Box<FixWith>>,
    },
    /// Ctrl-Z: give the terminal back, stop, and take it again on `fg`.
    Suspend,
    /// Read or write the watch store for the Fleet screen.
    Fleet(super::screens::fleet::FleetJob),
}

/// What a part of the console asks of the whole after it handled an action. Each part owns its
/// state and changes only that; what crosses parts (the status line, the overlay in front, the
/// screen, a run, the loop's effects) it asks for here, and [`super::app::App::apply`] does it.
pub enum Cmd {
    /// Something for the loop to do.
    Effect(Effect),
    /// Say something on the status line (kept in `m`).
    Say(String),
    /// Put an overlay in front.
    Open(super::overlay::Overlay),
    /// Close the overlay in front.
    Close,
    /// Go to a screen (the log gives the keys back).
    Go(super::state::Screen),
    /// Start editing a form field (`None`: the custom URL).
    Edit(Option<super::form::Field>),
    /// Open the inspector on request `id` of the current run's log.
    Inspect(u64),
    /// Show a value and send it by OSC 52.
    Copy { what: String, text: String },
    /// Start a run with the form as it is.
    Run,
    /// Open the Fix overlay (on a permission set's label or a finding's code).
    OpenFix(Option<String>),
    /// Start a fix task with the run's client, report and session.
    Fix(super::fix::FixJob),
    /// The login wants a pasted redirect URL: the paste field opens (unless the user types
    /// elsewhere).
    PasteOpen,
    /// The login is over: the paste field closes.
    PasteClose,
    /// Step 2's Keep field: where secrets go after a login, the next place in turn.
    CycleKeep,
    /// Show a stored watch cycle in the steps, read-only (Fleet's Enter or `r`).
    ShowCycle(Box<super::screens::fleet::StoredCycle>),
    /// An action for what is in front (the overlay, else the screen), as its key would do: the
    /// mouse wheel's Up and Down.
    Act(super::keymap::Action),
    /// Select row `row` of a screen's list (a click on it); the log gives the keys back.
    Select {
        screen: super::state::Screen,
        row: usize,
    },
    /// Where keys go now (the Fix overlay's admin form types in `Mode::Admin`).
    Mode(super::state::Mode),
    /// The report as it now stands (a fix changed it): every screen shows it.
    ShowReport(Box<Report>),
    /// Start the demo org on another scenario (the scenario picker).
    Scenario(String),
}

impl From<Effect> for Cmd {
    fn from(e: Effect) -> Self {
        Cmd::Effect(e)
    }
}
