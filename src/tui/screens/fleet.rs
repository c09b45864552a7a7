//! The Fleet screen: one row per watched org, read from the watch store (docs/watch.md). It owns
//! its state (rows, selection, sort, filter, the timeline and the mute question), handles its
//! own keys and draws itself. The store is read by tasks ([`run_job`]); their answers come back
//! as [`FleetMsg`]s, so the render loop never waits on it.

use std::time::Duration;

use ratatui_textarea::TextArea;

use crate::engine::clock;
use crate::engine::sanitize;
use crate::engine::watch::{CheckState, Incident, OrgStatus};
use crate::tui::form::{first_line, text};
use crate::tui::keymap::{Action, Scope};
use crate::tui::msg::Effect;
use crate::tui::timeline::Timeline;

pub use super::fleet_app::{StoredCycle, VIEWED_RUN, view_findings};
pub use super::fleet_store::{
    FleetJob, FleetMsg, FleetSource, REFRESH, Source, open_source, run_job, store_at_start,
};

/// The table's sort column (`s` cycles it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    State,
    Org,
    Incidents,
    LastCycle,
    Refresh,
    Headroom,
}

impl SortBy {
    pub fn next(self) -> SortBy {
        match self {
            SortBy::State => SortBy::Org,
            SortBy::Org => SortBy::Incidents,
            SortBy::Incidents => SortBy::LastCycle,
            SortBy::LastCycle => SortBy::Refresh,
            SortBy::Refresh => SortBy::Headroom,
            SortBy::Headroom => SortBy::State,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SortBy::State => "state (worst first)",
            SortBy::Org => "org",
            SortBy::Incidents => "open incidents",
            SortBy::LastCycle => "last cycle (oldest first)",
            SortBy::Refresh => "refresh-token expiry (soonest first)",
            SortBy::Headroom => "API headroom (least first)",
        }
    }
}

/// An overlay of the Fleet screen.
pub enum FleetOverlay {
    None,
    /// `M`: for how long (1h, 4h, 24h)? The org and the code.
    Mute(String, String),
    Timeline(Box<Timeline>),
}

/// What a key on the Fleet screen asks the console to do besides the screen's own state.
pub enum FleetOutcome {
    Stay,
    /// Effects to carry out, and something to say.
    Effects(Vec<Effect>, Option<String>),
    /// Type in the filter.
    Filter,
    /// The key is not the screen's.
    Pass,
    /// Go to the walk-through.
    Leave,
}

/// The Fleet screen's state.
pub struct FleetScreen {
    pub source: Option<Source>,
    /// The store's rows as last read (`None`: not read yet).
    pub rows: Option<Vec<OrgStatus>>,
    /// Why the store cannot be read (shown in place of the table).
    pub error: Option<String>,
    /// When the rows were read (Unix seconds).
    pub read_at: Option<i64>,
    pub selected: usize,
    pub sort: SortBy,
    pub filter: TextArea<'static>,
    pub failing_only: bool,
    pub overlay: FleetOverlay,
    /// The org whose cycle the walk-through shows (read-only), and when it ran.
    pub viewing: Option<(String, i64)>,
    generation: u64,
    polling: bool,
    /// The console opened on Fleet by itself: with no orgs, it goes to the walk-through.
    pub opened_by_itself: bool,
    /// The store is being opened.
    pub opening: bool,
    /// The OS user, who acks and mutes.
    pub who: String,
    /// The config file, for the store's `r` (its `[[watch.org]]`, its CA certificates).
    pub settings: std::sync::Arc<crate::settings::Settings>,
}

impl Default for FleetScreen {
    fn default() -> Self {
        FleetScreen::new()
    }
}

/// The OS user name (who acknowledged or muted): `$USER` (or `LOGNAME`, `USERNAME`), else the
/// account of the process's user id in /etc/passwd, else `uid N`.
pub fn os_user() -> String {
    let name = ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
        .or_else(passwd_name);
    match name {
        Some(s) => sanitize::line(&s).chars().take(64).collect(),
        None => uid_label(),
    }
}

#[cfg(unix)]
fn passwd_name() -> Option<String> {
    let uid = rustix::process::getuid().as_raw().to_string();
    let text = std::fs::read_to_string("/etc/passwd").ok()?;
    text.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        (f.nth(1)? == uid).then(|| name.to_string())
    })
}

#[cfg(not(unix))]
fn passwd_name() -> Option<String> {
    None
}

fn uid_label() -> String {
    #[cfg(unix)]
    return format!("uid {}", rustix::process::getuid().as_raw());
    #[cfg(not(unix))]
    "unknown".into()
}

impl FleetScreen {
    pub fn new() -> FleetScreen {
        FleetScreen {
            source: None,
            rows: None,
            error: None,
            read_at: None,
            selected: 0,
            sort: SortBy::State,
            filter: text(""),
            failing_only: false,
            overlay: FleetOverlay::None,
            viewing: None,
            generation: 0,
            polling: false,
            opened_by_itself: false,
            opening: false,
            who: os_user(),
            settings: Default::default(),
        }
    }

    /// The keymap scopes of the screen in front of everything else.
    pub fn scopes(&self) -> Vec<Scope> {
        match self.overlay {
            FleetOverlay::None => vec![Scope::Always, Scope::Fleet, Scope::Global],
            FleetOverlay::Mute(..) => vec![Scope::Always, Scope::FleetMute],
            FleetOverlay::Timeline(_) => vec![Scope::Always, Scope::Timeline],
        }
    }

    /// The screen is shown (or the store changed): read it now; an older read is dropped.
    pub fn shown(&mut self) -> Vec<Effect> {
        self.generation += 1;
        self.polling = false;
        self.poll(Duration::ZERO)
    }

    fn poll(&mut self, delay: Duration) -> Vec<Effect> {
        match &self.source {
            Some(source) if !self.polling => {
                self.polling = true;
                vec![Effect::Fleet(FleetJob::Status {
                    source: source.clone(),
                    generation: self.generation,
                    delay,
                })]
            }
            _ => Vec::new(),
        }
    }

    /// The store opened (or not); `shown`: the Fleet screen is in front.
    pub fn opened(&mut self, r: Result<Option<Source>, String>, shown: bool) -> Vec<Effect> {
        self.opening = false;
        match r {
            Ok(Some(s)) => {
                self.source = Some(s);
                self.error = None;
                if shown { self.shown() } else { Vec::new() }
            }
            Ok(None) => {
                self.error = Some(
                    "No watch store yet: `sagediag watch` records orgs in one (docs/watch.md), \
                     or start the console with --store URL."
                        .into(),
                );
                Vec::new()
            }
            Err(e) => {
                self.error = Some(e);
                Vec::new()
            }
        }
    }

    /// A status read came back; `shown`: read again after [`REFRESH`].
    pub fn on_status(
        &mut self,
        generation: u64,
        r: Result<Vec<OrgStatus>, String>,
        shown: bool,
    ) -> Vec<Effect> {
        if generation != self.generation {
            return Vec::new();
        }
        self.polling = false;
        match r {
            Ok(rows) => {
                let keep = self.selected_org().map(str::to_string);
                self.rows = Some(rows);
                self.error = None;
                self.read_at = Some(clock::now_secs() as i64);
                self.reselect(keep.as_deref());
            }
            Err(e) => self.error = Some(e),
        }
        if shown {
            self.poll(REFRESH)
        } else {
            Vec::new()
        }
    }

    fn reselect(&mut self, org: Option<&str>) {
        let vis = self.visible();
        self.selected = org
            .and_then(|o| vis.iter().position(|s| s.org == o))
            .unwrap_or(self.selected)
            .min(vis.len().saturating_sub(1));
    }

    /// The rows shown: filtered, then sorted.
    pub fn visible(&self) -> Vec<&OrgStatus> {
        let needle = first_line(&self.filter).to_lowercase();
        let mut v: Vec<&OrgStatus> = self
            .rows
            .iter()
            .flatten()
            .filter(|s| !self.failing_only || failing(s))
            .filter(|s| {
                needle.is_empty()
                    || s.org.to_lowercase().contains(&needle)
                    || worst(s).is_some_and(|w| w.code.to_lowercase().contains(&needle))
            })
            .collect();
        v.sort_by(|a, b| {
            let by = match self.sort {
                SortBy::State => rank(b).cmp(&rank(a)),
                SortBy::Org => std::cmp::Ordering::Equal,
                SortBy::Incidents => b.open_incidents.len().cmp(&a.open_incidents.len()),
                SortBy::LastCycle => started(a).cmp(&started(b)),
                SortBy::Refresh => key_min(refresh_secs(a)).cmp(&key_min(refresh_secs(b))),
                SortBy::Headroom => key_min(headroom(a)).cmp(&key_min(headroom(b))),
            };
            by.then_with(|| a.org.cmp(&b.org))
        });
        v
    }

    pub fn selected_org(&self) -> Option<&str> {
        self.visible().get(self.selected).map(|s| s.org.as_str())
    }

    pub(super) fn selected_status(&self) -> Option<&OrgStatus> {
        self.visible().get(self.selected).copied()
    }

    /// The filter changed: keep the selection in range.
    pub fn filter_changed(&mut self) {
        self.selected = 0;
    }

    /// A key (already an action) on the Fleet screen or one of its overlays.
    pub fn on_action(&mut self, a: Action) -> FleetOutcome {
        match &mut self.overlay {
            FleetOverlay::None => {}
            FleetOverlay::Timeline(tl) => {
                if tl.on_action(a) {
                    self.overlay = FleetOverlay::None;
                }
                return FleetOutcome::Stay;
            }
            FleetOverlay::Mute(org, code) => {
                let hours = match a {
                    Action::Step(1) => 1,
                    Action::Step(2) => 4,
                    Action::Step(3) => 24,
                    _ => {
                        self.overlay = FleetOverlay::None;
                        return FleetOutcome::Stay;
                    }
                };
                let (org, code) = (org.clone(), code.clone());
                self.overlay = FleetOverlay::None;
                let Some(source) = self.source.clone() else {
                    return FleetOutcome::Stay;
                };
                let job = FleetJob::Mute {
                    source,
                    org,
                    code,
                    until: clock::now_secs() as i64 + hours * 3600,
                    who: self.who.clone(),
                };
                return FleetOutcome::Effects(vec![Effect::Fleet(job)], None);
            }
        }
        let n = self.visible().len();
        let last = n.saturating_sub(1);
        match a {
            Action::Down => self.selected = (self.selected + 1).min(last),
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::PageDown => self.selected = (self.selected + 10).min(last),
            Action::PageUp => self.selected = self.selected.saturating_sub(10),
            Action::Home => self.selected = 0,
            Action::End => self.selected = last,
            Action::Sort => {
                let keep = self.selected_org().map(str::to_string);
                self.sort = self.sort.next();
                self.reselect(keep.as_deref());
            }
            Action::FailingOnly => {
                let keep = self.selected_org().map(str::to_string);
                self.failing_only = !self.failing_only;
                self.reselect(keep.as_deref());
            }
            Action::Find => return FleetOutcome::Filter,
            Action::Back => {
                self.filter = text("");
                self.failing_only = false;
            }
            Action::FocusLog | Action::ToggleLog | Action::Left | Action::Right => {}
            Action::NextStep | Action::PrevStep => return FleetOutcome::Leave,
            Action::Select | Action::CheckNow | Action::Timeline | Action::Ack | Action::Mute => {
                return self.org_action(a);
            }
            _ => return FleetOutcome::Pass,
        }
        FleetOutcome::Stay
    }

    fn org_action(&mut self, a: Action) -> FleetOutcome {
        let (Some(source), Some(st)) = (self.source.clone(), self.selected_status()) else {
            return FleetOutcome::Stay;
        };
        let org = st.org.clone();
        let job = match a {
            Action::Select => match (&st.last, st.last_cycle_id) {
                (Some(_), Some(id)) => FleetJob::Cycle { source, org, id },
                _ => return say(format!("{org} has no cycle recorded yet.")),
            },
            Action::CheckNow => FleetJob::Check { source, org },
            Action::Timeline => {
                self.overlay = FleetOverlay::Timeline(Box::new(Timeline::new(&org)));
                FleetJob::Timeline { source, org }
            }
            Action::Ack | Action::Mute => {
                let Some(inc) = worst_open(st) else {
                    return say(format!("{org} has no open incident."));
                };
                let code = inc.code.clone();
                if a == Action::Mute {
                    self.overlay = FleetOverlay::Mute(org, code);
                    return FleetOutcome::Stay;
                }
                FleetJob::Ack {
                    source,
                    org,
                    code,
                    who: self.who.clone(),
                }
            }
            _ => return FleetOutcome::Stay,
        };
        let said = match &job {
            FleetJob::Check { org, .. } => Some(format!(
                "Checking {org} now with its monitoring credentials (up to a minute)…"
            )),
            _ => None,
        };
        FleetOutcome::Effects(vec![Effect::Fleet(job)], said)
    }

    /// An ack, mute or check finished: read the table again at once.
    pub fn done(&mut self) -> Vec<Effect> {
        self.shown()
    }

    pub fn on_timeline(
        &mut self,
        org: &str,
        r: Result<crate::tui::timeline::TimelineData, String>,
    ) {
        if let FleetOverlay::Timeline(tl) = &mut self.overlay
            && tl.org == org
        {
            tl.loaded(r);
        }
    }

    /// The header line on the Fleet screen.
    pub fn header(&self) -> String {
        let Some(rows) = &self.rows else {
            return "fleet".into();
        };
        let failing = rows.iter().filter(|s| failing(s)).count();
        let age = self
            .read_at
            .map(|t| format!(" · read {}", ago(clock::now_secs() as i64 - t)))
            .unwrap_or_default();
        format!(
            "fleet · {} org{} · {failing} failing{age}",
            rows.len(),
            if rows.len() == 1 { "" } else { "s" }
        )
    }
}

fn say(s: String) -> FleetOutcome {
    FleetOutcome::Effects(Vec::new(), Some(s))
}

/// Sort key: None last.
fn key_min(v: Option<i64>) -> (bool, i64) {
    (v.is_none(), v.unwrap_or(0))
}

fn started(s: &OrgStatus) -> (bool, i64) {
    key_min(s.last.as_ref().map(|c| c.started_at))
}

pub(super) fn refresh_secs(s: &OrgStatus) -> Option<i64> {
    s.last.as_ref()?.signals.refresh_expires_in_secs
}

fn headroom(s: &OrgStatus) -> Option<i64> {
    s.last.as_ref()?.signals.api_requests_remaining
}

pub fn failing(s: &OrgStatus) -> bool {
    s.last.as_ref().is_some_and(|c| c.state.is_failing())
        || s.open_incidents.iter().any(|i| i.severity == "error")
}

/// Worse states rank higher; an org never checked ranks between Warn and Fail.
fn rank(s: &OrgStatus) -> u8 {
    match s.last.as_ref().map(|c| c.state) {
        Some(CheckState::Error) => 5,
        Some(CheckState::Fail) => 4,
        None => 3,
        Some(CheckState::Warn) => 2,
        Some(CheckState::Pass) => 1,
        Some(CheckState::Skip) => 0,
    }
}

fn severity_rank(s: &str) -> u8 {
    match s {
        "error" => 3,
        "warning" => 2,
        "info" => 1,
        _ => 0,
    }
}

/// The worst finding of an org: of its open incidents, else of its last cycle.
pub struct Worst {
    pub code: String,
    pub severity: String,
    pub title: String,
    pub fix: Vec<String>,
}

pub fn worst(s: &OrgStatus) -> Option<Worst> {
    if let Some(i) = worst_open(s) {
        return Some(Worst {
            code: i.code.clone(),
            severity: i.severity.clone(),
            title: i.title.clone(),
            fix: i.fix.clone(),
        });
    }
    let f = s
        .last
        .as_ref()?
        .findings
        .iter()
        .max_by_key(|f| severity_rank(&f.severity))?;
    Some(Worst {
        code: f.code.clone(),
        severity: f.severity.clone(),
        title: f.title.clone(),
        fix: f.fix.clone(),
    })
}

fn worst_open(s: &OrgStatus) -> Option<&Incident> {
    s.open_incidents
        .iter()
        .max_by_key(|i| (severity_rank(&i.severity), std::cmp::Reverse(i.first_seen)))
}

/// `secs` ago, short: `12s ago`, `4m ago`, `3h ago`, `2d ago`.
pub fn ago(secs: i64) -> String {
    format!("{} ago", span(secs.max(0)))
}

pub(super) fn span(s: i64) -> String {
    match s {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// A time as `2026-12-07 16:05 UTC`.
pub fn utc(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| secs.to_string())
}

pub use super::fleet_draw::{draw, org_and_worst};
